//! Planning: what must happen to one resource, given what the program wants
//! and what state recorded — and, for a preview, to every resource at once.
//!
//! Invariant: planning never calls the cloud and never writes state; the same
//! [`decide`] is used by preview (inputs may hold unknowns) and by the
//! executor (inputs fully resolved), so a preview shows what `up` will do.

pub mod diff;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use crate::model::{DesiredResource, OutputRef, PropertyMap, Urn, Value, ROOT_STACK_TYPE};
use crate::provider::{Provider, ProviderError};
use crate::state::{Snapshot, StateResource};

pub use diff::{apply_ignore_changes, property_diffs, PropertyDiff};

/// What a step does, with Pulumi's display symbols.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StepOp {
    /// Nothing changes.
    Same,
    /// `+` create.
    Create,
    /// `~` update in place.
    Update,
    /// `+-` replace.
    Replace,
    /// `-` delete.
    Delete,
    /// `--` delete the old half of a replacement: part of the `+-` it
    /// completes, so it is not counted again.
    DeleteReplaced,
}

impl StepOp {
    /// Pulumi's symbol for the operation.
    pub fn symbol(self) -> &'static str {
        match self {
            StepOp::Same => " ",
            StepOp::Create => "+",
            StepOp::Update => "~",
            StepOp::Replace => "+-",
            StepOp::Delete => "-",
            StepOp::DeleteReplaced => "--",
        }
    }

    /// Pulumi's name for the operation (`preview --json`'s `op`).
    pub fn as_str(self) -> &'static str {
        match self {
            StepOp::Same => "same",
            StepOp::Create => "create",
            StepOp::Update => "update",
            StepOp::Replace => "replace",
            StepOp::Delete => "delete",
            StepOp::DeleteReplaced => "delete-replaced",
        }
    }
}

impl fmt::Display for StepOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a plan could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// A protected resource would be deleted or replaced.
    #[error("{urn} is protected and the plan would {action} it; remove `protect` from the program first, run `up`, then make this change")]
    Protected {
        /// The resource.
        urn: Urn,
        /// `delete` or `replace`.
        action: &'static str,
    },
    /// Inputs failed the provider's validation.
    #[error("{urn}: {source}")]
    Check {
        /// The resource.
        urn: Urn,
        /// The provider's complaint.
        source: ProviderError,
    },
    /// An input references an output the resource does not have.
    #[error("{urn} uses output `{property}` of {target}, which has no such output")]
    MissingOutput {
        /// The resource using the output.
        urn: Urn,
        /// The resource referenced.
        target: Urn,
        /// The missing output.
        property: String,
    },
    /// A custom resource whose provider is not configured.
    #[error("{0} has no provider configured")]
    NoProvider(Urn),
    /// A `--target` that names nothing in the program or state.
    #[error("--target {0} matches no resource in the program or the state; run `tapctl preview` to list URNs")]
    UnknownTarget(String),
    /// A target needs a resource that is not targeted and does not exist yet.
    #[error("--target {target} depends on {dependency}, which does not exist yet; add --target {dependency}")]
    TargetDependency {
        /// The targeted resource.
        target: Urn,
        /// Its missing dependency.
        dependency: Urn,
    },
}

/// The decision for one desired resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// What to do.
    pub op: StepOp,
    /// Property-level differences from the recorded inputs.
    pub diffs: Vec<PropertyDiff>,
    /// The inputs whose change forces the replacement.
    pub replace_keys: Vec<String>,
    /// Replace by deleting first.
    pub delete_before_replace: bool,
    /// The inputs to apply (ignoreChanges already applied).
    pub inputs: PropertyMap,
}

