//! Regression tests of the security review, each named after the attack it stops:
//! secrets echoed by a server, hostile Retry-After values, oversized error answers, and which
//! identity an explicit grant is cached under.

mod common;
use base64::Engine as _;
use common::*;
use serde_json::json;
use std::sync::{Mutex, OnceLock};
use tpauth::{Auth, Status, Token};

/// Every log line of this test binary (the logger is process-wide, so every test's lines land
/// here, and every test's secrets are checked against all of them).
fn log_lines() -> &'static Mutex<Vec<String>> {
    static LINES: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    LINES.get_or_init(|| {
        tpauth::log::set_logger(Some(Box::new(|_, m| log_lines().lock().unwrap().push(m.to_owned()))));
        Mutex::new(Vec::new())
    })
}

const PASSWORD_ODD: &str = "hunter2&pass word%";
const SECRET_ODD: &str = "s3cr:et+/%&x y";
const REFRESH_ODD: &str = "rt-s3cret&/+% x=y";
const CODE_ODD: &str = "c0de-s3cret&/+% x";

/// Every form in which the library puts `raw` on the wire, and the ones a server may turn it
/// into: raw, percent-encoded (%20 and +, upper and lower hex), and twice encoded.
fn encodings(raw: &str) -> Vec<String> {
    let enc = tpauth::form_urlencode(raw);
    let lower = {
        let mut out = String::new();
        let mut chars = enc.chars().peekable();
        while let Some(c) = chars.next() {
            out.push(c);
            if c == '%' {
                for _ in 0..2 {
                    if let Some(h) = chars.next() {
                        out.push(h.to_ascii_lowercase());
                    }
                }
            }
        }
        out
    };
    vec![raw.to_owned(), enc.clone(), enc.replace("%20", "+"), lower, tpauth::form_urlencode(&enc)]
}

fn basic_values(key: &str, secret: &str) -> Vec<String> {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let raw = b64(&format!("{key}:{secret}"));
    let form = b64(&format!("{}:{}", tpauth::form_urlencode(key), tpauth::form_urlencode(secret)));
    vec![raw.trim_end_matches('=').to_owned(), form.trim_end_matches('=').to_owned()]
}

/// Every secret of these tests, in every encoding.
fn all_secret_forms(extra: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for s in [PASSWORD_ODD, SECRET_ODD, REFRESH_ODD, CODE_ODD].iter().chain(extra) {
        out.extend(encodings(s));
    }
    out.extend(basic_values(KEY, SECRET_ODD));
    out
}

fn assert_clean(what: &str, text: &str, secrets: &[String]) {
    for s in secrets {
        assert!(!text.contains(s.as_str()), "{what} leaks {s:?}: {text}");
    }
}

fn echo_client(mock: &MockServer, client_auth: &str, extra: &[(&str, &str)]) -> Auth {
    let mut cfg = tpauth::Config::new(KEY, SECRET_ODD).unwrap();
    cfg.set("api_base_url", &mock.url()).unwrap();
    cfg.set("authorize_url", &mock.authorize_url()).unwrap();
    cfg.set("allow_insecure_http", "true").unwrap();
    cfg.set("username", USER).unwrap();
    cfg.set("password", PASSWORD_ODD).unwrap();
    cfg.set("client_auth", client_auth).unwrap();
    cfg.set("max_retry_wait_ms", "0").unwrap();
    for (k, v) in extra {
        cfg.set(k, v).unwrap();
    }
    Auth::new(&cfg).unwrap()
}

/// A token of `lifetime_s` received `age_s` ago, carrying `REFRESH_ODD`.
fn aged_token(age_s: i64, lifetime_s: i64) -> Token {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let raw = json!({"access_token": "at-s3cret-bearer-value", "refresh_token": REFRESH_ODD, "expires_in": lifetime_s.to_string()});
    Token::from_json(&json!({"format": "tpauth-token-1", "raw": raw.to_string(), "received_at_ms": now - age_s * 1000}).to_string())
        .unwrap()
}

