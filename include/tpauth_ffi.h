/* tpauth: the declarations of tpauth.h without preprocessor directives, for PHP's FFI::cdef.
   Generated from the same source (scripts/gen-headers.sh). Do not edit by hand. */
typedef enum tp_status {
  /**
   * Success.
   */
  TP_OK = 0,
  /**
   * NULL, bad UTF-8, unknown option, bad URL, non-https redirect_uri.
   */
  TP_ERR_INVALID_ARGUMENT = 1,
  /**
   * DNS, connect, TLS, reset, truncated body.
   */
  TP_ERR_NETWORK = 2,
  /**
   * The request took longer than timeout_ms (connecting: connect_timeout_ms).
   */
  TP_ERR_TIMEOUT = 3,
  /**
   * 401, or OAuth invalid_client.
   */
  TP_ERR_UNAUTHORIZED = 4,
  /**
   * 429; see tp_error_retry_after_ms.
   */
  TP_ERR_RATE_LIMITED = 5,
  /**
   * OAuth invalid_grant: wrong password, used code, revoked or rotated refresh token.
   */
  TP_ERR_INVALID_GRANT = 6,
  /**
   * Any other non-2xx.
   */
  TP_ERR_HTTP = 7,
  /**
   * 2xx with an unusable body: not JSON, no access_token, body over the size cap.
   */
  TP_ERR_PROTOCOL = 8,
  /**
   * The redirect's state differs from the expected one.
   */
  TP_ERR_STATE_MISMATCH = 9,
  /**
   * The redirect carries error=... (the user declined).
   */
  TP_ERR_ACCESS_DENIED = 10,
  /**
   * Nothing to refresh or revoke, or no grant configured for tp_get_token.
   */
  TP_ERR_NO_TOKEN = 11,
  /**
   * The token cache is unreadable or unwritable.
   */
  TP_ERR_STORE = 12,
  /**
   * A bug: a caught panic.
   */
  TP_ERR_INTERNAL = 13,
} tp_status;

/**
 * Log levels passed to the tp_set_log_callback callback.
 */
typedef enum tp_log_level {
  /**
   * Something failed and the caller will see an error.
   */
  TP_LOG_ERROR = 1,
  /**
   * Something failed and was worked around (a retry, a stale token served, a corrupt cache).
   */
  TP_LOG_WARN = 2,
  /**
   * A token request, a renewal, a cache event.
   */
  TP_LOG_INFO = 3,
  /**
   * Detail.
   */
  TP_LOG_DEBUG = 4,
} tp_log_level;

/**
 * The client: options, connection pool and current token. Safe to share between threads and
 * to call concurrently. Freed with tp_auth_free once no call is in progress.
 */
typedef struct tp_auth tp_auth;

/**
 * Key, secret and options: a builder for one thread. tp_auth_new copies it, so it may be freed
 * (or reused for another client) right after. Freed with tp_config_free.
 */
typedef struct tp_config tp_config;

/**
 * One error: status, message, HTTP status, OAuth error code and Retry-After. Received through
 * the tp_error **err argument of a failed call; immutable and safe to read from any thread;
 * freed with tp_error_free.
 */
typedef struct tp_error tp_error;

/**
 * One API response (status, headers, body), immutable and safe to read from any thread.
 * Freed with tp_response_free; the strings its accessors return are borrowed from it.
 */
typedef struct tp_response tp_response;

/**
 * One token response (access token, refresh token, expiry, the server's JSON), immutable and
 * safe to read from any thread. Freed with tp_token_free; the strings its accessors return are
 * borrowed from it.
 */
typedef struct tp_token tp_token;

/**
 * Looks up one variable for tp_config_from_lookup: name is a NUL-terminated variable name
 * (TRUSTPILOT_API_KEY, ...), valid during the call only; user_data is the pointer given to
 * tp_config_from_lookup. Returns the value as a NUL-terminated UTF-8 string, or NULL when the
 * variable is unset. The value must stay valid until the callback is called again or
 * tp_config_from_lookup returns (tpauth copies it at once).
 */
typedef const char *(*tp_lookup_fn)(const char *name, void *user_data);

/**
 * The log callback: level is a tp_log_level, msg a NUL-terminated message valid during the
 * call only, user_data the pointer given to tp_set_log_callback.
 */
typedef void (*tp_log_callback)(int level, const char *msg, void *user_data);

/**
 * The library's version, "MAJOR.MINOR.PATCH". Static: never free it.
 */
