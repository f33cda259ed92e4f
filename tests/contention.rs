//! Single flight under contention: busy callers (no sleeps, no token cache) make exactly one token
//! request per lifetime. The lifetimes come from the mock (`expires_in_schedule`): three short
//! tokens, then one that outlives the test, so the exact count is known in advance whatever the
//! scheduler does: a slow machine only makes the run longer.
//!
//! And no stampede on failure: callers that waited for a renewal that failed get its error, all of
//! them, without a token request of their own. The mock holds the failing answer until every
//! caller has said (in the log) that it found no token to serve, so none can arrive late, whatever
//! the scheduler does.

mod common;
use common::*;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tpauth::log::Level;
use tpauth::{Auth, Error, Status, Token};

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64
}

/// The lifetimes the mock gives the tokens it issues: six of 1 s (renewed half-way, after 0.5 s),
/// then one of an hour that no test outlives. Exactly seven token requests are due.
const SCHEDULE: [i64; 7] = [1, 1, 1, 1, 1, 1, 3600];
/// The last lifetime of the schedule; any token living this long (or the mock's default of 100 h,
/// issued when an extra request used up the schedule) ends the run.
/// The last lifetime of the schedule. Any token living this long ends a caller's run (so does the
/// mock's default of 100 h, which follows when extra requests used up the schedule).
const LONG: i64 = 3600;
/// Calls each thread still makes after it saw the long-lived token: a second renewal of the token
/// before it (a caller that judged the old token due renewing the new one) would show as a fifth
/// request.
const CALLS_AFTER: usize = 2000;

/// `threads` busy callers on one client until each has seen the last token of the schedule (then
/// `CALLS_AFTER` more calls). Every token served must be unexpired. Returns the calls made.
fn hammer(auth: &Auth, threads: usize) -> usize {
    let calls = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(threads));
    std::thread::scope(|s| {
        for _ in 0..threads {
            let (auth, calls, barrier) = (auth.clone(), calls.clone(), barrier.clone());
            s.spawn(move || {
                barrier.wait();
                let (mut n, mut after) = (0usize, 0usize);
                while after < CALLS_AFTER {
                    let asked = now_ms();
                    let tok = auth.get_token().unwrap_or_else(|e| panic!("get_token: {e}"));
                    assert!(tok.expires_at_ms() > asked, "a caller received a token that had expired before it asked");
                    if tok.expires_in() >= LONG {
                        after += 1;
                    }
                    n += 1;
                }
                calls.fetch_add(n, Ordering::Relaxed);
            });
        }
    });
    calls.load(Ordering::Relaxed)
}

#[test]
fn sixty_four_busy_threads_client_credentials_one_request_per_lifetime() {
    let mock = MockServer::start().unwrap();
    mock.configure(json!({"expires_in_schedule": SCHEDULE})).unwrap();
    let auth = client(&mock, &[("grant", "client_credentials"), ("business_user_id", "mock-business-user-id"), ("refresh_leeway_s", "1")]);
    let calls = hammer(&auth, 64);
    let s = mock.stats();
    assert_eq!(s.token_requests, SCHEDULE.len() as u64, "{calls} calls made {s:?}");
    assert_eq!(s.grants.client_credentials, SCHEDULE.len() as u64, "{s:?}");
}

#[test]
fn sixty_four_busy_threads_password_grant_one_request_per_lifetime() {
    let mock = MockServer::start().unwrap();
    mock.configure(json!({"expires_in_schedule": SCHEDULE})).unwrap();
    let auth = password_client(&mock, &[("refresh_leeway_s", "1")]);
    let calls = hammer(&auth, 64);
    let s = mock.stats();
    assert_eq!(s.token_requests, SCHEDULE.len() as u64, "{calls} calls made {s:?}");
    assert_eq!((s.grants.password, s.grants.refresh_token), (1, SCHEDULE.len() as u64 - 1), "{s:?}");
}

