//! MysqlDatabase: one RDS for MySQL 8.0 instance, Multi-AZ, in the private
//! subnets behind its own security group, storage encrypted with the stack's
//! KMS key, the master password generated and kept by AWS in Secrets Manager
//! (encrypted with the same key) — never generated locally, never in state —
//! and optionally restored from a named DB snapshot (an instance snapshot,
//! not an Aurora cluster snapshot).
//!
//! Enhanced monitoring, when on, runs under a role of its own that RDS's
//! monitoring service assumes, with AWS's managed monitoring policy — the
//! role exists before the instance names it.
//!
//! A restored instance takes its encryption, database name and master user
//! from the snapshot (RDS allows no other), so those inputs are left out
//! then; the managed password is switched on right after the restore.

use crate::model::{Component, Program, Resource, ResourceOptions, Value};

use super::children::Children;
use super::database::ENHANCED_MONITORING_POLICY_ARN;
use super::{ComponentError, Naming, Tags};

/// What the database component needs.
#[derive(Debug, Clone)]
pub struct MysqlDatabaseArgs {
    /// The RDS subnet group (private subnets).
    pub subnet_group_name: Value,
    /// The database's security group.
    pub security_group_id: Value,
    /// The KMS key ARN for storage and the managed secret.
    pub kms_key_arn: Value,
    /// e.g. `db.t3.micro`, `db.m5.large`.
    pub instance_class: String,
    /// Engine version (`8.0` lets RDS pick the latest 8.0 minor).
    pub engine_version: String,
    /// Initial storage (GiB).
    pub allocated_storage: u32,
    /// Storage autoscaling ceiling (GiB, 0 = off).
    pub max_allocated_storage: u32,
    /// The database created in a fresh instance.
    pub db_name: String,
    /// The master user of a fresh instance.
    pub username: String,
    /// Restore from this DB snapshot instead of starting empty.
    pub snapshot_identifier: Option<String>,
    /// Standby in a second zone.
    pub multi_az: bool,
    /// Automated backups kept (days).
    pub backup_retention_days: u32,
    /// Deletion protection (and `protect` on the resource).
    pub deletion_protection: bool,
    /// Take a final snapshot when the instance is deleted.
    pub final_snapshot: bool,
    /// Enhanced monitoring granularity in seconds (0 = off; 1, 5, 10, 15, 30 or 60).
    pub monitoring_interval: u32,
    /// Physical names.
    pub naming: Naming,
    /// Common tags.
    pub tags: Tags,
}

/// The database component's outputs.
#[derive(Debug, Clone)]
pub struct MysqlDatabase {
    /// The component resource.
    pub component: Component,
    /// The DB instance.
    pub instance: Resource,
    /// Its identifier.
    pub identifier: String,
    /// `host:port`.
    pub endpoint: Value,
    /// The host name.
    pub address: Value,
    /// The instance ARN (for least-privilege policies).
    pub arn: Value,
    /// The ARN of the Secrets Manager secret holding the master password.
    pub master_secret_arn: Value,
    /// Enhanced monitoring's role, when monitoring is on.
    pub monitoring_role: Option<Resource>,
}

const TYPE: &str = "tap:components:MysqlDatabase";

/// Whether `id` is an RDS identifier: 1–63 letters, digits and hyphens,
/// starting with a letter, no two hyphens in a row, not ending with one.
pub fn is_rds_identifier(id: &str) -> bool {
    id.len() <= 63
        && id.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !id.contains("--")
        && !id.ends_with('-')
}

