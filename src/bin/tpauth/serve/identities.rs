//! The identities the service holds: one named `default` from the `TRUSTPILOT_*` environment plus
//! `-o key=value`, or one per `[identities.NAME]` table of a TOML file (`--config`). Each becomes
//! a `tpauth::Auth`, so single flight, caches, retries and error classes are the library's.
//!
//! Secrets never come from the command line (other users read it in `ps`, shells keep it in their
//! history): `-o password=…` and `-o api_secret=…` are refused with the `*_file` hint, and so is a
//! URL carrying a password. `api_secret_file` and `password_file` read the secret from a file
//! (systemd credentials, Kubernetes secrets), trimmed of surrounding whitespace.

use std::collections::BTreeMap;
use tpauth::{Auth, Config, OPTION_KEYS};

/// The service's default cap on one body (`max_response_bytes`) when an identity sets none: the
/// proxy streams answers rather than holding them, so the library's 1 MiB would only refuse
/// ordinary large answers; a request body is held (for the resend after a 401) up to this size.
pub const SERVICE_MAX_BODY: u64 = 16 * 1024 * 1024;

/// Keys an identity takes besides the options: the API key, and files holding the secrets.
const EXTRA_KEYS: [&str; 3] = ["api_key", "api_secret_file", "password_file"];

/// One identity.
pub struct Identity {
    pub name: String,
    pub auth: Auth,
    /// The cap of a proxied body (`max_response_bytes`).
    pub max_body: u64,
    /// `timeout_ms`: the bound of one request, and of a request still running at shutdown.
    pub timeout_ms: u64,
}

/// Every identity, and which one answers when a request names none.
pub struct Identities {
    pub list: Vec<Identity>,
    pub default: Option<usize>,
}

impl Identities {
    pub fn get(&self, name: &str) -> Option<&Identity> {
        self.list.iter().find(|i| i.name == name)
    }
}

/// An identity's name is one path segment of the service's URLs.
fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)) && name != "." && name != "..";
    if !ok {
        return Err(format!("identity {name:?}: a name is letters, digits, '.', '_' and '-' (it appears in /v1/token/NAME)"));
    }
    if name == "invalidate" {
        return Err("identity \"invalidate\": the name is taken by POST /v1/token/invalidate; choose another".into());
    }
    Ok(())
}

/// Whether a value holds a password in a URL's userinfo (`redis://:pw@host`, `http://u:pw@proxy`).
fn url_with_password(value: &str) -> bool {
    let Some((_, rest)) = value.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    authority.rsplit_once('@').is_some_and(|(userinfo, _)| userinfo.contains(':'))
}

/// Refuse a secret given on the command line, naming what to use instead.
fn refuse_secret_on_command_line(key: &str, value: &str) -> Result<(), String> {
    let hint = match key {
        "password" => Some("use TRUSTPILOT_PASSWORD or -o password_file=/path/to/file"),
        "api_secret" => Some("use TRUSTPILOT_API_SECRET or -o api_secret_file=/path/to/file"),
        _ => None,
    };
    if let Some(hint) = hint {
        return Err(format!("-o {key}=…: a secret is never taken from the command line (other users can read it in ps); {hint}"));
    }
    if url_with_password(value) {
        return Err(format!(
            "-o {key}=…: the URL holds a password, and a secret is never taken from the command line; set it in the environment (TRUSTPILOT_{}) or use a *_file option",
            key.to_ascii_uppercase()
        ));
    }
    Ok(())
}

/// Read a secret file, trimmed; its content never appears in a message.
fn read_secret_file(key: &str, path: &str) -> Result<zeroize::Zeroizing<String>, String> {
    let text = zeroize::Zeroizing::new(std::fs::read_to_string(path).map_err(|e| format!("{key} {path:?}: cannot read it: {}", e.kind()))?);
    let trimmed = zeroize::Zeroizing::new(text.trim().to_owned());
    if trimmed.is_empty() {
        return Err(format!("{key} {path:?}: the file is empty"));
    }
    Ok(trimmed)
}

/// What an identity is made of, before it becomes a `Config`: its key, secret source and options.
#[derive(Default)]
struct Spec {
    api_key: Option<String>,
    api_secret: Option<zeroize::Zeroizing<String>>,
    options: Vec<(String, String)>,
}

