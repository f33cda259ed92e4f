using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
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
        /// <summary>Every option key, as the C library lists
        /// them (tp_option_name): tp_config_set accepts exactly these (values are strings, as in the C ABI).</summary>
        public static readonly IReadOnlyList<string> OptionKeys = LoadOptionKeys();

        private static IReadOnlyList<string> LoadOptionKeys()
        {
            int n = checked((int)Native.tp_option_count());
            var keys = new string[n];
            for (int i = 0; i < n; i++) keys[i] = Native.CopyString(Native.tp_option_name((UIntPtr)i)) ?? "";
            return keys;
        }

        private readonly Native.AuthHandle _handle;

        /// <summary>
        /// A client with the API key and secret of a Trustpilot application and options keyed as
        /// <see cref="OptionKeys"/> lists them (<c>api_base_url</c>, <c>username</c>, <c>password</c>, <c>token_cache</c>, ...).
        /// </summary>
        /// <exception cref="InvalidArgumentException">null or empty key, null secret, an unknown option
        /// key, a null or malformed option value.</exception>
        public Auth(string apiKey, string apiSecret, IEnumerable<KeyValuePair<string, string>>? options = null)
        {
            _handle = Create(apiKey, apiSecret, options);
        }

        private Auth(Native.AuthHandle handle) { _handle = handle; }

        /// <summary>A native client.</summary>
        private static Native.AuthHandle Create(string apiKey, string apiSecret, IEnumerable<KeyValuePair<string, string>>? options)
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
                        st = Native.tp_config_set(cfg, Native.Utf8(kv.Key, "option key"), Native.Utf8(kv.Value, "option " + kv.Key), out err);
                        Native.Check(st, err);
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
        /// <c>TRUSTPILOT_&lt;KEY&gt;</c> for every other option key, as the C library's
        /// tp_config_from_env names them. Variables are read through
        /// <see cref="Environment.GetEnvironmentVariable(string)"/> (tp_config_from_lookup), so values
        /// set in-process count.
        /// </summary>
        /// <exception cref="InvalidArgumentException">the key or secret is missing, or a value is malformed.</exception>
        public static Auth FromEnv()
        {
            // The values handed to C stay alive until tp_config_from_lookup returns, then are wiped
            // (they include the API secret) and freed.
            var held = new List<KeyValuePair<IntPtr, int>>();
            Native.LookupCallback lookup = (namePtr, userData) =>
            {
                try
                {
                    string? name = Native.CopyString(namePtr);
                    string? v = name == null ? null : Environment.GetEnvironmentVariable(name);
                    if (v == null || v.Length == 0 || v.IndexOf('\0') >= 0) return IntPtr.Zero;
                    byte[] bytes = Native.Utf8(v, "environment variable") ?? new byte[1];
                    IntPtr p = Marshal.AllocHGlobal(bytes.Length);
                    Marshal.Copy(bytes, 0, p, bytes.Length);
                    Array.Clear(bytes, 0, bytes.Length);
                    held.Add(new KeyValuePair<IntPtr, int>(p, bytes.Length));
                    return p;
                }
                catch (Exception)
                {
                    return IntPtr.Zero; // an exception must not unwind into C
                }
            };
            try
            {
                int st = Native.tp_config_from_lookup(lookup, IntPtr.Zero, out Native.ConfigHandle cfg, out Native.ErrorHandle err);
                cfg.Track();
                using (cfg)
                {
                    Native.Check(st, err);
                    return new Auth(NewAuth(cfg));
                }
            }
            finally
            {
                GC.KeepAlive(lookup);
                foreach (var kv in held)
                {
                    for (int i = 0; i < kv.Value; i++) Marshal.WriteByte(kv.Key, i, 0);
                    Marshal.FreeHGlobal(kv.Key);
                }
            }
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

        /// <summary>Exchange an authorization code; <paramref name="redirectUri"/> must be the one of <see cref="AuthorizeUrl(string, string, string)"/>.</summary>
        /// <exception cref="InvalidGrantException">unknown or used code, or another redirect_uri.</exception>
        public Token AuthorizationCodeGrant(string code, string redirectUri)
        {
            Required(code, "code");
            Required(redirectUri, "redirectUri");
            int st = Native.tp_authorization_code_grant(Live, Native.Utf8(code, "code"), Native.Utf8(redirectUri, "redirectUri"), out Native.TokenHandle t, out Native.ErrorHandle err);
            return TokenOf(st, t, err);
        }

        /// <summary>
        /// As <see cref="AuthorizationCodeGrant(string, string)"/>, also sending the PKCE
        /// <paramref name="codeVerifier"/> (from <see cref="NewPkce"/>; null: none) whose challenge
        /// went into <see cref="AuthorizeUrl(string, string, string, string)"/>.
        /// </summary>
        /// <exception cref="InvalidGrantException">the verifier does not match the challenge.</exception>
        public Token AuthorizationCodeGrant(string code, string redirectUri, string? codeVerifier)
        {
            Required(code, "code");
            Required(redirectUri, "redirectUri");
            int st = Native.tp_authorization_code_grant_pkce(Live, Native.Utf8(code, "code"), Native.Utf8(redirectUri, "redirectUri"), Native.Utf8(codeVerifier, "codeVerifier"), out Native.TokenHandle t, out Native.ErrorHandle err);
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
        /// <see cref="GetToken()"/>, giving up when <paramref name="cancellationToken"/> is cancelled:
        /// a thread waiting for another thread's renewal gets <see cref="OperationCanceledException"/>
        /// at once, while the renewal goes on for the others.
        /// </summary>
        public Token GetToken(CancellationToken cancellationToken) => Blocking(GetToken, cancellationToken);

        /// <summary><see cref="Request(string, string, string, string)"/>, giving up when <paramref name="cancellationToken"/> is
        /// cancelled (the native call completes in the background; its effect on the token stays).</summary>
        public Response Request(string method, string urlOrPath, string? body, string? contentType, CancellationToken cancellationToken)
            => Blocking(() => Request(method, urlOrPath, body, contentType), cancellationToken);

        /// <summary>Runs a native call on the calling thread, or, when the token can be cancelled, on
        /// the pool while the caller waits cancellably.</summary>
        private static T Blocking<T>(Func<T> call, CancellationToken cancellationToken)
        {
            if (!cancellationToken.CanBeCanceled) return call();
            cancellationToken.ThrowIfCancellationRequested();
            var task = Task.Run(call);
            try
            {
                task.Wait(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Abandon(task);
                throw;
            }
            catch (AggregateException e) when (e.InnerExceptions.Count == 1)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            }
            return task.Result;
        }

        /// <summary>
        /// A native call on the thread pool whose task ends when the call does or, at once, when
        /// <paramref name="cancellationToken"/> is cancelled (the call itself cannot be interrupted:
        /// it completes in the background). netstandard2.0 and Mono offer no way to wait for a native
        /// call without a thread, so a pool thread is held for the native call alone.
        /// </summary>
        private static Task<T> RunAsync<T>(Func<T> call, CancellationToken cancellationToken)
        {
            if (cancellationToken.IsCancellationRequested) return Task.FromCanceled<T>(cancellationToken);
            var task = Task.Run(call);
            if (!cancellationToken.CanBeCanceled) return task;
            var tcs = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
            var registration = cancellationToken.Register(() => { if (tcs.TrySetCanceled(cancellationToken)) Abandon(task); });
            task.ContinueWith(t =>
            {
                registration.Dispose();
                if (t.IsFaulted) tcs.TrySetException(t.Exception.InnerExceptions);
                else if (t.IsCanceled) tcs.TrySetCanceled();
                else tcs.TrySetResult(t.Result);
            }, TaskScheduler.Default);
            return tcs.Task;
        }

        private static Task RunAsync(Action call, CancellationToken cancellationToken)
            => RunAsync<bool>(() => { call(); return true; }, cancellationToken);

        /// <summary>A call nobody waits for any more: observe its failure, dispose its result.</summary>
        private static void Abandon<T>(Task<T> task)
        {
            task.ContinueWith(t =>
            {
                if (t.IsFaulted) { var ignored = t.Exception; }
                else if (t.Status == TaskStatus.RanToCompletion && t.Result is IDisposable d) d.Dispose();
            }, TaskScheduler.Default);
        }

        /// <summary>
        /// Drop the current token if it is still <paramref name="accessToken"/> (the one the API
        /// refused with 401), so that the next <see cref="GetToken()"/> renews it once for all callers.
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
        /// "code" (then <see cref="ParseCodeRedirect"/> + <see cref="AuthorizationCodeGrant(string, string)"/>) or
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

        /// <summary>
        /// As <see cref="AuthorizeUrl(string, string, string)"/>, adding the PKCE
        /// <c>code_challenge</c> (from <see cref="NewPkce"/>; null: none) and
        /// <c>code_challenge_method=S256</c>.
        /// </summary>
        public string AuthorizeUrl(string redirectUri, string responseType, string? state, string? codeChallenge)
        {
            Required(redirectUri, "redirectUri");
            Required(responseType, "responseType");
            int st = Native.tp_authorize_url_pkce(Live, Native.Utf8(redirectUri, "redirectUri"), Native.Utf8(responseType, "responseType"), Native.Utf8(state, "state"), Native.Utf8(codeChallenge, "codeChallenge"), out IntPtr url, out Native.ErrorHandle err);
            return StringOf(st, url, err);
        }

        /// <summary>A fresh PKCE pair (RFC 7636, S256): keep <see cref="Pkce.Verifier"/> for the code
        /// exchange, send <see cref="Pkce.Challenge"/> in the authorize URL.</summary>
        public static Pkce NewPkce()
        {
            int st = Native.tp_new_pkce(out IntPtr verifier, out IntPtr challenge, out Native.ErrorHandle err);
            Native.Check(st, err);
            return new Pkce(Native.TakeString(verifier) ?? string.Empty, Native.TakeString(challenge) ?? string.Empty);
        }

        /// <summary>
        /// Throws <see cref="InvalidArgumentException"/> unless the token may be sent to
        /// <paramref name="url"/>: a path, or an absolute URL to the api_base_url host, Trustpilot's
        /// API hosts or a host of the token_hosts option.
        /// </summary>
        public void CheckTokenUrl(string url)
        {
            Required(url, "url");
            int st = Native.tp_check_token_url(Live, Native.Utf8(url, "url"), out Native.ErrorHandle err);
            Native.Check(st, err);
        }

        /// <summary>
        /// The headers an API call to <paramref name="url"/> carries, for HTTP stacks that send the
        /// request themselves (<see cref="TpauthHandler"/>): Authorization (the managed token: this
        /// may renew it), apikey and, when configured, x-business-user-id. A host that may not see
        /// the token throws <see cref="InvalidArgumentException"/> before any token is obtained.
        /// </summary>
        public IReadOnlyList<KeyValuePair<string, string>> ApiHeaders(string method, string url)
        {
            Required(method, "method");
            Required(url, "url");
            int st = Native.tp_api_headers(Live, Native.Utf8(method, "method"), Native.Utf8(url, "url"), out IntPtr headers, out Native.ErrorHandle err);
            return ParseHeaderLines(StringOf(st, headers, err));
        }

        /// <summary>
        /// <see cref="ApiHeaders(string, string)"/> without blocking the caller on a renewal: the
        /// native call runs on the thread pool (it returns without I/O while the token is valid), and
        /// a cancelled <paramref name="cancellationToken"/> ends the wait at once while the renewal
        /// goes on for the other callers.
        /// </summary>
        public Task<IReadOnlyList<KeyValuePair<string, string>>> ApiHeadersAsync(string method, string url, CancellationToken cancellationToken = default(CancellationToken))
            => RunAsync(() => ApiHeaders(method, url), cancellationToken);

        /// <summary>
        /// One API call as the core prepares it for <see cref="TpauthHandler"/>: the URL to send the
        /// request to (the one the core judged), the headers to set (null when <paramref name="renew"/>
        /// is false and the token needs renewing first) and the access token in them.
        /// <paramref name="callerHeaders"/> names the headers the request already carries (a request's
        /// own x-business-user-id is kept). With <paramref name="renew"/> false this never does I/O.
        /// </summary>
        internal PreparedCall PrepareApiCall(string method, string urlOrPath, IEnumerable<string> callerHeaders, bool renew)
        {
            Required(method, "method");
            Required(urlOrPath, "urlOrPath");
            string names = string.Join("\n", callerHeaders);
            int st = Native.tp_prepare_api_call(Live, Native.Utf8(method, "method"), Native.Utf8(urlOrPath, "urlOrPath"), Native.Utf8(names, "callerHeaders"),
                renew ? 0u : Native.TP_PREPARE_NO_RENEW, out IntPtr url, out IntPtr headers, out Native.ErrorHandle err);
            Native.Check(st, err);
            string judged = Native.TakeString(url) ?? string.Empty;
            string? text = Native.TakeString(headers);
            if (text == null) return new PreparedCall(judged, null, string.Empty);
            var list = ParseHeaderLines(text);
            string access = string.Empty;
            foreach (var h in list)
            {
                if (h.Key == "Authorization" && h.Value.StartsWith("Bearer ", StringComparison.Ordinal)) access = h.Value.Substring("Bearer ".Length);
            }
            return new PreparedCall(judged, list, access);
        }

        /// <summary><see cref="PrepareApiCall"/> without blocking: answered at once while the token is
        /// fresh, else the renewal runs on the pool and a cancelled token ends the wait at once.</summary>
        internal Task<PreparedCall> PrepareApiCallAsync(string method, string urlOrPath, IReadOnlyList<string> callerHeaders, CancellationToken cancellationToken)
        {
            var now = PrepareApiCall(method, urlOrPath, callerHeaders, renew: false);
            if (now.Headers != null) return Task.FromResult(now);
            return RunAsync(() => PrepareApiCall(method, urlOrPath, callerHeaders, renew: true), cancellationToken);
        }

        private static List<KeyValuePair<string, string>> ParseHeaderLines(string text)
        {
            var list = new List<KeyValuePair<string, string>>();
            foreach (string line in text.Split('\n'))
            {
                int colon = line.IndexOf(": ", StringComparison.Ordinal);
                if (colon > 0) list.Add(new KeyValuePair<string, string>(line.Substring(0, colon), line.Substring(colon + 2)));
            }
            return list;
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
        /// As <see cref="Request(string, string, string, string)"/> with a binary body (which may contain NUL bytes); null or empty
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

        // ---- async variants (the blocking call on the thread pool; cancelling ends the wait at once) --

        /// <summary><see cref="PasswordGrant"/> on the thread pool.</summary>
        public Task<Token> PasswordGrantAsync(string username, string password, CancellationToken cancellationToken = default(CancellationToken))
            => RunAsync(() => PasswordGrant(username, password), cancellationToken);

        /// <summary><see cref="ClientCredentialsGrant"/> on the thread pool.</summary>
        public Task<Token> ClientCredentialsGrantAsync(CancellationToken cancellationToken = default(CancellationToken))
            => RunAsync(() => ClientCredentialsGrant(), cancellationToken);

        /// <summary><see cref="AuthorizationCodeGrant(string, string)"/> on the thread pool.</summary>
        public Task<Token> AuthorizationCodeGrantAsync(string code, string redirectUri, CancellationToken cancellationToken = default(CancellationToken))
            => RunAsync(() => AuthorizationCodeGrant(code, redirectUri), cancellationToken);

        /// <summary><see cref="Refresh"/> on the thread pool.</summary>
        public Task<Token> RefreshAsync(string? refreshToken = null, CancellationToken cancellationToken = default(CancellationToken))
            => RunAsync(() => Refresh(refreshToken), cancellationToken);

        /// <summary><see cref="Revoke"/> on the thread pool.</summary>
        public Task RevokeAsync(string? refreshToken = null, CancellationToken cancellationToken = default(CancellationToken))
            => RunAsync(() => Revoke(refreshToken), cancellationToken);

        /// <summary><see cref="GetToken()"/> on the thread pool.</summary>
        public Task<Token> GetTokenAsync(CancellationToken cancellationToken = default(CancellationToken))
            => RunAsync(() => GetToken(), cancellationToken);

        /// <summary><see cref="InvalidateToken(string)"/> on the thread pool (it may write the token cache).</summary>
        public Task InvalidateTokenAsync(string accessToken, CancellationToken cancellationToken = default(CancellationToken))
            => RunAsync(() => InvalidateToken(accessToken), cancellationToken);

        /// <summary><see cref="SetToken"/> on the thread pool (it may write the token cache).</summary>
        public Task SetTokenAsync(Token token, CancellationToken cancellationToken = default(CancellationToken))
            => RunAsync(() => SetToken(token), cancellationToken);

        /// <summary><see cref="Request(string, string, string, string)"/> on the thread pool.</summary>
        public Task<Response> RequestAsync(string method, string urlOrPath, string? body = null, string? contentType = null, CancellationToken cancellationToken = default(CancellationToken))
            => RunAsync(() => Request(method, urlOrPath, body, contentType), cancellationToken);

        /// <summary><see cref="RequestBytes"/> on the thread pool.</summary>
        public Task<Response> RequestBytesAsync(string method, string urlOrPath, byte[]? body, string? contentType = null, CancellationToken cancellationToken = default(CancellationToken))
            => RunAsync(() => RequestBytes(method, urlOrPath, body, contentType), cancellationToken);

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

    /// <summary>One API call as the core prepared it (internal to <see cref="TpauthHandler"/>).</summary>
    internal sealed class PreparedCall
    {
        internal PreparedCall(string url, IReadOnlyList<KeyValuePair<string, string>>? headers, string accessToken)
        {
            Url = url;
            Headers = headers;
            AccessToken = accessToken;
        }

        /// <summary>The URL to send the request to: the one the core judged.</summary>
        internal string Url { get; }
        /// <summary>The headers to set, each replacing the request's header of that name; null: renewal needed.</summary>
        internal IReadOnlyList<KeyValuePair<string, string>>? Headers { get; }
        /// <summary>The access token in Authorization.</summary>
        internal string AccessToken { get; }
    }
}
