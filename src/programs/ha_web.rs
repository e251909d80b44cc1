//! The highly available web tier of seed 004, with the corrections its
//! failure list makes: a VPC over up to three of the region's availability
//! zones (discovered at run time; fewer than two is refused) with a public
//! and a private subnet, a NAT gateway and a private route table per zone;
//! VPC flow logs to CloudWatch Logs under a least-privilege role; network
//! ACLs for both tiers of subnets; one Auto Scaling group behind an
//! internet-facing ALB; a versioned, encrypted backup bucket whose old
//! versions move to Infrequent Access, then Glacier, then expire; the app's
//! secret in Secrets Manager and its configuration in SSM under
//! `/<project>/<suffix>/`; an instance role whose policies name exact ARNs.
//!
//! Names follow one pattern, `<project>-<kind>-<suffix>`, and every taggable
//! resource carries `Project`, `Environment`, `ManagedBy`, `ResourceType`
//! and `Name`. Config is read and validated here — every key named in its
//! error, with the fix — before any cloud call.

use base64::Engine as _;

use crate::components::{
    AppEnvironment, AppEnvironmentArgs, FlowLogs, FlowLogsArgs, Ipv4Cidr, Lifecycle, Listeners, Naming, NetworkAcls,
    NetworkAclsArgs, Networking, NetworkingArgs, Scaling, Storage, StorageArgs, Tags, Tls, TrafficType, WebSecurity,
    WebSecurityArgs, WebTier, WebTierArgs,
};
use crate::model::Value;

use super::shared::{
    account_id, bad, basics, check_account_id, check_ami_id, check_certificate, check_ec2_instance_type,
    check_group_sizes, check_health_check_path, check_ssl_policy, check_vpc_room, extra_tags, new_program, required,
    uint, vpc_cidr, Basics,
};
use super::{BuildError, Built, ProgramContext};

/// The program's name in `deploy.toml`.
pub const NAME: &str = "ha-web";

/// The most zones the network spans.
const MAX_ZONES: u32 = 3;

/// The tightest name limit (ALB and target group names: 32 characters).
const TIGHTEST_NAME_LIMIT: usize = 32;

/// Old backup versions: to Infrequent Access, then Glacier, then gone.
const BACKUP_LIFECYCLE: Lifecycle = Lifecycle {
    infrequent_access_after: None,
    glacier_after: None,
    expire_after: None,
    noncurrent_infrequent_access_after: Some(30),
    noncurrent_glacier_after: Some(90),
    noncurrent_expire_after: 365,
};

/// The stack's settings, read from config and checked as a whole.
struct Settings {
    region: String,
    environment: String,
    suffix: String,
    account_id: String,
    vpc_cidr: Ipv4Cidr,
    zone_count: u32,
    ami_id: String,
    instance_type: String,
    root_volume_gib: u32,
    app_port: u16,
    health_check_path: String,
    certificate_arn: Option<String>,
    ssl_policy: String,
    min_size: u32,
    max_size: u32,
    desired_capacity: u32,
    scaling_policy: String,
    cpu_target: u32,
    scale_up_cpu: u32,
    scale_down_cpu: u32,
    log_retention_days: u32,
    log_level: String,
    secret_recovery_days: u32,
    deletion_protection: bool,
    extra_tags: Vec<(String, String)>,
}

