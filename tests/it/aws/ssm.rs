//! SSM Parameter Store against moto. No moto gap met: moto versions a
//! parameter on each overwrite, decrypts a SecureString with
//! `WithDecryption`, keeps tags given with PutParameter and refuses a second
//! create without `Overwrite` (`ParameterAlreadyExists`) as AWS does.

use tapctl::model::{PropertyMap, Value};
use tapctl::provider::URN_TAG;

use super::{ctx, out, props, tags, Env, REGION};

const PARAMETER: &str = "aws:ssm/parameter:Parameter";

fn inputs(kind: &str, value: &str, description: &str, tag: &str) -> PropertyMap {
    props(vec![
        ("name", "/tap/test/db-host".into()),
        ("type", kind.into()),
        ("value", Value::secret(value)),
        ("description", description.into()),
        ("tags", tags(&[("Name", tag)])),
    ])
}

#[tokio::test]
async fn parameter_lifecycle() {
    let env = Env::start().await;
    let env = &env;
    env.lifecycle(
        PARAMETER,
        "db-host",
        inputs("String", "db.internal", "the database host", "a"),
        inputs("SecureString", "db2.internal", "the new database host", "b"),
        |created, updated| async move {
            let o = &created.outputs;
            assert_eq!(created.id, "/tap/test/db-host");
            assert_eq!(out(o, "arn"), "arn:aws:ssm:us-east-1:123456789012:parameter/tap/test/db-host");
            assert_eq!(out(o, "type"), "String");
            assert_eq!(o["value"], Value::secret("db.internal"), "the value stays a secret");
            assert_eq!(o["version"], Value::from(1));
            assert_eq!(out(o, "description"), "the database host");
            assert_eq!(out(o, "tier"), "Standard");
            assert_eq!(out(&updated, "type"), "SecureString");
            assert_eq!(updated["value"], Value::secret("db2.internal"));
            assert_eq!(updated["version"], Value::from(2));
            assert_eq!(updated["tags"], tags(&[("Name", "b")]));
            let ssm = aws_sdk_ssm::Client::new(&env.moto.sdk_config(REGION).await);
            let t = ssm
                .list_tags_for_resource()
                .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
                .resource_id("/tap/test/db-host")
                .send()
                .await
                .unwrap();
            assert!(t.tag_list().iter().any(|t| t.key() == URN_TAG));
            // Adoption finds the parameter by its name.
            let found = env.provider.find(&ctx(PARAMETER, "db-host"), &inputs("String", "x", "y", "z")).await.unwrap();
            assert_eq!(found.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), vec!["/tap/test/db-host"]);
        },
    )
    .await;
}

/// A create that finds its own parameter (an interrupted earlier create)
/// adopts it; one that finds another resource's refuses.
#[tokio::test]
async fn parameter_taken_by_an_interrupted_create_is_adopted() {
    let env = Env::start().await;
    let p = env.provider.as_ref();
    let first = p.create(&ctx(PARAMETER, "db-host"), &inputs("String", "a", "d", "a")).await.unwrap();
    let again = p.create(&ctx(PARAMETER, "db-host"), &inputs("String", "b", "d", "a")).await.unwrap();
    assert_eq!(again.id, first.id);
    assert_eq!(again.outputs["value"], Value::secret("b"));
    let err = p.create(&ctx(PARAMETER, "other"), &inputs("String", "c", "d", "a")).await.unwrap_err();
    assert_eq!(err.code, "ParameterAlreadyExists", "{err}");
    p.delete(&ctx(PARAMETER, "db-host"), &first.id, &first.outputs).await.unwrap();
}
