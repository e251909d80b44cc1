//! Stack programs: turn a stack's config into components.
//!
//! Invariant: every config key is read and validated here, before any cloud
//! call, and keys no program reads are refused as likely typos.

pub mod banking;
pub mod blue_green;
pub mod ec2_blue_green;
pub mod multi_env;
mod shared;

use crate::components::ComponentError;
use crate::config::{ConfigError, StackConfig};
use crate::model::{Program, ProgramError};

/// What a program is given.
#[derive(Debug)]
pub struct ProgramContext<'a> {
    /// Project name.
    pub project: &'a str,
    /// Stack name.
    pub stack: &'a str,
    /// The stack's config.
    pub config: &'a StackConfig,
    /// The region's availability zones, as the provider reported them.
    pub availability_zones: Vec<String>,
    /// `TAPCTL_ENVIRONMENT_SUFFIX` or `ENVIRONMENT_SUFFIX`, if set (the CLI
    /// reads the environment).
    pub environment_suffix: Option<String>,
}

/// Why a program could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A config problem.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A component refused its arguments.
    #[error(transparent)]
    Component(#[from] ComponentError),
    /// A registration failed.
    #[error(transparent)]
    Program(#[from] ProgramError),
    /// The project names a program tapctl does not have.
    #[error("unknown program `{0}` in deploy.toml; available: {available}", available = PROGRAMS.join(", "))]
    UnknownProgram(String),
}

/// A built program and what `tapctl shift` needs to move its traffic.
#[derive(Debug, Clone)]
pub struct Built {
    /// The resources.
    pub program: Program,
    /// The blue-green traffic controls, for programs that have them.
    pub traffic: Option<Traffic>,
}

/// Where a program's blue/green traffic split lives.
#[derive(Debug, Clone, PartialEq)]
pub struct Traffic {
    /// Where the split lives: the resources one shift step updates.
    pub control: crate::shift::TrafficControl,
    /// The alarms a shift watches between steps (5xx, unhealthy hosts).
    pub watch_alarms: Vec<String>,
    /// The weights the config asks for now.
    pub weights: crate::shift::Weights,
}

/// The built-in programs.
pub const PROGRAMS: &[&str] = &[blue_green::NAME, multi_env::NAME, ec2_blue_green::NAME, banking::NAME];

/// The region a program's stack config names (`aws:region`), needed before
/// the program is built to discover availability zones.
pub fn region(config: &StackConfig) -> Result<String, ConfigError> {
    let region = config.string("aws:region", "us-east-1")?;
    let ok = region.split('-').count() >= 3
        && region.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !ok {
        return Err(ConfigError::BadValue {
            key: "aws:region".into(),
            problem: format!("`{region}` is not an AWS region name (e.g. us-east-1)"),
        });
    }
    Ok(region)
}

/// Builds the program `name`.
pub fn build(name: &str, ctx: &ProgramContext<'_>) -> Result<Built, BuildError> {
    match name {
        blue_green::NAME => blue_green::build(ctx),
        multi_env::NAME => multi_env::build(ctx),
        ec2_blue_green::NAME => ec2_blue_green::build(ctx),
        banking::NAME => banking::build(ctx),
        other => Err(BuildError::UnknownProgram(other.to_string())),
    }
}
