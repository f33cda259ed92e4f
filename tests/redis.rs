//! The Redis token cache against real `redis-server`s: the plain and TLS servers
//! `tests/redis/run.sh` starts (named in `TPAUTH_TEST_REDIS_URL`, `TPAUTH_TEST_REDISS_URL`), and the
//! topologies the tests start themselves with `TPAUTH_TEST_REDIS_SERVER` / `_CLI` and the TLS files
//! (`TPAUTH_TEST_REDIS_CA`, `_CERT`, `_KEY`): a private server stopped and restarted, Redis Clusters
//! of three masters with one replica each, a master with a replica and three Sentinels. Without
//! them every test here fails and says to run that script: this target is left out of the plain
//! `cargo test` run.
//!
//! "Hosts" are separate processes (this binary re-run with only the ignored `worker` test), each
//! with its own in-process token and its own fallback file: only Redis connects them.

mod common;
#[path = "common/cross_process.rs"]
mod cross_process;
#[path = "common/redis_env.rs"]
mod redis_env;

use common::*;
use redis_env::*;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tpauth::{Auth, Status, Token};

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64
}

fn redis_url(db: u32) -> String {
    with_db(&env("TPAUTH_TEST_REDIS_URL"), db)
}

fn redis_password() -> String {
    redis_password_of(&env("TPAUTH_TEST_REDIS_URL"))
}

fn redis_password_of(url: &str) -> String {
    let userinfo = url.split("://").nth(1).unwrap().split('@').next().unwrap();
    userinfo.trim_start_matches(':').to_owned()
}

/// Every log line of this process (the callback is process-wide; tests share it).
fn log_lines() -> &'static Mutex<Vec<String>> {
    static LINES: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    LINES.get_or_init(|| {
        tpauth::log::set_logger(Some(Box::new(|level, msg| {
            if let Some(l) = LINES.get() {
                l.lock().unwrap().push(format!("{level:?} {msg}"));
            }
        })));
        Mutex::new(Vec::new())
    })
}

fn logs() -> String {
    log_lines().lock().unwrap().join("\n")
}

fn assert_no_secret(text: &str, extra: &[&str]) {
    for s in [PASSWORD, SECRET].iter().chain(extra) {
        assert!(!s.is_empty() && !text.contains(s), "a secret ({s:?}) in:\n{text}");
    }
}

/// The Redis key of the password identity on `mock` (the contract's `tpauth:{<cache key>}`).
fn entry_key_of(mock: &MockServer) -> String {
    format!("tpauth:{{{}}}", identity_key(&mock.url(), KEY, "Password", USER, SECRET, PASSWORD))
}

/// What a hammering run saw.
#[derive(Default)]
struct Hammered {
    calls: usize,
    /// Unix ms of the first token received.
    first_ms: i64,
    /// Calls that failed with a tolerated status.
    tolerated: usize,
    /// Microseconds of each call that returned another token than the caller's previous one: the
    /// calls at the expiry instants.
    at_expiry_us: Vec<u64>,
}

/// `threads` callers of `get_token` (and, unless `no_api`, every 50th call `request`) until
/// `end_ms`, or with `end_ms` 0 until each has seen a token of an hour or more (the last of the
/// mock's expires_in_schedule) and made 50 calls more; no token may have expired before the caller
/// asked, and every call must succeed but for the `tolerate`d statuses.
fn hammer(auths: &[Auth], threads: usize, end_ms: i64, tolerate: &[Status], no_api: bool) -> Hammered {
    let calls = Arc::new(AtomicUsize::new(0));
    let tolerated = Arc::new(AtomicUsize::new(0));
    let first = Arc::new(Mutex::new(i64::MAX));
    let lat = Arc::new(Mutex::new(Vec::new()));
    let barrier = Arc::new(Barrier::new(threads));
    std::thread::scope(|s| {
        for i in 0..threads {
            let auth = auths[i % auths.len()].clone();
            let (calls, tolerated, first, lat, barrier) = (calls.clone(), tolerated.clone(), first.clone(), lat.clone(), barrier.clone());
            s.spawn(move || {
                barrier.wait();
                let (mut n, mut after) = (0, 0);
                let mut previous: Option<String> = None;
                while if end_ms == 0 { after < 50 } else { now_ms() < end_ms } {
                    let asked = now_ms();
                    let t0 = Instant::now();
                    let tok = match auth.get_token() {
                        Ok(t) => t,
                        Err(e) if tolerate.contains(&e.status()) => {
                            tolerated.fetch_add(1, Ordering::Relaxed);
                            std::thread::sleep(Duration::from_millis(5));
                            continue;
                        }
                        Err(e) => panic!("get_token: {e}"),
                    };
                    let took = t0.elapsed();
                    let now = now_ms();
                    assert!(tok.expires_at_ms() > asked, "a caller received a token that had expired before it asked");
                    if previous.as_deref() != Some(tok.access_token()) {
                        if previous.is_some() {
                            lat.lock().unwrap().push(took.as_micros() as u64);
                        }
                        previous = Some(tok.access_token().to_owned());
                    }
                    if tok.expires_in() >= 3600 {
                        after += 1;
                    }
                    {
                        let mut f = first.lock().unwrap();
                        *f = (*f).min(now);
                    }
                    if !no_api && n % 50 == 0 {
                        let resp = auth.request("GET", "/v1/x", None, None).unwrap_or_else(|e| panic!("request: {e}"));
                        assert_eq!(resp.status(), 200);
                    }
                    n += 1;
                    std::thread::sleep(Duration::from_millis(if no_api { 5 } else { 2 }));
                }
                calls.fetch_add(n, Ordering::Relaxed);
            });
        }
    });
    let first_ms = *first.lock().unwrap();
    let at_expiry_us = std::mem::take(&mut *lat.lock().unwrap());
    Hammered { calls: calls.load(Ordering::Relaxed), first_ms, tolerated: tolerated.load(Ordering::Relaxed), at_expiry_us }
}

/// One "host" (see `spawn_host`): a client of its own on `W_MOCK`, `W_CACHE` and `W_OPTS`,
/// `W_THREADS` threads hammering from `W_START_MS` to `W_END_MS` (unix ms); `W_TOLERATE` lists
/// statuses counted rather than failed (`Timeout`), `W_NO_API` drops the API calls. Its fallback
/// file is its own (one per host) unless `W_OPTS` names one. Prints `WAITING` when it waits for a
/// lock another host holds, `TRYAGAIN` when Redis said the identity's slot is being migrated.
#[test]
#[ignore = "a host process the multi-host tests spawn (run through them)"]
fn worker() {
    let var = |n: &str| std::env::var(n).unwrap_or_else(|_| panic!("{n}: this test is a worker process; run the Redis tests instead"));
    let verbose = std::env::var("TPAUTH_TEST_WORKER_LOG").is_ok();
    tpauth::log::set_logger(Some(Box::new(move |level, msg| {
        if msg.contains("holds the lock") {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "WAITING");
            let _ = out.flush();
        }
        // A lock or write script answered "wait, the slot is being migrated".
        if msg.to_ascii_lowercase().contains("tryagain") {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "TRYAGAIN");
            let _ = out.flush();
        }
        if verbose {
            eprintln!("[host {} {}ms] {level:?} {msg}", std::process::id(), now_ms() % 100_000);
        }
    })));
    let mut cfg = tpauth::Config::new(KEY, SECRET).unwrap();
    let mock = var("W_MOCK");
    cfg.set("api_base_url", &mock).unwrap();
    cfg.set("allow_insecure_http", "true").unwrap();
    cfg.set("username", USER).unwrap();
    cfg.set("password", PASSWORD).unwrap();
    cfg.set("token_cache", &var("W_CACHE")).unwrap();
    let own = std::env::temp_dir().join(format!("tpauth-test-host-{}", std::process::id()));
    std::fs::create_dir_all(&own).unwrap();
    cfg.set("cache_fallback_file", own.join("fallback.json").to_str().unwrap()).unwrap();
    for kv in var("W_OPTS").split(',').filter(|s| !s.is_empty()) {
        let (k, v) = kv.split_once('=').unwrap();
        cfg.set(k, v).unwrap();
    }
    let tolerate: Vec<Status> = std::env::var("W_TOLERATE")
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| *Status::ALL.iter().find(|st| format!("{st:?}") == s).expect("a status name"))
        .collect();
    let auth = Auth::new(&cfg).unwrap();
    let threads: usize = var("W_THREADS").parse().unwrap();
    let start: i64 = var("W_START_MS").parse().unwrap();
    let end: i64 = var("W_END_MS").parse().unwrap();
    std::thread::sleep(Duration::from_millis((start - now_ms()).max(0) as u64));
    let h = hammer(&[auth], threads, end, &tolerate, std::env::var("W_NO_API").is_ok());
    let _ = std::fs::remove_dir_all(&own);
    let mut out = std::io::stdout().lock();
    let lat: Vec<String> = h.at_expiry_us.iter().map(u64::to_string).collect();
    let _ = writeln!(out, "LAT {}", lat.join(" "));
    let _ = writeln!(out, "RESULT calls={} first_ms={} tolerated={} pid={}", h.calls, h.first_ms, h.tolerated, std::process::id());
}