/// A server that echoes the whole request (headers and body) into `error_description`, on every
/// operation, with every client_auth mode, answering 400 (no retry), 503 (retried: the retry
/// warnings) and 401: neither the error nor any log line holds a secret, in any encoding.
#[test]
fn echoed_request_secrets_never_reach_messages_or_logs() {
    let _ = log_lines();
    let mock = MockServer::start().unwrap();
    let secrets = all_secret_forms(&["at-s3cret-bearer-value"]);
    for client_auth in ["basic", "basic_form", "post"] {
        for status in [400u16, 401, 503] {
            let fault = || Fault::new(FaultKind::EchoRequest).status(status).count(20).target(FaultTarget::Token);
            let auth = echo_client(&mock, client_auth, &[("max_retries", "1")]);
            type Op<'a> = (&'a str, Box<dyn Fn(&Auth) -> tpauth::Result<()>>);
            let ops: Vec<Op> = vec![
                ("password_grant", Box::new(|a: &Auth| a.password_grant(USER, PASSWORD_ODD).map(drop))),
                ("client_credentials", Box::new(|a: &Auth| a.client_credentials_grant().map(drop))),
                ("code_exchange", Box::new(|a: &Auth| a.authorization_code_grant(CODE_ODD, "https://app.example.com/cb").map(drop))),
                ("refresh", Box::new(|a: &Auth| a.refresh(Some(REFRESH_ODD)).map(drop))),
                ("revoke", Box::new(|a: &Auth| a.revoke(Some(REFRESH_ODD)))),
                ("get_token", Box::new(|a: &Auth| a.get_token().map(drop))),
                (
                    "get_token_refresh",
                    Box::new(|a: &Auth| {
                        a.set_token(&aged_token(400, 300))?;
                        a.get_token().map(drop)
                    }),
                ),
                (
                    "early_renewal",
                    Box::new(|a: &Auth| {
                        a.set_token(&aged_token(70, 100))?;
                        a.get_token().map(drop)?;
                        Err(tpauth::Error::new(Status::Http, "served the old token (expected)"))
                    }),
                ),
                ("request", Box::new(|a: &Auth| a.request("GET", "/v1/private/x", None, None).map(drop))),
            ];
            for (name, op) in &ops {
                mock.reset();
                mock.fault(fault());
                let before = log_lines().lock().unwrap().len();
                let err = op(&auth).expect_err(name);
                let what = format!("{name} ({client_auth}, HTTP {status})");
                assert_clean(&what, err.message(), &secrets);
                assert_clean(&what, &format!("{err:?}"), &secrets);
                if let Some(code) = err.oauth_code() {
                    assert_clean(&what, code, &secrets);
                }
                if *name != "early_renewal" {
                    assert!(err.message().contains("withheld"), "{what}: {err}");
                }
                let lines = log_lines().lock().unwrap()[before..].join("\n");
                assert_clean(&format!("log of {what}"), &lines, &secrets);
                let seen = mock.last_token_request().map(|r| r.body).unwrap_or_default();
                assert!(!seen.is_empty(), "{what}: the mock saw no token request");
            }
        }
    }
    // The API itself echoing the Bearer value into a 401 page, then the renewal echoing too.
    mock.reset();
    mock.fault(Fault::new(FaultKind::EchoRequest).status(401).target(FaultTarget::Api));
    mock.fault(Fault::new(FaultKind::EchoRequest).count(3));
    let auth = echo_client(&mock, "basic", &[("max_retries", "0")]);
    auth.set_token(&aged_token(0, 3600)).unwrap();
    let before = log_lines().lock().unwrap().len();
    let err = auth.request("GET", "/v1/private/x", None, None).unwrap_err();
    assert_clean("request after an echoed 401", err.message(), &secrets);
    assert_clean("its log", &log_lines().lock().unwrap()[before..].join("\n"), &secrets);
    assert_clean("Debug of Auth", &format!("{auth:?}"), &secrets);
}

/// A description that does not repeat the request is still shown (nothing lost for honest servers).
#[test]
fn honest_error_description_is_still_shown() {
    let mock = MockServer::start().unwrap();
    let auth = client(&mock, &[]);
    let err = auth.password_grant(USER, "wrong-password").unwrap_err();
    assert_eq!(err.status(), Status::InvalidGrant);
    assert!(!err.message().contains("withheld"), "{err}");
    assert_eq!(err.oauth_code(), Some("invalid_grant"));
}

