//! Engine benchmarks: the real planner, executor, state backend and journal on
//! the in-memory cloud. One line per scenario, in a fixed form scripts can
//! compare:
//!
//! `BENCH scenario=<name> resources=<n> parallel=<p> wall_ms=<x> critical_path_ms=<y> ratio=<x/y> persist_bytes=<b> peak_rss_mb=<m>`
//!
//! then one `TARGET …` line per goal with the measured figure and pass/fail.
//! Each scenario runs in a child process of this binary, and a scenario that
//! needs an existing stack has another child process build it first, so
//! `peak_rss_mb` is the measured operation's own peak. Run with `cargo bench --no-default-features
//! --bench engine`; `BENCH_QUICK=1` skips the 10,000-resource scenarios.
//!
//! Start-up: `BENCH scenario=startup_preview program=blue-green resources=82
//! runs=<n> median_ms=… min_ms=… max_ms=…` times `tapctl preview` of the
//! flagship on the in-memory cloud as a whole process, over an existing
//! stack, the way a user runs it.
//!
//! Latency model of the flagship scenario (a): each call sleeps its resource
//! kind's typical AWS duration scaled by 2 ms per real second (a 10-minute
//! Aurora cluster takes 1.2 s, a 2-minute NAT gateway 240 ms, a security
//! group rule 1 ms), with ±20 % jitter drawn from a seeded generator.

use std::collections::HashMap;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use tapctl::config::StackConfig;
use tapctl::engine::{default_parallelism, Engine, RunOptions};
use tapctl::graph::ResourceGraph;
use tapctl::model::{Program, PropertyMap, ResourceOptions, Value};
use tapctl::provider::memory::{Latency, MemoryCloud, Op};
use tapctl::stack::Stack;
use tapctl::state::{LocalBackend, Mutation, Persister};

/// Peak resident memory of this process, in MB (VmHWM).
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_string))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        .map_or(0.0, |kb| kb / 1024.0)
}

fn line(scenario: &str, resources: usize, parallel: usize, wall: Duration, critical_ms: f64, bytes: u64) {
    let wall_ms = wall.as_secs_f64() * 1000.0;
    let ratio = if critical_ms > 0.0 { wall_ms / critical_ms } else { 0.0 };
    println!(
        "BENCH scenario={scenario} resources={resources} parallel={parallel} wall_ms={wall_ms:.3} critical_path_ms={critical_ms:.0} ratio={ratio:.3} persist_bytes={bytes} peak_rss_mb={:.1}",
        peak_rss_mb()
    );
}

/// A layered DAG of `n` VPCs: each resource of a layer references up to
/// `fan_in` resources of the layer before (through tags, so the in-memory
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
        current
            .push(p.resource(&root, "aws:ec2/vpc:Vpc", &format!("r{i}"), inputs, ResourceOptions::default()).unwrap());
        if current.len() == width {
            previous = std::mem::take(&mut current);
        }
    }
    p
}

/// The flagship program (prod sizing: two DB instances, monitoring).
fn flagship() -> Program {
    let config = StackConfig::new(
        [
            ("aws:region", Value::from("us-east-1")),
            ("tap:environment", Value::from("prod")),
            ("tap:deletionProtection", Value::from(false)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
    );
    let zones = vec!["us-east-1a".into(), "us-east-1b".into(), "us-east-1c".into()];
    let ctx = tapctl::programs::ProgramContext {
        project: "tap",
        stack: "prod",
        config: &config,
        availability_zones: zones,
        environment_suffix: None,
        aws_region: None,
        account_id: Some("123456789012".into()),
    };
    tapctl::programs::build("blue-green", &ctx).unwrap().program
}

/// Typical AWS create time of a kind, in real seconds.
fn typical_seconds(token: &str) -> f64 {
    match token {
        "aws:rds/cluster:Cluster" => 600.0,
        "aws:rds/clusterInstance:ClusterInstance" => 480.0,
        "aws:lb/loadBalancer:LoadBalancer" => 180.0,
        "aws:ec2/natGateway:NatGateway" => 120.0,
        "aws:ecs/service:Service" => 30.0,
        "aws:ecs/cluster:Cluster" => 5.0,
        "aws:ec2/vpc:Vpc" | "aws:ec2/securityGroup:SecurityGroup" => 3.0,
        "aws:ec2/subnet:Subnet"
        | "aws:ec2/internetGateway:InternetGateway"
        | "aws:iam/role:Role"
        | "aws:lb/targetGroup:TargetGroup"
        | "aws:lb/listener:Listener" => 2.0,
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
        | "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule" => 0.5,
        _ => 1.0,
    }
}

/// Seeded per-resource latencies for the flagship scenario, by URN.
fn flagship_latencies(program: &Program) -> HashMap<String, Duration> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(20_261_123);
    program
        .resources()
        .iter()
        .filter(|r| r.custom && !r.is_provider())
        .map(|r| {
            let jitter: f64 = rng.gen_range(0.8..1.2);
            (r.urn.to_string(), Duration::from_secs_f64(typical_seconds(r.type_token()) * 0.002 * jitter))
        })
        .collect()
}

fn critical_path_ms(program: &Program, latency: &dyn Fn(&str) -> Duration) -> f64 {
    let graph = ResourceGraph::from_program(program).unwrap();
    graph.longest_path(|u| latency(u.as_str()).as_micros() as u64) as f64 / 1000.0
}

fn dir_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir).map_or(0, |d| d.flatten().filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum())
}

