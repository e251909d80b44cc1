//! The banking portal of seed 002, with the corrections its failure list
//! makes: one KMS key (rotation on) for the database, its Performance
//! Insights and managed master secret, the buckets that can use SSE-KMS and
//! the log groups; a VPC with public, private and isolated database tiers;
//! an HTTPS load balancer (access logs to an SSE-S3 bucket) in front of an
//! Auto Scaling group with simple scale-up/scale-down policies on CPU
//! alarms; Aurora PostgreSQL with explicit, non-overlapping backup and
//! maintenance windows; static content in a private bucket served by
//! CloudFront through an origin access control; AWS Config recording and
//! judging the account against managed rules; alarms to an SNS topic.
//!
//! Config is read and validated here — every key named in its error, before
//! any cloud call — and turned into the components' typed Args.

use crate::components::app_identity::log_group_name as app_log_group_name;
use crate::components::database::{
    self, check_instance_class, parse_daily_window, parse_weekly_window, windows_overlap, SERVERLESS,
};
use crate::components::flow_logs::RETENTION_DAYS;
use crate::components::static_site::PRICE_CLASSES;
use crate::components::{
    AccessLogs, AlbLogs, AlbLogsArgs, AppIdentity, AppIdentityArgs, AppMonitoring, AppMonitoringArgs, Compliance,
    ComplianceArgs, Database, DatabaseArgs, DatabaseOptions, DatabaseProfile, Encryption, EncryptionArgs, Ipv4Cidr,
    Listeners, ManagedRule, Networking, NetworkingArgs, Scaling, SiteCertificate, StaticSite, StaticSiteArgs, Tags,
    Tls, WatchedLoadBalancer, WebSecurity, WebSecurityArgs, WebTier, WebTierArgs,
};
use crate::config::StackConfig;
use crate::model::Value;

use super::shared::{
    account_id, alert_email, bad, basics, check_account_id, check_ami_id, check_certificate, check_db_identifier,
    check_ec2_instance_type, check_group_sizes, check_health_check_path, check_name_room, check_vpc_room, extra_tags,
    new_program, number, required, uint, vpc_cidr, Basics,
};
use super::{BuildError, Built, ProgramContext};

/// The program's name in `deploy.toml`.
pub const NAME: &str = "banking";

/// PostgreSQL's port.
const DB_PORT: u16 = 5432;
/// The most zones the network spans.
const MAX_ZONES: usize = 3;
/// A list of strings, empty when unset.
fn string_list(c: &StackConfig, key: &str) -> Result<Vec<String>, BuildError> {
    let Some(v) = c.get(key) else { return Ok(Vec::new()) };
    let items = v.as_array().ok_or_else(|| bad(key, "expected a list of strings, e.g. [\"www.example.com\"]"))?;
    items
        .iter()
        .map(|i| i.as_str().map(str::to_string).ok_or_else(|| bad(key, format!("{} is not a string", i.display()))))
        .collect()
}