// ---- URLs with passwords --------------------------------------------------------------------

fn assert_hidden(what: &str, text: &str, parts: &[&str]) {
    for p in parts {
        assert!(!text.contains(p), "{what} shows {p:?}: {text}");
    }
}

/// `src/cache/mod.rs` cut the URL at the first `/`: a password containing `/` showed whole, and
/// with `#` or `?` the part before it.
#[test]
fn redis_password_with_slash_is_redacted() {
    for (spec, parts) in [
        ("redis://:Zm9v/YmFy+c2VjcmV0@127.0.0.1:1/0", &["Zm9v", "YmFy", "c2VjcmV0"][..]),
        ("redis://:p4ss#w0rd-s3cret@127.0.0.1:1/0", &["p4ss", "w0rd-s3cret"][..]),
        ("redis://:p4ss?w0rd-s3cret@127.0.0.1:1/0", &["p4ss", "w0rd-s3cret"][..]),
        ("rediss://usr:p4ss/w0rd@127.0.0.1:1/0", &["p4ss", "w0rd"][..]),
    ] {
        let mock = MockServer::start().unwrap();
        let mut cfg = config(&mock, &[]);
        cfg.set("token_cache", spec).unwrap();
        cfg.set("cache_timeout_ms", "200").unwrap();
        assert_hidden("Debug of Config", &format!("{cfg:?}"), parts);
        match Auth::new(&cfg) {
            Err(e) => assert_hidden("tp_auth_new's error", e.message(), parts),
            Ok(a) => assert_hidden("Debug of Auth", &format!("{a:?}"), parts),
        }
    }
}

#[test]
fn proxy_password_is_redacted() {
    let mock = MockServer::start().unwrap();
    // a proxy that refuses connections: the password grant fails with a network error
    let mut cfg = config(&mock, &[]);
    cfg.set("api_base_url", "https://api.example.invalid").unwrap();
    cfg.set("proxy", "http://proxyuser:pr0xy-s3cret@127.0.0.1:1").unwrap();
    cfg.set("max_retries", "0").unwrap();
    assert_hidden("Debug of Config", &format!("{cfg:?}"), &["pr0xy-s3cret"]);
    let auth = Auth::new(&cfg).unwrap();
    assert_hidden("Debug of Auth", &format!("{auth:?}"), &["pr0xy-s3cret"]);
    let e = auth.password_grant(USER, PASSWORD).unwrap_err();
    assert_hidden("the grant's error", e.message(), &["pr0xy-s3cret"]);
    let e = cfg.set("proxy", "socks5://proxyuser:pr0xy-s3cret@127.0.0.1:1").unwrap_err();
    assert_hidden("the option's error", e.message(), &["pr0xy-s3cret"]);
}

#[test]
fn api_base_url_password_is_redacted() {
    let mock = MockServer::start().unwrap();
    let mut cfg = config(&mock, &[("max_retries", "0")]);
    cfg.set("api_base_url", "http://baseuser:b4se-s3cret@127.0.0.1:1").unwrap();
    assert_hidden("Debug of Config", &format!("{cfg:?}"), &["b4se-s3cret"]);
    let auth = Auth::new(&cfg).unwrap();
    assert_hidden("Debug of Auth", &format!("{auth:?}"), &["b4se-s3cret"]);
    let e = auth.password_grant(USER, PASSWORD).unwrap_err();
    assert_eq!(e.status(), Status::Network);
    assert_hidden("the grant's error", e.message(), &["b4se-s3cret"]);
    cfg.set("api_base_url", "http://baseuser:b4se-s3cret@example.com").unwrap();
    assert_hidden("tp_auth_new's error", Auth::new(&cfg).unwrap_err().message(), &["b4se-s3cret"]);
    assert_hidden("the option's error", cfg.set("authorize_url", "ftp://u:b4se-s3cret@x").unwrap_err().message(), &["b4se-s3cret"]);
}

