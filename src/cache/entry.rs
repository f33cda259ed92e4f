//! The file cache's format, apart from any I/O, so that it can be fuzzed (`fuzz/fuzz_targets/cache_file.rs`):
//!
//! ```json
//! {"format":"tpauth-cache-1","entries":{"<cache key>":"<Token::to_json>", ...}}
//! ```
//!
//! - [`parse_file`] reads a whole file: an empty (or all-whitespace) file is an empty cache; anything
//!   that is not a JSON object tagged `"format":"tpauth-cache-1"`, or is larger than
//!   [`MAX_CACHE_BYTES`], is **not a tpauth cache** and is refused, so that the cache never
//!   overwrites a file that is not its own (a `settings.json` at the configured path stays as it is).
//! - [`parse_entry`] reads one entry (the Redis cache uses it too). An entry that is not a string
//!   holding a persisted token, or whose `received_at_ms` is negative or later than now plus
//!   [`MAX_CLOCK_SKEW_MS`], is **corrupt**: it reads as absent and is overwritten by the next
//!   renewal. (A token "received" in the far future would otherwise never expire.)

use crate::token::Token;
use serde_json::{Map, Value};

/// The format tag of the cache file.
pub const CACHE_FORMAT: &str = "tpauth-cache-1";
/// The format tag of one entry (what `Token::to_json` writes).
const TOKEN_FORMAT: &str = "tpauth-token-1";
/// A cache file larger than this is not ours (a full cache of 1,000 identities is about 2 MB).
pub const MAX_CACHE_BYTES: u64 = 4 << 20;
/// How far in the future an entry's `received_at_ms` may be (clock steps on one host, clock skew
/// between the hosts sharing a Redis cache) before the entry is refused as corrupt: 5 minutes.
pub const MAX_CLOCK_SKEW_MS: i64 = 5 * 60 * 1000;

/// Why a file is not a tpauth cache (for the message that refuses it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotOurs(pub &'static str);

/// The entries of a cache file's content (`Ok` with no entries for an empty file), or why it is
/// not a tpauth cache.
pub fn parse_file(bytes: &[u8]) -> Result<Map<String, Value>, NotOurs> {
    if bytes.len() as u64 > MAX_CACHE_BYTES {
        return Err(NotOurs("it is larger than 4 MiB, far more than any tpauth cache"));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    let Ok(text) = std::str::from_utf8(bytes) else { return Err(NotOurs("it is not UTF-8 text")) };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(mut obj)) if obj.get("format").and_then(Value::as_str) == Some(CACHE_FORMAT) => match obj.remove("entries") {
            Some(Value::Object(entries)) => Ok(entries),
            // Our tag with a damaged body: ours, and nothing in it is usable.
            _ => Ok(Map::new()),
        },
        Ok(_) => Err(NotOurs("it is not a tpauth token cache (no \"format\":\"tpauth-cache-1\")")),
        Err(_) => Err(NotOurs("it is not JSON, so not a tpauth token cache")),
    }
}

/// The content of a cache file holding `entries`.
pub fn render_file(entries: Map<String, Value>) -> String {
    let mut doc = Map::new();
    doc.insert("format".into(), Value::String(CACHE_FORMAT.into()));
    doc.insert("entries".into(), Value::Object(entries));
    Value::Object(doc).to_string()
}

/// The token of one entry, or why it is corrupt. `now_ms` is the local clock (unix milliseconds).
pub fn parse_entry(value: &Value, now_ms: i64) -> Result<Token, &'static str> {
    let json = value.as_str().ok_or("the entry is not a string")?;
    parse_entry_str(json, now_ms)
}

