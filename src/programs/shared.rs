//! What every program reads and builds the same way: config readers for the
//! keys programs share, the naming room check, and the program's root.

use crate::components::{is_account_id, Ecs, Ipv4Cidr, Naming, WatchedService};
use crate::config::{ConfigError, StackConfig};
use crate::model::{Component, Program, PropertyMap, Value};

use super::{BuildError, ProgramContext};

/// The tightest AWS name limit stack names must fit (ALBs and target groups).
pub(crate) const TIGHTEST_NAME_LIMIT: usize = 32;

/// A config value that cannot be used, named by its key.
pub(crate) fn bad(key: &str, problem: impl Into<String>) -> BuildError {
    ConfigError::BadValue { key: key.into(), problem: problem.into() }.into()
}

/// A key that must be set (and not blank), with the command that sets it.
pub(crate) fn required(c: &StackConfig, key: &str, example: &str) -> Result<String, BuildError> {
    match c.optional_string(key)? {
        Some(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(bad(key, format!("is required; set it with `tapctl config set {key} {example}`"))),
    }
}

/// `t3.micro`, `m5.large`, `c6gn.16xlarge`, `db.t3.micro` (with `db.`).
pub(crate) fn is_instance_type(s: &str) -> bool {
    let Some((family, size)) = s.split_once('.') else { return false };
    family.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && family.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !size.is_empty()
        && size.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

/// What every program reads first: where the stack goes and what it is called.
pub(crate) struct Basics {
    /// The region (see [`super::region`]).
    pub region: String,
    /// `tap:environment`, by default the stack's name.
    pub environment: String,
    /// `TAPCTL_ENVIRONMENT_SUFFIX` / `ENVIRONMENT_SUFFIX`, else
    /// `tap:environmentSuffix`, else the stack's name.
    pub suffix: String,
}

/// Reads [`Basics`]. `tap:environmentSuffix` is read even when the
/// environment overrides it, so a stack that sets it is never refused for an
/// unread key.
pub(crate) fn basics(ctx: &ProgramContext<'_>) -> Result<Basics, BuildError> {
    let c = ctx.config;
    let region = super::region(c, ctx.aws_region.as_deref())?;
    let environment = c.string("tap:environment", ctx.stack)?;
    let configured = c.optional_string("tap:environmentSuffix")?;
    let suffix = ctx.environment_suffix.clone().or(configured).unwrap_or_else(|| ctx.stack.to_string());
    Ok(Basics { region, environment, suffix })
}

/// `tap:vpcCidr` (default 10.0.0.0/16).
pub(crate) fn vpc_cidr(c: &StackConfig) -> Result<Ipv4Cidr, BuildError> {
    c.string("tap:vpcCidr", "10.0.0.0/16")?.parse().map_err(|p: String| bad("tap:vpcCidr", p))
}

/// The account the stack's ARNs name: `tap:accountId`, else the account the
/// provider's credentials act in.
pub(crate) fn account_id(ctx: &ProgramContext<'_>) -> Result<String, BuildError> {
    match (ctx.config.optional_string("tap:accountId")?, &ctx.account_id) {
        (Some(id), _) => Ok(id),
        (None, Some(id)) => Ok(id.clone()),
        (None, None) => Err(bad(
            "tap:accountId",
            "is required when the provider cannot tell its account; set it with `tapctl config set tap:accountId 123456789012`",
        )),
    }
}

/// `tap:accountId`: the 12-digit account id the scoped ARNs name.
pub(crate) fn check_account_id(id: &str) -> Result<(), BuildError> {
    if is_account_id(id) {
        return Ok(());
    }
    Err(bad("tap:accountId", format!("`{id}` is not a 12-digit AWS account id")))
}

/// `tap:vpcCidr`: a /16 to /24 block, which leaves room for `room` (what the
/// program carves from it, e.g. "six subnets").
pub(crate) fn check_vpc_room(cidr: &Ipv4Cidr, room: &str) -> Result<(), BuildError> {
    if (16..=24).contains(&cidr.prefix()) {
        return Ok(());
    }
    Err(bad("tap:vpcCidr", format!("{cidr} leaves no room for {room}; use a prefix from /16 to /24, e.g. 10.0.0.0/16")))
}

/// `tap:amiId`: `ami-` and 8 or 17 lowercase hex digits.
pub(crate) fn check_ami_id(id: &str) -> Result<(), BuildError> {
    let ok = id.strip_prefix("ami-").is_some_and(|h| {
        (h.len() == 8 || h.len() == 17) && h.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    });
    if ok {
        return Ok(());
    }
    Err(bad("tap:amiId", format!("`{id}` is not an AMI id (ami- and 8 or 17 hex digits, e.g. ami-0123456789abcdef0)")))
}

/// An EC2 instance type under `key` (a `db.` class is RDS's, not EC2's).
pub(crate) fn check_ec2_instance_type(key: &str, t: &str) -> Result<(), BuildError> {
    if is_instance_type(t) && !t.starts_with("db.") {
        return Ok(());
    }
    Err(bad(key, format!("`{t}` is not an EC2 instance type (e.g. t3.micro, m5.large)")))
}

/// A database or user name under `key`: a letter, then letters, digits and
/// `_`, at most `max` characters (the engine's limit).
pub(crate) fn check_db_identifier(key: &str, v: &str, max: usize) -> Result<(), BuildError> {
    let ok = v.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && v.len() <= max
        && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        return Ok(());
    }
    Err(bad(key, format!("`{v}` must start with a letter and hold only letters, digits and _ (at most {max})")))
}

/// `tap:healthCheckPath`: what a target group accepts as a path.
pub(crate) fn check_health_check_path(path: &str) -> Result<(), BuildError> {
    if path.starts_with('/') && path.len() <= 1024 && !path.contains(char::is_whitespace) {
        return Ok(());
    }
    Err(bad("tap:healthCheckPath", format!("`{path}` is not a URL path (e.g. /health)")))
}

/// `tap:sslPolicy`: one of ELB's predefined TLS policies.
pub(crate) fn check_ssl_policy(policy: &str) -> Result<(), BuildError> {
    if policy.starts_with("ELBSecurityPolicy-") {
        return Ok(());
    }
    Err(bad("tap:sslPolicy", format!("`{policy}` is not an ELB TLS policy (e.g. ELBSecurityPolicy-TLS13-1-2-2021-06)")))
}

/// `tap:minSize` <= `tap:desiredCapacity` <= `tap:maxSize`, and at least one
/// instance allowed.
pub(crate) fn check_group_sizes(min: u32, desired: u32, max: u32) -> Result<(), BuildError> {
    if max == 0 {
        return Err(bad("tap:maxSize", "must be at least 1: a web tier with no instances serves nothing"));
    }
    if min > max {
        return Err(bad("tap:minSize", format!("{min} is above tap:maxSize ({max}); lower it or raise tap:maxSize")));
    }
    if !(min..=max).contains(&desired) {
        return Err(bad(
            "tap:desiredCapacity",
            format!("{desired} is outside tap:minSize..tap:maxSize ({min}..{max}); set it within them"),
        ));
    }
    Ok(())
}

/// `tap:certificateArn`: an ACM certificate of this region and account, or
/// an IAM server certificate of this account — a load balancer in one region
/// cannot use an ACM certificate of another.
pub(crate) fn check_certificate(arn: &str, stack_region: &str, account_id: &str) -> Result<(), BuildError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let problem = match parts.as_slice() {
        ["arn", "aws", "acm", region, account, resource] => {
            let id = resource.strip_prefix("certificate/").unwrap_or_default();
            if *region != stack_region {
                Some(format!(
                    "is an ACM certificate of {region}; the load balancers are in {stack_region} (aws:region)"
                ))
            } else if *account != account_id {
                Some(format!("belongs to account {account}, not tap:accountId ({account_id})"))
            } else if id.is_empty() || !id.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
                Some("must end in certificate/<id> (hex digits and hyphens)".to_string())
            } else {
                None
            }
        }
        ["arn", "aws", "iam", "", account, resource] => {
            if *account != account_id {
                Some(format!("belongs to account {account}, not tap:accountId ({account_id})"))
            } else if resource.strip_prefix("server-certificate/").is_none_or(str::is_empty) {
                Some("must end in server-certificate/<name>".to_string())
            } else {
                None
            }
        }
        _ => Some(
            "is not a certificate ARN: use arn:aws:acm:<region>:<account>:certificate/<id> (or an IAM server \
             certificate arn:aws:iam::<account>:server-certificate/<name>)"
                .to_string(),
        ),
    };
    match problem {
        Some(p) => Err(bad("tap:certificateArn", format!("`{arn}` {p}"))),
        None => Ok(()),
    }
}

