//! EC2 and VPC kinds against moto.
//!
//! moto gaps met by the VPC peering test: moto lists a deleted connection as
//! `deleted` forever (AWS for a couple of hours — the provider treats both
//! as gone), and reports peering options on pending connections too (AWS
//! only on active ones), so the test asserts them on active connections only.
//!
//! moto gap met by the launch template test: DescribeLaunchTemplates keeps
//! answering with the tags the template was created with, whatever CreateTags
//! and DeleteTags did since; the provider reads a template's tags with
//! DescribeTags, which is current in both AWS and moto.

use aws_sdk_ec2::types::{Filter, VpcAttributeName};
use tapctl::model::{PropertyMap, Value};
use tapctl::provider::URN_TAG;

use super::{ctx, out, props, tags, Env};

const VPC: &str = "aws:ec2/vpc:Vpc";
const SUBNET: &str = "aws:ec2/subnet:Subnet";
const IGW: &str = "aws:ec2/internetGateway:InternetGateway";
const EIP: &str = "aws:ec2/eip:Eip";
const NAT: &str = "aws:ec2/natGateway:NatGateway";
const ROUTE_TABLE: &str = "aws:ec2/routeTable:RouteTable";
const ROUTE: &str = "aws:ec2/route:Route";
const RTA: &str = "aws:ec2/routeTableAssociation:RouteTableAssociation";
const SG: &str = "aws:ec2/securityGroup:SecurityGroup";
const INGRESS: &str = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const EGRESS: &str = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";
const PEERING: &str = "aws:ec2/vpcPeeringConnection:VpcPeeringConnection";
const LAUNCH_TEMPLATE: &str = "aws:ec2/launchTemplate:LaunchTemplate";
const FLOW_LOG: &str = "aws:ec2/flowLog:FlowLog";
const NACL: &str = "aws:ec2/networkAcl:NetworkAcl";
const NACL_RULE: &str = "aws:ec2/networkAclRule:NetworkAclRule";
const NACL_ASSOCIATION: &str = "aws:ec2/networkAclAssociation:NetworkAclAssociation";

fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

/// The tags on `id` as the cloud has them.
async fn cloud_tags(env: &Env, id: &str) -> Vec<(String, String)> {
    let out = env.ec2.describe_tags().filters(filter("resource-id", id)).send().await.expect("DescribeTags");
    let mut tags: Vec<(String, String)> = out
        .tags()
        .iter()
        .map(|t| (t.key().unwrap_or_default().to_string(), t.value().unwrap_or_default().to_string()))
        .collect();
    tags.sort();
    tags
}

async fn vpc(env: &Env, name: &str, cidr: &str) -> tapctl::provider::Created {
    env.given(VPC, name, props(vec![("cidrBlock", cidr.into())])).await
}

async fn subnet(env: &Env, name: &str, vpc_id: &str, cidr: &str) -> tapctl::provider::Created {
    env.given(
        SUBNET,
        name,
        props(vec![("vpcId", vpc_id.into()), ("cidrBlock", cidr.into()), ("availabilityZone", "us-east-1a".into())]),
    )
    .await
}

#[tokio::test]
async fn vpc_lifecycle() {
    let env = Env::start().await;
    let create = props(vec![
        ("cidrBlock", "10.0.0.0/16".into()),
        ("enableDnsHostnames", true.into()),
        ("enableDnsSupport", true.into()),
        ("tags", tags(&[("Name", "tap-dev-vpc"), ("Environment", "dev")])),
    ]);
    let update = props(vec![
        ("cidrBlock", "10.0.0.0/16".into()),
        ("enableDnsHostnames", false.into()),
        ("enableDnsSupport", true.into()),
        ("tags", tags(&[("Name", "tap-dev-vpc"), ("Owner", "platform")])),
    ]);
    let env = &env;
    env.lifecycle(VPC, "vpc", create, update, |created, updated| async move {
        let id = &created.id;
        let o = &created.outputs;
        assert!(id.starts_with("vpc-"));
        assert_eq!(out(o, "arn"), format!("arn:aws:ec2:us-east-1:{}:vpc/{id}", out(o, "ownerId")));
        assert_eq!(out(o, "cidrBlock"), "10.0.0.0/16");
        assert_eq!(o["enableDnsHostnames"], Value::Bool(true));
        assert_eq!(o["enableDnsSupport"], Value::Bool(true));
        assert!(out(o, "mainRouteTableId").starts_with("rtb-"));
        assert_eq!(o["defaultRouteTableId"], o["mainRouteTableId"]);
        assert!(out(o, "defaultSecurityGroupId").starts_with("sg-"));
        assert!(out(o, "defaultNetworkAclId").starts_with("acl-"));
        assert_eq!(o["tags"], tags(&[("Name", "tap-dev-vpc"), ("Environment", "dev")]));
        assert_eq!(out(o, "region"), "us-east-1");

        // The update reached the cloud: attribute and tags.
        assert_eq!(updated["enableDnsHostnames"], Value::Bool(false));
        let attr = &env
            .ec2
            .describe_vpc_attribute()
            .vpc_id(id)
            .attribute(VpcAttributeName::EnableDnsHostnames)
            .send()
            .await
            .unwrap();
        assert_eq!(attr.enable_dns_hostnames().and_then(|a| a.value()), Some(false));
        let urn = ctx(VPC, "vpc").urn.to_string();
        assert_eq!(
            cloud_tags(env, id).await,
            vec![
                ("Name".to_string(), "tap-dev-vpc".to_string()),
                ("Owner".to_string(), "platform".to_string()),
                (URN_TAG.to_string(), urn)
            ]
        );
        assert_eq!(updated["tags"], tags(&[("Name", "tap-dev-vpc"), ("Owner", "platform")]));
    })
    .await;
}

