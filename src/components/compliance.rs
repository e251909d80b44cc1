//! Compliance: AWS Config recording every supported resource of the region
//! and judging it against AWS managed rules.
//!
//! The recorder runs under a role of its own with AWS's managed
//! `AWS_ConfigRole` plus an inline policy naming exactly its delivery
//! bucket (and key); the delivery channel writes snapshots and history to a
//! bucket that is versioned, encrypted, closed to the public, TLS-only, ages
//! out old deliveries, and whose policy gives the Config service principal
//! what it needs for this account only. Order matters to AWS and is encoded
//! as dependencies: recorder → delivery channel (needs a recorder) →
//! recorder status (starts recording; needs a channel) → rules (evaluate
//! only once recording runs).
//!
//! An account has one configuration recorder per region: a stack that
//! builds this component owns the region's recorder.

use crate::model::{Component, Program, Resource, ResourceOptions, Value};

use super::children::{allow, is_account_id, policy_document, Children};
use super::storage::{close_bucket_encrypted, deny_insecure_transport};
use super::{ComponentError, Naming, Tags};

/// AWS's managed policy for Config recorders.
pub const CONFIG_ROLE_POLICY_ARN: &str = "arn:aws:iam::aws:policy/service-role/AWS_ConfigRole";
/// How often Config may deliver configuration snapshots.
pub const DELIVERY_FREQUENCIES: [&str; 5] =
    ["One_Hour", "Three_Hours", "Six_Hours", "Twelve_Hours", "TwentyFour_Hours"];

/// One AWS managed Config rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedRule {
    /// The rule's name part (`s3-sse` → `<project>-<env>-s3-sse-<suffix>`).
    pub logical: String,
    /// AWS's identifier, e.g. `S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED`.
    pub identifier: String,
    /// What it checks.
    pub description: String,
}

impl ManagedRule {
    /// A managed rule.
    pub fn new(logical: &str, identifier: &str, description: &str) -> ManagedRule {
        ManagedRule { logical: logical.into(), identifier: identifier.into(), description: description.into() }
    }
}

/// What the compliance component needs.
#[derive(Debug, Clone)]
pub struct ComplianceArgs {
    /// The AWS account (12 digits): the delivery prefix and the bucket
    /// policy's `AWS:SourceAccount` condition name it.
    pub account_id: String,
    /// Encrypt deliveries with this key (SSE-KMS), else SSE-S3.
    pub kms_key_arn: Option<Value>,
    /// Also record global resources (IAM); do so in one region only.
    pub include_global_resources: bool,
    /// Snapshot delivery frequency (one of [`DELIVERY_FREQUENCIES`]).
    pub delivery_frequency: String,
    /// Days deliveries are kept (current versions expire then).
    pub retention_days: u32,
    /// The managed rules.
    pub rules: Vec<ManagedRule>,
    /// Physical names.
    pub naming: Naming,
    /// Common tags.
    pub tags: Tags,
}

/// The compliance component's outputs.
#[derive(Debug, Clone)]
pub struct Compliance {
    /// The component resource.
    pub component: Component,
    /// The delivery bucket.
    pub bucket: Resource,
    /// Its name.
    pub bucket_name: String,
    /// The recorder's role.
    pub role: Resource,
    /// The recorder.
    pub recorder: Resource,
    /// The delivery channel.
    pub delivery_channel: Resource,
    /// The recorder status (recording on).
    pub recorder_status: Resource,
    /// The rules, in the order given.
    pub rules: Vec<Resource>,
    /// The rules' names.
    pub rule_names: Vec<String>,
}

const TYPE: &str = "tap:components:Compliance";

