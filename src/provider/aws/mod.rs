//! The AWS provider: [`Provider`] on the official AWS SDK for Rust.
//!
//! [`AwsFactory`] turns a `pulumi:providers:aws` resource's inputs into an
//! [`AwsProvider`] for one region (and profile). Configuration comes from the
//! standard `aws-config` chain — environment, profile, SSO, instance role —
//! so `AWS_ENDPOINT_URL` points every client at an emulator and nothing here
//! names an endpoint. The shared config is loaded once per region and profile,
//! on the first call that needs it; SDK clients are built from it lazily, one
//! per service.
//!
//! [`AwsProvider`] dispatches each type token to the service module that
//! implements it (one module per AWS service, `ec2` first) and gives those
//! modules the helpers they all share:
//!
//! - **errors**: [`sdk_error`] / [`waiter_error`] turn SDK failures into
//!   [`ProviderError`]s with the AWS code and message — throttling and 5xx are
//!   `Transient`, `*.NotFound` / `NoSuch*` / `*NotFound*` are `NotFound`,
//!   everything else `Permanent`; [`gone_is_ok`] and [`found`] turn
//!   `NotFound` into "already deleted" and "read returns `None`";
//! - **retries**: [`AwsProvider::call`] runs one SDK call under the
//!   [`RetryPolicy`]; [`AwsProvider::call_tolerating`] additionally rides out
//!   named codes for a while (eventual consistency, ENIs still detaching);
//! - **waiting**: [`AwsProvider::wait_until`] polls for readiness where the SDK
//!   has no waiter, [`limit`] gives the deadline (`customTimeouts` or a
//!   per-kind default), [`AwsProvider::read_back`] reads a just-created
//!   resource until AWS shows it;
//! - **inputs**: [`required_str`], [`optional_str`], [`optional_bool`],
//!   [`optional_i32`], [`user_tags`], [`known`], [`reject_unsupported`] — each
//!   error names the property;
//! - **tags**: [`tags_for_create`] (the user's tags plus [`URN_TAG`], applied at
//!   creation), [`tag_changes`] (what an update sets and removes) and
//!   [`Outputs::tags`] (`tags` = the user's, `tagsAll` = with the URN tag);
//! - **outputs**: [`Outputs`] builds pulumi-aws-shaped outputs; `create`
//!   returns exactly what `read` returns for the same resource, so a refresh of
//!   an untouched resource finds no drift.

mod ec2;
mod iam;
mod kms;
mod rds;
mod secretsmanager;
// ECS, load balancing, autoscaling, monitoring, notifications, storage.
mod appautoscaling;
mod cloudwatch;
mod ecs;
mod lb;
mod s3;
mod sns;
// DNS.
mod route53;
// EC2 Auto Scaling.
mod autoscaling;
// Parameter Store.
mod ssm;
// CDN and AWS Config (a static site's distribution, compliance recording).
mod awsconfig;
mod cloudfront;

pub use cloudwatch::CloudWatchAlarms;

use std::collections::{BTreeMap, HashMap};
use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::client::waiters::error::WaiterError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

use super::{
    check_by_catalog, diff_by_catalog, unsupported, AlarmSource, CallContext, Created, DiffResult, ErrorKind, Provider,
    ProviderError, ProviderFactory, RetryPolicy, URN_TAG,
};
use crate::model::{PropertyMap, Urn, Value};

/// The services this provider implements, each owning a set of type tokens.
/// A new service module adds itself here (and its client to [`Clients`]).
static SERVICES: &[&dyn Service] = &[
    &ec2::Ec2,
    &iam::Iam,
    &rds::Rds,
    &secretsmanager::SecretsManager,
    &kms::Kms,
    &ecs::Ecs,
    &lb::Lb,
    &appautoscaling::AppAutoscaling,
    &cloudwatch::CloudWatch,
    &sns::Sns,
    &s3::S3,
    &route53::Route53,
    &autoscaling::AutoScaling,
    &ssm::Ssm,
    &cloudfront::CloudFront,
    &awsconfig::AwsConfig,
];

/// What one service module implements for the type tokens it owns. Inputs
/// reach it fully resolved (no unknowns outside `check`/`diff`).
#[async_trait]
pub(crate) trait Service: Send + Sync {
    /// The pulumi-aws type tokens this module implements.
    fn tokens(&self) -> &'static [&'static str];

    /// Kind-specific validation after [`check_by_catalog`]; unknown values pass.
    fn check(&self, token: &str, inputs: &PropertyMap) -> Result<(), ProviderError>;

    /// Adjusts the catalog's diff where a kind's replace rules are conditional.
    fn diff(&self, token: &str, old: &PropertyMap, new: &PropertyMap, base: DiffResult) -> DiffResult {
        let _ = (token, old, new);
        base
    }

    /// Creates the resource, tagged with its URN where the kind is taggable,
    /// and returns the outputs `read` would return.
    async fn create(&self, p: &AwsProvider, ctx: &CallContext, inputs: &PropertyMap) -> Result<Created, ProviderError>;

    /// The resource's outputs, `None` when it no longer exists.
    async fn read(&self, p: &AwsProvider, ctx: &CallContext, id: &str) -> Result<Option<PropertyMap>, ProviderError>;

    /// Applies the in-place changes from `old_outputs` to `new_inputs`.
    async fn update(
        &self,
        p: &AwsProvider,
        ctx: &CallContext,
        id: &str,
        old_outputs: &PropertyMap,
        new_inputs: &PropertyMap,
    ) -> Result<PropertyMap, ProviderError>;

    /// Deletes the resource; success when it is already gone.
    async fn delete(
        &self,
        p: &AwsProvider,
        ctx: &CallContext,
        id: &str,
        outputs: &PropertyMap,
    ) -> Result<(), ProviderError>;

    /// What an interrupted create of `ctx.urn` may have left (adoption): by
    /// default, a kind whose id is its unique name is read by that name. A
    /// module whose API can search by tag overrides this with a search for
    /// [`URN_TAG`] = [`urn_tag_value`].
    async fn find(
        &self,
        p: &AwsProvider,
        ctx: &CallContext,
        inputs: &PropertyMap,
    ) -> Result<Vec<Created>, ProviderError> {
        let Some(kind) = super::kind(&ctx.token) else { return Ok(Vec::new()) };
        let name = kind
            .physical_name
            .filter(|_| kind.id_is == super::IdStyle::PhysicalName)
            .and_then(|n| inputs.get(n)?.as_str());
        let Some(name) = name else { return Ok(Vec::new()) };
        let found = self.read(p, ctx, name).await?;
        Ok(found.map(|outputs| Created { id: name.to_string(), outputs }).into_iter().collect())
    }
}

fn service(token: &str) -> Result<&'static dyn Service, ProviderError> {
    SERVICES.iter().copied().find(|s| s.tokens().contains(&token)).ok_or_else(|| unsupported(token))
}

// ---------------------------------------------------------------------------
// Factory and provider
// ---------------------------------------------------------------------------

