//! The engine's view of a deployment: decoded values, typed URNs, and the
//! integrity rules Pulumi users learn about the hard way ("snapshot integrity
//! error") checked on every load and before every write.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use serde_json::{Map, Value as Json};

use super::checkpoint::{Deployment, Manifest, PendingOperation, ResourceV3, SecretsProvider};
use super::encoding::{decode_map, encode_map};
use super::secrets::Crypter;
use super::StateError;
use crate::model::{CustomTimeouts, PropertyMap, Urn};

/// The checkpoint field in which Pulumi records why a resource was only
/// partially created (`initErrors`).
pub const INIT_ERRORS: &str = "initErrors";

/// A resource as recorded in state, with decoded values.
#[derive(Debug, Clone, PartialEq)]
pub struct StateResource {
    /// Its URN.
    pub urn: Urn,
    /// Cloud resource (`true`) or component (`false`).
    pub custom: bool,
    /// Condemned: the old half of a create-before-delete replacement.
    pub delete: bool,
    /// Cloud id (custom resources only).
    pub id: Option<String>,
    /// Inputs as last applied.
    pub inputs: PropertyMap,
    /// Outputs as last read from the cloud.
    pub outputs: PropertyMap,
    /// Parent URN.
    pub parent: Option<Urn>,
    /// URNs this resource depends on.
    pub dependencies: Vec<Urn>,
    /// For each input, the URNs it references.
    pub property_dependencies: BTreeMap<String, Vec<Urn>>,
    /// `<provider urn>::<provider id>`.
    pub provider: Option<String>,
    /// Refuse to delete or replace.
    pub protect: bool,
    /// Leave the cloud resource when deleting from state.
    pub retain_on_delete: bool,
    /// Inputs whose changes are ignored.
    pub ignore_changes: Vec<String>,
    /// Inputs whose changes force replacement.
    pub replace_on_changes: Vec<String>,
    /// Time limits.
    pub custom_timeouts: CustomTimeouts,
    /// Creation time (RFC 3339).
    pub created: Option<String>,
    /// Last modification time (RFC 3339).
    pub modified: Option<String>,
    /// Fields from a foreign writer that tapctl keeps but does not interpret.
    pub extra: Map<String, Json>,
}

impl StateResource {
    /// Whether it was only partially created (Pulumi's `initErrors`).
    pub fn partially_created(&self) -> bool {
        self.extra.get(INIT_ERRORS).and_then(Json::as_array).is_some_and(|e| !e.is_empty())
    }

    /// The resource's type token.
    pub fn type_token(&self) -> &str {
        self.urn.type_token()
    }

    /// The provider reference split into URN and id.
    pub fn provider_ref(&self) -> Option<(Urn, String)> {
        split_provider_ref(self.provider.as_deref()?)
    }

    /// Encodes to the wire form, encrypting secrets.
    pub fn to_v3(&self, crypter: Option<&Crypter>) -> Result<ResourceV3, StateError> {
        Ok(ResourceV3 {
            urn: self.urn.to_string(),
            custom: self.custom,
            delete: self.delete,
            id: self.id.clone().unwrap_or_default(),
            type_token: self.type_token().to_string(),
            inputs: encode_map(&self.inputs, crypter)?,
            outputs: encode_map(&self.outputs, crypter)?,
            parent: self.parent.as_ref().map(Urn::to_string).unwrap_or_default(),
            protect: self.protect,
            dependencies: self.dependencies.iter().map(Urn::to_string).collect(),
            provider: self.provider.clone().unwrap_or_default(),
            property_dependencies: self
                .property_dependencies
                .iter()
                .map(|(k, v)| (k.clone(), Json::Array(v.iter().map(|u| Json::String(u.to_string())).collect())))
                .collect(),
            pending_replacement: false,
            custom_timeouts: (!self.custom_timeouts.is_empty()).then(|| self.custom_timeouts.clone()),
            retain_on_delete: self.retain_on_delete,
            created: self.created.clone(),
            modified: self.modified.clone(),
            ignore_changes: self.ignore_changes.clone(),
            replace_on_changes: self.replace_on_changes.clone(),
            extra: self.extra.clone(),
        })
    }

