//! `tp_token`: one token response, immutable.

use super::{
    arg_opt_str, arg_out, arg_ref, arg_str, borrow, ffi_status, ffi_value, free_raw, into_raw, string_into_raw, tp_error, tp_status,
    write_out, Castable, OwnershipBox,
};
use crate::Token;
use std::ffi::{c_char, CString};
use std::sync::OnceLock;
use zeroize::Zeroizing;

/// One token response (access token, refresh token, expiry, the server's JSON), immutable and
/// safe to read from any thread. Freed with tp_token_free; the strings its accessors return are
/// borrowed from it.
pub struct tp_token {
    pub(crate) inner: Token,
    /// The token's strings as the C accessors lend them out: NUL-terminated copies, wiped on drop.
    /// Each is made on its first read (thread-safe), so a tp_get_token that serves the cached
    /// token copies nothing the caller does not read.
    access_token: OnceLock<Zeroizing<CString>>,
    refresh_token: OnceLock<Option<Zeroizing<CString>>>,
    token_type: OnceLock<Option<Zeroizing<CString>>>,
    raw_json: OnceLock<Zeroizing<CString>>,
}

impl Castable for tp_token {
    type Ownership = OwnershipBox;
}

impl tp_token {
    pub(crate) fn new(inner: Token) -> tp_token {
        tp_token {
            inner,
            access_token: OnceLock::new(),
            refresh_token: OnceLock::new(),
            token_type: OnceLock::new(),
            raw_json: OnceLock::new(),
        }
    }
}

/// A NUL-terminated copy of one of a token's strings. They never contain NUL (`Secret::new`
/// refuses them), so no copy is cut.
fn c_copy(s: &str) -> Zeroizing<CString> {
    Zeroizing::new(CString::new(s).unwrap_or_default())
}

/// The access token (a secret: never log it). Borrowed from t: valid until tp_token_free(t).
/// NULL when t is NULL.
#[no_mangle]
pub unsafe extern "C" fn tp_token_access_token(t: *const tp_token) -> *const c_char {
    ffi_value!(std::ptr::null(), {
        // SAFETY: NULL or a live tp_token.
        unsafe { borrow(t) }.map_or(std::ptr::null(), |t| t.access_token.get_or_init(|| c_copy(t.inner.access_token())).as_ptr())
    })
}

/// The refresh token (a secret), or NULL when the server sent none (client credentials,
/// implicit). Borrowed from t: valid until tp_token_free(t).
#[no_mangle]
pub unsafe extern "C" fn tp_token_refresh_token(t: *const tp_token) -> *const c_char {
    ffi_value!(std::ptr::null(), {
        // SAFETY: NULL or a live tp_token.
        unsafe { borrow(t) }
            .and_then(|t| t.refresh_token.get_or_init(|| t.inner.refresh_token().map(c_copy)).as_ref())
            .map_or(std::ptr::null(), |c| c.as_ptr())
    })
}

/// token_type as the server sent it (Trustpilot: "BearerToken"), or NULL when none. Borrowed
/// from t: valid until tp_token_free(t).
#[no_mangle]
pub unsafe extern "C" fn tp_token_type(t: *const tp_token) -> *const c_char {
    ffi_value!(std::ptr::null(), {
        // SAFETY: NULL or a live tp_token.
        unsafe { borrow(t) }
            .and_then(|t| t.token_type.get_or_init(|| t.inner.token_type().map(c_copy)).as_ref())
            .map_or(std::ptr::null(), |c| c.as_ptr())
    })
}

/// expires_in as the server sent it, in seconds; -1 when unknown (or t is NULL).
#[no_mangle]
pub unsafe extern "C" fn tp_token_expires_in(t: *const tp_token) -> i64 {
    ffi_value!(-1, {
        // SAFETY: NULL or a live tp_token.
        unsafe { borrow(t) }.map_or(-1, |t| t.inner.expires_in())
    })
}

/// When the token expires, in Unix seconds: the local clock when it was received plus
/// expires_in; -1 when unknown (or t is NULL).
#[no_mangle]
pub unsafe extern "C" fn tp_token_expires_at(t: *const tp_token) -> i64 {
    ffi_value!(-1, {
        // SAFETY: NULL or a live tp_token.
        unsafe { borrow(t) }.map_or(-1, |t| t.inner.expires_at())
    })
}

/// When the token was received, in Unix seconds by the local clock; -1 when t is NULL.
#[no_mangle]
pub unsafe extern "C" fn tp_token_received_at(t: *const tp_token) -> i64 {
    ffi_value!(-1, {
        // SAFETY: NULL or a live tp_token.
        unsafe { borrow(t) }.map_or(-1, |t| t.inner.received_at())
    })
}