/// Tunables shared by every provider a factory configures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Retries of transient errors around each SDK call (on top of the SDK's own).
    pub retry: RetryPolicy,
    /// How often readiness polls and tolerated-error retries run.
    pub poll_interval: Duration,
    /// How long a just-created resource may take to become visible, and how
    /// long a reference to one may be answered with `NotFound`.
    pub consistency_window: Duration,
}

impl Default for Settings {
    /// Real-AWS pacing: 5 s polls, two minutes of eventual consistency.
    fn default() -> Self {
        Settings {
            retry: RetryPolicy::default(),
            poll_interval: Duration::from_secs(5),
            consistency_window: Duration::from_secs(120),
        }
    }
}

#[derive(Clone)]
enum ConfigSource {
    /// The standard chain, loaded on first use.
    Chain,
    /// A config built by the caller (tests against an emulator, embedders).
    Given(Box<SdkConfig>),
}

/// `(region, profile)` from the provider resource's inputs.
type ConfigKey = (Option<String>, Option<String>);

/// Makes [`AwsProvider`]s from `pulumi:providers:aws` inputs: `region` and
/// `profile` are honoured; everything else comes from the standard chain.
pub struct AwsFactory {
    source: ConfigSource,
    settings: Settings,
    loaded: Mutex<HashMap<ConfigKey, Arc<OnceCell<SdkConfig>>>>,
}

impl fmt::Debug for AwsFactory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match self.source {
            ConfigSource::Chain => "chain",
            ConfigSource::Given(_) => "given",
        };
        f.debug_struct("AwsFactory").field("source", &source).field("settings", &self.settings).finish()
    }
}

impl Default for AwsFactory {
    fn default() -> Self {
        AwsFactory::from_env()
    }
}

impl AwsFactory {
    /// Configuration from the standard AWS chain (environment, profile, SSO,
    /// instance role), loaded once per region and profile on first use.
    pub fn from_env() -> AwsFactory {
        AwsFactory { source: ConfigSource::Chain, settings: Settings::default(), loaded: Mutex::default() }
    }

    /// Configuration the caller built (endpoint, credentials, region); a
    /// provider's `region` input still overrides the region.
    pub fn from_config(config: SdkConfig) -> AwsFactory {
        AwsFactory {
            source: ConfigSource::Given(Box::new(config)),
            settings: Settings::default(),
            loaded: Mutex::default(),
        }
    }

    /// Replaces the tunables (tests against an emulator poll faster).
    pub fn with_settings(mut self, settings: Settings) -> AwsFactory {
        self.settings = settings;
        self
    }
}

impl ProviderFactory for AwsFactory {
    fn configure(&self, inputs: &PropertyMap) -> Result<Arc<dyn Provider>, ProviderError> {
        let region = optional_str(inputs, "region")?.map(str::to_string);
        let profile = optional_str(inputs, "profile")?.map(str::to_string);
        for key in inputs.keys().filter(|k| !matches!(k.as_str(), "region" | "profile" | "version")) {
            // Only the name: provider inputs can hold credentials.
            tracing::warn!(input = %key, "the AWS provider ignores this provider input");
        }
        Ok(Arc::new(self.provider(region, profile)))
    }
}

impl AwsFactory {
    /// A provider for `region` and `profile`, sharing the config loaded for them.
    fn provider(&self, region: Option<String>, profile: Option<String>) -> AwsProvider {
        let key = (region.clone(), profile.clone());
        let cell = self.loaded.lock().unwrap_or_else(|e| e.into_inner()).entry(key).or_default().clone();
        AwsProvider {
            source: self.source.clone(),
            region,
            profile,
            config: cell,
            settings: self.settings,
            clients: Clients::default(),
            account_id: OnceCell::new(),
        }
    }

    /// CloudWatch alarm states in `region` (the configured chain's region
    /// when `None`), for watching a traffic shift: a [`CloudWatchAlarms`].
    pub fn alarm_source(&self, region: Option<&str>) -> Arc<dyn AlarmSource> {
        Arc::new(CloudWatchAlarms::new(self.provider(region.map(str::to_string), None)))
    }
}

/// SDK clients, built on first use from the shared config. A service module
/// adds its client here with an accessor on [`AwsProvider`].
#[derive(Default)]
struct Clients {
    ec2: OnceLock<aws_sdk_ec2::Client>,
    sts: OnceLock<aws_sdk_sts::Client>,
    iam: OnceLock<aws_sdk_iam::Client>,
    rds: OnceLock<aws_sdk_rds::Client>,
    secretsmanager: OnceLock<aws_sdk_secretsmanager::Client>,
    kms: OnceLock<aws_sdk_kms::Client>,
    ecs: OnceLock<aws_sdk_ecs::Client>,
    elbv2: OnceLock<aws_sdk_elasticloadbalancingv2::Client>,
    appautoscaling: OnceLock<aws_sdk_applicationautoscaling::Client>,
    cloudwatch: OnceLock<aws_sdk_cloudwatch::Client>,
    logs: OnceLock<aws_sdk_cloudwatchlogs::Client>,
    sns: OnceLock<aws_sdk_sns::Client>,
    s3: OnceLock<aws_sdk_s3::Client>,
    route53: OnceLock<aws_sdk_route53::Client>,
    autoscaling: OnceLock<aws_sdk_autoscaling::Client>,
    ssm: OnceLock<aws_sdk_ssm::Client>,
    cloudfront: OnceLock<aws_sdk_cloudfront::Client>,
    config: OnceLock<aws_sdk_config::Client>,
}

/// One region's (and profile's) view of AWS.
pub struct AwsProvider {
    source: ConfigSource,
    region: Option<String>,
    profile: Option<String>,
    config: Arc<OnceCell<SdkConfig>>,
    settings: Settings,
    clients: Clients,
    account_id: OnceCell<String>,
}

impl fmt::Debug for AwsProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsProvider").field("region", &self.region).field("profile", &self.profile).finish()
    }
}

impl AwsProvider {
    /// The shared SDK config, loaded on first use.
    pub async fn sdk_config(&self) -> Result<&SdkConfig, ProviderError> {
        self.config
            .get_or_try_init(|| async {
                let config = match &self.source {
                    ConfigSource::Chain => {
                        let mut loader = aws_config::defaults(BehaviorVersion::latest());
                        if let Some(region) = &self.region {
                            loader = loader.region(Region::new(region.clone()));
                        }
                        if let Some(profile) = &self.profile {
                            loader = loader.profile_name(profile);
                        }
                        loader.load().await
                    }
                    ConfigSource::Given(config) => match &self.region {
                        Some(region) => config.to_builder().region(Region::new(region.clone())).build(),
                        None => SdkConfig::clone(config),
                    },
                };
                if config.region().is_none() {
                    return Err(ProviderError::invalid(
                        "no AWS region: set aws:region in the stack config, or AWS_REGION / a profile's region",
                    ));
                }
                Ok(config)
            })
            .await
    }

