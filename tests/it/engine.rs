//! The engine on the in-memory cloud: ordering, the parallelism bound,
//! failure propagation, cancellation, replacement, protection and the
//! preview → up → preview → update → destroy cycle.

use std::collections::HashMap;
use std::time::Duration;

use tapctl::engine::{Event, RunOptions};
use tapctl::model::{ResourceOptions, Urn, Value};
use tapctl::plan::StepOp;
use tapctl::provider::memory::{Fault, Latency, MemoryCloud, Op};
use tapctl::stack::StackError;

use crate::common::{flagship, memory_engine, props, recording, role_with_policy, small, stack_in, yes};

#[tokio::test]
async fn flagship_goes_up_shows_no_changes_updates_once_and_destroys_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, cloud) = memory_engine(MemoryCloud::new());
    let stack = stack_in(dir.path(), "dev");
    let program = flagship("dev", &[]);
    let total = program.resources().len();

    let plan = stack.preview(&engine, &program, &[]).await.unwrap();
    assert_eq!(plan.summary().create, total);
    let out = stack.up(&engine, &program, &RunOptions::default(), yes).await.unwrap();
    assert!(out.summary.succeeded(), "{:?}", out.summary);
    assert_eq!(out.summary.changes.create, total);
    let custom = program.resources().iter().filter(|r| r.custom && !r.is_provider()).count();
    assert_eq!(cloud.objects().len(), custom);

    let again = stack.preview(&engine, &flagship("dev", &[]), &[]).await.unwrap();
    assert!(
        !again.summary().has_changes(),
        "{:?}",
        again.steps.iter().filter(|s| s.op != StepOp::Same).collect::<Vec<_>>()
    );

    // One changed input, one update.
    let small_change = small("dev", 3, "blue");
    let dir2 = tempfile::tempdir().unwrap();
    let stack2 = stack_in(dir2.path(), "dev");
    stack2.up(&engine, &small_change, &RunOptions::default(), yes).await.unwrap();
    let plan = stack2.preview(&engine, &small("dev", 3, "green"), &[]).await.unwrap();
    let s = plan.summary();
    assert_eq!((s.update, s.create, s.replace, s.delete), (1, 0, 0, 0), "{plan:?}");
    let vpc_step = plan.steps.iter().find(|s| s.op == StepOp::Update).unwrap();
    assert_eq!(vpc_step.urn.name(), "vpc");
    assert_eq!(vpc_step.diffs[0].path, "tags.Team");
    let out = stack2.up(&engine, &small("dev", 3, "green"), &RunOptions::default(), yes).await.unwrap();
    assert_eq!(out.summary.changes.update, 1);
    stack2.destroy(&engine, &RunOptions::default(), yes).await.unwrap();

    let out = stack.destroy(&engine, &RunOptions::default(), yes).await.unwrap();
    assert!(out.summary.succeeded());
    assert!(out.snapshot.resources.is_empty());
    assert!(cloud.objects().is_empty(), "{:?}", cloud.objects().keys());
}

#[tokio::test]
async fn every_step_starts_after_its_dependencies_finished_and_deletes_run_in_reverse() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, _cloud) = memory_engine(MemoryCloud::new().with_latency(Latency::Fixed(Duration::from_millis(2))));
    let stack = stack_in(dir.path(), "dev");
    let program = flagship("dev", &[]);
    let (opts, events) = recording(8);
    stack.up(&engine, &program, &opts, yes).await.unwrap();
    let events = events.lock().unwrap().clone();
    let pos = |urn: &Urn, started: bool| {
        events.iter().position(|e| match e {
            Event::StepStarted { urn: u, .. } => started && u == urn,
            Event::StepDone { urn: u, .. } => !started && u == urn,
            _ => false,
        })
    };
    for r in program.resources() {
        let Some(start) = pos(&r.urn, true) else { continue };
        for dep in r.dependencies() {
            let done = pos(&dep, false).expect("dependency finished");
            assert!(done < start, "{} started before {dep} finished", r.urn);
        }
    }
    let (opts, events) = recording(8);
    stack.destroy(&engine, &opts, yes).await.unwrap();
    let events = events.lock().unwrap().clone();
    for r in program.resources() {
        let Some(start) = pos_in(&events, &r.urn, true) else { continue };
        for dep in r.dependencies() {
            // A dependency is deleted only after its dependent is gone.
            let dep_start = pos_in(&events, &dep, true).expect("dependency deleted");
            let done = pos_in(&events, &r.urn, false).unwrap();
            assert!(done < dep_start && start < dep_start);
        }
    }
}

