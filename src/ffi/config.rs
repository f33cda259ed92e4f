//! `tp_config`: the builder of key, secret and options.

use super::{
    arg_mut, arg_out, arg_str, ffi_status, ffi_value, free_raw, into_raw, string_into_raw, tp_error, tp_status, write_out, Castable,
    OwnershipBox,
};
use crate::config::Config;
use crate::error::Error;
use std::ffi::{c_char, c_void, CStr};

/// Key, secret and options: a builder for one thread. tp_auth_new copies it, so it may be freed
/// (or reused for another client) right after. Freed with tp_config_free.
pub struct tp_config {
    pub(crate) inner: Config,
}

impl Castable for tp_config {
    type Ownership = OwnershipBox;
}

/// A new configuration with the API key and secret of a Trustpilot application and every
/// option at its default (the API at api.trustpilot.com over https, a 30 s timeout, 3 retries, no
/// token cache).
///
/// On success *out receives a configuration the caller frees with tp_config_free. Errors:
/// TP_ERR_INVALID_ARGUMENT when api_key, api_secret or out is NULL, a string is not UTF-8, or
/// api_key is empty. The secret never appears in any message.
#[no_mangle]
pub unsafe extern "C" fn tp_config_new(
    api_key: *const c_char,
    api_secret: *const c_char,
    out: *mut *mut tp_config,
    err: *mut *mut tp_error,
) -> tp_status {
    ffi_status!(err, {
        let api_key = arg_str!(api_key);
        let api_secret = arg_str!(api_secret);
        arg_out!(out);
        let cfg = Config::new(api_key, api_secret)?;
        // SAFETY: out checked non-NULL.
        unsafe { write_out(out, into_raw(tp_config { inner: cfg })) };
        Ok(())
    })
}

/// A configuration from the environment: TRUSTPILOT_API_KEY, TRUSTPILOT_API_SECRET,
/// TRUSTPILOT_USERNAME, TRUSTPILOT_PASSWORD, TRUSTPILOT_API_HOST (api_base_url; a bare host
/// name means https://HOST) and TRUSTPILOT_{KEY} for every other option (e.g.
/// TRUSTPILOT_TOKEN_CACHE).
///
/// On success *out receives a configuration the caller frees with tp_config_free. Errors:
/// TP_ERR_INVALID_ARGUMENT when out is NULL, the key or secret variable is unset, or a variable
/// holds an invalid value (the message names the variable).
#[no_mangle]
pub unsafe extern "C" fn tp_config_from_env(out: *mut *mut tp_config, err: *mut *mut tp_error) -> tp_status {
    ffi_status!(err, {
        arg_out!(out);
        let cfg = Config::from_env()?;
        // SAFETY: out checked non-NULL.
        unsafe { write_out(out, into_raw(tp_config { inner: cfg })) };
        Ok(())
    })
}

/// Set one option; every value is a string ("30000", "true"). tp_option_count and tp_option_name
/// list the keys at run time (api_base_url, username, password, grant, business_user_id,
/// token_cache, timeout_ms, ...); an unknown key is refused with a message listing every key
/// this library knows. The value is checked now, not at the first request. An empty value
/// unsets an optional string option. token_hosts: see tp_check_token_url.
///
/// client_auth, what each mode sends to the token, refresh and revoke endpoints: "basic" (the
/// default, what Trustpilot documents): Authorization: Basic base64(KEY:SECRET) of the raw
/// bytes; "basic_form": Basic of the form-encoded key and secret (RFC 6749 §2.3.1; needed by
/// servers that decode the value, when the key has ':' or the secret '+', '%' or non-ASCII);
/// "post": client_id and client_secret in the form body, no Authorization header.
///
/// Errors: TP_ERR_INVALID_ARGUMENT when cfg, key or value is NULL or not UTF-8, the key is
/// unknown, or the value is invalid for the key (the message names the option; it never
/// repeats a password). On error the configuration is unchanged. Not thread-safe: one thread
/// builds a configuration.
#[no_mangle]
pub unsafe extern "C" fn tp_config_set(
    cfg: *mut tp_config,
    key: *const c_char,
    value: *const c_char,
    err: *mut *mut tp_error,
) -> tp_status {
    ffi_status!(err, {
        let cfg = arg_mut!(cfg);
        let key = arg_str!(key);
        if value.is_null() {
            return Err(Error::invalid_argument(format!("value of option {key:?} is NULL")));
        }
        // SAFETY: value is a NUL-terminated string (the C ABI's contract).
        let value =
            unsafe { CStr::from_ptr(value) }.to_str().map_err(|_| Error::invalid_argument(format!("{key}: value is not valid UTF-8")))?;
        let mut next = cfg.inner.clone();
        next.set(key, value)?;
        cfg.inner = next;
        Ok(())
    })
}

