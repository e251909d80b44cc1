//! The banking portal (seed 002) on the in-memory cloud: up, a second
//! preview with no changes, destroy leaving nothing — and the shape the
//! seed's failure list demands, checked on the state an `up` records
//! (inputs resolved): one KMS key behind the database, its secret and
//! Performance Insights, the SSE-KMS buckets and the log groups; three
//! subnet tiers; the security-group chain on exact ports; simple scaling
//! fired by CPU alarms; ALB access logs into an SSE-S3 bucket only ELB's
//! log delivery may write; CloudFront through an origin access control;
//! AWS Config in order; least-privilege IAM; tags; config refused before
//! any cloud call with the key named.

use std::collections::{BTreeMap, BTreeSet};

use tapctl::config::StackConfig;
use tapctl::engine::RunOptions;
use tapctl::model::Value;
use tapctl::plan::StepOp;
use tapctl::programs::{self, Built, ProgramContext};
use tapctl::provider::memory::MemoryCloud;
use tapctl::state::Snapshot;

use crate::common::{input, json_input, memory_engine, of_type, one, stack_in, stack_outputs, strings, text, yes};

const CERT: &str = "arn:aws:acm:us-east-1:123456789012:certificate/0c8a5f0e-1111-2222-3333-444455556666";

fn config(extra: &[(&str, Value)]) -> StackConfig {
    let mut values: BTreeMap<String, Value> = [
        ("aws:region", Value::from("us-east-1")),
        ("tap:accountId", "123456789012".into()),
        ("tap:amiId", "ami-12c6146b".into()),
        ("tap:certificateArn", CERT.into()),
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

fn try_build_in(stack: &str, extra: &[(&str, Value)], zones: usize) -> Result<Built, String> {
    let config = config(extra);
    let zones: Vec<String> = ["a", "b", "c", "d"].iter().take(zones).map(|z| format!("us-east-1{z}")).collect();
    programs::build(
        "banking",
        &ProgramContext {
            project: "banking",
            stack,
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
    try_build_in("dev", extra, 3).expect("the program builds")
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
async fn banking_goes_up_previews_no_changes_and_destroys_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, cloud) = memory_engine(MemoryCloud::new());
    let stack = stack_in(dir.path(), "dev");
    let program = build(&[]).program;
    let out = stack.up(&engine, &program, &RunOptions::default(), yes).await.unwrap();
    assert!(out.summary.succeeded(), "{:?}", out.summary);
    let custom = program.resources().iter().filter(|r| r.custom && !r.is_provider()).count();
    assert_eq!(cloud.objects().len(), custom);

    let again = stack.preview(&engine, &build(&[]).program, &[]).await.unwrap();
    assert!(
        !again.summary().has_changes(),
        "{:?}",
        again.steps.iter().filter(|s| s.op != StepOp::Same).collect::<Vec<_>>()
    );

    let out = stack.destroy(&engine, &RunOptions::default(), yes).await.unwrap();
    assert!(out.summary.succeeded(), "{:?}", out.summary);
    assert!(out.snapshot.resources.is_empty());
    assert!(cloud.objects().is_empty(), "{:?}", cloud.objects().keys());
}

#[tokio::test]
async fn one_key_encrypts_the_database_its_secret_insights_buckets_logs_and_volumes() {
    let s = up(&[]).await;
    let keys = of_type(&s, "aws:kms/key:Key");
    assert_eq!(keys.len(), 1, "one KMS key for the whole stack");
    let key = keys[0];
    assert_eq!(input(key, "enableKeyRotation"), &Value::from(true));
    let key_arn = key.outputs["arn"].clone();
    let alias = of_type(&s, "aws:kms/alias:Alias");
    assert_eq!((alias.len(), text(alias[0], "name")), (1, "alias/banking-dev"));
    assert_eq!(input(alias[0], "targetKeyId").as_str(), key.id.as_deref());

    let policy = json_input(key, "policy");
    let statements = policy["Statement"].as_array().unwrap();
    assert_eq!(statements[0]["Principal"]["AWS"], "arn:aws:iam::123456789012:root");
    let logs = statements.iter().find(|st| st["Principal"]["Service"] == "logs.us-east-1.amazonaws.com").unwrap();
    let allowed: BTreeSet<&str> = logs["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let groups = of_type(&s, "aws:cloudwatch/logGroup:LogGroup");
    assert_eq!(groups.len(), 2, "the database's and the application's");
    for g in &groups {
        assert_eq!(input(g, "kmsKeyId"), &key_arn, "{} is encrypted with the key", g.urn);
        let arn = format!("arn:aws:logs:us-east-1:123456789012:log-group:{}", text(g, "name"));
        assert!(allowed.contains(arn.as_str()), "the key policy names {arn}: {allowed:?}");
    }

    let cluster = one(&s, "aurora-cluster");
    assert_eq!(input(cluster, "storageEncrypted"), &Value::from(true));
    assert_eq!(input(cluster, "kmsKeyId"), &key_arn);
    assert_eq!(input(cluster, "masterUserSecretKmsKeyId"), &key_arn);
    assert_eq!(input(cluster, "manageMasterUserPassword"), &Value::from(true));
    assert!(!cluster.inputs.contains_key("masterPassword"));
    let db_group = one(&s, "postgresql-logs");
    assert_eq!(text(db_group, "name"), format!("/aws/rds/cluster/{}/postgresql", text(cluster, "clusterIdentifier")));
    assert!(cluster.dependencies.contains(&db_group.urn), "the log group exists before RDS writes to it");
    for instance in of_type(&s, "aws:rds/clusterInstance:ClusterInstance") {
        assert_eq!(input(instance, "performanceInsightsEnabled"), &Value::from(true));
        assert_eq!(input(instance, "performanceInsightsKmsKeyId"), &key_arn);
        assert_eq!(input(instance, "publiclyAccessible"), &Value::from(false));
    }

    // SSE-KMS with the key where S3 allows it; SSE-S3 for the ALB logs.
    let sse = of_type(&s, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration");
    assert_eq!(sse.len(), 3);
    for c in sse {
        let rule = input(c, "rules").as_array().unwrap()[0].as_object().unwrap().clone();
        let by_default = rule["applyServerSideEncryptionByDefault"].as_object().unwrap().clone();
        if c.urn.name().starts_with("alb-logs") {
            assert_eq!(by_default["sseAlgorithm"], Value::from("AES256"), "ALB log delivery needs SSE-S3");
        } else {
            assert_eq!(by_default["sseAlgorithm"], Value::from("aws:kms"), "{}", c.urn);
            assert_eq!(by_default["kmsMasterKeyId"], key_arn);
        }
    }
    let lt = of_type(&s, "aws:ec2/launchTemplate:LaunchTemplate")[0];
    let ebs = input(lt, "blockDeviceMappings").as_array().unwrap()[0].as_object().unwrap()["ebs"].clone();
    assert_eq!(ebs.as_object().unwrap()["kmsKeyId"], key_arn, "volumes under the key too");
    assert_eq!(input(one(&s, "delivery-channel"), "s3KmsKeyArn"), &key_arn);
}

#[tokio::test]
async fn tiers_security_groups_web_tier_scaling_and_access_logs() {
    let s = up(&[]).await;
    let subnets = of_type(&s, "aws:ec2/subnet:Subnet");
    let tier = |t: &str| -> Vec<String> {
        subnets.iter().filter(|r| r.urn.name().starts_with(t)).map(|r| r.id.clone().unwrap()).collect()
    };
    let (public, private, database) = (tier("public-"), tier("private-"), tier("database-"));
    assert_eq!((public.len(), private.len(), database.len()), (3, 3, 3), "three tiers over three zones");
    let cidrs: BTreeSet<&str> = subnets.iter().map(|r| text(r, "cidrBlock")).collect();
    assert_eq!(cidrs.len(), 9, "no two subnets share a block: {cidrs:?}");
    assert_eq!(strings(input(one(&s, "db-subnet-group"), "subnetIds")), database);
    // The database tier's route table has no route out of the VPC.
    let db_rt = one(&s, "database-rt").id.clone().unwrap();
    assert!(of_type(&s, "aws:ec2/route:Route").iter().all(|r| text(r, "routeTableId") != db_rt));

    let sg = |name: &str| one(&s, name).id.clone().unwrap();
    let (alb_sg, app_sg, db_sg) = (sg("alb-sg"), sg("app-sg"), sg("db-sg"));
    let ingress: BTreeSet<(String, i64, String)> =
        of_type(&s, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
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
    let anywhere = "0.0.0.0/0".to_string();
    assert_eq!(
        ingress,
        [
            (alb_sg.clone(), 443, anywhere.clone()),
            (alb_sg.clone(), 80, anywhere),
            (app_sg.clone(), 8080, alb_sg.clone()),
            (db_sg.clone(), 5432, app_sg.clone()),
        ]
        .into_iter()
        .collect(),
        "ALB → app (8080) → DB (5432), nothing else in"
    );
    for rule in of_type(&s, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") {
        assert_eq!(input(rule, "fromPort"), input(rule, "toPort"), "exact ports only");
    }

    // HTTPS on the certificate, HTTP only redirects.
    let listeners = of_type(&s, "aws:lb/listener:Listener");
    assert_eq!(listeners.len(), 2);
    let https = listeners.iter().find(|l| text(l, "protocol") == "HTTPS").unwrap();
    assert_eq!(text(https, "certificateArn"), CERT);
    let http = listeners.iter().find(|l| text(l, "protocol") == "HTTP").unwrap();
    let action = input(http, "defaultActions").as_array().unwrap()[0].as_object().unwrap().clone();
    assert_eq!(action["type"], Value::from("redirect"));

    // Simple scaling: a policy each way, each fired by its CPU alarm.
    let policies = of_type(&s, "aws:autoscaling/policy:Policy");
    assert_eq!(policies.len(), 2);
    let alarms = of_type(&s, "aws:cloudwatch/metricAlarm:MetricAlarm");
    for (policy, alarm, operator, threshold) in [
        ("scale-up", "cpu-high", "GreaterThanOrEqualToThreshold", 70),
        ("scale-down", "cpu-low", "LessThanOrEqualToThreshold", 30),
    ] {
        let p = one(&s, policy);
        assert_eq!(text(p, "policyType"), "SimpleScaling");
        let a = one(&s, alarm);
        assert_eq!(input(a, "alarmActions"), &Value::Array(vec![p.outputs["arn"].clone()]));
        assert_eq!(text(a, "comparisonOperator"), operator);
        assert_eq!(input(a, "threshold"), &Value::from(threshold));
    }
    // The database's connections alarm tells the topic.
    let topic_arn = of_type(&s, "aws:sns/topic:Topic")[0].outputs["arn"].clone();
    let connections = alarms.iter().find(|a| text(a, "metricName") == "DatabaseConnections").unwrap();
    assert_eq!(input(connections, "alarmActions"), &Value::Array(vec![topic_arn]));
    assert_eq!(
        input(connections, "dimensions").as_object().unwrap()["DBClusterIdentifier"],
        *input(one(&s, "aurora-cluster"), "clusterIdentifier")
    );

    // Access logs: the ALB writes under its prefix, and only ELB's log delivery may.
    let alb = of_type(&s, "aws:lb/loadBalancer:LoadBalancer")[0];
    let logs_bucket = one(&s, "alb-logs");
    let access = input(alb, "accessLogs").as_object().unwrap().clone();
    assert_eq!(access["bucket"].as_str(), logs_bucket.id.as_deref());
    assert_eq!(access["enabled"], Value::from(true));
    let policy = one(&s, "alb-logs-policy");
    assert!(alb.dependencies.contains(&policy.urn), "logging is switched on once ELB may write");
    let doc = json_input(policy, "policy");
    let write = &doc["Statement"][0];
    assert_eq!(write["Principal"]["Service"], "logdelivery.elasticloadbalancing.amazonaws.com");
    assert_eq!(write["Action"], "s3:PutObject");
    assert_eq!(
        write["Resource"],
        format!("{}/alb/AWSLogs/123456789012/*", logs_bucket.outputs["arn"].as_str().unwrap())
    );
    let lifecycle = one(&s, "alb-logs-lifecycle");
    let rule = input(lifecycle, "rules").as_array().unwrap()[0].as_object().unwrap().clone();
    assert_eq!(rule["expiration"], Value::object([("days", 90)]));
    let versioning = one(&s, "alb-logs-versioning");
    assert_eq!(input(versioning, "versioningConfiguration").as_object().unwrap()["status"], Value::from("Enabled"));
    assert_eq!(input(one(&s, "alb-logs-public-access-block"), "restrictPublicBuckets"), &Value::from(true));
}

#[tokio::test]
async fn cloudfront_reads_the_private_bucket_only_through_its_origin_access_control() {
    let s = up(&[]).await;
    let distribution = one(&s, "cdn");
    let oac = one(&s, "static-oac");
    assert_eq!(text(oac, "signingBehavior"), "always");
    assert_eq!(text(oac, "signingProtocol"), "sigv4");
    let bucket = one(&s, "static");
    let origin = input(distribution, "origins").as_array().unwrap()[0].as_object().unwrap().clone();
    assert_eq!(origin["originAccessControlId"].as_str(), oac.id.as_deref());
    assert_eq!(origin["domainName"], bucket.outputs["bucketRegionalDomainName"]);
    let default = input(distribution, "defaultCacheBehavior").as_object().unwrap().clone();
    assert_eq!(default["viewerProtocolPolicy"], Value::from("redirect-to-https"));
    let ordered = input(distribution, "orderedCacheBehaviors").as_array().unwrap()[0].as_object().unwrap().clone();
    assert_eq!(ordered["pathPattern"], Value::from("/static/*"));
    assert_eq!(ordered["viewerProtocolPolicy"], Value::from("redirect-to-https"));
    assert_eq!(
        input(distribution, "viewerCertificate").as_object().unwrap()["minimumProtocolVersion"],
        Value::from("TLSv1.2_2021")
    );
    assert_eq!(text(distribution, "priceClass"), "PriceClass_100");
    assert_eq!(text(distribution, "defaultRootObject"), "index.html");

    let policy = json_input(one(&s, "static-policy"), "policy");
    let read = &policy["Statement"][0];
    assert_eq!(read["Principal"]["Service"], "cloudfront.amazonaws.com");
    assert_eq!(read["Action"], "s3:GetObject");
    assert_eq!(read["Condition"]["StringEquals"]["AWS:SourceArn"], distribution.outputs["arn"].as_str().unwrap());
    let block = one(&s, "static-public-access-block");
    for k in ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] {
        assert_eq!(input(block, k), &Value::from(true), "{k}");
    }
    assert!(of_type(&s, "aws:cloudfront/originAccessIdentity:OriginAccessIdentity").is_empty());
}

#[tokio::test]
async fn aws_config_records_delivers_then_judges_and_can_be_left_out() {
    let s = up(&[]).await;
    let recorder = one(&s, "recorder");
    let channel = one(&s, "delivery-channel");
    let status = one(&s, "recorder-status");
    let role = one(&s, "config-role");
    assert_eq!(input(recorder, "roleArn"), &role.outputs["arn"]);
    assert!(channel.dependencies.contains(&recorder.urn));
    assert!(status.dependencies.contains(&channel.urn));
    assert_eq!(input(status, "isEnabled"), &Value::from(true));
    let rules = of_type(&s, "aws:cfg/rule:Rule");
    let identifiers: BTreeSet<String> = rules
        .iter()
        .map(|r| input(r, "source").as_object().unwrap()["sourceIdentifier"].as_str().unwrap().to_string())
        .collect();
    for expected in ["S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED", "RDS_STORAGE_ENCRYPTED", "ENCRYPTED_VOLUMES"] {
        assert!(identifiers.contains(expected), "{expected}: {identifiers:?}");
    }
    assert!(!identifiers.contains("RDS_CLUSTER_MULTI_AZ_ENABLED"), "dev runs one instance");
    for r in &rules {
        assert!(r.dependencies.contains(&status.urn), "{} waits for recording", r.urn);
    }
    let attachment = one(&s, "config-managed-policy");
    assert_eq!(text(attachment, "policyArn"), "arn:aws:iam::aws:policy/service-role/AWS_ConfigRole");
    let bucket_policy = json_input(one(&s, "config-policy"), "policy");
    let delivery = &bucket_policy["Statement"][2];
    assert_eq!(delivery["Principal"]["Service"], "config.amazonaws.com");
    assert_eq!(delivery["Condition"]["StringEquals"]["AWS:SourceAccount"], "123456789012");
    assert!(delivery["Resource"].as_str().unwrap().ends_with("/AWSLogs/123456789012/Config/*"));

    let without = up(&[("tap:awsConfig", false.into())]).await;
    assert!(without.resources.iter().all(|r| !r.type_token().starts_with("aws:cfg/")));
    assert_eq!(stack_outputs(&without)["awsConfigEnabled"], Value::from(false));
}

/// Policies whose `"Resource": "*"` is legitimate: a key policy's `*` means
/// the key itself.
const WILDCARD_RESOURCE_ALLOWED: &[&str] = &["aws:kms/key:Key"];

#[tokio::test]
async fn iam_and_resource_policies_name_exact_arns_and_every_taggable_resource_is_tagged() {
    let s = up(&[("tap:tags", Value::object([("CostCenter", "bank-1")]))]).await;
    let mut policies = 0;
    for r in s.resources.iter().filter(|r| r.custom) {
        for key in ["policy", "assumeRolePolicy"] {
            let Some(Value::String(doc)) = r.inputs.get(key) else { continue };
            let doc: serde_json::Value = serde_json::from_str(doc).unwrap();
            policies += 1;
            for st in doc["Statement"].as_array().unwrap() {
                let resources = match &st["Resource"] {
                    serde_json::Value::Array(a) => a.clone(),
                    serde_json::Value::Null => continue,
                    one => vec![one.clone()],
                };
                for res in resources {
                    let res = res.as_str().unwrap();
                    if res == "*" {
                        assert!(WILDCARD_RESOURCE_ALLOWED.contains(&r.type_token()), "{} grants on \"*\": {st}", r.urn);
                    } else {
                        // A wildcard only below one exact resource: a bucket's
                        // objects under a prefix, a log group's streams.
                        let exact = res.strip_suffix("/*").or(res.strip_suffix(":log-stream:*")).unwrap_or(res);
                        assert!(exact.starts_with("arn:aws:") && !exact.contains('*'), "{}: {res}", r.urn);
                    }
                }
            }
        }
    }
    assert!(policies >= 8, "{policies}");
    let instance_policy = text(one(&s, "instance-policy"), "policy").to_string();
    let cluster = one(&s, "aurora-cluster");
    let secret = cluster.outputs["masterUserSecrets"].as_array().unwrap()[0].as_object().unwrap()["secretArn"].clone();
    assert!(instance_policy.contains(secret.as_str().unwrap()), "the instances read the DB secret by its ARN");

    let mut tagged = 0;
    for r in s.resources.iter().filter(|r| r.custom) {
        let Some(kind) = tapctl::provider::kind(r.type_token()) else { continue };
        if !kind.taggable {
            continue;
        }
        let tags: BTreeMap<String, Value> = match r.inputs.get("tags") {
            Some(Value::Object(o)) => o.clone(),
            Some(Value::Array(list)) => list
                .iter()
                .map(|t| {
                    let t = t.as_object().unwrap();
                    (t["key"].as_str().unwrap().to_string(), t["value"].clone())
                })
                .collect(),
            _ => panic!("{} has no tags", r.urn),
        };
        for (k, v) in
            [("Project", "banking"), ("Environment", "dev"), ("ManagedBy", "tapctl"), ("CostCenter", "bank-1")]
        {
            assert_eq!(tags.get(k), Some(&Value::from(v)), "{} tag {k}", r.urn);
        }
        tagged += 1;
    }
    assert!(tagged > 50, "{tagged}");

    let out = stack_outputs(&s);
    for key in [
        "vpcId",
        "kmsKeyArn",
        "albDnsName",
        "httpsListenerArn",
        "autoScalingGroupName",
        "scaleUpPolicyArn",
        "scaleDownPolicyArn",
        "dbEndpoint",
        "dbSecretArn",
        "staticBucketName",
        "cloudFrontDomainName",
        "cloudFrontDistributionArn",
        "configRecorderName",
        "albLogBucketName",
        "snsTopicArn",
    ] {
        let v = out.get(key).unwrap_or_else(|| panic!("output {key} missing"));
        assert!(v.as_str().is_some_and(|x| !x.is_empty()), "{key}: {v:?}");
    }
    assert_eq!(out["kmsAliasName"], Value::from("alias/banking-dev"));
}

#[test]
fn production_defaults_differ_where_a_bank_needs_them() {
    let prod = try_build_in("prod", &[("tap:environment", "prod".into())], 3).unwrap().program;
    let find = |name: &str| prod.resources().iter().find(|r| r.urn.name() == name).unwrap();
    let cluster = find("aurora-cluster");
    assert_eq!(cluster.inputs["backupRetentionPeriod"], Value::from(30));
    assert_eq!(cluster.inputs["deletionProtection"], Value::from(true));
    assert_eq!(cluster.inputs["skipFinalSnapshot"], Value::from(false));
    assert!(cluster.inputs.contains_key("finalSnapshotIdentifier"));
    let instances = prod.resources().iter().filter(|r| r.type_token() == "aws:rds/clusterInstance:ClusterInstance");
    assert_eq!(instances.count(), 2, "a writer and a reader in another zone");
    assert!(prod.resources().iter().any(|r| r.urn.name() == "rds-multi-az"));
    assert_eq!(find("key").inputs["deletionWindowInDays"], Value::from(30));
    assert_eq!(find("asg").inputs["minSize"], Value::from(3));
}

/// What is wrong, the config that says so, and what the error must name.
type BadCase = (&'static str, Vec<(&'static str, Value)>, &'static str);

#[test]
fn bad_config_is_refused_before_any_cloud_call_naming_the_key() {
    let cases: Vec<BadCase> = vec![
        ("sizes", vec![("tap:desiredCapacity", 5.into())], "tap:desiredCapacity"),
        ("min above max", vec![("tap:minSize", 4.into()), ("tap:maxSize", 2.into())], "tap:minSize"),
        (
            "thresholds inverted",
            vec![("tap:scaleUpCpuPercent", 40.into()), ("tap:scaleDownCpuPercent", 60.into())],
            "tap:scaleDownCpuPercent",
        ),
        ("period", vec![("tap:scalingPeriodSeconds", 90.into())], "tap:scalingPeriodSeconds"),
        ("backup window format", vec![("tap:dbBackupWindow", "3am-4am".into())], "tap:dbBackupWindow"),
        ("maintenance window format", vec![("tap:dbMaintenanceWindow", "sunday".into())], "tap:dbMaintenanceWindow"),
        (
            "windows overlap",
            vec![
                ("tap:dbBackupWindow", "04:00-05:00".into()),
                ("tap:dbMaintenanceWindow", "sun:04:30-sun:05:30".into()),
            ],
            "overlaps",
        ),
        ("retention", vec![("tap:dbBackupRetentionDays", 3.into())], "tap:dbBackupRetentionDays"),
        ("log retention", vec![("tap:logRetentionDays", 45.into())], "tap:logRetentionDays"),
        ("price class", vec![("tap:cdnPriceClass", "PriceClass_Cheap".into())], "tap:cdnPriceClass"),
        ("root object", vec![("tap:cdnDefaultRootObject", "/index.html".into())], "tap:cdnDefaultRootObject"),
        ("static path", vec![("tap:cdnStaticPathPattern", "/*".into())], "tap:cdnStaticPathPattern"),
        (
            "cdn aliases without a certificate",
            vec![("tap:cdnAliases", Value::array(["www.example.com"]))],
            "tap:cdnCertificateArn",
        ),
        (
            "cdn certificate outside us-east-1",
            vec![
                ("tap:cdnCertificateArn", CERT.replace("us-east-1", "eu-west-1").into()),
                ("tap:cdnAliases", Value::array(["www.example.com"])),
            ],
            "tap:cdnCertificateArn",
        ),
        ("config frequency", vec![("tap:configDeliveryFrequency", "Hourly".into())], "tap:configDeliveryFrequency"),
        ("db class", vec![("tap:dbInstanceClass", "db.t3.micro".into())], "Aurora PostgreSQL does not run"),
        ("acu", vec![("tap:dbMinCapacity", 8.into())], "tap:dbMinCapacity"),
        ("username", vec![("tap:dbUsername", "postgres".into())], "tap:dbUsername"),
        ("app port", vec![("tap:appPort", 5432.into())], "tap:appPort"),
        ("ssl policy", vec![("tap:sslPolicy", "ELBSecurityPolicy-2016-08".into())], "tap:sslPolicy"),
        (
            "cert region",
            vec![("tap:certificateArn", CERT.replace("us-east-1", "eu-west-1").into())],
            "tap:certificateArn",
        ),
        ("account", vec![("tap:accountId", "1234".into())], "tap:accountId"),
        ("ami", vec![("tap:amiId", "ubuntu".into())], "tap:amiId"),
        ("cidr", vec![("tap:vpcCidr", "10.0.0.0/8".into())], "tap:vpcCidr"),
        ("typo", vec![("tap:scaleUpCpuPercnt", 80.into())], "tap:scaleUpCpuPercnt"),
        ("suffix", vec![("tap:environmentSuffix", "PR_42".into())], "tap:environmentSuffix"),
    ];
    for (what, extra, needle) in cases {
        let err = try_build_in("dev", &extra, 3).map(|_| ()).expect_err(what);
        assert!(err.contains(needle), "{what}: {err}");
    }
    let err = try_build_in("prod", &[("tap:environment", "prod".into()), ("tap:dbInstanceCount", 1.into())], 3)
        .map(|_| ())
        .unwrap_err();
    assert!(err.contains("tap:dbInstanceCount"), "{err}");
    let err = try_build_in("dev", &[], 1).map(|_| ()).unwrap_err();
    assert!(err.contains("aws:region") && err.contains("at least 2"), "{err}");
    // Two zones are enough.
    try_build_in("dev", &[], 2).unwrap();
}

/// Every stack file shipped in the project folder validates and builds, its
/// program named by the folder's `deploy.toml`; the counts are the README's.
#[test]
fn the_project_folders_stacks_build() {
    let counts: BTreeMap<String, (usize, usize)> = crate::common::build_project_stacks("banking", "banking", "banking")
        .into_iter()
        .map(|(stack, b)| {
            let all = b.program.resources();
            let cloud = all.iter().filter(|r| r.custom && !r.is_provider()).count();
            (stack, (all.len(), cloud))
        })
        .collect();
    // What projects/banking/README.md states: (all resources, cloud resources).
    let expected = BTreeMap::from([("dev".to_string(), (123, 110)), ("prod".to_string(), (127, 114))]);
    assert_eq!(counts, expected);
}
