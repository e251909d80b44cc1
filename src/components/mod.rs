//! Components: typed `…Args` in, child resources and typed outputs out.
//!
//! Invariant: components never read config or the environment — the program
//! turns stack config into Args — and every name they give a cloud resource
//! comes from [`Naming`], so it follows one convention and fits the service's
//! length limit.

pub mod alb_logs;
mod alerting;
pub mod app_environment;
pub mod app_identity;
pub mod app_monitoring;
pub mod app_security;
mod children;
pub mod cidr;
pub mod compliance;
pub mod database;
pub mod dns;
pub mod ecs;
pub mod encryption;
pub mod fleet;
pub mod fleet_monitoring;
pub mod flow_logs;
pub mod log_storage;
pub mod monitoring;
pub mod mysql;
pub mod naming;
pub mod network_acls;
pub mod networking;
pub mod peering;
pub mod security;
pub mod static_site;
pub mod storage;
pub mod web_security;
pub mod web_tier;
pub mod weighted_dns;

use crate::model::ProgramError;

pub use alb_logs::{AlbLogs, AlbLogsArgs};
pub use app_environment::{AppEnvironment, AppEnvironmentArgs};
pub use app_identity::{AppIdentity, AppIdentityArgs};
pub use app_monitoring::{AppMonitoring, AppMonitoringArgs, WatchedLoadBalancer};
pub use app_security::{AppSecurity, AppSecurityArgs};
pub(crate) use children::is_account_id;
pub use cidr::Ipv4Cidr;
pub use compliance::{Compliance, ComplianceArgs, ManagedRule};
pub use database::{Database, DatabaseArgs, DatabaseOptions, DatabaseProfile};
pub use dns::{Dns, DnsArgs};
pub use ecs::{Ecs, EcsArgs};
pub use encryption::{Encryption, EncryptionArgs};
pub use fleet::{ColourFleet, Fleet, FleetArgs, FleetColour};
pub use fleet_monitoring::{FleetMonitoring, FleetMonitoringArgs, WatchedFleet};
pub use flow_logs::{FlowLogs, FlowLogsArgs, TrafficType};
pub use log_storage::{LogStorage, LogStorageArgs};
pub use monitoring::{Monitoring, MonitoringArgs, WatchedService};
pub use mysql::{MysqlDatabase, MysqlDatabaseArgs};
pub use naming::{Naming, Tags};
pub use network_acls::{NetworkAcls, NetworkAclsArgs};
pub use networking::{Networking, NetworkingArgs};
pub use peering::{Peering, PeeringArgs};
pub use security::{Security, SecurityArgs};
pub use static_site::{SiteCertificate, StaticSite, StaticSiteArgs};
pub use storage::{Lifecycle, Storage, StorageArgs};
pub use web_security::{WebSecurity, WebSecurityArgs};
pub use web_tier::{AccessLogs, Listeners, Scaling, Tls, WebTier, WebTierArgs};
pub use weighted_dns::{WeightedDns, WeightedDnsArgs, WeightedTarget};

/// A component could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ComponentError {
    /// A registration failed.
    #[error(transparent)]
    Program(#[from] ProgramError),
    /// An argument is invalid.
    #[error("{component}: {problem}")]
    Invalid {
        /// The component.
        component: &'static str,
        /// What is wrong.
        problem: String,
    },
}
