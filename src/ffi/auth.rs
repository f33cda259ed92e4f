//! `tp_auth`: the client (grants, refresh, revoke, the managed token and API calls).

use super::config::tp_config;
use super::response::tp_response;
use super::token::{token_into_raw, tp_token};
use super::{
    arc_borrow, arg_lent, arg_opt_str, arg_out, arg_ref, arg_str, borrow, ffi_status, ffi_value, free_raw, into_raw, string_into_raw,
    tp_error, tp_status, write_out, Castable, OwnershipBox,
};
use crate::error::Error;
use crate::{Auth, Renew, ResponseType};
use std::ffi::c_char;

/// The client: options, connection pool and current token. Safe to share between threads and
/// to call concurrently. Freed with tp_auth_free once no call is in progress.
pub struct tp_auth {
    pub(super) inner: Auth,
}

impl Castable for tp_auth {
    type Ownership = OwnershipBox;
}

/// A new client for cfg (copied: cfg may be freed right after).
///
/// On success *out receives a client the caller frees with tp_auth_free. No request is sent.
/// Errors: TP_ERR_INVALID_ARGUMENT when cfg or out is NULL, or an option is inconsistent (e.g.
/// an http:// URL without allow_insecure_http, or to a host that is not loopback);
/// TP_ERR_STORE when the token cache cannot be opened.
#[no_mangle]
pub unsafe extern "C" fn tp_auth_new(cfg: *const tp_config, out: *mut *mut tp_auth, err: *mut *mut tp_error) -> tp_status {
    ffi_status!(err, {
        let cfg = arg_ref!(cfg);
        arg_out!(out);
        let auth = Auth::new(&cfg.inner)?;
        // SAFETY: out checked non-NULL.
        unsafe { write_out(out, into_raw(tp_auth { inner: auth })) };
        Ok(())
    })
}

/// Free a client. NULL is ignored. Tokens and responses it returned stay valid.
#[no_mangle]
pub unsafe extern "C" fn tp_auth_free(auth: *mut tp_auth) {
    ffi_value!((), {
        // SAFETY: NULL or a client from this library, freed once, no call in progress.
        unsafe { free_raw(auth) }
    })
}

/// Give a token to C through `out` (checked non-NULL by the caller's arg_out!).
fn token_out(out: *mut *mut tp_token, token: crate::Token) {
    // SAFETY: out checked non-NULL by the caller.
    unsafe { write_out(out, token_into_raw(token)) };
}

/// The password grant: POST accesstoken with grant_type=password. The token also becomes the
/// client's current token. It is written to the token cache only when it belongs to the
/// configured identity: username is the configured one and the managed grant is password (or
/// the client has none of its own: grant=none without a username). A token for another user
/// stays in this client's memory, and so do its renewals, so that processes sharing the cache
/// are never served another user's token; once its refresh token is refused, the configured
/// grant takes over.
///
/// On success *out receives a token the caller frees with tp_token_free. Errors:
/// TP_ERR_INVALID_ARGUMENT (a NULL or non-UTF-8 argument), TP_ERR_INVALID_GRANT (wrong
/// username or password), TP_ERR_UNAUTHORIZED (wrong API key or secret, or a client_auth mode
/// the server does not accept), TP_ERR_RATE_LIMITED, TP_ERR_HTTP, TP_ERR_PROTOCOL,
/// TP_ERR_NETWORK, TP_ERR_TIMEOUT. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn tp_password_grant(
    auth: *mut tp_auth,
    username: *const c_char,
    password: *const c_char,
    out: *mut *mut tp_token,
    err: *mut *mut tp_error,
) -> tp_status {
    ffi_status!(err, {
        let auth = arg_ref!(auth);
        let username = arg_str!(username);
        let password = arg_str!(password);
        arg_out!(out);
        token_out(out, auth.inner.password_grant(username, password)?);
        Ok(())
    })
}

/// The client-credentials grant: POST accesstoken with grant_type=client_credentials. API calls
/// made with such a token need the business_user_id option. The token becomes the current one.
///
/// On success *out receives a token the caller frees with tp_token_free. Errors as
/// tp_password_grant. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn tp_client_credentials_grant(auth: *mut tp_auth, out: *mut *mut tp_token, err: *mut *mut tp_error) -> tp_status {
    ffi_status!(err, {
        let auth = arg_ref!(auth);
        arg_out!(out);
        token_out(out, auth.inner.client_credentials_grant()?);
        Ok(())
    })
}

