//! How the managed token is renewed ([`Renewal`] for the client): under the token cache's lock,
//! re-read the cache, refresh, then fall back to the configured grant, and write the result before
//! unlocking; and which tokens may go into the shared cache at all (a token of another identity
//! stays in this client's memory). The single flight around it is [`super::managed`], which also
//! keeps whose identity the current token belongs to, together with the token.

use super::endpoint::GrantRequest;
use super::managed::{Identity, Renewal};
use super::Inner;
use crate::cache::{CacheLock, Locked};
use crate::config::Grant;
use crate::error::{Error, Result, Status};
use crate::log::log_event;
use crate::token::{now_ms, Token};
use std::cell::Cell;
use zeroize::Zeroizing;

impl Inner {
    // ---- the current token -------------------------------------------------------------------

    /// The current token's refresh token, and whose identity it belongs to.
    pub(super) fn current_refresh_token(&self) -> Option<(String, Identity)> {
        self.managed.refresh_token()
    }

    /// Whether the configured identity is open: `grant=none` without a username (the application
    /// hands the client its tokens), so that any token it obtains is the one to share.
    pub(super) fn open_identity(&self) -> bool {
        self.cfg.effective_grant() == Grant::None && self.cfg.username.is_none()
    }

    /// A token obtained outside the managed renewal (a grant, `set_token`) becomes current as
    /// `whose`. The configured identity's is written to the cache (a cache failure does not lose
    /// the token: it is logged); another identity's is kept out of it.
    pub(super) fn adopt(&self, token: &Token, whose: Identity) {
        self.managed.adopt(token, whose);
        if whose == Identity::Other {
            log_event!(
                Info,
                "managed token: the new token belongs to another identity than the configured one; it is kept out of the token cache"
            );
            return;
        }
        if let Some(cache) = &self.cache {
            match cache.lock(&self.cache_key).and_then(|mut guard| guard.store(token)) {
                Ok(None) => {}
                // A renewal elsewhere stored a newer token in between: this one stays current here.
                Ok(Some(_)) => log_event!(
                    Info,
                    "token cache {}: a newer token was stored meanwhile; the new token stays in this client only",
                    cache.describe()
                ),
                Err(e) => log_event!(Error, "token cache: the new token could not be written: {}", e.message()),
            }
        }
    }

    /// Drop `refresh_token` (revoked) from the cache entry if it holds it.
    pub(super) fn forget_in_cache(&self, refresh_token: &str) -> Result<()> {
        if let Some(cache) = &self.cache {
            cache.lock(&self.cache_key)?.forget(refresh_token)?;
        }
        Ok(())
    }

    /// Whether a token read from the cache can be served as it is.
    fn servable(&self, t: &Token) -> bool {
        !self.managed.is_invalidated(t) && !self.managed.renew_due(t, now_ms())
    }

    /// One renewal (the caller holds the managed token's renewal lock): under the cache lock,
    /// re-read the cache, then refresh, then fall back to the configured grant; write the result
    /// before unlocking. `replacing` is the current token, the one being replaced, which belongs
    /// to `whose`; the token returned belongs to the identity returned with it.
    fn renew_now(&self, replacing: Option<&Token>, whose: Identity) -> Result<(Token, Identity)> {
        if let Some(service) = &self.service {
            // The service serves the configured identity's token (`token_source_identity`).
            return Ok((self.renew_from_service(service, replacing)?, Identity::Configured));
        }
        // A token of another identity (an explicit grant for another user) is renewed with its own
        // refresh token and kept out of the cache; once that fails, the configured identity takes
        // over (without that token's refresh token).
        if let (Some(m), Identity::Other) = (replacing, whose) {
            if let Some(rt) = m.refresh_token() {
                log_event!(Info, "managed token: renewing a token of another identity with its refresh token (not cached)");
                match self.endpoint.token_request(&GrantRequest::Refresh { refresh_token: rt }, Some(rt)) {
                    Ok(t) => return Ok((t, Identity::Other)),
                    Err(e) if e.status() == Status::InvalidGrant => {
                        log_event!(
                            Warn,
                            "managed token: the other identity's refresh token was refused; falling back to the configured grant"
                        );
                    }
                    Err(e) => return Err(e),
                }
            }
            return Ok((self.renew_shared(None)?, Identity::Configured));
        }
        Ok((self.renew_shared(replacing)?, Identity::Configured))
    }

