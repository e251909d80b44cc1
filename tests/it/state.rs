//! State: crash recovery from the journal at every step boundary, torn
//! journal tails, locking, refusal of damaged files, secrets encrypted at
//! rest, Pulumi compatibility of what is written, and encode/decode round
//! trips (proptest).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use proptest::prelude::*;
use tapctl::engine::{Event, RunOptions};
use tapctl::model::{PropertyMap, Urn, Value};
use tapctl::provider::memory::MemoryCloud;
use tapctl::stack::{Stack, StackError};
use tapctl::state::{Crypter, LocalBackend, Persister, Snapshot, StateError, StateResource};

use crate::common::{flagship, memory_engine, props, small, stack_in, yes};

/// Runs `up` with parallelism 1 and stops cleanly after `steps` steps without
/// compacting — what a crash at that step boundary leaves on disk.
async fn crash_after(dir: &std::path::Path, cloud: MemoryCloud, steps: usize) -> Arc<MemoryCloud> {
    let (engine, cloud) = memory_engine(cloud);
    let backend = LocalBackend::new(dir);
    let locked = backend.lock("dev", "up").unwrap();
    let persister = Persister::new(Snapshot::default(), backend.open_journal(&locked).unwrap(), None);
    let mut opts = RunOptions { parallel: 1, ..RunOptions::default() };
    let cancel = opts.cancel.clone();
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    opts.events = Arc::new(move |e: &Event| {
        if matches!(e, Event::StepDone { .. }) && counter.fetch_add(1, Ordering::SeqCst) + 1 == steps {
            cancel.request();
        }
    });
    engine.up(&small("dev", 3, "x"), &persister, &opts).await.unwrap();
    drop(persister); // no compaction: the process "died" here
    drop(locked);
    cloud
}

#[tokio::test]
async fn a_crash_at_every_step_boundary_recovers_to_the_same_end_state() {
    let program = small("dev", 3, "x");
    let custom = 5; // vpc, 3 subnets, role
    for k in 1..program.resources().len() {
        let dir = tempfile::tempdir().unwrap();
        let cloud = crash_after(dir.path(), MemoryCloud::new(), k).await;
        let journal = std::fs::read_to_string(dir.path().join("dev.journal")).unwrap();
        assert!(!journal.is_empty());
        assert!(!dir.path().join("dev.json").exists(), "nothing was compacted");

        let backend = LocalBackend::new(dir.path());
        let loaded = backend.load("dev", None).unwrap();
        assert!(loaded.replay.applied > 0);
        loaded.snapshot.validate().unwrap();
        assert!(loaded.snapshot.pending.is_empty(), "boundary {k}: no step was in flight");
        let recorded: Vec<String> = loaded
            .snapshot
            .resources
            .iter()
            .filter(|r| r.custom && !r.urn.type_token().starts_with("pulumi:"))
            .filter_map(|r| r.id.clone())
            .collect();
        assert_eq!(recorded.len(), cloud.objects().len(), "boundary {k}: journal and cloud agree");

        let engine = tapctl::Engine::new(Arc::new(cloud.clone()));
        let out = stack_in(dir.path(), "dev").up(&engine, &program, &RunOptions::default(), yes).await.unwrap();
        assert!(out.summary.succeeded(), "boundary {k}: {:?}", out.summary);
        assert_eq!(cloud.objects().len(), custom, "boundary {k}: no duplicate, no orphan");
        assert_eq!(std::fs::read_to_string(dir.path().join("dev.journal")).unwrap(), "", "compacted");
        let again = stack_in(dir.path(), "dev").preview(&engine, &program, &[]).await.unwrap();
        assert!(!again.summary().has_changes(), "boundary {k}");
    }
}

#[tokio::test]
async fn a_journal_cut_mid_record_drops_only_the_unfinished_entry() {
    let dir = tempfile::tempdir().unwrap();
    crash_after(dir.path(), MemoryCloud::new(), 3).await;
    let path = dir.path().join("dev.journal");
    let intact = LocalBackend::new(dir.path()).load("dev", None).unwrap().snapshot;
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("{\"kind\":\"upsert\",\"resource\":{\"urn\":\"urn:pul");
    std::fs::write(&path, &text).unwrap();
    let loaded = LocalBackend::new(dir.path()).load("dev", None).unwrap();
    assert!(loaded.replay.torn_tail);
    assert_eq!(loaded.snapshot, intact);

    // Damage in the middle is not a torn tail: refuse, touch nothing.
    let lines: Vec<&str> = text.lines().collect();
    let damaged = format!("{}\n{{not json\n{}\n", lines[0], lines[1..lines.len() - 1].join("\n"));
    std::fs::write(&path, &damaged).unwrap();
    let err = LocalBackend::new(dir.path()).load("dev", None).unwrap_err();
    assert!(matches!(err, StateError::Journal { line: 2, .. }), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), damaged);
}

