//! The highly available web tier (seed 004) on the in-memory cloud: the
//! shape its failure list demands, checked on the state an `up` records
//! (inputs resolved) — subnets, NAT gateways and routes per zone over three
//! zones or two (fewer refused), flow logs under a least-privilege role,
//! NACL rules and associations, the ALB + Auto Scaling tier, the backup
//! bucket's lifecycle, the secret encrypted in state, the SSM parameters,
//! exact ARNs in every policy, one naming pattern and the common tags on
//! every taggable resource — then a preview with no changes and a destroy
//! that leaves the cloud empty.

use std::collections::BTreeMap;

use tapctl::config::StackConfig;
use tapctl::engine::RunOptions;
use tapctl::model::Value;
use tapctl::programs::{self, Built, ProgramContext};
use tapctl::provider::memory::MemoryCloud;
use tapctl::stack::Stack;
use tapctl::state::{Crypter, LocalBackend, Snapshot, StateResource};

use crate::common::{input, json_input, memory_engine, of_type, one, stack_outputs, text, yes};

const CERT: &str = "arn:aws:acm:us-east-1:123456789012:certificate/0c8a5f0e-1111-2222-3333-444455556666";

fn config(extra: &[(&str, Value)]) -> StackConfig {
    let mut values: BTreeMap<String, Value> = [
        ("aws:region", Value::from("us-east-1")),
        ("tap:accountId", "123456789012".into()),
        ("tap:amiId", "ami-12c6146b".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for (k, v) in extra {
        match v {
            Value::Null => values.remove(*k),
            v => values.insert(k.to_string(), v.clone()),
        };
    }
    StackConfig::new(values)
}

/// The program for stack `dev` of project `haweb`, given `zones` zones.
fn try_build(extra: &[(&str, Value)], zones: usize, aws_region: Option<&str>) -> Result<Built, String> {
    let config = config(extra);
    let zones: Vec<String> = ["a", "b", "c", "d"].iter().take(zones).map(|z| format!("us-east-1{z}")).collect();
    programs::build(
        "ha-web",
        &ProgramContext {
            project: "haweb",
            stack: "dev",
            config: &config,
            availability_zones: zones,
            environment_suffix: None,
            aws_region: aws_region.map(str::to_string),
            account_id: Some("123456789012".into()),
        },
    )
    .map_err(|e| e.to_string())
}

fn build(extra: &[(&str, Value)]) -> Built {
    try_build(extra, 3, None).expect("the program builds")
}

/// A stack whose state encrypts secrets (the program has one).
fn stack(dir: &std::path::Path) -> Stack {
    let (crypter, salt) = Crypter::create("test passphrase").unwrap();
    Stack::new(LocalBackend::new(dir), "dev", Some(crypter), Some(salt))
}

async fn up_with(extra: &[(&str, Value)], zones: usize) -> Snapshot {
    let dir = tempfile::tempdir().unwrap();
    let (engine, _) = memory_engine(MemoryCloud::new());
    let program = try_build(extra, zones, None).unwrap().program;
    let out = stack(dir.path()).up(&engine, &program, &RunOptions::default(), yes).await.unwrap();
    assert!(out.summary.succeeded(), "{:?}", out.summary);
    out.snapshot
}

fn id(r: &StateResource) -> Value {
    Value::from(r.id.clone().unwrap())
}

/// Per zone: a public and a private subnet, a NAT gateway (with its EIP) in
/// the public one, and a private route table routing 0.0.0.0/0 through that
/// zone's own NAT gateway, associated with that zone's private subnet.
fn assert_high_availability(s: &Snapshot, zones: usize) {
    let subnets = of_type(s, "aws:ec2/subnet:Subnet");
    assert_eq!(subnets.len(), 2 * zones);
    let zone_of = |subnet: &Value| -> String {
        let sn = subnets.iter().find(|r| id(r) == *subnet).expect("a subnet of the stack");
        text(sn, "availabilityZone").to_string()
    };
    let nats = of_type(s, "aws:ec2/natGateway:NatGateway");
    assert_eq!(nats.len(), zones, "a NAT gateway per zone");
    assert_eq!(of_type(s, "aws:ec2/eip:Eip").len(), zones, "an EIP per NAT gateway");
    let nat_zones: std::collections::BTreeSet<String> = nats.iter().map(|n| zone_of(input(n, "subnetId"))).collect();
    assert_eq!(nat_zones.len(), zones, "the NAT gateways are in different zones");
    for n in &nats {
        let subnet = subnets.iter().find(|r| id(r) == *input(n, "subnetId")).unwrap();
        assert_eq!(input(subnet, "mapPublicIpOnLaunch"), &Value::from(true), "NAT gateways sit in public subnets");
    }
    let routes = of_type(s, "aws:ec2/route:Route");
    let associations = of_type(s, "aws:ec2/routeTableAssociation:RouteTableAssociation");
    let mut private_tables = 0;
    for rt in of_type(s, "aws:ec2/routeTable:RouteTable") {
        let Some(route) = routes.iter().find(|r| *input(r, "routeTableId") == id(rt)) else { continue };
        let Some(nat) = route.inputs.get("natGatewayId") else { continue };
        private_tables += 1;
        let nat = nats.iter().find(|n| id(n) == *nat).expect("the route's NAT gateway");
        let nat_zone = zone_of(input(nat, "subnetId"));
        let served: Vec<&&StateResource> =
            associations.iter().filter(|a| *input(a, "routeTableId") == id(rt)).collect();
        assert_eq!(served.len(), 1, "one private subnet per private route table");
        assert_eq!(zone_of(input(served[0], "subnetId")), nat_zone, "routes through its own zone's NAT");
    }
    assert_eq!(private_tables, zones, "a private route table per zone");
}

#[tokio::test]
async fn three_zones_or_two_each_with_its_nat_gateway_and_fewer_refused() {
    let s = up_with(&[], 3).await;
    assert_high_availability(&s, 3);
    assert_eq!(stack_outputs(&s)["availabilityZones"].as_array().unwrap().len(), 3);
    let s = up_with(&[], 2).await;
    assert_high_availability(&s, 2);
    // Up to three: a region with four zones still gets three.
    let built = try_build(&[], 4, None).unwrap();
    let zones = built.program.outputs()["availabilityZones"].as_array().unwrap().len();
    assert_eq!(zones, 3);
    let err = try_build(&[], 1, None).map(|_| ()).unwrap_err();
    assert!(err.contains("aws:region") && err.contains("at least 2"), "{err}");
}

#[tokio::test]
async fn flow_logs_nacls_tier_backups_secret_and_parameters() {
    let s = up_with(&[], 3).await;
    // Flow logs: ALL traffic to their log group, under their own role.
    let flow_log = one(&s, "flow-log");
    let log_group = one(&s, "flow-log-group");
    assert_eq!(input(flow_log, "vpcId"), &id(one(&s, "vpc")));
    assert_eq!(text(flow_log, "trafficType"), "ALL");
    assert_eq!(text(flow_log, "logDestinationType"), "cloud-watch-logs");
    assert_eq!(input(flow_log, "logDestination"), &log_group.outputs["arn"]);
    assert_eq!(input(log_group, "retentionInDays"), &Value::from(14));
    let role = one(&s, "flow-logs-role");
    assert_eq!(input(flow_log, "iamRoleArn"), &role.outputs["arn"]);
    let trust = json_input(role, "assumeRolePolicy");
    assert_eq!(trust["Statement"][0]["Principal"]["Service"], "vpc-flow-logs.amazonaws.com");
    assert_eq!(trust["Statement"][0]["Condition"]["StringEquals"]["aws:SourceAccount"], "123456789012");
    let policy = json_input(one(&s, "flow-logs-policy"), "policy");
    let streams = format!("{}:*", log_group.outputs["arn"].as_str().unwrap());
    assert_eq!(policy["Statement"][0]["Resource"], serde_json::json!([streams]));
    assert_eq!(text(log_group, "name"), "/aws/vpc/flow-logs/haweb-vpc-dev");

    // NACLs: each subnet in its tier's ACL.
    let subnets = of_type(&s, "aws:ec2/subnet:Subnet");
    for (acl, public) in [("public-nacl", true), ("private-nacl", false)] {
        let acl = id(one(&s, acl));
        let mut associated: Vec<Value> = of_type(&s, "aws:ec2/networkAclAssociation:NetworkAclAssociation")
            .iter()
            .filter(|a| *input(a, "networkAclId") == acl)
            .map(|a| input(a, "subnetId").clone())
            .collect();
        let mut expected: Vec<Value> =
            subnets.iter().filter(|r| r.inputs["mapPublicIpOnLaunch"] == Value::from(public)).map(|r| id(r)).collect();
        associated.sort_by_key(Value::display);
        expected.sort_by_key(Value::display);
        assert_eq!(associated, expected);
        let rules = of_type(&s, "aws:ec2/networkAclRule:NetworkAclRule");
        assert!(rules.iter().any(|r| *input(r, "networkAclId") == acl && input(r, "egress") == &Value::from(true)));
    }
    let inbound_web: Vec<i64> = of_type(&s, "aws:ec2/networkAclRule:NetworkAclRule")
        .iter()
        .filter(|r| *input(r, "networkAclId") == id(one(&s, "public-nacl")) && r.inputs["egress"] == Value::from(false))
        .filter_map(|r| r.inputs.get("fromPort").and_then(Value::as_f64).map(|p| p as i64))
        .collect();
    assert_eq!(inbound_web, [80, 443, 1024, 1024], "HTTP, HTTPS, TCP and UDP return traffic");

    // The tier: an internet-facing ALB in the public subnets, the group in the private ones.
    let alb = one(&s, "alb");
    assert_eq!(input(alb, "internal"), &Value::from(false));
    let public: Vec<Value> =
        subnets.iter().filter(|r| r.inputs["mapPublicIpOnLaunch"] == Value::from(true)).map(|r| id(r)).collect();
    let private: Vec<Value> =
        subnets.iter().filter(|r| r.inputs["mapPublicIpOnLaunch"] == Value::from(false)).map(|r| id(r)).collect();
    assert_eq!(input(alb, "subnets"), &Value::Array(public));
    let listener = one(&s, "http");
    assert_eq!((input(listener, "port"), text(listener, "protocol")), (&Value::from(80), "HTTP"));
    let asg = one(&s, "asg");
    assert_eq!(input(asg, "vpcZoneIdentifiers"), &Value::Array(private));
    assert_eq!(text(asg, "healthCheckType"), "ELB");
    assert_eq!(input(asg, "targetGroupArns"), &Value::Array(vec![one(&s, "tg").outputs["arn"].clone()]));
    assert_eq!((input(asg, "minSize"), input(asg, "desiredCapacity")), (&Value::from(2), &Value::from(2)));
    let lt = one(&s, "lt");
    assert_eq!(input(lt, "metadataOptions").as_object().unwrap()["httpTokens"], Value::from("required"));
    let ebs = input(lt, "blockDeviceMappings").as_array().unwrap()[0].as_object().unwrap()["ebs"].clone();
    assert_eq!(ebs.as_object().unwrap()["encrypted"], Value::from("true"));
    assert_eq!(
        input(lt, "iamInstanceProfile").as_object().unwrap()["name"],
        one(&s, "instance-profile").outputs["name"]
    );
    assert_eq!(text(one(&s, "cpu"), "policyType"), "TargetTrackingScaling");

    // Backups: versioned, SSE with a bucket key, closed, old versions aged out.
    let bucket = one(&s, "bucket");
    assert_eq!(bucket.type_token(), "aws:s3/bucket:Bucket", "Bucket, not the deprecated BucketV2");
    assert_eq!(text(bucket, "bucket"), "haweb-backups-us-east-1-dev");
    let sse = input(one(&s, "bucket-encryption"), "rules").as_array().unwrap()[0].clone();
    assert_eq!(sse.as_object().unwrap()["bucketKeyEnabled"], Value::from(true));
    let rule = input(one(&s, "lifecycle"), "rules").as_array().unwrap()[0].as_object().unwrap().clone();
    let transitions: Vec<(i64, String)> = rule["noncurrentVersionTransitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let t = t.as_object().unwrap();
            (t["noncurrentDays"].as_f64().unwrap() as i64, t["storageClass"].as_str().unwrap().to_string())
        })
        .collect();
    assert_eq!(transitions, [(30, "STANDARD_IA".to_string()), (90, "GLACIER".to_string())]);
    assert_eq!(rule["noncurrentVersionExpiration"], Value::object([("noncurrentDays", 365)]));
    assert_eq!(input(one(&s, "bucket-public-access-block"), "restrictPublicBuckets"), &Value::from(true));

    // The secret: its value is secret in state (the deployment holds a ciphertext only).
    let version = one(&s, "app-secret-version");
    assert!(matches!(input(version, "secretString"), Value::Secret(_)), "the value is a secret");
    assert_eq!(input(version, "secretId"), &id(one(&s, "app-secret")));
    assert_eq!(input(one(&s, "app-secret"), "recoveryWindowInDays"), &Value::from(0), "dev deletes at once");
    let (crypter, salt) = Crypter::create("another passphrase").unwrap();
    let deployment = serde_json::to_string(&s.to_deployment(Some(&crypter), Some(&salt)).unwrap()).unwrap();
    assert!(!deployment.contains("placeholder"), "no secret value in plaintext");
    assert!(deployment.contains("1b47061264138c4ac30d75fd1eb44270"), "encrypted the Pulumi way");

    // SSM: the app's configuration under /haweb/dev/.
    let config = one(&s, "param-app-config");
    assert_eq!(text(config, "name"), "/haweb/dev/app-config");
    assert_eq!(text(config, "type"), "String");
    let json: serde_json::Value = serde_json::from_str(text(config, "value")).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"environment": "dev", "environment_suffix": "dev", "region": "us-east-1", "log_level": "DEBUG"})
    );
    for p in of_type(&s, "aws:ssm/parameter:Parameter") {
        assert!(text(p, "name").starts_with("/haweb/dev/"), "{}", text(p, "name"));
    }
    assert_eq!(text(one(&s, "param-app-secret-arn"), "value"), one(&s, "app-secret").outputs["arn"].as_str().unwrap());
}

