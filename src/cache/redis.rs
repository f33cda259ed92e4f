//! [`RedisCache`]: one token for a whole fleet, on one Redis server (`redis://`, `rediss://`), a
//! Redis Cluster (`redis+cluster://`) or the master Sentinels name (`redis+sentinel://…/MASTER`),
//! with the file cache's guarantees across hosts. docs/caches.md says what each topology can
//! and cannot guarantee.
//!
//! - **Keys.** The entry of an identity is `tpauth:{<cache key>}`, its lock
//!   `tpauth:{<cache key>}:lock`: the braces put both in one hash slot, so a Cluster keeps them on
//!   one node. The cache key is bound to the secret (`super::identity_keys`). The entry is
//!   `{"format":"tpauth-entry-1","generation":N,"token":<tp_token_to_json>|null}`.
//! - **How long an entry lives** ([`super::entry::keep_until_ms`]): while its access token lives
//!   and, when it holds a refresh token, `cache_refresh_ttl_s` longer; a revoked one is replaced by
//!   a tombstone (`"token":null`) for that long.
//! - **Single flight.** `lock` is `SET <lock> <128 random bits> NX PX cache_lock_ttl_ms` (in a
//!   script that answers a number, whatever the key holds); waiters
//!   poll (5 ms → 100 ms, jittered) for at most the shorter of `timeout_ms` and
//!   `cache_lock_ttl_ms`, then get `Timeout` and make no token request. A watchdog extends a held
//!   lock every third of its TTL (compare-and-`PEXPIRE`), so a slow token request keeps it; a
//!   holder that dies stops extending and its lock expires. Release is a compare-and-delete.
//! - **Fenced writes.** A renewed token is stored by a compare-and-set script: only if the stored
//!   generation is not newer than the one read under the lock (or the entry is absent). A holder
//!   paused past its lock's TTL, or a second holder after a failover dropped the lock, therefore
//!   never overwrites a newer refresh token; it adopts the stored one instead.
//! - **Failover heals.** The cache remembers the newest entry it wrote or read. Reading an older
//!   generation, or none, under the lock (an asynchronous replica was promoted before it had the
//!   write) it writes that entry back with the compare-and-set.
//! - **Outage fallback per host.** When Redis cannot be reached (or stops answering within
//!   `cache_timeout_ms`), the lock, read and write go to the file cache at `cache_fallback_file`
//!   (by default a per-user file under the runtime folder): every process of the host shares one
//!   token, and the fleet makes at most one token request per host per expiry. `none` turns it off
//!   (each process keeps its own token). Redis is tried again after a backoff.
//! - **The previous layout.** The entry the previous release wrote under `tpauth:<legacy key>` is
//!   read by `load_legacy` and removed (compare-and-delete) once moved.
//! - **Limits.** Reads go through a script that answers a value larger than
//!   [`super::entry::MAX_ENTRY_BYTES`] (or not a string) as foreign, so such a value never crosses
//!   the network; every connect and command has a deadline (`connection.rs`).

mod connection;
mod target;

use super::entry::{self, RedisEntry, MAX_ENTRY_BYTES};
use super::file::FileLock;
use super::{CacheKey, CacheLock, FileCache, Locked, TokenCache};
use crate::config::Config;
use crate::error::{Error, Result, Status};
use crate::log::log_event;
use crate::token::{now_ms, Token};
use ::redis::{cmd, Value};
use connection::{is_auth_error, is_trust_error, roots_pem, Done, Shared};
use std::collections::HashMap;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use target::Target;
use zeroize::Zeroizing;

/// How often a waiter first asks for the lock again; doubled up to [`POLL_MAX`].
const POLL_FIRST: Duration = Duration::from_millis(5);
const POLL_MAX: Duration = Duration::from_millis(100);
/// Take the lock KEYS[1] (1), or find it already ours (1: a SET whose answer was lost and was
/// retried), or held by another: then the entry KEYS[2] when it is a string of at most ARGV[3]
/// bytes (a waiter uses a token the holder just stored without taking the lock), else 0. Never
/// the lock's value, whatever the key holds.
const TAKE: &str = "if redis.call('set', KEYS[1], ARGV[1], 'nx', 'px', ARGV[2]) then return 1 end \
    if redis.call('get', KEYS[1]) == ARGV[1] then return 1 end \
    local ok, n = pcall(redis.call, 'strlen', KEYS[2]) \
    if ok and n > 0 and n <= tonumber(ARGV[3]) then return redis.call('get', KEYS[2]) end \
    return 0";
