//! The token lifecycle: one token request per expiry across threads and across clients sharing a
//! token cache (each client here has its own lock file descriptor, as a process would; the C suite
//! repeats this with real processes), renew-ahead, compare-and-invalidate, retries, the 429
//! cooldown, and the cache's failure modes.

mod common;
use common::*;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tpauth::{Auth, Status};

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64
}

/// `threads` callers hammer `get_token` (and every 50th call `request`) until each has seen a token
/// of an hour or more (the last lifetime of the mock's `expires_in_schedule`), then 50 calls more;
/// every token they receive must not have expired before they asked. Returns the number of calls
/// made. The lifetimes come from the mock, so the count of token requests does not depend on the
/// scheduler.
fn hammer(auths: &[Auth], threads: usize) -> usize {
    let calls = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(threads));
    std::thread::scope(|s| {
        for i in 0..threads {
            let auth = auths[i % auths.len()].clone();
            let calls = calls.clone();
            let barrier = barrier.clone();
            s.spawn(move || {
                barrier.wait();
                let (mut n, mut after) = (0, 0);
                while after < 50 {
                    let asked = now_ms();
                    let tok = auth.get_token().unwrap_or_else(|e| panic!("get_token: {e}"));
                    assert!(tok.expires_at_ms() > asked, "a caller received a token that had expired before it asked");
                    if tok.expires_in() >= 3600 {
                        after += 1;
                    }
                    if n % 50 == 0 {
                        assert_eq!(auth.request("GET", "/v1/x", None, None).unwrap().status(), 200);
                    }
                    n += 1;
                    std::thread::sleep(Duration::from_millis(2));
                }
                calls.fetch_add(n, Ordering::Relaxed);
            });
        }
    });
    calls.load(Ordering::Relaxed)
}

#[test]
fn sixty_four_threads_one_token_request_per_lifetime() {
    let mock = MockServer::start().unwrap();
    // Two 2 s tokens renewed 1 s ahead, then one of an hour: three token requests.
    mock.configure(json!({"expires_in_schedule": [2, 2, 3600]})).unwrap();
    let auth = password_client(&mock, &[("refresh_leeway_s", "1")]);
    let calls = hammer(&[auth], 64);
    let s = mock.stats();
    assert_eq!(s.token_requests, 3, "{calls} calls made {s:?}");
    assert_eq!((s.grants.password, s.grants.refresh_token), (1, 2));
}

#[test]
fn clients_sharing_a_cache_file_make_one_request_per_lifetime() {
    let mock = MockServer::start().unwrap();
    mock.configure(json!({"expires_in_schedule": [2, 3600]})).unwrap();
    let dir = temp_dir("shared");
    let cache = dir.join("token.json");
    let auths: Vec<Auth> =
        (0..16).map(|_| password_client(&mock, &[("refresh_leeway_s", "1"), ("token_cache", cache.to_str().unwrap())])).collect();
    // two lifetimes from the mock: two requests, whoever makes them
    hammer(&auths, 16);
    let s = mock.stats();
    assert_eq!(s.token_requests, 2, "{s:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&cache).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn rotation_across_clients_never_surfaces_invalid_grant() {
    let mock = MockServer::start().unwrap();
    mock.configure(json!({"expires_in_schedule": [2, 2, 2, 3600], "rotate_refresh_token": true})).unwrap();
    let dir = temp_dir("rotate");
    let cache = dir.join("token.json");
    let auths: Vec<Auth> =
        (0..8).map(|_| password_client(&mock, &[("refresh_leeway_s", "1"), ("token_cache", cache.to_str().unwrap())])).collect();
    hammer(&auths, 8); // panics on any error, invalid_grant included
    let s = mock.stats();
    assert_eq!(s.grants.password, 1, "only the first token is a grant; every renewal is a refresh: {s:?}");
    assert_eq!((s.token_requests, s.grants.refresh_token), (4, 3), "{s:?}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn early_renewal_failure_keeps_serving_the_valid_token() {
    let mock = MockServer::start().unwrap();
    let auth = password_client(&mock, &[("refresh_leeway_s", "300"), ("max_retries", "0")]);
    // The mock's token (100 h) as if received 100 s before its expiry: inside the renew window and
    // valid, without a sleep that a loaded machine could stretch past the expiry.
    let fresh = auth.get_token().unwrap();
    let mut aged: serde_json::Value = serde_json::from_str(&fresh.to_json()).unwrap();
    aged["received_at_ms"] = json!(fresh.received_at_ms() - (fresh.expires_in() - 100) * 1000);
    let first = tpauth::Token::from_json(&aged.to_string()).unwrap();
    auth.set_token(&first).unwrap();
    mock.fault(Fault::new(FaultKind::Html500).count(1));
    let served = auth.get_token().unwrap();
    assert_eq!(served.access_token(), first.access_token());
    assert_eq!(mock.stats().token_requests, 2);
    // the next call renews for real
    let fresh = auth.get_token().unwrap();
    assert_ne!(fresh.access_token(), first.access_token());
}

#[test]
fn concurrent_401s_cause_one_renewal() {
    let mock = MockServer::start().unwrap();
    let auth = password_client(&mock, &[]);
    let old = auth.get_token().unwrap();
    mock.expire_all();
    std::thread::scope(|s| {
        for _ in 0..16 {
            let auth = auth.clone();
            s.spawn(move || assert_eq!(auth.request("GET", "/v1/x", None, None).unwrap().status(), 200));
        }
    });
    assert_eq!(mock.stats().token_requests, 2);
    // invalidating a token that is no longer current changes nothing
    auth.invalidate_token(old.access_token()).unwrap();
    let cur = auth.get_token().unwrap();
    assert_ne!(cur.access_token(), old.access_token());
    assert_eq!(mock.stats().token_requests, 2);
}

#[test]
fn retry_after_is_honoured_then_success() {
    let mock = MockServer::start().unwrap();
    mock.fault(Fault::new(FaultKind::TooManyRequests).retry_after("1"));
    let auth = password_client(&mock, &[]);
    let started = Instant::now();
    auth.get_token().unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1), "retried after {:?}", started.elapsed());
    assert_eq!(mock.stats().token_requests, 2);
}