#[tokio::test]
async fn subnet_lifecycle() {
    let env = Env::start().await;
    let vpc = &vpc(&env, "vpc", "10.1.0.0/16").await;
    let base = |public: bool, tag: &str| {
        props(vec![
            ("vpcId", vpc.id.as_str().into()),
            ("cidrBlock", "10.1.1.0/24".into()),
            ("availabilityZone", "us-east-1b".into()),
            ("mapPublicIpOnLaunch", public.into()),
            ("tags", tags(&[("Name", tag)])),
        ])
    };
    let env = &env;
    env.lifecycle(SUBNET, "public-b", base(false, "a"), base(true, "b"), |created, updated| async move {
        let o = &created.outputs;
        assert!(created.id.starts_with("subnet-"));
        assert_eq!(out(o, "vpcId"), vpc.id);
        assert_eq!(out(o, "availabilityZone"), "us-east-1b");
        assert!(o.contains_key("availabilityZoneId"));
        assert_eq!(o["mapPublicIpOnLaunch"], Value::Bool(false));
        assert!(out(o, "arn").ends_with(&format!(":subnet/{}", created.id)));
        assert_eq!(updated["mapPublicIpOnLaunch"], Value::Bool(true));
        let s = env.ec2.describe_subnets().subnet_ids(&created.id).send().await.unwrap();
        assert_eq!(s.subnets()[0].map_public_ip_on_launch(), Some(true));
        assert_eq!(updated["tags"], tags(&[("Name", "b")]));
    })
    .await;
    env.remove(VPC, "vpc", vpc).await;
}

#[tokio::test]
async fn internet_gateway_lifecycle_moves_between_vpcs() {
    let env = Env::start().await;
    let first = &vpc(&env, "vpc-1", "10.2.0.0/16").await;
    let second = &vpc(&env, "vpc-2", "10.3.0.0/16").await;
    let create = props(vec![("vpcId", first.id.as_str().into()), ("tags", tags(&[("Name", "igw")]))]);
    let update = props(vec![("vpcId", second.id.as_str().into()), ("tags", tags(&[("Name", "igw-moved")]))]);
    let env = &env;
    let (created, _) = env
        .lifecycle(IGW, "igw", create, update, |created, updated| async move {
            assert!(created.id.starts_with("igw-"));
            assert_eq!(out(&created.outputs, "vpcId"), first.id);
            assert_eq!(out(&updated, "vpcId"), second.id);
            let g = env.ec2.describe_internet_gateways().internet_gateway_ids(&created.id).send().await.unwrap();
            let attached: Vec<&str> =
                g.internet_gateways()[0].attachments().iter().filter_map(|a| a.vpc_id()).collect();
            assert_eq!(attached, vec![second.id.as_str()]);
        })
        .await;
    // Delete detached it first: both VPCs can go.
    let gone =
        env.ec2.describe_internet_gateways().filters(filter("attachment.vpc-id", &second.id)).send().await.unwrap();
    assert!(gone.internet_gateways().iter().all(|g| g.internet_gateway_id() != Some(created.id.as_str())));
    env.remove(VPC, "vpc-1", first).await;
    env.remove(VPC, "vpc-2", second).await;
}

#[tokio::test]
async fn eip_lifecycle() {
    let env = Env::start().await;
    let create = props(vec![("domain", "vpc".into()), ("tags", tags(&[("Name", "nat-eip-a")]))]);
    let update = props(vec![("domain", "vpc".into()), ("tags", tags(&[("Name", "nat-eip-a"), ("Tier", "edge")]))]);
    let env = &env;
    env.lifecycle(EIP, "nat-eip-a", create, update, |created, updated| async move {
        let o = &created.outputs;
        assert!(created.id.starts_with("eipalloc-"));
        assert_eq!(out(o, "allocationId"), created.id);
        assert_eq!(out(o, "domain"), "vpc");
        let ip = out(o, "publicIp");
        assert!(ip.parse::<std::net::Ipv4Addr>().is_ok(), "{ip}");
        assert_eq!(out(o, "publicDns"), format!("ec2-{}.compute-1.amazonaws.com", ip.replace('.', "-")));
        assert_eq!(out(o, "arn"), format!("arn:aws:ec2:us-east-1:123456789012:elastic-ip/{}", created.id));
        assert_eq!(updated["tags"], tags(&[("Name", "nat-eip-a"), ("Tier", "edge")]));
    })
    .await;
}

#[tokio::test]
async fn nat_gateway_lifecycle() {
    let env = Env::start().await;
    let vpc = &vpc(&env, "vpc", "10.4.0.0/16").await;
    let igw = &env.given(IGW, "igw", props(vec![("vpcId", vpc.id.as_str().into())])).await;
    let subnet = &subnet(&env, "public-a", &vpc.id, "10.4.0.0/24").await;
    let eip = &env.given(EIP, "eip", props(vec![("domain", "vpc".into())])).await;
    let inputs = |tag: &str| {
        props(vec![
            ("allocationId", eip.id.as_str().into()),
            ("subnetId", subnet.id.as_str().into()),
            ("tags", tags(&[("Name", tag)])),
        ])
    };
    let env = &env;
    let eip_ip = out(&eip.outputs, "publicIp").to_string();
    env.lifecycle(NAT, "nat-a", inputs("nat-a"), inputs("nat-a-renamed"), |created, updated| async move {
        let o = &created.outputs;
        assert!(created.id.starts_with("nat-"));
        assert_eq!(out(o, "subnetId"), subnet.id);
        assert_eq!(out(o, "allocationId"), eip.id);
        assert_eq!(out(o, "publicIp"), eip_ip);
        assert_eq!(out(o, "connectivityType"), "public");
        assert!(out(o, "networkInterfaceId").starts_with("eni-"));
        assert_eq!(updated["tags"], tags(&[("Name", "nat-a-renamed")]));
    })
    .await;
    // Deleting the NAT gateway waited until it was gone, so everything it
    // used can be deleted right after (real AWS would refuse otherwise).
    env.remove(EIP, "eip", eip).await;
    env.remove(SUBNET, "public-a", subnet).await;
    env.remove(IGW, "igw", igw).await;
    env.remove(VPC, "vpc", vpc).await;
}