impl Spec {
    /// Take one `key=value` (from `-o` or a TOML table): an option, the key, or a secret file.
    fn take(&mut self, key: &str, value: String, origin: &str) -> Result<(), String> {
        match key {
            "api_key" => self.api_key = Some(value),
            "api_secret_file" => self.api_secret = Some(read_secret_file(key, &value)?),
            "password_file" => {
                let pw = read_secret_file(key, &value)?;
                self.options.retain(|(k, _)| k != "password");
                self.options.push(("password".into(), pw.to_string()));
            }
            k if OPTION_KEYS.contains(&k) => {
                self.options.retain(|(o, _)| o != k);
                self.options.push((k.to_owned(), value));
            }
            "api_secret" => return Err(format!("{origin}: api_secret is not accepted here; use api_secret_file")),
            _ => return Err(format!("{origin}: unknown key {key:?} (an option of docs/options.md, or {})", EXTRA_KEYS.join(", "))),
        }
        Ok(())
    }

    /// The identity's client: `cfg` (key, secret and the service's defaults), then the options
    /// in the order given.
    fn build(self, name: &str, mut cfg: Config) -> Result<Identity, String> {
        let ctx = |e: tpauth::Error| format!("identity {name:?}: {}", e.message());
        for (k, v) in &self.options {
            cfg.set(k, v).map_err(ctx)?;
        }
        if cfg.token_source().is_service() {
            return Err(format!(
                "identity {name:?}: token_source={} would make the service ask a service for its tokens; an identity of tpauth serve gets them from Trustpilot (token_source=direct)",
                cfg.token_source()
            ));
        }
        let auth = Auth::new(&cfg).map_err(ctx)?;
        Ok(Identity { name: name.to_owned(), auth, max_body: cfg.max_response_bytes(), timeout_ms: cfg.timeout_ms() })
    }
}

/// The service's default body cap, unless the environment sets one.
fn service_defaults(cfg: &mut Config, env_sets_cap: bool) -> tpauth::Result<()> {
    if !env_sets_cap {
        cfg.set("max_response_bytes", &SERVICE_MAX_BODY.to_string())?;
    }
    Ok(())
}

/// The identities: from `--config`'s TOML when given, else one named `default` from the
/// environment. `-o` options apply to every identity, after its own.
pub fn load(config_file: Option<&str>, options: &[String]) -> Result<Identities, String> {
    let mut overrides = Vec::new();
    for o in options {
        let Some((k, v)) = o.split_once('=') else {
            return Err(format!("-o {o:?}: expected key=value"));
        };
        let k = k.trim();
        refuse_secret_on_command_line(k, v)?;
        overrides.push((k.to_owned(), v.to_owned()));
    }
    match config_file {
        None => from_environment(&overrides),
        Some(path) => from_toml(path, &overrides),
    }
}

fn from_environment(overrides: &[(String, String)]) -> Result<Identities, String> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let mut spec = Spec::default();
    // The environment's own secret files (TRUSTPILOT_API_SECRET_FILE, TRUSTPILOT_PASSWORD_FILE),
    // then -o.
    for (var, key) in [("TRUSTPILOT_API_SECRET_FILE", "api_secret_file"), ("TRUSTPILOT_PASSWORD_FILE", "password_file")] {
        if let Some(path) = env(var) {
            spec.take(key, path, var)?;
        }
    }
    for (k, v) in overrides {
        spec.take(k, v.clone(), &format!("-o {k}"))?;
    }
    let Some(key) = spec.api_key.clone().or_else(|| env("TRUSTPILOT_API_KEY")) else {
        return Err(
            "no identity: set TRUSTPILOT_API_KEY (and TRUSTPILOT_API_SECRET or TRUSTPILOT_API_SECRET_FILE), or give --config".into()
        );
    };
    let secret = match &spec.api_secret {
        Some(s) => s.clone(),
        None => zeroize::Zeroizing::new(
            env("TRUSTPILOT_API_SECRET")
                .ok_or("no API secret: set TRUSTPILOT_API_SECRET or TRUSTPILOT_API_SECRET_FILE, or -o api_secret_file=/path")?,
        ),
    };
    let ctx = |e: tpauth::Error| format!("identity \"default\": {}", e.message());
    // The service reads the two *_FILE variables itself (above): hidden from the library, which
    // would otherwise warn that they name no option and are ignored.
    let mut cfg = Config::from_lookup(|n| match n {
        "TRUSTPILOT_API_KEY" => Some(key.clone()),
        "TRUSTPILOT_API_SECRET" => Some(secret.to_string()),
        "TRUSTPILOT_API_SECRET_FILE" | "TRUSTPILOT_PASSWORD_FILE" => None,
        _ => std::env::var(n).ok(),
    })
    .map_err(ctx)?;
    service_defaults(&mut cfg, env("TRUSTPILOT_MAX_RESPONSE_BYTES").is_some()).map_err(ctx)?;
    let identity = spec.build("default", cfg)?;
    Ok(Identities { list: vec![identity], default: Some(0) })
}

