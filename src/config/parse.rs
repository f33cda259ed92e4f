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

/// The variable that names an option: `TRUSTPILOT_<KEY>` (`TRUSTPILOT_API_BASE_URL`,
/// `TRUSTPILOT_TOKEN_CACHE`, ...).
fn option_variable(option: &str) -> String {
    format!("TRUSTPILOT_{}", option.to_ascii_uppercase())
}

/// The official Python client's name for `api_base_url` (a bare host name means https). When both
/// are set, `TRUSTPILOT_API_BASE_URL` wins: it is the option's own name.
const API_HOST_VARIABLE: &str = "TRUSTPILOT_API_HOST";

/// Whether `name` is a variable that [`Config::from_lookup`] reads.
fn is_known_variable(name: &str) -> bool {
    name == "TRUSTPILOT_API_KEY"
        || name == "TRUSTPILOT_API_SECRET"
        || name == API_HOST_VARIABLE
        || OPTION_KEYS.iter().any(|option| option_variable(option) == name)
}

/// The `TRUSTPILOT_*` variables of the process environment that name no option, sorted: a typo
/// (`TRUSTPILOT_TOKENCACHE`) or a name another client uses would otherwise be ignored without a
/// word, and a program meant for a mock or a proxy would talk to the real API.
fn unknown_variables() -> Vec<String> {
    let mut names: Vec<String> = std::env::vars_os()
        .filter_map(|(name, _)| name.into_string().ok())
        .filter(|name| name.starts_with("TRUSTPILOT_") && !is_known_variable(name))
        .collect();
    names.sort();
    names
}

impl Config {
    /// A configuration from the environment: `TRUSTPILOT_API_KEY`, `TRUSTPILOT_API_SECRET`,
    /// `TRUSTPILOT_USERNAME`, `TRUSTPILOT_PASSWORD`, `TRUSTPILOT_API_HOST` (→ `api_base_url`) and
    /// `TRUSTPILOT_<KEY>` for every option key (e.g. `TRUSTPILOT_TOKEN_CACHE`, and
    /// `TRUSTPILOT_API_BASE_URL`, which wins over `TRUSTPILOT_API_HOST`). A `TRUSTPILOT_*`
    /// variable that names no option is reported through the log callback (a warning).
    ///
    /// ```no_run
    /// // TRUSTPILOT_API_KEY=… TRUSTPILOT_API_SECRET=… TRUSTPILOT_USERNAME=… TRUSTPILOT_PASSWORD=…
    /// let auth = tpauth::Auth::new(&tpauth::Config::from_env()?)?;
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn from_env() -> Result<Config> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// As [`Config::from_env`], reading variables through `lookup` (for tests and embedders, and
    /// for runtimes whose environment is not the process's). The unknown `TRUSTPILOT_*` names are
    /// taken from the process environment (a lookup can only answer names it is asked), and each
    /// one `lookup` also sees is reported through the log callback.
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
            let mut var = option_variable(option);
            let mut value = get(&var);
            if *option == "api_base_url" && value.is_none() {
                var = API_HOST_VARIABLE.to_owned();
                value = get(&var).map(|v| if v.contains("://") { v } else { format!("https://{v}") });
            }
            if let Some(value) = value {
                cfg.set(option, &value).map_err(|e| e.context(&format!("environment variable {var}")))?;
            }
        }
        for warning in Self::environment_warnings(&lookup) {
            crate::log::log_event!(Warn, "{warning}");
        }
        Ok(cfg)
    }

    /// The warnings [`Config::from_lookup`] reports through the log callback: one per
    /// `TRUSTPILOT_*` variable of the process environment that names no option and that `lookup`
    /// also sees (the variable's name, never its value). For bindings whose language has its own
    /// warning channel (Python's `logging`, Node's `process.emitWarning`).
    ///
    /// ```
    /// // A binding hands in its own view of the environment and reports what comes back.
    /// for warning in tpauth::Config::environment_warnings(|name| std::env::var(name).ok()) {
    ///     eprintln!("warning: {warning}");
    /// }
    /// ```
    pub fn environment_warnings(lookup: impl Fn(&str) -> Option<String>) -> Vec<String> {
        unknown_variables()
            .into_iter()
            .filter(|name| lookup(name).is_some_and(|v| !v.is_empty()))
            .map(|name| {
                format!(
                    "environment variable {name} names no tpauth option and is ignored (the options are TRUSTPILOT_<KEY> for each option key, plus TRUSTPILOT_API_KEY, TRUSTPILOT_API_SECRET and TRUSTPILOT_API_HOST)"
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup_in(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        move |name| map.get(name).cloned()
    }

    const CREDENTIALS: [(&str, &str); 2] = [("TRUSTPILOT_API_KEY", "k"), ("TRUSTPILOT_API_SECRET", "s")];

    #[test]
    fn api_base_url_is_read_by_its_own_name() {
        let cfg =
            Config::from_lookup(lookup_in(&[CREDENTIALS[0], CREDENTIALS[1], ("TRUSTPILOT_API_BASE_URL", "https://mock.example")])).unwrap();
        assert_eq!(cfg.api_base_url(), "https://mock.example");
    }

    #[test]
    fn api_base_url_wins_over_api_host() {
        let cfg = Config::from_lookup(lookup_in(&[
            CREDENTIALS[0],
            CREDENTIALS[1],
            ("TRUSTPILOT_API_HOST", "api.elsewhere.example"),
            ("TRUSTPILOT_API_BASE_URL", "https://mock.example"),
        ]))
        .unwrap();
        assert_eq!(cfg.api_base_url(), "https://mock.example");
        let cfg =
            Config::from_lookup(lookup_in(&[CREDENTIALS[0], CREDENTIALS[1], ("TRUSTPILOT_API_HOST", "api.elsewhere.example")])).unwrap();
        assert_eq!(cfg.api_base_url(), "https://api.elsewhere.example");
    }

    #[test]
    fn every_option_variable_is_known_and_nothing_else() {
        for option in OPTION_KEYS {
            assert!(is_known_variable(&option_variable(option)), "{option}");
        }
        assert!(is_known_variable("TRUSTPILOT_API_HOST"));
        assert!(!is_known_variable("TRUSTPILOT_TOKENCACHE"));
        assert!(!is_known_variable("TRUSTPILOT_API_URL"));
    }
}
