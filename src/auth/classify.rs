//! What a token endpoint's error answer may put into an [`Error`]: its class (by status first),
//! its OAuth `error` code and `error_description`, its `Retry-After` — and never a secret.
//!
//! A server (or a proxy, a WAF, a debugging gateway) may echo the request it refused into its
//! error text, and it may do so in any encoding: raw, form- or percent-encoded (upper or lower
//! case hex, `+` or `%20` for a space, twice encoded), HTML- or JSON-escaped, or as the
//! `Authorization` header's base64 value. Scrubbing known encodings out of free text is a race
//! the library cannot win, so the decision is: **server text that repeats any part of the
//! request's secrets is not copied at all.** An `error_description` is copied (stripped of control
//! characters, cut to 200 characters) only when none of the request's secret values appears in
//! it in any of the encodings above, after decoding it each of those ways, and when it does not
//! repeat the request with a value (`password=…`, `client_secret=…`, `"refresh_token":"…"`,
//! `Authorization: Basic …`, a `Bearer` credential, ...); otherwise the message says that the
//! description was withheld. Naming a parameter is not an echo ("Invalid parameter:
//! `client_secret`" is kept). The OAuth `error` code is kept (in the message and as
//! `tp_error_oauth_code`) only when it is a plain code (`[A-Za-z0-9_.-]`, at most 64 characters)
//! that contains no secret.

use crate::error::{Error, Status};
use crate::http::HttpResponse;
use crate::url::{form_urlencode, percent_decode_lossy, Plus};
use base64::Engine as _;
use std::time::{Duration, SystemTime};
use zeroize::Zeroizing;

/// The longest wait a `Retry-After` may ask for that the library takes literally: 24 hours. A
/// larger value (or an unparsable huge number) is read as this much; retries are further capped
/// by `max_retry_wait_ms`, and the cooldown after a 429 by `max_retry_wait_ms` (at least 1 s).
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// The secret values of one request, each in every form the library puts on the wire.
#[derive(Default)]
pub(crate) struct Secrets {
    values: Vec<Zeroizing<String>>,
}

impl Secrets {
    /// A value the library sends (a password, a refresh token, a code, the API secret): kept raw
    /// and form-encoded (`%20` for a space, as the library encodes), and with `+` for a space.
    pub(crate) fn add(&mut self, raw: &str) {
        if raw.len() < 3 {
            // Too short to search for without withholding every description; a secret this short
            // is not one.
            return;
        }
        let enc = form_urlencode(raw);
        let plus = enc.replace("%20", "+");
        for v in [raw.to_owned(), enc, plus] {
            self.add_exact(&v);
        }
    }

    /// A value sent exactly as it is (the base64 of a Basic header, a Bearer token).
    pub(crate) fn add_exact(&mut self, v: &str) {
        if v.len() >= 3 && !self.values.iter().any(|x| x.as_str() == v) {
            self.values.push(Zeroizing::new(v.to_owned()));
        }
    }

    /// Both Basic values of a key and secret (`basic` and `basic_form`), whichever is sent: a
    /// server may echo either.
    pub(crate) fn add_basic(&mut self, key: &str, secret: &str) {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s.as_bytes());
        let raw = Zeroizing::new(format!("{key}:{secret}"));
        let form = Zeroizing::new(format!("{}:{}", form_urlencode(key), form_urlencode(secret)));
        for v in [b64(&raw), b64(&form)] {
            self.add_exact(&v);
            self.add_exact(v.trim_end_matches('='));
        }
    }

    /// Whether `text`, read raw or decoded in any of the ways a server may have encoded it,
    /// contains one of the secrets.
    pub(crate) fn found_in(&self, text: &str) -> bool {
        if self.values.is_empty() {
            return false;
        }
        decodings(text).iter().any(|t| self.values.iter().any(|s| t.contains(s.as_str())))
    }
}

/// `text` and what it decodes to: percent/form-decoded (once and twice), HTML-unescaped and
/// JSON-unescaped, each lossily.
fn decodings(text: &str) -> Vec<Zeroizing<String>> {
    let mut out = vec![Zeroizing::new(text.to_owned())];
    let once = Zeroizing::new(percent_decode_lossy(text, Plus::Space));
    let twice = Zeroizing::new(percent_decode_lossy(&once, Plus::Space));
    out.push(once);
    out.push(twice);
    let html = Zeroizing::new(html_unescape(text));
    out.push(Zeroizing::new(percent_decode_lossy(&html, Plus::Space)));
    out.push(html);
    if let Ok(serde_json::Value::String(s)) = serde_json::from_str::<serde_json::Value>(&format!("\"{text}\"")) {
        out.push(Zeroizing::new(s));
    }
    out
}

