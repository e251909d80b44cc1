//! Database: Aurora PostgreSQL — a KMS key with rotation and its alias, a
//! cluster parameter group, a cluster encrypted with that key, whose master
//! password AWS generates and keeps in Secrets Manager (never generated here,
//! never in state), and `instance_count` instances: Serverless v2
//! (`db.serverless`) or a provisioned class Aurora PostgreSQL supports. Production keeps 30 days of backups and a final
//! snapshot; outside dev, Performance Insights and enhanced monitoring are on.

use crate::model::{Component, Program, Resource, Value};

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

        // A customer-managed key with yearly rotation, so the data's key is
        // the stack's own and its use shows up in CloudTrail under its alias.
        let key_name = c.name("aurora-key", 255);
        let key = c.add(
            "aws:kms/key:Key",
            "aurora-key",
            vec![
                ("description", format!("Aurora storage and snapshots of {}", args.naming.environment()).into()),
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

        let cluster_identifier = c.name("aurora", 63);
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
            ("kmsKeyId", key.arn()),
            ("backupRetentionPeriod", p.backup_retention_days.into()),
            ("preferredBackupWindow", "03:00-04:00".into()),
            ("preferredMaintenanceWindow", "sun:04:30-sun:05:30".into()),
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
        let cluster = c.add("aws:rds/cluster:Cluster", "aurora-cluster", cluster_inputs)?;

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
        })
    }
}
