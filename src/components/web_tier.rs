//! WebTier: one web tier of EC2 instances behind an internet-facing
//! Application Load Balancer — the ALB in the public subnets, a target group,
//! its listener(s), a launch template (IMDSv2 required, encrypted root
//! volume) and an Auto Scaling group across the private subnets with ELB
//! health checks and a scaling strategy: CPU target tracking, or simple
//! scale-up/scale-down policies driven by CPU high/low CloudWatch alarms.
//! The ALB can write access logs to a bucket.
//!
//! Every ALB + ASG of tapctl is built here: `Fleet` builds each colour of a
//! blue-green migration with it (registered straight into the fleet's
//! component, so the colours' URNs predate this component), `ha-web` its one
//! tier, and other programs theirs.

use crate::model::{Component, Program, Resource, ResourceOptions, Value};

use super::children::Children;
use super::{ComponentError, Naming, Tags};

/// How the group scales.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scaling {
    /// One target-tracking policy keeping the group's average CPU at
    /// `cpu_percent`.
    TargetTrackingCpu {
        /// The average CPU (%) to keep, 1–100.
        cpu_percent: u32,
    },
    /// Two simple policies, each fired by its own CPU alarm: add `step`
    /// instances when the average CPU stays above `high_percent`, remove
    /// `step` when it stays below `low_percent`.
    SimpleCpuAlarms {
        /// Scale up above this average CPU (%).
        high_percent: u32,
        /// Scale down below this average CPU (%); less than `high_percent`.
        low_percent: u32,
        /// Instances added or removed per alarm (at least 1).
        step: u32,
        /// Seconds after a scaling activity before the next one.
        cooldown_seconds: u32,
        /// Consecutive periods the alarm's condition must hold (at least 1).
        evaluation_periods: u32,
        /// Length of one period in seconds (a multiple of 60).
        period_seconds: u32,
    },
}

/// TLS on the HTTPS listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tls {
    /// An ACM certificate ARN (or an IAM server certificate ARN).
    pub certificate_arn: String,
    /// The ELB security policy (e.g. `ELBSecurityPolicy-TLS13-1-2-2021-06`).
    pub ssl_policy: String,
}

/// Which listeners the ALB gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listeners {
    /// HTTP on 80, forwarding to the target group.
    Http,
    /// HTTPS on 443 forwarding to the target group, and nothing on 80.
    Https(Tls),
    /// HTTPS on 443 forwarding to the target group, and HTTP on 80
    /// redirecting to it (301).
    HttpsWithRedirect(Tls),
}

/// Where the ALB writes its access logs. The bucket's policy must let the
/// region's ELB account (or the `logdelivery.elasticloadbalancing` service)
/// write under the prefix; that is the bucket owner's to grant.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessLogs {
    /// The bucket's name (not its ARN).
    pub bucket: Value,
    /// The key prefix (no leading or trailing `/`); empty for none.
    pub prefix: String,
}

/// What the web tier needs.
#[derive(Debug, Clone)]
pub struct WebTierArgs {
    /// Prefix of the children's logical and physical names (`blue` makes
    /// `blue-alb`, …); empty for none.
    pub prefix: String,
    /// The VPC.
    pub vpc_id: Value,
    /// Public subnets (the load balancer), at least two zones.
    pub public_subnet_ids: Vec<Value>,
    /// Private subnets (the instances).
    pub private_subnet_ids: Vec<Value>,
    /// The load balancer's security group.
    pub alb_security_group_id: Value,
    /// The instances' security group.
    pub instance_security_group_id: Value,
    /// The instance profile's name.
    pub instance_profile_name: Value,
    /// The AMI the instances boot.
    pub ami_id: String,
    /// The EC2 instance type.
    pub instance_type: String,
    /// The launch template's description.
    pub description: String,
    /// Size of each instance's encrypted root volume (GiB, 8–16384).
    pub root_volume_gib: u32,
    /// The KMS key for the root volumes; `None` for the account's
    /// AWS-managed EBS key (the volumes are encrypted either way).
    pub kms_key_arn: Option<Value>,
    /// Base64 user data, if any.
    pub user_data: Option<String>,
    /// The port the instances serve on.
    pub app_port: u16,
    /// The target group's health check path.
    pub health_check_path: String,
    /// The listeners.
    pub listeners: Listeners,
    /// Auto Scaling group minimum.
    pub min_size: u32,
    /// Auto Scaling group maximum (at least 1).
    pub max_size: u32,
    /// Auto Scaling group desired capacity.
    pub desired_capacity: u32,
    /// How the group scales.
    pub scaling: Scaling,
    /// ALB access logs, if wanted.
    pub access_logs: Option<AccessLogs>,
    /// AWS deletion protection (and `protect`) on the load balancer.
    pub deletion_protection: bool,
    /// Extra tags on the group, propagated to its instances (e.g. `Colour`).
    pub group_tags: Vec<(String, String)>,
    /// Physical names.
    pub naming: Naming,
    /// Common tags.
    pub tags: Tags,
}

