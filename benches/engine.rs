//! Engine benchmarks: the real planner, executor, state backend and journal on
//! the in-memory cloud. One line per scenario, in a fixed form scripts can
//! compare:
//!
//! `BENCH scenario=<name> resources=<n> parallel=<p> wall_ms=<x> critical_path_ms=<y> ratio=<x/y> persist_bytes=<b> peak_rss_mb=<m>`
//!
//! Run with `cargo bench --bench engine` (release build). `BENCH_QUICK=1`
//! skips the 10,000-resource scenarios.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tapctl::engine::{Engine, RunOptions};
use tapctl::model::{Program, PropertyMap, ResourceOptions, Value};
use tapctl::provider::memory::MemoryCloud;
use tapctl::stack::Stack;
use tapctl::state::{LocalBackend, Mutation, Persister};

/// Peak resident memory so far, in MB (VmHWM).
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_string))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Resets the peak so each scenario reports its own.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn line(scenario: &str, resources: usize, parallel: usize, wall: Duration, critical_ms: f64, bytes: u64) {
    let wall_ms = wall.as_secs_f64() * 1000.0;
    let ratio = if critical_ms > 0.0 { wall_ms / critical_ms } else { 0.0 };
    println!(
        "BENCH scenario={scenario} resources={resources} parallel={parallel} wall_ms={wall_ms:.3} critical_path_ms={critical_ms:.0} ratio={ratio:.3} persist_bytes={bytes} peak_rss_mb={:.1}",
        peak_rss_mb()
    );
}

/// A layered DAG of `n` VPC resources: each layer's resources reference up to
/// `fan_in` resources of the previous layer (through tags, so the in-memory
/// cloud enforces deletion order).
fn layered(n: usize, width: usize, fan_in: usize) -> Program {
    let mut p = Program::new("bench", "bench", PropertyMap::from([("region".to_string(), Value::from("us-east-1"))]));
    let root = p.root();
    let mut previous: Vec<tapctl::Resource> = Vec::new();
    let mut current = Vec::new();
    for i in 0..n {
        let mut tags: Vec<(String, Value)> = vec![("Name".into(), Value::from(format!("r{i}")))];
        for j in 0..fan_in.min(previous.len()) {
            let dep = &previous[(i * 7 + j * 13) % previous.len()];
            tags.push((format!("dep{j}"), dep.id()));
        }
        let inputs = PropertyMap::from([
            ("cidrBlock".to_string(), Value::from("10.0.0.0/16")),
            ("tags".to_string(), Value::object(tags)),
        ]);
        let r = p.resource(&root, "aws:ec2/vpc:Vpc", &format!("r{i}"), inputs, ResourceOptions::default()).unwrap();
        current.push(r);
        if current.len() == width {
            previous = std::mem::take(&mut current);
        }
    }
    p
}

fn dir_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir).map_or(0, |d| d.flatten().filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum())
}

fn yes(_: &tapctl::Plan) -> bool {
    true
}

/// Persisting one step: the journal append (with its fsync) of one resource
/// record, with `n` resources already in state.
async fn persist_step(n: usize) {
    let dir = tempfile::tempdir().unwrap();
    let cloud = Arc::new(MemoryCloud::new());
    let engine = Engine::new(Arc::new(cloud));
    let stack = Stack::new(LocalBackend::new(dir.path()), "bench", None, None);
    let program = layered(n, 100, 2);
    stack.up(&engine, &program, &RunOptions { parallel: 64, ..RunOptions::default() }, yes).await.unwrap();
    let backend = LocalBackend::new(dir.path());
    let snapshot = backend.load("bench", None).unwrap().snapshot;
    let locked = backend.lock("bench", "bench").unwrap();
    let persister = Persister::new(snapshot.clone(), backend.open_journal(&locked).unwrap(), None);
    let record =
        snapshot.resources.iter().find(|r| r.custom && r.urn.type_token() == "aws:ec2/vpc:Vpc").unwrap().clone();
    let steps = 200;
    reset_peak_rss();
    let start = Instant::now();
    for _ in 0..steps {
        persister.record(Mutation::Upsert(record.clone())).await.unwrap();
    }
    let wall = start.elapsed() / steps;
    drop(persister);
    let bytes = std::fs::metadata(dir.path().join("bench.journal")).map_or(0, |m| m.len()) / steps as u64;
    line("persist_one_step", n, 1, wall, 0.0, bytes);
}

/// Zero-latency runs: pure engine cost of up from empty, no-op preview, no-op
/// up and destroy.
async fn zero_latency(n: usize) {
    let dir = tempfile::tempdir().unwrap();
    let cloud = Arc::new(MemoryCloud::new());
    let engine = Engine::new(Arc::new(cloud.clone()));
    let stack = Stack::new(LocalBackend::new(dir.path()), "bench", None, None);
    let program = layered(n, (n / 10).max(1), 3);
    let parallel = tapctl::engine::default_parallelism();
    let opts = RunOptions { parallel, ..RunOptions::default() };

    reset_peak_rss();
    let start = Instant::now();
    let out = stack.up(&engine, &program, &opts, yes).await.unwrap();
    assert!(out.summary.succeeded());
    line("up_from_empty", n, parallel, start.elapsed(), 0.0, dir_bytes(dir.path()));

    reset_peak_rss();
    let start = Instant::now();
    let plan = stack.preview(&engine, &program, &[]).await.unwrap();
    assert!(!plan.summary().has_changes());
    line("noop_preview", n, parallel, start.elapsed(), 0.0, 0);

    reset_peak_rss();
    let start = Instant::now();
    stack.up(&engine, &program, &opts, yes).await.unwrap();
    line("noop_up", n, parallel, start.elapsed(), 0.0, dir_bytes(dir.path()));

    reset_peak_rss();
    let start = Instant::now();
    let out = stack.destroy(&engine, &opts, yes).await.unwrap();
    assert!(out.summary.succeeded());
    assert!(cloud.objects().is_empty());
    line("destroy", n, parallel, start.elapsed(), 0.0, dir_bytes(dir.path()));
}

fn main() {
    let quick = std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1");
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let sizes: &[usize] = if quick { &[100, 1_000] } else { &[100, 1_000, 10_000] };
    rt.block_on(async {
        for &n in &[10, 10_000] {
            persist_step(n).await;
        }
        for &n in sizes {
            zero_latency(n).await;
        }
    });
}
