//! `tp_token_new` / `Token::from_fields`: a token from its fields, as a binding that keeps tokens
//! in its own shape hands one back (Go's `SetToken`), without knowing the persisted format.

#![allow(clippy::undocumented_unsafe_blocks)]

use std::ffi::CStr;
use std::ptr;
use tpauth::ffi::token::{tp_token, tp_token_expires_at, tp_token_free, tp_token_new, tp_token_raw_json, tp_token_refresh_token};
use tpauth::ffi::{tp_error, tp_status};
use tpauth::{Status, Token};

#[test]
fn fields_make_the_token_and_its_expiry() {
    let t = Token::from_fields("AT", Some("RT"), Some("BearerToken"), 3600, 1_700_000_000_000, None).unwrap();
    assert_eq!((t.access_token(), t.refresh_token(), t.token_type()), ("AT", Some("RT"), Some("BearerToken")));
    assert_eq!(t.expires_in(), 3600);
    assert_eq!(t.expires_at(), 1_700_000_000 + 3600);
    // It survives the persisted format of the library (which only the core knows).
    let back = Token::from_json(&t.to_json()).unwrap();
    assert_eq!((back.access_token(), back.refresh_token(), back.expires_at()), ("AT", Some("RT"), t.expires_at()));
    // Unknown expiry, received now.
    let t = Token::from_fields("AT", None, None, -1, -1, None).unwrap();
    assert_eq!((t.expires_in(), t.expires_at(), t.refresh_token()), (-1, -1, None));
}

#[test]
fn raw_json_is_kept_verbatim_when_it_agrees_and_overwritten_when_not() {
    let raw = r#"{"access_token":"AT","expires_in":"359999","token_type":"BearerToken","extra":1}"#;
    let t = Token::from_fields("AT", None, None, 359_999, 1_000, Some(raw)).unwrap();
    assert_eq!(t.raw_json(), raw, "agreeing fields keep the server's bytes");
    let t = Token::from_fields("AT2", Some("RT"), None, 60, 1_000, Some(raw)).unwrap();
    let v = t.raw();
    assert_eq!((v["access_token"].as_str(), v["refresh_token"].as_str(), v["expires_in"].as_i64()), (Some("AT2"), Some("RT"), Some(60)));
    assert_eq!(v["extra"].as_i64(), Some(1), "other fields of the response are kept");
    assert_eq!(t.token_type(), Some("BearerToken"), "no token_type given: the response's stays");
}

#[test]
fn bad_fields_are_invalid_arguments() {
    for r in [
        Token::from_fields("", None, None, 60, 0, None),
        Token::from_fields("AT", None, None, -2, 0, None),
        Token::from_fields("AT", None, None, 60, -5, None),
        Token::from_fields("AT", None, None, 60, 0, Some("[1]")),
        Token::from_fields("AT\r\nX: y", None, None, 60, 0, None),
    ] {
        assert_eq!(r.unwrap_err().status(), Status::InvalidArgument);
    }
}

#[test]
fn c_abi() {
    let mut t: *mut tp_token = ptr::null_mut();
    let st = unsafe { tp_token_new(c"AT".as_ptr(), c"RT".as_ptr(), ptr::null(), 100, 2_000_000, ptr::null(), &mut t, ptr::null_mut()) };
    assert_eq!(st, tp_status::TP_OK);
    assert_eq!(unsafe { tp_token_expires_at(t) }, 2_000 + 100);
    assert_eq!(unsafe { CStr::from_ptr(tp_token_refresh_token(t)) }.to_str().unwrap(), "RT");
    assert!(unsafe { CStr::from_ptr(tp_token_raw_json(t)) }.to_str().unwrap().contains("\"access_token\":\"AT\""));
    unsafe { tp_token_free(t) };
    let mut err: *mut tp_error = ptr::null_mut();
    let mut t: *mut tp_token = ptr::null_mut();
    let st = unsafe { tp_token_new(ptr::null(), ptr::null(), ptr::null(), 100, -1, ptr::null(), &mut t, &mut err) };
    assert_eq!(st, tp_status::TP_ERR_INVALID_ARGUMENT);
    assert!(t.is_null() && !err.is_null());
    unsafe { tpauth::ffi::error::tp_error_free(err) };
}
