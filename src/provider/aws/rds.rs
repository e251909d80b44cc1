//! RDS kinds: DB subnet group, cluster parameter group, Aurora cluster,
//! cluster instance and (non-Aurora) DB instance.
//!
//! Each kind is a submodule with `SUPPORTED`, `check`, `create`, `read`,
//! `update` and `delete`; `create` and `update` end with a read, so they
//! return what `read` returns. Changes apply immediately (`ApplyImmediately`)
//! and are waited out: a cluster or instance is back to `available` before
//! an update returns.
//!
//! **The master password** is never handled: clusters and DB instances
//! require `manageMasterUserPassword`, so AWS generates it and keeps it in
//! Secrets Manager; outputs carry only the secret's ARN (`masterUserSecrets`).
//! A DB instance restored from `snapshotIdentifier` keeps the snapshot's
//! credentials unless it sets `manageMasterUserPassword`, which is then
//! applied right after the restore.
//!
//! **Final snapshots.** `skipFinalSnapshot` and `finalSnapshotIdentifier`
//! only matter when the cluster is deleted, and `delete` sees only recorded
//! outputs — which `read` must be able to rebuild from AWS alone. AWS does
//! not record them, so tapctl keeps them in a tag of its own on the cluster,
//! [`FINAL_SNAPSHOT_TAG`] (`skip`, or the snapshot identifier), kept out of
//! `tags`/`tagsAll`. A cluster without that tag (made by something else)
//! gets a final snapshot with a generated name: deleting a database never
//! silently discards its data. DB instances keep the choice the same way.
//!
//! Outputs deliberately left out, and why:
//!
//! - cluster `clusterMembers` and instance `writer`: they change when
//!   instances are added or AWS fails over, so a refresh of an untouched
//!   cluster would report drift nobody made;
//! - `applyImmediately`, `allowMajorVersionUpgrade`: request options, not
//!   state AWS records.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_rds::client::Waiters;
use aws_sdk_rds::types::{
    ApplyMethod, CloudwatchLogsExportConfiguration, Parameter, ServerlessV2ScalingConfiguration, Tag,
};

use super::iam::{autoname, owned_by, tolerating_message};
use super::{
    after_create, changed, check_i32, check_kind, check_str, found, gone_is_ok, known, limit, minutes, missing_field,
    optional_bool, optional_i32, optional_str, optional_str_list, read_created, read_updated, reject_unsupported,
    required_str, tag_changes, tags_for_create, waiter_error, window, AwsProvider, Outputs, Service,
};
use crate::model::{PropertyMap, Value};
use crate::provider::{CallContext, Created, ProviderError};

const SUBNET_GROUP: &str = "aws:rds/subnetGroup:SubnetGroup";
const PARAMETER_GROUP: &str = "aws:rds/clusterParameterGroup:ClusterParameterGroup";
const CLUSTER: &str = "aws:rds/cluster:Cluster";
const INSTANCE: &str = "aws:rds/clusterInstance:ClusterInstance";
const DB_INSTANCE: &str = "aws:rds/instance:Instance";

/// The tag in which tapctl keeps a cluster's final-snapshot choice (see the
/// module docs): `skip`, or the identifier of the snapshot to take.
pub const FINAL_SNAPSHOT_TAG: &str = "tapctl:final-snapshot";
const SKIP: &str = "skip";

/// pulumi-aws's default description for groups (AWS requires one).
const DEFAULT_DESCRIPTION: &str = "Managed by Pulumi";

/// The RDS service module.
pub(crate) struct Rds;

#[async_trait]
impl Service for Rds {
    fn tokens(&self) -> &'static [&'static str] {
        &[SUBNET_GROUP, PARAMETER_GROUP, CLUSTER, INSTANCE, DB_INSTANCE]
    }

    fn check(&self, token: &str, inputs: &PropertyMap) -> Result<(), ProviderError> {
        match token {
            SUBNET_GROUP => check_kind(token, inputs, subnet_group::SUPPORTED, subnet_group::check),
            PARAMETER_GROUP => check_kind(token, inputs, parameter_group::SUPPORTED, parameter_group::check),
            // These two name their refused password inputs themselves, with the reason.
            CLUSTER => cluster::check(token, inputs).map_err(named(token)),
            DB_INSTANCE => db::check(token, inputs).map_err(named(token)),
            _ => check_kind(token, inputs, instance::SUPPORTED, instance::check),
        }
    }

    async fn create(&self, p: &AwsProvider, ctx: &CallContext, inputs: &PropertyMap) -> Result<Created, ProviderError> {
        let id = match ctx.token.as_str() {
            SUBNET_GROUP => subnet_group::create(p, ctx, inputs).await?,
            PARAMETER_GROUP => parameter_group::create(p, ctx, inputs).await?,
            CLUSTER => cluster::create(p, ctx, inputs).await?,
            DB_INSTANCE => db::create(p, ctx, inputs).await?,
            _ => instance::create(p, ctx, inputs).await?,
        };
        read_created(self, p, ctx, id).await
    }

    async fn read(&self, p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let read = match ctx.token.as_str() {
            SUBNET_GROUP => subnet_group::read(p, id).await,
            PARAMETER_GROUP => parameter_group::read(p, id).await,
            CLUSTER => cluster::read(p, id).await,
            DB_INSTANCE => db::read(p, id).await,
            _ => instance::read(p, id).await,
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
            SUBNET_GROUP => subnet_group::update(p, ctx, id, old, new).await?,
            PARAMETER_GROUP => parameter_group::update(p, ctx, id, old, new).await?,
            CLUSTER => cluster::update(p, ctx, id, old, new).await?,
            DB_INSTANCE => db::update(p, ctx, id, old, new).await?,
            _ => instance::update(p, ctx, id, old, new).await?,
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
            SUBNET_GROUP => subnet_group::delete(p, ctx, id).await,
            PARAMETER_GROUP => parameter_group::delete(p, ctx, id).await,
            CLUSTER => cluster::delete(p, ctx, id, outputs).await,
            DB_INSTANCE => db::delete(p, ctx, id, outputs).await,
            _ => instance::delete(p, ctx, id).await,
        };
        gone_is_ok(deleted)
    }
}

// ---------------------------------------------------------------------------
// Shared RDS helpers
// ---------------------------------------------------------------------------

fn sdk_tags(pairs: &[(String, String)]) -> Vec<Tag> {
    pairs.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

fn tag_pairs(tags: &[Tag]) -> Vec<(String, String)> {
    tags.iter().filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string()))).collect()
}

/// The tags on an RDS resource (describe calls of groups do not include them).
async fn list_tags(p: &AwsProvider, arn: &str) -> Result<Vec<(String, String)>, ProviderError> {
    let rds = p.rds().await?;
    let out = p.call(|| rds.list_tags_for_resource().resource_name(arn).send()).await?;
    Ok(tag_pairs(out.tag_list()))
}

/// The resource's ARN from its recorded outputs, or from its name.
async fn arn_of(p: &AwsProvider, old: &PropertyMap, resource: &str) -> Result<String, ProviderError> {
    match old.get("arn").and_then(Value::as_str) {
        Some(arn) => Ok(arn.to_string()),
        None => p.arn("rds", p.account_id().await?, resource).await,
    }
}

/// Applies the tag changes an update asks for.
async fn apply_tags(
    p: &AwsProvider,
    ctx: &CallContext,
    arn: &str,
    old: &PropertyMap,
    new: &PropertyMap,
) -> Result<(), ProviderError> {
    let changes = tag_changes(ctx, old, new)?;
    set_tags(p, arn, &changes.set).await?;
    let rds = p.rds().await?;
    if !changes.remove.is_empty() {
        p.call(|| rds.remove_tags_from_resource().resource_name(arn).set_tag_keys(Some(changes.remove.clone())).send())
            .await?;
    }
    Ok(())
}

async fn set_tags(p: &AwsProvider, arn: &str, pairs: &[(String, String)]) -> Result<(), ProviderError> {
    if pairs.is_empty() {
        return Ok(());
    }
    let rds = p.rds().await?;
    let tags = sdk_tags(pairs);
    p.call(|| rds.add_tags_to_resource().resource_name(arn).set_tags(Some(tags.clone())).send()).await?;
    Ok(())
}

/// Prefixes a check error with the type token unless the kind's check
/// already named it (the cluster and DB instance name their refused
/// password inputs themselves).
fn named(token: &str) -> impl Fn(ProviderError) -> ProviderError + '_ {
    move |e| {
        if e.message.starts_with(token) {
            e
        } else {
            ProviderError { message: format!("{token}: {}", e.message), ..e }
        }
    }
}

/// RDS identifiers (clusters, instances, groups, snapshots): 1 to `max`
/// characters, lowercase letters, digits and hyphens, starting with a
/// letter, no two hyphens in a row, not ending with one. AWS lowercases
/// identifiers itself; requiring lowercase keeps the id equal to the input.
fn check_identifier(key: &str, value: &str, max: usize) -> Result<(), ProviderError> {
    let valid_chars = value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let starts = value.chars().next().is_some_and(|c| c.is_ascii_lowercase());
    if value.is_empty()
        || value.chars().count() > max
        || !valid_chars
        || !starts
        || value.contains("--")
        || value.ends_with('-')
    {
        return Err(ProviderError::invalid(format!(
            "{key} {value:?} must have 1 to {max} lowercase letters, digits or hyphens, start with a letter, \
             and have no two hyphens in a row nor a trailing one"
        )));
    }
    Ok(())
}

fn check_identifier_input(inputs: &PropertyMap, key: &str, max: usize) -> Result<(), ProviderError> {
    match check_str(inputs, key)? {
        Some(v) => check_identifier(key, v, max),
        None => Ok(()),
    }
}

/// At most one of `a` and `b`.
fn one_of(inputs: &PropertyMap, a: &str, b: &str) -> Result<(), ProviderError> {
    let set = |k: &str| inputs.get(k).is_some_and(|v| !v.is_null());
    if set(a) && set(b) {
        return Err(ProviderError::invalid(format!("set only one of {a} and {b}")));
    }
    Ok(())
}

/// `applyImmediately` may only confirm what tapctl does anyway.
fn check_apply_immediately(inputs: &PropertyMap) -> Result<(), ProviderError> {
    if known(inputs, "applyImmediately").is_some() && optional_bool(inputs, "applyImmediately")? == Some(false) {
        return Err(ProviderError::invalid(
            "applyImmediately: false is not implemented: tapctl applies RDS changes immediately and waits for them",
        ));
    }
    Ok(())
}

/// The name to create under: `key`, or a lowercase name from `prefix_key` /
/// the logical name and a random suffix.
fn identifier(
    ctx: &CallContext,
    inputs: &PropertyMap,
    key: &str,
    prefix_key: &str,
    max: usize,
) -> Result<String, ProviderError> {
    if let Some(name) = optional_str(inputs, key)? {
        return Ok(name.to_string());
    }
    let name = autoname(ctx, optional_str(inputs, prefix_key)?, max).to_ascii_lowercase();
    // Logical names may hold characters identifiers may not.
    let mut cleaned = String::with_capacity(name.len());
    for c in name.chars() {
        let c = if c.is_ascii_alphanumeric() { c } else { '-' };
        if !(c == '-' && (cleaned.is_empty() || cleaned.ends_with('-'))) {
            cleaned.push(c);
        }
    }
    if !cleaned.starts_with(|c: char| c.is_ascii_lowercase()) {
        cleaned.insert(0, 'x');
        cleaned.truncate(max);
    }
    Ok(cleaned.trim_end_matches('-').to_string())
}