#[tokio::test]
async fn a_second_run_fails_at_once_naming_the_holder_and_stale_locks_need_cancel() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, _) = memory_engine(MemoryCloud::new());
    let backend = LocalBackend::new(dir.path());
    let held = backend.lock("dev", "up").unwrap();
    let err =
        stack_in(dir.path(), "dev").up(&engine, &small("dev", 1, "x"), &RunOptions::default(), yes).await.unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, StackError::State(StateError::Locked { .. })), "{msg}");
    assert!(msg.contains(&format!("PID {}", std::process::id())) && msg.contains("tapctl cancel"), "{msg}");
    drop(held);

    // A holder that died leaves its record behind: reported, cleared by cancel.
    std::fs::write(
        dir.path().join("dev.lock"),
        r#"{"pid": 999999, "host": "elsewhere", "started": "2026-01-01T00:00:00Z", "command": "up"}"#,
    )
    .unwrap();
    let err =
        stack_in(dir.path(), "dev").up(&engine, &small("dev", 1, "x"), &RunOptions::default(), yes).await.unwrap_err();
    assert!(err.to_string().contains("stale lock") && err.to_string().contains("999999"), "{err}");
    let cleared = backend.clear_stale_lock("dev").unwrap().unwrap();
    assert_eq!(cleared.pid, 999999);
    stack_in(dir.path(), "dev").up(&engine, &small("dev", 1, "x"), &RunOptions::default(), yes).await.unwrap();

    // A holder of this host whose process is gone is provably dead: the next
    // run takes over by itself and says so (no human needed after a crash).
    let host = tapctl::state::lock::hostname();
    std::fs::write(
        dir.path().join("dev.lock"),
        format!(r#"{{"pid": 4194302, "host": "{host}", "started": "2026-01-01T00:00:00Z", "command": "up"}}"#),
    )
    .unwrap();
    let (opts, events) = crate::common::recording(4);
    stack_in(dir.path(), "dev").up(&engine, &small("dev", 1, "x"), &opts, yes).await.unwrap();
    let notes: Vec<String> = events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| if let Event::Notice(n) = e { Some(n.clone()) } else { None })
        .collect();
    assert!(notes.iter().any(|n| n.contains("PID 4194302") && n.contains("taking over")), "{notes:?}");
}

#[tokio::test]
async fn damaged_or_foreign_checkpoints_are_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, _) = memory_engine(MemoryCloud::new());
    stack_in(dir.path(), "dev").up(&engine, &small("dev", 1, "x"), &RunOptions::default(), yes).await.unwrap();
    let path = dir.path().join("dev.json");
    let good = std::fs::read_to_string(&path).unwrap();
    let cases: Vec<(String, &str)> = vec![
        (good[..good.len() / 2].to_string(), "damaged"),
        (good.replacen("\"version\": 3", "\"version\": 7", 1), "version 7"),
        (good.replacen("\"stack\": \"dev\"", "\"stack\": \"prod\"", 1), "records stack `prod`"),
        (duplicate_first_custom(&good), "duplicate resource URN"),
        (dangle_parent(&good), "not recorded before it"),
    ];
    for (text, says) in cases {
        std::fs::write(&path, &text).unwrap();
        let err = stack_in(dir.path(), "dev")
            .up(&engine, &small("dev", 1, "x"), &RunOptions::default(), yes)
            .await
            .unwrap_err();
        assert!(err.to_string().contains(says), "expected `{says}` in: {err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text, "the damaged file is never overwritten");
    }
}

