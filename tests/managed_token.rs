//! The managed token's bookkeeping, as a caller sees it: what `renew_at_ms` and
//! `current_token_if_fresh` answer without I/O (Go's and Node's fast paths rely on them), which
//! refresh token `refresh(None)` and `revoke(None)` use, that a revoked or refused token is never
//! adopted again from a shared cache, what `Debug` says of the token, and what an early renewal
//! that fails serves.

mod common;
use common::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tpauth::{Status, Token};

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64
}

/// `t` as if it had been received `ago_ms` earlier.
fn aged(t: &Token, ago_ms: i64) -> Token {
    let mut v: Value = serde_json::from_str(&t.to_json()).unwrap();
    v["received_at_ms"] = json!(t.received_at_ms() - ago_ms);
    Token::from_json(&v.to_string()).unwrap()
}

/// Polls `done` every millisecond; fails after a minute.
fn until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(60), "after 60 s: {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn renew_at_ms_is_never_for_a_token_without_expiry_and_at_once_for_one_that_expired_at_the_epoch() {
    let mock = MockServer::start().unwrap();
    let auth = password_client(&mock, &[]);
    let no_expiry = Token::from_fields("at-forever", None, None, -1, -1, None).unwrap();
    assert_eq!(auth.renew_at_ms(&no_expiry), i64::MAX, "a token without expires_in is never renewed ahead");
    // Expired at the Unix epoch (received then, lifetime 0): due from that instant, not never (a
    // binding's fast path would otherwise serve it forever).
    let epoch = Token::from_fields("at-epoch", None, None, 0, 0, None).unwrap();
    assert_eq!(epoch.expires_at_ms(), 0);
    assert_eq!(auth.renew_at_ms(&epoch), 0);
}

#[test]
fn current_token_if_fresh_answers_the_current_token_only_while_get_token_would_without_io() {
    let mock = MockServer::start().unwrap();
    let auth = password_client(&mock, &[("refresh_leeway_s", "300")]);
    assert!(auth.current_token_if_fresh().is_none(), "no token yet");
    let t = auth.get_token().unwrap();
    assert_eq!(auth.current_token_if_fresh().map(|f| f.access_token().to_owned()), Some(t.access_token().to_owned()));
    // In its renew window (still valid for 100 s, refresh_leeway_s=300): get_token would renew.
    let due = aged(&t, (t.expires_in() - 100) * 1000);
    auth.set_token(&due).unwrap();
    assert!(auth.current_token_if_fresh().is_none(), "a token due for renewal is not fresh");
    // Refused by the API: not fresh either.
    let fresh = password_client(&mock, &[]).get_token().unwrap();
    auth.set_token(&fresh).unwrap();
    assert!(auth.current_token_if_fresh().is_some());
    auth.invalidate_token(fresh.access_token()).unwrap();
    assert!(auth.current_token_if_fresh().is_none(), "an invalidated token is not fresh");
    assert_eq!(mock.stats().token_requests, 2, "current_token_if_fresh never asks the server");
}

#[test]
fn refresh_and_revoke_without_an_argument_use_the_current_refresh_token() {
    let mock = MockServer::start().unwrap();
    let auth = password_client(&mock, &[]);
    let first = auth.get_token().unwrap();
    let rt = first.refresh_token().unwrap().to_owned();
    let second = auth.refresh(None).unwrap();
    assert!(mock.last_token_request().unwrap().body.contains(&format!("refresh_token={rt}")), "refreshed with the current one");
    assert_ne!(second.access_token(), first.access_token());
    // Revoking the current refresh token revokes it at the server and forgets the current token:
    // the next get_token renews instead of serving a revoked token.
    let rt2 = second.refresh_token().unwrap().to_owned();
    auth.revoke(None).unwrap();
    assert!(mock.last_token_request().unwrap().body.contains(&format!("token={rt2}")));
    let refused = password_client(&mock, &[]).refresh(Some(&rt2)).unwrap_err();
    assert_eq!(refused.status(), Status::InvalidGrant, "the server no longer knows it: {refused}");
    let before = mock.stats().token_requests;
    let third = auth.get_token().unwrap();
    assert_ne!(third.access_token(), second.access_token(), "served the revoked token");
    assert_eq!(mock.stats().token_requests, before + 1);
    assert_eq!(mock.stats().grants.password, 2, "a new grant: the revoked refresh token was not used");
}

#[test]
fn revoking_another_refresh_token_keeps_the_current_token() {
    let mock = MockServer::start().unwrap();
    let auth = password_client(&mock, &[]);
    let mine = auth.get_token().unwrap();
    let other = password_client(&mock, &[]).get_token().unwrap();
    auth.revoke(other.refresh_token()).unwrap();
    let before = mock.stats().token_requests;
    assert_eq!(auth.get_token().unwrap().access_token(), mine.access_token());
    assert_eq!(mock.stats().token_requests, before, "the current token is still valid: no renewal");
}

