//! NetworkAcls: a stateless second layer under the security groups — one
//! network ACL for the public subnets and one for the private subnets, each
//! rule its own resource, each subnet associated explicitly.
//!
//! Public subnets (load balancer, NAT gateways) accept HTTP and HTTPS from
//! anywhere, anything from inside the VPC (instances reaching the internet
//! through their zone's NAT gateway, targets answering the load balancer) and
//! return traffic on the ephemeral ports. Private subnets accept anything
//! from inside the VPC and return traffic on the ephemeral ports (answers to
//! what the instances asked for through NAT). Both let everything out: ACLs
//! are stateless, and the security groups already limit what leaves.

use crate::model::{Component, Program, Resource, Value};

use super::children::Children;
use super::{ComponentError, Ipv4Cidr, Naming, Tags};

/// What the network ACL component needs.
#[derive(Debug, Clone)]
pub struct NetworkAclsArgs {
    /// The VPC.
    pub vpc_id: Value,
    /// The VPC's block (traffic from inside it is allowed in).
    pub vpc_cidr: Ipv4Cidr,
    /// The public subnets, in zone order.
    pub public_subnet_ids: Vec<Value>,
    /// The private subnets, in zone order.
    pub private_subnet_ids: Vec<Value>,
    /// Physical names.
    pub naming: Naming,
    /// Common tags.
    pub tags: Tags,
}

/// The network ACL component's outputs.
#[derive(Debug, Clone)]
pub struct NetworkAcls {
    /// The component resource.
    pub component: Component,
    /// The public subnets' ACL.
    pub public_acl: Resource,
    /// The private subnets' ACL.
    pub private_acl: Resource,
}

const TYPE: &str = "tap:components:NetworkAcls";

/// IANA protocol numbers, as EC2 reports them back.
const TCP: &str = "6";
const UDP: &str = "17";
const ALL: &str = "-1";

/// The ephemeral ports return traffic arrives on (the widest client range:
/// Linux, Windows, NAT gateways and load balancers all fall inside it).
const EPHEMERAL: (u16, u16) = (1024, 65535);

/// One entry: number, direction, protocol, source or destination, ports.
struct Rule {
    number: u32,
    egress: bool,
    protocol: &'static str,
    cidr: String,
    ports: Option<(u16, u16)>,
    what: &'static str,
}

fn rules_public(vpc: &str) -> Vec<Rule> {
    let anywhere = || "0.0.0.0/0".to_string();
    vec![
        Rule { number: 100, egress: false, protocol: TCP, cidr: anywhere(), ports: Some((80, 80)), what: "http-in" },
        Rule { number: 110, egress: false, protocol: TCP, cidr: anywhere(), ports: Some((443, 443)), what: "https-in" },
        Rule { number: 120, egress: false, protocol: ALL, cidr: vpc.to_string(), ports: None, what: "vpc-in" },
        Rule {
            number: 130,
            egress: false,
            protocol: TCP,
            cidr: anywhere(),
            ports: Some(EPHEMERAL),
            what: "tcp-return-in",
        },
        Rule {
            number: 140,
            egress: false,
            protocol: UDP,
            cidr: anywhere(),
            ports: Some(EPHEMERAL),
            what: "udp-return-in",
        },
        Rule { number: 100, egress: true, protocol: ALL, cidr: anywhere(), ports: None, what: "all-out" },
    ]
}

fn rules_private(vpc: &str) -> Vec<Rule> {
    let anywhere = || "0.0.0.0/0".to_string();
    vec![
        Rule { number: 100, egress: false, protocol: ALL, cidr: vpc.to_string(), ports: None, what: "vpc-in" },
        Rule {
            number: 110,
            egress: false,
            protocol: TCP,
            cidr: anywhere(),
            ports: Some(EPHEMERAL),
            what: "tcp-return-in",
        },
        Rule {
            number: 120,
            egress: false,
            protocol: UDP,
            cidr: anywhere(),
            ports: Some(EPHEMERAL),
            what: "udp-return-in",
        },
        Rule { number: 100, egress: true, protocol: ALL, cidr: anywhere(), ports: None, what: "all-out" },
    ]
}

/// Registers one ACL (`public` or `private`) with its rules and associations.
fn acl(
    c: &mut Children<'_>,
    kind: &str,
    vpc_id: &Value,
    rules: Vec<Rule>,
    subnets: &[Value],
) -> Result<Resource, ComponentError> {
    let logical = format!("{kind}-nacl");
    let name = c.name(&logical, 255);
    let acl =
        c.add("aws:ec2/networkAcl:NetworkAcl", &logical, vec![("vpcId", vpc_id.clone()), ("tags", c.tags(&name))])?;
    for r in rules {
        let mut inputs = vec![
            ("networkAclId", acl.id()),
            ("ruleNumber", r.number.into()),
            ("egress", r.egress.into()),
            ("protocol", r.protocol.into()),
            ("ruleAction", "allow".into()),
            ("cidrBlock", r.cidr.into()),
        ];
        if let Some((from, to)) = r.ports {
            inputs.extend([("fromPort", from.into()), ("toPort", to.into())]);
        }
        c.add("aws:ec2/networkAclRule:NetworkAclRule", &format!("{logical}-{}", r.what), inputs)?;
    }
    for (i, subnet) in subnets.iter().enumerate() {
        c.add(
            "aws:ec2/networkAclAssociation:NetworkAclAssociation",
            &format!("{logical}-assoc-{i}"),
            vec![("networkAclId", acl.id()), ("subnetId", subnet.clone())],
        )?;
    }
    Ok(acl)
}

