//! The multi-environment ECS program of seed 001: one program for dev,
//! staging, prod and short-lived PR environments, each sized for its
//! purpose. Per environment: a VPC (configurable zones), a Fargate service
//! behind an ALB, Aurora PostgreSQL with an AWS-managed master password,
//! an artifacts bucket with lifecycle rules, a Route 53 zone with an alias
//! to the ALB (not for PR environments), optional VPC peering to another
//! environment, and a dashboard, topic and alarms.
//!
//! Environment detection, as the seed's deployment scripts expect: the
//! suffix is `ENVIRONMENT_SUFFIX` (or `TAPCTL_ENVIRONMENT_SUFFIX`), else
//! `tap:environmentSuffix`, else the stack name's last `-` part; a suffix or
//! stack name like `pr123` / `pr-123` makes a PR environment.

use crate::components::ecs::check_fargate_size;
use crate::components::{
    database, Database, DatabaseArgs, DatabaseProfile, Dns, DnsArgs, Ecs, EcsArgs, Ipv4Cidr, Lifecycle, Monitoring,
    MonitoringArgs, Networking, NetworkingArgs, Peering, PeeringArgs, Security, SecurityArgs, Storage, StorageArgs,
    Tags,
};
use crate::config::StackConfig;
use crate::model::Value;

use super::shared::{
    alert_email, bad, check_name_room, check_vpc_room, extra_tags, new_program, uint, watched_services,
};
use super::{region, BuildError, Built, ProgramContext};

/// The program's name in `deploy.toml`.
pub const NAME: &str = "multi-env";

/// What PR environments export where a production-only resource would be.
pub const NOT_IN_PR: &str = "N/A-PR-Environment";

/// The kinds of environment, each with its own sizing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Development.
    Dev,
    /// Pre-production.
    Staging,
    /// Production.
    Prod,
    /// A pull request's short-lived environment: minimal, no DNS zone.
    Pr,
}

impl Kind {
    fn parse(name: &str) -> Option<Kind> {
        match name {
            "dev" => Some(Kind::Dev),
            "staging" => Some(Kind::Staging),
            "prod" => Some(Kind::Prod),
            "pr" => Some(Kind::Pr),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Dev => "dev",
            Kind::Staging => "staging",
            Kind::Prod => "prod",
            Kind::Pr => "pr",
        }
    }
}

/// Whether `s` names a pull request's environment: `pr` then digits, with an
/// optional `-` (`pr42`, `pr-42`).
pub fn is_pr_name(s: &str) -> bool {
    let digits = s.strip_prefix("pr").map(|r| r.strip_prefix('-').unwrap_or(r));
    digits.is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
}

/// Per-environment defaults; every one can be overridden by config.
struct Profile {
    vpc_cidr: &'static str,
    zones: usize,
    cpu: u32,
    memory: u32,
    desired: u32,
    min: u32,
    max: u32,
    db_class: &'static str,
    db_instances: u32,
    db_min_acu: f64,
    db_max_acu: f64,
    backup_days: u32,
    log_days: u32,
    lifecycle: Lifecycle,
    alb_5xx_threshold: u32,
}

