//! A Pulumi YAML program (`tests/yaml/webapp`) through the `tapctl` binary
//! against moto: up, a second preview with nothing to do, destroy, and the
//! SDK then finds nothing left.

use std::path::Path;

use super::crash::census;
use super::flagship::{changes, json, tapctl};
use crate::moto::Moto;

#[test]
fn a_yaml_program_goes_up_on_moto_and_destroy_leaves_nothing() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/yaml/webapp");
    for entry in std::fs::read_dir(example).unwrap().flatten() {
        std::fs::copy(entry.path(), d.join(entry.file_name())).unwrap();
    }
    let run = |args: &[&str]| {
        let mut cmd = tapctl(d, &moto);
        cmd.env("TAPCTL_CONFIG_PASSPHRASE", "yaml-on-moto").args(args);
        cmd
    };
    run(&["up", "--yes"]).assert().success();
    assert_eq!(changes(&json(&mut run(&["preview", "--json"]))), [0, 0, 0, 0], "a second preview has nothing to do");

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let config = rt.block_on(moto.sdk_config(super::REGION));
    let buckets = rt.block_on(aws_sdk_s3::Client::new(&config).list_buckets().send()).unwrap();
    let names: Vec<&str> = buckets.buckets().iter().filter_map(|b| b.name()).collect();
    assert!(
        names.iter().any(|n| n.len() == "assets-".len() + 7 && n.starts_with("assets-")),
        "auto-named as Pulumi names it: {names:?}"
    );
    let outputs = json(&mut run(&["stack", "output", "--json"]));
    assert!(outputs["vpcId"].as_str().is_some_and(|v| v.starts_with("vpc-")), "{outputs}");

    run(&["destroy", "--yes"]).assert().success();
    let left = rt.block_on(census(&config));
    assert!(left.values().all(|&n| n == 0), "destroy leaves nothing: {left:?}");
    // What the census does not count: the bucket, role, log group, parameter.
    let buckets = rt.block_on(aws_sdk_s3::Client::new(&config).list_buckets().send()).unwrap();
    assert!(buckets.buckets().is_empty(), "{:?}", buckets.buckets());
    let roles = rt.block_on(aws_sdk_iam::Client::new(&config).list_roles().send()).unwrap();
    assert!(!roles.roles().iter().any(|r| r.role_name().starts_with("role-")), "{:?}", roles.roles());
    let logs = rt.block_on(aws_sdk_cloudwatchlogs::Client::new(&config).describe_log_groups().send()).unwrap();
    assert!(logs.log_groups().is_empty(), "{:?}", logs.log_groups());
    let params = rt.block_on(aws_sdk_ssm::Client::new(&config).describe_parameters().send()).unwrap();
    assert!(params.parameters().is_empty(), "{:?}", params.parameters());
}
