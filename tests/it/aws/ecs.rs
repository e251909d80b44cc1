//! ECS kinds against moto.
//!
//! moto gaps met here:
//! - CreateService drops `deploymentConfiguration` (circuit breaker and the
//!   200 % / 100 % bounds), `healthCheckGracePeriodSeconds` and
//!   `enableECSManagedTags`; UpdateService keeps them. The provider re-applies
//!   with UpdateService whatever the new service does not show, and
//!   `moto_still_drops_the_circuit_breaker_on_create` pins the gap so that the
//!   day moto fixes it is noticed.
//! - An `awsvpcConfiguration` without `securityGroups` makes moto answer
//!   HTTP 500: every service here passes them, as the flagship does.
//! - moto starts no tasks (running count stays 0), so `waitForSteadyState`
//!   and the scale-to-zero drain before DeleteService are not exercised.

use aws_sdk_ecs::types::{
    AwsVpcConfiguration, DeploymentCircuitBreaker, DeploymentConfiguration, NetworkConfiguration, TaskDefinitionStatus,
};
use tapctl::model::{PropertyMap, Value};
use tapctl::provider::{Created, URN_TAG};

use super::{ctx, out, props, tags, Env, REGION};

const CLUSTER: &str = "aws:ecs/cluster:Cluster";
const TASK: &str = "aws:ecs/taskDefinition:TaskDefinition";
const SERVICE: &str = "aws:ecs/service:Service";

async fn ecs(env: &Env) -> aws_sdk_ecs::Client {
    aws_sdk_ecs::Client::new(&env.moto.sdk_config(REGION).await)
}

fn settings(insights: &str) -> Value {
    Value::array([Value::object([("name", "containerInsights"), ("value", insights)])])
}

fn containers(image: &str) -> String {
    serde_json::json!([{
        "name": "app",
        "image": image,
        "essential": true,
        "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
        "environment": [{"name": "DEPLOYMENT_COLOR", "value": "blue"}],
        "secrets": [{"name": "DB_CREDENTIALS", "valueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"}],
        "logConfiguration": {"logDriver": "awslogs", "options": {
            "awslogs-group": "/ecs/tap-test-app", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "blue"}}
    }])
    .to_string()
}

fn task_inputs(family: &str, image: &str, tag: &str) -> PropertyMap {
    props(vec![
        ("family", family.into()),
        ("cpu", "256".into()),
        ("memory", "512".into()),
        ("networkMode", "awsvpc".into()),
        ("requiresCompatibilities", Value::array(["FARGATE"])),
        ("executionRoleArn", "arn:aws:iam::123456789012:role/tap-test-exec".into()),
        ("taskRoleArn", "arn:aws:iam::123456789012:role/tap-test-task".into()),
        ("containerDefinitions", containers(image).into()),
        ("runtimePlatform", Value::object([("operatingSystemFamily", "LINUX"), ("cpuArchitecture", "X86_64")])),
        ("tags", tags(&[("Name", tag)])),
    ])
}

#[tokio::test]
async fn cluster_lifecycle() {
    let env = Env::start().await;
    let create = props(vec![
        ("name", "tap-test-cluster".into()),
        ("settings", settings("enabled")),
        ("tags", tags(&[("Name", "tap-test-cluster"), ("Environment", "test")])),
    ]);
    let update = props(vec![
        ("name", "tap-test-cluster".into()),
        ("settings", settings("disabled")),
        ("tags", tags(&[("Name", "tap-test-cluster"), ("Owner", "platform")])),
    ]);
    let env = &env;
    env.lifecycle(CLUSTER, "cluster", create, update, |created, updated| async move {
        let o = &created.outputs;
        assert_eq!(created.id, "arn:aws:ecs:us-east-1:123456789012:cluster/tap-test-cluster");
        assert_eq!(out(o, "arn"), created.id);
        assert_eq!(out(o, "name"), "tap-test-cluster");
        assert_eq!(o["settings"], settings("enabled"));
        assert_eq!(updated["settings"], settings("disabled"));
        assert_eq!(updated["tags"], tags(&[("Name", "tap-test-cluster"), ("Owner", "platform")]));
        let c = ecs(env).await;
        let described = c
            .describe_clusters()
            .clusters(&created.id)
            .include(aws_sdk_ecs::types::ClusterField::Tags)
            .send()
            .await
            .unwrap();
        let cluster = &described.clusters()[0];
        assert_eq!(cluster.settings()[0].value(), Some("disabled"));
        let keys: Vec<&str> = cluster.tags().iter().filter_map(|t| t.key()).collect();
        assert!(keys.contains(&URN_TAG) && keys.contains(&"Owner") && !keys.contains(&"Environment"), "{keys:?}");
    })
    .await;
}