/// The common HTML escapes undone (`&amp;`, `&lt;`, `&gt;`, `&quot;`, `&#39;`, `&#NN;`, `&#xNN;`).
fn html_unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest[..rest.len().min(12)].find(';');
        let decoded = end.and_then(|e| {
            let ent = &rest[1..e];
            let c = match ent {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => ent
                    .strip_prefix("#x")
                    .or_else(|| ent.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| ent.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            }?;
            Some((c, e + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The request's parameters whose value an echo would carry: a form body or JSON that repeats
/// one of them with a value is an echo of the request.
const ECHOED_PARAMETERS: [&str; 9] =
    ["password", "client_secret", "refresh_token", "access_token", "token", "code", "code_verifier", "assertion", "grant_type"];

/// Whether server text repeats the request with a value: a form parameter (`password=…`,
/// `client_secret=…`), a JSON member (`"password":"…"`), an `Authorization: <scheme> <credential>`
/// header or a `Basic`/`Bearer` credential. Naming a parameter is not an echo: Authlib's "The
/// client cannot authenticate with methods: ['client_secret_basic']" and node-oauth2-server's
/// "Invalid parameter: `client_secret`" say honestly what is wrong and are kept. (A secret's value
/// itself, in any encoding, is caught by [`Secrets::found_in`] whatever surrounds it.)
fn looks_like_an_echo(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let value_follows = |rest: &str| rest.chars().next().is_some_and(|c| !c.is_whitespace() && !"&'\"`,;)]}".contains(c));
    for name in ECHOED_PARAMETERS {
        for (i, _) in lower.match_indices(name) {
            let before = lower[..i].chars().next_back();
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                continue; // part of a longer word ("refresh_token" for "token")
            }
            let rest = &lower[i + name.len()..];
            // form: name=value
            if rest.strip_prefix('=').is_some_and(value_follows) {
                return true;
            }
            // JSON: "name": "value"
            let json_value = rest.strip_prefix('"').map(str::trim_start).and_then(|r| r.strip_prefix(':')).map(str::trim_start);
            if before == Some('"') && json_value.and_then(|v| v.strip_prefix('"')).is_some_and(|v| !v.is_empty() && !v.starts_with('"')) {
                return true;
            }
        }
    }
    // A header echo: "authorization: basic dXNl…", "Authorization": "Bearer …".
    for (i, _) in lower.match_indices("authorization") {
        let rest = lower[i + "authorization".len()..].trim_start_matches(['"', '\'', ' ']);
        if let Some(v) = rest.strip_prefix([':', '=']).map(|v| v.trim_start_matches(['"', '\'', ' '])) {
            if v.starts_with("basic ") || v.starts_with("bearer ") || v.starts_with("digest ") {
                return true;
            }
        }
    }
    // A credential: "Basic " or "Bearer " then something that looks like one (16 or more
    // base64/token characters, with a digit or one of + / = - _ ~ .): "Basic authentication
    // failed" is not one.
    for scheme in ["basic ", "bearer "] {
        for (i, _) in lower.match_indices(scheme) {
            let cred: String =
                text[i + scheme.len()..].chars().take_while(|c| c.is_ascii_alphanumeric() || "+/=-_~.".contains(*c)).collect();
            if cred.len() >= 16 && cred.chars().any(|c| c.is_ascii_digit() || "+/=-_~.".contains(c)) {
                return true;
            }
        }
    }
    false
}

/// A short, printable excerpt of a server-provided text: control characters become spaces, at
/// most 200 characters.
pub(crate) fn excerpt(s: &str) -> String {
    let clean: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).take(200).collect();
    clean.trim().to_owned()
}

/// `Retry-After`: delta-seconds or an HTTP date, at most [`MAX_RETRY_AFTER`]. A number too large
/// for any clock reads as the maximum (never an overflow).
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        let secs = v.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(when.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO).min(MAX_RETRY_AFTER))
}

/// The typed error of a non-2xx answer from the token endpoints. `secrets` are the request's
/// secret values: server text containing any of them is withheld (see the module's comment).
pub(crate) fn response_error(what: &str, resp: &HttpResponse, secrets: &Secrets) -> Error {
    let json: Option<serde_json::Value> = serde_json::from_slice(&resp.body).ok();
    let field = |k: &str| json.as_ref().and_then(|j| j.get(k)).and_then(|v| v.as_str());
    let mut withheld = false;
    let code = field("error").filter(|c| !c.is_empty()).and_then(|c| {
        let plain = c.len() <= 64 && c.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
        if plain && !secrets.found_in(c) {
            Some(c.to_owned())
        } else {
            withheld = true;
            None
        }
    });
    let desc = field("error_description").map(excerpt).filter(|d| !d.is_empty()).and_then(|d| {
        let full = field("error_description").unwrap_or_default();
        if secrets.found_in(full) || looks_like_an_echo(full) {
            withheld = true;
            None
        } else {
            Some(d)
        }
    });
    let status = match (resp.status, code.as_deref()) {
        (_, Some("invalid_grant")) => Status::InvalidGrant,
        (401, _) | (_, Some("invalid_client")) => Status::Unauthorized,
        (429, _) => Status::RateLimited,
        _ => Status::Http,
    };
    let mut msg = format!("{what}: the server answered HTTP {}", resp.status);
    if let Some(c) = &code {
        msg.push_str(&format!(" {c}"));
    }
    if let Some(d) = &desc {
        msg.push_str(&format!(" ({d})"));
    }
    if withheld {
        msg.push_str(" (the server's error text was withheld: it repeated part of the request, which carries secrets)");
    }
    const CLIENT_AUTH_HINT: &str =
        "the client_auth option (basic sends base64 of the raw KEY:SECRET; some servers want basic_form or post)";
    match status {
        Status::InvalidGrant => msg.push_str(": the credentials, code or refresh token were refused"),
        Status::Unauthorized => msg.push_str(&format!(": check the API key and secret, and {CLIENT_AUTH_HINT}")),
        Status::RateLimited => msg.push_str(": too many token requests; wait before asking again"),
        // A server that reads the client's credentials another way than they were sent often
        // calls them a malformed request (node-oauth2-server: "Invalid parameter: `client_secret`").
        Status::Http if resp.status == 400 && code.as_deref() == Some("invalid_request") => {
            msg.push_str(&format!(": if the request itself is right, check {CLIENT_AUTH_HINT}"));
        }
        _ => {}
    }
    // 429 and 503 may say when to come back (RFC 9110 §10.2.3).
    let retry_after = if matches!(resp.status, 429 | 503) { resp.header("retry-after").and_then(parse_retry_after) } else { None };
    Error::new(status, msg).with_http_status(resp.status).with_oauth_code(code).with_retry_after(retry_after)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, body: &str) -> HttpResponse {
        HttpResponse { status, headers: vec![("Retry-After".into(), "2".into())], body: body.as_bytes().to_vec(), resent: false }
    }

    #[test]
    fn error_classification() {
        let none = Secrets::default();
        assert_eq!(response_error("x", &resp(400, r#"{"error":"invalid_grant"}"#), &none).status(), Status::InvalidGrant);
        assert_eq!(response_error("x", &resp(400, r#"{"error":"invalid_client"}"#), &none).status(), Status::Unauthorized);
        assert_eq!(response_error("x", &resp(401, ""), &none).status(), Status::Unauthorized);
        let rl = response_error("x", &resp(429, "<html>"), &none);
        assert_eq!((rl.status(), rl.retry_after()), (Status::RateLimited, Some(Duration::from_secs(2))));
        let e = response_error("x", &resp(500, "<html><body>oops</body></html>"), &none);
        assert_eq!((e.status(), e.http_status(), e.oauth_code()), (Status::Http, 500, None));
        let d = response_error("x", &resp(400, r#"{"error":"invalid_request","error_description":"missing\nusername"}"#), &none);
        assert!(d.message().contains("(missing username)"), "{d}");
    }

    #[test]
    fn echoed_password_in_any_encoding_is_withheld() {
        let pw = "hunter2&pass word%";
        let mut s = Secrets::default();
        s.add(pw);
        s.add_basic("key", "sec:ret+/%");
        let b64 = base64::engine::general_purpose::STANDARD.encode("key:sec:ret+/%");
        let b64form = base64::engine::general_purpose::STANDARD.encode("key:sec%3Aret%2B%2F%25");
        let echoes = [
            pw.to_owned(),
            "hunter2%26pass%20word%25".to_owned(),
            "hunter2%26pass+word%25".to_owned(),
            "hunter2%26pass%20word%25".to_lowercase(),
            "hunter2%2526pass%2520word%2525".to_owned(),
            "hunter2&amp;pass word%".to_owned(),
            "hunter2\\u0026pass word%".to_owned(),
            format!("got header Basic {b64}"),
            format!("got {b64form}"),
            b64.trim_end_matches('=').to_owned(),
        ];
        for echo in echoes {
            for field in ["error_description", "error"] {
                let body = serde_json::json!({"error": "invalid_grant", field: format!("x {echo} y")}).to_string();
                let e = response_error("password grant", &resp(400, &body), &s);
                let m = e.message();
                assert!(!m.contains("hunter2") && !m.contains(&b64[..10]) && !m.contains(&b64form[..10]), "{m}");
                assert!(m.contains("withheld"), "{m}");
                assert!(e.oauth_code().is_none_or(|c| c == "invalid_grant"));
            }
        }
    }

    /// Honest descriptions from real servers (Authlib 1.x, @node-oauth/oauth2-server 5.x), with
    /// their status: shown whole, never called an echo.
    #[test]
    fn honest_descriptions_that_name_a_secret_parameter_are_kept() {
        let mut s = Secrets::default();
        s.add("the-real-secret");
        s.add_basic("key", "the-real-secret");
        let cases = [
            (401, "invalid_client", "The client cannot authenticate with methods: ['client_secret_basic']"),
            (400, "invalid_client", "The client cannot authenticate with methods: ['client_secret_post']"),
            (401, "invalid_client", "The client does not exist on this server."),
            (400, "invalid_request", "Invalid parameter: `client_secret`"),
            (400, "invalid_request", "Missing parameter: `client_secret`"),
            (400, "invalid_request", "Missing parameter: `password`"),
            (400, "invalid_grant", "Invalid grant: refresh token is invalid"),
            (401, "invalid_client", "Invalid client: cannot retrieve client credentials"),
            (400, "invalid_request", "Missing \"password\" parameter"),
            (401, "invalid_client", "HTTP Basic authentication failed"),
            (401, "invalid_token", "Bearer token expired"),
        ];
        for (status, code, text) in cases {
            let body = serde_json::json!({"error": code, "error_description": text}).to_string();
            let e = response_error("password grant", &resp(status, &body), &s);
            assert!(e.message().contains(&format!("({text})")), "{text}: {e}");
            assert!(!e.message().contains("withheld"), "{text}: {e}");
        }
    }

    #[test]
    fn an_echo_with_a_value_is_withheld() {
        let s = Secrets::default();
        for text in [
            "bad request: grant_type=password&username=u&password=xyz",
            "got client_secret=abc&client_id=k",
            "body {\"refresh_token\": \"rt-123\"}",
            "headers: Authorization: Basic a2V5OnNlY3JldA==",
            "\"authorization\":\"Bearer abc\"",
            "token was Bearer eyJhbGciOi.J9-xyz_123",
            "code=SplxlOBeZQQYbYS6WxSbIA not found",
        ] {
            let body = serde_json::json!({"error": "invalid_request", "error_description": text}).to_string();
            let e = response_error("password grant", &resp(400, &body), &s);
            assert!(e.message().contains("withheld") && !e.message().contains(text), "{text}: {e}");
        }
    }

    #[test]
    fn the_client_auth_hint_goes_with_invalid_request_too() {
        let none = Secrets::default();
        let body = r#"{"error":"invalid_request","error_description":"Invalid parameter: `client_secret`"}"#;
        let e = response_error("password grant", &resp(400, body), &none);
        assert_eq!(e.status(), Status::Http);
        assert!(e.message().contains("client_auth") && e.message().contains("basic_form"), "{e}");
        let e = response_error("password grant", &resp(401, r#"{"error":"invalid_client"}"#), &none);
        assert!(e.message().contains("client_auth"), "{e}");
        let e = response_error("password grant", &resp(400, r#"{"error":"unsupported_grant_type"}"#), &none);
        assert!(!e.message().contains("client_auth"), "{e}");
    }

    #[test]
    fn retry_after_is_bounded() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("18446744073709551615"), Some(MAX_RETRY_AFTER));
        assert_eq!(parse_retry_after("99999999999999999999999999"), Some(MAX_RETRY_AFTER));
        assert_eq!(parse_retry_after("100000000"), Some(MAX_RETRY_AFTER));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), Some(Duration::ZERO));
        let future = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(30));
        let d = parse_retry_after(&future).unwrap();
        assert!(d > Duration::from_secs(25) && d <= Duration::from_secs(30));
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }
}

// What mutation testing found unguarded in this file: each test fails when the rule it names is
// taken out (kept apart from the tests above, which other work edits).
#[cfg(test)]
mod rules_mutation_testing_found_unguarded {
    use super::*;

    fn answer(status: u16, body: &serde_json::Value) -> HttpResponse {
        HttpResponse { status, headers: vec![], body: body.to_string().into_bytes(), resent: false }
    }

    fn secrets(values: &[&str]) -> Secrets {
        let mut s = Secrets::default();
        for v in values {
            s.add(v);
        }
        s
    }

    #[test]
    fn a_retry_after_of_up_to_a_day_is_taken_literally() {
        assert_eq!(parse_retry_after("86400"), Some(Duration::from_secs(86_400)));
        assert_eq!(parse_retry_after("86401"), Some(Duration::from_secs(86_400)));
    }

    #[test]
    fn a_secret_of_three_characters_is_searched_for_and_shorter_values_are_not() {
        let desc = |d: &str| serde_json::json!({"error": "invalid_request", "error_description": d});
        let e = response_error("x", &answer(400, &desc("rejected abc here")), &secrets(&["abc"]));
        assert!(e.message().contains("withheld") && !e.message().contains("abc"), "{e}");
        // Two characters are no secret: searching for them would withhold every description.
        let e = response_error("x", &answer(400, &desc("proxy error")), &secrets(&["xy"]));
        assert!(e.message().contains("(proxy error)"), "{e}");
        let mut exact = Secrets::default();
        exact.add_exact("xy");
        assert!(!exact.found_in("proxy error"));
    }

    #[test]
    fn a_secret_echoed_with_html_escapes_is_withheld() {
        let s = secrets(&["p<a>s\"s'w0rd"]);
        for echo in ["p&lt;a>s\"s'w0rd", "p<a&gt;s\"s'w0rd", "p<a>s&quot;s'w0rd", "p<a>s\"s&apos;w0rd"] {
            let body = serde_json::json!({"error": "invalid_grant", "error_description": format!("refused {echo}")});
            let e = response_error("password grant", &answer(400, &body), &s);
            assert!(e.message().contains("withheld") && !e.message().contains("w0rd"), "{echo}: {e}");
        }
    }

    #[test]
    fn text_that_looks_like_an_echo_of_the_request_is_withheld_without_a_known_secret() {
        let body = serde_json::json!({"error": "invalid_request", "error_description": "body was grant_type=password&username=someone"});
        let e = response_error("password grant", &answer(400, &body), &Secrets::default());
        assert!(e.message().contains("withheld") && !e.message().contains("grant_type"), "{e}");
    }

    #[test]
    fn an_oauth_code_is_kept_only_when_plain_and_free_of_secrets() {
        let none = Secrets::default();
        let e = response_error("x", &answer(400, &serde_json::json!({"error": "invalid grant"})), &none);
        assert_eq!(e.oauth_code(), None, "{e}");
        let long = "a".repeat(65);
        let e = response_error("x", &answer(400, &serde_json::json!({"error": long})), &none);
        assert_eq!(e.oauth_code(), None);
        let e = response_error("x", &answer(400, &serde_json::json!({"error": "s3cr3tvalue"})), &secrets(&["s3cr3tvalue"]));
        assert_eq!(e.oauth_code(), None, "{e}");
        assert!(!e.message().contains("s3cr3tvalue"), "{e}");
    }

    #[test]
    fn the_message_says_what_to_do_for_a_refusal_and_a_429() {
        let none = Secrets::default();
        let e = response_error("refresh", &answer(400, &serde_json::json!({"error": "invalid_grant"})), &none);
        assert!(e.message().ends_with(": the credentials, code or refresh token were refused"), "{e}");
        let e = response_error("refresh", &answer(429, &serde_json::json!({})), &none);
        assert!(e.message().ends_with(": too many token requests; wait before asking again"), "{e}");
    }
}
