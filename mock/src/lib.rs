//! # tpauth-mock
//!
//! A strict, in-memory imitation of Trustpilot's OAuth2 business API, for integration tests
//! without credentials. `docs/mock.md` is its specification; this crate implements it with the
//! standard library only: one thread per connection, keep-alive, `Content-Length` and chunked
//! request bodies, `TCP_NODELAY`, and every answer written with one `write`.
//!
//! ```no_run
//! let mock = tpauth_mock::MockServer::start()?;
//! println!("{} {}", mock.url(), mock.authorize_url());
//! mock.configure(serde_json::json!({"expires_in": 1})).unwrap();
//! assert_eq!(mock.stats().token_requests, 0);
//! # Ok::<(), std::io::Error>(())
//! ```

mod app;
pub mod cli;
mod http;

use app::{Route, State};
use http::{Action, ReadError, Response};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{self, BufReader};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

pub use app::{REFRESH_PATH, REVOKE_PATH, TOKEN_PATH};

/// Tokens issued, by grant type (`grants` in `GET /_mock/stats`).
///
/// ```
/// let mock = tpauth_mock::MockServer::start()?;
/// assert_eq!(mock.stats().grants, tpauth_mock::Grants::default()); // nothing issued yet
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Grants {
    /// `grant_type=password`.
    pub password: u64,
    /// `grant_type=client_credentials`.
    pub client_credentials: u64,
    /// `grant_type=authorization_code`.
    pub authorization_code: u64,
    /// `grant_type=refresh_token`, on either endpoint.
    pub refresh_token: u64,
}

/// The mock's counters (`GET /_mock/stats`): what a test asserts, e.g. how many token requests
/// a burst of callers made.
///
/// ```
/// let mock = tpauth_mock::MockServer::start()?;
/// let stats = mock.stats();
/// assert_eq!((stats.token_requests, stats.api_requests), (0, 0));
/// assert_eq!(stats.to_json()["grants"]["password"], 0);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Every POST to `accesstoken` and `refresh`, answered with a fault or not.
    pub token_requests: u64,
    /// Tokens issued, by grant.
    pub grants: Grants,
    /// Requests to `revoke`.
    pub revoke_requests: u64,
    /// Requests to the API (any path that is not a token endpoint, `/authenticate` or `/_mock/`).
    pub api_requests: u64,
    /// 401 answers of the API.
    pub api_401: u64,
    /// TCP connections that carried at least one request other than a control request since
    /// the last reset (keep-alive reuse counts once).
    pub connections: u64,
    /// Requests other than control requests (`/_mock/…`).
    pub requests: u64,
}

impl Stats {
    /// The JSON answer of `GET /_mock/stats`.
    pub fn to_json(&self) -> Value {
        json!({
            "token_requests": self.token_requests,
            "grants": {
                "password": self.grants.password,
                "client_credentials": self.grants.client_credentials,
                "authorization_code": self.grants.authorization_code,
                "refresh_token": self.grants.refresh_token,
            },
            "revoke_requests": self.revoke_requests,
            "api_requests": self.api_requests,
            "api_401": self.api_401,
            "connections": self.connections,
            "requests": self.requests,
        })
    }
}

/// One request as the mock received it (`GET /_mock/last_token_request`): the exact bytes a
/// client put on the wire, for tests of headers and form bodies.
///
/// ```no_run
/// # let mock = tpauth_mock::MockServer::start()?;
/// // ... after a password grant against the mock ...
/// let req = mock.last_token_request().expect("a token request");
/// assert_eq!(req.header("content-type"), Some("application/x-www-form-urlencoded"));
/// assert!(req.body.starts_with("grant_type=password&"));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The method, e.g. `POST`.
    pub method: String,
    /// The path with its query, as sent.
    pub path: String,
    /// Header names lower-cased, in the order sent.
    pub headers: Vec<(String, String)>,
    /// The body (lossy UTF-8).
    pub body: String,
}

impl RecordedRequest {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    /// The JSON form: `{"method":…,"path":…,"headers":[[name,value],…],"body":"…"}`.
    pub fn to_json(&self) -> Value {
        json!({
            "method": self.method,
            "path": self.path,
            "headers": self.headers.iter().map(|(n, v)| json!([n, v])).collect::<Vec<_>>(),
            "body": self.body,
        })
    }
}

