//! EC2 and VPC kinds: VPC, subnet, internet gateway, Elastic IP, NAT gateway,
//! route table, route, route table association, security group, the
//! standalone security group ingress/egress rules, VPC peering connection,
//! launch template, flow log, and network ACL with its rules and subnet
//! associations.
//!
//! Each kind is a submodule with `SUPPORTED` (the inputs implemented; others
//! the catalog accepts are refused by `check` rather than silently ignored),
//! `check`, `create`, `read`, `update` and `delete`. `create` ends with a read
//! of what it made and `update` with a read of the result, so both return the
//! outputs `read` returns. Outputs deliberately left out, and why:
//!
//! - `aws:ec2/routeTable:RouteTable` `routes` and
//!   `aws:ec2/securityGroup:SecurityGroup` `ingress`/`egress`: pulumi-aws
//!   reports there every route or rule, including those managed as separate
//!   resources, so each refresh would see "drift" that is not. tapctl manages
//!   routes and rules as their own resources only (inline ones are refused).
//! - `aws:ec2/eip:Eip` association outputs (`associationId`,
//!   `networkInterface`, `privateIp`, …): the NAT gateway that uses the
//!   address associates it, not the Eip resource.
//! - `aws:ec2/networkAcl:NetworkAcl` `ingress`/`egress`: as for security
//!   groups, rules are their own resources (`NetworkAclRule`); inline ones
//!   are refused;
//! - `aws:ec2/vpcPeeringConnection:VpcPeeringConnection` `autoAccept`: AWS
//!   does not record it (the connection's `acceptStatus` says what happened);
//!   `accepter`/`requester` appear once AWS reports peering options, which it
//!   does for an active connection.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::ops::RangeInclusive;

use async_trait::async_trait;
use aws_sdk_ec2::client::Waiters;
use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagDescription, TagSpecification};

use super::{
    after_create, changed, check_i32, check_kind, check_str, found, gone_is_ok, known, limit, minutes, missing_field,
    optional_bool, optional_i32, optional_str, optional_str_list, read_created, read_each, read_updated, required_str,
    tag_changes, tags_for_create, urn_tag_value, waiter_error, window, AwsProvider, Outputs, Service,
};
use crate::model::{PropertyMap, Value};
use crate::provider::{CallContext, Created, DiffResult, ErrorKind, ProviderError, URN_TAG};

const VPC: &str = "aws:ec2/vpc:Vpc";
const SUBNET: &str = "aws:ec2/subnet:Subnet";
const INTERNET_GATEWAY: &str = "aws:ec2/internetGateway:InternetGateway";
const EIP: &str = "aws:ec2/eip:Eip";
const NAT_GATEWAY: &str = "aws:ec2/natGateway:NatGateway";
const ROUTE_TABLE: &str = "aws:ec2/routeTable:RouteTable";
const ROUTE: &str = "aws:ec2/route:Route";
const ROUTE_TABLE_ASSOCIATION: &str = "aws:ec2/routeTableAssociation:RouteTableAssociation";
const SECURITY_GROUP: &str = "aws:ec2/securityGroup:SecurityGroup";
const INGRESS_RULE: &str = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const EGRESS_RULE: &str = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";
const PEERING: &str = "aws:ec2/vpcPeeringConnection:VpcPeeringConnection";
const LAUNCH_TEMPLATE: &str = "aws:ec2/launchTemplate:LaunchTemplate";
const FLOW_LOG: &str = "aws:ec2/flowLog:FlowLog";
const NACL: &str = "aws:ec2/networkAcl:NetworkAcl";
const NACL_RULE: &str = "aws:ec2/networkAclRule:NetworkAclRule";
const NACL_ASSOCIATION: &str = "aws:ec2/networkAclAssociation:NetworkAclAssociation";

/// The EC2 service module.
pub(crate) struct Ec2;

#[async_trait]
impl Service for Ec2 {
    fn tokens(&self) -> &'static [&'static str] {
        &[
            VPC,
            SUBNET,
            INTERNET_GATEWAY,
            EIP,
            NAT_GATEWAY,
            ROUTE_TABLE,
            ROUTE,
            ROUTE_TABLE_ASSOCIATION,
            SECURITY_GROUP,
            INGRESS_RULE,
            EGRESS_RULE,
            PEERING,
            LAUNCH_TEMPLATE,
            FLOW_LOG,
            NACL,
            NACL_RULE,
            NACL_ASSOCIATION,
        ]
    }

    fn check(&self, token: &str, inputs: &PropertyMap) -> Result<(), ProviderError> {
        match token {
            VPC => check_kind(token, inputs, vpc::SUPPORTED, vpc::check),
            SUBNET => check_kind(token, inputs, subnet::SUPPORTED, subnet::check),
            INTERNET_GATEWAY => check_kind(token, inputs, igw::SUPPORTED, |_| Ok(())),
            EIP => check_kind(token, inputs, eip::SUPPORTED, eip::check),
            NAT_GATEWAY => check_kind(token, inputs, nat::SUPPORTED, nat::check),
            ROUTE_TABLE => check_kind(token, inputs, route_table::SUPPORTED, |_| Ok(())),
            ROUTE => check_kind(token, inputs, route::SUPPORTED, route::check),
            ROUTE_TABLE_ASSOCIATION => check_kind(token, inputs, rta::SUPPORTED, rta::check),
            SECURITY_GROUP => check_kind(token, inputs, sg::SUPPORTED, sg::check),
            PEERING => check_kind(token, inputs, pcx::SUPPORTED, pcx::check),
            LAUNCH_TEMPLATE => check_kind(token, inputs, lt::SUPPORTED, lt::check),
            FLOW_LOG => check_kind(token, inputs, flow_log::SUPPORTED, flow_log::check),
            NACL => check_kind(token, inputs, nacl::SUPPORTED, |_| Ok(())),
            NACL_RULE => check_kind(token, inputs, nacl_rule::SUPPORTED, nacl_rule::check),
            NACL_ASSOCIATION => check_kind(token, inputs, nacl_association::SUPPORTED, |_| Ok(())),
            _ => check_kind(token, inputs, rule::SUPPORTED, rule::check),
        }
    }

    fn diff(&self, token: &str, old: &PropertyMap, new: &PropertyMap, base: DiffResult) -> DiffResult {
        match token {
            ROUTE_TABLE_ASSOCIATION => rta::diff(old, new, base),
            INGRESS_RULE | EGRESS_RULE => rule::diff(old, new, base),
            _ => base,
        }
    }

    async fn create(&self, p: &AwsProvider, ctx: &CallContext, inputs: &PropertyMap) -> Result<Created, ProviderError> {
        let id = match ctx.token.as_str() {
            VPC => vpc::create(p, ctx, inputs).await?,
            SUBNET => subnet::create(p, ctx, inputs).await?,
            INTERNET_GATEWAY => igw::create(p, ctx, inputs).await?,
            EIP => eip::create(p, ctx, inputs).await?,
            NAT_GATEWAY => nat::create(p, ctx, inputs).await?,
            ROUTE_TABLE => route_table::create(p, ctx, inputs).await?,
            ROUTE => route::create(p, ctx, inputs).await?,
            ROUTE_TABLE_ASSOCIATION => rta::create(p, ctx, inputs).await?,
            SECURITY_GROUP => sg::create(p, ctx, inputs).await?,
            PEERING => pcx::create(p, ctx, inputs).await?,
            LAUNCH_TEMPLATE => lt::create(p, ctx, inputs).await?,
            FLOW_LOG => flow_log::create(p, ctx, inputs).await?,
            NACL => nacl::create(p, ctx, inputs).await?,
            NACL_RULE => nacl_rule::create(p, ctx, inputs).await?,
            NACL_ASSOCIATION => nacl_association::create(p, ctx, inputs).await?,
            _ => rule::create(p, ctx, inputs).await?,
        };
        read_created(self, p, ctx, id).await
    }

    async fn read(&self, p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        // A NotFound from any call of a read means the resource went away.
        let read = match ctx.token.as_str() {
            VPC => vpc::read(p, id).await,
            SUBNET => subnet::read(p, id).await,
            INTERNET_GATEWAY => igw::read(p, id).await,
            EIP => eip::read(p, id).await,
            NAT_GATEWAY => nat::read(p, id).await,
            ROUTE_TABLE => route_table::read(p, id).await,
            ROUTE => route::read(p, id).await,
            ROUTE_TABLE_ASSOCIATION => rta::read(p, id).await,
            SECURITY_GROUP => sg::read(p, id).await,
            PEERING => pcx::read(p, id).await,
            LAUNCH_TEMPLATE => lt::read(p, id).await,
            FLOW_LOG => flow_log::read(p, id).await,
            NACL => nacl::read(p, id).await,
            NACL_RULE => nacl_rule::read(p, id).await,
            NACL_ASSOCIATION => nacl_association::read(p, id).await,
            token => rule::read(p, id, token == EGRESS_RULE).await,
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
            VPC => vpc::update(p, ctx, id, old, new).await?,
            SUBNET => subnet::update(p, ctx, id, old, new).await?,
            INTERNET_GATEWAY => igw::update(p, ctx, id, old, new).await?,
            ROUTE => route::update(p, id, new).await?,
            // Everything else these kinds allow in place is tags: the catalog
            // and `diff` send other changes to a replacement.
            ROUTE_TABLE_ASSOCIATION => {}
            INGRESS_RULE | EGRESS_RULE => rule::update(p, ctx, id, old, new).await?,
            PEERING => pcx::update(p, ctx, id, old, new).await?,
            LAUNCH_TEMPLATE => lt::update(p, ctx, id, old, new).await?,
            NACL => nacl::update(p, ctx, id, old, new).await?,
            // Every input of a rule or an association forces a replacement.
            NACL_RULE | NACL_ASSOCIATION => {}
            _ => apply_tags(p, ctx, id, old, new).await?,
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
            VPC => vpc::delete(p, ctx, id).await,
            SUBNET => subnet::delete(p, ctx, id).await,
            INTERNET_GATEWAY => igw::delete(p, ctx, id).await,
            EIP => eip::delete(p, ctx, id).await,
            NAT_GATEWAY => nat::delete(p, ctx, id).await,
            ROUTE_TABLE => route_table::delete(p, ctx, id).await,
            ROUTE => route::delete(p, id).await,
            ROUTE_TABLE_ASSOCIATION => rta::delete(p, id).await,
            SECURITY_GROUP => sg::delete(p, ctx, id).await,
            PEERING => pcx::delete(p, ctx, id).await,
            LAUNCH_TEMPLATE => lt::delete(p, id).await,
            FLOW_LOG => flow_log::delete(p, id).await,
            NACL => nacl::delete(p, ctx, id).await,
            NACL_RULE => nacl_rule::delete(p, id).await,
            NACL_ASSOCIATION => nacl_association::delete(p, ctx, id).await,
            token => rule::delete(p, id, outputs, token == EGRESS_RULE).await,
        };
        gone_is_ok(deleted)
    }

    /// Taggable kinds are found by their URN tag; a route by the id its
    /// inputs determine; an association by its subnet (or gateway) and table.
    async fn find(
        &self,
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<Vec<Created>, ProviderError> {
        let candidates = match ctx.token.as_str() {
            ROUTE => vec![route::id(required_str(inputs, "routeTableId")?, route::destination(inputs)?)],
            ROUTE_TABLE_ASSOCIATION => rta::find_by_inputs(p, inputs).await?,
            NACL_RULE => vec![nacl_rule::id_for(inputs)?],
            NACL_ASSOCIATION => nacl_association::find_by_inputs(p, inputs).await?,
            _ => tagged_with_urn(p, ctx).await?,
        };
        // A NAT gateway being deleted, an ingress id for an egress kind…
        // read says whether it is really this resource.
        read_each(self, p, ctx, candidates).await
    }
}

/// The ids of `ctx.token`'s kind that carry `ctx.urn` in their URN tag.
async fn tagged_with_urn(p: &AwsProvider, ctx: &CallContext) -> Result<Vec<String>, ProviderError> {
    let prefix = crate::provider::kind(&ctx.token).map_or("", |k| k.id_prefix);
    let tags = describe_tags(p, vec![filter("key", URN_TAG), filter("value", &urn_tag_value(&ctx.urn))]).await?;
    let mut ids: Vec<String> =
        tags.iter().filter_map(|t| t.resource_id()).filter(|id| id.starts_with(prefix)).map(str::to_string).collect();
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// Every tag DescribeTags finds with `filters`, all pages.
async fn describe_tags(p: &AwsProvider, filters: Vec<Filter>) -> Result<Vec<TagDescription>, ProviderError> {
    let ec2 = p.ec2().await?;
    let mut tags = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let out = p
            .call(|| ec2.describe_tags().set_filters(Some(filters.clone())).set_next_token(next.clone()).send())
            .await?;
        tags.extend_from_slice(out.tags());
        next = out.next_token().filter(|t| !t.is_empty()).map(str::to_string);
        if next.is_none() {
            return Ok(tags);
        }
    }
}

// ---------------------------------------------------------------------------
// Shared EC2 helpers
// ---------------------------------------------------------------------------

/// A `Filter` on `name` = `value`.
fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

fn sdk_tags(pairs: &[(String, String)]) -> Vec<Tag> {
    pairs.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

/// Tags applied by the create call itself, so the resource is never untagged.
fn tag_spec(resource: ResourceType, pairs: &[(String, String)]) -> TagSpecification {
    TagSpecification::builder().resource_type(resource).set_tags(Some(sdk_tags(pairs))).build()
}

fn tag_pairs(tags: &[Tag]) -> Vec<(String, String)> {
    tags.iter().filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string()))).collect()
}

/// Applies the tag changes an update asks for (CreateTags / DeleteTags work
/// on every EC2 id).
async fn apply_tags(
    p: &AwsProvider,
    ctx: &CallContext,
    id: &str,
    old: &PropertyMap,
    new: &PropertyMap,
) -> Result<(), ProviderError> {
    let changes = tag_changes(ctx, old, new)?;
    let ec2 = p.ec2().await?;
    if !changes.remove.is_empty() {
        let keys: Vec<Tag> = changes.remove.iter().map(|k| Tag::builder().key(k).build()).collect();
        p.call(|| ec2.delete_tags().resources(id).set_tags(Some(keys.clone())).send()).await?;
    }
    if !changes.set.is_empty() {
        let tags = sdk_tags(&changes.set);
        p.call(|| ec2.create_tags().resources(id).set_tags(Some(tags.clone())).send()).await?;
    }
    Ok(())
}

/// `arn:…:ec2:<region>:<owner>:<resource>`; the owner is asked of STS when
/// the describe call did not say.
async fn ec2_arn(p: &AwsProvider, owner: Option<&str>, resource: &str) -> Result<String, ProviderError> {
    let owner = match owner {
        Some(owner) => owner.to_string(),
        None => p.account_id().await?.to_string(),
    };
    p.arn("ec2", &owner, resource).await
}

fn attribute(value: bool) -> aws_sdk_ec2::types::AttributeBooleanValue {
    aws_sdk_ec2::types::AttributeBooleanValue::builder().value(value).build()
}

/// Checks `value` is an IPv4 network in CIDR form with a prefix in `prefixes`.
fn check_ipv4_cidr(name: &str, value: &str, prefixes: RangeInclusive<u8>) -> Result<(), ProviderError> {
    let bad = || ProviderError::invalid(format!("{name} {value:?} is not an IPv4 CIDR block like 10.0.0.0/16"));
    let (addr, len) = value.split_once('/').ok_or_else(bad)?;
    let addr: Ipv4Addr = addr.parse().map_err(|_| bad())?;
    let len: u8 = len.parse().map_err(|_| bad())?;
    if len > 32 {
        return Err(bad());
    }
    if !prefixes.contains(&len) {
        return Err(ProviderError::invalid(format!(
            "{name} {value}: AWS allows prefix lengths /{} to /{} here",
            prefixes.start(),
            prefixes.end()
        )));
    }
    let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
    let network = Ipv4Addr::from(u32::from(addr) & mask);
    if network != addr {
        return Err(ProviderError::invalid(format!(
            "{name} {value} has host bits set; the network is {network}/{len}"
        )));
    }
    Ok(())
}

