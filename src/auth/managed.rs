//! The managed token's state machine: single flight, renew-ahead, compare-and-invalidate,
//! `set_token` and the hand-off of one renewal's outcome to the callers that waited for it.
//!
//! It knows nothing about HTTP or caches: the owner supplies the clock and the renewal itself
//! through [`Renewal`], so that the loom suite (`RUSTFLAGS="--cfg loom"`, see `loom_tests.rs`)
//! drives this very code with a fake renewal and explores every interleaving of its locks.
//!
//! Two locks, always taken in this order: `renew` (held by the one caller that renews, for the
//! whole renewal) then `current` (held for a few loads and stores, never across I/O). Log events
//! are emitted with `current` released: a log callback may call back into the library.
//!
//! The lock-free path: while the current token is usable and not due, it is also published in
//! `served` (an atomically swapped `Arc`, see `sync.rs`) with the instant it falls due on a coarse
//! monotonic clock, and `get_token` answers from there: one clock read, one pointer load and one
//! reference count, no lock. `served` is written only with `current` locked: filled by a caller that
//! found the token usable and not due under the lock, and emptied (or replaced) under the write
//! lock by every change of the token or of its usability. So it never holds a token that stopped
//! being current before the call that reads it began: an invalidated, revoked or replaced token is
//! never served from it afterwards.
//!
//! The current token and whose identity it belongs to ([`Identity`]) are one value of `Current`:
//! every writer (a renewal, `adopt`, `forget_revoked`) sets both under the same write lock, and the
//! renewal is handed both from the same read, so no interleaving pairs a token with another
//! token's identity (the one that would put another user's token into the shared cache, or renew
//! it with the configured user's credentials; `loom_tests.rs` races them).
//!
//! Every change of the current token bumps `Current::generation`. A caller records the generation
//! of the token it judged due (or unusable); once it holds `renew`, it renews only if that is still
//! the current state, and otherwise serves the token that replaced it. Without that check a caller
//! that judged the old token due took the lock the moment the renewing caller released it and
//! renewed the brand-new token a second time (`tests/contention.rs` counts the requests that race
//! would add).

use super::sync::{thread_local, Mutex, MutexGuard, PoisonError, Published, RwLock, RwLockReadGuard, RwLockWriteGuard, TryLockError};
use crate::error::{Error, Result, Status};
use crate::log::log_event;
use crate::secret::Secret;
use crate::token::Token;
use std::cell::RefCell;
use std::sync::Arc;

/// What the state machine needs from its owner.
pub(crate) trait Renewal {
    /// The clock, in milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;
    /// A cheap monotonic clock, in milliseconds (any origin), for the lock-free path: it may lag the
    /// true time by up to [`Renewal::coarse_lag_ms`] but never leads it. By default `now_ms` (a
    /// fake clock serves as both).
    fn coarse_ms(&self) -> i64 {
        self.now_ms()
    }
    /// How far `coarse_ms` may lag the true time, in milliseconds.
    fn coarse_lag_ms(&self) -> i64 {
        0
    }
    /// Obtain a new token to replace `current` (`None`: there is none; its refresh token, if any,
    /// is worth using), which belongs to `whose` (the configured identity when there is none).
    /// Called by one caller at a time, with no lock of [`Managed`] held but its renewal lock. The
    /// token returned becomes the current one, as belonging to the identity returned with it.
    fn renew(&self, current: Option<&Token>, whose: Identity) -> Result<(Token, Identity)>;
    /// A caller found no token it may serve: it now renews, or waits for the renewal another
    /// caller is making and is handed that renewal's outcome (token or error) without renewing
    /// again. Called with no lock of [`Managed`] held, once the caller has judged the current
    /// state (a renewal that completes from now on is one this caller waited for).
    fn awaiting_renewal(&self) {}
}

/// Whose identity a token belongs to. The configured identity's tokens are shared through the
/// token cache; another identity's (an explicit grant for another user) stay in this client's
/// memory and are renewed with their own refresh token, never with the configured credentials.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Identity {
    /// The identity the client is configured for (or any, for a client without one of its own).
    #[default]
    Configured,
    /// Another identity than the configured one.
    Other,
}

impl Identity {
    /// `Configured` when a token is the configured identity's, else `Other`.
    pub(crate) fn configured_if(configured: bool) -> Identity {
        if configured {
            Identity::Configured
        } else {
            Identity::Other
        }
    }
}