/// As [`parse_entry`], for an entry already read as text (the Redis cache's values).
pub fn parse_entry_str(json: &str, now_ms: i64) -> Result<Token, &'static str> {
    // A plain token response would be read as "received now", renewing its lifetime on every read:
    // the cache only ever holds what `Token::to_json` wrote.
    match serde_json::from_str::<Value>(json) {
        Ok(Value::Object(obj)) if obj.get("format").and_then(Value::as_str) == Some(TOKEN_FORMAT) => {}
        _ => return Err("the entry is not a persisted tpauth token"),
    }
    let token = Token::from_json(json).map_err(|_| "the entry is not a persisted tpauth token")?;
    let at = token.received_at_ms();
    if at < 0 {
        return Err("the entry's received_at_ms is negative");
    }
    if at > now_ms.saturating_add(MAX_CLOCK_SKEW_MS) {
        return Err("the entry's received_at_ms is in the future");
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(received_at_ms: i64) -> Value {
        let raw = r#"{"access_token":"a","refresh_token":"r","expires_in":"3600"}"#;
        Value::String(serde_json::json!({"format": TOKEN_FORMAT, "raw": raw, "received_at_ms": received_at_ms}).to_string())
    }

    #[test]
    fn negative_or_future_received_at_is_corrupt() {
        let now = 1_700_000_000_000;
        assert_eq!(parse_entry(&entry(-1), now).unwrap_err(), "the entry's received_at_ms is negative");
        assert_eq!(parse_entry(&entry(i64::MIN), now).unwrap_err(), "the entry's received_at_ms is negative");
        assert_eq!(parse_entry(&entry(now + MAX_CLOCK_SKEW_MS + 1), now).unwrap_err(), "the entry's received_at_ms is in the future");
        assert_eq!(parse_entry(&entry(i64::MAX), now).unwrap_err(), "the entry's received_at_ms is in the future");
        assert_eq!(parse_entry(&entry(now + 1000), now).unwrap().received_at_ms(), now + 1000);
        assert_eq!(parse_entry(&entry(now - 1000), now).unwrap().received_at_ms(), now - 1000);
        assert_eq!(parse_entry(&entry(0), now).unwrap().received_at_ms(), 0);
    }

    #[test]
    fn a_plain_token_response_is_not_an_entry() {
        let v = Value::String(r#"{"access_token":"a","expires_in":3600}"#.into());
        assert!(parse_entry(&v, 0).is_err());
        assert!(parse_entry(&Value::from(5), 0).is_err());
    }

    #[test]
    fn foreign_files_are_not_ours() {
        assert!(parse_file(b"").unwrap().is_empty());
        assert!(parse_file(b" \n").unwrap().is_empty());
        assert!(parse_file(br#"{"theme":"dark"}"#).is_err());
        assert!(parse_file(b"not json").is_err());
        assert!(parse_file(b"\xff\xfe").is_err());
        assert!(parse_file(&vec![b' '; (MAX_CACHE_BYTES + 1) as usize]).is_err());
        assert!(parse_file(br#"{"format":"tpauth-cache-1","entries":7}"#).unwrap().is_empty());
        let mut m = Map::new();
        m.insert("k".into(), entry(5));
        assert_eq!(parse_file(render_file(m.clone()).as_bytes()).unwrap(), m);
    }

    #[test]
    fn entries_it_does_not_understand_are_written_back_unchanged() {
        // A number the default serde_json parser reads one ULP off (found by fuzz/cache_file).
        let file = br#"{"format":"tpauth-cache-1","entries":{"k":-13333333333333333333333333333333300,"t":0.1}}"#;
        let entries = parse_file(file).unwrap();
        assert_eq!(parse_file(render_file(entries.clone()).as_bytes()).unwrap(), entries);
    }
}

// What mutation testing found unguarded in this file: each test fails when the rule it names is
// taken out (kept apart from the tests above, which other work edits).
#[cfg(test)]
mod rules_mutation_testing_found_unguarded {
    use super::*;

    fn entry(received_at_ms: i64) -> Value {
        let raw = r#"{"access_token":"a","refresh_token":"r","expires_in":"3600"}"#;
        Value::String(serde_json::json!({"format": TOKEN_FORMAT, "raw": raw, "received_at_ms": received_at_ms}).to_string())
    }

    #[test]
    fn an_entry_may_be_received_up_to_five_minutes_in_the_future() {
        let now = 1_700_000_000_000;
        assert!(parse_entry(&entry(now + 299_000), now).is_ok());
        assert!(parse_entry(&entry(now + 300_000), now).is_ok(), "five minutes exactly");
        assert_eq!(parse_entry(&entry(now + 300_001), now).unwrap_err(), "the entry's received_at_ms is in the future");
    }

    #[test]
    fn a_plain_token_response_is_not_an_entry_at_any_time() {
        // Read as "received now", it would never be refused as from the future: the tag decides.
        let now = crate::token::now_ms();
        let plain = r#"{"access_token":"a","expires_in":3600}"#;
        assert_eq!(parse_entry_str(plain, now).unwrap_err(), "the entry is not a persisted tpauth token");
    }

    #[test]
    fn a_cache_file_of_exactly_four_mib_is_still_read() {
        let mut file = render_file(Map::new()).into_bytes();
        file.resize(MAX_CACHE_BYTES as usize, b' ');
        assert!(parse_file(&file).is_ok());
        file.push(b' ');
        assert!(parse_file(&file).is_err());
    }
}
