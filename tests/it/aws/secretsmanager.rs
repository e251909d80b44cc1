//! Secrets Manager against moto.
//!
//! moto behaves like AWS here as far as these tests look: a secret scheduled
//! for deletion still answers DescribeSecret (with `DeletedDate`) and refuses
//! a second DeleteSecret, and a forced deletion frees the name at once.

use tapctl::model::{PropertyMap, Value};

use super::{ctx, out, props, tags, Env, REGION};

const SECRET: &str = "aws:secretsmanager/secret:Secret";
const KEY: &str = "aws:kms/key:Key";

async fn sm(env: &Env) -> aws_sdk_secretsmanager::Client {
    aws_sdk_secretsmanager::Client::new(&env.moto.sdk_config(REGION).await)
}

fn inputs(description: &str, key: Option<&str>, window: i32, tag: &str) -> PropertyMap {
    let mut pairs = vec![
        ("name", Value::from("tap/dev/api-token")),
        ("description", description.into()),
        ("recoveryWindowInDays", window.into()),
        ("tags", tags(&[("Name", tag)])),
    ];
    if let Some(key) = key {
        pairs.push(("kmsKeyId", key.into()));
    }
    props(pairs)
}

#[tokio::test]
async fn secret_lifecycle_schedules_deletion_with_its_window() {
    let env = Env::start().await;
    let client = &sm(&env).await;
    let key = env.given(KEY, "secrets-key", props(vec![("description", "secrets".into())])).await;
    let key_arn = out(&key.outputs, "arn").to_string();
    let create = inputs("API token", None, 0, "a");
    let update = inputs("API token for the app", Some(&key_arn), 7, "b");
    let key_arn = &key_arn;
    let (created, _) = env
        .lifecycle(SECRET, "api-token", create, update, |created, updated| async move {
            let o = &created.outputs;
            assert!(created.id.starts_with("arn:aws:secretsmanager:us-east-1:123456789012:secret:tap/dev/api-token-"));
            assert_eq!(out(o, "arn"), created.id);
            assert_eq!(out(o, "name"), "tap/dev/api-token");
            assert_eq!(out(o, "description"), "API token");
            assert_eq!(o["recoveryWindowInDays"], Value::from(0));
            assert!(!o.contains_key("kmsKeyId"));
            // The tapctl tag holding the window is not a user tag.
            assert_eq!(o["tagsAll"].as_object().unwrap().len(), 2, "{:?}", o["tagsAll"]);

            assert_eq!(out(&updated, "description"), "API token for the app");
            assert_eq!(out(&updated, "kmsKeyId"), key_arn);
            assert_eq!(updated["recoveryWindowInDays"], Value::from(7));
            let s = client.describe_secret().secret_id(&created.id).send().await.unwrap();
            assert_eq!(s.description(), Some("API token for the app"));
            assert_eq!(s.kms_key_id(), Some(key_arn.as_str()));
        })
        .await;
    // Deleted with the 7-day window the update set: scheduled, not gone.
    let s = client.describe_secret().secret_id(&created.id).send().await.expect("a secret pending deletion");
    assert!(s.deleted_date().is_some());
}

#[tokio::test]
async fn secret_with_no_recovery_window_frees_its_name_at_once() {
    let env = Env::start().await;
    let p = env.provider.as_ref();
    let c = ctx(SECRET, "api-token");
    let first = env.given(SECRET, "api-token", inputs("first", None, 0, "a")).await;
    p.delete(&c, &first.id, &first.outputs).await.expect("delete");
    assert!(sm(&env).await.describe_secret().secret_id(&first.id).send().await.is_err(), "force-deleted");
    // A replacement under the same name can be created right away.
    let second = env.given(SECRET, "api-token", inputs("second", None, 0, "a")).await;
    assert_ne!(second.id, first.id);
    assert_eq!(out(&second.outputs, "description"), "second");
    env.remove(SECRET, "api-token", &second).await;
}

#[tokio::test]
async fn secret_taken_by_an_interrupted_create_is_adopted() {
    let env = Env::start().await;
    let p = env.provider.as_ref();
    let first = env.given(SECRET, "api-token", inputs("first", None, 0, "a")).await;
    let adopted = p.create(&ctx(SECRET, "api-token"), &inputs("second", None, 0, "a")).await.expect("adopting");
    assert_eq!(adopted.id, first.id);
    assert_eq!(out(&adopted.outputs, "description"), "second");
    let err = p.create(&ctx(SECRET, "someone-else"), &inputs("x", None, 0, "a")).await.expect_err("a taken name");
    assert_eq!(err.code, "ResourceExistsException", "{err}");
}
