//! Database: Aurora PostgreSQL — a KMS key with rotation and its alias, a
//! cluster parameter group, a cluster encrypted with that key, whose master
//! password AWS generates and keeps in Secrets Manager (never generated here,
//! never in state), and `instance_count` instances: Serverless v2
//! (`db.serverless`) or a provisioned class Aurora PostgreSQL supports. Production keeps 30 days of backups and a final
//! snapshot; outside dev, Performance Insights and enhanced monitoring are on.
//!
//! [`Database::new_with`] takes [`DatabaseOptions`] for stacks that keep one
//! KMS key of their own (storage, Performance Insights and the master
//! secret under it instead of a key made here), set their own backup and
//! maintenance windows, and want the PostgreSQL log group made ahead of the
//! cluster (so its retention and encryption are theirs, not RDS's
//! never-expiring, unencrypted default).

use crate::model::{Component, Program, Resource, ResourceOptions, Value};

use super::children::Children;
use super::{ComponentError, Naming, Tags};

/// The engine every cluster in this component runs.
pub const ENGINE: &str = "aurora-postgresql";
/// The engine version.
pub const ENGINE_VERSION: &str = "15.4";
/// The AWS managed policy enhanced monitoring needs.
pub const ENHANCED_MONITORING_POLICY_ARN: &str = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole";

/// How the database differs between environments.
#[derive(Debug, Clone, PartialEq)]
pub struct DatabaseProfile {
    /// Days of automated backups (7 in dev, 30 in prod).
    pub backup_retention_days: u32,
    /// Take a final snapshot on deletion (prod only).
    pub final_snapshot: bool,
    /// Refuse deletion through the API (prod only).
    pub deletion_protection: bool,
    /// Performance Insights and enhanced monitoring (outside dev).
    pub insights_and_monitoring: bool,
}

/// What the database component needs.
#[derive(Debug, Clone)]
pub struct DatabaseArgs {
    /// The RDS subnet group (private subnets).
    pub subnet_group_name: Value,
    /// The database security group.
    pub security_group_id: Value,
    /// The initial database's name.
    pub db_name: String,
    /// The master user's name.
    pub username: String,
    /// How many instances (1 writer + readers).
    pub instance_count: u32,
    /// `db.serverless`, or a provisioned class (see [`check_instance_class`]).
    pub instance_class: String,
    /// Serverless v2 minimum capacity (ACUs).
    pub min_capacity: f64,
    /// Serverless v2 maximum capacity (ACUs).
    pub max_capacity: f64,
    /// Environment differences.
    pub profile: DatabaseProfile,
    /// Physical names.
    pub naming: Naming,
    /// Common tags.
    pub tags: Tags,
}

/// Optional differences from [`Database::new`]'s defaults.
#[derive(Debug, Clone, Default)]
pub struct DatabaseOptions {
    /// Encrypt storage, Performance Insights and the master secret with
    /// this key instead of one made by the component.
    pub kms_key_arn: Option<Value>,
    /// Daily backup window, `hh:mm-hh:mm` UTC (default `03:00-04:00`).
    pub backup_window: Option<String>,
    /// Weekly maintenance window, `ddd:hh:mm-ddd:hh:mm` UTC (default
    /// `sun:04:30-sun:05:30`); must not overlap the backup window.
    pub maintenance_window: Option<String>,
    /// Make the cluster's PostgreSQL log group first, keeping logs this many
    /// days (encrypted with `kms_key_arn` when given).
    pub log_retention_days: Option<u32>,
}

/// The default daily backup window.
pub const BACKUP_WINDOW: &str = "03:00-04:00";
/// The default weekly maintenance window.
pub const MAINTENANCE_WINDOW: &str = "sun:04:30-sun:05:30";

/// The cluster identifier [`Database`] gives a stack with `naming`.
pub fn cluster_identifier(naming: &Naming) -> String {
    naming.name("aurora", 63)
}

/// The log group RDS writes the cluster's PostgreSQL log to.
pub fn log_group_name(naming: &Naming) -> String {
    format!("/aws/rds/cluster/{}/postgresql", cluster_identifier(naming))
}

