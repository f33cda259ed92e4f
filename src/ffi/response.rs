//! `tp_response`: one API response, immutable.

use super::{borrow, ffi_value, free_raw, Castable, OwnershipBox};
use crate::Response;
use std::ffi::{c_char, c_int, CStr, CString};

/// One API response (status, headers, body), immutable and safe to read from any thread.
/// Freed with tp_response_free; the strings its accessors return are borrowed from it.
pub struct tp_response {
    status: u16,
    /// The body followed by one NUL byte, so C callers may treat a text body as a string.
    body_with_nul: Vec<u8>,
    /// Every header as C strings (name lower-cased, value as sent), in the order received.
    headers: Vec<(CString, CString)>,
}

impl Castable for tp_response {
    type Ownership = OwnershipBox;
}

impl tp_response {
    pub(crate) fn new(inner: Response) -> tp_response {
        let (status, headers, mut body_with_nul) = inner.into_parts();
        body_with_nul.push(0);
        let headers = headers.into_iter().filter_map(|(k, v)| Some((CString::new(k).ok()?, CString::new(v).ok()?))).collect();
        tp_response { status, body_with_nul, headers }
    }
}

/// The HTTP status (200, 404, ...); 0 when r is NULL.
#[no_mangle]
pub unsafe extern "C" fn tp_response_status(r: *const tp_response) -> c_int {
    ffi_value!(0, {
        // SAFETY: NULL or a live tp_response.
        unsafe { borrow(r) }.map_or(0, |r| c_int::from(r.status))
    })
}

/// The body (at most 1 MiB). Its length in bytes goes to *len_out (len_out may be NULL); a NUL
/// byte follows the body, so a text body can be used as a C string (but the body itself may
/// contain NUL: use the length). Borrowed from r: valid until tp_response_free(r). NULL when r
/// is NULL (then *len_out is not written).
#[no_mangle]
pub unsafe extern "C" fn tp_response_body(r: *const tp_response, len_out: *mut usize) -> *const c_char {
    ffi_value!(std::ptr::null(), {
        // SAFETY: NULL or a live tp_response.
        match unsafe { borrow(r) } {
            None => std::ptr::null(),
            Some(r) => {
                let with_nul = &r.body_with_nul;
                if !len_out.is_null() {
                    // SAFETY: len_out is NULL or writable (the C ABI's contract).
                    unsafe { len_out.write(with_nul.len() - 1) };
                }
                with_nul.as_ptr().cast()
            }
        }
    })
}

/// The first value of the header called name (case-insensitive), or NULL when absent (or r or
/// name is NULL or not UTF-8). Borrowed from r: valid until tp_response_free(r).
#[no_mangle]
pub unsafe extern "C" fn tp_response_header(r: *const tp_response, name: *const c_char) -> *const c_char {
    ffi_value!(std::ptr::null(), {
        // SAFETY: NULL or a live tp_response.
        let Some(r) = (unsafe { borrow(r) }) else { return std::ptr::null() };
        if name.is_null() {
            return std::ptr::null();
        }
        // SAFETY: name is a NUL-terminated string (the C ABI's contract).
        let Ok(name) = unsafe { CStr::from_ptr(name) }.to_str() else { return std::ptr::null() };
        r.headers.iter().find(|(k, _)| k.to_bytes().eq_ignore_ascii_case(name.as_bytes())).map_or(std::ptr::null(), |(_, v)| v.as_ptr())
    })
}

/// The number of headers of the response (0 when r is NULL), for tp_response_header_at.
#[no_mangle]
pub unsafe extern "C" fn tp_response_header_count(r: *const tp_response) -> usize {
    ffi_value!(0, {
        // SAFETY: NULL or a live tp_response.
        unsafe { borrow(r) }.map_or(0, |r| r.headers.len())
    })
}

/// The index-th header (0-based, in the order received): its lower-cased name to *name_out and
/// its value to *value_out (either may be NULL), both borrowed from r. Returns false, writing
/// nothing, when r is NULL or index is out of range.
#[no_mangle]
pub unsafe extern "C" fn tp_response_header_at(
    r: *const tp_response,
    index: usize,
    name_out: *mut *const c_char,
    value_out: *mut *const c_char,
) -> bool {
    ffi_value!(false, {
        // SAFETY: NULL or a live tp_response.
        let Some((name, value)) = (unsafe { borrow(r) }).and_then(|r| r.headers.get(index)) else { return false };
        // SAFETY: each is NULL or writable (the C ABI's contract).
        unsafe {
            if !name_out.is_null() {
                name_out.write(name.as_ptr());
            }
            if !value_out.is_null() {
                value_out.write(value.as_ptr());
            }
        }
        true
    })
}

/// Free a response. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn tp_response_free(r: *mut tp_response) {
    ffi_value!((), {
        // SAFETY: NULL or a response from this library, freed once.
        unsafe { free_raw(r) }
    })
}