/// A worker process of the cross-process failure tests (run through them).
#[test]
#[ignore = "a process the cross-process tests spawn (run through them)"]
fn failing_renewal_worker() {
    cross_process::failing_renewal_worker();
}

fn worker_vars(mock: &MockServer, cache: &str, opts: &str, threads: usize, start: i64, end: i64) -> Vec<(&'static str, String)> {
    vec![
        ("W_MOCK", mock.url()),
        ("W_CACHE", cache.to_owned()),
        ("W_OPTS", opts.to_owned()),
        ("W_THREADS", threads.to_string()),
        ("W_START_MS", start.to_string()),
        ("W_END_MS", end.to_string()),
    ]
}

/// `hosts` processes of `threads` threads on `cache` over the mock's lifetimes `schedule` (the
/// last one an hour): every call succeeds, and the mock sees exactly one token request per
/// lifetime.
fn one_request_per_lifetime(cache: &str, hosts: usize, threads: usize, schedule: &[u64]) {
    let mock = MockServer::start().unwrap();
    // Lifetimes from the mock (not a run deadline): short tokens renewed 1 s ahead, then one of an
    // hour: one token request per lifetime, however the hosts are scheduled.
    mock.configure(json!({ "expires_in_schedule": schedule })).unwrap();
    let start = now_ms() + 1500; // room to start the processes
    let procs: Vec<_> = (0..hosts).map(|_| spawn_host(&worker_vars(&mock, cache, "refresh_leeway_s=1", threads, start, 0))).collect();
    for (ok, fields, _) in procs.into_iter().map(Host::finish) {
        assert!(ok, "a host failed (a call errored or got an expired token): {fields:?}");
        assert!(fields["calls"] >= threads as i64 * 50, "{fields:?}");
    }
    let s = mock.stats();
    let lifetimes = schedule.len() as u64;
    assert_eq!(s.token_requests, lifetimes, "{hosts} hosts x {threads} threads over {lifetimes} lifetimes: {s:?}");
    assert_eq!((s.grants.password, s.grants.refresh_token), (1, lifetimes - 1), "{s:?}");
}

#[test]
fn four_hosts_of_eight_threads_make_one_token_request_per_lifetime() {
    let url = redis_url(1);
    one_request_per_lifetime(&url, 4, 8, &[2, 2, 3600]);
    // The token lives in Redis: a fifth host starting now makes no token request.
    let mock_less = keys(&url, "tpauth:*");
    assert_eq!(mock_less.len(), 1, "one entry, every lock released: {mock_less:?}");
    assert!(mock_less[0].starts_with("tpauth:{") && mock_less[0].ends_with('}'), "{mock_less:?}");
}

#[test]
fn a_lock_holder_killed_mid_renewal_is_replaced_after_the_lock_ttl() {
    let url = redis_url(2);
    let mock = MockServer::start().unwrap();
    mock.configure(json!({"expires_in": 3, "rotate_refresh_token": false})).unwrap();
    // timeout_ms bounds each wait for the lock (the shorter of it and cache_lock_ttl_ms): 1.5 s.
    let opts = "refresh_leeway_s=1,cache_lock_ttl_ms=1500";
    // Host A alone: its first token (0 s), then its renewal ahead of expiry (2 s) hangs at the mock.
    let mut a = spawn_host(&worker_vars(&mock, &url, opts, 1, 0, now_ms() + 60_000));
    wait_until("host A has its first token", || mock.stats().grants.password >= 1);
    mock.configure(json!({"expires_in": 60})).unwrap();
    mock.fault(Fault::new(FaultKind::Slow).delay_ms(30_000));
    let mut lock = String::new();
    wait_until("host A holds the lock", || match keys(&url, "tpauth:*:lock").pop() {
        Some(k) => {
            lock = k;
            true
        }
        None => false,
    });
    // Hosts B and C arrive while A renews: each wait for the lock ends after 1.5 s with
    // TP_ERR_TIMEOUT and no token request; their callers ask again.
    let start = now_ms();
    let others: Vec<_> = (0..2)
        .map(|_| {
            let mut v = worker_vars(&mock, &url, opts, 4, start, start + 8000);
            v.push(("W_TOLERATE", "Timeout".into()));
            spawn_host(&v)
        })
        .collect();
    // A lives for two lock TTLs: its watchdog keeps the lock, nobody else renews.
    let mut others = others;
    wait_until("both waiting hosts wait for A's lock", || others.iter_mut().all(|h| h.printed("WAITING")));
    std::thread::sleep(Duration::from_millis(3000));
    assert_eq!(keys(&url, &lock), vec![lock.clone()], "a live holder keeps its lock past the TTL");
    assert_eq!(mock.stats().token_requests, 2, "nobody renews while the holder lives");
    let pttl: i64 = redis::cmd("PTTL").arg(&lock).query(&mut raw(&url)).unwrap();
    a.kill(); // SIGKILL, as a crash or the OOM killer would
    let killed_ms = now_ms();
    for (ok, fields, _) in others.into_iter().map(Host::finish) {
        assert!(ok, "a waiting host failed (an error other than TP_ERR_TIMEOUT, or an expired token): {fields:?}");
        assert!(fields["tolerated"] >= 1, "a wait for a held lock ends in TP_ERR_TIMEOUT: {fields:?}");
        assert!(
            fields["first_ms"] >= killed_ms + pttl - 50,
            "a host got a token {} ms after the kill, before the dead holder's lock expired ({pttl} ms left): {fields:?}",
            fields["first_ms"] - killed_ms
        );
    }
    let _ = a.finish();
    let s = mock.stats();
    assert_eq!(s.token_requests, 3, "A's grant, A's hung renewal, then one renewal for B and C: {s:?}");
}