#[tokio::test]
async fn a_damaged_checkpoint_points_at_what_there_is_to_fall_back_on() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, _) = memory_engine(MemoryCloud::new());
    let up =
        || async { stack_in(dir.path(), "dev").up(&engine, &small("dev", 1, "x"), &RunOptions::default(), yes).await };
    up().await.unwrap();
    let path = dir.path().join("dev.json");
    let backup = dir.path().join("dev.json.bak");
    let good = std::fs::read_to_string(&path).unwrap();
    // After the first update there is no previous checkpoint.
    assert!(!backup.exists());
    std::fs::write(&path, &good[..good.len() / 2]).unwrap();
    let err = up().await.unwrap_err().to_string();
    assert!(err.contains("no previous checkpoint") && err.contains("stack import") && !err.contains(".bak"), "{err}");
    // From the second on, the previous one is kept and named.
    std::fs::write(&path, &good).unwrap();
    let more = small("dev", 2, "x");
    stack_in(dir.path(), "dev").up(&engine, &more, &RunOptions::default(), yes).await.unwrap();
    assert!(backup.exists());
    std::fs::write(&path, &good[..good.len() / 2]).unwrap();
    let err = up().await.unwrap_err().to_string();
    assert!(err.contains(&format!("kept at {}", backup.display())), "{err}");
}

fn duplicate_first_custom(good: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(good).unwrap();
    let resources = v["checkpoint"]["latest"]["resources"].as_array_mut().unwrap();
    let vpc = resources.iter().find(|r| r["type"] == "aws:ec2/vpc:Vpc").unwrap().clone();
    resources.push(vpc);
    serde_json::to_string_pretty(&v).unwrap()
}

fn dangle_parent(good: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(good).unwrap();
    let resources = v["checkpoint"]["latest"]["resources"].as_array_mut().unwrap();
    resources[1]["parent"] = serde_json::json!("urn:pulumi:dev::demo::tap:x:Gone::gone");
    serde_json::to_string_pretty(&v).unwrap()
}

#[tokio::test]
async fn state_uses_pulumi_tokens_and_input_names_only() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, _) = memory_engine(MemoryCloud::new());
    stack_in(dir.path(), "dev").up(&engine, &flagship("dev", &[]), &RunOptions::default(), yes).await.unwrap();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema/pulumi-aws-7.48.0.json")).unwrap(),
    )
    .unwrap();
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("dev.json")).unwrap()).unwrap();
    let resources = state["checkpoint"]["latest"]["resources"].as_array().unwrap();
    let mut checked = 0;
    for r in resources {
        let token = r["type"].as_str().unwrap();
        if !token.starts_with("aws:") {
            continue;
        }
        let entry = &schema["resources"][token];
        assert!(entry.is_object(), "{token} is not a pulumi-aws token");
        let inputs: Vec<&str> = entry["inputs"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        for key in r["inputs"].as_object().unwrap().keys() {
            assert!(inputs.contains(&key.as_str()), "{token} has no input {key}");
        }
        checked += 1;
    }
    assert!(checked > 30);
    // Topological order: parents and dependencies come first.
    let mut seen = std::collections::HashSet::new();
    for r in resources {
        for dep in r["dependencies"].as_array().into_iter().flatten().chain(r.get("parent")) {
            assert!(seen.contains(dep.as_str().unwrap()), "{} before {dep}", r["urn"]);
        }
        seen.insert(r["urn"].as_str().unwrap().to_string());
    }
}

#[tokio::test]
async fn secrets_are_encrypted_in_state_journal_and_backup() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, _) = memory_engine(MemoryCloud::new());
    let (crypter, salt) = Crypter::create("correct horse").unwrap();
    let stack = Stack::new(LocalBackend::new(dir.path()), "dev", Some(crypter.clone()), Some(salt.clone()));
    let secret = "s3cr3t-value-that-must-not-leak";
    let build = |team: &str| {
        let mut p = tapctl::Program::new("demo", "dev", props(&[("region", "us-east-1".into())]));
        let root = p.root();
        p.resource(
            &root,
            "aws:ec2/vpc:Vpc",
            "vpc",
            props(&[
                ("cidrBlock", "10.0.0.0/16".into()),
                ("tags", Value::object([("Team", Value::from(team)), ("Token", Value::secret(secret))])),
            ]),
            Default::default(),
        )
        .unwrap();
        p
    };
    stack.up(&engine, &build("a"), &RunOptions::default(), yes).await.unwrap();
    stack.up(&engine, &build("b"), &RunOptions::default(), yes).await.unwrap();
    // A crash mid-run leaves a journal: check it too.
    let backend = LocalBackend::new(dir.path());
    let locked = backend.lock("dev", "up").unwrap();
    let persister = Persister::new(
        backend.load("dev", Some(&crypter)).unwrap().snapshot,
        backend.open_journal(&locked).unwrap(),
        Some(crypter.clone()),
    );
    engine.up(&build("c"), &persister, &RunOptions::default()).await.unwrap();
    drop(persister);
    drop(locked);
    for file in ["dev.json", "dev.json.bak", "dev.journal"] {
        let text = std::fs::read_to_string(dir.path().join(file)).unwrap();
        assert!(!text.contains(secret), "{file} leaks the secret");
    }
    assert!(std::fs::read_to_string(dir.path().join("dev.journal"))
        .unwrap()
        .contains("1b47061264138c4ac30d75fd1eb44270"));
    let loaded = backend.load("dev", Some(&crypter)).unwrap().snapshot;
    let vpc = loaded.resources.iter().find(|r| r.urn.name() == "vpc").unwrap();
    assert_eq!(vpc.inputs["tags"].as_object().unwrap()["Token"], Value::secret(secret));
    assert!(matches!(backend.load("dev", None), Err(StateError::SecretsNeedPassphrase)));
    let wrong = Crypter::open("wrong horse", &salt).unwrap_err();
    assert!(wrong.to_string().contains("incorrect passphrase"));
}

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-1_000_000i64..1_000_000).prop_map(|n| Value::Number(n as f64)),
        "[a-zA-Z0-9 :/._-]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,6}", inner.clone(), 0..4).prop_map(Value::Object),
            inner.prop_map(Value::secret),
        ]
    })
}