impl Settings {
    fn read(ctx: &ProgramContext<'_>) -> Result<Settings, BuildError> {
        let c = ctx.config;
        let Basics { region, environment, suffix } = basics(ctx)?;
        let prod = environment == "prod";
        let vpc_cidr = vpc_cidr(c)?;
        let s = Settings {
            account_id: account_id(ctx)?,
            vpc_cidr,
            zone_count: uint(c, "tap:availabilityZoneCount", MAX_ZONES, 1..=6)?,
            ami_id: required(c, "tap:amiId", "ami-0123456789abcdef0")?,
            instance_type: c.string("tap:instanceType", if prod { "t3.small" } else { "t3.micro" })?,
            root_volume_gib: uint(c, "tap:rootVolumeGib", 20, 0..=100_000)?,
            app_port: uint(c, "tap:appPort", 8080, 1..=65535)? as u16,
            health_check_path: c.string("tap:healthCheckPath", "/health")?,
            certificate_arn: c.optional_string("tap:certificateArn")?.filter(|a| !a.trim().is_empty()),
            ssl_policy: c.string("tap:sslPolicy", "ELBSecurityPolicy-TLS13-1-2-2021-06")?,
            min_size: uint(c, "tap:minSize", if prod { 3 } else { 2 }, 0..=1000)?,
            max_size: uint(c, "tap:maxSize", if prod { 9 } else { 4 }, 0..=1000)?,
            desired_capacity: uint(c, "tap:desiredCapacity", if prod { 3 } else { 2 }, 0..=1000)?,
            scaling_policy: c.string("tap:scalingPolicy", "target-tracking")?,
            cpu_target: uint(c, "tap:cpuTargetPercent", 50, 0..=1000)?,
            scale_up_cpu: uint(c, "tap:scaleUpCpuPercent", 70, 0..=1000)?,
            scale_down_cpu: uint(c, "tap:scaleDownCpuPercent", 20, 0..=1000)?,
            log_retention_days: uint(c, "tap:logRetentionDays", if prod { 90 } else { 14 }, 0..=100_000)?,
            log_level: c.string("tap:logLevel", if prod { "INFO" } else { "DEBUG" })?,
            secret_recovery_days: uint(c, "tap:secretRecoveryDays", if prod { 30 } else { 0 }, 0..=1000)?,
            deletion_protection: c.boolean("tap:deletionProtection", prod)?,
            extra_tags: extra_tags(c)?,
            region,
            environment,
            suffix,
        };
        s.check(ctx.project)?;
        Ok(s)
    }

    /// Single-key formats and cross-key rules, each naming the key to fix.
    fn check(&self, project: &str) -> Result<(), BuildError> {
        let name_safe = |s: &str| {
            !s.is_empty()
                && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !s.starts_with('-')
                && !s.ends_with('-')
                && !s.contains("--")
        };
        if !name_safe(&self.suffix) {
            return Err(bad(
                "tap:environmentSuffix",
                format!(
                    "`{}` must be lowercase letters, digits and single inner hyphens (it becomes part of AWS names); \
                     set it with `tapctl config set tap:environmentSuffix dev` or TAPCTL_ENVIRONMENT_SUFFIX",
                    self.suffix
                ),
            ));
        }
        if !name_safe(project) {
            return Err(bad(
                "name",
                format!("the project name `{project}` in deploy.toml must be lowercase letters, digits and hyphens"),
            ));
        }
        // `<project>-alb-<suffix>` must fit whole, or names turn into hashes.
        let alb_name = Naming::new(project, "", &self.suffix).name("alb", usize::MAX);
        if alb_name.len() > TIGHTEST_NAME_LIMIT {
            return Err(bad(
                "tap:environmentSuffix",
                format!(
                    "`{alb_name}` is longer than the {TIGHTEST_NAME_LIMIT} characters an ALB name may have; shorten the \
                     suffix `{}` (or the project name)",
                    self.suffix
                ),
            ));
        }
        if !(2..=MAX_ZONES).contains(&self.zone_count) {
            return Err(bad(
                "tap:availabilityZoneCount",
                format!("{} zones: the network spans 2 or 3 (high availability needs two)", self.zone_count),
            ));
        }
        check_account_id(&self.account_id)?;
        check_vpc_room(
            &self.vpc_cidr,
            "a public and a private subnet in each of 3 zones (each an eighth of the block)",
        )?;
        check_ami_id(&self.ami_id)?;
        check_ec2_instance_type("tap:instanceType", &self.instance_type)?;
        if !(8..=16384).contains(&self.root_volume_gib) {
            return Err(bad(
                "tap:rootVolumeGib",
                format!("{} GiB: a gp3 root volume is 8 to 16384 GiB", self.root_volume_gib),
            ));
        }
        if [80, 443].contains(&self.app_port) {
            return Err(bad(
                "tap:appPort",
                format!("{} is the load balancer's; the instances serve on another port, e.g. 8080", self.app_port),
            ));
        }
        check_health_check_path(&self.health_check_path)?;
        if let Some(arn) = &self.certificate_arn {
            check_certificate(arn, &self.region, &self.account_id)?;
        }
        check_ssl_policy(&self.ssl_policy)?;
        check_group_sizes(self.min_size, self.desired_capacity, self.max_size)?;
        let percent = |key: &str, v: u32| {
            if (1..=100).contains(&v) {
                Ok(())
            } else {
                Err(bad(key, format!("{v} is not a CPU percentage from 1 to 100")))
            }
        };
        match self.scaling_policy.as_str() {
            "target-tracking" | "cpu-alarms" => {}
            other => {
                return Err(bad(
                    "tap:scalingPolicy",
                    format!("`{other}` is not a scaling policy; use target-tracking or cpu-alarms"),
                ))
            }
        }
        percent("tap:cpuTargetPercent", self.cpu_target)?;
        percent("tap:scaleUpCpuPercent", self.scale_up_cpu)?;
        percent("tap:scaleDownCpuPercent", self.scale_down_cpu)?;
        if self.scale_down_cpu >= self.scale_up_cpu {
            return Err(bad(
                "tap:scaleDownCpuPercent",
                format!(
                    "{} % must be below tap:scaleUpCpuPercent ({} %), or the group would scale both ways at once",
                    self.scale_down_cpu, self.scale_up_cpu
                ),
            ));
        }
        if !crate::components::flow_logs::RETENTION_DAYS.contains(&self.log_retention_days) {
            return Err(bad(
                "tap:logRetentionDays",
                format!(
                    "{} is not a retention CloudWatch Logs offers; use one of {:?}",
                    self.log_retention_days,
                    crate::components::flow_logs::RETENTION_DAYS
                ),
            ));
        }
        if !["DEBUG", "INFO", "WARN", "ERROR"].contains(&self.log_level.as_str()) {
            return Err(bad("tap:logLevel", format!("`{}` is not DEBUG, INFO, WARN or ERROR", self.log_level)));
        }
        if self.secret_recovery_days != 0 && !(7..=30).contains(&self.secret_recovery_days) {
            return Err(bad(
                "tap:secretRecoveryDays",
                format!(
                    "{} days: Secrets Manager keeps a deleted secret 7 to 30 days, or deletes it at once with 0",
                    self.secret_recovery_days
                ),
            ));
        }
        Ok(())
    }

