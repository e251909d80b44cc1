//! WebSecurity: the two security groups of a web tier — the load balancer
//! takes HTTP and HTTPS from anywhere and talks only to the instances on the
//! application port; the instances take the application port from the load
//! balancer only and reach out on HTTP and HTTPS alone (package mirrors and
//! the AWS APIs, through their zone's NAT gateway).
//!
//! [`WebSecurity::with_database`] adds a third group for a database the
//! instances use: its port from the instances only, and the instances'
//! matching egress.
//!
//! Each rule is its own resource, so rules change without replacing a group.

use crate::model::{Component, Program, Value};

use super::children::Children;
use super::security::Peer;
use super::{ComponentError, Naming, Tags};

/// What the web security component needs.
#[derive(Debug, Clone)]
pub struct WebSecurityArgs {
    /// The VPC to create the groups in.
    pub vpc_id: Value,
    /// The port the instances serve on.
    pub app_port: u16,
    /// Physical names.
    pub naming: Naming,
    /// Common tags.
    pub tags: Tags,
}

/// The web security component's outputs.
#[derive(Debug, Clone)]
pub struct WebSecurity {
    /// The component resource.
    pub component: Component,
    /// The load balancer's group id.
    pub alb_security_group_id: Value,
    /// The instances' group id.
    pub app_security_group_id: Value,
    /// The database's group id, with [`WebSecurity::with_database`].
    pub db_security_group_id: Option<Value>,
}

const TYPE: &str = "tap:components:WebSecurity";

impl WebSecurity {
    /// Registers both groups and their rules under `parent`.
    pub fn new(
        program: &mut Program,
        parent: &Component,
        name: &str,
        args: WebSecurityArgs,
    ) -> Result<WebSecurity, ComponentError> {
        if args.app_port == 0 {
            return Err(ComponentError::Invalid { component: TYPE, problem: "the app port must be 1 to 65535".into() });
        }
        let me = program.component(parent, TYPE, name)?;
        let mut c = Children { program, parent: me.clone(), naming: &args.naming, tags: &args.tags };
        let vpc = &args.vpc_id;
        let alb = c.group("alb-sg", "Load balancer: HTTP and HTTPS from anywhere, to the instances only", vpc)?;
        let app = c.group("app-sg", "Instances: the app port from the load balancer only", vpc)?;
        let port = args.app_port;
        c.rule(true, "alb-http-in", alb.id(), 80, Peer::Anywhere, "HTTP from the internet")?;
        c.rule(true, "alb-https-in", alb.id(), 443, Peer::Anywhere, "HTTPS from the internet")?;
        c.rule(false, "alb-to-app", alb.id(), port, Peer::Group(app.id()), "To the instances")?;
        c.rule(true, "app-from-alb", app.id(), port, Peer::Group(alb.id()), "App port from the load balancer")?;
        c.rule(false, "app-https-out", app.id(), 443, Peer::Anywhere, "HTTPS: AWS APIs and package mirrors")?;
        c.rule(false, "app-http-out", app.id(), 80, Peer::Anywhere, "HTTP: package mirrors")?;
        Ok(WebSecurity {
            component: me,
            alb_security_group_id: alb.id(),
            app_security_group_id: app.id(),
            db_security_group_id: None,
        })
    }

    /// [`WebSecurity::new`] plus the database's group: `db_port` from the
    /// instances only, and the instances' egress to it.
    pub fn with_database(
        program: &mut Program,
        parent: &Component,
        name: &str,
        args: WebSecurityArgs,
        db_port: u16,
    ) -> Result<WebSecurity, ComponentError> {
        if db_port == 0 || [80, 443, args.app_port].contains(&db_port) {
            return Err(ComponentError::Invalid {
                component: TYPE,
                problem: format!(
                    "the database port ({db_port}) must be 1 to 65535 and differ from 80, 443 and the app port"
                ),
            });
        }
        let (naming, tags, vpc) = (args.naming.clone(), args.tags.clone(), args.vpc_id.clone());
        let mut web = WebSecurity::new(program, parent, name, args)?;
        let mut c = Children { program, parent: web.component.clone(), naming: &naming, tags: &tags };
        let app = web.app_security_group_id.clone();
        let db = c.group("db-sg", "Database: its port from the instances only", &vpc)?;
        c.rule(false, "app-to-db", app.clone(), db_port, Peer::Group(db.id()), "To the database")?;
        c.rule(true, "db-from-app", db.id(), db_port, Peer::Group(app), "From the instances")?;
        web.db_security_group_id = Some(db.id());
        Ok(web)
    }
}
