//! Dns: a public Route 53 hosted zone for one environment and an alias A
//! record sending the application's name to the load balancer (alias, not
//! CNAME: no extra lookup, works at any name, follows the ALB's addresses).

use crate::model::{Component, Program, Resource, Value};

use super::children::Children;
use super::{ComponentError, Naming, Tags};

/// What the DNS component needs.
#[derive(Debug, Clone)]
pub struct DnsArgs {
    /// The zone, e.g. `dev.tap.example.com`.
    pub zone_name: String,
    /// The application's name in the zone, e.g. `app` (→ `app.dev.tap.example.com`).
    pub record_label: String,
    /// The load balancer's DNS name.
    pub alb_dns_name: Value,
    /// The load balancer's hosted zone id (for the alias).
    pub alb_zone_id: Value,
    /// Physical names.
    pub naming: Naming,
    /// Common tags.
    pub tags: Tags,
}

/// The DNS component's outputs.
#[derive(Debug, Clone)]
pub struct Dns {
    /// The component resource.
    pub component: Component,
    /// The hosted zone.
    pub zone: Resource,
    /// The application's fully qualified name.
    pub app_fqdn: String,
}

const TYPE: &str = "tap:components:Dns";

impl Dns {
    /// Registers the zone and the record under `parent`.
    pub fn new(program: &mut Program, parent: &Component, name: &str, args: DnsArgs) -> Result<Dns, ComponentError> {
        let invalid = |problem: String| ComponentError::Invalid { component: TYPE, problem };
        let label_ok =
            |l: &str| !l.is_empty() && l.len() <= 63 && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        let zone_ok = args.zone_name.len() <= 253 && args.zone_name.split('.').count() >= 2;
        if !zone_ok || !args.zone_name.split('.').all(label_ok) {
            return Err(invalid(format!("`{}` is not a DNS zone name (e.g. dev.example.com)", args.zone_name)));
        }
        if !label_ok(&args.record_label) {
            return Err(invalid(format!("`{}` is not a DNS label", args.record_label)));
        }
        let me = program.component(parent, TYPE, name)?;
        let mut c = Children { program, parent: me.clone(), naming: &args.naming, tags: &args.tags };
        let zone = c.add(
            "aws:route53/zone:Zone",
            "zone",
            vec![
                ("name", args.zone_name.clone().into()),
                ("comment", format!("{} environment, managed by tapctl", args.naming.environment()).into()),
                ("tags", c.tags(&args.zone_name)),
            ],
        )?;
        let app_fqdn = format!("{}.{}", args.record_label, args.zone_name);
        c.add(
            "aws:route53/record:Record",
            "app-alias",
            vec![
                ("zoneId", zone.output("zoneId")),
                ("name", app_fqdn.clone().into()),
                ("type", "A".into()),
                (
                    "aliases",
                    Value::array([Value::object([
                        ("name", args.alb_dns_name.clone()),
                        ("zoneId", args.alb_zone_id.clone()),
                        ("evaluateTargetHealth", Value::from(true)),
                    ])]),
                ),
            ],
        )?;
        Ok(Dns { component: me, zone, app_fqdn })
    }
}
