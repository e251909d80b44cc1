//! The engine's handle on state during a run: every mutation is applied to the
//! in-memory snapshot and appended to the journal under one lock, so the
//! journal's order is the snapshot's order; callers await durability.

use std::sync::Mutex;

use super::journal::{JournalWriter, Mutation};
use super::secrets::Crypter;
use super::snapshot::Snapshot;
use super::StateError;

/// Records state mutations durably during a run.
#[derive(Debug)]
pub struct Persister {
    snapshot: Mutex<Snapshot>,
    journal: JournalWriter,
    crypter: Option<Crypter>,
    recorded: std::sync::atomic::AtomicUsize,
}

impl Persister {
    /// Starts recording on top of `snapshot`.
    pub fn new(snapshot: Snapshot, journal: JournalWriter, crypter: Option<Crypter>) -> Persister {
        Persister { snapshot: Mutex::new(snapshot), journal, crypter, recorded: Default::default() }
    }

    /// Applies `mutation` and waits until its journal line is on disk.
    pub async fn record(&self, mutation: Mutation) -> Result<(), StateError> {
        let durable = {
            let mut snapshot = self.snapshot.lock().unwrap_or_else(|e| e.into_inner());
            let durable = self.journal.append(&mutation, self.crypter.as_ref())?;
            mutation.apply(&mut snapshot);
            durable
        };
        self.recorded.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        durable.await
    }

    /// How many mutations were recorded.
    pub fn recorded(&self) -> usize {
        self.recorded.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A copy of the snapshot as recorded so far.
    pub fn snapshot(&self) -> Snapshot {
        self.snapshot.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Ends recording and returns the snapshot (the journal is closed).
    pub fn finish(self) -> Snapshot {
        let mut snapshot = self.snapshot.into_inner().unwrap_or_else(|e| e.into_inner());
        snapshot.sort_topologically();
        snapshot
    }
}