#[tokio::test]
async fn route_table_lifecycle() {
    let env = Env::start().await;
    let vpc = &vpc(&env, "vpc", "10.5.0.0/16").await;
    let inputs = |tag: &str| props(vec![("vpcId", vpc.id.as_str().into()), ("tags", tags(&[("Name", tag)]))]);
    let env = &env;
    env.lifecycle(ROUTE_TABLE, "public-rt", inputs("public"), inputs("public-2"), |created, updated| async move {
        assert!(created.id.starts_with("rtb-"));
        assert_eq!(out(&created.outputs, "vpcId"), vpc.id);
        assert!(out(&created.outputs, "arn").ends_with(&format!(":route-table/{}", created.id)));
        assert_eq!(updated["tags"], tags(&[("Name", "public-2")]));
    })
    .await;
    env.remove(VPC, "vpc", vpc).await;
}

#[tokio::test]
async fn route_lifecycle_retargets_in_place() {
    let env = Env::start().await;
    let vpc = &vpc(&env, "vpc", "10.6.0.0/16").await;
    let igw = &env.given(IGW, "igw", props(vec![("vpcId", vpc.id.as_str().into())])).await;
    let subnet = &subnet(&env, "public-a", &vpc.id, "10.6.0.0/24").await;
    let eip = &env.given(EIP, "eip", props(vec![("domain", "vpc".into())])).await;
    let nat = &env
        .given(
            NAT,
            "nat",
            props(vec![("allocationId", eip.id.as_str().into()), ("subnetId", subnet.id.as_str().into())]),
        )
        .await;
    let rt = &env.given(ROUTE_TABLE, "rt", props(vec![("vpcId", vpc.id.as_str().into())])).await;
    let route = |target: (&str, &str)| {
        props(vec![
            ("routeTableId", rt.id.as_str().into()),
            ("destinationCidrBlock", "0.0.0.0/0".into()),
            (target.0, target.1.into()),
        ])
    };
    let env = &env;
    env.lifecycle(
        ROUTE,
        "default-route",
        route(("gatewayId", &igw.id)),
        route(("natGatewayId", &nat.id)),
        |created, updated| async move {
            assert_eq!(created.id, format!("{}_0.0.0.0/0", rt.id));
            assert_eq!(out(&created.outputs, "gatewayId"), igw.id);
            assert_eq!(out(&created.outputs, "destinationCidrBlock"), "0.0.0.0/0");
            assert_eq!(out(&updated, "natGatewayId"), nat.id);
            assert!(!updated.contains_key("gatewayId"), "{updated:?}");
        },
    )
    .await;
    // A route's table is gone with the table: delete and read still succeed.
    let route_ctx = ctx(ROUTE, "default-route");
    let gone_id = format!("{}_10.0.0.0/8", rt.id);
    env.remove(ROUTE_TABLE, "rt", rt).await;
    assert_eq!(env.provider.read(&route_ctx, &gone_id).await.unwrap(), None);
    env.provider.delete(&route_ctx, &gone_id, &PropertyMap::new()).await.expect("route of a deleted table");
    env.remove(NAT, "nat", nat).await;
    env.remove(EIP, "eip", eip).await;
    env.remove(SUBNET, "public-a", subnet).await;
    env.remove(IGW, "igw", igw).await;
    env.remove(VPC, "vpc", vpc).await;
}

#[tokio::test]
async fn route_table_association_lifecycle() {
    let env = Env::start().await;
    let vpc = &vpc(&env, "vpc", "10.7.0.0/16").await;
    let subnet = &subnet(&env, "private-a", &vpc.id, "10.7.0.0/24").await;
    let rt = &env.given(ROUTE_TABLE, "rt", props(vec![("vpcId", vpc.id.as_str().into())])).await;
    let other = &env.given(ROUTE_TABLE, "other", props(vec![("vpcId", vpc.id.as_str().into())])).await;
    let p = env.provider.as_ref();
    let c = ctx(RTA, "private-a-rta");
    let inputs = props(vec![("subnetId", subnet.id.as_str().into()), ("routeTableId", rt.id.as_str().into())]);
    p.check(RTA, &inputs).unwrap();
    let created = p.create(&c, &inputs).await.expect("associate");
    assert!(created.id.starts_with("rtbassoc-"), "{}", created.id);
    assert_eq!(out(&created.outputs, "subnetId"), subnet.id);
    assert_eq!(out(&created.outputs, "routeTableId"), rt.id);
    assert_eq!(p.read(&c, &created.id).await.unwrap().as_ref(), Some(&created.outputs));

    // Nothing of an association changes in place: moving the subnet to
    // another table is a replacement that deletes first (a subnet has one
    // association), and an update with the same inputs is a no-op.
    let moved = props(vec![("subnetId", subnet.id.as_str().into()), ("routeTableId", other.id.as_str().into())]);
    let diff = p.diff(RTA, &inputs, &moved).unwrap();
    assert_eq!(diff.replace_keys, vec!["routeTableId".to_string()]);
    assert!(diff.delete_before_replace);
    let same = p.update(&c, &created.id, &created.outputs, &inputs).await.expect("no-op update");
    assert_eq!(same, created.outputs);

    p.delete(&c, &created.id, &created.outputs).await.expect("disassociate");
    assert_eq!(p.read(&c, &created.id).await.unwrap(), None);
    p.delete(&c, &created.id, &created.outputs).await.expect("disassociate again");
    let replacement = p.create(&c, &moved).await.expect("associate with the other table");
    assert_eq!(out(&replacement.outputs, "routeTableId"), other.id);
    p.delete(&c, &replacement.id, &replacement.outputs).await.unwrap();

    env.remove(ROUTE_TABLE, "rt", rt).await;
    env.remove(ROUTE_TABLE, "other", other).await;
    env.remove(SUBNET, "private-a", subnet).await;
    env.remove(VPC, "vpc", vpc).await;
}

