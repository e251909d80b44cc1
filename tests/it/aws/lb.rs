//! Elastic Load Balancing v2 kinds against moto.
//!
//! moto gaps met here:
//! - a load balancer is `active` on the first describe, so the
//!   `load_balancer_available` waiter returns at once;
//! - moto reports a fixed `CanonicalHostedZoneId` (`Z2P70J7EXAMPLE`) and only
//!   the attributes it was given or defaults (no `idle_timeout` until set);
//! - target weights and stickiness are stored as sent, with no check that the
//!   weights of a forward action add up.

use tapctl::model::{PropertyMap, Value};
use tapctl::provider::Created;

use super::{out, props, tags, Env, REGION};

const LB: &str = "aws:lb/loadBalancer:LoadBalancer";
const TG: &str = "aws:lb/targetGroup:TargetGroup";
const LISTENER: &str = "aws:lb/listener:Listener";

async fn elb(env: &Env) -> aws_sdk_elasticloadbalancingv2::Client {
    aws_sdk_elasticloadbalancingv2::Client::new(&env.moto.sdk_config(REGION).await)
}

/// A VPC with two public subnets in different zones and the ALB's group.
struct Network {
    vpc: Created,
    subnets: Vec<String>,
    group: Created,
}

async fn network(env: &Env) -> Network {
    let vpc = env.given("aws:ec2/vpc:Vpc", "vpc", props(vec![("cidrBlock", "10.30.0.0/16".into())])).await;
    let mut subnets = Vec::new();
    for (i, zone) in ["a", "b"].into_iter().enumerate() {
        let inputs = props(vec![
            ("vpcId", vpc.id.as_str().into()),
            ("cidrBlock", format!("10.30.{i}.0/24").into()),
            ("availabilityZone", format!("{REGION}{zone}").into()),
        ]);
        subnets.push(env.given("aws:ec2/subnet:Subnet", &format!("public-{zone}"), inputs).await.id);
    }
    let group = env
        .given(
            "aws:ec2/securityGroup:SecurityGroup",
            "alb-sg",
            props(vec![
                ("vpcId", vpc.id.as_str().into()),
                ("description", "alb".into()),
                ("name", "tap-test-alb".into()),
            ]),
        )
        .await;
    Network { vpc, subnets, group }
}

fn lb_inputs(net: &Network, idle: u32, drop_invalid: bool, tag: &str) -> PropertyMap {
    props(vec![
        ("name", "tap-test-alb".into()),
        ("internal", false.into()),
        ("loadBalancerType", "application".into()),
        ("securityGroups", Value::array([net.group.id.as_str()])),
        ("subnets", Value::array(net.subnets.iter().map(String::as_str))),
        ("enableDeletionProtection", false.into()),
        ("dropInvalidHeaderFields", drop_invalid.into()),
        ("idleTimeout", idle.into()),
        ("tags", tags(&[("Name", tag)])),
    ])
}

fn tg_inputs(name: &str, vpc: &str, path: &str, delay: u32) -> PropertyMap {
    props(vec![
        ("name", name.into()),
        ("port", 8080.into()),
        ("protocol", "HTTP".into()),
        ("targetType", "ip".into()),
        ("vpcId", vpc.into()),
        ("deregistrationDelay", delay.into()),
        (
            "healthCheck",
            Value::object([
                ("enabled", Value::from(true)),
                ("path", Value::from(path)),
                ("matcher", Value::from("200-399")),
                ("interval", Value::from(30)),
                ("timeout", Value::from(5)),
                ("healthyThreshold", Value::from(2)),
                ("unhealthyThreshold", Value::from(3)),
            ]),
        ),
        ("tags", tags(&[("Name", name)])),
    ])
}

/// The flagship's forward action: blue and green weighted, stickiness off.
fn forward(blue: &str, blue_weight: u32, green: &str, green_weight: u32) -> Value {
    Value::array([Value::object([
        ("type", Value::from("forward")),
        (
            "forward",
            Value::object([
                (
                    "targetGroups",
                    Value::array([
                        Value::object([("arn", Value::from(blue)), ("weight", Value::from(blue_weight))]),
                        Value::object([("arn", Value::from(green)), ("weight", Value::from(green_weight))]),
                    ]),
                ),
                ("stickiness", Value::object([("enabled", Value::from(false)), ("duration", Value::from(1))])),
            ]),
        ),
    ])])
}

