//! The headers of an API call, decided once for every surface: `tp_request`, the C ABI's
//! `tp_api_headers` (Go's `Transport`, the .NET and PHP adapters) and Python's requests/httpx
//! adapters all send exactly these, and only to a URL the host rule allows.

use crate::auth::Auth;
use crate::error::{Error, Result};
use zeroize::Zeroizing;

/// One header of an API call: its name (lower case) and value. The `authorization` value holds
/// the access token: it is wiped on drop and never printed.
pub struct ApiHeader {
    /// `authorization`, `apikey` or `x-business-user-id`.
    pub name: &'static str,
    /// The value, e.g. `Bearer <access token>`.
    pub value: Zeroizing<String>,
}

impl std::fmt::Debug for ApiHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let value = if self.name == "authorization" { "[redacted]" } else { self.value.as_str() };
        write!(f, "{}: {value}", self.name)
    }
}

impl Auth {
    /// The headers an API call `method url_or_path` carries, with the managed token (renewed
    /// first when due, as [`Auth::get_token`]): `authorization: Bearer …`, `apikey` and, when the
    /// option is set, `x-business-user-id`. A caller sets each of them on its request, replacing
    /// any value the request had.
    ///
    /// Fails with `InvalidArgument`, before any token is requested, when `method` is not an HTTP
    /// method token or `url_or_path` is not a path and names a host that may not see the token
    /// (the rule of [`Auth::request`]); and with the errors of [`Auth::get_token`].
    pub fn api_headers(&self, method: &str, url_or_path: &str) -> Result<Vec<ApiHeader>> {
        if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)) {
            return Err(Error::invalid_argument(format!("method: expected an HTTP method such as GET, got {method:?}")));
        }
        self.api_url(url_or_path)?;
        let token = self.get_token()?;
        let cfg = self.config();
        let mut headers = vec![
            ApiHeader { name: "authorization", value: Zeroizing::new(format!("Bearer {}", token.access_token())) },
            ApiHeader { name: "apikey", value: Zeroizing::new(cfg.api_key().to_owned()) },
        ];
        if let Some(id) = cfg.business_user_id() {
            headers.push(ApiHeader { name: "x-business-user-id", value: Zeroizing::new(id.to_owned()) });
        }
        Ok(headers)
    }
}
