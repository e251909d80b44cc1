//! AppTier: a web application's instances and what they run as — a
//! KMS-encrypted log group, an instance role whose inline policy names exact
//! ARNs (write to that log group, read the database's managed secret,
//! describe the one cluster, use the stack's key) and its instance profile —
//! and the [`WebTier`] (ALB, target group, listeners, launch template, Auto
//! Scaling group and its scaling) registered inside this component.

use crate::model::{Component, Program, Resource, Value};

use super::children::{allow, policy_document, Children};
use super::web_tier::{WebTier, WebTierArgs};
use super::{ComponentError, Naming};

/// The application log group's name for a stack with `naming`.
pub fn log_group_name(naming: &Naming) -> String {
    naming.name("app-logs", 512)
}

/// What the application tier needs besides the web tier's own arguments.
#[derive(Debug, Clone)]
pub struct AppTierArgs {
    /// The web tier; its `instance_profile_name` is replaced by this
    /// component's profile.
    pub web: WebTierArgs,
    /// The stack's KMS key (log group encryption, the role's key use).
    pub kms_key_arn: Value,
    /// Days the application's logs are kept.
    pub log_retention_days: u32,
    /// The database cluster's ARN.
    pub db_cluster_arn: Value,
    /// The database's managed secret ARN.
    pub db_secret_arn: Value,
}

/// The application tier's outputs.
#[derive(Debug, Clone)]
pub struct AppTier {
    /// The component resource.
    pub component: Component,
    /// The application log group.
    pub log_group: Resource,
    /// The instances' role.
    pub instance_role: Resource,
    /// The instance profile.
    pub instance_profile: Resource,
    /// The web tier.
    pub web: WebTier,
}

const TYPE: &str = "tap:components:AppTier";

impl AppTier {
    /// Registers the log group, role, profile and web tier under `parent`.
    pub fn new(
        program: &mut Program,
        parent: &Component,
        name: &str,
        args: AppTierArgs,
    ) -> Result<AppTier, ComponentError> {
        let me = program.component(parent, TYPE, name)?;
        let naming = args.web.naming.clone();
        let tags = args.web.tags.clone();
        let mut c = Children { program, parent: me.clone(), naming: &naming, tags: &tags };
        let group_name = log_group_name(&naming);
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
        c.add(
            "aws:iam/rolePolicy:RolePolicy",
            "instance-policy",
            vec![
                ("name", c.name("instance-policy", 128).into()),
                ("role", instance_role.output("name")),
                (
                    "policy",
                    policy_document(vec![
                        allow(&["logs:CreateLogStream", "logs:PutLogEvents"], vec![log_group.arn(), streams]),
                        allow(&["rds:DescribeDBClusters"], vec![args.db_cluster_arn.clone()]),
                        allow(
                            &["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                            vec![args.db_secret_arn.clone()],
                        ),
                        allow(&["kms:Decrypt", "kms:GenerateDataKey"], vec![args.kms_key_arn.clone()]),
                    ]),
                ),
            ],
        )?;
        let profile_name = c.name("instance-profile", 128);
        let instance_profile = c.add(
            "aws:iam/instanceProfile:InstanceProfile",
            "instance-profile",
            vec![
                ("name", profile_name.clone().into()),
                ("role", instance_role.output("name")),
                ("tags", c.tags(&profile_name)),
            ],
        )?;
        let web_args = WebTierArgs { instance_profile_name: instance_profile.output("name"), ..args.web };
        let web = WebTier::register(&mut *c.program, &me, &web_args)?;
        Ok(AppTier { component: me, log_group, instance_role, instance_profile, web })
    }
}
