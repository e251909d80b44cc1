//! Application Auto Scaling kinds against moto.
//!
//! moto gaps met here:
//! - moto 5.2.5 has no Application Auto Scaling tagging API: ListTagsForResource,
//!   TagResource and UntagResource answer HTTP 500, and RegisterScalableTarget
//!   drops its `Tags`. The provider does what real AWS needs (tags at
//!   registration, TagResource/UntagResource on update, ListTagsForResource on
//!   read), so these tests put [`TagShim`], a small loopback proxy, in front of
//!   moto: it answers those three calls from a table it keeps and records the
//!   tags RegisterScalableTarget carries; every other request goes to moto.
//!   `target_without_the_tagging_api` runs against moto alone, as the quick
//!   start does: the target works, its tags are left out of the outputs.
//! - moto's DeregisterScalableTarget / DeleteScalingPolicy of something missing
//!   answer ValidationException where AWS says ObjectNotFoundException; the
//!   provider looks before it deletes, so both end the same way.
//! - moto validates that an ECS service exists for an `ecs` target, as AWS
//!   does, so the tests create one.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use tapctl::model::{PropertyMap, Value};
use tapctl::provider::aws::{AwsFactory, Settings};
use tapctl::provider::{Created, ProviderFactory, RetryPolicy, URN_TAG};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::{ctx, out, props, tags, Env, REGION};
use crate::moto::Moto;

const TARGET: &str = "aws:appautoscaling/target:Target";
const POLICY: &str = "aws:appautoscaling/policy:Policy";

type TagTable = Arc<Mutex<HashMap<String, BTreeMap<String, String>>>>;

/// The loopback proxy described in the module doc. It serves until dropped.
struct TagShim {
    port: u16,
    tags: TagTable,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TagShim {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One HTTP/1.1 message: the head (up to the blank line) and the body, read
/// by Content-Length (the SDK and moto both send it).
async fn read_message(stream: &mut (impl AsyncRead + Unpin)) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let length = header(&head, "content-length").and_then(|v| v.parse::<usize>().ok()).unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some((head, body))
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn json_response(body: serde_json::Value) -> Vec<u8> {
    let body = body.to_string();
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Sends one request to moto and returns its whole response.
async fn forward(upstream: u16, head: &str, body: &[u8]) -> Option<(String, Vec<u8>)> {
    let mut moto = TcpStream::connect(("127.0.0.1", upstream)).await.ok()?;
    moto.write_all(head.as_bytes()).await.ok()?;
    moto.write_all(body).await.ok()?;
    read_message(&mut moto).await
}

async fn handle(mut client: TcpStream, upstream: u16, table: TagTable) {
    let Some((head, body)) = read_message(&mut client).await else { return };
    let target = header(&head, "x-amz-target").unwrap_or_default().to_string();
    let request: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let arn = request["ResourceARN"].as_str().unwrap_or_default().to_string();
    let reply = match target.as_str() {
        "AnyScaleFrontendService.ListTagsForResource" => {
            let tags = table.lock().unwrap().get(&arn).cloned().unwrap_or_default();
            json_response(serde_json::json!({ "Tags": tags }))
        }
        "AnyScaleFrontendService.TagResource" => {
            let mut t = table.lock().unwrap();
            let entry = t.entry(arn).or_default();
            for (k, v) in request["Tags"].as_object().into_iter().flatten() {
                entry.insert(k.clone(), v.as_str().unwrap_or_default().to_string());
            }
            json_response(serde_json::json!({}))
        }
        "AnyScaleFrontendService.UntagResource" => {
            if let Some(entry) = table.lock().unwrap().get_mut(&arn) {
                for k in request["TagKeys"].as_array().into_iter().flatten() {
                    entry.remove(k.as_str().unwrap_or_default());
                }
            }
            json_response(serde_json::json!({}))
        }
        _ => {
            let Some((rhead, rbody)) = forward(upstream, &head, &body).await else { return };
            if target == "AnyScaleFrontendService.RegisterScalableTarget" {
                let response: serde_json::Value = serde_json::from_slice(&rbody).unwrap_or_default();
                if let (Some(arn), Some(tags)) = (response["ScalableTargetARN"].as_str(), request["Tags"].as_object()) {
                    let mut t = table.lock().unwrap();
                    let entry = t.entry(arn.to_string()).or_default();
                    for (k, v) in tags {
                        entry.insert(k.clone(), v.as_str().unwrap_or_default().to_string());
                    }
                }
            }
            let mut bytes = rhead.into_bytes();
            bytes.extend_from_slice(&rbody);
            bytes
        }
    };
    let _ = client.write_all(&reply).await;
    let _ = client.shutdown().await;
}

impl TagShim {
    async fn start(moto: &Moto) -> TagShim {
        let upstream: u16 = moto.endpoint().rsplit(':').next().unwrap().parse().unwrap();
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.expect("binding the shim's loopback port");
        let port = listener.local_addr().unwrap().port();
        let tags = TagTable::default();
        let table = tags.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(handle(client, upstream, table.clone()));
            }
        });
        TagShim { port, tags, task }
    }
}