/// Decides what to do with `desired` given its recorded state `old` and its
/// inputs with output references resolved (unknowns allowed). Property-level
/// diffs are computed only `with_diffs` (for display): the executor's hot
/// path needs the decision, not the diffs.
pub fn decide(
    desired: &DesiredResource,
    resolved: PropertyMap,
    old: Option<&StateResource>,
    provider: Option<&dyn Provider>,
    with_diffs: bool,
) -> Result<Decision, PlanError> {
    let urn = &desired.urn;
    let Some(old) = old else {
        if let Some(p) = provider.filter(|_| desired.custom && !desired.is_provider()) {
            p.check(desired.type_token(), &resolved).map_err(|source| PlanError::Check { urn: urn.clone(), source })?;
        }
        let diffs = if with_diffs { property_diffs(&PropertyMap::new(), &resolved) } else { Vec::new() };
        return Ok(Decision {
            op: StepOp::Create,
            diffs,
            replace_keys: vec![],
            delete_before_replace: false,
            inputs: resolved,
        });
    };
    let mut inputs = resolved;
    apply_ignore_changes(&old.inputs, &mut inputs, &desired.options.ignore_changes);
    // Components and providers decide by their own diff; custom resources by
    // the provider's, so theirs is only for display.
    let config_only = !desired.custom || desired.is_provider();
    if desired.is_provider() {
        keep_provider_bookkeeping(&old.inputs, &mut inputs);
    }
    let diffs = if with_diffs || config_only { property_diffs(&old.inputs, &inputs) } else { Vec::new() };
    if config_only {
        // Components have no cloud side; providers are configuration.
        let op = if diffs.is_empty() || !desired.custom { StepOp::Same } else { StepOp::Update };
        return Ok(Decision { op, diffs, replace_keys: vec![], delete_before_replace: false, inputs });
    }
    let provider = provider.ok_or_else(|| PlanError::NoProvider(urn.clone()))?;
    provider.check(desired.type_token(), &inputs).map_err(|source| PlanError::Check { urn: urn.clone(), source })?;
    if old.partially_created() {
        // Partially created: what its failed steps left is unknown, so it is
        // made again — delete first, as its name may be taken by itself.
        if desired.options.protect || old.protect {
            return Err(PlanError::Protected { urn: urn.clone(), action: "replace" });
        }
        let diffs = if with_diffs { property_diffs(&old.inputs, &inputs) } else { Vec::new() };
        return Ok(Decision { op: StepOp::Replace, diffs, replace_keys: vec![], delete_before_replace: true, inputs });
    }
    let d = provider
        .diff(desired.type_token(), &old.inputs, &inputs)
        .map_err(|source| PlanError::Check { urn: urn.clone(), source })?;
    if d.changed.is_empty() {
        return Ok(Decision {
            op: StepOp::Same,
            diffs: vec![],
            replace_keys: vec![],
            delete_before_replace: false,
            inputs,
        });
    }
    let mut replace_keys = d.replace_keys.clone();
    for key in &d.changed {
        let forced = desired
            .options
            .replace_on_changes
            .iter()
            .any(|p| p == "*" || p == key || p.starts_with(&format!("{key}.")));
        if forced && !replace_keys.contains(key) {
            replace_keys.push(key.clone());
        }
    }
    if replace_keys.is_empty() {
        return Ok(Decision { op: StepOp::Update, diffs, replace_keys, delete_before_replace: false, inputs });
    }
    if desired.options.protect || old.protect {
        return Err(PlanError::Protected { urn: urn.clone(), action: "replace" });
    }
    let delete_before_replace = desired.options.delete_before_replace || d.delete_before_replace;
    Ok(Decision { op: StepOp::Replace, diffs, replace_keys, delete_before_replace, inputs })
}

/// One step of a plan, for display.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedStep {
    /// What happens.
    pub op: StepOp,
    /// The resource.
    pub urn: Urn,
    /// Property-level differences.
    pub diffs: Vec<PropertyDiff>,
    /// Inputs that force the replacement.
    pub replace_keys: Vec<String>,
    /// Replace by deleting first.
    pub delete_before_replace: bool,
}

/// Counts of steps by kind (Pulumi's `changeSummary`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChangeSummary {
    /// Resources to create.
    pub create: usize,
    /// Resources to update in place.
    pub update: usize,
    /// Resources to replace.
    pub replace: usize,
    /// Resources to delete.
    pub delete: usize,
    /// Resources unchanged.
    pub same: usize,
}

impl ChangeSummary {
    /// Counts one step.
    pub fn add(&mut self, op: StepOp) {
        match op {
            StepOp::Same => self.same += 1,
            StepOp::Create => self.create += 1,
            StepOp::Update => self.update += 1,
            StepOp::Replace => self.replace += 1,
            StepOp::Delete => self.delete += 1,
            StepOp::DeleteReplaced => {}
        }
    }

    /// Whether anything would change.
    pub fn has_changes(&self) -> bool {
        self.create + self.update + self.replace + self.delete > 0
    }
}

/// A whole plan: desired resources in dependency order, then deletes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// The steps, in the order they would start.
    pub steps: Vec<PlannedStep>,
}

impl Plan {
    /// The change summary.
    pub fn summary(&self) -> ChangeSummary {
        let mut s = ChangeSummary::default();
        self.steps.iter().for_each(|st| s.add(st.op));
        s
    }

    /// The step for `urn`, if any.
    pub fn step(&self, urn: &Urn) -> Option<&PlannedStep> {
        self.steps.iter().find(|s| &s.urn == urn)
    }
}

/// Providers by the URN of their provider resource.
pub type Providers = HashMap<Urn, Arc<dyn Provider>>;

/// Resolves one output reference for planning purposes: known from state if
/// the referenced resource stays the same (or is updated and the property is
/// not an input that changes), unknown if it will be created or replaced.
pub fn preview_lookup(
    r: &OutputRef,
    decisions: &HashMap<Urn, Decision>,
    live: &HashMap<&Urn, &StateResource>,
) -> Result<Value, (Urn, String)> {
    match decisions.get(&r.urn) {
        Some(d) if matches!(d.op, StepOp::Create | StepOp::Replace) => Ok(Value::Unknown),
        Some(d) if d.op == StepOp::Update && d.inputs.contains_key(&r.property) => Ok(d.inputs[&r.property].clone()),
        _ => {
            let Some(old) = live.get(&r.urn) else { return Ok(Value::Unknown) };
            r.read(old.id.as_deref(), &old.outputs).ok_or_else(|| (r.urn.clone(), r.property.clone()))
        }
    }
}