#[test]
fn a_429_storm_is_bounded_and_remembered() {
    let mock = MockServer::start().unwrap();
    mock.fault(Fault::new(FaultKind::TooManyRequests).count(1000));
    let auth = password_client(&mock, &[("max_retries", "2"), ("max_retry_wait_ms", "100")]);
    let err = auth.get_token().unwrap_err();
    assert_eq!(err.status(), Status::RateLimited);
    assert_eq!(mock.stats().token_requests, 3, "max_retries + 1");
    // the cooldown: other callers fail fast, without asking the server again
    let again = auth.get_token().unwrap_err();
    assert_eq!(again.status(), Status::RateLimited);
    assert!(again.retry_after().is_some());
    assert_eq!(mock.stats().token_requests, 3);
}

#[test]
fn a_retry_after_beyond_the_cap_fails_at_once_with_the_wait() {
    let mock = MockServer::start().unwrap();
    mock.fault(Fault::new(FaultKind::TooManyRequests).retry_after("120").count(5));
    let auth = password_client(&mock, &[]);
    let started = Instant::now();
    let err = auth.get_token().unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!((err.status(), err.retry_after()), (Status::RateLimited, Some(Duration::from_secs(120))));
    let fast = auth.password_grant(USER, PASSWORD).unwrap_err();
    assert_eq!(fast.status(), Status::RateLimited);
    // the cooldown lasts at most max_retry_wait_ms (60 s by default), whatever the server asked
    let left = fast.retry_after().unwrap();
    assert!(left > Duration::from_secs(50) && left <= Duration::from_secs(60), "{left:?}");
    assert_eq!(mock.stats().token_requests, 1);
}

#[test]
fn server_errors_are_retried_with_backoff() {
    let mock = MockServer::start().unwrap();
    mock.fault(Fault::new(FaultKind::ServiceUnavailable).count(2));
    let auth = password_client(&mock, &[]);
    auth.get_token().unwrap();
    assert_eq!(mock.stats().token_requests, 3);
    // never after a 400
    let before = mock.stats().token_requests;
    assert_eq!(auth.password_grant(USER, "wrong").unwrap_err().status(), Status::InvalidGrant);
    assert_eq!(mock.stats().token_requests, before + 1);
}

#[test]
fn refused_refresh_falls_back_to_the_grant() {
    let mock = MockServer::start().unwrap();
    let auth = password_client(&mock, &[]);
    let tok = auth.get_token().unwrap();
    client(&mock, &[]).revoke(tok.refresh_token()).unwrap();
    assert_eq!(auth.request("GET", "/v1/x", None, None).unwrap().status(), 200);
    let s = mock.stats();
    assert_eq!((s.grants.password, s.grants.refresh_token), (2, 0), "{s:?}");
}

