//! CloudFront kinds: origin access control and distribution.
//!
//! CloudFront is global: neither kind has a `region` input or output, and
//! ARNs have an empty region field. Every change is guarded by an ETag, as
//! the API demands: an update or delete sends `If-Match` with the ETag of a
//! Get made just before it, and a `PreconditionFailed` (someone changed it
//! in between) is retried once with a fresh one.
//!
//! **Origin access control.** The id is CloudFront's. Names are unique per
//! account, so adoption looks the name up among the account's OACs. Every
//! input changes in place (UpdateOriginAccessControl). OACs take no tags.
//!
//! **Distribution.** The id is CloudFront's; `callerReference` is generated
//! at create (`tapctl-<time>`, so a replacement never collides with the
//! distribution it replaces) and kept on every update. Create is
//! CreateDistributionWithTags with the URN tag; adoption looks for that tag
//! among the account's distributions. An update sends the whole
//! configuration again (built from the inputs, with the current
//! `CallerReference`) with GetDistributionConfig's ETag, and tags change with
//! TagResource / UntagResource. Create and update wait until the
//! distribution is `Deployed` unless `waitForDeployment` is false. Delete
//! does what Terraform does: if the distribution is enabled, update it with
//! `Enabled=false` (the deployed configuration, its ETag) and wait for
//! `Deployed`; then DeleteDistribution with the ETag of a fresh Get, riding
//! out `DistributionNotDisabled` for a while; then wait until it is gone.
//!
//! Implemented: `aliases`, `comment`, `customErrorResponses`,
//! `defaultCacheBehavior` and `orderedCacheBehaviors` (target origin, viewer
//! protocol policy, methods, compress, cache / origin request / response
//! headers policy ids, `forwardedValues`, TTLs), `defaultRootObject`,
//! `enabled`, `httpVersion`, `isIpv6Enabled`, `loggingConfig`, `origins`
//! (domain name, id, path, OAC id, `s3OriginConfig`, `customOriginConfig`,
//! connection attempts / timeout), `priceClass`, `restrictions`, `tags`,
//! `viewerCertificate`, `waitForDeployment`, `webAclId`. An origin with
//! neither `s3OriginConfig` nor `customOriginConfig` gets an empty
//! `S3OriginConfig`, as Terraform sends for an S3 origin behind an OAC.
//! Refused by `check` (not implemented): origin groups, Lambda@Edge and
//! function associations, trusted signers / key groups, continuous
//! deployment, staging, `retainOnDelete` (delete sees only recorded
//! outputs, and AWS does not record it).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use aws_sdk_cloudfront::types::{
    Aliases, AllowedMethods, CacheBehavior, CacheBehaviors, CachedMethods, CookieNames, CookiePreference,
    CustomErrorResponse, CustomErrorResponses, CustomOriginConfig, DefaultCacheBehavior, Distribution,
    DistributionConfig, DistributionConfigWithTags, ForwardedValues, GeoRestriction, GeoRestrictionType, Headers,
    HttpVersion, ItemSelection, LoggingConfig, Method, MinimumProtocolVersion, Origin, OriginAccessControlConfig,
    OriginAccessControlOriginTypes, OriginAccessControlSigningBehaviors, OriginAccessControlSigningProtocols,
    OriginProtocolPolicy, OriginSslProtocols, Origins, PriceClass, QueryStringCacheKeys, Restrictions, S3OriginConfig,
    SslProtocol, SslSupportMethod, Tag, TagKeys, Tags, ViewerCertificate, ViewerProtocolPolicy,
};

use super::{
    after_create, changed, check_kind, check_str, found, gone_is_ok, known, limit, minutes, missing_field, nested,
    object_list, optional_bool, optional_i32, optional_object, optional_str, optional_str_list, partition,
    read_created, read_each, read_updated, required_str, tag_changes, tags_for_create, urn_tag_value, AwsProvider,
    Outputs, Service,
};
use crate::model::{PropertyMap, Value};
use crate::provider::{CallContext, Created, ErrorKind, ProviderError, URN_TAG};

const OAC: &str = "aws:cloudfront/originAccessControl:OriginAccessControl";
const DISTRIBUTION: &str = "aws:cloudfront/distribution:Distribution";

/// The Route 53 hosted zone of every CloudFront distribution (alias records).
const HOSTED_ZONE_ID: &str = "Z2FDTNDATAQYW2";
/// The same in the China partition.
const HOSTED_ZONE_ID_CN: &str = "Z3RFFRIM2A3IF5";

/// How long a distribution may take to deploy (Terraform's wait).
const DEPLOY_TIMEOUT: Duration = minutes(90);

/// The CloudFront service module.
pub(crate) struct CloudFront;

#[async_trait]
impl Service for CloudFront {
    fn tokens(&self) -> &'static [&'static str] {
        &[OAC, DISTRIBUTION]
    }

    fn check(&self, token: &str, inputs: &PropertyMap) -> Result<(), ProviderError> {
        match token {
            OAC => check_kind(token, inputs, oac::SUPPORTED, oac::check),
            _ => check_kind(token, inputs, dist::SUPPORTED, dist::check),
        }
    }

    async fn create(&self, p: &AwsProvider, ctx: &CallContext, inputs: &PropertyMap) -> Result<Created, ProviderError> {
        let id = match ctx.token.as_str() {
            OAC => oac::create(p, inputs).await?,
            _ => dist::create(p, ctx, inputs).await?,
        };
        read_created(self, p, ctx, id).await
    }

    async fn read(&self, p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let read = match ctx.token.as_str() {
            OAC => oac::read(p, id).await,
            _ => dist::read(p, id).await,
        };
        found(read).map(Option::flatten)
    }

    async fn update(
        &self,
        p: &AwsProvider,
        ctx: &CallContext,
        id: &str,
        old: &PropertyMap,
        new: &PropertyMap,
    ) -> Result<PropertyMap, ProviderError> {
        match ctx.token.as_str() {
            OAC => oac::update(p, id, new).await?,
            _ => dist::update(p, ctx, id, old, new).await?,
        }
        read_updated(self, p, ctx, id).await
    }

    async fn delete(
        &self,
        p: &AwsProvider,
        ctx: &CallContext,
        id: &str,
        _outputs: &PropertyMap,
    ) -> Result<(), ProviderError> {
        let deleted = match ctx.token.as_str() {
            OAC => oac::delete(p, id).await,
            _ => dist::delete(p, ctx, id).await,
        };
        gone_is_ok(deleted)
    }

    /// Adoption: an OAC by its unique name, a distribution by its URN tag.
    async fn find(
        &self,
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<Vec<Created>, ProviderError> {
        let ids = match ctx.token.as_str() {
            OAC => oac::find(p, required_str(inputs, "name")?).await?,
            _ => dist::find(p, ctx).await?,
        };
        read_each(self, p, ctx, ids).await
    }
}

/// `arn:<partition>:cloudfront::<account>:<resource>`.
async fn arn(p: &AwsProvider, resource: &str) -> Result<String, ProviderError> {
    let partition = partition(p.region().await?);
    Ok(format!("arn:{partition}:cloudfront::{}:{resource}", p.account_id().await?))
}

/// Fails when `map` (the nested block at `path`) has keys other than `allowed`.
fn only_keys(path: &str, map: &PropertyMap, allowed: &[&str]) -> Result<(), ProviderError> {
    let extra: Vec<&str> =
        map.iter().filter(|(k, v)| !v.is_null() && !allowed.contains(&k.as_str())).map(|(k, _)| k.as_str()).collect();
    if extra.is_empty() {
        Ok(())
    } else {
        Err(ProviderError::invalid(format!("{path}: tapctl does not implement {} yet", extra.join(", "))))
    }
}

