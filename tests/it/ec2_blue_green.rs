//! The EC2 blue-green migration (seed 003) on the in-memory cloud: the shape
//! its failure list demands, checked on the state an `up` records (inputs
//! resolved) — HTTPS-only entry and the security-group chain, target groups,
//! IMDSv2 and encrypted volumes, fleets across three zones, weighted records
//! with a 60 s TTL, the MySQL instance and its managed secret, cross-region
//! replication through a second provider, least-privilege policies, alarms,
//! tags and outputs — then a shift that moves only the two records and
//! records the migration phase, a snapshot restore, and config refused
//! before any cloud call with the key named.

use std::collections::BTreeMap;

use tapctl::config::StackConfig;
use tapctl::engine::RunOptions;
use tapctl::model::{Urn, Value};
use tapctl::programs::{self, Built, ProgramContext};
use tapctl::provider::memory::MemoryCloud;
use tapctl::shift::{run, Colour, ShiftOutcome, ShiftPlan, TrafficControl, Weights};
use tapctl::state::{Snapshot, StateResource};

use crate::common::{input, memory_engine, of_type, one, stack_in, stack_outputs, strings, text, yes};

const CERT: &str = "arn:aws:acm:us-east-1:123456789012:certificate/0c8a5f0e-1111-2222-3333-444455556666";

