//! FlowLogs: a VPC's flow logs (all traffic, accepted and rejected) in a
//! CloudWatch log group of their own, delivered under an IAM role that only
//! the VPC Flow Logs service of this account may assume and that may only
//! write streams of that one log group.

use crate::model::{Component, Program, Resource, ResourceOptions, Value};

use super::children::{allow, assume_role_policy, is_account_id, Children};
use super::{ComponentError, Naming, Tags};

/// The retention periods CloudWatch Logs accepts (days). Keeping logs
/// forever is not one of them: it is the absence of a retention setting.
pub const RETENTION_DAYS: &[u32] =
    &[1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/// Which flows are logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrafficType {
    /// Accepted and rejected flows.
    All,
    /// Accepted flows only.
    Accept,
    /// Rejected flows only.
    Reject,
}

impl TrafficType {
    fn as_str(self) -> &'static str {
        match self {
            TrafficType::All => "ALL",
            TrafficType::Accept => "ACCEPT",
            TrafficType::Reject => "REJECT",
        }
    }
}

/// What the flow logs component needs.
#[derive(Debug, Clone)]
pub struct FlowLogsArgs {
    /// The VPC whose traffic is logged.
    pub vpc_id: Value,
    /// The AWS account (12 digits): the role trusts only deliveries for it.
    pub account_id: String,
    /// Days the log group keeps flow logs: one of [`RETENTION_DAYS`].
    pub retention_days: u32,
    /// Which flows are logged.
    pub traffic_type: TrafficType,
    /// Physical names.
    pub naming: Naming,
    /// Common tags.
    pub tags: Tags,
}

/// The flow logs component's outputs.
#[derive(Debug, Clone)]
pub struct FlowLogs {
    /// The component resource.
    pub component: Component,
    /// The log group.
    pub log_group: Resource,
    /// The log group's name.
    pub log_group_name: String,
    /// The delivery role.
    pub role: Resource,
    /// The role's inline policy.
    pub policy: Resource,
    /// The flow log.
    pub flow_log: Resource,
}

const TYPE: &str = "tap:components:FlowLogs";

impl FlowLogs {
    /// Registers the log group, role, policy and flow log under `parent`.
    pub fn new(
        program: &mut Program,
        parent: &Component,
        name: &str,
        args: FlowLogsArgs,
    ) -> Result<FlowLogs, ComponentError> {
        let invalid = |problem: String| ComponentError::Invalid { component: TYPE, problem };
        if !RETENTION_DAYS.contains(&args.retention_days) {
            return Err(invalid(format!(
                "{} days is not a CloudWatch Logs retention period; use one of {RETENTION_DAYS:?}",
                args.retention_days
            )));
        }
        if !is_account_id(&args.account_id) {
            return Err(invalid(format!("account id `{}` must be 12 digits", args.account_id)));
        }
        let me = program.component(parent, TYPE, name)?;
        let mut c = Children { program, parent: me.clone(), naming: &args.naming, tags: &args.tags };

        let log_group_name = format!("/aws/vpc/flow-logs/{}", c.name("vpc", 400));
        let log_group = c.add(
            "aws:cloudwatch/logGroup:LogGroup",
            "flow-log-group",
            vec![
                ("name", log_group_name.as_str().into()),
                ("retentionInDays", args.retention_days.into()),
                ("tags", c.tags(&log_group_name)),
            ],
        )?;
        // Only VPC Flow Logs, delivering for this account, may assume it.
        let role = c.role_trusting(
            "flow-logs-role",
            assume_role_policy("vpc-flow-logs.amazonaws.com", Some(&args.account_id)),
            "Delivers the VPC's flow logs to their log group",
        )?;
        // Streams of this one log group: `<log group ARN>:*` is how IAM names them.
        let streams = Value::Concat(vec![log_group.arn(), ":*".into()]);
        let policy = c.role_policy(
            "flow-logs-policy",
            "flow-logs-policy",
            &role,
            vec![allow(&["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"], vec![streams])],
        )?;
        let flow_log_name = c.name("flow-log", 255);
        let flow_log = c.add_with(
            "aws:ec2/flowLog:FlowLog",
            "flow-log",
            vec![
                ("vpcId", args.vpc_id.clone()),
                ("trafficType", args.traffic_type.as_str().into()),
                ("logDestinationType", "cloud-watch-logs".into()),
                ("logDestination", log_group.arn()),
                ("iamRoleArn", role.arn()),
                ("maxAggregationInterval", 60.into()),
                ("tags", c.tags(&flow_log_name)),
            ],
            // The first delivery needs the role's permissions in place.
            ResourceOptions::default().depends_on(policy.urn()),
        )?;
        Ok(FlowLogs { component: me, log_group, log_group_name, role, policy, flow_log })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PropertyMap;

    fn build(retention_days: u32) -> (Program, Result<FlowLogs, ComponentError>) {
        let mut program = Program::new("web", "dev", PropertyMap::new());
        let root = program.root();
        let logs = FlowLogs::new(
            &mut program,
            &root,
            "flow-logs",
            FlowLogsArgs {
                vpc_id: "vpc-1".into(),
                account_id: "123456789012".into(),
                retention_days,
                traffic_type: TrafficType::All,
                naming: Naming::new("web", "", "dev"),
                tags: Tags::new("web", "dev", &[]),
            },
        );
        (program, logs)
    }

    /// A policy document's statements.
    fn statements(v: &Value) -> Vec<Value> {
        let Value::JsonString(doc) = v else { panic!("a policy document: {v:?}") };
        doc.as_object().unwrap()["Statement"].as_array().unwrap().to_vec()
    }

    #[test]
    fn the_role_is_trusted_by_flow_logs_of_this_account_and_writes_only_its_log_group() {
        let (program, logs) = build(30);
        let logs = logs.unwrap();
        let get = |r: &Resource| program.get(r.urn()).unwrap().inputs.clone();
        let flow_log = get(&logs.flow_log);
        assert_eq!(flow_log["trafficType"], Value::from("ALL"));
        assert_eq!(flow_log["logDestinationType"], Value::from("cloud-watch-logs"));
        assert_eq!(flow_log["logDestination"], logs.log_group.arn());
        assert_eq!(flow_log["iamRoleArn"], logs.role.arn());
        assert!(program.get(logs.flow_log.urn()).unwrap().options.depends_on.contains(logs.policy.urn()));
        assert_eq!(get(&logs.log_group)["retentionInDays"], Value::from(30));
        assert_eq!(logs.log_group_name, "/aws/vpc/flow-logs/web-vpc-dev");

        let trust = statements(&get(&logs.role)["assumeRolePolicy"]);
        let st = trust[0].as_object().unwrap();
        assert_eq!(st["Principal"], Value::object([("Service", "vpc-flow-logs.amazonaws.com")]));
        assert_eq!(
            st["Condition"],
            Value::object([("StringEquals", Value::object([("aws:SourceAccount", "123456789012")]))])
        );

        // The policy's only resource is the log group's streams.
        let statements = statements(&get(&logs.policy)["policy"]);
        assert_eq!(statements.len(), 1);
        let st = statements[0].as_object().unwrap();
        assert_eq!(st["Resource"], Value::Array(vec![Value::Concat(vec![logs.log_group.arn(), ":*".into()])]));
        let actions: Vec<&str> = st["Action"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        assert_eq!(actions, ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]);
    }

    #[test]
    fn retention_must_be_a_cloudwatch_period() {
        let err = build(10).1.map(|_| ()).unwrap_err().to_string();
        assert!(err.contains("10 days") && err.contains("14"), "{err}");
    }
}
