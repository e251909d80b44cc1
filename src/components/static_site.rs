//! StaticSite: a private S3 bucket served only through a CloudFront
//! distribution.
//!
//! The bucket is versioned, encrypted (SSE-KMS with the stack's key when
//! given), closed to the public and TLS-only; old versions expire. CloudFront
//! reaches it through an **origin access control** (SigV4-signed requests;
//! the legacy origin access identity is deprecated and cannot read SSE-KMS
//! objects), and the bucket policy lets the `cloudfront.amazonaws.com`
//! service principal read objects only on behalf of this one distribution
//! (`AWS:SourceArn` equals its ARN). The distribution redirects HTTP to
//! HTTPS, uses AWS managed cache and security-header policies, caches a
//! separate static path (`/static/*`) for long, and restricts no country.

use crate::model::{Component, Program, Resource, ResourceOptions, Value};

use super::children::{policy_document, Children};
use super::storage::{close_bucket_encrypted, deny_insecure_transport};
use super::{ComponentError, Naming, Tags};

/// AWS managed cache policy `Managed-CachingOptimized` (long TTLs, gzip and brotli).
pub const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
/// AWS managed cache policy `Managed-CachingDisabled`.
pub const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
/// AWS managed response headers policy `Managed-SecurityHeadersPolicy`
/// (HSTS, X-Content-Type-Options, X-Frame-Options, Referrer-Policy, XSS protection).
pub const SECURITY_HEADERS: &str = "67f7725c-6f97-4210-82d7-5512b31e9d03";
/// The price classes CloudFront offers.
pub const PRICE_CLASSES: [&str; 3] = ["PriceClass_100", "PriceClass_200", "PriceClass_All"];
/// The minimum TLS version viewers must speak.
pub const MINIMUM_TLS: &str = "TLSv1.2_2021";

/// A certificate for the distribution's own domain names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteCertificate {
    /// An ACM certificate in us-east-1 (CloudFront reads certificates only there).
    pub acm_certificate_arn: String,
    /// The names it serves (the distribution's aliases).
    pub aliases: Vec<String>,
}

/// What the static site component needs.
#[derive(Debug, Clone)]
pub struct StaticSiteArgs {
    /// Encrypt objects with this key (SSE-KMS), else SSE-S3.
    pub kms_key_arn: Option<Value>,
    /// `PriceClass_100`, `PriceClass_200` or `PriceClass_All`.
    pub price_class: String,
    /// The object served for `/` (e.g. `index.html`).
    pub default_root_object: String,
    /// The long-cached path (e.g. `/static/*`).
    pub static_path_pattern: String,
    /// Own domain names; `None` serves `*.cloudfront.net` on CloudFront's certificate.
    pub certificate: Option<SiteCertificate>,
    /// Days a noncurrent object version is kept.
    pub noncurrent_version_days: u32,
    /// Physical names.
    pub naming: Naming,
    /// Common tags.
    pub tags: Tags,
}

/// The static site component's outputs.
#[derive(Debug, Clone)]
pub struct StaticSite {
    /// The component resource.
    pub component: Component,
    /// The content bucket.
    pub bucket: Resource,
    /// Its name.
    pub bucket_name: String,
    /// The origin access control.
    pub origin_access_control: Resource,
    /// The distribution.
    pub distribution: Resource,
    /// The bucket policy (CloudFront read access, TLS only).
    pub bucket_policy: Resource,
}

const TYPE: &str = "tap:components:StaticSite";

fn cache_behavior(origin: &str, cache_policy: &str, path: Option<&str>) -> Value {
    let mut pairs = vec![
        ("targetOriginId", Value::from(origin)),
        ("viewerProtocolPolicy", Value::from("redirect-to-https")),
        ("allowedMethods", Value::array(["GET", "HEAD", "OPTIONS"])),
        ("cachedMethods", Value::array(["GET", "HEAD"])),
        ("compress", Value::from(true)),
        ("cachePolicyId", Value::from(cache_policy)),
        ("responseHeadersPolicyId", Value::from(SECURITY_HEADERS)),
    ];
    if let Some(p) = path {
        pairs.push(("pathPattern", Value::from(p)));
    }
    Value::object(pairs)
}