/// Exchange an authorization code (from tp_parse_code_redirect) for a token. redirect_uri must
/// be identical to the one given to tp_authorize_url, and https (refused before any request is
/// sent). Never retried. The token becomes the current one.
///
/// On success *out receives a token the caller frees with tp_token_free. Errors:
/// TP_ERR_INVALID_ARGUMENT (NULL, non-UTF-8, non-https redirect_uri), TP_ERR_INVALID_GRANT
/// (unknown or used code, different redirect_uri), and the network errors of
/// tp_password_grant. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn tp_authorization_code_grant(
    auth: *mut tp_auth,
    code: *const c_char,
    redirect_uri: *const c_char,
    out: *mut *mut tp_token,
    err: *mut *mut tp_error,
) -> tp_status {
    // SAFETY: the caller's pointers go on as they came (the C ABI's contract); a NULL verifier
    // sends none.
    unsafe { tp_authorization_code_grant_pkce(auth, code, redirect_uri, std::ptr::null(), out, err) }
}

/// Refresh: POST refresh (or accesstoken with refresh_endpoint=accesstoken) with
/// grant_type=refresh_token. refresh_token NULL means the current token's. A response without
/// a refresh token keeps the old one. The token becomes the current one.
///
/// On success *out receives a token the caller frees with tp_token_free. Errors:
/// TP_ERR_NO_TOKEN (NULL refresh_token and no current refresh token), TP_ERR_INVALID_GRANT
/// (unknown, rotated or revoked refresh token), and those of tp_password_grant. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn tp_refresh(
    auth: *mut tp_auth,
    refresh_token: *const c_char,
    out: *mut *mut tp_token,
    err: *mut *mut tp_error,
) -> tp_status {
    ffi_status!(err, {
        let auth = arg_ref!(auth);
        let refresh_token = arg_opt_str!(refresh_token);
        arg_out!(out);
        token_out(out, auth.inner.refresh(refresh_token)?);
        Ok(())
    })
}

/// Revoke a refresh token (and the access tokens issued with it): POST revoke with
/// token=REFRESH_TOKEN. refresh_token NULL means the current token's; revoking the current
/// token also forgets it.
///
/// Errors: TP_ERR_NO_TOKEN (NULL refresh_token and no current refresh token),
/// TP_ERR_UNAUTHORIZED, TP_ERR_HTTP and the network errors. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn tp_revoke(auth: *mut tp_auth, refresh_token: *const c_char, err: *mut *mut tp_error) -> tp_status {
    ffi_status!(err, {
        let auth = arg_ref!(auth);
        let refresh_token = arg_opt_str!(refresh_token);
        auth.inner.revoke(refresh_token)
    })
}

/// The URL of the authorization page to send the browser to:
/// {authorize_url}?client_id=KEY&redirect_uri=...&response_type=...&state=...
/// response_type is "code" (authorization code) or "token" (implicit); state NULL means none
/// (use tp_new_state: it protects the redirect against forgery). No request is sent.
///
/// On success *url_out receives a string the caller frees with tp_string_free. Errors:
/// TP_ERR_INVALID_ARGUMENT (NULL auth, redirect_uri, response_type or url_out; another
/// response_type; a redirect_uri that is not https). Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn tp_authorize_url(
    auth: *const tp_auth,
    redirect_uri: *const c_char,
    response_type: *const c_char,
    state: *const c_char,
    url_out: *mut *mut c_char,
    err: *mut *mut tp_error,
) -> tp_status {
    // SAFETY: the caller's pointers go on as they came (the C ABI's contract); a NULL challenge
    // adds none.
    unsafe { tp_authorize_url_pkce(auth, redirect_uri, response_type, state, std::ptr::null(), url_out, err) }
}

