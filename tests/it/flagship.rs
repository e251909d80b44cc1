//! The flagship stack's shape, as seed 000 and its failure list demand,
//! checked on the state an `up` on the in-memory cloud records (inputs
//! resolved): placement, the security-group chain, the database's managed
//! password, least-privilege policies, name limits, alarm names, tags, and the
//! dev/prod differences.

use tapctl::engine::RunOptions;
use tapctl::model::Value;
use tapctl::provider::memory::MemoryCloud;
use tapctl::state::Snapshot;

use crate::common::{flagship, input, memory_engine, of_type, one, stack_in, strings, yes};

async fn up(stack: &str, config: &[(&str, Value)]) -> Snapshot {
    let dir = tempfile::tempdir().unwrap();
    let (engine, _) = memory_engine(MemoryCloud::new());
    let out =
        stack_in(dir.path(), stack).up(&engine, &flagship(stack, config), &RunOptions::default(), yes).await.unwrap();
    assert!(out.summary.succeeded(), "{:?}", out.summary);
    out.snapshot
}

#[tokio::test]
async fn placement_security_chain_and_least_privilege() {
    let s = up("dev", &[]).await;
    let subnets = |public: bool| -> Vec<String> {
        of_type(&s, "aws:ec2/subnet:Subnet")
            .into_iter()
            .filter(|r| r.inputs["mapPublicIpOnLaunch"] == Value::from(public))
            .map(|r| r.id.clone().unwrap())
            .collect()
    };
    let (public, private) = (subnets(true), subnets(false));
    assert_eq!(public.len(), 3);
    assert_eq!(private.len(), 3);

    let alb = one(&s, "alb");
    assert_eq!(strings(input(alb, "subnets")), public, "the ALB sits in the public subnets");
    assert_eq!(input(alb, "internal"), &Value::from(false));
    for svc in of_type(&s, "aws:ecs/service:Service") {
        let net = input(svc, "networkConfiguration").as_object().unwrap();
        assert_eq!(strings(&net["subnets"]), private, "services run in the private subnets");
        assert_eq!(net["assignPublicIp"], Value::from(false));
        assert_eq!(svc.inputs["deploymentCircuitBreaker"], Value::object([("enable", true), ("rollback", true)]));
        assert_eq!(svc.inputs["deploymentMaximumPercent"], Value::from(200));
        assert_eq!(svc.inputs["deploymentMinimumHealthyPercent"], Value::from(100));
        assert_eq!(svc.inputs["launchType"], Value::from("FARGATE"));
    }
    // One NAT gateway per zone, each in a public subnet.
    let nats = of_type(&s, "aws:ec2/natGateway:NatGateway");
    assert_eq!(nats.len(), 3);
    assert!(nats.iter().all(|n| public.contains(&input(n, "subnetId").as_str().unwrap().to_string())));

    // ALB -> ECS on the container port -> DB on 5432, nothing else inbound.
    let sg = |name: &str| one(&s, name).id.clone().unwrap();
    let (alb_sg, ecs_sg, db_sg) = (sg("alb-sg"), sg("ecs-sg"), sg("db-sg"));
    let ingress: Vec<(String, i64, String)> = of_type(&s, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        .iter()
        .map(|r| {
            let peer = r
                .inputs
                .get("referencedSecurityGroupId")
                .or(r.inputs.get("cidrIpv4"))
                .unwrap()
                .as_str()
                .unwrap()
                .to_string();
            (
                r.inputs["securityGroupId"].as_str().unwrap().to_string(),
                r.inputs["fromPort"].as_f64().unwrap() as i64,
                peer,
            )
        })
        .collect();
    assert!(ingress.contains(&(ecs_sg.clone(), 80, alb_sg.clone())));
    assert!(ingress.contains(&(db_sg.clone(), 5432, ecs_sg.clone())));
    assert_eq!(ingress.iter().filter(|(g, ..)| g == &db_sg).count(), 1, "the DB admits only the ECS tasks");
    assert_eq!(ingress.iter().filter(|(g, ..)| g == &ecs_sg).count(), 1, "the tasks admit only the ALB");
    assert!(ingress.iter().filter(|(_, _, peer)| peer == "0.0.0.0/0").all(|(g, ..)| g == &alb_sg));

    // The database: encrypted, AWS-managed password, private.
    let cluster = one(&s, "aurora-cluster");
    assert_eq!(input(cluster, "storageEncrypted"), &Value::from(true));
    assert_eq!(input(cluster, "manageMasterUserPassword"), &Value::from(true));
    assert!(!cluster.inputs.contains_key("masterPassword"));
    assert_eq!(strings(input(cluster, "vpcSecurityGroupIds")), vec![db_sg.clone()]);
    for i in of_type(&s, "aws:rds/clusterInstance:ClusterInstance") {
        assert_eq!(i.inputs["instanceClass"], Value::from("db.serverless"));
        assert_eq!(i.inputs["publiclyAccessible"], Value::from(false));
    }
    let state_text = serde_json::to_string(&s.to_deployment(None, None).unwrap()).unwrap();
    assert!(!state_text.to_lowercase().contains("masterpassword"), "no password anywhere in state");

    // Inline policies name exact ARNs: no wildcard resources.
    let secret_arn = cluster.outputs["masterUserSecrets"].as_array().unwrap()[0].as_object().unwrap()["secretArn"]
        .as_str()
        .unwrap()
        .to_string();
    for policy in of_type(&s, "aws:iam/rolePolicy:RolePolicy") {
        let doc: serde_json::Value = serde_json::from_str(input(policy, "policy").as_str().unwrap()).unwrap();
        for st in doc["Statement"].as_array().unwrap() {
            for res in st["Resource"].as_array().unwrap() {
                let res = res.as_str().unwrap();
                assert!(res.starts_with("arn:aws:") && res != "*" && !res.ends_with(":*:*"), "{res}");
            }
        }
        assert!(doc.to_string().contains(&secret_arn), "the DB secret ARN itself is granted");
    }
}

#[tokio::test]
async fn names_fit_limits_alarms_are_named_and_every_taggable_resource_is_tagged() {
    let s = up("dev", &[("tap:tags", Value::object([("CostCenter", "42")]))]).await;
    for tg in of_type(&s, "aws:lb/targetGroup:TargetGroup") {
        assert!(input(tg, "name").as_str().unwrap().len() <= 32);
    }
    assert!(input(one(&s, "alb"), "name").as_str().unwrap().len() <= 32);
    assert!(input(one(&s, "aurora-cluster"), "clusterIdentifier").as_str().unwrap().len() <= 63);
    for role in of_type(&s, "aws:iam/role:Role") {
        assert!(input(role, "name").as_str().unwrap().len() <= 64);
    }
    let alarms = of_type(&s, "aws:cloudwatch/metricAlarm:MetricAlarm");
    assert_eq!(alarms.len(), 6, "CPU per colour, ALB 5xx, unhealthy hosts per colour, DB connections");
    for a in &alarms {
        let name = input(a, "name").as_str().unwrap();
        assert!(name.starts_with("tap-dev-"), "{name}");
        assert!(!strings(input(a, "alarmActions")).is_empty());
    }
    let mut tagged = 0;
    for r in s.resources.iter().filter(|r| r.custom) {
        let Some(kind) = tapctl::provider::kind(r.type_token()) else { continue };
        if !kind.taggable {
            continue;
        }
        let tags = r.inputs.get("tags").and_then(Value::as_object).unwrap_or_else(|| panic!("{} has no tags", r.urn));
        for (k, v) in [("Project", "tap"), ("Environment", "dev"), ("ManagedBy", "tapctl"), ("CostCenter", "42")] {
            assert_eq!(tags.get(k), Some(&Value::from(v)), "{} tag {k}", r.urn);
        }
        tagged += 1;
    }
    assert!(tagged > 50, "{tagged}");
    // Components hang under the stack's root component.
    let components: Vec<&str> = s.resources.iter().filter(|r| !r.custom).map(|r| r.type_token()).collect();
    for c in [
        "tap:stack:TapStack",
        "tap:components:Networking",
        "tap:components:Security",
        "tap:components:Database",
        "tap:components:Ecs",
        "tap:components:Monitoring",
    ] {
        assert!(components.contains(&c), "{c}");
    }
}

#[tokio::test]
async fn dev_and_prod_differ_as_the_seeds_say() {
    let dev = up("dev", &[]).await;
    let prod = up("prod", &[("tap:environment", "prod".into()), ("tap:deletionProtection", false.into())]).await;
    let cluster = |s: &Snapshot| one(s, "aurora-cluster").inputs.clone();
    let (d, p) = (cluster(&dev), cluster(&prod));
    assert_eq!(d["backupRetentionPeriod"], Value::from(7));
    assert_eq!(p["backupRetentionPeriod"], Value::from(30));
    assert_eq!(d["skipFinalSnapshot"], Value::from(true));
    assert_eq!(p["skipFinalSnapshot"], Value::from(false));
    assert!(p.contains_key("finalSnapshotIdentifier") && !d.contains_key("finalSnapshotIdentifier"));
    let instances = |s: &Snapshot| of_type(s, "aws:rds/clusterInstance:ClusterInstance").len();
    assert_eq!((instances(&dev), instances(&prod)), (1, 2));
    let pi = |s: &Snapshot| one(s, "aurora-instance-1").inputs["performanceInsightsEnabled"].clone();
    assert_eq!(pi(&dev), Value::from(false));
    assert_eq!(pi(&prod), Value::from(true));
    assert_eq!(one(&prod, "aurora-instance-1").inputs["monitoringInterval"], Value::from(60));
    assert!(prod.resources.iter().any(|r| r.urn.name() == "rds-monitoring-role"));
    assert!(!dev.resources.iter().any(|r| r.urn.name() == "rds-monitoring-role"));
}

#[tokio::test]
async fn fewer_than_two_zones_is_refused_before_any_call() {
    let config =
        tapctl::config::StackConfig::new([("aws:region".to_string(), Value::from("us-east-1"))].into_iter().collect());
    let err = tapctl::programs::build(
        "blue-green",
        &tapctl::programs::ProgramContext {
            project: "tap",
            stack: "dev",
            config: &config,
            availability_zones: vec!["us-east-1a".into()],
            environment_suffix: None,
            aws_region: None,
            account_id: Some("123456789012".into()),
        },
    )
    .map(|b| b.program)
    .unwrap_err()
    .to_string();
    assert!(err.contains("aws:region") && err.contains("at least 2"), "{err}");
}

struct TestSwitch<'a> {
    stack: &'a tapctl::stack::Stack,
    engine: &'a tapctl::Engine,
    listener: tapctl::Urn,
    /// Forces this alarm into ALARM after the first step (a bad deploy).
    trip: Option<(std::sync::Arc<MemoryCloud>, String)>,
    steps: std::sync::Mutex<Vec<tapctl::shift::Weights>>,
}