#[tokio::test]
async fn the_instance_role_names_exact_arns() {
    let s = up_with(&[], 3).await;
    let role = one(&s, "instance-role");
    let policies: BTreeMap<String, serde_json::Value> = of_type(&s, "aws:iam/rolePolicy:RolePolicy")
        .iter()
        .filter(|p| input(p, "role") == &role.outputs["name"])
        .map(|p| (p.urn.name().to_string(), json_input(p, "policy")))
        .collect();
    let resources = |name: &str| policies[name]["Statement"][0]["Resource"].clone();
    assert_eq!(
        resources("instance-ssm"),
        serde_json::json!([
            "arn:aws:ssm:us-east-1:123456789012:parameter/haweb/dev",
            "arn:aws:ssm:us-east-1:123456789012:parameter/haweb/dev/*"
        ])
    );
    assert_eq!(resources("instance-secrets"), serde_json::json!([one(&s, "app-secret").outputs["arn"].as_str()]));
    let bucket = one(&s, "bucket").outputs["arn"].as_str().unwrap().to_string();
    assert_eq!(resources("instance-backups-bucket"), serde_json::json!([bucket]));
    assert_eq!(resources("instance-backups-objects"), serde_json::json!([format!("{bucket}/*")]));
    let logs = one(&s, "app-logs").outputs["arn"].as_str().unwrap().to_string();
    assert_eq!(resources("instance-logs"), serde_json::json!([format!("{logs}:*")]));
    // The one `*`: PutMetricData has no resource-level permissions, so a
    // namespace condition scopes it.
    assert_eq!(resources("instance-metrics"), serde_json::json!("*"));
    assert_eq!(
        policies["instance-metrics"]["Statement"][0]["Condition"]["StringEquals"]["cloudwatch:namespace"],
        "haweb"
    );
}

