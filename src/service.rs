//! The client of `tpauth serve`, the local token service: what option `token_source=serve:…`
//! makes the managed token use instead of Trustpilot, and what `tpauth token` asks first.
//!
//! `GET /v1/token[/{identity}]` answers the service's current token; `POST
//! /v1/token[/{identity}]/invalidate` with `{"access_token":"…"}` (the token the API refused)
//! renews it only if it is still the service's current token (compare-and-invalidate), so that
//! every process holding the same refused token causes one renewal between them. Every request
//! carries `X-Tpauth-Request: true`; over TCP also `Authorization: Bearer <the secret file's
//! content>`, read at each request (it may rotate) and sent to a loopback address only
//! ([`TokenSource::parse`] refuses any other).
//!
//! A process that uses the service through its configuration needs nothing from this module: set
//! the option and use [`crate::Auth`] as ever. [`ServiceClient`] is for a program that asks the
//! service itself (`tpauth token` does):
//!
//! ```no_run
//! use tpauth::{service::ServiceClient, TokenSource};
//! use std::time::Duration;
//! let source = TokenSource::parse("serve:unix:/run/tpauth/tpauth.sock")?;
//! let service = ServiceClient::new(&source, None, Duration::from_secs(30), Duration::from_secs(10))?;
//! let answer = service.get_token(None)?;
//! println!("{} ({} s left)", answer.json, answer.token.expires_in());
//! # Ok::<(), tpauth::Error>(())
//! ```

#[cfg(unix)]
mod unix;

use crate::config::{Config, TokenSource};
use crate::error::{Error, Result, Status};
use crate::token::Token;
use std::io::Read as _;
use std::net::SocketAddr;
use std::time::Duration;
use ureq::http::Uri;
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;
use zeroize::Zeroizing;

/// The longest answer the service gives (a token's JSON is a few hundred bytes; an error a few
/// more): anything larger is not the service.
const MAX_ANSWER: u64 = 64 * 1024;

/// The service's address needs no lookup: loopback TCP is an IP literal, and a Unix socket's
/// connector ignores the address. No DNS, no thread.
#[derive(Debug)]
struct LiteralResolver(SocketAddr);

impl Resolver for LiteralResolver {
    fn resolve(&self, _: &Uri, _: &ureq::config::Config, _: NextTimeout) -> std::result::Result<ResolvedSocketAddrs, ureq::Error> {
        let mut addrs = self.empty();
        addrs.push(self.0);
        Ok(addrs)
    }
}

/// A connection (pool) to one `tpauth serve`.
///
/// ```no_run
/// # use std::time::Duration;
/// let source = tpauth::TokenSource::parse("serve:tcp:127.0.0.1:8200")?;
/// // Over TCP the service's bearer is read from this file at every request.
/// let service = tpauth::service::ServiceClient::new(&source, Some("/run/tpauth/bearer"), Duration::from_secs(30), Duration::from_secs(10))?;
/// let token = service.get_token(Some("reports"))?.token;
/// # Ok::<(), tpauth::Error>(())
/// ```
pub struct ServiceClient {
    agent: ureq::Agent,
    /// `http://localhost` (Unix socket) or `http://127.0.0.1:PORT`.
    base: String,
    source: TokenSource,
    secret_file: Option<String>,
    user_agent: String,
}

impl std::fmt::Debug for ServiceClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceClient").field("source", &self.source.to_string()).finish_non_exhaustive()
    }
}

