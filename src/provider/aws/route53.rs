//! Route 53 kinds: public hosted zone and record.
//!
//! Route 53 is global: neither kind has a `region` input or output, and the
//! zone's ARN has empty region and account fields.
//!
//! **Zone.** The id is the zone id without its `/hostedzone/` prefix, as in
//! pulumi-aws. CreateHostedZone takes no tags, so the URN tag follows right
//! after it with ChangeTagsForResource; zone names are not unique (two zones
//! may both be `example.com`), so adoption looks for the URN tag among the
//! zones of the input name. `comment` defaults to pulumi-aws's
//! `Managed by Pulumi` and changes in place. `forceDestroy` only matters when
//! the zone is deleted, and `delete` sees only recorded outputs, which `read`
//! must rebuild from AWS alone; AWS does not record it, so tapctl keeps it in
//! a tag of its own on the zone, [`FORCE_DESTROY_TAG`], kept out of
//! `tags`/`tagsAll`. With it, `delete` first deletes every record set but
//! the zone's own SOA and apex NS (as Terraform does); without it, deleting
//! a zone that still holds records fails with AWS's `HostedZoneNotEmpty`.
//! Private zones (`vpcs`) are not implemented.
//!
//! **Record.** The id is Terraform's `<zoneId>_<name>_<type>[_<setIdentifier>]`
//! with `name` as the program gives it (lowercase, without a trailing dot);
//! `fqdn` is the full name. Every in-place change is one `UPSERT` of the
//! whole record set, so moving a weighted record's `weight` (a blue-green
//! traffic shift) never removes the record. `type` and `setIdentifier` are
//! part of the id and force a replacement here (Terraform swaps them with a
//! DELETE + CREATE batch under a new id, which tapctl's update cannot
//! express). `delete` deletes the record set exactly as AWS holds it at that
//! moment (Route 53 wants every value of the set repeated), and succeeds when
//! it is not there. Every change waits until Route 53 reports it `INSYNC`.
//! Routing policies other than weighted are not implemented.

use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use aws_sdk_route53::types::{
    AliasTarget, Change, ChangeAction, ChangeBatch, ChangeStatus, HostedZoneConfig, ResourceRecord, ResourceRecordSet,
    RrType, Tag, TagResourceType,
};

use super::{
    after_create, check_kind, check_str, found, gone_is_ok, known, limit, minutes, missing_field, object_list,
    optional_bool, optional_i32, optional_str, optional_str_list, partition, read_created, read_each, read_updated,
    required_str, tag_changes, tags_for_create, urn_tag_value, AwsProvider, Outputs, Service,
};
use crate::model::{PropertyMap, Value};
use crate::provider::{CallContext, Created, ErrorKind, ProviderError, URN_TAG};

const ZONE: &str = "aws:route53/zone:Zone";

/// The tag in which tapctl keeps a zone's `forceDestroy` (`true`/`false`).
pub const FORCE_DESTROY_TAG: &str = "tapctl:force-destroy";
const RECORD: &str = "aws:route53/record:Record";

/// pulumi-aws's default zone comment.
const DEFAULT_COMMENT: &str = "Managed by Pulumi";

/// How long a change may take to reach every Route 53 server (pulumi-aws's
/// default create/update timeouts for both kinds).
const INSYNC_TIMEOUT: std::time::Duration = minutes(30);

/// The Route 53 service module.
pub(crate) struct Route53;