impl MysqlDatabase {
    /// Registers the instance under `parent`.
    pub fn new(
        program: &mut Program,
        parent: &Component,
        name: &str,
        args: MysqlDatabaseArgs,
    ) -> Result<MysqlDatabase, ComponentError> {
        let invalid = |problem: String| ComponentError::Invalid { component: TYPE, problem };
        if !args.engine_version.starts_with("8.0") {
            return Err(invalid(format!("engine version {} is not MySQL 8.0", args.engine_version)));
        }
        if !(20..=65536).contains(&args.allocated_storage) {
            return Err(invalid("allocated storage must be 20 to 65536 GiB".into()));
        }
        if args.max_allocated_storage != 0 && args.max_allocated_storage < args.allocated_storage {
            return Err(invalid("the storage ceiling must be 0 (off) or at least the allocated storage".into()));
        }
        if ![0, 1, 5, 10, 15, 30, 60].contains(&args.monitoring_interval) {
            return Err(invalid(format!(
                "enhanced monitoring interval {} must be 0 (off), 1, 5, 10, 15, 30 or 60 seconds",
                args.monitoring_interval
            )));
        }
        if args.backup_retention_days > 35 {
            return Err(invalid("backups are kept at most 35 days".into()));
        }
        if let Some(s) = &args.snapshot_identifier {
            // Shared snapshots are named by ARN.
            if !(is_rds_identifier(s) || (s.starts_with("arn:aws:rds:") && s.contains(":snapshot:"))) {
                return Err(invalid(format!("`{s}` is neither a DB snapshot identifier nor a DB snapshot ARN")));
            }
        }
        let me = program.component(parent, TYPE, name)?;
        let mut c = Children { program, parent: me.clone(), naming: &args.naming, tags: &args.tags };
        let identifier = c.name("mysql", 63);
        let mut inputs: Vec<(&str, Value)> = vec![
            ("identifier", identifier.clone().into()),
            ("engine", "mysql".into()),
            ("instanceClass", args.instance_class.as_str().into()),
            ("allocatedStorage", args.allocated_storage.into()),
            ("maxAllocatedStorage", args.max_allocated_storage.into()),
            ("storageType", "gp3".into()),
            ("multiAz", args.multi_az.into()),
            ("dbSubnetGroupName", args.subnet_group_name.clone()),
            ("vpcSecurityGroupIds", Value::Array(vec![args.security_group_id.clone()])),
            ("publiclyAccessible", false.into()),
            ("manageMasterUserPassword", true.into()),
            ("masterUserSecretKmsKeyId", args.kms_key_arn.clone()),
            ("backupRetentionPeriod", args.backup_retention_days.into()),
            ("backupWindow", "03:00-04:00".into()),
            ("maintenanceWindow", "sun:04:30-sun:05:30".into()),
            ("copyTagsToSnapshot", true.into()),
            ("autoMinorVersionUpgrade", true.into()),
            ("enabledCloudwatchLogsExports", Value::array(["error", "slowquery"])),
            ("deletionProtection", args.deletion_protection.into()),
            ("tags", c.tags(&identifier)),
        ];
        match &args.snapshot_identifier {
            Some(snapshot) => inputs.push(("snapshotIdentifier", snapshot.as_str().into())),
            None => inputs.extend([
                ("engineVersion", args.engine_version.as_str().into()),
                ("storageEncrypted", true.into()),
                ("kmsKeyId", args.kms_key_arn.clone()),
                ("dbName", args.db_name.as_str().into()),
                ("username", args.username.as_str().into()),
            ]),
        }
        if args.final_snapshot {
            inputs.push(("skipFinalSnapshot", false.into()));
            inputs.push(("finalSnapshotIdentifier", c.name("mysql-final", 255).into()));
        } else {
            inputs.push(("skipFinalSnapshot", true.into()));
        }
        let mut options = ResourceOptions::default().protect(args.deletion_protection);
        let monitoring_role = if args.monitoring_interval > 0 {
            let role = c.role("rds-monitoring-role", "monitoring.rds.amazonaws.com", "RDS enhanced monitoring")?;
            let attachment = c.add(
                "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                "rds-monitoring-policy",
                vec![("role", role.output("name")), ("policyArn", ENHANCED_MONITORING_POLICY_ARN.into())],
            )?;
            inputs.push(("monitoringInterval", args.monitoring_interval.into()));
            inputs.push(("monitoringRoleArn", role.arn()));
            // RDS checks the role's permissions when the instance names it.
            options = options.depends_on(attachment.urn());
            Some(role)
        } else {
            None
        };
        let instance = c.add_with("aws:rds/instance:Instance", "mysql", inputs, options)?;
        Ok(MysqlDatabase {
            component: me,
            identifier,
            endpoint: instance.output("endpoint"),
            address: instance.output("address"),
            arn: instance.arn(),
            master_secret_arn: instance.output("masterUserSecrets[0].secretArn"),
            monitoring_role,
            instance,
        })
    }
}
