//! The client: grants, refresh, revoke, the managed token and API calls.
//!
//! The managed token ([`Auth::get_token`]) is the heart of the library. While the current token is
//! valid it is returned without I/O and without waiting for a renewal in progress. When it must be
//! renewed, exactly one caller renews (single flight) and every caller that waited gets that
//! caller's result or error. With a token cache, the renewal happens under the cache's lock after
//! re-reading it, so that processes sharing the cache make one token request between them.
//!
//! This file is the facade ([`Auth`]); the jobs behind it: `api_call.rs` (API calls: the URL a
//! call goes to, the hosts that may see the token, the headers), `endpoint.rs` (`TokenEndpoint`: the token endpoints on
//! the wire: grants, client authentication, retries, backoff, Retry-After and the 429 cooldown),
//! `classify.rs` (what an error answer means, and which of its text may be repeated),
//! `managed.rs` (the single-flight state machine, loom-checked through `sync.rs` and
//! `loom_tests.rs`) and `renewal.rs` (one renewal: the token cache, refresh, the configured grant).

mod api_call;
mod classify;
mod endpoint;
mod forward;
#[cfg(all(test, not(loom)))]
mod identity_tests;
#[cfg(all(test, loom))]
mod loom_tests;
mod managed;
mod observe;
mod renewal;
mod source;
mod stats;
mod sync;

pub use forward::Forwarded;
pub use stats::TokenRequestStats;

use crate::cache::{self, TokenCache};
use crate::config::{Config, Grant};
use crate::error::{Error, Result, Status};
use crate::http::Http;
use crate::redirect::{build_authorize_url_with, check_redirect_uri, ResponseType};
use crate::secret::Secret;
use crate::token::Token;
use crate::url::redact_url;
use endpoint::{GrantRequest, TokenEndpoint};
use managed::{Identity, Managed};

pub use api_call::{caller_header_kept, ApiCall, Renew, CALLERS_OWN_HEADER};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use zeroize::Zeroizing;

/// A Trustpilot client. `Send + Sync` and cheap to clone (clones share the connection pool, the
/// current token and the single-flight renewal): share one per application.
///
/// ```no_run
/// let mut cfg = tpauth::Config::new("API_KEY", "API_SECRET")?;
/// cfg.set("username", "me@example.com")?;
/// cfg.set("password", "hunter2")?;
/// let auth = tpauth::Auth::new(&cfg)?;
/// let workers: Vec<_> = (0..8)
///     .map(|_| {
///         let auth = auth.clone();
///         std::thread::spawn(move || auth.request("GET", "/v1/private/business-units/123", None, None))
///     })
///     .collect();
/// for w in workers {
///     w.join().unwrap()?; // eight calls, one token request
/// }
/// # Ok::<(), tpauth::Error>(())
/// ```
#[derive(Clone)]
pub struct Auth {
    inner: Arc<Inner>,
}

