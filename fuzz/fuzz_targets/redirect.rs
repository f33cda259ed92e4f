//! The redirect parsers: `parse_code_redirect` and `parse_implicit_redirect`, with and without an
//! expected state. Any input gives a value or a typed error, never a panic; a state mismatch is
//! always reported when the states differ.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tpauth::{parse_code_redirect, parse_implicit_redirect, Status};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    // "URL\u{1}STATE": an optional expected state after the first \x01.
    let (url, state) = match s.split_once('\u{1}') {
        Some((u, st)) => (u, Some(st)),
        None => (s, None),
    };
    match parse_code_redirect(url, state) {
        Ok(code) => assert!(!code.is_empty()),
        Err(e) => assert!(
            matches!(e.status(), Status::InvalidArgument | Status::StateMismatch | Status::AccessDenied),
            "{:?}: {}",
            e.status(),
            e.message()
        ),
    }
    match parse_implicit_redirect(url, state) {
        Ok(tok) => {
            assert!(!tok.access_token().is_empty());
            let _ = tok.to_json();
        }
        Err(e) => assert!(
            matches!(e.status(), Status::InvalidArgument | Status::StateMismatch | Status::AccessDenied),
            "{:?}: {}",
            e.status(),
            e.message()
        ),
    }
    // Without an expected state, a state check can never fail.
    if let Err(e) = parse_code_redirect(url, None) {
        assert_ne!(e.status(), Status::StateMismatch);
    }
});