/// The web tier's resources.
#[derive(Debug, Clone)]
pub struct WebTier {
    /// The component the resources are registered under (the caller's own
    /// component when built with [`WebTier::register`]).
    pub component: Component,
    /// The load balancer.
    pub alb: Resource,
    /// The target group.
    pub target_group: Resource,
    /// The listener that forwards to the target group (HTTPS when TLS is
    /// configured, else HTTP).
    pub listener: Resource,
    /// The HTTP listener redirecting to HTTPS, with
    /// [`Listeners::HttpsWithRedirect`].
    pub redirect_listener: Option<Resource>,
    /// The launch template.
    pub launch_template: Resource,
    /// The Auto Scaling group.
    pub group: Resource,
    /// The group's name.
    pub group_name: String,
    /// The scaling policies: the target-tracking one, or scale-up then
    /// scale-down.
    pub scaling_policies: Vec<Resource>,
    /// The names of the alarms driving simple scaling (high, then low);
    /// empty with target tracking, whose alarms AWS makes itself.
    pub alarm_names: Vec<String>,
}

const TYPE: &str = "tap:components:WebTier";

/// The arguments' problems, as one message.
fn check(args: &WebTierArgs) -> Result<(), String> {
    let (min, desired, max) = (args.min_size, args.desired_capacity, args.max_size);
    if max == 0 || min > desired || desired > max {
        return Err(format!("need min <= desired <= max and max >= 1, got {min}/{desired}/{max}"));
    }
    if args.public_subnet_ids.len() < 2 {
        return Err("an ALB needs public subnets in at least two zones".into());
    }
    if args.private_subnet_ids.is_empty() {
        return Err("the instances need at least one private subnet".into());
    }
    if args.app_port == 0 {
        return Err("the application port must be 1 to 65535".into());
    }
    if !args.health_check_path.starts_with('/') {
        return Err(format!("health check path `{}` must start with /", args.health_check_path));
    }
    if !(8..=16384).contains(&args.root_volume_gib) {
        return Err(format!("root volume of {} GiB: gp3 volumes are 8 to 16384 GiB", args.root_volume_gib));
    }
    if let Listeners::Https(tls) | Listeners::HttpsWithRedirect(tls) = &args.listeners {
        if tls.certificate_arn.is_empty() || tls.ssl_policy.is_empty() {
            return Err("HTTPS needs a certificate ARN and an SSL policy".into());
        }
    }
    if let Some(logs) = &args.access_logs {
        if logs.prefix.starts_with('/') || logs.prefix.ends_with('/') {
            return Err(format!("access log prefix `{}` must not start or end with /", logs.prefix));
        }
    }
    match args.scaling {
        Scaling::TargetTrackingCpu { cpu_percent } if !(1..=100).contains(&cpu_percent) => {
            Err(format!("the CPU target must be 1 to 100 %, got {cpu_percent}"))
        }
        Scaling::SimpleCpuAlarms { high_percent, low_percent, step, evaluation_periods, period_seconds, .. } => {
            if !(low_percent < high_percent && high_percent <= 100) {
                Err(format!("need 0 <= low < high <= 100 % CPU, got low {low_percent}, high {high_percent}"))
            } else if step == 0 || evaluation_periods == 0 {
                Err("the scaling step and the evaluation periods must be at least 1".into())
            } else if period_seconds == 0 || period_seconds % 60 != 0 {
                Err(format!("the alarm period must be a positive multiple of 60 s, got {period_seconds}"))
            } else {
                Ok(())
            }
        }
        Scaling::TargetTrackingCpu { .. } => Ok(()),
    }
}

impl WebTier {
    /// Registers a `tap:components:WebTier` component named `name` under
    /// `parent`, and the tier's resources under it.
    pub fn new(
        program: &mut Program,
        parent: &Component,
        name: &str,
        args: WebTierArgs,
    ) -> Result<WebTier, ComponentError> {
        check(&args).map_err(|problem| ComponentError::Invalid { component: TYPE, problem })?;
        let me = program.component(parent, TYPE, name)?;
        WebTier::build(program, &me, &args)
    }