#[test]
fn sixty_four_threads_getting_401_for_one_token_cause_one_renewal() {
    const THREADS: usize = 64;
    const ROUNDS: u64 = 3;
    let mock = MockServer::start().unwrap();
    let auth = password_client(&mock, &[]);
    auth.get_token().unwrap();
    // Each round: every thread holds the current token, the mock expires it, then every thread
    // calls the API at once: they get 401 for the same token, and exactly one renews it.
    let barrier = Arc::new(Barrier::new(THREADS + 1));
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            let (auth, barrier) = (auth.clone(), barrier.clone());
            s.spawn(move || {
                for _ in 0..ROUNDS {
                    auth.get_token().unwrap();
                    barrier.wait(); // everyone holds the token
                    barrier.wait(); // the mock expired it
                    let resp = auth.request("GET", "/v1/x", None, None).unwrap();
                    assert_eq!(resp.status(), 200, "{}", String::from_utf8_lossy(resp.body()));
                    barrier.wait(); // round over
                }
            });
        }
        for round in 1..=ROUNDS {
            barrier.wait();
            mock.expire_all();
            barrier.wait();
            barrier.wait();
            let st = mock.stats();
            assert_eq!(st.token_requests, 1 + round, "round {round}: {st:?}");
            assert!(st.api_401 >= round, "round {round}: the API should have refused the expired token: {st:?}");
        }
    });
    let s = mock.stats();
    assert_eq!(s.token_requests, 1 + ROUNDS, "{s:?}");
    assert_eq!(s.api_requests, THREADS as u64 * ROUNDS + s.api_401, "one retry per 401: {s:?}");
}

// ---- many callers waiting on a renewal that fails -----------------------------------------------

/// The callers besides the one that renews.
const WAITERS: usize = 31;
/// How long the mock holds the failing answer at most: the test releases it as soon as every
/// caller waits, so this only bounds a broken run.
const HELD_MS: u64 = 120_000;
/// The threads of one run of `outcomes_of_one_failing_renewal` (only their log messages count).
const CALLER: &str = "failing-renewal-caller";

/// The log callback is process-wide: the tests that install one take turns.
static LOGGER: Mutex<()> = Mutex::new(());

/// Removes the log callback and ends the mock's held answer, also when the test fails.
struct Cleanup<'a>(&'a MockServer);

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        tpauth::log::set_logger(None);
        self.0.release();
    }
}