/// Extend the lock's TTL if we still hold it.
const EXTEND: &str = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";
/// Delete the key if it still holds ARGV[1] (the lock we hold, the legacy entry we moved).
const COMPARE_AND_DELETE: &str = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
/// Read a value of at most ARGV[1] bytes: nil when absent, -1 when larger, -2 when not a string.
const READ: &str = "local ok, n = pcall(redis.call, 'strlen', KEYS[1]) \
    if not ok then return -2 end \
    if n == 0 then return false end \
    if n > tonumber(ARGV[1]) then return -1 end \
    return redis.call('get', KEYS[1])";
/// The fenced write: store ARGV[2] (PX ARGV[3], none when 0) under KEYS[1] unless the stored
/// entry's generation is greater than ARGV[1] (-1: none was read), and drop the failure record
/// KEYS[2]. Answers {1} when written, else {0, newer entry} ({0} alone when that entry is larger
/// than ARGV[4] bytes).
const STORE: &str = "local cur = redis.pcall('get', KEYS[1]) \
    local g = -1 \
    if type(cur) == 'string' then \
      local m = string.match(cur, '^{\"format\":\"tpauth%-entry%-1\",\"generation\":(%d+),') \
      if m then g = tonumber(m) end \
    end \
    if g > tonumber(ARGV[1]) then \
      if #cur > tonumber(ARGV[4]) then return {0} end \
      return {0, cur} \
    end \
    if ARGV[3] == '0' then redis.call('set', KEYS[1], ARGV[2]) else redis.call('set', KEYS[1], ARGV[2], 'px', ARGV[3]) end \
    redis.call('del', KEYS[2]) \
    return {1}";

/// The fleet-wide token cache.
pub struct RedisCache {
    shared: Arc<Shared>,
    /// `cache_refresh_ttl_s` in milliseconds.
    refresh_ttl_ms: i64,
    /// The longest wait for the lock: the shorter of `timeout_ms` and `cache_lock_ttl_ms`.
    lock_wait: Duration,
    /// The host-wide file cache used while Redis is unreachable (`cache_fallback_file`).
    fallback: Option<FileCache>,
    /// Per entry key, the newest entry this process wrote or read: written back when Redis later
    /// holds an older one or none (a failover lost a write).
    known: Mutex<HashMap<String, RedisEntry>>,
}

fn jittered(d: Duration) -> Duration {
    let r = getrandom::u32().unwrap_or(0) % 1000;
    d + d * r / 2000 // + 0 to 50 %
}

/// The failure record of an identity (beside its entry, in its hash slot).
fn failure_key(key: &str) -> String {
    format!("tpauth:{{{key}}}:failure")
}

fn entry_key(key: &str) -> String {
    format!("tpauth:{{{key}}}")
}

fn lock_key(key: &str) -> String {
    format!("tpauth:{{{key}}}:lock")
}

/// Where the previous release kept an identity's entry.
fn legacy_entry_key(legacy: &str) -> String {
    format!("tpauth:{legacy}")
}

