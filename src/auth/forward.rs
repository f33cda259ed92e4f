//! API calls forwarded for another program (`tpauth serve`'s proxy): the caller's method, path,
//! query, headers and body go to `api_base_url` with the managed token, `apikey` and
//! `x-business-user-id` added by the same rule as [`Auth::api_headers`]; a 401 renews the token
//! once (compare-and-invalidate) and resends once; the answer is handed back unread, so that it
//! can be streamed.

use super::Auth;
use crate::error::{Error, Result};
use crate::log::log_event;
use crate::url::redact_url;
use zeroize::Zeroizing;

/// A forwarded call's answer, its body not read yet ([`Auth::forward`]).
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
    /// `api_base_url`, so the call never reaches another host. `headers` are the caller's: the
    /// core's `Authorization`, `apikey` and `x-business-user-id` replace any of the same name,
    /// except that a caller's own `x-business-user-id` is kept (the rule of
    /// [`Auth::api_headers`]). The body is sent as given (it is kept for the one resend after a
    /// 401). Errors are for what prevented an answer: the token (as [`Auth::get_token`]), the
    /// connection, a timeout.
    pub fn forward(&self, method: &str, path_and_query: &str, headers: &[(String, String)], body: Option<&[u8]>) -> Result<Forwarded> {
        if !path_and_query.starts_with('/') || path_and_query.starts_with("//") {
            return Err(Error::invalid_argument("forward: the path must start with a single '/'"));
        }
        let url = format!("{}{path_and_query}", self.inner.cfg.api_base_url);
        let own_user_id = headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("x-business-user-id"));
        for attempt in 0..2 {
            let core: Vec<(&'static str, Zeroizing<String>)> =
                self.api_headers(method, &url)?.into_iter().map(|(k, v)| (k, Zeroizing::new(v))).collect();
            let sent_token = core
                .iter()
                .find(|(k, _)| *k == "Authorization")
                .and_then(|(_, v)| v.strip_prefix("Bearer "))
                .map(|t| Zeroizing::new(t.to_owned()))
                .unwrap_or_default();
            let mut all: Vec<(&str, &str)> = headers
                .iter()
                .filter(|(k, _)| {
                    !core.iter().any(|(c, _)| k.eq_ignore_ascii_case(c) && !(own_user_id && k.eq_ignore_ascii_case("x-business-user-id")))
                })
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            for (k, v) in &core {
                if !(own_user_id && k.eq_ignore_ascii_case("x-business-user-id")) {
                    all.push((k, v.as_str()));
                }
            }
            let answer = self.inner.http.send_streamed(method, &url, &all, body)?;
            if answer.status == 401 && attempt == 0 {
                log_event!(Info, "{method} {}: the API answered 401; renewing the token and resending once", redact_url(&url));
                drop(answer);
                self.invalidate_token(&sent_token)?;
                continue;
            }
            return Ok(Forwarded { status: answer.status, headers: answer.headers, body: Box::new(answer.body), resent: attempt > 0 });
        }
        unreachable!("the loop returns on its second pass")
    }
}
