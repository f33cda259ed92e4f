//! The fault matrix: every operation (each grant, refresh, revoke, get_token, request) against every
//! fault of the mock (429 with Retry-After, HTML 500, 503, reset, truncated body, garbage body, a
//! 200 without access_token, slow past the timeout, a body 64 times the body cap) and every
//! form of `expires_in`.
//! Each cell asserts the typed result a caller gets, the token requests the mock saw, that the
//! call returned within its timeout plus one second, and that no secret shows in the error.
//! `tests/faults/` loops the same matrix through the C ABI under valgrind.

mod common;
use common::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tpauth::{Auth, Error, Status};

/// Every call's timeout; the slow fault answers after `SLOW_MS`.
const TIMEOUT_MS: u64 = 700;
const SLOW_MS: u64 = 1_600;
/// The big body fault's size, and the body cap (`max_response_bytes`) of its cells: the body is
/// 64 times the cap, so a client without a cap would take the body as a token, while one with it
/// stops reading after 1 KiB + 1 byte. Both sizes are small enough that no machine's speed decides
/// the cell: with a 10 MiB body and the default cap (1 MiB, proven by tests/flows.rs without a
/// tight timeout), the mock built and sent, and the client read, megabytes within the 700 ms
/// timeout, and on a loaded machine the call timed out before the cap was reached.
const BIG_BODY_BYTES: u64 = 64 * 1024;
const BIG_BODY_CAP: &str = "1024";
const REDIRECT: &str = "https://app.example.com/cb";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Password,
    ClientCredentials,
    AuthorizationCode,
    Refresh,
    Revoke,
    GetToken,
    /// `request` on a cold client: the fault hits the token request made for it.
    Request,
    /// `request` with a token already held: the fault hits the API call itself.
    RequestApi,
}

const OPS: [Op; 8] =
    [Op::Password, Op::ClientCredentials, Op::AuthorizationCode, Op::Refresh, Op::Revoke, Op::GetToken, Op::Request, Op::RequestApi];

/// What a cell must give.
#[derive(Debug, PartialEq)]
enum Outcome {
    /// A token (or `()` for revoke) whose `expires_in` is this (`None`: not checked).
    Ok(Option<i64>),
    /// An API answer with this HTTP status.
    Answer(u16),
    /// This error, with this HTTP status (0: none).
    Err(Status, u16),
}

fn fault(kind: FaultKind) -> Fault {
    let f = Fault::new(kind);
    match kind {
        FaultKind::TooManyRequests => f.retry_after("1"),
        FaultKind::Slow => f.delay_ms(SLOW_MS),
        FaultKind::BigBody => f.size(BIG_BODY_BYTES),
        _ => f,
    }
}

const KINDS: [FaultKind; 9] = [
    FaultKind::TooManyRequests,
    FaultKind::Html500,
    FaultKind::ServiceUnavailable,
    FaultKind::Reset,
    FaultKind::Truncated,
    FaultKind::Garbage,
    FaultKind::NoAccessToken,
    FaultKind::Slow,
    FaultKind::BigBody,
];

