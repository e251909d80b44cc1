//! Fleet: the blue and green EC2 fleets of a DNS blue-green migration.
//!
//! Each colour is a [`WebTier`] registered straight into this
//! component (so the colours' URNs are what they were before `WebTier`
//! existed): its own internet-facing ALB in the public subnets with an
//! HTTPS (443) listener on the configured certificate, a target group
//! (`/health` checks, 30 s deregistration delay), a launch template (IMDSv2
//! required, EBS encrypted with the stack's KMS key, the instance profile)
//! and an Auto Scaling group across the private subnets with a CPU
//! target-tracking policy. One load balancer per colour is what lets weighted
//! Route 53 records move traffic between the colours: DNS picks a load
//! balancer, never a target group behind one.
//!
//! The instances share one role whose inline policy names exact ARNs: write
//! under `app/` in the log bucket, describe the one database instance, read
//! its managed secret, and use the stack's key.

use base64::Engine as _;

use crate::model::{Component, Program, Resource, Value};

use super::children::{allow, Children};
use super::web_tier::{Listeners, Scaling, Tls, WebTier, WebTierArgs};
use super::{ComponentError, Naming, Tags};

/// One colour's fleet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetColour {
    /// `blue` or `green`.
    pub colour: String,
    /// The EC2 instance type (e.g. `t3.micro`, `m5.large`).
    pub instance_type: String,
    /// Auto Scaling group minimum.
    pub min_size: u32,
    /// Auto Scaling group maximum.
    pub max_size: u32,
    /// Auto Scaling group desired capacity.
    pub desired_capacity: u32,
}

/// What the fleet component needs.
#[derive(Debug, Clone)]
pub struct FleetArgs {
    /// The VPC.
    pub vpc_id: Value,
    /// Public subnets (the load balancers), one per zone.
    pub public_subnet_ids: Vec<Value>,
    /// Private subnets (the instances), one per zone.
    pub private_subnet_ids: Vec<Value>,
    /// The load balancers' security group.
    pub alb_security_group_id: Value,
    /// The instances' security group.
    pub app_security_group_id: Value,
    /// The KMS key ARN for EBS volumes.
    pub kms_key_arn: Value,
    /// The HTTPS listeners' certificate (ACM or IAM server certificate ARN).
    pub certificate_arn: String,
    /// The HTTPS listeners' TLS policy.
    pub ssl_policy: String,
    /// The port the application listens on.
    pub app_port: u16,
    /// The health check path (e.g. `/health`).
    pub health_check_path: String,
    /// The AMI both colours boot.
    pub ami_id: String,
    /// Size of each instance's encrypted root volume (GiB).
    pub root_volume_gib: u32,
    /// Blue, then green.
    pub colours: Vec<FleetColour>,
    /// Target average CPU (%) the scaling policies keep.
    pub cpu_target_percent: u32,
    /// The log bucket's ARN (instances write under `app/`).
    pub log_bucket_arn: Value,
    /// The database instance's ARN.
    pub db_instance_arn: Value,
    /// The database's managed secret ARN.
    pub db_secret_arn: Value,
    /// Deletion protection on the load balancers.
    pub deletion_protection: bool,
    /// Physical names.
    pub naming: Naming,
    /// Common tags.
    pub tags: Tags,
}

/// One colour's resources.
#[derive(Debug, Clone)]
pub struct ColourFleet {
    /// `blue` or `green`.
    pub colour: String,
    /// The instance type.
    pub instance_type: String,
    /// The load balancer.
    pub alb: Resource,
    /// The HTTPS listener.
    pub listener: Resource,
    /// The target group.
    pub target_group: Resource,
    /// The launch template.
    pub launch_template: Resource,
    /// The Auto Scaling group.
    pub group: Resource,
    /// The group's name.
    pub group_name: String,
    /// The CPU target-tracking policy.
    pub scaling_policy: Resource,
}

/// The fleet component's outputs.
#[derive(Debug, Clone)]
pub struct Fleet {
    /// The component resource.
    pub component: Component,
    /// The instances' role.
    pub instance_role: Resource,
    /// The instance profile.
    pub instance_profile: Resource,
    /// Blue, then green.
    pub colours: Vec<ColourFleet>,
}

const TYPE: &str = "tap:components:Fleet";

/// The boot script: a minimal service on the app port answering `/health`,
/// reading its token from IMDSv2 (the only metadata API the template allows).
fn user_data(colour: &str, port: u16, health: &str) -> String {
    let script = format!(
        "#!/bin/bash\n\
         set -euo pipefail\n\
         TOKEN=$(curl -sX PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')\n\
         ID=$(curl -s -H \"X-aws-ec2-metadata-token: $TOKEN\" http://169.254.169.254/latest/meta-data/instance-id)\n\
         mkdir -p /srv/app{health_dir}\n\
         echo ok > /srv/app{health}\n\
         echo \"{colour} $ID\" > /srv/app/index.html\n\
         cd /srv/app && nohup python3 -m http.server {port} >/var/log/app.log 2>&1 &\n",
        health_dir = health.rsplit_once('/').map(|(d, _)| d).unwrap_or(""),
    );
    base64::engine::general_purpose::STANDARD.encode(script)
}

