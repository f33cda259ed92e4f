package io.github.tpauth.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.tpauth.Auth;
import io.github.tpauth.InvalidArgumentException;
import io.github.tpauth.testing.Concurrently;
import io.github.tpauth.testing.ForeignServer;
import io.github.tpauth.testing.Json;
import io.github.tpauth.testing.Mock;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.client.SimpleClientHttpRequestFactory;
import org.springframework.web.client.DefaultResponseErrorHandler;
import org.springframework.web.client.RestTemplate;

class TpauthRequestInterceptorTest {
    private Auth auth;
    private RestTemplate rest;

    @BeforeEach
    void setUp() {
        Mock.reset();
        auth = Auth.builder(Mock.API_KEY, Mock.API_SECRET).apiBaseUrl(Mock.url()).allowInsecureHttp(true)
                .username(Mock.USERNAME).password(Mock.PASSWORD).businessUserId(Mock.BUSINESS_USER_ID).build();
        rest = new RestTemplate(new SimpleClientHttpRequestFactory());
        rest.getInterceptors().add(new TpauthRequestInterceptor(auth));
        rest.setErrorHandler(new DefaultResponseErrorHandler() {
            @Override
            public boolean hasError(org.springframework.http.client.ClientHttpResponse response) {
                return false; // the tests look at every status themselves
            }
        });
    }

    @AfterEach
    void tearDown() {
        auth.close();
    }

    private ResponseEntity<String> get(String url, HttpHeaders headers) {
        return rest.exchange(url, HttpMethod.GET, new HttpEntity<>(headers), String.class);
    }

    @Test
    void addsTheTokenApiKeyAndBusinessUserIdFromTheLibrary() {
        HttpHeaders h = new HttpHeaders();
        h.set("AUTHORIZATION", "Bearer stale");
        h.set("ApiKey", "other");
        h.set("Accept", "application/json");
        ResponseEntity<String> r = get(Mock.url() + "/v1/private/business-units/x/reviews?page=1", h);
        assertEquals(200, r.getStatusCodeValue());
        Map<String, Object> echo = Json.object(r.getBody());
        assertEquals("/v1/private/business-units/x/reviews", echo.get("path"));
        Map<String, Object> sent = Mock.lastApiRequest();
        assertEquals("Bearer " + auth.getToken().accessToken(), Mock.header(sent, "authorization"));
        assertEquals(Mock.API_KEY, Mock.header(sent, "apikey"));
        assertEquals(Mock.BUSINESS_USER_ID, Mock.header(sent, "x-business-user-id"));
        assertEquals("application/json", Mock.header(sent, "accept"));
        assertEquals(1, Mock.tokenRequests());
    }

    @Test
    void aRequestsOwnBusinessUserIdIsKept() {
        HttpHeaders h = new HttpHeaders();
        h.set("X-Business-User-Id", "another-user");
        assertEquals("another-user", Json.object(get(Mock.url() + "/v1/private/x", h).getBody()).get("business_user_id"));
    }

    @Test
    void aForeignHostIsRefusedBeforeAnythingIsSent() throws Exception {
        try (ForeignServer foreign = new ForeignServer()) {
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> get(foreign.url() + "/v1/private/x", new HttpHeaders()));
            assertTrue(e.getMessage().contains("127.0.0.1"), e.getMessage());
            assertEquals(Collections.emptyList(), foreign.received);
            assertEquals(0, Mock.tokenRequests());
        }
    }

    @Test
    void renewsOnceAndResendsOnceAfterA401() {
        assertEquals(200, get(Mock.url() + "/v1/private/x", new HttpHeaders()).getStatusCodeValue());
        String before = auth.getToken().accessToken();
        Mock.expireAll();
        HttpHeaders json = new HttpHeaders();
        json.setContentType(MediaType.APPLICATION_JSON);
        ResponseEntity<String> r = rest.exchange(Mock.url() + "/v1/private/invitations", HttpMethod.POST, new HttpEntity<>("{\"n\":1}", json), String.class);
        assertEquals(200, r.getStatusCodeValue());
        assertEquals("{\"n\":1}", Json.object(r.getBody()).get("body"), "the body is resent");
        assertEquals(2, Mock.tokenRequests());
        assertNotEquals(before, auth.getToken().accessToken());
        long api = Mock.stat("api_requests");
        Mock.fault("{\"kind\":\"401\",\"count\":5}");
        assertEquals(401, get(Mock.url() + "/v1/private/x", new HttpHeaders()).getStatusCodeValue(), "the second 401 goes to the caller");
        assertEquals(api + 2, Mock.stat("api_requests"), "sent, then resent once");
        assertEquals(3, Mock.tokenRequests());
    }

    @Test
    void sixtyFourRequestsRefusedWithOneTokenCauseOneRenewal() throws Exception {
        final int threads = 64;
        assertEquals(200, get(Mock.url() + "/v1/private/x", new HttpHeaders()).getStatusCodeValue());
        Mock.expireAll();
        List<String> results = Concurrently.results(threads, () -> "" + get(Mock.url() + "/v1/private/x", new HttpHeaders()).getStatusCodeValue());
        assertEquals(Collections.singleton("200"), new HashSet<>(results), results.toString());
        assertEquals(2, Mock.tokenRequests(), "one renewal for 64 refused requests");
    }

    @Test
    void aNullAuthIsInvalidArgument() {
        assertThrows(InvalidArgumentException.class, () -> new TpauthRequestInterceptor(null));
    }
}