/// A moto server behind a [`TagShim`], and a provider that talks to the shim.
async fn start() -> (Env, TagShim) {
    let moto = Moto::start();
    let shim = TagShim::start(&moto).await;
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(format!("http://127.0.0.1:{}", shim.port))
        .region(aws_config::Region::new(REGION))
        .credentials_provider(aws_sdk_ec2::config::Credentials::new("testing", "testing", None, None, "moto"))
        .load()
        .await;
    let settings = Settings {
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay: std::time::Duration::from_millis(10),
            max_delay: std::time::Duration::from_millis(50),
        },
        poll_interval: std::time::Duration::from_millis(50),
        consistency_window: std::time::Duration::from_secs(2),
    };
    let factory = AwsFactory::from_config(config.clone()).with_settings(settings);
    let provider = factory.configure(&props(vec![("region", REGION.into())])).expect("configuring the provider");
    (Env { ec2: aws_sdk_ec2::Client::new(&config), provider, moto }, shim)
}

/// An ECS service for the targets to scale: cluster, task definition and a
/// service in a VPC of its own.
async fn service(env: &Env) -> (Created, Created, Created) {
    let vpc = env.given("aws:ec2/vpc:Vpc", "vpc", props(vec![("cidrBlock", "10.40.0.0/16".into())])).await;
    let subnet = env
        .given(
            "aws:ec2/subnet:Subnet",
            "private-a",
            props(vec![
                ("vpcId", vpc.id.as_str().into()),
                ("cidrBlock", "10.40.0.0/24".into()),
                ("availabilityZone", format!("{REGION}a").into()),
            ]),
        )
        .await;
    let group = env
        .given(
            "aws:ec2/securityGroup:SecurityGroup",
            "ecs-sg",
            props(vec![
                ("vpcId", vpc.id.as_str().into()),
                ("description", "tasks".into()),
                ("name", "tap-test-ecs".into()),
            ]),
        )
        .await;
    let cluster =
        env.given("aws:ecs/cluster:Cluster", "cluster", props(vec![("name", "tap-test-cluster".into())])).await;
    let defs = r#"[{"name":"app","image":"nginx:1.27","essential":true}]"#;
    let task = env
        .given(
            "aws:ecs/taskDefinition:TaskDefinition",
            "blue-task",
            props(vec![
                ("family", "tap-test-blue-task".into()),
                ("cpu", "256".into()),
                ("memory", "512".into()),
                ("networkMode", "awsvpc".into()),
                ("requiresCompatibilities", Value::array(["FARGATE"])),
                ("containerDefinitions", defs.into()),
            ]),
        )
        .await;
    let svc = env
        .given(
            "aws:ecs/service:Service",
            "blue-service",
            props(vec![
                ("name", "tap-test-blue-svc".into()),
                ("cluster", cluster.id.as_str().into()),
                ("taskDefinition", out(&task.outputs, "arn").into()),
                ("desiredCount", 2.into()),
                ("launchType", "FARGATE".into()),
                (
                    "networkConfiguration",
                    Value::object([
                        ("subnets", Value::array([subnet.id.as_str()])),
                        ("securityGroups", Value::array([group.id.as_str()])),
                        ("assignPublicIp", Value::from(false)),
                    ]),
                ),
            ]),
        )
        .await;
    (cluster, task, svc)
}

const RESOURCE_ID: &str = "service/tap-test-cluster/tap-test-blue-svc";

fn target_inputs(min: u32, max: u32, tag: &str) -> PropertyMap {
    props(vec![
        ("serviceNamespace", "ecs".into()),
        ("scalableDimension", "ecs:service:DesiredCount".into()),
        ("resourceId", RESOURCE_ID.into()),
        ("minCapacity", min.into()),
        ("maxCapacity", max.into()),
        ("tags", tags(&[("Name", tag)])),
    ])
}

fn policy_inputs(target: f64) -> PropertyMap {
    props(vec![
        ("name", "tap-test-blue-cpu-tracking".into()),
        ("policyType", "TargetTrackingScaling".into()),
        ("serviceNamespace", "ecs".into()),
        ("scalableDimension", "ecs:service:DesiredCount".into()),
        ("resourceId", RESOURCE_ID.into()),
        (
            "targetTrackingScalingPolicyConfiguration",
            Value::object([
                ("targetValue", Value::from(target)),
                ("scaleInCooldown", Value::from(300)),
                ("scaleOutCooldown", Value::from(60)),
                (
                    "predefinedMetricSpecification",
                    Value::object([("predefinedMetricType", "ECSServiceAverageCPUUtilization")]),
                ),
            ]),
        ),
    ])
}