fn toml_value(v: &toml::Value) -> Option<String> {
    match v {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(i) => Some(i.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

fn from_toml(path: &str, overrides: &[(String, String)]) -> Result<Identities, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("--config {path:?}: cannot read it: {}", e.kind()))?;
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| format!("--config {path:?}: not valid TOML: {}", e.message()))?;
    let mut default_name = None;
    let mut tables = BTreeMap::new();
    for (k, v) in &table {
        match (k.as_str(), v) {
            ("default", toml::Value::String(s)) => default_name = Some(s.clone()),
            ("identities", toml::Value::Table(t)) => tables = t.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            ("default" | "identities", _) => {
                return Err(format!("--config {path:?}: {k} has the wrong type (default = \"NAME\", [identities.NAME])"))
            }
            _ => return Err(format!("--config {path:?}: unknown top-level key {k:?} (expected default and [identities.NAME] tables)")),
        }
    }
    if tables.is_empty() {
        return Err(format!("--config {path:?}: no [identities.NAME] table"));
    }
    let mut list = Vec::new();
    for (name, value) in tables {
        check_name(&name)?;
        let toml::Value::Table(keys) = value else {
            return Err(format!("--config {path:?}: identities.{name} must be a table"));
        };
        let origin = format!("--config {path:?}, identities.{name}");
        let mut spec = Spec::default();
        for (k, v) in &keys {
            let v = toml_value(v).ok_or_else(|| format!("{origin}: {k} must be a string, a number or a boolean"))?;
            spec.take(k, v, &origin)?;
        }
        for (k, v) in overrides {
            spec.take(k, v.clone(), &format!("-o {k}"))?;
        }
        let (Some(key), Some(secret)) = (spec.api_key.clone(), spec.api_secret.clone()) else {
            return Err(format!("{origin}: api_key and api_secret_file are required"));
        };
        let ctx = |e: tpauth::Error| format!("identity {name:?}: {}", e.message());
        let mut cfg = Config::new(&key, &secret).map_err(ctx)?;
        service_defaults(&mut cfg, false).map_err(ctx)?;
        list.push(spec.build(&name, cfg)?);
    }
    let default = match default_name {
        Some(d) => {
            Some(list.iter().position(|i| i.name == d).ok_or_else(|| format!("--config {path:?}: default = {d:?} names no identity"))?)
        }
        None if list.len() == 1 => Some(0),
        None => list.iter().position(|i| i.name == "default"),
    };
    Ok(Identities { list, default })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_on_the_command_line_are_refused_with_the_file_hint() {
        let e = load(None, &["password=hunter2".into()]).err().unwrap();
        assert!(e.contains("password_file") && !e.contains("hunter2"), "{e}");
        let e = load(None, &["api_secret=s3cr3t".into()]).err().unwrap();
        assert!(e.contains("api_secret_file") && !e.contains("s3cr3t"), "{e}");
        let e = load(None, &["token_cache=redis://:pw0rd@127.0.0.1:6379/0".into()]).err().unwrap();
        assert!(e.contains("password") && !e.contains("pw0rd"), "{e}");
        assert!(url_with_password("http://u:p@h:1") && !url_with_password("redis://127.0.0.1:6379") && !url_with_password("/a@b:c"));
    }

    #[test]
    fn names_are_path_segments() {
        assert!(check_name("shop-eu_1.x").is_ok());
        for bad in ["", "a/b", "..", "a b", "invalidate", "é"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }
}
