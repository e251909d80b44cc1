//! State: the Pulumi-compatible checkpoint, its journal, locking, secrets and
//! the backends that keep them (local files, S3).
//!
//! Invariant: no snapshot that fails [`Snapshot::validate`] is ever written, a
//! damaged file is refused and never overwritten, and no secret reaches disk in
//! plaintext.

pub mod backend;
pub mod checkpoint;
pub mod encoding;
pub mod import;
pub mod journal;
pub mod local;
pub mod lock;
pub mod persist;
#[cfg(feature = "aws")]
pub mod s3;
pub mod secrets;
pub mod snapshot;

use std::path::{Path, PathBuf};

pub use backend::{Backend, BackendUrl, Lease, LockedStack};
pub use checkpoint::{Deployment, UntypedDeployment, VersionedCheckpoint, CHECKPOINT_VERSION};
pub use journal::{JournalWriter, Mutation, Replay};
pub use local::{Loaded, LocalBackend, StackSummary};
pub use lock::LockHolder;
pub use persist::Persister;
pub use secrets::{Crypter, SecretsError};
pub use snapshot::{Pending, PendingKind, Snapshot, StateResource};

/// Everything that can go wrong reading or writing state.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A checkpoint that does not parse or breaks an integrity rule.
    #[error("state file {} is damaged ({detail}); it has not been modified. {}", path.display(), fallback_advice(backup.as_deref()))]
    Corrupt {
        /// The damaged file.
        path: PathBuf,
        /// Where the previous checkpoint is kept, when there is one (the
        /// first compaction has none to keep).
        backup: Option<PathBuf>,
        /// What is wrong.
        detail: String,
    },
    /// A checkpoint of a version tapctl does not read.
    #[error("state file {} has version {found}, but tapctl reads version 3 checkpoints only; upgrade it with a newer Pulumi or tapctl", path.display())]
    UnsupportedVersion {
        /// The file.
        path: PathBuf,
        /// The version found.
        found: serde_json::Value,
    },
    /// A journal line that is not the torn tail of a crashed write.
    #[error("journal {} line {line} is unreadable ({detail}); the checkpoint is untouched — move the journal aside to discard the interrupted run's records", path.display())]
    Journal {
        /// The journal.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        detail: String,
    },
    /// Decoded state that breaks an integrity rule.
    #[error("invalid state: {0}")]
    Invalid(String),
    /// State holds secrets and no passphrase was given.
    #[error("this stack's state holds secrets: set TAPCTL_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE) to its passphrase")]
    SecretsNeedPassphrase,
    /// Encryption failure.
    #[error(transparent)]
    Secrets(#[from] SecretsError),
    /// Another run holds the stack's lock.
    #[error("stack `{stack}` is locked by {holder}; wait for it to finish, or stop it and run `tapctl cancel`")]
    Locked {
        /// The stack.
        stack: String,
        /// Who holds it.
        holder: Box<LockHolder>,
    },
    /// A previous run died holding the lock.
    #[error("stack `{stack}` has a stale lock from {holder}, which is no longer running; its run was interrupted. Run `tapctl cancel` to clear the lock, then run again (the journal of the interrupted run is recovered)")]
    StaleLock {
        /// The stack.
        stack: String,
        /// Who held it.
        holder: Box<LockHolder>,
    },
    /// A backend URL tapctl cannot use.
    #[error("backend `{url}` is not usable: {why}")]
    BadBackend {
        /// The URL as given.
        url: String,
        /// What is wrong, and what to write instead.
        why: String,
    },
    /// A request to a remote state store failed.
    #[error("state store {location}: {detail}")]
    Store {
        /// The object or bucket.
        location: String,
        /// What the store said, and what to do about it.
        detail: String,
    },
    /// Another writer changed the checkpoint since this run read it.
    #[error("checkpoint {location} was changed by another writer since this run read it; nothing was overwritten. Check who else runs this stack (locks may have been cleared by hand), then run again")]
    Conflict {
        /// The checkpoint object.
        location: String,
    },
    /// A stack name that cannot be a file name.
    #[error("`{0}` is not a valid stack name: use letters, digits, `-`, `_` and `.` (at most 100 characters)")]
    BadStackName(String),
}

/// What to do about a damaged checkpoint, given what there is to fall back on.
fn fallback_advice(backup: Option<&Path>) -> String {
    match backup {
        Some(b) => format!(
            "The previous checkpoint is kept at {}: inspect both, then copy the good one into place",
            b.display()
        ),
        None => "There is no previous checkpoint to fall back on (one is kept from the second update on): restore the file from your own backup, or import an export of the stack with `tapctl stack import FILE`".to_string(),
    }
}

impl StateError {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: &Path, source: std::io::Error) -> StateError {
        StateError::Io { path: path.to_path_buf(), source }
    }
}
