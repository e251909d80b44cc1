//! The executor: reconciles a program's resources with the cloud, step by
//! step, in dependency order with bounded parallelism, recording every step in
//! state before it is reported done.
//!
//! Invariant: the engine decides each resource's step only once its
//! dependencies have finished (so inputs are known), persists a write-ahead
//! `Begin` before every cloud mutation and the result after it, and deletes in
//! reverse dependency order after every create and update has finished
//! (a delete-first replacement deletes its old self, and the dependents
//! that must be replaced with it, in its own step).

pub mod cancel;
pub mod events;
pub mod runner;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::graph::{GraphError, ResourceGraph};
use crate::model::{DesiredResource, Program, PropertyMap, Urn, Value, ROOT_STACK_TYPE};
use crate::plan::{self, decide, property_diffs, ChangeSummary, Plan, PlanError, PlannedStep, Providers, StepOp};
use crate::provider::{CallContext, ErrorKind, Provider, ProviderError, ProviderFactory};
use crate::state::{Mutation, PendingKind, Persister, Snapshot, StateError, StateResource};

pub use cancel::{Cancel, CancelLevel};
pub use events::{no_events, Event, EventSink};
use runner::{run_dag, JobEnd};

/// Why a run could not start or had to stop.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The program's graph is invalid.
    #[error(transparent)]
    Graph(#[from] GraphError),
    /// The plan is refused.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// State could not be recorded: the run stopped.
    #[error("state could not be recorded, so the run stopped: {0}")]
    State(#[from] StateError),
    /// A provider resource could not be configured.
    #[error("provider {urn} could not be configured: {source}")]
    Provider {
        /// The provider resource.
        urn: Urn,
        /// Why.
        source: ProviderError,
    },
}

/// How to run.
#[derive(Clone)]
pub struct RunOptions {
    /// Steps in flight at most.
    pub parallel: usize,
    /// Only these resources (empty: all).
    pub targets: Vec<Urn>,
    /// Cancellation handle.
    pub cancel: Cancel,
    /// Event observer.
    pub events: EventSink,
    /// Before `up`: read every resource and repair what drifted.
    pub refresh: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            parallel: default_parallelism(),
            targets: Vec::new(),
            cancel: Cancel::new(),
            events: no_events(),
            refresh: false,
        }
    }
}

impl std::fmt::Debug for RunOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunOptions").field("parallel", &self.parallel).field("targets", &self.targets).finish()
    }
}

/// Pulumi's default: four steps per available CPU.
pub fn default_parallelism() -> usize {
    4 * std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunSummary {
    /// Steps completed, by kind.
    pub changes: ChangeSummary,
    /// Steps that failed, with their errors.
    pub failures: Vec<StepFailure>,
    /// Steps not attempted, with why.
    pub skipped: Vec<(Urn, String)>,
    /// Whether the run was cancelled.
    pub cancelled: bool,
    /// Wall-clock time.
    pub elapsed: Duration,
}

/// Why one resource's step failed, typed as far as the edge (`--json`).
#[derive(Debug, Clone, PartialEq)]
pub struct StepFailure {
    /// The resource.
    pub urn: Urn,
    /// What kind of failure.
    pub kind: FailureKind,
    /// The cloud's error code (`InvalidVpcID.NotFound`, `AccessDenied`),
    /// when the cloud answered.
    pub code: Option<String>,
    /// The whole message: the action, the code and the cloud's words.
    pub message: String,
}

impl std::fmt::Display for StepFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The kinds of step failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The cloud failed in a way retrying may mend (throttling, 5xx), and
    /// retries ran out.
    Transient,
    /// The cloud refused the request.
    Permanent,
    /// The resource was not found.
    NotFound,
    /// The inputs failed validation.
    Invalid,
    /// The operation outlived its time limit.
    Timeout,
    /// The planner refused the step (e.g. a protected resource).
    Plan,
    /// State could not be recorded.
    State,
    /// The engine refused the step.
    Refused,
}

impl FailureKind {
    /// The name `--json` reports.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Transient => "transient",
            FailureKind::Permanent => "permanent",
            FailureKind::NotFound => "not_found",
            FailureKind::Invalid => "invalid",
            FailureKind::Timeout => "timeout",
            FailureKind::Plan => "plan",
            FailureKind::State => "state",
            FailureKind::Refused => "refused",
        }
    }
}

impl RunSummary {
    /// Whether everything planned was done.
    pub fn succeeded(&self) -> bool {
        self.failures.is_empty() && self.skipped.is_empty() && !self.cancelled
    }

    fn absorb(&mut self, urns: &[Urn], ends: Vec<JobEnd<StepOp, StepFailure>>, cancel: &Cancel) {
        for (i, end) in ends.into_iter().enumerate() {
            match end {
                JobEnd::Done(op) => self.changes.add(op),
                JobEnd::Failed(e) => self.failures.push(e),
                JobEnd::Skipped(Some(cause)) => {
                    self.skipped.push((urns[i].clone(), format!("{} did not complete", urns[cause])))
                }
                JobEnd::Skipped(None) => self.skipped.push((urns[i].clone(), "the run was cancelled".into())),
                JobEnd::Abandoned => {
                    self.skipped.push((urns[i].clone(), "abandoned in flight; recorded as pending".into()))
                }
            }
        }
        self.cancelled |= cancel.level() > CancelLevel::Running;
    }
}

