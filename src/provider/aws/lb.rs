//! Elastic Load Balancing v2 kinds: load balancer, target group, listener.
//!
//! Every id is the ARN, as in pulumi-aws. Load balancer and target group
//! settings that AWS keeps as attributes (`idleTimeout`,
//! `deregistrationDelay`, …) are applied right after the create call and read
//! back from DescribeLoadBalancerAttributes / DescribeTargetGroupAttributes.
//! A listener's `defaultActions` change in place with ModifyListener: that is
//! how a blue-green deployment shifts its weights.
//!
//! Outputs deliberately left out, and why:
//!
//! - `aws:lb/targetGroup:TargetGroup` `loadBalancerArns`: it changes whenever
//!   a listener or rule starts or stops forwarding to the group — state of
//!   other resources — so every refresh would see "drift" that is not;
//! - `aws:lb/loadBalancer:LoadBalancer` `subnetMappings`, `connectionLogs`:
//!   not implemented as inputs (refused by `check`).
//!
//! A load balancer's `accessLogs` {`bucket`, `prefix`, `enabled`} are the
//! `access_logs.s3.*` attributes. `enabled` defaults to false as in
//! Terraform (a bucket alone does not turn logging on); removing the block
//! turns logging off. The output appears when a bucket is set or logging is
//! on, so a load balancer that never logged shows no `accessLogs` drift.

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::client::Waiters;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, Certificate, FixedResponseActionConfig, ForwardActionConfig, IpAddressType,
    LoadBalancerAttribute, LoadBalancerSchemeEnum, LoadBalancerTypeEnum, Matcher, ProtocolEnum, RedirectActionConfig,
    RedirectActionStatusCodeEnum, Tag, TargetGroupAttribute, TargetGroupIpAddressTypeEnum, TargetGroupStickinessConfig,
    TargetGroupTuple, TargetTypeEnum,
};

use super::{
    after_create, changed, check_kind, found, gone_is_ok, known, limit, minutes, missing_field, nested, object_list,
    optional_bool, optional_i32, optional_object, optional_str, optional_str_list, read_created, read_each,
    read_updated, required_str, string_list, tag_changes, tags_for_create, waiter_error, window, AwsProvider, Outputs,
    Service,
};
use crate::model::{PropertyMap, Value};
use crate::provider::{CallContext, Created, ProviderError};

const LOAD_BALANCER: &str = "aws:lb/loadBalancer:LoadBalancer";
const TARGET_GROUP: &str = "aws:lb/targetGroup:TargetGroup";
const LISTENER: &str = "aws:lb/listener:Listener";

/// The ELBv2 service module.
pub(crate) struct Lb;

#[async_trait]
impl Service for Lb {
    fn tokens(&self) -> &'static [&'static str] {
        &[LOAD_BALANCER, TARGET_GROUP, LISTENER]
    }

    fn check(&self, token: &str, inputs: &PropertyMap) -> Result<(), ProviderError> {
        match token {
            LOAD_BALANCER => check_kind(token, inputs, balancer::SUPPORTED, balancer::check),
            TARGET_GROUP => check_kind(token, inputs, group::SUPPORTED, group::check),
            _ => check_kind(token, inputs, listener::SUPPORTED, listener::check),
        }
    }

    async fn create(&self, p: &AwsProvider, ctx: &CallContext, inputs: &PropertyMap) -> Result<Created, ProviderError> {
        let id = match ctx.token.as_str() {
            LOAD_BALANCER => balancer::create(p, ctx, inputs).await?,
            TARGET_GROUP => group::create(p, ctx, inputs).await?,
            _ => listener::create(p, ctx, inputs).await?,
        };
        read_created(self, p, ctx, id).await
    }

    async fn read(&self, p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let read = match ctx.token.as_str() {
            LOAD_BALANCER => balancer::read(p, id).await,
            TARGET_GROUP => group::read(p, id).await,
            _ => listener::read(p, id).await,
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
            LOAD_BALANCER => balancer::update(p, id, old, new).await?,
            TARGET_GROUP => group::update(p, id, old, new).await?,
            _ => listener::update(p, id, old, new).await?,
        }
        apply_tags(p, ctx, id, old, new).await?;
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
            LOAD_BALANCER => balancer::delete(p, ctx, id).await,
            TARGET_GROUP => group::delete(p, ctx, id).await,
            _ => listener::delete(p, id).await,
        };
        gone_is_ok(deleted)
    }

    /// Adoption: a load balancer or target group by its unique name, a
    /// listener by its port on the load balancer (one listener per port).
    async fn find(
        &self,
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<Vec<Created>, ProviderError> {
        let elb = p.elbv2().await?;
        let ids: Vec<String> = match ctx.token.as_str() {
            LOAD_BALANCER => {
                let name = required_str(inputs, "name")?;
                let out = found(p.call(|| elb.describe_load_balancers().names(name).send()).await)?;
                out.iter()
                    .flat_map(|o| o.load_balancers())
                    .filter_map(|lb| lb.load_balancer_arn().map(str::to_string))
                    .collect()
            }
            TARGET_GROUP => {
                let name = required_str(inputs, "name")?;
                let out = found(p.call(|| elb.describe_target_groups().names(name).send()).await)?;
                out.iter()
                    .flat_map(|o| o.target_groups())
                    .filter_map(|g| g.target_group_arn().map(str::to_string))
                    .collect()
            }
            _ => {
                let lb = required_str(inputs, "loadBalancerArn")?;
                let port = optional_i32(inputs, "port")?;
                let out = found(p.call(|| elb.describe_listeners().load_balancer_arn(lb).send()).await)?;
                out.iter()
                    .flat_map(|o| o.listeners())
                    .filter(|l| port.is_none() || l.port() == port)
                    .filter_map(|l| l.listener_arn().map(str::to_string))
                    .collect()
            }
        };
        read_each(self, p, ctx, ids).await
    }
}

// ---------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------

