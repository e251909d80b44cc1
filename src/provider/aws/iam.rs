//! IAM kinds: role, managed policy, inline role policy, role policy
//! attachment and instance profile.
//!
//! IAM is global: these kinds have no `region` input or output, and their
//! ARNs have an empty region field. IAM is also eventually consistent — a
//! role or policy created a moment ago can be unknown to the next call, and
//! a policy naming a principal created a moment ago can be refused as
//! "invalid principal" — so calls that reference other IAM entities ride out
//! those answers for the consistency window.
//!
//! Policy documents arrive as JSON strings and come back from IAM
//! URL-encoded; outputs carry them decoded and in compact JSON (key order
//! kept), the same for `create`, `read` and `update`.
//!
//! Outputs deliberately left out, and why:
//!
//! - `aws:iam/policy:Policy` `attachmentCount`: it changes whenever an
//!   attachment resource is created or deleted, so every refresh of the
//!   policy would see drift that is not;
//! - `namePrefix`, `forceDetachPolicies`, `delayAfterPolicyCreationInMs`:
//!   inputs AWS does not record.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_sdk_iam::types::Tag;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::date_time::Format;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use rand::Rng;

use super::{
    after_create, check_kind, found, gone_is_ok, known, missing_field, optional_i32, optional_str, partition,
    read_created, read_updated, required_str, tag_changes, tags_for_create, urn_tag_value, window, AwsProvider,
    Outputs, Service,
};
use crate::model::{PropertyMap, Value};
use crate::provider::{CallContext, Created, ProviderError, URN_TAG};

const ROLE: &str = "aws:iam/role:Role";
const POLICY: &str = "aws:iam/policy:Policy";
const ROLE_POLICY: &str = "aws:iam/rolePolicy:RolePolicy";
const ATTACHMENT: &str = "aws:iam/rolePolicyAttachment:RolePolicyAttachment";
const INSTANCE_PROFILE: &str = "aws:iam/instanceProfile:InstanceProfile";

/// The `path` IAM uses when none is given.
const DEFAULT_PATH: &str = "/";

/// The IAM service module.
pub(crate) struct Iam;

#[async_trait]
impl Service for Iam {
    fn tokens(&self) -> &'static [&'static str] {
        &[ROLE, POLICY, ROLE_POLICY, ATTACHMENT, INSTANCE_PROFILE]
    }

    fn check(&self, token: &str, inputs: &PropertyMap) -> Result<(), ProviderError> {
        match token {
            ROLE => check_kind(token, inputs, role::SUPPORTED, role::check),
            POLICY => check_kind(token, inputs, policy::SUPPORTED, policy::check),
            ROLE_POLICY => check_kind(token, inputs, role_policy::SUPPORTED, role_policy::check),
            INSTANCE_PROFILE => check_kind(token, inputs, profile::SUPPORTED, profile::check),
            _ => check_kind(token, inputs, attachment::SUPPORTED, attachment::check),
        }
    }

    async fn create(&self, p: &AwsProvider, ctx: &CallContext, inputs: &PropertyMap) -> Result<Created, ProviderError> {
        let id = match ctx.token.as_str() {
            ROLE => role::create(p, ctx, inputs).await?,
            POLICY => policy::create(p, ctx, inputs).await?,
            ROLE_POLICY => role_policy::create(p, ctx, inputs).await?,
            INSTANCE_PROFILE => profile::create(p, ctx, inputs).await?,
            _ => attachment::create(p, ctx, inputs).await?,
        };
        read_created(self, p, ctx, id).await
    }

    async fn read(&self, p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let read = match ctx.token.as_str() {
            ROLE => role::read(p, id).await,
            POLICY => policy::read(p, id).await,
            ROLE_POLICY => role_policy::read(p, id).await,
            INSTANCE_PROFILE => profile::read(p, id).await,
            _ => attachment::read(p, id).await,
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
            ROLE => role::update(p, ctx, id, old, new).await?,
            POLICY => policy::update(p, ctx, id, old, new).await?,
            ROLE_POLICY => role_policy::update(p, ctx, id, new).await?,
            INSTANCE_PROFILE => profile::update(p, ctx, id, old, new).await?,
            // Both inputs of an attachment force a replacement.
            _ => {}
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
        let deleted = match ctx.token.as_str() {
            ROLE => role::delete(p, ctx, id).await,
            POLICY => policy::delete(p, ctx, id).await,
            ROLE_POLICY => role_policy::delete(p, id).await,
            INSTANCE_PROFILE => profile::delete(p, ctx, id).await,
            _ => attachment::delete(p, id).await,
        };
        gone_is_ok(deleted)
    }
}

