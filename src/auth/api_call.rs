//! API calls with the managed token: which URL a call goes to, which hosts may see the token, and
//! which headers it carries. [`Auth::prepare_api_call`] answers all three for the HTTP adapters of
//! the bindings (fetch, axios, requests, httpx, Guzzle, PSR-18, `HttpClient`, Go's `Transport`),
//! and [`Auth::request`] sends a call itself through the same code, so that every surface applies
//! one rule.

use super::Auth;
use crate::error::{Error, Result, Status};
use crate::log::log_event;
use crate::response::Response;
use crate::token::Token;
use crate::url::redact_url;
use zeroize::Zeroize;

/// The one header whose value a caller may set for a call and keep: a call made for another
/// business user than the configured one. Every other header of an [`ApiCall`] replaces the
/// caller's.
///
/// ```no_run
/// # let auth = tpauth::Auth::new(&tpauth::Config::new("k", "s")?)?;
/// let caller_headers = ["Accept", "X-Business-User-Id"]; // this request is for another business user
/// let call = auth.prepare_api_call("GET", "/v1/private/business-units/123", &caller_headers, tpauth::Renew::IfNeeded)?;
/// let names: Vec<&str> = call.headers().unwrap_or_default().iter().map(|(n, _)| *n).collect();
/// assert!(!names.contains(&tpauth::CALLERS_OWN_HEADER)); // the caller's value is kept
/// # Ok::<(), tpauth::Error>(())
/// ```
pub const CALLERS_OWN_HEADER: &str = "x-business-user-id";

/// Whether a request's own header `name` (in any letter case) is kept rather than replaced by the
/// [`ApiCall`] header of that name, which is then left out: the merge rule of
/// [`Auth::prepare_api_call`] as data, for an adapter that keeps one token's headers and sets them
/// on many requests without asking again (Go's Transport). True for [`CALLERS_OWN_HEADER`] only.
///
/// ```
/// assert!(tpauth::caller_header_kept("X-Business-User-Id"));
/// assert!(!tpauth::caller_header_kept("Authorization"));
/// ```
pub fn caller_header_kept(name: &str) -> bool {
    name.trim().eq_ignore_ascii_case(CALLERS_OWN_HEADER)
}

/// Whether [`Auth::prepare_api_call`] may renew the managed token.
///
/// ```no_run
/// # let auth = tpauth::Auth::new(&tpauth::Config::new("k", "s")?)?;
/// use tpauth::Renew;
/// // On an event loop: never block; renew on a task that can be abandoned, then ask again.
/// let call = auth.prepare_api_call("GET", "/v1/private/business-units/123", &[], Renew::Never)?;
/// let call = if call.renewal_needed() {
///     auth.get_token()?; // e.g. on a worker thread
///     auth.prepare_api_call("GET", "/v1/private/business-units/123", &[], Renew::IfNeeded)?
/// } else {
///     call
/// };
/// # Ok::<(), tpauth::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Renew {
    /// Renew it when it is absent, invalidated or due (as [`Auth::get_token`]: this may do I/O
    /// and wait for a renewal in progress).
    IfNeeded,
    /// Never: when the token is not fresh, answer [`ApiCall::renewal_needed`] at once, without
    /// I/O or waiting, so that the adapter renews through its own cancellable path
    /// ([`Auth::get_token`] on a task it can abandon) and asks again.
    Never,
}

