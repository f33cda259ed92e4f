//! Token caches shared beyond one process (`token_cache`). The managed token talks to the
//! [`TokenCache`] trait: lock → re-read → renew → write → unlock, all through the [`CacheLock`] the
//! lock returns, so that N processes (or hosts) whose token expired make one token request between
//! them, a rotated refresh token is never lost, and a failed renewal is answered to those that
//! waited for it rather than repeated.
//!
//! The option's value picks the backend: a path or a `file:` URL is a [`FileCache`] (every process
//! on one host); a Redis URL (`redis://`, `rediss://`, `redis+cluster://`, `redis+sentinel://`…) is
//! a [`RedisCache`] (every host of a fleet). The rules both follow (which entries they keep, the
//! key bound to the secret, the move of the previous layout's entries) are in docs/caches.md.

pub mod entry;
mod file;
#[cfg(feature = "redis")]
mod redis;

pub use file::FileCache;
#[cfg(feature = "redis")]
pub use redis::RedisCache;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::token::Token;

/// The names of one identity in a cache: the current one, bound to the secret, and the one the
/// previous release used (no secret in it), whose entry is read once and moved (see
/// `auth/renewal.rs`: it is never served, only its refresh token is tried).
#[derive(Clone)]
pub struct CacheKey {
    pub(crate) current: String,
    pub(crate) legacy: String,
}

/// The exclusive lock of one identity's entry, and what its holder may do with the entry: read,
/// renew, write, release (on drop). Only the holder reads or writes.
pub trait CacheLock {
    /// The entry, if any (unreadable, corrupt or foreign content reads as none).
    fn load(&mut self) -> Result<Option<Token>>;
    /// Store `token`. `Ok(None)`: stored (or the cache is unavailable). `Ok(Some(newer))`: another
    /// holder stored a newer entry since `load` (its lock had expired under this one, or a
    /// failover dropped it): nothing was written and the caller adopts `newer`.
    fn store(&mut self, token: &Token) -> Result<Option<Token>>;
    /// The entry no longer holds `refresh_token` (it was revoked).
    fn forget(&mut self, refresh_token: &str) -> Result<()>;
    /// The entry the previous release wrote under the legacy key, if any. Never to be served:
    /// it is not bound to the secret.
    fn load_legacy(&mut self) -> Result<Option<Token>>;
    /// Remove the legacy entry (moved, or its refresh token refused).
    fn remove_legacy(&mut self) -> Result<()>;
    /// Share the error of this holder's renewal with the processes waiting for the lock, so that
    /// they answer it instead of repeating the token request (a stampede during an outage or a
    /// 429). The next successful store clears it.
    fn record_failure(&mut self, error: &Error) -> Result<()>;
    /// The error of a renewal that failed at or after `since_ms` (unix ms), if any: the renewal
    /// the caller waited for.
    fn failure_since(&mut self, since_ms: i64) -> Result<Option<Error>>;
}

/// What [`TokenCache::lock_or_use`] got: the lock, or a usable token another process stored
/// while this one waited.
pub enum Locked<'a> {
    Held(Box<dyn CacheLock + 'a>),
    Stored(Token),
}

/// A token cache shared by several processes (or hosts).
pub trait TokenCache: Send + Sync {
    /// Take the exclusive lock of `key`, waiting for its holder at most the shorter of
    /// `timeout_ms` and `cache_lock_ttl_ms` (then `Timeout`, and no token request).
    fn lock(&self, key: &CacheKey) -> Result<Box<dyn CacheLock + '_>>;
    /// As [`TokenCache::lock`], but while another holds the lock, a token in the entry that
    /// `usable` accepts (the holder's renewal, just stored) is returned at once: many waiters then
    /// do not pass through the lock one after another only to read it.
    fn lock_or_use(&self, key: &CacheKey, usable: &dyn Fn(&Token) -> bool) -> Result<Locked<'_>> {
        let _ = usable;
        Ok(Locked::Held(self.lock(key)?))
    }
    /// Where the cache is, for messages (never with a password).
    fn describe(&self) -> String;
    /// Whether the cache is usable now, for health reports (`tpauth serve`'s `tpauth_cache_up`):
    /// a cache that cannot reach its server (Redis) is down, and the client goes on without it.
    fn is_up(&self) -> bool {
        true
    }
}

