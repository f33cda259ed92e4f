//! The token endpoints on the wire ([`TokenEndpoint`]): one token request per grant (password,
//! client credentials, authorization code, refresh) and revoke, the client authentication
//! (`client_auth`), retries with exponential backoff and jitter, `Retry-After`, and the cooldown
//! after a 429. What an error answer means is decided in [`super::classify`]; what a token or a
//! revoke does to the managed token and the cache is the client's business (`mod.rs`,
//! `renewal.rs`).

use super::classify::{response_error, Secrets};
use super::{lock, Inner};
use crate::config::{ClientAuth, Config, RefreshEndpoint};
use crate::error::{Error, Result, Status};
use crate::http::{Http, HttpResponse};
use crate::log::log_event;
use crate::token::Token;
use crate::url::{encode_pairs, form_urlencode, redact_url};
use base64::Engine as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

pub(super) const TOKEN_PATH: &str = "/v1/oauth/oauth-business-users-for-applications/accesstoken";
pub(super) const REFRESH_PATH: &str = "/v1/oauth/oauth-business-users-for-applications/refresh";
pub(super) const REVOKE_PATH: &str = "/v1/oauth/oauth-business-users-for-applications/revoke";

/// The first wait of the exponential backoff (doubled on each retry, with jitter).
const BACKOFF_BASE: Duration = Duration::from_millis(250);

/// One token request: what to send.
pub(super) enum GrantRequest<'a> {
    Password { username: &'a str, password: &'a str },
    ClientCredentials,
    AuthorizationCode { code: &'a str, redirect_uri: &'a str, code_verifier: Option<&'a str> },
    Refresh { refresh_token: &'a str },
}

impl GrantRequest<'_> {
    fn name(&self) -> &'static str {
        match self {
            GrantRequest::Password { .. } => "password grant",
            GrantRequest::ClientCredentials => "client credentials grant",
            GrantRequest::AuthorizationCode { .. } => "authorization code exchange",
            GrantRequest::Refresh { .. } => "refresh",
        }
    }
}

/// The single-use value a token request of this name sends, if any.
fn grant_of(what: &str) -> Option<&'static str> {
    match what {
        "authorization code exchange" => Some("code"),
        "refresh" => Some("refresh token"),
        _ => None,
    }
}

/// Trustpilot's token endpoints as one client uses them: where they are (`api_base_url`,
/// `refresh_endpoint`), how the client authenticates to them (`client_auth`), and how hard it
/// tries (`max_retries`, `max_retry_wait_ms`, the cooldown a 429 leaves, shared by every request
/// of the client). It sends one request and answers a token, or `()` for a revoke, or the error;
/// it knows nothing of the managed token or the token cache.
pub(super) struct TokenEndpoint {
    cfg: Config,
    /// The client's transport, shared with its API calls (one connection pool).
    http: Arc<Http>,
    token_url: String,
    refresh_url: String,
    revoke_url: String,
    /// No token request before this instant: a 429 asked us to wait.
    cooldown_until: Mutex<Option<Instant>>,
    /// Token requests sent and 429s received, for `tpauth serve`'s metrics.
    pub(super) stats: super::stats::RequestStats,
}

impl TokenEndpoint {
    pub(super) fn new(cfg: &Config, http: Arc<Http>) -> TokenEndpoint {
        let base = &cfg.api_base_url;
        TokenEndpoint {
            token_url: format!("{base}{TOKEN_PATH}"),
            refresh_url: format!("{base}{}", if cfg.refresh_endpoint == RefreshEndpoint::Refresh { REFRESH_PATH } else { TOKEN_PATH }),
            revoke_url: format!("{base}{REVOKE_PATH}"),
            cfg: cfg.clone(),
            http,
            cooldown_until: Mutex::new(None),
            stats: super::stats::RequestStats::default(),
        }
    }

    /// Send no token request for `wait` (at most the cap of [`TokenEndpoint::max_cooldown`]): a
    /// 429 asked this client, or another process sharing its token cache, to wait.
    pub(super) fn cool_down(&self, wait: Duration) {
        let wait = wait.min(self.max_cooldown());
        let now = Instant::now();
        *lock(&self.cooldown_until) = Some(now.checked_add(wait).unwrap_or(now));
    }

