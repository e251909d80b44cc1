//! The local file backend: `state/<stack>.json` (checkpoint), `.journal`,
//! `.json.bak` (the previous checkpoint) and `.lock`.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::backend::{LockGuard, LockedStack};
use super::checkpoint::{Checkpoint, VersionedCheckpoint, CHECKPOINT_VERSION};
use super::journal::{self, JournalWriter, Replay};
use super::lock::{LockHolder, StackLock};
use super::secrets::Crypter;
use super::snapshot::Snapshot;
use super::StateError;

/// State loaded from disk.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    /// The checkpoint with the journal replayed onto it.
    pub snapshot: Snapshot,
    /// What the journal replay found: non-zero means the last run did not finish cleanly.
    pub replay: Replay,
}

impl Loaded {
    /// A checkpoint with `replay`'s journal applied to it, in order again and
    /// validated when the journal changed it (every backend loads this way).
    pub(crate) fn replayed(mut snapshot: Snapshot, replay: Replay) -> Result<Loaded, StateError> {
        if replay.applied > 0 {
            snapshot.sort_topologically();
            snapshot.validate()?;
        }
        Ok(Loaded { snapshot, replay })
    }
}

/// A stack that has state in this backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackSummary {
    /// Stack name.
    pub name: String,
    /// Resources in its checkpoint.
    pub resource_count: usize,
    /// Last write time (RFC 3339), from the checkpoint's manifest.
    pub last_update: Option<String>,
}

/// State kept in files under one directory.
#[derive(Debug, Clone)]
pub struct LocalBackend {
    dir: PathBuf,
}

impl LocalBackend {
    /// A backend rooted at `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> LocalBackend {
        LocalBackend { dir: dir.into() }
    }

    /// The directory holding the state files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Path of a stack's checkpoint.
    pub fn checkpoint_path(&self, stack: &str) -> PathBuf {
        self.dir.join(format!("{stack}.json"))
    }

    /// Path of a stack's journal.
    pub fn journal_path(&self, stack: &str) -> PathBuf {
        self.dir.join(format!("{stack}.journal"))
    }

    /// Path of a stack's previous checkpoint.
    pub fn backup_path(&self, stack: &str) -> PathBuf {
        self.dir.join(format!("{stack}.json.bak"))
    }

    fn lock_path(&self, stack: &str) -> PathBuf {
        self.dir.join(format!("{stack}.lock"))
    }

    /// Reads a stack's checkpoint and replays its journal. A missing checkpoint
    /// is an empty stack; a damaged one is an error that leaves every file as is.
    pub fn load(&self, stack: &str, crypter: Option<&Crypter>) -> Result<Loaded, StateError> {
        check_stack_name(stack)?;
        let mut snapshot = self.read_checkpoint(stack, crypter)?;
        let replay = journal::replay(&self.journal_path(stack), &mut snapshot, crypter)?;
        Loaded::replayed(snapshot, replay)
    }

    fn read_checkpoint(&self, stack: &str, crypter: Option<&Crypter>) -> Result<Snapshot, StateError> {
        let path = self.checkpoint_path(stack);
        match fs::read(&path) {
            Ok(bytes) => {
                let backup = Some(self.backup_path(stack)).filter(|b| b.exists());
                decode_checkpoint(bytes, stack, crypter, &path, backup.as_deref())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Snapshot::default()),
            Err(e) => Err(StateError::io(&path, e)),
        }
    }

    /// Takes the stack's lock for `command`, or fails naming the holder.
    pub fn lock(&self, stack: &str, command: &str) -> Result<LockedStack, StateError> {
        check_stack_name(stack)?;
        fs::create_dir_all(&self.dir).map_err(|e| StateError::io(&self.dir, e))?;
        let lock = StackLock::acquire(&self.lock_path(stack), stack, command)?;
        Ok(LockedStack::new(stack, LockGuard::File(lock)))
    }

    /// Clears a stale lock (one whose holder is gone); fails if the holder lives.
    pub fn clear_stale_lock(&self, stack: &str) -> Result<Option<LockHolder>, StateError> {
        check_stack_name(stack)?;
        StackLock::clear_stale(&self.lock_path(stack), stack)
    }

    /// Opens the stack's journal for appending.
    pub fn open_journal(&self, locked: &LockedStack) -> Result<JournalWriter, StateError> {
        JournalWriter::open(&self.journal_path(locked.stack()))
    }

    /// Writes `snapshot` as the stack's checkpoint atomically — temp file,
    /// fsync, the previous checkpoint kept as `.bak`, rename, directory fsync —
    /// then empties the journal it supersedes. Returns the bytes written.
    pub fn compact(
        &self,
        locked: &LockedStack,
        snapshot: &Snapshot,
        crypter: Option<&Crypter>,
        encryption_salt: Option<&str>,
    ) -> Result<u64, StateError> {
        let stack = locked.stack();
        let path = self.checkpoint_path(stack);
        fs::create_dir_all(&self.dir).map_err(|e| StateError::io(&self.dir, e))?;
        let mut tmp = tempfile::NamedTempFile::new_in(&self.dir).map_err(|e| StateError::io(&self.dir, e))?;
        // Streamed: a large stack's checkpoint is never held as one buffer.
        let mut out = std::io::BufWriter::new(tmp.as_file_mut());
        encode_checkpoint(stack, snapshot, crypter, encryption_salt, &mut out, &path)?;
        out.flush().map_err(|e| StateError::io(&path, e))?;
        drop(out);
        tmp.as_file().sync_all().map_err(|e| StateError::io(tmp.path(), e))?;
        let written = tmp.as_file().metadata().map_err(|e| StateError::io(tmp.path(), e))?.len();
        if path.exists() {
            // Hard-link then rename: the backup appears atomically and costs O(1).
            let bak = self.backup_path(stack);
            let bak_tmp = self.dir.join(format!(".{stack}.json.bak.tmp"));
            let _ = fs::remove_file(&bak_tmp);
            fs::hard_link(&path, &bak_tmp)
                .or_else(|_| fs::copy(&path, &bak_tmp).map(|_| ()))
                .and_then(|_| fs::rename(&bak_tmp, &bak))
                .map_err(|e| StateError::io(&bak, e))?;
        }
        tmp.persist(&path).map_err(|e| StateError::io(&path, e.error))?;
        sync_dir(&self.dir)?;
        let journal = self.journal_path(stack);
        if journal.exists() {
            let f = fs::OpenOptions::new().write(true).open(&journal).map_err(|e| StateError::io(&journal, e))?;
            f.set_len(0).and_then(|_| f.sync_all()).map_err(|e| StateError::io(&journal, e))?;
        }
        Ok(written)
    }

    /// Deletes a stack's checkpoint, its backup and its journal (the caller
    /// holds its lock; the lock file goes with the lock).
    pub fn remove_stack(&self, stack: &str) -> Result<(), StateError> {
        check_stack_name(stack)?;
        for path in [self.checkpoint_path(stack), self.backup_path(stack), self.journal_path(stack)] {
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(StateError::io(&path, e)),
            }
        }
        Ok(())
    }

    /// Stacks with a checkpoint in this backend, by name.
    pub fn list(&self) -> Result<Vec<StackSummary>, StateError> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(StateError::io(&self.dir, e)),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| StateError::io(&self.dir, e))?;
            let name = entry.file_name().to_string_lossy().to_string();
            let Some(stack) = name.strip_suffix(".json") else { continue };
            if check_stack_name(stack).is_err() || stack.ends_with(".memory-cloud") {
                continue;
            }
            out.push(summarize(stack, &fs::read(entry.path()).unwrap_or_default()));
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }
}

