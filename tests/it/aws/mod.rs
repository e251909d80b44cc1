//! The AWS provider against moto: every kind through create → read →
//! update → read → delete → read → delete again, through the same
//! [`Provider`] trait the engine uses, with the SDK alongside to look at
//! what really happened in the (emulated) cloud.

mod appautoscaling;
mod autoscaling;
mod awsconfig;
mod backend;
mod banking;
mod cloudfront;
mod cloudwatch;
mod crash;
mod ec2;
mod ec2_blue_green;
mod ecs;
mod errors;
mod flagship;
mod ha_web;
mod iam;
mod kms;
mod lb;
mod multi_env;
mod rds;
mod replace;
mod route53;
mod s3;
mod secrets;
mod secretsmanager;
mod sns;
mod ssm;
mod yaml;

use std::sync::Arc;
use std::time::Duration;

use tapctl::model::{PropertyMap, Urn, Value};
use tapctl::provider::aws::{AwsFactory, Settings};
use tapctl::provider::{kind, CallContext, Created, Provider, ProviderFactory, RetryPolicy, URN_TAG};

use crate::moto::Moto;

/// The region every test uses (moto's default zones: us-east-1a…f).
pub const REGION: &str = "us-east-1";

/// A moto server, a provider configured against it, and an EC2 client for
/// looking behind the provider's back.
pub struct Env {
    /// The server (dropped last: it is killed on drop).
    pub moto: Moto,
    /// The provider under test.
    pub provider: Arc<dyn Provider>,
    /// A plain SDK client on the same server.
    pub ec2: aws_sdk_ec2::Client,
}

/// Emulator pacing: moto answers at once, so poll fast and give up fast.
pub fn fast() -> Settings {
    Settings {
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
        },
        poll_interval: Duration::from_millis(50),
        consistency_window: Duration::from_secs(2),
    }
}

impl Env {
    /// A fresh server and a provider for [`REGION`].
    pub async fn start() -> Env {
        Env::on(Moto::start()).await
    }

    /// A provider for [`REGION`] on a server the test started (with extra
    /// environment, e.g. moto's request recorder).
    pub async fn on(moto: Moto) -> Env {
        let config = moto.sdk_config(REGION).await;
        let factory = AwsFactory::from_config(config.clone()).with_settings(fast());
        let provider = factory.configure(&props(vec![("region", REGION.into())])).expect("configuring the provider");
        Env { ec2: aws_sdk_ec2::Client::new(&config), provider, moto }
    }

    /// Creates a resource the test needs but does not examine.
    pub async fn given(&self, token: &str, name: &str, inputs: PropertyMap) -> Created {
        let ctx = ctx(token, name);
        self.provider.check(token, &inputs).unwrap_or_else(|e| panic!("check {name}: {e}"));
        self.provider.create(&ctx, &inputs).await.unwrap_or_else(|e| panic!("create {name}: {e}"))
    }

    /// Deletes what [`given`](Self::given) made.
    pub async fn remove(&self, token: &str, name: &str, created: &Created) {
        self.provider
            .delete(&ctx(token, name), &created.id, &created.outputs)
            .await
            .unwrap_or_else(|e| panic!("delete {name}: {e}"));
    }

    /// The whole lifecycle of one resource: check, create, read (identical
    /// outputs; the URN tag on taggable kinds), an in-place update (the diff
    /// must not ask for a replacement), read (identical), delete, read
    /// (`None`), delete again (`Ok`). `between` runs after the update's read
    /// and before the delete, for kind-specific assertions; returns the
    /// outputs of the create and of the update.
    pub async fn lifecycle<F, Fut>(
        &self,
        token: &str,
        name: &str,
        create: PropertyMap,
        update: PropertyMap,
        between: F,
    ) -> (Created, PropertyMap)
    where
        F: FnOnce(Created, PropertyMap) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let p = self.provider.as_ref();
        let ctx = ctx(token, name);
        p.check(token, &create).unwrap_or_else(|e| panic!("check {name}: {e}"));
        p.check(token, &update).unwrap_or_else(|e| panic!("check {name} (update): {e}"));

        let created = p.create(&ctx, &create).await.unwrap_or_else(|e| panic!("create {name}: {e}"));
        assert_eq!(created.outputs.get("id").and_then(Value::as_str), Some(created.id.as_str()));
        let read = p.read(&ctx, &created.id).await.expect("read after create");
        assert_eq!(read.as_ref(), Some(&created.outputs), "{name}: read differs from what create returned");
        // Kinds whose tags are a list (Auto Scaling groups) have no tagsAll;
        // their tests look for the URN tag through the SDK.
        if kind(token).expect("a catalog kind").outputs.contains(&"tagsAll") {
            let urn = created.outputs["tagsAll"].as_object().and_then(|t| t.get(URN_TAG)).and_then(Value::as_str);
            assert_eq!(urn, Some(ctx.urn.as_str()), "{name}: no {URN_TAG} tag");
        }

