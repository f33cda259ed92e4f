package io.github.tpauth.testing;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The mock Trustpilot server ({@code tpauth mock --port 0 --exit-on-stdin-eof}, the binary named
 * by the system property {@code tpauth.bin}), one per JVM, started on first use and stopped when
 * the JVM exits (its stdin closes). The control endpoints are docs/mock.md's.
 */
public final class Mock {
    public static final String API_KEY = "mock-api-key";
    public static final String API_SECRET = "mock-api-secret";
    public static final String USERNAME = "user@example.com";
    public static final String PASSWORD = "mock-password";
    public static final String BUSINESS_USER_ID = "mock-business-user-id";
    /** The secrets no message, log line or toString may show. */
    public static final String[] SECRETS = {API_SECRET, PASSWORD};

    private static Process process;
    private static String url;

    private Mock() {
    }

    /** The mock's base URL, http://127.0.0.1:PORT (started on first call). */
    public static synchronized String url() {
        if (url == null) {
            String bin = System.getProperty("tpauth.bin", "");
            if (bin.isEmpty()) {
                bin = System.getenv("TPAUTH_BIN");
            }
            if (bin == null || bin.isEmpty() || !new File(bin).canExecute()) {
                throw new IllegalStateException("set -Dtpauth.bin to the tpauth CLI (target/release/tpauth): bindings/java/test.sh does");
            }
            try {
                ProcessBuilder pb = new ProcessBuilder(bin, "mock", "--port", "0", "--exit-on-stdin-eof");
                pb.redirectError(ProcessBuilder.Redirect.INHERIT);
                process = pb.start();
                BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                String port = r.readLine();
                if (port == null) {
                    throw new IllegalStateException("the mock did not print its port");
                }
                url = "http://127.0.0.1:" + port.trim();
                Runtime.getRuntime().addShutdownHook(new Thread(() -> process.destroy()));
            } catch (IOException e) {
                throw new IllegalStateException("cannot start the mock: " + e, e);
            }
        }
        return url;
    }

    public static String authorizeUrl() {
        return url() + "/authenticate";
    }

    public static void reset() {
        post("/_mock/reset", "{}");
    }

    /** POST /_mock/config with this JSON object. */
    public static void config(String json) {
        post("/_mock/config", json);
    }

    /** POST /_mock/fault with this JSON object. */
    public static void fault(String json) {
        post("/_mock/fault", json);
    }

    /** POST /_mock/expire: every access token issued so far is refused by the API. */
    public static void expireAll() {
        post("/_mock/expire", "{}");
    }

    public static Map<String, Object> stats() {
        return Json.object(get("/_mock/stats"));
    }

    public static long stat(String name) {
        return ((Number) stats().get(name)).longValue();
    }

    public static long tokenRequests() {
        return stat("token_requests");
    }

    @SuppressWarnings("unchecked")
    public static long grants(String grant) {
        return ((Number) ((Map<String, Object>) stats().get("grants")).get(grant)).longValue();
    }

    /** The last request to a token endpoint, as sent ({method, path, headers: [[name, value]], body}), or null. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> lastTokenRequest() {
        return (Map<String, Object>) Json.parse(get("/_mock/last_token_request"));
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> lastApiRequest() {
        return (Map<String, Object>) Json.parse(get("/_mock/last_api_request"));
    }

    /** The first value of a header in a request the mock recorded (names are lower-cased), or null. */
    @SuppressWarnings("unchecked")
    public static String header(Map<String, Object> request, String name) {
        for (Object h : (Iterable<Object>) request.get("headers")) {
            java.util.List<Object> pair = (java.util.List<Object>) h;
            if (name.equalsIgnoreCase((String) pair.get(0))) {
                return (String) pair.get(1);
            }
        }
        return null;
    }

    public static String get(String path) {
        return call("GET", path, null);
    }

    public static String post(String path, String json) {
        return call("POST", path, json);
    }

    private static String call(String method, String path, String body) {
        try {
            HttpURLConnection c = (HttpURLConnection) new URL(url() + path).openConnection();
            c.setRequestMethod(method);
            c.setConnectTimeout(10000);
            c.setReadTimeout(60000);
            if (body != null) {
                c.setDoOutput(true);
                c.setRequestProperty("Content-Type", "application/json");
                try (OutputStream o = c.getOutputStream()) {
                    o.write(body.getBytes(StandardCharsets.UTF_8));
                }
            }
            int status = c.getResponseCode();
            InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
            String text = in == null ? "" : read(in);
            if (status != 200) {
                throw new IllegalStateException(method + " " + path + ": " + status + " " + text);
            }
            return text;
        } catch (IOException e) {
            throw new IllegalStateException(method + " " + path + ": " + e, e);
        }
    }

    private static String read(InputStream in) throws IOException {
        try (InputStream i = in) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            int n;
            while ((n = i.read(buf)) > 0) {
                b.write(buf, 0, n);
            }
            return new String(b.toByteArray(), StandardCharsets.UTF_8);
        }
    }

    /** Fails when {@code text} shows a secret of the mock's identities. */
    public static void assertNoSecret(String text, String where) {
        if (text == null) {
            return;
        }
        for (String s : SECRETS) {
            if (text.contains(s)) {
                throw new AssertionError(where + " shows a secret: " + text);
            }
        }
    }
}