#[test]
fn a_revoked_token_is_never_adopted_again_from_a_shared_cache() {
    let mock = MockServer::start().unwrap();
    let dir = temp_dir("revoked");
    let cache = dir.join("token.json");
    let shared = [("token_cache", cache.to_str().unwrap())];
    let a = password_client(&mock, &shared);
    let b = password_client(&mock, &shared);
    let revoked = a.get_token().unwrap();
    a.revoke(None).unwrap();
    // Another client still holds it and writes it back to the cache.
    b.set_token(&revoked).unwrap();
    let next = a.get_token().unwrap();
    assert_ne!(next.access_token(), revoked.access_token(), "adopted the token it revoked from the cache");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_refused_token_is_never_adopted_again_from_a_shared_cache() {
    let mock = MockServer::start().unwrap();
    let dir = temp_dir("refused");
    let cache = dir.join("token.json");
    let a = password_client(&mock, &[("token_cache", cache.to_str().unwrap())]);
    let refused = a.get_token().unwrap();
    // The API refused it (a 401): the cache still holds it, but it must not come back.
    a.invalidate_token(refused.access_token()).unwrap();
    let next = a.get_token().unwrap();
    assert_ne!(next.access_token(), refused.access_token());
    assert_eq!(mock.stats().token_requests, 2);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn debug_says_whether_there_is_a_token_and_whether_it_was_refused() {
    let mock = MockServer::start().unwrap();
    let auth = password_client(&mock, &[]);
    assert!(format!("{auth:?}").contains("token: None"), "{auth:?}");
    let t = auth.get_token().unwrap();
    assert!(format!("{auth:?}").contains(r#"token: Some("[redacted]")"#), "{auth:?}");
    auth.invalidate_token(t.access_token()).unwrap();
    assert!(format!("{auth:?}").contains(r#"token: Some("[invalidated]")"#), "{auth:?}");
}

#[test]
fn an_early_renewal_that_fails_serves_the_current_token_while_it_is_valid_and_the_error_once_expired() {
    let mock = MockServer::start().unwrap();
    let auth = password_client(&mock, &[("refresh_leeway_s", "300"), ("max_retries", "0")]);
    let t = auth.get_token().unwrap();
    // Valid for 100 s more, due (refresh_leeway_s=300): the failed early renewal is not the caller's
    // problem yet.
    let due = aged(&t, (t.expires_in() - 100) * 1000);
    auth.set_token(&due).unwrap();
    mock.fault(Fault::new(FaultKind::ServiceUnavailable));
    assert_eq!(auth.get_token().unwrap().access_token(), t.access_token());
    assert_eq!(mock.stats().token_requests, 2);
    // Expiring in 1.5 s: the early renewal's answer is held until the token has expired, then
    // fails. Serving the token now would hand out an expired one: the caller gets the error.
    let expiring = aged(&t, t.expires_in() * 1000 - 1500);
    auth.set_token(&expiring).unwrap();
    mock.fault(Fault::new(FaultKind::ServiceUnavailable).delay_ms(120_000));
    let renewing = {
        let auth = auth.clone();
        std::thread::spawn(move || auth.get_token())
    };
    until("the early renewal reached the mock", || mock.stats().token_requests == 3);
    until("the token expired", || now_ms() > expiring.expires_at_ms());
    mock.release();
    let e = renewing.join().unwrap().expect_err("an expired token was served");
    assert_eq!((e.status(), e.http_status()), (Status::Http, 503), "{e}");
}

#[test]
fn a_token_set_while_a_renewal_is_in_flight_wins_over_the_renewals() {
    let mock = MockServer::start().unwrap();
    let auth = password_client(&mock, &[]);
    let set = password_client(&mock, &[]).get_token().unwrap();
    mock.fault(Fault::new(FaultKind::Slow).delay_ms(120_000));
    let renewing = {
        let auth = auth.clone();
        std::thread::spawn(move || auth.get_token().unwrap())
    };
    until("the renewal reached the mock", || mock.stats().token_requests == 2);
    auth.set_token(&set).unwrap();
    mock.release();
    // The renewal's token is older than the one set meanwhile: the set token stays current, and the
    // caller of the renewal gets it too.
    assert_eq!(renewing.join().unwrap().access_token(), set.access_token());
    assert_eq!(auth.get_token().unwrap().access_token(), set.access_token());
    assert_eq!(mock.stats().token_requests, 2);
}

#[test]
fn refresh_of_another_identitys_current_token_stays_out_of_the_shared_cache() {
    let mock = MockServer::start().unwrap();
    let dir = temp_dir("foreign-refresh");
    let cache = dir.join("tokens.json");
    let auth = password_client(&mock, &[("token_cache", cache.to_str().unwrap())]);
    mock.configure(json!({"username": "other@example.com", "password": "other-pw"})).unwrap();
    let other = auth.password_grant("other@example.com", "other-pw").unwrap();
    // refresh(None) refreshes the current token, which belongs to the other user: so does its
    // successor, kept out of the cache the configured user's processes share.
    let refreshed = auth.refresh(None).unwrap();
    assert_ne!(refreshed.access_token(), other.access_token());
    let on_disk = std::fs::read_to_string(&cache).unwrap_or_default();
    assert!(!on_disk.contains(refreshed.access_token()), "another user's refreshed token was written to the shared cache");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn revoking_while_callers_wait_on_a_failing_renewal_does_not_make_them_renew() {
    let mock = MockServer::start().unwrap();
    let auth = password_client(&mock, &[("max_retries", "0")]);
    let refused = auth.get_token().unwrap();
    auth.invalidate_token(refused.access_token()).unwrap();
    // Two callers find no token to serve: one renews (its refresh is held, then fails), the other
    // waits for it. Meanwhile the application revokes the refused token's refresh token.
    mock.fault(Fault::new(FaultKind::ServiceUnavailable).delay_ms(120_000));
    let renewer = {
        let auth = auth.clone();
        std::thread::spawn(move || auth.get_token())
    };
    until("the renewal reached the mock", || mock.stats().token_requests == 2);
    let awaiting = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = awaiting.clone();
    tpauth::log::set_logger(Some(Box::new(move |_, msg| {
        if std::thread::current().name() == Some("waits") && msg.contains("no token to serve") {
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    })));
    let waiter = {
        let auth = auth.clone();
        std::thread::Builder::new().name("waits".into()).spawn(move || auth.get_token()).unwrap()
    };
    until("the second caller awaits the renewal", || awaiting.load(std::sync::atomic::Ordering::SeqCst));
    tpauth::log::set_logger(None);
    auth.revoke(refused.refresh_token()).unwrap();
    mock.release();
    let failed = renewer.join().unwrap().expect_err("the renewal failed");
    assert_eq!(failed.http_status(), 503, "{failed}");
    let waited = waiter.join().unwrap().expect_err("the waiter gets the renewal's error");
    assert_eq!(waited, failed);
    assert_eq!(mock.stats().token_requests, 2, "the waiter made no token request of its own");
}

#[test]
fn a_token_set_after_a_revoke_while_a_renewal_is_in_flight_stays_current() {
    let mock = MockServer::start().unwrap();
    let auth = password_client(&mock, &[("max_retries", "0")]);
    let first = password_client(&mock, &[]).get_token().unwrap();
    let expired = aged(&first, (first.expires_in() + 60) * 1000);
    auth.set_token(&expired).unwrap();
    // The renewal of the expired token is held by the mock; meanwhile the application revokes that
    // token's refresh token, then sets a token of its own.
    mock.fault(Fault::new(FaultKind::Slow).delay_ms(120_000));
    let renewing = {
        let auth = auth.clone();
        std::thread::spawn(move || auth.get_token().unwrap())
    };
    until("the renewal reached the mock", || mock.stats().token_requests == 2);
    auth.revoke(expired.refresh_token()).unwrap();
    let set = password_client(&mock, &[]).get_token().unwrap();
    auth.set_token(&set).unwrap();
    mock.release();
    // Whatever the renewal got, the token set meanwhile is newer: it stays current.
    assert_eq!(renewing.join().unwrap().access_token(), set.access_token());
    assert_eq!(auth.get_token().unwrap().access_token(), set.access_token());
}

#[test]
fn a_token_set_after_an_invalidation_while_a_renewal_is_in_flight_stays_current() {
    let mock = MockServer::start().unwrap();
    let auth = password_client(&mock, &[("max_retries", "0")]);
    let first = password_client(&mock, &[]).get_token().unwrap();
    let expired = aged(&first, (first.expires_in() + 60) * 1000);
    auth.set_token(&expired).unwrap();
    mock.fault(Fault::new(FaultKind::Slow).delay_ms(120_000));
    let renewing = {
        let auth = auth.clone();
        std::thread::spawn(move || auth.get_token().unwrap())
    };
    until("the renewal reached the mock", || mock.stats().token_requests == 2);
    // The API refused the token being renewed; then the application sets a token of its own.
    auth.invalidate_token(expired.access_token()).unwrap();
    let set = password_client(&mock, &[]).get_token().unwrap();
    auth.set_token(&set).unwrap();
    mock.release();
    assert_eq!(renewing.join().unwrap().access_token(), set.access_token());
    assert_eq!(auth.get_token().unwrap().access_token(), set.access_token());
}
