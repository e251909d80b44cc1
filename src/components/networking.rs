//! Networking: a VPC across 2–3 availability zones with a public and a
//! private subnet in each, an internet gateway, a NAT gateway (with its EIP)
//! per zone and a private route table per zone routing through that zone's
//! own NAT gateway (so one zone's outage does not cut the others off), and,
//! through [`Networking::db_subnet_group`], the RDS subnet group over the
//! private subnets — or, built with [`Networking::with_database_tier`], over
//! a third, isolated tier of database subnets whose route table has no route
//! out of the VPC.

use crate::model::{Component, Program, Resource, ResourceOptions, Value};

use super::children::Children;
use super::{ComponentError, Ipv4Cidr, Naming, Tags};

/// What the networking component needs.
#[derive(Debug, Clone)]
pub struct NetworkingArgs {
    /// The VPC's block; must leave room for six subnets (prefix /16 to /24).
    pub vpc_cidr: Ipv4Cidr,
    /// The zones to spread over (2 or 3).
    pub availability_zones: Vec<String>,
    /// Physical names.
    pub naming: Naming,
    /// Common tags.
    pub tags: Tags,
}

/// The networking component's outputs.
#[derive(Debug, Clone)]
pub struct Networking {
    /// The component resource.
    pub component: Component,
    /// The VPC.
    pub vpc: Resource,
    /// `vpc.id`.
    pub vpc_id: Value,
    /// The VPC's block.
    pub vpc_cidr: Ipv4Cidr,
    /// The zones, in the order of the per-zone lists below.
    pub availability_zones: Vec<String>,
    /// Public subnet ids, one per zone (for the ALB and NAT gateways).
    pub public_subnet_ids: Vec<Value>,
    /// Private subnet ids, one per zone (for tasks and the database).
    pub private_subnet_ids: Vec<Value>,
    /// The public route table (default route to the internet gateway).
    pub public_route_table_id: Value,
    /// Each zone's private route table, in zone order (for routes to peers).
    pub private_route_table_ids: Vec<Value>,
    /// Each zone's NAT gateway, in zone order.
    pub nat_gateway_ids: Vec<Value>,
    /// Database subnet ids, one per zone (empty without a database tier).
    pub database_subnet_ids: Vec<Value>,
    /// What the subnet group registered later is named and tagged with.
    naming: Naming,
    tags: Tags,
}

const TYPE: &str = "tap:components:Networking";

/// Where the database tier's subnets sit, at the VPC prefix + 4: the public
/// and private tiers take /+3 blocks 0–2 and 4–6, so blocks 3 and 7 are
/// free; block 3 is /+4 blocks 6 and 7, block 7 starts with /+4 block 14.
/// A /24 VPC still gets /28 subnets, the smallest AWS allows.
const DATABASE_BLOCKS: [u32; 3] = [6, 7, 14];

impl Networking {
    /// Registers the networking resources under `parent`.
    pub fn new(
        program: &mut Program,
        parent: &Component,
        name: &str,
        args: NetworkingArgs,
    ) -> Result<Networking, ComponentError> {
        Networking::build(program, parent, name, args, false)
    }

    /// Like [`Networking::new`], plus a database tier: an isolated subnet
    /// per zone (no route to the internet gateway or a NAT gateway) that the
    /// RDS subnet group spans instead of the private subnets.
    pub fn with_database_tier(
        program: &mut Program,
        parent: &Component,
        name: &str,
        args: NetworkingArgs,
    ) -> Result<Networking, ComponentError> {
        Networking::build(program, parent, name, args, true)
    }

