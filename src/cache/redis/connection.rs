//! The connection behind [`super::RedisCache`], for every topology: one server, a Cluster (the
//! redis crate's sync `ClusterConnection`) or the master Sentinels name (its `SentinelClient`).
//!
//! - **Deadlines.** Every operation (a connect, then one command or script) runs on a short-lived
//!   helper thread, and the caller waits for it at most `cache_timeout_ms` per step; the helper
//!   sets the socket timeouts to the time left before each command. A server that drips its answer
//!   a byte at a time, or a Sentinel or cluster node the crate waits for without a timeout, costs
//!   the caller its deadline and never holds a lock: the connection belongs to the helper until it
//!   returns, and is then dropped. At most [`MAX_IN_FLIGHT`] helpers live per cache; beyond that
//!   Redis counts as unavailable.
//! - **Credentials.** `cache_password_file` (and `cache_sentinel_password_file`) are read at every
//!   connect, so a rotated password or a cloud IAM token is picked up by the next connection. A
//!   connection the server later refuses (a rotation took its password) is dropped and the next
//!   operation connects with the file's new content.
//! - **Unavailable.** A failed connect or a dead connection makes Redis unavailable for a backoff
//!   (0.5 s doubling to 5 s, no I/O meanwhile); the cache falls back to the host's file then.
//! - **Secrets.** Every message goes through [`Shared::reason`], which hides the passwords (as
//!   written in the URL, decoded, and as read from the files).

