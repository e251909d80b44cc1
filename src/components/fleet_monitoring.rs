//! FleetMonitoring: an SNS topic (with an email subscription when an
//! address is configured) and CloudWatch alarms with explicit names for an
//! EC2 blue-green stack — CPU per Auto Scaling group, 5xx and unhealthy
//! targets per colour's load balancer, and the database's CPU and
//! connection count. Every alarm notifies the topic on ALARM and on OK.

use crate::model::{Component, Program, Resource, Value};

use super::alerting::{add_alarms, alert_topic, check_alert_email, Alarm, AlarmNames};
use super::children::Children;
use super::{ComponentError, Naming, Tags};

/// One colour's fleet, as the alarms see it.
#[derive(Debug, Clone)]
pub struct WatchedFleet {
    /// `blue` or `green`.
    pub colour: String,
    /// The Auto Scaling group's name.
    pub group_name: String,
    /// The load balancer's ARN suffix (CloudWatch's `LoadBalancer` dimension).
    pub alb_arn_suffix: Value,
    /// The target group's ARN suffix (CloudWatch's `TargetGroup` dimension).
    pub target_group_arn_suffix: Value,
}

/// What the monitoring component needs.
#[derive(Debug, Clone)]
pub struct FleetMonitoringArgs {
    /// Where alarms notify by email, if anywhere (may be secret).
    pub alert_email: Option<Value>,
    /// Blue and green.
    pub fleets: Vec<WatchedFleet>,
    /// The DB instance identifier.
    pub db_instance_identifier: String,
    /// Average CPU (%) above which a fleet or the database alarms.
    pub cpu_alarm_threshold: u32,
    /// Load balancer 5xx responses per minute above which a colour alarms.
    pub alb_5xx_threshold: u32,
    /// Database connections above which the database alarms.
    pub db_connections_threshold: u32,
    /// Physical names.
    pub naming: Naming,
    /// Common tags.
    pub tags: Tags,
}

/// The monitoring component's outputs.
#[derive(Debug, Clone)]
pub struct FleetMonitoring {
    /// The component resource.
    pub component: Component,
    /// The alert topic.
    pub topic: Resource,
    /// Alarms a traffic shift watches (5xx and unhealthy targets).
    pub shift_alarm_names: Vec<String>,
    /// Every alarm's name.
    pub alarm_names: Vec<String>,
}

const TYPE: &str = "tap:components:FleetMonitoring";

impl FleetMonitoring {
    /// Registers the topic and alarms under `parent`.
    pub fn new(
        program: &mut Program,
        parent: &Component,
        name: &str,
        args: FleetMonitoringArgs,
    ) -> Result<FleetMonitoring, ComponentError> {
        check_alert_email(TYPE, args.alert_email.as_ref())?;
        if !(1..=100).contains(&args.cpu_alarm_threshold) {
            return Err(ComponentError::Invalid {
                component: TYPE,
                problem: "the CPU threshold must be 1 to 100 %".into(),
            });
        }
        let me = program.component(parent, TYPE, name)?;
        let mut c = Children { program, parent: me.clone(), naming: &args.naming, tags: &args.tags };
        let topic = alert_topic(&mut c, args.alert_email.as_ref())?;

        let mut alarms = Vec::new();
        for f in &args.fleets {
            let colour = f.colour.as_str();
            alarms.push(Alarm::cpu_high(
                format!("{colour}-cpu-high"),
                &format!("{colour} fleet"),
                "AWS/EC2",
                Value::object([("AutoScalingGroupName", f.group_name.as_str())]),
                args.cpu_alarm_threshold,
            ));
            alarms.push(Alarm::alb_5xx(
                format!("{colour}-alb-5xx"),
                &format!("the {colour} load balancer"),
                f.alb_arn_suffix.clone(),
                args.alb_5xx_threshold,
                true,
            ));
            alarms.push(Alarm::unhealthy_targets(
                format!("{colour}-unhealthy-targets"),
                &format!("{colour} target group"),
                f.target_group_arn_suffix.clone(),
                f.alb_arn_suffix.clone(),
                true,
            ));
        }
        let db = Value::object([("DBInstanceIdentifier", args.db_instance_identifier.as_str())]);
        alarms.push(Alarm::cpu_high("db-cpu-high".into(), "database", "AWS/RDS", db.clone(), args.cpu_alarm_threshold));
        alarms.push(Alarm::db_connections(db, args.db_connections_threshold));

        let AlarmNames { all: alarm_names, shift: shift_alarm_names } = add_alarms(&mut c, &topic, alarms)?;
        Ok(FleetMonitoring { component: me, topic, shift_alarm_names, alarm_names })
    }
}