#[tokio::test]
async fn security_group_lifecycle_revokes_the_default_egress() {
    let env = Env::start().await;
    let vpc = &vpc(&env, "vpc", "10.8.0.0/16").await;
    let inputs = |tag: &str| {
        props(vec![
            ("name", "tap-dev-alb-sg".into()),
            ("description", "Internet-facing ALB".into()),
            ("vpcId", vpc.id.as_str().into()),
            ("tags", tags(&[("Name", tag)])),
        ])
    };
    let env = &env;
    env.lifecycle(SG, "alb-sg", inputs("alb"), inputs("alb-2"), |created, updated| async move {
        let o = &created.outputs;
        assert!(created.id.starts_with("sg-"));
        assert_eq!(out(o, "name"), "tap-dev-alb-sg");
        assert_eq!(out(o, "description"), "Internet-facing ALB");
        assert_eq!(out(o, "vpcId"), vpc.id);
        assert!(out(o, "arn").ends_with(&format!(":security-group/{}", created.id)));
        assert_eq!(updated["tags"], tags(&[("Name", "alb-2")]));
        // Like pulumi-aws: no allow-all egress the program did not declare
        // (while a group made directly through the API has AWS's default one).
        let raw = env.ec2.create_security_group().group_name("raw").description("raw").vpc_id(&vpc.id).send();
        let raw = raw.await.unwrap().group_id().unwrap().to_string();
        let rules = env.ec2.describe_security_group_rules().filters(filter("group-id", &raw)).send().await.unwrap();
        assert!(rules.security_group_rules().iter().any(|r| r.is_egress() == Some(true)), "{rules:?}");
        env.ec2.delete_security_group().group_id(&raw).send().await.unwrap();
        let rules =
            env.ec2.describe_security_group_rules().filters(filter("group-id", &created.id)).send().await.unwrap();
        assert!(rules.security_group_rules().iter().all(|r| r.is_egress() != Some(true)), "{rules:?}");
    })
    .await;

    // Without a name, one is made from the logical name.
    let auto = &env.given(SG, "ecs-sg", props(vec![("vpcId", vpc.id.as_str().into())])).await;
    assert!(out(&auto.outputs, "name").starts_with("ecs-sg-"), "{:?}", auto.outputs);
    assert_eq!(out(&auto.outputs, "description"), "Managed by Pulumi");
    env.remove(SG, "ecs-sg", auto).await;
    env.remove(VPC, "vpc", vpc).await;
}

#[tokio::test]
async fn security_group_rule_lifecycles() {
    let env = Env::start().await;
    let vpc = &vpc(&env, "vpc", "10.10.0.0/16").await;
    let group = |name: &str| {
        props(vec![("name", name.into()), ("description", name.into()), ("vpcId", vpc.id.as_str().into())])
    };
    let alb = &env.given(SG, "alb-sg", group("alb")).await;
    let ecs = &env.given(SG, "ecs-sg", group("ecs")).await;

    // Ingress from the internet; the update moves the port and rewrites the
    // description (ModifySecurityGroupRules) and the tags.
    let ingress = |port: u16, description: &str, tag: &str| {
        props(vec![
            ("securityGroupId", alb.id.as_str().into()),
            ("ipProtocol", "tcp".into()),
            ("fromPort", port.into()),
            ("toPort", port.into()),
            ("cidrIpv4", "0.0.0.0/0".into()),
            ("description", description.into()),
            ("tags", tags(&[("Name", tag)])),
        ])
    };
    let env = &env;
    let alb_id = alb.id.clone();
    env.lifecycle(
        INGRESS,
        "alb-https-in",
        ingress(443, "HTTPS from the internet", "https"),
        ingress(8443, "Alternate HTTPS", "https-alt"),
        |created, updated| async move {
            let o = &created.outputs;
            assert!(created.id.starts_with("sgr-"), "{}", created.id);
            assert_eq!(out(o, "securityGroupRuleId"), created.id);
            assert_eq!(out(o, "securityGroupId"), alb_id);
            assert_eq!(out(o, "ipProtocol"), "tcp");
            assert_eq!(o["fromPort"], Value::Number(443.0));
            assert_eq!(o["toPort"], Value::Number(443.0));
            assert_eq!(out(o, "cidrIpv4"), "0.0.0.0/0");
            assert_eq!(out(o, "description"), "HTTPS from the internet");
            assert!(out(o, "arn").ends_with(&format!(":security-group-rule/{}", created.id)));
            assert_eq!(updated["fromPort"], Value::Number(8443.0));
            assert_eq!(updated["toPort"], Value::Number(8443.0));
            assert_eq!(out(&updated, "description"), "Alternate HTTPS");
            assert_eq!(updated["tags"], tags(&[("Name", "https-alt")]));
        },
    )
    .await;

    // Egress to another group, all protocols: no ports in the outputs. An
    // egress rule id is not an ingress resource.
    let egress = |tag: &str| {
        props(vec![
            ("securityGroupId", alb.id.as_str().into()),
            ("ipProtocol", "-1".into()),
            ("referencedSecurityGroupId", ecs.id.as_str().into()),
            ("tags", tags(&[("Name", tag)])),
        ])
    };
    let ecs_id = ecs.id.clone();
    env.lifecycle(EGRESS, "alb-to-ecs", egress("to-ecs"), egress("to-ecs-2"), |created, _| async move {
        let o = &created.outputs;
        assert_eq!(out(o, "ipProtocol"), "-1");
        assert!(!o.contains_key("fromPort") && !o.contains_key("toPort"), "{o:?}");
        assert_eq!(out(o, "referencedSecurityGroupId"), ecs_id);
        let as_ingress = env.provider.read(&ctx(INGRESS, "alb-to-ecs"), &created.id).await.unwrap();
        assert_eq!(as_ingress, None);
    })
    .await;

    // Switching the kind of peer replaces the rule; changing its value does not.
    let mut to_cidr = egress("x");
    to_cidr.remove("referencedSecurityGroupId");
    to_cidr.insert("cidrIpv4".into(), "10.0.0.0/8".into());
    assert!(!env.provider.diff(EGRESS, &egress("x"), &to_cidr).unwrap().replace_keys.is_empty());

    env.remove(SG, "alb-sg", alb).await;
    env.remove(SG, "ecs-sg", ecs).await;
    env.remove(VPC, "vpc", vpc).await;
}