impl NetworkAcls {
    /// Registers both ACLs under `parent`.
    pub fn new(
        program: &mut Program,
        parent: &Component,
        name: &str,
        args: NetworkAclsArgs,
    ) -> Result<NetworkAcls, ComponentError> {
        if args.public_subnet_ids.is_empty() || args.private_subnet_ids.is_empty() {
            return Err(ComponentError::Invalid {
                component: TYPE,
                problem: "needs public and private subnets to associate".into(),
            });
        }
        let me = program.component(parent, TYPE, name)?;
        let mut c = Children { program, parent: me.clone(), naming: &args.naming, tags: &args.tags };
        let vpc = args.vpc_cidr.to_string();
        let public_acl = acl(&mut c, "public", &args.vpc_id, rules_public(&vpc), &args.public_subnet_ids)?;
        let private_acl = acl(&mut c, "private", &args.vpc_id, rules_private(&vpc), &args.private_subnet_ids)?;
        Ok(NetworkAcls { component: me, public_acl, private_acl })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PropertyMap;

    /// (ACL, egress, number, protocol, cidr, from, to) of every rule.
    type Entry = (String, bool, i64, String, String, Option<i64>, Option<i64>);

    #[test]
    fn public_and_private_rules_and_one_association_per_subnet() {
        let mut program = Program::new("web", "dev", PropertyMap::new());
        let root = program.root();
        let acls = NetworkAcls::new(
            &mut program,
            &root,
            "nacls",
            NetworkAclsArgs {
                vpc_id: "vpc-1".into(),
                vpc_cidr: "10.40.0.0/16".parse().unwrap(),
                public_subnet_ids: vec!["pub-a".into(), "pub-b".into()],
                private_subnet_ids: vec!["priv-a".into(), "priv-b".into()],
                naming: Naming::new("web", "", "dev"),
                tags: Tags::new("web", "dev", &[]),
            },
        )
        .unwrap();
        let of = |token: &str| -> Vec<PropertyMap> {
            program.resources().iter().filter(|r| r.type_token() == token).map(|r| r.inputs.clone()).collect()
        };
        let which = |id: &Value| if *id == acls.public_acl.id() { "public" } else { "private" }.to_string();
        let port = |r: &PropertyMap, k: &str| r.get(k).and_then(Value::as_f64).map(|n| n as i64);
        let entries: Vec<Entry> = of("aws:ec2/networkAclRule:NetworkAclRule")
            .iter()
            .map(|r| {
                (
                    which(&r["networkAclId"]),
                    r["egress"].as_bool().unwrap(),
                    r["ruleNumber"].as_f64().unwrap() as i64,
                    r["protocol"].as_str().unwrap().to_string(),
                    r["cidrBlock"].as_str().unwrap().to_string(),
                    port(r, "fromPort"),
                    port(r, "toPort"),
                )
            })
            .collect();
        let e = |acl: &str, egress, n, proto: &str, cidr: &str, ports: Option<(i64, i64)>| -> Entry {
            (acl.into(), egress, n, proto.into(), cidr.into(), ports.map(|p| p.0), ports.map(|p| p.1))
        };
        let any = "0.0.0.0/0";
        assert_eq!(
            entries,
            vec![
                e("public", false, 100, "6", any, Some((80, 80))),
                e("public", false, 110, "6", any, Some((443, 443))),
                e("public", false, 120, "-1", "10.40.0.0/16", None),
                e("public", false, 130, "6", any, Some((1024, 65535))),
                e("public", false, 140, "17", any, Some((1024, 65535))),
                e("public", true, 100, "-1", any, None),
                e("private", false, 100, "-1", "10.40.0.0/16", None),
                e("private", false, 110, "6", any, Some((1024, 65535))),
                e("private", false, 120, "17", any, Some((1024, 65535))),
                e("private", true, 100, "-1", any, None),
            ]
        );
        let associations: Vec<(String, Value)> = of("aws:ec2/networkAclAssociation:NetworkAclAssociation")
            .iter()
            .map(|a| (which(&a["networkAclId"]), a["subnetId"].clone()))
            .collect();
        assert_eq!(
            associations,
            [("public", "pub-a"), ("public", "pub-b"), ("private", "priv-a"), ("private", "priv-b")]
                .map(|(a, s)| (a.to_string(), Value::from(s)))
        );
    }
}
