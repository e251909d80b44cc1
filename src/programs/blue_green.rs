//! The flagship program: the blue-green ECS/Aurora stack of seed 000, with
//! the corrections its failure list makes. Config is read and validated here
//! — every key named in its error — and turned into each component's typed
//! Args; components never see config.

use crate::components::ecs::check_fargate_size;
use crate::components::{
    Database, DatabaseArgs, DatabaseProfile, Ecs, EcsArgs, Ipv4Cidr, Monitoring, MonitoringArgs, Networking,
    NetworkingArgs, Security, SecurityArgs, Tags,
};
use crate::model::Value;

use super::shared::{
    alert_email, bad, basics, check_db_identifier, check_name_room, check_vpc_room, extra_tags, new_program, number,
    uint, vpc_cidr, watched_services, Basics,
};
use super::{BuildError, Built, ProgramContext, Traffic};
use crate::shift::{TrafficControl, Weights};

/// The program's name in `deploy.toml`.
pub const NAME: &str = "blue-green";

/// The stack's settings, read from config and checked as a whole.
struct Settings {
    region: String,
    environment: String,
    suffix: String,
    vpc_cidr: Ipv4Cidr,
    image: String,
    container_port: u16,
    cpu: u32,
    memory: u32,
    desired_count: u32,
    blue_weight: u32,
    green_weight: u32,
    min_capacity: u32,
    max_capacity: u32,
    scale_target_cpu: u32,
    scale_target_memory: u32,
    db_name: String,
    db_username: String,
    db_instance_count: u32,
    db_min_capacity: f64,
    db_max_capacity: f64,
    /// Kept as a value so that a secret address stays secret.
    alert_email: Option<Value>,
    log_retention_days: u32,
    deletion_protection: bool,
    extra_tags: Vec<(String, String)>,
}

impl Settings {
    fn read(ctx: &ProgramContext<'_>) -> Result<Settings, BuildError> {
        let c = ctx.config;
        let Basics { region, environment, suffix } = basics(ctx)?;
        let prod = environment == "prod";
        let vpc_cidr = vpc_cidr(c)?;
        check_vpc_room(&vpc_cidr, "six subnets")?;
        let s = Settings {
            region,
            vpc_cidr,
            image: c.string("tap:containerImage", "public.ecr.aws/nginx/nginx:stable")?,
            container_port: uint(c, "tap:containerPort", 80, 1..=65535)? as u16,
            cpu: uint(c, "tap:cpu", if prod { 512 } else { 256 }, 256..=16384)?,
            memory: uint(c, "tap:memory", if prod { 1024 } else { 512 }, 512..=122880)?,
            desired_count: uint(c, "tap:desiredCount", if prod { 3 } else { 1 }, 0..=1000)?,
            blue_weight: uint(c, "tap:blueWeight", 100, 0..=100)?,
            green_weight: uint(c, "tap:greenWeight", 0, 0..=100)?,
            min_capacity: uint(c, "tap:minCapacity", if prod { 2 } else { 1 }, 0..=1000)?,
            max_capacity: uint(c, "tap:maxCapacity", if prod { 10 } else { 4 }, 1..=1000)?,
            scale_target_cpu: uint(c, "tap:scaleTargetCpu", 70, 1..=100)?,
            scale_target_memory: uint(c, "tap:scaleTargetMemory", 80, 1..=100)?,
            db_name: c.string("tap:dbName", "appdb")?,
            db_username: c.string("tap:dbUsername", "dbadmin")?,
            db_instance_count: uint(c, "tap:dbInstanceCount", if prod { 2 } else { 1 }, 1..=15)?,
            db_min_capacity: number(c, "tap:dbMinCapacity", 0.5)?,
            db_max_capacity: number(c, "tap:dbMaxCapacity", if prod { 16.0 } else { 2.0 })?,
            alert_email: alert_email(c)?,
            log_retention_days: uint(c, "tap:logRetentionDays", if prod { 30 } else { 7 }, 1..=3653)?,
            deletion_protection: c.boolean("tap:deletionProtection", prod)?,
            extra_tags: extra_tags(c)?,
            environment,
            suffix,
        };
        s.check()?;
        Ok(s)
    }