/// What a fault does (`kind` in `POST /_mock/fault`).
///
/// ```
/// use tpauth_mock::FaultKind;
/// assert_eq!(FaultKind::TooManyRequests.name(), "429");
/// assert_eq!(FaultKind::from_name("html_500"), Some(FaultKind::Html500));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// `429`: 429, `{"error":"too_many_requests"}`, `Retry-After` when given.
    TooManyRequests,
    /// `html_500`: 500 with an HTML page.
    Html500,
    /// `503`: 503 with an empty body.
    ServiceUnavailable,
    /// `reset`: no answer, the connection is closed with a TCP RST.
    Reset,
    /// `truncated`: a `Content-Length` larger than the body, then close.
    Truncated,
    /// `garbage`: 200, `text/plain`, not JSON.
    Garbage,
    /// `no_access_token`: 200, JSON without `access_token`.
    NoAccessToken,
    /// `slow`: waits `delay_ms` (default 2000), then answers normally.
    Slow,
    /// `big_body`: `status` (default 200) with a `size`-byte JSON-ish body, `Retry-After` when
    /// given.
    BigBody,
    /// `401`: the API answers 401 as for an expired token (a token endpoint: 401 `invalid_client`).
    Unauthorized,
    /// `echo_request`: answers `status` (default 400) with the whole request (request line,
    /// headers, body) echoed into `error_description` of an OAuth error (`error` is
    /// `invalid_request`), as a careless server or gateway does; `Retry-After` when given.
    EchoRequest,
}

impl FaultKind {
    /// The kind's name in `POST /_mock/fault`.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::TooManyRequests => "429",
            FaultKind::Html500 => "html_500",
            FaultKind::ServiceUnavailable => "503",
            FaultKind::Reset => "reset",
            FaultKind::Truncated => "truncated",
            FaultKind::Garbage => "garbage",
            FaultKind::NoAccessToken => "no_access_token",
            FaultKind::Slow => "slow",
            FaultKind::BigBody => "big_body",
            FaultKind::Unauthorized => "401",
            FaultKind::EchoRequest => "echo_request",
        }
    }

    /// The kind with this name.
    pub fn from_name(name: &str) -> Option<FaultKind> {
        Some(match name {
            "429" => FaultKind::TooManyRequests,
            "html_500" => FaultKind::Html500,
            "503" => FaultKind::ServiceUnavailable,
            "reset" => FaultKind::Reset,
            "truncated" => FaultKind::Truncated,
            "garbage" => FaultKind::Garbage,
            "no_access_token" => FaultKind::NoAccessToken,
            "slow" => FaultKind::Slow,
            "big_body" => FaultKind::BigBody,
            "401" => FaultKind::Unauthorized,
            "echo_request" => FaultKind::EchoRequest,
            _ => return None,
        })
    }
}

/// Which requests a fault applies to (`target` in `POST /_mock/fault`).
///
/// ```
/// use tpauth_mock::{Fault, FaultKind, FaultTarget};
/// let f = Fault::new(FaultKind::ServiceUnavailable).target(FaultTarget::Api);
/// assert_eq!(f.to_json()["target"], "api");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultTarget {
    /// `token`: the accesstoken, refresh and revoke endpoints.
    Token,
    /// `api`: the API (any other path).
    Api,
    /// `any`: every request except control requests.
    Any,
}

impl FaultTarget {
    fn name(self) -> &'static str {
        match self {
            FaultTarget::Token => "token",
            FaultTarget::Api => "api",
            FaultTarget::Any => "any",
        }
    }
}

