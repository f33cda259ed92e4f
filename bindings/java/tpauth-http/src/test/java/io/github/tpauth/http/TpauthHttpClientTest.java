package io.github.tpauth.http;

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
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TpauthHttpClientTest {
    private Auth auth;
    private HttpClient http;

    @BeforeEach
    void setUp() {
        Mock.reset();
        auth = Auth.builder(Mock.API_KEY, Mock.API_SECRET).apiBaseUrl(Mock.url()).allowInsecureHttp(true)
                .username(Mock.USERNAME).password(Mock.PASSWORD).businessUserId(Mock.BUSINESS_USER_ID).build();
        http = TpauthHttpClient.create(auth);
    }

    @AfterEach
    void tearDown() {
        auth.close();
    }

    private static HttpRequest get(String url) {
        return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build();
    }

    @Test
    void addsTheTokenApiKeyAndBusinessUserIdFromTheLibrary() throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(Mock.url() + "/v1/private/business-units/x/reviews?page=1"))
                .header("AUTHORIZATION", "Bearer stale").header("ApiKey", "other").header("Accept", "application/json").build();
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        Map<String, Object> echo = Json.object(r.body());
        assertEquals("/v1/private/business-units/x/reviews", echo.get("path"));
        assertEquals("page=1", echo.get("query"));
        Map<String, Object> sent = Mock.lastApiRequest();
        assertEquals("Bearer " + auth.getToken().accessToken(), Mock.header(sent, "authorization"));
        assertEquals(Mock.API_KEY, Mock.header(sent, "apikey"));
        assertEquals(Mock.BUSINESS_USER_ID, Mock.header(sent, "x-business-user-id"));
        assertEquals("application/json", Mock.header(sent, "accept"), "the caller's other headers are kept");
        HttpResponse<String> async = http.sendAsync(get(Mock.url() + "/v1/private/y"), HttpResponse.BodyHandlers.ofString()).get();
        assertEquals(200, async.statusCode());
        assertEquals(1, Mock.tokenRequests());
    }

    @Test
    void aRequestsOwnBusinessUserIdIsKept() throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(Mock.url() + "/v1/private/x")).header("X-Business-User-Id", "another-user").build();
        assertEquals("another-user", Json.object(http.send(req, HttpResponse.BodyHandlers.ofString()).body()).get("business_user_id"));
    }

    @Test
    void aForeignHostIsRefusedBeforeAnythingIsSent() throws Exception {
        try (ForeignServer foreign = new ForeignServer()) {
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                    () -> http.send(get(foreign.url() + "/v1/private/x"), HttpResponse.BodyHandlers.ofString()));
            assertTrue(e.getMessage().contains("127.0.0.1"), e.getMessage());
            CompletableFuture<HttpResponse<String>> f = http.sendAsync(get(foreign.url() + "/x"), HttpResponse.BodyHandlers.ofString());
            ExecutionException async = assertThrows(ExecutionException.class, f::get);
            assertInstanceOf(InvalidArgumentException.class, async.getCause());
            assertEquals(Collections.emptyList(), foreign.received, "the foreign host got nothing");
            assertEquals(0, Mock.tokenRequests());
        }
    }

    @Test
    void aClientThatFollowsRedirectsIsRefused() {
        HttpClient follows = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build();
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> TpauthHttpClient.wrap(auth, follows));
        assertTrue(e.getMessage().contains("Redirect.NEVER"), e.getMessage());
        TpauthHttpClient.wrap(auth, HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build());
    }

    @Test
    void renewsOnceAndResendsOnceAfterA401SyncAndAsync() throws Exception {
        for (boolean async : new boolean[] {false, true}) {
            Mock.reset();
            String label = async ? "sendAsync" : "send";
            assertEquals(200, send(get(Mock.url() + "/v1/private/x"), async).statusCode());
            String before = auth.getToken().accessToken();
            long tokens = Mock.tokenRequests();
            Mock.expireAll();
            HttpRequest post = HttpRequest.newBuilder(URI.create(Mock.url() + "/v1/private/invitations"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"n\":1}")).header("Content-Type", "application/json").build();
            HttpResponse<String> r = send(post, async);
            assertEquals(200, r.statusCode(), label);
            assertEquals("{\"n\":1}", Json.object(r.body()).get("body"), label + ": the body is resent");
            assertEquals(tokens + 1, Mock.tokenRequests(), label + ": one renewal");
            assertNotEquals(before, auth.getToken().accessToken());
            long api = Mock.stat("api_requests");
            Mock.fault("{\"kind\":\"401\",\"count\":5}");
            assertEquals(401, send(get(Mock.url() + "/v1/private/x"), async).statusCode(), label + ": the second 401 goes to the caller");
            assertEquals(api + 2, Mock.stat("api_requests"), label + ": sent, then resent once");
            assertEquals(tokens + 2, Mock.tokenRequests(), label);
        }
    }

    private HttpResponse<String> send(HttpRequest r, boolean async) throws Exception {
        return async ? http.sendAsync(r, HttpResponse.BodyHandlers.ofString()).get() : http.send(r, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void sixtyFourRequestsRefusedWithOneTokenCauseOneRenewal() throws Exception {
        final int threads = 64;
        assertEquals(200, http.send(get(Mock.url() + "/v1/private/x"), HttpResponse.BodyHandlers.ofString()).statusCode());
        Mock.expireAll();
        List<String> results = Concurrently.results(threads, () -> "" + http.send(get(Mock.url() + "/v1/private/x"), HttpResponse.BodyHandlers.ofString()).statusCode());
        assertEquals(Collections.singleton("200"), new HashSet<>(results), results.toString());
        assertEquals(2, Mock.tokenRequests(), "one renewal for 64 refused requests");
    }

    @Test
    void theWrappedClientsSettingsShowThrough() {
        HttpClient inner = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(7)).version(HttpClient.Version.HTTP_1_1).build();
        HttpClient c = TpauthHttpClient.wrap(auth, inner);
        assertEquals(Duration.ofSeconds(7), c.connectTimeout().get());
        assertEquals(HttpClient.Version.HTTP_1_1, c.version());
        assertEquals(HttpClient.Redirect.NEVER, c.followRedirects());
        assertTrue(!c.toString().contains(auth.getToken().accessToken()));
    }
}