#[async_trait::async_trait]
impl tapctl::shift::TrafficSwitch for TestSwitch<'_> {
    async fn set(&self, w: tapctl::shift::Weights) -> Result<(), String> {
        let program = flagship("dev", &[("tap:blueWeight", w.blue.into()), ("tap:greenWeight", w.green.into())]);
        let opts = RunOptions { targets: vec![self.listener.clone()], ..RunOptions::default() };
        let out = self.stack.up(self.engine, &program, &opts, yes).await.map_err(|e| e.to_string())?;
        assert_eq!(out.summary.changes.update, 1, "a step updates the listener and nothing else");
        assert_eq!(out.summary.changes.create + out.summary.changes.replace + out.summary.changes.delete, 0);
        let mut steps = self.steps.lock().unwrap();
        steps.push(w);
        if let Some((cloud, alarm)) = &self.trip {
            cloud.set_alarm_state(alarm, "ALARM");
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_shift_moves_only_the_listener_and_rolls_back_when_an_alarm_fires() {
    use tapctl::shift::{run, Colour, ShiftOutcome, ShiftPlan, Weights};
    let dir = tempfile::tempdir().unwrap();
    let (engine, cloud) = memory_engine(MemoryCloud::new());
    let stack = stack_in(dir.path(), "dev");
    let built = |cfg: &[(&str, Value)]| {
        let config = tapctl::config::StackConfig::new(
            std::iter::once(("aws:region".to_string(), Value::from("us-east-1")))
                .chain(cfg.iter().map(|(k, v)| (k.to_string(), v.clone())))
                .collect(),
        );
        tapctl::programs::build(
            "blue-green",
            &tapctl::programs::ProgramContext {
                project: "tap",
                stack: "dev",
                config: &config,
                availability_zones: vec!["us-east-1a".into(), "us-east-1b".into()],
                environment_suffix: None,
                aws_region: None,
                account_id: Some("123456789012".into()),
            },
        )
        .unwrap()
    };
    let traffic = built(&[]).traffic.unwrap();
    let listener_urn = traffic.control.targets()[0].clone();
    stack.up(&engine, &flagship("dev", &[]), &RunOptions::default(), yes).await.unwrap();
    let blue = Weights { blue: 100, green: 0 };
    let plan = ShiftPlan::new(Colour::Green, vec![10, 50, 100], std::time::Duration::ZERO).unwrap();
    let alarm = traffic.watch_alarms.iter().find(|a| a.contains("5xx")).unwrap().clone();
    let switch = TestSwitch {
        stack: &stack,
        engine: &engine,
        listener: listener_urn.clone(),
        trip: Some((cloud.clone(), alarm.clone())),
        steps: Default::default(),
    };
    let out = run(
        &plan,
        blue,
        &switch,
        cloud.as_ref(),
        &traffic.watch_alarms,
        &tapctl::Cancel::new(),
        &tapctl::engine::no_events(),
    )
    .await
    .unwrap();
    let ShiftOutcome::RolledBack { to, reason } = out else { panic!("{out:?}") };
    assert_eq!(to, blue);
    assert!(reason.contains(&alarm), "{reason}");
    assert_eq!(*switch.steps.lock().unwrap(), vec![Weights { blue: 90, green: 10 }, blue]);
    let listener = stack.snapshot().unwrap().live(&listener_urn).unwrap().inputs["defaultActions"].clone();
    assert!(listener.display().contains("weight: 100"), "state records the restored weights: {}", listener.display());

    // With the alarm quiet again, the full shift completes.
    cloud.set_alarm_state(&alarm, "OK");
    let switch = TestSwitch {
        stack: &stack,
        engine: &engine,
        listener: listener_urn.clone(),
        trip: None,
        steps: Default::default(),
    };
    let out = run(
        &plan,
        blue,
        &switch,
        cloud.as_ref(),
        &traffic.watch_alarms,
        &tapctl::Cancel::new(),
        &tapctl::engine::no_events(),
    )
    .await
    .unwrap();
    assert_eq!(out, ShiftOutcome::Completed(Weights { blue: 0, green: 100 }));
}
