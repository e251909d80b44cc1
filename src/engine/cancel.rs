//! Two-stage cancellation, as kube-runtime does shutdown: the first request
//! stops new steps and lets in-flight cloud calls finish and be recorded; the
//! second abandons them (the journal still shows them as pending).

use std::sync::Arc;

use tokio::sync::watch;

/// How far cancellation has gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CancelLevel {
    /// Running normally.
    Running,
    /// No new steps; in-flight ones finish.
    Draining,
    /// In-flight steps are abandoned.
    Abort,
}

/// A cancellation handle; clones share state.
#[derive(Debug, Clone)]
pub struct Cancel {
    tx: Arc<watch::Sender<CancelLevel>>,
}

impl Default for Cancel {
    fn default() -> Self {
        Cancel::new()
    }
}

impl Cancel {
    /// A handle at [`CancelLevel::Running`].
    pub fn new() -> Cancel {
        Cancel { tx: Arc::new(watch::channel(CancelLevel::Running).0) }
    }

    /// Moves one stage further; returns the new level.
    pub fn request(&self) -> CancelLevel {
        let mut level = CancelLevel::Running;
        self.tx.send_modify(|l| {
            *l = match *l {
                CancelLevel::Running => CancelLevel::Draining,
                _ => CancelLevel::Abort,
            };
            level = *l;
        });
        level
    }

    /// The current level.
    pub fn level(&self) -> CancelLevel {
        *self.tx.borrow()
    }

    /// Completes once the level reaches `at_least`.
    pub async fn reached(&self, at_least: CancelLevel) {
        let mut rx = self.tx.subscribe();
        let _ = rx.wait_for(|l| *l >= at_least).await;
    }
}
