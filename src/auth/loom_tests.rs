//! The loom suite: the real state machine of `managed.rs` (built on loom's locks under
//! `--cfg loom`) with a fake renewal and a fake clock, through every interleaving loom explores.
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=3 cargo test --release --lib loom`
//! (`scripts/test-all.sh loom`).
//!
//! Every scenario asserts, in the fake renewal, that a token is replaced only when it is due,
//! expired or invalidated, and that no token is replaced twice; and, in the callers, that no one
//! is served a token that had expired when it asked, or the token it invalidated. The fake
//! renewal also checks that it is handed the identity of the very token it replaces: the tokens of
//! another identity are named `other-N`, the configured identity's `tok-N`.

use super::managed::{Identity, Managed, Renewal};
use crate::error::{Error, Result, Status};
use crate::token::Token;
use loom::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use loom::sync::{Arc, Condvar, Mutex};
use loom::thread;
use std::sync::Mutex as StdMutex;

/// Tokens live 2 s and are due after 1 s (the leeway of 1 s; renew-ahead never before half-way).
const LIFETIME_S: i64 = 2;
const LEEWAY_S: i64 = 1;
/// The clock when the first token is due but valid, and when it has expired.
const DUE_AT: i64 = 1_500;
const EXPIRED_AT: i64 = 2_100;

fn token(n: usize, received_at_ms: i64) -> Token {
    named("tok", n, received_at_ms)
}

/// A token of another identity than the configured one.
fn other_token(n: usize, received_at_ms: i64) -> Token {
    named("other", n, received_at_ms)
}

fn named(prefix: &str, n: usize, received_at_ms: i64) -> Token {
    let body = format!(r#"{{"access_token":"{prefix}-{n}","refresh_token":"{prefix}-rt-{n}","expires_in":{LIFETIME_S}}}"#);
    Token::from_response_at(&body, None, received_at_ms).unwrap()
}

/// Whose identity a token of these tests belongs to, by its name.
fn whose(t: &Token) -> Identity {
    if t.access_token().starts_with("other-") {
        Identity::Other
    } else {
        Identity::Configured
    }
}

struct Fake {
    managed: Managed,
    clock: AtomicI64,
    /// Renewals still to fail.
    failures: AtomicUsize,
    /// Tokens issued so far (`tok-0` is the first, adopted by each scenario).
    issued: AtomicUsize,
    /// The access tokens replaced by a successful renewal, in order.
    replaced: StdMutex<Vec<String>>,
    /// The access tokens some caller invalidated.
    invalidated: StdMutex<Vec<String>>,
    /// Whether another identity's refresh token is refused: its renewal then falls back to the
    /// configured identity (as the client's does), else it stays that identity's.
    other_refused: bool,
    /// Calls of `renew`, successful or not.
    renewals: AtomicUsize,
    /// Callers that found no token to serve and now renew or wait for the renewal (loom's lock:
    /// the first renewal blocks on it, and loom schedules the callers it waits for).
    awaiting: Mutex<usize>,
    awaiting_changed: Condvar,
    /// The first renewal returns only once this many callers await it (0: at once).
    hold_until_awaited_by: usize,
    /// The clock once the first successful renewal returns: its answer came that late.
    clock_after_first_renewal: Option<i64>,
}

impl Renewal for Fake {
    fn now_ms(&self) -> i64 {
        self.clock.load(Ordering::SeqCst)
    }

    fn awaiting_renewal(&self) {
        *self.awaiting.lock().unwrap() += 1;
        self.awaiting_changed.notify_all();
    }

    fn renew(&self, current: Option<&Token>, identity: Identity) -> Result<(Token, Identity)> {
        if self.renewals.fetch_add(1, Ordering::SeqCst) == 0 && self.hold_until_awaited_by > 0 {
            // The token endpoint answers only once every caller awaits this renewal.
            let mut awaiting = self.awaiting.lock().unwrap();
            while *awaiting < self.hold_until_awaited_by {
                awaiting = self.awaiting_changed.wait(awaiting).unwrap();
            }
        }
        let now = self.now_ms();
        let name = current.map_or_else(|| "none".to_owned(), |t| t.access_token().to_owned());
        if let Some(t) = current {
            assert_eq!(identity, whose(t), "renewing {name} as the identity of another token");
            let refused = self.invalidated.lock().unwrap().contains(&name);
            assert!(
                refused || self.managed.renew_due(t, now),
                "renewed {name} at {now} ms although it was neither due nor invalidated (received at {} ms)",
                t.received_at_ms()
            );
        }
        if self.failures.load(Ordering::SeqCst) > 0 {
            self.failures.fetch_sub(1, Ordering::SeqCst);
            return Err(Error::new(Status::Http, "the fake token endpoint failed"));
        }
        let mut replaced = self.replaced.lock().unwrap();
        assert!(!replaced.contains(&name), "{name} was renewed twice (replaced so far: {replaced:?})");
        replaced.push(name);
        let first = replaced.len() == 1;
        drop(replaced);
        let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        if let Some(later) = self.clock_after_first_renewal.filter(|_| first) {
            self.clock.store(later, Ordering::SeqCst);
        }
        if identity == Identity::Other && current.is_some() && !self.other_refused {
            Ok((other_token(n, now), Identity::Other))
        } else {
            Ok((token(n, now), Identity::Configured))
        }
    }
}

/// A client whose current token `tok-0` was received at 0 ms; the clock reads `now`.
fn setup(now: i64, failures: usize) -> Arc<Fake> {
    setup_with(now, failures, token(0, 0), false)
}

/// A client whose current token `first` (received at 0 ms) belongs to the identity its name says.
fn setup_with(now: i64, failures: usize, first: Token, other_refused: bool) -> Arc<Fake> {
    let fake = Arc::new(Fake { other_refused, ..fake(now, failures, 0) });
    fake.managed.adopt(&first, whose(&first));
    fake
}

/// A client without a token; the clock reads `now`; its first renewal returns once
/// `hold_until_awaited_by` callers await it.
fn fake(now: i64, failures: usize, hold_until_awaited_by: usize) -> Fake {
    Fake {
        managed: Managed::new(LEEWAY_S),
        clock: AtomicI64::new(now),
        failures: AtomicUsize::new(failures),
        issued: AtomicUsize::new(0),
        replaced: StdMutex::new(Vec::new()),
        invalidated: StdMutex::new(Vec::new()),
        other_refused: false,
        renewals: AtomicUsize::new(0),
        awaiting: Mutex::new(0),
        awaiting_changed: Condvar::new(),
        hold_until_awaited_by,
        clock_after_first_renewal: None,
    }
}

/// `set_token` or an explicit grant: `t` becomes current as the identity its name says.
fn adopt(fake: &Fake, t: &Token) {
    fake.managed.adopt(t, whose(t));
}

/// The current token is paired with its own identity.
fn assert_paired(fake: &Fake) {
    let (t, identity) = fake.managed.current().expect("a current token");
    assert_eq!(identity, whose(&t), "{} is current as the identity of another token", t.access_token());
}

/// `get_token`, checking that the token served had not expired when the caller asked.
fn get(fake: &Fake) -> Result<Token> {
    let asked = fake.now_ms();
    let t = fake.managed.get_token(fake)?;
    assert!(
        t.expires_at_ms() > asked,
        "served {} (expires at {} ms) to a caller that asked at {asked} ms",
        t.access_token(),
        t.expires_at_ms()
    );
    Ok(t)
}

fn replaced(fake: &Fake) -> usize {
    fake.replaced.lock().unwrap().len()
}

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut b = loom::model::Builder::new();
    if b.preemption_bound.is_none() {
        b.preemption_bound = Some(3);
    }
    b.check(f);
}

#[test]
fn loom_renew_ahead_racing_renew_ahead() {
    model(|| {
        let fake = setup(DUE_AT, 0);
        let other = {
            let fake = fake.clone();
            thread::spawn(move || get(&fake).unwrap())
        };
        let mine = get(&fake).unwrap();
        let theirs = other.join().unwrap();
        assert_eq!(replaced(&fake), 1, "one renewal ahead of expiry");
        for t in [mine, theirs] {
            assert!(t.access_token() == "tok-0" || t.access_token() == "tok-1", "{t:?}");
        }
    });
}

#[test]
fn loom_renew_ahead_racing_an_expired_token_wait() {
    model(|| {
        let fake = setup(DUE_AT, 0);
        let early = {
            let fake = fake.clone();
            thread::spawn(move || get(&fake).unwrap())
        };
        let clock = {
            let fake = fake.clone();
            thread::spawn(move || fake.clock.store(EXPIRED_AT, Ordering::SeqCst))
        };
        get(&fake).unwrap();
        early.join().unwrap();
        clock.join().unwrap();
        assert_eq!(replaced(&fake), 1, "tok-0 renewed once, whether ahead of or after its expiry");
        assert_eq!(get(&fake).unwrap().access_token(), "tok-1");
    });
}

#[test]
fn loom_invalidate_racing_a_renewal() {
    model(|| {
        let fake = setup(DUE_AT, 0);
        let renewer = {
            let fake = fake.clone();
            thread::spawn(move || get(&fake).unwrap())
        };
        // This caller's API call was refused with tok-0: it invalidates it, then asks again.
        fake.invalidated.lock().unwrap().push("tok-0".into());
        fake.managed.invalidate("tok-0");
        let after = get(&fake).unwrap();
        assert_ne!(after.access_token(), "tok-0", "served the token it had just invalidated");
        renewer.join().unwrap();
        assert_eq!(replaced(&fake), 1, "one renewal for the due and refused token");
    });
}

#[test]
fn loom_set_token_racing_a_renewal() {
    model(|| {
        let fake = setup(DUE_AT, 0);
        let renewer = {
            let fake = fake.clone();
            thread::spawn(move || get(&fake).unwrap())
        };
        let set = token(99, DUE_AT);
        adopt(&fake, &set);
        renewer.join().unwrap();
        assert!(replaced(&fake) <= 1, "at most the due token was renewed");
        // Whichever came last is current, valid and not due: no further renewal.
        let before = replaced(&fake);
        let now = get(&fake).unwrap();
        assert!(now.access_token() == "tok-99" || now.access_token() == "tok-1", "{now:?}");
        assert_eq!(replaced(&fake), before);
    });
}

#[test]
fn loom_failed_early_renewal_then_expiry() {
    model(|| {
        let fake = setup(DUE_AT, 1);
        // Ahead of expiry the first renewal fails: the valid token is served meanwhile.
        let other = {
            let fake = fake.clone();
            thread::spawn(move || get(&fake).unwrap())
        };
        get(&fake).unwrap();
        other.join().unwrap();
        // Then the token expires (unless the second caller renewed it) and two callers ask.
        fake.clock.store(EXPIRED_AT, Ordering::SeqCst);
        let other = {
            let fake = fake.clone();
            thread::spawn(move || get(&fake))
        };
        let mine = get(&fake);
        let theirs = other.join().unwrap();
        for r in [mine, theirs] {
            assert_eq!(r.unwrap().access_token(), "tok-1", "after the failure, one renewal serves everyone");
        }
        assert_eq!(replaced(&fake), 1);
    });
}

/// `callers` callers ask at once while there is no token to serve. The first renewal fails, and
/// returns only once every caller awaits it. Whoever renews, and in whichever order the
/// others take the renewal lock afterwards: one renewal, and everyone gets its error (a caller
/// that renewed again after waiting would be the stampede of an outage).
fn callers_waiting_on_a_failing_renewal(fake: Fake, callers: usize) {
    let fake = Arc::new(fake);
    let others: Vec<_> = (1..callers)
        .map(|_| {
            let fake = fake.clone();
            thread::spawn(move || fake.managed.get_token(&*fake))
        })
        .collect();
    let mut outcomes = vec![fake.managed.get_token(&*fake)];
    outcomes.extend(others.into_iter().map(|o| o.join().unwrap()));
    assert_eq!(fake.renewals.load(Ordering::SeqCst), 1, "the callers that waited renewed again");
    let failed = Error::new(Status::Http, "the fake token endpoint failed");
    for o in outcomes {
        match o {
            Err(e) => assert_eq!(e, failed),
            Ok(t) => panic!("a caller got {} instead of the error of the renewal it waited for", t.access_token()),
        }
    }
}

#[test]
fn loom_callers_waiting_on_a_failing_renewal_of_an_expired_token_get_its_error() {
    model(|| {
        let f = fake(EXPIRED_AT, 1, 3);
        adopt(&f, &token(0, 0));
        callers_waiting_on_a_failing_renewal(f, 3);
    });
}

#[test]
fn loom_callers_waiting_on_a_failing_first_renewal_get_its_error() {
    model(|| callers_waiting_on_a_failing_renewal(fake(0, 1, 2), 2));
}

#[test]
fn loom_callers_waiting_on_a_failing_renewal_of_an_invalidated_token_get_its_error() {
    model(|| {
        let f = fake(DUE_AT, 1, 2);
        adopt(&f, &token(0, 0));
        f.invalidated.lock().unwrap().push("tok-0".into());
        assert!(f.managed.invalidate("tok-0"));
        callers_waiting_on_a_failing_renewal(f, 2);
    });
}

/// The renewal's answer came so late that the new token is already due when the caller that
/// waited for it looks (a short lifetime, a slow token endpoint). That caller serves it, valid as
/// it is: it did not judge that token, and renewing it again at once would be a second renewal
/// for one expiry (the next caller renews it ahead, once).
#[test]
fn loom_a_caller_that_waited_serves_the_renewed_token_even_when_already_due() {
    model(|| {
        let mut f = fake(EXPIRED_AT, 0, 2);
        // tok-1, received at EXPIRED_AT, is due 1 s later and expires 2 s later.
        f.clock_after_first_renewal = Some(EXPIRED_AT + 1_500);
        adopt(&f, &token(0, 0));
        let fake = Arc::new(f);
        let other = {
            let fake = fake.clone();
            thread::spawn(move || get(&fake).unwrap())
        };
        let mine = get(&fake).unwrap();
        let theirs = other.join().unwrap();
        assert_eq!(replaced(&fake), 1, "the caller that waited renewed the token that replaced the one it judged");
        for t in [mine, theirs] {
            assert_eq!(t.access_token(), "tok-1");
        }
    });
}

/// The clock when the first token is fresh: valid and not due (it falls due at 1,000 ms).
const FRESH_AT: i64 = 500;

/// A client whose `tok-0` is published for the lock-free path (one `get_token` under the lock).
fn setup_published() -> Arc<Fake> {
    let fake = setup(FRESH_AT, 0);
    assert_eq!(get(&fake).unwrap().access_token(), "tok-0");
    fake
}

#[test]
fn loom_invalidate_racing_a_lock_free_read() {
    model(|| {
        let fake = setup_published();
        let reader = {
            let fake = fake.clone();
            thread::spawn(move || (get(&fake).unwrap(), get(&fake).unwrap()))
        };
        // The API refused tok-0: once invalidate returns, the published copy is never served again.
        fake.invalidated.lock().unwrap().push("tok-0".into());
        fake.managed.invalidate("tok-0");
        let after = get(&fake).unwrap();
        assert_eq!(after.access_token(), "tok-1", "served the token it had just invalidated");
        let (first, second) = reader.join().unwrap();
        // The reader may have read tok-0 before the invalidation, but never after tok-1 came.
        assert!(!(first.access_token() == "tok-1" && second.access_token() == "tok-0"), "{first:?} then {second:?}");
        assert_eq!(replaced(&fake), 1, "one renewal for the refused token");
    });
}

#[test]
fn loom_set_token_racing_a_lock_free_read() {
    model(|| {
        let fake = setup_published();
        let reader = {
            let fake = fake.clone();
            thread::spawn(move || get(&fake).unwrap())
        };
        adopt(&fake, &token(99, FRESH_AT));
        assert_eq!(get(&fake).unwrap().access_token(), "tok-99", "served the token set_token replaced");
        let seen = reader.join().unwrap();
        assert!(seen.access_token() == "tok-0" || seen.access_token() == "tok-99", "{seen:?}");
        assert_eq!(replaced(&fake), 0, "a fresh token is never renewed");
    });
}

#[test]
fn loom_lock_free_reads_across_the_due_instant() {
    model(|| {
        let fake = setup_published();
        let clock = {
            let fake = fake.clone();
            thread::spawn(move || fake.clock.store(DUE_AT, Ordering::SeqCst))
        };
        let other = {
            let fake = fake.clone();
            thread::spawn(move || get(&fake).unwrap())
        };
        let mine = get(&fake).unwrap();
        let theirs = other.join().unwrap();
        clock.join().unwrap();
        for t in [mine, theirs] {
            assert!(t.access_token() == "tok-0" || t.access_token() == "tok-1", "{t:?}");
        }
        // Once due, the published tok-0 is no longer served: the next caller renews it (once).
        let now = get(&fake).unwrap();
        assert_eq!(now.access_token(), "tok-1");
        assert_eq!(replaced(&fake), 1);
    });
}

// ---- whose identity the current token belongs to ------------------------------------------------

/// After a race: the current token is paired with its own identity, and once everything expired
/// its renewal is handed that identity (the fake renewal asserts it).
fn assert_paired_then_renewed(fake: &Fake) {
    assert_paired(fake);
    fake.clock.store(10_000, Ordering::SeqCst);
    get(fake).unwrap();
    assert_paired(fake);
}

#[test]
fn loom_set_token_of_another_identity_racing_one_of_the_configured_identity() {
    model(|| {
        let fake = setup(FRESH_AT, 0);
        let other = {
            let fake = fake.clone();
            thread::spawn(move || adopt(&fake, &other_token(98, FRESH_AT)))
        };
        adopt(&fake, &token(99, FRESH_AT));
        other.join().unwrap();
        let now = get(&fake).unwrap();
        assert!(now.access_token() == "other-98" || now.access_token() == "tok-99", "{now:?}");
        assert_paired_then_renewed(&fake);
    });
}

#[test]
fn loom_set_token_of_another_identity_racing_the_renewal_of_another() {
    model(|| {
        let fake = setup_with(DUE_AT, 0, other_token(0, 0), false);
        let renewer = {
            let fake = fake.clone();
            thread::spawn(move || get(&fake).unwrap())
        };
        adopt(&fake, &other_token(99, DUE_AT));
        let seen = renewer.join().unwrap();
        assert!(seen.access_token().starts_with("other-"), "another identity's renewal stays that identity's: {seen:?}");
        assert_paired_then_renewed(&fake);
    });
}

#[test]
fn loom_set_token_of_another_identity_racing_the_fallback_to_the_configured_identity() {
    model(|| {
        // other-0's refresh token is refused: its renewal falls back to the configured identity.
        let fake = setup_with(DUE_AT, 0, other_token(0, 0), true);
        let renewer = {
            let fake = fake.clone();
            thread::spawn(move || get(&fake).unwrap())
        };
        adopt(&fake, &other_token(99, DUE_AT));
        renewer.join().unwrap();
        assert_paired_then_renewed(&fake);
    });
}

#[test]
fn loom_renewal_of_the_configured_identity_racing_set_token_of_another() {
    model(|| {
        let fake = setup(DUE_AT, 0);
        let renewer = {
            let fake = fake.clone();
            thread::spawn(move || get(&fake).unwrap())
        };
        adopt(&fake, &other_token(99, DUE_AT));
        renewer.join().unwrap();
        assert_paired_then_renewed(&fake);
    });
}