/// The taggable resources' tags as a map (Auto Scaling's list flattened).
fn tags_of(r: &StateResource) -> BTreeMap<String, Value> {
    match r.inputs.get("tags") {
        Some(Value::Object(o)) => o.clone(),
        Some(Value::Array(list)) => list
            .iter()
            .map(|t| {
                let t = t.as_object().unwrap();
                (t["key"].as_str().unwrap().to_string(), t["value"].clone())
            })
            .collect(),
        _ => panic!("{} has no tags", r.urn),
    }
}

#[tokio::test]
async fn one_naming_pattern_and_the_common_tags_everywhere() {
    let s = up_with(&[("tap:tags", Value::object([("CostCenter", "42")]))], 3).await;
    let mut tagged = 0;
    for r in s.resources.iter().filter(|r| r.custom) {
        let Some(kind) = tapctl::provider::kind(r.type_token()) else { continue };
        if !kind.taggable {
            continue;
        }
        let tags = tags_of(r);
        for (k, v) in [("Project", "haweb"), ("Environment", "dev"), ("ManagedBy", "tapctl"), ("CostCenter", "42")] {
            assert_eq!(tags.get(k), Some(&Value::from(v)), "{} tag {k}", r.urn);
        }
        let kind =
            tags.get("ResourceType").and_then(Value::as_str).unwrap_or_else(|| panic!("{}: ResourceType", r.urn));
        assert!(!kind.is_empty() && kind.chars().next().unwrap().is_ascii_uppercase(), "{}: {kind}", r.urn);
        let name = tags.get("Name").and_then(Value::as_str).unwrap_or_else(|| panic!("{}: Name", r.urn));
        // `<project>-<kind>-<suffix>`, or a path that ends in one (log groups),
        // or the parameter path `/<project>/<suffix>/…`.
        let pattern = name.rsplit('/').next().unwrap();
        assert!(
            (pattern.starts_with("haweb-") && pattern.ends_with("-dev")) || name.starts_with("/haweb/dev/"),
            "{}: Name {name}",
            r.urn
        );
        tagged += 1;
    }
    assert!(tagged >= 40, "{tagged}");
    assert_eq!(tags_of(one(&s, "asg"))["ResourceType"], Value::from("AutoScalingGroup"));
    assert_eq!(tags_of(one(&s, "nat-a"))["ResourceType"], Value::from("NatGateway"));
    // Instances and volumes get their own kind from the launch template; the
    // group keeps its kind to itself.
    for spec in input(one(&s, "lt"), "tagSpecifications").as_array().unwrap() {
        let spec = spec.as_object().unwrap();
        let expected = if spec["resourceType"] == Value::from("instance") { "Instance" } else { "Volume" };
        assert_eq!(spec["tags"].as_object().unwrap()["ResourceType"], Value::from(expected));
    }
    let group_tags = input(one(&s, "asg"), "tags").as_array().unwrap();
    for t in group_tags.iter().map(|t| t.as_object().unwrap()) {
        let propagated = t["key"] != Value::from("ResourceType");
        assert_eq!(t["propagateAtLaunch"], Value::from(propagated), "{t:?}");
    }
    // Physical names follow the pattern too.
    for (resource, key, name) in [
        ("alb", "name", "haweb-alb-dev"),
        ("tg", "name", "haweb-tg-dev"),
        ("asg", "name", "haweb-asg-dev"),
        ("lt", "name", "haweb-lt-dev"),
        ("instance-role", "name", "haweb-instance-role-dev"),
        ("app-secret", "name", "haweb-app-secret-dev"),
        ("app-logs", "name", "haweb-app-logs-dev"),
        ("alb-sg", "name", "haweb-alb-sg-dev"),
    ] {
        assert_eq!(text(one(&s, resource), key), name);
    }
}

