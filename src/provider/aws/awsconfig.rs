//! AWS Config kinds: configuration recorder, delivery channel, recorder
//! status and rule. (The module is not called `config`: that is tapctl's
//! own configuration layer.)
//!
//! Every id is a name, as in pulumi-aws. A region holds one recorder and one
//! delivery channel; their `name` defaults to `default` as in Terraform, and
//! a create never takes over a recorder or channel that is already there
//! (Put* would silently overwrite it): it fails with `ResourceAlreadyExists`
//! and adoption finds an interrupted create's by name. For the same reason
//! renaming either replaces it delete-first, and `name = "default"` written
//! out later is no change (both rules are `diff_by_catalog`'s, so the
//! in-memory cloud plans the same).
//!
//! **Recorder.** PutConfigurationRecorder creates and updates (`roleArn`,
//! `recordingGroup` with `allSupported`, `includeGlobalResourceTypes`,
//! `resourceTypes`). `recordingMode` and the recording group's exclusion and
//! strategy blocks are not implemented. No tags (pulumi-aws has none).
//!
//! **Delivery channel.** PutDeliveryChannel creates and updates; AWS needs
//! the recorder first (`NoAvailableConfigurationRecorderException`). Delete
//! rides out `LastDeliveryChannelDeleteFailedException` for a while, as
//! Terraform does: the recorder status is usually being stopped alongside.
//!
//! **Recorder status.** Not an object of its own in AWS: the id is the
//! recorder's name, create and update start or stop the recorder
//! (Start/StopConfigurationRecorder; starting needs a delivery channel),
//! `read` reports whether it is recording, delete stops it. After a delete
//! the status still reads (stopped) as long as the recorder exists, and
//! `None` once the recorder is gone.
//!
//! **Rule.** PutConfigRule creates and updates the whole rule, with the URN
//! tag at creation; tags change with TagResource / UntagResource on the
//! rule's ARN. `source` takes `owner` (AWS, CUSTOM_LAMBDA, CUSTOM_POLICY),
//! `sourceIdentifier`, `sourceDetails` and `customPolicyDetails`; `scope`,
//! `inputParameters` (a JSON object in a string), `maximumExecutionFrequency`,
//! `evaluationModes` and `description` are implemented. An unnamed rule gets
//! a generated name. Delete waits until the rule is gone.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_config::types::{
    ConfigRule, ConfigSnapshotDeliveryProperties, ConfigurationRecorder, CustomPolicyDetails, DeliveryChannel,
    EvaluationMode, EvaluationModeConfiguration, EventSource, MaximumExecutionFrequency, MessageType, Owner,
    RecordingGroup, ResourceType, Scope, Source, SourceDetail, Tag,
};

use super::iam::autoname;
use super::{
    changed, check_kind, check_str, found, gone_is_ok, known, limit, minutes, nested, object_list, optional_bool,
    optional_object, optional_str, optional_str_list, read_created, read_updated, required_str, string_list,
    tag_changes, tags_for_create, window, AwsProvider, Outputs, Service,
};
use crate::model::{PropertyMap, Value};
use crate::provider::{CallContext, Created, ErrorKind, ProviderError};

const RECORDER: &str = "aws:cfg/recorder:Recorder";
const CHANNEL: &str = "aws:cfg/deliveryChannel:DeliveryChannel";
const STATUS: &str = "aws:cfg/recorderStatus:RecorderStatus";
const RULE: &str = "aws:cfg/rule:Rule";

/// Terraform's name for a recorder or channel that is not named.
const DEFAULT_NAME: &str = "default";

const FREQUENCIES: &[&str] = &["One_Hour", "Three_Hours", "Six_Hours", "Twelve_Hours", "TwentyFour_Hours"];

/// The AWS Config service module.
pub(crate) struct AwsConfig;