/// A value read by the [`READ`] script.
enum Stored {
    Absent,
    /// Larger than the bound, or not a string: foreign, never transferred.
    Foreign(&'static str),
    Bytes(Zeroizing<Vec<u8>>),
}

impl RedisCache {
    /// A cache on the Redis topology `spec` names, with `cfg`'s `cache_lock_ttl_ms`,
    /// `cache_timeout_ms`, `timeout_ms`, `ca_file` (for TLS, added to the system's roots),
    /// `cache_password_file`, `cache_sentinel_password_file`, `cache_refresh_ttl_s`,
    /// `cache_fallback_file` and `allow_insecure_redis`. Connects at once: a refused password or
    /// an untrusted certificate is a `Store` error; an unreachable Redis is a warning (the cache
    /// is used once it answers).
    pub fn open(spec: &str, cfg: &Config) -> Result<RedisCache> {
        let target = Target::parse(spec, cfg.allow_insecure_redis)?;
        for (option, file) in
            [("cache_password_file", &cfg.cache_password_file), ("cache_sentinel_password_file", &cfg.cache_sentinel_password_file)]
        {
            if let Some(path) = file {
                connection::read_password_file(option, path).map_err(Error::invalid_argument)?;
            }
        }
        let roots = match &cfg.ca_file {
            Some(ca) if target.tls => Some(roots_pem(ca)?),
            _ => None,
        };
        let fallback = match cfg.cache_fallback_file.as_deref() {
            Some("none") => None,
            Some(path) => Some(FileCache::new(path, cfg)?),
            None => match super::default_fallback_path() {
                Ok(path) => Some(FileCache::new(path.to_str().unwrap_or_default(), cfg)?),
                Err(e) => {
                    log_event!(Warn, "token cache {}: no fallback file while Redis is unreachable: {}", target.shown, e.message());
                    None
                }
            },
        };
        let cache = RedisCache {
            shared: Arc::new(Shared::new(target, roots, cfg)),
            refresh_ttl_ms: i64::try_from(cfg.cache_refresh_ttl_s.saturating_mul(1000)).unwrap_or(i64::MAX),
            lock_wait: Duration::from_millis(cfg.timeout_ms.min(cfg.cache_lock_ttl_ms)),
            fallback,
            known: Mutex::new(HashMap::new()),
        };
        let shared = &cache.shared;
        // A refused password or an untrusted certificate is a configuration error the caller hears
        // about at once; an unreachable server is not (it may come back).
        match shared.connect_now() {
            Ok(()) => {}
            Err(e) if is_auth_error(&e) => {
                return Err(Error::new(
                    Status::Store,
                    format!(
                        "token cache {}: the Redis server refused the credentials ({}); check the user and password in token_cache (or cache_password_file)",
                        shared.shown,
                        shared.reason(&e)
                    ),
                ))
            }
            Err(e) if is_trust_error(&e) => {
                return Err(Error::new(
                    Status::Store,
                    format!(
                        "token cache {}: the TLS handshake failed ({}): the server's certificate is not trusted; for a private CA set ca_file",
                        shared.shown,
                        shared.reason(&e)
                    ),
                ))
            }
            Err(e) => {
                log_event!(
                    Warn,
                    "token cache {}: connect: Redis is unavailable ({}); using the host's fallback until it answers",
                    shared.shown,
                    shared.reason(&e)
                );
            }
        }
        Ok(cache)
    }

    fn known(&self) -> std::sync::MutexGuard<'_, HashMap<String, RedisEntry>> {
        self.known.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Read `key` through the [`READ`] script.
    fn read(&self, what: &str, key: &str) -> Done<Stored> {
        let mut c = cmd("EVAL");
        c.arg(READ).arg(1).arg(key).arg(MAX_ENTRY_BYTES);
        match self.shared.with::<Value>(what, c) {
            Done::Ok(v) => Done::Ok(match v {
                Value::Nil => Stored::Absent,
                Value::Int(-1) => Stored::Foreign("larger than 4 MiB"),
                Value::Int(_) => Stored::Foreign("not a string"),
                Value::BulkString(b) => Stored::Bytes(Zeroizing::new(b)),
                _ => Stored::Foreign("an unexpected answer"),
            }),
            Done::Skipped => Done::Skipped,
            Done::Refused => Done::Refused,
            Done::Migrating => Done::Migrating,
        }
    }

    /// The fenced write of `text` (generation `generation`) under `key`, if the stored generation
    /// is not newer than `expected`. `Ok(None)`: written; `Ok(Some(entry))`: a newer entry is
    /// there (`None` inside when it is unreadable).
    fn compare_and_set(&self, key: &str, expected: Option<u64>, text: String, ttl_ms: Option<i64>) -> Done<Option<Option<RedisEntry>>> {
        let text = Zeroizing::new(text);
        let expected = expected.map_or(-1, |g| i64::try_from(g).unwrap_or(i64::MAX));
        let mut c = cmd("EVAL");
        c.arg(STORE)
            .arg(2)
            .arg(key)
            .arg(format!("{key}:failure"))
            .arg(expected)
            .arg(text.as_bytes())
            .arg(ttl_ms.unwrap_or(0))
            .arg(MAX_ENTRY_BYTES);
        match self.shared.with::<Vec<Value>>("write", c) {
            Done::Skipped => Done::Skipped,
            Done::Refused => Done::Refused,
            Done::Migrating => Done::Migrating,
            Done::Ok(v) => match v.as_slice() {
                [Value::Int(1)] => Done::Ok(None),
                [Value::Int(0), Value::BulkString(b)] => {
                    let b = Zeroizing::new(b.clone());
                    Done::Ok(Some(std::str::from_utf8(&b).ok().and_then(|s| entry::parse_redis_entry(s, now_ms()).ok())))
                }
                _ => Done::Ok(Some(None)),
            },
        }
    }