fn profile(kind: Kind) -> Profile {
    let lifecycle = |ia, glacier, expire, noncurrent| Lifecycle {
        infrequent_access_after: ia,
        glacier_after: glacier,
        expire_after: Some(expire),
        noncurrent_infrequent_access_after: None,
        noncurrent_glacier_after: None,
        noncurrent_expire_after: noncurrent,
    };
    match kind {
        Kind::Dev => Profile {
            vpc_cidr: "10.1.0.0/16",
            zones: 2,
            cpu: 256,
            memory: 512,
            desired: 1,
            min: 1,
            max: 2,
            db_class: database::SERVERLESS,
            db_instances: 1,
            db_min_acu: 0.5,
            db_max_acu: 2.0,
            backup_days: 7,
            log_days: 7,
            lifecycle: lifecycle(Some(30), None, 90, 7),
            alb_5xx_threshold: 20,
        },
        Kind::Staging => Profile {
            vpc_cidr: "10.2.0.0/16",
            zones: 3,
            cpu: 512,
            memory: 1024,
            desired: 2,
            min: 2,
            max: 4,
            db_class: database::SERVERLESS,
            db_instances: 1,
            db_min_acu: 0.5,
            db_max_acu: 4.0,
            backup_days: 7,
            log_days: 14,
            lifecycle: lifecycle(Some(30), Some(90), 180, 30),
            alb_5xx_threshold: 10,
        },
        Kind::Prod => Profile {
            vpc_cidr: "10.3.0.0/16",
            zones: 3,
            cpu: 1024,
            memory: 2048,
            desired: 3,
            min: 3,
            max: 10,
            db_class: "db.r6g.large",
            db_instances: 2,
            db_min_acu: 0.5,
            db_max_acu: 16.0,
            backup_days: 30,
            log_days: 30,
            lifecycle: lifecycle(Some(30), Some(90), 365, 90),
            alb_5xx_threshold: 5,
        },
        Kind::Pr => Profile {
            vpc_cidr: "10.100.0.0/16",
            zones: 2,
            cpu: 256,
            memory: 512,
            desired: 1,
            min: 1,
            max: 1,
            db_class: database::SERVERLESS,
            db_instances: 1,
            db_min_acu: 0.5,
            db_max_acu: 1.0,
            backup_days: 1,
            log_days: 3,
            lifecycle: lifecycle(None, None, 7, 1),
            alb_5xx_threshold: 20,
        },
    }
}

fn cidr(c: &StackConfig, key: &str, default: &str) -> Result<Ipv4Cidr, BuildError> {
    c.string(key, default)?.parse().map_err(|p: String| bad(key, p))
}

/// The environment's settings, read from config and checked as a whole.
struct Settings {
    kind: Kind,
    suffix: String,
    region: String,
    vpc_cidr: Ipv4Cidr,
    zones: Vec<String>,
    domain: String,
    peer: Option<(String, Ipv4Cidr)>,
    image: String,
    container_port: u16,
    cpu: u32,
    memory: u32,
    desired: u32,
    min: u32,
    max: u32,
    db_class: String,
    db_instances: u32,
    log_days: u32,
    alert_email: Option<Value>,
    extra_tags: Vec<(String, String)>,
}

