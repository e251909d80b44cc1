//! A delete-first replacement with a dependent that must be replaced too,
//! against moto: IAM refuses to delete a role that still has an inline
//! policy (`DeleteConflict`), so the dependent must go first.

use std::sync::Arc;

use tapctl::engine::RunOptions;
use tapctl::provider::aws::AwsFactory;
use tapctl::Engine;

use super::{fast, REGION};
use crate::common::{role_with_policy, stack_in, yes};
use crate::moto::Moto;

#[tokio::test]
async fn a_role_replaced_delete_first_takes_its_policy_down_and_back_up() {
    let moto = Moto::start();
    let config = moto.sdk_config(REGION).await;
    let engine = Engine::new(Arc::new(AwsFactory::from_config(config.clone()).with_settings(fast())));
    let dir = tempfile::tempdir().unwrap();
    let stack = stack_in(dir.path(), "dev");
    let first = stack.up(&engine, &role_with_policy("/"), &RunOptions::default(), yes).await.unwrap();
    assert!(first.summary.succeeded(), "{:?}", first.summary);

    let outcome = stack.up(&engine, &role_with_policy("/svc/"), &RunOptions::default(), yes).await.unwrap();
    assert!(outcome.summary.succeeded(), "{:?}", outcome.summary);
    assert_eq!(outcome.summary.changes.replace, 2, "{:?}", outcome.summary);
    let iam = aws_sdk_iam::Client::new(&config);
    let role = iam.get_role().role_name("demo-role").send().await.unwrap();
    assert_eq!(role.role().map(|r| r.path()), Some("/svc/"));
    iam.get_role_policy().role_name("demo-role").policy_name("demo-policy").send().await.expect("re-created");

    let destroyed = stack.destroy(&engine, &RunOptions::default(), yes).await.unwrap();
    assert!(destroyed.summary.succeeded(), "{:?}", destroyed.summary);
    assert!(iam.get_role().role_name("demo-role").send().await.is_err(), "nothing left");
}
