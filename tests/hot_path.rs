//! The cached path and what bindings keep without calling in: `tp_get_token` hands out the core's
//! own token (no copy), and the header merge rule and the printed form of options come from the
//! core as data. No I/O: the client never needs a token request (`grant=none`, `tp_set_token`).

#![allow(clippy::undocumented_unsafe_blocks)]

use std::ffi::{c_char, CStr};
use std::ptr;
use tpauth::ffi::auth::{
    tp_auth, tp_auth_free, tp_auth_new, tp_caller_header_kept, tp_get_token, tp_invalidate_token, tp_prepare_api_call, tp_set_token,
    TP_PREPARE_NO_RENEW,
};
use tpauth::ffi::config::{tp_config, tp_config_free, tp_config_new, tp_config_set, tp_option_shown};
use tpauth::ffi::error::{tp_error, tp_error_free, tp_error_status};
use tpauth::ffi::misc::tp_string_free;
use tpauth::ffi::token::{tp_token, tp_token_access_token, tp_token_free, tp_token_from_json, tp_token_raw_json};
use tpauth::ffi::tp_status;

fn s(p: *const c_char) -> String {
    assert!(!p.is_null());
    unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned()
}

/// A client that never requests a token, with `business_user_id` set.
fn client() -> *mut tp_auth {
    let mut cfg: *mut tp_config = ptr::null_mut();
    assert_eq!(unsafe { tp_config_new(c"key".as_ptr(), c"secret".as_ptr(), &mut cfg, ptr::null_mut()) }, tp_status::TP_OK);
    for (k, v) in
        [(c"api_base_url", c"http://127.0.0.1:9"), (c"allow_insecure_http", c"true"), (c"grant", c"none"), (c"business_user_id", c"bu-1")]
    {
        assert_eq!(unsafe { tp_config_set(cfg, k.as_ptr(), v.as_ptr(), ptr::null_mut()) }, tp_status::TP_OK);
    }
    let mut auth: *mut tp_auth = ptr::null_mut();
    assert_eq!(unsafe { tp_auth_new(cfg, &mut auth, ptr::null_mut()) }, tp_status::TP_OK);
    unsafe { tp_config_free(cfg) };
    auth
}

fn token(json: &CStr) -> *mut tp_token {
    let mut t: *mut tp_token = ptr::null_mut();
    assert_eq!(unsafe { tp_token_from_json(json.as_ptr(), &mut t, ptr::null_mut()) }, tp_status::TP_OK);
    t
}

fn get(auth: *mut tp_auth) -> *mut tp_token {
    let mut t: *mut tp_token = ptr::null_mut();
    assert_eq!(unsafe { tp_get_token(auth, &mut t, ptr::null_mut()) }, tp_status::TP_OK);
    t
}

#[test]
fn the_cached_token_is_handed_out_as_the_cores_own_allocation() {
    let auth = client();
    let mine = token(c"{\"access_token\":\"at-1\",\"expires_in\":3600}");
    assert_eq!(unsafe { tp_set_token(auth, mine, ptr::null_mut()) }, tp_status::TP_OK);
    unsafe { tp_token_free(mine) }; // the client keeps its own reference
    let (a, b) = (get(auth), get(auth));
    assert_eq!(a, b, "two calls hand out the same token, not copies");
    assert_eq!(unsafe { tp_token_access_token(a) }, unsafe { tp_token_access_token(b) });
    assert_eq!(s(unsafe { tp_token_access_token(a) }), "at-1");
    // A handle outlives the client's move to another token, and the client's own reference.
    let other = token(c"{\"access_token\":\"at-2\",\"expires_in\":3600}");
    assert_eq!(unsafe { tp_set_token(auth, other, ptr::null_mut()) }, tp_status::TP_OK);
    unsafe { tp_token_free(other) };
    let c = get(auth);
    assert_ne!(c, a);
    assert_eq!(s(unsafe { tp_token_access_token(c) }), "at-2");
    unsafe { tp_auth_free(auth) };
    assert_eq!(s(unsafe { tp_token_access_token(a) }), "at-1");
    assert!(s(unsafe { tp_token_raw_json(b) }).contains("at-1"));
    for t in [a, b, c] {
        unsafe { tp_token_free(t) };
    }
}

#[test]
fn an_invalidated_token_is_never_served_again() {
    let auth = client();
    let mine = token(c"{\"access_token\":\"at-1\",\"expires_in\":3600}");
    assert_eq!(unsafe { tp_set_token(auth, mine, ptr::null_mut()) }, tp_status::TP_OK);
    let served = get(auth);
    unsafe { tp_token_free(served) };
    assert_eq!(unsafe { tp_invalidate_token(auth, c"at-1".as_ptr(), ptr::null_mut()) }, tp_status::TP_OK);
    // grant=none: without a usable token, the client has none to give.
    let mut t: *mut tp_token = ptr::null_mut();
    let mut err: *mut tp_error = ptr::null_mut();
    assert_eq!(unsafe { tp_get_token(auth, &mut t, &mut err) }, tp_status::TP_ERR_NO_TOKEN);
    assert!(t.is_null());
    unsafe { tp_error_free(err) };
    unsafe { tp_token_free(mine) };
    unsafe { tp_auth_free(auth) };
}