#[async_trait]
impl Service for Route53 {
    fn tokens(&self) -> &'static [&'static str] {
        &[ZONE, RECORD]
    }

    fn check(&self, token: &str, inputs: &PropertyMap) -> Result<(), ProviderError> {
        match token {
            ZONE => check_kind(token, inputs, zone::SUPPORTED, zone::check),
            _ => check_kind(token, inputs, record::SUPPORTED, record::check),
        }
    }

    async fn create(&self, p: &AwsProvider, ctx: &CallContext, inputs: &PropertyMap) -> Result<Created, ProviderError> {
        let id = match ctx.token.as_str() {
            ZONE => zone::create(p, ctx, inputs).await?,
            _ => record::create(p, ctx, inputs).await?,
        };
        read_created(self, p, ctx, id).await
    }

    async fn read(&self, p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let read = match ctx.token.as_str() {
            ZONE => zone::read(p, id).await,
            _ => record::read(p, id).await,
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
            ZONE => zone::update(p, ctx, id, old, new).await?,
            _ => record::upsert(p, ctx, new, ChangeAction::Upsert).await.map(drop)?,
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
            ZONE => zone::delete(p, ctx, id, outputs).await,
            _ => record::delete(p, ctx, id).await,
        };
        gone_is_ok(deleted)
    }

    /// Adoption: a zone by its URN tag among the zones of its name, a record
    /// by the id its inputs determine.
    async fn find(
        &self,
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<Vec<Created>, ProviderError> {
        let ids = match ctx.token.as_str() {
            ZONE => zone::find(p, ctx, inputs).await?,
            _ => vec![record::id_for(inputs)?],
        };
        read_each(self, p, ctx, ids).await
    }
}

/// A DNS name as Route 53 compares it: lowercase, without the trailing dot,
/// with the `\ooo` octal escapes Route 53 answers with (`\052` for `*`)
/// decoded.
fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut chars = name.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            let digits: String = chars.clone().take(3).collect();
            if digits.len() == 3 && digits.chars().all(|d| d.is_digit(8)) {
                if let Some(decoded) = u8::from_str_radix(&digits, 8).ok().map(char::from) {
                    out.push(decoded);
                    chars.nth(2);
                    continue;
                }
            }
        }
        out.push(c);
    }
    out.trim_end_matches('.').to_ascii_lowercase()
}