/// A nested block or list that is set and not itself unknown (its fields
/// may still be: `check_str` and the `known` guards skip those), so that a
/// preview whose OAC id is not known yet still checks the rest.
fn block<'a>(map: &'a PropertyMap, key: &str) -> Option<&'a Value> {
    map.get(key).filter(|v| !v.is_null() && !matches!(v, Value::Unknown))
}

/// Whether `key` is set (known or not).
fn present(map: &PropertyMap, key: &str) -> bool {
    map.get(key).is_some_and(|v| !v.is_null())
}

/// Fails when the string at `key` is known and not one of `allowed`.
fn one_of(map: &PropertyMap, key: &str, allowed: &[&str]) -> Result<(), ProviderError> {
    match check_str(map, key)? {
        Some(v) if !allowed.contains(&v) => {
            Err(ProviderError::invalid(format!("input {key} {v:?} is not one of {}", allowed.join(", "))))
        }
        _ => Ok(()),
    }
}

fn build_error(what: &str) -> impl Fn(aws_smithy_types::error::operation::BuildError) -> ProviderError + '_ {
    move |e| ProviderError::invalid(format!("{what}: {e}"))
}

/// A whole-number input as `i64`; `None` when absent or null.
fn optional_i64(map: &PropertyMap, key: &str) -> Result<Option<i64>, ProviderError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_f64() {
            Some(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => Ok(Some(n as i64)),
            _ => Err(ProviderError::invalid(format!("input {key} must be a whole number"))),
        },
    }
}

fn sdk_tags(pairs: &[(String, String)]) -> Result<Vec<Tag>, ProviderError> {
    pairs.iter().map(|(k, v)| Tag::builder().key(k).value(v).build().map_err(build_error("tag"))).collect()
}

// ---------------------------------------------------------------------------
// Origin access control
// ---------------------------------------------------------------------------

mod oac {
    use super::*;

    pub(super) const SUPPORTED: &[&str] =
        &["description", "name", "originAccessControlOriginType", "signingBehavior", "signingProtocol"];

    const ORIGIN_TYPES: &[&str] = &["s3", "mediastore", "mediapackagev2", "lambda"];
    const BEHAVIORS: &[&str] = &["always", "never", "no-override"];

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        for key in ["name", "originAccessControlOriginType", "signingBehavior", "signingProtocol"] {
            if !inputs.contains_key(key) {
                return Err(ProviderError::invalid(format!("{key} is required")));
            }
        }
        if let Some(name) = check_str(inputs, "name")? {
            if name.is_empty() || name.chars().count() > 64 {
                return Err(ProviderError::invalid(format!("name {name:?} must have 1 to 64 characters")));
            }
        }
        if check_str(inputs, "description")?.is_some_and(|d| d.chars().count() > 256) {
            return Err(ProviderError::invalid("description must have at most 256 characters"));
        }
        one_of(inputs, "originAccessControlOriginType", ORIGIN_TYPES)?;
        one_of(inputs, "signingBehavior", BEHAVIORS)?;
        one_of(inputs, "signingProtocol", &["sigv4"])
    }

    fn config(inputs: &PropertyMap) -> Result<OriginAccessControlConfig, ProviderError> {
        OriginAccessControlConfig::builder()
            .name(required_str(inputs, "name")?)
            .set_description(optional_str(inputs, "description")?.map(str::to_string))
            .origin_access_control_origin_type(OriginAccessControlOriginTypes::from(required_str(
                inputs,
                "originAccessControlOriginType",
            )?))
            .signing_behavior(OriginAccessControlSigningBehaviors::from(required_str(inputs, "signingBehavior")?))
            .signing_protocol(OriginAccessControlSigningProtocols::from(required_str(inputs, "signingProtocol")?))
            .build()
            .map_err(build_error("origin access control"))
    }

    pub(super) async fn create(p: &AwsProvider, inputs: &PropertyMap) -> Result<String, ProviderError> {
        let cf = p.cloudfront().await?;
        let config = config(inputs)?;
        let out =
            p.call(|| cf.create_origin_access_control().origin_access_control_config(config.clone()).send()).await?;
        let control = out
            .origin_access_control()
            .ok_or_else(|| missing_field("CreateOriginAccessControl", "OriginAccessControl"))?;
        Ok(control.id().to_string())
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let cf = p.cloudfront().await?;
        let out = p.call(|| cf.get_origin_access_control().id(id).send()).await?;
        let Some(config) = out.origin_access_control().and_then(|c| c.origin_access_control_config()) else {
            return Ok(None);
        };
        Ok(Some(
            Outputs::default()
                .string("id", Some(id))
                .string("arn", Some(arn(p, &format!("origin-access-control/{id}")).await?))
                .string("etag", out.e_tag())
                .string("name", Some(config.name()))
                .string("description", config.description().filter(|d| !d.is_empty()))
                .string("originAccessControlOriginType", Some(config.origin_access_control_origin_type().as_str()))
                .string("signingBehavior", Some(config.signing_behavior().as_str()))
                .string("signingProtocol", Some(config.signing_protocol().as_str()))
                .build(),
        ))
    }

    /// The current ETag (a NotFound error when the OAC is gone).
    async fn etag(p: &AwsProvider, id: &str) -> Result<String, ProviderError> {
        let cf = p.cloudfront().await?;
        let out = p.call(|| cf.get_origin_access_control().id(id).send()).await?;
        Ok(out.e_tag().unwrap_or_default().to_string())
    }

    pub(super) async fn update(p: &AwsProvider, id: &str, inputs: &PropertyMap) -> Result<(), ProviderError> {
        let cf = p.cloudfront().await?;
        let config = config(inputs)?;
        let mut retried = false;
        loop {
            let etag = etag(p, id).await?;
            let sent = p
                .call(|| {
                    cf.update_origin_access_control()
                        .id(id)
                        .if_match(&etag)
                        .origin_access_control_config(config.clone())
                        .send()
                })
                .await;
            match sent {
                Err(e) if e.code == "PreconditionFailed" && !retried => retried = true,
                other => return other.map(drop),
            }
        }
    }

    pub(super) async fn delete(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
        let cf = p.cloudfront().await?;
        let mut retried = false;
        loop {
            let etag = etag(p, id).await?;
            match p.call(|| cf.delete_origin_access_control().id(id).if_match(&etag).send()).await {
                Err(e) if e.code == "PreconditionFailed" && !retried => retried = true,
                other => return other.map(drop),
            }
        }
    }

    /// The ids of the OACs named `name` (at most one: names are unique).
    pub(super) async fn find(p: &AwsProvider, name: &str) -> Result<Vec<String>, ProviderError> {
        let cf = p.cloudfront().await?;
        let mut ids = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let out = p.call(|| cf.list_origin_access_controls().set_marker(marker.clone()).send()).await?;
            let Some(list) = out.origin_access_control_list() else { break };
            ids.extend(list.items().iter().filter(|c| c.name() == name).map(|c| c.id().to_string()));
            match list.next_marker().filter(|m| !m.is_empty() && list.is_truncated()) {
                Some(m) => marker = Some(m.to_string()),
                None => break,
            }
        }
        Ok(ids)
    }
}

// ---------------------------------------------------------------------------
// Distribution
// ---------------------------------------------------------------------------

mod dist {
    use super::*;

    pub(super) const SUPPORTED: &[&str] = &[
        "aliases",
        "comment",
        "customErrorResponses",
        "defaultCacheBehavior",
        "defaultRootObject",
        "enabled",
        "httpVersion",
        "isIpv6Enabled",
        "loggingConfig",
        "orderedCacheBehaviors",
        "origins",
        "priceClass",
        "restrictions",
        "tags",
        "viewerCertificate",
        "waitForDeployment",
        "webAclId",
    ];

