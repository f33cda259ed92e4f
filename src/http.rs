//! HTTP over one ureq agent per client: keep-alive connection reuse, `TCP_NODELAY` (ureq's default,
//! so headers and body never wait 40 ms on Nagle), both timeouts, the system trust store plus
//! `ca_file`, a proxy, a response-size cap, https enforced, and CR/LF refused in header values.
//!
//! A request that fails on a reused keep-alive connection before any byte of the answer arrived is
//! sent once more on a fresh connection, as curl, browsers and hyper do: a server or load balancer
//! closes idle connections on its own schedule (node's http server after 5 s, most balancers after
//! 60 s), and a request written at that moment meets a closed socket. Why that is safe for every
//! request kind, and how a code exchange the server may have processed is reported, is said at
//! [`Http::send`].

mod stream;

use crate::config::Config;
use crate::error::{Error, Result, Status};
use crate::log::log_event;
use crate::url::{check_url, is_loopback_host, redact_url, scheme_host};
use std::cell::Cell;
use std::collections::HashMap;
use std::io::ErrorKind;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use ureq::http::Uri;
use ureq::tls::{RootCerts, TlsConfig};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{Buffers, ConnectionDetails, Connector, DefaultConnector, NextTimeout, Transport};

/// How long a resolved address is reused.
const DNS_TTL: Duration = Duration::from_secs(60);

/// ureq resolves the host on every request, even when a pooled connection will be reused, and with
/// a timeout set it spawns a thread for each lookup. This resolver answers IP literals directly and
/// remembers host names for a minute, so a warm request costs no thread and no getaddrinfo.
#[derive(Debug, Default)]
struct CachingResolver {
    inner: DefaultResolver,
    cache: Mutex<HashMap<String, (Instant, ResolvedSocketAddrs)>>,
}

impl Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> std::result::Result<ResolvedSocketAddrs, ureq::Error> {
        let (Some(scheme), Some(authority)) = (uri.scheme(), uri.authority()) else {
            return self.inner.resolve(uri, config, timeout);
        };
        let Some(key) = DefaultResolver::host_and_port(scheme, authority) else {
            return self.inner.resolve(uri, config, timeout);
        };
        let host = authority.host().trim_start_matches('[').trim_end_matches(']');
        if let (Ok(ip), Some(port)) = (host.parse::<IpAddr>(), key.rsplit(':').next().and_then(|p| p.parse::<u16>().ok())) {
            let mut addrs = self.empty();
            addrs.push(SocketAddr::new(ip, port));
            return Ok(addrs);
        }
        let mut cache = self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((at, addrs)) = cache.get(&key) {
            if at.elapsed() < DNS_TTL {
                return Ok(addrs.clone());
            }
        }
        drop(cache);
        let addrs = self.inner.resolve(uri, config, timeout)?;
        cache = self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        cache.insert(key, (Instant::now(), addrs.clone()));
        Ok(addrs)
    }
}

/// What became of the request this thread is sending (ureq runs a request on the caller's thread,
/// from connecting to reading the answer's head).
#[derive(Clone, Copy, Default)]
struct Attempt {
    /// A new connection was opened for it (else it went out on a pooled, reused one).
    connected: bool,
    /// At least one byte of the answer arrived.
    answered: bool,
}

thread_local! {
    static ATTEMPT: Cell<Attempt> = const { Cell::new(Attempt { connected: false, answered: false }) };
}

fn note_attempt(f: impl FnOnce(&mut Attempt)) {
    ATTEMPT.with(|a| {
        let mut v = a.get();
        f(&mut v);
        a.set(v);
    });
}

/// ureq's connector chain, noting on the calling thread when it opens a connection.
#[derive(Debug, Default)]
struct Tracked(DefaultConnector);

impl Connector for Tracked {
    type Out = TrackedTransport;

