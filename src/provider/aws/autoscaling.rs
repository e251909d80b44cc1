//! EC2 Auto Scaling kinds: Auto Scaling group and scaling policy.
//!
//! **Group.** The id is the group's name, as in pulumi-aws. Its `tags` are a
//! list of `{key, value, propagateAtLaunch}` (pulumi-aws has no `tagsAll`
//! for groups); the URN tag is applied at creation with
//! `propagateAtLaunch: false`, so instances do not carry it, and is left out
//! of the `tags` output. After creating, the group waits (up to
//! `waitForCapacityTimeout`, Terraform's default `10m`; `"0"` skips) until
//! `desiredCapacity` (else `minSize`) instances are `InService`. Deleting
//! first scales the group to zero and waits for its instances to go, as
//! Terraform does without `forceDelete` (which is therefore not implemented),
//! then waits for the group itself to disappear. Everything but the name
//! changes in place: sizes, subnets, launch template, health checks with
//! UpdateAutoScalingGroup, target groups by attaching and detaching, tags by
//! CreateOrUpdateTags / DeleteTags.
//!
//! **Policy.** The id is the policy's name, as in pulumi-aws; a read looks it
//! up by name alone (names are unique per group, so two groups' policies of
//! one name are reported as ambiguous). PutScalingPolicy both creates and
//! updates. `SimpleScaling` (with `scalingAdjustment`) and
//! `TargetTrackingScaling` on a predefined metric are implemented.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_autoscaling::types::{
    Filter, LaunchTemplateSpecification, MetricType, PredefinedMetricSpecification, ScalingPolicy, Tag,
    TargetTrackingConfiguration,
};

use super::{
    check_kind, check_str, found, gone_is_ok, known, limit, minutes, nested, object_list, optional_bool, optional_i32,
    optional_object, optional_str, optional_str_list, read_created, read_each, read_updated, required_str, string_list,
    urn_tag_value, AwsProvider, Outputs, Service,
};
use crate::model::{PropertyMap, Value};
use crate::provider::{CallContext, Created, ErrorKind, ProviderError, URN_TAG};

const GROUP: &str = "aws:autoscaling/group:Group";
const POLICY: &str = "aws:autoscaling/policy:Policy";

/// The EC2 Auto Scaling service module.
pub(crate) struct AutoScaling;

#[async_trait]
impl Service for AutoScaling {
    fn tokens(&self) -> &'static [&'static str] {
        &[GROUP, POLICY]
    }

    fn check(&self, token: &str, inputs: &PropertyMap) -> Result<(), ProviderError> {
        match token {
            GROUP => check_kind(token, inputs, group::SUPPORTED, group::check),
            _ => check_kind(token, inputs, policy::SUPPORTED, policy::check),
        }
    }

    async fn create(&self, p: &AwsProvider, ctx: &CallContext, inputs: &PropertyMap) -> Result<Created, ProviderError> {
        let id = match ctx.token.as_str() {
            GROUP => group::create(p, ctx, inputs).await?,
            _ => policy::put(p, inputs).await?,
        };
        read_created(self, p, ctx, id).await
    }

    async fn read(&self, p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let read = match ctx.token.as_str() {
            GROUP => group::read(p, id).await,
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
            GROUP => group::update(p, ctx, id, old, new).await?,
            _ => policy::put(p, new).await.map(drop)?,
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
            GROUP => group::delete(p, ctx, id).await,
            _ => policy::delete(p, id).await,
        };
        gone_is_ok(deleted)
    }

    /// Adoption: a group by its URN tag (it may have been autonamed), a
    /// policy by its name.
    async fn find(
        &self,
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<Vec<Created>, ProviderError> {
        let ids = match ctx.token.as_str() {
            GROUP => group::tagged_with_urn(p, ctx).await?,
            _ => vec![required_str(inputs, "name")?.to_string()],
        };
        read_each(self, p, ctx, ids).await
    }
}

// ---------------------------------------------------------------------------
// Group
// ---------------------------------------------------------------------------