fn arb_snapshot() -> impl Strategy<Value = Snapshot> {
    prop::collection::vec(prop::collection::btree_map("[a-z]{1,8}", arb_value(), 0..5), 1..6).prop_map(|maps| {
        let root = Urn::root("dev", "demo");
        let mut resources = vec![StateResource {
            urn: root.clone(),
            custom: false,
            delete: false,
            id: None,
            inputs: PropertyMap::new(),
            outputs: PropertyMap::new(),
            parent: None,
            dependencies: vec![],
            property_dependencies: BTreeMap::new(),
            provider: None,
            protect: false,
            retain_on_delete: false,
            ignore_changes: vec![],
            replace_on_changes: vec![],
            custom_timeouts: Default::default(),
            created: Some("2026-01-01T00:00:00Z".into()),
            modified: None,
            extra: Default::default(),
        }];
        for (i, inputs) in maps.into_iter().enumerate() {
            let mut r = resources[0].clone();
            r.urn = Urn::new("dev", "demo", Some(&root), "aws:ec2/vpc:Vpc", &format!("r{i}"));
            r.custom = true;
            r.id = Some(format!("vpc-{i}"));
            r.parent = Some(root.clone());
            r.dependencies = if i > 0 { vec![resources[i].urn.clone()] } else { vec![] };
            r.outputs = inputs.clone();
            r.inputs = inputs;
            resources.push(r);
        }
        Snapshot { resources: resources.into_iter().map(std::sync::Arc::new).collect(), ..Snapshot::default() }
    })
}

fn shared_crypter() -> &'static Crypter {
    static C: std::sync::OnceLock<Crypter> = std::sync::OnceLock::new();
    C.get_or_init(|| Crypter::create("proptest").unwrap().0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn snapshots_round_trip_through_the_pulumi_encoding(snapshot in arb_snapshot()) {
        let crypter = shared_crypter();
        let deployment = snapshot.to_deployment(Some(crypter), None).unwrap();
        let text = serde_json::to_string(&deployment).unwrap();
        let back: tapctl::state::Deployment = serde_json::from_str(&text).unwrap();
        let decoded = Snapshot::from_deployment(back, Some(crypter)).unwrap();
        prop_assert_eq!(decoded, snapshot);
    }

    #[test]
    fn up_then_preview_plans_nothing(subnets in 0usize..6, tag in "[a-z]{1,5}") {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let (engine, _) = memory_engine(MemoryCloud::new());
            let stack = stack_in(dir.path(), "dev");
            stack.up(&engine, &small("dev", subnets, &tag), &RunOptions::default(), yes).await.unwrap();
            let plan = stack.preview(&engine, &small("dev", subnets, &tag), &[]).await.unwrap();
            assert!(!plan.summary().has_changes(), "{plan:?}");
        });
    }
}

