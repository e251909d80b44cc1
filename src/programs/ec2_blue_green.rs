//! The EC2 blue-green migration of seed 003, with the corrections its
//! failure list makes: a blue (t3.micro) and a green (m5.large) fleet, each
//! behind its own HTTPS load balancer, traffic moved between them by two
//! weighted Route 53 records (0 → 10 → 50 → 100 % with `tapctl shift`), the
//! migration phase recorded and exported; RDS for MySQL 8.0 (Multi-AZ,
//! encrypted, restorable from a named snapshot, password in Secrets
//! Manager); a log bucket replicated to a second region through a second
//! provider; least-privilege IAM; alarms and SNS; every output exported.
//!
//! Config is read and validated here — every key named in its error, before
//! any cloud call — and turned into the components' typed Args.

use crate::components::mysql::is_rds_identifier;
use crate::components::weighted_dns::is_dns_name;
use crate::components::{
    AppSecurity, AppSecurityArgs, Fleet, FleetArgs, FleetColour, FleetMonitoring, FleetMonitoringArgs, Ipv4Cidr,
    LogStorage, LogStorageArgs, MysqlDatabase, MysqlDatabaseArgs, Networking, NetworkingArgs, Tags, WatchedFleet,
    WeightedDns, WeightedDnsArgs, WeightedTarget,
};
use crate::model::{Program, PropertyMap, Value};
use crate::shift::{TrafficControl, Weights};

use super::shared::{
    account_id, alert_email, bad, basics, check_account_id, check_ami_id, check_certificate, check_db_identifier,
    check_ec2_instance_type, check_group_sizes, check_health_check_path, check_name_room, check_ssl_policy,
    check_vpc_room, extra_tags, is_instance_type, required, uint, vpc_cidr, Basics,
};
use super::{BuildError, Built, ProgramContext, Traffic};

/// The program's name in `deploy.toml`.
pub const NAME: &str = "ec2-blue-green";

/// The zones the fleets and the network span.
const ZONES: usize = 3;

