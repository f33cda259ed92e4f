//! Reading options: [`Config::set`] (every value a string, as in the C ABI, validated here) and
//! [`Config::from_env`] / [`Config::from_lookup`] (the `TRUSTPILOT_*` names of every option).

use super::{ClientAuth, Config, Grant, RefreshEndpoint, OPTION_KEYS};
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::url::parse_base_url;

pub(super) fn no_control(name: &str, value: &str) -> Result<()> {
    if value.chars().any(char::is_control) {
        return Err(Error::invalid_argument(format!("{name} must not contain control characters (CR, LF, ...)")));
    }
    Ok(())
}

fn number<T: std::str::FromStr>(key: &str, value: &str, what: &str) -> Result<T> {
    value.trim().parse::<T>().map_err(|_| Error::invalid_argument(format!("option {key}: expected {what}, got {value:?}")))
}

fn boolean(key: &str, value: &str) -> Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" | "" => Ok(false),
        _ => Err(Error::invalid_argument(format!("option {key}: expected true or false, got {value:?}"))),
    }
}

fn positive(key: &str, v: u64) -> Result<u64> {
    if v == 0 {
        Err(Error::invalid_argument(format!("option {key}: must be greater than 0")))
    } else {
        Ok(v)
    }
}

impl Config {
    /// A configuration from the environment: `TRUSTPILOT_API_KEY`, `TRUSTPILOT_API_SECRET`,
    /// `TRUSTPILOT_USERNAME`, `TRUSTPILOT_PASSWORD`, `TRUSTPILOT_API_HOST` (→ `api_base_url`) and
    /// `TRUSTPILOT_<KEY>` for every other option key (e.g. `TRUSTPILOT_TOKEN_CACHE`).
    pub fn from_env() -> Result<Config> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// As [`Config::from_env`], reading variables through `lookup` (for tests and embedders).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config> {
        let get = |name: &str| lookup(name).filter(|v| !v.is_empty());
        let key = get("TRUSTPILOT_API_KEY").ok_or_else(|| Error::invalid_argument("environment: TRUSTPILOT_API_KEY is not set"))?;
        let secret =
            get("TRUSTPILOT_API_SECRET").ok_or_else(|| Error::invalid_argument("environment: TRUSTPILOT_API_SECRET is not set"))?;
        let mut cfg = Config::new(&key, &secret)?;
        for option in OPTION_KEYS {
            let var = if *option == "api_base_url" {
                "TRUSTPILOT_API_HOST".to_owned()
            } else {
                format!("TRUSTPILOT_{}", option.to_ascii_uppercase())
            };
            if let Some(mut value) = get(&var) {
                if *option == "api_base_url" && !value.contains("://") {
                    // The official client's TRUSTPILOT_API_HOST may be a bare host name.
                    value = format!("https://{value}");
                }
                cfg.set(option, &value).map_err(|e| e.context(&format!("environment variable {var}")))?;
            }
        }
        Ok(cfg)
    }

    /// Set one option (see [`OPTION_KEYS`]); every value is a string, as in the C ABI.
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
            _ => return Err(Error::invalid_argument(format!("unknown option {key:?} (known: {})", OPTION_KEYS.join(", ")))),
        }
        Ok(())
    }
}