const char *tp_version(void);

/**
 * The C name of a status, e.g. "TP_ERR_RATE_LIMITED". Static: never free it. A number that is
 * not a tp_status gives "TP_ERR_UNKNOWN".
 */
const char *tp_status_name(tp_status status);

/**
 * Free a string this library returned through a char ** out parameter (or tp_new_state).
 * Its bytes are wiped first (it may hold a token). NULL is ignored. Never pass a string that
 * did not come from this library, and never free these strings with free().
 */
void tp_string_free(char *s);

/**
 * A fresh OAuth state: 128 random bits from the operating system, URL-safe base64 (22
 * characters). The caller owns it: free it with tp_string_free. NULL only if memory runs out.
 * Thread-safe.
 */
char *tp_new_state(void);

/**
 * A fresh PKCE pair (RFC 7636, method S256): *verifier receives 43 characters made from 32
 * random bytes (base64url), *challenge BASE64URL(SHA256(verifier)). Send the challenge with
 * tp_authorize_url_pkce, keep the verifier (it is a secret, like the state) for
 * tp_authorization_code_grant_pkce. Both out parameters are written only on success; free both
 * with tp_string_free.
 *
 * Errors: TP_ERR_INVALID_ARGUMENT (verifier or challenge is NULL), TP_ERR_INTERNAL (the
 * operating system gave no random bytes). Thread-safe.
 */
tp_status tp_new_pkce(char **verifier, char **challenge, tp_error **err);

/**
 * The error's status (never TP_OK for an error; TP_OK when e is NULL).
 */
tp_status tp_error_status(const tp_error *e);

/**
 * What went wrong and what to do, in English; never contains a secret. A server's
 * error_description is included only when it repeats no part of the request's secrets in any
 * encoding (otherwise the message says it was withheld), without control characters and cut to
 * 200 characters. Borrowed from e: valid until tp_error_free(e). "" when e is NULL.
 */
const char *tp_error_message(const tp_error *e);

/**
 * The HTTP status of the answer that caused the error; 0 when there was no HTTP answer (or e
 * is NULL).
 */
int tp_error_http_status(const tp_error *e);

/**
 * The OAuth error code the server sent ("invalid_grant", "invalid_client", "access_denied",
 * ...), or NULL when none. Borrowed from e: valid until tp_error_free(e).
 */
const char *tp_error_oauth_code(const tp_error *e);

/**
 * How long the server asked to wait before trying again (Retry-After, or the remaining 429
 * cooldown), in milliseconds; -1 when the server gave none (or e is NULL).
 */
int64_t tp_error_retry_after_ms(const tp_error *e);

/**
 * Free an error. NULL is ignored.
 */
void tp_error_free(tp_error *e);

/**
 * A new configuration with the API key and secret of a Trustpilot application and every
 * option at its default (the API at api.trustpilot.com over https, a 30 s timeout, 3 retries, no
 * token cache).
 *
 * On success *out receives a configuration the caller frees with tp_config_free. Errors:
 * TP_ERR_INVALID_ARGUMENT when api_key, api_secret or out is NULL, a string is not UTF-8, or
 * api_key is empty. The secret never appears in any message.
 */
tp_status tp_config_new(const char *api_key,
                        const char *api_secret,
                        tp_config **out,
                        tp_error **err);

/**
 * A configuration from the environment: TRUSTPILOT_API_KEY, TRUSTPILOT_API_SECRET,
 * TRUSTPILOT_USERNAME, TRUSTPILOT_PASSWORD, TRUSTPILOT_API_HOST (api_base_url; a bare host
 * name means https://HOST) and TRUSTPILOT_{KEY} for every other option (e.g.
 * TRUSTPILOT_TOKEN_CACHE).
 *
 * On success *out receives a configuration the caller frees with tp_config_free. Errors:
 * TP_ERR_INVALID_ARGUMENT when out is NULL, the key or secret variable is unset, or a variable
 * holds an invalid value (the message names the variable).
 */
tp_status tp_config_from_env(tp_config **out, tp_error **err);

