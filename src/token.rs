//! Tokens: one token response, immutable and cheap to clone (an `Arc`), with its expiry computed
//! from the local clock at receipt (`issued_at` is ignored: it comes in seconds or milliseconds
//! and from another clock).

use crate::error::{Error, Result, Status};
use crate::secret::Secret;
use serde_json::{Map, Value};
#[cfg(feature = "ffi")]
use std::ffi::CStr;
use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// The longest `expires_in` accepted: 100 years. Anything larger is not a lifetime but garbage.
pub const MAX_EXPIRES_IN: i64 = 100 * 365 * 24 * 3600;

/// The version tag of [`Token::to_json`]'s format.
const PERSIST_FORMAT: &str = "tpauth-token-1";

/// One token, as the server sent it, plus when it was received: what the grants,
/// [`Auth::refresh`](crate::Auth::refresh) and [`Auth::get_token`](crate::Auth::get_token) return.
/// Immutable and cheap to clone; its `Debug` shows no secret.
///
/// ```no_run
/// # let auth = tpauth::Auth::new(&tpauth::Config::new("k", "s")?)?;
/// let token = auth.get_token()?;
/// println!("{:?} expires at {} (unix seconds)", token.token_type(), token.expires_at());
/// std::fs::write("token.json", token.to_json()).ok(); // contains secrets: store it safely
/// # Ok::<(), tpauth::Error>(())
/// ```
#[derive(Clone)]
pub struct Token(Arc<TokenData>);

/// A token's fields: the allocation every handle of one token shares (the C ABI's `tp_token` is
/// this allocation itself, lent out with `Arc::into_raw`: `src/ffi/token.rs`).
pub(crate) struct TokenData {
    access_token: Secret,
    refresh_token: Option<Secret>,
    token_type: Option<Secret>,
    expires_in: i64,
    /// Local clock at receipt, in milliseconds: short-lived tokens need sub-second precision.
    received_at_ms: i64,
    raw_json: Secret,
}

/// Milliseconds since the Unix epoch, by the local clock.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn protocol(msg: impl Into<String>) -> Error {
    Error::new(Status::Protocol, msg)
}

/// A token value that will be sent in an HTTP header: non-empty, no NUL, no control characters.
fn token_value(name: &str, v: &str) -> Result<Secret> {
    if v.is_empty() {
        return Err(protocol(format!("the token response's {name} is empty")));
    }
    if v.chars().any(char::is_control) {
        return Err(protocol(format!("the token response's {name} contains control characters")));
    }
    Secret::new(v).ok_or_else(|| protocol(format!("the token response's {name} contains NUL")))
}

/// `expires_in` as Trustpilot sends it: a string (`"359999"`) or a number; -1 when absent.
fn parse_expires_in(v: Option<&Value>) -> Result<i64> {
    let n = match v {
        None | Some(Value::Null) => return Ok(-1),
        Some(Value::String(s)) => {
            let s = s.trim();
            match s.parse::<i64>() {
                Ok(n) => n,
                Err(_) => match s.parse::<f64>() {
                    Ok(f) if f.is_finite() => float_seconds(f)?,
                    _ => return Err(protocol("the token response's expires_in is not a number")),
                },
            }
        }
        Some(Value::Number(num)) => match num.as_i64() {
            Some(n) => n,
            None => float_seconds(num.as_f64().unwrap_or(f64::INFINITY))?,
        },
        Some(_) => return Err(protocol("the token response's expires_in is neither a string nor a number")),
    };
    if n < 0 {
        return Err(protocol(format!("the token response's expires_in is negative ({n})")));
    }
    if n > MAX_EXPIRES_IN {
        return Err(protocol(format!("the token response's expires_in is out of range ({n} s is more than 100 years)")));
    }
    Ok(n)
}

#[allow(clippy::cast_possible_truncation)]
fn float_seconds(f: f64) -> Result<i64> {
    if !f.is_finite() || f.abs() > 1e15 {
        return Err(protocol("the token response's expires_in is out of range"));
    }
    Ok(f.trunc() as i64)
}