/// A lock held by anyone (a stuck process, a stranger) makes get_token fail with TP_ERR_TIMEOUT
/// after the shorter of timeout_ms and cache_lock_ttl_ms, without a token request.
#[test]
fn a_held_redis_lock_is_waited_for_within_the_limit_then_timeout() {
    let url = redis_url(5);
    let mock = MockServer::start().unwrap();
    let lock = format!("{}:lock", entry_key_of(&mock));
    redis::cmd("SET").arg(&lock).arg("someone-else").arg("PX").arg(120_000).query::<()>(&mut raw(&url)).unwrap();
    for (opts, limit) in [(vec![("timeout_ms", "1000")], 1000), (vec![("cache_lock_ttl_ms", "500")], 500)] {
        let mut all = vec![("token_cache", url.as_str()), ("cache_fallback_file", "none")];
        all.extend(opts);
        let auth = password_client(&mock, &all);
        let (tx, rx) = std::sync::mpsc::channel();
        let t0 = Instant::now();
        std::thread::spawn(move || tx.send(auth.get_token()));
        let got = rx.recv_timeout(Duration::from_secs(10)).expect("get_token returned (no endless wait for the lock)");
        let took = t0.elapsed();
        let err = got.unwrap_err();
        assert_eq!(err.status(), Status::Timeout, "{err}");
        assert!(err.message().contains("another process has held the lock"), "{err}");
        assert!(took >= Duration::from_millis(limit) && took < Duration::from_millis(limit + 1500), "{took:?} for a limit of {limit} ms");
    }
    assert_eq!(mock.stats().token_requests, 0, "no token request while another holds the lock");
}