/// A whole number in `range`, `default` when unset.
pub(crate) fn uint(
    c: &StackConfig,
    key: &str,
    default: u32,
    range: std::ops::RangeInclusive<i64>,
) -> Result<u32, ConfigError> {
    c.integer(key, i64::from(default), range).map(|n| n as u32)
}

/// A number (integer or not), `default` when unset.
pub(crate) fn number(c: &StackConfig, key: &str, default: f64) -> Result<f64, ConfigError> {
    match c.get(key) {
        None => Ok(default),
        Some(v) => v.as_f64().ok_or_else(|| ConfigError::BadValue {
            key: key.into(),
            problem: format!("expected a number, found {}", v.display()),
        }),
    }
}

/// `tap:alertEmail`: kept as a value so that a secret address stays secret.
pub(crate) fn alert_email(c: &StackConfig) -> Result<Option<Value>, BuildError> {
    match c.get("tap:alertEmail") {
        None => Ok(None),
        Some(v) if v.as_str().is_some_and(str::is_empty) => Ok(None),
        Some(v) if v.as_str().is_some_and(|e| e.contains('@') && !e.contains(char::is_whitespace)) => {
            Ok(Some(v.clone()))
        }
        Some(v) => Err(bad("tap:alertEmail", format!("expected an email address, found {}", v.display()))),
    }
}

