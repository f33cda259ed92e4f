//! The log callback runs with no lock of the managed token held: a callback that calls back into
//! the library does not deadlock, and a slow log sink does not stall callers of a valid token.
//! (The logger is process-wide: these tests take turns.)

mod common;
use common::*;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tpauth::{Auth, Token};

static SERIAL: Mutex<()> = Mutex::new(());

/// Runs `f` on a thread and fails (instead of hanging the suite) if it has not returned in 60 s.
fn within_a_minute<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(60)).unwrap_or_else(|_| panic!("{what}: deadlocked (no return in 60 s)"))
}

/// `t` as if it had been received `ago_ms` earlier: in its renew window but still valid.
fn aged(t: &Token, ago_ms: i64) -> Token {
    let mut v: Value = serde_json::from_str(&t.to_json()).unwrap();
    v["received_at_ms"] = json!(t.received_at_ms() - ago_ms);
    Token::from_json(&v.to_string()).unwrap()
}

#[test]
fn a_log_callback_that_calls_get_token_does_not_deadlock() {
    let _serial = SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mock = MockServer::start().unwrap();
    let auth = password_client(&mock, &[]);
    let shared: Arc<OnceLock<Auth>> = Arc::new(OnceLock::new());
    shared.set(auth.clone()).unwrap();
    let outcomes = Arc::new(Mutex::new(Vec::<String>::new()));
    let (hook, seen) = (shared.clone(), outcomes.clone());
    tpauth::log::set_logger(Some(Box::new(move |_, msg| {
        let got = match hook.get().unwrap().get_token() {
            Ok(_) => "token".to_owned(),
            Err(e) => format!("{:?}", e.status()),
        };
        seen.lock().unwrap().push(format!("{msg} -> {got}"));
    })));
    let result = within_a_minute("get_token and invalidate with a re-entrant log callback", move || {
        let first = auth.get_token().map_err(|e| e.to_string())?; // logs during the renewal
        auth.invalidate_token(first.access_token()).map_err(|e| e.to_string())?; // logs on invalidation
        let second = auth.get_token().map_err(|e| e.to_string())?;
        Ok::<_, String>((first, second))
    });
    tpauth::log::set_logger(None);
    let (first, second) = result.unwrap();
    assert_ne!(first.access_token(), second.access_token());
    assert_eq!(mock.stats().token_requests, 2);
    let outcomes = outcomes.lock().unwrap().join("\n");
    assert!(outcomes.contains("invalidated"), "{outcomes}");
    // Inside a renewal of this client the callback is told there is no token yet; elsewhere it
    // gets the token.
    assert!(outcomes.contains("-> NoToken") && outcomes.contains("-> token"), "{outcomes}");
}

#[test]
fn a_slow_log_sink_does_not_stall_callers_of_a_valid_token() {
    let _serial = SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mock = MockServer::start().unwrap();
    let auth = password_client(&mock, &[("refresh_leeway_s", "300")]);
    // The mock's token (100 h) as if received 100 s before it expires: valid, and due for an
    // early renewal (refresh_leeway_s=300).
    let fresh = auth.get_token().unwrap();
    let due = aged(&fresh, (fresh.expires_in() - 100) * 1000);
    auth.set_token(&due).unwrap();
    // The sink blocks the renewing caller on its first message until the readers are done (or
    // 30 s pass, when the readers were stalled behind it).
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let done_rx = Mutex::new(done_rx);
    let blocked = Arc::new(Mutex::new(None::<bool>));
    let flag = blocked.clone();
    tpauth::log::set_logger(Some(Box::new(move |_, _| {
        let mut b = flag.lock().unwrap();
        if b.is_none() {
            *b = Some(done_rx.lock().unwrap().recv_timeout(Duration::from_secs(30)).is_ok());
        }
    })));
    let renewer = {
        let auth = auth.clone();
        std::thread::spawn(move || auth.get_token().unwrap())
    };
    // Wait until the renewer sits in the sink (the mock saw no request yet: it is blocked before).
    let hang_guard = std::time::Instant::now();
    while blocked.try_lock().is_ok_and(|b| b.is_none()) && mock.stats().token_requests == 1 {
        assert!(hang_guard.elapsed() < Duration::from_secs(60), "the renewing caller never logged");
        std::thread::yield_now();
    }
    let readers: Vec<_> = (0..8)
        .map(|_| {
            let (auth, due) = (auth.clone(), due.clone());
            std::thread::spawn(move || (0..1000).all(|_| auth.get_token().unwrap().access_token() == due.access_token()))
        })
        .collect();
    let served_valid = readers.into_iter().all(|r| r.join().unwrap());
    let _ = done_tx.send(());
    let renewed = renewer.join().unwrap();
    tpauth::log::set_logger(None);
    assert!(served_valid, "readers were served the valid token");
    assert_eq!(*blocked.lock().unwrap(), Some(true), "the readers finished while the sink still held the renewing caller");
    assert_ne!(renewed.access_token(), due.access_token());
    assert_eq!(mock.stats().token_requests, 2);
}