/// The engine: a provider factory plus the algorithms.
#[derive(Clone)]
pub struct Engine {
    factory: Arc<dyn ProviderFactory>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Engine")
    }
}

/// Per-run shared state for the apply phase.
struct ApplyRun<'a> {
    start: HashMap<&'a Urn, &'a Arc<StateResource>>,
    /// The starting records in state order (dependencies first).
    start_order: Vec<&'a Arc<StateResource>>,
    /// Dependents deleted ahead of a delete-first replacement: their own
    /// step creates them again.
    deleted_early: Mutex<HashSet<Urn>>,
    persister: &'a Persister,
    providers: Mutex<Providers>,
    /// The record of every resource this run has settled, for resolving
    /// its dependents' inputs.
    live: Mutex<HashMap<Urn, Arc<StateResource>>>,
    targets: &'a [Urn],
    events: &'a EventSink,
    fatal: Fatal,
    cancel: &'a Cancel,
}

impl Engine {
    /// An engine whose provider resources are configured by `factory`.
    pub fn new(factory: Arc<dyn ProviderFactory>) -> Engine {
        Engine { factory }
    }

    /// Configures every provider the program declares and every provider the
    /// snapshot records (needed to delete what the program dropped).
    pub fn providers(&self, program: Option<&Program>, snapshot: &Snapshot) -> Result<Providers, EngineError> {
        let mut out: Providers = HashMap::new();
        for r in snapshot.live_resources().filter(|r| crate::model::is_provider_type(r.type_token())) {
            let p = self
                .factory
                .configure(&r.inputs)
                .map_err(|source| EngineError::Provider { urn: r.urn.clone(), source })?;
            out.insert(r.urn.clone(), p);
        }
        for r in program.map(Program::resources).unwrap_or_default().iter().filter(|r| r.is_provider()) {
            if r.inputs.values().any(|v| !v.output_refs().is_empty()) {
                return Err(EngineError::Provider {
                    urn: r.urn.clone(),
                    source: ProviderError::invalid(
                        "provider inputs must be known before the run (no outputs of other resources)",
                    ),
                });
            }
            let p = self
                .factory
                .configure(&r.inputs)
                .map_err(|source| EngineError::Provider { urn: r.urn.clone(), source })?;
            out.insert(r.urn.clone(), p);
        }
        Ok(out)
    }

    /// The plan `up` would follow: never calls the cloud, never writes state.
    pub fn preview(&self, program: &Program, snapshot: &Snapshot, targets: &[Urn]) -> Result<Plan, EngineError> {
        let graph = ResourceGraph::from_program(program)?;
        let order: Vec<&DesiredResource> = graph.topological_order().iter().filter_map(|u| program.get(u)).collect();
        let providers = self.providers(Some(program), snapshot)?;
        Ok(plan::preview(&order, snapshot, &providers, targets)?)
    }

    /// The plan `destroy` would follow.
    pub fn preview_destroy(&self, snapshot: &Snapshot) -> Result<Plan, EngineError> {
        let mut steps = Vec::new();
        for r in snapshot.resources.iter().rev() {
            if r.protect && !r.delete {
                return Err(PlanError::Protected { urn: r.urn.clone(), action: "delete" }.into());
            }
            steps.push(PlannedStep {
                op: StepOp::Delete,
                urn: r.urn.clone(),
                diffs: vec![],
                replace_keys: vec![],
                delete_before_replace: false,
            });
        }
        Ok(Plan { steps })
    }

    /// Brings the cloud and the state to what `program` declares.
    pub async fn up(
        &self,
        program: &Program,
        persister: &Persister,
        opts: &RunOptions,
    ) -> Result<RunSummary, EngineError> {
        // Planning first refuses protected replacements, failed checks and bad
        // targets before anything changes.
        self.preview(program, &persister.snapshot(), &opts.targets)?;
        self.apply(program, persister, opts).await
    }

    /// `up` for a caller that has just previewed the same program against
    /// the same state (and so already had it checked).
    pub(crate) async fn apply(
        &self,
        program: &Program,
        persister: &Persister,
        opts: &RunOptions,
    ) -> Result<RunSummary, EngineError> {
        let started = Instant::now();
        let start = persister.snapshot();
        let graph = ResourceGraph::from_program(program)?;
        let order = graph.topological_order();
        let index: HashMap<&Urn, usize> = order.iter().enumerate().map(|(i, u)| (u, i)).collect();
        let prerequisites: Vec<Vec<usize>> =
            order.iter().map(|u| graph.dependencies(u).iter().map(|d| index[d]).collect()).collect();
        let run = ApplyRun {
            start: start.resources.iter().filter(|r| !r.delete).map(|r| (&r.urn, r)).collect(),
            start_order: start.resources.iter().filter(|r| !r.delete).collect(),
            deleted_early: Mutex::new(HashSet::new()),
            persister,
            providers: Mutex::new(self.providers(Some(program), &start)?),
            live: Mutex::new(HashMap::new()),
            targets: &opts.targets,
            events: &opts.events,
            fatal: Fatal::default(),
            cancel: &opts.cancel,
        };
        let ends = run_dag(&prerequisites, opts.parallel, &opts.cancel, |i| {
            let run = &run;
            let desired = program.get(&order[i]).expect("graph nodes come from the program");
            async move { (i, run.apply(desired).await.map_err(|e| report_failure(run.events, &desired.urn, e))) }
        })
        .await;
        if let Err(e) = persister.flush().await {
            run.fatal.stop(e, &opts.cancel);
        }
        let root_done = matches!(ends.first(), Some(JobEnd::Done(_)));
        let mut summary = RunSummary::default();
        summary.absorb(&order, ends, &opts.cancel);
        if root_done && opts.cancel.level() == CancelLevel::Running {
            run.record_stack_outputs(program).await;
        }
        if let Some(e) = run.fatal.take() {
            return Err(e.into());
        }
        if summary.failures.is_empty() && opts.cancel.level() == CancelLevel::Running {
            let desired: HashSet<&Urn> = program.resources().iter().map(|r| &r.urn).collect();
            let providers = run.providers.into_inner().unwrap_or_else(|e| e.into_inner());
            self.delete_phase(persister, &providers, &desired, opts, &mut summary).await?;
        }
        summary.elapsed = started.elapsed();
        Ok(summary)
    }