fn pos_in(events: &[Event], urn: &Urn, started: bool) -> Option<usize> {
    events.iter().position(|e| match e {
        Event::StepStarted { urn: u, .. } => started && u == urn,
        Event::StepDone { urn: u, .. } => !started && u == urn,
        _ => false,
    })
}

#[tokio::test]
async fn the_parallelism_bound_is_honoured() {
    for parallel in [1, 3, 10] {
        let dir = tempfile::tempdir().unwrap();
        let (engine, cloud) = memory_engine(MemoryCloud::new().with_latency(Latency::Fixed(Duration::from_millis(5))));
        let stack = stack_in(dir.path(), "dev");
        let (mut opts, _) = recording(parallel);
        opts.parallel = parallel;
        stack.up(&engine, &small("dev", 30, "x"), &opts, yes).await.unwrap();
        assert_eq!(cloud.max_in_flight(), parallel, "parallel {parallel}");
    }
}

#[tokio::test]
async fn a_failure_skips_dependents_while_independent_branches_finish() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, cloud) = memory_engine(MemoryCloud::new());
    cloud.inject(Fault::permanent("vpc", Op::Create, "VpcLimitExceeded"));
    let stack = stack_in(dir.path(), "dev");
    let out = stack.up(&engine, &small("dev", 4, "x"), &RunOptions::default(), yes).await.unwrap();
    assert_eq!(out.summary.failures.len(), 1);
    assert!(out.summary.failures[0].message.contains("VpcLimitExceeded"), "{:?}", out.summary.failures);
    assert_eq!(out.summary.failures[0].code.as_deref(), Some("VpcLimitExceeded"));
    assert_eq!(out.summary.failures[0].kind, tapctl::engine::FailureKind::Permanent);
    assert_eq!(out.summary.skipped.len(), 4, "{:?}", out.summary.skipped);
    // The role does not depend on the VPC and was created.
    assert!(out.snapshot.resources.iter().any(|r| r.urn.name() == "role"));
    assert!(!out.snapshot.resources.iter().any(|r| r.urn.type_token() == "aws:ec2/subnet:Subnet"));
    assert!(out.snapshot.pending.is_empty());
    out.snapshot.validate().unwrap();

    // Once the fault clears, the next run finishes the job.
    cloud.clear_faults();
    let out = stack.up(&engine, &small("dev", 4, "x"), &RunOptions::default(), yes).await.unwrap();
    assert!(out.summary.succeeded());
    assert_eq!(out.summary.changes.create, 5);
}

#[tokio::test]
async fn transient_faults_are_retried_inside_the_provider() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, cloud) = memory_engine(MemoryCloud::new());
    cloud.inject(Fault::transient("vpc", Op::Create, 3));
    let stack = stack_in(dir.path(), "dev");
    let out = stack.up(&engine, &small("dev", 1, "x"), &RunOptions::default(), yes).await.unwrap();
    assert!(out.summary.succeeded(), "{:?}", out.summary);
}

#[tokio::test]
async fn cancelling_stops_new_steps_and_leaves_consistent_state() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, cloud) = memory_engine(MemoryCloud::new().with_latency(Latency::Fixed(Duration::from_millis(3))));
    let stack = stack_in(dir.path(), "dev");
    let (mut opts, _) = recording(2);
    let cancel = opts.cancel.clone();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = done.clone();
    opts.events = std::sync::Arc::new(move |e: &Event| {
        if matches!(e, Event::StepDone { .. }) && counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 5 {
            cancel.request();
        }
    });
    let program = flagship("dev", &[]);
    let out = stack.up(&engine, &program, &opts, yes).await.unwrap();
    assert!(out.summary.cancelled);
    assert!(!out.summary.skipped.is_empty());
    out.snapshot.validate().unwrap();
    assert!(out.snapshot.pending.is_empty(), "in-flight steps were allowed to finish");
    let recorded = out
        .snapshot
        .resources
        .iter()
        .filter(|r| r.custom && r.id.is_some() && !r.urn.type_token().starts_with("pulumi:"))
        .count();
    assert_eq!(recorded, cloud.objects().len(), "every cloud object is recorded");
    let out = stack.up(&engine, &program, &RunOptions::default(), yes).await.unwrap();
    assert!(out.summary.succeeded());
    assert_eq!(cloud.objects().len(), program.resources().iter().filter(|r| r.custom && !r.is_provider()).count());
}

