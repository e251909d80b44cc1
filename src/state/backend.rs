//! Where a project's stacks keep their state, as named by a backend URL:
//! `file://<dir>` (relative to the project folder) or
//! `s3://<bucket>[/<prefix>]`. Both backends keep the same objects — a
//! checkpoint, a journal, a lock with its holder — and give the engine the
//! same guarantees; only durability and locking are implemented per medium.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::journal::JournalWriter;
use super::local::{Loaded, LocalBackend, StackSummary};
use super::lock::{LockHolder, StackLock};
use super::secrets::Crypter;
use super::snapshot::Snapshot;
use super::StateError;

/// A parsed backend URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendUrl {
    /// State files in a directory.
    File(PathBuf),
    /// State objects in an S3 bucket, under `prefix` (empty or ending in `/`).
    S3 {
        /// Bucket name.
        bucket: String,
        /// Key prefix.
        prefix: String,
        /// The bucket's region (`?region=`), when it is not the environment's.
        region: Option<String>,
        /// How long a run's lock holds without renewal (`?lease=`, `?renew=`).
        lease: Lease,
    },
}

/// How long a remote lock holds, and how often its holder renews it: a lock
/// not renewed for `lease` is taken over by the next run, one that is being
/// renewed never is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease {
    /// How long the lock holds without renewal.
    pub lease: Duration,
    /// How often the holder renews it.
    pub renew: Duration,
}

impl Default for Lease {
    fn default() -> Lease {
        Lease { lease: Duration::from_secs(120), renew: Duration::from_secs(30) }
    }
}

/// `90s`, `2m` or a bare number of seconds.
fn parse_seconds(text: &str) -> Option<Duration> {
    let (digits, unit) = match text.strip_suffix('m') {
        Some(d) => (d, 60),
        None => (text.strip_suffix('s').unwrap_or(text), 1),
    };
    digits.parse::<u64>().ok().filter(|n| *n > 0).map(|n| Duration::from_secs(n * unit))
}

impl BackendUrl {
    /// Parses `url`; a relative `file://` directory is taken relative to `root`.
    pub fn parse(url: &str, root: &Path) -> Result<BackendUrl, StateError> {
        let bad = |why: &str| StateError::BadBackend { url: url.to_string(), why: why.to_string() };
        if let Some(dir) = url.strip_prefix("file://") {
            if dir.is_empty() {
                return Err(bad("it names no directory"));
            }
            return Ok(BackendUrl::File(root.join(dir)));
        }
        if let Some(rest) = url.strip_prefix("s3://") {
            let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
            let mut region = None;
            let mut lease = Lease::default();
            for pair in query.split('&').filter(|p| !p.is_empty()) {
                match pair.split_once('=') {
                    Some(("region", r))
                        if r.split('-').count() >= 3
                            && r.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') =>
                    {
                        region = Some(r.to_string())
                    }
                    Some(("region", _)) => {
                        return Err(bad("`region` must be an AWS region name, e.g. ?region=eu-west-1"))
                    }
                    Some(("lease", t)) => {
                        lease.lease = parse_seconds(t).ok_or_else(|| bad("`lease` must be a duration, e.g. ?lease=2m or ?lease=90s"))?
                    }
                    Some(("renew", t)) => {
                        lease.renew = parse_seconds(t).ok_or_else(|| bad("`renew` must be a duration, e.g. ?renew=30s"))?
                    }
                    _ => {
                        return Err(bad(&format!(
                            "unknown option `{pair}`; the S3 backend takes ?region=<region>, ?lease=<duration> and ?renew=<duration>"
                        )))
                    }
                }
            }
            if lease.renew * 2 > lease.lease {
                return Err(bad("`renew` must be at most half of `lease` (defaults: lease 2m, renew 30s), so one late renewal does not lose the lock"));
            }
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            let valid_bucket = (3..=63).contains(&bucket.len())
                && bucket.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
                && !bucket.starts_with(['-', '.'])
                && !bucket.ends_with(['-', '.']);
            if !valid_bucket {
                return Err(bad("the bucket name must be 3-63 lowercase letters, digits, `-` or `.`"));
            }
            let prefix = prefix.trim_matches('/');
            if prefix.split('/').any(|part| part == "." || part == "..") {
                return Err(bad("the key prefix may not contain `.` or `..` segments"));
            }
            let prefix = if prefix.is_empty() { String::new() } else { format!("{prefix}/") };
            return Ok(BackendUrl::S3 { bucket: bucket.to_string(), prefix, region, lease });
        }
        Err(bad("use file://<dir> (e.g. file://state) or s3://<bucket>[/<prefix>]"))
    }
}