    /// Deletes every resource in the state, dependents first.
    pub async fn destroy(&self, persister: &Persister, opts: &RunOptions) -> Result<RunSummary, EngineError> {
        let started = Instant::now();
        let start = persister.snapshot();
        self.preview_destroy(&start)?;
        let providers = self.providers(None, &start)?;
        let mut summary = RunSummary::default();
        self.delete_phase(persister, &providers, &HashSet::new(), opts, &mut summary).await?;
        summary.elapsed = started.elapsed();
        Ok(summary)
    }

    /// Reads every recorded cloud resource and records what changed out of
    /// band (modified outputs, deletions). Counts a changed resource as an
    /// update and a vanished one as a delete.
    pub async fn refresh(&self, persister: &Persister, opts: &RunOptions) -> Result<RunSummary, EngineError> {
        let started = Instant::now();
        let start = persister.snapshot();
        let providers = self.providers(None, &start)?;
        let records: Vec<&StateResource> = start
            .live_resources()
            .filter(|r| r.custom && !crate::model::is_provider_type(r.type_token()) && r.id.is_some())
            .collect();
        let urns: Vec<Urn> = records.iter().map(|r| r.urn.clone()).collect();
        let fatal = Fatal::default();
        let prerequisites = vec![Vec::new(); records.len()];
        let ends = run_dag(&prerequisites, opts.parallel, &opts.cancel, |i| {
            let (rec, providers, fatal) = (records[i], &providers, &fatal);
            async move {
                let r = refresh_one(rec, providers, persister, &opts.events).await;
                (i, r.map_err(|e| fatal.step_failed(e, &rec.urn, opts)))
            }
        })
        .await;
        if let Some(e) = fatal.take() {
            return Err(e.into());
        }
        let mut summary = RunSummary::default();
        summary.absorb(&urns, ends, &opts.cancel);
        summary.elapsed = started.elapsed();
        Ok(summary)
    }

    /// Works out what to do about the operations an interrupted run left
    /// pending, reading (never changing) the cloud: a create that reached the
    /// cloud is adopted — found by its URN tag or unique name — instead of
    /// being made twice; one that did not is dropped; an interrupted update is
    /// re-read; an interrupted delete is settled by whether the resource is
    /// still there. Returns the state mutations, each with what it means.
    pub async fn plan_recovery(&self, snapshot: &Snapshot) -> Result<Vec<(Mutation, String)>, EngineError> {
        if snapshot.pending.is_empty() {
            return Ok(Vec::new());
        }
        let providers = self.providers(None, snapshot)?;
        let mut out = Vec::new();
        for pending in &snapshot.pending {
            let rec = &pending.resource;
            let urn = rec.urn.clone();
            let Some(provider) = provider_for_record(rec, &providers) else {
                out.push((
                    Mutation::Abandon(urn),
                    format!("dropped the pending {} of {}: it has no provider", pending.kind.as_str(), rec.urn),
                ));
                continue;
            };
            let ctx = CallContext { urn: urn.clone(), token: rec.type_token().to_string(), timeout: None };
            let failed = |e: ProviderError| EngineError::Provider { urn: urn.clone(), source: e };
            match pending.kind {
                // Pulumi's `get` and `import` change nothing in the cloud.
                PendingKind::Reading | PendingKind::Importing => out.push((
                    Mutation::Abandon(urn.clone()),
                    format!("dropped the pending {} of {urn}: it changed nothing in the cloud", pending.kind.as_str()),
                )),
                PendingKind::Creating => {
                    let recorded: HashSet<&str> =
                        snapshot.resources.iter().filter(|r| r.urn == urn).filter_map(|r| r.id.as_deref()).collect();
                    let found = provider.find(&ctx, &rec.inputs).await.map_err(failed)?;
                    let mut candidates = found.into_iter().filter(|c| !recorded.contains(c.id.as_str()));
                    match candidates.next() {
                        Some(made) => {
                            if let Some(live) = snapshot.live(&urn) {
                                // A create-before-delete replacement: the old one is now condemned.
                                out.push((
                                    Mutation::Condemn(urn.clone(), live.id.clone().unwrap_or_default()),
                                    String::new(),
                                ));
                            }
                            let mut adopted = rec.clone();
                            adopted.id = Some(made.id.clone());
                            adopted.outputs = mark_secrets(made.outputs, &rec.inputs);
                            out.push((
                                Mutation::Upsert(Arc::new(adopted)),
                                format!("adopted {} ({}) that an interrupted create made", urn, made.id),
                            ));
                            let extra: Vec<String> = candidates.map(|c| c.id).collect();
                            if !extra.is_empty() {
                                out.push((
                                    Mutation::Abandon(urn.clone()),
                                    format!(
                                        "{} more cloud resources carry the URN of {urn} and were left alone: {}",
                                        extra.len(),
                                        extra.join(", ")
                                    ),
                                ));
                            }
                        }
                        None => out.push((
                            Mutation::Abandon(urn.clone()),
                            format!("the interrupted create of {urn} never reached the cloud"),
                        )),
                    }
                }
                PendingKind::Updating | PendingKind::Deleting => {
                    let id = rec.id.clone().unwrap_or_default();
                    match provider.read(&ctx, &id).await.map_err(failed)? {
                        None => out.push((
                            Mutation::Remove(urn.clone(), rec.id.clone()),
                            format!("{urn} ({id}) is gone after an interrupted {}", pending.kind.as_str()),
                        )),
                        Some(outputs) if pending.kind == PendingKind::Updating => {
                            let mut reread = rec.clone();
                            reread.outputs = mark_secrets(outputs, &rec.inputs);
                            out.push((
                                Mutation::Upsert(Arc::new(reread)),
                                format!("re-read {urn} after an interrupted update"),
                            ))
                        }
                        Some(_) => out.push((
                            Mutation::Abandon(urn.clone()),
                            format!("{urn} survived an interrupted delete; it is still recorded"),
                        )),
                    }
                }
            }
        }
        Ok(out)
    }

