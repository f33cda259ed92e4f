//! One request whose answer is read as it arrives (`tpauth serve`'s API proxy streams it to its
//! caller), with the checks of [`Http::send`]: https (or loopback http when allowed), a method
//! token, no CR/LF in header values, and the one resend on a new connection when a reused
//! keep-alive connection closed before any byte of an answer (the request is in memory). The
//! body reader stops with an error past `max_response_bytes`.

use super::Http;
use crate::error::Result;

/// An answer whose body has not been read yet.
pub(crate) struct StreamedAnswer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The body, capped at `max_response_bytes` (reading past the cap fails).
    pub body: ureq::BodyReader<'static>,
}

impl Http {
    /// Send one request; the answer's body is left to read. Any HTTP status is an `Ok`.
    pub(crate) fn send_streamed(&self, method: &str, url: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Result<StreamedAnswer> {
        let (answer, _) = self.resend_if_stale(method, url, |fresh| {
            let (resp, _) = self.start(method, url, headers, body, fresh)?;
            let status = resp.status().as_u16();
            let headers =
                resp.headers().iter().map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned())).collect();
            let body = resp.into_body().into_with_config().limit(self.max_response_bytes).reader();
            Ok(StreamedAnswer { status, headers, body })
        })?;
        Ok(answer)
    }
}
