//! Application Auto Scaling kinds: scalable target and scaling policy.
//!
//! Ids are pulumi-aws's: a target's is its `resourceId`
//! (`service/<cluster>/<service>`), a policy's its `name`. A read knows only
//! the id, so it finds the rest the way the ids allow:
//!
//! - a target's service namespace follows from the form of its resource id
//!   (`service/…` is ECS, `table/…` DynamoDB, …); a resource id with several
//!   scalable dimensions (a DynamoDB table's read and write capacity) cannot
//!   be told apart by id alone, and its read says so rather than guess;
//! - a policy is looked up by name in the ECS namespace first (tapctl's
//!   programs) and then in the others; a name used on several targets is
//!   reported as ambiguous for the same reason.
//!
//! `update` and `delete` get the recorded outputs, which carry namespace,
//! resource id and dimension, and use those.
//!
//! A target's tags go through the service's tagging API (tags at
//! registration, TagResource / UntagResource, ListTagsForResource). Against an
//! endpoint that does not implement that API — moto answers it with an HTML
//! error page, which AWS never does — targets still work, with a warning, and
//! their outputs leave `tags`/`tagsAll` out rather than claim there are none.

use std::collections::HashMap;
use std::future::Future;

use async_trait::async_trait;
use aws_sdk_applicationautoscaling::types::{
    MetricType, PolicyType, PredefinedMetricSpecification, ScalableDimension, ScalableTarget, ScalingPolicy,
    ServiceNamespace, SuspendedState, TargetTrackingScalingPolicyConfiguration,
};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::{
    check_kind, found, gone_is_ok, known, optional_bool, optional_i32, optional_str, read_created, read_updated,
    required_str, tag_changes, tags_for_create, AwsProvider, Outputs, Service,
};
use crate::model::{PropertyMap, Value};
use crate::provider::{CallContext, Created, ErrorKind, ProviderError};

const TARGET: &str = "aws:appautoscaling/target:Target";
const POLICY: &str = "aws:appautoscaling/policy:Policy";

/// The Application Auto Scaling service module.
pub(crate) struct AppAutoscaling;

#[async_trait]
impl Service for AppAutoscaling {
    fn tokens(&self) -> &'static [&'static str] {
        &[TARGET, POLICY]
    }

    fn check(&self, token: &str, inputs: &PropertyMap) -> Result<(), ProviderError> {
        match token {
            TARGET => check_kind(token, inputs, target::SUPPORTED, target::check),
            _ => check_kind(token, inputs, policy::SUPPORTED, policy::check),
        }
    }

    async fn create(&self, p: &AwsProvider, ctx: &CallContext, inputs: &PropertyMap) -> Result<Created, ProviderError> {
        let id = match ctx.token.as_str() {
            TARGET => target::create(p, ctx, inputs).await?,
            _ => policy::put(p, inputs).await?,
        };
        read_created(self, p, ctx, id).await
    }

    async fn read(&self, p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let read = match ctx.token.as_str() {
            TARGET => target::read(p, id).await,
            _ => policy::read(p, id).await,
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
            TARGET => target::update(p, ctx, old, new).await?,
            _ => {
                policy::put(p, new).await?;
            }
        }
        read_updated(self, p, ctx, id).await
    }

    async fn delete(
        &self,
        p: &AwsProvider,
        ctx: &CallContext,
        id: &str,
        outputs: &PropertyMap,
    ) -> Result<(), ProviderError> {
        let deleted = match ctx.token.as_str() {
            TARGET => target::delete(p, id, outputs).await,
            _ => policy::delete(p, id, outputs).await,
        };
        gone_is_ok(deleted)
    }
}

