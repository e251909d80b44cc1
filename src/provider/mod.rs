//! Providers: the only code that talks to a cloud. The engine drives every
//! resource through [`Provider`] — check, diff, create, read, update, delete —
//! keyed by pulumi-aws type token.
//!
//! Invariant: providers never see output references (the engine resolves them
//! first) and never persist anything themselves; `delete` of something already
//! gone succeeds, so every step can be retried after a crash.

#[cfg(feature = "aws")]
pub mod aws;
pub mod catalog;
pub mod memory;
pub mod retry;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::model::{PropertyMap, Urn, Value};

pub use catalog::{kind, IdStyle, Kind, KINDS};
pub use retry::RetryPolicy;

/// The tag that records a resource's URN on the cloud resource itself, so a
/// create interrupted before it was recorded can be found and adopted.
pub const URN_TAG: &str = "tapctl:urn";

/// How a provider call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Throttling, 5xx, eventual consistency: worth retrying.
    Transient,
    /// The request is wrong or not allowed: retrying will not help.
    Permanent,
    /// The resource does not exist.
    NotFound,
    /// Inputs failed validation before any call.
    Invalid,
    /// The operation outlived its time limit.
    Timeout,
}

/// A provider failure with the cloud's error code.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ProviderError {
    /// What kind of failure.
    pub kind: ErrorKind,
    /// The cloud's error code (e.g. `InvalidVpcID.NotFound`, `AccessDenied`).
    pub code: String,
    /// The cloud's message.
    pub message: String,
    /// A create that failed after the resource came to exist: its id. The
    /// engine records the resource as partially created (Pulumi's
    /// `initErrors`) so nothing is orphaned.
    pub created_id: Option<String>,
}

impl ProviderError {
    /// A failure of `kind` with `code` and `message`.
    pub fn new(kind: ErrorKind, code: impl Into<String>, message: impl Into<String>) -> ProviderError {
        ProviderError { kind, code: code.into(), message: message.into(), created_id: None }
    }

    /// An input validation failure.
    pub fn invalid(message: impl Into<String>) -> ProviderError {
        ProviderError::new(ErrorKind::Invalid, "InvalidInput", message)
    }

    /// Whether retrying may help.
    pub fn is_transient(&self) -> bool {
        self.kind == ErrorKind::Transient
    }
}

/// What the engine knows about the resource a call concerns.
#[derive(Debug, Clone)]
pub struct CallContext {
    /// The resource's URN (tagged onto the cloud resource at creation).
    pub urn: Urn,
    /// The resource's type token.
    pub token: String,
    /// The time limit from `customTimeouts`, if any.
    pub timeout: Option<Duration>,
}

/// Which input changes update in place and which force a replacement.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiffResult {
    /// Top-level inputs whose values differ.
    pub changed: Vec<String>,
    /// The subset of `changed` that forces a replacement.
    pub replace_keys: Vec<String>,
    /// Whether the old resource must go before the new one can exist (its
    /// unique name would collide).
    pub delete_before_replace: bool,
}

/// A created resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Created {
    /// The cloud id.
    pub id: String,
    /// All outputs, including the inputs as the cloud recorded them.
    pub outputs: PropertyMap,
}

/// A cloud: one implementation per cloud API (the AWS SDK, the in-memory cloud).
#[async_trait]
pub trait Provider: Send + Sync {
    /// Validates inputs before any cloud call. Unknown values (at preview) pass.
    fn check(&self, token: &str, inputs: &PropertyMap) -> Result<(), ProviderError>;

    /// Compares recorded inputs with new ones.
    fn diff(
        &self,
        token: &str,
        old_inputs: &PropertyMap,
        new_inputs: &PropertyMap,
    ) -> Result<DiffResult, ProviderError>;

    /// Creates a resource, tagged with its URN where the kind is taggable.
    async fn create(&self, ctx: &CallContext, inputs: &PropertyMap) -> Result<Created, ProviderError>;

    /// Reads a resource's current outputs; `None` if it no longer exists.
    async fn read(&self, ctx: &CallContext, id: &str) -> Result<Option<PropertyMap>, ProviderError>;

    /// Updates a resource in place; returns its new outputs.
    async fn update(
        &self,
        ctx: &CallContext,
        id: &str,
        old_outputs: &PropertyMap,
        new_inputs: &PropertyMap,
    ) -> Result<PropertyMap, ProviderError>;

    /// Deletes a resource; success if it is already gone.
    async fn delete(&self, ctx: &CallContext, id: &str, outputs: &PropertyMap) -> Result<(), ProviderError>;

    /// The region's availability zones that are available, in name order
    /// (what a program spreads its network over).
    async fn availability_zones(&self) -> Result<Vec<String>, ProviderError>;

    /// The account the provider's credentials act in (what a program's
    /// scoped ARNs name, like pulumi-aws's `getCallerIdentity`).
    async fn caller_account_id(&self) -> Result<String, ProviderError>;

