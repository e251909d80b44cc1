//! The S3 state backend against moto's S3, through the `tapctl` binary: the
//! flagship stack's up / preview / destroy with `backend = "s3://…"`, two
//! runs racing for one stack, a run killed mid-way, and stacks moved between
//! the S3 and file backends with `stack export` / `stack import`.
//!
//! `TAPCTL_RACE_TRIALS` (default 3) sets how many races are run.
//!
//! moto gap met here: moto checks a conditional write's precondition and
//! stores the object in two steps, so two writers can both pass `If-None-Match`;
//! the backend reads its lock record back, which makes that race harmless
//! (on S3 the conditional write itself is atomic).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value as Json;

use super::crash::census;
use super::flagship::tapctl;
use crate::common::project;
use crate::common::succeed;
use crate::moto::Moto;

const BUCKET: &str = "tapctl-state";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

fn s3(rt: &tokio::runtime::Runtime, moto: &Moto) -> aws_sdk_s3::Client {
    let config = rt.block_on(moto.sdk_config(super::REGION));
    aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&config).force_path_style(true).build())
}

fn make_bucket(rt: &tokio::runtime::Runtime, moto: &Moto) {
    rt.block_on(s3(rt, moto).create_bucket().bucket(BUCKET).send()).expect("CreateBucket");
}

/// Keys in the state bucket under `prefix`.
fn keys(rt: &tokio::runtime::Runtime, moto: &Moto, prefix: &str) -> Vec<String> {
    let out = rt.block_on(s3(rt, moto).list_objects_v2().bucket(BUCKET).prefix(prefix).send()).unwrap();
    out.contents().iter().filter_map(|o| o.key().map(str::to_string)).collect()
}

/// The flagship project with its state in the bucket, under `prefix`.
fn s3_project(prefix: &str) -> tempfile::TempDir {
    let dir = project();
    let path = dir.path().join("deploy.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let backend = format!("backend = \"s3://{BUCKET}/{prefix}\"");
    let text = match text.lines().find(|l| l.starts_with("backend")) {
        Some(line) => text.replace(line, &backend),
        None => format!("{text}\n{backend}\n"),
    };
    std::fs::write(&path, text).unwrap();
    dir
}

fn planned_changes(dir: &Path, moto: &Moto) -> Json {
    let out = succeed(tapctl(dir, moto).args(["preview", "--json"]));
    serde_json::from_slice::<Json>(&out.stdout).unwrap()["changeSummary"].clone()
}

fn no_changes() -> Json {
    serde_json::json!({"create": 0, "update": 0, "replace": 0, "delete": 0, "same": null})
}

fn assert_no_changes(dir: &Path, moto: &Moto) {
    let summary = planned_changes(dir, moto);
    for k in ["create", "update", "replace", "delete"] {
        assert_eq!(summary[k], 0, "{k}: {summary} (expected {})", no_changes());
    }
}

#[test]
fn flagship_lives_in_s3_up_preview_destroy() {
    let moto = Moto::start();
    let rt = runtime();
    let dir = s3_project("team");
    let d = dir.path();

    // No bucket yet: a clear error, and nothing written anywhere.
    let out = tapctl(d, &moto).args(["up", "--yes"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("does not exist") && stderr.contains(BUCKET), "{stderr}");
    assert!(!d.join("state").exists(), "the S3 backend writes no local state");

    make_bucket(&rt, &moto);
    succeed(tapctl(d, &moto).args(["up", "--yes"]));
    assert_eq!(keys(&rt, &moto, "team/"), vec!["team/dev.json".to_string()], "checkpoint only: journal and lock gone");
    assert!(!d.join("state/dev.json").exists(), "the S3 backend writes no local state");
    assert_no_changes(d, &moto);

    let listed = succeed(tapctl(d, &moto).args(["stack", "ls"]));
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.lines().any(|l| l.contains("dev") && l.contains("82")), "{listed}");

    // A change compacts again: the previous checkpoint goes to the history.
    succeed(tapctl(d, &moto).args(["config", "set", "tap:blueWeight", "90"]));
    succeed(tapctl(d, &moto).args(["config", "set", "tap:greenWeight", "10"]));
    succeed(tapctl(d, &moto).args(["up", "--yes"]));
    let history = keys(&rt, &moto, "team/dev.history/");
    assert!(!history.is_empty(), "previous checkpoints kept: {:?}", keys(&rt, &moto, "team/"));

    succeed(tapctl(d, &moto).args(["destroy", "--yes"]));
    let config = rt.block_on(moto.sdk_config(super::REGION));
    let left = rt.block_on(census(&config));
    assert!(left.values().all(|&n| n == 0), "destroy leaves nothing: {left:?}");
}