struct Inner {
    cfg: Config,
    /// The transport of API calls; the token endpoint shares it (one connection pool).
    http: Arc<Http>,
    /// Trustpilot's token endpoints: grants, refresh, revoke, client authentication, retries.
    endpoint: TokenEndpoint,
    /// The managed token's state machine (single flight, renew-ahead, invalidation).
    managed: Managed,
    cache: Option<Box<dyn TokenCache>>,
    cache_key: cache::CacheKey,
    /// The hosts that may receive the token (`check_token_url`).
    token_hosts: crate::url::TokenHosts,
    /// The token service the managed token comes from (`token_source=serve:…`), instead of
    /// Trustpilot's token endpoints (`source.rs`).
    service: Option<crate::service::ServiceClient>,
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
    /// or a bad proxy, and with `Store` on a symlinked token cache. No request is sent.
    ///
    /// ```
    /// let auth = tpauth::Auth::new(&tpauth::Config::new("API_KEY", "API_SECRET")?)?;
    /// let mut plain = tpauth::Config::new("API_KEY", "API_SECRET")?;
    /// plain.set("api_base_url", "http://api.example.com")?;
    /// assert_eq!(tpauth::Auth::new(&plain).unwrap_err().status(), tpauth::Status::InvalidArgument);
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn new(cfg: &Config) -> Result<Auth> {
        crate::url::check_url(&cfg.api_base_url, cfg.allow_insecure_http).map_err(|e| e.context("option api_base_url"))?;
        crate::url::check_url(&cfg.authorize_url, cfg.allow_insecure_http).map_err(|e| e.context("option authorize_url"))?;
        let http = Arc::new(Http::new(cfg)?);
        let service = crate::service::ServiceClient::from_config(cfg)?;
        // With a token service, the service's cache is the one that counts.
        let cache = match (&service, cfg.token_cache.as_deref()) {
            (None, Some(spec)) => Some(cache::open(spec, cfg)?),
            _ => None,
        };
        let grant = cfg.effective_grant();
        let who = match grant {
            Grant::Password => cfg.username.clone().unwrap_or_default(),
            _ => cfg.business_user_id.clone().unwrap_or_default(),
        };
        // Bound to the secret (and the password the grant uses): a process with the right key but
        // a wrong secret finds no entry, as it would get invalid_client without the cache.
        let password = match grant {
            Grant::Password => cfg.password.as_ref().map(Secret::expose).unwrap_or_default(),
            _ => "",
        };
        let cache_key =
            cache::identity_keys(&cfg.api_base_url, &cfg.api_key, &format!("{grant:?}"), &who, cfg.api_secret.expose(), password);
        Ok(Auth {
            inner: Arc::new(Inner {
                endpoint: TokenEndpoint::new(cfg, Arc::clone(&http)),
                cfg: cfg.clone(),
                http,
                managed: Managed::new(cfg.refresh_leeway_s),
                cache,
                cache_key,
                token_hosts: crate::url::TokenHosts::new(&cfg.api_base_url, &cfg.token_hosts),
                service,
            }),
        })
    }

    /// The configuration this client was built with.
    ///
    /// ```
    /// # let auth = tpauth::Auth::new(&tpauth::Config::new("k", "s")?)?;
    /// assert_eq!(auth.config().api_base_url(), "https://api.trustpilot.com");
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn config(&self) -> &Config {
        &self.inner.cfg
    }

    /// The current token when [`Auth::get_token`] would answer it at once: held, not invalidated
    /// and not yet due for renewal. `None` otherwise (then `get_token` may do I/O). Never waits for
    /// a renewal in progress and never does I/O: for bindings that answer a cached token without
    /// leaving their event loop.
    ///
    /// ```
    /// # let auth = tpauth::Auth::new(&tpauth::Config::new("k", "s")?)?;
    /// match auth.current_token_if_fresh() {
    ///     Some(token) => println!("cached, expires at {}", token.expires_at()),
    ///     None => println!("the next get_token() may ask Trustpilot"),
    /// }
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn current_token_if_fresh(&self) -> Option<Token> {
        self.inner.managed.fresh(&*self.inner)
    }

    // ---- grants ---------------------------------------------------------------------------

    /// The password grant; the token becomes the current one. It is written to the token cache
    /// only when it belongs to the configured identity (`username` is this user and the managed
    /// grant is `password`, or the client has no identity of its own: `grant=none` without a
    /// username); a token for another user stays in this client's memory, and so do its renewals,
    /// so that processes sharing the cache are never served another user's token.
    ///
    /// ```no_run
    /// # let auth = tpauth::Auth::new(&tpauth::Config::new("k", "s")?)?;
    /// let token = auth.password_grant("me@example.com", "hunter2")?;
    /// println!("expires in {} s", token.expires_in());
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn password_grant(&self, username: &str, password: &str) -> Result<Token> {
        non_empty("username", username)?;
        non_empty("password", password)?;
        let t = self.inner.endpoint.token_request(&GrantRequest::Password { username, password }, None)?;
        let cfg = &self.inner.cfg;
        let whose = Identity::configured_if(match cfg.effective_grant() {
            Grant::Password => cfg.username.as_deref() == Some(username),
            Grant::None => cfg.username.as_deref().is_none_or(|u| u == username),
            Grant::ClientCredentials => false,
        });
        self.inner.adopt(&t, whose);
        Ok(t)
    }

    /// The client-credentials grant; the token becomes the current one (written to the token
    /// cache when the managed grant is `client_credentials`, or `none` without a username). API
    /// calls made with it need the `business_user_id` option.
    ///
    /// ```no_run
    /// let mut cfg = tpauth::Config::new("API_KEY", "API_SECRET")?;
    /// cfg.set("business_user_id", "5f1e…")?;
    /// let auth = tpauth::Auth::new(&cfg)?;
    /// let token = auth.client_credentials_grant()?;
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn client_credentials_grant(&self) -> Result<Token> {
        let t = self.inner.endpoint.token_request(&GrantRequest::ClientCredentials, None)?;
        let whose = Identity::configured_if(self.inner.cfg.effective_grant() == Grant::ClientCredentials || self.inner.open_identity());
        self.inner.adopt(&t, whose);
        Ok(t)
    }

