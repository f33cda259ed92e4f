//! What a client was configured with, for bindings that attach API-call headers themselves
//! without asking for a token each time (Go's `SetAPIHeaders` under x/oauth2's Transport).

use super::auth::tp_auth;
use super::{arg_out, arg_ref, ffi_status, string_into_raw, tp_error, tp_status, write_out};
use std::ffi::c_char;

/// The API key this client sends (the apikey header and the OAuth client_id; not a secret).
///
/// On success *key_out receives a string the caller frees with tp_string_free. Errors:
/// TP_ERR_INVALID_ARGUMENT when auth or key_out is NULL.
#[no_mangle]
pub unsafe extern "C" fn tp_auth_api_key(auth: *const tp_auth, key_out: *mut *mut c_char, err: *mut *mut tp_error) -> tp_status {
    ffi_status!(err, {
        let auth = arg_ref!(auth);
        arg_out!(key_out);
        // SAFETY: key_out checked non-NULL.
        unsafe { write_out(key_out, string_into_raw(auth.inner.config().api_key().to_owned())) };
        Ok(())
    })
}

/// The business_user_id option this client sends as x-business-user-id.
///
/// On success *id_out receives a string the caller frees with tp_string_free, or NULL when the
/// option is not set. Errors: TP_ERR_INVALID_ARGUMENT when auth or id_out is NULL.
#[no_mangle]
pub unsafe extern "C" fn tp_auth_business_user_id(auth: *const tp_auth, id_out: *mut *mut c_char, err: *mut *mut tp_error) -> tp_status {
    ffi_status!(err, {
        let auth = arg_ref!(auth);
        arg_out!(id_out);
        let id = auth.inner.config().business_user_id().map_or(std::ptr::null_mut(), |id| string_into_raw(id.to_owned()));
        // SAFETY: id_out checked non-NULL.
        unsafe { write_out(id_out, id) };
        Ok(())
    })
}
