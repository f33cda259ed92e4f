//! Every flow of the contract's section 1 (docs/contract.md) against the mock: the bytes on the wire, what the caller gets, and
//! the typed error of every kind of bad input or bad answer.

mod common;
use base64::Engine as _;
use common::*;
use serde_json::json;
use std::time::{Duration, Instant};
use tpauth::{parse_code_redirect, parse_implicit_redirect, Auth, ResponseType, Status};

const TOKEN_PATH: &str = "/v1/oauth/oauth-business-users-for-applications/accesstoken";

fn basic(key: &str, secret: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{key}:{secret}")))
}

#[test]
fn password_grant_wire_bytes_and_token() {
    let mock = MockServer::start().unwrap();
    let auth = client(&mock, &[]);
    let before = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let tok = auth.password_grant(USER, PASSWORD).unwrap();
    let req = mock.last_token_request().unwrap();
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, TOKEN_PATH);
    assert_eq!(req.header("content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(req.header("authorization"), Some(basic(KEY, SECRET).as_str()));
    assert_eq!(req.body, "grant_type=password&username=user%40example.com&password=mock-password");
    assert_eq!(tok.token_type(), Some("BearerToken"));
    assert_eq!(tok.expires_in(), 359_999);
    assert!((tok.expires_at() - before - 359_999).abs() <= 2);
    assert!(tok.refresh_token().is_some());
    assert_eq!(tok.raw()["client_id"], "mock-api-key");
    assert!(!tok.is_expired(0));
}

#[test]
fn reserved_and_non_ascii_characters_are_escaped() {
    let mock = MockServer::start().unwrap();
    let secret = "s&e=c+r%e t:é/?#";
    let password = "p&a=s+s%w o:rd€\"'";
    mock.configure(json!({"api_secret": secret, "password": password})).unwrap();
    // The mock's default secret is replaced: this configuration is built with the reserved one.
    let mut cfg = tpauth::Config::new(KEY, secret).unwrap();
    cfg.set("api_base_url", &mock.url()).unwrap();
    cfg.set("allow_insecure_http", "true").unwrap();
    let auth = Auth::new(&cfg).unwrap();
    auth.password_grant(USER, password).unwrap();
    let req = mock.last_token_request().unwrap();
    assert_eq!(req.header("authorization"), Some(basic(KEY, secret).as_str()));
    assert_eq!(req.body, "grant_type=password&username=user%40example.com&password=p%26a%3Ds%2Bs%25w%20o%3Ard%E2%82%AC%22%27");

    // basic_form: both values form-encoded before base64 (RFC 6749 §2.3.1).
    cfg.set("client_auth", "basic_form").unwrap();
    Auth::new(&cfg).unwrap().password_grant(USER, password).unwrap();
    let req = mock.last_token_request().unwrap();
    assert_eq!(req.header("authorization"), Some(basic(KEY, "s%26e%3Dc%2Br%25e%20t%3A%C3%A9%2F%3F%23").as_str()));

    // post: credentials in the body, no Authorization header.
    cfg.set("client_auth", "post").unwrap();
    Auth::new(&cfg).unwrap().client_credentials_grant().unwrap();
    let req = mock.last_token_request().unwrap();
    assert_eq!(req.header("authorization"), None);
    assert_eq!(req.body, "grant_type=client_credentials&client_id=mock-api-key&client_secret=s%26e%3Dc%2Br%25e%20t%3A%C3%A9%2F%3F%23");
}

#[test]
fn wrong_credentials_are_typed() {
    let mock = MockServer::start().unwrap();
    let err = client(&mock, &[]).password_grant(USER, "wrong").unwrap_err();
    assert_eq!((err.status(), err.http_status(), err.oauth_code()), (Status::InvalidGrant, 400, Some("invalid_grant")));
    assert!(!err.message().contains("wrong"), "{err}");
    let bad = Auth::new(&{
        let mut c = tpauth::Config::new(KEY, "not-the-secret").unwrap();
        c.set("api_base_url", &mock.url()).unwrap();
        c.set("allow_insecure_http", "true").unwrap();
        c
    })
    .unwrap();
    let err = bad.client_credentials_grant().unwrap_err();
    assert_eq!((err.status(), err.http_status()), (Status::Unauthorized, 401));
    assert!(!err.message().contains("not-the-secret"));
}

#[test]
fn client_credentials_and_api_call_headers() {
    let mock = MockServer::start().unwrap();
    let auth = client(&mock, &[("business_user_id", "mock-business-user-id")]);
    let tok = auth.client_credentials_grant().unwrap();
    assert_eq!(mock.last_token_request().unwrap().body, "grant_type=client_credentials");
    assert!(tok.refresh_token().is_none());
    let resp = auth.request("GET", "/v1/private/business-units/123/reviews?page=2", None, None).unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text());
    let api = mock.last_api_request().unwrap();
    assert_eq!(api.path, "/v1/private/business-units/123/reviews?page=2");
    assert_eq!(api.header("authorization").unwrap(), format!("Bearer {}", tok.access_token()));
    assert_eq!(api.header("apikey"), Some(KEY));
    assert_eq!(api.header("x-business-user-id"), Some("mock-business-user-id"));
    let echo: serde_json::Value = serde_json::from_slice(resp.body()).unwrap();
    assert_eq!(echo["query"], "page=2");
    assert_eq!(resp.header("Content-Type"), Some("application/json"));
    // a POST with a body and content type; a path without a leading slash
    let resp = auth.request("POST", "v1/private/echo", Some(b"{\"a\":1}"), Some("application/json")).unwrap();
    assert_eq!(resp.status(), 200);
    let api = mock.last_api_request().unwrap();
    assert_eq!((api.method.as_str(), api.body.as_str(), api.header("content-type")), ("POST", "{\"a\":1}", Some("application/json")));
    // without the business user id the API refuses a client-credentials token
    let plain = client(&mock, &[]);
    plain.set_token(&tok).unwrap();
    assert_eq!(plain.request("GET", "/v1/x", None, None).unwrap().status(), 403);
    assert_eq!(mock.stats().token_requests, 1);
}

