//! Configuration: the API key and secret plus every option of the contract's options table, each
//! validated when it is set so that a typo fails at `set`, not at the first request.
//!
//! Adding an option is a change to this file alone (plus the table of docs/options.md): its key in
//! [`OPTION_KEYS`], its field and default in [`Config`], its arm in [`Config::set`], and a sample
//! in the test below. The C ABI, the environment names and every binding take the list from
//! [`OPTION_KEYS`].

mod parse;

use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::url::parse_base_url;
use parse::{boolean, no_control, number, positive};
use std::fmt;

/// What the managed token falls back to when it has no usable refresh token: option `grant`
/// ([`Config::effective_grant`]).
///
/// ```
/// let mut cfg = tpauth::Config::new("API_KEY", "API_SECRET")?;
/// assert_eq!(cfg.effective_grant(), tpauth::Grant::ClientCredentials);
/// cfg.set("username", "me@example.com")?;
/// assert_eq!(cfg.effective_grant(), tpauth::Grant::Password);
/// cfg.set("grant", "none")?;
/// assert_eq!(cfg.effective_grant(), tpauth::Grant::None);
/// # Ok::<(), tpauth::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Grant {
    /// The password grant with the configured `username`/`password`.
    Password,
    /// The client-credentials grant.
    ClientCredentials,
    /// Nothing: the caller provides tokens (`set_token` or an explicit grant).
    None,
}

/// Which endpoint a refresh goes to: option `refresh_endpoint` (`refresh` or `accesstoken`).
///
/// ```
/// let mut cfg = tpauth::Config::new("API_KEY", "API_SECRET")?;
/// cfg.set("refresh_endpoint", "accesstoken")?; // POST …/accesstoken with grant_type=refresh_token
/// # Ok::<(), tpauth::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefreshEndpoint {
    /// `…/refresh` (the default).
    Refresh,
    /// `…/accesstoken`.
    AccessToken,
}

/// How the client authenticates to the token endpoints (token, refresh, revoke): option
/// `client_auth` (`basic`, `basic_form` or `post`).
///
/// ```
/// let mut cfg = tpauth::Config::new("API_KEY", "API_SECRET")?;
/// cfg.set("client_auth", "basic_form")?; // RFC 6749 §2.3.1: form-encode key and secret first
/// # Ok::<(), tpauth::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientAuth {
    /// `basic` (the default): `Authorization: Basic base64(KEY:SECRET)` of the raw bytes, what
    /// Trustpilot documents. A server that decodes the value per RFC 6749 §2.3.1 refuses a key
    /// with `:` or a secret with `+`, `%` or non-ASCII: use `basic_form` there.
    Basic,
    /// `basic_form`: Basic of the form-encoded key and secret (every byte but `A-Z a-z 0-9 - . _
    /// ~` as `%XX`), as RFC 6749 §2.3.1 says. Identical to `basic` for unreserved characters.
    BasicForm,
    /// `post`: no `Authorization` header; `client_id` and `client_secret` in the form body, for a
    /// server that accepts only body credentials.
    Post,
}

/// Where the managed token comes from: option `token_source`.
///
/// ```
/// use tpauth::TokenSource;
/// assert_eq!(TokenSource::parse("direct")?, TokenSource::Direct);
/// assert!(matches!(TokenSource::parse("serve:unix:/run/tpauth/tpauth.sock")?, TokenSource::Unix(_)));
/// assert_eq!(TokenSource::parse("serve:tcp:[::1]:8200")?.to_string(), "serve:tcp:[::1]:8200");
/// # Ok::<(), tpauth::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenSource {
    /// `direct` (the default): Trustpilot's token endpoints, with this process's key and secret.
    Direct,
    /// `serve:unix:/path`: a `tpauth serve` listening on this Unix socket.
    Unix(String),
    /// `serve:tcp:127.0.0.1:PORT` or `serve:tcp:[::1]:PORT`: a `tpauth serve` on loopback TCP (with
    /// `token_source_secret_file`, whose bearer goes to loopback only).
    Tcp(std::net::SocketAddr),
}

