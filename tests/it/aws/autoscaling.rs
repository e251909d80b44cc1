//! EC2 Auto Scaling kinds against moto.
//!
//! moto gaps met here: moto launches a group's instances `InService` at once
//! (the wait for capacity returns on its first poll) and terminates them at
//! once when the group is scaled to zero before its deletion, so neither
//! wait is exercised beyond one poll; it does not check that a target group
//! and the group's subnets share a VPC.

use aws_sdk_autoscaling::types::Filter;
use tapctl::model::{PropertyMap, Value};
use tapctl::provider::{Created, URN_TAG};

use super::{ctx, out, props, Env, REGION};

const GROUP: &str = "aws:autoscaling/group:Group";
const POLICY: &str = "aws:autoscaling/policy:Policy";

async fn autoscaling(env: &Env) -> aws_sdk_autoscaling::Client {
    aws_sdk_autoscaling::Client::new(&env.moto.sdk_config(REGION).await)
}

/// A VPC with two subnets, a security group, a launch template and a target group.
struct Fixture {
    vpc: Created,
    subnets: Vec<Created>,
    sg: Created,
    template: Created,
    target_group: Created,
}

impl Fixture {
    async fn new(env: &Env) -> Fixture {
        let vpc = env.given("aws:ec2/vpc:Vpc", "vpc", props(vec![("cidrBlock", "10.40.0.0/16".into())])).await;
        let mut subnets = Vec::new();
        for (i, zone) in ["us-east-1a", "us-east-1b"].iter().enumerate() {
            let inputs = props(vec![
                ("vpcId", vpc.id.as_str().into()),
                ("cidrBlock", format!("10.40.{i}.0/24").into()),
                ("availabilityZone", (*zone).into()),
            ]);
            subnets.push(env.given("aws:ec2/subnet:Subnet", &format!("private-{i}"), inputs).await);
        }
        let sg_inputs = props(vec![
            ("name", "tap-test-web".into()),
            ("description", "web".into()),
            ("vpcId", vpc.id.as_str().into()),
        ]);
        let sg = env.given("aws:ec2/securityGroup:SecurityGroup", "web-sg", sg_inputs).await;
        let mut lt = super::ec2::launch_template_inputs(&sg.id, "t3.micro", "web");
        // No instance profile: moto would look for one when launching.
        lt.remove("iamInstanceProfile");
        let template = env.given("aws:ec2/launchTemplate:LaunchTemplate", "web", lt).await;
        let tg_inputs = props(vec![
            ("name", "tap-test-web".into()),
            ("port", 80.into()),
            ("protocol", "HTTP".into()),
            ("vpcId", vpc.id.as_str().into()),
        ]);
        let target_group = env.given("aws:lb/targetGroup:TargetGroup", "web-tg", tg_inputs).await;
        Fixture { vpc, subnets, sg, template, target_group }
    }

    async fn remove(self, env: &Env) {
        env.remove("aws:lb/targetGroup:TargetGroup", "web-tg", &self.target_group).await;
        env.remove("aws:ec2/launchTemplate:LaunchTemplate", "web", &self.template).await;
        env.remove("aws:ec2/securityGroup:SecurityGroup", "web-sg", &self.sg).await;
        for (i, s) in self.subnets.iter().enumerate() {
            env.remove("aws:ec2/subnet:Subnet", &format!("private-{i}"), s).await;
        }
        env.remove("aws:ec2/vpc:Vpc", "vpc", &self.vpc).await;
    }

    fn group(&self, min: i32, desired: i32, max: i32, target_groups: bool, env_tag: &str) -> PropertyMap {
        let tag = |key: &str, value: &str, propagate: bool| {
            Value::object([
                ("key", Value::from(key)),
                ("value", Value::from(value)),
                ("propagateAtLaunch", Value::from(propagate)),
            ])
        };
        let mut inputs = props(vec![
            ("name", "tap-test-web".into()),
            ("minSize", min.into()),
            ("desiredCapacity", desired.into()),
            ("maxSize", max.into()),
            ("vpcZoneIdentifiers", Value::array(self.subnets.iter().map(|s| s.id.as_str()))),
            (
                "launchTemplate",
                Value::object([("id", Value::from(self.template.id.as_str())), ("version", Value::from("$Latest"))]),
            ),
            ("healthCheckType", "ELB".into()),
            ("healthCheckGracePeriod", 120.into()),
            ("tags", Value::Array(vec![tag("Environment", env_tag, true), tag("Name", "tap-test-web", true)])),
        ]);
        if target_groups {
            inputs.insert("targetGroupArns".into(), Value::array([self.target_group.id.as_str()]));
        }
        inputs
    }
}