impl Settings {
    fn read(ctx: &ProgramContext<'_>) -> Result<Settings, BuildError> {
        let c = ctx.config;
        let region = region(c, ctx.aws_region.as_deref())?;
        let from_stack = || {
            if is_pr_name(ctx.stack) {
                ctx.stack.replace('-', "")
            } else {
                ctx.stack.rsplit('-').next().unwrap_or(ctx.stack).to_string()
            }
        };
        // Read whether or not the environment overrides it, so it is never
        // refused as unread.
        let configured = c.optional_string("tap:environmentSuffix")?;
        let suffix = ctx.environment_suffix.clone().or(configured).unwrap_or_else(from_stack);
        if suffix.is_empty()
            || suffix.len() > 12
            || !suffix.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-')
        {
            return Err(bad(
                "tap:environmentSuffix",
                format!("`{suffix}` must be 1-12 lowercase letters, digits or `-` (it becomes part of AWS names)"),
            ));
        }
        let pr = is_pr_name(&suffix) || is_pr_name(ctx.stack);
        let detected = if pr { "pr" } else { ctx.stack.split('-').next().unwrap_or(ctx.stack) };
        let environment = c.string("tap:environment", detected)?;
        let kind = Kind::parse(&environment).ok_or_else(|| {
            bad(
                "tap:environment",
                format!("`{environment}` is not an environment; use dev, staging, prod or pr (set it, or name the stack after one)"),
            )
        })?;
        if pr && kind != Kind::Pr {
            return Err(bad(
                "tap:environment",
                format!(
                    "suffix `{suffix}` names a PR environment, but tap:environment is `{environment}`; set it to pr"
                ),
            ));
        }
        let p = profile(kind);
        let vpc_cidr = cidr(c, "tap:vpcCidr", p.vpc_cidr)?;
        check_vpc_room(&vpc_cidr, "six subnets")?;
        let zones = match c.get("tap:availabilityZones") {
            None => ctx.availability_zones.iter().take(p.zones).cloned().collect(),
            Some(v) => {
                let listed = || {
                    bad("tap:availabilityZones", "expected a list of zone names, e.g. [\"us-east-1a\", \"us-east-1b\"]")
                };
                let names: Vec<String> = v
                    .as_array()
                    .ok_or_else(listed)?
                    .iter()
                    .map(|z| z.as_str().map(str::to_string).ok_or_else(listed))
                    .collect::<Result<_, _>>()?;
                if let Some(unknown) = names.iter().find(|z| !ctx.availability_zones.contains(z)) {
                    return Err(bad(
                        "tap:availabilityZones",
                        format!("{region} has no zone `{unknown}`; it offers {}", ctx.availability_zones.join(", ")),
                    ));
                }
                names
            }
        };
        if !(2..=3).contains(&zones.len()) {
            return Err(bad(
                "tap:availabilityZones",
                format!("{} zone(s) given or available in {region}; the network spans 2 or 3", zones.len()),
            ));
        }
        let peer = match (c.optional_string("tap:peerVpcId")?, c.optional_string("tap:peerVpcCidr")?) {
            (None, None) => None,
            (Some(id), Some(block)) => {
                let block: Ipv4Cidr = block.parse().map_err(|p: String| bad("tap:peerVpcCidr", p))?;
                if !id.starts_with("vpc-") || id.len() < 8 {
                    return Err(bad("tap:peerVpcId", format!("`{id}` is not a VPC id (vpc-…)")));
                }
                if block.overlaps(&vpc_cidr) {
                    return Err(bad(
                        "tap:peerVpcCidr",
                        format!("{block} overlaps this environment's tap:vpcCidr {vpc_cidr}; peered VPCs need disjoint blocks"),
                    ));
                }
                Some((id, block))
            }
            _ => return Err(bad("tap:peerVpcId", "set both tap:peerVpcId and tap:peerVpcCidr, or neither")),
        };
        let db_class = c.string("tap:dbInstanceClass", p.db_class)?;
        database::check_instance_class(&db_class).map_err(|e| bad("tap:dbInstanceClass", e))?;
        let s = Settings {
            region,
            vpc_cidr,
            zones,
            domain: c.string("tap:domainName", &format!("{}.example.com", ctx.project))?.to_ascii_lowercase(),
            peer,
            image: c.string("tap:containerImage", "public.ecr.aws/nginx/nginx:stable")?,
            container_port: uint(c, "tap:containerPort", 80, 1..=65535)? as u16,
            cpu: uint(c, "tap:cpu", p.cpu, 256..=16384)?,
            memory: uint(c, "tap:memory", p.memory, 512..=122880)?,
            desired: uint(c, "tap:desiredCount", p.desired, 0..=1000)?,
            min: uint(c, "tap:minCapacity", p.min, 0..=1000)?,
            max: uint(c, "tap:maxCapacity", p.max, 1..=1000)?,
            db_class,
            db_instances: uint(c, "tap:dbInstanceCount", p.db_instances, 1..=15)?,
            log_days: uint(c, "tap:logRetentionDays", p.log_days, 1..=3653)?,
            alert_email: alert_email(c)?,
            extra_tags: extra_tags(c)?,
            kind,
            suffix,
        };
        s.check()?;
        Ok(s)
    }