#[async_trait]
impl Service for AwsConfig {
    fn tokens(&self) -> &'static [&'static str] {
        &[RECORDER, CHANNEL, STATUS, RULE]
    }

    fn check(&self, token: &str, inputs: &PropertyMap) -> Result<(), ProviderError> {
        match token {
            RECORDER => check_kind(token, inputs, recorder::SUPPORTED, recorder::check),
            CHANNEL => check_kind(token, inputs, channel::SUPPORTED, channel::check),
            STATUS => check_kind(token, inputs, status::SUPPORTED, status::check),
            _ => check_kind(token, inputs, rule::SUPPORTED, rule::check),
        }
    }

    async fn create(&self, p: &AwsProvider, ctx: &CallContext, inputs: &PropertyMap) -> Result<Created, ProviderError> {
        let id = match ctx.token.as_str() {
            RECORDER => recorder::create(p, inputs).await?,
            CHANNEL => channel::create(p, ctx, inputs).await?,
            STATUS => status::put(p, inputs).await?,
            _ => rule::create(p, ctx, inputs).await?,
        };
        read_created(self, p, ctx, id).await
    }

    async fn read(&self, p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let read = match ctx.token.as_str() {
            RECORDER => recorder::read(p, id).await,
            CHANNEL => channel::read(p, id).await,
            STATUS => status::read(p, id).await,
            _ => rule::read(p, id).await,
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
            RECORDER => recorder::put(p, id, new).await?,
            CHANNEL => channel::put(p, ctx, id, new).await?,
            STATUS => status::put(p, new).await.map(drop)?,
            _ => rule::update(p, ctx, id, old, new).await?,
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
        let cfg = p.config().await?;
        let deleted = match ctx.token.as_str() {
            RECORDER => {
                p.call(|| cfg.delete_configuration_recorder().configuration_recorder_name(id).send()).await.map(drop)
            }
            CHANNEL => {
                // A recorder being stopped alongside still holds the channel for a moment.
                let within = limit(ctx, Duration::from_secs(30)).min(window(p, ctx));
                p.call_tolerating(within, &["LastDeliveryChannelDeleteFailedException"], || {
                    cfg.delete_delivery_channel().delivery_channel_name(id).send()
                })
                .await
                .map(drop)
            }
            STATUS => {
                p.call(|| cfg.stop_configuration_recorder().configuration_recorder_name(id).send()).await.map(drop)
            }
            _ => rule::delete(p, ctx, id).await,
        };
        gone_is_ok(deleted)
    }
}

/// The `name` input, or Terraform's default.
fn name_or_default(inputs: &PropertyMap) -> Result<&str, ProviderError> {
    Ok(optional_str(inputs, "name")?.unwrap_or(DEFAULT_NAME))
}

