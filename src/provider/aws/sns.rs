//! SNS kinds: topic and topic subscription.
//!
//! Both ids are ARNs, as in pulumi-aws. A subscription is created with
//! `ReturnSubscriptionArn`, so even an email subscription still waiting for
//! its recipient to confirm has its real ARN as id (not the
//! `pending confirmation` placeholder): its read shows it with
//! `pendingConfirmation: true`, and its delete succeeds although AWS will not
//! unsubscribe an unconfirmed address — AWS drops it after three days, which
//! is what pulumi-aws relies on too.

use std::collections::HashMap;

use async_trait::async_trait;

use super::{
    changed, check_kind, found, gone_is_ok, known, missing_field, optional_bool, optional_str, read_created, read_each,
    read_updated, required_str, tag_changes, tags_for_create, window, AwsProvider, Outputs, Service,
};
use crate::model::{PropertyMap, Value};
use crate::provider::{CallContext, Created, ErrorKind, ProviderError};

const TOPIC: &str = "aws:sns/topic:Topic";
const SUBSCRIPTION: &str = "aws:sns/topicSubscription:TopicSubscription";

/// The SNS service module.
pub(crate) struct Sns;

#[async_trait]
impl Service for Sns {
    fn tokens(&self) -> &'static [&'static str] {
        &[TOPIC, SUBSCRIPTION]
    }

    fn check(&self, token: &str, inputs: &PropertyMap) -> Result<(), ProviderError> {
        match token {
            TOPIC => check_kind(token, inputs, topic::SUPPORTED, topic::check),
            _ => check_kind(token, inputs, subscription::SUPPORTED, subscription::check),
        }
    }

    async fn create(&self, p: &AwsProvider, ctx: &CallContext, inputs: &PropertyMap) -> Result<Created, ProviderError> {
        let id = match ctx.token.as_str() {
            TOPIC => topic::create(p, ctx, inputs).await?,
            _ => subscription::create(p, ctx, inputs).await?,
        };
        read_created(self, p, ctx, id).await
    }

    async fn read(&self, p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let read = match ctx.token.as_str() {
            TOPIC => topic::read(p, id).await,
            _ => subscription::read(p, id).await,
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
            TOPIC => topic::update(p, ctx, id, old, new).await?,
            _ => subscription::update(p, id, old, new).await?,
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
            TOPIC => topic::delete(p, id).await,
            _ => subscription::delete(p, id).await,
        };
        gone_is_ok(deleted)
    }

    /// Adoption: a topic by its name (its ARN follows from it), a
    /// subscription by topic, protocol and endpoint.
    async fn find(
        &self,
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<Vec<Created>, ProviderError> {
        let ids = match ctx.token.as_str() {
            TOPIC => vec![p.arn("sns", p.account_id().await?, required_str(inputs, "name")?).await?],
            _ => subscription::find(p, inputs).await?,
        };
        read_each(self, p, ctx, ids).await
    }
}

/// A `"true"` / `"false"` attribute as a boolean.
fn flag(attributes: &HashMap<String, String>, key: &str) -> Option<bool> {
    attributes.get(key).and_then(|v| v.parse().ok())
}

/// An attribute that is set and not empty.
fn attr<'a>(attributes: &'a HashMap<String, String>, key: &str) -> Option<&'a str> {
    attributes.get(key).map(String::as_str).filter(|v| !v.is_empty())
}

// ---------------------------------------------------------------------------
// Topic
// ---------------------------------------------------------------------------

mod topic {
    use super::*;
    use aws_sdk_sns::types::Tag;

