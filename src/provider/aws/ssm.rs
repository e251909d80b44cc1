//! SSM kind: Parameter Store parameter.
//!
//! The id is the parameter's name, as in pulumi-aws. `value` is a secret in
//! pulumi-aws's schema whatever the parameter's type, and stays one in
//! outputs (read with decryption, so a `SecureString` refreshes like any
//! other). Tags go with the PutParameter that creates the parameter; every
//! later change of the value, description, type, tier, key or pattern is a
//! PutParameter with `Overwrite` (a new parameter version), tags change with
//! AddTagsToResource / RemoveTagsFromResource. `insecureValue` and the
//! write-only `valueWo` are not implemented; `overwrite` is not either: a
//! parameter of the name that carries another URN tag is never taken over.

use async_trait::async_trait;
use aws_sdk_ssm::types::{ParameterStringFilter, ParameterTier, ParameterType, ResourceTypeForTagging, Tag};

use super::iam::owned_by;
use super::{
    after_create, changed, check_kind, check_str, found, gone_is_ok, optional_str, read_created, read_updated,
    required_str, tag_changes, tags_for_create, AwsProvider, Outputs, Service,
};
use crate::model::{PropertyMap, Value};
use crate::provider::{CallContext, Created, ProviderError};

const PARAMETER: &str = "aws:ssm/parameter:Parameter";

const SUPPORTED: &[&str] =
    &["allowedPattern", "dataType", "description", "keyId", "name", "region", "tags", "tier", "type", "value"];

/// The SSM service module.
pub(crate) struct Ssm;

#[async_trait]
impl Service for Ssm {
    fn tokens(&self) -> &'static [&'static str] {
        &[PARAMETER]
    }

    fn check(&self, token: &str, inputs: &PropertyMap) -> Result<(), ProviderError> {
        check_kind(token, inputs, SUPPORTED, check)
    }

    async fn create(&self, p: &AwsProvider, ctx: &CallContext, inputs: &PropertyMap) -> Result<Created, ProviderError> {
        let name = create(p, ctx, inputs).await?;
        read_created(self, p, ctx, name).await
    }

    async fn read(&self, p: &AwsProvider, _ctx: &CallContext, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        found(read(p, id).await).map(Option::flatten)
    }

    async fn update(
        &self,
        p: &AwsProvider,
        ctx: &CallContext,
        id: &str,
        old: &PropertyMap,
        new: &PropertyMap,
    ) -> Result<PropertyMap, ProviderError> {
        update(p, ctx, id, old, new).await?;
        read_updated(self, p, ctx, id).await
    }

    async fn delete(
        &self,
        p: &AwsProvider,
        _ctx: &CallContext,
        id: &str,
        _outputs: &PropertyMap,
    ) -> Result<(), ProviderError> {
        let ssm = p.ssm().await?;
        gone_is_ok(p.call(|| ssm.delete_parameter().name(id).send()).await)
    }
}

const TYPES: &[&str] = &["String", "StringList", "SecureString"];
const TIERS: &[&str] = &["Standard", "Advanced", "Intelligent-Tiering"];

fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
    if !inputs.contains_key("name") {
        return Err(ProviderError::invalid("name is required"));
    }
    if !inputs.contains_key("value") {
        return Err(ProviderError::invalid("value is required (insecureValue and valueWo are not implemented)"));
    }
    if let Some(name) = check_str(inputs, "name")? {
        let valid = name.chars().all(|c| c.is_ascii_alphanumeric() || "_.-/".contains(c));
        if name.is_empty() || name.len() > 2048 || !valid || name.to_ascii_lowercase().starts_with("aws") {
            return Err(ProviderError::invalid(format!(
                "name {name:?} must have 1 to 2048 letters, digits or _.-/ and not start with aws or ssm"
            )));
        }
    }
    for (key, allowed) in [("type", TYPES), ("tier", TIERS)] {
        if let Some(v) = check_str(inputs, key)? {
            if !allowed.contains(&v) {
                return Err(ProviderError::invalid(format!("{key} {v:?} is not one of {}", allowed.join(", "))));
            }
        }
    }
    if check_str(inputs, "keyId")?.is_some() && check_str(inputs, "type")?.is_some_and(|t| t != "SecureString") {
        return Err(ProviderError::invalid("keyId is only for SecureString parameters"));
    }
    Ok(())
}

fn sdk_tags(pairs: &[(String, String)]) -> Result<Vec<Tag>, ProviderError> {
    pairs
        .iter()
        .map(|(k, v)| {
            Tag::builder().key(k).value(v).build().map_err(|e| ProviderError::invalid(format!("tag {k}: {e}")))
        })
        .collect()
}

