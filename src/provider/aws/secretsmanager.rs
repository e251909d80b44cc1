//! Secrets Manager kinds: secret (the container) and secret version (a
//! value, `secretString`, which stays a secret in outputs).
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
//!
//! **Versions.** The id is Terraform's `<secretArn>|<versionId>`. The
//! version id is the request token tapctl sends, derived from the URN and the
//! value, so a create that is retried after an interruption makes no second
//! version and adoption finds the first by computing it again. A change of
//! the value (or secret) is a new version, i.e. a replacement, as in
//! pulumi-aws; `versionStages` move in place. A version that no longer has
//! any staging label is deprecated (AWS removes it) and reads as gone.
//! Deleting a version removes its staging labels except `AWSCURRENT`, which
//! AWS only moves to another version: like Terraform, a current version is
//! left to the secret (and then still reads as present).

use async_trait::async_trait;
use aws_sdk_secretsmanager::types::Tag;

use super::iam::{autoname, owned_by};
use super::{
    after_create, check_kind, found, gone_is_ok, known, missing_field, optional_i32, optional_str, optional_str_list,
    read_created, read_updated, required_str, tag_changes, tags_for_create, urn_tag_value, window, AwsProvider,
    Outputs, Service,
};
use crate::model::{PropertyMap, Value};
use crate::provider::{CallContext, Created, ProviderError};

