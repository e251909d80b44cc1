//! S3 kinds: bucket (name and tags) and its configuration resources —
//! versioning, default encryption, public access block, lifecycle, policy
//! and replication.
//!
//! The id is the bucket name, as in pulumi-aws. CreateBucket takes no tags,
//! so the URN tag follows right after it with PutBucketTagging; a create
//! interrupted between the two leaves a bucket found by its name instead.
//! Deleting a bucket that still holds objects fails with AWS's
//! `BucketNotEmpty` (`forceDestroy` is not implemented).
//!
//! Outputs deliberately left out: `hostedZoneId` (a per-region constant
//! table tapctl does not carry) and the legacy inline configurations
//! (`versioning`, `lifecycleRules`, …), which pulumi-aws itself moved to
//! separate resources.
//!
//! **Bucket configuration resources.** Each is one configuration of one
//! bucket, its id the bucket name (as in pulumi-aws); `create` and `update`
//! put the whole configuration, `read` gets it (`None` when the bucket has
//! none, or no bucket), `delete` removes it. `expectedBucketOwner` is not
//! implemented. Two kinds cannot be undone in S3 and follow Terraform:
//! deleting a `BucketVersioning` suspends versioning (a bucket never returns
//! to "unversioned"), so its read after a delete shows `Suspended`; and
//! deleting a `BucketServerSideEncryptionConfiguration` returns the bucket to
//! S3's default SSE-S3 encryption, which AWS then reports as a configuration.
//! `BucketLifecycleConfiguration` reads `transitionDefaultMinimumObjectSize`
//! back from S3; `timeouts` is not implemented.

use async_trait::async_trait;
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration, Tag, Tagging};

use super::{
    after_create, check_kind, found, gone_is_ok, known, partition, read_created, read_updated, reject_unsupported,
    required_str, tag_changes, tags_for_create, AwsProvider, Outputs, Service,
};
use crate::model::{PropertyMap, Value};
use crate::provider::{CallContext, Created, ProviderError};

const BUCKET: &str = "aws:s3/bucket:Bucket";
const VERSIONING: &str = "aws:s3/bucketVersioning:BucketVersioning";
const ENCRYPTION: &str = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration";
const PUBLIC_ACCESS_BLOCK: &str = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock";
const LIFECYCLE: &str = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration";
const POLICY: &str = "aws:s3/bucketPolicy:BucketPolicy";
const REPLICATION: &str = "aws:s3/bucketReplicationConfig:BucketReplicationConfig";

/// The S3 service module.
pub(crate) struct S3;

const SUPPORTED: &[&str] = &["bucket", "region", "tags"];

#[async_trait]
impl Service for S3 {
    fn tokens(&self) -> &'static [&'static str] {
        &[BUCKET, VERSIONING, ENCRYPTION, PUBLIC_ACCESS_BLOCK, LIFECYCLE, POLICY, REPLICATION]
    }

    fn check(&self, token: &str, inputs: &PropertyMap) -> Result<(), ProviderError> {
        if let Some(config) = config::of(token) {
            return check_kind(token, inputs, config.supported, config.check);
        }
        reject_unsupported(token, inputs, SUPPORTED)?;
        if !inputs.contains_key("bucket") {
            return Err(ProviderError::invalid(format!("{token}: bucket is required")));
        }
        if let Some(name) = known(inputs, "bucket").and_then(Value::as_str) {
            check_name(name).map_err(|e| ProviderError { message: format!("{token}: {}", e.message), ..e })?;
        }
        Ok(())
    }

    async fn create(&self, p: &AwsProvider, ctx: &CallContext, inputs: &PropertyMap) -> Result<Created, ProviderError> {
        if let Some(config) = config::of(&ctx.token) {
            let bucket = required_str(inputs, "bucket")?;
            (config.put)(p, ctx, bucket, inputs).await?;
            return read_created(self, p, ctx, bucket.to_string()).await;
        }
        let s3 = p.s3().await?;
        let bucket = required_str(inputs, "bucket")?;
        let region = p.region().await?;
        // us-east-1 is the default location and must not be named.
        let location = (region != "us-east-1").then(|| {
            CreateBucketConfiguration::builder().location_constraint(BucketLocationConstraint::from(region)).build()
        });
        p.call(|| s3.create_bucket().bucket(bucket).set_create_bucket_configuration(location.clone()).send()).await?;
        let tags = tags_for_create(ctx, inputs)?;
        put_tags(p, bucket, &tags).await.map_err(after_create(bucket, "tagging it"))?;
        let id = bucket.to_string();
        read_created(self, p, ctx, id).await
    }

    async fn read(&self, p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        match config::of(&ctx.token) {
            Some(config) => found((config.read)(p, id).await).map(Option::flatten),
            None => found(read(p, id).await),
        }
    }

    async fn update(
        &self,
        p: &AwsProvider,
        ctx: &CallContext,
        id: &str,
        old: &PropertyMap,
        new: &PropertyMap,
    ) -> Result<PropertyMap, ProviderError> {
        if let Some(config) = config::of(&ctx.token) {
            // The whole configuration is put again (bucket is force-new).
            (config.put)(p, ctx, id, new).await?;
            return read_updated(self, p, ctx, id).await;
        }
        // Tags are all that changes in place (bucket is force-new).
        if !tag_changes(ctx, old, new)?.is_empty() {
            put_tags(p, id, &tags_for_create(ctx, new)?).await?;
        }
        read_updated(self, p, ctx, id).await
    }

    async fn delete(
        &self,
        p: &AwsProvider,
        ctx: &CallContext,
        id: &str,
        _outputs: &PropertyMap,
    ) -> Result<(), ProviderError> {
        if let Some(config) = config::of(&ctx.token) {
            return gone_is_ok((config.delete)(p, id).await);
        }
        let s3 = p.s3().await?;
        gone_is_ok(p.call(|| s3.delete_bucket().bucket(id).send()).await)
    }
}