    fn connect(&self, details: &ConnectionDetails, chained: Option<()>) -> std::result::Result<Option<TrackedTransport>, ureq::Error> {
        let transport = self.0.connect(details, chained)?;
        if transport.is_some() {
            note_attempt(|a| a.connected = true);
        }
        Ok(transport.map(TrackedTransport))
    }
}

/// A connection that notes on the calling thread when an answer's first bytes arrive.
#[derive(Debug)]
struct TrackedTransport(Box<dyn Transport>);

impl Transport for TrackedTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.0.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> std::result::Result<(), ureq::Error> {
        self.0.transmit_output(amount, timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> std::result::Result<bool, ureq::Error> {
        let outcome = self.0.await_input(timeout);
        if !self.0.buffers().input().is_empty() {
            note_attempt(|a| a.answered = true);
        }
        outcome
    }

    fn is_open(&mut self) -> bool {
        self.0.is_open()
    }

    fn is_tls(&self) -> bool {
        self.0.is_tls()
    }
}

/// Whether a failed request met a stale keep-alive connection: it went out on a reused connection,
/// no byte of an answer came back, and the failure is the connection's (reset, closed, broken
/// pipe), not a timeout (a server that is slow may be working on the request).
fn stale_connection(e: &ureq::Error, attempt: Attempt) -> bool {
    if attempt.connected || attempt.answered {
        return false;
    }
    match e {
        ureq::Error::Io(io) => matches!(
            io.kind(),
            ErrorKind::ConnectionReset
                | ErrorKind::ConnectionAborted
                | ErrorKind::BrokenPipe
                | ErrorKind::UnexpectedEof
                | ErrorKind::NotConnected
        ),
        ureq::Error::Protocol(_) => true,
        _ => false,
    }
}

/// One HTTP answer, body read (up to the cap).
pub(crate) struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The request was sent twice: the first time on a reused connection that closed before any
    /// byte of an answer. A single-use request (a code exchange) may have been processed then.
    pub resent: bool,
}

impl HttpResponse {
    /// The first value of a header (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// The client's transport.
pub(crate) struct Http {
    agent: ureq::Agent,
    no_roots: bool,
    allow_insecure_http: bool,
    max_response_bytes: u64,
}

/// The roots every client trusts: the system's trust store (src/roots.rs), read and converted once per process
/// (reading /etc/ssl/certs takes milliseconds, and a copy per client would cost ~170 KB each).
fn system_roots() -> &'static Arc<Vec<ureq::tls::Certificate<'static>>> {
    static ROOTS: OnceLock<Arc<Vec<ureq::tls::Certificate<'static>>>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let native = crate::roots::system_roots();
        Arc::new(native.iter().map(|der| ureq::tls::Certificate::from_der(der.as_ref()).to_owned()).collect())
    })
}

fn load_ca_file(path: &str) -> Result<Vec<rustls_pki_types::CertificateDer<'static>>> {
    use rustls_pki_types::pem::PemObject;
    let data = std::fs::read(path).map_err(|e| Error::invalid_argument(format!("ca_file {path:?}: cannot read it: {}", io_reason(&e))))?;
    let certs: Vec<_> = rustls_pki_types::CertificateDer::pem_slice_iter(&data)
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| Error::invalid_argument(format!("ca_file {path:?}: not a PEM certificate bundle")))?;
    if certs.is_empty() {
        return Err(Error::invalid_argument(format!("ca_file {path:?}: contains no PEM certificate")));
    }
    Ok(certs)
}