const SECRET: &str = "aws:secretsmanager/secret:Secret";
const VERSION: &str = "aws:secretsmanager/secretVersion:SecretVersion";

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
        &[SECRET, VERSION]
    }

    fn check(&self, token: &str, inputs: &PropertyMap) -> Result<(), ProviderError> {
        match token {
            VERSION => check_kind(token, inputs, version::SUPPORTED, version::check),
            _ => check_kind(token, inputs, SUPPORTED, check),
        }
    }

    async fn create(&self, p: &AwsProvider, ctx: &CallContext, inputs: &PropertyMap) -> Result<Created, ProviderError> {
        let id = match ctx.token.as_str() {
            VERSION => version::create(p, ctx, inputs).await?,
            _ => create(p, ctx, inputs).await?,
        };
        read_created(self, p, ctx, id).await
    }

    async fn read(&self, p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        match ctx.token.as_str() {
            VERSION => found(version::read(p, id).await).map(Option::flatten),
            _ => found(read(p, id).await).map(Option::flatten),
        }
    }

    /// Adoption: a secret through its create, a version by the id its URN
    /// and value determine.
    async fn find(
        &self,
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<Vec<Created>, ProviderError> {
        if ctx.token != VERSION {
            // A secret's id is its ARN: its create adopts a secret of its
            // name that carries its URN tag (ResourceExistsException).
            return Ok(Vec::new());
        }
        let probe = format!("{}|{}", required_str(inputs, "secretId")?, version::token(ctx, inputs)?);
        Ok(found(version::read(p, &probe).await)?
            .flatten()
            .and_then(|o| Some(Created { id: o.get("id")?.as_str()?.to_string(), outputs: o }))
            .into_iter()
            .collect())
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
            VERSION => version::update(p, id, new).await?,
            _ => update(p, ctx, id, old, new).await?,
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
        match ctx.token.as_str() {
            VERSION => gone_is_ok(version::delete(p, id).await),
            _ => gone_is_ok(delete(p, id, outputs).await),
        }
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

// ---------------------------------------------------------------------------
// Secret version
// ---------------------------------------------------------------------------

mod version {
    use super::*;
    use aws_sdk_secretsmanager::operation::describe_secret::DescribeSecretOutput;
    use sha2::{Digest, Sha256};

    pub(super) const SUPPORTED: &[&str] = &["region", "secretId", "secretString", "versionStages"];

    /// The label AWS moves, never removes.
    const CURRENT: &str = "AWSCURRENT";

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        if inputs.get("secretString").is_none_or(|v| v.is_null()) {
            return Err(ProviderError::invalid("secretString is required (secretBinary is not implemented)"));
        }
        if let Some(stages) = known(inputs, "versionStages").and_then(Value::as_array) {
            if stages.is_empty() || stages.len() > 20 {
                return Err(ProviderError::invalid("versionStages must hold 1 to 20 labels"));
            }
        }
        Ok(())
    }

    /// The request token, and so the version id: a UUID-shaped digest of the
    /// URN and the value (the value never leaves in clear).
    pub(super) fn token(ctx: &CallContext, inputs: &PropertyMap) -> Result<String, ProviderError> {
        let value = required_str(inputs, "secretString")?;
        let digest = Sha256::digest(format!("{}\n{value}", urn_tag_value(&ctx.urn)).as_bytes());
        let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        Ok(format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32]))
    }

    fn split(id: &str) -> Result<(&str, &str), ProviderError> {
        id.rsplit_once('|')
            .ok_or_else(|| ProviderError::invalid(format!("{id} is not a secret version id (<secretArn>|<versionId>)")))
    }

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let sm = p.secretsmanager().await?;
        let secret = required_str(inputs, "secretId")?;
        let value = required_str(inputs, "secretString")?;
        let stages = optional_str_list(inputs, "versionStages")?;
        let token = token(ctx, inputs)?;
        // A secret created a moment ago can be unknown here for a while.
        let out = p
            .call_tolerating(window(p, ctx), &["ResourceNotFoundException"], || {
                sm.put_secret_value()
                    .secret_id(secret)
                    .secret_string(value)
                    .client_request_token(&token)
                    .set_version_stages(stages.clone())
                    .send()
            })
            .await?;
        let arn = out.arn().ok_or_else(|| missing_field("PutSecretValue", "ARN"))?;
        let version = out.version_id().ok_or_else(|| missing_field("PutSecretValue", "VersionId"))?;
        Ok(format!("{arn}|{version}"))
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let sm = p.secretsmanager().await?;
        let (secret, version) = split(id)?;
        let out = p.call(|| sm.get_secret_value().secret_id(secret).version_id(version).send()).await?;
        let mut stages = out.version_stages().to_vec();
        if stages.is_empty() {
            return Ok(None);
        }
        stages.sort();
        let arn = out.arn().ok_or_else(|| missing_field("GetSecretValue", "ARN"))?;
        let mut outputs = Outputs::new(format!("{arn}|{version}"), p.region().await?)
            .string("arn", Some(arn))
            .string("secretId", Some(arn))
            .string("versionId", Some(version))
            .value("versionStages", super::super::string_list(&stages));
        if let Some(value) = out.secret_string() {
            outputs = outputs.value("secretString", Value::secret(value));
        }
        Ok(Some(outputs.build()))
    }

    /// Which version holds each label now.
    async fn holders(p: &AwsProvider, secret: &str) -> Result<Vec<(String, String)>, ProviderError> {
        let sm = p.secretsmanager().await?;
        Ok(labels(&p.call(|| sm.describe_secret().secret_id(secret).send()).await?))
    }

    /// The (label, version) pairs a DescribeSecret answer holds.
    fn labels(secret: &DescribeSecretOutput) -> Vec<(String, String)> {
        secret
            .version_ids_to_stages()
            .into_iter()
            .flatten()
            .flat_map(|(version, stages)| stages.iter().map(move |s| (s.clone(), version.clone())))
            .collect()
    }

    pub(super) async fn update(p: &AwsProvider, id: &str, new: &PropertyMap) -> Result<(), ProviderError> {
        let sm = p.secretsmanager().await?;
        let (secret, version) = split(id)?;
        let wanted = optional_str_list(new, "versionStages")?.unwrap_or_else(|| vec![CURRENT.to_string()]);
        let holders = holders(p, secret).await?;
        let current: Vec<&str> = holders.iter().filter(|(_, v)| v == version).map(|(s, _)| s.as_str()).collect();
        for stage in wanted.iter().filter(|s| !current.contains(&s.as_str())) {
            // A label held by another version moves from it.
            let from = holders.iter().find(|(s, _)| s == stage).map(|(_, v)| v.clone());
            p.call(|| {
                sm.update_secret_version_stage()
                    .secret_id(secret)
                    .version_stage(stage)
                    .move_to_version_id(version)
                    .set_remove_from_version_id(from.clone())
                    .send()
            })
            .await?;
        }
        for stage in current.iter().filter(|s| !wanted.iter().any(|w| w == *s) && **s != CURRENT) {
            remove_stage(p, secret, version, stage).await?;
        }
        Ok(())
    }

    async fn remove_stage(p: &AwsProvider, secret: &str, version: &str, stage: &str) -> Result<(), ProviderError> {
        let sm = p.secretsmanager().await?;
        p.call(|| {
            sm.update_secret_version_stage()
                .secret_id(secret)
                .version_stage(stage)
                .remove_from_version_id(version)
                .send()
        })
        .await?;
        Ok(())
    }

    pub(super) async fn delete(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
        let (secret, version) = split(id)?;
        let sm = p.secretsmanager().await?;
        // A secret scheduled for deletion takes its versions with it.
        let s = p.call(|| sm.describe_secret().secret_id(secret).send()).await?;
        if s.deleted_date().is_some() {
            return Ok(());
        }
        // Its labels are in that same answer.
        for (stage, _) in labels(&s).iter().filter(|(s, v)| v == version && s != CURRENT) {
            remove_stage(p, secret, version, stage).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::provider::aws::map;

    #[test]
    fn version_tokens_depend_on_urn_and_value_and_hide_the_value() {
        let root = crate::model::Urn::root("dev", "tap");
        let ctx = |name: &str| CallContext {
            urn: crate::model::Urn::new("dev", "tap", Some(&root), VERSION, name),
            token: VERSION.into(),
            timeout: None,
        };
        let inputs = |v: &str| map(vec![("secretId", "s".into()), ("secretString", Value::secret(v))]);
        let a = version::token(&ctx("a"), &inputs("hunter2")).unwrap();
        assert_eq!(a.len(), 36);
        assert_eq!(a, version::token(&ctx("a"), &inputs("hunter2")).unwrap());
        assert_ne!(a, version::token(&ctx("a"), &inputs("hunter3")).unwrap());
        assert_ne!(a, version::token(&ctx("b"), &inputs("hunter2")).unwrap());
        assert!(!a.contains("hunter2"));
        assert!(SecretsManager.check(VERSION, &map(vec![("secretId", "s".into())])).is_err());
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
