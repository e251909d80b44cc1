//! Command implementations over the resolved context.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{anyhow, bail, Context as _, Result};

use super::progress::Progress;
use super::render;
use super::{Cli, Cloud, Command, ConfigCommand, GraphFormat, ShiftTo, StackCommand};
use crate::config::{StackConfig, StackFile, Workspace};
use crate::engine::{default_parallelism, Cancel, CancelLevel, Engine, RunOptions};
use crate::graph::ResourceGraph;
use crate::model::{Program, PropertyMap, Urn, Value};
use crate::plan::Plan;
use crate::programs::{self, ProgramContext};
use crate::provider::memory::MemoryCloud;
use crate::provider::{AlarmSource, ProviderFactory};
use crate::shift::{self, parse_interval, Colour, ShiftOutcome, ShiftPlan, TrafficSwitch, Weights};
use crate::stack::{Stack, StackError};
use crate::state::secrets::passphrase_from_env;
use crate::state::{Backend, BackendUrl, Crypter, Snapshot, UntypedDeployment, CHECKPOINT_VERSION};

/// Everything the flags and files resolve to.
struct Context {
    workspace: Workspace,
    /// Programs the embedding crate registered (`Cli::with_programs`).
    own: Vec<(String, super::ProgramFn)>,
    stack_name: String,
    stack_file: StackFile,
    crypter: Option<Crypter>,
    backend_url: BackendUrl,
    cloud: Cloud,
    /// The in-memory cloud, loaded once so every use shares one instance.
    memory: std::sync::OnceLock<Arc<MemoryCloud>>,
    /// The AWS factory, made once so the provider and the alarm source
    /// share the SDK config it loads.
    #[cfg(feature = "aws")]
    aws: std::sync::OnceLock<Arc<crate::provider::aws::AwsFactory>>,
    /// What the provider said about the stack's region, asked once per
    /// command: `shift` builds the program again for every step.
    discovered: std::sync::Mutex<Option<Discovered>>,
}

/// The cloud facts a program is built from.
#[derive(Clone)]
struct Discovered {
    region: String,
    zones: Vec<String>,
    account_id: String,
}

impl Context {
    fn resolve(cli: &Cli, create_salt: bool, own: &[(String, super::ProgramFn)]) -> Result<Context> {
        Context::resolve_stack(cli, None, create_salt, own)
    }

    /// [`resolve`](Context::resolve) for stack `stack` instead of the one
    /// `--stack` or the selection names.
    fn resolve_stack(
        cli: &Cli,
        stack: Option<&str>,
        create_salt: bool,
        own: &[(String, super::ProgramFn)],
    ) -> Result<Context> {
        let workspace = Workspace::open(&cli.cwd)?;
        let stack_name =
            stack.map(str::to_string).or_else(|| cli.stack.clone()).unwrap_or_else(|| workspace.current_stack());
        crate::state::local::check_stack_name(&stack_name)?;
        let mut stack_file = workspace.stack(&stack_name)?;
        let crypter = match (stack_file.encryption_salt().map(str::to_string), passphrase_from_env()) {
            (Some(salt), Some(pass)) => Some(
                Crypter::open(&pass, &salt).with_context(|| format!("opening the secrets of stack `{stack_name}`"))?,
            ),
            (Some(_), None) => bail!(
                "stack `{stack_name}` has encrypted secrets: set TAPCTL_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE) to its passphrase"
            ),
            (None, Some(pass)) if create_salt => {
                let (crypter, salt) = Crypter::create(&pass)?;
                stack_file.set_encryption_salt(&salt);
                stack_file.save()?;
                Some(crypter)
            }
            (None, _) => None,
        };
        let backend_url = workspace.backend_url(cli.backend.as_deref())?;
        Ok(Context {
            workspace,
            own: own.to_vec(),
            stack_name,
            stack_file,
            crypter,
            backend_url,
            cloud: cli.cloud,
            memory: Default::default(),
            #[cfg(feature = "aws")]
            aws: Default::default(),
            discovered: Default::default(),
        })
    }

    /// Gives the stack an `encryptionsalt` when `program` holds secrets and
    /// the stack has none yet (with a passphrase set): only a stack that
    /// needs encrypting gets one, as with `config set --secret`.
    fn salt_for(&mut self, program: &Program) -> Result<()> {
        let needs = program.resources().iter().any(|r| r.inputs.values().any(Value::contains_secret))
            || program.outputs().values().any(Value::contains_secret);
        if !needs || self.crypter.is_some() {
            return Ok(());
        }
        if let Some(pass) = passphrase_from_env() {
            let (crypter, salt) = Crypter::create(&pass)?;
            self.stack_file.set_encryption_salt(&salt);
            self.stack_file.save()?;
            self.crypter = Some(crypter);
        }
        Ok(())
    }