/**
 * Set one option; every value is a string ("30000", "true"). tp_option_count and tp_option_name
 * list the keys at run time (api_base_url, username, password, grant, business_user_id,
 * token_cache, timeout_ms, ...); an unknown key is refused with a message listing every key
 * this library knows. The value is checked now, not at the first request. An empty value
 * unsets an optional string option. token_hosts: see tp_check_token_url.
 *
 * client_auth, what each mode sends to the token, refresh and revoke endpoints: "basic" (the
 * default, what Trustpilot documents): Authorization: Basic base64(KEY:SECRET) of the raw
 * bytes; "basic_form": Basic of the form-encoded key and secret (RFC 6749 §2.3.1; needed by
 * servers that decode the value, when the key has ':' or the secret '+', '%' or non-ASCII);
 * "post": client_id and client_secret in the form body, no Authorization header.
 *
 * Errors: TP_ERR_INVALID_ARGUMENT when cfg, key or value is NULL or not UTF-8, the key is
 * unknown, or the value is invalid for the key (the message names the option; it never
 * repeats a password). On error the configuration is unchanged. Not thread-safe: one thread
 * builds a configuration.
 */
tp_status tp_config_set(tp_config *cfg,
                        const char *key,
                        const char *value,
                        tp_error **err);

/**
 * As tp_config_from_env, with every variable looked up through lookup instead of the process
 * environment: for runtimes whose environment is not the C library's (PHP-FPM pool variables seen
 * by getenv(), .NET's Environment, tests). The names looked up and their mapping to options are
 * tp_config_from_env's; an unset or empty value leaves the option at its default.
 *
 * On success *out receives a configuration the caller frees with tp_config_free. Errors:
 * TP_ERR_INVALID_ARGUMENT when lookup or out is NULL, the key or secret variable is unset, a
 * value is not UTF-8, or a variable holds an invalid value (the message names the variable and
 * never repeats a secret).
 */
tp_status tp_config_from_lookup(tp_lookup_fn lookup,
                                void *user_data,
                                tp_config **out,
                                tp_error **err);

/**
 * The number of option keys tp_config_set accepts (for bindings that list them).
 */
size_t tp_option_count(void);

/**
 * The i-th option key ("api_base_url", ...), in the options table's order; NULL when i is not
 * below tp_option_count(). Static: never free it.
 */
const char *tp_option_name(size_t i);

/**
 * How the value of an option may be shown (a log line, a binding's printed configuration): the
 * secrets (api_secret, password) as `[redacted]` (an empty value as empty), the URLs
 * (api_base_url, authorize_url, token_cache, proxy) with their userinfo replaced by "***" (the
 * password of a token_cache redis URL never shows), any other value as it is. key is an
 * option key or "api_key" / "api_secret". Bindings print their configuration through this, so
 * that what counts as a secret is decided here only.
 *
 * On success *shown_out receives a string the caller frees with tp_string_free. Errors:
 * TP_ERR_INVALID_ARGUMENT when key, value or shown_out is NULL, a string is not UTF-8, or key is
 * no option. Thread-safe.
 */
tp_status tp_option_shown(const char *key,
                          const char *value,
                          char **shown_out,
                          tp_error **err);

/**
 * Free a configuration. NULL is ignored. Clients made from it stay valid.
 */
void tp_config_free(tp_config *cfg);

/**
 * A new client for cfg (copied: cfg may be freed right after).
 *
 * On success *out receives a client the caller frees with tp_auth_free. No request is sent.
 * Errors: TP_ERR_INVALID_ARGUMENT when cfg or out is NULL, or an option is inconsistent (e.g.
 * an http:// URL without allow_insecure_http, or to a host that is not loopback);
 * TP_ERR_STORE when the token cache cannot be opened.
 */
tp_status tp_auth_new(const tp_config *cfg,
                      tp_auth **out,
                      tp_error **err);

/**
 * Free a client. NULL is ignored. Tokens and responses it returned stay valid.
 */
void tp_auth_free(tp_auth *auth);

/**
 * The password grant: POST accesstoken with grant_type=password. The token also becomes the
 * client's current token. It is written to the token cache only when it belongs to the
 * configured identity: username is the configured one and the managed grant is password (or
 * the client has none of its own: grant=none without a username). A token for another user
 * stays in this client's memory, and so do its renewals, so that processes sharing the cache
 * are never served another user's token; once its refresh token is refused, the configured
 * grant takes over.
 *
 * On success *out receives a token the caller frees with tp_token_free. Errors:
 * TP_ERR_INVALID_ARGUMENT (a NULL or non-UTF-8 argument), TP_ERR_INVALID_GRANT (wrong
 * username or password), TP_ERR_UNAUTHORIZED (wrong API key or secret, or a client_auth mode
 * the server does not accept), TP_ERR_RATE_LIMITED, TP_ERR_HTTP, TP_ERR_PROTOCOL,
 * TP_ERR_NETWORK, TP_ERR_TIMEOUT. Thread-safe.
 */