fn yes(_: &tapctl::Plan) -> bool {
    true
}

fn new_stack(dir: &std::path::Path) -> Stack {
    Stack::new(LocalBackend::new(dir), "bench", None, None)
}

/// Persisting one step: the fsync'd journal append of one resource record
/// with `n` resources already in state.
async fn persist_step(n: usize) {
    let dir = setup_in_child(n);
    let backend = LocalBackend::new(dir.path());
    let snapshot = backend.load("bench", None).unwrap().snapshot;
    let locked = backend.lock("bench", "bench").unwrap();
    let persister = Persister::new(snapshot.clone(), backend.open_journal(&locked).unwrap(), None);
    let record = snapshot.resources.iter().find(|r| r.custom && r.type_token() == "aws:ec2/vpc:Vpc").unwrap().clone();
    let steps = 200u32;
    let start = Instant::now();
    for _ in 0..steps {
        persister.record(Mutation::Upsert(record.clone())).await.unwrap();
    }
    let wall = start.elapsed() / steps;
    drop(persister);
    let bytes = std::fs::metadata(dir.path().join("bench.journal")).map_or(0, |m| m.len()) / u64::from(steps);
    line("persist_one_step", n, 1, wall, 0.0, bytes);
}

/// The zero-latency scenarios' stack of `n` resources.
fn zero_latency_program(n: usize) -> Program {
    layered(n, (n / 10).max(1), 3)
}

/// Runs `up` of the `n`-resource stack into `dir` (state and a saved cloud).
/// Runs in its own process, so the measured operation's peak memory is its
/// own, not the setup's.
async fn setup(n: usize, dir: &std::path::Path) {
    let cloud = Arc::new(MemoryCloud::new());
    let engine = Engine::new(Arc::new(cloud.clone()));
    let opts = RunOptions { parallel: default_parallelism(), ..RunOptions::default() };
    new_stack(dir).up(&engine, &zero_latency_program(n), &opts, yes).await.unwrap();
    cloud.save_to(&dir.join(CLOUD_FILE)).unwrap();
}

const CLOUD_FILE: &str = "bench.memory-cloud.json";

/// A directory holding the `n`-resource stack, made by a child process.
fn setup_in_child(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new(std::env::current_exe().unwrap())
        .args(["--setup", &n.to_string()])
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(status.success(), "setup of {n} resources failed");
    dir
}

/// Zero latency: the engine's own cost for one operation on `n` resources.
async fn zero_latency(op: &str, n: usize) {
    let dir = if op == "up_from_empty" { tempfile::tempdir().unwrap() } else { setup_in_child(n) };
    let cloud = Arc::new(MemoryCloud::load(&dir.path().join(CLOUD_FILE)).unwrap());
    let _ = std::fs::remove_file(dir.path().join(CLOUD_FILE));
    let engine = Engine::new(Arc::new(cloud.clone()));
    let stack = new_stack(dir.path());
    let program = zero_latency_program(n);
    let parallel = default_parallelism();
    let opts = RunOptions { parallel, ..RunOptions::default() };
    let start = Instant::now();
    match op {
        "up_from_empty" | "noop_up" => {
            let out = stack.up(&engine, &program, &opts, yes).await.unwrap();
            assert!(out.summary.succeeded());
        }
        "noop_preview" => assert!(!stack.preview(&engine, &program, &[]).await.unwrap().summary().has_changes()),
        "destroy" => {
            assert!(stack.destroy(&engine, &opts, yes).await.unwrap().summary.succeeded());
            assert!(cloud.objects().is_empty());
        }
        other => panic!("unknown operation {other}"),
    }
    line(op, n, parallel, start.elapsed(), 0.0, dir_bytes(dir.path()));
}

