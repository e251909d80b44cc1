//! One stack's run: lock, load (replaying an interrupted run's journal),
//! plan, execute, compact. This is the library's entry point for embedding
//! tapctl; the CLI only adds prompts and rendering around it.

use crate::engine::{Engine, EngineError, Event, RunOptions, RunSummary};
use crate::model::{Program, Urn};
use crate::plan::Plan;
use crate::state::{Backend, Crypter, LockedStack, Persister, Snapshot, StateError};

/// Why a stack operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StackError {
    /// State could not be read, locked or written.
    #[error(transparent)]
    State(#[from] StateError),
    /// The engine refused or stopped.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The program holds secrets but no passphrase is configured.
    #[error("the program uses secret values, so the state needs encrypting: set TAPCTL_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE)")]
    NeedPassphrase,
    /// The user declined the plan.
    #[error("the plan was not confirmed; nothing was changed")]
    Declined,
    /// The state belongs to another project (e.g. a Pulumi stack imported
    /// under a different project name): planning would recreate everything.
    #[error("stack `{stack}` holds the resources of project `{theirs}`, but the program is project `{ours}`: its URNs name `{theirs}`, so this program would create its resources anew and delete the recorded ones. Name the project `{theirs}` (deploy.toml's `name`, or Pulumi.yaml's) to manage the recorded stack with this program; nothing was changed")]
    ForeignProject {
        /// The stack.
        stack: String,
        /// The project the state's root stack resource names.
        theirs: String,
        /// The program's project.
        ours: String,
    },
}

/// A stack's state in a backend, with the means to decrypt it.
#[derive(Debug, Clone)]
pub struct Stack {
    backend: Backend,
    name: String,
    crypter: Option<Crypter>,
    encryption_salt: Option<String>,
}

/// What a mutating operation did.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The plan shown before running.
    pub plan: Plan,
    /// What the run did.
    pub summary: RunSummary,
    /// The state as compacted after the run.
    pub snapshot: Snapshot,
}

impl Stack {
    /// The stack `name` in `backend`; `crypter`/`encryption_salt` come from the
    /// stack file (both `None` for a stack without secrets).
    pub fn new(
        backend: impl Into<Backend>,
        name: &str,
        crypter: Option<Crypter>,
        encryption_salt: Option<String>,
    ) -> Stack {
        Stack { backend: backend.into(), name: name.to_string(), crypter, encryption_salt }
    }

    /// The stack's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The backend.
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// The current state (an interrupted run's journal replayed in memory).
    pub fn snapshot(&self) -> Result<Snapshot, StackError> {
        Ok(self.backend.load(&self.name, self.crypter.as_ref())?.snapshot)
    }

    /// The plan for `program`: reads state, writes nothing, changes nothing
    /// in the cloud (it only reads there to see what an interrupted run's
    /// pending creates left, which `up` will adopt).
    pub async fn preview(&self, engine: &Engine, program: &Program, targets: &[Urn]) -> Result<Plan, StackError> {
        let mut snapshot = self.snapshot()?;
        self.check_project(&snapshot, program)?;
        let adopted = adopt_recorded(program, &snapshot);
        let program = adopted.as_ref().unwrap_or(program);
        for (mutation, _) in engine.plan_recovery(&snapshot).await? {
            mutation.apply(&mut snapshot);
        }
        Ok(engine.preview(program, &snapshot, targets)?)
    }

    /// Runs `program`: plans, asks `confirm`, then executes and compacts.
    pub async fn up(
        &self,
        engine: &Engine,
        program: &Program,
        opts: &RunOptions,
        confirm: impl FnOnce(&Plan) -> bool,
    ) -> Result<Outcome, StackError> {
        if self.crypter.is_none() && program.resources().iter().any(|r| r.inputs.values().any(|v| v.contains_secret()))
        {
            return Err(StackError::NeedPassphrase);
        }
        let (locked, snapshot) = self.lock_and_recover("up", opts)?;
        self.check_project(&snapshot, program)?;
        let adopted = adopt_recorded(program, &snapshot);
        let program = adopted.as_ref().unwrap_or(program);
        let persister = self.persister(&locked, snapshot)?;
        if let Err(e) = self.settle_pending(engine, &persister, opts).await {
            return self.finish(locked, persister, Plan::default(), Err(e));
        }
        if opts.refresh {
            // Drift repair: record what changed out of band, then plan against it.
            if let Err(e) = engine.refresh(&persister, opts).await {
                return self.finish(locked, persister, Plan::default(), Err(e));
            }
        }
        let plan = match engine.preview(program, &persister.snapshot(), &opts.targets) {
            Ok(plan) => plan,
            Err(e) => return self.finish(locked, persister, Plan::default(), Err(e)),
        };
        if !confirm(&plan) {
            self.finish(locked, persister, plan, Ok(RunSummary::default()))?;
            return Err(StackError::Declined);
        }
        let result = engine.apply(program, &persister, opts).await;
        self.finish(locked, persister, plan, result)
    }