    pub(super) const SUPPORTED: &[&str] = &["displayName", "fifoTopic", "kmsMasterKeyId", "name", "region", "tags"];

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        if !inputs.contains_key("name") {
            return Err(ProviderError::invalid("name is required"));
        }
        if let Some(name) = known(inputs, "name").and_then(Value::as_str) {
            let fifo = known(inputs, "fifoTopic").and_then(Value::as_bool) == Some(true);
            let base = if fifo { name.strip_suffix(".fifo").unwrap_or("") } else { name };
            let ok = !base.is_empty()
                && name.len() <= 256
                && base.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !ok {
                return Err(ProviderError::invalid(format!(
                    "name {name:?} must be 1 to 256 letters, digits, - and _ (a FIFO topic's ending in .fifo)"
                )));
            }
        }
        Ok(())
    }

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let sns = p.sns().await?;
        let name = required_str(inputs, "name")?;
        let mut attributes = HashMap::new();
        if let Some(v) = optional_str(inputs, "displayName")? {
            attributes.insert("DisplayName".to_string(), v.to_string());
        }
        if let Some(v) = optional_str(inputs, "kmsMasterKeyId")? {
            attributes.insert("KmsMasterKeyId".to_string(), v.to_string());
        }
        if optional_bool(inputs, "fifoTopic")? == Some(true) {
            attributes.insert("FifoTopic".to_string(), "true".to_string());
        }
        let tags: Vec<Tag> = tags_for_create(ctx, inputs)?
            .iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect::<Result<_, _>>()
            .map_err(|e| ProviderError::invalid(format!("tags: {e}")))?;
        let attributes = if attributes.is_empty() { None } else { Some(attributes) };
        let out = p
            .call(|| {
                sns.create_topic().name(name).set_attributes(attributes.clone()).set_tags(Some(tags.clone())).send()
            })
            .await?;
        out.topic_arn().map(str::to_string).ok_or_else(|| missing_field("CreateTopic", "TopicArn"))
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let sns = p.sns().await?;
        let out = p.call(|| sns.get_topic_attributes().topic_arn(id).send()).await?;
        let a = out.attributes().cloned().unwrap_or_default();
        let tags = p.call(|| sns.list_tags_for_resource().resource_arn(id).send()).await?;
        let tags: Vec<(String, String)> =
            tags.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect();
        let name = id.rsplit(':').next().unwrap_or(id);
        Ok(Some(
            Outputs::new(id, p.region().await?)
                .string("arn", Some(id))
                .string("name", Some(name))
                .string("owner", attr(&a, "Owner"))
                .string("displayName", attr(&a, "DisplayName"))
                .string("kmsMasterKeyId", attr(&a, "KmsMasterKeyId"))
                .string("policy", attr(&a, "Policy"))
                .bool("fifoTopic", Some(flag(&a, "FifoTopic").unwrap_or(false)))
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
        let sns = p.sns().await?;
        for (input, attribute) in [("displayName", "DisplayName"), ("kmsMasterKeyId", "KmsMasterKeyId")] {
            if changed(old, new, input) {
                // An empty value clears the attribute.
                let value = optional_str(new, input)?.unwrap_or_default();
                p.call(|| {
                    sns.set_topic_attributes().topic_arn(id).attribute_name(attribute).attribute_value(value).send()
                })
                .await?;
            }
        }
        let changes = tag_changes(ctx, old, new)?;
        if !changes.remove.is_empty() {
            let keys = changes.remove.clone();
            p.call(|| sns.untag_resource().resource_arn(id).set_tag_keys(Some(keys.clone())).send()).await?;
        }
        if !changes.set.is_empty() {
            let tags: Vec<Tag> = changes
                .set
                .iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build())
                .collect::<Result<_, _>>()
                .map_err(|e| ProviderError::invalid(format!("tags: {e}")))?;
            p.call(|| sns.tag_resource().resource_arn(id).set_tags(Some(tags.clone())).send()).await?;
        }
        Ok(())
    }

    pub(super) async fn delete(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
        let sns = p.sns().await?;
        p.call(|| sns.delete_topic().topic_arn(id).send()).await?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Subscription
// ---------------------------------------------------------------------------

mod subscription {
    use super::*;

    pub(super) const SUPPORTED: &[&str] =
        &["endpoint", "filterPolicy", "protocol", "rawMessageDelivery", "region", "topic"];

    const PROTOCOLS: &[&str] =
        &["application", "email", "email-json", "firehose", "http", "https", "lambda", "sms", "sqs"];

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        if let Some(protocol) = known(inputs, "protocol").and_then(Value::as_str) {
            if !PROTOCOLS.contains(&protocol) {
                return Err(ProviderError::invalid(format!(
                    "protocol {protocol:?} is not one of {}",
                    PROTOCOLS.join(", ")
                )));
            }
        }
        if let Some(policy) = known(inputs, "filterPolicy").and_then(Value::as_str) {
            serde_json::from_str::<serde_json::Value>(policy)
                .map_err(|e| ProviderError::invalid(format!("filterPolicy is not valid JSON: {e}")))?;
        }
        Ok(())
    }

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let sns = p.sns().await?;
        let topic = required_str(inputs, "topic")?;
        let protocol = required_str(inputs, "protocol")?;
        let endpoint = required_str(inputs, "endpoint")?;
        let mut attributes = HashMap::new();
        if let Some(raw) = optional_bool(inputs, "rawMessageDelivery")? {
            attributes.insert("RawMessageDelivery".to_string(), raw.to_string());
        }
        if let Some(policy) = optional_str(inputs, "filterPolicy")? {
            attributes.insert("FilterPolicy".to_string(), policy.to_string());
        }
        let attributes = if attributes.is_empty() { None } else { Some(attributes) };
        let out = p
            .call_tolerating(window(p, ctx), &["NotFound"], || {
                sns.subscribe()
                    .topic_arn(topic)
                    .protocol(protocol)
                    .endpoint(endpoint)
                    .set_attributes(attributes.clone())
                    .return_subscription_arn(true)
                    .send()
            })
            .await?;
        let arn = out.subscription_arn().ok_or_else(|| missing_field("Subscribe", "SubscriptionArn"))?;
        if !arn.starts_with("arn:") {
            // Only an endpoint that ignores ReturnSubscriptionArn answers so.
            return Err(ProviderError::new(
                ErrorKind::Permanent,
                "MalformedResponse",
                format!("Subscribe answered {arn:?} instead of the subscription's ARN"),
            ));
        }
        Ok(arn.to_string())
    }

    /// The subscriptions of the input topic with the input protocol and
    /// endpoint. A pending one is listed without its ARN and is not found
    /// here; Subscribe answers a repeat with that same subscription anyway.
    pub(super) async fn find(p: &AwsProvider, inputs: &PropertyMap) -> Result<Vec<String>, ProviderError> {
        let sns = p.sns().await?;
        let (topic, protocol, endpoint) =
            (required_str(inputs, "topic")?, required_str(inputs, "protocol")?, required_str(inputs, "endpoint")?);
        let mut ids = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let listed = p
                .call(|| sns.list_subscriptions_by_topic().topic_arn(topic).set_next_token(token.clone()).send())
                .await;
            let Some(out) = found(listed)? else { return Ok(ids) };
            ids.extend(
                out.subscriptions()
                    .iter()
                    .filter(|s| s.protocol() == Some(protocol) && s.endpoint() == Some(endpoint))
                    .filter_map(|s| s.subscription_arn())
                    .filter(|arn| arn.starts_with("arn:"))
                    .map(str::to_string),
            );
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok(ids),
            }
        }
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let sns = p.sns().await?;
        let out = p.call(|| sns.get_subscription_attributes().subscription_arn(id).send()).await?;
        let a = out.attributes().cloned().unwrap_or_default();
        Ok(Some(
            Outputs::new(id, p.region().await?)
                .string("arn", Some(id))
                .string("topic", attr(&a, "TopicArn"))
                .string("protocol", attr(&a, "Protocol"))
                .string("endpoint", attr(&a, "Endpoint"))
                .string("ownerId", attr(&a, "Owner"))
                .string("filterPolicy", attr(&a, "FilterPolicy"))
                .bool("pendingConfirmation", Some(flag(&a, "PendingConfirmation").unwrap_or(false)))
                .bool("confirmationWasAuthenticated", Some(flag(&a, "ConfirmationWasAuthenticated").unwrap_or(false)))
                .bool("rawMessageDelivery", Some(flag(&a, "RawMessageDelivery").unwrap_or(false)))
                .build(),
        ))
    }

    pub(super) async fn update(
        p: &AwsProvider,
        id: &str,
        old: &PropertyMap,
        new: &PropertyMap,
    ) -> Result<(), ProviderError> {
        let sns = p.sns().await?;
        if changed(old, new, "rawMessageDelivery") {
            let raw = optional_bool(new, "rawMessageDelivery")?.unwrap_or(false).to_string();
            p.call(|| {
                sns.set_subscription_attributes()
                    .subscription_arn(id)
                    .attribute_name("RawMessageDelivery")
                    .attribute_value(&raw)
                    .send()
            })
            .await?;
        }
        if changed(old, new, "filterPolicy") {
            // An empty policy removes the filter.
            let policy = optional_str(new, "filterPolicy")?.unwrap_or_default();
            p.call(|| {
                sns.set_subscription_attributes()
                    .subscription_arn(id)
                    .attribute_name("FilterPolicy")
                    .attribute_value(policy)
                    .send()
            })
            .await?;
        }
        Ok(())
    }

    pub(super) async fn delete(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
        let sns = p.sns().await?;
        match p.call(|| sns.unsubscribe().subscription_arn(id).send()).await {
            // AWS keeps an unconfirmed subscription until it expires (three
            // days) and will not unsubscribe it: nothing more can be done.
            Err(e)
                if e.code == "InvalidParameter" && e.message.to_ascii_lowercase().contains("pending confirmation") =>
            {
                tracing::warn!(
                    arn = id,
                    "the subscription is still pending confirmation; AWS removes it when it expires"
                );
                Ok(())
            }
            other => other.map(drop),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::provider::aws::map;

    #[test]
    fn checks() {
        assert!(Sns.check(TOPIC, &map(vec![("name", "tap-dev-alerts".into())])).is_ok());
        assert!(Sns.check(TOPIC, &map(vec![("name", "bad name".into())])).is_err());
        assert!(Sns.check(TOPIC, &map(vec![("name", "q.fifo".into()), ("fifoTopic", true.into())])).is_ok());
        let sub = |protocol: &str| {
            map(vec![("topic", "arn:t".into()), ("protocol", protocol.into()), ("endpoint", "a@b.c".into())])
        };
        assert!(Sns.check(SUBSCRIPTION, &sub("email")).is_ok());
        assert!(Sns.check(SUBSCRIPTION, &sub("pigeon")).is_err());
    }
}
