//! The client: grants, refresh, revoke, the managed token and API calls.
//!
//! The managed token ([`Auth::get_token`]) is the heart of the library. While the current token is
//! valid it is returned without I/O and without waiting for a renewal in progress. When it must be
//! renewed, exactly one caller renews (single flight) and every caller that waited gets that
//! caller's result or error. With a token cache, the renewal happens under the cache's lock after
//! re-reading it, so that processes sharing the cache make one token request between them.

#[cfg(all(test, loom))]
mod loom_tests;
mod managed;
mod sync;

use crate::answer::{response_error, Secrets};
use crate::cache::{self, TokenCache};
use crate::config::{ClientAuth, Config, Grant, RefreshEndpoint};
use crate::error::{Error, Result, Status};
use crate::form::{encode_pairs, form_urlencode};
use crate::http::{redact_url, Http, HttpResponse};
use crate::log::log_event;
use crate::redirect::{build_authorize_url_with, check_redirect_uri, ResponseType};
use crate::response::Response;
use crate::secret::Secret;
use crate::token::{now_ms, Token};
use base64::Engine as _;
use managed::{Managed, Renewal};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

const TOKEN_PATH: &str = "/v1/oauth/oauth-business-users-for-applications/accesstoken";
const REFRESH_PATH: &str = "/v1/oauth/oauth-business-users-for-applications/refresh";
const REVOKE_PATH: &str = "/v1/oauth/oauth-business-users-for-applications/revoke";

/// The first wait of the exponential backoff (doubled on each retry, with jitter).
const BACKOFF_BASE: Duration = Duration::from_millis(250);

/// A Trustpilot client. `Send + Sync` and cheap to clone (clones share the connection pool, the
/// current token and the single-flight renewal): share one per application.
#[derive(Clone)]
pub struct Auth {
    inner: Arc<Inner>,
}

struct Inner {
    cfg: Config,
    http: Http,
    token_url: String,
    refresh_url: String,
    revoke_url: String,
    /// The managed token's state machine (single flight, renew-ahead, invalidation).
    managed: Managed,
    /// No token request before this instant: a 429 asked us to wait.
    cooldown_until: Mutex<Option<Instant>>,
    cache: Option<Box<dyn TokenCache>>,
    cache_key: String,
    /// The hosts that may receive the token (`check_token_url`).
    token_hosts: crate::url::TokenHosts,
    /// The access token of the current token when it belongs to another identity than the
    /// configured one (an explicit grant for another user): it and its renewals stay out of the
    /// shared token cache.
    foreign: Mutex<Option<Secret>>,
}

/// One token request: what to send.
enum GrantRequest<'a> {
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

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn non_empty(name: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        Err(Error::invalid_argument(format!("{name} is empty")))
    } else {
        Ok(())
    }
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("api_key", &self.inner.cfg.api_key)
            .field("api_base_url", &redact_url(&self.inner.cfg.api_base_url))
            .field("grant", &self.inner.cfg.effective_grant())
            .field("token", &self.inner.managed.describe())
            .field("token_cache", &self.inner.cache.as_ref().map(|c| c.describe()))
            .finish_non_exhaustive()
    }
}

