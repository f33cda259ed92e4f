//! [`RedisCache`]: one token for a whole fleet (`token_cache=redis://[:password@]host:port/db` or
//! `rediss://…`), with the file cache's guarantees across hosts.
//!
//! - **Keys.** The entry of an identity is `tpauth:<cache key>` (a SHA-256 of the API host, key,
//!   grant and user: no secret), holding the token as `tp_token_to_json` writes it, with a TTL equal
//!   to the access token's remaining lifetime. Its lock is `tpauth:<cache key>:lock`.
//! - **Single flight.** `lock` is `SET <lock> <128 random bits> NX PX cache_lock_ttl_ms`; waiters
//!   poll with exponential backoff (5 ms → 100 ms, jittered) until they hold it, so they never renew
//!   while the holder lives. A watchdog thread extends the lock every third of its TTL while the
//!   guard lives (compare-and-`PEXPIRE`), so a slow token request keeps it however long it takes;
//!   a holder that dies (SIGKILL) stops extending and its lock expires within the TTL. Release is a
//!   compare-and-delete Lua script, so a holder never deletes a lock that expired and was taken by
//!   another host. The auth flow writes the renewed token before it drops the guard.
//! - **Faults.** A corrupt or foreign entry reads as empty (and is overwritten). When Redis is
//!   unreachable (at start or mid-run) the cache logs a warning and behaves as no cache: `lock` is a
//!   no-op guard, `load` is `None`, `store` succeeds; authentication goes on with the in-process
//!   token. It reconnects after a backoff (0.5 s doubling to 5 s, no I/O in between) and uses Redis
//!   again once it answers. Connect (TCP, TLS, AUTH) and every command are bounded by
//!   `cache_timeout_ms`. A password Redis refuses, or a certificate not trusted, at start is a
//!   `Store` error from `Auth::new`; later, it is logged as an error and the cache is skipped.
//! - **Secrets.** Messages and `describe` show the URL without its user and password, and any
//!   text from the redis crate is scrubbed of the password before it is logged.

mod connection;

use super::{CacheLock, TokenCache};
use crate::config::Config;
use crate::error::{Error, Result, Status};
use crate::log::log_event;
use crate::token::{now_ms, Token};
use crate::url::{percent_decode_lossy, Plus};
use ::redis::{cmd, Client, RedisError};
use connection::{is_auth_error, is_trust_error, roots_pem, Shared, State, RECONNECT_FIRST};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// How often a waiter first asks for the lock again; doubled up to [`POLL_MAX`].
const POLL_FIRST: Duration = Duration::from_millis(5);
const POLL_MAX: Duration = Duration::from_millis(100);
/// Extend the lock's TTL if we still hold it.
const EXTEND: &str = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";
/// Delete the lock if we still hold it.
const RELEASE: &str = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/// The fleet-wide token cache on a Redis server.
pub struct RedisCache {
    shared: Arc<Shared>,
}

/// The guard of a lock taken while Redis was unreachable: nothing to release.
struct NoLock;
impl CacheLock for NoLock {}

/// A held Redis lock: its watchdog extends it until the guard drops, then it is released.
struct RedisLock {
    shared: Arc<Shared>,
    key: String,
    value: String,
    stop: Option<mpsc::Sender<()>>,
    watchdog: Option<std::thread::JoinHandle<()>>,
}
impl CacheLock for RedisLock {}

fn jittered(d: Duration) -> Duration {
    let r = getrandom::u32().unwrap_or(0) % 1000;
    d + d * r / 2000 // + 0 to 50 %
}