/// What an interrupted create made is found again — by its URN tag, or for
/// routes and associations by what their inputs pin down — so the engine can
/// adopt it instead of making a second one.
#[tokio::test]
async fn interrupted_creates_are_found_for_adoption() {
    let env = Env::start().await;
    let p = env.provider.as_ref();
    let mut made = Vec::new();
    let vpc_inputs = props(vec![("cidrBlock", "10.11.0.0/16".into()), ("tags", tags(&[("Name", "v")]))]);
    let vpc = env.given(VPC, "vpc", vpc_inputs.clone()).await;
    made.push((VPC, "vpc", vpc_inputs, vpc.clone()));
    let vpc_id = Value::from(vpc.id.as_str());
    let subnet_inputs = props(vec![("vpcId", vpc_id.clone()), ("cidrBlock", "10.11.0.0/24".into())]);
    let subnet = env.given(SUBNET, "subnet", subnet_inputs.clone()).await;
    made.push((SUBNET, "subnet", subnet_inputs, subnet.clone()));
    let sg_inputs = props(vec![("name", "adopt-me".into()), ("vpcId", vpc_id.clone())]);
    let sg = env.given(SG, "sg", sg_inputs.clone()).await;
    made.push((SG, "sg", sg_inputs, sg.clone()));
    let rule_inputs = props(vec![
        ("securityGroupId", sg.id.as_str().into()),
        ("ipProtocol", "tcp".into()),
        ("fromPort", 5432.into()),
        ("toPort", 5432.into()),
        ("cidrIpv4", "10.11.0.0/16".into()),
    ]);
    let rule = env.given(INGRESS, "rule", rule_inputs.clone()).await;
    made.push((INGRESS, "rule", rule_inputs, rule.clone()));
    let eip_inputs = props(vec![("domain", "vpc".into())]);
    let eip = env.given(EIP, "eip", eip_inputs.clone()).await;
    made.push((EIP, "eip", eip_inputs, eip.clone()));
    let rt_inputs = props(vec![("vpcId", vpc_id.clone())]);
    let rt = env.given(ROUTE_TABLE, "rt", rt_inputs.clone()).await;
    made.push((ROUTE_TABLE, "rt", rt_inputs, rt.clone()));
    let igw_inputs = props(vec![("vpcId", vpc_id.clone())]);
    let igw = env.given(IGW, "igw", igw_inputs.clone()).await;
    made.push((IGW, "igw", igw_inputs, igw.clone()));
    let route_inputs = props(vec![
        ("routeTableId", rt.id.as_str().into()),
        ("destinationCidrBlock", "0.0.0.0/0".into()),
        ("gatewayId", igw.id.as_str().into()),
    ]);
    let route = env.given(ROUTE, "route", route_inputs.clone()).await;
    made.push((ROUTE, "route", route_inputs, route.clone()));
    let rta_inputs = props(vec![("routeTableId", rt.id.as_str().into()), ("subnetId", subnet.id.as_str().into())]);
    let rta = env.given(RTA, "rta", rta_inputs.clone()).await;
    made.push((RTA, "rta", rta_inputs, rta.clone()));

    for (token, name, inputs, created) in &made {
        let found = p.find(&ctx(token, name), inputs).await.unwrap_or_else(|e| panic!("find {name}: {e}"));
        assert_eq!(found, vec![created.clone()], "{name}");
    }
    // Another URN does not claim them.
    for (token, _, inputs, _) in made.iter().filter(|(t, ..)| tapctl::provider::kind(t).unwrap().taggable) {
        assert_eq!(p.find(&ctx(token, "someone-else"), inputs).await.unwrap(), vec![], "{token}");
    }
    for (token, name, inputs, created) in made.iter().rev() {
        env.remove(token, name, created).await;
        assert_eq!(p.find(&ctx(token, name), inputs).await.unwrap(), vec![], "{name} found after its delete");
    }
}