    fn backend(&self) -> Result<Backend> {
        Ok(Backend::open(&self.backend_url, self.workspace.project.backend_history)?)
    }

    fn stack(&self) -> Result<Stack> {
        Ok(Stack::new(
            self.backend()?,
            &self.stack_name,
            self.crypter.clone(),
            self.stack_file.encryption_salt().map(str::to_string),
        ))
    }

    fn factory(&self) -> Result<Arc<dyn ProviderFactory>> {
        match self.cloud {
            Cloud::Memory => Ok(Arc::new(self.memory_cloud()?)),
            #[cfg(feature = "aws")]
            Cloud::Aws => Ok(self.aws().clone()),
            #[cfg(not(feature = "aws"))]
            Cloud::Aws => bail!(
                "this build of tapctl has no AWS provider (built without the `aws` feature); run with --cloud memory"
            ),
        }
    }

    fn memory_cloud(&self) -> Result<Arc<MemoryCloud>> {
        if let Some(cloud) = self.memory.get() {
            return Ok(cloud.clone());
        }
        let dir = self.workspace.local_dir(&self.backend_url);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join(format!("{}.memory-cloud.json", self.stack_name));
        let cloud = Arc::new(MemoryCloud::open(&path)?);
        Ok(self.memory.get_or_init(|| cloud).clone())
    }

    #[cfg(feature = "aws")]
    fn aws(&self) -> &Arc<crate::provider::aws::AwsFactory> {
        self.aws.get_or_init(|| Arc::new(crate::provider::aws::AwsFactory::from_env()))
    }

    /// Where a traffic shift reads alarm states: the stack's region.
    fn alarm_source(&self) -> Result<Arc<dyn AlarmSource>> {
        match self.cloud {
            Cloud::Memory => Ok(self.memory_cloud()?),
            #[cfg(feature = "aws")]
            Cloud::Aws => {
                let region = programs::region(&self.config(&[])?, env_region().as_deref())?;
                Ok(self.aws().alarm_source(Some(&region)))
            }
            #[cfg(not(feature = "aws"))]
            Cloud::Aws => bail!(
                "this build of tapctl has no AWS provider (built without the `aws` feature); run with --cloud memory"
            ),
        }
    }

    /// The stack's config values with `overrides` applied.
    fn config(&self, overrides: &[(&str, Value)]) -> Result<StackConfig> {
        let mut values = self.stack_file.values(self.crypter.as_ref())?;
        for (k, v) in overrides {
            values.insert(k.to_string(), v.clone());
        }
        Ok(StackConfig::new(values))
    }

    /// Builds the program from the stack's config, discovering the region's
    /// availability zones through the provider.
    async fn program(&self, factory: &Arc<dyn ProviderFactory>) -> Result<Program> {
        Ok(self.built(factory, &[]).await?.program)
    }

    /// Builds the program with config `overrides`, keeping what `shift` needs.
    async fn built(&self, factory: &Arc<dyn ProviderFactory>, overrides: &[(&str, Value)]) -> Result<programs::Built> {
        let config = self.config(overrides)?;
        let aws_region = env_region();
        let region = programs::region(&config, aws_region.as_deref())?;
        let Discovered { zones, account_id, .. } = self.discover(factory, region).await?;
        // ENVIRONMENT_SUFFIX is what CI pipelines of the seed systems set.
        let suffix = ["TAPCTL_ENVIRONMENT_SUFFIX", "ENVIRONMENT_SUFFIX"]
            .iter()
            .find_map(|name| std::env::var(name).ok().filter(|s| !s.is_empty()));
        let ctx = ProgramContext {
            project: &self.workspace.project.name,
            stack: &self.stack_name,
            config: &config,
            availability_zones: zones,
            environment_suffix: suffix,
            aws_region,
            account_id: Some(account_id),
        };
        if self.workspace.is_pulumi() {
            let program = crate::yaml::YamlProgram::load(self.workspace.root())?;
            return Ok(program.build(&ctx)?);
        }
        let name = &self.workspace.project.program;
        if let Some((_, build)) = self.own.iter().find(|(n, _)| n == name) {
            return Ok(build(&ctx)?);
        }
        match programs::build(name, &ctx) {
            Err(programs::BuildError::UnknownProgram(_)) if !self.own.is_empty() => {
                let mut known: Vec<&str> = programs::PROGRAMS.to_vec();
                known.extend(self.own.iter().map(|(n, _)| n.as_str()));
                bail!("unknown program `{name}` in deploy.toml; available: {}", known.join(", "))
            }
            other => Ok(other?),
        }
    }

