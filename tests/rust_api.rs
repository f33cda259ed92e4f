//! The Rust surface as a user's crate sees it: only `tpauth`'s public API and `tpauth-mock`, no
//! helper of this repository's other tests, no `pub(crate)` door. Each test is a task a user has
//! (sign in, call the API, survive a 401, a 429 or a wrong password, keep a token across runs,
//! run the browser flow) and asserts what they would notice: the value returned, the error's
//! status and details, and how many token requests Trustpilot (the mock) saw.

use std::io::{Read, Write};
use std::time::Duration;
use tpauth::{Auth, Config, Error, ResponseType, Status, Token};
use tpauth_mock::{Fault, FaultKind, MockServer};

/// What a user writes to point the library at the mock: the documented identities of docs/mock.md.
fn config(mock: &MockServer) -> Result<Config, Error> {
    let mut cfg = Config::new("mock-api-key", "mock-api-secret")?;
    cfg.set("api_base_url", &mock.url())?;
    cfg.set("authorize_url", &mock.authorize_url())?;
    cfg.set("allow_insecure_http", "true")?;
    cfg.set("username", "user@example.com")?;
    cfg.set("password", "mock-password")?;
    Ok(cfg)
}

#[test]
fn the_types_fit_a_users_program() {
    // A client is shared between threads and stored in application state; errors go through `?`
    // into the usual boxed error and across threads.
    fn shareable<T: Send + Sync + Clone + 'static>() {}
    shareable::<Auth>();
    shareable::<Token>();
    shareable::<Config>();
    fn boxable<E: std::error::Error + Send + Sync + 'static>() {}
    boxable::<Error>();
    let _: Box<dyn std::error::Error + Send + Sync> = Box::new(Error::invalid_argument("x"));
}

#[test]
fn an_api_call_signs_in_once_and_reuses_the_token() -> Result<(), Box<dyn std::error::Error>> {
    let mock = MockServer::start()?;
    let auth = Auth::new(&config(&mock)?)?;
    let resp = auth.request("GET", "/v1/private/business-units/123/reviews", None, None)?;
    assert_eq!(resp.status(), 200);
    let resp = auth.request("GET", "/v1/private/business-units/123/reviews", None, None)?;
    assert_eq!(resp.status(), 200);
    let stats = mock.stats();
    assert_eq!((stats.token_requests, stats.grants.password, stats.api_requests), (1, 1, 2));
    // The bytes on the wire: the managed token as a Bearer, and the API key.
    let sent = mock.last_api_request().expect("an API request");
    let token = auth.get_token()?;
    assert_eq!(sent.header("authorization"), Some(format!("Bearer {}", token.access_token()).as_str()));
    assert_eq!(sent.header("apikey"), Some("mock-api-key"));
    Ok(())
}

#[test]
fn threads_sharing_a_client_make_one_token_request() -> Result<(), Box<dyn std::error::Error>> {
    let mock = MockServer::start()?;
    let auth = Auth::new(&config(&mock)?)?;
    let workers: Vec<_> = (0..16)
        .map(|_| {
            let auth = auth.clone();
            std::thread::spawn(move || auth.get_token().map(|t| t.access_token().to_owned()))
        })
        .collect();
    let tokens: Vec<String> = workers.into_iter().map(|w| w.join().expect("no panic")).collect::<Result<_, _>>()?;
    assert!(tokens.windows(2).all(|w| w[0] == w[1]), "every thread got the same token");
    assert_eq!(mock.stats().token_requests, 1);
    Ok(())
}

#[test]
fn an_expired_token_is_renewed_once_and_the_call_resent() -> Result<(), Box<dyn std::error::Error>> {
    let mock = MockServer::start()?;
    let auth = Auth::new(&config(&mock)?)?;
    let first = auth.get_token()?;
    mock.expire_all(); // the API now refuses the token the client holds
    let resp = auth.request("GET", "/v1/private/business-units/123", None, None)?;
    assert_eq!(resp.status(), 200, "the 401 was answered by a renewal and one resend");
    let stats = mock.stats();
    assert_eq!((stats.api_401, stats.token_requests), (1, 2));
    assert_eq!(stats.grants.refresh_token, 1, "renewed with the refresh token, not the password");
    assert!(!auth.get_token()?.same_as(&first));
    Ok(())
}

#[test]
fn a_wrong_password_is_invalid_grant_with_the_servers_code() -> Result<(), Box<dyn std::error::Error>> {
    let mock = MockServer::start()?;
    let auth = Auth::new(&config(&mock)?)?;
    let e = auth.password_grant("user@example.com", "not-the-password").unwrap_err();
    assert_eq!(e.status(), Status::InvalidGrant);
    assert_eq!((e.http_status(), e.oauth_code()), (400, Some("invalid_grant")));
    assert!(!e.to_string().contains("not-the-password"), "no secret in the message: {e}");
    assert!(e.to_string().starts_with("TP_ERR_INVALID_GRANT: "), "{e}");
    Ok(())
}

