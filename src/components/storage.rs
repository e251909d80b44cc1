//! Storage: an S3 bucket for an environment's artifacts, logs or backups —
//! versioned, encrypted at rest (SSE-S3, optionally with an S3 bucket key),
//! closed to the public, with lifecycle rules that move current and
//! noncurrent object versions to cheaper classes and expire them.
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
    /// Current versions to STANDARD_IA (at least 30 days: S3's minimum).
    pub infrequent_access_after: Option<u32>,
    /// Current versions to GLACIER.
    pub glacier_after: Option<u32>,
    /// Current versions expire; `None` keeps them (backups).
    pub expire_after: Option<u32>,
    /// Noncurrent versions to STANDARD_IA (at least 30 days).
    pub noncurrent_infrequent_access_after: Option<u32>,
    /// Noncurrent versions to GLACIER.
    pub noncurrent_glacier_after: Option<u32>,
    /// Noncurrent versions expire.
    pub noncurrent_expire_after: u32,
}

impl Lifecycle {
    /// What is wrong with these days, if anything.
    pub fn problem(&self) -> Option<String> {
        if self.infrequent_access_after.is_some_and(|d| d < 30)
            || self.noncurrent_infrequent_access_after.is_some_and(|d| d < 30)
        {
            return Some("S3 moves objects to STANDARD_IA no sooner than 30 days".into());
        }
        let increasing = |steps: [Option<u32>; 3]| {
            let days: Vec<u32> = steps.iter().flatten().copied().collect();
            days.windows(2).all(|w| w[0] < w[1])
        };
        let current = [self.infrequent_access_after, self.glacier_after, self.expire_after];
        let noncurrent = [
            self.noncurrent_infrequent_access_after,
            self.noncurrent_glacier_after,
            Some(self.noncurrent_expire_after),
        ];
        if !increasing(current)
            || !increasing(noncurrent)
            || self.expire_after == Some(0)
            || self.noncurrent_expire_after == 0
        {
            return Some(format!("lifecycle days must increase towards expiry, got {self:?}"));
        }
        None
    }
}