impl std::fmt::Display for BackendUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BackendUrl::File(dir) => write!(f, "file://{}", dir.display()),
            BackendUrl::S3 { bucket, prefix, region, lease } => {
                let mut options = Vec::new();
                if let Some(r) = region {
                    options.push(format!("region={r}"));
                }
                if *lease != Lease::default() {
                    options.push(format!("lease={}s&renew={}s", lease.lease.as_secs(), lease.renew.as_secs()));
                }
                let query = if options.is_empty() { String::new() } else { format!("?{}", options.join("&")) };
                write!(f, "s3://{bucket}/{prefix}{query}")
            }
        }
    }
}

/// A stack state backend.
#[derive(Debug, Clone)]
pub enum Backend {
    /// Files in a local directory.
    File(LocalBackend),
    /// Objects in S3.
    #[cfg(feature = "aws")]
    S3(super::s3::S3Backend),
}

impl From<LocalBackend> for Backend {
    fn from(b: LocalBackend) -> Backend {
        Backend::File(b)
    }
}

impl Backend {
    /// Opens the backend `url` names. `history` is how many previous
    /// checkpoints the S3 backend keeps (the file backend keeps one, `.bak`).
    pub fn open(url: &BackendUrl, history: usize) -> Result<Backend, StateError> {
        match url {
            BackendUrl::File(dir) => Ok(Backend::File(LocalBackend::new(dir))),
            #[cfg(feature = "aws")]
            BackendUrl::S3 { bucket, prefix, region, lease } => {
                Ok(Backend::S3(super::s3::S3Backend::open(bucket, prefix, region.as_deref(), *lease, history)?))
            }
            #[cfg(not(feature = "aws"))]
            BackendUrl::S3 { .. } => {
                let _ = history;
                Err(StateError::BadBackend {
                    url: url.to_string(),
                    why: "this build of tapctl has no S3 support (built without the `aws` feature)".into(),
                })
            }
        }
    }

    /// Reads a stack's checkpoint and replays its journal (see
    /// [`LocalBackend::load`]).
    pub fn load(&self, stack: &str, crypter: Option<&Crypter>) -> Result<Loaded, StateError> {
        match self {
            Backend::File(b) => b.load(stack, crypter),
            #[cfg(feature = "aws")]
            Backend::S3(b) => b.load(stack, crypter),
        }
    }

    /// Takes the stack's lock for `command`, or fails naming the holder.
    pub fn lock(&self, stack: &str, command: &str) -> Result<LockedStack, StateError> {
        match self {
            Backend::File(b) => b.lock(stack, command),
            #[cfg(feature = "aws")]
            Backend::S3(b) => b.lock(stack, command),
        }
    }

    /// Clears a lock whose holder is gone; fails if the holder lives here.
    pub fn clear_stale_lock(&self, stack: &str) -> Result<Option<LockHolder>, StateError> {
        match self {
            Backend::File(b) => b.clear_stale_lock(stack),
            #[cfg(feature = "aws")]
            Backend::S3(b) => b.clear_stale_lock(stack),
        }
    }

    /// Opens the locked stack's journal for appending.
    pub fn open_journal(&self, locked: &LockedStack) -> Result<JournalWriter, StateError> {
        match self {
            Backend::File(b) => b.open_journal(locked),
            #[cfg(feature = "aws")]
            Backend::S3(b) => b.open_journal(locked),
        }
    }

    /// Writes `snapshot` as the locked stack's checkpoint, then drops the
    /// journal it supersedes. Returns the bytes written.
    pub fn compact(
        &self,
        locked: &LockedStack,
        snapshot: &Snapshot,
        crypter: Option<&Crypter>,
        encryption_salt: Option<&str>,
    ) -> Result<u64, StateError> {
        match self {
            Backend::File(b) => b.compact(locked, snapshot, crypter, encryption_salt),
            #[cfg(feature = "aws")]
            Backend::S3(b) => b.compact(locked, snapshot, crypter, encryption_salt),
        }
    }