tp_status tp_password_grant(tp_auth *auth,
                            const char *username,
                            const char *password,
                            tp_token **out,
                            tp_error **err);

/**
 * The client-credentials grant: POST accesstoken with grant_type=client_credentials. API calls
 * made with such a token need the business_user_id option. The token becomes the current one.
 *
 * On success *out receives a token the caller frees with tp_token_free. Errors as
 * tp_password_grant. Thread-safe.
 */
tp_status tp_client_credentials_grant(tp_auth *auth,
                                      tp_token **out,
                                      tp_error **err);

/**
 * Exchange an authorization code (from tp_parse_code_redirect) for a token. redirect_uri must
 * be identical to the one given to tp_authorize_url, and https (refused before any request is
 * sent). Never retried. The token becomes the current one.
 *
 * On success *out receives a token the caller frees with tp_token_free. Errors:
 * TP_ERR_INVALID_ARGUMENT (NULL, non-UTF-8, non-https redirect_uri), TP_ERR_INVALID_GRANT
 * (unknown or used code, different redirect_uri), and the network errors of
 * tp_password_grant. Thread-safe.
 */
tp_status tp_authorization_code_grant(tp_auth *auth,
                                      const char *code,
                                      const char *redirect_uri,
                                      tp_token **out,
                                      tp_error **err);

/**
 * Refresh: POST refresh (or accesstoken with refresh_endpoint=accesstoken) with
 * grant_type=refresh_token. refresh_token NULL means the current token's. A response without
 * a refresh token keeps the old one. The token becomes the current one.
 *
 * On success *out receives a token the caller frees with tp_token_free. Errors:
 * TP_ERR_NO_TOKEN (NULL refresh_token and no current refresh token), TP_ERR_INVALID_GRANT
 * (unknown, rotated or revoked refresh token), and those of tp_password_grant. Thread-safe.
 */
tp_status tp_refresh(tp_auth *auth,
                     const char *refresh_token,
                     tp_token **out,
                     tp_error **err);

/**
 * Revoke a refresh token (and the access tokens issued with it): POST revoke with
 * token=REFRESH_TOKEN. refresh_token NULL means the current token's; revoking the current
 * token also forgets it.
 *
 * Errors: TP_ERR_NO_TOKEN (NULL refresh_token and no current refresh token),
 * TP_ERR_UNAUTHORIZED, TP_ERR_HTTP and the network errors. Thread-safe.
 */
tp_status tp_revoke(tp_auth *auth, const char *refresh_token, tp_error **err);

/**
 * The URL of the authorization page to send the browser to:
 * {authorize_url}?client_id=KEY&redirect_uri=...&response_type=...&state=...
 * response_type is "code" (authorization code) or "token" (implicit); state NULL means none
 * (use tp_new_state: it protects the redirect against forgery). No request is sent.
 *
 * On success *url_out receives a string the caller frees with tp_string_free. Errors:
 * TP_ERR_INVALID_ARGUMENT (NULL auth, redirect_uri, response_type or url_out; another
 * response_type; a redirect_uri that is not https). Thread-safe.
 */
tp_status tp_authorize_url(const tp_auth *auth,
                           const char *redirect_uri,
                           const char *response_type,
                           const char *state,
                           char **url_out,
                           tp_error **err);

/**
 * As tp_authorization_code_grant, also sending code_verifier (PKCE, RFC 7636), the verifier of
 * the challenge given to tp_authorize_url_pkce; NULL sends none.
 *
 * Errors as tp_authorization_code_grant; TP_ERR_INVALID_ARGUMENT also for a verifier that is not
 * 43 to 128 characters of A-Z a-z 0-9 - . _ ~; TP_ERR_INVALID_GRANT when the server finds that
 * the verifier does not match. Thread-safe.
 */
tp_status tp_authorization_code_grant_pkce(tp_auth *auth,
                                           const char *code,
                                           const char *redirect_uri,
                                           const char *code_verifier,
                                           tp_token **out,
                                           tp_error **err);