/// A list of strings as outputs carry it: sorted, so order changes by AWS
/// are not drift.
fn sorted_list(items: impl IntoIterator<Item = impl Into<String>>) -> Value {
    let mut items: Vec<String> = items.into_iter().map(Into::into).collect();
    items.sort();
    Value::Array(items.into_iter().map(Value::String).collect())
}

// ---------------------------------------------------------------------------
// DB subnet group
// ---------------------------------------------------------------------------

/// The id is the group's name.
mod subnet_group {
    use super::*;

    pub(super) const SUPPORTED: &[&str] = &["description", "name", "namePrefix", "region", "subnetIds", "tags"];

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        one_of(inputs, "name", "namePrefix")?;
        if let Some(name) = check_str(inputs, "name")? {
            let valid = name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || " ._-".contains(c));
            if name.is_empty() || name.chars().count() > 255 || !valid || name == "default" {
                return Err(ProviderError::invalid(format!(
                    "name {name:?} must have 1 to 255 lowercase letters, digits, spaces or ._- and not be \"default\""
                )));
            }
        }
        if let Some(ids) =
            known(inputs, "subnetIds").map(|_| optional_str_list(inputs, "subnetIds")).transpose()?.flatten()
        {
            if ids.is_empty() {
                return Err(ProviderError::invalid("subnetIds must name at least one subnet (AWS wants two zones)"));
            }
        }
        Ok(())
    }

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let rds = p.rds().await?;
        let name = identifier(ctx, inputs, "name", "namePrefix", 255)?;
        let description = optional_str(inputs, "description")?.unwrap_or(DEFAULT_DESCRIPTION);
        let subnets = optional_str_list(inputs, "subnetIds")?.unwrap_or_default();
        let tags = sdk_tags(&tags_for_create(ctx, inputs)?);
        let created = p
            .call_tolerating(window(p, ctx), &["InvalidSubnet"], || {
                rds.create_db_subnet_group()
                    .db_subnet_group_name(&name)
                    .db_subnet_group_description(description)
                    .set_subnet_ids(Some(subnets.clone()))
                    .set_tags(Some(tags.clone()))
                    .send()
            })
            .await;
        match created {
            Ok(_) => Ok(name),
            Err(e) if e.code == "DBSubnetGroupAlreadyExists" => match read(p, &name).await? {
                Some(existing) if owned_by(ctx, &existing) => {
                    update(p, ctx, &name, &existing, inputs).await.map_err(after_create(&name, "adopting it"))?;
                    Ok(name)
                }
                _ => Err(e),
            },
            Err(e) => Err(e),
        }
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let rds = p.rds().await?;
        let out = p.call(|| rds.describe_db_subnet_groups().db_subnet_group_name(id).send()).await?;
        let Some(g) = out.db_subnet_groups().iter().find(|g| g.db_subnet_group_name() == Some(id)) else {
            return Ok(None);
        };
        let arn = g.db_subnet_group_arn().ok_or_else(|| missing_field("DescribeDBSubnetGroups", "DBSubnetGroupArn"))?;
        let tags = list_tags(p, arn).await?;
        let mut out = Outputs::new(id, p.region().await?)
            .string("arn", Some(arn))
            .string("name", g.db_subnet_group_name())
            .string("description", g.db_subnet_group_description())
            .string("vpcId", g.vpc_id())
            .value("subnetIds", sorted_list(g.subnets().iter().filter_map(|s| s.subnet_identifier())));
        if !g.supported_network_types().is_empty() {
            out =
                out.value("supportedNetworkTypes", sorted_list(g.supported_network_types().iter().map(String::as_str)));
        }
        Ok(Some(out.tags(tags).build()))
    }

    pub(super) async fn update(
        p: &AwsProvider,
        ctx: &CallContext,
        id: &str,
        old: &PropertyMap,
        new: &PropertyMap,
    ) -> Result<(), ProviderError> {
        let rds = p.rds().await?;
        let description = optional_str(new, "description")?.unwrap_or(DEFAULT_DESCRIPTION);
        let mut subnets = optional_str_list(new, "subnetIds")?.unwrap_or_default();
        subnets.sort();
        let old_subnets: Vec<String> = old
            .get("subnetIds")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        if old.get("description").and_then(Value::as_str) != Some(description) || old_subnets != subnets {
            p.call_tolerating(window(p, ctx), &["InvalidSubnet"], || {
                rds.modify_db_subnet_group()
                    .db_subnet_group_name(id)
                    .db_subnet_group_description(description)
                    .set_subnet_ids(Some(subnets.clone()))
                    .send()
            })
            .await?;
        }
        apply_tags(p, ctx, &arn_of(p, old, &format!("subgrp:{id}")).await?, old, new).await
    }

    pub(super) async fn delete(p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<(), ProviderError> {
        let rds = p.rds().await?;
        // A cluster deleted a moment ago can hold the group for a while.
        p.call_tolerating(limit(ctx, minutes(5)), &["InvalidDBSubnetGroupStateFault"], || {
            rds.delete_db_subnet_group().db_subnet_group_name(id).send()
        })
        .await?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Cluster parameter group
// ---------------------------------------------------------------------------

/// The id is the group's name. `parameters` lists only the parameters set
/// on the group (`Source=user`), sorted by name.
mod parameter_group {
    use super::*;

    pub(super) const SUPPORTED: &[&str] =
        &["description", "family", "name", "namePrefix", "parameters", "region", "tags"];

    /// ModifyDBClusterParameterGroup takes at most 20 parameters per call.
    const BATCH: usize = 20;

    /// One parameter as the program sets it.
    #[derive(Debug, Clone, PartialEq)]
    pub(super) struct Param {
        pub(super) name: String,
        pub(super) value: String,
        pub(super) apply_method: String,
    }

    /// The `parameters` input, by name; `applyMethod` defaults to
    /// `immediate`, as in pulumi-aws.
    pub(super) fn params(inputs: &PropertyMap) -> Result<BTreeMap<String, Param>, ProviderError> {
        let mut out = BTreeMap::new();
        let Some(list) = inputs.get("parameters").filter(|v| !v.is_null()) else { return Ok(out) };
        let items = list
            .as_array()
            .ok_or_else(|| ProviderError::invalid("parameters must be a list of {name, value, applyMethod}"))?;
        for (i, item) in items.iter().enumerate() {
            let obj =
                item.as_object().ok_or_else(|| ProviderError::invalid(format!("parameters[{i}] must be a map")))?;
            let field = |k: &str| -> Result<Option<String>, ProviderError> {
                match obj.get(k) {
                    None | Some(Value::Null) => Ok(None),
                    // Numbers are accepted for values, as AWS takes them as text anyway.
                    Some(Value::Number(n)) if k == "value" => Ok(Some(Value::Number(*n).to_plain_json().to_string())),
                    Some(v) => v
                        .as_str()
                        .map(|s| Some(s.to_string()))
                        .ok_or_else(|| ProviderError::invalid(format!("parameters[{i}].{k} must be a string"))),
                }
            };
            if let Some(extra) = obj.keys().find(|k| !matches!(k.as_str(), "name" | "value" | "applyMethod")) {
                return Err(ProviderError::invalid(format!(
                    "parameters[{i}] has no field {extra} (name, value, applyMethod)"
                )));
            }
            let name =
                field("name")?.ok_or_else(|| ProviderError::invalid(format!("parameters[{i}].name is required")))?;
            let value =
                field("value")?.ok_or_else(|| ProviderError::invalid(format!("parameters[{i}].value is required")))?;
            let apply_method = field("applyMethod")?.unwrap_or_else(|| "immediate".to_string());
            if !matches!(apply_method.as_str(), "immediate" | "pending-reboot") {
                return Err(ProviderError::invalid(format!(
                    "parameters[{i}].applyMethod must be immediate or pending-reboot, got {apply_method:?}"
                )));
            }
            if out.insert(name.clone(), Param { name: name.clone(), value, apply_method }).is_some() {
                return Err(ProviderError::invalid(format!("parameter {name} is set twice")));
            }
        }
        Ok(out)
    }

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        one_of(inputs, "name", "namePrefix")?;
        check_identifier_input(inputs, "name", 255)?;
        if known(inputs, "parameters").is_some() {
            params(inputs)?;
        }
        Ok(())
    }

    fn sdk_param(p: &Param) -> Parameter {
        Parameter::builder()
            .parameter_name(&p.name)
            .parameter_value(&p.value)
            .apply_method(ApplyMethod::from(p.apply_method.as_str()))
            .build()
    }

    async fn set(p: &AwsProvider, id: &str, params: &[&Param]) -> Result<(), ProviderError> {
        let rds = p.rds().await?;
        for batch in params.chunks(BATCH) {
            let batch: Vec<Parameter> = batch.iter().map(|p| sdk_param(p)).collect();
            p.call(|| {
                rds.modify_db_cluster_parameter_group()
                    .db_cluster_parameter_group_name(id)
                    .set_parameters(Some(batch.clone()))
                    .send()
            })
            .await?;
        }
        Ok(())
    }

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let rds = p.rds().await?;
        let name = identifier(ctx, inputs, "name", "namePrefix", 255)?;
        let family = required_str(inputs, "family")?;
        let description = optional_str(inputs, "description")?.unwrap_or(DEFAULT_DESCRIPTION);
        let tags = sdk_tags(&tags_for_create(ctx, inputs)?);
        let created = p
            .call(|| {
                rds.create_db_cluster_parameter_group()
                    .db_cluster_parameter_group_name(&name)
                    .db_parameter_group_family(family)
                    .description(description)
                    .set_tags(Some(tags.clone()))
                    .send()
            })
            .await;
        match created {
            Ok(_) => {
                let wanted = params(inputs)?;
                set(p, &name, &wanted.values().collect::<Vec<_>>())
                    .await
                    .map_err(after_create(&name, "setting its parameters"))?;
                Ok(name)
            }
            Err(e) if e.code == "DBParameterGroupAlreadyExists" => match read(p, &name).await? {
                Some(existing) if owned_by(ctx, &existing) => {
                    update(p, ctx, &name, &existing, inputs).await.map_err(after_create(&name, "adopting it"))?;
                    Ok(name)
                }
                _ => Err(e),
            },
            Err(e) => Err(e),
        }
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let rds = p.rds().await?;
        let out =
            p.call(|| rds.describe_db_cluster_parameter_groups().db_cluster_parameter_group_name(id).send()).await?;
        let Some(g) =
            out.db_cluster_parameter_groups().iter().find(|g| g.db_cluster_parameter_group_name() == Some(id))
        else {
            return Ok(None);
        };
        let arn = g
            .db_cluster_parameter_group_arn()
            .ok_or_else(|| missing_field("DescribeDBClusterParameterGroups", "Arn"))?;
        let mut user: BTreeMap<String, Value> = BTreeMap::new();
        let mut marker: Option<String> = None;
        loop {
            let page = p
                .call(|| {
                    rds.describe_db_cluster_parameters()
                        .db_cluster_parameter_group_name(id)
                        .source("user")
                        .set_marker(marker.clone())
                        .send()
                })
                .await?;
            for param in page.parameters() {
                let (Some(name), Some(value)) = (param.parameter_name(), param.parameter_value()) else { continue };
                let mut entry = BTreeMap::new();
                entry.insert("name".to_string(), Value::from(name));
                entry.insert("value".to_string(), Value::from(value));
                if let Some(method) = param.apply_method() {
                    entry.insert("applyMethod".to_string(), Value::from(method.as_str()));
                }
                user.insert(name.to_string(), Value::Object(entry));
            }
            match page.marker() {
                Some(next) if !next.is_empty() => marker = Some(next.to_string()),
                _ => break,
            }
        }
        let tags = list_tags(p, arn).await?;
        Ok(Some(
            Outputs::new(id, p.region().await?)
                .string("arn", Some(arn))
                .string("name", g.db_cluster_parameter_group_name())
                .string("family", g.db_parameter_group_family())
                .string("description", g.description())
                .value("parameters", Value::Array(user.into_values().collect()))
                .tags(tags)
                .build(),
        ))
    }

    pub(super) async fn update(
        p: &AwsProvider,
        ctx: &CallContext,
        id: &str,
        old: &PropertyMap,
        new: &PropertyMap,
    ) -> Result<(), ProviderError> {
        let wanted = params(new)?;
        let current = params(old).unwrap_or_default();
        let to_set: Vec<&Param> =
            wanted.values().filter(|w| current.get(&w.name).is_none_or(|c| c.value != w.value)).collect();
        set(p, id, &to_set).await?;
        let to_reset: Vec<Parameter> = current
            .keys()
            .filter(|name| !wanted.contains_key(*name))
            // A removed parameter goes back to the family's default; a
            // restart-only parameter must say so, and every one accepts it.
            .map(|name| Parameter::builder().parameter_name(name).apply_method(ApplyMethod::PendingReboot).build())
            .collect();
        if !to_reset.is_empty() {
            let rds = p.rds().await?;
            for batch in to_reset.chunks(BATCH) {
                p.call(|| {
                    rds.reset_db_cluster_parameter_group()
                        .db_cluster_parameter_group_name(id)
                        .set_parameters(Some(batch.to_vec()))
                        .send()
                })
                .await?;
            }
        }
        apply_tags(p, ctx, &arn_of(p, old, &format!("cluster-pg:{id}")).await?, old, new).await
    }

    pub(super) async fn delete(p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<(), ProviderError> {
        let rds = p.rds().await?;
        // A cluster deleted a moment ago can hold the group for a while.
        p.call_tolerating(limit(ctx, minutes(5)), &["InvalidDBParameterGroupState"], || {
            rds.delete_db_cluster_parameter_group().db_cluster_parameter_group_name(id).send()
        })
        .await?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Cluster
// ---------------------------------------------------------------------------

/// The id is the cluster identifier.
mod cluster {
    use super::*;
    use aws_sdk_rds::types::DbCluster;

    pub(super) const SUPPORTED: &[&str] = &[
        "allowMajorVersionUpgrade",
        "applyImmediately",
        "backupRetentionPeriod",
        "clusterIdentifier",
        "clusterIdentifierPrefix",
        "copyTagsToSnapshot",
        "databaseName",
        "dbClusterParameterGroupName",
        "dbSubnetGroupName",
        "deletionProtection",
        "enabledCloudwatchLogsExports",
        "engine",
        "engineMode",
        "engineVersion",
        "finalSnapshotIdentifier",
        "iamDatabaseAuthenticationEnabled",
        "kmsKeyId",
        "manageMasterUserPassword",
        "masterUserSecretKmsKeyId",
        "masterUsername",
        "port",
        "preferredBackupWindow",
        "preferredMaintenanceWindow",
        "region",
        "serverlessv2ScalingConfiguration",
        "skipFinalSnapshot",
        "storageEncrypted",
        "tags",
        "vpcSecurityGroupIds",
    ];

    /// pulumi-aws's defaults for creating and deleting a cluster.
    const CREATE_TIMEOUT: Duration = minutes(120);
    const DELETE_TIMEOUT: Duration = minutes(120);
    const UPDATE_TIMEOUT: Duration = minutes(120);

    pub(super) fn check(token: &str, inputs: &PropertyMap) -> Result<(), ProviderError> {
        let set = |k: &str| inputs.get(k).is_some_and(|v| !v.is_null());
        for password in ["masterPassword", "masterPasswordWo", "masterPasswordWoVersion"] {
            if set(password) {
                return Err(ProviderError::invalid(format!(
                    "{token}: {password} is not supported: set manageMasterUserPassword = true and AWS generates the \
                     password and keeps it in Secrets Manager (outputs carry the secret's ARN), so no password \
                     passes through tapctl or its state"
                )));
            }
        }
        reject_unsupported(token, inputs, SUPPORTED)?;
        check_apply_immediately(inputs)?;
        one_of(inputs, "clusterIdentifier", "clusterIdentifierPrefix")?;
        check_identifier_input(inputs, "clusterIdentifier", 63)?;
        let managed_known = known(inputs, "manageMasterUserPassword").is_some() || !set("manageMasterUserPassword");
        if managed_known && optional_bool(inputs, "manageMasterUserPassword")? != Some(true) {
            return Err(ProviderError::invalid(
                "manageMasterUserPassword must be true: AWS manages the master password in Secrets Manager \
                 (tapctl never generates or stores one)",
            ));
        }
        if !set("masterUsername") {
            return Err(ProviderError::invalid("masterUsername is required"));
        }
        // Deleting must know what to do with the data, before anything exists.
        let skip = known(inputs, "skipFinalSnapshot")
            .map(|_| optional_bool(inputs, "skipFinalSnapshot"))
            .transpose()?
            .flatten();
        let skip_unknown = inputs.get("skipFinalSnapshot").is_some_and(Value::contains_unknown);
        if !skip_unknown && skip != Some(true) && !set("finalSnapshotIdentifier") {
            return Err(ProviderError::invalid(
                "set finalSnapshotIdentifier, or skipFinalSnapshot = true to delete the cluster without a final snapshot",
            ));
        }
        if let Some(id) = check_str(inputs, "finalSnapshotIdentifier")? {
            check_identifier("finalSnapshotIdentifier", id, 255)?;
        }
        if let Some(days) = check_i32(inputs, "backupRetentionPeriod")? {
            if !(1..=35).contains(&days) {
                return Err(ProviderError::invalid(format!("backupRetentionPeriod must be 1 to 35 days, got {days}")));
            }
        }
        if let Some(port) = check_i32(inputs, "port")? {
            if !(1150..=65535).contains(&port) {
                return Err(ProviderError::invalid(format!("port must be 1150 to 65535, got {port}")));
            }
        }
        if let Some(config) = known(inputs, "serverlessv2ScalingConfiguration") {
            scaling(config)?;
        }
        if known(inputs, "tags").and_then(Value::as_object).is_some_and(|t| t.contains_key(FINAL_SNAPSHOT_TAG)) {
            return Err(ProviderError::invalid(format!("tag {FINAL_SNAPSHOT_TAG} is reserved for tapctl")));
        }
        Ok(())
    }

    /// `serverlessv2ScalingConfiguration` → (min, max) ACUs, validated.
    fn scaling(config: &Value) -> Result<(f64, f64), ProviderError> {
        let obj = config
            .as_object()
            .ok_or_else(|| ProviderError::invalid("serverlessv2ScalingConfiguration must be a map"))?;
        if let Some(extra) = obj.keys().find(|k| !matches!(k.as_str(), "minCapacity" | "maxCapacity")) {
            return Err(ProviderError::invalid(format!(
                "serverlessv2ScalingConfiguration.{extra} is not implemented (minCapacity, maxCapacity)"
            )));
        }
        let get = |k: &str| {
            obj.get(k)
                .and_then(Value::as_f64)
                .ok_or_else(|| ProviderError::invalid(format!("serverlessv2ScalingConfiguration.{k} must be a number")))
        };
        let (min, max) = (get("minCapacity")?, get("maxCapacity")?);
        let half_steps = |v: f64| (v * 2.0).fract() == 0.0;
        if !(0.0..=256.0).contains(&min)
            || !(1.0..=256.0).contains(&max)
            || min > max
            || !half_steps(min)
            || !half_steps(max)
        {
            return Err(ProviderError::invalid(format!(
                "serverlessv2ScalingConfiguration: capacities must be multiples of 0.5 with 0 <= minCapacity ({min}) <= \
                 maxCapacity ({max}) <= 256 and maxCapacity >= 1"
            )));
        }
        Ok((min, max))
    }

    fn sdk_scaling(inputs: &PropertyMap) -> Result<Option<ServerlessV2ScalingConfiguration>, ProviderError> {
        match inputs.get("serverlessv2ScalingConfiguration").filter(|v| !v.is_null()) {
            None => Ok(None),
            Some(config) => {
                let (min, max) = scaling(config)?;
                Ok(Some(ServerlessV2ScalingConfiguration::builder().min_capacity(min).max_capacity(max).build()))
            }
        }
    }

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let rds = p.rds().await?;
        let id = identifier(ctx, inputs, "clusterIdentifier", "clusterIdentifierPrefix", 63)?;
        let mut tags = tags_for_create(ctx, inputs)?;
        tags.push((FINAL_SNAPSHOT_TAG.to_string(), final_snapshot_tag(inputs)?));
        let tags = sdk_tags(&tags);
        let s = |k: &str| optional_str(inputs, k).map(|v| v.map(str::to_string));
        let b = |k: &str| optional_bool(inputs, k);
        let i = |k: &str| optional_i32(inputs, k);
        let engine = required_str(inputs, "engine")?;
        let request = rds
            .create_db_cluster()
            .db_cluster_identifier(&id)
            .engine(engine)
            .set_engine_mode(s("engineMode")?)
            .set_engine_version(s("engineVersion")?)
            .set_database_name(s("databaseName")?)
            .set_master_username(s("masterUsername")?)
            .manage_master_user_password(true)
            .set_master_user_secret_kms_key_id(s("masterUserSecretKmsKeyId")?)
            .set_db_subnet_group_name(s("dbSubnetGroupName")?)
            .set_vpc_security_group_ids(optional_str_list(inputs, "vpcSecurityGroupIds")?)
            .set_db_cluster_parameter_group_name(s("dbClusterParameterGroupName")?)
            .set_storage_encrypted(b("storageEncrypted")?)
            .set_kms_key_id(s("kmsKeyId")?)
            .set_backup_retention_period(i("backupRetentionPeriod")?)
            .set_preferred_backup_window(s("preferredBackupWindow")?)
            .set_preferred_maintenance_window(s("preferredMaintenanceWindow")?)
            .set_copy_tags_to_snapshot(b("copyTagsToSnapshot")?)
            .set_deletion_protection(b("deletionProtection")?)
            .set_enable_cloudwatch_logs_exports(optional_str_list(inputs, "enabledCloudwatchLogsExports")?)
            .set_serverless_v2_scaling_configuration(sdk_scaling(inputs)?)
            .set_port(i("port")?)
            .set_enable_iam_database_authentication(b("iamDatabaseAuthenticationEnabled")?)
            .set_tags(Some(tags));
        // Groups created a moment ago can be unknown to the cluster API for a while.
        let tolerated =
            &["DBSubnetGroupNotFoundFault", "DBClusterParameterGroupNotFound", "DBClusterParameterGroupNotFoundFault"];
        let created = p.call_tolerating(window(p, ctx), tolerated, || request.clone().send()).await;
        match created {
            Ok(_) => {}
            Err(e) if e.code == "DBClusterAlreadyExistsFault" => match read(p, &id).await? {
                Some(existing) if owned_by(ctx, &existing) => {
                    wait_available(p, ctx, &id, CREATE_TIMEOUT).await.map_err(after_create(&id, "adopting it"))?;
                    update(p, ctx, &id, &existing, inputs).await.map_err(after_create(&id, "adopting it"))?;
                    return Ok(id);
                }
                _ => return Err(e),
            },
            Err(e) => return Err(e),
        }
        wait_available(p, ctx, &id, CREATE_TIMEOUT)
            .await
            .map_err(after_create(&id, "waiting for it to be available"))?;
        Ok(id)
    }

    /// Waits for the cluster to be `available` (the SDK waiter), then for
    /// its master user secret to leave `creating`: the secret's ARN is what
    /// the program hands on, and a refresh right after should not see its
    /// status move.
    pub(super) async fn wait_available(
        p: &AwsProvider,
        ctx: &CallContext,
        id: &str,
        default: Duration,
    ) -> Result<(), ProviderError> {
        let rds = p.rds().await?;
        let within = limit(ctx, default);
        let what = format!("RDS cluster {id} to be available");
        let what_ref: &str = &what;
        p.wait_until(&what, within, || async move {
            // The waiter's NotFound (a new id not yet visible) is polled through.
            let waited = rds.wait_until_db_cluster_available().db_cluster_identifier(id).wait(within).await;
            found(waited.map_err(|e| waiter_error(what_ref, e)))
        })
        .await?;
        // The same describe confirms `available` once more: right after a
        // modify AWS can still show the old status for a moment.
        let what = format!("RDS cluster {id} and its master user secret to be ready");
        p.wait_until(&what, within, || async move {
            let out = p.call(|| rds.describe_db_clusters().db_cluster_identifier(id).send()).await?;
            let Some(c) = out.db_clusters().first() else { return Ok(None) };
            let secret = c.master_user_secret().and_then(|s| s.secret_status());
            Ok((c.status() == Some("available") && !matches!(secret, Some("creating"))).then_some(()))
        })
        .await
    }

    fn outputs_of(c: &DbCluster, id: &str, region: &str) -> PropertyMap {
        let secret = c.master_user_secret().map(|s| {
            let mut m = BTreeMap::new();
            for (k, v) in
                [("secretArn", s.secret_arn()), ("secretStatus", s.secret_status()), ("kmsKeyId", s.kms_key_id())]
            {
                if let Some(v) = v {
                    m.insert(k.to_string(), Value::from(v));
                }
            }
            Value::Array(vec![Value::Object(m)])
        });
        let scaling = c.serverless_v2_scaling_configuration().map(|s| {
            let mut m = BTreeMap::new();
            if let Some(v) = s.min_capacity() {
                m.insert("minCapacity".to_string(), Value::Number(v));
            }
            if let Some(v) = s.max_capacity() {
                m.insert("maxCapacity".to_string(), Value::Number(v));
            }
            if let Some(v) = s.seconds_until_auto_pause() {
                m.insert("secondsUntilAutoPause".to_string(), Value::Number(f64::from(v)));
            }
            Value::Object(m)
        });
        let snapshot_tag = c.tag_list().iter().find(|t| t.key() == Some(FINAL_SNAPSHOT_TAG)).and_then(|t| t.value());
        let user_tags: Vec<(String, String)> =
            tag_pairs(c.tag_list()).into_iter().filter(|(k, _)| k != FINAL_SNAPSHOT_TAG).collect();
        let mut out = Outputs::new(id, region)
            .string("arn", c.db_cluster_arn())
            .string("clusterIdentifier", c.db_cluster_identifier())
            .string("clusterResourceId", c.db_cluster_resource_id())
            .string("engine", c.engine())
            .string("engineMode", c.engine_mode())
            .string("engineVersion", c.engine_version())
            .string("engineVersionActual", c.engine_version())
            .string("databaseName", c.database_name())
            .string("masterUsername", c.master_username())
            .bool("manageMasterUserPassword", Some(c.master_user_secret().is_some()))
            .string("dbSubnetGroupName", c.db_subnet_group())
            .string("dbClusterParameterGroupName", c.db_cluster_parameter_group())
            .value(
                "vpcSecurityGroupIds",
                sorted_list(c.vpc_security_groups().iter().filter_map(|g| g.vpc_security_group_id())),
            )
            .bool("storageEncrypted", c.storage_encrypted())
            .string("kmsKeyId", c.kms_key_id())
            .int("backupRetentionPeriod", c.backup_retention_period().map(i64::from))
            .string("preferredBackupWindow", c.preferred_backup_window())
            .string("preferredMaintenanceWindow", c.preferred_maintenance_window())
            .bool("copyTagsToSnapshot", c.copy_tags_to_snapshot())
            .bool("deletionProtection", c.deletion_protection())
            .value(
                "enabledCloudwatchLogsExports",
                sorted_list(c.enabled_cloudwatch_logs_exports().iter().map(String::as_str)),
            )
            .value("availabilityZones", sorted_list(c.availability_zones().iter().map(String::as_str)))
            .bool("iamDatabaseAuthenticationEnabled", c.iam_database_authentication_enabled())
            .int("port", c.port().map(i64::from))
            .string("endpoint", c.endpoint())
            .string("readerEndpoint", c.reader_endpoint())
            .string("hostedZoneId", c.hosted_zone_id())
            .string("networkType", c.network_type())
            .string("storageType", c.storage_type())
            .bool("skipFinalSnapshot", snapshot_tag.map(|t| t == SKIP))
            .string("finalSnapshotIdentifier", snapshot_tag.filter(|t| *t != SKIP));
        if let Some(secret) = secret {
            out = out.value("masterUserSecrets", secret);
        }
        if let Some(scaling) = scaling {
            out = out.value("serverlessv2ScalingConfiguration", scaling);
        }
        out.tags(user_tags).build()
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let rds = p.rds().await?;
        let out = p.call(|| rds.describe_db_clusters().db_cluster_identifier(id).send()).await?;
        let Some(c) = out.db_clusters().iter().find(|c| c.db_cluster_identifier() == Some(id)) else { return Ok(None) };
        // A cluster on its way out is gone for the program's purposes.
        if matches!(c.status(), Some("deleting" | "deleted")) {
            return Ok(None);
        }
        Ok(Some(outputs_of(c, id, p.region().await?)))
    }

    pub(super) async fn update(
        p: &AwsProvider,
        ctx: &CallContext,
        id: &str,
        old: &PropertyMap,
        new: &PropertyMap,
    ) -> Result<(), ProviderError> {
        let rds = p.rds().await?;
        let ch = |k: &str| changed(old, new, k);
        let s = |k: &str| -> Result<Option<String>, ProviderError> {
            Ok(if ch(k) { optional_str(new, k)?.map(str::to_string) } else { None })
        };
        let b = |k: &str| -> Result<Option<bool>, ProviderError> {
            if ch(k) {
                optional_bool(new, k)
            } else {
                Ok(None)
            }
        };
        let i = |k: &str| -> Result<Option<i32>, ProviderError> {
            if ch(k) {
                optional_i32(new, k)
            } else {
                Ok(None)
            }
        };
        let mut request = rds
            .modify_db_cluster()
            .db_cluster_identifier(id)
            .apply_immediately(true)
            .set_backup_retention_period(i("backupRetentionPeriod")?)
            .set_copy_tags_to_snapshot(b("copyTagsToSnapshot")?)
            .set_db_cluster_parameter_group_name(s("dbClusterParameterGroupName")?)
            .set_deletion_protection(b("deletionProtection")?)
            .set_engine_version(s("engineVersion")?)
            .set_port(i("port")?)
            .set_preferred_backup_window(s("preferredBackupWindow")?)
            .set_preferred_maintenance_window(s("preferredMaintenanceWindow")?)
            .set_enable_iam_database_authentication(b("iamDatabaseAuthenticationEnabled")?)
            .set_master_user_secret_kms_key_id(s("masterUserSecretKmsKeyId")?);
        let mut any = [
            "backupRetentionPeriod",
            "copyTagsToSnapshot",
            "dbClusterParameterGroupName",
            "deletionProtection",
            "engineVersion",
            "port",
            "preferredBackupWindow",
            "preferredMaintenanceWindow",
            "iamDatabaseAuthenticationEnabled",
            "masterUserSecretKmsKeyId",
        ]
        .iter()
        .any(|k| ch(k) && new.get(*k).is_some_and(|v| !v.is_null()));
        if ch("engineVersion") {
            request = request.set_allow_major_version_upgrade(optional_bool(new, "allowMajorVersionUpgrade")?);
        }
        if ch("vpcSecurityGroupIds") {
            request = request
                .set_vpc_security_group_ids(Some(optional_str_list(new, "vpcSecurityGroupIds")?.unwrap_or_default()));
            any = true;
        }
        if ch("serverlessv2ScalingConfiguration") {
            if let Some(scaling) = sdk_scaling(new)? {
                request = request.serverless_v2_scaling_configuration(scaling);
                any = true;
            }
        }
        if let Some(logs) = log_exports_change(old, new) {
            request = request.cloudwatch_logs_export_configuration(logs);
            any = true;
        }
        if any {
            p.call_tolerating(window(p, ctx), &["InvalidDBClusterStateFault"], || request.clone().send()).await?;
            wait_available(p, ctx, id, UPDATE_TIMEOUT).await?;
        }
        let arn = arn_of(p, old, &format!("cluster:{id}")).await?;
        record_final_snapshot(p, &arn, old, new).await?;
        apply_tags(p, ctx, &arn, old, new).await
    }

    pub(super) async fn delete(
        p: &AwsProvider,
        ctx: &CallContext,
        id: &str,
        outputs: &PropertyMap,
    ) -> Result<(), ProviderError> {
        let rds = p.rds().await?;
        let snapshot = final_snapshot(id, outputs);
        // A cluster still modifying or backing up refuses deletion for a while.
        let deleted = p
            .call_tolerating(limit(ctx, minutes(10)), &["InvalidDBClusterStateFault"], || {
                rds.delete_db_cluster()
                    .db_cluster_identifier(id)
                    .skip_final_snapshot(snapshot.is_none())
                    .set_final_db_snapshot_identifier(snapshot.clone())
                    .send()
            })
            .await;
        explain_protection("cluster", id, deleted)?;
        let within = limit(ctx, DELETE_TIMEOUT);
        let what = format!("RDS cluster {id} to be deleted");
        let waited = rds.wait_until_db_cluster_deleted().db_cluster_identifier(id).wait(within).await;
        gone_is_ok(waited.map_err(|e| waiter_error(&what, e)))
    }
}

// ---------------------------------------------------------------------------
// Cluster instance
// ---------------------------------------------------------------------------

/// The id is the instance identifier.
mod instance {
    use super::*;
    use aws_sdk_rds::types::DbInstance;

    pub(super) const SUPPORTED: &[&str] = &[
        "applyImmediately",
        "autoMinorVersionUpgrade",
        "availabilityZone",
        "caCertIdentifier",
        "clusterIdentifier",
        "copyTagsToSnapshot",
        "dbParameterGroupName",
        "dbSubnetGroupName",
        "engine",
        "engineVersion",
        "identifier",
        "identifierPrefix",
        "instanceClass",
        "monitoringInterval",
        "monitoringRoleArn",
        "performanceInsightsEnabled",
        "performanceInsightsKmsKeyId",
        "performanceInsightsRetentionPeriod",
        "preferredMaintenanceWindow",
        "promotionTier",
        "publiclyAccessible",
        "region",
        "tags",
    ];

    /// pulumi-aws's defaults.
    const CREATE_TIMEOUT: Duration = minutes(90);
    const UPDATE_TIMEOUT: Duration = minutes(90);
    const DELETE_TIMEOUT: Duration = minutes(90);

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        check_apply_immediately(inputs)?;
        one_of(inputs, "identifier", "identifierPrefix")?;
        check_identifier_input(inputs, "identifier", 63)?;
        if let Some(interval) = check_i32(inputs, "monitoringInterval")? {
            if ![0, 1, 5, 10, 15, 30, 60].contains(&interval) {
                return Err(ProviderError::invalid(format!(
                    "monitoringInterval must be 0, 1, 5, 10, 15, 30 or 60, got {interval}"
                )));
            }
            if interval > 0 && inputs.get("monitoringRoleArn").is_none_or(Value::is_null) {
                return Err(ProviderError::invalid(
                    "monitoringInterval > 0 needs monitoringRoleArn (enhanced monitoring's role)",
                ));
            }
        }
        if let Some(days) = check_i32(inputs, "performanceInsightsRetentionPeriod")? {
            if !(days == 7 || days == 731 || (days > 0 && days % 31 == 0 && days <= 713)) {
                return Err(ProviderError::invalid(format!(
                    "performanceInsightsRetentionPeriod must be 7, 731 or a multiple of 31 up to 713 days, got {days}"
                )));
            }
        }
        if let Some(tier) = check_i32(inputs, "promotionTier")? {
            if !(0..=15).contains(&tier) {
                return Err(ProviderError::invalid(format!("promotionTier must be 0 to 15, got {tier}")));
            }
        }
        Ok(())
    }

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let rds = p.rds().await?;
        let id = identifier(ctx, inputs, "identifier", "identifierPrefix", 63)?;
        let tags = sdk_tags(&tags_for_create(ctx, inputs)?);
        let s = |k: &str| optional_str(inputs, k).map(|v| v.map(str::to_string));
        let b = |k: &str| optional_bool(inputs, k);
        let i = |k: &str| optional_i32(inputs, k);
        let request = rds
            .create_db_instance()
            .db_instance_identifier(&id)
            .db_cluster_identifier(required_str(inputs, "clusterIdentifier")?)
            .db_instance_class(required_str(inputs, "instanceClass")?)
            .engine(required_str(inputs, "engine")?)
            .set_engine_version(s("engineVersion")?)
            .set_availability_zone(s("availabilityZone")?)
            .set_db_subnet_group_name(s("dbSubnetGroupName")?)
            .set_db_parameter_group_name(s("dbParameterGroupName")?)
            .set_publicly_accessible(b("publiclyAccessible")?)
            .set_auto_minor_version_upgrade(b("autoMinorVersionUpgrade")?)
            .set_ca_certificate_identifier(s("caCertIdentifier")?)
            .set_copy_tags_to_snapshot(b("copyTagsToSnapshot")?)
            .set_monitoring_interval(i("monitoringInterval")?)
            .set_monitoring_role_arn(s("monitoringRoleArn")?)
            .set_enable_performance_insights(b("performanceInsightsEnabled")?)
            .set_performance_insights_kms_key_id(s("performanceInsightsKmsKeyId")?)
            .set_performance_insights_retention_period(i("performanceInsightsRetentionPeriod")?)
            .set_preferred_maintenance_window(s("preferredMaintenanceWindow")?)
            .set_promotion_tier(i("promotionTier")?)
            .set_tags(Some(tags));
        // A monitoring role created moments ago is "invalid" to RDS until IAM
        // has propagated it; a cluster still settling refuses new members.
        let created =
            tolerating_message(p, window(p, ctx), "InvalidParameterValue", "monitoring", || request.clone().send())
                .await;
        let created = match created {
            Err(e) if e.code == "InvalidDBClusterStateFault" || e.code == "DBClusterNotFoundFault" => {
                p.call_tolerating(
                    limit(ctx, minutes(10)),
                    &["InvalidDBClusterStateFault", "DBClusterNotFoundFault"],
                    || request.clone().send(),
                )
                .await
            }
            other => other,
        };
        match created {
            Ok(_) => {}
            Err(e) if e.code == "DBInstanceAlreadyExists" => match read(p, &id).await? {
                Some(existing) if owned_by(ctx, &existing) => {
                    wait_available(p, ctx, &id, CREATE_TIMEOUT).await.map_err(after_create(&id, "adopting it"))?;
                    update(p, ctx, &id, &existing, inputs).await.map_err(after_create(&id, "adopting it"))?;
                    return Ok(id);
                }
                _ => return Err(e),
            },
            Err(e) => return Err(e),
        }
        wait_available(p, ctx, &id, CREATE_TIMEOUT)
            .await
            .map_err(after_create(&id, "waiting for it to be available"))?;
        Ok(id)
    }

    async fn wait_available(
        p: &AwsProvider,
        ctx: &CallContext,
        id: &str,
        default: Duration,
    ) -> Result<(), ProviderError> {
        let rds = p.rds().await?;
        let within = limit(ctx, default);
        let what = format!("RDS instance {id} to be available");
        let what_ref: &str = &what;
        p.wait_until(&what, within, || async move {
            let waited = rds.wait_until_db_instance_available().db_instance_identifier(id).wait(within).await;
            found(waited.map_err(|e| waiter_error(what_ref, e)))
        })
        .await
        .map(|_| ())
    }

    fn outputs_of(d: &DbInstance, id: &str, region: &str) -> PropertyMap {
        Outputs::new(id, region)
            .string("arn", d.db_instance_arn())
            .string("identifier", d.db_instance_identifier())
            .string("clusterIdentifier", d.db_cluster_identifier())
            .string("instanceClass", d.db_instance_class())
            .string("engine", d.engine())
            .string("engineVersion", d.engine_version())
            .string("engineVersionActual", d.engine_version())
            .string("endpoint", d.endpoint().and_then(|e| e.address()))
            .int("port", d.endpoint().and_then(|e| e.port()).or(d.db_instance_port().filter(|p| *p > 0)).map(i64::from))
            .string("availabilityZone", d.availability_zone())
            .string("dbSubnetGroupName", d.db_subnet_group().and_then(|g| g.db_subnet_group_name()))
            .string("dbParameterGroupName", d.db_parameter_groups().first().and_then(|g| g.db_parameter_group_name()))
            .bool("publiclyAccessible", d.publicly_accessible())
            .bool("autoMinorVersionUpgrade", d.auto_minor_version_upgrade())
            .string("caCertIdentifier", d.ca_certificate_identifier())
            .bool("copyTagsToSnapshot", d.copy_tags_to_snapshot())
            .int("monitoringInterval", d.monitoring_interval().map(i64::from))
            .string("monitoringRoleArn", d.monitoring_role_arn())
            .bool("performanceInsightsEnabled", d.performance_insights_enabled())
            .string("performanceInsightsKmsKeyId", d.performance_insights_kms_key_id())
            .int("performanceInsightsRetentionPeriod", d.performance_insights_retention_period().map(i64::from))
            .string("preferredBackupWindow", d.preferred_backup_window())
            .string("preferredMaintenanceWindow", d.preferred_maintenance_window())
            .int("promotionTier", d.promotion_tier().map(i64::from))
            .string("dbiResourceId", d.dbi_resource_id())
            .string("kmsKeyId", d.kms_key_id())
            .bool("storageEncrypted", d.storage_encrypted())
            .string("networkType", d.network_type())
            .tags(tag_pairs(d.tag_list()))
            .build()
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let rds = p.rds().await?;
        let out = p.call(|| rds.describe_db_instances().db_instance_identifier(id).send()).await?;
        let Some(d) = out.db_instances().iter().find(|d| d.db_instance_identifier() == Some(id)) else {
            return Ok(None);
        };
        if matches!(d.db_instance_status(), Some("deleting" | "deleted")) {
            return Ok(None);
        }
        Ok(Some(outputs_of(d, id, p.region().await?)))
    }

    pub(super) async fn update(
        p: &AwsProvider,
        ctx: &CallContext,
        id: &str,
        old: &PropertyMap,
        new: &PropertyMap,
    ) -> Result<(), ProviderError> {
        let rds = p.rds().await?;
        let ch = |k: &str| changed(old, new, k) && new.get(k).is_some_and(|v| !v.is_null());
        let s = |k: &str| -> Result<Option<String>, ProviderError> {
            Ok(if ch(k) { optional_str(new, k)?.map(str::to_string) } else { None })
        };
        let b = |k: &str| -> Result<Option<bool>, ProviderError> {
            if ch(k) {
                optional_bool(new, k)
            } else {
                Ok(None)
            }
        };
        let i = |k: &str| -> Result<Option<i32>, ProviderError> {
            if ch(k) {
                optional_i32(new, k)
            } else {
                Ok(None)
            }
        };
        // engineVersion is the cluster's to change: AWS refuses it on a
        // cluster member, and the member follows the cluster.
        let keys = [
            "instanceClass",
            "dbParameterGroupName",
            "publiclyAccessible",
            "autoMinorVersionUpgrade",
            "caCertIdentifier",
            "copyTagsToSnapshot",
            "monitoringInterval",
            "monitoringRoleArn",
            "performanceInsightsEnabled",
            "performanceInsightsKmsKeyId",
            "performanceInsightsRetentionPeriod",
            "preferredMaintenanceWindow",
            "promotionTier",
        ];
        if keys.iter().any(|k| ch(k)) {
            let request = rds
                .modify_db_instance()
                .db_instance_identifier(id)
                .apply_immediately(true)
                .set_db_instance_class(s("instanceClass")?)
                .set_db_parameter_group_name(s("dbParameterGroupName")?)
                .set_publicly_accessible(b("publiclyAccessible")?)
                .set_auto_minor_version_upgrade(b("autoMinorVersionUpgrade")?)
                .set_ca_certificate_identifier(s("caCertIdentifier")?)
                .set_copy_tags_to_snapshot(b("copyTagsToSnapshot")?)
                // The interval and its role go together.
                .set_monitoring_interval(if ch("monitoringInterval") || ch("monitoringRoleArn") {
                    optional_i32(new, "monitoringInterval")?
                } else {
                    None
                })
                .set_monitoring_role_arn(if ch("monitoringInterval") || ch("monitoringRoleArn") {
                    optional_str(new, "monitoringRoleArn")?.map(str::to_string)
                } else {
                    None
                })
                .set_enable_performance_insights(b("performanceInsightsEnabled")?)
                .set_performance_insights_kms_key_id(s("performanceInsightsKmsKeyId")?)
                .set_performance_insights_retention_period(i("performanceInsightsRetentionPeriod")?)
                .set_preferred_maintenance_window(s("preferredMaintenanceWindow")?)
                .set_promotion_tier(i("promotionTier")?);
            tolerating_message(p, window(p, ctx), "InvalidParameterValue", "monitoring", || request.clone().send())
                .await?;
            wait_available(p, ctx, id, UPDATE_TIMEOUT).await?;
        }
        apply_tags(p, ctx, &arn_of(p, old, &format!("db:{id}")).await?, old, new).await
    }

    pub(super) async fn delete(p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<(), ProviderError> {
        let rds = p.rds().await?;
        // A cluster member has no snapshot of its own: the cluster's final
        // snapshot (or not) covers the data. A member still modifying or
        // backing up refuses deletion for a while.
        p.call_tolerating(limit(ctx, minutes(10)), &["InvalidDBInstanceState"], || {
            rds.delete_db_instance().db_instance_identifier(id).skip_final_snapshot(true).send()
        })
        .await?;
        let within = limit(ctx, DELETE_TIMEOUT);
        let what = format!("RDS instance {id} to be deleted");
        let waited = rds.wait_until_db_instance_deleted().db_instance_identifier(id).wait(within).await;
        gone_is_ok(waited.map_err(|e| waiter_error(&what, e)))
    }
}

// ---------------------------------------------------------------------------
// DB instance (non-Aurora engines)
// ---------------------------------------------------------------------------

/// The id is the instance identifier. A restore from `snapshotIdentifier`
/// takes what RestoreDBInstanceFromDBSnapshot takes and applies the rest
/// (backups, windows, managed password, storage limit) with one
/// ModifyDBInstance right after, as Terraform does.
mod db {
    use super::*;
    use aws_sdk_rds::types::DbInstance;

    pub(super) const SUPPORTED: &[&str] = &[
        "allocatedStorage",
        "allowMajorVersionUpgrade",
        "applyImmediately",
        "autoMinorVersionUpgrade",
        "backupRetentionPeriod",
        "backupWindow",
        "copyTagsToSnapshot",
        "dbName",
        "dbSubnetGroupName",
        "deletionProtection",
        "enabledCloudwatchLogsExports",
        "engine",
        "engineVersion",
        "finalSnapshotIdentifier",
        "iamDatabaseAuthenticationEnabled",
        "identifier",
        "identifierPrefix",
        "instanceClass",
        "iops",
        "kmsKeyId",
        "maintenanceWindow",
        "manageMasterUserPassword",
        "masterUserSecretKmsKeyId",
        "maxAllocatedStorage",
        "monitoringInterval",
        "monitoringRoleArn",
        "multiAz",
        "parameterGroupName",
        "port",
        "publiclyAccessible",
        "region",
        "skipFinalSnapshot",
        "snapshotIdentifier",
        "storageEncrypted",
        "storageType",
        "tags",
        "username",
        "vpcSecurityGroupIds",
    ];

    /// pulumi-aws's defaults.
    const CREATE_TIMEOUT: Duration = minutes(40);
    const UPDATE_TIMEOUT: Duration = minutes(80);
    const DELETE_TIMEOUT: Duration = minutes(60);

    /// Inputs ModifyDBInstance changes in place.
    const MODIFIABLE: &[&str] = &[
        "allocatedStorage",
        "autoMinorVersionUpgrade",
        "backupRetentionPeriod",
        "backupWindow",
        "copyTagsToSnapshot",
        "dbSubnetGroupName",
        "deletionProtection",
        "engineVersion",
        "iamDatabaseAuthenticationEnabled",
        "instanceClass",
        "iops",
        "maintenanceWindow",
        "manageMasterUserPassword",
        "masterUserSecretKmsKeyId",
        "maxAllocatedStorage",
        "monitoringInterval",
        "monitoringRoleArn",
        "multiAz",
        "parameterGroupName",
        "port",
        "publiclyAccessible",
        "storageType",
        "vpcSecurityGroupIds",
    ];

    pub(super) fn check(token: &str, inputs: &PropertyMap) -> Result<(), ProviderError> {
        let set = |k: &str| inputs.get(k).is_some_and(|v| !v.is_null());
        for password in ["password", "passwordWo", "passwordWoVersion"] {
            if set(password) {
                return Err(ProviderError::invalid(format!(
                    "{token}: {password} is not supported: set manageMasterUserPassword = true and AWS generates the \
                     password and keeps it in Secrets Manager (outputs carry the secret's ARN), so no password \
                     passes through tapctl or its state"
                )));
            }
        }
        reject_unsupported(token, inputs, SUPPORTED)?;
        check_apply_immediately(inputs)?;
        one_of(inputs, "identifier", "identifierPrefix")?;
        check_identifier_input(inputs, "identifier", 63)?;
        let restoring = set("snapshotIdentifier");
        if !restoring {
            for k in ["engine", "username", "allocatedStorage"] {
                if !set(k) {
                    return Err(ProviderError::invalid(format!("{k} is required (unless restoring a snapshot)")));
                }
            }
            let managed_known = known(inputs, "manageMasterUserPassword").is_some() || !set("manageMasterUserPassword");
            if managed_known && optional_bool(inputs, "manageMasterUserPassword")? != Some(true) {
                return Err(ProviderError::invalid(
                    "manageMasterUserPassword must be true: AWS manages the master password in Secrets Manager \
                     (tapctl never generates or stores one)",
                ));
            }
        } else {
            for k in ["username", "dbName", "storageEncrypted", "kmsKeyId"] {
                if set(k) {
                    return Err(ProviderError::invalid(format!("{k} comes from the snapshot when restoring one")));
                }
            }
        }
        let skip = known(inputs, "skipFinalSnapshot")
            .map(|_| optional_bool(inputs, "skipFinalSnapshot"))
            .transpose()?
            .flatten();
        let skip_unknown = inputs.get("skipFinalSnapshot").is_some_and(Value::contains_unknown);
        if !skip_unknown && skip != Some(true) && !set("finalSnapshotIdentifier") {
            return Err(ProviderError::invalid(
                "set finalSnapshotIdentifier, or skipFinalSnapshot = true to delete the instance without a final snapshot",
            ));
        }
        if let Some(id) = check_str(inputs, "finalSnapshotIdentifier")? {
            check_identifier("finalSnapshotIdentifier", id, 255)?;
        }
        if let Some(interval) = check_i32(inputs, "monitoringInterval")? {
            if ![0, 1, 5, 10, 15, 30, 60].contains(&interval) {
                return Err(ProviderError::invalid(format!(
                    "monitoringInterval must be 0, 1, 5, 10, 15, 30 or 60, got {interval}"
                )));
            }
            if interval > 0 && !set("monitoringRoleArn") {
                return Err(ProviderError::invalid(
                    "monitoringInterval > 0 needs monitoringRoleArn (enhanced monitoring's role)",
                ));
            }
        }
        if let Some(days) = check_i32(inputs, "backupRetentionPeriod")? {
            if !(0..=35).contains(&days) {
                return Err(ProviderError::invalid(format!("backupRetentionPeriod must be 0 to 35 days, got {days}")));
            }
        }
        if let (Some(a), Some(m)) = (check_i32(inputs, "allocatedStorage")?, check_i32(inputs, "maxAllocatedStorage")?)
        {
            if m != 0 && m < a {
                return Err(ProviderError::invalid(format!(
                    "maxAllocatedStorage ({m}) must be at least allocatedStorage ({a}), or 0 to turn autoscaling off"
                )));
            }
        }
        if known(inputs, "tags").and_then(Value::as_object).is_some_and(|t| t.contains_key(FINAL_SNAPSHOT_TAG)) {
            return Err(ProviderError::invalid(format!("tag {FINAL_SNAPSHOT_TAG} is reserved for tapctl")));
        }
        Ok(())
    }

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let rds = p.rds().await?;
        let id = identifier(ctx, inputs, "identifier", "identifierPrefix", 63)?;
        let mut tags = tags_for_create(ctx, inputs)?;
        tags.push((FINAL_SNAPSHOT_TAG.to_string(), final_snapshot_tag(inputs)?));
        let tags = sdk_tags(&tags);
        let s = |k: &str| optional_str(inputs, k).map(|v| v.map(str::to_string));
        let b = |k: &str| optional_bool(inputs, k);
        let i = |k: &str| optional_i32(inputs, k);
        let groups = optional_str_list(inputs, "vpcSecurityGroupIds")?;
        let logs = optional_str_list(inputs, "enabledCloudwatchLogsExports")?;
        // Groups created a moment ago can be unknown to RDS for a while.
        let tolerated = &["DBSubnetGroupNotFoundFault", "DBParameterGroupNotFound", "DBParameterGroupNotFoundFault"];
        let created = match s("snapshotIdentifier")? {
            Some(snapshot) => {
                let request = rds
                    .restore_db_instance_from_db_snapshot()
                    .db_instance_identifier(&id)
                    .db_snapshot_identifier(snapshot)
                    .db_instance_class(required_str(inputs, "instanceClass")?)
                    .set_engine(s("engine")?)
                    .set_db_subnet_group_name(s("dbSubnetGroupName")?)
                    .set_vpc_security_group_ids(groups.clone())
                    .set_multi_az(b("multiAz")?)
                    .set_port(i("port")?)
                    .set_storage_type(s("storageType")?)
                    .set_iops(i("iops")?)
                    .set_allocated_storage(i("allocatedStorage")?)
                    .set_publicly_accessible(b("publiclyAccessible")?)
                    .set_auto_minor_version_upgrade(b("autoMinorVersionUpgrade")?)
                    .set_copy_tags_to_snapshot(b("copyTagsToSnapshot")?)
                    .set_deletion_protection(b("deletionProtection")?)
                    .set_db_parameter_group_name(s("parameterGroupName")?)
                    .set_enable_cloudwatch_logs_exports(logs.clone())
                    .set_enable_iam_database_authentication(b("iamDatabaseAuthenticationEnabled")?)
                    .set_tags(Some(tags));
                p.call_tolerating(window(p, ctx), tolerated, || request.clone().send()).await.map(drop)
            }
            None => {
                let request = rds
                    .create_db_instance()
                    .db_instance_identifier(&id)
                    .db_instance_class(required_str(inputs, "instanceClass")?)
                    .engine(required_str(inputs, "engine")?)
                    .set_engine_version(s("engineVersion")?)
                    .set_allocated_storage(i("allocatedStorage")?)
                    .set_max_allocated_storage(i("maxAllocatedStorage")?.filter(|m| *m > 0))
                    .set_storage_type(s("storageType")?)
                    .set_iops(i("iops")?)
                    .set_storage_encrypted(b("storageEncrypted")?)
                    .set_kms_key_id(s("kmsKeyId")?)
                    .set_db_name(s("dbName")?)
                    .set_master_username(s("username")?)
                    .manage_master_user_password(true)
                    .set_master_user_secret_kms_key_id(s("masterUserSecretKmsKeyId")?)
                    .set_db_subnet_group_name(s("dbSubnetGroupName")?)
                    .set_vpc_security_group_ids(groups.clone())
                    .set_db_parameter_group_name(s("parameterGroupName")?)
                    .set_multi_az(b("multiAz")?)
                    .set_port(i("port")?)
                    .set_publicly_accessible(b("publiclyAccessible")?)
                    .set_backup_retention_period(i("backupRetentionPeriod")?)
                    .set_preferred_backup_window(s("backupWindow")?)
                    .set_preferred_maintenance_window(s("maintenanceWindow")?)
                    .set_auto_minor_version_upgrade(b("autoMinorVersionUpgrade")?)
                    .set_copy_tags_to_snapshot(b("copyTagsToSnapshot")?)
                    .set_deletion_protection(b("deletionProtection")?)
                    .set_enable_cloudwatch_logs_exports(logs.clone())
                    .set_enable_iam_database_authentication(b("iamDatabaseAuthenticationEnabled")?)
                    .set_monitoring_interval(i("monitoringInterval")?)
                    .set_monitoring_role_arn(s("monitoringRoleArn")?)
                    .set_tags(Some(tags));
                // A monitoring role created moments ago is "invalid" to RDS
                // until IAM has propagated it.
                match tolerating_message(p, window(p, ctx), "InvalidParameterValue", "monitoring", || {
                    request.clone().send()
                })
                .await
                {
                    Err(e) if tolerated.contains(&e.code.as_str()) => {
                        p.call_tolerating(window(p, ctx), tolerated, || request.clone().send()).await.map(drop)
                    }
                    other => other.map(drop),
                }
            }
        };
        match created {
            Ok(()) => {}
            Err(e) if e.code == "DBInstanceAlreadyExists" => match read(p, &id).await? {
                Some(existing) if owned_by(ctx, &existing) => {
                    wait_available(p, ctx, &id, CREATE_TIMEOUT).await.map_err(after_create(&id, "adopting it"))?;
                    update(p, ctx, &id, &existing, inputs).await.map_err(after_create(&id, "adopting it"))?;
                    return Ok(id);
                }
                _ => return Err(e),
            },
            Err(e) => return Err(e),
        }
        wait_available(p, ctx, &id, CREATE_TIMEOUT)
            .await
            .map_err(after_create(&id, "waiting for it to be available"))?;
        if inputs.get("snapshotIdentifier").is_some_and(|v| !v.is_null()) {
            // What the restore call does not take, applied as an update from
            // what the restore made.
            let restored = read(p, &id).await?.ok_or_else(|| missing_field("DescribeDBInstances", "DBInstance"))?;
            modify(p, ctx, &id, &restored, inputs, true).await.map_err(after_create(&id, "configuring it"))?;
        }
        Ok(id)
    }

    async fn wait_available(
        p: &AwsProvider,
        ctx: &CallContext,
        id: &str,
        default: Duration,
    ) -> Result<(), ProviderError> {
        let rds = p.rds().await?;
        let within = limit(ctx, default);
        let what = format!("RDS instance {id} to be available");
        let what_ref: &str = &what;
        p.wait_until(&what, within, || async move {
            let waited = rds.wait_until_db_instance_available().db_instance_identifier(id).wait(within).await;
            found(waited.map_err(|e| waiter_error(what_ref, e)))
        })
        .await?;
        // The managed password's secret is what programs hand on: wait until
        // it has left `creating`, so a refresh right after sees no change.
        p.wait_until(&format!("RDS instance {id} and its master user secret to be ready"), within, || async move {
            let out = p.call(|| rds.describe_db_instances().db_instance_identifier(id).send()).await?;
            let Some(d) = out.db_instances().first() else { return Ok(None) };
            let secret = d.master_user_secret().and_then(|s| s.secret_status());
            Ok((d.db_instance_status() == Some("available") && !matches!(secret, Some("creating"))).then_some(()))
        })
        .await
    }

    fn outputs_of(d: &DbInstance, id: &str, region: &str) -> PropertyMap {
        let secret = d.master_user_secret().map(|s| {
            let m: BTreeMap<String, Value> =
                [("secretArn", s.secret_arn()), ("secretStatus", s.secret_status()), ("kmsKeyId", s.kms_key_id())]
                    .into_iter()
                    .filter_map(|(k, v)| Some((k.to_string(), Value::from(v?))))
                    .collect();
            Value::Array(vec![Value::Object(m)])
        });
        let snapshot_tag = d.tag_list().iter().find(|t| t.key() == Some(FINAL_SNAPSHOT_TAG)).and_then(|t| t.value());
        let user_tags: Vec<(String, String)> =
            tag_pairs(d.tag_list()).into_iter().filter(|(k, _)| k != FINAL_SNAPSHOT_TAG).collect();
        let endpoint = d.endpoint();
        let mut out = Outputs::new(id, region)
            .string("arn", d.db_instance_arn())
            .string("identifier", d.db_instance_identifier())
            .string("resourceId", d.dbi_resource_id())
            .string("instanceClass", d.db_instance_class())
            .string("engine", d.engine())
            .string("engineVersion", d.engine_version())
            .string("engineVersionActual", d.engine_version())
            .int("allocatedStorage", d.allocated_storage().map(i64::from))
            .int("maxAllocatedStorage", d.max_allocated_storage().map(i64::from))
            .string("storageType", d.storage_type())
            .int("iops", d.iops().map(i64::from))
            .bool("storageEncrypted", d.storage_encrypted())
            .string("kmsKeyId", d.kms_key_id())
            .string("dbName", d.db_name())
            .string("username", d.master_username())
            .bool("manageMasterUserPassword", Some(d.master_user_secret().is_some()))
            .string("dbSubnetGroupName", d.db_subnet_group().and_then(|g| g.db_subnet_group_name()))
            .value(
                "vpcSecurityGroupIds",
                sorted_list(d.vpc_security_groups().iter().filter_map(|g| g.vpc_security_group_id())),
            )
            .string("parameterGroupName", d.db_parameter_groups().first().and_then(|g| g.db_parameter_group_name()))
            .bool("multiAz", d.multi_az())
            .string("availabilityZone", d.availability_zone())
            .bool("publiclyAccessible", d.publicly_accessible())
            .int("backupRetentionPeriod", d.backup_retention_period().map(i64::from))
            .string("backupWindow", d.preferred_backup_window())
            .string("maintenanceWindow", d.preferred_maintenance_window())
            .bool("autoMinorVersionUpgrade", d.auto_minor_version_upgrade())
            .bool("copyTagsToSnapshot", d.copy_tags_to_snapshot())
            .bool("deletionProtection", d.deletion_protection())
            .bool("iamDatabaseAuthenticationEnabled", d.iam_database_authentication_enabled())
            .int("monitoringInterval", d.monitoring_interval().map(i64::from))
            .string("monitoringRoleArn", d.monitoring_role_arn())
            .value(
                "enabledCloudwatchLogsExports",
                sorted_list(d.enabled_cloudwatch_logs_exports().iter().map(String::as_str)),
            )
            .string("address", endpoint.and_then(|e| e.address()))
            .string("hostedZoneId", endpoint.and_then(|e| e.hosted_zone_id()))
            .int("port", endpoint.and_then(|e| e.port()).or(d.db_instance_port().filter(|p| *p > 0)).map(i64::from))
            .string("endpoint", endpoint.and_then(|e| Some(format!("{}:{}", e.address()?, e.port()?))))
            .string("status", d.db_instance_status())
            .string("networkType", d.network_type())
            .bool("skipFinalSnapshot", snapshot_tag.map(|t| t == SKIP))
            .string("finalSnapshotIdentifier", snapshot_tag.filter(|t| *t != SKIP));
        if let Some(secret) = secret {
            out = out.value("masterUserSecrets", secret);
        }
        out.tags(user_tags).build()
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let rds = p.rds().await?;
        let out = p.call(|| rds.describe_db_instances().db_instance_identifier(id).send()).await?;
        let Some(d) = out.db_instances().iter().find(|d| d.db_instance_identifier() == Some(id)) else {
            return Ok(None);
        };
        if matches!(d.db_instance_status(), Some("deleting" | "deleted")) {
            return Ok(None);
        }
        Ok(Some(outputs_of(d, id, p.region().await?)))
    }

    /// One ModifyDBInstance with what differs between `old` (outputs) and
    /// `new` (inputs), then the wait for it; `restoring` also sends what a
    /// restore could not take even when it equals AWS's current value.
    async fn modify(
        p: &AwsProvider,
        ctx: &CallContext,
        id: &str,
        old: &PropertyMap,
        new: &PropertyMap,
        restoring: bool,
    ) -> Result<(), ProviderError> {
        let rds = p.rds().await?;
        let ch = |k: &str| (restoring || changed(old, new, k)) && new.get(k).is_some_and(|v| !v.is_null());
        let s = |k: &str| -> Result<Option<String>, ProviderError> {
            Ok(if ch(k) { optional_str(new, k)?.map(str::to_string) } else { None })
        };
        let b = |k: &str| -> Result<Option<bool>, ProviderError> {
            if ch(k) {
                optional_bool(new, k)
            } else {
                Ok(None)
            }
        };
        let i = |k: &str| -> Result<Option<i32>, ProviderError> {
            if ch(k) {
                optional_i32(new, k)
            } else {
                Ok(None)
            }
        };
        let mut request = rds
            .modify_db_instance()
            .db_instance_identifier(id)
            .apply_immediately(true)
            .set_allocated_storage(i("allocatedStorage")?)
            .set_auto_minor_version_upgrade(b("autoMinorVersionUpgrade")?)
            .set_backup_retention_period(i("backupRetentionPeriod")?)
            .set_preferred_backup_window(s("backupWindow")?)
            .set_copy_tags_to_snapshot(b("copyTagsToSnapshot")?)
            .set_deletion_protection(b("deletionProtection")?)
            .set_engine_version(s("engineVersion")?)
            .set_enable_iam_database_authentication(b("iamDatabaseAuthenticationEnabled")?)
            .set_db_instance_class(s("instanceClass")?)
            .set_iops(i("iops")?)
            .set_preferred_maintenance_window(s("maintenanceWindow")?)
            .set_master_user_secret_kms_key_id(s("masterUserSecretKmsKeyId")?)
            .set_max_allocated_storage(i("maxAllocatedStorage")?)
            .set_multi_az(b("multiAz")?)
            .set_db_parameter_group_name(s("parameterGroupName")?)
            .set_db_subnet_group_name(s("dbSubnetGroupName")?)
            .set_db_port_number(i("port")?)
            .set_publicly_accessible(b("publiclyAccessible")?)
            .set_storage_type(s("storageType")?);
        // The interval and its role go together: RDS checks them as a pair.
        if ch("monitoringInterval") || ch("monitoringRoleArn") {
            request = request
                .set_monitoring_interval(optional_i32(new, "monitoringInterval")?)
                .set_monitoring_role_arn(optional_str(new, "monitoringRoleArn")?.map(str::to_string));
        }
        // Managing the password is only ever switched on here: turning it off
        // would need a password, which tapctl never handles.
        if ch("manageMasterUserPassword") && optional_bool(new, "manageMasterUserPassword")? == Some(true) {
            request = request.manage_master_user_password(true);
        }
        if ch("engineVersion") {
            request = request.set_allow_major_version_upgrade(optional_bool(new, "allowMajorVersionUpgrade")?);
        }
        if ch("vpcSecurityGroupIds") {
            request = request.set_vpc_security_group_ids(optional_str_list(new, "vpcSecurityGroupIds")?);
        }
        let mut any = MODIFIABLE.iter().any(|k| ch(k));
        if let Some(logs) = log_exports_change(old, new) {
            request = request.cloudwatch_logs_export_configuration(logs);
            any = true;
        }
        if any {
            // A monitoring role created moments ago is "invalid" to RDS until
            // IAM has propagated it.
            let sent =
                tolerating_message(p, window(p, ctx), "InvalidParameterValue", "monitoring", || request.clone().send())
                    .await;
            match sent {
                Err(e) if e.code == "InvalidDBInstanceState" => {
                    p.call_tolerating(window(p, ctx), &["InvalidDBInstanceState"], || request.clone().send()).await?;
                }
                other => {
                    other?;
                }
            }
            wait_available(p, ctx, id, UPDATE_TIMEOUT).await?;
        }
        Ok(())
    }

    pub(super) async fn update(
        p: &AwsProvider,
        ctx: &CallContext,
        id: &str,
        old: &PropertyMap,
        new: &PropertyMap,
    ) -> Result<(), ProviderError> {
        modify(p, ctx, id, old, new, false).await?;
        let arn = arn_of(p, old, &format!("db:{id}")).await?;
        record_final_snapshot(p, &arn, old, new).await?;
        apply_tags(p, ctx, &arn, old, new).await
    }

    pub(super) async fn delete(
        p: &AwsProvider,
        ctx: &CallContext,
        id: &str,
        outputs: &PropertyMap,
    ) -> Result<(), ProviderError> {
        let rds = p.rds().await?;
        if read(p, id).await?.is_none() {
            return Ok(());
        }
        let snapshot = final_snapshot(id, outputs);
        let deleted = p
            .call_tolerating(limit(ctx, minutes(10)), &["InvalidDBInstanceState"], || {
                rds.delete_db_instance()
                    .db_instance_identifier(id)
                    .skip_final_snapshot(snapshot.is_none())
                    .set_final_db_snapshot_identifier(snapshot.clone())
                    .send()
            })
            .await;
        explain_protection("instance", id, deleted)?;
        let within = limit(ctx, DELETE_TIMEOUT);
        let what = format!("RDS instance {id} to be deleted");
        let waited = rds.wait_until_db_instance_deleted().db_instance_identifier(id).wait(within).await;
        gone_is_ok(waited.map_err(|e| waiter_error(&what, e)))
    }
}