/// The managed token of one client.
pub(crate) struct Managed {
    current: RwLock<Current>,
    /// The current token while it is usable and not due, for the lock-free path (written only with
    /// `current` locked; see the module's documentation).
    served: Published<Served>,
    /// Held by the one caller that renews; the others wait on it.
    renew: Mutex<Slot>,
    /// `refresh_leeway_s`, in milliseconds.
    leeway_ms: i64,
}

#[derive(Default)]
struct Current {
    token: Option<Token>,
    /// Whose identity `token` belongs to: written together with it, under the same lock.
    whose: Identity,
    /// False once the API refused the access token (its refresh token is still worth using).
    usable: bool,
    /// The access token last invalidated: never adopted again from the cache.
    invalidated: Option<Secret>,
    /// Bumped by every change of `token` or `usable`.
    generation: u64,
    /// Bumped by every renewal that completed, successful or not.
    attempts: u64,
}

impl Current {
    /// The token, if it may be served at `now_ms`.
    fn valid_at(&self, now_ms: i64) -> Option<&Token> {
        self.token.as_ref().filter(|t| self.usable && !t.is_expired_at_ms(now_ms, 0))
    }
}

/// A token the lock-free path may serve, and until when.
struct Served {
    token: Token,
    /// On the coarse clock: from then on the token is due (or may be), and callers take the lock.
    until_coarse_ms: i64,
}

#[derive(Default)]
struct Slot {
    /// The outcome of the last renewal, handed to the callers that waited for it.
    last: Option<Result<Token>>,
}

/// What a caller saw when it judged the current token.
#[derive(Clone, Copy)]
struct Seen {
    generation: u64,
    attempts: u64,
}

// Not a `const` initialiser: loom's `thread_local!` does not take one.
#[allow(clippy::missing_const_for_thread_local)]
mod renewing {
    use super::{thread_local, RefCell};
    thread_local! {
        /// The managed tokens this thread is renewing right now (a log callback may call back in).
        pub(super) static RENEWING: RefCell<Vec<usize>> = RefCell::new(Vec::new());
    }
}
use renewing::RENEWING;

/// Marks the renewal of one [`Managed`] on this thread for as long as it lives.
struct RenewingHere(usize);

impl RenewingHere {
    fn enter(m: &Managed) -> RenewingHere {
        let id = std::ptr::from_ref(m) as usize;
        RENEWING.with(|r| r.borrow_mut().push(id));
        RenewingHere(id)
    }

    fn active(m: &Managed) -> bool {
        let id = std::ptr::from_ref(m) as usize;
        RENEWING.with(|r| r.borrow().contains(&id))
    }
}

impl Drop for RenewingHere {
    fn drop(&mut self) {
        RENEWING.with(|r| {
            let mut v = r.borrow_mut();
            if let Some(i) = v.iter().rposition(|x| *x == self.0) {
                v.remove(i);
            }
        });
    }
}

impl Managed {
    pub(crate) fn new(refresh_leeway_s: i64) -> Managed {
        Managed {
            current: RwLock::new(Current::default()),
            served: Published::empty(),
            renew: Mutex::new(Slot::default()),
            leeway_ms: refresh_leeway_s.saturating_mul(1000),
        }
    }

    /// The current token, for reading (a poisoned lock still holds a consistent value: every
    /// writer assigns whole fields).
    fn read(&self) -> RwLockReadGuard<'_, Current> {
        self.current.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The current token, for replacing.
    fn write(&self) -> RwLockWriteGuard<'_, Current> {
        self.current.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn lock_renew(&self) -> MutexGuard<'_, Slot> {
        self.renew.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn try_lock_renew(&self) -> Option<MutexGuard<'_, Slot>> {
        match self.renew.try_lock() {
            Ok(g) => Some(g),
            Err(TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(TryLockError::WouldBlock) => None,
        }
    }

    /// When the token should be renewed: `refresh_leeway_s` before expiry, but never earlier than
    /// half-way through its lifetime.
    pub(crate) fn renew_due(&self, t: &Token, now_ms: i64) -> bool {
        let leeway_ms = self.leeway_ms.min(t.expires_in().max(0).saturating_mul(500));
        t.is_expired_at_ms(now_ms, leeway_ms)
    }

