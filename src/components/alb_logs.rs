//! AlbLogs: the bucket an Application Load Balancer writes its access logs
//! to — versioned, closed to the public, TLS-only, old logs expired — with
//! the bucket policy that lets ELB's log delivery write under its prefix
//! and nowhere else.
//!
//! The bucket is encrypted with SSE-S3, not the stack's KMS key: ALB access
//! log delivery supports only SSE-S3 (AWS refuses to enable logging into an
//! SSE-KMS bucket).

use crate::model::{Component, Program, Resource, ResourceOptions, Value};

use super::children::{is_account_id, policy_document, Children};
use super::storage::{close_bucket, deny_insecure_transport};
use super::{ComponentError, Naming, Tags};

/// ELB's log delivery service principal.
pub const LOG_DELIVERY_PRINCIPAL: &str = "logdelivery.elasticloadbalancing.amazonaws.com";

/// What the ALB log bucket needs.
#[derive(Debug, Clone)]
pub struct AlbLogsArgs {
    /// The AWS account (12 digits) whose load balancers log here.
    pub account_id: String,
    /// The key prefix the load balancer writes under (no leading or trailing `/`).
    pub prefix: String,
    /// Days a log object is kept.
    pub expire_after_days: u32,
    /// Physical names.
    pub naming: Naming,
    /// Common tags.
    pub tags: Tags,
}

/// The ALB log bucket's outputs.
#[derive(Debug, Clone)]
pub struct AlbLogs {
    /// The component resource.
    pub component: Component,
    /// The bucket.
    pub bucket: Resource,
    /// Its name.
    pub bucket_name: String,
    /// The bucket policy.
    pub policy: Resource,
    /// The bucket's name as a reference to the policy, so that a load
    /// balancer given it waits until ELB may write (AWS checks that when
    /// logging is switched on).
    pub bucket_for_load_balancer: Value,
    /// The prefix.
    pub prefix: String,
}

const TYPE: &str = "tap:components:AlbLogs";

impl AlbLogs {
    /// Registers the bucket, its settings and its policy under `parent`.
    pub fn new(
        program: &mut Program,
        parent: &Component,
        name: &str,
        args: AlbLogsArgs,
    ) -> Result<AlbLogs, ComponentError> {
        let invalid = |problem: String| ComponentError::Invalid { component: TYPE, problem };
        if !is_account_id(&args.account_id) {
            return Err(invalid(format!("account id `{}` must be 12 digits", args.account_id)));
        }
        let prefix_ok = !args.prefix.is_empty()
            && !args.prefix.starts_with('/')
            && !args.prefix.ends_with('/')
            && !args.prefix.contains("AWSLogs");
        if !prefix_ok {
            return Err(invalid(format!(
                "log prefix `{}` must be non-empty, without leading or trailing / and without AWSLogs",
                args.prefix
            )));
        }
        if !(1..=3650).contains(&args.expire_after_days) {
            return Err(invalid("logs must be kept 1 to 3650 days".into()));
        }
        let me = program.component(parent, TYPE, name)?;
        let mut c = Children { program, parent: me.clone(), naming: &args.naming, tags: &args.tags };
        let (bucket, bucket_name) = c.bucket("alb-logs", "alb-logs")?;
        let (versioning, block) = close_bucket(&mut c, None, &bucket, "alb-logs", false)?;
        c.add_with(
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            "alb-logs-lifecycle",
            vec![
                ("bucket", bucket.id()),
                (
                    "rules",
                    Value::array([Value::object([
                        ("id", Value::from("expire-old-logs")),
                        ("status", Value::from("Enabled")),
                        ("filter", Value::object([("prefix", "")])),
                        ("expiration", Value::object([("days", args.expire_after_days)])),
                        ("noncurrentVersionExpiration", Value::object([("noncurrentDays", 7)])),
                        ("abortIncompleteMultipartUpload", Value::object([("daysAfterInitiation", 7)])),
                    ])]),
                ),
            ],
            ResourceOptions::default().depends_on(versioning.urn()),
        )?;
        let logs = Value::Concat(vec![bucket.arn(), format!("/{}/AWSLogs/{}/*", args.prefix, args.account_id).into()]);
        // The log delivery service principal is the form AWS documents for
        // regions opened since August 2022. The legacy alternative, the form
        // older regions were documented with, is the region's own ELB
        // account as principal (`arn:aws:iam::<elb-account-id>:root`, e.g.
        // 127311923021 in us-east-1): the one to use if a region refuses
        // the service principal.
        let policy = c.add_with(
            "aws:s3/bucketPolicy:BucketPolicy",
            "alb-logs-policy",
            vec![
                ("bucket", bucket.id()),
                (
                    "policy",
                    policy_document(vec![
                        Value::object([
                            ("Sid", Value::from("ElbLogDeliveryWritesUnderItsPrefix")),
                            ("Effect", Value::from("Allow")),
                            ("Principal", Value::object([("Service", LOG_DELIVERY_PRINCIPAL)])),
                            ("Action", Value::from("s3:PutObject")),
                            ("Resource", logs),
                        ]),
                        deny_insecure_transport(&bucket),
                    ]),
                ),
            ],
            // S3 refuses a policy while the block's first put is in flight.
            ResourceOptions::default().depends_on(block.urn()),
        )?;
        Ok(AlbLogs {
            component: me,
            bucket_for_load_balancer: policy.id(),
            bucket,
            bucket_name,
            policy,
            prefix: args.prefix,
        })
    }
}