/// `up` from empty with latency: how close the run gets to the critical path.
async fn with_latency(scenario: &str, program: Program, latencies: HashMap<String, Duration>, parallel: usize) {
    let dir = tempfile::tempdir().unwrap();
    let latencies = Arc::new(latencies);
    let lookup = latencies.clone();
    let cloud = MemoryCloud::new().with_latency(Latency::Custom(Arc::new(move |ctx, op| {
        if op == Op::Create {
            lookup.get(ctx.urn.as_str()).copied().unwrap_or_default()
        } else {
            Duration::ZERO
        }
    })));
    let engine = Engine::new(Arc::new(Arc::new(cloud)));
    let critical = critical_path_ms(&program, &|u| latencies.get(u).copied().unwrap_or_default());
    let start = Instant::now();
    let out = new_stack(dir.path())
        .up(&engine, &program, &RunOptions { parallel, ..RunOptions::default() }, yes)
        .await
        .unwrap();
    assert!(out.summary.succeeded());
    line(scenario, program.resources().len(), parallel, start.elapsed(), critical, dir_bytes(dir.path()));
}

async fn run_scenario(name: &str) {
    let (kind, rest) = name.split_once(':').unwrap_or((name, ""));
    let arg = |i: usize| rest.split(':').nth(i).and_then(|s| s.parse::<usize>().ok()).unwrap_or(0);
    match kind {
        "persist_one_step" => persist_step(arg(0)).await,
        "flagship" => {
            let program = flagship();
            let latencies = flagship_latencies(&program);
            let parallel = if arg(0) == 0 { default_parallelism() } else { arg(0) };
            with_latency("flagship_up", program, latencies, parallel).await
        }
        "layered" => {
            let (n, width) = (arg(0), arg(1));
            let program = layered(n, width, 3);
            let latencies = program
                .resources()
                .iter()
                .filter(|r| r.custom && !r.is_provider())
                .map(|r| (r.urn.to_string(), Duration::from_millis(20)))
                .collect();
            let parallel = if arg(2) == 0 { width } else { arg(2) };
            with_latency("layered_up_20ms", program, latencies, parallel).await
        }
        op => zero_latency(op, arg(0)).await,
    }
}

struct Measured {
    scenario: String,
    resources: usize,
    parallel: usize,
    wall_ms: f64,
    ratio: f64,
    bytes: f64,
    rss: f64,
}

fn parse(line: &str) -> Option<Measured> {
    let field = |k: &str| line.split_whitespace().find_map(|f| f.strip_prefix(&format!("{k}=")).map(str::to_string));
    Some(Measured {
        scenario: field("scenario")?,
        resources: field("resources")?.parse().ok()?,
        parallel: field("parallel")?.parse().ok()?,
        wall_ms: field("wall_ms")?.parse().ok()?,
        ratio: field("ratio")?.parse().ok()?,
        bytes: field("persist_bytes")?.parse().ok()?,
        rss: field("peak_rss_mb")?.parse().ok()?,
    })
}