/// The service namespace a resource id belongs to, from its form (see
/// "ResourceId" in the RegisterScalableTarget reference).
fn namespace_of(resource_id: &str) -> Option<&'static str> {
    const PREFIXES: &[(&str, &str)] = &[
        ("service/", "ecs"),
        ("spot-fleet-request/", "ec2"),
        ("instancegroup/", "elasticmapreduce"),
        ("fleet/", "appstream"),
        ("table/", "dynamodb"),
        ("cluster:", "rds"),
        ("endpoint/", "sagemaker"),
        ("inference-component/", "sagemaker"),
        ("function:", "lambda"),
        ("keyspace/", "cassandra"),
        ("replication-group/", "elasticache"),
        ("cache-cluster/", "elasticache"),
        ("workspacespool/", "workspaces"),
        ("https://", "custom-resource"),
    ];
    if let Some(&(_, ns)) = PREFIXES.iter().find(|(prefix, _)| resource_id.starts_with(prefix)) {
        return Some(ns);
    }
    // ARN-shaped ids: Comprehend endpoints, MSK clusters, Neptune clusters.
    let service = resource_id.strip_prefix("arn:")?.split(':').nth(1)?;
    match service {
        "comprehend" => Some("comprehend"),
        "kafka" => Some("kafka"),
        "rds" => Some("neptune"),
        _ => None,
    }
}

/// Every namespace, the one tapctl's programs use first.
const NAMESPACES: &[&str] = &[
    "ecs",
    "dynamodb",
    "rds",
    "ec2",
    "elasticmapreduce",
    "appstream",
    "sagemaker",
    "custom-resource",
    "comprehend",
    "lambda",
    "cassandra",
    "kafka",
    "elasticache",
    "neptune",
    "workspaces",
];

/// Runs a call of the tagging API (`operation`). An endpoint that answers it
/// with an HTML page is not an implementation of that API — AWS answers JSON,
/// errors included — but an emulator without it (moto 5.2.5 answers HTTP 500
/// with an HTML page). Then `None`, with a warning, so that scaling itself
/// still works against such an endpoint; any other failure goes through the
/// usual retries and surfaces.
async fn tagging<O, E, F, Fut>(p: &AwsProvider, operation: &str, mut op: F) -> Result<Option<O>, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<O, SdkError<E, HttpResponse>>>,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match op().await {
        Ok(out) => return Ok(Some(out)),
        Err(e) if answered_html(&e) => {
            tracing::warn!(
                operation,
                "the endpoint does not implement Application Auto Scaling's tagging API; scalable target tags are not applied or read"
            );
            return Ok(None);
        }
        Err(_) => {}
    }
    p.call(op).await.map(Some)
}

/// Whether the endpoint answered with an HTML page (see [`tagging`]).
fn answered_html<E>(e: &SdkError<E, HttpResponse>) -> bool {
    e.raw_response()
        .and_then(|r| r.headers().get("content-type"))
        .is_some_and(|ct| ct.trim_start().to_ascii_lowercase().starts_with("text/html"))
}

fn out_str<'a>(outputs: &'a PropertyMap, key: &str) -> Option<&'a str> {
    outputs.get(key).and_then(Value::as_str)
}

// ---------------------------------------------------------------------------
// Scalable target
// ---------------------------------------------------------------------------

mod target {
    use super::*;