impl Compliance {
    /// Registers the bucket, role, recorder, channel, status and rules under `parent`.
    pub fn new(
        program: &mut Program,
        parent: &Component,
        name: &str,
        args: ComplianceArgs,
    ) -> Result<Compliance, ComponentError> {
        let invalid = |problem: String| ComponentError::Invalid { component: TYPE, problem };
        if !is_account_id(&args.account_id) {
            return Err(invalid(format!("account id `{}` must be 12 digits", args.account_id)));
        }
        if !DELIVERY_FREQUENCIES.contains(&args.delivery_frequency.as_str()) {
            return Err(invalid(format!(
                "delivery frequency `{}` is not one of {DELIVERY_FREQUENCIES:?}",
                args.delivery_frequency
            )));
        }
        if !(1..=3650).contains(&args.retention_days) {
            return Err(invalid("deliveries must be kept 1 to 3650 days".into()));
        }
        for r in &args.rules {
            let ok = !r.identifier.is_empty()
                && r.identifier.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            if !ok {
                return Err(invalid(format!("`{}` is not an AWS managed rule identifier", r.identifier)));
            }
        }
        let me = program.component(parent, TYPE, name)?;
        let mut c = Children { program, parent: me.clone(), naming: &args.naming, tags: &args.tags };
        let account = &args.account_id;

        let (bucket, bucket_name) = c.bucket("config", "config")?;
        let (versioning, block) = close_bucket_encrypted(&mut c, None, &bucket, "config", args.kms_key_arn.as_ref())?;
        c.add_with(
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            "config-lifecycle",
            vec![
                ("bucket", bucket.id()),
                (
                    "rules",
                    Value::array([Value::object([
                        ("id", Value::from("age-out-deliveries")),
                        ("status", Value::from("Enabled")),
                        ("filter", Value::object([("prefix", "")])),
                        ("expiration", Value::object([("days", args.retention_days)])),
                        ("noncurrentVersionExpiration", Value::object([("noncurrentDays", 30)])),
                    ])]),
                ),
            ],
            ResourceOptions::default().depends_on(versioning.urn()),
        )?;
        // Config writes under AWSLogs/<account>/Config/ of the bucket.
        let deliveries = Value::Concat(vec![bucket.arn(), format!("/AWSLogs/{account}/Config/*").into()]);
        let from_this_account =
            || Value::object([("StringEquals", Value::object([("AWS:SourceAccount", account.clone())]))]);
        let config_principal = || Value::object([("Service", "config.amazonaws.com")]);
        let bucket_policy = c.add_with(
            "aws:s3/bucketPolicy:BucketPolicy",
            "config-policy",
            vec![
                ("bucket", bucket.id()),
                (
                    "policy",
                    policy_document(vec![
                        Value::object([
                            ("Sid", Value::from("AWSConfigBucketPermissionsCheck")),
                            ("Effect", Value::from("Allow")),
                            ("Principal", config_principal()),
                            ("Action", Value::from("s3:GetBucketAcl")),
                            ("Resource", bucket.arn()),
                            ("Condition", from_this_account()),
                        ]),
                        Value::object([
                            ("Sid", Value::from("AWSConfigBucketExistenceCheck")),
                            ("Effect", Value::from("Allow")),
                            ("Principal", config_principal()),
                            ("Action", Value::from("s3:ListBucket")),
                            ("Resource", bucket.arn()),
                            ("Condition", from_this_account()),
                        ]),
                        Value::object([
                            ("Sid", Value::from("AWSConfigBucketDelivery")),
                            ("Effect", Value::from("Allow")),
                            ("Principal", config_principal()),
                            ("Action", Value::from("s3:PutObject")),
                            ("Resource", deliveries.clone()),
                            (
                                "Condition",
                                Value::object([(
                                    "StringEquals",
                                    Value::object([
                                        ("s3:x-amz-acl", Value::from("bucket-owner-full-control")),
                                        ("AWS:SourceAccount", Value::from(account.as_str())),
                                    ]),
                                )]),
                            ),
                        ]),
                        deny_insecure_transport(&bucket),
                    ]),
                ),
            ],
            ResourceOptions::default().depends_on(block.urn()),
        )?;

        let role = c.role("config-role", "config.amazonaws.com", "AWS Config recorder and delivery")?;
        let managed = c.add(
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            "config-managed-policy",
            vec![("role", role.output("name")), ("policyArn", CONFIG_ROLE_POLICY_ARN.into())],
        )?;
        let mut statements = vec![
            allow(&["s3:GetBucketAcl", "s3:ListBucket"], vec![bucket.arn()]),
            allow(&["s3:PutObject", "s3:PutObjectAcl"], vec![deliveries]),
        ];
        if let Some(key) = &args.kms_key_arn {
            statements.push(allow(&["kms:GenerateDataKey", "kms:Decrypt"], vec![key.clone()]));
        }
        let delivery_policy = c.role_policy("config-delivery-policy", "config-delivery", &role, statements)?;

        let recorder = c.add_with(
            "aws:cfg/recorder:Recorder",
            "recorder",
            vec![
                ("name", c.name("recorder", 256).into()),
                ("roleArn", role.arn()),
                (
                    "recordingGroup",
                    Value::object([
                        ("allSupported", Value::from(true)),
                        ("includeGlobalResourceTypes", Value::from(args.include_global_resources)),
                    ]),
                ),
            ],
            // Config checks the role's permissions when the recorder names it.
            ResourceOptions::default().depends_on(managed.urn()),
        )?;
        let mut channel_inputs = vec![
            ("name", Value::from(c.name("delivery", 256))),
            ("s3BucketName", bucket.id()),
            ("snapshotDeliveryProperties", Value::object([("deliveryFrequency", args.delivery_frequency.as_str())])),
        ];
        if let Some(key) = &args.kms_key_arn {
            channel_inputs.push(("s3KmsKeyArn", key.clone()));
        }
        // Config test-writes to the bucket when the channel is made.
        let delivery_channel = c.add_with(
            "aws:cfg/deliveryChannel:DeliveryChannel",
            "delivery-channel",
            channel_inputs,
            ResourceOptions::default()
                .depends_on(recorder.urn())
                .depends_on(bucket_policy.urn())
                .depends_on(delivery_policy.urn()),
        )?;
        let recorder_status = c.add_with(
            "aws:cfg/recorderStatus:RecorderStatus",
            "recorder-status",
            vec![("name", recorder.output("name")), ("isEnabled", true.into())],
            ResourceOptions::default().depends_on(delivery_channel.urn()),
        )?;

        let mut rules = Vec::new();
        let mut rule_names = Vec::new();
        for r in &args.rules {
            let rule_name = c.name(&r.logical, 128);
            let rule = c.add_with(
                "aws:cfg/rule:Rule",
                &r.logical,
                vec![
                    ("name", rule_name.clone().into()),
                    ("description", r.description.as_str().into()),
                    (
                        "source",
                        Value::object([
                            ("owner", Value::from("AWS")),
                            ("sourceIdentifier", r.identifier.as_str().into()),
                        ]),
                    ),
                    ("tags", c.tags(&rule_name)),
                ],
                ResourceOptions::default().depends_on(recorder_status.urn()),
            )?;
            rules.push(rule);
            rule_names.push(rule_name);
        }
        Ok(Compliance {
            component: me,
            bucket,
            bucket_name,
            role,
            recorder,
            delivery_channel,
            recorder_status,
            rules,
            rule_names,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::ResourceGraph;
    use crate::model::PropertyMap;

    fn build() -> (Program, Compliance) {
        let mut p = Program::new("bank", "dev", PropertyMap::new());
        let root = p.root();
        let c = Compliance::new(
            &mut p,
            &root,
            "compliance",
            ComplianceArgs {
                account_id: "123456789012".into(),
                kms_key_arn: Some("arn:aws:kms:us-east-1:123456789012:key/k".into()),
                include_global_resources: true,
                delivery_frequency: "Six_Hours".into(),
                retention_days: 365,
                rules: vec![
                    ManagedRule::new("s3-sse", "S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED", "SSE on"),
                    ManagedRule::new("rds-encrypted", "RDS_STORAGE_ENCRYPTED", "RDS encrypted"),
                ],
                naming: Naming::new("bank", "dev", "dev"),
                tags: Tags::new("bank", "dev", &[]),
            },
        )
        .unwrap();
        (p, c)
    }

    #[test]
    fn recorder_then_channel_then_status_then_rules() {
        let (p, c) = build();
        let graph = ResourceGraph::from_program(&p).unwrap();
        let order: Vec<_> = graph.topological_order().into_iter().map(|u| u.to_string()).collect();
        let at = |r: &Resource| order.iter().position(|u| *u == r.urn().to_string()).unwrap();
        assert!(at(&c.role) < at(&c.recorder));
        assert!(at(&c.recorder) < at(&c.delivery_channel));
        assert!(at(&c.delivery_channel) < at(&c.recorder_status));
        for rule in &c.rules {
            assert!(at(&c.recorder_status) < at(rule));
        }
        let status = p.resources().iter().find(|r| r.urn == *c.recorder_status.urn()).unwrap();
        assert!(status.dependencies().contains(c.delivery_channel.urn()), "the status waits for the channel");
        assert_eq!(c.rule_names.len(), 2);
    }

    #[test]
    fn the_role_has_the_managed_policy_and_an_exact_inline_policy() {
        let (p, _) = build();
        let attachment = p.resources().iter().find(|r| r.urn.name() == "config-managed-policy").unwrap();
        assert_eq!(attachment.inputs["policyArn"], Value::from(CONFIG_ROLE_POLICY_ARN));
        let inline = p.resources().iter().find(|r| r.urn.name() == "config-delivery-policy").unwrap();
        let text = inline.inputs["policy"].to_plain_json().to_string();
        assert!(!text.contains("\\\"*\\\""), "no wildcard resource: {text}");
    }
}