/// A token the service answered: the token (its `expires_in` counted from now) and the service's
/// JSON, verbatim (`access_token`, `token_type`, `expires_in`, `expires_at`, `identity`).
///
/// ```no_run
/// # use std::time::Duration;
/// # let source = tpauth::TokenSource::parse("serve:unix:/run/tpauth/tpauth.sock")?;
/// # let service = tpauth::service::ServiceClient::new(&source, None, Duration::from_secs(30), Duration::from_secs(10))?;
/// let answer: tpauth::service::ServiceToken = service.get_token(None)?;
/// let header = format!("Bearer {}", answer.token.access_token());
/// let json: serde_json::Value = serde_json::from_str(&answer.json).unwrap();
/// assert_eq!(json["token_type"], "Bearer");
/// # Ok::<(), tpauth::Error>(())
/// ```
pub struct ServiceToken {
    /// The token.
    pub token: Token,
    /// The service's answer.
    pub json: String,
}

impl ServiceClient {
    /// A client of the service at `source` (which must be a service). `secret_file` is the TCP
    /// bearer's file (required over TCP); `timeout` bounds each request, `connect_timeout` its
    /// connect. Nothing is sent yet; only a TCP service without `secret_file`, or a Unix socket
    /// where there are none, is refused here.
    ///
    /// ```
    /// # use std::time::Duration;
    /// use tpauth::{service::ServiceClient, Status, TokenSource};
    /// let (t, c) = (Duration::from_secs(30), Duration::from_secs(10));
    /// let tcp = TokenSource::parse("serve:tcp:127.0.0.1:8200")?;
    /// assert_eq!(ServiceClient::new(&tcp, None, t, c).unwrap_err().status(), Status::InvalidArgument);
    /// assert!(ServiceClient::new(&tcp, Some("/run/tpauth/bearer"), t, c).is_ok());
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn new(source: &TokenSource, secret_file: Option<&str>, timeout: Duration, connect_timeout: Duration) -> Result<ServiceClient> {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .no_delay(true)
            .proxy(None)
            .timeout_global(Some(timeout))
            .timeout_connect(Some(connect_timeout))
            .max_idle_connections_per_host(4)
            .build();
        let (agent, base) = match source {
            TokenSource::Direct => return Err(Error::invalid_argument("token_source: direct is not a token service")),
            TokenSource::Tcp(addr) => {
                if secret_file.is_none() {
                    return Err(Error::invalid_argument(format!(
                        "option token_source={source}: a TCP token service needs token_source_secret_file (the file its --tcp-secret-file names)"
                    )));
                }
                let agent =
                    ureq::Agent::with_parts(config, ureq::unversioned::transport::DefaultConnector::default(), LiteralResolver(*addr));
                (agent, format!("http://{addr}"))
            }
            #[cfg(unix)]
            TokenSource::Unix(path) => {
                let placeholder = SocketAddr::from(([127, 0, 0, 1], 80));
                let agent = ureq::Agent::with_parts(config, unix::UnixConnector { path: path.into() }, LiteralResolver(placeholder));
                (agent, "http://localhost".to_owned())
            }
            #[cfg(not(unix))]
            TokenSource::Unix(_) => {
                return Err(Error::invalid_argument(format!(
                    "option token_source={source}: Unix sockets are not available here; use serve:tcp:127.0.0.1:PORT"
                )))
            }
        };
        Ok(ServiceClient {
            agent,
            base,
            source: source.clone(),
            secret_file: secret_file.map(str::to_owned),
            user_agent: format!("tpauth/{}", crate::VERSION),
        })
    }

    /// The client a configuration's `token_source` names, if it names a service.
    pub(crate) fn from_config(cfg: &Config) -> Result<Option<ServiceClient>> {
        if !cfg.token_source.is_service() {
            return Ok(None);
        }
        let timeout = Duration::from_millis(cfg.timeout_ms);
        let connect = Duration::from_millis(cfg.connect_timeout_ms);
        ServiceClient::new(&cfg.token_source, cfg.token_source_secret_file.as_deref(), timeout, connect).map(Some)
    }

