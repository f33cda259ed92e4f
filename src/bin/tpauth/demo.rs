//! `tpauth demo`: every flow end to end against an in-process mock, one line per step. Tokens are
//! shown as their first 4 characters only; no secret is ever printed.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use tpauth::{Auth, Config, Error, ResponseType, Status, Token};
use tpauth_mock::{Fault, FaultKind, MockServer, Stats};

const KEY: &str = "mock-api-key";
const SECRET: &str = "mock-api-secret";
const USER: &str = "user@example.com";
const PASSWORD: &str = "mock-password";
const BUSINESS_USER_ID: &str = "mock-business-user-id";
const REDIRECT_URI: &str = "https://app.example/callback";
const API_PATH: &str = "/v1/private/business-units/demo-business-unit/reviews";

type StepResult = Result<String, String>;

/// The first 4 characters of a token, then `…`.
fn short(token: &str) -> String {
    let head: String = token.chars().take(4).collect();
    format!("{head}…")
}

fn err(e: &Error) -> String {
    e.to_string()
}

fn config(mock: &MockServer, extra: &[(&str, &str)]) -> Result<Config, String> {
    let mut cfg = Config::new(KEY, SECRET).map_err(|e| err(&e))?;
    for (k, v) in [
        ("api_base_url", mock.url().as_str()),
        ("authorize_url", mock.authorize_url().as_str()),
        ("allow_insecure_http", "true"),
        ("timeout_ms", "10000"),
    ]
    .into_iter()
    .chain(extra.iter().copied())
    {
        cfg.set(k, v).map_err(|e| err(&e))?;
    }
    Ok(cfg)
}

fn client(mock: &MockServer, extra: &[(&str, &str)]) -> Result<Auth, String> {
    Auth::new(&config(mock, extra)?).map_err(|e| err(&e))
}

fn password_client(mock: &MockServer) -> Result<Auth, String> {
    client(mock, &[("username", USER), ("password", PASSWORD)])
}