#[tokio::test]
async fn force_new_changes_replace_create_before_delete_and_protect_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, cloud) = memory_engine(MemoryCloud::new());
    let stack = stack_in(dir.path(), "dev");
    let build = |cidr: &str, protect: bool| {
        let mut p = tapctl::Program::new("demo", "dev", props(&[("region", "us-east-1".into())]));
        let root = p.root();
        let vpc = p
            .resource(
                &root,
                "aws:ec2/vpc:Vpc",
                "vpc",
                props(&[("cidrBlock", cidr.into())]),
                ResourceOptions::default().protect(protect),
            )
            .unwrap();
        p.resource(
            &root,
            "aws:ec2/subnet:Subnet",
            "subnet",
            props(&[("vpcId", vpc.id()), ("cidrBlock", cidr.replace("/16", "/24").into())]),
            ResourceOptions::default(),
        )
        .unwrap();
        p
    };
    stack.up(&engine, &build("10.0.0.0/16", false), &RunOptions::default(), yes).await.unwrap();
    let plan = stack.preview(&engine, &build("10.9.0.0/16", false), &[]).await.unwrap();
    let ops: HashMap<&str, StepOp> = plan.steps.iter().map(|s| (s.urn.name(), s.op)).collect();
    assert_eq!(ops["vpc"], StepOp::Replace);
    assert_eq!(ops["subnet"], StepOp::Replace, "the subnet's vpcId is unknown, and vpcId forces replacement");
    let vpc_step = plan.steps.iter().find(|s| s.urn.name() == "vpc").unwrap();
    assert_eq!(vpc_step.replace_keys, vec!["cidrBlock".to_string()]);
    assert!(!vpc_step.delete_before_replace);

    let out = stack.up(&engine, &build("10.9.0.0/16", false), &RunOptions::default(), yes).await.unwrap();
    assert!(out.summary.succeeded(), "{:?}", out.summary);
    assert_eq!(out.summary.changes.replace, 2);
    assert_eq!(cloud.objects().len(), 2, "old VPC and subnet deleted after the new ones exist");
    assert!(out.snapshot.resources.iter().all(|r| !r.delete));

    stack.up(&engine, &build("10.9.0.0/16", true), &RunOptions::default(), yes).await.unwrap();
    let err = stack.up(&engine, &build("10.8.0.0/16", true), &RunOptions::default(), yes).await.unwrap_err();
    assert!(err.to_string().contains("protected"), "{err}");
    let err = stack.destroy(&engine, &RunOptions::default(), yes).await.unwrap_err();
    assert!(matches!(err, StackError::Engine(_)) && err.to_string().contains("protected"), "{err}");
    assert_eq!(cloud.objects().len(), 2, "nothing was touched");
}

#[tokio::test]
async fn ignore_changes_and_replace_on_changes_are_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, _cloud) = memory_engine(MemoryCloud::new());
    let stack = stack_in(dir.path(), "dev");
    let build = |team: &str, dns: bool, opts: ResourceOptions| {
        let mut p = tapctl::Program::new("demo", "dev", props(&[("region", "us-east-1".into())]));
        let root = p.root();
        p.resource(
            &root,
            "aws:ec2/vpc:Vpc",
            "vpc",
            props(&[
                ("cidrBlock", "10.0.0.0/16".into()),
                ("enableDnsHostnames", dns.into()),
                ("tags", Value::object([("Team", team)])),
            ]),
            opts,
        )
        .unwrap();
        p
    };
    let ignore = ResourceOptions::default().ignore_changes("tags.Team");
    stack.up(&engine, &build("a", true, ignore.clone()), &RunOptions::default(), yes).await.unwrap();
    let plan = stack.preview(&engine, &build("b", true, ignore), &[]).await.unwrap();
    assert!(!plan.summary().has_changes());
    let replace = ResourceOptions::default().replace_on_changes("enableDnsHostnames");
    let plan = stack.preview(&engine, &build("a", false, replace), &[]).await.unwrap();
    assert_eq!(plan.summary().replace, 1);
    let plain = stack.preview(&engine, &build("a", false, ResourceOptions::default()), &[]).await.unwrap();
    assert_eq!(plain.summary().update, 1);
}

