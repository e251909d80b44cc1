//! The EC2 blue-green migration (`projects/ec2-blue-green`) end to end
//! against moto, through the `tapctl` binary: up (two regions, through two
//! providers), a second preview that changes nothing, a full shift
//! 0 → 10 → 50 → 100 % moving only the two weighted records with the phase
//! exported, a preview that still changes nothing, destroy, and the SDK's
//! word that nothing is left.
//!
//! moto gaps met here, and what covers them instead:
//!
//! - GetBucketVersioning answers with an XML root the SDK refuses
//!   (`GetBucketVersioningResponse`); moto runs through
//!   `scripts/moto_server.py`, which answers with S3's root;
//! - an HTTPS listener's certificate must exist in moto's ACM, while an IAM
//!   server certificate ARN is taken as given: the dev stack names one (real
//!   AWS accepts both kinds; the program validates either form);
//! - moto launches Auto Scaling instances at once and never runs their user
//!   data, health checks or the target groups' draining, so IMDSv2, the
//!   `/health` checks, the 30 s deregistration delay and the launch of
//!   volumes under the customer-managed key (the key policy's grant to Auto
//!   Scaling) are checked on the recorded inputs (`tests/it/ec2_blue_green.rs`)
//!   and here through the SDK's describe calls, not by traffic;
//! - moto replicates no objects and answers replication rules with an empty
//!   prefix; the replication configuration is checked for its role and
//!   destination only;
//! - moto restores no data from a DB snapshot, so the snapshot path is
//!   covered on the in-memory cloud and by the RDS kind's own moto test;
//! - Route 53 answers at once (`INSYNC`), and no resolver is involved, so the
//!   shift is checked on the record sets' weights, not on DNS answers.

use super::flagship::{changes, json, tapctl, up_then_no_changes};
use crate::moto::Moto;

