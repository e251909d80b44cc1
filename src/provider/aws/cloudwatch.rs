//! CloudWatch kinds — log group (CloudWatch Logs), metric alarm, dashboard —
//! and [`CloudWatchAlarms`], the [`AlarmSource`] a traffic shift watches.
//!
//! Ids are the names, as in pulumi-aws. A log group's `arn` is the ARN
//! without the `:*` that DescribeLogGroups appends (pulumi-aws's form: IAM
//! policies add `:*` for the log streams themselves). PutMetricAlarm and
//! PutDashboard both create and update; an alarm's tags after creation go
//! through TagResource / UntagResource, as PutMetricAlarm applies `Tags`
//! only to a new alarm.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, StandardUnit, StateValue, Statistic};

use super::{
    after_create, check_kind, found, gone_is_ok, known, missing_field, optional_bool, optional_i32, optional_str,
    optional_str_list, read_created, read_updated, required_str, string_list, tag_changes, tags_for_create,
    AwsProvider, Outputs, Service,
};
use crate::model::{PropertyMap, Value};
use crate::provider::{AlarmSource, CallContext, Created, ProviderError};

const LOG_GROUP: &str = "aws:cloudwatch/logGroup:LogGroup";
const METRIC_ALARM: &str = "aws:cloudwatch/metricAlarm:MetricAlarm";
const DASHBOARD: &str = "aws:cloudwatch/dashboard:Dashboard";

/// The CloudWatch service module.
pub(crate) struct CloudWatch;

#[async_trait]
impl Service for CloudWatch {
    fn tokens(&self) -> &'static [&'static str] {
        &[LOG_GROUP, METRIC_ALARM, DASHBOARD]
    }

    fn check(&self, token: &str, inputs: &PropertyMap) -> Result<(), ProviderError> {
        match token {
            LOG_GROUP => check_kind(token, inputs, log_group::SUPPORTED, log_group::check),
            METRIC_ALARM => check_kind(token, inputs, alarm::SUPPORTED, alarm::check),
            _ => check_kind(token, inputs, dashboard::SUPPORTED, dashboard::check),
        }
    }

    async fn create(&self, p: &AwsProvider, ctx: &CallContext, inputs: &PropertyMap) -> Result<Created, ProviderError> {
        let id = match ctx.token.as_str() {
            LOG_GROUP => log_group::create(p, ctx, inputs).await?,
            METRIC_ALARM => alarm::put(p, inputs, Some(&tags_for_create(ctx, inputs)?)).await?,
            _ => dashboard::put(p, inputs).await?,
        };
        read_created(self, p, ctx, id).await
    }

    async fn read(&self, p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let read = match ctx.token.as_str() {
            LOG_GROUP => log_group::read(p, id).await,
            METRIC_ALARM => alarm::read(p, id).await,
            _ => dashboard::read(p, id).await,
        };
        found(read).map(Option::flatten)
    }

    async fn update(
        &self,
        p: &AwsProvider,
        ctx: &CallContext,
        id: &str,
        old: &PropertyMap,
        new: &PropertyMap,
    ) -> Result<PropertyMap, ProviderError> {
        match ctx.token.as_str() {
            LOG_GROUP => log_group::update(p, ctx, id, old, new).await?,
            METRIC_ALARM => {
                alarm::put(p, new, None).await?;
                alarm::apply_tags(p, ctx, old, new).await?;
            }
            _ => {
                dashboard::put(p, new).await?;
            }
        }
        read_updated(self, p, ctx, id).await
    }

    async fn delete(
        &self,
        p: &AwsProvider,
        ctx: &CallContext,
        id: &str,
        _outputs: &PropertyMap,
    ) -> Result<(), ProviderError> {
        let deleted = match ctx.token.as_str() {
            LOG_GROUP => log_group::delete(p, id).await,
            METRIC_ALARM => alarm::delete(p, id).await,
            _ => dashboard::delete(p, id).await,
        };
        gone_is_ok(deleted)
    }
}

/// A number input; `None` when absent or null.
fn optional_f64(inputs: &PropertyMap, name: &str) -> Result<Option<f64>, ProviderError> {
    match inputs.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_f64().map(Some).ok_or_else(|| ProviderError::invalid(format!("input {name} must be a number"))),
    }
}

// ---------------------------------------------------------------------------
// Log group
// ---------------------------------------------------------------------------

mod log_group {
    use super::*;

