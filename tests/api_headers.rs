//! `Auth::api_headers` / `tp_api_headers`: what HTTP adapters attach, after the host rule.

mod common;
use common::*;
use tpauth::Status;

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