    /// The instant (unix ms) from which `renew_due` holds for `t`; `i64::MAX` without expiry.
    pub(crate) fn renew_at_ms(&self, t: &Token) -> i64 {
        let at = t.expires_at_ms();
        if at < 0 {
            return i64::MAX;
        }
        at.saturating_sub(self.leeway_ms.min(t.expires_in().max(0).saturating_mul(500)))
    }

    /// The published token, if the coarse clock `coarse_ms` is still before its deadline.
    fn served_at(&self, coarse_ms: i64) -> Option<Token> {
        self.served.with(|s| s.filter(|s| coarse_ms < s.until_coarse_ms).map(|s| s.token.clone()))
    }

    /// Publish `t` for the lock-free path. The caller holds `current` (read or write) and found `t`
    /// current, usable and not due at the wall-clock instant `now_ms`, which it read after the
    /// coarse clock's `coarse_ms`. The deadline is where the coarse clock stands when `t` falls
    /// due, less the clock's lag, so that the coarse clock never lets it be served later: the
    /// coarse clock read first lags the instant `now_ms` was read, by at least zero.
    fn publish<R: Renewal + ?Sized>(&self, r: &R, t: &Token, coarse_ms: i64, now_ms: i64) {
        let left = self.renew_at_ms(t).saturating_sub(now_ms);
        let until_coarse_ms = coarse_ms.saturating_add(left).saturating_sub(r.coarse_lag_ms());
        self.served.store(Some(Arc::new(Served { token: t.clone(), until_coarse_ms })));
    }

    /// The managed token: the current one while it is valid (no waiting), else one renewal for
    /// all callers at once. See [`crate::Auth::get_token`].
    pub(crate) fn get_token<R: Renewal + ?Sized>(&self, r: &R) -> Result<Token> {
        let coarse = r.coarse_ms();
        if let Some(t) = self.served_at(coarse) {
            return Ok(t);
        }
        let now = r.now_ms();
        let (valid, seen) = {
            let cur = self.read();
            let valid = cur.valid_at(now).cloned();
            if let Some(t) = valid.as_ref().filter(|t| !self.renew_due(t, now)) {
                self.publish(r, t, coarse, now);
                return Ok(t.clone());
            }
            (valid, Seen { generation: cur.generation, attempts: cur.attempts })
        };
        if let Some(t) = valid {
            // Renew ahead, by one caller; everyone else keeps the still-valid token.
            let Some(mut slot) = self.try_lock_renew() else {
                return Ok(t);
            };
            let outcome = self.renew_locked(r, &mut slot, seen, true);
            drop(slot);
            return match outcome {
                Err(e) if !t.is_expired_at_ms(r.now_ms(), 0) => {
                    log_event!(Warn, "managed token: early renewal failed ({}); serving the current token until it expires", e.message());
                    Ok(t)
                }
                other => other,
            };
        }
        if RenewingHere::active(self) {
            // A log callback of this very renewal asked for the token: waiting would deadlock.
            return Err(Error::new(
                Status::NoToken,
                "no token yet: get_token was called from inside this client's renewal (from a log callback); the renewal's outcome follows when the callback returns",
            ));
        }
        // No valid token: one caller renews, the others wait for its outcome.
        r.awaiting_renewal();
        let mut slot = self.lock_renew();
        self.renew_locked(r, &mut slot, seen, false)
    }

    /// Under the renewal lock: serve the current token when it is no longer the state the caller
    /// judged (renewed, set or adopted meanwhile) or not due; hand a waiter the error of the
    /// renewal it waited for; otherwise renew, once.
    fn renew_locked<R: Renewal + ?Sized>(&self, r: &R, slot: &mut Slot, seen: Seen, ahead: bool) -> Result<Token> {
        let coarse = r.coarse_ms();
        let now = r.now_ms();
        let (replacing, whose, base) = {
            let cur = self.read();
            if let Some(t) = cur.valid_at(now) {
                let due = self.renew_due(t, now);
                if !due {
                    self.publish(r, t, coarse, now);
                }
                if cur.generation != seen.generation || !due {
                    return Ok(t.clone());
                }
            }
            if !ahead && cur.attempts != seen.attempts {
                if let Some(Err(e)) = &slot.last {
                    return Err(e.clone());
                }
            }
            (cur.token.clone(), cur.whose, cur.generation)
        };
        let outcome = {
            let _here = RenewingHere::enter(self);
            r.renew(replacing.as_ref(), whose)
        };
        let served = {
            let coarse = r.coarse_ms();
            let mut cur = self.write();
            cur.attempts += 1;
            match &outcome {
                Ok((fresh, fresh_whose)) => {
                    // A token set or adopted during the renewal is newer: keep it.
                    let now = r.now_ms();
                    let newer = if cur.generation == base { None } else { cur.valid_at(now).cloned() };
                    match newer {
                        Some(t) => Ok(t),
                        None => {
                            cur.token = Some(fresh.clone());
                            cur.whose = *fresh_whose;
                            cur.usable = true;
                            cur.generation += 1;
                            if self.renew_due(fresh, now) {
                                self.served.store(None);
                            } else {
                                self.publish(r, fresh, coarse, now);
                            }
                            Ok(fresh.clone())
                        }
                    }
                }
                Err(e) => Err(e.clone()),
            }
        };
        slot.last = Some(outcome.map(|(t, _)| t));
        served
    }

