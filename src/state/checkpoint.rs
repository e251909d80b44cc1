//! Pulumi's checkpoint format (`VersionedCheckpoint`, version 3) as serde types.
//!
//! These types are the wire form: inputs and outputs are JSON with secrets
//! already encrypted. [`super::snapshot`] converts them to and from the
//! engine's decoded form. Fields tapctl does not interpret are kept in `extra`
//! so that a Pulumi-written deployment survives an import/export round trip.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use crate::model::CustomTimeouts;

/// The only checkpoint/deployment version tapctl reads and writes.
pub const CHECKPOINT_VERSION: u32 = 3;

/// `{"version":3,"checkpoint":{…}}` — the file backend's state file.
///
/// `R` is how the deployment holds its resources: decoded records by
/// default, or a view that encodes each record as it is written (see
/// [`super::snapshot::Snapshot::deployment_view`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound(deserialize = "R: Deserialize<'de> + Default"))]
pub struct VersionedCheckpoint<R = Vec<ResourceV3>> {
    /// Format version; always 3.
    pub version: u32,
    /// The checkpoint.
    pub checkpoint: Checkpoint<R>,
}

/// One stack's checkpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound(deserialize = "R: Deserialize<'de> + Default"))]
pub struct Checkpoint<R = Vec<ResourceV3>> {
    /// The stack name.
    pub stack: String,
    /// Stack configuration, which Pulumi's file backend may record here;
    /// kept as is. (A named field, not a `flatten`ed map: flattening makes
    /// serde buffer the whole deployment before decoding it.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<Json>,
    /// The latest deployment, absent before the first `up`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest: Option<Deployment<R>>,
}

/// `{"version":3,"deployment":{…}}` — what `pulumi stack export` prints.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UntypedDeployment {
    /// Format version; always 3.
    pub version: u32,
    /// The deployment.
    pub deployment: Deployment,
}

/// A deployment: the resources as of the end of the last operation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Deployment<R = Vec<ResourceV3>> {
    /// Who wrote it and when.
    pub manifest: Manifest,
    /// How secrets in this deployment are encrypted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets_providers: Option<SecretsProvider>,
    /// Resources, dependencies before dependents.
    #[serde(default)]
    pub resources: R,
    /// Operations that began and never finished.
    #[serde(default)]
    pub pending_operations: Vec<PendingOperation>,
    /// Metadata Pulumi keeps about the snapshot.
    #[serde(default = "empty_object")]
    pub metadata: Json,
}

fn empty_object() -> Json {
    Json::Object(Map::new())
}

/// Who wrote a deployment.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// RFC 3339 time of writing.
    pub time: String,
    /// sha256 of `version`, as Pulumi computes it.
    pub magic: String,
    /// The writer's version.
    pub version: String,
    /// Fields tapctl does not interpret (plugins, …).
    #[serde(flatten)]
    pub extra: Map<String, Json>,
}

/// The secrets provider of a deployment.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SecretsProvider {
    /// `passphrase` for tapctl.
    #[serde(rename = "type")]
    pub kind: String,
    /// Provider state; for `passphrase`, `{"salt": "<encryptionsalt>"}`.
    #[serde(default, skip_serializing_if = "Json::is_null")]
    pub state: Json,
}

/// An operation that began and never finished.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PendingOperation {
    /// The resource as it was when the operation began.
    pub resource: ResourceV3,
    /// `creating`, `updating`, `deleting` or `reading`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// One resource in a deployment (`ResourceV3`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ResourceV3 {
    /// Its URN.
    pub urn: String,
    /// Cloud resource (`true`) or component (`false`).
    pub custom: bool,
    /// Condemned: a replaced resource waiting for deletion.
    #[serde(default, skip_serializing_if = "is_false")]
    pub delete: bool,
    /// Cloud id (custom resources only).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// Type token.
    #[serde(rename = "type")]
    pub type_token: String,
    /// Inputs, secrets encrypted.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub inputs: Map<String, Json>,
    /// Outputs, secrets encrypted.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub outputs: Map<String, Json>,
    /// Parent URN.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub parent: String,
    /// Refuse to delete or replace.
    #[serde(default, skip_serializing_if = "is_false")]
    pub protect: bool,
    /// URNs this resource depends on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<String>,
    /// `<provider urn>::<provider id>`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub provider: String,
    /// For each input, the URNs it references.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub property_dependencies: Map<String, Json>,
    /// Replacement is in progress with delete-before-replace.
    #[serde(default, skip_serializing_if = "is_false")]
    pub pending_replacement: bool,
    /// Time limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_timeouts: Option<CustomTimeouts>,
    /// Leave the cloud resource when deleting from state.
    #[serde(default, skip_serializing_if = "is_false")]
    pub retain_on_delete: bool,
    /// RFC 3339 creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// RFC 3339 last modification time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    /// Inputs whose changes are ignored.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore_changes: Vec<String>,
    /// Inputs whose changes force replacement.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replace_on_changes: Vec<String>,
    /// Fields tapctl does not interpret.
    #[serde(flatten)]
    pub extra: Map<String, Json>,
}

fn is_false(b: &bool) -> bool {
    !*b
}