/// `tap:tags`: extra tags for every taggable resource.
pub(crate) fn extra_tags(c: &StackConfig) -> Result<Vec<(String, String)>, BuildError> {
    let Some(v) = c.get("tap:tags") else { return Ok(Vec::new()) };
    v.as_object()
        .ok_or_else(|| bad("tap:tags", "expected a table of tag names to strings, e.g. { Team = \"payments\" }"))?
        .iter()
        .map(|(k, v)| {
            v.as_str()
                .map(|s| (k.clone(), s.to_string()))
                .ok_or_else(|| bad("tap:tags", format!("tag `{k}` must be a string")))
        })
        .collect()
}

/// Every name keeps project, environment and suffix whole; they must leave
/// `room` characters for a component part (and its hash when shortened)
/// under the tightest limit.
pub(crate) fn check_name_room(
    project: &str,
    environment: &str,
    suffix: &str,
    room: usize,
) -> Result<Naming, BuildError> {
    let naming = Naming::new(project, environment, suffix);
    if naming.fixed_len() + room > TIGHTEST_NAME_LIMIT {
        return Err(bad(
            "tap:environmentSuffix",
            format!(
                "project `{project}`, environment `{environment}` and suffix `{suffix}` leave no room in a {TIGHTEST_NAME_LIMIT}-character ALB or target group name; shorten the suffix or the environment"
            ),
        ));
    }
    Ok(naming)
}

/// The program with its default provider in `region`, and the `TapStack`
/// component every resource lives under.
pub(crate) fn new_program(ctx: &ProgramContext<'_>, region: &str) -> Result<(Program, Component), BuildError> {
    let mut program =
        Program::new(ctx.project, ctx.stack, PropertyMap::from([("region".to_string(), Value::from(region))]));
    let root = program.root();
    let stack = program.component(&root, "tap:stack:TapStack", &format!("{}-{}", ctx.project, ctx.stack))?;
    Ok((program, stack))
}

/// What monitoring watches of each of the ECS component's services.
pub(crate) fn watched_services(ecs: &Ecs) -> Vec<WatchedService> {
    ecs.colours
        .iter()
        .map(|c| WatchedService {
            colour: c.colour.to_string(),
            service_name: c.service_name.clone(),
            target_group_arn_suffix: c.target_group.output("arnSuffix"),
        })
        .collect()
}