/**
 * As tp_authorize_url, adding code_challenge=...&code_challenge_method=S256 (PKCE, RFC 7636)
 * when code_challenge is not NULL (from tp_new_pkce; response_type "code" only). With the scope
 * option set, tp_authorize_url and this function add scope=....
 *
 * On success *url_out receives a string the caller frees with tp_string_free. Errors as
 * tp_authorize_url; TP_ERR_INVALID_ARGUMENT also for a challenge that is not 43 base64url
 * characters, or a challenge with response_type "token". Thread-safe.
 */
tp_status tp_authorize_url_pkce(const tp_auth *auth,
                                const char *redirect_uri,
                                const char *response_type,
                                const char *state,
                                const char *code_challenge,
                                char **url_out,
                                tp_error **err);

/**
 * The instant, in Unix milliseconds, from which tp_get_token renews t instead of returning it:
 * refresh_leeway_s before its expiry, never earlier than half-way through its lifetime;
 * INT64_MAX for a token without expiry; -1 when auth or t is NULL. A binding may keep its own
 * copy of the token tp_get_token returned and serve it without calling in until then, provided
 * it drops that copy when it invalidates, sets or obtains a token.
 */
int64_t tp_token_renew_at_ms(const tp_auth *auth, const tp_token *t);

/**
 * The headers an API call to url_or_path carries, for HTTP stacks that send the request
 * themselves: tp_prepare_api_call's, for a request that sets none of its own, with renewal
 * allowed. "Authorization: Bearer TOKEN", "apikey: KEY" and, when the business_user_id option is
 * set, "x-business-user-id: ID", one "Name: value" per line, lines separated by "\n" (no trailing
 * newline). The URL must pass tp_check_token_url (checked first: a refused URL gets no token);
 * the token is the managed one (tp_get_token: this call may renew it). method must be an HTTP
 * method token; every method gets the same headers today. Adapters should prefer
 * tp_prepare_api_call, which also gives the URL to send to and keeps a request's own
 * x-business-user-id.
 *
 * On success *headers_out receives a string the caller frees with tp_string_free (it holds the
 * token; tp_string_free wipes it). Errors: TP_ERR_INVALID_ARGUMENT (NULL argument, bad method, a
 * URL that may not see the token), TP_ERR_PROTOCOL (a token unfit for a header), and those of
 * tp_get_token. Thread-safe.
 */
tp_status tp_api_headers(tp_auth *auth,
                         const char *method,
                         const char *url_or_path,
                         char **headers_out,
                         tp_error **err);

/**
 * Everything an HTTP adapter needs for one API call with the managed token: the URL to send it
 * to and the headers to set.
 *
 * url_or_path is a path ("/v1/private/...", joined to api_base_url) or an absolute http(s) URL,
 * which must pass tp_check_token_url (checked first: a refused URL gets no token). Refused with
 * TP_ERR_INVALID_ARGUMENT as naming another host to some reader: a scheme without "//"
 * ("https:host/x", "https:/host/x", "http:HOST:PORT/x"), "//host/x", "/\host/x", "\\host\x", a
 * backslash in a path, any scheme other than http(s). caller_headers names the headers the
 * request already carries, separated by "\n" (NULL: none); flags is 0 or TP_PREPARE_NO_RENEW.
 *
 * On success *url_out receives the URL to send the request to (the joined path, or the absolute
 * URL as it was judged: send this one, not the one given), and *headers_out the lines
 * "Name: value" separated by "\n" (no trailing newline): "Authorization: Bearer TOKEN",
 * "apikey: KEY" and, when the business_user_id option is set and caller_headers does not name
 * x-business-user-id (in any letter case), "x-business-user-id: ID". Set each on the request,
 * replacing its header of that name in any letter case. Both strings are freed with
 * tp_string_free (which wipes the token). With TP_PREPARE_NO_RENEW and no fresh token (absent,
 * invalidated, or due for renewal) the call returns TP_OK with *url_out set and *headers_out
 * NULL: renew through your own cancellable path (tp_get_token), then call this again. Without
 * the flag the token is the managed one (tp_get_token: this call may renew it).
 *
 * On a 401, call tp_invalidate_token with the token sent, then this again, and resend once.
 * Errors: TP_ERR_INVALID_ARGUMENT (NULL auth, method, url_or_path or out parameter; bad method;
 * unknown flags; a refused URL), TP_ERR_PROTOCOL (a token unfit for a header), and those of
 * tp_get_token. Thread-safe.
 */
tp_status tp_prepare_api_call(tp_auth *auth,
                              const char *method,
                              const char *url_or_path,
                              const char *caller_headers,
                              uint32_t flags,
                              char **url_out,
                              char **headers_out,
                              tp_error **err);