#[test]
fn redis_stopped_mid_run_and_restarted_fails_no_call() {
    log_lines();
    let mut server = RedisServer::start("restart-pw-9f3a");
    let url = server.url(0);
    let mock = MockServer::start().unwrap();
    mock.configure(json!({"expires_in": 2})).unwrap();
    let dir = temp_dir("restart");
    let fallback = dir.join("fallback.json");
    let opts = [
        ("token_cache", url.as_str()),
        ("refresh_leeway_s", "1"),
        ("cache_timeout_ms", "300"),
        ("cache_fallback_file", fallback.to_str().unwrap()),
    ];
    let auths: Vec<Auth> = (0..2).map(|_| password_client(&mock, &opts)).collect();
    // Redis is down from 1.5 s to 4 s; the reconnect backoff (0.5, 1, 2 s by then) brings it back
    // by ~5.5 s, and the renewals (every second) after that write to it again before 8 s.
    let end = now_ms() + 8000;
    let h = std::thread::scope(|s| {
        let run = s.spawn(|| hammer(&auths, 8, end, &[], false));
        std::thread::sleep(Duration::from_millis(1500));
        assert!(!keys(&url, "tpauth:*").is_empty(), "the token is in Redis before the outage");
        server.stop();
        let t = Instant::now();
        auths[0].get_token().unwrap(); // served from memory, no stall
        assert!(t.elapsed() < Duration::from_millis(500), "a dead Redis stalled get_token beyond cache_timeout_ms");
        std::thread::sleep(Duration::from_millis(2500));
        server.restart(); // empty: no persistence
        run.join().unwrap()
    });
    assert!(h.calls > 100);
    // Back in use: the renewals after the restart wrote the token to the new, empty server.
    let stored = keys(&url, "tpauth:*");
    assert_eq!(stored, vec![entry_key_of(&mock)], "the token is in Redis again after the restart");
    assert!(fallback.exists(), "the outage went to the host's fallback file");
    let log = logs();
    assert!(log.contains("Redis is unavailable"), "{log}");
    assert!(log.contains("Redis is available again"), "{log}");
    assert_no_secret(&log, &["restart-pw-9f3a"]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Redis unreachable: the processes of one host share the fallback file, one lock and one token,
/// so the host makes one token request per lifetime (with cache_fallback_file=none each would make
/// its own).
#[test]
fn while_redis_is_unreachable_a_host_makes_one_request_per_lifetime() {
    let dir = temp_dir("fallback");
    let fallback = dir.join("host.json");
    let url = format!("redis://:pw@127.0.0.1:{}/0", free_port()); // nothing listens there
    let mock = MockServer::start().unwrap();
    mock.configure(json!({"expires_in_schedule": [2, 2, 3600]})).unwrap();
    let opts = format!("refresh_leeway_s=1,cache_timeout_ms=200,cache_fallback_file={}", fallback.display());
    let start = now_ms() + 1500;
    let procs: Vec<_> = (0..4).map(|_| spawn_host(&worker_vars(&mock, &url, &opts, 4, start, 0))).collect();
    for (ok, fields, _) in procs.into_iter().map(Host::finish) {
        assert!(ok, "{fields:?}");
    }
    let s = mock.stats();
    assert_eq!(s.token_requests, 3, "4 processes of one host over three lifetimes: {s:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn rediss_with_the_test_ca_through_ca_file() {
    log_lines();
    let url = env("TPAUTH_TEST_REDISS_URL");
    let ca = env("TPAUTH_TEST_REDIS_CA");
    assert!(url.starts_with("rediss://"));
    let mock = MockServer::start().unwrap();
    let a = password_client(&mock, &[("token_cache", &url), ("ca_file", &ca)]);
    let tok = a.get_token().unwrap();
    let b = password_client(&mock, &[("token_cache", &url), ("ca_file", &ca)]);
    assert_eq!(b.get_token().unwrap().access_token(), tok.access_token(), "the second client reads the token over TLS");
    assert_eq!(mock.stats().token_requests, 1);
    // Without the test CA the server's certificate is not trusted: a Store error at creation.
    let err = Auth::new(&config(&mock, &[("username", USER), ("password", PASSWORD), ("token_cache", &url)])).unwrap_err();
    assert_eq!(err.status(), Status::Store, "{err}");
    assert!(err.message().contains("set ca_file") && err.message().contains(&tpauth_redacted(&url)), "{err}");
    assert_no_secret(err.message(), &[&redis_password_of(&url)]);
    assert_no_secret(&logs(), &[tok.access_token(), tok.refresh_token().unwrap(), &redis_password_of(&url)]);
}

/// The URL as the library shows it: no user or password.
fn tpauth_redacted(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let host = rest.rsplit_once('@').map(|(_, h)| h).unwrap_or(rest);
    format!("{scheme}://***@{host}")
}

#[test]
fn the_entry_is_the_token_with_its_generation_under_the_identitys_slot_key() {
    let url = redis_url(3);
    let mock = MockServer::start().unwrap();
    mock.configure(json!({"expires_in": 30})).unwrap();
    let auth = password_client(&mock, &[("token_cache", &url)]);
    let tok = auth.get_token().unwrap();
    let key = entry_key_of(&mock);
    assert_eq!(keys(&url, "tpauth:*"), vec![key.clone()], "one entry, at tpauth:{{<cache key>}}");
    for s in [KEY, USER, PASSWORD, SECRET] {
        assert!(!key.contains(s));
    }
    let mut c = raw(&url);
    let value: String = redis::cmd("GET").arg(&key).query(&mut c).unwrap();
    let entry: Value = serde_json::from_str(&value).unwrap();
    assert_eq!((entry["format"].as_str(), entry["generation"].as_u64()), (Some("tpauth-entry-1"), Some(1)), "{value}");
    assert_eq!(entry["token"].as_str(), Some(tok.to_json().as_str()), "the token as tp_token_to_json writes it");
    // It holds a refresh token: it outlives the access token by cache_refresh_ttl_s (30 days).
    let pttl: i64 = redis::cmd("PTTL").arg(&key).query(&mut c).unwrap();
    let month = 2_592_000_000;
    assert!((month + 27_000..=month + 30_000).contains(&pttl), "PTTL {pttl}");
    // Revoked: a tombstone of the next generation, so that no host writes the token back.
    auth.revoke(None).unwrap();
    let value: String = redis::cmd("GET").arg(&key).query(&mut c).unwrap();
    let entry: Value = serde_json::from_str(&value).unwrap();
    assert_eq!((entry["generation"].as_u64(), entry["token"].is_null()), (Some(2), true), "{value}");
    assert!(password_client(&mock, &[("token_cache", &url)]).get_token().unwrap().access_token() != tok.access_token());
}

#[test]
fn a_corrupt_entry_is_treated_as_empty_and_overwritten() {
    log_lines();
    let url = redis_url(4);
    let mock = MockServer::start().unwrap();
    password_client(&mock, &[("token_cache", &url)]).get_token().unwrap();
    let key = entry_key_of(&mock);
    let mut c = raw(&url);
    let old_layout = Token::from_response(r#"{"access_token":"planted","expires_in":"3600"}"#, None).unwrap().to_json();
    for corrupt in ["garbage{", r#"{"format":"tpauth-entry-1","generation":99}"#, "\u{0}\u{1}", old_layout.as_str()] {
        redis::cmd("SET").arg(&key).arg(corrupt).query::<()>(&mut c).unwrap();
        let fresh = password_client(&mock, &[("token_cache", &url)]);
        assert_ne!(fresh.get_token().unwrap().access_token(), "planted");
        let value: String = redis::cmd("GET").arg(&key).query(&mut c).unwrap();
        assert!(value.starts_with(r#"{"format":"tpauth-entry-1","generation":"#), "overwritten with an entry after {corrupt:?}: {value}");
    }
    // A key of another type (WRONGTYPE on GET) is no token either.
    redis::cmd("DEL").arg(&key).query::<()>(&mut c).unwrap();
    redis::cmd("HSET").arg(&key).arg("f").arg("v").query::<()>(&mut c).unwrap();
    password_client(&mock, &[("token_cache", &url)]).get_token().unwrap();
    let value: String = redis::cmd("GET").arg(&key).query(&mut c).unwrap();
    assert!(value.contains("tpauth-entry-1"));
    assert_eq!(mock.stats().token_requests, 6, "each corrupt entry cost one token request, no error");
    assert!(logs().contains("corrupt or foreign"), "{}", logs());
}

#[test]
fn a_wrong_password_is_a_store_error_without_the_password() {
    log_lines();
    let good = redis_url(0);
    let real = redis_password();
    let wrong = good.replacen(&real, "wr0ng-Pass-1234", 1);
    assert_ne!(wrong, good);
    let mock = MockServer::start().unwrap();
    let cfg = config(&mock, &[("username", USER), ("password", PASSWORD), ("token_cache", &wrong)]);
    let err = Auth::new(&cfg).unwrap_err();
    assert_eq!(err.status(), Status::Store, "{err}");
    assert!(err.message().contains("refused the credentials"), "{err}");
    assert!(err.message().contains("redis://***@127.0.0.1"), "{err}");
    assert_no_secret(err.message(), &["wr0ng-Pass-1234", &real]);
    assert_no_secret(&format!("{cfg:?}"), &["wr0ng-Pass-1234"]);
    let ok = Auth::new(&config(&mock, &[("username", USER), ("password", PASSWORD), ("token_cache", &good)])).unwrap();
    assert_no_secret(&format!("{ok:?}"), &[&real]);
    assert_no_secret(&logs(), &["wr0ng-Pass-1234", &real]);
}

#[test]
fn an_unreachable_redis_at_start_is_no_cache_and_no_stall() {
    log_lines();
    let port = free_port(); // nothing listens there
    let url = format!("redis://:unreach-pw-77@127.0.0.1:{port}/0");
    let mock = MockServer::start().unwrap();
    let t = Instant::now();
    let auth = password_client(&mock, &[("token_cache", &url), ("cache_timeout_ms", "300"), ("cache_fallback_file", "none")]);
    let tok = auth.get_token().unwrap();
    assert!(tok.expires_at_ms() > now_ms());
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    let log = logs();
    assert!(log.contains(&format!("token cache redis://***@127.0.0.1:{port}/0: connect: Redis is unavailable")), "{log}");
    assert_no_secret(&log, &["unreach-pw-77"]);
}

#[test]
fn the_options_are_validated() {
    let mut cfg = tpauth::Config::new(KEY, SECRET).unwrap();
    cfg.set("cache_lock_ttl_ms", "2500").unwrap();
    assert_eq!(cfg.set("cache_lock_ttl_ms", "5").unwrap_err().status(), Status::InvalidArgument);
    assert_eq!(cfg.set("cache_lock_ttl_ms", "x").unwrap_err().status(), Status::InvalidArgument);
    assert_eq!(cfg.set("cache_timeout_ms", "0").unwrap_err().status(), Status::InvalidArgument);
    assert_eq!(cfg.set("cache_refresh_ttl_s", "0").unwrap_err().status(), Status::InvalidArgument);
    let e = cfg.set("token_cache", "memcached://:pw-zz@h/0").and_then(|_| Auth::new(&cfg).map(|_| ())).unwrap_err();
    assert_eq!(e.status(), Status::InvalidArgument);
    assert!(!e.message().contains("pw-zz"), "{e}");
    // Plain redis:// to a host that is not loopback would carry the password and the tokens in
    // clear: refused unless allow_insecure_redis says the network is trusted.
    let mut cfg = tpauth::Config::new(KEY, SECRET).unwrap();
    cfg.set("token_cache", "redis://:pw-yy@192.0.2.10:6379/0").unwrap();
    let e = Auth::new(&cfg).unwrap_err();
    assert_eq!(e.status(), Status::InvalidArgument);
    assert!(e.message().contains("allow_insecure_redis") && e.message().contains("rediss://") && !e.message().contains("pw-yy"), "{e}");
    let e = cfg.set("token_cache", "rediss://:pw-yy@cache.internal/0#insecure").and_then(|_| Auth::new(&cfg).map(|_| ())).unwrap_err();
    assert!(e.message().contains("query or fragment") && !e.message().contains("pw-yy"), "{e}");
    // A missing password file is a configuration error at once.
    let mut cfg = tpauth::Config::new(KEY, SECRET).unwrap();
    cfg.set("token_cache", "redis://127.0.0.1:1/0").unwrap();
    cfg.set("cache_password_file", "/nonexistent/redis-password").unwrap();
    let e = Auth::new(&cfg).unwrap_err();
    assert!(e.status() == Status::InvalidArgument && e.message().contains("cache_password_file"), "{e}");
    // the variables of tp_config_from_env
    let env = |n: &str| match n {
        "TRUSTPILOT_API_KEY" => Some("k".to_owned()),
        "TRUSTPILOT_API_SECRET" => Some("s".to_owned()),
        "TRUSTPILOT_CACHE_LOCK_TTL_MS" => Some("abc".to_owned()),
        _ => None,
    };
    assert!(tpauth::Config::from_lookup(env).unwrap_err().message().contains("TRUSTPILOT_CACHE_LOCK_TTL_MS"));
}

// ---- hostile replies ---------------------------------------------------------------------------

/// A "Redis" that answers the handshake at once, then drips every other answer one byte every
/// 200 ms (a `$`-string of 100 bytes: 20 s in all).
fn dripping_redis() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in l.incoming().map_while(Result::ok) {
            std::thread::spawn(move || {
                let mut conn = conn;
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    // One command: an array of bulk strings; its name decides the answer.
                    let Some(cmd) = read_command(&mut conn, &mut buf, &mut chunk) else { return };
                    let name = cmd.first().map(|c| c.to_ascii_uppercase()).unwrap_or_default();
                    if [&b"AUTH"[..], b"SELECT", b"PING", b"HELLO", b"CLIENT"].contains(&name.as_slice()) {
                        let _ = conn.write_all(if name == b"PING" { b"+PONG\r\n" } else { b"+OK\r\n" });
                        continue;
                    }
                    let answer = format!("${}\r\n{}\r\n", 100, "x".repeat(100));
                    for b in answer.bytes() {
                        if conn.write_all(&[b]).is_err() {
                            return;
                        }
                        std::thread::sleep(Duration::from_millis(200));
                    }
                }
            });
        }
    });
    port
}

fn read_command(conn: &mut std::net::TcpStream, buf: &mut Vec<u8>, chunk: &mut [u8]) -> Option<Vec<Vec<u8>>> {
    loop {
        if let Some((cmd, used)) = parse_command(buf) {
            buf.drain(..used);
            return Some(cmd);
        }
        let n = conn.read(chunk).ok().filter(|n| *n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn parse_command(b: &[u8]) -> Option<(Vec<Vec<u8>>, usize)> {
    let line =
        |at: usize| b[at..].windows(2).position(|w| w == b"\r\n").map(|p| (std::str::from_utf8(&b[at + 1..at + p]).ok(), at + p + 2));
    let (n, mut at) = line(0)?;
    let n: usize = n?.parse().ok()?;
    let mut parts = Vec::new();
    for _ in 0..n {
        let (len, start) = line(at)?;
        let len: usize = len?.parse().ok()?;
        if b.len() < start + len + 2 {
            return None;
        }
        parts.push(b[start..start + len].to_vec());
        at = start + len + 2;
    }
    Some((parts, at))
}

/// A reply dripped a byte at a time costs each caller its deadline (cache_timeout_ms per step),
/// never the whole drip, and no other thread waits behind it.
#[test]
fn a_dripping_reply_costs_the_caller_its_deadline_only() {
    log_lines();
    let port = dripping_redis();
    let mock = MockServer::start().unwrap();
    let url = format!("redis://:drip-pw@127.0.0.1:{port}/0");
    let auths: Vec<Auth> = (0..2)
        .map(|_| password_client(&mock, &[("token_cache", &url), ("cache_timeout_ms", "300"), ("cache_fallback_file", "none")]))
        .collect();
    let t0 = Instant::now();
    std::thread::scope(|s| {
        for a in &auths {
            s.spawn(move || a.get_token().unwrap());
        }
    });
    let took = t0.elapsed();
    assert!(took < Duration::from_millis(2500), "two callers on a dripping Redis took {took:?} (a 20 s drip)");
    assert_eq!(mock.stats().token_requests, 2, "each went on without the cache");
    assert!(logs().contains("timed out after 300 ms (cache_timeout_ms)"), "{}", logs());
}

/// A worker that reports its peak memory before and after reading an identity whose Redis entry
/// is a huge foreign value (run through the test below).
#[test]
#[ignore = "a process the oversized-value test spawns (run through it)"]
fn oversize_worker() {
    let var = |n: &str| std::env::var(n).unwrap();
    let hwm = || {
        let s = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = s.lines().find(|l| l.starts_with("VmHWM:")).unwrap().to_owned();
        line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap()
    };
    let mut cfg = tpauth::Config::new(KEY, SECRET).unwrap();
    for (k, v) in
        [("api_base_url", var("W_MOCK")), ("allow_insecure_http", "true".into()), ("username", USER.into()), ("password", PASSWORD.into())]
    {
        cfg.set(k, &v).unwrap();
    }
    cfg.set("token_cache", &var("W_CACHE")).unwrap();
    cfg.set("cache_fallback_file", "none").unwrap();
    // Time enough to read all of it, were it sent: the limit must be the size bound, not the clock.
    cfg.set("cache_timeout_ms", "30000").unwrap();
    let auth = Auth::new(&cfg).unwrap();
    let before = hwm();
    auth.get_token().unwrap();
    println!("RESULT before_kb={before} after_kb={}", hwm());
}

/// A value far beyond the cache's bound (4 MiB) at the entry's key is never transferred: the
/// read script answers "too large" on the server, so the client's memory does not grow with it.
#[test]
fn an_oversized_value_never_reaches_the_client() {
    let url = redis_url(6);
    let mock = MockServer::start().unwrap();
    let key = entry_key_of(&mock);
    let huge = vec![b'x'; 64 << 20];
    redis::cmd("SET").arg(&key).arg(&huge[..]).query::<()>(&mut raw(&url)).unwrap();
    drop(huge);
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args(["oversize_worker", "--exact", "--ignored", "--nocapture", "--test-threads=1", "-q"])
        .env("W_MOCK", mock.url())
        .env("W_CACHE", &url)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    let line = text.lines().find(|l| l.starts_with("RESULT")).unwrap();
    let kb = |name: &str| line.split_whitespace().find_map(|kv| kv.strip_prefix(name)).unwrap().parse::<u64>().unwrap();
    let grew = kb("after_kb=") - kb("before_kb=");
    assert!(grew < 16 * 1024, "the client's peak memory grew by {grew} KiB reading a 64 MiB value");
    assert_eq!(mock.stats().token_requests, 1, "the foreign value is no token: renewed");
    let value: Vec<u8> = redis::cmd("GET").arg(&key).query(&mut raw(&url)).unwrap();
    assert!(value.starts_with(br#"{"format":"tpauth-entry-1""#), "and overwritten");
}

// ---- the secret binding and the previous layout ------------------------------------------------

/// The right API key with a wrong secret finds nothing in Redis: it gets the server's
/// invalid_client, as without a cache (and cannot plant a token the owner would use).
#[test]
fn a_wrong_secret_finds_no_cached_token_in_redis() {
    let url = redis_url(7);
    let mock = MockServer::start().unwrap();
    let owner = password_client(&mock, &[("token_cache", &url)]);
    let tok = owner.get_token().unwrap();
    let mut cfg = tpauth::Config::new(KEY, "not-the-secret").unwrap();
    for (k, v) in
        [("api_base_url", mock.url()), ("allow_insecure_http", "true".into()), ("username", USER.into()), ("password", PASSWORD.into())]
    {
        cfg.set(k, &v).unwrap();
    }
    cfg.set("token_cache", &url).unwrap();
    let err = Auth::new(&cfg).unwrap().get_token().unwrap_err();
    assert_eq!(err.oauth_code(), Some("invalid_client"), "{err}");
    assert!(!err.message().contains(tok.access_token()));
    assert_eq!(password_client(&mock, &[("token_cache", &url)]).get_token().unwrap().access_token(), tok.access_token());
}

/// The previous release's entry (`tpauth:<sha256 of host, key, grant, user>`, no secret) is read
/// once and moved through a refresh with its refresh token: never served, removed afterwards; a
/// wrong secret's attempt learns nothing and leaves it for the owner.
#[test]
fn the_previous_layouts_entry_is_moved_through_a_refresh_never_served() {
    let url = redis_url(8);
    let mock = MockServer::start().unwrap();
    let old = password_client(&mock, &[]).get_token().unwrap();
    let legacy = format!("tpauth:{}", legacy_identity_key(&mock.url(), KEY, "None", ""));
    let mut c = raw(&url);
    redis::cmd("SET").arg(&legacy).arg(old.to_json()).query::<()>(&mut c).unwrap();
    let mut cfg = tpauth::Config::new(KEY, "not-the-secret").unwrap();
    for (k, v) in
        [("api_base_url", mock.url()), ("allow_insecure_http", "true".into()), ("grant", "none".into()), ("token_cache", url.clone())]
    {
        cfg.set(k, &v).unwrap();
    }
    let err = Auth::new(&cfg).unwrap().get_token().unwrap_err();
    assert_eq!(err.oauth_code(), Some("invalid_client"), "{err}");
    assert_eq!(keys(&url, &legacy), vec![legacy.clone()], "left for its owner");
    let before = mock.stats().grants.refresh_token;
    let owner = client(&mock, &[("grant", "none"), ("token_cache", &url)]);
    let moved = owner.get_token().unwrap();
    assert_ne!(moved.access_token(), old.access_token(), "the old entry's access token is never served");
    assert_eq!(mock.stats().grants.refresh_token, before + 1);
    assert!(keys(&url, &legacy).is_empty(), "the old entry is removed once moved");
    let new_key = format!("tpauth:{{{}}}", identity_key(&mock.url(), KEY, "None", "", SECRET, ""));
    assert_eq!(keys(&url, &new_key), vec![new_key.clone()]);
    assert_eq!(client(&mock, &[("grant", "none"), ("token_cache", &url)]).get_token().unwrap().access_token(), moved.access_token());
}

// ---- fenced writes, the stale refresh token, healing -------------------------------------------

/// A holder whose lock was lost (a pause past its TTL, a failover) and that finishes its renewal
/// after another host stored a newer token loses the compare-and-set: the newer entry stays, and
/// the late holder serves it.
#[test]
fn a_holder_that_lost_its_lock_never_overwrites_a_newer_token() {
    log_lines();
    let url = redis_url(9);
    let mock = MockServer::start().unwrap();
    mock.configure(json!({"rotate_refresh_token": false})).unwrap();
    let opts = [("token_cache", url.as_str()), ("cache_fallback_file", "none")];
    let a = password_client(&mock, &opts);
    let t1 = a.get_token().unwrap();
    let b = password_client(&mock, &opts);
    assert_eq!(b.get_token().unwrap().access_token(), t1.access_token());
    let lock = format!("{}:lock", entry_key_of(&mock));
    mock.fault(Fault::new(FaultKind::Slow).delay_ms(1500));
    a.invalidate_token(t1.access_token()).unwrap();
    let late = std::thread::spawn(move || a.get_token().unwrap());
    wait_until("A renews, holding the lock", || mock.stats().token_requests == 2 && !keys(&url, &lock).is_empty());
    // The lock disappears under A (what an expiry during a pause, or a failover, does).
    redis::cmd("DEL").arg(&lock).query::<()>(&mut raw(&url)).unwrap();
    b.invalidate_token(t1.access_token()).unwrap();
    let tb = b.get_token().unwrap();
    assert_ne!(tb.access_token(), t1.access_token());
    let served_by_a = late.join().unwrap();
    assert_eq!(mock.stats().grants.refresh_token, 2, "both renewed");
    assert_eq!(served_by_a.access_token(), tb.access_token(), "the late holder adopts the stored token");
    let value: String = redis::cmd("GET").arg(entry_key_of(&mock)).query(&mut raw(&url)).unwrap();
    let stored: Value = serde_json::from_str(&value).unwrap();
    assert_eq!(Token::from_json(stored["token"].as_str().unwrap()).unwrap().access_token(), tb.access_token(), "B's entry stays");
    assert_eq!(stored["generation"].as_u64(), Some(2));
    assert!(logs().contains("another host stored a newer token"), "{}", logs());
}

/// Two hosts, tokens of 2 s, the fleet idle past their expiry, then the host holding the older
/// (already rotated) refresh token asks first: the entry outlived its access token, so it renews
/// with the newest refresh token, and the mock sees one refresh and no invalid_grant.
#[test]
fn after_an_idle_period_the_host_with_the_older_refresh_token_uses_the_newest() {
    let url = redis_url(10);
    let mock = MockServer::start().unwrap();
    mock.configure(json!({"expires_in": 2})).unwrap();
    let opts = [("token_cache", url.as_str()), ("cache_fallback_file", "none")];
    let a = password_client(&mock, &opts);
    let b = password_client(&mock, &opts);
    let t1 = a.get_token().unwrap();
    assert_eq!(b.get_token().unwrap().access_token(), t1.access_token(), "B holds T1 and its refresh token");
    // A renews when T1 is due (the mock's lifetime: renewed half-way, at 1 s): T2, the refresh
    // token rotated.
    let mut t2 = t1.clone();
    wait_until("A renews T1", || {
        t2 = a.get_token().unwrap();
        t2.access_token() != t1.access_token()
    });
    let rt2 = t2.refresh_token().unwrap().to_owned();
    // Idle until T2 has expired too (its own lifetime, plus a margin).
    std::thread::sleep(Duration::from_millis((t2.expires_at_ms() - now_ms() + 500).max(0) as u64));
    let before = mock.stats();
    let t3 = b.get_token().unwrap();
    let after = mock.stats();
    assert_eq!(after.token_requests - before.token_requests, 1, "one request: {after:?}");
    assert_eq!(after.grants.refresh_token - before.grants.refresh_token, 1, "a refresh that succeeded (no invalid_grant): {after:?}");
    assert!(mock.last_token_request().unwrap().body.contains(&format!("refresh_token={rt2}")), "with the newest refresh token");
    assert_ne!(t3.access_token(), t2.access_token());
}

/// A failover that promoted a replica without the last write: the host that wrote it writes it
/// back at its next read (even when its renewal then fails), so a host starting afterwards
/// renews with the newest refresh token instead of a rotated one.
#[test]
fn an_entry_lost_by_a_failover_is_written_back_by_its_writer() {
    log_lines();
    let url = redis_url(11);
    let mock = MockServer::start().unwrap();
    let key = entry_key_of(&mock);
    let opts = [("token_cache", url.as_str()), ("cache_fallback_file", "none"), ("max_retries", "0")];
    let a = password_client(&mock, &opts);
    let t1 = a.get_token().unwrap();
    let gen1: String = redis::cmd("GET").arg(&key).query(&mut raw(&url)).unwrap();
    a.invalidate_token(t1.access_token()).unwrap();
    let t2 = a.get_token().unwrap(); // generation 2; T1's refresh token is rotated away
                                     // The promoted replica never received generation 2.
    redis::cmd("SET").arg(&key).arg(&gen1).query::<()>(&mut raw(&url)).unwrap();
    mock.fault(Fault::new(FaultKind::ServiceUnavailable));
    a.invalidate_token(t2.access_token()).unwrap();
    assert_eq!(a.get_token().unwrap_err().http_status(), 503, "A's renewal fails after its read");
    assert!(logs().contains("a failover lost a write"), "{}", logs());
    // A host starting now (no memory) is served the newest entry, whose refresh token works.
    let fresh = password_client(&mock, &opts);
    let got = fresh.get_token().unwrap();
    assert_eq!(got.refresh_token(), t2.refresh_token(), "the entry holds the newest refresh token again");
    fresh.invalidate_token(got.access_token()).unwrap();
    let before = mock.stats().grants;
    fresh.get_token().unwrap();
    let after = mock.stats().grants;
    assert_eq!((after.refresh_token - before.refresh_token, after.password - before.password), (1, 0), "the next refresh succeeds");
}

// ---- one failing renewal, many processes --------------------------------------------------------

/// The Redis lock, held by the test until dropped.
struct HeldLock(String, String);
impl Drop for HeldLock {
    fn drop(&mut self) {
        redis::cmd("DEL").arg(&self.1).query::<()>(&mut raw(&self.0)).unwrap();
    }
}

#[test]
fn processes_waiting_on_a_failing_renewal_share_its_error_and_one_request() {
    let url = redis_url(12);
    for failure in cross_process::FAILURES {
        let mock = MockServer::start().unwrap();
        cross_process::arm(&mock, failure);
        let lock = format!("{}:lock", entry_key_of(&mock));
        let outcomes = cross_process::run_failing_renewal(&mock, &url, "cache_fallback_file=none", 3, 4, || {
            redis::cmd("SET").arg(&lock).arg("the-test").arg("PX").arg(60_000).query::<()>(&mut raw(&url)).unwrap();
            HeldLock(url.clone(), lock.clone())
        });
        cross_process::assert_one_request_one_error(&mock, failure, &outcomes);
    }
}

// ---- Redis Cluster -----------------------------------------------------------------------------

#[test]
fn cluster_four_hosts_of_eight_threads_make_one_token_request_per_lifetime() {
    let cluster = Cluster::start(false);
    let url = cluster.url(&format!(":{}", cluster.password));
    one_request_per_lifetime(&url, 4, 8, &[2, 2, 3600]);
    let found = cluster.keys("tpauth:*");
    assert_eq!(found.len(), 1, "one entry, every lock released: {found:?}");
}

/// The identity's slot moves to another master mid-run (MIGRATING/IMPORTING, MIGRATE, the new
/// owner announced: what `redis-cli --cluster reshard` does) while renewals fall due: the lock
/// and write scripts (two keys of the slot) are answered TRYAGAIN until the slot has moved, and
/// the hosts wait for it instead of each renewing on its own with a refresh token another host
/// spends. No call fails and the mock sees exactly one token request per lifetime.
///
/// The migration stays open until a host has met it (said TRYAGAIN): a renewal during it is
/// made sure of, not left to how fast this machine runs the steps.
#[test]
fn cluster_slot_migrated_mid_run_fails_no_call() {
    let cluster = Cluster::start(false);
    let url = cluster.url(&format!(":{}", cluster.password));
    let mock = MockServer::start().unwrap();
    let schedule = [2, 2, 2, 2, 3600];
    mock.configure(json!({ "expires_in_schedule": schedule })).unwrap();
    let key = entry_key_of(&mock);
    let slot = cluster.keyslot(&key);
    let start = now_ms() + 1500;
    let mut procs: Vec<_> = (0..4).map(|_| spawn_host(&worker_vars(&mock, &url, "refresh_leeway_s=1", 4, start, 0))).collect();
    wait_until("the first token", || mock.stats().grants.password >= 1);
    let to = cluster.masters().into_iter().find(|m| m.0 != cluster.master_of(slot).0).unwrap();
    let from = cluster.begin_migration(slot, &to);
    // Three renewals are still to come: the next one meets the migration.
    wait_until("a renewal meets the migration", || procs.iter_mut().any(|h| h.printed("TRYAGAIN")));
    cluster.finish_migration(slot, &from, &to, Duration::from_millis(300));
    assert_eq!(cluster.master_of(slot).0, to.0);
    for (ok, fields, _) in procs.into_iter().map(Host::finish) {
        assert!(ok, "a host failed during the migration: {fields:?}");
    }
    let s = mock.stats();
    assert_eq!(s.token_requests, schedule.len() as u64, "one token request per lifetime: {s:?}");
    assert_eq!((s.grants.password, s.grants.refresh_token), (1, schedule.len() as u64 - 1), "every refresh succeeded: {s:?}");
    let on_new: Vec<String> = redis::cmd("KEYS").arg("tpauth:*").query(&mut cluster.conn(to.0)).unwrap();
    assert_eq!(on_new, vec![key], "the entry lives on the new master");
}

/// `count` hosts of `threads` threads whose first token lives 4 s (renewed 2 s ahead), the
/// renewal's answer taking 3 s: returns once that renewal holds the lock (its request reached the
/// mock) and every other host has said it waits for it.
fn hosts_waiting_on_a_slow_renewal(mock: &MockServer, url: &str, opts: &str, count: usize, threads: usize) -> Vec<Host> {
    mock.configure(json!({"expires_in_schedule": [4, 4, 3600]})).unwrap();
    let start = now_ms() + 1500;
    let mut hosts: Vec<_> = (0..count).map(|_| spawn_host(&worker_vars(mock, url, opts, threads, start, 0))).collect();
    wait_until("the first token", || mock.stats().grants.password >= 1);
    mock.fault(Fault::new(FaultKind::Slow).delay_ms(3000));
    // Waits for the first token's lock were said already: count only the ones said from now on.
    let before: Vec<usize> = hosts.iter_mut().map(|h| h.count("WAITING")).collect();
    wait_until("the renewal's request reached the mock", || mock.stats().token_requests >= 2);
    wait_until("every other host waits for the renewal's lock", || {
        hosts.iter_mut().zip(&before).map(|(h, b)| h.count("WAITING") > *b).filter(|w| *w).count() >= count - 1
    });
    hosts
}

/// The master of the identity's slot dies (SIGKILL) while a renewal holds the lock there: its
/// replica is promoted (the lock and entry were replicated: WAIT), the renewer writes to the new
/// master, the waiting hosts use what it wrote. No call fails, no token request is added, and the
/// refresh token in the cache is the newest: the next refresh succeeds.
#[test]
fn cluster_master_killed_during_a_renewal_loses_no_refresh_token() {
    let mut cluster = Cluster::start(false);
    let url = cluster.url(&format!(":{}", cluster.password));
    let mock = MockServer::start().unwrap();
    let hosts = hosts_waiting_on_a_slow_renewal(&mock, &url, "refresh_leeway_s=2", 3, 4);
    let lock = format!("{}:lock", entry_key_of(&mock));
    let (master, _) = cluster.master_of(cluster.keyslot(&lock));
    let held: Vec<String> = redis::cmd("KEYS").arg(&lock).query(&mut cluster.conn(master)).unwrap();
    assert_eq!(held, vec![lock], "the renewal holds the lock on the slot's master");
    let acked: i64 = redis::cmd("WAIT").arg(1).arg(2000).query(&mut cluster.conn(master)).unwrap();
    assert_eq!(acked, 1, "the replica has the lock and the entry");
    cluster.kill(master);
    for (ok, fields, _) in hosts.into_iter().map(Host::finish) {
        assert!(ok, "a host failed across the failover: {fields:?}");
    }
    let s = mock.stats();
    assert_eq!(
        (s.token_requests, s.grants.password, s.grants.refresh_token),
        (3, 1, 2),
        "the first grant, the slow renewal, the next renewal: every one a success: {s:?}"
    );
    assert_next_refresh_succeeds(&mock, &url);
}

/// A client without memory reads the cached token, invalidates it and renews: one refresh, which
/// succeeds (the cached refresh token is the newest).
fn assert_next_refresh_succeeds(mock: &MockServer, url: &str) {
    let c = password_client(mock, &[("token_cache", url), ("cache_fallback_file", "none")]);
    let t = c.get_token().unwrap();
    assert!(t.expires_in() >= 3600, "the last renewal's token is the cached one");
    c.invalidate_token(t.access_token()).unwrap();
    let before = mock.stats();
    c.get_token().unwrap();
    let after = mock.stats();
    assert_eq!(
        (after.grants.refresh_token - before.grants.refresh_token, after.token_requests - before.token_requests),
        (1, 1),
        "{after:?}"
    );
}

/// TLS between every node and client, and an ACL user with only the commands tpauth needs. Its
/// password is rotated while the hosts run (a new one in cache_password_file, ACL SETUSER on every
/// node, the old connections killed): reconnects read the new one and no call fails. A wrong
/// password is a Store error naming the URL without any password.
#[test]
fn cluster_with_tls_and_an_acl_user_follows_a_password_rotation() {
    log_lines();
    let cluster = Cluster::start(true);
    let tls = TlsFiles::from_env();
    let dir = temp_dir("acl");
    let pw_file = dir.join("redis-password");
    let (pw1, pw2) = ("acl-pass-one-1", "acl-pass-two-2");
    std::fs::write(&pw_file, format!("{pw1}\n")).unwrap();
    let acl = [
        "ACL",
        "SETUSER",
        "tpauth-app",
        "on",
        &format!(">{pw1}"),
        "resetkeys",
        "~tpauth:*",
        "resetchannels",
        "-@all",
        "+get",
        "+set",
        "+del",
        "+eval",
        "+evalsha",
        "+pexpire",
        "+strlen",
        "+ping",
        "+cluster|slots",
        "+asking",
        "+readonly",
    ];
    cluster.on_every_node(&acl);
    let url = cluster.url("tpauth-app");
    assert!(url.starts_with("rediss+cluster://"));
    let mock = MockServer::start().unwrap();
    mock.configure(json!({"expires_in_schedule": [2, 2, 2, 3600]})).unwrap();
    let opts = [
        ("token_cache", url.as_str()),
        ("cache_password_file", pw_file.to_str().unwrap()),
        ("ca_file", tls.ca.as_str()),
        ("refresh_leeway_s", "1"),
        ("cache_fallback_file", "none"),
    ];
    let auths: Vec<Auth> = (0..2).map(|_| password_client(&mock, &opts)).collect();
    let h = std::thread::scope(|s| {
        let run = s.spawn(|| hammer(&auths, 4, 0, &[], true));
        wait_until("the first renewal", || mock.stats().grants.refresh_token >= 1);
        // Rotate as a managed service does: the new password accepted beside the old one, the
        // file updated, the connections made with the old one dropped, the old one removed. Every
        // connection from here on is made with the file's new content.
        cluster.on_every_node(&["ACL", "SETUSER", "tpauth-app", &format!(">{pw2}")]);
        std::fs::write(&pw_file, format!("{pw2}\n")).unwrap();
        cluster.on_every_node(&["ACL", "SETUSER", "tpauth-app", &format!("<{pw1}")]);
        cluster.on_every_node(&["CLIENT", "KILL", "USER", "tpauth-app"]);
        run.join().unwrap()
    });
    assert!(h.calls > 50);
    let s = mock.stats();
    assert_eq!(s.token_requests, 4, "one request per lifetime across the rotation: {s:?}");
    let log = logs();
    assert!(!log.contains("refused the credentials"), "{log}");
    assert_eq!(cluster.keys("tpauth:*").len(), 1);
    // A wrong password in the file: a Store error at creation, naming the URL, no password.
    std::fs::write(&pw_file, "wrong-pass-3\n").unwrap();
    let err = Auth::new(&config(&mock, &opts.iter().copied().chain([("username", USER), ("password", PASSWORD)]).collect::<Vec<_>>()))
        .unwrap_err();
    assert_eq!(err.status(), Status::Store, "{err}");
    assert!(err.message().contains("refused the credentials") && err.message().contains("rediss+cluster://***@127.0.0.1:"), "{err}");
    assert_no_secret(&format!("{err}\n{}", logs()), &[pw1, pw2, "wrong-pass-3", &cluster.password]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// 50 hosts (processes) on a 3-master cluster through 10 expiries: at most 10 + 2 token requests.
/// Prints the p50/p99 of `get_token` at the expiry instants (the calls that returned a new token).
#[test]
fn cluster_fifty_hosts_through_ten_expiries() {
    let cluster = Cluster::start(false);
    let url = cluster.url(&format!(":{}", cluster.password));
    let mock = MockServer::start().unwrap();
    let mut schedule = vec![2u64; 10];
    schedule.push(3600);
    mock.configure(json!({ "expires_in_schedule": schedule })).unwrap();
    let start = now_ms() + 5000; // room to start 50 processes on a busy machine
    let procs: Vec<_> = (0..50)
        .map(|_| {
            let mut v = worker_vars(&mock, &url, "refresh_leeway_s=1", 2, start, 0);
            v.push(("W_NO_API", "1".into()));
            spawn_host(&v)
        })
        .collect();
    let mut lat = Vec::new();
    for (ok, fields, l) in procs.into_iter().map(Host::finish) {
        assert!(ok, "a host failed: {fields:?}");
        lat.extend(l);
    }
    let s = mock.stats();
    assert!(s.token_requests <= 12, "50 hosts, 10 expiries: {s:?}");
    lat.sort_unstable();
    let pct =
        |p: f64| lat.get(((lat.len() as f64 * p).ceil() as usize).saturating_sub(1).min(lat.len().saturating_sub(1))).copied().unwrap_or(0);
    println!(
        "SCALE 50 hosts x 2 threads, 10 expiries: {} token requests; get_token at the expiry instants ({} calls): p50 {} us, p99 {} us, max {} us",
        s.token_requests,
        lat.len(),
        pct(0.5),
        pct(0.99),
        lat.last().copied().unwrap_or(0)
    );
}

// ---- Sentinel ----------------------------------------------------------------------------------

/// `SENTINEL FAILOVER` while a renewal holds the lock: the old master becomes a replica (its
/// clients get READONLY and ask the Sentinels again), the renewer writes to the new master, the
/// others use what it wrote. A write that landed on the old master between the promotion and its
/// demotion is lost with it; the hosts that saw it write it back at their next read. No call
/// fails, and the refresh token in use afterwards is the newest: the next renewal is a refresh that
/// succeeds (no invalid_grant, no new grant).
#[test]
fn sentinel_failover_during_a_renewal_continues_on_the_new_master() {
    let set = SentinelSet::start();
    let url = set.url(&format!(":{}", set.password), 0);
    let mock = MockServer::start().unwrap();
    let sentinel_pw = set.sentinel_password_file();
    // Every host reads the Sentinels' password from the file.
    let opts = format!("refresh_leeway_s=2,cache_sentinel_password_file={sentinel_pw}");
    let hosts = hosts_waiting_on_a_slow_renewal(&mock, &url, &opts, 3, 4);
    let lock = format!("{}:lock", entry_key_of(&mock));
    let master = set.current_master();
    let held: Vec<String> = redis::cmd("KEYS").arg(&lock).query(&mut node_conn(master, &set.password, None)).unwrap();
    assert_eq!(held, vec![lock], "the renewal holds the lock on the master");
    let acked: i64 = redis::cmd("WAIT").arg(1).arg(2000).query(&mut node_conn(master, &set.password, None)).unwrap();
    assert_eq!(acked, 1);
    let new_master = set.failover();
    assert_ne!(new_master, master);
    for (ok, fields, _) in hosts.into_iter().map(Host::finish) {
        assert!(ok, "a host failed across the failover: {fields:?}");
    }
    let s = mock.stats();
    assert_eq!((s.token_requests, s.grants.password, s.grants.refresh_token), (3, 1, 2), "every renewal a refresh that succeeded: {s:?}");
    // On the new master: the newest token; its refresh token serves the next renewal.
    let value: String = redis::cmd("GET").arg(entry_key_of(&mock)).query(&mut node_conn(new_master, &set.password, None)).unwrap();
    let newest = Token::from_json(serde_json::from_str::<Value>(&value).unwrap()["token"].as_str().unwrap()).unwrap();
    assert!(newest.expires_in() >= 3600, "the last renewal's token is on the new master");
    let c =
        password_client(&mock, &[("token_cache", &url), ("cache_fallback_file", "none"), ("cache_sentinel_password_file", &sentinel_pw)]);
    assert_eq!(c.get_token().unwrap().access_token(), newest.access_token());
    c.invalidate_token(newest.access_token()).unwrap();
    let before = mock.stats();
    c.get_token().unwrap();
    let after = mock.stats();
    assert_eq!(after.grants.refresh_token - before.grants.refresh_token, 1, "the newest refresh token works: {after:?}");
    assert!(mock.last_token_request().unwrap().body.contains(newest.refresh_token().unwrap()));
}
