//! CloudWatch kinds and the alarm source against moto.
//!
//! moto gaps met here: moto evaluates no metrics, so an alarm only changes
//! state through SetAlarmState (which is how the alarm-source test forces
//! one into ALARM); DescribeLogGroups reports both `arn` (with `:*`) and
//! `logGroupArn`, as AWS does now.

use std::time::Duration;

use aws_sdk_cloudwatch::types::StateValue;
use tapctl::model::{PropertyMap, Value};
use tapctl::provider::aws::{AwsFactory, Settings};
use tapctl::provider::{RetryPolicy, URN_TAG};

use super::{ctx, out, props, tags, Env, REGION};

const LOG_GROUP: &str = "aws:cloudwatch/logGroup:LogGroup";
const ALARM: &str = "aws:cloudwatch/metricAlarm:MetricAlarm";
const DASHBOARD: &str = "aws:cloudwatch/dashboard:Dashboard";
const TOPIC: &str = "aws:sns/topic:Topic";

async fn cloudwatch(env: &Env) -> aws_sdk_cloudwatch::Client {
    aws_sdk_cloudwatch::Client::new(&env.moto.sdk_config(REGION).await)
}

#[tokio::test]
async fn log_group_lifecycle() {
    let env = Env::start().await;
    let inputs = |days: u32, tag: &str| {
        props(vec![
            ("name", "/ecs/tap-test-app".into()),
            ("retentionInDays", days.into()),
            ("tags", tags(&[("Name", tag)])),
        ])
    };
    let env = &env;
    env.lifecycle(LOG_GROUP, "app-logs", inputs(14, "logs"), inputs(30, "logs-2"), |created, updated| async move {
        let o = &created.outputs;
        assert_eq!(created.id, "/ecs/tap-test-app");
        // pulumi-aws's ARN: without the trailing `:*` (policies add it).
        assert_eq!(out(o, "arn"), "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/tap-test-app");
        assert_eq!(o["retentionInDays"], Value::from(14));
        assert_eq!(updated["retentionInDays"], Value::from(30));
        assert_eq!(updated["tags"], tags(&[("Name", "logs-2")]));
        let logs = aws_sdk_cloudwatchlogs::Client::new(&env.moto.sdk_config(REGION).await);
        let g = logs.describe_log_groups().log_group_name_prefix("/ecs/tap-test-app").send().await.unwrap();
        assert_eq!(g.log_groups()[0].retention_in_days(), Some(30));
        let t = logs.list_tags_for_resource().resource_arn(out(o, "arn")).send().await.unwrap();
        let t = t.tags().unwrap();
        assert_eq!(t.get("Name").map(String::as_str), Some("logs-2"));
        assert!(t.contains_key(URN_TAG));
    })
    .await;
}

fn alarm_inputs(name: &str, topic: &str, threshold: u32, tag: &str) -> PropertyMap {
    props(vec![
        ("name", name.into()),
        ("alarmDescription", "blue service average CPU above the threshold".into()),
        ("namespace", "AWS/ECS".into()),
        ("metricName", "CPUUtilization".into()),
        ("statistic", "Average".into()),
        ("period", 60.into()),
        ("evaluationPeriods", 2.into()),
        ("threshold", threshold.into()),
        ("comparisonOperator", "GreaterThanThreshold".into()),
        ("treatMissingData", "notBreaching".into()),
        ("dimensions", Value::object([("ClusterName", "tap-test-cluster"), ("ServiceName", "tap-test-blue-svc")])),
        ("alarmActions", Value::array([topic])),
        ("okActions", Value::array([topic])),
        ("tags", tags(&[("Name", tag)])),
    ])
}

#[tokio::test]
async fn metric_alarm_lifecycle() {
    let env = Env::start().await;
    let topic = env.given(TOPIC, "alerts", props(vec![("name", "tap-test-alerts".into())])).await;
    let topic_arn = topic.id.as_str();
    let env = &env;
    let name = "tap-test-blue-cpu-high";
    let create = alarm_inputs(name, topic_arn, 80, "cpu");
    let update = alarm_inputs(name, topic_arn, 90, "cpu-2");
    env.lifecycle(ALARM, "blue-cpu-high", create, update, |created, updated| async move {
        let o = &created.outputs;
        assert_eq!(created.id, name);
        assert_eq!(out(o, "arn"), format!("arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}"));
        assert_eq!(o["threshold"], Value::from(80));
        assert_eq!(out(o, "comparisonOperator"), "GreaterThanThreshold");
        assert_eq!(out(o, "treatMissingData"), "notBreaching");
        assert_eq!(out(o, "statistic"), "Average");
        assert_eq!(
            o["dimensions"],
            Value::object([("ClusterName", "tap-test-cluster"), ("ServiceName", "tap-test-blue-svc")])
        );
        assert_eq!(o["alarmActions"], Value::array([topic_arn]));
        assert_eq!(o["okActions"], Value::array([topic_arn]));
        assert_eq!(updated["threshold"], Value::from(90));
        assert_eq!(updated["tags"], tags(&[("Name", "cpu-2")]));
        let cw = cloudwatch(env).await;
        let a = cw.describe_alarms().alarm_names(name).send().await.unwrap();
        assert_eq!(a.metric_alarms()[0].threshold(), Some(90.0));
        let t = cw.list_tags_for_resource().resource_arn(out(o, "arn")).send().await.unwrap();
        let keys: Vec<&str> = t.tags().iter().filter_map(|t| t.key()).collect();
        assert!(keys.contains(&URN_TAG) && keys.contains(&"Name"), "{keys:?}");
    })
    .await;
}