/// Computes the preview plan of `desired` (in topological order) against
/// `snapshot`. Resources in state but not in the program are deleted, in
/// reverse dependency order. `targets`, when non-empty, limits the plan to
/// those URNs.
pub fn preview(
    desired: &[&DesiredResource],
    snapshot: &Snapshot,
    providers: &Providers,
    targets: &[Urn],
) -> Result<Plan, PlanError> {
    // Indexes keep preview linear in the stack's size.
    let live: HashMap<&Urn, &StateResource> = snapshot.live_resources().map(|r| (&r.urn, r)).collect();
    let wanted: HashSet<&Urn> = desired.iter().map(|d| &d.urn).collect();
    let mut decisions: HashMap<Urn, Decision> = HashMap::new();
    let mut steps = Vec::new();
    let targeted = |u: &Urn| targets.is_empty() || targets.contains(u);
    for d in desired {
        let old = live.get(&d.urn).copied();
        if !targeted(&d.urn) {
            if old.is_none() && d.type_token() != ROOT_STACK_TYPE {
                continue;
            }
            decisions.insert(d.urn.clone(), same_decision(d));
            continue;
        }
        for dep in d.dependencies() {
            if !targeted(&dep) && !live.contains_key(&dep) {
                return Err(PlanError::TargetDependency { target: d.urn.clone(), dependency: dep });
            }
        }
        let mut missing = None;
        let resolved: PropertyMap = d
            .inputs
            .iter()
            .map(|(k, v)| {
                let value = v.resolve(&mut |r| {
                    preview_lookup(r, &decisions, &live).unwrap_or_else(|e| {
                        missing.get_or_insert(e);
                        Value::Unknown
                    })
                });
                (k.clone(), value)
            })
            .collect();
        if let Some((target, property)) = missing {
            return Err(PlanError::MissingOutput { urn: d.urn.clone(), target, property });
        }
        let provider = d.provider.as_ref().and_then(|p| providers.get(p)).map(|p| p.as_ref());
        let decision = decide(d, resolved, old, provider, true)?;
        steps.push(PlannedStep {
            op: decision.op,
            urn: d.urn.clone(),
            diffs: decision.diffs.clone(),
            replace_keys: decision.replace_keys.clone(),
            delete_before_replace: decision.delete_before_replace,
        });
        decisions.insert(d.urn.clone(), decision);
    }
    for old in snapshot.resources.iter().rev() {
        let gone = old.delete || !wanted.contains(&old.urn);
        if !gone || !targeted(&old.urn) {
            continue;
        }
        if old.protect && !old.delete {
            return Err(PlanError::Protected { urn: old.urn.clone(), action: "delete" });
        }
        if old.delete && steps.iter().any(|s| s.urn == old.urn && s.op == StepOp::Delete) {
            continue;
        }
        steps.push(PlannedStep {
            op: StepOp::Delete,
            urn: old.urn.clone(),
            diffs: vec![],
            replace_keys: vec![],
            delete_before_replace: false,
        });
    }
    for t in targets {
        if !wanted.contains(t) && !live.contains_key(t) {
            return Err(PlanError::UnknownTarget(t.to_string()));
        }
    }
    Ok(Plan { steps })
}

/// Inputs pulumi-aws's CheckConfig adds to every provider it configures, at
/// these defaults: a provider recorded by Pulumi has them, tapctl's program
/// does not set them, and neither is a difference.
pub(crate) const PULUMI_AWS_PROVIDER_DEFAULTS: [(&str, &str); 3] =
    [("skipCredentialsValidation", "false"), ("skipRegionValidation", "true"), ("skipMetadataApiCheck", "true")];

/// Carries over what Pulumi records on a provider beyond its configuration —
/// `__`-prefixed bookkeeping (`__internal`) and pulumi-aws's defaults — so
/// that taking over a Pulumi stack shows no provider change.
fn keep_provider_bookkeeping(old: &PropertyMap, inputs: &mut PropertyMap) {
    for (k, v) in old {
        let default = PULUMI_AWS_PROVIDER_DEFAULTS.iter().any(|(dk, dv)| dk == k && v.as_str() == Some(*dv));
        if (k.starts_with("__") || default) && !inputs.contains_key(k) {
            inputs.insert(k.clone(), v.clone());
        }
    }
}

fn same_decision(d: &DesiredResource) -> Decision {
    Decision {
        op: StepOp::Same,
        diffs: vec![],
        replace_keys: vec![],
        delete_before_replace: false,
        inputs: d.inputs.clone(),
    }
}