    const ORIGIN_KEYS: &[&str] = &[
        "connectionAttempts",
        "connectionTimeout",
        "customOriginConfig",
        "domainName",
        "originAccessControlId",
        "originId",
        "originPath",
        "s3OriginConfig",
    ];
    const CUSTOM_ORIGIN_KEYS: &[&str] = &[
        "httpPort",
        "httpsPort",
        "originKeepaliveTimeout",
        "originProtocolPolicy",
        "originReadTimeout",
        "originSslProtocols",
    ];
    const BEHAVIOR_KEYS: &[&str] = &[
        "allowedMethods",
        "cachePolicyId",
        "cachedMethods",
        "compress",
        "defaultTtl",
        "forwardedValues",
        "maxTtl",
        "minTtl",
        "originRequestPolicyId",
        "responseHeadersPolicyId",
        "targetOriginId",
        "viewerProtocolPolicy",
    ];
    const VIEWER_POLICIES: &[&str] = &["allow-all", "https-only", "redirect-to-https"];
    /// The method sets CloudFront accepts, as sorted lists.
    const METHOD_SETS: &[&[&str]] =
        &[&["GET", "HEAD"], &["GET", "HEAD", "OPTIONS"], &["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]];
    const PRICE_CLASSES: &[&str] = &["PriceClass_All", "PriceClass_200", "PriceClass_100", "None"];
    const HTTP_VERSIONS: &[&str] = &["http1.1", "http2", "http2and3", "http3"];

    // -- check ---------------------------------------------------------------

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        for key in ["defaultCacheBehavior", "enabled", "origins", "restrictions", "viewerCertificate"] {
            if !inputs.contains_key(key) {
                return Err(ProviderError::invalid(format!("{key} is required")));
            }
        }
        if check_str(inputs, "comment")?.is_some_and(|c| c.chars().count() > 128) {
            return Err(ProviderError::invalid("comment must have at most 128 characters"));
        }
        one_of(inputs, "priceClass", PRICE_CLASSES)?;
        one_of(inputs, "httpVersion", HTTP_VERSIONS)?;
        let origin_ids = check_origins(inputs)?;
        if let Some(b) = block(inputs, "defaultCacheBehavior") {
            let b = b.as_object().ok_or_else(|| ProviderError::invalid("input defaultCacheBehavior must be a map"))?;
            check_behavior("defaultCacheBehavior", b, origin_ids.as_deref(), false)?;
        }
        if block(inputs, "orderedCacheBehaviors").is_some() {
            for (i, b) in object_list(inputs, "orderedCacheBehaviors")?.into_iter().enumerate() {
                check_behavior(&format!("orderedCacheBehaviors[{i}]"), b, origin_ids.as_deref(), true)?;
            }
        }
        check_restrictions(inputs)?;
        check_certificate(inputs)?;
        if block(inputs, "customErrorResponses").is_some() {
            for (i, r) in object_list(inputs, "customErrorResponses")?.into_iter().enumerate() {
                let path = format!("customErrorResponses[{i}]");
                only_keys(&path, r, &["errorCachingMinTtl", "errorCode", "responseCode", "responsePagePath"])?;
                let code = known(r, "errorCode").map(|_| optional_i32(r, "errorCode")).transpose();
                let code = code.map_err(nested(&path))?.flatten();
                if known(r, "errorCode").is_some() && !code.is_some_and(|c| (400..600).contains(&c)) {
                    return Err(ProviderError::invalid(format!("{path}.errorCode must be a 4xx or 5xx status")));
                }
                if check_str(r, "responsePagePath")?.is_some() && !r.contains_key("responseCode") {
                    return Err(ProviderError::invalid(format!("{path}: responsePagePath needs a responseCode")));
                }
            }
        }
        if let Some(logging) = block(inputs, "loggingConfig").and_then(Value::as_object) {
            only_keys("loggingConfig", logging, &["bucket", "includeCookies", "prefix"])?;
            if !logging.contains_key("bucket") {
                return Err(ProviderError::invalid("loggingConfig.bucket is required"));
            }
            if check_str(logging, "bucket")?.is_some_and(|b| !b.ends_with(".amazonaws.com")) {
                return Err(ProviderError::invalid(
                    "loggingConfig.bucket must be the bucket's domain name (<bucket>.s3.amazonaws.com)",
                ));
            }
        }
        Ok(())
    }

    /// Validates `origins` and returns their ids when all are known.
    fn check_origins(inputs: &PropertyMap) -> Result<Option<Vec<String>>, ProviderError> {
        if block(inputs, "origins").is_none() {
            return Ok(None);
        }
        let origins = object_list(inputs, "origins")?;
        if origins.is_empty() {
            return Err(ProviderError::invalid("origins must have at least one origin"));
        }
        let mut ids = Vec::new();
        let mut all_known = true;
        for (i, o) in origins.iter().enumerate() {
            let path = format!("origins[{i}]");
            only_keys(&path, o, ORIGIN_KEYS)?;
            for key in ["domainName", "originId"] {
                if !o.contains_key(key) {
                    return Err(ProviderError::invalid(format!("{path}.{key} is required")));
                }
            }
            match check_str(o, "originId").map_err(nested(&path))? {
                Some(id) if ids.iter().any(|x| x == id) => {
                    return Err(ProviderError::invalid(format!("{path}: originId {id:?} is used twice")));
                }
                Some(id) => ids.push(id.to_string()),
                None => all_known = false,
            }
            if present(o, "s3OriginConfig") && present(o, "customOriginConfig") {
                return Err(ProviderError::invalid(format!(
                    "{path}: s3OriginConfig and customOriginConfig exclude each other"
                )));
            }
            if let Some(c) = block(o, "customOriginConfig").and_then(Value::as_object) {
                let path = format!("{path}.customOriginConfig");
                only_keys(&path, c, CUSTOM_ORIGIN_KEYS)?;
                for key in ["httpPort", "httpsPort", "originProtocolPolicy", "originSslProtocols"] {
                    if !c.contains_key(key) {
                        return Err(ProviderError::invalid(format!("{path}.{key} is required")));
                    }
                }
                one_of(c, "originProtocolPolicy", &["http-only", "match-viewer", "https-only"])
                    .map_err(nested(&path))?;
            }
            if let Some(s3) = block(o, "s3OriginConfig").and_then(Value::as_object) {
                only_keys(&format!("{path}.s3OriginConfig"), s3, &["originAccessIdentity"])?;
            }
            for (key, range) in [("connectionAttempts", 1..=3), ("connectionTimeout", 1..=10)] {
                let n = known(o, key).map(|_| optional_i32(o, key)).transpose().map_err(nested(&path))?.flatten();
                if let Some(n) = n {
                    if !range.contains(&n) {
                        return Err(ProviderError::invalid(format!(
                            "{path}.{key} must be between {} and {}",
                            range.start(),
                            range.end()
                        )));
                    }
                }
            }
        }
        Ok(all_known.then_some(ids))
    }

    fn sorted_methods(b: &PropertyMap, key: &str, path: &str) -> Result<Option<Vec<String>>, ProviderError> {
        if known(b, key).is_none() {
            return Ok(None);
        }
        let mut methods = optional_str_list(b, key).map_err(nested(path))?.unwrap_or_default();
        methods.sort();
        methods.dedup();
        Ok(Some(methods))
    }

    fn check_behavior(
        path: &str,
        b: &PropertyMap,
        origin_ids: Option<&[String]>,
        ordered: bool,
    ) -> Result<(), ProviderError> {
        let mut allowed_keys = BEHAVIOR_KEYS.to_vec();
        if ordered {
            allowed_keys.push("pathPattern");
        }
        only_keys(path, b, &allowed_keys)?;
        let mut required = vec!["allowedMethods", "cachedMethods", "targetOriginId", "viewerProtocolPolicy"];
        if ordered {
            required.push("pathPattern");
        }
        for key in required {
            if !b.contains_key(key) {
                return Err(ProviderError::invalid(format!("{path}.{key} is required")));
            }
        }
        if let (Some(target), Some(ids)) = (check_str(b, "targetOriginId").map_err(nested(path))?, origin_ids) {
            if !ids.iter().any(|id| id == target) {
                return Err(ProviderError::invalid(format!(
                    "{path}.targetOriginId {target:?} names no origin (origins: {})",
                    ids.join(", ")
                )));
            }
        }
        one_of(b, "viewerProtocolPolicy", VIEWER_POLICIES).map_err(nested(path))?;
        let allowed = sorted_methods(b, "allowedMethods", path)?;
        if let Some(allowed) = &allowed {
            if !METHOD_SETS.iter().any(|set| set == allowed) {
                return Err(ProviderError::invalid(format!(
                    "{path}.allowedMethods must be GET+HEAD, GET+HEAD+OPTIONS or all seven methods"
                )));
            }
        }
        if let Some(cached) = sorted_methods(b, "cachedMethods", path)? {
            let ok = cached == ["GET", "HEAD"] || cached == ["GET", "HEAD", "OPTIONS"];
            if !ok || allowed.as_ref().is_some_and(|a| !cached.iter().all(|m| a.contains(m))) {
                return Err(ProviderError::invalid(format!(
                    "{path}.cachedMethods must be GET+HEAD or GET+HEAD+OPTIONS, within allowedMethods"
                )));
            }
        }
        let policy = b.get("cachePolicyId").is_some_and(|v| !v.is_null());
        let forwarded = b.get("forwardedValues").is_some_and(|v| !v.is_null());
        if policy == forwarded {
            return Err(ProviderError::invalid(format!(
                "{path}: set exactly one of cachePolicyId and forwardedValues"
            )));
        }
        if policy && ["minTtl", "defaultTtl", "maxTtl"].iter().any(|k| b.get(*k).is_some_and(|v| !v.is_null())) {
            return Err(ProviderError::invalid(format!(
                "{path}: TTLs come from the cache policy when cachePolicyId is set"
            )));
        }
        if let Some(fv) = block(b, "forwardedValues").and_then(Value::as_object) {
            let fpath = format!("{path}.forwardedValues");
            only_keys(&fpath, fv, &["cookies", "headers", "queryString", "queryStringCacheKeys"])?;
            for key in ["cookies", "queryString"] {
                if !fv.contains_key(key) {
                    return Err(ProviderError::invalid(format!("{fpath}.{key} is required")));
                }
            }
            if let Some(c) = block(fv, "cookies").and_then(Value::as_object) {
                only_keys(&format!("{fpath}.cookies"), c, &["forward", "whitelistedNames"])?;
                one_of(c, "forward", &["none", "whitelist", "all"]).map_err(nested(&fpath))?;
            }
        }
        Ok(())
    }

    fn check_restrictions(inputs: &PropertyMap) -> Result<(), ProviderError> {
        let Some(r) = known(inputs, "restrictions").and_then(Value::as_object) else { return Ok(()) };
        only_keys("restrictions", r, &["geoRestriction"])?;
        let Some(g) = known(r, "geoRestriction").and_then(Value::as_object) else {
            return Err(ProviderError::invalid("restrictions.geoRestriction is required"));
        };
        only_keys("restrictions.geoRestriction", g, &["locations", "restrictionType"])?;
        one_of(g, "restrictionType", &["none", "whitelist", "blacklist"])
            .map_err(nested("restrictions.geoRestriction"))?;
        // `restrictions` is fully known here, so are its locations.
        let kind = check_str(g, "restrictionType")?;
        let locations = optional_str_list(g, "locations").map_err(nested("restrictions.geoRestriction"))?;
        if kind.is_some_and(|kind| (kind == "none") != locations.unwrap_or_default().is_empty()) {
            return Err(ProviderError::invalid(
                "restrictions.geoRestriction: locations are required for whitelist and blacklist, and refused for none",
            ));
        }
        Ok(())
    }

    fn check_certificate(inputs: &PropertyMap) -> Result<(), ProviderError> {
        let Some(c) = known(inputs, "viewerCertificate").and_then(Value::as_object) else { return Ok(()) };
        only_keys(
            "viewerCertificate",
            c,
            &[
                "acmCertificateArn",
                "cloudfrontDefaultCertificate",
                "iamCertificateId",
                "minimumProtocolVersion",
                "sslSupportMethod",
            ],
        )?;
        let default = optional_bool(c, "cloudfrontDefaultCertificate").map_err(nested("viewerCertificate"))?;
        let sources = [
            default == Some(true),
            c.get("acmCertificateArn").is_some_and(|v| !v.is_null()),
            c.get("iamCertificateId").is_some_and(|v| !v.is_null()),
        ];
        if sources.iter().filter(|s| **s).count() != 1 {
            return Err(ProviderError::invalid(
                "viewerCertificate: set exactly one of cloudfrontDefaultCertificate = true, acmCertificateArn and iamCertificateId",
            ));
        }
        if default != Some(true) && !c.contains_key("sslSupportMethod") {
            return Err(ProviderError::invalid("viewerCertificate.sslSupportMethod is required with a certificate"));
        }
        one_of(c, "sslSupportMethod", &["sni-only", "vip", "static-ip"]).map_err(nested("viewerCertificate"))
    }

    // -- inputs → API ----------------------------------------------------------

    fn methods(list: &[String]) -> Vec<Method> {
        list.iter().map(|m| Method::from(m.as_str())).collect()
    }

    fn allowed_methods(b: &PropertyMap) -> Result<AllowedMethods, ProviderError> {
        let allowed = optional_str_list(b, "allowedMethods")?.unwrap_or_default();
        let cached = optional_str_list(b, "cachedMethods")?.unwrap_or_default();
        let cached = CachedMethods::builder()
            .quantity(cached.len() as i32)
            .set_items(Some(methods(&cached)))
            .build()
            .map_err(build_error("cachedMethods"))?;
        AllowedMethods::builder()
            .quantity(allowed.len() as i32)
            .set_items(Some(methods(&allowed)))
            .cached_methods(cached)
            .build()
            .map_err(build_error("allowedMethods"))
    }

    fn forwarded_values(b: &PropertyMap) -> Result<Option<ForwardedValues>, ProviderError> {
        let Some(fv) = optional_object(b, "forwardedValues")? else { return Ok(None) };
        let cookies = optional_object(fv, "cookies")?.ok_or_else(|| ProviderError::invalid("cookies is required"))?;
        let names = optional_str_list(cookies, "whitelistedNames")?;
        let cookies = CookiePreference::builder()
            .forward(ItemSelection::from(required_str(cookies, "forward")?))
            .set_whitelisted_names(
                names
                    .map(|n| CookieNames::builder().quantity(n.len() as i32).set_items(Some(n)).build())
                    .transpose()
                    .map_err(build_error("whitelistedNames"))?,
            )
            .build()
            .map_err(build_error("cookies"))?;
        let headers = optional_str_list(fv, "headers")?
            .map(|h| Headers::builder().quantity(h.len() as i32).set_items(Some(h)).build())
            .transpose()
            .map_err(build_error("headers"))?;
        let keys = optional_str_list(fv, "queryStringCacheKeys")?
            .map(|k| QueryStringCacheKeys::builder().quantity(k.len() as i32).set_items(Some(k)).build())
            .transpose()
            .map_err(build_error("queryStringCacheKeys"))?;
        let query =
            optional_bool(fv, "queryString")?.ok_or_else(|| ProviderError::invalid("queryString is required"))?;
        ForwardedValues::builder()
            .query_string(query)
            .cookies(cookies)
            .set_headers(headers)
            .set_query_string_cache_keys(keys)
            .build()
            .map(Some)
            .map_err(build_error("forwardedValues"))
    }

    /// Sets the fields a default and an ordered cache behavior share.
    macro_rules! behavior {
        ($builder:expr, $b:expr) => {{
            let b: &PropertyMap = $b;
            $builder
                .target_origin_id(required_str(b, "targetOriginId")?)
                .viewer_protocol_policy(ViewerProtocolPolicy::from(required_str(b, "viewerProtocolPolicy")?))
                .allowed_methods(allowed_methods(b)?)
                .compress(optional_bool(b, "compress")?.unwrap_or(false))
                .set_cache_policy_id(optional_str(b, "cachePolicyId")?.map(str::to_string))
                .set_origin_request_policy_id(optional_str(b, "originRequestPolicyId")?.map(str::to_string))
                .set_response_headers_policy_id(optional_str(b, "responseHeadersPolicyId")?.map(str::to_string))
                .set_forwarded_values(forwarded_values(b)?)
                .set_min_ttl(optional_i64(b, "minTtl")?)
                .set_default_ttl(optional_i64(b, "defaultTtl")?)
                .set_max_ttl(optional_i64(b, "maxTtl")?)
        }};
    }

    // ForwardedValues and the TTLs are CloudFront's legacy cache settings
    // (deprecated in the SDK); pulumi-aws still offers them.
    #[allow(deprecated)]
    fn default_behavior(inputs: &PropertyMap) -> Result<DefaultCacheBehavior, ProviderError> {
        let b = optional_object(inputs, "defaultCacheBehavior")?
            .ok_or_else(|| ProviderError::invalid("defaultCacheBehavior is required"))?;
        let run = || -> Result<DefaultCacheBehavior, ProviderError> {
            behavior!(DefaultCacheBehavior::builder(), b).build().map_err(build_error("defaultCacheBehavior"))
        };
        run().map_err(nested("defaultCacheBehavior"))
    }

    // ForwardedValues and the TTLs are CloudFront's legacy cache settings
    // (deprecated in the SDK); pulumi-aws still offers them.
    #[allow(deprecated)]
    fn ordered_behaviors(inputs: &PropertyMap) -> Result<CacheBehaviors, ProviderError> {
        let mut items = Vec::new();
        for (i, b) in object_list(inputs, "orderedCacheBehaviors")?.into_iter().enumerate() {
            let run = || -> Result<CacheBehavior, ProviderError> {
                behavior!(CacheBehavior::builder().path_pattern(required_str(b, "pathPattern")?), b)
                    .build()
                    .map_err(build_error("orderedCacheBehaviors"))
            };
            items.push(run().map_err(nested(&format!("orderedCacheBehaviors[{i}]")))?);
        }
        CacheBehaviors::builder()
            .quantity(items.len() as i32)
            .set_items((!items.is_empty()).then_some(items))
            .build()
            .map_err(build_error("orderedCacheBehaviors"))
    }

    fn origin(o: &PropertyMap) -> Result<Origin, ProviderError> {
        let custom = match optional_object(o, "customOriginConfig")? {
            Some(c) => {
                let protocols = optional_str_list(c, "originSslProtocols")?.unwrap_or_default();
                let protocols = OriginSslProtocols::builder()
                    .quantity(protocols.len() as i32)
                    .set_items(Some(protocols.iter().map(|p| SslProtocol::from(p.as_str())).collect()))
                    .build()
                    .map_err(build_error("originSslProtocols"))?;
                Some(
                    CustomOriginConfig::builder()
                        .set_http_port(optional_i32(c, "httpPort")?)
                        .set_https_port(optional_i32(c, "httpsPort")?)
                        .origin_protocol_policy(OriginProtocolPolicy::from(required_str(c, "originProtocolPolicy")?))
                        .origin_ssl_protocols(protocols)
                        .set_origin_keepalive_timeout(optional_i32(c, "originKeepaliveTimeout")?)
                        .set_origin_read_timeout(optional_i32(c, "originReadTimeout")?)
                        .build()
                        .map_err(build_error("customOriginConfig"))?,
                )
            }
            None => None,
        };
        // An S3 origin (Terraform's default): with an OAC, the identity is empty.
        let s3 = match (optional_object(o, "s3OriginConfig")?, &custom) {
            (Some(s3), _) => Some(
                S3OriginConfig::builder()
                    .origin_access_identity(optional_str(s3, "originAccessIdentity")?.unwrap_or_default())
                    .build(),
            ),
            (None, None) => Some(S3OriginConfig::builder().origin_access_identity("").build()),
            (None, Some(_)) => None,
        };
        Origin::builder()
            .id(required_str(o, "originId")?)
            .domain_name(required_str(o, "domainName")?)
            .origin_path(optional_str(o, "originPath")?.unwrap_or_default())
            .set_origin_access_control_id(optional_str(o, "originAccessControlId")?.map(str::to_string))
            .set_s3_origin_config(s3)
            .set_custom_origin_config(custom)
            .set_connection_attempts(optional_i32(o, "connectionAttempts")?)
            .set_connection_timeout(optional_i32(o, "connectionTimeout")?)
            .build()
            .map_err(build_error("origin"))
    }

    /// The distribution's configuration from the inputs.
    pub(super) fn config(inputs: &PropertyMap, caller_reference: &str) -> Result<DistributionConfig, ProviderError> {
        let mut origins = Vec::new();
        for (i, o) in object_list(inputs, "origins")?.into_iter().enumerate() {
            origins.push(origin(o).map_err(nested(&format!("origins[{i}]")))?);
        }
        let origins = Origins::builder()
            .quantity(origins.len() as i32)
            .set_items(Some(origins))
            .build()
            .map_err(build_error("origins"))?;
        let aliases = optional_str_list(inputs, "aliases")?.unwrap_or_default();
        let aliases = Aliases::builder()
            .quantity(aliases.len() as i32)
            .set_items((!aliases.is_empty()).then_some(aliases))
            .build()
            .map_err(build_error("aliases"))?;
        let mut errors = Vec::new();
        for (i, r) in object_list(inputs, "customErrorResponses")?.into_iter().enumerate() {
            let run = || -> Result<CustomErrorResponse, ProviderError> {
                CustomErrorResponse::builder()
                    .set_error_code(optional_i32(r, "errorCode")?)
                    .set_response_code(optional_i32(r, "responseCode")?.map(|c| c.to_string()))
                    .set_response_page_path(optional_str(r, "responsePagePath")?.map(str::to_string))
                    .set_error_caching_min_ttl(optional_i64(r, "errorCachingMinTtl")?)
                    .build()
                    .map_err(build_error("customErrorResponses"))
            };
            errors.push(run().map_err(nested(&format!("customErrorResponses[{i}]")))?);
        }
        let errors = CustomErrorResponses::builder()
            .quantity(errors.len() as i32)
            .set_items((!errors.is_empty()).then_some(errors))
            .build()
            .map_err(build_error("customErrorResponses"))?;
        let logging = match optional_object(inputs, "loggingConfig")? {
            Some(l) => LoggingConfig::builder()
                .enabled(true)
                .bucket(required_str(l, "bucket").map_err(nested("loggingConfig"))?)
                .prefix(optional_str(l, "prefix")?.unwrap_or_default())
                .include_cookies(optional_bool(l, "includeCookies")?.unwrap_or(false))
                .build(),
            None => LoggingConfig::builder().enabled(false).bucket("").prefix("").include_cookies(false).build(),
        };
        let geo = optional_object(inputs, "restrictions")?
            .map(|r| optional_object(r, "geoRestriction"))
            .transpose()?
            .flatten()
            .ok_or_else(|| ProviderError::invalid("restrictions.geoRestriction is required"))?;
        let locations = optional_str_list(geo, "locations")?.unwrap_or_default();
        let geo = GeoRestriction::builder()
            .restriction_type(GeoRestrictionType::from(required_str(geo, "restrictionType")?))
            .quantity(locations.len() as i32)
            .set_items((!locations.is_empty()).then_some(locations))
            .build()
            .map_err(build_error("geoRestriction"))?;
        let cert = optional_object(inputs, "viewerCertificate")?
            .ok_or_else(|| ProviderError::invalid("viewerCertificate is required"))?;
        let cert = ViewerCertificate::builder()
            .set_cloud_front_default_certificate(optional_bool(cert, "cloudfrontDefaultCertificate")?)
            .set_acm_certificate_arn(optional_str(cert, "acmCertificateArn")?.map(str::to_string))
            .set_iam_certificate_id(optional_str(cert, "iamCertificateId")?.map(str::to_string))
            .set_ssl_support_method(optional_str(cert, "sslSupportMethod")?.map(SslSupportMethod::from))
            // Terraform's default.
            .minimum_protocol_version(MinimumProtocolVersion::from(
                optional_str(cert, "minimumProtocolVersion")?.unwrap_or("TLSv1"),
            ))
            .build();
        let enabled = optional_bool(inputs, "enabled")?.ok_or_else(|| ProviderError::invalid("enabled is required"))?;
        DistributionConfig::builder()
            .caller_reference(caller_reference)
            .aliases(aliases)
            .default_root_object(optional_str(inputs, "defaultRootObject")?.unwrap_or_default())
            .origins(origins)
            .default_cache_behavior(default_behavior(inputs)?)
            .cache_behaviors(ordered_behaviors(inputs)?)
            .custom_error_responses(errors)
            .comment(optional_str(inputs, "comment")?.unwrap_or_default())
            .logging(logging)
            .price_class(PriceClass::from(optional_str(inputs, "priceClass")?.unwrap_or("PriceClass_All")))
            .enabled(enabled)
            .viewer_certificate(cert)
            .restrictions(Restrictions::builder().geo_restriction(geo).build())
            .web_acl_id(optional_str(inputs, "webAclId")?.unwrap_or_default())
            .http_version(HttpVersion::from(optional_str(inputs, "httpVersion")?.unwrap_or("http2")))
            .is_ipv6_enabled(optional_bool(inputs, "isIpv6Enabled")?.unwrap_or(false))
            .build()
            .map_err(build_error("distribution config"))
    }

    // -- API → outputs ---------------------------------------------------------

    fn strings<'a>(items: impl IntoIterator<Item = &'a str>) -> Value {
        Value::array(items)
    }