#[tokio::test]
async fn dashboard_lifecycle() {
    let env = Env::start().await;
    let body = |title: &str| {
        serde_json::json!({"widgets": [{"type": "metric", "width": 12, "height": 6, "properties": {
            "title": title, "region": "us-east-1", "period": 60, "stat": "Average",
            "metrics": [["AWS/ECS", "CPUUtilization", "ClusterName", "tap-test-cluster"]]}}]})
        .to_string()
    };
    let inputs =
        |title: &str| props(vec![("dashboardName", "tap-test-overview".into()), ("dashboardBody", body(title).into())]);
    let env = &env;
    env.lifecycle(
        DASHBOARD,
        "overview",
        inputs("Service CPU"),
        inputs("CPU per service"),
        |created, updated| async move {
            let o = &created.outputs;
            assert_eq!(created.id, "tap-test-overview");
            assert_eq!(out(o, "dashboardArn"), "arn:aws:cloudwatch::123456789012:dashboard/tap-test-overview");
            let parsed: serde_json::Value = serde_json::from_str(out(o, "dashboardBody")).unwrap();
            assert_eq!(parsed["widgets"][0]["properties"]["title"], "Service CPU");
            let parsed: serde_json::Value = serde_json::from_str(out(&updated, "dashboardBody")).unwrap();
            assert_eq!(parsed["widgets"][0]["properties"]["title"], "CPU per service");
            let cw = cloudwatch(env).await;
            let d = cw.get_dashboard().dashboard_name("tap-test-overview").send().await.unwrap();
            assert!(d.dashboard_body().unwrap().contains("CPU per service"));
        },
    )
    .await;
}

/// The alarm source a traffic shift watches: only the named alarms in
/// state ALARM, through the factory's public constructor.
#[tokio::test]
async fn alarm_source_reports_the_named_alarms_in_alarm() {
    let env = Env::start().await;
    let topic = env.given(TOPIC, "alerts", props(vec![("name", "tap-test-alerts".into())])).await;
    let five_xx = "tap-test-alb-5xx";
    let unhealthy = "tap-test-blue-unhealthy-hosts";
    let other = "tap-test-db-connections-high";
    for (logical, name) in [("alb-5xx", five_xx), ("blue-unhealthy-hosts", unhealthy), ("db-connections-high", other)] {
        env.given(ALARM, logical, alarm_inputs(name, &topic.id, 1, logical)).await;
    }
    let settings = Settings {
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
        },
        poll_interval: Duration::from_millis(50),
        consistency_window: Duration::from_secs(2),
    };
    let factory = AwsFactory::from_config(env.moto.sdk_config(REGION).await).with_settings(settings);
    let source = factory.alarm_source(Some(REGION));
    let watched = vec![five_xx.to_string(), unhealthy.to_string(), "tap-test-never-created".to_string()];
    assert_eq!(source.firing(&watched).await.unwrap(), Vec::<String>::new(), "new alarms are not in ALARM");

    let cw = cloudwatch(&env).await;
    for name in [five_xx, other] {
        cw.set_alarm_state().alarm_name(name).state_value(StateValue::Alarm).state_reason("test").send().await.unwrap();
    }
    // `other` fires too, but is not among the watched names.
    assert_eq!(source.firing(&watched).await.unwrap(), vec![five_xx.to_string()]);

    cw.set_alarm_state()
        .alarm_name(five_xx)
        .state_value(StateValue::Ok)
        .state_reason("recovered")
        .send()
        .await
        .unwrap();
    assert!(source.firing(&watched).await.unwrap().is_empty());
    assert!(source.firing(&[]).await.unwrap().is_empty());
    let p = env.provider.as_ref();
    assert!(p.read(&ctx(ALARM, "alb-5xx"), five_xx).await.unwrap().is_some());
}