        let diff = p.diff(token, &create, &update).expect("diff");
        assert!(!diff.changed.is_empty(), "{name}: the update changes nothing");
        assert!(diff.replace_keys.is_empty(), "{name}: the update needs a replacement: {:?}", diff.replace_keys);
        let updated = p
            .update(&ctx, &created.id, &created.outputs, &update)
            .await
            .unwrap_or_else(|e| panic!("update {name}: {e}"));
        let read = p.read(&ctx, &created.id).await.expect("read after update");
        assert_eq!(read.as_ref(), Some(&updated), "{name}: read differs from what update returned");

        between(created.clone(), updated.clone()).await;

        p.delete(&ctx, &created.id, &updated).await.unwrap_or_else(|e| panic!("delete {name}: {e}"));
        assert_eq!(p.read(&ctx, &created.id).await.expect("read after delete"), None, "{name} still exists");
        p.delete(&ctx, &created.id, &updated).await.unwrap_or_else(|e| panic!("second delete of {name}: {e}"));
        (created, updated)
    }
}

/// The context the engine would pass for resource `name` of type `token`.
pub fn ctx(token: &str, name: &str) -> CallContext {
    let root = Urn::root("test", "tap");
    CallContext { urn: Urn::new("test", "tap", Some(&root), token, name), token: token.to_string(), timeout: None }
}

/// Inputs from pairs.
pub fn props(pairs: Vec<(&str, Value)>) -> PropertyMap {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// A tags map.
pub fn tags(pairs: &[(&str, &str)]) -> Value {
    Value::object(pairs.iter().copied())
}

/// An output as a string.
pub fn out<'a>(outputs: &'a PropertyMap, key: &str) -> &'a str {
    outputs.get(key).and_then(Value::as_str).unwrap_or_else(|| panic!("no string output {key} in {outputs:?}"))
}

#[tokio::test]
async fn availability_zones_are_discovered_sorted() {
    let env = Env::start().await;
    let zones = env.provider.availability_zones().await.expect("availability zones");
    assert!(zones.len() >= 2, "{zones:?}");
    assert!(zones.iter().all(|z| z.starts_with(REGION)), "{zones:?}");
    assert!(zones.windows(2).all(|w| w[0] < w[1]), "{zones:?}");
}

#[tokio::test]
async fn reset_wipes_the_server() {
    let env = Env::start().await;
    let token = "aws:ec2/vpc:Vpc";
    let vpc = env.given(token, "vpc", props(vec![("cidrBlock", "10.9.0.0/16".into())])).await;
    env.moto.reset();
    assert_eq!(env.provider.read(&ctx(token, "vpc"), &vpc.id).await.unwrap(), None);
}

#[tokio::test]
async fn sdk_errors_carry_the_aws_code_and_gone_is_success() {
    let env = Env::start().await;
    let p = env.provider.as_ref();
    let missing = "vpc-0123456789abcdef0";
    let vpc = ctx("aws:ec2/vpc:Vpc", "ghost");
    assert_eq!(p.read(&vpc, missing).await.unwrap(), None);
    p.delete(&vpc, missing, &PropertyMap::new()).await.expect("deleting what never existed succeeds");
    let subnet = ctx("aws:ec2/subnet:Subnet", "orphan");
    let err = p
        .create(&subnet, &props(vec![("vpcId", missing.into()), ("cidrBlock", "10.0.0.0/24".into())]))
        .await
        .expect_err("a subnet in a missing VPC");
    assert_eq!(err.code, "InvalidVpcID.NotFound", "{err}");
    assert!(err.message.contains(missing), "{err}");
    let err = p.create(&vpc, &props(vec![("cidrBlock", "10.0.0.0/16".into()), ("region", "eu-west-1".into())])).await;
    assert!(err.unwrap_err().message.contains("eu-west-1"));
}

/// The `tapctl` binary reaches moto through the standard AWS chain alone
/// (`AWS_ENDPOINT_URL` and friends in its environment): `graph` discovers
/// the region's zones through the provider and lays the network over them.
#[test]
fn the_cli_finds_the_emulator_through_the_standard_chain() {
    let moto = Moto::start();
    let dir = crate::common::project();

    let mut cmd = assert_cmd::Command::cargo_bin("tapctl").unwrap();
    cmd.arg("--cwd").arg(dir.path()).arg("--cloud").arg("aws").args(["graph", "--format", "dot"]);
    for var in
        ["AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "TAPCTL_CLOUD", "TAPCTL_STACK"]
    {
        cmd.env_remove(var);
    }
    cmd.envs(moto.env());
    let out = cmd.assert().success().get_output().stdout.clone();
    let dot = String::from_utf8_lossy(&out);
    for zone in ["a", "b"] {
        assert!(dot.contains(&format!("public-{zone}")), "no subnet in zone {zone}:\n{dot}");
    }
}