#[tokio::test]
async fn up_then_a_preview_with_no_changes_then_destroy_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, cloud) = memory_engine(MemoryCloud::new());
    let stack = stack(dir.path());
    let program = build(&[]).program;
    let out = stack.up(&engine, &program, &RunOptions::default(), yes).await.unwrap();
    assert!(out.summary.succeeded(), "{:?}", out.summary);
    let created = out.summary.changes.create;
    assert!(cloud.objects().len() >= 80, "{} cloud objects", cloud.objects().len());

    let plan = stack.preview(&engine, &build(&[]).program, &[]).await.unwrap();
    assert!(!plan.summary().has_changes(), "a second preview changes nothing: {:?}", plan.summary());
    assert_eq!(plan.summary().same, created);

    let out = stack.destroy(&engine, &RunOptions::default(), yes).await.unwrap();
    assert!(out.summary.succeeded(), "{:?}", out.summary);
    assert!(cloud.objects().is_empty(), "left behind: {:?}", cloud.objects().keys().collect::<Vec<_>>());
}

#[tokio::test]
async fn https_with_a_certificate_and_scaling_on_cpu_alarms() {
    let s = up_with(
        &[
            ("tap:certificateArn", CERT.into()),
            ("tap:scalingPolicy", "cpu-alarms".into()),
            ("tap:scaleUpCpuPercent", 75.into()),
            ("tap:scaleDownCpuPercent", 25.into()),
        ],
        3,
    )
    .await;
    let https = one(&s, "https");
    assert_eq!((input(https, "port"), text(https, "protocol")), (&Value::from(443), "HTTPS"));
    assert_eq!(text(https, "certificateArn"), CERT);
    let redirect = input(one(&s, "http"), "defaultActions").as_array().unwrap()[0].as_object().unwrap().clone();
    assert_eq!(redirect["type"], Value::from("redirect"));
    for (policy, alarm, adjustment, threshold) in [("scale-up", "cpu-high", 1, 75), ("scale-down", "cpu-low", -1, 25)] {
        let policy = one(&s, policy);
        assert_eq!(text(policy, "policyType"), "SimpleScaling");
        assert_eq!(input(policy, "scalingAdjustment"), &Value::from(adjustment));
        let alarm = one(&s, alarm);
        assert_eq!(input(alarm, "alarmActions"), &Value::Array(vec![policy.outputs["arn"].clone()]));
        assert_eq!(input(alarm, "threshold"), &Value::from(threshold));
        assert_eq!(
            input(alarm, "dimensions"),
            &Value::object([("AutoScalingGroupName", one(&s, "asg").outputs["name"].clone())])
        );
    }
    assert_eq!(stack_outputs(&s)["scalingPolicyArns"].as_array().unwrap().len(), 2);
}

