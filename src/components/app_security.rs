//! AppSecurity: the security-group chain of an EC2 application — the
//! internet reaches the load balancers on HTTPS (443) only, the instances
//! accept the application port from the load balancers only, the database
//! accepts MySQL (3306) from the instances only — and the customer-managed
//! KMS key (rotation on) that encrypts the EBS volumes, the database and its
//! managed secret.
//!
//! Each rule is its own resource, so rules change without replacing a group.

use crate::model::{Component, Program, Resource, Value};

use super::children::{is_account_id, policy_document, Children};
use super::security::Peer;
use super::{ComponentError, Naming, Tags};

/// What the security component needs.
#[derive(Debug, Clone)]
pub struct AppSecurityArgs {
    /// The VPC to create the groups in.
    pub vpc_id: Value,
    /// The port the application listens on (behind the load balancers).
    pub app_port: u16,
    /// The database port.
    pub db_port: u16,
    /// The AWS account (12 digits): the key policy names its root, and lets
    /// the account's principals use the key through EC2 (encrypted volumes).
    pub account_id: String,
    /// The key's region (EC2 of this region may use it).
    pub region: String,
    /// Days before a deleted key is gone (7–30).
    pub key_deletion_window_days: u32,
    /// Physical names.
    pub naming: Naming,
    /// Common tags.
    pub tags: Tags,
}

/// The security component's outputs.
#[derive(Debug, Clone)]
pub struct AppSecurity {
    /// The component resource.
    pub component: Component,
    /// The load balancers' group id.
    pub alb_security_group_id: Value,
    /// The instances' group id.
    pub app_security_group_id: Value,
    /// The database's group id.
    pub db_security_group_id: Value,
    /// The KMS key.
    pub kms_key: Resource,
    /// The key's alias (`alias/…`).
    pub kms_alias_name: String,
}

const TYPE: &str = "tap:components:AppSecurity";

impl AppSecurity {
    /// Registers the groups, rules and key under `parent`.
    pub fn new(
        program: &mut Program,
        parent: &Component,
        name: &str,
        args: AppSecurityArgs,
    ) -> Result<AppSecurity, ComponentError> {
        let invalid = |problem: String| ComponentError::Invalid { component: TYPE, problem };
        if args.app_port == 0 || args.db_port == 0 {
            return Err(invalid("ports must be from 1 to 65535".into()));
        }
        if args.app_port == 443 || args.app_port == args.db_port {
            return Err(invalid(format!(
                "the application port {} must differ from 443 and the database port",
                args.app_port
            )));
        }
        if !is_account_id(&args.account_id) {
            return Err(invalid(format!("account id `{}` must be 12 digits", args.account_id)));
        }
        if !(7..=30).contains(&args.key_deletion_window_days) {
            return Err(invalid("the key deletion window must be 7 to 30 days".into()));
        }
        let me = program.component(parent, TYPE, name)?;
        let mut c = Children { program, parent: me.clone(), naming: &args.naming, tags: &args.tags };
        let vpc = &args.vpc_id;
        let alb = c.group("alb-sg", "Internet-facing load balancers: HTTPS from anywhere, nothing else", vpc)?;
        let app = c.group("app-sg", "Application instances: the app port from the load balancers only", vpc)?;
        let db = c.group("db-sg", "MySQL: 3306 from the application instances only", vpc)?;
        let (port, mysql) = (args.app_port, args.db_port);
        c.rule(true, "alb-https-in", alb.id(), 443, Peer::Anywhere, "HTTPS from the internet")?;
        c.rule(false, "alb-to-app", alb.id(), port, Peer::Group(app.id()), "To the application instances")?;
        c.rule(true, "app-from-alb", app.id(), port, Peer::Group(alb.id()), "App port from the load balancers")?;
        c.rule(false, "app-https-out", app.id(), 443, Peer::Anywhere, "HTTPS for packages, S3 and Secrets Manager")?;
        c.rule(false, "app-to-db", app.id(), mysql, Peer::Group(db.id()), "MySQL to the database")?;
        c.rule(true, "db-from-app", db.id(), mysql, Peer::Group(app.id()), "MySQL from the application instances")?;

        // The account's root keeps control of the key (so IAM policies can
        // grant its use), and EC2 may use it on behalf of any principal of
        // the account — the shape of AWS's own `aws/ebs` key policy. That is
        // what lets Auto Scaling's service-linked role launch volumes
        // encrypted under this key, without naming a role that a fresh
        // account does not have until its first group exists.
        let account = &args.account_id;
        let key_policy = policy_document(vec![
            Value::object([
                ("Sid", Value::from("AccountAdministers")),
                ("Effect", Value::from("Allow")),
                ("Principal", Value::object([("AWS", format!("arn:aws:iam::{account}:root"))])),
                ("Action", Value::from("kms:*")),
                ("Resource", Value::from("*")),
            ]),
            Value::object([
                ("Sid", Value::from("EbsThroughEc2")),
                ("Effect", Value::from("Allow")),
                ("Principal", Value::object([("AWS", "*")])),
                (
                    "Action",
                    Value::array([
                        "kms:Encrypt",
                        "kms:Decrypt",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:DescribeKey",
                        "kms:CreateGrant",
                    ]),
                ),
                ("Resource", Value::from("*")),
                (
                    "Condition",
                    Value::object([(
                        "StringEquals",
                        Value::object([
                            ("kms:CallerAccount", account.clone()),
                            ("kms:ViaService", format!("ec2.{}.amazonaws.com", args.region)),
                        ]),
                    )]),
                ),
            ]),
        ]);
        let key_name = c.name("key", 255);
        let key = c.add(
            "aws:kms/key:Key",
            "key",
            vec![
                ("description", format!("{key_name}: EBS volumes, the database and its secret").into()),
                ("enableKeyRotation", true.into()),
                ("deletionWindowInDays", args.key_deletion_window_days.into()),
                ("policy", key_policy),
                ("tags", c.tags(&key_name)),
            ],
        )?;
        let alias_name = format!("alias/{}", c.name("key", 250));
        c.add(
            "aws:kms/alias:Alias",
            "key-alias",
            vec![("name", alias_name.clone().into()), ("targetKeyId", key.id())],
        )?;

        Ok(AppSecurity {
            component: me,
            alb_security_group_id: alb.id(),
            app_security_group_id: app.id(),
            db_security_group_id: db.id(),
            kms_key: key,
            kms_alias_name: alias_name,
        })
    }
}
