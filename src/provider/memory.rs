//! The in-memory cloud: the engine's test double and the benchmarks' cloud.
//!
//! It implements every token in the catalog generically — ids shaped like
//! AWS's, ARNs, the URN tag, autonamed physical names — and enforces the one
//! rule that catches most ordering bugs: an object still referenced by another
//! cannot be deleted (AWS's `DependencyViolation`), and an input naming an id
//! that does not exist is refused. Latency per call and faults (transient or
//! permanent) are injectable. It is not a substitute for the AWS provider.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use super::retry::RetryPolicy;
use super::{
    check_by_catalog, diff_by_catalog, kind, unsupported, AlarmSource, CallContext, Created, DiffResult, ErrorKind,
    IdStyle, Provider, ProviderError, ProviderFactory, URN_TAG,
};
use crate::model::{PropertyMap, Value};

/// The account id every in-memory ARN carries.
pub const ACCOUNT_ID: &str = "123456789012";

/// A cloud operation, for latency models and fault injection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// Create.
    Create,
    /// Read.
    Read,
    /// Update.
    Update,
    /// Delete.
    Delete,
    /// A later call of a create, after the resource came to exist (tagging,
    /// attributes, waiting): the create fails, the resource stays.
    AfterCreate,
}

/// A latency model: how long `op` on the resource of `ctx` takes.
pub type LatencyFn = Arc<dyn Fn(&CallContext, Op) -> Duration + Send + Sync>;

/// How long each call takes.
#[derive(Clone, Default)]
pub enum Latency {
    /// Calls return at once.
    #[default]
    None,
    /// Every call takes this long.
    Fixed(Duration),
    /// Per resource and operation.
    Custom(LatencyFn),
}

impl std::fmt::Debug for Latency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Latency::None => f.write_str("None"),
            Latency::Fixed(d) => write!(f, "Fixed({d:?})"),
            Latency::Custom(_) => f.write_str("Custom(..)"),
        }
    }
}

impl Latency {
    /// The latency of `op` on the resource of `ctx`.
    pub fn of(&self, ctx: &CallContext, op: Op) -> Duration {
        match self {
            Latency::None => Duration::ZERO,
            Latency::Fixed(d) => *d,
            Latency::Custom(f) => f(ctx, op),
        }
    }
}

/// A failure to inject: calls matching it fail `times` times with `error`.
#[derive(Debug, Clone)]
pub struct Fault {
    /// Matches resources whose URN name is this (any when `None`).
    pub name: Option<String>,
    /// Matches resources of this type token (any when `None`).
    pub token: Option<String>,
    /// The operation that fails.
    pub op: Op,
    /// The error returned.
    pub error: ProviderError,
    /// How many matching calls fail (`u32::MAX`: all of them).
    pub times: u32,
}

impl Fault {
    /// Every `op` on the resource named `name` fails permanently with `code`.
    pub fn permanent(name: &str, op: Op, code: &str) -> Fault {
        Fault {
            name: Some(name.into()),
            token: None,
            op,
            error: ProviderError::new(ErrorKind::Permanent, code, format!("injected {code}")),
            times: u32::MAX,
        }
    }

    /// The first `times` calls of `op` on `name` fail with throttling.
    pub fn transient(name: &str, op: Op, times: u32) -> Fault {
        Fault {
            name: Some(name.into()),
            token: None,
            op,
            error: ProviderError::new(ErrorKind::Transient, "Throttling", "Rate exceeded (injected)"),
            times,
        }
    }
}

/// One object in the in-memory cloud.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CloudObject {
    /// Its type token.
    pub token: String,
    /// Its region.
    pub region: String,
    /// Its properties (outputs), as plain JSON.
    pub properties: Map<String, Json>,
}