fn sdk_tags(pairs: &[(String, String)]) -> Vec<Tag> {
    pairs.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

/// The tags on `arn` (DescribeTags answers for any ELBv2 ARN).
async fn read_tags(p: &AwsProvider, arn: &str) -> Result<Vec<(String, String)>, ProviderError> {
    let elb = p.elbv2().await?;
    let out = p.call(|| elb.describe_tags().resource_arns(arn).send()).await?;
    Ok(out
        .tag_descriptions()
        .iter()
        .filter(|d| d.resource_arn() == Some(arn))
        .flat_map(|d| d.tags())
        .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string())))
        .collect())
}

async fn apply_tags(
    p: &AwsProvider,
    ctx: &CallContext,
    arn: &str,
    old: &PropertyMap,
    new: &PropertyMap,
) -> Result<(), ProviderError> {
    let changes = tag_changes(ctx, old, new)?;
    let elb = p.elbv2().await?;
    if !changes.remove.is_empty() {
        let keys = changes.remove.clone();
        p.call(|| elb.remove_tags().resource_arns(arn).set_tag_keys(Some(keys.clone())).send()).await?;
    }
    if !changes.set.is_empty() {
        let tags = sdk_tags(&changes.set);
        p.call(|| elb.add_tags().resource_arns(arn).set_tags(Some(tags.clone())).send()).await?;
    }
    Ok(())
}

/// How a pulumi-aws input maps to an ELBv2 attribute.
#[derive(Clone, Copy)]
enum Attr {
    Bool,
    Int,
    Str,
}

/// The attribute value for `input` in `inputs`, as ELBv2 takes it (strings).
fn attribute_value(inputs: &PropertyMap, input: &str, kind: Attr) -> Result<Option<String>, ProviderError> {
    Ok(match kind {
        Attr::Bool => optional_bool(inputs, input)?.map(|b| b.to_string()),
        Attr::Int => optional_i32(inputs, input)?.map(|n| n.to_string()),
        Attr::Str => optional_str(inputs, input)?.map(str::to_string),
    })
}

/// The output for an attribute value AWS reported.
fn attribute_output(value: &str, kind: Attr) -> Option<Value> {
    match kind {
        Attr::Bool => value.parse::<bool>().ok().map(Value::Bool),
        Attr::Int => value.parse::<i64>().ok().map(Value::from),
        Attr::Str => Some(Value::from(value)),
    }
}

