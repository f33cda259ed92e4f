//! One API response: status, headers and body, immutable.

use std::ffi::{CStr, CString};
use std::fmt;

/// An API response, as received (body capped at 1 MiB).
pub struct Response {
    status: u16,
    /// Header names lower-cased, values as sent (as C strings for the C ABI), in order.
    headers: Vec<(String, CString)>,
    /// The body followed by one NUL byte, so C callers may treat a text body as a string.
    body: Vec<u8>,
}

impl Response {
    pub(crate) fn new(status: u16, headers: Vec<(String, String)>, mut body: Vec<u8>) -> Response {
        let headers = headers.into_iter().filter_map(|(k, v)| Some((k.to_ascii_lowercase(), CString::new(v).ok()?))).collect();
        body.push(0);
        Response { status, headers, body }
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The body bytes.
    pub fn body(&self) -> &[u8] {
        &self.body[..self.body.len() - 1]
    }

    /// The body followed by a NUL byte (for the C ABI).
    #[cfg_attr(not(feature = "ffi"), allow(dead_code))]
    pub(crate) fn body_with_nul(&self) -> &[u8] {
        &self.body
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(self.body()).into_owned()
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.header_c(name).and_then(|c| c.to_str().ok())
    }

    pub(crate) fn header_c(&self, name: &str) -> Option<&CStr> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_c_str())
    }

    /// Every header, names lower-cased, in the order received.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers.iter().map(|(k, v)| (k.as_str(), v.to_str().unwrap_or("")))
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response").field("status", &self.status).field("body_len", &self.body().len()).finish_non_exhaustive()
    }
}