/**
 * Whether a request's own header named name (in any letter case) is kept rather than replaced by
 * tp_prepare_api_call's line of that name: the merge rule as data, for an adapter that keeps the
 * header lines of one token and sets them on many requests without calling in (Go's Transport).
 * Such an adapter asks tp_prepare_api_call with caller_headers NULL (every line); then, for each
 * line, when this is true and the request carries that header with a value, it keeps the
 * request's and leaves the line out; otherwise the line replaces the request's header of that
 * name. tp_prepare_api_call applies the same rule to the caller_headers it is given. True for
 * "x-business-user-id" only today; false when name is NULL or not UTF-8.
 */
bool tp_caller_header_kept(const char *name);

/**
 * The managed token: the current token while it is valid (no I/O, no waiting), else one
 * refresh or grant (option grant) made for all concurrent callers at once, and, with
 * token_cache, for all processes sharing the cache.
 *
 * On success *out receives a token the caller frees with tp_token_free. The cached path hands
 * out the client's own token, not a copy: calls that get the same token may get the same
 * pointer, and each call's pointer is still freed once (every call takes a reference of its
 * own). Errors: TP_ERR_NO_TOKEN (no current token and grant=none, or no username/password for the password
 * grant), TP_ERR_STORE (the token cache cannot be used: unreadable, unwritable, or a file or
 * folder another user could have planted or written, left untouched; the message says which and
 * how to fix it), TP_ERR_TIMEOUT (another process held the token cache's lock longer than the
 * shorter of timeout_ms and cache_lock_ttl_ms; no token was requested), and those of the grants.
 * Thread-safe.
 */
tp_status tp_get_token(tp_auth *auth,
                       tp_token **out,
                       tp_error **err);

/**
 * Report that the API refused access_token (HTTP 401): the client drops its current token
 * only if it is still that one, so N concurrent 401s cause one renewal. No request is sent.
 *
 * Errors: TP_ERR_INVALID_ARGUMENT (NULL or non-UTF-8 argument), TP_ERR_STORE. Thread-safe.
 */
tp_status tp_invalidate_token(tp_auth *auth,
                              const char *access_token,
                              tp_error **err);

/**
 * Make token the client's current token (and write it to the token cache), e.g. one read with
 * tp_token_from_json or tp_parse_implicit_redirect. token stays owned by the caller.
 *
 * Errors: TP_ERR_INVALID_ARGUMENT (NULL argument), TP_ERR_STORE. Thread-safe.
 */
tp_status tp_set_token(tp_auth *auth,
                       const tp_token *token,
                       tp_error **err);

/**
 * Whether the token may be sent to url: the rule tp_request applies, for HTTP adapters that
 * attach the token themselves (the Go Transport, the Python requests/httpx auth). TP_OK for a
 * path ("/v1/...", joined to api_base_url) and for an absolute URL whose scheme is allowed
 * (https; http only to a loopback host with allow_insecure_http=true) and whose host and port
 * are on the allow-list:
 *   - the api_base_url host and port;
 *   - Trustpilot's API hosts on https port 443: api.trustpilot.com and
 *     invitations-api.trustpilot.com;
 *   - the entries of the token_hosts option ("host" for the scheme's default port, or
 *     "host:port", comma-separated).
 *
 * Hosts are compared whole (no "same site" or suffix rule) and URLs that two parsers could read
 * differently (a backslash, an IP written in hex) are refused, as is every reference some reader
 * takes for another host: a scheme without "//" ("https:host/x", "http:HOST:PORT/x"), "//host/x",
 * "/\host/x", a backslash in a path, a scheme other than http(s). No request is sent.
 *
 * Errors: TP_ERR_INVALID_ARGUMENT when auth or url is NULL or not UTF-8, or the host may not
 * receive the token (the message names the host and the token_hosts option). Thread-safe.
 */
tp_status tp_check_token_url(const tp_auth *auth,
                             const char *url,
                             tp_error **err);

/**
 * An API call with the managed token: sends Authorization: Bearer TOKEN, apikey: KEY and, when
 * the business_user_id option is set, x-business-user-id. url_or_path is a path joined to
 * api_base_url ("/v1/private/...") or an absolute URL. body and content_type may be NULL
 * (none). On a 401 the token is invalidated, renewed and the call retried once. An absolute URL
 * must pass tp_check_token_url (else TP_ERR_INVALID_ARGUMENT, nothing sent).
 *
 * Any HTTP answer, 4xx and 5xx included, is a success: *out receives a response the caller
 * frees with tp_response_free (check tp_response_status); an error answer larger than
 * max_response_bytes is cut to it. Errors: TP_ERR_INVALID_ARGUMENT, the errors of
 * tp_get_token, TP_ERR_NETWORK, TP_ERR_TIMEOUT, TP_ERR_PROTOCOL (a 2xx body larger than
 * max_response_bytes). Thread-safe.
 */