// ---------------------------------------------------------------------------
// Helpers shared with the other service modules
// ---------------------------------------------------------------------------

/// Decodes the `%XX` escapes of an RFC 3986 URL-encoded string (IAM returns
/// policy documents so). `+` stays literal: AWS encodes spaces as `%20`.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A policy document as outputs carry it: URL-decoded when AWS encoded it
/// (a JSON document starts with `{`, its encoding with `%7B`), then compact
/// JSON with the keys in their order. Text that is not JSON is kept as is.
pub(super) fn policy_json(raw: &str) -> String {
    let trimmed = raw.trim_start();
    let text = if trimmed.starts_with('{') || trimmed.starts_with('[') { raw.to_string() } else { percent_decode(raw) };
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(doc) => doc.to_string(),
        Err(_) => text,
    }
}

/// Check-time validation of a policy document input: a JSON object.
pub(super) fn check_policy_document(inputs: &PropertyMap, name: &str) -> Result<(), ProviderError> {
    if known(inputs, name).is_none() {
        return Ok(());
    }
    let text = optional_str(inputs, name)?.unwrap_or_default();
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(_)) => Ok(()),
        Ok(_) => Err(ProviderError::invalid(format!("{name} must be a JSON object (a policy document)"))),
        Err(e) => Err(ProviderError::invalid(format!("{name} is not valid JSON: {e}"))),
    }
}

/// Whether two policy documents say the same (formatting aside).
fn same_policy(a: Option<&str>, b: Option<&str>) -> bool {
    a.map(policy_json) == b.map(policy_json)
}

/// Whether `outputs` (of a resource found under the name tapctl was about to
/// create) carry this resource's URN tag: an earlier, interrupted create of
/// the same resource made it, and it is adopted rather than reported taken.
pub(super) fn owned_by(ctx: &CallContext, outputs: &PropertyMap) -> bool {
    let tag = outputs.get("tagsAll").and_then(Value::as_object).and_then(|t| t.get(URN_TAG)).and_then(Value::as_str);
    tag == Some(urn_tag_value(&ctx.urn).as_str())
}

/// A physical name for a resource the program did not name: `prefix` (or
/// the logical name and `-`) and random hex, within `max` characters.
pub(super) fn autoname(ctx: &CallContext, prefix: Option<&str>, max: usize) -> String {
    let suffix = format!("{:08x}", rand::thread_rng().gen::<u32>());
    let prefix = match prefix {
        Some(p) => p.to_string(),
        None => format!("{}-", ctx.urn.name()),
    };
    let room = max.saturating_sub(suffix.len());
    let prefix: String = prefix.chars().take(room).collect();
    format!("{prefix}{suffix}")
}

/// Runs `op` like [`AwsProvider::call`], retrying within `within` while the
/// service answers `code` with a message containing `needle` (lowercase):
/// eventual consistency that AWS reports with the same code as a real
/// mistake — a policy naming a role created moments ago is an "invalid
/// principal" to IAM and KMS, a monitoring role not yet usable an invalid
/// parameter to RDS — so the message decides.
pub(super) async fn tolerating_message<O, E, F, Fut>(
    p: &AwsProvider,
    within: Duration,
    code: &str,
    needle: &str,
    mut op: F,
) -> Result<O, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<O, SdkError<E, HttpResponse>>>,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let start = Instant::now();
    loop {
        match p.call(&mut op).await {
            Err(e)
                if e.code == code
                    && e.message.to_ascii_lowercase().contains(needle)
                    && start.elapsed() + p.settings().poll_interval < within =>
            {
                tracing::debug!(code = %e.code, "{needle}: not visible yet, retrying");
                tokio::time::sleep(p.settings().poll_interval).await;
            }
            other => return other,
        }
    }
}

fn sdk_tags(pairs: &[(String, String)]) -> Result<Vec<Tag>, ProviderError> {
    pairs
        .iter()
        .map(|(k, v)| {
            Tag::builder().key(k).value(v).build().map_err(|e| ProviderError::invalid(format!("tag {k}: {e}")))
        })
        .collect()
}

fn tag_pairs(tags: &[Tag]) -> Vec<(String, String)> {
    tags.iter().map(|t| (t.key().to_string(), t.value().to_string())).collect()
}

/// IAM outputs: `id` first, without the `region` IAM kinds do not have.
fn outputs(id: &str) -> Outputs {
    Outputs::default().string("id", Some(id))
}

fn date(d: &aws_smithy_types::DateTime) -> Option<String> {
    d.fmt(Format::DateTime).ok()
}