    /// Drop the current token if it is still `access_token`; its refresh token is kept for the
    /// renewal. Returns whether it was.
    pub(crate) fn invalidate(&self, access_token: &str) -> bool {
        let matched = {
            let mut cur = self.write();
            let matched = cur.usable && cur.token.as_ref().is_some_and(|t| t.access_token() == access_token);
            if matched {
                cur.usable = false;
                cur.invalidated = Secret::new(access_token);
                cur.generation += 1;
                self.served.store(None);
            }
            matched
        };
        if matched {
            log_event!(Info, "managed token: invalidated (the API refused it); the next call renews it");
        }
        matched
    }

    /// Make `token`, which belongs to `whose`, the current one.
    pub(crate) fn adopt(&self, token: &Token, whose: Identity) {
        let mut cur = self.write();
        cur.token = Some(token.clone());
        cur.whose = whose;
        cur.usable = true;
        cur.generation += 1;
        // The next get_token publishes it (this call has no clock to date it with).
        self.served.store(None);
    }

    /// Forget the current token if its refresh token is `refresh_token` (it was revoked).
    pub(crate) fn forget_revoked(&self, refresh_token: &str) {
        let mut cur = self.write();
        if cur.token.as_ref().and_then(Token::refresh_token) == Some(refresh_token) {
            let invalidated = cur.token.as_ref().and_then(|t| Secret::new(t.access_token()));
            let generation = cur.generation + 1;
            *cur = Current { invalidated, generation, attempts: cur.attempts, ..Current::default() };
            self.served.store(None);
        }
    }

    /// The current token when `get_token` would answer it at once, without waiting or I/O: held,
    /// usable, unexpired and not yet due for renewal (by `r`'s clocks). Through the lock-free path,
    /// publishing the token for it when it finds it under the lock.
    pub(crate) fn fresh<R: Renewal + ?Sized>(&self, r: &R) -> Option<Token> {
        let coarse = r.coarse_ms();
        if let Some(t) = self.served_at(coarse) {
            return Some(t);
        }
        let now = r.now_ms();
        let cur = self.read();
        let t = cur.valid_at(now).filter(|t| !self.renew_due(t, now))?;
        self.publish(r, t, coarse, now);
        Some(t.clone())
    }

    /// The current token, usable or not.
    pub(crate) fn current_token(&self) -> Option<Token> {
        self.read().token.clone()
    }

    /// The current token, usable or not, and whose identity it belongs to (one read: never
    /// another token's identity).
    #[cfg(test)]
    pub(crate) fn current(&self) -> Option<(Token, Identity)> {
        let cur = self.read();
        cur.token.clone().map(|t| (t, cur.whose))
    }

    /// The current token's refresh token, and whose identity it belongs to (one read).
    pub(crate) fn refresh_token(&self) -> Option<(String, Identity)> {
        let cur = self.read();
        cur.token.as_ref().and_then(Token::refresh_token).map(|rt| (rt.to_owned(), cur.whose))
    }

    /// Whether `t` is the access token the API refused last.
    pub(crate) fn is_invalidated(&self, t: &Token) -> bool {
        self.read().invalidated.as_ref().is_some_and(|i| i.expose() == t.access_token())
    }

    /// For `Debug`: whether there is a token, and whether it was invalidated.
    pub(crate) fn describe(&self) -> Option<&'static str> {
        let cur = self.read();
        cur.token.as_ref().map(|_| if cur.usable { "[redacted]" } else { "[invalidated]" })
    }
}
