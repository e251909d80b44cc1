//! CloudFront against moto: an origin access control and a static-site
//! distribution behind it, through create → read → update → read → delete →
//! read.
//!
//! Everything the provider sends and reads round-trips through moto except
//! the gaps below (moto 5.2.5, `moto/cloudfront/models.py`). None is a
//! client or SDK incompatibility — the SDK parses every answer — so none is
//! mended in `scripts/moto_server.py`; they are moto's model:
//!
//! - an origin's `OriginAccessControlId` is not stored (moto's `Origin`
//!   keeps no such field), so `origins[].originAccessControlId` reads back
//!   absent; the unit test `distribution_config_round_trips_through_outputs`
//!   (src/provider/aws/cloudfront.rs) checks the request carries it, and the
//!   in-memory cloud's `cloudfront_kinds_have_global_ids_arns_and_computed_outputs`
//!   keeps it (and refuses deleting an OAC a distribution uses);
//! - a cache behavior with a `CachePolicyId` still reads back legacy
//!   `ForwardedValues` and zero TTLs (AWS omits them), so those outputs are
//!   not asserted here;
//! - `If-Match` is never checked and the ETag never changes, and
//!   DeleteDistribution does not require the distribution to be disabled
//!   (`DistributionNotDisabled`): the disable → wait `Deployed` → delete
//!   sequence runs against moto (every GetDistribution moves `InProgress`
//!   to `Deployed`) but moto cannot tell whether the order was right;
//! - ids are 13 random uppercase characters without CloudFront's leading
//!   `E`, and `lastModifiedTime` is a constant.

use tapctl::model::{PropertyMap, Value};
use tapctl::provider::URN_TAG;

use super::{ctx, out, props, tags, Env, REGION};

const OAC: &str = "aws:cloudfront/originAccessControl:OriginAccessControl";
const DISTRIBUTION: &str = "aws:cloudfront/distribution:Distribution";

fn json(v: serde_json::Value) -> Value {
    Value::from_plain_json(&v)
}

fn oac(description: &str) -> PropertyMap {
    props(vec![
        ("name", "site-oac".into()),
        ("description", description.into()),
        ("originAccessControlOriginType", "s3".into()),
        ("signingBehavior", "always".into()),
        ("signingProtocol", "sigv4".into()),
    ])
}

#[tokio::test]
async fn origin_access_control_lifecycle() {
    let env = Env::start().await;
    let env = &env;
    env.lifecycle(
        OAC,
        "oac",
        oac("the site's bucket"),
        oac("the site's bucket, signed"),
        |created, updated| async move {
            let o = &created.outputs;
            assert!(created.id.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()), "{}", created.id);
            assert_eq!(out(o, "arn"), format!("arn:aws:cloudfront::123456789012:origin-access-control/{}", created.id));
            assert_eq!(out(o, "name"), "site-oac");
            assert_eq!(out(o, "signingBehavior"), "always");
            assert_eq!(out(o, "signingProtocol"), "sigv4");
            assert_eq!(out(o, "originAccessControlOriginType"), "s3");
            assert!(!out(o, "etag").is_empty());
            assert!(o.get("region").is_none(), "CloudFront is global");
            assert_eq!(out(&updated, "description"), "the site's bucket, signed");
            // Adoption finds it by its unique name.
            let found = env.provider.find(&ctx(OAC, "oac"), &oac("x")).await.unwrap();
            assert_eq!(found.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), vec![created.id.as_str()]);
        },
    )
    .await;
}

