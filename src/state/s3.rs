//! The S3 backend: a team's stacks in one bucket, under a key prefix.
//!
//! Objects per stack, next to each other under the prefix:
//!
//! - `<stack>.json` — the checkpoint, the same bytes the file backend writes;
//! - `<stack>.journal/<seq>.jsonl` — one object per group commit (S3 has no
//!   append), replayed in key order;
//! - `<stack>.lock` — the lock: exists while a run holds the stack, and
//!   records who (holder, host, PID, start time);
//! - `<stack>.history/<time>.json` — previous checkpoints, the newest
//!   `history` kept.
//!
//! No write can lose another writer's work: the lock and every journal object
//! are created with `If-None-Match: *` (create, never replace), and the
//! checkpoint is replaced with `If-Match` on the ETag this run read (or
//! created with `If-None-Match: *`), so a writer that lost its lock to
//! `tapctl cancel` fails instead of overwriting.
//!
//! The lock is a lease: its holder renews it every `renew` (default 30 s)
//! with a conditional write on its own ETag, and a lock not renewed for
//! `lease` (default 2 min) is taken over by the next run, with a notice —
//! never while its holder still renews, and never by two runs at once (the
//! takeover deletes exactly the record it watched, `If-Match`, and creates
//! its own with `If-None-Match: *`). A lock whose holder is a dead process
//! of this host is taken over at once, as with the file backend; a live or
//! recently renewed holder makes the run fail, naming it.

use std::collections::HashMap;
use std::future::Future;
use std::io::Cursor;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use aws_config::BehaviorVersion;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;

use super::backend::{Lease, LockGuard, LockedStack};
use super::journal::{self, JournalSink, JournalWriter, Replay};
use super::local::{check_stack_name, decode_checkpoint, encode_checkpoint, summarize, Loaded, StackSummary};
use super::lock::{hostname, parse_holder, LockHolder};
use super::secrets::Crypter;
use super::snapshot::Snapshot;
use super::StateError;

/// Runs S3 requests on a small runtime of its own and waits for them, so the
/// backend's API is synchronous like the file backend's and works from
/// anywhere: async code, the journal writer's thread, `Drop`.
#[derive(Debug)]
struct Runner(Option<tokio::runtime::Runtime>);

