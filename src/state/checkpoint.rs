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
///
/// Deserialized by hand ([`Deployment::deserialize`]) so that fields tapctl
/// does not know land in `extra` without serde's `flatten`, which would buffer
/// every resource of a large state before decoding it.
#[derive(Debug, Clone, Serialize)]
pub struct Deployment<R = Vec<ResourceV3>> {
    /// Who wrote it and when.
    pub manifest: Manifest,
    /// How secrets in this deployment are encrypted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secrets_providers: Option<SecretsProvider>,
    /// Resources, dependencies before dependents.
    pub resources: R,
    /// Operations that began and never finished.
    pub pending_operations: Vec<PendingOperation>,
    /// Metadata Pulumi keeps about the snapshot.
    pub metadata: Json,
    /// Fields a newer or foreign writer added that tapctl does not interpret,
    /// written back as they came.
    #[serde(flatten)]
    pub extra: Map<String, Json>,
}

impl<'de, R: Deserialize<'de> + Default> Deserialize<'de> for Deployment<R> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Fields<R>(std::marker::PhantomData<R>);
        impl<'de, R: Deserialize<'de> + Default> serde::de::Visitor<'de> for Fields<R> {
            type Value = Deployment<R>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a Pulumi deployment object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Deployment<R>, A::Error> {
                let mut manifest = None;
                let mut secrets_providers = None;
                let mut resources = None;
                let mut pending_operations = None;
                let mut metadata = None;
                let mut extra = Map::new();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "manifest" => manifest = Some(map.next_value()?),
                        "secrets_providers" => secrets_providers = map.next_value()?,
                        // Pulumi writes `null` for an empty list in older versions.
                        "resources" => resources = map.next_value::<Option<R>>()?,
                        "pending_operations" => pending_operations = map.next_value()?,
                        "metadata" => metadata = map.next_value::<Option<Json>>()?,
                        _ => {
                            extra.insert(key, map.next_value()?);
                        }
                    }
                }
                Ok(Deployment {
                    manifest: manifest.ok_or_else(|| serde::de::Error::missing_field("manifest"))?,
                    secrets_providers,
                    resources: resources.unwrap_or_default(),
                    pending_operations: pending_operations.unwrap_or_default(),
                    metadata: metadata.unwrap_or_else(|| Json::Object(Map::new())),
                    extra,
                })
            }
        }
        deserializer.deserialize_map(Fields(std::marker::PhantomData))
    }
}

/// Reads `null` as the type's empty value: Pulumi CLI versions before ~3.110
/// write `null` for empty lists and maps (e.g. `"propertyDependencies":
/// {"region": null}`), and Pulumi itself reads them as empty.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
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
    /// `creating`, `updating`, `deleting`, `reading` or `importing`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Fields tapctl does not interpret.
    #[serde(flatten)]
    pub extra: Map<String, Json>,
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
    #[serde(default, deserialize_with = "null_as_default", skip_serializing_if = "is_false")]
    pub delete: bool,
    /// Cloud id (custom resources only).
    #[serde(default, deserialize_with = "null_as_default", skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// Type token.
    #[serde(rename = "type")]
    pub type_token: String,
    /// Inputs, secrets encrypted.
    #[serde(default, deserialize_with = "null_as_default", skip_serializing_if = "Map::is_empty")]
    pub inputs: Map<String, Json>,
    /// Outputs, secrets encrypted.
    #[serde(default, deserialize_with = "null_as_default", skip_serializing_if = "Map::is_empty")]
    pub outputs: Map<String, Json>,
    /// Parent URN.
    #[serde(default, deserialize_with = "null_as_default", skip_serializing_if = "String::is_empty")]
    pub parent: String,
    /// Refuse to delete or replace.
    #[serde(default, deserialize_with = "null_as_default", skip_serializing_if = "is_false")]
    pub protect: bool,
    /// URNs this resource depends on.
    #[serde(default, deserialize_with = "null_as_default", skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<String>,
    /// `<provider urn>::<provider id>`.
    #[serde(default, deserialize_with = "null_as_default", skip_serializing_if = "String::is_empty")]
    pub provider: String,
    /// For each input, the URNs it references.
    #[serde(default, deserialize_with = "null_as_default", skip_serializing_if = "Map::is_empty")]
    pub property_dependencies: Map<String, Json>,
    /// Replacement is in progress with delete-before-replace.
    #[serde(default, deserialize_with = "null_as_default", skip_serializing_if = "is_false")]
    pub pending_replacement: bool,
    /// Time limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_timeouts: Option<CustomTimeouts>,
    /// Leave the cloud resource when deleting from state.
    #[serde(default, deserialize_with = "null_as_default", skip_serializing_if = "is_false")]
    pub retain_on_delete: bool,
    /// RFC 3339 creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// RFC 3339 last modification time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    /// Inputs whose changes are ignored.
    #[serde(default, deserialize_with = "null_as_default", skip_serializing_if = "Vec::is_empty")]
    pub ignore_changes: Vec<String>,
    /// Inputs whose changes force replacement.
    #[serde(default, deserialize_with = "null_as_default", skip_serializing_if = "Vec::is_empty")]
    pub replace_on_changes: Vec<String>,
    /// Fields tapctl does not interpret.
    #[serde(flatten)]
    pub extra: Map<String, Json>,
}

fn is_false(b: &bool) -> bool {
    !*b
}