/// Open the cache the `token_cache` option names: a path or a `file:` URL, or a Redis URL
/// (`redis://`, `rediss://`, `redis+cluster://`, `redis+sentinel://` and their TLS forms).
pub fn open(spec: &str, cfg: &Config) -> Result<Box<dyn TokenCache>> {
    let lower = spec.to_ascii_lowercase();
    if lower.starts_with("redis") && lower.contains("://") {
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

/// The cache key of one identity: a SHA-256 over the parts (each followed by a newline), hex. No
/// secret can be recovered from it.
pub(crate) fn cache_key(parts: &[&str]) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for p in parts {
        ctx.update(p.as_bytes());
        ctx.update(b"\n");
    }
    hex(ctx.finish().as_ref())
}

/// The names of the identity of `api_base_url`, `api_key`, `grant` and `user`, whose entries only
/// a holder of the secret finds: the current key also covers `HMAC-SHA256(api_secret, password or
/// "")`. A process with the right API key but a wrong secret or password thus never reads the
/// owner's tokens (it would get `invalid_client` without the cache), and nobody without the secret
/// can plant a token the owner would use. The HMAC hides the secret; the key is public.
pub(crate) fn identity_keys(api_base_url: &str, api_key: &str, grant: &str, user: &str, api_secret: &str, password: &str) -> CacheKey {
    let hmac_key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, api_secret.as_bytes());
    let binding = hex(ring::hmac::sign(&hmac_key, password.as_bytes()).as_ref());
    CacheKey {
        current: cache_key(&[api_base_url, api_key, grant, user, &binding]),
        legacy: cache_key(&[api_base_url, api_key, grant, user]),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where a Redis cache falls back to while Redis is unreachable (`cache_fallback_file` unset): a
/// file in a folder of the user's own under the runtime folder: `$XDG_RUNTIME_DIR/tpauth/`
/// (systemd's per-user tmpfs, 0700), else `$TMPDIR/tpauth-<uid>/` created 0700 (the file
/// cache's checks refuse it if another user made it first); `%LOCALAPPDATA%\tpauth\` on Windows.
#[cfg(feature = "redis")]
pub(crate) fn default_fallback_path() -> Result<std::path::PathBuf> {
    let Some(dir) = fallback_dir(|name| std::env::var_os(name)) else {
        return Err(Error::invalid_argument("option cache_fallback_file: no LOCALAPPDATA to put it in; give a path, or none"));
    };
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(&dir).map_err(|e| {
        Error::new(crate::error::Status::Store, format!("cache_fallback_file: cannot create the folder {}: {e}", dir.display()))
    })?;
    Ok(dir.join("redis-fallback.json"))
}

/// The folder of [`default_fallback_path`], from the environment `env` reads. A variable set but
/// empty counts as unset: an empty `XDG_RUNTIME_DIR` must not make the path relative to the
/// working directory.
#[cfg(all(feature = "redis", not(windows)))]
fn fallback_dir(env: impl Fn(&str) -> Option<std::ffi::OsString>) -> Option<std::path::PathBuf> {
    let runtime = env("XDG_RUNTIME_DIR").filter(|v| !v.is_empty());
    Some(runtime.map(|b| std::path::PathBuf::from(b).join("tpauth")).unwrap_or_else(|| {
        // SAFETY: geteuid has no preconditions and cannot fail.
        let uid = unsafe { libc::geteuid() };
        std::env::temp_dir().join(format!("tpauth-{uid}"))
    }))
}

#[cfg(all(feature = "redis", windows))]
fn fallback_dir(env: impl Fn(&str) -> Option<std::ffi::OsString>) -> Option<std::path::PathBuf> {
    let local = env("LOCALAPPDATA").filter(|v| !v.is_empty());
    local.map(|b| std::path::PathBuf::from(b).join("tpauth"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(all(feature = "redis", not(windows)))]
    #[test]
    fn the_fallback_folder_is_the_runtime_folder_and_an_empty_one_counts_as_unset() {
        let with = |value: &'static str| move |name: &str| (name == "XDG_RUNTIME_DIR").then(|| value.into());
        assert_eq!(fallback_dir(with("/run/user/1000")), Some("/run/user/1000/tpauth".into()));
        // SAFETY: geteuid has no preconditions and cannot fail.
        let own = std::env::temp_dir().join(format!("tpauth-{}", unsafe { libc::geteuid() }));
        assert_eq!(fallback_dir(with("")), Some(own.clone()));
        assert_eq!(fallback_dir(|_: &str| None), Some(own));
    }

    #[cfg(all(feature = "redis", windows))]
    #[test]
    fn the_fallback_folder_is_local_app_data_and_an_empty_one_counts_as_unset() {
        let with = |value: &'static str| move |name: &str| (name == "LOCALAPPDATA").then(|| value.into());
        assert_eq!(fallback_dir(with(r"C:\Users\u\AppData\Local")), Some(r"C:\Users\u\AppData\Local\tpauth".into()));
        assert_eq!(fallback_dir(with("")), None);
    }

    #[test]
    fn the_secret_and_password_bind_the_key_and_the_legacy_key_does_not_move() {
        let k = identity_keys("https://api", "key", "Password", "u", "secret", "pw");
        // The previous release's key, unchanged: sha256 of the four parts.
        assert_eq!(k.legacy, cache_key(&["https://api", "key", "Password", "u"]));
        assert_ne!(k.current, k.legacy);
        assert_ne!(k.current, identity_keys("https://api", "key", "Password", "u", "secret2", "pw").current);
        assert_ne!(k.current, identity_keys("https://api", "key", "Password", "u", "secret", "pw2").current);
        assert_eq!(k.current, identity_keys("https://api", "key", "Password", "u", "secret", "pw").current);
        assert!(!k.current.contains("secret") && k.current.len() == 64);
    }
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

    #[test]
    fn a_file_whose_name_starts_with_redis_is_a_file_cache() {
        let cfg = Config::new("k", "s").unwrap();
        let spec = "redis-tokens.json";
        let cache = open(spec, &cfg).unwrap_or_else(|e| panic!("{spec}: {e}"));
        assert!(cache.describe().contains(spec) && !cache.describe().starts_with("redis:"), "{}", cache.describe());
    }
}