/// Decodes checkpoint file bytes into a validated snapshot. `location` and
/// `backup` name the checkpoint and its previous version (if one exists) in
/// errors.
pub(crate) fn decode_checkpoint(
    bytes: Vec<u8>,
    stack: &str,
    crypter: Option<&Crypter>,
    location: &Path,
    backup: Option<&Path>,
) -> Result<Snapshot, StateError> {
    let corrupt = |detail: String| StateError::Corrupt {
        path: location.to_path_buf(),
        backup: backup.map(Path::to_path_buf),
        detail,
    };
    // The version first, so that another version is reported as such rather
    // than as whatever field it fails to decode; the probe skips the rest
    // without building it.
    #[derive(serde::Deserialize)]
    struct VersionProbe {
        version: Option<serde_json::Value>,
    }
    let probe: VersionProbe = serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
    if probe.version.as_ref().and_then(serde_json::Value::as_u64) != Some(u64::from(CHECKPOINT_VERSION)) {
        return Err(StateError::UnsupportedVersion {
            path: location.to_path_buf(),
            found: probe.version.unwrap_or_default(),
        });
    }
    let cp: VersionedCheckpoint = serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
    drop(bytes);
    if cp.checkpoint.stack != stack {
        return Err(corrupt(format!("it records stack `{}`, not `{stack}`", cp.checkpoint.stack)));
    }
    match cp.checkpoint.latest {
        Some(d) => Snapshot::from_deployment(d, crypter).map_err(|e| match e {
            StateError::Invalid(detail) => corrupt(detail),
            other => other,
        }),
        None => Ok(Snapshot::default()),
    }
}

/// Writes `snapshot` as stack `stack`'s checkpoint to `out`, each record
/// encoded as it is written (validated first: nothing invalid is written).
pub(crate) fn encode_checkpoint(
    stack: &str,
    snapshot: &Snapshot,
    crypter: Option<&Crypter>,
    encryption_salt: Option<&str>,
    out: impl Write,
    location: &Path,
) -> Result<(), StateError> {
    let deployment = snapshot.deployment_view(crypter, encryption_salt)?;
    let cp = VersionedCheckpoint {
        version: CHECKPOINT_VERSION,
        checkpoint: Checkpoint { stack: stack.to_string(), config: None, latest: Some(deployment) },
    };
    serde_json::to_writer_pretty(out, &cp).map_err(|e| StateError::io(location, e.into()))
}

/// A stack summary from checkpoint bytes (unreadable ones count as empty).
pub(crate) fn summarize(stack: &str, bytes: &[u8]) -> StackSummary {
    let latest = serde_json::from_slice::<VersionedCheckpoint>(bytes).ok().and_then(|cp| cp.checkpoint.latest);
    StackSummary {
        name: stack.to_string(),
        resource_count: latest.as_ref().map_or(0, |d| d.resources.len()),
        last_update: latest.map(|d| d.manifest.time),
    }
}

fn sync_dir(dir: &Path) -> Result<(), StateError> {
    fs::File::open(dir).and_then(|d| d.sync_all()).map_err(|e| StateError::io(dir, e))
}

/// Stack names become file names: keep them to a safe alphabet.
pub fn check_stack_name(stack: &str) -> Result<(), StateError> {
    let ok = !stack.is_empty()
        && stack.len() <= 100
        && !stack.starts_with('.')
        && stack.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(StateError::BadStackName(stack.to_string()))
    }
}