/// Looks up one variable for tp_config_from_lookup: name is a NUL-terminated variable name
/// (TRUSTPILOT_API_KEY, ...), valid during the call only; user_data is the pointer given to
/// tp_config_from_lookup. Returns the value as a NUL-terminated UTF-8 string, or NULL when the
/// variable is unset. The value must stay valid until the callback is called again or
/// tp_config_from_lookup returns (tpauth copies it at once).
pub type tp_lookup_fn = Option<unsafe extern "C" fn(name: *const c_char, user_data: *mut c_void) -> *const c_char>;

/// As tp_config_from_env, with every variable looked up through lookup instead of the process
/// environment: for runtimes whose environment is not the C library's (PHP-FPM pool variables seen
/// by getenv(), .NET's Environment, tests). The names looked up and their mapping to options are
/// tp_config_from_env's; an unset or empty value leaves the option at its default.
///
/// On success *out receives a configuration the caller frees with tp_config_free. Errors:
/// TP_ERR_INVALID_ARGUMENT when lookup or out is NULL, the key or secret variable is unset, a
/// value is not UTF-8, or a variable holds an invalid value (the message names the variable and
/// never repeats a secret).
#[no_mangle]
pub unsafe extern "C" fn tp_config_from_lookup(
    lookup: tp_lookup_fn,
    user_data: *mut c_void,
    out: *mut *mut tp_config,
    err: *mut *mut tp_error,
) -> tp_status {
    ffi_status!(err, {
        let Some(lookup) = lookup else { return Err(Error::invalid_argument("lookup is NULL")) };
        arg_out!(out);
        let bad_utf8: std::cell::RefCell<Option<String>> = std::cell::RefCell::new(None);
        let cfg = Config::from_lookup(|name| {
            let cname = std::ffi::CString::new(name).ok()?;
            // SAFETY: the caller's callback, given a valid name and its own pointer.
            let value = unsafe { lookup(cname.as_ptr(), user_data) };
            if value.is_null() {
                return None;
            }
            // SAFETY: the callback returns NULL or a NUL-terminated string valid until its next call.
            match unsafe { CStr::from_ptr(value) }.to_str() {
                Ok(v) => Some(v.to_owned()),
                Err(_) => {
                    bad_utf8.borrow_mut().get_or_insert_with(|| name.to_owned());
                    None
                }
            }
        });
        if let Some(name) = bad_utf8.into_inner() {
            return Err(Error::invalid_argument(format!("environment variable {name}: not valid UTF-8")));
        }
        // SAFETY: out checked non-NULL.
        unsafe { write_out(out, into_raw(tp_config { inner: cfg? })) };
        Ok(())
    })
}

/// The number of option keys tp_config_set accepts (for bindings that list them).
#[no_mangle]
pub extern "C" fn tp_option_count() -> usize {
    crate::config::OPTION_KEYS.len()
}

/// The i-th option key ("api_base_url", ...), in the options table's order; NULL when i is not
/// below tp_option_count(). Static: never free it.
#[no_mangle]
pub extern "C" fn tp_option_name(i: usize) -> *const c_char {
    ffi_value!(std::ptr::null(), { OPTION_NAMES_C.get(i).map_or(std::ptr::null(), |c| c.as_ptr().cast()) })
}

/// The option keys as NUL-terminated strings, built once from [`crate::config::OPTION_KEYS`].
static OPTION_NAMES_C: std::sync::LazyLock<Vec<Box<[u8]>>> =
    std::sync::LazyLock::new(|| crate::config::OPTION_KEYS.iter().map(|k| format!("{k}\0").into_bytes().into_boxed_slice()).collect());

/// How the value of an option may be shown (a log line, a binding's printed configuration): the
/// secrets (api_secret, password) as `[redacted]` (an empty value as empty), the URLs
/// (api_base_url, authorize_url, token_cache, proxy) with their userinfo replaced by "***" (the
/// password of a token_cache redis URL never shows), any other value as it is. key is an
/// option key or "api_key" / "api_secret". Bindings print their configuration through this, so
/// that what counts as a secret is decided here only.
///
/// On success *shown_out receives a string the caller frees with tp_string_free. Errors:
/// TP_ERR_INVALID_ARGUMENT when key, value or shown_out is NULL, a string is not UTF-8, or key is
/// no option. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn tp_option_shown(
    key: *const c_char,
    value: *const c_char,
    shown_out: *mut *mut c_char,
    err: *mut *mut tp_error,
) -> tp_status {
    ffi_status!(err, {
        let key = arg_str!(key);
        let value = arg_str!(value);
        arg_out!(shown_out);
        let shown = crate::config::shown_option_value(key, value)?;
        // SAFETY: shown_out checked non-NULL.
        unsafe { write_out(shown_out, string_into_raw(shown)) };
        Ok(())
    })
}

