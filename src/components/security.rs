//! Security: the security-group chain ALB → ECS (container port) → database
//! (5432), each rule its own resource so rules change without replacing a
//! group, and the ECS task execution and task roles.

use crate::model::{Component, Program, PropertyMap, Resource, ResourceOptions, Value};

use super::{ComponentError, Naming, Tags};

/// The AWS managed policy ECS needs to pull images and write logs.
pub const ECS_TASK_EXECUTION_POLICY_ARN: &str = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";

/// What the security component needs.
#[derive(Debug, Clone)]
pub struct SecurityArgs {
    /// The VPC to create the groups in.
    pub vpc_id: Value,
    /// The port the containers listen on.
    pub container_port: u16,
    /// The database port.
    pub db_port: u16,
    /// Physical names.
    pub naming: Naming,
    /// Common tags.
    pub tags: Tags,
}

/// The security component's outputs.
#[derive(Debug, Clone)]
pub struct Security {
    /// The component resource.
    pub component: Component,
    /// The ALB's security group id.
    pub alb_security_group_id: Value,
    /// The ECS tasks' security group id.
    pub ecs_security_group_id: Value,
    /// The database's security group id.
    pub db_security_group_id: Value,
    /// The ECS task execution role (pulls images, writes logs, reads the DB secret).
    pub task_execution_role: Resource,
    /// The role the application runs as.
    pub task_role: Resource,
}

const TYPE: &str = "tap:components:Security";

fn assume_role_policy(service: &str) -> Value {
    Value::JsonString(Box::new(Value::object([
        ("Version", Value::from("2012-10-17")),
        (
            "Statement",
            Value::array([Value::object([
                ("Effect", Value::from("Allow")),
                ("Principal", Value::object([("Service", service)])),
                ("Action", Value::from("sts:AssumeRole")),
            ])]),
        ),
    ])))
}

impl Security {
    /// Registers the security resources under `parent`.
    pub fn new(program: &mut Program, parent: &Component, name: &str, args: SecurityArgs) -> Result<Security, ComponentError> {
        if args.container_port == 0 || args.db_port == 0 {
            return Err(ComponentError::Invalid { component: TYPE, problem: "ports must be from 1 to 65535".into() });
        }
        let me = program.component(parent, TYPE, name)?;
        let n = &args.naming;
        let t = &args.tags;
        let mut res = |token: &str, logical: &str, inputs: Vec<(&str, Value)>| {
            let inputs: PropertyMap = inputs.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
            program.resource(&me, token, logical, inputs, ResourceOptions::default())
        };
        let group = |res: &mut dyn FnMut(&str, &str, Vec<(&str, Value)>) -> Result<Resource, crate::model::ProgramError>,
                         logical: &str,
                         description: &str| {
            let name = n.name(logical, 255);
            res(
                "aws:ec2/securityGroup:SecurityGroup",
                logical,
                vec![
                    ("name", name.clone().into()),
                    ("description", description.into()),
                    ("vpcId", args.vpc_id.clone()),
                    ("tags", t.named(&name)),
                ],
            )
        };
        let alb = group(&mut res, "alb-sg", "Internet-facing ALB: HTTP and HTTPS from anywhere")?;
        let ecs = group(&mut res, "ecs-sg", "ECS tasks: container port from the ALB only")?;
        let db = group(&mut res, "db-sg", "Aurora: PostgreSQL from the ECS tasks only")?;

        let rule = |res: &mut dyn FnMut(&str, &str, Vec<(&str, Value)>) -> Result<Resource, crate::model::ProgramError>,
                    token: &str,
                    logical: &str,
                    group: &Resource,
                    port: Option<u16>,
                    protocol: &str,
                    peer: (&str, Value),
                    description: &str| {
            let mut inputs = vec![
                ("securityGroupId", group.id()),
                ("ipProtocol", Value::from(protocol)),
                ("description", Value::from(description)),
                peer,
                ("tags", t.named(&n.name(logical, 255))),
            ];
            if let Some(p) = port {
                inputs.push(("fromPort", p.into()));
                inputs.push(("toPort", p.into()));
            }
            res(token, logical, inputs)
        };
        const INGRESS: &str = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
        const EGRESS: &str = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";
        let anywhere = || ("cidrIpv4", Value::from("0.0.0.0/0"));
        rule(&mut res, INGRESS, "alb-http-in", &alb, Some(80), "tcp", anywhere(), "HTTP from the internet")?;
        rule(&mut res, INGRESS, "alb-https-in", &alb, Some(443), "tcp", anywhere(), "HTTPS from the internet")?;
        rule(
            &mut res,
            EGRESS,
            "alb-to-ecs",
            &alb,
            Some(args.container_port),
            "tcp",
            ("referencedSecurityGroupId", ecs.id()),
            "To the ECS tasks",
        )?;
        rule(
            &mut res,
            INGRESS,
            "ecs-from-alb",
            &ecs,
            Some(args.container_port),
            "tcp",
            ("referencedSecurityGroupId", alb.id()),
            "Container port from the ALB",
        )?;
        rule(&mut res, EGRESS, "ecs-https-out", &ecs, Some(443), "tcp", anywhere(), "HTTPS for images, logs and secrets")?;
        rule(
            &mut res,
            EGRESS,
            "ecs-to-db",
            &ecs,
            Some(args.db_port),
            "tcp",
            ("referencedSecurityGroupId", db.id()),
            "PostgreSQL to the database",
        )?;
        rule(
            &mut res,
            INGRESS,
            "db-from-ecs",
            &db,
            Some(args.db_port),
            "tcp",
            ("referencedSecurityGroupId", ecs.id()),
            "PostgreSQL from the ECS tasks",
        )?;

        let exec_name = n.name("task-exec-role", 64);
        let task_execution_role = res(
            "aws:iam/role:Role",
            "task-execution-role",
            vec![
                ("name", exec_name.clone().into()),
                ("assumeRolePolicy", assume_role_policy("ecs-tasks.amazonaws.com")),
                ("description", "ECS task execution: image pulls, logs, the database secret".into()),
                ("tags", t.named(&exec_name)),
            ],
        )?;
        res(
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            "task-execution-managed-policy",
            vec![("role", task_execution_role.output("name")), ("policyArn", ECS_TASK_EXECUTION_POLICY_ARN.into())],
        )?;
        let task_name = n.name("task-role", 64);
        let task_role = res(
            "aws:iam/role:Role",
            "task-role",
            vec![
                ("name", task_name.clone().into()),
                ("assumeRolePolicy", assume_role_policy("ecs-tasks.amazonaws.com")),
                ("description", "The application's own permissions".into()),
                ("tags", t.named(&task_name)),
            ],
        )?;

        Ok(Security {
            component: me,
            alb_security_group_id: alb.id(),
            ecs_security_group_id: ecs.id(),
            db_security_group_id: db.id(),
            task_execution_role,
            task_role,
        })
    }
}
