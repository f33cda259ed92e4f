//! Token caches shared beyond one process (`token_cache`). The managed token talks to the
//! [`TokenCache`] trait: lock → re-read → renew → write → unlock, so that N processes (or hosts)
//! whose token expired make one token request between them and a rotated refresh token is never
//! lost.
//!
//! The option's value picks the backend: a path or a `file:` URL is a [`FileCache`] (every process
//! on one host); a `redis://` or `rediss://` URL is a [`RedisCache`] (every host of a fleet).

pub mod entry;
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
                crate::url::redact_url(spec)
            )));
        }
    }
    if spec == "default" {
        let path = default_path()?;
        return Ok(Box::new(FileCache::new(path.to_str().unwrap_or_default(), cfg)?));
    }
    let path = if let Some(rest) = spec.strip_prefix("file://") {
        rest
    } else if let Some(rest) = spec.strip_prefix("file:") {
        rest
    } else if lower.contains("://") {
        return Err(Error::invalid_argument(format!(
            "option token_cache: expected a file path, a file: URL or a redis:// URL, got {:?}",
            crate::url::redact_url(spec)
        )));
    } else {
        spec
    };
    Ok(Box::new(FileCache::new(path, cfg)?))
}

/// Where `token_cache=default` puts the file cache, creating its folder (owner-only) if missing:
/// `%LOCALAPPDATA%\tpauth\token-cache.json` on Windows; `$XDG_CACHE_HOME/tpauth/token-cache.json`
/// (else `~/.cache/tpauth/…`) on Unix, the folder created 0700.
pub fn default_path() -> Result<std::path::PathBuf> {
    let env = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(std::path::PathBuf::from);
    #[cfg(windows)]
    let base = env("LOCALAPPDATA");
    #[cfg(not(windows))]
    let base = env("XDG_CACHE_HOME").or_else(|| env("HOME").map(|h| h.join(".cache")));
    let Some(base) = base else {
        return Err(Error::invalid_argument(
            "option token_cache=default: no LOCALAPPDATA (Windows) or XDG_CACHE_HOME/HOME (Unix) to put it in; give a path",
        ));
    };
    let dir = base.join("tpauth");
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(&dir)
        .map_err(|e| Error::new(crate::error::Status::Store, format!("token cache {}: cannot create the folder: {e}", dir.display())))?;
    Ok(dir.join("token-cache.json"))
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

// What mutation testing found unguarded in this file: each test fails when the rule it names is
// taken out (kept apart from other tests of this file, which other work edits).
#[cfg(all(test, feature = "redis"))]
mod rules_mutation_testing_found_unguarded {
    use super::*;

    #[test]
    fn a_redis_or_rediss_url_opens_a_redis_cache_whatever_its_case() {
        let cfg = Config::new("k", "s").unwrap();
        for spec in ["redis://127.0.0.1:9/0", "rediss://127.0.0.1:9/0", "REDIS://127.0.0.1:9/0"] {
            // Opening does not connect: the first lock or load does.
            let cache = open(spec, &cfg).unwrap_or_else(|e| panic!("{spec}: {e}"));
            assert!(cache.describe().to_ascii_lowercase().starts_with("redis"), "{spec}: {}", cache.describe());
        }
    }
}
