package io.github.tpauth;

import static io.github.tpauth.Support.REDIRECT_URI;
import static io.github.tpauth.Support.assertNoSecret;
import static io.github.tpauth.Support.browserRedirect;
import static io.github.tpauth.Support.mockBuilder;
import static io.github.tpauth.Support.passwordAuth;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.tpauth.testing.Json;
import io.github.tpauth.testing.Mock;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The binding against the mock: every grant, refresh, revoke, the browser flows, API calls and errors. */
class AuthTest {
    @BeforeEach
    void resetMock() {
        Mock.reset();
    }

    // ---- construction and bad input -------------------------------------------------------------

    @Test
    void theNativeLibraryIsTheJarsRelease() {
        assertEquals(NativeLoader.jarVersion(), Tpauth.version());
        assertTrue(Tpauth.version().matches("\\d+\\.\\d+\\.\\d+"), Tpauth.version());
        assertNull(Library.versionMismatch(NativeLoader.jarVersion(), "x"));
        String mismatch = Library.versionMismatch("0.0.0-other", "/lib/libtpauth.so");
        assertTrue(mismatch.contains("/lib/libtpauth.so") && mismatch.contains("0.0.0-other") && mismatch.contains("tpauth.library.path"), mismatch);
    }

    @Test
    void nullOrEmptyKeyAndNullSecretAreInvalidArgument() {
        assertTrue(assertThrows(InvalidArgumentException.class, () -> Auth.builder(null, "s").build()).getMessage().contains("apiKey"));
        assertTrue(assertThrows(InvalidArgumentException.class, () -> Auth.builder("k", null).build()).getMessage().contains("apiSecret"));
        assertEquals(Status.INVALID_ARGUMENT, assertThrows(InvalidArgumentException.class, () -> Auth.builder("", "s").build()).status());
    }