    fn scaling(&self) -> Scaling {
        if self.scaling_policy == "cpu-alarms" {
            Scaling::SimpleCpuAlarms {
                high_percent: self.scale_up_cpu,
                low_percent: self.scale_down_cpu,
                step: 1,
                cooldown_seconds: 300,
                evaluation_periods: 2,
                period_seconds: 120,
            }
        } else {
            Scaling::TargetTrackingCpu { cpu_percent: self.cpu_target }
        }
    }
}

/// The boot script: a minimal service on the app port answering the health
/// check, reading the instance id through IMDSv2 (the only metadata API the
/// launch template allows).
fn user_data(port: u16, health: &str) -> String {
    let script = format!(
        "#!/bin/bash\n\
         set -euo pipefail\n\
         TOKEN=$(curl -sX PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')\n\
         ID=$(curl -s -H \"X-aws-ec2-metadata-token: $TOKEN\" http://169.254.169.254/latest/meta-data/instance-id)\n\
         mkdir -p /srv/app{health_dir}\n\
         echo ok > /srv/app{health}\n\
         echo \"web $ID\" > /srv/app/index.html\n\
         cd /srv/app && nohup python3 -m http.server {port} >/var/log/app.log 2>&1 &\n",
        health_dir = health.rsplit_once('/').map(|(d, _)| d).unwrap_or(""),
    );
    base64::engine::general_purpose::STANDARD.encode(script)
}