/// `tp_prepare_api_call`'s header lines for a request naming `caller_headers` (NULL: none).
fn lines(auth: *mut tp_auth, caller_headers: Option<&CStr>) -> Vec<String> {
    let (mut url, mut headers): (*mut c_char, *mut c_char) = (ptr::null_mut(), ptr::null_mut());
    let names = caller_headers.map_or(ptr::null(), CStr::as_ptr);
    let st = unsafe {
        tp_prepare_api_call(auth, c"GET".as_ptr(), c"/v1/x".as_ptr(), names, TP_PREPARE_NO_RENEW, &mut url, &mut headers, ptr::null_mut())
    };
    assert_eq!(st, tp_status::TP_OK);
    let text = s(headers);
    unsafe { tp_string_free(url) };
    unsafe { tp_string_free(headers) };
    text.split('\n').map(str::to_owned).collect()
}

fn kept(name: &CStr) -> bool {
    unsafe { tp_caller_header_kept(name.as_ptr()) }
}

#[test]
fn the_merge_rule_as_data_is_the_one_tp_prepare_api_call_applies() {
    assert!(kept(c"x-business-user-id") && kept(c"X-Business-User-Id") && kept(c" x-business-user-id "));
    assert!(!kept(c"Authorization") && !kept(c"apikey") && !kept(c"x-business-user"));
    assert!(!unsafe { tp_caller_header_kept(ptr::null()) });
    assert!(!unsafe { tp_caller_header_kept([0xff_u8, 0].as_ptr().cast()) });
    // For every line tp_prepare_api_call gives: a request that already carries that header gets
    // the line left out exactly when tp_caller_header_kept says its own is kept.
    let auth = client();
    let mine = token(c"{\"access_token\":\"at-1\",\"expires_in\":3600}");
    assert_eq!(unsafe { tp_set_token(auth, mine, ptr::null_mut()) }, tp_status::TP_OK);
    unsafe { tp_token_free(mine) };
    let all = lines(auth, None);
    assert_eq!(all.len(), 3, "{all:?}");
    for line in &all {
        let name = std::ffi::CString::new(line.split_once(": ").unwrap().0).unwrap();
        let with_own = lines(auth, Some(&name));
        assert_eq!(!with_own.contains(line), kept(&name), "{line}: with the request's own, the lines are {with_own:?}");
    }
    unsafe { tp_auth_free(auth) };
}

fn shown(key: &CStr, value: &CStr) -> Result<String, tp_status> {
    let mut out: *mut c_char = ptr::null_mut();
    let mut err: *mut tp_error = ptr::null_mut();
    let st = unsafe { tp_option_shown(key.as_ptr(), value.as_ptr(), &mut out, &mut err) };
    if st != tp_status::TP_OK {
        assert!(out.is_null());
        let status = unsafe { tp_error_status(err) };
        unsafe { tp_error_free(err) };
        return Err(status);
    }
    let text = s(out);
    unsafe { tp_string_free(out) };
    Ok(text)
}

#[test]
fn options_are_shown_without_their_secrets() {
    assert_eq!(shown(c"token_cache", c"redis://:s3cret@cache.internal:6379/2").unwrap(), "redis://***@cache.internal:6379/2");
    assert_eq!(shown(c"token_cache", c"/var/cache/tpauth/token.json").unwrap(), "/var/cache/tpauth/token.json");
    assert_eq!(shown(c"api_base_url", c"https://user:pw@api.example.com").unwrap(), "https://***@api.example.com");
    assert_eq!(shown(c"authorize_url", c"https://u:p@auth.example.com/x").unwrap(), "https://***@auth.example.com/x");
    assert_eq!(shown(c"proxy", c"http://me:pw@proxy:3128").unwrap(), "http://***@proxy:3128");
    assert_eq!(shown(c"api_secret", c"hunter2").unwrap(), "[redacted]");
    assert_eq!(shown(c"password", c"hunter2").unwrap(), "[redacted]");
    assert_eq!(shown(c"password", c"").unwrap(), "");
    assert_eq!(shown(c"api_key", c"key-1").unwrap(), "key-1");
    assert_eq!(shown(c"grant", c"client_credentials").unwrap(), "client_credentials");
    assert_eq!(shown(c"no_such_option", c"x"), Err(tp_status::TP_ERR_INVALID_ARGUMENT));
    let mut out: *mut c_char = ptr::null_mut();
    assert_eq!(unsafe { tp_option_shown(ptr::null(), c"x".as_ptr(), &mut out, ptr::null_mut()) }, tp_status::TP_ERR_INVALID_ARGUMENT);
    assert_eq!(
        unsafe { tp_option_shown(c"grant".as_ptr(), c"x".as_ptr(), ptr::null_mut(), ptr::null_mut()) },
        tp_status::TP_ERR_INVALID_ARGUMENT
    );
}