    /// Exchange an authorization code; `redirect_uri` must equal the one of the authorize URL.
    /// Never retried (a code is single-use).
    ///
    /// ```no_run
    /// # let auth = tpauth::Auth::new(&tpauth::Config::new("k", "s")?)?;
    /// # let (redirect_url, state) = ("", "");
    /// let code = tpauth::parse_code_redirect(redirect_url, Some(state))?;
    /// let token = auth.authorization_code_grant(&code, "https://app.example/cb")?;
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn authorization_code_grant(&self, code: &str, redirect_uri: &str) -> Result<Token> {
        self.authorization_code_grant_pkce(code, redirect_uri, None)
    }

    /// As [`Auth::authorization_code_grant`], sending the PKCE `code_verifier` (RFC 7636) whose
    /// challenge went into [`Auth::authorize_url_pkce`]; `None` sends none.
    ///
    /// ```no_run
    /// # let auth = tpauth::Auth::new(&tpauth::Config::new("k", "s")?)?;
    /// # let (code, pkce) = ("", tpauth::new_pkce()?);
    /// let token = auth.authorization_code_grant_pkce(code, "https://app.example/cb", Some(&pkce.verifier))?;
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn authorization_code_grant_pkce(&self, code: &str, redirect_uri: &str, code_verifier: Option<&str>) -> Result<Token> {
        non_empty("code", code)?;
        check_redirect_uri(redirect_uri, self.inner.cfg.allow_loopback_redirect_uri)?;
        if let Some(v) = code_verifier {
            crate::pkce::check_verifier(v)?;
        }
        let t = self.inner.endpoint.token_request(&GrantRequest::AuthorizationCode { code, redirect_uri, code_verifier }, None)?;
        // Whose token it is, only the browser knew: shared only by a client without an identity
        // of its own (grant=none, no username).
        self.inner.adopt(&t, Identity::configured_if(self.inner.open_identity()));
        Ok(t)
    }

    /// Refresh `refresh_token`, or the current token's when `None`. The new token becomes the
    /// current one; an answer without a refresh token keeps the old one. With nothing to refresh
    /// it is `NoToken`; a revoked or rotated refresh token is `InvalidGrant`.
    ///
    /// ```no_run
    /// # let auth = tpauth::Auth::new(&tpauth::Config::new("k", "s")?)?;
    /// let token = auth.refresh(None)?; // the current token's refresh token
    /// # let saved_refresh_token = "";
    /// let other = auth.refresh(Some(saved_refresh_token))?;
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn refresh(&self, refresh_token: Option<&str>) -> Result<Token> {
        // One read: the refresh token and the identity it belongs to are never of two tokens.
        let current = self.inner.current_refresh_token().map(|(rt, whose)| (Zeroizing::new(rt), whose));
        let rt = match refresh_token {
            Some(rt) => {
                non_empty("refresh_token", rt)?;
                Zeroizing::new(rt.to_owned())
            }
            None => current.as_ref().map(|(rt, _)| rt.clone()).ok_or_else(|| {
                Error::new(Status::NoToken, "refresh: there is no current refresh token (client-credentials and implicit tokens have none); pass one, or obtain a token with a grant first")
            })?,
        };
        // The new token belongs to whoever the refresh token did: the current token's identity
        // when it is the current refresh token (read together with it), else unknown (shared only
        // by an open identity).
        let whose = match &current {
            Some((current_rt, whose)) if **current_rt == *rt => *whose,
            _ => Identity::configured_if(self.inner.open_identity()),
        };
        let t = self.inner.endpoint.token_request(&GrantRequest::Refresh { refresh_token: &rt }, Some(&rt))?;
        self.inner.adopt(&t, whose);
        Ok(t)
    }