/// A queued fault: the next `count` matching requests get it.
///
/// ```
/// use tpauth_mock::{Fault, FaultKind, MockServer};
/// let mock = MockServer::start()?;
/// // The next two token requests get 429 with Retry-After: 1.
/// mock.fault(Fault::new(FaultKind::TooManyRequests).retry_after("1").count(2));
/// // The same, as `POST /_mock/fault` takes it.
/// mock.fault_json(&serde_json::json!({"kind": "slow", "delay_ms": 500})).unwrap();
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// What the matching requests get.
    pub kind: FaultKind,
    /// How many matching requests get it (default 1).
    pub count: u64,
    /// Which requests match (default `token`; `api` for kind `401`).
    pub target: FaultTarget,
    /// The `Retry-After` value of a `429`, verbatim.
    pub retry_after: Option<String>,
    /// How long the request waits before it is answered, in milliseconds: 2000 by default for
    /// `slow` (which then answers normally), 0 for the other kinds (which then give their answer).
    /// `POST /_mock/release` ends every wait in progress.
    pub delay_ms: u64,
    /// The body size of `big_body`, in bytes (default 10 MiB).
    pub size: u64,
    /// The status of `echo_request` (default 400) and `big_body` (default 200).
    pub status: Option<u16>,
}

impl Fault {
    /// A fault for the next matching request, with the defaults of `POST /_mock/fault` (target
    /// `token`, except `api` for kind `401`).
    pub fn new(kind: FaultKind) -> Fault {
        let target = if kind == FaultKind::Unauthorized { FaultTarget::Api } else { FaultTarget::Token };
        let delay_ms = if kind == FaultKind::Slow { 2000 } else { 0 };
        Fault { kind, count: 1, target, retry_after: None, delay_ms, size: 10 * 1024 * 1024, status: None }
    }

    /// The next `count` matching requests get the fault.
    #[must_use]
    pub fn count(mut self, count: u64) -> Fault {
        self.count = count;
        self
    }

    /// Which requests match.
    #[must_use]
    pub fn target(mut self, target: FaultTarget) -> Fault {
        self.target = target;
        self
    }

    /// The `Retry-After` value sent with a `429` (or `big_body`, `echo_request`), verbatim.
    #[must_use]
    pub fn retry_after(mut self, retry_after: &str) -> Fault {
        self.retry_after = Some(retry_after.to_owned());
        self
    }

    /// How long `slow` waits before answering.
    #[must_use]
    pub fn delay_ms(mut self, delay_ms: u64) -> Fault {
        self.delay_ms = delay_ms;
        self
    }

    /// The body size of `big_body`, in bytes.
    #[must_use]
    pub fn size(mut self, size: u64) -> Fault {
        self.size = size;
        self
    }

    /// The status `echo_request` or `big_body` answers with.
    #[must_use]
    pub fn status(mut self, status: u16) -> Fault {
        self.status = Some(status);
        self
    }

    /// Parse the body of `POST /_mock/fault`. Numbers may be given as JSON numbers or strings.
    pub fn from_json(spec: &Value) -> Result<Fault, String> {
        let obj = spec.as_object().ok_or("a fault must be a JSON object")?;
        let text = |k: &str| -> Option<String> {
            match obj.get(k)? {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            }
        };
        let number = |k: &str| -> Result<Option<u64>, String> {
            match obj.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v
                    .as_u64()
                    .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                    .map(Some)
                    .ok_or_else(|| format!("fault key {k}: expected a non-negative integer")),
            }
        };
        let kind_name = text("kind").ok_or("fault kind is missing")?;
        let kind = FaultKind::from_name(&kind_name).ok_or_else(|| {
            format!(
                "unknown fault kind {kind_name:?} (429, html_500, 503, reset, truncated, garbage, no_access_token, slow, big_body, 401, echo_request)"
            )
        })?;
        let mut f = Fault::new(kind);
        for k in obj.keys() {
            if !["kind", "count", "target", "retry_after", "delay_ms", "size", "status"].contains(&k.as_str()) {
                return Err(format!("unknown fault key {k:?}"));
            }
        }
        if let Some(c) = number("count")? {
            if c == 0 {
                return Err("fault count must be at least 1".into());
            }
            f.count = c;
        }
        if let Some(t) = obj.get("target").filter(|v| !v.is_null()) {
            f.target = match t.as_str() {
                Some("token") => FaultTarget::Token,
                Some("api") => FaultTarget::Api,
                Some("any") => FaultTarget::Any,
                _ => return Err(format!("fault target must be token, api or any, not {t}")),
            };
        }
        f.retry_after = text("retry_after");
        if let Some(d) = number("delay_ms")? {
            f.delay_ms = d;
        }
        if let Some(s) = number("size")? {
            f.size = s;
        }
        if let Some(s) = number("status")? {
            f.status = Some(u16::try_from(s).ok().filter(|s| (100..=599).contains(s)).ok_or("fault status must be 100 to 599")?);
        }
        Ok(f)
    }

    /// The JSON form (as `POST /_mock/fault` takes it).
    pub fn to_json(&self) -> Value {
        json!({
            "kind": self.kind.name(), "count": self.count, "target": self.target.name(),
            "retry_after": self.retry_after, "delay_ms": self.delay_ms, "size": self.size, "status": self.status,
        })
    }
}