#[tokio::test]
async fn task_definition_lifecycle() {
    let env = Env::start().await;
    let create = task_inputs("tap-test-blue-task", "nginx:1.27", "blue");
    let update = task_inputs("tap-test-blue-task", "nginx:1.27", "blue-renamed");
    let env = &env;
    let (created, _) = env
        .lifecycle(TASK, "blue-task", create, update, |created, updated| async move {
            let o = &created.outputs;
            // pulumi-aws's id is the family; the ARN carries the revision.
            assert_eq!(created.id, "tap-test-blue-task");
            assert_eq!(out(o, "arn"), "arn:aws:ecs:us-east-1:123456789012:task-definition/tap-test-blue-task:1");
            assert_eq!(
                out(o, "arnWithoutRevision"),
                "arn:aws:ecs:us-east-1:123456789012:task-definition/tap-test-blue-task"
            );
            assert_eq!(o["revision"], Value::from(1));
            assert_eq!(out(o, "cpu"), "256");
            assert_eq!(out(o, "memory"), "512");
            assert_eq!(out(o, "networkMode"), "awsvpc");
            assert_eq!(o["requiresCompatibilities"], Value::array(["FARGATE"]));
            assert_eq!(
                o["runtimePlatform"],
                Value::object([("operatingSystemFamily", "LINUX"), ("cpuArchitecture", "X86_64")])
            );
            let defs: serde_json::Value = serde_json::from_str(out(o, "containerDefinitions")).unwrap();
            assert_eq!(defs[0]["image"], "nginx:1.27");
            assert_eq!(defs[0]["portMappings"][0]["containerPort"], 8080);
            assert_eq!(defs[0]["secrets"][0]["name"], "DB_CREDENTIALS");
            assert_eq!(defs[0]["logConfiguration"]["options"]["awslogs-stream-prefix"], "blue");
            // A tags-only update keeps the revision.
            assert_eq!(updated["arn"], o["arn"]);
            assert_eq!(updated["tags"], tags(&[("Name", "blue-renamed")]));
        })
        .await;
    // Delete deregistered revision 1 (and deleted it where the API allows).
    let c = ecs(env).await;
    match c.describe_task_definition().task_definition(out(&created.outputs, "arn")).send().await {
        Ok(d) => assert_ne!(d.task_definition().unwrap().status(), Some(&TaskDefinitionStatus::Active)),
        Err(e) => assert!(format!("{e:?}").contains("Unable to describe task definition"), "{e:?}"),
    }
}

/// A changed container image replaces the task definition: the new revision
/// is registered before the old one goes, and deleting the old one (by the
/// ARN its outputs recorded) leaves the new one alone.
#[tokio::test]
async fn task_definition_replacement_registers_a_new_revision_first() {
    let env = Env::start().await;
    let p = env.provider.as_ref();
    let c = ctx(TASK, "blue-task");
    let v1 = task_inputs("tap-test-blue-task", "nginx:1.27", "blue");
    let v2 = task_inputs("tap-test-blue-task", "nginx:1.28", "blue");
    let diff = p.diff(TASK, &v1, &v2).unwrap();
    assert_eq!(diff.replace_keys, vec!["containerDefinitions".to_string()]);
    assert!(!diff.delete_before_replace, "a new revision can exist beside the old one");

    let first = p.create(&c, &v1).await.unwrap();
    let second = p.create(&c, &v2).await.unwrap();
    assert_eq!(second.id, first.id);
    assert!(out(&second.outputs, "arn").ends_with(":2"));
    p.delete(&c, &first.id, &first.outputs).await.unwrap();
    let now = p.read(&c, &second.id).await.unwrap().expect("revision 2 is still there");
    assert_eq!(now, second.outputs);
    p.delete(&c, &second.id, &second.outputs).await.unwrap();
    assert_eq!(p.read(&c, &second.id).await.unwrap(), None);
}

/// The network a service runs in: a VPC, two subnets and a security group.
struct Network {
    vpc: Created,
    subnets: Vec<Created>,
    group: Created,
}