    /// Revoke `refresh_token` (and the access tokens issued with it), or the current token's when
    /// `None`. The current token is dropped when it was the one revoked.
    ///
    /// ```no_run
    /// # let auth = tpauth::Auth::new(&tpauth::Config::new("k", "s")?)?;
    /// auth.revoke(None)?; // sign out: the current token's refresh token
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn revoke(&self, refresh_token: Option<&str>) -> Result<()> {
        let rt = match refresh_token {
            Some(rt) => {
                non_empty("refresh_token", rt)?;
                Zeroizing::new(rt.to_owned())
            }
            None => Zeroizing::new(
                self.inner
                    .current_refresh_token()
                    .map(|(rt, _)| rt)
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
    ///
    /// ```no_run
    /// # let auth = tpauth::Auth::new(&tpauth::Config::new("k", "s")?)?;
    /// let token = auth.get_token()?; // a token request only when there is no valid token
    /// let header = format!("Bearer {}", token.access_token());
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn get_token(&self) -> Result<Token> {
        self.inner.managed.get_token(&*self.inner)
    }

    /// Drop the current token if it is still `access_token` (the one the API refused), so that N
    /// concurrent 401s cause one renewal. Its refresh token is kept for that renewal.
    ///
    /// ```no_run
    /// # let auth = tpauth::Auth::new(&tpauth::Config::new("k", "s")?)?;
    /// let token = auth.get_token()?;
    /// // ... the API answered 401 to a request made with `token` ...
    /// auth.invalidate_token(token.access_token())?;
    /// let fresh = auth.get_token()?; // renewed once, however many threads saw the 401
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn invalidate_token(&self, access_token: &str) -> Result<()> {
        non_empty("access_token", access_token)?;
        self.inner.managed.invalidate(access_token);
        Ok(())
    }

    /// Make `token` the current one (and write it to the token cache: the caller vouches that it
    /// belongs to the configured identity).
    ///
    /// ```no_run
    /// # let auth = tpauth::Auth::new(&tpauth::Config::new("k", "s")?)?;
    /// let saved = std::fs::read_to_string("token.json").unwrap_or_default();
    /// auth.set_token(&tpauth::Token::from_json(&saved)?)?;
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn set_token(&self, token: &Token) -> Result<()> {
        self.inner.adopt(token, Identity::Configured);
        Ok(())
    }

    // ---- browser flows ---------------------------------------------------------------------

    /// `{authorize_url}?client_id=KEY&redirect_uri=…&response_type=…&state=…`.
    /// With the `scope` option set, `&scope=…` is added. `redirect_uri` must be https (a
    /// loopback `http://127.0.0.1:PORT/…` only with `allow_loopback_redirect_uri=true`).
    ///
    /// ```
    /// # let auth = tpauth::Auth::new(&tpauth::Config::new("k", "s")?)?;
    /// use tpauth::ResponseType;
    /// let state = tpauth::new_state();
    /// let url = auth.authorize_url("https://app.example/cb", ResponseType::Code, Some(&state))?;
    /// assert!(url.starts_with("https://authenticate.trustpilot.com?client_id=k&redirect_uri=https%3A%2F%2Fapp.example%2Fcb"));
    /// assert!(auth.authorize_url("http://app.example/cb", ResponseType::Code, None).is_err());
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn authorize_url(&self, redirect_uri: &str, response_type: ResponseType, state: Option<&str>) -> Result<String> {
        self.authorize_url_pkce(redirect_uri, response_type, state, None)
    }

    /// As [`Auth::authorize_url`], adding `code_challenge=…&code_challenge_method=S256` (RFC 7636)
    /// when `code_challenge` is given (from [`crate::new_pkce`]; only with [`ResponseType::Code`]).
    ///
    /// ```
    /// # let auth = tpauth::Auth::new(&tpauth::Config::new("k", "s")?)?;
    /// let pkce = tpauth::new_pkce()?;
    /// let url = auth.authorize_url_pkce("https://app.example/cb", tpauth::ResponseType::Code, None, Some(&pkce.challenge))?;
    /// assert!(url.ends_with("&code_challenge_method=S256"));
    /// # Ok::<(), tpauth::Error>(())
    /// ```
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
    ///
    /// ```
    /// # let auth = tpauth::Auth::new(&tpauth::Config::new("k", "s")?)?;
    /// let token = tpauth::Token::from_json(r#"{"access_token":"AT","expires_in":3600}"#)?;
    /// let renew_at = auth.renew_at_ms(&token);
    /// assert_eq!(renew_at, token.expires_at_ms() - 60_000); // refresh_leeway_s = 60
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn renew_at_ms(&self, token: &Token) -> i64 {
        self.inner.managed.renew_at_ms(token)
    }
}