/// Check-time: a name of at most `max` characters.
fn check_name(inputs: &PropertyMap, max: usize) -> Result<(), ProviderError> {
    if let Some(name) = check_str(inputs, "name")? {
        if name.is_empty() || name.chars().count() > max {
            return Err(ProviderError::invalid(format!("name {name:?} must have 1 to {max} characters")));
        }
    }
    Ok(())
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

fn already_exists(token: &str, name: &str) -> ProviderError {
    ProviderError::new(
        ErrorKind::Permanent,
        "ResourceAlreadyExists",
        format!("{token} {name} already exists in this region; import or remove it (AWS allows one)"),
    )
}

// ---------------------------------------------------------------------------
// Recorder
// ---------------------------------------------------------------------------

mod recorder {
    use super::*;

    pub(super) const SUPPORTED: &[&str] = &["name", "recordingGroup", "region", "roleArn"];

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        if !inputs.contains_key("roleArn") {
            return Err(ProviderError::invalid("roleArn is required"));
        }
        check_name(inputs, 256)?;
        if check_str(inputs, "roleArn")?.is_some_and(|a| !a.starts_with("arn:")) {
            return Err(ProviderError::invalid("roleArn must be an IAM role ARN"));
        }
        if let Some(g) = known(inputs, "recordingGroup").and_then(Value::as_object) {
            only_keys("recordingGroup", g, &["allSupported", "includeGlobalResourceTypes", "resourceTypes"])?;
            let all = optional_bool(g, "allSupported").map_err(nested("recordingGroup"))?.unwrap_or(true);
            let types = optional_str_list(g, "resourceTypes").map_err(nested("recordingGroup"))?.unwrap_or_default();
            if all && !types.is_empty() {
                return Err(ProviderError::invalid(
                    "recordingGroup: resourceTypes needs allSupported = false (all supported types are recorded)",
                ));
            }
            if !all && types.is_empty() && known(g, "resourceTypes").is_some() {
                return Err(ProviderError::invalid("recordingGroup: allSupported = false needs resourceTypes"));
            }
            let global = optional_bool(g, "includeGlobalResourceTypes").map_err(nested("recordingGroup"))?;
            if global == Some(true) && !all {
                return Err(ProviderError::invalid(
                    "recordingGroup: includeGlobalResourceTypes needs allSupported = true",
                ));
            }
        }
        Ok(())
    }

    fn recording_group(inputs: &PropertyMap) -> Result<Option<RecordingGroup>, ProviderError> {
        let Some(g) = optional_object(inputs, "recordingGroup")? else { return Ok(None) };
        let types = optional_str_list(g, "resourceTypes")?.unwrap_or_default();
        Ok(Some(
            RecordingGroup::builder()
                .all_supported(optional_bool(g, "allSupported")?.unwrap_or(true))
                .include_global_resource_types(optional_bool(g, "includeGlobalResourceTypes")?.unwrap_or(false))
                .set_resource_types(Some(types.iter().map(|t| ResourceType::from(t.as_str())).collect()))
                .build(),
        ))
    }

    pub(super) async fn put(p: &AwsProvider, name: &str, inputs: &PropertyMap) -> Result<(), ProviderError> {
        let cfg = p.config().await?;
        let recorder = ConfigurationRecorder::builder()
            .name(name)
            .role_arn(required_str(inputs, "roleArn")?)
            .set_recording_group(recording_group(inputs)?)
            .build();
        p.call(|| cfg.put_configuration_recorder().configuration_recorder(recorder.clone()).send()).await?;
        Ok(())
    }

    pub(super) async fn create(p: &AwsProvider, inputs: &PropertyMap) -> Result<String, ProviderError> {
        let name = name_or_default(inputs)?;
        if found(read(p, name).await)?.flatten().is_some() {
            return Err(already_exists(RECORDER, name));
        }
        put(p, name, inputs).await?;
        Ok(name.to_string())
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let cfg = p.config().await?;
        let out = p.call(|| cfg.describe_configuration_recorders().configuration_recorder_names(id).send()).await?;
        let Some(r) = out.configuration_recorders().iter().find(|r| r.name() == Some(id)) else { return Ok(None) };
        let group = r.recording_group().map(|g| {
            let types: Vec<String> = g.resource_types().iter().map(|t| t.as_str().to_string()).collect();
            Value::object([
                ("allSupported", Value::from(g.all_supported())),
                ("includeGlobalResourceTypes", Value::from(g.include_global_resource_types())),
                ("resourceTypes", string_list(&types)),
            ])
        });
        let mut out = Outputs::new(id, p.region().await?).string("name", Some(id)).string("roleArn", r.role_arn());
        if let Some(group) = group {
            out = out.value("recordingGroup", group);
        }
        Ok(Some(out.build()))
    }
}

// ---------------------------------------------------------------------------
// Delivery channel
// ---------------------------------------------------------------------------

mod channel {
    use super::*;

