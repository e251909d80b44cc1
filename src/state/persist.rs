//! The engine's handle on state during a run: every mutation is applied to the
//! in-memory snapshot and appended to the journal under one lock, so the
//! journal's order is the snapshot's order; callers await durability.

use std::collections::HashSet;
use std::sync::Mutex;

use super::journal::{JournalWriter, Mutation};
use super::secrets::Crypter;
use super::snapshot::Snapshot;
use super::StateError;
use crate::model::Urn;

/// The snapshot plus which URNs have a live and which a condemned record, so
/// that recording a create or a delete does not scan the whole state (which
/// made 10,000-resource runs quadratic). Replacements, rare, take the general
/// path.
#[derive(Debug)]
struct Recorded {
    snapshot: Snapshot,
    live: HashSet<Urn>,
    condemned: HashSet<Urn>,
}

impl Recorded {
    fn new(snapshot: Snapshot) -> Recorded {
        let live = snapshot.live_resources().map(|r| r.urn.clone()).collect();
        let condemned = snapshot.resources.iter().filter(|r| r.delete).map(|r| r.urn.clone()).collect();
        Recorded { snapshot, live, condemned }
    }

    fn apply(&mut self, mutation: &Mutation) {
        let s = &mut self.snapshot;
        match mutation {
            Mutation::Upsert(r) if !self.live.contains(&r.urn) => {
                s.pending.retain(|p| p.resource.urn != r.urn);
                s.resources.push(r.clone());
                self.live.insert(r.urn.clone());
            }
            Mutation::Remove(urn, id) if !self.condemned.contains(urn) => {
                // No condemned record: the one to remove is the live one,
                // found from the end, where a destroy's next victims are.
                s.pending.retain(|p| &p.resource.urn != urn);
                if let Some(pos) = s.resources.iter().rposition(|r| &r.urn == urn && (id.is_none() || r.id == *id)) {
                    s.resources.remove(pos);
                }
                self.live.remove(urn);
            }
            Mutation::Condemn(urn, _) | Mutation::Remove(urn, _) => {
                // A replacement's bookkeeping: rare, so a full look is fine.
                mutation.apply(s);
                let (mut live, mut condemned) = (false, false);
                for r in s.resources.iter().filter(|r| &r.urn == urn) {
                    live |= !r.delete;
                    condemned |= r.delete;
                }
                set(&mut self.live, urn, live);
                set(&mut self.condemned, urn, condemned);
            }
            // Begin, Abandon and updates of a live record change neither set.
            other => other.apply(s),
        }
    }
}

fn set(urns: &mut HashSet<Urn>, urn: &Urn, present: bool) {
    if present {
        urns.insert(urn.clone());
    } else {
        urns.remove(urn);
    }
}

/// Records state mutations durably during a run.
#[derive(Debug)]
pub struct Persister {
    state: Mutex<Recorded>,
    journal: JournalWriter,
    crypter: Option<std::sync::Arc<Crypter>>,
    recorded: std::sync::atomic::AtomicUsize,
}

impl Persister {
    /// Starts recording on top of `snapshot`.
    pub fn new(snapshot: Snapshot, journal: JournalWriter, crypter: Option<Crypter>) -> Persister {
        let crypter = crypter.map(std::sync::Arc::new);
        Persister { state: Mutex::new(Recorded::new(snapshot)), journal, crypter, recorded: Default::default() }
    }

    /// Applies `mutation` and waits until its journal line is on disk.
    pub async fn record(&self, mutation: Mutation) -> Result<(), StateError> {
        self.append(mutation).await
    }

    /// Applies `mutation` and queues its journal line without waiting for the
    /// disk. Lines reach the disk in order, so the line is durable before any
    /// later [`record`](Persister::record) returns and after
    /// [`flush`](Persister::flush). The engine records a step's *result* this
    /// way: a dependent step's own write-ahead `record` then makes it durable
    /// before the dependent touches the cloud, which takes one fsync wait off
    /// every step of the critical path. A crash before that loses only the
    /// result, which recovery finds again from the durable `Begin`.
    pub fn enqueue(&self, mutation: Mutation) {
        // The durability future is dropped: a failed write (or encoding)
        // stops the writer, so the next `record` or `flush` reports it.
        drop(self.append(mutation));
    }

    /// Waits until everything recorded or queued so far is durable.
    pub async fn flush(&self) -> Result<(), StateError> {
        self.journal.flush().await
    }

    fn append(&self, mutation: Mutation) -> impl std::future::Future<Output = Result<(), StateError>> {
        let durable = {
            // One lock for both, so the journal's order is the snapshot's.
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            state.apply(&mutation);
            self.journal.append(mutation, self.crypter.clone())
        };
        self.recorded.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        durable
    }

    /// How many mutations were recorded.
    pub fn recorded(&self) -> usize {
        self.recorded.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A copy of the snapshot as recorded so far.
    pub fn snapshot(&self) -> Snapshot {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).snapshot.clone()
    }

    /// Ends recording and returns the snapshot (the journal is closed).
    pub fn finish(self) -> Snapshot {
        let mut snapshot = self.state.into_inner().unwrap_or_else(|e| e.into_inner()).snapshot;
        snapshot.sort_topologically();
        snapshot
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::snapshot::StateResource;
    use std::sync::Arc;

    fn record(name: &str, id: &str) -> StateResource {
        StateResource {
            urn: Urn::parse(&format!("urn:pulumi:dev::p::aws:ec2/vpc:Vpc::{name}")).unwrap(),
            custom: true,
            delete: false,
            id: Some(id.into()),
            inputs: Default::default(),
            outputs: Default::default(),
            parent: None,
            dependencies: vec![],
            property_dependencies: Default::default(),
            provider: None,
            protect: false,
            retain_on_delete: false,
            ignore_changes: vec![],
            replace_on_changes: vec![],
            custom_timeouts: Default::default(),
            created: None,
            modified: None,
            extra: Default::default(),
        }
    }

    #[test]
    fn the_fast_paths_match_plain_mutations() {
        let (a, b, a2) = (record("a", "vpc-1"), record("b", "vpc-2"), record("a", "vpc-3"));
        let steps = vec![
            Mutation::Upsert(Arc::new(a.clone())),
            Mutation::Upsert(Arc::new(b.clone())),
            Mutation::Upsert(Arc::new(b.clone())),
            Mutation::Condemn(a.urn.clone(), "vpc-1".into()),
            Mutation::Upsert(Arc::new(a2.clone())),
            Mutation::Remove(a.urn.clone(), Some("vpc-1".into())),
            Mutation::Remove(b.urn.clone(), Some("vpc-2".into())),
            Mutation::Upsert(Arc::new(b.clone())),
            Mutation::Remove(a2.urn.clone(), Some("vpc-3".into())),
        ];
        let mut plain = Snapshot::default();
        let mut fast = Recorded::new(Snapshot::default());
        for (i, m) in steps.iter().enumerate() {
            m.apply(&mut plain);
            fast.apply(m);
            assert_eq!(fast.snapshot, plain, "after step {i}");
        }
        assert_eq!(fast.live, HashSet::from([b.urn.clone()]));
        assert!(fast.condemned.is_empty());
    }
}
