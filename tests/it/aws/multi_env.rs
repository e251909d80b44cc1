//! The multi-environment program (seed 001) end to end against moto through
//! the `tapctl` binary: dev peered with a VPC made beforehand, a second
//! preview with no changes, the outputs file for CI/CD, a PR environment
//! created with `stack init` (no Route 53), and destroy leaving nothing.

use std::path::Path;

use aws_sdk_ec2::types::Filter;
use serde_json::Value as Json;

use super::flagship::tapctl;
use crate::common::succeed;
use crate::moto::Moto;

fn assert_no_changes(dir: &Path, moto: &Moto, stack: &str) {
    let out = succeed(tapctl(dir, moto).args(["--stack", stack, "preview", "--json"]));
    let plan: Json = serde_json::from_slice(&out.stdout).unwrap();
    for k in ["create", "update", "replace", "delete"] {
        assert_eq!(plan["changeSummary"][k], 0, "{stack} {k}: {plan}");
    }
}

#[test]
fn dev_and_a_pr_environment_up_noop_and_destroy() {
    let moto = Moto::start();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let config = rt.block_on(moto.sdk_config(super::REGION));
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let peer = rt.block_on(ec2.create_vpc().cidr_block("10.9.0.0/16").send()).unwrap();
    let peer_id = peer.vpc().and_then(|v| v.vpc_id()).unwrap().to_string();

    let dir = crate::common::project_from("projects/multi-env");
    let d = dir.path();
    succeed(tapctl(d, &moto).args(["config", "set", "tap:peerVpcId", &peer_id]));
    succeed(tapctl(d, &moto).args(["config", "set", "tap:peerVpcCidr", "10.9.0.0/16"]));
    succeed(tapctl(d, &moto).args(["up", "--yes"]));
    assert_no_changes(d, &moto, "dev");

    let outputs: Json = serde_json::from_str(&std::fs::read_to_string(d.join("outputs/dev.json")).unwrap()).unwrap();
    assert_eq!(outputs["appDomain"], "app.dev.tap.example.com", "{outputs}");
    assert_eq!(outputs["isPrEnvironment"], false);
    for key in ["vpcId", "albDnsName", "dbEndpoint", "artifactsBucketName", "hostedZoneId", "peeringConnectionId"] {
        assert!(outputs[key].as_str().is_some_and(|v| !v.is_empty()), "{key}: {outputs}");
    }
    let route53 = aws_sdk_route53::Client::new(&config);
    let zones = rt.block_on(route53.list_hosted_zones().send()).unwrap();
    assert!(zones.hosted_zones().iter().any(|z| z.name() == "dev.tap.example.com."), "{:?}", zones.hosted_zones());
    let pcx = rt.block_on(
        ec2.describe_vpc_peering_connections()
            .vpc_peering_connection_ids(outputs["peeringConnectionId"].as_str().unwrap())
            .send(),
    );
    let status = pcx.unwrap().vpc_peering_connections()[0].status().and_then(|s| s.code().cloned());
    assert_eq!(status, Some(aws_sdk_ec2::types::VpcPeeringConnectionStateReasonCode::Active));
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&config).force_path_style(true).build());
    let bucket = outputs["artifactsBucketName"].as_str().unwrap();
    let rules = rt.block_on(s3.get_bucket_lifecycle_configuration().bucket(bucket).send()).unwrap();
    assert_eq!(rules.rules().len(), 1);

    // A pull request's environment: created on the fly, no DNS zone.
    succeed(tapctl(d, &moto).args(["--stack", "pr-7", "stack", "init"]));
    succeed(tapctl(d, &moto).args(["--stack", "pr-7", "config", "set", "aws:region", "us-east-1"]));
    succeed(tapctl(d, &moto).args(["--stack", "pr-7", "up", "--yes"]));
    assert_no_changes(d, &moto, "pr-7");
    let out = succeed(tapctl(d, &moto).args(["--stack", "pr-7", "stack", "output", "--json"]));
    let pr: Json = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(pr["hostedZoneId"], "N/A-PR-Environment");
    assert_eq!(pr["environmentSuffix"], "pr7");
    let zones = rt.block_on(route53.list_hosted_zones().send()).unwrap();
    assert_eq!(zones.hosted_zones().len(), 1, "the PR environment made no zone");

    succeed(tapctl(d, &moto).args(["--stack", "pr-7", "destroy", "--yes"]));
    succeed(tapctl(d, &moto).args(["destroy", "--yes"]));
    let tagged = Filter::builder().name("tag-key").values("tapctl:urn").build();
    let vpcs = rt.block_on(ec2.describe_vpcs().filters(tagged).send()).unwrap();
    assert!(vpcs.vpcs().is_empty(), "{:?}", vpcs.vpcs());
    assert!(rt.block_on(route53.list_hosted_zones().send()).unwrap().hosted_zones().is_empty());
    let buckets = rt.block_on(s3.list_buckets().send()).unwrap();
    assert!(buckets.buckets().is_empty(), "{:?}", buckets.buckets());
    let pcxs = rt.block_on(ec2.describe_vpc_peering_connections().send()).unwrap();
    assert!(
        pcxs.vpc_peering_connections().iter().all(|p| p.status().and_then(|s| s.code())
            != Some(&aws_sdk_ec2::types::VpcPeeringConnectionStateReasonCode::Active)),
        "{:?}",
        pcxs.vpc_peering_connections()
    );
}