    pub(super) const SUPPORTED: &[&str] = &["kmsKeyId", "logGroupClass", "name", "region", "retentionInDays", "tags"];

    /// The retention periods CloudWatch Logs accepts (days).
    const RETENTION_DAYS: &[i32] =
        &[1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        if !inputs.contains_key("name") {
            return Err(ProviderError::invalid("name is required"));
        }
        if let Some(name) = known(inputs, "name").and_then(Value::as_str) {
            let ok = !name.is_empty()
                && name.len() <= 512
                && name.chars().all(|c| c.is_ascii_alphanumeric() || "_-/.#".contains(c));
            if !ok {
                return Err(ProviderError::invalid(format!(
                    "name {name:?} must be 1 to 512 letters, digits and _ - / . #"
                )));
            }
        }
        if known(inputs, "retentionInDays").is_some() {
            if let Some(days) = optional_i32(inputs, "retentionInDays")? {
                if days != 0 && !RETENTION_DAYS.contains(&days) {
                    return Err(ProviderError::invalid(format!(
                        "retentionInDays {days} is not a period CloudWatch Logs offers (0 for never expire, or one of {RETENTION_DAYS:?})"
                    )));
                }
            }
        }
        Ok(())
    }

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let logs = p.logs().await?;
        let name = required_str(inputs, "name")?;
        let kms = optional_str(inputs, "kmsKeyId")?.map(str::to_string);
        let class = optional_str(inputs, "logGroupClass")?.map(aws_sdk_cloudwatchlogs::types::LogGroupClass::from);
        let tags: HashMap<String, String> = tags_for_create(ctx, inputs)?.into_iter().collect();
        p.call(|| {
            logs.create_log_group()
                .log_group_name(name)
                .set_kms_key_id(kms.clone())
                .set_log_group_class(class.clone())
                .set_tags(Some(tags.clone()))
                .send()
        })
        .await?;
        if let Some(days) = optional_i32(inputs, "retentionInDays")?.filter(|d| *d > 0) {
            set_retention(p, name, days).await.map_err(after_create(name, "setting its retention"))?;
        }
        Ok(name.to_string())
    }

    async fn set_retention(p: &AwsProvider, name: &str, days: i32) -> Result<(), ProviderError> {
        let logs = p.logs().await?;
        p.call(|| logs.put_retention_policy().log_group_name(name).retention_in_days(days).send()).await?;
        Ok(())
    }

    /// `arn:…:log-group:<name>`, from the ARN CloudWatch Logs reports.
    pub(super) fn arn_without_streams(arn: &str) -> &str {
        arn.strip_suffix(":*").unwrap_or(arn)
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let logs = p.logs().await?;
        let mut token: Option<String> = None;
        let group = loop {
            let out = p
                .call(|| logs.describe_log_groups().log_group_name_prefix(id).set_next_token(token.clone()).send())
                .await?;
            if let Some(g) = out.log_groups().iter().find(|g| g.log_group_name() == Some(id)) {
                break g.clone();
            }
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok(None),
            }
        };
        let arn = match (group.log_group_arn(), group.arn()) {
            (Some(arn), _) => arn.to_string(),
            (None, Some(arn)) => arn_without_streams(arn).to_string(),
            (None, None) => p.arn("logs", p.account_id().await?, &format!("log-group:{id}")).await?,
        };
        let tags = p.call(|| logs.list_tags_for_resource().resource_arn(&arn).send()).await?;
        let tags: Vec<(String, String)> = tags.tags().cloned().unwrap_or_default().into_iter().collect();
        Ok(Some(
            Outputs::new(id, p.region().await?)
                .string("arn", Some(arn.as_str()))
                .string("name", group.log_group_name())
                // pulumi-aws shows 0 for "never expire".
                .int("retentionInDays", Some(i64::from(group.retention_in_days().unwrap_or(0))))
                .string("kmsKeyId", group.kms_key_id())
                .string("logGroupClass", group.log_group_class().map(|c| c.as_str()))
                .tags(tags)
                .build(),
        ))
    }

    pub(super) async fn update(
        p: &AwsProvider,
        ctx: &CallContext,
        id: &str,
        old: &PropertyMap,
        new: &PropertyMap,
    ) -> Result<(), ProviderError> {
        let logs = p.logs().await?;
        let days = optional_i32(new, "retentionInDays")?.unwrap_or(0);
        if old.get("retentionInDays").and_then(Value::as_f64) != Some(f64::from(days)) {
            if days > 0 {
                set_retention(p, id, days).await?;
            } else {
                p.call(|| logs.delete_retention_policy().log_group_name(id).send()).await?;
            }
        }
        let kms = optional_str(new, "kmsKeyId")?;
        if old.get("kmsKeyId").and_then(Value::as_str) != kms {
            match kms {
                Some(key) => {
                    p.call(|| logs.associate_kms_key().log_group_name(id).kms_key_id(key).send()).await.map(drop)?
                }
                None => p.call(|| logs.disassociate_kms_key().log_group_name(id).send()).await.map(drop)?,
            }
        }
        let changes = tag_changes(ctx, old, new)?;
        let arn = match old.get("arn").and_then(Value::as_str) {
            Some(arn) => arn.to_string(),
            None => p.arn("logs", p.account_id().await?, &format!("log-group:{id}")).await?,
        };
        if !changes.remove.is_empty() {
            let keys = changes.remove.clone();
            p.call(|| logs.untag_resource().resource_arn(&arn).set_tag_keys(Some(keys.clone())).send()).await?;
        }
        if !changes.set.is_empty() {
            let tags: HashMap<String, String> = changes.set.iter().cloned().collect();
            p.call(|| logs.tag_resource().resource_arn(&arn).set_tags(Some(tags.clone())).send()).await?;
        }
        Ok(())
    }

    pub(super) async fn delete(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
        let logs = p.logs().await?;
        p.call(|| logs.delete_log_group().log_group_name(id).send()).await?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Metric alarm
// ---------------------------------------------------------------------------

mod alarm {
    use super::*;

    pub(super) const SUPPORTED: &[&str] = &[
        "actionsEnabled",
        "alarmActions",
        "alarmDescription",
        "comparisonOperator",
        "datapointsToAlarm",
        "dimensions",
        "evaluationPeriods",
        "extendedStatistic",
        "insufficientDataActions",
        "metricName",
        "name",
        "namespace",
        "okActions",
        "period",
        "region",
        "statistic",
        "tags",
        "threshold",
        "treatMissingData",
        "unit",
    ];

    const OPERATORS: &[&str] = &[
        "GreaterThanOrEqualToThreshold",
        "GreaterThanThreshold",
        "LessThanThreshold",
        "LessThanOrEqualToThreshold",
        "LessThanLowerOrGreaterThanUpperThreshold",
        "LessThanLowerThreshold",
        "GreaterThanUpperThreshold",
    ];

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        for name in
            ["name", "comparisonOperator", "evaluationPeriods", "metricName", "namespace", "period", "threshold"]
        {
            if !inputs.contains_key(name) {
                return Err(ProviderError::invalid(format!(
                    "{name} is required (metric-math alarms are not implemented)"
                )));
            }
        }
        if let Some(op) = known(inputs, "comparisonOperator").and_then(Value::as_str) {
            if !OPERATORS.contains(&op) {
                return Err(ProviderError::invalid(format!(
                    "comparisonOperator {op:?} is not one of {}",
                    OPERATORS.join(", ")
                )));
            }
        }
        if let Some(s) = known(inputs, "statistic").and_then(Value::as_str) {
            if !matches!(s, "SampleCount" | "Average" | "Sum" | "Minimum" | "Maximum") {
                return Err(ProviderError::invalid(format!(
                    "statistic must be SampleCount, Average, Sum, Minimum or Maximum, got {s:?}"
                )));
            }
        }
        if inputs.get("statistic").is_some_and(|v| !v.is_null())
            == inputs.get("extendedStatistic").is_some_and(|v| !v.is_null())
        {
            return Err(ProviderError::invalid("set exactly one of statistic and extendedStatistic"));
        }
        if let Some(t) = known(inputs, "treatMissingData").and_then(Value::as_str) {
            if !matches!(t, "breaching" | "notBreaching" | "ignore" | "missing") {
                return Err(ProviderError::invalid(format!(
                    "treatMissingData must be breaching, notBreaching, ignore or missing, got {t:?}"
                )));
            }
        }
        if let Some(d) = known(inputs, "dimensions") {
            let d = d.as_object().ok_or_else(|| ProviderError::invalid("dimensions must be a map of strings"))?;
            if d.len() > 30 {
                return Err(ProviderError::invalid("dimensions: CloudWatch allows at most 30"));
            }
        }
        Ok(())
    }

    fn dimensions(inputs: &PropertyMap) -> Result<Option<Vec<Dimension>>, ProviderError> {
        let Some(d) = inputs.get("dimensions").filter(|v| !v.is_null()) else { return Ok(None) };
        let d = d.as_object().ok_or_else(|| ProviderError::invalid("input dimensions must be a map of strings"))?;
        d.iter()
            .map(|(k, v)| {
                let v = v
                    .as_str()
                    .ok_or_else(|| ProviderError::invalid(format!("input dimensions.{k} must be a string")))?;
                Ok(Dimension::builder().name(k).value(v).build())
            })
            .collect::<Result<Vec<_>, ProviderError>>()
            .map(Some)
    }

    /// PutMetricAlarm: creates the alarm (with `tags`), or replaces its
    /// whole definition.
    pub(super) async fn put(
        p: &AwsProvider,
        inputs: &PropertyMap,
        tags: Option<&[(String, String)]>,
    ) -> Result<String, ProviderError> {
        let cw = p.cloudwatch().await?;
        let name = required_str(inputs, "name")?;
        let tags = tags.map(|t| {
            t.iter().map(|(k, v)| aws_sdk_cloudwatch::types::Tag::builder().key(k).value(v).build()).collect::<Vec<_>>()
        });
        let request = cw
            .put_metric_alarm()
            .alarm_name(name)
            .set_alarm_description(optional_str(inputs, "alarmDescription")?.map(str::to_string))
            .set_namespace(optional_str(inputs, "namespace")?.map(str::to_string))
            .set_metric_name(optional_str(inputs, "metricName")?.map(str::to_string))
            .set_statistic(optional_str(inputs, "statistic")?.map(Statistic::from))
            .set_extended_statistic(optional_str(inputs, "extendedStatistic")?.map(str::to_string))
            .set_period(optional_i32(inputs, "period")?)
            .set_evaluation_periods(optional_i32(inputs, "evaluationPeriods")?)
            .set_datapoints_to_alarm(optional_i32(inputs, "datapointsToAlarm")?)
            .set_threshold(optional_f64(inputs, "threshold")?)
            .set_comparison_operator(optional_str(inputs, "comparisonOperator")?.map(ComparisonOperator::from))
            .set_treat_missing_data(optional_str(inputs, "treatMissingData")?.map(str::to_string))
            .set_unit(optional_str(inputs, "unit")?.map(StandardUnit::from))
            .set_dimensions(dimensions(inputs)?)
            .set_alarm_actions(optional_str_list(inputs, "alarmActions")?)
            .set_ok_actions(optional_str_list(inputs, "okActions")?)
            .set_insufficient_data_actions(optional_str_list(inputs, "insufficientDataActions")?)
            // pulumi-aws's default: actions on.
            .actions_enabled(optional_bool(inputs, "actionsEnabled")?.unwrap_or(true))
            .set_tags(tags);
        p.call(|| request.clone().send()).await?;
        Ok(name.to_string())
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let cw = p.cloudwatch().await?;
        let out = p.call(|| cw.describe_alarms().alarm_names(id).send()).await?;
        let Some(a) = out.metric_alarms().iter().find(|a| a.alarm_name() == Some(id)) else { return Ok(None) };
        let arn = a.alarm_arn().ok_or_else(|| missing_field("DescribeAlarms", "MetricAlarms[].AlarmArn"))?;
        let tags = p.call(|| cw.list_tags_for_resource().resource_arn(arn).send()).await?;
        let tags: Vec<(String, String)> = tags
            .tags()
            .iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string())))
            .collect();
        let dimensions: BTreeMap<String, Value> = a
            .dimensions()
            .iter()
            .filter_map(|d| Some((d.name()?.to_string(), Value::from(d.value().unwrap_or_default()))))
            .collect();
        let mut o = Outputs::new(id, p.region().await?)
            .string("arn", Some(arn))
            .string("name", a.alarm_name())
            .string("alarmDescription", a.alarm_description())
            .string("namespace", a.namespace())
            .string("metricName", a.metric_name())
            .string("statistic", a.statistic().map(|s| s.as_str()))
            .string("extendedStatistic", a.extended_statistic())
            .int("period", a.period().map(i64::from))
            .int("evaluationPeriods", a.evaluation_periods().map(i64::from))
            .int("datapointsToAlarm", a.datapoints_to_alarm().map(i64::from))
            .string("comparisonOperator", a.comparison_operator().map(|c| c.as_str()))
            // pulumi-aws shows AWS's default, "missing", when none was set.
            .string("treatMissingData", Some(a.treat_missing_data().unwrap_or("missing")))
            .string("unit", a.unit().map(|u| u.as_str()))
            .bool("actionsEnabled", a.actions_enabled())
            .value("alarmActions", string_list(a.alarm_actions()))
            .value("okActions", string_list(a.ok_actions()))
            .value("insufficientDataActions", string_list(a.insufficient_data_actions()));
        if let Some(t) = a.threshold() {
            o = o.value("threshold", Value::Number(t));
        }
        if !dimensions.is_empty() {
            o = o.value("dimensions", Value::Object(dimensions));
        }
        Ok(Some(o.tags(tags).build()))
    }

    pub(super) async fn apply_tags(
        p: &AwsProvider,
        ctx: &CallContext,
        old: &PropertyMap,
        new: &PropertyMap,
    ) -> Result<(), ProviderError> {
        let changes = tag_changes(ctx, old, new)?;
        if changes.is_empty() {
            return Ok(());
        }
        let arn = old.get("arn").and_then(Value::as_str).ok_or_else(|| missing_field("recorded outputs", "arn"))?;
        let cw = p.cloudwatch().await?;
        if !changes.remove.is_empty() {
            let keys = changes.remove.clone();
            p.call(|| cw.untag_resource().resource_arn(arn).set_tag_keys(Some(keys.clone())).send()).await?;
        }
        if !changes.set.is_empty() {
            let tags: Vec<_> = changes
                .set
                .iter()
                .map(|(k, v)| aws_sdk_cloudwatch::types::Tag::builder().key(k).value(v).build())
                .collect();
            p.call(|| cw.tag_resource().resource_arn(arn).set_tags(Some(tags.clone())).send()).await?;
        }
        Ok(())
    }

    pub(super) async fn delete(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
        // DeleteAlarms of a missing name fails on AWS and succeeds on some
        // emulators: look first, so both end the same way.
        if read(p, id).await?.is_none() {
            return Ok(());
        }
        let cw = p.cloudwatch().await?;
        p.call(|| cw.delete_alarms().alarm_names(id).send()).await?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Dashboard
// ---------------------------------------------------------------------------

mod dashboard {
    use super::*;

    pub(super) const SUPPORTED: &[&str] = &["dashboardBody", "dashboardName", "region"];

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        if let Some(name) = known(inputs, "dashboardName").and_then(Value::as_str) {
            let ok = !name.is_empty()
                && name.len() <= 255
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !ok {
                return Err(ProviderError::invalid(format!(
                    "dashboardName {name:?} must be 1 to 255 letters, digits, - and _"
                )));
            }
        }
        if let Some(body) = known(inputs, "dashboardBody") {
            let body = body.as_str().ok_or_else(|| ProviderError::invalid("dashboardBody must be a JSON string"))?;
            let doc: serde_json::Value = serde_json::from_str(body)
                .map_err(|e| ProviderError::invalid(format!("dashboardBody is not valid JSON: {e}")))?;
            if !doc.is_object() {
                return Err(ProviderError::invalid("dashboardBody must be a JSON object with a widgets list"));
            }
        }
        Ok(())
    }

    pub(super) async fn put(p: &AwsProvider, inputs: &PropertyMap) -> Result<String, ProviderError> {
        let cw = p.cloudwatch().await?;
        let name = required_str(inputs, "dashboardName")?;
        let body = required_str(inputs, "dashboardBody")?;
        let out = p.call(|| cw.put_dashboard().dashboard_name(name).dashboard_body(body).send()).await?;
        // PutDashboard stores a dashboard with problems and lists them here.
        let problems: Vec<String> =
            out.dashboard_validation_messages().iter().filter_map(|m| m.message().map(str::to_string)).collect();
        if !problems.is_empty() {
            tracing::warn!(
                dashboard = name,
                "CloudWatch accepted the dashboard with warnings: {}",
                problems.join("; ")
            );
        }
        Ok(name.to_string())
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let cw = p.cloudwatch().await?;
        let out = p.call(|| cw.get_dashboard().dashboard_name(id).send()).await?;
        Ok(Some(
            Outputs::new(id, p.region().await?)
                .string("dashboardArn", out.dashboard_arn())
                .string("dashboardName", out.dashboard_name())
                .string("dashboardBody", out.dashboard_body())
                .build(),
        ))
    }

    pub(super) async fn delete(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
        let cw = p.cloudwatch().await?;
        p.call(|| cw.delete_dashboards().dashboard_names(id).send()).await?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Alarm states
// ---------------------------------------------------------------------------

/// Which CloudWatch alarms are firing, through DescribeAlarms in one region:
/// what a blue-green traffic shift watches between its steps. Made by
/// [`AwsFactory::alarm_source`](super::AwsFactory::alarm_source).
pub struct CloudWatchAlarms {
    provider: AwsProvider,
}

impl std::fmt::Debug for CloudWatchAlarms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudWatchAlarms").field("provider", &self.provider).finish()
    }
}

