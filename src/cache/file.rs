//! [`FileCache`] is the host-wide backend: one JSON file holding one entry per key (a hash of the
//! API host, key, grant and user, so that two applications or users sharing a file never see each
//! other's token), created 0600, replaced atomically (write, fsync, rename), opened without
//! following symlinks, and guarded by `flock` on a sibling `.lock` file (released by the kernel when
//! a process dies, so a SIGKILL mid-renewal leaves no stuck lock and, thanks to the rename, no torn
//! file).

use super::{CacheLock, TokenCache};
use crate::error::{Error, Result, Status};
use crate::log::log_event;
use crate::token::Token;
use serde_json::{Map, Value};

use std::fs::File;
use std::io::{Read, Write};

use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// The format tag of the cache file.
const CACHE_FORMAT: &str = "tpauth-cache-1";
/// A cache file larger than this is not ours.
const MAX_CACHE_BYTES: u64 = 4 << 20;

/// The host-wide file cache.
pub struct FileCache {
    path: PathBuf,
    lock_path: PathBuf,
}

fn store_err(path: &Path, what: &str, e: &std::io::Error) -> Error {
    let reason = match e.raw_os_error() {
        Some(libc::ELOOP) | Some(libc::EMLINK) => "it is a symbolic link, which the token cache refuses to follow".to_owned(),
        Some(libc::ENOTDIR) => "a component of the path is not a directory".to_owned(),
        Some(libc::EACCES) | Some(libc::EPERM) => "permission denied".to_owned(),
        Some(libc::EROFS) => "read-only file system".to_owned(),
        Some(libc::ENOSPC) => "no space left on device".to_owned(),
        _ => e.to_string(),
    };
    Error::new(Status::Store, format!("token cache {}: cannot {what}: {reason}", path.display()))
}

struct FileLock {
    _file: File,
}
impl CacheLock for FileLock {}

impl FileCache {
    /// A cache at `path`. The file need not exist; its folder must.
    pub fn new(path: &str) -> Result<FileCache> {
        if path.is_empty() {
            return Err(Error::invalid_argument("option token_cache: empty path"));
        }
        let path = PathBuf::from(path);
        if path.file_name().is_none() {
            return Err(Error::invalid_argument(format!("option token_cache: {:?} names a folder, not a file", path.display())));
        }
        let mut lock_name = path.as_os_str().to_owned();
        lock_name.push(".lock");
        Ok(FileCache { lock_path: PathBuf::from(lock_name), path })
    }

    fn open_nofollow(path: &Path, write: bool) -> std::io::Result<File> {
        let mut o = std::fs::OpenOptions::new();
        o.read(true).custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC);
        if write {
            o.write(true).create(true).mode(0o600);
        }
        o.open(path)
    }

    /// Every entry of the file; a missing, corrupt or foreign file reads as empty.
    fn read_entries(&self) -> Result<Map<String, Value>> {
        let mut file = match Self::open_nofollow(&self.path, false) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Map::new()),
            Err(e) => return Err(store_err(&self.path, "open it", &e)),
        };
        let meta = file.metadata().map_err(|e| store_err(&self.path, "stat it", &e))?;
        if !meta.is_file() || meta.len() > MAX_CACHE_BYTES {
            log_event!(Warn, "token cache {}: not a regular tpauth cache file; treating it as empty", self.path.display());
            return Ok(Map::new());
        }
        let mut text = String::new();
        if file.read_to_string(&mut text).is_err() {
            log_event!(Warn, "token cache {}: unreadable content; treating it as empty", self.path.display());
            return Ok(Map::new());
        }
        match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(mut obj)) if obj.get("format").and_then(Value::as_str) == Some(CACHE_FORMAT) => match obj.remove("entries") {
                Some(Value::Object(entries)) => Ok(entries),
                _ => Ok(Map::new()),
            },
            _ => {
                if !text.trim().is_empty() {
                    log_event!(
                        Warn,
                        "token cache {}: corrupt or foreign content; treating it as empty (it will be overwritten)",
                        self.path.display()
                    );
                }
                Ok(Map::new())
            }
        }
    }

    /// Replace the file atomically: a new 0600 file beside it, written, fsynced, renamed over it.
    fn write_entries(&self, entries: Map<String, Value>) -> Result<()> {
        let mut doc = Map::new();
        doc.insert("format".into(), Value::String(CACHE_FORMAT.into()));
        doc.insert("entries".into(), Value::Object(entries));
        let text = Value::Object(doc).to_string();
        let mut tmp_name = self.path.as_os_str().to_owned();
        tmp_name.push(format!(".tmp.{}.{}", std::process::id(), crate::redirect::new_state()));
        let tmp = PathBuf::from(tmp_name);
        let result = (|| {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
                .open(&tmp)
                .map_err(|e| store_err(&self.path, "create a temporary file beside it", &e))?;
            f.write_all(text.as_bytes()).map_err(|e| store_err(&self.path, "write it", &e))?;
            f.sync_all().map_err(|e| store_err(&self.path, "sync it", &e))?;
            std::fs::rename(&tmp, &self.path).map_err(|e| store_err(&self.path, "replace it", &e))?;
            if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
                if let Ok(d) = File::open(dir) {
                    let _ = d.sync_all();
                }
            }
            Ok(())
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }

    fn refuse_symlink(&self) -> Result<()> {
        if let Ok(meta) = std::fs::symlink_metadata(&self.path) {
            if meta.file_type().is_symlink() {
                return Err(Error::new(
                    Status::Store,
                    format!("token cache {}: it is a symbolic link, which the token cache refuses to follow", self.path.display()),
                ));
            }
        }
        Ok(())
    }
}

impl TokenCache for FileCache {
    fn lock(&self, _key: &str) -> Result<Box<dyn CacheLock + '_>> {
        self.refuse_symlink()?;
        let file = Self::open_nofollow(&self.lock_path, true).map_err(|e| store_err(&self.lock_path, "create its lock file", &e))?;
        loop {
            // SAFETY: flock on a file descriptor we own.
            let rc = unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&file), libc::LOCK_EX) };
            if rc == 0 {
                break;
            }
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(store_err(&self.lock_path, "lock it", &e));
            }
        }
        Ok(Box::new(FileLock { _file: file }))
    }

    fn load(&self, key: &str) -> Result<Option<Token>> {
        let entries = self.read_entries()?;
        Ok(entries.get(key).and_then(Value::as_str).and_then(|json| match Token::from_json(json) {
            Ok(t) => Some(t),
            Err(_) => {
                log_event!(Warn, "token cache {}: an unreadable entry; treating it as empty", self.path.display());
                None
            }
        }))
    }

    fn store(&self, key: &str, token: &Token) -> Result<()> {
        let mut entries = self.read_entries()?;
        entries.insert(key.to_owned(), Value::String(token.to_json()));
        self.write_entries(entries)
    }

    fn remove(&self, key: &str) -> Result<()> {
        let mut entries = self.read_entries()?;
        if entries.remove(key).is_some() {
            self.write_entries(entries)?;
        }
        Ok(())
    }

    fn describe(&self) -> String {
        self.path.display().to_string()
    }
}
