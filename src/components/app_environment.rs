//! AppEnvironment: what an application's instances run with — their
//! configuration in SSM Parameter Store under `/<project>/<suffix>/`, their
//! secrets in Secrets Manager, their log group, and the instance role and
//! profile that may read and write exactly those (and the backup bucket),
//! each grant an inline policy naming exact ARNs.
//!
//! The secret starts with a placeholder JSON document (marked secret, so it
//! is encrypted in state); operators put the real values with
//! `aws secretsmanager put-secret-value`, as a new version tapctl does not
//! manage, and a change to the placeholder never replaces the first version
//! (`ignoreChanges` on the value).

use crate::model::{Component, Program, Resource, ResourceOptions, Value};

use super::children::{allow, is_account_id, Children};
use super::flow_logs::RETENTION_DAYS;
use super::{ComponentError, Naming, Tags};

/// What the application environment needs.
#[derive(Debug, Clone)]
pub struct AppEnvironmentArgs {
    /// The first level of the parameter path (the project).
    pub project: String,
    /// The second level of the parameter path (the environment suffix).
    pub suffix: String,
    /// The environment's name, for the app's configuration.
    pub environment: String,
    /// The region (parameter ARNs name it).
    pub region: String,
    /// The AWS account (12 digits; parameter ARNs name it).
    pub account_id: String,
    /// The application's log level (`DEBUG`, `INFO`, `WARN` or `ERROR`).
    pub log_level: String,
    /// Days the log group keeps the application's logs.
    pub log_retention_days: u32,
    /// Days a deleted secret can be restored: 0 (deleted at once) or 7–30.
    pub secret_recovery_days: u32,
    /// The backup bucket's name (for the app's configuration).
    pub backup_bucket_name: String,
    /// The backup bucket's ARN (the instances read and write it).
    pub backup_bucket_arn: Value,
    /// Physical names.
    pub naming: Naming,
    /// Common tags.
    pub tags: Tags,
}

/// The application environment's outputs.
#[derive(Debug, Clone)]
pub struct AppEnvironment {
    /// The component resource.
    pub component: Component,
    /// `/<project>/<suffix>`: every parameter lives under it.
    pub parameter_path: String,
    /// The parameters, `app-config` first.
    pub parameters: Vec<Resource>,
    /// The application secret.
    pub secret: Resource,
    /// Its first version (the placeholder).
    pub secret_version: Resource,
    /// The application's log group.
    pub log_group: Resource,
    /// Its name.
    pub log_group_name: String,
    /// The instance role.
    pub role: Resource,
    /// Its inline policies.
    pub policies: Vec<Resource>,
    /// The instance profile.
    pub instance_profile: Resource,
}

const TYPE: &str = "tap:components:AppEnvironment";

/// The placeholder the secret starts with; its keys are what the app reads.
const PLACEHOLDER: &str = r#"{"api_key":"placeholder","database_password":"placeholder"}"#;