#[test]
fn racing_ups_one_wins_the_other_fails_clearly_nothing_lost() {
    let trials: usize = std::env::var("TAPCTL_RACE_TRIALS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    let moto = Moto::start();
    let rt = runtime();
    let config = rt.block_on(moto.sdk_config(super::REGION));
    let bin = assert_cmd::cargo::cargo_bin("tapctl");
    for trial in 0..trials {
        moto.reset();
        make_bucket(&rt, &moto);
        // Two engineers' clones of the project, one stack in one bucket.
        let (a, b) = (s3_project("race"), s3_project("race"));
        let spawn = |dir: &Path| {
            Command::new(&bin)
                .arg("--cwd")
                .arg(dir)
                .args(["--cloud", "aws", "up", "--yes"])
                .envs(moto.env())
                .env_remove("TAPCTL_CONFIG_PASSPHRASE")
                .env_remove("TAPCTL_BACKEND")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (first, second) = (spawn(a.path()), spawn(b.path()));
        let outs = [first.wait_with_output().unwrap(), second.wait_with_output().unwrap()];
        let won: Vec<usize> = (0..2).filter(|&i| outs[i].status.success()).collect();
        assert_eq!(won.len(), 1, "trial {trial}: exactly one run wins: {:?}", outs.map(|o| o.status));
        let loser = String::from_utf8_lossy(&outs[1 - won[0]].stderr);
        assert!(loser.contains("is locked by") && loser.contains("tapctl up"), "trial {trial}: {loser}");

        let winner = if won[0] == 0 { a.path() } else { b.path() };
        let loser_dir = if won[0] == 0 { b.path() } else { a.path() };
        let counts = rt.block_on(census(&config));
        assert_eq!(counts["vpc"], 1, "trial {trial}: {counts:?}");
        // Both clones see the one state: nothing to do from either side.
        assert_no_changes(winner, &moto);
        assert_no_changes(loser_dir, &moto);
        assert!(!keys(&rt, &moto, "race/").iter().any(|k| k.ends_with(".lock")), "trial {trial}: lock released");
        succeed(tapctl(loser_dir, &moto).args(["destroy", "--yes"]));
        assert!(rt.block_on(census(&config)).values().all(|&n| n == 0), "trial {trial}: destroy leaves nothing");
    }
    eprintln!("race test: {trials} trials, one winner each, nothing lost");
}

#[test]
fn a_run_killed_on_s3_is_recovered_by_the_next() {
    let moto = Moto::start();
    let rt = runtime();
    let config = rt.block_on(moto.sdk_config(super::REGION));
    make_bucket(&rt, &moto);
    let dir = s3_project("crash");
    let d = dir.path();
    let bin = assert_cmd::cargo::cargo_bin("tapctl");
    let mut child = Command::new(&bin)
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
    // Wait until the run has journalled some steps, then kill it.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while keys(&rt, &moto, "crash/dev.journal/").len() < 3 {
        assert!(std::time::Instant::now() < deadline, "no journal objects appeared");
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill(); // SIGKILL: no cleanup of any kind
    let _ = child.wait();
    assert!(keys(&rt, &moto, "crash/").iter().any(|k| k.ends_with("dev.lock")), "the dead run's lock is left");

    let out = succeed(tapctl(d, &moto).args(["up", "--yes"]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("died holding the lock") && stderr.contains("recovered"), "{stderr}");
    let counts = rt.block_on(census(&config));
    assert_eq!((counts["vpc"], counts["load-balancer"], counts["rds-cluster"]), (1, 1, 1), "{counts:?}");
    assert_no_changes(d, &moto);
    succeed(tapctl(d, &moto).args(["destroy", "--yes"]));
    assert!(rt.block_on(census(&config)).values().all(|&n| n == 0));
}

/// `stack export`'s resources, each as its JSON text.
fn exported_resources(dir: &Path, moto: &Moto, backend: &str) -> Vec<String> {
    let out = succeed(tapctl(dir, moto).args(["--backend", backend, "stack", "export"]));
    let d: Json = serde_json::from_slice(&out.stdout).unwrap();
    d["deployment"]["resources"].as_array().unwrap().iter().map(|r| r.to_string()).collect()
}

#[test]
fn stacks_move_between_s3_and_files_byte_for_byte() {
    let moto = Moto::start();
    let rt = runtime();
    make_bucket(&rt, &moto);
    let dir = project();
    let d = dir.path();
    let s3_url = format!("s3://{BUCKET}/moved");
    // The in-memory cloud: what is moved here is state, not resources.
    let memory = |args: &[&str]| {
        let mut cmd = crate::common::tapctl(d, "memory");
        cmd.envs(moto.env()).args(args);
        cmd
    };
    succeed(&mut memory(&["--backend", &s3_url, "up", "--yes"]));
    let from_s3 = exported_resources(d, &moto, &s3_url);
    assert_eq!(from_s3.len(), 82);

    let file = d.join("export.json");
    let out = succeed(&mut memory(&["--backend", &s3_url, "stack", "export"]));
    std::fs::write(&file, &out.stdout).unwrap();
    succeed(&mut memory(&["--backend", "file://elsewhere", "stack", "import", "export.json"]));
    assert_eq!(exported_resources(d, &moto, "file://elsewhere"), from_s3, "S3 → file keeps every byte");

    let out = succeed(&mut memory(&["--backend", "file://elsewhere", "stack", "export"]));
    std::fs::write(&file, &out.stdout).unwrap();
    let back = format!("s3://{BUCKET}/back?region=us-east-1");
    succeed(&mut memory(&["--backend", &back, "stack", "import", "export.json"]));
    assert_eq!(exported_resources(d, &moto, &back), from_s3, "file → S3 too");
}

#[test]
fn a_lock_from_another_host_blocks_until_cancel_clears_it() {
    let moto = Moto::start();
    let rt = runtime();
    make_bucket(&rt, &moto);
    let dir = project();
    let d = dir.path();
    let url = format!("s3://{BUCKET}/locks");
    let memory = |args: &[&str]| {
        let mut cmd = crate::common::tapctl(d, "memory");
        cmd.envs(moto.env()).arg("--backend").arg(&url).args(args);
        cmd
    };
    // A run on another machine holds the stack (or died there).
    let holder = r#"{"pid": 4242, "host": "ci-runner-7", "started": "2026-11-23T10:00:00Z", "command": "up"}"#;
    rt.block_on(
        s3(&rt, &moto).put_object().bucket(BUCKET).key("locks/dev.lock").body(holder.as_bytes().to_vec().into()).send(),
    )
    .unwrap();
    let out = memory(&["up", "--yes"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("is locked by") && stderr.contains("ci-runner-7") && stderr.contains("tapctl cancel"),
        "{stderr}"
    );
    assert_eq!(keys(&rt, &moto, "locks/"), vec!["locks/dev.lock".to_string()], "nothing else was written");

    let out = succeed(&mut memory(&["cancel"]));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ci-runner-7"));
    succeed(&mut memory(&["up", "--yes"]));
    assert_eq!(keys(&rt, &moto, "locks/"), vec!["locks/dev.json".to_string()]);
}

/// The lock record of a run on another host (`ci-runner-9`) that renews its
/// lease every `renew` seconds, holds it for `lease`, and whose clock says it
/// last renewed `age` seconds ago.
fn foreign_lock(age: i64, lease: u64, renew: u64) -> Vec<u8> {
    let renewed = (chrono::Utc::now() - chrono::Duration::seconds(age)).to_rfc3339();
    serde_json::json!({
        "pid": 4242, "host": "ci-runner-9", "started": renewed, "command": "up",
        "lease_seconds": lease, "renew_seconds": renew, "renewed": renewed
    })
    .to_string()
    .into_bytes()
}

fn put_lock(rt: &tokio::runtime::Runtime, moto: &Moto, key: &str, body: Vec<u8>) {
    rt.block_on(s3(rt, moto).put_object().bucket(BUCKET).key(key).body(body.into()).send()).unwrap();
}

fn lock_body(rt: &tokio::runtime::Runtime, moto: &Moto, key: &str) -> Option<Json> {
    let got = rt.block_on(s3(rt, moto).get_object().bucket(BUCKET).key(key).send()).ok()?;
    let bytes = rt.block_on(got.body.collect()).unwrap().to_vec();
    serde_json::from_slice(&bytes).ok()
}

#[test]
fn a_lock_whose_holder_stopped_renewing_is_taken_over_when_its_lease_runs_out() {
    let moto = Moto::start();
    let rt = runtime();
    make_bucket(&rt, &moto);
    let dir = project();
    let d = dir.path();
    let url = format!("s3://{BUCKET}/lease");
    // Killed on its host 3 s ago, with a 6 s lease: 3 s of it are left.
    put_lock(&rt, &moto, "lease/dev.lock", foreign_lock(3, 6, 1));
    let started = std::time::Instant::now();
    let mut up = crate::common::tapctl(d, "memory");
    let out = up.envs(moto.env()).args(["--backend", &url, "up", "--yes"]).output().unwrap();
    let waited = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("waiting up to") && stderr.contains("ci-runner-9"), "{stderr}");
    assert!(stderr.contains("lease ran out); taking over"), "{stderr}");
    assert!(waited >= Duration::from_secs(2), "it waited out the lease: {waited:?}");
    assert_eq!(keys(&rt, &moto, "lease/"), vec!["lease/dev.json".to_string()], "the lock is released after the run");
}

#[test]
fn a_lock_whose_holder_renews_is_never_taken_over() {
    let moto = Moto::start();
    let rt = runtime();
    make_bucket(&rt, &moto);
    let dir = project();
    let d = dir.path();
    let url = format!("s3://{BUCKET}/live");
    let up = || {
        let mut cmd = crate::common::tapctl(d, "memory");
        cmd.envs(moto.env()).args(["--backend", &url, "up", "--yes"]);
        cmd.output().unwrap()
    };
    // Renewed a moment ago: refused at once.
    put_lock(&rt, &moto, "live/dev.lock", foreign_lock(0, 4, 1));
    let out = up();
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("is locked by"));

    // A holder whose clock lags a minute behind, renewing every half second:
    // its record looks expired, but the watcher sees it change.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let renewer = {
        let (stop, client) = (stop.clone(), s3(&rt, &moto));
        std::thread::spawn(move || {
            let rt = runtime();
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let body = foreign_lock(60, 4, 1);
                rt.block_on(client.put_object().bucket(BUCKET).key("live/dev.lock").body(body.into()).send()).unwrap();
                std::thread::sleep(Duration::from_millis(500));
            }
        })
    };
    let out = up();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    renewer.join().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("waiting up to") && stderr.contains("is locked by"), "{stderr}");
    let holder = lock_body(&rt, &moto, "live/dev.lock").unwrap();
    assert_eq!(holder["host"], "ci-runner-9", "still the live holder's lock");
    assert!(!keys(&rt, &moto, "live/").contains(&"live/dev.json".to_string()), "nothing was written");
}