impl Auth {
    /// A client for this configuration (copied). Fails with `InvalidArgument` on an `http://`
    /// endpoint without `allow_insecure_http` (or to a non-loopback host), an unreadable `ca_file`
    /// or a bad proxy, and with `Store` on a symlinked token cache.
    pub fn new(cfg: &Config) -> Result<Auth> {
        crate::http::check_url(&cfg.api_base_url, cfg.allow_insecure_http).map_err(|e| e.context("option api_base_url"))?;
        crate::http::check_url(&cfg.authorize_url, cfg.allow_insecure_http).map_err(|e| e.context("option authorize_url"))?;
        let http = Http::new(cfg)?;
        let cache = cfg.token_cache.as_deref().map(|spec| cache::open(spec, cfg)).transpose()?;
        let grant = cfg.effective_grant();
        let who = match grant {
            Grant::Password => cfg.username.clone().unwrap_or_default(),
            _ => cfg.business_user_id.clone().unwrap_or_default(),
        };
        let cache_key = cache::cache_key(&[&cfg.api_base_url, &cfg.api_key, &format!("{grant:?}"), &who]);
        let base = &cfg.api_base_url;
        Ok(Auth {
            inner: Arc::new(Inner {
                token_url: format!("{base}{TOKEN_PATH}"),
                refresh_url: format!("{base}{}", if cfg.refresh_endpoint == RefreshEndpoint::Refresh { REFRESH_PATH } else { TOKEN_PATH }),
                revoke_url: format!("{base}{REVOKE_PATH}"),
                cfg: cfg.clone(),
                http,
                managed: Managed::new(cfg.refresh_leeway_s),
                cooldown_until: Mutex::new(None),
                cache,
                cache_key,
                foreign: Mutex::new(None),
                token_hosts: crate::url::TokenHosts::new(&cfg.api_base_url, &cfg.token_hosts),
            }),
        })
    }

    /// The configuration this client was built with.
    pub fn config(&self) -> &Config {
        &self.inner.cfg
    }

    /// The current token when [`Auth::get_token`] would answer it at once: held, not invalidated
    /// and not yet due for renewal. `None` otherwise (then `get_token` may do I/O). Never waits for
    /// a renewal in progress and never does I/O: for bindings that answer a cached token without
    /// leaving their event loop.
    pub fn current_token_if_fresh(&self) -> Option<Token> {
        self.inner.managed.fresh(now_ms())
    }

    // ---- grants ---------------------------------------------------------------------------

    /// The password grant; the token becomes the current one. It is written to the token cache
    /// only when it belongs to the configured identity (`username` is this user and the managed
    /// grant is `password`, or the client has no identity of its own: `grant=none` without a
    /// username); a token for another user stays in this client's memory, and so do its renewals,
    /// so that processes sharing the cache are never served another user's token.
    pub fn password_grant(&self, username: &str, password: &str) -> Result<Token> {
        non_empty("username", username)?;
        non_empty("password", password)?;
        let t = self.inner.token_request(&GrantRequest::Password { username, password }, None)?;
        let cfg = &self.inner.cfg;
        let mine = match cfg.effective_grant() {
            Grant::Password => cfg.username.as_deref() == Some(username),
            Grant::None => cfg.username.as_deref().is_none_or(|u| u == username),
            Grant::ClientCredentials => false,
        };
        self.inner.adopt(&t, mine);
        Ok(t)
    }

    /// The client-credentials grant; the token becomes the current one (written to the token
    /// cache when the managed grant is `client_credentials`, or `none` without a username). API
    /// calls made with it need the `business_user_id` option.
    pub fn client_credentials_grant(&self) -> Result<Token> {
        let t = self.inner.token_request(&GrantRequest::ClientCredentials, None)?;
        let mine = self.inner.cfg.effective_grant() == Grant::ClientCredentials || self.inner.open_identity();
        self.inner.adopt(&t, mine);
        Ok(t)
    }

    /// Exchange an authorization code; `redirect_uri` must equal the one of the authorize URL.
    /// Never retried (a code is single-use).
    pub fn authorization_code_grant(&self, code: &str, redirect_uri: &str) -> Result<Token> {
        self.authorization_code_grant_pkce(code, redirect_uri, None)
    }

    /// As [`Auth::authorization_code_grant`], sending the PKCE `code_verifier` (RFC 7636) whose
    /// challenge went into [`Auth::authorize_url_pkce`]; `None` sends none.
    pub fn authorization_code_grant_pkce(&self, code: &str, redirect_uri: &str, code_verifier: Option<&str>) -> Result<Token> {
        non_empty("code", code)?;
        check_redirect_uri(redirect_uri, self.inner.cfg.allow_loopback_redirect_uri)?;
        if let Some(v) = code_verifier {
            crate::pkce::check_verifier(v)?;
        }
        let t = self.inner.token_request(&GrantRequest::AuthorizationCode { code, redirect_uri, code_verifier }, None)?;
        // Whose token it is, only the browser knew: shared only by a client without an identity
        // of its own (grant=none, no username).
        self.inner.adopt(&t, self.inner.open_identity());
        Ok(t)
    }

