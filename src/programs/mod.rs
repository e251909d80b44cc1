//! Stack programs: turn a stack's config into components.
//!
//! Invariant: every config key is read and validated here, before any cloud
//! call, and keys no program reads are refused as likely typos.

pub mod banking;
pub mod blue_green;
pub mod ec2_blue_green;
pub mod ha_web;
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
    /// The account the provider's credentials act in, as the provider
    /// reported it; `tap:accountId` overrides it.
    pub account_id: Option<String>,
    /// `AWS_REGION` (or `AWS_DEFAULT_REGION`), if set (the CLI reads the
    /// environment): the region when the stack config names none, see
    /// [`region`].
    pub aws_region: Option<String>,
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
    /// A mistake in a Pulumi YAML program.
    #[error(transparent)]
    Yaml(#[from] crate::yaml::YamlError),
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
pub const PROGRAMS: &[&str] = &[blue_green::NAME, multi_env::NAME, ec2_blue_green::NAME, ha_web::NAME, banking::NAME];

/// The region a stack deploys to, decided once, at the CLI edge, before the
/// program is built (its availability zones are discovered there) and again,
/// the same way, by the program. The rule is pulumi-aws's:
///
/// 1. the stack config's `aws:region`, when set — an explicit setting of the
///    stack wins over the environment, also when `AWS_REGION` differs;
/// 2. else `env_region`: `AWS_REGION` (or `AWS_DEFAULT_REGION`), as the AWS
///    provider reads it when the stack names no region;
/// 3. else `us-east-1`.
pub fn region(config: &StackConfig, env_region: Option<&str>) -> Result<String, ConfigError> {
    let is_region = |r: &str| {
        r.split('-').count() >= 3 && r.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    let (region, source) = match (config.optional_string("aws:region")?, env_region.filter(|r| !r.is_empty())) {
        (Some(region), _) => (region, "aws:region"),
        (None, Some(region)) => (region.to_string(), "AWS_REGION"),
        (None, None) => ("us-east-1".to_string(), "aws:region"),
    };
    if !is_region(&region) {
        return Err(ConfigError::BadValue {
            key: source.into(),
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
        ha_web::NAME => ha_web::build(ctx),
        banking::NAME => banking::build(ctx),
        other => Err(BuildError::UnknownProgram(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Value;

    fn config(region: Option<&str>) -> StackConfig {
        StackConfig::new(region.map(|r| ("aws:region".to_string(), Value::from(r))).into_iter().collect())
    }

    #[test]
    fn the_stacks_region_wins_then_aws_region_then_us_east_1() {
        assert_eq!(region(&config(Some("eu-west-1")), Some("us-west-2")).unwrap(), "eu-west-1");
        assert_eq!(region(&config(None), Some("us-west-2")).unwrap(), "us-west-2");
        assert_eq!(region(&config(None), Some("")).unwrap(), "us-east-1");
        assert_eq!(region(&config(None), None).unwrap(), "us-east-1");
    }

    #[test]
    fn a_bad_region_names_where_it_came_from() {
        let e = region(&config(Some("Europe")), None).unwrap_err().to_string();
        assert!(e.contains("aws:region") && e.contains("Europe"), "{e}");
        let e = region(&config(None), Some("moon-1")).unwrap_err().to_string();
        assert!(e.contains("AWS_REGION") && e.contains("moon-1"), "{e}");
    }
}