/// `GET url` without following the redirect; the `Location` of the 302.
fn browser_visit(mock: &MockServer, url: &str) -> Result<String, String> {
    let path = url.strip_prefix(&mock.url()).ok_or_else(|| format!("the authorize URL is not on the mock: {url}"))?;
    let mut s = TcpStream::connect(mock.local_addr()).map_err(|e| format!("connecting to the mock: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(10))).map_err(|e| e.to_string())?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").map_err(|e| e.to_string())?;
    let mut answer = String::new();
    s.read_to_string(&mut answer).map_err(|e| format!("reading the authorize page: {e}"))?;
    let status = answer.split(' ').nth(1).unwrap_or("");
    if status != "302" {
        return Err(format!("the authorize page answered {status}, not a 302 redirect"));
    }
    answer
        .split("\r\n\r\n")
        .next()
        .unwrap_or("")
        .lines()
        .find_map(|l| l.split_once(':').filter(|(n, _)| n.eq_ignore_ascii_case("location")).map(|(_, v)| v.trim().to_owned()))
        .ok_or_else(|| "the 302 carries no Location".to_owned())
}

fn api_call(auth: &Auth) -> Result<serde_json::Value, String> {
    let resp = auth.request("GET", API_PATH, None, None).map_err(|e| err(&e))?;
    if resp.status() != 200 {
        return Err(format!("GET {API_PATH} answered {}: {}", resp.status(), resp.text()));
    }
    serde_json::from_slice(resp.body()).map_err(|e| format!("the API answer is not JSON: {e}"))
}

fn expect_status(r: Result<Token, Error>, status: Status, what: &str) -> Result<Error, String> {
    match r {
        Ok(_) => Err(format!("{what} succeeded; expected {}", status.name())),
        Err(e) if e.status() == status => Ok(e),
        Err(e) => Err(format!("{what}: expected {}, got {e}", status.name())),
    }
}

fn last_token_path(mock: &MockServer) -> String {
    mock.last_token_request().map(|r| r.path).unwrap_or_default()
}

/// Run every step; the number of failed steps.
pub fn run() -> std::io::Result<usize> {
    let mock = MockServer::start()?;
    println!("tpauth demo: a mock of Trustpilot's API is serving at {} (in-process)", mock.url());
    println!("             key {KEY}, user {USER}; tokens are shown as their first 4 characters\n");
    let mut demo = Demo { mock, steps: 0, failed: 0, state: DemoState::default() };
    demo.step("password grant", Demo::password_grant);
    demo.step("API call with the token", Demo::api_call);
    demo.step("401 from the API → renewal", Demo::renewal_on_401);
    demo.step("client credentials + business user id", Demo::client_credentials);
    demo.step("authorization code flow", Demo::authorization_code);
    demo.step("implicit flow", Demo::implicit);
    demo.step("refresh on …/refresh", Demo::refresh_default);
    demo.step("refresh on …/accesstoken", Demo::refresh_accesstoken);
    demo.step("revoke, then refresh refused", Demo::revoke);
    demo.step("managed token reused", Demo::managed_reuse);
    demo.step("429 with Retry-After", Demo::rate_limited);
    let total = demo.steps;
    let failed = demo.failed;
    let s = demo.mock.stats();
    println!(
        "\nmock saw {} token requests, {} API requests ({} answered 401), {} revoke, over {} connections",
        s.token_requests, s.api_requests, s.api_401, s.revoke_requests, s.connections
    );
    if failed == 0 {
        println!("demo: all {total} steps passed");
    } else {
        println!("demo: {failed} of {total} steps FAILED");
    }
    Ok(failed)
}

#[derive(Default)]
struct DemoState {
    auth: Option<Auth>,
    /// The newest refresh token of `auth`'s rotation chain.
    refresh_token: Option<String>,
}

struct Demo {
    mock: MockServer,
    steps: usize,
    failed: usize,
    state: DemoState,
}

impl Demo {
    fn step(&mut self, name: &str, f: fn(&mut Demo) -> StepResult) {
        self.steps += 1;
        let n = self.steps;
        let _ = std::io::stdout().flush();
        match f(self) {
            Ok(detail) => println!("[{n:>2}] ok    {name}: {detail}"),
            Err(why) => {
                self.failed += 1;
                println!("[{n:>2}] FAIL  {name}: {why}");
            }
        }
    }

    fn stats(&self) -> Stats {
        self.mock.stats()
    }

    fn auth(&self) -> Result<&Auth, String> {
        self.state.auth.as_ref().ok_or_else(|| "needs the password grant's client (step 1 failed)".to_owned())
    }

    fn password_grant(&mut self) -> StepResult {
        let auth = password_client(&self.mock)?;
        let t = auth.password_grant(USER, PASSWORD).map_err(|e| err(&e))?;
        let sent = self.mock.last_token_request().ok_or("the mock saw no token request")?;
        if !sent.body.starts_with("grant_type=password&") || !sent.header("authorization").unwrap_or("").starts_with("Basic ") {
            return Err("the request was not a Basic-authenticated password grant".into());
        }
        let rt = t.refresh_token().ok_or("the token has no refresh token")?.to_owned();
        let detail = format!(
            "POST …/accesstoken (Basic key:secret, grant_type=password) → access {}, refresh {}, token_type {}, expires in {} s (sent as a string)",
            short(t.access_token()),
            short(&rt),
            t.token_type().unwrap_or("?"),
            t.expires_in()
        );
        self.state.refresh_token = Some(rt);
        self.state.auth = Some(auth);
        Ok(detail)
    }

    fn api_call(&mut self) -> StepResult {
        let before = self.stats();
        let echo = api_call(self.auth()?)?;
        let after = self.stats();
        if after.token_requests != before.token_requests {
            return Err("the call asked for a new token although the current one is valid".into());
        }
        Ok(format!("GET {} with Bearer + apikey → 200, no token request", echo["path"].as_str().unwrap_or("?")))
    }

    fn renewal_on_401(&mut self) -> StepResult {
        self.mock.expire_all();
        let before = self.stats();
        let old = self.auth()?.get_token().map_err(|e| err(&e))?;
        api_call(self.auth()?)?;
        let after = self.stats();
        let new = self.auth()?.get_token().map_err(|e| err(&e))?;
        let (unauthorized, renewals) = (after.api_401 - before.api_401, after.token_requests - before.token_requests);
        if unauthorized != 1 || renewals != 1 || new.same_as(&old) {
            return Err(format!("expected one 401 and one renewal, saw {unauthorized} 401(s) and {renewals} token request(s)"));
        }
        self.state.refresh_token = new.refresh_token().map(str::to_owned);
        Ok(format!(
            "the mock expired every token; the API answered 401, tpauth refreshed once ({} → {}) and retried: 200",
            short(old.access_token()),
            short(new.access_token())
        ))
    }

    fn client_credentials(&mut self) -> StepResult {
        let auth = client(&self.mock, &[("grant", "client_credentials"), ("business_user_id", BUSINESS_USER_ID)])?;
        let t = auth.client_credentials_grant().map_err(|e| err(&e))?;
        if t.refresh_token().is_some() {
            return Err("a client-credentials token came with a refresh token".into());
        }
        let echo = api_call(&auth)?;
        if echo["business_user_id"] != BUSINESS_USER_ID {
            return Err(format!("the API saw x-business-user-id {}", echo["business_user_id"]));
        }
        Ok(format!(
            "grant_type=client_credentials → access {} (no refresh token); API call with x-business-user-id: 200",
            short(t.access_token())
        ))
    }

    fn authorization_code(&mut self) -> StepResult {
        let auth = self.auth()?;
        let state = tpauth::new_state();
        let url = auth.authorize_url(REDIRECT_URI, ResponseType::Code, Some(&state)).map_err(|e| err(&e))?;
        let location = browser_visit(&self.mock, &url)?;
        let code = tpauth::parse_code_redirect(&location, Some(&state)).map_err(|e| err(&e))?;
        let t = auth.authorization_code_grant(&code, REDIRECT_URI).map_err(|e| err(&e))?;
        let reused = expect_status(auth.authorization_code_grant(&code, REDIRECT_URI), Status::InvalidGrant, "reusing the code")?;
        let forged = expect_status(
            tpauth::parse_code_redirect(&location, Some("another-state")).map(|_| t.clone()),
            Status::StateMismatch,
            "a redirect with another state",
        )?;
        self.state.refresh_token = t.refresh_token().map(str::to_owned);
        Ok(format!(
            "authorize URL → 302 to {REDIRECT_URI}?code={}&state=(checked) → exchanged for access {}; reused code → {}; wrong state → {}",
            short(&code),
            short(t.access_token()),
            reused.status().name(),
            forged.status().name()
        ))
    }

    fn implicit(&mut self) -> StepResult {
        let auth = client(&self.mock, &[("grant", "none")])?;
        let state = tpauth::new_state();
        let url = auth.authorize_url(REDIRECT_URI, ResponseType::Token, Some(&state)).map_err(|e| err(&e))?;
        let location = browser_visit(&self.mock, &url)?;
        let t = tpauth::parse_implicit_redirect(&location, Some(&state)).map_err(|e| err(&e))?;
        auth.set_token(&t).map_err(|e| err(&e))?;
        api_call(&auth)?;
        Ok(format!(
            "authorize URL → 302 to {REDIRECT_URI}#access_token={}&…&expires_in={} → API call with it: 200",
            short(t.access_token()),
            t.expires_in()
        ))
    }

    fn refresh_default(&mut self) -> StepResult {
        let auth = self.auth()?;
        let old = self.state.refresh_token.clone().ok_or("no refresh token from the previous steps")?;
        let t = auth.refresh(Some(&old)).map_err(|e| err(&e))?;
        let path = last_token_path(&self.mock);
        if !path.ends_with("/refresh") {
            return Err(format!("the refresh went to {path}"));
        }
        let new = t.refresh_token().ok_or("no refresh token in the answer")?.to_owned();
        let rotated = expect_status(auth.refresh(Some(&old)), Status::InvalidGrant, "refreshing the rotated token")?;
        self.state.refresh_token = Some(new.clone());
        Ok(format!(
            "POST …/refresh → access {}, refresh rotated {} → {}; the old one now → {}",
            short(t.access_token()),
            short(&old),
            short(&new),
            rotated.status().name()
        ))
    }

    fn refresh_accesstoken(&mut self) -> StepResult {
        let auth = client(&self.mock, &[("username", USER), ("password", PASSWORD), ("refresh_endpoint", "accesstoken")])?;
        let old = self.state.refresh_token.clone().ok_or("no refresh token from the previous steps")?;
        let t = auth.refresh(Some(&old)).map_err(|e| err(&e))?;
        let path = last_token_path(&self.mock);
        if !path.ends_with("/accesstoken") {
            return Err(format!("the refresh went to {path}"));
        }
        let new = t.refresh_token().ok_or("no refresh token in the answer")?.to_owned();
        self.state.refresh_token = Some(new.clone());
        Ok(format!(
            "refresh_endpoint=accesstoken: POST …/accesstoken grant_type=refresh_token → access {}, refresh {}",
            short(t.access_token()),
            short(&new)
        ))
    }

    fn revoke(&mut self) -> StepResult {
        let auth = self.auth()?;
        let rt = self.state.refresh_token.clone().ok_or("no refresh token from the previous steps")?;
        let before = self.stats();
        auth.revoke(Some(&rt)).map_err(|e| err(&e))?;
        if self.stats().revoke_requests != before.revoke_requests + 1 {
            return Err("the mock saw no revoke request".into());
        }
        let refused = expect_status(auth.refresh(Some(&rt)), Status::InvalidGrant, "refreshing the revoked token")?;
        Ok(format!(
            "POST …/revoke token={} → 200; refreshing it → {} ({})",
            short(&rt),
            refused.status().name(),
            refused.oauth_code().unwrap_or("?")
        ))
    }

    fn managed_reuse(&mut self) -> StepResult {
        let auth = password_client(&self.mock)?;
        let before = self.stats();
        let first = auth.get_token().map_err(|e| err(&e))?;
        for _ in 0..5 {
            api_call(&auth)?;
        }
        let again = auth.get_token().map_err(|e| err(&e))?;
        let after = self.stats();
        let token_requests = after.token_requests - before.token_requests;
        let api_requests = after.api_requests - before.api_requests;
        if token_requests != 1 || !again.same_as(&first) {
            return Err(format!("expected 1 token request for 5 API calls, the mock saw {token_requests}"));
        }
        Ok(format!(
            "a fresh client: get_token + {api_requests} API calls + get_token → {token_requests} token request (access {} reused)",
            short(first.access_token())
        ))
    }

    fn rate_limited(&mut self) -> StepResult {
        let auth = password_client(&self.mock)?;
        self.mock.fault(Fault::new(FaultKind::TooManyRequests).retry_after("1"));
        let before = self.stats();
        let start = Instant::now();
        let (t, how) = match auth.get_token() {
            Ok(t) => (t, "tpauth honoured it and retried by itself"),
            Err(e) if e.status() == Status::RateLimited => {
                let wait = e.retry_after().ok_or("429 without retry_after on the error")?;
                std::thread::sleep(wait);
                (auth.get_token().map_err(|e| err(&e))?, "the caller got TP_ERR_RATE_LIMITED with retry_after 1 s, waited and retried")
            }
            Err(e) => return Err(err(&e)),
        };
        let waited = start.elapsed();
        let token_requests = self.stats().token_requests - before.token_requests;
        if waited < Duration::from_millis(900) || token_requests != 2 {
            return Err(format!("expected a wait of ≥ 1 s and 2 token requests, saw {:.1} s and {token_requests}", waited.as_secs_f64()));
        }
        Ok(format!(
            "first answer 429 with Retry-After: 1; {how} after {:.1} s → access {} ({token_requests} token requests)",
            waited.as_secs_f64(),
            short(t.access_token())
        ))
    }
}