#[test]
fn grant_none_says_how_to_configure_one() {
    let mock = MockServer::start().unwrap();
    let err = client(&mock, &[("grant", "none")]).get_token().unwrap_err();
    assert_eq!(err.status(), Status::NoToken);
    assert!(err.message().contains("grant"), "{err}");
    let err = client(&mock, &[("grant", "password")]).get_token().unwrap_err();
    assert_eq!(err.status(), Status::NoToken);
    assert!(err.message().contains("username"), "{err}");
    assert_eq!(mock.stats().token_requests, 0);
}

// Unix modes and symlinks; the Windows cache's refusals are tests/c/test_windows.c's (wine suite).
#[cfg(unix)]
#[test]
fn cache_failure_modes() {
    let mock = MockServer::start().unwrap();
    let dir = temp_dir("faults");
    // content that is not a tpauth cache: refused and left as it is (tests/cache_attacks.rs has more)
    let corrupt = dir.join("corrupt.json");
    std::fs::write(&corrupt, "{not json at all").unwrap();
    std::fs::set_permissions(&corrupt, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let auth = password_client(&mock, &[("token_cache", corrupt.to_str().unwrap())]);
    let err = auth.get_token().unwrap_err();
    assert_eq!(err.status(), Status::Store, "{err}");
    assert!(err.message().contains("not JSON"), "{err}");
    assert_eq!(std::fs::read_to_string(&corrupt).unwrap(), "{not json at all");
    // a symlinked path is refused
    let link = dir.join("link.json");
    std::os::unix::fs::symlink(&corrupt, &link).unwrap();
    let cfg = config(&mock, &[("username", USER), ("password", PASSWORD), ("token_cache", link.to_str().unwrap())]);
    let err = Auth::new(&cfg).map(|a| a.get_token()).and_then(|r| r).unwrap_err();
    assert_eq!(err.status(), Status::Store, "{err}");
    assert!(err.message().contains("symbolic link"), "{err}");
    // a folder that cannot hold the cache (its parent is a file)
    let blocked = dir.join("corrupt.json").join("token.json");
    let err = password_client(&mock, &[("token_cache", blocked.to_str().unwrap())]).get_token().unwrap_err();
    assert_eq!(err.status(), Status::Store, "{err}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn two_users_sharing_a_file_never_see_each_others_token() {
    let mock = MockServer::start().unwrap();
    let dir = temp_dir("keys");
    let cache = dir.join("token.json");
    let a = password_client(&mock, &[("token_cache", cache.to_str().unwrap())]);
    let b = client(&mock, &[("grant", "client_credentials"), ("business_user_id", "bu-2"), ("token_cache", cache.to_str().unwrap())]);
    let ta = a.get_token().unwrap();
    let tb = b.get_token().unwrap();
    assert_ne!(ta.access_token(), tb.access_token());
    // a new client of user A finds A's token in the cache
    let a2 = password_client(&mock, &[("token_cache", cache.to_str().unwrap())]);
    assert_eq!(a2.get_token().unwrap().access_token(), ta.access_token());
    assert_eq!(mock.stats().token_requests, 2);
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&cache).unwrap()).unwrap();
    let keys: Vec<&String> = doc["entries"].as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 2);
    for k in keys {
        assert!(k.len() == 64 && k.bytes().all(|b| b.is_ascii_hexdigit()), "an entry key must be a hash, not who: {k}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn log_reports_renewals_and_never_a_secret() {
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    tpauth::log::set_logger(Some(Box::new(move |level, msg| sink.lock().unwrap().push(format!("{level:?} {msg}")))));
    let mock = MockServer::start().unwrap();
    mock.fault(Fault::new(FaultKind::ServiceUnavailable));
    let auth = password_client(&mock, &[]);
    let tok = auth.get_token().unwrap();
    mock.expire_all();
    auth.request("GET", "/v1/x", None, None).unwrap();
    tpauth::log::set_logger(None);
    let lines = lines.lock().unwrap().join("\n");
    assert!(lines.contains("retry 1 of 3"), "{lines}");
    assert!(lines.contains("renewing"), "{lines}");
    for secret in [tok.access_token(), tok.refresh_token().unwrap(), PASSWORD, SECRET] {
        assert!(!lines.contains(secret), "a secret in the log:\n{lines}");
    }
}