    /// Refresh `refresh_token`, or the current token's when `None`. The new token becomes the
    /// current one; an answer without a refresh token keeps the old one.
    pub fn refresh(&self, refresh_token: Option<&str>) -> Result<Token> {
        let rt = match refresh_token {
            Some(rt) => {
                non_empty("refresh_token", rt)?;
                Zeroizing::new(rt.to_owned())
            }
            None => Zeroizing::new(self.inner.current_refresh_token().ok_or_else(|| {
                Error::new(Status::NoToken, "refresh: there is no current refresh token (client-credentials and implicit tokens have none); pass one, or obtain a token with a grant first")
            })?),
        };
        // The new token belongs to whoever the refresh token did: the current token's identity
        // when it is the current refresh token, else unknown (shared only by an open identity).
        let current = self.inner.current_refresh_token();
        let mine = if current.as_deref() == Some(rt.as_str()) { !self.inner.current_is_foreign() } else { self.inner.open_identity() };
        let t = self.inner.token_request(&GrantRequest::Refresh { refresh_token: &rt }, Some(&rt))?;
        self.inner.adopt(&t, mine);
        Ok(t)
    }

    /// Revoke `refresh_token` (and the access tokens issued with it), or the current token's when
    /// `None`. The current token is dropped when it was the one revoked.
    pub fn revoke(&self, refresh_token: Option<&str>) -> Result<()> {
        let rt = match refresh_token {
            Some(rt) => {
                non_empty("refresh_token", rt)?;
                Zeroizing::new(rt.to_owned())
            }
            None => Zeroizing::new(
                self.inner
                    .current_refresh_token()
                    .ok_or_else(|| Error::new(Status::NoToken, "revoke: there is no current refresh token; pass one"))?,
            ),
        };
        self.inner.revoke(&rt)
    }

    // ---- managed token ---------------------------------------------------------------------

    /// The managed token: the current one while it is valid (no I/O), else one renewal for all
    /// callers at once (refresh token first; on `invalid_grant` the cache is re-read; then the
    /// configured grant). Renews `refresh_leeway_s` ahead of expiry; if that early renewal fails
    /// while the token is still valid, the current token is served.
    pub fn get_token(&self) -> Result<Token> {
        self.inner.managed.get_token(&*self.inner)
    }

    /// Drop the current token if it is still `access_token` (the one the API refused), so that N
    /// concurrent 401s cause one renewal. Its refresh token is kept for that renewal.
    pub fn invalidate_token(&self, access_token: &str) -> Result<()> {
        non_empty("access_token", access_token)?;
        self.inner.managed.invalidate(access_token);
        Ok(())
    }

    /// Make `token` the current one (and write it to the token cache: the caller vouches that it
    /// belongs to the configured identity).
    pub fn set_token(&self, token: &Token) -> Result<()> {
        self.inner.adopt(token, true);
        Ok(())
    }

    // ---- browser flows ---------------------------------------------------------------------

    /// `{authorize_url}?client_id=KEY&redirect_uri=…&response_type=…&state=…`.
    /// With the `scope` option set, `&scope=…` is added.
    pub fn authorize_url(&self, redirect_uri: &str, response_type: ResponseType, state: Option<&str>) -> Result<String> {
        self.authorize_url_pkce(redirect_uri, response_type, state, None)
    }