fn peering(vpc: &str, peer: &str, auto_accept: bool, dns: Option<bool>, tag: &str) -> PropertyMap {
    let mut inputs = props(vec![
        ("vpcId", vpc.into()),
        ("peerVpcId", peer.into()),
        ("autoAccept", auto_accept.into()),
        ("tags", tags(&[("Name", tag)])),
    ]);
    if let Some(dns) = dns {
        inputs.insert("requester".into(), Value::object([("allowRemoteVpcDnsResolution", dns)]));
    }
    inputs
}

/// A same-account, same-region peering created pending, then accepted in
/// place by turning `autoAccept` on, with a peering option applied once active.
#[tokio::test]
async fn vpc_peering_connection_lifecycle_accepts_in_place() {
    let env = Env::start().await;
    let a = vpc(&env, "a", "10.10.0.0/16").await;
    let b = vpc(&env, "b", "10.20.0.0/16").await;
    let env = &env;
    let (a_id, b_id) = (a.id.clone(), b.id.clone());
    env.lifecycle(
        PEERING,
        "a-to-b",
        peering(&a.id, &b.id, false, None, "a-to-b"),
        peering(&a.id, &b.id, true, Some(true), "a-to-b-2"),
        |created, updated| async move {
            let o = &created.outputs;
            assert!(created.id.starts_with("pcx-"), "{}", created.id);
            assert_eq!(out(o, "vpcId"), a_id);
            assert_eq!(out(o, "peerVpcId"), b_id);
            assert_eq!(out(o, "peerOwnerId"), "123456789012");
            assert_eq!(out(o, "peerRegion"), "us-east-1");
            assert_eq!(out(o, "acceptStatus"), "pending-acceptance");
            assert!(!o.contains_key("autoAccept"), "AWS does not record autoAccept");
            assert_eq!(out(&updated, "acceptStatus"), "active");
            assert_eq!(updated["requester"], Value::object([("allowRemoteVpcDnsResolution", true)]));
            assert_eq!(updated["tags"], tags(&[("Name", "a-to-b-2")]));
            let pcx = env
                .ec2
                .describe_vpc_peering_connections()
                .vpc_peering_connection_ids(&created.id)
                .send()
                .await
                .unwrap();
            let pcx = &pcx.vpc_peering_connections()[0];
            let dns = pcx
                .requester_vpc_info()
                .and_then(|r| r.peering_options())
                .and_then(|o| o.allow_dns_resolution_from_remote_vpc());
            assert_eq!(dns, Some(true));
            let keys: Vec<String> = cloud_tags(env, &created.id).await.into_iter().map(|(k, _)| k).collect();
            assert!(keys.contains(&URN_TAG.to_string()), "{keys:?}");
            // Adoption finds it by its URN tag.
            let found =
                env.provider.find(&ctx(PEERING, "a-to-b"), &peering(&a_id, &b_id, false, None, "x")).await.unwrap();
            assert_eq!(found.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), vec![created.id.as_str()]);
        },
    )
    .await;
    // Auto-accepted at creation.
    let accepted = env.given(PEERING, "auto", peering(&a.id, &b.id, true, None, "auto")).await;
    assert_eq!(out(&accepted.outputs, "acceptStatus"), "active");
    env.remove(PEERING, "auto", &accepted).await;
    env.remove(VPC, "b", &b).await;
    env.remove(VPC, "a", &a).await;
}

/// A hardened web-tier template: IMDSv2 only, an encrypted root volume with
/// a customer KMS key, an instance profile, a security group, user data.
pub fn launch_template_inputs(sg: &str, instance_type: &str, tag: &str) -> PropertyMap {
    let ebs = Value::object([
        ("volumeSize", Value::from(30)),
        ("volumeType", Value::from("gp3")),
        ("encrypted", Value::from("true")),
        ("kmsKeyId", Value::from("arn:aws:kms:us-east-1:123456789012:key/0c8a5f0e-1111-2222-3333-444455556666")),
        ("deleteOnTermination", Value::from("true")),
    ]);
    props(vec![
        ("name", "tap-test-web".into()),
        ("description", format!("web on {instance_type}").into()),
        ("imageId", "ami-12c6146b".into()),
        ("instanceType", instance_type.into()),
        (
            "metadataOptions",
            Value::object([
                ("httpTokens", Value::from("required")),
                ("httpEndpoint", Value::from("enabled")),
                ("httpPutResponseHopLimit", Value::from(1)),
            ]),
        ),
        (
            "blockDeviceMappings",
            Value::Array(vec![Value::object([("deviceName", Value::from("/dev/xvda")), ("ebs", ebs)])]),
        ),
        ("iamInstanceProfile", Value::object([("name", "tap-test-web")])),
        ("vpcSecurityGroupIds", Value::array([sg])),
        ("userData", "IyEvYmluL2Jhc2gKZWNobyBoZWxsbwo=".into()),
        (
            "tagSpecifications",
            Value::Array(vec![Value::object([
                ("resourceType", Value::from("instance")),
                ("tags", tags(&[("Name", "tap-test-web")])),
            ])]),
        ),
        ("updateDefaultVersion", true.into()),
        ("tags", tags(&[("Name", tag)])),
    ])
}