#[tokio::test]
async fn removed_resources_are_deleted_and_targets_limit_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, cloud) = memory_engine(MemoryCloud::new());
    let stack = stack_in(dir.path(), "dev");
    stack.up(&engine, &small("dev", 3, "x"), &RunOptions::default(), yes).await.unwrap();
    let out = stack.up(&engine, &small("dev", 1, "x"), &RunOptions::default(), yes).await.unwrap();
    assert_eq!(out.summary.changes.delete, 2);
    assert_eq!(cloud.objects().len(), 3);

    let program = small("dev", 3, "y");
    let vpc = program.resources().iter().find(|r| r.urn.name() == "vpc").unwrap().urn.clone();
    let opts = RunOptions { targets: vec![vpc.clone()], ..RunOptions::default() };
    let out = stack.up(&engine, &program, &opts, yes).await.unwrap();
    assert_eq!(out.summary.changes.update, 1, "{:?}", out.summary);
    assert_eq!(out.summary.changes.create, 0, "untargeted subnets are not created");
    let subnet = program.resources().iter().find(|r| r.urn.name() == "subnet-2").unwrap().urn.clone();
    let opts = RunOptions { targets: vec![subnet], ..RunOptions::default() };
    let out = stack.up(&engine, &program, &opts, yes).await.unwrap();
    assert_eq!(out.summary.changes.create, 1);
    let bogus = Urn::parse("urn:pulumi:dev::demo::aws:ec2/vpc:Vpc::nope").unwrap();
    let opts = RunOptions { targets: vec![bogus], ..RunOptions::default() };
    let err = stack.up(&engine, &program, &opts, yes).await.unwrap_err();
    assert!(err.to_string().contains("matches no resource"), "{err}");
}

#[tokio::test]
async fn refresh_records_out_of_band_changes_and_deletions() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, cloud) = memory_engine(MemoryCloud::new());
    let stack = stack_in(dir.path(), "dev");
    let out = stack.up(&engine, &small("dev", 2, "x"), &RunOptions::default(), yes).await.unwrap();
    let id_of = |name: &str| out.snapshot.resources.iter().find(|r| r.urn.name() == name).unwrap().id.clone().unwrap();
    cloud.tamper(&id_of("vpc"), "tags", serde_json::json!({"Team": "intruder"}));
    // The subnet has no dependents, so it can vanish out of band.
    assert!(cloud.remove_out_of_band(&id_of("subnet-1")));
    let (opts, events) = recording(4);
    let refreshed = stack.refresh(&engine, &opts).await.unwrap();
    assert_eq!(refreshed.summary.changes.update, 1);
    assert_eq!(refreshed.summary.changes.delete, 1);
    assert!(events.lock().unwrap().iter().any(|e| matches!(e, Event::Drift { deleted: true, .. })));
    // The next up repairs both.
    let plan = stack.preview(&engine, &small("dev", 2, "x"), &[]).await.unwrap();
    assert_eq!((plan.summary().update, plan.summary().create), (1, 1));
    stack.up(&engine, &small("dev", 2, "x"), &RunOptions::default(), yes).await.unwrap();
    assert!(!stack.preview(&engine, &small("dev", 2, "x"), &[]).await.unwrap().summary().has_changes());
}

#[tokio::test]
async fn a_cycle_is_refused_naming_its_urns() {
    let mut p = tapctl::Program::new("demo", "dev", props(&[("region", "us-east-1".into())]));
    let root = p.root();
    let a_urn = Urn::parse("urn:pulumi:dev::demo::aws:ec2/vpc:Vpc::a").unwrap();
    let b = p
        .resource(
            &root,
            "aws:ec2/vpc:Vpc",
            "b",
            props(&[("cidrBlock", "10.0.0.0/16".into())]),
            ResourceOptions::default().depends_on(&a_urn),
        )
        .unwrap();
    p.resource(
        &root,
        "aws:ec2/vpc:Vpc",
        "a",
        props(&[("cidrBlock", "10.1.0.0/16".into())]),
        ResourceOptions::default().depends_on(b.urn()),
    )
    .unwrap();
    let (engine, _) = memory_engine(MemoryCloud::new());
    let err = engine.preview(&p, &Default::default(), &[]).unwrap_err().to_string();
    assert!(err.contains("dependency cycle") && err.contains("::a") && err.contains("::b"), "{err}");
}