/// The typed result of `op` under `kind` (no retries).
fn expected(op: Op, kind: FaultKind) -> Outcome {
    use FaultKind as K;
    if op == Op::RequestApi {
        // Any HTTP answer is the caller's; only what prevents an answer is an error.
        return match kind {
            K::TooManyRequests => Outcome::Answer(429),
            K::Html500 => Outcome::Answer(500),
            K::ServiceUnavailable => Outcome::Answer(503),
            K::Reset => Outcome::Err(Status::Network, 0),
            // The status line came; the body did not (all of it, or within the 1 MiB cap).
            K::Truncated => Outcome::Err(Status::Network, 200),
            K::Garbage | K::NoAccessToken => Outcome::Answer(200),
            K::Slow => Outcome::Err(Status::Timeout, 0),
            K::BigBody => Outcome::Err(Status::Protocol, 200),
            K::Unauthorized => Outcome::Answer(200),
            K::EchoRequest => Outcome::Answer(400),
        };
    }
    match kind {
        K::TooManyRequests => Outcome::Err(Status::RateLimited, 429),
        K::Html500 => Outcome::Err(Status::Http, 500),
        K::ServiceUnavailable => Outcome::Err(Status::Http, 503),
        K::Reset => Outcome::Err(Status::Network, 0),
        K::Truncated => Outcome::Err(Status::Network, 200),
        // A revoke's 200 is the whole answer: its body is not read as a token.
        K::Garbage | K::NoAccessToken if op == Op::Revoke => Outcome::Ok(None),
        K::Garbage | K::NoAccessToken => Outcome::Err(Status::Protocol, 200),
        K::Slow => Outcome::Err(Status::Timeout, 0),
        K::BigBody => Outcome::Err(Status::Protocol, 200),
        K::Unauthorized => Outcome::Err(Status::Unauthorized, 401),
        K::EchoRequest => Outcome::Err(Status::Http, 400),
    }
}

/// A client for one cell under `kind` (none: no fault): a fresh one each time (a 429 starts a
/// cooldown in its client).
fn cell_client(mock: &MockServer, kind: Option<FaultKind>, extra: &[(&str, &str)]) -> Auth {
    let timeout = TIMEOUT_MS.to_string();
    let mut opts = vec![("timeout_ms", timeout.as_str()), ("connect_timeout_ms", timeout.as_str()), ("max_retries", "0")];
    if kind == Some(FaultKind::BigBody) {
        opts.push(("max_response_bytes", BIG_BODY_CAP));
    }
    opts.extend_from_slice(extra);
    password_client(mock, &opts)
}

/// Prepare `op` (a token to refresh or revoke, a code to exchange, a token for the API call),
/// then queue `arm` faults and run it. Returns the outcome, the time the call took, and the
/// token requests it made.
fn run_cell(mock: &MockServer, auth: &Auth, op: Op, arm: &dyn Fn()) -> (Result<Outcome, Error>, Duration, u64) {
    let code = match op {
        Op::AuthorizationCode => {
            let url = auth.authorize_url(REDIRECT, tpauth::ResponseType::Code, Some("st")).unwrap();
            Some(tpauth::parse_code_redirect(&location_of(&url), Some("st")).unwrap())
        }
        _ => None,
    };
    if matches!(op, Op::Refresh | Op::Revoke | Op::RequestApi) {
        auth.password_grant(USER, PASSWORD).unwrap();
    }
    let before = requests_to_token_endpoints(mock);
    arm();
    let start = Instant::now();
    let tok = |r: tpauth::Result<tpauth::Token>| r.map(|t| Outcome::Ok(Some(t.expires_in())));
    let result = match op {
        Op::Password => tok(auth.password_grant(USER, PASSWORD)),
        Op::ClientCredentials => tok(auth.client_credentials_grant()),
        Op::AuthorizationCode => tok(auth.authorization_code_grant(code.as_deref().unwrap(), REDIRECT)),
        Op::Refresh => tok(auth.refresh(None)),
        Op::Revoke => auth.revoke(None).map(|()| Outcome::Ok(None)),
        Op::GetToken => tok(auth.get_token()),
        Op::Request | Op::RequestApi => {
            auth.request("GET", "/v1/private/business-units/x/reviews", None, None).map(|r| Outcome::Answer(r.status()))
        }
    };
    let took = start.elapsed();
    (result, took, requests_to_token_endpoints(mock) - before)
}

/// POSTs to accesstoken, refresh and revoke.
fn requests_to_token_endpoints(mock: &MockServer) -> u64 {
    let s = mock.stats();
    s.token_requests + s.revoke_requests
}

