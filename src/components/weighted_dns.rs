//! WeightedDns: a public Route 53 hosted zone and one name in it served by
//! two weighted records, one per colour, each a CNAME (TTL ≤ 60 s) to that
//! colour's load balancer. Moving the weights is an in-place `UPSERT` of the
//! two records — the traffic switch of a DNS blue-green migration.

use crate::model::{Component, Program, Resource, Value};

use super::children::Children;
use super::{ComponentError, Naming, Tags};

/// One colour's record.
#[derive(Debug, Clone)]
pub struct WeightedTarget {
    /// `blue` or `green` (the record's set identifier).
    pub colour: String,
    /// The DNS name the record points at (the colour's load balancer).
    pub dns_name: Value,
    /// Its weight (0–255; the program keeps the pair summing to 100).
    pub weight: u32,
}

/// What the DNS component needs.
#[derive(Debug, Clone)]
pub struct WeightedDnsArgs {
    /// The hosted zone's domain (e.g. `example.com`).
    pub domain: String,
    /// The record's label inside the zone (e.g. `app`).
    pub record_label: String,
    /// The records' TTL in seconds (at most 60, so a shift takes effect fast).
    pub ttl: u32,
    /// Blue, then green.
    pub targets: Vec<WeightedTarget>,
    /// Physical names.
    pub naming: Naming,
    /// Common tags.
    pub tags: Tags,
}

/// The DNS component's outputs.
#[derive(Debug, Clone)]
pub struct WeightedDns {
    /// The component resource.
    pub component: Component,
    /// The hosted zone.
    pub zone: Resource,
    /// The full name clients use (`<label>.<domain>`).
    pub fqdn: String,
    /// One record per colour, blue first.
    pub records: Vec<Resource>,
}

const TYPE: &str = "tap:components:WeightedDns";

/// Whether `name` is a DNS name Route 53 accepts here: dot-separated labels
/// of letters, digits and hyphens, each 1–63 long, not starting or ending
/// with a hyphen, 253 characters at most.
pub fn is_dns_name(name: &str) -> bool {
    name.len() <= 253
        && name.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
}

impl WeightedDns {
    /// Registers the zone and the weighted records under `parent`.
    pub fn new(
        program: &mut Program,
        parent: &Component,
        name: &str,
        args: WeightedDnsArgs,
    ) -> Result<WeightedDns, ComponentError> {
        let invalid = |problem: String| ComponentError::Invalid { component: TYPE, problem };
        if !is_dns_name(&args.domain) || !args.domain.contains('.') {
            return Err(invalid(format!("`{}` is not a domain name (e.g. example.com)", args.domain)));
        }
        if !is_dns_name(&args.record_label) || args.record_label.contains('.') {
            return Err(invalid(format!("`{}` is not a single DNS label (e.g. app)", args.record_label)));
        }
        if !(1..=60).contains(&args.ttl) {
            return Err(invalid(format!("TTL {} s must be 1 to 60 s so a shift takes effect fast", args.ttl)));
        }
        if args.targets.len() != 2 || args.targets.iter().any(|t| t.weight > 255) {
            return Err(invalid("needs two weighted targets with weights from 0 to 255".into()));
        }
        if args.targets.iter().all(|t| t.weight == 0) {
            return Err(invalid("at least one weight must be above 0, or the name answers nothing".into()));
        }
        let me = program.component(parent, TYPE, name)?;
        let mut c = Children { program, parent: me.clone(), naming: &args.naming, tags: &args.tags };
        let zone_tag_name = c.name("zone", 255);
        let zone = c.add(
            "aws:route53/zone:Zone",
            "zone",
            vec![
                ("name", args.domain.as_str().into()),
                ("comment", format!("{zone_tag_name}: blue-green migration").into()),
                ("tags", c.tags(&zone_tag_name)),
            ],
        )?;
        let fqdn = format!("{}.{}", args.record_label, args.domain);
        let mut records = Vec::new();
        for t in &args.targets {
            records.push(c.add(
                "aws:route53/record:Record",
                &format!("{}-record", t.colour),
                vec![
                    ("zoneId", zone.id()),
                    ("name", fqdn.as_str().into()),
                    ("type", "CNAME".into()),
                    ("ttl", args.ttl.into()),
                    ("records", Value::Array(vec![t.dns_name.clone()])),
                    ("setIdentifier", t.colour.as_str().into()),
                    ("weightedRoutingPolicies", Value::Array(vec![Value::object([("weight", t.weight)])])),
                ],
            )?);
        }
        Ok(WeightedDns { component: me, zone, fqdn, records })
    }
}