async fn network(env: &Env) -> Network {
    let vpc = env.given("aws:ec2/vpc:Vpc", "vpc", props(vec![("cidrBlock", "10.20.0.0/16".into())])).await;
    let mut subnets = Vec::new();
    for (i, zone) in ["a", "b"].into_iter().enumerate() {
        let inputs = props(vec![
            ("vpcId", vpc.id.as_str().into()),
            ("cidrBlock", format!("10.20.{i}.0/24").into()),
            ("availabilityZone", format!("{REGION}{zone}").into()),
        ]);
        subnets.push(env.given("aws:ec2/subnet:Subnet", &format!("private-{zone}"), inputs).await);
    }
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
    Network { vpc, subnets, group }
}

fn service_inputs(
    cluster: &str,
    task: &str,
    net: &Network,
    target_group: &str,
    desired: u32,
    tag: &str,
) -> PropertyMap {
    let subnets: Vec<Value> = net.subnets.iter().map(|s| Value::from(s.id.as_str())).collect();
    props(vec![
        ("name", "tap-test-blue-svc".into()),
        ("cluster", cluster.into()),
        ("taskDefinition", task.into()),
        ("desiredCount", desired.into()),
        ("launchType", "FARGATE".into()),
        (
            "networkConfiguration",
            Value::object([
                ("subnets", Value::Array(subnets)),
                ("securityGroups", Value::array([net.group.id.as_str()])),
                ("assignPublicIp", Value::from(false)),
            ]),
        ),
        (
            "loadBalancers",
            Value::array([Value::object([
                ("targetGroupArn", Value::from(target_group)),
                ("containerName", Value::from("app")),
                ("containerPort", Value::from(8080)),
            ])]),
        ),
        ("deploymentCircuitBreaker", Value::object([("enable", true), ("rollback", true)])),
        ("deploymentMaximumPercent", 200.into()),
        ("deploymentMinimumHealthyPercent", 100.into()),
        ("healthCheckGracePeriodSeconds", 60.into()),
        ("propagateTags", "SERVICE".into()),
        ("enableEcsManagedTags", true.into()),
        ("tags", tags(&[("Name", tag)])),
    ])
}

#[tokio::test]
async fn service_lifecycle() {
    let env = Env::start().await;
    let net = network(&env).await;
    let cluster = env.given(CLUSTER, "cluster", props(vec![("name", "tap-test-cluster".into())])).await;
    let task = env.given(TASK, "blue-task", task_inputs("tap-test-blue-task", "nginx:1.27", "blue")).await;
    let tg = env
        .given(
            "aws:lb/targetGroup:TargetGroup",
            "blue-tg",
            props(vec![
                ("name", "tap-test-blue-tg".into()),
                ("port", 8080.into()),
                ("protocol", "HTTP".into()),
                ("targetType", "ip".into()),
                ("vpcId", net.vpc.id.as_str().into()),
            ]),
        )
        .await;
    let task_arn = out(&task.outputs, "arn").to_string();
    let create = service_inputs(&cluster.id, &task_arn, &net, &tg.id, 2, "blue-svc");
    let update = service_inputs(&cluster.id, &task_arn, &net, &tg.id, 3, "blue-svc");
    let env_ref = &env;
    let (cluster_ref, tg_ref) = (&cluster, &tg);
    let create_again = create.clone();
    let (created, _) = env
        .lifecycle(SERVICE, "blue-service", create, update, |created, updated| async move {
            let o = &created.outputs;
            assert_eq!(created.id, "arn:aws:ecs:us-east-1:123456789012:service/tap-test-cluster/tap-test-blue-svc");
            assert_eq!(out(o, "cluster"), cluster_ref.id);
            assert_eq!(out(o, "taskDefinition"), task_arn);
            assert_eq!(o["desiredCount"], Value::from(2));
            assert_eq!(out(o, "launchType"), "FARGATE");
            // Kept although moto's CreateService dropped them (see the module doc).
            assert_eq!(o["deploymentCircuitBreaker"], Value::object([("enable", true), ("rollback", true)]));
            assert_eq!(o["deploymentMaximumPercent"], Value::from(200));
            assert_eq!(o["deploymentMinimumHealthyPercent"], Value::from(100));
            assert_eq!(o["healthCheckGracePeriodSeconds"], Value::from(60));
            assert_eq!(o["enableEcsManagedTags"], Value::Bool(true));
            assert_eq!(out(o, "propagateTags"), "SERVICE");
            let nc = o["networkConfiguration"].as_object().unwrap();
            assert_eq!(nc["assignPublicIp"], Value::Bool(false));
            assert_eq!(nc["securityGroups"], Value::array([net.group.id.as_str()]));
            assert_eq!(nc["subnets"].as_array().unwrap().len(), 2);
            assert_eq!(
                o["loadBalancers"].as_array().unwrap()[0].as_object().unwrap()["targetGroupArn"],
                Value::from(tg_ref.id.as_str())
            );
            assert_eq!(updated["desiredCount"], Value::from(3));
            let c = ecs(env_ref).await;
            let d = c.describe_services().cluster("tap-test-cluster").services(&created.id).send().await.unwrap();
            assert_eq!(d.services()[0].desired_count(), 3);
            // Adoption after an interrupted create finds the service by name.
            let found = env_ref.provider.find(&ctx(SERVICE, "blue-service"), &create_again).await.unwrap();
            assert_eq!(found.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), vec![created.id.as_str()]);
        })
        .await;
    // Deleted means INACTIVE to ECS (it keeps the record for a while).
    let c = ecs(&env).await;
    let d = c.describe_services().cluster("tap-test-cluster").services(&created.id).send().await.unwrap();
    assert!(d.services().iter().all(|s| s.status() == Some("INACTIVE")), "{:?}", d.services());

    env.remove("aws:lb/targetGroup:TargetGroup", "blue-tg", &tg).await;
    env.remove(TASK, "blue-task", &task).await;
    env.remove(CLUSTER, "cluster", &cluster).await;
    assert_eq!(env.provider.read(&ctx(CLUSTER, "cluster"), &cluster.id).await.unwrap(), None);
}