#[test]
fn a_slow_log_sink_during_an_invalidation_does_not_hold_the_current_token() {
    let _serial = SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mock = MockServer::start().unwrap();
    let auth = password_client(&mock, &[]);
    let refused = auth.get_token().unwrap();
    let other = password_client(&mock, &[]).get_token().unwrap(); // a valid token of the same user
                                                                  // The sink blocks the invalidating caller on its message until the other caller is done (or
                                                                  // 30 s pass, when the other caller was stuck behind the current-token lock).
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let done_rx = Mutex::new(done_rx);
    let released = Arc::new(Mutex::new(None::<bool>));
    let flag = released.clone();
    tpauth::log::set_logger(Some(Box::new(move |_, msg| {
        if msg.contains("invalidated") {
            let mut r = flag.lock().unwrap();
            *r = Some(done_rx.lock().unwrap().recv_timeout(Duration::from_secs(30)).is_ok());
        }
    })));
    let invalidator = {
        let (auth, refused) = (auth.clone(), refused.clone());
        std::thread::spawn(move || auth.invalidate_token(refused.access_token()).unwrap())
    };
    let hang_guard = std::time::Instant::now();
    while released.try_lock().is_ok_and(|r| r.is_none()) {
        assert!(hang_guard.elapsed() < Duration::from_secs(60), "the invalidation never logged");
        std::thread::yield_now();
    }
    // The sink now holds the invalidating caller: setting and reading the token must not wait.
    auth.set_token(&other).unwrap();
    let served = auth.get_token().unwrap();
    let _ = done_tx.send(());
    invalidator.join().unwrap();
    tpauth::log::set_logger(None);
    assert_eq!(served.access_token(), other.access_token());
    assert_eq!(*released.lock().unwrap(), Some(true), "set_token and get_token finished while the sink still held the invalidating caller");
}

#[test]
fn a_log_callback_that_calls_get_token_when_its_thread_found_no_token_renews_or_waits_once() {
    let _serial = SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mock = MockServer::start().unwrap();
    let auth = password_client(&mock, &[]);
    // The renewal's token request is held by the mock until the test releases it.
    mock.fault(Fault::new(FaultKind::Slow).delay_ms(120_000));
    let shared: Arc<OnceLock<Auth>> = Arc::new(OnceLock::new());
    shared.set(auth.clone()).unwrap();
    let entered = Arc::new(AtomicUsize::new(0));
    let nested = Arc::new(Mutex::new(Vec::<Result<String, String>>::new()));
    let (hook, calls, seen) = (shared.clone(), entered.clone(), nested.clone());
    tpauth::log::set_logger(Some(Box::new(move |_, msg| {
        let asker = std::thread::current().name() == Some("asks-again-from-the-log");
        if asker && msg.contains("no token to serve") {
            // Asking again from this message waits for the same renewal, without reporting (and so
            // calling this callback) again: that would recurse without end.
            calls.fetch_add(1, Ordering::SeqCst);
            let got = hook.get().unwrap().get_token().map(|t| t.access_token().to_owned()).map_err(|e| e.to_string());
            seen.lock().unwrap().push(got);
        }
    })));
    let get = |auth: &Auth, name: &str| {
        let auth = auth.clone();
        let call = move || auth.get_token().map(|t| t.access_token().to_owned()).map_err(|e| e.to_string());
        std::thread::Builder::new().name(name.to_owned()).spawn(call).unwrap()
    };
    let renewer = get(&auth, "renews");
    let start = std::time::Instant::now();
    while mock.stats().token_requests == 0 {
        assert!(start.elapsed() < Duration::from_secs(60), "the renewal never reached the mock");
        std::thread::sleep(Duration::from_millis(1));
    }
    let waiter = get(&auth, "asks-again-from-the-log");
    while entered.load(Ordering::SeqCst) == 0 {
        assert!(start.elapsed() < Duration::from_secs(60), "the waiter never reported that it found no token");
        std::thread::sleep(Duration::from_millis(1));
    }
    mock.release();
    let renewed = within_a_minute("the renewing caller", move || renewer.join().unwrap());
    let waited = within_a_minute("the waiting caller", move || waiter.join().unwrap());
    tpauth::log::set_logger(None);
    let renewed = renewed.unwrap();
    assert_eq!(waited.unwrap(), renewed);
    assert_eq!(entered.load(Ordering::SeqCst), 1, "the callback was called again from its own get_token");
    assert_eq!(*nested.lock().unwrap(), vec![Ok(renewed)]);
    assert_eq!(mock.stats().token_requests, 1);
}