/// As tp_authorization_code_grant, also sending code_verifier (PKCE, RFC 7636), the verifier of
/// the challenge given to tp_authorize_url_pkce; NULL sends none.
///
/// Errors as tp_authorization_code_grant; TP_ERR_INVALID_ARGUMENT also for a verifier that is not
/// 43 to 128 characters of A-Z a-z 0-9 - . _ ~; TP_ERR_INVALID_GRANT when the server finds that
/// the verifier does not match. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn tp_authorization_code_grant_pkce(
    auth: *mut tp_auth,
    code: *const c_char,
    redirect_uri: *const c_char,
    code_verifier: *const c_char,
    out: *mut *mut tp_token,
    err: *mut *mut tp_error,
) -> tp_status {
    ffi_status!(err, {
        let auth = arg_ref!(auth);
        let code = arg_str!(code);
        let redirect_uri = arg_str!(redirect_uri);
        let code_verifier = arg_opt_str!(code_verifier);
        arg_out!(out);
        token_out(out, auth.inner.authorization_code_grant_pkce(code, redirect_uri, code_verifier)?);
        Ok(())
    })
}

/// As tp_authorize_url, adding code_challenge=...&code_challenge_method=S256 (PKCE, RFC 7636)
/// when code_challenge is not NULL (from tp_new_pkce; response_type "code" only). With the scope
/// option set, tp_authorize_url and this function add scope=....
///
/// On success *url_out receives a string the caller frees with tp_string_free. Errors as
/// tp_authorize_url; TP_ERR_INVALID_ARGUMENT also for a challenge that is not 43 base64url
/// characters, or a challenge with response_type "token". Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn tp_authorize_url_pkce(
    auth: *const tp_auth,
    redirect_uri: *const c_char,
    response_type: *const c_char,
    state: *const c_char,
    code_challenge: *const c_char,
    url_out: *mut *mut c_char,
    err: *mut *mut tp_error,
) -> tp_status {
    ffi_status!(err, {
        let auth = arg_ref!(auth);
        let redirect_uri = arg_str!(redirect_uri);
        let response_type = ResponseType::parse(arg_str!(response_type))?;
        let state = arg_opt_str!(state);
        let code_challenge = arg_opt_str!(code_challenge);
        arg_out!(url_out);
        let url = auth.inner.authorize_url_pkce(redirect_uri, response_type, state, code_challenge)?;
        // SAFETY: url_out checked non-NULL.
        unsafe { write_out(url_out, string_into_raw(url)) };
        Ok(())
    })
}

/// The instant, in Unix milliseconds, from which tp_get_token renews t instead of returning it:
/// refresh_leeway_s before its expiry, never earlier than half-way through its lifetime;
/// INT64_MAX for a token without expiry; -1 when auth or t is NULL. A binding may keep its own
/// copy of the token tp_get_token returned and serve it without calling in until then, provided
/// it drops that copy when it invalidates, sets or obtains a token.
#[no_mangle]
pub unsafe extern "C" fn tp_token_renew_at_ms(auth: *const tp_auth, t: *const tp_token) -> i64 {
    ffi_value!(-1, {
        // SAFETY: NULL or live handles (the C ABI's contract).
        match unsafe { (borrow(auth), arc_borrow(t)) } {
            (Some(a), Some(t)) => a.inner.renew_at_ms(&t),
            _ => -1,
        }
    })
}

/// The headers an API call to url_or_path carries, for HTTP stacks that send the request
/// themselves: tp_prepare_api_call's, for a request that sets none of its own, with renewal
/// allowed. "Authorization: Bearer TOKEN", "apikey: KEY" and, when the business_user_id option is
/// set, "x-business-user-id: ID", one "Name: value" per line, lines separated by "\n" (no trailing
/// newline). The URL must pass tp_check_token_url (checked first: a refused URL gets no token);
/// the token is the managed one (tp_get_token: this call may renew it). method must be an HTTP
/// method token; every method gets the same headers today. Adapters should prefer
/// tp_prepare_api_call, which also gives the URL to send to and keeps a request's own
/// x-business-user-id.
///
/// On success *headers_out receives a string the caller frees with tp_string_free (it holds the
/// token; tp_string_free wipes it). Errors: TP_ERR_INVALID_ARGUMENT (NULL argument, bad method, a
/// URL that may not see the token), TP_ERR_PROTOCOL (a token unfit for a header), and those of
/// tp_get_token. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn tp_api_headers(
    auth: *mut tp_auth,
    method: *const c_char,
    url_or_path: *const c_char,
    headers_out: *mut *mut c_char,
    err: *mut *mut tp_error,
) -> tp_status {
    ffi_status!(err, {
        let auth = arg_ref!(auth);
        let method = arg_str!(method);
        let url_or_path = arg_str!(url_or_path);
        arg_out!(headers_out);
        let call = auth.inner.prepare_api_call(method, url_or_path, &[], Renew::IfNeeded)?;
        let text = zeroize::Zeroizing::new(call.header_lines().unwrap_or_default());
        // SAFETY: headers_out checked non-NULL.
        unsafe { write_out(headers_out, string_into_raw(text.as_str().to_owned())) };
        Ok(())
    })
}