fn opt_string(obj: &Map<String, Value>, key: &str) -> Option<String> {
    match obj.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

impl Token {
    /// Parse a token endpoint's 2xx body, received now. `previous_refresh` is kept when the
    /// response carries no `refresh_token` (a refresh answer may omit it). A body that is not a
    /// JSON object with an `access_token` is `Protocol`.
    ///
    /// ```
    /// let body = r#"{"access_token":"AT2","expires_in":3600}"#;
    /// let t = tpauth::Token::from_response(body, Some("RT1"))?;
    /// assert_eq!(t.refresh_token(), Some("RT1"));
    /// assert_eq!(tpauth::Token::from_response("<html>", None).unwrap_err().status(), tpauth::Status::Protocol);
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn from_response(body: &str, previous_refresh: Option<&str>) -> Result<Token> {
        Self::from_response_at(body, previous_refresh, now_ms())
    }

    pub(crate) fn from_response_at(body: &str, previous_refresh: Option<&str>, received_at_ms: i64) -> Result<Token> {
        let value: Value = serde_json::from_str(body).map_err(|_| protocol("the token response is not JSON"))?;
        let Value::Object(obj) = &value else {
            return Err(protocol("the token response is not a JSON object"));
        };
        Self::from_object(obj, body, previous_refresh, received_at_ms)
    }

    fn from_object(obj: &Map<String, Value>, raw: &str, previous_refresh: Option<&str>, received_at_ms: i64) -> Result<Token> {
        let access = match obj.get("access_token") {
            Some(Value::String(s)) => token_value("access_token", s)?,
            Some(_) => return Err(protocol("the token response's access_token is not a string")),
            None => return Err(protocol("the token response has no access_token")),
        };
        let refresh = match obj.get("refresh_token") {
            Some(Value::String(s)) if !s.is_empty() => Some(token_value("refresh_token", s)?),
            _ => previous_refresh.map(|r| token_value("refresh_token", r)).transpose()?,
        };
        let token_type = opt_string(obj, "token_type").and_then(|t| Secret::new(&t));
        let expires_in = parse_expires_in(obj.get("expires_in"))?;
        let raw_json = Secret::new(raw).ok_or_else(|| protocol("the token response contains NUL"))?;
        Ok(Token(Arc::new(TokenData { access_token: access, refresh_token: refresh, token_type, expires_in, received_at_ms, raw_json })))
    }

    /// A token from the parameters of an implicit-grant redirect fragment. Its raw JSON is an
    /// object of those parameters (all strings), `state` excluded.
    pub(crate) fn from_params(params: &[(String, String)]) -> Result<Token> {
        let mut obj = Map::new();
        for (k, v) in params {
            if k != "state" {
                obj.insert(k.clone(), Value::String(v.clone()));
            }
        }
        let raw = Value::Object(obj.clone()).to_string();
        Self::from_object(&obj, &raw, None, now_ms())
    }

    /// The access token (a secret: never log it).
    ///
    /// ```
    /// # let t = tpauth::Token::from_response(r#"{"access_token":"AT","refresh_token":"RT","token_type":"BearerToken","expires_in":"359999"}"#, None)?;
    /// let header = format!("Bearer {}", t.access_token());
    /// # assert_eq!(header, "Bearer AT");
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn access_token(&self) -> &str {
        self.0.access_token.expose()
    }

    /// The refresh token, when there is one (a secret).
    ///
    /// ```
    /// # let t = tpauth::Token::from_response(r#"{"access_token":"AT","refresh_token":"RT","token_type":"BearerToken","expires_in":"359999"}"#, None)?;
    /// assert_eq!(t.refresh_token(), Some("RT"));
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn refresh_token(&self) -> Option<&str> {
        self.0.refresh_token.as_ref().map(Secret::expose)
    }

    /// `token_type` as sent (Trustpilot: `"BearerToken"`), when sent.
    ///
    /// ```
    /// # let t = tpauth::Token::from_response(r#"{"access_token":"AT","refresh_token":"RT","token_type":"BearerToken","expires_in":"359999"}"#, None)?;
    /// assert_eq!(t.token_type(), Some("BearerToken"));
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn token_type(&self) -> Option<&str> {
        self.0.token_type.as_ref().map(Secret::expose)
    }

    /// `expires_in` as sent (a string or a number), in seconds; -1 when the server gave none.
    ///
    /// ```
    /// # let t = tpauth::Token::from_response(r#"{"access_token":"AT","refresh_token":"RT","token_type":"BearerToken","expires_in":"359999"}"#, None)?;
    /// assert_eq!(t.expires_in(), 359_999);
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn expires_in(&self) -> i64 {
        self.0.expires_in
    }

    /// When the token expires (Unix seconds, local clock at receipt + `expires_in`); -1 when unknown.
    ///
    /// ```
    /// # let t = tpauth::Token::from_response(r#"{"access_token":"AT","refresh_token":"RT","token_type":"BearerToken","expires_in":"359999"}"#, None)?;
    /// assert_eq!(t.expires_at(), t.received_at() + 359_999);
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn expires_at(&self) -> i64 {
        let ms = self.expires_at_ms();
        if ms < 0 {
            -1
        } else {
            ms.div_euclid(1000)
        }
    }

    /// When the token expires, in Unix milliseconds; -1 when unknown.
    ///
    /// ```
    /// # let t = tpauth::Token::from_response(r#"{"access_token":"AT","refresh_token":"RT","token_type":"BearerToken","expires_in":"359999"}"#, None)?;
    /// assert_eq!(t.expires_at_ms(), t.received_at_ms() + 359_999_000);
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn expires_at_ms(&self) -> i64 {
        if self.0.expires_in < 0 {
            -1
        } else {
            self.0.received_at_ms.saturating_add(self.0.expires_in.saturating_mul(1000))
        }
    }

    /// When the token was received (Unix seconds, local clock).
    ///
    /// ```
    /// # let t = tpauth::Token::from_response(r#"{"access_token":"AT","refresh_token":"RT","token_type":"BearerToken","expires_in":"359999"}"#, None)?;
    /// let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    /// assert!((now - t.received_at()).abs() <= 1);
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn received_at(&self) -> i64 {
        self.0.received_at_ms.div_euclid(1000)
    }

    /// When the token was received (Unix milliseconds, local clock).
    ///
    /// ```
    /// # let t = tpauth::Token::from_response(r#"{"access_token":"AT","refresh_token":"RT","token_type":"BearerToken","expires_in":"359999"}"#, None)?;
    /// assert_eq!(t.received_at_ms() / 1000, t.received_at());
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn received_at_ms(&self) -> i64 {
        self.0.received_at_ms
    }

    /// Whether the token expires within `leeway_s` seconds from now. A token without a known expiry
    /// is never considered expired (the API's 401 tells).
    ///
    /// ```
    /// # let t = tpauth::Token::from_response(r#"{"access_token":"AT","refresh_token":"RT","token_type":"BearerToken","expires_in":"359999"}"#, None)?;
    /// assert!(!t.is_expired(60));
    /// assert!(t.is_expired(400_000)); // it has less than 400,000 s left
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn is_expired(&self, leeway_s: i64) -> bool {
        self.is_expired_at_ms(now_ms(), leeway_s.saturating_mul(1000))
    }

    pub(crate) fn is_expired_at_ms(&self, now_ms: i64, leeway_ms: i64) -> bool {
        let at = self.expires_at_ms();
        at >= 0 && now_ms.saturating_add(leeway_ms) >= at
    }

    /// The server's response body, verbatim (contains secrets).
    ///
    /// ```
    /// # let t = tpauth::Token::from_response(r#"{"access_token":"AT","refresh_token":"RT","token_type":"BearerToken","expires_in":"359999"}"#, None)?;
    /// assert!(t.raw_json().contains(r#""expires_in":"359999""#));
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn raw_json(&self) -> &str {
        self.0.raw_json.expose()
    }

    /// The server's response as a JSON value (an empty object if it cannot be parsed, which
    /// cannot happen for tokens built by this crate): the fields tpauth does not read.
    ///
    /// ```
    /// # let t = tpauth::Token::from_response(r#"{"access_token":"AT","refresh_token":"RT","token_type":"BearerToken","expires_in":"359999"}"#, None)?;
    /// assert_eq!(t.raw()["token_type"], "BearerToken");
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn raw(&self) -> Value {
        serde_json::from_str(self.raw_json()).unwrap_or_else(|_| Value::Object(Map::new()))
    }

    /// Serialize for persisting (token cache, a file, a database), the time it was received
    /// included. Contains secrets. [`Token::from_json`] reads it back.
    ///
    /// ```
    /// # let t = tpauth::Token::from_response(r#"{"access_token":"AT","refresh_token":"RT","token_type":"BearerToken","expires_in":"359999"}"#, None)?;
    /// let saved = t.to_json();
    /// let back = tpauth::Token::from_json(&saved)?;
    /// assert_eq!(back.access_token(), "AT");
    /// assert_eq!(back.expires_at_ms(), t.expires_at_ms());
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn to_json(&self) -> String {
        let mut obj = Map::new();
        obj.insert("format".into(), Value::String(PERSIST_FORMAT.into()));
        obj.insert("raw".into(), Value::String(self.raw_json().to_owned()));
        obj.insert("received_at_ms".into(), Value::from(self.0.received_at_ms));
        if let Some(rt) = self.refresh_token() {
            obj.insert("refresh_token".into(), Value::String(rt.to_owned()));
        }
        Value::Object(obj).to_string()
    }

    /// Read what [`Token::to_json`] wrote. A plain token response (an object with `access_token`)
    /// is accepted too, as if received now. Anything else is `InvalidArgument`.
    ///
    /// ```
    /// let t = tpauth::Token::from_json(r#"{"access_token":"AT","expires_in":60}"#)?;
    /// assert!(!t.is_expired(0));
    /// assert!(tpauth::Token::from_json("[]").is_err());
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn from_json(json: &str) -> Result<Token> {
        let bad = |m: &str| Error::invalid_argument(format!("json: {m}"));
        let value: Value = serde_json::from_str(json).map_err(|_| bad("not valid JSON"))?;
        let Value::Object(obj) = value else { return Err(bad("not a JSON object")) };
        if obj.get("format").and_then(Value::as_str) == Some(PERSIST_FORMAT) {
            let raw = obj.get("raw").and_then(Value::as_str).ok_or_else(|| bad("no \"raw\" string"))?;
            // `received_at` (seconds) is what the first builds wrote; read it too.
            let received_at_ms = obj
                .get("received_at_ms")
                .and_then(Value::as_i64)
                .or_else(|| obj.get("received_at").and_then(Value::as_i64).map(|s| s.saturating_mul(1000)))
                .ok_or_else(|| bad("no \"received_at_ms\" integer"))?;
            let rt = obj.get("refresh_token").and_then(Value::as_str);
            Self::from_response_at(raw, rt, received_at_ms).map_err(|e| bad(e.message()))
        } else if obj.contains_key("access_token") {
            Self::from_object(&obj, json, None, now_ms()).map_err(|e| bad(e.message()))
        } else {
            Err(bad("neither a tpauth token nor a token response"))
        }
    }

    /// A token from its fields, for a caller that keeps tokens in its own shape (Go's `Token`
    /// struct, a database row) and hands one back (`set_token`). `expires_in` is in seconds, -1
    /// when unknown; `received_at_ms` is when it was received (Unix milliseconds; -1: now), so
    /// that the expiry is `received_at_ms + expires_in`. `raw_json` is the server's response
    /// (a JSON object) when known: kept verbatim when it already says what the fields say, else
    /// the fields are written over it.
    ///
    /// ```
    /// // A token kept in a database row: access token, refresh token, lifetime, when it was received.
    /// let t = tpauth::Token::from_fields("AT", Some("RT"), Some("BearerToken"), 3600, 1_700_000_000_000, None)?;
    /// assert_eq!(t.expires_at(), 1_700_003_600);
    /// # let auth = tpauth::Auth::new(&tpauth::Config::new("k", "s")?)?;
    /// auth.set_token(&t)?; // the client serves it (and renews it) from now on
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn from_fields(
        access_token: &str,
        refresh_token: Option<&str>,
        token_type: Option<&str>,
        expires_in: i64,
        received_at_ms: i64,
        raw_json: Option<&str>,
    ) -> Result<Token> {
        let bad = |m: String| Error::invalid_argument(m);
        if access_token.is_empty() {
            return Err(bad("access_token is empty".into()));
        }
        if !(-1..=MAX_EXPIRES_IN).contains(&expires_in) {
            return Err(bad(format!("expires_in: expected -1 (unknown) or 0 to {MAX_EXPIRES_IN} seconds, got {expires_in}")));
        }
        if received_at_ms < -1 {
            return Err(bad(format!("received_at_ms: expected -1 (now) or a Unix time in milliseconds, got {received_at_ms}")));
        }
        let received_at_ms = if received_at_ms == -1 { now_ms() } else { received_at_ms };
        let refresh_token = refresh_token.filter(|r| !r.is_empty());
        let token_type = token_type.filter(|t| !t.is_empty());
        let mut obj = match raw_json.filter(|r| !r.trim().is_empty()) {
            None => Map::new(),
            Some(raw) => match serde_json::from_str(raw) {
                Ok(Value::Object(obj)) => {
                    if let Ok(t) = Self::from_object(&obj, raw, None, received_at_ms) {
                        let same = t.access_token() == access_token
                            && t.refresh_token() == refresh_token
                            && token_type.is_none_or(|tt| t.token_type() == Some(tt))
                            && t.expires_in() == expires_in;
                        if same {
                            return Ok(t);
                        }
                    }
                    obj
                }
                _ => return Err(bad("raw_json: not a JSON object".into())),
            },
        };
        obj.insert("access_token".into(), Value::String(access_token.to_owned()));
        if let Some(tt) = token_type {
            obj.insert("token_type".into(), Value::String(tt.to_owned()));
        }
        if expires_in >= 0 {
            obj.insert("expires_in".into(), Value::from(expires_in));
        } else {
            obj.remove("expires_in");
        }
        match refresh_token {
            Some(rt) => obj.insert("refresh_token".into(), Value::String(rt.to_owned())),
            None => obj.remove("refresh_token"),
        };
        let raw = Value::Object(obj.clone()).to_string();
        Self::from_object(&obj, &raw, None, received_at_ms).map_err(|e| bad(e.message().to_owned()))
    }

    /// Whether two handles hold the same token (same access token).
    ///
    /// ```
    /// # let t = tpauth::Token::from_response(r#"{"access_token":"AT","refresh_token":"RT","token_type":"BearerToken","expires_in":"359999"}"#, None)?;
    /// let copy = tpauth::Token::from_json(&t.to_json())?;
    /// assert!(t.same_as(&copy));
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn same_as(&self, other: &Token) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.access_token() == other.access_token()
    }

    /// Whether two handles are clones of one token (one response, received once), not merely
    /// equal: every field is then the same. A binding that wraps the managed token can keep its
    /// wrapper while [`crate::Auth::get_token`] keeps answering the same token.
    ///
    /// ```
    /// let t = tpauth::Token::from_json(r#"{"access_token":"a","expires_in":60}"#).unwrap();
    /// let again = tpauth::Token::from_json(r#"{"access_token":"a","expires_in":60}"#).unwrap();
    /// assert!(tpauth::Token::ptr_eq(&t, &t.clone()));
    /// assert!(!tpauth::Token::ptr_eq(&t, &again) && t.same_as(&again));
    /// ```
    pub fn ptr_eq(a: &Token, b: &Token) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }

    /// The shared allocation, for the C ABI (one strong count).
    #[cfg(feature = "ffi")]
    pub(crate) fn into_arc(self) -> Arc<TokenData> {
        self.0
    }

    /// A handle on a shared allocation (taking over one strong count).
    #[cfg(feature = "ffi")]
    pub(crate) fn from_arc(data: Arc<TokenData>) -> Token {
        Token(data)
    }

    /// The access token as a C string, borrowed from the token (no copy).
    #[cfg(feature = "ffi")]
    pub(crate) fn access_token_c(&self) -> &CStr {
        self.0.access_token.expose_c()
    }

    /// The refresh token as a C string, when there is one.
    #[cfg(feature = "ffi")]
    pub(crate) fn refresh_token_c(&self) -> Option<&CStr> {
        self.0.refresh_token.as_ref().map(Secret::expose_c)
    }

    /// `token_type` as a C string, when sent.
    #[cfg(feature = "ffi")]
    pub(crate) fn token_type_c(&self) -> Option<&CStr> {
        self.0.token_type.as_ref().map(Secret::expose_c)
    }

    /// The server's response body as a C string.
    #[cfg(feature = "ffi")]
    pub(crate) fn raw_json_c(&self) -> &CStr {
        self.0.raw_json.expose_c()
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("access_token", &"[redacted]")
            .field("refresh_token", &self.0.refresh_token.as_ref().map(|_| "[redacted]"))
            .field("token_type", &self.token_type())
            .field("expires_in", &self.0.expires_in)
            .field("expires_at", &self.expires_at())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expires_in_forms() {
        let t = |e: &str| Token::from_response_at(&format!(r#"{{"access_token":"a","expires_in":{e}}}"#), None, 1_000_000);
        assert_eq!(t("\"359999\"").unwrap().expires_at(), 1000 + 359_999);
        assert_eq!(t("10").unwrap().expires_in(), 10);
        assert_eq!(t("null").unwrap().expires_at(), -1);
        assert_eq!(t("-5").unwrap_err().status(), Status::Protocol);
        assert_eq!(t("1e30").unwrap_err().status(), Status::Protocol);
        assert_eq!(t("\"1000000000000000000000000000000\"").unwrap_err().status(), Status::Protocol);
        assert_eq!(t("\"soon\"").unwrap_err().status(), Status::Protocol);
        let none = Token::from_response_at(r#"{"access_token":"a"}"#, None, 5).unwrap();
        assert_eq!(none.expires_in(), -1);
        assert!(!none.is_expired(1_000_000));
    }

    #[test]
    fn bad_bodies() {
        for body in ["<html>", "[]", "{}", r#"{"access_token":""}"#, r#"{"access_token":"a\r\nX: y"}"#, r#"{"access_token":5}"#] {
            assert_eq!(Token::from_response(body, None).unwrap_err().status(), Status::Protocol, "{body}");
        }
    }

    #[test]
    fn refresh_kept_and_roundtrip() {
        let t =
            Token::from_response_at(r#"{"access_token":"A","expires_in":"60","token_type":"BearerToken"}"#, Some("R"), 100_000).unwrap();
        assert_eq!(t.refresh_token(), Some("R"));
        let back = Token::from_json(&t.to_json()).unwrap();
        assert_eq!(back.access_token(), "A");
        assert_eq!(back.refresh_token(), Some("R"));
        assert_eq!(back.expires_at(), 160);
        assert_eq!(back.raw_json(), t.raw_json());
        assert!(!format!("{t:?}").contains('A'.to_string().as_str()) || !format!("{t:?}").contains("\"A\""));
    }
}