// ---- Retry-After -----------------------------------------------------------------------------

/// `Retry-After: 18446744073709551615` overflowed `Instant + Duration`: TP_ERR_INTERNAL and a
/// panic on stderr.
#[test]
fn retry_after_u64_max_does_not_panic() {
    let mock = MockServer::start().unwrap();
    mock.fault(Fault::new(FaultKind::TooManyRequests).retry_after("18446744073709551615"));
    let auth = client(&mock, &[("max_retries", "2")]);
    let e = auth.password_grant(USER, PASSWORD).unwrap_err();
    assert_eq!(e.status(), Status::RateLimited, "{e}");
    let ra = e.retry_after().expect("the wait is reported");
    assert!(ra <= std::time::Duration::from_secs(24 * 3600), "{ra:?}");
    assert_eq!(mock.stats().token_requests, 1, "a wait above max_retry_wait_ms is not waited for");
}

/// `Retry-After: 100000000` (three years) set a cooldown that failed every grant until restart.
/// The cooldown is capped at max_retry_wait_ms (at least 1 s).
#[test]
fn retry_after_of_years_does_not_lock_out_grants() {
    let mock = MockServer::start().unwrap();
    mock.fault(Fault::new(FaultKind::TooManyRequests).retry_after("100000000"));
    let auth = client(&mock, &[("max_retries", "0"), ("max_retry_wait_ms", "1000")]);
    assert_eq!(auth.password_grant(USER, PASSWORD).unwrap_err().status(), Status::RateLimited);
    // while the cooldown lasts, grants fail without being sent, and say how long is left
    let e = auth.password_grant(USER, PASSWORD).unwrap_err();
    assert_eq!(e.status(), Status::RateLimited);
    let left = e.retry_after().unwrap();
    assert!(left <= std::time::Duration::from_millis(1000), "cooldown of {left:?}");
    assert_eq!(mock.stats().token_requests, 1);
    // once it is over (a local timer: waiting it out is the only way), grants are sent again
    std::thread::sleep(left + std::time::Duration::from_millis(20));
    auth.password_grant(USER, PASSWORD).unwrap();
    assert_eq!(mock.stats().token_requests, 2);
}

// ---- error answers over max_response_bytes ----------------------------------------------------

const BIG: u64 = 2 * 1024 * 1024;

/// A 429 with a 2 MiB HTML body came back as TP_ERR_PROTOCOL without Retry-After: no retry, no
/// cooldown.
#[test]
fn big_429_keeps_retry_after_and_is_retried() {
    let mock = MockServer::start().unwrap();
    mock.fault(Fault::new(FaultKind::BigBody).status(429).size(BIG).retry_after("0"));
    let auth = client(&mock, &[("max_retries", "1")]);
    auth.password_grant(USER, PASSWORD).unwrap();
    assert_eq!(mock.stats().token_requests, 2, "the 429 was retried");
    mock.fault(Fault::new(FaultKind::BigBody).status(429).size(BIG).retry_after("7"));
    let e = client(&mock, &[("max_retries", "0")]).password_grant(USER, PASSWORD).unwrap_err();
    assert_eq!((e.status(), e.http_status()), (Status::RateLimited, 429), "{e}");
    assert_eq!(e.retry_after(), Some(std::time::Duration::from_secs(7)));
}

#[test]
fn big_401_is_unauthorized() {
    let mock = MockServer::start().unwrap();
    mock.fault(Fault::new(FaultKind::BigBody).status(401).size(BIG));
    let e = client(&mock, &[]).password_grant(USER, PASSWORD).unwrap_err();
    assert_eq!((e.status(), e.http_status()), (Status::Unauthorized, 401), "{e}");
    assert_eq!(mock.stats().token_requests, 1, "never retried after 401");
}