/// The stack's settings, read from config and checked as a whole.
struct Settings {
    region: String,
    environment: String,
    suffix: String,
    account_id: String,
    vpc_cidr: Ipv4Cidr,
    max_zones: u32,
    // The web tier.
    ami_id: String,
    instance_type: String,
    certificate_arn: String,
    ssl_policy: String,
    app_port: u16,
    health_check_path: String,
    root_volume_gib: u32,
    min_size: u32,
    max_size: u32,
    desired_capacity: u32,
    scale_up_cpu: u32,
    scale_down_cpu: u32,
    scaling_step: u32,
    scaling_cooldown: u32,
    scaling_periods: u32,
    scaling_period_seconds: u32,
    alb_log_days: u32,
    log_retention_days: u32,
    // The database.
    db_instance_class: String,
    db_instance_count: u32,
    db_min_capacity: f64,
    db_max_capacity: f64,
    db_name: String,
    db_username: String,
    db_backup_days: u32,
    db_backup_window: String,
    db_maintenance_window: String,
    db_performance_insights: bool,
    deletion_protection: bool,
    // Static content.
    cdn_price_class: String,
    cdn_root_object: String,
    cdn_static_path: String,
    cdn_certificate_arn: Option<String>,
    cdn_aliases: Vec<String>,
    static_noncurrent_days: u32,
    // Compliance.
    aws_config: bool,
    config_global_resources: bool,
    config_delivery_frequency: String,
    config_retention_days: u32,
    config_cloudtrail_rule: bool,
    // Monitoring.
    alert_email: Option<Value>,
    db_connections_threshold: u32,
    db_cpu_threshold: u32,
    alb_5xx_threshold: u32,
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
            max_zones: uint(c, "tap:maxAvailabilityZones", MAX_ZONES as u32, 2..=MAX_ZONES as i64)?,
            ami_id: required(c, "tap:amiId", "ami-0123456789abcdef0")?,
            instance_type: c.string("tap:instanceType", if prod { "m5.large" } else { "t3.micro" })?,
            certificate_arn: required(
                c,
                "tap:certificateArn",
                &format!("arn:aws:acm:{region}:123456789012:certificate/<id>"),
            )?,
            ssl_policy: c.string("tap:sslPolicy", "ELBSecurityPolicy-TLS13-1-2-2021-06")?,
            app_port: uint(c, "tap:appPort", 8080, 1..=65535)? as u16,
            health_check_path: c.string("tap:healthCheckPath", "/health")?,
            root_volume_gib: uint(c, "tap:rootVolumeGib", 20, 8..=16384)?,
            min_size: uint(c, "tap:minSize", if prod { 3 } else { 1 }, 0..=1000)?,
            max_size: uint(c, "tap:maxSize", if prod { 9 } else { 3 }, 1..=1000)?,
            desired_capacity: uint(c, "tap:desiredCapacity", if prod { 3 } else { 1 }, 0..=1000)?,
            scale_up_cpu: uint(c, "tap:scaleUpCpuPercent", 70, 1..=100)?,
            scale_down_cpu: uint(c, "tap:scaleDownCpuPercent", 30, 0..=99)?,
            scaling_step: uint(c, "tap:scalingStep", 1, 1..=100)?,
            scaling_cooldown: uint(c, "tap:scalingCooldownSeconds", 300, 0..=86_400)?,
            scaling_periods: uint(c, "tap:scalingEvaluationPeriods", 2, 1..=100)?,
            scaling_period_seconds: uint(c, "tap:scalingPeriodSeconds", 60, 60..=86_400)?,
            alb_log_days: uint(c, "tap:albLogRetentionDays", if prod { 365 } else { 90 }, 1..=3650)?,
            log_retention_days: uint(c, "tap:logRetentionDays", if prod { 365 } else { 30 }, 1..=3653)?,
            db_instance_class: c.string("tap:dbInstanceClass", SERVERLESS)?,
            db_instance_count: uint(c, "tap:dbInstanceCount", if prod { 2 } else { 1 }, 1..=15)?,
            db_min_capacity: number(c, "tap:dbMinCapacity", 0.5)?,
            db_max_capacity: number(c, "tap:dbMaxCapacity", if prod { 16.0 } else { 4.0 })?,
            db_name: c.string("tap:dbName", "portal")?,
            db_username: c.string("tap:dbUsername", "portaladmin")?,
            db_backup_days: uint(c, "tap:dbBackupRetentionDays", if prod { 30 } else { 7 }, 0..=35)?,
            db_backup_window: c.string("tap:dbBackupWindow", database::BACKUP_WINDOW)?,
            db_maintenance_window: c.string("tap:dbMaintenanceWindow", database::MAINTENANCE_WINDOW)?,
            db_performance_insights: c.boolean("tap:dbPerformanceInsights", true)?,
            deletion_protection: c.boolean("tap:deletionProtection", prod)?,
            cdn_price_class: c.string("tap:cdnPriceClass", "PriceClass_100")?,
            cdn_root_object: c.string("tap:cdnDefaultRootObject", "index.html")?,
            cdn_static_path: c.string("tap:cdnStaticPathPattern", "/static/*")?,
            cdn_certificate_arn: c.optional_string("tap:cdnCertificateArn")?.filter(|s| !s.is_empty()),
            cdn_aliases: string_list(c, "tap:cdnAliases")?,
            static_noncurrent_days: uint(c, "tap:staticNoncurrentVersionDays", 30, 1..=3650)?,
            aws_config: c.boolean("tap:awsConfig", true)?,
            config_global_resources: c.boolean("tap:configIncludeGlobalResources", true)?,
            config_delivery_frequency: c.string("tap:configDeliveryFrequency", "Six_Hours")?,
            config_retention_days: uint(c, "tap:configRetentionDays", if prod { 2555 } else { 365 }, 1..=3650)?,
            config_cloudtrail_rule: c.boolean("tap:configCloudTrailRule", false)?,
            alert_email: alert_email(c)?,
            db_connections_threshold: uint(c, "tap:dbConnectionsThreshold", 100, 1..=100_000)?,
            db_cpu_threshold: uint(c, "tap:dbCpuThreshold", 80, 1..=100)?,
            alb_5xx_threshold: uint(c, "tap:alb5xxThreshold", 10, 0..=100_000)?,
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
        let prod = self.environment == "prod";
        // The key alias takes the suffix as it is; names clean it.
        let suffix_ok = !self.suffix.is_empty()
            && self.suffix.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !suffix_ok {
            return Err(bad(
                "tap:environmentSuffix",
                format!(
                    "`{}` (or TAPCTL_ENVIRONMENT_SUFFIX) must be lowercase letters, digits and hyphens, e.g. pr-42",
                    self.suffix
                ),
            ));
        }
        check_account_id(&self.account_id)?;
        check_vpc_room(&self.vpc_cidr, "three subnet tiers")?;
        check_ami_id(&self.ami_id)?;
        check_ec2_instance_type("tap:instanceType", &self.instance_type)?;
        check_certificate(&self.certificate_arn, &self.region, &self.account_id)?;
        if !self.ssl_policy.starts_with("ELBSecurityPolicy-TLS") {
            return Err(bad(
                "tap:sslPolicy",
                format!(
                    "`{}` is not an ELB TLS policy of TLS 1.2 or later (e.g. ELBSecurityPolicy-TLS13-1-2-2021-06)",
                    self.ssl_policy
                ),
            ));
        }
        if [80, 443, DB_PORT].contains(&self.app_port) {
            return Err(bad(
                "tap:appPort",
                format!(
                    "{} is taken (80 and 443 are the load balancer's, 5432 the database's); use e.g. 8080",
                    self.app_port
                ),
            ));
        }
        check_health_check_path(&self.health_check_path)?;
        check_group_sizes(self.min_size, self.desired_capacity, self.max_size)?;
        if self.scale_down_cpu >= self.scale_up_cpu {
            return Err(bad(
                "tap:scaleDownCpuPercent",
                format!(
                    "{} % must be below tap:scaleUpCpuPercent ({} %), or the group would scale up and down at once",
                    self.scale_down_cpu, self.scale_up_cpu
                ),
            ));
        }
        if !self.scaling_period_seconds.is_multiple_of(60) {
            return Err(bad(
                "tap:scalingPeriodSeconds",
                format!("{} s is not a multiple of 60 (EC2 metrics are per minute)", self.scaling_period_seconds),
            ));
        }
        if !RETENTION_DAYS.contains(&self.log_retention_days) {
            return Err(bad(
                "tap:logRetentionDays",
                format!(
                    "{} is not a period CloudWatch Logs offers; use one of {RETENTION_DAYS:?}",
                    self.log_retention_days
                ),
            ));
        }
        check_instance_class(&self.db_instance_class).map_err(|p| bad("tap:dbInstanceClass", p))?;
        let acu_ok = self.db_min_capacity >= 0.0
            && self.db_min_capacity <= self.db_max_capacity
            && self.db_max_capacity <= 256.0
            && (self.db_min_capacity * 2.0).fract() == 0.0
            && (self.db_max_capacity * 2.0).fract() == 0.0;
        if !acu_ok {
            return Err(bad(
                "tap:dbMinCapacity",
                format!(
                    "need 0 <= tap:dbMinCapacity ({}) <= tap:dbMaxCapacity ({}) <= 256, in steps of 0.5 ACU",
                    self.db_min_capacity, self.db_max_capacity
                ),
            ));
        }
        if prod && self.db_instance_count < 2 {
            return Err(bad(
                "tap:dbInstanceCount",
                format!(
                    "{} leaves prod without a standby in a second zone; use at least 2 (a writer and a reader)",
                    self.db_instance_count
                ),
            ));
        }
        check_db_identifier("tap:dbName", &self.db_name, 63)?;
        check_db_identifier("tap:dbUsername", &self.db_username, 63)?;
        if ["postgres", "rdsadmin", "admin", "root"].contains(&self.db_username.to_ascii_lowercase().as_str()) {
            return Err(bad(
                "tap:dbUsername",
                format!("`{}` is reserved by RDS for PostgreSQL; use e.g. portaladmin", self.db_username),
            ));
        }
        let min_backup_days = if prod { 30 } else { 7 };
        if self.db_backup_days < min_backup_days {
            return Err(bad(
                "tap:dbBackupRetentionDays",
                format!(
                    "{} days is below the {min_backup_days} days a banking {} database keeps (7–35; prod 30–35)",
                    self.db_backup_days, self.environment
                ),
            ));
        }
        let backup = parse_daily_window(&self.db_backup_window).map_err(|p| bad("tap:dbBackupWindow", p))?;
        let maintenance =
            parse_weekly_window(&self.db_maintenance_window).map_err(|p| bad("tap:dbMaintenanceWindow", p))?;
        if windows_overlap(backup, maintenance) {
            return Err(bad(
                "tap:dbMaintenanceWindow",
                format!(
                    "{} overlaps the daily backup window tap:dbBackupWindow ({}); move one of them (UTC)",
                    self.db_maintenance_window, self.db_backup_window
                ),
            ));
        }
        if !PRICE_CLASSES.contains(&self.cdn_price_class.as_str()) {
            return Err(bad(
                "tap:cdnPriceClass",
                format!("`{}` is not a CloudFront price class; use one of {PRICE_CLASSES:?}", self.cdn_price_class),
            ));
        }
        let root_ok = !self.cdn_root_object.is_empty()
            && !self.cdn_root_object.starts_with('/')
            && !self.cdn_root_object.contains(char::is_whitespace);
        if !root_ok {
            return Err(bad(
                "tap:cdnDefaultRootObject",
                format!("`{}` is not an object key (e.g. index.html, without a leading /)", self.cdn_root_object),
            ));
        }
        let path_ok = self.cdn_static_path.starts_with('/')
            && self.cdn_static_path != "/*"
            && !self.cdn_static_path.contains(char::is_whitespace);
        if !path_ok {
            return Err(bad(
                "tap:cdnStaticPathPattern",
                format!("`{}` is not a path pattern other than the default /* (e.g. /static/*)", self.cdn_static_path),
            ));
        }
        match (&self.cdn_certificate_arn, self.cdn_aliases.is_empty()) {
            (Some(arn), false) => {
                if !arn.starts_with("arn:aws:acm:us-east-1:") || !arn.contains(":certificate/") {
                    return Err(bad(
                        "tap:cdnCertificateArn",
                        format!("`{arn}` is not an ACM certificate in us-east-1, the only region CloudFront reads"),
                    ));
                }
            }
            (Some(_), true) => {
                return Err(bad("tap:cdnAliases", "is empty; a CloudFront certificate needs the names it serves"));
            }
            (None, false) => {
                return Err(bad("tap:cdnCertificateArn", "is required when tap:cdnAliases names domain names"));
            }
            (None, true) => {}
        }
        if !crate::components::compliance::DELIVERY_FREQUENCIES.contains(&self.config_delivery_frequency.as_str()) {
            return Err(bad(
                "tap:configDeliveryFrequency",
                format!(
                    "`{}` is not one of {:?}",
                    self.config_delivery_frequency,
                    crate::components::compliance::DELIVERY_FREQUENCIES
                ),
            ));
        }
        Ok(())
    }
}