/// tp_prepare_api_call's flags: never renew the token; when it is not fresh, answer "renewal
/// needed" (TP_OK with *headers_out NULL) at once, without any request or waiting.
pub const TP_PREPARE_NO_RENEW: u32 = 1;

/// Everything an HTTP adapter needs for one API call with the managed token: the URL to send it
/// to and the headers to set.
///
/// url_or_path is a path ("/v1/private/...", joined to api_base_url) or an absolute http(s) URL,
/// which must pass tp_check_token_url (checked first: a refused URL gets no token). Refused with
/// TP_ERR_INVALID_ARGUMENT as naming another host to some reader: a scheme without "//"
/// ("https:host/x", "https:/host/x", "http:HOST:PORT/x"), "//host/x", "/\host/x", "\\host\x", a
/// backslash in a path, any scheme other than http(s). caller_headers names the headers the
/// request already carries, separated by "\n" (NULL: none); flags is 0 or TP_PREPARE_NO_RENEW.
///
/// On success *url_out receives the URL to send the request to (the joined path, or the absolute
/// URL as it was judged: send this one, not the one given), and *headers_out the lines
/// "Name: value" separated by "\n" (no trailing newline): "Authorization: Bearer TOKEN",
/// "apikey: KEY" and, when the business_user_id option is set and caller_headers does not name
/// x-business-user-id (in any letter case), "x-business-user-id: ID". Set each on the request,
/// replacing its header of that name in any letter case. Both strings are freed with
/// tp_string_free (which wipes the token). With TP_PREPARE_NO_RENEW and no fresh token (absent,
/// invalidated, or due for renewal) the call returns TP_OK with *url_out set and *headers_out
/// NULL: renew through your own cancellable path (tp_get_token), then call this again. Without
/// the flag the token is the managed one (tp_get_token: this call may renew it).
///
/// On a 401, call tp_invalidate_token with the token sent, then this again, and resend once.
/// Errors: TP_ERR_INVALID_ARGUMENT (NULL auth, method, url_or_path or out parameter; bad method;
/// unknown flags; a refused URL), TP_ERR_PROTOCOL (a token unfit for a header), and those of
/// tp_get_token. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn tp_prepare_api_call(
    auth: *mut tp_auth,
    method: *const c_char,
    url_or_path: *const c_char,
    caller_headers: *const c_char,
    flags: u32,
    url_out: *mut *mut c_char,
    headers_out: *mut *mut c_char,
    err: *mut *mut tp_error,
) -> tp_status {
    ffi_status!(err, {
        let auth = arg_ref!(auth);
        let method = arg_str!(method);
        let url_or_path = arg_str!(url_or_path);
        let caller_headers = arg_opt_str!(caller_headers);
        arg_out!(url_out);
        arg_out!(headers_out);
        if flags & !TP_PREPARE_NO_RENEW != 0 {
            return Err(Error::invalid_argument(format!("flags: {flags:#x} holds unknown bits; pass 0 or TP_PREPARE_NO_RENEW")));
        }
        let renew = if flags & TP_PREPARE_NO_RENEW != 0 { Renew::Never } else { Renew::IfNeeded };
        let names: Vec<&str> = caller_headers.map_or_else(Vec::new, |h| h.split('\n').map(str::trim).filter(|n| !n.is_empty()).collect());
        let call = auth.inner.prepare_api_call(method, url_or_path, &names, renew)?;
        let headers = call.header_lines().map(zeroize::Zeroizing::new);
        // SAFETY: url_out and headers_out checked non-NULL.
        unsafe {
            write_out(url_out, string_into_raw(call.url().to_owned()));
            write_out(headers_out, headers.map_or(std::ptr::null_mut(), |h| string_into_raw(h.as_str().to_owned())));
        }
        Ok(())
    })
}

