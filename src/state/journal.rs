//! The append-only journal: one JSON line per state mutation, fsync'd before
//! the engine treats the step as recorded, so that persisting a step costs
//! O(size of that resource) instead of O(size of the state).
//!
//! Every entry is an absolute mutation (set this record, remove that one), so
//! replaying a journal onto a checkpoint that already contains some of its
//! entries — a crash between compaction's rename and its truncation — gives
//! the same snapshot.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc};

use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use super::checkpoint::ResourceV3;
use super::secrets::Crypter;
use super::snapshot::{Pending, PendingKind, Snapshot, StateResource};
use super::StateError;
use crate::model::Urn;

/// A state mutation in the engine's decoded form.
#[derive(Debug, Clone, PartialEq)]
pub enum Mutation {
    /// An operation is about to start (write-ahead).
    Begin(PendingKind, Box<StateResource>),
    /// Set the live record for the resource's URN (shared with whoever made
    /// it, so recording a result copies nothing).
    Upsert(Arc<StateResource>),
    /// Mark the live record `urn`/`id` as the old half of a replacement.
    Condemn(Urn, String),
    /// Drop the record `urn`/`id` (a condemned record first, if both exist).
    Remove(Urn, Option<String>),
    /// An operation failed without changing anything: drop its pending entry.
    Abandon(Urn),
}

impl Mutation {
    /// Applies the mutation to a snapshot.
    pub fn apply(&self, s: &mut Snapshot) {
        match self {
            Mutation::Begin(kind, resource) => {
                s.pending.retain(|p| p.resource.urn != resource.urn);
                s.pending.push(Pending { kind: *kind, resource: resource.as_ref().clone(), extra: Default::default() });
            }
            Mutation::Upsert(resource) => {
                s.pending.retain(|p| p.resource.urn != resource.urn);
                // From the end: a run mostly touches what it recorded last.
                match s.resources.iter_mut().rev().find(|r| r.urn == resource.urn && !r.delete) {
                    Some(slot) => *slot = resource.clone(),
                    None => s.resources.push(resource.clone()),
                }
            }
            Mutation::Condemn(urn, id) => {
                if let Some(r) =
                    s.resources.iter_mut().find(|r| &r.urn == urn && !r.delete && r.id.as_ref() == Some(id))
                {
                    Arc::make_mut(r).delete = true;
                }
            }
            Mutation::Remove(urn, id) => {
                s.pending.retain(|p| &p.resource.urn != urn);
                let matches = |r: &StateResource| &r.urn == urn && (id.is_none() || r.id == *id);
                // From the end: deletes run dependents first, and state records
                // dependents after what they depend on.
                let pos = s
                    .resources
                    .iter()
                    .rposition(|r| matches(r) && r.delete)
                    .or_else(|| s.resources.iter().rposition(|r| matches(r)));
                if let Some(pos) = pos {
                    s.resources.remove(pos);
                }
            }
            Mutation::Abandon(urn) => s.pending.retain(|p| &p.resource.urn != urn),
        }
    }

    fn encode(&self, crypter: Option<&Crypter>) -> Result<Entry, StateError> {
        Ok(match self {
            Mutation::Begin(kind, r) => {
                Entry::Begin { op: kind.as_str().into(), resource: Box::new(r.to_v3(crypter)?) }
            }
            Mutation::Upsert(r) => Entry::Upsert { resource: Box::new(r.to_v3(crypter)?) },
            Mutation::Condemn(urn, id) => Entry::Condemn { urn: urn.to_string(), id: Some(id.clone()) },
            Mutation::Remove(urn, id) => Entry::Remove { urn: urn.to_string(), id: id.clone() },
            Mutation::Abandon(urn) => Entry::Abandon { urn: urn.to_string() },
        })
    }