    /// As [`Auth::authorize_url`], adding `code_challenge=…&code_challenge_method=S256` (RFC 7636)
    /// when `code_challenge` is given (from [`crate::new_pkce`]; only with [`ResponseType::Code`]).
    pub fn authorize_url_pkce(
        &self,
        redirect_uri: &str,
        response_type: ResponseType,
        state: Option<&str>,
        code_challenge: Option<&str>,
    ) -> Result<String> {
        check_redirect_uri(redirect_uri, self.inner.cfg.allow_loopback_redirect_uri)?;
        if let Some(s) = state {
            non_empty("state", s)?;
        }
        let mut extra: Vec<(&str, &str)> = Vec::new();
        if let Some(scope) = &self.inner.cfg.scope {
            extra.push(("scope", scope));
        }
        if let Some(c) = code_challenge {
            if response_type != ResponseType::Code {
                return Err(Error::invalid_argument(
                    "code_challenge goes with response_type \"code\" only (PKCE protects the code exchange)",
                ));
            }
            crate::pkce::check_challenge(c)?;
            extra.push(("code_challenge", c));
            extra.push(("code_challenge_method", "S256"));
        }
        let cfg = &self.inner.cfg;
        Ok(build_authorize_url_with(&cfg.authorize_url, &cfg.api_key, redirect_uri, response_type, state, &extra))
    }

    /// The instant (unix milliseconds) from which [`Auth::get_token`] renews `token` rather than
    /// serve it: `refresh_leeway_s` before its expiry, never earlier than half-way through its
    /// lifetime; `i64::MAX` for a token without expiry. Until then, a binding may serve its own
    /// copy of the current token without calling in (Go's fast path does).
    pub fn renew_at_ms(&self, token: &Token) -> i64 {
        self.inner.managed.renew_at_ms(token)
    }

    // ---- API calls -------------------------------------------------------------------------

    /// Whether the token may be sent to `url`: `Ok` for a path (joined to `api_base_url`) and for
    /// an absolute URL whose scheme is allowed (https; http only to a loopback host with
    /// `allow_insecure_http=true`) and whose host and port are on the allow-list: the
    /// `api_base_url` host and port, Trustpilot's API hosts on https port 443
    /// ([`crate::TRUSTPILOT_API_HOSTS`]: `api.trustpilot.com`, `invitations-api.trustpilot.com`),
    /// and the entries of the `token_hosts` option (`host` for the scheme's default port, or
    /// `host:port`). Otherwise `InvalidArgument` naming the host and the `token_hosts` option.
    /// [`Auth::request`] applies the same rule; HTTP adapters in the bindings call this before
    /// attaching the token.
    pub fn check_token_url(&self, url: &str) -> Result<()> {
        self.inner.join(url).map(drop)
    }

    /// The headers an API call to `url_or_path` carries, for HTTP adapters that send the request
    /// themselves (Guzzle, PSR-18, `HttpClient`): `Authorization: Bearer <managed token>`,
    /// `apikey` and, when configured, `x-business-user-id`. Refuses a host that may not see the
    /// token first ([`Auth::check_token_url`]), then gets the managed token ([`Auth::get_token`]:
    /// it may renew). `method` is checked but every method gets the same headers today. On a 401
    /// the adapter calls [`Auth::invalidate_token`] with the token it sent, then this again.
    pub fn api_headers(&self, method: &str, url_or_path: &str) -> Result<Vec<(&'static str, String)>> {
        if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)) {
            return Err(Error::invalid_argument(format!("method: {method:?} is not an HTTP method token")));
        }
        self.check_token_url(url_or_path)?;
        let token = self.get_token()?;
        if token.access_token().chars().any(|c| c.is_control() || c == ' ') {
            return Err(Error::new(Status::Protocol, "the access token contains spaces or control characters: it cannot go into a header"));
        }
        let cfg = &self.inner.cfg;
        let mut headers = vec![("Authorization", format!("Bearer {}", token.access_token())), ("apikey", cfg.api_key.clone())];
        if let Some(id) = &cfg.business_user_id {
            headers.push(("x-business-user-id", id.clone()));
        }
        Ok(headers)
    }

    /// An API call with the managed token: `Authorization: Bearer`, `apikey` and (when set)
    /// `x-business-user-id`. A path is joined to `api_base_url`. On 401 the token is invalidated,
    /// renewed and the call retried once. Any HTTP answer is returned as a [`Response`] (a second
    /// 401 included); errors are for what prevented an answer.
    pub fn request(&self, method: &str, url_or_path: &str, body: Option<&[u8]>, content_type: Option<&str>) -> Result<Response> {
        let url = self.inner.join(url_or_path)?;
        let cfg = &self.inner.cfg;
        for attempt in 0..2 {
            let token = self.get_token()?;
            let bearer = Zeroizing::new(format!("Bearer {}", token.access_token()));
            let mut headers: Vec<(&str, &str)> = vec![("authorization", &bearer), ("apikey", &cfg.api_key)];
            if let Some(id) = &cfg.business_user_id {
                headers.push(("x-business-user-id", id));
            }
            if let Some(ct) = content_type {
                headers.push(("content-type", ct));
            }
            let resp = self.inner.http.send(method, &url, &headers, body)?;
            if resp.status == 401 && attempt == 0 {
                log_event!(Info, "{method} {}: the API answered 401; renewing the token and retrying once", redact_url(&url));
                self.invalidate_token(token.access_token())?;
                continue;
            }
            return Ok(Response::new(resp.status, resp.headers, resp.body));
        }
        unreachable!("the loop returns on its second pass")
    }
}

