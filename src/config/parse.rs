//! The value parsers [`Config::set`] uses, and [`Config::from_env`] / [`Config::from_lookup`] (the
//! `TRUSTPILOT_*` names of every option, derived from [`OPTION_KEYS`]: nothing here changes when an
//! option is added).

use super::{Config, OPTION_KEYS};
use crate::error::{Error, Result};

pub(super) fn no_control(name: &str, value: &str) -> Result<()> {
    if value.chars().any(char::is_control) {
        return Err(Error::invalid_argument(format!("{name} must not contain control characters (CR, LF, ...)")));
    }
    Ok(())
}

pub(super) fn number<T: std::str::FromStr>(key: &str, value: &str, what: &str) -> Result<T> {
    value.trim().parse::<T>().map_err(|_| Error::invalid_argument(format!("option {key}: expected {what}, got {value:?}")))
}

pub(super) fn boolean(key: &str, value: &str) -> Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" | "" => Ok(false),
        _ => Err(Error::invalid_argument(format!("option {key}: expected true or false, got {value:?}"))),
    }
}

pub(super) fn positive(key: &str, v: u64) -> Result<u64> {
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
    ///
    /// ```no_run
    /// // TRUSTPILOT_API_KEY=… TRUSTPILOT_API_SECRET=… TRUSTPILOT_USERNAME=… TRUSTPILOT_PASSWORD=…
    /// let auth = tpauth::Auth::new(&tpauth::Config::from_env()?)?;
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn from_env() -> Result<Config> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// As [`Config::from_env`], reading variables through `lookup` (for tests and embedders).
    ///
    /// ```
    /// let vars = std::collections::HashMap::from([
    ///     ("TRUSTPILOT_API_KEY", "API_KEY"),
    ///     ("TRUSTPILOT_API_SECRET", "API_SECRET"),
    ///     ("TRUSTPILOT_API_HOST", "api.example.com"),
    /// ]);
    /// let cfg = tpauth::Config::from_lookup(|name| vars.get(name).map(|v| v.to_string()))?;
    /// assert_eq!(cfg.api_base_url(), "https://api.example.com");
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config> {
        let get = |name: &str| lookup(name).filter(|v| !v.is_empty());
        let key = get("TRUSTPILOT_API_KEY").ok_or_else(|| Error::invalid_argument("environment: TRUSTPILOT_API_KEY is not set"))?;
        // A process whose tokens come from `tpauth serve` holds no secret (the service does).
        let from_service = get("TRUSTPILOT_TOKEN_SOURCE").is_some_and(|s| s.trim_start().starts_with("serve:"));
        let secret = match get("TRUSTPILOT_API_SECRET") {
            Some(s) => s,
            None if from_service => String::new(),
            None => return Err(Error::invalid_argument("environment: TRUSTPILOT_API_SECRET is not set")),
        };
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
}
