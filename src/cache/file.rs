//! [`FileCache`] is the host-wide backend: one JSON file holding one entry per key (a hash of the
//! API host, key, grant and user, so that two applications or users sharing a file never see each
//! other's token; format in [`super::entry`]), replaced atomically (write, fsync, rename) and
//! guarded by an exclusive lock on a sibling `.lock` file, released by the operating system when a
//! process dies, so a SIGKILL mid-renewal leaves no stuck lock and, thanks to the rename, no torn
//! file.
//!
//! **What the cache trusts.** A token cache is a place where another user could plant a token of
//! their choosing (the key is made from public values) or hang the caller, so every open is checked
//! on the open handle, and anything wrong is a `Store` error that says what is wrong and how to fix
//! it (the file is then left untouched):
//! - the cache file and its lock file must be regular files (a FIFO, a device, a folder or a
//!   symbolic link is refused without blocking), owned by the current (effective) user; the cache
//!   file must give no access to group or others (it holds tokens: mode 0600), the lock file no
//!   write access;
//! - the folder must not be writable by group or others, unless it is sticky (like `/tmp`): then
//!   only the owner of a file can replace it, and the file checks above make sure it is ours. The
//!   folder must be owned by the current user or by root;
//! - a file at the path that is not a tpauth cache (not JSON tagged `tpauth-cache-1`, or over
//!   4 MiB) is never overwritten; a corrupt entry inside a cache is (see [`super::entry`]).
//!
//! On Windows (`windows.rs`) the same rules have their Windows meaning; see that file.
//!
//! **Lock waits are bounded** by the shorter of `timeout_ms` and `cache_lock_ttl_ms`: the lock is
//! polled without blocking (1 ms doubling to 50 ms, jittered). A process still waiting then gets
//! `Timeout` ("another process has held the token cache's lock for N ms"), and makes no token
//! request: a holder alive for that long is renewing (or stuck), and renewing beside it could spend
//! a refresh token it is using, or add to a stampede that the lock exists to prevent.

use super::entry::{self, MAX_CACHE_BYTES};
use super::{CacheKey, CacheLock, TokenCache};
use crate::config::Config;
use crate::error::{Error, Result, Status};
use crate::log::log_event;
use crate::token::{now_ms, Token};
use serde_json::{Map, Value};

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[cfg(unix)]
#[path = "file/unix.rs"]
mod sys;
#[cfg(windows)]
#[path = "file/windows.rs"]
mod sys;

/// The first pause between two attempts to take a held lock; doubled up to [`POLL_MAX`].
const POLL_FIRST: Duration = Duration::from_millis(1);
const POLL_MAX: Duration = Duration::from_millis(50);

/// The host-wide file cache.
pub struct FileCache {
    path: PathBuf,
    lock_path: PathBuf,
    /// The longest wait for the lock: the shorter of `timeout_ms` and `cache_lock_ttl_ms`.
    lock_wait: Duration,
    /// `cache_refresh_ttl_s`, in milliseconds (see [`entry::keep_until_ms`]).
    refresh_ttl_ms: i64,
}

/// A `Store` error about `path`.
fn refuse(path: &Path, why: impl std::fmt::Display) -> Error {
    Error::new(Status::Store, format!("token cache {}: {why}", path.display()))
}

fn store_err(path: &Path, what: &str, e: &std::io::Error) -> Error {
    refuse(path, format_args!("cannot {what}: {}", sys::os_reason(e)))
}

/// A held lock of the file (released by the operating system when the file closes) and the key
/// of the identity it was taken for.
pub(crate) struct FileLock<'a> {
    cache: &'a FileCache,
    key: CacheKey,
    _file: File,
}