/// One API call as an adapter sends it: the URL the core judged and the headers to set on the
/// request. `Debug` shows the URL without userinfo or query, and the header names only.
///
/// ```no_run
/// # let auth = tpauth::Auth::new(&tpauth::Config::new("k", "s")?)?;
/// let call = auth.prepare_api_call("GET", "/v1/private/business-units/123", &[], tpauth::Renew::IfNeeded)?;
/// println!("{call:?}"); // ApiCall { url: "https://api.trustpilot.com/v1/private/business-units/123", headers: Some(["Authorization", "apikey"]) }
/// # Ok::<(), tpauth::Error>(())
/// ```
pub struct ApiCall {
    url: String,
    headers: Vec<(&'static str, String)>,
    token: Option<Token>,
}

impl ApiCall {
    /// The URL to send the request to: a path joined to `api_base_url`, or the absolute URL the
    /// core checked against the token-host allow-list. Adapters send this URL, never the one
    /// they were given.
    ///
    /// ```no_run
    /// # let auth = tpauth::Auth::new(&tpauth::Config::new("k", "s")?)?;
    /// let call = auth.prepare_api_call("GET", "v1/private/business-units/123", &[], tpauth::Renew::IfNeeded)?;
    /// assert_eq!(call.url(), "https://api.trustpilot.com/v1/private/business-units/123");
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The headers to set, `None` when [`ApiCall::renewal_needed`]. Each replaces the request's
    /// header of that name in any letter case; `x-business-user-id` is left out when the caller
    /// named it among its own headers (its value is kept).
    ///
    /// ```no_run
    /// # let auth = tpauth::Auth::new(&tpauth::Config::new("k", "s")?)?;
    /// let call = auth.prepare_api_call("GET", "/v1/private/business-units/123", &[], tpauth::Renew::IfNeeded)?;
    /// for (name, value) in call.headers().unwrap_or_default() {
    ///     // request.set_header(name, value)
    /// }
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn headers(&self) -> Option<&[(&'static str, String)]> {
        self.token.as_ref().map(|_| self.headers.as_slice())
    }

    /// [`ApiCall::headers`] as `Name: value` lines joined by `"\n"` (no trailing newline), the
    /// C ABI's form; `None` when renewal is needed. The text holds the token: wipe it after use.
    ///
    /// ```no_run
    /// # let auth = tpauth::Auth::new(&tpauth::Config::new("k", "s")?)?;
    /// let call = auth.prepare_api_call("GET", "/v1/private/business-units/123", &[], tpauth::Renew::IfNeeded)?;
    /// let lines = zeroize::Zeroizing::new(call.header_lines().unwrap_or_default());
    /// assert!(lines.starts_with("Authorization: Bearer "));
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn header_lines(&self) -> Option<String> {
        self.headers().map(|h| h.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("\n"))
    }

    /// The access token in `Authorization`: on a 401, give it to [`Auth::invalidate_token`].
    /// `None` when renewal is needed.
    ///
    /// ```no_run
    /// # let auth = tpauth::Auth::new(&tpauth::Config::new("k", "s")?)?;
    /// let call = auth.prepare_api_call("GET", "/v1/private/business-units/123", &[], tpauth::Renew::IfNeeded)?;
    /// # let status = 401;
    /// // ... send the request; the API answers 401 ...
    /// if status == 401 {
    ///     auth.invalidate_token(call.access_token().unwrap_or_default())?; // N callers: one renewal
    /// }
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn access_token(&self) -> Option<&str> {
        self.token.as_ref().map(Token::access_token)
    }

    /// Whether the call was prepared with [`Renew::Never`] while the managed token was not fresh
    /// (absent, invalidated, or due for renewal): no headers; renew, then prepare it again.
    ///
    /// ```
    /// # let auth = tpauth::Auth::new(&tpauth::Config::new("k", "s")?)?;
    /// let call = auth.prepare_api_call("GET", "/v1/private/business-units/123", &[], tpauth::Renew::Never)?;
    /// assert!(call.renewal_needed()); // a new client holds no token yet
    /// assert!(call.headers().is_none());
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn renewal_needed(&self) -> bool {
        self.token.is_none()
    }
}

impl std::fmt::Debug for ApiCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Option<Vec<&str>> = self.headers().map(|h| h.iter().map(|(k, _)| *k).collect());
        f.debug_struct("ApiCall").field("url", &redact_url(&self.url)).field("headers", &names).finish()
    }
}

impl Drop for ApiCall {
    fn drop(&mut self) {
        for (_, v) in &mut self.headers {
            v.zeroize();
        }
    }
}