    /// Deletes everything the stack manages.
    pub async fn destroy(
        &self,
        engine: &Engine,
        opts: &RunOptions,
        confirm: impl FnOnce(&Plan) -> bool,
    ) -> Result<Outcome, StackError> {
        let (locked, snapshot) = self.lock_and_recover("destroy", opts)?;
        let persister = self.persister(&locked, snapshot)?;
        if let Err(e) = self.settle_pending(engine, &persister, opts).await {
            return self.finish(locked, persister, Plan::default(), Err(e));
        }
        let plan = match engine.preview_destroy(&persister.snapshot()) {
            Ok(plan) => plan,
            Err(e) => return self.finish(locked, persister, Plan::default(), Err(e)),
        };
        if !confirm(&plan) {
            self.finish(locked, persister, plan, Ok(RunSummary::default()))?;
            return Err(StackError::Declined);
        }
        let result = engine.destroy(&persister, opts).await;
        self.finish(locked, persister, plan, result)
    }

    /// Reads every resource and records out-of-band changes.
    pub async fn refresh(&self, engine: &Engine, opts: &RunOptions) -> Result<Outcome, StackError> {
        let (locked, snapshot) = self.lock_and_recover("refresh", opts)?;
        let persister = self.persister(&locked, snapshot)?;
        if let Err(e) = self.settle_pending(engine, &persister, opts).await {
            return self.finish(locked, persister, Plan::default(), Err(e));
        }
        let result = engine.refresh(&persister, opts).await;
        self.finish(locked, persister, Plan::default(), result)
    }

    /// Replaces the stack's state with `snapshot` (validated first).
    pub fn import(&self, snapshot: &Snapshot) -> Result<(), StackError> {
        snapshot.validate()?;
        if self.crypter.is_none() && snapshot.contains_secrets() {
            return Err(StackError::NeedPassphrase);
        }
        let locked = self.backend.lock(&self.name, "stack import")?;
        self.backend.compact(&locked, snapshot, self.crypter.as_ref(), self.encryption_salt.as_deref())?;
        Ok(())
    }

    /// Takes the lock and folds an interrupted run's journal into the
    /// checkpoint, so this run starts from a clean, compacted state.
    /// Refuses a program of another project than the state's root stack
    /// resource names.
    fn check_project(&self, snapshot: &Snapshot, program: &Program) -> Result<(), StackError> {
        match snapshot.root_stack() {
            Some(root) if root.urn.project() != program.project() => Err(StackError::ForeignProject {
                stack: self.name.clone(),
                theirs: root.urn.project().to_string(),
                ours: program.project().to_string(),
            }),
            _ => Ok(()),
        }
    }

    fn lock_and_recover(&self, command: &str, opts: &RunOptions) -> Result<(LockedStack, Snapshot), StackError> {
        let locked = self.backend.lock(&self.name, command)?;
        if let Some(dead) = locked.taken_over() {
            (opts.events)(&Event::Notice(format!(
                "{dead} died holding the lock of stack `{}` (or stopped renewing it until its lease ran out); taking over",
                self.name
            )));
        }
        let loaded = self.backend.load(&self.name, self.crypter.as_ref())?;
        if loaded.replay.applied > 0 || loaded.replay.torn_tail {
            (opts.events)(&Event::Notice(format!(
                "recovered {} journal entr{} from an interrupted run{}",
                loaded.replay.applied,
                if loaded.replay.applied == 1 { "y" } else { "ies" },
                if loaded.replay.torn_tail { " (its last, unfinished entry was dropped)" } else { "" }
            )));
            self.backend.compact(&locked, &loaded.snapshot, self.crypter.as_ref(), self.encryption_salt.as_deref())?;
        }
        Ok((locked, loaded.snapshot))
    }