fn outcome(r: Result<Outcome, Error>) -> Outcome {
    match r {
        Ok(o) => o,
        Err(e) => Outcome::Err(e.status(), e.http_status()),
    }
}

/// Every operation × every fault, no retries: the typed error (or answer), the HTTP status, the
/// Retry-After of a 429, one token request, within the timeout + 1 s, and no secret in any message.
#[test]
fn every_operation_against_every_fault() {
    let mock = MockServer::start().unwrap();
    let mut failures = Vec::new();
    for op in OPS {
        let mut kinds = KINDS.to_vec();
        kinds.push(FaultKind::Unauthorized);
        for kind in kinds {
            mock.reset();
            let auth = cell_client(&mock, Some(kind), &[]);
            let target = if op == Op::RequestApi { FaultTarget::Api } else { FaultTarget::Token };
            // These go out on the keep-alive connection of the grant run_cell makes first: a reset
            // there is a stale connection to the client, which sends the request once more on a
            // new one. Resetting that too leaves the error to the caller, after two sendings.
            let reused = matches!(op, Op::Refresh | Op::Revoke | Op::RequestApi) && kind == FaultKind::Reset;
            let count = if reused { 2 } else { 1 };
            let (result, took, token_requests) = run_cell(&mock, &auth, op, &|| mock.fault(fault(kind).target(target).count(count)));
            let cell = format!("{op:?} × {}", kind.name());
            if let Err(e) = &result {
                let msg = e.message();
                for secret in [SECRET, PASSWORD] {
                    assert!(!msg.contains(secret), "{cell}: a secret in the error message {msg:?}");
                }
                if kind == FaultKind::TooManyRequests {
                    assert_eq!(e.retry_after(), Some(Duration::from_secs(1)), "{cell}: Retry-After");
                }
                if kind == FaultKind::BigBody {
                    assert!(msg.contains("max_response_bytes"), "{cell}: the cap stops the body, not another error: {msg}");
                }
            }
            assert!(
                took <= Duration::from_millis(TIMEOUT_MS + 1_000),
                "{cell}: the call took {took:?}, more than its timeout ({TIMEOUT_MS} ms) + 1 s"
            );
            // A 401 from the API costs one renewal; every other fault costs the one request it hit.
            let want_requests = match (op, kind) {
                (Op::RequestApi, FaultKind::Unauthorized) => 1,
                (Op::RequestApi, _) => 0,
                _ if reused => 2,
                _ => 1,
            };
            let got = outcome(result);
            let want = expected(op, kind);
            let matches = match (&got, &want) {
                (Outcome::Ok(_), Outcome::Ok(None)) => true,
                _ => got == want,
            };
            if !matches || token_requests != want_requests {
                failures.push(format!("{cell}: got {got:?} with {token_requests} token requests, want {want:?} with {want_requests}"));
            }
            mock.reset();
        }
    }
    assert!(failures.is_empty(), "{} cells failed:\n{}", failures.len(), failures.join("\n"));
}