struct Shared {
    state: Mutex<State>,
    /// Signalled by `POST /_mock/release` and by a reset: requests waiting in a fault's delay
    /// answer at once.
    release: Condvar,
    stop: AtomicBool,
    conns: Mutex<HashMap<u64, TcpStream>>,
    next_conn: AtomicU64,
    verbose: AtomicBool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking connection thread must not take the mock down for everyone else.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Wait `delay_ms` with the state unlocked, or less when the waiting requests are released or
    /// the mock is reset meanwhile.
    fn delay<'a>(&'a self, mut st: MutexGuard<'a, State>, delay_ms: u64) -> MutexGuard<'a, State> {
        let deadline = Instant::now() + Duration::from_millis(delay_ms);
        let (releases, generation) = (st.releases, st.generation);
        while st.releases == releases && st.generation == generation {
            let Some(left) = deadline.checked_duration_since(Instant::now()).filter(|d| !d.is_zero()) else { break };
            st = self.release.wait_timeout(st, left).unwrap_or_else(std::sync::PoisonError::into_inner).0;
        }
        st
    }

    /// End every fault's delay in progress.
    fn release_waiting(&self) {
        self.lock().releases += 1;
        self.release.notify_all();
    }

    fn reset(&self) {
        self.lock().reset();
        self.release.notify_all();
    }
}