/// S3's bucket naming rules (general purpose buckets).
fn check_name(name: &str) -> Result<(), ProviderError> {
    let chars_ok = name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
    let ends_ok =
        name.starts_with(|c: char| c.is_ascii_alphanumeric()) && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    let ip_like = name.split('.').count() == 4 && name.split('.').all(|part| part.parse::<u8>().is_ok());
    if !(3..=63).contains(&name.len()) || !chars_ok || !ends_ok || name.contains("..") || ip_like {
        return Err(ProviderError::invalid(format!(
            "bucket {name:?} must be 3 to 63 lowercase letters, digits, dots and hyphens, start and end with a letter or digit, \
             and not look like an IP address"
        )));
    }
    Ok(())
}

/// Replaces the bucket's whole tag set (PutBucketTagging has no merge).
async fn put_tags(p: &AwsProvider, bucket: &str, tags: &[(String, String)]) -> Result<(), ProviderError> {
    let s3 = p.s3().await?;
    let set: Vec<Tag> = tags
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect::<Result<_, _>>()
        .map_err(|e| ProviderError::invalid(format!("tags: {e}")))?;
    let tagging =
        Tagging::builder().set_tag_set(Some(set)).build().map_err(|e| ProviderError::invalid(format!("tags: {e}")))?;
    p.call(|| s3.put_bucket_tagging().bucket(bucket).tagging(tagging.clone()).send()).await?;
    Ok(())
}

async fn read(p: &AwsProvider, id: &str) -> Result<PropertyMap, ProviderError> {
    let s3 = p.s3().await?;
    // HeadBucket answers 404 (NotFound) for a bucket that does not exist.
    p.call(|| s3.head_bucket().bucket(id).send()).await?;
    let location = p.call(|| s3.get_bucket_location().bucket(id).send()).await?;
    // An empty constraint means us-east-1; "EU" is the legacy name of eu-west-1.
    let bucket_region = match location.location_constraint().map(|c| c.as_str()) {
        None | Some("") => "us-east-1".to_string(),
        Some("EU") => "eu-west-1".to_string(),
        Some(other) => other.to_string(),
    };
    let tags = match p.call(|| s3.get_bucket_tagging().bucket(id).send()).await {
        Ok(out) => out.tag_set().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect(),
        Err(e) if e.code == "NoSuchTagSet" => Vec::new(),
        Err(e) => return Err(e),
    };
    let region = p.region().await?;
    Ok(Outputs::new(id, region)
        .string("arn", Some(format!("arn:{}:s3:::{id}", partition(&bucket_region))))
        .string("bucket", Some(id))
        .string("bucketDomainName", Some(format!("{id}.s3.amazonaws.com")))
        .string("bucketRegionalDomainName", Some(format!("{id}.s3.{bucket_region}.amazonaws.com")))
        .string("bucketRegion", Some(bucket_region.as_str()))
        .tags(tags)
        .build())
}

// ---------------------------------------------------------------------------
// Bucket configuration resources
// ---------------------------------------------------------------------------

mod config {
    use super::*;
    use crate::provider::aws::{
        iam::{check_policy_document, policy_json},
        nested, object_list, optional_bool, optional_i32, optional_object, optional_str,
    };
    use aws_sdk_s3::types::{
        AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, BucketVersioningStatus, ExpirationStatus,
        LifecycleExpiration, LifecycleRule, LifecycleRuleFilter, MfaDelete, NoncurrentVersionExpiration,
        NoncurrentVersionTransition, PublicAccessBlockConfiguration, ServerSideEncryption,
        ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule, Transition,
        TransitionDefaultMinimumObjectSize, TransitionStorageClass, VersioningConfiguration,
    };
    use futures::future::BoxFuture;