    /// Registers the tier's resources straight under `parent` — for a
    /// component that holds several tiers (and keeps its URNs).
    pub fn register(program: &mut Program, parent: &Component, args: &WebTierArgs) -> Result<WebTier, ComponentError> {
        check(args).map_err(|problem| ComponentError::Invalid { component: TYPE, problem })?;
        WebTier::build(program, parent, args)
    }

    /// Registers the resources of checked `args` under `parent`.
    fn build(program: &mut Program, parent: &Component, args: &WebTierArgs) -> Result<WebTier, ComponentError> {
        let mut c = Children { program, parent: parent.clone(), naming: &args.naming, tags: &args.tags };
        let part =
            |what: &str| if args.prefix.is_empty() { what.to_string() } else { format!("{}-{what}", args.prefix) };

        // ALB and target group names: at most 32 characters.
        let alb_name = c.name(&part("alb"), 32);
        let mut alb_inputs = vec![
            ("name", alb_name.clone().into()),
            ("internal", false.into()),
            ("loadBalancerType", "application".into()),
            ("securityGroups", Value::Array(vec![args.alb_security_group_id.clone()])),
            ("subnets", Value::Array(args.public_subnet_ids.clone())),
            ("enableDeletionProtection", args.deletion_protection.into()),
            ("dropInvalidHeaderFields", true.into()),
            ("idleTimeout", 60.into()),
            ("tags", c.tags(&alb_name)),
        ];
        if let Some(logs) = &args.access_logs {
            alb_inputs.push((
                "accessLogs",
                Value::object([
                    ("bucket", logs.bucket.clone()),
                    ("prefix", Value::from(logs.prefix.as_str())),
                    ("enabled", Value::from(true)),
                ]),
            ));
        }
        let alb = c.add_with(
            "aws:lb/loadBalancer:LoadBalancer",
            &part("alb"),
            alb_inputs,
            ResourceOptions::default().protect(args.deletion_protection),
        )?;
        let tg_name = c.name(&part("tg"), 32);
        let target_group = c.add(
            "aws:lb/targetGroup:TargetGroup",
            &part("tg"),
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
        let forward =
            Value::array([Value::object([("type", Value::from("forward")), ("targetGroupArn", target_group.arn())])]);
        let (listener, redirect_listener) = match &args.listeners {
            Listeners::Http => (listener(&mut c, &part("http"), &alb, 80, None, forward)?, None),
            Listeners::Https(tls) => (listener(&mut c, &part("https"), &alb, 443, Some(tls), forward)?, None),
            Listeners::HttpsWithRedirect(tls) => {
                let https = listener(&mut c, &part("https"), &alb, 443, Some(tls), forward)?;
                let redirect = Value::array([Value::object([
                    ("type", Value::from("redirect")),
                    (
                        "redirect",
                        Value::object([
                            ("port", Value::from("443")),
                            ("protocol", Value::from("HTTPS")),
                            ("statusCode", Value::from("HTTP_301")),
                        ]),
                    ),
                ])]);
                (https, Some(listener(&mut c, &part("http"), &alb, 80, None, redirect)?))
            }
        };

        let lt_name = c.name(&part("lt"), 128);
        let instance_name = c.name(&part("app"), 255);
        let mut ebs = vec![
            ("volumeSize", Value::from(args.root_volume_gib)),
            ("volumeType", Value::from("gp3")),
            ("encrypted", Value::from("true")),
            ("deleteOnTermination", Value::from("true")),
        ];
        if let Some(key) = &args.kms_key_arn {
            ebs.push(("kmsKeyId", key.clone()));
        }
        let mut lt_inputs = vec![
            ("name", lt_name.clone().into()),
            ("description", args.description.as_str().into()),
            ("imageId", args.ami_id.as_str().into()),
            ("instanceType", args.instance_type.as_str().into()),
            (
                "metadataOptions",
                // IMDSv2 only; a hop limit of 1 keeps the token on the instance.
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
                    ("ebs", Value::object(ebs)),
                ])]),
            ),
            ("iamInstanceProfile", Value::object([("name", args.instance_profile_name.clone())])),
            ("vpcSecurityGroupIds", Value::Array(vec![args.instance_security_group_id.clone()])),
            (
                "tagSpecifications",
                Value::Array(
                    ["instance", "volume"]
                        .into_iter()
                        .map(|kind| {
                            Value::object([("resourceType", Value::from(kind)), ("tags", c.tags(&instance_name))])
                        })
                        .collect(),
                ),
            ),
            ("updateDefaultVersion", true.into()),
            ("tags", c.tags(&lt_name)),
        ];
        if let Some(data) = &args.user_data {
            lt_inputs.push(("userData", data.as_str().into()));
        }
        let launch_template = c.add("aws:ec2/launchTemplate:LaunchTemplate", &part("lt"), lt_inputs)?;

        let group_name = c.name(&part("asg"), 255);
        let propagated =
            |k: Value, v: Value| Value::object([("key", k), ("value", v), ("propagateAtLaunch", Value::from(true))]);
        let mut group_tags: Vec<Value> = match c.tags(&group_name) {
            Value::Object(pairs) => pairs.into_iter().map(|(k, v)| propagated(Value::from(k), v)).collect(),
            _ => Vec::new(),
        };
        group_tags.extend(args.group_tags.iter().map(|(k, v)| propagated(Value::from(k), Value::from(v))));
        let group = c.add_with(
            "aws:autoscaling/group:Group",
            &part("asg"),
            vec![
                ("name", group_name.clone().into()),
                ("minSize", args.min_size.into()),
                ("maxSize", args.max_size.into()),
                ("desiredCapacity", args.desired_capacity.into()),
                ("vpcZoneIdentifiers", Value::Array(args.private_subnet_ids.clone())),
                ("launchTemplate", Value::object([("id", launch_template.id()), ("version", Value::from("$Latest"))])),
                ("targetGroupArns", Value::Array(vec![target_group.arn()])),
                ("healthCheckType", "ELB".into()),
                ("healthCheckGracePeriod", 300.into()),
                ("defaultCooldown", 300.into()),
                ("tags", Value::Array(group_tags)),
            ],
            // Instances register only once the listener forwards to them.
            ResourceOptions::default().depends_on(listener.urn()),
        )?;

        let (scaling_policies, alarm_names) = match args.scaling {
            Scaling::TargetTrackingCpu { cpu_percent } => {
                let policy = c.add(
                    "aws:autoscaling/policy:Policy",
                    &part("cpu"),
                    vec![
                        ("name", c.name(&part("cpu"), 255).into()),
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
                                ("targetValue", Value::from(cpu_percent)),
                            ]),
                        ),
                    ],
                )?;
                (vec![policy], Vec::new())
            }
            Scaling::SimpleCpuAlarms {
                high_percent,
                low_percent,
                step,
                cooldown_seconds,
                evaluation_periods,
                period_seconds,
            } => {
                let mut policies = Vec::new();
                let mut names = Vec::new();
                let step = i64::from(step);
                for (what, adjustment, operator, threshold) in [
                    ("scale-up", step, "GreaterThanOrEqualToThreshold", high_percent),
                    ("scale-down", -step, "LessThanOrEqualToThreshold", low_percent),
                ] {
                    let policy = c.add(
                        "aws:autoscaling/policy:Policy",
                        &part(what),
                        vec![
                            ("name", c.name(&part(what), 255).into()),
                            ("autoscalingGroupName", group.output("name")),
                            ("policyType", "SimpleScaling".into()),
                            ("adjustmentType", "ChangeInCapacity".into()),
                            ("scalingAdjustment", adjustment.into()),
                            ("cooldown", cooldown_seconds.into()),
                        ],
                    )?;
                    let alarm = part(if adjustment > 0 { "cpu-high" } else { "cpu-low" });
                    let alarm_name = c.name(&alarm, 255);
                    c.add(
                        "aws:cloudwatch/metricAlarm:MetricAlarm",
                        &alarm,
                        vec![
                            ("name", alarm_name.clone().into()),
                            (
                                "alarmDescription",
                                format!("Average CPU of {group_name} crossed {threshold} %: {what}").into(),
                            ),
                            ("namespace", "AWS/EC2".into()),
                            ("metricName", "CPUUtilization".into()),
                            ("statistic", "Average".into()),
                            ("period", period_seconds.into()),
                            ("evaluationPeriods", evaluation_periods.into()),
                            ("threshold", threshold.into()),
                            ("comparisonOperator", operator.into()),
                            ("dimensions", Value::object([("AutoScalingGroupName", group.output("name"))])),
                            ("alarmActions", Value::Array(vec![policy.arn()])),
                            ("tags", c.tags(&alarm_name)),
                        ],
                    )?;
                    policies.push(policy);
                    names.push(alarm_name);
                }
                (policies, names)
            }
        };

        Ok(WebTier {
            component: parent.clone(),
            alb,
            target_group,
            listener,
            redirect_listener,
            launch_template,
            group,
            group_name,
            scaling_policies,
            alarm_names,
        })
    }
}