/// The stack's settings, read from config and checked as a whole.
struct Settings {
    region: String,
    replica_region: String,
    environment: String,
    suffix: String,
    account_id: String,
    vpc_cidr: Ipv4Cidr,
    ami_id: String,
    certificate_arn: String,
    ssl_policy: String,
    domain: String,
    record_label: String,
    dns_ttl: u32,
    app_port: u16,
    health_check_path: String,
    blue_instance_type: String,
    green_instance_type: String,
    min_size: u32,
    max_size: u32,
    desired_capacity: u32,
    cpu_target: u32,
    root_volume_gib: u32,
    weights: Weights,
    db_instance_class: String,
    db_engine_version: String,
    db_allocated_storage: u32,
    db_max_allocated_storage: u32,
    db_name: String,
    db_username: String,
    db_snapshot: Option<String>,
    db_multi_az: bool,
    db_backup_days: u32,
    db_monitoring_interval: u32,
    /// Kept as a value so that a secret address stays secret.
    alert_email: Option<Value>,
    cpu_alarm_threshold: u32,
    alb_5xx_threshold: u32,
    db_connections_threshold: u32,
    log_noncurrent_days: u32,
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
            replica_region: c.string("tap:replicaRegion", "us-west-2")?,
            account_id: account_id(ctx)?,
            vpc_cidr,
            ami_id: required(c, "tap:amiId", "ami-0123456789abcdef0")?,
            certificate_arn: required(
                c,
                "tap:certificateArn",
                &format!("arn:aws:acm:{region}:123456789012:certificate/<id>"),
            )?,
            ssl_policy: c.string("tap:sslPolicy", "ELBSecurityPolicy-TLS13-1-2-2021-06")?,
            domain: required(c, "tap:domainName", "example.com")?,
            record_label: c.string("tap:recordName", "app")?,
            dns_ttl: uint(c, "tap:dnsTtl", 60, 1..=60)?,
            app_port: uint(c, "tap:appPort", 8080, 1..=65535)? as u16,
            health_check_path: c.string("tap:healthCheckPath", "/health")?,
            blue_instance_type: c.string("tap:blueInstanceType", "t3.micro")?,
            green_instance_type: c.string("tap:greenInstanceType", "m5.large")?,
            min_size: uint(c, "tap:minSize", if prod { 3 } else { 1 }, 0..=1000)?,
            max_size: uint(c, "tap:maxSize", if prod { 9 } else { 3 }, 1..=1000)?,
            desired_capacity: uint(c, "tap:desiredCapacity", if prod { 3 } else { 1 }, 0..=1000)?,
            cpu_target: uint(c, "tap:cpuTargetPercent", 50, 1..=100)?,
            root_volume_gib: uint(c, "tap:rootVolumeGib", 20, 8..=16384)?,
            weights: Weights {
                blue: uint(c, "tap:blueWeight", 100, 0..=100)?,
                green: uint(c, "tap:greenWeight", 0, 0..=100)?,
            },
            db_instance_class: c.string("tap:dbInstanceClass", if prod { "db.m5.large" } else { "db.t3.micro" })?,
            db_engine_version: c.string("tap:dbEngineVersion", "8.0")?,
            db_allocated_storage: uint(c, "tap:dbAllocatedStorage", 20, 20..=65536)?,
            db_max_allocated_storage: uint(c, "tap:dbMaxAllocatedStorage", 100, 0..=65536)?,
            db_name: c.string("tap:dbName", "appdb")?,
            db_username: c.string("tap:dbUsername", "dbadmin")?,
            db_snapshot: c.optional_string("tap:dbSnapshotIdentifier")?.filter(|s| !s.is_empty()),
            db_multi_az: c.boolean("tap:dbMultiAz", true)?,
            db_backup_days: uint(c, "tap:dbBackupRetentionDays", if prod { 30 } else { 7 }, 1..=35)?,
            db_monitoring_interval: uint(c, "tap:dbMonitoringInterval", 60, 0..=60)?,
            alert_email: alert_email(c)?,
            cpu_alarm_threshold: uint(c, "tap:cpuAlarmThreshold", 80, 1..=100)?,
            alb_5xx_threshold: uint(c, "tap:alb5xxThreshold", 10, 0..=100_000)?,
            db_connections_threshold: uint(c, "tap:dbConnectionsThreshold", 100, 1..=100_000)?,
            log_noncurrent_days: uint(c, "tap:logNoncurrentVersionDays", 90, 1..=3650)?,
            deletion_protection: c.boolean("tap:deletionProtection", prod)?,
            extra_tags: extra_tags(c)?,
            region,
            environment,
            suffix,
        };
        s.check()?;
        Ok(s)
    }

    /// Single-key formats and cross-key rules, each naming the key to fix.
    fn check(&self) -> Result<(), BuildError> {
        let region_ok = |r: &str| {
            r.split('-').count() >= 3 && r.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        };
        if !region_ok(&self.replica_region) {
            return Err(bad(
                "tap:replicaRegion",
                format!("`{}` is not an AWS region name (e.g. us-west-2)", self.replica_region),
            ));
        }
        if self.replica_region == self.region {
            return Err(bad(
                "tap:replicaRegion",
                format!(
                    "is aws:region ({}); cross-region replication needs another region, e.g. us-west-2",
                    self.region
                ),
            ));
        }
        check_account_id(&self.account_id)?;
        check_vpc_room(&self.vpc_cidr, "six subnets")?;
        check_ami_id(&self.ami_id)?;
        check_certificate(&self.certificate_arn, &self.region, &self.account_id)?;
        check_ssl_policy(&self.ssl_policy)?;
        if !is_dns_name(&self.domain) || !self.domain.contains('.') {
            return Err(bad(
                "tap:domainName",
                format!("`{}` is not a lowercase domain name (e.g. example.com)", self.domain),
            ));
        }
        if !is_dns_name(&self.record_label) || self.record_label.contains('.') {
            return Err(bad(
                "tap:recordName",
                format!("`{}` is not a single lowercase DNS label (e.g. app)", self.record_label),
            ));
        }
        if [443, 3306].contains(&self.app_port) {
            return Err(bad(
                "tap:appPort",
                format!("{} is taken (443 is the listeners', 3306 the database's); use e.g. 8080", self.app_port),
            ));
        }
        check_health_check_path(&self.health_check_path)?;
        for (key, t) in
            [("tap:blueInstanceType", &self.blue_instance_type), ("tap:greenInstanceType", &self.green_instance_type)]
        {
            check_ec2_instance_type(key, t)?;
        }
        check_group_sizes(self.min_size, self.desired_capacity, self.max_size)?;
        if self.weights.blue + self.weights.green != 100 {
            return Err(bad(
                "tap:blueWeight",
                format!(
                    "tap:blueWeight ({}) and tap:greenWeight ({}) must sum to 100",
                    self.weights.blue, self.weights.green
                ),
            ));
        }
        let class_ok = self
            .db_instance_class
            .strip_prefix("db.")
            .is_some_and(|rest| is_instance_type(rest) && !rest.starts_with("serverless"));
        if !class_ok {
            return Err(bad(
                "tap:dbInstanceClass",
                format!("`{}` is not an RDS instance class (e.g. db.t3.micro, db.m5.large)", self.db_instance_class),
            ));
        }
        let version_ok = self.db_engine_version == "8.0"
            || self
                .db_engine_version
                .strip_prefix("8.0.")
                .is_some_and(|m| !m.is_empty() && m.chars().all(|c| c.is_ascii_digit()));
        if !version_ok {
            return Err(bad(
                "tap:dbEngineVersion",
                format!("`{}` is not MySQL 8.0 (use 8.0, or a minor such as 8.0.39)", self.db_engine_version),
            ));
        }
        if self.db_max_allocated_storage != 0 && self.db_max_allocated_storage < self.db_allocated_storage {
            return Err(bad(
                "tap:dbMaxAllocatedStorage",
                format!(
                    "{} is below tap:dbAllocatedStorage ({}); raise it, or set 0 to turn storage autoscaling off",
                    self.db_max_allocated_storage, self.db_allocated_storage
                ),
            ));
        }
        check_db_identifier("tap:dbName", &self.db_name, 64)?;
        check_db_identifier("tap:dbUsername", &self.db_username, 16)?;
        if ["rdsadmin", "root", "mysql"].contains(&self.db_username.to_ascii_lowercase().as_str()) {
            return Err(bad(
                "tap:dbUsername",
                format!("`{}` is reserved by RDS for MySQL; use e.g. dbadmin", self.db_username),
            ));
        }
        if ![0, 1, 5, 10, 15, 30, 60].contains(&self.db_monitoring_interval) {
            return Err(bad(
                "tap:dbMonitoringInterval",
                format!(
                    "{} s is not an enhanced monitoring interval; use 0 (off), 1, 5, 10, 15, 30 or 60",
                    self.db_monitoring_interval
                ),
            ));
        }
        if let Some(snapshot) = &self.db_snapshot {
            let arn_ok = snapshot.starts_with("arn:aws:rds:")
                && snapshot.contains(":snapshot:")
                && snapshot.rsplit(':').next().is_some_and(is_rds_identifier);
            if !(is_rds_identifier(snapshot) || arn_ok) {
                return Err(bad(
                    "tap:dbSnapshotIdentifier",
                    format!(
                        "`{snapshot}` is not a DB snapshot identifier (letters, digits and single hyphens, starting \
                         with a letter, at most 63) nor a DB snapshot ARN; Aurora cluster snapshots cannot restore an \
                         instance"
                    ),
                ));
            }
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

    if ctx.availability_zones.len() < ZONES {
        return Err(bad(
            "aws:region",
            format!(
                "{} offers {} availability zone(s); the fleets span {ZONES} — pick a region with at least {ZONES}",
                s.region,
                ctx.availability_zones.len()
            ),
        ));
    }
    // Room for the longest component part: `green-alb` plus its hash.
    let naming = check_name_room(ctx.project, &s.environment, &s.suffix, 10)?;
    let zones: Vec<String> = ctx.availability_zones.iter().take(ZONES).cloned().collect();
    let tags = Tags::new(ctx.project, &s.environment, &s.extra_tags);
    let prod = s.environment == "prod";

    let mut program = Program::new(
        ctx.project,
        ctx.stack,
        PropertyMap::from([("region".to_string(), Value::from(s.region.as_str()))]),
    );
    // The replica's region: a second provider instance of its own.
    let replica_provider = program
        .provider("replica", PropertyMap::from([("region".to_string(), Value::from(s.replica_region.as_str()))]))?;
    let root = program.root();
    let stack = program.component(&root, "tap:stack:Ec2BlueGreen", &format!("{}-{}", ctx.project, ctx.stack))?;
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
    let db_subnet_group = networking.db_subnet_group(&mut program)?;
    let security = AppSecurity::new(
        &mut program,
        &stack,
        "security",
        AppSecurityArgs {
            vpc_id: networking.vpc_id.clone(),
            app_port: s.app_port,
            db_port: 3306,
            account_id: s.account_id.clone(),
            region: s.region.clone(),
            key_deletion_window_days: if prod { 30 } else { 7 },
            naming: naming.clone(),
            tags: tags.clone(),
        },
    )?;
    let kms_key_arn = security.kms_key.arn();
    let database = MysqlDatabase::new(
        &mut program,
        &stack,
        "database",
        MysqlDatabaseArgs {
            subnet_group_name: db_subnet_group.clone(),
            security_group_id: security.db_security_group_id.clone(),
            kms_key_arn: kms_key_arn.clone(),
            instance_class: s.db_instance_class.clone(),
            engine_version: s.db_engine_version.clone(),
            allocated_storage: s.db_allocated_storage,
            max_allocated_storage: s.db_max_allocated_storage,
            db_name: s.db_name.clone(),
            username: s.db_username.clone(),
            snapshot_identifier: s.db_snapshot.clone(),
            multi_az: s.db_multi_az,
            backup_retention_days: s.db_backup_days,
            deletion_protection: s.deletion_protection,
            final_snapshot: prod,
            monitoring_interval: s.db_monitoring_interval,
            naming: naming.clone(),
            tags: tags.clone(),
        },
    )?;
    let logs = LogStorage::new(
        &mut program,
        &stack,
        "storage",
        LogStorageArgs {
            replica_provider,
            noncurrent_version_days: s.log_noncurrent_days,
            naming: naming.clone(),
            tags: tags.clone(),
        },
    )?;
    let colour = |colour: &str, instance_type: &str| FleetColour {
        colour: colour.into(),
        instance_type: instance_type.into(),
        min_size: s.min_size,
        max_size: s.max_size,
        desired_capacity: s.desired_capacity,
    };
    let fleet = Fleet::new(
        &mut program,
        &stack,
        "fleet",
        FleetArgs {
            vpc_id: networking.vpc_id.clone(),
            public_subnet_ids: networking.public_subnet_ids.clone(),
            private_subnet_ids: networking.private_subnet_ids.clone(),
            alb_security_group_id: security.alb_security_group_id.clone(),
            app_security_group_id: security.app_security_group_id.clone(),
            kms_key_arn: kms_key_arn.clone(),
            certificate_arn: s.certificate_arn.clone(),
            ssl_policy: s.ssl_policy.clone(),
            app_port: s.app_port,
            health_check_path: s.health_check_path.clone(),
            ami_id: s.ami_id.clone(),
            root_volume_gib: s.root_volume_gib,
            colours: vec![colour("blue", &s.blue_instance_type), colour("green", &s.green_instance_type)],
            cpu_target_percent: s.cpu_target,
            log_bucket_arn: logs.bucket.arn(),
            db_instance_arn: database.arn.clone(),
            db_secret_arn: database.master_secret_arn.clone(),
            deletion_protection: s.deletion_protection,
            naming: naming.clone(),
            tags: tags.clone(),
        },
    )?;
    let weight = |c: &str| if c == "blue" { s.weights.blue } else { s.weights.green };
    let dns = WeightedDns::new(
        &mut program,
        &stack,
        "dns",
        WeightedDnsArgs {
            domain: s.domain.clone(),
            record_label: s.record_label.clone(),
            ttl: s.dns_ttl,
            targets: fleet
                .colours
                .iter()
                .map(|f| WeightedTarget {
                    colour: f.colour.clone(),
                    dns_name: f.alb.output("dnsName"),
                    weight: weight(&f.colour),
                })
                .collect(),
            naming: naming.clone(),
            tags: tags.clone(),
        },
    )?;
    let monitoring = FleetMonitoring::new(
        &mut program,
        &stack,
        "monitoring",
        FleetMonitoringArgs {
            alert_email: s.alert_email.clone(),
            fleets: fleet
                .colours
                .iter()
                .map(|f| WatchedFleet {
                    colour: f.colour.clone(),
                    group_name: f.group_name.clone(),
                    alb_arn_suffix: f.alb.output("arnSuffix"),
                    target_group_arn_suffix: f.target_group.output("arnSuffix"),
                })
                .collect(),
            db_instance_identifier: database.identifier.clone(),
            cpu_alarm_threshold: s.cpu_alarm_threshold,
            alb_5xx_threshold: s.alb_5xx_threshold,
            db_connections_threshold: s.db_connections_threshold,
            naming,
            tags,
        },
    )?;

    // Networking and security.
    program.export("region", s.region.as_str());
    program.export("availabilityZones", Value::array(zones.iter().map(String::as_str)));
    program.export("vpcId", networking.vpc_id.clone());
    program.export("vpcCidr", s.vpc_cidr.to_string());
    program.export("publicSubnetIds", Value::Array(networking.public_subnet_ids.clone()));
    program.export("privateSubnetIds", Value::Array(networking.private_subnet_ids.clone()));
    program.export("dbSubnetGroupName", db_subnet_group);
    program.export("albSecurityGroupId", security.alb_security_group_id.clone());
    program.export("appSecurityGroupId", security.app_security_group_id.clone());
    program.export("dbSecurityGroupId", security.db_security_group_id.clone());
    program.export("kmsKeyId", security.kms_key.id());
    program.export("kmsKeyArn", kms_key_arn);
    program.export("kmsAliasName", security.kms_alias_name.as_str());
    // The fleets.
    program.export("instanceRoleArn", fleet.instance_role.arn());
    program.export("instanceProfileName", fleet.instance_profile.output("name"));
    for f in &fleet.colours {
        let c = &f.colour;
        program.export(&format!("{c}AlbArn"), f.alb.arn());
        program.export(&format!("{c}AlbDnsName"), f.alb.output("dnsName"));
        program.export(&format!("{c}ListenerArn"), f.listener.arn());
        program.export(&format!("{c}TargetGroupArn"), f.target_group.arn());
        program.export(&format!("{c}LaunchTemplateId"), f.launch_template.id());
        program.export(&format!("{c}InstanceType"), f.instance_type.as_str());
        program.export(&format!("{c}AutoScalingGroupName"), f.group_name.as_str());
        program.export(&format!("{c}ScalingPolicyArn"), f.scaling_policy.arn());
    }
    // Traffic.
    program.export("route53ZoneId", dns.zone.id());
    program.export("route53NameServers", dns.zone.output("nameServers"));
    program.export("route53DomainName", dns.fqdn.as_str());
    program.export("dnsTtl", s.dns_ttl);
    program.export("trafficWeights", Value::object([("blue", s.weights.blue), ("green", s.weights.green)]));
    program.export("migrationPhase", s.weights.phase());
    // Data.
    program.export("dbInstanceIdentifier", database.identifier.as_str());
    program.export("dbEndpoint", database.endpoint.clone());
    program.export("dbAddress", database.address.clone());
    program.export("dbArn", database.arn.clone());
    program.export("dbSecretArn", database.master_secret_arn.clone());
    if let Some(role) = &database.monitoring_role {
        program.export("dbMonitoringRoleArn", role.arn());
    }
    program.export("dbRestoredFromSnapshot", s.db_snapshot.as_deref().map_or(Value::Null, Value::from));
    program.export("logBucketName", logs.bucket_name.as_str());
    program.export("logBucketArn", logs.bucket.arn());
    program.export("replicaBucketName", logs.replica_name.as_str());
    program.export("replicaBucketArn", logs.replica.arn());
    program.export("replicaRegion", s.replica_region.as_str());
    program.export("replicationRoleArn", logs.replication_role.arn());
    // Monitoring.
    program.export("snsTopicArn", monitoring.topic.arn());
    program.export("alarmNames", Value::array(monitoring.alarm_names.iter().map(String::as_str)));

    let traffic = Traffic {
        control: TrafficControl::WeightedRecords {
            blue: dns.records[0].urn().clone(),
            green: dns.records[1].urn().clone(),
        },
        watch_alarms: monitoring.shift_alarm_names.clone(),
        weights: s.weights,
    };
    Ok(Built { program, traffic: Some(traffic) })
}