#[test]
fn authorization_code_flow() {
    let mock = MockServer::start().unwrap();
    let auth = client(&mock, &[]);
    let state = tpauth::new_state();
    let redirect = "https://app.example.com/callback";
    let url = auth.authorize_url(redirect, ResponseType::Code, Some(&state)).unwrap();
    assert_eq!(
        url,
        format!(
            "{}?client_id=mock-api-key&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback&response_type=code&state={state}",
            mock.authorize_url()
        )
    );
    let back = location_of(&url);
    assert!(back.starts_with(redirect));
    let code = parse_code_redirect(&back, Some(&state)).unwrap();
    let tok = auth.authorization_code_grant(&code, redirect).unwrap();
    assert!(tok.refresh_token().is_some());
    let req = mock.last_token_request().unwrap();
    assert_eq!(req.body, format!("grant_type=authorization_code&code={code}&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback"));
    // a code is single use, and never retried
    let err = auth.authorization_code_grant(&code, redirect).unwrap_err();
    assert_eq!(err.status(), Status::InvalidGrant);
    assert_eq!(mock.stats().token_requests, 2);
    // the state is checked
    assert_eq!(parse_code_redirect(&back, Some("other")).unwrap_err().status(), Status::StateMismatch);
    // a non-https redirect_uri is refused before anything is sent
    let before = mock.stats().requests;
    assert_eq!(auth.authorize_url("http://app.example.com/cb", ResponseType::Code, None).unwrap_err().status(), Status::InvalidArgument);
    assert_eq!(auth.authorization_code_grant("c", "http://app.example.com/cb").unwrap_err().status(), Status::InvalidArgument);
    assert_eq!(mock.stats().requests, before);
    // the user declines
    mock.configure(json!({"deny": true})).unwrap();
    let denied = location_of(&auth.authorize_url(redirect, ResponseType::Code, Some(&state)).unwrap());
    let err = parse_code_redirect(&denied, Some(&state)).unwrap_err();
    assert_eq!((err.status(), err.oauth_code()), (Status::AccessDenied, Some("access_denied")));
}

