package io.github.tpauth.spring;

import io.github.tpauth.Auth;
import io.github.tpauth.InvalidArgumentException;
import io.github.tpauth.PreparedCall;
import java.io.IOException;
import java.lang.reflect.Method;
import java.net.URI;
import java.util.Collections;
import java.util.Map;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpRequest;
import org.springframework.http.client.ClientHttpRequestExecution;
import org.springframework.http.client.ClientHttpRequestInterceptor;
import org.springframework.http.client.ClientHttpResponse;
import org.springframework.http.client.support.HttpRequestWrapper;

/**
 * Trustpilot's authentication for Spring's {@code RestTemplate} and {@code RestClient}: adds
 * {@code Authorization} (the managed token), {@code apikey} and, when configured,
 * {@code x-business-user-id} to every request, as the native library composes them
 * ({@link Auth#prepareApiCall}); a request to a host that may not see the token fails before
 * anything is sent, with the typed {@link io.github.tpauth.TpauthException}. After a 401 it reports
 * the token it sent ({@link Auth#invalidateToken}: N concurrent 401s cause one renewal), takes the
 * renewed one and resends the request once.
 *
 * <pre>{@code
 * RestTemplate rest = new RestTemplate();
 * rest.getInterceptors().add(new TpauthRequestInterceptor(auth));
 * // Spring 6.1+: RestClient.builder().requestInterceptor(new TpauthRequestInterceptor(auth)).build()
 * }</pre>
 *
 * Register it last: the resend runs the interceptors after it again, not those before. Works with
 * Spring 5.3 (Java 8) to 7; the request factory should not follow redirects to other hosts (the
 * JDK's HttpURLConnection, Spring's default, follows GET redirects with the same headers).
 */
public final class TpauthRequestInterceptor implements ClientHttpRequestInterceptor {
    private static final String BUSINESS_USER_ID = "x-business-user-id";

    private final Auth auth;

    /** Authentication with {@code auth}'s token (the caller keeps and closes {@code auth}). */
    public TpauthRequestInterceptor(Auth auth) {
        if (auth == null) {
            throw new InvalidArgumentException("auth must not be null");
        }
        this.auth = auth;
    }

    @Override
    public ClientHttpResponse intercept(HttpRequest request, byte[] body, ClientHttpRequestExecution execution) throws IOException {
        PreparedCall call = authorize(request);
        ClientHttpResponse response = execution.execute(at(request, call), body);
        if (StatusCode.of(response) != 401 || call.accessToken() == null) {
            return response;
        }
        response.close();
        auth.invalidateToken(call.accessToken());
        return execution.execute(at(request, authorize(request)), body);
    }

    /** {@code request}, sent to the URL the library judged. */
    private static HttpRequest at(HttpRequest request, PreparedCall call) {
        final URI url = URI.create(call.url());
        if (url.equals(request.getURI())) {
            return request;
        }
        return new HttpRequestWrapper(request) {
            @Override
            public URI getURI() {
                return url;
            }
        };
    }

    /** Sets the call's headers on {@code request} (each replacing the request's header of that name, in any case). */
    private PreparedCall authorize(HttpRequest request) {
        HttpHeaders headers = request.getHeaders();
        // The merge rule needs only to know whether the request brings its own business user.
        Iterable<String> own = headers.getFirst(BUSINESS_USER_ID) != null ? Collections.singletonList(BUSINESS_USER_ID)
                : Collections.<String>emptyList();
        PreparedCall call = auth.prepareApiCall(request.getMethod().name(), request.getURI().toString(), own);
        for (Map.Entry<String, String> h : call.headers()) {
            headers.set(h.getKey(), h.getValue());
        }
        return call;
    }

    /**
     * A response's status number on every Spring version: 5.3's {@code getStatusCode()} returns the
     * {@code HttpStatus} enum, 6's and 7's the {@code HttpStatusCode} interface (a different method
     * to the JVM), and {@code getRawStatusCode()} is gone from 7; both types have {@code value()}.
     */
    static final class StatusCode {
        private static volatile Method getStatusCode;
        private static volatile Method value;

        static int of(ClientHttpResponse response) throws IOException {
            try {
                Method g = getStatusCode;
                if (g == null) {
                    getStatusCode = g = ClientHttpResponse.class.getMethod("getStatusCode");
                }
                Object status = g.invoke(response);
                Method v = value;
                if (v == null || !v.getDeclaringClass().isInstance(status)) {
                    value = v = g.getReturnType().getMethod("value");
                }
                return (Integer) v.invoke(status);
            } catch (java.lang.reflect.InvocationTargetException e) {
                if (e.getCause() instanceof IOException) {
                    throw (IOException) e.getCause();
                }
                if (e.getCause() instanceof RuntimeException) {
                    throw (RuntimeException) e.getCause();
                }
                throw new IOException(e.getCause());
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("this Spring's ClientHttpResponse has no getStatusCode().value()", e);
            }
        }
    }

    @Override
    public String toString() {
        return "TpauthRequestInterceptor{" + auth + "}";
    }
}
