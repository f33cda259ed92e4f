package io.github.tpauth.okhttp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.tpauth.Auth;
import io.github.tpauth.InvalidArgumentException;
import io.github.tpauth.testing.Concurrently;
import io.github.tpauth.testing.ForeignServer;
import io.github.tpauth.testing.Json;
import io.github.tpauth.testing.Mock;
import java.io.IOException;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TpauthInterceptorTest {
    private Auth auth;

    @BeforeEach
    void setUp() {
        Mock.reset();
        auth = Auth.builder(Mock.API_KEY, Mock.API_SECRET).apiBaseUrl(Mock.url()).allowInsecureHttp(true)
                .username(Mock.USERNAME).password(Mock.PASSWORD).businessUserId(Mock.BUSINESS_USER_ID).build();
    }

    @AfterEach
    void tearDown() {
        auth.close();
    }

    private OkHttpClient client(boolean interceptor, boolean authenticator) {
        TpauthInterceptor t = new TpauthInterceptor(auth);
        OkHttpClient.Builder b = new OkHttpClient.Builder();
        if (interceptor) {
            b.addInterceptor(t);
        }
        if (authenticator) {
            b.authenticator(t);
        }
        return b.build();
    }

    private static String get(OkHttpClient http, String url) throws IOException {
        try (Response r = http.newCall(new Request.Builder().url(url).build()).execute()) {
            return r.code() + " " + r.body().string();
        }
    }

    @Test
    void addsTheTokenApiKeyAndBusinessUserIdFromTheLibrary() throws Exception {
        OkHttpClient http = TpauthInterceptor.install(new OkHttpClient.Builder(), auth).build();
        Request req = new Request.Builder().url(Mock.url() + "/v1/private/business-units/x/reviews?page=1")
                .header("AUTHORIZATION", "Bearer stale").header("ApiKey", "other").header("Accept", "application/json").build();
        try (Response r = http.newCall(req).execute()) {
            assertEquals(200, r.code());
            Map<String, Object> echo = Json.object(r.body().string());
            assertEquals("/v1/private/business-units/x/reviews", echo.get("path"));
            assertEquals(Mock.BUSINESS_USER_ID, echo.get("business_user_id"));
        }
        Map<String, Object> sent = Mock.lastApiRequest();
        assertEquals("Bearer " + auth.getToken().accessToken(), Mock.header(sent, "authorization"));
        assertEquals(Mock.API_KEY, Mock.header(sent, "apikey"));
        assertEquals("application/json", Mock.header(sent, "accept"), "the caller's other headers are kept");
        assertEquals(1, Mock.tokenRequests());
    }

    @Test
    void aRequestsOwnBusinessUserIdIsKept() throws Exception {
        OkHttpClient http = client(true, true);
        Request req = new Request.Builder().url(Mock.url() + "/v1/private/x").header("X-Business-User-Id", "another-user").build();
        try (Response r = http.newCall(req).execute()) {
            assertEquals("another-user", Json.object(r.body().string()).get("business_user_id"));
        }
        assertEquals("another-user", Mock.header(Mock.lastApiRequest(), "x-business-user-id"));
    }

    @Test
    void aForeignHostIsRefusedBeforeAnythingIsSent() throws Exception {
        try (ForeignServer foreign = new ForeignServer()) {
            OkHttpClient http = client(true, true);
            TpauthIOException e = assertThrows(TpauthIOException.class, () -> get(http, foreign.url() + "/v1/private/x"));
            assertInstanceOf(InvalidArgumentException.class, e.getCause());
            assertTrue(e.getMessage().contains("127.0.0.1"), e.getMessage());
            // asynchronously: the callback's onFailure, not a crashed dispatcher thread
            CompletableFuture<IOException> failure = new CompletableFuture<>();
            http.newCall(new Request.Builder().url(foreign.url() + "/x").build()).enqueue(new Callback() {
                @Override
                public void onFailure(Call call, IOException err) {
                    failure.complete(err);
                }

                @Override
                public void onResponse(Call call, Response response) {
                    response.close();
                    failure.complete(null);
                }
            });
            assertInstanceOf(TpauthIOException.class, failure.get(30, TimeUnit.SECONDS));
            assertEquals(Collections.emptyList(), foreign.received, "the foreign host got nothing");
            assertEquals(0, Mock.tokenRequests(), "no token was even obtained");
        }
    }

    @Test
    void renewsOnceAndResendsOnceAfterA401AsInterceptorAloneOrAlsoAsAuthenticator() throws Exception {
        boolean[][] setups = {{true, false}, {true, true}};
        for (boolean[] s : setups) {
            Mock.reset();
            String label = (s[0] ? "interceptor " : "") + (s[1] ? "authenticator" : "");
            OkHttpClient http = client(s[0], s[1]);
            String first = get(http, Mock.url() + "/v1/private/x");
            assertTrue(first.startsWith("200 "), label + ": " + first);
            long tokens = Mock.tokenRequests();
            String before = auth.getToken().accessToken();
            Mock.expireAll();
            assertTrue(get(http, Mock.url() + "/v1/private/x").startsWith("200 "), label);
            assertEquals(tokens + 1, Mock.tokenRequests(), label + ": one renewal");
            assertNotEquals(before, auth.getToken().accessToken(), label);

            long api = Mock.stat("api_requests");
            Mock.fault("{\"kind\":\"401\",\"count\":5}");
            assertTrue(get(http, Mock.url() + "/v1/private/x").startsWith("401 "), label + ": the second 401 goes to the caller");
            assertEquals(api + 2, Mock.stat("api_requests"), label + ": sent, then resent once");
            assertEquals(tokens + 2, Mock.tokenRequests(), label + ": one renewal for the refused token");
        }
    }

    @Test
    void aPostBodyIsResentWithTheRenewedToken() throws Exception {
        OkHttpClient http = client(true, true);
        auth.getToken();
        Mock.expireAll();
        Request req = new Request.Builder().url(Mock.url() + "/v1/private/invitations")
                .post(RequestBody.create("{\"n\":1}", MediaType.get("application/json"))).build();
        try (Response r = http.newCall(req).execute()) {
            assertEquals(200, r.code());
            assertEquals("{\"n\":1}", Json.object(r.body().string()).get("body"));
        }
    }

    @Test
    void sixtyFourRequestsRefusedWithOneTokenCauseOneRenewal() throws Exception {
        final int threads = 64;
        OkHttpClient http = new OkHttpClient.Builder().addInterceptor(new TpauthInterceptor(auth)).authenticator(new TpauthInterceptor(auth))
                .dispatcher(new okhttp3.Dispatcher()).build();
        http.dispatcher().setMaxRequestsPerHost(threads);
        assertTrue(get(http, Mock.url() + "/v1/private/x").startsWith("200"));
        Mock.expireAll();
        List<String> results = Concurrently.results(threads, () -> get(http, Mock.url() + "/v1/private/x").substring(0, 3));
        assertEquals(Collections.singleton("200"), new HashSet<>(results), results.toString());
        assertEquals(2, Mock.tokenRequests(), "one renewal for 64 refused requests");
    }

    @Test
    void aNullAuthIsInvalidArgument() {
        assertThrows(InvalidArgumentException.class, () -> new TpauthInterceptor(null));
    }
}
