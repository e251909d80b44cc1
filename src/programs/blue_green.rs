//! The flagship program: the blue-green ECS/Aurora stack of seed 000.
//!
//! It currently wires the Networking and Security components; Database, Ecs
//! and Monitoring arrive with the flagship issue and consume their outputs.

use crate::components::{Ipv4Cidr, Naming, Networking, NetworkingArgs, Security, SecurityArgs, Tags};
use crate::config::ConfigError;
use crate::model::{Program, PropertyMap, Value};

use super::{region, BuildError, ProgramContext};

/// The program's name in `deploy.toml`.
pub const NAME: &str = "blue-green";

/// Builds the stack's resources from its config.
pub fn build(ctx: &ProgramContext<'_>) -> Result<Program, BuildError> {
    let c = ctx.config;
    let region = region(c)?;
    let environment = c.string("tap:environment", ctx.stack)?;
    let suffix = match &ctx.environment_suffix {
        Some(s) => s.clone(),
        None => c.string("tap:environmentSuffix", ctx.stack)?,
    };
    let vpc_cidr: Ipv4Cidr = c
        .string("tap:vpcCidr", "10.0.0.0/16")?
        .parse()
        .map_err(|problem| ConfigError::BadValue { key: "tap:vpcCidr".into(), problem })?;
    if !(16..=24).contains(&vpc_cidr.prefix()) {
        return Err(ConfigError::BadValue {
            key: "tap:vpcCidr".into(),
            problem: format!("{vpc_cidr} leaves no room for six subnets; use a prefix from /16 to /24, e.g. 10.0.0.0/16"),
        }
        .into());
    }
    let container_port = c.integer("tap:containerPort", 80, 1..=65535)? as u16;
    c.reject_unread()?;

    if ctx.availability_zones.len() < 2 {
        return Err(ConfigError::BadValue {
            key: "aws:region".into(),
            problem: format!(
                "{region} offers {} availability zone(s); the stack needs at least 2 for a highly available network — pick another region",
                ctx.availability_zones.len()
            ),
        }
        .into());
    }
    let zones: Vec<String> = ctx.availability_zones.iter().take(3).cloned().collect();
    let naming = Naming::new(ctx.project, &environment, &suffix);
    let tags = Tags::new(ctx.project, &environment, &[]);

    let mut program = Program::new(ctx.project, ctx.stack, PropertyMap::from([("region".to_string(), Value::from(region))]));
    let root = program.root();
    let stack = program.component(&root, "tap:stack:TapStack", &format!("{}-{}", ctx.project, ctx.stack))?;
    let networking = Networking::new(
        &mut program,
        &stack,
        "networking",
        NetworkingArgs { vpc_cidr, availability_zones: zones, naming: naming.clone(), tags: tags.clone() },
    )?;
    let security = Security::new(
        &mut program,
        &stack,
        "security",
        SecurityArgs { vpc_id: networking.vpc_id.clone(), container_port, db_port: 5432, naming, tags },
    )?;
    program.export("vpcId", networking.vpc_id.clone());
    program.export("publicSubnetIds", Value::Array(networking.public_subnet_ids.clone()));
    program.export("privateSubnetIds", Value::Array(networking.private_subnet_ids.clone()));
    program.export("dbSubnetGroupName", networking.db_subnet_group_name.clone());
    program.export("albSecurityGroupId", security.alb_security_group_id.clone());
    program.export("taskExecutionRoleArn", security.task_execution_role.arn());
    Ok(program)
}
