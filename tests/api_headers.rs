//! `Auth::api_headers` / `tp_api_headers`: what HTTP adapters attach, after the host rule.

mod common;
use common::*;
use tpauth::{Renew, Status};

#[test]
fn headers_for_the_api_and_none_for_a_foreign_host() {
    let mock = MockServer::start().unwrap();
    let auth = password_client(&mock, &[("business_user_id", "bu-9")]);
    let h = auth.api_headers("GET", "/v1/private/x").unwrap();
    let tok = auth.get_token().unwrap();
    assert_eq!(
        h,
        vec![
            ("Authorization", format!("Bearer {}", tok.access_token())),
            ("apikey", "mock-api-key".to_owned()),
            ("x-business-user-id", "bu-9".to_owned())
        ]
    );
    assert_eq!(auth.api_headers("POST", &format!("{}/v1/x", mock.url())).unwrap(), h);
    let before = mock.stats().token_requests;
    let foreign = format!("http://localhost:{}/v1/x", mock.port());
    let e = auth.api_headers("GET", &foreign).unwrap_err();
    assert_eq!(e.status(), Status::InvalidArgument);
    assert!(e.message().contains("token_hosts"), "{e}");
    assert_eq!(auth.api_headers("BAD METHOD", "/v1/x").unwrap_err().status(), Status::InvalidArgument);
    // After an invalidation, the next headers carry a renewed token.
    auth.invalidate_token(tok.access_token()).unwrap();
    let renewed = auth.api_headers("GET", "/v1/x").unwrap();
    assert_ne!(renewed[0].1, h[0].1);
    assert_eq!(mock.stats().token_requests, before + 1);
}

/// The references that name another host than api_base_url's to some reader (WHATWG fetch reads
/// `http:HOST:PORT/x` as `http://HOST:PORT/x`), spelled against a second server on loopback.
fn foreign_forms(evil: &MockServer) -> Vec<String> {
    let hp = format!("127.0.0.1:{}", evil.port());
    vec![
        format!("http:{hp}/x"),
        format!("http:/{hp}/x"),
        format!("HTTP:{hp}/x"),
        format!("//{hp}/x"),
        format!("/\\{hp}/x"),
        format!("\\\\{hp}\\x"),
        format!("https:{hp}/x"),
        format!("https:/{hp}/x"),
        format!("ftp://{hp}/x"),
        format!("http://evil.example\\@{hp}/x"),
    ]
}

#[test]
fn every_reference_that_names_another_host_is_refused_before_any_token() {
    let mock = MockServer::start().unwrap();
    let evil = MockServer::start().unwrap();
    let auth = password_client(&mock, &[]);
    for form in foreign_forms(&evil) {
        for renew in [Renew::IfNeeded, Renew::Never] {
            let e = auth.prepare_api_call("GET", &form, &[], renew).unwrap_err();
            assert_eq!(e.status(), Status::InvalidArgument, "{form}");
            assert!(e.message().contains("url_or_path"), "{form}: {e}");
        }
        assert_eq!(auth.check_token_url(&form).unwrap_err().status(), Status::InvalidArgument, "{form}");
        assert_eq!(auth.api_headers("GET", &form).unwrap_err().status(), Status::InvalidArgument, "{form}");
        assert_eq!(auth.request("GET", &form, None, None).unwrap_err().status(), Status::InvalidArgument, "{form}");
    }
    assert_eq!(mock.stats().token_requests, 0, "no token was requested for a refused reference");
    assert_eq!((mock.stats().requests, evil.stats().requests), (0, 0));
}

