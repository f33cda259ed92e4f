//! The C ABI's functions that do no I/O, called as C would call them: raw pointers, NUL-terminated
//! strings, out parameters, every `_free`, NULL and invalid UTF-8 arguments. Cheap under
//! `cargo test`; its real purpose is `cargo +nightly miri test --test ffi_no_io` (see
//! docs/proof.md), which checks every pointer handed across the boundary for use-after-free,
//! double free, leaks and undefined behaviour.

#![allow(clippy::undocumented_unsafe_blocks)]

use std::ffi::{c_char, CStr};
use std::ptr;
use tpauth::ffi::config::{tp_config, tp_config_free, tp_config_new, tp_config_set};
use tpauth::ffi::error::{
    tp_error_free, tp_error_http_status, tp_error_message, tp_error_oauth_code, tp_error_retry_after_ms, tp_error_status,
};
use tpauth::ffi::misc::{tp_new_state, tp_status_name, tp_string_free, tp_version};
use tpauth::ffi::redirect::{tp_parse_code_redirect, tp_parse_implicit_redirect};
use tpauth::ffi::token::{
    tp_token, tp_token_access_token, tp_token_expires_in, tp_token_free, tp_token_from_json, tp_token_is_expired, tp_token_raw_json,
    tp_token_refresh_token, tp_token_to_json, tp_token_type,
};
use tpauth::ffi::{tp_error, tp_status};

fn s(p: *const c_char) -> String {
    assert!(!p.is_null());
    unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned()
}

/// The error's status and message, then frees it.
fn take_err(e: *mut tp_error) -> (tp_status, String) {
    assert!(!e.is_null());
    let out = unsafe { (tp_error_status(e), s(tp_error_message(e))) };
    unsafe { tp_error_free(e) };
    out
}

#[test]
fn version_status_names_and_state() {
    assert_eq!(s(tp_version()), tpauth::VERSION);
    assert_eq!(s(tp_status_name(5)), "TP_ERR_RATE_LIMITED");
    assert_eq!(s(tp_status_name(-1)), "TP_ERR_UNKNOWN");
    let st = tp_new_state();
    assert!(s(st).len() >= 22);
    unsafe { tp_string_free(st) };
    unsafe { tp_string_free(ptr::null_mut()) };
}

#[test]
fn config_builder() {
    let mut cfg: *mut tp_config = ptr::null_mut();
    let st = unsafe { tp_config_new(c"key".as_ptr(), c"secret".as_ptr(), &mut cfg, ptr::null_mut()) };
    assert_eq!(st, tp_status::TP_OK);
    assert_eq!(unsafe { tp_config_set(cfg, c"timeout_ms".as_ptr(), c"1500".as_ptr(), ptr::null_mut()) }, tp_status::TP_OK);
    let mut err: *mut tp_error = ptr::null_mut();
    assert_eq!(unsafe { tp_config_set(cfg, c"password".as_ptr(), c"p&s=w".as_ptr(), &mut err) }, tp_status::TP_OK);
    assert!(err.is_null());
    // An unknown key, a bad value, invalid UTF-8, NULLs: typed errors, the config unchanged.
    let st = unsafe { tp_config_set(cfg, c"no_such".as_ptr(), c"x".as_ptr(), &mut err) };
    assert_eq!(st, tp_status::TP_ERR_INVALID_ARGUMENT);
    assert!(take_err(err).1.contains("no_such"));
    let mut err: *mut tp_error = ptr::null_mut();
    let bad = [b'a', 0xff, 0];
    let st = unsafe { tp_config_set(cfg, c"username".as_ptr(), bad.as_ptr().cast(), &mut err) };
    assert_eq!(st, tp_status::TP_ERR_INVALID_ARGUMENT);
    take_err(err);
    assert_eq!(unsafe { tp_config_set(cfg, ptr::null(), c"x".as_ptr(), ptr::null_mut()) }, tp_status::TP_ERR_INVALID_ARGUMENT);
    assert_eq!(
        unsafe { tp_config_set(ptr::null_mut(), c"grant".as_ptr(), c"none".as_ptr(), ptr::null_mut()) },
        tp_status::TP_ERR_INVALID_ARGUMENT
    );
    // Out parameters are written only on success.
    let sentinel = ptr::NonNull::<tp_config>::dangling().as_ptr();
    let mut untouched = sentinel;
    let mut err: *mut tp_error = ptr::null_mut();
    assert_eq!(unsafe { tp_config_new(ptr::null(), c"s".as_ptr(), &mut untouched, &mut err) }, tp_status::TP_ERR_INVALID_ARGUMENT);
    assert_eq!(untouched, sentinel);
    take_err(err);
    unsafe { tp_config_free(cfg) };
    unsafe { tp_config_free(ptr::null_mut()) };
}

