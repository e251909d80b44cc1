//! KMS kinds against moto.
//!
//! moto gap met here: scheduling the deletion of a key already pending
//! deletion succeeds in moto where AWS answers KMSInvalidStateException, so
//! the second delete's short-cut (a pending key is already gone) is what
//! keeps it from rescheduling, not an error from the emulator.

use aws_sdk_kms::types::KeyState;
use tapctl::model::{PropertyMap, Value};

use super::{out, props, tags, Env, REGION};

const KEY: &str = "aws:kms/key:Key";
const ALIAS: &str = "aws:kms/alias:Alias";

async fn kms(env: &Env) -> aws_sdk_kms::Client {
    aws_sdk_kms::Client::new(&env.moto.sdk_config(REGION).await)
}

fn policy(sid: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Id":"tap","Statement":[{{"Sid":"{sid}","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::123456789012:root"}},"Action":"kms:*","Resource":"*"}}]}}"#
    )
}

fn key_inputs(description: &str, rotation: bool, sid: &str, tag: &str) -> PropertyMap {
    props(vec![
        ("description", description.into()),
        ("enableKeyRotation", rotation.into()),
        ("deletionWindowInDays", 7.into()),
        ("keyUsage", "ENCRYPT_DECRYPT".into()),
        ("policy", policy(sid).into()),
        ("tags", tags(&[("Name", tag)])),
    ])
}

#[tokio::test]
async fn key_lifecycle_schedules_deletion_with_its_window() {
    let env = Env::start().await;
    let client = &kms(&env).await;
    let create = key_inputs("tap dev data key", false, "Root", "a");
    let update = key_inputs("tap dev data key, rotated", true, "RootAccess", "b");
    let (created, _) = env
        .lifecycle(KEY, "data-key", create, update, |created, updated| async move {
            let o = &created.outputs;
            assert_eq!(out(o, "keyId"), created.id);
            assert_eq!(out(o, "arn"), format!("arn:aws:kms:us-east-1:123456789012:key/{}", created.id));
            assert_eq!(out(o, "description"), "tap dev data key");
            assert_eq!(out(o, "keyUsage"), "ENCRYPT_DECRYPT");
            assert_eq!(o["isEnabled"], Value::Bool(true));
            assert_eq!(o["enableKeyRotation"], Value::Bool(false));
            assert_eq!(o["deletionWindowInDays"], Value::from(7));
            assert_eq!(out(o, "policy"), policy("Root"));
            // The tapctl tag holding the window is not a user tag.
            assert_eq!(o["tagsAll"].as_object().unwrap().len(), 2, "{:?}", o["tagsAll"]);

            assert_eq!(out(&updated, "description"), "tap dev data key, rotated");
            assert_eq!(updated["enableKeyRotation"], Value::Bool(true));
            assert_eq!(out(&updated, "policy"), policy("RootAccess"));
            let rotation = client.get_key_rotation_status().key_id(&created.id).send().await.unwrap();
            assert!(rotation.key_rotation_enabled());
            assert_eq!(updated["tags"], tags(&[("Name", "b")]));
        })
        .await;
    // A scheduled deletion, seven days out.
    let m = client.describe_key().key_id(&created.id).send().await.unwrap();
    let m = m.key_metadata().unwrap();
    assert_eq!(m.key_state(), Some(&KeyState::PendingDeletion));
    let days = m.deletion_date().unwrap().secs() - m.creation_date().unwrap().secs();
    assert!((6 * 86400..=8 * 86400).contains(&days), "deletion {days}s after creation");
}

#[tokio::test]
async fn alias_lifecycle_retargets_in_place() {
    let env = Env::start().await;
    let client = &kms(&env).await;
    let first = env.given(KEY, "key-1", props(vec![("description", "one".into())])).await;
    let second = env.given(KEY, "key-2", props(vec![("description", "two".into())])).await;
    let inputs = |target: &str| props(vec![("name", "alias/tap-dev-data".into()), ("targetKeyId", target.into())]);
    let (first_id, second_id) = (&first.id, &second.id);
    env.lifecycle(ALIAS, "data-alias", inputs(first_id), inputs(second_id), |created, updated| async move {
        let o = &created.outputs;
        assert_eq!(created.id, "alias/tap-dev-data");
        assert_eq!(out(o, "arn"), "arn:aws:kms:us-east-1:123456789012:alias/tap-dev-data");
        assert_eq!(out(o, "targetKeyId"), first_id);
        assert_eq!(out(o, "targetKeyArn"), format!("arn:aws:kms:us-east-1:123456789012:key/{first_id}"));
        assert_eq!(out(&updated, "targetKeyId"), second_id);
        let aliases = client.list_aliases().key_id(second_id).send().await.unwrap();
        assert!(aliases.aliases().iter().any(|a| a.alias_name() == Some("alias/tap-dev-data")));
    })
    .await;
    env.remove(KEY, "key-1", &first).await;
    env.remove(KEY, "key-2", &second).await;
}