    /// Deletes condemned records and, unless `keep` lists them, every live
    /// record, each after everything that depends on it.
    async fn delete_phase(
        &self,
        persister: &Persister,
        providers: &Providers,
        keep: &HashSet<&Urn>,
        opts: &RunOptions,
        summary: &mut RunSummary,
    ) -> Result<(), EngineError> {
        let snapshot = persister.snapshot();
        let targeted = |u: &Urn| opts.targets.is_empty() || opts.targets.contains(u);
        // Reverse state order: dependents become ready before what they use.
        let doomed: Vec<&StateResource> = snapshot
            .resources
            .iter()
            .map(Arc::as_ref)
            .rev()
            .filter(|r| (r.delete || !keep.contains(&r.urn)) && targeted(&r.urn))
            .collect();
        let mut users: HashMap<Urn, Vec<usize>> = HashMap::new();
        for (i, r) in doomed.iter().enumerate() {
            let provider = r.provider_ref().map(|(u, _)| u);
            for used in r.parent.iter().chain(r.dependencies.iter()).chain(provider.iter()) {
                users.entry(used.clone()).or_default().push(i);
            }
        }
        let prerequisites: Vec<Vec<usize>> = doomed
            .iter()
            .enumerate()
            .map(|(i, r)| {
                users.get(&r.urn).map(|v| v.iter().copied().filter(|&j| j != i).collect()).unwrap_or_default()
            })
            .collect();
        let urns: Vec<Urn> = doomed.iter().map(|r| r.urn.clone()).collect();
        let fatal = Fatal::default();
        let ends = run_dag(&prerequisites, opts.parallel, &opts.cancel, |i| {
            let (rec, fatal) = (doomed[i], &fatal);
            async move {
                let r = delete_one(rec, providers, persister, &opts.events).await;
                (i, r.map_err(|e| fatal.step_failed(e, &rec.urn, opts)))
            }
        })
        .await;
        if let Err(e) = persister.flush().await {
            fatal.stop(e, &opts.cancel);
        }
        if let Some(e) = fatal.take() {
            return Err(e.into());
        }
        summary.absorb(&urns, ends, &opts.cancel);
        Ok(())
    }
}

/// A step's failure.
#[derive(Debug)]
enum StepError {
    Plan(PlanError),
    Provider(&'static str, ProviderError),
    State(StateError),
    Refused(String),
}

impl std::fmt::Display for StepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StepError::Plan(e) => write!(f, "{e}"),
            StepError::Provider(action, e) => write!(f, "{action} failed: {e}"),
            StepError::State(e) => write!(f, "{e}"),
            StepError::Refused(why) => f.write_str(why),
        }
    }
}

impl From<StateError> for StepError {
    fn from(e: StateError) -> Self {
        StepError::State(e)
    }
}

/// A run's first state failure. Once the state cannot be recorded, no new
/// step may start (drain, never abort: in-flight steps still try to record),
/// and the run ends with this error.
#[derive(Debug, Default)]
struct Fatal(Mutex<Option<StateError>>);

impl Fatal {
    /// Records a state failure and stops new steps; returns its message.
    fn stop(&self, e: StateError, cancel: &Cancel) -> String {
        let msg = e.to_string();
        self.0.lock().unwrap_or_else(|e| e.into_inner()).get_or_insert(e);
        if cancel.level() == CancelLevel::Running {
            cancel.request();
        }
        msg
    }