/// Checks an IAM name (roles, policies, inline policies): 1 to `max`
/// characters of letters, digits and `+=,.@_-`.
fn check_name(inputs: &PropertyMap, key: &str, max: usize) -> Result<(), ProviderError> {
    if known(inputs, key).is_none() {
        return Ok(());
    }
    let name = optional_str(inputs, key)?.unwrap_or_default();
    let valid = |c: char| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c);
    if name.is_empty() || name.chars().count() > max || !name.chars().all(valid) {
        return Err(ProviderError::invalid(format!(
            "{key} {name:?} must have 1 to {max} characters, each a letter, digit or one of +=,.@_-"
        )));
    }
    Ok(())
}

/// Checks a `path`: starts and ends with `/`, at most 512 characters.
fn check_path(inputs: &PropertyMap) -> Result<(), ProviderError> {
    if known(inputs, "path").is_none() {
        return Ok(());
    }
    let path = optional_str(inputs, "path")?.unwrap_or_default();
    if !path.starts_with('/') || !path.ends_with('/') || path.chars().count() > 512 {
        return Err(ProviderError::invalid(format!(
            "path {path:?} must start and end with / (at most 512 characters)"
        )));
    }
    Ok(())
}

/// At most one of `name` and `namePrefix`.
fn check_name_or_prefix(inputs: &PropertyMap) -> Result<(), ProviderError> {
    let set = |k: &str| inputs.get(k).is_some_and(|v| !v.is_null());
    if set("name") && set("namePrefix") {
        return Err(ProviderError::invalid("set only one of name and namePrefix"));
    }
    Ok(())
}

/// The name to create under: `name`, or `namePrefix` / the logical name with
/// a random suffix.
fn physical_name(ctx: &CallContext, inputs: &PropertyMap, max: usize) -> Result<String, ProviderError> {
    Ok(match optional_str(inputs, "name")? {
        Some(name) => name.to_string(),
        None => autoname(ctx, optional_str(inputs, "namePrefix")?, max),
    })
}

// ---------------------------------------------------------------------------
// Role
// ---------------------------------------------------------------------------

mod role {
    use super::*;

