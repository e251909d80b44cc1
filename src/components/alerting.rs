//! What the monitoring components share: an alert topic (with an optional
//! email subscription) and threshold alarms that notify it on ALARM and OK.

use crate::model::{ProgramError, Resource, Value};

use super::children::Children;
use super::ComponentError;

/// One CloudWatch alarm: a metric above a threshold for some minutes.
pub(crate) struct Alarm {
    /// Logical name (and the physical name's component part).
    pub(crate) logical: String,
    pub(crate) description: String,
    pub(crate) namespace: &'static str,
    pub(crate) metric: &'static str,
    pub(crate) statistic: &'static str,
    pub(crate) threshold: u32,
    /// Consecutive one-minute periods above the threshold.
    pub(crate) periods: u32,
    pub(crate) dimensions: Value,
    /// Watched by a traffic shift between its steps.
    pub(crate) shift: bool,
}

impl Alarm {
    /// `subject`'s average CPU above `percent` for two minutes (`subject`
    /// starts the description, e.g. "blue fleet").
    pub(crate) fn cpu_high(
        logical: String,
        subject: &str,
        namespace: &'static str,
        dimensions: Value,
        percent: u32,
    ) -> Alarm {
        Alarm {
            logical,
            description: format!("{subject} average CPU above {percent}%"),
            namespace,
            metric: "CPUUtilization",
            statistic: "Average",
            threshold: percent,
            periods: 2,
            dimensions,
            shift: false,
        }
    }

    /// More than `threshold` 5xx answers a minute from the load balancer
    /// itself (`subject` names it, e.g. "the load balancer").
    pub(crate) fn alb_5xx(logical: String, subject: &str, alb_arn_suffix: Value, threshold: u32, shift: bool) -> Alarm {
        Alarm {
            logical,
            description: format!("{subject} answered more than {threshold} 5xx per minute"),
            namespace: "AWS/ApplicationELB",
            metric: "HTTPCode_ELB_5XX_Count",
            statistic: "Sum",
            threshold,
            periods: 1,
            dimensions: Value::object([("LoadBalancer", alb_arn_suffix)]),
            shift,
        }
    }

    /// Any unhealthy target for two minutes in the target group `subject`
    /// names (e.g. "blue target group").
    pub(crate) fn unhealthy_targets(
        logical: String,
        subject: &str,
        target_group_arn_suffix: Value,
        alb_arn_suffix: Value,
        shift: bool,
    ) -> Alarm {
        Alarm {
            logical,
            description: format!("{subject} has unhealthy targets"),
            namespace: "AWS/ApplicationELB",
            metric: "UnHealthyHostCount",
            statistic: "Maximum",
            threshold: 0,
            periods: 2,
            dimensions: Value::object([("TargetGroup", target_group_arn_suffix), ("LoadBalancer", alb_arn_suffix)]),
            shift,
        }
    }

    /// More than `threshold` database connections for two minutes.
    pub(crate) fn db_connections(dimensions: Value, threshold: u32) -> Alarm {
        Alarm {
            logical: "db-connections-high".into(),
            description: format!("more than {threshold} database connections"),
            namespace: "AWS/RDS",
            metric: "DatabaseConnections",
            statistic: "Average",
            threshold,
            periods: 2,
            dimensions,
            shift: false,
        }
    }
}

/// Refuses an alert address that is not `user@host.domain`, for `component`.
pub(crate) fn check_alert_email(component: &'static str, email: Option<&Value>) -> Result<(), ComponentError> {
    let Some(email) = email else { return Ok(()) };
    let address = email.as_str().unwrap_or_default();
    if address.split_once('@').is_some_and(|(user, host)| !user.is_empty() && host.contains('.')) {
        return Ok(());
    }
    // The address may be secret: `display` masks it then.
    Err(ComponentError::Invalid { component, problem: format!("{} is not an email address", email.display()) })
}

/// Registers the `alerts` topic and, given an address, its email subscription.
pub(crate) fn alert_topic(c: &mut Children<'_>, alert_email: Option<&Value>) -> Result<Resource, ProgramError> {
    let topic_name = c.name("alerts", 256);
    let topic = c.add(
        "aws:sns/topic:Topic",
        "alerts",
        vec![("name", topic_name.clone().into()), ("tags", c.tags(&topic_name))],
    )?;
    if let Some(email) = alert_email {
        c.add(
            "aws:sns/topicSubscription:TopicSubscription",
            "alerts-email",
            vec![("topic", topic.arn()), ("protocol", "email".into()), ("endpoint", email.clone())],
        )?;
    }
    Ok(topic)
}

/// The names an alarm set got: all of them, and those a shift watches.
pub(crate) struct AlarmNames {
    pub(crate) all: Vec<String>,
    pub(crate) shift: Vec<String>,
}

/// Registers `alarms`, each notifying `topic`, with explicit names.
pub(crate) fn add_alarms(
    c: &mut Children<'_>,
    topic: &Resource,
    alarms: Vec<Alarm>,
) -> Result<AlarmNames, ProgramError> {
    let mut names = AlarmNames { all: Vec::new(), shift: Vec::new() };
    for a in alarms {
        let alarm_name = c.name(&a.logical, 255);
        c.add(
            "aws:cloudwatch/metricAlarm:MetricAlarm",
            &a.logical,
            vec![
                ("name", alarm_name.clone().into()),
                ("alarmDescription", a.description.into()),
                ("namespace", a.namespace.into()),
                ("metricName", a.metric.into()),
                ("statistic", a.statistic.into()),
                ("period", 60.into()),
                ("evaluationPeriods", a.periods.into()),
                ("threshold", a.threshold.into()),
                ("comparisonOperator", "GreaterThanThreshold".into()),
                ("treatMissingData", "notBreaching".into()),
                ("dimensions", a.dimensions),
                ("alarmActions", Value::Array(vec![topic.arn()])),
                ("okActions", Value::Array(vec![topic.arn()])),
                ("tags", c.tags(&alarm_name)),
            ],
        )?;
        if a.shift {
            names.shift.push(alarm_name.clone());
        }
        names.all.push(alarm_name);
    }
    Ok(names)
}
