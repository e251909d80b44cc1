//! The `tapctl` command line: clap parsing, then a resolved context that
//! knows how to build the program, the provider factory and the stack — the
//! ripgrep split between raw flags and the machinery they configure.
//!
//! Invariant: every error reaches the user once, as `error: …` with the cause
//! chain, and the process exits non-zero; nothing here talks to a cloud or
//! writes state except through [`crate::stack::Stack`].

mod commands;
mod new;
mod progress;
mod render;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// tapctl — a Pulumi-compatible infrastructure provisioner.
#[derive(Debug, Parser)]
#[command(name = "tapctl", version, about, long_about = None)]
pub struct Cli {
    /// The stack to operate on (default: deploy.toml's default_stack).
    #[arg(long, short = 's', global = true, env = "TAPCTL_STACK")]
    pub stack: Option<String>,
    /// Run as if started in this project folder.
    #[arg(long, global = true, default_value = ".")]
    pub cwd: PathBuf,
    /// Where state lives (overrides deploy.toml's `backend`): `file://<dir>`
    /// or `s3://<bucket>[/<prefix>]`.
    #[arg(long, global = true, env = "TAPCTL_BACKEND")]
    pub backend: Option<String>,
    /// Which cloud to reconcile against.
    #[arg(long, global = true, value_enum, default_value_t = Cloud::Aws, env = "TAPCTL_CLOUD")]
    pub cloud: Cloud,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The cloud behind the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Cloud {
    /// AWS through the official SDKs (honours AWS_ENDPOINT_URL).
    Aws,
    /// The in-memory cloud, persisted under state/ between commands.
    Memory,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show what `up` would do, without changing anything.
    Preview {
        /// Show property-level differences.
        #[arg(long)]
        diff: bool,
        /// Print the plan as JSON.
        #[arg(long)]
        json: bool,
        /// Only plan these resources: URN, name, or type::name.
        #[arg(long = "target")]
        targets: Vec<String>,
        /// With --target, also the resources that depend on the targets.
        #[arg(long)]
        target_dependents: bool,
    },
    /// Create or update the stack's resources.
    Up {
        /// Do not ask for confirmation.
        #[arg(long, short = 'y')]
        yes: bool,
        /// Steps in flight at most (default: deploy.toml's parallel, else 4 × CPUs).
        #[arg(long, short = 'p')]
        parallel: Option<usize>,
        /// Only update these resources: URN, name, or type::name.
        #[arg(long = "target")]
        targets: Vec<String>,
        /// With --target, also the resources that depend on the targets.
        #[arg(long)]
        target_dependents: bool,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        /// Show property-level differences in the plan.
        #[arg(long)]
        diff: bool,
        /// Write secret outputs in plaintext to the `tap:outputFile` file.
        #[arg(long)]
        show_secrets: bool,
        /// Read every resource first and repair drift (re-create what was
        /// deleted, put modified properties back), respecting ignoreChanges.
        #[arg(long)]
        refresh: bool,
        /// Do not print the plan before updating (Pulumi's flag; with --yes
        /// nothing is asked either).
        #[arg(long)]
        skip_preview: bool,
        /// Exit with code 3 and change nothing when the plan has changes
        /// (a guard for CI), as Pulumi's flag does.
        #[arg(long)]
        expect_no_changes: bool,
    },
    /// Delete every resource of the stack.
    Destroy {
        /// Do not ask for confirmation.
        #[arg(long, short = 'y')]
        yes: bool,
        /// Steps in flight at most.
        #[arg(long, short = 'p')]
        parallel: Option<usize>,
        /// Only delete these resources: URN, name, or type::name.
        #[arg(long = "target")]
        targets: Vec<String>,
        /// With --target, also delete what depends on the targets.
        #[arg(long)]
        target_dependents: bool,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Read every resource and record what changed outside tapctl.
    Refresh {
        /// Do not ask for confirmation (refresh only changes the state).
        #[arg(long, short = 'y')]
        yes: bool,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Stack outputs, state export/import, listing.
    #[command(subcommand)]
    Stack(StackCommand),
    /// Clear a stale lock left by a run that died.
    Cancel,
    /// Read and write stack config (no subcommand: list it, secrets masked).
    Config {
        /// What to do; none lists the config.
        #[command(subcommand)]
        command: Option<ConfigCommand>,
        /// List as JSON.
        #[arg(long)]
        json: bool,
        /// Show secret values when listing.
        #[arg(long)]
        show_secrets: bool,
    },
    /// Print tapctl's version.
    Version,
    /// Print a shell completion script: `tapctl completion bash > /etc/bash_completion.d/tapctl`.
    Completion {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Move traffic between blue and green step by step, watching alarms,
    /// rolling back when one fires or on Ctrl-C.
    Shift {
        /// The colour to move traffic to.
        #[arg(long, value_enum)]
        to: ShiftTo,
        /// The target colour's share after each step, in percent.
        #[arg(long, value_delimiter = ',', default_value = "10,50,100")]
        steps: Vec<u32>,
        /// How long to watch the alarms after each step (e.g. 60s, 2m, 500ms).
        #[arg(long, default_value = "60s")]
        interval: String,
    },
    /// Print the resource graph.
    Graph {
        /// Output format.
        #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
        format: GraphFormat,
    },
    /// Write a new project to start from: a Pulumi YAML one, or a Rust crate
    /// with a program of its own.
    New {
        /// `yaml` or `rust`.
        #[arg(value_enum)]
        kind: NewKind,
        /// The project's name (and folder, under --cwd).
        name: String,
        /// Rust: depend on tapctl at this path.
        #[arg(long, conflicts_with = "tapctl_git")]
        tapctl_path: Option<PathBuf>,
        /// Rust: depend on tapctl from this git URL.
        #[arg(long)]
        tapctl_git: Option<String>,
    },
    /// List the pulumi-aws resource kinds tapctl supports.
    Kinds {
        /// Print JSON: each kind's token, inputs, required inputs and outputs.
        #[arg(long)]
        json: bool,
    },
}

/// `tapctl stack …`
#[derive(Debug, Subcommand)]
pub enum StackCommand {
    /// Make NAME the stack commands use when --stack is not given (kept in
    /// `.tapctl/stack` in the project folder).
    Select {
        /// The stack.
        name: String,
    },
    /// Delete a stack: its state and its stack file. Refused while it
    /// still has resources, unless --force.
    Rm {
        /// The stack.
        name: String,
        /// Delete it although it still has resources (they are left in the cloud, unmanaged).
        #[arg(long)]
        force: bool,
        /// Keep the stack file with its config.
        #[arg(long)]
        preserve_config: bool,
    },
    /// Create the stack (`--stack`): a new stack file, empty or with another
    /// stack's plain config, e.g. for a pull request's environment.
    Init {
        /// Copy the config of this stack (secrets are left out: set them again).
        #[arg(long)]
        copy_config_from: Option<String>,
    },
    /// Print the stack's outputs.
    Output {
        /// Only this output's value.
        name: Option<String>,
        /// As JSON.
        #[arg(long)]
        json: bool,
        /// Show secret values in plaintext.
        #[arg(long)]
        show_secrets: bool,
    },
    /// Print the state as a Pulumi deployment (`pulumi stack import` reads it).
    Export {
        /// Print secrets as plaintext (Pulumi's `--show-secrets` form), for
        /// moving a stack to a backend or tool that cannot read this
        /// stack's passphrase encryption.
        #[arg(long)]
        show_secrets: bool,
    },
    /// Replace the state with a deployment file (from `stack export` or
    /// `pulumi stack export`). Secrets are re-encrypted with this stack's
    /// passphrase; ciphertexts of another stack are read with
    /// TAPCTL_SOURCE_PASSPHRASE (default: this stack's passphrase).
    Import {
        /// The deployment file.
        file: PathBuf,
    },
    /// List the project's stacks.
    Ls {
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `tapctl config …`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print one config value.
    Get {
        /// Namespaced key, e.g. tap:environment.
        key: String,
    },
    /// Set one config value.
    Set {
        /// Namespaced key, e.g. tap:environment.
        key: String,
        /// The value.
        value: String,
        /// Encrypt the value with the stack's passphrase.
        #[arg(long)]
        secret: bool,
    },
    /// Remove one config value.
    Rm {
        /// The key (a Pulumi project's own keys need no namespace).
        key: String,
    },
}

/// Where `shift` moves traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShiftTo {
    /// The blue service.
    Blue,
    /// The green service.
    Green,
}

/// What `tapctl new` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NewKind {
    /// A Pulumi YAML project (Pulumi.yaml and Pulumi.dev.yaml).
    Yaml,
    /// A Rust crate with its own program and the whole tapctl CLI.
    Rust,
}

/// Graph output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// Graphviz.
    Dot,
}

/// A program a crate of its own brings to the CLI: builds a stack's
/// resources from its context, like the shipped programs.
pub type ProgramFn =
    fn(&crate::programs::ProgramContext<'_>) -> Result<crate::programs::Built, crate::programs::BuildError>;

/// tapctl's whole command line with a crate's own programs beside the
/// shipped ones: `deploy.toml`'s `program = "edge"` selects one.
#[derive(Debug, Clone, Default)]
pub struct App {
    programs: Vec<(String, ProgramFn)>,
}

impl Cli {
    /// The CLI with `programs` registered by name, e.g.
    /// `Cli::with_programs([("edge", edge::build as ProgramFn)]).main()`.
    pub fn with_programs<'a>(programs: impl IntoIterator<Item = (&'a str, ProgramFn)>) -> App {
        App { programs: programs.into_iter().map(|(name, f)| (name.to_string(), f)).collect() }
    }
}

impl App {
    /// Parses the command line, runs it, and returns the process's exit code.
    pub fn main(self) -> ExitCode {
        run_main(&self.programs)
    }
}

/// Runs the CLI and returns the process's exit code.
pub fn main() -> ExitCode {
    run_main(&[])
}

fn run_main(programs: &[(String, ProgramFn)]) -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli, programs)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("TAPCTL_LOG").unwrap_or_else(|_| "warn".into());
    // Colour only for a person: not into a pipe or a file, nor with NO_COLOR.
    use std::io::IsTerminal;
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(colour).try_init();
}