/// A daily window `hh:mm-hh:mm` as minutes of the day; `Err` says why not.
pub fn parse_daily_window(w: &str) -> Result<(u32, u32), String> {
    let minute = |t: &str| -> Option<u32> {
        let (h, m) = t.split_once(':')?;
        let ok = h.len() == 2 && m.len() == 2;
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        (ok && h < 24 && m < 60).then_some(h * 60 + m)
    };
    let (a, b) = w
        .split_once('-')
        .and_then(|(a, b)| Some((minute(a)?, minute(b)?)))
        .ok_or_else(|| format!("`{w}` is not a daily window hh:mm-hh:mm (UTC), e.g. 03:00-04:00"))?;
    let length = (b + 1440 - a) % 1440;
    if length < 30 {
        return Err(format!("`{w}` is shorter than the 30 minutes RDS needs for a backup window"));
    }
    Ok((a, b))
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A weekly window `ddd:hh:mm-ddd:hh:mm` as minutes of the week (Monday
/// 00:00 is 0); `Err` says why not.
pub fn parse_weekly_window(w: &str) -> Result<(u32, u32), String> {
    let minute = |t: &str| -> Option<u32> {
        let (day, time) = t.split_once(':')?;
        let d = DAYS.iter().position(|x| *x == day.to_ascii_lowercase())? as u32;
        let (h, m) = time.split_once(':')?;
        let ok = h.len() == 2 && m.len() == 2;
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        (ok && h < 24 && m < 60).then_some(d * 1440 + h * 60 + m)
    };
    let (a, b) = w
        .split_once('-')
        .and_then(|(a, b)| Some((minute(a)?, minute(b)?)))
        .ok_or_else(|| format!("`{w}` is not a weekly window ddd:hh:mm-ddd:hh:mm (UTC), e.g. sun:04:30-sun:05:30"))?;
    let length = (b + 7 * 1440 - a) % (7 * 1440);
    if length < 30 {
        return Err(format!("`{w}` is shorter than the 30 minutes RDS needs for a maintenance window"));
    }
    Ok((a, b))
}

/// Whether the daily backup window and the weekly maintenance window
/// overlap on any day (RDS refuses overlapping windows).
pub fn windows_overlap(backup: (u32, u32), maintenance: (u32, u32)) -> bool {
    const WEEK: u32 = 7 * 1440;
    // Half-open intervals on the week's circle, split where they wrap.
    let spans = |start: u32, end: u32, period: u32| -> Vec<(u32, u32)> {
        if start < end {
            vec![(start, end)]
        } else {
            vec![(start, period), (0, end)]
        }
    };
    let maintenance = spans(maintenance.0, maintenance.1, WEEK);
    (0..7).any(|day| {
        spans(backup.0, backup.1, 1440).iter().any(|&(s, e)| {
            // The backup window of `day`, wrapped into the week.
            let (s, e) = (day * 1440 + s, day * 1440 + e);
            let pieces = if e <= WEEK { vec![(s, e)] } else { vec![(s, WEEK), (0, e - WEEK)] };
            pieces.iter().any(|&(bs, be)| maintenance.iter().any(|&(ms, me)| bs < me && ms < be))
        })
    })
}

/// The database component's outputs.
#[derive(Debug, Clone)]
pub struct Database {
    /// The component resource.
    pub component: Component,
    /// The cluster.
    pub cluster: Resource,
    /// The cluster identifier (for CloudWatch dimensions).
    pub cluster_identifier: String,
    /// The writer endpoint.
    pub cluster_endpoint: Value,
    /// The reader endpoint.
    pub reader_endpoint: Value,
    /// The ARN of the secret AWS keeps the master credentials in.
    pub master_secret_arn: Value,
    /// The PostgreSQL log group, when made by the component.
    pub log_group: Option<Resource>,
}

const TYPE: &str = "tap:components:Database";

/// Serverless v2's instance class.
pub const SERVERLESS: &str = "db.serverless";

/// Whether Aurora PostgreSQL runs on `class`; `Err` says what it accepts.
/// The burstable micro and small classes are MySQL-only on Aurora.
pub fn check_instance_class(class: &str) -> Result<(), String> {
    const FAMILIES: [&str; 8] = ["t3", "t4g", "r5", "r6g", "r6i", "r7g", "r7i", "x2g"];
    const SIZES: [&str; 10] =
        ["medium", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge"];
    if class == SERVERLESS {
        return Ok(());
    }
    let parts: Vec<&str> = class.split('.').collect();
    let ok = matches!(parts.as_slice(), ["db", family, size]
        if FAMILIES.contains(family)
            && SIZES.contains(size)
            // Burstable classes stop at large.
            && (!family.starts_with('t') || matches!(*size, "medium" | "large")));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "Aurora PostgreSQL does not run on `{class}`; use db.serverless or a provisioned class such as db.t3.medium (the smallest), db.t4g.medium, db.r6g.large"
        ))
    }
}

impl Database {
    /// Registers the database resources under `parent`.
    pub fn new(
        program: &mut Program,
        parent: &Component,
        name: &str,
        args: DatabaseArgs,
    ) -> Result<Database, ComponentError> {
        Database::new_with(program, parent, name, args, DatabaseOptions::default())
    }

