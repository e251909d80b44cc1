//! Secrets Manager kind: secret (the container; its value is a separate
//! `SecretVersion` resource in pulumi-aws, which tapctl does not need: the
//! database's master secret is AWS's own).
//!
//! **Deletion.** `delete` schedules the deletion after
//! `recoveryWindowInDays` (7 to 30, default 30), or deletes at once with 0;
//! a secret scheduled for deletion reads as gone. The window only matters at
//! deletion, which sees recorded outputs alone, and `read` must rebuild those
//! from AWS; AWS does not record the window until deletion is scheduled, so
//! tapctl keeps it in a tag of its own on the secret, [`RECOVERY_WINDOW_TAG`],
//! kept out of `tags`/`tagsAll`. A secret without it gets AWS's default of
//! 30 days. The window matters beyond recovery: a secret's name stays taken
//! until it is really deleted, so a replacement under the same name needs 0.
//!
//! Outputs deliberately left out: `forceOverwriteReplicaSecret`, a request
//! option AWS does not record.

use async_trait::async_trait;
use aws_sdk_secretsmanager::types::Tag;

use super::iam::{autoname, owned_by};
use super::{
    after_create, check_kind, found, gone_is_ok, known, missing_field, optional_i32, optional_str, read_created,
    read_updated, tag_changes, tags_for_create, AwsProvider, Outputs, Service,
};
use crate::model::{PropertyMap, Value};
use crate::provider::{CallContext, Created, ProviderError};

const SECRET: &str = "aws:secretsmanager/secret:Secret";

/// The tag in which tapctl keeps a secret's `recoveryWindowInDays`.
pub const RECOVERY_WINDOW_TAG: &str = "tapctl:recovery-window-days";

/// AWS's default recovery window.
const DEFAULT_WINDOW: i32 = 30;

/// The id is the secret's ARN.
const SUPPORTED: &[&str] = &["description", "kmsKeyId", "name", "namePrefix", "recoveryWindowInDays", "region", "tags"];

/// The Secrets Manager service module.
pub(crate) struct SecretsManager;

#[async_trait]
impl Service for SecretsManager {
    fn tokens(&self) -> &'static [&'static str] {
        &[SECRET]
    }

    fn check(&self, token: &str, inputs: &PropertyMap) -> Result<(), ProviderError> {
        check_kind(token, inputs, SUPPORTED, check)
    }

    async fn create(&self, p: &AwsProvider, ctx: &CallContext, inputs: &PropertyMap) -> Result<Created, ProviderError> {
        let id = create(p, ctx, inputs).await?;
        read_created(self, p, ctx, id).await
    }

    async fn read(&self, p: &AwsProvider, _ctx: &CallContext, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        found(read(p, id).await).map(Option::flatten)
    }

    async fn update(
        &self,
        p: &AwsProvider,
        ctx: &CallContext,
        id: &str,
        old: &PropertyMap,
        new: &PropertyMap,
    ) -> Result<PropertyMap, ProviderError> {
        update(p, ctx, id, old, new).await?;
        read_updated(self, p, ctx, id).await
    }

    async fn delete(
        &self,
        p: &AwsProvider,
        _ctx: &CallContext,
        id: &str,
        outputs: &PropertyMap,
    ) -> Result<(), ProviderError> {
        gone_is_ok(delete(p, id, outputs).await)
    }
}

fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
    let set = |k: &str| inputs.get(k).is_some_and(|v| !v.is_null());
    if set("name") && set("namePrefix") {
        return Err(ProviderError::invalid("set only one of name and namePrefix"));
    }
    for key in ["name", "namePrefix"] {
        let Some(name) = known(inputs, key).and_then(Value::as_str) else { continue };
        let valid = name.chars().all(|c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c));
        if name.is_empty() || name.chars().count() > 512 || !valid {
            return Err(ProviderError::invalid(format!(
                "{key} {name:?} must have 1 to 512 letters, digits or /_+=.@- characters"
            )));
        }
    }
    if known(inputs, "recoveryWindowInDays").is_some() {
        let days = optional_i32(inputs, "recoveryWindowInDays")?.unwrap_or(DEFAULT_WINDOW);
        if days != 0 && !(7..=30).contains(&days) {
            return Err(ProviderError::invalid(format!(
                "recoveryWindowInDays must be 0 (delete at once) or 7 to 30, got {days}"
            )));
        }
    }
    if let Some(tags) = known(inputs, "tags").and_then(Value::as_object) {
        if tags.contains_key(RECOVERY_WINDOW_TAG) {
            return Err(ProviderError::invalid(format!("tag {RECOVERY_WINDOW_TAG} is reserved for tapctl")));
        }
    }
    Ok(())
}

