//! AppIdentity: what a web application's instances run as and write to — a
//! KMS-encrypted log group, an instance role whose inline policy names exact
//! ARNs (write to that log group, read the database's managed secret,
//! describe the one cluster, use the stack's key) and its instance profile,
//! which the [`WebTier`](super::WebTier)'s launch template names.

use crate::model::{Component, Program, Resource, Value};

use super::children::{allow, Children};
use super::{ComponentError, Naming, Tags};

/// The application log group's name for a stack with `naming`.
pub fn log_group_name(naming: &Naming) -> String {
    naming.name("app-logs", 512)
}

/// What the application's identity needs.
#[derive(Debug, Clone)]
pub struct AppIdentityArgs {
    /// The stack's KMS key (log group encryption, the role's key use).
    pub kms_key_arn: Value,
    /// Days the application's logs are kept.
    pub log_retention_days: u32,
    /// The database cluster's ARN.
    pub db_cluster_arn: Value,
    /// The database's managed secret ARN.
    pub db_secret_arn: Value,
    /// Physical names.
    pub naming: Naming,
    /// Common tags.
    pub tags: Tags,
}

/// The application identity's outputs.
#[derive(Debug, Clone)]
pub struct AppIdentity {
    /// The component resource.
    pub component: Component,
    /// The application log group.
    pub log_group: Resource,
    /// The instances' role.
    pub instance_role: Resource,
    /// The instance profile.
    pub instance_profile: Resource,
}

const TYPE: &str = "tap:components:AppIdentity";

impl AppIdentity {
    /// Registers the log group, role, policy and profile under `parent`.
    pub fn new(
        program: &mut Program,
        parent: &Component,
        name: &str,
        args: AppIdentityArgs,
    ) -> Result<AppIdentity, ComponentError> {
        let me = program.component(parent, TYPE, name)?;
        let mut c = Children { program, parent: me.clone(), naming: &args.naming, tags: &args.tags };
        let group_name = log_group_name(&args.naming);
        let log_group = c.add(
            "aws:cloudwatch/logGroup:LogGroup",
            "app-logs",
            vec![
                ("name", group_name.clone().into()),
                ("retentionInDays", args.log_retention_days.into()),
                ("kmsKeyId", args.kms_key_arn.clone()),
                ("tags", c.tags(&group_name)),
            ],
        )?;
        let instance_role = c.role("instance-role", "ec2.amazonaws.com", "The application instances")?;
        // CloudWatch Logs names a group's streams `<group arn>:log-stream:…`.
        let streams = Value::Concat(vec![log_group.arn(), ":log-stream:*".into()]);
        c.role_policy(
            "instance-policy",
            "instance-policy",
            &instance_role,
            vec![
                allow(&["logs:CreateLogStream", "logs:PutLogEvents"], vec![log_group.arn(), streams]),
                allow(&["rds:DescribeDBClusters"], vec![args.db_cluster_arn.clone()]),
                allow(
                    &["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                    vec![args.db_secret_arn.clone()],
                ),
                allow(&["kms:Decrypt", "kms:GenerateDataKey"], vec![args.kms_key_arn.clone()]),
            ],
        )?;
        let instance_profile = c.instance_profile(&instance_role)?;
        Ok(AppIdentity { component: me, log_group, instance_role, instance_profile })
    }
}
