//! The file token cache's parser (`tpauth::cache::entry`): any file content gives the entries of a
//! tpauth cache or "not ours", never a panic; every entry gives a token or "corrupt"; a token it
//! accepts was received no earlier than 1970 and no later than now plus the allowed clock skew (so
//! it expires); what `render_file` writes parses back to the same entries.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tpauth::cache::entry::{parse_entry, parse_file, render_file, MAX_CLOCK_SKEW_MS};

const NOW_MS: i64 = 1_750_000_000_000;

fuzz_target!(|data: &[u8]| {
    let Ok(entries) = parse_file(data) else { return };
    for (_, value) in entries.iter() {
        if let Ok(tok) = parse_entry(value, NOW_MS) {
            assert!(tok.received_at_ms() >= 0);
            assert!(tok.received_at_ms() <= NOW_MS + MAX_CLOCK_SKEW_MS);
            assert!(!tok.access_token().is_empty());
            let _ = tok.is_expired(0);
        }
    }
    let again = parse_file(render_file(entries.clone()).as_bytes()).expect("render_file output must parse back");
    assert_eq!(again, entries);
});
