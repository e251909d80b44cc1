//! Secrets Manager against moto.
//!
//! moto behaves like AWS here as far as these tests look: a secret scheduled
//! for deletion still answers DescribeSecret (with `DeletedDate`) and refuses
//! a second DeleteSecret, and a forced deletion frees the name at once; it
//! keeps staging labels per version and honours the request token as the
//! version id, which secret versions rely on.

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

const VERSION: &str = "aws:secretsmanager/secretVersion:SecretVersion";

fn version_inputs(secret: &str, value: &str, stages: &[&str]) -> PropertyMap {
    props(vec![
        ("secretId", secret.into()),
        ("secretString", Value::secret(value)),
        ("versionStages", Value::array(stages.iter().copied())),
    ])
}

/// A pending version beside the current one: its labels move in place, and
/// deleting it removes them (the version is then deprecated, i.e. gone).
#[tokio::test]
async fn secret_version_lifecycle() {
    let env = Env::start().await;
    let secret = env
        .given(SECRET, "api", props(vec![("name", "tap/test/api-key".into()), ("recoveryWindowInDays", 0.into())]))
        .await;
    let current = env.given(VERSION, "api-v1", version_inputs(&secret.id, "s3cr3t-1", &["AWSCURRENT"])).await;
    let arn = secret.id.clone();
    let env = &env;
    env.lifecycle(
        VERSION,
        "api-v2",
        version_inputs(&secret.id, "s3cr3t-2", &["AWSPENDING"]),
        version_inputs(&secret.id, "s3cr3t-2", &["AWSPENDING", "blue"]),
        |created, updated| {
            let arn = arn.clone();
            async move {
                let o = &created.outputs;
                let version = out(o, "versionId").to_string();
                assert_eq!(created.id, format!("{arn}|{version}"));
                assert_eq!(out(o, "arn"), arn);
                assert_eq!(out(o, "secretId"), arn);
                assert_eq!(o["secretString"], Value::secret("s3cr3t-2"), "the value stays a secret");
                assert_eq!(o["versionStages"], Value::array(["AWSPENDING"]));
                assert_eq!(updated["versionStages"], Value::array(["AWSPENDING", "blue"]));
                let now = sm(env).await.get_secret_value().secret_id(&arn).send().await.unwrap();
                assert_eq!(now.secret_string(), Some("s3cr3t-1"), "the current value is untouched");
                // Adoption computes the same version id again.
                let c = ctx(VERSION, "api-v2");
                let found = env.provider.find(&c, &version_inputs(&arn, "s3cr3t-2", &["AWSPENDING"])).await.unwrap();
                assert_eq!(found.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), vec![created.id.as_str()]);
            }
        },
    )
    .await;
    // The current version keeps AWSCURRENT through its delete, as in Terraform.
    let p = env.provider.as_ref();
    p.delete(&ctx(VERSION, "api-v1"), &current.id, &current.outputs).await.unwrap();
    assert!(p.read(&ctx(VERSION, "api-v1"), &current.id).await.unwrap().is_some());
    env.remove(SECRET, "api", &secret).await;
    assert_eq!(p.read(&ctx(VERSION, "api-v1"), &current.id).await.unwrap(), None, "gone with its secret");
}
