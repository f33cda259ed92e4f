//! What a client reports about itself to `tpauth serve` (its metrics and readiness): token
//! requests sent, whether an invalidation matched the current token, the token cache's health.

use super::{Auth, TokenRequestStats};
use crate::error::Result;

impl Auth {
    /// Token requests this client has sent to Trustpilot's token endpoints, by grant type, and the
    /// 429 answers it got. A client whose tokens come from a token service sends none.
    ///
    /// ```no_run
    /// let mut cfg = tpauth::Config::new("key", "secret")?;
    /// cfg.set("grant", "client_credentials")?;
    /// let auth = tpauth::Auth::new(&cfg)?;
    /// auth.get_token()?;
    /// let stats = auth.token_request_stats();
    /// assert_eq!(stats.token_requests[1], ("client_credentials", 1));
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn token_request_stats(&self) -> TokenRequestStats {
        self.inner.endpoint.stats.snapshot()
    }

    /// [`Auth::invalidate_token`], telling whether `access_token` was the current token (and is
    /// now invalidated): `false` when another caller's invalidation or a renewal replaced it first.
    ///
    /// ```no_run
    /// # let auth = tpauth::Auth::new(&tpauth::Config::new("key", "secret")?)?;
    /// let refused = auth.get_token()?; // … the API answered 401 to it
    /// assert!(auth.invalidate_if_current(refused.access_token())?); // this caller's report counts
    /// assert!(!auth.invalidate_if_current(refused.access_token())?); // the same token again: no
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn invalidate_if_current(&self, access_token: &str) -> Result<bool> {
        super::non_empty("access_token", access_token)?;
        Ok(self.inner.managed.invalidate(access_token))
    }

    /// When the token this client holds expires (unix milliseconds), usable or not; `None`
    /// without a token or an expiry.
    ///
    /// ```
    /// let auth = tpauth::Auth::new(&tpauth::Config::new("key", "secret")?)?;
    /// assert_eq!(auth.current_expires_at_ms(), None);
    /// let token = tpauth::Token::from_json(r#"{"access_token":"a","expires_in":3600}"#)?;
    /// auth.set_token(&token)?;
    /// assert_eq!(auth.current_expires_at_ms(), Some(token.expires_at_ms()));
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn current_expires_at_ms(&self) -> Option<i64> {
        self.inner.managed.current_token().map(|t| t.expires_at_ms()).filter(|at| *at >= 0)
    }

    /// The token cache's backend (`"file"` or `"redis"`) and whether it is usable now (a Redis
    /// cache that cannot reach its server is down: the client goes on without it); `None` without
    /// a token cache.
    ///
    /// ```
    /// let mut cfg = tpauth::Config::new("key", "secret")?;
    /// assert_eq!(tpauth::Auth::new(&cfg)?.cache_status(), None);
    /// let dir = std::env::temp_dir().join(format!("tpauth-doc-{}", std::process::id()));
    /// cfg.set("token_cache", dir.join("token.json").to_str().unwrap())?;
    /// assert_eq!(tpauth::Auth::new(&cfg)?.cache_status(), Some(("file", true)));
    /// # let _ = std::fs::remove_dir_all(dir);
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn cache_status(&self) -> Option<(&'static str, bool)> {
        let cache = self.inner.cache.as_ref()?;
        let spec = self.inner.cfg.token_cache.as_deref().unwrap_or_default().to_ascii_lowercase();
        let backend = if spec.starts_with("redis") { "redis" } else { "file" };
        Some((backend, cache.is_up()))
    }
}
