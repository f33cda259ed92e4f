//! API calls forwarded for another program (`tpauth serve`'s proxy): the caller's method, path,
//! query, headers and body go to `api_base_url` with the headers [`Auth::prepare_api_call`] gives
//! (the managed token, `apikey`, `x-business-user-id` unless the caller names its own: the rule
//! every binding's adapter follows); a 401 renews the token once (compare-and-invalidate) and
//! resends once; the answer is handed back unread, so that it can be streamed.

use super::{Auth, Renew};
use crate::error::{Error, Result};
use crate::log::log_event;
use crate::url::redact_url;

/// A forwarded call's answer, its body not read yet ([`Auth::forward`]).
///
/// ```no_run
/// # let auth = tpauth::Auth::new(&tpauth::Config::new("key", "secret")?)?;
/// use std::io::Read;
/// let mut answer: tpauth::Forwarded = auth.forward("GET", "/v1/private/business-units/x", &[], None)?;
/// let mut first = [0u8; 4096];
/// let n = answer.body.read(&mut first).map_err(|e| tpauth::Error::new(tpauth::Status::Network, e.to_string()))?;
/// println!("{} {} bytes first; resent after a 401: {}", answer.status, n, answer.resent);
/// # Ok::<(), tpauth::Error>(())
/// ```
pub struct Forwarded {
    /// The API's HTTP status.
    pub status: u16,
    /// The API's headers, as received (hop-by-hop ones included: the forwarder drops them).
    pub headers: Vec<(String, String)>,
    /// The body, read as it arrives; reading past `max_response_bytes` fails.
    pub body: Box<dyn std::io::Read + Send>,
    /// Whether the API refused the first token (401) and the call was resent with a renewed one.
    pub resent: bool,
}

impl Auth {
    /// Forward one API call: `path_and_query` (starting with one `/`) is appended to
    /// `api_base_url`, so the call never reaches another host (and the core judges the URL as it
    /// judges every call's). `headers` are the caller's; the headers of
    /// [`Auth::prepare_api_call`] replace any of the same name (in any letter case), and a
    /// caller's own `x-business-user-id` is kept. The body is sent as given (it is kept for the
    /// one resend after a 401). Errors are for what prevented an answer: the token (as
    /// [`Auth::get_token`]), the connection, a timeout.
    ///
    /// ```no_run
    /// # let auth = tpauth::Auth::new(&tpauth::Config::new("key", "secret")?)?;
    /// let headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    /// let answer = auth.forward("POST", "/v1/private/business-units/x/invitations?dry=1", &headers, Some(br#"{"a":1}"#))?;
    /// let mut out = std::io::stdout();
    /// std::io::copy(&mut { answer.body }, &mut out).map_err(|e| tpauth::Error::new(tpauth::Status::Network, e.to_string()))?;
    /// // Another host cannot be reached: the path must start with one '/'.
    /// assert!(auth.forward("GET", "//evil.example/x", &[], None).is_err());
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn forward(&self, method: &str, path_and_query: &str, headers: &[(String, String)], body: Option<&[u8]>) -> Result<Forwarded> {
        if !path_and_query.starts_with('/') || path_and_query.starts_with("//") {
            return Err(Error::invalid_argument("forward: the path must start with a single '/'"));
        }
        let url = format!("{}{path_and_query}", self.inner.cfg.api_base_url);
        let names: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
        for attempt in 0..2 {
            let call = self.prepare_api_call(method, &url, &names, Renew::IfNeeded)?;
            let core = call.headers().unwrap_or_default();
            let mut all: Vec<(&str, &str)> = headers
                .iter()
                .filter(|(k, _)| !core.iter().any(|(c, _)| k.eq_ignore_ascii_case(c)))
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            all.extend(core.iter().map(|(k, v)| (*k, v.as_str())));
            let answer = self.inner.http.send_streamed(method, call.url(), &all, body)?;
            if answer.status == 401 && attempt == 0 {
                log_event!(Info, "{method} {}: the API answered 401; renewing the token and resending once", redact_url(call.url()));
                drop(answer);
                self.invalidate_token(call.access_token().unwrap_or_default())?;
                continue;
            }
            return Ok(Forwarded { status: answer.status, headers: answer.headers, body: Box::new(answer.body), resent: attempt > 0 });
        }
        unreachable!("the loop returns on its second pass")
    }
}