    fn build(
        program: &mut Program,
        parent: &Component,
        name: &str,
        args: NetworkingArgs,
        database_tier: bool,
    ) -> Result<Networking, ComponentError> {
        let zones = args.availability_zones.len();
        if !(2..=3).contains(&zones) {
            return Err(ComponentError::Invalid {
                component: TYPE,
                problem: format!("needs 2 or 3 availability zones, got {zones}"),
            });
        }
        let prefix = args.vpc_cidr.prefix();
        if !(16..=24).contains(&prefix) {
            return Err(ComponentError::Invalid {
                component: TYPE,
                problem: format!("VPC CIDR {} must have a prefix from /16 to /24 to hold six subnets", args.vpc_cidr),
            });
        }
        let subnet_prefix = prefix + 3;
        let me = program.component(parent, TYPE, name)?;
        let mut c = Children { program, parent: me.clone(), naming: &args.naming, tags: &args.tags };
        let vpc_name = c.name("vpc", 255);
        let vpc = c.add(
            "aws:ec2/vpc:Vpc",
            "vpc",
            vec![
                ("cidrBlock", args.vpc_cidr.to_string().into()),
                ("enableDnsHostnames", true.into()),
                ("enableDnsSupport", true.into()),
                ("tags", c.tags(&vpc_name)),
            ],
        )?;
        let igw_tags = c.tags(&c.name("igw", 255));
        let igw =
            c.add("aws:ec2/internetGateway:InternetGateway", "igw", vec![("vpcId", vpc.id()), ("tags", igw_tags)])?;
        let public_rt_tags = c.tags(&c.name("public-rt", 255));
        let public_rt =
            c.add("aws:ec2/routeTable:RouteTable", "public-rt", vec![("vpcId", vpc.id()), ("tags", public_rt_tags)])?;
        c.add(
            "aws:ec2/route:Route",
            "public-default-route",
            vec![
                ("routeTableId", public_rt.id()),
                ("destinationCidrBlock", "0.0.0.0/0".into()),
                ("gatewayId", igw.id()),
            ],
        )?;

        let mut public_subnet_ids = Vec::new();
        let mut private_subnet_ids = Vec::new();
        let mut private_route_table_ids = Vec::new();
        let mut nat_gateway_ids = Vec::new();
        for (i, az) in args.availability_zones.iter().enumerate() {
            let index = i as u32;
            let letter = az.chars().last().unwrap_or('x');
            // Public blocks first, private ones from the second half of the VPC.
            let public_cidr = args.vpc_cidr.subnet(subnet_prefix, index).expect("prefix checked above");
            let private_cidr = args.vpc_cidr.subnet(subnet_prefix, index + 4).expect("prefix checked above");
            let subnet = |c: &mut Children<'_>, kind: &str, cidr: String, public: bool| {
                let logical = format!("{kind}-{letter}");
                let tags = c.tags(&c.name(&logical, 255));
                c.add(
                    "aws:ec2/subnet:Subnet",
                    &logical,
                    vec![
                        ("vpcId", vpc.id()),
                        ("cidrBlock", cidr.into()),
                        ("availabilityZone", az.into()),
                        ("mapPublicIpOnLaunch", public.into()),
                        ("tags", tags),
                    ],
                )
            };
            let public = subnet(&mut c, "public", public_cidr.to_string(), true)?;
            let private = subnet(&mut c, "private", private_cidr.to_string(), false)?;
            c.add(
                "aws:ec2/routeTableAssociation:RouteTableAssociation",
                &format!("public-{letter}-rta"),
                vec![("subnetId", public.id()), ("routeTableId", public_rt.id())],
            )?;
            let eip_tags = c.tags(&c.name(&format!("nat-eip-{letter}"), 255));
            let eip = c.add(
                "aws:ec2/eip:Eip",
                &format!("nat-eip-{letter}"),
                vec![("domain", "vpc".into()), ("tags", eip_tags)],
            )?;
            // A NAT gateway per zone, so one zone's outage does not cut off the
            // others; it needs the internet gateway attached first.
            let nat_tags = c.tags(&c.name(&format!("nat-{letter}"), 255));
            let nat = c.add_with(
                "aws:ec2/natGateway:NatGateway",
                &format!("nat-{letter}"),
                vec![("allocationId", eip.id()), ("subnetId", public.id()), ("tags", nat_tags)],
                ResourceOptions::default().depends_on(igw.urn()),
            )?;
            let rt_tags = c.tags(&c.name(&format!("private-rt-{letter}"), 255));
            let rt = c.add(
                "aws:ec2/routeTable:RouteTable",
                &format!("private-rt-{letter}"),
                vec![("vpcId", vpc.id()), ("tags", rt_tags)],
            )?;
            c.add(
                "aws:ec2/route:Route",
                &format!("private-default-route-{letter}"),
                vec![
                    ("routeTableId", rt.id()),
                    ("destinationCidrBlock", "0.0.0.0/0".into()),
                    ("natGatewayId", nat.id()),
                ],
            )?;
            c.add(
                "aws:ec2/routeTableAssociation:RouteTableAssociation",
                &format!("private-{letter}-rta"),
                vec![("subnetId", private.id()), ("routeTableId", rt.id())],
            )?;
            public_subnet_ids.push(public.id());
            private_subnet_ids.push(private.id());
            private_route_table_ids.push(rt.id());
            nat_gateway_ids.push(nat.id());
        }