impl RedisCache {
    /// A cache on the Redis server `spec` names (`redis://[[user]:password@]host[:port][/db]` or
    /// `rediss://…`), with `cfg`'s `cache_lock_ttl_ms`, `cache_timeout_ms` and (for `rediss://`)
    /// `ca_file`, added to the system's roots. Connects at once: a refused password is a `Store`
    /// error; an unreachable server is a warning (the cache is used once it answers).
    pub fn open(spec: &str, cfg: &Config) -> Result<RedisCache> {
        let shown = crate::url::redact_url(spec);
        let bad = |why: &str| {
            Error::invalid_argument(format!(
                "option token_cache: {shown:?} is not a usable Redis URL ({why}); expected redis://[:password@]host:port/db or rediss://…"
            ))
        };
        if !crate::url::authority_is_plain_ascii(spec) {
            return Err(bad("non-ASCII or a %-escape before the path: percent-encode the password, write the host in punycode"));
        }
        let url = ::redis::parse_redis_url(spec).ok_or_else(|| bad("unparsable"))?;
        if url.host_str().is_none_or(str::is_empty) {
            return Err(bad("no host"));
        }
        let mut secrets = Vec::new();
        if let Some(p) = url.password().filter(|p| !p.is_empty()) {
            secrets.push(Zeroizing::new(p.to_owned()));
            // The userinfo's own rules: `+` is a plus.
            secrets.push(Zeroizing::new(percent_decode_lossy(p, Plus::Literal)));
        }
        let client = match (url.scheme(), &cfg.ca_file) {
            ("rediss" | "valkeys", Some(ca)) => {
                let certs = ::redis::TlsCertificates { client_tls: None, root_cert: Some(roots_pem(ca)?) };
                Client::build_with_tls(spec, certs)
            }
            _ => Client::open(spec),
        };
        let scrub = |e: RedisError| {
            let mut t = e.to_string();
            for s in &secrets {
                t = t.replace(s.as_str(), "***");
            }
            t
        };
        let client = client.map_err(|e| bad(&scrub(e)))?;
        let cache = RedisCache {
            shared: Arc::new(Shared {
                client,
                shown,
                secrets,
                lock_ttl: Duration::from_millis(cfg.cache_lock_ttl_ms),
                timeout: Duration::from_millis(cfg.cache_timeout_ms),
                state: Mutex::new(State { conn: None, retry_at: None, backoff: RECONNECT_FIRST, down: false }),
            }),
        };
        let shared = &cache.shared;
        // A refused password or an untrusted certificate is a configuration error the caller hears
        // about at once; an unreachable server is not (it may come back).
        let refused = {
            let mut st = shared.state();
            match shared.connect() {
                Ok(conn) => {
                    st.conn = Some((conn, std::process::id()));
                    None
                }
                Err(e) if is_auth_error(&e) => Some(format!(
                    "the Redis server refused the credentials in the URL ({}); check the password (and user) in token_cache",
                    shared.reason(&e)
                )),
                Err(e) if is_trust_error(&e) => Some(format!(
                    "the TLS handshake failed ({}): the server's certificate is not trusted; for a private CA set ca_file",
                    shared.reason(&e)
                )),
                Err(e) => {
                    shared.unavailable(&mut st, "connect", &e);
                    None
                }
            }
        };
        if let Some(why) = refused {
            return Err(Error::new(Status::Store, format!("token cache {}: {why}", shared.shown)));
        }
        Ok(cache)
    }

    fn entry_key(key: &str) -> String {
        format!("tpauth:{key}")
    }
}

impl RedisLock {
    fn start(shared: Arc<Shared>, key: String, value: String) -> RedisLock {
        let (stop, stopped) = mpsc::channel::<()>();
        let (s, k, v) = (shared.clone(), key.clone(), value.clone());
        let every = shared.lock_ttl / 3;
        let ttl_ms = shared.lock_ttl.as_millis() as u64;
        let watchdog = std::thread::Builder::new()
            .name("tpauth-redis-lock".into())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                    let kept = s.with("extend the lock", |c| cmd("EVAL").arg(EXTEND).arg(1).arg(&k).arg(&v).arg(ttl_ms).query::<i64>(c));
                    if kept == Some(0) {
                        log_event!(
                            Warn,
                            "token cache {}: the lock expired while this process held it (a pause longer than cache_lock_ttl_ms); another host may renew too",
                            s.shown
                        );
                        break;
                    }
                }
            })
            .ok();
        RedisLock { shared, key, value, stop: Some(stop), watchdog }
    }
}

impl Drop for RedisLock {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(w) = self.watchdog.take() {
            let _ = w.join();
        }
        let (k, v) = (&self.key, &self.value);
        // Unreachable: the lock expires by its TTL. 0: it already expired; not ours to delete.
        let _ = self.shared.with("release the lock", |c| cmd("EVAL").arg(RELEASE).arg(1).arg(k).arg(v).query::<i64>(c));
    }
}