use super::target::{Target, Topology};
use crate::error::{Error, Result};
use crate::log::log_event;
#[cfg(feature = "redis-cluster")]
use ::redis::cluster::{ClusterClientBuilder, ClusterConnection};
#[cfg(feature = "redis-sentinel")]
use ::redis::sentinel::{SentinelClientBuilder, SentinelServerType};
#[cfg(any(feature = "redis-cluster", feature = "redis-sentinel"))]
use ::redis::TlsMode;
use ::redis::{
    Client, Cmd, Connection, ConnectionAddr, ConnectionLike, ErrorKind, FromRedisValue, IntoConnectionInfo, RedisConnectionInfo,
    RedisError, RedisResult, TlsCertificates, Value,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// The first wait before reconnecting to an unreachable Redis; doubled up to [`RECONNECT_MAX`].
pub(super) const RECONNECT_FIRST: Duration = Duration::from_millis(500);
const RECONNECT_MAX: Duration = Duration::from_secs(5);
/// Helper threads alive at once per cache (a renewal, its lock's watchdog, an explicit grant's
/// write, and one abandoned to a server that stopped answering). Beyond this, no new I/O.
const MAX_IN_FLIGHT: usize = 4;

/// A live connection to whichever topology the URL names.
pub(super) enum Conn {
    /// One server, or the master Sentinels named.
    Node(Connection),
    /// A Cluster: one connection per node, commands routed by their key's slot.
    #[cfg(feature = "redis-cluster")]
    Cluster(Box<ClusterConnection>),
}

impl Conn {
    pub(super) fn like(&mut self) -> &mut dyn ConnectionLike {
        match self {
            Conn::Node(c) => c,
            #[cfg(feature = "redis-cluster")]
            Conn::Cluster(c) => &mut **c,
        }
    }

    fn set_timeouts(&self, d: Duration) -> RedisResult<()> {
        let d = d.max(Duration::from_millis(1));
        match self {
            Conn::Node(c) => {
                c.set_read_timeout(Some(d))?;
                c.set_write_timeout(Some(d))
            }
            #[cfg(feature = "redis-cluster")]
            Conn::Cluster(c) => {
                c.set_read_timeout(Some(d))?;
                c.set_write_timeout(Some(d))
            }
        }
    }
}

/// What the cache, its lock watchdogs and the helper threads share.
pub(super) struct Shared {
    target: Target,
    /// The system's roots plus `ca_file`, for TLS (PEM); `None` for the system's roots alone.
    roots: Option<Vec<u8>>,
    password_file: Option<String>,
    #[cfg_attr(not(feature = "redis-sentinel"), allow(dead_code))]
    sentinel_password_file: Option<String>,
    /// The URL without user and password, for messages.
    pub(super) shown: String,
    /// Every password seen (URL, files): scrubbed from every message.
    secrets: Mutex<Vec<Zeroizing<String>>>,
    pub(super) lock_ttl: Duration,
    pub(super) timeout: Duration,
    state: Mutex<State>,
    in_flight: Arc<AtomicUsize>,
}

/// The idle connection and the reconnect backoff.
struct State {
    /// A connection between two operations, and the process that opened it (a forked child
    /// never uses its parent's).
    idle: Option<(Conn, u32)>,
    /// No connection attempt before this instant (Redis was unreachable).
    retry_at: Option<Instant>,
    backoff: Duration,
    /// A warning said Redis is unavailable; say when it is back.
    down: bool,
}

/// A reply the server sent (WRONGTYPE, NOPERM, OOM…): the connection itself is fine.
fn is_reply_error(e: &RedisError) -> bool {
    matches!(e.kind(), ErrorKind::Server(_) | ErrorKind::Extension | ErrorKind::UnexpectedReturnType)
        && !is_auth_error(e)
        && !needs_new_node(e)
}

/// A Cluster slot is being moved between masters, once the redis crate's own few retries are
/// spent: the keys of a multi-key script are not all on one node yet (`TRYAGAIN`), or the last
/// retry was redirected again (`ASK` to the importing node, which answers `TRYAGAIN`; `MOVED`
/// while the masters learn the new owner). The identity's lock is usually absent, so its lock and
/// write scripts get these for the whole migration: a wait, not a refusal.
fn is_slot_migrating(e: &RedisError) -> bool {
    matches!(e.code(), Some("TRYAGAIN" | "ASK" | "MOVED"))
}

/// The node is no longer the master (a Sentinel failover demoted it): reconnect, which asks the
/// Sentinels again. (A Cluster connection follows such changes itself.)
fn needs_new_node(e: &RedisError) -> bool {
    matches!(e.code(), Some("READONLY" | "MASTERDOWN"))
}

/// The server refused the user or password (a Cluster reports it inside its "failed to connect
/// to each node" error, as text).
pub(super) fn is_auth_error(e: &RedisError) -> bool {
    let text = e.to_string();
    e.kind() == ErrorKind::AuthenticationFailed
        || matches!(e.code(), Some("WRONGPASS" | "NOAUTH"))
        || text.contains("WRONGPASS")
        || text.contains("Password authentication failed")
}

/// The server's certificate is not trusted (rustls's "invalid peer certificate: …").
pub(super) fn is_trust_error(e: &RedisError) -> bool {
    e.to_string().contains("invalid peer certificate")
}

/// The system's roots plus the `ca_file` bundle, as one PEM text (the redis crate takes the roots
/// of a TLS connection as PEM, and replaces the system store with them).
pub(super) fn roots_pem(ca_file: &str) -> Result<Vec<u8>> {
    use base64::Engine as _;
    let extra = std::fs::read(ca_file).map_err(|e| Error::invalid_argument(format!("ca_file {ca_file:?}: cannot read it: {e}")))?;
    let mut pem = String::new();
    let mut check = rustls::RootCertStore::empty();
    for der in crate::roots::system_roots() {
        // Only what rustls accepts as a trust anchor: one odd system certificate must not make the
        // redis crate refuse the whole bundle.
        if check.add(der.clone()).is_err() {
            continue;
        }
        pem.push_str("-----BEGIN CERTIFICATE-----\n");
        let b64 = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
        for line in b64.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).unwrap_or_default());
            pem.push('\n');
        }
        pem.push_str("-----END CERTIFICATE-----\n");
    }
    let mut out = pem.into_bytes();
    out.extend_from_slice(&extra);
    out.push(b'\n');
    Ok(out)
}

/// The content of a password file: one trailing newline (`\n` or `\r\n`) is not part of it.
pub(super) fn read_password_file(option: &str, path: &str) -> std::result::Result<Zeroizing<String>, String> {
    let bytes = Zeroizing::new(std::fs::read(path).map_err(|e| format!("{option} {path:?}: cannot read it: {e}"))?);
    let text = std::str::from_utf8(&bytes).map_err(|_| format!("{option} {path:?}: not UTF-8 text"))?;
    let text = text.strip_suffix('\n').map(|t| t.strip_suffix('\r').unwrap_or(t)).unwrap_or(text);
    if text.is_empty() || text.contains(['\n', '\0']) {
        return Err(format!("{option} {path:?}: expected the password alone on one line"));
    }
    Ok(Zeroizing::new(text.to_owned()))
}