    @Test
    void anUnknownOptionIsInvalidArgumentNamingIt() {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> mockBuilder().option("no_such_option", "1").build());
        assertTrue(e.getMessage().contains("no_such_option"), e.getMessage());
    }

    @Test
    void malformedOptionValuesAreInvalidArgumentWithoutTheValue() {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> mockBuilder().option("timeout_ms", "soon").build());
        assertTrue(e.getMessage().contains("timeout_ms"), e.getMessage());
        assertThrows(InvalidArgumentException.class, () -> mockBuilder().option("client_auth", "telepathy").build());
        assertThrows(InvalidArgumentException.class, () -> mockBuilder().option("grant", null).build());
        assertThrows(InvalidArgumentException.class, () -> mockBuilder().option(null, "x"));
        assertThrows(InvalidArgumentException.class, () -> mockBuilder().timeout(null));
    }

    @Test
    void plainHttpNeedsTheFlagAndALoopbackHost() {
        assertThrows(InvalidArgumentException.class, () -> Auth.builder(Mock.API_KEY, Mock.API_SECRET).apiBaseUrl(Mock.url()).build());
        assertThrows(InvalidArgumentException.class,
                () -> Auth.builder(Mock.API_KEY, Mock.API_SECRET).apiBaseUrl("http://example.com").allowInsecureHttp(true).build());
        mockBuilder().build().close();
    }

    @Test
    void stringsUtf8CannotCarryAreInvalidArgumentWithoutTheValue() {
        try (Auth auth = passwordAuth()) {
            InvalidArgumentException nul = assertThrows(InvalidArgumentException.class, () -> auth.passwordGrant(Mock.USERNAME, "pass\0word"));
            assertTrue(nul.getMessage().contains("password") && nul.getMessage().contains("NUL"), nul.getMessage());
            assertFalse(nul.getMessage().contains("pass\0word"));
            InvalidArgumentException surrogate = assertThrows(InvalidArgumentException.class, () -> auth.passwordGrant(Mock.USERNAME, "x\ud800y"));
            assertTrue(surrogate.getMessage().contains("password"), surrogate.getMessage());
        }
        assertEquals(0, Mock.tokenRequests(), "nothing was sent");
    }

    @Test
    void nullArgumentsOfMethodsAreInvalidArgument() {
        try (Auth auth = passwordAuth()) {
            assertThrows(InvalidArgumentException.class, () -> auth.passwordGrant(null, "p"));
            assertThrows(InvalidArgumentException.class, () -> auth.passwordGrant("u", null));
            assertThrows(InvalidArgumentException.class, () -> auth.authorizationCodeGrant(null, REDIRECT_URI));
            assertThrows(InvalidArgumentException.class, () -> auth.authorizationCodeGrant("c", null));
            assertThrows(InvalidArgumentException.class, () -> auth.invalidateToken(null));
            assertThrows(InvalidArgumentException.class, () -> auth.setToken(null));
            assertThrows(InvalidArgumentException.class, () -> auth.authorizeUrl(null, "code", null));
            assertThrows(InvalidArgumentException.class, () -> auth.request(null, "/v1/x"));
            assertThrows(InvalidArgumentException.class, () -> auth.request("GET", null));
            assertThrows(InvalidArgumentException.class, () -> auth.apiHeaders("GET", null));
            assertThrows(InvalidArgumentException.class, () -> Tpauth.parseCodeRedirect(null, null));
            assertThrows(InvalidArgumentException.class, () -> Tpauth.parseImplicitRedirect(null, null));
            assertThrows(InvalidArgumentException.class, () -> Token.fromJson(null));
            assertThrows(InvalidArgumentException.class, () -> Auth.fromEnv(null));
        }
    }

    @Test
    void aClosedAuthThrowsIllegalStateAndClosingTwiceIsHarmless() {
        Auth auth = passwordAuth();
        auth.close();
        auth.close();
        assertTrue(auth.isClosed());
        assertEquals("Auth{closed}", auth.toString());
        assertThrows(IllegalStateException.class, auth::getToken);
        assertThrows(IllegalStateException.class, () -> auth.request("GET", "/v1/x"));
        assertThrows(IllegalStateException.class, () -> auth.passwordGrant(Mock.USERNAME, Mock.PASSWORD));
    }

    @Test
    void anAuthDroppedWithoutCloseIsFreedByTheSafetyNet() throws Exception {
        long before = Auth.LIVE.get();
        for (int i = 0; i < 200; i++) {
            mockBuilder().build(); // never closed
        }
        assertTrue(Auth.LIVE.get() >= before + 1);
        long deadline = System.currentTimeMillis() + 30_000;
        while (Auth.LIVE.get() > before && System.currentTimeMillis() < deadline) {
            System.gc();
            Thread.sleep(20);
        }
        assertEquals(before, Auth.LIVE.get(), "the PhantomReference cleaner freed every native client");
    }

    @Test
    void closeDuringACallFreesTheClientWhenTheCallEnds() throws Exception {
        Auth auth = passwordAuth();
        auth.getToken();
        long before = Auth.LIVE.get();
        Mock.fault("{\"kind\":\"slow\",\"target\":\"api\",\"delay_ms\":1500}");
        java.util.concurrent.CompletableFuture<ApiResponse> call =
                java.util.concurrent.CompletableFuture.supplyAsync(() -> auth.request("GET", "/v1/private/slow"));
        long deadline = System.currentTimeMillis() + 30_000;
        while (Mock.stat("api_requests") == 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(10);
        }
        auth.close();
        assertThrows(IllegalStateException.class, auth::getToken, "closed for new calls at once");
        assertEquals(200, call.get(60, java.util.concurrent.TimeUnit.SECONDS).status(), "the call in progress completes");
        assertEquals(before - 1, Auth.LIVE.get(), "freed once the call ended");
    }

    // ---- grants ---------------------------------------------------------------------------------

    @Test
    void passwordGrantSendsTheSeedsBytesAndReturnsTheToken() {
        try (Auth auth = passwordAuth()) {
            long before = System.currentTimeMillis() / 1000;
            Token t = auth.passwordGrant(Mock.USERNAME, Mock.PASSWORD);
            Map<String, Object> req = Mock.lastTokenRequest();
            assertEquals("POST", req.get("method"));
            assertEquals("/v1/oauth/oauth-business-users-for-applications/accesstoken", req.get("path"));
            assertEquals("Basic " + Base64.getEncoder().encodeToString("mock-api-key:mock-api-secret".getBytes(StandardCharsets.UTF_8)),
                    Mock.header(req, "authorization"));
            assertEquals("application/x-www-form-urlencoded", Mock.header(req, "content-type"));
            assertEquals("grant_type=password&username=user%40example.com&password=mock-password", req.get("body"));
            assertFalse(t.accessToken().isEmpty());
            assertNotNull(t.refreshToken());
            assertEquals("BearerToken", t.tokenType());
            assertEquals(359999, t.expiresIn());
            long at = t.expiresAt().getEpochSecond();
            assertTrue(at >= before + 359999 && at <= System.currentTimeMillis() / 1000 + 359999, "expiresAt " + at);
            assertTrue(t.rawJson().contains("\"organization_name\""), "the server's body verbatim");
            assertFalse(t.isExpired());
            assertTrue(t.isExpired(Duration.ofSeconds(360000)));
        }
    }

    @Test
    void aPasswordWithReservedAndNonAsciiCharactersArrivesIntact() {
        String password = "p&ss=w+rd% /ü€😀?#";
        Mock.config("{\"password\":" + Json.quote(password) + "}");
        try (Auth auth = mockBuilder().build()) {
            auth.passwordGrant(Mock.USERNAME, password);
            String body = (String) Mock.lastTokenRequest().get("body");
            assertTrue(body.endsWith("&password=" + urlEncoded(password)), body);
        }
    }

    private static String urlEncoded(String s) {
        try {
            return URLEncoder.encode(s, "UTF-8").replace("+", "%20");
        } catch (java.io.UnsupportedEncodingException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void clientAuthPostSendsTheCredentialsInTheBody() {
        try (Auth auth = passwordAuth("client_auth", "post")) {
            auth.passwordGrant(Mock.USERNAME, Mock.PASSWORD);
            Map<String, Object> req = Mock.lastTokenRequest();
            assertNull(Mock.header(req, "authorization"));
            String body = (String) req.get("body");
            assertTrue(body.contains("client_id=mock-api-key") && body.contains("client_secret=mock-api-secret"), body);
        }
    }

    @Test
    void aWrongPasswordIsInvalidGrantWithoutThePassword() {
        try (Auth auth = passwordAuth()) {
            InvalidGrantException e = assertThrows(InvalidGrantException.class, () -> auth.passwordGrant(Mock.USERNAME, "wrong-pass-123"));
            assertEquals(Status.INVALID_GRANT, e.status());
            assertEquals(400, e.httpStatus());
            assertEquals("invalid_grant", e.oauthCode());
            assertFalse(e.retryAfter().isPresent());
            assertNoSecret(e.getMessage() + e.toString(), "wrong-pass-123");
        }
    }

    @Test
    void aWrongSecretIsUnauthorizedWithoutTheSecret() {
        try (Auth auth = Auth.builder(Mock.API_KEY, "wrong-secret-456").apiBaseUrl(Mock.url()).allowInsecureHttp(true).build()) {
            UnauthorizedException e = assertThrows(UnauthorizedException.class, () -> auth.passwordGrant(Mock.USERNAME, Mock.PASSWORD));
            assertEquals(401, e.httpStatus());
            assertEquals("invalid_client", e.oauthCode());
            assertNoSecret(e.getMessage() + e.toString(), "wrong-secret-456");
        }
    }

    @Test
    void clientCredentialsGrantAndTheBusinessUserIdHeader() {
        try (Auth auth = mockBuilder().grant("client_credentials").businessUserId(Mock.BUSINESS_USER_ID).build()) {
            Token t = auth.clientCredentialsGrant();
            assertNull(t.refreshToken());
            assertEquals("grant_type=client_credentials", Mock.lastTokenRequest().get("body"));
            ApiResponse r = auth.request("GET", "/v1/private/business-units/x/reviews");
            assertEquals(200, r.status());
            assertEquals(Mock.BUSINESS_USER_ID, Mock.header(Mock.lastApiRequest(), "x-business-user-id"));
        }
        try (Auth auth = mockBuilder().grant("client_credentials").build()) {
            assertEquals(403, auth.request("GET", "/v1/private/x").status(), "a client-credentials token needs x-business-user-id");
        }
    }

    // ---- browser flows --------------------------------------------------------------------------

    @Test
    void theAuthorizationCodeFlowEndToEnd() throws Exception {
        try (Auth auth = mockBuilder().build()) {
            String state = Tpauth.newState();
            String url = auth.authorizeUrl(REDIRECT_URI, "code", state);
            assertTrue(url.startsWith(Mock.authorizeUrl() + "?client_id=mock-api-key&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback"
                    + "&response_type=code&state=" + state), url);
            String redirect = browserRedirect(url);
            String code = Tpauth.parseCodeRedirect(redirect, state);
            Token t = auth.authorizationCodeGrant(code, REDIRECT_URI);
            assertNotNull(t.refreshToken());
            assertEquals("grant_type=authorization_code&code=" + code + "&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback",
                    Mock.lastTokenRequest().get("body"));
            assertEquals(1, Mock.grants("authorization_code"));
            assertEquals(200, auth.request("GET", "/v1/private/x").status(), "the code's token is the current one");
            assertThrows(InvalidGrantException.class, () -> auth.authorizationCodeGrant(code, REDIRECT_URI), "a code is used once");
        }
    }

    @Test
    void thePkceFlowSendsTheChallengeAndTheVerifier() throws Exception {
        try (Auth auth = mockBuilder().build()) {
            Pkce pkce = Tpauth.newPkce();
            assertTrue(pkce.verifier().matches("[A-Za-z0-9_-]{43}"), pkce.verifier());
            assertTrue(pkce.challenge().matches("[A-Za-z0-9_-]{43}"), pkce.challenge());
            java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
            assertEquals(Base64.getUrlEncoder().withoutPadding().encodeToString(sha.digest(pkce.verifier().getBytes(StandardCharsets.US_ASCII))),
                    pkce.challenge(), "S256");
            assertFalse(pkce.toString().contains(pkce.verifier()));
            String state = Tpauth.newState();
            String url = auth.authorizeUrl(REDIRECT_URI, "code", state, pkce.challenge());
            assertTrue(url.contains("&code_challenge=" + pkce.challenge() + "&code_challenge_method=S256"), url);
            String code = Tpauth.parseCodeRedirect(browserRedirect(url), state);
            auth.authorizationCodeGrant(code, REDIRECT_URI, pkce.verifier());
            assertTrue(((String) Mock.lastTokenRequest().get("body")).endsWith("&code_verifier=" + pkce.verifier()));

            String other = Tpauth.parseCodeRedirect(browserRedirect(auth.authorizeUrl(REDIRECT_URI, "code", state, pkce.challenge())), state);
            assertThrows(InvalidGrantException.class, () -> auth.authorizationCodeGrant(other, REDIRECT_URI, Tpauth.newPkce().verifier()),
                    "a verifier that does not match the challenge");
            assertThrows(InvalidArgumentException.class, () -> auth.authorizeUrl(REDIRECT_URI, "code", state, "short"));
        }
    }

    @Test
    void authorizeUrlRefusesANonHttpsRedirectAndAnUnknownResponseType() {
        try (Auth auth = mockBuilder().build()) {
            assertThrows(InvalidArgumentException.class, () -> auth.authorizeUrl("http://app.example.com/cb", "code", null));
            assertThrows(InvalidArgumentException.class, () -> auth.authorizeUrl(REDIRECT_URI, "id_token", null));
            assertTrue(auth.authorizeUrl(REDIRECT_URI).contains("response_type=code"));
        }
    }

    @Test
    void theImplicitFlowAndSetToken() throws Exception {
        try (Auth auth = mockBuilder().grant("none").build()) {
            String state = Tpauth.newState();
            String redirect = browserRedirect(auth.authorizeUrl(REDIRECT_URI, "token", state));
            assertTrue(redirect.contains("#access_token="), redirect);
            Token t = Tpauth.parseImplicitRedirect(redirect, state);
            assertNull(t.refreshToken());
            assertEquals(359999, t.expiresIn());
            assertThrows(NoTokenException.class, auth::getToken, "a parsed token is not the current one");
            auth.setToken(t);
            assertEquals(t.accessToken(), auth.getToken().accessToken());
            assertEquals(200, auth.request("GET", "/v1/private/x").status());
            assertEquals("Bearer " + t.accessToken(), Mock.header(Mock.lastApiRequest(), "authorization"));
            assertEquals(0, Mock.tokenRequests());
            assertThrows(StateMismatchException.class, () -> Tpauth.parseImplicitRedirect(redirect, "other"));
            assertEquals(t.accessToken(), Tpauth.parseImplicitRedirect(redirect).accessToken());
        }
    }

    @Test
    void redirectParsingErrorsAreTyped() {
        String ok = "https://app.example.com/callback?code=abc&state=s1";
        assertEquals("abc", Tpauth.parseCodeRedirect(ok, "s1"));
        assertEquals("abc", Tpauth.parseCodeRedirect(ok));
        StateMismatchException e = assertThrows(StateMismatchException.class, () -> Tpauth.parseCodeRedirect(ok, "s2"));
        assertEquals(Status.STATE_MISMATCH, e.status());
        assertThrows(StateMismatchException.class, () -> Tpauth.parseCodeRedirect("https://app.example.com/callback?code=abc", "s1"));
        assertThrows(InvalidArgumentException.class, () -> Tpauth.parseCodeRedirect("https://app.example.com/callback?state=s1", "s1"));
        assertThrows(InvalidArgumentException.class, () -> Tpauth.parseCodeRedirect("https://app.example.com/callback?code=a&code=b&state=s1", "s1"));
        assertThrows(InvalidArgumentException.class, () -> Tpauth.parseCodeRedirect("not a url", null));
        assertThrows(InvalidArgumentException.class,
                () -> Tpauth.parseImplicitRedirect("https://app.example.com/callback#access_token=x&expires_in=soon", null));
    }

    @Test
    void aDeniedBrowserFlowIsAccessDenied() throws Exception {
        Mock.config("{\"deny\":true}");
        try (Auth auth = mockBuilder().build()) {
            String state = Tpauth.newState();
            String redirect = browserRedirect(auth.authorizeUrl(REDIRECT_URI, "code", state));
            AccessDeniedException e = assertThrows(AccessDeniedException.class, () -> Tpauth.parseCodeRedirect(redirect, state));
            assertEquals("access_denied", e.oauthCode());
            String implicit = browserRedirect(auth.authorizeUrl(REDIRECT_URI, "token", state));
            assertThrows(AccessDeniedException.class, () -> Tpauth.parseImplicitRedirect(implicit, state));
        }
    }

    @Test
    void newStateIsRandomAndUrlSafe() {
        String a = Tpauth.newState();
        String b = Tpauth.newState();
        assertTrue(a.matches("[A-Za-z0-9_-]{22}"), a);
        assertNotEquals(a, b);
    }

    // ---- refresh, revoke, managed token ---------------------------------------------------------

    @Test
    void refreshRotatesAndTheOldRefreshTokenIsVoid() {
        try (Auth auth = passwordAuth()) {
            Token first = auth.passwordGrant(Mock.USERNAME, Mock.PASSWORD);
            Token second = auth.refresh();
            assertNotEquals(first.accessToken(), second.accessToken());
            assertNotEquals(first.refreshToken(), second.refreshToken());
            Map<String, Object> req = Mock.lastTokenRequest();
            assertEquals("/v1/oauth/oauth-business-users-for-applications/refresh", req.get("path"));
            assertEquals("grant_type=refresh_token&refresh_token=" + first.refreshToken(), req.get("body"));
            InvalidGrantException e = assertThrows(InvalidGrantException.class, () -> auth.refresh(first.refreshToken()));
            assertNoSecret(e.getMessage(), first.refreshToken(), second.refreshToken());
            Token third = auth.refresh(second.refreshToken());
            assertEquals(third.accessToken(), auth.getToken().accessToken(), "a refreshed token becomes the current one");
        }
    }

    @Test
    void refreshEndpointAccesstoken() {
        try (Auth auth = passwordAuth("refresh_endpoint", "accesstoken")) {
            auth.passwordGrant(Mock.USERNAME, Mock.PASSWORD);
            auth.refresh();
            assertEquals("/v1/oauth/oauth-business-users-for-applications/accesstoken", Mock.lastTokenRequest().get("path"));
        }
    }

    @Test
    void refreshAndRevokeWithoutATokenAreNoToken() {
        try (Auth auth = mockBuilder().grant("none").build()) {
            assertEquals(Status.NO_TOKEN, assertThrows(NoTokenException.class, auth::refresh).status());
            assertThrows(NoTokenException.class, auth::revoke);
        }
        assertEquals(0, Mock.tokenRequests());
    }

    @Test
    void revokeVoidsTheRefreshTokenAndItsAccessToken() {
        try (Auth auth = mockBuilder().grant("none").build()) {
            Token t = auth.passwordGrant(Mock.USERNAME, Mock.PASSWORD);
            auth.revoke();
            Map<String, Object> req = Mock.lastTokenRequest();
            assertEquals("/v1/oauth/oauth-business-users-for-applications/revoke", req.get("path"));
            assertEquals("token=" + t.refreshToken(), req.get("body"));
            assertEquals(1, Mock.stat("revoke_requests"));
            assertThrows(NoTokenException.class, auth::getToken, "revoking the current token forgets it");
            assertThrows(InvalidGrantException.class, () -> auth.refresh(t.refreshToken()));
            auth.setToken(t);
            assertThrows(NoTokenException.class, () -> auth.request("GET", "/v1/private/x"),
                    "the access token was revoked too: the API refuses it and there is no grant to renew it");
        }
    }

    @Test
    void getTokenReusesTheTokenAndInvalidateRenewsOnce() {
        try (Auth auth = passwordAuth()) {
            Token a = auth.getToken();
            assertSame(a, auth.getToken());
            assertEquals(1, Mock.tokenRequests());
            auth.invalidateToken("not-the-current-token");
            assertEquals(a, auth.getToken(), "another token's invalidation changes nothing");
            auth.invalidateToken(a.accessToken());
            Token b = auth.getToken();
            assertNotEquals(a.accessToken(), b.accessToken());
            assertEquals(2, Mock.tokenRequests());
            assertEquals(1, Mock.grants("refresh_token"), "renewed with the refresh token");
            auth.setToken(a);
            assertEquals(a.accessToken(), auth.getToken().accessToken(), "setToken replaces the served token at once");
        }
    }

    @Test
    void getTokenFollowsTheLibrarysRenewalInstant() {
        // A 2 s token is due for renewal half-way (refresh_leeway_s never exceeds half the
        // lifetime): the mock's clock-free schedule makes the renewal certain, not timed.
        Mock.config("{\"expires_in_schedule\":[2,3600]}");
        try (Auth auth = passwordAuth()) {
            Token a = auth.getToken();
            assertEquals(2, a.expiresIn());
            Token b = a;
            long deadline = System.currentTimeMillis() + 30000;
            while (b.expiresIn() == 2 && System.currentTimeMillis() < deadline) {
                b = auth.getToken();
            }
            assertEquals(3600, b.expiresIn(), "the token due for renewal was renewed by getToken");
            assertEquals(2, Mock.tokenRequests());
        }
    }

    @Test
    void getTokenWithoutAGrantIsNoToken() {
        try (Auth auth = mockBuilder().grant("none").build()) {
            NoTokenException e = assertThrows(NoTokenException.class, auth::getToken);
            assertEquals(Status.NO_TOKEN, e.status());
        }
        try (Auth auth = mockBuilder().grant("password").build()) {
            assertThrows(NoTokenException.class, auth::getToken, "the password grant without a username");
        }
    }

    // ---- API calls ------------------------------------------------------------------------------

    @Test
    void requestCarriesTheTokenAndApiKeyAndReturnsTheResponse() {
        try (Auth auth = passwordAuth()) {
            ApiResponse r = auth.request("GET", "/v1/private/business-units/abc/reviews?page=2");
            assertEquals(200, r.status());
            Map<String, Object> echo = Json.object(r.text());
            assertEquals("GET", echo.get("method"));
            assertEquals("/v1/private/business-units/abc/reviews", echo.get("path"));
            assertEquals("page=2", echo.get("query"));
            assertEquals("application/json", r.header("CONTENT-TYPE"));
            assertNull(r.header("x-no-such-header"));
            assertTrue(r.headers().stream().anyMatch(h -> h.getKey().equals("content-type")), "names lower-cased");
            Map<String, Object> req = Mock.lastApiRequest();
            assertEquals("Bearer " + auth.getToken().accessToken(), Mock.header(req, "authorization"));
            assertEquals(Mock.API_KEY, Mock.header(req, "apikey"));
            assertArrayEquals(r.text().getBytes(StandardCharsets.UTF_8), r.body());
            assertFalse(r.toString().contains(auth.getToken().accessToken()));
        }
    }

    @Test
    void requestToAnAbsoluteUrlWithABinaryBody() {
        try (Auth auth = passwordAuth()) {
            byte[] body = {'a', 0, 'b', (byte) 0xff};
            ApiResponse r = auth.request("POST", Mock.url() + "/v1/private/upload", body, "application/octet-stream");
            assertEquals(200, r.status());
            Map<String, Object> echo = Json.object(r.text());
            assertEquals("POST", echo.get("method"));
            assertEquals("application/octet-stream", echo.get("content_type"));
            assertTrue(((String) echo.get("body")).startsWith("a\u0000b"), "the NUL byte arrived: " + echo.get("body"));
            assertThrows(InvalidArgumentException.class, () -> auth.request("GET", "https://evil.example.com/v1/private/x"),
                    "a host that may not see the token");
        }
    }

    @Test
    void requestRenewsOnceAfterA401() {
        try (Auth auth = passwordAuth()) {
            Token before = auth.getToken();
            Mock.expireAll();
            assertEquals(200, auth.request("GET", "/v1/private/x").status());
            assertEquals(2, Mock.tokenRequests());
            assertNotEquals(before.accessToken(), auth.getToken().accessToken(), "the renewed token is served at once");
            Mock.fault("{\"kind\":\"401\",\"count\":5}");
            assertEquals(401, auth.request("GET", "/v1/private/x").status(), "one resend only");
            assertEquals(3, Mock.tokenRequests());
        }
    }

    @Test
    void anApiErrorStatusIsAResponseNotAnException() {
        Mock.fault("{\"kind\":\"html_500\",\"target\":\"api\"}");
        try (Auth auth = passwordAuth()) {
            ApiResponse r = auth.request("GET", "/v1/private/x");
            assertEquals(500, r.status());
            assertTrue(r.text().contains("<html"), r.text());
        }
    }

    // ---- typed errors for every status the mock can produce -------------------------------------

    @Test
    void rateLimitedCarriesRetryAfter() {
        Mock.fault("{\"kind\":\"429\",\"retry_after\":\"7\"}");
        try (Auth auth = passwordAuth("max_retries", "0")) {
            RateLimitedException e = assertThrows(RateLimitedException.class, auth::getToken);
            assertEquals(Status.RATE_LIMITED, e.status());
            assertEquals(429, e.httpStatus());
            assertEquals(Duration.ofSeconds(7), e.retryAfter().get());
            assertTrue(e.toString().contains("TP_ERR_RATE_LIMITED") && e.toString().contains("retry after 7000 ms"), e.toString());
        }
    }

    @Test
    void anHtml500IsHttpException() {
        Mock.fault("{\"kind\":\"html_500\"}");
        try (Auth auth = passwordAuth("max_retries", "0")) {
            HttpException e = assertThrows(HttpException.class, auth::getToken);
            assertEquals(500, e.httpStatus());
            assertNull(e.oauthCode());
        }
    }

    @Test
    void garbageAndAMissingAccessTokenAreProtocolException() {
        Mock.fault("{\"kind\":\"garbage\"}");
        try (Auth auth = passwordAuth("max_retries", "0")) {
            assertEquals(Status.PROTOCOL, assertThrows(ProtocolException.class, auth::getToken).status());
            Mock.fault("{\"kind\":\"no_access_token\"}");
            assertThrows(ProtocolException.class, auth::getToken);
        }
    }

    @Test
    void aResetOrTruncatedAnswerIsNetworkException() {
        Mock.fault("{\"kind\":\"reset\"}");
        try (Auth auth = passwordAuth("max_retries", "0")) {
            NetworkException e = assertThrows(NetworkException.class, auth::getToken);
            assertEquals(0, e.httpStatus());
            Mock.fault("{\"kind\":\"truncated\"}");
            assertThrows(NetworkException.class, auth::getToken);
        }
    }

    @Test
    void aRefusedConnectionIsNetworkException() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        try (Auth auth = Auth.builder(Mock.API_KEY, Mock.API_SECRET).apiBaseUrl("http://127.0.0.1:" + port).allowInsecureHttp(true)
                .username(Mock.USERNAME).password(Mock.PASSWORD).option("max_retries", "0").build()) {
            assertThrows(NetworkException.class, auth::getToken);
        }
    }

    @Test
    void aSlowAnswerIsTimeoutException() {
        Mock.fault("{\"kind\":\"slow\",\"delay_ms\":3000}");
        try (Auth auth = passwordAuth("max_retries", "0", "timeout_ms", "300")) {
            TimeoutException e = assertThrows(TimeoutException.class, auth::getToken);
            assertEquals(Status.TIMEOUT, e.status());
        }
    }

    @Test
    void anUnusableTokenCacheIsStoreException(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path file = Files.createFile(dir.resolve("plain-file"));
        try (Auth auth = passwordAuth("token_cache", file + "/cache.json")) {
            StoreException e = assertThrows(StoreException.class, auth::getToken);
            assertEquals(Status.STORE, e.status());
            assertTrue(e.getMessage().contains("token cache"), e.getMessage());
        }
        Path link = Files.createSymbolicLink(dir.resolve("link"), file);
        try (Auth auth = passwordAuth("token_cache", link.toString())) {
            assertTrue(assertThrows(StoreException.class, auth::getToken).getMessage().contains("symbolic link"));
        }
    }

    @Test
    void theTokenCacheIsSharedBetweenClients(@org.junit.jupiter.api.io.TempDir Path dir) {
        String path = dir.resolve("trustpilot.token").toString();
        String first;
        try (Auth a = passwordAuth("token_cache", path)) {
            first = a.getToken().accessToken();
        }
        try (Auth b = passwordAuth("token_cache", path)) {
            assertEquals(first, b.getToken().accessToken());
        }
        assertEquals(1, Mock.tokenRequests());
    }

    @Test
    void everyStatusHasItsExceptionClassAndTheCAbiNumber() {
        Map<Status, Class<? extends TpauthException>> expected = new HashMap<>();
        expected.put(Status.INVALID_ARGUMENT, InvalidArgumentException.class);
        expected.put(Status.NETWORK, NetworkException.class);
        expected.put(Status.TIMEOUT, TimeoutException.class);
        expected.put(Status.UNAUTHORIZED, UnauthorizedException.class);
        expected.put(Status.RATE_LIMITED, RateLimitedException.class);
        expected.put(Status.INVALID_GRANT, InvalidGrantException.class);
        expected.put(Status.HTTP, HttpException.class);
        expected.put(Status.PROTOCOL, ProtocolException.class);
        expected.put(Status.STATE_MISMATCH, StateMismatchException.class);
        expected.put(Status.ACCESS_DENIED, AccessDeniedException.class);
        expected.put(Status.NO_TOKEN, NoTokenException.class);
        expected.put(Status.STORE, StoreException.class);
        expected.put(Status.INTERNAL, InternalException.class);
        assertEquals(Status.values().length, expected.size() + 1);
        for (Status s : Status.values()) {
            // The C library's own name for the number: the enum and the header agree.
            assertEquals(Marshal.read(Lib.tp_status_name(s.code())), s.cName());
            assertSame(s, Status.fromCode(s.code()));
            if (s == Status.OK) {
                continue;
            }
            TpauthException e = TpauthException.of(s, "m", 0, null, null);
            assertSame(expected.get(s), e.getClass());
            assertEquals(s, e.status());
        }
        assertEquals(5, Status.RATE_LIMITED.code());
        assertEquals(13, Status.INTERNAL.code());
        assertSame(Status.INTERNAL, Status.fromCode(99));
    }

    // ---- tokens ---------------------------------------------------------------------------------

    @Test
    void tokenJsonRoundTripAndARedactedToString() {
        try (Auth auth = passwordAuth()) {
            Token t = auth.getToken();
            String json = t.toJson();
            assertTrue(json.contains(t.accessToken()), "toJson is for persisting: it holds the token");
            Token back = Token.fromJson(json);
            assertEquals(t, back);
            assertEquals(t.hashCode(), back.hashCode());
            String s = t.toString();
            assertFalse(s.contains(t.accessToken()) || s.contains(t.refreshToken()), s);
            assertTrue(s.contains("[redacted]") && s.contains("BearerToken"), s);
            assertThrows(InvalidArgumentException.class, () -> Token.fromJson("{\"no\":\"token\"}"));
            assertThrows(InvalidArgumentException.class, () -> Token.fromJson("not json"));
        }
    }

    @Test
    void expiresInAsANumberOrMissing() {
        Mock.config("{\"expires_in_json\":\"120\"}");
        try (Auth auth = passwordAuth()) {
            assertEquals(120, auth.getToken().expiresIn());
        }
        Mock.config("{\"expires_in_json\":null}");
        try (Auth auth = passwordAuth()) {
            Token t = auth.getToken();
            assertEquals(-1, t.expiresIn());
            assertNull(t.expiresAt());
            assertFalse(t.isExpired(Duration.ofDays(3650)), "no known expiry: never expired");
            assertTrue(t.receivedAt().isAfter(Instant.now().minusSeconds(60)));
        }
    }

    // ---- environment, headers, logging, secrets -------------------------------------------------

    @Test
    void fromEnvReadsTheOfficialVariableNames() {
        Map<String, String> env = new HashMap<>();
        env.put("TRUSTPILOT_API_KEY", Mock.API_KEY);
        env.put("TRUSTPILOT_API_SECRET", Mock.API_SECRET);
        env.put("TRUSTPILOT_USERNAME", Mock.USERNAME);
        env.put("TRUSTPILOT_PASSWORD", Mock.PASSWORD);
        env.put("TRUSTPILOT_API_HOST", Mock.url());
        env.put("TRUSTPILOT_ALLOW_INSECURE_HTTP", "true");
        try (Auth auth = Auth.fromEnv(env::get)) {
            assertEquals(200, auth.request("GET", "/v1/private/x").status());
            assertTrue(((String) Mock.lastTokenRequest().get("body")).contains("username=user%40example.com"));
        }
        env.put("TRUSTPILOT_TIMEOUT_MS", "soon");
        assertTrue(assertThrows(InvalidArgumentException.class, () -> Auth.fromEnv(env::get)).getMessage().contains("TRUSTPILOT_TIMEOUT_MS"));
        env.remove("TRUSTPILOT_TIMEOUT_MS");
        env.remove("TRUSTPILOT_API_SECRET");
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> Auth.fromEnv(env::get));
        assertTrue(e.getMessage().contains("TRUSTPILOT_API_SECRET"), e.getMessage());
        env.put("TRUSTPILOT_API_SECRET", Mock.API_SECRET);
        assertThrows(IllegalStateException.class, () -> Auth.fromEnv(name -> {
            throw new IllegalStateException("a lookup that fails");
        }).close(), "an exception of the lookup is not swallowed");
    }

    @Test
    void fromEnvReadsEveryOptionTheNativeLibraryLists() {
        // Driven by the library's own list (tp_option_name): for every option whose value the
        // builder refuses, the same value through TRUSTPILOT_<KEY> must fail naming the variable.
        List<String> keys = Tpauth.optionKeys();
        assertEquals("api_base_url", keys.get(0));
        assertTrue(keys.contains("token_cache"));
        int checked = 0;
        for (String key : keys) {
            String bad = "bad\u0001value";
            try {
                mockBuilder().option(key, bad).build().close();
                continue; // a value this option accepts
            } catch (InvalidArgumentException direct) {
                if (!direct.getMessage().contains("option " + key)) {
                    continue;
                }
            } catch (TpauthException later) {
                continue;
            }
            String name = key.equals("api_base_url") ? "TRUSTPILOT_API_HOST" : "TRUSTPILOT_" + key.toUpperCase(java.util.Locale.ROOT);
            Map<String, String> env = new HashMap<>();
            env.put("TRUSTPILOT_API_KEY", Mock.API_KEY);
            env.put("TRUSTPILOT_API_SECRET", Mock.API_SECRET);
            env.put(name, bad);
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> Auth.fromEnv(env::get), name);
            assertTrue(e.getMessage().contains(name), e.getMessage());
            checked++;
        }
        assertTrue(checked > keys.size() / 2, checked + " of " + keys.size());
    }

    @Test
    void apiHeadersComeFromTheLibraryAndForeignHostsAreRefused() {
        try (Auth auth = passwordAuth("business_user_id", "bu-1")) {
            List<Map.Entry<String, String>> h = auth.apiHeaders("GET", Mock.url() + "/v1/private/x");
            assertEquals(3, h.size(), h.toString());
            assertEquals("Authorization", h.get(0).getKey());
            assertEquals("Bearer " + auth.getToken().accessToken(), h.get(0).getValue());
            assertEquals("apikey", h.get(1).getKey());
            assertEquals(Mock.API_KEY, h.get(1).getValue());
            assertEquals("x-business-user-id", h.get(2).getKey());
            assertEquals("bu-1", h.get(2).getValue());
            assertEquals(1, Mock.tokenRequests());
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> auth.apiHeaders("GET", "https://evil.example.com/x"));
            assertTrue(e.getMessage().contains("evil.example.com"), e.getMessage());
            assertThrows(InvalidArgumentException.class, () -> auth.checkTokenUrl("https://evil.example.com/x"));
            auth.checkTokenUrl("https://api.trustpilot.com/v1/x");
            PreparedCall own = auth.prepareApiCall("GET", Mock.url() + "/v1/x", java.util.Arrays.asList("X-Business-User-Id", "Accept"));
            assertEquals(2, own.headers().size(), "the caller's own x-business-user-id is kept");
            assertEquals(auth.getToken().accessToken(), own.accessToken());
            assertFalse(own.toString().contains(own.accessToken()));
        }
    }

    @Test
    void prepareApiCallJudgesTheUrlAndCanDeclineToRenew() {
        try (Auth auth = passwordAuth("business_user_id", "bu-1")) {
            PreparedCall path = auth.prepareApiCall("POST", "/v1/private/x?a=1", null);
            assertEquals(Mock.url() + "/v1/private/x?a=1", path.url(), "a path is joined to api_base_url");
            assertEquals(java.util.Arrays.asList("Authorization", "apikey", "x-business-user-id"),
                    path.headers().stream().map(Map.Entry::getKey).collect(java.util.stream.Collectors.toList()));
            for (String refused : new String[] {"//evil.example.com/x", "https:evil.example.com/x", "/\\evil.example.com/x", "ftp://x/y"}) {
                assertThrows(InvalidArgumentException.class, () -> auth.prepareApiCall("GET", refused, null), refused);
            }
            assertThrows(InvalidArgumentException.class, () -> auth.prepareApiCall("GET\r\n", "/v1/x", null), "a bad method");
            auth.invalidateToken(path.accessToken());
            long before = Mock.tokenRequests();
            assertNull(auth.prepareApiCall("GET", "/v1/x", null, false), "no fresh token: null at once, without renewing");
            assertEquals(before, Mock.tokenRequests());
            PreparedCall renewed = auth.prepareApiCall("GET", "/v1/x", null, true);
            assertNotEquals(path.accessToken(), renewed.accessToken());
            assertEquals(renewed.accessToken(), auth.prepareApiCall("GET", "/v1/x", null, false).accessToken());
        }
    }

    @Test
    void theLogHandlerReportsARenewalWithoutSecrets() {
        List<String> messages = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        Tpauth.setLogHandler((level, message) -> messages.add(level + " " + message));
        try (Auth auth = passwordAuth()) {
            Token t = auth.getToken();
            auth.invalidateToken(t.accessToken());
            Token again = auth.getToken();
            assertFalse(messages.isEmpty(), "a renewal is logged");
            for (String m : messages) {
                assertNoSecret(m, t.accessToken(), t.refreshToken(), again.accessToken(), again.refreshToken());
            }
        } finally {
            Tpauth.setLogHandler(null);
        }
        int n = messages.size();
        try (Auth auth = passwordAuth()) {
            auth.getToken();
        }
        assertEquals(n, messages.size(), "no messages after removal");
    }

    @Test
    void noSecretInAnyMessageEvenWhenTheServerEchoesTheRequest() {
        // A careless server that echoes the whole request (Authorization and body) in its error.
        Mock.fault("{\"kind\":\"echo_request\"}");
        try (Auth auth = passwordAuth("max_retries", "0")) {
            TpauthException e = assertThrows(TpauthException.class, auth::getToken);
            assertNoSecret(e.getMessage() + e.toString(), Base64.getEncoder().encodeToString("mock-api-key:mock-api-secret".getBytes(StandardCharsets.UTF_8)));
            Token t = auth.passwordGrant(Mock.USERNAME, Mock.PASSWORD);
            Mock.fault("{\"kind\":\"echo_request\"}");
            TpauthException r = assertThrows(TpauthException.class, () -> auth.refresh());
            assertNoSecret(r.getMessage() + r.toString(), t.refreshToken(), t.accessToken());
            Auth.Builder b = passwordAuthBuilder();
            assertNoSecret(b.toString() + auth.toString() + t.toString() + auth.request("GET", "/v1/private/x").toString(),
                    t.accessToken(), t.refreshToken());
        }
    }

    private static Auth.Builder passwordAuthBuilder() {
        return mockBuilder().username(Mock.USERNAME).password(Mock.PASSWORD);
    }
}
