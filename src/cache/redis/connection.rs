//! The connection behind [`super::RedisCache`]: connect (bounded by `cache_timeout_ms`), the
//! system's roots plus `ca_file` for `rediss://`, reconnect after a backoff when Redis is
//! unreachable (the cache is skipped meanwhile), and the redis crate's errors classified and
//! scrubbed of the password.

use crate::error::{Error, Result};
use crate::log::log_event;
use ::redis::{Client, Connection, ErrorKind, RedisError, RedisResult};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// The first wait before reconnecting to an unreachable Redis; doubled up to [`RECONNECT_MAX`].
pub(super) const RECONNECT_FIRST: Duration = Duration::from_millis(500);
const RECONNECT_MAX: Duration = Duration::from_secs(5);

/// What the cache and its lock watchdogs share: the client, its settings and the connection.
pub(super) struct Shared {
    pub(super) client: Client,
    /// The URL without user and password, for messages.
    pub(super) shown: String,
    /// The password as written in the URL and decoded: scrubbed from every message.
    pub(super) secrets: Vec<Zeroizing<String>>,
    pub(super) lock_ttl: Duration,
    pub(super) timeout: Duration,
    pub(super) state: Mutex<State>,
}

/// The connection and the reconnect backoff.
pub(super) struct State {
    /// The connection and the process that opened it (a forked child never uses its parent's).
    pub(super) conn: Option<(Connection, u32)>,
    /// No connection attempt before this instant (Redis was unreachable).
    pub(super) retry_at: Option<Instant>,
    pub(super) backoff: Duration,
    /// A warning said Redis is unreachable; say when it is back.
    pub(super) down: bool,
}

/// A reply the server sent (WRONGTYPE, READONLY, OOM…): the connection itself is fine.
fn is_reply_error(e: &RedisError) -> bool {
    matches!(e.kind(), ErrorKind::Server(_) | ErrorKind::Extension | ErrorKind::UnexpectedReturnType)
}

/// The server refused the URL's user or password.
pub(super) fn is_auth_error(e: &RedisError) -> bool {
    e.kind() == ErrorKind::AuthenticationFailed || matches!(e.code(), Some("WRONGPASS" | "NOAUTH" | "NOPERM"))
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

impl Shared {
    pub(super) fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The redis crate's description of `e`, without the password.
    pub(super) fn reason(&self, e: &RedisError) -> String {
        if e.is_timeout() {
            return format!("timed out after {} ms (cache_timeout_ms)", self.timeout.as_millis());
        }
        let mut text = e.to_string();
        for s in &self.secrets {
            if !s.is_empty() {
                text = text.replace(s.as_str(), "***");
            }
        }
        text
    }

    pub(super) fn connect(&self) -> RedisResult<Connection> {
        let conn = self.client.get_connection_with_timeout(self.timeout)?;
        conn.set_read_timeout(Some(self.timeout))?;
        conn.set_write_timeout(Some(self.timeout))?;
        Ok(conn)
    }

    /// Redis could not be reached (or refused us): no cache until the backoff has passed.
    pub(super) fn unavailable(&self, st: &mut State, what: &str, e: &RedisError) {
        st.conn = None;
        let wait = st.backoff;
        st.retry_at = Some(Instant::now() + wait);
        st.backoff = (wait * 2).min(RECONNECT_MAX);
        let ms = wait.as_millis();
        if is_auth_error(e) {
            log_event!(
                Error,
                "token cache {}: {what}: the Redis server refused the credentials in the URL ({}); continuing without the cache, retrying in {ms} ms",
                self.shown,
                self.reason(e)
            );
        } else if is_trust_error(e) {
            log_event!(
                Error,
                "token cache {}: {what}: the TLS handshake failed ({}): for a private CA set ca_file; continuing without the cache, retrying in {ms} ms",
                self.shown,
                self.reason(e)
            );
        } else if !st.down {
            log_event!(
                Warn,
                "token cache {}: {what}: Redis is unavailable ({}); continuing without the cache (this process keeps its own token), retrying in {ms} ms",
                self.shown,
                self.reason(e)
            );
        } else {
            log_event!(Debug, "token cache {}: {what}: Redis is still unavailable ({}); retrying in {ms} ms", self.shown, self.reason(e));
        }
        st.down = true;
    }

    /// Run `f` on the connection, connecting first if needed. `None` when Redis is unavailable (or
    /// answered with an error): the caller behaves as if there were no cache.
    pub(super) fn with<T>(&self, what: &str, mut f: impl FnMut(&mut Connection) -> RedisResult<T>) -> Option<T> {
        let mut st = self.state();
        let pid = std::process::id();
        if st.conn.as_ref().is_some_and(|(_, owner)| *owner != pid) {
            // A forked child: the socket is its parent's. Closing our copy leaves the parent's open.
            st.conn = None;
        }
        let mut fresh = false;
        loop {
            if st.conn.is_none() {
                if st.retry_at.is_some_and(|at| Instant::now() < at) {
                    return None;
                }
                match self.connect() {
                    Ok(conn) => {
                        st.conn = Some((conn, pid));
                        if st.down {
                            log_event!(Info, "token cache {}: Redis is available again; using it", self.shown);
                        }
                        st.down = false;
                        st.retry_at = None;
                        st.backoff = RECONNECT_FIRST;
                        fresh = true;
                    }
                    Err(e) => {
                        self.unavailable(&mut st, what, &e);
                        return None;
                    }
                }
            }
            let (conn, _) = st.conn.as_mut()?;
            match f(conn) {
                Ok(v) => return Some(v),
                Err(e) if is_reply_error(&e) => {
                    log_event!(
                        Warn,
                        "token cache {}: {what}: Redis answered an error ({}); skipping the cache for this step",
                        self.shown,
                        self.reason(&e)
                    );
                    return None;
                }
                Err(e) => {
                    st.conn = None;
                    if !fresh && e.is_connection_dropped() {
                        // An old connection Redis closed (a restart, an idle timeout): one new one at once.
                        fresh = true;
                        continue;
                    }
                    self.unavailable(&mut st, what, &e);
                    return None;
                }
            }
        }
    }
}