    /// [`Self::compare_and_set`], tried again while the identity's Cluster slot is being migrated
    /// (its entry and failure record on two masters), until `deadline`.
    fn compare_and_set_until(
        &self,
        deadline: Instant,
        key: &str,
        expected: Option<u64>,
        text: &str,
        ttl_ms: Option<i64>,
    ) -> Done<Option<Option<RedisEntry>>> {
        let mut pause = POLL_FIRST;
        loop {
            match self.compare_and_set(key, expected, text.to_owned(), ttl_ms) {
                Done::Migrating if Instant::now() < deadline => {
                    std::thread::sleep(jittered(pause).min(deadline.saturating_duration_since(Instant::now())));
                    pause = (pause * 2).min(POLL_MAX);
                }
                done => return done,
            }
        }
    }

    /// The guard used while Redis is unavailable: the host's fallback file, or nothing.
    fn fallback_backend(&self, key: &CacheKey) -> Result<Backend<'_>> {
        let Some(fb) = &self.fallback else { return Ok(Backend::Nothing) };
        match fb.lock_file(key) {
            Ok(l) => Ok(Backend::File(l)),
            // Another process of this host is renewing and has for too long: the same answer the
            // Redis lock gives.
            Err(e) if e.status() == Status::Timeout => Err(e),
            Err(e) => {
                log_event!(
                    Error,
                    "token cache {}: the fallback file cannot be used ({}); this process keeps its own token",
                    self.shared.shown,
                    e.message()
                );
                Ok(Backend::Nothing)
            }
        }
    }

    /// How long Redis keeps `token` from now (`None`: no expiry; `Some(≤ 0)`: not worth writing).
    fn ttl_of(&self, token: &Token) -> Option<i64> {
        entry::keep_until_ms(token, self.refresh_ttl_ms).map(|until| until.saturating_sub(now_ms()))
    }
}

/// Where a guard reads and writes.
enum Backend<'a> {
    /// The Redis lock, held (and extended) until the guard drops.
    Redis { _lock: RedisLock },
    /// Redis is unreachable: the host's fallback file.
    File(FileLock<'a>),
    /// Redis is unreachable and there is no fallback: no cache.
    Nothing,
}

/// What the guard's last read of the entry saw: the generation its writes are fenced with.
#[derive(Clone, Copy)]
enum Read {
    NotYet,
    /// Absent, or corrupt or foreign (overwritten by the next write).
    Absent,
    Generation(u64),
}

/// A held lock and the identity it is for.
struct RedisGuard<'a> {
    cache: &'a RedisCache,
    key: CacheKey,
    backend: Backend<'a>,
    read: Read,
    /// The legacy entry as read, for its compare-and-delete.
    legacy_raw: Option<Zeroizing<Vec<u8>>>,
}

/// A held Redis lock: its watchdog extends it until the guard drops, then it is released.
struct RedisLock {
    shared: Arc<Shared>,
    key: String,
    value: String,
    stop: Option<mpsc::Sender<()>>,
    watchdog: Option<std::thread::JoinHandle<()>>,
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
                    let (k, v) = (k.clone(), v.clone());
                    let mut c = cmd("EVAL");
                    c.arg(EXTEND).arg(1).arg(&k).arg(&v).arg(ttl_ms);
                    let kept = s.with::<i64>("extend the lock", c);
                    if matches!(kept, Done::Ok(0)) {
                        log_event!(
                            Warn,
                            "token cache {}: the lock expired while this process held it (a pause longer than cache_lock_ttl_ms, or a failover); its write is fenced",
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
        let (k, v) = (self.key.clone(), self.value.clone());
        // Unavailable: the lock expires by its TTL. 0: it already expired; not ours to delete.
        let mut c = cmd("EVAL");
        c.arg(COMPARE_AND_DELETE).arg(1).arg(k).arg(v);
        let _ = self.shared.with::<i64>("release the lock", c);
    }
}

impl TokenCache for RedisCache {
    fn lock(&self, key: &CacheKey) -> Result<Box<dyn CacheLock + '_>> {
        match self.lock_or_use(key, &|_| false)? {
            Locked::Held(g) => Ok(g),
            Locked::Stored(_) => unreachable!("no token is usable"),
        }
    }