    /// Finds what a create interrupted before it was recorded may have made:
    /// every resource of `ctx.token` that carries `ctx.urn` in its URN tag or
    /// the unique name `inputs` give it. The default finds kinds whose id is
    /// their unique name by reading that id; providers that can search by tag
    /// override it.
    async fn find(&self, ctx: &CallContext, inputs: &PropertyMap) -> Result<Vec<Created>, ProviderError> {
        let Some(kind) = kind(&ctx.token) else { return Ok(Vec::new()) };
        let name =
            kind.physical_name.filter(|_| kind.id_is == IdStyle::PhysicalName).and_then(|n| inputs.get(n)?.as_str());
        let Some(name) = name else { return Ok(Vec::new()) };
        Ok(self.read(ctx, name).await?.map(|outputs| Created { id: name.to_string(), outputs }).into_iter().collect())
    }
}

/// Reads CloudWatch alarm states, for watching a traffic shift.
#[async_trait]
pub trait AlarmSource: Send + Sync {
    /// Of the named alarms, those currently in the `ALARM` state.
    async fn firing(&self, names: &[String]) -> Result<Vec<String>, ProviderError>;
}

/// Makes a configured [`Provider`] from a provider resource's inputs
/// (`pulumi:providers:aws` with `region`, …).
pub trait ProviderFactory: Send + Sync {
    /// The provider for these inputs.
    fn configure(&self, inputs: &PropertyMap) -> Result<Arc<dyn Provider>, ProviderError>;
}

/// Kinds a region holds at most one of, with the name an unnamed one gets
/// (Terraform's default): AWS Config's recorder and delivery channel.
const ONE_PER_REGION: &[(&str, &str)] =
    &[("aws:cfg/recorder:Recorder", "default"), ("aws:cfg/deliveryChannel:DeliveryChannel", "default")];

/// The generic diff every provider starts from: changed top-level inputs
/// (secrets compared by value), those in the kind's `force_new` list force a
/// replacement, and a replacement of a resource with an unchanged explicit
/// unique name must delete first. A kind a region holds one of always
/// replaces delete-first (a second could not exist beside the first), and
/// its unset name counts as its default name.
pub fn diff_by_catalog(token: &str, old: &PropertyMap, new: &PropertyMap) -> Result<DiffResult, ProviderError> {
    let kind = kind(token).ok_or_else(|| unsupported(token))?;
    let mut changed: Vec<String> = Vec::new();
    for key in old.keys().chain(new.keys()) {
        if changed.contains(key) {
            continue;
        }
        let a = old.get(key).unwrap_or(&Value::Null);
        let b = new.get(key).unwrap_or(&Value::Null);
        if b.contains_unknown() || !a.same_as(b) {
            changed.push(key.clone());
        }
    }
    let replace_keys: Vec<String> = changed.iter().filter(|k| kind.force_new.contains(&k.as_str())).cloned().collect();
    let delete_before_replace = kind.physical_name.is_some_and(|name| {
        let (a, b) = (old.get(name), new.get(name));
        a.is_some() && b.is_some_and(|b| !b.contains_unknown()) && a.zip(b).is_some_and(|(a, b)| a.same_as(b))
    });
    let mut diff = DiffResult { changed, replace_keys, delete_before_replace };
    if let Some((_, default)) = ONE_PER_REGION.iter().find(|(t, _)| *t == token) {
        let name = |m: &PropertyMap| match m.get("name") {
            None | Some(Value::Null) => Some(Value::from(*default)),
            Some(v) if v.contains_unknown() => None,
            Some(v) => Some(v.clone()),
        };
        if name(old).zip(name(new)).is_some_and(|(a, b)| a.same_as(&b)) {
            diff.changed.retain(|k| k != "name");
            diff.replace_keys.retain(|k| k != "name");
        }
        diff.delete_before_replace = !diff.replace_keys.is_empty();
    }
    Ok(diff)
}

/// The generic input check: the kind is supported, every input name is one of
/// its pulumi-aws inputs, and every required input is present.
pub fn check_by_catalog(token: &str, inputs: &PropertyMap) -> Result<(), ProviderError> {
    let kind = kind(token).ok_or_else(|| unsupported(token))?;
    let unknown: Vec<&str> = inputs.keys().map(String::as_str).filter(|k| !kind.inputs.contains(k)).collect();
    if !unknown.is_empty() {
        return Err(ProviderError::invalid(format!(
            "{token} has no input{} {}; see the pulumi-aws schema for its inputs",
            if unknown.len() > 1 { "s" } else { "" },
            unknown.join(", ")
        )));
    }
    let missing: Vec<&str> = kind.required.iter().copied().filter(|k| !inputs.contains_key(*k)).collect();
    if !missing.is_empty() {
        return Err(ProviderError::invalid(format!("{token} requires {}", missing.join(", "))));
    }
    Ok(())
}

/// The error for a type token no provider implements.
pub fn unsupported(token: &str) -> ProviderError {
    ProviderError::invalid(format!("resource type {token} is not supported by tapctl's providers"))
}
