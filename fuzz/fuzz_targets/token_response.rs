//! The token-response parser: `Token::from_response` (a token endpoint's 2xx body) and
//! `Token::from_json` (the persisted form). Any input gives a token or a typed error, never a panic;
//! a parsed token survives `to_json` → `from_json` unchanged.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tpauth::{Status, Token};

fn check(tok: &Token) {
    assert!(!tok.access_token().is_empty());
    assert!(tok.expires_in() >= -1);
    let again = Token::from_json(&tok.to_json()).expect("to_json output must parse back");
    assert_eq!(again.access_token(), tok.access_token());
    assert_eq!(again.refresh_token(), tok.refresh_token());
    assert_eq!(again.token_type(), tok.token_type());
    assert_eq!(again.expires_in(), tok.expires_in());
    assert_eq!(again.expires_at(), tok.expires_at());
    assert_eq!(again.raw_json(), tok.raw_json());
    let _ = tok.is_expired(0);
    let _ = tok.is_expired(i64::MAX);
    let _ = tok.is_expired(i64::MIN);
}

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    // The first byte picks a previous refresh token (a refresh answer may omit its own).
    let prev = match data.first() {
        Some(b) if b & 1 == 1 => Some("previous-refresh"),
        _ => None,
    };
    match Token::from_response(s, prev) {
        Ok(tok) => check(&tok),
        Err(e) => assert_eq!(e.status(), Status::Protocol, "{}", e.message()),
    }
    match Token::from_json(s) {
        Ok(tok) => check(&tok),
        Err(e) => assert!(matches!(e.status(), Status::Protocol | Status::InvalidArgument | Status::Store), "{:?}", e.status()),
    }
});
