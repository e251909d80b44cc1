//! WebSecurity: the security-group chain of a load-balanced web application
//! on a database — the internet reaches the load balancer on 443 (and on 80,
//! which only redirects to 443), the instances accept the application port
//! from the load balancer only, the database accepts its port from the
//! instances only. Each rule is its own resource on an exact port, so rules
//! change without replacing a group.

use crate::model::{Component, Program, Value};

use super::children::Children;
use super::security::Peer;
use super::{ComponentError, Naming, Tags};

/// What the security-group chain needs.
#[derive(Debug, Clone)]
pub struct WebSecurityArgs {
    /// The VPC to create the groups in.
    pub vpc_id: Value,
    /// The port the instances serve on.
    pub app_port: u16,
    /// The database port.
    pub db_port: u16,
    /// Physical names.
    pub naming: Naming,
    /// Common tags.
    pub tags: Tags,
}

/// The security-group chain's outputs.
#[derive(Debug, Clone)]
pub struct WebSecurity {
    /// The component resource.
    pub component: Component,
    /// The load balancer's group id.
    pub alb_security_group_id: Value,
    /// The instances' group id.
    pub app_security_group_id: Value,
    /// The database's group id.
    pub db_security_group_id: Value,
}

const TYPE: &str = "tap:components:WebSecurity";

impl WebSecurity {
    /// Registers the groups and rules under `parent`.
    pub fn new(
        program: &mut Program,
        parent: &Component,
        name: &str,
        args: WebSecurityArgs,
    ) -> Result<WebSecurity, ComponentError> {
        let (app, db) = (args.app_port, args.db_port);
        if app == 0 || db == 0 || [80, 443, db].contains(&app) {
            return Err(ComponentError::Invalid {
                component: TYPE,
                problem: format!(
                    "ports must be 1 to 65535 and the application port ({app}) differ from 80, 443 and the database port ({db})"
                ),
            });
        }
        let me = program.component(parent, TYPE, name)?;
        let mut c = Children { program, parent: me.clone(), naming: &args.naming, tags: &args.tags };
        let vpc = &args.vpc_id;
        let alb = c.group("alb-sg", "Load balancer: HTTPS (and HTTP, redirected) from the internet", vpc)?;
        let app_sg = c.group("app-sg", "Application instances: the app port from the load balancer only", vpc)?;
        let db_sg = c.group("db-sg", "Database: its port from the application instances only", vpc)?;
        c.rule(true, "alb-https-in", alb.id(), 443, Peer::Anywhere, "HTTPS from the internet")?;
        c.rule(true, "alb-http-in", alb.id(), 80, Peer::Anywhere, "HTTP from the internet, redirected to HTTPS")?;
        c.rule(false, "alb-to-app", alb.id(), app, Peer::Group(app_sg.id()), "To the application instances")?;
        c.rule(true, "app-from-alb", app_sg.id(), app, Peer::Group(alb.id()), "App port from the load balancer")?;
        c.rule(false, "app-https-out", app_sg.id(), 443, Peer::Anywhere, "HTTPS to AWS APIs through the NAT gateways")?;
        c.rule(false, "app-to-db", app_sg.id(), db, Peer::Group(db_sg.id()), "To the database")?;
        c.rule(true, "db-from-app", db_sg.id(), db, Peer::Group(app_sg.id()), "From the application instances")?;
        Ok(WebSecurity {
            component: me,
            alb_security_group_id: alb.id(),
            app_security_group_id: app_sg.id(),
            db_security_group_id: db_sg.id(),
        })
    }
}