#[test]
fn implicit_flow() {
    let mock = MockServer::start().unwrap();
    let auth = client(&mock, &[]);
    let state = tpauth::new_state();
    let url = auth.authorize_url("https://app.example.com/cb", ResponseType::Token, Some(&state)).unwrap();
    assert!(url.contains("response_type=token"));
    let back = location_of(&url);
    let tok = parse_implicit_redirect(&back, Some(&state)).unwrap();
    assert!(tok.expires_in() > 0);
    auth.set_token(&tok).unwrap();
    assert_eq!(auth.request("GET", "/v1/me", None, None).unwrap().status(), 200);
    assert_eq!(parse_implicit_redirect(&back, Some("nope")).unwrap_err().status(), Status::StateMismatch);
}

#[test]
fn refresh_on_both_endpoints_with_rotation() {
    let mock = MockServer::start().unwrap();
    let auth = client(&mock, &[]);
    let first = auth.password_grant(USER, PASSWORD).unwrap();
    let second = auth.refresh(None).unwrap();
    let req = mock.last_token_request().unwrap();
    assert_eq!(req.path, "/v1/oauth/oauth-business-users-for-applications/refresh");
    assert_eq!(req.body, format!("grant_type=refresh_token&refresh_token={}", first.refresh_token().unwrap()));
    assert_ne!(second.access_token(), first.access_token());
    // the rotated refresh token is dead
    let err = auth.refresh(first.refresh_token()).unwrap_err();
    assert_eq!(err.status(), Status::InvalidGrant);
    assert!(!err.message().contains(first.refresh_token().unwrap()));
    // refresh_endpoint=accesstoken
    let other = client(&mock, &[("refresh_endpoint", "accesstoken")]);
    other.refresh(second.refresh_token()).unwrap();
    assert_eq!(mock.last_token_request().unwrap().path, TOKEN_PATH);
    // an answer without refresh_token keeps the old one
    mock.configure(json!({"rotate_refresh_token": false})).unwrap();
    let kept = auth.password_grant(USER, PASSWORD).unwrap();
    let next = auth.refresh(None).unwrap();
    assert_eq!(next.refresh_token(), kept.refresh_token());
    // nothing to refresh
    let empty = client(&mock, &[]);
    assert_eq!(empty.refresh(None).unwrap_err().status(), Status::NoToken);
}

#[test]
fn revoke_then_refresh_is_refused() {
    let mock = MockServer::start().unwrap();
    let auth = password_client(&mock, &[]);
    let tok = auth.password_grant(USER, PASSWORD).unwrap();
    auth.revoke(None).unwrap();
    let req = mock.last_token_request().unwrap();
    assert_eq!(req.path, "/v1/oauth/oauth-business-users-for-applications/revoke");
    assert_eq!(req.body, format!("token={}", tok.refresh_token().unwrap()));
    assert_eq!(req.header("authorization"), Some(basic(KEY, SECRET).as_str()));
    assert_eq!(auth.refresh(tok.refresh_token()).unwrap_err().status(), Status::InvalidGrant);
    // the revoked token is no longer current: nothing left to revoke
    assert_eq!(auth.revoke(None).unwrap_err().status(), Status::NoToken);
    // and its access token is dead at the API; the managed token gets a new one
    let other = client(&mock, &[]);
    other.set_token(&tok).unwrap();
    let before = mock.stats().token_requests;
    assert_eq!(auth.request("GET", "/v1/x", None, None).unwrap().status(), 200);
    assert_eq!(mock.stats().token_requests, before + 1);
}

