//! Encryption: one customer-managed KMS key for a whole stack — rotation on,
//! an alias, and a key policy that says exactly who may use it beyond the
//! account's own IAM principals: CloudWatch Logs for the named log groups
//! only, and optionally EC2 (encrypted launch volumes) and CloudFront
//! (reading SSE-KMS objects through an origin access control).
//!
//! One key rather than one per service: a single rotation schedule, a
//! single deletion window and one place in CloudTrail to see every use.

use crate::model::{Component, Program, Resource, Value};

use super::children::{is_account_id, policy_document, Children};
use super::{ComponentError, Naming, Tags};

/// What the encryption component needs.
#[derive(Debug, Clone)]
pub struct EncryptionArgs {
    /// The AWS account (12 digits): its root administers the key.
    pub account_id: String,
    /// The key's region (service principals and log group ARNs are regional).
    pub region: String,
    /// The alias, `alias/…` (not under `alias/aws/`, which AWS reserves).
    pub alias: String,
    /// What the key protects, for its description.
    pub description: String,
    /// Log groups CloudWatch Logs may encrypt with the key (exact names).
    pub log_group_names: Vec<String>,
    /// Let EC2 use the key for any principal of the account (encrypted EBS
    /// volumes launched by Auto Scaling's service-linked role).
    pub ebs: bool,
    /// Let CloudFront distributions of the account decrypt (SSE-KMS origins
    /// behind an origin access control).
    pub cloudfront: bool,
    /// Days before a deleted key is gone (7–30).
    pub deletion_window_days: u32,
    /// Physical names.
    pub naming: Naming,
    /// Common tags.
    pub tags: Tags,
}

/// The encryption component's outputs.
#[derive(Debug, Clone)]
pub struct Encryption {
    /// The component resource.
    pub component: Component,
    /// The key.
    pub key: Resource,
    /// The key's ARN.
    pub key_arn: Value,
    /// The alias resource.
    pub alias: Resource,
    /// The alias name (`alias/…`).
    pub alias_name: String,
}

const TYPE: &str = "tap:components:Encryption";

/// The ARN of log group `name` in `region` of `account`, as CloudWatch Logs
/// puts it in the encryption context.
pub fn log_group_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:logs:{region}:{account}:log-group:{name}")
}