    /// The availability zones of `region` and the credentials' account, from
    /// the provider the first time, from memory afterwards.
    async fn discover(&self, factory: &Arc<dyn ProviderFactory>, region: String) -> Result<Discovered> {
        let known = self.discovered.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some(known) = known.filter(|d| d.region == region) {
            return Ok(known);
        }
        let provider = factory.configure(&PropertyMap::from([("region".to_string(), Value::from(region.as_str()))]))?;
        let zones = provider
            .availability_zones()
            .await
            .with_context(|| format!("listing the availability zones of {region}"))?;
        let account_id =
            provider.caller_account_id().await.context("asking the provider which account its credentials act in")?;
        let found = Discovered { region, zones, account_id };
        *self.discovered.lock().unwrap_or_else(|e| e.into_inner()) = Some(found.clone());
        Ok(found)
    }

    fn parallel(&self, flag: Option<usize>) -> Result<usize> {
        match flag.or(self.workspace.project.parallel) {
            Some(0) => bail!("--parallel must be at least 1"),
            Some(n) => Ok(n),
            None => Ok(default_parallelism()),
        }
    }
}

/// `AWS_REGION`, else `AWS_DEFAULT_REGION`: where the AWS tools look for a
/// region; the stack's `aws:region` still wins (see [`programs::region`]).
fn env_region() -> Option<String> {
    ["AWS_REGION", "AWS_DEFAULT_REGION"].iter().find_map(|name| std::env::var(name).ok().filter(|r| !r.is_empty()))
}