/// An HTTP method token (RFC 9110 §5.6.2).
fn check_method(method: &str) -> Result<()> {
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)) {
        return Err(Error::invalid_argument(format!("method: {method:?} is not an HTTP method token")));
    }
    Ok(())
}

impl Auth {
    /// Whether the token may be sent to `url`: `Ok` for a path (joined to `api_base_url`) and for
    /// an absolute URL whose scheme is allowed (https; http only to a loopback host with
    /// `allow_insecure_http=true`) and whose host and port are on the allow-list: the
    /// `api_base_url` host and port, Trustpilot's API hosts on https port 443
    /// ([`crate::TRUSTPILOT_API_HOSTS`]: `api.trustpilot.com`, `invitations-api.trustpilot.com`),
    /// and the entries of the `token_hosts` option (`host` for the scheme's default port, or
    /// `host:port`). Otherwise `InvalidArgument` naming the host and the `token_hosts` option.
    /// A reference that some reader takes for another host (`https:host/x`, `//host/x`,
    /// `/\host/x`, a backslash in a path, another scheme) is refused too. [`Auth::request`] and
    /// [`Auth::prepare_api_call`] apply the same rule.
    ///
    /// ```
    /// # let auth = tpauth::Auth::new(&tpauth::Config::new("k", "s")?)?;
    /// assert!(auth.check_token_url("/v1/private/business-units/123").is_ok());
    /// assert!(auth.check_token_url("https://api.trustpilot.com/v1/resources/images").is_ok());
    /// assert!(auth.check_token_url("https://evil.example/steal").is_err());
    /// assert!(auth.check_token_url("https:evil.example/steal").is_err()); // read as a host by some clients
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn check_token_url(&self, url: &str) -> Result<()> {
        self.judge_url(url).map(drop)
    }

    /// Everything an HTTP adapter needs for one API call: the URL to send it to (a path joined to
    /// `api_base_url`; an absolute URL once it passed [`Auth::check_token_url`]) and the headers
    /// to set: `Authorization: Bearer <managed token>`, `apikey` and, when the `business_user_id`
    /// option is set and `caller_headers` (the names of the headers the request already carries,
    /// any letter case) does not name `x-business-user-id`, that header.
    ///
    /// The URL is judged first: a refused one gets no token. With [`Renew::IfNeeded`] the token is
    /// the managed one ([`Auth::get_token`]: this may renew it). With [`Renew::Never`] and no fresh
    /// token (absent, invalidated or due for renewal) the answer is
    /// [`ApiCall::renewal_needed`], at once and without any request. `method` must be an HTTP
    /// method token; every method gets the same headers today. On a 401 the adapter gives
    /// [`ApiCall::access_token`] to [`Auth::invalidate_token`], prepares the call again and resends
    /// it once.
    ///
    /// ```no_run
    /// # fn main() -> tpauth::Result<()> {
    /// let auth = tpauth::Auth::new(&tpauth::Config::new("key", "secret")?)?;
    /// let call = auth.prepare_api_call("GET", "/v1/private/business-units/x", &["Accept"], tpauth::Renew::IfNeeded)?;
    /// assert_eq!(call.url(), "https://api.trustpilot.com/v1/private/business-units/x");
    /// for (name, value) in call.headers().unwrap_or_default() {
    ///     println!("{name}: {}", value.len()); // set them on the request
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn prepare_api_call(&self, method: &str, url_or_path: &str, caller_headers: &[&str], renew: Renew) -> Result<ApiCall> {
        check_method(method)?;
        let url = self.judge_url(url_or_path)?;
        let token = match renew {
            Renew::IfNeeded => Some(self.get_token()?),
            Renew::Never => self.current_token_if_fresh(),
        };
        let Some(token) = token else {
            return Ok(ApiCall { url, headers: Vec::new(), token: None });
        };
        if token.access_token().chars().any(|c| c.is_control() || c == ' ') {
            return Err(Error::new(Status::Protocol, "the access token contains spaces or control characters: it cannot go into a header"));
        }
        let cfg = &self.inner.cfg;
        let mut headers = vec![("Authorization", format!("Bearer {}", token.access_token())), ("apikey", cfg.api_key.clone())];
        if let Some(id) = &cfg.business_user_id {
            if !caller_headers.iter().any(|h| caller_header_kept(h)) {
                headers.push((CALLERS_OWN_HEADER, id.clone()));
            }
        }
        Ok(ApiCall { url, headers, token: Some(token) })
    }

