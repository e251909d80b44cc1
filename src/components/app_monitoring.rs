//! AppMonitoring: the alert topic (with an email subscription when an
//! address is configured) and the alarms of a load-balanced application on
//! an Aurora cluster — the cluster's connection count and CPU, and the load
//! balancer's 5xx answers and unhealthy targets. Every alarm notifies the
//! topic on ALARM and on OK. (Scaling alarms belong to the web tier, which
//! points them at its scaling policies.)

use crate::model::{Component, Program, Resource, Value};

use super::alerting::{add_alarms, alert_topic, Alarm, AlarmNames};
use super::children::Children;
use super::{ComponentError, Naming, Tags};

/// The load balancer the alarms watch.
#[derive(Debug, Clone)]
pub struct WatchedLoadBalancer {
    /// The ALB's ARN suffix (CloudWatch's `LoadBalancer` dimension).
    pub alb_arn_suffix: Value,
    /// The target group's ARN suffix (CloudWatch's `TargetGroup` dimension).
    pub target_group_arn_suffix: Value,
}

/// What the monitoring component needs.
#[derive(Debug, Clone)]
pub struct AppMonitoringArgs {
    /// Where alarms notify by email, if anywhere (may be secret).
    pub alert_email: Option<Value>,
    /// The Aurora cluster's identifier.
    pub db_cluster_identifier: String,
    /// Connections above which the database alarms.
    pub db_connections_threshold: u32,
    /// Average CPU (%) above which the database alarms.
    pub db_cpu_threshold: u32,
    /// The load balancer, when the stack has one.
    pub load_balancer: Option<WatchedLoadBalancer>,
    /// 5xx answers per minute above which the load balancer alarms.
    pub alb_5xx_threshold: u32,
    /// Physical names.
    pub naming: Naming,
    /// Common tags.
    pub tags: Tags,
}

/// The monitoring component's outputs.
#[derive(Debug, Clone)]
pub struct AppMonitoring {
    /// The component resource.
    pub component: Component,
    /// The alert topic.
    pub topic: Resource,
    /// Every alarm's name.
    pub alarm_names: Vec<String>,
}

const TYPE: &str = "tap:components:AppMonitoring";

impl AppMonitoring {
    /// Registers the topic and alarms under `parent`.
    pub fn new(
        program: &mut Program,
        parent: &Component,
        name: &str,
        args: AppMonitoringArgs,
    ) -> Result<AppMonitoring, ComponentError> {
        if !(1..=100).contains(&args.db_cpu_threshold) {
            return Err(ComponentError::Invalid {
                component: TYPE,
                problem: "the CPU threshold must be 1 to 100 %".into(),
            });
        }
        let me = program.component(parent, TYPE, name)?;
        let mut c = Children { program, parent: me.clone(), naming: &args.naming, tags: &args.tags };
        let topic = alert_topic(&mut c, args.alert_email.as_ref())?;
        let db = Value::object([("DBClusterIdentifier", args.db_cluster_identifier.as_str())]);
        let mut alarms = vec![
            Alarm::db_connections(db.clone(), args.db_connections_threshold),
            Alarm::cpu_high("db-cpu-high".into(), "database", "AWS/RDS", db, args.db_cpu_threshold),
        ];
        if let Some(lb) = &args.load_balancer {
            let alb = lb.alb_arn_suffix.clone();
            alarms.push(Alarm::alb_5xx(
                "alb-5xx".into(),
                "the load balancer",
                alb.clone(),
                args.alb_5xx_threshold,
                false,
            ));
            alarms.push(Alarm::unhealthy_targets(
                "unhealthy-targets".into(),
                "the target group",
                lb.target_group_arn_suffix.clone(),
                alb,
                false,
            ));
        }
        let AlarmNames { all: alarm_names, .. } = add_alarms(&mut c, &topic, alarms)?;
        Ok(AppMonitoring { component: me, topic, alarm_names })
    }
}