#[test]
fn a_429_reports_the_wait_trustpilot_asked_for() -> Result<(), Box<dyn std::error::Error>> {
    let mock = MockServer::start()?;
    let mut cfg = config(&mock)?;
    cfg.set("max_retries", "0")?;
    let auth = Auth::new(&cfg)?;
    mock.fault(Fault::new(FaultKind::TooManyRequests).retry_after("7"));
    let e = auth.get_token().unwrap_err();
    assert_eq!(e.status(), Status::RateLimited);
    assert_eq!((e.http_status(), e.retry_after()), (429, Some(Duration::from_secs(7))));
    // The client remembers the wait: asking again at once sends nothing to Trustpilot.
    let again = auth.get_token().unwrap_err();
    assert_eq!(again.status(), Status::RateLimited);
    assert!(again.retry_after().is_some_and(|d| d > Duration::ZERO && d <= Duration::from_secs(7)));
    assert_eq!(mock.stats().token_requests, 1);
    Ok(())
}

#[test]
fn a_token_saved_by_one_run_is_served_by_the_next() -> Result<(), Box<dyn std::error::Error>> {
    let mock = MockServer::start()?;
    let saved = Auth::new(&config(&mock)?)?.get_token()?.to_json();
    let next_run = Auth::new(&config(&mock)?)?;
    next_run.set_token(&Token::from_json(&saved)?)?;
    let resp = next_run.request("GET", "/v1/private/business-units/123", None, None)?;
    assert_eq!(resp.status(), 200);
    assert_eq!(mock.stats().token_requests, 1, "the second client signed in with the saved token only");
    Ok(())
}

#[test]
fn the_code_flow_from_authorize_url_to_token() -> Result<(), Box<dyn std::error::Error>> {
    let mock = MockServer::start()?;
    let auth = Auth::new(&config(&mock)?)?;
    let state = tpauth::new_state();
    let pkce = tpauth::new_pkce()?;
    let redirect_uri = "https://app.example/callback";
    let url = auth.authorize_url_pkce(redirect_uri, ResponseType::Code, Some(&state), Some(&pkce.challenge))?;
    // The mock's authorize page plays the user who approves: it redirects to redirect_uri.
    let redirect = follow_once(&url)?;
    assert!(redirect.starts_with(redirect_uri), "{redirect}");
    let code = tpauth::parse_code_redirect(&redirect, Some(&state))?;
    let token = auth.authorization_code_grant_pkce(&code, redirect_uri, Some(&pkce.verifier))?;
    assert_eq!(mock.stats().grants.authorization_code, 1);
    assert!(auth.get_token()?.same_as(&token), "the exchanged token became the managed one");
    // A code is single-use: a second exchange is refused, and never retried.
    let e = auth.authorization_code_grant_pkce(&code, redirect_uri, Some(&pkce.verifier)).unwrap_err();
    assert_eq!(e.status(), Status::InvalidGrant);
    assert_eq!(mock.stats().token_requests, 2);
    Ok(())
}

#[test]
fn a_foreign_host_never_receives_the_token() -> Result<(), Box<dyn std::error::Error>> {
    let mock = MockServer::start()?;
    let auth = Auth::new(&config(&mock)?)?;
    let e = auth.request("GET", "https://collector.example/steal", None, None).unwrap_err();
    assert_eq!(e.status(), Status::InvalidArgument);
    assert!(e.message().contains("token_hosts"), "the message names the option that allows a host: {e}");
    let e = auth.api_headers("GET", "https://collector.example/steal").unwrap_err();
    assert_eq!(e.status(), Status::InvalidArgument);
    assert_eq!(mock.stats().token_requests, 0, "refused before any token was fetched");
    // The API host itself gets every header an API call needs.
    let headers = auth.api_headers("GET", &format!("{}/v1/private/business-units/123", mock.url()))?;
    let names: Vec<String> = headers.iter().map(|(n, _)| n.to_ascii_lowercase()).collect();
    assert_eq!(names, ["authorization", "apikey"]);
    Ok(())
}

#[test]
fn debug_output_shows_no_secret() -> Result<(), Box<dyn std::error::Error>> {
    let mock = MockServer::start()?;
    let mut cfg = config(&mock)?;
    cfg.set("password", "p@ss-w0rd-secret")?;
    let auth = Auth::new(&config(&mock)?)?;
    let token = auth.get_token()?;
    let printed = format!("{cfg:?} {auth:?} {token:?} {:?}", tpauth::new_pkce()?);
    for secret in ["mock-api-secret", "p@ss-w0rd-secret", token.access_token(), token.refresh_token().unwrap_or("-")] {
        assert!(!printed.contains(secret), "{secret} printed in {printed}");
    }
    Ok(())
}

/// One GET without following redirects: the `Location` the server answers (std only, as a user's
/// test without an HTTP client would do it).
fn follow_once(url: &str) -> Result<String, Box<dyn std::error::Error>> {
    let rest = url.strip_prefix("http://").ok_or("not an http URL")?;
    let (host, path) = rest.split_at(rest.find('/').ok_or("no path")?);
    let mut conn = std::net::TcpStream::connect(host)?;
    write!(conn, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")?;
    let mut answer = String::new();
    conn.read_to_string(&mut answer)?;
    let location = answer
        .lines()
        .find_map(|l| l.strip_prefix("location: ").or_else(|| l.strip_prefix("Location: ")))
        .ok_or_else(|| format!("no Location in {answer}"))?;
    Ok(location.trim().to_owned())
}
