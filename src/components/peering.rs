//! Peering: a VPC peering connection from this environment's VPC to another
//! (same account and region, accepted on creation), a route to the peer's
//! block in each private route table, and one ingress rule letting the peer
//! reach the application port — nothing else crosses.

use crate::model::{Component, Program, Resource, Value};

use super::children::Children;
use super::security::Peer;
use super::{ComponentError, Ipv4Cidr, Naming, Tags};

/// What the peering component needs.
#[derive(Debug, Clone)]
pub struct PeeringArgs {
    /// This environment's VPC.
    pub vpc_id: Value,
    /// This environment's VPC block (must not overlap the peer's).
    pub vpc_cidr: Ipv4Cidr,
    /// The other environment's VPC.
    pub peer_vpc_id: String,
    /// The other environment's VPC block.
    pub peer_cidr: Ipv4Cidr,
    /// The route tables that get a route to the peer (the private ones).
    pub route_table_ids: Vec<Value>,
    /// The security group the peer may reach, on `port`.
    pub security_group_id: Value,
    /// The application port.
    pub port: u16,
    /// Physical names.
    pub naming: Naming,
    /// Common tags.
    pub tags: Tags,
}

/// The peering component's outputs.
#[derive(Debug, Clone)]
pub struct Peering {
    /// The component resource.
    pub component: Component,
    /// The peering connection.
    pub connection: Resource,
}

const TYPE: &str = "tap:components:Peering";

impl Peering {
    /// Registers the connection, routes and rule under `parent`.
    pub fn new(
        program: &mut Program,
        parent: &Component,
        name: &str,
        args: PeeringArgs,
    ) -> Result<Peering, ComponentError> {
        let invalid = |problem: String| ComponentError::Invalid { component: TYPE, problem };
        if args.vpc_cidr.overlaps(&args.peer_cidr) {
            return Err(invalid(format!(
                "the VPC block {} overlaps the peer's {}; peered VPCs need disjoint blocks",
                args.vpc_cidr, args.peer_cidr
            )));
        }
        if !args.peer_vpc_id.starts_with("vpc-") {
            return Err(invalid(format!("`{}` is not a VPC id (vpc-…)", args.peer_vpc_id)));
        }
        let me = program.component(parent, TYPE, name)?;
        let mut c = Children { program, parent: me.clone(), naming: &args.naming, tags: &args.tags };
        let pcx_name = c.name("peering", 255);
        let connection = c.add(
            "aws:ec2/vpcPeeringConnection:VpcPeeringConnection",
            "peering",
            vec![
                ("vpcId", args.vpc_id.clone()),
                ("peerVpcId", args.peer_vpc_id.clone().into()),
                ("autoAccept", true.into()),
                ("tags", c.tags(&pcx_name)),
            ],
        )?;
        for (i, rt) in args.route_table_ids.iter().enumerate() {
            c.add(
                "aws:ec2/route:Route",
                &format!("peer-route-{}", i + 1),
                vec![
                    ("routeTableId", rt.clone()),
                    ("destinationCidrBlock", args.peer_cidr.to_string().into()),
                    ("vpcPeeringConnectionId", connection.id()),
                ],
            )?;
        }
        c.rule(
            true,
            "from-peer",
            args.security_group_id.clone(),
            args.port,
            Peer::Cidr(args.peer_cidr.to_string()),
            &format!("Application port from the peered VPC {}", args.peer_cidr),
        )?;
        Ok(Peering { component: me, connection })
    }
}