tp_status tp_request(tp_auth *auth,
                     const char *method,
                     const char *url_or_path,
                     const char *body,
                     const char *content_type,
                     tp_response **out,
                     tp_error **err);

/**
 * As tp_request, with a body of body_len bytes that may contain NUL (binary uploads). body
 * may be NULL only when body_len is 0 (then no body is sent).
 */
tp_status tp_request_bytes(tp_auth *auth,
                           const char *method,
                           const char *url_or_path,
                           const uint8_t *body,
                           size_t body_len,
                           const char *content_type,
                           tp_response **out,
                           tp_error **err);

/**
 * The API key this client sends (the apikey header and the OAuth client_id; not a secret).
 *
 * On success *key_out receives a string the caller frees with tp_string_free. Errors:
 * TP_ERR_INVALID_ARGUMENT when auth or key_out is NULL.
 */
tp_status tp_auth_api_key(const tp_auth *auth, char **key_out, tp_error **err);

/**
 * The business_user_id option this client sends as x-business-user-id.
 *
 * On success *id_out receives a string the caller frees with tp_string_free, or NULL when the
 * option is not set. Errors: TP_ERR_INVALID_ARGUMENT when auth or id_out is NULL.
 */
tp_status tp_auth_business_user_id(const tp_auth *auth,
                                   char **id_out,
                                   tp_error **err);

/**
 * The authorization code from a code-flow redirect (https://app/cb?code=...&state=...). With
 * expected_state (NULL: not checked), the redirect's state must equal it. No request is sent.
 *
 * On success *code_out receives a string the caller frees with tp_string_free. Errors:
 * TP_ERR_STATE_MISMATCH (a different or missing state), TP_ERR_ACCESS_DENIED (error=... in the
 * redirect: the user declined; see tp_error_oauth_code; the message repeats error and
 * error_description without control characters, cut to 64 and 200 characters),
 * TP_ERR_INVALID_ARGUMENT (NULL argument, no code, OAuth parameters in the fragment, malformed
 * URL, a %00 anywhere in a name or value, or code, state, access_token, error or another OAuth
 * parameter given twice: a redirect with two states or two codes may be forged, and no copy is
 * chosen, so the state is never compared and the status is not TP_ERR_STATE_MISMATCH).
 */
tp_status tp_parse_code_redirect(const char *redirect_url,
                                 const char *expected_state,
                                 char **code_out,
                                 tp_error **err);

/**
 * The token from an implicit-flow redirect
 * (https://app/cb#access_token=...&token_type=bearer&expires_in=...&state=...). With
 * expected_state (NULL: not checked), the redirect's state must equal it. No request is sent;
 * the token does not become the current one (see tp_set_token).
 *
 * On success *out receives a token the caller frees with tp_token_free. Errors as
 * tp_parse_code_redirect (TP_ERR_INVALID_ARGUMENT also for OAuth parameters in the query or a
 * bad expires_in).
 */
tp_status tp_parse_implicit_redirect(const char *redirect_url,
                                     const char *expected_state,
                                     tp_token **out,
                                     tp_error **err);

/**
 * The access token (a secret: never log it). Borrowed from t: valid until tp_token_free(t).
 * NULL when t is NULL.
 */
const char *tp_token_access_token(const tp_token *t);

/**
 * The refresh token (a secret), or NULL when the server sent none (client credentials,
 * implicit). Borrowed from t: valid until tp_token_free(t).
 */
const char *tp_token_refresh_token(const tp_token *t);

/**
 * token_type as the server sent it (Trustpilot: "BearerToken"), or NULL when none. Borrowed
 * from t: valid until tp_token_free(t).
 */
const char *tp_token_type(const tp_token *t);

/**
 * expires_in as the server sent it, in seconds; -1 when unknown (or t is NULL).
 */
int64_t tp_token_expires_in(const tp_token *t);

/**
 * When the token expires, in Unix seconds: the local clock when it was received plus
 * expires_in; -1 when unknown (or t is NULL).
 */