/// Whether the token expires within leeway_s seconds from now. A token without a known expiry
/// is never expired (the API's 401 tells); a NULL token always is.
#[no_mangle]
pub unsafe extern "C" fn tp_token_is_expired(t: *const tp_token, leeway_s: i64) -> bool {
    ffi_value!(true, {
        // SAFETY: NULL or a live tp_token.
        unsafe { borrow(t) }.is_none_or(|t| t.inner.is_expired(leeway_s))
    })
}

/// The server's token response body, verbatim (contains secrets). For an implicit-grant token,
/// a JSON object of the redirect's parameters. Borrowed from t: valid until tp_token_free(t).
/// NULL when t is NULL.
#[no_mangle]
pub unsafe extern "C" fn tp_token_raw_json(t: *const tp_token) -> *const c_char {
    ffi_value!(std::ptr::null(), {
        // SAFETY: NULL or a live tp_token.
        unsafe { borrow(t) }.map_or(std::ptr::null(), |t| t.raw_json.get_or_init(|| c_copy(t.inner.raw_json())).as_ptr())
    })
}

/// Serialize the token for persisting (a file, a database), expiry included; read it back with
/// tp_token_from_json. The JSON contains secrets: store it like a password.
///
/// On success *json_out receives a string the caller frees with tp_string_free. Errors:
/// TP_ERR_INVALID_ARGUMENT when t or json_out is NULL.
#[no_mangle]
pub unsafe extern "C" fn tp_token_to_json(t: *const tp_token, json_out: *mut *mut c_char, err: *mut *mut tp_error) -> tp_status {
    ffi_status!(err, {
        let t = arg_ref!(t);
        arg_out!(json_out);
        // SAFETY: json_out checked non-NULL.
        unsafe { write_out(json_out, string_into_raw(t.inner.to_json())) };
        Ok(())
    })
}

/// A token from what tp_token_to_json wrote, or from a plain token response (an object with
/// access_token, taken as received now).
///
/// On success *out receives a token the caller frees with tp_token_free. Errors:
/// TP_ERR_INVALID_ARGUMENT when json or out is NULL, or json is not such a document.
#[no_mangle]
pub unsafe extern "C" fn tp_token_from_json(json: *const c_char, out: *mut *mut tp_token, err: *mut *mut tp_error) -> tp_status {
    ffi_status!(err, {
        let json = arg_str!(json);
        arg_out!(out);
        let token = Token::from_json(json)?;
        // SAFETY: out checked non-NULL.
        unsafe { write_out(out, into_raw(tp_token::new(token))) };
        Ok(())
    })
}

/// A token from its fields, for a caller that keeps tokens in its own shape and hands one back
/// (tp_set_token). refresh_token, token_type and raw_json may be NULL (none / unknown);
/// expires_in is in seconds, -1 when unknown; received_at_ms is when the token was received, in
/// Unix milliseconds (-1: now), so that tp_token_expires_at is received_at_ms / 1000 +
/// expires_in. raw_json, the server's response (a JSON object), is kept verbatim when it
/// already says what the fields say; otherwise the fields are written over it.
///
/// On success *out receives a token the caller frees with tp_token_free. Errors:
/// TP_ERR_INVALID_ARGUMENT when access_token or out is NULL, access_token is empty, a string is
/// not UTF-8, expires_in or received_at_ms is out of range, or raw_json is not a JSON object.
#[no_mangle]
pub unsafe extern "C" fn tp_token_new(
    access_token: *const c_char,
    refresh_token: *const c_char,
    token_type: *const c_char,
    expires_in: i64,
    received_at_ms: i64,
    raw_json: *const c_char,
    out: *mut *mut tp_token,
    err: *mut *mut tp_error,
) -> tp_status {
    ffi_status!(err, {
        let access_token = arg_str!(access_token);
        let refresh_token = arg_opt_str!(refresh_token);
        let token_type = arg_opt_str!(token_type);
        let raw_json = arg_opt_str!(raw_json);
        arg_out!(out);
        let token = Token::from_fields(access_token, refresh_token, token_type, expires_in, received_at_ms, raw_json)?;
        // SAFETY: out checked non-NULL.
        unsafe { write_out(out, into_raw(tp_token::new(token))) };
        Ok(())
    })
}

/// Free a token. NULL is ignored. Its secrets are wiped when the last copy held by the library
/// is dropped.
#[no_mangle]
pub unsafe extern "C" fn tp_token_free(t: *mut tp_token) {
    ffi_value!((), {
        // SAFETY: NULL or a token from this library, freed once.
        unsafe { free_raw(t) }
    })
}