/// Sizes, target groups and tags change in place.
#[tokio::test]
async fn group_lifecycle() {
    let env = Env::start().await;
    let f = Fixture::new(&env).await;
    let env = &env;
    let fx = &f;
    env.lifecycle(
        GROUP,
        "web",
        f.group(1, 2, 4, false, "test"),
        f.group(2, 3, 6, true, "prod"),
        |created, updated| async move {
            let o = &created.outputs;
            assert_eq!(created.id, "tap-test-web");
            assert!(out(o, "arn").contains(":autoScalingGroupName/tap-test-web"), "{}", out(o, "arn"));
            assert_eq!(
                (o["minSize"].clone(), o["desiredCapacity"].clone(), o["maxSize"].clone()),
                (1.into(), 2.into(), 4.into())
            );
            let mut subnets: Vec<&str> = fx.subnets.iter().map(|s| s.id.as_str()).collect();
            subnets.sort();
            assert_eq!(o["vpcZoneIdentifiers"], Value::array(subnets));
            assert_eq!(o["launchTemplate"].as_object().unwrap()["id"], Value::from(fx.template.id.as_str()));
            assert_eq!(out(o, "healthCheckType"), "ELB");
            assert_eq!(o["healthCheckGracePeriod"], Value::from(120));
            assert_eq!(o["targetGroupArns"], Value::Array(vec![]));
            let tags = o["tags"].as_array().unwrap();
            assert_eq!(tags.len(), 2, "the URN tag is not among the user's tags: {tags:?}");
            assert_eq!(updated["desiredCapacity"], Value::from(3));
            assert_eq!(updated["targetGroupArns"], Value::array([fx.target_group.id.as_str()]));
            let env_tag = updated["tags"].as_array().unwrap()[0].as_object().unwrap().clone();
            assert_eq!(env_tag["value"], Value::from("prod"));
            assert_eq!(env_tag["propagateAtLaunch"], Value::from(true));
            // The URN tag is on the group, not propagated to its instances.
            let asg = autoscaling(env).await;
            let t = asg
                .describe_tags()
                .filters(Filter::builder().name("auto-scaling-group").values("tap-test-web").build())
                .send()
                .await
                .unwrap();
            let urn = t.tags().iter().find(|t| t.key() == Some(URN_TAG)).expect("the URN tag");
            assert_eq!(urn.propagate_at_launch(), Some(false));
            assert_eq!(urn.value(), Some(ctx(GROUP, "web").urn.as_str()));
            let g = asg.describe_auto_scaling_groups().auto_scaling_group_names("tap-test-web").send().await.unwrap();
            assert_eq!(g.auto_scaling_groups()[0].instances().len(), 3, "desired capacity reached");
            // Adoption finds the group by its URN tag.
            let found = env.provider.find(&ctx(GROUP, "web"), &fx.group(1, 2, 4, false, "test")).await.unwrap();
            assert_eq!(found.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), vec!["tap-test-web"]);
        },
    )
    .await;
    f.remove(env).await;
}

fn tracking(target: f64) -> PropertyMap {
    props(vec![
        ("name", "tap-test-web-cpu".into()),
        ("autoscalingGroupName", "tap-test-web".into()),
        ("policyType", "TargetTrackingScaling".into()),
        ("estimatedInstanceWarmup", 120.into()),
        (
            "targetTrackingConfiguration",
            Value::object([
                (
                    "predefinedMetricSpecification",
                    Value::object([("predefinedMetricType", "ASGAverageCPUUtilization")]),
                ),
                ("targetValue", Value::from(target)),
            ]),
        ),
    ])
}

fn simple(adjustment: i32) -> PropertyMap {
    props(vec![
        ("name", "tap-test-web-up".into()),
        ("autoscalingGroupName", "tap-test-web".into()),
        ("adjustmentType", "ChangeInCapacity".into()),
        ("scalingAdjustment", adjustment.into()),
        ("cooldown", 300.into()),
    ])
}

#[tokio::test]
async fn policy_lifecycles() {
    let env = Env::start().await;
    let f = Fixture::new(&env).await;
    let group = env.given(GROUP, "web", f.group(1, 1, 3, false, "test")).await;
    let env = &env;
    env.lifecycle(POLICY, "cpu", tracking(60.0), tracking(45.0), |created, updated| async move {
        let o = &created.outputs;
        assert_eq!(created.id, "tap-test-web-cpu");
        assert_eq!(out(o, "policyType"), "TargetTrackingScaling");
        assert_eq!(out(o, "autoscalingGroupName"), "tap-test-web");
        assert!(o.contains_key("arn"));
        let config = o["targetTrackingConfiguration"].as_object().unwrap();
        assert_eq!(config["targetValue"], Value::from(60));
        assert_eq!(
            config["predefinedMetricSpecification"],
            Value::object([("predefinedMetricType", "ASGAverageCPUUtilization")])
        );
        assert_eq!(updated["targetTrackingConfiguration"].as_object().unwrap()["targetValue"], Value::from(45));
    })
    .await;
    env.lifecycle(POLICY, "up", simple(1), simple(2), |created, updated| async move {
        let o = &created.outputs;
        assert_eq!(out(o, "policyType"), "SimpleScaling");
        assert_eq!(out(o, "adjustmentType"), "ChangeInCapacity");
        assert_eq!(o["scalingAdjustment"], Value::from(1));
        assert_eq!(o["cooldown"], Value::from(300));
        assert_eq!(updated["scalingAdjustment"], Value::from(2));
        let p = autoscaling(env).await.describe_policies().policy_names("tap-test-web-up").send().await.unwrap();
        assert_eq!(p.scaling_policies()[0].scaling_adjustment(), Some(2));
        // Adoption finds the policy by its name.
        let found = env.provider.find(&ctx(POLICY, "up"), &simple(1)).await.unwrap();
        assert_eq!(found.len(), 1);
    })
    .await;
    env.remove(GROUP, "web", &group).await;
    f.remove(env).await;
}
