//! `tp_config_set` through the C ABI: every key of the options table (and unknown ones) with any
//! value bytes, invalid UTF-8 included. Each call answers TP_OK or TP_ERR_INVALID_ARGUMENT with an
//! error that never repeats a password; a configuration that accepted every value still builds a
//! client (`tp_auth_new`) or refuses with a typed error.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::ffi::{CStr, CString};
use std::ptr;
use tpauth::ffi::auth::{tp_auth, tp_auth_free, tp_auth_new};
use tpauth::ffi::config::{tp_config, tp_config_free, tp_config_new, tp_config_set};
use tpauth::ffi::error::{tp_error_free, tp_error_message};
use tpauth::ffi::{tp_error, tp_status};
use tpauth::OPTION_KEYS;

fuzz_target!(|data: &[u8]| {
    let mut cfg: *mut tp_config = ptr::null_mut();
    let key = CString::new("mock-api-key").unwrap();
    let secret = CString::new("mock-api-secret").unwrap();
    unsafe {
        assert_eq!(tp_config_new(key.as_ptr(), secret.as_ptr(), &mut cfg, ptr::null_mut()), tp_status::TP_OK);
    }
    // Records: one key byte (an index into OPTION_KEYS; past the end, an unknown key), then the
    // value up to the next 0 byte.
    let mut rest = data;
    // A client is built at the end unless a file option was set: a fuzzed token_cache path would
    // create files anywhere, and a fuzzed ca_file could name a device that never ends.
    let mut touches_files = false;
    while let Some((&k, tail)) = rest.split_first() {
        let end = tail.iter().position(|&b| b == 0).unwrap_or(tail.len());
        let value = &tail[..end];
        rest = if end < tail.len() { &tail[end + 1..] } else { &[] };
        let name = OPTION_KEYS.get(usize::from(k) % (OPTION_KEYS.len() + 1)).copied().unwrap_or("no_such_option");
        let ckey = CString::new(name).unwrap();
        let cval = CString::new(value).unwrap();
        let mut err: *mut tp_error = ptr::null_mut();
        let st = unsafe { tp_config_set(cfg, ckey.as_ptr(), cval.as_ptr(), &mut err) };
        if st == tp_status::TP_OK {
            assert!(err.is_null());
            touches_files |= matches!(name, "token_cache" | "ca_file") && !value.is_empty();
        } else {
            assert_eq!(st, tp_status::TP_ERR_INVALID_ARGUMENT);
            assert!(!err.is_null());
            let msg = unsafe { CStr::from_ptr(tp_error_message(err)) }.to_string_lossy().into_owned();
            if name == "password" && value.len() >= 4 {
                assert!(!msg.contains(&*String::from_utf8_lossy(value)), "a password appears in {msg:?}");
            }
            unsafe { tp_error_free(err) };
        }
    }
    if !touches_files {
        let mut auth: *mut tp_auth = ptr::null_mut();
        let mut err: *mut tp_error = ptr::null_mut();
        let st = unsafe { tp_auth_new(cfg, &mut auth, &mut err) };
        if st == tp_status::TP_OK {
            unsafe { tp_auth_free(auth) };
        } else {
            assert_ne!(st, tp_status::TP_ERR_INTERNAL);
            unsafe { tp_error_free(err) };
        }
    }
    unsafe { tp_config_free(cfg) };
});
