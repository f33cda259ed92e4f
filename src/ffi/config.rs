//! `tp_config`: the builder of key, secret and options.

use super::{arg_mut, arg_out, arg_str, ffi_status, ffi_value, free_raw, into_raw, tp_error, tp_status, write_out, Castable, OwnershipBox};
use crate::config::Config;
use crate::error::Error;
use std::ffi::{c_char, CStr};

/// Key, secret and options: a builder for one thread. tp_auth_new copies it, so it may be freed
/// (or reused for another client) right after. Freed with tp_config_free.
pub struct tp_config {
    pub(crate) inner: Config,
}

impl Castable for tp_config {
    type Ownership = OwnershipBox;
}

/// A new configuration with the API key and secret of a Trustpilot application and every
/// option at its default (see the options table of the README).
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

/// Set one option; every value is a string ("30000", "true"). Keys: api_base_url,
/// authorize_url, username, password, grant, business_user_id, refresh_endpoint, client_auth,
/// timeout_ms, connect_timeout_ms, refresh_leeway_s, max_retries, max_retry_wait_ms,
/// token_cache, ca_file, proxy, user_agent, allow_insecure_http, and the additions
/// max_response_bytes, cache_lock_ttl_ms, cache_timeout_ms, allow_loopback_redirect_uri,
/// token_hosts (comma-separated "host" or "host:port" entries that may receive the token besides
/// the api_base_url host and Trustpilot's API hosts; see tp_check_token_url). An empty value
/// unsets an optional string option.
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

/// Free a configuration. NULL is ignored. Clients made from it stay valid.
#[no_mangle]
pub unsafe extern "C" fn tp_config_free(cfg: *mut tp_config) {
    ffi_value!((), {
        // SAFETY: NULL or a configuration from this library, freed once.
        unsafe { free_raw(cfg) }
    })
}