/// The same faults once each with retries on: a 429, a 5xx, a reset or a truncated body heals on
/// the retry (two token requests; a code exchange is never retried: the code is single-use, but
/// the reset of a refresh or revoke on the grant's keep-alive connection heals on its resend); a
/// timeout is never retried (the call must not outlive its timeout several times over), nor is a
/// 2xx with an unusable body.
#[test]
fn one_fault_with_retries() {
    let mock = MockServer::start().unwrap();
    let mut failures = Vec::new();
    for op in OPS.into_iter().filter(|op| *op != Op::RequestApi) {
        for kind in KINDS {
            mock.reset();
            let auth = cell_client(&mock, Some(kind), &[("max_retries", "2"), ("max_retry_wait_ms", "2000")]);
            let (result, took, token_requests) = run_cell(&mock, &auth, op, &|| mock.fault(fault(kind)));
            let cell = format!("{op:?} × {} (retries on)", kind.name());
            let transient = matches!(
                kind,
                FaultKind::TooManyRequests | FaultKind::Html500 | FaultKind::ServiceUnavailable | FaultKind::Reset | FaultKind::Truncated
            );
            let (want, want_requests) =
                if transient && op != Op::AuthorizationCode { (Outcome::Ok(None), 2) } else { (expected(op, kind), 1) };
            // Two attempts and a Retry-After of 1 s (or a backoff under it) at most.
            let bound = Duration::from_millis(2 * TIMEOUT_MS + 1_000 + 1_000);
            assert!(took <= bound, "{cell}: the call took {took:?}, more than {bound:?}");
            let got = outcome(result);
            let matches = match (&got, &want) {
                (Outcome::Ok(_), Outcome::Ok(None)) | (Outcome::Answer(200), Outcome::Ok(None)) => true,
                _ => got == want,
            };
            if !matches || token_requests != want_requests {
                failures.push(format!("{cell}: got {got:?} with {token_requests} token requests, want {want:?} with {want_requests}"));
            }
        }
    }
    assert!(failures.is_empty(), "{} cells failed:\n{}", failures.len(), failures.join("\n"));
}

/// Every form of `expires_in` a server may send, through every operation that yields a token:
/// strings and numbers are read as seconds (a fraction truncated), an absent or null one is
/// unknown (-1), and negative, non-numeric or absurd ones (over 100 years) are protocol errors.
#[test]
fn every_form_of_expires_in() {
    let forms: [(Value, Result<i64, Status>); 14] = [
        (json!("359999"), Ok(359_999)),
        (json!(" 600 "), Ok(600)),
        (json!(600), Ok(600)),
        (json!("3.5"), Ok(3)),
        (json!(3.5), Ok(3)),
        (json!(0), Ok(0)),
        (Value::Null, Ok(-1)),
        (json!(-5), Err(Status::Protocol)),
        (json!("-5"), Err(Status::Protocol)),
        (json!(1e30), Err(Status::Protocol)),
        (json!("1e30"), Err(Status::Protocol)),
        (json!("soon"), Err(Status::Protocol)),
        (json!(""), Err(Status::Protocol)),
        (json!(true), Err(Status::Protocol)),
    ];
    let mock = MockServer::start().unwrap();
    let mut failures = Vec::new();
    for op in [Op::Password, Op::ClientCredentials, Op::AuthorizationCode, Op::Refresh, Op::GetToken, Op::Request] {
        for (form, want) in &forms {
            mock.reset();
            let auth = cell_client(&mock, None, &[]);
            // The raw JSON text put verbatim as the value; JSON null omits the field.
            let raw = if form.is_null() { Value::Null } else { Value::String(form.to_string()) };
            let arm = || mock.configure(json!({ "expires_in_json": raw })).unwrap();
            let (result, took, _) = run_cell(&mock, &auth, op, &arm);
            assert!(took <= Duration::from_millis(TIMEOUT_MS + 1_000), "{op:?} × expires_in {form}: took {took:?}");
            let got = match (&result, op) {
                (Ok(Outcome::Ok(Some(n))), _) => Ok(*n),
                (Ok(Outcome::Answer(200)), Op::Request) => Ok(auth.get_token().map_or(i64::MIN, |t| t.expires_in())),
                (Ok(o), _) => {
                    failures.push(format!("{op:?} × expires_in {form}: unexpected {o:?}"));
                    continue;
                }
                (Err(e), _) => Err(e.status()),
            };
            // A request checks what the managed token holds; expires_in 0 or unknown is renewed
            // on each use, so only check that the call worked.
            let ok = match (op, want) {
                (Op::Request | Op::GetToken, Ok(n)) if *n <= 0 => got.is_ok(),
                _ => got == *want,
            };
            if !ok {
                failures.push(format!("{op:?} × expires_in {form}: got {got:?}, want {want:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "{} cells failed:\n{}", failures.len(), failures.join("\n"));
}