    /// The client-authentication header and the form body of one token-endpoint request.
    fn client_auth<'a>(&'a self, mut pairs: Vec<(&'a str, &'a str)>) -> (Option<Zeroizing<String>>, Zeroizing<String>) {
        let cfg = &self.cfg;
        let secret = cfg.api_secret.expose();
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s.as_bytes());
        let header = match cfg.client_auth {
            ClientAuth::Basic => Some(Zeroizing::new(format!("Basic {}", b64(&Zeroizing::new(format!("{}:{secret}", cfg.api_key)))))),
            ClientAuth::BasicForm => Some(Zeroizing::new(format!(
                "Basic {}",
                b64(&Zeroizing::new(format!("{}:{}", form_urlencode(&cfg.api_key), form_urlencode(secret))))
            ))),
            ClientAuth::Post => {
                pairs.push(("client_id", &cfg.api_key));
                pairs.push(("client_secret", secret));
                None
            }
        };
        (header, Zeroizing::new(encode_pairs(&pairs)))
    }

    fn check_cooldown(&self, what: &str) -> Result<()> {
        let mut until = lock(&self.cooldown_until);
        if let Some(t) = *until {
            let now = Instant::now();
            if now < t {
                let left = t - now;
                return Err(Error::new(
                    Status::RateLimited,
                    format!(
                        "{what}: not sent: the token endpoint answered 429 moments ago; wait {} ms before asking again",
                        left.as_millis()
                    ),
                )
                .with_http_status(429)
                .with_retry_after(Some(left)));
            }
            *until = None;
        }
        Ok(())
    }

    /// The longest cooldown a 429 imposes on later token requests: `max_retry_wait_ms`, but at
    /// least one second (so that `max_retry_wait_ms=0` does not turn a 429 into a stampede).
    fn max_cooldown(&self) -> Duration {
        Duration::from_millis(self.cfg.max_retry_wait_ms.max(1000))
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let cap = Duration::from_millis(self.cfg.max_retry_wait_ms);
        let base = BACKOFF_BASE.saturating_mul(1u32 << attempt.min(16)).min(cap);
        // Full jitter in [base/2, base]: concurrent clients spread out instead of retrying together.
        let mut r = [0u8; 4];
        let _ = getrandom::fill(&mut r);
        let frac = f64::from(u32::from_le_bytes(r)) / f64::from(u32::MAX);
        base.mul_f64(0.5 + frac / 2.0)
    }

    /// POST a form to a token endpoint, retrying (when `retry`) after 429, 5xx and network errors up
    /// to `max_retries` times, honouring Retry-After (capped by `max_retry_wait_ms`). Never retries
    /// after 400/401 or a timeout (a call must not outlive its timeout several times over).
    fn post_form<'a>(&'a self, what: &str, url: &str, pairs: Vec<(&'a str, &'a str)>, retry: bool) -> Result<HttpResponse> {
        // What a server may echo back: every value but the grant type and the user name, the API
        // secret, and both Basic values (src/auth/classify.rs withholds server text containing any).
        let mut secrets = Secrets::default();
        for (k, v) in &pairs {
            if !matches!(*k, "grant_type" | "username" | "redirect_uri") {
                secrets.add(v);
            }
        }
        secrets.add(self.cfg.api_secret.expose());
        secrets.add_basic(&self.cfg.api_key, self.cfg.api_secret.expose());
        let grant_type = pairs.iter().find(|(k, _)| *k == "grant_type").map(|(_, v)| *v);
        let (auth_header, body) = self.client_auth(pairs);
        let mut headers: Vec<(&str, &str)> = vec![("content-type", "application/x-www-form-urlencoded")];
        if let Some(h) = &auth_header {
            headers.push(("authorization", h));
        }
        let max = if retry { self.cfg.max_retries } else { 0 };
        let mut attempt = 0u32;
        loop {
            if attempt == 0 {
                self.check_cooldown(what)?;
            }
            log_event!(
                Info,
                "{what}: POST {}{}",
                redact_url(url),
                if attempt > 0 { format!(" (retry {attempt} of {max})") } else { String::new() }
            );
            if let Some(g) = grant_type {
                self.stats.sent(g);
            }
            let (err, retry_after) = match self.http.send("POST", url, &headers, Some(body.as_bytes())) {
                Ok(resp) if (200..300).contains(&resp.status) => return Ok(resp),
                Ok(resp) if resp.status == 429 || resp.status >= 500 => {
                    let e = response_error(what, &resp, &secrets);
                    let ra = e.retry_after();
                    if resp.status == 429 {
                        self.stats.rate_limited();
                        // The cooldown is capped (see max_cooldown): a server's Retry-After of
                        // years must not lock out every grant until the process restarts.
                        self.cool_down(ra.unwrap_or_else(|| self.backoff(attempt)));
                    }
                    (e, ra)
                }
                Ok(resp) => {
                    let e = response_error(what, &resp, &secrets);
                    // The request went out twice (a reused connection closed before answering the
                    // first): a single-use value may have been used by the first.
                    if resp.resent && e.status() == Status::InvalidGrant {
                        let used = match grant_of(what) {
                            Some("code") => "the server may have used the code then: start the authorization again",
                            Some("refresh token") => "the server may have rotated the refresh token then: obtain a new token with a grant",
                            _ => "the server may have processed the first",
                        };
                        return Err(e.with_note(&format!(
                            "this request was sent twice, as its first sending met a reused connection that closed without answering; {used}"
                        )));
                    }
                    return Err(e);
                }
                Err(e) if e.status() == Status::Network => (e, None),
                Err(e) => return Err(e),
            };
            if attempt >= max {
                if attempt > 0 {
                    log_event!(Error, "{what}: giving up after {} attempts: {}", attempt + 1, err.message());
                }
                return Err(err);
            }
            let wait = match retry_after {
                Some(ra) if ra > Duration::from_millis(self.cfg.max_retry_wait_ms) => {
                    log_event!(Warn, "{what}: Retry-After {} s exceeds max_retry_wait_ms; not waiting", ra.as_secs());
                    return Err(err);
                }
                Some(ra) => ra,
                None => self.backoff(attempt),
            };
            attempt += 1;
            log_event!(Warn, "{what}: {}; retry {attempt} of {max} in {} ms", err.message(), wait.as_millis());
            std::thread::sleep(wait);
        }
    }

    pub(super) fn token_request(&self, grant: &GrantRequest<'_>, previous_refresh: Option<&str>) -> Result<Token> {
        let what = grant.name();
        let (url, mut pairs, retry): (&str, Vec<(&str, &str)>, bool) = match grant {
            GrantRequest::Password { username, password } => {
                (&self.token_url, vec![("grant_type", "password"), ("username", username), ("password", password)], true)
            }
            GrantRequest::ClientCredentials => (&self.token_url, vec![("grant_type", "client_credentials")], true),
            GrantRequest::AuthorizationCode { code, redirect_uri, code_verifier } => {
                let mut p = vec![("grant_type", "authorization_code"), ("code", *code), ("redirect_uri", *redirect_uri)];
                if let Some(v) = code_verifier {
                    p.push(("code_verifier", v));
                }
                (&self.token_url, p, false)
            }
            GrantRequest::Refresh { refresh_token } => {
                (&self.refresh_url, vec![("grant_type", "refresh_token"), ("refresh_token", refresh_token)], true)
            }
        };
        // RFC 6749 §3.3, §4.3.2, §4.4.2, §6: scope on the grants that define it (not the code
        // exchange, whose scope was fixed by the authorize URL).
        if let (Some(scope), false) = (&self.cfg.scope, matches!(grant, GrantRequest::AuthorizationCode { .. })) {
            pairs.push(("scope", scope));
        }
        let resp = self.post_form(what, url, pairs, retry)?;
        let body = std::str::from_utf8(&resp.body)
            .map_err(|_| Error::new(Status::Protocol, format!("{what}: the token response is not UTF-8")).with_http_status(resp.status))?;
        Token::from_response(body, previous_refresh).map_err(|e| e.context(what).with_http_status(resp.status))
    }

    /// Revoke `rt` (and the access tokens issued with it): `POST …/revoke`, 200 meaning revoked.
    pub(super) fn revoke(&self, rt: &str) -> Result<()> {
        self.post_form("revoke", &self.revoke_url, vec![("token", rt)], true)?;
        log_event!(Info, "revoke: the refresh token was revoked");
        Ok(())
    }
}

impl Inner {
    /// Revoke `rt`, then forget it: the current token when it holds it, and the cache's entry.
    pub(super) fn revoke(&self, rt: &str) -> Result<()> {
        self.endpoint.revoke(rt)?;
        self.managed.forget_revoked(rt);
        self.forget_in_cache(rt)
    }
}
