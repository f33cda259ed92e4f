using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Tpauth
{
    /// <summary>
    /// A client of Trustpilot's OAuth2 business API: its options, a keep-alive connection pool and
    /// the current token. One <see cref="Auth"/> is meant to be shared by every thread of a process
    /// (all methods are thread-safe); dispose it when done (a finalizer frees it otherwise).
    /// </summary>
    /// <remarks>
    /// Every failure is a <see cref="TpauthException"/> of the subclass matching its
    /// <see cref="Status"/>. Bad input, including null for a required argument, is an
    /// <see cref="InvalidArgumentException"/> (not <see cref="ArgumentNullException"/>), as in the
    /// C ABI and the other bindings, so one <c>catch (TpauthException)</c> handles everything the
    /// library refuses. A disposed object throws <see cref="ObjectDisposedException"/>.
    /// </remarks>
    public sealed class Auth : IDisposable
    {
        /// <summary>The option keys of API.md plus the library's additions, as the C library's
        /// tp_config_set and tp_config_from_env know them (values are strings, as in the C ABI).</summary>
        public static readonly IReadOnlyList<string> OptionKeys = new[]
        {
            "api_base_url", "authorize_url", "username", "password", "grant", "business_user_id",
            "refresh_endpoint", "client_auth", "timeout_ms", "connect_timeout_ms", "refresh_leeway_s",
            "max_retries", "max_retry_wait_ms", "token_cache", "ca_file", "proxy", "user_agent",
            "allow_insecure_http", "max_response_bytes", "cache_lock_ttl_ms", "cache_timeout_ms",
            "allow_loopback_redirect_uri", "token_hosts",
        };

        private readonly Native.AuthHandle _handle;

        /// <summary>
        /// A client with the API key and secret of a Trustpilot application and options keyed as in
        /// API.md (<c>api_base_url</c>, <c>username</c>, <c>password</c>, <c>token_cache</c>, ...).
        /// </summary>
        /// <exception cref="InvalidArgumentException">null or empty key, null secret, an unknown option
        /// key, a null or malformed option value.</exception>
        public Auth(string apiKey, string apiSecret, IEnumerable<KeyValuePair<string, string>>? options = null)
        {
            _handle = Create(apiKey, apiSecret, options, null);
        }

        private Auth(Native.AuthHandle handle) { _handle = handle; }

        /// <summary>A native client; <paramref name="label"/> names where an option came from in errors.</summary>
        private static Native.AuthHandle Create(string apiKey, string apiSecret, IEnumerable<KeyValuePair<string, string>>? options, Func<string, string>? label)
        {
            if (apiKey == null) throw new InvalidArgumentException("apiKey must not be null");
            if (apiSecret == null) throw new InvalidArgumentException("apiSecret must not be null");
            int st = Native.tp_config_new(Native.Utf8(apiKey, "apiKey"), Native.Utf8(apiSecret, "apiSecret"), out Native.ConfigHandle cfg, out Native.ErrorHandle err);
            cfg.Track();
            using (cfg)
            {
                Native.Check(st, err);
                if (options != null)
                {
                    foreach (var kv in options)
                    {
                        if (kv.Key == null) throw new InvalidArgumentException("option key must not be null");
                        if (kv.Value == null) throw new InvalidArgumentException("option " + kv.Key + ": value must not be null");
                        try
                        {
                            st = Native.tp_config_set(cfg, Native.Utf8(kv.Key, "option key"), Native.Utf8(kv.Value, "option " + kv.Key), out err);
                            Native.Check(st, err);
                        }
                        catch (TpauthException e) when (label != null)
                        {
                            throw TpauthException.Create(e.Status, label(kv.Key) + ": " + e.Message);
                        }
                    }
                }
                return NewAuth(cfg);
            }
        }

        private static Native.AuthHandle NewAuth(Native.ConfigHandle cfg)
        {
            int st = Native.tp_auth_new(cfg, out Native.AuthHandle handle, out Native.ErrorHandle err);
            handle.Track();
            if (st != 0) handle.Dispose();
            Native.Check(st, err);
            return handle;
        }

        /// <summary>
        /// A client configured from the environment: <c>TRUSTPILOT_API_KEY</c>,
        /// <c>TRUSTPILOT_API_SECRET</c>, <c>TRUSTPILOT_USERNAME</c>, <c>TRUSTPILOT_PASSWORD</c>,
        /// <c>TRUSTPILOT_API_HOST</c> (the api_base_url; a bare host name means https) and
        /// <c>TRUSTPILOT_&lt;KEY&gt;</c> for every other option key. Variables are read through
        /// <see cref="Environment.GetEnvironmentVariable(string)"/>, so values set in-process count.
        /// </summary>
        /// <exception cref="InvalidArgumentException">the key or secret is missing, or a value is malformed.</exception>
        public static Auth FromEnv()
        {
            string? key = Env("TRUSTPILOT_API_KEY");
            if (key == null) throw new InvalidArgumentException("environment: TRUSTPILOT_API_KEY is not set");
            string? secret = Env("TRUSTPILOT_API_SECRET");
            if (secret == null) throw new InvalidArgumentException("environment: TRUSTPILOT_API_SECRET is not set");
            var options = new List<KeyValuePair<string, string>>();
            var vars = new Dictionary<string, string>();
            foreach (var option in OptionKeys)
            {
                string var = option == "api_base_url" ? "TRUSTPILOT_API_HOST" : "TRUSTPILOT_" + option.ToUpperInvariant();
                string? value = Env(var);
                if (value == null) continue;
                if (option == "api_base_url" && value.IndexOf("://", StringComparison.Ordinal) < 0) value = "https://" + value;
                options.Add(new KeyValuePair<string, string>(option, value));
                vars[option] = var;
            }
            return new Auth(Create(key, secret, options, k => "environment variable " + vars[k]));
        }

        private static string? Env(string name)
        {
            string? v = Environment.GetEnvironmentVariable(name);
            return string.IsNullOrEmpty(v) ? null : v;
        }

        private Native.AuthHandle Live
        {
            get
            {
                if (_handle.IsClosed) throw new ObjectDisposedException(nameof(Auth));
                return _handle;
            }
        }

        private static Token TokenOf(int st, Native.TokenHandle handle, Native.ErrorHandle err)
        {
            if (st != 0) handle.Dispose();
            Native.Check(st, err);
            return new Token(handle);
        }

        private static string StringOf(int st, IntPtr s, Native.ErrorHandle err)
        {
            Native.Check(st, err);
            return Native.TakeString(s) ?? string.Empty;
        }

        private static string Required(string? value, string argument)
        {
            if (value == null) throw new InvalidArgumentException(argument + " must not be null");
            return value;
        }

        // ---- grants -------------------------------------------------------------------------------

        /// <summary>The password grant; the token also becomes the client's current token.</summary>
        /// <exception cref="InvalidGrantException">wrong username or password.</exception>
        /// <exception cref="UnauthorizedException">wrong API key or secret.</exception>
        public Token PasswordGrant(string username, string password)
        {
            Required(username, "username");
            Required(password, "password");
            int st = Native.tp_password_grant(Live, Native.Utf8(username, "username"), Native.Utf8(password, "password"), out Native.TokenHandle t, out Native.ErrorHandle err);
            return TokenOf(st, t, err);
        }

        /// <summary>The client credentials grant (API calls then need option business_user_id).</summary>
        public Token ClientCredentialsGrant()
        {
            int st = Native.tp_client_credentials_grant(Live, out Native.TokenHandle t, out Native.ErrorHandle err);
            return TokenOf(st, t, err);
        }

        /// <summary>Exchange an authorization code; <paramref name="redirectUri"/> must be the one of <see cref="AuthorizeUrl"/>.</summary>
        /// <exception cref="InvalidGrantException">unknown or used code, or another redirect_uri.</exception>
        public Token AuthorizationCodeGrant(string code, string redirectUri)
        {
            Required(code, "code");
            Required(redirectUri, "redirectUri");
            int st = Native.tp_authorization_code_grant(Live, Native.Utf8(code, "code"), Native.Utf8(redirectUri, "redirectUri"), out Native.TokenHandle t, out Native.ErrorHandle err);
            return TokenOf(st, t, err);
        }

        /// <summary>Refresh <paramref name="refreshToken"/> (null: the current token's refresh token).</summary>
        /// <exception cref="NoTokenException">null and there is no current refresh token.</exception>
        /// <exception cref="InvalidGrantException">the refresh token was revoked or rotated.</exception>
        public Token Refresh(string? refreshToken = null)
        {
            int st = Native.tp_refresh(Live, Native.Utf8(refreshToken, "refreshToken"), out Native.TokenHandle t, out Native.ErrorHandle err);
            return TokenOf(st, t, err);
        }

        /// <summary>Revoke <paramref name="refreshToken"/> (null: the current token's) and its access tokens.</summary>
        /// <exception cref="NoTokenException">null and there is no current refresh token.</exception>
        public void Revoke(string? refreshToken = null)
        {
            int st = Native.tp_revoke(Live, Native.Utf8(refreshToken, "refreshToken"), out Native.ErrorHandle err);
            Native.Check(st, err);
        }

        // ---- managed token ------------------------------------------------------------------------

        /// <summary>
        /// The current token while it is valid (no I/O), else one refresh or grant shared by every
        /// concurrent caller.
        /// </summary>
        /// <exception cref="NoTokenException">no token and no grant configured (grant=none, or no credentials).</exception>
        public Token GetToken()
        {
            int st = Native.tp_get_token(Live, out Native.TokenHandle t, out Native.ErrorHandle err);
            return TokenOf(st, t, err);
        }

        /// <summary>
        /// Drop the current token if it is still <paramref name="accessToken"/> (the one the API
        /// refused with 401), so that the next <see cref="GetToken"/> renews it once for all callers.
        /// </summary>
        public void InvalidateToken(string accessToken)
        {
            Required(accessToken, "accessToken");
            int st = Native.tp_invalidate_token(Live, Native.Utf8(accessToken, "accessToken"), out Native.ErrorHandle err);
            Native.Check(st, err);
        }

        /// <summary>As <see cref="InvalidateToken(string)"/> with the token's access token.</summary>
        public void InvalidateToken(Token token)
        {
            if (token == null) throw new InvalidArgumentException("token must not be null");
            InvalidateToken(token.AccessToken);
        }

        /// <summary>Make <paramref name="token"/> the current token (e.g. one restored with <see cref="Token.FromJson"/>).</summary>
        public void SetToken(Token token)
        {
            if (token == null) throw new InvalidArgumentException("token must not be null");
            if (token.Handle.IsClosed) throw new ObjectDisposedException(nameof(Token));
            int st = Native.tp_set_token(Live, token.Handle, out Native.ErrorHandle err);
            Native.Check(st, err);
        }

        // ---- browser flows ------------------------------------------------------------------------

        /// <summary>
        /// The authorize page URL to send the user's browser to: <paramref name="responseType"/> is
        /// "code" (then <see cref="ParseCodeRedirect"/> + <see cref="AuthorizationCodeGrant"/>) or
        /// "token" (then <see cref="ParseImplicitRedirect"/>); <paramref name="state"/> null means none
        /// (pass <see cref="NewState"/>'s value and check it on the way back).
        /// </summary>
        /// <exception cref="InvalidArgumentException">a non-https redirect_uri, an unknown response type.</exception>
        public string AuthorizeUrl(string redirectUri, string responseType = "code", string? state = null)
        {
            Required(redirectUri, "redirectUri");
            Required(responseType, "responseType");
            int st = Native.tp_authorize_url(Live, Native.Utf8(redirectUri, "redirectUri"), Native.Utf8(responseType, "responseType"), Native.Utf8(state, "state"), out IntPtr url, out Native.ErrorHandle err);
            return StringOf(st, url, err);
        }

        /// <summary>A new random state value (128 bits, URL-safe).</summary>
        public static string NewState() => Native.TakeString(Native.tp_new_state()) ?? throw new InternalException("tp_new_state returned NULL");

        /// <summary>The code of an authorization-code redirect, after checking its state (null: not checked).</summary>
        /// <exception cref="StateMismatchException">the state differs.</exception>
        /// <exception cref="AccessDeniedException">the user declined (error=access_denied).</exception>
        /// <exception cref="InvalidArgumentException">no code, a malformed URL.</exception>
        public static string ParseCodeRedirect(string redirectUrl, string? expectedState = null)
        {
            Required(redirectUrl, "redirectUrl");
            int st = Native.tp_parse_code_redirect(Native.Utf8(redirectUrl, "redirectUrl"), Native.Utf8(expectedState, "expectedState"), out IntPtr code, out Native.ErrorHandle err);
            return StringOf(st, code, err);
        }

        /// <summary>The token in an implicit redirect's fragment, after checking its state (null: not checked).</summary>
        public static Token ParseImplicitRedirect(string redirectUrl, string? expectedState = null)
        {
            Required(redirectUrl, "redirectUrl");
            int st = Native.tp_parse_implicit_redirect(Native.Utf8(redirectUrl, "redirectUrl"), Native.Utf8(expectedState, "expectedState"), out Native.TokenHandle t, out Native.ErrorHandle err);
            return TokenOf(st, t, err);
        }

        // ---- API calls ----------------------------------------------------------------------------

        /// <summary>
        /// An API call with the managed token (Bearer + apikey, + x-business-user-id when set); on 401
        /// the token is renewed and the call retried once. A path is joined to api_base_url. Any HTTP
        /// status comes back as a <see cref="Response"/>; only failing to get one throws.
        /// </summary>
        public Response Request(string method, string urlOrPath, string? body = null, string? contentType = null)
        {
            Required(method, "method");
            Required(urlOrPath, "urlOrPath");
            int st = Native.tp_request(Live, Native.Utf8(method, "method"), Native.Utf8(urlOrPath, "urlOrPath"), Native.Utf8(body, "body"), Native.Utf8(contentType, "contentType"), out Native.ResponseHandle r, out Native.ErrorHandle err);
            if (st != 0) r.Dispose();
            Native.Check(st, err);
            return new Response(r);
        }

        /// <summary>
        /// As <see cref="Request"/> with a binary body (which may contain NUL bytes); null or empty
        /// sends no body.
        /// </summary>
        public Response RequestBytes(string method, string urlOrPath, byte[]? body, string? contentType = null)
        {
            Required(method, "method");
            Required(urlOrPath, "urlOrPath");
            int len = body == null ? 0 : body.Length;
            int st = Native.tp_request_bytes(Live, Native.Utf8(method, "method"), Native.Utf8(urlOrPath, "urlOrPath"), len == 0 ? null : body, (UIntPtr)len, Native.Utf8(contentType, "contentType"), out Native.ResponseHandle r, out Native.ErrorHandle err);
            if (st != 0) r.Dispose();
            Native.Check(st, err);
            return new Response(r);
        }

        // ---- async variants (the blocking call on the thread pool) --------------------------------

        /// <summary><see cref="PasswordGrant"/> on the thread pool.</summary>
        public Task<Token> PasswordGrantAsync(string username, string password, CancellationToken cancellationToken = default(CancellationToken))
            => Task.Run(() => PasswordGrant(username, password), cancellationToken);

        /// <summary><see cref="ClientCredentialsGrant"/> on the thread pool.</summary>
        public Task<Token> ClientCredentialsGrantAsync(CancellationToken cancellationToken = default(CancellationToken))
            => Task.Run(() => ClientCredentialsGrant(), cancellationToken);

        /// <summary><see cref="AuthorizationCodeGrant"/> on the thread pool.</summary>
        public Task<Token> AuthorizationCodeGrantAsync(string code, string redirectUri, CancellationToken cancellationToken = default(CancellationToken))
            => Task.Run(() => AuthorizationCodeGrant(code, redirectUri), cancellationToken);

        /// <summary><see cref="Refresh"/> on the thread pool.</summary>
        public Task<Token> RefreshAsync(string? refreshToken = null, CancellationToken cancellationToken = default(CancellationToken))
            => Task.Run(() => Refresh(refreshToken), cancellationToken);

        /// <summary><see cref="Revoke"/> on the thread pool.</summary>
        public Task RevokeAsync(string? refreshToken = null, CancellationToken cancellationToken = default(CancellationToken))
            => Task.Run(() => Revoke(refreshToken), cancellationToken);

        /// <summary><see cref="GetToken"/> on the thread pool.</summary>
        public Task<Token> GetTokenAsync(CancellationToken cancellationToken = default(CancellationToken))
            => Task.Run(() => GetToken(), cancellationToken);

        /// <summary><see cref="InvalidateToken(string)"/> on the thread pool (it may write the token cache).</summary>
        public Task InvalidateTokenAsync(string accessToken, CancellationToken cancellationToken = default(CancellationToken))
            => Task.Run(() => InvalidateToken(accessToken), cancellationToken);

        /// <summary><see cref="SetToken"/> on the thread pool (it may write the token cache).</summary>
        public Task SetTokenAsync(Token token, CancellationToken cancellationToken = default(CancellationToken))
            => Task.Run(() => SetToken(token), cancellationToken);

        /// <summary><see cref="Request"/> on the thread pool.</summary>
        public Task<Response> RequestAsync(string method, string urlOrPath, string? body = null, string? contentType = null, CancellationToken cancellationToken = default(CancellationToken))
            => Task.Run(() => Request(method, urlOrPath, body, contentType), cancellationToken);

        /// <summary><see cref="RequestBytes"/> on the thread pool.</summary>
        public Task<Response> RequestBytesAsync(string method, string urlOrPath, byte[]? body, string? contentType = null, CancellationToken cancellationToken = default(CancellationToken))
            => Task.Run(() => RequestBytes(method, urlOrPath, body, contentType), cancellationToken);

        // ---- library ------------------------------------------------------------------------------

        /// <summary>The native library's version, "MAJOR.MINOR.PATCH".</summary>
        public static string Version => Native.CopyString(Native.tp_version()) ?? string.Empty;

        private static readonly object LogLock = new object();
        private static Native.LogCallback? _logTrampoline; // kept alive while installed
        private static Action<LogLevel, string>? _logHandler;

        /// <summary>
        /// Install (or with null, remove) the process-wide log handler: renewals, retries and cache
        /// events, never a secret. It is called from whichever thread the event happens on; an
        /// exception it throws is swallowed.
        /// </summary>
        public static void SetLogCallback(Action<LogLevel, string>? handler)
        {
            lock (LogLock)
            {
                if (handler == null)
                {
                    Native.tp_set_log_callback(null, IntPtr.Zero);
                    _logHandler = null;
                    return;
                }
                _logHandler = handler;
                if (_logTrampoline == null) _logTrampoline = OnLog;
                Native.tp_set_log_callback(_logTrampoline, IntPtr.Zero);
            }
        }

        private static void OnLog(int level, IntPtr message, IntPtr userData)
        {
            try
            {
                var h = _logHandler;
                if (h != null) h((LogLevel)level, Native.CopyString(message) ?? string.Empty);
            }
            catch
            {
                // Never let an exception unwind into native code.
            }
        }

        /// <summary>Free the native client now (calls in progress on other threads finish first).</summary>
        public void Dispose() => _handle.Dispose();

        /// <summary>No option values (they may be secrets).</summary>
        public override string ToString() => _handle.IsClosed ? "Tpauth.Auth(disposed)" : "Tpauth.Auth";
    }
}