/// Leaves the journal as a process killed mid-create would: the `Begin` of
/// `name`'s create is durable, and (if `reached_cloud`) the cloud made it, but
/// its result was never recorded.
async fn interrupt_create(
    dir: &std::path::Path,
    cloud: &Arc<MemoryCloud>,
    program: &tapctl::Program,
    name: &str,
    reached_cloud: bool,
) {
    use tapctl::provider::{CallContext, ProviderFactory};
    let backend = LocalBackend::new(dir);
    let snapshot = backend.load("dev", None).unwrap().snapshot;
    let desired = program.resources().iter().find(|r| r.urn.name() == name).unwrap();
    let provider_urn = desired.provider.clone().unwrap();
    let provider_id = snapshot.live(&provider_urn).unwrap().id.clone().unwrap();
    // Inputs as the engine would have resolved them.
    let inputs: PropertyMap = desired
        .inputs
        .iter()
        .map(|(k, v)| {
            let resolved = v.resolve(&mut |r| {
                let rec = snapshot.live(&r.urn).unwrap();
                r.read(rec.id.as_deref(), &rec.outputs).unwrap()
            });
            (k.clone(), resolved)
        })
        .collect();
    let mut record = snapshot.resources.iter().find(|r| r.custom).unwrap().as_ref().clone();
    record.urn = desired.urn.clone();
    record.id = None;
    record.inputs = inputs.clone();
    record.outputs = PropertyMap::new();
    record.parent = desired.parent.clone();
    record.dependencies = desired.dependencies();
    record.provider = Some(format!("{provider_urn}::{provider_id}"));
    let locked = backend.lock("dev", "up").unwrap();
    let persister = Persister::new(snapshot, backend.open_journal(&locked).unwrap(), None);
    persister
        .record(tapctl::state::Mutation::Begin(tapctl::state::PendingKind::Creating, Box::new(record)))
        .await
        .unwrap();
    if reached_cloud {
        let provider = cloud.configure(&props(&[("region", "us-east-1".into())])).unwrap();
        let ctx = CallContext { urn: desired.urn.clone(), token: desired.type_token().to_string(), timeout: None };
        provider.create(&ctx, &inputs).await.unwrap();
    }
}

#[tokio::test]
async fn an_interrupted_create_is_adopted_not_duplicated() {
    for (name, reached) in [("subnet-2", true), ("subnet-2", false), ("role", true)] {
        let dir = tempfile::tempdir().unwrap();
        let (engine, cloud) = memory_engine(MemoryCloud::new());
        let stack = stack_in(dir.path(), "dev");
        // Everything but `name` exists; then a create of `name` is cut short.
        let full = small("dev", 3, "x");
        let mut partial = small("dev", 2, "x");
        if name == "role" {
            partial = tapctl::Program::new("demo", "dev", props(&[("region", "us-east-1".into())]));
            let root = partial.root();
            partial
                .resource(
                    &root,
                    "aws:ec2/vpc:Vpc",
                    "vpc",
                    props(&[("cidrBlock", "10.0.0.0/16".into()), ("tags", Value::object([("Team", "x")]))]),
                    Default::default(),
                )
                .unwrap();
        }
        stack.up(&engine, &partial, &RunOptions::default(), yes).await.unwrap();
        interrupt_create(dir.path(), &cloud, &full, name, reached).await;
        let wanted = full.resources().iter().filter(|r| r.custom && !r.is_provider()).count();

        let plan = stack.preview(&engine, &full, &[]).await.unwrap();
        let step = plan.steps.iter().find(|s| s.urn.name() == name).unwrap();
        assert_eq!(
            step.op,
            if reached { tapctl::StepOp::Same } else { tapctl::StepOp::Create },
            "{name} reached={reached}: preview sees the adoption"
        );

        let notes = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink_notes = notes.clone();
        let opts = RunOptions {
            events: Arc::new(move |e: &Event| {
                if let Event::Notice(n) = e {
                    sink_notes.lock().unwrap().push(n.clone());
                }
            }),
            ..RunOptions::default()
        };
        let out = stack.up(&engine, &full, &opts, yes).await.unwrap();
        assert!(out.summary.succeeded(), "{:?}", out.summary);
        assert!(out.snapshot.pending.is_empty());
        let notes = notes.lock().unwrap().join("\n");
        assert!(notes.contains(if reached { "adopted" } else { "never reached the cloud" }), "{notes}");
        assert_eq!(cloud.objects().len(), wanted, "{name} reached={reached}: no duplicate, no orphan");
        assert_eq!(
            cloud.find_by_urn(full.resources().iter().find(|r| r.urn.name() == name).unwrap().urn.as_str()).len(),
            1
        );
        assert!(!stack.preview(&engine, &full, &[]).await.unwrap().summary().has_changes());
    }
}