    fn map(pairs: Vec<(&str, Value)>) -> Value {
        Value::Object(pairs.into_iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.to_string(), v)).collect())
    }

    fn opt_str(v: Option<&str>) -> Value {
        v.filter(|s| !s.is_empty()).map_or(Value::Null, Value::from)
    }

    fn forwarded(fv: &ForwardedValues) -> Value {
        let cookies = fv.cookies().map(|c| {
            map(vec![
                ("forward", Value::from(c.forward().as_str())),
                (
                    "whitelistedNames",
                    c.whitelisted_names().map_or(Value::Null, |n| strings(n.items().iter().map(String::as_str))),
                ),
            ])
        });
        map(vec![
            ("queryString", Value::from(fv.query_string())),
            ("cookies", cookies.unwrap_or(Value::Null)),
            ("headers", strings(fv.headers().map(|h| h.items()).unwrap_or_default().iter().map(String::as_str))),
            (
                "queryStringCacheKeys",
                strings(fv.query_string_cache_keys().map(|k| k.items()).unwrap_or_default().iter().map(String::as_str)),
            ),
        ])
    }

    /// The outputs a default and an ordered cache behavior share.
    macro_rules! flatten_behavior {
        ($b:expr) => {{
            let b = $b;
            let allowed = b.allowed_methods();
            vec![
                ("targetOriginId", Value::from(b.target_origin_id())),
                ("viewerProtocolPolicy", Value::from(b.viewer_protocol_policy().as_str())),
                ("allowedMethods", strings(allowed.map(|a| a.items()).unwrap_or_default().iter().map(Method::as_str))),
                (
                    "cachedMethods",
                    strings(
                        allowed
                            .and_then(|a| a.cached_methods())
                            .map(|c| c.items())
                            .unwrap_or_default()
                            .iter()
                            .map(Method::as_str),
                    ),
                ),
                ("compress", Value::from(b.compress().unwrap_or(false))),
                ("cachePolicyId", opt_str(b.cache_policy_id())),
                ("originRequestPolicyId", opt_str(b.origin_request_policy_id())),
                ("responseHeadersPolicyId", opt_str(b.response_headers_policy_id())),
                ("forwardedValues", b.forwarded_values().map_or(Value::Null, forwarded)),
                ("minTtl", b.min_ttl().map_or(Value::Null, Value::from)),
                ("defaultTtl", b.default_ttl().map_or(Value::Null, Value::from)),
                ("maxTtl", b.max_ttl().map_or(Value::Null, Value::from)),
            ]
        }};
    }

    fn flatten_origin(o: &Origin) -> Value {
        let custom = o.custom_origin_config().map(|c| {
            map(vec![
                ("httpPort", Value::from(c.http_port())),
                ("httpsPort", Value::from(c.https_port())),
                ("originProtocolPolicy", Value::from(c.origin_protocol_policy().as_str())),
                (
                    "originSslProtocols",
                    strings(
                        c.origin_ssl_protocols().map(|p| p.items()).unwrap_or_default().iter().map(SslProtocol::as_str),
                    ),
                ),
                ("originKeepaliveTimeout", c.origin_keepalive_timeout().map_or(Value::Null, Value::from)),
                ("originReadTimeout", c.origin_read_timeout().map_or(Value::Null, Value::from)),
            ])
        });
        // An empty identity is the placeholder an OAC origin carries.
        let s3 = o
            .s3_origin_config()
            .filter(|s| !s.origin_access_identity().is_empty())
            .map(|s| map(vec![("originAccessIdentity", Value::from(s.origin_access_identity()))]));
        map(vec![
            ("originId", Value::from(o.id())),
            ("domainName", Value::from(o.domain_name())),
            ("originPath", opt_str(o.origin_path())),
            ("originAccessControlId", opt_str(o.origin_access_control_id())),
            ("s3OriginConfig", s3.unwrap_or(Value::Null)),
            ("customOriginConfig", custom.unwrap_or(Value::Null)),
            ("connectionAttempts", o.connection_attempts().map_or(Value::Null, Value::from)),
            ("connectionTimeout", o.connection_timeout().map_or(Value::Null, Value::from)),
        ])
    }

    // ForwardedValues and the TTLs are CloudFront's legacy cache settings
    // (deprecated in the SDK); pulumi-aws still offers them.
    #[allow(deprecated)]
    fn flatten(out: Outputs, c: &DistributionConfig) -> Outputs {
        let origins: Vec<Value> =
            c.origins().map(|o| o.items()).unwrap_or_default().iter().map(flatten_origin).collect();
        let default = c.default_cache_behavior().map(|b| map(flatten_behavior!(b)));
        let ordered: Vec<Value> = c
            .cache_behaviors()
            .and_then(|b| b.items.as_deref())
            .unwrap_or_default()
            .iter()
            .map(|b| {
                let mut fields = flatten_behavior!(b);
                fields.push(("pathPattern", Value::from(b.path_pattern())));
                map(fields)
            })
            .collect();
        let errors: Vec<Value> = c
            .custom_error_responses()
            .and_then(|e| e.items.as_deref())
            .unwrap_or_default()
            .iter()
            .map(|e| {
                map(vec![
                    ("errorCode", Value::from(e.error_code())),
                    (
                        "responseCode",
                        e.response_code().and_then(|r| r.parse::<i64>().ok()).map_or(Value::Null, Value::from),
                    ),
                    ("responsePagePath", opt_str(e.response_page_path())),
                    ("errorCachingMinTtl", e.error_caching_min_ttl().map_or(Value::Null, Value::from)),
                ])
            })
            .collect();
        let logging = c.logging().filter(|l| l.enabled() && !l.bucket().is_empty()).map(|l| {
            map(vec![
                ("bucket", Value::from(l.bucket())),
                ("prefix", Value::from(l.prefix())),
                ("includeCookies", Value::from(l.include_cookies())),
            ])
        });
        let geo = c.restrictions().and_then(|r| r.geo_restriction()).map(|g| {
            map(vec![
                ("restrictionType", Value::from(g.restriction_type().as_str())),
                ("locations", strings(g.items.as_deref().unwrap_or_default().iter().map(String::as_str))),
            ])
        });
        let cert = c.viewer_certificate().map(|v| {
            map(vec![
                ("cloudfrontDefaultCertificate", Value::from(v.cloud_front_default_certificate().unwrap_or(false))),
                ("acmCertificateArn", opt_str(v.acm_certificate_arn())),
                ("iamCertificateId", opt_str(v.iam_certificate_id())),
                ("minimumProtocolVersion", v.minimum_protocol_version().map_or(Value::Null, |m| m.as_str().into())),
                (
                    "sslSupportMethod",
                    // Only meaningful with a certificate of one's own.
                    v.ssl_support_method()
                        .filter(|_| v.cloud_front_default_certificate() != Some(true))
                        .map_or(Value::Null, |m| m.as_str().into()),
                ),
            ])
        });
        out.value("enabled", Value::from(c.enabled()))
            .value("comment", Value::from(c.comment()))
            .value("defaultRootObject", opt_str(c.default_root_object()))
            .value("priceClass", c.price_class().map_or(Value::Null, |p| p.as_str().into()))
            .value("httpVersion", c.http_version().map_or(Value::Null, |h| h.as_str().into()))
            .value("isIpv6Enabled", Value::from(c.is_ipv6_enabled().unwrap_or(false)))
            .value("webAclId", opt_str(c.web_acl_id()))
            .value(
                "aliases",
                strings(c.aliases().and_then(|a| a.items.as_deref()).unwrap_or_default().iter().map(String::as_str)),
            )
            .value("origins", Value::Array(origins))
            .value("defaultCacheBehavior", default.unwrap_or(Value::Null))
            .value("orderedCacheBehaviors", Value::Array(ordered))
            .value("customErrorResponses", Value::Array(errors))
            .value("loggingConfig", logging.unwrap_or(Value::Null))
            .value("restrictions", geo.map_or(Value::Null, |g| map(vec![("geoRestriction", g)])))
            .value("viewerCertificate", cert.unwrap_or(Value::Null))
    }

    // -- calls ---------------------------------------------------------------

    /// GetDistribution: the distribution and its ETag.
    async fn get(p: &AwsProvider, id: &str) -> Result<(Distribution, String), ProviderError> {
        let cf = p.cloudfront().await?;
        let out = p.call(|| cf.get_distribution().id(id).send()).await?;
        let d = out.distribution().ok_or_else(|| missing_field("GetDistribution", "Distribution"))?.clone();
        Ok((d, out.e_tag().unwrap_or_default().to_string()))
    }

    /// Waits until the distribution's status is `Deployed`.
    async fn wait_deployed(p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<(), ProviderError> {
        p.wait_until(&format!("CloudFront distribution {id} to be Deployed"), limit(ctx, DEPLOY_TIMEOUT), || async {
            let (d, _) = get(p, id).await?;
            Ok((d.status() == "Deployed").then_some(()))
        })
        .await
    }

    fn waits(inputs: &PropertyMap) -> Result<bool, ProviderError> {
        Ok(optional_bool(inputs, "waitForDeployment")?.unwrap_or(true))
    }

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let cf = p.cloudfront().await?;
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let config = config(inputs, &format!("tapctl-{nanos}"))?;
        let tags = Tags::builder().set_items(Some(sdk_tags(&tags_for_create(ctx, inputs)?)?)).build();
        let with_tags = DistributionConfigWithTags::builder().distribution_config(config).tags(tags).build();
        let out = p
            .call(|| cf.create_distribution_with_tags().distribution_config_with_tags(with_tags.clone()).send())
            .await?;
        let id = out
            .distribution()
            .map(|d| d.id().to_string())
            .ok_or_else(|| missing_field("CreateDistributionWithTags", "Distribution"))?;
        if waits(inputs)? {
            wait_deployed(p, ctx, &id).await.map_err(after_create(&id, "waiting for its deployment"))?;
        }
        Ok(id)
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let cf = p.cloudfront().await?;
        let (d, etag) = get(p, id).await?;
        let Some(config) = d.distribution_config() else { return Ok(None) };
        let tags = p.call(|| cf.list_tags_for_resource().resource(d.arn()).send()).await?;
        let tags: Vec<(String, String)> = tags
            .tags()
            .map(|t| t.items())
            .unwrap_or_default()
            .iter()
            .map(|t| (t.key().to_string(), t.value().unwrap_or_default().to_string()))
            .collect();
        let zone = if partition(p.region().await?) == "aws-cn" { HOSTED_ZONE_ID_CN } else { HOSTED_ZONE_ID };
        let out = Outputs::default()
            .string("id", Some(d.id()))
            .string("arn", Some(d.arn()))
            .string("domainName", Some(d.domain_name()))
            .string("hostedZoneId", Some(zone))
            .string("etag", Some(etag))
            .string("status", Some(d.status()))
            .string("callerReference", Some(config.caller_reference()))
            .string("lastModifiedTime", d.last_modified_time().fmt(aws_smithy_types::date_time::Format::DateTime).ok())
            .int("inProgressValidationBatches", Some(i64::from(d.in_progress_invalidation_batches())));
        let mut outputs = flatten(out, config).tags(tags).build();
        // Blocks and strings AWS leaves empty are absent, as in other kinds.
        outputs.retain(|_, v| !v.is_null());
        Ok(Some(outputs))
    }

    /// UpdateDistribution with `config` (whose CallerReference is replaced by
    /// the current one) and the current ETag; a stale ETag is refreshed once.
    async fn put_config(
        p: &AwsProvider,
        id: &str,
        config: impl Fn(&DistributionConfig) -> Result<DistributionConfig, ProviderError>,
    ) -> Result<(), ProviderError> {
        let cf = p.cloudfront().await?;
        let mut retried = false;
        loop {
            let current = p.call(|| cf.get_distribution_config().id(id).send()).await?;
            let etag = current.e_tag().unwrap_or_default().to_string();
            let now = current
                .distribution_config()
                .ok_or_else(|| missing_field("GetDistributionConfig", "DistributionConfig"))?;
            let wanted = config(now)?;
            match p
                .call(|| cf.update_distribution().id(id).if_match(&etag).distribution_config(wanted.clone()).send())
                .await
            {
                Err(e) if e.code == "PreconditionFailed" && !retried => retried = true,
                other => return other.map(drop),
            }
        }
    }

    pub(super) async fn update(
        p: &AwsProvider,
        ctx: &CallContext,
        id: &str,
        old: &PropertyMap,
        new: &PropertyMap,
    ) -> Result<(), ProviderError> {
        let cf = p.cloudfront().await?;
        let settings_changed =
            SUPPORTED.iter().filter(|k| !matches!(**k, "tags" | "waitForDeployment")).any(|k| changed(old, new, k));
        if settings_changed {
            put_config(p, id, |now| config(new, now.caller_reference())).await?;
        }
        let changes = tag_changes(ctx, old, new)?;
        if !changes.is_empty() {
            let (d, _) = get(p, id).await?;
            if !changes.remove.is_empty() {
                let keys = TagKeys::builder().set_items(Some(changes.remove.clone())).build();
                p.call(|| cf.untag_resource().resource(d.arn()).tag_keys(keys.clone()).send()).await?;
            }
            if !changes.set.is_empty() {
                let tags = Tags::builder().set_items(Some(sdk_tags(&changes.set)?)).build();
                p.call(|| cf.tag_resource().resource(d.arn()).tags(tags.clone()).send()).await?;
            }
        }
        if settings_changed && waits(new)? {
            wait_deployed(p, ctx, id).await?;
        }
        Ok(())
    }

    pub(super) async fn delete(p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<(), ProviderError> {
        let cf = p.cloudfront().await?;
        let (d, _) = get(p, id).await?;
        if d.distribution_config().is_some_and(DistributionConfig::enabled) {
            // Disable the deployed configuration as it is, then let it deploy.
            put_config(p, id, |now| {
                let mut off = now.clone();
                off.enabled = false;
                Ok(off)
            })
            .await?;
            wait_deployed(p, ctx, id).await?;
        }
        // Terraform retries for a minute.
        let within = limit(ctx, minutes(1));
        let start = std::time::Instant::now();
        loop {
            let (_, etag) = get(p, id).await?;
            match p.call(|| cf.delete_distribution().id(id).if_match(&etag).send()).await {
                // Still deploying the disable, or someone changed it meanwhile.
                Err(e)
                    if matches!(e.code.as_str(), "DistributionNotDisabled" | "PreconditionFailed")
                        && start.elapsed() < within =>
                {
                    tokio::time::sleep(p.settings().poll_interval).await;
                }
                other => {
                    other?;
                    break;
                }
            }
        }
        p.wait_until(&format!("CloudFront distribution {id} to be deleted"), limit(ctx, DEPLOY_TIMEOUT), || async {
            match get(p, id).await {
                Err(e) if e.kind == ErrorKind::NotFound => Ok(Some(())),
                Err(e) => Err(e),
                Ok(_) => Ok(None),
            }
        })
        .await
    }

    /// The ids of distributions tagged with this resource's URN.
    pub(super) async fn find(p: &AwsProvider, ctx: &CallContext) -> Result<Vec<String>, ProviderError> {
        let cf = p.cloudfront().await?;
        let wanted = urn_tag_value(&ctx.urn);
        let mut ids = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let out = p.call(|| cf.list_distributions().set_marker(marker.clone()).send()).await?;
            let Some(list) = out.distribution_list() else { break };
            for d in list.items() {
                let tags = p.call(|| cf.list_tags_for_resource().resource(d.arn()).send()).await?;
                let tagged = tags.tags().is_some_and(|t| {
                    t.items().iter().any(|t| t.key() == URN_TAG && t.value() == Some(wanted.as_str()))
                });
                if tagged {
                    ids.push(d.id().to_string());
                }
            }
            match list.next_marker().filter(|m| !m.is_empty() && list.is_truncated()) {
                Some(m) => marker = Some(m.to_string()),
                None => break,
            }
        }
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(v: serde_json::Value) -> PropertyMap {
        match Value::from_plain_json(&v) {
            Value::Object(m) => m,
            _ => unreachable!("an object"),
        }
    }

    fn site() -> serde_json::Value {
        serde_json::json!({
            "enabled": true,
            "origins": [{"domainName": "site.s3.us-east-1.amazonaws.com", "originId": "s3",
                         "originAccessControlId": "E2QWRUHAPOMQZL"}],
            "defaultCacheBehavior": {
                "targetOriginId": "s3", "viewerProtocolPolicy": "redirect-to-https",
                "allowedMethods": ["GET", "HEAD"], "cachedMethods": ["GET", "HEAD"],
                "cachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"
            },
            "restrictions": {"geoRestriction": {"restrictionType": "none"}},
            "viewerCertificate": {"cloudfrontDefaultCertificate": true}
        })
    }

    fn with(mut base: serde_json::Value, path: &[&str], v: serde_json::Value) -> PropertyMap {
        let mut at = &mut base;
        for p in &path[..path.len() - 1] {
            at = match p.parse::<usize>() {
                Ok(i) => &mut at[i],
                Err(_) => &mut at[*p],
            };
        }
        at[path[path.len() - 1]] = v;
        json(base)
    }

    #[test]
    fn distribution_checks() {
        let ok = json(site());
        CloudFront.check(DISTRIBUTION, &ok).unwrap();
        let bad = |path: &[&str], v: serde_json::Value, needle: &str| {
            let e = CloudFront.check(DISTRIBUTION, &with(site(), path, v)).unwrap_err();
            assert!(e.message.contains(needle), "{path:?}: {}", e.message);
        };
        bad(&["origins"], serde_json::json!([]), "at least one origin");
        bad(&["defaultCacheBehavior", "targetOriginId"], "web".into(), "names no origin");
        bad(&["defaultCacheBehavior", "allowedMethods"], serde_json::json!(["GET"]), "allowedMethods");
        bad(
            &["defaultCacheBehavior", "forwardedValues"],
            serde_json::json!({"queryString": false, "cookies": {"forward": "none"}}),
            "exactly one",
        );
        bad(&["restrictions", "geoRestriction", "restrictionType"], "whitelist".into(), "locations");
        bad(&["viewerCertificate", "acmCertificateArn"], "arn:aws:acm:us-east-1:1:certificate/x".into(), "exactly one");
        bad(&["priceClass"], "PriceClass_1".into(), "priceClass");
        bad(&["retainOnDelete"], true.into(), "retainOnDelete");
        bad(&["origins", "0", "originGroups"], true.into(), "originGroups");
        bad(&["orderedCacheBehaviors"], serde_json::json!([{"targetOriginId": "s3"}]), "is required");
        // Unknown values (preview) pass, and the known rest is still checked.
        let mut unknown = ok.clone();
        unknown.insert("origins".into(), Value::Unknown);
        CloudFront.check(DISTRIBUTION, &unknown).unwrap();
        let mut oac_unknown = with(site(), &["origins", "0", "originAccessControlId"], serde_json::Value::Null);
        let mut origin = oac_unknown["origins"].as_array().unwrap()[0].as_object().unwrap().clone();
        origin.insert("originAccessControlId".into(), Value::Unknown);
        oac_unknown.insert("origins".into(), Value::Array(vec![Value::Object(origin)]));
        CloudFront.check(DISTRIBUTION, &oac_unknown).unwrap();
        let mut behavior = oac_unknown["defaultCacheBehavior"].as_object().unwrap().clone();
        behavior.insert("targetOriginId".into(), "web".into());
        oac_unknown.insert("defaultCacheBehavior".into(), Value::Object(behavior));
        let e = CloudFront.check(DISTRIBUTION, &oac_unknown).unwrap_err();
        assert!(e.message.contains("names no origin"), "{}", e.message);
    }

    #[test]
    fn distribution_config_round_trips_through_outputs() {
        let inputs = with(site(), &["comment"], "static site".into());
        let config = dist::config(&inputs, "ref").unwrap();
        assert_eq!(config.caller_reference(), "ref");
        let o = config.origins().unwrap().items();
        assert_eq!(o[0].origin_access_control_id(), Some("E2QWRUHAPOMQZL"));
        assert_eq!(
            o[0].s3_origin_config().map(|s| s.origin_access_identity()),
            Some(""),
            "OAC origins carry an empty identity"
        );
        assert_eq!(
            config.viewer_certificate().and_then(|v| v.minimum_protocol_version()).map(|m| m.as_str()),
            Some("TLSv1")
        );
    }

    #[test]
    fn oac_checks() {
        let ok = json(serde_json::json!({"name": "site", "originAccessControlOriginType": "s3",
                                         "signingBehavior": "always", "signingProtocol": "sigv4"}));
        CloudFront.check(OAC, &ok).unwrap();
        let mut bad = ok.clone();
        bad.insert("signingBehavior".into(), "sometimes".into());
        assert!(CloudFront.check(OAC, &bad).is_err());
        bad = ok.clone();
        bad.remove("name");
        assert!(CloudFront.check(OAC, &bad).is_err());
    }
}
