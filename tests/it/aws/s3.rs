//! S3 bucket against moto. No moto gap met: moto keeps tag sets and answers
//! HeadBucket 404 for a missing bucket as AWS does (path-style addressing is
//! what the provider uses towards any endpoint override).

use tapctl::model::Value;
use tapctl::provider::URN_TAG;

use super::{out, props, tags, Env, REGION};

const BUCKET: &str = "aws:s3/bucket:Bucket";

#[tokio::test]
async fn bucket_lifecycle() {
    let env = Env::start().await;
    let inputs = |tag: &str| {
        props(vec![("bucket", "tap-test-artifacts".into()), ("tags", tags(&[("Name", tag), ("Environment", "test")]))])
    };
    let env = &env;
    env.lifecycle(BUCKET, "artifacts", inputs("artifacts"), inputs("artifacts-2"), |created, updated| async move {
        let o = &created.outputs;
        assert_eq!(created.id, "tap-test-artifacts");
        assert_eq!(out(o, "bucket"), "tap-test-artifacts");
        assert_eq!(out(o, "arn"), "arn:aws:s3:::tap-test-artifacts");
        assert_eq!(out(o, "bucketDomainName"), "tap-test-artifacts.s3.amazonaws.com");
        assert_eq!(out(o, "bucketRegionalDomainName"), "tap-test-artifacts.s3.us-east-1.amazonaws.com");
        assert_eq!(out(o, "bucketRegion"), "us-east-1");
        assert_eq!(updated["tags"], tags(&[("Name", "artifacts-2"), ("Environment", "test")]));
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&env.moto.sdk_config(REGION).await).force_path_style(true).build(),
        );
        let t = s3.get_bucket_tagging().bucket("tap-test-artifacts").send().await.unwrap();
        let keys: Vec<&str> = t.tag_set().iter().map(|t| t.key()).collect();
        assert!(keys.contains(&URN_TAG) && keys.contains(&"Name"), "{keys:?}");
        assert_eq!(updated["tagsAll"].as_object().map(|m| m.len()), Some(3));
        assert!(matches!(o["tagsAll"], Value::Object(_)));
    })
    .await;
}