    /// Decodes from the wire form, decrypting secrets.
    pub fn from_v3(r: &ResourceV3, crypter: Option<&Crypter>) -> Result<StateResource, StateError> {
        let urn = parse_urn(&r.urn)?;
        if urn.type_token() != r.type_token {
            return Err(StateError::Invalid(format!(
                "resource {} has type {} but its URN says {}",
                r.urn,
                r.type_token,
                urn.type_token()
            )));
        }
        let opt_urn = |s: &str| if s.is_empty() { Ok(None) } else { parse_urn(s).map(Some) };
        let mut property_dependencies = BTreeMap::new();
        for (k, v) in &r.property_dependencies {
            // `null` is how Pulumi CLIs before ~3.110 wrote an empty list.
            let urns = match v {
                Json::Null => &[][..],
                Json::Array(list) => list.as_slice(),
                _ => return Err(StateError::Invalid(format!("propertyDependencies.{k} of {} is not a list", r.urn))),
            };
            let urns = urns.iter().map(|u| parse_urn(u.as_str().unwrap_or_default())).collect::<Result<Vec<_>, _>>()?;
            property_dependencies.insert(k.clone(), urns);
        }
        Ok(StateResource {
            urn,
            custom: r.custom,
            delete: r.delete,
            id: (!r.id.is_empty()).then(|| r.id.clone()),
            inputs: decode_map(&r.inputs, crypter)?,
            outputs: decode_map(&r.outputs, crypter)?,
            parent: opt_urn(&r.parent)?,
            dependencies: r.dependencies.iter().map(|d| parse_urn(d)).collect::<Result<_, _>>()?,
            property_dependencies,
            provider: (!r.provider.is_empty()).then(|| r.provider.clone()),
            protect: r.protect,
            retain_on_delete: r.retain_on_delete,
            ignore_changes: r.ignore_changes.clone(),
            replace_on_changes: r.replace_on_changes.clone(),
            custom_timeouts: r.custom_timeouts.clone().unwrap_or_default(),
            created: r.created.clone(),
            modified: r.modified.clone(),
            extra: r.extra.clone(),
        })
    }
}

fn parse_urn(s: &str) -> Result<Urn, StateError> {
    Urn::parse(s).map_err(|e| StateError::Invalid(e.to_string()))
}

/// Splits `<urn>::<id>` at its last `::`.
pub fn split_provider_ref(reference: &str) -> Option<(Urn, String)> {
    let (urn, id) = reference.rsplit_once("::")?;
    Some((Urn::parse(urn).ok()?, id.to_string()))
}

/// What kind of operation was in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PendingKind {
    /// A create.
    Creating,
    /// An update.
    Updating,
    /// A delete.
    Deleting,
    /// A read of an existing resource (Pulumi's `get`); it changed nothing.
    Reading,
    /// An import of an existing resource; it changed nothing.
    Importing,
}

impl PendingKind {
    /// Pulumi's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            PendingKind::Creating => "creating",
            PendingKind::Updating => "updating",
            PendingKind::Deleting => "deleting",
            PendingKind::Reading => "reading",
            PendingKind::Importing => "importing",
        }
    }

    fn parse(s: &str) -> Result<PendingKind, StateError> {
        match s {
            "creating" => Ok(PendingKind::Creating),
            "updating" => Ok(PendingKind::Updating),
            "deleting" => Ok(PendingKind::Deleting),
            "reading" => Ok(PendingKind::Reading),
            "importing" => Ok(PendingKind::Importing),
            other => Err(StateError::Invalid(format!(
                "unknown pending operation type `{other}` (Pulumi writes creating, updating, deleting, reading or importing)"
            ))),
        }
    }
}

/// An operation that began and never finished.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    /// What was in flight.
    pub kind: PendingKind,
    /// The resource as it was when the operation began.
    pub resource: StateResource,
    /// Fields of the pending operation a foreign writer added, kept as is.
    pub extra: Map<String, Json>,
}

/// The decoded state of one stack.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// Resources, dependencies before dependents. Shared, so that a run's
    /// view of the state it started from costs a pointer per record, not a
    /// copy of every record (copies dominated the memory of large stacks).
    pub resources: Vec<Arc<StateResource>>,
    /// Operations that began and never finished.
    pub pending: Vec<Pending>,
    /// Snapshot metadata from a foreign writer, kept as is.
    pub metadata: Map<String, Json>,
    /// Deployment fields a foreign writer added that tapctl does not
    /// interpret, written back as they came.
    pub deployment_extra: Map<String, Json>,
    /// Manifest fields a foreign writer added (e.g. Pulumi's `plugins`),
    /// written back as they came.
    pub manifest_extra: Map<String, Json>,
}