    /// Where the service is, for messages (`serve:unix:/path`).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let source = tpauth::TokenSource::parse("serve:unix:/run/tpauth/tpauth.sock")?;
    /// let service = tpauth::service::ServiceClient::new(&source, None, Duration::from_secs(1), Duration::from_secs(1))?;
    /// assert_eq!(service.describe(), "serve:unix:/run/tpauth/tpauth.sock");
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn describe(&self) -> String {
        self.source.to_string()
    }

    /// The service's current token for `identity` (`None`: its default identity). The service's
    /// errors keep their status (`TP_ERR_RATE_LIMITED` with its `Retry-After`, …); no service at
    /// the address is `TP_ERR_NETWORK`.
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # let source = tpauth::TokenSource::parse("serve:unix:/run/tpauth/tpauth.sock")?;
    /// # let service = tpauth::service::ServiceClient::new(&source, None, Duration::from_secs(30), Duration::from_secs(10))?;
    /// match service.get_token(Some("shop")) {
    ///     Ok(answer) => println!("{}", answer.token.access_token().len()),
    ///     Err(e) if e.status() == tpauth::Status::RateLimited => println!("retry in {:?}", e.retry_after()),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn get_token(&self, identity: Option<&str>) -> Result<ServiceToken> {
        self.call("GET", &token_path(identity, ""), None)
    }

    /// Report that the API refused `access_token` (a 401): the service renews only if it is still
    /// its current token, then answers its current token.
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # let source = tpauth::TokenSource::parse("serve:unix:/run/tpauth/tpauth.sock")?;
    /// # let service = tpauth::service::ServiceClient::new(&source, None, Duration::from_secs(30), Duration::from_secs(10))?;
    /// let token = service.get_token(None)?.token;
    /// // … the API answered 401 to it:
    /// let renewed = service.invalidate(None, token.access_token())?.token;
    /// assert_ne!(renewed.access_token(), token.access_token());
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn invalidate(&self, identity: Option<&str>, access_token: &str) -> Result<ServiceToken> {
        let body = Zeroizing::new(serde_json::json!({ "access_token": access_token }).to_string());
        self.call("POST", &token_path(identity, "/invalidate"), Some(body.as_bytes()))
    }

    fn call(&self, method: &str, path: &str, body: Option<&[u8]>) -> Result<ServiceToken> {
        let shown = format!("token service {}", self.source);
        let mut builder = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("x-tpauth-request", "true")
            .header("user-agent", &self.user_agent)
            .header("accept", "application/json");
        let bearer;
        if let Some(file) = &self.secret_file {
            let content =
                Zeroizing::new(std::fs::read_to_string(file).map_err(|e| {
                    Error::invalid_argument(format!("option token_source_secret_file {file:?}: cannot read it: {}", e.kind()))
                })?);
            let secret = content.trim();
            if secret.is_empty() || secret.bytes().any(|b| b.is_ascii_control()) {
                return Err(Error::invalid_argument(format!(
                    "option token_source_secret_file {file:?}: expected one line holding the service's bearer"
                )));
            }
            bearer = Zeroizing::new(format!("Bearer {secret}"));
            builder = builder.header("authorization", bearer.as_str());
        }
        let sent = match body {
            Some(b) => builder.header("content-type", "application/json").body(b).map(|r| self.agent.run(r)),
            None => builder.body(()).map(|r| self.agent.run(r)),
        };
        let mut resp = sent
            .map_err(|_| Error::invalid_argument(format!("{shown}: cannot build the request")))?
            .map_err(|e| transport_error(&shown, e))?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let mut text = Vec::new();
        resp.body_mut()
            .with_config()
            .reader()
            .take(MAX_ANSWER + 1)
            .read_to_end(&mut text)
            .map_err(|e| transport_error(&shown, ureq::Error::Io(e)))?;
        let text = Zeroizing::new(String::from_utf8_lossy(&text).into_owned());
        if text.len() as u64 > MAX_ANSWER {
            return Err(
                Error::new(Status::Protocol, format!("{shown}: the answer is larger than {MAX_ANSWER} bytes")).with_http_status(status)
            );
        }
        if (200..300).contains(&status) {
            let token = Token::from_response(&text, None).map_err(|e| e.context(&shown).with_http_status(status))?;
            return Ok(ServiceToken { token, json: text.to_string() });
        }
        Err(answer_error(&shown, status, &text, retry_after))
    }
}