/// A running mock server on loopback. It stops when dropped (or with [`MockServer::stop`]).
///
/// ```
/// use tpauth_mock::MockServer;
/// let mock = MockServer::start()?;
/// let api_base_url = mock.url(); // http://127.0.0.1:PORT
/// let authorize_url = mock.authorize_url(); // http://127.0.0.1:PORT/authenticate
/// mock.configure(serde_json::json!({"expires_in": 1})).unwrap(); // one-second tokens
/// // ... run the code under test with api_base_url, allow_insecure_http=true,
/// //     key mock-api-key, secret mock-api-secret, user user@example.com / mock-password ...
/// mock.expire_all(); // every token issued so far is now refused by the API
/// assert_eq!(mock.stats().token_requests, 0);
/// mock.stop();
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct MockServer {
    addr: SocketAddr,
    url: String,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl MockServer {
    /// Start on 127.0.0.1 with a free port.
    pub fn start() -> io::Result<MockServer> {
        MockServer::start_on("127.0.0.1", 0)
    }

    /// Start on `host` (an IP address or a name) and `port` (0: a free one).
    pub fn start_on(host: &str, port: u16) -> io::Result<MockServer> {
        let host_trim = host.trim_start_matches('[').trim_end_matches(']');
        let addr = (host_trim, port)
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, format!("cannot resolve {host}")))?;
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let url_host = match addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => "127.0.0.1".to_owned(),
            IpAddr::V4(ip) => ip.to_string(),
            IpAddr::V6(ip) if ip.is_unspecified() => "[::1]".to_owned(),
            IpAddr::V6(ip) => format!("[{ip}]"),
        };
        let url = format!("http://{url_host}:{}", addr.port());
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            release: Condvar::new(),
            stop: AtomicBool::new(false),
            conns: Mutex::new(HashMap::new()),
            next_conn: AtomicU64::new(0),
            verbose: AtomicBool::new(false),
        });
        let s = Arc::clone(&shared);
        let accept = thread::Builder::new().name("tpauth-mock-accept".into()).spawn(move || accept_loop(&listener, &s))?;
        Ok(MockServer { addr, url, shared, accept: Some(accept) })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`: the `api_base_url` to use.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// `http://127.0.0.1:PORT/authenticate`: the `authorize_url` to use.
    pub fn authorize_url(&self) -> String {
        format!("{}/authenticate", self.url)
    }

    /// Log one line per request (method, path without query, status) to stderr.
    pub fn set_verbose(&self, verbose: bool) {
        self.shared.verbose.store(verbose, Ordering::Relaxed);
    }

    /// The counters (`GET /_mock/stats`).
    pub fn stats(&self) -> Stats {
        self.shared.lock().stats
    }

    /// Counters, tokens, codes, faults and config back to the defaults (`POST /_mock/reset`).
    pub fn reset(&self) {
        self.shared.reset();
    }

    /// Answer every request waiting in a fault's delay now (`POST /_mock/release`). A test holds
    /// an answer with a long `delay_ms` until its callers are where it wants them, then releases it.
    pub fn release(&self) {
        self.shared.release_waiting();
    }

    /// Merge `patch` into the config (`POST /_mock/config`); an unknown key or a wrong type
    /// changes nothing and is an error.
    pub fn configure(&self, patch: Value) -> Result<(), String> {
        self.shared.lock().config.merge(&patch)
    }

    /// Queue a fault (`POST /_mock/fault`).
    pub fn fault(&self, fault: Fault) {
        self.shared.lock().faults.push_back(fault);
    }

    /// Queue a fault given as JSON, as `POST /_mock/fault` takes it.
    pub fn fault_json(&self, spec: &Value) -> Result<(), String> {
        let f = Fault::from_json(spec)?;
        self.fault(f);
        Ok(())
    }

    /// Expire every access token issued so far (`POST /_mock/expire`).
    pub fn expire_all(&self) {
        self.shared.lock().expire_all();
    }

    /// The last request to the accesstoken, refresh or revoke endpoints.
    pub fn last_token_request(&self) -> Option<RecordedRequest> {
        self.shared.lock().last_token_request.clone()
    }

    /// The last API request.
    pub fn last_api_request(&self) -> Option<RecordedRequest> {
        self.shared.lock().last_api_request.clone()
    }

    /// Stop accepting, close every open connection and wait for the accept thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let Some(accept) = self.accept.take() else { return };
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept().
        let wake = match self.addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), self.addr.port()),
            IpAddr::V6(ip) if ip.is_unspecified() => SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), self.addr.port()),
            _ => self.addr,
        };
        let _ = TcpStream::connect_timeout(&wake, Duration::from_secs(2));
        let _ = accept.join();
        let conns: Vec<TcpStream> =
            self.shared.conns.lock().unwrap_or_else(std::sync::PoisonError::into_inner).drain().map(|(_, s)| s).collect();
        for c in conns {
            let _ = c.shutdown(Shutdown::Both);
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer").field("url", &self.url).finish_non_exhaustive()
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        match stream {
            Ok(stream) => {
                let s = Arc::clone(shared);
                let spawned = thread::Builder::new().name("tpauth-mock-conn".into()).spawn(move || serve_connection(stream, &s));
                if spawned.is_err() {
                    thread::sleep(Duration::from_millis(10));
                }
            }
            // Out of file descriptors and the like: wait a little and go on.
            Err(_) => thread::sleep(Duration::from_millis(10)),
        }
    }
}

/// SO_LINGER 0: the next close sends a RST instead of a FIN.
#[cfg(unix)]
fn set_linger_zero(stream: &TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger { l_onoff: 1, l_linger: 0 };
    // SAFETY: a valid socket descriptor and a correctly sized `linger` value.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            std::ptr::addr_of!(linger).cast(),
            libc::socklen_t::try_from(std::mem::size_of::<libc::linger>()).unwrap_or(8),
        );
    }
}

/// Elsewhere (the Windows build of the `tpauth` command) a reset fault ends the connection with
/// a plain close: the mock's reset faults are exercised on Unix.
#[cfg(not(unix))]
fn set_linger_zero(_stream: &TcpStream) {}

