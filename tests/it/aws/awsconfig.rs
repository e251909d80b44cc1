//! AWS Config against moto: recorder, delivery channel, recorder status and
//! a managed rule, through the provider API.
//!
//! moto 5.2.5 serves every call these kinds make and enforces AWS's order
//! (a channel needs a recorder, starting needs a channel, a running recorder
//! keeps its channel), with three gaps. PutConfigRule on an existing rule
//! replaces its tags with the request's (AWS keeps them; the provider sends
//! the whole set on every Put, as Terraform does, so both agree). PutConfigRule does not require a
//! recorder (AWS answers `NoAvailableConfigurationRecorderException`) and
//! rules never leave `ACTIVE` (no evaluation, so `ResourceInUseException`
//! and the wait for `DELETING` are not exercised). The in-memory cloud's
//! `config_kinds_keep_aws_ordering_rules` holds the rule-needs-a-recorder
//! rule.

use tapctl::model::{PropertyMap, Value};
use tapctl::provider::{Created, URN_TAG};

use super::{ctx, out, props, tags, Env, REGION};

const RECORDER: &str = "aws:cfg/recorder:Recorder";
const CHANNEL: &str = "aws:cfg/deliveryChannel:DeliveryChannel";
const STATUS: &str = "aws:cfg/recorderStatus:RecorderStatus";
const RULE: &str = "aws:cfg/rule:Rule";

fn json(v: serde_json::Value) -> Value {
    Value::from_plain_json(&v)
}

fn recorder(role: &str, group: serde_json::Value) -> PropertyMap {
    props(vec![
        ("name", "default".into()),
        ("roleArn", format!("arn:aws:iam::123456789012:role/{role}").into()),
        ("recordingGroup", json(group)),
    ])
}

fn channel(extra: Vec<(&str, Value)>) -> PropertyMap {
    let mut p = props(vec![("name", "default".into()), ("s3BucketName", "config-history".into())]);
    p.extend(props(extra));
    p
}

fn status(enabled: bool) -> PropertyMap {
    props(vec![("name", "default".into()), ("isEnabled", enabled.into())])
}

async fn given_recorder(env: &Env) -> Created {
    env.given(RECORDER, "recorder", recorder("config", serde_json::json!({"allSupported": true}))).await
}

#[tokio::test]
async fn recorder_lifecycle() {
    let env = Env::start().await;
    let env = &env;
    env.lifecycle(
        RECORDER,
        "recorder",
        recorder("config", serde_json::json!({"allSupported": true, "includeGlobalResourceTypes": true})),
        recorder("config-2", serde_json::json!({"allSupported": false, "resourceTypes": ["AWS::S3::Bucket"]})),
        |created, updated| async move {
            let o = &created.outputs;
            assert_eq!(created.id, "default");
            assert_eq!(out(o, "roleArn"), "arn:aws:iam::123456789012:role/config");
            assert_eq!(out(o, "region"), REGION);
            let group = o["recordingGroup"].as_object().unwrap();
            assert_eq!(group["allSupported"], Value::Bool(true));
            assert_eq!(group["includeGlobalResourceTypes"], Value::Bool(true));
            assert_eq!(out(&updated, "roleArn"), "arn:aws:iam::123456789012:role/config-2");
            let group = updated["recordingGroup"].as_object().unwrap();
            assert_eq!(group["allSupported"], Value::Bool(false));
            assert_eq!(group["resourceTypes"], Value::array(["AWS::S3::Bucket"]));
            // One recorder per region: a second create is refused, not merged.
            let err = env
                .provider
                .create(&ctx(RECORDER, "again"), &recorder("x", serde_json::json!({"allSupported": true})))
                .await
                .unwrap_err();
            assert_eq!(err.code, "ResourceAlreadyExists", "{err}");
            // Adoption finds it by name.
            let found = env.provider.find(&ctx(RECORDER, "recorder"), &recorder("x", serde_json::json!({}))).await;
            assert_eq!(found.unwrap().len(), 1);
        },
    )
    .await;
}

#[tokio::test]
async fn delivery_channel_lifecycle() {
    let env = Env::start().await;
    let env = &env;
    // AWS wants the recorder first.
    let err = env.provider.create(&ctx(CHANNEL, "channel"), &channel(vec![])).await.unwrap_err();
    assert_eq!(err.code, "NoAvailableConfigurationRecorderException", "{err}");
    let rec = given_recorder(env).await;
    env.lifecycle(
        CHANNEL,
        "channel",
        channel(vec![]),
        channel(vec![
            ("s3KeyPrefix", "config".into()),
            ("snsTopicArn", "arn:aws:sns:us-east-1:123456789012:config".into()),
            ("snapshotDeliveryProperties", json(serde_json::json!({"deliveryFrequency": "Six_Hours"}))),
        ]),
        |created, updated| async move {
            assert_eq!(created.id, "default");
            assert_eq!(out(&created.outputs, "s3BucketName"), "config-history");
            assert!(!created.outputs.contains_key("s3KeyPrefix"));
            assert_eq!(out(&updated, "s3KeyPrefix"), "config");
            assert_eq!(out(&updated, "snsTopicArn"), "arn:aws:sns:us-east-1:123456789012:config");
            assert_eq!(updated["snapshotDeliveryProperties"], Value::object([("deliveryFrequency", "Six_Hours")]));
        },
    )
    .await;
    env.remove(RECORDER, "recorder", &rec).await;
}

