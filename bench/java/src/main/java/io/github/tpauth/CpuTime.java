package io.github.tpauth;

import io.github.tpauth.okhttp.TpauthInterceptor;
import io.github.tpauth.testing.Mock;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Collections;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * The same comparisons as the JMH benchmarks, in CPU time per call of the measuring thread
 * (ThreadMXBean): on a shared machine whose load makes wall time mostly waiting for a core, the
 * CPU a call takes is what stays comparable. Prints one line per figure: "name nanoseconds".
 */
public final class CpuTime {
    private CpuTime() {
    }

    interface Op {
        void run() throws Exception;
    }

    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();

    /** The smallest CPU time per call of five rounds of {@code n} calls, after a warm-up. */
    static double ns(Op op, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            op.run();
        }
        double best = Double.MAX_VALUE;
        for (int r = 0; r < 5; r++) {
            long c0 = MX.getCurrentThreadCpuTime();
            for (int i = 0; i < n; i++) {
                op.run();
            }
            best = Math.min(best, (MX.getCurrentThreadCpuTime() - c0) / (double) n);
        }
        return best;
    }

    static volatile Token field;

    public static void main(String[] args) throws Exception {
        Mock.reset();
        try (Auth auth = Auth.builder(Mock.API_KEY, Mock.API_SECRET).apiBaseUrl(Mock.url()).allowInsecureHttp(true)
                .username(Mock.USERNAME).password(Mock.PASSWORD).build()) {
            field = auth.getToken();
            String bearer = "Bearer " + auth.getToken().accessToken();
            Interceptor fixed = chain -> chain.proceed(chain.request().newBuilder().header("Authorization", bearer)
                    .header("apikey", Mock.API_KEY).build());
            Interceptor noIo = chain -> new Response.Builder().request(chain.request()).protocol(Protocol.HTTP_1_1).code(200)
                    .message("OK").body(ResponseBody.create("{}", MediaType.get("application/json"))).build();
            OkHttpClient tpauth = new OkHttpClient.Builder().addInterceptor(new TpauthInterceptor(auth)).addInterceptor(noIo).build();
            OkHttpClient stat = new OkHttpClient.Builder().addInterceptor(fixed).addInterceptor(noIo).build();
            Request req = new Request.Builder().url(Mock.url() + "/v1/private/business-units/bench/reviews").build();
            String url = Mock.url() + "/v1/private/business-units/bench/reviews";
            System.out.printf("getToken %.1f%n", ns(auth::getToken, 2_000_000));
            System.out.printf("volatileReadPlusJnaCall %.1f%n", ns(() -> {
                if (field.expiresIn() + Lib.tp_version() == 0) {
                    throw new AssertionError();
                }
            }, 1_000_000));
            System.out.printf("prepareApiCall %.1f%n", ns(() -> auth.prepareApiCall("GET", url, Collections.<String>emptyList()), 50_000));
            System.out.printf("okhttpNoIo_tpauthInterceptor %.1f%n", ns(() -> {
                try (Response r = tpauth.newCall(req).execute()) {
                    r.body().string();
                }
            }, 50_000));
            System.out.printf("okhttpNoIo_staticHeader %.1f%n", ns(() -> {
                try (Response r = stat.newCall(req).execute()) {
                    r.body().string();
                }
            }, 50_000));
        }
    }
}