impl StaticSite {
    /// Registers the bucket, the origin access control and the distribution under `parent`.
    pub fn new(
        program: &mut Program,
        parent: &Component,
        name: &str,
        args: StaticSiteArgs,
    ) -> Result<StaticSite, ComponentError> {
        let invalid = |problem: String| ComponentError::Invalid { component: TYPE, problem };
        if !PRICE_CLASSES.contains(&args.price_class.as_str()) {
            return Err(invalid(format!("price class `{}` is not one of {PRICE_CLASSES:?}", args.price_class)));
        }
        if args.default_root_object.is_empty() || args.default_root_object.starts_with('/') {
            return Err(invalid("the default root object is an object key such as index.html (no leading /)".into()));
        }
        if !args.static_path_pattern.starts_with('/') || args.static_path_pattern == "/*" {
            return Err(invalid(format!(
                "the static path pattern `{}` must start with / and not be the default /*",
                args.static_path_pattern
            )));
        }
        if let Some(cert) = &args.certificate {
            if !cert.acm_certificate_arn.starts_with("arn:aws:acm:us-east-1:") || cert.aliases.is_empty() {
                return Err(invalid(
                    "a CloudFront certificate is an ACM certificate in us-east-1 with at least one alias".into(),
                ));
            }
        }
        if !(1..=3650).contains(&args.noncurrent_version_days) {
            return Err(invalid("noncurrent versions must be kept 1 to 3650 days".into()));
        }
        let me = program.component(parent, TYPE, name)?;
        let mut c = Children { program, parent: me.clone(), naming: &args.naming, tags: &args.tags };

        let (bucket, bucket_name) = c.bucket("static", "static")?;
        let (versioning, block) = close_bucket_encrypted(&mut c, None, &bucket, "static", args.kms_key_arn.as_ref())?;
        c.add_with(
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            "static-lifecycle",
            vec![
                ("bucket", bucket.id()),
                (
                    "rules",
                    Value::array([Value::object([
                        ("id", Value::from("expire-noncurrent-versions")),
                        ("status", Value::from("Enabled")),
                        ("filter", Value::object([("prefix", "")])),
                        (
                            "noncurrentVersionExpiration",
                            Value::object([("noncurrentDays", args.noncurrent_version_days)]),
                        ),
                        ("abortIncompleteMultipartUpload", Value::object([("daysAfterInitiation", 7)])),
                    ])]),
                ),
            ],
            ResourceOptions::default().depends_on(versioning.urn()),
        )?;

        let oac_name = c.name("static-oac", 64);
        let oac = c.add(
            "aws:cloudfront/originAccessControl:OriginAccessControl",
            "static-oac",
            vec![
                ("name", oac_name.into()),
                ("description", "CloudFront reads the static bucket with signed requests".into()),
                ("originAccessControlOriginType", "s3".into()),
                ("signingBehavior", "always".into()),
                ("signingProtocol", "sigv4".into()),
            ],
        )?;

        let origin_id = "static-bucket";
        let viewer_certificate = match &args.certificate {
            Some(cert) => Value::object([
                ("acmCertificateArn", Value::from(cert.acm_certificate_arn.as_str())),
                ("sslSupportMethod", Value::from("sni-only")),
                ("minimumProtocolVersion", Value::from(MINIMUM_TLS)),
            ]),
            // On CloudFront's own certificate AWS serves *.cloudfront.net
            // with its own policy; the minimum is still asked for here so
            // that adding a certificate changes nothing else.
            None => Value::object([
                ("cloudfrontDefaultCertificate", Value::from(true)),
                ("minimumProtocolVersion", Value::from(MINIMUM_TLS)),
            ]),
        };
        let distribution_name = c.name("cdn", 128);
        let mut inputs = vec![
            ("enabled", Value::from(true)),
            ("isIpv6Enabled", true.into()),
            ("httpVersion", "http2and3".into()),
            ("comment", distribution_name.clone().into()),
            ("defaultRootObject", args.default_root_object.as_str().into()),
            ("priceClass", args.price_class.as_str().into()),
            (
                "origins",
                Value::array([Value::object([
                    ("originId", Value::from(origin_id)),
                    ("domainName", bucket.output("bucketRegionalDomainName")),
                    ("originAccessControlId", oac.id()),
                ])]),
            ),
            // The portal's shell (index.html and the like) must pick up a
            // release at once; fingerprinted assets under the static path
            // never change and are cached for long.
            ("defaultCacheBehavior", cache_behavior(origin_id, CACHING_DISABLED, None)),
            (
                "orderedCacheBehaviors",
                Value::array([cache_behavior(origin_id, CACHING_OPTIMIZED, Some(&args.static_path_pattern))]),
            ),
            (
                "restrictions",
                Value::object([(
                    "geoRestriction",
                    Value::object([("restrictionType", Value::from("none")), ("locations", Value::Array(vec![]))]),
                )]),
            ),
            ("viewerCertificate", viewer_certificate),
            ("tags", c.tags(&distribution_name)),
        ];
        if let Some(cert) = &args.certificate {
            inputs.push(("aliases", Value::array(cert.aliases.iter().map(String::as_str))));
        }
        let distribution = c.add("aws:cloudfront/distribution:Distribution", "cdn", inputs)?;

        let bucket_policy = c.add_with(
            "aws:s3/bucketPolicy:BucketPolicy",
            "static-policy",
            vec![
                ("bucket", bucket.id()),
                (
                    "policy",
                    policy_document(vec![
                        Value::object([
                            ("Sid", Value::from("CloudFrontReadsThroughItsOriginAccessControl")),
                            ("Effect", Value::from("Allow")),
                            ("Principal", Value::object([("Service", "cloudfront.amazonaws.com")])),
                            ("Action", Value::from("s3:GetObject")),
                            ("Resource", Value::Concat(vec![bucket.arn(), "/*".into()])),
                            (
                                "Condition",
                                Value::object([(
                                    "StringEquals",
                                    Value::object([("AWS:SourceArn", distribution.arn())]),
                                )]),
                            ),
                        ]),
                        deny_insecure_transport(&bucket),
                    ]),
                ),
            ],
            // S3 refuses a policy while the block's first put is in flight.
            ResourceOptions::default().depends_on(block.urn()),
        )?;
        Ok(StaticSite { component: me, bucket, bucket_name, origin_access_control: oac, distribution, bucket_policy })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{OutputRef, PropertyMap};

    fn site(price_class: &str) -> Result<(Program, StaticSite), ComponentError> {
        let mut p = Program::new("bank", "dev", PropertyMap::new());
        let root = p.root();
        let s = StaticSite::new(
            &mut p,
            &root,
            "site",
            StaticSiteArgs {
                kms_key_arn: Some("arn:aws:kms:us-east-1:123456789012:key/k".into()),
                price_class: price_class.into(),
                default_root_object: "index.html".into(),
                static_path_pattern: "/static/*".into(),
                certificate: None,
                noncurrent_version_days: 30,
                naming: Naming::new("bank", "dev", "dev"),
                tags: Tags::new("bank", "dev", &[]),
            },
        )?;
        Ok((p, s))
    }

    #[test]
    fn the_bucket_policy_lets_cloudfront_read_only_for_this_distribution() {
        let (p, s) = site("PriceClass_100").unwrap();
        let policy = p.resources().iter().find(|r| r.urn == *s.bucket_policy.urn()).unwrap();
        let Value::JsonString(doc) = &policy.inputs["policy"] else { panic!("a policy document") };
        let statements = doc.as_object().unwrap()["Statement"].as_array().unwrap();
        let read = statements[0].as_object().unwrap();
        assert_eq!(read["Principal"], Value::object([("Service", "cloudfront.amazonaws.com")]));
        assert_eq!(read["Action"], Value::from("s3:GetObject"));
        let condition = read["Condition"].as_object().unwrap()["StringEquals"].as_object().unwrap();
        assert_eq!(
            condition["AWS:SourceArn"],
            Value::Output(OutputRef { urn: s.distribution.urn().clone(), property: "arn".into() }),
            "the condition names the distribution's own ARN"
        );
        // And the policy waits for the distribution it names.
        assert!(policy.dependencies().contains(s.distribution.urn()));
    }

    #[test]
    fn the_distribution_uses_the_oac_https_and_a_separate_static_behaviour() {
        let (p, s) = site("PriceClass_All").unwrap();
        let d = p.resources().iter().find(|r| r.urn == *s.distribution.urn()).unwrap();
        let origin = d.inputs["origins"].as_array().unwrap()[0].as_object().unwrap().clone();
        assert_eq!(origin["originAccessControlId"], s.origin_access_control.id());
        assert!(!origin.contains_key("s3OriginConfig"), "no origin access identity");
        let default = d.inputs["defaultCacheBehavior"].as_object().unwrap().clone();
        assert_eq!(default["viewerProtocolPolicy"], Value::from("redirect-to-https"));
        let ordered = d.inputs["orderedCacheBehaviors"].as_array().unwrap()[0].as_object().unwrap().clone();
        assert_eq!(ordered["pathPattern"], Value::from("/static/*"));
        assert_eq!(ordered["cachePolicyId"], Value::from(CACHING_OPTIMIZED));
        let cert = d.inputs["viewerCertificate"].as_object().unwrap().clone();
        assert_eq!(cert["minimumProtocolVersion"], Value::from(MINIMUM_TLS));
        let geo = d.inputs["restrictions"].as_object().unwrap()["geoRestriction"].as_object().unwrap().clone();
        assert_eq!(geo["restrictionType"], Value::from("none"));
        assert_eq!(d.inputs["defaultRootObject"], Value::from("index.html"));
        assert!(site("PriceClass_Cheap").unwrap_err().to_string().contains("price class"));
    }
}