/// Whether the proxy should be bypassed for `host` (loopback, or listed in `NO_PROXY`).
fn bypass_proxy(host: &str) -> bool {
    if is_loopback_host(host) {
        return true;
    }
    let no_proxy = std::env::var("NO_PROXY").or_else(|_| std::env::var("no_proxy")).unwrap_or_default();
    no_proxy.split(',').map(str::trim).filter(|s| !s.is_empty()).any(|pat| {
        pat == "*" || {
            let p = pat.trim_start_matches('.');
            host.eq_ignore_ascii_case(p) || host.to_ascii_lowercase().ends_with(&format!(".{}", p.to_ascii_lowercase()))
        }
    })
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        ErrorKind::NotFound => "not found".into(),
        ErrorKind::PermissionDenied => "permission denied".into(),
        ErrorKind::ConnectionRefused => "connection refused".into(),
        ErrorKind::ConnectionReset => "connection reset by peer".into(),
        ErrorKind::ConnectionAborted => "connection aborted".into(),
        ErrorKind::UnexpectedEof => "connection closed before the whole answer arrived (truncated)".into(),
        ErrorKind::BrokenPipe => "connection closed by peer (broken pipe)".into(),
        _ => e.to_string(),
    }
}

impl Http {
    pub fn new(cfg: &Config) -> Result<Http> {
        let mut roots = system_roots().clone();
        if let Some(ca) = &cfg.ca_file {
            let extra = load_ca_file(ca)?;
            let mut all = Vec::clone(&roots);
            all.extend(extra.iter().map(|der| ureq::tls::Certificate::from_der(der.as_ref()).to_owned()));
            roots = Arc::new(all);
        }
        // No built-in root bundle (it would add 250 KB to every binary): a host without a CA bundle
        // (a minimal container) needs the ca-certificates package or `ca_file`, and is told so.
        let no_roots = roots.is_empty();
        if no_roots {
            crate::log::log_event!(Warn, "no system trust store was found: https needs the ca-certificates package or the ca_file option");
        }
        let root_certs = RootCerts::Specific(roots);
        let proxy = match &cfg.proxy {
            Some(p) if !scheme_host(&cfg.api_base_url).is_some_and(|(_, h)| bypass_proxy(&h)) => Some(
                ureq::Proxy::new(p)
                    .map_err(|_| Error::invalid_argument(format!("option proxy: not a usable proxy URL: {:?}", redact_url(p))))?,
            ),
            _ => None,
        };
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .no_delay(true)
            .user_agent(cfg.user_agent.as_str())
            .accept("application/json")
            .timeout_global(Some(Duration::from_millis(cfg.timeout_ms)))
            .timeout_connect(Some(Duration::from_millis(cfg.connect_timeout_ms)))
            .tls_config(TlsConfig::builder().root_certs(root_certs).build())
            .proxy(proxy)
            .max_idle_connections_per_host(4)
            .allow_non_standard_methods(true)
            .build();
        let agent = ureq::Agent::with_parts(config, Tracked::default(), CachingResolver::default());
        Ok(Http { agent, no_roots, allow_insecure_http: cfg.allow_insecure_http, max_response_bytes: cfg.max_response_bytes })
    }

    /// Say why TLS failed when there is nothing to trust.
    fn hint(&self, e: Error) -> Error {
        if self.no_roots && e.message().contains("TLS") {
            let m = format!("{} (no trusted root certificates: install ca-certificates or set ca_file)", e.message());
            Error::new(e.status(), m)
        } else {
            e
        }
    }

    /// https, or http to a loopback host with `allow_insecure_http=true`.
    pub fn check_url(&self, url: &str) -> Result<()> {
        check_url(url, self.allow_insecure_http)
    }

