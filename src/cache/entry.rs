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

/// The format tag of a Redis entry: a token (or a revocation) with its generation.
pub const REDIS_ENTRY_FORMAT: &str = "tpauth-entry-1";
/// The largest Redis entry read: the bound of the whole file cache. A larger value is foreign; it
/// is never transferred (the read script checks its length on the server).
pub const MAX_ENTRY_BYTES: u64 = MAX_CACHE_BYTES;

/// Until when (unix ms) a cache keeps `token`: while its access token lives and, when it holds a
/// refresh token, `refresh_ttl_ms` longer, so that the newest refresh token survives a fleet that
/// is idle past an expiry. `None`: no known expiry (kept until replaced). Both caches follow it.
pub fn keep_until_ms(token: &Token, refresh_ttl_ms: i64) -> Option<i64> {
    let expires = token.expires_at_ms();
    if expires < 0 {
        return None;
    }
    Some(if token.refresh_token().is_some() { expires.saturating_add(refresh_ttl_ms) } else { expires })
}

/// One Redis entry: the token (`None` once revoked) and the generation that fences its writes.
#[derive(Clone)]
pub struct RedisEntry {
    pub generation: u64,
    pub token: Option<Token>,
}

/// The stored text of a Redis entry. Its first bytes are fixed, `{"format":"tpauth-entry-1",
/// "generation":N,`, because the compare-and-set script reads the generation with a pattern.
pub fn render_redis_entry(generation: u64, token: Option<&Token>) -> String {
    let token = match token {
        Some(t) => Value::String(t.to_json()).to_string(),
        None => "null".to_owned(),
    };
    format!("{{\"format\":\"{REDIS_ENTRY_FORMAT}\",\"generation\":{generation},\"token\":{token}}}")
}

/// A Redis entry's content, or why it is corrupt (the same rules as [`parse_entry`]).
pub fn parse_redis_entry(text: &str, now_ms: i64) -> Result<RedisEntry, &'static str> {
    let prefix = format!("{{\"format\":\"{REDIS_ENTRY_FORMAT}\",\"generation\":");
    if !text.starts_with(&prefix) {
        return Err("the entry is not a tpauth Redis entry");
    }
    let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(text) else { return Err("the entry is not JSON") };
    let generation = obj.get("generation").and_then(Value::as_u64).ok_or("the entry has no generation")?;
    let token = match obj.get("token") {
        Some(Value::Null) => None,
        Some(v) => Some(parse_entry(v, now_ms)?),
        None => return Err("the entry has no token"),
    };
    Ok(RedisEntry { generation, token })
}

/// The format tag of a failure record: the error of the last renewal, shared with the processes
/// that waited for the lock during it, so that they answer it rather than repeat the request.
pub const FAILURE_FORMAT: &str = "tpauth-failure-1";

/// The stored text of a failure record: `error` (whose message holds no secret), at `at_ms`.
pub fn render_failure(error: &crate::error::Error, at_ms: i64) -> String {
    serde_json::json!({
        "format": FAILURE_FORMAT,
        "at_ms": at_ms,
        "status": error.status().code(),
        "message": error.message(),
        "http_status": error.http_status(),
        "oauth_code": error.oauth_code(),
        "retry_after_ms": error.retry_after().map(|d| d.as_millis() as u64),
    })
    .to_string()
}

/// A failure record's time and error, if `text` is one.
pub fn parse_failure(text: &str) -> Option<(i64, crate::error::Error)> {
    let Ok(Value::Object(o)) = serde_json::from_str::<Value>(text) else { return None };
    if o.get("format").and_then(Value::as_str) != Some(FAILURE_FORMAT) {
        return None;
    }
    let status = crate::error::Status::from_code(i32::try_from(o.get("status")?.as_i64()?).ok()?)?;
    let error = crate::error::Error::new(status, o.get("message")?.as_str()?)
        .with_http_status(u16::try_from(o.get("http_status").and_then(Value::as_u64).unwrap_or(0)).unwrap_or(0))
        .with_oauth_code(o.get("oauth_code").and_then(Value::as_str).map(str::to_owned))
        .with_retry_after(o.get("retry_after_ms").and_then(Value::as_u64).map(std::time::Duration::from_millis));
    Some((o.get("at_ms")?.as_i64()?, error))
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

    #[test]
    fn redis_entries_round_trip_with_their_generation() {
        let now = 1_700_000_000_000;
        let tok = Token::from_json(entry(now - 1000).as_str().unwrap()).unwrap();
        let text = render_redis_entry(17, Some(&tok));
        assert!(text.starts_with(r#"{"format":"tpauth-entry-1","generation":17,"#), "{text}");
        let e = parse_redis_entry(&text, now).unwrap();
        assert_eq!(e.generation, 17);
        assert_eq!(e.token.unwrap().to_json(), tok.to_json());
        let revoked = parse_redis_entry(&render_redis_entry(18, None), now).unwrap();
        assert_eq!((revoked.generation, revoked.token.is_none()), (18, true));
        // A token of the previous layout, a reordered object or a future received_at are not entries.
        assert!(parse_redis_entry(&tok.to_json(), now).is_err());
        assert!(parse_redis_entry(r#"{"generation":1,"format":"tpauth-entry-1","token":null}"#, now).is_err());
        let future = Token::from_json(entry(now + MAX_CLOCK_SKEW_MS + 5000).as_str().unwrap()).unwrap();
        assert!(parse_redis_entry(&render_redis_entry(1, Some(&future)), now).is_err());
    }

    #[test]
    fn an_entry_outlives_its_access_token_only_with_a_refresh_token() {
        let with = Token::from_json(entry(1_000_000).as_str().unwrap()).unwrap();
        assert_eq!(keep_until_ms(&with, 5000), Some(1_000_000 + 3_600_000 + 5000));
        let raw = r#"{"access_token":"a","expires_in":"60"}"#;
        let without = Token::from_json(&serde_json::json!({"format": TOKEN_FORMAT, "raw": raw, "received_at_ms": 0}).to_string()).unwrap();
        assert_eq!(keep_until_ms(&without, 5000), Some(60_000));
        let raw = r#"{"access_token":"a","refresh_token":"r"}"#;
        let no_expiry =
            Token::from_json(&serde_json::json!({"format": TOKEN_FORMAT, "raw": raw, "received_at_ms": 0}).to_string()).unwrap();
        assert_eq!(keep_until_ms(&no_expiry, 5000), None);
    }

    #[test]
    fn a_failure_record_carries_the_whole_typed_error() {
        let e = crate::error::Error::new(crate::error::Status::RateLimited, "token request: 429")
            .with_http_status(429)
            .with_oauth_code(Some("too_many_requests".into()))
            .with_retry_after(Some(std::time::Duration::from_millis(1500)));
        let (at, back) = parse_failure(&render_failure(&e, 42)).unwrap();
        assert_eq!((at, back), (42, e));
        assert!(parse_failure(r#"{"format":"tpauth-failure-1","status":999,"message":"x","at_ms":1}"#).is_none());
        assert!(parse_failure("{}").is_none());
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

    #[test]
    fn a_token_that_expired_at_the_epoch_has_a_known_expiry() {
        // expires_at_ms 0 is an instant like any other; only a negative one means "no expiry".
        let raw = r#"{"access_token":"a","refresh_token":"r","expires_in":"0"}"#;
        let t = Token::from_json(&serde_json::json!({"format": TOKEN_FORMAT, "raw": raw, "received_at_ms": 0}).to_string()).unwrap();
        assert_eq!(t.expires_at_ms(), 0);
        assert_eq!(keep_until_ms(&t, 5000), Some(5000));
    }
}
