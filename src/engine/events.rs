//! What the engine tells its observer (the CLI's progress display, a library
//! user's callback) while it runs.

use std::sync::Arc;
use std::time::Duration;

use crate::model::Urn;
use crate::plan::{PropertyDiff, StepOp};

/// Something that happened during a run.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A step that changes something started.
    StepStarted {
        /// The resource.
        urn: Urn,
        /// What it does.
        op: StepOp,
    },
    /// A step finished successfully (`Same` steps included).
    StepDone {
        /// The resource.
        urn: Urn,
        /// What it did.
        op: StepOp,
        /// How long it took.
        elapsed: Duration,
    },
    /// A step failed.
    StepFailed {
        /// The resource.
        urn: Urn,
        /// The failure, with the cloud's error code.
        error: String,
    },
    /// A step was not attempted.
    StepSkipped {
        /// The resource.
        urn: Urn,
        /// Why.
        reason: String,
    },
    /// Refresh found a resource changed out of band.
    Drift {
        /// The resource.
        urn: Urn,
        /// What differs from the recorded outputs (empty: deleted).
        diffs: Vec<PropertyDiff>,
        /// Whether it no longer exists.
        deleted: bool,
    },
    /// Something worth telling the user.
    Notice(String),
}

/// Receives events; must be cheap (it runs on the engine's task).
pub type EventSink = Arc<dyn Fn(&Event) + Send + Sync>;

/// A sink that drops every event.
pub fn no_events() -> EventSink {
    Arc::new(|_| {})
}