/// An update's ModifyDB* log-export change: the log types `new` adds to
/// and drops from those `old` recorded; `None` when the lists agree.
fn log_exports_change(old: &PropertyMap, new: &PropertyMap) -> Option<CloudwatchLogsExportConfiguration> {
    let list = |m: &PropertyMap| -> Vec<String> {
        m.get("enabledCloudwatchLogsExports")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    };
    let (was, is) = (list(old), list(new));
    let enable: Vec<String> = is.iter().filter(|t| !was.contains(t)).cloned().collect();
    let disable: Vec<String> = was.iter().filter(|t| !is.contains(t)).cloned().collect();
    if enable.is_empty() && disable.is_empty() {
        return None;
    }
    Some(
        CloudwatchLogsExportConfiguration::builder()
            .set_enable_log_types(Some(enable))
            .set_disable_log_types(Some(disable))
            .build(),
    )
}

/// An update's change to [`FINAL_SNAPSHOT_TAG`] on `arn`: written only when
/// `new` asks for something other than what `old` recorded.
async fn record_final_snapshot(
    p: &AwsProvider,
    arn: &str,
    old: &PropertyMap,
    new: &PropertyMap,
) -> Result<(), ProviderError> {
    let snapshot = final_snapshot_tag(new)?;
    let recorded = match old.get("skipFinalSnapshot").and_then(Value::as_bool) {
        Some(true) => Some(SKIP),
        _ => old.get("finalSnapshotIdentifier").and_then(Value::as_str),
    };
    if recorded == Some(snapshot.as_str()) {
        return Ok(());
    }
    set_tags(p, arn, &[(FINAL_SNAPSHOT_TAG.to_string(), snapshot)]).await
}