/// Parameter path segments: letters, digits and `_ . -`.
fn is_path_segment(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

impl AppEnvironment {
    /// Registers the parameters, secret, log group, role, policies and
    /// instance profile under `parent`.
    pub fn new(
        program: &mut Program,
        parent: &Component,
        name: &str,
        args: AppEnvironmentArgs,
    ) -> Result<AppEnvironment, ComponentError> {
        let invalid = |problem: String| ComponentError::Invalid { component: TYPE, problem };
        if !is_path_segment(&args.project) || !is_path_segment(&args.suffix) {
            return Err(invalid(format!(
                "project `{}` and suffix `{}` must be letters, digits, `_`, `.` or `-` (they form the parameter path)",
                args.project, args.suffix
            )));
        }
        if !is_account_id(&args.account_id) {
            return Err(invalid(format!("account id `{}` must be 12 digits", args.account_id)));
        }
        if !["DEBUG", "INFO", "WARN", "ERROR"].contains(&args.log_level.as_str()) {
            return Err(invalid(format!("log level `{}` is not DEBUG, INFO, WARN or ERROR", args.log_level)));
        }
        if !RETENTION_DAYS.contains(&args.log_retention_days) {
            return Err(invalid(format!("{} days is not a CloudWatch Logs retention period", args.log_retention_days)));
        }
        if args.secret_recovery_days != 0 && !(7..=30).contains(&args.secret_recovery_days) {
            return Err(invalid(format!(
                "a secret's recovery window is 0 (delete at once) or 7 to 30 days, got {}",
                args.secret_recovery_days
            )));
        }
        let me = program.component(parent, TYPE, name)?;
        let mut c = Children { program, parent: me.clone(), naming: &args.naming, tags: &args.tags };

        let log_group_name = c.name("app-logs", 512);
        let log_group = c.add(
            "aws:cloudwatch/logGroup:LogGroup",
            "app-logs",
            vec![
                ("name", log_group_name.as_str().into()),
                ("retentionInDays", args.log_retention_days.into()),
                ("tags", c.tags(&log_group_name)),
            ],
        )?;

        let secret_name = c.name("app-secret", 512);
        let secret = c.add(
            "aws:secretsmanager/secret:Secret",
            "app-secret",
            vec![
                ("name", secret_name.as_str().into()),
                ("description", format!("Application secrets of {} ({})", args.project, args.suffix).into()),
                ("recoveryWindowInDays", args.secret_recovery_days.into()),
                ("tags", c.tags(&secret_name)),
            ],
        )?;
        let secret_version = c.add_with(
            "aws:secretsmanager/secretVersion:SecretVersion",
            "app-secret-version",
            vec![("secretId", secret.id()), ("secretString", Value::secret(PLACEHOLDER))],
            // The real values are put out of band, as new versions; the
            // placeholder only seeds the secret, so a later change to it
            // must not replace this version (and with it, the real values).
            ResourceOptions::default().ignore_changes("secretString"),
        )?;

        let parameter_path = format!("/{}/{}", args.project, args.suffix);
        let app_config = Value::JsonString(Box::new(Value::object([
            ("environment", Value::from(args.environment.as_str())),
            ("environment_suffix", Value::from(args.suffix.as_str())),
            ("region", Value::from(args.region.as_str())),
            ("log_level", Value::from(args.log_level.as_str())),
        ])));
        let mut parameters = Vec::new();
        for (leaf, value, description) in [
            ("app-config", app_config, "Application configuration (JSON)"),
            ("backup-bucket", Value::from(args.backup_bucket_name.as_str()), "The backup bucket's name"),
            ("app-secret-arn", secret.arn(), "The ARN of the application secret"),
            ("log-group", Value::from(log_group_name.as_str()), "The application's log group"),
        ] {
            let name = format!("{parameter_path}/{leaf}");
            let logical = format!("param-{leaf}");
            parameters.push(c.add(
                "aws:ssm/parameter:Parameter",
                &logical,
                vec![
                    ("name", name.as_str().into()),
                    ("type", "String".into()),
                    ("value", value),
                    ("description", description.into()),
                    ("tags", c.tags(&name)),
                ],
            )?);
        }

        let role = c.role("instance-role", "ec2.amazonaws.com", "The web tier's instances")?;
        let ssm_path = format!("arn:aws:ssm:{}:{}:parameter{parameter_path}", args.region, args.account_id);
        let bucket_objects = Value::Concat(vec![args.backup_bucket_arn.clone(), "/*".into()]);
        let log_streams = Value::Concat(vec![log_group.arn(), ":*".into()]);
        let grants = vec![
            (
                "instance-ssm",
                // GetParametersByPath is authorised on the path itself, the
                // others on each parameter under it.
                allow(
                    &["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
                    vec![Value::from(ssm_path.as_str()), Value::from(format!("{ssm_path}/*"))],
                ),
            ),
            (
                "instance-secrets",
                allow(&["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], vec![secret.arn()]),
            ),
            ("instance-backups-bucket", allow(&["s3:ListBucket"], vec![args.backup_bucket_arn.clone()])),
            ("instance-backups-objects", allow(&["s3:GetObject", "s3:PutObject"], vec![bucket_objects])),
            (
                "instance-logs",
                allow(&["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"], vec![log_streams]),
            ),
            (
                "instance-metrics",
                // PutMetricData has no resource-level permissions: AWS only
                // accepts `*`, so the namespace condition is the scope.
                Value::object([
                    ("Effect", Value::from("Allow")),
                    ("Action", Value::array(["cloudwatch:PutMetricData"])),
                    ("Resource", Value::from("*")),
                    (
                        "Condition",
                        Value::object([(
                            "StringEquals",
                            Value::object([("cloudwatch:namespace", args.project.as_str())]),
                        )]),
                    ),
                ]),
            ),
        ];
        let mut policies = Vec::new();
        for (logical, statement) in grants {
            policies.push(c.role_policy(logical, logical, &role, vec![statement])?);
        }
        let instance_profile = c.instance_profile(&role)?;
        Ok(AppEnvironment {
            component: me,
            parameter_path,
            parameters,
            secret,
            secret_version,
            log_group,
            log_group_name,
            role,
            policies,
            instance_profile,
        })
    }
}
