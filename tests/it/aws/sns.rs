//! SNS kinds against moto.
//!
//! moto gaps met here: moto confirms an email subscription at once
//! (`PendingConfirmation` is `false`), so the pending-confirmation path —
//! a read that shows the pending subscription, a delete AWS refuses and the
//! provider lets go of — cannot be reached here; that logic is unit-tested
//! in the provider only as far as its error matching goes.

use tapctl::model::{PropertyMap, Value};
use tapctl::provider::URN_TAG;

use super::{out, props, tags, Env, REGION};

const TOPIC: &str = "aws:sns/topic:Topic";
const SUBSCRIPTION: &str = "aws:sns/topicSubscription:TopicSubscription";

async fn sns(env: &Env) -> aws_sdk_sns::Client {
    aws_sdk_sns::Client::new(&env.moto.sdk_config(REGION).await)
}

#[tokio::test]
async fn topic_lifecycle() {
    let env = Env::start().await;
    let inputs = |display: &str, tag: &str| {
        props(vec![
            ("name", "tap-test-alerts".into()),
            ("displayName", display.into()),
            ("tags", tags(&[("Name", tag)])),
        ])
    };
    let env = &env;
    env.lifecycle(
        TOPIC,
        "alerts",
        inputs("Alerts", "alerts"),
        inputs("TAP alerts", "alerts-2"),
        |created, updated| async move {
            let o = &created.outputs;
            assert_eq!(created.id, "arn:aws:sns:us-east-1:123456789012:tap-test-alerts");
            assert_eq!(out(o, "arn"), created.id);
            assert_eq!(out(o, "name"), "tap-test-alerts");
            assert_eq!(out(o, "displayName"), "Alerts");
            assert_eq!(out(o, "owner"), "123456789012");
            assert_eq!(o["fifoTopic"], Value::Bool(false));
            assert_eq!(out(&updated, "displayName"), "TAP alerts");
            assert_eq!(updated["tags"], tags(&[("Name", "alerts-2")]));
            let t = sns(env).await.list_tags_for_resource().resource_arn(&created.id).send().await.unwrap();
            let keys: Vec<&str> = t.tags().iter().map(|t| t.key()).collect();
            assert!(keys.contains(&URN_TAG) && keys.contains(&"Name"), "{keys:?}");
            // Adoption finds the topic by its name.
            let found = env.provider.find(&super::ctx(TOPIC, "alerts"), &inputs("Alerts", "alerts")).await.unwrap();
            assert_eq!(found.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), vec![created.id.as_str()]);
        },
    )
    .await;
}

fn subscription_inputs(topic: &str, filter: Option<&str>) -> PropertyMap {
    let mut inputs =
        props(vec![("topic", topic.into()), ("protocol", "email".into()), ("endpoint", "oncall@example.com".into())]);
    if let Some(f) = filter {
        inputs.insert("filterPolicy".into(), Value::from(f));
    }
    inputs
}

#[tokio::test]
async fn subscription_lifecycle() {
    let env = Env::start().await;
    let topic = env.given(TOPIC, "alerts", props(vec![("name", "tap-test-alerts".into())])).await;
    let topic_arn = topic.id.as_str();
    let filter = r#"{"severity":["critical"]}"#;
    let env = &env;
    env.lifecycle(
        SUBSCRIPTION,
        "alerts-email",
        subscription_inputs(topic_arn, None),
        subscription_inputs(topic_arn, Some(filter)),
        |created, updated| async move {
            let o = &created.outputs;
            // The id is the subscription ARN (never the "pending confirmation" placeholder).
            assert!(created.id.starts_with(&format!("{topic_arn}:")), "{}", created.id);
            assert_eq!(out(o, "topic"), topic_arn);
            assert_eq!(out(o, "protocol"), "email");
            assert_eq!(out(o, "endpoint"), "oncall@example.com");
            assert_eq!(out(o, "ownerId"), "123456789012");
            // moto confirms at once; AWS would say true until the recipient clicks.
            assert_eq!(o["pendingConfirmation"], Value::Bool(false));
            assert!(!o.contains_key("filterPolicy"));
            let policy: serde_json::Value = serde_json::from_str(out(&updated, "filterPolicy")).unwrap();
            assert_eq!(policy["severity"][0], "critical");
            let a = sns(env).await.get_subscription_attributes().subscription_arn(&created.id).send().await.unwrap();
            assert!(a.attributes().unwrap().contains_key("FilterPolicy"));
            // Adoption finds the subscription by topic, protocol and endpoint.
            let c = super::ctx(SUBSCRIPTION, "alerts-email");
            let found = env.provider.find(&c, &subscription_inputs(topic_arn, None)).await.unwrap();
            assert_eq!(found.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), vec![created.id.as_str()]);
        },
    )
    .await;
    env.remove(TOPIC, "alerts", &topic).await;
}