impl Runner {
    fn new() -> std::io::Result<Runner> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("tapctl-s3")
            .enable_all()
            .build()?;
        Ok(Runner(Some(rt)))
    }

    /// Starts `task` in the background (the lock's renewal).
    fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) -> tokio::task::JoinHandle<()> {
        self.0.as_ref().expect("the runtime lives until drop").spawn(task)
    }

    fn run<T: Send + 'static>(&self, request: impl Future<Output = T> + Send + 'static) -> T {
        let (tx, rx) = std::sync::mpsc::channel();
        let rt = self.0.as_ref().expect("the runtime lives until drop");
        rt.spawn(async move {
            let _ = tx.send(request.await);
        });
        rx.recv().expect("an S3 request task panicked")
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which panics inside async code.
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

/// How a write is conditioned on what is there.
enum Condition {
    /// Only if no object has the key (`If-None-Match: *`).
    Absent,
    /// Only if the object has this ETag (`If-Match`).
    Matches(String),
}

/// A conditional write found its condition false.
struct PreconditionFailed;

/// One bucket and prefix, and the requests the backend makes there.
#[derive(Debug)]
struct Store {
    runner: Runner,
    client: Client,
    bucket: String,
    prefix: String,
}

impl Store {
    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    fn location(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }

    fn failed<E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static>(
        &self,
        key: &str,
        e: SdkError<E>,
    ) -> StateError {
        let detail = match e.code() {
            Some("NoSuchBucket") => format!(
                "bucket `{}` does not exist; create it first (tapctl never creates its state bucket), e.g. `aws s3 mb s3://{}`",
                self.bucket, self.bucket
            ),
            Some("AccessDenied") | Some("Forbidden") => format!(
                "access denied; tapctl needs s3:GetObject, s3:PutObject, s3:DeleteObject on `{}/{}*` and s3:ListBucket on `{}`",
                self.bucket, self.prefix, self.bucket
            ),
            _ => DisplayErrorContext(&e).to_string(),
        };
        StateError::Store { location: self.location(key), detail }
    }

    fn get(&self, key: &str) -> Result<Option<(Vec<u8>, String)>, StateError> {
        let request = self.client.get_object().bucket(&self.bucket).key(key).send();
        let got = self.runner.run(async move {
            match request.await {
                Ok(out) => {
                    let etag = out.e_tag().unwrap_or_default().to_string();
                    out.body.collect().await.map(|b| Some((b.to_vec(), etag))).map_err(|e| Err(e.to_string()))
                }
                Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
                Err(e) => Err(Ok(e)),
            }
        });
        match got {
            Ok(found) => Ok(found),
            Err(Ok(e)) => Err(self.failed(key, e)),
            Err(Err(read)) => Err(StateError::Store { location: self.location(key), detail: read }),
        }
    }

    /// The ETag of `key`, if there is such an object (its body is not fetched).
    fn etag(&self, key: &str) -> Result<Option<String>, StateError> {
        let request = self.client.head_object().bucket(&self.bucket).key(key).send();
        match self.runner.run(request) {
            Ok(out) => Ok(Some(out.e_tag().unwrap_or_default().to_string())),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
            Err(e) => Err(self.failed(key, e)),
        }
    }

    fn put(
        &self,
        key: &str,
        body: Vec<u8>,
        condition: Condition,
    ) -> Result<Result<String, PreconditionFailed>, StateError> {
        let request = self.put_request(key, body, condition);
        self.put_outcome(key, self.runner.run(request.send()))
    }

    /// [`put`](Store::put) from inside the store's runtime (the lock renewal).
    async fn put_async(
        &self,
        key: &str,
        body: Vec<u8>,
        condition: Condition,
    ) -> Result<Result<String, PreconditionFailed>, StateError> {
        self.put_outcome(key, self.put_request(key, body, condition).send().await)
    }

    fn put_request(
        &self,
        key: &str,
        body: Vec<u8>,
        condition: Condition,
    ) -> aws_sdk_s3::operation::put_object::builders::PutObjectFluentBuilder {
        let request = self.client.put_object().bucket(&self.bucket).key(key).body(ByteStream::from(body));
        match condition {
            Condition::Absent => request.if_none_match("*"),
            Condition::Matches(etag) => request.if_match(etag),
        }
    }

    fn put_outcome(
        &self,
        key: &str,
        sent: Result<
            aws_sdk_s3::operation::put_object::PutObjectOutput,
            SdkError<aws_sdk_s3::operation::put_object::PutObjectError>,
        >,
    ) -> Result<Result<String, PreconditionFailed>, StateError> {
        match sent {
            Ok(out) => Ok(Ok(out.e_tag().unwrap_or_default().to_string())),
            Err(e) if precondition_failed(&e) => Ok(Err(PreconditionFailed)),
            Err(e) => Err(self.failed(key, e)),
        }
    }

    /// Deletes `key` (if it still has `etag`, when given). `false`: it had another.
    fn delete(&self, key: &str, etag: Option<&str>) -> Result<bool, StateError> {
        let request = self.client.delete_object().bucket(&self.bucket).key(key);
        let request = match etag {
            Some(etag) => request.if_match(etag),
            None => request,
        };
        match self.runner.run(request.send()) {
            Ok(_) => Ok(true),
            Err(e) if precondition_failed(&e) => Ok(false),
            // Already gone is what deleting wants.
            Err(e) if matches!(e.code(), Some("NoSuchKey")) => Ok(true),
            Err(e) => Err(self.failed(key, e)),
        }
    }

    fn copy(&self, from: &str, to: &str) -> Result<(), StateError> {
        let source = format!("{}/{from}", self.bucket);
        let request = self.client.copy_object().bucket(&self.bucket).copy_source(source).key(to).send();
        self.runner.run(request).map(|_| ()).map_err(|e| self.failed(from, e))
    }

    /// Keys directly under `prefix` (not in a "folder" below it), in order:
    /// listing the stacks skips their journal and history objects.
    fn list(&self, prefix: &str) -> Result<Vec<String>, StateError> {
        let request = self.client.list_objects_v2().bucket(&self.bucket).prefix(prefix).delimiter("/");
        let mut pages = request.into_paginator().send();
        let listed = self.runner.run(async move {
            let mut keys = Vec::new();
            while let Some(page) = pages.next().await {
                keys.extend(page?.contents().iter().filter_map(|o| o.key().map(str::to_string)));
            }
            Ok(keys)
        });
        let mut keys = listed.map_err(|e| self.failed(prefix, e))?;
        keys.sort();
        Ok(keys)
    }
}

fn precondition_failed<E: ProvideErrorMetadata>(e: &SdkError<E>) -> bool {
    matches!(e.code(), Some("PreconditionFailed")) || e.raw_response().is_some_and(|r| r.status().as_u16() == 412)
}

fn runner(bucket: &str, prefix: &str) -> Result<Runner, StateError> {
    Runner::new().map_err(|e| StateError::Store { location: format!("s3://{bucket}/{prefix}"), detail: e.to_string() })
}

/// Stacks in an S3 bucket.
#[derive(Debug, Clone)]
pub struct S3Backend {
    store: Arc<Store>,
    history: usize,
    lease: Lease,
    /// Each stack's checkpoint ETag as this process last read or wrote it.
    etags: Arc<Mutex<HashMap<String, Option<String>>>>,
}

impl S3Backend {
    /// The backend for `s3://<bucket>/<prefix>`. Credentials and endpoint
    /// come from the environment as for the AWS provider (`AWS_PROFILE`,
    /// `AWS_ENDPOINT_URL`, …); the region is `region` (the URL's
    /// `?region=`), else the environment's, else S3's default us-east-1.
    pub fn open(
        bucket: &str,
        prefix: &str,
        region: Option<&str>,
        lease: Lease,
        history: usize,
    ) -> Result<S3Backend, StateError> {
        let runner = runner(bucket, prefix)?;
        let config = runner.run(aws_config::defaults(BehaviorVersion::latest()).load());
        Ok(S3Backend::build(runner, &config, bucket, prefix, region, lease, history))
    }

    /// The backend for `bucket`/`prefix` (empty or ending in `/`) with an
    /// SDK configuration of the embedding program's own (credentials,
    /// endpoint, region) instead of the environment's.
    pub fn with_config(
        config: &aws_config::SdkConfig,
        bucket: &str,
        prefix: &str,
        lease: Lease,
        history: usize,
    ) -> Result<S3Backend, StateError> {
        Ok(S3Backend::build(runner(bucket, prefix)?, config, bucket, prefix, None, lease, history))
    }

    fn build(
        runner: Runner,
        config: &aws_config::SdkConfig,
        bucket: &str,
        prefix: &str,
        region: Option<&str>,
        lease: Lease,
        history: usize,
    ) -> S3Backend {
        let mut builder = aws_sdk_s3::config::Builder::from(config);
        if let Some(region) = region {
            builder = builder.region(aws_config::Region::new(region.to_string()));
        } else if config.region().is_none() {
            // S3's own default; a bucket elsewhere answers with a redirect
            // error that names its region, to give as ?region=.
            builder = builder.region(aws_config::Region::new("us-east-1"));
        }
        // An endpoint override is an emulator, where bucket host names do not resolve.
        let builder = if config.endpoint_url().is_some() { builder.force_path_style(true) } else { builder };
        let client = Client::from_conf(builder.build());
        let store = Store { runner, client, bucket: bucket.to_string(), prefix: prefix.to_string() };
        S3Backend { store: Arc::new(store), history, lease, etags: Arc::default() }
    }

    fn checkpoint_key(&self, stack: &str) -> String {
        self.store.key(&format!("{stack}.json"))
    }

    fn journal_prefix(&self, stack: &str) -> String {
        self.store.key(&format!("{stack}.journal/"))
    }

    fn history_prefix(&self, stack: &str) -> String {
        self.store.key(&format!("{stack}.history/"))
    }

    fn at(&self, key: &str) -> PathBuf {
        PathBuf::from(self.store.location(key))
    }

    /// Reads a stack's checkpoint and replays its journal objects.
    pub fn load(&self, stack: &str, crypter: Option<&Crypter>) -> Result<Loaded, StateError> {
        check_stack_name(stack)?;
        let key = self.checkpoint_key(stack);
        let (mut snapshot, etag) = match self.store.get(&key)? {
            Some((bytes, etag)) => {
                let prefix = self.history_prefix(stack);
                let history = self.at(&prefix);
                let decoded = decode_checkpoint(bytes, stack, crypter, &self.at(&key), Some(&history));
                // Only a damaged checkpoint pays for looking at its history.
                let decoded = match decoded {
                    Err(StateError::Corrupt { path, detail, .. }) => {
                        let kept = !self.store.list(&prefix)?.is_empty();
                        Err(StateError::Corrupt { path, detail, backup: kept.then_some(history) })
                    }
                    other => other,
                };
                (decoded?, Some(etag))
            }
            None => (Snapshot::default(), None),
        };
        self.etags.lock().unwrap_or_else(|e| e.into_inner()).insert(stack.to_string(), etag);
        let mut replay = Replay::default();
        for part in self.store.list(&self.journal_prefix(stack))? {
            let bytes = self.store.get(&part)?.map(|(b, _)| b).unwrap_or_default();
            let r = journal::replay_from(Cursor::new(bytes), &self.at(&part), &mut snapshot, crypter)?;
            replay.applied += r.applied;
            replay.torn_tail |= r.torn_tail;
        }
        Loaded::replayed(snapshot, replay)
    }

    /// Deletes a stack's checkpoint, history and journal objects (the caller
    /// holds its lock, which goes when it is dropped).
    pub fn remove_stack(&self, stack: &str) -> Result<(), StateError> {
        check_stack_name(stack)?;
        let mut keys = self.store.list(&self.journal_prefix(stack))?;
        keys.extend(self.store.list(&self.history_prefix(stack))?);
        keys.push(self.checkpoint_key(stack));
        for key in keys {
            self.store.delete(&key, None)?;
        }
        self.etags.lock().unwrap_or_else(|e| e.into_inner()).remove(stack);
        Ok(())
    }

    /// Takes the stack's lock for `command`, or fails naming the holder.
    pub fn lock(&self, stack: &str, command: &str) -> Result<LockedStack, StateError> {
        check_stack_name(stack)?;
        let key = self.store.key(&format!("{stack}.lock"));
        let lock = S3Lock::acquire(self.store.clone(), key, stack, command, self.lease)?;
        Ok(LockedStack::new(stack, LockGuard::S3(lock)))
    }

    /// Clears the stack's lock unless its holder is a live process here.
    pub fn clear_stale_lock(&self, stack: &str) -> Result<Option<LockHolder>, StateError> {
        check_stack_name(stack)?;
        let key = self.store.key(&format!("{stack}.lock"));
        let Some((body, etag)) = self.store.get(&key)? else { return Ok(None) };
        let holder = parse_holder(&String::from_utf8_lossy(&body));
        if let Some(h) = holder.as_ref().filter(|h| h.is_alive_here()) {
            return Err(StateError::Locked { stack: stack.into(), holder: Box::new(h.clone()) });
        }
        self.store.delete(&key, Some(&etag))?;
        Ok(holder)
    }

    /// Opens the locked stack's journal: new objects after the existing ones.
    pub fn open_journal(&self, locked: &LockedStack) -> Result<JournalWriter, StateError> {
        let prefix = self.journal_prefix(locked.stack());
        let last = self.store.list(&prefix)?.iter().filter_map(|k| sequence(&prefix, k)).max();
        let sink = S3JournalSink { store: self.store.clone(), prefix: prefix.clone(), next: last.map_or(1, |n| n + 1) };
        JournalWriter::with_sink(Box::new(sink), &self.at(&prefix))
    }

    /// Replaces the checkpoint (conditionally on the ETag this process read),
    /// keeping the previous one in the history, then deletes the journal
    /// objects it supersedes. Returns the bytes written.
    pub fn compact(
        &self,
        locked: &LockedStack,
        snapshot: &Snapshot,
        crypter: Option<&Crypter>,
        encryption_salt: Option<&str>,
    ) -> Result<u64, StateError> {
        let stack = locked.stack();
        debug_assert!(locked.s3_guard().is_some(), "an S3 stack is locked by an S3 lock");
        let key = self.checkpoint_key(stack);
        let mut body = Vec::new();
        encode_checkpoint(stack, snapshot, crypter, encryption_salt, &mut body, &self.at(&key))?;
        let written = body.len() as u64;
        let known = self.etags.lock().unwrap_or_else(|e| e.into_inner()).get(stack).cloned();
        // Not read by this process (an import): what is there now, under our lock.
        let expected = match known {
            Some(etag) => etag,
            None => self.store.etag(&key)?,
        };
        if expected.is_some() && self.history > 0 {
            let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ");
            self.store.copy(&key, &format!("{}{stamp}.json", self.history_prefix(stack)))?;
            let kept = self.store.list(&self.history_prefix(stack))?;
            for old in kept.iter().take(kept.len().saturating_sub(self.history)) {
                self.store.delete(old, None)?;
            }
        }
        let condition = expected.map_or(Condition::Absent, Condition::Matches);
        let etag = match self.store.put(&key, body, condition)? {
            Ok(etag) => etag,
            Err(PreconditionFailed) => return Err(StateError::Conflict { location: self.store.location(&key) }),
        };
        self.etags.lock().unwrap_or_else(|e| e.into_inner()).insert(stack.to_string(), Some(etag));
        for part in self.store.list(&self.journal_prefix(stack))? {
            self.store.delete(&part, None)?;
        }
        Ok(written)
    }

    /// Stacks with a checkpoint under the prefix, by name.
    pub fn list(&self) -> Result<Vec<StackSummary>, StateError> {
        let mut out = Vec::new();
        for key in self.store.list(&self.store.prefix)? {
            let name = &key[self.store.prefix.len()..];
            let Some(stack) = name.strip_suffix(".json") else { continue };
            if check_stack_name(stack).is_err() {
                continue;
            }
            let bytes = self.store.get(&key)?.map(|(b, _)| b).unwrap_or_default();
            out.push(summarize(stack, &bytes));
        }
        Ok(out)
    }
}

/// The journal object number in `key`, if `key` is one of `prefix`'s.
fn sequence(prefix: &str, key: &str) -> Option<u64> {
    key.strip_prefix(prefix)?.strip_suffix(".jsonl")?.parse().ok()
}

/// Writes each journal batch as the next numbered object, never replacing one.
struct S3JournalSink {
    store: Arc<Store>,
    prefix: String,
    next: u64,
}

impl JournalSink for S3JournalSink {
    fn append(&mut self, batch: &[u8]) -> std::io::Result<()> {
        if batch.is_empty() {
            // A flush: every earlier object was durable when its PUT returned.
            return Ok(());
        }
        let key = format!("{}{:012}.jsonl", self.prefix, self.next);
        match self.store.put(&key, batch.to_vec(), Condition::Absent) {
            Ok(Ok(_)) => {
                self.next += 1;
                Ok(())
            }
            Ok(Err(PreconditionFailed)) => Err(std::io::Error::other(format!(
                "{} already exists: another run is writing this stack's journal",
                self.store.location(&key)
            ))),
            Err(e) => Err(std::io::Error::other(e.to_string())),
        }
    }
}

/// A held S3 stack lock: renewed in the background every `renew` with a
/// conditional write on its own ETag, so a run on any host sees that its
/// holder lives; deleted (if still ours) when dropped.
#[derive(Debug)]
pub struct S3Lock {
    store: Arc<Store>,
    key: String,
    held: Arc<tokio::sync::Mutex<Held>>,
    renewer: Option<tokio::task::JoinHandle<()>>,
    taken_over: Option<LockHolder>,
}

/// The lock as its holder last wrote it. Each renewal holds the mutex for
/// its whole request, so release never races a renewal in flight.
#[derive(Debug)]
struct Held {
    etag: String,
    record: LockHolder,
    /// A renewal found another run's record: the lock was taken over.
    lost: bool,
    /// Released: renew no more.
    released: bool,
}

/// What watching another run's lock showed.
enum Watched {
    /// Its holder renews it (or renewed it so recently that it is live).
    Live,
    /// It was released while we watched.
    Released,
    /// Its lease ran out with no renewal.
    Expired,
}

impl S3Lock {
    fn acquire(store: Arc<Store>, key: String, stack: &str, command: &str, lease: Lease) -> Result<S3Lock, StateError> {
        let mut me = LockHolder::current(command);
        me.lease_seconds = Some(lease.lease.as_secs());
        me.renew_seconds = Some(lease.renew.as_secs());
        let mut taken_over = None;
        // Three times at most: once more after taking over from a dead or
        // expired holder, or after the holder released between our write and
        // our read.
        for _ in 0..3 {
            me.renewed = Some(chrono::Utc::now().to_rfc3339());
            let body = record(&me)?;
            if let Ok(etag) = store.put(&key, body.clone(), Condition::Absent)? {
                // Read back: an emulator's conditional write may not be atomic;
                // whoever's record is there holds the lock.
                match store.get(&key)? {
                    Some((found, _)) if found == body => {
                        return Ok(S3Lock::hold(store, key, etag, me, lease, taken_over));
                    }
                    Some((found, _)) => return Err(locked(stack, &found)),
                    None => continue,
                }
            }
            let Some((found, etag)) = store.get(&key)? else { continue };
            let Some(holder) = parse_holder(&String::from_utf8_lossy(&found)) else {
                return Err(locked(stack, &found));
            };
            if taken_over.is_some() {
                return Err(locked(stack, &found));
            }
            if holder.host == hostname() && !holder.is_alive_here() {
                // A process of this host that no longer exists: it died
                // holding the lock. Delete exactly that record and retry.
                store.delete(&key, Some(&etag))?;
                taken_over = Some(holder);
                continue;
            }
            match watch(&store, &key, &etag, &holder)? {
                Watched::Live => return Err(locked(stack, &found)),
                Watched::Released => {}
                // Conditional: if it was renewed or replaced meanwhile, the
                // delete fails and the next round meets the new record.
                Watched::Expired => {
                    if store.delete(&key, Some(&etag))? {
                        taken_over = Some(holder);
                    }
                }
            }
        }
        let (found, _) = store.get(&key)?.unwrap_or_default();
        Err(locked(stack, &found))
    }

    fn hold(
        store: Arc<Store>,
        key: String,
        etag: String,
        record: LockHolder,
        lease: Lease,
        taken_over: Option<LockHolder>,
    ) -> S3Lock {
        let held = Arc::new(tokio::sync::Mutex::new(Held { etag, record, lost: false, released: false }));
        let renewer = store.runner.spawn(renew(store.clone(), key.clone(), held.clone(), lease.renew));
        S3Lock { store, key, held, renewer: Some(renewer), taken_over }
    }

    /// The run this lock was taken over from.
    pub fn taken_over(&self) -> Option<&LockHolder> {
        self.taken_over.as_ref()
    }
}

fn record(holder: &LockHolder) -> Result<Vec<u8>, StateError> {
    serde_json::to_vec_pretty(holder).map_err(|e| StateError::Invalid(e.to_string()))
}

/// Renews the lock every `every` until it is released or found lost.
async fn renew(store: Arc<Store>, key: String, held: Arc<tokio::sync::Mutex<Held>>, every: std::time::Duration) {
    loop {
        tokio::time::sleep(every).await;
        let mut held = held.lock().await;
        if held.released {
            return;
        }
        held.record.renewed = Some(chrono::Utc::now().to_rfc3339());
        let Ok(body) = record(&held.record) else { return };
        match store.put_async(&key, body, Condition::Matches(held.etag.clone())).await {
            Ok(Ok(etag)) => held.etag = etag,
            Ok(Err(PreconditionFailed)) => {
                tracing::error!(
                    "the lock {} was taken over by another run: this run no longer holds its stack, and its checkpoint write will be refused",
                    store.location(&key)
                );
                held.lost = true;
                return;
            }
            // A failed renewal is retried at the next tick; the lease
            // (at least twice the interval) covers one miss.
            Err(e) => tracing::warn!("could not renew the lock {}: {e}", store.location(&key)),
        }
    }
}

/// Watches another run's lock whose holder renews it. A record renewed less
/// than two renewal intervals ago (by the holder's clock) is live. An older
/// one is watched, by this host's clock, until its lease would run out —
/// and for at least two renewal intervals, so a holder whose clock lags is
/// seen renewing — and it is live the moment its ETag changes. A record
/// without a lease (an older tapctl) is never expired.
fn watch(store: &Store, key: &str, etag: &str, holder: &LockHolder) -> Result<Watched, StateError> {
    use std::time::{Duration, Instant};
    let Some(lease) = holder.lease_seconds.map(Duration::from_secs) else { return Ok(Watched::Live) };
    let renew = holder.renew_seconds.map(Duration::from_secs).unwrap_or(lease / 4);
    let renewed = holder.renewed.as_deref().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
    let age = renewed
        .map(|t| (chrono::Utc::now() - t.with_timezone(&chrono::Utc)).to_std().unwrap_or_default())
        .unwrap_or(lease);
    if age < renew * 2 {
        return Ok(Watched::Live);
    }
    let wait = lease.saturating_sub(age).max(renew * 2);
    tracing::warn!(
        "{} was last renewed {}s ago; waiting up to {}s for its lease to run out before taking it over",
        store.location(key),
        age.as_secs(),
        wait.as_secs()
    );
    let poll = (renew / 4).clamp(Duration::from_millis(100), Duration::from_secs(2));
    let deadline = Instant::now() + wait;
    while Instant::now() < deadline {
        std::thread::sleep(poll);
        match store.etag(key)? {
            None => return Ok(Watched::Released),
            Some(now) if now != etag => return Ok(Watched::Live),
            Some(_) => {}
        }
    }
    Ok(Watched::Expired)
}

fn locked(stack: &str, record: &[u8]) -> StateError {
    let holder = parse_holder(&String::from_utf8_lossy(record)).unwrap_or_else(LockHolder::starting);
    StateError::Locked { stack: stack.into(), holder: Box::new(holder) }
}

impl Drop for S3Lock {
    fn drop(&mut self) {
        // Taking the mutex waits out a renewal in flight; then none starts.
        let held = self.held.clone();
        let (etag, lost) = self.store.runner.run(async move {
            let mut held = held.lock().await;
            held.released = true;
            (held.etag.clone(), held.lost)
        });
        if let Some(renewer) = self.renewer.take() {
            renewer.abort();
        }
        if lost {
            return;
        }
        match self.store.delete(&self.key, Some(&etag)) {
            Ok(true) => {}
            Ok(false) => tracing::warn!("lock {} was replaced by another run; left alone", self.key),
            Err(e) => tracing::warn!("could not release lock {}: {e}", self.key),
        }
    }
}
