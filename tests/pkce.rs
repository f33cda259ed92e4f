//! PKCE (RFC 7636) and the `scope` option against the mock, which checks the S256 challenge.

mod common;
use common::*;
use tpauth::{new_pkce, parse_code_redirect, ResponseType, Status};

const REDIRECT: &str = "https://app.example.com/callback";

/// A code issued for an authorize URL carrying `challenge` (or none).
fn code_for(auth: &tpauth::Auth, challenge: Option<&str>) -> String {
    let url = auth.authorize_url_pkce(REDIRECT, ResponseType::Code, Some("st"), challenge).unwrap();
    parse_code_redirect(&location_of(&url), Some("st")).unwrap()
}

#[test]
fn challenge_in_the_url_and_verifier_in_the_exchange() {
    let mock = MockServer::start().unwrap();
    let auth = client(&mock, &[]);
    let pkce = new_pkce().unwrap();
    let url = auth.authorize_url_pkce(REDIRECT, ResponseType::Code, Some("st"), Some(&pkce.challenge)).unwrap();
    assert!(url.ends_with(&format!("&state=st&code_challenge={}&code_challenge_method=S256", pkce.challenge)), "{url}");
    let code = parse_code_redirect(&location_of(&url), Some("st")).unwrap();
    let tok = auth.authorization_code_grant_pkce(&code, REDIRECT, Some(&pkce.verifier)).unwrap();
    assert!(!tok.access_token().is_empty());
    let req = mock.last_token_request().unwrap();
    assert!(req.body.ends_with(&format!("&code_verifier={}", pkce.verifier)), "{}", req.body);
    assert_eq!(mock.stats().grants.authorization_code, 1);
}

#[test]
fn a_wrong_or_missing_verifier_is_invalid_grant() {
    let mock = MockServer::start().unwrap();
    let auth = client(&mock, &[]);
    let pkce = new_pkce().unwrap();
    let other = new_pkce().unwrap();
    let code = code_for(&auth, Some(&pkce.challenge));
    let err = auth.authorization_code_grant_pkce(&code, REDIRECT, Some(&other.verifier)).unwrap_err();
    assert_eq!((err.status(), err.oauth_code()), (Status::InvalidGrant, Some("invalid_grant")));
    assert!(!err.message().contains(&other.verifier), "{err}");
    let code = code_for(&auth, Some(&pkce.challenge));
    assert_eq!(auth.authorization_code_grant(&code, REDIRECT).unwrap_err().status(), Status::InvalidGrant);
    // A verifier for a code issued without a challenge (a downgrade) is refused too.
    let code = code_for(&auth, None);
    assert_eq!(auth.authorization_code_grant_pkce(&code, REDIRECT, Some(&pkce.verifier)).unwrap_err().status(), Status::InvalidGrant);
    // Without PKCE on either side, the flow still works (Trustpilot does not require it).
    let code = code_for(&auth, None);
    auth.authorization_code_grant(&code, REDIRECT).unwrap();
    assert_eq!(mock.stats().grants.authorization_code, 1);
}

#[test]
fn malformed_pkce_arguments_are_refused_before_sending() {
    let mock = MockServer::start().unwrap();
    let auth = client(&mock, &[]);
    let before = mock.stats().requests;
    for bad in ["short", "contains+plus/and=padding=================================", &"a".repeat(129)] {
        let e = auth.authorization_code_grant_pkce("code", REDIRECT, Some(bad)).unwrap_err();
        assert_eq!(e.status(), Status::InvalidArgument, "{bad}");
        assert!(e.message().contains("code_verifier"));
    }
    assert_eq!(auth.authorize_url_pkce(REDIRECT, ResponseType::Code, None, Some("nope")).unwrap_err().status(), Status::InvalidArgument);
    let c = new_pkce().unwrap().challenge;
    assert_eq!(auth.authorize_url_pkce(REDIRECT, ResponseType::Token, None, Some(&c)).unwrap_err().status(), Status::InvalidArgument);
    assert_eq!(mock.stats().requests, before);
}

#[test]
fn scope_goes_into_the_authorize_url_and_the_token_requests() {
    let mock = MockServer::start().unwrap();
    let auth = password_client(&mock, &[("scope", "read write")]);
    let url = auth.authorize_url(REDIRECT, ResponseType::Code, None).unwrap();
    assert!(url.ends_with("&response_type=code&scope=read%20write") || url.ends_with("&response_type=code&scope=read+write"), "{url}");
    auth.get_token().unwrap();
    let body = mock.last_token_request().unwrap().body;
    assert!(
        body.starts_with("grant_type=password&") && (body.ends_with("&scope=read%20write") || body.ends_with("&scope=read+write")),
        "{body}"
    );
    auth.refresh(None).unwrap();
    assert!(mock.last_token_request().unwrap().body.contains("&scope=read"));
    // The code exchange carries none (its scope was fixed by the authorize URL).
    let code = code_for(&auth, None);
    auth.authorization_code_grant(&code, REDIRECT).unwrap();
    assert!(!mock.last_token_request().unwrap().body.contains("scope"));
    // Without the option, nothing is sent.
    let plain = password_client(&mock, &[]);
    plain.get_token().unwrap();
    assert!(!mock.last_token_request().unwrap().body.contains("scope"));
    let mut cfg = config(&mock, &[]);
    assert_eq!(cfg.set("scope", "a\"b").unwrap_err().status(), Status::InvalidArgument);
}

#[test]
fn renew_at_is_the_leeway_before_expiry() {
    let mock = MockServer::start().unwrap();
    let auth = password_client(&mock, &[("refresh_leeway_s", "60")]);
    let t = auth.get_token().unwrap();
    assert_eq!(auth.renew_at_ms(&t), t.expires_at_ms() - 60_000);
    mock.configure(serde_json::json!({"expires_in": 10})).unwrap();
    let short = auth.refresh(None).unwrap();
    // never earlier than half-way through the lifetime
    assert_eq!(auth.renew_at_ms(&short), short.expires_at_ms() - 5_000);
}