impl Snapshot {
    /// The live (not condemned) record for `urn`.
    pub fn live(&self, urn: &Urn) -> Option<&StateResource> {
        self.live_resources().find(|r| &r.urn == urn)
    }

    /// The root `pulumi:pulumi:Stack` resource, found as Pulumi finds it: the
    /// live resource of that type without a parent, whatever project its URN
    /// names.
    pub fn root_stack(&self) -> Option<&StateResource> {
        self.live_resources().find(|r| r.type_token() == crate::model::ROOT_STACK_TYPE && r.parent.is_none())
    }

    /// Live records only.
    pub fn live_resources(&self) -> impl Iterator<Item = &StateResource> {
        self.resources.iter().map(Arc::as_ref).filter(|r| !r.delete)
    }

    /// Whether any value in the snapshot is secret.
    pub fn contains_secrets(&self) -> bool {
        let has =
            |r: &StateResource| r.inputs.values().chain(r.outputs.values()).any(crate::model::Value::contains_secret);
        self.resources.iter().any(|r| has(r)) || self.pending.iter().any(|p| has(&p.resource))
    }

    /// Reorders records so parents, dependencies and providers come before
    /// the records that use them, keeping the current order where it already
    /// does (a resource updated to use one created later moves after it).
    pub fn sort_topologically(&mut self) {
        let n = self.resources.len();
        let mut by_urn: HashMap<&Urn, Vec<usize>> = HashMap::new();
        for (i, r) in self.resources.iter().enumerate() {
            by_urn.entry(&r.urn).or_default().push(i);
        }
        let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut indegree = vec![0usize; n];
        for (i, r) in self.resources.iter().enumerate() {
            let provider = r.provider_ref().map(|(u, _)| u);
            let deps = r.parent.iter().chain(r.dependencies.iter()).chain(provider.iter());
            let mut seen = HashSet::new();
            for d in deps {
                for &j in by_urn.get(d).map(Vec::as_slice).unwrap_or_default() {
                    if j != i && seen.insert(j) {
                        dependents[j].push(i);
                        indegree[i] += 1;
                    }
                }
            }
        }
        let mut ready: std::collections::BTreeSet<usize> = (0..n).filter(|&i| indegree[i] == 0).collect();
        let mut order = Vec::with_capacity(n);
        while let Some(i) = ready.pop_first() {
            order.push(i);
            for &k in &dependents[i] {
                indegree[k] -= 1;
                if indegree[k] == 0 {
                    ready.insert(k);
                }
            }
        }
        if order.len() != n {
            // A cycle: keep the order as is and let validation report it.
            return;
        }
        let mut slots: Vec<Option<Arc<StateResource>>> =
            std::mem::take(&mut self.resources).into_iter().map(Some).collect();
        self.resources = order.into_iter().filter_map(|i| slots[i].take()).collect();
    }

    /// Checks the integrity rules: one live record per URN; parents,
    /// dependencies and providers recorded before the resources that use them.
    pub fn validate(&self) -> Result<(), StateError> {
        let mut seen_live: HashSet<&Urn> = HashSet::new();
        let mut seen_any: HashSet<&Urn> = HashSet::new();
        let mut provider_ids: HashMap<&Urn, Vec<&str>> = HashMap::new();
        for r in &self.resources {
            if let Some(parent) = &r.parent {
                if !seen_any.contains(parent) {
                    return Err(StateError::Invalid(format!(
                        "resource {} names parent {parent}, which is not recorded before it",
                        r.urn
                    )));
                }
            }
            for dep in &r.dependencies {
                if !seen_any.contains(dep) {
                    return Err(StateError::Invalid(format!(
                        "resource {} depends on {dep}, which is not recorded before it",
                        r.urn
                    )));
                }
            }
            if let Some(reference) = &r.provider {
                let (purn, pid) = split_provider_ref(reference).ok_or_else(|| {
                    StateError::Invalid(format!("resource {} has malformed provider reference `{reference}`", r.urn))
                })?;
                if !provider_ids.get(&purn).is_some_and(|ids| ids.contains(&pid.as_str())) {
                    return Err(StateError::Invalid(format!(
                        "resource {} uses provider {reference}, which is not recorded before it",
                        r.urn
                    )));
                }
            }
            if r.custom && r.id.is_none() {
                return Err(StateError::Invalid(format!("custom resource {} has no id", r.urn)));
            }
            if !r.delete && !seen_live.insert(&r.urn) {
                return Err(StateError::Invalid(format!("duplicate resource URN {}", r.urn)));
            }
            seen_any.insert(&r.urn);
            if crate::model::is_provider_type(r.type_token()) {
                if let Some(id) = &r.id {
                    provider_ids.entry(&r.urn).or_default().push(id);
                }
            }
        }
        Ok(())
    }

