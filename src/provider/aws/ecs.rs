//! ECS kinds: cluster, task definition and service.
//!
//! Ids are pulumi-aws's: a cluster's and a service's is the ARN, a task
//! definition's is its family (the ARN, with the revision, is the `arn`
//! output). A task definition is immutable: every input but `tags` forces a
//! new revision, and the old revision is deregistered (then deleted where
//! the API allows) when the replaced resource goes.
//!
//! Outputs deliberately left out, and why:
//!
//! - `aws:ecs/service:Service` `forceNewDeployment`, `waitForSteadyState`:
//!   instructions to the provider, not state AWS keeps;
//! - `aws:ecs/cluster:Cluster` `configuration`, `serviceConnectDefaults` and
//!   the task definition's `volumes`, `placementConstraints`: not implemented
//!   as inputs (refused by `check`), so there is nothing of tapctl's to report.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ecs::client::Waiters;
use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, ClusterField, ClusterSetting, ClusterSettingName, Compatibility,
    CpuArchitecture, DeploymentCircuitBreaker, DeploymentConfiguration, LaunchType, LoadBalancer, NetworkConfiguration,
    NetworkMode, OsFamily, PropagateTags, RuntimePlatform, SchedulingStrategy, ServiceField, Tag, TaskDefinitionField,
    TaskDefinitionStatus,
};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::{
    after_create, changed, check_kind, found, gone_is_ok, known, limit, minutes, missing_field, nested, object_list,
    optional_bool, optional_i32, optional_object, optional_str, optional_str_list, read_created, read_updated,
    required_str, string_list, tag_changes, tags_for_create, waiter_error, window, AwsProvider, Outputs, Service,
};
use crate::model::{PropertyMap, Value};
use crate::provider::{CallContext, Created, DiffResult, ProviderError};

const CLUSTER: &str = "aws:ecs/cluster:Cluster";
const TASK_DEFINITION: &str = "aws:ecs/taskDefinition:TaskDefinition";
const SERVICE: &str = "aws:ecs/service:Service";

/// The ECS service module.
pub(crate) struct Ecs;

#[async_trait]
impl Service for Ecs {
    fn tokens(&self) -> &'static [&'static str] {
        &[CLUSTER, TASK_DEFINITION, SERVICE]
    }

    fn check(&self, token: &str, inputs: &PropertyMap) -> Result<(), ProviderError> {
        match token {
            CLUSTER => check_kind(token, inputs, cluster::SUPPORTED, cluster::check),
            TASK_DEFINITION => check_kind(token, inputs, task::SUPPORTED, task::check),
            _ => check_kind(token, inputs, service::SUPPORTED, service::check),
        }
    }

    fn diff(&self, token: &str, _old: &PropertyMap, _new: &PropertyMap, mut base: DiffResult) -> DiffResult {
        // A new revision of the same family can exist next to the old one:
        // no need to deregister first (and leave a gap with no revision).
        if token == TASK_DEFINITION {
            base.delete_before_replace = false;
        }
        base
    }

    async fn create(&self, p: &AwsProvider, ctx: &CallContext, inputs: &PropertyMap) -> Result<Created, ProviderError> {
        let id = match ctx.token.as_str() {
            CLUSTER => cluster::create(p, ctx, inputs).await?,
            TASK_DEFINITION => task::create(p, ctx, inputs).await?,
            _ => service::create(p, ctx, inputs).await?,
        };
        read_created(self, p, ctx, id).await
    }

    async fn read(&self, p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let read = match ctx.token.as_str() {
            CLUSTER => cluster::read(p, id).await,
            TASK_DEFINITION => task::read(p, id).await,
            _ => service::read(p, id).await,
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
            CLUSTER => cluster::update(p, ctx, id, old, new).await?,
            // Everything else forces a new revision (the catalog says so).
            TASK_DEFINITION => {
                let arn = old.get("arn").and_then(Value::as_str).unwrap_or(id);
                apply_tags(p, ctx, arn, old, new).await?
            }
            _ => service::update(p, ctx, id, old, new).await?,
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
            CLUSTER => cluster::delete(p, ctx, id).await,
            TASK_DEFINITION => task::delete(p, id, outputs).await,
            _ => service::delete(p, ctx, id).await,
        };
        gone_is_ok(deleted)
    }

    /// Adoption: a cluster or service by its name (CreateCluster would
    /// answer with the existing one, CreateService refuses a second); a task
    /// definition's latest revision only when it is what the inputs describe
    /// — otherwise it is an earlier revision, and a new one must be made.
    async fn find(
        &self,
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<Vec<Created>, ProviderError> {
        let id = match ctx.token.as_str() {
            CLUSTER => cluster::find(p, inputs).await?,
            TASK_DEFINITION => {
                let family = required_str(inputs, "family")?;
                let Some(outputs) = self.read(p, ctx, family).await? else { return Ok(Vec::new()) };
                return Ok(if task::matches(inputs, &outputs)? {
                    vec![Created { id: family.to_string(), outputs }]
                } else {
                    Vec::new()
                });
            }
            _ => service::find(p, inputs).await?,
        };
        let Some(id) = id else { return Ok(Vec::new()) };
        Ok(self.read(p, ctx, &id).await?.map(|outputs| Created { id, outputs }).into_iter().collect())
    }
}

// ---------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------

fn sdk_tags(pairs: &[(String, String)]) -> Vec<Tag> {
    pairs.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

fn tag_pairs(tags: &[Tag]) -> Vec<(String, String)> {
    tags.iter().filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string()))).collect()
}

/// Applies the tag changes an update asks for to the resource `arn`.
async fn apply_tags(
    p: &AwsProvider,
    ctx: &CallContext,
    arn: &str,
    old: &PropertyMap,
    new: &PropertyMap,
) -> Result<(), ProviderError> {
    let changes = tag_changes(ctx, old, new)?;
    let ecs = p.ecs().await?;
    if !changes.remove.is_empty() {
        let keys = changes.remove.clone();
        p.call(|| ecs.untag_resource().resource_arn(arn).set_tag_keys(Some(keys.clone())).send()).await?;
    }
    if !changes.set.is_empty() {
        let tags = sdk_tags(&changes.set);
        p.call(|| ecs.tag_resource().resource_arn(arn).set_tags(Some(tags.clone())).send()).await?;
    }
    Ok(())
}

/// Whether the check-time value of `name` is known (set, not unknown).
fn is_known(inputs: &PropertyMap, name: &str) -> bool {
    known(inputs, name).is_some()
}

/// Like [`AwsProvider::call_tolerating`], but only errors with `code` and a
/// message containing one of `messages` are ridden out: AWS's way of saying
/// that a just-created role or target group is not visible to ECS yet, with a
/// code it also uses for real mistakes.
async fn tolerating_messages<O, E, F, Fut>(
    p: &AwsProvider,
    within: Duration,
    code: &str,
    messages: &[&str],
    mut op: F,
) -> Result<O, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<O, SdkError<E, HttpResponse>>>,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let start = std::time::Instant::now();
    loop {
        match p.call(&mut op).await {
            Err(e)
                if e.code == code
                    && messages.iter().any(|m| e.message.contains(m))
                    && start.elapsed() + p.settings().poll_interval < within =>
            {
                tracing::debug!(code = %e.code, "tolerated error, retrying");
                tokio::time::sleep(p.settings().poll_interval).await;
            }
            other => return other,
        }
    }
}

// ---------------------------------------------------------------------------
// Cluster
// ---------------------------------------------------------------------------

mod cluster {
    use super::*;