impl TokenCache for RedisCache {
    fn lock(&self, key: &str) -> Result<Box<dyn CacheLock + '_>> {
        let shared = &self.shared;
        let lock_key = format!("tpauth:{key}:lock");
        let value = crate::redirect::new_state();
        let ttl_ms = shared.lock_ttl.as_millis() as u64;
        let mut pause = POLL_FIRST;
        let mut waiting_since = None;
        loop {
            let got = shared.with("lock", |c| {
                let set: Option<String> = cmd("SET").arg(&lock_key).arg(&value).arg("NX").arg("PX").arg(ttl_ms).query(c)?;
                if set.is_some() {
                    return Ok(true);
                }
                // A SET whose answer was lost and then retried finds its own value.
                let holder: Option<String> = cmd("GET").arg(&lock_key).query(c)?;
                Ok(holder.as_deref() == Some(value.as_str()))
            });
            match got {
                None => return Ok(Box::new(NoLock)),
                Some(true) => {
                    if let Some(since) = waiting_since {
                        let waited = Instant::elapsed(&since).as_millis();
                        log_event!(Debug, "token cache {}: got the lock after {waited} ms", shared.shown);
                    }
                    return Ok(Box::new(RedisLock::start(shared.clone(), lock_key, value)));
                }
                Some(false) => {
                    if waiting_since.is_none() {
                        log_event!(Info, "token cache {}: another process holds the lock (renewing); waiting for it", shared.shown);
                        waiting_since = Some(Instant::now());
                    }
                    std::thread::sleep(jittered(pause));
                    pause = (pause * 2).min(POLL_MAX);
                }
            }
        }
    }

    fn load(&self, key: &str) -> Result<Option<Token>> {
        let entry = Self::entry_key(key);
        let Some(Some(raw)) = self.shared.with("read", |c| cmd("GET").arg(&entry).query::<Option<Vec<u8>>>(c)) else {
            return Ok(None);
        };
        let raw = Zeroizing::new(raw);
        match std::str::from_utf8(&raw).ok().and_then(|s| super::entry::parse_entry_str(s, now_ms()).ok()) {
            Some(t) => Ok(Some(t)),
            None => {
                log_event!(
                    Warn,
                    "token cache {}: the entry is not a tpauth token (corrupt or foreign, or its received_at_ms negative or in the future); treating it as empty (it will be overwritten)",
                    self.shared.shown
                );
                Ok(None)
            }
        }
    }

    fn store(&self, key: &str, token: &Token) -> Result<()> {
        let entry = Self::entry_key(key);
        let json = Zeroizing::new(token.to_json());
        let expires_at = token.expires_at_ms();
        self.shared.with("write", |c| {
            let left = expires_at.saturating_sub(now_ms());
            if expires_at < 0 {
                // No known expiry: the API's 401 will tell; keep it until replaced.
                cmd("SET").arg(&entry).arg(json.as_bytes()).query::<()>(c)
            } else if left > 0 {
                cmd("SET").arg(&entry).arg(json.as_bytes()).arg("PX").arg(left).query::<()>(c)
            } else {
                cmd("DEL").arg(&entry).query::<()>(c)
            }
        });
        Ok(())
    }

    fn remove(&self, key: &str) -> Result<()> {
        let entry = Self::entry_key(key);
        self.shared.with("remove", |c| cmd("DEL").arg(&entry).query::<()>(c));
        Ok(())
    }

    fn describe(&self) -> String {
        self.shared.shown.clone()
    }

    fn is_up(&self) -> bool {
        !self.shared.state().down
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction() {
        assert_eq!(crate::url::redact_url("redis://:s3cret@10.0.0.5:6379/2"), "redis://***@10.0.0.5:6379/2");
        assert_eq!(crate::url::redact_url("rediss://app:p%40ss@cache.internal/0?x=1#y"), "rediss://***@cache.internal/0");
        assert_eq!(crate::url::redact_url("redis://localhost"), "redis://localhost");
        assert_eq!(crate::url::redact_url("/var/cache/tok.json"), "/var/cache/tok.json");
    }

    #[test]
    fn bad_urls_are_invalid_arguments_without_the_password() {
        let cfg = Config::new("k", "s").unwrap();
        for spec in ["redis://:hunter2@", "redis://:hunter2@/0"] {
            let e = RedisCache::open(spec, &cfg).err().expect("refused");
            assert_eq!(e.status(), Status::InvalidArgument, "{spec}: {e}");
            assert!(!e.message().contains("hunter2"), "{e}");
        }
    }

    #[test]
    fn an_unreachable_redis_is_no_cache() {
        // Port 1 on loopback: nothing listens there; connecting is refused at once.
        let mut cfg = Config::new("k", "s").unwrap();
        cfg.set("cache_timeout_ms", "200").unwrap();
        let cache = RedisCache::open("redis://:hunter2@127.0.0.1:1/0", &cfg).unwrap();
        let t0 = Instant::now();
        let guard = cache.lock("k").unwrap();
        assert!(cache.load("k").unwrap().is_none());
        let tok = Token::from_response(r#"{"access_token":"a","expires_in":"60"}"#, None).unwrap();
        cache.store("k", &tok).unwrap();
        cache.remove("k").unwrap();
        drop(guard);
        assert!(t0.elapsed() < Duration::from_millis(500), "no I/O while backing off");
        assert_eq!(cache.describe(), "redis://***@127.0.0.1:1/0");
    }
}