    /// The region every call of this provider goes to.
    pub async fn region(&self) -> Result<&str, ProviderError> {
        let config = self.sdk_config().await?;
        Ok(config.region().map(Region::as_ref).unwrap_or_default())
    }

    /// The tunables.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The EC2 client.
    pub async fn ec2(&self) -> Result<&aws_sdk_ec2::Client, ProviderError> {
        let config = self.sdk_config().await?;
        Ok(self.clients.ec2.get_or_init(|| aws_sdk_ec2::Client::new(config)))
    }

    /// The STS client (the account id for ARNs AWS does not return).
    pub async fn sts(&self) -> Result<&aws_sdk_sts::Client, ProviderError> {
        let config = self.sdk_config().await?;
        Ok(self.clients.sts.get_or_init(|| aws_sdk_sts::Client::new(config)))
    }

    /// The IAM client.
    pub async fn iam(&self) -> Result<&aws_sdk_iam::Client, ProviderError> {
        let config = self.sdk_config().await?;
        Ok(self.clients.iam.get_or_init(|| aws_sdk_iam::Client::new(config)))
    }

    /// The RDS client.
    pub async fn rds(&self) -> Result<&aws_sdk_rds::Client, ProviderError> {
        let config = self.sdk_config().await?;
        Ok(self.clients.rds.get_or_init(|| aws_sdk_rds::Client::new(config)))
    }

    /// The Secrets Manager client.
    pub async fn secretsmanager(&self) -> Result<&aws_sdk_secretsmanager::Client, ProviderError> {
        let config = self.sdk_config().await?;
        Ok(self.clients.secretsmanager.get_or_init(|| aws_sdk_secretsmanager::Client::new(config)))
    }

    /// The KMS client.
    pub async fn kms(&self) -> Result<&aws_sdk_kms::Client, ProviderError> {
        let config = self.sdk_config().await?;
        Ok(self.clients.kms.get_or_init(|| aws_sdk_kms::Client::new(config)))
    }

    /// The ECS client.
    pub async fn ecs(&self) -> Result<&aws_sdk_ecs::Client, ProviderError> {
        let config = self.sdk_config().await?;
        Ok(self.clients.ecs.get_or_init(|| aws_sdk_ecs::Client::new(config)))
    }

    /// The Elastic Load Balancing v2 client.
    pub async fn elbv2(&self) -> Result<&aws_sdk_elasticloadbalancingv2::Client, ProviderError> {
        let config = self.sdk_config().await?;
        Ok(self.clients.elbv2.get_or_init(|| aws_sdk_elasticloadbalancingv2::Client::new(config)))
    }

    /// The Application Auto Scaling client.
    pub async fn appautoscaling(&self) -> Result<&aws_sdk_applicationautoscaling::Client, ProviderError> {
        let config = self.sdk_config().await?;
        Ok(self.clients.appautoscaling.get_or_init(|| aws_sdk_applicationautoscaling::Client::new(config)))
    }

    /// The CloudWatch (metrics, alarms, dashboards) client.
    pub async fn cloudwatch(&self) -> Result<&aws_sdk_cloudwatch::Client, ProviderError> {
        let config = self.sdk_config().await?;
        Ok(self.clients.cloudwatch.get_or_init(|| aws_sdk_cloudwatch::Client::new(config)))
    }

    /// The CloudWatch Logs client.
    pub async fn logs(&self) -> Result<&aws_sdk_cloudwatchlogs::Client, ProviderError> {
        let config = self.sdk_config().await?;
        Ok(self.clients.logs.get_or_init(|| aws_sdk_cloudwatchlogs::Client::new(config)))
    }

    /// The SNS client.
    pub async fn sns(&self) -> Result<&aws_sdk_sns::Client, ProviderError> {
        let config = self.sdk_config().await?;
        Ok(self.clients.sns.get_or_init(|| aws_sdk_sns::Client::new(config)))
    }

    /// The S3 client. With an endpoint override (an emulator) it addresses
    /// buckets by path: `<bucket>.<endpoint host>` names would not resolve.
    pub async fn s3(&self) -> Result<&aws_sdk_s3::Client, ProviderError> {
        let config = self.sdk_config().await?;
        Ok(self.clients.s3.get_or_init(|| {
            let builder = aws_sdk_s3::config::Builder::from(config);
            let builder = if config.endpoint_url().is_some() { builder.force_path_style(true) } else { builder };
            aws_sdk_s3::Client::from_conf(builder.build())
        }))
    }

    /// The Route 53 client (a global service: its calls go to the global
    /// endpoint whatever the region).
    pub async fn route53(&self) -> Result<&aws_sdk_route53::Client, ProviderError> {
        let config = self.sdk_config().await?;
        Ok(self.clients.route53.get_or_init(|| aws_sdk_route53::Client::new(config)))
    }

    /// The EC2 Auto Scaling client.
    pub async fn autoscaling(&self) -> Result<&aws_sdk_autoscaling::Client, ProviderError> {
        let config = self.sdk_config().await?;
        Ok(self.clients.autoscaling.get_or_init(|| aws_sdk_autoscaling::Client::new(config)))
    }

    /// The SSM client.
    pub async fn ssm(&self) -> Result<&aws_sdk_ssm::Client, ProviderError> {
        let config = self.sdk_config().await?;
        Ok(self.clients.ssm.get_or_init(|| aws_sdk_ssm::Client::new(config)))
    }

    /// The CloudFront client (a global service: its calls go to the global
    /// endpoint whatever the region).
    pub async fn cloudfront(&self) -> Result<&aws_sdk_cloudfront::Client, ProviderError> {
        let config = self.sdk_config().await?;
        Ok(self.clients.cloudfront.get_or_init(|| aws_sdk_cloudfront::Client::new(config)))
    }

    /// The AWS Config client.
    pub async fn config(&self) -> Result<&aws_sdk_config::Client, ProviderError> {
        let config = self.sdk_config().await?;
        Ok(self.clients.config.get_or_init(|| aws_sdk_config::Client::new(config)))
    }

    /// The caller's account id (STS GetCallerIdentity, asked once).
    pub async fn account_id(&self) -> Result<&str, ProviderError> {
        let sts = self.sts().await?;
        let id = self
            .account_id
            .get_or_try_init(|| async {
                let out = self.call(|| sts.get_caller_identity().send()).await?;
                out.account().map(str::to_string).ok_or_else(|| missing_field("GetCallerIdentity", "Account"))
            })
            .await?;
        Ok(id)
    }

    /// `arn:<partition>:<service>:<region>:<account>:<resource>` in this
    /// provider's region, for a resource owned by `account`.
    pub async fn arn(&self, service: &str, account: &str, resource: &str) -> Result<String, ProviderError> {
        let region = self.region().await?;
        Ok(format!("arn:{}:{service}:{region}:{account}:{resource}", partition(region)))
    }