#[test]
fn big_api_error_page_is_a_response() {
    let mock = MockServer::start().unwrap();
    let auth = password_client(&mock, &[("max_response_bytes", "65536")]);
    mock.fault(Fault::new(FaultKind::BigBody).status(500).size(BIG).target(FaultTarget::Api));
    let resp = auth.request("GET", "/v1/private/x", None, None).unwrap();
    assert_eq!(resp.status(), 500);
    assert_eq!(resp.body().len(), 65536, "cut to max_response_bytes");
    // a 2xx answer over the cap is still an error: its body is the result
    mock.fault(Fault::new(FaultKind::BigBody).size(BIG).target(FaultTarget::Api));
    assert_eq!(auth.request("GET", "/v1/private/x", None, None).unwrap_err().status(), Status::Protocol);
    mock.fault(Fault::new(FaultKind::BigBody).size(BIG));
    assert_eq!(client(&mock, &[]).password_grant(USER, PASSWORD).unwrap_err().status(), Status::Protocol);
}

// ---- client_auth --------------------------------------------------------------------------------

/// A server that decodes Basic per RFC 6749 §2.3.1 refuses the raw `basic` value of a key with
/// `:` or a secret with `+` or `%`: the message must say that client_auth may be the cause.
#[test]
fn invalid_client_message_names_client_auth() {
    let mock = MockServer::start().unwrap();
    let mut cfg = config(&mock, &[]);
    cfg = {
        let mut c = tpauth::Config::new(KEY, "wrong-secret").unwrap();
        c.set("api_base_url", cfg.api_base_url()).unwrap();
        c.set("allow_insecure_http", "true").unwrap();
        c
    };
    let e = Auth::new(&cfg).unwrap().password_grant(USER, PASSWORD).unwrap_err();
    assert_eq!((e.status(), e.oauth_code()), (Status::Unauthorized, Some("invalid_client")));
    for words in ["API key", "secret", "client_auth"] {
        assert!(e.message().contains(words), "{e}");
    }
    assert!(!e.message().contains("wrong-secret"));
}

// ---- explicit grants and the shared cache --------------------------------------------------------

/// `password_grant` for a user other than the configured one stored that user's token under the
/// configured identity's cache key: another process configured for the first user was then served
/// the second user's token. Explicit grants for another identity now stay out of the shared cache
/// (in memory only), and so do their renewals.
#[test]
fn password_grant_for_another_user_is_not_served_from_the_cache_to_the_configured_user() {
    let mock = MockServer::start().unwrap();
    let dir = temp_dir("other-user");
    let cache = dir.join("tokens.json");
    let cache = cache.to_str().unwrap();
    let a = password_client(&mock, &[("token_cache", cache)]);
    mock.configure(json!({"username": "other@example.com", "password": "other-pw"})).unwrap();
    let other = a.password_grant("other@example.com", "other-pw").unwrap();
    assert_eq!(a.get_token().unwrap().access_token(), other.access_token(), "the explicit grant's token is the current one");
    // its renewal (after the API refused it) is not written for the configured user either
    a.invalidate_token(other.access_token()).unwrap();
    let other2 = a.get_token().unwrap();
    assert_ne!(other2.access_token(), other.access_token());
    let on_disk = std::fs::read_to_string(cache).unwrap_or_default();
    for t in [&other, &other2] {
        assert!(!on_disk.contains(t.access_token()), "another user's token was written to the shared cache");
    }
    // a second process configured for USER gets a token of its own
    mock.configure(json!({"username": USER, "password": PASSWORD})).unwrap();
    let before = mock.stats().token_requests;
    let b = password_client(&mock, &[("token_cache", cache)]);
    let mine = b.get_token().unwrap();
    assert!(mine.access_token() != other.access_token() && mine.access_token() != other2.access_token(), "served another user's token");
    assert_eq!(mock.stats().token_requests, before + 1);
    // and the configured user's own explicit grant is shared as before
    let c = password_client(&mock, &[("token_cache", cache)]);
    let granted = c.password_grant(USER, PASSWORD).unwrap();
    let d = password_client(&mock, &[("token_cache", cache)]);
    assert_eq!(d.get_token().unwrap().access_token(), granted.access_token());
    let _ = std::fs::remove_dir_all(&dir);
}

/// The token request the mock saw last, as a refresh of `refresh_token` would send it.
fn refresh_body(refresh_token: &str) -> String {
    format!("grant_type=refresh_token&refresh_token={}", tpauth::form_urlencode(refresh_token))
}