    /// Deletes a stack's state: checkpoint, previous checkpoints, journal and
    /// lock. Refused while another run holds the stack.
    pub fn remove_stack(&self, stack: &str) -> Result<(), StateError> {
        let locked = self.lock(stack, "stack rm")?;
        match self {
            Backend::File(b) => b.remove_stack(stack)?,
            #[cfg(feature = "aws")]
            Backend::S3(b) => b.remove_stack(stack)?,
        }
        drop(locked);
        Ok(())
    }

    /// Stacks with a checkpoint in this backend, by name.
    pub fn list(&self) -> Result<Vec<StackSummary>, StateError> {
        match self {
            Backend::File(b) => b.list(),
            #[cfg(feature = "aws")]
            Backend::S3(b) => b.list(),
        }
    }
}

/// What holds a stack's lock, per backend; released when dropped.
#[derive(Debug)]
pub(crate) enum LockGuard {
    File(StackLock),
    #[cfg(feature = "aws")]
    S3(super::s3::S3Lock),
}

/// A lock held on one stack; required for every write.
#[derive(Debug)]
pub struct LockedStack {
    stack: String,
    guard: LockGuard,
}

impl LockedStack {
    pub(crate) fn new(stack: &str, guard: LockGuard) -> LockedStack {
        LockedStack { stack: stack.to_string(), guard }
    }

    /// The locked stack's name.
    pub fn stack(&self) -> &str {
        &self.stack
    }

    /// The run that died holding this stack's lock, if this lock was taken over from one.
    pub fn taken_over(&self) -> Option<&LockHolder> {
        match &self.guard {
            LockGuard::File(l) => l.taken_over(),
            #[cfg(feature = "aws")]
            LockGuard::S3(l) => l.taken_over(),
        }
    }

    #[cfg(feature = "aws")]
    pub(crate) fn s3_guard(&self) -> Option<&super::s3::S3Lock> {
        match &self.guard {
            LockGuard::S3(l) => Some(l),
            LockGuard::File(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_or_say_what_is_wrong() {
        let root = Path::new("/p");
        assert_eq!(BackendUrl::parse("file://state", root).unwrap(), BackendUrl::File("/p/state".into()));
        assert_eq!(BackendUrl::parse("file:///abs", root).unwrap(), BackendUrl::File("/abs".into()));
        assert_eq!(
            BackendUrl::parse("s3://tap-state/team/a/", root).unwrap(),
            BackendUrl::S3 {
                bucket: "tap-state".into(),
                prefix: "team/a/".into(),
                region: None,
                lease: Lease::default()
            }
        );
        assert_eq!(
            BackendUrl::parse("s3://tap-state", root).unwrap(),
            BackendUrl::S3 { bucket: "tap-state".into(), prefix: String::new(), region: None, lease: Lease::default() }
        );
        assert_eq!(
            BackendUrl::parse("s3://tap-state/team?region=eu-west-1", root).unwrap(),
            BackendUrl::S3 {
                bucket: "tap-state".into(),
                prefix: "team/".into(),
                region: Some("eu-west-1".into()),
                lease: Lease::default()
            }
        );
        let url = BackendUrl::parse("s3://tap-state/team?lease=4m&renew=45", root).unwrap();
        let BackendUrl::S3 { lease, .. } = &url else { panic!("{url:?}") };
        assert_eq!(*lease, Lease { lease: Duration::from_secs(240), renew: Duration::from_secs(45) });
        assert_eq!(url.to_string(), "s3://tap-state/team/?lease=240s&renew=45s");
        for (url, why) in [
            ("file://", "no directory"),
            ("s3://Tap_State", "bucket name"),
            ("s3://ab", "bucket name"),
            ("s3://tap-state/../x", "`..`"),
            ("gs://bucket", "s3://<bucket>"),
            ("s3://tap-state?region=Mars", "AWS region name"),
            ("s3://tap-state?versioned=yes", "unknown option"),
            ("s3://tap-state?lease=soon", "`lease` must be a duration"),
            ("s3://tap-state?renew=0s", "`renew` must be a duration"),
            ("s3://tap-state?lease=60s&renew=45s", "at most half of `lease`"),
        ] {
            let e = BackendUrl::parse(url, root).unwrap_err().to_string();
            assert!(e.contains(why) && e.contains(url), "{url}: {e}");
        }
    }
}