    /// Runs one SDK call, retrying transient failures under the retry policy,
    /// and maps its error with [`sdk_error`]. `op` builds a fresh request per
    /// attempt: `p.call(|| ec2.describe_vpcs().vpc_ids(id).send())`.
    pub async fn call<O, E, F, Fut>(&self, mut op: F) -> Result<O, ProviderError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<O, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    {
        self.settings
            .retry
            .run(|| {
                let attempt = op();
                async move { attempt.await.map_err(sdk_error) }
            })
            .await
    }

    /// Like [`call`](Self::call), but an error whose code matches one of
    /// `codes` (exact, or `*.Suffix` / `Prefix*`) is retried at the poll
    /// interval until `within` has passed — AWS's eventual consistency: a
    /// just-created id not yet visible to another API, an ENI still detaching
    /// (`DependencyViolation`), an address still in use.
    pub async fn call_tolerating<O, E, F, Fut>(
        &self,
        within: Duration,
        codes: &[&str],
        mut op: F,
    ) -> Result<O, ProviderError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<O, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    {
        let start = Instant::now();
        loop {
            match self.call(&mut op).await {
                Err(e)
                    if codes.iter().any(|c| code_matches(c, &e.code))
                        && start.elapsed() + self.settings.poll_interval < within =>
                {
                    tracing::debug!(code = %e.code, "tolerated error, retrying");
                    tokio::time::sleep(self.settings.poll_interval).await;
                }
                other => return other,
            }
        }
    }

    /// Polls `check` at the poll interval until it returns `Some`, for
    /// readiness that has no SDK waiter. Transient errors are polled through;
    /// other errors end the wait; after `within` it fails with `Timeout`
    /// naming `what` ("route table rtb-… to appear").
    pub async fn wait_until<T, F, Fut>(&self, what: &str, within: Duration, mut check: F) -> Result<T, ProviderError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Option<T>, ProviderError>>,
    {
        let start = Instant::now();
        loop {
            match check().await {
                Ok(Some(done)) => return Ok(done),
                Ok(None) => {}
                Err(e) if e.is_transient() => {
                    tracing::debug!(code = %e.code, "transient error while waiting for {what}")
                }
                Err(e) => return Err(e),
            }
            let elapsed = start.elapsed();
            if elapsed >= within {
                return Err(ProviderError::new(
                    ErrorKind::Timeout,
                    "WaitTimeout",
                    format!("gave up waiting for {what} after {}s", within.as_secs()),
                ));
            }
            tokio::time::sleep(self.settings.poll_interval.min(within - elapsed)).await;
        }
    }

    /// Reads a resource just created as `id` until AWS shows it (describe
    /// calls can miss a new id for a moment), within the consistency window.
    pub async fn read_back<F, Fut>(&self, ctx: &CallContext, id: &str, read: F) -> Result<PropertyMap, ProviderError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Option<PropertyMap>, ProviderError>>,
    {
        let within = limit(ctx, self.settings.consistency_window);
        self.wait_until(&format!("{} {id} to become visible", ctx.token), within, read).await
    }

    /// Fails when the resource's `region` input names another region than
    /// this provider's: one provider, one region (configure another provider
    /// resource for another region).
    pub async fn check_region(&self, inputs: &PropertyMap) -> Result<(), ProviderError> {
        if let Some(wanted) = optional_str(inputs, "region")? {
            let region = self.region().await?;
            if wanted != region {
                return Err(ProviderError::invalid(format!(
                    "input region is {wanted}, but this resource's provider is configured for {region}; \
                     use a provider resource for {wanted}"
                )));
            }
        }
        Ok(())
    }
}

#[async_trait]
impl Provider for AwsProvider {
    fn check(&self, token: &str, inputs: &PropertyMap) -> Result<(), ProviderError> {
        check_by_catalog(token, inputs)?;
        if let (Some(wanted), Some(region)) = (known(inputs, "region").and_then(Value::as_str), &self.region) {
            if wanted != region {
                return Err(ProviderError::invalid(format!(
                    "{token}: input region is {wanted}, but its provider is configured for {region}"
                )));
            }
        }
        check_tags(token, inputs)?;
        service(token)?.check(token, inputs)
    }

    fn diff(
        &self,
        token: &str,
        old_inputs: &PropertyMap,
        new_inputs: &PropertyMap,
    ) -> Result<DiffResult, ProviderError> {
        let base = diff_by_catalog(token, old_inputs, new_inputs)?;
        Ok(service(token)?.diff(token, old_inputs, new_inputs, base))
    }

    async fn create(&self, ctx: &CallContext, inputs: &PropertyMap) -> Result<Created, ProviderError> {
        let svc = service(&ctx.token)?;
        self.check_region(inputs).await?;
        let created = svc.create(self, ctx, inputs).await?;
        tracing::debug!(urn = %ctx.urn, id = %created.id, "created");
        Ok(created)
    }

    async fn read(&self, ctx: &CallContext, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        service(&ctx.token)?.read(self, ctx, id).await
    }

    async fn update(
        &self,
        ctx: &CallContext,
        id: &str,
        old_outputs: &PropertyMap,
        new_inputs: &PropertyMap,
    ) -> Result<PropertyMap, ProviderError> {
        let svc = service(&ctx.token)?;
        self.check_region(new_inputs).await?;
        svc.update(self, ctx, id, old_outputs, new_inputs).await
    }

    async fn delete(&self, ctx: &CallContext, id: &str, outputs: &PropertyMap) -> Result<(), ProviderError> {
        service(&ctx.token)?.delete(self, ctx, id, outputs).await?;
        tracing::debug!(urn = %ctx.urn, id, "deleted");
        Ok(())
    }

    async fn find(&self, ctx: &CallContext, inputs: &PropertyMap) -> Result<Vec<Created>, ProviderError> {
        service(&ctx.token)?.find(self, ctx, inputs).await
    }

    async fn availability_zones(&self) -> Result<Vec<String>, ProviderError> {
        let ec2 = self.ec2().await?;
        let out = self.call(|| ec2.describe_availability_zones().send()).await?;
        // Filtered here rather than with request filters: opted-in Local and
        // Wavelength Zones are not where a VPC's subnets belong.
        let mut zones: Vec<String> = out
            .availability_zones()
            .iter()
            .filter(|z| z.state() == Some(&aws_sdk_ec2::types::AvailabilityZoneState::Available))
            .filter(|z| z.zone_type().is_none_or(|t| t == "availability-zone"))
            .filter_map(|z| z.zone_name().map(str::to_string))
            .collect();
        zones.sort();
        zones.dedup();
        Ok(zones)
    }

    async fn caller_account_id(&self) -> Result<String, ProviderError> {
        self.account_id().await.map(str::to_string)
    }
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// Codes AWS services use for throttling and for failures on their side that
/// a later attempt may not meet.
const TRANSIENT_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "PriorRequestNotComplete",
    "SlowDown",
    "EC2ThrottledException",
    "BandwidthLimitExceeded",
    "InternalError",
    "InternalFailure",
    "InternalServerError",
    "InternalServerException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "Unavailable",
    "RequestTimeout",
    "RequestTimeoutException",
    "RequestExpired",
    "IDPCommunicationError",
];