/// `refresh()` of another user's current token is that user's: the request carries that token's
/// refresh token (never the configured user's credentials), and neither its answer nor the
/// managed renewals after it are written to the shared cache.
#[test]
fn refreshing_another_users_token_keeps_it_that_users_and_out_of_the_cache() {
    let mock = MockServer::start().unwrap();
    let dir = temp_dir("other-user-refresh");
    let cache = dir.join("tokens.json");
    let cache = cache.to_str().unwrap();
    let a = password_client(&mock, &[("token_cache", cache)]);
    mock.configure(json!({"username": "other@example.com", "password": "other-pw"})).unwrap();
    let other = a.password_grant("other@example.com", "other-pw").unwrap();
    let refreshed = a.refresh(None).unwrap();
    assert_eq!(mock.last_token_request().unwrap().body, refresh_body(other.refresh_token().unwrap()));
    assert_eq!(a.get_token().unwrap().access_token(), refreshed.access_token());
    // Its managed renewal (the API refused it) is still that user's: its own refresh token.
    a.invalidate_token(refreshed.access_token()).unwrap();
    let renewed = a.get_token().unwrap();
    assert_eq!(mock.last_token_request().unwrap().body, refresh_body(refreshed.refresh_token().unwrap()));
    assert_eq!(mock.stats().token_requests, 3, "the grant, the refresh and the renewal: no grant for the configured user");
    let on_disk = std::fs::read_to_string(cache).unwrap_or_default();
    for t in [&other, &refreshed, &renewed] {
        assert!(!on_disk.contains(t.access_token()), "another user's token was written to the shared cache");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A grant for another identity that lands while the renewal of another user's token waits for
/// the token endpoint stays current, as that identity's: the renewal finishing afterwards must
/// not mark it as the configured user's (its renewal was then written to the shared cache).
/// Whichever finishes first, the token granted last is current and stays out of the cache.
#[test]
fn another_users_grant_during_a_renewal_stays_out_of_the_cache() {
    let mock = MockServer::start().unwrap();
    let dir = temp_dir("other-user-during-renewal");
    let cache = dir.join("tokens.json");
    let cache = cache.to_str().unwrap();
    let a = password_client(&mock, &[("token_cache", cache)]);
    mock.configure(json!({"username": "other@example.com", "password": "other-pw"})).unwrap();
    let other = a.password_grant("other@example.com", "other-pw").unwrap();
    // The API refused it: its renewal (with its refresh token) waits on a slow token endpoint.
    a.invalidate_token(other.access_token()).unwrap();
    mock.fault(Fault::new(FaultKind::Slow).delay_ms(3000));
    let before = mock.stats().token_requests;
    let renewer = {
        let a = a.clone();
        std::thread::spawn(move || a.get_token())
    };
    let waited = std::time::Instant::now();
    while mock.stats().token_requests == before {
        assert!(waited.elapsed() < std::time::Duration::from_secs(60), "the renewal never reached the mock");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    // Meanwhile the browser hands the application a code: a token for whoever signed in there.
    let redirect = "https://app.example.com/callback";
    let state = tpauth::new_state();
    let back = location_of(&a.authorize_url(redirect, tpauth::ResponseType::Code, Some(&state)).unwrap());
    let code = tpauth::parse_code_redirect(&back, Some(&state)).unwrap();
    let granted = a.authorization_code_grant(&code, redirect).unwrap();
    renewer.join().unwrap().unwrap();
    assert_eq!(a.get_token().unwrap().access_token(), granted.access_token(), "the token granted last is current");
    // The API refuses it too: renewed with its own refresh token, and not shared.
    a.invalidate_token(granted.access_token()).unwrap();
    let renewed = a.get_token().unwrap();
    assert_eq!(mock.last_token_request().unwrap().body, refresh_body(granted.refresh_token().unwrap()));
    let on_disk = std::fs::read_to_string(cache).unwrap_or_default();
    for t in [&other, &granted, &renewed] {
        assert!(!on_disk.contains(t.access_token()), "another identity's token was written to the shared cache");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
