//! The flagship stack end to end against moto, through the `tapctl` binary:
//! up, a no-op preview, a weight change that is exactly one listener update,
//! a shift rolled back by an alarm forced into ALARM, destroy, and the SDK's
//! word that nothing is left.

use std::path::Path;
use std::time::Instant;

use assert_cmd::Command;
use serde_json::Value as Json;

use crate::common::project;
use crate::moto::Moto;

/// `tapctl --cloud aws` aimed at `moto` (loopback only).
pub fn tapctl(dir: &Path, moto: &Moto) -> Command {
    let mut cmd = crate::common::tapctl(dir, "aws");
    cmd.env_remove("AWS_PROFILE");
    for (k, v) in moto.env() {
        cmd.env(k, v);
    }
    cmd
}

pub(super) fn json(cmd: &mut Command) -> Json {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

pub(super) fn changes(plan: &Json) -> [u64; 4] {
    ["create", "update", "replace", "delete"].map(|k| plan["changeSummary"][k].as_u64().unwrap())
}

/// `up` through `tapctl` (its time printed under `what`), a second preview
/// that must change nothing, and the stack's outputs.
pub(super) fn up_then_no_changes(tapctl: impl Fn() -> Command, what: &str) -> Json {
    let started = Instant::now();
    crate::common::succeed(tapctl().args(["up", "--yes"]));
    eprintln!("{what} up against moto: {:.1}s", started.elapsed().as_secs_f64());
    assert_eq!(changes(&json(tapctl().args(["preview", "--json"]))), [0, 0, 0, 0], "a second preview changes nothing");
    json(tapctl().args(["stack", "output", "--json"]))
}

#[test]
fn flagship_up_noop_weights_shift_rollback_destroy() {
    let moto = Moto::start();
    let dir = project();
    let d = dir.path();

    let outputs = up_then_no_changes(|| tapctl(d, &moto), "flagship");
    for key in [
        "vpcId",
        "albDnsName",
        "listenerArn",
        "blueTargetGroupArn",
        "greenTargetGroupArn",
        "clusterName",
        "dbEndpoint",
        "dbSecretArn",
        "snsTopicArn",
        "dashboardName",
    ] {
        assert!(outputs[key].as_str().is_some_and(|v| !v.is_empty()), "output {key} missing: {outputs}");
    }

    // Weights: exactly one update, of the listener.
    tapctl(d, &moto).args(["config", "set", "tap:blueWeight", "90"]).assert().success();
    tapctl(d, &moto).args(["config", "set", "tap:greenWeight", "10"]).assert().success();
    let plan = json(tapctl(d, &moto).args(["preview", "--json"]));
    assert_eq!(changes(&plan), [0, 1, 0, 0], "{plan}");
    let step = plan["steps"].as_array().unwrap().iter().find(|s| s["op"] == "update").unwrap();
    assert_eq!(step["type"], "aws:lb/listener:Listener");
    tapctl(d, &moto).args(["up", "--yes"]).assert().success();

    // A shift while the 5xx alarm is firing rolls back to 90/10.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let config = rt.block_on(moto.sdk_config(super::REGION));
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&config);
    rt.block_on(
        cloudwatch
            .set_alarm_state()
            .alarm_name("tap-dev-alb-5xx-dev")
            .state_value(aws_sdk_cloudwatch::types::StateValue::Alarm)
            .state_reason("test: forced")
            .send(),
    )
    .expect("SetAlarmState");
    let shift =
        tapctl(d, &moto).args(["shift", "--to", "green", "--steps", "50,100", "--interval", "1s"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&shift.stderr);
    assert!(!shift.status.success(), "the shift must fail: {stderr}");
    assert!(
        stderr.contains("rolled back to blue 90% / green 10%") && stderr.contains("tap-dev-alb-5xx-dev"),
        "{stderr}"
    );
    let stack_file = std::fs::read_to_string(d.join("stacks/dev.toml")).unwrap();
    assert!(stack_file.contains("\"tap:greenWeight\" = 10"), "{stack_file}");
    assert_eq!(
        changes(&json(tapctl(d, &moto).args(["preview", "--json"]))),
        [0, 0, 0, 0],
        "state and config agree after the rollback"
    );

    tapctl(d, &moto).args(["destroy", "--yes"]).assert().success();
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let vpcs = rt
        .block_on(
            ec2.describe_vpcs()
                .filters(aws_sdk_ec2::types::Filter::builder().name("tag-key").values("tapctl:urn").build())
                .send(),
        )
        .unwrap();
    assert!(vpcs.vpcs().is_empty(), "{:?}", vpcs.vpcs());
    let rds = aws_sdk_rds::Client::new(&config);
    let clusters = rt.block_on(rds.describe_db_clusters().send()).unwrap();
    assert!(clusters.db_clusters().is_empty(), "{:?}", clusters.db_clusters());
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&config);
    let lbs = rt.block_on(elb.describe_load_balancers().send()).unwrap();
    assert!(lbs.load_balancers().is_empty());
    let tgs = rt.block_on(elb.describe_target_groups().send()).unwrap();
    assert!(tgs.target_groups().is_empty());
    let ecs = aws_sdk_ecs::Client::new(&config);
    // moto keeps deleted clusters listed as INACTIVE, as ECS does for a while.
    let arns = rt.block_on(ecs.list_clusters().send()).unwrap().cluster_arns().to_vec();
    let described = rt.block_on(ecs.describe_clusters().set_clusters(Some(arns)).send()).unwrap();
    assert!(!described.clusters().iter().any(|c| c.status() == Some("ACTIVE")), "{:?}", described.clusters());
    let tagged = |name: &str| aws_sdk_ec2::types::Filter::builder().name(name).values("tapctl:urn").build();
    let groups = rt.block_on(ec2.describe_security_groups().filters(tagged("tag-key")).send()).unwrap();
    assert!(groups.security_groups().is_empty(), "{:?}", groups.security_groups());
    let iam = aws_sdk_iam::Client::new(&config);
    let roles = rt.block_on(iam.list_roles().send()).unwrap();
    assert!(!roles.roles().iter().any(|r| r.role_name().starts_with("tap-")), "{:?}", roles.roles());
    let alarms = rt.block_on(cloudwatch.describe_alarms().alarm_name_prefix("tap-").send()).unwrap();
    assert!(alarms.metric_alarms().is_empty());
    let sns = aws_sdk_sns::Client::new(&config);
    let topics = rt.block_on(sns.list_topics().send()).unwrap();
    assert!(topics.topics().is_empty(), "{:?}", topics.topics());
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    let groups = rt.block_on(logs.describe_log_groups().log_group_name_prefix("/ecs/tap").send()).unwrap();
    assert!(groups.log_groups().is_empty());
}