impl TokenSource {
    /// Parse the option's value: `direct`, `serve:unix:/path` or `serve:tcp:IP:PORT` with a
    /// loopback IP literal (a host name could resolve elsewhere, and the bearer must stay local).
    ///
    /// ```
    /// use tpauth::TokenSource;
    /// assert!(TokenSource::parse("serve:tcp:127.0.0.1:8200").is_ok());
    /// for refused in ["serve:tcp:10.0.0.5:8200", "serve:tcp:localhost:8200", "serve:unix:", "redis://x"] {
    ///     assert_eq!(TokenSource::parse(refused).unwrap_err().status(), tpauth::Status::InvalidArgument);
    /// }
    /// ```
    pub fn parse(value: &str) -> Result<TokenSource> {
        let v = value.trim();
        if v.is_empty() || v == "direct" {
            return Ok(TokenSource::Direct);
        }
        if let Some(path) = v.strip_prefix("serve:unix:") {
            if path.is_empty() {
                return Err(Error::invalid_argument(
                    "option token_source: serve:unix: needs the socket's path, e.g. serve:unix:/run/tpauth/tpauth.sock",
                ));
            }
            return Ok(TokenSource::Unix(path.to_owned()));
        }
        if let Some(addr) = v.strip_prefix("serve:tcp:") {
            let parsed: std::net::SocketAddr = addr.parse().map_err(|_| {
                Error::invalid_argument(format!(
                    "option token_source: expected serve:tcp:127.0.0.1:PORT or serve:tcp:[::1]:PORT (an IP literal and a port), got {v:?}"
                ))
            })?;
            if !parsed.ip().is_loopback() || parsed.port() == 0 {
                return Err(Error::invalid_argument(format!(
                    "option token_source: {v:?}: the token service must be on a loopback address with a port (its bearer never leaves the host)"
                )));
            }
            return Ok(TokenSource::Tcp(parsed));
        }
        Err(Error::invalid_argument(format!(
            "option token_source: expected direct, serve:unix:/path or serve:tcp:127.0.0.1:PORT, got {v:?}"
        )))
    }

    /// Whether tokens come from a `tpauth serve`.
    ///
    /// ```
    /// assert!(tpauth::TokenSource::parse("serve:unix:/tmp/tp.sock")?.is_service());
    /// assert!(!tpauth::TokenSource::Direct.is_service());
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn is_service(&self) -> bool {
        !matches!(self, TokenSource::Direct)
    }
}

impl fmt::Display for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenSource::Direct => f.write_str("direct"),
            TokenSource::Unix(p) => write!(f, "serve:unix:{p}"),
            TokenSource::Tcp(a) => write!(f, "serve:tcp:{a}"),
        }
    }
}

/// Every option key [`Config::set`] accepts, in the contract's order. The C ABI
/// (`tp_option_name`), the environment names (`TRUSTPILOT_<KEY>`) and every binding take the
/// list from here.
///
/// ```
/// assert!(tpauth::OPTION_KEYS.contains(&"token_cache"));
/// let env_names: Vec<String> = tpauth::OPTION_KEYS.iter().map(|k| format!("TRUSTPILOT_{}", k.to_uppercase())).collect();
/// assert!(env_names.contains(&"TRUSTPILOT_BUSINESS_USER_ID".to_string()));
/// ```
pub const OPTION_KEYS: &[&str] = &[
    "api_base_url",
    "authorize_url",
    "username",
    "password",
    "grant",
    "business_user_id",
    "refresh_endpoint",
    "client_auth",
    "timeout_ms",
    "connect_timeout_ms",
    "refresh_leeway_s",
    "max_retries",
    "max_retry_wait_ms",
    "token_cache",
    "ca_file",
    "proxy",
    "user_agent",
    "allow_insecure_http",
    "max_response_bytes",
    "cache_lock_ttl_ms",
    "cache_timeout_ms",
    "allow_loopback_redirect_uri",
    "token_hosts",
    "scope",
    "user_agent_suffix",
    "token_source",
    "token_source_secret_file",
    "token_source_identity",
    "cache_password_file",
    "cache_sentinel_password_file",
    "cache_refresh_ttl_s",
    "cache_fallback_file",
    "allow_insecure_redis",
];