    fn check(&self) -> Result<(), BuildError> {
        if self.min > self.max {
            return Err(bad("tap:minCapacity", format!("{} is above tap:maxCapacity ({})", self.min, self.max)));
        }
        if !(self.min..=self.max).contains(&self.desired) {
            return Err(bad(
                "tap:desiredCount",
                format!("{} is outside tap:minCapacity..tap:maxCapacity ({}..{})", self.desired, self.min, self.max),
            ));
        }
        check_fargate_size(self.cpu, self.memory).map_err(|p| bad("tap:memory", p))?;
        let label =
            |l: &str| !l.is_empty() && l.len() <= 63 && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if self.domain.split('.').count() < 2 || !self.domain.split('.').all(label) {
            return Err(bad("tap:domainName", format!("`{}` is not a domain name (e.g. example.com)", self.domain)));
        }
        if self.image.trim().is_empty() || self.image.contains(char::is_whitespace) {
            return Err(bad("tap:containerImage", format!("`{}` is not an image reference", self.image)));
        }
        Ok(())
    }
}

/// Builds the environment's resources from its config.
pub fn build(ctx: &ProgramContext<'_>) -> Result<Built, BuildError> {
    let s = Settings::read(ctx)?;
    // Read before rejecting unread keys: the CLI writes outputs there.
    ctx.config.optional_string("tap:outputFile")?;
    ctx.config.reject_unread()?;

    let environment = s.kind.name();
    let naming = check_name_room(ctx.project, environment, &s.suffix, 8)?;
    let tags = Tags::new(ctx.project, environment, &s.extra_tags);
    let prod = s.kind == Kind::Prod;
    let pr = s.kind == Kind::Pr;
    let p = profile(s.kind);

    let (mut program, stack) = new_program(ctx, &s.region)?;
    let networking = Networking::new(
        &mut program,
        &stack,
        "networking",
        NetworkingArgs {
            vpc_cidr: s.vpc_cidr,
            availability_zones: s.zones.clone(),
            naming: naming.clone(),
            tags: tags.clone(),
        },
    )?;
    let db_subnet_group_name = networking.db_subnet_group(&mut program)?;
    let security = Security::new(
        &mut program,
        &stack,
        "security",
        SecurityArgs {
            vpc_id: networking.vpc_id.clone(),
            container_port: s.container_port,
            db_port: 5432,
            naming: naming.clone(),
            tags: tags.clone(),
        },
    )?;
    let database = Database::new(
        &mut program,
        &stack,
        "database",
        DatabaseArgs {
            subnet_group_name: db_subnet_group_name,
            security_group_id: security.db_security_group_id.clone(),
            db_name: "appdb".into(),
            username: "dbadmin".into(),
            instance_count: s.db_instances,
            instance_class: s.db_class.clone(),
            min_capacity: p.db_min_acu,
            max_capacity: p.db_max_acu,
            profile: DatabaseProfile {
                backup_retention_days: p.backup_days,
                final_snapshot: prod,
                deletion_protection: prod,
                insights_and_monitoring: prod,
            },
            naming: naming.clone(),
            tags: tags.clone(),
        },
    )?;
    let ecs = Ecs::new(
        &mut program,
        &stack,
        "ecs",
        EcsArgs {
            vpc_id: networking.vpc_id.clone(),
            public_subnet_ids: networking.public_subnet_ids.clone(),
            private_subnet_ids: networking.private_subnet_ids.clone(),
            alb_security_group_id: security.alb_security_group_id.clone(),
            ecs_security_group_id: security.ecs_security_group_id.clone(),
            task_execution_role: security.task_execution_role.clone(),
            task_role: security.task_role.clone(),
            db_endpoint: database.cluster_endpoint.clone(),
            db_secret_arn: database.master_secret_arn.clone(),
            db_name: "appdb".into(),
            region: s.region.clone(),
            image: s.image.clone(),
            container_port: s.container_port,
            cpu: s.cpu,
            memory: s.memory,
            desired_count: s.desired,
            services: vec![("app", 100)],
            min_capacity: s.min,
            max_capacity: s.max,
            scale_target_cpu: 70,
            scale_target_memory: 80,
            log_retention_days: s.log_days,
            deletion_protection: prod,
            naming: naming.clone(),
            tags: tags.clone(),
        },
    )?;
    let storage = Storage::new(
        &mut program,
        &stack,
        "storage",
        StorageArgs {
            purpose: "artifacts".into(),
            lifecycle: p.lifecycle,
            bucket_key: false,
            naming: naming.clone(),
            tags: tags.clone(),
        },
    )?;
    // PR environments live for hours: no zone to create, delegate and clean up.
    let dns = if pr {
        None
    } else {
        Some(Dns::new(
            &mut program,
            &stack,
            "dns",
            DnsArgs {
                zone_name: format!("{environment}.{}", s.domain),
                record_label: "app".into(),
                alb_dns_name: ecs.alb_dns_name.clone(),
                alb_zone_id: ecs.alb.output("zoneId"),
                naming: naming.clone(),
                tags: tags.clone(),
            },
        )?)
    };
    let peering = match &s.peer {
        None => None,
        Some((peer_vpc_id, peer_cidr)) => Some(Peering::new(
            &mut program,
            &stack,
            "peering",
            PeeringArgs {
                vpc_id: networking.vpc_id.clone(),
                vpc_cidr: s.vpc_cidr,
                peer_vpc_id: peer_vpc_id.clone(),
                peer_cidr: *peer_cidr,
                route_table_ids: networking.private_route_table_ids.clone(),
                security_group_id: security.ecs_security_group_id.clone(),
                port: s.container_port,
                naming: naming.clone(),
                tags: tags.clone(),
            },
        )?),
    };
    let monitoring = Monitoring::new(
        &mut program,
        &stack,
        "monitoring",
        MonitoringArgs {
            alert_email: s.alert_email.clone(),
            cluster_name: ecs.cluster_name.clone(),
            services: watched_services(&ecs),
            alb_arn_suffix: ecs.alb.output("arnSuffix"),
            db_cluster_identifier: database.cluster_identifier.clone(),
            cpu_alarm_threshold: 80,
            alb_5xx_threshold: p.alb_5xx_threshold,
            db_connections_threshold: 100,
            region: s.region.clone(),
            naming,
            tags,
        },
    )?;

    let service = &ecs.colours[0];
    program.export("environment", Value::from(environment));
    program.export("environmentSuffix", Value::from(s.suffix.as_str()));
    program.export("isPrEnvironment", Value::from(pr));
    program.export("vpcId", networking.vpc_id.clone());
    program.export("vpcCidr", Value::from(s.vpc_cidr.to_string()));
    program.export("publicSubnetIds", Value::Array(networking.public_subnet_ids.clone()));
    program.export("privateSubnetIds", Value::Array(networking.private_subnet_ids.clone()));
    program.export("albDnsName", ecs.alb_dns_name.clone());
    program.export("clusterName", Value::from(ecs.cluster_name.as_str()));
    program.export("serviceName", Value::from(service.service_name.as_str()));
    program.export("targetGroupArn", service.target_group.arn());
    program.export("dbEndpoint", database.cluster_endpoint.clone());
    program.export("dbReaderEndpoint", database.reader_endpoint.clone());
    program.export("dbSecretArn", database.master_secret_arn.clone());
    program.export("artifactsBucketName", Value::from(storage.bucket_name.as_str()));
    program.export("snsTopicArn", monitoring.topic.arn());
    program.export("dashboardName", Value::from(monitoring.dashboard_name.as_str()));
    match &dns {
        Some(d) => {
            program.export("hostedZoneId", d.zone.output("zoneId"));
            program.export("appDomain", Value::from(d.app_fqdn.as_str()));
        }
        None => {
            program.export("hostedZoneId", Value::from(NOT_IN_PR));
            program.export("appDomain", Value::from(NOT_IN_PR));
        }
    }
    if let Some(peering) = &peering {
        program.export("peeringConnectionId", peering.connection.id());
    }
    Ok(Built { program, traffic: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pr_names_are_pr_then_digits() {
        for name in ["pr1", "pr42", "pr-42"] {
            assert!(is_pr_name(name), "{name}");
        }
        for name in ["pr", "pr-", "prod", "dev", "pr4a", "xpr42"] {
            assert!(!is_pr_name(name), "{name}");
        }
    }
}
