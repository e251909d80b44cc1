//! Fleet: the blue and green EC2 fleets of a DNS blue-green migration.
//!
//! Each colour gets its own internet-facing ALB in the public subnets with an
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

use crate::model::{Component, Program, Resource, ResourceOptions, Value};

use super::children::{allow, policy_document, Children};
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
        c.add(
            "aws:iam/rolePolicy:RolePolicy",
            "instance-policy",
            vec![
                ("name", c.name("instance-policy", 128).into()),
                ("role", instance_role.output("name")),
                (
                    "policy",
                    policy_document(vec![
                        allow(&["s3:PutObject"], vec![app_logs]),
                        allow(&["rds:DescribeDBInstances"], vec![args.db_instance_arn.clone()]),
                        allow(
                            &["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                            vec![args.db_secret_arn.clone()],
                        ),
                        allow(&["kms:Decrypt", "kms:GenerateDataKey"], vec![args.kms_key_arn.clone()]),
                    ]),
                ),
            ],
        )?;
        let profile_name = c.name("instance-profile", 128);
        let instance_profile = c.add(
            "aws:iam/instanceProfile:InstanceProfile",
            "instance-profile",
            vec![
                ("name", profile_name.clone().into()),
                ("role", instance_role.output("name")),
                ("tags", c.tags(&profile_name)),
            ],
        )?;

        let mut colours = Vec::new();
        for spec in &args.colours {
            let colour = spec.colour.as_str();
            let alb_name = c.name(&format!("{colour}-alb"), 32);
            let alb = c.add_with(
                "aws:lb/loadBalancer:LoadBalancer",
                &format!("{colour}-alb"),
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
                ResourceOptions::default().protect(args.deletion_protection),
            )?;
            let tg_name = c.name(&format!("{colour}-tg"), 32);
            let target_group = c.add(
                "aws:lb/targetGroup:TargetGroup",
                &format!("{colour}-tg"),
                vec![
                    ("name", tg_name.clone().into()),
                    ("port", args.app_port.into()),
                    ("protocol", "HTTP".into()),
                    ("targetType", "instance".into()),
                    ("vpcId", args.vpc_id.clone()),
                    ("deregistrationDelay", 30.into()),
                    (
                        "healthCheck",
                        Value::object([
                            ("enabled", Value::from(true)),
                            ("path", Value::from(args.health_check_path.as_str())),
                            ("protocol", Value::from("HTTP")),
                            ("matcher", Value::from("200")),
                            ("interval", Value::from(15)),
                            ("timeout", Value::from(5)),
                            ("healthyThreshold", Value::from(2)),
                            ("unhealthyThreshold", Value::from(3)),
                        ]),
                    ),
                    ("tags", c.tags(&tg_name)),
                ],
            )?;
            let listener_name = c.name(&format!("{colour}-https"), 255);
            let listener = c.add(
                "aws:lb/listener:Listener",
                &format!("{colour}-https"),
                vec![
                    ("loadBalancerArn", alb.arn()),
                    ("port", 443.into()),
                    ("protocol", "HTTPS".into()),
                    ("certificateArn", args.certificate_arn.as_str().into()),
                    ("sslPolicy", args.ssl_policy.as_str().into()),
                    (
                        "defaultActions",
                        Value::array([Value::object([
                            ("type", Value::from("forward")),
                            ("targetGroupArn", target_group.arn()),
                        ])]),
                    ),
                    ("tags", c.tags(&listener_name)),
                ],
            )?;

            let lt_name = c.name(&format!("{colour}-lt"), 128);
            let instance_name = c.name(&format!("{colour}-app"), 255);
            let launch_template = c.add(
                "aws:ec2/launchTemplate:LaunchTemplate",
                &format!("{colour}-lt"),
                vec![
                    ("name", lt_name.clone().into()),
                    ("description", format!("{colour} fleet on {}", spec.instance_type).into()),
                    ("imageId", args.ami_id.as_str().into()),
                    ("instanceType", spec.instance_type.as_str().into()),
                    (
                        "metadataOptions",
                        Value::object([
                            ("httpEndpoint", Value::from("enabled")),
                            ("httpTokens", Value::from("required")),
                            ("httpPutResponseHopLimit", Value::from(1)),
                        ]),
                    ),
                    (
                        "blockDeviceMappings",
                        Value::Array(vec![Value::object([
                            ("deviceName", Value::from("/dev/xvda")),
                            (
                                "ebs",
                                Value::object([
                                    ("volumeSize", Value::from(args.root_volume_gib)),
                                    ("volumeType", Value::from("gp3")),
                                    ("encrypted", Value::from("true")),
                                    ("kmsKeyId", args.kms_key_arn.clone()),
                                    ("deleteOnTermination", Value::from("true")),
                                ]),
                            ),
                        ])]),
                    ),
                    ("iamInstanceProfile", Value::object([("name", instance_profile.output("name"))])),
                    ("vpcSecurityGroupIds", Value::Array(vec![args.app_security_group_id.clone()])),
                    ("userData", user_data(colour, args.app_port, &args.health_check_path).into()),
                    (
                        "tagSpecifications",
                        Value::Array(
                            ["instance", "volume"]
                                .into_iter()
                                .map(|kind| {
                                    Value::object([
                                        ("resourceType", Value::from(kind)),
                                        ("tags", c.tags(&instance_name)),
                                    ])
                                })
                                .collect(),
                        ),
                    ),
                    ("updateDefaultVersion", true.into()),
                    ("tags", c.tags(&lt_name)),
                ],
            )?;

            let group_name = c.name(&format!("{colour}-asg"), 255);
            let mut asg_tags: Vec<Value> = match c.tags(&group_name) {
                Value::Object(pairs) => pairs
                    .into_iter()
                    .map(|(k, v)| {
                        Value::object([("key", Value::from(k)), ("value", v), ("propagateAtLaunch", Value::from(true))])
                    })
                    .collect(),
                _ => Vec::new(),
            };
            asg_tags.push(Value::object([
                ("key", Value::from("Colour")),
                ("value", Value::from(colour)),
                ("propagateAtLaunch", Value::from(true)),
            ]));
            let group = c.add_with(
                "aws:autoscaling/group:Group",
                &format!("{colour}-asg"),
                vec![
                    ("name", group_name.clone().into()),
                    ("minSize", spec.min_size.into()),
                    ("maxSize", spec.max_size.into()),
                    ("desiredCapacity", spec.desired_capacity.into()),
                    ("vpcZoneIdentifiers", Value::Array(args.private_subnet_ids.clone())),
                    (
                        "launchTemplate",
                        Value::object([("id", launch_template.id()), ("version", Value::from("$Latest"))]),
                    ),
                    ("targetGroupArns", Value::Array(vec![target_group.arn()])),
                    ("healthCheckType", "ELB".into()),
                    ("healthCheckGracePeriod", 300.into()),
                    ("defaultCooldown", 300.into()),
                    ("tags", Value::Array(asg_tags)),
                ],
                // Instances register only once the listener forwards to them.
                ResourceOptions::default().depends_on(listener.urn()),
            )?;
            let scaling_policy = c.add(
                "aws:autoscaling/policy:Policy",
                &format!("{colour}-cpu"),
                vec![
                    ("name", c.name(&format!("{colour}-cpu"), 255).into()),
                    ("autoscalingGroupName", group.output("name")),
                    ("policyType", "TargetTrackingScaling".into()),
                    ("estimatedInstanceWarmup", 300.into()),
                    (
                        "targetTrackingConfiguration",
                        Value::object([
                            (
                                "predefinedMetricSpecification",
                                Value::object([("predefinedMetricType", "ASGAverageCPUUtilization")]),
                            ),
                            ("targetValue", Value::from(args.cpu_target_percent)),
                        ]),
                    ),
                ],
            )?;
            colours.push(ColourFleet {
                colour: colour.to_string(),
                instance_type: spec.instance_type.clone(),
                alb,
                listener,
                target_group,
                launch_template,
                group,
                group_name,
                scaling_policy,
            });
        }
        Ok(Fleet { component: me, instance_role, instance_profile, colours })
    }
}
