//! The multi-environment ECS program (seed 001) on the in-memory cloud: the
//! shape each environment gets, the PR environment's trimmed stack, VPC
//! peering, suffix detection, and config that must be refused before any
//! cloud call.

use std::collections::BTreeMap;

use tapctl::config::StackConfig;
use tapctl::engine::RunOptions;
use tapctl::model::{Program, Value};
use tapctl::programs::{self, ProgramContext};
use tapctl::provider::memory::MemoryCloud;
use tapctl::state::{Snapshot, StateResource};

use crate::common::{memory_engine, of_type, stack_in, stack_outputs, yes};

const ZONES: [&str; 3] = ["us-east-1a", "us-east-1b", "us-east-1c"];

fn build(stack: &str, config: &[(&str, Value)], suffix: Option<&str>) -> Result<Program, String> {
    let mut values = BTreeMap::from([("aws:region".to_string(), Value::from("us-east-1"))]);
    for (k, v) in config {
        values.insert(k.to_string(), v.clone());
    }
    let config = StackConfig::new(values);
    let ctx = ProgramContext {
        project: "tap",
        stack,
        config: &config,
        availability_zones: ZONES.iter().map(|z| z.to_string()).collect(),
        environment_suffix: suffix.map(str::to_string),
        aws_region: None,
        account_id: Some("123456789012".into()),
    };
    programs::build("multi-env", &ctx).map(|b| b.program).map_err(|e| e.to_string())
}

async fn up(stack: &str, config: &[(&str, Value)]) -> Snapshot {
    let dir = tempfile::tempdir().unwrap();
    let (engine, _) = memory_engine(MemoryCloud::new());
    let program = build(stack, config, None).unwrap();
    let out = stack_in(dir.path(), stack).up(&engine, &program, &RunOptions::default(), yes).await.unwrap();
    assert!(out.summary.succeeded(), "{:?}", out.summary);
    out.snapshot
}

/// `v[key]` for an object value.
fn at<'a>(v: &'a Value, key: &str) -> &'a Value {
    &v.as_object().unwrap_or_else(|| panic!("not an object: {v:?}"))[key]
}

fn count(s: &Snapshot, token: &str) -> usize {
    of_type(s, token).len()
}

