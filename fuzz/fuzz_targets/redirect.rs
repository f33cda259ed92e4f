//! The redirect parsers: `parse_code_redirect` and `parse_implicit_redirect`, with and without an
//! expected state. Any input gives a value or a typed error, never a panic; a state mismatch is
//! always reported when the states differ; a code or token never holds a NUL; an error message
//! stays short whatever the input; and a redirect whose query (or fragment) carries `state`,
//! `code` or `access_token` twice is always refused, whichever copy would have passed.
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
        Ok(code) => assert!(!code.is_empty() && !code.contains('\0')),
        Err(e) => assert!(
            matches!(e.status(), Status::InvalidArgument | Status::StateMismatch | Status::AccessDenied),
            "{:?}: {}",
            e.status(),
            e.message()
        ),
    }
    match parse_implicit_redirect(url, state) {
        Ok(tok) => {
            assert!(!tok.access_token().is_empty() && !tok.access_token().contains('\0'));
            let _ = tok.to_json();
        }
        Err(e) => assert!(
            matches!(e.status(), Status::InvalidArgument | Status::StateMismatch | Status::AccessDenied),
            "{:?}: {}",
            e.status(),
            e.message()
        ),
    }
    // Duplicated parameters: appended to the query (code flow) or the fragment (implicit flow),
    // whatever the input already holds, the redirect is refused.
    if !url.contains('#') {
        let sep = if url.contains('?') { '&' } else { '?' };
        let st = state.unwrap_or("s");
        for extra in [format!("state={st}&state={st}&code=c"), "code=c&code=c".to_owned(), format!("code=c&state={st}&state=other")] {
            let dup = format!("{url}{sep}{extra}");
            let e = parse_code_redirect(&dup, state).expect_err("a duplicated parameter was accepted");
            assert!(e.message().len() < 4096 || e.status() != Status::AccessDenied);
        }
        for extra in [format!("access_token=a&access_token=b&state={st}"), format!("access_token=a&state={st}&state={st}")] {
            assert!(parse_implicit_redirect(&format!("{url}#{extra}"), state).is_err(), "a duplicated parameter was accepted");
        }
    }
    for r in [parse_code_redirect(url, state).err(), parse_implicit_redirect(url, state).err()].into_iter().flatten() {
        if r.status() == Status::AccessDenied {
            assert!(r.message().len() <= 1024, "an AccessDenied message of {} bytes", r.message().len());
            assert!(!r.message().chars().any(char::is_control));
        }
    }
    // Without an expected state, a state check can never fail.
    if let Err(e) = parse_code_redirect(url, None) {
        assert_ne!(e.status(), Status::StateMismatch);
    }
});