fn sdk_tags(pairs: &[(String, String)]) -> Vec<Tag> {
    pairs.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

fn window_tag(inputs: &PropertyMap) -> Result<(String, String), ProviderError> {
    let days = optional_i32(inputs, "recoveryWindowInDays")?.unwrap_or(DEFAULT_WINDOW);
    Ok((RECOVERY_WINDOW_TAG.to_string(), days.to_string()))
}

async fn create(p: &AwsProvider, ctx: &CallContext, inputs: &PropertyMap) -> Result<String, ProviderError> {
    let sm = p.secretsmanager().await?;
    let name = match optional_str(inputs, "name")? {
        Some(name) => name.to_string(),
        None => autoname(ctx, optional_str(inputs, "namePrefix")?, 512),
    };
    let description = optional_str(inputs, "description")?.map(str::to_string);
    let kms_key_id = optional_str(inputs, "kmsKeyId")?.map(str::to_string);
    let mut tags = tags_for_create(ctx, inputs)?;
    tags.push(window_tag(inputs)?);
    let tags = sdk_tags(&tags);
    let created = p
        .call(|| {
            sm.create_secret()
                .name(&name)
                .set_description(description.clone())
                .set_kms_key_id(kms_key_id.clone())
                .set_tags(Some(tags.clone()))
                .send()
        })
        .await;
    match created {
        Ok(out) => out.arn().map(str::to_string).ok_or_else(|| missing_field("CreateSecret", "ARN")),
        Err(e) if e.code == "ResourceExistsException" => {
            // DescribeSecret takes a name as well as an ARN.
            match read(p, &name).await? {
                Some(existing) if owned_by(ctx, &existing) => {
                    let arn = existing.get("arn").and_then(Value::as_str).map(str::to_string).ok_or(e)?;
                    update(p, ctx, &arn, &existing, inputs).await.map_err(after_create(&arn, "adopting it"))?;
                    Ok(arn)
                }
                _ => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
    let sm = p.secretsmanager().await?;
    let s = p.call(|| sm.describe_secret().secret_id(id).send()).await?;
    // A secret scheduled for deletion is gone for the program's purposes.
    if s.deleted_date().is_some() {
        return Ok(None);
    }
    let arn = s.arn().ok_or_else(|| missing_field("DescribeSecret", "ARN"))?;
    let mut tags: Vec<(String, String)> = s
        .tags()
        .iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string())))
        .collect();
    let window = tags.iter().find(|(k, _)| k == RECOVERY_WINDOW_TAG).and_then(|(_, v)| v.parse::<i64>().ok());
    tags.retain(|(k, _)| k != RECOVERY_WINDOW_TAG);
    Ok(Some(
        Outputs::new(arn, p.region().await?)
            .string("arn", Some(arn))
            .string("name", s.name())
            .string("description", s.description().filter(|d| !d.is_empty()))
            .string("kmsKeyId", s.kms_key_id())
            .int("recoveryWindowInDays", window)
            .tags(tags)
            .build(),
    ))
}

async fn update(
    p: &AwsProvider,
    ctx: &CallContext,
    id: &str,
    old: &PropertyMap,
    new: &PropertyMap,
) -> Result<(), ProviderError> {
    let sm = p.secretsmanager().await?;
    let old_str = |k: &str| old.get(k).and_then(Value::as_str);
    let description = optional_str(new, "description")?.unwrap_or_default();
    let kms_key_id = optional_str(new, "kmsKeyId")?;
    let description_changed = old_str("description").unwrap_or_default() != description;
    let key_changed = old_str("kmsKeyId") != kms_key_id;
    if description_changed || key_changed {
        // An empty description clears it; no key means the AWS managed one.
        let key = if key_changed { Some(kms_key_id.unwrap_or("alias/aws/secretsmanager").to_string()) } else { None };
        p.call(|| sm.update_secret().secret_id(id).description(description).set_kms_key_id(key.clone()).send()).await?;
    }
    let mut changes = tag_changes(ctx, old, new)?;
    let wanted = window_tag(new)?;
    if old.get("recoveryWindowInDays").and_then(Value::as_f64).map(|d| (d as i64).to_string()) != Some(wanted.1.clone())
    {
        changes.set.push(wanted);
    }
    if !changes.remove.is_empty() {
        p.call(|| sm.untag_resource().secret_id(id).set_tag_keys(Some(changes.remove.clone())).send()).await?;
    }
    if !changes.set.is_empty() {
        let tags = sdk_tags(&changes.set);
        p.call(|| sm.tag_resource().secret_id(id).set_tags(Some(tags.clone())).send()).await?;
    }
    Ok(())
}

async fn delete(p: &AwsProvider, id: &str, outputs: &PropertyMap) -> Result<(), ProviderError> {
    let sm = p.secretsmanager().await?;
    // Deleting a secret already scheduled for deletion is refused; it is gone.
    let s = p.call(|| sm.describe_secret().secret_id(id).send()).await?;
    if s.deleted_date().is_some() {
        return Ok(());
    }
    let days = outputs.get("recoveryWindowInDays").and_then(Value::as_f64).map_or(DEFAULT_WINDOW, |d| d as i32);
    let request = || {
        let req = sm.delete_secret().secret_id(id);
        if days == 0 { req.force_delete_without_recovery(true) } else { req.recovery_window_in_days(i64::from(days)) }
            .send()
    };
    p.call(request).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: Vec<(&str, Value)>) -> PropertyMap {
        pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }

    #[test]
    fn checks() {
        let ok = map(vec![("name", "tap/dev/api-key".into()), ("recoveryWindowInDays", 0.into())]);
        assert!(SecretsManager.check(SECRET, &ok).is_ok());
        assert!(SecretsManager.check(SECRET, &map(vec![("recoveryWindowInDays", 3.into())])).is_err());
        assert!(SecretsManager.check(SECRET, &map(vec![("name", "a b".into())])).is_err());
        assert!(SecretsManager
            .check(SECRET, &map(vec![("replicas", Value::array([Value::object([("region", "eu-west-1")])]))]))
            .is_err());
        assert!(SecretsManager
            .check(SECRET, &map(vec![("tags", Value::object([(RECOVERY_WINDOW_TAG, "0")]))]))
            .is_err());
    }
}
