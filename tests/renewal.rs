//! One renewal, as clients sharing a token cache see it: which refresh token it uses when the
//! cache holds another process's token (the newer one's; after a refusal, the cache's), what it
//! falls back on when a refresh is refused and what it does not fall back on, and whose tokens go
//! into the shared cache (never another identity's). Each client here stands for a process.

mod common;
use common::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use tpauth::{parse_code_redirect, Auth, ResponseType, Status, Token};

/// `t` as if it had been received `ago_s` seconds earlier.
fn aged(t: &Token, ago_s: i64) -> Token {
    let mut v: Value = serde_json::from_str(&t.to_json()).unwrap();
    v["received_at_ms"] = json!(t.received_at_ms() - ago_s * 1000);
    Token::from_json(&v.to_string()).unwrap()
}

/// `t`, expired a minute ago.
fn expired(t: &Token) -> Token {
    aged(t, t.expires_in() + 60)
}

/// A folder for one test's cache file, removed on drop.
struct Cache(PathBuf);

impl Cache {
    fn new(name: &str) -> Cache {
        Cache(temp_dir(name))
    }

    fn path(&self) -> String {
        self.0.join("tokens.json").to_str().unwrap().to_owned()
    }

    fn holds(&self, t: &Token) -> bool {
        std::fs::read_to_string(Path::new(&self.path())).unwrap_or_default().contains(t.access_token())
    }
}