#[test]
fn the_call_goes_to_the_url_the_core_judged() {
    let mock = MockServer::start().unwrap();
    let auth = password_client(&mock, &[]);
    let path = auth.prepare_api_call("GET", "/v1/private/x?a=b", &[], Renew::IfNeeded).unwrap();
    assert_eq!(path.url(), format!("{}/v1/private/x?a=b", mock.url()));
    // Without its leading slash a path is still a path: nothing reads it as a host.
    let relative = auth.prepare_api_call("GET", "v1/private/x", &[], Renew::IfNeeded).unwrap();
    assert_eq!(relative.url(), format!("{}/v1/private/x", mock.url()));
    let absolute = format!("{}/v1/y", mock.url());
    assert_eq!(auth.prepare_api_call("PUT", &absolute, &[], Renew::IfNeeded).unwrap().url(), absolute);
    let via_trustpilot = "https://api.trustpilot.com/v1/z";
    assert_eq!(auth.prepare_api_call("GET", via_trustpilot, &[], Renew::IfNeeded).unwrap().url(), via_trustpilot);
    // Debug shows the URL and the header names, never the token.
    let shown = format!("{path:?}");
    assert!(shown.contains("Authorization") && !shown.contains(path.access_token().unwrap()), "{shown}");
}

#[test]
fn a_callers_own_business_user_id_is_kept() {
    let mock = MockServer::start().unwrap();
    let auth = password_client(&mock, &[("business_user_id", "bu-9")]);
    let names = |c: &tpauth::ApiCall| c.headers().unwrap().iter().map(|(k, _)| *k).collect::<Vec<_>>();
    let plain = auth.prepare_api_call("GET", "/v1/x", &["Accept", "Authorization"], Renew::IfNeeded).unwrap();
    assert_eq!(names(&plain), ["Authorization", "apikey", "x-business-user-id"]);
    assert_eq!(plain.headers().unwrap()[2].1, "bu-9");
    for own in ["x-business-user-id", "X-Business-User-Id", " X-BUSINESS-USER-ID "] {
        let call = auth.prepare_api_call("GET", "/v1/x", &["Accept", own], Renew::IfNeeded).unwrap();
        assert_eq!(names(&call), ["Authorization", "apikey"], "{own:?}");
    }
    let without = password_client(&mock, &[]);
    assert_eq!(names(&without.prepare_api_call("GET", "/v1/x", &[], Renew::IfNeeded).unwrap()), ["Authorization", "apikey"]);
}

#[test]
fn never_renew_answers_renewal_needed_without_any_request() {
    let mock = MockServer::start().unwrap();
    let auth = password_client(&mock, &[("refresh_leeway_s", "900")]);
    let call = auth.prepare_api_call("GET", "/v1/x", &[], Renew::Never).unwrap();
    assert!(call.renewal_needed() && call.headers().is_none() && call.header_lines().is_none());
    assert_eq!(call.url(), format!("{}/v1/x", mock.url()), "the URL is judged even so");
    assert_eq!(mock.stats().token_requests, 0, "no token exists yet: nothing was requested");

    let tok = auth.get_token().unwrap();
    let ready = auth.prepare_api_call("GET", "/v1/x", &[], Renew::Never).unwrap();
    assert_eq!(ready.access_token(), Some(tok.access_token()));
    assert_eq!(ready.header_lines().unwrap(), format!("Authorization: Bearer {}\napikey: {KEY}", tok.access_token()));

    auth.invalidate_token(tok.access_token()).unwrap();
    assert!(auth.prepare_api_call("GET", "/v1/x", &[], Renew::Never).unwrap().renewal_needed(), "invalidated");

    // Valid for ten more minutes, but within refresh_leeway_s of its expiry: due for renewal.
    let due = tpauth::Token::from_fields("due-at", None, None, 3600, now_ms() - 3_000_000, None).unwrap();
    auth.set_token(&due).unwrap();
    assert!(auth.prepare_api_call("GET", "/v1/x", &[], Renew::Never).unwrap().renewal_needed(), "due");
    assert_eq!(mock.stats().token_requests, 1, "only the one get_token above asked for a token");
    // Allowed to renew, it does.
    let renewed = auth.prepare_api_call("GET", "/v1/x", &[], Renew::IfNeeded).unwrap();
    assert_ne!(renewed.access_token(), Some("due-at"));
    assert_eq!(mock.stats().token_requests, 2);
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}