impl CloudWatchAlarms {
    /// Alarm states as seen by `provider` (its region and credentials).
    pub(crate) fn new(provider: AwsProvider) -> CloudWatchAlarms {
        CloudWatchAlarms { provider }
    }
}

/// DescribeAlarms takes at most this many names per call.
const NAMES_PER_CALL: usize = 100;

#[async_trait]
impl AlarmSource for CloudWatchAlarms {
    async fn firing(&self, names: &[String]) -> Result<Vec<String>, ProviderError> {
        let p = &self.provider;
        let cw = p.cloudwatch().await?;
        let mut firing = Vec::new();
        for chunk in names.chunks(NAMES_PER_CALL) {
            let mut token: Option<String> = None;
            loop {
                let out = p
                    .call(|| {
                        cw.describe_alarms()
                            .set_alarm_names(Some(chunk.to_vec()))
                            .state_value(StateValue::Alarm)
                            .set_next_token(token.clone())
                            .send()
                    })
                    .await?;
                // Composite alarms can be watched too: both kinds count.
                let names = out
                    .metric_alarms()
                    .iter()
                    .filter(|a| a.state_value() == Some(&StateValue::Alarm))
                    .filter_map(|a| a.alarm_name())
                    .chain(
                        out.composite_alarms()
                            .iter()
                            .filter(|a| a.state_value() == Some(&StateValue::Alarm))
                            .filter_map(|a| a.alarm_name()),
                    );
                for name in names {
                    if chunk.iter().any(|n| n == name) && !firing.iter().any(|f: &String| f == name) {
                        firing.push(name.to_string());
                    }
                }
                match out.next_token() {
                    Some(t) if !t.is_empty() => token = Some(t.to_string()),
                    _ => break,
                }
            }
        }
        Ok(firing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::provider::aws::map;

    #[test]
    fn log_group_arn_drops_the_stream_wildcard() {
        assert_eq!(
            log_group::arn_without_streams("arn:aws:logs:us-east-1:1:log-group:/ecs/x:*"),
            "arn:aws:logs:us-east-1:1:log-group:/ecs/x"
        );
        assert_eq!(
            log_group::arn_without_streams("arn:aws:logs:us-east-1:1:log-group:/ecs/x"),
            "arn:aws:logs:us-east-1:1:log-group:/ecs/x"
        );
    }

    #[test]
    fn checks() {
        let lg = |days: i32| map(vec![("name", "/ecs/app".into()), ("retentionInDays", days.into())]);
        assert!(CloudWatch.check(LOG_GROUP, &lg(14)).is_ok());
        assert!(CloudWatch.check(LOG_GROUP, &lg(15)).unwrap_err().message.contains("retentionInDays"));
        let alarm = |extra: Vec<(&str, Value)>| {
            let mut pairs = vec![
                ("name", Value::from("cpu")),
                ("namespace", "AWS/ECS".into()),
                ("metricName", "CPUUtilization".into()),
                ("period", 60.into()),
                ("evaluationPeriods", 2.into()),
                ("threshold", 80.into()),
                ("comparisonOperator", "GreaterThanThreshold".into()),
            ];
            pairs.extend(extra);
            map(pairs)
        };
        assert!(CloudWatch.check(METRIC_ALARM, &alarm(vec![("statistic", "Average".into())])).is_ok());
        assert!(CloudWatch.check(METRIC_ALARM, &alarm(vec![])).unwrap_err().message.contains("exactly one"));
        assert!(CloudWatch.check(METRIC_ALARM, &alarm(vec![("statistic", "Mean".into())])).is_err());
        let dash = |body: &str| map(vec![("dashboardName", "overview".into()), ("dashboardBody", body.into())]);
        assert!(CloudWatch.check(DASHBOARD, &dash("{\"widgets\":[]}")).is_ok());
        assert!(CloudWatch.check(DASHBOARD, &dash("{")).is_err());
    }
}