    /// [`Inner::renew_now`] for the configured identity: under the cache's lock, re-read it (a
    /// token another process renewed is served; the error of a renewal that failed while this
    /// caller waited is answered, not repeated), renew with the newest refresh token known (the
    /// cache's, this client's, or once the previous release's entry's), write the result fenced,
    /// and adopt a newer one stored meanwhile.
    fn renew_shared(&self, replacing: Option<&Token>) -> Result<Token> {
        let replacing_rt = replacing.and_then(Token::refresh_token).map(|s| Zeroizing::new(s.to_owned()));
        let Some(cache) = &self.cache else {
            return self.renew_with(replacing_rt.as_deref().map(String::as_str), None);
        };
        let started = now_ms();
        let mut guard = match cache.lock_or_use(&self.cache_key, &|t| self.servable(t))? {
            Locked::Held(g) => g,
            Locked::Stored(t) => {
                log_event!(Info, "token cache {}: using the token another process renewed", cache.describe());
                return Ok(t);
            }
        };
        let cached = guard.load()?;
        if let Some(c) = &cached {
            if self.servable(c) {
                log_event!(Info, "token cache {}: using the token another process renewed", cache.describe());
                return Ok(c.clone());
            }
        }
        if let Some(e) = guard.failure_since(started)? {
            log_event!(
                Info,
                "token cache {}: the renewal this process waited for failed in another process; answering its error without a token request",
                cache.describe()
            );
            if let (Status::RateLimited, Some(wait)) = (e.status(), e.retry_after()) {
                // The 429's cooldown holds here too, as if this process had been answered it.
                self.endpoint.cool_down(wait);
            }
            return Err(e);
        }
        let mut refresh_token = replacing_rt;
        let newer = |t: &Token| replacing.is_none_or(|m| m.refresh_token().is_none() || t.received_at_ms() >= m.received_at_ms());
        match &cached {
            Some(c) if newer(c) => {
                if let Some(rt) = c.refresh_token() {
                    refresh_token = Some(Zeroizing::new(rt.to_owned()));
                }
            }
            Some(_) => {}
            None => {
                if let Some(old) = guard.load_legacy()?.filter(|l| l.refresh_token().is_some() && newer(l)) {
                    match self.move_legacy(&old, &mut *guard) {
                        Ok(Some(t)) => return self.store_renewed(&mut *guard, t),
                        Ok(None) => {}
                        Err(e) => {
                            Self::share_failure(&mut *guard, &e);
                            return Err(e);
                        }
                    }
                }
            }
        }
        match self.renew_with(refresh_token.as_deref().map(String::as_str), Some(&mut *guard)) {
            Ok(t) => self.store_renewed(&mut *guard, t),
            Err(e) => {
                Self::share_failure(&mut *guard, &e);
                Err(e)
            }
        }
    }

    /// The entry the previous release wrote (before entries were bound to the secret): its access
    /// token is never served, since any process with the API key could have read or planted it.
    /// Its refresh token is tried once: the refresh request authenticates with the secret, so a
    /// wrong secret gets `invalid_client` and learns nothing, and the right one moves the identity
    /// to its new entry without asking a person to authorize again. `Ok(None)`: refused
    /// (`invalid_grant`), the entry is dropped and the usual renewal follows.
    fn move_legacy(&self, old: &Token, guard: &mut dyn CacheLock) -> Result<Option<Token>> {
        let Some(rt) = old.refresh_token() else { return Ok(None) };
        log_event!(
            Info,
            "token cache: found the previous release's entry; renewing with its refresh token to move it (its access token is not used)"
        );
        match self.endpoint.token_request(&GrantRequest::Refresh { refresh_token: rt }, Some(rt)) {
            Ok(t) => {
                guard.remove_legacy()?;
                Ok(Some(t))
            }
            Err(e) if e.status() == Status::InvalidGrant => {
                log_event!(Warn, "token cache: the previous release's refresh token was refused (invalid_grant); dropping that entry");
                guard.remove_legacy()?;
                Ok(None)
            }
            // invalid_client (a wrong secret), an outage: the entry stays for its owner.
            Err(e) => Err(e),
        }
    }

    /// Write a renewed token (fenced); a newer one stored meanwhile is adopted instead.
    fn store_renewed(&self, guard: &mut dyn CacheLock, token: Token) -> Result<Token> {
        match guard.store(&token) {
            Ok(None) => Ok(token),
            Ok(Some(newer)) if self.servable(&newer) => Ok(newer),
            Ok(Some(_)) => Ok(token),
            Err(e) => {
                log_event!(Error, "token cache: the renewed token could not be written: {}", e.message());
                Ok(token)
            }
        }
    }

    fn share_failure(guard: &mut dyn CacheLock, e: &Error) {
        if let Err(w) = guard.record_failure(e) {
            log_event!(Warn, "token cache: the failed renewal could not be shared with the processes waiting for it: {}", w.message());
        }
    }

    fn renew_with(&self, refresh_token: Option<&str>, guard: Option<&mut dyn CacheLock>) -> Result<Token> {
        let mut refused: Option<Error> = None;
        if let Some(rt) = refresh_token {
            log_event!(Info, "managed token: renewing with the refresh token");
            match self.endpoint.token_request(&GrantRequest::Refresh { refresh_token: rt }, Some(rt)) {
                Ok(t) => return Ok(t),
                Err(e) if e.status() == Status::InvalidGrant => {
                    log_event!(Warn, "managed token: the refresh token was refused (invalid_grant)");
                    refused = Some(e.clone());
                    if let (Some(cache), Some(guard)) = (&self.cache, guard) {
                        // A sibling may have rotated it: the cache holds the newest refresh token.
                        if let Some(cached) = guard.load()? {
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
                                match self.endpoint.token_request(&GrantRequest::Refresh { refresh_token: other }, Some(other)) {
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
                    self.endpoint.token_request(&GrantRequest::Password { username: u, password: p.expose() }, None)
                }
                _ => Err(Error::new(
                    Status::NoToken,
                    "no token: grant=password needs both the username and password options (or TRUSTPILOT_USERNAME and TRUSTPILOT_PASSWORD)",
                )),
            },
            Grant::ClientCredentials => {
                log_event!(Info, "managed token: requesting a new token with the client credentials grant");
                self.endpoint.token_request(&GrantRequest::ClientCredentials, None)
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

    fn coarse_ms(&self) -> i64 {
        crate::clock::coarse_ms()
    }

    fn coarse_lag_ms(&self) -> i64 {
        crate::clock::coarse_lag_ms()
    }

    fn renew(&self, current: Option<&Token>, whose: Identity) -> Result<(Token, Identity)> {
        self.renew_now(current, whose)
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
