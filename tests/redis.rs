//! The Redis token cache against real `redis-server`s, which `tests/redis/run.sh` starts (plain and
//! TLS, both with a password) and names in `TPAUTH_TEST_REDIS_URL`, `TPAUTH_TEST_REDISS_URL`,
//! `TPAUTH_TEST_REDIS_CA` and `TPAUTH_TEST_REDIS_SERVER` (the binary, for a private server a test
//! stops and restarts). Without them every test here fails and says to run that script: this
//! target is left out of the plain `cargo test` run.
//!
//! "Hosts" are separate processes (this binary re-run with only the ignored `worker` test), each
//! with its own in-process token and no shared file: only Redis connects them.

mod common;
#[path = "common/redis_env.rs"]
mod redis_env;

use common::*;
use redis_env::*;
use serde_json::json;
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

/// `threads` callers of `get_token` (and every 50th call `request`) until `end_ms`, or with `end_ms`
/// 0 until each has seen a token of an hour or more (the last of the mock's expires_in_schedule)
/// and made 50 calls more; every token must not have expired before the caller asked, and every
/// call must succeed. Returns (calls, unix ms of the first token).
fn hammer(auths: &[Auth], threads: usize, end_ms: i64) -> (usize, i64) {
    let calls = Arc::new(AtomicUsize::new(0));
    let first = Arc::new(Mutex::new(i64::MAX));
    let barrier = Arc::new(Barrier::new(threads));
    std::thread::scope(|s| {
        for i in 0..threads {
            let auth = auths[i % auths.len()].clone();
            let (calls, first, barrier) = (calls.clone(), first.clone(), barrier.clone());
            s.spawn(move || {
                barrier.wait();
                let (mut n, mut after) = (0, 0);
                while if end_ms == 0 { after < 50 } else { now_ms() < end_ms } {
                    let asked = now_ms();
                    let tok = auth.get_token().unwrap_or_else(|e| panic!("get_token: {e}"));
                    let now = now_ms();
                    assert!(tok.expires_at_ms() > asked, "a caller received a token that had expired before it asked");
                    if tok.expires_in() >= 3600 {
                        after += 1;
                    }
                    {
                        let mut f = first.lock().unwrap();
                        *f = (*f).min(now);
                    }
                    if n % 50 == 0 {
                        let resp = auth.request("GET", "/v1/x", None, None).unwrap_or_else(|e| panic!("request: {e}"));
                        assert_eq!(resp.status(), 200);
                    }
                    n += 1;
                    std::thread::sleep(Duration::from_millis(2));
                }
                calls.fetch_add(n, Ordering::Relaxed);
            });
        }
    });
    let f = *first.lock().unwrap();
    (calls.load(Ordering::Relaxed), f)
}

