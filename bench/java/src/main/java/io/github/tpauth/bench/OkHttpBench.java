package io.github.tpauth.bench;

import io.github.tpauth.Auth;
import io.github.tpauth.okhttp.TpauthInterceptor;
import io.github.tpauth.testing.Mock;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * An authorized GET through OkHttp with {@link TpauthInterceptor} beside OkHttp with a static
 * header (the same token, set by a one-line interceptor): against the mock over loopback
 * keep-alive, and over a last interceptor that answers without I/O, which isolates what the
 * interceptor itself costs per request.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class OkHttpBench {
    Auth auth;
    Request request;
    OkHttpClient tpauth;
    OkHttpClient staticHeader;
    OkHttpClient tpauthNoIo;
    OkHttpClient staticHeaderNoIo;

    /** Answers 200 without sending anything. */
    static final Interceptor NO_IO = chain -> new Response.Builder().request(chain.request()).protocol(Protocol.HTTP_1_1).code(200)
            .message("OK").body(ResponseBody.create("{}", MediaType.get("application/json"))).build();

    @Setup
    public void setUp() {
        Mock.reset();
        auth = Auth.builder(Mock.API_KEY, Mock.API_SECRET).apiBaseUrl(Mock.url()).allowInsecureHttp(true)
                .username(Mock.USERNAME).password(Mock.PASSWORD).build();
        String bearer = "Bearer " + auth.getToken().accessToken();
        Interceptor fixed = chain -> chain.proceed(chain.request().newBuilder().header("Authorization", bearer)
                .header("apikey", Mock.API_KEY).build());
        TpauthInterceptor t = new TpauthInterceptor(auth);
        request = new Request.Builder().url(Mock.url() + "/v1/private/business-units/bench/reviews").build();
        tpauth = new OkHttpClient.Builder().addInterceptor(t).authenticator(t).build();
        staticHeader = new OkHttpClient.Builder().addInterceptor(fixed).build();
        tpauthNoIo = new OkHttpClient.Builder().addInterceptor(t).addInterceptor(NO_IO).build();
        staticHeaderNoIo = new OkHttpClient.Builder().addInterceptor(fixed).addInterceptor(NO_IO).build();
    }

    @TearDown
    public void tearDown() {
        auth.close();
    }

    private static String get(OkHttpClient http, Request request) throws IOException {
        try (Response r = http.newCall(request).execute()) {
            if (r.code() != 200) {
                throw new IOException("status " + r.code());
            }
            return r.body().string();
        }
    }

    @Benchmark
    public String get_mock_tpauthInterceptor() throws IOException {
        return get(tpauth, request);
    }

    @Benchmark
    public String get_mock_staticHeader() throws IOException {
        return get(staticHeader, request);
    }

    @Benchmark
    public String get_noIo_tpauthInterceptor() throws IOException {
        return get(tpauthNoIo, request);
    }

    @Benchmark
    public String get_noIo_staticHeader() throws IOException {
        return get(staticHeaderNoIo, request);
    }
}