    pub(super) const SUPPORTED: &[&str] = &[
        "maxCapacity",
        "minCapacity",
        "region",
        "resourceId",
        "roleArn",
        "scalableDimension",
        "serviceNamespace",
        "suspendedState",
        "tags",
    ];

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        let number =
            |name: &str| known(inputs, name).map(|_| optional_i32(inputs, name)).transpose().map(Option::flatten);
        if let (Some(min), Some(max)) = (number("minCapacity")?, number("maxCapacity")?) {
            if min > max {
                return Err(ProviderError::invalid(format!("minCapacity {min} is above maxCapacity {max}")));
            }
        }
        if let (Some(ns), Some(rid)) = (
            known(inputs, "serviceNamespace").and_then(Value::as_str),
            known(inputs, "resourceId").and_then(Value::as_str),
        ) {
            if let Some(expected) = namespace_of(rid).filter(|e| *e != ns && !(ns == "neptune" && *e == "rds")) {
                return Err(ProviderError::invalid(format!(
                    "resourceId {rid} belongs to service namespace {expected}, not {ns}"
                )));
            }
        }
        Ok(())
    }

    fn suspended(inputs: &PropertyMap) -> Result<Option<SuspendedState>, ProviderError> {
        let Some(s) = inputs.get("suspendedState").filter(|v| !v.is_null()) else { return Ok(None) };
        let s = s.as_object().ok_or_else(|| ProviderError::invalid("input suspendedState must be a map"))?;
        Ok(Some(
            SuspendedState::builder()
                .set_dynamic_scaling_in_suspended(optional_bool(s, "dynamicScalingInSuspended")?)
                .set_dynamic_scaling_out_suspended(optional_bool(s, "dynamicScalingOutSuspended")?)
                .set_scheduled_scaling_suspended(optional_bool(s, "scheduledScalingSuspended")?)
                .build(),
        ))
    }

    /// RegisterScalableTarget: creates the target, or updates it in place.
    async fn register(
        p: &AwsProvider,
        inputs: &PropertyMap,
        tags: Option<HashMap<String, String>>,
    ) -> Result<Option<String>, ProviderError> {
        let aas = p.appautoscaling().await?;
        let ns = ServiceNamespace::from(required_str(inputs, "serviceNamespace")?);
        let rid = required_str(inputs, "resourceId")?;
        let dim = ScalableDimension::from(required_str(inputs, "scalableDimension")?);
        let min = optional_i32(inputs, "minCapacity")?;
        let max = optional_i32(inputs, "maxCapacity")?;
        let role = optional_str(inputs, "roleArn")?.map(str::to_string);
        let suspended = suspended(inputs)?;
        // The ECS service behind a target made moments ago may not be
        // visible yet: AWS says so with ValidationException, the code it also
        // uses for real mistakes, so only that message is ridden out.
        let window = p.settings().consistency_window;
        let start = std::time::Instant::now();
        loop {
            let registered = p
                .call(|| {
                    aas.register_scalable_target()
                        .service_namespace(ns.clone())
                        .resource_id(rid)
                        .scalable_dimension(dim.clone())
                        .set_min_capacity(min)
                        .set_max_capacity(max)
                        .set_role_arn(role.clone())
                        .set_suspended_state(suspended.clone())
                        .set_tags(tags.clone())
                        .send()
                })
                .await;
            match registered {
                Err(e)
                    if e.code == "ValidationException"
                        && (e.message.contains("does not exist") || e.message.contains("doesn't exist"))
                        && start.elapsed() + p.settings().poll_interval < window =>
                {
                    tokio::time::sleep(p.settings().poll_interval).await;
                }
                other => return Ok(other?.scalable_target_arn().map(str::to_string)),
            }
        }
    }

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let tags: HashMap<String, String> = tags_for_create(ctx, inputs)?.into_iter().collect();
        register(p, inputs, Some(tags)).await?;
        Ok(required_str(inputs, "resourceId")?.to_string())
    }

    /// The target with resource id `id`, `None` when there is none.
    async fn find(
        p: &AwsProvider,
        ns: &str,
        id: &str,
        dimension: Option<&str>,
    ) -> Result<Option<ScalableTarget>, ProviderError> {
        let aas = p.appautoscaling().await?;
        let out = p
            .call(|| {
                aas.describe_scalable_targets()
                    .service_namespace(ServiceNamespace::from(ns))
                    .resource_ids(id)
                    .set_scalable_dimension(dimension.map(ScalableDimension::from))
                    .send()
            })
            .await?;
        let mut matching: Vec<&ScalableTarget> =
            out.scalable_targets().iter().filter(|t| t.resource_id() == id).collect();
        if matching.len() > 1 {
            let dims: Vec<&str> = matching.iter().map(|t| t.scalable_dimension().as_str()).collect();
            return Err(ProviderError::new(
                ErrorKind::Permanent,
                "AmbiguousId",
                format!(
                    "{id} has several scalable targets ({}); a read by resource id cannot tell them apart",
                    dims.join(", ")
                ),
            ));
        }
        Ok(matching.pop().cloned())
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let ns = namespace_of(id)
            .ok_or_else(|| ProviderError::invalid(format!("cannot tell the service namespace of resource id {id}")))?;
        let Some(t) = find(p, ns, id, None).await? else { return Ok(None) };
        let mut o = Outputs::new(id, p.region().await?)
            .string("arn", t.scalable_target_arn())
            .string("resourceId", Some(t.resource_id()))
            .string("serviceNamespace", Some(t.service_namespace().as_str()))
            .string("scalableDimension", Some(t.scalable_dimension().as_str()))
            .int("minCapacity", Some(i64::from(t.min_capacity())))
            .int("maxCapacity", Some(i64::from(t.max_capacity())))
            .string("roleArn", Some(t.role_arn()).filter(|r| !r.is_empty()));
        if let Some(s) = t.suspended_state() {
            let mut m = PropertyMap::new();
            for (k, v) in [
                ("dynamicScalingInSuspended", s.dynamic_scaling_in_suspended()),
                ("dynamicScalingOutSuspended", s.dynamic_scaling_out_suspended()),
                ("scheduledScalingSuspended", s.scheduled_scaling_suspended()),
            ] {
                if let Some(v) = v {
                    m.insert(k.into(), Value::Bool(v));
                }
            }
            o = o.value("suspendedState", Value::Object(m));
        }
        if let Some(arn) = t.scalable_target_arn() {
            let aas = p.appautoscaling().await?;
            let listed =
                tagging(p, "ListTagsForResource", || aas.list_tags_for_resource().resource_arn(arn).send()).await?;
            // Without the tagging API the tags are unknown: left out, not
            // reported as none.
            if let Some(out) = listed {
                o = o.tags(out.tags().cloned().unwrap_or_default());
            }
        }
        Ok(Some(o.build()))
    }

    pub(super) async fn update(
        p: &AwsProvider,
        ctx: &CallContext,
        old: &PropertyMap,
        new: &PropertyMap,
    ) -> Result<(), ProviderError> {
        register(p, new, None).await?;
        let Some(arn) = out_str(old, "arn") else { return Ok(()) };
        let changes = tag_changes(ctx, old, new)?;
        let aas = p.appautoscaling().await?;
        if !changes.remove.is_empty() {
            let keys = changes.remove.clone();
            tagging(p, "UntagResource", || {
                aas.untag_resource().resource_arn(arn).set_tag_keys(Some(keys.clone())).send()
            })
            .await?;
        }
        if !changes.set.is_empty() {
            let tags: HashMap<String, String> = changes.set.iter().cloned().collect();
            tagging(p, "TagResource", || aas.tag_resource().resource_arn(arn).set_tags(Some(tags.clone())).send())
                .await?;
        }
        Ok(())
    }

    pub(super) async fn delete(p: &AwsProvider, id: &str, outputs: &PropertyMap) -> Result<(), ProviderError> {
        let ns = match out_str(outputs, "serviceNamespace").or_else(|| namespace_of(id)) {
            Some(ns) => ns,
            None => {
                return Err(ProviderError::invalid(format!("cannot tell the service namespace of resource id {id}")))
            }
        };
        // Deregistering what is not there is an error with a code that
        // differs between AWS and emulators: look first.
        let Some(t) = find(p, ns, id, out_str(outputs, "scalableDimension")).await? else { return Ok(()) };
        let aas = p.appautoscaling().await?;
        p.call(|| {
            aas.deregister_scalable_target()
                .service_namespace(t.service_namespace().clone())
                .resource_id(id)
                .scalable_dimension(t.scalable_dimension().clone())
                .send()
        })
        .await?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Scaling policy
// ---------------------------------------------------------------------------

mod policy {
    use super::*;

    pub(super) const SUPPORTED: &[&str] = &[
        "name",
        "policyType",
        "region",
        "resourceId",
        "scalableDimension",
        "serviceNamespace",
        "targetTrackingScalingPolicyConfiguration",
    ];

    const TRACKING: &[&str] =
        &["disableScaleIn", "predefinedMetricSpecification", "scaleInCooldown", "scaleOutCooldown", "targetValue"];

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        if !inputs.contains_key("name") {
            return Err(ProviderError::invalid("name is required"));
        }
        match known(inputs, "policyType").and_then(Value::as_str) {
            None | Some("TargetTrackingScaling") => {}
            Some(other) => {
                return Err(ProviderError::invalid(format!(
                    "policyType {other:?} is not implemented by tapctl (TargetTrackingScaling is)"
                )))
            }
        }
        if !inputs.contains_key("targetTrackingScalingPolicyConfiguration") {
            return Err(ProviderError::invalid("targetTrackingScalingPolicyConfiguration is required"));
        }
        if let Some(c) = known(inputs, "targetTrackingScalingPolicyConfiguration") {
            let c = c
                .as_object()
                .ok_or_else(|| ProviderError::invalid("targetTrackingScalingPolicyConfiguration must be a map"))?;
            if let Some(k) = c.keys().find(|k| !TRACKING.contains(&k.as_str())) {
                return Err(ProviderError::invalid(format!(
                    "targetTrackingScalingPolicyConfiguration.{k} is not implemented by tapctl"
                )));
            }
            tracking(c)?;
        }
        Ok(())
    }

    fn tracking(c: &PropertyMap) -> Result<TargetTrackingScalingPolicyConfiguration, ProviderError> {
        let path = "targetTrackingScalingPolicyConfiguration";
        let target = c
            .get("targetValue")
            .and_then(Value::as_f64)
            .ok_or_else(|| ProviderError::invalid(format!("{path}.targetValue is required (a number)")))?;
        let metric = match c.get("predefinedMetricSpecification").filter(|v| !v.is_null()) {
            None => return Err(ProviderError::invalid(format!("{path}.predefinedMetricSpecification is required"))),
            Some(m) => {
                let m = m.as_object().ok_or_else(|| {
                    ProviderError::invalid(format!("{path}.predefinedMetricSpecification must be a map"))
                })?;
                let kind = required_str(m, "predefinedMetricType").map_err(|e| ProviderError {
                    message: format!("{path}.predefinedMetricSpecification: {}", e.message),
                    ..e
                })?;
                PredefinedMetricSpecification::builder()
                    .predefined_metric_type(MetricType::from(kind))
                    .set_resource_label(optional_str(m, "resourceLabel")?.map(str::to_string))
                    .build()
                    .map_err(|e| ProviderError::invalid(format!("{path}.predefinedMetricSpecification: {e}")))?
            }
        };
        TargetTrackingScalingPolicyConfiguration::builder()
            .target_value(target)
            .predefined_metric_specification(metric)
            .set_scale_in_cooldown(optional_i32(c, "scaleInCooldown")?)
            .set_scale_out_cooldown(optional_i32(c, "scaleOutCooldown")?)
            .set_disable_scale_in(optional_bool(c, "disableScaleIn")?)
            .build()
            .map_err(|e| ProviderError::invalid(format!("{path}: {e}")))
    }

    /// PutScalingPolicy: creates the policy, or replaces its configuration.
    pub(super) async fn put(p: &AwsProvider, inputs: &PropertyMap) -> Result<String, ProviderError> {
        let aas = p.appautoscaling().await?;
        let name = required_str(inputs, "name")?;
        let ns = ServiceNamespace::from(required_str(inputs, "serviceNamespace")?);
        let rid = required_str(inputs, "resourceId")?;
        let dim = ScalableDimension::from(required_str(inputs, "scalableDimension")?);
        let config = inputs
            .get("targetTrackingScalingPolicyConfiguration")
            .and_then(Value::as_object)
            .ok_or_else(|| ProviderError::invalid("input targetTrackingScalingPolicyConfiguration is required"))?;
        let config = tracking(config)?;
        // The scalable target registered a moment ago may not be visible yet.
        p.call_tolerating(
            p.settings().consistency_window,
            &["ObjectNotFoundException", "FailedResourceAccessException"],
            || {
                aas.put_scaling_policy()
                    .policy_name(name)
                    .service_namespace(ns.clone())
                    .resource_id(rid)
                    .scalable_dimension(dim.clone())
                    .policy_type(PolicyType::TargetTrackingScaling)
                    .target_tracking_scaling_policy_configuration(config.clone())
                    .send()
            },
        )
        .await?;
        Ok(name.to_string())
    }

    /// The policies named `name` in namespace `ns`, optionally on one target.
    async fn named(
        p: &AwsProvider,
        ns: &str,
        name: &str,
        on: Option<(&str, &str)>,
    ) -> Result<Vec<ScalingPolicy>, ProviderError> {
        let aas = p.appautoscaling().await?;
        let mut found = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = p
                .call(|| {
                    aas.describe_scaling_policies()
                        .service_namespace(ServiceNamespace::from(ns))
                        .policy_names(name)
                        .set_resource_id(on.map(|(rid, _)| rid.to_string()))
                        .set_scalable_dimension(on.map(|(_, dim)| ScalableDimension::from(dim)))
                        .set_next_token(token.clone())
                        .send()
                })
                .await?;
            // Filtered here too: not every implementation honours PolicyNames.
            found.extend(
                out.scaling_policies()
                    .iter()
                    .filter(|s| s.policy_name() == name)
                    .filter(|s| {
                        on.is_none_or(|(rid, dim)| s.resource_id() == rid && s.scalable_dimension().as_str() == dim)
                    })
                    .cloned(),
            );
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok(found),
            }
        }
    }

    /// The policy called `id`, searched namespace by namespace.
    async fn find(p: &AwsProvider, id: &str) -> Result<Option<ScalingPolicy>, ProviderError> {
        for ns in NAMESPACES {
            let mut list = match named(p, ns, id, None).await {
                // A namespace this endpoint does not know holds no policy.
                Err(e) if e.code == "ValidationException" => continue,
                other => other?,
            };
            if list.len() > 1 {
                let on: Vec<&str> = list.iter().map(|s| s.resource_id()).collect();
                return Err(ProviderError::new(
                    ErrorKind::Permanent,
                    "AmbiguousId",
                    format!(
                        "scaling policy {id} exists on several targets ({}); a read by name cannot tell them apart",
                        on.join(", ")
                    ),
                ));
            }
            if let Some(policy) = list.pop() {
                return Ok(Some(policy));
            }
        }
        Ok(None)
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let Some(s) = find(p, id).await? else { return Ok(None) };
        let alarms: Vec<Value> = s.alarms().iter().map(|a| Value::from(a.alarm_arn())).collect();
        let mut o = Outputs::new(id, p.region().await?)
            .string("arn", Some(s.policy_arn()))
            .string("name", Some(s.policy_name()))
            .string("policyType", Some(s.policy_type().as_str()))
            .string("serviceNamespace", Some(s.service_namespace().as_str()))
            .string("resourceId", Some(s.resource_id()))
            .string("scalableDimension", Some(s.scalable_dimension().as_str()))
            .value("alarmArns", Value::Array(alarms));
        if let Some(c) = s.target_tracking_scaling_policy_configuration() {
            let mut m = PropertyMap::new();
            m.insert("targetValue".into(), Value::Number(c.target_value()));
            if let Some(v) = c.scale_in_cooldown() {
                m.insert("scaleInCooldown".into(), Value::from(v));
            }
            if let Some(v) = c.scale_out_cooldown() {
                m.insert("scaleOutCooldown".into(), Value::from(v));
            }
            if let Some(v) = c.disable_scale_in() {
                m.insert("disableScaleIn".into(), Value::Bool(v));
            }
            if let Some(spec) = c.predefined_metric_specification() {
                let mut sm = PropertyMap::new();
                sm.insert("predefinedMetricType".into(), Value::from(spec.predefined_metric_type().as_str()));
                if let Some(label) = spec.resource_label() {
                    sm.insert("resourceLabel".into(), Value::from(label));
                }
                m.insert("predefinedMetricSpecification".into(), Value::Object(sm));
            }
            o = o.value("targetTrackingScalingPolicyConfiguration", Value::Object(m));
        }
        Ok(Some(o.build()))
    }

    pub(super) async fn delete(p: &AwsProvider, id: &str, outputs: &PropertyMap) -> Result<(), ProviderError> {
        let recorded = match (
            out_str(outputs, "serviceNamespace"),
            out_str(outputs, "resourceId"),
            out_str(outputs, "scalableDimension"),
        ) {
            (Some(ns), Some(rid), Some(dim)) => Some((ns.to_string(), rid.to_string(), dim.to_string())),
            _ => None,
        };
        // Deleting what is not there is an error whose code differs between
        // AWS and emulators: look first.
        let target = match recorded {
            Some((ns, rid, dim)) => {
                if named(p, &ns, id, Some((&rid, &dim))).await?.is_empty() {
                    return Ok(());
                }
                (ns, rid, dim)
            }
            None => match find(p, id).await? {
                None => return Ok(()),
                Some(s) => (
                    s.service_namespace().as_str().to_string(),
                    s.resource_id().to_string(),
                    s.scalable_dimension().as_str().to_string(),
                ),
            },
        };
        let aas = p.appautoscaling().await?;
        let (ns, rid, dim) = &target;
        p.call(|| {
            aas.delete_scaling_policy()
                .policy_name(id)
                .service_namespace(ServiceNamespace::from(ns.as_str()))
                .resource_id(rid)
                .scalable_dimension(ScalableDimension::from(dim.as_str()))
                .send()
        })
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::provider::aws::map;

    #[test]
    fn namespaces_follow_from_resource_ids() {
        assert_eq!(namespace_of("service/tap-dev-cluster/blue-svc"), Some("ecs"));
        assert_eq!(namespace_of("table/orders"), Some("dynamodb"));
        assert_eq!(namespace_of("cluster:tap-dev-db"), Some("rds"));
        assert_eq!(namespace_of("arn:aws:kafka:us-east-1:1:cluster/x/y"), Some("kafka"));
        assert_eq!(namespace_of("something/else"), None);
    }

    #[test]
    fn checks() {
        let target = |min: i32, max: i32, ns: &str| {
            map(vec![
                ("serviceNamespace", ns.into()),
                ("scalableDimension", "ecs:service:DesiredCount".into()),
                ("resourceId", "service/c/s".into()),
                ("minCapacity", min.into()),
                ("maxCapacity", max.into()),
            ])
        };
        assert!(AppAutoscaling.check(TARGET, &target(1, 4, "ecs")).is_ok());
        assert!(AppAutoscaling.check(TARGET, &target(5, 4, "ecs")).unwrap_err().message.contains("minCapacity"));
        assert!(AppAutoscaling.check(TARGET, &target(1, 4, "dynamodb")).unwrap_err().message.contains("ecs"));
        let policy = |config: Value| {
            map(vec![
                ("name", "cpu".into()),
                ("policyType", "TargetTrackingScaling".into()),
                ("serviceNamespace", "ecs".into()),
                ("scalableDimension", "ecs:service:DesiredCount".into()),
                ("resourceId", "service/c/s".into()),
                ("targetTrackingScalingPolicyConfiguration", config),
            ])
        };
        let good = Value::object([
            ("targetValue", Value::from(70)),
            (
                "predefinedMetricSpecification",
                Value::object([("predefinedMetricType", "ECSServiceAverageCPUUtilization")]),
            ),
        ]);
        assert!(AppAutoscaling.check(POLICY, &policy(good)).is_ok());
        let no_target =
            Value::object([("predefinedMetricSpecification", Value::object([("predefinedMetricType", "x")]))]);
        assert!(AppAutoscaling.check(POLICY, &policy(no_target)).unwrap_err().message.contains("targetValue"));
        let custom = Value::object([
            ("targetValue", Value::from(1)),
            ("customizedMetricSpecification", Value::object([("a", "b")])),
        ]);
        assert!(AppAutoscaling.check(POLICY, &policy(custom)).is_err());
    }
}
