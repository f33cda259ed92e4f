//! One API response: status, headers and body, immutable.

use std::fmt;

/// An API response, as received (body capped at `max_response_bytes`, 1 MiB by default), from
/// [`Auth::request`](crate::Auth::request).
///
/// ```no_run
/// # let auth = tpauth::Auth::new(&tpauth::Config::new("k", "s")?)?;
/// let resp = auth.request("GET", "/v1/private/business-units/123/reviews", None, None)?;
/// if resp.status() == 200 {
///     let reviews: serde_json::Value = serde_json::from_slice(resp.body()).unwrap_or_default();
///     println!("{} reviews, {:?}", reviews["reviews"].as_array().map_or(0, Vec::len), resp.header("content-type"));
/// }
/// # Ok::<(), tpauth::Error>(())
/// ```
pub struct Response {
    status: u16,
    /// Header names lower-cased, values as sent, in order.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    pub(crate) fn new(status: u16, headers: Vec<(String, String)>, body: Vec<u8>) -> Response {
        let headers = headers.into_iter().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect();
        Response { status, headers, body }
    }

    /// The status, headers and body, taken apart (the C ABI keeps its own C strings of them).
    #[cfg_attr(not(feature = "ffi"), allow(dead_code))]
    pub(crate) fn into_parts(self) -> (u16, Vec<(String, String)>, Vec<u8>) {
        (self.status, self.headers, self.body)
    }

    /// The HTTP status. Every answer is a response, a 4xx or 5xx included; errors are for what
    /// prevented one.
    ///
    /// ```no_run
    /// # let auth = tpauth::Auth::new(&tpauth::Config::new("k", "s")?)?;
    /// let resp = auth.request("GET", "/v1/private/business-units/123", None, None)?;
    /// assert!((100..600).contains(&resp.status()));
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The body bytes.
    ///
    /// ```no_run
    /// # let auth = tpauth::Auth::new(&tpauth::Config::new("k", "s")?)?;
    /// let resp = auth.request("GET", "/v1/private/business-units/123/logo", None, None)?;
    /// std::fs::write("logo.png", resp.body()).ok();
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body as text (invalid UTF-8 replaced).
    ///
    /// ```no_run
    /// # let auth = tpauth::Auth::new(&tpauth::Config::new("k", "s")?)?;
    /// let resp = auth.request("GET", "/v1/private/business-units/123", None, None)?;
    /// println!("{}", resp.text());
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn text(&self) -> String {
        String::from_utf8_lossy(self.body()).into_owned()
    }

    /// The first value of a header, by case-insensitive name.
    ///
    /// ```no_run
    /// # let auth = tpauth::Auth::new(&tpauth::Config::new("k", "s")?)?;
    /// let resp = auth.request("GET", "/v1/private/business-units/123", None, None)?;
    /// let kind = resp.header("Content-Type").unwrap_or("none");
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Every header, names lower-cased, in the order received.
    ///
    /// ```no_run
    /// # let auth = tpauth::Auth::new(&tpauth::Config::new("k", "s")?)?;
    /// let resp = auth.request("GET", "/v1/private/business-units/123", None, None)?;
    /// for (name, value) in resp.headers() {
    ///     println!("{name}: {value}");
    /// }
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response").field("status", &self.status).field("body_len", &self.body().len()).finish_non_exhaustive()
    }
}