/// `/v1/token`, `/v1/token/{identity}`, plus `suffix`.
fn token_path(identity: Option<&str>, suffix: &str) -> String {
    match identity {
        Some(id) => format!("/v1/token/{id}{suffix}"),
        None => format!("/v1/token{suffix}"),
    }
}

/// The service's error answer as the error it stands for: `{"error":"TP_ERR_…",
/// "error_description":"…","status":N}` keeps its status; a guard's refusal (`forbidden`, 401 or
/// 403) is `TP_ERR_UNAUTHORIZED`; anything else is classed by its HTTP status.
fn answer_error(shown: &str, status: u16, text: &str, retry_after: Option<Duration>) -> Error {
    let parsed: Option<serde_json::Value> = serde_json::from_str(text).ok();
    let field = |k: &str| parsed.as_ref().and_then(|v| v.get(k)).and_then(serde_json::Value::as_str).map(str::to_owned);
    let code = parsed.as_ref().and_then(|v| v.get("status")).and_then(serde_json::Value::as_i64);
    let by_code = code.and_then(|c| i32::try_from(c).ok()).and_then(Status::from_code).filter(|s| *s != Status::Ok);
    let kind = by_code.unwrap_or(match status {
        401 | 403 => Status::Unauthorized,
        429 => Status::RateLimited,
        404 => Status::InvalidArgument,
        500..=599 => Status::Network,
        _ => Status::Http,
    });
    let what = field("error_description").unwrap_or_else(|| format!("answered HTTP {status}"));
    // The service's descriptions are the core's messages (no secrets); cap a stranger's text.
    let what: String = what.chars().filter(|c| !c.is_control()).take(400).collect();
    Error::new(kind, format!("{shown}: {what}")).with_http_status(status).with_retry_after(retry_after)
}

fn transport_error(shown: &str, e: ureq::Error) -> Error {
    match e {
        ureq::Error::Timeout(t) => Error::new(Status::Timeout, format!("{shown}: timed out ({t})")),
        ureq::Error::Io(io) => {
            let why = match io.kind() {
                std::io::ErrorKind::NotFound => "no socket at that path (is tpauth serve running?)".to_owned(),
                std::io::ErrorKind::ConnectionRefused => "connection refused (is tpauth serve running?)".to_owned(),
                std::io::ErrorKind::PermissionDenied => "permission denied (the socket's mode and group decide who may connect)".to_owned(),
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
                    return Error::new(Status::Timeout, format!("{shown}: timed out"));
                }
                _ => io.to_string(),
            };
            Error::new(Status::Network, format!("{shown}: {why}"))
        }
        other => Error::new(Status::Network, format!("{shown}: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_answers_keep_their_status() {
        let e = answer_error(
            "s",
            429,
            r#"{"error":"TP_ERR_RATE_LIMITED","error_description":"slow down","status":5}"#,
            Some(Duration::from_secs(3)),
        );
        assert_eq!((e.status(), e.http_status(), e.retry_after()), (Status::RateLimited, 429, Some(Duration::from_secs(3))));
        assert_eq!(e.message(), "s: slow down");
        let e = answer_error("s", 403, r#"{"error":"forbidden","error_description":"X-Tpauth-Request: true is required"}"#, None);
        assert_eq!(e.status(), Status::Unauthorized);
        assert_eq!(answer_error("s", 502, "<html>", None).status(), Status::Network);
        assert_eq!(token_path(Some("shop"), "/invalidate"), "/v1/token/shop/invalidate");
        assert_eq!(token_path(None, ""), "/v1/token");
    }
}