/// Waits until Route 53 has applied change `id` on all its servers.
async fn wait_insync(p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<(), ProviderError> {
    let r53 = p.route53().await?;
    p.wait_until(&format!("Route 53 change {id} to be INSYNC"), limit(ctx, INSYNC_TIMEOUT), || async {
        let out = p.call(|| r53.get_change().id(id).send()).await?;
        let status = out.change_info().map(|c| c.status().clone());
        Ok((status == Some(ChangeStatus::Insync)).then_some(()))
    })
    .await
}

/// The zone's name as Route 53 records it, normalized.
async fn zone_name(p: &AwsProvider, zone_id: &str) -> Result<String, ProviderError> {
    let r53 = p.route53().await?;
    let out = p.call(|| r53.get_hosted_zone().id(zone_id).send()).await?;
    let zone = out.hosted_zone().ok_or_else(|| missing_field("GetHostedZone", "HostedZone"))?;
    Ok(normalize(zone.name()))
}

// ---------------------------------------------------------------------------
// Zone
// ---------------------------------------------------------------------------

mod zone {
    use super::*;

    pub(super) const SUPPORTED: &[&str] = &["comment", "delegationSetId", "forceDestroy", "name", "tags"];

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        if !inputs.contains_key("name") {
            return Err(ProviderError::invalid("name is required"));
        }
        if let Some(name) = check_str(inputs, "name")? {
            let labels_ok = normalize(name).split('.').all(|l| !l.is_empty() && l.len() <= 63);
            if name.is_empty() || name.len() > 1024 || !labels_ok {
                return Err(ProviderError::invalid(format!(
                    "name {name:?} must be a domain name of dot-separated labels of 1 to 63 characters"
                )));
            }
        }
        if let Some(comment) = check_str(inputs, "comment")? {
            if comment.chars().count() > 256 {
                return Err(ProviderError::invalid("comment must have at most 256 characters"));
            }
        }
        if known(inputs, "tags").and_then(Value::as_object).is_some_and(|t| t.contains_key(FORCE_DESTROY_TAG)) {
            return Err(ProviderError::invalid(format!("tag {FORCE_DESTROY_TAG} is reserved for tapctl")));
        }
        Ok(())
    }

    /// A caller reference unique to this request (Route 53 refuses a repeat).
    fn caller_reference(ctx: &CallContext) -> String {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let name: String = ctx.urn.name().chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(64).collect();
        format!("tapctl-{name}-{nanos:x}")
    }

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let r53 = p.route53().await?;
        let name = required_str(inputs, "name")?;
        let comment = optional_str(inputs, "comment")?.unwrap_or(DEFAULT_COMMENT);
        let delegation_set = optional_str(inputs, "delegationSetId")?.map(str::to_string);
        let config = HostedZoneConfig::builder().comment(comment).private_zone(false).build();
        let reference = caller_reference(ctx);
        let out = p
            .call(|| {
                r53.create_hosted_zone()
                    .name(name)
                    .caller_reference(&reference)
                    .hosted_zone_config(config.clone())
                    .set_delegation_set_id(delegation_set.clone())
                    .send()
            })
            .await?;
        let zone = out.hosted_zone().ok_or_else(|| missing_field("CreateHostedZone", "HostedZone"))?;
        let id = zone.id().trim_start_matches("/hostedzone/").to_string();
        let mut tags = tags_for_create(ctx, inputs)?;
        tags.push(force_destroy_tag(inputs)?);
        change_tags(p, &id, &tags, &[]).await.map_err(after_create(&id, "tagging it"))?;
        if let Some(change) = out.change_info() {
            wait_insync(p, ctx, change.id()).await.map_err(after_create(&id, "waiting for it"))?;
        }
        Ok(id)
    }

    fn force_destroy_tag(inputs: &PropertyMap) -> Result<(String, String), ProviderError> {
        let force = optional_bool(inputs, "forceDestroy")?.unwrap_or(false);
        Ok((FORCE_DESTROY_TAG.to_string(), force.to_string()))
    }

    /// Adds `set` and removes `remove` (ChangeTagsForResource takes at most
    /// ten of each per call).
    async fn change_tags(
        p: &AwsProvider,
        id: &str,
        set: &[(String, String)],
        remove: &[String],
    ) -> Result<(), ProviderError> {
        let r53 = p.route53().await?;
        for chunk in remove.chunks(10) {
            p.call(|| {
                r53.change_tags_for_resource()
                    .resource_type(TagResourceType::Hostedzone)
                    .resource_id(id)
                    .set_remove_tag_keys(Some(chunk.to_vec()))
                    .send()
            })
            .await?;
        }
        for chunk in set.chunks(10) {
            let tags: Vec<Tag> = chunk.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
            p.call(|| {
                r53.change_tags_for_resource()
                    .resource_type(TagResourceType::Hostedzone)
                    .resource_id(id)
                    .set_add_tags(Some(tags.clone()))
                    .send()
            })
            .await?;
        }
        Ok(())
    }

    async fn tags(p: &AwsProvider, id: &str) -> Result<Vec<(String, String)>, ProviderError> {
        let r53 = p.route53().await?;
        let out = p
            .call(|| r53.list_tags_for_resource().resource_type(TagResourceType::Hostedzone).resource_id(id).send())
            .await?;
        Ok(out
            .resource_tag_set()
            .map(|set| set.tags())
            .unwrap_or_default()
            .iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string())))
            .collect())
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let r53 = p.route53().await?;
        let out = p.call(|| r53.get_hosted_zone().id(id).send()).await?;
        let zone = out.hosted_zone().ok_or_else(|| missing_field("GetHostedZone", "HostedZone"))?;
        let name = normalize(zone.name());
        let mut name_servers: Vec<String> = out.delegation_set().map(|d| d.name_servers().to_vec()).unwrap_or_default();
        name_servers.sort();
        // The primary name server is the one the zone's SOA record names.
        let soa = p
            .call(|| {
                r53.list_resource_record_sets()
                    .hosted_zone_id(id)
                    .start_record_name(&name)
                    .start_record_type(RrType::Soa)
                    .max_items(1)
                    .send()
            })
            .await?;
        let primary = soa
            .resource_record_sets()
            .iter()
            .find(|r| r.r#type() == &RrType::Soa && normalize(r.name()) == name)
            .and_then(|r| r.resource_records().first())
            .and_then(|r| r.value().split_whitespace().next())
            .map(|ns| ns.trim_end_matches('.').to_string());
        let mut tags = tags(p, id).await?;
        let force = tags.iter().find(|(k, _)| k == FORCE_DESTROY_TAG).map(|(_, v)| v == "true");
        tags.retain(|(k, _)| k != FORCE_DESTROY_TAG);
        let arn = format!("arn:{}:route53:::hostedzone/{id}", partition(p.region().await?));
        Ok(Some(
            Outputs::default()
                .string("id", Some(id))
                .string("zoneId", Some(id))
                .string("arn", Some(arn))
                .string("name", Some(name))
                .string("comment", Some(zone.config().and_then(|c| c.comment()).unwrap_or_default()))
                .string("delegationSetId", out.delegation_set().and_then(|d| d.id()).filter(|d| !d.is_empty()))
                .value("nameServers", super::super::string_list(&name_servers))
                .string("primaryNameServer", primary)
                .bool("forceDestroy", Some(force.unwrap_or(false)))
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
        let r53 = p.route53().await?;
        let comment = optional_str(new, "comment")?.unwrap_or(DEFAULT_COMMENT);
        if old.get("comment").and_then(Value::as_str) != Some(comment) {
            p.call(|| r53.update_hosted_zone_comment().id(id).comment(comment).send()).await?;
        }
        let mut changes = tag_changes(ctx, old, new)?;
        let wanted = force_destroy_tag(new)?;
        if old.get("forceDestroy").and_then(Value::as_bool).map(|b| b.to_string()) != Some(wanted.1.clone()) {
            changes.set.push(wanted);
        }
        change_tags(p, id, &changes.set, &changes.remove).await
    }

    /// Deletes every record set of the zone but its SOA and apex NS, in
    /// batches, each waited out.
    async fn purge(p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<(), ProviderError> {
        let r53 = p.route53().await?;
        let zone = zone_name(p, id).await?;
        let mut doomed = Vec::new();
        let (mut name, mut kind, mut set_id): (Option<String>, Option<RrType>, Option<String>) = (None, None, None);
        loop {
            let out = p
                .call(|| {
                    r53.list_resource_record_sets()
                        .hosted_zone_id(id)
                        .set_start_record_name(name.clone())
                        .set_start_record_type(kind.clone())
                        .set_start_record_identifier(set_id.clone())
                        .send()
                })
                .await?;
            doomed.extend(
                out.resource_record_sets()
                    .iter()
                    .filter(|r| {
                        !(r.r#type() == &RrType::Soa || (r.r#type() == &RrType::Ns && normalize(r.name()) == zone))
                    })
                    .cloned(),
            );
            if !out.is_truncated() {
                break;
            }
            name = out.next_record_name().map(str::to_string);
            kind = out.next_record_type().cloned();
            set_id = out.next_record_identifier().map(str::to_string);
        }
        for batch in doomed.chunks(100) {
            let changes = batch
                .iter()
                .map(|set| Change::builder().action(ChangeAction::Delete).resource_record_set(set.clone()).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| ProviderError::invalid(format!("record set: {e}")))?;
            let batch = ChangeBatch::builder()
                .set_changes(Some(changes))
                .build()
                .map_err(|e| ProviderError::invalid(format!("{e}")))?;
            let out = p
                .call(|| r53.change_resource_record_sets().hosted_zone_id(id).change_batch(batch.clone()).send())
                .await?;
            if let Some(info) = out.change_info() {
                wait_insync(p, ctx, info.id()).await?;
            }
        }
        Ok(())
    }

    pub(super) async fn delete(
        p: &AwsProvider,
        ctx: &CallContext,
        id: &str,
        outputs: &PropertyMap,
    ) -> Result<(), ProviderError> {
        let r53 = p.route53().await?;
        if outputs.get("forceDestroy").and_then(Value::as_bool) == Some(true) {
            purge(p, ctx, id).await?;
        }
        p.call(|| r53.delete_hosted_zone().id(id).send()).await?;
        Ok(())
    }

    /// The zones named like the input whose URN tag is this resource's.
    pub(super) async fn find(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<Vec<String>, ProviderError> {
        let r53 = p.route53().await?;
        let name = normalize(required_str(inputs, "name")?);
        let wanted = urn_tag_value(&ctx.urn);
        let mut ids = Vec::new();
        let (mut dns_name, mut zone_id): (Option<String>, Option<String>) = (Some(format!("{name}.")), None);
        loop {
            let out = p
                .call(|| {
                    r53.list_hosted_zones_by_name()
                        .set_dns_name(dns_name.clone())
                        .set_hosted_zone_id(zone_id.clone())
                        .send()
                })
                .await?;
            let mut past = false;
            for z in out.hosted_zones() {
                if normalize(z.name()) != name {
                    // Listed in name order from the input name: the rest are other names.
                    past = true;
                    break;
                }
                let id = z.id().trim_start_matches("/hostedzone/").to_string();
                if tags(p, &id).await?.iter().any(|(k, v)| k == URN_TAG && *v == wanted) {
                    ids.push(id);
                }
            }
            if past || !out.is_truncated() {
                return Ok(ids);
            }
            dns_name = out.next_dns_name().map(str::to_string);
            zone_id = out.next_hosted_zone_id().map(str::to_string);
        }
    }
}

// ---------------------------------------------------------------------------
// Record
// ---------------------------------------------------------------------------

pub(super) mod record {
    use super::*;

    pub(super) const SUPPORTED: &[&str] = &[
        "aliases",
        "allowOverwrite",
        "healthCheckId",
        "name",
        "records",
        "setIdentifier",
        "ttl",
        "type",
        "weightedRoutingPolicies",
        "zoneId",
    ];

    /// The record types Route 53 accepts.
    const TYPES: &[&str] = &[
        "A", "AAAA", "CAA", "CNAME", "DS", "HTTPS", "MX", "NAPTR", "NS", "PTR", "SOA", "SPF", "SRV", "SSHFP", "SVCB",
        "TLSA", "TXT",
    ];

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        if let Some(t) = check_str(inputs, "type")? {
            if !TYPES.contains(&t) {
                return Err(ProviderError::invalid(format!("type {t:?} is not one of {}", TYPES.join(", "))));
            }
        }
        let set = |k: &str| inputs.get(k).is_some_and(|v| !v.is_null());
        if set("aliases") && (set("records") || set("ttl")) {
            return Err(ProviderError::invalid("aliases excludes records and ttl"));
        }
        let all_known =
            ["aliases", "records", "ttl"].iter().all(|k| !inputs.get(*k).is_some_and(Value::contains_unknown));
        if all_known && !set("aliases") && !(set("records") && set("ttl")) {
            return Err(ProviderError::invalid("a record needs either aliases or both records and ttl"));
        }
        if let Some(v) = known(inputs, "aliases") {
            let n = v.as_array().map_or(0, |a| a.len());
            if n != 1 {
                return Err(ProviderError::invalid(format!("aliases must hold exactly one alias, got {n}")));
            }
        }
        if let Some(v) = known(inputs, "weightedRoutingPolicies") {
            let n = v.as_array().map_or(0, |a| a.len());
            if n != 1 {
                return Err(ProviderError::invalid(format!(
                    "weightedRoutingPolicies must hold exactly one policy, got {n}"
                )));
            }
            if !set("setIdentifier") {
                return Err(ProviderError::invalid("weightedRoutingPolicies needs setIdentifier"));
            }
        }
        if set("setIdentifier") && !set("weightedRoutingPolicies") {
            return Err(ProviderError::invalid(
                "setIdentifier is only implemented with weightedRoutingPolicies (other routing policies are not)",
            ));
        }
        if let Some(name) = check_str(inputs, "name")? {
            if name.contains('_') && known(inputs, "type").is_some() && name.split('_').any(|l| TYPES.contains(&l)) {
                // The id joins name and type with `_`; a label equal to a
                // type name would make it ambiguous.
                return Err(ProviderError::invalid(format!(
                    "name {name:?} has a _-separated part that is a record type"
                )));
            }
        }
        Ok(())
    }

    /// Terraform's id: `<zoneId>_<name>_<type>[_<setIdentifier>]`.
    pub(super) fn id_for(inputs: &PropertyMap) -> Result<String, ProviderError> {
        let zone = required_str(inputs, "zoneId")?;
        let name = normalize(required_str(inputs, "name")?);
        let kind = required_str(inputs, "type")?;
        Ok(match optional_str(inputs, "setIdentifier")? {
            Some(set) => format!("{zone}_{name}_{kind}_{set}"),
            None => format!("{zone}_{name}_{kind}"),
        })
    }

    /// The parts of an id: zone, name, type, set identifier. The type is the
    /// first `_`-separated part after the name that is a record type.
    pub(super) fn parse_id(id: &str) -> Option<(&str, String, &str, Option<String>)> {
        let parts: Vec<&str> = id.split('_').collect();
        let at = (2..parts.len()).find(|&i| TYPES.contains(&parts[i]))?;
        let set = (at + 1 < parts.len()).then(|| parts[at + 1..].join("_"));
        Some((parts[0], parts[1..at].join("_"), parts[at], set))
    }

    /// `name` made absolute in the zone (Terraform's expandRecordName).
    fn fqdn(name: &str, zone: &str) -> String {
        let name = normalize(name);
        if name.is_empty() {
            zone.to_string()
        } else if name == zone || name.ends_with(&format!(".{zone}")) {
            name
        } else {
            format!("{name}.{zone}")
        }
    }

    /// TXT and SPF values are quoted character strings in Route 53; the
    /// program gives them unquoted, as in pulumi-aws.
    fn quoted(kind: &str) -> bool {
        kind == "TXT" || kind == "SPF"
    }

    fn to_aws(kind: &str, value: &str) -> String {
        if quoted(kind) && !value.starts_with('"') {
            format!("\"{}\"", value.replace('"', "\\\""))
        } else {
            value.to_string()
        }
    }

    fn from_aws(kind: &str, value: &str) -> String {
        match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
            Some(inner) if quoted(kind) && !inner.contains("\" \"") => inner.replace("\\\"", "\""),
            _ => value.to_string(),
        }
    }

    fn build_error(e: impl std::fmt::Display) -> ProviderError {
        ProviderError::invalid(format!("record set: {e}"))
    }

    /// The record set the inputs describe.
    fn record_set(inputs: &PropertyMap, zone: &str) -> Result<ResourceRecordSet, ProviderError> {
        let kind = required_str(inputs, "type")?;
        let mut set = ResourceRecordSet::builder()
            .name(fqdn(required_str(inputs, "name")?, zone))
            .r#type(RrType::from(kind))
            .set_set_identifier(optional_str(inputs, "setIdentifier")?.map(str::to_string))
            .set_health_check_id(optional_str(inputs, "healthCheckId")?.map(str::to_string));
        if let Some(policy) = object_list(inputs, "weightedRoutingPolicies")?.first() {
            let weight = optional_i32(policy, "weight").map_err(super::super::nested("weightedRoutingPolicies[0]"))?;
            set = set.weight(i64::from(weight.unwrap_or(0)));
        }
        if let Some(alias) = object_list(inputs, "aliases")?.first() {
            let nest = super::super::nested("aliases[0]");
            let target = AliasTarget::builder()
                .dns_name(required_str(alias, "name").map_err(&nest)?)
                .hosted_zone_id(required_str(alias, "zoneId").map_err(&nest)?)
                .evaluate_target_health(optional_bool(alias, "evaluateTargetHealth").map_err(&nest)?.unwrap_or(false))
                .build()
                .map_err(build_error)?;
            set = set.alias_target(target);
        } else {
            set = set.set_ttl(optional_i32(inputs, "ttl")?.map(i64::from));
            for value in optional_str_list(inputs, "records")?.unwrap_or_default() {
                set = set.resource_records(
                    ResourceRecord::builder().value(to_aws(kind, &value)).build().map_err(build_error)?,
                );
            }
        }
        set.build().map_err(build_error)
    }

    /// Applies one change to one record set and waits until it is in sync.
    async fn change(
        p: &AwsProvider,
        ctx: &CallContext,
        zone_id: &str,
        action: ChangeAction,
        set: ResourceRecordSet,
    ) -> Result<(), ProviderError> {
        let r53 = p.route53().await?;
        let change = Change::builder().action(action).resource_record_set(set).build().map_err(build_error)?;
        let batch = ChangeBatch::builder().changes(change).build().map_err(build_error)?;
        let out = p
            .call(|| r53.change_resource_record_sets().hosted_zone_id(zone_id).change_batch(batch.clone()).send())
            .await?;
        let info = out.change_info().ok_or_else(|| missing_field("ChangeResourceRecordSets", "ChangeInfo"))?;
        wait_insync(p, ctx, info.id()).await
    }

    /// Writes the record set the inputs describe with `action` (CREATE, or
    /// UPSERT for updates and `allowOverwrite`); returns its id.
    pub(super) async fn upsert(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
        action: ChangeAction,
    ) -> Result<String, ProviderError> {
        let zone_id = required_str(inputs, "zoneId")?;
        let zone = zone_name(p, zone_id).await?;
        change(p, ctx, zone_id, action, record_set(inputs, &zone)?).await?;
        id_for(inputs)
    }

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let action = if optional_bool(inputs, "allowOverwrite")? == Some(true) {
            ChangeAction::Upsert
        } else {
            ChangeAction::Create
        };
        upsert(p, ctx, inputs, action).await
    }

    /// The record set with this id as Route 53 holds it, `None` when absent.
    async fn live(p: &AwsProvider, id: &str) -> Result<Option<(String, ResourceRecordSet)>, ProviderError> {
        let Some((zone_id, name, kind, set_id)) = parse_id(id) else {
            return Err(ProviderError::invalid(format!("{id} is not a record id (<zoneId>_<name>_<type>[_<set>])")));
        };
        let zone = zone_name(p, zone_id).await?;
        let full = fqdn(&name, &zone);
        let r53 = p.route53().await?;
        let (mut start_name, mut start_type, mut start_set) = (full.clone(), RrType::from(kind), set_id.clone());
        loop {
            let out = p
                .call(|| {
                    r53.list_resource_record_sets()
                        .hosted_zone_id(zone_id)
                        .start_record_name(&start_name)
                        .start_record_type(start_type.clone())
                        .set_start_record_identifier(start_set.clone())
                        .send()
                })
                .await?;
            let sets = out.resource_record_sets();
            let hit = sets.iter().find(|r| {
                normalize(r.name()) == full && r.r#type().as_str() == kind && r.set_identifier() == set_id.as_deref()
            });
            if let Some(hit) = hit {
                return Ok(Some((zone, hit.clone())));
            }
            // Listed in name and type order from the start: once past this
            // name and type, it is not there.
            let past = sets.iter().any(|r| normalize(r.name()) != full || r.r#type().as_str() != kind);
            match (out.is_truncated(), out.next_record_name(), out.next_record_type()) {
                (true, Some(n), Some(t)) if !past => {
                    start_name = n.to_string();
                    start_type = t.clone();
                    start_set = out.next_record_identifier().map(str::to_string);
                }
                _ => return Ok(None),
            }
        }
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let Some((zone, set)) = live(p, id).await? else { return Ok(None) };
        let Some((zone_id, name, kind, set_id)) = parse_id(id) else { return Ok(None) };
        let records: Vec<String> = set.resource_records().iter().map(|r| from_aws(kind, r.value())).collect();
        let mut out = Outputs::default()
            .string("id", Some(id))
            .string("zoneId", Some(zone_id))
            .string("name", Some(name.as_str()))
            .string("fqdn", Some(fqdn(&name, &zone)))
            .string("type", Some(kind))
            .string("setIdentifier", set_id)
            .string("healthCheckId", set.health_check_id())
            .int("ttl", set.ttl());
        if !records.is_empty() {
            out = out.value("records", super::super::string_list(&records));
        }
        if let Some(weight) = set.weight() {
            out = out.value("weightedRoutingPolicies", Value::Array(vec![Value::object([("weight", weight as f64)])]));
        }
        if let Some(alias) = set.alias_target() {
            let alias = Value::object([
                ("name", Value::from(normalize(alias.dns_name()))),
                ("zoneId", Value::from(alias.hosted_zone_id())),
                ("evaluateTargetHealth", Value::from(alias.evaluate_target_health())),
            ]);
            out = out.value("aliases", Value::Array(vec![alias]));
        }
        Ok(Some(out.build()))
    }

    pub(super) async fn delete(p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<(), ProviderError> {
        let live = match live(p, id).await {
            Ok(Some((_, set))) => set,
            Ok(None) => return Ok(()),
            // The zone itself is gone, and the record with it.
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        let zone_id = id.split('_').next().unwrap_or_default();
        match change(p, ctx, zone_id, ChangeAction::Delete, live).await {
            // Deleted by someone else between the read and the change.
            Err(e) if e.code == "InvalidChangeBatch" && e.message.contains("not found") => Ok(()),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::provider::aws::map;

    #[test]
    fn names_are_normalized() {
        assert_eq!(normalize("WWW.Example.com."), "www.example.com");
        assert_eq!(normalize("\\052.example.com."), "*.example.com");
        assert_eq!(normalize("a\\05"), "a\\05");
    }

    #[test]
    fn record_ids_round_trip() {
        let inputs = map(vec![
            ("zoneId", "Z123".into()),
            ("name", "App.Example.com".into()),
            ("type", "CNAME".into()),
            ("setIdentifier", "blue_1".into()),
        ]);
        let id = record::id_for(&inputs).unwrap();
        assert_eq!(id, "Z123_app.example.com_CNAME_blue_1");
        assert_eq!(
            record::parse_id(&id),
            Some(("Z123", "app.example.com".to_string(), "CNAME", Some("blue_1".into())))
        );
        assert_eq!(record::parse_id("Z1__dmarc_TXT"), Some(("Z1", "_dmarc".to_string(), "TXT", None)));
        assert_eq!(record::parse_id("Z1_www"), None);
    }

    #[test]
    fn checks() {
        let base = |extra: Vec<(&str, Value)>| {
            let mut m = map(vec![("zoneId", "Z1".into()), ("name", "www".into()), ("type", "A".into())]);
            m.extend(map(extra));
            m
        };
        let records = || vec![("records", Value::array(["192.0.2.1"])), ("ttl", Value::from(300))];
        assert!(Route53.check(RECORD, &base(records())).is_ok());
        assert!(Route53.check(RECORD, &base(vec![("records", Value::array(["192.0.2.1"]))])).is_err());
        let mut weighted = records();
        weighted.push(("weightedRoutingPolicies", Value::Array(vec![Value::object([("weight", 10)])])));
        assert!(Route53.check(RECORD, &base(weighted.clone())).unwrap_err().message.contains("setIdentifier"));
        weighted.push(("setIdentifier", "blue".into()));
        assert!(Route53.check(RECORD, &base(weighted)).is_ok());
        assert!(Route53.check(RECORD, &base(vec![("type", "BOGUS".into())])).is_err());
        assert!(Route53.check(ZONE, &map(vec![("name", "example.com".into())])).is_ok());
        let destroy = map(vec![("name", "example.com".into()), ("forceDestroy", true.into())]);
        assert!(Route53.check(ZONE, &destroy).is_ok());
        let reserved =
            map(vec![("name", "example.com".into()), ("tags", Value::object([(FORCE_DESTROY_TAG, "true")]))]);
        assert!(Route53.check(ZONE, &reserved).is_err());
        assert!(Route53.check(ZONE, &map(vec![("name", "a..b".into())])).is_err());
    }
}
