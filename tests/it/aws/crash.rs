//! The crash test: start `tapctl up --yes` of the flagship stack against
//! moto, kill -9 it at a seeded random moment, run `up` again, and check with
//! the SDK that every logical resource exists exactly once; then `destroy`
//! must leave nothing. `TAPCTL_CRASH_TRIALS` (default 20) and
//! `TAPCTL_CRASH_SEED` make it longer or reproduce one run.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use aws_sdk_ec2::types::Filter;
use rand::{Rng, SeedableRng};

use super::flagship::tapctl;
use crate::common::project;
use crate::moto::Moto;

/// How many of each kind the cloud holds, counted through the SDK (only
/// resources this stack could have made: tagged with a URN or named `tap-…`).
pub(super) async fn census(config: &aws_config::SdkConfig) -> BTreeMap<&'static str, usize> {
    let ec2 = aws_sdk_ec2::Client::new(config);
    let tagged = || Filter::builder().name("tag-key").values("tapctl:urn").build();
    let mut n = BTreeMap::new();
    n.insert("vpc", ec2.describe_vpcs().filters(tagged()).send().await.unwrap().vpcs().len());
    n.insert("subnet", ec2.describe_subnets().filters(tagged()).send().await.unwrap().subnets().len());
    n.insert("igw", ec2.describe_internet_gateways().filters(tagged()).send().await.unwrap().internet_gateways().len());
    let nats = ec2.describe_nat_gateways().filter(tagged()).send().await.unwrap();
    n.insert(
        "nat",
        nats.nat_gateways()
            .iter()
            .filter(|g| {
                !matches!(
                    g.state(),
                    Some(aws_sdk_ec2::types::NatGatewayState::Deleted | aws_sdk_ec2::types::NatGatewayState::Deleting)
                )
            })
            .count(),
    );
    n.insert("eip", ec2.describe_addresses().filters(tagged()).send().await.unwrap().addresses().len());
    n.insert("route-table", ec2.describe_route_tables().filters(tagged()).send().await.unwrap().route_tables().len());
    n.insert(
        "security-group",
        ec2.describe_security_groups().filters(tagged()).send().await.unwrap().security_groups().len(),
    );
    let rds = aws_sdk_rds::Client::new(config);
    n.insert("rds-cluster", rds.describe_db_clusters().send().await.unwrap().db_clusters().len());
    n.insert("rds-instance", rds.describe_db_instances().send().await.unwrap().db_instances().len());
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(config);
    n.insert("load-balancer", elb.describe_load_balancers().send().await.unwrap().load_balancers().len());
    n.insert("target-group", elb.describe_target_groups().send().await.unwrap().target_groups().len());
    let ecs = aws_sdk_ecs::Client::new(config);
    // Deleted clusters stay listed as INACTIVE (moto and ECS alike).
    let arns = ecs.list_clusters().send().await.unwrap().cluster_arns().to_vec();
    let described = ecs.describe_clusters().set_clusters(Some(arns)).send().await.unwrap();
    let active: Vec<&str> =
        described.clusters().iter().filter(|c| c.status() == Some("ACTIVE")).filter_map(|c| c.cluster_arn()).collect();
    n.insert("ecs-cluster", active.len());
    let mut services = 0;
    for c in active {
        let listed = ecs.list_services().cluster(c).send().await.unwrap().service_arns().to_vec();
        if !listed.is_empty() {
            let described = ecs.describe_services().cluster(c).set_services(Some(listed)).send().await.unwrap();
            services += described.services().iter().filter(|s| s.status() == Some("ACTIVE")).count();
        }
    }
    n.insert("ecs-service", services);
    let iam = aws_sdk_iam::Client::new(config);
    n.insert(
        "iam-role",
        iam.list_roles().send().await.unwrap().roles().iter().filter(|r| r.role_name().starts_with("tap-")).count(),
    );
    let cw = aws_sdk_cloudwatch::Client::new(config);
    n.insert("alarm", cw.describe_alarms().alarm_name_prefix("tap-").send().await.unwrap().metric_alarms().len());
    let sns = aws_sdk_sns::Client::new(config);
    n.insert("topic", sns.list_topics().send().await.unwrap().topics().len());
    let kms = aws_sdk_kms::Client::new(config);
    let mut keys = 0;
    for key in kms.list_keys().send().await.unwrap().keys() {
        let id = key.key_id().unwrap();
        let state =
            kms.describe_key().key_id(id).send().await.unwrap().key_metadata().and_then(|m| m.key_state().cloned());
        let tagged = kms
            .list_resource_tags()
            .key_id(id)
            .send()
            .await
            .unwrap()
            .tags()
            .iter()
            .any(|t| t.tag_key() == "tapctl:urn");
        if tagged && state != Some(aws_sdk_kms::types::KeyState::PendingDeletion) {
            keys += 1;
        }
    }
    n.insert("kms-key", keys);
    let logs = aws_sdk_cloudwatchlogs::Client::new(config);
    n.insert(
        "log-group",
        logs.describe_log_groups().log_group_name_prefix("/ecs/tap").send().await.unwrap().log_groups().len(),
    );
    n
}