#[tokio::test]
async fn up_with_refresh_repairs_drift_in_one_run_respecting_ignore_changes() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, cloud) = memory_engine(MemoryCloud::new());
    let stack = stack_in(dir.path(), "dev");
    let build = || {
        let mut p = small("dev", 2, "x");
        let root = p.root();
        p.resource(
            &root,
            "aws:ec2/vpc:Vpc",
            "scaled-elsewhere",
            props(&[("cidrBlock", "10.5.0.0/16".into()), ("tags", Value::object([("Owner", "autoscaler")]))]),
            ResourceOptions::default().ignore_changes("tags"),
        )
        .unwrap();
        p
    };
    let out = stack.up(&engine, &build(), &RunOptions::default(), yes).await.unwrap();
    let id_of = |name: &str| out.snapshot.resources.iter().find(|r| r.urn.name() == name).unwrap().id.clone().unwrap();
    cloud.tamper(&id_of("vpc"), "tags", serde_json::json!({"Team": "intruder"}));
    cloud.tamper(&id_of("scaled-elsewhere"), "tags", serde_json::json!({"Owner": "someone-else"}));
    assert!(cloud.remove_out_of_band(&id_of("subnet-1")));

    let opts = RunOptions { refresh: true, ..RunOptions::default() };
    let out = stack.up(&engine, &build(), &opts, yes).await.unwrap();
    assert!(out.summary.succeeded(), "{:?}", out.summary);
    assert_eq!((out.summary.changes.update, out.summary.changes.create), (1, 1), "{:?}", out.summary.changes);
    let vpc = &cloud.objects()[&id_of("vpc")];
    assert_eq!(vpc.properties["tags"], serde_json::json!({"Team": "x"}), "the modified tag is put back");
    let ignored = &cloud.objects()[&id_of("scaled-elsewhere")];
    assert_eq!(ignored.properties["tags"], serde_json::json!({"Owner": "someone-else"}), "ignoreChanges is respected");
    assert_eq!(cloud.objects().len(), 5, "the deleted subnet is back");
    assert!(!stack.preview(&engine, &build(), &[]).await.unwrap().summary().has_changes());
}