impl Encryption {
    /// Registers the key and its alias under `parent`.
    pub fn new(
        program: &mut Program,
        parent: &Component,
        name: &str,
        args: EncryptionArgs,
    ) -> Result<Encryption, ComponentError> {
        let invalid = |problem: String| ComponentError::Invalid { component: TYPE, problem };
        if !is_account_id(&args.account_id) {
            return Err(invalid(format!("account id `{}` must be 12 digits", args.account_id)));
        }
        let alias_ok = args.alias.strip_prefix("alias/").is_some_and(|rest| {
            !rest.is_empty()
                && !rest.starts_with("aws/")
                && rest.len() <= 250
                && rest.chars().all(|c| c.is_ascii_alphanumeric() || "/_-".contains(c))
        });
        if !alias_ok {
            return Err(invalid(format!(
                "`{}` is not a customer alias (alias/ and letters, digits, / _ -; not alias/aws/)",
                args.alias
            )));
        }
        if !(7..=30).contains(&args.deletion_window_days) {
            return Err(invalid("the key deletion window must be 7 to 30 days".into()));
        }
        let me = program.component(parent, TYPE, name)?;
        let mut c = Children { program, parent: me.clone(), naming: &args.naming, tags: &args.tags };
        let (account, region) = (&args.account_id, &args.region);
        let use_actions = || {
            Value::array(["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"])
        };

        // In a key policy `"Resource": "*"` means "this key": a key policy
        // cannot name anything else.
        let mut statements = vec![Value::object([
            ("Sid", Value::from("AccountRootAdministers")),
            ("Effect", Value::from("Allow")),
            ("Principal", Value::object([("AWS", format!("arn:aws:iam::{account}:root"))])),
            ("Action", Value::from("kms:*")),
            ("Resource", Value::from("*")),
        ])];
        if !args.log_group_names.is_empty() {
            let arns: Vec<Value> =
                args.log_group_names.iter().map(|n| Value::from(log_group_arn(region, account, n))).collect();
            statements.push(Value::object([
                ("Sid", Value::from("CloudWatchLogsForTheStacksLogGroups")),
                ("Effect", Value::from("Allow")),
                ("Principal", Value::object([("Service", format!("logs.{region}.amazonaws.com"))])),
                ("Action", use_actions()),
                ("Resource", Value::from("*")),
                (
                    "Condition",
                    Value::object([(
                        "ArnEquals",
                        Value::object([("kms:EncryptionContext:aws:logs:arn", Value::Array(arns))]),
                    )]),
                ),
            ]));
        }
        if args.ebs {
            // AWS's own `aws/ebs` key policy shape: EC2 may use the key on
            // behalf of the account's principals, so Auto Scaling's
            // service-linked role can launch volumes under it.
            let mut actions = use_actions();
            if let Value::Array(a) = &mut actions {
                a.push("kms:CreateGrant".into());
            }
            statements.push(Value::object([
                ("Sid", Value::from("EbsThroughEc2")),
                ("Effect", Value::from("Allow")),
                ("Principal", Value::object([("AWS", "*")])),
                ("Action", actions),
                ("Resource", Value::from("*")),
                (
                    "Condition",
                    Value::object([(
                        "StringEquals",
                        Value::object([
                            ("kms:CallerAccount", account.clone()),
                            ("kms:ViaService", format!("ec2.{region}.amazonaws.com")),
                        ]),
                    )]),
                ),
            ]));
        }
        if args.cloudfront {
            // Scoped to the account's distributions rather than one
            // distribution ARN: the distribution depends on the bucket, whose
            // encryption depends on this key, so naming it here would make a
            // cycle. The bucket policy is what names the one distribution.
            statements.push(Value::object([
                ("Sid", Value::from("CloudFrontOriginAccessControl")),
                ("Effect", Value::from("Allow")),
                ("Principal", Value::object([("Service", "cloudfront.amazonaws.com")])),
                ("Action", Value::array(["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*"])),
                ("Resource", Value::from("*")),
                (
                    "Condition",
                    Value::object([(
                        "ArnLike",
                        Value::object([("AWS:SourceArn", format!("arn:aws:cloudfront::{account}:distribution/*"))]),
                    )]),
                ),
            ]));
        }

        let key_name = c.name("key", 255);
        let key = c.add(
            "aws:kms/key:Key",
            "key",
            vec![
                ("description", format!("{key_name}: {}", args.description).into()),
                ("enableKeyRotation", true.into()),
                ("deletionWindowInDays", args.deletion_window_days.into()),
                ("policy", policy_document(statements)),
                ("tags", c.tags(&key_name)),
            ],
        )?;
        let alias = c.add(
            "aws:kms/alias:Alias",
            "key-alias",
            vec![("name", args.alias.clone().into()), ("targetKeyId", key.id())],
        )?;
        Ok(Encryption { component: me, key_arn: key.arn(), key, alias, alias_name: args.alias })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PropertyMap;

    fn build(log_groups: &[&str]) -> (Program, Encryption) {
        let mut p = Program::new("bank", "dev", PropertyMap::new());
        let root = p.root();
        let e = Encryption::new(
            &mut p,
            &root,
            "encryption",
            EncryptionArgs {
                account_id: "123456789012".into(),
                region: "eu-west-1".into(),
                alias: "alias/bank-dev".into(),
                description: "everything".into(),
                log_group_names: log_groups.iter().map(|s| s.to_string()).collect(),
                ebs: true,
                cloudfront: true,
                deletion_window_days: 7,
                naming: Naming::new("bank", "dev", "dev"),
                tags: Tags::new("bank", "dev", &[]),
            },
        )
        .unwrap();
        (p, e)
    }

    fn policy(p: &Program) -> serde_json::Value {
        let key = p.resources().iter().find(|r| r.urn.name() == "key").unwrap();
        let Value::JsonString(doc) = &key.inputs["policy"] else { panic!("policy is a document") };
        doc.to_plain_json()
    }

    #[test]
    fn logs_may_use_the_key_only_for_the_named_groups_and_rotation_is_on() {
        let (p, e) = build(&["/aws/rds/cluster/x/postgresql", "/bank/dev/app"]);
        assert_eq!(e.alias_name, "alias/bank-dev");
        let key = p.resources().iter().find(|r| r.urn.name() == "key").unwrap();
        assert_eq!(key.inputs["enableKeyRotation"], Value::from(true));
        let doc = policy(&p);
        let logs =
            doc["Statement"].as_array().unwrap().iter().find(|s| s["Sid"] == "CloudWatchLogsForTheStacksLogGroups");
        let logs = logs.expect("a statement for CloudWatch Logs");
        assert_eq!(logs["Principal"]["Service"], "logs.eu-west-1.amazonaws.com");
        assert_eq!(
            logs["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"],
            serde_json::json!([
                "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/rds/cluster/x/postgresql",
                "arn:aws:logs:eu-west-1:123456789012:log-group:/bank/dev/app"
            ])
        );
        assert_eq!(doc["Statement"][0]["Principal"]["AWS"], "arn:aws:iam::123456789012:root");
    }

    #[test]
    fn without_log_groups_there_is_no_logs_statement_and_bad_aliases_are_refused() {
        let (p, _) = build(&[]);
        assert!(!policy(&p).to_string().contains("logs."));
        let mut p = Program::new("bank", "dev", PropertyMap::new());
        let root = p.root();
        let err = Encryption::new(
            &mut p,
            &root,
            "encryption",
            EncryptionArgs {
                account_id: "123456789012".into(),
                region: "eu-west-1".into(),
                alias: "alias/aws/bank".into(),
                description: "x".into(),
                log_group_names: vec![],
                ebs: false,
                cloudfront: false,
                deletion_window_days: 7,
                naming: Naming::new("bank", "dev", "dev"),
                tags: Tags::new("bank", "dev", &[]),
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("alias/aws/"), "{err}");
    }
}