#[test]
fn tokens_round_trip() {
    let body = c"{\"access_token\":\"at1\",\"refresh_token\":\"rt1\",\"token_type\":\"BearerToken\",\"expires_in\":\"3600\"}";
    // A token through its persisted form: from the implicit redirect, to JSON, back.
    let mut tok: *mut tp_token = ptr::null_mut();
    let url = c"https://app.example.com/cb#access_token=at%201&token_type=bearer&expires_in=600&state=st";
    assert_eq!(unsafe { tp_parse_implicit_redirect(url.as_ptr(), c"st".as_ptr(), &mut tok, ptr::null_mut()) }, tp_status::TP_OK);
    assert_eq!(s(unsafe { tp_token_access_token(tok) }), "at 1");
    assert!(unsafe { tp_token_refresh_token(tok) }.is_null());
    assert_eq!(unsafe { tp_token_expires_in(tok) }, 600);
    assert!(!unsafe { tp_token_is_expired(tok, 0) });
    let mut json: *mut c_char = ptr::null_mut();
    assert_eq!(unsafe { tp_token_to_json(tok, &mut json, ptr::null_mut()) }, tp_status::TP_OK);
    let mut again: *mut tp_token = ptr::null_mut();
    assert_eq!(unsafe { tp_token_from_json(json, &mut again, ptr::null_mut()) }, tp_status::TP_OK);
    assert_eq!(s(unsafe { tp_token_access_token(again) }), "at 1");
    assert_eq!(s(unsafe { tp_token_raw_json(again) }), s(unsafe { tp_token_raw_json(tok) }));
    unsafe { tp_string_free(json) };
    unsafe { tp_token_free(again) };
    unsafe { tp_token_free(tok) };
    // A server body is not the persisted form: a typed error.
    let mut err: *mut tp_error = ptr::null_mut();
    let mut none: *mut tp_token = ptr::null_mut();
    let st = unsafe { tp_token_from_json(body.as_ptr(), &mut none, &mut err) };
    if st == tp_status::TP_OK {
        assert_eq!(s(unsafe { tp_token_type(none) }), "BearerToken");
        unsafe { tp_token_free(none) };
    } else {
        assert!(none.is_null());
        take_err(err);
    }
    // Accessors on NULL.
    assert!(unsafe { tp_token_access_token(ptr::null()) }.is_null());
    assert!(unsafe { tp_token_is_expired(ptr::null(), 0) });
    unsafe { tp_token_free(ptr::null_mut()) };
}

#[test]
fn redirects() {
    let mut code: *mut c_char = ptr::null_mut();
    let url = c"https://app.example.com/cb?code=c%2B1&state=st";
    assert_eq!(unsafe { tp_parse_code_redirect(url.as_ptr(), c"st".as_ptr(), &mut code, ptr::null_mut()) }, tp_status::TP_OK);
    assert_eq!(s(code), "c+1");
    unsafe { tp_string_free(code) };

    let mut err: *mut tp_error = ptr::null_mut();
    let mut none: *mut c_char = ptr::null_mut();
    let st = unsafe { tp_parse_code_redirect(url.as_ptr(), c"other".as_ptr(), &mut none, &mut err) };
    assert_eq!(st, tp_status::TP_ERR_STATE_MISMATCH);
    assert!(none.is_null());
    take_err(err);

    let denied = c"https://app.example.com/cb?error=access_denied&error_description=no&state=st";
    let mut err: *mut tp_error = ptr::null_mut();
    assert_eq!(unsafe { tp_parse_code_redirect(denied.as_ptr(), c"st".as_ptr(), &mut none, &mut err) }, tp_status::TP_ERR_ACCESS_DENIED);
    assert_eq!(s(unsafe { tp_error_oauth_code(err) }), "access_denied");
    assert_eq!(unsafe { tp_error_http_status(err) }, 0);
    assert_eq!(unsafe { tp_error_retry_after_ms(err) }, -1);
    take_err(err);

    let mut tok: *mut tp_token = ptr::null_mut();
    let mut err: *mut tp_error = ptr::null_mut();
    let bad = [b'h', b'#', b'a', b'=', 0xc3, 0];
    let st = unsafe { tp_parse_implicit_redirect(bad.as_ptr().cast(), ptr::null(), &mut tok, &mut err) };
    assert_eq!(st, tp_status::TP_ERR_INVALID_ARGUMENT);
    assert!(tok.is_null());
    take_err(err);
    assert_eq!(
        unsafe { tp_parse_implicit_redirect(ptr::null(), ptr::null(), &mut tok, ptr::null_mut()) },
        tp_status::TP_ERR_INVALID_ARGUMENT
    );
}

#[test]
fn rules_handed_to_bindings() {
    use tpauth::ffi::auth::tp_caller_header_kept;
    use tpauth::ffi::config::tp_option_shown;
    assert!(unsafe { tp_caller_header_kept(c"X-Business-User-Id".as_ptr()) });
    assert!(!unsafe { tp_caller_header_kept(c"Authorization".as_ptr()) });
    assert!(!unsafe { tp_caller_header_kept(ptr::null()) });
    let mut out: *mut c_char = ptr::null_mut();
    let st = unsafe { tp_option_shown(c"token_cache".as_ptr(), c"redis://:pw@cache/0".as_ptr(), &mut out, ptr::null_mut()) };
    assert_eq!(st, tp_status::TP_OK);
    assert_eq!(s(out), "redis://***@cache/0");
    unsafe { tp_string_free(out) };
    let mut err: *mut tp_error = ptr::null_mut();
    let mut none: *mut c_char = ptr::null_mut();
    let st = unsafe { tp_option_shown(c"nope".as_ptr(), c"x".as_ptr(), &mut none, &mut err) };
    assert_eq!(st, tp_status::TP_ERR_INVALID_ARGUMENT);
    assert!(none.is_null());
    take_err(err);
}