/// The status starts and stops the recorder; it needs a delivery channel to
/// start, and while it runs the channel cannot go. Deleting it stops the
/// recorder, which still exists, so the status still reads (stopped) — the
/// lifecycle helper's read-gone does not apply; once the recorder is gone,
/// so is the status.
#[tokio::test]
async fn recorder_status_starts_and_stops_the_recorder() {
    let env = Env::start().await;
    let p = env.provider.as_ref();
    let c = ctx(STATUS, "status");
    let rec = given_recorder(&env).await;
    let err = p.create(&c, &status(true)).await.unwrap_err();
    assert_eq!(err.code, "NoAvailableDeliveryChannelException", "{err}");

    let chan = env.given(CHANNEL, "channel", channel(vec![])).await;
    p.check(STATUS, &status(true)).unwrap();
    let created = p.create(&c, &status(true)).await.unwrap();
    assert_eq!(created.id, "default");
    assert_eq!(created.outputs["isEnabled"], Value::Bool(true));
    assert_eq!(p.read(&c, "default").await.unwrap().as_ref(), Some(&created.outputs));
    let cfg = aws_sdk_config::Client::new(&env.moto.sdk_config(REGION).await);
    let s = cfg.describe_configuration_recorder_status().configuration_recorder_names("default").send().await;
    assert!(s.unwrap().configuration_recorders_status()[0].recording());

    // A running recorder holds its channel.
    let err = p.delete(&ctx(CHANNEL, "channel"), &chan.id, &chan.outputs).await.unwrap_err();
    assert_eq!(err.code, "LastDeliveryChannelDeleteFailedException", "{err}");

    let diff = p.diff(STATUS, &status(true), &status(false)).unwrap();
    assert!(diff.replace_keys.is_empty());
    let stopped = p.update(&c, "default", &created.outputs, &status(false)).await.unwrap();
    assert_eq!(stopped["isEnabled"], Value::Bool(false));
    let started = p.update(&c, "default", &stopped, &status(true)).await.unwrap();
    assert_eq!(started["isEnabled"], Value::Bool(true));

    p.delete(&c, "default", &started).await.unwrap();
    assert_eq!(p.read(&c, "default").await.unwrap().unwrap()["isEnabled"], Value::Bool(false));
    p.delete(&c, "default", &started).await.unwrap();
    env.remove(CHANNEL, "channel", &chan).await;
    env.remove(RECORDER, "recorder", &rec).await;
    assert_eq!(p.read(&c, "default").await.unwrap(), None, "no recorder, no status");
    p.delete(&c, "default", &started).await.expect("stopping a recorder that is gone succeeds");
}

fn rule(description: &str, tag: &str, extra: serde_json::Value) -> PropertyMap {
    let mut base = serde_json::json!({
        "name": "s3-bucket-sse",
        "description": description,
        "source": {"owner": "AWS", "sourceIdentifier": "S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED"},
        "scope": {"complianceResourceTypes": ["AWS::S3::Bucket"]},
        "tags": {"Name": tag},
    });
    for (k, v) in extra.as_object().unwrap() {
        base[k] = v.clone();
    }
    match json(base) {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn managed_rule_lifecycle() {
    let env = Env::start().await;
    let env = &env;
    let rec = given_recorder(env).await;
    env.lifecycle(
        RULE,
        "s3-sse",
        rule("buckets must be encrypted", "a", serde_json::json!({})),
        rule("buckets must be encrypted at rest", "b", serde_json::json!({"maximumExecutionFrequency": "Six_Hours"})),
        |created, updated| async move {
            let o = &created.outputs;
            assert_eq!(created.id, "s3-bucket-sse");
            let rule_id = out(o, "ruleId");
            assert!(rule_id.starts_with("config-rule-"), "{rule_id}");
            assert!(out(o, "arn").starts_with("arn:aws:config:us-east-1:123456789012:config-rule/"), "{o:?}");
            assert_eq!(out(o, "description"), "buckets must be encrypted");
            let source = o["source"].as_object().unwrap();
            assert_eq!(source["owner"], Value::from("AWS"));
            assert_eq!(source["sourceIdentifier"], Value::from("S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED"));
            let scope = o["scope"].as_object().unwrap();
            assert_eq!(scope["complianceResourceTypes"], Value::array(["AWS::S3::Bucket"]));
            assert_eq!(o["tags"], tags(&[("Name", "a")]));
            assert_eq!(out(&updated, "description"), "buckets must be encrypted at rest");
            assert_eq!(out(&updated, "maximumExecutionFrequency"), "Six_Hours");
            assert_eq!(out(&updated, "ruleId"), rule_id, "updated in place");
            assert_eq!(updated["tags"], tags(&[("Name", "b")]));
            let cfg = aws_sdk_config::Client::new(&env.moto.sdk_config(REGION).await);
            let t = cfg.list_tags_for_resource().resource_arn(out(o, "arn")).send().await.unwrap();
            assert!(t.tags().iter().any(|t| t.key() == Some(URN_TAG)));
        },
    )
    .await;
    env.remove(RECORDER, "recorder", &rec).await;
}