    fn lock_or_use(&self, key: &CacheKey, usable: &dyn Fn(&Token) -> bool) -> Result<Locked<'_>> {
        let shared = &self.shared;
        let lk = lock_key(&key.current);
        let ek = entry_key(&key.current);
        let value = crate::redirect::new_state();
        let ttl_ms = shared.lock_ttl.as_millis() as u64;
        let start = Instant::now();
        let mut pause = POLL_FIRST;
        let mut waiting = false;
        let mut migrating = false;
        shared.rediscover();
        let backend = loop {
            let mut c = cmd("EVAL");
            c.arg(TAKE).arg(2).arg(&lk).arg(&ek).arg(&value).arg(ttl_ms).arg(MAX_ENTRY_BYTES);
            let got = match shared.with::<Value>("lock", c) {
                Done::Ok(Value::Int(1)) => Done::Ok(true),
                Done::Ok(Value::BulkString(raw)) => {
                    // Held by another; the entry as it is now.
                    let raw = Zeroizing::new(raw);
                    let stored = std::str::from_utf8(&raw).ok().and_then(|s| entry::parse_redis_entry(s, now_ms()).ok());
                    if let Some(RedisEntry { token: Some(t), generation }) = stored {
                        if usable(&t) {
                            if waiting {
                                log_event!(
                                    Debug,
                                    "token cache {}: used the token stored while waiting {} ms",
                                    shared.shown,
                                    start.elapsed().as_millis()
                                );
                            }
                            let mut known = self.known();
                            if known.get(&ek).is_none_or(|k| k.generation <= generation) {
                                known.insert(ek, RedisEntry { generation, token: Some(t.clone()) });
                            }
                            return Ok(Locked::Stored(t));
                        }
                    }
                    Done::Ok(false)
                }
                Done::Ok(_) => Done::Ok(false),
                Done::Skipped => Done::Skipped,
                Done::Refused => Done::Refused,
                Done::Migrating => Done::Migrating,
            };
            match got {
                // Unreachable while another host held the lock: most likely a failover, after
                // which the holder's lock and write reappear. Renewing beside it (from the
                // fallback) would spend the refresh token it is using: keep waiting, within the
                // same limit.
                Done::Skipped if waiting && start.elapsed() < self.lock_wait => {
                    std::thread::sleep(jittered(pause).min(self.lock_wait.saturating_sub(start.elapsed())));
                    pause = (pause * 2).min(POLL_MAX);
                }
                // The slot is being moved to another master: the lock cannot be taken until the
                // lock and the entry are on one node again. Every host waits for that (the
                // migration of one slot takes moments), within the same limit, rather than each
                // renewing on its own from its fallback with a refresh token another has spent.
                Done::Migrating if start.elapsed() < self.lock_wait => {
                    if !migrating {
                        log_event!(
                            Info,
                            "token cache {}: the identity's Cluster slot is being migrated to another node (TRYAGAIN); waiting for the migration",
                            shared.shown
                        );
                        migrating = true;
                    }
                    std::thread::sleep(jittered(pause).min(self.lock_wait.saturating_sub(start.elapsed())));
                    pause = (pause * 2).min(POLL_MAX);
                }
                Done::Skipped | Done::Refused | Done::Migrating => break self.fallback_backend(key)?,
                Done::Ok(true) => {
                    if waiting {
                        log_event!(Debug, "token cache {}: got the lock after {} ms", shared.shown, start.elapsed().as_millis());
                    }
                    break Backend::Redis { _lock: RedisLock::start(shared.clone(), lk, value) };
                }
                Done::Ok(false) => {
                    let waited = start.elapsed();
                    if waited >= self.lock_wait {
                        return Err(Error::new(
                            Status::Timeout,
                            format!(
                                "token cache {}: another process has held the lock ({lk}) for {} ms, the limit (the shorter of timeout_ms and cache_lock_ttl_ms); \
                                 no token was requested. A live holder is renewing; a dead one's lock expires within cache_lock_ttl_ms",
                                shared.shown,
                                waited.as_millis()
                            ),
                        ));
                    }
                    if !waiting {
                        log_event!(Info, "token cache {}: another process holds the lock (renewing); waiting for it", shared.shown);
                        waiting = true;
                    }
                    std::thread::sleep(jittered(pause).min(self.lock_wait.saturating_sub(waited)));
                    pause = (pause * 2).min(POLL_MAX);
                }
            }
        };
        Ok(Locked::Held(Box::new(RedisGuard { cache: self, key: key.clone(), backend, read: Read::NotYet, legacy_raw: None })))
    }

    fn describe(&self) -> String {
        self.shared.shown.clone()
    }

    fn is_up(&self) -> bool {
        !self.shared.is_down()
    }
}