    /// Encodes to a deployment (validating first: an invalid snapshot is never written).
    pub fn to_deployment(
        &self,
        crypter: Option<&Crypter>,
        encryption_salt: Option<&str>,
    ) -> Result<Deployment, StateError> {
        let resources = self.resources.iter().map(|r| r.to_v3(crypter)).collect::<Result<_, _>>()?;
        self.deployment_with(resources, crypter, encryption_salt)
    }

    /// [`to_deployment`](Snapshot::to_deployment) for writing: each record is
    /// encoded as it is serialized, so a large state is never held twice.
    pub fn deployment_view<'a>(
        &'a self,
        crypter: Option<&'a Crypter>,
        encryption_salt: Option<&str>,
    ) -> Result<Deployment<EncodedResources<'a>>, StateError> {
        self.deployment_with(EncodedResources { resources: &self.resources, crypter }, crypter, encryption_salt)
    }

    fn deployment_with<R>(
        &self,
        resources: R,
        crypter: Option<&Crypter>,
        encryption_salt: Option<&str>,
    ) -> Result<Deployment<R>, StateError> {
        self.validate()?;
        let version = format!("tapctl v{}", env!("CARGO_PKG_VERSION"));
        Ok(Deployment {
            manifest: Manifest {
                time: chrono::Utc::now().to_rfc3339(),
                magic: sha256_hex(&version),
                version,
                extra: self.manifest_extra.clone(),
            },
            secrets_providers: encryption_salt
                .map(|salt| SecretsProvider { kind: "passphrase".into(), state: serde_json::json!({ "salt": salt }) }),
            resources,
            pending_operations: self
                .pending
                .iter()
                .map(|p| {
                    Ok(PendingOperation {
                        resource: p.resource.to_v3(crypter)?,
                        kind: p.kind.as_str().into(),
                        extra: p.extra.clone(),
                    })
                })
                .collect::<Result<_, StateError>>()?,
            metadata: Json::Object(self.metadata.clone()),
            extra: self.deployment_extra.clone(),
        })
    }

    /// Decodes a deployment and validates it. Takes the deployment by value
    /// and frees each wire record once decoded, so a large state is not held
    /// twice over.
    pub fn from_deployment(d: Deployment, crypter: Option<&Crypter>) -> Result<Snapshot, StateError> {
        let resources = d
            .resources
            .into_iter()
            .map(|r| StateResource::from_v3(&r, crypter).map(Arc::new))
            .collect::<Result<_, _>>()?;
        let pending = d
            .pending_operations
            .into_iter()
            .map(|p| {
                Ok(Pending {
                    kind: PendingKind::parse(&p.kind)?,
                    resource: StateResource::from_v3(&p.resource, crypter)?,
                    extra: p.extra,
                })
            })
            .collect::<Result<_, StateError>>()?;
        let metadata = match d.metadata {
            Json::Object(m) => m,
            _ => Map::new(),
        };
        let snapshot =
            Snapshot { resources, pending, metadata, deployment_extra: d.extra, manifest_extra: d.manifest.extra };
        snapshot.validate()?;
        Ok(snapshot)
    }
}

/// A snapshot's records, serialized as `ResourceV3`s one at a time.
#[derive(Debug)]
pub struct EncodedResources<'a> {
    resources: &'a [Arc<StateResource>],
    crypter: Option<&'a Crypter>,
}

impl serde::Serialize for EncodedResources<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeSeq};
        let mut seq = serializer.serialize_seq(Some(self.resources.len()))?;
        for r in self.resources {
            seq.serialize_element(&r.to_v3(self.crypter).map_err(S::Error::custom)?)?;
        }
        seq.end()
    }
}

fn sha256_hex(s: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(s.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}