#[test]
fn a_held_lock_is_renewed_so_no_other_run_takes_it_over() {
    use tapctl::state::s3::S3Backend;
    use tapctl::state::Lease;
    let moto = Moto::start();
    let rt = runtime();
    make_bucket(&rt, &moto);
    let config = rt.block_on(moto.sdk_config(super::REGION));
    let lease = Lease { lease: Duration::from_secs(2), renew: Duration::from_secs(1) };
    let holder = S3Backend::with_config(&config, BUCKET, "held/", lease, 1).unwrap();
    let locked = holder.lock("dev", "up").unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..14 {
        let body = lock_body(&rt, &moto, "held/dev.lock").expect("held");
        seen.insert(body["renewed"].as_str().unwrap().to_string());
        std::thread::sleep(Duration::from_millis(250));
    }
    assert!(seen.len() >= 3, "renewed about every second for 3.5 s: {seen:?}");
    // Well past a lease since it was taken, yet renewed: never taken over.
    let other = S3Backend::with_config(&config, BUCKET, "held/", lease, 1).unwrap();
    let e = other.lock("dev", "up").unwrap_err().to_string();
    assert!(e.contains("is locked by"), "{e}");
    drop(locked);
    assert!(lock_body(&rt, &moto, "held/dev.lock").is_none(), "released on drop");
    drop(other.lock("dev", "up").unwrap());
}