#[test]
fn ec2_blue_green_up_noop_shift_destroy() {
    let moto = Moto::start();
    let dir = crate::common::project_from("projects/ec2-blue-green");
    let d = dir.path();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let config = rt.block_on(moto.sdk_config(super::REGION));

    let outputs = up_then_no_changes(|| tapctl(d, &moto), "ec2-blue-green");
    for key in [
        "vpcId",
        "blueAlbDnsName",
        "greenAlbDnsName",
        "blueListenerArn",
        "greenTargetGroupArn",
        "blueAutoScalingGroupName",
        "greenLaunchTemplateId",
        "route53ZoneId",
        "dbEndpoint",
        "dbSecretArn",
        "logBucketName",
        "replicaBucketName",
        "kmsKeyArn",
        "snsTopicArn",
    ] {
        assert!(outputs[key].as_str().is_some_and(|v| !v.is_empty()), "output {key} missing: {outputs}");
    }
    assert_eq!(outputs["migrationPhase"], "initial");

    // What the cloud holds: the listeners, the fleets, the database, the replica region.
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&config);
    let listener = rt
        .block_on(elb.describe_listeners().listener_arns(outputs["blueListenerArn"].as_str().unwrap()).send())
        .unwrap();
    let listener = &listener.listeners()[0];
    assert_eq!((listener.port(), listener.protocol().map(|p| p.as_str())), (Some(443), Some("HTTPS")));
    let tg = rt
        .block_on(
            elb.describe_target_groups().target_group_arns(outputs["greenTargetGroupArn"].as_str().unwrap()).send(),
        )
        .unwrap();
    assert_eq!(tg.target_groups()[0].health_check_path(), Some("/health"));
    let asg = aws_sdk_autoscaling::Client::new(&config);
    let groups = rt.block_on(asg.describe_auto_scaling_groups().send()).unwrap();
    assert_eq!(groups.auto_scaling_groups().len(), 2);
    for g in groups.auto_scaling_groups() {
        let zones: std::collections::BTreeSet<&str> = g.availability_zones().iter().map(String::as_str).collect();
        assert_eq!(zones.len(), 3, "{} spans three zones: {zones:?}", g.auto_scaling_group_name().unwrap_or_default());
    }
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let lt = rt
        .block_on(
            ec2.describe_launch_template_versions()
                .launch_template_id(outputs["greenLaunchTemplateId"].as_str().unwrap())
                .send(),
        )
        .unwrap();
    let data = lt.launch_template_versions()[0].launch_template_data().unwrap();
    assert_eq!(data.instance_type().map(|t| t.as_str()), Some("m5.large"));
    assert_eq!(data.metadata_options().and_then(|m| m.http_tokens()).map(|t| t.as_str()), Some("required"));
    assert_eq!(data.block_device_mappings()[0].ebs().and_then(|e| e.encrypted()), Some(true));
    let rds = aws_sdk_rds::Client::new(&config);
    let dbs = rt.block_on(rds.describe_db_instances().send()).unwrap();
    let db = &dbs.db_instances()[0];
    assert_eq!((db.engine(), db.multi_az(), db.storage_encrypted()), (Some("mysql"), Some(true), Some(true)));
    assert_eq!(db.monitoring_interval(), Some(60));
    assert_eq!(db.monitoring_role_arn(), outputs["dbMonitoringRoleArn"].as_str());
    let west = rt.block_on(moto.sdk_config("us-west-2"));
    let s3_west =
        aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&west).force_path_style(true).build());
    let replica = outputs["replicaBucketName"].as_str().unwrap();
    let location = rt.block_on(s3_west.get_bucket_location().bucket(replica).send()).unwrap();
    assert_eq!(
        location.location_constraint().map(|l| l.as_str()),
        Some("us-west-2"),
        "the replica is in the second region"
    );

    // The shift moves the two weighted records, step by step, and records the phase.
    let shift =
        tapctl(d, &moto).args(["shift", "--to", "green", "--steps", "10,50,100", "--interval", "0s"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&shift.stdout);
    assert!(shift.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&shift.stderr));
    assert!(stdout.contains("Shift complete: blue 0% / green 100%"), "{stdout}");
    assert_eq!(stdout.matches("aws:route53/record:Record").count(), 6, "two records per step, nothing else: {stdout}");
    let stack_file = std::fs::read_to_string(d.join("stacks/dev.toml")).unwrap();
    assert!(stack_file.contains("\"tap:greenWeight\" = 100"), "{stack_file}");
    let outputs = json(tapctl(d, &moto).args(["stack", "output", "--json"]));
    assert_eq!(outputs["migrationPhase"], "complete");
    assert_eq!(outputs["trafficWeights"]["green"], 100);
    let route53 = aws_sdk_route53::Client::new(&config);
    let sets = rt
        .block_on(route53.list_resource_record_sets().hosted_zone_id(outputs["route53ZoneId"].as_str().unwrap()).send())
        .unwrap();
    let mut weights: Vec<(String, Option<i64>, Option<i64>)> = sets
        .resource_record_sets()
        .iter()
        .filter(|r| r.set_identifier().is_some())
        .map(|r| (r.set_identifier().unwrap().to_string(), r.weight(), r.ttl()))
        .collect();
    weights.sort();
    assert_eq!(weights, [("blue".into(), Some(0), Some(60)), ("green".into(), Some(100), Some(60))]);
    assert_eq!(
        changes(&json(tapctl(d, &moto).args(["preview", "--json"]))),
        [0, 0, 0, 0],
        "state and config agree after the shift"
    );

    let destroy = tapctl(d, &moto).args(["destroy", "--yes"]).output().unwrap();
    assert!(destroy.status.success(), "{}", String::from_utf8_lossy(&destroy.stderr));
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
    let dbs = rt.block_on(rds.describe_db_instances().send()).unwrap();
    assert!(dbs.db_instances().is_empty(), "{:?}", dbs.db_instances());
    let zones = rt.block_on(route53.list_hosted_zones().send()).unwrap();
    assert!(zones.hosted_zones().is_empty(), "{:?}", zones.hosted_zones());
    for client in [
        aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&config).force_path_style(true).build()),
        s3_west,
    ] {
        let buckets = rt.block_on(client.list_buckets().send()).unwrap();
        assert!(buckets.buckets().is_empty(), "{:?}", buckets.buckets());
    }
    let iam = aws_sdk_iam::Client::new(&config);
    let roles = rt.block_on(iam.list_roles().send()).unwrap();
    assert!(!roles.roles().iter().any(|r| r.role_name().starts_with("ec2bg-")), "{:?}", roles.roles());
    let profiles = rt.block_on(iam.list_instance_profiles().send()).unwrap();
    assert!(profiles.instance_profiles().is_empty(), "{:?}", profiles.instance_profiles());
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&config);
    let alarms = rt.block_on(cloudwatch.describe_alarms().alarm_name_prefix("ec2bg-").send()).unwrap();
    assert!(alarms.metric_alarms().is_empty());
    let sns = aws_sdk_sns::Client::new(&config);
    assert!(rt.block_on(sns.list_topics().send()).unwrap().topics().is_empty());
    // A KMS key is never deleted at once: it waits out its deletion window.
    let kms = aws_sdk_kms::Client::new(&config);
    let key = rt.block_on(kms.describe_key().key_id(outputs["kmsKeyId"].as_str().unwrap()).send()).unwrap();
    assert_eq!(key.key_metadata().and_then(|m| m.key_state()).map(|s| s.as_str()), Some("PendingDeletion"));
}
