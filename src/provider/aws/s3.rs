//! S3 kind: bucket (name and tags).
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

use async_trait::async_trait;
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration, Tag, Tagging};

use super::{
    after_create, found, gone_is_ok, known, partition, read_created, read_updated, reject_unsupported, required_str,
    tag_changes, tags_for_create, AwsProvider, Outputs, Service,
};
use crate::model::{PropertyMap, Value};
use crate::provider::{CallContext, Created, ProviderError};

const BUCKET: &str = "aws:s3/bucket:Bucket";

/// The S3 service module.
pub(crate) struct S3;

const SUPPORTED: &[&str] = &["bucket", "region", "tags"];

#[async_trait]
impl Service for S3 {
    fn tokens(&self) -> &'static [&'static str] {
        &[BUCKET]
    }

    fn check(&self, token: &str, inputs: &PropertyMap) -> Result<(), ProviderError> {
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

    async fn read(&self, p: &AwsProvider, _ctx: &CallContext, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        found(read(p, id).await)
    }

    async fn update(
        &self,
        p: &AwsProvider,
        ctx: &CallContext,
        id: &str,
        old: &PropertyMap,
        new: &PropertyMap,
    ) -> Result<PropertyMap, ProviderError> {
        // Tags are all that changes in place (bucket is force-new).
        if !tag_changes(ctx, old, new)?.is_empty() {
            put_tags(p, id, &tags_for_create(ctx, new)?).await?;
        }
        read_updated(self, p, ctx, id).await
    }

    async fn delete(
        &self,
        p: &AwsProvider,
        _ctx: &CallContext,
        id: &str,
        _outputs: &PropertyMap,
    ) -> Result<(), ProviderError> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
