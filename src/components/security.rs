//! Security: the security-group chain ALB → ECS (container port) → database
//! (5432), each rule its own resource so rules change without replacing a
//! group, and the ECS task execution and task roles.

use crate::model::{Component, Program, ProgramError, Resource, Value};

use super::children::Children;
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

/// Where a rule's traffic comes from or goes to.
pub(super) enum Peer {
    Anywhere,
    Group(Value),
    Cidr(String),
}

impl Children<'_> {
    pub(super) fn group(&mut self, logical: &str, description: &str, vpc_id: &Value) -> Result<Resource, ProgramError> {
        let name = self.name(logical, 255);
        let tags = self.tags(&name);
        self.add(
            "aws:ec2/securityGroup:SecurityGroup",
            logical,
            vec![("name", name.into()), ("description", description.into()), ("vpcId", vpc_id.clone()), ("tags", tags)],
        )
    }

    pub(super) fn rule(
        &mut self,
        ingress: bool,
        logical: &str,
        group_id: Value,
        port: u16,
        peer: Peer,
        description: &str,
    ) -> Result<Resource, ProgramError> {
        let token = if ingress {
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
        } else {
            "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
        };
        let peer = match peer {
            Peer::Anywhere => ("cidrIpv4", Value::from("0.0.0.0/0")),
            Peer::Group(id) => ("referencedSecurityGroupId", id),
            Peer::Cidr(block) => ("cidrIpv4", Value::from(block)),
        };
        let tags = self.tags(&self.name(logical, 255));
        self.add(
            token,
            logical,
            vec![
                ("securityGroupId", group_id),
                ("ipProtocol", "tcp".into()),
                ("fromPort", port.into()),
                ("toPort", port.into()),
                peer,
                ("description", description.into()),
                ("tags", tags),
            ],
        )
    }
}

impl Security {
    /// Registers the security resources under `parent`.
    pub fn new(
        program: &mut Program,
        parent: &Component,
        name: &str,
        args: SecurityArgs,
    ) -> Result<Security, ComponentError> {
        if args.container_port == 0 || args.db_port == 0 {
            return Err(ComponentError::Invalid { component: TYPE, problem: "ports must be from 1 to 65535".into() });
        }
        let me = program.component(parent, TYPE, name)?;
        let mut c = Children { program, parent: me.clone(), naming: &args.naming, tags: &args.tags };
        let vpc = &args.vpc_id;
        let alb = c.group("alb-sg", "Internet-facing ALB: HTTP and HTTPS from anywhere", vpc)?;
        let ecs = c.group("ecs-sg", "ECS tasks: container port from the ALB only", vpc)?;
        let db = c.group("db-sg", "Aurora: PostgreSQL from the ECS tasks only", vpc)?;
        let (app, pg) = (args.container_port, args.db_port);
        c.rule(true, "alb-http-in", alb.id(), 80, Peer::Anywhere, "HTTP from the internet")?;
        c.rule(true, "alb-https-in", alb.id(), 443, Peer::Anywhere, "HTTPS from the internet")?;
        c.rule(false, "alb-to-ecs", alb.id(), app, Peer::Group(ecs.id()), "To the ECS tasks")?;
        c.rule(true, "ecs-from-alb", ecs.id(), app, Peer::Group(alb.id()), "Container port from the ALB")?;
        c.rule(false, "ecs-https-out", ecs.id(), 443, Peer::Anywhere, "HTTPS for images, logs and secrets")?;
        c.rule(false, "ecs-to-db", ecs.id(), pg, Peer::Group(db.id()), "PostgreSQL to the database")?;
        c.rule(true, "db-from-ecs", db.id(), pg, Peer::Group(ecs.id()), "PostgreSQL from the ECS tasks")?;

        let task_execution_role = c.role(
            "task-execution-role",
            "ecs-tasks.amazonaws.com",
            "ECS task execution: image pulls, logs, the database secret",
        )?;
        c.add(
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            "task-execution-managed-policy",
            vec![("role", task_execution_role.output("name")), ("policyArn", ECS_TASK_EXECUTION_POLICY_ARN.into())],
        )?;
        let task_role = c.role("task-role", "ecs-tasks.amazonaws.com", "The application's own permissions")?;

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
