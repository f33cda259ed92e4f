//! The environment through the C ABI, as every binding reaches it (Go: tp_config_from_env; PHP and
//! .NET: tp_config_from_lookup; Python and Node: the same core function): TRUSTPILOT_API_BASE_URL
//! is honoured and wins over TRUSTPILOT_API_HOST, so a program pointed at a mock never sends its
//! grant to the real API; a TRUSTPILOT_* variable that names no option is reported through the
//! log callback as a warning, naming the variable and never its value. (The environment and the
//! logger are process-wide: these tests run one at a time in their own process.)

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::sync::Mutex;
use tpauth::ffi::{auth::*, config::*, log::*, token::*, tp_status};

mod common;
use common::*;

static SERIAL: Mutex<()> = Mutex::new(());
static LOGGED: Mutex<Vec<(c_int, String)>> = Mutex::new(Vec::new());

unsafe extern "C" fn record(level: c_int, msg: *const c_char, _: *mut c_void) {
    // SAFETY: the library passes a NUL-terminated message valid during the call.
    let msg = unsafe { CStr::from_ptr(msg) }.to_string_lossy().into_owned();
    LOGGED.lock().unwrap().push((level, msg));
}

/// Answers from the process environment, as PHP's getenv() and .NET's Environment do.
unsafe extern "C" fn getenv_lookup(name: *const c_char, held: *mut c_void) -> *const c_char {
    // SAFETY: held is the Vec<CString> given to tp_config_from_lookup; name is a C string.
    let (held, name) = unsafe { (&mut *held.cast::<Vec<CString>>(), CStr::from_ptr(name)) };
    match std::env::var(name.to_str().unwrap()) {
        Ok(v) => {
            held.push(CString::new(v).unwrap());
            held.last().unwrap().as_ptr()
        }
        Err(_) => std::ptr::null(),
    }
}

/// An empty lookup: it sees none of the process's variables.
unsafe extern "C" fn empty_lookup(_: *const c_char, _: *mut c_void) -> *const c_char {
    std::ptr::null()
}

#[derive(Clone, Copy)]
enum Via {
    Env,
    Lookup,
}

/// Makes a configuration with exactly these TRUSTPILOT_* variables set, through tp_config_from_env
/// or tp_config_from_lookup, runs a client-credentials grant with it, and gives the grant's status
/// and the messages logged while configuring.
fn grant_with(via: Via, vars: &[(&str, &str)]) -> (tp_status, Vec<(c_int, String)>) {
    for (k, _) in std::env::vars() {
        if k.starts_with("TRUSTPILOT_") {
            std::env::remove_var(k);
        }
    }
    for (k, v) in vars {
        std::env::set_var(k, v);
    }
    LOGGED.lock().unwrap().clear();
    let mut cfg: *mut tp_config = std::ptr::null_mut();
    let mut held: Vec<CString> = Vec::new();
    // SAFETY: a valid callback with no state; valid out parameters; held outlives the call.
    let st = unsafe {
        tp_set_log_callback(Some(record), std::ptr::null_mut());
        let st = match via {
            Via::Env => tp_config_from_env(&mut cfg, std::ptr::null_mut()),
            Via::Lookup => tp_config_from_lookup(Some(getenv_lookup), (&raw mut held).cast(), &mut cfg, std::ptr::null_mut()),
        };
        tp_set_log_callback(None, std::ptr::null_mut());
        st
    };
    for (k, _) in vars {
        std::env::remove_var(k);
    }
    assert_eq!(st, tp_status::TP_OK);
    let logged = LOGGED.lock().unwrap().clone();
    // SAFETY: a fresh configuration and client, each freed once.
    let st = unsafe {
        let mut auth: *mut tp_auth = std::ptr::null_mut();
        assert_eq!(tp_auth_new(cfg, &mut auth, std::ptr::null_mut()), tp_status::TP_OK);
        tp_config_free(cfg);
        let mut token: *mut tp_token = std::ptr::null_mut();
        let st = tp_client_credentials_grant(auth, &mut token, std::ptr::null_mut());
        tp_token_free(token);
        tp_auth_free(auth);
        st
    };
    (st, logged)
}

/// The key, the secret, http to loopback allowed, no retries (a refused connection fails at once).
const CREDENTIALS: [(&str, &str); 3] =
    [("TRUSTPILOT_API_KEY", KEY), ("TRUSTPILOT_API_SECRET", SECRET), ("TRUSTPILOT_ALLOW_INSECURE_HTTP", "true")];
