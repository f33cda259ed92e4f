//! `tp_error`: one error, immutable, owned by the caller.

use super::{borrow, ffi_value, free_raw, tp_status, Castable, OwnershipBox};
use crate::error::Error;
use std::ffi::{c_char, c_int, CString};

/// One error: status, message, HTTP status, OAuth error code and Retry-After. Received through
/// the tp_error **err argument of a failed call; immutable and safe to read from any thread;
/// freed with tp_error_free.
pub struct tp_error {
    status: tp_status,
    message: CString,
    http_status: c_int,
    oauth_code: Option<CString>,
    retry_after_ms: i64,
}

impl Castable for tp_error {
    type Ownership = OwnershipBox;
}

/// `s` as a C string; a NUL (which the core never refuses in a message) becomes U+FFFD, so the
/// message is never cut short.
fn c_string_lossy(s: &str) -> CString {
    CString::new(s.replace('\0', "\u{FFFD}")).unwrap_or_default()
}

impl tp_error {
    pub(crate) fn from_error(e: Error) -> tp_error {
        tp_error {
            status: e.status().into(),
            message: c_string_lossy(e.message()),
            http_status: c_int::from(e.http_status()),
            oauth_code: e.oauth_code().map(c_string_lossy),
            retry_after_ms: e.retry_after().map_or(-1, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
        }
    }

    #[cfg(test)]
    pub(crate) fn message(&self) -> &std::ffi::CStr {
        &self.message
    }
}

/// The error's status (never TP_OK for an error; TP_OK when e is NULL).
#[no_mangle]
pub unsafe extern "C" fn tp_error_status(e: *const tp_error) -> tp_status {
    ffi_value!(tp_status::TP_ERR_INTERNAL, {
        // SAFETY: NULL or a live tp_error.
        unsafe { borrow(e) }.map_or(tp_status::TP_OK, |e| e.status)
    })
}

/// What went wrong and what to do, in English; never contains a secret. A server's
/// error_description is included only when it repeats no part of the request's secrets in any
/// encoding (otherwise the message says it was withheld), without control characters and cut to
/// 200 characters. Borrowed from e: valid until tp_error_free(e). "" when e is NULL.
#[no_mangle]
pub unsafe extern "C" fn tp_error_message(e: *const tp_error) -> *const c_char {
    ffi_value!(c"".as_ptr(), {
        // SAFETY: NULL or a live tp_error.
        unsafe { borrow(e) }.map_or(c"".as_ptr(), |e| e.message.as_ptr())
    })
}

/// The HTTP status of the answer that caused the error; 0 when there was no HTTP answer (or e
/// is NULL).
#[no_mangle]
pub unsafe extern "C" fn tp_error_http_status(e: *const tp_error) -> c_int {
    ffi_value!(0, {
        // SAFETY: NULL or a live tp_error.
        unsafe { borrow(e) }.map_or(0, |e| e.http_status)
    })
}

/// The OAuth error code the server sent ("invalid_grant", "invalid_client", "access_denied",
/// ...), or NULL when none. Borrowed from e: valid until tp_error_free(e).
#[no_mangle]
pub unsafe extern "C" fn tp_error_oauth_code(e: *const tp_error) -> *const c_char {
    ffi_value!(std::ptr::null(), {
        // SAFETY: NULL or a live tp_error.
        unsafe { borrow(e) }.and_then(|e| e.oauth_code.as_ref()).map_or(std::ptr::null(), |c| c.as_ptr())
    })
}

/// How long the server asked to wait before trying again (Retry-After, or the remaining 429
/// cooldown), in milliseconds; -1 when the server gave none (or e is NULL).
#[no_mangle]
pub unsafe extern "C" fn tp_error_retry_after_ms(e: *const tp_error) -> i64 {
    ffi_value!(-1, {
        // SAFETY: NULL or a live tp_error.
        unsafe { borrow(e) }.map_or(-1, |e| e.retry_after_ms)
    })
}

/// Free an error. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn tp_error_free(e: *mut tp_error) {
    ffi_value!((), {
        // SAFETY: NULL or an error from this library, freed once.
        unsafe { free_raw(e) }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_in_a_message_or_code_is_replaced_not_cut() {
        let e = Error::new(crate::Status::Http, "before\0after").with_oauth_code(Some("bad\0code".into()));
        let c = tp_error::from_error(e);
        assert_eq!(c.message().to_str().unwrap(), "before\u{FFFD}after");
        assert_eq!(c.oauth_code.as_deref().map(|c| c.to_str().unwrap()), Some("bad\u{FFFD}code"));
    }
}
