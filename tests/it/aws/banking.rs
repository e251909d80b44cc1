//! The banking portal (`projects/banking`) end to end against moto, through
//! the `tapctl` binary: `up` of the dev stack, a second preview that changes
//! nothing, a look through the SDK at what the cloud holds, `destroy`, and
//! the SDK's word that nothing is left.
//!
//! What moto cannot show (key and bucket policies are stored, not enforced;
//! no log is delivered, no request crosses CloudFront, whose origins do not
//! even keep their origin access control; Config evaluates nothing; nothing
//! is ever not yet available) is listed in
//! `projects/banking/README.md` and checked on the recorded inputs in
//! `tests/it/banking.rs`.

use super::flagship::{tapctl, up_then_no_changes};
use crate::moto::Moto;

#[test]
fn banking_up_noop_destroy() {
    let moto = Moto::start();
    let dir = crate::common::project_from("projects/banking");
    let d = dir.path();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let config = rt.block_on(moto.sdk_config(super::REGION));

    let outputs = up_then_no_changes(|| tapctl(d, &moto), "banking");
    for key in [
        "vpcId",
        "kmsKeyArn",
        "albDnsName",
        "httpsListenerArn",
        "autoScalingGroupName",
        "scaleUpPolicyArn",
        "scaleDownPolicyArn",
        "dbEndpoint",
        "dbSecretArn",
        "staticBucketName",
        "albLogBucketName",
        "cloudFrontDistributionId",
        "configRecorderName",
        "snsTopicArn",
    ] {
        assert!(outputs[key].as_str().is_some_and(|v| !v.is_empty()), "output {key} missing: {outputs}");
    }
    let key_arn = outputs["kmsKeyArn"].as_str().unwrap();

    // The one key: rotation on, behind the cluster, the static bucket and the Config deliveries.
    let kms = aws_sdk_kms::Client::new(&config);
    let rotation = rt.block_on(kms.get_key_rotation_status().key_id(key_arn).send()).unwrap();
    assert!(rotation.key_rotation_enabled());
    let rds = aws_sdk_rds::Client::new(&config);
    let clusters = rt.block_on(rds.describe_db_clusters().send()).unwrap();
    let cluster = &clusters.db_clusters()[0];
    assert_eq!(cluster.engine(), Some("aurora-postgresql"));
    assert_eq!((cluster.storage_encrypted(), cluster.kms_key_id()), (Some(true), Some(key_arn)));
    assert_eq!(cluster.backup_retention_period(), Some(7));
    assert_eq!(cluster.preferred_backup_window(), Some("03:00-04:00"));
    assert_eq!(cluster.preferred_maintenance_window(), Some("sun:04:30-sun:05:30"));
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&config).force_path_style(true).build());
    let sse =
        rt.block_on(s3.get_bucket_encryption().bucket(outputs["staticBucketName"].as_str().unwrap()).send()).unwrap();
    let rule = &sse.server_side_encryption_configuration().unwrap().rules()[0];
    let by_default = rule.apply_server_side_encryption_by_default().unwrap();
    assert_eq!(by_default.sse_algorithm().as_str(), "aws:kms");
    assert_eq!(by_default.kms_master_key_id(), Some(key_arn));
    let logs_sse =
        rt.block_on(s3.get_bucket_encryption().bucket(outputs["albLogBucketName"].as_str().unwrap()).send()).unwrap();
    let logs_rule = &logs_sse.server_side_encryption_configuration().unwrap().rules()[0];
    assert_eq!(logs_rule.apply_server_side_encryption_by_default().unwrap().sse_algorithm().as_str(), "AES256");

    // The web tier: access logs on, simple scaling both ways.
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&config);
    let attributes = rt
        .block_on(elb.describe_load_balancer_attributes().load_balancer_arn(outputs["albArn"].as_str().unwrap()).send())
        .unwrap();
    let attribute = |k: &str| {
        attributes.attributes().iter().find(|a| a.key() == Some(k)).and_then(|a| a.value()).map(str::to_string)
    };
    assert_eq!(attribute("access_logs.s3.enabled").as_deref(), Some("true"));
    assert_eq!(attribute("access_logs.s3.bucket").as_deref(), outputs["albLogBucketName"].as_str());
    let asg = aws_sdk_autoscaling::Client::new(&config);
    let policies = rt
        .block_on(
            asg.describe_policies().auto_scaling_group_name(outputs["autoScalingGroupName"].as_str().unwrap()).send(),
        )
        .unwrap();
    let mut adjustments: Vec<i32> = policies.scaling_policies().iter().filter_map(|p| p.scaling_adjustment()).collect();
    adjustments.sort();
    assert_eq!(adjustments, [-1, 1], "a scale-down and a scale-up policy");

    // Static content through the origin access control, HTTPS only.
    let cloudfront = aws_sdk_cloudfront::Client::new(&config);
    let distribution = rt
        .block_on(cloudfront.get_distribution_config().id(outputs["cloudFrontDistributionId"].as_str().unwrap()).send())
        .unwrap();
    let dc = distribution.distribution_config().unwrap();
    let origin = &dc.origins().unwrap().items()[0];
    assert!(origin.domain_name().starts_with(outputs["staticBucketName"].as_str().unwrap()));
    // moto keeps no origin's OriginAccessControlId (tests/it/aws/cloudfront.rs),
    // so the origin's link to it is checked on the recorded inputs instead.
    let oacs = rt.block_on(cloudfront.list_origin_access_controls().send()).unwrap();
    let oacs: Vec<(&str, &str)> = oacs
        .origin_access_control_list()
        .map(|l| l.items().iter().map(|o| (o.name(), o.signing_protocol().as_str())).collect())
        .unwrap_or_default();
    assert_eq!(oacs, [("banking-dev-static-oac-dev", "sigv4")]);
    let default = dc.default_cache_behavior().unwrap();
    assert_eq!(default.viewer_protocol_policy().as_str(), "redirect-to-https");
    let ordered = &dc.cache_behaviors().unwrap().items()[0];
    assert_eq!(ordered.path_pattern(), "/static/*");
    assert_eq!(dc.default_root_object(), Some("index.html"));

    // AWS Config records into its bucket and judges with the managed rules.
    let cfg = aws_sdk_config::Client::new(&config);
    let status = rt.block_on(cfg.describe_configuration_recorder_status().send()).unwrap();
    let recorder = &status.configuration_recorders_status()[0];
    assert_eq!(recorder.name(), outputs["configRecorderName"].as_str());
    assert!(recorder.recording(), "the recorder runs");
    let channels = rt.block_on(cfg.describe_delivery_channels().send()).unwrap();
    assert_eq!(channels.delivery_channels()[0].s3_kms_key_arn(), Some(key_arn));
    let rules = rt.block_on(cfg.describe_config_rules().send()).unwrap();
    assert_eq!(rules.config_rules().len(), outputs["configRuleNames"].as_array().unwrap().len());

    let destroy = tapctl(d, &moto).args(["destroy", "--yes"]).output().unwrap();
    assert!(destroy.status.success(), "{}", String::from_utf8_lossy(&destroy.stderr));
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let tagged = aws_sdk_ec2::types::Filter::builder().name("tag-key").values("tapctl:urn").build();
    let vpcs = rt.block_on(ec2.describe_vpcs().filters(tagged.clone()).send()).unwrap();
    assert!(vpcs.vpcs().is_empty(), "{:?}", vpcs.vpcs());
    let sgs = rt.block_on(ec2.describe_security_groups().filters(tagged).send()).unwrap();
    assert!(sgs.security_groups().is_empty(), "{:?}", sgs.security_groups());
    let lts = rt.block_on(ec2.describe_launch_templates().send()).unwrap();
    assert!(lts.launch_templates().is_empty(), "{:?}", lts.launch_templates());
    assert!(rt.block_on(elb.describe_load_balancers().send()).unwrap().load_balancers().is_empty());
    assert!(rt.block_on(elb.describe_target_groups().send()).unwrap().target_groups().is_empty());
    assert!(rt.block_on(asg.describe_auto_scaling_groups().send()).unwrap().auto_scaling_groups().is_empty());
    assert!(rt.block_on(asg.describe_policies().send()).unwrap().scaling_policies().is_empty());
    assert!(rt.block_on(rds.describe_db_clusters().send()).unwrap().db_clusters().is_empty());
    assert!(rt.block_on(rds.describe_db_instances().send()).unwrap().db_instances().is_empty());
    let buckets = rt.block_on(s3.list_buckets().send()).unwrap();
    assert!(buckets.buckets().is_empty(), "{:?}", buckets.buckets());
    let iam = aws_sdk_iam::Client::new(&config);
    let roles = rt.block_on(iam.list_roles().send()).unwrap();
    assert!(!roles.roles().iter().any(|r| r.role_name().starts_with("banking-")), "{:?}", roles.roles());
    assert!(rt.block_on(iam.list_instance_profiles().send()).unwrap().instance_profiles().is_empty());
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    let groups = rt.block_on(logs.describe_log_groups().send()).unwrap();
    assert!(groups.log_groups().is_empty(), "{:?}", groups.log_groups());
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&config);
    let alarms = rt.block_on(cloudwatch.describe_alarms().alarm_name_prefix("banking-").send()).unwrap();
    assert!(alarms.metric_alarms().is_empty());
    let sns = aws_sdk_sns::Client::new(&config);
    assert!(rt.block_on(sns.list_topics().send()).unwrap().topics().is_empty());
    let distributions = rt.block_on(cloudfront.list_distributions().send()).unwrap();
    assert!(distributions.distribution_list().is_none_or(|l| l.items().is_empty()), "{distributions:?}");
    let oacs = rt.block_on(cloudfront.list_origin_access_controls().send()).unwrap();
    assert!(oacs.origin_access_control_list().is_none_or(|l| l.items().is_empty()), "{oacs:?}");
    let recorders = rt.block_on(cfg.describe_configuration_recorders().send()).unwrap();
    assert!(recorders.configuration_recorders().is_empty(), "{recorders:?}");
    assert!(rt.block_on(cfg.describe_delivery_channels().send()).unwrap().delivery_channels().is_empty());
    assert!(rt.block_on(cfg.describe_config_rules().send()).unwrap().config_rules().is_empty());
    // A KMS key is never deleted at once: it waits out its deletion window.
    let key = rt.block_on(kms.describe_key().key_id(key_arn).send()).unwrap();
    assert_eq!(key.key_metadata().and_then(|m| m.key_state()).map(|s| s.as_str()), Some("PendingDeletion"));
}