/// How an AWS error code (and the HTTP status, when there was a response) is
/// treated: throttling and 5xx are worth retrying, `*.NotFound` / `NoSuch*` /
/// `*NotFound*` mean the resource does not exist, the rest is permanent.
pub fn classify(code: &str, status: Option<u16>) -> ErrorKind {
    if TRANSIENT_CODES.contains(&code) || status.is_some_and(|s| s >= 500) {
        ErrorKind::Transient
    } else if is_not_found_code(code) {
        ErrorKind::NotFound
    } else {
        ErrorKind::Permanent
    }
}

/// Whether `code` says the thing asked about does not exist
/// (`InvalidVpcID.NotFound`, `NoSuchEntity`, `DBClusterNotFoundFault`,
/// `NatGatewayNotFound`, `ResourceNotFoundException`, …).
pub fn is_not_found_code(code: &str) -> bool {
    code.ends_with(".NotFound") || code.starts_with("NoSuch") || code.contains("NotFound")
}

/// Whether `code` matches `pattern`: exactly, or `*.Suffix` / `Prefix*`.
pub fn code_matches(pattern: &str, code: &str) -> bool {
    if let Some(suffix) = pattern.strip_prefix('*') {
        code.ends_with(suffix)
    } else if let Some(prefix) = pattern.strip_suffix('*') {
        code.starts_with(prefix)
    } else {
        pattern == code
    }
}

/// Maps an SDK error to a [`ProviderError`] carrying the AWS error code and
/// message ([`classify`] decides the kind). Failures without a service
/// response — timeouts, connection errors — are transient, except a request
/// that could not be built, which is permanent.
pub fn sdk_error<E>(err: SdkError<E, HttpResponse>) -> ProviderError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    let status = err.raw_response().map(|r| r.status().as_u16());
    match &err {
        SdkError::ServiceError(_) => {
            let code = err.code().unwrap_or("Unknown").to_string();
            let message = match err.message() {
                Some(m) if !m.is_empty() => m.to_string(),
                _ => DisplayErrorContext(&err).to_string(),
            };
            ProviderError::new(classify(&code, status), code, message)
        }
        SdkError::TimeoutError(_) => {
            ProviderError::new(ErrorKind::Transient, "RequestTimeout", DisplayErrorContext(&err).to_string())
        }
        SdkError::DispatchFailure(d) => {
            let detail = DisplayErrorContext(&err).to_string();
            if detail.contains("CredentialsNotLoaded") || detail.contains("no providers in chain provided credentials")
            {
                return ProviderError::new(
                    ErrorKind::Permanent,
                    "NoCredentials",
                    "no AWS credentials found (the standard chain was tried: AWS_ACCESS_KEY_ID and friends, \
                     AWS_PROFILE and the shared config and credentials files, SSO, web identity, container and \
                     instance roles): configure credentials, or try the stack on the in-memory cloud with --cloud memory",
                );
            }
            let kind = if d.is_user() { ErrorKind::Permanent } else { ErrorKind::Transient };
            ProviderError::new(kind, "DispatchFailure", detail)
        }
        SdkError::ResponseError(_) => {
            let kind = if status.is_some_and(|s| s >= 500) { ErrorKind::Transient } else { ErrorKind::Permanent };
            ProviderError::new(kind, "ResponseError", DisplayErrorContext(&err).to_string())
        }
        _ => ProviderError::new(ErrorKind::Permanent, "ConstructionFailure", DisplayErrorContext(&err).to_string()),
    }
}

/// Maps an SDK waiter's failure: running out of time is `Timeout`, a failure
/// state (a NAT gateway that `failed`) is permanent, a failed poll is mapped
/// by [`sdk_error`]. `what` names the wait ("NAT gateway nat-… available").
pub fn waiter_error<O, E>(what: &str, err: WaiterError<O, E>) -> ProviderError
where
    O: fmt::Debug,
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    match err {
        WaiterError::ExceededMaxWait(e) => ProviderError::new(
            ErrorKind::Timeout,
            "WaitTimeout",
            format!("gave up waiting for {what} after {}s", e.max_wait().as_secs()),
        ),
        WaiterError::FailureState(_) => ProviderError::new(
            ErrorKind::Permanent,
            "FailureState",
            format!("{what}: the resource reached a failure state"),
        ),
        WaiterError::OperationFailed(e) => sdk_error(e.into_error()),
        other => ProviderError::new(
            ErrorKind::Permanent,
            "WaiterFailure",
            format!("{what}: {}", DisplayErrorContext(&other)),
        ),
    }
}

/// `Ok(())` for `NotFound`: deleting what is already gone succeeds.
pub fn gone_is_ok<T>(result: Result<T, ProviderError>) -> Result<(), ProviderError> {
    match result {
        Ok(_) => Ok(()),
        Err(e) if e.kind == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// `Ok(None)` for `NotFound`: a read of something gone returns `None`.
pub fn found<T>(result: Result<T, ProviderError>) -> Result<Option<T>, ProviderError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// The error for a response that lacks a field AWS always sends.
pub fn missing_field(operation: &str, field: &str) -> ProviderError {
    ProviderError::new(ErrorKind::Permanent, "MalformedResponse", format!("{operation} answered without {field}"))
}

/// Adds to an error that the resource exists as `id` (a step after the
/// create call failed): the engine records it as partially created.
pub fn after_create<'a>(id: &'a str, step: &'a str) -> impl FnOnce(ProviderError) -> ProviderError + 'a {
    move |e| ProviderError {
        message: format!("{id} was created, but {step} failed: {}", e.message),
        created_id: Some(id.to_string()),
        ..e
    }
}

// ---------------------------------------------------------------------------
// Steps every service's `Service` implementation shares
// ---------------------------------------------------------------------------

/// Check-time validation of one kind: inputs it does not implement are
/// refused, then `check`'s errors are prefixed with the type token.
pub fn check_kind(
    token: &str,
    inputs: &PropertyMap,
    supported: &[&str],
    check: impl FnOnce(&PropertyMap) -> Result<(), ProviderError>,
) -> Result<(), ProviderError> {
    reject_unsupported(token, inputs, supported)?;
    check(inputs).map_err(|e| ProviderError { message: format!("{token}: {}", e.message), ..e })
}

/// The end of every `create`: reads the resource just created as `id` back
/// (until AWS shows it) for its outputs.
pub(crate) async fn read_created(
    service: &dyn Service,
    p: &AwsProvider,
    ctx: &CallContext,
    id: String,
) -> Result<Created, ProviderError> {
    let outputs =
        p.read_back(ctx, &id, || service.read(p, ctx, &id)).await.map_err(after_create(&id, "reading it back"))?;
    Ok(Created { id, outputs })
}

/// The end of every `update`: the resource's outputs, read again; `NotFound`
/// when it is gone.
pub(crate) async fn read_updated(
    service: &dyn Service,
    p: &AwsProvider,
    ctx: &CallContext,
    id: &str,
) -> Result<PropertyMap, ProviderError> {
    service.read(p, ctx, id).await?.ok_or_else(|| {
        ProviderError::new(ErrorKind::NotFound, "NotFound", format!("{} {id} disappeared during its update", ctx.token))
    })
}

/// The end of a `find`: the `ids` that can still be read, with their outputs
/// (read says whether a candidate is really a resource of this kind).
pub(crate) async fn read_each(
    service: &dyn Service,
    p: &AwsProvider,
    ctx: &CallContext,
    ids: Vec<String>,
) -> Result<Vec<Created>, ProviderError> {
    let mut found = Vec::new();
    for id in ids {
        if let Some(outputs) = service.read(p, ctx, &id).await? {
            found.push(Created { id, outputs });
        }
    }
    Ok(found)
}

// ---------------------------------------------------------------------------
// Time limits
// ---------------------------------------------------------------------------

/// The time limit of a call: the resource's `customTimeouts` when set, else
/// the kind's `default` (pulumi-aws's for that kind and operation).
pub fn limit(ctx: &CallContext, default: Duration) -> Duration {
    ctx.timeout.unwrap_or(default)
}

/// `minutes` minutes, for per-kind default time limits.
pub const fn minutes(minutes: u64) -> Duration {
    Duration::from_secs(minutes * 60)
}

/// How long to ride out eventual consistency (a just-created dependency not
/// visible yet): the consistency window, shortened by `customTimeouts`.
pub fn window(p: &AwsProvider, ctx: &CallContext) -> Duration {
    limit(ctx, p.settings().consistency_window).min(p.settings().consistency_window)
}

// ---------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
        Value::Secret(inner) => type_name(inner),
        Value::Unknown | Value::Output(_) | Value::Concat(_) | Value::JsonString(_) => "an unresolved output",
    }
}