/// One listener on `port` with `actions`, HTTPS when `tls` is given.
fn listener(
    c: &mut Children<'_>,
    logical: &str,
    alb: &Resource,
    port: u16,
    tls: Option<&Tls>,
    actions: Value,
) -> Result<Resource, ComponentError> {
    let name = c.name(logical, 255);
    let mut inputs = vec![("loadBalancerArn", alb.arn()), ("port", port.into())];
    match tls {
        Some(tls) => inputs.extend([
            ("protocol", "HTTPS".into()),
            ("certificateArn", tls.certificate_arn.as_str().into()),
            ("sslPolicy", tls.ssl_policy.as_str().into()),
        ]),
        None => inputs.push(("protocol", "HTTP".into())),
    }
    inputs.extend([("defaultActions", actions), ("tags", c.tags(&name))]);
    Ok(c.add("aws:lb/listener:Listener", logical, inputs)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PropertyMap;

    fn args(scaling: Scaling, listeners: Listeners) -> WebTierArgs {
        WebTierArgs {
            prefix: String::new(),
            vpc_id: "vpc-1".into(),
            public_subnet_ids: vec!["subnet-a".into(), "subnet-b".into()],
            private_subnet_ids: vec!["subnet-c".into(), "subnet-d".into()],
            alb_security_group_id: "sg-alb".into(),
            instance_security_group_id: "sg-app".into(),
            instance_profile_name: "profile".into(),
            ami_id: "ami-12c6146b".into(),
            instance_type: "t3.micro".into(),
            description: "web".into(),
            root_volume_gib: 20,
            kms_key_arn: None,
            user_data: None,
            app_port: 8080,
            health_check_path: "/health".into(),
            listeners,
            min_size: 1,
            max_size: 4,
            desired_capacity: 2,
            scaling,
            access_logs: None,
            deletion_protection: false,
            group_tags: Vec::new(),
            naming: Naming::new("web", "", "dev"),
            tags: Tags::new("web", "dev", &[]),
        }
    }

    fn build(args: WebTierArgs) -> (Program, Result<WebTier, ComponentError>) {
        let mut program = Program::new("web", "dev", PropertyMap::new());
        let root = program.root();
        let tier = WebTier::new(&mut program, &root, "web", args);
        (program, tier)
    }

    fn inputs<'a>(program: &'a Program, token: &str) -> Vec<&'a PropertyMap> {
        program.resources().iter().filter(|r| r.urn.type_token() == token).map(|r| &r.inputs).collect()
    }

    const SIMPLE: Scaling = Scaling::SimpleCpuAlarms {
        high_percent: 70,
        low_percent: 20,
        step: 1,
        cooldown_seconds: 300,
        evaluation_periods: 2,
        period_seconds: 120,
    };

    #[test]
    fn target_tracking_makes_one_policy_and_no_alarms() {
        let (program, tier) = build(args(Scaling::TargetTrackingCpu { cpu_percent: 50 }, Listeners::Http));
        let tier = tier.unwrap();
        assert_eq!(tier.scaling_policies.len(), 1);
        assert!(tier.alarm_names.is_empty());
        assert!(inputs(&program, "aws:cloudwatch/metricAlarm:MetricAlarm").is_empty());
        let policy = inputs(&program, "aws:autoscaling/policy:Policy")[0];
        assert_eq!(policy["policyType"], Value::from("TargetTrackingScaling"));
        let listener = inputs(&program, "aws:lb/listener:Listener");
        assert_eq!(listener.len(), 1);
        assert_eq!((&listener[0]["port"], &listener[0]["protocol"]), (&Value::from(80), &Value::from("HTTP")));
        assert_eq!(tier.group_name, "web-asg-dev");
    }

    #[test]
    fn simple_scaling_wires_each_cpu_alarm_to_its_policy() {
        let (program, tier) = build(args(SIMPLE, Listeners::Http));
        let tier = tier.unwrap();
        assert_eq!(tier.alarm_names, ["web-cpu-high-dev", "web-cpu-low-dev"]);
        let policies = inputs(&program, "aws:autoscaling/policy:Policy");
        let adjustments: Vec<&Value> = policies.iter().map(|p| &p["scalingAdjustment"]).collect();
        assert_eq!(adjustments, [&Value::from(1), &Value::from(-1)]);
        let alarms = inputs(&program, "aws:cloudwatch/metricAlarm:MetricAlarm");
        for (alarm, (policy, operator, threshold)) in alarms.iter().zip([
            (&tier.scaling_policies[0], "GreaterThanOrEqualToThreshold", 70),
            (&tier.scaling_policies[1], "LessThanOrEqualToThreshold", 20),
        ]) {
            assert_eq!(alarm["alarmActions"], Value::Array(vec![policy.arn()]));
            assert_eq!(alarm["comparisonOperator"], Value::from(operator));
            assert_eq!(alarm["threshold"], Value::from(threshold));
            assert_eq!(alarm["metricName"], Value::from("CPUUtilization"));
            assert_eq!(alarm["dimensions"], Value::object([("AutoScalingGroupName", tier.group.output("name"))]));
        }
    }

    #[test]
    fn https_with_redirect_and_access_logs() {
        let tls = Tls {
            certificate_arn: "arn:aws:acm:us-east-1:123456789012:certificate/abc".into(),
            ssl_policy: "p".into(),
        };
        let mut a = args(SIMPLE, Listeners::HttpsWithRedirect(tls));
        a.access_logs = Some(AccessLogs { bucket: "logs".into(), prefix: "alb".into() });
        let (program, tier) = build(a);
        let tier = tier.unwrap();
        let listeners = inputs(&program, "aws:lb/listener:Listener");
        assert_eq!(listeners[0]["protocol"], Value::from("HTTPS"));
        assert_eq!(listeners[1]["port"], Value::from(80));
        let redirect = &listeners[1]["defaultActions"].as_array().unwrap()[0];
        assert_eq!(redirect.as_object().unwrap()["type"], Value::from("redirect"));
        assert!(tier.redirect_listener.is_some());
        let alb = inputs(&program, "aws:lb/loadBalancer:LoadBalancer")[0];
        assert_eq!(alb["accessLogs"].as_object().unwrap()["bucket"], Value::from("logs"));
        // The launch template: IMDSv2, an encrypted root volume.
        let lt = inputs(&program, "aws:ec2/launchTemplate:LaunchTemplate")[0];
        assert_eq!(lt["metadataOptions"].as_object().unwrap()["httpTokens"], Value::from("required"));
        let ebs = lt["blockDeviceMappings"].as_array().unwrap()[0].as_object().unwrap()["ebs"].clone();
        assert_eq!(ebs.as_object().unwrap()["encrypted"], Value::from("true"));
        assert!(!ebs.as_object().unwrap().contains_key("kmsKeyId"), "the AWS-managed key without one");
    }

    #[test]
    fn bad_arguments_are_refused_with_the_reason() {
        let cases: Vec<(WebTierArgs, &str)> = vec![
            (WebTierArgs { desired_capacity: 5, ..args(SIMPLE, Listeners::Http) }, "min <= desired <= max"),
            (
                WebTierArgs { min_size: 0, desired_capacity: 0, max_size: 0, ..args(SIMPLE, Listeners::Http) },
                "max >= 1",
            ),
            (WebTierArgs { public_subnet_ids: vec!["s".into()], ..args(SIMPLE, Listeners::Http) }, "two zones"),
            (WebTierArgs { health_check_path: "health".into(), ..args(SIMPLE, Listeners::Http) }, "start with /"),
            (args(Scaling::TargetTrackingCpu { cpu_percent: 0 }, Listeners::Http), "1 to 100"),
            (
                args(
                    Scaling::SimpleCpuAlarms {
                        high_percent: 20,
                        low_percent: 70,
                        step: 1,
                        cooldown_seconds: 0,
                        evaluation_periods: 1,
                        period_seconds: 60,
                    },
                    Listeners::Http,
                ),
                "low < high",
            ),
            (
                args(
                    Scaling::SimpleCpuAlarms {
                        high_percent: 80,
                        low_percent: 10,
                        step: 1,
                        cooldown_seconds: 0,
                        evaluation_periods: 1,
                        period_seconds: 90,
                    },
                    Listeners::Http,
                ),
                "multiple of 60",
            ),
        ];
        for (a, needle) in cases {
            let (program, tier) = build(a);
            let err = tier.map(|_| ()).unwrap_err().to_string();
            assert!(err.contains(needle), "{needle}: {err}");
            assert_eq!(program.resources().len(), 1, "nothing registered before the refusal");
        }
    }
}