/// Whether a request's own header named name (in any letter case) is kept rather than replaced by
/// tp_prepare_api_call's line of that name: the merge rule as data, for an adapter that keeps the
/// header lines of one token and sets them on many requests without calling in (Go's Transport).
/// Such an adapter asks tp_prepare_api_call with caller_headers NULL (every line); then, for each
/// line, when this is true and the request carries that header with a value, it keeps the
/// request's and leaves the line out; otherwise the line replaces the request's header of that
/// name. tp_prepare_api_call applies the same rule to the caller_headers it is given. True for
/// "x-business-user-id" only today; false when name is NULL or not UTF-8.
#[no_mangle]
pub unsafe extern "C" fn tp_caller_header_kept(name: *const c_char) -> bool {
    ffi_value!(false, {
        // SAFETY: NULL or a NUL-terminated string (the C ABI's contract).
        unsafe { super::c_str_arg(name, "name") }.is_ok_and(crate::caller_header_kept)
    })
}

/// The managed token: the current token while it is valid (no I/O, no waiting), else one
/// refresh or grant (option grant) made for all concurrent callers at once, and, with
/// token_cache, for all processes sharing the cache.
///
/// On success *out receives a token the caller frees with tp_token_free. The cached path hands
/// out the client's own token, not a copy: calls that get the same token may get the same
/// pointer, and each call's pointer is still freed once (every call takes a reference of its
/// own). Errors: TP_ERR_NO_TOKEN (no current token and grant=none, or no username/password for the password
/// grant), TP_ERR_STORE (the token cache cannot be used: unreadable, unwritable, or a file or
/// folder another user could have planted or written, left untouched; the message says which and
/// how to fix it), TP_ERR_TIMEOUT (another process held the token cache's lock longer than the
/// shorter of timeout_ms and cache_lock_ttl_ms; no token was requested), and those of the grants.
/// Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn tp_get_token(auth: *mut tp_auth, out: *mut *mut tp_token, err: *mut *mut tp_error) -> tp_status {
    ffi_status!(err, {
        let auth = arg_ref!(auth);
        arg_out!(out);
        token_out(out, auth.inner.get_token()?);
        Ok(())
    })
}

/// Report that the API refused access_token (HTTP 401): the client drops its current token
/// only if it is still that one, so N concurrent 401s cause one renewal. No request is sent.
///
/// Errors: TP_ERR_INVALID_ARGUMENT (NULL or non-UTF-8 argument), TP_ERR_STORE. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn tp_invalidate_token(auth: *mut tp_auth, access_token: *const c_char, err: *mut *mut tp_error) -> tp_status {
    ffi_status!(err, {
        let auth = arg_ref!(auth);
        let access_token = arg_str!(access_token);
        auth.inner.invalidate_token(access_token)
    })
}

/// Make token the client's current token (and write it to the token cache), e.g. one read with
/// tp_token_from_json or tp_parse_implicit_redirect. token stays owned by the caller.
///
/// Errors: TP_ERR_INVALID_ARGUMENT (NULL argument), TP_ERR_STORE. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn tp_set_token(auth: *mut tp_auth, token: *const tp_token, err: *mut *mut tp_error) -> tp_status {
    ffi_status!(err, {
        let auth = arg_ref!(auth);
        let token = arg_lent!(token);
        auth.inner.set_token(&token)
    })
}

fn request(
    auth: *mut tp_auth,
    method: *const c_char,
    url_or_path: *const c_char,
    body: Option<&[u8]>,
    content_type: *const c_char,
    out: *mut *mut tp_response,
) -> Result<(), Error> {
    let auth = arg_ref!(auth);
    let method = arg_str!(method);
    let url_or_path = arg_str!(url_or_path);
    let content_type = arg_opt_str!(content_type);
    arg_out!(out);
    let response = auth.inner.request(method, url_or_path, body, content_type)?;
    // SAFETY: out checked non-NULL.
    unsafe { write_out(out, into_raw(tp_response::new(response))) };
    Ok(())
}