#[test]
fn api_401_renews_once_and_retries() {
    let mock = MockServer::start().unwrap();
    let auth = password_client(&mock, &[]);
    assert_eq!(auth.request("GET", "/v1/a", None, None).unwrap().status(), 200);
    assert_eq!(mock.stats().token_requests, 1);
    mock.expire_all();
    assert_eq!(auth.request("GET", "/v1/a", None, None).unwrap().status(), 200);
    let s = mock.stats();
    assert_eq!((s.token_requests, s.grants.refresh_token, s.api_401), (2, 1, 1));
    // a 401 that persists is returned as the response after one renewal, not looped on
    mock.fault(Fault::new(FaultKind::Unauthorized).target(FaultTarget::Api).count(2));
    assert_eq!(auth.request("GET", "/v1/a", None, None).unwrap().status(), 401);
    assert_eq!(mock.stats().token_requests, 3);
}

#[test]
fn sequential_grants_reuse_one_connection() {
    let mock = MockServer::start().unwrap();
    let auth = client(&mock, &[]);
    for _ in 0..20 {
        auth.password_grant(USER, PASSWORD).unwrap();
    }
    assert_eq!(mock.stats().connections, 1);
}

#[test]
fn insecure_urls_are_refused() {
    let mock = MockServer::start().unwrap();
    let mut cfg = tpauth::Config::new(KEY, SECRET).unwrap();
    cfg.set("api_base_url", &mock.url()).unwrap();
    let err = Auth::new(&cfg).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    assert!(err.message().contains("https"), "{err}");
    cfg.set("allow_insecure_http", "true").unwrap();
    cfg.set("api_base_url", "http://example.com").unwrap();
    let err = Auth::new(&cfg).unwrap_err();
    assert!(err.message().contains("loopback"), "{err}");
    // a full URL given to request is held to the same rule
    let auth = password_client(&mock, &[]);
    assert_eq!(auth.request("GET", "http://example.com/v1/x", None, None).unwrap_err().status(), Status::InvalidArgument);
    // CR/LF in a header value is refused
    assert_eq!(auth.request("POST", "/v1/x", Some(b"x"), Some("text/plain\r\nX-Evil: 1")).unwrap_err().status(), Status::InvalidArgument);
    assert_eq!(auth.request("GET /x", "/v1/x", None, None).unwrap_err().status(), Status::InvalidArgument);
}

fn grant_with(mock: &MockServer, fault: Fault, options: &[(&str, &str)]) -> tpauth::Error {
    mock.reset();
    mock.fault(fault);
    let mut all = vec![("max_retries", "0")];
    all.extend_from_slice(options);
    client(mock, &all).password_grant(USER, PASSWORD).unwrap_err()
}

#[test]
fn bad_answers_are_typed() {
    let mock = MockServer::start().unwrap();
    assert_eq!(grant_with(&mock, Fault::new(FaultKind::Garbage), &[]).status(), Status::Protocol);
    assert_eq!(grant_with(&mock, Fault::new(FaultKind::NoAccessToken), &[]).status(), Status::Protocol);
    let big = grant_with(&mock, Fault::new(FaultKind::BigBody).size(2 << 20), &[]);
    assert_eq!(big.status(), Status::Protocol, "{big}");
    assert!(big.message().contains("cap"), "{big}");
    let html = grant_with(&mock, Fault::new(FaultKind::Html500), &[]);
    assert_eq!((html.status(), html.http_status(), html.oauth_code()), (Status::Http, 500, None));
    assert_eq!(grant_with(&mock, Fault::new(FaultKind::ServiceUnavailable), &[]).http_status(), 503);
    assert_eq!(grant_with(&mock, Fault::new(FaultKind::Reset), &[]).status(), Status::Network);
    assert_eq!(grant_with(&mock, Fault::new(FaultKind::Truncated), &[]).status(), Status::Network);
    let started = Instant::now();
    let slow = grant_with(&mock, Fault::new(FaultKind::Slow).delay_ms(3000), &[("timeout_ms", "300")]);
    assert_eq!(slow.status(), Status::Timeout, "{slow}");
    assert!(started.elapsed() < Duration::from_millis(1500));
    let rl = grant_with(&mock, Fault::new(FaultKind::TooManyRequests).retry_after("7"), &[]);
    assert_eq!((rl.status(), rl.http_status(), rl.retry_after()), (Status::RateLimited, 429, Some(Duration::from_secs(7))));
}