    /// [`Database::new`] with `options`.
    pub fn new_with(
        program: &mut Program,
        parent: &Component,
        name: &str,
        args: DatabaseArgs,
        options: DatabaseOptions,
    ) -> Result<Database, ComponentError> {
        let invalid = |problem: String| ComponentError::Invalid { component: TYPE, problem };
        if !(1..=15).contains(&args.instance_count) {
            return Err(invalid(format!("instance_count must be 1 to 15, got {}", args.instance_count)));
        }
        check_instance_class(&args.instance_class).map_err(&invalid)?;
        if !(args.min_capacity >= 0.0 && args.min_capacity <= args.max_capacity && args.max_capacity <= 256.0) {
            return Err(invalid(format!(
                "capacity must satisfy 0 <= min ({}) <= max ({}) <= 256 ACUs",
                args.min_capacity, args.max_capacity
            )));
        }
        let backup_window = options.backup_window.as_deref().unwrap_or(BACKUP_WINDOW);
        let maintenance_window = options.maintenance_window.as_deref().unwrap_or(MAINTENANCE_WINDOW);
        let backup = parse_daily_window(backup_window).map_err(&invalid)?;
        let maintenance = parse_weekly_window(maintenance_window).map_err(&invalid)?;
        if windows_overlap(backup, maintenance) {
            return Err(invalid(format!(
                "the backup window {backup_window} overlaps the maintenance window {maintenance_window}"
            )));
        }
        let me = program.component(parent, TYPE, name)?;
        let mut c = Children { program, parent: me.clone(), naming: &args.naming, tags: &args.tags };
        let p = &args.profile;

        let pg_name = c.name("aurora-pg15", 255);
        let parameter_group = c.add(
            "aws:rds/clusterParameterGroup:ClusterParameterGroup",
            "cluster-parameters",
            vec![
                ("name", pg_name.clone().into()),
                ("family", "aurora-postgresql15".into()),
                ("description", "Aurora PostgreSQL 15: TLS only, slow statements logged".into()),
                (
                    "parameters",
                    Value::array([
                        Value::object([("name", "rds.force_ssl"), ("value", "1")]),
                        Value::object([("name", "log_min_duration_statement"), ("value", "1000")]),
                    ]),
                ),
                ("tags", c.tags(&pg_name)),
            ],
        )?;

        let key_arn = match &options.kms_key_arn {
            Some(arn) => arn.clone(),
            None => {
                // A customer-managed key with yearly rotation, so the data's key is
                // the stack's own and its use shows up in CloudTrail under its alias.
                let key_name = c.name("aurora-key", 255);
                let key = c.add(
                    "aws:kms/key:Key",
                    "aurora-key",
                    vec![
                        (
                            "description",
                            format!("Aurora storage and snapshots of {}", args.naming.environment()).into(),
                        ),
                        ("enableKeyRotation", true.into()),
                        ("deletionWindowInDays", if p.final_snapshot { 30 } else { 7 }.into()),
                        ("tags", c.tags(&key_name)),
                    ],
                )?;
                c.add(
                    "aws:kms/alias:Alias",
                    "aurora-key-alias",
                    vec![("name", format!("alias/{}", c.name("aurora", 250)).into()), ("targetKeyId", key.id())],
                )?;
                key.arn()
            }
        };

        let log_group = match options.log_retention_days {
            Some(days) => {
                let group_name = log_group_name(&args.naming);
                let mut inputs = vec![
                    ("name", Value::from(group_name.clone())),
                    ("retentionInDays", days.into()),
                    ("tags", c.tags(&group_name)),
                ];
                if let Some(arn) = &options.kms_key_arn {
                    inputs.push(("kmsKeyId", arn.clone()));
                }
                Some(c.add("aws:cloudwatch/logGroup:LogGroup", "postgresql-logs", inputs)?)
            }
            None => None,
        };

        let cluster_identifier = cluster_identifier(&args.naming);
        let mut cluster_inputs = vec![
            ("clusterIdentifier", Value::from(cluster_identifier.clone())),
            ("engine", ENGINE.into()),
            ("engineMode", "provisioned".into()),
            ("engineVersion", ENGINE_VERSION.into()),
            ("databaseName", args.db_name.clone().into()),
            ("masterUsername", args.username.clone().into()),
            // AWS generates and rotates the password in Secrets Manager.
            ("manageMasterUserPassword", true.into()),
            ("dbSubnetGroupName", args.subnet_group_name.clone()),
            ("vpcSecurityGroupIds", Value::Array(vec![args.security_group_id.clone()])),
            ("dbClusterParameterGroupName", parameter_group.output("name")),
            ("storageEncrypted", true.into()),
            ("kmsKeyId", key_arn.clone()),
            ("backupRetentionPeriod", p.backup_retention_days.into()),
            ("preferredBackupWindow", backup_window.into()),
            ("preferredMaintenanceWindow", maintenance_window.into()),
            ("copyTagsToSnapshot", true.into()),
            ("deletionProtection", p.deletion_protection.into()),
            ("enabledCloudwatchLogsExports", Value::array(["postgresql"])),
            ("skipFinalSnapshot", (!p.final_snapshot).into()),
            ("tags", c.tags(&cluster_identifier)),
        ];
        if args.instance_class == SERVERLESS {
            cluster_inputs.push((
                "serverlessv2ScalingConfiguration",
                Value::object([("minCapacity", args.min_capacity), ("maxCapacity", args.max_capacity)]),
            ));
        }
        if p.final_snapshot {
            cluster_inputs.push(("finalSnapshotIdentifier", c.name("aurora-final", 255).into()));
        }
        if options.kms_key_arn.is_some() {
            cluster_inputs.push(("masterUserSecretKmsKeyId", key_arn.clone()));
        }
        // RDS writes into the log group only if it exists first.
        let cluster_options = match &log_group {
            Some(group) => ResourceOptions::default().depends_on(group.urn()),
            None => ResourceOptions::default(),
        };
        let cluster = c.add_with("aws:rds/cluster:Cluster", "aurora-cluster", cluster_inputs, cluster_options)?;

        let monitoring_role = if p.insights_and_monitoring {
            let role = c.role("rds-monitoring-role", "monitoring.rds.amazonaws.com", "RDS enhanced monitoring")?;
            c.add(
                "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                "rds-monitoring-policy",
                vec![("role", role.output("name")), ("policyArn", ENHANCED_MONITORING_POLICY_ARN.into())],
            )?;
            Some(role)
        } else {
            None
        };

        for i in 1..=args.instance_count {
            let identifier = c.name(&format!("aurora-{i}"), 63);
            let mut inputs = vec![
                ("identifier", Value::from(identifier.clone())),
                ("clusterIdentifier", cluster.id()),
                ("instanceClass", args.instance_class.clone().into()),
                ("engine", ENGINE.into()),
                ("engineVersion", ENGINE_VERSION.into()),
                ("publiclyAccessible", false.into()),
                ("performanceInsightsEnabled", p.insights_and_monitoring.into()),
                ("monitoringInterval", if p.insights_and_monitoring { 60 } else { 0 }.into()),
                ("tags", c.tags(&identifier)),
            ];
            if let Some(role) = &monitoring_role {
                inputs.push(("performanceInsightsRetentionPeriod", 7.into()));
                inputs.push(("monitoringRoleArn", role.arn()));
                if options.kms_key_arn.is_some() {
                    inputs.push(("performanceInsightsKmsKeyId", key_arn.clone()));
                }
            }
            c.add("aws:rds/clusterInstance:ClusterInstance", &format!("aurora-instance-{i}"), inputs)?;
        }

        Ok(Database {
            component: me,
            cluster_endpoint: cluster.output("endpoint"),
            reader_endpoint: cluster.output("readerEndpoint"),
            master_secret_arn: cluster.output("masterUserSecrets[0].secretArn"),
            cluster_identifier,
            cluster,
            log_group,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_parse_and_overlap_checks_catch_the_day_boundary() {
        let backup = parse_daily_window("03:00-04:00").unwrap();
        assert!(!windows_overlap(backup, parse_weekly_window("sun:04:30-sun:05:30").unwrap()));
        assert!(windows_overlap(backup, parse_weekly_window("wed:03:30-wed:04:30").unwrap()));
        // A backup window across midnight meets a Monday-morning maintenance window.
        let late = parse_daily_window("23:30-00:30").unwrap();
        assert!(windows_overlap(late, parse_weekly_window("mon:00:00-mon:01:00").unwrap()));
        // And a maintenance window across the week's end meets an early backup.
        assert!(windows_overlap(backup, parse_weekly_window("sun:23:00-mon:03:30").unwrap()));
        assert!(!windows_overlap(backup, parse_weekly_window("sun:23:00-mon:02:30").unwrap()));
        assert!(parse_daily_window("3:00-4:00").is_err());
        assert!(parse_daily_window("03:00-03:10").unwrap_err().contains("30 minutes"));
        assert!(parse_weekly_window("sunday:04:30-sun:05:30").is_err());
        assert!(parse_weekly_window("sun:25:00-sun:26:00").is_err());
    }
}
