//! How the managed token is renewed ([`Renewal`] for the client): under the token cache's lock,
//! re-read the cache, refresh, then fall back to the configured grant, and write the result before
//! unlocking; and which tokens may go into the shared cache at all (a token of another identity
//! stays in this client's memory). The single flight around it is [`super::managed`].

use super::endpoint::GrantRequest;
use super::managed::Renewal;
use super::{lock, Inner};
use crate::config::Grant;
use crate::error::{Error, Result, Status};
use crate::log::log_event;
use crate::secret::Secret;
use crate::token::{now_ms, Token};
use std::cell::Cell;
use zeroize::Zeroizing;

impl Inner {
    // ---- the current token -------------------------------------------------------------------

    pub(super) fn current_refresh_token(&self) -> Option<String> {
        self.managed.refresh_token()
    }

    /// Whether the configured identity is open: `grant=none` without a username (the application
    /// hands the client its tokens), so that any token it obtains is the one to share.
    pub(super) fn open_identity(&self) -> bool {
        self.cfg.effective_grant() == Grant::None && self.cfg.username.is_none()
    }

    /// Whether `t` belongs to another identity than the configured one.
    fn is_foreign(&self, t: &Token) -> bool {
        lock(&self.foreign).as_ref().is_some_and(|f| f.expose() == t.access_token())
    }

    pub(super) fn current_is_foreign(&self) -> bool {
        lock(&self.foreign).is_some() && self.managed.current_token().is_some_and(|t| self.is_foreign(&t))
    }

    /// A token obtained outside the managed renewal (a grant, `set_token`) becomes current. When
    /// it belongs to the configured identity (`mine`) it is written to the cache (a cache failure
    /// does not lose the token: it is logged); otherwise it is marked foreign and kept out of it.
    pub(super) fn adopt(&self, token: &Token, mine: bool) {
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

    fn awaiting_renewal(&self) {
        thread_local! {
            /// Set while this thread reports it: a log callback that asks for the token on that
            /// very message renews or waits too, without a second message (which would call it
            /// again, without end).
            static REPORTING: Cell<bool> = const { Cell::new(false) };
        }
        if !REPORTING.with(|r| r.replace(true)) {
            log_event!(Debug, "managed token: no token to serve; renewing it, or waiting for the renewal in progress");
            REPORTING.with(|r| r.set(false));
        }
    }
}