impl RedisGuard<'_> {
    /// Redis stopped answering under this lock: go on with the host's fallback file.
    fn degrade(&mut self) -> Result<()> {
        self.backend = self.cache.fallback_backend(&self.key)?;
        Ok(())
    }

    fn warn_corrupt(&self, why: &str) {
        log_event!(
            Warn,
            "token cache {}: the entry is not a tpauth token ({why}: corrupt or foreign, or its received_at_ms negative or in the future); treating it as empty (it will be overwritten)",
            self.cache.shared.shown
        );
    }

    /// Read the entry from Redis and heal it when this process knows a newer one.
    fn load_redis(&mut self) -> Done<Option<Token>> {
        let cache = self.cache;
        let ek = entry_key(&self.key.current);
        let stored = match cache.read("read", &ek) {
            Done::Skipped => return Done::Skipped,
            Done::Refused => return Done::Refused,
            Done::Migrating => return Done::Migrating,
            Done::Ok(Stored::Absent) => None,
            Done::Ok(Stored::Foreign(why)) => {
                self.warn_corrupt(why);
                None
            }
            Done::Ok(Stored::Bytes(b)) => {
                match std::str::from_utf8(&b).map_err(|_| "not UTF-8").and_then(|s| entry::parse_redis_entry(s, now_ms())) {
                    Ok(e) => Some(e),
                    Err(why) => {
                        self.warn_corrupt(why);
                        None
                    }
                }
            }
        };
        self.read = stored.as_ref().map_or(Read::Absent, |e| Read::Generation(e.generation));
        let known = cache.known().get(&ek).cloned();
        let newer_known = known.filter(|k| stored.as_ref().is_none_or(|s| k.generation > s.generation));
        if let Some(k) = newer_known {
            // Redis lost a write this process saw (an asynchronous replica was promoted, or the
            // entry was flushed): put the newest entry back, fenced as any write.
            let ttl = match &k.token {
                Some(t) => cache.ttl_of(t),
                None => Some(cache.refresh_ttl_ms),
            };
            if ttl.is_none_or(|t| t > 0) {
                let expected = match self.read {
                    Read::Generation(g) => Some(g),
                    _ => None,
                };
                match cache.compare_and_set(&ek, expected, entry::render_redis_entry(k.generation, k.token.as_ref()), ttl) {
                    Done::Ok(None) => {
                        log_event!(
                            Warn,
                            "token cache {}: Redis held {} where this process had written or read generation {} (a failover lost a write); wrote that entry back",
                            cache.shared.shown,
                            stored.as_ref().map_or("no entry".to_owned(), |s| format!("generation {}", s.generation)),
                            k.generation
                        );
                        self.read = Read::Generation(k.generation);
                        return Done::Ok(k.token);
                    }
                    Done::Ok(Some(Some(newer))) => {
                        self.read = Read::Generation(newer.generation);
                        cache.known().insert(ek, newer.clone());
                        return Done::Ok(newer.token);
                    }
                    // Migrating: the next read under the lock heals it.
                    Done::Ok(Some(None)) | Done::Refused | Done::Migrating => {}
                    Done::Skipped => return Done::Skipped,
                }
            }
            return Done::Ok(stored.and_then(|s| s.token));
        }
        if let Some(s) = &stored {
            cache.known().insert(ek, s.clone());
        }
        Done::Ok(stored.and_then(|s| s.token))
    }
}