/// How the value of option `key` may be shown (a log line, an error, a binding's printed
/// configuration): the secrets (`api_secret`, `password`) as `[redacted]` (an empty value as
/// empty), the URLs (`api_base_url`, `authorize_url`, `token_cache`, `proxy`) without their
/// userinfo (`redis://:pw@cache/0` → `redis://***@cache/0`), any other value as it is.
/// `api_key` and `api_secret` count as options here. `InvalidArgument` for any other key.
///
/// ```
/// assert_eq!(tpauth::shown_option_value("token_cache", "redis://:s3cret@cache:6379/0").unwrap(), "redis://***@cache:6379/0");
/// assert_eq!(tpauth::shown_option_value("password", "hunter2").unwrap(), "[redacted]");
/// assert_eq!(tpauth::shown_option_value("grant", "password").unwrap(), "password");
/// ```
pub fn shown_option_value(key: &str, value: &str) -> Result<String> {
    match key {
        "api_secret" | "password" => Ok(if value.is_empty() { String::new() } else { "[redacted]".to_owned() }),
        "api_base_url" | "authorize_url" | "token_cache" | "proxy" => Ok(crate::url::redact_url(value)),
        "api_key" => Ok(value.to_owned()),
        _ if OPTION_KEYS.contains(&key) => Ok(value.to_owned()),
        _ => Err(Error::invalid_argument(format!("{key:?} is not an option"))),
    }
}

/// Key, secret and options. Build it, then hand it to [`crate::Auth::new`] (which copies it).
/// Its `Debug` shows no secret.
///
/// ```
/// let mut cfg = tpauth::Config::new("API_KEY", "API_SECRET")?;
/// cfg.set("business_user_id", "5f1e…")?; // sent as x-business-user-id on API calls
/// let auth = tpauth::Auth::new(&cfg)?;
/// # Ok::<(), tpauth::Error>(())
/// ```
#[derive(Clone)]
pub struct Config {
    pub(crate) api_key: String,
    pub(crate) api_secret: Secret,
    pub(crate) api_base_url: String,
    pub(crate) authorize_url: String,
    pub(crate) username: Option<String>,
    pub(crate) password: Option<Secret>,
    pub(crate) grant: Option<Grant>,
    pub(crate) business_user_id: Option<String>,
    pub(crate) refresh_endpoint: RefreshEndpoint,
    pub(crate) client_auth: ClientAuth,
    pub(crate) timeout_ms: u64,
    pub(crate) connect_timeout_ms: u64,
    pub(crate) refresh_leeway_s: i64,
    pub(crate) max_retries: u32,
    pub(crate) max_retry_wait_ms: u64,
    pub(crate) token_cache: Option<String>,
    pub(crate) ca_file: Option<String>,
    pub(crate) proxy: Option<String>,
    pub(crate) user_agent: String,
    pub(crate) allow_insecure_http: bool,
    pub(crate) max_response_bytes: u64,
    pub(crate) cache_lock_ttl_ms: u64,
    pub(crate) cache_timeout_ms: u64,
    pub(crate) allow_loopback_redirect_uri: bool,
    /// Hosts beyond the API host and Trustpilot's own that receive the token (`token_hosts`).
    pub(crate) token_hosts: Vec<crate::url::HostPort>,
    /// Sent as `scope` in the authorize URL and in the password, client-credentials and refresh
    /// requests when set (RFC 6749 §3.3); Trustpilot ignores it.
    pub(crate) scope: Option<String>,
    /// Where the managed token comes from (`token_source`): Trustpilot, or a `tpauth serve`.
    pub(crate) token_source: TokenSource,
    /// The file holding the bearer of a TCP token service (`token_source_secret_file`), read at
    /// every request so that it can rotate.
    pub(crate) token_source_secret_file: Option<String>,
    /// The identity asked of the token service (`token_source_identity`); unset: its default.
    pub(crate) token_source_identity: Option<String>,
    /// The Redis password is read from this file at every connect (rotated passwords, cloud IAM
    /// tokens); it overrides a password in the `token_cache` URL.
    pub(crate) cache_password_file: Option<String>,
    /// The Sentinels' own password (`redis+sentinel://`), read at every connect.
    pub(crate) cache_sentinel_password_file: Option<String>,
    /// How long a cache entry holding a refresh token outlives its access token, in seconds.
    pub(crate) cache_refresh_ttl_s: u64,
    /// The per-host lock and cache while Redis is unreachable: `None` is the default path under
    /// the runtime folder, `Some("none")` disables it.
    pub(crate) cache_fallback_file: Option<String>,
    /// Allow `redis://` (no TLS) to a host that is not a loopback address.
    pub(crate) allow_insecure_redis: bool,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("api_key", &self.api_key)
            .field("api_secret", &self.api_secret)
            .field("api_base_url", &crate::url::redact_url(&self.api_base_url))
            .field("authorize_url", &crate::url::redact_url(&self.authorize_url))
            .field("username", &self.username)
            .field("password", &self.password)
            .field("grant", &self.grant)
            .field("business_user_id", &self.business_user_id)
            .field("token_cache", &self.token_cache.as_deref().map(crate::url::redact_url))
            .field("proxy", &self.proxy.as_deref().map(crate::url::redact_url))
            .field("token_source", &self.token_source.to_string())
            .finish_non_exhaustive()
    }
}

