//! One request whose answer is read as it arrives (`tpauth serve`'s API proxy streams it to its
//! caller), with the checks of [`Http::send`]: https (or loopback http when allowed), a method
//! token, no CR/LF in header values. The body reader stops with an error past
//! `max_response_bytes`.

use super::{map_ureq, Http};
use crate::error::{Error, Result};
use crate::url::redact_url;

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
        self.check_url(url)?;
        if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)) {
            return Err(Error::invalid_argument(format!("method {method:?} is not an HTTP method")));
        }
        let mut builder = ureq::http::Request::builder().method(method).uri(url);
        for (name, value) in headers {
            if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
                return Err(Error::invalid_argument(format!("header {name}: value contains CR, LF or NUL")));
            }
            builder = builder.header(*name, *value);
        }
        let shown = &redact_url(url);
        let result = match body {
            Some(b) => builder.body(b).map(|r| self.agent.run(r)),
            None => builder.body(()).map(|r| self.agent.run(r)),
        };
        let resp = result
            .map_err(|e| Error::invalid_argument(format!("{method} {shown}: cannot build the request: {e}")))?
            .map_err(|e| self.hint(map_ureq(method, shown, e)))?;
        let status = resp.status().as_u16();
        let headers =
            resp.headers().iter().map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned())).collect();
        let body = resp.into_body().into_with_config().limit(self.max_response_bytes).reader();
        Ok(StreamedAnswer { status, headers, body })
    }
}