    type Put = for<'a> fn(
        &'a AwsProvider,
        &'a CallContext,
        &'a str,
        &'a PropertyMap,
    ) -> BoxFuture<'a, Result<(), ProviderError>>;
    type Read = for<'a> fn(&'a AwsProvider, &'a str) -> BoxFuture<'a, Result<Option<PropertyMap>, ProviderError>>;
    type Delete = for<'a> fn(&'a AwsProvider, &'a str) -> BoxFuture<'a, Result<(), ProviderError>>;

    /// One configuration kind: its inputs, check and calls.
    pub(super) struct Config {
        pub(super) supported: &'static [&'static str],
        pub(super) check: fn(&PropertyMap) -> Result<(), ProviderError>,
        pub(super) put: Put,
        pub(super) read: Read,
        pub(super) delete: Delete,
    }

    /// The configuration kind of `token`; `None` for the bucket itself.
    pub(super) fn of(token: &str) -> Option<&'static Config> {
        match token {
            VERSIONING => Some(&versioning::CONFIG),
            ENCRYPTION => Some(&encryption::CONFIG),
            PUBLIC_ACCESS_BLOCK => Some(&public_access_block::CONFIG),
            LIFECYCLE => Some(&lifecycle::CONFIG),
            POLICY => Some(&policy::CONFIG),
            REPLICATION => Some(&replication::CONFIG),
            _ => None,
        }
    }

    fn build_error(what: &str) -> impl Fn(aws_smithy_types::error::operation::BuildError) -> ProviderError + '_ {
        move |e| ProviderError::invalid(format!("{what}: {e}"))
    }

    /// Refuses keys of a nested block that tapctl does not implement.
    fn only_keys(block: &PropertyMap, path: &str, allowed: &[&str]) -> Result<(), ProviderError> {
        match block.iter().find(|(k, v)| !v.is_null() && !allowed.contains(&k.as_str())) {
            Some((k, _)) => Err(ProviderError::invalid(format!("{path}.{k} is not implemented"))),
            None => Ok(()),
        }
    }

    /// Checks a known string against AWS's allowed values.
    fn one_of(value: Option<&Value>, path: &str, allowed: &[&str]) -> Result<(), ProviderError> {
        match value.filter(|v| !v.contains_unknown()).and_then(Value::as_str) {
            Some(v) if !allowed.contains(&v) => {
                Err(ProviderError::invalid(format!("{path} {v:?} is not one of {}", allowed.join(", "))))
            }
            _ => Ok(()),
        }
    }

    fn base(bucket: &str, region: &str) -> Outputs {
        Outputs::new(bucket, region).string("bucket", Some(bucket))
    }

    // -- versioning ---------------------------------------------------------

    mod versioning {
        use super::*;

        pub(in super::super) static CONFIG: Config = Config {
            supported: &["bucket", "region", "versioningConfiguration"],
            check,
            put: |p, _, bucket, inputs| Box::pin(put(p, bucket, inputs)),
            read: |p, bucket| Box::pin(read(p, bucket)),
            delete: |p, bucket| Box::pin(delete(p, bucket)),
        };

        fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
            if let Some(block) = known(inputs, "versioningConfiguration").and_then(Value::as_object) {
                only_keys(block, "versioningConfiguration", &["status", "mfaDelete"])?;
                one_of(block.get("status"), "versioningConfiguration.status", &["Enabled", "Suspended", "Disabled"])?;
                one_of(block.get("mfaDelete"), "versioningConfiguration.mfaDelete", &["Enabled", "Disabled"])?;
                if block.get("mfaDelete").and_then(Value::as_str) == Some("Enabled") {
                    // Enabling MFA delete needs the root user's MFA token (the mfa input).
                    return Err(ProviderError::invalid("versioningConfiguration.mfaDelete Enabled is not implemented"));
                }
            }
            Ok(())
        }

        async fn put(p: &AwsProvider, bucket: &str, inputs: &PropertyMap) -> Result<(), ProviderError> {
            let s3 = p.s3().await?;
            let block = optional_object(inputs, "versioningConfiguration")?
                .ok_or_else(|| ProviderError::invalid("input versioningConfiguration is required"))?;
            let status = required_str(block, "status").map_err(nested("versioningConfiguration"))?;
            if status == "Disabled" {
                // A bucket that never had versioning stays so (Terraform's
                // "Disabled"); one that had it can only be suspended.
                if read(p, bucket).await?.is_some() {
                    return Err(ProviderError::invalid(
                        "versioningConfiguration.status Disabled: versioning was enabled on this bucket once; S3 can \
                         only suspend it (use Suspended)",
                    ));
                }
                return Ok(());
            }
            let mfa = optional_str(block, "mfaDelete").map_err(nested("versioningConfiguration"))?.map(MfaDelete::from);
            let config = VersioningConfiguration::builder()
                .status(BucketVersioningStatus::from(status))
                .set_mfa_delete(mfa)
                .build();
            p.call(|| s3.put_bucket_versioning().bucket(bucket).versioning_configuration(config.clone()).send())
                .await?;
            Ok(())
        }

        pub(in super::super) async fn read(
            p: &AwsProvider,
            bucket: &str,
        ) -> Result<Option<PropertyMap>, ProviderError> {
            let s3 = p.s3().await?;
            let out = p.call(|| s3.get_bucket_versioning().bucket(bucket).send()).await?;
            // No status: versioning was never configured on the bucket.
            let Some(status) = out.status() else { return Ok(None) };
            let mut block = vec![("status", Value::from(status.as_str()))];
            if let Some(mfa) = out.mfa_delete() {
                block.push(("mfaDelete", Value::from(mfa.as_str())));
            }
            Ok(Some(base(bucket, p.region().await?).value("versioningConfiguration", Value::object(block)).build()))
        }

        async fn delete(p: &AwsProvider, bucket: &str) -> Result<(), ProviderError> {
            let s3 = p.s3().await?;
            if read(p, bucket).await?.is_none() {
                return Ok(());
            }
            let config = VersioningConfiguration::builder().status(BucketVersioningStatus::Suspended).build();
            p.call(|| s3.put_bucket_versioning().bucket(bucket).versioning_configuration(config.clone()).send())
                .await?;
            Ok(())
        }
    }

    // -- default encryption -------------------------------------------------

    mod encryption {
        use super::*;

        pub(in super::super) static CONFIG: Config = Config {
            supported: &["bucket", "region", "rules"],
            check,
            put: |p, _, bucket, inputs| Box::pin(put(p, bucket, inputs)),
            read: |p, bucket| Box::pin(read(p, bucket)),
            delete: |p, bucket| Box::pin(delete(p, bucket)),
        };

        const ALGORITHMS: &[&str] = &["AES256", "aws:kms", "aws:kms:dsse"];

        fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
            if known(inputs, "rules").is_none() {
                return Ok(());
            }
            for (i, rule) in object_list(inputs, "rules")?.into_iter().enumerate() {
                let path = format!("rules[{i}]");
                only_keys(rule, &path, &["applyServerSideEncryptionByDefault", "bucketKeyEnabled"])?;
                if let Some(by_default) = rule.get("applyServerSideEncryptionByDefault").and_then(Value::as_object) {
                    let path = format!("{path}.applyServerSideEncryptionByDefault");
                    only_keys(by_default, &path, &["sseAlgorithm", "kmsMasterKeyId"])?;
                    one_of(by_default.get("sseAlgorithm"), &format!("{path}.sseAlgorithm"), ALGORITHMS)?;
                }
            }
            Ok(())
        }

        async fn put(p: &AwsProvider, bucket: &str, inputs: &PropertyMap) -> Result<(), ProviderError> {
            let s3 = p.s3().await?;
            let mut rules = Vec::new();
            for (i, rule) in object_list(inputs, "rules")?.into_iter().enumerate() {
                let path = format!("rules[{i}]");
                let by_default =
                    match optional_object(rule, "applyServerSideEncryptionByDefault").map_err(nested(&path))? {
                        Some(d) => {
                            let path = format!("{path}.applyServerSideEncryptionByDefault");
                            Some(
                                ServerSideEncryptionByDefault::builder()
                                    .sse_algorithm(ServerSideEncryption::from(
                                        required_str(d, "sseAlgorithm").map_err(nested(&path))?,
                                    ))
                                    .set_kms_master_key_id(
                                        optional_str(d, "kmsMasterKeyId").map_err(nested(&path))?.map(str::to_string),
                                    )
                                    .build()
                                    .map_err(build_error(&path))?,
                            )
                        }
                        None => None,
                    };
                rules.push(
                    ServerSideEncryptionRule::builder()
                        .set_apply_server_side_encryption_by_default(by_default)
                        .set_bucket_key_enabled(optional_bool(rule, "bucketKeyEnabled").map_err(nested(&path))?)
                        .build(),
                );
            }
            let config = ServerSideEncryptionConfiguration::builder()
                .set_rules(Some(rules))
                .build()
                .map_err(build_error("rules"))?;
            p.call(|| {
                s3.put_bucket_encryption().bucket(bucket).server_side_encryption_configuration(config.clone()).send()
            })
            .await?;
            Ok(())
        }

        async fn read(p: &AwsProvider, bucket: &str) -> Result<Option<PropertyMap>, ProviderError> {
            let s3 = p.s3().await?;
            let out = p.call(|| s3.get_bucket_encryption().bucket(bucket).send()).await?;
            let Some(config) = out.server_side_encryption_configuration() else { return Ok(None) };
            let rules: Vec<Value> = config
                .rules()
                .iter()
                .map(|r| {
                    let mut rule = Vec::new();
                    if let Some(d) = r.apply_server_side_encryption_by_default() {
                        let mut by_default = vec![("sseAlgorithm", Value::from(d.sse_algorithm().as_str()))];
                        if let Some(key) = d.kms_master_key_id() {
                            by_default.push(("kmsMasterKeyId", Value::from(key)));
                        }
                        rule.push(("applyServerSideEncryptionByDefault", Value::object(by_default)));
                    }
                    rule.push(("bucketKeyEnabled", Value::from(r.bucket_key_enabled().unwrap_or(false))));
                    Value::object(rule)
                })
                .collect();
            Ok(Some(base(bucket, p.region().await?).value("rules", Value::Array(rules)).build()))
        }

        async fn delete(p: &AwsProvider, bucket: &str) -> Result<(), ProviderError> {
            let s3 = p.s3().await?;
            p.call(|| s3.delete_bucket_encryption().bucket(bucket).send()).await?;
            Ok(())
        }
    }

    // -- public access block ------------------------------------------------

    mod public_access_block {
        use super::*;

        const FLAGS: [&str; 4] = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];

        pub(in super::super) static CONFIG: Config = Config {
            supported: &[
                "blockPublicAcls",
                "blockPublicPolicy",
                "bucket",
                "ignorePublicAcls",
                "region",
                "restrictPublicBuckets",
            ],
            check: |_| Ok(()),
            put: |p, _, bucket, inputs| Box::pin(put(p, bucket, inputs)),
            read: |p, bucket| Box::pin(read(p, bucket)),
            delete: |p, bucket| Box::pin(delete(p, bucket)),
        };

        async fn put(p: &AwsProvider, bucket: &str, inputs: &PropertyMap) -> Result<(), ProviderError> {
            let s3 = p.s3().await?;
            // Unset flags are false, as in pulumi-aws.
            let flag = |k: &str| optional_bool(inputs, k).map(|b| b.unwrap_or(false));
            let config = PublicAccessBlockConfiguration::builder()
                .block_public_acls(flag(FLAGS[0])?)
                .block_public_policy(flag(FLAGS[1])?)
                .ignore_public_acls(flag(FLAGS[2])?)
                .restrict_public_buckets(flag(FLAGS[3])?)
                .build();
            p.call(|| {
                s3.put_public_access_block().bucket(bucket).public_access_block_configuration(config.clone()).send()
            })
            .await?;
            Ok(())
        }

        async fn read(p: &AwsProvider, bucket: &str) -> Result<Option<PropertyMap>, ProviderError> {
            let s3 = p.s3().await?;
            let out = p.call(|| s3.get_public_access_block().bucket(bucket).send()).await?;
            let Some(c) = out.public_access_block_configuration() else { return Ok(None) };
            let values =
                [c.block_public_acls(), c.block_public_policy(), c.ignore_public_acls(), c.restrict_public_buckets()];
            let mut outputs = base(bucket, p.region().await?);
            for (name, value) in FLAGS.iter().zip(values) {
                outputs = outputs.bool(name, Some(value.unwrap_or(false)));
            }
            Ok(Some(outputs.build()))
        }

        async fn delete(p: &AwsProvider, bucket: &str) -> Result<(), ProviderError> {
            let s3 = p.s3().await?;
            p.call(|| s3.delete_public_access_block().bucket(bucket).send()).await?;
            Ok(())
        }
    }

    // -- policy -------------------------------------------------------------

    mod policy {
        use super::*;

        pub(in super::super) static CONFIG: Config = Config {
            supported: &["bucket", "policy", "region"],
            check: |inputs| check_policy_document(inputs, "policy"),
            put: |p, ctx, bucket, inputs| Box::pin(put(p, ctx, bucket, inputs)),
            read: |p, bucket| Box::pin(read(p, bucket)),
            delete: |p, bucket| Box::pin(delete(p, bucket)),
        };

        async fn put(
            p: &AwsProvider,
            ctx: &CallContext,
            bucket: &str,
            inputs: &PropertyMap,
        ) -> Result<(), ProviderError> {
            let s3 = p.s3().await?;
            let policy = required_str(inputs, "policy")?;
            // A principal created a moment ago can be unknown to S3 for a while.
            crate::provider::aws::iam::tolerating_message(
                p,
                crate::provider::aws::window(p, ctx),
                "MalformedPolicy",
                "principal",
                || s3.put_bucket_policy().bucket(bucket).policy(policy).send(),
            )
            .await?;
            Ok(())
        }

        async fn read(p: &AwsProvider, bucket: &str) -> Result<Option<PropertyMap>, ProviderError> {
            let s3 = p.s3().await?;
            let out = p.call(|| s3.get_bucket_policy().bucket(bucket).send()).await?;
            let Some(policy) = out.policy() else { return Ok(None) };
            Ok(Some(base(bucket, p.region().await?).string("policy", Some(policy_json(policy))).build()))
        }

        async fn delete(p: &AwsProvider, bucket: &str) -> Result<(), ProviderError> {
            let s3 = p.s3().await?;
            p.call(|| s3.delete_bucket_policy().bucket(bucket).send()).await?;
            Ok(())
        }
    }

    // -- replication --------------------------------------------------------

    /// Replication to other buckets (S3 wants versioning on both sides). A
    /// rule's `filter` is a prefix or a tag; `deleteMarkerReplication`,
    /// destination storage class and replica KMS key are implemented.
    mod replication {
        use super::*;
        use aws_sdk_s3::types::{
            DeleteMarkerReplication, DeleteMarkerReplicationStatus, Destination, EncryptionConfiguration,
            ReplicationConfiguration, ReplicationRule, ReplicationRuleFilter, ReplicationRuleStatus, StorageClass,
        };

        pub(in super::super) static CONFIG: Config = Config {
            supported: &["bucket", "region", "role", "rules"],
            check,
            put: |p, ctx, bucket, inputs| Box::pin(put(p, ctx, bucket, inputs)),
            read: |p, bucket| Box::pin(read(p, bucket)),
            delete: |p, bucket| Box::pin(delete(p, bucket)),
        };

        fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
            if known(inputs, "rules").is_none() {
                return Ok(());
            }
            for (i, rule) in object_list(inputs, "rules")?.into_iter().enumerate() {
                let path = format!("rules[{i}]");
                only_keys(
                    rule,
                    &path,
                    &["deleteMarkerReplication", "destination", "filter", "id", "priority", "status"],
                )?;
                one_of(rule.get("status"), &format!("{path}.status"), &["Enabled", "Disabled"])?;
                if let Some(f) = rule.get("filter").and_then(Value::as_object) {
                    only_keys(f, &format!("{path}.filter"), &["prefix", "tag"])?;
                }
                match rule.get("destination").and_then(Value::as_object) {
                    Some(d) => only_keys(
                        d,
                        &format!("{path}.destination"),
                        &["bucket", "encryptionConfiguration", "storageClass"],
                    )?,
                    None if !rule.get("destination").is_some_and(Value::contains_unknown) => {
                        return Err(ProviderError::invalid(format!("{path}.destination is required")))
                    }
                    None => {}
                }
            }
            Ok(())
        }

        fn rule(r: &PropertyMap) -> Result<ReplicationRule, ProviderError> {
            let d = optional_object(r, "destination")?
                .ok_or_else(|| ProviderError::invalid("input destination is required"))?;
            let nest = nested("destination");
            let encryption = match optional_object(d, "encryptionConfiguration").map_err(&nest)? {
                Some(e) => Some(
                    EncryptionConfiguration::builder()
                        .set_replica_kms_key_id(
                            optional_str(e, "replicaKmsKeyId")
                                .map_err(nested("destination.encryptionConfiguration"))?
                                .map(str::to_string),
                        )
                        .build(),
                ),
                None => None,
            };
            let destination = Destination::builder()
                .bucket(required_str(d, "bucket").map_err(&nest)?)
                .set_storage_class(optional_str(d, "storageClass").map_err(&nest)?.map(StorageClass::from))
                .set_encryption_configuration(encryption)
                .build()
                .map_err(build_error("destination"))?;
            let filter = match optional_object(r, "filter")? {
                Some(f) => {
                    let tag = match optional_object(f, "tag").map_err(nested("filter"))? {
                        Some(t) => Some(
                            aws_sdk_s3::types::Tag::builder()
                                .key(required_str(t, "key").map_err(nested("filter.tag"))?)
                                .value(required_str(t, "value").map_err(nested("filter.tag"))?)
                                .build()
                                .map_err(build_error("filter.tag"))?,
                        ),
                        None => None,
                    };
                    ReplicationRuleFilter::builder()
                        .set_prefix(optional_str(f, "prefix").map_err(nested("filter"))?.map(str::to_string))
                        .set_tag(tag)
                        .build()
                }
                None => ReplicationRuleFilter::builder().prefix("").build(),
            };
            let marker = match optional_object(r, "deleteMarkerReplication")? {
                Some(m) => required_str(m, "status").map_err(nested("deleteMarkerReplication"))?,
                None => "Disabled",
            };
            ReplicationRule::builder()
                .set_id(optional_str(r, "id")?.map(str::to_string))
                .set_priority(optional_i32(r, "priority")?)
                .status(ReplicationRuleStatus::from(required_str(r, "status")?))
                .filter(filter)
                .destination(destination)
                .delete_marker_replication(
                    DeleteMarkerReplication::builder().status(DeleteMarkerReplicationStatus::from(marker)).build(),
                )
                .build()
                .map_err(build_error("rule"))
        }

        async fn put(
            p: &AwsProvider,
            ctx: &CallContext,
            bucket: &str,
            inputs: &PropertyMap,
        ) -> Result<(), ProviderError> {
            let s3 = p.s3().await?;
            let rules = object_list(inputs, "rules")?
                .into_iter()
                .enumerate()
                .map(|(i, r)| rule(r).map_err(nested(&format!("rules[{i}]"))))
                .collect::<Result<Vec<_>, _>>()?;
            let config = ReplicationConfiguration::builder()
                .role(required_str(inputs, "role")?)
                .set_rules(Some(rules))
                .build()
                .map_err(build_error("rules"))?;
            // A role created a moment ago can be unknown to S3 for a while.
            crate::provider::aws::iam::tolerating_message(
                p,
                crate::provider::aws::window(p, ctx),
                "InvalidArgument",
                "role",
                || s3.put_bucket_replication().bucket(bucket).replication_configuration(config.clone()).send(),
            )
            .await?;
            Ok(())
        }

        async fn read(p: &AwsProvider, bucket: &str) -> Result<Option<PropertyMap>, ProviderError> {
            let s3 = p.s3().await?;
            let out = p.call(|| s3.get_bucket_replication().bucket(bucket).send()).await?;
            let Some(c) = out.replication_configuration() else { return Ok(None) };
            let rules: Vec<Value> = c
                .rules()
                .iter()
                .map(|r| {
                    let mut rule: Vec<(&str, Value)> = vec![("status", Value::from(r.status().as_str()))];
                    if let Some(id) = r.id() {
                        rule.push(("id", Value::from(id)));
                    }
                    if let Some(n) = r.priority() {
                        rule.push(("priority", Value::from(n)));
                    }
                    if let Some(f) = r.filter() {
                        let mut filter: Vec<(&str, Value)> = Vec::new();
                        if let Some(prefix) = f.prefix().filter(|p| !p.is_empty()) {
                            filter.push(("prefix", Value::from(prefix)));
                        }
                        if let Some(t) = f.tag() {
                            filter.push(("tag", Value::object([("key", t.key()), ("value", t.value())])));
                        }
                        rule.push(("filter", Value::object(filter)));
                    }
                    if let Some(d) = r.destination() {
                        let mut dest: Vec<(&str, Value)> = vec![("bucket", Value::from(d.bucket()))];
                        if let Some(c) = d.storage_class() {
                            dest.push(("storageClass", Value::from(c.as_str())));
                        }
                        if let Some(k) = d.encryption_configuration().and_then(|e| e.replica_kms_key_id()) {
                            dest.push(("encryptionConfiguration", Value::object([("replicaKmsKeyId", k)])));
                        }
                        rule.push(("destination", Value::object(dest)));
                    }
                    if let Some(m) = r.delete_marker_replication().and_then(|m| m.status()) {
                        rule.push(("deleteMarkerReplication", Value::object([("status", m.as_str())])));
                    }
                    Value::object(rule)
                })
                .collect();
            Ok(Some(
                base(bucket, p.region().await?)
                    .string("role", Some(c.role()))
                    .value("rules", Value::Array(rules))
                    .build(),
            ))
        }

        async fn delete(p: &AwsProvider, bucket: &str) -> Result<(), ProviderError> {
            let s3 = p.s3().await?;
            p.call(|| s3.delete_bucket_replication().bucket(bucket).send()).await?;
            Ok(())
        }
    }

    // -- lifecycle ----------------------------------------------------------

    pub(super) mod lifecycle {
        use super::*;

        pub(in super::super) static CONFIG: Config = Config {
            supported: &["bucket", "region", "rules", "transitionDefaultMinimumObjectSize"],
            check,
            put: |p, _, bucket, inputs| Box::pin(put(p, bucket, inputs)),
            read: |p, bucket| Box::pin(read(p, bucket)),
            delete: |p, bucket| Box::pin(delete(p, bucket)),
        };

        const RULE_KEYS: &[&str] = &[
            "abortIncompleteMultipartUpload",
            "expiration",
            "filter",
            "id",
            "noncurrentVersionExpiration",
            "noncurrentVersionTransitions",
            "status",
            "transitions",
        ];
        const STORAGE_CLASSES: &[&str] =
            &["DEEP_ARCHIVE", "GLACIER", "GLACIER_IR", "INTELLIGENT_TIERING", "ONEZONE_IA", "STANDARD_IA"];
        const MIN_SIZES: &[&str] = &["all_storage_classes_128K", "varies_by_storage_class"];

        pub(in super::super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
            one_of(inputs.get("transitionDefaultMinimumObjectSize"), "transitionDefaultMinimumObjectSize", MIN_SIZES)?;
            if known(inputs, "rules").is_none() {
                return Ok(());
            }
            let rules = object_list(inputs, "rules")?;
            if rules.is_empty() {
                return Err(ProviderError::invalid("rules must hold at least one rule"));
            }
            for (i, rule) in rules.into_iter().enumerate() {
                let path = format!("rules[{i}]");
                only_keys(rule, &path, RULE_KEYS)?;
                if !rule.contains_key("id") || !rule.contains_key("status") {
                    return Err(ProviderError::invalid(format!("{path} needs id and status")));
                }
                one_of(rule.get("status"), &format!("{path}.status"), &["Enabled", "Disabled"])?;
                if let Some(filter) = rule.get("filter").and_then(Value::as_object) {
                    only_keys(
                        filter,
                        &format!("{path}.filter"),
                        &["objectSizeGreaterThan", "objectSizeLessThan", "prefix", "tag"],
                    )?;
                }
                if let Some(e) = rule.get("expiration").and_then(Value::as_object) {
                    only_keys(e, &format!("{path}.expiration"), &["days", "expiredObjectDeleteMarker"])?;
                }
                if let Some(e) = rule.get("noncurrentVersionExpiration").and_then(Value::as_object) {
                    only_keys(
                        e,
                        &format!("{path}.noncurrentVersionExpiration"),
                        &["newerNoncurrentVersions", "noncurrentDays"],
                    )?;
                }
                for (j, t) in object_list(rule, "transitions").map_err(nested(&path))?.into_iter().enumerate() {
                    let path = format!("{path}.transitions[{j}]");
                    only_keys(t, &path, &["days", "storageClass"])?;
                    one_of(t.get("storageClass"), &format!("{path}.storageClass"), STORAGE_CLASSES)?;
                }
                for (j, t) in
                    object_list(rule, "noncurrentVersionTransitions").map_err(nested(&path))?.into_iter().enumerate()
                {
                    let path = format!("{path}.noncurrentVersionTransitions[{j}]");
                    only_keys(t, &path, &["newerNoncurrentVersions", "noncurrentDays", "storageClass"])?;
                    one_of(t.get("storageClass"), &format!("{path}.storageClass"), STORAGE_CLASSES)?;
                }
            }
            Ok(())
        }

        fn optional_i64(inputs: &PropertyMap, name: &str) -> Result<Option<i64>, ProviderError> {
            match inputs.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => match v.as_f64().or_else(|| v.as_str()?.parse().ok()) {
                    Some(n) if n.fract() == 0.0 && n >= 0.0 => Ok(Some(n as i64)),
                    _ => Err(ProviderError::invalid(format!("input {name} must be a whole number of bytes"))),
                },
            }
        }

        fn filter(f: &PropertyMap) -> Result<LifecycleRuleFilter, ProviderError> {
            let tag = match optional_object(f, "tag")? {
                Some(t) => Some(
                    aws_sdk_s3::types::Tag::builder()
                        .key(required_str(t, "key").map_err(nested("tag"))?)
                        .value(required_str(t, "value").map_err(nested("tag"))?)
                        .build()
                        .map_err(build_error("tag"))?,
                ),
                None => None,
            };
            Ok(LifecycleRuleFilter::builder()
                .set_prefix(optional_str(f, "prefix")?.map(str::to_string))
                .set_tag(tag)
                .set_object_size_greater_than(optional_i64(f, "objectSizeGreaterThan")?)
                .set_object_size_less_than(optional_i64(f, "objectSizeLessThan")?)
                .build())
        }

        fn rule(r: &PropertyMap) -> Result<LifecycleRule, ProviderError> {
            let id = required_str(r, "id")?;
            // A rule needs a filter or a prefix; no filter means the whole bucket.
            let filter = match optional_object(r, "filter")? {
                Some(f) => filter(f).map_err(nested("filter"))?,
                None => LifecycleRuleFilter::builder().prefix("").build(),
            };
            let mut rule = LifecycleRule::builder()
                .id(id)
                .status(ExpirationStatus::from(required_str(r, "status")?))
                .filter(filter);
            for t in object_list(r, "transitions")? {
                rule = rule.transitions(
                    Transition::builder()
                        .set_days(optional_i32(t, "days").map_err(nested("transitions[]"))?)
                        .storage_class(TransitionStorageClass::from(
                            required_str(t, "storageClass").map_err(nested("transitions[]"))?,
                        ))
                        .build(),
                );
            }
            for t in object_list(r, "noncurrentVersionTransitions")? {
                let nest = nested("noncurrentVersionTransitions[]");
                rule = rule.noncurrent_version_transitions(
                    NoncurrentVersionTransition::builder()
                        .set_noncurrent_days(optional_i32(t, "noncurrentDays").map_err(&nest)?)
                        .set_newer_noncurrent_versions(optional_i32(t, "newerNoncurrentVersions").map_err(&nest)?)
                        .storage_class(TransitionStorageClass::from(required_str(t, "storageClass").map_err(&nest)?))
                        .build(),
                );
            }
            if let Some(e) = optional_object(r, "expiration")? {
                rule = rule.expiration(
                    LifecycleExpiration::builder()
                        .set_days(optional_i32(e, "days").map_err(nested("expiration"))?)
                        .set_expired_object_delete_marker(
                            optional_bool(e, "expiredObjectDeleteMarker").map_err(nested("expiration"))?,
                        )
                        .build(),
                );
            }
            if let Some(e) = optional_object(r, "noncurrentVersionExpiration")? {
                let nest = nested("noncurrentVersionExpiration");
                rule = rule.noncurrent_version_expiration(
                    NoncurrentVersionExpiration::builder()
                        .set_noncurrent_days(optional_i32(e, "noncurrentDays").map_err(&nest)?)
                        .set_newer_noncurrent_versions(optional_i32(e, "newerNoncurrentVersions").map_err(&nest)?)
                        .build(),
                );
            }
            if let Some(a) = optional_object(r, "abortIncompleteMultipartUpload")? {
                let days = optional_i32(a, "daysAfterInitiation").map_err(nested("abortIncompleteMultipartUpload"))?;
                rule = rule.abort_incomplete_multipart_upload(
                    AbortIncompleteMultipartUpload::builder().set_days_after_initiation(days).build(),
                );
            }
            rule.build().map_err(build_error(id))
        }

        async fn put(p: &AwsProvider, bucket: &str, inputs: &PropertyMap) -> Result<(), ProviderError> {
            let s3 = p.s3().await?;
            let rules = object_list(inputs, "rules")?
                .into_iter()
                .enumerate()
                .map(|(i, r)| rule(r).map_err(nested(&format!("rules[{i}]"))))
                .collect::<Result<Vec<_>, _>>()?;
            let config =
                BucketLifecycleConfiguration::builder().set_rules(Some(rules)).build().map_err(build_error("rules"))?;
            let min_size = optional_str(inputs, "transitionDefaultMinimumObjectSize")?
                .map(TransitionDefaultMinimumObjectSize::from);
            p.call(|| {
                s3.put_bucket_lifecycle_configuration()
                    .bucket(bucket)
                    .lifecycle_configuration(config.clone())
                    .set_transition_default_minimum_object_size(min_size.clone())
                    .send()
            })
            .await?;
            Ok(())
        }

        fn num(n: i32) -> Value {
            Value::from(n)
        }

        fn rule_output(r: &LifecycleRule) -> Value {
            let mut out: Vec<(&str, Value)> = vec![("status", Value::from(r.status().as_str()))];
            if let Some(id) = r.id() {
                out.push(("id", Value::from(id)));
            }
            if let Some(f) = r.filter() {
                let mut filter: Vec<(&str, Value)> = Vec::new();
                if let Some(prefix) = f.prefix().filter(|p| !p.is_empty()) {
                    filter.push(("prefix", Value::from(prefix)));
                }
                if let Some(t) = f.tag() {
                    filter.push(("tag", Value::object([("key", t.key()), ("value", t.value())])));
                }
                if let Some(n) = f.object_size_greater_than() {
                    filter.push(("objectSizeGreaterThan", Value::from(n)));
                }
                if let Some(n) = f.object_size_less_than() {
                    filter.push(("objectSizeLessThan", Value::from(n)));
                }
                out.push(("filter", Value::object(filter)));
            }
            if !r.transitions().is_empty() {
                let ts = r.transitions().iter().map(|t| {
                    let mut v = Vec::new();
                    if let Some(d) = t.days() {
                        v.push(("days", num(d)));
                    }
                    if let Some(c) = t.storage_class() {
                        v.push(("storageClass", Value::from(c.as_str())));
                    }
                    Value::object(v)
                });
                out.push(("transitions", Value::Array(ts.collect())));
            }
            if !r.noncurrent_version_transitions().is_empty() {
                let ts = r.noncurrent_version_transitions().iter().map(|t| {
                    let mut v = Vec::new();
                    if let Some(d) = t.noncurrent_days() {
                        v.push(("noncurrentDays", num(d)));
                    }
                    if let Some(n) = t.newer_noncurrent_versions() {
                        v.push(("newerNoncurrentVersions", num(n)));
                    }
                    if let Some(c) = t.storage_class() {
                        v.push(("storageClass", Value::from(c.as_str())));
                    }
                    Value::object(v)
                });
                out.push(("noncurrentVersionTransitions", Value::Array(ts.collect())));
            }
            if let Some(e) = r.expiration() {
                let mut v = Vec::new();
                if let Some(d) = e.days() {
                    v.push(("days", num(d)));
                }
                if let Some(m) = e.expired_object_delete_marker() {
                    v.push(("expiredObjectDeleteMarker", Value::from(m)));
                }
                out.push(("expiration", Value::object(v)));
            }
            if let Some(e) = r.noncurrent_version_expiration() {
                let mut v = Vec::new();
                if let Some(d) = e.noncurrent_days() {
                    v.push(("noncurrentDays", num(d)));
                }
                if let Some(n) = e.newer_noncurrent_versions() {
                    v.push(("newerNoncurrentVersions", num(n)));
                }
                out.push(("noncurrentVersionExpiration", Value::object(v)));
            }
            if let Some(d) = r.abort_incomplete_multipart_upload().and_then(|a| a.days_after_initiation()) {
                out.push(("abortIncompleteMultipartUpload", Value::object([("daysAfterInitiation", num(d))])));
            }
            Value::object(out)
        }

        async fn read(p: &AwsProvider, bucket: &str) -> Result<Option<PropertyMap>, ProviderError> {
            let s3 = p.s3().await?;
            let out = p.call(|| s3.get_bucket_lifecycle_configuration().bucket(bucket).send()).await?;
            let rules: Vec<Value> = out.rules().iter().map(rule_output).collect();
            Ok(Some(
                base(bucket, p.region().await?)
                    .value("rules", Value::Array(rules))
                    .string(
                        "transitionDefaultMinimumObjectSize",
                        out.transition_default_minimum_object_size().map(|s| s.as_str()),
                    )
                    .build(),
            ))
        }

        async fn delete(p: &AwsProvider, bucket: &str) -> Result<(), ProviderError> {
            let s3 = p.s3().await?;
            p.call(|| s3.delete_bucket_lifecycle().bucket(bucket).send()).await?;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::provider::aws::map;

    #[test]
    fn configuration_checks_refuse_what_is_not_implemented() {
        let rule = |extra: Vec<(&str, Value)>| {
            let mut r = vec![("id", Value::from("r")), ("status", Value::from("Enabled"))];
            r.extend(extra);
            map(vec![("bucket", "b".into()), ("rules", Value::Array(vec![Value::object(r)]))])
        };
        assert!(S3.check(LIFECYCLE, &rule(vec![])).is_ok());
        let glacier =
            Value::Array(vec![Value::object([("days", Value::from(90)), ("storageClass", "GLACIER".into())])]);
        assert!(S3.check(LIFECYCLE, &rule(vec![("transitions", glacier)])).is_ok());
        let bad = Value::Array(vec![Value::object([("days", Value::from(90)), ("storageClass", "TAPE".into())])]);
        let e = S3.check(LIFECYCLE, &rule(vec![("transitions", bad)])).unwrap_err();
        assert!(e.message.contains("rules[0].transitions[0].storageClass"), "{}", e.message);
        let dated = Value::Array(vec![Value::object([("date", "2030-01-01T00:00:00Z")])]);
        let e = S3.check(LIFECYCLE, &rule(vec![("transitions", dated)])).unwrap_err();
        assert!(e.message.contains("transitions[0].date is not implemented"), "{}", e.message);
        let versioning = |status: &str| {
            map(vec![("bucket", "b".into()), ("versioningConfiguration", Value::object([("status", status)]))])
        };
        assert!(S3.check(VERSIONING, &versioning("Enabled")).is_ok());
        assert!(S3.check(VERSIONING, &versioning("On")).is_err());
        let policy = |doc: &str| map(vec![("bucket", "b".into()), ("policy", doc.into())]);
        assert!(S3.check(POLICY, &policy("{}")).is_ok());
        assert!(S3.check(POLICY, &policy("[1]")).is_err());
    }

    #[test]
    fn bucket_names() {
        assert!(check_name("tap-dev-artifacts").is_ok());
        assert!(check_name("ab").is_err());
        assert!(check_name("Tap").is_err());
        assert!(check_name("a..b").is_err());
        assert!(check_name("192.168.1.1").is_err());
        assert!(check_name("-ab").is_err());
    }
}