impl Config {
    /// A configuration with the API key and secret of a Trustpilot application and every option
    /// at its default. An empty key, or a control character in it, is `InvalidArgument`.
    ///
    /// ```
    /// let cfg = tpauth::Config::new("API_KEY", "API_SECRET")?;
    /// assert_eq!(cfg.api_base_url(), "https://api.trustpilot.com");
    /// assert!(tpauth::Config::new("", "API_SECRET").is_err());
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn new(api_key: &str, api_secret: &str) -> Result<Config> {
        if api_key.is_empty() {
            return Err(Error::invalid_argument("api_key must not be empty"));
        }
        no_control("api_key", api_key)?;
        let api_secret = Secret::new(api_secret).ok_or_else(|| Error::invalid_argument("api_secret must not contain NUL"))?;
        Ok(Config {
            api_key: api_key.to_owned(),
            api_secret,
            api_base_url: "https://api.trustpilot.com".into(),
            authorize_url: "https://authenticate.trustpilot.com".into(),
            username: None,
            password: None,
            grant: None,
            business_user_id: None,
            refresh_endpoint: RefreshEndpoint::Refresh,
            client_auth: ClientAuth::Basic,
            timeout_ms: 30_000,
            connect_timeout_ms: 10_000,
            refresh_leeway_s: 60,
            max_retries: 3,
            max_retry_wait_ms: 60_000,
            token_cache: None,
            ca_file: None,
            proxy: std::env::var("HTTPS_PROXY").or_else(|_| std::env::var("https_proxy")).ok().filter(|p| !p.is_empty()),
            user_agent: format!("tpauth/{}", crate::VERSION),
            allow_insecure_http: false,
            max_response_bytes: 1 << 20,
            // A Redis cache's lock outlives its holder by at most this long. The holder extends it
            // every third of it while it lives (however long its token request takes, retries
            // included), so the TTL only bounds how long a crashed holder stalls the fleet: 10 s
            // is far below the default refresh_leeway_s (60 s), so a crash during a renewal ahead
            // of expiry goes unnoticed, and far above a Redis round trip plus a scheduling pause
            // (a watchdog that misses two extensions in a row is 6 s late).
            cache_lock_ttl_ms: 10_000,
            // Connect, TLS, AUTH and each command of a Redis cache. A Redis on the same network
            // answers in about a millisecond; 1 s bounds what a dead or unreachable Redis costs a
            // renewal (once per reconnect backoff) without giving up on a merely busy one.
            cache_timeout_ms: 1_000,
            // A redirect_uri must be https (the contract, docs/contract.md); a native app's loopback listener (RFC 8252
            // §7.3, http://127.0.0.1:PORT/callback) is an explicit opt-in.
            allow_loopback_redirect_uri: false,
            token_hosts: Vec::new(),
            scope: None,
            token_source: TokenSource::Direct,
            token_source_secret_file: None,
            token_source_identity: None,
            cache_password_file: None,
            cache_sentinel_password_file: None,
            // 30 days: a fleet idle for a weekend (or a month-end job) still finds the newest
            // refresh token in the cache, instead of a host refreshing with an older, rotated one.
            cache_refresh_ttl_s: 2_592_000,
            cache_fallback_file: None,
            allow_insecure_redis: false,
        })
    }

    /// The API key (sent as `apikey` and as the OAuth `client_id`; not a secret).
    ///
    /// ```
    /// assert_eq!(tpauth::Config::new("API_KEY", "API_SECRET")?.api_key(), "API_KEY");
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// The base URL of the token endpoints and the API (option `api_base_url`, without a
    /// trailing slash).
    ///
    /// ```
    /// let mut cfg = tpauth::Config::new("API_KEY", "API_SECRET")?;
    /// cfg.set("api_base_url", "https://api.example.com/")?;
    /// assert_eq!(cfg.api_base_url(), "https://api.example.com");
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn api_base_url(&self) -> &str {
        &self.api_base_url
    }

