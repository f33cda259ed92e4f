//! What a client has asked of Trustpilot's token endpoints, for `tpauth serve`'s metrics
//! (`tpauth_token_requests_total{grant}`, `tpauth_rate_limited_total`): counted as each request
//! is sent, retries included.

use std::sync::atomic::{AtomicU64, Ordering};

/// The grant types of the token endpoints, as OAuth names them (`grant_type`).
pub const GRANT_TYPES: [&str; 4] = ["password", "client_credentials", "authorization_code", "refresh_token"];

/// Counters of one client.
#[derive(Default)]
pub(crate) struct RequestStats {
    token_requests: [AtomicU64; 4],
    rate_limited: AtomicU64,
}

impl RequestStats {
    /// One token request with this `grant_type` was sent.
    pub(crate) fn sent(&self, grant_type: &str) {
        if let Some(i) = GRANT_TYPES.iter().position(|g| *g == grant_type) {
            self.token_requests[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A token endpoint answered 429.
    pub(crate) fn rate_limited(&self) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> TokenRequestStats {
        TokenRequestStats {
            token_requests: std::array::from_fn(|i| (GRANT_TYPES[i], self.token_requests[i].load(Ordering::Relaxed))),
            rate_limited: self.rate_limited.load(Ordering::Relaxed),
        }
    }
}

/// What a client has sent to Trustpilot's token endpoints since it was made ([`crate::Auth::token_request_stats`]).
///
/// ```
/// let auth = tpauth::Auth::new(&tpauth::Config::new("key", "secret")?)?;
/// let stats: tpauth::TokenRequestStats = auth.token_request_stats();
/// assert!(stats.token_requests.iter().all(|(_, n)| *n == 0));
/// assert_eq!(stats.token_requests.map(|(grant, _)| grant), ["password", "client_credentials", "authorization_code", "refresh_token"]);
/// # Ok::<(), tpauth::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenRequestStats {
    /// Token requests sent (retries included), by `grant_type`: `password`, `client_credentials`,
    /// `authorization_code`, `refresh_token`.
    pub token_requests: [(&'static str, u64); 4],
    /// 429 answers of the token endpoints.
    pub rate_limited: u64,
}
