//! LogStorage: the application's log bucket and its cross-region replica.
//!
//! Both buckets are versioned (replication needs it), encrypted at rest by
//! default, closed to the public, and refuse any request not made over TLS
//! (encryption in transit). The replica lives in a second region, managed by
//! a second `pulumi:providers:aws` instance; a replication role that may read
//! exactly the source bucket's object versions and write exactly into the
//! replica replicates every object and delete marker. Noncurrent versions
//! expire after a configured number of days in both buckets.

use crate::model::{Component, Program, Provider, Resource, ResourceOptions, Value};

use super::children::{allow, policy_document, Children};
use super::storage::{close_bucket, deny_insecure_transport};
use super::{ComponentError, Naming, Tags};

/// What the log storage component needs.
#[derive(Debug, Clone)]
pub struct LogStorageArgs {
    /// The provider of the replica's region.
    pub replica_provider: Provider,
    /// Days a noncurrent object version is kept.
    pub noncurrent_version_days: u32,
    /// Physical names.
    pub naming: Naming,
    /// Common tags.
    pub tags: Tags,
}

/// The log storage component's outputs.
#[derive(Debug, Clone)]
pub struct LogStorage {
    /// The component resource.
    pub component: Component,
    /// The primary bucket.
    pub bucket: Resource,
    /// Its name.
    pub bucket_name: String,
    /// The replica bucket (second region).
    pub replica: Resource,
    /// Its name.
    pub replica_name: String,
    /// The replication role.
    pub replication_role: Resource,
    /// The replication configuration.
    pub replication: Resource,
}

const TYPE: &str = "tap:components:LogStorage";

/// A bucket with versioning, default encryption, a public access block, a
/// TLS-only policy and noncurrent-version expiry, on `provider` (or the
/// default provider). Returns the bucket and its versioning resource.
fn bucket(
    c: &mut Children<'_>,
    provider: Option<&Provider>,
    logical: &str,
    name: &str,
    noncurrent_days: u32,
) -> Result<(Resource, Resource), ComponentError> {
    let tags = c.tags(name);
    let b = c.add_for(
        provider,
        "aws:s3/bucket:Bucket",
        logical,
        vec![("bucket", name.into()), ("tags", tags)],
        ResourceOptions::default(),
    )?;
    let (versioning, block) = close_bucket(c, provider, &b, logical, false)?;
    c.add_for(
        provider,
        "aws:s3/bucketPolicy:BucketPolicy",
        &format!("{logical}-tls-only"),
        vec![("bucket", b.id()), ("policy", policy_document(vec![deny_insecure_transport(&b)]))],
        // S3 refuses a policy while the block's first put is in flight.
        ResourceOptions::default().depends_on(block.urn()),
    )?;
    c.add_for(
        provider,
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        &format!("{logical}-lifecycle"),
        vec![
            ("bucket", b.id()),
            (
                "rules",
                Value::array([Value::object([
                    ("id", Value::from("expire-noncurrent-versions")),
                    ("status", Value::from("Enabled")),
                    ("noncurrentVersionExpiration", Value::object([("noncurrentDays", noncurrent_days)])),
                ])]),
            ),
        ],
        ResourceOptions::default().depends_on(versioning.urn()),
    )?;
    Ok((b, versioning))
}

impl LogStorage {
    /// Registers both buckets and the replication under `parent`.
    pub fn new(
        program: &mut Program,
        parent: &Component,
        name: &str,
        args: LogStorageArgs,
    ) -> Result<LogStorage, ComponentError> {
        if !(1..=3650).contains(&args.noncurrent_version_days) {
            return Err(ComponentError::Invalid {
                component: TYPE,
                problem: "noncurrent versions must be kept 1 to 3650 days".into(),
            });
        }
        let me = program.component(parent, TYPE, name)?;
        let mut c = Children { program, parent: me.clone(), naming: &args.naming, tags: &args.tags };
        let bucket_name = c.name("logs", 63);
        let replica_name = c.name("logs-replica", 63);
        let days = args.noncurrent_version_days;
        let (source, source_versioning) = bucket(&mut c, None, "logs", &bucket_name, days)?;
        let (replica, replica_versioning) =
            bucket(&mut c, Some(&args.replica_provider), "logs-replica", &replica_name, days)?;

        let replication_role = c.role("replication-role", "s3.amazonaws.com", "Replicates the log bucket")?;
        let source_objects = Value::Concat(vec![source.arn(), "/*".into()]);
        let replica_objects = Value::Concat(vec![replica.arn(), "/*".into()]);
        let policy = c.role_policy(
            "replication-policy",
            "replication-policy",
            &replication_role,
            vec![
                allow(&["s3:GetReplicationConfiguration", "s3:ListBucket"], vec![source.arn()]),
                allow(
                    &["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
                    vec![source_objects],
                ),
                allow(&["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"], vec![replica_objects]),
            ],
        )?;
        let replication = c.add_with(
            "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
            "logs-replication",
            vec![
                ("bucket", source.id()),
                ("role", replication_role.arn()),
                (
                    "rules",
                    Value::array([Value::object([
                        ("id", Value::from("replicate-everything")),
                        ("status", Value::from("Enabled")),
                        ("priority", Value::from(1)),
                        ("filter", Value::object([("prefix", "")])),
                        ("deleteMarkerReplication", Value::object([("status", "Enabled")])),
                        (
                            "destination",
                            Value::object([("bucket", replica.arn()), ("storageClass", Value::from("STANDARD"))]),
                        ),
                    ])]),
                ),
            ],
            // S3 refuses replication until both buckets are versioned, and
            // the role must be able to act once the configuration exists.
            ResourceOptions::default()
                .depends_on(source_versioning.urn())
                .depends_on(replica_versioning.urn())
                .depends_on(policy.urn()),
        )?;
        Ok(LogStorage {
            component: me,
            bucket: source,
            bucket_name,
            replica,
            replica_name,
            replication_role,
            replication,
        })
    }
}