impl Fleet {
    /// Registers both fleets under `parent`.
    pub fn new(
        program: &mut Program,
        parent: &Component,
        name: &str,
        args: FleetArgs,
    ) -> Result<Fleet, ComponentError> {
        let invalid = |problem: String| ComponentError::Invalid { component: TYPE, problem };
        if args.colours.len() != 2 {
            return Err(invalid(format!("needs exactly two colours (blue, green), got {}", args.colours.len())));
        }
        if args.private_subnet_ids.is_empty() || args.public_subnet_ids.len() < 2 {
            return Err(invalid("needs private subnets and at least two public subnets".into()));
        }
        for c in &args.colours {
            if !(c.min_size <= c.desired_capacity && c.desired_capacity <= c.max_size) || c.max_size == 0 {
                return Err(invalid(format!(
                    "{}: need min <= desired <= max and max >= 1, got {}/{}/{}",
                    c.colour, c.min_size, c.desired_capacity, c.max_size
                )));
            }
        }
        if !args.health_check_path.starts_with('/') {
            return Err(invalid(format!("health check path `{}` must start with /", args.health_check_path)));
        }
        if !(1..=100).contains(&args.cpu_target_percent) {
            return Err(invalid("the CPU target must be 1 to 100 %".into()));
        }
        let me = program.component(parent, TYPE, name)?;
        let mut c = Children { program, parent: me.clone(), naming: &args.naming, tags: &args.tags };

        let instance_role = c.role("instance-role", "ec2.amazonaws.com", "Blue and green application instances")?;
        let app_logs = Value::Concat(vec![args.log_bucket_arn.clone(), "/app/*".into()]);
        c.role_policy(
            "instance-policy",
            "instance-policy",
            &instance_role,
            vec![
                allow(&["s3:PutObject"], vec![app_logs]),
                allow(&["rds:DescribeDBInstances"], vec![args.db_instance_arn.clone()]),
                allow(
                    &["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                    vec![args.db_secret_arn.clone()],
                ),
                allow(&["kms:Decrypt", "kms:GenerateDataKey"], vec![args.kms_key_arn.clone()]),
            ],
        )?;
        let instance_profile = c.instance_profile(&instance_role)?;

        let mut colours = Vec::new();
        for spec in &args.colours {
            let colour = spec.colour.as_str();
            let tier = WebTier::register(
                &mut *c.program,
                &me,
                &WebTierArgs {
                    prefix: colour.to_string(),
                    vpc_id: args.vpc_id.clone(),
                    public_subnet_ids: args.public_subnet_ids.clone(),
                    private_subnet_ids: args.private_subnet_ids.clone(),
                    alb_security_group_id: args.alb_security_group_id.clone(),
                    instance_security_group_id: args.app_security_group_id.clone(),
                    instance_profile_name: instance_profile.output("name"),
                    ami_id: args.ami_id.clone(),
                    instance_type: spec.instance_type.clone(),
                    description: format!("{colour} fleet on {}", spec.instance_type),
                    root_volume_gib: args.root_volume_gib,
                    kms_key_arn: Some(args.kms_key_arn.clone()),
                    user_data: Some(user_data(colour, args.app_port, &args.health_check_path)),
                    app_port: args.app_port,
                    health_check_path: args.health_check_path.clone(),
                    listeners: Listeners::Https(Tls {
                        certificate_arn: args.certificate_arn.clone(),
                        ssl_policy: args.ssl_policy.clone(),
                    }),
                    min_size: spec.min_size,
                    max_size: spec.max_size,
                    desired_capacity: spec.desired_capacity,
                    scaling: Scaling::TargetTrackingCpu { cpu_percent: args.cpu_target_percent },
                    access_logs: None,
                    deletion_protection: args.deletion_protection,
                    group_tags: vec![("Colour".to_string(), colour.to_string())],
                    naming: args.naming.clone(),
                    tags: args.tags.clone(),
                },
            )?;
            let scaling_policy = tier.scaling_policies[0].clone();
            colours.push(ColourFleet {
                colour: colour.to_string(),
                instance_type: spec.instance_type.clone(),
                alb: tier.alb,
                listener: tier.listener,
                target_group: tier.target_group,
                launch_template: tier.launch_template,
                group: tier.group,
                group_name: tier.group_name,
                scaling_policy,
            });
        }
        Ok(Fleet { component: me, instance_role, instance_profile, colours })
    }
}