impl FileCache {
    /// A cache at `path`, with `cfg`'s `timeout_ms` and `cache_lock_ttl_ms`. The file need not
    /// exist; its folder must.
    pub fn new(path: &str, cfg: &Config) -> Result<FileCache> {
        if path.is_empty() {
            return Err(Error::invalid_argument("option token_cache: empty path"));
        }
        let path = PathBuf::from(path);
        if path.file_name().is_none() {
            return Err(Error::invalid_argument(format!("option token_cache: {:?} names a folder, not a file", path.display())));
        }
        let mut lock_name = path.as_os_str().to_owned();
        lock_name.push(".lock");
        let lock_wait = Duration::from_millis(cfg.timeout_ms.min(cfg.cache_lock_ttl_ms));
        let refresh_ttl_ms = i64::try_from(cfg.cache_refresh_ttl_s.saturating_mul(1000)).unwrap_or(i64::MAX);
        Ok(FileCache { lock_path: PathBuf::from(lock_name), path, lock_wait, refresh_ttl_ms })
    }

    fn folder(&self) -> &Path {
        match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        }
    }

    /// Every entry of the file (none when it does not exist). A file that is not ours, or that
    /// another user could have written, is an error.
    fn read_entries(&self) -> Result<Map<String, Value>> {
        sys::check_folder(self.folder(), &self.path)?;
        let Some(mut file) = sys::open_cache(&self.path)? else { return Ok(Map::new()) };
        let mut bytes = Vec::new();
        (&mut file).take(MAX_CACHE_BYTES + 1).read_to_end(&mut bytes).map_err(|e| store_err(&self.path, "read it", &e))?;
        entry::parse_file(&bytes).map_err(|why| {
            refuse(
                &self.path,
                format_args!("{}; refusing to read or overwrite it: set token_cache to another path, or delete the file", why.0),
            )
        })
    }

    /// Replace the file atomically: a new owner-only file beside it, written, synced, renamed over
    /// it. Entries past their keep time ([`entry::keep_until_ms`]) are dropped on the way, so the
    /// file keeps what a Redis cache would; entries it does not understand are written back as
    /// they were.
    fn write_entries(&self, mut entries: Map<String, Value>) -> Result<()> {
        let now = now_ms();
        entries.retain(|_, v| entry::parse_entry(v, now).map_or(true, |t| self.kept(&t, now)));
        let text = entry::render_file(entries);
        let mut tmp_name = self.path.as_os_str().to_owned();
        tmp_name.push(format!(".tmp.{}.{}", std::process::id(), crate::redirect::new_state()));
        let tmp = PathBuf::from(tmp_name);
        let result = (|| {
            let mut f = sys::create_temp(&tmp).map_err(|e| store_err(&self.path, "create a temporary file beside it", &e))?;
            f.write_all(text.as_bytes()).map_err(|e| store_err(&self.path, "write it", &e))?;
            f.sync_all().map_err(|e| store_err(&self.path, "sync it", &e))?;
            drop(f);
            sys::replace(&tmp, &self.path).map_err(|e| store_err(&self.path, "replace it", &e))?;
            sys::sync_folder(self.folder());
            Ok(())
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }
}

impl FileCache {
    /// Whether `t` is still within its keep time at `now`.
    fn kept(&self, t: &Token, now: i64) -> bool {
        entry::keep_until_ms(t, self.refresh_ttl_ms).is_none_or(|until| until > now)
    }

    /// The token under `key`, if any, readable and within its keep time.
    fn load_key(&self, key: &str) -> Result<Option<Token>> {
        let entries = self.read_entries()?;
        let now = now_ms();
        Ok(entries.get(key).and_then(|v| match entry::parse_entry(v, now) {
            Ok(t) => self.kept(&t, now).then_some(t),
            Err(why) => {
                log_event!(Warn, "token cache {}: a corrupt entry ({why}); treating it as absent", self.path.display());
                None
            }
        }))
    }

    fn remove_key(&self, key: &str) -> Result<()> {
        let mut entries = self.read_entries()?;
        if entries.remove(key).is_some() {
            self.write_entries(entries)?;
        }
        Ok(())
    }

    /// Take the lock of the file (every identity in it), as [`TokenCache::lock`].
    pub(crate) fn lock_file(&self, key: &CacheKey) -> Result<FileLock<'_>> {
        sys::check_folder(self.folder(), &self.path)?;
        let file = sys::open_lock(&self.lock_path)?;
        let start = Instant::now();
        let mut pause = POLL_FIRST;
        let mut logged = false;
        loop {
            match sys::try_lock(&file) {
                Ok(true) => break,
                Ok(false) => {}
                Err(e) => return Err(store_err(&self.lock_path, "lock it", &e)),
            }
            let waited = start.elapsed();
            if waited >= self.lock_wait {
                return Err(Error::new(
                    Status::Timeout,
                    format!(
                        "token cache {}: another process has held its lock ({}) for {} ms, the limit (the shorter of timeout_ms and cache_lock_ttl_ms); \
                         no token was requested. If no tpauth process is renewing, one is stuck holding it: find it with `fuser {}`",
                        self.path.display(),
                        self.lock_path.display(),
                        waited.as_millis(),
                        self.lock_path.display()
                    ),
                ));
            }
            if !logged {
                log_event!(Debug, "token cache {}: another process holds the lock (renewing); waiting for it", self.path.display());
                logged = true;
            }
            // Jitter (0-25 %) so that waiters do not poll in step.
            let jitter = pause.mul_f64(f64::from(start.elapsed().subsec_nanos() % 256) / 1024.0);
            std::thread::sleep((pause + jitter).min(self.lock_wait.saturating_sub(waited)));
            pause = (pause * 2).min(POLL_MAX);
        }
        Ok(FileLock { cache: self, key: key.clone(), _file: file })
    }
}