/// `WAITERS + 1` threads ask `auth` for its token while it has none. The mock holds its answer to
/// the one token request their renewal makes (the caller queued a fault with a long `delay_ms`)
/// until every thread has logged that it found no token to serve (it then renews, or waits for
/// that renewal), then gives it. Returns each caller's outcome, and checks the mock saw exactly
/// that one token request.
fn outcomes_of_one_failing_renewal(mock: &MockServer, auth: &Auth) -> Vec<Result<Token, Error>> {
    let _turn = LOGGER.lock().unwrap_or_else(PoisonError::into_inner);
    let _cleanup = Cleanup(mock);
    let awaiting = Arc::new(AtomicUsize::new(0));
    let counter = awaiting.clone();
    tpauth::log::set_logger(Some(Box::new(move |level, msg| {
        let mine = std::thread::current().name().is_some_and(|n| n.starts_with(CALLER));
        if mine && level == Level::Debug && msg.contains("no token to serve") {
            counter.fetch_add(1, Ordering::SeqCst);
        }
    })));
    let before = mock.stats().token_requests;
    let callers: Vec<_> = (0..=WAITERS)
        .map(|i| {
            let auth = auth.clone();
            std::thread::Builder::new().name(format!("{CALLER}-{i}")).spawn(move || auth.get_token()).unwrap()
        })
        .collect();
    let start = Instant::now();
    while mock.stats().token_requests == before || awaiting.load(Ordering::SeqCst) <= WAITERS {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "after 60 s: {} token requests, {} of {} callers awaiting the renewal",
            mock.stats().token_requests - before,
            awaiting.load(Ordering::SeqCst),
            WAITERS + 1
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    mock.release();
    let outcomes: Vec<_> = callers.into_iter().map(|c| c.join().unwrap()).collect();
    let s = mock.stats();
    assert_eq!(s.token_requests - before, 1, "one token request for {} callers: {s:?}", WAITERS + 1);
    assert_eq!(awaiting.load(Ordering::SeqCst), WAITERS + 1, "every caller awaited the renewal, once");
    outcomes
}

/// Every outcome is the same error (the one renewal's), and it has this status and HTTP status.
fn assert_one_error_for_all(outcomes: &[Result<Token, Error>], status: Status, http_status: u16) -> Error {
    let first = outcomes[0].as_ref().expect_err("the renewal failed").clone();
    assert_eq!((first.status(), first.http_status()), (status, http_status), "{first}");
    for (i, o) in outcomes.iter().enumerate() {
        assert_eq!(o.as_ref().err(), Some(&first), "caller {i} got another outcome than the renewal it waited for");
    }
    first
}

#[test]
fn callers_waiting_on_a_renewal_answered_503_all_get_its_error_from_one_request() {
    let mock = MockServer::start().unwrap();
    let auth = password_client(&mock, &[("max_retries", "0")]);
    mock.fault(Fault::new(FaultKind::ServiceUnavailable).delay_ms(HELD_MS));
    let outcomes = outcomes_of_one_failing_renewal(&mock, &auth);
    assert_one_error_for_all(&outcomes, Status::Http, 503);
    // The failure is not kept: the next caller renews, once.
    auth.get_token().unwrap();
    assert_eq!(mock.stats().token_requests, 2);
}

#[test]
fn callers_waiting_on_a_renewal_that_hits_a_network_error_all_get_its_error_from_one_request() {
    let mock = MockServer::start().unwrap();
    let auth = password_client(&mock, &[("max_retries", "0")]);
    mock.fault(Fault::new(FaultKind::Reset).delay_ms(HELD_MS));
    let outcomes = outcomes_of_one_failing_renewal(&mock, &auth);
    assert_one_error_for_all(&outcomes, Status::Network, 0);
    auth.get_token().unwrap();
    assert_eq!(mock.stats().token_requests, 2);
}

#[test]
fn callers_waiting_on_a_renewal_answered_429_all_get_its_error_and_the_cooldown_holds() {
    let mock = MockServer::start().unwrap();
    let auth = password_client(&mock, &[("max_retries", "0")]);
    mock.fault(Fault::new(FaultKind::TooManyRequests).retry_after("30").delay_ms(HELD_MS));
    let outcomes = outcomes_of_one_failing_renewal(&mock, &auth);
    // The server's own answer, Retry-After included, for everyone: not the cooldown's "not sent".
    let e = assert_one_error_for_all(&outcomes, Status::RateLimited, 429);
    assert_eq!(e.retry_after(), Some(Duration::from_secs(30)), "{e}");
    // A caller arriving after the 429 is held back by the cooldown: still no second request.
    let later = auth.get_token().expect_err("within the cooldown");
    assert_eq!(later.status(), Status::RateLimited, "{later}");
    assert_eq!(mock.stats().token_requests, 1);
}

#[test]
fn callers_waiting_on_a_renewal_refused_with_invalid_grant_all_get_its_error_from_one_request() {
    let mock = MockServer::start().unwrap();
    let auth = password_client(&mock, &[("max_retries", "0")]);
    // The password was changed: the grant is refused (400 invalid_grant) once the mock answers.
    mock.configure(json!({"password": "changed-elsewhere"})).unwrap();
    mock.fault(Fault::new(FaultKind::Slow).delay_ms(HELD_MS));
    let outcomes = outcomes_of_one_failing_renewal(&mock, &auth);
    let e = assert_one_error_for_all(&outcomes, Status::InvalidGrant, 400);
    assert_eq!(e.oauth_code(), Some("invalid_grant"));
    assert_eq!(mock.stats().grants.password, 0);
}

#[test]
fn callers_waiting_on_a_refresh_refused_with_invalid_grant_all_get_its_error_from_one_request() {
    let mock = MockServer::start().unwrap();
    // A client without a grant of its own holds an expired token whose refresh token was revoked:
    // its renewal is one refresh, refused; there is nothing to fall back on.
    let issuer = password_client(&mock, &[]);
    let issued = issuer.get_token().unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&issued.to_json()).unwrap();
    v["received_at_ms"] = json!(issued.received_at_ms() - (issued.expires_in() + 60) * 1000);
    let expired = Token::from_json(&v.to_string()).unwrap();
    issuer.revoke(expired.refresh_token()).unwrap();
    let auth = client(&mock, &[("grant", "none"), ("max_retries", "0")]);
    auth.set_token(&expired).unwrap();
    mock.fault(Fault::new(FaultKind::Slow).delay_ms(HELD_MS));
    let outcomes = outcomes_of_one_failing_renewal(&mock, &auth);
    let e = assert_one_error_for_all(&outcomes, Status::NoToken, 400);
    assert_eq!(e.oauth_code(), Some("invalid_grant"));
    assert_eq!(mock.stats().grants.refresh_token, 0);
}
