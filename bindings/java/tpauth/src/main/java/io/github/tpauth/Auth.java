package io.github.tpauth;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.time.Duration;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * A client of Trustpilot's OAuth2 business API: its options, a keep-alive connection pool and the
 * current token. One {@code Auth} is meant to be shared by every thread of a process: every method
 * is thread-safe, and {@link #getToken()} renews an expiring token once for all of them (and, with
 * the {@code token_cache} option, for every process on the host).
 *
 * <pre>{@code
 * try (Auth auth = Auth.builder(apiKey, apiSecret).username(user).password(password).build()) {
 *     ApiResponse r = auth.request("GET", "/v1/private/business-units/" + id + "/reviews");
 * }
 * }</pre>
 *
 * <p>Close it when done; one that is dropped without {@link #close()} is freed once the collector
 * finds it unreachable (a {@code PhantomReference} safety net, which works on Java 8). Every failure
 * is a {@link TpauthException} of the subclass matching its {@link Status}; bad input, null for a
 * required argument included, is an {@link InvalidArgumentException}. A closed {@code Auth} throws
 * {@link IllegalStateException}.
 */
public final class Auth implements AutoCloseable {
    /** Native clients not yet freed (the leak tests read it). */
    static final AtomicLong LIVE = new AtomicLong();

    private final Handle handle;
    private final NativeCleaner.Cleanable cleanable;

    /**
     * The managed token as the core last handed it over, served without a native call until the
     * instant the core would renew it (tp_token_renew_at_ms). Any call that may change the current
     * token (a grant, refresh, revoke, invalidation, setToken, request) drops it first, and a copy
     * taken before such a call is not stored after it ({@link #fastGeneration}).
     */
    private volatile Held fast;
    private final Object fastLock = new Object();
    private long fastGeneration; // guarded by fastLock

    private static final class Held {
        final Token token;
        final long renewAtMs;

        Held(Token token, long renewAtMs) {
            this.token = token;
            this.renewAtMs = renewAtMs;
        }
    }

    private Auth(long ptr) {
        this.handle = new Handle(ptr);
        this.cleanable = NativeCleaner.register(this, handle::close);
    }

    /**
     * The native client. Calls in progress hold it ({@link #acquire()}/{@link #release()}); closing
     * it frees the client at once when none is, else when the last one ends. The state is the count
     * of calls in progress times two, plus one once closed.
     */
    private static final class Handle {
        private final long ptr;
        private final AtomicLong state = new AtomicLong();

        Handle(long ptr) {
            this.ptr = ptr;
            LIVE.incrementAndGet();
        }

        long acquire() {
            for (;;) {
                long s = state.get();
                if ((s & 1) != 0) {
                    throw new IllegalStateException("tpauth: this Auth is closed");
                }
                if (state.compareAndSet(s, s + 2)) {
                    return ptr;
                }
            }
        }

        void release() {
            if (state.addAndGet(-2) == 1) {
                free();
            }
        }

        void close() {
            for (;;) {
                long s = state.get();
                if ((s & 1) != 0) {
                    return;
                }
                if (state.compareAndSet(s, s | 1)) {
                    if (s == 0) {
                        free();
                    }
                    return;
                }
            }
        }

        boolean closed() {
            return (state.get() & 1) != 0;
        }

        private void free() {
            Lib.tp_auth_free(ptr);
            LIVE.decrementAndGet();
        }
    }

    // ---- construction ---------------------------------------------------------------------------

    /**
     * A builder for a client with the API key and secret of a Trustpilot application.
     *
     * <pre>{@code
     * Auth auth = Auth.builder(key, secret).username(u).password(p).option("token_cache", "/var/cache/app/trustpilot.token").build();
     * }</pre>
     */
    public static Builder builder(String apiKey, String apiSecret) {
        return new Builder(apiKey, apiSecret);
    }

    /**
     * A client configured from the process environment: {@code TRUSTPILOT_API_KEY},
     * {@code TRUSTPILOT_API_SECRET}, {@code TRUSTPILOT_USERNAME}, {@code TRUSTPILOT_PASSWORD},
     * {@code TRUSTPILOT_API_HOST} and {@code TRUSTPILOT_<OPTION>} for every option, as the native
     * library maps them (tp_config_from_lookup over {@link System#getenv(String)}).
     *
     * @throws InvalidArgumentException the key or secret is missing, or a value is malformed (the message names the variable)
     */
    public static Auth fromEnv() {
        return fromEnv(System::getenv);
    }

    /**
     * As {@link #fromEnv()}, with every variable looked up through {@code lookup} (a
     * {@code Map::get}, a Spring {@code Environment::getProperty}, ...): null or empty means unset.
     */
    public static Auth fromEnv(Function<String, String> lookup) {
        if (lookup == null) {
            throw new InvalidArgumentException("lookup must not be null");
        }
        Library.require();
        // The values handed to C stay alive until tp_config_from_lookup returns, then are wiped
        // (they include the API secret) and freed.
        final List<Memory> held = new ArrayList<>();
        final RuntimeException[] failure = new RuntimeException[1];
        Lib.LookupCallback callback = new Lib.LookupCallback() {
            @Override
            public Pointer invoke(Pointer name, Pointer userData) {
                try {
                    String v = name == null ? null : lookup.apply(name.getString(0, "UTF-8"));
                    if (v == null || v.isEmpty()) {
                        return null;
                    }
                    if (v.indexOf('\0') >= 0) {
                        throw new InvalidArgumentException(name.getString(0, "UTF-8") + " contains a NUL character");
                    }
                    byte[] bytes = v.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                    Memory mem = new Memory(bytes.length + 1);
                    mem.write(0, bytes, 0, bytes.length);
                    mem.setByte(bytes.length, (byte) 0);
                    java.util.Arrays.fill(bytes, (byte) 0);
                    held.add(mem);
                    return mem;
                } catch (RuntimeException e) {
                    if (failure[0] == null) {
                        failure[0] = e;
                    }
                    return null; // an exception must not unwind into C
                }
            }
        };
        try (Marshal m = Marshal.open()) {
            int st = Lib.tp_config_from_lookup(callback, null, m.out(), m.err());
            if (failure[0] != null) {
                if (st == 0) {
                    Lib.tp_config_free(m.outValue());
                } else {
                    m.error(st);
                }
                throw failure[0]; // the lookup's own exception, as if it had been called here
            }
            m.check(st);
            return fromConfig(m.outValue(), m);
        } finally {
            for (Memory mem : held) {
                mem.clear();
                mem.close();
            }
        }
    }

    /** A client from a native configuration, which is freed. */
    private static Auth fromConfig(long cfg, Marshal m) {
        try {
            m.check(Lib.tp_auth_new(cfg, m.out(), m.err()));
            return new Auth(m.outValue());
        } finally {
            Lib.tp_config_free(cfg);
        }
    }

    /**
     * Options for {@link Auth#builder}: named setters for the usual ones and {@link #option} for
     * any key the native library accepts ({@link Tpauth#optionKeys()}). Nothing is checked until
     * {@link #build()}, which reports an unknown key or a bad value as an
     * {@link InvalidArgumentException} naming the option. Not thread-safe; reusable.
     */
    public static final class Builder {
        private final String apiKey;
        private final String apiSecret;
        private final Map<String, String> options = new LinkedHashMap<>();

        private Builder(String apiKey, String apiSecret) {
            this.apiKey = apiKey;
            this.apiSecret = apiSecret;
        }

        /** Any option by its key ({@code "token_cache"}, {@code "refresh_leeway_s"}, ...); every value is a string, as in the C ABI. */
        public Builder option(String key, String value) {
            if (key == null) {
                throw new InvalidArgumentException("option key must not be null");
            }
            options.put(key, value);
            return this;
        }

        /** The token, refresh, revoke and API host (default {@code https://api.trustpilot.com}). */
        public Builder apiBaseUrl(String url) {
            return option("api_base_url", url);
        }

        /** The browser authorization page (default {@code https://authenticate.trustpilot.com}). */
        public Builder authorizeUrl(String url) {
            return option("authorize_url", url);
        }

        /** The business user for the password grant that {@link Auth#getToken()} makes. */
        public Builder username(String username) {
            return option("username", username);
        }

        /** The business user's password (a secret: never shown in a message or {@code toString}). */
        public Builder password(String password) {
            return option("password", password);
        }

        /** What {@link Auth#getToken()} uses without a usable refresh token: {@code password}, {@code client_credentials} or {@code none}. */
        public Builder grant(String grant) {
            return option("grant", grant);
        }

        /** Sent as {@code x-business-user-id} on API calls (needed with client credentials). */
        public Builder businessUserId(String id) {
            return option("business_user_id", id);
        }

        /** A token cache shared by every process on the host (a file path) or every host (a {@code redis://} URL). */
        public Builder tokenCache(String pathOrUrl) {
            return option("token_cache", pathOrUrl);
        }

        /** The time limit of each request (default 30 s). */
        public Builder timeout(Duration timeout) {
            if (timeout == null) {
                throw new InvalidArgumentException("timeout must not be null");
            }
            return option("timeout_ms", Long.toString(timeout.toMillis()));
        }

        /** Allow {@code http://} to loopback hosts only (tests and local mocks). */
        public Builder allowInsecureHttp(boolean allow) {
            return option("allow_insecure_http", Boolean.toString(allow));
        }

        /**
         * The client: no request is sent.
         *
         * @throws InvalidArgumentException an empty or null key, a null secret, an unknown option, a bad value
         * @throws StoreException the token cache cannot be opened
         */
        public Auth build() {
            if (apiKey == null) {
                throw new InvalidArgumentException("apiKey must not be null");
            }
            if (apiSecret == null) {
                throw new InvalidArgumentException("apiSecret must not be null");
            }
            Library.require();
            try (Marshal m = Marshal.open()) {
                m.check(Lib.tp_config_new(m.str(apiKey, "apiKey"), m.str(apiSecret, "apiSecret"), m.out(), m.err()));
                long cfg = m.outValue();
                try {
                    for (Map.Entry<String, String> o : options.entrySet()) {
                        if (o.getValue() == null) {
                            throw new InvalidArgumentException("option " + o.getKey() + ": value must not be null");
                        }
                        m.check(Lib.tp_config_set(cfg, m.str(o.getKey(), "option key"), m.str(o.getValue(), "option " + o.getKey()), m.err()));
                    }
                } catch (RuntimeException e) {
                    Lib.tp_config_free(cfg);
                    throw e;
                }
                return fromConfig(cfg, m);
            }
        }

        /** The option keys set (no values: they may be secrets). */
        @Override
        public String toString() {
            return "Auth.Builder{options=" + options.keySet() + "}";
        }
    }

    // ---- plumbing -------------------------------------------------------------------------------

    private interface TokenCall {
        int call(long auth, Marshal m);
    }

    /** A native call that yields a token (which becomes the current one: the fast copy is dropped). */
    private Token tokenCall(TokenCall call) {
        long a = handle.acquire();
        try (Marshal m = Marshal.open()) {
            int st = call.call(a, m);
            dropFast();
            m.check(st);
            return Token.take(m.outValue());
        } finally {
            handle.release();
        }
    }

    private void dropFast() {
        synchronized (fastLock) {
            fastGeneration++;
            fast = null;
        }
    }

    // ---- grants ---------------------------------------------------------------------------------

    /**
     * The password grant; the token also becomes the client's current token.
     *
     * @throws InvalidGrantException wrong username or password
     * @throws UnauthorizedException wrong API key or secret
     */
    public Token passwordGrant(String username, String password) {
        return tokenCall((a, m) -> Lib.tp_password_grant(a, m.required(username, "username"), m.required(password, "password"), m.out(), m.err()));
    }

    /** The client-credentials grant (API calls then need the {@code business_user_id} option). */
    public Token clientCredentialsGrant() {
        return tokenCall((a, m) -> Lib.tp_client_credentials_grant(a, m.out(), m.err()));
    }

    /**
     * Exchanges an authorization code; {@code redirectUri} must be the one given to
     * {@link #authorizeUrl}. Never retried.
     *
     * @throws InvalidGrantException unknown or used code, or another redirect_uri
     */
    public Token authorizationCodeGrant(String code, String redirectUri) {
        return authorizationCodeGrant(code, redirectUri, null);
    }

    /**
     * As {@link #authorizationCodeGrant(String, String)}, also sending the PKCE {@code codeVerifier}
     * (from {@link Tpauth#newPkce()}; null: none) whose challenge went into the authorization URL.
     *
     * @throws InvalidGrantException the verifier does not match the challenge
     */
    public Token authorizationCodeGrant(String code, String redirectUri, String codeVerifier) {
        return tokenCall((a, m) -> Lib.tp_authorization_code_grant_pkce(a, m.required(code, "code"), m.required(redirectUri, "redirectUri"),
                m.str(codeVerifier, "codeVerifier"), m.out(), m.err()));
    }

    /**
     * Refreshes the current token's refresh token; the new token becomes the current one.
     *
     * @throws NoTokenException there is no current refresh token
     * @throws InvalidGrantException it was revoked or rotated
     */
    public Token refresh() {
        return refresh(null);
    }

    /** Refreshes {@code refreshToken} (null: the current token's). */
    public Token refresh(String refreshToken) {
        return tokenCall((a, m) -> Lib.tp_refresh(a, m.str(refreshToken, "refreshToken"), m.out(), m.err()));
    }

    /** Revokes the current token's refresh token (and its access tokens), and forgets the token. */
    public void revoke() {
        revoke(null);
    }

    /**
     * Revokes {@code refreshToken} (null: the current token's) and the access tokens issued with it.
     *
     * @throws NoTokenException null and there is no current refresh token
     */
    public void revoke(String refreshToken) {
        long a = handle.acquire();
        try (Marshal m = Marshal.open()) {
            int st = Lib.tp_revoke(a, m.str(refreshToken, "refreshToken"), m.err());
            dropFast();
            m.check(st);
        } finally {
            handle.release();
        }
    }

    // ---- managed token --------------------------------------------------------------------------

    /**
     * The managed token: the current token while it is valid, else one refresh or grant shared by
     * every thread asking at once (the native library's single flight) and, with
     * {@code token_cache}, by every process sharing the cache.
     *
     * <p>While the token is valid and not yet due for renewal, it is served from this object's
     * memory (a volatile read and a clock read, no native call): the instant from which the
     * library would renew it comes with it (tp_token_renew_at_ms). The returned {@link Token} is
     * shared by every caller; it is immutable.
     *
     * @throws NoTokenException no token and no grant configured (grant=none, or no username/password)
     */
    public Token getToken() {
        Held h = fast;
        if (h != null && System.currentTimeMillis() < h.renewAtMs) {
            return h.token;
        }
        return getTokenFromLibrary();
    }

    /** tp_get_token, bypassing the copy (the slow path; the leak tests call it directly). */
    Token getTokenFromLibrary() {
        long gen;
        synchronized (fastLock) {
            gen = fastGeneration;
        }
        long a = handle.acquire();
        try (Marshal m = Marshal.open()) {
            m.check(Lib.tp_get_token(a, m.out(), m.err()));
            long t = m.outValue();
            Token token;
            long renewAt;
            try {
                renewAt = Lib.tp_token_renew_at_ms(a, t);
                Held prev = fast;
                Token copy = Token.copyOf(t);
                // The same token as before: keep handing out the same object.
                token = prev != null && prev.token.equals(copy) ? prev.token : copy;
            } finally {
                Lib.tp_token_free(t);
            }
            synchronized (fastLock) {
                if (fastGeneration == gen) {
                    fast = new Held(token, renewAt);
                }
            }
            return token;
        } finally {
            handle.release();
        }
    }

    /**
     * Reports that the API refused {@code accessToken} (HTTP 401): the client drops its current
     * token only if it is still that one, so N concurrent 401s cause one renewal. No request is sent.
     */
    public void invalidateToken(String accessToken) {
        long a = handle.acquire();
        try (Marshal m = Marshal.open()) {
            int st = Lib.tp_invalidate_token(a, m.required(accessToken, "accessToken"), m.err());
            dropFast();
            m.check(st);
        } finally {
            handle.release();
        }
    }

    /** Makes {@code token} the client's current token (and writes it to the token cache), e.g. one from {@link Tpauth#parseImplicitRedirect}. */
    public void setToken(Token token) {
        if (token == null) {
            throw new InvalidArgumentException("token must not be null");
        }
        long a = handle.acquire();
        try (Marshal m = Marshal.open()) {
            long t = token.toNative(m);
            int st;
            try {
                st = Lib.tp_set_token(a, t, m.err());
            } finally {
                Lib.tp_token_free(t);
            }
            dropFast();
            m.check(st);
        } finally {
            handle.release();
        }
    }

    // ---- browser flows --------------------------------------------------------------------------

    /** {@link #authorizeUrl(String, String, String)} for the code flow without a state (prefer one: {@link Tpauth#newState()}). */
    public String authorizeUrl(String redirectUri) {
        return authorizeUrl(redirectUri, "code", null, null);
    }

    /**
     * The authorization page to send the browser to:
     * {@code {authorize_url}?client_id=KEY&redirect_uri=...&response_type=...&state=...}.
     *
     * @param responseType {@code "code"} (authorization code) or {@code "token"} (implicit)
     * @param state null for none (use {@link Tpauth#newState()}: it protects the redirect against forgery)
     * @throws InvalidArgumentException a redirect URI that is not https, another response type
     */
    public String authorizeUrl(String redirectUri, String responseType, String state) {
        return authorizeUrl(redirectUri, responseType, state, null);
    }

    /** As {@link #authorizeUrl(String, String, String)}, adding the PKCE challenge ({@link Pkce#challenge()}; null: none). */
    public String authorizeUrl(String redirectUri, String responseType, String state, String codeChallenge) {
        long a = handle.acquire();
        try (Marshal m = Marshal.open()) {
            m.check(Lib.tp_authorize_url_pkce(a, m.required(redirectUri, "redirectUri"), m.required(responseType, "responseType"),
                    m.str(state, "state"), m.str(codeChallenge, "codeChallenge"), m.out(), m.err()));
            return Marshal.take(m.outValue());
        } finally {
            handle.release();
        }
    }

    // ---- API calls ------------------------------------------------------------------------------

    /** {@link #request(String, String, byte[], String)} without a body. */
    public ApiResponse request(String method, String urlOrPath) {
        return request(method, urlOrPath, null, null);
    }

    /**
     * An API call with the managed token ({@code Authorization: Bearer}, {@code apikey}, and
     * {@code x-business-user-id} when configured); after a 401 the token is renewed and the call
     * sent once more. A path is joined to api_base_url; an absolute URL must be a host that may see
     * the token. Any HTTP status comes back as an {@link ApiResponse}: only failing to get one throws.
     *
     * @param body null or empty: none
     * @param contentType null: none
     * @throws InvalidArgumentException a bad method, or a host that may not see the token (nothing is sent)
     */
    public ApiResponse request(String method, String urlOrPath, byte[] body, String contentType) {
        long a = handle.acquire();
        try (Marshal m = Marshal.open()) {
            long len = body == null ? 0 : body.length;
            int st = Lib.tp_request_bytes(a, m.required(method, "method"), m.required(urlOrPath, "urlOrPath"), m.bytes(body), len,
                    m.str(contentType, "contentType"), m.out(), m.err());
            dropFast(); // a 401 renews the current token
            m.check(st);
            return ApiResponse.take(m.outValue(), m);
        } finally {
            handle.release();
        }
    }

    /**
     * The headers an API call to {@code url} carries, for HTTP clients that send the request
     * themselves (the OkHttp, java.net.http and Spring integrations): {@code Authorization} (the
     * managed token: this may renew it), {@code apikey} and, when configured,
     * {@code x-business-user-id}, as the native library composes them (tp_api_headers). A host that
     * may not see the token is refused before any token is obtained.
     *
     * @throws InvalidArgumentException a bad method, or a host that may not see the token
     */
    public List<Map.Entry<String, String>> apiHeaders(String method, String url) {
        long a = handle.acquire();
        String text;
        try (Marshal m = Marshal.open()) {
            m.check(Lib.tp_api_headers(a, m.required(method, "method"), m.required(url, "url"), m.out(), m.err()));
            text = Marshal.take(m.outValue());
        } finally {
            handle.release();
        }
        return headerLines(text);
    }

    /** "Name: value" lines separated by "\n", as a list. */
    private static List<Map.Entry<String, String>> headerLines(String text) {
        List<Map.Entry<String, String>> out = new ArrayList<>(3);
        int start = 0;
        while (start < text.length()) {
            int end = text.indexOf('\n', start);
            if (end < 0) {
                end = text.length();
            }
            int colon = text.indexOf(": ", start);
            if (colon > start && colon < end) {
                out.add(new AbstractMap.SimpleImmutableEntry<>(text.substring(start, colon), text.substring(colon + 2, end)));
            }
            start = end + 1;
        }
        return Collections.unmodifiableList(out);
    }

    /**
     * What an HTTP client integration sends for one API call (tp_prepare_api_call): the URL the
     * library judged (send that one), and the headers to set, each replacing the request's header
     * of that name in any letter case: {@code Authorization} (the managed token: this may renew
     * it), {@code apikey} and, when configured and the request has none of its own,
     * {@code x-business-user-id}. A URL that may not see the token is refused before any token is
     * obtained.
     *
     * @param urlOrPath an absolute http(s) URL, or a path joined to api_base_url
     * @param callerHeaderNames the names of the headers the request already carries (null: none)
     * @throws InvalidArgumentException a bad method, or a URL that may not see the token
     */
    public PreparedCall prepareApiCall(String method, String urlOrPath, Iterable<String> callerHeaderNames) {
        return prepareApiCall(method, urlOrPath, callerHeaderNames, true);
    }

    /**
     * As {@link #prepareApiCall(String, String, Iterable)}; with {@code mayRenew} false it never
     * blocks: when the token is not fresh (absent, invalidated or due for renewal) it returns null
     * at once, for callers that renew elsewhere (an asynchronous client: {@link #getToken()} on a
     * worker thread, then this again).
     */
    public PreparedCall prepareApiCall(String method, String urlOrPath, Iterable<String> callerHeaderNames, boolean mayRenew) {
        String names = null;
        if (callerHeaderNames != null) {
            StringBuilder b = new StringBuilder();
            for (String n : callerHeaderNames) {
                if (n != null && !n.isEmpty()) {
                    b.append(b.length() == 0 ? "" : "\n").append(n);
                }
            }
            names = b.length() == 0 ? null : b.toString();
        }
        long a = handle.acquire();
        String url;
        String text;
        try (Marshal m = Marshal.open()) {
            m.check(Lib.tp_prepare_api_call(a, m.required(method, "method"), m.required(urlOrPath, "urlOrPath"), m.str(names, "header names"),
                    mayRenew ? 0 : Lib.TP_PREPARE_NO_RENEW, m.out(), m.out2(), m.err()));
            url = Marshal.take(m.outValue());
            text = Marshal.take(m.out2Value());
        } finally {
            handle.release();
        }
        return text == null ? null : new PreparedCall(url, headerLines(text));
    }

    /**
     * Whether the token may be sent to {@code url}: the rule {@link #request} and the integrations
     * apply (the api_base_url host, Trustpilot's API hosts, the {@code token_hosts} option).
     *
     * @throws InvalidArgumentException the host may not receive the token (the message names it)
     */
    public void checkTokenUrl(String url) {
        long a = handle.acquire();
        try (Marshal m = Marshal.open()) {
            m.check(Lib.tp_check_token_url(a, m.required(url, "url"), m.err()));
        } finally {
            handle.release();
        }
    }

    // ---- lifetime -------------------------------------------------------------------------------

    /** Frees the native client (at once, or when the calls in progress on other threads end). Closing twice is harmless. */
    @Override
    public void close() {
        dropFast();
        cleanable.clean();
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return handle.closed();
    }

    /** No option values (they may be secrets). */
    @Override
    public String toString() {
        return handle.closed() ? "Auth{closed}" : "Auth{}";
    }
}
