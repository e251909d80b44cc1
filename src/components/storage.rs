//! Storage: an S3 bucket for an environment's artifacts and logs — versioned,
//! encrypted at rest (SSE-S3), closed to the public, with lifecycle rules
//! that move objects to cheaper classes and expire them per environment.
//! Each setting is its own resource, as pulumi-aws 7 models them. `destroy`
//! deletes the bucket only once it is empty, as S3 does (tapctl's provider
//! has no `forceDestroy`: delete sees recorded outputs, and S3 keeps no such
//! flag to read back).

use crate::model::{Component, Program, ProgramError, Provider, Resource, ResourceOptions, Value};

use super::children::Children;
use super::{ComponentError, Naming, Tags};

/// When objects move and go, in days after creation (or after becoming
/// noncurrent, for old versions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifecycle {
    /// To STANDARD_IA (at least 30 days: S3's minimum).
    pub infrequent_access_after: Option<u32>,
    /// To GLACIER.
    pub glacier_after: Option<u32>,
    /// Current versions expire.
    pub expire_after: u32,
    /// Noncurrent versions expire.
    pub noncurrent_expire_after: u32,
}

/// What the storage component needs.
#[derive(Debug, Clone)]
pub struct StorageArgs {
    /// What the bucket holds; part of its name (`artifacts`).
    pub purpose: String,
    /// The lifecycle.
    pub lifecycle: Lifecycle,
    /// Physical names.
    pub naming: Naming,
    /// Common tags.
    pub tags: Tags,
}

/// The storage component's outputs.
#[derive(Debug, Clone)]
pub struct Storage {
    /// The component resource.
    pub component: Component,
    /// The bucket.
    pub bucket: Resource,
    /// The bucket's name.
    pub bucket_name: String,
}

const TYPE: &str = "tap:components:Storage";

/// What every bucket of tapctl's components gets: versioning, default
/// encryption (SSE-S3) and a public access block, named `<logical>-…`, on
/// `provider` (or the default one). Returns the versioning and the block
/// (a replication must wait for the one, a bucket policy for the other).
pub(crate) fn close_bucket(
    c: &mut Children<'_>,
    provider: Option<&Provider>,
    bucket: &Resource,
    logical: &str,
) -> Result<(Resource, Resource), ProgramError> {
    close_bucket_encrypted(c, provider, bucket, logical, None)
}

/// [`close_bucket`] with default encryption under `kms_key_arn` (SSE-KMS,
/// with an S3 bucket key so S3 asks KMS for a data key per bucket rather
/// than per object), or SSE-S3 when `None`.
pub(crate) fn close_bucket_encrypted(
    c: &mut Children<'_>,
    provider: Option<&Provider>,
    bucket: &Resource,
    logical: &str,
    kms_key_arn: Option<&Value>,
) -> Result<(Resource, Resource), ProgramError> {
    let rule = match kms_key_arn {
        Some(key) => Value::object([
            (
                "applyServerSideEncryptionByDefault",
                Value::object([("sseAlgorithm", Value::from("aws:kms")), ("kmsMasterKeyId", key.clone())]),
            ),
            ("bucketKeyEnabled", Value::from(true)),
        ]),
        None => Value::object([("applyServerSideEncryptionByDefault", Value::object([("sseAlgorithm", "AES256")]))]),
    };
    let versioning = c.add_for(
        provider,
        "aws:s3/bucketVersioning:BucketVersioning",
        &format!("{logical}-versioning"),
        vec![("bucket", bucket.id()), ("versioningConfiguration", Value::object([("status", "Enabled")]))],
        ResourceOptions::default(),
    )?;
    c.add_for(
        provider,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        &format!("{logical}-encryption"),
        vec![("bucket", bucket.id()), ("rules", Value::array([rule]))],
        ResourceOptions::default(),
    )?;
    let block = c.add_for(
        provider,
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        &format!("{logical}-public-access-block"),
        vec![
            ("bucket", bucket.id()),
            ("blockPublicAcls", true.into()),
            ("blockPublicPolicy", true.into()),
            ("ignorePublicAcls", true.into()),
            ("restrictPublicBuckets", true.into()),
        ],
        ResourceOptions::default(),
    )?;
    Ok((versioning, block))
}

impl Storage {
    /// Registers the bucket and its settings under `parent`.
    pub fn new(
        program: &mut Program,
        parent: &Component,
        name: &str,
        args: StorageArgs,
    ) -> Result<Storage, ComponentError> {
        let invalid = |problem: String| ComponentError::Invalid { component: TYPE, problem };
        let l = args.lifecycle;
        if l.infrequent_access_after.is_some_and(|d| d < 30) {
            return Err(invalid("S3 moves objects to STANDARD_IA no sooner than 30 days".into()));
        }
        let order = [l.infrequent_access_after, l.glacier_after, Some(l.expire_after)];
        let days: Vec<u32> = order.iter().flatten().copied().collect();
        if days.windows(2).any(|w| w[0] >= w[1]) || l.expire_after == 0 || l.noncurrent_expire_after == 0 {
            return Err(invalid(format!("lifecycle days must increase towards expiry, got {l:?}")));
        }
        let me = program.component(parent, TYPE, name)?;
        let mut c = Children { program, parent: me.clone(), naming: &args.naming, tags: &args.tags };
        // S3 names: 3-63 lowercase letters, digits and hyphens (Naming's alphabet).
        let bucket_name = c.name(&args.purpose, 63);
        let bucket = c.add(
            "aws:s3/bucket:Bucket",
            "bucket",
            vec![("bucket", bucket_name.clone().into()), ("tags", c.tags(&bucket_name))],
        )?;
        close_bucket(&mut c, None, &bucket, "bucket")?;
        let mut transitions = Vec::new();
        if let Some(d) = l.infrequent_access_after {
            transitions.push(Value::object([("days", Value::from(d)), ("storageClass", Value::from("STANDARD_IA"))]));
        }
        if let Some(d) = l.glacier_after {
            transitions.push(Value::object([("days", Value::from(d)), ("storageClass", Value::from("GLACIER"))]));
        }
        c.add(
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            "lifecycle",
            vec![
                ("bucket", bucket.id()),
                (
                    "rules",
                    Value::array([Value::object([
                        ("id", Value::from("age-out")),
                        ("status", Value::from("Enabled")),
                        ("filter", Value::object([("prefix", "")])),
                        ("transitions", Value::Array(transitions)),
                        ("expiration", Value::object([("days", l.expire_after)])),
                        ("noncurrentVersionExpiration", Value::object([("noncurrentDays", l.noncurrent_expire_after)])),
                        ("abortIncompleteMultipartUpload", Value::object([("daysAfterInitiation", 7)])),
                    ])]),
                ),
            ],
        )?;
        Ok(Storage { component: me, bucket, bucket_name })
    }
}