#[test]
fn the_region_and_the_suffix_come_from_config_or_the_environment() {
    let region = |b: Built| b.program.outputs()["region"].clone();
    // The stack's aws:region wins over AWS_REGION; without it, AWS_REGION.
    assert_eq!(region(try_build(&[], 3, Some("eu-west-1")).unwrap()), Value::from("us-east-1"));
    assert_eq!(
        region(try_build(&[("aws:region", Value::Null)], 3, Some("eu-west-1")).unwrap()),
        Value::from("eu-west-1")
    );
    assert_eq!(region(try_build(&[("aws:region", Value::Null)], 3, None).unwrap()), Value::from("us-east-1"));

    let config = config(&[("tap:environmentSuffix", "cfg".into())]);
    let zones = vec!["us-east-1a".into(), "us-east-1b".into()];
    let ctx = |suffix: Option<&str>| ProgramContext {
        project: "haweb",
        stack: "dev",
        config: &config,
        availability_zones: zones.clone(),
        environment_suffix: suffix.map(str::to_string),
        aws_region: None,
        account_id: Some("123456789012".into()),
    };
    let suffix = |b: Built| b.program.outputs()["environmentSuffix"].clone();
    assert_eq!(suffix(programs::build("ha-web", &ctx(Some("pr42"))).unwrap()), Value::from("pr42"));
    assert_eq!(suffix(programs::build("ha-web", &ctx(None)).unwrap()), Value::from("cfg"));
}