/// Pins the moto gap the service create works around: if this starts failing,
/// moto keeps the deployment configuration on create and the workaround is
/// no longer exercised (it stays right for real ECS either way).
#[tokio::test]
async fn moto_still_drops_the_circuit_breaker_on_create() {
    let env = Env::start().await;
    let net = network(&env).await;
    let c = ecs(&env).await;
    c.create_cluster().cluster_name("gap").send().await.unwrap();
    let defs = aws_sdk_ecs::types::ContainerDefinition::builder().name("app").image("nginx").memory(512).build();
    c.register_task_definition().family("gap").container_definitions(defs).send().await.unwrap();
    let vpc = AwsVpcConfiguration::builder()
        .subnets(net.subnets[0].id.as_str())
        .security_groups(net.group.id.as_str())
        .build()
        .unwrap();
    let created = c
        .create_service()
        .cluster("gap")
        .service_name("gap")
        .task_definition("gap")
        .desired_count(1)
        .network_configuration(NetworkConfiguration::builder().awsvpc_configuration(vpc).build())
        .deployment_configuration(
            DeploymentConfiguration::builder()
                .deployment_circuit_breaker(DeploymentCircuitBreaker::builder().enable(true).rollback(true).build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let kept =
        created.service().and_then(|s| s.deployment_configuration()).and_then(|d| d.deployment_circuit_breaker());
    assert!(kept.is_none(), "moto now keeps the circuit breaker on CreateService: {kept:?}");
}

/// What an interrupted create left is found for adoption: a cluster by its
/// name, a task definition only when its latest revision is the one asked
/// for (an earlier revision must not be taken for the new one).
#[tokio::test]
async fn find_adopts_clusters_by_name_and_only_matching_revisions() {
    let env = Env::start().await;
    let p = env.provider.as_ref();
    let inputs = props(vec![("name", "tap-test-cluster".into()), ("settings", settings("enabled"))]);
    let c = ctx(CLUSTER, "cluster");
    assert!(p.find(&c, &inputs).await.unwrap().is_empty());
    let cluster = env.given(CLUSTER, "cluster", inputs.clone()).await;
    assert_eq!(p.find(&c, &inputs).await.unwrap(), vec![cluster.clone()]);
    let other = props(vec![("name", "tap-test-other".into())]);
    assert!(p.find(&c, &other).await.unwrap().is_empty());
    env.remove(CLUSTER, "cluster", &cluster).await;
    assert!(p.find(&c, &inputs).await.unwrap().is_empty(), "an INACTIVE cluster is not adopted");

    let t = ctx(TASK, "blue-task");
    let v1 = task_inputs("tap-test-blue-task", "nginx:1.27", "blue");
    let v2 = task_inputs("tap-test-blue-task", "nginx:1.28", "blue");
    let first = env.given(TASK, "blue-task", v1.clone()).await;
    assert_eq!(p.find(&t, &v1).await.unwrap(), vec![first.clone()]);
    assert!(p.find(&t, &v2).await.unwrap().is_empty(), "revision 1 is not what v2 asks for");
    env.remove(TASK, "blue-task", &first).await;
}