    /// Send one request and read the whole answer (up to the cap). Any HTTP status is an `Ok`.
    ///
    /// When the request went out on a reused keep-alive connection and failed before any byte of
    /// the answer (reset, closed, broken pipe: the server or a balancer closed the idle connection
    /// as the request arrived), it is sent once more, on a new connection. That is safe for every
    /// request kind this library sends, because a server that closes an idle connection has not
    /// read the request, and in the rare case where it had processed it and then died:
    /// - API calls, the password and client-credentials grants: the same request again, as after
    ///   any network error (the grants are retried on those anyway; a second token is harmless);
    /// - revoke: idempotent (RFC 7009);
    /// - refresh: a refresh token the server rotated while answering nothing comes back
    ///   `invalid_grant`, and the managed token then re-reads the token cache and falls back to the
    ///   configured grant, as after any refused refresh token;
    /// - the code exchange (never retried otherwise, a code is single-use): a code the server had
    ///   already used comes back `invalid_grant`. [`HttpResponse::resent`] tells the caller, and
    ///   the error then says that the first attempt may have used the code and to start the
    ///   authorization again.
    pub fn send(&self, method: &str, url: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Result<HttpResponse> {
        let (mut resp, resent) = self.resend_if_stale(method, url, |fresh| self.send_once(method, url, headers, body, fresh))?;
        resp.resent = resent;
        Ok(resp)
    }

    /// `attempt(false)`, and when it failed on a stale keep-alive connection, `attempt(true)` once
    /// (on a new connection): see [`Http::send`]. Also says whether the request was sent again.
    fn resend_if_stale<T>(&self, method: &str, url: &str, attempt: impl Fn(bool) -> std::result::Result<T, Failure>) -> Result<(T, bool)> {
        match attempt(false) {
            Ok(answer) => Ok((answer, false)),
            Err(Failure::Stale(e)) => {
                log_event!(
                    Info,
                    "{method} {}: the reused connection closed before any answer ({}); sending the request again on a new connection",
                    redact_url(url),
                    e.message()
                );
                attempt(true).map(|answer| (answer, true)).map_err(Failure::into_error)
            }
            Err(Failure::Other(e)) => Err(e),
        }
    }

    /// Send the request once; on a new connection when `fresh` (bypassing the pool).
    fn send_once(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
        fresh: bool,
    ) -> std::result::Result<HttpResponse, Failure> {
        // Methods are case-sensitive, but "get" is never meant as an extension method.
        const STANDARD: [&str; 9] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"];
        let upper = method.to_ascii_uppercase();
        let method = if STANDARD.contains(&upper.as_str()) { upper.as_str() } else { method };
        let (mut resp, shown) = self.start(method, url, headers, body, fresh)?;
        let shown = &shown;
        let status = resp.status().as_u16();
        let headers =
            resp.headers().iter().map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned())).collect();
        // Read one byte past the cap to know whether the body is larger. An error answer keeps
        // its status (a 429 its Retry-After, a 401 its class) with its body cut to the cap; only
        // a 2xx answer that is too large is an error (PROTOCOL), since its body is the result.
        let cap = self.max_response_bytes;
        let mut body = Vec::new();
        {
            use std::io::Read as _;
            let reader = resp.body_mut().with_config().reader();
            reader
                .take(cap.saturating_add(1))
                .read_to_end(&mut body)
                .map_err(|e| map_ureq(method, shown, ureq::Error::Io(e)).with_http_status(status))?;
        }
        if body.len() as u64 > cap {
            if (200..300).contains(&status) {
                return Err(Error::new(
                    Status::Protocol,
                    format!("{method} {shown}: the answer's body is larger than the {cap}-byte cap (max_response_bytes)"),
                )
                .with_http_status(status)
                .into());
            }
            body.truncate(usize::try_from(cap).unwrap_or(usize::MAX));
        }
        Ok(HttpResponse { status, headers, body, resent: false })
    }

    /// The part of one attempt every sender shares: the host rule (https, or loopback http when
    /// allowed), a method token, no CR, LF or NUL in a header value; then the request, on a new
    /// connection when `fresh`. Gives the answer with its body unread, and the URL as messages
    /// show it.
    fn start(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
        fresh: bool,
    ) -> std::result::Result<(ureq::http::Response<ureq::Body>, String), Failure> {
        self.check_url(url)?;
        if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)) {
            return Err(Error::invalid_argument(format!("method {method:?} is not an HTTP method")).into());
        }
        let mut builder = ureq::http::Request::builder().method(method).uri(url);
        for (name, value) in headers {
            if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
                return Err(Error::invalid_argument(format!("header {name}: value contains CR, LF or NUL")).into());
            }
            builder = builder.header(*name, *value);
        }
        let shown = redact_url(url);
        let build_failed = |e: ureq::http::Error| Error::invalid_argument(format!("{method} {shown}: cannot build the request: {e}"));
        ATTEMPT.with(|a| a.set(Attempt::default()));
        let result = match body {
            Some(b) => builder.body(b).map_err(build_failed).map(|r| self.agent.run(self.fresh_if(r, fresh))),
            None => builder.body(()).map_err(build_failed).map(|r| self.agent.run(self.fresh_if(r, fresh))),
        }?;
        match result {
            Ok(resp) => Ok((resp, shown)),
            Err(e) => {
                let stale = !fresh && stale_connection(&e, ATTEMPT.with(Cell::get));
                let e = self.hint(map_ureq(method, &shown, e));
                Err(if stale { Failure::Stale(e) } else { Failure::Other(e) })
            }
        }
    }

    /// `request` as it is, or (`fresh`) configured so that it cannot share the agent's pool: ureq
    /// then opens a new connection for it and does not keep it. The pool is keyed on the transport
    /// settings, so an input buffer one byte larger than the agent's is what sets it apart.
    fn fresh_if<B: ureq::AsSendBody>(&self, request: ureq::http::Request<B>, fresh: bool) -> ureq::http::Request<B> {
        if !fresh {
            return request;
        }
        let size = self.agent.config().input_buffer_size();
        self.agent.configure_request(request).input_buffer_size(size + 1).build()
    }
}