    pub(super) const SUPPORTED: &[&str] = &[
        "assumeRolePolicy",
        "description",
        "maxSessionDuration",
        "name",
        "namePrefix",
        "path",
        "permissionsBoundary",
        "tags",
    ];

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        check_name_or_prefix(inputs)?;
        check_name(inputs, "name", 64)?;
        check_name(inputs, "namePrefix", 38)?;
        check_path(inputs)?;
        check_policy_document(inputs, "assumeRolePolicy")?;
        if known(inputs, "description").is_some() {
            let d = optional_str(inputs, "description")?.unwrap_or_default();
            if d.chars().count() > 1000 {
                return Err(ProviderError::invalid("description must have at most 1000 characters"));
            }
        }
        if known(inputs, "maxSessionDuration").is_some() {
            let s = optional_i32(inputs, "maxSessionDuration")?.unwrap_or_default();
            if !(3600..=43200).contains(&s) {
                return Err(ProviderError::invalid(format!(
                    "maxSessionDuration must be 3600 to 43200 seconds, got {s}"
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
        let iam = p.iam().await?;
        let name = physical_name(ctx, inputs, 64)?;
        let document = required_str(inputs, "assumeRolePolicy")?;
        let description = optional_str(inputs, "description")?.map(str::to_string);
        let path = optional_str(inputs, "path")?.unwrap_or(DEFAULT_PATH);
        let max_session = optional_i32(inputs, "maxSessionDuration")?;
        let boundary = optional_str(inputs, "permissionsBoundary")?.map(str::to_string);
        let tags = sdk_tags(&tags_for_create(ctx, inputs)?)?;
        let created = tolerating_message(p, window(p, ctx), "MalformedPolicyDocument", "principal", || {
            iam.create_role()
                .role_name(&name)
                .assume_role_policy_document(document)
                .set_description(description.clone())
                .path(path)
                .set_max_session_duration(max_session)
                .set_permissions_boundary(boundary.clone())
                .set_tags(Some(tags.clone()))
                .send()
        })
        .await;
        match created {
            Ok(_) => Ok(name),
            Err(e) if e.code == "EntityAlreadyExists" => match read(p, &name).await? {
                Some(existing) if owned_by(ctx, &existing) => {
                    update(p, ctx, &name, &existing, inputs).await.map_err(after_create(&name, "adopting it"))?;
                    Ok(name)
                }
                _ => Err(e),
            },
            Err(e) => Err(e),
        }
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let iam = p.iam().await?;
        let out = p.call(|| iam.get_role().role_name(id).send()).await?;
        let Some(r) = out.role() else { return Ok(None) };
        Ok(Some(
            outputs(id)
                .string("name", Some(r.role_name()))
                .string("arn", Some(r.arn()))
                .string("uniqueId", Some(r.role_id()))
                .string("path", Some(r.path()))
                .string("createDate", date(r.create_date()))
                .string("assumeRolePolicy", r.assume_role_policy_document().map(policy_json))
                .string("description", r.description().filter(|d| !d.is_empty()))
                .int("maxSessionDuration", r.max_session_duration().map(i64::from))
                .string("permissionsBoundary", r.permissions_boundary().and_then(|b| b.permissions_boundary_arn()))
                .tags(tag_pairs(r.tags()))
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
        let iam = p.iam().await?;
        let old_str = |k: &str| old.get(k).and_then(Value::as_str);
        let document = required_str(new, "assumeRolePolicy")?;
        if !same_policy(old_str("assumeRolePolicy"), Some(document)) {
            tolerating_message(p, window(p, ctx), "MalformedPolicyDocument", "principal", || {
                iam.update_assume_role_policy().role_name(id).policy_document(document).send()
            })
            .await?;
        }
        // Unset means IAM's defaults: no description, a one-hour session.
        let description = optional_str(new, "description")?.unwrap_or_default();
        let max_session = optional_i32(new, "maxSessionDuration")?.unwrap_or(3600);
        let old_session = old.get("maxSessionDuration").and_then(Value::as_f64).map_or(3600, |n| n as i32);
        if old_str("description").unwrap_or_default() != description || old_session != max_session {
            // An empty description clears it; leaving it out would keep the old one.
            p.call(|| {
                iam.update_role().role_name(id).description(description).max_session_duration(max_session).send()
            })
            .await?;
        }
        let boundary = optional_str(new, "permissionsBoundary")?;
        if old_str("permissionsBoundary") != boundary {
            match boundary {
                Some(arn) => {
                    p.call_tolerating(window(p, ctx), &["NoSuchEntity"], || {
                        iam.put_role_permissions_boundary().role_name(id).permissions_boundary(arn).send()
                    })
                    .await?;
                }
                None => {
                    gone_is_ok(p.call(|| iam.delete_role_permissions_boundary().role_name(id).send()).await)?;
                }
            }
        }
        let changes = tag_changes(ctx, old, new)?;
        if !changes.remove.is_empty() {
            p.call(|| iam.untag_role().role_name(id).set_tag_keys(Some(changes.remove.clone())).send()).await?;
        }
        if !changes.set.is_empty() {
            let tags = sdk_tags(&changes.set)?;
            p.call(|| iam.tag_role().role_name(id).set_tags(Some(tags.clone())).send()).await?;
        }
        Ok(())
    }

    /// What still holds on to the role, for a DeleteConflict that outlasted
    /// the consistency window: managed policies attached, inline policies,
    /// instance profiles.
    async fn leftovers(p: &AwsProvider, id: &str) -> Result<Vec<String>, ProviderError> {
        let iam = p.iam().await?;
        let mut found = Vec::new();
        let attached = p.call(|| iam.list_attached_role_policies().role_name(id).send()).await?;
        found.extend(
            attached.attached_policies().iter().filter_map(|a| a.policy_arn()).map(|a| format!("attached policy {a}")),
        );
        let inline = p.call(|| iam.list_role_policies().role_name(id).send()).await?;
        found.extend(inline.policy_names().iter().map(|n| format!("inline policy {n}")));
        let profiles = p.call(|| iam.list_instance_profiles_for_role().role_name(id).send()).await?;
        found.extend(
            profiles.instance_profiles().iter().map(|i| format!("instance profile {}", i.instance_profile_name())),
        );
        Ok(found)
    }

    pub(super) async fn delete(p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<(), ProviderError> {
        let iam = p.iam().await?;
        // The engine deletes the role's attachments and inline policies (their
        // own resources) first; IAM can take a moment to notice.
        let deleted =
            p.call_tolerating(window(p, ctx), &["DeleteConflict"], || iam.delete_role().role_name(id).send()).await;
        match deleted {
            Err(e) if e.code == "DeleteConflict" => {
                let held = leftovers(p, id).await.unwrap_or_default();
                let what = if held.is_empty() { "something IAM did not list".to_string() } else { held.join(", ") };
                Err(ProviderError {
                    message: format!(
                        "role {id} cannot be deleted while it still has {what}. tapctl deletes the attachments it \
                         manages before the role, so these were added outside this stack: detach or delete them, \
                         then run again ({})",
                        e.message
                    ),
                    ..e
                })
            }
            other => other.map(|_| ()),
        }
    }
}

// ---------------------------------------------------------------------------
// Instance profile
// ---------------------------------------------------------------------------

/// The id is the profile's name. An instance profile holds at most one role;
/// changing `role` swaps it in place (remove, then add), as Terraform does.
mod profile {
    use super::*;

    pub(super) const SUPPORTED: &[&str] = &["name", "namePrefix", "path", "role", "tags"];

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        check_name_or_prefix(inputs)?;
        check_name(inputs, "name", 128)?;
        check_name(inputs, "namePrefix", 102)?;
        check_path(inputs)
    }

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let iam = p.iam().await?;
        let name = physical_name(ctx, inputs, 128)?;
        let path = optional_str(inputs, "path")?.unwrap_or(DEFAULT_PATH);
        let tags = sdk_tags(&tags_for_create(ctx, inputs)?)?;
        let created = p
            .call(|| {
                iam.create_instance_profile()
                    .instance_profile_name(&name)
                    .path(path)
                    .set_tags(Some(tags.clone()))
                    .send()
            })
            .await;
        match created {
            Ok(_) => {}
            // An earlier, interrupted create of this same resource: adopt it.
            Err(e) if e.code == "EntityAlreadyExists" => match read(p, &name).await? {
                Some(existing) if owned_by(ctx, &existing) => {}
                _ => return Err(e),
            },
            Err(e) => return Err(e),
        }
        if let Some(role) = optional_str(inputs, "role")? {
            add_role(p, ctx, &name, role).await.map_err(after_create(&name, "adding its role"))?;
        }
        Ok(name)
    }

    async fn add_role(p: &AwsProvider, ctx: &CallContext, name: &str, role: &str) -> Result<(), ProviderError> {
        let iam = p.iam().await?;
        // A role (or profile) created a moment ago can still be unknown here.
        let added = p
            .call_tolerating(window(p, ctx), &["NoSuchEntity"], || {
                iam.add_role_to_instance_profile().instance_profile_name(name).role_name(role).send()
            })
            .await;
        match added {
            // Already there (a retried create or update).
            Err(e) if e.code == "LimitExceeded" && roles(p, name).await?.iter().any(|r| r == role) => Ok(()),
            other => other.map(drop),
        }
    }

    async fn roles(p: &AwsProvider, name: &str) -> Result<Vec<String>, ProviderError> {
        let iam = p.iam().await?;
        let out = p.call(|| iam.get_instance_profile().instance_profile_name(name).send()).await?;
        Ok(out
            .instance_profile()
            .map(|i| i.roles().iter().map(|r| r.role_name().to_string()).collect())
            .unwrap_or_default())
    }

    async fn remove_role(p: &AwsProvider, name: &str, role: &str) -> Result<(), ProviderError> {
        let iam = p.iam().await?;
        gone_is_ok(
            p.call(|| iam.remove_role_from_instance_profile().instance_profile_name(name).role_name(role).send()).await,
        )
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let iam = p.iam().await?;
        let out = p.call(|| iam.get_instance_profile().instance_profile_name(id).send()).await?;
        let Some(i) = out.instance_profile() else { return Ok(None) };
        Ok(Some(
            outputs(id)
                .string("name", Some(i.instance_profile_name()))
                .string("arn", Some(i.arn()))
                .string("uniqueId", Some(i.instance_profile_id()))
                .string("path", Some(i.path()))
                .string("createDate", date(i.create_date()))
                .string("role", i.roles().first().map(|r| r.role_name()))
                .tags(tag_pairs(i.tags()))
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
        let iam = p.iam().await?;
        let wanted = optional_str(new, "role")?;
        // One look at the roles: removing the unwanted ones leaves the wanted
        // one where it was.
        let current = roles(p, id).await?;
        for role in current.iter().filter(|r| Some(r.as_str()) != wanted) {
            remove_role(p, id, role).await?;
        }
        if let Some(role) = wanted.filter(|w| !current.iter().any(|r| r == w)) {
            add_role(p, ctx, id, role).await?;
        }
        let changes = tag_changes(ctx, old, new)?;
        if !changes.remove.is_empty() {
            p.call(|| {
                iam.untag_instance_profile().instance_profile_name(id).set_tag_keys(Some(changes.remove.clone())).send()
            })
            .await?;
        }
        if !changes.set.is_empty() {
            let tags = sdk_tags(&changes.set)?;
            p.call(|| iam.tag_instance_profile().instance_profile_name(id).set_tags(Some(tags.clone())).send()).await?;
        }
        Ok(())
    }

    pub(super) async fn delete(p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<(), ProviderError> {
        let iam = p.iam().await?;
        // IAM refuses to delete a profile that still holds a role.
        for role in roles(p, id).await? {
            remove_role(p, id, &role).await?;
        }
        p.call_tolerating(window(p, ctx), &["DeleteConflict"], || {
            iam.delete_instance_profile().instance_profile_name(id).send()
        })
        .await?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Managed policy
// ---------------------------------------------------------------------------

/// The id is the policy's ARN.
mod policy {
    use super::*;

    pub(super) const SUPPORTED: &[&str] = &["description", "name", "namePrefix", "path", "policy", "tags"];

    /// IAM keeps at most five versions of a managed policy.
    const MAX_VERSIONS: usize = 5;

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        check_name_or_prefix(inputs)?;
        check_name(inputs, "name", 128)?;
        check_name(inputs, "namePrefix", 96)?;
        check_path(inputs)?;
        check_policy_document(inputs, "policy")
    }

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let iam = p.iam().await?;
        let name = physical_name(ctx, inputs, 128)?;
        let document = required_str(inputs, "policy")?;
        let description = optional_str(inputs, "description")?.map(str::to_string);
        let path = optional_str(inputs, "path")?.unwrap_or(DEFAULT_PATH);
        let tags = sdk_tags(&tags_for_create(ctx, inputs)?)?;
        let created = p
            .call(|| {
                iam.create_policy()
                    .policy_name(&name)
                    .policy_document(document)
                    .set_description(description.clone())
                    .path(path)
                    .set_tags(Some(tags.clone()))
                    .send()
            })
            .await;
        match created {
            Ok(out) => out
                .policy()
                .and_then(|p| p.arn())
                .map(str::to_string)
                .ok_or_else(|| missing_field("CreatePolicy", "Policy.Arn")),
            Err(e) if e.code == "EntityAlreadyExists" => {
                // The ARN follows from the account, path and name.
                let account = p.account_id().await?;
                let arn = format!("arn:{}:iam::{account}:policy{path}{name}", partition(p.region().await?));
                match read(p, &arn).await? {
                    Some(existing) if owned_by(ctx, &existing) => {
                        update(p, ctx, &arn, &existing, inputs).await.map_err(after_create(&arn, "adopting it"))?;
                        Ok(arn)
                    }
                    _ => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let iam = p.iam().await?;
        let out = p.call(|| iam.get_policy().policy_arn(id).send()).await?;
        let Some(pol) = out.policy() else { return Ok(None) };
        let document = match pol.default_version_id() {
            Some(version) => p
                .call(|| iam.get_policy_version().policy_arn(id).version_id(version).send())
                .await?
                .policy_version()
                .and_then(|v| v.document())
                .map(policy_json),
            None => None,
        };
        Ok(Some(
            outputs(id)
                .string("arn", pol.arn())
                .string("name", pol.policy_name())
                .string("path", pol.path())
                .string("policyId", pol.policy_id())
                .string("description", pol.description().filter(|d| !d.is_empty()))
                .string("policy", document)
                .tags(tag_pairs(pol.tags()))
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
        let iam = p.iam().await?;
        let document = required_str(new, "policy")?;
        if !same_policy(old.get("policy").and_then(Value::as_str), Some(document)) {
            // A new default version; the oldest other one makes room when
            // IAM's limit of five is reached.
            let versions = p.call(|| iam.list_policy_versions().policy_arn(id).send()).await?;
            if versions.versions().len() >= MAX_VERSIONS {
                let oldest = versions
                    .versions()
                    .iter()
                    .filter(|v| !v.is_default_version())
                    .min_by_key(|v| v.create_date().map(|d| (d.secs(), d.subsec_nanos())))
                    .and_then(|v| v.version_id());
                if let Some(version) = oldest {
                    p.call(|| iam.delete_policy_version().policy_arn(id).version_id(version).send()).await?;
                }
            }
            p.call(|| iam.create_policy_version().policy_arn(id).policy_document(document).set_as_default(true).send())
                .await?;
        }
        let changes = tag_changes(ctx, old, new)?;
        if !changes.remove.is_empty() {
            p.call(|| iam.untag_policy().policy_arn(id).set_tag_keys(Some(changes.remove.clone())).send()).await?;
        }
        if !changes.set.is_empty() {
            let tags = sdk_tags(&changes.set)?;
            p.call(|| iam.tag_policy().policy_arn(id).set_tags(Some(tags.clone())).send()).await?;
        }
        Ok(())
    }

    pub(super) async fn delete(p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<(), ProviderError> {
        let iam = p.iam().await?;
        // IAM refuses to delete a policy that has versions besides the default.
        let versions = p.call(|| iam.list_policy_versions().policy_arn(id).send()).await?;
        for v in versions.versions().iter().filter(|v| !v.is_default_version()) {
            if let Some(version) = v.version_id() {
                gone_is_ok(p.call(|| iam.delete_policy_version().policy_arn(id).version_id(version).send()).await)?;
            }
        }
        let deleted =
            p.call_tolerating(window(p, ctx), &["DeleteConflict"], || iam.delete_policy().policy_arn(id).send()).await;
        match deleted {
            Err(e) if e.code == "DeleteConflict" => {
                let entities = p.call(|| iam.list_entities_for_policy().policy_arn(id).send()).await.ok();
                let mut held: Vec<String> = Vec::new();
                if let Some(out) = entities {
                    held.extend(out.policy_roles().iter().filter_map(|r| r.role_name()).map(|r| format!("role {r}")));
                    held.extend(out.policy_users().iter().filter_map(|u| u.user_name()).map(|u| format!("user {u}")));
                    held.extend(
                        out.policy_groups().iter().filter_map(|g| g.group_name()).map(|g| format!("group {g}")),
                    );
                }
                Err(ProviderError {
                    message: format!(
                        "policy {id} is still attached to {}; detach it (attachments tapctl manages are deleted \
                         before the policy) and run again ({})",
                        if held.is_empty() { "something".to_string() } else { held.join(", ") },
                        e.message
                    ),
                    ..e
                })
            }
            other => other.map(|_| ()),
        }
    }
}

// ---------------------------------------------------------------------------
// Inline role policy
// ---------------------------------------------------------------------------

/// The id is `<role>:<name>`, as pulumi-aws forms it.
mod role_policy {
    use super::*;

    pub(super) const SUPPORTED: &[&str] = &["name", "namePrefix", "policy", "role"];

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        check_name_or_prefix(inputs)?;
        check_name(inputs, "name", 128)?;
        check_name(inputs, "namePrefix", 100)?;
        check_name(inputs, "role", 64)?;
        check_policy_document(inputs, "policy")
    }

    pub(super) fn split_id(id: &str) -> Result<(&str, &str), ProviderError> {
        id.split_once(':')
            .filter(|(r, n)| !r.is_empty() && !n.is_empty())
            .ok_or_else(|| ProviderError::invalid(format!("role policy id {id:?} is not of the form <role>:<name>")))
    }

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let iam = p.iam().await?;
        let role = required_str(inputs, "role")?;
        let name = physical_name(ctx, inputs, 128)?;
        let document = required_str(inputs, "policy")?;
        // The role may have been created a moment ago.
        p.call_tolerating(window(p, ctx), &["NoSuchEntity"], || {
            iam.put_role_policy().role_name(role).policy_name(&name).policy_document(document).send()
        })
        .await?;
        Ok(format!("{role}:{name}"))
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let (role, name) = split_id(id)?;
        let iam = p.iam().await?;
        let out = p.call(|| iam.get_role_policy().role_name(role).policy_name(name).send()).await?;
        Ok(Some(
            outputs(id)
                .string("role", Some(out.role_name()))
                .string("name", Some(out.policy_name()))
                .string("policy", Some(policy_json(out.policy_document())))
                .build(),
        ))
    }

    pub(super) async fn update(
        p: &AwsProvider,
        ctx: &CallContext,
        id: &str,
        new: &PropertyMap,
    ) -> Result<(), ProviderError> {
        let (role, name) = split_id(id)?;
        let iam = p.iam().await?;
        let document = required_str(new, "policy")?;
        p.call_tolerating(window(p, ctx), &["NoSuchEntity"], || {
            iam.put_role_policy().role_name(role).policy_name(name).policy_document(document).send()
        })
        .await?;
        Ok(())
    }

    pub(super) async fn delete(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
        let (role, name) = split_id(id)?;
        let iam = p.iam().await?;
        p.call(|| iam.delete_role_policy().role_name(role).policy_name(name).send()).await?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Role policy attachment
// ---------------------------------------------------------------------------

/// The id is `<role>/<policyArn>`, pulumi-aws's (Terraform 6.x) form; role
/// names cannot contain `/`, so the first one separates the two.
mod attachment {
    use super::*;

    pub(super) const SUPPORTED: &[&str] = &["policyArn", "role"];

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        check_name(inputs, "role", 64)?;
        if known(inputs, "policyArn").is_some() {
            let arn = optional_str(inputs, "policyArn")?.unwrap_or_default();
            if !arn.starts_with("arn:") || !arn.contains(":policy/") {
                return Err(ProviderError::invalid(format!(
                    "policyArn {arn:?} is not an IAM policy ARN (arn:…:policy/…)"
                )));
            }
        }
        Ok(())
    }

    pub(super) fn split_id(id: &str) -> Result<(&str, &str), ProviderError> {
        id.split_once('/').filter(|(r, a)| !r.is_empty() && a.starts_with("arn:")).ok_or_else(|| {
            ProviderError::invalid(format!("role policy attachment id {id:?} is not of the form <role>/<policyArn>"))
        })
    }

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let iam = p.iam().await?;
        let role = required_str(inputs, "role")?;
        let arn = required_str(inputs, "policyArn")?;
        // Either side may have been created a moment ago. Attaching twice is
        // a no-op in IAM, so a retried or adopted create is harmless.
        p.call_tolerating(window(p, ctx), &["NoSuchEntity"], || {
            iam.attach_role_policy().role_name(role).policy_arn(arn).send()
        })
        .await?;
        Ok(format!("{role}/{arn}"))
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let (role, arn) = split_id(id)?;
        let iam = p.iam().await?;
        let mut marker: Option<String> = None;
        loop {
            let out =
                p.call(|| iam.list_attached_role_policies().role_name(role).set_marker(marker.clone()).send()).await?;
            if out.attached_policies().iter().any(|a| a.policy_arn() == Some(arn)) {
                return Ok(Some(outputs(id).string("role", Some(role)).string("policyArn", Some(arn)).build()));
            }
            match out.marker().filter(|_| out.is_truncated()) {
                Some(next) => marker = Some(next.to_string()),
                None => return Ok(None),
            }
        }
    }

    pub(super) async fn delete(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
        let (role, arn) = split_id(id)?;
        let iam = p.iam().await?;
        p.call(|| iam.detach_role_policy().role_name(role).policy_arn(arn).send()).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::provider::aws::map;

    #[test]
    fn policy_documents_are_decoded_and_compacted() {
        let encoded = "%7B%22Version%22%3A%20%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert_eq!(policy_json(encoded), r#"{"Version":"2012-10-17","Statement":[]}"#);
        assert_eq!(policy_json("{ \"b\": 1, \"a\": \"x+y%41\" }"), r#"{"b":1,"a":"x+y%41"}"#);
        assert_eq!(policy_json("not json"), "not json");
        assert!(same_policy(Some(encoded), Some(r#"{"Version": "2012-10-17", "Statement": []}"#)));
    }

    #[test]
    fn ids_split() {
        assert_eq!(role_policy::split_id("app-role:scoped").unwrap(), ("app-role", "scoped"));
        assert!(role_policy::split_id("no-separator").is_err());
        let (role, arn) = attachment::split_id("r/arn:aws:iam::aws:policy/service-role/X").unwrap();
        assert_eq!((role, arn), ("r", "arn:aws:iam::aws:policy/service-role/X"));
        assert!(attachment::split_id("r-20240101").is_err());
    }

    #[test]
    fn checks_name_the_problem() {
        let doc = Value::from(r#"{"Version":"2012-10-17","Statement":[]}"#);
        let ok = map(vec![("name", "tap-dev-task-role".into()), ("assumeRolePolicy", doc.clone())]);
        assert!(Iam.check(ROLE, &ok).is_ok());
        let bad_json = map(vec![("assumeRolePolicy", "{nope".into())]);
        assert!(Iam.check(ROLE, &bad_json).unwrap_err().message.contains("not valid JSON"));
        let long = map(vec![("name", "x".repeat(65).into()), ("assumeRolePolicy", doc.clone())]);
        assert!(Iam.check(ROLE, &long).unwrap_err().message.contains("1 to 64"));
        let path = map(vec![("path", "svc".into()), ("assumeRolePolicy", doc.clone())]);
        assert!(Iam.check(ROLE, &path).is_err());
        let unknown = map(vec![("assumeRolePolicy", Value::Unknown)]);
        assert!(Iam.check(ROLE, &unknown).is_ok());
        let inline = map(vec![("assumeRolePolicy", doc.clone()), ("inlinePolicies", Value::array([Value::from("x")]))]);
        assert!(Iam.check(ROLE, &inline).unwrap_err().message.contains("inlinePolicies"));
        let attachment = map(vec![("role", "r".into()), ("policyArn", "AmazonECSTaskExecutionRolePolicy".into())]);
        assert!(Iam.check(ATTACHMENT, &attachment).unwrap_err().message.contains("policyArn"));
    }

    #[test]
    fn autonames_fit() {
        let root = crate::model::Urn::root("dev", "tap");
        let ctx = CallContext {
            urn: crate::model::Urn::new("dev", "tap", Some(&root), ROLE, &"n".repeat(80)),
            token: ROLE.into(),
            timeout: None,
        };
        assert_eq!(autoname(&ctx, None, 64).chars().count(), 64);
        assert!(autoname(&ctx, Some("pre-"), 64).starts_with("pre-"));
    }
}
