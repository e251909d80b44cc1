//! Monitoring: an SNS topic (with an email subscription when an address is
//! configured), CloudWatch alarms with explicit names — CPU per colour, ALB
//! 5xx, unhealthy hosts per target group, database connections — and a
//! dashboard of the same metrics.

use crate::model::{Component, Program, Resource, Value};

use super::alerting::{add_alarms, alert_topic, check_alert_email, Alarm, AlarmNames};
use super::children::Children;
use super::{ComponentError, Naming, Tags};

/// One colour's service, as the alarms see it.
#[derive(Debug, Clone)]
pub struct WatchedService {
    /// `blue` or `green`.
    pub colour: String,
    /// The ECS service name.
    pub service_name: String,
    /// The target group's ARN suffix (CloudWatch's `TargetGroup` dimension).
    pub target_group_arn_suffix: Value,
}

/// What the monitoring component needs.
#[derive(Debug, Clone)]
pub struct MonitoringArgs {
    /// Where alarms notify by email, if anywhere (may be secret).
    pub alert_email: Option<Value>,
    /// The ECS cluster name.
    pub cluster_name: String,
    /// Blue and green.
    pub services: Vec<WatchedService>,
    /// The ALB's ARN suffix (CloudWatch's `LoadBalancer` dimension).
    pub alb_arn_suffix: Value,
    /// The Aurora cluster identifier.
    pub db_cluster_identifier: String,
    /// Alarm threshold for average CPU per service (%).
    pub cpu_alarm_threshold: u32,
    /// Alarm threshold for ALB 5xx responses per minute.
    pub alb_5xx_threshold: u32,
    /// Alarm threshold for database connections.
    pub db_connections_threshold: u32,
    /// The region (for the dashboard's widgets).
    pub region: String,
    /// Physical names.
    pub naming: Naming,
    /// Common tags.
    pub tags: Tags,
}

/// The monitoring component's outputs.
#[derive(Debug, Clone)]
pub struct Monitoring {
    /// The component resource.
    pub component: Component,
    /// The alert topic.
    pub topic: Resource,
    /// The names of the alarms a traffic shift watches (5xx, unhealthy hosts).
    pub shift_alarm_names: Vec<String>,
    /// Every alarm's name.
    pub alarm_names: Vec<String>,
    /// The dashboard's name.
    pub dashboard_name: String,
}

const TYPE: &str = "tap:components:Monitoring";

impl Monitoring {
    /// Registers the monitoring resources under `parent`.
    pub fn new(
        program: &mut Program,
        parent: &Component,
        name: &str,
        args: MonitoringArgs,
    ) -> Result<Monitoring, ComponentError> {
        check_alert_email(TYPE, args.alert_email.as_ref())?;
        let me = program.component(parent, TYPE, name)?;
        let mut c = Children { program, parent: me.clone(), naming: &args.naming, tags: &args.tags };
        let topic = alert_topic(&mut c, args.alert_email.as_ref())?;

        let mut alarms = Vec::new();
        for s in &args.services {
            alarms.push(Alarm::cpu_high(
                format!("{}-cpu-high", s.colour),
                &format!("{} service", s.colour),
                "AWS/ECS",
                Value::object([("ClusterName", args.cluster_name.as_str()), ("ServiceName", s.service_name.as_str())]),
                args.cpu_alarm_threshold,
            ));
        }
        alarms.push(Alarm::alb_5xx(
            "alb-5xx".into(),
            "the load balancer",
            args.alb_arn_suffix.clone(),
            args.alb_5xx_threshold,
            true,
        ));
        for s in &args.services {
            alarms.push(Alarm::unhealthy_targets(
                format!("{}-unhealthy-hosts", s.colour),
                &format!("{} target group", s.colour),
                s.target_group_arn_suffix.clone(),
                args.alb_arn_suffix.clone(),
                true,
            ));
        }
        alarms.push(Alarm::db_connections(
            Value::object([("DBClusterIdentifier", args.db_cluster_identifier.as_str())]),
            args.db_connections_threshold,
        ));

        let AlarmNames { all: alarm_names, shift: shift_alarm_names } = add_alarms(&mut c, &topic, alarms)?;

        let dashboard_name = c.name("overview", 255);
        let widget = |title: &str, metrics: Vec<Value>| {
            Value::object([
                ("type", Value::from("metric")),
                ("width", Value::from(12)),
                ("height", Value::from(6)),
                (
                    "properties",
                    Value::object([
                        ("title", Value::from(title)),
                        ("region", Value::from(args.region.as_str())),
                        ("period", Value::from(60)),
                        ("stat", Value::from("Average")),
                        ("metrics", Value::Array(metrics)),
                    ]),
                ),
            ])
        };
        let mut widgets = Vec::new();
        let cpu: Vec<Value> = args
            .services
            .iter()
            .map(|s| {
                Value::array([
                    Value::from("AWS/ECS"),
                    Value::from("CPUUtilization"),
                    Value::from("ClusterName"),
                    Value::from(args.cluster_name.as_str()),
                    Value::from("ServiceName"),
                    Value::from(s.service_name.as_str()),
                ])
            })
            .collect();
        widgets.push(widget("Service CPU", cpu));
        widgets.push(widget(
            "Load balancer 5xx and requests",
            vec![
                Value::array([
                    Value::from("AWS/ApplicationELB"),
                    Value::from("HTTPCode_ELB_5XX_Count"),
                    Value::from("LoadBalancer"),
                    args.alb_arn_suffix.clone(),
                ]),
                Value::array([
                    Value::from("AWS/ApplicationELB"),
                    Value::from("RequestCount"),
                    Value::from("LoadBalancer"),
                    args.alb_arn_suffix.clone(),
                ]),
            ],
        ));
        widgets.push(widget(
            "Database connections",
            vec![Value::array([
                Value::from("AWS/RDS"),
                Value::from("DatabaseConnections"),
                Value::from("DBClusterIdentifier"),
                Value::from(args.db_cluster_identifier.as_str()),
            ])],
        ));
        c.add(
            "aws:cloudwatch/dashboard:Dashboard",
            "overview",
            vec![
                ("dashboardName", dashboard_name.clone().into()),
                ("dashboardBody", Value::JsonString(Box::new(Value::object([("widgets", Value::Array(widgets))])))),
            ],
        )?;

        Ok(Monitoring { component: me, topic, shift_alarm_names, alarm_names, dashboard_name })
    }
}