/// Free a configuration. NULL is ignored. Clients made from it stay valid.
#[no_mangle]
pub unsafe extern "C" fn tp_config_free(cfg: *mut tp_config) {
    ffi_value!((), {
        // SAFETY: NULL or a configuration from this library, freed once.
        unsafe { free_raw(cfg) }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::ffi::CString;

    /// The lookup's state: the variables, the names asked for, and the values handed out (kept
    /// alive until the call returns, as the callback's contract says).
    struct Env {
        vars: HashMap<String, Vec<u8>>,
        asked: Vec<String>,
        held: Vec<CString>,
    }

    unsafe extern "C" fn lookup(name: *const c_char, user_data: *mut c_void) -> *const c_char {
        // SAFETY: user_data is the &mut Env given to tp_config_from_lookup; name is a C string.
        let env = unsafe { &mut *user_data.cast::<Env>() };
        // SAFETY: as above.
        let name = unsafe { CStr::from_ptr(name) }.to_str().unwrap().to_owned();
        env.asked.push(name.clone());
        match env.vars.get(&name) {
            Some(v) => {
                env.held.push(CString::new(v.clone()).unwrap());
                env.held.last().unwrap().as_ptr()
            }
            None => std::ptr::null(),
        }
    }

    fn from_lookup(vars: &[(&str, &[u8])]) -> (std::result::Result<Config, (tp_status, String)>, Vec<String>) {
        let mut env = Env { vars: vars.iter().map(|(k, v)| ((*k).to_owned(), v.to_vec())).collect(), asked: vec![], held: vec![] };
        let mut cfg: *mut tp_config = std::ptr::null_mut();
        let mut err: *mut tp_error = std::ptr::null_mut();
        // SAFETY: a valid callback, its state, and out parameters.
        let st = unsafe { tp_config_from_lookup(Some(lookup), (&raw mut env).cast(), &mut cfg, &mut err) };
        let result = if st == tp_status::TP_OK {
            // SAFETY: a fresh configuration, freed once.
            let c = unsafe { Box::from_raw(cfg) }.inner;
            Ok(c)
        } else {
            assert!(cfg.is_null(), "out is written only on success");
            // SAFETY: a fresh error, freed once.
            let e = unsafe { Box::from_raw(err) };
            Err((st, e.message().to_str().unwrap().to_owned()))
        };
        (result, env.asked)
    }

    #[test]
    fn lookup_reads_every_option_through_the_callback() {
        let (cfg, asked) = from_lookup(&[
            ("TRUSTPILOT_API_KEY", b"key"),
            ("TRUSTPILOT_API_SECRET", b"s3cret"),
            ("TRUSTPILOT_API_HOST", b"api.example.com"),
            ("TRUSTPILOT_BUSINESS_USER_ID", b"bu-7"),
            ("TRUSTPILOT_USERNAME", b"me"),
        ]);
        let cfg = cfg.unwrap();
        assert_eq!(cfg.api_key(), "key");
        assert_eq!(cfg.api_base_url(), "https://api.example.com");
        assert_eq!(cfg.business_user_id(), Some("bu-7"));
        assert_eq!(cfg.username(), Some("me"));
        // Every option of tp_option_name is looked up through the callback, by its documented name.
        let n = tp_option_count();
        assert_eq!(n, crate::config::OPTION_KEYS.len());
        for i in 0..n {
            // SAFETY: a static C string.
            let key = unsafe { CStr::from_ptr(tp_option_name(i)) }.to_str().unwrap();
            let var = if key == "api_base_url" { "TRUSTPILOT_API_HOST".to_owned() } else { format!("TRUSTPILOT_{}", key.to_uppercase()) };
            assert!(asked.contains(&var), "{var} (option {key}) was not looked up");
        }
        assert!(tp_option_name(n).is_null());
        assert!(tp_option_name(usize::MAX).is_null());
    }

    #[test]
    fn lookup_errors_name_the_variable_and_hide_the_secret() {
        let (r, _) = from_lookup(&[("TRUSTPILOT_API_SECRET", b"s3cret")]);
        let (st, msg) = r.unwrap_err();
        assert_eq!(st, tp_status::TP_ERR_INVALID_ARGUMENT);
        assert!(msg.contains("TRUSTPILOT_API_KEY"), "{msg}");
        let (r, _) = from_lookup(&[("TRUSTPILOT_API_KEY", b"k"), ("TRUSTPILOT_API_SECRET", b"s3cret"), ("TRUSTPILOT_TIMEOUT_MS", b"soon")]);
        let (_, msg) = r.unwrap_err();
        assert!(msg.contains("TRUSTPILOT_TIMEOUT_MS") && !msg.contains("s3cret"), "{msg}");
        let (r, _) = from_lookup(&[("TRUSTPILOT_API_KEY", b"k"), ("TRUSTPILOT_API_SECRET", b"\xff\xfe")]);
        let (_, msg) = r.unwrap_err();
        assert!(msg.contains("TRUSTPILOT_API_SECRET") && msg.contains("UTF-8"), "{msg}");
        let mut out: *mut tp_config = std::ptr::null_mut();
        // SAFETY: NULL callback, valid out.
        let st = unsafe { tp_config_from_lookup(None, std::ptr::null_mut(), &mut out, std::ptr::null_mut()) };
        assert_eq!(st, tp_status::TP_ERR_INVALID_ARGUMENT);
        assert!(out.is_null());
    }
}
