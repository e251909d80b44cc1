//! Ecs: a Fargate cluster with Container Insights, an internet-facing ALB in
//! the public subnets, one target group per service (blue and green for a
//! blue-green deployment, or a single one; names within AWS's 32 characters),
//! a listener whose forward action weights them, and per service a task
//! definition, a service in the private subnets without public IPs (circuit
//! breaker with rollback, 200 % / 100 % deployment bounds) and CPU and memory
//! target-tracking autoscaling.

use crate::model::{Component, Program, Resource, ResourceOptions, Value};

use super::children::{allow, Children};
use super::{ComponentError, Naming, Tags};

/// The container name in every task definition.
pub const CONTAINER_NAME: &str = "app";

/// What the ECS component needs.
#[derive(Debug, Clone)]
pub struct EcsArgs {
    /// The VPC (for the target groups).
    pub vpc_id: Value,
    /// Public subnets: the ALB's.
    pub public_subnet_ids: Vec<Value>,
    /// Private subnets: the tasks'.
    pub private_subnet_ids: Vec<Value>,
    /// The ALB's security group.
    pub alb_security_group_id: Value,
    /// The tasks' security group.
    pub ecs_security_group_id: Value,
    /// The task execution role (gets a policy scoped to this component's log group and the DB secret).
    pub task_execution_role: Resource,
    /// The task role.
    pub task_role: Resource,
    /// The database writer endpoint, passed to the containers.
    pub db_endpoint: Value,
    /// The secret holding the database credentials.
    pub db_secret_arn: Value,
    /// The database name.
    pub db_name: String,
    /// The region (for the awslogs driver).
    pub region: String,
    /// Container image.
    pub image: String,
    /// Container port.
    pub container_port: u16,
    /// Fargate CPU units.
    pub cpu: u32,
    /// Fargate memory (MiB).
    pub memory: u32,
    /// Tasks per service.
    pub desired_count: u32,
    /// The services behind the listener, each with its share of the traffic
    /// (0–100, summing to 100): `blue` and `green` for a blue-green
    /// deployment, one `app` otherwise. The name is part of each resource's.
    pub services: Vec<(&'static str, u32)>,
    /// Autoscaling minimum per colour.
    pub min_capacity: u32,
    /// Autoscaling maximum per colour.
    pub max_capacity: u32,
    /// Target average CPU (%).
    pub scale_target_cpu: u32,
    /// Target average memory (%).
    pub scale_target_memory: u32,
    /// Container log retention (days).
    pub log_retention_days: u32,
    /// Refuse ALB deletion through the API.
    pub deletion_protection: bool,
    /// Physical names.
    pub naming: Naming,
    /// Common tags.
    pub tags: Tags,
}

/// One service.
#[derive(Debug, Clone)]
pub struct Colour {
    /// Its name in [`EcsArgs::services`] (`blue`, `green`, `app`).
    pub colour: &'static str,
    /// The target group.
    pub target_group: Resource,
    /// The service's name.
    pub service_name: String,
    /// The service.
    pub service: Resource,
}

/// The ECS component's outputs.
#[derive(Debug, Clone)]
pub struct Ecs {
    /// The component resource.
    pub component: Component,
    /// The cluster's name.
    pub cluster_name: String,
    /// The load balancer.
    pub alb: Resource,
    /// The ALB's DNS name.
    pub alb_dns_name: Value,
    /// The listener whose weights shift traffic.
    pub listener: Resource,
    /// The services, in [`EcsArgs::services`] order.
    pub colours: Vec<Colour>,
}

const TYPE: &str = "tap:components:Ecs";

/// Fargate's accepted CPU/memory combinations: for each CPU value, the memory
/// range (MiB) and step.
pub fn fargate_memory_options(cpu: u32) -> Option<(u32, u32, u32)> {
    match cpu {
        256 => Some((512, 2048, 512)),
        512 => Some((1024, 4096, 1024)),
        1024 => Some((2048, 8192, 1024)),
        2048 => Some((4096, 16384, 1024)),
        4096 => Some((8192, 30720, 1024)),
        8192 => Some((16384, 61440, 4096)),
        16384 => Some((32768, 122880, 8192)),
        _ => None,
    }
}

/// Whether Fargate accepts `cpu` with `memory`; `Err` says what it accepts.
pub fn check_fargate_size(cpu: u32, memory: u32) -> Result<(), String> {
    let Some((low, high, step)) = fargate_memory_options(cpu) else {
        return Err(format!("Fargate has no {cpu} CPU size; use 256, 512, 1024, 2048, 4096, 8192 or 16384"));
    };
    // 256 CPU also accepts exactly 512 MiB (the low end counts as a step).
    if memory < low || memory > high || !(memory - low).is_multiple_of(step) {
        return Err(format!(
            "Fargate does not run {cpu} CPU with {memory} MiB; with {cpu} CPU use {low}–{high} MiB in steps of {step}"
        ));
    }
    Ok(())
}

impl Ecs {
    /// Registers the ECS resources under `parent`.
    pub fn new(program: &mut Program, parent: &Component, name: &str, args: EcsArgs) -> Result<Ecs, ComponentError> {
        let invalid = |problem: String| ComponentError::Invalid { component: TYPE, problem };
        check_fargate_size(args.cpu, args.memory).map_err(invalid)?;
        let total: u32 = args.services.iter().map(|(_, w)| w).sum();
        if args.services.is_empty() || total != 100 {
            return Err(invalid(format!("service weights must sum to 100, got {:?}", args.services)));
        }
        if args.min_capacity > args.max_capacity
            || !(args.min_capacity..=args.max_capacity).contains(&args.desired_count)
        {
            return Err(invalid(format!(
                "need min ({}) <= desired ({}) <= max ({})",
                args.min_capacity, args.desired_count, args.max_capacity
            )));
        }
        let me = program.component(parent, TYPE, name)?;
        let mut c = Children { program, parent: me.clone(), naming: &args.naming, tags: &args.tags };

        let log_group_name = format!("/ecs/{}", c.name("app", 255));
        let log_group = c.add(
            "aws:cloudwatch/logGroup:LogGroup",
            "app-logs",
            vec![
                ("name", log_group_name.clone().into()),
                ("retentionInDays", args.log_retention_days.into()),
                ("tags", c.tags(&log_group_name)),
            ],
        )?;
        // Least privilege: exactly this log group and exactly the DB secret.
        let log_streams = Value::Concat(vec![log_group.arn(), ":*".into()]);
        c.role_policy(
            "task-execution-policy",
            "task-exec-scoped",
            &args.task_execution_role,
            vec![
                allow(&["logs:CreateLogStream", "logs:PutLogEvents"], vec![log_streams.clone()]),
                allow(&["secretsmanager:GetSecretValue"], vec![args.db_secret_arn.clone()]),
            ],
        )?;
        c.role_policy(
            "task-policy",
            "task-scoped",
            &args.task_role,
            vec![
                allow(
                    &["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                    vec![args.db_secret_arn.clone()],
                ),
                allow(&["logs:PutLogEvents"], vec![log_streams]),
            ],
        )?;

        let cluster_name = c.name("cluster", 255);
        let cluster = c.add(
            "aws:ecs/cluster:Cluster",
            "cluster",
            vec![
                ("name", cluster_name.clone().into()),
                ("settings", Value::array([Value::object([("name", "containerInsights"), ("value", "enabled")])])),
                ("tags", c.tags(&cluster_name)),
            ],
        )?;

        let alb_name = c.name("alb", 32);
        let alb = c.add(
            "aws:lb/loadBalancer:LoadBalancer",
            "alb",
            vec![
                ("name", alb_name.clone().into()),
                ("internal", false.into()),
                ("loadBalancerType", "application".into()),
                ("securityGroups", Value::Array(vec![args.alb_security_group_id.clone()])),
                ("subnets", Value::Array(args.public_subnet_ids.clone())),
                ("enableDeletionProtection", args.deletion_protection.into()),
                ("dropInvalidHeaderFields", true.into()),
                ("idleTimeout", 60.into()),
                ("tags", c.tags(&alb_name)),
            ],
        )?;

        let mut target_groups = Vec::new();
        for &(colour, _) in &args.services {
            let tg_name = c.name(&format!("{colour}-tg"), 32);
            let tg = c.add(
                "aws:lb/targetGroup:TargetGroup",
                &format!("{colour}-tg"),
                vec![
                    ("name", tg_name.clone().into()),
                    ("port", args.container_port.into()),
                    ("protocol", "HTTP".into()),
                    ("targetType", "ip".into()),
                    ("vpcId", args.vpc_id.clone()),
                    ("deregistrationDelay", 30.into()),
                    (
                        "healthCheck",
                        Value::object([
                            ("enabled", Value::from(true)),
                            ("path", Value::from("/")),
                            ("matcher", Value::from("200-399")),
                            ("interval", Value::from(30)),
                            ("timeout", Value::from(5)),
                            ("healthyThreshold", Value::from(2)),
                            ("unhealthyThreshold", Value::from(3)),
                        ]),
                    ),
                    ("tags", c.tags(&tg_name)),
                ],
            )?;
            target_groups.push(tg);
        }
        let listener_tags = c.tags(&c.name("http-listener", 255));
        let listener = c.add(
            "aws:lb/listener:Listener",
            "http-listener",
            vec![
                ("loadBalancerArn", alb.arn()),
                ("port", 80.into()),
                ("protocol", "HTTP".into()),
                ("defaultActions", forward_action(target_groups.iter().zip(args.services.iter().map(|(_, w)| *w)))),
                ("tags", listener_tags),
            ],
        )?;

        let mut colours = Vec::new();
        for (&(colour, _), tg) in args.services.iter().zip(target_groups) {
            let family = c.name(&format!("{colour}-task"), 255);
            let container = Value::JsonString(Box::new(Value::array([Value::object([
                ("name", Value::from(CONTAINER_NAME)),
                ("image", Value::from(args.image.clone())),
                ("essential", Value::from(true)),
                (
                    "portMappings",
                    Value::array([Value::object([
                        ("containerPort", Value::from(args.container_port)),
                        ("protocol", Value::from("tcp")),
                    ])]),
                ),
                (
                    "environment",
                    Value::array([
                        Value::object([("name", Value::from("DEPLOYMENT_COLOR")), ("value", Value::from(colour))]),
                        Value::object([("name", Value::from("DB_HOST")), ("value", args.db_endpoint.clone())]),
                        Value::object([("name", Value::from("DB_NAME")), ("value", Value::from(args.db_name.clone()))]),
                    ]),
                ),
                (
                    "secrets",
                    Value::array([Value::object([
                        ("name", Value::from("DB_CREDENTIALS")),
                        ("valueFrom", args.db_secret_arn.clone()),
                    ])]),
                ),
                (
                    "logConfiguration",
                    Value::object([
                        ("logDriver", Value::from("awslogs")),
                        (
                            "options",
                            Value::object([
                                ("awslogs-group", Value::from(log_group_name.clone())),
                                ("awslogs-region", Value::from(args.region.clone())),
                                ("awslogs-stream-prefix", Value::from(colour)),
                            ]),
                        ),
                    ]),
                ),
            ])])));
            let task = c.add(
                "aws:ecs/taskDefinition:TaskDefinition",
                &format!("{colour}-task"),
                vec![
                    ("family", family.clone().into()),
                    ("cpu", args.cpu.to_string().into()),
                    ("memory", args.memory.to_string().into()),
                    ("networkMode", "awsvpc".into()),
                    ("requiresCompatibilities", Value::array(["FARGATE"])),
                    ("executionRoleArn", args.task_execution_role.arn()),
                    ("taskRoleArn", args.task_role.arn()),
                    ("containerDefinitions", container),
                    (
                        "runtimePlatform",
                        Value::object([("operatingSystemFamily", "LINUX"), ("cpuArchitecture", "X86_64")]),
                    ),
                    ("tags", c.tags(&family)),
                ],
            )?;
            let service_name = c.name(&format!("{colour}-svc"), 255);
            // Autoscaling owns the running count once the service exists.
            let service = c.add_with(
                "aws:ecs/service:Service",
                &format!("{colour}-service"),
                vec![
                    ("name", service_name.clone().into()),
                    ("cluster", cluster.arn()),
                    ("taskDefinition", task.arn()),
                    ("desiredCount", args.desired_count.into()),
                    ("launchType", "FARGATE".into()),
                    (
                        "networkConfiguration",
                        Value::object([
                            ("subnets", Value::Array(args.private_subnet_ids.clone())),
                            ("securityGroups", Value::Array(vec![args.ecs_security_group_id.clone()])),
                            ("assignPublicIp", Value::from(false)),
                        ]),
                    ),
                    (
                        "loadBalancers",
                        Value::array([Value::object([
                            ("targetGroupArn", tg.arn()),
                            ("containerName", Value::from(CONTAINER_NAME)),
                            ("containerPort", Value::from(args.container_port)),
                        ])]),
                    ),
                    ("deploymentCircuitBreaker", Value::object([("enable", true), ("rollback", true)])),
                    ("deploymentMaximumPercent", 200.into()),
                    ("deploymentMinimumHealthyPercent", 100.into()),
                    ("healthCheckGracePeriodSeconds", 60.into()),
                    ("propagateTags", "SERVICE".into()),
                    ("enableEcsManagedTags", true.into()),
                    ("tags", c.tags(&service_name)),
                ],
                ResourceOptions::default().depends_on(listener.urn()).ignore_changes("desiredCount"),
            )?;
            let resource_id =
                Value::Concat(vec![Value::from(format!("service/{cluster_name}/")), service.output("name")]);
            let target = c.add(
                "aws:appautoscaling/target:Target",
                &format!("{colour}-scaling-target"),
                vec![
                    ("serviceNamespace", "ecs".into()),
                    ("scalableDimension", "ecs:service:DesiredCount".into()),
                    ("resourceId", resource_id),
                    ("minCapacity", args.min_capacity.into()),
                    ("maxCapacity", args.max_capacity.into()),
                    ("tags", c.tags(&format!("{service_name}-scaling"))),
                ],
            )?;
            for (metric, predefined, target_value) in [
                ("cpu", "ECSServiceAverageCPUUtilization", args.scale_target_cpu),
                ("memory", "ECSServiceAverageMemoryUtilization", args.scale_target_memory),
            ] {
                c.add(
                    "aws:appautoscaling/policy:Policy",
                    &format!("{colour}-{metric}-scaling"),
                    vec![
                        ("name", c.name(&format!("{colour}-{metric}-tracking"), 255).into()),
                        ("policyType", "TargetTrackingScaling".into()),
                        ("serviceNamespace", target.output("serviceNamespace")),
                        ("scalableDimension", target.output("scalableDimension")),
                        ("resourceId", target.output("resourceId")),
                        (
                            "targetTrackingScalingPolicyConfiguration",
                            Value::object([
                                ("targetValue", Value::from(target_value)),
                                ("scaleInCooldown", Value::from(300)),
                                ("scaleOutCooldown", Value::from(60)),
                                (
                                    "predefinedMetricSpecification",
                                    Value::object([("predefinedMetricType", predefined)]),
                                ),
                            ]),
                        ),
                    ],
                )?;
            }
            colours.push(Colour { colour, target_group: tg, service_name, service });
        }

        Ok(Ecs { component: me, cluster_name, alb_dns_name: alb.output("dnsName"), alb, listener, colours })
    }
}

/// The listener's forward action splitting traffic between the target groups by weight.
pub fn forward_action<'a>(weighted: impl Iterator<Item = (&'a Resource, u32)>) -> Value {
    let groups = weighted.map(|(tg, w)| Value::object([("arn", tg.arn()), ("weight", Value::from(w))]));
    Value::array([Value::object([
        ("type", Value::from("forward")),
        (
            "forward",
            Value::object([
                ("targetGroups", Value::array(groups)),
                ("stickiness", Value::object([("enabled", Value::from(false)), ("duration", Value::from(1))])),
            ]),
        ),
    ])])
}