    /// The `username` option, when set.
    ///
    /// ```
    /// let mut cfg = tpauth::Config::new("API_KEY", "API_SECRET")?;
    /// assert_eq!(cfg.username(), None);
    /// cfg.set("username", "me@example.com")?;
    /// assert_eq!(cfg.username(), Some("me@example.com"));
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// The `business_user_id` option (sent as `x-business-user-id`), when set.
    ///
    /// ```
    /// let mut cfg = tpauth::Config::new("API_KEY", "API_SECRET")?;
    /// cfg.set("business_user_id", "bu-1")?;
    /// assert_eq!(cfg.business_user_id(), Some("bu-1"));
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn business_user_id(&self) -> Option<&str> {
        self.business_user_id.as_deref()
    }

    /// The size cap of a response body (option `max_response_bytes`).
    ///
    /// ```
    /// let mut cfg = tpauth::Config::new("key", "secret")?;
    /// assert_eq!(cfg.max_response_bytes(), 1 << 20);
    /// cfg.set("max_response_bytes", "4194304")?;
    /// assert_eq!(cfg.max_response_bytes(), 4 << 20);
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn max_response_bytes(&self) -> u64 {
        self.max_response_bytes
    }

    /// The bound of one request, in milliseconds (option `timeout_ms`).
    ///
    /// ```
    /// let mut cfg = tpauth::Config::new("key", "secret")?;
    /// assert_eq!(cfg.timeout_ms(), 30_000);
    /// cfg.set("timeout_ms", "5000")?;
    /// assert_eq!(cfg.timeout_ms(), 5_000);
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn timeout_ms(&self) -> u64 {
        self.timeout_ms
    }

    /// Where the managed token comes from (option `token_source`).
    ///
    /// ```
    /// // No API secret in a process whose tokens come from tpauth serve.
    /// let mut cfg = tpauth::Config::new("key", "")?;
    /// cfg.set("token_source", "serve:unix:/run/tpauth/tpauth.sock")?;
    /// assert!(cfg.token_source().is_service());
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn token_source(&self) -> &TokenSource {
        &self.token_source
    }

    /// The grant the managed token falls back to: the `grant` option, else `password` when a
    /// username is set, else `client_credentials`.
    ///
    /// ```
    /// let mut cfg = tpauth::Config::new("API_KEY", "API_SECRET")?;
    /// cfg.set("username", "me@example.com")?;
    /// assert_eq!(cfg.effective_grant(), tpauth::Grant::Password);
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn effective_grant(&self) -> Grant {
        self.grant.unwrap_or(if self.username.is_some() { Grant::Password } else { Grant::ClientCredentials })
    }

