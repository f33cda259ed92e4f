//! The browser flows' redirect parsing (tp_authorize_url and tp_new_state live beside the client
//! and the library functions).

use super::token::{token_into_raw, tp_token};
use super::{arg_opt_str, arg_out, arg_str, ffi_status, string_into_raw, tp_error, tp_status, write_out};
use std::ffi::c_char;

/// The authorization code from a code-flow redirect (https://app/cb?code=...&state=...). With
/// expected_state (NULL: not checked), the redirect's state must equal it. No request is sent.
///
/// On success *code_out receives a string the caller frees with tp_string_free. Errors:
/// TP_ERR_STATE_MISMATCH (a different or missing state), TP_ERR_ACCESS_DENIED (error=... in the
/// redirect: the user declined; see tp_error_oauth_code; the message repeats error and
/// error_description without control characters, cut to 64 and 200 characters),
/// TP_ERR_INVALID_ARGUMENT (NULL argument, no code, OAuth parameters in the fragment, malformed
/// URL, a %00 anywhere in a name or value, or code, state, access_token, error or another OAuth
/// parameter given twice: a redirect with two states or two codes may be forged, and no copy is
/// chosen, so the state is never compared and the status is not TP_ERR_STATE_MISMATCH).
#[no_mangle]
pub unsafe extern "C" fn tp_parse_code_redirect(
    redirect_url: *const c_char,
    expected_state: *const c_char,
    code_out: *mut *mut c_char,
    err: *mut *mut tp_error,
) -> tp_status {
    ffi_status!(err, {
        let redirect_url = arg_str!(redirect_url);
        let expected_state = arg_opt_str!(expected_state);
        arg_out!(code_out);
        let code = crate::parse_code_redirect(redirect_url, expected_state)?;
        // SAFETY: code_out checked non-NULL.
        unsafe { write_out(code_out, string_into_raw(code)) };
        Ok(())
    })
}

/// The token from an implicit-flow redirect
/// (https://app/cb#access_token=...&token_type=bearer&expires_in=...&state=...). With
/// expected_state (NULL: not checked), the redirect's state must equal it. No request is sent;
/// the token does not become the current one (see tp_set_token).
///
/// On success *out receives a token the caller frees with tp_token_free. Errors as
/// tp_parse_code_redirect (TP_ERR_INVALID_ARGUMENT also for OAuth parameters in the query or a
/// bad expires_in).
#[no_mangle]
pub unsafe extern "C" fn tp_parse_implicit_redirect(
    redirect_url: *const c_char,
    expected_state: *const c_char,
    out: *mut *mut tp_token,
    err: *mut *mut tp_error,
) -> tp_status {
    ffi_status!(err, {
        let redirect_url = arg_str!(redirect_url);
        let expected_state = arg_opt_str!(expected_state);
        arg_out!(out);
        let token = crate::parse_implicit_redirect(redirect_url, expected_state)?;
        // SAFETY: out checked non-NULL.
        unsafe { write_out(out, token_into_raw(token)) };
        Ok(())
    })
}