#[test]
fn every_form_of_expires_in() {
    let mock = MockServer::start().unwrap();
    let auth = client(&mock, &[]);
    for (raw, expect) in
        [("\"3600\"", Ok(3600)), ("3600", Ok(3600)), ("null", Ok(-1)), ("-5", Err(())), ("1e30", Err(())), ("\"1e30\"", Err(()))]
    {
        mock.configure(json!({ "expires_in_json": raw })).unwrap();
        match (auth.password_grant(USER, PASSWORD), expect) {
            (Ok(t), Ok(e)) => assert_eq!(t.expires_in(), e, "{raw}"),
            (Err(e), Err(())) => assert_eq!(e.status(), Status::Protocol, "{raw}: {e}"),
            (got, want) => panic!("expires_in {raw}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn unreachable_server_is_a_network_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut cfg = tpauth::Config::new(KEY, SECRET).unwrap();
    cfg.set("api_base_url", &format!("http://127.0.0.1:{port}")).unwrap();
    cfg.set("allow_insecure_http", "true").unwrap();
    cfg.set("max_retries", "0").unwrap();
    let err = Auth::new(&cfg).unwrap().client_credentials_grant().unwrap_err();
    assert_eq!(err.status(), Status::Network, "{err}");
    assert!(err.message().contains("refused"), "{err}");
}

#[test]
fn token_json_roundtrip_and_debug_hides_secrets() {
    let mock = MockServer::start().unwrap();
    let auth = client(&mock, &[]);
    let tok = auth.password_grant(USER, PASSWORD).unwrap();
    let back = tpauth::Token::from_json(&tok.to_json()).unwrap();
    assert_eq!((back.access_token(), back.refresh_token(), back.expires_at()), (tok.access_token(), tok.refresh_token(), tok.expires_at()));
    assert_eq!(back.raw_json(), tok.raw_json());
    for shown in [format!("{tok:?}"), format!("{auth:?}"), format!("{:?}", config(&mock, &[("password", PASSWORD)]))] {
        assert!(!shown.contains(tok.access_token()) && !shown.contains(SECRET) && !shown.contains(PASSWORD), "{shown}");
    }
    assert_eq!(tpauth::Token::from_json("{").unwrap_err().status(), Status::InvalidArgument);
}

#[test]
fn methods_are_normalised_and_extension_methods_pass() {
    let mock = MockServer::start().unwrap();
    let auth = password_client(&mock, &[]);
    assert_eq!(auth.request("get", "/v1/x", None, None).unwrap().status(), 200);
    assert_eq!(mock.last_api_request().unwrap().method, "GET");
    auth.request("PROPFIND", "/v1/x", None, None).unwrap();
    assert_eq!(mock.last_api_request().unwrap().method, "PROPFIND");
}

#[test]
fn loopback_redirect_uri_is_an_explicit_opt_in() {
    let mock = MockServer::start().unwrap();
    let loopback = "http://127.0.0.1:8123/callback";
    // allow_insecure_http (for the mock) does not relax the https rule of redirect_uri
    let strict = client(&mock, &[]);
    let err = strict.authorize_url(loopback, ResponseType::Code, None).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    assert!(err.message().contains("allow_loopback_redirect_uri"), "{err}");
    let native = client(&mock, &[("allow_loopback_redirect_uri", "true")]);
    let url = native.authorize_url(loopback, ResponseType::Code, Some("s")).unwrap();
    let code = parse_code_redirect(&location_of(&url), Some("s")).unwrap();
    native.authorization_code_grant(&code, loopback).unwrap();
    assert_eq!(native.authorize_url("http://example.com/cb", ResponseType::Code, None).unwrap_err().status(), Status::InvalidArgument);
}

#[test]
fn grant_none_after_a_refused_refresh_token_says_so() {
    let mock = MockServer::start().unwrap();
    let auth = client(&mock, &[("grant", "none")]);
    let tok = auth.password_grant(USER, PASSWORD).unwrap();
    client(&mock, &[]).revoke(tok.refresh_token()).unwrap();
    auth.invalidate_token(tok.access_token()).unwrap();
    let err = auth.get_token().unwrap_err();
    assert_eq!((err.status(), err.oauth_code(), err.http_status()), (Status::NoToken, Some("invalid_grant"), 400), "{err}");
    assert!(err.message().contains("refused"), "{err}");
}

/// A second server on another port of 127.0.0.1 plays the foreign host: the token never reaches
/// it unless `token_hosts` names it (the old rule compared hosts only, so another local port, like
/// any host "of the same site", received the token).
#[test]
fn token_is_not_sent_to_another_port_or_host() {
    let mock = MockServer::start().unwrap();
    let foreign = MockServer::start().unwrap();
    let auth = password_client(&mock, &[]);
    let url = format!("{}/v1/private/x", foreign.url());
    let err = auth.request("GET", &url, None, None).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    assert!(err.message().contains(&format!("127.0.0.1:{}", foreign.port())) && err.message().contains("token_hosts"), "{err}");
    assert_eq!(auth.check_token_url(&url).unwrap_err().status(), Status::InvalidArgument);
    assert_eq!(auth.request("GET", "https://evil.co.uk/x", None, None).unwrap_err().status(), Status::InvalidArgument);
    assert_eq!(foreign.stats().requests, 0, "the foreign server saw a request");
    assert_eq!(mock.stats().token_requests, 0, "a refused URL must not even fetch a token");

    // token_hosts adds it
    let port = foreign.port().to_string();
    let allowed = password_client(&mock, &[("token_hosts", &format!("reviews.example.com, 127.0.0.1:{port}"))]);
    allowed.check_token_url(&url).unwrap();
    allowed.check_token_url("/v1/private/x").unwrap();
    let resp = allowed.request("GET", &url, None, None).unwrap();
    assert_eq!(resp.status(), 401, "the foreign mock does not know the token, but it received the call");
    assert_eq!(foreign.stats().api_requests, 2, "the call, and its retry after the 401");
}

#[test]
fn token_host_evil_co_uk_is_refused_for_api_example_co_uk() {
    let mut cfg = tpauth::Config::new(KEY, SECRET).unwrap();
    cfg.set("api_base_url", "https://api.example.co.uk").unwrap();
    let auth = Auth::new(&cfg).unwrap();
    auth.check_token_url("https://api.example.co.uk/v1/x").unwrap();
    auth.check_token_url("https://api.trustpilot.com/v1/x").unwrap();
    auth.check_token_url("https://invitations-api.trustpilot.com/v1/x").unwrap();
    for bad in ["https://evil.co.uk/x", "https://www.example.co.uk/x", "https://sibling.herokuapp.com/x", "http://api.example.co.uk/x"] {
        let e = auth.check_token_url(bad).unwrap_err();
        assert_eq!(e.status(), Status::InvalidArgument, "{bad}");
    }
    let mut cfg = tpauth::Config::new(KEY, SECRET).unwrap();
    cfg.set("api_base_url", "https://mine.herokuapp.com").unwrap();
    let auth = Auth::new(&cfg).unwrap();
    assert!(auth.check_token_url("https://theirs.herokuapp.com/x").unwrap_err().message().contains("theirs.herokuapp.com"));
    cfg.set("token_hosts", "theirs.herokuapp.com").unwrap();
    Auth::new(&cfg).unwrap().check_token_url("https://theirs.herokuapp.com/x").unwrap();
    assert_eq!(cfg.set("token_hosts", "https://x.example/").unwrap_err().status(), Status::InvalidArgument);
}