fn wrong_type(name: &str, expected: &str, got: &Value) -> ProviderError {
    // The value itself is never quoted: it may be a secret.
    ProviderError::invalid(format!("input {name} must be {expected}, got {}", type_name(got)))
}

/// An input that is present, not null and fully known (unknowns at preview
/// are not validated).
pub fn known<'a>(inputs: &'a PropertyMap, name: &str) -> Option<&'a Value> {
    inputs.get(name).filter(|v| !v.is_null() && !v.contains_unknown())
}

/// A string input that must be set.
pub fn required_str<'a>(inputs: &'a PropertyMap, name: &str) -> Result<&'a str, ProviderError> {
    optional_str(inputs, name)?.ok_or_else(|| ProviderError::invalid(format!("input {name} is required")))
}

/// A string input; `None` when absent or null.
pub fn optional_str<'a>(inputs: &'a PropertyMap, name: &str) -> Result<Option<&'a str>, ProviderError> {
    match inputs.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_str().map(Some).ok_or_else(|| wrong_type(name, "a string", v)),
    }
}

/// A boolean input; `None` when absent or null.
pub fn optional_bool(inputs: &PropertyMap, name: &str) -> Result<Option<bool>, ProviderError> {
    match inputs.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_bool().map(Some).ok_or_else(|| wrong_type(name, "a boolean", v)),
    }
}

/// A whole-number input that fits an `i32`; `None` when absent or null.
pub fn optional_i32(inputs: &PropertyMap, name: &str) -> Result<Option<i32>, ProviderError> {
    match inputs.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_f64() {
            Some(n) if n.fract() == 0.0 && n >= f64::from(i32::MIN) && n <= f64::from(i32::MAX) => Ok(Some(n as i32)),
            _ => Err(wrong_type(name, "a whole number", v)),
        },
    }
}

/// A list-of-strings input; `None` when absent or null.
pub fn optional_str_list(inputs: &PropertyMap, name: &str) -> Result<Option<Vec<String>>, ProviderError> {
    match inputs.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => {
            let items = v.as_array().ok_or_else(|| wrong_type(name, "a list of strings", v))?;
            items
                .iter()
                .map(|item| {
                    item.as_str().map(str::to_string).ok_or_else(|| wrong_type(&format!("{name}[]"), "a string", item))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some)
        }
    }
}

/// The string value of an input during `check`, type-checked; `None` when
/// absent, null or not known yet.
pub fn check_str<'a>(inputs: &'a PropertyMap, name: &str) -> Result<Option<&'a str>, ProviderError> {
    match known(inputs, name) {
        Some(_) => optional_str(inputs, name),
        None => Ok(None),
    }
}

/// The known whole-number value of an input during `check`.
pub fn check_i32(inputs: &PropertyMap, name: &str) -> Result<Option<i32>, ProviderError> {
    match known(inputs, name) {
        Some(_) => optional_i32(inputs, name),
        None => Ok(None),
    }
}

/// A map input (a pulumi-aws single nested block); `None` when absent or null.
pub fn optional_object<'a>(inputs: &'a PropertyMap, name: &str) -> Result<Option<&'a PropertyMap>, ProviderError> {
    match inputs.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_object().map(Some).ok_or_else(|| ProviderError::invalid(format!("input {name} must be a map"))),
    }
}

/// A list-of-maps input; empty when absent or null.
pub fn object_list<'a>(inputs: &'a PropertyMap, name: &str) -> Result<Vec<&'a PropertyMap>, ProviderError> {
    match inputs.get(name) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(v) => {
            let items =
                v.as_array().ok_or_else(|| ProviderError::invalid(format!("input {name} must be a list of maps")))?;
            items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    item.as_object().ok_or_else(|| ProviderError::invalid(format!("input {name}[{i}] must be a map")))
                })
                .collect()
        }
    }
}

/// Prefixes the property path of a nested input to an input error.
pub fn nested(parent: &str) -> impl Fn(ProviderError) -> ProviderError + '_ {
    move |e| ProviderError { message: e.message.replacen("input ", &format!("input {parent}."), 1), ..e }
}

/// Whether `key` differs between `old` and `new` (absent counts as null).
pub fn changed(old: &PropertyMap, new: &PropertyMap, key: &str) -> bool {
    !new.get(key).unwrap_or(&Value::Null).same_as(old.get(key).unwrap_or(&Value::Null))
}

/// Fails when an input is set (not null) that tapctl's AWS provider does not
/// implement for `token` yet: silently dropping it would misreport the cloud.
pub fn reject_unsupported(token: &str, inputs: &PropertyMap, supported: &[&str]) -> Result<(), ProviderError> {
    let extra: Vec<&str> = inputs
        .iter()
        .filter(|(k, v)| !v.is_null() && !supported.contains(&k.as_str()))
        .map(|(k, _)| k.as_str())
        .collect();
    if extra.is_empty() {
        return Ok(());
    }
    Err(ProviderError::invalid(format!(
        "{token}: tapctl's AWS provider does not implement input{} {} yet",
        if extra.len() > 1 { "s" } else { "" },
        extra.join(", ")
    )))
}

