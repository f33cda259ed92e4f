package io.github.tpauth.http;

import io.github.tpauth.Auth;
import io.github.tpauth.InvalidArgumentException;
import io.github.tpauth.PreparedCall;
import java.io.IOException;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * Trustpilot's authentication for {@code java.net.http} (Java 11+): an {@link HttpClient} that
 * adds {@code Authorization} (the managed token), {@code apikey} and, when configured,
 * {@code x-business-user-id} to every request, as the native library composes them
 * ({@link Auth#prepareApiCall}), and sends it through the {@code HttpClient} it wraps. A request to
 * a host that may not see the token fails before anything is sent. After a 401 it reports the
 * token it sent ({@link Auth#invalidateToken}: N concurrent 401s cause one renewal), takes the
 * renewed one and resends the request once (its body publisher must be reusable, as
 * {@code BodyPublishers.ofString}/{@code ofByteArray}/{@code ofFile} are).
 *
 * <pre>{@code
 * HttpClient http = TpauthHttpClient.create(auth);               // or wrap(auth, yourClient)
 * HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("https://api.trustpilot.com/v1/...")).build(),
 *         HttpResponse.BodyHandlers.ofString());
 * }</pre>
 *
 * A failure to get the token is the typed {@link io.github.tpauth.TpauthException} itself from
 * {@link #send}, and the cause of the {@link CompletionException} of {@link #sendAsync}'s future.
 * {@code send} obtains the token on the calling thread; {@code sendAsync} takes a fresh one at once
 * and leaves a renewal (which blocks) to the wrapped client's executor, else a small daemon pool. WebSockets get no
 * token.
 */
public final class TpauthHttpClient extends HttpClient {
    private static final Executor DEFAULT_EXECUTOR = daemonPool();

    private final Auth auth;
    private final HttpClient inner;
    private final Executor executor;

    private TpauthHttpClient(Auth auth, HttpClient inner) {
        if (auth == null) {
            throw new InvalidArgumentException("auth must not be null");
        }
        if (inner == null) {
            throw new InvalidArgumentException("inner must not be null");
        }
        if (inner.followRedirects() != Redirect.NEVER) {
            // A redirect is sent with the same headers, wherever it points.
            throw new InvalidArgumentException("the wrapped HttpClient follows redirects (" + inner.followRedirects()
                    + "), which could carry the token to another host: build it with followRedirects(Redirect.NEVER)");
        }
        this.auth = auth;
        this.inner = inner;
        this.executor = inner.executor().orElse(DEFAULT_EXECUTOR);
    }

    /** A client over {@link HttpClient#newHttpClient()} (the caller keeps and closes {@code auth}). */
    public static TpauthHttpClient create(Auth auth) {
        return new TpauthHttpClient(auth, HttpClient.newHttpClient());
    }

    /**
     * A client that sends through {@code inner} (its timeouts, proxy, TLS settings, executor),
     * which must not follow redirects (the default of {@link HttpClient#newBuilder()}).
     *
     * @throws InvalidArgumentException {@code inner} follows redirects
     */
    public static TpauthHttpClient wrap(Auth auth, HttpClient inner) {
        return new TpauthHttpClient(auth, inner);
    }

    private static Executor daemonPool() {
        AtomicInteger n = new AtomicInteger();
        ThreadFactory f = r -> {
            Thread t = new Thread(r, "tpauth-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        ExecutorService pool = Executors.newCachedThreadPool(f);
        return pool;
    }

    // ---- sending --------------------------------------------------------------------------------

    @Override
    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) throws IOException, InterruptedException {
        PreparedCall call = prepare(request);
        HttpResponse<T> response = inner.send(authorized(request, call), handler);
        if (response.statusCode() != 401 || call.accessToken() == null) {
            return response;
        }
        auth.invalidateToken(call.accessToken());
        return inner.send(authorized(request, prepare(request)), handler);
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        return sendAsync(request, handler, null);
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler,
                                                            HttpResponse.PushPromiseHandler<T> pushPromiseHandler) {
        return prepareAsync(request).thenCompose(call -> inner.sendAsync(authorized(request, call), handler, pushPromiseHandler)
                .thenCompose(response -> {
                    if (response.statusCode() != 401 || call.accessToken() == null) {
                        return CompletableFuture.completedFuture(response);
                    }
                    auth.invalidateToken(call.accessToken());
                    return prepareAsync(request).thenCompose(again -> inner.sendAsync(authorized(request, again), handler, pushPromiseHandler));
                }));
    }

    private PreparedCall prepare(HttpRequest request) {
        return auth.prepareApiCall(request.method(), request.uri().toString(), request.headers().map().keySet());
    }

    /** The call at once while the token is fresh (no blocking); else renewed on the executor. */
    private CompletableFuture<PreparedCall> prepareAsync(HttpRequest request) {
        try {
            PreparedCall now = auth.prepareApiCall(request.method(), request.uri().toString(), request.headers().map().keySet(), false);
            if (now != null) {
                return CompletableFuture.completedFuture(now);
            }
        } catch (RuntimeException e) {
            CompletableFuture<PreparedCall> failed = new CompletableFuture<>();
            failed.completeExceptionally(e);
            return failed;
        }
        return CompletableFuture.supplyAsync(() -> prepare(request), executor);
    }

    /** {@code request} with the call's URL and headers (each replacing the request's header of that name, in any case). */
    static HttpRequest authorized(HttpRequest request, PreparedCall call) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(call.url()))
                .method(request.method(), request.bodyPublisher().orElse(HttpRequest.BodyPublishers.noBody()))
                .expectContinue(request.expectContinue());
        request.timeout().ifPresent(b::timeout);
        request.version().ifPresent(b::version);
        Set<String> replaced = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        for (Map.Entry<String, String> h : call.headers()) {
            replaced.add(h.getKey());
        }
        HttpHeaders headers = request.headers();
        for (Map.Entry<String, List<String>> h : headers.map().entrySet()) {
            if (!replaced.contains(h.getKey())) {
                for (String v : h.getValue()) {
                    b.header(h.getKey(), v);
                }
            }
        }
        for (Map.Entry<String, String> h : call.headers()) {
            b.setHeader(h.getKey(), h.getValue());
        }
        return b.build();
    }

    // ---- the wrapped client's settings ----------------------------------------------------------

    @Override
    public Optional<CookieHandler> cookieHandler() {
        return inner.cookieHandler();
    }

    @Override
    public Optional<Duration> connectTimeout() {
        return inner.connectTimeout();
    }

    @Override
    public Redirect followRedirects() {
        return inner.followRedirects();
    }

    @Override
    public Optional<ProxySelector> proxy() {
        return inner.proxy();
    }

    @Override
    public SSLContext sslContext() {
        return inner.sslContext();
    }

    @Override
    public SSLParameters sslParameters() {
        return inner.sslParameters();
    }

    @Override
    public Optional<Authenticator> authenticator() {
        return inner.authenticator();
    }

    @Override
    public Version version() {
        return inner.version();
    }

    @Override
    public Optional<Executor> executor() {
        return inner.executor();
    }

    /** The wrapped client's WebSocket builder: WebSockets get no token. */
    @Override
    public WebSocket.Builder newWebSocketBuilder() {
        return inner.newWebSocketBuilder();
    }

    @Override
    public String toString() {
        return "TpauthHttpClient{" + auth + "}";
    }
}
