//! The form encoder: `form_urlencode` keeps only unreserved bytes and `%XX` escapes, and decodes
//! back to its input. The round trip goes through the public decoder of redirect queries:
//! `parse_code_redirect("https://x/cb?code=" + form_urlencode(s))` must give `s` back, except that
//! a value holding NUL (`%00`) is refused there as an invalid argument.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tpauth::{form_urlencode, parse_code_redirect, Status};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let enc = form_urlencode(s);
    let b = enc.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            c if c.is_ascii_alphanumeric() || b"-._~".contains(&c) => i += 1,
            b'%' => {
                assert!(i + 2 < b.len(), "short escape in {enc:?}");
                assert!(b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit(), "bad escape in {enc:?}");
                assert!(!b[i + 1].is_ascii_lowercase() && !b[i + 2].is_ascii_lowercase(), "lowercase hex in {enc:?}");
                i += 3;
            }
            c => panic!("unescaped byte {c:#x} in {enc:?}"),
        }
    }
    if !s.is_empty() {
        let url = format!("https://x/cb?code={enc}");
        match parse_code_redirect(&url, None) {
            Err(e) if s.contains('\0') => assert_eq!(e.status(), Status::InvalidArgument, "{e}"),
            got => assert_eq!(got.expect("round trip"), s),
        }
    }
});