/// An update is a new version, made the default (updateDefaultVersion).
#[tokio::test]
async fn launch_template_lifecycle_versions_in_place() {
    let env = Env::start().await;
    let vpc = vpc(&env, "vpc", "10.30.0.0/16").await;
    let sg = env
        .given(
            SG,
            "web-sg",
            props(vec![
                ("name", "tap-test-web".into()),
                ("description", "web".into()),
                ("vpcId", vpc.id.as_str().into()),
            ]),
        )
        .await;
    let env = &env;
    let sg_id = sg.id.clone();
    env.lifecycle(
        LAUNCH_TEMPLATE,
        "web",
        launch_template_inputs(&sg.id, "t3.micro", "web"),
        launch_template_inputs(&sg.id, "t3.small", "web-2"),
        |created, updated| async move {
            let o = &created.outputs;
            assert!(created.id.starts_with("lt-"), "{}", created.id);
            assert_eq!(out(o, "name"), "tap-test-web");
            assert!(out(o, "arn").ends_with(&format!(":launch-template/{}", created.id)));
            assert_eq!(o["latestVersion"], Value::from(1));
            assert_eq!(o["defaultVersion"], Value::from(1));
            assert_eq!(out(o, "instanceType"), "t3.micro");
            assert_eq!(o["metadataOptions"].as_object().unwrap()["httpTokens"], Value::from("required"));
            let ebs = o["blockDeviceMappings"].as_array().unwrap()[0].as_object().unwrap()["ebs"].clone();
            assert_eq!(ebs.as_object().unwrap()["encrypted"], Value::from("true"));
            assert!(ebs.as_object().unwrap().contains_key("kmsKeyId"));
            assert_eq!(o["iamInstanceProfile"], Value::object([("name", "tap-test-web")]));
            assert_eq!(o["vpcSecurityGroupIds"], Value::array([sg_id.as_str()]));
            assert_eq!(out(o, "userData"), "IyEvYmluL2Jhc2gKZWNobyBoZWxsbwo=");
            assert_eq!(out(o, "description"), "web on t3.micro");
            // The update made version 2 and set it as the default.
            assert_eq!(updated["latestVersion"], Value::from(2));
            assert_eq!(updated["defaultVersion"], Value::from(2));
            assert_eq!(out(&updated, "instanceType"), "t3.small");
            assert_eq!(updated["tags"], tags(&[("Name", "web-2")]));
            let got = env.ec2.describe_launch_templates().launch_template_ids(&created.id).send().await.unwrap();
            assert_eq!(got.launch_templates()[0].default_version_number(), Some(2));
            let keys: Vec<String> = cloud_tags(env, &created.id).await.into_iter().map(|(k, _)| k).collect();
            assert!(keys.contains(&URN_TAG.to_string()), "{keys:?}");
            let c = ctx(LAUNCH_TEMPLATE, "web");
            let found = env.provider.find(&c, &launch_template_inputs(&sg_id, "t3.micro", "x")).await.unwrap();
            assert_eq!(found.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), vec![created.id.as_str()]);
            // A tags-only change makes no new version.
            let retagged = env
                .provider
                .update(&c, &created.id, &updated, &launch_template_inputs(&sg_id, "t3.small", "web-3"))
                .await
                .unwrap();
            assert_eq!(retagged["latestVersion"], Value::from(2));
            // Put the tags back as the harness expects them.
            env.provider
                .update(&c, &created.id, &retagged, &launch_template_inputs(&sg_id, "t3.small", "web-2"))
                .await
                .unwrap();
        },
    )
    .await;
    env.remove(SG, "web-sg", &sg).await;
    env.remove(VPC, "vpc", &vpc).await;
}

/// A VPC flow log to S3; only its tags change in place.
#[tokio::test]
async fn flow_log_lifecycle() {
    let env = Env::start().await;
    let vpc = vpc(&env, "vpc", "10.50.0.0/16").await;
    let bucket =
        env.given("aws:s3/bucket:Bucket", "flow-logs", props(vec![("bucket", "tap-test-flow-logs".into())])).await;
    let inputs = |tag: &str| {
        props(vec![
            ("vpcId", vpc.id.as_str().into()),
            ("trafficType", "REJECT".into()),
            ("logDestinationType", "s3".into()),
            ("logDestination", "arn:aws:s3:::tap-test-flow-logs".into()),
            ("maxAggregationInterval", 60.into()),
            ("tags", tags(&[("Name", tag)])),
        ])
    };
    let env = &env;
    let vpc_id = vpc.id.clone();
    env.lifecycle(FLOW_LOG, "vpc-flow-log", inputs("a"), inputs("b"), |created, updated| async move {
        let o = &created.outputs;
        assert!(created.id.starts_with("fl-"), "{}", created.id);
        assert_eq!(out(o, "vpcId"), vpc_id);
        assert_eq!(out(o, "trafficType"), "REJECT");
        assert_eq!(out(o, "logDestinationType"), "s3");
        assert_eq!(out(o, "logDestination"), "arn:aws:s3:::tap-test-flow-logs");
        assert!(out(o, "arn").ends_with(&format!(":vpc-flow-log/{}", created.id)));
        assert_eq!(updated["tags"], tags(&[("Name", "b")]));
        let keys: Vec<String> = cloud_tags(env, &created.id).await.into_iter().map(|(k, _)| k).collect();
        assert!(keys.contains(&URN_TAG.to_string()), "{keys:?}");
    })
    .await;
    env.remove("aws:s3/bucket:Bucket", "flow-logs", &bucket).await;
    env.remove(VPC, "vpc", &vpc).await;
}

/// The network ACL of the subnet `subnet` now.
async fn acl_of(env: &Env, subnet: &str) -> String {
    let out = env.ec2.describe_network_acls().filters(filter("association.subnet-id", subnet)).send().await.unwrap();
    out.network_acls()[0].network_acl_id().unwrap().to_string()
}