/// Times `tapctl preview` of the flagship, as a process, over a stack that
/// is already up; prints its line and returns the median in ms.
fn startup_preview() -> f64 {
    let tapctl = env!("CARGO_BIN_EXE_tapctl");
    let dir = tempfile::tempdir().unwrap();
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(repo.join("deploy.toml"), dir.path().join("deploy.toml")).unwrap();
    std::fs::create_dir(dir.path().join("stacks")).unwrap();
    std::fs::copy(repo.join("stacks/dev.toml"), dir.path().join("stacks/dev.toml")).unwrap();
    let run = |args: &[&str]| {
        let out =
            Command::new(tapctl).arg("--cwd").arg(dir.path()).args(["--cloud", "memory"]).args(args).output().unwrap();
        assert!(out.status.success(), "tapctl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    run(&["up", "--yes"]);
    let mut times: Vec<f64> = (0..11)
        .map(|_| {
            let t = Instant::now();
            run(&["preview"]);
            t.elapsed().as_secs_f64() * 1000.0
        })
        .skip(1)
        .collect();
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!(
        "BENCH scenario=startup_preview program=blue-green resources=82 runs={} median_ms={median:.1} min_ms={:.1} max_ms={:.1}",
        times.len(),
        times[0],
        times[times.len() - 1]
    );
    median
}

fn target(name: &str, goal: &str, measured: String, pass: bool) {
    println!("TARGET {name} goal=\"{goal}\" measured={measured} pass={pass}");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--setup") {
        let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
        rt.block_on(setup(args[i + 1].parse().unwrap(), std::path::Path::new(&args[i + 2])));
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--scenario") {
        let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
        rt.block_on(run_scenario(&args[i + 1]));
        return;
    }
    let quick = std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1");
    let mut scenarios: Vec<String> = vec!["persist_one_step:10".into(), "persist_one_step:10000".into()];
    let sizes: &[usize] = if quick { &[100, 1_000] } else { &[100, 1_000, 10_000] };
    for op in ["up_from_empty", "noop_preview", "noop_up", "destroy"] {
        for n in sizes {
            scenarios.push(format!("{op}:{n}"));
        }
    }
    scenarios.push("flagship:0".into());
    scenarios.push("flagship:1".into());
    scenarios.push("flagship:10".into());
    scenarios.push("flagship:1000".into());
    scenarios.push("layered:1000:20".into());
    if !quick {
        scenarios.push("layered:10000:100".into());
    }
    let me = std::env::current_exe().unwrap();
    let mut results = Vec::new();
    for s in &scenarios {
        let out = Command::new(&me).args(["--scenario", s]).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(out.status.success(), "scenario {s} failed: {}{}", text, String::from_utf8_lossy(&out.stderr));
        for l in text.lines() {
            println!("{l}");
            results.extend(parse(l));
        }
    }
    let startup_ms = startup_preview();
    target("startup_preview_flagship", "< 150 ms", format!("{startup_ms:.0}ms"), startup_ms < 150.0);
    let get = |scenario: &str, n: usize| results.iter().find(|m| m.scenario == scenario && m.resources == n);
    for m in results.iter().filter(|m| m.ratio > 0.0 && (m.scenario != "flagship_up" || m.parallel >= 1000)) {
        target(
            &format!("{}_{}_ratio", m.scenario, m.resources),
            "wall/critical path <= 1.05",
            format!("{:.3}", m.ratio),
            m.ratio <= 1.05,
        );
    }
    if let Some(m) = get("noop_preview", 10_000) {
        target("noop_preview_10000", "< 1000 ms", format!("{:.0}ms", m.wall_ms), m.wall_ms < 1000.0);
    }
    if let Some(m) = get("up_from_empty", 10_000) {
        target("up_from_empty_10000", "< 5000 ms", format!("{:.0}ms", m.wall_ms), m.wall_ms < 5000.0);
    }
    for op in ["up_from_empty", "noop_preview", "noop_up", "destroy"] {
        if let (Some(a), Some(b)) = (get(op, 1_000), get(op, 10_000)) {
            let t = b.wall_ms / a.wall_ms;
            target(&format!("{op}_time_growth_1k_to_10k"), "<= 12x", format!("{t:.1}x"), t <= 12.0);
            if a.bytes > 0.0 {
                let g = b.bytes / a.bytes;
                target(&format!("{op}_bytes_growth_1k_to_10k"), "<= 12x", format!("{g:.1}x"), g <= 12.0);
            }
        }
    }
    for m in results.iter().filter(|m| m.resources == 10_000) {
        target(&format!("{}_10000_peak_rss", m.scenario), "< 200 MB", format!("{:.0}MB", m.rss), m.rss < 200.0);
    }
    let flagship: Vec<&Measured> = results.iter().filter(|m| m.scenario == "flagship_up").collect();
    if let Some(serial) = flagship.iter().find(|m| m.parallel == 1) {
        for m in &flagship {
            println!(
                "SPEEDUP flagship parallel={} wall_ms={:.0} speedup={:.2}x",
                m.parallel,
                m.wall_ms,
                serial.wall_ms / m.wall_ms
            );
        }
    }
}