/// Builds the stack's resources from its config.
pub fn build(ctx: &ProgramContext<'_>) -> Result<Built, BuildError> {
    let s = Settings::read(ctx)?;
    // Read before rejecting unread keys: the CLI writes outputs there.
    ctx.config.optional_string("tap:outputFile")?;
    ctx.config.reject_unread()?;

    let available = ctx.availability_zones.len();
    if available < 2 {
        return Err(bad(
            "aws:region",
            format!(
                "{} offers {available} availability zone(s); a highly available web tier needs at least 2 — pick \
                 another region (aws:region, or AWS_REGION when the stack sets none)",
                s.region
            ),
        ));
    }
    let zones: Vec<String> = ctx.availability_zones.iter().take(s.zone_count as usize).cloned().collect();
    // One pattern for every name: `<project>-<kind>-<suffix>`.
    let naming = Naming::new(ctx.project, "", &s.suffix);
    let tags = Tags::new(ctx.project, &s.environment, &s.extra_tags).with_resource_type();
    let (mut program, stack) = new_program(ctx, &s.region)?;

    let networking = Networking::new(
        &mut program,
        &stack,
        "networking",
        NetworkingArgs {
            vpc_cidr: s.vpc_cidr,
            availability_zones: zones.clone(),
            naming: naming.clone(),
            tags: tags.clone(),
        },
    )?;
    let flow_logs = FlowLogs::new(
        &mut program,
        &stack,
        "flow-logs",
        FlowLogsArgs {
            vpc_id: networking.vpc_id.clone(),
            account_id: s.account_id.clone(),
            retention_days: s.log_retention_days,
            traffic_type: TrafficType::All,
            naming: naming.clone(),
            tags: tags.clone(),
        },
    )?;
    let acls = NetworkAcls::new(
        &mut program,
        &stack,
        "network-acls",
        NetworkAclsArgs {
            vpc_id: networking.vpc_id.clone(),
            vpc_cidr: s.vpc_cidr,
            public_subnet_ids: networking.public_subnet_ids.clone(),
            private_subnet_ids: networking.private_subnet_ids.clone(),
            naming: naming.clone(),
            tags: tags.clone(),
        },
    )?;
    let security = WebSecurity::new(
        &mut program,
        &stack,
        "security",
        WebSecurityArgs {
            vpc_id: networking.vpc_id.clone(),
            app_port: s.app_port,
            naming: naming.clone(),
            tags: tags.clone(),
        },
    )?;
    // Bucket names are global: the region keeps two regions' stacks apart.
    let backups = Storage::new(
        &mut program,
        &stack,
        "backups",
        StorageArgs {
            purpose: format!("backups-{}", s.region),
            lifecycle: BACKUP_LIFECYCLE,
            bucket_key: true,
            naming: naming.clone(),
            tags: tags.clone(),
        },
    )?;
    let app = AppEnvironment::new(
        &mut program,
        &stack,
        "app",
        AppEnvironmentArgs {
            project: ctx.project.to_string(),
            suffix: s.suffix.clone(),
            environment: s.environment.clone(),
            region: s.region.clone(),
            account_id: s.account_id.clone(),
            log_level: s.log_level.clone(),
            log_retention_days: s.log_retention_days,
            secret_recovery_days: s.secret_recovery_days,
            backup_bucket_name: backups.bucket_name.clone(),
            backup_bucket_arn: backups.bucket.arn(),
            naming: naming.clone(),
            tags: tags.clone(),
        },
    )?;
    let listeners = match &s.certificate_arn {
        Some(arn) => {
            Listeners::HttpsWithRedirect(Tls { certificate_arn: arn.clone(), ssl_policy: s.ssl_policy.clone() })
        }
        None => Listeners::Http,
    };
    let web = WebTier::new(
        &mut program,
        &stack,
        "web",
        WebTierArgs {
            prefix: String::new(),
            vpc_id: networking.vpc_id.clone(),
            public_subnet_ids: networking.public_subnet_ids.clone(),
            private_subnet_ids: networking.private_subnet_ids.clone(),
            alb_security_group_id: security.alb_security_group_id.clone(),
            instance_security_group_id: security.app_security_group_id.clone(),
            instance_profile_name: app.instance_profile.output("name"),
            ami_id: s.ami_id.clone(),
            instance_type: s.instance_type.clone(),
            description: format!("{} web tier ({}) on {}", ctx.project, s.suffix, s.instance_type),
            root_volume_gib: s.root_volume_gib,
            kms_key_arn: None,
            user_data: Some(user_data(s.app_port, &s.health_check_path)),
            app_port: s.app_port,
            health_check_path: s.health_check_path.clone(),
            listeners,
            min_size: s.min_size,
            max_size: s.max_size,
            desired_capacity: s.desired_capacity,
            scaling: s.scaling(),
            access_logs: None,
            deletion_protection: s.deletion_protection,
            group_tags: Vec::new(),
            naming,
            tags,
        },
    )?;

    program.export("region", s.region.as_str());
    program.export("environment", s.environment.as_str());
    program.export("environmentSuffix", s.suffix.as_str());
    program.export("availabilityZones", Value::array(zones.iter().map(String::as_str)));
    program.export("vpcId", networking.vpc_id.clone());
    program.export("vpcCidr", s.vpc_cidr.to_string());
    program.export("publicSubnetIds", Value::Array(networking.public_subnet_ids.clone()));
    program.export("privateSubnetIds", Value::Array(networking.private_subnet_ids.clone()));
    program.export("natGatewayIds", Value::Array(networking.nat_gateway_ids.clone()));
    program.export("privateRouteTableIds", Value::Array(networking.private_route_table_ids.clone()));
    program.export("flowLogId", flow_logs.flow_log.id());
    program.export("flowLogGroupName", flow_logs.log_group_name.as_str());
    program.export("flowLogRoleArn", flow_logs.role.arn());
    program.export("publicNetworkAclId", acls.public_acl.id());
    program.export("privateNetworkAclId", acls.private_acl.id());
    program.export("albSecurityGroupId", security.alb_security_group_id.clone());
    program.export("appSecurityGroupId", security.app_security_group_id.clone());
    program.export("albArn", web.alb.arn());
    program.export("albDnsName", web.alb.output("dnsName"));
    program.export("listenerArn", web.listener.arn());
    program.export("targetGroupArn", web.target_group.arn());
    program.export("launchTemplateId", web.launch_template.id());
    program.export("autoScalingGroupName", web.group_name.as_str());
    program.export("scalingPolicyArns", Value::Array(web.scaling_policies.iter().map(|p| p.arn()).collect()));
    program.export("backupBucketName", backups.bucket_name.as_str());
    program.export("backupBucketArn", backups.bucket.arn());
    program.export("appSecretArn", app.secret.arn());
    program.export("parameterPath", app.parameter_path.as_str());
    program.export("appConfigParameterName", format!("{}/app-config", app.parameter_path));
    program.export("appLogGroupName", app.log_group_name.as_str());
    program.export("instanceRoleArn", app.role.arn());
    program.export("instanceProfileName", app.instance_profile.output("name"));
    Ok(Built { program, traffic: None })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::StackConfig;

    /// Where `*` may stand for a policy's resource, and why: actions AWS
    /// authorises on no narrower resource.
    const WILDCARD_ALLOWED: &[(&str, &str)] = &[
        // CloudWatch has no resource-level permissions for PutMetricData;
        // the statement's namespace condition scopes it instead.
        ("instance-metrics", "cloudwatch:PutMetricData"),
    ];

    fn program(extra: &[(&str, Value)]) -> crate::model::Program {
        let mut values: std::collections::BTreeMap<String, Value> = [
            ("tap:accountId", Value::from("123456789012")),
            ("tap:amiId", "ami-12c6146b".into()),
            (
                "tap:certificateArn",
                "arn:aws:acm:us-east-1:123456789012:certificate/0c8a5f0e-1111-2222-3333-444455556666".into(),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        values.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
        let config = StackConfig::new(values);
        let ctx = ProgramContext {
            project: "haweb",
            stack: "dev",
            config: &config,
            availability_zones: vec!["us-east-1a".into(), "us-east-1b".into(), "us-east-1c".into()],
            environment_suffix: None,
            aws_region: None,
            account_id: Some("123456789012".into()),
        };
        build(&ctx).expect("builds").program
    }

    /// Every policy document the program makes, inline or trust, fails on a
    /// `*` resource (or an ARN with a wildcard region or account) unless the
    /// allow-list names the policy and every action of the statement.
    #[test]
    fn no_policy_grants_a_wildcard_resource_outside_the_allow_list() {
        for scaling in ["target-tracking", "cpu-alarms"] {
            let program = program(&[("tap:scalingPolicy", scaling.into())]);
            let mut documents = 0;
            for r in program.resources() {
                for key in ["policy", "assumeRolePolicy"] {
                    let Some(Value::JsonString(doc)) = r.inputs.get(key) else { continue };
                    documents += 1;
                    for st in doc.as_object().unwrap()["Statement"].as_array().unwrap() {
                        let st = st.as_object().unwrap();
                        let resources: Vec<&Value> = match st.get("Resource") {
                            Some(Value::Array(list)) => list.iter().collect(),
                            Some(one) => vec![one],
                            None => continue,
                        };
                        let wild = resources.iter().filter_map(|v| v.as_str()).any(|s| s == "*" || s.contains(":*:"));
                        if !wild {
                            continue;
                        }
                        let actions: Vec<&str> = match &st["Action"] {
                            Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
                            one => one.as_str().into_iter().collect(),
                        };
                        let name = r.urn.name();
                        assert!(
                            actions.iter().all(|a| WILDCARD_ALLOWED.contains(&(name, a))),
                            "{name}: {actions:?} on `*` is not in the allow-list"
                        );
                    }
                }
            }
            // Flow logs' and the instances' roles and policies.
            assert!(documents >= 9, "{documents} policy documents walked");
        }
    }
}