    /// Cross-key rules, each naming the keys to fix.
    fn check(&self) -> Result<(), BuildError> {
        if self.blue_weight + self.green_weight != 100 {
            return Err(bad(
                "tap:blueWeight",
                format!(
                    "tap:blueWeight ({}) and tap:greenWeight ({}) must sum to 100",
                    self.blue_weight, self.green_weight
                ),
            ));
        }
        if self.min_capacity > self.max_capacity {
            return Err(bad(
                "tap:minCapacity",
                format!("{} is above tap:maxCapacity ({})", self.min_capacity, self.max_capacity),
            ));
        }
        if !(self.min_capacity..=self.max_capacity).contains(&self.desired_count) {
            return Err(bad(
                "tap:desiredCount",
                format!(
                    "{} is outside tap:minCapacity..tap:maxCapacity ({}..{})",
                    self.desired_count, self.min_capacity, self.max_capacity
                ),
            ));
        }
        check_fargate_size(self.cpu, self.memory).map_err(|p| bad("tap:memory", p))?;
        if !(self.db_min_capacity >= 0.0
            && self.db_min_capacity <= self.db_max_capacity
            && self.db_max_capacity <= 256.0)
        {
            return Err(bad(
                "tap:dbMinCapacity",
                format!(
                    "need 0 <= tap:dbMinCapacity ({}) <= tap:dbMaxCapacity ({}) <= 256",
                    self.db_min_capacity, self.db_max_capacity
                ),
            ));
        }
        check_db_identifier("tap:dbName", &self.db_name, 63)?;
        check_db_identifier("tap:dbUsername", &self.db_username, 63)?;
        if self.image.trim().is_empty() || self.image.contains(char::is_whitespace) {
            return Err(bad("tap:containerImage", format!("`{}` is not an image reference", self.image)));
        }
        Ok(())
    }
}

/// Builds the stack's resources from its config.
pub fn build(ctx: &ProgramContext<'_>) -> Result<Built, BuildError> {
    let s = Settings::read(ctx)?;
    // Read before rejecting unread keys: the CLI writes outputs there.
    ctx.config.optional_string("tap:outputFile")?;
    ctx.config.reject_unread()?;

    if ctx.availability_zones.len() < 2 {
        return Err(bad(
            "aws:region",
            format!(
                "{} offers {} availability zone(s); the stack needs at least 2 for a highly available network — pick another region",
                s.region,
                ctx.availability_zones.len()
            ),
        ));
    }
    let naming = check_name_room(ctx.project, &s.environment, &s.suffix, 8)?;
    let zones: Vec<String> = ctx.availability_zones.iter().take(3).cloned().collect();
    let tags = Tags::new(ctx.project, &s.environment, &s.extra_tags);
    let prod = s.environment == "prod";

    let (mut program, stack) = new_program(ctx, &s.region)?;
    let networking = Networking::new(
        &mut program,
        &stack,
        "networking",
        NetworkingArgs { vpc_cidr: s.vpc_cidr, availability_zones: zones, naming: naming.clone(), tags: tags.clone() },
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
            db_name: s.db_name.clone(),
            username: s.db_username.clone(),
            instance_count: s.db_instance_count,
            instance_class: crate::components::database::SERVERLESS.into(),
            min_capacity: s.db_min_capacity,
            max_capacity: s.db_max_capacity,
            profile: DatabaseProfile {
                backup_retention_days: if prod { 30 } else { 7 },
                final_snapshot: prod,
                deletion_protection: s.deletion_protection,
                insights_and_monitoring: s.environment != "dev",
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
            db_name: s.db_name.clone(),
            region: s.region.clone(),
            image: s.image.clone(),
            container_port: s.container_port,
            cpu: s.cpu,
            memory: s.memory,
            desired_count: s.desired_count,
            services: vec![("blue", s.blue_weight), ("green", s.green_weight)],
            min_capacity: s.min_capacity,
            max_capacity: s.max_capacity,
            scale_target_cpu: s.scale_target_cpu,
            scale_target_memory: s.scale_target_memory,
            log_retention_days: s.log_retention_days,
            deletion_protection: s.deletion_protection,
            naming: naming.clone(),
            tags: tags.clone(),
        },
    )?;
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
            alb_5xx_threshold: 10,
            db_connections_threshold: 100,
            region: s.region.clone(),
            naming,
            tags,
        },
    )?;

    program.export("vpcId", networking.vpc_id.clone());
    program.export("publicSubnetIds", Value::Array(networking.public_subnet_ids.clone()));
    program.export("privateSubnetIds", Value::Array(networking.private_subnet_ids.clone()));
    program.export("albDnsName", ecs.alb_dns_name.clone());
    program.export("listenerArn", ecs.listener.arn());
    for c in &ecs.colours {
        program.export(&format!("{}TargetGroupArn", c.colour), c.target_group.arn());
        program.export(&format!("{}ServiceName", c.colour), c.service_name.clone());
    }
    program.export("clusterName", ecs.cluster_name.clone());
    program.export("dbEndpoint", database.cluster_endpoint.clone());
    program.export("dbReaderEndpoint", database.reader_endpoint.clone());
    program.export("dbSecretArn", database.master_secret_arn.clone());
    program.export("snsTopicArn", monitoring.topic.arn());
    program.export("dashboardName", monitoring.dashboard_name.clone());
    program.export("trafficWeights", Value::object([("blue", s.blue_weight), ("green", s.green_weight)]));
    let traffic = Traffic {
        control: TrafficControl::ListenerWeights { listener: ecs.listener.urn().clone() },
        watch_alarms: monitoring.shift_alarm_names.clone(),
        weights: Weights { blue: s.blue_weight, green: s.green_weight },
    };
    Ok(Built { program, traffic: Some(traffic) })
}