impl Inner {
    // ---- wire -----------------------------------------------------------------------------

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
        // secret, and both Basic values (src/answer.rs withholds server text containing any).
        let mut secrets = Secrets::default();
        for (k, v) in &pairs {
            if !matches!(*k, "grant_type" | "username" | "redirect_uri") {
                secrets.add(v);
            }
        }
        secrets.add(self.cfg.api_secret.expose());
        secrets.add_basic(&self.cfg.api_key, self.cfg.api_secret.expose());
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
            let (err, retry_after) = match self.http.send("POST", url, &headers, Some(body.as_bytes())) {
                Ok(resp) if (200..300).contains(&resp.status) => return Ok(resp),
                Ok(resp) if resp.status == 429 || resp.status >= 500 => {
                    let e = response_error(what, &resp, &secrets);
                    let ra = e.retry_after();
                    if resp.status == 429 {
                        // The cooldown is capped (see max_cooldown): a server's Retry-After of
                        // years must not lock out every grant until the process restarts.
                        let wait = ra.unwrap_or_else(|| self.backoff(attempt)).min(self.max_cooldown());
                        let now = Instant::now();
                        *lock(&self.cooldown_until) = Some(now.checked_add(wait).unwrap_or(now));
                    }
                    (e, ra)
                }
                Ok(resp) => return Err(response_error(what, &resp, &secrets)),
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

    fn token_request(&self, grant: &GrantRequest<'_>, previous_refresh: Option<&str>) -> Result<Token> {
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

    fn revoke(&self, rt: &str) -> Result<()> {
        self.post_form("revoke", &self.revoke_url, vec![("token", rt)], true)?;
        log_event!(Info, "revoke: the refresh token was revoked");
        self.managed.forget_revoked(rt);
        if let Some(cache) = &self.cache {
            let _guard = cache.lock(&self.cache_key)?;
            if cache.load(&self.cache_key)?.is_some_and(|t| t.refresh_token() == Some(rt)) {
                cache.remove(&self.cache_key)?;
            }
        }
        Ok(())
    }

    /// An absolute URL may receive the token (see [`Auth::check_token_url`]).
    fn check_url(&self, url: &str) -> Result<()> {
        crate::http::check_url(url, self.cfg.allow_insecure_http).map_err(|e| e.context("url_or_path"))?;
        self.token_hosts.check(url)
    }

    fn join(&self, url_or_path: &str) -> Result<String> {
        if url_or_path.is_empty() {
            return Err(Error::invalid_argument("url_or_path is empty"));
        }
        if url_or_path.chars().any(|c| c.is_control() || c == ' ') {
            return Err(Error::invalid_argument("url_or_path must not contain spaces or control characters"));
        }
        let absolute = url_or_path.split_once("://").filter(|(scheme, _)| !scheme.contains(['/', '?', '#']));
        let Some((scheme, _)) = absolute else {
            let sep = if url_or_path.starts_with('/') { "" } else { "/" };
            return Ok(format!("{}{sep}{url_or_path}", self.cfg.api_base_url));
        };
        if !scheme.eq_ignore_ascii_case("https") && !scheme.eq_ignore_ascii_case("http") {
            return Err(Error::invalid_argument(format!("url_or_path: {scheme}:// is not http(s); give a path or an https URL")));
        }
        // The token and API key go only to the hosts of the allow-list, never to a URL that
        // happens to reach this call.
        self.check_url(url_or_path)?;
        Ok(url_or_path.to_owned())
    }

    // ---- the current token -------------------------------------------------------------------

    fn current_refresh_token(&self) -> Option<String> {
        self.managed.refresh_token()
    }

    /// Whether the configured identity is open: `grant=none` without a username (the application
    /// hands the client its tokens), so that any token it obtains is the one to share.
    fn open_identity(&self) -> bool {
        self.cfg.effective_grant() == Grant::None && self.cfg.username.is_none()
    }

    /// Whether `t` belongs to another identity than the configured one.
    fn is_foreign(&self, t: &Token) -> bool {
        lock(&self.foreign).as_ref().is_some_and(|f| f.expose() == t.access_token())
    }

    fn current_is_foreign(&self) -> bool {
        lock(&self.foreign).is_some() && self.managed.current_token().is_some_and(|t| self.is_foreign(&t))
    }

    /// A token obtained outside the managed renewal (a grant, `set_token`) becomes current. When
    /// it belongs to the configured identity (`mine`) it is written to the cache (a cache failure
    /// does not lose the token: it is logged); otherwise it is marked foreign and kept out of it.
    fn adopt(&self, token: &Token, mine: bool) {
        *lock(&self.foreign) = if mine { None } else { Secret::new(token.access_token()) };
        self.managed.adopt(token);
        if !mine {
            log_event!(
                Info,
                "managed token: the new token belongs to another identity than the configured one; it is kept out of the token cache"
            );
            return;
        }
        if let Some(cache) = &self.cache {
            let stored = cache.lock(&self.cache_key).and_then(|_guard| cache.store(&self.cache_key, token));
            if let Err(e) = stored {
                log_event!(Error, "token cache: the new token could not be written: {}", e.message());
            }
        }
    }

    /// Whether a token read from the cache can be served as it is.
    fn servable(&self, t: &Token) -> bool {
        !self.managed.is_invalidated(t) && !self.managed.renew_due(t, now_ms())
    }

    /// One renewal (the caller holds the managed token's renewal lock): under the cache lock,
    /// re-read the cache, then refresh, then fall back to the configured grant; write the result
    /// before unlocking. `mine` is the token being replaced.
    fn renew_now(&self, mine: Option<&Token>) -> Result<Token> {
        // A token of another identity (an explicit grant for another user) is renewed with its own
        // refresh token and kept out of the cache; once that fails, the configured identity takes
        // over (without that token's refresh token).
        if let Some(m) = mine.filter(|m| self.is_foreign(m)) {
            if let Some(rt) = m.refresh_token() {
                log_event!(Info, "managed token: renewing a token of another identity with its refresh token (not cached)");
                match self.token_request(&GrantRequest::Refresh { refresh_token: rt }, Some(rt)) {
                    Ok(t) => {
                        *lock(&self.foreign) = Secret::new(t.access_token());
                        return Ok(t);
                    }
                    Err(e) if e.status() == Status::InvalidGrant => {
                        log_event!(
                            Warn,
                            "managed token: the other identity's refresh token was refused; falling back to the configured grant"
                        );
                    }
                    Err(e) => return Err(e),
                }
            }
            let t = self.renew_shared(None)?;
            *lock(&self.foreign) = None;
            return Ok(t);
        }
        self.renew_shared(mine)
    }

    /// [`Inner::renew_now`] for the configured identity.
    fn renew_shared(&self, mine: Option<&Token>) -> Result<Token> {
        let _guard = self.cache.as_ref().map(|c| c.lock(&self.cache_key)).transpose()?;
        let mut refresh_token = mine.and_then(Token::refresh_token).map(|s| Zeroizing::new(s.to_owned()));
        if let Some(cache) = &self.cache {
            if let Some(cached) = cache.load(&self.cache_key)? {
                if self.servable(&cached) {
                    log_event!(Info, "token cache {}: using the token another process renewed", cache.describe());
                    return Ok(cached);
                }
                let newer = mine.is_none_or(|m| cached.received_at_ms() >= m.received_at_ms());
                if newer {
                    if let Some(rt) = cached.refresh_token() {
                        refresh_token = Some(Zeroizing::new(rt.to_owned()));
                    }
                }
            }
        }
        let token = self.renew_with(refresh_token.as_deref().map(String::as_str))?;
        if let Some(cache) = &self.cache {
            if let Err(e) = cache.store(&self.cache_key, &token) {
                log_event!(Error, "token cache: the renewed token could not be written: {}", e.message());
            }
        }
        Ok(token)
    }

    fn renew_with(&self, refresh_token: Option<&str>) -> Result<Token> {
        let mut refused: Option<Error> = None;
        if let Some(rt) = refresh_token {
            log_event!(Info, "managed token: renewing with the refresh token");
            match self.token_request(&GrantRequest::Refresh { refresh_token: rt }, Some(rt)) {
                Ok(t) => return Ok(t),
                Err(e) if e.status() == Status::InvalidGrant => {
                    log_event!(Warn, "managed token: the refresh token was refused (invalid_grant)");
                    refused = Some(e.clone());
                    if let Some(cache) = &self.cache {
                        // A sibling may have rotated it: the cache holds the newest refresh token.
                        if let Some(cached) = cache.load(&self.cache_key)? {
                            if self.servable(&cached) {
                                log_event!(Info, "token cache {}: using the token another process renewed", cache.describe());
                                return Ok(cached);
                            }
                            if let Some(other) = cached.refresh_token().filter(|c| *c != rt) {
                                log_event!(
                                    Info,
                                    "token cache {}: retrying with the refresh token another process stored",
                                    cache.describe()
                                );
                                match self.token_request(&GrantRequest::Refresh { refresh_token: other }, Some(other)) {
                                    Ok(t) => return Ok(t),
                                    Err(e) if e.status() == Status::InvalidGrant => {}
                                    Err(e) => return Err(e),
                                }
                            }
                        }
                    }
                }
                Err(e) => return Err(e),
            }
        }
        let cfg = &self.cfg;
        match cfg.effective_grant() {
            Grant::Password => match (&cfg.username, &cfg.password) {
                (Some(u), Some(p)) => {
                    log_event!(Info, "managed token: requesting a new token with the password grant");
                    self.token_request(&GrantRequest::Password { username: u, password: p.expose() }, None)
                }
                _ => Err(Error::new(
                    Status::NoToken,
                    "no token: grant=password needs both the username and password options (or TRUSTPILOT_USERNAME and TRUSTPILOT_PASSWORD)",
                )),
            },
            Grant::ClientCredentials => {
                log_event!(Info, "managed token: requesting a new token with the client credentials grant");
                self.token_request(&GrantRequest::ClientCredentials, None)
            }
            Grant::None => {
                let why = if refused.is_some() { "the refresh token was refused (invalid_grant)" } else { "no usable refresh token" };
                let e = Error::new(
                    Status::NoToken,
                    format!("no token: grant=none and {why}; obtain one with a grant or set_token, or set the grant option to password (with username and password) or client_credentials"),
                );
                Err(match refused {
                    Some(r) => e.with_http_status(r.http_status()).with_oauth_code(r.oauth_code().map(str::to_owned)),
                    None => e,
                })
            }
        }
    }
}

impl Renewal for Inner {
    fn now_ms(&self) -> i64 {
        now_ms()
    }

    fn renew(&self, current: Option<&Token>) -> Result<Token> {
        self.renew_now(current)
    }
}
