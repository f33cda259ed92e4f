//! `tp_api_headers`: the headers of an API call, for bindings that send requests themselves.

use super::auth::tp_auth;
use super::{arg_out, arg_ref, arg_str, ffi_status, string_into_raw, tp_error, tp_status, write_out};
use std::ffi::c_char;

/// The headers an API call to url_or_path carries, for a caller that sends the request itself
/// (an HTTP client's middleware): the managed token (renewed first when due, as tp_get_token)
/// as "Authorization: Bearer ...", "apikey: KEY" and, when the business_user_id option is set,
/// "x-business-user-id: ID". Set each of them on the request, replacing any value it had; after
/// a 401 call tp_invalidate_token with the Bearer value's token and ask again. Addition to API.md.
///
/// url_or_path is a path (joined to api_base_url) or an absolute URL; the token goes only where
/// tp_request would send it, so a URL naming another host is refused before any token is
/// requested. On success *headers_out receives "Name: value\r\n" lines (owned by the caller: free
/// it with tp_string_free, which wipes it). Errors: TP_ERR_INVALID_ARGUMENT when an argument is
/// NULL or not UTF-8, method is not an HTTP method token, or the URL's host may not see the
/// token (the message names the host); otherwise the errors of tp_get_token.
#[no_mangle]
pub unsafe extern "C" fn tp_api_headers(
    auth: *mut tp_auth,
    method: *const c_char,
    url_or_path: *const c_char,
    headers_out: *mut *mut c_char,
    err: *mut *mut tp_error,
) -> tp_status {
    ffi_status!(err, {
        let auth = arg_ref!(auth);
        let method = arg_str!(method);
        let url_or_path = arg_str!(url_or_path);
        arg_out!(headers_out);
        let headers = auth.inner.api_headers(method, url_or_path)?;
        // Sized for the C string's NUL too, so that no reallocation leaves a copy of the token behind.
        let mut text = String::with_capacity(headers.iter().map(|h| h.name.len() + h.value.len() + 4).sum::<usize>() + 1);
        for h in &headers {
            text.push_str(h.name);
            text.push_str(": ");
            text.push_str(&h.value);
            text.push_str("\r\n");
        }
        let raw = string_into_raw(text);
        // SAFETY: headers_out checked non-NULL.
        unsafe { write_out(headers_out, raw) };
        Ok(())
    })
}