impl CacheLock for RedisGuard<'_> {
    fn record_failure(&mut self, error: &Error) -> Result<()> {
        match &mut self.backend {
            Backend::File(f) => return f.record_failure(error),
            Backend::Nothing => return Ok(()),
            Backend::Redis { .. } => {}
        }
        let k = failure_key(&self.key.current);
        let text = entry::render_failure(error, now_ms());
        // Only the callers waiting now need it: they wait at most the lock wait.
        let ttl_ms = (self.cache.lock_wait.as_millis() as u64).max(1000) * 2;
        let mut c = cmd("SET");
        c.arg(&k).arg(&text).arg("PX").arg(ttl_ms);
        let _ = self.cache.shared.with::<()>("record the failure", c);
        Ok(())
    }

    fn failure_since(&mut self, since_ms: i64) -> Result<Option<Error>> {
        match &mut self.backend {
            Backend::File(f) => return f.failure_since(since_ms),
            Backend::Nothing => return Ok(None),
            Backend::Redis { .. } => {}
        }
        let Done::Ok(Stored::Bytes(raw)) = self.cache.read("read the failure record", &failure_key(&self.key.current)) else {
            return Ok(None);
        };
        Ok(std::str::from_utf8(&raw).ok().and_then(entry::parse_failure).filter(|(at, _)| *at >= since_ms).map(|(_, e)| e))
    }

    fn load(&mut self) -> Result<Option<Token>> {
        match &mut self.backend {
            Backend::File(f) => f.load(),
            Backend::Nothing => Ok(None),
            Backend::Redis { .. } => match self.load_redis() {
                Done::Ok(t) => Ok(t),
                // A single-key read is redirected (ASK), never told to wait: as refused.
                Done::Refused | Done::Migrating => Ok(None),
                Done::Skipped => {
                    self.degrade()?;
                    self.load()
                }
            },
        }
    }

    fn store(&mut self, token: &Token) -> Result<Option<Token>> {
        match &mut self.backend {
            Backend::File(f) => return f.store(token),
            Backend::Nothing => return Ok(None),
            Backend::Redis { .. } => {}
        }
        if matches!(self.read, Read::NotYet) {
            // Fence with what is there now (an explicit grant's token, written without a renewal).
            if matches!(self.load_redis(), Done::Skipped) {
                self.degrade()?;
                return self.store(token);
            }
        }
        let cache = self.cache;
        let ek = entry_key(&self.key.current);
        let ttl = cache.ttl_of(token);
        if ttl.is_some_and(|t| t <= 0) {
            return Ok(None); // expired, nothing to refresh it with: not worth a write
        }
        let read = match self.read {
            Read::Generation(g) => Some(g),
            _ => None,
        };
        let known = cache.known().get(&ek).map(|k| k.generation);
        let generation = read.max(known).map_or(1, |g| g.saturating_add(1));
        let text = entry::render_redis_entry(generation, Some(token));
        // This holder has the renewed token and the others wait for it: while Redis is briefly
        // unreachable (a failover) or the slot is being migrated, keep trying for up to the lock's
        // TTL before writing it to the host's fallback file only.
        let deadline = Instant::now() + cache.shared.lock_ttl;
        let mut pause = POLL_MAX;
        loop {
            match cache.compare_and_set_until(deadline, &ek, read, &text, ttl) {
                Done::Ok(None) => {
                    self.read = Read::Generation(generation);
                    cache.known().insert(ek, RedisEntry { generation, token: Some(token.clone()) });
                    return Ok(None);
                }
                Done::Ok(Some(newer)) => {
                    log_event!(
                        Warn,
                        "token cache {}: another host stored a newer token while this one renewed (its lock had expired, or a failover dropped it); using the stored token",
                        cache.shared.shown
                    );
                    return match newer {
                        Some(n) => {
                            self.read = Read::Generation(n.generation);
                            cache.known().insert(ek, n.clone());
                            Ok(n.token)
                        }
                        None => Ok(None),
                    };
                }
                Done::Skipped if Instant::now() < deadline => {
                    std::thread::sleep(pause.min(deadline.saturating_duration_since(Instant::now())));
                    pause = (pause * 2).min(Duration::from_secs(1));
                }
                Done::Refused => return Ok(None),
                Done::Skipped | Done::Migrating => {
                    // Remembered as newer than anything Redis holds: written back to Redis by
                    // this process's next read there.
                    cache.known().insert(ek, RedisEntry { generation, token: Some(token.clone()) });
                    self.degrade()?;
                    return self.store(token);
                }
            }
        }
    }

    fn forget(&mut self, refresh_token: &str) -> Result<()> {
        match &mut self.backend {
            Backend::File(f) => return f.forget(refresh_token),
            Backend::Nothing => return Ok(()),
            Backend::Redis { .. } => {}
        }
        if self.load()?.is_none_or(|t| t.refresh_token() != Some(refresh_token)) {
            return Ok(());
        }
        let Read::Generation(g) = self.read else { return Ok(()) };
        let cache = self.cache;
        let ek = entry_key(&self.key.current);
        // A tombstone, not a deletion: a host that still remembers the revoked token must not
        // write it back as if a failover had lost it.
        let generation = g.saturating_add(1);
        let deadline = Instant::now() + cache.shared.lock_ttl;
        let tombstone = entry::render_redis_entry(generation, None);
        if let Done::Ok(None) = cache.compare_and_set_until(deadline, &ek, Some(g), &tombstone, Some(cache.refresh_ttl_ms)) {
            self.read = Read::Generation(generation);
            cache.known().insert(ek, RedisEntry { generation, token: None });
        }
        Ok(())
    }

    fn load_legacy(&mut self) -> Result<Option<Token>> {
        match &mut self.backend {
            Backend::File(f) => return f.load_legacy(),
            Backend::Nothing => return Ok(None),
            Backend::Redis { .. } => {}
        }
        let Done::Ok(Stored::Bytes(raw)) = self.cache.read("read the previous layout's entry", &legacy_entry_key(&self.key.legacy)) else {
            return Ok(None);
        };
        let token = std::str::from_utf8(&raw).ok().and_then(|s| entry::parse_entry_str(s, now_ms()).ok());
        if token.is_some() {
            self.legacy_raw = Some(raw);
        }
        Ok(token)
    }

    fn remove_legacy(&mut self) -> Result<()> {
        match &mut self.backend {
            Backend::File(f) => return f.remove_legacy(),
            Backend::Nothing => return Ok(()),
            Backend::Redis { .. } => {}
        }
        if let Some(raw) = self.legacy_raw.take() {
            let mut c = cmd("EVAL");
            c.arg(COMPARE_AND_DELETE).arg(1).arg(legacy_entry_key(&self.key.legacy)).arg(raw.as_slice());
            let _ = self.cache.shared.with::<i64>("remove the previous layout's entry", c);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> CacheKey {
        CacheKey { current: "k".into(), legacy: "old".into() }
    }

    #[test]
    fn keys_share_one_hash_slot() {
        assert_eq!(entry_key("ab12"), "tpauth:{ab12}");
        assert_eq!(lock_key("ab12"), "tpauth:{ab12}:lock");
        assert_eq!(legacy_entry_key("ab12"), "tpauth:ab12");
    }

    #[test]
    fn bad_urls_are_invalid_arguments_without_the_password() {
        let cfg = Config::new("k", "s").unwrap();
        for spec in ["redis://:hunter2@", "redis://:hunter2@/0", "redis://:hunter2@10.1.2.3/0"] {
            let e = RedisCache::open(spec, &cfg).err().expect("refused");
            assert_eq!(e.status(), Status::InvalidArgument, "{spec}: {e}");
            assert!(!e.message().contains("hunter2"), "{e}");
        }
    }

    #[test]
    fn an_unreachable_redis_without_fallback_is_no_cache_and_no_stall() {
        // Port 1 on loopback: nothing listens there; connecting is refused at once.
        let mut cfg = Config::new("k", "s").unwrap();
        cfg.set("cache_timeout_ms", "200").unwrap();
        cfg.set("cache_fallback_file", "none").unwrap();
        let cache = RedisCache::open("redis://:hunter2@127.0.0.1:1/0", &cfg).unwrap();
        let t0 = Instant::now();
        let mut guard = cache.lock(&keys()).unwrap();
        assert!(guard.load().unwrap().is_none());
        let tok = Token::from_response(r#"{"access_token":"a","refresh_token":"r","expires_in":"60"}"#, None).unwrap();
        assert!(guard.store(&tok).unwrap().is_none());
        guard.forget("r").unwrap();
        drop(guard);
        assert!(t0.elapsed() < Duration::from_millis(500), "no I/O while backing off");
        assert_eq!(cache.describe(), "redis://***@127.0.0.1:1/0");
    }

    #[test]
    fn an_unreachable_redis_falls_back_to_the_hosts_file() {
        let dir = std::env::temp_dir().join(format!("tpauth-fallback-unit-{}", crate::redirect::new_state()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("fb.json");
        let mut cfg = Config::new("k", "s").unwrap();
        cfg.set("cache_timeout_ms", "200").unwrap();
        cfg.set("cache_fallback_file", file.to_str().unwrap()).unwrap();
        let a = RedisCache::open("redis://127.0.0.1:1/0", &cfg).unwrap();
        let b = RedisCache::open("redis://127.0.0.1:1/0", &cfg).unwrap();
        let tok = Token::from_response(r#"{"access_token":"a","refresh_token":"r","expires_in":"60"}"#, None).unwrap();
        assert!(a.lock(&keys()).unwrap().store(&tok).unwrap().is_none());
        // Another process of the host (another cache) reads it from the same file.
        let read = b.lock(&keys()).unwrap().load().unwrap().expect("the fallback file holds the token");
        assert_eq!(read.access_token(), "a");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