    /// Set one option (see [`OPTION_KEYS`]); every value is a string, as in the C ABI. The value
    /// is checked now: an unknown key or a bad value is `InvalidArgument` naming the option.
    ///
    /// ```
    /// let mut cfg = tpauth::Config::new("API_KEY", "API_SECRET")?;
    /// cfg.set("username", "me@example.com")?;
    /// cfg.set("password", "p&ss=w+rd")?;
    /// cfg.set("max_retries", "5")?;
    /// let e = cfg.set("max_retrys", "5").unwrap_err();
    /// assert!(e.message().starts_with("unknown option \"max_retrys\""));
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        if value.contains('\0') {
            return Err(Error::invalid_argument(format!("option {key}: value must not contain NUL")));
        }
        let opt = |v: &str| if v.is_empty() { None } else { Some(v.to_owned()) };
        match key {
            "api_base_url" => self.api_base_url = parse_base_url(key, value)?,
            "authorize_url" => self.authorize_url = parse_base_url(key, value)?,
            "username" => {
                no_control("option username", value)?;
                self.username = opt(value);
            }
            "password" => self.password = if value.is_empty() { None } else { Secret::new(value) },
            "grant" => {
                self.grant = Some(match value {
                    "password" => Grant::Password,
                    "client_credentials" => Grant::ClientCredentials,
                    "none" => Grant::None,
                    _ => {
                        return Err(Error::invalid_argument(format!(
                            "option grant: expected password, client_credentials or none, got {value:?}"
                        )))
                    }
                });
            }
            "business_user_id" => {
                no_control("option business_user_id", value)?;
                self.business_user_id = opt(value);
            }
            "refresh_endpoint" => {
                self.refresh_endpoint = match value {
                    "refresh" => RefreshEndpoint::Refresh,
                    "accesstoken" => RefreshEndpoint::AccessToken,
                    _ => {
                        return Err(Error::invalid_argument(format!(
                            "option refresh_endpoint: expected refresh or accesstoken, got {value:?}"
                        )))
                    }
                };
            }
            "client_auth" => {
                self.client_auth = match value {
                    "basic" => ClientAuth::Basic,
                    "basic_form" => ClientAuth::BasicForm,
                    "post" => ClientAuth::Post,
                    _ => {
                        return Err(Error::invalid_argument(format!(
                            "option client_auth: expected basic, basic_form or post, got {value:?}"
                        )))
                    }
                };
            }
            "timeout_ms" => self.timeout_ms = positive(key, number(key, value, "a positive number of milliseconds")?)?,
            "connect_timeout_ms" => self.connect_timeout_ms = positive(key, number(key, value, "a positive number of milliseconds")?)?,
            "refresh_leeway_s" => self.refresh_leeway_s = number::<u32>(key, value, "a number of seconds (0 or more)")?.into(),
            "max_retries" => self.max_retries = number(key, value, "a number of retries (0 or more)")?,
            "max_retry_wait_ms" => self.max_retry_wait_ms = number(key, value, "a number of milliseconds (0 or more)")?,
            "token_cache" => {
                no_control("option token_cache", value)?;
                self.token_cache = opt(value);
            }
            "ca_file" => self.ca_file = opt(value),
            "proxy" => {
                if !value.is_empty() && !value.starts_with("http://") {
                    return Err(Error::invalid_argument(format!(
                        "option proxy: expected http://host:port, got {:?}",
                        crate::url::redact_url(value)
                    )));
                }
                no_control("option proxy", value)?;
                self.proxy = opt(value);
            }
            "user_agent_suffix" => {
                // Identifies the application after the library: "tpauth/VERSION my-app/2.1".
                no_control("option user_agent_suffix", value)?;
                self.user_agent = format!("tpauth/{} {}", crate::VERSION, value.trim()).trim_end().to_owned();
            }
            "user_agent" => {
                no_control("option user_agent", value)?;
                self.user_agent = value.to_owned();
            }
            "allow_insecure_http" => self.allow_insecure_http = boolean(key, value)?,
            "max_response_bytes" => self.max_response_bytes = positive(key, number(key, value, "a positive number of bytes")?)?,
            "cache_lock_ttl_ms" => {
                let v: u64 = number(key, value, "a number of milliseconds (100 or more)")?;
                if !(100..=3_600_000).contains(&v) {
                    return Err(Error::invalid_argument(format!("option {key}: expected 100 to 3600000 milliseconds, got {v}")));
                }
                self.cache_lock_ttl_ms = v;
            }
            "cache_timeout_ms" => self.cache_timeout_ms = positive(key, number(key, value, "a positive number of milliseconds")?)?,
            "allow_loopback_redirect_uri" => self.allow_loopback_redirect_uri = boolean(key, value)?,
            "token_hosts" => self.token_hosts = crate::url::parse_token_hosts(value)?,
            "scope" => {
                // RFC 6749 §3.3: space-separated tokens of printable ASCII except `"` and `\`.
                if value.chars().any(|c| !(c == ' ' || c.is_ascii_graphic()) || c == '"' || c == '\\') {
                    return Err(Error::invalid_argument(format!(
                        "option scope: expected space-separated scope tokens of printable ASCII (no \" or \\), got {value:?}"
                    )));
                }
                self.scope = opt(value.trim());
            }
            "token_source" => self.token_source = TokenSource::parse(value)?,
            "token_source_secret_file" => {
                no_control("option token_source_secret_file", value)?;
                self.token_source_secret_file = opt(value);
            }
            "token_source_identity" => {
                // One path segment of the service's URL: /v1/token/{identity}.
                if !value.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)) || value == "." || value == ".." {
                    return Err(Error::invalid_argument(format!(
                        "option token_source_identity: expected an identity name of letters, digits, '.', '_' and '-', got {value:?}"
                    )));
                }
                self.token_source_identity = opt(value);
            }
            "cache_password_file" => {
                no_control("option cache_password_file", value)?;
                self.cache_password_file = opt(value);
            }
            "cache_sentinel_password_file" => {
                no_control("option cache_sentinel_password_file", value)?;
                self.cache_sentinel_password_file = opt(value);
            }
            "cache_refresh_ttl_s" => {
                let v: u64 = number(key, value, "a number of seconds (1 to 315360000)")?;
                if !(1..=315_360_000).contains(&v) {
                    return Err(Error::invalid_argument(format!("option {key}: expected 1 to 315360000 seconds (10 years), got {v}")));
                }
                self.cache_refresh_ttl_s = v;
            }
            "cache_fallback_file" => {
                no_control("option cache_fallback_file", value)?;
                self.cache_fallback_file = opt(value);
            }
            "allow_insecure_redis" => self.allow_insecure_redis = boolean(key, value)?,
            _ => return Err(Error::invalid_argument(format!("unknown option {key:?} (known: {})", OPTION_KEYS.join(", ")))),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;

    #[test]
    fn options_validate() {
        let mut c = Config::new("k", "s").unwrap();
        assert_eq!(c.set("nope", "1").unwrap_err().status(), Status::InvalidArgument);
        assert!(c.set("timeout_ms", "abc").unwrap_err().message().contains("timeout_ms"));
        assert!(c.set("timeout_ms", "-1").is_err());
        assert!(c.set("api_base_url", "ftp://x").is_err());
        c.set("api_base_url", "http://127.0.0.1:8080/").unwrap();
        assert_eq!(c.api_base_url, "http://127.0.0.1:8080");
        c.set("allow_insecure_http", "true").unwrap();
        assert!(c.allow_insecure_http);
        assert!(c.set("user_agent", "a\r\nb").is_err());
    }

    /// A valid value of every option, and the field it must reach (as `Debug` of the field).
    fn samples(c: &Config) -> Vec<(&'static str, &'static str, String)> {
        vec![
            ("api_base_url", "https://api.example.com", c.api_base_url.clone()),
            ("authorize_url", "https://auth.example.com", c.authorize_url.clone()),
            ("username", "me", format!("{:?}", c.username)),
            ("password", "pw", format!("{:?}", c.password.as_ref().map(|p| p.expose().to_owned()))),
            ("grant", "none", format!("{:?}", c.grant)),
            ("business_user_id", "bu", format!("{:?}", c.business_user_id)),
            ("refresh_endpoint", "accesstoken", format!("{:?}", c.refresh_endpoint)),
            ("client_auth", "post", format!("{:?}", c.client_auth)),
            ("timeout_ms", "1234", c.timeout_ms.to_string()),
            ("connect_timeout_ms", "1235", c.connect_timeout_ms.to_string()),
            ("refresh_leeway_s", "7", c.refresh_leeway_s.to_string()),
            ("max_retries", "9", c.max_retries.to_string()),
            ("max_retry_wait_ms", "1236", c.max_retry_wait_ms.to_string()),
            ("token_cache", "/tmp/tp.cache", format!("{:?}", c.token_cache)),
            ("ca_file", "/tmp/ca.pem", format!("{:?}", c.ca_file)),
            ("proxy", "http://127.0.0.1:3128", format!("{:?}", c.proxy)),
            ("user_agent", "ua/1", c.user_agent.clone()),
            ("allow_insecure_http", "true", c.allow_insecure_http.to_string()),
            ("max_response_bytes", "1237", c.max_response_bytes.to_string()),
            ("cache_lock_ttl_ms", "1238", c.cache_lock_ttl_ms.to_string()),
            ("cache_timeout_ms", "1239", c.cache_timeout_ms.to_string()),
            ("allow_loopback_redirect_uri", "true", c.allow_loopback_redirect_uri.to_string()),
            ("token_hosts", "api.example.com", format!("{:?}", c.token_hosts)),
            ("scope", "openid profile", format!("{:?}", c.scope)),
            ("user_agent_suffix", "my-app/2.1", c.user_agent.clone()),
            ("token_source", "serve:unix:/run/tpauth/tpauth.sock", c.token_source.to_string()),
            ("token_source_secret_file", "/run/tpauth/bearer", format!("{:?}", c.token_source_secret_file)),
            ("token_source_identity", "shop", format!("{:?}", c.token_source_identity)),
            ("cache_password_file", "/run/secrets/redis", format!("{:?}", c.cache_password_file)),
            ("cache_sentinel_password_file", "/run/secrets/sentinel", format!("{:?}", c.cache_sentinel_password_file)),
            ("cache_refresh_ttl_s", "86400", c.cache_refresh_ttl_s.to_string()),
            ("cache_fallback_file", "none", format!("{:?}", c.cache_fallback_file)),
            ("allow_insecure_redis", "true", c.allow_insecure_redis.to_string()),
        ]
    }

    #[test]
    fn every_option_key_is_accepted_and_reaches_its_field() {
        // The table covers OPTION_KEYS exactly, in order: a key without a sample fails here.
        let keys: Vec<&str> = samples(&Config::new("k", "s").unwrap()).iter().map(|(k, _, _)| *k).collect();
        assert_eq!(keys, OPTION_KEYS, "samples() must list every option key, in OPTION_KEYS order");
        for (i, key) in OPTION_KEYS.iter().enumerate() {
            let mut c = Config::new("k", "s").unwrap();
            let before = samples(&c);
            let value = before[i].1;
            c.set(key, value).unwrap_or_else(|e| panic!("option {key}={value:?} refused: {e}"));
            let after = samples(&c);
            assert_ne!(before[i].2, after[i].2, "option {key}: set did not change its field");
            // Other fields stay as they were (two rows reading the same field, as user_agent and
            // user_agent_suffix do, move together).
            let same_field = |j: usize| before[j].2 == before[i].2 && after[j].2 == after[i].2;
            for j in (0..after.len()).filter(|j| *j != i && !same_field(*j)) {
                assert_eq!(before[j].2, after[j].2, "option {key} changed the field of {}", after[j].0);
            }
            // A value no option accepts is refused with the option's name, never as an unknown key.
            if let Err(e) = c.set(key, "\u{1}") {
                assert!(!e.message().starts_with("unknown option"), "{key}: {e}");
            }
        }
        assert!(c_unknown().message().starts_with("unknown option"));
    }

    #[test]
    fn token_source_values() {
        let parse = |v: &str| TokenSource::parse(v);
        assert_eq!(parse("direct").unwrap(), TokenSource::Direct);
        assert_eq!(parse("").unwrap(), TokenSource::Direct);
        assert_eq!(parse("serve:unix:/run/x.sock").unwrap(), TokenSource::Unix("/run/x.sock".into()));
        assert_eq!(parse("serve:tcp:127.0.0.1:8200").unwrap().to_string(), "serve:tcp:127.0.0.1:8200");
        assert_eq!(parse("serve:tcp:[::1]:8200").unwrap().to_string(), "serve:tcp:[::1]:8200");
        // The bearer goes to loopback only: another address, a host name or no port is refused.
        for bad in [
            "serve:tcp:10.0.0.1:8200",
            "serve:tcp:example.com:80",
            "serve:tcp:localhost:80",
            "serve:tcp:127.0.0.1",
            "serve:unix:",
            "serve:http://x",
            "https://x",
        ] {
            let e = parse(bad).unwrap_err();
            assert_eq!(e.status(), Status::InvalidArgument, "{bad}");
            assert!(e.message().contains("token_source"), "{bad}: {e}");
        }
        let mut c = Config::new("k", "").unwrap();
        assert!(c.set("token_source_identity", "a/b").is_err());
        assert!(c.set("token_source_identity", "..").is_err());
    }

    #[test]
    fn from_env_needs_no_secret_with_a_token_service() {
        let env = |n: &str| match n {
            "TRUSTPILOT_API_KEY" => Some("key".into()),
            "TRUSTPILOT_TOKEN_SOURCE" => Some("serve:unix:/run/tpauth/tpauth.sock".into()),
            _ => None,
        };
        let c = Config::from_lookup(env).unwrap();
        assert!(c.token_source().is_service());
        // Without the service, the secret is still required.
        let direct = |n: &str| if n == "TRUSTPILOT_API_KEY" { Some("key".into()) } else { None };
        assert!(Config::from_lookup(direct).unwrap_err().message().contains("TRUSTPILOT_API_SECRET"));
    }

    fn c_unknown() -> Error {
        Config::new("k", "s").unwrap().set("no_such_option", "1").unwrap_err()
    }

    #[test]
    fn from_env_names() {
        let env = |n: &str| match n {
            "TRUSTPILOT_API_KEY" => Some("key".into()),
            "TRUSTPILOT_API_SECRET" => Some("s3cr3t-value".into()),
            "TRUSTPILOT_USERNAME" => Some("u".into()),
            "TRUSTPILOT_API_HOST" => Some("api.example.com".into()),
            "TRUSTPILOT_TOKEN_CACHE" => Some("/tmp/x".into()),
            _ => None,
        };
        let c = Config::from_lookup(env).unwrap();
        assert_eq!(c.api_base_url, "https://api.example.com");
        assert_eq!(c.token_cache.as_deref(), Some("/tmp/x"));
        assert_eq!(c.effective_grant(), Grant::Password);
        assert!(!format!("{c:?}").contains("s3cr3t-value"));
    }
}