/// What the journal says was in flight: `op token` of each `begin` without an end.
fn in_flight(journal: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(journal).unwrap_or_default();
    let mut open: BTreeMap<String, String> = BTreeMap::new();
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        let urn = v["resource"]["urn"].as_str().or(v["urn"].as_str()).unwrap_or_default().to_string();
        match v["kind"].as_str() {
            Some("begin") => {
                open.insert(
                    urn,
                    format!("{} {}", v["op"].as_str().unwrap_or("?"), v["resource"]["type"].as_str().unwrap_or("?")),
                );
            }
            _ => {
                open.remove(&urn);
            }
        }
    }
    open.into_values().collect()
}

#[test]
fn killed_runs_converge_with_no_duplicate_no_orphan() {
    let trials: usize = std::env::var("TAPCTL_CRASH_TRIALS").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    let seed: u64 = std::env::var("TAPCTL_CRASH_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(20_261_123);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let moto = Moto::start();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let config = rt.block_on(moto.sdk_config(super::REGION));

    // Calibrate: a full, uninterrupted run gives the kill window and the census.
    let dir = project();
    let started = Instant::now();
    tapctl(dir.path(), &moto).args(["up", "--yes"]).assert().success();
    let full = started.elapsed();
    let expected = rt.block_on(census(&config));
    tapctl(dir.path(), &moto).args(["destroy", "--yes"]).assert().success();
    assert!(rt.block_on(census(&config)).values().all(|&n| n == 0), "destroy leaves nothing");
    eprintln!("crash test: seed {seed}, {trials} trials, full up {:.1}s, census {expected:?}", full.as_secs_f64());

    let bin = assert_cmd::cargo::cargo_bin("tapctl");
    let mut hit: BTreeMap<String, usize> = BTreeMap::new();
    let mut adoptions = 0;
    for trial in 0..trials {
        moto.reset();
        let dir = project();
        let d = dir.path();
        let kill_after = Duration::from_secs_f64(rng.gen_range(0.05..1.0) * full.as_secs_f64());
        let mut child = std::process::Command::new(&bin)
            .arg("--cwd")
            .arg(d)
            .args(["--cloud", "aws", "up", "--yes"])
            .envs(moto.env())
            .env_remove("TAPCTL_CONFIG_PASSPHRASE")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(kill_after);
        let _ = child.kill(); // SIGKILL: no cleanup of any kind
        let _ = child.wait();
        let flying = in_flight(&d.join("state/dev.journal"));
        for f in &flying {
            *hit.entry(f.clone()).or_default() += 1;
        }

        let out = tapctl(d, &moto).args(["up", "--yes"]).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(
            out.status.success(),
            "trial {trial} (killed after {kill_after:?}, in flight {flying:?}): the second up failed:\n{stderr}"
        );
        adoptions += stderr.matches("adopted").count();
        let census_now = rt.block_on(census(&config));
        assert_eq!(
            census_now, expected,
            "trial {trial} (killed after {kill_after:?}, in flight {flying:?}): every resource exactly once\n{stderr}"
        );
        let plan = tapctl(d, &moto).args(["preview", "--json"]).output().unwrap();
        let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
        assert_eq!(plan["changeSummary"]["create"], 0, "trial {trial}: {plan}");

        tapctl(d, &moto).args(["destroy", "--yes"]).assert().success();
        assert!(rt.block_on(census(&config)).values().all(|&n| n == 0), "trial {trial}: destroy leaves nothing");
    }
    eprintln!("crash test: {trials} trials, kill points in flight: {hit:?}, adoptions: {adoptions}");
}
