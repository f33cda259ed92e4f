//! One failing renewal, many waiting processes: the helpers of the "no stampede on failure" tests
//! of the file cache (`tests/cache_failures.rs`) and the Redis cache (`tests/redis.rs`).
//!
//! The test holds the cache's lock itself, starts several worker processes (this test binary again,
//! running only its ignored `failing_renewal_worker` test) whose threads all ask for a token, waits
//! until each worker says its renewing thread is waiting for the lock (it prints `WAITING` when the
//! library logs so), and only then lets the lock go. The first worker to take it makes the one
//! token request, which fails; every other worker must answer that error without a request of its
//! own. Nothing depends on timing: the order comes from the lock and the log.
#![allow(dead_code)]

use crate::common::*;
use serde_json::json;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tpauth::{Auth, Status};

/// The failures a renewal can meet: a 503, a network error, a 429 (with Retry-After: a cooldown)
/// and `invalid_grant` (a refused password).
pub const FAILURES: [&str; 4] = ["503", "network", "429", "invalid_grant"];

/// Make the mock's token endpoint fail the way `failure` names, for every request.
pub fn arm(mock: &MockServer, failure: &str) {
    match failure {
        "503" => mock.fault(Fault::new(FaultKind::ServiceUnavailable).count(1000)),
        "network" => mock.fault(Fault::new(FaultKind::Reset).count(1000)),
        "429" => mock.fault(Fault::new(FaultKind::TooManyRequests).retry_after("30").count(1000)),
        "invalid_grant" => mock.configure(json!({"password": "not-the-password-the-clients-know"})).unwrap(),
        _ => unreachable!("{failure}"),
    }
}

/// The status every caller must get for `failure`.
pub fn expected_status(failure: &str) -> Status {
    match failure {
        "503" => Status::Http,
        "network" => Status::Network,
        "429" => Status::RateLimited,
        "invalid_grant" => Status::InvalidGrant,
        _ => unreachable!("{failure}"),
    }
}

/// The worker's body: `W_MOCK`, `W_CACHE`, `W_OPTS` (k=v,…), `W_THREADS`. Prints `WAITING` once
/// this process waits for the cache lock, then one `OUTCOME …` line per thread.
pub fn failing_renewal_worker() {
    let var = |n: &str| std::env::var(n).unwrap_or_else(|_| panic!("{n}: this test is a worker process; run the cache tests instead"));
    tpauth::log::set_logger(Some(Box::new(|_, msg| {
        if msg.contains("holds the lock") {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "WAITING");
            let _ = out.flush();
        }
    })));
    let mut cfg = tpauth::Config::new(KEY, SECRET).unwrap();
    cfg.set("api_base_url", &var("W_MOCK")).unwrap();
    cfg.set("allow_insecure_http", "true").unwrap();
    cfg.set("username", USER).unwrap();
    cfg.set("password", PASSWORD).unwrap();
    cfg.set("max_retries", "0").unwrap();
    cfg.set("token_cache", &var("W_CACHE")).unwrap();
    for kv in var("W_OPTS").split(',').filter(|s| !s.is_empty()) {
        let (k, v) = kv.split_once('=').unwrap();
        cfg.set(k, v).unwrap();
    }
    let auth = Auth::new(&cfg).unwrap();
    let threads: usize = var("W_THREADS").parse().unwrap();
    let barrier = std::sync::Barrier::new(threads);
    let outcomes: Vec<String> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    match auth.get_token() {
                        Ok(_) => "OUTCOME ok".to_owned(),
                        Err(e) => format!("OUTCOME {:?} http={} code={}", e.status(), e.http_status(), e.oauth_code().unwrap_or("-")),
                    }
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut out = std::io::stdout().lock();
    for o in outcomes {
        let _ = writeln!(out, "{o}");
    }
}

/// Run `procs` workers of `threads` threads on `cache` while the test holds the lock (`hold()`
/// takes it and returns what releases it when dropped); release it once every worker waits.
/// Returns every thread's outcome line.
pub fn run_failing_renewal<G>(
    mock: &MockServer,
    cache: &str,
    opts: &str,
    procs: usize,
    threads: usize,
    hold: impl FnOnce() -> G,
) -> Vec<String> {
    let guard = hold();
    let exe = std::env::current_exe().unwrap();
    let (tx, rx) = mpsc::channel::<(usize, String)>();
    let mut children = Vec::new();
    for i in 0..procs {
        let mut child = Command::new(&exe)
            .args(["failing_renewal_worker", "--exact", "--ignored", "--nocapture", "--test-threads=1", "-q"])
            .env("W_MOCK", mock.url())
            .env("W_CACHE", cache)
            .env("W_OPTS", opts)
            .env("W_THREADS", threads.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn a worker process");
        let out = child.stdout.take().unwrap();
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send((i, line));
            }
        });
        children.push(child);
    }
    drop(tx);
    let mut waiting = vec![false; procs];
    let mut outcomes = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !waiting.iter().all(|w| *w) {
        let (i, line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())).expect("every worker waits for the lock");
        if line == "WAITING" {
            waiting[i] = true;
        } else if line.starts_with("OUTCOME") {
            outcomes.push(line);
        }
    }
    assert_eq!(mock.stats().token_requests, 0, "nobody asked while the lock was held");
    drop(guard);
    for (_, line) in rx.iter() {
        if line.starts_with("OUTCOME") {
            outcomes.push(line);
        }
    }
    for mut c in children {
        assert!(c.wait().unwrap().success(), "a worker failed");
    }
    assert_eq!(outcomes.len(), procs * threads, "{outcomes:?}");
    outcomes
}

/// Every outcome is the same typed error for `failure`, and the mock saw one token request.
pub fn assert_one_request_one_error(mock: &MockServer, failure: &str, outcomes: &[String]) {
    let first = &outcomes[0];
    let status = format!("OUTCOME {:?} ", expected_status(failure));
    assert!(first.starts_with(&status), "{failure}: expected {status}…, got {outcomes:?}");
    assert!(outcomes.iter().all(|o| o == first), "{failure}: every waiter gets the same error: {outcomes:?}");
    assert_eq!(mock.stats().token_requests, 1, "{failure}: one token request for every process and thread: {outcomes:?}");
}