    pub(super) const SUPPORTED: &[&str] =
        &["name", "region", "s3BucketName", "s3KeyPrefix", "s3KmsKeyArn", "snapshotDeliveryProperties", "snsTopicArn"];

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        if !inputs.contains_key("s3BucketName") {
            return Err(ProviderError::invalid("s3BucketName is required"));
        }
        check_name(inputs, 256)?;
        for key in ["s3KeyPrefix", "s3KmsKeyArn", "snsTopicArn"] {
            if check_str(inputs, key)?.is_some_and(str::is_empty) {
                return Err(ProviderError::invalid(format!("{key} must not be empty (leave it out instead)")));
            }
        }
        if let Some(d) = known(inputs, "snapshotDeliveryProperties").and_then(Value::as_object) {
            only_keys("snapshotDeliveryProperties", d, &["deliveryFrequency"])?;
            one_of(d, "deliveryFrequency", FREQUENCIES).map_err(nested("snapshotDeliveryProperties"))?;
        }
        Ok(())
    }

    pub(super) async fn put(
        p: &AwsProvider,
        ctx: &CallContext,
        name: &str,
        inputs: &PropertyMap,
    ) -> Result<(), ProviderError> {
        let cfg = p.config().await?;
        let s = |k: &str| optional_str(inputs, k).map(|v| v.map(str::to_string));
        let snapshot = optional_object(inputs, "snapshotDeliveryProperties")?
            .map(|d| optional_str(d, "deliveryFrequency"))
            .transpose()?
            .flatten()
            .map(|f| {
                ConfigSnapshotDeliveryProperties::builder()
                    .delivery_frequency(MaximumExecutionFrequency::from(f))
                    .build()
            });
        let channel = DeliveryChannel::builder()
            .name(name)
            .s3_bucket_name(required_str(inputs, "s3BucketName")?)
            .set_s3_key_prefix(s("s3KeyPrefix")?)
            .set_s3_kms_key_arn(s("s3KmsKeyArn")?)
            .set_sns_topic_arn(s("snsTopicArn")?)
            .set_config_snapshot_delivery_properties(snapshot)
            .build();
        // The bucket policy granting Config access may still be propagating.
        p.call_tolerating(window(p, ctx), &["InsufficientDeliveryPolicyException"], || {
            cfg.put_delivery_channel().delivery_channel(channel.clone()).send()
        })
        .await?;
        Ok(())
    }

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let name = name_or_default(inputs)?;
        if found(read(p, name).await)?.flatten().is_some() {
            return Err(already_exists(CHANNEL, name));
        }
        put(p, ctx, name, inputs).await?;
        Ok(name.to_string())
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let cfg = p.config().await?;
        let out = p.call(|| cfg.describe_delivery_channels().delivery_channel_names(id).send()).await?;
        let Some(c) = out.delivery_channels().iter().find(|c| c.name() == Some(id)) else { return Ok(None) };
        let mut out = Outputs::new(id, p.region().await?)
            .string("name", Some(id))
            .string("s3BucketName", c.s3_bucket_name())
            .string("s3KeyPrefix", c.s3_key_prefix().filter(|s| !s.is_empty()))
            .string("s3KmsKeyArn", c.s3_kms_key_arn().filter(|s| !s.is_empty()))
            .string("snsTopicArn", c.sns_topic_arn().filter(|s| !s.is_empty()));
        if let Some(f) = c.config_snapshot_delivery_properties().and_then(|d| d.delivery_frequency()) {
            out = out.value("snapshotDeliveryProperties", Value::object([("deliveryFrequency", f.as_str())]));
        }
        Ok(Some(out.build()))
    }
}

// ---------------------------------------------------------------------------
// Recorder status
// ---------------------------------------------------------------------------

mod status {
    use super::*;

    pub(super) const SUPPORTED: &[&str] = &["isEnabled", "name", "region"];

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        for key in ["isEnabled", "name"] {
            if !inputs.contains_key(key) {
                return Err(ProviderError::invalid(format!(
                    "{key} is required{}",
                    if key == "name" { " (the recorder's name)" } else { "" }
                )));
            }
        }
        check_name(inputs, 256)?;
        optional_bool(inputs, "isEnabled").map(drop)
    }

    /// Starts or stops the recorder as `isEnabled` says; returns its name.
    pub(super) async fn put(p: &AwsProvider, inputs: &PropertyMap) -> Result<String, ProviderError> {
        let cfg = p.config().await?;
        let name = required_str(inputs, "name")?;
        if optional_bool(inputs, "isEnabled")?.unwrap_or(false) {
            p.call(|| cfg.start_configuration_recorder().configuration_recorder_name(name).send()).await?;
        } else {
            p.call(|| cfg.stop_configuration_recorder().configuration_recorder_name(name).send()).await?;
        }
        Ok(name.to_string())
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let cfg = p.config().await?;
        let out =
            p.call(|| cfg.describe_configuration_recorder_status().configuration_recorder_names(id).send()).await?;
        let Some(s) = out.configuration_recorders_status().iter().find(|s| s.name() == Some(id)) else {
            return Ok(None);
        };
        Ok(Some(
            Outputs::new(id, p.region().await?).string("name", Some(id)).bool("isEnabled", Some(s.recording())).build(),
        ))
    }
}

// ---------------------------------------------------------------------------
// Rule
// ---------------------------------------------------------------------------

mod rule {
    use super::*;

    pub(super) const SUPPORTED: &[&str] = &[
        "description",
        "evaluationModes",
        "inputParameters",
        "maximumExecutionFrequency",
        "name",
        "region",
        "scope",
        "source",
        "tags",
    ];

