//! What the monitoring components share: an alert topic (with an optional
//! email subscription) and threshold alarms that notify it on ALARM and OK.

use crate::model::{ProgramError, Resource, Value};

use super::children::Children;

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