impl Drop for Cache {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A password client on `cache` that renews 2 h ahead of expiry and never retries.
fn process(mock: &MockServer, cache: &Cache) -> Auth {
    password_client(mock, &[("token_cache", &cache.path()), ("refresh_leeway_s", "7200"), ("max_retries", "0")])
}

/// A token of the configured user whose refresh token `rotated` used up (rotation): returns the
/// old token and its successor.
fn rotated(mock: &MockServer) -> (Token, Token) {
    let old = password_client(mock, &[]).get_token().unwrap();
    let new = password_client(mock, &[]).refresh(old.refresh_token()).unwrap();
    (old, new)
}

// ---- which refresh token ---------------------------------------------------------------------

#[test]
fn a_renewal_uses_the_refresh_token_of_the_newer_token_another_process_cached() {
    let mock = MockServer::start().unwrap();
    let cache = Cache::new("newer");
    let a = process(&mock, &cache);
    let (mine, theirs) = rotated(&mock);
    // A holds the old token (expired, its refresh token used up by the other process); the cache
    // holds the other process's successor, received later, due for renewal (not servable).
    a.set_token(&expired(&mine)).unwrap();
    process(&mock, &cache).set_token(&aged(&theirs, theirs.expires_in() - 3600)).unwrap();
    let before = mock.stats();
    let renewed = a.get_token().unwrap();
    let after = mock.stats();
    assert_eq!(after.token_requests, before.token_requests + 1, "one refresh, with the newer refresh token: {after:?}");
    assert_eq!(after.grants.refresh_token, before.grants.refresh_token + 1);
    assert!(cache.holds(&renewed));
}

#[test]
fn a_refused_refresh_is_retried_with_the_refresh_token_the_cache_holds() {
    let mock = MockServer::start().unwrap();
    let cache = Cache::new("retry");
    let a = process(&mock, &cache);
    let (mine, theirs) = rotated(&mock);
    // The other process's token looks older (its clock is behind): A refreshes with its own
    // refresh token first, is refused, and retries with the one in the cache.
    a.set_token(&expired(&mine)).unwrap();
    process(&mock, &cache).set_token(&aged(&theirs, theirs.expires_in() + 3600)).unwrap();
    let before = mock.stats();
    a.get_token().unwrap();
    let after = mock.stats();
    assert_eq!(after.token_requests, before.token_requests + 2, "the refused refresh, then the cache's: {after:?}");
    assert_eq!(after.grants.refresh_token, before.grants.refresh_token + 1);
    assert_eq!(after.grants.password, before.grants.password, "no password grant: the cache's refresh token worked");
}

#[test]
fn when_the_caches_refresh_token_is_refused_too_the_configured_grant_follows() {
    let mock = MockServer::start().unwrap();
    let cache = Cache::new("both-refused");
    let a = process(&mock, &cache);
    let (mine, theirs) = rotated(&mock);
    password_client(&mock, &[]).refresh(theirs.refresh_token()).unwrap(); // used up as well
    a.set_token(&expired(&mine)).unwrap();
    process(&mock, &cache).set_token(&aged(&theirs, theirs.expires_in() + 3600)).unwrap();
    let before = mock.stats();
    a.get_token().unwrap();
    let after = mock.stats();
    assert_eq!(after.token_requests, before.token_requests + 3, "two refused refreshes, then the grant: {after:?}");
    assert_eq!(after.grants.password, before.grants.password + 1);
}

#[test]
fn when_the_retry_with_the_caches_refresh_token_fails_otherwise_its_error_is_the_callers() {
    let mock = MockServer::start().unwrap();
    let cache = Cache::new("retry-503");
    let a = process(&mock, &cache);
    let (mine, theirs) = rotated(&mock);
    a.set_token(&expired(&mine)).unwrap();
    process(&mock, &cache).set_token(&aged(&theirs, theirs.expires_in() + 3600)).unwrap();
    // The first refresh is answered as usual (refused); the retry gets a 503.
    mock.fault(Fault::new(FaultKind::Slow).delay_ms(0));
    mock.fault(Fault::new(FaultKind::ServiceUnavailable));
    let before = mock.stats();
    let e = a.get_token().unwrap_err();
    assert_eq!((e.status(), e.http_status()), (Status::Http, 503), "{e}");
    assert_eq!(mock.stats().grants.password, before.grants.password, "a 503 is not a refusal: no password grant");
}

// ---- another identity's token ----------------------------------------------------------------

/// A client configured for the mock's user, holding a token of `other@example.com` from an
/// explicit grant; the mock knows both users' passwords only one at a time, so it is switched back.
fn holding_another_identitys_token(mock: &MockServer, cache: &Cache) -> (Auth, Token) {
    let auth = password_client(mock, &[("token_cache", &cache.path()), ("max_retries", "0")]);
    mock.configure(json!({"username": "other@example.com", "password": "other-pw"})).unwrap();
    let other = auth.password_grant("other@example.com", "other-pw").unwrap();
    mock.configure(json!({"username": USER, "password": PASSWORD})).unwrap();
    assert!(!cache.holds(&other));
    (auth, other)
}

#[test]
fn another_identitys_token_whose_refresh_is_refused_gives_way_to_the_configured_identity() {
    let mock = MockServer::start().unwrap();
    let cache = Cache::new("foreign-refused");
    let (auth, other) = holding_another_identitys_token(&mock, &cache);
    password_client(&mock, &[]).revoke(other.refresh_token()).unwrap();
    auth.invalidate_token(other.access_token()).unwrap();
    let mine = auth.get_token().unwrap();
    assert_eq!(mock.stats().grants.password, 2, "the configured user's grant");
    assert!(cache.holds(&mine), "the configured identity's token is shared again");
}

#[test]
fn another_identitys_token_whose_refresh_fails_otherwise_gives_that_error() {
    let mock = MockServer::start().unwrap();
    let cache = Cache::new("foreign-503");
    let (auth, other) = holding_another_identitys_token(&mock, &cache);
    auth.invalidate_token(other.access_token()).unwrap();
    mock.fault(Fault::new(FaultKind::ServiceUnavailable));
    let e = auth.get_token().unwrap_err();
    assert_eq!((e.status(), e.http_status()), (Status::Http, 503), "{e}");
    assert_eq!(mock.stats().grants.password, 1, "no grant for the configured user on a 503");
}

#[test]
fn refresh_of_the_configured_identitys_current_token_is_shared() {
    let mock = MockServer::start().unwrap();
    let cache = Cache::new("own-refresh");
    let auth = password_client(&mock, &[("token_cache", &cache.path())]);
    auth.get_token().unwrap();
    let refreshed = auth.refresh(None).unwrap();
    assert!(cache.holds(&refreshed));
}

#[test]
fn after_another_identitys_token_was_revoked_the_configured_identitys_refresh_is_shared() {
    let mock = MockServer::start().unwrap();
    let cache = Cache::new("after-revoke");
    let (auth, _other) = holding_another_identitys_token(&mock, &cache);
    auth.revoke(None).unwrap();
    let mine = auth.get_token().unwrap();
    assert!(cache.holds(&mine));
    let refreshed = auth.refresh(None).unwrap();
    assert!(cache.holds(&refreshed), "the configured user's refreshed token was kept out of the cache");
}

// ---- whose code exchange is shared -----------------------------------------------------------

/// Exchange a fresh authorization code on `auth`.
fn code_exchange(auth: &Auth) -> Token {
    let redirect = "https://app.example.com/callback";
    let state = tpauth::new_state();
    let back = location_of(&auth.authorize_url(redirect, ResponseType::Code, Some(&state)).unwrap());
    let code = parse_code_redirect(&back, Some(&state)).unwrap();
    auth.authorization_code_grant(&code, redirect).unwrap()
}

#[test]
fn a_code_exchange_is_shared_only_by_a_client_without_an_identity_of_its_own() {
    let mock = MockServer::start().unwrap();
    for (options, shared) in [
        (vec![("grant", "none")], true),
        (vec![("username", USER), ("password", PASSWORD)], false),
        (vec![("grant", "client_credentials"), ("business_user_id", "mock-business-user-id")], false),
        (vec![("business_user_id", "mock-business-user-id")], false),
    ] {
        let cache = Cache::new("code");
        let path = cache.path();
        let mut all = options.clone();
        all.push(("token_cache", &path));
        let t = code_exchange(&client(&mock, &all));
        assert_eq!(cache.holds(&t), shared, "options {options:?}");
    }
}

#[test]
fn a_refresh_of_a_token_that_is_not_the_current_one_is_shared_only_without_an_identity() {
    let mock = MockServer::start().unwrap();
    for (options, shared) in [(vec![("grant", "none")], true), (vec![("username", USER), ("password", PASSWORD)], false)] {
        let cache = Cache::new("other-refresh");
        let path = cache.path();
        let mut all = options.clone();
        all.push(("token_cache", &path));
        let rt = password_client(&mock, &[]).get_token().unwrap().refresh_token().unwrap().to_owned();
        let t = client(&mock, &all).refresh(Some(&rt)).unwrap();
        assert_eq!(cache.holds(&t), shared, "options {options:?}");
    }
}
