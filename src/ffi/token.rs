//! `tp_token`: one token response, immutable. A `tp_token *` is the core token's own shared
//! allocation (`Arc::into_raw`): handing the current token to C costs one reference count, and its
//! strings are lent out as the core stores them (NUL-terminated), without a copy.

use super::{
    arc_borrow, arc_free, arc_into_raw, arg_lent, arg_opt_str, arg_out, arg_str, ffi_status, ffi_value, string_into_raw, tp_error,
    tp_status, write_out, ArcCastable, Castable, Lent, OwnershipArc,
};
use crate::token::TokenData;
use crate::Token;
use std::ffi::c_char;
use std::sync::Arc;

/// One token response (access token, refresh token, expiry, the server's JSON), immutable and
/// safe to read from any thread. Freed with tp_token_free; the strings its accessors return are
/// borrowed from it.
pub struct tp_token {
    // Never constructed: a tp_token * points at the core's token (see ArcCastable).
    _opaque: [u8; 0],
}

impl Castable for tp_token {
    type Ownership = OwnershipArc;
}

impl ArcCastable for tp_token {
    type RustType = TokenData;
    type Owner = Token;
    fn into_arc(owner: Token) -> Arc<TokenData> {
        owner.into_arc()
    }
    fn from_arc(arc: Arc<TokenData>) -> Token {
        Token::from_arc(arc)
    }
}

/// A new handle on `token` for C (one reference count on the core's token).
pub(crate) fn token_into_raw(token: Token) -> *mut tp_token {
    arc_into_raw::<tp_token>(token)
}

/// The token behind a handle C lends for a call; `None` when NULL.
///
/// # Safety
/// `t` is NULL or a live tp_token.
unsafe fn lend<'a>(t: *const tp_token) -> Option<Lent<'a, tp_token>> {
    // SAFETY: the caller's contract.
    unsafe { arc_borrow(t) }
}

/// The access token (a secret: never log it). Borrowed from t: valid until tp_token_free(t).
/// NULL when t is NULL.
#[no_mangle]
pub unsafe extern "C" fn tp_token_access_token(t: *const tp_token) -> *const c_char {
    ffi_value!(std::ptr::null(), {
        // SAFETY: NULL or a live tp_token; the string lives in its allocation.
        unsafe { lend(t) }.map_or(std::ptr::null(), |t| t.access_token_c().as_ptr())
    })
}

/// The refresh token (a secret), or NULL when the server sent none (client credentials,
/// implicit). Borrowed from t: valid until tp_token_free(t).
#[no_mangle]
pub unsafe extern "C" fn tp_token_refresh_token(t: *const tp_token) -> *const c_char {
    ffi_value!(std::ptr::null(), {
        // SAFETY: NULL or a live tp_token; the string lives in its allocation.
        unsafe { lend(t) }.and_then(|t| t.refresh_token_c().map(|c| c.as_ptr())).unwrap_or(std::ptr::null())
    })
}

/// token_type as the server sent it (Trustpilot: "BearerToken"), or NULL when none. Borrowed
/// from t: valid until tp_token_free(t).
#[no_mangle]
pub unsafe extern "C" fn tp_token_type(t: *const tp_token) -> *const c_char {
    ffi_value!(std::ptr::null(), {
        // SAFETY: NULL or a live tp_token; the string lives in its allocation.
        unsafe { lend(t) }.and_then(|t| t.token_type_c().map(|c| c.as_ptr())).unwrap_or(std::ptr::null())
    })
}

/// expires_in as the server sent it, in seconds; -1 when unknown (or t is NULL).
#[no_mangle]
pub unsafe extern "C" fn tp_token_expires_in(t: *const tp_token) -> i64 {
    ffi_value!(-1, {
        // SAFETY: NULL or a live tp_token.
        unsafe { lend(t) }.map_or(-1, |t| t.expires_in())
    })
}

/// When the token expires, in Unix seconds: the local clock when it was received plus
/// expires_in; -1 when unknown (or t is NULL).
#[no_mangle]
pub unsafe extern "C" fn tp_token_expires_at(t: *const tp_token) -> i64 {
    ffi_value!(-1, {
        // SAFETY: NULL or a live tp_token.
        unsafe { lend(t) }.map_or(-1, |t| t.expires_at())
    })
}

/// When the token was received, in Unix seconds by the local clock; -1 when t is NULL.
#[no_mangle]
pub unsafe extern "C" fn tp_token_received_at(t: *const tp_token) -> i64 {
    ffi_value!(-1, {
        // SAFETY: NULL or a live tp_token.
        unsafe { lend(t) }.map_or(-1, |t| t.received_at())
    })
}

/// Whether the token expires within leeway_s seconds from now. A token without a known expiry
/// is never expired (the API's 401 tells); a NULL token always is.
#[no_mangle]
pub unsafe extern "C" fn tp_token_is_expired(t: *const tp_token, leeway_s: i64) -> bool {
    ffi_value!(true, {
        // SAFETY: NULL or a live tp_token.
        unsafe { lend(t) }.is_none_or(|t| t.is_expired(leeway_s))
    })
}

/// The server's token response body, verbatim (contains secrets). For an implicit-grant token,
/// a JSON object of the redirect's parameters. Borrowed from t: valid until tp_token_free(t).
/// NULL when t is NULL.
#[no_mangle]
pub unsafe extern "C" fn tp_token_raw_json(t: *const tp_token) -> *const c_char {
    ffi_value!(std::ptr::null(), {
        // SAFETY: NULL or a live tp_token; the string lives in its allocation.
        unsafe { lend(t) }.map_or(std::ptr::null(), |t| t.raw_json_c().as_ptr())
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
        let t = arg_lent!(t);
        arg_out!(json_out);
        // SAFETY: json_out checked non-NULL.
        unsafe { write_out(json_out, string_into_raw(t.to_json())) };
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
        unsafe { write_out(out, token_into_raw(token)) };
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
        unsafe { write_out(out, token_into_raw(token)) };
        Ok(())
    })
}

/// Free a token. NULL is ignored. Its secrets are wiped when the last copy held by the library
/// is dropped.
#[no_mangle]
pub unsafe extern "C" fn tp_token_free(t: *mut tp_token) {
    ffi_value!((), {
        // SAFETY: NULL or a token from this library, freed once.
        unsafe { arc_free(t) }
    })
}