/// A static site behind CloudFront with AWS Config recording, planned and
/// applied on the in-memory cloud, which keeps AWS Config's ordering rules:
/// the program's dependencies (output references and `dependsOn`) must put
/// the recorder before its channel, status and rule on the way up, and the
/// running status before its channel on the way down.
#[tokio::test]
async fn a_static_site_with_config_recording_goes_up_and_down_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, cloud) = memory_engine(MemoryCloud::new());
    let stack = stack_in(dir.path(), "dev");
    let mut p = tapctl::Program::new("site", "dev", props(&[("region", "us-east-1".into())]));
    let root = p.root();
    let none = ResourceOptions::default;
    let bucket = p.resource(&root, "aws:s3/bucket:Bucket", "site", props(&[("bucket", "tap-site".into())]), none());
    let bucket = bucket.unwrap();
    let oac = p
        .resource(
            &root,
            "aws:cloudfront/originAccessControl:OriginAccessControl",
            "oac",
            props(&[
                ("name", "tap-site".into()),
                ("originAccessControlOriginType", "s3".into()),
                ("signingBehavior", "always".into()),
                ("signingProtocol", "sigv4".into()),
            ]),
            none(),
        )
        .unwrap();
    let origin = Value::object([
        ("domainName", Value::from("tap-site.s3.us-east-1.amazonaws.com")),
        ("originId", "site".into()),
        ("originAccessControlId", oac.id()),
    ]);
    let behavior = Value::object([
        ("targetOriginId", Value::from("site")),
        ("viewerProtocolPolicy", "redirect-to-https".into()),
        ("allowedMethods", Value::array(["GET", "HEAD"])),
        ("cachedMethods", Value::array(["GET", "HEAD"])),
        ("cachePolicyId", "658327ea-f89d-4fab-a63d-7e88639e58f6".into()),
    ]);
    let cdn = p
        .resource(
            &root,
            "aws:cloudfront/distribution:Distribution",
            "cdn",
            props(&[
                ("enabled", true.into()),
                ("origins", Value::array([origin])),
                ("defaultCacheBehavior", behavior),
                ("restrictions", Value::object([("geoRestriction", Value::object([("restrictionType", "none")]))])),
                ("viewerCertificate", Value::object([("cloudfrontDefaultCertificate", true)])),
            ]),
            ResourceOptions::default().depends_on(bucket.urn()),
        )
        .unwrap();
    p.export("siteUrl", cdn.output("domainName"));
    let role = "arn:aws:iam::123456789012:role/config";
    let recorder =
        p.resource(&root, "aws:cfg/recorder:Recorder", "recorder", props(&[("roleArn", role.into())]), none()).unwrap();
    let channel = p
        .resource(
            &root,
            "aws:cfg/deliveryChannel:DeliveryChannel",
            "channel",
            props(&[("s3BucketName", bucket.id())]),
            ResourceOptions::default().depends_on(recorder.urn()),
        )
        .unwrap();
    p.resource(
        &root,
        "aws:cfg/recorderStatus:RecorderStatus",
        "recording",
        props(&[("name", recorder.output("name")), ("isEnabled", true.into())]),
        ResourceOptions::default().depends_on(channel.urn()),
    )
    .unwrap();
    let source = Value::object([("owner", "AWS"), ("sourceIdentifier", "S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED")]);
    p.resource(
        &root,
        "aws:cfg/rule:Rule",
        "s3-sse",
        props(&[("name", "s3-bucket-sse".into()), ("source", source)]),
        ResourceOptions::default().depends_on(recorder.urn()),
    )
    .unwrap();

    let plan = stack.preview(&engine, &p, &[]).await.unwrap();
    assert_eq!(plan.summary().create, p.resources().len(), "{:?}", plan.summary());
    let out = stack.up(&engine, &p, &RunOptions::default(), yes).await.unwrap();
    assert!(out.summary.succeeded(), "{:?}", out.summary);
    let objects = cloud.objects();
    let dist = objects.values().find(|o| o.token == "aws:cloudfront/distribution:Distribution").unwrap();
    assert!(dist.properties["domainName"].as_str().unwrap().ends_with(".cloudfront.net"));
    assert_eq!(dist.properties["hostedZoneId"], serde_json::json!("Z2FDTNDATAQYW2"));
    let status = objects.values().find(|o| o.token == "aws:cfg/recorderStatus:RecorderStatus").unwrap();
    assert_eq!(status.properties["name"], serde_json::json!("default"), "an unnamed recorder is `default`");
    assert!(!stack.preview(&engine, &p, &[]).await.unwrap().summary().has_changes());

    let out = stack.destroy(&engine, &RunOptions::default(), yes).await.unwrap();
    assert!(out.summary.succeeded(), "{:?}", out.summary);
    assert!(cloud.objects().is_empty(), "{:?}", cloud.objects().keys().collect::<Vec<_>>());
}

