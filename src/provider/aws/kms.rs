//! KMS kinds: key and alias.
//!
//! **Deletion.** KMS never deletes a key at once: `delete` schedules the
//! deletion after `deletionWindowInDays` (7 to 30, default 30), and a key
//! pending deletion reads as gone. The window only matters at deletion,
//! which sees recorded outputs alone, and `read` must rebuild those from AWS;
//! AWS does not record the window until deletion is scheduled, so tapctl
//! keeps it in a tag of its own on the key, [`DELETION_WINDOW_TAG`], kept out
//! of `tags`/`tagsAll`. A key without it gets KMS's default of 30 days.
//!
//! Outputs deliberately left out: `bypassPolicyLockoutSafetyCheck`, a request
//! option AWS does not record.

use async_trait::async_trait;
use aws_sdk_kms::types::{KeyState, KeyUsageType, Tag};

use super::iam::{autoname, check_policy_document, policy_json, tolerating_message};
use super::{
    after_create, check_kind, found, gone_is_ok, known, missing_field, optional_bool, optional_i32, optional_str,
    read_created, read_each, read_updated, required_str, tag_changes, tags_for_create, urn_tag_value, window,
    AwsProvider, Outputs, Service,
};
use crate::model::{PropertyMap, Value};
use crate::provider::{CallContext, Created, ProviderError, URN_TAG};

const KEY: &str = "aws:kms/key:Key";
const ALIAS: &str = "aws:kms/alias:Alias";

/// The tag in which tapctl keeps a key's `deletionWindowInDays`.
pub const DELETION_WINDOW_TAG: &str = "tapctl:deletion-window-days";

/// KMS's default waiting period before a scheduled deletion.
const DEFAULT_WINDOW: i32 = 30;

/// The KMS service module.
pub(crate) struct Kms;

#[async_trait]
impl Service for Kms {
    fn tokens(&self) -> &'static [&'static str] {
        &[KEY, ALIAS]
    }

    fn check(&self, token: &str, inputs: &PropertyMap) -> Result<(), ProviderError> {
        match token {
            KEY => check_kind(token, inputs, key::SUPPORTED, key::check),
            _ => check_kind(token, inputs, alias::SUPPORTED, alias::check),
        }
    }

    async fn create(&self, p: &AwsProvider, ctx: &CallContext, inputs: &PropertyMap) -> Result<Created, ProviderError> {
        let id = match ctx.token.as_str() {
            KEY => key::create(p, ctx, inputs).await?,
            _ => alias::create(p, ctx, inputs).await?,
        };
        read_created(self, p, ctx, id).await
    }

    async fn read(&self, p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let read = match ctx.token.as_str() {
            KEY => key::read(p, id).await,
            _ => alias::read(p, id).await,
        };
        found(read).map(Option::flatten)
    }

    async fn update(
        &self,
        p: &AwsProvider,
        ctx: &CallContext,
        id: &str,
        old: &PropertyMap,
        new: &PropertyMap,
    ) -> Result<PropertyMap, ProviderError> {
        match ctx.token.as_str() {
            KEY => key::update(p, ctx, id, old, new).await?,
            _ => alias::update(p, ctx, id, new).await?,
        }
        read_updated(self, p, ctx, id).await
    }

    async fn delete(
        &self,
        p: &AwsProvider,
        ctx: &CallContext,
        id: &str,
        outputs: &PropertyMap,
    ) -> Result<(), ProviderError> {
        let deleted = match ctx.token.as_str() {
            KEY => key::delete(p, id, outputs).await,
            _ => alias::delete(p, id).await,
        };
        gone_is_ok(deleted)
    }

    async fn find(
        &self,
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<Vec<Created>, ProviderError> {
        let ids = match ctx.token.as_str() {
            // CreateKey is not idempotent: a key is known only by its URN tag.
            KEY => key::find(p, ctx).await?,
            _ => vec![required_str(inputs, "name")?.to_string()],
        };
        read_each(self, p, ctx, ids).await
    }
}