/// Checks `value` is an IPv6 network in CIDR form.
fn check_ipv6_cidr(name: &str, value: &str) -> Result<(), ProviderError> {
    let bad = || ProviderError::invalid(format!("{name} {value:?} is not an IPv6 CIDR block like 2001:db8::/56"));
    let (addr, len) = value.split_once('/').ok_or_else(bad)?;
    let addr: Ipv6Addr = addr.parse().map_err(|_| bad())?;
    let len: u8 = len.parse().map_err(|_| bad())?;
    if len > 128 {
        return Err(bad());
    }
    let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
    let network = Ipv6Addr::from(u128::from(addr) & mask);
    if network != addr {
        return Err(ProviderError::invalid(format!(
            "{name} {value} has host bits set; the network is {network}/{len}"
        )));
    }
    Ok(())
}

/// Which of `names` are set (known or not) in `inputs`.
fn set_among<'a>(inputs: &PropertyMap, names: &[&'a str]) -> Vec<&'a str> {
    names.iter().copied().filter(|n| inputs.get(*n).is_some_and(|v| !v.is_null())).collect()
}

/// At most one — or, with `required`, exactly one — of `names` may be set.
fn one_of(inputs: &PropertyMap, names: &[&str], required: bool) -> Result<(), ProviderError> {
    let set = set_among(inputs, names);
    if set.len() > 1 {
        return Err(ProviderError::invalid(format!("set only one of {}; got {}", names.join(", "), set.join(" and "))));
    }
    if required && set.is_empty() {
        return Err(ProviderError::invalid(format!("set one of {}", names.join(", "))));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// VPC
// ---------------------------------------------------------------------------

mod vpc {
    use super::*;
    use aws_sdk_ec2::types::{Tenancy, VpcAttributeName};

    pub(super) const SUPPORTED: &[&str] =
        &["cidrBlock", "enableDnsHostnames", "enableDnsSupport", "instanceTenancy", "region", "tags"];

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        if !inputs.contains_key("cidrBlock") {
            return Err(ProviderError::invalid("cidrBlock is required (IPAM-allocated VPCs are not implemented)"));
        }
        if let Some(cidr) = check_str(inputs, "cidrBlock")? {
            check_ipv4_cidr("cidrBlock", cidr, 16..=28)?;
        }
        if let Some(t) = check_str(inputs, "instanceTenancy")? {
            if !matches!(t, "default" | "dedicated") {
                return Err(ProviderError::invalid(format!("instanceTenancy must be default or dedicated, got {t:?}")));
            }
        }
        let support =
            known(inputs, "enableDnsSupport").map(|_| optional_bool(inputs, "enableDnsSupport")).transpose()?.flatten();
        let hostnames = known(inputs, "enableDnsHostnames")
            .map(|_| optional_bool(inputs, "enableDnsHostnames"))
            .transpose()?
            .flatten();
        if support == Some(false) && hostnames == Some(true) {
            return Err(ProviderError::invalid("enableDnsHostnames needs enableDnsSupport"));
        }
        Ok(())
    }

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let ec2 = p.ec2().await?;
        let cidr = required_str(inputs, "cidrBlock")?;
        let tenancy = optional_str(inputs, "instanceTenancy")?.map(Tenancy::from);
        let tags = tag_spec(ResourceType::Vpc, &tags_for_create(ctx, inputs)?);
        let out = p
            .call(|| {
                ec2.create_vpc()
                    .cidr_block(cidr)
                    .set_instance_tenancy(tenancy.clone())
                    .tag_specifications(tags.clone())
                    .send()
            })
            .await?;
        let id = out.vpc().and_then(|v| v.vpc_id()).ok_or_else(|| missing_field("CreateVpc", "Vpc.VpcId"))?.to_string();
        let within = limit(ctx, minutes(5));
        let what = format!("VPC {id} to be available");
        let what_ref: &str = &what;
        let vpc_id: &str = &id;
        p.wait_until(&what, within, || async move {
            // The waiter's own NotFound (a new id not yet visible) is polled through.
            let waited = ec2.wait_until_vpc_available().vpc_ids(vpc_id).wait(within).await;
            found(waited.map_err(|e| waiter_error(what_ref, e)))
        })
        .await
        .map_err(after_create(&id, "waiting for it to be available"))?;
        set_dns(p, &id, inputs, None).await.map_err(after_create(&id, "setting its DNS attributes"))?;
        Ok(id)
    }

    /// Sets the DNS attributes `inputs` ask for (AWS's defaults when unset:
    /// support on, hostnames off) where they differ from `current`. Support
    /// goes first: hostnames need it.
    async fn set_dns(
        p: &AwsProvider,
        id: &str,
        inputs: &PropertyMap,
        current: Option<&PropertyMap>,
    ) -> Result<(), ProviderError> {
        let ec2 = p.ec2().await?;
        let support = optional_bool(inputs, "enableDnsSupport")?.unwrap_or(true);
        let hostnames = optional_bool(inputs, "enableDnsHostnames")?.unwrap_or(false);
        let now =
            |key: &str, default: bool| current.and_then(|c| c.get(key)).and_then(Value::as_bool).unwrap_or(default);
        if support != now("enableDnsSupport", true) {
            p.call(|| ec2.modify_vpc_attribute().vpc_id(id).enable_dns_support(attribute(support)).send()).await?;
        }
        if hostnames != now("enableDnsHostnames", false) {
            p.call(|| ec2.modify_vpc_attribute().vpc_id(id).enable_dns_hostnames(attribute(hostnames)).send()).await?;
        }
        Ok(())
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let ec2 = p.ec2().await?;
        let out = p.call(|| ec2.describe_vpcs().vpc_ids(id).send()).await?;
        let Some(vpc) = out.vpcs().iter().find(|v| v.vpc_id() == Some(id)) else { return Ok(None) };
        let support = p
            .call(|| ec2.describe_vpc_attribute().vpc_id(id).attribute(VpcAttributeName::EnableDnsSupport).send())
            .await?
            .enable_dns_support()
            .and_then(|a| a.value());
        let hostnames = p
            .call(|| ec2.describe_vpc_attribute().vpc_id(id).attribute(VpcAttributeName::EnableDnsHostnames).send())
            .await?
            .enable_dns_hostnames()
            .and_then(|a| a.value());
        let main_route_table = p
            .call(|| {
                ec2.describe_route_tables()
                    .filters(filter("vpc-id", id))
                    .filters(filter("association.main", "true"))
                    .send()
            })
            .await?
            .route_tables()
            .first()
            .and_then(|t| t.route_table_id())
            .map(str::to_string);
        let default_sg = p
            .call(|| {
                ec2.describe_security_groups()
                    .filters(filter("vpc-id", id))
                    .filters(filter("group-name", "default"))
                    .send()
            })
            .await?
            .security_groups()
            .first()
            .and_then(|g| g.group_id())
            .map(str::to_string);
        let default_acl = p
            .call(|| {
                ec2.describe_network_acls().filters(filter("vpc-id", id)).filters(filter("default", "true")).send()
            })
            .await?
            .network_acls()
            .first()
            .and_then(|a| a.network_acl_id())
            .map(str::to_string);
        let arn = ec2_arn(p, vpc.owner_id(), &format!("vpc/{id}")).await?;
        Ok(Some(
            Outputs::new(id, p.region().await?)
                .string("arn", Some(arn))
                .string("cidrBlock", vpc.cidr_block())
                .string("instanceTenancy", vpc.instance_tenancy().map(|t| t.as_str()))
                .bool("enableDnsSupport", support)
                .bool("enableDnsHostnames", hostnames)
                .string("dhcpOptionsId", vpc.dhcp_options_id())
                .string("mainRouteTableId", main_route_table.clone())
                .string("defaultRouteTableId", main_route_table)
                .string("defaultSecurityGroupId", default_sg)
                .string("defaultNetworkAclId", default_acl)
                .string("ownerId", vpc.owner_id())
                .tags(tag_pairs(vpc.tags()))
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
        set_dns(p, id, new, Some(old)).await?;
        apply_tags(p, ctx, id, old, new).await
    }

    pub(super) async fn delete(p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<(), ProviderError> {
        let ec2 = p.ec2().await?;
        // Lingering ENIs (of a NAT gateway or ECS task just deleted) keep a
        // VPC busy for a while: ride out DependencyViolation, as pulumi-aws does.
        p.call_tolerating(limit(ctx, minutes(5)), &["DependencyViolation"], || ec2.delete_vpc().vpc_id(id).send())
            .await?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Subnet
// ---------------------------------------------------------------------------

mod subnet {
    use super::*;

    pub(super) const SUPPORTED: &[&str] =
        &["availabilityZone", "availabilityZoneId", "cidrBlock", "mapPublicIpOnLaunch", "region", "tags", "vpcId"];

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        if !inputs.contains_key("cidrBlock") {
            return Err(ProviderError::invalid("cidrBlock is required (IPAM-allocated subnets are not implemented)"));
        }
        if let Some(cidr) = check_str(inputs, "cidrBlock")? {
            check_ipv4_cidr("cidrBlock", cidr, 16..=28)?;
        }
        one_of(inputs, &["availabilityZone", "availabilityZoneId"], false)
    }

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let ec2 = p.ec2().await?;
        let vpc_id = required_str(inputs, "vpcId")?;
        let cidr = required_str(inputs, "cidrBlock")?;
        let az = optional_str(inputs, "availabilityZone")?;
        let az_id = optional_str(inputs, "availabilityZoneId")?;
        let tags = tag_spec(ResourceType::Subnet, &tags_for_create(ctx, inputs)?);
        let out = p
            .call_tolerating(window(p, ctx), &["InvalidVpcID.NotFound"], || {
                ec2.create_subnet()
                    .vpc_id(vpc_id)
                    .cidr_block(cidr)
                    .set_availability_zone(az.map(str::to_string))
                    .set_availability_zone_id(az_id.map(str::to_string))
                    .tag_specifications(tags.clone())
                    .send()
            })
            .await?;
        let id = out
            .subnet()
            .and_then(|s| s.subnet_id())
            .ok_or_else(|| missing_field("CreateSubnet", "Subnet.SubnetId"))?
            .to_string();
        let within = limit(ctx, minutes(10));
        let what = format!("subnet {id} to be available");
        let what_ref: &str = &what;
        let subnet_id: &str = &id;
        p.wait_until(&what, within, || async move {
            let waited = ec2.wait_until_subnet_available().subnet_ids(subnet_id).wait(within).await;
            found(waited.map_err(|e| waiter_error(what_ref, e)))
        })
        .await
        .map_err(after_create(&id, "waiting for it to be available"))?;
        if optional_bool(inputs, "mapPublicIpOnLaunch")? == Some(true) {
            set_map_public_ip(p, &id, true).await.map_err(after_create(&id, "setting mapPublicIpOnLaunch"))?;
        }
        Ok(id)
    }

    async fn set_map_public_ip(p: &AwsProvider, id: &str, value: bool) -> Result<(), ProviderError> {
        let ec2 = p.ec2().await?;
        p.call(|| ec2.modify_subnet_attribute().subnet_id(id).map_public_ip_on_launch(attribute(value)).send()).await?;
        Ok(())
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let ec2 = p.ec2().await?;
        let out = p.call(|| ec2.describe_subnets().subnet_ids(id).send()).await?;
        let Some(s) = out.subnets().iter().find(|s| s.subnet_id() == Some(id)) else { return Ok(None) };
        let arn = match s.subnet_arn() {
            Some(arn) => arn.to_string(),
            None => ec2_arn(p, s.owner_id(), &format!("subnet/{id}")).await?,
        };
        Ok(Some(
            Outputs::new(id, p.region().await?)
                .string("arn", Some(arn))
                .string("vpcId", s.vpc_id())
                .string("cidrBlock", s.cidr_block())
                .string("availabilityZone", s.availability_zone())
                .string("availabilityZoneId", s.availability_zone_id())
                .bool("mapPublicIpOnLaunch", s.map_public_ip_on_launch())
                .bool("assignIpv6AddressOnCreation", s.assign_ipv6_address_on_creation())
                .bool("enableDns64", s.enable_dns64())
                .bool("ipv6Native", s.ipv6_native())
                .string("ownerId", s.owner_id())
                .tags(tag_pairs(s.tags()))
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
        let wanted = optional_bool(new, "mapPublicIpOnLaunch")?.unwrap_or(false);
        if old.get("mapPublicIpOnLaunch").and_then(Value::as_bool).unwrap_or(false) != wanted {
            set_map_public_ip(p, id, wanted).await?;
        }
        apply_tags(p, ctx, id, old, new).await
    }

    pub(super) async fn delete(p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<(), ProviderError> {
        let ec2 = p.ec2().await?;
        // ENIs of a NAT gateway or task just deleted linger for minutes.
        p.call_tolerating(limit(ctx, minutes(20)), &["DependencyViolation"], || {
            ec2.delete_subnet().subnet_id(id).send()
        })
        .await?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Internet gateway
// ---------------------------------------------------------------------------

mod igw {
    use super::*;
    use aws_sdk_ec2::types::AttachmentStatus;

    pub(super) const SUPPORTED: &[&str] = &["region", "tags", "vpcId"];

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let ec2 = p.ec2().await?;
        let tags = tag_spec(ResourceType::InternetGateway, &tags_for_create(ctx, inputs)?);
        let out = p.call(|| ec2.create_internet_gateway().tag_specifications(tags.clone()).send()).await?;
        let id = out
            .internet_gateway()
            .and_then(|g| g.internet_gateway_id())
            .ok_or_else(|| missing_field("CreateInternetGateway", "InternetGateway.InternetGatewayId"))?
            .to_string();
        if let Some(vpc_id) = optional_str(inputs, "vpcId")? {
            attach(p, ctx, &id, vpc_id).await.map_err(after_create(&id, "attaching it to the VPC"))?;
        }
        Ok(id)
    }

    async fn attach(p: &AwsProvider, ctx: &CallContext, id: &str, vpc_id: &str) -> Result<(), ProviderError> {
        let ec2 = p.ec2().await?;
        p.call_tolerating(window(p, ctx), &["InvalidInternetGatewayID.NotFound", "InvalidVpcID.NotFound"], || {
            ec2.attach_internet_gateway().internet_gateway_id(id).vpc_id(vpc_id).send()
        })
        .await?;
        Ok(())
    }

    /// Detaches from `vpc_id`; not being attached (any more) is success.
    async fn detach(p: &AwsProvider, ctx: &CallContext, id: &str, vpc_id: &str) -> Result<(), ProviderError> {
        let ec2 = p.ec2().await?;
        // Public addresses still mapped in the VPC (a NAT gateway being
        // deleted) make AWS refuse for a while.
        let detached = p
            .call_tolerating(limit(ctx, minutes(15)), &["DependencyViolation"], || {
                ec2.detach_internet_gateway().internet_gateway_id(id).vpc_id(vpc_id).send()
            })
            .await;
        match detached {
            Err(e) if e.code == "Gateway.NotAttached" => Ok(()),
            other => gone_is_ok(other),
        }
    }

    /// The VPCs the gateway is attached (or attaching) to.
    async fn attached_vpcs(p: &AwsProvider, id: &str) -> Result<Option<Vec<String>>, ProviderError> {
        let ec2 = p.ec2().await?;
        let out = p.call(|| ec2.describe_internet_gateways().internet_gateway_ids(id).send()).await?;
        let Some(g) = out.internet_gateways().iter().find(|g| g.internet_gateway_id() == Some(id)) else {
            return Ok(None);
        };
        Ok(Some(
            g.attachments()
                .iter()
                .filter(|a| !matches!(a.state(), Some(AttachmentStatus::Detached | AttachmentStatus::Detaching)))
                .filter_map(|a| a.vpc_id().map(str::to_string))
                .collect(),
        ))
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let ec2 = p.ec2().await?;
        let out = p.call(|| ec2.describe_internet_gateways().internet_gateway_ids(id).send()).await?;
        let Some(g) = out.internet_gateways().iter().find(|g| g.internet_gateway_id() == Some(id)) else {
            return Ok(None);
        };
        let vpc_id = g
            .attachments()
            .iter()
            .filter(|a| !matches!(a.state(), Some(AttachmentStatus::Detached | AttachmentStatus::Detaching)))
            .find_map(|a| a.vpc_id());
        let arn = ec2_arn(p, g.owner_id(), &format!("internet-gateway/{id}")).await?;
        Ok(Some(
            Outputs::new(id, p.region().await?)
                .string("arn", Some(arn))
                .string("vpcId", vpc_id)
                .string("ownerId", g.owner_id())
                .tags(tag_pairs(g.tags()))
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
        let wanted = optional_str(new, "vpcId")?;
        let attached = attached_vpcs(p, id).await?.unwrap_or_default();
        for vpc in attached.iter().filter(|v| Some(v.as_str()) != wanted) {
            detach(p, ctx, id, vpc).await?;
        }
        if let Some(vpc) = wanted.filter(|w| !attached.iter().any(|a| a == w)) {
            attach(p, ctx, id, vpc).await?;
        }
        apply_tags(p, ctx, id, old, new).await
    }

    pub(super) async fn delete(p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<(), ProviderError> {
        let ec2 = p.ec2().await?;
        for vpc in attached_vpcs(p, id).await?.unwrap_or_default() {
            detach(p, ctx, id, &vpc).await?;
        }
        p.call_tolerating(limit(ctx, minutes(20)), &["DependencyViolation"], || {
            ec2.delete_internet_gateway().internet_gateway_id(id).send()
        })
        .await?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Elastic IP
// ---------------------------------------------------------------------------

mod eip {
    use super::*;
    use aws_sdk_ec2::types::DomainType;

    pub(super) const SUPPORTED: &[&str] = &["domain", "networkBorderGroup", "publicIpv4Pool", "region", "tags"];

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        match check_str(inputs, "domain")? {
            None | Some("vpc") => Ok(()),
            Some(other) => {
                Err(ProviderError::invalid(format!("domain must be \"vpc\" (EC2-Classic is gone), got {other:?}")))
            }
        }
    }

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let ec2 = p.ec2().await?;
        let border_group = optional_str(inputs, "networkBorderGroup")?.map(str::to_string);
        let pool = optional_str(inputs, "publicIpv4Pool")?.map(str::to_string);
        let tags = tag_spec(ResourceType::ElasticIp, &tags_for_create(ctx, inputs)?);
        let out = p
            .call(|| {
                ec2.allocate_address()
                    .domain(DomainType::Vpc)
                    .set_network_border_group(border_group.clone())
                    .set_public_ipv4_pool(pool.clone())
                    .tag_specifications(tags.clone())
                    .send()
            })
            .await?;
        out.allocation_id().map(str::to_string).ok_or_else(|| missing_field("AllocateAddress", "AllocationId"))
    }

    /// The public DNS name AWS gives the address (pulumi-aws's `publicDns`).
    fn public_dns(ip: &str, region: &str) -> String {
        let dashed = ip.replace('.', "-");
        if region == "us-east-1" {
            format!("ec2-{dashed}.compute-1.amazonaws.com")
        } else {
            format!("ec2-{dashed}.{region}.compute.amazonaws.com")
        }
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let ec2 = p.ec2().await?;
        let out = p.call(|| ec2.describe_addresses().allocation_ids(id).send()).await?;
        let Some(a) = out.addresses().iter().find(|a| a.allocation_id() == Some(id)) else { return Ok(None) };
        let region = p.region().await?;
        let arn = ec2_arn(p, None, &format!("elastic-ip/{id}")).await?;
        Ok(Some(
            Outputs::new(id, region)
                .string("arn", Some(arn))
                .string("allocationId", a.allocation_id())
                .string("domain", a.domain().map(|d| d.as_str()))
                .string("publicIp", a.public_ip())
                .string("publicDns", a.public_ip().map(|ip| public_dns(ip, region)))
                .string("networkBorderGroup", a.network_border_group())
                .string("publicIpv4Pool", a.public_ipv4_pool())
                .tags(tag_pairs(a.tags()))
                .build(),
        ))
    }

    pub(super) async fn delete(p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<(), ProviderError> {
        let ec2 = p.ec2().await?;
        // Just after its NAT gateway is deleted the address can still be "in use".
        p.call_tolerating(limit(ctx, minutes(3)), &["InvalidIPAddress.InUse"], || {
            ec2.release_address().allocation_id(id).send()
        })
        .await?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// NAT gateway
// ---------------------------------------------------------------------------

mod nat {
    use super::*;
    use aws_sdk_ec2::types::{ConnectivityType, NatGatewayState};
    use rand::Rng;

    pub(super) const SUPPORTED: &[&str] =
        &["allocationId", "connectivityType", "privateIp", "region", "subnetId", "tags"];

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        if !inputs.contains_key("subnetId") {
            return Err(ProviderError::invalid("subnetId is required (regional NAT gateways are not implemented)"));
        }
        let connectivity = check_str(inputs, "connectivityType")?;
        match connectivity {
            None | Some("public") => {
                if !inputs.contains_key("allocationId") {
                    return Err(ProviderError::invalid("a public NAT gateway needs allocationId (an Elastic IP)"));
                }
            }
            Some("private") => {
                if inputs.get("allocationId").is_some_and(|v| !v.is_null()) {
                    return Err(ProviderError::invalid("a private NAT gateway takes no allocationId"));
                }
            }
            Some(other) => {
                return Err(ProviderError::invalid(format!(
                    "connectivityType must be public or private, got {other:?}"
                )));
            }
        }
        if let Some(ip) = check_str(inputs, "privateIp")? {
            ip.parse::<Ipv4Addr>()
                .map_err(|_| ProviderError::invalid(format!("privateIp {ip:?} is not an IPv4 address")))?;
        }
        Ok(())
    }

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let ec2 = p.ec2().await?;
        let subnet_id = required_str(inputs, "subnetId")?;
        let allocation_id = optional_str(inputs, "allocationId")?.map(str::to_string);
        let connectivity = optional_str(inputs, "connectivityType")?.map(ConnectivityType::from);
        let private_ip = optional_str(inputs, "privateIp")?.map(str::to_string);
        let tags = tag_spec(ResourceType::Natgateway, &tags_for_create(ctx, inputs)?);
        // One token for every attempt: a retried request must not make a second gateway.
        let token = format!("tapctl-{:016x}", rand::thread_rng().gen::<u64>());
        let out = p
            .call_tolerating(window(p, ctx), &["InvalidSubnetID.NotFound", "InvalidAllocationID.NotFound"], || {
                ec2.create_nat_gateway()
                    .subnet_id(subnet_id)
                    .set_allocation_id(allocation_id.clone())
                    .set_connectivity_type(connectivity.clone())
                    .set_private_ip_address(private_ip.clone())
                    .client_token(&token)
                    .tag_specifications(tags.clone())
                    .send()
            })
            .await?;
        let id = out
            .nat_gateway()
            .and_then(|g| g.nat_gateway_id())
            .ok_or_else(|| missing_field("CreateNatGateway", "NatGateway.NatGatewayId"))?
            .to_string();
        wait_available(p, ctx, &id).await.map_err(after_create(&id, "waiting for it to be available"))?;
        Ok(id)
    }

    async fn wait_available(p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<(), ProviderError> {
        let ec2 = p.ec2().await?;
        let within = limit(ctx, minutes(10));
        let what = format!("NAT gateway {id} to be available");
        let what_ref: &str = &what;
        let waited = p
            .wait_until(&what, within, || async move {
                let waited = ec2.wait_until_nat_gateway_available().nat_gateway_ids(id).wait(within).await;
                found(waited.map_err(|e| waiter_error(what_ref, e)))
            })
            .await;
        match waited {
            Err(e) if e.code == "FailureState" => {
                // Say why: AWS records it on the failed gateway.
                let out = p.call(|| ec2.describe_nat_gateways().nat_gateway_ids(id).send()).await?;
                let g = out.nat_gateways().first();
                let code = g.and_then(|g| g.failure_code()).unwrap_or("NatGatewayFailed").to_string();
                let message = g.and_then(|g| g.failure_message()).unwrap_or("the NAT gateway failed").to_string();
                Err(ProviderError::new(ErrorKind::Permanent, code, message))
            }
            other => other.map(|_| ()),
        }
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let ec2 = p.ec2().await?;
        let out = p.call(|| ec2.describe_nat_gateways().nat_gateway_ids(id).send()).await?;
        let Some(g) = out.nat_gateways().iter().find(|g| g.nat_gateway_id() == Some(id)) else { return Ok(None) };
        if matches!(g.state(), Some(NatGatewayState::Deleted | NatGatewayState::Deleting)) {
            return Ok(None);
        }
        let primary = g.nat_gateway_addresses().iter().find(|a| a.is_primary() != Some(false));
        Ok(Some(
            Outputs::new(id, p.region().await?)
                .string("subnetId", g.subnet_id())
                .string("vpcId", g.vpc_id())
                .string("connectivityType", Some(g.connectivity_type().map_or("public", |c| c.as_str())))
                .string("allocationId", primary.and_then(|a| a.allocation_id()))
                .string("associationId", primary.and_then(|a| a.association_id()))
                .string("networkInterfaceId", primary.and_then(|a| a.network_interface_id()))
                .string("privateIp", primary.and_then(|a| a.private_ip()))
                .string("publicIp", primary.and_then(|a| a.public_ip()))
                .tags(tag_pairs(g.tags()))
                .build(),
        ))
    }

    pub(super) async fn delete(p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<(), ProviderError> {
        let ec2 = p.ec2().await?;
        gone_is_ok(p.call(|| ec2.delete_nat_gateway().nat_gateway_id(id).send()).await)?;
        // Real AWS refuses to release the Elastic IP or delete the subnet
        // while the gateway is still deleting: finish here.
        let within = limit(ctx, minutes(30));
        let what = format!("NAT gateway {id} to be deleted");
        let waited = ec2.wait_until_nat_gateway_deleted().nat_gateway_ids(id).wait(within).await;
        gone_is_ok(waited.map_err(|e| waiter_error(&what, e)))
    }
}

// ---------------------------------------------------------------------------
// Route table
// ---------------------------------------------------------------------------

mod route_table {
    use super::*;

    pub(super) const SUPPORTED: &[&str] = &["region", "tags", "vpcId"];

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let ec2 = p.ec2().await?;
        let vpc_id = required_str(inputs, "vpcId")?;
        let tags = tag_spec(ResourceType::RouteTable, &tags_for_create(ctx, inputs)?);
        let out = p
            .call_tolerating(window(p, ctx), &["InvalidVpcID.NotFound"], || {
                ec2.create_route_table().vpc_id(vpc_id).tag_specifications(tags.clone()).send()
            })
            .await?;
        out.route_table()
            .and_then(|t| t.route_table_id())
            .map(str::to_string)
            .ok_or_else(|| missing_field("CreateRouteTable", "RouteTable.RouteTableId"))
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let ec2 = p.ec2().await?;
        let out = p.call(|| ec2.describe_route_tables().route_table_ids(id).send()).await?;
        let Some(t) = out.route_tables().iter().find(|t| t.route_table_id() == Some(id)) else { return Ok(None) };
        let arn = ec2_arn(p, t.owner_id(), &format!("route-table/{id}")).await?;
        Ok(Some(
            Outputs::new(id, p.region().await?)
                .string("arn", Some(arn))
                .string("vpcId", t.vpc_id())
                .string("ownerId", t.owner_id())
                .tags(tag_pairs(t.tags()))
                .build(),
        ))
    }

    pub(super) async fn delete(p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<(), ProviderError> {
        let ec2 = p.ec2().await?;
        p.call_tolerating(limit(ctx, minutes(5)), &["DependencyViolation"], || {
            ec2.delete_route_table().route_table_id(id).send()
        })
        .await?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Route
// ---------------------------------------------------------------------------

/// Routes have no AWS id. tapctl's id is pulumi-aws's *import* form,
/// `<routeTableId>_<destination>` (e.g. `rtb-0abc…_0.0.0.0/0`), not its
/// `r-<routeTableId><hash>` state id: `read` gets only the id, and only this
/// form says which table and destination to look up.
mod route {
    use super::*;
    use aws_sdk_ec2::types::Route;

    pub(super) const SUPPORTED: &[&str] = &[
        "destinationCidrBlock",
        "destinationIpv6CidrBlock",
        "destinationPrefixListId",
        "egressOnlyGatewayId",
        "gatewayId",
        "natGatewayId",
        "networkInterfaceId",
        "region",
        "routeTableId",
        "transitGatewayId",
        "vpcPeeringConnectionId",
    ];

    const DESTINATIONS: &[&str] = &["destinationCidrBlock", "destinationIpv6CidrBlock", "destinationPrefixListId"];
    const TARGETS: &[&str] = &[
        "egressOnlyGatewayId",
        "gatewayId",
        "natGatewayId",
        "networkInterfaceId",
        "transitGatewayId",
        "vpcPeeringConnectionId",
    ];

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        one_of(inputs, DESTINATIONS, true)?;
        one_of(inputs, TARGETS, true)?;
        if let Some(cidr) = check_str(inputs, "destinationCidrBlock")? {
            check_ipv4_cidr("destinationCidrBlock", cidr, 0..=32)?;
        }
        if let Some(cidr) = check_str(inputs, "destinationIpv6CidrBlock")? {
            check_ipv6_cidr("destinationIpv6CidrBlock", cidr)?;
        }
        Ok(())
    }

    /// The route's id from its table and destination.
    pub(super) fn id(route_table_id: &str, destination: &str) -> String {
        format!("{route_table_id}_{destination}")
    }

    fn split_id(id: &str) -> Result<(&str, &str), ProviderError> {
        id.split_once('_').filter(|(t, d)| t.starts_with("rtb-") && !d.is_empty()).ok_or_else(|| {
            ProviderError::invalid(format!("route id {id:?} is not of the form <routeTableId>_<destination>"))
        })
    }

    pub(super) fn destination(inputs: &PropertyMap) -> Result<&str, ProviderError> {
        DESTINATIONS
            .iter()
            .find_map(|d| optional_str(inputs, d).transpose())
            .unwrap_or_else(|| Err(ProviderError::invalid(format!("set one of {}", DESTINATIONS.join(", ")))))
    }

    fn route_destination(r: &Route) -> Option<&str> {
        r.destination_cidr_block().or(r.destination_ipv6_cidr_block()).or(r.destination_prefix_list_id())
    }

    /// The targets a request sets: the input for each of [`TARGETS`].
    struct Targets(BTreeMap<&'static str, Option<String>>);

    impl Targets {
        fn of(inputs: &PropertyMap) -> Result<Targets, ProviderError> {
            let mut map = BTreeMap::new();
            for t in TARGETS {
                map.insert(*t, optional_str(inputs, t)?.map(str::to_string));
            }
            Ok(Targets(map))
        }

        fn get(&self, name: &str) -> Option<String> {
            self.0.get(name).cloned().flatten()
        }
    }

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let ec2 = p.ec2().await?;
        let table = required_str(inputs, "routeTableId")?;
        let dest = destination(inputs)?;
        let t = Targets::of(inputs)?;
        let v4 = optional_str(inputs, "destinationCidrBlock")?.map(str::to_string);
        let v6 = optional_str(inputs, "destinationIpv6CidrBlock")?.map(str::to_string);
        let pl = optional_str(inputs, "destinationPrefixListId")?.map(str::to_string);
        p.call_tolerating(
            window(p, ctx),
            &["InvalidRouteTableID.NotFound", "InvalidNatGatewayID.NotFound", "InvalidGatewayID.NotFound"],
            || {
                ec2.create_route()
                    .route_table_id(table)
                    .set_destination_cidr_block(v4.clone())
                    .set_destination_ipv6_cidr_block(v6.clone())
                    .set_destination_prefix_list_id(pl.clone())
                    .set_egress_only_internet_gateway_id(t.get("egressOnlyGatewayId"))
                    .set_gateway_id(t.get("gatewayId"))
                    .set_nat_gateway_id(t.get("natGatewayId"))
                    .set_network_interface_id(t.get("networkInterfaceId"))
                    .set_transit_gateway_id(t.get("transitGatewayId"))
                    .set_vpc_peering_connection_id(t.get("vpcPeeringConnectionId"))
                    .send()
            },
        )
        .await?;
        Ok(id(table, dest))
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let (table, dest) = split_id(id)?;
        let ec2 = p.ec2().await?;
        let out = p.call(|| ec2.describe_route_tables().route_table_ids(table).send()).await?;
        let Some(t) = out.route_tables().iter().find(|t| t.route_table_id() == Some(table)) else { return Ok(None) };
        let Some(r) = t.routes().iter().find(|r| route_destination(r) == Some(dest)) else { return Ok(None) };
        Ok(Some(
            Outputs::new(id, p.region().await?)
                .string("routeTableId", Some(table))
                .string("destinationCidrBlock", r.destination_cidr_block())
                .string("destinationIpv6CidrBlock", r.destination_ipv6_cidr_block())
                .string("destinationPrefixListId", r.destination_prefix_list_id())
                .string("egressOnlyGatewayId", r.egress_only_internet_gateway_id())
                .string("gatewayId", r.gateway_id())
                .string("natGatewayId", r.nat_gateway_id())
                .string("networkInterfaceId", r.network_interface_id())
                .string("transitGatewayId", r.transit_gateway_id())
                .string("vpcPeeringConnectionId", r.vpc_peering_connection_id())
                .string("instanceId", r.instance_id())
                .string("instanceOwnerId", r.instance_owner_id())
                .string("origin", r.origin().map(|o| o.as_str()))
                .string("state", r.state().map(|s| s.as_str()))
                .build(),
        ))
    }

    /// Points the route at its new target (ReplaceRoute keeps the id).
    pub(super) async fn update(p: &AwsProvider, id: &str, new: &PropertyMap) -> Result<(), ProviderError> {
        let (table, _) = split_id(id)?;
        let ec2 = p.ec2().await?;
        let t = Targets::of(new)?;
        let v4 = optional_str(new, "destinationCidrBlock")?.map(str::to_string);
        let v6 = optional_str(new, "destinationIpv6CidrBlock")?.map(str::to_string);
        let pl = optional_str(new, "destinationPrefixListId")?.map(str::to_string);
        p.call(|| {
            ec2.replace_route()
                .route_table_id(table)
                .set_destination_cidr_block(v4.clone())
                .set_destination_ipv6_cidr_block(v6.clone())
                .set_destination_prefix_list_id(pl.clone())
                .set_egress_only_internet_gateway_id(t.get("egressOnlyGatewayId"))
                .set_gateway_id(t.get("gatewayId"))
                .set_nat_gateway_id(t.get("natGatewayId"))
                .set_network_interface_id(t.get("networkInterfaceId"))
                .set_transit_gateway_id(t.get("transitGatewayId"))
                .set_vpc_peering_connection_id(t.get("vpcPeeringConnectionId"))
                .send()
        })
        .await?;
        Ok(())
    }

    pub(super) async fn delete(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
        let (table, dest) = split_id(id)?;
        let ec2 = p.ec2().await?;
        let request = || {
            let req = ec2.delete_route().route_table_id(table);
            if dest.starts_with("pl-") {
                req.destination_prefix_list_id(dest)
            } else if dest.contains(':') {
                req.destination_ipv6_cidr_block(dest)
            } else {
                req.destination_cidr_block(dest)
            }
            .send()
        };
        p.call(request).await?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Route table association
// ---------------------------------------------------------------------------

mod rta {
    use super::*;
    use aws_sdk_ec2::types::RouteTableAssociationStateCode as State;

    pub(super) const SUPPORTED: &[&str] = &["gatewayId", "region", "routeTableId", "subnetId"];

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        one_of(inputs, &["subnetId", "gatewayId"], true)
    }

    /// pulumi-aws moves an association to another table in place
    /// (ReplaceRouteTableAssociation), but that yields a new association id
    /// and an update cannot change a resource's id; so a new table replaces
    /// the association — deleting first, as a subnet has one association.
    pub(super) fn diff(old: &PropertyMap, new: &PropertyMap, mut base: DiffResult) -> DiffResult {
        if base.changed.iter().any(|k| k == "routeTableId") && !base.replace_keys.iter().any(|k| k == "routeTableId") {
            base.replace_keys.push("routeTableId".into());
        }
        if !base.replace_keys.is_empty() && !changed(old, new, "subnetId") && !changed(old, new, "gatewayId") {
            base.delete_before_replace = true;
        }
        base
    }

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let ec2 = p.ec2().await?;
        let table = required_str(inputs, "routeTableId")?;
        let subnet = optional_str(inputs, "subnetId")?.map(str::to_string);
        let gateway = optional_str(inputs, "gatewayId")?.map(str::to_string);
        let out = p
            .call_tolerating(window(p, ctx), &["InvalidRouteTableID.NotFound", "InvalidSubnetID.NotFound"], || {
                ec2.associate_route_table()
                    .route_table_id(table)
                    .set_subnet_id(subnet.clone())
                    .set_gateway_id(gateway.clone())
                    .send()
            })
            .await?;
        let id = out.association_id().ok_or_else(|| missing_field("AssociateRouteTable", "AssociationId"))?.to_string();
        let what = format!("route table association {id} to be associated");
        let assoc_id: &str = &id;
        p.wait_until(&what, limit(ctx, minutes(5)), || async move {
            Ok(match state(p, assoc_id).await? {
                Some(State::Associated) | None => Some(()),
                Some(State::Failed) => {
                    return Err(ProviderError::new(
                        ErrorKind::Permanent,
                        "AssociationFailed",
                        format!("{assoc_id} failed"),
                    ))
                }
                Some(_) => None,
            })
        })
        .await
        .map_err(after_create(&id, "waiting for it to be associated"))?;
        Ok(id)
    }

    async fn find(
        p: &AwsProvider,
        id: &str,
    ) -> Result<Option<aws_sdk_ec2::types::RouteTableAssociation>, ProviderError> {
        let ec2 = p.ec2().await?;
        let out = p
            .call(|| ec2.describe_route_tables().filters(filter("association.route-table-association-id", id)).send())
            .await?;
        Ok(out
            .route_tables()
            .iter()
            .flat_map(|t| t.associations())
            .find(|a| a.route_table_association_id() == Some(id))
            .cloned())
    }

    /// The associations of the input's table with its subnet or gateway.
    pub(super) async fn find_by_inputs(p: &AwsProvider, inputs: &PropertyMap) -> Result<Vec<String>, ProviderError> {
        let ec2 = p.ec2().await?;
        let table = required_str(inputs, "routeTableId")?;
        let subnet = optional_str(inputs, "subnetId")?;
        let gateway = optional_str(inputs, "gatewayId")?;
        let described = p.call(|| ec2.describe_route_tables().route_table_ids(table).send()).await;
        let Some(out) = found(described)? else { return Ok(Vec::new()) };
        Ok(out
            .route_tables()
            .iter()
            .flat_map(|t| t.associations())
            .filter(|a| a.route_table_id() == Some(table))
            .filter(|a| {
                (subnet.is_some() && a.subnet_id() == subnet) || (gateway.is_some() && a.gateway_id() == gateway)
            })
            .filter_map(|a| a.route_table_association_id().map(str::to_string))
            .collect())
    }

    async fn state(p: &AwsProvider, id: &str) -> Result<Option<State>, ProviderError> {
        Ok(find(p, id).await?.and_then(|a| a.association_state().and_then(|s| s.state()).cloned()))
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let Some(a) = find(p, id).await? else { return Ok(None) };
        if matches!(
            a.association_state().and_then(|s| s.state()),
            Some(State::Disassociated | State::Disassociating | State::Failed)
        ) {
            return Ok(None);
        }
        Ok(Some(
            Outputs::new(id, p.region().await?)
                .string("routeTableId", a.route_table_id())
                .string("subnetId", a.subnet_id())
                .string("gatewayId", a.gateway_id())
                .build(),
        ))
    }

    pub(super) async fn delete(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
        let ec2 = p.ec2().await?;
        p.call(|| ec2.disassociate_route_table().association_id(id).send()).await?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Security group
// ---------------------------------------------------------------------------

mod sg {
    use super::*;
    use rand::Rng;

    pub(super) const SUPPORTED: &[&str] = &["description", "name", "namePrefix", "region", "tags", "vpcId"];

    /// pulumi-aws's default description.
    const DEFAULT_DESCRIPTION: &str = "Managed by Pulumi";

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        one_of(inputs, &["name", "namePrefix"], false)?;
        if let Some(name) = check_str(inputs, "name")? {
            if name.is_empty() || name.chars().count() > 255 || name.starts_with("sg-") {
                return Err(ProviderError::invalid(format!(
                    "name {name:?} must have 1 to 255 characters and not start with sg-"
                )));
            }
        }
        if let Some(prefix) = check_str(inputs, "namePrefix")? {
            if prefix.chars().count() > 100 {
                return Err(ProviderError::invalid("namePrefix must have at most 100 characters"));
            }
        }
        if let Some(d) = check_str(inputs, "description")? {
            if d.chars().count() > 255 {
                return Err(ProviderError::invalid("description must have at most 255 characters"));
            }
        }
        Ok(())
    }

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let ec2 = p.ec2().await?;
        let suffix = || format!("{:08x}", rand::thread_rng().gen::<u32>());
        let name = match (optional_str(inputs, "name")?, optional_str(inputs, "namePrefix")?) {
            (Some(name), _) => name.to_string(),
            (None, Some(prefix)) => format!("{prefix}{}", suffix()),
            // Autonamed like Pulumi: the logical name and a random suffix.
            (None, None) => format!("{}-{}", ctx.urn.name(), suffix()),
        };
        let description = optional_str(inputs, "description")?.unwrap_or(DEFAULT_DESCRIPTION);
        // Without vpcId AWS puts the group in the region's default VPC.
        let vpc_id = optional_str(inputs, "vpcId")?.map(str::to_string);
        let tags = tag_spec(ResourceType::SecurityGroup, &tags_for_create(ctx, inputs)?);
        let out = p
            .call_tolerating(window(p, ctx), &["InvalidVpcID.NotFound"], || {
                ec2.create_security_group()
                    .group_name(&name)
                    .description(description)
                    .set_vpc_id(vpc_id.clone())
                    .tag_specifications(tags.clone())
                    .send()
            })
            .await?;
        let id = out.group_id().ok_or_else(|| missing_field("CreateSecurityGroup", "GroupId"))?.to_string();
        revoke_default_egress(p, ctx, &id).await.map_err(after_create(&id, "revoking its default egress rule"))?;
        Ok(id)
    }

    /// AWS gives every new VPC security group an allow-all egress rule.
    /// pulumi-aws (Terraform) revokes it at creation so that egress is only
    /// what the program declares — here as separate egress rule resources.
    async fn revoke_default_egress(p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<(), ProviderError> {
        let ec2 = p.ec2().await?;
        let out = p
            .call_tolerating(window(p, ctx), &["InvalidGroup.NotFound"], || {
                ec2.describe_security_group_rules().filters(filter("group-id", id)).send()
            })
            .await?;
        let egress: Vec<String> = out
            .security_group_rules()
            .iter()
            .filter(|r| r.is_egress() == Some(true))
            .filter_map(|r| r.security_group_rule_id().map(str::to_string))
            .collect();
        if !egress.is_empty() {
            p.call(|| {
                ec2.revoke_security_group_egress().group_id(id).set_security_group_rule_ids(Some(egress.clone())).send()
            })
            .await?;
        }
        Ok(())
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let ec2 = p.ec2().await?;
        let out = p.call(|| ec2.describe_security_groups().group_ids(id).send()).await?;
        let Some(g) = out.security_groups().iter().find(|g| g.group_id() == Some(id)) else { return Ok(None) };
        let arn = ec2_arn(p, g.owner_id(), &format!("security-group/{id}")).await?;
        Ok(Some(
            Outputs::new(id, p.region().await?)
                .string("arn", Some(arn))
                .string("name", g.group_name())
                .string("description", g.description())
                .string("vpcId", g.vpc_id())
                .string("ownerId", g.owner_id())
                .tags(tag_pairs(g.tags()))
                .build(),
        ))
    }

    pub(super) async fn delete(p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<(), ProviderError> {
        let ec2 = p.ec2().await?;
        // ENIs of tasks or load balancers just deleted hold the group for a
        // while; pulumi-aws waits them out the same way.
        p.call_tolerating(limit(ctx, minutes(15)), &["DependencyViolation"], || {
            ec2.delete_security_group().group_id(id).send()
        })
        .await?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Security group ingress / egress rules
// ---------------------------------------------------------------------------

mod rule {
    use super::*;
    use aws_sdk_ec2::types::{
        IpPermission, IpRange, Ipv6Range, PrefixListId, SecurityGroupRuleRequest, SecurityGroupRuleUpdate,
        UserIdGroupPair,
    };

    pub(super) const SUPPORTED: &[&str] = &[
        "cidrIpv4",
        "cidrIpv6",
        "description",
        "fromPort",
        "ipProtocol",
        "prefixListId",
        "referencedSecurityGroupId",
        "region",
        "securityGroupId",
        "tags",
        "toPort",
    ];

    /// The peer (source for ingress, destination for egress); exactly one.
    const PEERS: &[&str] = &["cidrIpv4", "cidrIpv6", "prefixListId", "referencedSecurityGroupId"];

    /// Protocol numbers AWS reports by name: the name must be used, or a
    /// refresh would see `tcp` where the program says `6`.
    const NAMED: &[(&str, &str)] = &[("1", "icmp"), ("6", "tcp"), ("17", "udp"), ("58", "icmpv6")];

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        one_of(inputs, PEERS, true)?;
        if let Some(cidr) = check_str(inputs, "cidrIpv4")? {
            check_ipv4_cidr("cidrIpv4", cidr, 0..=32)?;
        }
        if let Some(cidr) = check_str(inputs, "cidrIpv6")? {
            check_ipv6_cidr("cidrIpv6", cidr)?;
        }
        if let Some(d) = check_str(inputs, "description")? {
            if d.chars().count() > 255 {
                return Err(ProviderError::invalid("description must have at most 255 characters"));
            }
        }
        let Some(protocol) = check_str(inputs, "ipProtocol")? else { return Ok(()) };
        if let Some((_, name)) = NAMED.iter().find(|(n, _)| *n == protocol) {
            return Err(ProviderError::invalid(format!("ipProtocol: write {name:?} rather than {protocol:?}")));
        }
        let numeric = protocol.parse::<u8>().is_ok();
        if !numeric && !matches!(protocol, "tcp" | "udp" | "icmp" | "icmpv6" | "-1") {
            return Err(ProviderError::invalid(format!(
                "ipProtocol must be tcp, udp, icmp, icmpv6, -1 (all) or a protocol number 0-255, got {protocol:?}"
            )));
        }
        let port =
            |name: &str| known(inputs, name).map(|_| optional_i32(inputs, name)).transpose().map(Option::flatten);
        let (from, to) = (port("fromPort")?, port("toPort")?);
        let unknown_port = |name: &str| inputs.get(name).is_some_and(Value::contains_unknown);
        match protocol {
            "tcp" | "udp" => {
                if unknown_port("fromPort") || unknown_port("toPort") {
                    return Ok(());
                }
                let (Some(from), Some(to)) = (from, to) else {
                    return Err(ProviderError::invalid(format!("ipProtocol {protocol} needs fromPort and toPort")));
                };
                if !(0..=65535).contains(&from) || !(0..=65535).contains(&to) || from > to {
                    return Err(ProviderError::invalid(format!(
                        "ports {from}-{to}: fromPort and toPort must be 0-65535 with fromPort <= toPort"
                    )));
                }
            }
            "icmp" | "icmpv6" => {
                for (name, v) in [("fromPort (ICMP type)", from), ("toPort (ICMP code)", to)] {
                    if v.is_some_and(|v| !(-1..=255).contains(&v)) {
                        return Err(ProviderError::invalid(format!("{name} must be -1 to 255")));
                    }
                }
            }
            _ => {
                if from.is_some_and(|v| v != -1) || to.is_some_and(|v| v != -1) {
                    return Err(ProviderError::invalid(format!("ipProtocol {protocol} takes no ports")));
                }
            }
        }
        Ok(())
    }

    /// Changing the kind of peer (CIDR to security group, …) replaces the
    /// rule, as in pulumi-aws; changing its value is an in-place update.
    pub(super) fn diff(old: &PropertyMap, new: &PropertyMap, mut base: DiffResult) -> DiffResult {
        let (was, is) = (set_among(old, PEERS), set_among(new, PEERS));
        if was != is {
            for key in was.into_iter().chain(is) {
                if !base.replace_keys.iter().any(|k| k == key) {
                    base.replace_keys.push(key.to_string());
                }
            }
        }
        base
    }

    /// `(fromPort, toPort)` as AWS takes them: the ports for tcp/udp, type
    /// and code (default -1: all) for ICMP, -1 for everything else.
    fn ports(inputs: &PropertyMap) -> Result<(i32, i32), ProviderError> {
        let protocol = required_str(inputs, "ipProtocol")?;
        let (from, to) = (optional_i32(inputs, "fromPort")?, optional_i32(inputs, "toPort")?);
        Ok(match protocol {
            "tcp" | "udp" => (
                from.ok_or_else(|| ProviderError::invalid("input fromPort is required"))?,
                to.ok_or_else(|| ProviderError::invalid("input toPort is required"))?,
            ),
            "icmp" | "icmpv6" => (from.unwrap_or(-1), to.unwrap_or(-1)),
            _ => (-1, -1),
        })
    }

    fn permission(inputs: &PropertyMap) -> Result<IpPermission, ProviderError> {
        let protocol = required_str(inputs, "ipProtocol")?;
        let (from, to) = ports(inputs)?;
        let description = optional_str(inputs, "description")?.map(str::to_string);
        let mut perm = IpPermission::builder().ip_protocol(protocol).from_port(from).to_port(to);
        if let Some(c) = optional_str(inputs, "cidrIpv4")? {
            perm = perm.ip_ranges(IpRange::builder().cidr_ip(c).set_description(description.clone()).build());
        }
        if let Some(c) = optional_str(inputs, "cidrIpv6")? {
            perm = perm.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(c).set_description(description.clone()).build());
        }
        if let Some(pl) = optional_str(inputs, "prefixListId")? {
            perm = perm.prefix_list_ids(
                PrefixListId::builder().prefix_list_id(pl).set_description(description.clone()).build(),
            );
        }
        if let Some(g) = optional_str(inputs, "referencedSecurityGroupId")? {
            perm =
                perm.user_id_group_pairs(UserIdGroupPair::builder().group_id(g).set_description(description).build());
        }
        Ok(perm.build())
    }

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let ec2 = p.ec2().await?;
        let group = required_str(inputs, "securityGroupId")?;
        let perm = permission(inputs)?;
        let tags = tag_spec(ResourceType::SecurityGroupRule, &tags_for_create(ctx, inputs)?);
        let tolerated = &["InvalidGroup.NotFound"];
        let rules = if ctx.token == EGRESS_RULE {
            p.call_tolerating(window(p, ctx), tolerated, || {
                ec2.authorize_security_group_egress()
                    .group_id(group)
                    .ip_permissions(perm.clone())
                    .tag_specifications(tags.clone())
                    .send()
            })
            .await?
            .security_group_rules
        } else {
            p.call_tolerating(window(p, ctx), tolerated, || {
                ec2.authorize_security_group_ingress()
                    .group_id(group)
                    .ip_permissions(perm.clone())
                    .tag_specifications(tags.clone())
                    .send()
            })
            .await?
            .security_group_rules
        };
        rules
            .unwrap_or_default()
            .first()
            .and_then(|r| r.security_group_rule_id())
            .map(str::to_string)
            .ok_or_else(|| missing_field("AuthorizeSecurityGroupRule", "SecurityGroupRules[0].SecurityGroupRuleId"))
    }

    pub(super) async fn read(p: &AwsProvider, id: &str, egress: bool) -> Result<Option<PropertyMap>, ProviderError> {
        let ec2 = p.ec2().await?;
        let out = p.call(|| ec2.describe_security_group_rules().security_group_rule_ids(id).send()).await?;
        let Some(r) = out.security_group_rules().iter().find(|r| r.security_group_rule_id() == Some(id)) else {
            return Ok(None);
        };
        if r.is_egress() != Some(egress) {
            // An ingress rule is not this egress resource, and vice versa.
            return Ok(None);
        }
        let arn = match r.security_group_rule_arn() {
            Some(arn) => arn.to_string(),
            None => ec2_arn(p, r.group_owner_id(), &format!("security-group-rule/{id}")).await?,
        };
        let protocol = r.ip_protocol();
        let all = protocol == Some("-1");
        let port = |v: Option<i32>| if all { None } else { v.map(i64::from) };
        Ok(Some(
            Outputs::new(id, p.region().await?)
                .string("arn", Some(arn))
                .string("securityGroupRuleId", Some(id))
                .string("securityGroupId", r.group_id())
                .string("ipProtocol", protocol)
                .int("fromPort", port(r.from_port()))
                .int("toPort", port(r.to_port()))
                .string("cidrIpv4", r.cidr_ipv4())
                .string("cidrIpv6", r.cidr_ipv6())
                .string("prefixListId", r.prefix_list_id())
                .string("referencedSecurityGroupId", r.referenced_group_info().and_then(|g| g.group_id()))
                .string("description", r.description().filter(|d| !d.is_empty()))
                .tags(tag_pairs(r.tags()))
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
        let rule_keys = [
            "ipProtocol",
            "fromPort",
            "toPort",
            "description",
            "cidrIpv4",
            "cidrIpv6",
            "prefixListId",
            "referencedSecurityGroupId",
        ];
        if rule_keys.iter().any(|k| changed(old, new, k)) {
            let ec2 = p.ec2().await?;
            let group = required_str(new, "securityGroupId")?;
            let (from, to) = ports(new)?;
            let request = SecurityGroupRuleRequest::builder()
                .ip_protocol(required_str(new, "ipProtocol")?)
                .from_port(from)
                .to_port(to)
                .set_cidr_ipv4(optional_str(new, "cidrIpv4")?.map(str::to_string))
                .set_cidr_ipv6(optional_str(new, "cidrIpv6")?.map(str::to_string))
                .set_prefix_list_id(optional_str(new, "prefixListId")?.map(str::to_string))
                .set_referenced_group_id(optional_str(new, "referencedSecurityGroupId")?.map(str::to_string))
                // An empty description clears it; leaving it out would keep the old one.
                .description(optional_str(new, "description")?.unwrap_or_default())
                .build();
            let update =
                SecurityGroupRuleUpdate::builder().security_group_rule_id(id).security_group_rule(request).build();
            p.call(|| ec2.modify_security_group_rules().group_id(group).security_group_rules(update.clone()).send())
                .await?;
        }
        apply_tags(p, ctx, id, old, new).await
    }

    pub(super) async fn delete(
        p: &AwsProvider,
        id: &str,
        outputs: &PropertyMap,
        egress: bool,
    ) -> Result<(), ProviderError> {
        let ec2 = p.ec2().await?;
        let group = match outputs.get("securityGroupId").and_then(Value::as_str) {
            Some(g) => g.to_string(),
            None => {
                // Outputs from an interrupted run may lack it: ask AWS.
                let out = p.call(|| ec2.describe_security_group_rules().security_group_rule_ids(id).send()).await?;
                match out.security_group_rules().first().and_then(|r| r.group_id()) {
                    Some(g) => g.to_string(),
                    None => return Ok(()),
                }
            }
        };
        let ids = vec![id.to_string()];
        if egress {
            p.call(|| {
                ec2.revoke_security_group_egress()
                    .group_id(&group)
                    .set_security_group_rule_ids(Some(ids.clone()))
                    .send()
            })
            .await?;
        } else {
            p.call(|| {
                ec2.revoke_security_group_ingress()
                    .group_id(&group)
                    .set_security_group_rule_ids(Some(ids.clone()))
                    .send()
            })
            .await?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// VPC peering connection
// ---------------------------------------------------------------------------

mod pcx {
    use super::*;
    use aws_sdk_ec2::types::{
        PeeringConnectionOptionsRequest, VpcPeeringConnection, VpcPeeringConnectionOptionsDescription,
        VpcPeeringConnectionStateReasonCode as Code,
    };

    pub(super) const SUPPORTED: &[&str] =
        &["accepter", "autoAccept", "peerOwnerId", "peerRegion", "peerVpcId", "region", "requester", "tags", "vpcId"];

    /// The peering options tapctl implements (the ClassicLink ones are gone with EC2-Classic).
    const OPTIONS: &[&str] = &["allowRemoteVpcDnsResolution"];

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        let set = |k: &str| inputs.get(k).is_some_and(|v| !v.is_null());
        if known(inputs, "autoAccept").and_then(Value::as_bool) == Some(true) && set("peerRegion") {
            // Terraform refuses this too: the accepter region must accept.
            return Err(ProviderError::invalid(
                "autoAccept cannot be used with peerRegion (accept in the peer region)",
            ));
        }
        for side in ["accepter", "requester"] {
            if let Some(block) = known(inputs, side).and_then(Value::as_object) {
                if let Some(k) = block.keys().find(|k| !OPTIONS.contains(&k.as_str())) {
                    return Err(ProviderError::invalid(format!("{side}.{k} is not implemented")));
                }
            }
        }
        Ok(())
    }

    /// The connection's state code as AWS spells it.
    fn code(c: &VpcPeeringConnection) -> Option<&str> {
        c.status().and_then(|s| s.code()).map(|c| c.as_str())
    }

    async fn describe(p: &AwsProvider, id: &str) -> Result<Option<VpcPeeringConnection>, ProviderError> {
        let ec2 = p.ec2().await?;
        let out = p.call(|| ec2.describe_vpc_peering_connections().vpc_peering_connection_ids(id).send()).await?;
        Ok(out.vpc_peering_connections().iter().find(|c| c.vpc_peering_connection_id() == Some(id)).cloned())
    }

    /// Waits until the connection's state is one of `codes`; a failed,
    /// rejected or expired connection ends the wait with its message.
    async fn wait_for(p: &AwsProvider, ctx: &CallContext, id: &str, codes: &[Code]) -> Result<(), ProviderError> {
        let names: Vec<&str> = codes.iter().map(Code::as_str).collect();
        p.wait_until(
            &format!("VPC peering connection {id} to be {}", names.join(" or ")),
            limit(ctx, minutes(1)),
            || async {
                let Some(c) = describe(p, id).await? else { return Ok(None) };
                match c.status().and_then(|s| s.code()) {
                    Some(code) if codes.contains(code) => Ok(Some(())),
                    Some(code @ (Code::Failed | Code::Rejected | Code::Expired | Code::Deleted)) => {
                        Err(ProviderError::new(
                            ErrorKind::Permanent,
                            "VpcPeeringConnectionFailed",
                            format!(
                                "VPC peering connection {id} is {}: {}",
                                code.as_str(),
                                c.status().and_then(|s| s.message()).unwrap_or_default()
                            ),
                        ))
                    }
                    _ => Ok(None),
                }
            },
        )
        .await
    }

    fn options(block: Option<&PropertyMap>) -> Result<Option<PeeringConnectionOptionsRequest>, ProviderError> {
        let Some(block) = block else { return Ok(None) };
        let dns = optional_bool(block, "allowRemoteVpcDnsResolution")?;
        Ok(Some(PeeringConnectionOptionsRequest::builder().set_allow_dns_resolution_from_remote_vpc(dns).build()))
    }

    /// Accepts a connection waiting for it (autoAccept) and applies the
    /// peering options, which AWS takes only once the connection is active.
    async fn accept_and_configure(
        p: &AwsProvider,
        ctx: &CallContext,
        id: &str,
        inputs: &PropertyMap,
        options_changed: bool,
    ) -> Result<(), ProviderError> {
        let ec2 = p.ec2().await?;
        let state = describe(p, id).await?.as_ref().and_then(code).map(str::to_string);
        let mut active = state.as_deref() == Some(Code::Active.as_str());
        if optional_bool(inputs, "autoAccept")? == Some(true) && !active {
            p.call(|| ec2.accept_vpc_peering_connection().vpc_peering_connection_id(id).send()).await?;
            wait_for(p, ctx, id, &[Code::Active]).await?;
            active = true;
        }
        let accepter = options(super::super::optional_object(inputs, "accepter")?)?;
        let requester = options(super::super::optional_object(inputs, "requester")?)?;
        if options_changed && (accepter.is_some() || requester.is_some()) {
            if !active {
                return Err(ProviderError::invalid(
                    "accepter and requester options need an active connection: set autoAccept or accept it first",
                ));
            }
            p.call(|| {
                ec2.modify_vpc_peering_connection_options()
                    .vpc_peering_connection_id(id)
                    .set_accepter_peering_connection_options(accepter.clone())
                    .set_requester_peering_connection_options(requester.clone())
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
        let ec2 = p.ec2().await?;
        let vpc = required_str(inputs, "vpcId")?;
        let peer = required_str(inputs, "peerVpcId")?;
        let owner = optional_str(inputs, "peerOwnerId")?.map(str::to_string);
        let region = optional_str(inputs, "peerRegion")?.map(str::to_string);
        let tags = tag_spec(ResourceType::VpcPeeringConnection, &tags_for_create(ctx, inputs)?);
        let out = p
            .call_tolerating(window(p, ctx), &["InvalidVpcID.NotFound"], || {
                ec2.create_vpc_peering_connection()
                    .vpc_id(vpc)
                    .peer_vpc_id(peer)
                    .set_peer_owner_id(owner.clone())
                    .set_peer_region(region.clone())
                    .tag_specifications(tags.clone())
                    .send()
            })
            .await?;
        let id = out
            .vpc_peering_connection()
            .and_then(|c| c.vpc_peering_connection_id())
            .ok_or_else(|| missing_field("CreateVpcPeeringConnection", "VpcPeeringConnection.VpcPeeringConnectionId"))?
            .to_string();
        wait_for(p, ctx, &id, &[Code::PendingAcceptance, Code::Active])
            .await
            .map_err(after_create(&id, "waiting for it"))?;
        accept_and_configure(p, ctx, &id, inputs, true).await.map_err(after_create(&id, "accepting it"))?;
        Ok(id)
    }

    fn options_output(o: Option<&VpcPeeringConnectionOptionsDescription>) -> Option<Value> {
        let dns = o?.allow_dns_resolution_from_remote_vpc()?;
        Some(Value::object([("allowRemoteVpcDnsResolution", dns)]))
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let Some(c) = describe(p, id).await? else { return Ok(None) };
        // AWS lists deleted, rejected, failed and expired connections for a
        // while: none of them is a connection any more.
        if matches!(
            c.status().and_then(|s| s.code()),
            Some(Code::Deleted | Code::Deleting | Code::Rejected | Code::Failed | Code::Expired)
        ) {
            return Ok(None);
        }
        let (requester, accepter) = (c.requester_vpc_info(), c.accepter_vpc_info());
        let mut out = Outputs::new(id, p.region().await?)
            .string("vpcId", requester.and_then(|r| r.vpc_id()))
            .string("peerVpcId", accepter.and_then(|a| a.vpc_id()))
            .string("peerOwnerId", accepter.and_then(|a| a.owner_id()))
            .string("peerRegion", accepter.and_then(|a| a.region()))
            .string("acceptStatus", code(&c))
            .tags(tag_pairs(c.tags()));
        if let Some(v) = options_output(accepter.and_then(|a| a.peering_options())) {
            out = out.value("accepter", v);
        }
        if let Some(v) = options_output(requester.and_then(|r| r.peering_options())) {
            out = out.value("requester", v);
        }
        Ok(Some(out.build()))
    }

    pub(super) async fn update(
        p: &AwsProvider,
        ctx: &CallContext,
        id: &str,
        old: &PropertyMap,
        new: &PropertyMap,
    ) -> Result<(), ProviderError> {
        let options_changed = ["accepter", "requester"].iter().any(|k| {
            // Compared with what AWS reports, so options left at their
            // default by the create are not re-applied.
            new.get(*k).is_some_and(|v| !v.is_null() && !old.get(*k).is_some_and(|o| o.same_as(v)))
        });
        accept_and_configure(p, ctx, id, new, options_changed).await?;
        apply_tags(p, ctx, id, old, new).await
    }

    pub(super) async fn delete(p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<(), ProviderError> {
        if read(p, id).await?.is_none() {
            return Ok(());
        }
        let ec2 = p.ec2().await?;
        p.call(|| ec2.delete_vpc_peering_connection().vpc_peering_connection_id(id).send()).await?;
        p.wait_until(&format!("VPC peering connection {id} to be deleted"), limit(ctx, minutes(1)), || async {
            Ok(read(p, id).await?.is_none().then_some(()))
        })
        .await
    }
}

// ---------------------------------------------------------------------------
// Launch template
// ---------------------------------------------------------------------------

/// Every change to the template's data (or description) is a new version;
/// with `updateDefaultVersion` it becomes the default (Terraform's
/// behaviour), else `defaultVersion` says which is. Outputs describe the
/// latest version. `encrypted`, `deleteOnTermination` and `ebsOptimized` are
/// strings in pulumi-aws (`"true"`/`"false"`); booleans are accepted too.
mod lt {
    use super::*;
    use crate::provider::aws::{nested, object_list, optional_object};
    use aws_sdk_ec2::types::{
        InstanceType, LaunchTemplateBlockDeviceMappingRequest, LaunchTemplateEbsBlockDeviceRequest,
        LaunchTemplateHttpTokensState, LaunchTemplateIamInstanceProfileSpecificationRequest,
        LaunchTemplateInstanceMetadataEndpointState, LaunchTemplateInstanceMetadataOptionsRequest,
        LaunchTemplateInstanceMetadataTagsState, LaunchTemplateTagSpecificationRequest,
        LaunchTemplatesMonitoringRequest, RequestLaunchTemplateData, ResponseLaunchTemplateData, VolumeType,
    };

    pub(super) const SUPPORTED: &[&str] = &[
        "blockDeviceMappings",
        "defaultVersion",
        "description",
        "ebsOptimized",
        "iamInstanceProfile",
        "imageId",
        "instanceType",
        "keyName",
        "metadataOptions",
        "monitoring",
        "name",
        "namePrefix",
        "region",
        "tagSpecifications",
        "tags",
        "updateDefaultVersion",
        "userData",
        "vpcSecurityGroupIds",
    ];

    /// The inputs that are the template's data: a change is a new version.
    const DATA: &[&str] = &[
        "blockDeviceMappings",
        "description",
        "ebsOptimized",
        "iamInstanceProfile",
        "imageId",
        "instanceType",
        "keyName",
        "metadataOptions",
        "monitoring",
        "tagSpecifications",
        "userData",
        "vpcSecurityGroupIds",
    ];

    fn keys(block: &PropertyMap, path: &str, allowed: &[&str]) -> Result<(), ProviderError> {
        match block.iter().find(|(k, v)| !v.is_null() && !allowed.contains(&k.as_str())) {
            Some((k, _)) => Err(ProviderError::invalid(format!("{path}.{k} is not implemented"))),
            None => Ok(()),
        }
    }

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        let set = |k: &str| inputs.get(k).is_some_and(|v| !v.is_null());
        if set("name") && set("namePrefix") {
            return Err(ProviderError::invalid("set only one of name and namePrefix"));
        }
        if set("defaultVersion") && known(inputs, "updateDefaultVersion").and_then(Value::as_bool) == Some(true) {
            return Err(ProviderError::invalid("set only one of defaultVersion and updateDefaultVersion"));
        }
        if let Some(name) = check_str(inputs, "name")? {
            let ok = (3..=128).contains(&name.len())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || "()./_-".contains(c));
            if !ok {
                return Err(ProviderError::invalid(format!(
                    "name {name:?} must have 3 to 128 letters, digits and ( ) . / _ -"
                )));
            }
        }
        if let Some(m) = known(inputs, "metadataOptions").and_then(Value::as_object) {
            keys(
                m,
                "metadataOptions",
                &["httpEndpoint", "httpPutResponseHopLimit", "httpTokens", "instanceMetadataTags"],
            )?;
            if let Some(t) = m.get("httpTokens").filter(|v| !v.contains_unknown()).and_then(Value::as_str) {
                if t != "required" && t != "optional" {
                    return Err(ProviderError::invalid(format!(
                        "metadataOptions.httpTokens must be required or optional, got {t:?}"
                    )));
                }
            }
        }
        if known(inputs, "blockDeviceMappings").is_some() {
            for (i, b) in object_list(inputs, "blockDeviceMappings")?.into_iter().enumerate() {
                let path = format!("blockDeviceMappings[{i}]");
                keys(b, &path, &["deviceName", "ebs"])?;
                if let Some(ebs) = b.get("ebs").and_then(Value::as_object) {
                    keys(
                        ebs,
                        &format!("{path}.ebs"),
                        &[
                            "deleteOnTermination",
                            "encrypted",
                            "iops",
                            "kmsKeyId",
                            "throughput",
                            "volumeSize",
                            "volumeType",
                        ],
                    )?;
                }
            }
        }
        if let Some(profile) = known(inputs, "iamInstanceProfile").and_then(Value::as_object) {
            keys(profile, "iamInstanceProfile", &["arn", "name"])?;
        }
        Ok(())
    }

    /// A pulumi-aws tri-state string boolean (`"true"`/`"false"`; a boolean
    /// is accepted); `None` when unset or empty.
    fn tri_bool(inputs: &PropertyMap, name: &str) -> Result<Option<bool>, ProviderError> {
        match inputs.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => match (v.as_bool(), v.as_str()) {
                (Some(b), _) => Ok(Some(b)),
                (_, Some("")) => Ok(None),
                (_, Some(s)) => s
                    .parse()
                    .map(Some)
                    .map_err(|_| ProviderError::invalid(format!("input {name} must be \"true\" or \"false\""))),
                _ => Err(ProviderError::invalid(format!("input {name} must be \"true\" or \"false\""))),
            },
        }
    }

    fn data(inputs: &PropertyMap) -> Result<RequestLaunchTemplateData, ProviderError> {
        let mut d = RequestLaunchTemplateData::builder()
            .set_image_id(optional_str(inputs, "imageId")?.map(str::to_string))
            .set_instance_type(optional_str(inputs, "instanceType")?.map(InstanceType::from))
            .set_key_name(optional_str(inputs, "keyName")?.map(str::to_string))
            .set_user_data(optional_str(inputs, "userData")?.map(str::to_string))
            .set_security_group_ids(optional_str_list(inputs, "vpcSecurityGroupIds")?)
            .set_ebs_optimized(tri_bool(inputs, "ebsOptimized")?);
        if let Some(m) = optional_object(inputs, "metadataOptions")? {
            let nest = nested("metadataOptions");
            d = d.metadata_options(
                LaunchTemplateInstanceMetadataOptionsRequest::builder()
                    .set_http_tokens(
                        optional_str(m, "httpTokens").map_err(&nest)?.map(LaunchTemplateHttpTokensState::from),
                    )
                    .set_http_endpoint(
                        optional_str(m, "httpEndpoint")
                            .map_err(&nest)?
                            .map(LaunchTemplateInstanceMetadataEndpointState::from),
                    )
                    .set_http_put_response_hop_limit(optional_i32(m, "httpPutResponseHopLimit").map_err(&nest)?)
                    .set_instance_metadata_tags(
                        optional_str(m, "instanceMetadataTags")
                            .map_err(&nest)?
                            .map(LaunchTemplateInstanceMetadataTagsState::from),
                    )
                    .build(),
            );
        }
        for (i, b) in object_list(inputs, "blockDeviceMappings")?.into_iter().enumerate() {
            let path = format!("blockDeviceMappings[{i}]");
            let mut mapping = LaunchTemplateBlockDeviceMappingRequest::builder()
                .set_device_name(optional_str(b, "deviceName").map_err(nested(&path))?.map(str::to_string));
            if let Some(e) = optional_object(b, "ebs").map_err(nested(&path))? {
                let path = format!("{path}.ebs");
                let nest = nested(&path);
                mapping = mapping.ebs(
                    LaunchTemplateEbsBlockDeviceRequest::builder()
                        .set_encrypted(tri_bool(e, "encrypted").map_err(&nest)?)
                        .set_delete_on_termination(tri_bool(e, "deleteOnTermination").map_err(&nest)?)
                        .set_kms_key_id(optional_str(e, "kmsKeyId").map_err(&nest)?.map(str::to_string))
                        .set_volume_size(optional_i32(e, "volumeSize").map_err(&nest)?)
                        .set_volume_type(optional_str(e, "volumeType").map_err(&nest)?.map(VolumeType::from))
                        .set_iops(optional_i32(e, "iops").map_err(&nest)?)
                        .set_throughput(optional_i32(e, "throughput").map_err(&nest)?)
                        .build(),
                );
            }
            d = d.block_device_mappings(mapping.build());
        }
        if let Some(profile) = optional_object(inputs, "iamInstanceProfile")? {
            let nest = nested("iamInstanceProfile");
            d = d.iam_instance_profile(
                LaunchTemplateIamInstanceProfileSpecificationRequest::builder()
                    .set_arn(optional_str(profile, "arn").map_err(&nest)?.map(str::to_string))
                    .set_name(optional_str(profile, "name").map_err(&nest)?.map(str::to_string))
                    .build(),
            );
        }
        if let Some(m) = optional_object(inputs, "monitoring")? {
            let enabled = optional_bool(m, "enabled").map_err(nested("monitoring"))?;
            d = d.monitoring(LaunchTemplatesMonitoringRequest::builder().set_enabled(enabled).build());
        }
        for spec in object_list(inputs, "tagSpecifications")? {
            let nest = nested("tagSpecifications[]");
            let resource = required_str(spec, "resourceType").map_err(&nest)?;
            let tags = super::super::user_tags(spec).map_err(nest)?;
            let pairs: Vec<(String, String)> = tags.into_iter().collect();
            d = d.tag_specifications(
                LaunchTemplateTagSpecificationRequest::builder()
                    .resource_type(ResourceType::from(resource))
                    .set_tags(Some(sdk_tags(&pairs)))
                    .build(),
            );
        }
        Ok(d.build())
    }

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let ec2 = p.ec2().await?;
        let name = match optional_str(inputs, "name")? {
            Some(n) => n.to_string(),
            None => super::super::iam::autoname(ctx, optional_str(inputs, "namePrefix")?, 128),
        };
        let data = data(inputs)?;
        let description = optional_str(inputs, "description")?.map(str::to_string);
        let tags = tag_spec(ResourceType::LaunchTemplate, &tags_for_create(ctx, inputs)?);
        let out = p
            .call(|| {
                ec2.create_launch_template()
                    .launch_template_name(&name)
                    .set_version_description(description.clone())
                    .launch_template_data(data.clone())
                    .tag_specifications(tags.clone())
                    .send()
            })
            .await?;
        let id = out
            .launch_template()
            .and_then(|t| t.launch_template_id())
            .ok_or_else(|| missing_field("CreateLaunchTemplate", "LaunchTemplate.LaunchTemplateId"))?
            .to_string();
        Ok(id)
    }

    fn tri(b: Option<bool>) -> Option<Value> {
        b.map(|b| Value::from(b.to_string()))
    }

    fn object(pairs: Vec<(&str, Option<Value>)>) -> Value {
        Value::object(pairs.into_iter().filter_map(|(k, v)| Some((k, v?))))
    }

    fn data_outputs(mut out: Outputs, d: &ResponseLaunchTemplateData) -> Outputs {
        out = out
            .string("imageId", d.image_id())
            .string("instanceType", d.instance_type().map(|t| t.as_str()))
            .string("keyName", d.key_name())
            .string("userData", d.user_data());
        if !d.security_group_ids().is_empty() {
            out = out.value("vpcSecurityGroupIds", super::super::string_list(d.security_group_ids()));
        }
        if let Some(v) = tri(d.ebs_optimized()) {
            out = out.value("ebsOptimized", v);
        }
        if let Some(m) = d.metadata_options() {
            out = out.value(
                "metadataOptions",
                object(vec![
                    ("httpTokens", m.http_tokens().map(|t| Value::from(t.as_str()))),
                    ("httpEndpoint", m.http_endpoint().map(|t| Value::from(t.as_str()))),
                    ("httpPutResponseHopLimit", m.http_put_response_hop_limit().map(Value::from)),
                    ("instanceMetadataTags", m.instance_metadata_tags().map(|t| Value::from(t.as_str()))),
                ]),
            );
        }
        if !d.block_device_mappings().is_empty() {
            let mappings = d.block_device_mappings().iter().map(|b| {
                let ebs = b.ebs().map(|e| {
                    object(vec![
                        ("encrypted", tri(e.encrypted())),
                        ("deleteOnTermination", tri(e.delete_on_termination())),
                        ("kmsKeyId", e.kms_key_id().map(Value::from)),
                        ("volumeSize", e.volume_size().map(Value::from)),
                        ("volumeType", e.volume_type().map(|t| Value::from(t.as_str()))),
                        ("iops", e.iops().map(Value::from)),
                        ("throughput", e.throughput().map(Value::from)),
                    ])
                });
                object(vec![("deviceName", b.device_name().map(Value::from)), ("ebs", ebs)])
            });
            out = out.value("blockDeviceMappings", Value::Array(mappings.collect()));
        }
        if let Some(profile) = d.iam_instance_profile() {
            out = out.value(
                "iamInstanceProfile",
                object(vec![("arn", profile.arn().map(Value::from)), ("name", profile.name().map(Value::from))]),
            );
        }
        if let Some(m) = d.monitoring() {
            out = out.value("monitoring", object(vec![("enabled", m.enabled().map(Value::from))]));
        }
        if !d.tag_specifications().is_empty() {
            let specs = d.tag_specifications().iter().map(|s| {
                let tags: Vec<(String, Value)> =
                    tag_pairs(s.tags()).into_iter().map(|(k, v)| (k, Value::from(v))).collect();
                object(vec![
                    ("resourceType", s.resource_type().map(|r| Value::from(r.as_str()))),
                    ("tags", Some(Value::object(tags))),
                ])
            });
            out = out.value("tagSpecifications", Value::Array(specs.collect()));
        }
        out
    }

    /// The template's tags from DescribeTags, which AWS keeps current as
    /// DescribeLaunchTemplates does (moto's DescribeLaunchTemplates repeats
    /// the tags of the creation instead).
    async fn tags_of(p: &AwsProvider, id: &str) -> Result<Vec<(String, String)>, ProviderError> {
        let tags = describe_tags(p, vec![filter("resource-id", id)]).await?;
        Ok(tags
            .iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string())))
            .collect())
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let ec2 = p.ec2().await?;
        let out = p.call(|| ec2.describe_launch_templates().launch_template_ids(id).send()).await?;
        let Some(t) = out.launch_templates().iter().find(|t| t.launch_template_id() == Some(id)) else {
            return Ok(None);
        };
        let latest = t.latest_version_number().unwrap_or(1);
        let versions = p
            .call(|| ec2.describe_launch_template_versions().launch_template_id(id).versions(latest.to_string()).send())
            .await?;
        let version = versions.launch_template_versions().iter().find(|v| v.version_number() == Some(latest));
        let arn = ec2_arn(p, None, &format!("launch-template/{id}")).await?;
        let mut outputs = Outputs::new(id, p.region().await?)
            .string("arn", Some(arn))
            .string("name", t.launch_template_name())
            .int("latestVersion", Some(latest))
            .int("defaultVersion", t.default_version_number())
            .string("description", version.and_then(|v| v.version_description()).filter(|d| !d.is_empty()))
            .tags(tags_of(p, id).await?);
        if let Some(d) = version.and_then(|v| v.launch_template_data()) {
            outputs = data_outputs(outputs, d);
        }
        Ok(Some(outputs.build()))
    }

    /// Whether `output` (as read back) already says what `input` asks for:
    /// nested maps compare on the keys the input sets, string booleans equal
    /// booleans.
    fn covers(output: Option<&Value>, input: &Value) -> bool {
        match (output, input) {
            (_, Value::Null) => output.is_none_or(Value::is_null),
            (Some(Value::Object(o)), Value::Object(i)) => i.iter().all(|(k, v)| covers(o.get(k), v)),
            (Some(Value::Array(o)), Value::Array(i)) => {
                o.len() == i.len() && o.iter().zip(i).all(|(o, i)| covers(Some(o), i))
            }
            (Some(Value::String(o)), Value::Bool(b)) => *o == b.to_string(),
            (Some(o), i) => o.same_as(i),
            (None, _) => false,
        }
    }

    pub(super) async fn update(
        p: &AwsProvider,
        ctx: &CallContext,
        id: &str,
        old: &PropertyMap,
        new: &PropertyMap,
    ) -> Result<(), ProviderError> {
        let ec2 = p.ec2().await?;
        let data_changed = DATA.iter().any(|k| !covers(old.get(*k), new.get(*k).unwrap_or(&Value::Null)));
        let mut default = optional_i32(new, "defaultVersion")?.map(i64::from);
        if data_changed {
            let data = data(new)?;
            let description = optional_str(new, "description")?.map(str::to_string);
            let out = p
                .call(|| {
                    ec2.create_launch_template_version()
                        .launch_template_id(id)
                        .set_version_description(description.clone())
                        .launch_template_data(data.clone())
                        .send()
                })
                .await?;
            let number = out
                .launch_template_version()
                .and_then(|v| v.version_number())
                .ok_or_else(|| missing_field("CreateLaunchTemplateVersion", "LaunchTemplateVersion.VersionNumber"))?;
            if optional_bool(new, "updateDefaultVersion")? == Some(true) {
                default = Some(number);
            }
        }
        let current = old.get("defaultVersion").and_then(Value::as_f64).map(|n| n as i64);
        if let Some(version) = default.filter(|v| Some(*v) != current) {
            p.call(|| ec2.modify_launch_template().launch_template_id(id).default_version(version.to_string()).send())
                .await?;
        }
        apply_tags(p, ctx, id, old, new).await
    }

    pub(super) async fn delete(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
        let ec2 = p.ec2().await?;
        p.call(|| ec2.delete_launch_template().launch_template_id(id).send()).await?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Flow log
// ---------------------------------------------------------------------------

/// One flow log of one VPC, subnet or network interface. Everything but the
/// tags forces a replacement (as in Terraform).
mod flow_log {
    use super::*;
    use aws_sdk_ec2::types::{FlowLogsResourceType, LogDestinationType, TrafficType};

    pub(super) const SUPPORTED: &[&str] = &[
        "eniId",
        "iamRoleArn",
        "logDestination",
        "logDestinationType",
        "logFormat",
        "maxAggregationInterval",
        "region",
        "subnetId",
        "tags",
        "trafficType",
        "vpcId",
    ];

    /// The resource the log watches: (input, API resource type).
    const SOURCES: [(&str, FlowLogsResourceType); 3] = [
        ("vpcId", FlowLogsResourceType::Vpc),
        ("subnetId", FlowLogsResourceType::Subnet),
        ("eniId", FlowLogsResourceType::NetworkInterface),
    ];

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        one_of(inputs, &["vpcId", "subnetId", "eniId"], true)?;
        match check_str(inputs, "trafficType")? {
            None | Some("ACCEPT" | "REJECT" | "ALL") => {}
            Some(t) => return Err(ProviderError::invalid(format!("trafficType {t:?} is not ACCEPT, REJECT or ALL"))),
        }
        let kind = check_str(inputs, "logDestinationType")?.unwrap_or("cloud-watch-logs");
        if !["cloud-watch-logs", "s3", "kinesis-data-firehose"].contains(&kind) {
            return Err(ProviderError::invalid(format!(
                "logDestinationType {kind:?} is not cloud-watch-logs, s3 or kinesis-data-firehose"
            )));
        }
        if inputs.get("logDestination").is_none_or(Value::is_null) {
            return Err(ProviderError::invalid("logDestination (the destination's ARN) is required"));
        }
        if kind == "cloud-watch-logs" && inputs.get("iamRoleArn").is_none_or(Value::is_null) {
            return Err(ProviderError::invalid("a flow log to CloudWatch Logs needs iamRoleArn"));
        }
        if let Some(n) = check_i32(inputs, "maxAggregationInterval")? {
            if n != 60 && n != 600 {
                return Err(ProviderError::invalid(format!("maxAggregationInterval must be 60 or 600, got {n}")));
            }
        }
        Ok(())
    }

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let ec2 = p.ec2().await?;
        let mut source = None;
        for (key, kind) in &SOURCES {
            if let Some(id) = optional_str(inputs, key)? {
                source = Some((id, kind.clone()));
                break;
            }
        }
        let (resource, kind) =
            source.ok_or_else(|| ProviderError::invalid("one of vpcId, subnetId and eniId is required"))?;
        let destination_type = optional_str(inputs, "logDestinationType")?.unwrap_or("cloud-watch-logs");
        let traffic = optional_str(inputs, "trafficType")?.unwrap_or("ALL");
        let tags = tag_spec(ResourceType::VpcFlowLog, &tags_for_create(ctx, inputs)?);
        let s = |k: &str| optional_str(inputs, k).map(|v| v.map(str::to_string));
        let (destination, role, format) = (s("logDestination")?, s("iamRoleArn")?, s("logFormat")?);
        let interval = optional_i32(inputs, "maxAggregationInterval")?;
        let out = p
            .call_tolerating(window(p, ctx), &["*.NotFound"], || {
                ec2.create_flow_logs()
                    .resource_ids(resource)
                    .resource_type(kind.clone())
                    .traffic_type(TrafficType::from(traffic))
                    .log_destination_type(LogDestinationType::from(destination_type))
                    .set_log_destination(destination.clone())
                    .set_deliver_logs_permission_arn(role.clone())
                    .set_log_format(format.clone())
                    .set_max_aggregation_interval(interval)
                    .tag_specifications(tags.clone())
                    .send()
            })
            .await?;
        if let Some(failure) = out.unsuccessful().first() {
            let error = failure.error();
            return Err(ProviderError::new(
                ErrorKind::Permanent,
                error.and_then(|e| e.code()).unwrap_or("FlowLogFailed"),
                error.and_then(|e| e.message()).unwrap_or("CreateFlowLogs refused the flow log").to_string(),
            ));
        }
        out.flow_log_ids().first().cloned().ok_or_else(|| missing_field("CreateFlowLogs", "FlowLogIds"))
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let ec2 = p.ec2().await?;
        let out = p.call(|| ec2.describe_flow_logs().flow_log_ids(id).send()).await?;
        let Some(f) = out.flow_logs().iter().find(|f| f.flow_log_id() == Some(id)) else { return Ok(None) };
        let resource = f.resource_id().unwrap_or_default();
        let source = if resource.starts_with("vpc-") {
            "vpcId"
        } else if resource.starts_with("subnet-") {
            "subnetId"
        } else {
            "eniId"
        };
        let arn = ec2_arn(p, None, &format!("vpc-flow-log/{id}")).await?;
        Ok(Some(
            Outputs::new(id, p.region().await?)
                .string("arn", Some(arn))
                .string(source, Some(resource))
                .string("trafficType", f.traffic_type().map(|t| t.as_str()))
                .string("logDestinationType", f.log_destination_type().map(|t| t.as_str()))
                .string("logDestination", f.log_destination())
                .string("iamRoleArn", f.deliver_logs_permission_arn())
                .string("logFormat", f.log_format())
                .int("maxAggregationInterval", f.max_aggregation_interval().map(i64::from))
                .tags(tag_pairs(f.tags()))
                .build(),
        ))
    }

    pub(super) async fn delete(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
        let ec2 = p.ec2().await?;
        let out = p.call(|| ec2.delete_flow_logs().flow_log_ids(id).send()).await?;
        match out.unsuccessful().first().and_then(|u| u.error()) {
            // Gone already: AWS answers a missing id in the failure list.
            Some(e) if e.code().is_some_and(|c| c.contains("NotFound")) => Ok(()),
            Some(e) => Err(ProviderError::new(
                ErrorKind::Permanent,
                e.code().unwrap_or("FlowLogDeleteFailed"),
                e.message().unwrap_or("DeleteFlowLogs refused").to_string(),
            )),
            None => Ok(()),
        }
    }
}

// ---------------------------------------------------------------------------
// Network ACL
// ---------------------------------------------------------------------------

/// The default network ACL of `vpc_id` (where a subnet goes when it leaves
/// an ACL: every subnet has exactly one).
async fn default_nacl(p: &AwsProvider, vpc_id: &str) -> Result<String, ProviderError> {
    let ec2 = p.ec2().await?;
    let out = p
        .call(|| {
            ec2.describe_network_acls().filters(filter("vpc-id", vpc_id)).filters(filter("default", "true")).send()
        })
        .await?;
    out.network_acls()
        .first()
        .and_then(|a| a.network_acl_id())
        .map(str::to_string)
        .ok_or_else(|| missing_field("DescribeNetworkAcls", "the VPC's default network ACL"))
}

/// The association (id, ACL) that holds `subnet` now.
async fn subnet_association(p: &AwsProvider, subnet: &str) -> Result<Option<(String, String)>, ProviderError> {
    let ec2 = p.ec2().await?;
    let out = p.call(|| ec2.describe_network_acls().filters(filter("association.subnet-id", subnet)).send()).await?;
    Ok(out.network_acls().iter().find_map(|a| {
        let assoc = a.associations().iter().find(|x| x.subnet_id() == Some(subnet))?;
        Some((assoc.network_acl_association_id()?.to_string(), a.network_acl_id()?.to_string()))
    }))
}

/// Moves `subnet` to `acl`; returns the new association id.
async fn move_subnet(p: &AwsProvider, ctx: &CallContext, subnet: &str, acl: &str) -> Result<String, ProviderError> {
    let ec2 = p.ec2().await?;
    let within = window(p, ctx);
    let (association, _) = p
        .wait_until(&format!("subnet {subnet}'s network ACL association"), within, || subnet_association(p, subnet))
        .await?;
    let out = p
        .call_tolerating(within, &["InvalidNetworkAclID.NotFound"], || {
            ec2.replace_network_acl_association().association_id(&association).network_acl_id(acl).send()
        })
        .await?;
    out.new_association_id()
        .map(str::to_string)
        .ok_or_else(|| missing_field("ReplaceNetworkAclAssociation", "NewAssociationId"))
}

/// A custom network ACL; `subnetIds` moves subnets to it (and back to the
/// VPC's default ACL when they leave). Do not combine `subnetIds` with
/// `NetworkAclAssociation` resources for the same subnets: each would undo
/// the other, as in Terraform.
mod nacl {
    use super::*;

    pub(super) const SUPPORTED: &[&str] = &["region", "subnetIds", "tags", "vpcId"];

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let ec2 = p.ec2().await?;
        let vpc = required_str(inputs, "vpcId")?;
        let tags = tag_spec(ResourceType::NetworkAcl, &tags_for_create(ctx, inputs)?);
        let out = p
            .call_tolerating(window(p, ctx), &["InvalidVpcID.NotFound"], || {
                ec2.create_network_acl().vpc_id(vpc).tag_specifications(tags.clone()).send()
            })
            .await?;
        let id = out
            .network_acl()
            .and_then(|a| a.network_acl_id())
            .ok_or_else(|| missing_field("CreateNetworkAcl", "NetworkAcl.NetworkAclId"))?
            .to_string();
        for subnet in optional_str_list(inputs, "subnetIds")?.unwrap_or_default() {
            move_subnet(p, ctx, &subnet, &id).await.map_err(after_create(&id, "associating its subnets"))?;
        }
        Ok(id)
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let ec2 = p.ec2().await?;
        let out = p.call(|| ec2.describe_network_acls().network_acl_ids(id).send()).await?;
        let Some(a) = out.network_acls().iter().find(|a| a.network_acl_id() == Some(id)) else { return Ok(None) };
        let mut subnets: Vec<String> =
            a.associations().iter().filter_map(|x| x.subnet_id().map(str::to_string)).collect();
        subnets.sort();
        let arn = ec2_arn(p, a.owner_id(), &format!("network-acl/{id}")).await?;
        Ok(Some(
            Outputs::new(id, p.region().await?)
                .string("arn", Some(arn))
                .string("vpcId", a.vpc_id())
                .string("ownerId", a.owner_id())
                .value("subnetIds", super::super::string_list(&subnets))
                .tags(tag_pairs(a.tags()))
                .build(),
        ))
    }

    fn list(m: &PropertyMap, key: &str) -> Vec<String> {
        m.get(key)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    }

    pub(super) async fn update(
        p: &AwsProvider,
        ctx: &CallContext,
        id: &str,
        old: &PropertyMap,
        new: &PropertyMap,
    ) -> Result<(), ProviderError> {
        let (was, is) = (list(old, "subnetIds"), optional_str_list(new, "subnetIds")?.unwrap_or_default());
        for subnet in is.iter().filter(|s| !was.contains(s)) {
            move_subnet(p, ctx, subnet, id).await?;
        }
        let leaving: Vec<&String> = was.iter().filter(|s| !is.contains(s)).collect();
        if !leaving.is_empty() {
            let default = default_nacl(p, required_str(new, "vpcId")?).await?;
            for subnet in leaving {
                move_subnet(p, ctx, subnet, &default).await?;
            }
        }
        apply_tags(p, ctx, id, old, new).await
    }

    pub(super) async fn delete(p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<(), ProviderError> {
        let ec2 = p.ec2().await?;
        let Some(current) = read(p, id).await? else { return Ok(()) };
        // AWS refuses to delete an ACL that still holds subnets: they go back
        // to the VPC's default ACL (associations made by NetworkAclAssociation
        // resources are deleted before the ACL they use, so none are left).
        let subnets = list(&current, "subnetIds");
        if !subnets.is_empty() {
            let vpc = current.get("vpcId").and_then(Value::as_str).unwrap_or_default();
            let default = default_nacl(p, vpc).await?;
            for subnet in &subnets {
                move_subnet(p, ctx, subnet, &default).await?;
            }
        }
        p.call_tolerating(window(p, ctx), &["DependencyViolation"], || {
            ec2.delete_network_acl().network_acl_id(id).send()
        })
        .await?;
        Ok(())
    }
}

/// One entry of a network ACL. The id is Terraform's import form,
/// `<networkAclId>:<ruleNumber>:<protocol>:<egress>`. Every input forces a
/// replacement, as in Terraform.
mod nacl_rule {
    use super::*;
    use aws_sdk_ec2::types::{IcmpTypeCode, PortRange, RuleAction};

    pub(super) const SUPPORTED: &[&str] = &[
        "cidrBlock",
        "egress",
        "fromPort",
        "icmpCode",
        "icmpType",
        "ipv6CidrBlock",
        "networkAclId",
        "protocol",
        "region",
        "ruleAction",
        "ruleNumber",
        "toPort",
    ];

    pub(super) fn check(inputs: &PropertyMap) -> Result<(), ProviderError> {
        one_of(inputs, &["cidrBlock", "ipv6CidrBlock"], true)?;
        if let Some(cidr) = check_str(inputs, "cidrBlock")? {
            check_ipv4_cidr("cidrBlock", cidr, 0..=32)?;
        }
        if let Some(cidr) = check_str(inputs, "ipv6CidrBlock")? {
            check_ipv6_cidr("ipv6CidrBlock", cidr)?;
        }
        match check_str(inputs, "ruleAction")? {
            None | Some("allow" | "deny") => {}
            Some(a) => return Err(ProviderError::invalid(format!("ruleAction {a:?} is not allow or deny"))),
        }
        if let Some(n) = known(inputs, "ruleNumber").map(|_| optional_i32(inputs, "ruleNumber")).transpose()?.flatten()
        {
            if !(1..=32766).contains(&n) {
                return Err(ProviderError::invalid(format!("ruleNumber must be 1 to 32766, got {n}")));
            }
        }
        if let Some(p) = known(inputs, "protocol") {
            protocol_number(p)?;
        }
        Ok(())
    }

    /// The protocol as AWS names it: a number (`-1` for all), from a name
    /// (`tcp`, `udp`, `icmp`, `icmpv6`, `all`) or a number.
    pub(super) fn protocol_number(v: &Value) -> Result<String, ProviderError> {
        let text = match (v.as_str(), v.as_f64()) {
            (Some(s), _) => s.to_ascii_lowercase(),
            (_, Some(n)) if n.fract() == 0.0 => format!("{}", n as i64),
            _ => return Err(ProviderError::invalid("input protocol must be a protocol name or number")),
        };
        let number = match text.as_str() {
            "all" | "-1" => "-1".to_string(),
            "tcp" => "6".to_string(),
            "udp" => "17".to_string(),
            "icmp" => "1".to_string(),
            "icmpv6" => "58".to_string(),
            n if n.parse::<u8>().is_ok() => n.to_string(),
            other => {
                return Err(ProviderError::invalid(format!("protocol {other:?} is not a protocol name or number")))
            }
        };
        Ok(number)
    }

    pub(super) fn id_for(inputs: &PropertyMap) -> Result<String, ProviderError> {
        let acl = required_str(inputs, "networkAclId")?;
        let number = optional_i32(inputs, "ruleNumber")?
            .ok_or_else(|| ProviderError::invalid("input ruleNumber is required"))?;
        let protocol = protocol_number(inputs.get("protocol").unwrap_or(&Value::Null))?;
        let egress = optional_bool(inputs, "egress")?.unwrap_or(false);
        Ok(format!("{acl}:{number}:{protocol}:{egress}"))
    }

    fn parse(id: &str) -> Result<(&str, i32, bool), ProviderError> {
        let bad =
            || ProviderError::invalid(format!("{id} is not a network ACL rule id (<acl>:<rule>:<protocol>:<egress>)"));
        let mut parts = id.split(':');
        let (acl, number, _protocol, egress) = (parts.next(), parts.next(), parts.next(), parts.next());
        let acl = acl.ok_or_else(bad)?;
        let number = number.and_then(|n| n.parse().ok()).ok_or_else(bad)?;
        let egress = egress.and_then(|e| e.parse().ok()).ok_or_else(bad)?;
        Ok((acl, number, egress))
    }

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        let ec2 = p.ec2().await?;
        let id = id_for(inputs)?;
        let (acl, number, egress) = parse(&id)?;
        let protocol = protocol_number(inputs.get("protocol").unwrap_or(&Value::Null))?;
        let ports = match (optional_i32(inputs, "fromPort")?, optional_i32(inputs, "toPort")?) {
            (None, None) => None,
            (from, to) => Some(PortRange::builder().set_from(from).set_to(to).build()),
        };
        let icmp = match (optional_i32(inputs, "icmpType")?, optional_i32(inputs, "icmpCode")?) {
            (None, None) => None,
            (kind, code) => Some(IcmpTypeCode::builder().set_type(kind).set_code(code).build()),
        };
        let action = RuleAction::from(required_str(inputs, "ruleAction")?);
        let cidr = optional_str(inputs, "cidrBlock")?.map(str::to_string);
        let ipv6 = optional_str(inputs, "ipv6CidrBlock")?.map(str::to_string);
        p.call_tolerating(window(p, ctx), &["InvalidNetworkAclID.NotFound"], || {
            ec2.create_network_acl_entry()
                .network_acl_id(acl)
                .rule_number(number)
                .egress(egress)
                .protocol(&protocol)
                .rule_action(action.clone())
                .set_cidr_block(cidr.clone())
                .set_ipv6_cidr_block(ipv6.clone())
                .set_port_range(ports.clone())
                .set_icmp_type_code(icmp.clone())
                .send()
        })
        .await?;
        Ok(id)
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let ec2 = p.ec2().await?;
        let (acl, number, egress) = parse(id)?;
        let out = p.call(|| ec2.describe_network_acls().network_acl_ids(acl).send()).await?;
        let Some(a) = out.network_acls().iter().find(|a| a.network_acl_id() == Some(acl)) else { return Ok(None) };
        let Some(e) = a.entries().iter().find(|e| e.rule_number() == Some(number) && e.egress() == Some(egress)) else {
            return Ok(None);
        };
        Ok(Some(
            Outputs::new(id, p.region().await?)
                .string("networkAclId", Some(acl))
                .int("ruleNumber", Some(i64::from(number)))
                .bool("egress", Some(egress))
                .string("protocol", e.protocol())
                .string("ruleAction", e.rule_action().map(|a| a.as_str()))
                .string("cidrBlock", e.cidr_block())
                .string("ipv6CidrBlock", e.ipv6_cidr_block())
                .int("fromPort", e.port_range().and_then(|r| r.from()).map(i64::from))
                .int("toPort", e.port_range().and_then(|r| r.to()).map(i64::from))
                .int("icmpType", e.icmp_type_code().and_then(|c| c.r#type()).map(i64::from))
                .int("icmpCode", e.icmp_type_code().and_then(|c| c.code()).map(i64::from))
                .build(),
        ))
    }

    pub(super) async fn delete(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
        let ec2 = p.ec2().await?;
        let (acl, number, egress) = parse(id)?;
        if read(p, id).await?.is_none() {
            return Ok(());
        }
        p.call(|| ec2.delete_network_acl_entry().network_acl_id(acl).rule_number(number).egress(egress).send()).await?;
        Ok(())
    }
}

/// A subnet's association with a network ACL. The id is the association id
/// AWS gives when the subnet moves to the ACL; deleting moves the subnet back
/// to its VPC's default ACL (a subnet always has one), as Terraform does.
/// Both inputs force a replacement, as in Terraform.
mod nacl_association {
    use super::*;

    pub(super) const SUPPORTED: &[&str] = &["networkAclId", "region", "subnetId"];

    pub(super) async fn create(
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<String, ProviderError> {
        move_subnet(p, ctx, required_str(inputs, "subnetId")?, required_str(inputs, "networkAclId")?).await
    }

    async fn find(p: &AwsProvider, id: &str) -> Result<Option<(String, String)>, ProviderError> {
        let ec2 = p.ec2().await?;
        let out =
            p.call(|| ec2.describe_network_acls().filters(filter("association.association-id", id)).send()).await?;
        Ok(out.network_acls().iter().find_map(|a| {
            let assoc = a.associations().iter().find(|x| x.network_acl_association_id() == Some(id))?;
            Some((a.network_acl_id()?.to_string(), assoc.subnet_id()?.to_string()))
        }))
    }

    pub(super) async fn read(p: &AwsProvider, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        let Some((acl, subnet)) = find(p, id).await? else { return Ok(None) };
        Ok(Some(
            Outputs::new(id, p.region().await?)
                .string("networkAclId", Some(acl))
                .string("subnetId", Some(subnet))
                .build(),
        ))
    }

    /// The subnet's association, when it is with the input ACL.
    pub(super) async fn find_by_inputs(p: &AwsProvider, inputs: &PropertyMap) -> Result<Vec<String>, ProviderError> {
        let acl = required_str(inputs, "networkAclId")?;
        Ok(subnet_association(p, required_str(inputs, "subnetId")?)
            .await?
            .filter(|(_, holder)| holder == acl)
            .map(|(id, _)| id)
            .into_iter()
            .collect())
    }

    pub(super) async fn delete(p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<(), ProviderError> {
        let Some((_, subnet)) = find(p, id).await? else { return Ok(()) };
        let ec2 = p.ec2().await?;
        let out = p.call(|| ec2.describe_subnets().subnet_ids(&subnet).send()).await?;
        let vpc = out
            .subnets()
            .first()
            .and_then(|s| s.vpc_id())
            .ok_or_else(|| missing_field("DescribeSubnets", "Subnet.VpcId"))?
            .to_string();
        let default = default_nacl(p, &vpc).await?;
        move_subnet(p, ctx, &subnet, &default).await.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::provider::aws::map;

    fn check(token: &str, pairs: Vec<(&str, Value)>) -> Result<(), ProviderError> {
        Ec2.check(token, &map(pairs))
    }

    #[test]
    fn cidrs_are_validated_with_clear_messages() {
        assert!(check_ipv4_cidr("cidrBlock", "10.0.0.0/16", 16..=28).is_ok());
        let e = check_ipv4_cidr("cidrBlock", "10.0.0.1/16", 16..=28).unwrap_err();
        assert!(e.message.contains("10.0.0.0/16"), "{}", e.message);
        assert!(check_ipv4_cidr("cidrBlock", "10.0.0.0/8", 16..=28).unwrap_err().message.contains("/16 to /28"));
        assert!(check_ipv4_cidr("cidrBlock", "10.0.0/16", 16..=28).is_err());
        assert!(check_ipv4_cidr("cidrIpv4", "0.0.0.0/0", 0..=32).is_ok());
        assert!(check_ipv6_cidr("cidrIpv6", "::/0").is_ok());
        assert!(check_ipv6_cidr("cidrIpv6", "2001:db8::1/56").is_err());
    }

    #[test]
    fn nacl_rules_and_flow_logs_are_checked() {
        assert_eq!(nacl_rule::protocol_number(&Value::from("TCP")).unwrap(), "6");
        assert_eq!(nacl_rule::protocol_number(&Value::from("all")).unwrap(), "-1");
        assert_eq!(nacl_rule::protocol_number(&Value::from(17)).unwrap(), "17");
        assert!(nacl_rule::protocol_number(&Value::from("carrier-pigeon")).is_err());
        let rule = |cidr: &str| {
            vec![
                ("networkAclId", Value::from("acl-1")),
                ("ruleNumber", Value::from(100)),
                ("protocol", Value::from("tcp")),
                ("ruleAction", Value::from("allow")),
                ("cidrBlock", Value::from(cidr)),
            ]
        };
        assert!(check(NACL_RULE, rule("10.0.0.0/8")).is_ok());
        assert!(check(NACL_RULE, rule("10.0.0.1/8")).is_err());
        let to_logs = vec![
            ("vpcId", Value::from("vpc-1")),
            ("logDestination", Value::from("arn:aws:logs:us-east-1:1:log-group:x")),
        ];
        assert!(check(FLOW_LOG, to_logs).unwrap_err().message.contains("iamRoleArn"));
        let nowhere =
            vec![("logDestinationType", Value::from("s3")), ("logDestination", Value::from("arn:aws:s3:::b"))];
        assert!(check(FLOW_LOG, nowhere).is_err());
    }

    #[test]
    fn launch_template_checks() {
        let metadata = |tokens: &str| vec![("metadataOptions", Value::object([("httpTokens", tokens)]))];
        assert!(check(LAUNCH_TEMPLATE, metadata("required")).is_ok());
        assert!(check(LAUNCH_TEMPLATE, metadata("sometimes")).unwrap_err().message.contains("httpTokens"));
        let both = vec![("defaultVersion", Value::from(2)), ("updateDefaultVersion", Value::from(true))];
        assert!(check(LAUNCH_TEMPLATE, both).is_err());
        let snapshot = Value::Array(vec![Value::object([("ebs", Value::object([("snapshotId", "snap-1")]))])]);
        let e = check(LAUNCH_TEMPLATE, vec![("blockDeviceMappings", snapshot)]).unwrap_err();
        assert!(e.message.contains("blockDeviceMappings[0].ebs.snapshotId"), "{}", e.message);
    }

    #[test]
    fn peering_checks() {
        let base = || vec![("vpcId", Value::from("vpc-1")), ("peerVpcId", Value::from("vpc-2"))];
        assert!(check(PEERING, base()).is_ok());
        let mut cross = base();
        cross.extend([("autoAccept", Value::from(true)), ("peerRegion", Value::from("eu-west-1"))]);
        assert!(check(PEERING, cross).unwrap_err().message.contains("peerRegion"));
        let mut classic = base();
        classic.push(("accepter", Value::object([("allowClassicLinkToRemoteVpc", true)])));
        assert!(check(PEERING, classic).unwrap_err().message.contains("allowClassicLinkToRemoteVpc"));
    }

    #[test]
    fn kind_checks() {
        let vpc = |cidr: &str| check(VPC, vec![("cidrBlock", cidr.into())]);
        assert!(vpc("10.0.0.0/16").is_ok());
        let e = vpc("10.0.0.0/33").unwrap_err();
        assert!(e.message.starts_with(VPC) && e.message.contains("cidrBlock"), "{}", e.message);
        assert!(check(VPC, vec![("cidrBlock", Value::Unknown)]).is_ok());
        let e = check(VPC, vec![("cidrBlock", "10.0.0.0/16".into()), ("ipv6CidrBlock", "x".into())]).unwrap_err();
        assert!(e.message.contains("does not implement input ipv6CidrBlock"), "{}", e.message);

        let rule = |extra: Vec<(&str, Value)>| {
            let mut pairs = vec![("securityGroupId", Value::from("sg-1")), ("cidrIpv4", "0.0.0.0/0".into())];
            pairs.extend(extra);
            check(INGRESS_RULE, pairs)
        };
        assert!(rule(vec![("ipProtocol", "tcp".into()), ("fromPort", 443.into()), ("toPort", 443.into())]).is_ok());
        assert!(rule(vec![("ipProtocol", "-1".into())]).is_ok());
        assert!(rule(vec![("ipProtocol", "tcp".into())]).unwrap_err().message.contains("fromPort and toPort"));
        assert!(rule(vec![("ipProtocol", "tcp".into()), ("fromPort", 443.into()), ("toPort", 80.into())]).is_err());
        assert!(rule(vec![("ipProtocol", "6".into()), ("fromPort", 1.into()), ("toPort", 1.into())])
            .unwrap_err()
            .message
            .contains("\"tcp\""));
        assert!(rule(vec![("ipProtocol", "-1".into()), ("fromPort", 80.into())]).is_err());
        assert!(rule(vec![("ipProtocol", "tcp".into()), ("fromPort", Value::Unknown), ("toPort", 80.into())]).is_ok());
        let two_peers = check(
            EGRESS_RULE,
            vec![
                ("securityGroupId", "sg-1".into()),
                ("ipProtocol", "-1".into()),
                ("cidrIpv4", "0.0.0.0/0".into()),
                ("referencedSecurityGroupId", "sg-2".into()),
            ],
        );
        assert!(two_peers.unwrap_err().message.contains("only one of"));

        let route = |pairs| check(ROUTE, pairs);
        assert!(route(vec![
            ("routeTableId", "rtb-1".into()),
            ("destinationCidrBlock", "0.0.0.0/0".into()),
            ("gatewayId", "igw-1".into())
        ])
        .is_ok());
        assert!(route(vec![("routeTableId", "rtb-1".into()), ("destinationCidrBlock", "0.0.0.0/0".into())]).is_err());
        assert!(check(NAT_GATEWAY, vec![("subnetId", "subnet-1".into())])
            .unwrap_err()
            .message
            .contains("allocationId"));
        assert!(check(EIP, vec![("domain", "standard".into())]).is_err());
    }

    #[test]
    fn route_ids_round_trip() {
        let id = route::id("rtb-0123", "0.0.0.0/0");
        assert_eq!(id, "rtb-0123_0.0.0.0/0");
    }

    #[test]
    fn association_moving_tables_is_a_delete_first_replacement() {
        let old = map(vec![("subnetId", "subnet-1".into()), ("routeTableId", "rtb-1".into())]);
        let new = map(vec![("subnetId", "subnet-1".into()), ("routeTableId", "rtb-2".into())]);
        let base = crate::provider::diff_by_catalog(ROUTE_TABLE_ASSOCIATION, &old, &new).unwrap();
        let d = Ec2.diff(ROUTE_TABLE_ASSOCIATION, &old, &new, base);
        assert_eq!(d.replace_keys, vec!["routeTableId".to_string()]);
        assert!(d.delete_before_replace);
    }

    #[test]
    fn rule_peer_kind_change_replaces_but_value_change_does_not() {
        let old = map(vec![
            ("securityGroupId", "sg-1".into()),
            ("ipProtocol", "-1".into()),
            ("cidrIpv4", "10.0.0.0/8".into()),
        ]);
        let value = map(vec![
            ("securityGroupId", "sg-1".into()),
            ("ipProtocol", "-1".into()),
            ("cidrIpv4", "10.1.0.0/16".into()),
        ]);
        let kind = map(vec![
            ("securityGroupId", "sg-1".into()),
            ("ipProtocol", "-1".into()),
            ("referencedSecurityGroupId", "sg-2".into()),
        ]);
        let diff = |new: &PropertyMap| {
            Ec2.diff(INGRESS_RULE, &old, new, crate::provider::diff_by_catalog(INGRESS_RULE, &old, new).unwrap())
        };
        assert!(diff(&value).replace_keys.is_empty());
        assert_eq!(diff(&kind).replace_keys, vec!["cidrIpv4".to_string(), "referencedSecurityGroupId".to_string()]);
    }
}