#[tokio::test]
async fn a_delete_first_replacement_deletes_its_dependents_first_and_recreates_them_after() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, cloud) = memory_engine(MemoryCloud::new());
    let stack = stack_in(dir.path(), "dev");
    stack.up(&engine, &role_with_policy("/"), &RunOptions::default(), yes).await.unwrap();

    // The named role must go before its replacement can exist, and the policy
    // names it: Pulumi replaces both, the policy deleted first.
    let changed = role_with_policy("/svc/");
    let plan = stack.preview(&engine, &changed, &[]).await.unwrap();
    assert_eq!(plan.summary().replace, 2, "{:?}", plan.summary());
    let (opts, events) = recording(8);
    let outcome = stack.up(&engine, &changed, &opts, yes).await.unwrap();
    assert!(outcome.summary.succeeded(), "{:?}", outcome.summary);
    assert_eq!(outcome.summary.changes.replace, 2, "{:?}", outcome.summary);

    let events = events.lock().unwrap().clone();
    let index = |want: &dyn Fn(&Event) -> bool| events.iter().position(want).unwrap();
    let policy_deleted =
        index(&|e| matches!(e, Event::StepDone { urn, op: StepOp::Delete, .. } if urn.name() == "policy"));
    let role_replaced =
        index(&|e| matches!(e, Event::StepDone { urn, op: StepOp::Replace, .. } if urn.name() == "role"));
    let policy_replaced =
        index(&|e| matches!(e, Event::StepDone { urn, op: StepOp::Replace, .. } if urn.name() == "policy"));
    assert!(policy_deleted < role_replaced && role_replaced < policy_replaced, "{events:?}");
    assert!(events.iter().any(|e| matches!(e, Event::Notice(n) if n.contains("must be replaced because"))));

    let objects = cloud.objects();
    assert_eq!(objects.len(), 2, "the role and its policy, re-created: {:?}", objects.keys().collect::<Vec<_>>());
    let role = outcome.snapshot.live_resources().find(|r| r.urn.name() == "role").unwrap();
    assert_eq!(role.inputs["path"], Value::from("/svc/"));
    assert!(!stack.preview(&engine, &changed, &[]).await.unwrap().summary().has_changes());
}

/// A VPC and a named security group in it.
fn vpc_and_group() -> tapctl::Program {
    let mut p = tapctl::Program::new("demo", "dev", props(&[("region", "us-east-1".into())]));
    let root = p.root();
    let vpc = p
        .resource(
            &root,
            "aws:ec2/vpc:Vpc",
            "vpc",
            props(&[("cidrBlock", "10.0.0.0/16".into())]),
            ResourceOptions::default(),
        )
        .unwrap();
    p.resource(
        &root,
        "aws:ec2/securityGroup:SecurityGroup",
        "sg",
        props(&[("vpcId", vpc.id()), ("name", "demo-sg".into()), ("description", "demo".into())]),
        ResourceOptions::default(),
    )
    .unwrap();
    p
}

#[tokio::test]
async fn a_create_that_fails_after_the_resource_exists_is_recorded_then_finished_or_destroyed() {
    use tapctl::provider::{ErrorKind, ProviderError};
    let fault = || Fault {
        name: Some("sg".into()),
        token: None,
        op: Op::AfterCreate,
        error: ProviderError::new(ErrorKind::Permanent, "InvalidGroup.NotFound", "The security group does not exist"),
        times: 1,
    };
    for finish in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let (engine, cloud) = memory_engine(MemoryCloud::new());
        let stack = stack_in(dir.path(), "dev");
        cloud.inject(fault());
        let failed = stack.up(&engine, &vpc_and_group(), &RunOptions::default(), yes).await.unwrap();
        assert_eq!(failed.summary.failures.len(), 1, "{:?}", failed.summary);
        assert!(failed.summary.failures[0].message.contains("was created, but"), "{:?}", failed.summary);
        let sg = failed.snapshot.live_resources().find(|r| r.urn.name() == "sg").expect("recorded, not orphaned");
        assert!(sg.partially_created() && sg.id.is_some());
        let export = serde_json::to_value(failed.snapshot.to_deployment(None, None).unwrap()).unwrap();
        let rec = export["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["urn"].as_str().unwrap().ends_with("::sg"))
            .unwrap();
        assert!(rec["initErrors"][0].as_str().unwrap().contains("InvalidGroup.NotFound"), "as Pulumi writes it: {rec}");
        assert_eq!(cloud.objects().len(), 2);

        if finish {
            let plan = stack.preview(&engine, &vpc_and_group(), &[]).await.unwrap();
            assert_eq!(plan.summary().replace, 1, "the partial one is made again");
            let done = stack.up(&engine, &vpc_and_group(), &RunOptions::default(), yes).await.unwrap();
            assert!(done.summary.succeeded(), "{:?}", done.summary);
            assert!(done.snapshot.live_resources().all(|r| !r.partially_created()));
            assert_eq!(cloud.objects().len(), 2, "the half-made group was replaced, not duplicated");
        }
        let destroyed = stack.destroy(&engine, &RunOptions::default(), yes).await.unwrap();
        assert!(destroyed.summary.succeeded(), "{:?}", destroyed.summary);
        assert!(cloud.objects().is_empty(), "nothing left: {:?}", cloud.objects().keys().collect::<Vec<_>>());
    }
}