    pub(super) const SUPPORTED: &[&str] = &["name", "region", "settings", "tags"];

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        if !inputs.contains_key("name") {
            return Err(ProviderError::invalid("name is required"));
        }
        if is_known(inputs, "settings") {
            settings(inputs)?;
        }
        Ok(())
    }

    fn settings(inputs: &PropertyMap) -> Result<Vec<ClusterSetting>, ProviderError> {
        object_list(inputs, "settings")?
            .into_iter()
            .map(|s| {
                let name = required_str(s, "name").map_err(nested("settings[]"))?;
                if name != "containerInsights" {
                    return Err(ProviderError::invalid(format!(
                        "settings[].name must be containerInsights, got {name:?}"
                    )));
                }
                let value = required_str(s, "value").map_err(nested("settings[]"))?;
                if !matches!(value, "enabled" | "disabled" | "enhanced") {
                    return Err(ProviderError::invalid(format!(
                        "settings[].value must be enabled, disabled or enhanced, got {value:?}"
                    )));
                }
                Ok(ClusterSetting::builder().name(ClusterSettingName::from(name)).value(value).build())
            })
            .collect()
    }

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let ecs = p.ecs().await?;
        let name = required_str(inputs, "name")?;
        let settings = settings(inputs)?;
        let tags = sdk_tags(&tags_for_create(ctx, inputs)?);
        let settings = if settings.is_empty() { None } else { Some(settings) };
        let out = p
            .call(|| {
                ecs.create_cluster()
                    .cluster_name(name)
                    .set_settings(settings.clone())
                    .set_tags(Some(tags.clone()))
                    .send()
            })
            .await?;
        out.cluster()
            .and_then(|c| c.cluster_arn())
            .map(str::to_string)
            .ok_or_else(|| missing_field("CreateCluster", "cluster.clusterArn"))
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let ecs = p.ecs().await?;
        let out = p
            .call(|| {
                ecs.describe_clusters().clusters(id).include(ClusterField::Settings).include(ClusterField::Tags).send()
            })
            .await?;
        // A deleted cluster stays visible as INACTIVE for a while.
        let Some(c) = out.clusters().iter().find(|c| c.cluster_arn() == Some(id) && c.status() != Some("INACTIVE"))
        else {
            return Ok(None);
        };
        let settings: Vec<Value> = c
            .settings()
            .iter()
            .map(|s| {
                Value::object([
                    ("name", Value::from(s.name().map(|n| n.as_str()).unwrap_or_default())),
                    ("value", Value::from(s.value().unwrap_or_default())),
                ])
            })
            .collect();
        let mut outputs =
            Outputs::new(id, p.region().await?).string("arn", c.cluster_arn()).string("name", c.cluster_name());
        if !settings.is_empty() {
            outputs = outputs.value("settings", Value::Array(settings));
        }
        Ok(Some(outputs.tags(tag_pairs(c.tags())).build()))
    }

    pub(super) async fn update(
        p: &AwsProvider,
        ctx: &CallContext,
        id: &str,
        old: &PropertyMap,
        new: &PropertyMap,
    ) -> Result<(), ProviderError> {
        let wanted = settings(new)?;
        if !wanted.is_empty() && changed(old, new, "settings") {
            let ecs = p.ecs().await?;
            p.call(|| ecs.update_cluster().cluster(id).set_settings(Some(wanted.clone())).send()).await?;
        }
        apply_tags(p, ctx, id, old, new).await
    }

    /// The ARN of the active cluster named as the inputs say.
    pub(super) async fn find(p: &AwsProvider, inputs: &PropertyMap) -> Result<Option<String>, ProviderError> {
        let ecs = p.ecs().await?;
        let name = required_str(inputs, "name")?;
        let out = p.call(|| ecs.describe_clusters().clusters(name).send()).await?;
        Ok(out
            .clusters()
            .iter()
            .find(|c| c.cluster_name() == Some(name) && c.status() != Some("INACTIVE"))
            .and_then(|c| c.cluster_arn())
            .map(str::to_string))
    }

    pub(super) async fn delete(p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<(), ProviderError> {
        if read(p, id).await?.is_none() {
            return Ok(());
        }
        let ecs = p.ecs().await?;
        // Services and tasks being deleted keep the cluster busy for a while.
        let busy = &["ClusterContainsServicesException", "ClusterContainsTasksException", "UpdateInProgressException"];
        p.call_tolerating(limit(ctx, minutes(10)), busy, || ecs.delete_cluster().cluster(id).send()).await?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Task definition
// ---------------------------------------------------------------------------

mod task {
    use super::*;

    pub(super) const SUPPORTED: &[&str] = &[
        "containerDefinitions",
        "cpu",
        "executionRoleArn",
        "family",
        "memory",
        "networkMode",
        "region",
        "requiresCompatibilities",
        "runtimePlatform",
        "tags",
        "taskRoleArn",
    ];

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        if let Some(defs) = known(inputs, "containerDefinitions") {
            let text =
                defs.as_str().ok_or_else(|| ProviderError::invalid("containerDefinitions must be a JSON string"))?;
            containers::parse(text)?;
        }
        for name in ["cpu", "memory"] {
            if let Some(v) = known(inputs, name) {
                // pulumi-aws takes these as strings ("256", "1 vCPU").
                if v.as_str().is_none() {
                    return Err(ProviderError::invalid(format!("{name} must be a string such as \"512\"")));
                }
            }
        }
        if let Some(mode) = known(inputs, "networkMode").and_then(Value::as_str) {
            if !matches!(mode, "awsvpc" | "bridge" | "host" | "none") {
                return Err(ProviderError::invalid(format!(
                    "networkMode must be awsvpc, bridge, host or none, got {mode:?}"
                )));
            }
        }
        if is_known(inputs, "runtimePlatform") {
            runtime_platform(inputs)?;
        }
        Ok(())
    }

    fn runtime_platform(inputs: &PropertyMap) -> Result<Option<RuntimePlatform>, ProviderError> {
        let Some(rp) = optional_object(inputs, "runtimePlatform")? else { return Ok(None) };
        let os = optional_str(rp, "operatingSystemFamily").map_err(nested("runtimePlatform"))?;
        let arch = optional_str(rp, "cpuArchitecture").map_err(nested("runtimePlatform"))?;
        Ok(Some(
            RuntimePlatform::builder()
                .set_operating_system_family(os.map(OsFamily::from))
                .set_cpu_architecture(arch.map(CpuArchitecture::from))
                .build(),
        ))
    }

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let ecs = p.ecs().await?;
        let family = required_str(inputs, "family")?;
        let defs = containers::parse(required_str(inputs, "containerDefinitions")?)?;
        let cpu = optional_str(inputs, "cpu")?.map(str::to_string);
        let memory = optional_str(inputs, "memory")?.map(str::to_string);
        let network_mode = optional_str(inputs, "networkMode")?.map(NetworkMode::from);
        let compat = optional_str_list(inputs, "requiresCompatibilities")?
            .map(|list| list.iter().map(|c| Compatibility::from(c.as_str())).collect::<Vec<_>>());
        let execution_role = optional_str(inputs, "executionRoleArn")?.map(str::to_string);
        let task_role = optional_str(inputs, "taskRoleArn")?.map(str::to_string);
        let platform = runtime_platform(inputs)?;
        let tags = sdk_tags(&tags_for_create(ctx, inputs)?);
        // A role created moments ago is not yet assumable by ECS.
        let out = tolerating_messages(p, window(p, ctx), "ClientException", &["Role is not valid"], || {
            ecs.register_task_definition()
                .family(family)
                .set_container_definitions(Some(defs.clone()))
                .set_cpu(cpu.clone())
                .set_memory(memory.clone())
                .set_network_mode(network_mode.clone())
                .set_requires_compatibilities(compat.clone())
                .set_execution_role_arn(execution_role.clone())
                .set_task_role_arn(task_role.clone())
                .set_runtime_platform(platform.clone())
                .set_tags(Some(tags.clone()))
                .send()
        })
        .await?;
        let td = out.task_definition().ok_or_else(|| missing_field("RegisterTaskDefinition", "taskDefinition"))?;
        td.family().map(str::to_string).ok_or_else(|| missing_field("RegisterTaskDefinition", "taskDefinition.family"))
    }

    /// Whether the revision read as `outputs` is the one `inputs` describe
    /// (container definitions compared as ECS keeps them).
    pub(super) fn matches(inputs: &PropertyMap, outputs: &PropertyMap) -> Result<bool, ProviderError> {
        let wanted = containers::to_json(&containers::parse(required_str(inputs, "containerDefinitions")?)?);
        if outputs.get("containerDefinitions").and_then(Value::as_str) != Some(wanted.as_str()) {
            return Ok(false);
        }
        for key in ["cpu", "memory", "networkMode", "executionRoleArn", "taskRoleArn"] {
            if optional_str(inputs, key)? != outputs.get(key).and_then(Value::as_str) {
                return Ok(false);
            }
        }
        let compat = optional_str_list(inputs, "requiresCompatibilities")?.unwrap_or_default();
        let recorded: Vec<&str> = outputs
            .get("requiresCompatibilities")
            .and_then(Value::as_array)
            .unwrap_or_default()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        Ok(compat.iter().map(String::as_str).eq(recorded))
    }

    /// AWS answers a describe of a family without an active revision (or a
    /// revision that was deleted) with this code and message.
    fn is_missing(e: &ProviderError) -> bool {
        e.code == "ClientException" && e.message.contains("Unable to describe task definition")
    }

    /// The latest ACTIVE revision of the family `id` (the id pulumi-aws
    /// gives a task definition). A deregistered (INACTIVE) or deleted
    /// revision is gone.
    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let ecs = p.ecs().await?;
        let out = match p
            .call(|| ecs.describe_task_definition().task_definition(id).include(TaskDefinitionField::Tags).send())
            .await
        {
            Err(e) if is_missing(&e) => return Ok(None),
            other => other?,
        };
        let Some(td) = out.task_definition() else { return Ok(None) };
        if td.status() != Some(&TaskDefinitionStatus::Active) {
            return Ok(None);
        }
        let arn =
            td.task_definition_arn().ok_or_else(|| missing_field("DescribeTaskDefinition", "taskDefinitionArn"))?;
        let without_revision = arn.rsplit_once(':').map_or(arn, |(base, _)| base);
        let compat: Vec<Value> = td.requires_compatibilities().iter().map(|c| Value::from(c.as_str())).collect();
        let mut outputs = Outputs::new(id, p.region().await?)
            .string("arn", Some(arn))
            .string("arnWithoutRevision", Some(without_revision))
            .int("revision", Some(i64::from(td.revision())))
            .string("family", td.family())
            .string("containerDefinitions", Some(containers::to_json(td.container_definitions())))
            .string("cpu", td.cpu())
            .string("memory", td.memory())
            .string("networkMode", td.network_mode().map(|m| m.as_str()))
            .string("executionRoleArn", td.execution_role_arn())
            .string("taskRoleArn", td.task_role_arn());
        if !compat.is_empty() {
            outputs = outputs.value("requiresCompatibilities", Value::Array(compat));
        }
        if let Some(rp) = td.runtime_platform() {
            let mut m = PropertyMap::new();
            if let Some(os) = rp.operating_system_family() {
                m.insert("operatingSystemFamily".into(), Value::from(os.as_str()));
            }
            if let Some(arch) = rp.cpu_architecture() {
                m.insert("cpuArchitecture".into(), Value::from(arch.as_str()));
            }
            outputs = outputs.value("runtimePlatform", Value::Object(m));
        }
        Ok(Some(outputs.tags(tag_pairs(out.tags())).build()))
    }

    /// Deregisters the revision the outputs recorded (or, without one, the
    /// family's latest), then asks AWS to delete it; the delete is best
    /// effort, as a deregistered revision is already gone for every purpose.
    pub(super) async fn delete(p: &AwsProvider, id: &str, outputs: &PropertyMap) -> Result<(), ProviderError> {
        let ecs = p.ecs().await?;
        let target = outputs.get("arn").and_then(Value::as_str).unwrap_or(id);
        let described = match p.call(|| ecs.describe_task_definition().task_definition(target).send()).await {
            Err(e) if is_missing(&e) => return Ok(()),
            other => other?,
        };
        let Some(td) = described.task_definition() else { return Ok(()) };
        let Some(arn) = td.task_definition_arn().map(str::to_string) else { return Ok(()) };
        match td.status() {
            Some(TaskDefinitionStatus::Active) => {
                match p.call(|| ecs.deregister_task_definition().task_definition(&arn).send()).await {
                    Err(e) if is_missing(&e) => return Ok(()),
                    other => other?,
                };
            }
            Some(TaskDefinitionStatus::Inactive) => {}
            _ => return Ok(()),
        }
        match p.call(|| ecs.delete_task_definitions().task_definitions(&arn).send()).await {
            Ok(out) => {
                for f in out.failures() {
                    tracing::debug!(arn = %arn, reason = f.reason().unwrap_or_default(), "task definition left deregistered");
                }
            }
            Err(e) => tracing::debug!(arn = %arn, code = %e.code, "task definition left deregistered: {}", e.message),
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Container definitions (the JSON document ↔ the SDK's types)
// ---------------------------------------------------------------------------

/// `containerDefinitions` arrives as the JSON string ECS documents; the SDK
/// wants typed values. The keys implemented are the ones Fargate services
/// commonly use; any other is refused by name rather than dropped.
mod containers {
    use std::collections::HashMap;

    use aws_sdk_ecs::types::{
        ApplicationProtocol, ContainerCondition, ContainerDefinition, ContainerDependency, HealthCheck, KeyValuePair,
        LogConfiguration, LogDriver, MountPoint, PortMapping, Secret, TransportProtocol, Ulimit, UlimitName,
        VolumeFrom,
    };
    use serde_json::{Map, Value as J};

    use crate::provider::ProviderError;

    const KEYS: &[&str] = &[
        "command",
        "cpu",
        "dependsOn",
        "dockerLabels",
        "entryPoint",
        "environment",
        "essential",
        "healthCheck",
        "image",
        "logConfiguration",
        "memory",
        "memoryReservation",
        "mountPoints",
        "name",
        "portMappings",
        "readonlyRootFilesystem",
        "secrets",
        "startTimeout",
        "stopTimeout",
        "ulimits",
        "user",
        "volumesFrom",
        "workingDirectory",
    ];

    fn bad(path: &str, what: &str) -> ProviderError {
        ProviderError::invalid(format!("containerDefinitions: {path} must be {what}"))
    }

    /// A JSON object's fields, refusing keys outside `allowed`.
    fn object<'a>(v: &'a J, path: &str, allowed: &[&str]) -> Result<&'a Map<String, J>, ProviderError> {
        let obj = v.as_object().ok_or_else(|| bad(path, "an object"))?;
        if let Some(k) = obj.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(ProviderError::invalid(format!(
                "containerDefinitions: {path}.{k} is not implemented by tapctl (supported: {})",
                allowed.join(", ")
            )));
        }
        Ok(obj)
    }

    fn string(obj: &Map<String, J>, key: &str, path: &str) -> Result<Option<String>, ProviderError> {
        match obj.get(key) {
            None | Some(J::Null) => Ok(None),
            Some(J::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(bad(&format!("{path}.{key}"), "a string")),
        }
    }

    fn int(obj: &Map<String, J>, key: &str, path: &str) -> Result<Option<i32>, ProviderError> {
        match obj.get(key) {
            None | Some(J::Null) => Ok(None),
            Some(J::Number(n)) => n
                .as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| bad(&format!("{path}.{key}"), "a whole number")),
            Some(_) => Err(bad(&format!("{path}.{key}"), "a number")),
        }
    }

    fn boolean(obj: &Map<String, J>, key: &str, path: &str) -> Result<Option<bool>, ProviderError> {
        match obj.get(key) {
            None | Some(J::Null) => Ok(None),
            Some(J::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(bad(&format!("{path}.{key}"), "true or false")),
        }
    }

    fn strings(obj: &Map<String, J>, key: &str, path: &str) -> Result<Option<Vec<String>>, ProviderError> {
        match obj.get(key) {
            None | Some(J::Null) => Ok(None),
            Some(J::Array(items)) => items
                .iter()
                .map(|i| i.as_str().map(str::to_string).ok_or_else(|| bad(&format!("{path}.{key}[]"), "a string")))
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(bad(&format!("{path}.{key}"), "a list of strings")),
        }
    }

    fn items<'a>(obj: &'a Map<String, J>, key: &str, path: &str) -> Result<Vec<&'a J>, ProviderError> {
        match obj.get(key) {
            None | Some(J::Null) => Ok(Vec::new()),
            Some(J::Array(items)) => Ok(items.iter().collect()),
            Some(_) => Err(bad(&format!("{path}.{key}"), "a list")),
        }
    }

    fn string_map(
        obj: &Map<String, J>,
        key: &str,
        path: &str,
    ) -> Result<Option<HashMap<String, String>>, ProviderError> {
        match obj.get(key) {
            None | Some(J::Null) => Ok(None),
            Some(J::Object(m)) => m
                .iter()
                .map(|(k, v)| match v {
                    J::String(s) => Ok((k.clone(), s.clone())),
                    _ => Err(bad(&format!("{path}.{key}.{k}"), "a string")),
                })
                .collect::<Result<HashMap<_, _>, _>>()
                .map(Some),
            Some(_) => Err(bad(&format!("{path}.{key}"), "a map of strings")),
        }
    }

    fn invalid(path: &str, e: impl std::fmt::Display) -> ProviderError {
        ProviderError::invalid(format!("containerDefinitions: {path}: {e}"))
    }

    fn secrets(obj: &Map<String, J>, key: &str, path: &str) -> Result<Option<Vec<Secret>>, ProviderError> {
        let list = items(obj, key, path)?;
        if list.is_empty() {
            return Ok(None);
        }
        list.iter()
            .enumerate()
            .map(|(i, s)| {
                let p = format!("{path}.{key}[{i}]");
                let s = object(s, &p, &["name", "valueFrom"])?;
                Secret::builder()
                    .set_name(string(s, "name", &p)?)
                    .set_value_from(string(s, "valueFrom", &p)?)
                    .build()
                    .map_err(|e| invalid(&p, e))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    fn container(v: &J, path: &str) -> Result<ContainerDefinition, ProviderError> {
        let c = object(v, path, KEYS)?;
        let name = string(c, "name", path)?.ok_or_else(|| bad(&format!("{path}.name"), "set"))?;
        let image = string(c, "image", path)?.ok_or_else(|| bad(&format!("{path}.image"), "set"))?;
        let mut b = ContainerDefinition::builder()
            .name(name)
            .image(image)
            .set_cpu(int(c, "cpu", path)?)
            .set_memory(int(c, "memory", path)?)
            .set_memory_reservation(int(c, "memoryReservation", path)?)
            .set_essential(boolean(c, "essential", path)?)
            .set_command(strings(c, "command", path)?)
            .set_entry_point(strings(c, "entryPoint", path)?)
            .set_working_directory(string(c, "workingDirectory", path)?)
            .set_user(string(c, "user", path)?)
            .set_readonly_root_filesystem(boolean(c, "readonlyRootFilesystem", path)?)
            .set_start_timeout(int(c, "startTimeout", path)?)
            .set_stop_timeout(int(c, "stopTimeout", path)?)
            .set_docker_labels(string_map(c, "dockerLabels", path)?)
            .set_secrets(secrets(c, "secrets", path)?);
        for (i, pm) in items(c, "portMappings", path)?.into_iter().enumerate() {
            let p = format!("{path}.portMappings[{i}]");
            let pm = object(pm, &p, &["containerPort", "hostPort", "protocol", "name", "appProtocol"])?;
            b = b.port_mappings(
                PortMapping::builder()
                    .set_container_port(int(pm, "containerPort", &p)?)
                    .set_host_port(int(pm, "hostPort", &p)?)
                    .set_protocol(string(pm, "protocol", &p)?.map(|s| TransportProtocol::from(s.as_str())))
                    .set_name(string(pm, "name", &p)?)
                    .set_app_protocol(string(pm, "appProtocol", &p)?.map(|s| ApplicationProtocol::from(s.as_str())))
                    .build(),
            );
        }
        for (i, kv) in items(c, "environment", path)?.into_iter().enumerate() {
            let p = format!("{path}.environment[{i}]");
            let kv = object(kv, &p, &["name", "value"])?;
            b = b.environment(
                KeyValuePair::builder().set_name(string(kv, "name", &p)?).set_value(string(kv, "value", &p)?).build(),
            );
        }
        if let Some(lc) = c.get("logConfiguration").filter(|v| !v.is_null()) {
            let p = format!("{path}.logConfiguration");
            let lc = object(lc, &p, &["logDriver", "options", "secretOptions"])?;
            b = b.log_configuration(
                LogConfiguration::builder()
                    .set_log_driver(string(lc, "logDriver", &p)?.map(|s| LogDriver::from(s.as_str())))
                    .set_options(string_map(lc, "options", &p)?)
                    .set_secret_options(secrets(lc, "secretOptions", &p)?)
                    .build()
                    .map_err(|e| invalid(&p, e))?,
            );
        }
        if let Some(hc) = c.get("healthCheck").filter(|v| !v.is_null()) {
            let p = format!("{path}.healthCheck");
            let hc = object(hc, &p, &["command", "interval", "timeout", "retries", "startPeriod"])?;
            b = b.health_check(
                HealthCheck::builder()
                    .set_command(strings(hc, "command", &p)?)
                    .set_interval(int(hc, "interval", &p)?)
                    .set_timeout(int(hc, "timeout", &p)?)
                    .set_retries(int(hc, "retries", &p)?)
                    .set_start_period(int(hc, "startPeriod", &p)?)
                    .build()
                    .map_err(|e| invalid(&p, e))?,
            );
        }
        for (i, d) in items(c, "dependsOn", path)?.into_iter().enumerate() {
            let p = format!("{path}.dependsOn[{i}]");
            let d = object(d, &p, &["containerName", "condition"])?;
            b = b.depends_on(
                ContainerDependency::builder()
                    .set_container_name(string(d, "containerName", &p)?)
                    .set_condition(string(d, "condition", &p)?.map(|s| ContainerCondition::from(s.as_str())))
                    .build()
                    .map_err(|e| invalid(&p, e))?,
            );
        }
        for (i, u) in items(c, "ulimits", path)?.into_iter().enumerate() {
            let p = format!("{path}.ulimits[{i}]");
            let u = object(u, &p, &["name", "softLimit", "hardLimit"])?;
            b = b.ulimits(
                Ulimit::builder()
                    .set_name(string(u, "name", &p)?.map(|s| UlimitName::from(s.as_str())))
                    .set_soft_limit(int(u, "softLimit", &p)?)
                    .set_hard_limit(int(u, "hardLimit", &p)?)
                    .build()
                    .map_err(|e| invalid(&p, e))?,
            );
        }
        for (i, m) in items(c, "mountPoints", path)?.into_iter().enumerate() {
            let p = format!("{path}.mountPoints[{i}]");
            let m = object(m, &p, &["sourceVolume", "containerPath", "readOnly"])?;
            b = b.mount_points(
                MountPoint::builder()
                    .set_source_volume(string(m, "sourceVolume", &p)?)
                    .set_container_path(string(m, "containerPath", &p)?)
                    .set_read_only(boolean(m, "readOnly", &p)?)
                    .build(),
            );
        }
        for (i, v) in items(c, "volumesFrom", path)?.into_iter().enumerate() {
            let p = format!("{path}.volumesFrom[{i}]");
            let v = object(v, &p, &["sourceContainer", "readOnly"])?;
            b = b.volumes_from(
                VolumeFrom::builder()
                    .set_source_container(string(v, "sourceContainer", &p)?)
                    .set_read_only(boolean(v, "readOnly", &p)?)
                    .build(),
            );
        }
        Ok(b.build())
    }

    /// Parses the `containerDefinitions` JSON document.
    pub(super) fn parse(text: &str) -> Result<Vec<ContainerDefinition>, ProviderError> {
        let doc: J = serde_json::from_str(text)
            .map_err(|e| ProviderError::invalid(format!("containerDefinitions is not valid JSON: {e}")))?;
        let list = doc.as_array().ok_or_else(|| ProviderError::invalid("containerDefinitions must be a JSON list"))?;
        if list.is_empty() {
            return Err(ProviderError::invalid("containerDefinitions must name at least one container"));
        }
        list.iter().enumerate().map(|(i, c)| container(c, &format!("[{i}]"))).collect()
    }

    fn put(m: &mut Map<String, J>, key: &str, v: Option<J>) {
        if let Some(v) = v {
            m.insert(key.into(), v);
        }
    }

    fn str_list(items: &[String]) -> Option<J> {
        (!items.is_empty()).then(|| J::Array(items.iter().map(|s| J::String(s.clone())).collect()))
    }

    fn list<T>(items: &[T], f: impl Fn(&T) -> J) -> Option<J> {
        (!items.is_empty()).then(|| J::Array(items.iter().map(f).collect()))
    }

    fn obj(pairs: Vec<(&str, Option<J>)>) -> J {
        let mut m = Map::new();
        for (k, v) in pairs {
            put(&mut m, k, v);
        }
        J::Object(m)
    }

    fn s(v: Option<&str>) -> Option<J> {
        v.map(|v| J::String(v.to_string()))
    }

    fn n(v: Option<i32>) -> Option<J> {
        v.map(J::from)
    }

    fn sorted_map(m: Option<&HashMap<String, String>>) -> Option<J> {
        let m = m.filter(|m| !m.is_empty())?;
        let mut keys: Vec<&String> = m.keys().collect();
        keys.sort();
        Some(J::Object(keys.into_iter().map(|k| (k.clone(), J::String(m[k].clone()))).collect()))
    }

    fn secrets_json(items: &[Secret]) -> Option<J> {
        list(items, |x| obj(vec![("name", s(Some(x.name()))), ("valueFrom", s(Some(x.value_from())))]))
    }

    /// The definitions as ECS reports them, as a JSON document. Empty lists
    /// and a `cpu` of 0 (what ECS reports for "not set") are left out.
    pub(super) fn to_json(defs: &[ContainerDefinition]) -> String {
        let docs: Vec<J> = defs
            .iter()
            .map(|c| {
                obj(vec![
                    ("name", s(c.name())),
                    ("image", s(c.image())),
                    ("cpu", (c.cpu() != 0).then(|| J::from(c.cpu()))),
                    ("memory", n(c.memory())),
                    ("memoryReservation", n(c.memory_reservation())),
                    ("essential", c.essential().map(J::Bool)),
                    ("command", str_list(c.command())),
                    ("entryPoint", str_list(c.entry_point())),
                    ("workingDirectory", s(c.working_directory())),
                    ("user", s(c.user())),
                    (
                        "portMappings",
                        list(c.port_mappings(), |pm| {
                            obj(vec![
                                ("containerPort", n(pm.container_port())),
                                ("hostPort", n(pm.host_port())),
                                ("protocol", s(pm.protocol().map(|p| p.as_str()))),
                                ("name", s(pm.name())),
                                ("appProtocol", s(pm.app_protocol().map(|p| p.as_str()))),
                            ])
                        }),
                    ),
                    (
                        "environment",
                        list(c.environment(), |kv| obj(vec![("name", s(kv.name())), ("value", s(kv.value()))])),
                    ),
                    ("secrets", secrets_json(c.secrets())),
                    (
                        "logConfiguration",
                        c.log_configuration().map(|lc| {
                            obj(vec![
                                ("logDriver", s(Some(lc.log_driver().as_str()))),
                                ("options", sorted_map(lc.options())),
                                ("secretOptions", secrets_json(lc.secret_options())),
                            ])
                        }),
                    ),
                    (
                        "healthCheck",
                        c.health_check().map(|hc| {
                            obj(vec![
                                (
                                    "command",
                                    Some(J::Array(hc.command().iter().map(|s| J::String(s.clone())).collect())),
                                ),
                                ("interval", n(hc.interval())),
                                ("timeout", n(hc.timeout())),
                                ("retries", n(hc.retries())),
                                ("startPeriod", n(hc.start_period())),
                            ])
                        }),
                    ),
                    (
                        "dependsOn",
                        list(c.depends_on(), |d| {
                            obj(vec![
                                ("containerName", s(Some(d.container_name()))),
                                ("condition", s(Some(d.condition().as_str()))),
                            ])
                        }),
                    ),
                    ("readonlyRootFilesystem", c.readonly_root_filesystem().map(J::Bool)),
                    ("startTimeout", n(c.start_timeout())),
                    ("stopTimeout", n(c.stop_timeout())),
                    (
                        "ulimits",
                        list(c.ulimits(), |u| {
                            obj(vec![
                                ("name", s(Some(u.name().as_str()))),
                                ("softLimit", Some(J::from(u.soft_limit()))),
                                ("hardLimit", Some(J::from(u.hard_limit()))),
                            ])
                        }),
                    ),
                    (
                        "mountPoints",
                        list(c.mount_points(), |m| {
                            obj(vec![
                                ("sourceVolume", s(m.source_volume())),
                                ("containerPath", s(m.container_path())),
                                ("readOnly", m.read_only().map(J::Bool)),
                            ])
                        }),
                    ),
                    (
                        "volumesFrom",
                        list(c.volumes_from(), |v| {
                            obj(vec![
                                ("sourceContainer", s(v.source_container())),
                                ("readOnly", v.read_only().map(J::Bool)),
                            ])
                        }),
                    ),
                    ("dockerLabels", sorted_map(c.docker_labels())),
                ])
            })
            .collect();
        J::Array(docs).to_string()
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn round_trip_keeps_what_was_set() {
            let text = r#"[{"name":"app","image":"nginx:1","essential":true,
                "portMappings":[{"containerPort":8080,"protocol":"tcp"}],
                "environment":[{"name":"A","value":"1"}],
                "secrets":[{"name":"S","valueFrom":"arn:aws:secretsmanager:us-east-1:1:secret:x"}],
                "logConfiguration":{"logDriver":"awslogs","options":{"awslogs-region":"us-east-1","awslogs-group":"/ecs/x"}}}]"#;
            let defs = parse(text).unwrap();
            let json: J = serde_json::from_str(&to_json(&defs)).unwrap();
            assert_eq!(json[0]["portMappings"][0]["containerPort"], 8080);
            assert_eq!(json[0]["logConfiguration"]["options"]["awslogs-group"], "/ecs/x");
            assert_eq!(json[0]["secrets"][0]["name"], "S");
            assert!(json[0].get("cpu").is_none() && json[0].get("mountPoints").is_none());
        }

        #[test]
        fn unknown_keys_and_bad_types_are_named() {
            let e = parse(r#"[{"name":"a","image":"b","gpu":1}]"#).unwrap_err();
            assert!(e.message.contains("[0].gpu"), "{}", e.message);
            let e = parse(r#"[{"name":"a","image":"b","portMappings":[{"containerPort":"80"}]}]"#).unwrap_err();
            assert!(e.message.contains("[0].portMappings[0].containerPort"), "{}", e.message);
            assert!(parse("[]").is_err());
            assert!(parse(r#"[{"image":"b"}]"#).unwrap_err().message.contains("[0].name"));
            assert!(parse("{").is_err());
        }
    }
}

// ---------------------------------------------------------------------------
// Service
// ---------------------------------------------------------------------------

mod service {
    use super::*;

    pub(super) const SUPPORTED: &[&str] = &[
        "cluster",
        "deploymentCircuitBreaker",
        "deploymentMaximumPercent",
        "deploymentMinimumHealthyPercent",
        "desiredCount",
        "enableEcsManagedTags",
        "enableExecuteCommand",
        "forceNewDeployment",
        "healthCheckGracePeriodSeconds",
        "iamRole",
        "launchType",
        "loadBalancers",
        "name",
        "networkConfiguration",
        "platformVersion",
        "propagateTags",
        "region",
        "schedulingStrategy",
        "tags",
        "taskDefinition",
        "waitForSteadyState",
    ];

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        for name in ["name", "cluster", "taskDefinition"] {
            if !inputs.contains_key(name) {
                return Err(ProviderError::invalid(format!("{name} is required")));
            }
        }
        if is_known(inputs, "networkConfiguration") {
            network(inputs)?;
        }
        if is_known(inputs, "loadBalancers") {
            load_balancers(inputs)?;
        }
        if is_known(inputs, "deploymentCircuitBreaker") {
            circuit_breaker(inputs)?;
        }
        if let Some(t) = known(inputs, "propagateTags").and_then(Value::as_str) {
            if !matches!(t, "SERVICE" | "TASK_DEFINITION" | "NONE") {
                return Err(ProviderError::invalid(format!(
                    "propagateTags must be SERVICE, TASK_DEFINITION or NONE, got {t:?}"
                )));
            }
        }
        if let Some(t) = known(inputs, "launchType").and_then(Value::as_str) {
            if !matches!(t, "FARGATE" | "EC2" | "EXTERNAL" | "MANAGED_INSTANCES") {
                return Err(ProviderError::invalid(format!(
                    "launchType must be FARGATE, EC2, EXTERNAL or MANAGED_INSTANCES, got {t:?}"
                )));
            }
        }
        Ok(())
    }

    fn network(inputs: &PropertyMap) -> Result<Option<NetworkConfiguration>, ProviderError> {
        let Some(nc) = optional_object(inputs, "networkConfiguration")? else { return Ok(None) };
        let subnets = optional_str_list(nc, "subnets").map_err(nested("networkConfiguration"))?.unwrap_or_default();
        if subnets.is_empty() {
            return Err(ProviderError::invalid("networkConfiguration.subnets must name at least one subnet"));
        }
        let groups = optional_str_list(nc, "securityGroups").map_err(nested("networkConfiguration"))?;
        let public = optional_bool(nc, "assignPublicIp").map_err(nested("networkConfiguration"))?;
        let vpc = AwsVpcConfiguration::builder()
            .set_subnets(Some(subnets))
            .set_security_groups(groups)
            .set_assign_public_ip(public.map(|p| if p { AssignPublicIp::Enabled } else { AssignPublicIp::Disabled }))
            .build()
            .map_err(|e| ProviderError::invalid(format!("networkConfiguration: {e}")))?;
        Ok(Some(NetworkConfiguration::builder().awsvpc_configuration(vpc).build()))
    }

    fn load_balancers(inputs: &PropertyMap) -> Result<Option<Vec<LoadBalancer>>, ProviderError> {
        let list = object_list(inputs, "loadBalancers")?;
        if list.is_empty() {
            return Ok(None);
        }
        list.into_iter()
            .map(|lb| {
                Ok(LoadBalancer::builder()
                    .set_target_group_arn(
                        optional_str(lb, "targetGroupArn").map_err(nested("loadBalancers[]"))?.map(str::to_string),
                    )
                    .set_load_balancer_name(
                        optional_str(lb, "elbName").map_err(nested("loadBalancers[]"))?.map(str::to_string),
                    )
                    .set_container_name(
                        optional_str(lb, "containerName").map_err(nested("loadBalancers[]"))?.map(str::to_string),
                    )
                    .set_container_port(optional_i32(lb, "containerPort").map_err(nested("loadBalancers[]"))?)
                    .build())
            })
            .collect::<Result<Vec<_>, ProviderError>>()
            .map(Some)
    }

    fn circuit_breaker(inputs: &PropertyMap) -> Result<Option<DeploymentCircuitBreaker>, ProviderError> {
        let Some(cb) = optional_object(inputs, "deploymentCircuitBreaker")? else { return Ok(None) };
        let enable = optional_bool(cb, "enable").map_err(nested("deploymentCircuitBreaker"))?;
        let rollback = optional_bool(cb, "rollback").map_err(nested("deploymentCircuitBreaker"))?;
        let (Some(enable), Some(rollback)) = (enable, rollback) else {
            return Err(ProviderError::invalid("deploymentCircuitBreaker needs enable and rollback"));
        };
        Ok(Some(DeploymentCircuitBreaker::builder().enable(enable).rollback(rollback).build()))
    }

    /// The deployment configuration the inputs ask for; `None` when they
    /// set none of its parts (AWS's defaults apply).
    fn deployment(inputs: &PropertyMap) -> Result<Option<DeploymentConfiguration>, ProviderError> {
        let cb = circuit_breaker(inputs)?;
        let max = optional_i32(inputs, "deploymentMaximumPercent")?;
        let min = optional_i32(inputs, "deploymentMinimumHealthyPercent")?;
        if cb.is_none() && max.is_none() && min.is_none() {
            return Ok(None);
        }
        Ok(Some(
            DeploymentConfiguration::builder()
                .set_deployment_circuit_breaker(cb)
                .set_maximum_percent(max)
                .set_minimum_healthy_percent(min)
                .build(),
        ))
    }

    /// The cluster of a service ARN (`…:service/<cluster>/<name>`); the
    /// default cluster for the old short form (`…:service/<name>`).
    fn cluster_of(arn: &str) -> &str {
        let resource = arn.split_once(":service/").map_or(arn, |(_, r)| r);
        match resource.split_once('/') {
            Some((cluster, _)) => cluster,
            None => "default",
        }
    }

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let ecs = p.ecs().await?;
        let name = required_str(inputs, "name")?;
        let cluster = required_str(inputs, "cluster")?;
        let task = required_str(inputs, "taskDefinition")?;
        let desired = optional_i32(inputs, "desiredCount")?;
        let launch = optional_str(inputs, "launchType")?.map(LaunchType::from);
        let platform = optional_str(inputs, "platformVersion")?.map(str::to_string);
        let scheduling = optional_str(inputs, "schedulingStrategy")?.map(SchedulingStrategy::from);
        let nc = network(inputs)?;
        let lbs = load_balancers(inputs)?;
        let deployment = deployment(inputs)?;
        let grace = optional_i32(inputs, "healthCheckGracePeriodSeconds")?;
        let propagate = optional_str(inputs, "propagateTags")?.map(PropagateTags::from);
        let managed_tags = optional_bool(inputs, "enableEcsManagedTags")?;
        let exec = optional_bool(inputs, "enableExecuteCommand")?;
        let role = optional_str(inputs, "iamRole")?.map(str::to_string);
        let tags = sdk_tags(&tags_for_create(ctx, inputs)?);
        // A target group not yet behind a listener, or a role not yet
        // assumable, is refused for a moment after it was created.
        let transient =
            &["does not have an associated load balancer", "verify that the ECS service role", "Unable to assume"];
        let out = tolerating_messages(p, window(p, ctx), "InvalidParameterException", transient, || {
            ecs.create_service()
                .cluster(cluster)
                .service_name(name)
                .task_definition(task)
                .set_desired_count(desired)
                .set_launch_type(launch.clone())
                .set_platform_version(platform.clone())
                .set_scheduling_strategy(scheduling.clone())
                .set_network_configuration(nc.clone())
                .set_load_balancers(lbs.clone())
                .set_deployment_configuration(deployment.clone())
                .set_health_check_grace_period_seconds(grace)
                .set_propagate_tags(propagate.clone())
                .set_enable_ecs_managed_tags(managed_tags)
                .set_enable_execute_command(exec)
                .set_role(role.clone())
                .set_tags(Some(tags.clone()))
                .send()
        })
        .await?;
        let arn = out
            .service()
            .and_then(|s| s.service_arn())
            .map(str::to_string)
            .ok_or_else(|| missing_field("CreateService", "service.serviceArn"))?;
        keep_settings(p, ctx, &arn, inputs).await.map_err(after_create(&arn, "applying its deployment settings"))?;
        if optional_bool(inputs, "waitForSteadyState")? == Some(true) {
            wait_stable(p, ctx, &arn).await.map_err(after_create(&arn, "waiting for it to reach a steady state"))?;
        }
        Ok(arn)
    }

    /// Re-applies with UpdateService what CreateService was asked for but the
    /// service does not show. Real ECS keeps all of it; an emulator may not
    /// (moto drops the deployment configuration on create), and the outputs
    /// must describe what the cloud really has.
    async fn keep_settings(
        p: &AwsProvider,
        ctx: &CallContext,
        arn: &str,
        inputs: &PropertyMap,
    ) -> Result<(), ProviderError> {
        let shown = p.read_back(ctx, arn, || read(p, arn)).await?;
        let differs = |key: &str| match inputs.get(key) {
            None | Some(Value::Null) => false,
            Some(v) => !shown.get(key).is_some_and(|s| s.same_as(v)),
        };
        let dep = ["deploymentCircuitBreaker", "deploymentMaximumPercent", "deploymentMinimumHealthyPercent"];
        let deployment_lost = dep.iter().any(|k| differs(k));
        let grace_lost = differs("healthCheckGracePeriodSeconds");
        let managed_lost = differs("enableEcsManagedTags");
        let propagate_lost = differs("propagateTags");
        if !(deployment_lost || grace_lost || managed_lost || propagate_lost) {
            return Ok(());
        }
        tracing::debug!(arn, "the new service does not show all of its settings; applying them with UpdateService");
        let ecs = p.ecs().await?;
        let deployment = if deployment_lost { deployment(inputs)? } else { None };
        let grace = if grace_lost { optional_i32(inputs, "healthCheckGracePeriodSeconds")? } else { None };
        let managed = if managed_lost { optional_bool(inputs, "enableEcsManagedTags")? } else { None };
        let propagate =
            if propagate_lost { optional_str(inputs, "propagateTags")?.map(PropagateTags::from) } else { None };
        p.call(|| {
            ecs.update_service()
                .cluster(cluster_of(arn))
                .service(arn)
                .set_deployment_configuration(deployment.clone())
                .set_health_check_grace_period_seconds(grace)
                .set_enable_ecs_managed_tags(managed)
                .set_propagate_tags(propagate.clone())
                .send()
        })
        .await?;
        Ok(())
    }

    async fn wait_stable(p: &AwsProvider, ctx: &CallContext, arn: &str) -> Result<(), ProviderError> {
        let ecs = p.ecs().await?;
        let within = limit(ctx, minutes(20));
        let what = format!("ECS service {arn} to reach a steady state");
        ecs.wait_until_services_stable()
            .cluster(cluster_of(arn))
            .services(arn)
            .wait(within)
            .await
            .map_err(|e| waiter_error(&what, e))?;
        Ok(())
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let ecs = p.ecs().await?;
        let out = p
            .call(|| ecs.describe_services().cluster(cluster_of(id)).services(id).include(ServiceField::Tags).send())
            .await?;
        // A deleted service stays visible as INACTIVE for a while.
        let Some(s) = out.services().iter().find(|s| s.service_arn() == Some(id) && s.status() != Some("INACTIVE"))
        else {
            return Ok(None);
        };
        let mut o = Outputs::new(id, p.region().await?)
            .string("arn", s.service_arn())
            .string("name", s.service_name())
            .string("cluster", s.cluster_arn())
            .string("taskDefinition", s.task_definition())
            .int("desiredCount", Some(i64::from(s.desired_count())))
            .string("launchType", s.launch_type().map(|l| l.as_str()))
            .string("platformVersion", s.platform_version())
            .string("schedulingStrategy", s.scheduling_strategy().map(|x| x.as_str()))
            .int("healthCheckGracePeriodSeconds", s.health_check_grace_period_seconds().map(i64::from))
            .string("propagateTags", s.propagate_tags().map(|x| x.as_str()))
            .bool("enableEcsManagedTags", Some(s.enable_ecs_managed_tags()))
            .bool("enableExecuteCommand", Some(s.enable_execute_command()))
            .string("iamRole", s.role_arn())
            .string("availabilityZoneRebalancing", s.availability_zone_rebalancing().map(|x| x.as_str()));
        if let Some(dc) = s.deployment_controller() {
            o = o.value("deploymentController", Value::object([("type", dc.r#type().as_str())]));
        }
        if let Some(d) = s.deployment_configuration() {
            o = o
                .int("deploymentMaximumPercent", d.maximum_percent().map(i64::from))
                .int("deploymentMinimumHealthyPercent", d.minimum_healthy_percent().map(i64::from));
            if let Some(cb) = d.deployment_circuit_breaker() {
                o = o.value(
                    "deploymentCircuitBreaker",
                    Value::object([("enable", cb.enable()), ("rollback", cb.rollback())]),
                );
            }
        }
        if let Some(vpc) = s.network_configuration().and_then(|n| n.awsvpc_configuration()) {
            let mut m = PropertyMap::new();
            m.insert("subnets".into(), string_list(vpc.subnets()));
            m.insert("securityGroups".into(), string_list(vpc.security_groups()));
            m.insert("assignPublicIp".into(), Value::Bool(vpc.assign_public_ip() == Some(&AssignPublicIp::Enabled)));
            o = o.value("networkConfiguration", Value::Object(m));
        }
        let lbs: Vec<Value> = s
            .load_balancers()
            .iter()
            .map(|lb| {
                let mut m = PropertyMap::new();
                let mut put = |k: &str, v: Option<Value>| {
                    if let Some(v) = v {
                        m.insert(k.into(), v);
                    }
                };
                put("targetGroupArn", lb.target_group_arn().map(Value::from));
                put("elbName", lb.load_balancer_name().map(Value::from));
                put("containerName", lb.container_name().map(Value::from));
                put("containerPort", lb.container_port().map(Value::from));
                Value::Object(m)
            })
            .collect();
        if !lbs.is_empty() {
            o = o.value("loadBalancers", Value::Array(lbs));
        }
        Ok(Some(o.tags(tag_pairs(s.tags())).build()))
    }

    pub(super) async fn update(
        p: &AwsProvider,
        ctx: &CallContext,
        id: &str,
        old: &PropertyMap,
        new: &PropertyMap,
    ) -> Result<(), ProviderError> {
        let ecs = p.ecs().await?;
        // Only what changed goes to UpdateService: resending an unchanged
        // network or load balancer configuration would start a deployment.
        let mut request = ecs.update_service().cluster(cluster_of(id)).service(id);
        let mut any = false;
        if changed(old, new, "desiredCount") {
            if let Some(n) = optional_i32(new, "desiredCount")? {
                request = request.desired_count(n);
                any = true;
            }
        }
        if changed(old, new, "taskDefinition") {
            request = request.task_definition(required_str(new, "taskDefinition")?);
            any = true;
        }
        if ["deploymentCircuitBreaker", "deploymentMaximumPercent", "deploymentMinimumHealthyPercent"]
            .iter()
            .any(|k| changed(old, new, k))
        {
            let d = deployment(new)?.unwrap_or_else(|| {
                // Back to AWS's defaults: breaker off, 200 % / 100 %.
                DeploymentConfiguration::builder()
                    .deployment_circuit_breaker(
                        DeploymentCircuitBreaker::builder().enable(false).rollback(false).build(),
                    )
                    .build()
            });
            request = request.deployment_configuration(d);
            any = true;
        }
        if changed(old, new, "networkConfiguration") {
            if let Some(nc) = network(new)? {
                request = request.network_configuration(nc);
                any = true;
            }
        }
        if changed(old, new, "loadBalancers") {
            request = request.set_load_balancers(Some(load_balancers(new)?.unwrap_or_default()));
            any = true;
        }
        if changed(old, new, "healthCheckGracePeriodSeconds") {
            request = request.set_health_check_grace_period_seconds(Some(
                optional_i32(new, "healthCheckGracePeriodSeconds")?.unwrap_or(0),
            ));
            any = true;
        }
        if changed(old, new, "propagateTags") {
            request =
                request.propagate_tags(PropagateTags::from(optional_str(new, "propagateTags")?.unwrap_or("NONE")));
            any = true;
        }
        if changed(old, new, "enableEcsManagedTags") {
            request = request.enable_ecs_managed_tags(optional_bool(new, "enableEcsManagedTags")?.unwrap_or(false));
            any = true;
        }
        if changed(old, new, "enableExecuteCommand") {
            request = request.enable_execute_command(optional_bool(new, "enableExecuteCommand")?.unwrap_or(false));
            any = true;
        }
        if changed(old, new, "platformVersion") {
            if let Some(v) = optional_str(new, "platformVersion")? {
                request = request.platform_version(v);
                any = true;
            }
        }
        if optional_bool(new, "forceNewDeployment")? == Some(true) {
            request = request.force_new_deployment(true);
            any = true;
        }
        if any {
            p.call(|| request.clone().send()).await?;
        }
        apply_tags(p, ctx, id, old, new).await?;
        if any && optional_bool(new, "waitForSteadyState")? == Some(true) {
            wait_stable(p, ctx, id).await?;
        }
        Ok(())
    }

    /// The ARN of the service the inputs name in their cluster, unless deleted.
    pub(super) async fn find(p: &AwsProvider, inputs: &PropertyMap) -> Result<Option<String>, ProviderError> {
        let ecs = p.ecs().await?;
        let (cluster, name) = (required_str(inputs, "cluster")?, required_str(inputs, "name")?);
        let out = match p.call(|| ecs.describe_services().cluster(cluster).services(name).send()).await {
            Err(e) if e.code == "ClusterNotFoundException" => return Ok(None),
            other => other?,
        };
        Ok(out
            .services()
            .iter()
            .find(|s| s.service_name() == Some(name) && s.status() != Some("INACTIVE"))
            .and_then(|s| s.service_arn())
            .map(str::to_string))
    }

    pub(super) async fn delete(p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<(), ProviderError> {
        let Some(current) = read(p, id).await? else { return Ok(()) };
        let ecs = p.ecs().await?;
        let cluster = cluster_of(id);
        let daemon = current.get("schedulingStrategy").and_then(Value::as_str) == Some("DAEMON");
        let running = current.get("desiredCount").and_then(Value::as_f64).unwrap_or(0.0) > 0.0;
        // Scale in first so the tasks drain before the service goes, as
        // pulumi-aws does; a daemon service has no count to scale.
        if running && !daemon {
            let scaled = p.call(|| ecs.update_service().cluster(cluster).service(id).desired_count(0).send()).await;
            match scaled {
                Err(e) if e.code == "ServiceNotActiveException" => return Ok(()),
                other => {
                    other?;
                }
            }
        }
        match p.call(|| ecs.delete_service().cluster(cluster).service(id).force(true).send()).await {
            Err(e) if e.code == "ServiceNotActiveException" => return Ok(()),
            other => {
                other?;
            }
        }
        let what = format!("ECS service {id} to be deleted");
        p.wait_until(&what, limit(ctx, minutes(20)), || async {
            Ok(match found(read(p, id).await)?.flatten() {
                None => Some(()),
                Some(_) => None,
            })
        })
        .await
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn cluster_comes_from_the_arn() {
            assert_eq!(cluster_of("arn:aws:ecs:us-east-1:1:service/tap-dev-cluster/blue-svc"), "tap-dev-cluster");
            assert_eq!(cluster_of("arn:aws:ecs:us-east-1:1:service/blue-svc"), "default");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::provider::aws::map;

    #[test]
    fn checks_name_the_problem() {
        let e = Ecs
            .check(CLUSTER, &map(vec![("name", "c".into()), ("configuration", Value::object([("x", "y")]))]))
            .unwrap_err();
        assert!(e.message.contains("configuration"), "{}", e.message);
        let bad = Value::array([Value::object([("name", "containerInsights"), ("value", "on")])]);
        assert!(Ecs.check(CLUSTER, &map(vec![("name", "c".into()), ("settings", bad)])).is_err());
        let td = map(vec![("family", "f".into()), ("containerDefinitions", "[{\"name\":\"a\"}]".into())]);
        assert!(Ecs.check(TASK_DEFINITION, &td).unwrap_err().message.contains("image"));
        let td = map(vec![("family", "f".into()), ("containerDefinitions", Value::Unknown), ("cpu", 256.into())]);
        assert!(Ecs.check(TASK_DEFINITION, &td).unwrap_err().message.contains("cpu"));
        let svc = map(vec![
            ("name", "s".into()),
            ("cluster", "c".into()),
            ("taskDefinition", Value::Unknown),
            ("deploymentCircuitBreaker", Value::object([("enable", true)])),
        ]);
        assert!(Ecs.check(SERVICE, &svc).unwrap_err().message.contains("rollback"));
    }

    #[test]
    fn task_definition_replacement_creates_first() {
        let old = map(vec![("family", "f".into()), ("cpu", "256".into())]);
        let new = map(vec![("family", "f".into()), ("cpu", "512".into())]);
        let base = crate::provider::diff_by_catalog(TASK_DEFINITION, &old, &new).unwrap();
        assert!(base.delete_before_replace);
        let d = Ecs.diff(TASK_DEFINITION, &old, &new, base);
        assert_eq!(d.replace_keys, vec!["cpu".to_string()]);
        assert!(!d.delete_before_replace);
    }
}