    fn decode(e: &Entry, crypter: Option<&Crypter>) -> Result<Mutation, StateError> {
        let urn = |s: &str| Urn::parse(s).map_err(|e| StateError::Invalid(e.to_string()));
        Ok(match e {
            Entry::Begin { op, resource } => {
                let kind = match op.as_str() {
                    "creating" => PendingKind::Creating,
                    "updating" => PendingKind::Updating,
                    "deleting" => PendingKind::Deleting,
                    other => return Err(StateError::Invalid(format!("unknown journal operation `{other}`"))),
                };
                Mutation::Begin(kind, Box::new(StateResource::from_v3(resource, crypter)?))
            }
            Entry::Upsert { resource } => Mutation::Upsert(Arc::new(StateResource::from_v3(resource, crypter)?)),
            Entry::Condemn { urn: u, id } => Mutation::Condemn(urn(u)?, id.clone().unwrap_or_default()),
            Entry::Remove { urn: u, id } => Mutation::Remove(urn(u)?, id.clone()),
            Entry::Abandon { urn: u } => Mutation::Abandon(urn(u)?),
        })
    }
}

/// The wire form of a journal line.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
enum Entry {
    Begin { op: String, resource: Box<ResourceV3> },
    Upsert { resource: Box<ResourceV3> },
    Condemn { urn: String, id: Option<String> },
    Remove { urn: String, id: Option<String> },
    Abandon { urn: String },
}

/// The outcome of replaying a journal.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Replay {
    /// Entries applied.
    pub applied: usize,
    /// Whether the last line was cut off mid-write (and so ignored).
    pub torn_tail: bool,
}

/// Replays the journal at `path` (absent = empty) onto `snapshot`.
///
/// A final line without its newline was being written when the process died;
/// its step was never reported done, so it is dropped. Any other unreadable
/// line means the file was damaged and is an error.
pub fn replay(path: &Path, snapshot: &mut Snapshot, crypter: Option<&Crypter>) -> Result<Replay, StateError> {
    match File::open(path) {
        Ok(f) => replay_from(BufReader::new(f), path, snapshot, crypter),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Replay::default()),
        Err(e) => Err(StateError::io(path, e)),
    }
}

/// [`replay`] over journal lines from any reader; `location` names them in errors.
pub fn replay_from(
    mut reader: impl BufRead,
    location: &Path,
    snapshot: &mut Snapshot,
    crypter: Option<&Crypter>,
) -> Result<Replay, StateError> {
    let mut out = Replay::default();
    let mut line = String::new();
    let mut number = 0;
    loop {
        line.clear();
        let n = reader.read_line(&mut line).map_err(|e| StateError::io(location, e))?;
        if n == 0 {
            break;
        }
        number += 1;
        let complete = line.ends_with('\n');
        if line.trim().is_empty() {
            continue;
        }
        if !complete {
            // Written in one call with its newline, so a line without one was torn
            // by a crash, and its step was never acknowledged.
            out.torn_tail = true;
            break;
        }
        let damaged = |detail: String| StateError::Journal { path: location.to_path_buf(), line: number, detail };
        let entry: Entry = serde_json::from_str(line.trim_end()).map_err(|e| damaged(e.to_string()))?;
        let mutation = Mutation::decode(&entry, crypter).map_err(|e| damaged(e.to_string()))?;
        mutation.apply(snapshot);
        out.applied += 1;
    }
    Ok(out)
}

/// Where journal batches go: each `append` must be durable when it returns.
pub trait JournalSink: Send + 'static {
    /// Appends `batch` (whole lines; empty for a flush) durably.
    fn append(&mut self, batch: &[u8]) -> std::io::Result<()>;
}

/// A journal file: append, then `fdatasync`.
struct FileSink(File);

impl JournalSink for FileSink {
    fn append(&mut self, batch: &[u8]) -> std::io::Result<()> {
        self.0.write_all(batch)?;
        self.0.sync_data()
    }
}

type Ack = oneshot::Sender<std::io::Result<()>>;

/// What the writer thread is sent: a mutation to encode and append (with the
/// crypter for its secrets), or a flush marker.
enum Queued {
    Mutation(Mutation, Option<Arc<Crypter>>),
    Flush,
}

/// Appends journal lines with group commit: a background thread encodes and
/// writes every mutation queued since its last flush, then one `fdatasync`
/// covers them all. Encoding there keeps the JSON work off the engine's
/// thread. Each caller waits until its own line is durable.
#[derive(Debug)]
pub struct JournalWriter {
    tx: Option<mpsc::Sender<(Queued, Ack)>>,
    thread: Option<std::thread::JoinHandle<()>>,
    path: PathBuf,
}

