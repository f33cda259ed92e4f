//! Token caches shared beyond one process (`token_cache`). The managed token talks to the
//! [`TokenCache`] trait: lock → re-read → renew → write → unlock, so that N processes (or hosts)
//! whose token expired make one token request between them and a rotated refresh token is never
//! lost.
//!
//! The option's value picks the backend: a path or a `file:` URL is a [`FileCache`] (every process
//! on one host); a `redis://` or `rediss://` URL is a [`RedisCache`] (every host of a fleet).

mod file;
#[cfg(feature = "redis")]
mod redis;

pub use file::FileCache;
#[cfg(feature = "redis")]
pub use redis::RedisCache;

use crate::config::Config;
use crate::error::{Error, Result};

/// Held while a process re-reads, renews and writes; released on drop.
pub trait CacheLock {}

/// A token cache shared by several processes (or hosts).
pub trait TokenCache: Send + Sync {
    /// Take the exclusive lock of `key`, waiting for its holder.
    fn lock(&self, key: &str) -> Result<Box<dyn CacheLock + '_>>;
    /// The entry stored under `key`, if any (unreadable or foreign content is treated as empty).
    fn load(&self, key: &str) -> Result<Option<crate::token::Token>>;
    /// Store `token` under `key` (the caller holds the lock).
    fn store(&self, key: &str, token: &crate::token::Token) -> Result<()>;
    /// Remove the entry under `key` (the caller holds the lock).
    fn remove(&self, key: &str) -> Result<()>;
    /// Where the cache is, for messages (never with a password).
    fn describe(&self) -> String;
}

/// Open the cache the `token_cache` option names: a path or a `file:` URL, or a `redis://` /
/// `rediss://` URL (which also reads `cache_lock_ttl_ms`, `cache_timeout_ms` and `ca_file`).
pub fn open(spec: &str, cfg: &Config) -> Result<Box<dyn TokenCache>> {
    let lower = spec.to_ascii_lowercase();
    if lower.starts_with("redis://") || lower.starts_with("rediss://") {
        #[cfg(feature = "redis")]
        return Ok(Box::new(RedisCache::open(spec, cfg)?));
        #[cfg(not(feature = "redis"))]
        {
            let _ = cfg;
            return Err(Error::invalid_argument(format!(
                "option token_cache: {:?}: this build of tpauth has no Redis support (cargo feature \"redis\")",
                redact(spec)
            )));
        }
    }
    let path = if let Some(rest) = spec.strip_prefix("file://") {
        rest
    } else if let Some(rest) = spec.strip_prefix("file:") {
        rest
    } else if lower.contains("://") {
        return Err(Error::invalid_argument(format!(
            "option token_cache: expected a file path, a file: URL or a redis:// URL, got {:?}",
            redact(spec)
        )));
    } else {
        spec
    };
    Ok(Box::new(FileCache::new(path)?))
}

/// `spec` for messages and `Debug`: [`crate::url::redact_url`] (a URL's user and password become
/// `***`, its query and fragment are dropped; a path is left as it is).
pub(crate) fn redact(spec: &str) -> String {
    crate::url::redact_url(spec)
}

/// The cache key of one identity: a SHA-256 over the API host, key, grant and user, hex. No
/// secret goes into it, and no secret can be recovered from it.
pub(crate) fn cache_key(parts: &[&str]) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for p in parts {
        ctx.update(p.as_bytes());
        ctx.update(b"\n");
    }
    ctx.finish().as_ref().iter().map(|b| format!("{b:02x}")).collect()
}
