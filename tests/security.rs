//! Regression tests of the security review (issue 13), each named after the attack it stops:
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