/// One PutParameter with the inputs' value and settings.
async fn put(p: &AwsProvider, name: &str, inputs: &PropertyMap, tags: Option<Vec<Tag>>) -> Result<(), ProviderError> {
    let ssm = p.ssm().await?;
    let s = |k: &str| optional_str(inputs, k).map(|v| v.map(str::to_string));
    let value = required_str(inputs, "value")?;
    let kind = ParameterType::from(required_str(inputs, "type")?);
    let (description, key, tier, data_type, pattern) = (
        s("description")?,
        s("keyId")?,
        s("tier")?.map(|t| ParameterTier::from(t.as_str())),
        s("dataType")?,
        s("allowedPattern")?,
    );
    let overwrite = tags.is_none();
    p.call(|| {
        ssm.put_parameter()
            .name(name)
            .value(value)
            .r#type(kind.clone())
            // An overwrite without a description keeps the old one: clear it.
            .set_description(description.clone().or_else(|| overwrite.then(String::new)))
            .set_key_id(key.clone())
            .set_tier(tier.clone())
            .set_data_type(data_type.clone())
            .set_allowed_pattern(pattern.clone())
            .set_tags(tags.clone())
            // Tags can only go with a create; an update overwrites.
            .set_overwrite(overwrite.then_some(true))
            .send()
    })
    .await?;
    Ok(())
}

async fn create(p: &AwsProvider, ctx: &CallContext, inputs: &PropertyMap) -> Result<String, ProviderError> {
    let name = required_str(inputs, "name")?;
    let tags = sdk_tags(&tags_for_create(ctx, inputs)?)?;
    match put(p, name, inputs, Some(tags)).await {
        Ok(()) => Ok(name.to_string()),
        // An earlier, interrupted create of this same resource: adopt it.
        Err(e) if e.code == "ParameterAlreadyExists" => match read(p, name).await? {
            Some(existing) if owned_by(ctx, &existing) => {
                update(p, ctx, name, &existing, inputs).await.map_err(after_create(name, "adopting it"))?;
                Ok(name.to_string())
            }
            _ => Err(e),
        },
        Err(e) => Err(e),
    }
}

async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
    let ssm = p.ssm().await?;
    let got = p.call(|| ssm.get_parameter().name(id).with_decryption(true).send()).await?;
    let Some(param) = got.parameter() else { return Ok(None) };
    let filter = ParameterStringFilter::builder()
        .key("Name")
        .option("Equals")
        .values(id)
        .build()
        .map_err(|e| ProviderError::invalid(format!("parameter filter: {e}")))?;
    let described = p.call(|| ssm.describe_parameters().parameter_filters(filter.clone()).send()).await?;
    let meta = described.parameters().iter().find(|m| m.name() == Some(id));
    let tags = p
        .call(|| ssm.list_tags_for_resource().resource_type(ResourceTypeForTagging::Parameter).resource_id(id).send())
        .await?;
    let tags: Vec<(String, String)> =
        tags.tag_list().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect();
    let mut out = Outputs::new(id, p.region().await?)
        .string("name", param.name())
        .string("arn", param.arn())
        .string("type", param.r#type().map(|t| t.as_str()))
        .string("dataType", param.data_type())
        .int("version", Some(param.version()))
        .string("description", meta.and_then(|m| m.description()).filter(|d| !d.is_empty()))
        .string("keyId", meta.and_then(|m| m.key_id()))
        .string("tier", meta.and_then(|m| m.tier()).map(|t| t.as_str()))
        .string("allowedPattern", meta.and_then(|m| m.allowed_pattern()).filter(|d| !d.is_empty()));
    if let Some(value) = param.value() {
        out = out.value("value", Value::secret(value));
    }
    Ok(Some(out.tags(tags).build()))
}

async fn update(
    p: &AwsProvider,
    ctx: &CallContext,
    id: &str,
    old: &PropertyMap,
    new: &PropertyMap,
) -> Result<(), ProviderError> {
    let ssm = p.ssm().await?;
    let settings = ["value", "description", "type", "tier", "keyId", "allowedPattern", "dataType"];
    if settings
        .iter()
        .any(|k| changed(old, new, k) && (new.get(*k).is_some_and(|v| !v.is_null()) || *k == "description"))
    {
        put(p, id, new, None).await?;
    }
    let changes = tag_changes(ctx, old, new)?;
    if !changes.remove.is_empty() {
        p.call(|| {
            ssm.remove_tags_from_resource()
                .resource_type(ResourceTypeForTagging::Parameter)
                .resource_id(id)
                .set_tag_keys(Some(changes.remove.clone()))
                .send()
        })
        .await?;
    }
    if !changes.set.is_empty() {
        let tags = sdk_tags(&changes.set)?;
        p.call(|| {
            ssm.add_tags_to_resource()
                .resource_type(ResourceTypeForTagging::Parameter)
                .resource_id(id)
                .set_tags(Some(tags.clone()))
                .send()
        })
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::provider::aws::map;

    #[test]
    fn checks() {
        let base = |extra: Vec<(&str, Value)>| {
            let mut m = map(vec![
                ("name", "/tap/dev/db-host".into()),
                ("type", "String".into()),
                ("value", Value::secret("x")),
            ]);
            m.extend(map(extra));
            m
        };
        assert!(Ssm.check(PARAMETER, &base(vec![])).is_ok());
        assert!(Ssm.check(PARAMETER, &base(vec![("type", "Blob".into())])).is_err());
        assert!(Ssm.check(PARAMETER, &base(vec![("keyId", "alias/x".into())])).is_err());
        assert!(Ssm.check(PARAMETER, &base(vec![("name", "aws/reserved".into())])).is_err());
        assert!(Ssm.check(PARAMETER, &base(vec![("insecureValue", "x".into())])).is_err());
    }
}