/// The AWS managed Config rules the portal is judged against.
fn compliance_rules(s: &Settings) -> Vec<ManagedRule> {
    let mut rules = vec![
        ManagedRule::new("s3-sse", "S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED", "S3 buckets encrypt at rest"),
        ManagedRule::new("s3-public-read", "S3_BUCKET_PUBLIC_READ_PROHIBITED", "No bucket is publicly readable"),
        ManagedRule::new("s3-tls-only", "S3_BUCKET_SSL_REQUESTS_ONLY", "Buckets refuse requests without TLS"),
        ManagedRule::new("rds-encrypted", "RDS_STORAGE_ENCRYPTED", "RDS storage is encrypted"),
        ManagedRule::new("rds-private", "RDS_INSTANCE_PUBLIC_ACCESS_CHECK", "No DB instance is publicly accessible"),
        ManagedRule::new("ebs-encrypted", "ENCRYPTED_VOLUMES", "Attached EBS volumes are encrypted"),
        ManagedRule::new("logs-encrypted", "CLOUDWATCH_LOG_GROUP_ENCRYPTED", "Log groups are encrypted with KMS"),
        ManagedRule::new("kms-rotation", "CMK_BACKING_KEY_ROTATION_ENABLED", "Customer keys rotate"),
        ManagedRule::new("alb-https-redirect", "ALB_HTTP_TO_HTTPS_REDIRECTION_CHECK", "ALBs redirect HTTP to HTTPS"),
    ];
    if s.environment == "prod" {
        // RDS_MULTI_AZ_SUPPORT judges DB instances; an Aurora cluster's
        // Multi-AZ is judged by its cluster rule.
        rules.push(ManagedRule::new(
            "rds-multi-az",
            "RDS_CLUSTER_MULTI_AZ_ENABLED",
            "The Aurora cluster has instances in more than one zone",
        ));
        rules.push(ManagedRule::new(
            "rds-deletion-protection",
            "RDS_CLUSTER_DELETION_PROTECTION_ENABLED",
            "The Aurora cluster is protected from deletion",
        ));
    }
    if s.config_cloudtrail_rule {
        rules.push(ManagedRule::new("cloudtrail", "CLOUD_TRAIL_ENABLED", "CloudTrail records the account"));
    }
    rules
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
                "{} offers {} availability zone(s); the portal needs at least 2 — pick another region",
                s.region,
                ctx.availability_zones.len()
            ),
        ));
    }
    // Room for the longest 32-character-limited part (`alb`, `tg`) and a hash.
    let naming = check_name_room(ctx.project, &s.environment, &s.suffix, 4)?;
    let zones: Vec<String> = ctx.availability_zones.iter().take(s.max_zones as usize).cloned().collect();
    let tags = Tags::new(ctx.project, &s.environment, &s.extra_tags);
    let prod = s.environment == "prod";
    let (mut program, stack) = new_program(ctx, &s.region)?;

    // The one key: its policy must name the log groups before they exist.
    let db_log_group = database::log_group_name(&naming);
    let app_log_group = app_log_group_name(&naming);
    let encryption = Encryption::new(
        &mut program,
        &stack,
        "encryption",
        EncryptionArgs {
            account_id: s.account_id.clone(),
            region: s.region.clone(),
            alias: format!("alias/{}-{}", ctx.project, s.suffix),
            description: "the portal's database, its secret and Performance Insights, buckets, log groups and volumes"
                .into(),
            log_group_names: vec![db_log_group.clone(), app_log_group.clone()],
            ebs: true,
            cloudfront: true,
            deletion_window_days: if prod { 30 } else { 7 },
            naming: naming.clone(),
            tags: tags.clone(),
        },
    )?;
    let key_arn = encryption.key_arn.clone();

    let networking = Networking::with_database_tier(
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
    let db_subnet_group_name = networking.db_subnet_group(&mut program)?;
    let security = WebSecurity::with_database(
        &mut program,
        &stack,
        "security",
        WebSecurityArgs {
            vpc_id: networking.vpc_id.clone(),
            app_port: s.app_port,
            naming: naming.clone(),
            tags: tags.clone(),
        },
        DB_PORT,
    )?;
    let db_security_group_id = security.db_security_group_id.clone().expect("asked for above");
    let database = Database::new_with(
        &mut program,
        &stack,
        "database",
        DatabaseArgs {
            subnet_group_name: db_subnet_group_name,
            security_group_id: db_security_group_id.clone(),
            db_name: s.db_name.clone(),
            username: s.db_username.clone(),
            instance_count: s.db_instance_count,
            instance_class: s.db_instance_class.clone(),
            min_capacity: s.db_min_capacity,
            max_capacity: s.db_max_capacity,
            profile: DatabaseProfile {
                backup_retention_days: s.db_backup_days,
                final_snapshot: prod,
                deletion_protection: s.deletion_protection,
                insights_and_monitoring: s.db_performance_insights,
            },
            naming: naming.clone(),
            tags: tags.clone(),
        },
        DatabaseOptions {
            kms_key_arn: Some(key_arn.clone()),
            backup_window: Some(s.db_backup_window.clone()),
            maintenance_window: Some(s.db_maintenance_window.clone()),
            log_retention_days: Some(s.log_retention_days),
        },
    )?;
    let alb_logs = AlbLogs::new(
        &mut program,
        &stack,
        "alb-logs",
        AlbLogsArgs {
            account_id: s.account_id.clone(),
            prefix: "alb".into(),
            expire_after_days: s.alb_log_days,
            naming: naming.clone(),
            tags: tags.clone(),
        },
    )?;
    let identity = AppIdentity::new(
        &mut program,
        &stack,
        "app-identity",
        AppIdentityArgs {
            kms_key_arn: key_arn.clone(),
            log_retention_days: s.log_retention_days,
            db_cluster_arn: database.cluster.arn(),
            db_secret_arn: database.master_secret_arn.clone(),
            naming: naming.clone(),
            tags: tags.clone(),
        },
    )?;
    let tls = Tls { certificate_arn: s.certificate_arn.clone(), ssl_policy: s.ssl_policy.clone() };
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
            instance_profile_name: identity.instance_profile.output("name"),
            ami_id: s.ami_id.clone(),
            instance_type: s.instance_type.clone(),
            description: format!("{} banking portal application servers", s.environment),
            root_volume_gib: s.root_volume_gib,
            kms_key_arn: Some(key_arn.clone()),
            user_data: None,
            app_port: s.app_port,
            health_check_path: s.health_check_path.clone(),
            listeners: Listeners::HttpsWithRedirect(tls),
            min_size: s.min_size,
            max_size: s.max_size,
            desired_capacity: s.desired_capacity,
            scaling: Scaling::SimpleCpuAlarms {
                high_percent: s.scale_up_cpu,
                low_percent: s.scale_down_cpu,
                step: s.scaling_step,
                cooldown_seconds: s.scaling_cooldown,
                evaluation_periods: s.scaling_periods,
                period_seconds: s.scaling_period_seconds,
            },
            access_logs: Some(AccessLogs {
                bucket: alb_logs.bucket_for_load_balancer.clone(),
                prefix: alb_logs.prefix.clone(),
            }),
            deletion_protection: s.deletion_protection,
            group_tags: Vec::new(),
            naming: naming.clone(),
            tags: tags.clone(),
        },
    )?;
    let site = StaticSite::new(
        &mut program,
        &stack,
        "static-site",
        StaticSiteArgs {
            kms_key_arn: Some(key_arn.clone()),
            price_class: s.cdn_price_class.clone(),
            default_root_object: s.cdn_root_object.clone(),
            static_path_pattern: s.cdn_static_path.clone(),
            certificate: s
                .cdn_certificate_arn
                .clone()
                .map(|arn| SiteCertificate { acm_certificate_arn: arn, aliases: s.cdn_aliases.clone() }),
            noncurrent_version_days: s.static_noncurrent_days,
            naming: naming.clone(),
            tags: tags.clone(),
        },
    )?;
    let compliance = if s.aws_config {
        Some(Compliance::new(
            &mut program,
            &stack,
            "compliance",
            ComplianceArgs {
                account_id: s.account_id.clone(),
                kms_key_arn: Some(key_arn.clone()),
                include_global_resources: s.config_global_resources,
                delivery_frequency: s.config_delivery_frequency.clone(),
                retention_days: s.config_retention_days,
                rules: compliance_rules(&s),
                naming: naming.clone(),
                tags: tags.clone(),
            },
        )?)
    } else {
        None
    };
    let monitoring = AppMonitoring::new(
        &mut program,
        &stack,
        "monitoring",
        AppMonitoringArgs {
            alert_email: s.alert_email.clone(),
            db_cluster_identifier: database.cluster_identifier.clone(),
            db_connections_threshold: s.db_connections_threshold,
            db_cpu_threshold: s.db_cpu_threshold,
            load_balancer: Some(WatchedLoadBalancer {
                alb_arn_suffix: web.alb.output("arnSuffix"),
                target_group_arn_suffix: web.target_group.output("arnSuffix"),
            }),
            alb_5xx_threshold: s.alb_5xx_threshold,
            naming,
            tags,
        },
    )?;

    // Network.
    program.export("region", s.region.as_str());
    program.export("environmentSuffix", s.suffix.as_str());
    program.export("availabilityZones", Value::array(zones.iter().map(String::as_str)));
    program.export("vpcId", networking.vpc_id.clone());
    program.export("publicSubnetIds", Value::Array(networking.public_subnet_ids.clone()));
    program.export("privateSubnetIds", Value::Array(networking.private_subnet_ids.clone()));
    program.export("databaseSubnetIds", Value::Array(networking.database_subnet_ids.clone()));
    program.export("albSecurityGroupId", security.alb_security_group_id.clone());
    program.export("appSecurityGroupId", security.app_security_group_id.clone());
    program.export("dbSecurityGroupId", db_security_group_id);
    // Encryption.
    program.export("kmsKeyId", encryption.key.id());
    program.export("kmsKeyArn", key_arn);
    program.export("kmsAliasName", encryption.alias_name.as_str());
    // The web tier.
    program.export("albArn", web.alb.arn());
    program.export("albDnsName", web.alb.output("dnsName"));
    program.export("httpsListenerArn", web.listener.arn());
    program.export("targetGroupArn", web.target_group.arn());
    program.export("launchTemplateId", web.launch_template.id());
    program.export("autoScalingGroupName", web.group_name.as_str());
    program.export("scaleUpPolicyArn", web.scaling_policies[0].arn());
    program.export("scaleDownPolicyArn", web.scaling_policies[1].arn());
    program.export("scalingAlarmNames", Value::array(web.alarm_names.iter().map(String::as_str)));
    program.export("instanceRoleArn", identity.instance_role.arn());
    program.export("appLogGroupName", app_log_group.as_str());
    program.export("albLogBucketName", alb_logs.bucket_name.as_str());
    // The database.
    program.export("dbClusterIdentifier", database.cluster_identifier.as_str());
    program.export("dbClusterArn", database.cluster.arn());
    program.export("dbEndpoint", database.cluster_endpoint.clone());
    program.export("dbReaderEndpoint", database.reader_endpoint.clone());
    program.export("dbSecretArn", database.master_secret_arn.clone());
    program.export("dbLogGroupName", db_log_group.as_str());
    // Static content.
    program.export("staticBucketName", site.bucket_name.as_str());
    program.export("cloudFrontDistributionId", site.distribution.id());
    program.export("cloudFrontDomainName", site.distribution.output("domainName"));
    program.export("cloudFrontDistributionArn", site.distribution.arn());
    // Compliance and monitoring.
    program.export("awsConfigEnabled", s.aws_config);
    if let Some(c) = &compliance {
        program.export("configRecorderName", c.recorder.output("name"));
        program.export("configBucketName", c.bucket_name.as_str());
        program.export("configRuleNames", Value::array(c.rule_names.iter().map(String::as_str)));
    }
    program.export("snsTopicArn", monitoring.topic.arn());
    program.export("alarmNames", Value::array(monitoring.alarm_names.iter().map(String::as_str)));

    Ok(Built { program, traffic: None })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// Kinds whose policies may say `"Resource": "*"`: in a key policy it
    /// means the key itself.
    const WILDCARD_ALLOWED: &[&str] = &["aws:kms/key:Key"];

    fn program(extra: &[(&str, Value)]) -> crate::model::Program {
        let mut values: BTreeMap<String, Value> = [
            ("tap:accountId", Value::from("123456789012")),
            ("tap:amiId", "ami-12c6146b".into()),
            ("tap:certificateArn", "arn:aws:iam::123456789012:server-certificate/portal".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        values.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
        let config = StackConfig::new(values);
        let ctx = ProgramContext {
            project: "banking",
            stack: "prod",
            config: &config,
            availability_zones: vec!["eu-west-1a".into(), "eu-west-1b".into()],
            environment_suffix: Some("pr7".into()),
            aws_region: None,
            account_id: Some("123456789012".into()),
        };
        build(&ctx).expect("builds").program
    }

    /// Every `"Resource"` of every statement in `v`'s policy documents.
    fn resources_of(v: &Value, found: &mut Vec<Value>) {
        match v {
            Value::JsonString(doc) => resources_of(doc, found),
            Value::Object(o) => {
                if let Some(r) = o.get("Resource") {
                    match r {
                        Value::Array(items) => found.extend(items.iter().cloned()),
                        one => found.push(one.clone()),
                    }
                }
                o.values().for_each(|x| resources_of(x, found));
            }
            Value::Array(items) => items.iter().for_each(|x| resources_of(x, found)),
            _ => {}
        }
    }

    #[test]
    fn no_policy_grants_on_every_resource_outside_the_allow_list() {
        let p = program(&[("tap:environment", "prod".into())]);
        let mut checked = 0;
        for r in p.resources() {
            let mut found = Vec::new();
            r.inputs.values().for_each(|v| resources_of(v, &mut found));
            checked += found.len();
            if found.contains(&Value::from("*")) {
                assert!(WILDCARD_ALLOWED.contains(&r.type_token()), "{} grants on \"*\"", r.urn);
            }
        }
        assert!(checked > 10, "{checked} resources named in policies");
    }

    #[test]
    fn the_suffix_from_the_environment_names_everything_and_the_one_key_reaches_rds_s3_and_logs() {
        // The configured suffix is overridden, and still not refused as unread.
        let p = program(&[("tap:environment", "prod".into()), ("tap:environmentSuffix", "configured".into())]);
        let find = |name: &str| p.resources().iter().find(|r| r.custom && r.urn.name() == name).unwrap();
        let key = find("key");
        let alias = find("key-alias");
        assert_eq!(alias.inputs["name"], Value::from("alias/banking-pr7"));
        let key_arn = Value::Output(crate::model::OutputRef { urn: key.urn.clone(), property: "arn".into() });
        let cluster = find("aurora-cluster");
        assert_eq!(cluster.inputs["kmsKeyId"], key_arn);
        assert_eq!(cluster.inputs["masterUserSecretKmsKeyId"], key_arn);
        assert_eq!(cluster.inputs["clusterIdentifier"], Value::from("banking-prod-aurora-pr7"));
        for group in ["postgresql-logs", "app-logs"] {
            assert_eq!(find(group).inputs["kmsKeyId"], key_arn, "{group}");
        }
        for sse in ["static-encryption", "config-encryption"] {
            let rules = find(sse).inputs["rules"].as_array().unwrap()[0].clone();
            let by_default = rules.as_object().unwrap()["applyServerSideEncryptionByDefault"].clone();
            assert_eq!(by_default.as_object().unwrap()["kmsMasterKeyId"], key_arn, "{sse}");
        }
        // The region comes from the stack config, not from the code.
        let policy = |r: &crate::model::DesiredResource| match &r.inputs["policy"] {
            Value::JsonString(doc) => doc.to_plain_json().to_string(),
            other => panic!("not a policy document: {other:?}"),
        };
        assert!(policy(key).contains("logs.us-east-1.amazonaws.com"));
        let p = program(&[("aws:region", "eu-west-1".into())]);
        let key = p.resources().iter().find(|r| r.custom && r.urn.name() == "key").unwrap();
        assert!(policy(key).contains("logs.eu-west-1.amazonaws.com"));
    }
}