/// Whether the token may be sent to url: the rule tp_request applies, for HTTP adapters that
/// attach the token themselves (the Go Transport, the Python requests/httpx auth). TP_OK for a
/// path ("/v1/...", joined to api_base_url) and for an absolute URL whose scheme is allowed
/// (https; http only to a loopback host with allow_insecure_http=true) and whose host and port
/// are on the allow-list:
///   - the api_base_url host and port;
///   - Trustpilot's API hosts on https port 443: api.trustpilot.com and
///     invitations-api.trustpilot.com;
///   - the entries of the token_hosts option ("host" for the scheme's default port, or
///     "host:port", comma-separated).
///
/// Hosts are compared whole (no "same site" or suffix rule) and URLs that two parsers could read
/// differently (a backslash, an IP written in hex) are refused, as is every reference some reader
/// takes for another host: a scheme without "//" ("https:host/x", "http:HOST:PORT/x"), "//host/x",
/// "/\host/x", a backslash in a path, a scheme other than http(s). No request is sent.
///
/// Errors: TP_ERR_INVALID_ARGUMENT when auth or url is NULL or not UTF-8, or the host may not
/// receive the token (the message names the host and the token_hosts option). Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn tp_check_token_url(auth: *const tp_auth, url: *const c_char, err: *mut *mut tp_error) -> tp_status {
    ffi_status!(err, {
        let auth = arg_ref!(auth);
        let url = arg_str!(url);
        auth.inner.check_token_url(url)
    })
}

/// An API call with the managed token: sends Authorization: Bearer TOKEN, apikey: KEY and, when
/// the business_user_id option is set, x-business-user-id. url_or_path is a path joined to
/// api_base_url ("/v1/private/...") or an absolute URL. body and content_type may be NULL
/// (none). On a 401 the token is invalidated, renewed and the call retried once. An absolute URL
/// must pass tp_check_token_url (else TP_ERR_INVALID_ARGUMENT, nothing sent).
///
/// Any HTTP answer, 4xx and 5xx included, is a success: *out receives a response the caller
/// frees with tp_response_free (check tp_response_status); an error answer larger than
/// max_response_bytes is cut to it. Errors: TP_ERR_INVALID_ARGUMENT, the errors of
/// tp_get_token, TP_ERR_NETWORK, TP_ERR_TIMEOUT, TP_ERR_PROTOCOL (a 2xx body larger than
/// max_response_bytes). Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn tp_request(
    auth: *mut tp_auth,
    method: *const c_char,
    url_or_path: *const c_char,
    body: *const c_char,
    content_type: *const c_char,
    out: *mut *mut tp_response,
    err: *mut *mut tp_error,
) -> tp_status {
    ffi_status!(err, {
        // SAFETY: NULL or a NUL-terminated string (the C ABI's contract).
        let body = (!body.is_null()).then(|| unsafe { std::ffi::CStr::from_ptr(body) }.to_bytes());
        request(auth, method, url_or_path, body, content_type, out)
    })
}

/// As tp_request, with a body of body_len bytes that may contain NUL (binary uploads). body
/// may be NULL only when body_len is 0 (then no body is sent).
#[no_mangle]
pub unsafe extern "C" fn tp_request_bytes(
    auth: *mut tp_auth,
    method: *const c_char,
    url_or_path: *const c_char,
    body: *const u8,
    body_len: usize,
    content_type: *const c_char,
    out: *mut *mut tp_response,
    err: *mut *mut tp_error,
) -> tp_status {
    ffi_status!(err, {
        let body = if body.is_null() {
            if body_len != 0 {
                return Err(Error::invalid_argument("body is NULL but body_len is not 0"));
            }
            None
        } else {
            // SAFETY: body points to body_len readable bytes (the C ABI's contract).
            Some(unsafe { std::slice::from_raw_parts(body, body_len) })
        };
        request(auth, method, url_or_path, body, content_type, out)
    })
}