fn sdk_tags(pairs: &[(String, String)]) -> Result<Vec<Tag>, ProviderError> {
    pairs
        .iter()
        .map(|(k, v)| {
            Tag::builder().tag_key(k).tag_value(v).build().map_err(|e| ProviderError::invalid(format!("tag {k}: {e}")))
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Key
// ---------------------------------------------------------------------------

/// The id is the key id (a UUID).
mod key {
    use super::*;

    /// Keys (not pending deletion) carrying `ctx.urn` in their URN tag.
    pub(super) async fn find(p: &AwsProvider, ctx: &CallContext) -> Result<Vec<String>, ProviderError> {
        let kms = p.kms().await?;
        let wanted = urn_tag_value(&ctx.urn);
        let mut ids = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let listed = p.call(|| kms.list_keys().set_marker(marker.clone()).send()).await?;
            for key in listed.keys() {
                let Some(id) = key.key_id() else { continue };
                let Some(tags) = found(p.call(|| kms.list_resource_tags().key_id(id).send()).await)? else { continue };
                if tags.tags().iter().any(|t| t.tag_key() == URN_TAG && t.tag_value() == wanted) {
                    ids.push(id.to_string());
                }
            }
            match listed.next_marker().filter(|_| listed.truncated()) {
                Some(next) => marker = Some(next.to_string()),
                None => return Ok(ids),
            }
        }
    }

    pub(super) const SUPPORTED: &[&str] = &[
        "bypassPolicyLockoutSafetyCheck",
        "deletionWindowInDays",
        "description",
        "enableKeyRotation",
        "isEnabled",
        "keyUsage",
        "policy",
        "region",
        "tags",
    ];

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        if known(inputs, "deletionWindowInDays").is_some() {
            let days = optional_i32(inputs, "deletionWindowInDays")?.unwrap_or(DEFAULT_WINDOW);
            if !(7..=30).contains(&days) {
                return Err(ProviderError::invalid(format!("deletionWindowInDays must be 7 to 30, got {days}")));
            }
        }
        if known(inputs, "keyUsage").is_some() {
            let usage = optional_str(inputs, "keyUsage")?.unwrap_or_default();
            if !KeyUsageType::values().contains(&usage) {
                return Err(ProviderError::invalid(format!(
                    "keyUsage must be one of {}, got {usage:?}",
                    KeyUsageType::values().join(", ")
                )));
            }
            let rotation = known(inputs, "enableKeyRotation")
                .map(|_| optional_bool(inputs, "enableKeyRotation"))
                .transpose()?
                .flatten();
            if usage != "ENCRYPT_DECRYPT" && rotation == Some(true) {
                return Err(ProviderError::invalid(
                    "enableKeyRotation needs keyUsage ENCRYPT_DECRYPT (a symmetric key)",
                ));
            }
        }
        if let Some(d) = known(inputs, "description").and_then(Value::as_str) {
            if d.chars().count() > 8192 {
                return Err(ProviderError::invalid("description must have at most 8192 characters"));
            }
        }
        if let Some(tags) = known(inputs, "tags").and_then(Value::as_object) {
            if tags.contains_key(DELETION_WINDOW_TAG) {
                return Err(ProviderError::invalid(format!("tag {DELETION_WINDOW_TAG} is reserved for tapctl")));
            }
        }
        check_policy_document(inputs, "policy")
    }

    fn window_tag(inputs: &PropertyMap) -> Result<(String, String), ProviderError> {
        let days = optional_i32(inputs, "deletionWindowInDays")?.unwrap_or(DEFAULT_WINDOW);
        Ok((DELETION_WINDOW_TAG.to_string(), days.to_string()))
    }

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let kms = p.kms().await?;
        let mut tags = tags_for_create(ctx, inputs)?;
        tags.push(window_tag(inputs)?);
        let tags = sdk_tags(&tags)?;
        let description = optional_str(inputs, "description")?.map(str::to_string);
        let usage = optional_str(inputs, "keyUsage")?.map(KeyUsageType::from);
        let policy = optional_str(inputs, "policy")?.map(str::to_string);
        let bypass = optional_bool(inputs, "bypassPolicyLockoutSafetyCheck")?;
        // A key policy naming a role created moments ago is refused until IAM
        // has propagated the role.
        let out = tolerating_message(p, window(p, ctx), "MalformedPolicyDocumentException", "principal", || {
            kms.create_key()
                .set_description(description.clone())
                .set_key_usage(usage.clone())
                .set_policy(policy.clone())
                .set_bypass_policy_lockout_safety_check(bypass)
                .set_tags(Some(tags.clone()))
                .send()
        })
        .await?;
        let id = out
            .key_metadata()
            .map(|m| m.key_id().to_string())
            .ok_or_else(|| missing_field("CreateKey", "KeyMetadata"))?;
        if optional_bool(inputs, "enableKeyRotation")? == Some(true) {
            p.call(|| kms.enable_key_rotation().key_id(&id).send())
                .await
                .map_err(after_create(&id, "enabling its rotation"))?;
        }
        if optional_bool(inputs, "isEnabled")? == Some(false) {
            p.call(|| kms.disable_key().key_id(&id).send()).await.map_err(after_create(&id, "disabling it"))?;
        }
        Ok(id)
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let kms = p.kms().await?;
        let out = p.call(|| kms.describe_key().key_id(id).send()).await?;
        let Some(m) = out.key_metadata() else { return Ok(None) };
        if matches!(m.key_state(), Some(KeyState::PendingDeletion | KeyState::PendingReplicaDeletion)) {
            return Ok(None);
        }
        let symmetric = m.key_usage() == Some(&KeyUsageType::EncryptDecrypt)
            && m.key_spec().is_none_or(|s| s.as_str() == "SYMMETRIC_DEFAULT");
        // Rotation exists for symmetric encryption keys only.
        let rotation = if symmetric {
            let status = p.call(|| kms.get_key_rotation_status().key_id(id).send()).await?;
            Some((status.key_rotation_enabled(), status.rotation_period_in_days()))
        } else {
            None
        };
        let policy =
            p.call(|| kms.get_key_policy().key_id(id).policy_name("default").send()).await?.policy().map(policy_json);
        let mut tags = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = p.call(|| kms.list_resource_tags().key_id(id).set_marker(marker.clone()).send()).await?;
            tags.extend(page.tags().iter().map(|t| (t.tag_key().to_string(), t.tag_value().to_string())));
            match page.next_marker().filter(|_| page.truncated()) {
                Some(next) => marker = Some(next.to_string()),
                None => break,
            }
        }
        let window = tags.iter().find(|(k, _)| k == DELETION_WINDOW_TAG).and_then(|(_, v)| v.parse::<i64>().ok());
        tags.retain(|(k, _)| k != DELETION_WINDOW_TAG);
        Ok(Some(
            Outputs::new(id, p.region().await?)
                .string("keyId", Some(m.key_id()))
                .string("arn", m.arn())
                .string("description", m.description().filter(|d| !d.is_empty()))
                .string("keyUsage", m.key_usage().map(|u| u.as_str()))
                .string("customerMasterKeySpec", m.key_spec().map(|s| s.as_str()))
                .bool("isEnabled", Some(m.enabled()))
                .bool("multiRegion", m.multi_region())
                .bool("enableKeyRotation", rotation.map(|(on, _)| on))
                .int("rotationPeriodInDays", rotation.and_then(|(on, days)| days.filter(|_| on)).map(i64::from))
                .string("policy", policy)
                .int("deletionWindowInDays", window)
                .tags(tags)
                .build(),
        ))
    }

    pub(super) async fn update(
        p: &AwsProvider,
        ctx: &CallContext,
        id: &str,
        old: &PropertyMap,
        new: &PropertyMap,
    ) -> Result<(), ProviderError> {
        let kms = p.kms().await?;
        let old_str = |k: &str| old.get(k).and_then(Value::as_str);
        let old_bool = |k: &str| old.get(k).and_then(Value::as_bool);
        let description = optional_str(new, "description")?.unwrap_or_default();
        if old_str("description").unwrap_or_default() != description {
            p.call(|| kms.update_key_description().key_id(id).description(description).send()).await?;
        }
        if let Some(policy) = optional_str(new, "policy")? {
            if old_str("policy").map(policy_json) != Some(policy_json(policy)) {
                let bypass = optional_bool(new, "bypassPolicyLockoutSafetyCheck")?;
                tolerating_message(p, window(p, ctx), "MalformedPolicyDocumentException", "principal", || {
                    kms.put_key_policy()
                        .key_id(id)
                        .policy_name("default")
                        .policy(policy)
                        .set_bypass_policy_lockout_safety_check(bypass)
                        .send()
                })
                .await?;
            }
        }
        let enabled = optional_bool(new, "isEnabled")?.unwrap_or(true);
        if old_bool("isEnabled").unwrap_or(true) != enabled {
            if enabled {
                p.call(|| kms.enable_key().key_id(id).send()).await?;
            } else {
                p.call(|| kms.disable_key().key_id(id).send()).await?;
            }
        }
        let rotation = optional_bool(new, "enableKeyRotation")?.unwrap_or(false);
        if old_bool("enableKeyRotation").unwrap_or(false) != rotation {
            if rotation {
                p.call(|| kms.enable_key_rotation().key_id(id).send()).await?;
            } else {
                p.call(|| kms.disable_key_rotation().key_id(id).send()).await?;
            }
        }
        let mut changes = tag_changes(ctx, old, new)?;
        let wanted = window_tag(new)?;
        if old.get("deletionWindowInDays").and_then(Value::as_f64).map(|d| (d as i64).to_string())
            != Some(wanted.1.clone())
        {
            changes.set.push(wanted);
        }
        if !changes.remove.is_empty() {
            p.call(|| kms.untag_resource().key_id(id).set_tag_keys(Some(changes.remove.clone())).send()).await?;
        }
        if !changes.set.is_empty() {
            let tags = sdk_tags(&changes.set)?;
            p.call(|| kms.tag_resource().key_id(id).set_tags(Some(tags.clone())).send()).await?;
        }
        Ok(())
    }

    pub(super) async fn delete(p: &AwsProvider, id: &str, outputs: &PropertyMap) -> Result<(), ProviderError> {
        let kms = p.kms().await?;
        // Scheduling twice is refused; a key already pending deletion is gone.
        let out = p.call(|| kms.describe_key().key_id(id).send()).await?;
        if out.key_metadata().is_some_and(|m| {
            matches!(m.key_state(), Some(KeyState::PendingDeletion | KeyState::PendingReplicaDeletion))
        }) {
            return Ok(());
        }
        let days = outputs.get("deletionWindowInDays").and_then(Value::as_f64).map_or(DEFAULT_WINDOW, |d| d as i32);
        p.call(|| kms.schedule_key_deletion().key_id(id).pending_window_in_days(days).send()).await?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Alias
// ---------------------------------------------------------------------------

/// The id is the alias name (`alias/…`).
mod alias {
    use super::*;

    pub(super) const SUPPORTED: &[&str] = &["name", "namePrefix", "region", "targetKeyId"];

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        let set = |k: &str| inputs.get(k).is_some_and(|v| !v.is_null());
        if set("name") && set("namePrefix") {
            return Err(ProviderError::invalid("set only one of name and namePrefix"));
        }
        for key in ["name", "namePrefix"] {
            let Some(name) = known(inputs, key).and_then(Value::as_str) else { continue };
            let valid = name.chars().all(|c| c.is_ascii_alphanumeric() || "/_-".contains(c));
            if !name.starts_with("alias/") || name.starts_with("alias/aws/") || !valid || name.chars().count() > 256 {
                return Err(ProviderError::invalid(format!(
                    "{key} {name:?} must start with alias/ (not alias/aws/, which AWS reserves) and hold only letters, \
                     digits and /_- (at most 256 characters)"
                )));
            }
        }
        Ok(())
    }

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let kms = p.kms().await?;
        let name = match optional_str(inputs, "name")? {
            Some(name) => name.to_string(),
            None => autoname(ctx, Some(optional_str(inputs, "namePrefix")?.unwrap_or("alias/")), 256),
        };
        let target = required_str(inputs, "targetKeyId")?;
        // The key may have been created a moment ago.
        p.call_tolerating(window(p, ctx), &["NotFoundException"], || {
            kms.create_alias().alias_name(&name).target_key_id(target).send()
        })
        .await?;
        Ok(name)
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let kms = p.kms().await?;
        // DescribeKey accepts an alias and answers with the key it points to.
        let out = p.call(|| kms.describe_key().key_id(id).send()).await?;
        let Some(m) = out.key_metadata() else { return Ok(None) };
        let key_arn = m.arn().map(str::to_string);
        let arn = match (&key_arn, m.aws_account_id()) {
            (Some(key_arn), _) if key_arn.contains(":key/") => {
                key_arn.split(":key/").next().map(|base| format!("{base}:{id}"))
            }
            (_, Some(account)) => Some(p.arn("kms", account, id).await?),
            _ => None,
        };
        Ok(Some(
            Outputs::new(id, p.region().await?)
                .string("name", Some(id))
                .string("arn", arn)
                .string("targetKeyId", Some(m.key_id()))
                .string("targetKeyArn", key_arn)
                .build(),
        ))
    }

    pub(super) async fn update(
        p: &AwsProvider,
        ctx: &CallContext,
        id: &str,
        new: &PropertyMap,
    ) -> Result<(), ProviderError> {
        let kms = p.kms().await?;
        let target = required_str(new, "targetKeyId")?;
        p.call_tolerating(window(p, ctx), &["NotFoundException"], || {
            kms.update_alias().alias_name(id).target_key_id(target).send()
        })
        .await?;
        Ok(())
    }

    pub(super) async fn delete(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
        let kms = p.kms().await?;
        p.call(|| kms.delete_alias().alias_name(id).send()).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::provider::aws::map;

    #[test]
    fn checks() {
        assert!(Kms.check(KEY, &map(vec![("description", "db".into()), ("deletionWindowInDays", 7.into())])).is_ok());
        assert!(Kms.check(KEY, &map(vec![("deletionWindowInDays", 3.into())])).is_err());
        assert!(Kms
            .check(KEY, &map(vec![("keyUsage", "SIGN_VERIFY".into()), ("enableKeyRotation", true.into())]))
            .is_err());
        assert!(Kms.check(KEY, &map(vec![("keyUsage", "NOPE".into())])).is_err());
        assert!(Kms.check(KEY, &map(vec![("tags", Value::object([(DELETION_WINDOW_TAG, "7")]))])).is_err());
        assert!(Kms.check(KEY, &map(vec![("multiRegion", true.into())])).unwrap_err().message.contains("multiRegion"));
        assert!(Kms.check(ALIAS, &map(vec![("name", "alias/tap-dev".into()), ("targetKeyId", "k".into())])).is_ok());
        assert!(Kms.check(ALIAS, &map(vec![("name", "tap-dev".into()), ("targetKeyId", "k".into())])).is_err());
        assert!(Kms.check(ALIAS, &map(vec![("name", "alias/aws/rds".into()), ("targetKeyId", "k".into())])).is_err());
    }
}