fn distribution(oac_id: &str, comment: &str, tag: &str, extra: serde_json::Value) -> PropertyMap {
    let mut base = serde_json::json!({
        "enabled": true,
        "comment": comment,
        "defaultRootObject": "index.html",
        "priceClass": "PriceClass_100",
        "httpVersion": "http2",
        "isIpv6Enabled": true,
        "origins": [{
            "domainName": "site-bucket.s3.us-east-1.amazonaws.com",
            "originId": "site",
            "originAccessControlId": oac_id,
        }],
        "defaultCacheBehavior": {
            "targetOriginId": "site",
            "viewerProtocolPolicy": "redirect-to-https",
            "allowedMethods": ["GET", "HEAD"],
            "cachedMethods": ["GET", "HEAD"],
            "compress": true,
            "cachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
        },
        "restrictions": {"geoRestriction": {"restrictionType": "none"}},
        "viewerCertificate": {"cloudfrontDefaultCertificate": true, "minimumProtocolVersion": "TLSv1"},
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
async fn static_site_distribution_lifecycle() {
    let env = Env::start().await;
    let env = &env;
    let control = env.given(OAC, "oac", oac("site")).await;
    let create = distribution(&control.id, "static site", "a", serde_json::json!({}));
    let update = distribution(
        &control.id,
        "static site, with an API path",
        "b",
        serde_json::json!({
            "orderedCacheBehaviors": [{
                "pathPattern": "/api/*",
                "targetOriginId": "site",
                "viewerProtocolPolicy": "https-only",
                "allowedMethods": ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"],
                "cachedMethods": ["GET", "HEAD"],
                "forwardedValues": {"queryString": true, "cookies": {"forward": "all"}},
            }],
            "customErrorResponses": [
                {"errorCode": 404, "responseCode": 200, "responsePagePath": "/index.html", "errorCachingMinTtl": 10}
            ],
            "restrictions": {"geoRestriction": {"restrictionType": "whitelist", "locations": ["DE", "FR"]}},
        }),
    );
    let control_id = &control.id;
    let (created, _) = env
        .lifecycle(DISTRIBUTION, "cdn", create, update, |created, updated| async move {
            let o = &created.outputs;
            let id = created.id.as_str();
            assert_eq!(out(o, "arn"), format!("arn:aws:cloudfront::123456789012:distribution/{id}"));
            assert!(out(o, "domainName").ends_with(".cloudfront.net"), "{o:?}");
            assert_eq!(out(o, "hostedZoneId"), "Z2FDTNDATAQYW2");
            assert_eq!(out(o, "status"), "Deployed");
            assert!(out(o, "callerReference").starts_with("tapctl-"));
            assert!(!out(o, "etag").is_empty());
            assert_eq!(o["enabled"], Value::Bool(true));
            assert_eq!(out(o, "comment"), "static site");
            assert_eq!(out(o, "defaultRootObject"), "index.html");
            assert_eq!(out(o, "priceClass"), "PriceClass_100");
            assert_eq!(o["origins"].as_array().map(<[Value]>::len), Some(1));
            let origin = o["origins"].as_array().unwrap()[0].as_object().unwrap();
            assert_eq!(origin["originId"], Value::from("site"));
            assert_eq!(origin["domainName"], Value::from("site-bucket.s3.us-east-1.amazonaws.com"));
            // moto drops originAccessControlId (see the module doc); the request
            // carries it (cloudfront.rs unit test), the memory cloud keeps it.
            let _ = control_id;
            let dcb = o["defaultCacheBehavior"].as_object().unwrap();
            assert_eq!(dcb["targetOriginId"], Value::from("site"));
            assert_eq!(dcb["viewerProtocolPolicy"], Value::from("redirect-to-https"));
            assert_eq!(dcb["cachePolicyId"], Value::from("658327ea-f89d-4fab-a63d-7e88639e58f6"));
            assert_eq!(o["tags"], tags(&[("Name", "a")]));
            assert!(o.get("region").is_none(), "CloudFront is global");

            assert_eq!(out(&updated, "comment"), "static site, with an API path");
            assert_eq!(out(&updated, "callerReference"), out(o, "callerReference"), "the caller reference is kept");
            let ordered = updated["orderedCacheBehaviors"].as_array().unwrap();
            assert_eq!(ordered.len(), 1);
            let api = ordered[0].as_object().unwrap();
            assert_eq!(api["pathPattern"], Value::from("/api/*"));
            assert_eq!(api["viewerProtocolPolicy"], Value::from("https-only"));
            let errors = updated["customErrorResponses"].as_array().unwrap();
            assert_eq!(errors[0].as_object().unwrap()["errorCode"], Value::from(404));
            let geo = &updated["restrictions"].as_object().unwrap()["geoRestriction"];
            assert_eq!(geo.as_object().unwrap()["restrictionType"], Value::from("whitelist"));
            assert_eq!(updated["tags"], tags(&[("Name", "b")]));

            // Behind the provider's back: the URN tag, the kept caller reference.
            let cf = aws_sdk_cloudfront::Client::new(&env.moto.sdk_config(REGION).await);
            let t = cf.list_tags_for_resource().resource(out(o, "arn")).send().await.unwrap();
            let urn = ctx(DISTRIBUTION, "cdn").urn.to_string();
            assert!(t.tags().unwrap().items().iter().any(|t| t.key() == URN_TAG && t.value() == Some(urn.as_str())));
            let cfg = cf.get_distribution_config().id(id).send().await.unwrap();
            assert_eq!(cfg.distribution_config().unwrap().caller_reference(), out(o, "callerReference"));
            // Adoption finds it by its URN tag.
            let found = env.provider.find(&ctx(DISTRIBUTION, "cdn"), &PropertyMap::new()).await.unwrap();
            assert_eq!(found.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), vec![id]);
        })
        .await;
    let cf = aws_sdk_cloudfront::Client::new(&env.moto.sdk_config(REGION).await);
    let err = cf.get_distribution().id(&created.id).send().await.unwrap_err();
    assert!(format!("{err:?}").contains("NoSuchDistribution"), "{err:?}");
    env.remove(OAC, "oac", &control).await;
}