    const OWNERS: &[&str] = &["AWS", "CUSTOM_LAMBDA", "CUSTOM_POLICY"];

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        check_name(inputs, 128)?;
        if check_str(inputs, "description")?.is_some_and(|d| d.chars().count() > 256) {
            return Err(ProviderError::invalid("description must have at most 256 characters"));
        }
        one_of(inputs, "maximumExecutionFrequency", FREQUENCIES)?;
        if let Some(params) = check_str(inputs, "inputParameters")? {
            let parsed: Result<serde_json::Value, _> = serde_json::from_str(params);
            if !parsed.is_ok_and(|v| v.is_object()) {
                return Err(ProviderError::invalid("inputParameters must be a JSON object (in a string)"));
            }
        }
        let Some(source) = known(inputs, "source") else {
            return match inputs.contains_key("source") {
                true => Ok(()),
                false => Err(ProviderError::invalid("source is required")),
            };
        };
        let source = source.as_object().ok_or_else(|| ProviderError::invalid("input source must be a map"))?;
        only_keys("source", source, &["customPolicyDetails", "owner", "sourceDetails", "sourceIdentifier"])?;
        if !source.contains_key("owner") {
            return Err(ProviderError::invalid("source.owner is required"));
        }
        one_of(source, "owner", OWNERS).map_err(nested("source"))?;
        let details = source.get("sourceDetails").is_some_and(|v| !v.is_null());
        let identifier = source.get("sourceIdentifier").is_some_and(|v| !v.is_null());
        let policy = source.get("customPolicyDetails").is_some_and(|v| !v.is_null());
        match check_str(source, "owner")? {
            Some("AWS") if !identifier || policy => {
                return Err(ProviderError::invalid(
                    "source: an AWS managed rule needs sourceIdentifier (e.g. S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED) \
                     and no customPolicyDetails",
                ));
            }
            Some("CUSTOM_LAMBDA") if !identifier || !details || policy => {
                return Err(ProviderError::invalid(
                    "source: a CUSTOM_LAMBDA rule needs sourceIdentifier (the function's ARN) and sourceDetails",
                ));
            }
            Some("CUSTOM_POLICY") if !policy || !details => {
                return Err(ProviderError::invalid(
                    "source: a CUSTOM_POLICY rule needs customPolicyDetails and sourceDetails",
                ));
            }
            _ => {}
        }
        if known(source, "sourceDetails").is_some() {
            for (i, d) in object_list(source, "sourceDetails")?.into_iter().enumerate() {
                let path = format!("source.sourceDetails[{i}]");
                only_keys(&path, d, &["eventSource", "maximumExecutionFrequency", "messageType"])?;
                one_of(d, "maximumExecutionFrequency", FREQUENCIES).map_err(nested(&path))?;
            }
        }
        if let Some(c) = known(source, "customPolicyDetails").and_then(Value::as_object) {
            only_keys("source.customPolicyDetails", c, &["enableDebugLogDelivery", "policyRuntime", "policyText"])?;
            for key in ["policyRuntime", "policyText"] {
                if !c.contains_key(key) {
                    return Err(ProviderError::invalid(format!("source.customPolicyDetails.{key} is required")));
                }
            }
        }
        if let Some(scope) = known(inputs, "scope").and_then(Value::as_object) {
            only_keys("scope", scope, &["complianceResourceId", "complianceResourceTypes", "tagKey", "tagValue"])?;
        }
        if known(inputs, "evaluationModes").is_some() {
            for (i, m) in object_list(inputs, "evaluationModes")?.into_iter().enumerate() {
                only_keys(&format!("evaluationModes[{i}]"), m, &["mode"])?;
                one_of(m, "mode", &["DETECTIVE", "PROACTIVE"]).map_err(nested(&format!("evaluationModes[{i}]")))?;
            }
        }
        Ok(())
    }

    fn source(inputs: &PropertyMap) -> Result<Source, ProviderError> {
        let s = optional_object(inputs, "source")?.ok_or_else(|| ProviderError::invalid("source is required"))?;
        let mut details = Vec::new();
        for d in object_list(s, "sourceDetails")? {
            details.push(
                SourceDetail::builder()
                    .set_event_source(optional_str(d, "eventSource")?.map(EventSource::from))
                    .set_message_type(optional_str(d, "messageType")?.map(MessageType::from))
                    .set_maximum_execution_frequency(
                        optional_str(d, "maximumExecutionFrequency")?.map(MaximumExecutionFrequency::from),
                    )
                    .build(),
            );
        }
        let policy = match optional_object(s, "customPolicyDetails")? {
            Some(c) => Some(
                CustomPolicyDetails::builder()
                    .policy_runtime(required_str(c, "policyRuntime")?)
                    .policy_text(required_str(c, "policyText")?)
                    .enable_debug_log_delivery(optional_bool(c, "enableDebugLogDelivery")?.unwrap_or(false))
                    .build()
                    .map_err(|e| ProviderError::invalid(format!("source.customPolicyDetails: {e}")))?,
            ),
            None => None,
        };
        Source::builder()
            .owner(Owner::from(required_str(s, "owner")?))
            .set_source_identifier(optional_str(s, "sourceIdentifier")?.map(str::to_string))
            .set_source_details((!details.is_empty()).then_some(details))
            .set_custom_policy_details(policy)
            .build()
            .map_err(|e| ProviderError::invalid(format!("source: {e}")))
    }

    fn config_rule(name: &str, inputs: &PropertyMap) -> Result<ConfigRule, ProviderError> {
        let scope = match optional_object(inputs, "scope")? {
            Some(s) => Some(
                Scope::builder()
                    .set_compliance_resource_id(optional_str(s, "complianceResourceId")?.map(str::to_string))
                    .set_compliance_resource_types(optional_str_list(s, "complianceResourceTypes")?)
                    .set_tag_key(optional_str(s, "tagKey")?.map(str::to_string))
                    .set_tag_value(optional_str(s, "tagValue")?.map(str::to_string))
                    .build(),
            ),
            None => None,
        };
        let mut modes = Vec::new();
        for m in object_list(inputs, "evaluationModes")? {
            modes.push(
                EvaluationModeConfiguration::builder()
                    .set_mode(optional_str(m, "mode")?.map(EvaluationMode::from))
                    .build(),
            );
        }
        Ok(ConfigRule::builder()
            .config_rule_name(name)
            .set_description(optional_str(inputs, "description")?.map(str::to_string))
            .source(source(inputs)?)
            .set_scope(scope)
            .set_input_parameters(optional_str(inputs, "inputParameters")?.map(str::to_string))
            .set_maximum_execution_frequency(
                optional_str(inputs, "maximumExecutionFrequency")?.map(MaximumExecutionFrequency::from),
            )
            .set_evaluation_modes((!modes.is_empty()).then_some(modes))
            .build())
    }

    fn sdk_tags(pairs: &[(String, String)]) -> Vec<Tag> {
        pairs.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
    }

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let cfg = p.config().await?;
        let name = match optional_str(inputs, "name")? {
            Some(n) => n.to_string(),
            None => autoname(ctx, None, 128),
        };
        if found(read(p, &name).await)?.flatten().is_some() {
            return Err(already_exists(RULE, &name));
        }
        let rule = config_rule(&name, inputs)?;
        let tags = sdk_tags(&tags_for_create(ctx, inputs)?);
        p.call_tolerating(window(p, ctx), &["InsufficientPermissionsException"], || {
            cfg.put_config_rule().config_rule(rule.clone()).set_tags(Some(tags.clone())).send()
        })
        .await?;
        Ok(name)
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let cfg = p.config().await?;
        let out = p.call(|| cfg.describe_config_rules().config_rule_names(id).send()).await?;
        let Some(r) = out.config_rules().iter().find(|r| r.config_rule_name() == Some(id)) else { return Ok(None) };
        let arn = r.config_rule_arn().unwrap_or_default().to_string();
        let tags = p.call(|| cfg.list_tags_for_resource().resource_arn(&arn).send()).await?;
        let tags: Vec<(String, String)> = tags
            .tags()
            .iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string())))
            .collect();
        let mut out = Outputs::new(id, p.region().await?)
            .string("name", Some(id))
            .string("arn", Some(arn.clone()))
            .string("ruleId", r.config_rule_id())
            .string("description", r.description().filter(|d| !d.is_empty()))
            .string("inputParameters", r.input_parameters().filter(|p| !p.is_empty() && *p != "{}"))
            .string("maximumExecutionFrequency", r.maximum_execution_frequency().map(|f| f.as_str()));
        if let Some(s) = r.source() {
            let details: Vec<Value> = s
                .source_details()
                .iter()
                .map(|d| {
                    let mut m = PropertyMap::new();
                    for (k, v) in [
                        ("eventSource", d.event_source().map(|e| e.as_str())),
                        ("messageType", d.message_type().map(|e| e.as_str())),
                        ("maximumExecutionFrequency", d.maximum_execution_frequency().map(|e| e.as_str())),
                    ] {
                        if let Some(v) = v {
                            m.insert(k.into(), v.into());
                        }
                    }
                    Value::Object(m)
                })
                .collect();
            let mut m = PropertyMap::new();
            m.insert("owner".into(), s.owner().as_str().into());
            if let Some(i) = s.source_identifier() {
                m.insert("sourceIdentifier".into(), i.into());
            }
            if !details.is_empty() {
                m.insert("sourceDetails".into(), Value::Array(details));
            }
            if let Some(c) = s.custom_policy_details() {
                let mut cm = PropertyMap::new();
                cm.insert("policyRuntime".into(), c.policy_runtime().into());
                cm.insert("policyText".into(), c.policy_text().into());
                cm.insert("enableDebugLogDelivery".into(), c.enable_debug_log_delivery().into());
                m.insert("customPolicyDetails".into(), Value::Object(cm));
            }
            out = out.value("source", Value::Object(m));
        }
        if let Some(s) = r.scope() {
            let mut m = PropertyMap::new();
            if let Some(v) = s.compliance_resource_id() {
                m.insert("complianceResourceId".into(), v.into());
            }
            if !s.compliance_resource_types().is_empty() {
                m.insert("complianceResourceTypes".into(), string_list(s.compliance_resource_types()));
            }
            if let Some(v) = s.tag_key() {
                m.insert("tagKey".into(), v.into());
            }
            if let Some(v) = s.tag_value() {
                m.insert("tagValue".into(), v.into());
            }
            if !m.is_empty() {
                out = out.value("scope", Value::Object(m));
            }
        }
        let modes: Vec<Value> = r
            .evaluation_modes()
            .iter()
            .filter_map(|m| m.mode())
            .map(|m| Value::object([("mode", m.as_str())]))
            .collect();
        if !modes.is_empty() {
            out = out.value("evaluationModes", Value::Array(modes));
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
        let cfg = p.config().await?;
        let settings = SUPPORTED.iter().filter(|k| !matches!(**k, "tags" | "name" | "region"));
        if settings.clone().any(|k| changed(old, new, k)) {
            let rule = config_rule(id, new)?;
            // The whole tag set goes along, as Terraform sends it: AWS keeps
            // a rule's tags across a Put either way, moto replaces them.
            let tags = sdk_tags(&tags_for_create(ctx, new)?);
            p.call(|| cfg.put_config_rule().config_rule(rule.clone()).set_tags(Some(tags.clone())).send()).await?;
        }
        let changes = tag_changes(ctx, old, new)?;
        if changes.is_empty() {
            return Ok(());
        }
        let arn = match old.get("arn").and_then(Value::as_str) {
            Some(a) => a.to_string(),
            None => read(p, id)
                .await?
                .and_then(|o| o.get("arn").and_then(Value::as_str).map(str::to_string))
                .ok_or_else(|| ProviderError::new(ErrorKind::NotFound, "NoSuchConfigRuleException", id.to_string()))?,
        };
        if !changes.remove.is_empty() {
            p.call(|| cfg.untag_resource().resource_arn(&arn).set_tag_keys(Some(changes.remove.clone())).send())
                .await?;
        }
        if !changes.set.is_empty() {
            let tags = sdk_tags(&changes.set);
            p.call(|| cfg.tag_resource().resource_arn(&arn).set_tags(Some(tags.clone())).send()).await?;
        }
        Ok(())
    }

    pub(super) async fn delete(p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<(), ProviderError> {
        let cfg = p.config().await?;
        // A rule being evaluated cannot be deleted for a moment.
        let within = limit(ctx, minutes(2)).min(window(p, ctx).max(Duration::from_secs(10)));
        p.call_tolerating(within, &["ResourceInUseException"], || cfg.delete_config_rule().config_rule_name(id).send())
            .await?;
        p.wait_until(&format!("Config rule {id} to be deleted"), limit(ctx, minutes(5)), || async {
            Ok(found(read(p, id).await)?.flatten().is_none().then_some(()))
        })
        .await
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

    #[test]
    fn rule_checks() {
        let ok = json(serde_json::json!({
            "name": "s3-sse",
            "source": {"owner": "AWS", "sourceIdentifier": "S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED"},
            "inputParameters": "{\"a\":\"b\"}",
            "maximumExecutionFrequency": "Six_Hours",
        }));
        AwsConfig.check(RULE, &ok).unwrap();
        let bad = |patch: serde_json::Value, needle: &str| {
            let mut m = ok.clone();
            m.extend(json(patch));
            let e = AwsConfig.check(RULE, &m).unwrap_err();
            assert!(e.message.contains(needle), "{}", e.message);
        };
        bad(serde_json::json!({"source": {"owner": "ME", "sourceIdentifier": "X"}}), "owner");
        bad(serde_json::json!({"source": {"owner": "AWS"}}), "sourceIdentifier");
        bad(
            serde_json::json!({"source": {"owner": "CUSTOM_LAMBDA", "sourceIdentifier": "arn:aws:lambda:x"}}),
            "sourceDetails",
        );
        bad(serde_json::json!({"source": {"owner": "CUSTOM_POLICY"}}), "customPolicyDetails");
        bad(serde_json::json!({"inputParameters": "[1]"}), "JSON object");
        bad(serde_json::json!({"maximumExecutionFrequency": "Daily"}), "maximumExecutionFrequency");
        let mut missing = ok.clone();
        missing.remove("source");
        assert!(AwsConfig.check(RULE, &missing).unwrap_err().message.contains("source is required"));
    }

    /// The rule lives in `diff_by_catalog`, so the memory cloud plans the same.
    #[test]
    fn renaming_the_regions_one_recorder_replaces_it_delete_first() {
        let diff = |token: &str, old: serde_json::Value, new: serde_json::Value| {
            let (old, new) = (json(old), json(new));
            let base = crate::provider::diff_by_catalog(token, &old, &new).unwrap();
            AwsConfig.diff(token, &old, &new, base)
        };
        let d = diff(RECORDER, serde_json::json!({"name": "a"}), serde_json::json!({"name": "b"}));
        assert_eq!(d.replace_keys, vec!["name".to_string()]);
        assert!(d.delete_before_replace);
        let d = diff(CHANNEL, serde_json::json!({}), serde_json::json!({"name": "default"}));
        assert!(d.changed.is_empty() && d.replace_keys.is_empty(), "{d:?}");
        let d = diff(RULE, serde_json::json!({"name": "a"}), serde_json::json!({"name": "b"}));
        assert!(!d.delete_before_replace, "rules are many per region");
    }

    #[test]
    fn recorder_channel_and_status_checks() {
        let rec = json(serde_json::json!({"roleArn": "arn:aws:iam::123456789012:role/config"}));
        AwsConfig.check(RECORDER, &rec).unwrap();
        let mut bad = rec.clone();
        bad.insert(
            "recordingGroup".into(),
            Value::from_plain_json(&serde_json::json!({"resourceTypes": ["AWS::S3::Bucket"]})),
        );
        assert!(AwsConfig.check(RECORDER, &bad).unwrap_err().message.contains("allSupported"));
        bad.insert("recordingMode".into(), Value::object([("recordingFrequency", "DAILY")]));
        assert!(AwsConfig.check(RECORDER, &bad).unwrap_err().message.contains("recordingMode"));
        let chan = json(
            serde_json::json!({"s3BucketName": "logs", "snapshotDeliveryProperties": {"deliveryFrequency": "Daily"}}),
        );
        assert!(AwsConfig.check(CHANNEL, &chan).is_err());
        assert!(AwsConfig
            .check(STATUS, &json(serde_json::json!({"isEnabled": true})))
            .unwrap_err()
            .message
            .contains("name"));
        AwsConfig.check(STATUS, &json(serde_json::json!({"isEnabled": true, "name": "default"}))).unwrap();
    }
}