fn config_error(what: String) -> RedisError {
    RedisError::from((ErrorKind::InvalidClientConfig, "configuration", what))
}

/// What became of one operation (anything but `Ok` is already logged).
pub(super) enum Done<T> {
    /// Redis answered.
    Ok(T),
    /// Unavailable, refused the credentials or timed out: the caller goes on without Redis (the
    /// host's fallback) until the reconnect backoff has passed.
    Skipped,
    /// Redis answered an error (WRONGTYPE, NOPERM…): retrying will not help; the caller goes on
    /// without Redis for this step.
    Refused,
    /// The identity's Cluster slot is being migrated (`TRYAGAIN`): the same command succeeds once
    /// the migration is done. Going on without Redis meanwhile would make every host renew on its
    /// own with its own refresh token (all but one of them then refused): the caller waits
    /// within its deadline instead.
    Migrating,
}

impl Shared {
    pub(super) fn new(target: Target, roots: Option<Vec<u8>>, cfg: &crate::config::Config) -> Shared {
        let mut secrets = Vec::new();
        secrets.extend(target.password.clone());
        secrets.extend(target.password_raw.clone());
        Shared {
            shown: target.shown.clone(),
            target,
            roots,
            password_file: cfg.cache_password_file.clone(),
            sentinel_password_file: cfg.cache_sentinel_password_file.clone(),
            secrets: Mutex::new(secrets),
            lock_ttl: Duration::from_millis(cfg.cache_lock_ttl_ms),
            timeout: Duration::from_millis(cfg.cache_timeout_ms),
            state: Mutex::new(State { idle: None, retry_at: None, backoff: RECONNECT_FIRST, down: false }),
            in_flight: Arc::new(AtomicUsize::new(0)),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether Redis was found unreachable and has not answered since (health reports).
    pub(super) fn is_down(&self) -> bool {
        self.state().down
    }

    /// The redis crate's description of `e`, without any password.
    pub(super) fn reason(&self, e: &RedisError) -> String {
        if e.is_timeout() {
            return format!("timed out after {} ms (cache_timeout_ms)", self.timeout.as_millis());
        }
        let mut text = e.to_string();
        for s in self.secrets.lock().unwrap_or_else(PoisonError::into_inner).iter() {
            if !s.is_empty() {
                text = text.replace(s.as_str(), "***");
            }
        }
        text
    }

    fn remember_secret(&self, s: &Zeroizing<String>) {
        let mut secrets = self.secrets.lock().unwrap_or_else(PoisonError::into_inner);
        if !secrets.iter().any(|k| k.as_str() == s.as_str()) {
            // The URL's two forms, then the files' last few passwords (rotations).
            if secrets.len() > 8 {
                let oldest_file_password = 2.min(secrets.len() - 1);
                secrets.remove(oldest_file_password);
            }
            secrets.push(s.clone());
        }
    }

    /// The data nodes' password: the file's (read now), else the URL's.
    fn password(&self) -> RedisResult<Option<Zeroizing<String>>> {
        match &self.password_file {
            Some(path) => {
                let p = read_password_file("cache_password_file", path).map_err(config_error)?;
                self.remember_secret(&p);
                Ok(Some(p))
            }
            None => Ok(self.target.password.clone()),
        }
    }

    #[cfg_attr(not(feature = "redis-sentinel"), allow(dead_code))]
    fn sentinel_password(&self) -> RedisResult<Option<Zeroizing<String>>> {
        match &self.sentinel_password_file {
            Some(path) => {
                let p = read_password_file("cache_sentinel_password_file", path).map_err(config_error)?;
                self.remember_secret(&p);
                Ok(Some(p))
            }
            None => Ok(None),
        }
    }

    fn addr(&self, host: &str, port: u16) -> ConnectionAddr {
        if self.target.tls {
            ConnectionAddr::TcpTls { host: host.to_owned(), port, insecure: false, tls_params: None }
        } else {
            ConnectionAddr::Tcp(host.to_owned(), port)
        }
    }

    fn certs(&self) -> Option<TlsCertificates> {
        self.roots.as_ref().map(|pem| TlsCertificates { client_tls: None, root_cert: Some(pem.clone()) })
    }

    /// A new connection to the topology, with the passwords read now. Blocking without bounds in
    /// places (the crate's Sentinel and cluster handshakes): only ever called on a helper thread.
    fn connect(&self) -> RedisResult<Conn> {
        let t = &self.target;
        let password = self.password()?;
        match &t.topology {
            Topology::Single => {
                let (host, port) = &t.hosts[0];
                let mut redis = RedisConnectionInfo::default().set_db(t.db).set_skip_set_lib_name();
                if let Some(u) = &t.username {
                    redis = redis.set_username(u);
                }
                if let Some(p) = &password {
                    redis = redis.set_password(p.as_str());
                }
                let info = self.addr(host, *port).into_connection_info()?.set_redis_settings(redis);
                let client = match self.certs() {
                    Some(certs) if t.tls => Client::build_with_tls(info, certs)?,
                    _ => Client::open(info)?,
                };
                Ok(Conn::Node(client.get_connection_with_timeout(self.timeout)?))
            }
            Topology::Cluster => self.connect_cluster(password),
            Topology::Sentinel { master } => self.connect_sentinel(master, password),
        }
    }

    #[cfg(feature = "redis-cluster")]
    fn connect_cluster(&self, password: Option<Zeroizing<String>>) -> RedisResult<Conn> {
        let t = &self.target;
        let seeds: Vec<ConnectionAddr> = t.hosts.iter().map(|(h, p)| self.addr(h, *p)).collect();
        // Few, short retries: a MOVED or ASK during a slot migration, a TRYAGAIN or CLUSTERDOWN
        // during a failover; the caller's deadline bounds the rest.
        let mut b = ClusterClientBuilder::new(seeds)
            .connection_timeout(self.timeout)
            .response_timeout(self.timeout)
            .retries(3)
            .min_retry_wait(10)
            .max_retry_wait(200);
        if t.tls {
            b = b.tls(TlsMode::Secure);
            if let Some(certs) = self.certs() {
                b = b.certs(certs);
            }
        }
        if let Some(u) = &t.username {
            b = b.username(u);
        }
        if let Some(p) = &password {
            b = b.password(p.as_str());
        }
        Ok(Conn::Cluster(Box::new(b.build()?.get_connection()?)))
    }

    #[cfg(feature = "redis-sentinel")]
    fn connect_sentinel(&self, master: &str, password: Option<Zeroizing<String>>) -> RedisResult<Conn> {
        let t = &self.target;
        let sentinels: Vec<ConnectionAddr> = t.hosts.iter().map(|(h, p)| self.addr(h, *p)).collect();
        let mut b = SentinelClientBuilder::new(sentinels, master, SentinelServerType::Master)?.set_client_to_redis_db(t.db);
        if t.tls {
            b = b.set_client_to_redis_tls_mode(TlsMode::Secure).set_client_to_sentinel_tls_mode(TlsMode::Secure);
            if let Some(certs) = self.certs() {
                b = b.set_client_to_redis_certificates(certs.clone()).set_client_to_sentinel_certificates(certs);
            }
        }
        if let Some(u) = &t.username {
            b = b.set_client_to_redis_username(u);
        }
        if let Some(p) = &password {
            b = b.set_client_to_redis_password(p.as_str());
        }
        if let Some(p) = self.sentinel_password()? {
            b = b.set_client_to_sentinel_password(p.as_str());
        }
        let client = b.build()?.get_client()?;
        Ok(Conn::Node(client.get_connection_with_timeout(self.timeout)?))
    }

    // Builds without a topology refuse its URL when the cache is opened (target.rs).
    #[cfg(not(feature = "redis-cluster"))]
    fn connect_cluster(&self, _: Option<Zeroizing<String>>) -> RedisResult<Conn> {
        Err(config_error("this build has no Redis Cluster support".into()))
    }

    #[cfg(not(feature = "redis-sentinel"))]
    fn connect_sentinel(&self, _: &str, _: Option<Zeroizing<String>>) -> RedisResult<Conn> {
        Err(config_error("this build has no Redis Sentinel support".into()))
    }

    /// Connect now, on a helper thread, within `cache_timeout_ms`: `Err` with what went wrong
    /// (refused, untrusted, unreachable, timed out). For `RedisCache::open`, which tells a refused
    /// password apart from an unreachable server; the connection is kept for the next operation.
    pub(super) fn connect_now(self: &Arc<Self>) -> std::result::Result<(), RedisError> {
        match self.run_on_helper(None, None, self.timeout * 2) {
            Helper::Answer(Some(conn), Ok(_)) => {
                self.state().idle = Some((conn, std::process::id()));
                Ok(())
            }
            Helper::Answer(_, Err(e)) => Err(e),
            Helper::Answer(None, Ok(_)) => Ok(()),
            Helper::Late => Err(RedisError::from(std::io::Error::new(std::io::ErrorKind::TimedOut, "timed out"))),
            Helper::Busy => Err(RedisError::from((ErrorKind::Client, "too many operations in flight"))),
        }
    }

    /// Before a renewal takes the lock: with Sentinels, forget the connection, so that the next
    /// operation asks them for the master again. After a failover the old master accepts writes
    /// until the Sentinels demote it (up to their 10 s INFO period), and writes made there are
    /// lost; a renewal starts on the master the Sentinels name now.
    pub(super) fn rediscover(&self) {
        if matches!(self.target.topology, Topology::Sentinel { .. }) {
            self.state().idle = None;
        }
    }

    /// Redis could not be reached (or refused us): no I/O until the backoff has passed.
    fn unavailable(&self, what: &str, e: &RedisError) {
        let mut st = self.state();
        st.idle = None;
        let wait = st.backoff;
        st.retry_at = Some(Instant::now() + wait);
        st.backoff = (wait * 2).min(RECONNECT_MAX);
        let first = !st.down;
        st.down = true;
        drop(st);
        let ms = wait.as_millis();
        let reason = self.reason(e);
        if is_auth_error(e) {
            log_event!(
                Error,
                "token cache {}: {what}: the Redis server refused the credentials ({reason}); check the user and password (token_cache, cache_password_file); continuing without the cache, retrying in {ms} ms",
                self.shown
            );
        } else if is_trust_error(e) {
            log_event!(
                Error,
                "token cache {}: {what}: the TLS handshake failed ({reason}): for a private CA set ca_file; continuing without the cache, retrying in {ms} ms",
                self.shown
            );
        } else if first {
            log_event!(
                Warn,
                "token cache {}: {what}: Redis is unavailable ({reason}); using the host's fallback (or this process's own token), retrying in {ms} ms",
                self.shown
            );
        } else {
            log_event!(Debug, "token cache {}: {what}: Redis is still unavailable ({reason}); retrying in {ms} ms", self.shown);
        }
    }

    /// Run `command` on a connection (the idle one, or a new one), on a helper thread the caller
    /// waits for at most `cache_timeout_ms` (twice that when it has to connect first), and read its
    /// answer as a `T` (an answer of another shape counts as an error answer). One command per
    /// operation: every operation of the cache is one command or one script.
    pub(super) fn with<T: FromRedisValue>(self: &Arc<Self>, what: &str, command: Cmd) -> Done<T> {
        match self.run(what, command) {
            Done::Ok(v) => match ::redis::from_redis_value::<T>(v) {
                Ok(t) => Done::Ok(t),
                // Never the answer itself in the message: it may hold a token.
                Err(_) => {
                    log_event!(
                        Warn,
                        "token cache {}: {what}: Redis answered with an unexpected type; skipping the cache for this step",
                        self.shown
                    );
                    Done::Refused
                }
            },
            Done::Skipped => Done::Skipped,
            Done::Refused => Done::Refused,
            Done::Migrating => Done::Migrating,
        }
    }

    fn run(self: &Arc<Self>, what: &str, command: Cmd) -> Done<Value> {
        let command = Arc::new(command);
        let pid = std::process::id();
        // One retry on a fresh connection when the idle one turns out dead (a restart, an idle
        // timeout) or no longer master.
        for attempt in 0..2 {
            let idle = {
                let mut st = self.state();
                match st.idle.take() {
                    Some((conn, owner)) if owner == pid => Some(conn),
                    // A forked child: the socket is its parent's. Dropping our copy leaves the parent's open.
                    Some(_) => None,
                    None if st.retry_at.is_some_and(|at| Instant::now() < at) => return Done::Skipped,
                    None => None,
                }
            };
            let reused = idle.is_some();
            let wait = if reused { self.timeout } else { self.timeout * 2 };
            match self.run_on_helper(idle, Some(command.clone()), wait) {
                Helper::Answer(conn, Ok(v)) => {
                    let mut st = self.state();
                    if st.down {
                        log_event!(Info, "token cache {}: Redis is available again; using it", self.shown);
                    }
                    st.down = false;
                    st.retry_at = None;
                    st.backoff = RECONNECT_FIRST;
                    if st.idle.is_none() {
                        st.idle = conn.map(|c| (c, pid));
                    }
                    return Done::Ok(v);
                }
                Helper::Answer(conn, Err(e)) if is_slot_migrating(&e) => {
                    if let Some(c) = conn {
                        let mut st = self.state();
                        if st.idle.is_none() {
                            st.idle = Some((c, pid));
                        }
                    }
                    log_event!(
                        Debug,
                        "token cache {}: {what}: the slot is being migrated ({}); trying again shortly",
                        self.shown,
                        self.reason(&e)
                    );
                    return Done::Migrating;
                }
                Helper::Answer(conn, Err(e)) if is_reply_error(&e) => {
                    if let Some(c) = conn {
                        let mut st = self.state();
                        if st.idle.is_none() {
                            st.idle = Some((c, pid));
                        }
                    }
                    log_event!(
                        Warn,
                        "token cache {}: {what}: Redis answered an error ({}); skipping the cache for this step",
                        self.shown,
                        self.reason(&e)
                    );
                    return Done::Refused;
                }
                Helper::Answer(_, Err(e))
                    if attempt == 0 && reused && (e.is_connection_dropped() || needs_new_node(&e) || is_auth_error(&e)) =>
                {
                    // A connection Redis closed, a demoted master, or a password rotated since
                    // this connection was made: one new connection at once (files read again).
                    log_event!(Debug, "token cache {}: {what}: reconnecting ({})", self.shown, self.reason(&e));
                    continue;
                }
                Helper::Answer(_, Err(e)) => {
                    self.unavailable(what, &e);
                    return Done::Skipped;
                }
                Helper::Late => {
                    let e = RedisError::from(std::io::Error::new(std::io::ErrorKind::TimedOut, "no answer in time"));
                    self.unavailable(what, &e);
                    return Done::Skipped;
                }
                Helper::Busy => {
                    log_event!(
                        Warn,
                        "token cache {}: {what}: {MAX_IN_FLIGHT} Redis operations are still waiting for answers; skipping the cache for this step",
                        self.shown
                    );
                    return Done::Skipped;
                }
            }
        }
        Done::Skipped
    }

    /// Run `command` (none: just connect) on a helper thread with `conn` (or a new connection),
    /// waiting at most `wait`.
    fn run_on_helper(self: &Arc<Self>, conn: Option<Conn>, command: Option<Arc<Cmd>>, wait: Duration) -> Helper {
        if self.in_flight.fetch_add(1, Ordering::SeqCst) >= MAX_IN_FLIGHT {
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            return Helper::Busy;
        }
        let deadline = Instant::now() + wait;
        let (tx, rx) = mpsc::sync_channel(1);
        let shared = self.clone();
        let in_flight = self.in_flight.clone();
        let spawned = std::thread::Builder::new().name("tpauth-redis-io".into()).stack_size(512 * 1024).spawn(move || {
            let answer = (|| {
                let mut conn = match conn {
                    Some(c) => c,
                    None => shared.connect()?,
                };
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(RedisError::from(std::io::Error::new(std::io::ErrorKind::TimedOut, "no time left")));
                }
                // The socket timeouts shrink to the time left, so that a silent server frees this
                // thread soon after the caller stopped waiting.
                conn.set_timeouts(left)?;
                let r = match &command {
                    Some(c) => c.query::<Value>(conn.like()),
                    None => Ok(Value::Nil),
                };
                Ok((conn, r))
            })();
            let _ = tx.send(answer);
            in_flight.fetch_sub(1, Ordering::SeqCst);
        });
        if let Err(e) = spawned {
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            return Helper::Answer(None, Err(RedisError::from(e)));
        }
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(Ok((conn, r))) => {
                // An answer with an I/O error leaves the connection unusable.
                let keep = match &r {
                    Ok(_) => true,
                    Err(e) => is_reply_error(e),
                };
                Helper::Answer(keep.then_some(conn), r)
            }
            Ok(Err(e)) => Helper::Answer(None, Err(e)),
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => Helper::Late,
        }
    }
}

/// What a helper thread gave back in time.
enum Helper {
    /// The connection (if still usable) and the command's answer.
    Answer(Option<Conn>, RedisResult<Value>),
    /// No answer before the deadline: the helper keeps (then drops) the connection.
    Late,
    /// Too many helpers alive.
    Busy,
}