/// Subnets move to the ACL in place, and back to the VPC's default ACL when
/// they leave it or it is deleted.
#[tokio::test]
async fn network_acl_lifecycle_moves_subnets() {
    let env = Env::start().await;
    let vpc = vpc(&env, "vpc", "10.60.0.0/16").await;
    let a = subnet(&env, "a", &vpc.id, "10.60.1.0/24").await;
    let b = subnet(&env, "b", &vpc.id, "10.60.2.0/24").await;
    let default = acl_of(&env, &a.id).await;
    let inputs = |subnets: &[&str], tag: &str| {
        props(vec![
            ("vpcId", vpc.id.as_str().into()),
            ("subnetIds", Value::array(subnets.iter().copied())),
            ("tags", tags(&[("Name", tag)])),
        ])
    };
    let env = &env;
    let (a_id, b_id, default_ref) = (a.id.clone(), b.id.clone(), default.clone());
    let (created, _) = env
        .lifecycle(NACL, "private-acl", inputs(&[&a.id], "a"), inputs(&[&b.id], "b"), |created, updated| async move {
            let o = &created.outputs;
            assert!(created.id.starts_with("acl-"), "{}", created.id);
            assert_eq!(o["subnetIds"], Value::array([a_id.as_str()]));
            assert!(out(o, "arn").ends_with(&format!(":network-acl/{}", created.id)));
            assert_eq!(updated["subnetIds"], Value::array([b_id.as_str()]));
            assert_eq!(acl_of(env, &b_id).await, created.id);
            assert_eq!(acl_of(env, &a_id).await, default_ref, "a left for the default ACL");
            let found = env.provider.find(&ctx(NACL, "private-acl"), &inputs(&[], "x")).await.unwrap();
            assert_eq!(found.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), vec![created.id.as_str()]);
        })
        .await;
    assert_ne!(created.id, default);
    assert_eq!(acl_of(env, &b.id).await, default, "the delete moved b back");
    env.remove(SUBNET, "b", &b).await;
    env.remove(SUBNET, "a", &a).await;
    env.remove(VPC, "vpc", &vpc).await;
}

/// Rules and associations have no in-place changes (every input replaces,
/// as in Terraform): create, read, delete, read nothing, delete again.
#[tokio::test]
async fn network_acl_rules_and_associations() {
    let env = Env::start().await;
    let vpc = vpc(&env, "vpc", "10.70.0.0/16").await;
    let subnet = subnet(&env, "a", &vpc.id, "10.70.1.0/24").await;
    let default = acl_of(&env, &subnet.id).await;
    let acl = env.given(NACL, "acl", props(vec![("vpcId", vpc.id.as_str().into())])).await;
    let p = env.provider.as_ref();

    let https = props(vec![
        ("networkAclId", acl.id.as_str().into()),
        ("ruleNumber", 100.into()),
        ("egress", false.into()),
        ("protocol", "tcp".into()),
        ("ruleAction", "allow".into()),
        ("cidrBlock", "10.0.0.0/8".into()),
        ("fromPort", 443.into()),
        ("toPort", 443.into()),
    ]);
    let c = ctx(NACL_RULE, "https-in");
    p.check(NACL_RULE, &https).unwrap();
    let rule = p.create(&c, &https).await.unwrap();
    assert_eq!(rule.id, format!("{}:100:6:false", acl.id));
    assert_eq!(p.read(&c, &rule.id).await.unwrap().as_ref(), Some(&rule.outputs));
    let o = &rule.outputs;
    assert_eq!((out(o, "protocol"), out(o, "ruleAction"), out(o, "cidrBlock")), ("6", "allow", "10.0.0.0/8"));
    assert_eq!((o["fromPort"].clone(), o["toPort"].clone()), (Value::from(443), Value::from(443)));
    let diff = p.diff(NACL_RULE, &https, &{
        let mut wider = https.clone();
        wider.insert("toPort".into(), 444.into());
        wider
    });
    assert_eq!(diff.unwrap().replace_keys, vec!["toPort".to_string()]);
    let found = p.find(&c, &https).await.unwrap();
    assert_eq!(found.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), vec![rule.id.as_str()]);
    p.delete(&c, &rule.id, &rule.outputs).await.unwrap();
    assert_eq!(p.read(&c, &rule.id).await.unwrap(), None);
    p.delete(&c, &rule.id, &rule.outputs).await.expect("a second delete succeeds");

    let inputs = props(vec![("networkAclId", acl.id.as_str().into()), ("subnetId", subnet.id.as_str().into())]);
    let c = ctx(NACL_ASSOCIATION, "a-acl");
    let assoc = p.create(&c, &inputs).await.unwrap();
    assert!(assoc.id.starts_with("aclassoc-"), "{}", assoc.id);
    assert_eq!(p.read(&c, &assoc.id).await.unwrap().as_ref(), Some(&assoc.outputs));
    assert_eq!(out(&assoc.outputs, "networkAclId"), acl.id);
    assert_eq!(acl_of(&env, &subnet.id).await, acl.id);
    let found = p.find(&c, &inputs).await.unwrap();
    assert_eq!(found.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), vec![assoc.id.as_str()]);
    p.delete(&c, &assoc.id, &assoc.outputs).await.unwrap();
    assert_eq!(acl_of(&env, &subnet.id).await, default, "back to the default ACL");
    assert_eq!(p.read(&c, &assoc.id).await.unwrap(), None);
    p.delete(&c, &assoc.id, &assoc.outputs).await.expect("a second delete succeeds");

    env.remove(NACL, "acl", &acl).await;
    env.remove(SUBNET, "a", &subnet).await;
    env.remove(VPC, "vpc", &vpc).await;
}