// ---------------------------------------------------------------------------
// Tags
// ---------------------------------------------------------------------------

/// AWS's limits on tag keys and values (characters).
const TAG_KEY_MAX: usize = 128;
const TAG_VALUE_MAX: usize = 256;

/// The value of the [`URN_TAG`]: the URN itself, or — for a URN longer than
/// AWS's 256-character tag value limit — `sha256:` and its hex digest, which
/// finding a resource by URN computes the same way.
pub fn urn_tag_value(urn: &Urn) -> String {
    let urn = urn.as_str();
    if urn.chars().count() <= TAG_VALUE_MAX {
        return urn.to_string();
    }
    let digest = Sha256::digest(urn.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// The user's `tags` input (a map of strings; secrets unwrapped).
pub fn user_tags(inputs: &PropertyMap) -> Result<BTreeMap<String, String>, ProviderError> {
    let Some(tags) = inputs.get("tags").filter(|v| !v.is_null()) else { return Ok(BTreeMap::new()) };
    let map = tags.as_object().ok_or_else(|| wrong_type("tags", "a map of strings", tags))?;
    map.iter()
        .map(|(k, v)| match v.as_str() {
            Some(s) => Ok((k.clone(), s.to_string())),
            None => Err(wrong_type(&format!("tags.{k}"), "a string", v)),
        })
        .collect()
}

/// Check-time validation of `tags` on a taggable kind: strings, within AWS's
/// limits, and none of the keys AWS or tapctl reserve. A kind without a
/// `tagsAll` output (an Auto Scaling group) takes its tags as a list of
/// {key, value, propagateAtLaunch}, which its own check validates.
fn check_tags(token: &str, inputs: &PropertyMap) -> Result<(), ProviderError> {
    if super::kind(token).is_some_and(|k| !k.outputs.contains(&"tagsAll")) {
        return Ok(());
    }
    let Some(tags) = inputs.get("tags").filter(|v| !v.is_null() && !matches!(v, Value::Unknown)) else { return Ok(()) };
    let map = tags.as_object().ok_or_else(|| wrong_type("tags", "a map of strings", tags))?;
    if map.len() > 49 {
        return Err(ProviderError::invalid(format!(
            "{token}: {} tags; AWS allows 50 per resource and tapctl uses one for {URN_TAG}",
            map.len()
        )));
    }
    for (k, v) in map {
        if k == URN_TAG {
            return Err(ProviderError::invalid(format!("{token}: tag {URN_TAG} is reserved for tapctl")));
        }
        if k.to_ascii_lowercase().starts_with("aws:") {
            return Err(ProviderError::invalid(format!(
                "{token}: tag keys starting with aws: are reserved by AWS ({k})"
            )));
        }
        if k.is_empty() || k.chars().count() > TAG_KEY_MAX {
            return Err(ProviderError::invalid(format!(
                "{token}: tag key {k:?} must have 1 to {TAG_KEY_MAX} characters"
            )));
        }
        if v.contains_unknown() {
            continue;
        }
        let s = v.as_str().ok_or_else(|| wrong_type(&format!("tags.{k}"), "a string", v))?;
        if s.chars().count() > TAG_VALUE_MAX {
            return Err(ProviderError::invalid(format!("{token}: tag {k} is longer than {TAG_VALUE_MAX} characters")));
        }
    }
    Ok(())
}

/// The tags to apply at creation: the user's plus [`URN_TAG`] = the URN.
pub fn tags_for_create(ctx: &CallContext, inputs: &PropertyMap) -> Result<Vec<(String, String)>, ProviderError> {
    let mut tags = user_tags(inputs)?;
    tags.insert(URN_TAG.to_string(), urn_tag_value(&ctx.urn));
    Ok(tags.into_iter().collect())
}

/// What an update must do to the tags on the resource.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagChanges {
    /// Tags to create or overwrite.
    pub set: Vec<(String, String)>,
    /// Tag keys to remove.
    pub remove: Vec<String>,
}

impl TagChanges {
    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.remove.is_empty()
    }
}

/// The tag changes from the recorded `tagsAll` to the new `tags` input plus
/// the URN tag (re-added if someone removed it). `aws:` tags are AWS's and
/// never touched.
pub fn tag_changes(
    ctx: &CallContext,
    old_outputs: &PropertyMap,
    new_inputs: &PropertyMap,
) -> Result<TagChanges, ProviderError> {
    let desired: BTreeMap<String, String> = tags_for_create(ctx, new_inputs)?.into_iter().collect();
    let current: BTreeMap<String, String> = old_outputs
        .get("tagsAll")
        .and_then(Value::as_object)
        .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect())
        .unwrap_or_default();
    Ok(TagChanges {
        set: desired.iter().filter(|(k, v)| current.get(*k) != Some(*v)).map(|(k, v)| (k.clone(), v.clone())).collect(),
        remove: current.keys().filter(|k| !desired.contains_key(*k) && !k.starts_with("aws:")).cloned().collect(),
    })
}

// ---------------------------------------------------------------------------
// Outputs
// ---------------------------------------------------------------------------

/// Builds a resource's outputs under pulumi-aws names. Unset (`None`) values
/// are left out, so `create` and `read` agree on absent fields.
#[derive(Debug, Clone, Default)]
pub struct Outputs(PropertyMap);

impl Outputs {
    /// Outputs with `id` and `region`.
    pub fn new(id: impl Into<String>, region: &str) -> Outputs {
        let mut map = PropertyMap::new();
        map.insert("id".into(), Value::String(id.into()));
        map.insert("region".into(), Value::String(region.into()));
        Outputs(map)
    }

    /// Sets `key` to `value`.
    pub fn value(mut self, key: &str, value: Value) -> Outputs {
        self.0.insert(key.into(), value);
        self
    }

    /// Sets a string output when known.
    pub fn string(self, key: &str, value: Option<impl Into<String>>) -> Outputs {
        match value {
            Some(v) => self.value(key, Value::String(v.into())),
            None => self,
        }
    }

    /// Sets a boolean output when known.
    pub fn bool(self, key: &str, value: Option<bool>) -> Outputs {
        match value {
            Some(v) => self.value(key, Value::Bool(v)),
            None => self,
        }
    }

    /// Sets a number output when known.
    pub fn int(self, key: &str, value: Option<i64>) -> Outputs {
        match value {
            Some(v) => self.value(key, Value::Number(v as f64)),
            None => self,
        }
    }