/// What the storage component needs.
#[derive(Debug, Clone)]
pub struct StorageArgs {
    /// What the bucket holds; part of its name (`artifacts`).
    pub purpose: String,
    /// The lifecycle.
    pub lifecycle: Lifecycle,
    /// Whether SSE uses an S3 bucket key (fewer encryption requests: S3
    /// derives the data keys from a bucket-level key).
    pub bucket_key: bool,
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
/// encryption (SSE-S3, with an S3 bucket key if `bucket_key`) and a public
/// access block, named `<logical>-…`, on `provider` (or the default one).
/// Returns the versioning and the block (a replication must wait for the
/// one, a bucket policy for the other).
pub(crate) fn close_bucket(
    c: &mut Children<'_>,
    provider: Option<&Provider>,
    bucket: &Resource,
    logical: &str,
    bucket_key: bool,
) -> Result<(Resource, Resource), ProgramError> {
    let mut rule = vec![("applyServerSideEncryptionByDefault", Value::object([("sseAlgorithm", "AES256")]))];
    if bucket_key {
        rule.push(("bucketKeyEnabled", Value::from(true)));
    }
    close_bucket_with(c, provider, bucket, logical, Value::object(rule))
}

/// [`close_bucket`] with default encryption under `kms_key_arn` (SSE-KMS,
/// with an S3 bucket key so S3 asks KMS for a data key per bucket rather
/// than per object), or SSE-S3 without a bucket key when `None`.
pub(crate) fn close_bucket_encrypted(
    c: &mut Children<'_>,
    provider: Option<&Provider>,
    bucket: &Resource,
    logical: &str,
    kms_key_arn: Option<&Value>,
) -> Result<(Resource, Resource), ProgramError> {
    match kms_key_arn {
        Some(key) => {
            let rule = Value::object([
                (
                    "applyServerSideEncryptionByDefault",
                    Value::object([("sseAlgorithm", Value::from("aws:kms")), ("kmsMasterKeyId", key.clone())]),
                ),
                ("bucketKeyEnabled", Value::from(true)),
            ]);
            close_bucket_with(c, provider, bucket, logical, rule)
        }
        None => close_bucket(c, provider, bucket, logical, false),
    }
}

/// The bucket-policy statement refusing every request to `bucket` and its
/// objects that is not made over TLS (encryption in transit).
pub(crate) fn deny_insecure_transport(bucket: &Resource) -> Value {
    Value::object([
        ("Sid", Value::from("DenyInsecureTransport")),
        ("Effect", Value::from("Deny")),
        ("Principal", Value::from("*")),
        ("Action", Value::from("s3:*")),
        ("Resource", Value::Array(vec![bucket.arn(), Value::Concat(vec![bucket.arn(), "/*".into()])])),
        ("Condition", Value::object([("Bool", Value::object([("aws:SecureTransport", "false")]))])),
    ])
}

/// Versioning, default encryption by `rule` and the public access block.
fn close_bucket_with(
    c: &mut Children<'_>,
    provider: Option<&Provider>,
    bucket: &Resource,
    logical: &str,
    rule: Value,
) -> Result<(Resource, Resource), ProgramError> {
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
        let l = args.lifecycle;
        if let Some(problem) = l.problem() {
            return Err(ComponentError::Invalid { component: TYPE, problem });
        }
        let me = program.component(parent, TYPE, name)?;
        let mut c = Children { program, parent: me.clone(), naming: &args.naming, tags: &args.tags };
        // S3 names: 3-63 lowercase letters, digits and hyphens (Naming's alphabet).
        let (bucket, bucket_name) = c.bucket("bucket", &args.purpose)?;
        close_bucket(&mut c, None, &bucket, "bucket", args.bucket_key)?;
        let steps = |key: &str, ia: Option<u32>, glacier: Option<u32>| -> Vec<Value> {
            [(ia, "STANDARD_IA"), (glacier, "GLACIER")]
                .into_iter()
                .filter_map(|(days, class)| {
                    days.map(|d| Value::object([(key, Value::from(d)), ("storageClass", class.into())]))
                })
                .collect()
        };
        let transitions = steps("days", l.infrequent_access_after, l.glacier_after);
        let noncurrent = steps("noncurrentDays", l.noncurrent_infrequent_access_after, l.noncurrent_glacier_after);
        let mut rule = vec![
            ("id", Value::from("age-out")),
            ("status", Value::from("Enabled")),
            ("filter", Value::object([("prefix", "")])),
            ("transitions", Value::Array(transitions)),
        ];
        if let Some(days) = l.expire_after {
            rule.push(("expiration", Value::object([("days", days)])));
        }
        if !noncurrent.is_empty() {
            rule.push(("noncurrentVersionTransitions", Value::Array(noncurrent)));
        }
        rule.extend([
            ("noncurrentVersionExpiration", Value::object([("noncurrentDays", l.noncurrent_expire_after)])),
            ("abortIncompleteMultipartUpload", Value::object([("daysAfterInitiation", 7)])),
        ]);
        c.add(
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            "lifecycle",
            vec![("bucket", bucket.id()), ("rules", Value::array([Value::object(rule)]))],
        )?;
        Ok(Storage { component: me, bucket, bucket_name })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PropertyMap;

    const BACKUPS: Lifecycle = Lifecycle {
        infrequent_access_after: None,
        glacier_after: None,
        expire_after: None,
        noncurrent_infrequent_access_after: Some(30),
        noncurrent_glacier_after: Some(90),
        noncurrent_expire_after: 365,
    };

    #[test]
    fn noncurrent_versions_move_to_ia_then_glacier_and_expire_with_a_bucket_key() {
        let mut program = Program::new("web", "dev", PropertyMap::new());
        let root = program.root();
        let storage = Storage::new(
            &mut program,
            &root,
            "backups",
            StorageArgs {
                purpose: "backups".into(),
                lifecycle: BACKUPS,
                bucket_key: true,
                naming: Naming::new("web", "", "dev"),
                tags: Tags::new("web", "dev", &[]),
            },
        )
        .unwrap();
        assert_eq!(storage.bucket_name, "web-backups-dev");
        let inputs = |token: &str| {
            program.resources().iter().find(|r| r.type_token() == token).map(|r| r.inputs.clone()).unwrap()
        };
        let rules = inputs("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")["rules"].clone();
        let rule = rules.as_array().unwrap()[0].as_object().unwrap().clone();
        assert_eq!(
            rule["noncurrentVersionTransitions"],
            Value::array([
                Value::object([("noncurrentDays", Value::from(30)), ("storageClass", Value::from("STANDARD_IA"))]),
                Value::object([("noncurrentDays", Value::from(90)), ("storageClass", Value::from("GLACIER"))]),
            ])
        );
        assert_eq!(rule["noncurrentVersionExpiration"], Value::object([("noncurrentDays", 365)]));
        assert!(!rule.contains_key("expiration"), "current backups are kept");
        let sse = inputs("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration");
        let sse_rule = sse["rules"].as_array().unwrap()[0].as_object().unwrap().clone();
        assert_eq!(sse_rule["bucketKeyEnabled"], Value::from(true));
        assert_eq!(sse_rule["applyServerSideEncryptionByDefault"], Value::object([("sseAlgorithm", "AES256")]));
        let versioning = inputs("aws:s3/bucketVersioning:BucketVersioning");
        assert_eq!(versioning["versioningConfiguration"], Value::object([("status", "Enabled")]));
        let block = inputs("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock");
        for k in ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] {
            assert_eq!(block[k], Value::from(true), "{k}");
        }
    }

    #[test]
    fn lifecycle_days_must_increase_and_respect_s3s_minimum() {
        assert_eq!(BACKUPS.problem(), None);
        let early = Lifecycle { noncurrent_infrequent_access_after: Some(10), ..BACKUPS };
        assert!(early.problem().unwrap().contains("30 days"));
        let backwards = Lifecycle { noncurrent_glacier_after: Some(400), ..BACKUPS };
        assert!(backwards.problem().unwrap().contains("increase"));
    }
}