#[tokio::test]
async fn dev_is_small_with_dns_storage_and_monitoring() {
    let s = up("dev", &[("tap:alertEmail", "ops@example.com".into())]).await;
    assert_eq!(count(&s, "aws:ec2/subnet:Subnet"), 4, "dev spans two zones");
    assert_eq!(count(&s, "aws:ecs/service:Service"), 1, "one service, not blue-green");
    assert_eq!(count(&s, "aws:lb/targetGroup:TargetGroup"), 1);
    assert_eq!(count(&s, "aws:route53/zone:Zone"), 1);
    assert_eq!(count(&s, "aws:route53/record:Record"), 1);
    assert_eq!(count(&s, "aws:ec2/vpcPeeringConnection:VpcPeeringConnection"), 0, "no peer configured");
    assert_eq!(count(&s, "aws:cloudwatch/dashboard:Dashboard"), 1);
    assert_eq!(count(&s, "aws:sns/topic:Topic"), 1);
    assert!(count(&s, "aws:cloudwatch/metricAlarm:MetricAlarm") >= 4);

    let zone = of_type(&s, "aws:route53/zone:Zone")[0];
    assert_eq!(zone.inputs["name"], Value::from("dev.tap.example.com"));
    let record = of_type(&s, "aws:route53/record:Record")[0];
    assert_eq!(record.inputs["name"], Value::from("app.dev.tap.example.com"));
    let alias = &record.inputs["aliases"].as_array().unwrap()[0];
    let alb = of_type(&s, "aws:lb/loadBalancer:LoadBalancer")[0];
    assert_eq!(at(alias, "name"), &alb.outputs["dnsName"], "the alias points at the ALB");

    let cluster = of_type(&s, "aws:rds/cluster:Cluster")[0];
    assert_eq!(cluster.inputs["manageMasterUserPassword"], Value::from(true));
    assert!(!cluster.inputs.contains_key("masterPassword"), "no password is generated locally");
    assert_eq!(cluster.inputs["backupRetentionPeriod"], Value::from(7));
    assert_eq!(cluster.inputs["skipFinalSnapshot"], Value::from(true));
    let instance = of_type(&s, "aws:rds/clusterInstance:ClusterInstance")[0];
    assert_eq!(instance.inputs["instanceClass"], Value::from("db.serverless"));

    let lifecycle = of_type(&s, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")[0];
    let rule = &lifecycle.inputs["rules"].as_array().unwrap()[0];
    assert_eq!(at(at(rule, "expiration"), "days"), &Value::from(90));
    assert_eq!(at(&at(rule, "transitions").as_array().unwrap()[0], "storageClass"), &Value::from("STANDARD_IA"));
    assert_eq!(count(&s, "aws:s3/bucketVersioning:BucketVersioning"), 1);
    assert_eq!(count(&s, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"), 1);
    assert_eq!(count(&s, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"), 1);

    // Names: lowercase, within each service's limit, environment and suffix kept.
    let bucket = of_type(&s, "aws:s3/bucket:Bucket")[0].inputs["bucket"].as_str().unwrap().to_string();
    assert!(bucket.len() <= 63 && bucket == bucket.to_lowercase() && bucket.contains("dev"), "{bucket}");
    for tg in of_type(&s, "aws:lb/targetGroup:TargetGroup") {
        assert!(tg.inputs["name"].as_str().unwrap().len() <= 32);
    }
    // Every taggable resource carries the common tags and a Name.
    for r in s.resources.iter().filter(|r| r.inputs.contains_key("tags")) {
        let tags = r.inputs["tags"].as_object().unwrap();
        for key in ["Project", "Environment", "ManagedBy", "Name"] {
            assert!(tags.contains_key(key), "{} lacks tag {key}", r.urn);
        }
        assert_eq!(tags["Environment"], Value::from("dev"), "{}", r.urn);
    }

    let out = stack_outputs(&s);
    for key in [
        "environment",
        "environmentSuffix",
        "isPrEnvironment",
        "vpcId",
        "vpcCidr",
        "publicSubnetIds",
        "privateSubnetIds",
        "albDnsName",
        "clusterName",
        "serviceName",
        "targetGroupArn",
        "dbEndpoint",
        "dbReaderEndpoint",
        "dbSecretArn",
        "artifactsBucketName",
        "snsTopicArn",
        "dashboardName",
        "hostedZoneId",
        "appDomain",
    ] {
        assert!(out.contains_key(key), "output {key} missing: {out:?}");
    }
    assert_eq!(out["appDomain"], Value::from("app.dev.tap.example.com"));
}

#[tokio::test]
async fn prod_is_sized_and_kept_for_production() {
    let s = up("prod", &[]).await;
    assert_eq!(count(&s, "aws:ec2/subnet:Subnet"), 6, "prod spans three zones");
    assert_eq!(count(&s, "aws:ec2/natGateway:NatGateway"), 3, "a NAT gateway per zone");
    let cluster = of_type(&s, "aws:rds/cluster:Cluster")[0];
    assert_eq!(cluster.inputs["backupRetentionPeriod"], Value::from(30));
    assert_eq!(cluster.inputs["skipFinalSnapshot"], Value::from(false));
    assert!(cluster.inputs.contains_key("finalSnapshotIdentifier"));
    assert!(!cluster.inputs.contains_key("serverlessv2ScalingConfiguration"), "a provisioned class");
    let instances = of_type(&s, "aws:rds/clusterInstance:ClusterInstance");
    assert_eq!(instances.len(), 2);
    assert!(instances.iter().all(|i| i.inputs["instanceClass"] == Value::from("db.r6g.large")));
    let service = of_type(&s, "aws:ecs/service:Service")[0];
    assert_eq!(service.inputs["desiredCount"], Value::from(3));
    let lifecycle = of_type(&s, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")[0];
    let rule = &lifecycle.inputs["rules"].as_array().unwrap()[0];
    assert_eq!(at(at(rule, "expiration"), "days"), &Value::from(365));
    assert_eq!(at(rule, "transitions").as_array().unwrap().len(), 2, "IA then Glacier");
}

#[tokio::test]
async fn a_pr_environment_is_minimal_and_skips_route53() {
    let s = up("pr-42", &[]).await;
    assert_eq!(count(&s, "aws:route53/zone:Zone") + count(&s, "aws:route53/record:Record"), 0);
    let out = stack_outputs(&s);
    assert_eq!(out["hostedZoneId"], Value::from("N/A-PR-Environment"));
    assert_eq!(out["appDomain"], Value::from("N/A-PR-Environment"));
    assert_eq!(out["isPrEnvironment"], Value::from(true));
    assert_eq!(out["environment"], Value::from("pr"));
    assert_eq!(out["environmentSuffix"], Value::from("pr42"));
    let service = of_type(&s, "aws:ecs/service:Service")[0];
    assert_eq!(service.inputs["desiredCount"], Value::from(1));
    assert!(service.inputs["name"].as_str().unwrap().contains("pr42"));
    let vpc = of_type(&s, "aws:ec2/vpc:Vpc")[0];
    assert_eq!(vpc.inputs["cidrBlock"], Value::from("10.100.0.0/16"));
}

#[tokio::test]
async fn peering_routes_each_private_table_and_opens_only_the_app_port() {
    let s = up("staging", &[("tap:peerVpcId", "vpc-0abc1234".into()), ("tap:peerVpcCidr", "10.3.0.0/16".into())]).await;
    let pcx = of_type(&s, "aws:ec2/vpcPeeringConnection:VpcPeeringConnection");
    assert_eq!(pcx.len(), 1);
    assert_eq!(pcx[0].inputs["peerVpcId"], Value::from("vpc-0abc1234"));
    assert_eq!(pcx[0].inputs["autoAccept"], Value::from(true));
    let peer_routes: Vec<&StateResource> = of_type(&s, "aws:ec2/route:Route")
        .into_iter()
        .filter(|r| r.inputs.get("destinationCidrBlock") == Some(&Value::from("10.3.0.0/16")))
        .collect();
    assert_eq!(peer_routes.len(), 3, "one per private route table");
    assert!(peer_routes.iter().all(|r| r.inputs["vpcPeeringConnectionId"] == Value::from(pcx[0].id.clone().unwrap())));
    let from_peer: Vec<&StateResource> = of_type(&s, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        .into_iter()
        .filter(|r| r.inputs.get("cidrIpv4") == Some(&Value::from("10.3.0.0/16")))
        .collect();
    assert_eq!(from_peer.len(), 1);
    assert_eq!(
        (from_peer[0].inputs["fromPort"].clone(), from_peer[0].inputs["toPort"].clone()),
        (80.into(), 80.into())
    );
    assert!(stack_outputs(&s).contains_key("peeringConnectionId"));
}

#[test]
fn the_suffix_comes_from_the_environment_then_config_then_the_stack_name() {
    let suffix_of = |stack: &str, config: &[(&str, Value)], env: Option<&str>| {
        let p = build(stack, config, env).unwrap();
        let vpc = p.resources().iter().find(|r| r.type_token() == "aws:ec2/vpc:Vpc").unwrap();
        vpc.inputs["tags"].as_object().unwrap()["Name"].as_str().unwrap().to_string()
    };
    assert!(suffix_of("dev", &[], None).ends_with("-dev"), "stack name");
    assert!(suffix_of("team-dev", &[("tap:environment", "dev".into())], None).ends_with("-dev"), "last part");
    assert!(suffix_of("dev", &[("tap:environmentSuffix", "blue1".into())], None).ends_with("-blue1"), "config");
    assert!(
        suffix_of("dev", &[("tap:environmentSuffix", "blue1".into())], Some("ci7")).ends_with("-ci7"),
        "ENVIRONMENT_SUFFIX wins"
    );
    // A PR suffix on any stack makes a PR environment.
    let p = build("feature", &[], Some("pr7")).unwrap();
    assert!(!p.resources().iter().any(|r| r.type_token().starts_with("aws:route53")));
}

#[test]
fn bad_config_is_refused_naming_the_key() {
    for (stack, config, says) in [
        ("qa", vec![], "tap:environment"),
        ("dev", vec![("tap:dbInstanceClass", Value::from("db.t3.micro"))], "db.t3.medium"),
        ("dev", vec![("tap:vpcCidr", Value::from("10.1.0.0/8"))], "tap:vpcCidr"),
        ("dev", vec![("tap:vpcCidr", Value::from("10.1.0.1/16"))], "host bits"),
        (
            "dev",
            vec![("tap:peerVpcId", Value::from("vpc-0abc1234")), ("tap:peerVpcCidr", Value::from("10.1.128.0/17"))],
            "overlaps",
        ),
        ("dev", vec![("tap:peerVpcId", Value::from("vpc-0abc1234"))], "neither"),
        ("dev", vec![("tap:availabilityZones", Value::array(["us-east-1a", "eu-west-1a"]))], "eu-west-1a"),
        ("dev", vec![("tap:availabilityZones", Value::array(["us-east-1a"]))], "2 or 3"),
        ("dev", vec![("tap:environmentSuffix", Value::from("Has Space"))], "tap:environmentSuffix"),
        (
            "dev",
            vec![("tap:environment", Value::from("prod")), ("tap:environmentSuffix", Value::from("pr9"))],
            "set it to pr",
        ),
        ("dev", vec![("tap:domainName", Value::from("nodots"))], "tap:domainName"),
        ("dev", vec![("tap:minCapacity", Value::from(3))], "tap:maxCapacity"),
        ("dev", vec![("tap:cpu", Value::from(256)), ("tap:memory", Value::from(4096))], "Fargate"),
        ("dev", vec![("tap:desiredCapacity", Value::from(2))], "tap:desiredCapacity"),
    ] {
        let e = build(stack, &config, None).unwrap_err();
        assert!(e.contains(says), "{stack} {config:?}: {e}");
    }
}