impl JournalWriter {
    /// Opens (creating if needed) the journal at `path` for appending.
    pub fn open(path: &Path) -> Result<JournalWriter, StateError> {
        let file = OpenOptions::new().create(true).append(true).open(path).map_err(|e| StateError::io(path, e))?;
        JournalWriter::with_sink(Box::new(FileSink(file)), path)
    }

    /// A writer appending to `sink`; `location` names it in errors.
    pub fn with_sink(mut sink: Box<dyn JournalSink>, location: &Path) -> Result<JournalWriter, StateError> {
        let path = location;
        let (tx, rx) = mpsc::channel::<(Queued, Ack)>();
        let thread = std::thread::Builder::new()
            .name("tapctl-journal".into())
            .spawn(move || {
                // After a failed write or fsync nothing more is written and
                // every later caller is told: the kernel may have dropped the
                // failed pages, so a later fsync succeeding proves nothing
                // about them, and appends are only durable in order.
                let mut failed: Option<(std::io::ErrorKind, String)> = None;
                while let Ok(first) = rx.recv() {
                    let mut batch = vec![first];
                    batch.extend(rx.try_iter());
                    if failed.is_none() {
                        let mut buf = Vec::new();
                        let encoded = batch.iter().try_for_each(|(queued, _)| match queued {
                            Queued::Mutation(m, crypter) => encode_line(m, crypter.as_deref(), &mut buf),
                            Queued::Flush => Ok(()),
                        });
                        if let Err(e) = encoded.and_then(|()| sink.append(&buf)) {
                            failed = Some((e.kind(), e.to_string()));
                        }
                    }
                    for (_, ack) in batch {
                        let r = match &failed {
                            None => Ok(()),
                            Some((kind, msg)) => Err(std::io::Error::new(*kind, msg.clone())),
                        };
                        let _ = ack.send(r);
                    }
                }
            })
            .map_err(|e| StateError::io(path, e))?;
        Ok(JournalWriter { tx: Some(tx), thread: Some(thread), path: path.to_path_buf() })
    }

    /// Queues `mutation` to be encoded (secrets encrypted with `crypter`) and
    /// appended; returns a future that completes once it is durable. Lines
    /// are written in call order, so a line being durable means every line
    /// queued before it is too; a caller may drop the future and rely on a
    /// later line (or [`flush`]).
    ///
    /// [`flush`]: JournalWriter::flush
    pub fn append(
        &self,
        mutation: Mutation,
        crypter: Option<Arc<Crypter>>,
    ) -> impl std::future::Future<Output = Result<(), StateError>> {
        self.queue(Queued::Mutation(mutation, crypter))
    }

    /// Waits until every line queued so far is durable (or reports the
    /// failure that stopped the writer).
    pub fn flush(&self) -> impl std::future::Future<Output = Result<(), StateError>> {
        self.queue(Queued::Flush)
    }

    fn queue(&self, queued: Queued) -> impl std::future::Future<Output = Result<(), StateError>> {
        let (ack_tx, ack_rx) = oneshot::channel();
        let path = self.path.clone();
        let sent = self.tx.as_ref().map(|tx| tx.send((queued, ack_tx)).is_ok()).unwrap_or(false);
        async move {
            if !sent {
                return Err(StateError::io(&path, std::io::Error::other("journal writer stopped")));
            }
            match ack_rx.await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(StateError::io(&path, e)),
                Err(_) => Err(StateError::io(&path, std::io::Error::other("journal writer stopped"))),
            }
        }
    }
}

/// Appends `m`'s journal line (JSON and a newline) to `buf`.
fn encode_line(m: &Mutation, crypter: Option<&Crypter>, buf: &mut Vec<u8>) -> std::io::Result<()> {
    let entry = m.encode(crypter).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))?;
    serde_json::to_writer(&mut *buf, &entry)?;
    buf.push(b'\n');
    Ok(())
}

impl Drop for JournalWriter {
    fn drop(&mut self) {
        self.tx.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