/// The value of [`FINAL_SNAPSHOT_TAG`] for these inputs: how a later delete
/// must treat the data, recorded where the delete can read it.
fn final_snapshot_tag(inputs: &PropertyMap) -> Result<String, ProviderError> {
    if optional_bool(inputs, "skipFinalSnapshot")? == Some(true) {
        return Ok(SKIP.to_string());
    }
    optional_str(inputs, "finalSnapshotIdentifier")?
        .map(str::to_string)
        .ok_or_else(|| ProviderError::invalid("set finalSnapshotIdentifier, or skipFinalSnapshot = true"))
}

/// The final snapshot a delete takes: none when `skipFinalSnapshot` was
/// recorded, the recorded `finalSnapshotIdentifier`, or — with no recorded
/// choice (a database tapctl did not tag) — a dated one, to keep the data.
fn final_snapshot(id: &str, outputs: &PropertyMap) -> Option<String> {
    match (
        outputs.get("skipFinalSnapshot").and_then(Value::as_bool),
        outputs.get("finalSnapshotIdentifier").and_then(Value::as_str),
    ) {
        (Some(true), _) => None,
        (_, Some(name)) => Some(name.to_string()),
        _ => Some(format!("{id}-final-{}", chrono::Utc::now().format("%Y%m%d%H%M%S"))),
    }
}