    /// Adopts, re-reads or drops what an interrupted run left pending, and
    /// says so; afterwards the state has no pending operations.
    async fn settle_pending(
        &self,
        engine: &Engine,
        persister: &Persister,
        opts: &RunOptions,
    ) -> Result<RunSummary, EngineError> {
        for (mutation, note) in engine.plan_recovery(&persister.snapshot()).await? {
            persister.record(mutation).await?;
            if !note.is_empty() {
                (opts.events)(&Event::Notice(note));
            }
        }
        Ok(RunSummary::default())
    }

    fn persister(&self, locked: &LockedStack, snapshot: Snapshot) -> Result<Persister, StackError> {
        Ok(Persister::new(snapshot, self.backend.open_journal(locked)?, self.crypter.clone()))
    }

    /// Compacts whatever the run recorded — also when it failed, so the
    /// checkpoint always reflects every completed step.
    fn finish(
        &self,
        locked: LockedStack,
        persister: Persister,
        plan: Plan,
        result: Result<RunSummary, EngineError>,
    ) -> Result<Outcome, StackError> {
        let changed = persister.recorded() > 0;
        let snapshot = persister.finish();
        if changed {
            self.backend.compact(&locked, &snapshot, self.crypter.as_ref(), self.encryption_salt.as_deref())?;
        }
        let summary = result?;
        Ok(Outcome { plan, summary, snapshot })
    }
}

/// `program` with what the state already recorded for it where the program
/// only generated a stand-in: its default provider's name, auto-generated
/// physical names. `None` when nothing differs.
fn adopt_recorded(program: &Program, snapshot: &Snapshot) -> Option<Program> {
    let mut adopted = adopt_recorded_default_provider(program, snapshot);
    for auto in program.autonames() {
        let recorded = snapshot.live(&auto.urn).and_then(|r| r.inputs.get(&auto.property));
        let Some(recorded) = recorded.filter(|v| v.as_str().is_some_and(|s| s.starts_with(&auto.prefix))) else {
            continue;
        };
        let current = adopted.as_ref().unwrap_or(program).get(&auto.urn).and_then(|d| d.inputs.get(&auto.property));
        if current != Some(recorded) {
            let target = adopted.get_or_insert_with(|| program.clone());
            target.set_input(&auto.urn, &auto.property, recorded.clone());
        }
    }
    adopted
}

/// `program` with its default AWS provider named as the state recorded it,
/// when the state holds exactly one live default AWS provider under another
/// plugin version's name (`default_5_35_0`, `default_6_x`) with the same
/// configuration; `None` when there is nothing to adopt.
fn adopt_recorded_default_provider(program: &Program, snapshot: &Snapshot) -> Option<Program> {
    use crate::model::AWS_PROVIDER_TYPE;
    let ours = program.default_provider_urn()?;
    if snapshot.live(ours).is_some() {
        return None;
    }
    let mut recorded = snapshot
        .live_resources()
        .filter(|r| r.type_token() == AWS_PROVIDER_TYPE && r.parent.is_none() && r.urn.name().starts_with("default_"));
    let theirs = recorded.next()?;
    if recorded.next().is_some() {
        return None;
    }
    let desired = program.get(ours)?;
    if !same_provider_configuration(&desired.inputs, &theirs.inputs) {
        return None;
    }
    let version = theirs.inputs.get("version").and_then(|v| v.as_str()).unwrap_or_default().to_string();
    let mut adopted = program.clone();
    adopted.keep_default_provider_name(theirs.urn.name(), &version).ok()?;
    Some(adopted)
}

/// Whether two provider configurations agree on everything but the plugin
/// `version` and the bookkeeping Pulumi adds (`__`-prefixed keys,
/// pulumi-aws's `skip…` defaults).
fn same_provider_configuration(a: &crate::model::PropertyMap, b: &crate::model::PropertyMap) -> bool {
    let settings = |m: &crate::model::PropertyMap| -> Vec<(String, crate::model::Value)> {
        m.iter()
            .filter(|(k, v)| {
                let default =
                    crate::plan::PULUMI_AWS_PROVIDER_DEFAULTS.iter().any(|(dk, dv)| dk == k && v.as_str() == Some(*dv));
                *k != "version" && !k.starts_with("__") && !default
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    let (a, b) = (settings(a), settings(b));
    a.len() == b.len() && a.iter().zip(&b).all(|((ka, va), (kb, vb))| ka == kb && va.same_as(vb))
}