    /// Turns a step's failure into its report: state failures stop the run,
    /// others are reported as the step's own.
    fn step_failed(&self, e: StepError, urn: &Urn, opts: &RunOptions) -> StepFailure {
        match e {
            StepError::State(s) => StepFailure {
                urn: urn.clone(),
                kind: FailureKind::State,
                code: None,
                message: self.stop(s, &opts.cancel),
            },
            other => report_failure(&opts.events, urn, other),
        }
    }

    /// The error that stopped the run, if any.
    fn take(&self) -> Option<StateError> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

fn report_failure(events: &EventSink, urn: &Urn, e: StepError) -> StepFailure {
    let message = e.to_string();
    events(&Event::StepFailed { urn: urn.clone(), error: message.clone() });
    let (kind, code) = match &e {
        StepError::Provider(_, p) => (
            match p.kind {
                ErrorKind::Transient => FailureKind::Transient,
                ErrorKind::Permanent => FailureKind::Permanent,
                ErrorKind::NotFound => FailureKind::NotFound,
                ErrorKind::Invalid => FailureKind::Invalid,
                ErrorKind::Timeout => FailureKind::Timeout,
            },
            Some(p.code.clone()),
        ),
        StepError::Plan(PlanError::Check { source, .. }) => (FailureKind::Invalid, Some(source.code.clone())),
        StepError::Plan(_) => (FailureKind::Plan, None),
        StepError::State(_) => (FailureKind::State, None),
        StepError::Refused(_) => (FailureKind::Refused, None),
    };
    StepFailure { urn: urn.clone(), kind, code, message }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339()
}

/// Outputs stay secret when their same-named input was secret — and, unlike
/// Pulumi, so does any other output that echoes a secret input's value (an
/// AWS provider's `tagsAll` repeats `tags`), so no secret reaches state.
fn mark_secrets(outputs: PropertyMap, inputs: &PropertyMap) -> PropertyMap {
    let secrets: Vec<String> = inputs.values().flat_map(Value::secret_strings).filter(|s| !s.is_empty()).collect();
    outputs
        .into_iter()
        .map(|(k, v)| {
            let secret = inputs.get(&k).is_some_and(Value::contains_secret) || secrets.iter().any(|s| v.mentions(s));
            (k, if secret && !matches!(v, Value::Secret(_)) { Value::secret(v) } else { v })
        })
        .collect()
}

async fn with_timeout<T>(
    limit: Option<Duration>,
    action: &'static str,
    call: impl std::future::Future<Output = Result<T, ProviderError>>,
) -> Result<T, StepError> {
    let result = match limit {
        Some(limit) => tokio::time::timeout(limit, call).await.unwrap_or_else(|_| {
            Err(ProviderError::new(
                ErrorKind::Timeout,
                "Timeout",
                format!("gave up after {}s (customTimeouts)", limit.as_secs()),
            ))
        }),
        None => call.await,
    };
    result.map_err(|e| StepError::Provider(action, e))
}

/// A fresh provider id (Pulumi uses UUIDs).
fn new_provider_id() -> String {
    let b: [u8; 16] = rand::random();
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

impl ApplyRun<'_> {
    fn targeted(&self, urn: &Urn) -> bool {
        self.targets.is_empty() || self.targets.contains(urn)
    }

    fn provider_of(&self, d: &DesiredResource) -> Option<Arc<dyn Provider>> {
        let providers = self.providers.lock().unwrap_or_else(|e| e.into_inner());
        d.provider.as_ref().and_then(|p| providers.get(p)).cloned()
    }

    fn remember(&self, rec: Arc<StateResource>) {
        self.live.lock().unwrap_or_else(|e| e.into_inner()).insert(rec.urn.clone(), rec);
    }

    fn resolve(&self, d: &DesiredResource) -> Result<PropertyMap, StepError> {
        let live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        let mut missing = None;
        let resolved = d
            .inputs
            .iter()
            .map(|(k, v)| {
                let value = v.resolve(&mut |r| {
                    let found = live.get(&r.urn).and_then(|rec| r.read(rec.id.as_deref(), &rec.outputs));
                    found.unwrap_or_else(|| {
                        missing.get_or_insert((r.urn.clone(), r.property.clone()));
                        Value::Unknown
                    })
                });
                (k.clone(), value)
            })
            .collect();
        match missing {
            Some((target, property)) => {
                Err(StepError::Plan(PlanError::MissingOutput { urn: d.urn.clone(), target, property }))
            }
            None => Ok(resolved),
        }
    }

    /// The state record for `d` with the given cloud facts.
    fn record(
        &self,
        d: &DesiredResource,
        id: Option<String>,
        inputs: PropertyMap,
        outputs: PropertyMap,
        created: Option<String>,
    ) -> StateResource {
        let provider = d.provider.as_ref().and_then(|p| {
            let live = self.live.lock().unwrap_or_else(|e| e.into_inner());
            live.get(p).and_then(|rec| rec.id.as_ref()).map(|id| format!("{p}::{id}"))
        });
        let stamp = now();
        StateResource {
            urn: d.urn.clone(),
            custom: d.custom,
            delete: false,
            id,
            inputs,
            outputs,
            parent: d.parent.clone(),
            dependencies: d.dependencies(),
            property_dependencies: d.property_dependencies(),
            provider,
            protect: d.options.protect,
            retain_on_delete: d.options.retain_on_delete,
            ignore_changes: d.options.ignore_changes.clone(),
            replace_on_changes: d.options.replace_on_changes.clone(),
            custom_timeouts: d.options.custom_timeouts.clone(),
            created: Some(created.unwrap_or_else(|| stamp.clone())),
            modified: Some(stamp),
            extra: Default::default(),
        }
    }

    fn ctx(&self, d: &DesiredResource, timeout: Option<Duration>) -> CallContext {
        CallContext { urn: d.urn.clone(), token: d.type_token().to_string(), timeout }
    }

    /// Records a write-ahead or failure entry and waits for the disk.
    async fn persist(&self, m: Mutation) -> Result<(), StepError> {
        let recorded = self.persister.record(m).await;
        recorded.map_err(|e| StepError::Refused(self.fatal.stop(e, self.cancel)))
    }

    /// Records `rec` as the resource's result and makes it what dependents
    /// resolve against; state and run share the one record. Results do not
    /// wait for the disk: they are durable before any dependent's write-ahead
    /// entry (see `Persister::enqueue`) and before the run ends.
    fn settle(&self, rec: StateResource) {
        let rec = Arc::new(rec);
        self.persister.enqueue(Mutation::Upsert(Arc::clone(&rec)));
        self.remember(rec);
    }

    /// Runs one desired resource's step.
    async fn apply(&self, d: &DesiredResource) -> Result<StepOp, StepError> {
        // Deleted ahead of a resource it depends on being replaced delete-first:
        // created again now, which completes its replacement.
        let deleted_early = self.deleted_early.lock().unwrap_or_else(|e| e.into_inner()).contains(&d.urn);
        let old = if deleted_early { None } else { self.start.get(&d.urn).copied() };
        if !self.targeted(&d.urn) && d.type_token() != ROOT_STACK_TYPE {
            if let Some(old) = old {
                self.remember(Arc::clone(old));
            }
            return Ok(StepOp::Same);
        }
        let resolved = self.resolve(d)?;
        let provider = self.provider_of(d);
        let decision =
            decide(d, resolved, old.map(Arc::as_ref), provider.as_deref(), false).map_err(StepError::Plan)?;
        let op = decision.op;
        let reported = if deleted_early { StepOp::Replace } else { op };
        let began = Instant::now();
        if op != StepOp::Same {
            (self.events)(&Event::StepStarted { urn: d.urn.clone(), op: reported });
        }
        let inputs = decision.inputs;
        match (op, old) {
            (StepOp::Same, Some(old)) => {
                // Properties are unchanged, so only metadata (dependencies,
                // options) can need recording; compare without copying them.
                let mut rec = self.record(d, old.id.clone(), PropertyMap::new(), PropertyMap::new(), None);
                if same_metadata(&rec, old) {
                    self.remember(Arc::clone(old));
                } else {
                    rec.inputs = old.inputs.clone();
                    rec.outputs = old.outputs.clone();
                    rec.created = old.created.clone();
                    rec.modified = old.modified.clone();
                    self.settle(rec);
                }
            }
            _ if !d.custom => {
                self.settle(self.record(d, None, inputs, PropertyMap::new(), old.and_then(|o| o.created.clone())));
            }
            _ if d.is_provider() => {
                let configured = self.providers.lock().unwrap_or_else(|e| e.into_inner()).contains_key(&d.urn);
                if !configured {
                    return Err(StepError::Refused(format!("provider {} is not configured", d.urn)));
                }
                let id = old.and_then(|o| o.id.clone()).unwrap_or_else(new_provider_id);
                let created = old.and_then(|o| o.created.clone());
                self.settle(self.record(d, Some(id), inputs.clone(), inputs, created));
            }
            (StepOp::Create, _) => {
                let provider = provider.ok_or_else(|| StepError::Plan(PlanError::NoProvider(d.urn.clone())))?;
                self.create(d, provider.as_ref(), inputs, None).await?;
            }
            (StepOp::Update, Some(old)) => {
                let provider = provider.ok_or_else(|| StepError::Plan(PlanError::NoProvider(d.urn.clone())))?;
                let id = old.id.clone().unwrap_or_default();
                self.persist(Mutation::Begin(PendingKind::Updating, Box::new(old.as_ref().clone()))).await?;
                let ctx = self.ctx(d, d.options.custom_timeouts.update_limit());
                let updated =
                    with_timeout(ctx.timeout, "update", provider.update(&ctx, &id, &old.outputs, &inputs)).await;
                let outputs = match updated {
                    Ok(o) => mark_secrets(o, &inputs),
                    Err(e) => {
                        self.persist(Mutation::Abandon(d.urn.clone())).await?;
                        return Err(e);
                    }
                };
                self.settle(self.record(d, Some(id), inputs, outputs, old.created.clone()));
            }
            (StepOp::Replace, Some(old)) => {
                let provider = provider.ok_or_else(|| StepError::Plan(PlanError::NoProvider(d.urn.clone())))?;
                if decision.delete_before_replace {
                    self.delete_dependents_first(&d.urn).await?;
                    self.delete_old(d, provider.as_ref(), old).await?;
                    self.create(d, provider.as_ref(), inputs, None).await?;
                } else {
                    // Create first; the old one is deleted after every create
                    // and update has finished, with the other deletes.
                    self.create(d, provider.as_ref(), inputs, Some(old)).await?;
                }
            }
            (op, None) => return Err(StepError::Refused(format!("cannot {op} {}: it is not in the state", d.urn))),
            (StepOp::Delete | StepOp::DeleteReplaced, _) => {
                unreachable!("desired resources are never deleted by their own step")
            }
        }
        if op != StepOp::Same {
            (self.events)(&Event::StepDone { urn: d.urn.clone(), op: reported, elapsed: began.elapsed() });
        }
        Ok(reported)
    }

    /// Before `root` is deleted to be replaced, deletes what depends on it and
    /// must be replaced because of it, dependents first — Pulumi's rule: a
    /// dependent must be replaced when an input that references a replaced
    /// resource, once unknown, forces its replacement (transitively). Each
    /// is created again by its own step, after `root`'s new self exists.
    async fn delete_dependents_first(&self, root: &Urn) -> Result<(), StepError> {
        let providers = self.providers.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let mut replaced: HashSet<&Urn> = HashSet::from([root]);
        let mut doomed: Vec<&StateResource> = Vec::new();
        for rec in &self.start_order {
            if &rec.urn == root || !rec.custom || crate::model::is_provider_type(rec.type_token()) {
                continue;
            }
            let referencing: Vec<&String> = rec
                .property_dependencies
                .iter()
                .filter(|(_, urns)| urns.iter().any(|u| replaced.contains(u)))
                .map(|(k, _)| k)
                .collect();
            if referencing.is_empty() {
                continue;
            }
            let Some(provider) = provider_for_record(rec, &providers) else { continue };
            let mut unknown = rec.inputs.clone();
            for k in &referencing {
                unknown.insert((*k).clone(), Value::Unknown);
            }
            let diff =
                provider.diff(rec.type_token(), &rec.inputs, &unknown).map_err(|e| StepError::Provider("diff", e))?;
            let forced = referencing.iter().any(|k| rec.replace_on_changes.contains(k));
            if !diff.replace_keys.is_empty() || forced {
                replaced.insert(&rec.urn);
                doomed.push(rec);
            }
        }
        for rec in doomed.into_iter().rev() {
            (self.events)(&Event::Notice(format!(
                "deleting {} first: it must be replaced because {root}, which it depends on, is replaced delete-first",
                rec.urn
            )));
            delete_one(rec, &providers, self.persister, self.events).await?;
            self.deleted_early.lock().unwrap_or_else(|e| e.into_inner()).insert(rec.urn.clone());
        }
        Ok(())
    }

    async fn create(
        &self,
        d: &DesiredResource,
        provider: &dyn Provider,
        inputs: PropertyMap,
        replacing: Option<&StateResource>,
    ) -> Result<(), StepError> {
        let pending = self.record(d, None, inputs.clone(), PropertyMap::new(), None);
        self.persist(Mutation::Begin(PendingKind::Creating, Box::new(pending))).await?;
        let ctx = self.ctx(d, d.options.custom_timeouts.create_limit());
        let created = match with_timeout(ctx.timeout, "create", provider.create(&ctx, &inputs)).await {
            Ok(c) => c,
            Err(StepError::Provider(action, mut e)) if e.created_id.is_some() => {
                // It exists: record it, partially created, so the next run
                // replaces it and destroy deletes it — never orphaned.
                let id = e.created_id.clone().unwrap_or_default();
                let outputs = match provider.read(&ctx, &id).await {
                    Ok(Some(outputs)) => mark_secrets(outputs, &inputs),
                    _ => PropertyMap::new(),
                };
                let mut rec = self.record(d, Some(id), inputs, outputs, None);
                rec.extra.insert(crate::state::snapshot::INIT_ERRORS.into(), serde_json::json!([e.to_string()]));
                if let Some(old) = replacing {
                    self.persister.enqueue(Mutation::Condemn(d.urn.clone(), old.id.clone().unwrap_or_default()));
                }
                self.settle(rec);
                e.message
                    .push_str(" (recorded as partially created: the next `up` makes it again, `destroy` deletes it)");
                return Err(StepError::Provider(action, e));
            }
            Err(e) => {
                self.persist(Mutation::Abandon(d.urn.clone())).await?;
                return Err(e);
            }
        };
        let outputs = mark_secrets(created.outputs, &inputs);
        if let Some(old) = replacing {
            self.persister.enqueue(Mutation::Condemn(d.urn.clone(), old.id.clone().unwrap_or_default()));
        }
        self.settle(self.record(d, Some(created.id), inputs, outputs, None));
        Ok(())
    }

    async fn delete_old(
        &self,
        d: &DesiredResource,
        provider: &dyn Provider,
        old: &StateResource,
    ) -> Result<(), StepError> {
        let id = old.id.clone().unwrap_or_default();
        self.persist(Mutation::Begin(PendingKind::Deleting, Box::new(old.clone()))).await?;
        let ctx = self.ctx(d, d.options.custom_timeouts.delete_limit());
        if let Err(e) = with_timeout(ctx.timeout, "delete", provider.delete(&ctx, &id, &old.outputs)).await {
            self.persist(Mutation::Abandon(d.urn.clone())).await?;
            return Err(e);
        }
        self.persister.enqueue(Mutation::Remove(d.urn.clone(), Some(id)));
        Ok(())
    }

    /// Records the stack outputs on the root resource once everything they
    /// reference has been resolved (unresolved ones are left out).
    async fn record_stack_outputs(&self, program: &Program) {
        let root = &program.resources()[0];
        let outputs: PropertyMap = {
            let live = self.live.lock().unwrap_or_else(|e| e.into_inner());
            program
                .outputs()
                .iter()
                .map(|(k, v)| {
                    let resolved = v.resolve(&mut |r| {
                        live.get(&r.urn)
                            .and_then(|rec| r.read(rec.id.as_deref(), &rec.outputs))
                            .unwrap_or(Value::Unknown)
                    });
                    (k.clone(), resolved)
                })
                .filter(|(_, v)| !v.contains_unknown())
                .collect()
        };
        let old = self.persister.snapshot().live(&root.urn).cloned();
        if let Some(old) = old {
            if old.outputs != outputs {
                let mut rec = old;
                rec.outputs = outputs;
                rec.modified = Some(now());
                let _ = self.persist(Mutation::Upsert(Arc::new(rec))).await;
            }
        }
    }
}

fn same_metadata(a: &StateResource, b: &StateResource) -> bool {
    a.parent == b.parent
        && a.dependencies == b.dependencies
        && a.property_dependencies == b.property_dependencies
        && a.provider == b.provider
        && a.protect == b.protect
        && a.retain_on_delete == b.retain_on_delete
        && a.ignore_changes == b.ignore_changes
        && a.replace_on_changes == b.replace_on_changes
        && a.custom_timeouts == b.custom_timeouts
}

fn provider_for_record(rec: &StateResource, providers: &Providers) -> Option<Arc<dyn Provider>> {
    rec.provider_ref().and_then(|(urn, _)| providers.get(&urn).cloned())
}

async fn delete_one(
    rec: &StateResource,
    providers: &Providers,
    persister: &Persister,
    events: &EventSink,
) -> Result<StepOp, StepError> {
    if rec.protect && !rec.delete {
        return Err(StepError::Plan(PlanError::Protected { urn: rec.urn.clone(), action: "delete" }));
    }
    let began = Instant::now();
    // The old half of a replacement completes that replacement.
    let op = if rec.delete { StepOp::DeleteReplaced } else { StepOp::Delete };
    events(&Event::StepStarted { urn: rec.urn.clone(), op });
    let calls_cloud = rec.custom && !crate::model::is_provider_type(rec.type_token()) && !rec.retain_on_delete;
    if calls_cloud {
        let provider = provider_for_record(rec, providers).ok_or_else(|| {
            StepError::Refused(format!("{}: its provider {:?} is not in the state", rec.urn, rec.provider))
        })?;
        persister.record(Mutation::Begin(PendingKind::Deleting, Box::new(rec.clone()))).await?;
        let ctx = CallContext {
            urn: rec.urn.clone(),
            token: rec.type_token().to_string(),
            timeout: rec.custom_timeouts.delete_limit(),
        };
        let id = rec.id.clone().unwrap_or_default();
        if let Err(e) = with_timeout(ctx.timeout, "delete", provider.delete(&ctx, &id, &rec.outputs)).await {
            persister.record(Mutation::Abandon(rec.urn.clone())).await?;
            return Err(e);
        }
    }
    // The result need not wait for the disk: see `ApplyRun::settle`.
    persister.enqueue(Mutation::Remove(rec.urn.clone(), rec.id.clone()));
    events(&Event::StepDone { urn: rec.urn.clone(), op, elapsed: began.elapsed() });
    Ok(op)
}

async fn refresh_one(
    rec: &StateResource,
    providers: &Providers,
    persister: &Persister,
    events: &EventSink,
) -> Result<StepOp, StepError> {
    let provider = provider_for_record(rec, providers)
        .ok_or_else(|| StepError::Refused(format!("{}: its provider is not in the state", rec.urn)))?;
    let ctx = CallContext { urn: rec.urn.clone(), token: rec.type_token().to_string(), timeout: None };
    let id = rec.id.clone().unwrap_or_default();
    match with_timeout(None, "read", provider.read(&ctx, &id)).await? {
        None => {
            events(&Event::Drift { urn: rec.urn.clone(), diffs: vec![], deleted: true });
            persister.record(Mutation::Remove(rec.urn.clone(), rec.id.clone())).await?;
            Ok(StepOp::Delete)
        }
        Some(outputs) => {
            let outputs = mark_secrets(outputs, &rec.inputs);
            let diffs = property_diffs(&rec.outputs, &outputs);
            if diffs.is_empty() {
                return Ok(StepOp::Same);
            }
            events(&Event::Drift { urn: rec.urn.clone(), diffs, deleted: false });
            let mut updated = rec.clone();
            for (k, v) in updated.inputs.iter_mut() {
                if let Some(now) = outputs.get(k) {
                    *v = now.clone();
                }
            }
            updated.outputs = outputs;
            updated.modified = Some(now());
            persister.record(Mutation::Upsert(Arc::new(updated))).await?;
            Ok(StepOp::Update)
        }
    }
}