/// One "host" (see `spawn_worker`): a client of its own on `W_MOCK`, `W_CACHE` and `W_OPTS`,
/// `W_THREADS` threads hammering from `W_START_MS` to `W_END_MS` (unix ms).
#[test]
#[ignore = "a host process the multi-host tests spawn (run through them)"]
fn worker() {
    let var = |n: &str| std::env::var(n).unwrap_or_else(|_| panic!("{n}: this test is a worker process; run the Redis tests instead"));
    let mut cfg = tpauth::Config::new(KEY, SECRET).unwrap();
    let mock = var("W_MOCK");
    cfg.set("api_base_url", &mock).unwrap();
    cfg.set("allow_insecure_http", "true").unwrap();
    cfg.set("username", USER).unwrap();
    cfg.set("password", PASSWORD).unwrap();
    cfg.set("token_cache", &var("W_CACHE")).unwrap();
    for kv in var("W_OPTS").split(',').filter(|s| !s.is_empty()) {
        let (k, v) = kv.split_once('=').unwrap();
        cfg.set(k, v).unwrap();
    }
    let auth = Auth::new(&cfg).unwrap();
    let threads: usize = var("W_THREADS").parse().unwrap();
    let start: i64 = var("W_START_MS").parse().unwrap();
    let end: i64 = var("W_END_MS").parse().unwrap();
    std::thread::sleep(Duration::from_millis((start - now_ms()).max(0) as u64));
    let (calls, first) = hammer(&[auth], threads, end);
    println!("RESULT calls={calls} first_ms={first} pid={}", std::process::id());
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

#[test]
fn four_hosts_of_eight_threads_make_one_token_request_per_lifetime() {
    let url = redis_url(1);
    let mock = MockServer::start().unwrap();
    // Lifetimes from the mock, not a run deadline (a deadline fails on a loaded machine): two 2 s tokens renewed 1 s ahead,
    // then one of an hour: three token requests, however the hosts are scheduled.
    mock.configure(json!({"expires_in_schedule": [2, 2, 3600]})).unwrap();
    let start = now_ms() + 1500; // room to start 4 processes
    let hosts: Vec<_> = (0..4).map(|_| spawn_worker(&worker_vars(&mock, &url, "refresh_leeway_s=1", 8, start, 0))).collect();
    let results: Vec<_> = hosts.into_iter().map(finish_worker).collect();
    for (ok, fields) in &results {
        assert!(ok, "a host failed (a call errored or got an expired token): {fields:?}");
        assert!(fields["calls"] >= 8 * 50, "{fields:?}");
    }
    let s = mock.stats();
    assert_eq!(s.token_requests, 3, "4 hosts x 8 threads over three lifetimes: {s:?}");
    assert_eq!((s.grants.password, s.grants.refresh_token), (1, 2), "{s:?}");
    // The token lives in Redis: a fifth host starting now makes no token request.
    let late = password_client(&mock, &[("token_cache", &url), ("refresh_leeway_s", "1")]);
    late.get_token().unwrap();
    assert_eq!(mock.stats().token_requests, 3);
    assert!(keys(&url, "tpauth:*:lock").is_empty(), "every lock was released");
}

#[test]
fn a_lock_holder_killed_mid_renewal_is_replaced_after_the_lock_ttl() {
    let url = redis_url(2);
    let mock = MockServer::start().unwrap();
    mock.configure(json!({"expires_in": 3, "rotate_refresh_token": false})).unwrap();
    let opts = "refresh_leeway_s=1,cache_lock_ttl_ms=1500";
    // Host A alone: its first token (0 s), then its renewal ahead of expiry (2 s) hangs at the mock.
    let a = spawn_worker(&worker_vars(&mock, &url, opts, 1, 0, now_ms() + 60_000));
    let t0 = Instant::now();
    while mock.stats().grants.password < 1 {
        assert!(t0.elapsed() < Duration::from_secs(10), "host A got no token");
        std::thread::sleep(Duration::from_millis(10));
    }
    mock.configure(json!({"expires_in": 60})).unwrap();
    mock.fault(Fault::new(FaultKind::Slow).delay_ms(5000));
    let lock = loop {
        if let Some(k) = keys(&url, "tpauth:*:lock").pop() {
            break k;
        }
        assert!(t0.elapsed() < Duration::from_secs(10), "host A never took the lock");
        std::thread::sleep(Duration::from_millis(10));
    };
    // Hosts B and C arrive while A renews; A's token expires at 3 s while they wait.
    let start = now_ms();
    let end = start + 9000;
    let others: Vec<_> = (0..2).map(|_| spawn_worker(&worker_vars(&mock, &url, opts, 8, start, end))).collect();
    // A lives for two lock TTLs: its watchdog keeps the lock, nobody else renews.
    std::thread::sleep(Duration::from_millis(3000));
    assert_eq!(keys(&url, &lock), vec![lock.clone()], "a live holder keeps its lock past the TTL");
    assert_eq!(mock.stats().token_requests, 2, "nobody renews while the holder lives");
    let pttl: i64 = redis::cmd("PTTL").arg(&lock).query(&mut raw(&url)).unwrap();
    let mut a = a;
    kill_9(&mut a);
    let killed_ms = now_ms();
    let results: Vec<_> = others.into_iter().map(finish_worker).collect();
    for (ok, fields) in &results {
        assert!(ok, "a waiting host failed (an error or an expired token): {fields:?}");
        assert!(
            fields["first_ms"] >= killed_ms + pttl - 50,
            "a host got a token {} ms after the kill, before the dead holder's lock expired ({pttl} ms left): {fields:?}",
            fields["first_ms"] - killed_ms
        );
    }
    let s = mock.stats();
    assert_eq!(s.token_requests, 3, "A's grant, A's hung renewal, then one renewal for B and C: {s:?}");
}

/// SIGKILL, as a crash or the OOM killer would.
fn kill_9(child: &mut std::process::Child) {
    child.kill().unwrap(); // std's kill is SIGKILL on Unix
    let _ = child.wait();
}

#[test]
fn redis_stopped_mid_run_and_restarted_fails_no_call() {
    log_lines();
    let mut server = RedisServer::start("restart-pw-9f3a");
    let url = server.url(0);
    let mock = MockServer::start().unwrap();
    mock.configure(json!({"expires_in": 2})).unwrap();
    let auths: Vec<Auth> =
        (0..2).map(|_| password_client(&mock, &[("token_cache", &url), ("refresh_leeway_s", "1"), ("cache_timeout_ms", "300")])).collect();
    // Redis is down from 1.5 s to 4 s; the reconnect backoff (0.5, 1, 2 s by then) brings it back
    // by ~5.5 s, and the renewals (every second) after that write to it again before 8 s.
    let end = now_ms() + 8000;
    let (calls, _) = std::thread::scope(|s| {
        let run = s.spawn(|| hammer(&auths, 8, end));
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
    assert!(calls > 100);
    // Back in use: the renewals after the restart wrote the token to the new, empty server.
    let stored = keys(&url, "tpauth:*");
    assert_eq!(stored.len(), 1, "the token is in Redis again after the restart: {stored:?}");
    let log = logs();
    assert!(log.contains("Redis is unavailable"), "{log}");
    assert!(log.contains("Redis is available again"), "{log}");
    assert_no_secret(&log, &["restart-pw-9f3a"]);
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
fn the_entry_is_the_token_json_under_a_hashed_key_expiring_with_the_token() {
    let url = redis_url(3);
    let mock = MockServer::start().unwrap();
    mock.configure(json!({"expires_in": 30})).unwrap();
    let auth = password_client(&mock, &[("token_cache", &url)]);
    let tok = auth.get_token().unwrap();
    let found = keys(&url, "tpauth:*");
    assert_eq!(found.len(), 1, "{found:?}");
    let key = &found[0];
    assert!(key.len() == "tpauth:".len() + 64 && key[7..].chars().all(|c| c.is_ascii_hexdigit()), "{key}");
    for s in [KEY, USER, PASSWORD, SECRET] {
        assert!(!key.contains(s));
    }
    let mut c = raw(&url);
    let value: String = redis::cmd("GET").arg(key).query(&mut c).unwrap();
    let stored = Token::from_json(&value).unwrap();
    assert_eq!(stored.access_token(), tok.access_token());
    assert_eq!(stored.refresh_token(), tok.refresh_token());
    assert_eq!(value, tok.to_json(), "the value is what tp_token_to_json writes");
    let pttl: i64 = redis::cmd("PTTL").arg(key).query(&mut c).unwrap();
    assert!((27_000..=30_000).contains(&pttl), "the entry expires with the token: PTTL {pttl}");
    // revoke removes it
    auth.revoke(None).unwrap();
    assert!(keys(&url, "tpauth:*").is_empty());
}

#[test]
fn a_corrupt_entry_is_treated_as_empty_and_overwritten() {
    log_lines();
    let url = redis_url(4);
    let mock = MockServer::start().unwrap();
    password_client(&mock, &[("token_cache", &url)]).get_token().unwrap();
    let key = keys(&url, "tpauth:*").pop().unwrap();
    let mut c = raw(&url);
    for corrupt in ["garbage{", "{\"format\":\"tpauth-token-1\"}", "\u{0}\u{1}"] {
        redis::cmd("SET").arg(&key).arg(corrupt).query::<()>(&mut c).unwrap();
        let fresh = password_client(&mock, &[("token_cache", &url)]);
        fresh.get_token().unwrap();
        let value: String = redis::cmd("GET").arg(&key).query(&mut c).unwrap();
        assert!(Token::from_json(&value).is_ok(), "overwritten with a token after {corrupt:?}");
    }
    // A key of another type (WRONGTYPE on GET) is no token either.
    redis::cmd("DEL").arg(&key).query::<()>(&mut c).unwrap();
    redis::cmd("HSET").arg(&key).arg("f").arg("v").query::<()>(&mut c).unwrap();
    password_client(&mock, &[("token_cache", &url)]).get_token().unwrap();
    let value: String = redis::cmd("GET").arg(&key).query(&mut c).unwrap();
    assert!(Token::from_json(&value).is_ok());
    assert_eq!(mock.stats().token_requests, 5, "each corrupt entry cost one token request, no error");
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
    let auth = password_client(&mock, &[("token_cache", &url), ("cache_timeout_ms", "300")]);
    let tok = auth.get_token().unwrap();
    assert!(tok.expires_at_ms() > now_ms());
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    let log = logs();
    assert!(log.contains(&format!("token cache redis://***@127.0.0.1:{port}/0: connect: Redis is unavailable")), "{log}");
    assert_no_secret(&log, &["unreach-pw-77"]);
}

#[test]
fn the_lock_options_are_validated() {
    let mut cfg = tpauth::Config::new(KEY, SECRET).unwrap();
    cfg.set("cache_lock_ttl_ms", "2500").unwrap();
    assert_eq!(cfg.set("cache_lock_ttl_ms", "5").unwrap_err().status(), Status::InvalidArgument);
    assert_eq!(cfg.set("cache_lock_ttl_ms", "x").unwrap_err().status(), Status::InvalidArgument);
    assert_eq!(cfg.set("cache_timeout_ms", "0").unwrap_err().status(), Status::InvalidArgument);
    let e = cfg.set("token_cache", "memcached://:pw-zz@h/0").and_then(|_| Auth::new(&cfg).map(|_| ())).unwrap_err();
    assert_eq!(e.status(), Status::InvalidArgument);
    assert!(!e.message().contains("pw-zz"), "{e}");
    // the variables of tp_config_from_env
    let env = |n: &str| match n {
        "TRUSTPILOT_API_KEY" => Some("k".to_owned()),
        "TRUSTPILOT_API_SECRET" => Some("s".to_owned()),
        "TRUSTPILOT_CACHE_LOCK_TTL_MS" => Some("abc".to_owned()),
        _ => None,
    };
    assert!(tpauth::Config::from_lookup(env).unwrap_err().message().contains("TRUSTPILOT_CACHE_LOCK_TTL_MS"));
}