    /// Sets `tagsAll` to every tag on the resource and `tags` to those the
    /// user manages (without [`URN_TAG`]; left out when there are none).
    /// `aws:` tags belong to AWS and appear in neither, as in pulumi-aws.
    pub fn tags<K: Into<String>, V: Into<String>>(self, all: impl IntoIterator<Item = (K, V)>) -> Outputs {
        let all: BTreeMap<String, Value> = all
            .into_iter()
            .map(|(k, v)| (k.into(), Value::String(v.into())))
            .filter(|(k, _)| !k.starts_with("aws:"))
            .collect();
        let user: BTreeMap<String, Value> =
            all.iter().filter(|(k, _)| *k != URN_TAG).map(|(k, v)| (k.clone(), v.clone())).collect();
        let out = self.value("tagsAll", Value::Object(all));
        if user.is_empty() {
            out
        } else {
            out.value("tags", Value::Object(user))
        }
    }

    /// The outputs.
    pub fn build(self) -> PropertyMap {
        self.0
    }
}

/// A list of strings as an output value.
pub fn string_list(values: &[String]) -> Value {
    Value::array(values.iter().map(String::as_str))
}

/// The AWS partition of a region (`aws`, `aws-cn`, `aws-us-gov`, …).
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else if region.starts_with("eu-isoe-") {
        "aws-iso-e"
    } else if region.starts_with("us-isof-") {
        "aws-iso-f"
    } else {
        "aws"
    }
}

/// Inputs from `(name, value)` pairs, for the service modules' tests.
#[cfg(test)]
pub(crate) fn map(pairs: Vec<(&str, Value)>) -> PropertyMap {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> CallContext {
        let root = Urn::root("dev", "tap");
        CallContext {
            urn: Urn::new("dev", "tap", Some(&root), "aws:ec2/vpc:Vpc", "vpc"),
            token: "aws:ec2/vpc:Vpc".into(),
            timeout: None,
        }
    }

    #[test]
    fn codes_are_classified() {
        assert_eq!(classify("RequestLimitExceeded", Some(503)), ErrorKind::Transient);
        assert_eq!(classify("Throttling", Some(400)), ErrorKind::Transient);
        assert_eq!(classify("InternalError", Some(500)), ErrorKind::Transient);
        assert_eq!(classify("Anything", Some(502)), ErrorKind::Transient);
        assert_eq!(classify("InvalidVpcID.NotFound", Some(400)), ErrorKind::NotFound);
        assert_eq!(classify("NoSuchEntity", Some(404)), ErrorKind::NotFound);
        assert_eq!(classify("DBClusterNotFoundFault", Some(404)), ErrorKind::NotFound);
        assert_eq!(classify("NatGatewayNotFound", Some(400)), ErrorKind::NotFound);
        assert_eq!(classify("DependencyViolation", Some(400)), ErrorKind::Permanent);
        assert_eq!(classify("UnauthorizedOperation", Some(403)), ErrorKind::Permanent);
    }

    #[test]
    fn code_patterns_match() {
        assert!(code_matches("*.NotFound", "InvalidVpcID.NotFound"));
        assert!(code_matches("InvalidParameter*", "InvalidParameterValue"));
        assert!(code_matches("DependencyViolation", "DependencyViolation"));
        assert!(!code_matches("DependencyViolation", "DependencyViolations"));
    }

    #[test]
    fn accessors_name_the_property() {
        let inputs =
            map(vec![("cidrBlock", Value::from(16)), ("enableDnsSupport", Value::from(true)), ("n", Value::from(1.5))]);
        let e = required_str(&inputs, "cidrBlock").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Invalid);
        assert!(e.message.contains("cidrBlock") && e.message.contains("a number"), "{}", e.message);
        assert!(required_str(&inputs, "vpcId").unwrap_err().message.contains("vpcId is required"));
        assert_eq!(optional_bool(&inputs, "enableDnsSupport").unwrap(), Some(true));
        assert_eq!(optional_bool(&inputs, "absent").unwrap(), None);
        assert!(optional_i32(&inputs, "n").is_err());
        assert_eq!(optional_i32(&inputs, "cidrBlock").unwrap(), Some(16));
        let secret = map(vec![("password", Value::secret("hunter2"))]);
        assert_eq!(required_str(&secret, "password").unwrap(), "hunter2");
        let e = optional_bool(&secret, "password").unwrap_err();
        assert!(!e.message.contains("hunter2"));
    }

    #[test]
    fn tags_carry_the_urn_and_changes_are_minimal() {
        let c = ctx();
        let inputs = map(vec![("tags", Value::object([("Name", "a"), ("Env", "dev")]))]);
        let created = tags_for_create(&c, &inputs).unwrap();
        assert!(created.contains(&(URN_TAG.to_string(), c.urn.to_string())));
        let outputs = Outputs::new("vpc-1", "us-east-1").tags(created.clone()).build();
        assert_eq!(outputs["tags"], Value::object([("Name", "a"), ("Env", "dev")]));
        assert_eq!(outputs["tagsAll"].as_object().unwrap().len(), 3);

        let new_inputs = map(vec![("tags", Value::object([("Name", "b"), ("Owner", "me")]))]);
        let changes = tag_changes(&c, &outputs, &new_inputs).unwrap();
        assert_eq!(changes.set, vec![("Name".to_string(), "b".to_string()), ("Owner".to_string(), "me".to_string())]);
        assert_eq!(changes.remove, vec!["Env".to_string()]);
        assert!(tag_changes(&c, &outputs, &inputs).unwrap().is_empty());
    }

    #[test]
    fn reserved_and_oversized_tags_are_refused() {
        let bad = map(vec![("tags", Value::object([(URN_TAG, "x")]))]);
        assert!(check_tags("aws:ec2/vpc:Vpc", &bad).unwrap_err().message.contains("reserved"));
        let bad = map(vec![("tags", Value::object([("aws:cloudformation:stack-name", "x")]))]);
        assert!(check_tags("aws:ec2/vpc:Vpc", &bad).is_err());
        let unknown = map(vec![("tags", Value::object([("Name", Value::Unknown)]))]);
        assert!(check_tags("aws:ec2/vpc:Vpc", &unknown).is_ok());
    }

    #[test]
    fn long_urns_are_hashed_to_fit_a_tag_value() {
        let root = Urn::root("dev", "tap");
        let long = Urn::new("dev", "tap", Some(&root), "aws:ec2/vpc:Vpc", &"x".repeat(300));
        let v = urn_tag_value(&long);
        assert!(v.starts_with("sha256:") && v.len() == 7 + 64);
        assert_eq!(urn_tag_value(&ctx().urn), ctx().urn.to_string());
    }

    #[test]
    fn unsupported_inputs_are_named() {
        let inputs = map(vec![
            ("cidrBlock", "10.0.0.0/16".into()),
            ("ipv6CidrBlock", "x".into()),
            ("ipv4IpamPoolId", Value::Null),
        ]);
        let e = reject_unsupported("aws:ec2/vpc:Vpc", &inputs, &["cidrBlock"]).unwrap_err();
        assert!(e.message.contains("ipv6CidrBlock") && !e.message.contains("ipv4IpamPoolId"), "{}", e.message);
    }

    #[test]
    fn partitions() {
        assert_eq!(partition("us-east-1"), "aws");
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
    }
}