int64_t tp_token_expires_at(const tp_token *t);

/**
 * When the token was received, in Unix seconds by the local clock; -1 when t is NULL.
 */
int64_t tp_token_received_at(const tp_token *t);

/**
 * Whether the token expires within leeway_s seconds from now. A token without a known expiry
 * is never expired (the API's 401 tells); a NULL token always is.
 */
bool tp_token_is_expired(const tp_token *t, int64_t leeway_s);

/**
 * The server's token response body, verbatim (contains secrets). For an implicit-grant token,
 * a JSON object of the redirect's parameters. Borrowed from t: valid until tp_token_free(t).
 * NULL when t is NULL.
 */
const char *tp_token_raw_json(const tp_token *t);

/**
 * Serialize the token for persisting (a file, a database), expiry included; read it back with
 * tp_token_from_json. The JSON contains secrets: store it like a password.
 *
 * On success *json_out receives a string the caller frees with tp_string_free. Errors:
 * TP_ERR_INVALID_ARGUMENT when t or json_out is NULL.
 */
tp_status tp_token_to_json(const tp_token *t, char **json_out, tp_error **err);

/**
 * A token from what tp_token_to_json wrote, or from a plain token response (an object with
 * access_token, taken as received now).
 *
 * On success *out receives a token the caller frees with tp_token_free. Errors:
 * TP_ERR_INVALID_ARGUMENT when json or out is NULL, or json is not such a document.
 */
tp_status tp_token_from_json(const char *json, tp_token **out, tp_error **err);

/**
 * A token from its fields, for a caller that keeps tokens in its own shape and hands one back
 * (tp_set_token). refresh_token, token_type and raw_json may be NULL (none / unknown);
 * expires_in is in seconds, -1 when unknown; received_at_ms is when the token was received, in
 * Unix milliseconds (-1: now), so that tp_token_expires_at is received_at_ms / 1000 +
 * expires_in. raw_json, the server's response (a JSON object), is kept verbatim when it
 * already says what the fields say; otherwise the fields are written over it.
 *
 * On success *out receives a token the caller frees with tp_token_free. Errors:
 * TP_ERR_INVALID_ARGUMENT when access_token or out is NULL, access_token is empty, a string is
 * not UTF-8, expires_in or received_at_ms is out of range, or raw_json is not a JSON object.
 */
tp_status tp_token_new(const char *access_token,
                       const char *refresh_token,
                       const char *token_type,
                       int64_t expires_in,
                       int64_t received_at_ms,
                       const char *raw_json,
                       tp_token **out,
                       tp_error **err);

/**
 * Free a token. NULL is ignored. Its secrets are wiped when the last copy held by the library
 * is dropped.
 */
void tp_token_free(tp_token *t);

/**
 * The HTTP status (200, 404, ...); 0 when r is NULL.
 */
int tp_response_status(const tp_response *r);

/**
 * The body (at most 1 MiB). Its length in bytes goes to *len_out (len_out may be NULL); a NUL
 * byte follows the body, so a text body can be used as a C string (but the body itself may
 * contain NUL: use the length). Borrowed from r: valid until tp_response_free(r). NULL when r
 * is NULL (then *len_out is not written).
 */
const char *tp_response_body(const tp_response *r, size_t *len_out);

/**
 * The first value of the header called name (case-insensitive), or NULL when absent (or r or
 * name is NULL or not UTF-8). Borrowed from r: valid until tp_response_free(r).
 */
const char *tp_response_header(const tp_response *r, const char *name);

/**
 * The number of headers of the response (0 when r is NULL), for tp_response_header_at.
 */
size_t tp_response_header_count(const tp_response *r);

/**
 * The index-th header (0-based, in the order received): its lower-cased name to *name_out and
 * its value to *value_out (either may be NULL), both borrowed from r. Returns false, writing
 * nothing, when r is NULL or index is out of range.
 */
bool tp_response_header_at(const tp_response *r,
                           size_t index,
                           const char **name_out,
                           const char **value_out);

/**
 * Free a response. NULL is ignored.
 */
void tp_response_free(tp_response *r);

/**
 * Install a process-wide log callback that reports renewals, retries and token-cache events
 * (never a secret); cb NULL removes it. The callback may be called from any thread, also
 * concurrently, and must not call back into tpauth; a call already in progress may still
 * complete with the previous callback.
 */
void tp_set_log_callback(tp_log_callback cb, void *user_data);