/// Why [`Http::send_once`] failed: a stale keep-alive connection (worth one more try on a new
/// one), or anything else.
enum Failure {
    Stale(Error),
    Other(Error),
}

impl Failure {
    fn into_error(self) -> Error {
        match self {
            Failure::Stale(e) | Failure::Other(e) => e,
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Other(e)
    }
}

fn map_ureq(method: &str, url: &str, e: ureq::Error) -> Error {
    use ureq::Error as U;
    let what = format!("{method} {url}");
    match e {
        U::Timeout(t) => Error::new(Status::Timeout, format!("{what}: timed out ({t})")),
        U::Io(io) if io.get_ref().is_some_and(|e| e.is::<rustls::Error>()) => {
            Error::new(Status::Network, format!("{what}: TLS failed: {io}"))
        }
        U::Io(io) => match io.kind() {
            ErrorKind::TimedOut | ErrorKind::WouldBlock => Error::new(Status::Timeout, format!("{what}: timed out")),
            _ => match ureq::Error::from(io) {
                U::BodyExceedsLimit(n) => {
                    Error::new(Status::Protocol, format!("{what}: the answer's body is larger than the {n}-byte cap"))
                }
                U::Timeout(t) => Error::new(Status::Timeout, format!("{what}: timed out ({t})")),
                U::Io(io) => Error::new(Status::Network, format!("{what}: {}", io_reason(&io))),
                other => Error::new(Status::Network, format!("{what}: {other}")),
            },
        },
        U::BodyExceedsLimit(n) => Error::new(Status::Protocol, format!("{what}: the answer's body is larger than the {n}-byte cap")),
        U::HostNotFound => Error::new(Status::Network, format!("{what}: could not resolve the host")),
        U::BadUri(_) | U::Http(_) => Error::invalid_argument(format!("{what}: not a valid URL or header")),
        U::Tls(m) => Error::new(Status::Network, format!("{what}: TLS failed: {m}")),
        U::Rustls(r) => Error::new(Status::Network, format!("{what}: TLS failed: {r}")),
        U::Pem(_) => Error::new(Status::Network, format!("{what}: TLS failed: bad PEM")),
        U::Protocol(p) => Error::new(Status::Network, format!("{what}: malformed HTTP answer: {p}")),
        U::InvalidProxyUrl => Error::invalid_argument(format!("{what}: invalid proxy URL")),
        other => Error::new(Status::Network, format!("{what}: {other}")),
    }
}