        let mut database_subnet_ids = Vec::new();
        if database_tier {
            let rt_tags = c.tags(&c.name("database-rt", 255));
            // No routes beyond the VPC's local one: the databases reach
            // nothing outside the VPC and nothing outside reaches them.
            let rt =
                c.add("aws:ec2/routeTable:RouteTable", "database-rt", vec![("vpcId", vpc.id()), ("tags", rt_tags)])?;
            for (az, block) in args.availability_zones.iter().zip(DATABASE_BLOCKS) {
                let letter = az.chars().last().unwrap_or('x');
                let cidr = args.vpc_cidr.subnet(prefix + 4, block).expect("prefix checked above");
                let logical = format!("database-{letter}");
                let tags = c.tags(&c.name(&logical, 255));
                let subnet = c.add(
                    "aws:ec2/subnet:Subnet",
                    &logical,
                    vec![
                        ("vpcId", vpc.id()),
                        ("cidrBlock", cidr.to_string().into()),
                        ("availabilityZone", az.into()),
                        ("mapPublicIpOnLaunch", false.into()),
                        ("tags", tags),
                    ],
                )?;
                c.add(
                    "aws:ec2/routeTableAssociation:RouteTableAssociation",
                    &format!("database-{letter}-rta"),
                    vec![("subnetId", subnet.id()), ("routeTableId", rt.id())],
                )?;
                database_subnet_ids.push(subnet.id());
            }
        }
        Ok(Networking {
            component: me,
            vpc_id: vpc.id(),
            vpc,
            vpc_cidr: args.vpc_cidr,
            availability_zones: args.availability_zones,
            public_subnet_ids,
            private_subnet_ids,
            public_route_table_id: public_rt.id(),
            private_route_table_ids,
            nat_gateway_ids,
            database_subnet_ids,
            naming: args.naming,
            tags: args.tags,
        })
    }

    /// Registers the RDS subnet group — over the database tier when built
    /// with [`Networking::with_database_tier`], else over the private
    /// subnets — and returns its name.
    pub fn db_subnet_group(&self, program: &mut Program) -> Result<Value, ComponentError> {
        let mut c = Children { program, parent: self.component.clone(), naming: &self.naming, tags: &self.tags };
        let (tier, db_subnets) = if self.database_subnet_ids.is_empty() {
            ("Private", &self.private_subnet_ids)
        } else {
            ("Isolated database", &self.database_subnet_ids)
        };
        let sng_name = c.name("db-subnets", 255);
        let subnet_group = c.add(
            "aws:rds/subnetGroup:SubnetGroup",
            "db-subnet-group",
            vec![
                ("name", sng_name.clone().into()),
                ("description", format!("{tier} subnets for the {} database", self.naming.environment()).into()),
                ("subnetIds", Value::Array(db_subnets.clone())),
                ("tags", c.tags(&sng_name)),
            ],
        )?;
        Ok(subnet_group.output("name"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PropertyMap;

    fn build(zones: &[&str], db_subnet_group: bool) -> (Program, Result<Networking, ComponentError>) {
        let mut program = Program::new("web", "dev", PropertyMap::new());
        let root = program.root();
        let networking = Networking::new(
            &mut program,
            &root,
            "networking",
            NetworkingArgs {
                vpc_cidr: "10.40.0.0/16".parse().unwrap(),
                availability_zones: zones.iter().map(|z| z.to_string()).collect(),
                naming: Naming::new("web", "", "dev"),
                tags: Tags::new("web", "dev", &[]),
            },
        );
        if let (Ok(n), true) = (&networking, db_subnet_group) {
            n.db_subnet_group(&mut program).unwrap();
        }
        (program, networking)
    }

    fn of<'a>(program: &'a Program, token: &str) -> Vec<&'a crate::model::DesiredResource> {
        program.resources().iter().filter(|r| r.type_token() == token).collect()
    }

    /// Each zone: a public and a private subnet, a NAT gateway with its own
    /// EIP in the zone's public subnet, and a private route table whose
    /// default route goes through that zone's NAT gateway.
    #[test]
    fn every_zone_gets_subnets_a_nat_gateway_and_a_route_through_it() {
        for zones in [&["us-east-1a", "us-east-1b"][..], &["us-east-1a", "us-east-1b", "us-east-1c"][..]] {
            let (program, n) = build(zones, false);
            let n = n.unwrap();
            let count = zones.len();
            assert_eq!((n.public_subnet_ids.len(), n.private_subnet_ids.len()), (count, count));
            assert_eq!(of(&program, "aws:ec2/subnet:Subnet").len(), 2 * count);
            assert_eq!(of(&program, "aws:ec2/eip:Eip").len(), count);
            let nats = of(&program, "aws:ec2/natGateway:NatGateway");
            assert_eq!(nats.len(), count);
            for (i, nat) in nats.iter().enumerate() {
                assert_eq!(nat.inputs["subnetId"], n.public_subnet_ids[i], "zone {i}'s NAT is in its public subnet");
            }
            let routes = of(&program, "aws:ec2/route:Route");
            for (i, rt) in n.private_route_table_ids.iter().enumerate() {
                let route = routes.iter().find(|r| r.inputs["routeTableId"] == *rt).expect("a default route");
                assert_eq!(route.inputs["natGatewayId"], n.nat_gateway_ids[i], "zone {i} routes through its own NAT");
            }
            let zones_used: Vec<&Value> =
                of(&program, "aws:ec2/subnet:Subnet").iter().map(|s| &s.inputs["availabilityZone"]).collect();
            for z in zones {
                assert_eq!(zones_used.iter().filter(|u| u.as_str() == Some(z)).count(), 2, "{z}");
            }
            assert!(of(&program, "aws:rds/subnetGroup:SubnetGroup").is_empty());
        }
    }

    #[test]
    fn one_zone_is_refused_and_the_db_subnet_group_is_optional() {
        let err = build(&["us-east-1a"], true).1.map(|_| ()).unwrap_err().to_string();
        assert!(err.contains("2 or 3 availability zones, got 1"), "{err}");
        let (program, n) = build(&["us-east-1a", "us-east-1b"], true);
        assert!(n.is_ok());
        assert_eq!(of(&program, "aws:rds/subnetGroup:SubnetGroup").len(), 1);
    }

    /// The database tier fits beside the other two even in a /24 VPC (its
    /// subnets are /28, AWS's smallest), overlaps neither, and the subnet
    /// group spans it alone.
    #[test]
    fn the_database_tier_fits_in_the_free_blocks_and_holds_the_subnet_group() {
        for vpc in ["10.40.0.0/16", "10.40.0.0/24"] {
            let mut program = Program::new("web", "dev", PropertyMap::new());
            let root = program.root();
            let n = Networking::with_database_tier(
                &mut program,
                &root,
                "networking",
                NetworkingArgs {
                    vpc_cidr: vpc.parse().unwrap(),
                    availability_zones: vec!["us-east-1a".into(), "us-east-1b".into(), "us-east-1c".into()],
                    naming: Naming::new("web", "", "dev"),
                    tags: Tags::new("web", "dev", &[]),
                },
            )
            .unwrap();
            n.db_subnet_group(&mut program).unwrap();
            assert_eq!(n.database_subnet_ids.len(), 3);
            let blocks: Vec<Ipv4Cidr> = of(&program, "aws:ec2/subnet:Subnet")
                .iter()
                .map(|s| s.inputs["cidrBlock"].as_str().unwrap().parse().unwrap())
                .collect();
            assert_eq!(blocks.len(), 9);
            for (i, a) in blocks.iter().enumerate() {
                assert!(a.prefix() <= 28, "{vpc}: {a} is below AWS's /28 minimum");
                for b in &blocks[i + 1..] {
                    assert!(!a.overlaps(b), "{vpc}: {a} overlaps {b}");
                }
            }
            let group = &of(&program, "aws:rds/subnetGroup:SubnetGroup")[0];
            assert_eq!(group.inputs["subnetIds"], Value::Array(n.database_subnet_ids.clone()));
            let db_rt = of(&program, "aws:ec2/routeTable:RouteTable")
                .into_iter()
                .find(|r| r.urn.name() == "database-rt")
                .expect("the database route table");
            let routes = of(&program, "aws:ec2/route:Route");
            assert!(
                routes.iter().all(|r| r.inputs["routeTableId"].output_refs()[0].urn != db_rt.urn),
                "no route leaves the database tier"
            );
        }
    }
}