impl TokenCache for FileCache {
    fn lock(&self, key: &CacheKey) -> Result<Box<dyn CacheLock + '_>> {
        Ok(Box::new(self.lock_file(key)?))
    }

    fn describe(&self) -> String {
        self.path.display().to_string()
    }
}

impl CacheLock for FileLock<'_> {
    fn load(&mut self) -> Result<Option<Token>> {
        self.cache.load_key(&self.key.current)
    }

    fn store(&mut self, token: &Token) -> Result<Option<Token>> {
        // The lock is the operating system's and dies only with its holder: no other writer can
        // have come in between, so there is nothing to fence.
        let mut entries = self.cache.read_entries()?;
        entries.remove(&failure_key(&self.key));
        entries.insert(self.key.current.clone(), Value::String(token.to_json()));
        self.cache.write_entries(entries)?;
        Ok(None)
    }

    fn forget(&mut self, refresh_token: &str) -> Result<()> {
        if self.load()?.is_some_and(|t| t.refresh_token() == Some(refresh_token)) {
            self.cache.remove_key(&self.key.current)?;
        }
        Ok(())
    }

    fn load_legacy(&mut self) -> Result<Option<Token>> {
        self.cache.load_key(&self.key.legacy)
    }

    fn remove_legacy(&mut self) -> Result<()> {
        self.cache.remove_key(&self.key.legacy)
    }

    fn record_failure(&mut self, error: &Error) -> Result<()> {
        let mut entries = self.cache.read_entries()?;
        entries.insert(failure_key(&self.key), Value::String(entry::render_failure(error, now_ms())));
        self.cache.write_entries(entries)
    }

    fn failure_since(&mut self, since_ms: i64) -> Result<Option<Error>> {
        let entries = self.cache.read_entries()?;
        Ok(entries
            .get(&failure_key(&self.key))
            .and_then(Value::as_str)
            .and_then(entry::parse_failure)
            .filter(|(at, _)| *at >= since_ms)
            .map(|(_, e)| e))
    }
}

/// Where the file keeps the failure record of an identity.
fn failure_key(key: &CacheKey) -> String {
    format!("{}:failure", key.current)
}