mod group {
    use super::*;
    use aws_sdk_autoscaling::types::{AutoScalingGroup, LifecycleState};

    pub(super) const SUPPORTED: &[&str] = &[
        "availabilityZones",
        "defaultCooldown",
        "desiredCapacity",
        "healthCheckGracePeriod",
        "healthCheckType",
        "launchTemplate",
        "maxSize",
        "minSize",
        "name",
        "namePrefix",
        "region",
        "tags",
        "targetGroupArns",
        "vpcZoneIdentifiers",
        "waitForCapacityTimeout",
    ];

    /// Terraform's default `waitForCapacityTimeout`.
    const CAPACITY_TIMEOUT: Duration = minutes(10);

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        let set = |k: &str| inputs.get(k).is_some_and(|v| !v.is_null());
        if set("name") && set("namePrefix") {
            return Err(ProviderError::invalid("set only one of name and namePrefix"));
        }
        if !set("launchTemplate") {
            return Err(ProviderError::invalid(
                "launchTemplate is required (launch configurations are not implemented)",
            ));
        }
        if let Some(lt) = known(inputs, "launchTemplate").and_then(Value::as_object) {
            if let Some(k) = lt.keys().find(|k| !["id", "name", "version"].contains(&k.as_str())) {
                return Err(ProviderError::invalid(format!("launchTemplate.{k} is not implemented")));
            }
            if lt.get("id").is_some_and(|v| !v.is_null()) == lt.get("name").is_some_and(|v| !v.is_null()) {
                return Err(ProviderError::invalid("launchTemplate needs exactly one of id and name"));
            }
        }
        let (min, max) =
            (known(inputs, "minSize").and_then(Value::as_f64), known(inputs, "maxSize").and_then(Value::as_f64));
        let desired = known(inputs, "desiredCapacity").and_then(Value::as_f64);
        if let (Some(min), Some(max)) = (min, max) {
            if min > max {
                return Err(ProviderError::invalid(format!("minSize {min} is above maxSize {max}")));
            }
            if let Some(d) = desired.filter(|d| *d < min || *d > max) {
                return Err(ProviderError::invalid(format!("desiredCapacity {d} is outside minSize..maxSize")));
            }
        }
        if let Some(t) = check_str(inputs, "healthCheckType")? {
            if !["EC2", "ELB", "VPC_LATTICE", "EBS"].contains(&t) {
                return Err(ProviderError::invalid(format!(
                    "healthCheckType {t:?} is not EC2, ELB, VPC_LATTICE or EBS"
                )));
            }
        }
        if let Some(t) = check_str(inputs, "waitForCapacityTimeout")? {
            duration(t)?;
        }
        if known(inputs, "tags").is_some() {
            user_tags(inputs)?;
        }
        Ok(())
    }

    /// A Terraform duration: `0`, or whole numbers with `h`, `m`, `s`.
    pub(super) fn duration(text: &str) -> Result<Duration, ProviderError> {
        let bad = || ProviderError::invalid(format!("waitForCapacityTimeout {text:?} is not a duration like 10m"));
        if text == "0" {
            return Ok(Duration::ZERO);
        }
        let mut total = 0u64;
        let mut number = String::new();
        for c in text.chars() {
            match c {
                '0'..='9' => number.push(c),
                'h' | 'm' | 's' => {
                    let n: u64 = number.parse().map_err(|_| bad())?;
                    total += n * match c {
                        'h' => 3600,
                        'm' => 60,
                        _ => 1,
                    };
                    number.clear();
                }
                _ => return Err(bad()),
            }
        }
        if !number.is_empty() {
            return Err(bad());
        }
        Ok(Duration::from_secs(total))
    }

    /// The user's tags: key → (value, propagateAtLaunch).
    pub(super) fn user_tags(inputs: &PropertyMap) -> Result<BTreeMap<String, (String, bool)>, ProviderError> {
        let mut tags = BTreeMap::new();
        for (i, t) in object_list(inputs, "tags")?.into_iter().enumerate() {
            let nest = nested("tags[]");
            let key = required_str(t, "key").map_err(&nest)?;
            if key == URN_TAG || key.to_ascii_lowercase().starts_with("aws:") {
                return Err(ProviderError::invalid(format!("tags[{i}].key {key} is reserved")));
            }
            let value = required_str(t, "value").map_err(&nest)?;
            let propagate = optional_bool(t, "propagateAtLaunch").map_err(&nest)?.unwrap_or(false);
            tags.insert(key.to_string(), (value.to_string(), propagate));
        }
        Ok(tags)
    }

    /// The user's tags plus the URN tag (not propagated to instances).
    fn desired_tags(
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<BTreeMap<String, (String, bool)>, ProviderError> {
        let mut tags = user_tags(inputs)?;
        tags.insert(URN_TAG.to_string(), (urn_tag_value(&ctx.urn), false));
        Ok(tags)
    }

    fn sdk_tags(name: &str, tags: &BTreeMap<String, (String, bool)>) -> Vec<Tag> {
        tags.iter()
            .map(|(k, (v, propagate))| {
                Tag::builder()
                    .resource_id(name)
                    .resource_type("auto-scaling-group")
                    .key(k)
                    .value(v)
                    .propagate_at_launch(*propagate)
                    .build()
            })
            .collect()
    }

    fn launch_template(inputs: &PropertyMap) -> Result<Option<LaunchTemplateSpecification>, ProviderError> {
        let Some(lt) = optional_object(inputs, "launchTemplate")? else { return Ok(None) };
        let nest = nested("launchTemplate");
        Ok(Some(
            LaunchTemplateSpecification::builder()
                .set_launch_template_id(optional_str(lt, "id").map_err(&nest)?.map(str::to_string))
                .set_launch_template_name(optional_str(lt, "name").map_err(&nest)?.map(str::to_string))
                .set_version(optional_str(lt, "version").map_err(&nest)?.map(str::to_string))
                .build(),
        ))
    }

    fn subnets(inputs: &PropertyMap) -> Result<Option<String>, ProviderError> {
        Ok(optional_str_list(inputs, "vpcZoneIdentifiers")?.filter(|s| !s.is_empty()).map(|s| s.join(",")))
    }

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let asg = p.autoscaling().await?;
        let name = match optional_str(inputs, "name")? {
            Some(n) => n.to_string(),
            None => super::super::iam::autoname(ctx, optional_str(inputs, "namePrefix")?, 255),
        };
        let min =
            optional_i32(inputs, "minSize")?.ok_or_else(|| ProviderError::invalid("input minSize is required"))?;
        let max =
            optional_i32(inputs, "maxSize")?.ok_or_else(|| ProviderError::invalid("input maxSize is required"))?;
        let desired = optional_i32(inputs, "desiredCapacity")?;
        let template = launch_template(inputs)?;
        let subnets = subnets(inputs)?;
        let zones = optional_str_list(inputs, "availabilityZones")?;
        let target_groups = optional_str_list(inputs, "targetGroupArns")?;
        let health = optional_str(inputs, "healthCheckType")?.map(str::to_string);
        let grace = optional_i32(inputs, "healthCheckGracePeriod")?;
        let cooldown = optional_i32(inputs, "defaultCooldown")?;
        let tags = sdk_tags(&name, &desired_tags(ctx, inputs)?);
        // A launch template or subnet created a moment ago can be unknown
        // here: AWS says so with a ValidationError that it "does not exist".
        let within = super::super::window(p, ctx);
        super::super::iam::tolerating_message(p, within, "ValidationError", "does not exist", || {
            asg.create_auto_scaling_group()
                .auto_scaling_group_name(&name)
                .min_size(min)
                .max_size(max)
                .set_desired_capacity(desired)
                .set_launch_template(template.clone())
                .set_vpc_zone_identifier(subnets.clone())
                .set_availability_zones(zones.clone())
                .set_target_group_arns(target_groups.clone())
                .set_health_check_type(health.clone())
                .set_health_check_grace_period(grace)
                .set_default_cooldown(cooldown)
                .set_tags(Some(tags.clone()))
                .send()
        })
        .await
        .map_err(|e| if e.code == "AlreadyExists" { already(e, &name) } else { e })?;
        let timeout = match optional_str(inputs, "waitForCapacityTimeout")? {
            Some(t) => duration(t)?,
            None => CAPACITY_TIMEOUT,
        };
        let wanted = desired.unwrap_or(min).max(0) as usize;
        if !timeout.is_zero() && wanted > 0 {
            p.wait_until(
                &format!("Auto Scaling group {name} to have {wanted} instances in service"),
                limit(ctx, timeout),
                || async {
                    let Some(g) = describe(p, &name).await? else { return Ok(None) };
                    let in_service = g
                        .instances()
                        .iter()
                        .filter(|i| i.lifecycle_state() == Some(&LifecycleState::InService))
                        .count();
                    Ok((in_service >= wanted).then_some(()))
                },
            )
            .await
            .map_err(super::super::after_create(&name, "waiting for its capacity"))?;
        }
        Ok(name)
    }

    fn already(e: ProviderError, name: &str) -> ProviderError {
        ProviderError { message: format!("an Auto Scaling group named {name} already exists: {}", e.message), ..e }
    }

    async fn describe(p: &AwsProvider, name: &str) -> Result<Option<AutoScalingGroup>, ProviderError> {
        let asg = p.autoscaling().await?;
        let out = p.call(|| asg.describe_auto_scaling_groups().auto_scaling_group_names(name).send()).await?;
        Ok(out.auto_scaling_groups().iter().find(|g| g.auto_scaling_group_name() == Some(name)).cloned())
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let Some(g) = describe(p, id).await? else { return Ok(None) };
        if g.status().is_some_and(|s| s.starts_with("Delete")) {
            return Ok(None);
        }
        let mut subnets: Vec<String> = g
            .vpc_zone_identifier()
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        subnets.sort();
        let mut zones = g.availability_zones().to_vec();
        zones.sort();
        let mut target_groups = g.target_group_arns().to_vec();
        target_groups.sort();
        let mut tags: Vec<(String, Value)> = Vec::new();
        let mut sorted: Vec<_> = g.tags().iter().filter(|t| t.key() != Some(URN_TAG)).collect();
        sorted.sort_by_key(|t| t.key().unwrap_or_default().to_string());
        for t in sorted {
            tags.push((
                t.key().unwrap_or_default().to_string(),
                Value::object([
                    ("key", Value::from(t.key().unwrap_or_default())),
                    ("value", Value::from(t.value().unwrap_or_default())),
                    ("propagateAtLaunch", Value::from(t.propagate_at_launch().unwrap_or(false))),
                ]),
            ));
        }
        let mut out = Outputs::new(id, p.region().await?)
            .string("name", Some(id))
            .string("arn", g.auto_scaling_group_arn())
            .int("minSize", g.min_size().map(i64::from))
            .int("maxSize", g.max_size().map(i64::from))
            .int("desiredCapacity", g.desired_capacity().map(i64::from))
            .int("defaultCooldown", g.default_cooldown().map(i64::from))
            .string("healthCheckType", g.health_check_type())
            .int("healthCheckGracePeriod", g.health_check_grace_period().map(i64::from))
            .value("availabilityZones", string_list(&zones))
            .value("vpcZoneIdentifiers", string_list(&subnets))
            .value("targetGroupArns", string_list(&target_groups));
        if let Some(lt) = g.launch_template() {
            let spec = Value::object(
                [("id", lt.launch_template_id()), ("name", lt.launch_template_name()), ("version", lt.version())]
                    .into_iter()
                    .filter_map(|(k, v)| Some((k, Value::from(v?)))),
            );
            out = out.value("launchTemplate", spec);
        }
        if !tags.is_empty() {
            out = out.value("tags", Value::Array(tags.into_iter().map(|(_, v)| v).collect()));
        }
        Ok(Some(out.build()))
    }

    /// The recorded tags (user's, from the outputs) plus the URN tag.
    fn recorded_tags(ctx: &CallContext, old: &PropertyMap) -> BTreeMap<String, (String, bool)> {
        let mut tags: BTreeMap<String, (String, bool)> = old
            .get("tags")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
            .filter_map(|t| {
                let key = t.get("key")?.as_str()?.to_string();
                let value = t.get("value")?.as_str()?.to_string();
                Some((key, (value, t.get("propagateAtLaunch").and_then(Value::as_bool).unwrap_or(false))))
            })
            .collect();
        tags.insert(URN_TAG.to_string(), (urn_tag_value(&ctx.urn), false));
        tags
    }

    pub(super) async fn update(
        p: &AwsProvider,
        ctx: &CallContext,
        id: &str,
        old: &PropertyMap,
        new: &PropertyMap,
    ) -> Result<(), ProviderError> {
        let asg = p.autoscaling().await?;
        let template = launch_template(new)?;
        let subnets = subnets(new)?;
        let zones = optional_str_list(new, "availabilityZones")?.filter(|z| !z.is_empty());
        let request = asg
            .update_auto_scaling_group()
            .auto_scaling_group_name(id)
            .set_min_size(optional_i32(new, "minSize")?)
            .set_max_size(optional_i32(new, "maxSize")?)
            .set_desired_capacity(optional_i32(new, "desiredCapacity")?)
            .set_default_cooldown(optional_i32(new, "defaultCooldown")?)
            .set_health_check_type(optional_str(new, "healthCheckType")?.map(str::to_string))
            .set_health_check_grace_period(optional_i32(new, "healthCheckGracePeriod")?)
            .set_launch_template(template)
            .set_vpc_zone_identifier(subnets)
            .set_availability_zones(zones);
        p.call(|| request.clone().send()).await?;
        let wanted = optional_str_list(new, "targetGroupArns")?.unwrap_or_default();
        let current: Vec<String> = describe(p, id).await?.map(|g| g.target_group_arns().to_vec()).unwrap_or_default();
        let attach: Vec<String> = wanted.iter().filter(|a| !current.contains(a)).cloned().collect();
        let detach: Vec<String> = current.iter().filter(|a| !wanted.contains(a)).cloned().collect();
        if !attach.is_empty() {
            p.call(|| {
                asg.attach_load_balancer_target_groups()
                    .auto_scaling_group_name(id)
                    .set_target_group_arns(Some(attach.clone()))
                    .send()
            })
            .await?;
        }
        if !detach.is_empty() {
            p.call(|| {
                asg.detach_load_balancer_target_groups()
                    .auto_scaling_group_name(id)
                    .set_target_group_arns(Some(detach.clone()))
                    .send()
            })
            .await?;
        }
        let desired = desired_tags(ctx, new)?;
        let recorded = recorded_tags(ctx, old);
        let set: BTreeMap<String, (String, bool)> =
            desired.iter().filter(|(k, v)| recorded.get(*k) != Some(*v)).map(|(k, v)| (k.clone(), v.clone())).collect();
        let remove: BTreeMap<String, (String, bool)> =
            recorded.iter().filter(|(k, _)| !desired.contains_key(*k)).map(|(k, v)| (k.clone(), v.clone())).collect();
        if !remove.is_empty() {
            p.call(|| asg.delete_tags().set_tags(Some(sdk_tags(id, &remove))).send()).await?;
        }
        if !set.is_empty() {
            p.call(|| asg.create_or_update_tags().set_tags(Some(sdk_tags(id, &set))).send()).await?;
        }
        Ok(())
    }

    pub(super) async fn delete(p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<(), ProviderError> {
        let asg = p.autoscaling().await?;
        if read(p, id).await?.is_none() {
            return Ok(());
        }
        // Drain first, as Terraform does without forceDelete: instances are
        // terminated through the group's lifecycle (hooks, deregistration).
        p.call(|| {
            asg.update_auto_scaling_group()
                .auto_scaling_group_name(id)
                .min_size(0)
                .max_size(0)
                .desired_capacity(0)
                .send()
        })
        .await?;
        let within = limit(ctx, minutes(10));
        p.wait_until(&format!("Auto Scaling group {id} to have no instances"), within, || async {
            Ok(describe(p, id).await?.is_none_or(|g| g.instances().is_empty()).then_some(()))
        })
        .await?;
        let deleted = p
            .call_tolerating(within, &["ScalingActivityInProgress", "ResourceInUse"], || {
                asg.delete_auto_scaling_group().auto_scaling_group_name(id).send()
            })
            .await;
        match deleted {
            // Gone meanwhile: AWS reports a missing group as a validation error.
            Err(e) if e.code == "ValidationError" && e.message.contains("not found") => return Ok(()),
            other => other.map(drop)?,
        }
        p.wait_until(&format!("Auto Scaling group {id} to be deleted"), within, || async {
            Ok(describe(p, id).await?.is_none().then_some(()))
        })
        .await
    }

    /// The groups whose URN tag is this resource's.
    pub(super) async fn tagged_with_urn(p: &AwsProvider, ctx: &CallContext) -> Result<Vec<String>, ProviderError> {
        let asg = p.autoscaling().await?;
        let key = Filter::builder().name("key").values(URN_TAG).build();
        let value = Filter::builder().name("value").values(urn_tag_value(&ctx.urn)).build();
        let mut ids = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let out = p
                .call(|| {
                    asg.describe_tags().filters(key.clone()).filters(value.clone()).set_next_token(next.clone()).send()
                })
                .await?;
            ids.extend(out.tags().iter().filter_map(|t| t.resource_id()).map(str::to_string));
            next = out.next_token().filter(|t| !t.is_empty()).map(str::to_string);
            if next.is_none() {
                ids.sort();
                ids.dedup();
                return Ok(ids);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Policy
// ---------------------------------------------------------------------------

mod policy {
    use super::*;

    pub(super) const SUPPORTED: &[&str] = &[
        "adjustmentType",
        "autoscalingGroupName",
        "cooldown",
        "enabled",
        "estimatedInstanceWarmup",
        "minAdjustmentMagnitude",
        "name",
        "policyType",
        "region",
        "scalingAdjustment",
        "targetTrackingConfiguration",
    ];

    const ADJUSTMENT_TYPES: &[&str] = &["ChangeInCapacity", "ExactCapacity", "PercentChangeInCapacity"];
    const METRICS: &[&str] =
        &["ASGAverageCPUUtilization", "ASGAverageNetworkIn", "ASGAverageNetworkOut", "ALBRequestCountPerTarget"];

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        if !inputs.contains_key("name") {
            return Err(ProviderError::invalid("name is required"));
        }
        let kind = check_str(inputs, "policyType")?.unwrap_or("SimpleScaling");
        let set = |k: &str| inputs.get(k).is_some_and(|v| !v.is_null());
        match kind {
            "SimpleScaling" => {
                if !set("scalingAdjustment") || !set("adjustmentType") {
                    return Err(ProviderError::invalid("SimpleScaling needs scalingAdjustment and adjustmentType"));
                }
                if set("targetTrackingConfiguration") {
                    return Err(ProviderError::invalid("targetTrackingConfiguration is for TargetTrackingScaling"));
                }
            }
            "TargetTrackingScaling" => {
                if !set("targetTrackingConfiguration") {
                    return Err(ProviderError::invalid("TargetTrackingScaling needs targetTrackingConfiguration"));
                }
                for k in ["scalingAdjustment", "adjustmentType", "cooldown"] {
                    if set(k) {
                        return Err(ProviderError::invalid(format!("{k} is not for TargetTrackingScaling")));
                    }
                }
            }
            other => {
                return Err(ProviderError::invalid(format!(
                    "policyType {other:?} is not implemented (SimpleScaling and TargetTrackingScaling are)"
                )))
            }
        }
        if let Some(t) = check_str(inputs, "adjustmentType")? {
            if !ADJUSTMENT_TYPES.contains(&t) {
                return Err(ProviderError::invalid(format!(
                    "adjustmentType {t:?} is not one of {}",
                    ADJUSTMENT_TYPES.join(", ")
                )));
            }
        }
        if let Some(c) = known(inputs, "targetTrackingConfiguration").and_then(Value::as_object) {
            if let Some(k) = c
                .keys()
                .find(|k| !["predefinedMetricSpecification", "targetValue", "disableScaleIn"].contains(&k.as_str()))
            {
                return Err(ProviderError::invalid(format!("targetTrackingConfiguration.{k} is not implemented")));
            }
            if let Some(m) = c.get("predefinedMetricSpecification").and_then(Value::as_object) {
                if let Some(t) = m.get("predefinedMetricType").filter(|v| !v.contains_unknown()).and_then(Value::as_str)
                {
                    if !METRICS.contains(&t) {
                        return Err(ProviderError::invalid(format!(
                            "predefinedMetricType {t:?} is not one of {}",
                            METRICS.join(", ")
                        )));
                    }
                }
            }
        }
        Ok(())
    }

    fn target_tracking(inputs: &PropertyMap) -> Result<Option<TargetTrackingConfiguration>, ProviderError> {
        let Some(c) = optional_object(inputs, "targetTrackingConfiguration")? else { return Ok(None) };
        let nest = nested("targetTrackingConfiguration");
        let spec = match optional_object(c, "predefinedMetricSpecification").map_err(&nest)? {
            Some(m) => {
                let nest = nested("targetTrackingConfiguration.predefinedMetricSpecification");
                Some(
                    PredefinedMetricSpecification::builder()
                        .predefined_metric_type(MetricType::from(
                            required_str(m, "predefinedMetricType").map_err(&nest)?,
                        ))
                        .set_resource_label(optional_str(m, "resourceLabel").map_err(&nest)?.map(str::to_string))
                        .build(),
                )
            }
            None => None,
        };
        let target = c
            .get("targetValue")
            .and_then(Value::as_f64)
            .ok_or_else(|| ProviderError::invalid("input targetTrackingConfiguration.targetValue must be a number"))?;
        Ok(Some(
            TargetTrackingConfiguration::builder()
                .set_predefined_metric_specification(spec)
                .target_value(target)
                .set_disable_scale_in(optional_bool(c, "disableScaleIn").map_err(&nest)?)
                .build(),
        ))
    }

    pub(super) async fn put(p: &AwsProvider, inputs: &PropertyMap) -> Result<String, ProviderError> {
        let asg = p.autoscaling().await?;
        let name = required_str(inputs, "name")?;
        let group = required_str(inputs, "autoscalingGroupName")?;
        let kind = optional_str(inputs, "policyType")?.unwrap_or("SimpleScaling");
        let tracking = target_tracking(inputs)?;
        let request = asg
            .put_scaling_policy()
            .auto_scaling_group_name(group)
            .policy_name(name)
            .policy_type(kind)
            .set_adjustment_type(optional_str(inputs, "adjustmentType")?.map(str::to_string))
            .set_scaling_adjustment(optional_i32(inputs, "scalingAdjustment")?)
            .set_cooldown(optional_i32(inputs, "cooldown")?)
            .set_min_adjustment_magnitude(optional_i32(inputs, "minAdjustmentMagnitude")?)
            .set_estimated_instance_warmup(optional_i32(inputs, "estimatedInstanceWarmup")?)
            .set_enabled(optional_bool(inputs, "enabled")?)
            .set_target_tracking_configuration(tracking);
        p.call(|| request.clone().send()).await?;
        Ok(name.to_string())
    }

    async fn describe(p: &AwsProvider, name: &str) -> Result<Option<ScalingPolicy>, ProviderError> {
        let asg = p.autoscaling().await?;
        let out = p.call(|| asg.describe_policies().policy_names(name).send()).await?;
        let matching: Vec<&ScalingPolicy> =
            out.scaling_policies().iter().filter(|s| s.policy_name() == Some(name)).collect();
        match matching.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some((*one).clone())),
            _ => Err(ProviderError::new(
                ErrorKind::Permanent,
                "AmbiguousPolicyName",
                format!("several Auto Scaling groups have a scaling policy named {name}"),
            )),
        }
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let Some(s) = describe(p, id).await? else { return Ok(None) };
        let mut out = Outputs::new(id, p.region().await?)
            .string("name", s.policy_name())
            .string("arn", s.policy_arn())
            .string("autoscalingGroupName", s.auto_scaling_group_name())
            .string("policyType", s.policy_type())
            .string("adjustmentType", s.adjustment_type())
            .int("scalingAdjustment", s.scaling_adjustment().map(i64::from))
            .int("cooldown", s.cooldown().map(i64::from))
            .int("minAdjustmentMagnitude", s.min_adjustment_magnitude().map(i64::from))
            .int("estimatedInstanceWarmup", s.estimated_instance_warmup().map(i64::from))
            .bool("enabled", Some(s.enabled().unwrap_or(true)));
        if let Some(c) = s.target_tracking_configuration() {
            let mut config = Vec::new();
            if let Some(target) = c.target_value() {
                config.push(("targetValue", Value::Number(target)));
            }
            if let Some(m) = c.predefined_metric_specification() {
                let mut spec = Vec::new();
                if let Some(t) = m.predefined_metric_type() {
                    spec.push(("predefinedMetricType", Value::from(t.as_str())));
                }
                if let Some(label) = m.resource_label() {
                    spec.push(("resourceLabel", Value::from(label)));
                }
                config.push(("predefinedMetricSpecification", Value::object(spec)));
            }
            config.push(("disableScaleIn", Value::from(c.disable_scale_in().unwrap_or(false))));
            out = out.value("targetTrackingConfiguration", Value::object(config));
        }
        Ok(Some(out.build()))
    }

    pub(super) async fn delete(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
        let asg = p.autoscaling().await?;
        let Some(s) = describe(p, id).await? else { return Ok(()) };
        let group = s.auto_scaling_group_name().unwrap_or_default();
        p.call(|| asg.delete_policy().auto_scaling_group_name(group).policy_name(id).send()).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::provider::aws::map;

    #[test]
    fn durations() {
        assert_eq!(group::duration("10m").unwrap(), Duration::from_secs(600));
        assert_eq!(group::duration("1h30s").unwrap(), Duration::from_secs(3630));
        assert_eq!(group::duration("0").unwrap(), Duration::ZERO);
        assert!(group::duration("10").is_err());
        assert!(group::duration("ten minutes").is_err());
    }

    #[test]
    fn checks() {
        let lt = Value::object([("id", "lt-1"), ("version", "$Latest")]);
        let group = |min: i32, max: i32| {
            map(vec![("minSize", min.into()), ("maxSize", max.into()), ("launchTemplate", lt.clone())])
        };
        assert!(AutoScaling.check(GROUP, &group(1, 3)).is_ok());
        assert!(AutoScaling.check(GROUP, &group(3, 1)).is_err());
        let mut reserved = group(1, 3);
        reserved.insert("tags".into(), Value::Array(vec![Value::object([("key", URN_TAG), ("value", "x")])]));
        assert!(AutoScaling.check(GROUP, &reserved).unwrap_err().message.contains("reserved"));
        let simple = map(vec![
            ("name", "up".into()),
            ("autoscalingGroupName", "g".into()),
            ("scalingAdjustment", 1.into()),
            ("adjustmentType", "ChangeInCapacity".into()),
        ]);
        assert!(AutoScaling.check(POLICY, &simple).is_ok());
        let mut step = simple.clone();
        step.insert("policyType".into(), "StepScaling".into());
        assert!(AutoScaling.check(POLICY, &step).is_err());
        let tracking = map(vec![
            ("name", "cpu".into()),
            ("autoscalingGroupName", "g".into()),
            ("policyType", "TargetTrackingScaling".into()),
            (
                "targetTrackingConfiguration",
                Value::object([
                    (
                        "predefinedMetricSpecification",
                        Value::object([("predefinedMetricType", "ASGAverageCPUUtilization")]),
                    ),
                    ("targetValue", Value::from(60)),
                ]),
            ),
        ]);
        assert!(AutoScaling.check(POLICY, &tracking).is_ok());
    }
}
