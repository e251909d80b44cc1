//! One run per stack at a time: an OS file lock (released by the kernel when
//! the holder dies) plus a record of who holds it. A record left in an
//! unlocked file means the holder died mid-run. When that holder was a
//! process of this host that no longer exists, the kernel's lock and the
//! process table together prove it gone, so the next run takes over (and
//! says so); a holder on another host cannot be checked from here and is
//! reported as a stale lock to clear with `tapctl cancel`.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::StateError;

/// Who holds (or held) a stack's lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockHolder {
    /// Process id.
    pub pid: u32,
    /// Host name.
    pub host: String,
    /// RFC 3339 start time.
    pub started: String,
    /// The command it was running.
    pub command: String,
    /// For a lock its holder renews (the S3 backend's): how long it holds
    /// without renewal, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_seconds: Option<u64>,
    /// How often the holder renews it, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renew_seconds: Option<u64>,
    /// RFC 3339 time of the last renewal, by the holder's clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renewed: Option<String>,
}

impl LockHolder {
    pub(crate) fn current(command: &str) -> LockHolder {
        LockHolder {
            pid: std::process::id(),
            host: hostname(),
            started: chrono::Utc::now().to_rfc3339(),
            command: command.to_string(),
            lease_seconds: None,
            renew_seconds: None,
            renewed: None,
        }
    }

    /// Who holds a lock whose record is not written yet: a run that has
    /// just taken it.
    pub(crate) fn starting() -> LockHolder {
        LockHolder {
            pid: 0,
            host: "unknown".into(),
            started: "just now".into(),
            command: "(starting)".into(),
            lease_seconds: None,
            renew_seconds: None,
            renewed: None,
        }
    }

    /// Whether the holder is this host's process and is still running.
    pub fn is_alive_here(&self) -> bool {
        self.host == hostname() && Path::new(&format!("/proc/{}", self.pid)).exists()
    }
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`tapctl {}` (PID {} on host {}, started {})", self.command, self.pid, self.host, self.started)
    }
}

/// This machine's host name.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown-host".into())
}

/// A held stack lock; released when dropped.
#[derive(Debug)]
pub struct StackLock {
    file: File,
    path: PathBuf,
    taken_over: Option<LockHolder>,
}

impl StackLock {
    /// Takes the lock at `path` for `stack`, or fails naming the holder.
    pub fn acquire(path: &Path, stack: &str, command: &str) -> Result<StackLock, StateError> {
        let mut file = open(path)?;
        try_lock(&file, path, stack)?;
        let previous = read_holder(&mut file, path)?;
        let taken_over = match previous {
            Some(p) if p.host == hostname() && !p.is_alive_here() => Some(p),
            Some(p) => return Err(StateError::StaleLock { stack: stack.into(), holder: Box::new(p) }),
            None => None,
        };
        let me = LockHolder::current(command);
        let body = serde_json::to_vec_pretty(&me).map_err(|e| StateError::Invalid(e.to_string()))?;
        file.set_len(0)
            .and_then(|_| file.write_all(&body))
            .and_then(|_| file.sync_all())
            .map_err(|e| StateError::io(path, e))?;
        Ok(StackLock { file, path: path.to_path_buf(), taken_over })
    }

    /// The run this lock was taken over from: a process of this host that
    /// died holding it.
    pub fn taken_over(&self) -> Option<&LockHolder> {
        self.taken_over.as_ref()
    }

    /// Clears a stale lock at `path`. Fails, naming the holder, if it is held by
    /// a live run. Returns the holder that was cleared, if there was one.
    pub fn clear_stale(path: &Path, stack: &str) -> Result<Option<LockHolder>, StateError> {
        if !path.exists() {
            return Ok(None);
        }
        let mut file = open(path)?;
        try_lock(&file, path, stack)?;
        let previous = read_holder(&mut file, path)?;
        if let Some(holder) = &previous {
            if holder.is_alive_here() {
                // Belt and braces: the kernel lock is free, but the process lives.
                return Err(StateError::Locked { stack: stack.into(), holder: Box::new(holder.clone()) });
            }
        }
        file.set_len(0).and_then(|_| file.sync_all()).map_err(|e| StateError::io(path, e))?;
        Ok(previous)
    }
}

impl Drop for StackLock {
    fn drop(&mut self) {
        // The file itself stays: removing it would let a waiter lock an unlinked
        // inode while a newcomer locks a fresh file.
        if let Err(e) = self.file.set_len(0).and_then(|_| self.file.sync_all()) {
            tracing::warn!("could not clear lock record {}: {e}", self.path.display());
        }
    }
}

fn open(path: &Path) -> Result<File, StateError> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| StateError::io(path, e))
}

fn try_lock(file: &File, path: &Path, stack: &str) -> Result<(), StateError> {
    // A held lock with no record is either a run that took it a moment ago
    // and is writing its record, or one that just released it while a
    // process it forked still shares the file until it execs: both resolve
    // within moments, so look again a few times before calling it locked.
    let mut looked = 0;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(()),
            Err(TryLockError::WouldBlock) => {
                let mut f = File::open(path).map_err(|e| StateError::io(path, e))?;
                match read_holder(&mut f, path)? {
                    Some(holder) => return Err(StateError::Locked { stack: stack.into(), holder: Box::new(holder) }),
                    None if looked < 20 => {
                        looked += 1;
                        std::thread::sleep(std::time::Duration::from_millis(25));
                    }
                    None => {
                        let holder = Box::new(LockHolder::starting());
                        return Err(StateError::Locked { stack: stack.into(), holder });
                    }
                }
            }
            Err(TryLockError::Error(e)) => return Err(StateError::io(path, e)),
        }
    }
}

fn read_holder(file: &mut File, path: &Path) -> Result<Option<LockHolder>, StateError> {
    let mut body = String::new();
    file.seek(SeekFrom::Start(0)).and_then(|_| file.read_to_string(&mut body)).map_err(|e| StateError::io(path, e))?;
    Ok(parse_holder(&body))
}

/// The holder a lock record names (`None` for an empty record; an unreadable
/// one is shown as such rather than failing the caller).
pub(crate) fn parse_holder(body: &str) -> Option<LockHolder> {
    if body.trim().is_empty() {
        return None;
    }
    Some(serde_json::from_str(body).unwrap_or(LockHolder {
        pid: 0,
        host: "unknown".into(),
        started: "unknown".into(),
        command: format!("(unreadable lock record: {})", body.chars().take(60).collect::<String>()),
        lease_seconds: None,
        renew_seconds: None,
        renewed: None,
    }))
}
