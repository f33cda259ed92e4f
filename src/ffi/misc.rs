//! Library-wide functions: version, status names, strings, state.

use super::{arg_out, ffi_status, ffi_value, string_into_raw, tp_error, tp_status, tp_status_int, write_out};
use crate::error::Status;
use std::ffi::{c_char, CStr, CString};
use zeroize::Zeroize;

const VERSION_C: &CStr = match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
    Ok(c) => c,
    Err(_) => panic!("the crate version contains NUL"),
};

/// The library's version, "MAJOR.MINOR.PATCH". Static: never free it.
#[no_mangle]
pub extern "C" fn tp_version() -> *const c_char {
    VERSION_C.as_ptr()
}

/// The C name of a status, e.g. "TP_ERR_RATE_LIMITED". Static: never free it. A number that is
/// not a tp_status gives "TP_ERR_UNKNOWN".
#[no_mangle]
pub extern "C" fn tp_status_name(status: tp_status_int) -> *const c_char {
    let name = Status::from_code(status).and_then(|s| STATUS_NAMES_C.iter().find(|(n, _)| *n == s));
    name.map_or(c"TP_ERR_UNKNOWN".as_ptr(), |(_, c)| c.as_ptr())
}

/// The status names as C strings, built once from [`Status::ALL`].
static STATUS_NAMES_C: std::sync::LazyLock<Vec<(Status, CString)>> =
    std::sync::LazyLock::new(|| Status::ALL.iter().map(|s| (*s, CString::new(s.name()).unwrap_or_default())).collect());

/// Free a string this library returned through a char ** out parameter (or tp_new_state).
/// Its bytes are wiped first (it may hold a token). NULL is ignored. Never pass a string that
/// did not come from this library, and never free these strings with free().
#[no_mangle]
pub unsafe extern "C" fn tp_string_free(s: *mut c_char) {
    ffi_value!((), {
        if !s.is_null() {
            // SAFETY: s came from CString::into_raw in this library and is freed once.
            let mut bytes = unsafe { CString::from_raw(s) }.into_bytes_with_nul();
            bytes.zeroize();
        }
    })
}

/// A fresh OAuth state: 128 random bits from the operating system, URL-safe base64 (22
/// characters). The caller owns it: free it with tp_string_free. NULL only if memory runs out.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn tp_new_state() -> *mut c_char {
    ffi_value!(std::ptr::null_mut(), { string_into_raw(crate::new_state()) })
}

/// A fresh PKCE pair (RFC 7636, method S256): *verifier receives 43 characters made from 32
/// random bytes (base64url), *challenge BASE64URL(SHA256(verifier)). Send the challenge with
/// tp_authorize_url_pkce, keep the verifier (it is a secret, like the state) for
/// tp_authorization_code_grant_pkce. Both out parameters are written only on success; free both
/// with tp_string_free.
///
/// Errors: TP_ERR_INVALID_ARGUMENT (verifier or challenge is NULL), TP_ERR_INTERNAL (the
/// operating system gave no random bytes). Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn tp_new_pkce(verifier: *mut *mut c_char, challenge: *mut *mut c_char, err: *mut *mut tp_error) -> tp_status {
    ffi_status!(err, {
        arg_out!(verifier);
        arg_out!(challenge);
        let pair = crate::new_pkce()?;
        // SAFETY: both checked non-NULL.
        unsafe {
            write_out(verifier, string_into_raw(pair.verifier.clone()));
            write_out(challenge, string_into_raw(pair.challenge.clone()));
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_unknown_numbers() {
        // SAFETY: static C strings.
        let name = |n| unsafe { CStr::from_ptr(tp_status_name(n)) }.to_str().unwrap();
        for s in Status::ALL {
            assert_eq!(name(s.code()), s.name());
        }
        assert_eq!(name(14), "TP_ERR_UNKNOWN");
        assert_eq!(name(-1), "TP_ERR_UNKNOWN");
        assert_eq!(name(i32::MAX), "TP_ERR_UNKNOWN");
        // SAFETY: static C string.
        assert_eq!(unsafe { CStr::from_ptr(tp_version()) }.to_str().unwrap(), crate::VERSION);
    }

    #[test]
    fn state_roundtrip() {
        let s = tp_new_state();
        // SAFETY: s is a fresh string from this library.
        assert_eq!(unsafe { CStr::from_ptr(s) }.to_bytes().len(), 22);
        // SAFETY: freed once; NULL ignored.
        unsafe {
            tp_string_free(s);
            tp_string_free(std::ptr::null_mut());
        }
    }
}