/// The resource `--target` names among `urns` (of `whose`): a URN as it is,
/// or the one resource with that name, or that `type::name` (full or short
/// type token).
fn target_urn<'a>(urns: impl Iterator<Item = &'a Urn>, t: &str, whose: &str) -> Result<Urn> {
    if t.starts_with("urn:") {
        return Urn::parse(t).map_err(|e| anyhow!("--target: {e}"));
    }
    let (ty, name) = match t.rsplit_once("::") {
        Some((ty, name)) => (Some(ty), name),
        None => (None, t),
    };
    let matches: Vec<&Urn> = urns
        .filter(|u| u.name() == name)
        .filter(|u| ty.is_none_or(|ty| u.type_token() == ty || crate::yaml::full_token(ty) == u.type_token()))
        .collect();
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => bail!("--target {t}: no resource of {whose} is named that; give a URN, a name or type::name (`tapctl preview --json` lists the URNs)"),
        many => bail!(
            "--target {t} names {} resources; give one of their URNs: {}",
            many.len(),
            many.iter().map(|u| u.to_string()).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// The state's resources `destroy --target` names (as [`resolve_targets`]
/// reads them), and what depends on them with `dependents`; without it, a
/// target something else still depends on is refused naming the dependents.
fn destroy_targets(snapshot: &Snapshot, targets: &[String], dependents: bool) -> Result<Vec<Urn>> {
    if targets.is_empty() {
        return Ok(Vec::new());
    }
    let live: Vec<&crate::state::StateResource> = snapshot.live_resources().collect();
    let mut out: Vec<Urn> = Vec::new();
    for t in targets {
        out.push(target_urn(live.iter().map(|r| &r.urn), t, "the stack")?);
    }
    loop {
        let users: Vec<Urn> = live
            .iter()
            .filter(|r| !out.contains(&r.urn))
            .filter(|r| r.dependencies.iter().chain(r.parent.iter()).any(|d| out.contains(d)))
            .map(|r| r.urn.clone())
            .collect();
        if users.is_empty() {
            break;
        }
        if !dependents {
            bail!(
                "these depend on the targets and would be left pointing at nothing: {}; add --target-dependents to delete them too",
                users.iter().map(|u| u.to_string()).collect::<Vec<_>>().join(", ")
            );
        }
        out.extend(users);
    }
    Ok(out)
}

/// The resources `--target` names — each a URN, a resource name, or
/// `type::name` (full or short type token) — and, with `dependents`, every
/// resource of the program that depends on one of them, transitively.
fn resolve_targets(program: &Program, targets: &[String], dependents: bool) -> Result<Vec<Urn>> {
    let mut out: Vec<Urn> = Vec::new();
    for t in targets {
        out.push(target_urn(program.resources().iter().map(|r| &r.urn), t, "the program")?);
    }
    if dependents && !out.is_empty() {
        loop {
            let before = out.len();
            for r in program.resources() {
                if !out.contains(&r.urn) && r.dependencies().iter().any(|d| out.contains(d)) {
                    out.push(r.urn.clone());
                }
            }
            if out.len() == before {
                break;
            }
        }
    }
    Ok(out)
}

/// Asks on the terminal; refuses when there is none to ask on.
fn confirm(question: &str) -> bool {
    if !std::io::stdin().is_terminal() {
        return false;
    }
    print!("{question} [y/N] ");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    matches!(line.trim(), "y" | "Y" | "yes")
}

/// First Ctrl-C drains, second aborts.
fn watch_ctrl_c(cancel: &Cancel) {
    let cancel = cancel.clone();
    tokio::spawn(async move {
        while tokio::signal::ctrl_c().await.is_ok() {
            match cancel.request() {
                CancelLevel::Draining => eprintln!(
                    "\ninterrupted: no new steps will start; waiting for in-flight ones to finish (Ctrl-C again to abandon them)"
                ),
                _ => eprintln!("\nabandoning in-flight steps; they stay recorded as pending operations"),
            }
        }
    });
}

fn declined_or(e: StackError, yes: bool) -> anyhow::Error {
    match e {
        StackError::Declined if !yes && !std::io::stdin().is_terminal() => {
            anyhow!("no terminal to confirm on: pass --yes to apply the plan; nothing was changed")
        }
        other => other.into(),
    }
}

/// The exit code of `up --expect-no-changes` when the plan has changes.
pub const EXIT_UNEXPECTED_CHANGES: u8 = 3;

/// A value as a line of text: strings as they are, anything else as JSON.
fn plain_text(v: &Value) -> String {
    v.as_str().map(str::to_string).unwrap_or_else(|| v.to_plain_json().to_string())
}

/// Runs one command.
pub async fn run(cli: Cli, own: &[(String, super::ProgramFn)]) -> Result<ExitCode> {
    match &cli.command {
        Command::Preview { diff, json, targets, target_dependents } => {
            let ctx = Context::resolve(&cli, false, own)?;
            let factory = ctx.factory()?;
            let program = ctx.program(&factory).await?;
            let engine = Engine::new(factory);
            let targets = resolve_targets(&program, targets, *target_dependents)?;
            let plan = ctx.stack()?.preview(&engine, &program, &targets).await?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&render::plan_json(&plan))?);
            } else {
                println!("Previewing update of stack {} (project {}):\n", ctx.stack_name, ctx.workspace.project.name);
                print!("{}", render::plan_text(&plan, *diff));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Up {
            yes,
            parallel,
            targets,
            target_dependents,
            json,
            diff,
            show_secrets,
            refresh,
            skip_preview,
            expect_no_changes,
        } => {
            let mut ctx = Context::resolve(&cli, false, own)?;
            let factory = ctx.factory()?;
            let program = ctx.program(&factory).await?;
            ctx.salt_for(&program)?;
            let engine = Engine::new(factory);
            let progress = Progress::new(*json);
            let opts = RunOptions {
                parallel: ctx.parallel(*parallel)?,
                targets: resolve_targets(&program, targets, *target_dependents)?,
                cancel: Cancel::new(),
                events: progress.sink(),
                refresh: *refresh,
            };
            watch_ctrl_c(&opts.cancel);
            let stack = ctx.stack()?;
            let unexpected = std::cell::Cell::new(false);
            let outcome = stack
                .up(&engine, &program, &opts, |plan: &Plan| {
                    if !*json && !*skip_preview {
                        println!("Updating stack {} (project {}):\n", ctx.stack_name, ctx.workspace.project.name);
                        print!("{}", render::plan_text(plan, *diff));
                    }
                    if !plan.summary().has_changes() {
                        return true;
                    }
                    if *expect_no_changes {
                        unexpected.set(true);
                        return false;
                    }
                    *yes || confirm("Do you want to perform this update?")
                })
                .await;
            let outcome = match outcome {
                Err(StackError::Declined) if unexpected.get() => {
                    eprintln!("error: the plan has changes and --expect-no-changes was given; nothing was changed");
                    return Ok(ExitCode::from(EXIT_UNEXPECTED_CHANGES));
                }
                other => other.map_err(|e| declined_or(e, *yes))?,
            };
            progress.finish();
            if outcome.summary.succeeded() {
                write_output_file(&ctx, &outcome.snapshot, *show_secrets)?;
            }
            report(&outcome.summary, &outcome.snapshot, *json, &progress)
        }
        Command::Shift { to, steps, interval } => shift(&cli, *to, steps, interval, own).await,
        Command::Destroy { yes, parallel, targets, target_dependents, json } => {
            let ctx = Context::resolve(&cli, false, own)?;
            let engine = Engine::new(ctx.factory()?);
            let progress = Progress::new(*json);
            let stack = ctx.stack()?;
            let targets = destroy_targets(&stack.snapshot()?, targets, *target_dependents)?;
            let opts = RunOptions {
                parallel: ctx.parallel(*parallel)?,
                events: progress.sink(),
                targets: targets.clone(),
                ..RunOptions::default()
            };
            watch_ctrl_c(&opts.cancel);
            let outcome = stack
                .destroy(&engine, &opts, |plan: &Plan| {
                    let mut shown = plan.clone();
                    if !targets.is_empty() {
                        shown.steps.retain(|s| targets.contains(&s.urn));
                    }
                    if !*json {
                        println!("Destroying stack {} (project {}):\n", ctx.stack_name, ctx.workspace.project.name);
                        print!("{}", render::plan_text(&shown, false));
                    }
                    let question = if targets.is_empty() {
                        "Do you want to delete every resource of this stack?"
                    } else {
                        "Do you want to delete these resources?"
                    };
                    !shown.summary().has_changes() || *yes || confirm(question)
                })
                .await
                .map_err(|e| declined_or(e, *yes))?;
            progress.finish();
            report(&outcome.summary, &outcome.snapshot, *json, &progress)
        }
        Command::Refresh { yes: _, json } => {
            let ctx = Context::resolve(&cli, false, own)?;
            let engine = Engine::new(ctx.factory()?);
            let progress = Progress::new(*json);
            let opts = RunOptions { parallel: ctx.parallel(None)?, events: progress.sink(), ..RunOptions::default() };
            watch_ctrl_c(&opts.cancel);
            if *json {
                let outcome = ctx.stack()?.refresh(&engine, &opts).await?;
                progress.finish();
                return report(&outcome.summary, &outcome.snapshot, true, &progress);
            }
            println!("Refreshing stack {} (project {}):\n", ctx.stack_name, ctx.workspace.project.name);
            let outcome = ctx.stack()?.refresh(&engine, &opts).await?;
            progress.finish();
            println!("{}", render::refresh_summary(&outcome.summary));
            Ok(if outcome.summary.succeeded() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::Stack(StackCommand::Output { name, json, show_secrets }) => {
            let ctx = Context::resolve(&cli, false, own)?;
            let snapshot = ctx.stack()?.snapshot()?;
            if let Some(note) = project_mismatch(&snapshot, &ctx) {
                eprintln!("note: {note}");
            }
            let outputs = stack_outputs(&snapshot);
            if let Some(name) = name {
                let v = outputs.get(name).ok_or_else(|| {
                    let known: Vec<&str> = outputs.keys().map(String::as_str).collect();
                    anyhow!("stack `{}` has no output `{name}`; its outputs: {}", ctx.stack_name, known.join(", "))
                })?;
                let v = match v {
                    Value::Secret(_) if !*show_secrets => {
                        bail!("output `{name}` is secret: pass --show-secrets to print it")
                    }
                    Value::Secret(inner) => inner.as_ref(),
                    other => other,
                };
                match (json, v.as_str()) {
                    (false, Some(s)) => println!("{s}"),
                    _ => println!("{}", v.to_plain_json()),
                }
                return Ok(ExitCode::SUCCESS);
            }
            print!("{}", render::outputs(&outputs, *json, *show_secrets));
            Ok(ExitCode::SUCCESS)
        }
        Command::Stack(StackCommand::Export { show_secrets }) => {
            let ctx = Context::resolve(&cli, false, own)?;
            let snapshot = ctx.stack()?.snapshot()?;
            let deployment = snapshot.to_deployment(ctx.crypter.as_ref(), ctx.stack_file.encryption_salt())?;
            let mut out = serde_json::to_value(UntypedDeployment { version: CHECKPOINT_VERSION, deployment })?;
            if *show_secrets {
                if let Some(crypter) = &ctx.crypter {
                    crate::state::encoding::reveal_secrets(&mut out, crypter)?;
                }
            }
            println!("{}", serde_json::to_string_pretty(&out)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Stack(StackCommand::Import { file }) => {
            // Importing secrets into a stack without any yet gives it a salt.
            let ctx = Context::resolve(&cli, true, own)?;
            // Relative paths mean relative to --cwd, as if tapctl started there.
            let file = &cli.cwd.join(file);
            let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
            let deployment = crate::state::import::parse_export(file, &text)?;
            let source = crate::state::import::source_crypter(
                &deployment,
                file,
                ctx.stack_file.encryption_salt(),
                source_passphrase(),
            )?;
            let snapshot = Snapshot::from_deployment(deployment, source.as_ref().or(ctx.crypter.as_ref()))
                .with_context(|| format!("{} failed validation; the current state is unchanged", file.display()))?;
            if let Some(note) = project_mismatch(&snapshot, &ctx) {
                eprintln!("warning: {note}");
            }
            ctx.stack()?.import(&snapshot)?;
            println!("Imported {} resources into stack {}.", snapshot.resources.len(), ctx.stack_name);
            Ok(ExitCode::SUCCESS)
        }
        Command::Stack(StackCommand::Init { copy_config_from }) => {
            let workspace = Workspace::open(&cli.cwd)?;
            let stack = cli.stack.clone().unwrap_or_else(|| workspace.current_stack());
            crate::state::local::check_stack_name(&stack)?;
            let skipped = workspace.init_stack(&stack, copy_config_from.as_deref())?;
            println!("Created stack {stack} ({}).", workspace.stack_path(&stack).display());
            if !skipped.is_empty() {
                println!("Left out secret config of {}: set it with `tapctl --stack {stack} config set --secret <key> <value>`: {}", copy_config_from.as_deref().unwrap_or_default(), skipped.join(", "));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Stack(StackCommand::Select { name }) => {
            let workspace = Workspace::open(&cli.cwd)?;
            crate::state::local::check_stack_name(name)?;
            if !workspace.stack_names().contains(name) && !workspace.is_pulumi() {
                bail!(
                    "stack `{name}` does not exist (known: {}); create it with `tapctl --stack {name} stack init`",
                    workspace.stack_names().join(", ")
                );
            }
            workspace.select_stack(name)?;
            println!("Selected stack {name}.");
            Ok(ExitCode::SUCCESS)
        }
        Command::Stack(StackCommand::Rm { name, force, preserve_config }) => {
            let ctx = Context::resolve_stack(&cli, Some(name), false, own)?;
            let snapshot = ctx.stack()?.snapshot()?;
            let managed = snapshot
                .live_resources()
                .filter(|r| r.custom && !crate::model::is_provider_type(r.type_token()))
                .count();
            if managed > 0 && !*force {
                bail!("stack `{name}` still has {managed} resources: run `tapctl --stack {name} destroy` first, or pass --force to forget them (they stay in the cloud, unmanaged)");
            }
            ctx.stack()?.backend().remove_stack(name)?;
            if !*preserve_config && ctx.stack_file.path().exists() {
                std::fs::remove_file(ctx.stack_file.path())
                    .with_context(|| format!("removing {}", ctx.stack_file.path().display()))?;
            }
            if ctx.workspace.current_stack() == *name {
                let _ = std::fs::remove_file(cli.cwd.join(".tapctl/stack"));
            }
            println!("Removed stack {name}.");
            Ok(ExitCode::SUCCESS)
        }
        Command::Stack(StackCommand::Ls { json }) => {
            let workspace = Workspace::open(&cli.cwd)?;
            let url = workspace.backend_url(cli.backend.as_deref())?;
            let summaries = Backend::open(&url, workspace.project.backend_history)?.list()?;
            let current = cli.stack.clone().unwrap_or_else(|| workspace.current_stack());
            if *json {
                let list: Vec<serde_json::Value> = workspace
                    .stack_names()
                    .iter()
                    .map(|name| {
                        let s = summaries.iter().find(|s| &s.name == name);
                        serde_json::json!({
                            "name": name,
                            "current": *name == current,
                            "resourceCount": s.map(|s| s.resource_count),
                            "lastUpdate": s.and_then(|s| s.last_update.clone()),
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                print!("{}", render::stack_list(&workspace.stack_names(), &summaries, &current));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Cancel => {
            let ctx = Context::resolve(&cli, false, own)?;
            match ctx.stack()?.backend().clear_stale_lock(&ctx.stack_name)? {
                Some(holder) => println!("Cleared the stale lock of stack {} held by {holder}.", ctx.stack_name),
                None => println!("Stack {} is not locked.", ctx.stack_name),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Config { command: None, json, show_secrets } => {
            let ctx = Context::resolve(&cli, false, own)?;
            let values = ctx.stack_file.values(ctx.crypter.as_ref())?;
            if *json {
                let list: serde_json::Map<String, serde_json::Value> = values
                    .iter()
                    .map(|(k, v)| {
                        let shown = match v {
                            Value::Secret(inner) if *show_secrets => inner.to_plain_json(),
                            Value::Secret(_) => serde_json::Value::from("[secret]"),
                            other => other.to_plain_json(),
                        };
                        (k.clone(), serde_json::json!({"value": shown, "secret": v.contains_secret()}))
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                let width = values.keys().map(String::len).max().unwrap_or(3).max(3);
                println!("{:width$}  VALUE", "KEY");
                for (k, v) in &values {
                    let shown = match v {
                        Value::Secret(inner) if *show_secrets => plain_text(inner),
                        Value::Secret(_) => "[secret]".to_string(),
                        other => plain_text(other),
                    };
                    println!("{k:width$}  {shown}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Config { command: Some(ConfigCommand::Rm { key }), .. } => {
            let mut ctx = Context::resolve(&cli, false, own)?;
            let key = &ctx.workspace.qualify_key(key);
            if !ctx.stack_file.remove(key)? {
                bail!("config key `{key}` is not set in {}", ctx.stack_file.path().display());
            }
            ctx.stack_file.save()?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Version => {
            println!("tapctl {} (pulumi-aws {})", env!("CARGO_PKG_VERSION"), crate::model::PULUMI_AWS_VERSION);
            Ok(ExitCode::SUCCESS)
        }
        Command::Completion { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(*shell, &mut Cli::command(), "tapctl", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Config { command: Some(ConfigCommand::Get { key }), .. } => {
            let ctx = Context::resolve(&cli, false, own)?;
            let values = ctx.stack_file.values(ctx.crypter.as_ref())?;
            let key = &ctx.workspace.qualify_key(key);
            let v = values
                .get(key)
                .ok_or_else(|| anyhow!("config key `{key}` is not set in {}", ctx.stack_file.path().display()))?;
            match v.as_str() {
                Some(s) => println!("{s}"),
                None => println!("{}", v.to_plain_json()),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Config { command: Some(ConfigCommand::Set { key, value, secret }), .. } => {
            // Checked before anything is written (resolving may write a salt).
            let workspace = Workspace::open(&cli.cwd)?;
            if workspace.is_pulumi() {
                let qualified = workspace.qualify_key(key);
                let program = crate::yaml::YamlProgram::load(workspace.root())?;
                let declared = program.config_schema()?;
                let decl = declared.iter().find(|d| workspace.qualify_key(&d.name) == qualified);
                if let Some(type_name) = decl.and_then(|d| d.type_name.as_deref()) {
                    crate::yaml::check_config_value(value, type_name).map_err(|why| {
                        anyhow!(
                            "config `{qualified}` is declared {type_name} in Pulumi.yaml: {why}; nothing was written"
                        )
                    })?;
                }
                if decl.is_some_and(|d| d.secret) && !*secret {
                    bail!("config `{qualified}` is declared secret in Pulumi.yaml: set it with --secret; nothing was written");
                }
            }
            let mut ctx = Context::resolve(&cli, *secret, own)?;
            let key = &ctx.workspace.qualify_key(key);
            if *secret {
                let crypter = ctx.crypter.clone().ok_or_else(|| {
                    anyhow!("--secret needs a passphrase: set TAPCTL_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE)")
                })?;
                ctx.stack_file.set_secret(key, value, &crypter)?;
            } else {
                ctx.stack_file.set_plain(key, value)?;
            }
            ctx.stack_file.save()?;
            Ok(ExitCode::SUCCESS)
        }
        Command::New { kind, name, tapctl_path, tapctl_git } => {
            let dir = cli.cwd.join(name);
            let source = match (tapctl_path, tapctl_git) {
                (Some(p), _) => super::new::TapctlSource::Path(p.clone()),
                (None, Some(url)) => super::new::TapctlSource::Git(url.clone()),
                (None, None) => super::new::TapctlSource::Version,
            };
            let written = match kind {
                super::NewKind::Yaml => super::new::yaml(&dir, name)?,
                super::NewKind::Rust => super::new::rust(&dir, name, &source)?,
            };
            println!("Created {} in {}:", name, dir.display());
            for f in written {
                println!("    {f}");
            }
            match kind {
                super::NewKind::Yaml => println!("\nNext: cd {name} && tapctl --cloud memory preview"),
                super::NewKind::Rust => println!("\nNext: cd {name} && cargo run -- --cloud memory preview"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Kinds { json } => {
            let kinds = crate::provider::KINDS;
            if *json {
                let list: Vec<serde_json::Value> = kinds
                    .iter()
                    .map(|k| {
                        serde_json::json!({
                            "token": k.token,
                            "inputs": k.inputs,
                            "requiredInputs": k.required,
                            "outputs": k.outputs,
                            "replaceOnChanges": k.force_new,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for k in kinds {
                    println!("{}", k.token);
                }
                println!("\n{} kinds; `tapctl kinds --json` gives each one's inputs and outputs.", kinds.len());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Graph { format: GraphFormat::Dot } => {
            let ctx = Context::resolve(&cli, false, own)?;
            let factory = ctx.factory()?;
            let program = ctx.program(&factory).await?;
            print!("{}", ResourceGraph::from_program(&program)?.to_dot());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Moves traffic with `tapctl shift`, each step an `up` of the traffic
/// control's resources.
async fn shift(
    cli: &Cli,
    to: ShiftTo,
    steps: &[u32],
    interval: &str,
    own: &[(String, super::ProgramFn)],
) -> Result<ExitCode> {
    let ctx = Context::resolve(cli, false, own)?;
    let factory = ctx.factory()?;
    let built = ctx.built(&factory, &[]).await?;
    let traffic = built
        .traffic
        .ok_or_else(|| anyhow!("program `{}` has no blue/green traffic to shift", ctx.workspace.project.program))?;
    let to = match to {
        ShiftTo::Blue => Colour::Blue,
        ShiftTo::Green => Colour::Green,
    };
    let plan = ShiftPlan::new(to, steps.to_vec(), parse_interval(interval).map_err(|e| anyhow!("--interval: {e}"))?)?;
    let progress = Progress::new(false);
    let cancel = Cancel::new();
    watch_ctrl_c(&cancel);
    let switch = CliSwitch {
        ctx: &ctx,
        factory: factory.clone(),
        engine: Engine::new(factory.clone()),
        stack: ctx.stack()?,
        targets: traffic.control.targets(),
        events: progress.sink(),
    };
    let alarms = ctx.alarm_source()?;
    println!("Shifting stack {} from {} toward {to:?}:", ctx.stack_name, traffic.weights);
    let outcome =
        shift::run(&plan, traffic.weights, &switch, alarms.as_ref(), &traffic.watch_alarms, &cancel, &progress.sink())
            .await?;
    progress.finish();
    match outcome {
        ShiftOutcome::Completed(w) => {
            println!("Shift complete: {w}. The stack config now records these weights.");
            Ok(ExitCode::SUCCESS)
        }
        ShiftOutcome::RolledBack { to, reason } => {
            eprintln!("error: the shift was rolled back to {to}: {reason}");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// One shift step: an `up` of the traffic control's resources alone (the
/// listener, or the weighted records) with the new weights, then the weights
/// written to the stack file so a later `up` shows no changes.
struct CliSwitch<'a> {
    ctx: &'a Context,
    factory: Arc<dyn ProviderFactory>,
    engine: Engine,
    stack: Stack,
    targets: Vec<Urn>,
    events: crate::engine::EventSink,
}

#[async_trait::async_trait]
impl TrafficSwitch for CliSwitch<'_> {
    async fn set(&self, w: Weights) -> Result<(), String> {
        let overrides = [("tap:blueWeight", Value::from(w.blue)), ("tap:greenWeight", Value::from(w.green))];
        let built = self.ctx.built(&self.factory, &overrides).await.map_err(|e| format!("{e:#}"))?;
        // Each step gets its own cancel handle: an interrupt stops the shift,
        // never the step that records a weight change (or its rollback).
        let opts = RunOptions { targets: self.targets.clone(), events: self.events.clone(), ..RunOptions::default() };
        let outcome = self.stack.up(&self.engine, &built.program, &opts, |_| true).await.map_err(|e| e.to_string())?;
        if !outcome.summary.succeeded() {
            let why: Vec<String> = outcome.summary.failures.iter().map(|f| format!("{}: {f}", f.urn.name())).collect();
            return Err(why.join("; "));
        }
        let mut file = StackFile::load(self.ctx.stack_file.path()).map_err(|e| e.to_string())?;
        file.set_plain("tap:blueWeight", &w.blue.to_string()).map_err(|e| e.to_string())?;
        file.set_plain("tap:greenWeight", &w.green.to_string()).map_err(|e| e.to_string())?;
        file.save().map_err(|e| e.to_string())
    }
}

/// Writes the stack outputs to `tap:outputFile` (for CI/CD), if it is set.
fn write_output_file(ctx: &Context, snapshot: &Snapshot, show_secrets: bool) -> Result<()> {
    let Some(path) = ctx.config(&[])?.optional_string("tap:outputFile")? else { return Ok(()) };
    let path = ctx.workspace.root().join(path);
    let body = render::outputs(&stack_outputs(snapshot), true, show_secrets);
    let dir = path.parent().unwrap_or(ctx.workspace.root());
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(body.as_bytes())?;
    tmp.persist(&path).with_context(|| format!("writing the outputs to {}", path.display()))?;
    println!("Outputs written to {}", path.display());
    Ok(())
}

/// The stack outputs: those of the state's root `pulumi:pulumi:Stack`
/// resource, found as Pulumi finds it (by type, not by this project's name).
fn stack_outputs(snapshot: &Snapshot) -> PropertyMap {
    snapshot.root_stack().map(|r| r.outputs.clone()).unwrap_or_default()
}

fn report(
    summary: &crate::engine::RunSummary,
    snapshot: &Snapshot,
    json: bool,
    progress: &Progress,
) -> Result<ExitCode> {
    let outputs = stack_outputs(snapshot);
    if json {
        println!("{}", serde_json::to_string_pretty(&render::run_json(summary, &progress.steps(), &outputs))?);
    } else {
        print!("{}", render::run_text(summary, &outputs));
    }
    Ok(if summary.succeeded() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// The passphrase that opens an imported deployment's secrets:
/// TAPCTL_SOURCE_PASSPHRASE, else this stack's own passphrase variables.
fn source_passphrase() -> Option<crate::state::import::SourcePassphrase> {
    use crate::state::import::SourcePassphrase;
    ["TAPCTL_SOURCE_PASSPHRASE", "TAPCTL_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE"]
        .into_iter()
        .find_map(|variable| std::env::var(variable).ok().map(|passphrase| SourcePassphrase { passphrase, variable }))
}

/// When the state's root stack belongs to another project than this one: what
/// that means and how to align the two.
fn project_mismatch(snapshot: &Snapshot, ctx: &Context) -> Option<String> {
    let root = snapshot.root_stack()?;
    let theirs = root.urn.project();
    let ours = &ctx.workspace.project.name;
    (theirs != ours).then(|| {
        format!(
            "the imported stack belongs to project `{theirs}` but this project is `{ours}`: its resources' URNs name `{theirs}`, so a preview here would create this project's resources anew and delete the imported ones. Set `name = \"{theirs}\"` in deploy.toml to manage the imported stack with this program"
        )
    })
}
