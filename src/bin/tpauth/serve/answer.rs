//! The service's answers: JSON errors with their HTTP status (the mapping of API.md), the token's
//! JSON, plain text; and the body type every answer shares (whole, or streamed by the proxy).

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::{Response, StatusCode};
use std::time::{SystemTime, UNIX_EPOCH};
use tpauth::{Error, Status, Token};

pub type Body = BoxBody<Bytes, std::io::Error>;
pub type Answer = Response<Body>;

pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).map_err(|never| match never {}).boxed()
}

fn with_type(status: u16, content_type: &'static str, body: impl Into<Bytes>) -> Answer {
    let mut r = Response::new(full(body));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static(content_type));
    // Nothing the service answers may be cached by anyone: tokens, errors, health alike.
    r.headers_mut().insert(hyper::header::CACHE_CONTROL, hyper::header::HeaderValue::from_static("no-store"));
    r
}

pub fn json(status: u16, value: &serde_json::Value) -> Answer {
    with_type(status, "application/json", value.to_string())
}

pub fn text(status: u16, body: impl Into<Bytes>) -> Answer {
    with_type(status, "text/plain; charset=utf-8", body)
}

pub fn metrics(body: String) -> Answer {
    with_type(200, "text/plain; version=0.0.4; charset=utf-8", body)
}

/// A request refused by a guard: `{"error":"forbidden","error_description":"<rule>"}`.
pub fn forbidden(status: u16, rule: &str) -> Answer {
    let mut r = json(status, &serde_json::json!({"error": "forbidden", "error_description": rule}));
    if status == 401 {
        r.headers_mut().insert(hyper::header::WWW_AUTHENTICATE, hyper::header::HeaderValue::from_static("Bearer realm=\"tpauth\""));
    }
    r
}

/// A request the service has no endpoint for, or the wrong method (`{"error":"not_found"}`…).
pub fn no_route(status: u16, error: &str, description: &str) -> Answer {
    json(status, &serde_json::json!({"error": error, "error_description": description}))
}

/// The HTTP status of a core error (API.md: 429 rate limited, 503 network/timeout/store, 502
/// HTTP/protocol, 401 unauthorized/invalid grant/no token/access denied, 500 internal).
pub fn http_status(s: Status) -> u16 {
    match s {
        Status::RateLimited => 429,
        Status::Network | Status::Timeout | Status::Store => 503,
        Status::Http | Status::Protocol => 502,
        Status::Unauthorized | Status::InvalidGrant | Status::NoToken | Status::AccessDenied => 401,
        Status::Internal => 500,
        Status::Ok | Status::InvalidArgument | Status::StateMismatch => 400,
        // A status added after this table: a server error until it is given its own answer.
        _ => 500,
    }
}

/// The JSON of a core error: `{"error":"TP_ERR_…","error_description":"…","status":N}`, plus
/// `extra` fields. 429 and 503 carry `Retry-After` (the server's or the cooldown's wait, else
/// one second: a client should not retry at once).
pub fn error_with(e: &Error, status: u16, extra: &[(&str, serde_json::Value)]) -> Answer {
    let mut body = serde_json::json!({
        "error": e.status().name(),
        "error_description": e.message(),
        "status": e.status().code(),
    });
    for (k, v) in extra {
        body[*k] = v.clone();
    }
    let mut r = json(status, &body);
    if status == 429 || status == 503 {
        let secs = e.retry_after().map_or(1, |d| d.as_millis().div_ceil(1000).max(1));
        if let Ok(v) = hyper::header::HeaderValue::from_str(&secs.to_string()) {
            r.headers_mut().insert(hyper::header::RETRY_AFTER, v);
        }
    }
    r
}

pub fn error(e: &Error) -> Answer {
    error_with(e, http_status(e.status()), &[])
}

/// `TP_ERR_INVALID_ARGUMENT` with this status (400 a bad request, 404 an unknown identity, 413 a
/// body too large).
pub fn invalid(status: u16, message: impl Into<String>) -> Answer {
    error_with(&Error::invalid_argument(message), status, &[])
}

pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Unix seconds as RFC 3339 UTC (`2026-12-07T15:04:05Z`).
pub fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// The token endpoints' answer for `token`, or `None` when it has expired by now (an expired
/// token is never served). `raw`: the access token alone, as text.
pub fn token(token: &Token, identity: &str, raw: bool) -> Option<Answer> {
    let now = now_ms();
    let at = token.expires_at_ms();
    if at >= 0 && at <= now {
        return None;
    }
    if raw {
        return Some(text(200, Bytes::copy_from_slice(token.access_token().as_bytes())));
    }
    let access = serde_json::to_string(token.access_token()).unwrap_or_default();
    let name = serde_json::to_string(identity).unwrap_or_default();
    let body = if at >= 0 {
        format!(
            "{{\"access_token\":{access},\"token_type\":\"Bearer\",\"expires_in\":{},\"expires_at\":\"{}\",\"identity\":{name}}}",
            (at - now) / 1000,
            rfc3339(at.div_euclid(1000))
        )
    } else {
        format!("{{\"access_token\":{access},\"token_type\":\"Bearer\",\"expires_in\":null,\"expires_at\":null,\"identity\":{name}}}")
    };
    // Not wiped after use: hyper copies the answer into its own write buffer, which nobody wipes;
    // the token is on its way to the caller anyway.
    Some(with_type(200, "application/json", body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(4_102_444_799), "2099-12-31T23:59:59Z");
    }

    #[test]
    fn statuses_map_as_the_contract_says() {
        let table = [
            (Status::RateLimited, 429),
            (Status::Network, 503),
            (Status::Timeout, 503),
            (Status::Store, 503),
            (Status::Http, 502),
            (Status::Protocol, 502),
            (Status::Unauthorized, 401),
            (Status::InvalidGrant, 401),
            (Status::NoToken, 401),
            (Status::AccessDenied, 401),
            (Status::Internal, 500),
        ];
        for (s, code) in table {
            assert_eq!(http_status(s), code, "{s}");
        }
    }
}