#[tokio::test]
async fn load_balancer_lifecycle() {
    let env = Env::start().await;
    let net = &network(&env).await;
    let env = &env;
    env.lifecycle(
        LB,
        "alb",
        lb_inputs(net, 60, true, "alb"),
        lb_inputs(net, 120, false, "alb-2"),
        |created, updated| async move {
            let o = &created.outputs;
            let arn = &created.id;
            assert!(
                arn.starts_with("arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/tap-test-alb/"),
                "{arn}"
            );
            assert_eq!(out(o, "arn"), arn);
            assert_eq!(out(o, "arnSuffix"), arn.split_once(":loadbalancer/").unwrap().1);
            assert!(out(o, "arnSuffix").starts_with("app/tap-test-alb/"));
            assert!(out(o, "dnsName").contains("tap-test-alb"), "{}", out(o, "dnsName"));
            assert!(!out(o, "zoneId").is_empty());
            assert_eq!(o["internal"], Value::Bool(false));
            assert_eq!(out(o, "loadBalancerType"), "application");
            assert_eq!(out(o, "vpcId"), net.vpc.id);
            assert_eq!(o["securityGroups"], Value::array([net.group.id.as_str()]));
            let mut subnets: Vec<&str> = o["subnets"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
            subnets.sort();
            let mut expected: Vec<&str> = net.subnets.iter().map(String::as_str).collect();
            expected.sort();
            assert_eq!(subnets, expected);
            assert_eq!(o["idleTimeout"], Value::from(60));
            assert_eq!(o["dropInvalidHeaderFields"], Value::Bool(true));
            assert_eq!(o["enableDeletionProtection"], Value::Bool(false));
            assert_eq!(updated["idleTimeout"], Value::from(120));
            assert_eq!(updated["dropInvalidHeaderFields"], Value::Bool(false));
            assert_eq!(updated["tags"], tags(&[("Name", "alb-2")]));
            let attrs = elb(env).await.describe_load_balancer_attributes().load_balancer_arn(arn).send().await.unwrap();
            let idle = attrs
                .attributes()
                .iter()
                .find(|a| a.key() == Some("idle_timeout.timeout_seconds"))
                .and_then(|a| a.value());
            assert_eq!(idle, Some("120"));
        },
    )
    .await;
}

/// ALB access logs (what `WebTier`'s `accessLogs` asks for): turned on at
/// creation and read back (the lifecycle compares create and read), then
/// turned off in place by removing the block.
#[tokio::test]
async fn load_balancer_access_logs_on_and_off() {
    let env = Env::start().await;
    let net = &network(&env).await;
    let env = &env;
    let mut with_logs = lb_inputs(net, 60, true, "alb");
    let logs = Value::object([
        ("bucket", Value::from("tap-test-alb-logs")),
        ("prefix", Value::from("alb")),
        ("enabled", Value::from(true)),
    ]);
    with_logs.insert("accessLogs".into(), logs.clone());
    env.lifecycle(LB, "alb", with_logs, lb_inputs(net, 60, true, "alb"), |created, updated| async move {
        assert_eq!(created.outputs["accessLogs"], logs);
        let attrs = elb(env).await.describe_load_balancer_attributes().load_balancer_arn(&created.id).send().await;
        let attrs = attrs.unwrap();
        let attr = |key: &str| {
            attrs.attributes().iter().find(|a| a.key() == Some(key)).and_then(|a| a.value()).map(str::to_string)
        };
        // Turned off by the update; AWS keeps where they went.
        assert_eq!(attr("access_logs.s3.enabled").as_deref(), Some("false"));
        assert_eq!(attr("access_logs.s3.bucket").as_deref(), Some("tap-test-alb-logs"));
        assert!(!updated.contains_key("accessLogs"), "logging is off: {:?}", updated.get("accessLogs"));
    })
    .await;
}

#[tokio::test]
async fn target_group_lifecycle() {
    let env = Env::start().await;
    let net = &network(&env).await;
    let vpc = net.vpc.id.as_str();
    let env = &env;
    let create = tg_inputs("tap-test-blue-tg", vpc, "/", 30);
    let update = tg_inputs("tap-test-blue-tg", vpc, "/health", 10);
    env.lifecycle(TG, "blue-tg", create, update, |created, updated| async move {
        let o = &created.outputs;
        assert!(created.id.contains(":targetgroup/tap-test-blue-tg/"), "{}", created.id);
        assert_eq!(out(o, "arnSuffix"), created.id.rsplit_once(':').unwrap().1);
        assert!(out(o, "arnSuffix").starts_with("targetgroup/tap-test-blue-tg/"));
        assert_eq!(o["port"], Value::from(8080));
        assert_eq!(out(o, "protocol"), "HTTP");
        assert_eq!(out(o, "targetType"), "ip");
        assert_eq!(out(o, "vpcId"), vpc);
        assert_eq!(o["deregistrationDelay"], Value::from(30));
        let hc = o["healthCheck"].as_object().unwrap();
        assert_eq!(hc["path"], Value::from("/"));
        assert_eq!(hc["matcher"], Value::from("200-399"));
        assert_eq!(hc["healthyThreshold"], Value::from(2));
        assert_eq!(hc["unhealthyThreshold"], Value::from(3));
        assert_eq!(hc["timeout"], Value::from(5));
        assert_eq!(updated["deregistrationDelay"], Value::from(10));
        assert_eq!(updated["healthCheck"].as_object().unwrap()["path"], Value::from("/health"));
        let g = elb(env).await.describe_target_groups().target_group_arns(&created.id).send().await.unwrap();
        assert_eq!(g.target_groups()[0].health_check_path(), Some("/health"));
    })
    .await;
}

/// Traffic shifts blue → green by changing the forward weights of the
/// listener in place: same listener ARN, new weights in the cloud.
#[tokio::test]
async fn listener_lifecycle_shifts_weights_in_place() {
    let env = Env::start().await;
    let net = &network(&env).await;
    let vpc = net.vpc.id.as_str();
    let alb = env.given(LB, "alb", lb_inputs(net, 60, true, "alb")).await;
    let blue = env.given(TG, "blue-tg", tg_inputs("tap-test-blue-tg", vpc, "/", 30)).await;
    let green = env.given(TG, "green-tg", tg_inputs("tap-test-green-tg", vpc, "/", 30)).await;
    let inputs = |b: u32, g: u32| {
        props(vec![
            ("loadBalancerArn", alb.id.as_str().into()),
            ("port", 80.into()),
            ("protocol", "HTTP".into()),
            ("defaultActions", forward(&blue.id, b, &green.id, g)),
            ("tags", tags(&[("Name", "tap-test-http-listener")])),
        ])
    };
    let env_ref = &env;
    let (blue_ref, green_ref, alb_ref) = (&blue, &green, &alb);
    let first = inputs(100, 0);
    // Adoption finds the balancer and the groups by their names.
    let p = env.provider.as_ref();
    assert_eq!(p.find(&super::ctx(LB, "alb"), &lb_inputs(net, 60, true, "alb")).await.unwrap(), vec![alb.clone()]);
    assert_eq!(
        p.find(&super::ctx(TG, "blue-tg"), &tg_inputs("tap-test-blue-tg", vpc, "/", 30)).await.unwrap(),
        vec![blue.clone()]
    );
    assert!(p.find(&super::ctx(LISTENER, "http-listener"), &first).await.unwrap().is_empty());
    let (created, _) = env
        .lifecycle(LISTENER, "http-listener", inputs(100, 0), inputs(90, 10), |created, updated| async move {
            let o = &created.outputs;
            assert!(created.id.contains(":listener/app/tap-test-alb/"), "{}", created.id);
            assert_eq!(out(o, "loadBalancerArn"), alb_ref.id);
            assert_eq!(o["port"], Value::from(80));
            assert_eq!(out(o, "protocol"), "HTTP");
            let weights = |outputs: &PropertyMap| -> Vec<(String, f64)> {
                let action = &outputs["defaultActions"].as_array().unwrap()[0];
                let action = action.as_object().unwrap();
                assert_eq!(action["type"], Value::from("forward"));
                action["forward"].as_object().unwrap()["targetGroups"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|g| {
                        let g = g.as_object().unwrap();
                        (g["arn"].as_str().unwrap().to_string(), g["weight"].as_f64().unwrap())
                    })
                    .collect()
            };
            assert_eq!(weights(o), vec![(blue_ref.id.clone(), 100.0), (green_ref.id.clone(), 0.0)]);
            assert_eq!(weights(&updated), vec![(blue_ref.id.clone(), 90.0), (green_ref.id.clone(), 10.0)]);
            assert_eq!(updated["id"], o["id"], "the listener was updated in place");
            let l = elb(env_ref).await.describe_listeners().listener_arns(&created.id).send().await.unwrap();
            let cloud: Vec<(String, i32)> = l.listeners()[0].default_actions()[0]
                .forward_config()
                .unwrap()
                .target_groups()
                .iter()
                .map(|g| (g.target_group_arn().unwrap().to_string(), g.weight().unwrap()))
                .collect();
            assert_eq!(cloud, vec![(blue_ref.id.clone(), 90), (green_ref.id.clone(), 10)]);
            // Adoption finds the listener by its port on the balancer.
            let found = env_ref.provider.find(&super::ctx(LISTENER, "http-listener"), &first).await.unwrap();
            assert_eq!(found.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), vec![created.id.as_str()]);
        })
        .await;
    assert!(created.id.starts_with("arn:aws:elasticloadbalancing:"));
    // With the listener gone, the groups and the balancer can go.
    env.remove(TG, "blue-tg", &blue).await;
    env.remove(TG, "green-tg", &green).await;
    env.remove(LB, "alb", &alb).await;
    let gone = env.provider.read(&super::ctx(LB, "alb"), &alb.id).await.unwrap();
    assert_eq!(gone, None);
}