impl CloudObject {
    /// The URN it is tagged with, if any.
    pub fn urn_tag(&self) -> Option<&str> {
        self.properties.get("tagsAll")?.get(URN_TAG)?.as_str()
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct World {
    next: u64,
    objects: BTreeMap<String, CloudObject>,
    /// CloudWatch alarm states by alarm name (absent = `OK`).
    #[serde(default)]
    alarm_states: BTreeMap<String, String>,
    /// id → ids of objects whose properties mention it.
    #[serde(skip)]
    referenced_by: HashMap<String, BTreeSet<String>>,
}

impl World {
    fn rebuild_references(&mut self) {
        self.referenced_by.clear();
        let ids: Vec<String> = self.objects.keys().cloned().collect();
        for id in ids {
            let props = self.objects[&id].properties.clone();
            self.index_references(&id, &props);
        }
    }

    fn index_references(&mut self, id: &str, props: &Map<String, Json>) {
        let mut mentioned = Vec::new();
        for (key, v) in props {
            if key != "id" && key != "arn" {
                strings(v, &mut |s| {
                    if s != id && self.objects.contains_key(s) {
                        mentioned.push(s.to_string());
                    }
                });
            }
        }
        for m in mentioned {
            self.referenced_by.entry(m).or_default().insert(id.to_string());
        }
    }

    /// Forgets what `id`'s (old) properties referenced: only those ids'
    /// sets are touched, so this costs O(properties), not O(cloud).
    fn unindex(&mut self, id: &str, old: &Map<String, Json>) {
        for v in old.values() {
            strings(v, &mut |s| {
                if let Some(set) = self.referenced_by.get_mut(s) {
                    set.remove(id);
                }
            });
        }
    }
}

fn strings(v: &Json, f: &mut dyn FnMut(&str)) {
    match v {
        Json::String(s) => f(s),
        Json::Array(a) => a.iter().for_each(|x| strings(x, f)),
        Json::Object(o) => o.values().for_each(|x| strings(x, f)),
        _ => {}
    }
}

/// Whether `s` looks like a generated AWS id (`vpc-0123456789abcdef0`).
fn looks_like_generated_id(s: &str) -> bool {
    s.split_once('-').is_some_and(|(prefix, hex)| {
        !prefix.is_empty()
            && prefix.chars().all(|c| c.is_ascii_lowercase())
            && hex.len() == 17
            && hex.chars().all(|c| c.is_ascii_hexdigit())
    })
}

/// Waits `latency`, to within tens of microseconds. tokio's timer rounds a
/// sleep up to its next millisecond tick, which on a 20 ms call is a 5 %
/// error that benchmarks would charge to the engine; a real API call ends
/// when its response arrives, not on a tick. A sleeping blocking-pool thread
/// costs no CPU.
async fn wait(latency: Duration) {
    if tokio::task::spawn_blocking(move || std::thread::sleep(latency)).await.is_err() {
        tokio::time::sleep(latency).await;
    }
}

/// The in-memory cloud, shared by every region view configured from it.
#[derive(Debug)]
pub struct MemoryCloud {
    world: Mutex<World>,
    latency: Latency,
    retry: RetryPolicy,
    faults: Mutex<Vec<Fault>>,
    path: Option<PathBuf>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    calls: AtomicU64,
    zones: usize,
}

impl Default for MemoryCloud {
    fn default() -> Self {
        MemoryCloud::new()
    }
}

impl MemoryCloud {
    /// An empty cloud with no latency.
    pub fn new() -> MemoryCloud {
        MemoryCloud {
            world: Mutex::new(World::default()),
            latency: Latency::None,
            retry: RetryPolicy {
                max_attempts: 5,
                base_delay: Duration::from_millis(1),
                max_delay: Duration::from_millis(20),
            },
            faults: Mutex::new(Vec::new()),
            path: None,
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            calls: AtomicU64::new(0),
            zones: 3,
        }
    }

    /// A cloud persisted at `path` (loaded now, saved after every change), so
    /// that consecutive CLI commands see the same cloud.
    pub fn open(path: &Path) -> Result<MemoryCloud, ProviderError> {
        let mut cloud = MemoryCloud::load(path)?;
        cloud.path = Some(path.to_path_buf());
        Ok(cloud)
    }

    /// The cloud saved at `path` (empty if there is none), not saved back.
    pub fn load(path: &Path) -> Result<MemoryCloud, ProviderError> {
        let mut cloud = MemoryCloud::new();
        match std::fs::read(path) {
            Ok(bytes) => {
                let mut world: World = serde_json::from_slice(&bytes).map_err(|e| {
                    ProviderError::new(
                        ErrorKind::Permanent,
                        "CorruptMemoryCloud",
                        format!(
                            "{} is not an in-memory cloud file ({e}); delete it to start an empty cloud",
                            path.display()
                        ),
                    )
                })?;
                world.rebuild_references();
                cloud.world = Mutex::new(world);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(ProviderError::new(ErrorKind::Permanent, "Io", format!("{}: {e}", path.display())));
            }
        }
        Ok(cloud)
    }

    /// Sets the latency model.
    pub fn with_latency(mut self, latency: Latency) -> MemoryCloud {
        self.latency = latency;
        self
    }

    /// Sets the retry policy for transient faults.
    pub fn with_retry(mut self, retry: RetryPolicy) -> MemoryCloud {
        self.retry = retry;
        self
    }

    /// Sets how many availability zones every region has (default 3).
    pub fn with_zone_count(mut self, zones: usize) -> MemoryCloud {
        self.zones = zones;
        self
    }

    /// Adds a fault.
    pub fn inject(&self, fault: Fault) {
        self.faults.lock().unwrap_or_else(|e| e.into_inner()).push(fault);
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.faults.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// The most calls ever in flight at once.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    /// Calls made so far (attempts, retries included).
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }

    /// A copy of every object, by id.
    pub fn objects(&self) -> BTreeMap<String, CloudObject> {
        self.world().objects.clone()
    }

    /// Ids of the objects tagged with `urn`.
    pub fn find_by_urn(&self, urn: &str) -> Vec<String> {
        self.world().objects.iter().filter(|(_, o)| o.urn_tag() == Some(urn)).map(|(id, _)| id.clone()).collect()
    }

    /// Sets a CloudWatch alarm's state (`OK`, `ALARM`, …), as SetAlarmState does.
    pub fn set_alarm_state(&self, alarm_name: &str, state: &str) {
        self.world().alarm_states.insert(alarm_name.to_string(), state.to_string());
        self.save();
    }

    /// Changes an object's property out of band (drift, for tests).
    pub fn tamper(&self, id: &str, property: &str, value: Json) -> bool {
        let mut w = self.world();
        let found = w.objects.get_mut(id).map(|o| o.properties.insert(property.into(), value)).is_some();
        drop(w);
        self.save();
        found
    }

    /// Removes an object out of band (drift, for tests).
    pub fn remove_out_of_band(&self, id: &str) -> bool {
        let mut w = self.world();
        let removed = w.objects.remove(id);
        if let Some(old) = &removed {
            w.unindex(id, &old.properties);
        }
        let found = removed.is_some();
        drop(w);
        self.save();
        found
    }

    fn world(&self) -> std::sync::MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn save(&self) {
        let Some(path) = &self.path else { return };
        if let Err(e) = self.save_to(path) {
            tracing::error!("could not save the in-memory cloud to {}: {e}", path.display());
        }
    }

    /// Writes the cloud to `path` atomically, for [`load`](MemoryCloud::load)
    /// or [`open`](MemoryCloud::open) to read.
    pub fn save_to(&self, path: &Path) -> std::io::Result<()> {
        let body = serde_json::to_vec_pretty(&*self.world()).map_err(std::io::Error::other)?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        std::io::Write::write_all(&mut tmp, &body)?;
        tmp.as_file().sync_all()?;
        tmp.persist(path).map(|_| ()).map_err(|e| e.error)
    }

    fn take_fault(&self, ctx: &CallContext, op: Op) -> Option<ProviderError> {
        let mut faults = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        let name = ctx.urn.name();
        let f = faults.iter_mut().find(|f| {
            f.op == op
                && f.times > 0
                && f.name.as_deref().is_none_or(|n| n == name)
                && f.token.as_deref().is_none_or(|t| t == ctx.token)
        })?;
        if f.times != u32::MAX {
            f.times -= 1;
        }
        Some(f.error.clone())
    }

    /// Simulates one API call: latency, in-flight accounting, injected faults,
    /// and retries of transient ones as an SDK would.
    async fn call<T>(
        &self,
        ctx: &CallContext,
        op: Op,
        body: impl Fn() -> Result<T, ProviderError>,
    ) -> Result<T, ProviderError> {
        self.retry
            .run(|| async {
                self.calls.fetch_add(1, Ordering::SeqCst);
                let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                self.max_in_flight.fetch_max(now, Ordering::SeqCst);
                let latency = self.latency.of(ctx, op);
                if !latency.is_zero() {
                    wait(latency).await;
                }
                let result = match self.take_fault(ctx, op) {
                    Some(err) => Err(err),
                    None => body(),
                };
                self.in_flight.fetch_sub(1, Ordering::SeqCst);
                result
            })
            .await
    }

    fn create_object(&self, ctx: &CallContext, region: &str, inputs: &PropertyMap) -> Result<Created, ProviderError> {
        let kind = kind(&ctx.token).ok_or_else(|| unsupported(&ctx.token))?;
        let mut props: Map<String, Json> = inputs.iter().map(|(k, v)| (k.clone(), v.to_plain_json())).collect();
        let mut w = self.world();
        for v in props.values() {
            let mut missing = None;
            strings(v, &mut |s| {
                if looks_like_generated_id(s) && !w.objects.contains_key(s) && missing.is_none() {
                    missing = Some(s.to_string());
                }
            });
            if let Some(id) = missing {
                return Err(ProviderError::new(
                    ErrorKind::Permanent,
                    "InvalidParameterValue",
                    format!("{} references {id}, which does not exist", ctx.urn),
                ));
            }
        }
        config_preconditions(&ctx.token, region, &props, &w)?;
        w.next += 1;
        let serial = w.next;
        let generated = if ctx.token.starts_with("aws:cloudfront/") {
            // CloudFront ids: E and 13 uppercase alphanumerics.
            format!(
                "{}{:013X}",
                kind.id_prefix,
                (serial.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 12) & 0xf_ffff_ffff_ffff
            )
        } else {
            format!("{}{:017x}", kind.id_prefix, serial.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 4)
        };
        let name = match kind.physical_name {
            Some(field) => match props.get(field).and_then(Json::as_str) {
                Some(n) => n.to_string(),
                // Terraform names a region's one recorder and channel `default`.
                None if ctx.token == CFG_RECORDER || ctx.token == CFG_CHANNEL => {
                    props.insert(field.to_string(), Json::String("default".into()));
                    "default".to_string()
                }
                None => {
                    let n = format!("{}-{:07x}", ctx.urn.name(), serial);
                    props.insert(field.to_string(), Json::String(n.clone()));
                    n
                }
            },
            None => generated.clone(),
        };
        let service = kind.arn_service.unwrap_or("tapctl");
        let resource = ctx.token.rsplit(':').next().unwrap_or("resource").to_ascii_lowercase();
        // IAM is global: its ARNs carry no region.
        let arn_region = if service == "iam" { "" } else { region };
        let arn = special_arn(&ctx.token, &generated, region, serial)
            .unwrap_or_else(|| format!("arn:aws:{service}:{arn_region}:{ACCOUNT_ID}:{resource}/{name}"));
        let id = match kind.id_is {
            IdStyle::Composite => composite_id(&ctx.token, &props, &generated).unwrap_or(generated),
            IdStyle::Generated => generated,
            IdStyle::PhysicalName => name.clone(),
            IdStyle::Arn => arn.clone(),
        };
        let key = storage_key(&ctx.token, &id);
        if w.objects.contains_key(&key) {
            return Err(ProviderError::new(
                ErrorKind::Permanent,
                "AlreadyExists",
                format!("a {} named {name} already exists", ctx.token),
            ));
        }
        props.insert("id".into(), Json::String(id.clone()));
        if kind.outputs.contains(&"arn") {
            props.insert("arn".into(), Json::String(arn));
        }
        if kind.taggable {
            let mut all = props.get("tags").and_then(Json::as_object).cloned().unwrap_or_default();
            all.insert(URN_TAG.into(), Json::String(ctx.urn.to_string()));
            props.insert("tagsAll".into(), Json::Object(all));
        }
        for (out, value) in route53_outputs(&ctx.token, &id, &props, &w.objects) {
            props.insert(out, value);
        }
        for (out, value) in computed_outputs(&ctx.token, kind.outputs, &props.clone(), &name, region) {
            props.entry(out).or_insert(value);
        }
        for (out, value) in serial_outputs(&ctx.token, &id, serial) {
            props.entry(out).or_insert(value);
        }
        w.index_references(&key, &props);
        w.objects
            .insert(key, CloudObject { token: ctx.token.clone(), region: region.into(), properties: props.clone() });
        drop(w);
        self.save();
        Ok(Created { id, outputs: to_values(&props) })
    }
}

/// The key an object is stored under: its id, except for the S3 bucket
/// configuration kinds, whose id is their bucket's name (the bucket's own id)
/// — they are kept beside the bucket under `<bucket>#<token>`, and their
/// `bucket` input references the bucket, so it cannot go first.
///
/// AWS Config names its recorder, delivery channel and rules in separate
/// namespaces (all of them are often `default`), and a recorder status is
/// the recorder's name again: those are kept under `<name>#<token>` beside
/// the recorder (whose key is its name), and a status, naming the recorder,
/// references it.
fn storage_key(token: &str, id: &str) -> String {
    let beside = (token.starts_with("aws:s3/bucket") && token != "aws:s3/bucket:Bucket")
        || (token.starts_with("aws:cfg/") && token != CFG_RECORDER);
    if beside {
        format!("{id}#{token}")
    } else {
        id.to_string()
    }
}

const CFG_RECORDER: &str = "aws:cfg/recorder:Recorder";
const CFG_CHANNEL: &str = "aws:cfg/deliveryChannel:DeliveryChannel";
const CFG_STATUS: &str = "aws:cfg/recorderStatus:RecorderStatus";
const CFG_RULE: &str = "aws:cfg/rule:Rule";

/// AWS Config's rules on what must exist first, as the API enforces them:
/// one recorder and one delivery channel per region, a channel needs a
/// recorder, so does a rule, and a recorder starts only when it exists and a
/// channel does.
fn config_preconditions(token: &str, region: &str, props: &Map<String, Json>, w: &World) -> Result<(), ProviderError> {
    let in_region = |t: &'static str| w.objects.values().filter(move |o| o.token == t && o.region == region);
    let name = props.get("name").and_then(Json::as_str).unwrap_or("default");
    let refuse = |code: &str, message: String| Err(ProviderError::new(ErrorKind::Permanent, code, message));
    match token {
        CFG_RECORDER if in_region(CFG_RECORDER).count() > 0 => refuse(
            "MaxNumberOfConfigurationRecordersExceededException",
            format!("cannot create configuration recorder {name}: {region} already has one"),
        ),
        CFG_CHANNEL | CFG_RULE if in_region(CFG_RECORDER).count() == 0 => refuse(
            "NoAvailableConfigurationRecorderException",
            format!("{token} {name} needs a configuration recorder in {region}"),
        ),
        CFG_CHANNEL if in_region(CFG_CHANNEL).count() > 0 => refuse(
            "MaxNumberOfDeliveryChannelsExceededException",
            format!("cannot create delivery channel {name}: {region} already has one"),
        ),
        CFG_STATUS => {
            if !in_region(CFG_RECORDER).any(|o| o.properties.get("name").and_then(Json::as_str) == Some(name)) {
                return refuse(
                    "NoSuchConfigurationRecorderException",
                    format!("there is no configuration recorder {name} in {region}"),
                );
            }
            let enabled = props.get("isEnabled").and_then(Json::as_bool).unwrap_or(false);
            if enabled && in_region(CFG_CHANNEL).count() == 0 {
                return refuse(
                    "NoAvailableDeliveryChannelException",
                    format!("configuration recorder {name} cannot start without a delivery channel in {region}"),
                );
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Whether deleting the delivery channel of `region` must wait: AWS refuses
/// while a recorder is recording (`LastDeliveryChannelDeleteFailedException`).
fn recorder_running(region: &str, w: &World) -> Option<String> {
    w.objects
        .values()
        .find(|o| {
            o.token == CFG_STATUS
                && o.region == region
                && o.properties.get("isEnabled").and_then(Json::as_bool) == Some(true)
        })
        .map(|o| o.properties.get("name").and_then(Json::as_str).unwrap_or("default").to_string())
}

/// ARNs whose form is not `<resource>/<name>`: CloudFront's are global (no
/// region) and use the id, Config rules' carry an id AWS assigns.
fn special_arn(token: &str, generated: &str, region: &str, serial: u64) -> Option<String> {
    match token {
        "aws:cloudfront/distribution:Distribution" => {
            Some(format!("arn:aws:cloudfront::{ACCOUNT_ID}:distribution/{generated}"))
        }
        "aws:cloudfront/originAccessControl:OriginAccessControl" => {
            Some(format!("arn:aws:cloudfront::{ACCOUNT_ID}:origin-access-control/{generated}"))
        }
        CFG_RULE => Some(format!("arn:aws:config:{region}:{ACCOUNT_ID}:config-rule/{}", config_rule_id(serial))),
        _ => None,
    }
}

/// The `config-rule-xxxxxx` id AWS gives a Config rule.
fn config_rule_id(serial: u64) -> String {
    format!("config-rule-{:06x}", serial.wrapping_mul(0x9e37_79b9) & 0xff_ffff)
}

/// Outputs derived from the object's serial: CloudFront's generated names
/// and version tags, a Config rule's id.
fn serial_outputs(token: &str, id: &str, serial: u64) -> Vec<(String, Json)> {
    let etag = format!("E{:013X}", serial.wrapping_mul(0xc2b2_ae3d_27d4_eb4f) & 0xf_ffff_ffff_ffff);
    match token {
        "aws:cloudfront/distribution:Distribution" => vec![
            ("domainName".into(), Json::String(format!("d{}.cloudfront.net", id.to_ascii_lowercase()))),
            ("hostedZoneId".into(), Json::String(CLOUDFRONT_ZONE_ID.into())),
            ("etag".into(), Json::String(etag)),
            ("status".into(), Json::String("Deployed".into())),
            ("callerReference".into(), Json::String(format!("tapctl-{serial}"))),
            ("inProgressValidationBatches".into(), Json::from(0)),
        ],
        "aws:cloudfront/originAccessControl:OriginAccessControl" => vec![("etag".into(), Json::String(etag))],
        CFG_RULE => vec![("ruleId".into(), Json::String(config_rule_id(serial)))],
        _ => Vec::new(),
    }
}

/// The Route 53 zone of every CloudFront distribution (alias targets).
const CLOUDFRONT_ZONE_ID: &str = "Z2FDTNDATAQYW2";

/// The id of a composite-id kind whose form AWS (Terraform) fixes, from its
/// inputs; `None` for the others, which get a generated id.
fn composite_id(token: &str, props: &Map<String, Json>, generated: &str) -> Option<String> {
    let s = |k: &str| props.get(k).and_then(Json::as_str);
    match token {
        // <zoneId>_<name>_<type>[_<setIdentifier>]
        "aws:route53/record:Record" => {
            let base = format!("{}_{}_{}", s("zoneId")?, s("name")?.trim_end_matches('.').to_lowercase(), s("type")?);
            Some(match s("setIdentifier") {
                Some(set) => format!("{base}_{set}"),
                None => base,
            })
        }
        // <networkAclId>:<ruleNumber>:<protocol>:<egress>
        "aws:ec2/networkAclRule:NetworkAclRule" => {
            let number = props.get("ruleNumber")?.as_f64()?;
            let protocol = match props.get("protocol")? {
                Json::String(p) => p.clone(),
                other => other.to_string(),
            };
            let egress = props.get("egress").and_then(Json::as_bool).unwrap_or(false);
            Some(format!("{}:{number}:{protocol}:{egress}", s("networkAclId")?))
        }
        // <secretArn>|<versionId>
        "aws:secretsmanager/secretVersion:SecretVersion" => Some(format!("{}|{generated}", s("secretId")?)),
        _ => None,
    }
}

/// Route 53 is global and names records within a zone: a zone's `zoneId` is
/// its id and its ARN has no region or account; a record's `fqdn` is its name
/// within its zone.
fn route53_outputs(
    token: &str,
    id: &str,
    props: &Map<String, Json>,
    objects: &BTreeMap<String, CloudObject>,
) -> Vec<(String, Json)> {
    match token {
        "aws:route53/zone:Zone" => vec![
            ("zoneId".into(), Json::String(id.into())),
            ("arn".into(), Json::String(format!("arn:aws:route53:::hostedzone/{id}"))),
        ],
        "aws:route53/record:Record" => {
            let name = props.get("name").and_then(Json::as_str).unwrap_or_default().trim_end_matches('.');
            let zone = props
                .get("zoneId")
                .and_then(Json::as_str)
                .and_then(|z| objects.get(z)?.properties.get("name")?.as_str())
                .map(|z| z.trim_end_matches('.').to_string());
            let fqdn = match zone {
                Some(z) if name != z && !name.ends_with(&format!(".{z}")) => format!("{name}.{z}"),
                _ => name.to_string(),
            };
            vec![("fqdn".into(), Json::String(fqdn.to_lowercase()))]
        }
        _ => Vec::new(),
    }
}

/// Outputs real AWS computes that programs commonly consume.
fn computed_outputs(
    token: &str,
    outputs: &[&str],
    inputs: &Map<String, Json>,
    name: &str,
    region: &str,
) -> Vec<(String, Json)> {
    let mut out = Vec::new();
    for o in outputs {
        let v = match *o {
            "dnsName" => Json::String(format!("{name}-1234567890.{region}.elb.amazonaws.com")),
            "bucketRegionalDomainName" => Json::String(format!("{name}.s3.{region}.amazonaws.com")),
            "endpoint" => Json::String(format!("{name}.cluster-abcdefghijkl.{region}.rds.amazonaws.com")),
            "readerEndpoint" => Json::String(format!("{name}.cluster-ro-abcdefghijkl.{region}.rds.amazonaws.com")),
            "arnSuffix" if token == "aws:lb/targetGroup:TargetGroup" => {
                Json::String(format!("targetgroup/{name}/0123456789abcdef"))
            }
            "arnSuffix" => Json::String(format!("app/{name}/0123456789abcdef")),
            "zoneId" => Json::String("Z35SXDOTRQ7X7K".into()),
            "publicIp" => Json::String("203.0.113.10".into()),
            "ownerId" => Json::String(ACCOUNT_ID.into()),
            // Same-account peering accepted at creation when asked to.
            "acceptStatus" => Json::String(
                if inputs.get("autoAccept") == Some(&Json::Bool(true)) { "active" } else { "pending-acceptance" }
                    .into(),
            ),
            // A launch template starts at version 1.
            "latestVersion" | "defaultVersion" => Json::from(1),
            "peerOwnerId" => Json::String(ACCOUNT_ID.into()),
            "peerRegion" => Json::String(region.into()),
            // Aurora keeps the master password in a secret it manages.
            "masterUserSecrets" if inputs.get("manageMasterUserPassword") == Some(&Json::Bool(true)) => {
                serde_json::json!([{
                    "secretArn": format!("arn:aws:secretsmanager:{region}:{ACCOUNT_ID}:secret:rds!cluster-{name}-AbCdEf"),
                    "secretStatus": "active",
                    "kmsKeyId": format!("arn:aws:kms:{region}:{ACCOUNT_ID}:key/aws-rds"),
                }])
            }
            _ => continue,
        };
        out.push((o.to_string(), v));
    }
    out
}

fn to_values(props: &Map<String, Json>) -> PropertyMap {
    props.iter().map(|(k, v)| (k.clone(), Value::from_plain_json(v))).collect()
}

#[async_trait]
impl AlarmSource for MemoryCloud {
    async fn firing(&self, names: &[String]) -> Result<Vec<String>, ProviderError> {
        let w = self.world();
        let exists = |name: &String| {
            w.objects.values().any(|o| {
                o.token == "aws:cloudwatch/metricAlarm:MetricAlarm"
                    && o.properties.get("name").and_then(Json::as_str) == Some(name)
            })
        };
        Ok(names
            .iter()
            .filter(|n| exists(n) && w.alarm_states.get(*n).is_some_and(|s| s == "ALARM"))
            .cloned()
            .collect())
    }
}

/// One region's view of a [`MemoryCloud`]; what a provider resource configures.
#[derive(Debug, Clone)]
pub struct MemoryRegion {
    cloud: Arc<MemoryCloud>,
    region: String,
}

impl ProviderFactory for Arc<MemoryCloud> {
    fn configure(&self, inputs: &PropertyMap) -> Result<Arc<dyn Provider>, ProviderError> {
        let region = inputs.get("region").and_then(Value::as_str).unwrap_or("us-east-1").to_string();
        Ok(Arc::new(MemoryRegion { cloud: self.clone(), region }))
    }
}

#[async_trait]
impl Provider for MemoryRegion {
    fn check(&self, token: &str, inputs: &PropertyMap) -> Result<(), ProviderError> {
        check_by_catalog(token, inputs)
    }

    fn diff(
        &self,
        token: &str,
        old_inputs: &PropertyMap,
        new_inputs: &PropertyMap,
    ) -> Result<DiffResult, ProviderError> {
        diff_by_catalog(token, old_inputs, new_inputs)
    }

    async fn create(&self, ctx: &CallContext, inputs: &PropertyMap) -> Result<Created, ProviderError> {
        let created = self.cloud.call(ctx, Op::Create, || self.cloud.create_object(ctx, &self.region, inputs)).await?;
        match self.cloud.take_fault(ctx, Op::AfterCreate) {
            Some(e) => Err(ProviderError {
                message: format!("{} was created, but a later step failed: {}", created.id, e.message),
                created_id: Some(created.id),
                ..e
            }),
            None => Ok(created),
        }
    }

    async fn read(&self, ctx: &CallContext, id: &str) -> Result<Option<PropertyMap>, ProviderError> {
        self.cloud
            .call(ctx, Op::Read, || {
                Ok(self.cloud.world().objects.get(&storage_key(&ctx.token, id)).map(|o| to_values(&o.properties)))
            })
            .await
    }

    async fn update(
        &self,
        ctx: &CallContext,
        id: &str,
        old_outputs: &PropertyMap,
        new_inputs: &PropertyMap,
    ) -> Result<PropertyMap, ProviderError> {
        let _ = old_outputs;
        self.cloud
            .call(ctx, Op::Update, || {
                let mut w = self.cloud.world();
                let key = storage_key(&ctx.token, id);
                let Some(region) = w.objects.get(&key).map(|o| o.region.clone()) else {
                    return Err(ProviderError::new(
                        ErrorKind::NotFound,
                        "NotFound",
                        format!("{} {id} does not exist", ctx.token),
                    ));
                };
                let kind = kind(&ctx.token).ok_or_else(|| unsupported(&ctx.token))?;
                if ctx.token == CFG_STATUS {
                    let plain: Map<String, Json> =
                        new_inputs.iter().map(|(k, v)| (k.clone(), v.to_plain_json())).collect();
                    config_preconditions(&ctx.token, &region, &plain, &w)?;
                }
                let obj = w.objects.get_mut(&key).expect("present: looked up above");
                let before = obj.properties.clone();
                // Inputs that were removed are unset; computed outputs stay.
                obj.properties.retain(|k, _| !kind.inputs.contains(&k.as_str()) || new_inputs.contains_key(k));
                for (k, v) in new_inputs {
                    obj.properties.insert(k.clone(), v.to_plain_json());
                }
                if kind.taggable {
                    let mut all = obj.properties.get("tags").and_then(Json::as_object).cloned().unwrap_or_default();
                    all.insert(URN_TAG.into(), Json::String(ctx.urn.to_string()));
                    obj.properties.insert("tagsAll".into(), Json::Object(all));
                }
                let props = obj.properties.clone();
                w.unindex(&key, &before);
                w.index_references(&key, &props);
                drop(w);
                self.cloud.save();
                Ok(to_values(&props))
            })
            .await
    }

    async fn find(&self, ctx: &CallContext, inputs: &PropertyMap) -> Result<Vec<Created>, ProviderError> {
        let kind = kind(&ctx.token).ok_or_else(|| unsupported(&ctx.token))?;
        let plain: Map<String, Json> = inputs.iter().map(|(k, v)| (k.clone(), v.to_plain_json())).collect();
        let name = kind.physical_name.and_then(|n| plain.get(n).and_then(Json::as_str).map(|v| (n, v.to_string())));
        self.cloud
            .call(ctx, Op::Read, || {
                let w = self.cloud.world();
                let found = w.objects.iter().filter(|(_, o)| o.token == ctx.token).filter(|(_, o)| {
                    if kind.taggable {
                        o.urn_tag() == Some(ctx.urn.as_str())
                    } else if let Some((field, value)) = &name {
                        o.properties.get(*field).and_then(Json::as_str) == Some(value.as_str())
                    } else {
                        // Routes, associations, attachments: their inputs are their identity.
                        plain.iter().all(|(k, v)| o.properties.get(k) == Some(v))
                    }
                });
                Ok(found
                    .map(|(key, o)| {
                        let id = o.properties.get("id").and_then(Json::as_str).unwrap_or(key);
                        Created { id: id.to_string(), outputs: to_values(&o.properties) }
                    })
                    .collect())
            })
            .await
    }

    async fn availability_zones(&self) -> Result<Vec<String>, ProviderError> {
        Ok((0..self.cloud.zones).map(|i| format!("{}{}", self.region, char::from(b'a' + i as u8))).collect())
    }

    async fn caller_account_id(&self) -> Result<String, ProviderError> {
        Ok(ACCOUNT_ID.to_string())
    }

    async fn delete(&self, ctx: &CallContext, id: &str, _outputs: &PropertyMap) -> Result<(), ProviderError> {
        self.cloud
            .call(ctx, Op::Delete, || {
                let mut w = self.cloud.world();
                let key = storage_key(&ctx.token, id);
                let id = key.as_str();
                if !w.objects.contains_key(id) {
                    return Ok(()); // already gone: success
                }
                let users: Vec<String> = w
                    .referenced_by
                    .get(id)
                    .map(|s| s.iter().filter(|u| w.objects.contains_key(*u)).cloned().collect())
                    .unwrap_or_default();
                if ctx.token == CFG_CHANNEL {
                    let region = w.objects[id].region.clone();
                    if let Some(recorder) = recorder_running(&region, &w) {
                        return Err(ProviderError::new(
                            ErrorKind::Permanent,
                            "LastDeliveryChannelDeleteFailedException",
                            format!("cannot delete the delivery channel while configuration recorder {recorder} runs"),
                        ));
                    }
                }
                if let Some(user) = users.first() {
                    let user_token = &w.objects[user].token;
                    return Err(ProviderError::new(
                        ErrorKind::Permanent,
                        "DependencyViolation",
                        format!("{} {id} has a dependent object: {user_token} {user}", ctx.token),
                    ));
                }
                if let Some(old) = w.objects.remove(id) {
                    w.unindex(id, &old.properties);
                }
                w.referenced_by.remove(id);
                drop(w);
                self.cloud.save();
                Ok(())
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Urn;

    fn ctx(token: &str, name: &str) -> CallContext {
        let root = Urn::root("dev", "tap");
        CallContext { urn: Urn::new("dev", "tap", Some(&root), token, name), token: token.into(), timeout: None }
    }

    fn inputs(pairs: Vec<(&str, Value)>) -> PropertyMap {
        pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }

    #[tokio::test]
    async fn route53_ids_and_outputs_have_aws_shapes() {
        let cloud = Arc::new(MemoryCloud::new());
        let p = cloud.configure(&PropertyMap::new()).unwrap();
        let zone_token = "aws:route53/zone:Zone";
        let zone = p.create(&ctx(zone_token, "zone"), &inputs(vec![("name", "example.com".into())])).await.unwrap();
        assert_eq!(zone.outputs["zoneId"], Value::from(zone.id.as_str()));
        assert_eq!(zone.outputs["arn"], Value::from(format!("arn:aws:route53:::hostedzone/{}", zone.id)));
        let record_token = "aws:route53/record:Record";
        let record = inputs(vec![
            ("zoneId", zone.id.as_str().into()),
            ("name", "WWW".into()),
            ("type", "CNAME".into()),
            ("setIdentifier", "blue".into()),
        ]);
        let rec = p.create(&ctx(record_token, "www"), &record).await.unwrap();
        assert_eq!(rec.id, format!("{}_www_CNAME_blue", zone.id));
        assert_eq!(rec.outputs["fqdn"], Value::from("www.example.com"));
        // A zone holding a record cannot be deleted (AWS: HostedZoneNotEmpty).
        let err = p.delete(&ctx(zone_token, "zone"), &zone.id, &zone.outputs).await.unwrap_err();
        assert_eq!(err.code, "DependencyViolation");
    }

    #[tokio::test]
    async fn composite_ids_of_acl_rules_and_secret_versions_block_deletes() {
        let cloud = Arc::new(MemoryCloud::new());
        let p = cloud.configure(&PropertyMap::new()).unwrap();
        let vpc =
            p.create(&ctx("aws:ec2/vpc:Vpc", "vpc"), &inputs(vec![("cidrBlock", "10.0.0.0/16".into())])).await.unwrap();
        let acl_token = "aws:ec2/networkAcl:NetworkAcl";
        let acl = p.create(&ctx(acl_token, "acl"), &inputs(vec![("vpcId", vpc.id.as_str().into())])).await.unwrap();
        assert!(acl.id.starts_with("acl-"), "{}", acl.id);
        let rule_token = "aws:ec2/networkAclRule:NetworkAclRule";
        let rule_inputs = inputs(vec![
            ("networkAclId", acl.id.as_str().into()),
            ("ruleNumber", 100.into()),
            ("protocol", "6".into()),
            ("ruleAction", "allow".into()),
            ("egress", true.into()),
        ]);
        let rule = p.create(&ctx(rule_token, "rule"), &rule_inputs).await.unwrap();
        assert_eq!(rule.id, format!("{}:100:6:true", acl.id));
        let err = p.delete(&ctx(acl_token, "acl"), &acl.id, &acl.outputs).await.unwrap_err();
        assert_eq!(err.code, "DependencyViolation");
        p.delete(&ctx(rule_token, "rule"), &rule.id, &rule.outputs).await.unwrap();
        p.delete(&ctx(acl_token, "acl"), &acl.id, &acl.outputs).await.unwrap();

        let secret = p
            .create(&ctx("aws:secretsmanager/secret:Secret", "s"), &inputs(vec![("name", "tap/s".into())]))
            .await
            .unwrap();
        let version_token = "aws:secretsmanager/secretVersion:SecretVersion";
        let version = p
            .create(
                &ctx(version_token, "v"),
                &inputs(vec![("secretId", secret.id.as_str().into()), ("secretString", Value::secret("x"))]),
            )
            .await
            .unwrap();
        assert!(version.id.starts_with(&format!("{}|", secret.id)), "{}", version.id);
    }

    #[tokio::test]
    async fn bucket_configurations_share_the_bucket_name_as_id() {
        let cloud = Arc::new(MemoryCloud::new());
        let p = cloud.configure(&PropertyMap::new()).unwrap();
        let bucket_token = "aws:s3/bucket:Bucket";
        let bucket = p.create(&ctx(bucket_token, "b"), &inputs(vec![("bucket", "logs".into())])).await.unwrap();
        let mut configs = Vec::new();
        for token in ["aws:s3/bucketPolicy:BucketPolicy", "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"] {
            let c = p.create(&ctx(token, "c"), &inputs(vec![("bucket", "logs".into())])).await.unwrap();
            assert_eq!(c.id, "logs");
            assert!(p.read(&ctx(token, "c"), "logs").await.unwrap().is_some());
            configs.push((token, c));
        }
        let err = p.delete(&ctx(bucket_token, "b"), &bucket.id, &bucket.outputs).await.unwrap_err();
        assert_eq!(err.code, "DependencyViolation");
        for (token, c) in &configs {
            p.delete(&ctx(token, "c"), &c.id, &c.outputs).await.unwrap();
            assert_eq!(p.read(&ctx(token, "c"), "logs").await.unwrap(), None);
        }
        p.delete(&ctx(bucket_token, "b"), &bucket.id, &bucket.outputs).await.unwrap();
    }

    #[tokio::test]
    async fn cloudfront_kinds_have_global_ids_arns_and_computed_outputs() {
        let cloud = Arc::new(MemoryCloud::new());
        let p = cloud.configure(&PropertyMap::new()).unwrap();
        let oac_token = "aws:cloudfront/originAccessControl:OriginAccessControl";
        let oac = p
            .create(
                &ctx(oac_token, "oac"),
                &inputs(vec![
                    ("name", "site".into()),
                    ("originAccessControlOriginType", "s3".into()),
                    ("signingBehavior", "always".into()),
                    ("signingProtocol", "sigv4".into()),
                ]),
            )
            .await
            .unwrap();
        assert!(oac.id.len() == 14 && oac.id.starts_with('E'), "{}", oac.id);
        assert!(oac.id.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()), "{}", oac.id);
        let arn = format!("arn:aws:cloudfront::{ACCOUNT_ID}:origin-access-control/{}", oac.id);
        assert_eq!(oac.outputs["arn"], Value::from(arn));
        assert!(oac.outputs["etag"].as_str().is_some());

        let dist_token = "aws:cloudfront/distribution:Distribution";
        let origin = Value::from_plain_json(&serde_json::json!([{
            "domainName": "site.s3.us-east-1.amazonaws.com", "originId": "s3", "originAccessControlId": oac.id,
        }]));
        let dist = p
            .create(&ctx(dist_token, "cdn"), &inputs(vec![("enabled", true.into()), ("origins", origin)]))
            .await
            .unwrap();
        let o = &dist.outputs;
        assert_eq!(o["arn"], Value::from(format!("arn:aws:cloudfront::{ACCOUNT_ID}:distribution/{}", dist.id)));
        assert!(o["domainName"].as_str().unwrap().ends_with(".cloudfront.net"));
        assert_eq!(o["hostedZoneId"], Value::from(CLOUDFRONT_ZONE_ID));
        assert_eq!(o["status"], Value::from("Deployed"));
        assert!(o["callerReference"].as_str().is_some() && o["etag"].as_str().is_some());
        // The distribution uses the OAC: it goes first.
        let err = p.delete(&ctx(oac_token, "oac"), &oac.id, &oac.outputs).await.unwrap_err();
        assert_eq!(err.code, "DependencyViolation");
        p.delete(&ctx(dist_token, "cdn"), &dist.id, o).await.unwrap();
        p.delete(&ctx(oac_token, "oac"), &oac.id, &oac.outputs).await.unwrap();
    }

    #[tokio::test]
    async fn config_kinds_keep_aws_ordering_rules() {
        let cloud = Arc::new(MemoryCloud::new());
        let p = cloud.configure(&PropertyMap::new()).unwrap();
        let (rec_t, chan_t, status_t, rule_t) = (CFG_RECORDER, CFG_CHANNEL, CFG_STATUS, CFG_RULE);
        let status = inputs(vec![("name", "default".into()), ("isEnabled", true.into())]);
        let channel = inputs(vec![("name", "default".into()), ("s3BucketName", "cfg-logs".into())]);
        let err = p.create(&ctx(chan_t, "ch"), &channel).await.unwrap_err();
        assert_eq!(err.code, "NoAvailableConfigurationRecorderException");
        let rule_inputs = inputs(vec![("name", "s3-sse".into()), ("source", Value::object([("owner", "AWS")]))]);
        let err = p.create(&ctx(rule_t, "rule"), &rule_inputs).await.unwrap_err();
        assert_eq!(err.code, "NoAvailableConfigurationRecorderException");
        let rec = inputs(vec![("name", "default".into()), ("roleArn", "arn:aws:iam::123456789012:role/cfg".into())]);
        let recorder = p.create(&ctx(rec_t, "rec"), &rec).await.unwrap();
        assert_eq!(recorder.id, "default");
        let err = p.create(&ctx(rec_t, "rec2"), &inputs(vec![("name", "other".into())])).await.unwrap_err();
        assert_eq!(err.code, "MaxNumberOfConfigurationRecordersExceededException");
        let err = p.create(&ctx(status_t, "st"), &status).await.unwrap_err();
        assert_eq!(err.code, "NoAvailableDeliveryChannelException");
        let ch = p.create(&ctx(chan_t, "ch"), &channel).await.unwrap();
        let st = p.create(&ctx(status_t, "st"), &status).await.unwrap();
        assert_eq!((ch.id.as_str(), st.id.as_str()), ("default", "default"));
        let rule = p.create(&ctx(rule_t, "rule"), &rule_inputs).await.unwrap();
        let rule_id = rule.outputs["ruleId"].as_str().unwrap().to_string();
        assert!(rule_id.starts_with("config-rule-"), "{rule_id}");
        let arn = format!("arn:aws:config:us-east-1:{ACCOUNT_ID}:config-rule/{rule_id}");
        assert_eq!(rule.outputs["arn"], Value::from(arn));
        assert!(p.read(&ctx(status_t, "st"), "default").await.unwrap().is_some());
        // A running recorder keeps its channel; stopping it releases it.
        let err = p.delete(&ctx(chan_t, "ch"), &ch.id, &ch.outputs).await.unwrap_err();
        assert_eq!(err.code, "LastDeliveryChannelDeleteFailedException");
        let stopped = inputs(vec![("name", "default".into()), ("isEnabled", false.into())]);
        p.update(&ctx(status_t, "st"), &st.id, &st.outputs, &stopped).await.unwrap();
        p.delete(&ctx(chan_t, "ch"), &ch.id, &ch.outputs).await.unwrap();
        let err = p.update(&ctx(status_t, "st"), &st.id, &st.outputs, &status).await.unwrap_err();
        assert_eq!(err.code, "NoAvailableDeliveryChannelException");
        // The status names the recorder: it goes first.
        assert!(p.delete(&ctx(rec_t, "rec"), "default", &recorder.outputs).await.is_err());
        p.delete(&ctx(status_t, "st"), &st.id, &st.outputs).await.unwrap();
        p.delete(&ctx(rule_t, "rule"), &rule.id, &rule.outputs).await.unwrap();
        p.delete(&ctx(rec_t, "rec"), "default", &recorder.outputs).await.unwrap();
        assert!(cloud.objects().is_empty());
    }
}