fn serve_connection(stream: TcpStream, shared: &Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let id = shared.next_conn.fetch_add(1, Ordering::Relaxed);
    let Ok(mut writer) = stream.try_clone() else { return };
    if let Ok(c) = stream.try_clone() {
        shared.conns.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(id, c);
    }
    if shared.stop.load(Ordering::SeqCst) {
        shared.conns.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&id);
        return;
    }
    let mut reader = BufReader::new(stream);
    // The reset generation in which this connection was last counted.
    let mut counted: Option<u64> = None;
    loop {
        let req = match http::read_request(&mut reader, &mut writer) {
            Ok(r) => r,
            Err(ReadError::Eof | ReadError::Io) => break,
            Err(ReadError::Bad(why)) => {
                let r = Response::json(
                    400,
                    json!({"error": "invalid_request", "error_description": format!("malformed HTTP request: {why}")}).to_string(),
                );
                let _ = http::write_all(&mut writer, &r.to_bytes(false));
                break;
            }
            Err(ReadError::TooLarge) => {
                let r = Response::json(413, r#"{"error":"invalid_request","error_description":"body too large"}"#);
                let _ = http::write_all(&mut writer, &r.to_bytes(false));
                break;
            }
        };
        let resp = handle(shared, &req, &mut counted);
        if shared.verbose.load(Ordering::Relaxed) {
            eprintln!(
                "tpauth-mock: {} {} -> {}",
                req.method,
                req.path,
                if resp.action == Action::Reset { "reset".to_owned() } else { resp.status.to_string() }
            );
        }
        match resp.action {
            Action::Reset => {
                set_linger_zero(&writer);
                break;
            }
            Action::Truncated => {
                let _ = http::write_all(&mut writer, &resp.to_bytes(false));
                let _ = writer.shutdown(Shutdown::Write);
                break;
            }
            Action::Normal => {
                let keep = req.keep_alive && !resp.close;
                if http::write_all(&mut writer, &resp.to_bytes(keep)).is_err() || !keep {
                    break;
                }
            }
        }
    }
    // Every handle of the socket must be closed for the RST / FIN to go out.
    shared.conns.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&id);
}

/// The answer of a request that waited in a fault's delay while the mock was reset: it must not
/// issue a token into the next test's state (it would use up that test's expires_in_schedule
/// unseen by its counters) nor count there.
fn reset_while_waiting() -> Response {
    app::oauth_error(503, "temporarily_unavailable", "the mock was reset while this request waited")
}

fn handle(shared: &Shared, req: &http::Request, counted: &mut Option<u64>) -> Response {
    if req.path == "/_mock" || req.path.starts_with("/_mock/") {
        let resp = shared.lock().control(req);
        // A release or a reset ends the waits of the requests in a fault's delay (the others find
        // nothing changed and wait on).
        shared.release.notify_all();
        return resp;
    }
    let route = app::route(&req.path);
    let (fault, generation) = {
        let mut st = shared.lock();
        let generation = st.generation;
        st.stats.requests += 1;
        if *counted != Some(st.generation) {
            *counted = Some(st.generation);
            st.stats.connections += 1;
        }
        let recorded = || RecordedRequest {
            method: req.method.clone(),
            path: if req.query.is_empty() { req.path.clone() } else { format!("{}?{}", req.path, req.query) },
            headers: req.headers.clone(),
            body: String::from_utf8_lossy(&req.body).into_owned(),
        };
        match route {
            Route::AccessToken | Route::Refresh => {
                st.stats.token_requests += 1;
                st.last_token_request = Some(recorded());
            }
            Route::Revoke => {
                st.stats.revoke_requests += 1;
                st.last_token_request = Some(recorded());
            }
            Route::Api => {
                st.stats.api_requests += 1;
                st.last_api_request = Some(recorded());
            }
            Route::Authenticate => {}
        }
        let fault = match st.take_fault(route) {
            Some(f) => {
                if f.delay_ms > 0 {
                    st = shared.delay(st, f.delay_ms);
                }
                if st.generation != generation {
                    return reset_while_waiting();
                }
                (f.kind != FaultKind::Slow).then(|| app::fault_response(&f, route, &mut st, req))
            }
            None => None,
        };
        (fault, generation)
    };
    if let Some(resp) = fault {
        return resp;
    }
    let mut st = shared.lock();
    if st.generation != generation {
        return reset_while_waiting();
    }
    match route {
        Route::AccessToken | Route::Refresh | Route::Revoke => st.token_endpoint(route, req),
        Route::Authenticate => st.authenticate(req),
        Route::Api => st.api(req),
    }
}
