//! One request whose answer is read as it arrives (`tpauth serve`'s API proxy streams it to its
//! caller), with the checks of [`Http::send`]: https (or loopback http when allowed), a method
//! token, no CR/LF in header values, and the one resend on a new connection when a reused
//! keep-alive connection closed before any byte of an answer (the request is in memory). The
//! body reader stops with an error past `max_response_bytes`.

use super::{map_ureq, stale_connection, Failure, Http, ATTEMPT};
use crate::error::{Error, Result};
use crate::log::log_event;
use crate::url::redact_url;
use std::cell::Cell;

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
        match self.send_streamed_once(method, url, headers, body, false) {
            Ok(answer) => Ok(answer),
            Err(Failure::Stale(e)) => {
                log_event!(
                    Info,
                    "{method} {}: the reused connection closed before any answer ({}); sending the request again on a new connection",
                    redact_url(url),
                    e.message()
                );
                self.send_streamed_once(method, url, headers, body, true).map_err(Failure::into_error)
            }
            Err(Failure::Other(e)) => Err(e),
        }
    }

    fn send_streamed_once(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
        fresh: bool,
    ) -> std::result::Result<StreamedAnswer, Failure> {
        self.check_url(url)?;
        if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)) {
            return Err(Error::invalid_argument(format!("method {method:?} is not an HTTP method")).into());
        }
        let mut builder = ureq::http::Request::builder().method(method).uri(url);
        for (name, value) in headers {
            if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
                return Err(Error::invalid_argument(format!("header {name}: value contains CR, LF or NUL")).into());
            }
            builder = builder.header(*name, *value);
        }
        let shown = &redact_url(url);
        let build_failed = |e: ureq::http::Error| Error::invalid_argument(format!("{method} {shown}: cannot build the request: {e}"));
        ATTEMPT.with(|a| a.set(super::Attempt::default()));
        let result = match body {
            Some(b) => builder.body(b).map_err(build_failed).map(|r| self.agent.run(self.fresh_if(r, fresh))),
            None => builder.body(()).map_err(build_failed).map(|r| self.agent.run(self.fresh_if(r, fresh))),
        }?;
        let resp = match result {
            Ok(resp) => resp,
            Err(e) => {
                let stale = !fresh && stale_connection(&e, ATTEMPT.with(Cell::get));
                let e = self.hint(map_ureq(method, shown, e));
                return Err(if stale { Failure::Stale(e) } else { Failure::Other(e) });
            }
        };
        let status = resp.status().as_u16();
        let headers =
            resp.headers().iter().map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned())).collect();
        let body = resp.into_body().into_with_config().limit(self.max_response_bytes).reader();
        Ok(StreamedAnswer { status, headers, body })
    }
}