#[tokio::test]
async fn target_lifecycle() {
    let (env, shim) = start().await;
    service(&env).await;
    let env = &env;
    let shim = &shim;
    let (created, _) = env
        .lifecycle(
            TARGET,
            "blue-scaling-target",
            target_inputs(2, 6, "a"),
            target_inputs(1, 10, "b"),
            |created, updated| async move {
                let o = &created.outputs;
                // pulumi-aws's id: the resource id.
                assert_eq!(created.id, RESOURCE_ID);
                assert!(out(o, "arn")
                    .starts_with("arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target/"));
                assert_eq!(out(o, "serviceNamespace"), "ecs");
                assert_eq!(out(o, "scalableDimension"), "ecs:service:DesiredCount");
                assert_eq!((o["minCapacity"].clone(), o["maxCapacity"].clone()), (Value::from(2), Value::from(6)));
                assert_eq!(
                    (updated["minCapacity"].clone(), updated["maxCapacity"].clone()),
                    (Value::from(1), Value::from(10))
                );
                assert_eq!(updated["tags"], tags(&[("Name", "b")]));
                // The tags went through the tagging API (the shim's table).
                let recorded = shim.tags.lock().unwrap().get(out(o, "arn")).cloned().unwrap_or_default();
                assert_eq!(recorded.get("Name").map(String::as_str), Some("b"));
                assert_eq!(
                    recorded.get(URN_TAG).map(String::as_str),
                    Some(ctx(TARGET, "blue-scaling-target").urn.as_str())
                );
                let aas = aws_sdk_applicationautoscaling::Client::new(&env.moto.sdk_config(REGION).await);
                let t = aas
                    .describe_scalable_targets()
                    .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
                    .resource_ids(RESOURCE_ID)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(t.scalable_targets()[0].max_capacity(), 10);
            },
        )
        .await;
    assert_eq!(created.id, RESOURCE_ID);
}

#[tokio::test]
async fn policy_lifecycle() {
    let (env, _shim) = start().await;
    service(&env).await;
    let target = env.given(TARGET, "blue-scaling-target", target_inputs(2, 6, "a")).await;
    let env = &env;
    env.lifecycle(
        POLICY,
        "blue-cpu-scaling",
        policy_inputs(70.0),
        policy_inputs(55.0),
        |created, updated| async move {
            let o = &created.outputs;
            // pulumi-aws's id: the policy name.
            assert_eq!(created.id, "tap-test-blue-cpu-tracking");
            let arn = out(o, "arn");
            assert!(arn.starts_with("arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:"), "{arn}");
            assert!(
                arn.ends_with(&format!(":resource/ecs/{RESOURCE_ID}:policyName/tap-test-blue-cpu-tracking")),
                "{arn}"
            );
            assert_eq!(out(o, "policyType"), "TargetTrackingScaling");
            assert_eq!(out(o, "resourceId"), RESOURCE_ID);
            let config = o["targetTrackingScalingPolicyConfiguration"].as_object().unwrap();
            assert_eq!(config["targetValue"], Value::from(70.0));
            assert_eq!(config["scaleInCooldown"], Value::from(300));
            assert_eq!(config["scaleOutCooldown"], Value::from(60));
            assert_eq!(
                config["predefinedMetricSpecification"],
                Value::object([("predefinedMetricType", "ECSServiceAverageCPUUtilization")])
            );
            let updated_config = updated["targetTrackingScalingPolicyConfiguration"].as_object().unwrap();
            assert_eq!(updated_config["targetValue"], Value::from(55.0));
        },
    )
    .await;
    env.remove(TARGET, "blue-scaling-target", &target).await;
    assert_eq!(env.provider.read(&ctx(TARGET, "blue-scaling-target"), &target.id).await.unwrap(), None);
}

/// Against moto alone (no shim), as `tapctl up` on the quick start meets it:
/// the tagging API answers with an HTML error page, so the target is
/// registered and scaled, and its outputs leave the tags out.
#[tokio::test]
async fn target_without_the_tagging_api() {
    let env = Env::start().await;
    service(&env).await;
    let p = env.provider.as_ref();
    let c = ctx(TARGET, "blue-scaling-target");
    let created = p.create(&c, &target_inputs(2, 6, "a")).await.expect("create without the tagging API");
    assert_eq!(created.id, RESOURCE_ID);
    assert!(!created.outputs.contains_key("tagsAll") && !created.outputs.contains_key("tags"), "{:?}", created.outputs);
    assert_eq!(p.read(&c, &created.id).await.unwrap().as_ref(), Some(&created.outputs));
    let updated = p.update(&c, &created.id, &created.outputs, &target_inputs(1, 8, "b")).await.expect("update");
    assert_eq!(updated["maxCapacity"], Value::from(8));
    p.delete(&c, &created.id, &updated).await.unwrap();
    assert_eq!(p.read(&c, &created.id).await.unwrap(), None);
    p.delete(&c, &created.id, &updated).await.unwrap();
}