/// A delete's result, with AWS's deletion-protection refusal turned into
/// what to do about it.
fn explain_protection<T>(kind: &str, id: &str, deleted: Result<T, ProviderError>) -> Result<(), ProviderError> {
    match deleted {
        Err(e) if e.code == "InvalidParameterCombination" && e.message.to_ascii_lowercase().contains("protect") => {
            Err(ProviderError {
                message: format!(
                    "RDS {kind} {id} has deletion protection: set deletionProtection = false and apply that first ({})",
                    e.message
                ),
                ..e
            })
        }
        other => other.map(|_| ()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::provider::aws::map;

    fn cluster_inputs(extra: Vec<(&str, Value)>) -> PropertyMap {
        let mut pairs = vec![
            ("clusterIdentifier", Value::from("tap-dev-aurora")),
            ("engine", "aurora-postgresql".into()),
            ("masterUsername", "dbadmin".into()),
            ("manageMasterUserPassword", true.into()),
            ("skipFinalSnapshot", true.into()),
        ];
        pairs.extend(extra);
        map(pairs)
    }

    #[test]
    fn identifiers_follow_rds_rules() {
        assert!(check_identifier("clusterIdentifier", "tap-dev-aurora", 63).is_ok());
        for bad in ["Tap", "1tap", "tap--x", "tap-", "", "tap_x"] {
            assert!(check_identifier("clusterIdentifier", bad, 63).is_err(), "{bad}");
        }
        assert!(check_identifier("clusterIdentifier", &"a".repeat(64), 63).is_err());
    }

    #[test]
    fn cluster_checks() {
        assert!(Rds.check(CLUSTER, &cluster_inputs(vec![])).is_ok());
        let e =
            Rds.check(CLUSTER, &cluster_inputs(vec![("masterPassword", Value::secret("hunter2hunter2"))])).unwrap_err();
        assert!(e.message.contains("manageMasterUserPassword") && !e.message.contains("hunter2"), "{}", e.message);
        let mut no_managed = cluster_inputs(vec![]);
        no_managed.remove("manageMasterUserPassword");
        assert!(Rds.check(CLUSTER, &no_managed).unwrap_err().message.contains("manageMasterUserPassword"));
        let mut keep = cluster_inputs(vec![]);
        keep.remove("skipFinalSnapshot");
        assert!(Rds.check(CLUSTER, &keep).unwrap_err().message.contains("finalSnapshotIdentifier"));
        keep.insert("finalSnapshotIdentifier".into(), "tap-prod-aurora-final".into());
        assert!(Rds.check(CLUSTER, &keep).is_ok());
        let scaling = |min: f64, max: f64| {
            Rds.check(
                CLUSTER,
                &cluster_inputs(vec![(
                    "serverlessv2ScalingConfiguration",
                    Value::object([("minCapacity", min), ("maxCapacity", max)]),
                )]),
            )
        };
        assert!(scaling(0.5, 2.0).is_ok());
        assert!(scaling(2.0, 1.0).is_err());
        assert!(scaling(0.3, 2.0).is_err());
        assert!(Rds.check(CLUSTER, &cluster_inputs(vec![("backupRetentionPeriod", 0.into())])).is_err());
        assert!(Rds.check(CLUSTER, &cluster_inputs(vec![("applyImmediately", false.into())])).is_err());
        assert!(Rds.check(CLUSTER, &cluster_inputs(vec![("clusterIdentifier", Value::Unknown)])).is_ok());
    }

    #[test]
    fn instance_checks() {
        let base = |extra: Vec<(&str, Value)>| {
            let mut pairs = vec![
                ("identifier", Value::from("tap-dev-aurora-1")),
                ("clusterIdentifier", "tap-dev-aurora".into()),
                ("instanceClass", "db.serverless".into()),
                ("engine", "aurora-postgresql".into()),
            ];
            pairs.extend(extra);
            Rds.check(INSTANCE, &map(pairs))
        };
        assert!(base(vec![]).is_ok());
        assert!(base(vec![("monitoringInterval", 60.into())]).unwrap_err().message.contains("monitoringRoleArn"));
        assert!(base(vec![("monitoringInterval", 60.into()), ("monitoringRoleArn", Value::Unknown)]).is_ok());
        assert!(base(vec![("monitoringInterval", 7.into())]).is_err());
        assert!(base(vec![("performanceInsightsRetentionPeriod", 7.into())]).is_ok());
        assert!(base(vec![("performanceInsightsRetentionPeriod", 8.into())]).is_err());
    }

    #[test]
    fn db_instance_checks() {
        let base = |extra: Vec<(&str, Value)>| {
            let mut m = map(vec![
                ("instanceClass", "db.t3.micro".into()),
                ("engine", "mysql".into()),
                ("username", "dbadmin".into()),
                ("allocatedStorage", 20.into()),
                ("manageMasterUserPassword", true.into()),
                ("skipFinalSnapshot", true.into()),
            ]);
            m.extend(map(extra));
            m
        };
        assert!(Rds.check(DB_INSTANCE, &base(vec![])).is_ok());
        let monitoring = |extra| Rds.check(DB_INSTANCE, &base(extra));
        assert!(monitoring(vec![("monitoringInterval", 60.into())]).unwrap_err().message.contains("monitoringRoleArn"));
        assert!(monitoring(vec![("monitoringInterval", 60.into()), ("monitoringRoleArn", Value::Unknown)]).is_ok());
        assert!(monitoring(vec![
            ("monitoringInterval", 7.into()),
            ("monitoringRoleArn", "arn:aws:iam::1:role/m".into())
        ])
        .is_err());
        let e = Rds.check(DB_INSTANCE, &base(vec![("password", Value::secret("hunter2"))])).unwrap_err();
        assert!(e.message.contains("manageMasterUserPassword") && !e.message.contains("hunter2"), "{}", e.message);
        assert!(Rds.check(DB_INSTANCE, &base(vec![("manageMasterUserPassword", false.into())])).is_err());
        let e = Rds.check(DB_INSTANCE, &base(vec![("skipFinalSnapshot", false.into())])).unwrap_err();
        assert!(e.message.contains("finalSnapshotIdentifier"), "{}", e.message);
        assert!(Rds.check(DB_INSTANCE, &base(vec![("maxAllocatedStorage", 10.into())])).is_err());
        // A restore takes its credentials and data settings from the snapshot.
        let restore = map(vec![
            ("instanceClass", "db.t3.micro".into()),
            ("snapshotIdentifier", "snap".into()),
            ("skipFinalSnapshot", true.into()),
        ]);
        assert!(Rds.check(DB_INSTANCE, &restore).is_ok());
        let mut named = restore.clone();
        named.insert("username".into(), "root".into());
        assert!(Rds.check(DB_INSTANCE, &named).is_err());
    }

    #[test]
    fn parameters_parse_with_defaults() {
        let inputs = map(vec![(
            "parameters",
            Value::array([
                Value::object([("name", "rds.force_ssl"), ("value", "1")]),
                Value::object([
                    ("name", "log_min_duration_statement"),
                    ("value", "1000"),
                    ("applyMethod", "pending-reboot"),
                ]),
            ]),
        )]);
        let params = parameter_group::params(&inputs).unwrap();
        assert_eq!(params["rds.force_ssl"].apply_method, "immediate");
        assert_eq!(params["log_min_duration_statement"].apply_method, "pending-reboot");
        let twice = map(vec![(
            "parameters",
            Value::array([
                Value::object([("name", "a"), ("value", "1")]),
                Value::object([("name", "a"), ("value", "2")]),
            ]),
        )]);
        assert!(parameter_group::params(&twice).unwrap_err().message.contains("twice"));
        let method = map(vec![(
            "parameters",
            Value::array([Value::object([("name", "a"), ("value", "1"), ("applyMethod", "later")])]),
        )]);
        assert!(Rds.check(PARAMETER_GROUP, &method).is_err());
    }

    #[test]
    fn autonamed_identifiers_are_valid() {
        let root = crate::model::Urn::root("dev", "tap");
        let ctx = CallContext {
            urn: crate::model::Urn::new("dev", "tap", Some(&root), CLUSTER, "Aurora_Cluster"),
            token: CLUSTER.into(),
            timeout: None,
        };
        let id = identifier(&ctx, &PropertyMap::new(), "clusterIdentifier", "clusterIdentifierPrefix", 63).unwrap();
        check_identifier("clusterIdentifier", &id, 63).unwrap();
        assert!(id.starts_with("aurora-cluster-"), "{id}");
    }
}