const NO_RETRY: (&str, &str) = ("TRUSTPILOT_MAX_RETRIES", "0");

#[test]
fn api_base_url_is_honoured_and_wins_over_api_host() {
    let _serial = SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mock = MockServer::start().unwrap();
    // Nothing listens on port 9 (discard): a grant sent there fails with a network error.
    let elsewhere = "http://127.0.0.1:9";
    for via in [Via::Env, Via::Lookup] {
        let before = mock.stats().token_requests;
        let (st, _) = grant_with(via, &[CREDENTIALS[0], CREDENTIALS[1], CREDENTIALS[2], ("TRUSTPILOT_API_BASE_URL", &mock.url())]);
        assert_eq!(st, tp_status::TP_OK);
        let (st, _) = grant_with(
            via,
            &[CREDENTIALS[0], CREDENTIALS[1], CREDENTIALS[2], ("TRUSTPILOT_API_HOST", elsewhere), ("TRUSTPILOT_API_BASE_URL", &mock.url())],
        );
        assert_eq!(st, tp_status::TP_OK, "TRUSTPILOT_API_BASE_URL wins over TRUSTPILOT_API_HOST");
        assert_eq!(mock.stats().token_requests, before + 2, "both grants reached the mock");
        // TRUSTPILOT_API_HOST alone still works (the official client's name).
        let (st, _) = grant_with(via, &[CREDENTIALS[0], CREDENTIALS[1], CREDENTIALS[2], ("TRUSTPILOT_API_HOST", &mock.url())]);
        assert_eq!(st, tp_status::TP_OK);
        let (st, _) = grant_with(via, &[CREDENTIALS[0], CREDENTIALS[1], CREDENTIALS[2], ("TRUSTPILOT_API_HOST", elsewhere), NO_RETRY]);
        assert_eq!(st, tp_status::TP_ERR_NETWORK);
    }
}

#[test]
fn a_variable_that_names_no_option_is_a_logged_warning() {
    let _serial = SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mock = MockServer::start().unwrap();
    let base = ("TRUSTPILOT_API_BASE_URL", mock.url());
    for via in [Via::Env, Via::Lookup] {
        let vars = [CREDENTIALS[0], CREDENTIALS[1], CREDENTIALS[2], (base.0, &base.1), ("TRUSTPILOT_TOKENCACHE", "/tmp/secret-path-value")];
        let (_, logged) = grant_with(via, &vars);
        let warnings: Vec<_> = logged.iter().filter(|(level, _)| *level == tp_log_level::TP_LOG_WARN as c_int).collect();
        assert_eq!(warnings.len(), 1, "{logged:?}");
        assert!(warnings[0].1.contains("TRUSTPILOT_TOKENCACHE"), "{logged:?}");
        assert!(!warnings[0].1.contains("secret-path-value"), "the value is never logged: {logged:?}");
        // Known names are not reported.
        let (_, logged) =
            grant_with(via, &[CREDENTIALS[0], CREDENTIALS[1], CREDENTIALS[2], (base.0, &base.1), ("TRUSTPILOT_API_HOST", "h")]);
        assert!(logged.iter().all(|(_, m)| !m.contains("names no tpauth option")), "{logged:?}");
    }
}

#[test]
fn a_lookup_that_does_not_see_the_variable_reports_nothing() {
    let _serial = SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    std::env::set_var("TRUSTPILOT_TOKENCACHE", "x");
    LOGGED.lock().unwrap().clear();
    let mut cfg: *mut tp_config = std::ptr::null_mut();
    // SAFETY: valid callbacks and out parameter. The empty lookup finds no API key: an error.
    let st = unsafe {
        tp_set_log_callback(Some(record), std::ptr::null_mut());
        let st = tp_config_from_lookup(Some(empty_lookup), std::ptr::null_mut(), &mut cfg, std::ptr::null_mut());
        tp_set_log_callback(None, std::ptr::null_mut());
        st
    };
    std::env::remove_var("TRUSTPILOT_TOKENCACHE");
    assert_eq!(st, tp_status::TP_ERR_INVALID_ARGUMENT);
    assert!(LOGGED.lock().unwrap().is_empty());
}