/// `(key, value)` pairs for the mapped attributes set in `inputs` (all of
/// them) or, with `old`, only those whose input changed.
fn attribute_changes(
    table: &[(&str, &str, Attr)],
    inputs: &PropertyMap,
    old: Option<&PropertyMap>,
) -> Result<Vec<(String, String)>, ProviderError> {
    let mut out = Vec::new();
    for &(input, key, kind) in table {
        if old.is_some_and(|old| !changed(old, inputs, input)) {
            continue;
        }
        if let Some(v) = attribute_value(inputs, input, kind)? {
            out.push((key.to_string(), v));
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Load balancer
// ---------------------------------------------------------------------------

mod balancer {
    use super::*;

    pub(super) const SUPPORTED: &[&str] = &[
        "accessLogs",
        "clientKeepAlive",
        "desyncMitigationMode",
        "dropInvalidHeaderFields",
        "enableCrossZoneLoadBalancing",
        "enableDeletionProtection",
        "enableHttp2",
        "enableWafFailOpen",
        "idleTimeout",
        "internal",
        "ipAddressType",
        "loadBalancerType",
        "name",
        "preserveHostHeader",
        "region",
        "securityGroups",
        "subnets",
        "tags",
        "xffHeaderProcessingMode",
    ];

    /// Inputs kept as load balancer attributes.
    const ATTRIBUTES: &[(&str, &str, Attr)] = &[
        ("enableDeletionProtection", "deletion_protection.enabled", Attr::Bool),
        ("dropInvalidHeaderFields", "routing.http.drop_invalid_header_fields.enabled", Attr::Bool),
        ("idleTimeout", "idle_timeout.timeout_seconds", Attr::Int),
        ("enableHttp2", "routing.http2.enabled", Attr::Bool),
        ("enableCrossZoneLoadBalancing", "load_balancing.cross_zone.enabled", Attr::Bool),
        ("desyncMitigationMode", "routing.http.desync_mitigation_mode", Attr::Str),
        ("preserveHostHeader", "routing.http.preserve_host_header.enabled", Attr::Bool),
        ("xffHeaderProcessingMode", "routing.http.xff_header_processing.mode", Attr::Str),
        ("enableWafFailOpen", "waf.fail_open.enabled", Attr::Bool),
        ("clientKeepAlive", "client_keep_alive.seconds", Attr::Int),
    ];

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        match known(inputs, "name").and_then(Value::as_str) {
            Some(name) => check_name("name", name)?,
            None if !inputs.contains_key("name") => return Err(ProviderError::invalid("name is required")),
            None => {}
        }
        if let Some(t) = known(inputs, "loadBalancerType").and_then(Value::as_str) {
            if !matches!(t, "application" | "network" | "gateway") {
                return Err(ProviderError::invalid(format!(
                    "loadBalancerType must be application, network or gateway, got {t:?}"
                )));
            }
        }
        if let Some(t) = known(inputs, "idleTimeout").and_then(Value::as_f64) {
            if !(1.0..=4000.0).contains(&t) {
                return Err(ProviderError::invalid(format!("idleTimeout must be 1 to 4000 seconds, got {t}")));
            }
        }
        if let Some(logs) = known(inputs, "accessLogs") {
            let logs = logs.as_object().ok_or_else(|| ProviderError::invalid("input accessLogs must be a map"))?;
            if let Some(extra) = logs.keys().find(|k| !matches!(k.as_str(), "bucket" | "prefix" | "enabled")) {
                return Err(ProviderError::invalid(format!("accessLogs.{extra} is not an access log setting")));
            }
            if !logs.contains_key("bucket") {
                return Err(ProviderError::invalid("accessLogs.bucket is required"));
            }
            let enabled = optional_bool(logs, "enabled").map_err(nested("accessLogs"))?;
            let bucket = optional_str(logs, "bucket").map_err(nested("accessLogs"))?;
            if enabled == Some(true) && bucket.is_some_and(str::is_empty) {
                return Err(ProviderError::invalid("accessLogs: logging needs a bucket"));
            }
            let prefix = optional_str(logs, "prefix").map_err(nested("accessLogs"))?;
            if prefix.is_some_and(|p| p.starts_with('/') || p.contains("AWSLogs")) {
                return Err(ProviderError::invalid("accessLogs.prefix must not start with / or contain AWSLogs"));
            }
        }
        Ok(())
    }

    /// The `access_logs.s3.*` attributes for the `accessLogs` input; with no
    /// block, logging off.
    fn access_log_attributes(inputs: &PropertyMap) -> Result<Vec<(String, String)>, ProviderError> {
        let Some(logs) = optional_object(inputs, "accessLogs")? else {
            return Ok(vec![("access_logs.s3.enabled".into(), "false".into())]);
        };
        let get = |k: &str| optional_str(logs, k).map(|v| v.unwrap_or_default().to_string());
        let enabled = optional_bool(logs, "enabled")?.unwrap_or(false);
        Ok(vec![
            ("access_logs.s3.enabled".into(), enabled.to_string()),
            ("access_logs.s3.bucket".into(), get("bucket")?),
            ("access_logs.s3.prefix".into(), get("prefix")?),
        ])
    }

    /// The `accessLogs` output from the attributes AWS reports.
    fn access_logs_output(attrs: &[LoadBalancerAttribute]) -> Option<Value> {
        let get = |key: &str| attrs.iter().find(|a| a.key() == Some(key)).and_then(|a| a.value()).unwrap_or_default();
        let enabled = get("access_logs.s3.enabled") == "true";
        let bucket = get("access_logs.s3.bucket");
        (enabled || !bucket.is_empty()).then(|| {
            Value::object([
                ("bucket", Value::from(bucket)),
                ("prefix", Value::from(get("access_logs.s3.prefix"))),
                ("enabled", Value::Bool(enabled)),
            ])
        })
    }

    /// ELB names: 1–32 alphanumerics and hyphens, no hyphen at either end,
    /// not starting with `internal-`.
    pub(super) fn check_name(what: &str, name: &str) -> Result<(), ProviderError> {
        let ok = !name.is_empty()
            && name.len() <= 32
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !name.starts_with('-')
            && !name.ends_with('-');
        if !ok {
            return Err(ProviderError::invalid(format!(
                "{what} {name:?} must be 1 to 32 letters, digits and hyphens, not starting or ending with a hyphen"
            )));
        }
        if what == "name" && name.starts_with("internal-") {
            return Err(ProviderError::invalid(format!("name {name:?} must not start with internal-")));
        }
        Ok(())
    }

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let elb = p.elbv2().await?;
        let name = required_str(inputs, "name")?;
        let subnets = optional_str_list(inputs, "subnets")?;
        let groups = optional_str_list(inputs, "securityGroups")?;
        let scheme = optional_bool(inputs, "internal")?.map(|internal| {
            if internal {
                LoadBalancerSchemeEnum::Internal
            } else {
                LoadBalancerSchemeEnum::InternetFacing
            }
        });
        let kind = optional_str(inputs, "loadBalancerType")?.map(LoadBalancerTypeEnum::from);
        let ip_type = optional_str(inputs, "ipAddressType")?.map(IpAddressType::from);
        let tags = sdk_tags(&tags_for_create(ctx, inputs)?);
        // Subnets and groups made moments ago may not be visible to ELB yet.
        let out = p
            .call_tolerating(window(p, ctx), &["SubnetNotFound", "InvalidSecurityGroup", "InvalidSubnet"], || {
                elb.create_load_balancer()
                    .name(name)
                    .set_subnets(subnets.clone())
                    .set_security_groups(groups.clone())
                    .set_scheme(scheme.clone())
                    .set_type(kind.clone())
                    .set_ip_address_type(ip_type.clone())
                    .set_tags(Some(tags.clone()))
                    .send()
            })
            .await?;
        let arn = out
            .load_balancers()
            .first()
            .and_then(|lb| lb.load_balancer_arn())
            .map(str::to_string)
            .ok_or_else(|| missing_field("CreateLoadBalancer", "LoadBalancers[0].LoadBalancerArn"))?;
        let within = limit(ctx, minutes(10));
        let what = format!("load balancer {arn} to be active");
        elb.wait_until_load_balancer_available()
            .load_balancer_arns(&arn)
            .wait(within)
            .await
            .map_err(|e| waiter_error(&what, e))
            .map_err(after_create(&arn, "waiting for it to be active"))?;
        let mut attributes = attribute_changes(ATTRIBUTES, inputs, None)?;
        if inputs.get("accessLogs").is_some_and(|v| !v.is_null()) {
            attributes.extend(access_log_attributes(inputs)?);
        }
        set_attributes(p, &arn, attributes).await.map_err(after_create(&arn, "setting its attributes"))?;
        Ok(arn)
    }

    async fn set_attributes(
        p: &AwsProvider,
        arn: &str,
        attributes: Vec<(String, String)>,
    ) -> Result<(), ProviderError> {
        if attributes.is_empty() {
            return Ok(());
        }
        let elb = p.elbv2().await?;
        let attrs: Vec<LoadBalancerAttribute> =
            attributes.iter().map(|(k, v)| LoadBalancerAttribute::builder().key(k).value(v).build()).collect();
        p.call(|| {
            elb.modify_load_balancer_attributes().load_balancer_arn(arn).set_attributes(Some(attrs.clone())).send()
        })
        .await?;
        Ok(())
    }

    /// `app/<name>/<hex>` from `…:loadbalancer/app/<name>/<hex>`: the
    /// `LoadBalancer` dimension of CloudWatch metrics.
    pub(super) fn arn_suffix(arn: &str) -> &str {
        arn.split_once(":loadbalancer/").map_or(arn, |(_, suffix)| suffix)
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let elb = p.elbv2().await?;
        let out = p.call(|| elb.describe_load_balancers().load_balancer_arns(id).send()).await?;
        let Some(lb) = out.load_balancers().iter().find(|lb| lb.load_balancer_arn() == Some(id)) else {
            return Ok(None);
        };
        let attrs = p.call(|| elb.describe_load_balancer_attributes().load_balancer_arn(id).send()).await?;
        let subnets: Vec<String> =
            lb.availability_zones().iter().filter_map(|z| z.subnet_id().map(str::to_string)).collect();
        let mut o = Outputs::new(id, p.region().await?)
            .string("arn", Some(id))
            .string("arnSuffix", Some(arn_suffix(id)))
            .string("name", lb.load_balancer_name())
            .string("dnsName", lb.dns_name())
            .string("zoneId", lb.canonical_hosted_zone_id())
            .bool("internal", lb.scheme().map(|s| *s == LoadBalancerSchemeEnum::Internal))
            .string("loadBalancerType", lb.r#type().map(|t| t.as_str()))
            .string("ipAddressType", lb.ip_address_type().map(|t| t.as_str()))
            .string("vpcId", lb.vpc_id())
            .value("securityGroups", string_list(lb.security_groups()))
            .value("subnets", string_list(&subnets));
        for a in attrs.attributes() {
            let (Some(key), Some(value)) = (a.key(), a.value()) else { continue };
            if let Some(&(input, _, kind)) = ATTRIBUTES.iter().find(|(_, k, _)| *k == key) {
                if let Some(v) = attribute_output(value, kind) {
                    o = o.value(input, v);
                }
            }
        }
        if let Some(logs) = access_logs_output(attrs.attributes()) {
            o = o.value("accessLogs", logs);
        }
        Ok(Some(o.tags(read_tags(p, id).await?).build()))
    }

    pub(super) async fn update(
        p: &AwsProvider,
        id: &str,
        old: &PropertyMap,
        new: &PropertyMap,
    ) -> Result<(), ProviderError> {
        let elb = p.elbv2().await?;
        if changed(old, new, "securityGroups") {
            let groups = optional_str_list(new, "securityGroups")?.unwrap_or_default();
            p.call(|| elb.set_security_groups().load_balancer_arn(id).set_security_groups(Some(groups.clone())).send())
                .await?;
        }
        if changed(old, new, "subnets") {
            if let Some(subnets) = optional_str_list(new, "subnets")? {
                p.call(|| elb.set_subnets().load_balancer_arn(id).set_subnets(Some(subnets.clone())).send()).await?;
            }
        }
        if changed(old, new, "ipAddressType") {
            if let Some(t) = optional_str(new, "ipAddressType")? {
                p.call(|| {
                    elb.set_ip_address_type().load_balancer_arn(id).ip_address_type(IpAddressType::from(t)).send()
                })
                .await?;
            }
        }
        let mut attributes = attribute_changes(ATTRIBUTES, new, Some(old))?;
        if changed(old, new, "accessLogs") {
            attributes.extend(access_log_attributes(new)?);
        }
        set_attributes(p, id, attributes).await
    }

    pub(super) async fn delete(p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<(), ProviderError> {
        let elb = p.elbv2().await?;
        // AWS refuses while deletion protection is on (OperationNotPermitted):
        // turning it off is the user's decision, as in pulumi-aws.
        p.call(|| elb.delete_load_balancer().load_balancer_arn(id).send()).await?;
        let what = format!("load balancer {id} to be deleted");
        p.wait_until(&what, limit(ctx, minutes(10)), || async {
            let out = found(p.call(|| elb.describe_load_balancers().load_balancer_arns(id).send()).await)?;
            Ok(match out {
                Some(out) if out.load_balancers().iter().any(|lb| lb.load_balancer_arn() == Some(id)) => None,
                _ => Some(()),
            })
        })
        .await
    }
}

// ---------------------------------------------------------------------------
// Target group
// ---------------------------------------------------------------------------

mod group {
    use super::*;

    pub(super) const SUPPORTED: &[&str] = &[
        "deregistrationDelay",
        "healthCheck",
        "ipAddressType",
        "loadBalancingAlgorithmType",
        "name",
        "port",
        "protocol",
        "protocolVersion",
        "region",
        "slowStart",
        "tags",
        "targetType",
        "vpcId",
    ];

    /// Inputs kept as target group attributes.
    const ATTRIBUTES: &[(&str, &str, Attr)] = &[
        ("deregistrationDelay", "deregistration_delay.timeout_seconds", Attr::Int),
        ("slowStart", "slow_start.duration_seconds", Attr::Int),
        ("loadBalancingAlgorithmType", "load_balancing.algorithm.type", Attr::Str),
    ];

    const HEALTH_CHECK: &[&str] = &[
        "enabled",
        "healthyThreshold",
        "interval",
        "matcher",
        "path",
        "port",
        "protocol",
        "timeout",
        "unhealthyThreshold",
    ];

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        match known(inputs, "name").and_then(Value::as_str) {
            Some(name) => balancer::check_name("target group name", name)?,
            None if !inputs.contains_key("name") => return Err(ProviderError::invalid("name is required")),
            None => {}
        }
        if let Some(delay) = known(inputs, "deregistrationDelay").and_then(Value::as_f64) {
            if !(0.0..=3600.0).contains(&delay) {
                return Err(ProviderError::invalid(format!(
                    "deregistrationDelay must be 0 to 3600 seconds, got {delay}"
                )));
            }
        }
        if let Some(hc) = known(inputs, "healthCheck") {
            let hc = hc.as_object().ok_or_else(|| ProviderError::invalid("healthCheck must be a map"))?;
            if let Some(k) = hc.keys().find(|k| !HEALTH_CHECK.contains(&k.as_str())) {
                return Err(ProviderError::invalid(format!("healthCheck.{k} is not a health check setting")));
            }
        }
        Ok(())
    }

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let elb = p.elbv2().await?;
        let name = required_str(inputs, "name")?;
        let port = optional_i32(inputs, "port")?;
        let protocol = optional_str(inputs, "protocol")?.map(ProtocolEnum::from);
        let version = optional_str(inputs, "protocolVersion")?.map(str::to_string);
        let vpc = optional_str(inputs, "vpcId")?.map(str::to_string);
        let target_type = optional_str(inputs, "targetType")?.map(TargetTypeEnum::from);
        let ip_type = optional_str(inputs, "ipAddressType")?.map(TargetGroupIpAddressTypeEnum::from);
        let hc = optional_object(inputs, "healthCheck")?;
        let field =
            |k: &str| hc.map(|hc| optional_i32(hc, k).map_err(nested("healthCheck"))).transpose().map(Option::flatten);
        let text =
            |k: &str| hc.map(|hc| optional_str(hc, k).map_err(nested("healthCheck"))).transpose().map(Option::flatten);
        let enabled = hc.map(|hc| optional_bool(hc, "enabled").map_err(nested("healthCheck"))).transpose()?.flatten();
        let (interval, timeout, healthy, unhealthy) =
            (field("interval")?, field("timeout")?, field("healthyThreshold")?, field("unhealthyThreshold")?);
        let (path, hc_port, hc_protocol, matcher) = (text("path")?, text("port")?, text("protocol")?, text("matcher")?);
        let tags = sdk_tags(&tags_for_create(ctx, inputs)?);
        let out = p
            .call_tolerating(window(p, ctx), &["InvalidVpcID*", "VpcNotFound"], || {
                elb.create_target_group()
                    .name(name)
                    .set_port(port)
                    .set_protocol(protocol.clone())
                    .set_protocol_version(version.clone())
                    .set_vpc_id(vpc.clone())
                    .set_target_type(target_type.clone())
                    .set_ip_address_type(ip_type.clone())
                    .set_health_check_enabled(enabled)
                    .set_health_check_path(path.map(str::to_string))
                    .set_health_check_port(hc_port.map(str::to_string))
                    .set_health_check_protocol(hc_protocol.map(ProtocolEnum::from))
                    .set_health_check_interval_seconds(interval)
                    .set_health_check_timeout_seconds(timeout)
                    .set_healthy_threshold_count(healthy)
                    .set_unhealthy_threshold_count(unhealthy)
                    .set_matcher(matcher.map(|m| Matcher::builder().http_code(m).build()))
                    .set_tags(Some(tags.clone()))
                    .send()
            })
            .await?;
        let arn = out
            .target_groups()
            .first()
            .and_then(|g| g.target_group_arn())
            .map(str::to_string)
            .ok_or_else(|| missing_field("CreateTargetGroup", "TargetGroups[0].TargetGroupArn"))?;
        let attributes = attribute_changes(ATTRIBUTES, inputs, None)?;
        set_attributes(p, &arn, attributes).await.map_err(after_create(&arn, "setting its attributes"))?;
        Ok(arn)
    }

    async fn set_attributes(
        p: &AwsProvider,
        arn: &str,
        attributes: Vec<(String, String)>,
    ) -> Result<(), ProviderError> {
        if attributes.is_empty() {
            return Ok(());
        }
        let elb = p.elbv2().await?;
        let attrs: Vec<TargetGroupAttribute> =
            attributes.iter().map(|(k, v)| TargetGroupAttribute::builder().key(k).value(v).build()).collect();
        p.call(|| {
            elb.modify_target_group_attributes().target_group_arn(arn).set_attributes(Some(attrs.clone())).send()
        })
        .await?;
        Ok(())
    }

    /// `targetgroup/<name>/<hex>`: the `TargetGroup` dimension of CloudWatch metrics.
    pub(super) fn arn_suffix(arn: &str) -> &str {
        arn.rsplit_once(':').map_or(arn, |(_, suffix)| suffix)
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let elb = p.elbv2().await?;
        let out = p.call(|| elb.describe_target_groups().target_group_arns(id).send()).await?;
        let Some(g) = out.target_groups().iter().find(|g| g.target_group_arn() == Some(id)) else { return Ok(None) };
        let attrs = p.call(|| elb.describe_target_group_attributes().target_group_arn(id).send()).await?;
        let mut hc = PropertyMap::new();
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                hc.insert(k.into(), v);
            }
        };
        put("enabled", g.health_check_enabled().map(Value::Bool));
        put("path", g.health_check_path().map(Value::from));
        put("port", g.health_check_port().map(Value::from));
        put("protocol", g.health_check_protocol().map(|p| Value::from(p.as_str())));
        put("matcher", g.matcher().and_then(|m| m.http_code().or(m.grpc_code())).map(Value::from));
        put("interval", g.health_check_interval_seconds().map(Value::from));
        put("timeout", g.health_check_timeout_seconds().map(Value::from));
        put("healthyThreshold", g.healthy_threshold_count().map(Value::from));
        put("unhealthyThreshold", g.unhealthy_threshold_count().map(Value::from));
        let mut o = Outputs::new(id, p.region().await?)
            .string("arn", Some(id))
            .string("arnSuffix", Some(arn_suffix(id)))
            .string("name", g.target_group_name())
            .int("port", g.port().map(i64::from))
            .string("protocol", g.protocol().map(|p| p.as_str()))
            .string("protocolVersion", g.protocol_version())
            .string("targetType", g.target_type().map(|t| t.as_str()))
            .string("ipAddressType", g.ip_address_type().map(|t| t.as_str()))
            .string("vpcId", g.vpc_id())
            .value("healthCheck", Value::Object(hc));
        for a in attrs.attributes() {
            let (Some(key), Some(value)) = (a.key(), a.value()) else { continue };
            if let Some(&(input, _, kind)) = ATTRIBUTES.iter().find(|(_, k, _)| *k == key) {
                if let Some(v) = attribute_output(value, kind) {
                    o = o.value(input, v);
                }
            }
        }
        Ok(Some(o.tags(read_tags(p, id).await?).build()))
    }

    pub(super) async fn update(
        p: &AwsProvider,
        id: &str,
        old: &PropertyMap,
        new: &PropertyMap,
    ) -> Result<(), ProviderError> {
        let elb = p.elbv2().await?;
        if changed(old, new, "healthCheck") {
            if let Some(hc) = optional_object(new, "healthCheck")? {
                let int = |k: &str| optional_i32(hc, k).map_err(nested("healthCheck"));
                let text = |k: &str| optional_str(hc, k).map_err(nested("healthCheck")).map(|s| s.map(str::to_string));
                let request = elb
                    .modify_target_group()
                    .target_group_arn(id)
                    .set_health_check_enabled(optional_bool(hc, "enabled").map_err(nested("healthCheck"))?)
                    .set_health_check_path(text("path")?)
                    .set_health_check_port(text("port")?)
                    .set_health_check_protocol(text("protocol")?.map(|p| ProtocolEnum::from(p.as_str())))
                    .set_health_check_interval_seconds(int("interval")?)
                    .set_health_check_timeout_seconds(int("timeout")?)
                    .set_healthy_threshold_count(int("healthyThreshold")?)
                    .set_unhealthy_threshold_count(int("unhealthyThreshold")?)
                    .set_matcher(text("matcher")?.map(|m| Matcher::builder().http_code(m).build()));
                p.call(|| request.clone().send()).await?;
            }
        }
        set_attributes(p, id, attribute_changes(ATTRIBUTES, new, Some(old))?).await
    }

    pub(super) async fn delete(p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<(), ProviderError> {
        let elb = p.elbv2().await?;
        // A listener or rule deleted a moment ago can still hold the group.
        p.call_tolerating(limit(ctx, minutes(2)), &["ResourceInUse"], || {
            elb.delete_target_group().target_group_arn(id).send()
        })
        .await?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Listener
// ---------------------------------------------------------------------------

mod listener {
    use super::*;

    pub(super) const SUPPORTED: &[&str] = &[
        "alpnPolicy",
        "certificateArn",
        "defaultActions",
        "loadBalancerArn",
        "port",
        "protocol",
        "region",
        "sslPolicy",
        "tags",
    ];

    const ACTION_KEYS: &[&str] = &["fixedResponse", "forward", "order", "redirect", "targetGroupArn", "type"];

    /// The shape of `defaultActions` is checked even while target group ARNs
    /// are still unknown (at preview); the full conversion once all is known.
    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        let Some(actions) = inputs.get("defaultActions").filter(|v| !v.is_null() && !matches!(v, Value::Unknown))
        else {
            return Ok(());
        };
        let list = actions.as_array().ok_or_else(|| ProviderError::invalid("defaultActions must be a list"))?;
        if list.is_empty() {
            return Err(ProviderError::invalid("defaultActions needs at least one action"));
        }
        for (i, a) in list.iter().enumerate().filter(|(_, a)| !matches!(a, Value::Unknown)) {
            let a =
                a.as_object().ok_or_else(|| ProviderError::invalid(format!("defaultActions[{i}] must be a map")))?;
            if let Some(k) = a.iter().find(|(k, v)| !v.is_null() && !ACTION_KEYS.contains(&k.as_str())).map(|(k, _)| k)
            {
                return Err(ProviderError::invalid(format!("defaultActions[{i}].{k} is not implemented by tapctl")));
            }
            match a.get("type") {
                Some(Value::Unknown) => {}
                Some(t) => match t.as_str() {
                    Some("forward") => {
                        let has_group = a.get("targetGroupArn").is_some_and(|v| !v.is_null());
                        let has_forward = a.get("forward").is_some_and(|v| !v.is_null());
                        if !has_group && !has_forward {
                            return Err(ProviderError::invalid(format!(
                                "defaultActions[{i}]: a forward action needs targetGroupArn or forward"
                            )));
                        }
                    }
                    Some("fixed-response") | Some("redirect") => {}
                    Some(other) => {
                        return Err(ProviderError::invalid(format!(
                            "defaultActions[{i}].type {other:?} is not implemented (forward, fixed-response, redirect)"
                        )))
                    }
                    None => return Err(ProviderError::invalid(format!("defaultActions[{i}].type must be a string"))),
                },
                None => return Err(ProviderError::invalid(format!("defaultActions[{i}].type is required"))),
            }
        }
        if known(inputs, "defaultActions").is_some() {
            self::actions(inputs)?;
        }
        Ok(())
    }

    /// The `defaultActions` input as ELBv2 actions.
    fn actions(inputs: &PropertyMap) -> Result<Vec<Action>, ProviderError> {
        object_list(inputs, "defaultActions")?
            .into_iter()
            .enumerate()
            .map(|(i, a)| {
                let path = format!("defaultActions[{i}]");
                let kind = required_str(a, "type").map_err(nested(&path))?;
                let mut b = Action::builder()
                    .r#type(ActionTypeEnum::from(kind))
                    .set_order(optional_i32(a, "order").map_err(nested(&path))?)
                    .set_target_group_arn(
                        optional_str(a, "targetGroupArn").map_err(nested(&path))?.map(str::to_string),
                    );
                if let Some(f) = optional_object(a, "forward").map_err(nested(&path))? {
                    let fpath = format!("{path}.forward");
                    let groups = object_list(f, "targetGroups")
                        .map_err(nested(&fpath))?
                        .into_iter()
                        .map(|g| {
                            Ok(TargetGroupTuple::builder()
                                .target_group_arn(
                                    required_str(g, "arn").map_err(nested(&format!("{fpath}.targetGroups[]")))?,
                                )
                                .set_weight(
                                    optional_i32(g, "weight").map_err(nested(&format!("{fpath}.targetGroups[]")))?,
                                )
                                .build())
                        })
                        .collect::<Result<Vec<_>, ProviderError>>()?;
                    let stickiness = optional_object(f, "stickiness")
                        .map_err(nested(&fpath))?
                        .map(|s| -> Result<_, ProviderError> {
                            let spath = format!("{fpath}.stickiness");
                            Ok(TargetGroupStickinessConfig::builder()
                                .set_enabled(optional_bool(s, "enabled").map_err(nested(&spath))?)
                                .set_duration_seconds(optional_i32(s, "duration").map_err(nested(&spath))?)
                                .build())
                        })
                        .transpose()?;
                    b = b.forward_config(
                        ForwardActionConfig::builder()
                            .set_target_groups(Some(groups))
                            .set_target_group_stickiness_config(stickiness)
                            .build(),
                    );
                }
                if let Some(f) = optional_object(a, "fixedResponse").map_err(nested(&path))? {
                    let fpath = format!("{path}.fixedResponse");
                    b = b.fixed_response_config(
                        FixedResponseActionConfig::builder()
                            .status_code(required_str(f, "statusCode").map_err(nested(&fpath))?)
                            .set_content_type(
                                optional_str(f, "contentType").map_err(nested(&fpath))?.map(str::to_string),
                            )
                            .set_message_body(
                                optional_str(f, "messageBody").map_err(nested(&fpath))?.map(str::to_string),
                            )
                            .build(),
                    );
                }
                if let Some(r) = optional_object(a, "redirect").map_err(nested(&path))? {
                    let rpath = format!("{path}.redirect");
                    let text = |k: &str| optional_str(r, k).map_err(nested(&rpath)).map(|s| s.map(str::to_string));
                    b = b.redirect_config(
                        RedirectActionConfig::builder()
                            .status_code(RedirectActionStatusCodeEnum::from(
                                required_str(r, "statusCode").map_err(nested(&rpath))?,
                            ))
                            .set_host(text("host")?)
                            .set_path(text("path")?)
                            .set_port(text("port")?)
                            .set_protocol(text("protocol")?)
                            .set_query(text("query")?)
                            .build(),
                    );
                }
                Ok(b.build())
            })
            .collect()
    }

    /// An action as pulumi-aws shows it.
    fn action_output(a: &Action) -> Value {
        let mut m = PropertyMap::new();
        if let Some(t) = a.r#type() {
            m.insert("type".into(), Value::from(t.as_str()));
        }
        if let Some(order) = a.order() {
            m.insert("order".into(), Value::from(order));
        }
        if let Some(arn) = a.target_group_arn() {
            m.insert("targetGroupArn".into(), Value::from(arn));
        }
        if let Some(f) = a.forward_config() {
            let groups: Vec<Value> = f
                .target_groups()
                .iter()
                .map(|g| {
                    let mut t = PropertyMap::new();
                    if let Some(arn) = g.target_group_arn() {
                        t.insert("arn".into(), Value::from(arn));
                    }
                    if let Some(w) = g.weight() {
                        t.insert("weight".into(), Value::from(w));
                    }
                    Value::Object(t)
                })
                .collect();
            let mut fwd = PropertyMap::new();
            fwd.insert("targetGroups".into(), Value::Array(groups));
            if let Some(s) = f.target_group_stickiness_config() {
                let mut st = PropertyMap::new();
                if let Some(e) = s.enabled() {
                    st.insert("enabled".into(), Value::Bool(e));
                }
                if let Some(d) = s.duration_seconds() {
                    st.insert("duration".into(), Value::from(d));
                }
                fwd.insert("stickiness".into(), Value::Object(st));
            }
            m.insert("forward".into(), Value::Object(fwd));
        }
        if let Some(f) = a.fixed_response_config() {
            let mut fr = PropertyMap::new();
            for (k, v) in
                [("statusCode", f.status_code()), ("contentType", f.content_type()), ("messageBody", f.message_body())]
            {
                if let Some(v) = v {
                    fr.insert(k.into(), Value::from(v));
                }
            }
            m.insert("fixedResponse".into(), Value::Object(fr));
        }
        if let Some(r) = a.redirect_config() {
            let mut rd = PropertyMap::new();
            for (k, v) in [
                ("host", r.host()),
                ("path", r.path()),
                ("port", r.port()),
                ("protocol", r.protocol()),
                ("query", r.query()),
            ] {
                if let Some(v) = v {
                    rd.insert(k.into(), Value::from(v));
                }
            }
            if let Some(code) = r.status_code() {
                rd.insert("statusCode".into(), Value::from(code.as_str()));
            }
            m.insert("redirect".into(), Value::Object(rd));
        }
        Value::Object(m)
    }

    fn certificates(inputs: &PropertyMap) -> Result<Option<Vec<Certificate>>, ProviderError> {
        Ok(optional_str(inputs, "certificateArn")?.map(|arn| vec![Certificate::builder().certificate_arn(arn).build()]))
    }

    fn alpn(inputs: &PropertyMap) -> Result<Option<Vec<String>>, ProviderError> {
        Ok(optional_str(inputs, "alpnPolicy")?.map(|a| vec![a.to_string()]))
    }

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let elb = p.elbv2().await?;
        let lb = required_str(inputs, "loadBalancerArn")?;
        let port = optional_i32(inputs, "port")?;
        let protocol = optional_str(inputs, "protocol")?.map(ProtocolEnum::from);
        let ssl = optional_str(inputs, "sslPolicy")?.map(str::to_string);
        let certs = certificates(inputs)?;
        let alpn = alpn(inputs)?;
        let actions = actions(inputs)?;
        let tags = sdk_tags(&tags_for_create(ctx, inputs)?);
        // Target groups made moments ago may not be visible yet.
        let out = p
            .call_tolerating(window(p, ctx), &["TargetGroupNotFound", "LoadBalancerNotFound"], || {
                elb.create_listener()
                    .load_balancer_arn(lb)
                    .set_port(port)
                    .set_protocol(protocol.clone())
                    .set_ssl_policy(ssl.clone())
                    .set_certificates(certs.clone())
                    .set_alpn_policy(alpn.clone())
                    .set_default_actions(Some(actions.clone()))
                    .set_tags(Some(tags.clone()))
                    .send()
            })
            .await?;
        out.listeners()
            .first()
            .and_then(|l| l.listener_arn())
            .map(str::to_string)
            .ok_or_else(|| missing_field("CreateListener", "Listeners[0].ListenerArn"))
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let elb = p.elbv2().await?;
        let out = p.call(|| elb.describe_listeners().listener_arns(id).send()).await?;
        let Some(l) = out.listeners().iter().find(|l| l.listener_arn() == Some(id)) else { return Ok(None) };
        let actions: Vec<Value> = l.default_actions().iter().map(action_output).collect();
        let o = Outputs::new(id, p.region().await?)
            .string("arn", Some(id))
            .string("loadBalancerArn", l.load_balancer_arn())
            .int("port", l.port().map(i64::from))
            .string("protocol", l.protocol().map(|p| p.as_str()))
            .string("sslPolicy", l.ssl_policy())
            .string("certificateArn", l.certificates().first().and_then(|c| c.certificate_arn()))
            .string("alpnPolicy", l.alpn_policy().first().map(String::as_str))
            .value("defaultActions", Value::Array(actions));
        Ok(Some(o.tags(read_tags(p, id).await?).build()))
    }

    /// ModifyListener with what changed; weights of a forward action change
    /// here, in place, without dropping a connection.
    pub(super) async fn update(
        p: &AwsProvider,
        id: &str,
        old: &PropertyMap,
        new: &PropertyMap,
    ) -> Result<(), ProviderError> {
        let keys = ["port", "protocol", "sslPolicy", "certificateArn", "alpnPolicy", "defaultActions"];
        if !keys.iter().any(|k| changed(old, new, k)) {
            return Ok(());
        }
        let elb = p.elbv2().await?;
        let mut request = elb.modify_listener().listener_arn(id);
        if changed(old, new, "port") {
            request = request.set_port(optional_i32(new, "port")?);
        }
        if changed(old, new, "protocol") {
            request = request.set_protocol(optional_str(new, "protocol")?.map(ProtocolEnum::from));
        }
        if changed(old, new, "sslPolicy") {
            request = request.set_ssl_policy(optional_str(new, "sslPolicy")?.map(str::to_string));
        }
        if changed(old, new, "certificateArn") {
            request = request.set_certificates(certificates(new)?);
        }
        if changed(old, new, "alpnPolicy") {
            request = request.set_alpn_policy(alpn(new)?);
        }
        if changed(old, new, "defaultActions") {
            request = request.set_default_actions(Some(actions(new)?));
        }
        p.call(|| request.clone().send()).await?;
        Ok(())
    }

    pub(super) async fn delete(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
        let elb = p.elbv2().await?;
        p.call(|| elb.delete_listener().listener_arn(id).send()).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::provider::aws::map;

    #[test]
    fn arn_suffixes_are_cloudwatch_dimensions() {
        let lb = "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/tap-dev-alb/50dc6c495c0c9188";
        assert_eq!(balancer::arn_suffix(lb), "app/tap-dev-alb/50dc6c495c0c9188");
        let tg = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/tap-dev-blue-tg/6d0ecf831eec9f09";
        assert_eq!(group::arn_suffix(tg), "targetgroup/tap-dev-blue-tg/6d0ecf831eec9f09");
    }

    #[test]
    fn names_and_actions_are_checked() {
        assert!(Lb.check(LOAD_BALANCER, &map(vec![("name", "a".repeat(33).into())])).is_err());
        assert!(Lb.check(LOAD_BALANCER, &map(vec![("name", "internal-x".into())])).is_err());
        let logs = |v: Value| map(vec![("name", "alb".into()), ("accessLogs", v)]);
        assert!(Lb.check(LOAD_BALANCER, &logs(Value::object([("bucket", "logs"), ("prefix", "alb")]))).is_ok());
        assert!(Lb.check(LOAD_BALANCER, &logs(Value::object([("prefix", "alb")]))).is_err());
        assert!(Lb.check(LOAD_BALANCER, &logs(Value::object([("bucket", "logs"), ("prefix", "/alb")]))).is_err());
        let on_without_bucket = Value::object([("bucket", Value::from("")), ("enabled", Value::Bool(true))]);
        assert!(Lb.check(LOAD_BALANCER, &logs(on_without_bucket)).is_err());
        assert!(Lb.check(TARGET_GROUP, &map(vec![("name", "blue-".into())])).is_err());
        assert!(Lb
            .check(TARGET_GROUP, &map(vec![("name", "blue".into()), ("healthCheck", Value::object([("pth", "/")]))]))
            .is_err());
        let forward = |extra: Value| {
            map(vec![
                ("loadBalancerArn", "arn:lb".into()),
                (
                    "defaultActions",
                    Value::array([Value::object([("type", Value::from("forward")), ("forward", extra)])]),
                ),
            ])
        };
        let ok = Value::object([(
            "targetGroups",
            Value::array([Value::object([("arn", Value::from("arn:tg")), ("weight", Value::from(100))])]),
        )]);
        assert!(Lb.check(LISTENER, &forward(ok)).is_ok());
        let missing_arn = Value::object([("targetGroups", Value::array([Value::object([("weight", 1)])]))]);
        let e = Lb.check(LISTENER, &forward(missing_arn)).unwrap_err();
        assert!(e.message.contains("defaultActions[0].forward.targetGroups[].arn"), "{}", e.message);
        let auth = map(vec![
            ("loadBalancerArn", "arn:lb".into()),
            ("defaultActions", Value::array([Value::object([("type", "authenticate-oidc")])])),
        ]);
        assert!(Lb.check(LISTENER, &auth).is_err());
        // At preview the group ARNs are unknown: the shape is still checked.
        let unknown_arn = Value::object([(
            "targetGroups",
            Value::array([Value::object([("arn", Value::Unknown), ("weight", Value::from(100))])]),
        )]);
        assert!(Lb.check(LISTENER, &forward(unknown_arn)).is_ok());
        let mut bad_key = forward(Value::Unknown);
        if let Some(Value::Object(a)) = bad_key.get_mut("defaultActions").and_then(|v| match v {
            Value::Array(items) => items.first_mut(),
            _ => None,
        }) {
            a.insert("authenticateOidc".into(), Value::object([("issuer", "x")]));
        }
        assert!(Lb.check(LISTENER, &bad_key).unwrap_err().message.contains("authenticateOidc"));
    }
}