    /// The headers an API call to `url_or_path` carries: [`Auth::prepare_api_call`]'s, for a
    /// request that sets none of its own (it may renew the token).
    ///
    /// ```no_run
    /// # let auth = tpauth::Auth::new(&tpauth::Config::new("k", "s")?)?;
    /// for (name, value) in auth.api_headers("GET", "https://api.trustpilot.com/v1/private/business-units/123")? {
    ///     println!("{name}: {}", if name.eq_ignore_ascii_case("authorization") { "Bearer …" } else { value.as_str() });
    /// }
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn api_headers(&self, method: &str, url_or_path: &str) -> Result<Vec<(&'static str, String)>> {
        let call = self.prepare_api_call(method, url_or_path, &[], Renew::IfNeeded)?;
        Ok(call.headers().unwrap_or_default().to_vec())
    }

    /// An API call with the managed token: `Authorization: Bearer`, `apikey` and (when set)
    /// `x-business-user-id`, to the URL [`Auth::prepare_api_call`] judged. On 401 the token is
    /// invalidated, renewed and the call retried once. Any HTTP answer is returned as a
    /// [`Response`] (a second 401 included); errors are for what prevented an answer.
    ///
    /// ```no_run
    /// # let auth = tpauth::Auth::new(&tpauth::Config::new("k", "s")?)?;
    /// let resp = auth.request("GET", "/v1/private/business-units/123/reviews", None, None)?;
    /// println!("{} {}", resp.status(), resp.text());
    /// let body = br#"{"referenceId":"order-1"}"#;
    /// let resp = auth.request("POST", "https://invitations-api.trustpilot.com/v1/private/business-units/123/email-invitations",
    ///     Some(body), Some("application/json"))?;
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn request(&self, method: &str, url_or_path: &str, body: Option<&[u8]>, content_type: Option<&str>) -> Result<Response> {
        for attempt in 0..2 {
            let call = self.prepare_api_call(method, url_or_path, &[], Renew::IfNeeded)?;
            let mut headers: Vec<(&str, &str)> = call.headers().unwrap_or_default().iter().map(|(k, v)| (*k, v.as_str())).collect();
            if let Some(ct) = content_type {
                headers.push(("content-type", ct));
            }
            let resp = self.inner.http.send(method, call.url(), &headers, body)?;
            if resp.status == 401 && attempt == 0 {
                log_event!(Info, "{method} {}: the API answered 401; renewing the token and retrying once", redact_url(call.url()));
                self.invalidate_token(call.access_token().unwrap_or_default())?;
                continue;
            }
            return Ok(Response::new(resp.status, resp.headers, resp.body));
        }
        unreachable!("the loop returns on its second pass")
    }

    /// The URL a call to `url_or_path` goes to: a path joined to `api_base_url`, or an absolute
    /// URL that passed the scheme policy and the token-host allow-list, as it was given.
    fn judge_url(&self, url_or_path: &str) -> Result<String> {
        let cfg = &self.inner.cfg;
        match crate::url::join(&cfg.api_base_url, url_or_path)? {
            Some(joined) => Ok(joined),
            None => {
                // The token and API key go only to the hosts of the allow-list, never to a URL
                // that happens to reach this call.
                crate::url::check_url(url_or_path, cfg.allow_insecure_http).map_err(|e| e.context("url_or_path"))?;
                self.inner.token_hosts.check(url_or_path)?;
                Ok(url_or_path.to_owned())
            }
        }
    }
}