/// What is wrong, the config that says so, and what the error must name.
type BadCase = (&'static str, Vec<(&'static str, Value)>, &'static str);

#[test]
fn bad_config_is_refused_before_any_cloud_call_naming_the_key() {
    let cases: Vec<BadCase> = vec![
        ("min above max", vec![("tap:minSize", 5.into()), ("tap:maxSize", 4.into())], "tap:minSize"),
        ("desired above max", vec![("tap:desiredCapacity", 9.into())], "tap:desiredCapacity"),
        (
            "max 0",
            vec![("tap:minSize", 0.into()), ("tap:desiredCapacity", 0.into()), ("tap:maxSize", 0.into())],
            "tap:maxSize",
        ),
        ("cidr too wide", vec![("tap:vpcCidr", "10.0.0.0/8".into())], "tap:vpcCidr"),
        ("cidr too narrow", vec![("tap:vpcCidr", "10.0.0.0/26".into())], "tap:vpcCidr"),
        ("cidr syntax", vec![("tap:vpcCidr", "10.0.0.300/16".into())], "tap:vpcCidr"),
        ("retention", vec![("tap:logRetentionDays", 10.into())], "tap:logRetentionDays"),
        ("suffix shape", vec![("tap:environmentSuffix", "Dev_1".into())], "tap:environmentSuffix"),
        ("suffix length", vec![("tap:environmentSuffix", "a-very-long-suffix-12345".into())], "tap:environmentSuffix"),
        ("instance type", vec![("tap:instanceType", "t3micro".into())], "tap:instanceType"),
        ("ami", vec![("tap:amiId", "ubuntu".into())], "tap:amiId"),
        ("account", vec![("tap:accountId", "1234".into())], "tap:accountId"),
        ("scaling", vec![("tap:scalingPolicy", "step".into())], "tap:scalingPolicy"),
        ("cpu band", vec![("tap:scaleDownCpuPercent", 80.into())], "tap:scaleDownCpuPercent"),
        ("cpu target", vec![("tap:cpuTargetPercent", 0.into())], "tap:cpuTargetPercent"),
        (
            "cert region",
            vec![("tap:certificateArn", CERT.replace("us-east-1", "eu-west-1").into())],
            "tap:certificateArn",
        ),
        ("recovery", vec![("tap:secretRecoveryDays", 3.into())], "tap:secretRecoveryDays"),
        ("zones", vec![("tap:availabilityZoneCount", 1.into())], "tap:availabilityZoneCount"),
        ("app port", vec![("tap:appPort", 80.into())], "tap:appPort"),
        ("log level", vec![("tap:logLevel", "verbose".into())], "tap:logLevel"),
        ("root volume", vec![("tap:rootVolumeGib", 4.into())], "tap:rootVolumeGib"),
        ("typo", vec![("tap:minSise", 2.into())], "tap:minSise"),
    ];
    for (what, extra, needle) in cases {
        let err = try_build(&extra, 3, None).map(|_| ()).expect_err(what);
        assert!(err.contains(needle), "{what}: {err}");
    }
    let err = try_build(&[("aws:region", Value::Null)], 3, Some("moon-1")).map(|_| ()).unwrap_err();
    assert!(err.contains("AWS_REGION") && err.contains("moon-1"), "{err}");
}

/// Every stack file shipped in the project folder validates and builds, its
/// program named by the folder's `deploy.toml`.
#[test]
fn the_project_folders_stacks_build() {
    let built = crate::common::build_project_stacks("ha-web", "haweb", "ha-web");
    assert_eq!(built.keys().collect::<Vec<_>>(), ["dev", "prod"]);
}
