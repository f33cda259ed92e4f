//! Single flight under contention: busy callers (no sleeps, no token cache) make exactly one token
//! request per lifetime. The lifetimes come from the mock (`expires_in_schedule`): three short
//! tokens, then one that outlives the test, so the exact count is known in advance whatever the
//! scheduler does: a slow machine only makes the run longer.

mod common;
use common::*;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{SystemTime, UNIX_EPOCH};
use tpauth::Auth;

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