fn config(extra: &[(&str, Value)]) -> StackConfig {
    let mut values: BTreeMap<String, Value> = [
        ("aws:region", Value::from("us-east-1")),
        ("tap:accountId", "123456789012".into()),
        ("tap:amiId", "ami-12c6146b".into()),
        ("tap:certificateArn", CERT.into()),
        ("tap:domainName", "ec2bg-dev.example.com".into()),
        ("tap:alertEmail", "alerts@example.com".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for (k, v) in extra {
        values.insert(k.to_string(), v.clone());
    }
    StackConfig::new(values)
}

fn try_build(extra: &[(&str, Value)], zones: usize) -> Result<Built, String> {
    let config = config(extra);
    let zones: Vec<String> = ["a", "b", "c", "d"].iter().take(zones).map(|z| format!("us-east-1{z}")).collect();
    programs::build(
        "ec2-blue-green",
        &ProgramContext {
            project: "ec2bg",
            stack: "dev",
            config: &config,
            availability_zones: zones,
            environment_suffix: None,
            aws_region: None,
            account_id: Some("123456789012".into()),
        },
    )
    .map_err(|e| e.to_string())
}

fn build(extra: &[(&str, Value)]) -> Built {
    try_build(extra, 3).expect("the program builds")
}

async fn up(extra: &[(&str, Value)]) -> Snapshot {
    let dir = tempfile::tempdir().unwrap();
    let (engine, _) = memory_engine(MemoryCloud::new());
    let out =
        stack_in(dir.path(), "dev").up(&engine, &build(extra).program, &RunOptions::default(), yes).await.unwrap();
    assert!(out.summary.succeeded(), "{:?}", out.summary);
    out.snapshot
}

#[tokio::test]
async fn https_entry_security_chain_fleets_and_launch_templates() {
    let s = up(&[]).await;
    let subnets = |public: bool| -> Vec<String> {
        of_type(&s, "aws:ec2/subnet:Subnet")
            .into_iter()
            .filter(|r| r.inputs["mapPublicIpOnLaunch"] == Value::from(public))
            .map(|r| r.id.clone().unwrap())
            .collect()
    };
    let (public, private) = (subnets(true), subnets(false));
    assert_eq!((public.len(), private.len()), (3, 3), "three zones");
    assert_eq!(of_type(&s, "aws:ec2/natGateway:NatGateway").len(), 3, "a NAT gateway per zone");

    // Only HTTPS reaches the load balancers; 8080 only from them; 3306 only from the app.
    let sg = |name: &str| one(&s, name).id.clone().unwrap();
    let (alb_sg, app_sg, db_sg) = (sg("alb-sg"), sg("app-sg"), sg("db-sg"));
    let ingress: Vec<(String, i64, String)> = of_type(&s, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        .iter()
        .map(|r| {
            let peer = r.inputs.get("referencedSecurityGroupId").or(r.inputs.get("cidrIpv4")).unwrap();
            (
                text(r, "securityGroupId").to_string(),
                input(r, "fromPort").as_f64().unwrap() as i64,
                peer.as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        ingress.iter().cloned().collect::<std::collections::BTreeSet<_>>(),
        [
            (alb_sg.clone(), 443, "0.0.0.0/0".to_string()),
            (app_sg.clone(), 8080, alb_sg.clone()),
            (db_sg.clone(), 3306, app_sg.clone())
        ]
        .into_iter()
        .collect(),
        "internet HTTPS only, app 8080 from the ALB only, DB 3306 from the app only"
    );

    // One ALB per colour, in the public subnets, with an HTTPS listener on the certificate.
    let albs = of_type(&s, "aws:lb/loadBalancer:LoadBalancer");
    assert_eq!(albs.len(), 2);
    for alb in &albs {
        assert_eq!(strings(input(alb, "subnets")), public);
        assert_eq!(strings(input(alb, "securityGroups")), vec![alb_sg.clone()]);
        assert!(text(alb, "name").len() <= 32);
    }
    let listeners = of_type(&s, "aws:lb/listener:Listener");
    assert_eq!(listeners.len(), 2);
    for l in &listeners {
        assert_eq!(input(l, "port"), &Value::from(443));
        assert_eq!(text(l, "protocol"), "HTTPS");
        assert_eq!(text(l, "certificateArn"), CERT);
        assert!(text(l, "sslPolicy").starts_with("ELBSecurityPolicy-TLS13"));
    }
    for colour in ["blue", "green"] {
        let tg = one(&s, &format!("{colour}-tg"));
        assert!(text(tg, "name").len() <= 32);
        assert_eq!(input(tg, "port"), &Value::from(8080));
        assert_eq!(input(tg, "deregistrationDelay"), &Value::from(30));
        assert_eq!(input(tg, "healthCheck").as_object().unwrap()["path"], Value::from("/health"));
        let action = input(one(&s, &format!("{colour}-https")), "defaultActions").as_array().unwrap()[0].clone();
        assert_eq!(
            action.as_object().unwrap()["targetGroupArn"],
            tg.outputs["arn"],
            "{colour} listener forwards to its group"
        );
    }

    // Launch templates: IMDSv2 required, EBS encrypted with the rotating key.
    let key = one(&s, "key");
    assert_eq!(input(key, "enableKeyRotation"), &Value::from(true));
    let key_policy: serde_json::Value = serde_json::from_str(text(key, "policy")).unwrap();
    let ebs = &key_policy["Statement"][1];
    assert_eq!(ebs["Condition"]["StringEquals"]["kms:ViaService"], "ec2.us-east-1.amazonaws.com");
    assert_eq!(ebs["Condition"]["StringEquals"]["kms:CallerAccount"], "123456789012");
    assert!(ebs["Action"].as_array().unwrap().iter().any(|a| a == "kms:CreateGrant"), "Auto Scaling grants to EC2");
    let key_arn = key.outputs["arn"].clone();
    let mut types = Vec::new();
    for lt in of_type(&s, "aws:ec2/launchTemplate:LaunchTemplate") {
        let md = input(lt, "metadataOptions").as_object().unwrap();
        assert_eq!(md["httpTokens"], Value::from("required"), "IMDSv2");
        assert_eq!(md["httpPutResponseHopLimit"], Value::from(1));
        let bdm = input(lt, "blockDeviceMappings").as_array().unwrap()[0].as_object().unwrap()["ebs"].clone();
        let ebs = bdm.as_object().unwrap();
        assert_eq!(ebs["encrypted"], Value::from("true"));
        assert_eq!(ebs["kmsKeyId"], key_arn);
        assert_eq!(strings(input(lt, "vpcSecurityGroupIds")), vec![app_sg.clone()]);
        assert_eq!(
            input(lt, "iamInstanceProfile").as_object().unwrap()["name"],
            one(&s, "instance-profile").outputs["name"]
        );
        assert!(!text(lt, "userData").is_empty());
        types.push(text(lt, "instanceType").to_string());
    }
    assert_eq!(types, ["t3.micro", "m5.large"], "blue on t3.micro, green on m5.large");

    // Auto Scaling groups across the three private subnets, each with its CPU policy.
    for colour in ["blue", "green"] {
        let asg = one(&s, &format!("{colour}-asg"));
        assert_eq!(strings(input(asg, "vpcZoneIdentifiers")), private);
        assert_eq!(
            strings(input(asg, "targetGroupArns")),
            vec![one(&s, &format!("{colour}-tg")).outputs["arn"].as_str().unwrap().to_string()]
        );
        assert_eq!(text(asg, "healthCheckType"), "ELB");
        let lt = input(asg, "launchTemplate").as_object().unwrap();
        assert_eq!(lt["id"].as_str(), one(&s, &format!("{colour}-lt")).id.as_deref());
        let policy = one(&s, &format!("{colour}-cpu"));
        assert_eq!(text(policy, "autoscalingGroupName"), text(asg, "name"));
        assert_eq!(text(policy, "policyType"), "TargetTrackingScaling");
        let tracking = input(policy, "targetTrackingConfiguration").as_object().unwrap();
        assert_eq!(
            tracking["predefinedMetricSpecification"].as_object().unwrap()["predefinedMetricType"],
            Value::from("ASGAverageCPUUtilization")
        );
    }
}

#[tokio::test]
async fn weighted_records_database_replication_and_least_privilege() {
    let s = up(&[]).await;
    // Route 53: one zone, two weighted CNAMEs of one name, TTL 60, 100/0 to start.
    assert_eq!(of_type(&s, "aws:route53/zone:Zone").len(), 1);
    let records = of_type(&s, "aws:route53/record:Record");
    assert_eq!(records.len(), 2);
    for (r, (colour, weight)) in records.iter().zip([("blue", 100), ("green", 0)]) {
        assert_eq!(text(r, "name"), "app.ec2bg-dev.example.com");
        assert_eq!(text(r, "type"), "CNAME");
        assert_eq!(input(r, "ttl"), &Value::from(60));
        assert_eq!(text(r, "setIdentifier"), colour);
        assert_eq!(input(r, "weightedRoutingPolicies"), &Value::Array(vec![Value::object([("weight", weight)])]));
        let alb_dns = one(&s, &format!("{colour}-alb")).outputs["dnsName"].clone();
        assert_eq!(input(r, "records"), &Value::Array(vec![alb_dns]), "{colour} points at its own load balancer");
    }

    // RDS for MySQL 8.0: Multi-AZ, encrypted, private, AWS-managed password.
    let db = one(&s, "mysql");
    assert_eq!(text(db, "engine"), "mysql");
    assert_eq!(text(db, "engineVersion"), "8.0");
    assert_eq!(input(db, "multiAz"), &Value::from(true));
    assert_eq!(input(db, "storageEncrypted"), &Value::from(true));
    assert_eq!(input(db, "kmsKeyId"), &one(&s, "key").outputs["arn"]);
    assert_eq!(input(db, "publiclyAccessible"), &Value::from(false));
    assert_eq!(input(db, "manageMasterUserPassword"), &Value::from(true));
    assert_eq!(strings(input(db, "vpcSecurityGroupIds")), vec![one(&s, "db-sg").id.clone().unwrap()]);
    assert!(!db.inputs.contains_key("snapshotIdentifier"));
    // Enhanced monitoring runs under its own role, attached before the instance names it.
    let monitoring_role = one(&s, "rds-monitoring-role");
    assert_eq!(input(db, "monitoringInterval"), &Value::from(60));
    assert_eq!(input(db, "monitoringRoleArn"), &monitoring_role.outputs["arn"]);
    assert!(text(monitoring_role, "assumeRolePolicy").contains("monitoring.rds.amazonaws.com"));
    assert!(db.dependencies.contains(&one(&s, "rds-monitoring-policy").urn));
    let state_text = serde_json::to_string(&s.to_deployment(None, None).unwrap()).unwrap();
    assert!(!state_text.contains("\"password\""), "no password anywhere in state");

    // Two providers: the default one and the replica's region.
    let providers = of_type(&s, "pulumi:providers:aws");
    assert_eq!(providers.len(), 2);
    let replica_provider = providers.iter().find(|p| p.urn.name() == "replica").expect("the replica provider");
    assert_eq!(text(replica_provider, "region"), "us-west-2");
    let bound_to_replica =
        |r: &StateResource| r.provider.as_deref().is_some_and(|p| p.starts_with(&replica_provider.urn.to_string()));
    let replica = one(&s, "logs-replica");
    assert!(bound_to_replica(replica), "the replica bucket is in the second region");
    assert!(!bound_to_replica(one(&s, "logs")));
    for suffix in ["versioning", "encryption", "public-access-block", "tls-only", "lifecycle"] {
        assert!(bound_to_replica(one(&s, &format!("logs-replica-{suffix}"))), "{suffix}");
        assert!(!bound_to_replica(one(&s, &format!("logs-{suffix}"))), "{suffix}");
    }
    for v in of_type(&s, "aws:s3/bucketVersioning:BucketVersioning") {
        assert_eq!(input(v, "versioningConfiguration").as_object().unwrap()["status"], Value::from("Enabled"));
    }
    assert_eq!(
        of_type(&s, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").len(),
        2
    );
    let replication = one(&s, "logs-replication");
    assert_eq!(input(replication, "bucket").as_str(), one(&s, "logs").id.as_deref());
    assert_eq!(input(replication, "role"), &one(&s, "replication-role").outputs["arn"]);
    let rule = input(replication, "rules").as_array().unwrap()[0].as_object().unwrap().clone();
    assert_eq!(rule["status"], Value::from("Enabled"));
    assert_eq!(rule["destination"].as_object().unwrap()["bucket"], replica.outputs["arn"]);

    // Inline policies name exact ARNs: no wildcard resources.
    let policies = of_type(&s, "aws:iam/rolePolicy:RolePolicy");
    assert_eq!(policies.len(), 2, "the instances' and the replication role's");
    for policy in policies {
        let doc: serde_json::Value = serde_json::from_str(text(policy, "policy")).unwrap();
        for st in doc["Statement"].as_array().unwrap() {
            for res in st["Resource"].as_array().unwrap() {
                let res = res.as_str().unwrap();
                assert!(res.starts_with("arn:aws:") && !res.contains(":*") && res != "*", "{res}");
            }
        }
    }
    let instance_policy = text(one(&s, "instance-policy"), "policy").to_string();
    assert!(instance_policy.contains(db.outputs["arn"].as_str().unwrap()), "rds:Describe on the one instance");
    let secret = db.outputs["masterUserSecrets"].as_array().unwrap()[0].as_object().unwrap()["secretArn"].clone();
    assert!(instance_policy.contains(secret.as_str().unwrap()), "the DB secret ARN itself is granted");
    assert!(instance_policy.contains(&format!("{}/app/*", one(&s, "logs").outputs["arn"].as_str().unwrap())));
}

#[tokio::test]
async fn alarms_tags_and_every_output() {
    let s = up(&[("tap:tags", Value::object([("CostCenter", "42")]))]).await;
    let alarms = of_type(&s, "aws:cloudwatch/metricAlarm:MetricAlarm");
    let metrics: Vec<(&str, &str)> = alarms.iter().map(|a| (text(a, "namespace"), text(a, "metricName"))).collect();
    for needed in [
        ("AWS/EC2", "CPUUtilization"),
        ("AWS/RDS", "DatabaseConnections"),
        ("AWS/RDS", "CPUUtilization"),
        ("AWS/ApplicationELB", "UnHealthyHostCount"),
        ("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count"),
    ] {
        assert!(metrics.contains(&needed), "{needed:?} in {metrics:?}");
    }
    assert_eq!(alarms.len(), 8);
    let topic = one(&s, "alerts").outputs["arn"].clone();
    for a in &alarms {
        assert!(text(a, "name").starts_with("ec2bg-dev-"));
        assert_eq!(input(a, "alarmActions"), &Value::Array(vec![topic.clone()]));
    }
    assert_eq!(text(one(&s, "alerts-email"), "endpoint"), "alerts@example.com");

    let mut tagged = 0;
    for r in s.resources.iter().filter(|r| r.custom) {
        let Some(kind) = tapctl::provider::kind(r.type_token()) else { continue };
        if !kind.taggable {
            continue;
        }
        let tags: BTreeMap<String, Value> = match r.inputs.get("tags") {
            Some(Value::Object(o)) => o.clone(),
            // Auto Scaling groups take a list of {key, value, propagateAtLaunch}.
            Some(Value::Array(list)) => list
                .iter()
                .map(|t| {
                    let t = t.as_object().unwrap();
                    assert_eq!(t["propagateAtLaunch"], Value::from(true), "{}", r.urn);
                    (t["key"].as_str().unwrap().to_string(), t["value"].clone())
                })
                .collect(),
            _ => panic!("{} has no tags", r.urn),
        };
        for (k, v) in [("Project", "ec2bg"), ("Environment", "dev"), ("ManagedBy", "tapctl"), ("CostCenter", "42")] {
            assert_eq!(tags.get(k), Some(&Value::from(v)), "{} tag {k}", r.urn);
        }
        tagged += 1;
    }
    assert!(tagged > 40, "{tagged}");

    let out = stack_outputs(&s);
    for key in [
        "vpcId",
        "publicSubnetIds",
        "privateSubnetIds",
        "albSecurityGroupId",
        "appSecurityGroupId",
        "dbSecurityGroupId",
        "kmsKeyId",
        "kmsKeyArn",
        "blueAlbArn",
        "greenAlbDnsName",
        "blueListenerArn",
        "blueTargetGroupArn",
        "greenTargetGroupArn",
        "blueLaunchTemplateId",
        "greenAutoScalingGroupName",
        "greenScalingPolicyArn",
        "instanceRoleArn",
        "route53ZoneId",
        "route53DomainName",
        "dbEndpoint",
        "dbArn",
        "dbSecretArn",
        "logBucketArn",
        "replicaBucketArn",
        "replicationRoleArn",
        "snsTopicArn",
    ] {
        let v = out.get(key).unwrap_or_else(|| panic!("output {key} missing"));
        assert!(
            v.as_str().is_some_and(|x| !x.is_empty()) || v.as_array().is_some_and(|a| a.len() == 3),
            "{key}: {v:?}"
        );
    }
    assert_eq!(out["greenInstanceType"], Value::from("m5.large"));
    assert_eq!(out["migrationPhase"], Value::from("initial"));
    assert_eq!(out["trafficWeights"], Value::object([("blue", 100), ("green", 0)]));
    assert_eq!(out["replicaRegion"], Value::from("us-west-2"));
    assert_eq!(out["dnsTtl"], Value::from(60));
    assert_eq!(out["alarmNames"].as_array().unwrap().len(), 8);
}

struct RecordSwitch<'a> {
    stack: &'a tapctl::stack::Stack,
    engine: &'a tapctl::Engine,
    targets: Vec<Urn>,
    /// Forces this alarm into ALARM after the first step (a bad green fleet).
    trip: Option<(std::sync::Arc<MemoryCloud>, String)>,
    phases: std::sync::Mutex<Vec<Value>>,
}

#[async_trait::async_trait]
impl tapctl::shift::TrafficSwitch for RecordSwitch<'_> {
    async fn set(&self, w: Weights) -> Result<(), String> {
        let program = build(&[("tap:blueWeight", w.blue.into()), ("tap:greenWeight", w.green.into())]).program;
        let opts = RunOptions { targets: self.targets.clone(), ..RunOptions::default() };
        let out = self.stack.up(self.engine, &program, &opts, yes).await.map_err(|e| e.to_string())?;
        assert_eq!(out.summary.changes.update, 2, "a step updates the two records and nothing else");
        assert_eq!(out.summary.changes.create + out.summary.changes.replace + out.summary.changes.delete, 0);
        self.phases.lock().unwrap().push(stack_outputs(&out.snapshot)["migrationPhase"].clone());
        if let Some((cloud, alarm)) = &self.trip {
            cloud.set_alarm_state(alarm, "ALARM");
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_shift_moves_only_the_weighted_records_records_the_phase_and_rolls_back_on_an_alarm() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, cloud) = memory_engine(MemoryCloud::new());
    let stack = stack_in(dir.path(), "dev");
    let built = build(&[]);
    let traffic = built.traffic.clone().expect("the program has a traffic switch");
    let TrafficControl::WeightedRecords { blue, green } = &traffic.control else {
        panic!("the switch is the weighted records: {:?}", traffic.control)
    };
    assert_eq!((blue.name(), green.name()), ("blue-record", "green-record"));
    assert_eq!(traffic.watch_alarms.len(), 4, "5xx and unhealthy targets per colour");
    stack.up(&engine, &built.program, &RunOptions::default(), yes).await.unwrap();

    let start = Weights { blue: 100, green: 0 };
    let plan = ShiftPlan::new(Colour::Green, vec![10, 50, 100], std::time::Duration::ZERO).unwrap();
    let alarm = traffic.watch_alarms.iter().find(|a| a.contains("green-unhealthy")).unwrap().clone();
    let switch = RecordSwitch {
        stack: &stack,
        engine: &engine,
        targets: traffic.control.targets(),
        trip: Some((cloud.clone(), alarm.clone())),
        phases: Default::default(),
    };
    let no_events = tapctl::engine::no_events();
    let out = run(&plan, start, &switch, cloud.as_ref(), &traffic.watch_alarms, &tapctl::Cancel::new(), &no_events)
        .await
        .unwrap();
    let ShiftOutcome::RolledBack { to, reason } = out else { panic!("{out:?}") };
    assert_eq!(to, start);
    assert!(reason.contains(&alarm), "{reason}");
    assert_eq!(*switch.phases.lock().unwrap(), vec![Value::from("canary"), Value::from("initial")]);
    let weight = |urn: &Urn| stack.snapshot().unwrap().live(urn).unwrap().inputs["weightedRoutingPolicies"].clone();
    assert_eq!(weight(green), Value::Array(vec![Value::object([("weight", 0)])]), "the rollback is recorded");

    // With the alarm quiet again, 0 → 10 → 50 → 100 completes.
    cloud.set_alarm_state(&alarm, "OK");
    let switch = RecordSwitch { trip: None, phases: Default::default(), ..switch };
    let out = run(&plan, start, &switch, cloud.as_ref(), &traffic.watch_alarms, &tapctl::Cancel::new(), &no_events)
        .await
        .unwrap();
    assert_eq!(out, ShiftOutcome::Completed(Weights { blue: 0, green: 100 }));
    assert_eq!(
        *switch.phases.lock().unwrap(),
        ["canary", "balanced", "complete"].map(Value::from).to_vec(),
        "the phase is recorded in state at every step"
    );
    assert_eq!(weight(blue), Value::Array(vec![Value::object([("weight", 0)])]));
    assert_eq!(weight(green), Value::Array(vec![Value::object([("weight", 100)])]));
}

#[tokio::test]
async fn a_named_instance_snapshot_restores_the_database() {
    let s = up(&[("tap:dbSnapshotIdentifier", "dev-migration-final".into())]).await;
    let db = one(&s, "mysql");
    assert_eq!(text(db, "snapshotIdentifier"), "dev-migration-final");
    for from_snapshot in ["username", "dbName", "storageEncrypted", "kmsKeyId"] {
        assert!(!db.inputs.contains_key(from_snapshot), "{from_snapshot} comes from the snapshot");
    }
    assert_eq!(input(db, "manageMasterUserPassword"), &Value::from(true));
    assert_eq!(input(db, "multiAz"), &Value::from(true));
    assert_eq!(stack_outputs(&s)["dbRestoredFromSnapshot"], Value::from("dev-migration-final"));
}

/// What is wrong, the config that says so, and what the error must name.
type BadCase = (&'static str, Vec<(&'static str, Value)>, &'static str);

#[test]
fn bad_config_is_refused_before_any_cloud_call_naming_the_key() {
    let cases: Vec<BadCase> = vec![
        ("weights", vec![("tap:blueWeight", 90.into()), ("tap:greenWeight", 20.into())], "sum to 100"),
        ("cidr", vec![("tap:vpcCidr", "10.0.0.0/8".into())], "tap:vpcCidr"),
        ("cidr syntax", vec![("tap:vpcCidr", "10.0.0.300/16".into())], "tap:vpcCidr"),
        ("instance type", vec![("tap:greenInstanceType", "m5large".into())], "tap:greenInstanceType"),
        ("db class", vec![("tap:dbInstanceClass", "t3.micro".into())], "tap:dbInstanceClass"),
        ("mysql 5.7", vec![("tap:dbEngineVersion", "5.7".into())], "tap:dbEngineVersion"),
        (
            "cert region",
            vec![("tap:certificateArn", CERT.replace("us-east-1", "eu-west-1").into())],
            "tap:certificateArn",
        ),
        ("cert shape", vec![("tap:certificateArn", "my-cert".into())], "tap:certificateArn"),
        (
            "cert account",
            vec![("tap:certificateArn", CERT.replace("123456789012", "210987654321").into())],
            "tap:accountId",
        ),
        ("snapshot id", vec![("tap:dbSnapshotIdentifier", "dev--final".into())], "tap:dbSnapshotIdentifier"),
        (
            "cluster snapshot",
            vec![("tap:dbSnapshotIdentifier", "arn:aws:rds:us-east-1:123456789012:cluster-snapshot:dev".into())],
            "tap:dbSnapshotIdentifier",
        ),
        ("same replica region", vec![("tap:replicaRegion", "us-east-1".into())], "tap:replicaRegion"),
        ("account", vec![("tap:accountId", "1234".into())], "tap:accountId"),
        ("ami", vec![("tap:amiId", "ubuntu".into())], "tap:amiId"),
        ("domain", vec![("tap:domainName", "Example.COM".into())], "tap:domainName"),
        ("ttl", vec![("tap:dnsTtl", 300.into())], "tap:dnsTtl"),
        ("app port", vec![("tap:appPort", 443.into())], "tap:appPort"),
        ("sizes", vec![("tap:desiredCapacity", 5.into())], "tap:desiredCapacity"),
        ("username", vec![("tap:dbUsername", "rdsadmin".into())], "tap:dbUsername"),
        ("monitoring", vec![("tap:dbMonitoringInterval", 7.into())], "tap:dbMonitoringInterval"),
        ("typo", vec![("tap:greenWieght", 10.into())], "tap:greenWieght"),
    ];
    for (what, extra, needle) in cases {
        let err = try_build(&extra, 3).map(|_| ()).expect_err(what);
        assert!(err.contains(needle), "{what}: {err}");
    }
    let config = StackConfig::new([("aws:region".to_string(), Value::from("us-east-1"))].into_iter().collect());
    let err = programs::build(
        "ec2-blue-green",
        &ProgramContext {
            project: "ec2bg",
            stack: "dev",
            config: &config,
            availability_zones: vec![],
            environment_suffix: None,
            aws_region: None,
            account_id: None,
        },
    )
    .map(|_| ())
    .unwrap_err()
    .to_string();
    assert!(err.contains("tap:accountId") && err.contains("tapctl config set"), "{err}");
    let err = try_build(&[], 2).map(|_| ()).unwrap_err();
    assert!(err.contains("aws:region") && err.contains("at least 3"), "{err}");
    // An IAM server certificate of the account is accepted too.
    try_build(&[("tap:certificateArn", "arn:aws:iam::123456789012:server-certificate/web".into())], 3).unwrap();
}

/// Every stack file shipped in the project folder validates and builds, its
/// program named by the folder's `deploy.toml`.
#[test]
fn the_project_folders_stacks_build() {
    let built = crate::common::build_project_stacks("ec2-blue-green", "ec2bg", "ec2-blue-green");
    for b in built.values() {
        let weights = b.traffic.as_ref().expect("a traffic switch").weights;
        assert_eq!(weights.blue + weights.green, 100);
    }
    assert!(built.len() >= 2, "dev and prod at least");
}
