package io.github.tpauth;

import static io.github.tpauth.Support.passwordAuth;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.tpauth.testing.Json;
import io.github.tpauth.testing.Mock;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One token request per lifetime under contention, from busy threads and busy processes (no
 * sleeps): the lifetimes come from the mock ({@code expires_in_schedule}), so the exact count is
 * known in advance whatever the scheduler does; a loaded machine only makes the run longer.
 */
class ContentionTest {
    static final int CALLS_AFTER = 200; // calls each thread still makes once it holds the hour-long token

    @BeforeEach
    void resetMock() {
        Mock.reset();
    }

    @Test
    void sixtyFourBusyThreadsOverThreeLifetimesMakeThreeTokenRequests() throws Exception {
        final int threads = 64;
        Mock.config("{\"expires_in_schedule\":[1,1,3600]}");
        try (Auth auth = passwordAuth("refresh_leeway_s", "1")) {
            List<String> errors = Collections.synchronizedList(new ArrayList<>());
            AtomicLong calls = new AtomicLong();
            CyclicBarrier start = new CyclicBarrier(threads);
            List<Thread> workers = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                final int n = i;
                Thread w = new Thread(() -> {
                    try {
                        start.await();
                        for (int c = 0, after = 0; after < CALLS_AFTER; c++) {
                            calls.incrementAndGet();
                            if ((c + n) % 16 == 0) {
                                ApiResponse r = auth.request("GET", "/v1/private/contention");
                                if (r.status() != 200) {
                                    throw new AssertionError("API status " + r.status());
                                }
                                continue;
                            }
                            long asked = System.currentTimeMillis() / 1000;
                            Token t = auth.getToken();
                            // whole seconds: a token that had expired before it was asked for
                            if (t.expiresAt() != null && t.expiresAt().getEpochSecond() < asked) {
                                throw new AssertionError("a token that had expired before it was asked for");
                            }
                            if (t.expiresIn() >= 3600) {
                                after++;
                            }
                        }
                    } catch (Throwable e) {
                        errors.add(e.toString());
                    }
                });
                workers.add(w);
                w.start();
            }
            for (Thread w : workers) {
                w.join();
            }
            long requests = Mock.tokenRequests();
            System.out.printf("%d threads, %d calls, %d token requests (3 due)%n", threads, calls.get(), requests);
            assertEquals(Collections.emptyList(), errors);
            assertEquals(3, requests, "exactly one token request per lifetime");
            assertEquals(1, Mock.grants("password"));
            assertEquals(2, Mock.grants("refresh_token"));
        }
    }

    @Test
    void sixtyFourThreadsGettingA401ForOneTokenCauseOneRenewal() throws Exception {
        final int threads = 64;
        final int rounds = 3;
        try (Auth auth = passwordAuth()) {
            auth.getToken();
            CyclicBarrier sync = new CyclicBarrier(threads + 1);
            List<String> results = Collections.synchronizedList(new ArrayList<>());
            List<Thread> workers = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                final boolean viaRequest = i % 2 == 0;
                Thread w = new Thread(() -> {
                    for (int r = 0; r < rounds; r++) {
                        String result;
                        try {
                            Token held = auth.getToken();
                            sync.await(); // everyone holds the token
                            sync.await(); // the mock expired it
                            if (viaRequest) {
                                // The library's own call: it sees the 401, invalidates, renews, resends.
                                result = "status " + auth.request("GET", "/v1/private/refused").status();
                            } else {
                                // An HTTP client of the application's: it reports the 401 for the token it sent.
                                auth.invalidateToken(held.accessToken());
                                Token renewed = auth.getToken();
                                result = renewed.accessToken().equals(held.accessToken()) ? "the refused token again" : "status 200";
                            }
                        } catch (Throwable e) {
                            result = e.toString();
                        }
                        results.add(result);
                        try {
                            sync.await(); // round over
                        } catch (Exception e) {
                            results.add(e.toString());
                        }
                    }
                });
                workers.add(w);
                w.start();
            }
            for (int r = 1; r <= rounds; r++) {
                sync.await();
                Mock.expireAll();
                sync.await();
                sync.await();
                assertEquals(1 + r, Mock.tokenRequests(), "round " + r + ": one renewal for " + threads + " threads");
            }
            for (Thread w : workers) {
                w.join();
            }
            assertEquals(threads * rounds, results.size());
            assertEquals(Collections.singleton("status 200"), new HashSet<>(results), results.toString());
        }
    }

    /**
     * 16 JVMs sharing a file token cache, each loading libtpauth from its classpath as a user's
     * application does (a copy of the jar's layout, all extracting into one folder at once), make
     * one token request per lifetime between them.
     */
    @Test
    void sixteenJvmsSharingAFileCacheMakeOneTokenRequestPerLifetime(@TempDir Path dir) throws Exception {
        final int processes = 16;
        Mock.config("{\"expires_in_schedule\":[1,1,1,3600]}");
        Path natives = jarLayout(dir.resolve("classpath"));
        Path extract = dir.resolve("extract");
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        List<Process> procs = new ArrayList<>();
        for (int i = 0; i < processes; i++) {
            List<String> cmd = new ArrayList<>();
            cmd.add(java);
            // Small JVMs: 16 of them start on 2 cores.
            Collections.addAll(cmd, "-Xmx48m", "-Xss512k", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1",
                    "-Xshare:auto", "-Dtpauth.extract.dir=" + extract,
                    "-cp", natives + File.pathSeparator + System.getProperty("java.class.path"), ContentionWorker.class.getName());
            ProcessBuilder pb = new ProcessBuilder(cmd);
            Map<String, String> env = pb.environment();
            env.keySet().removeIf(k -> k.startsWith("TRUSTPILOT_"));
            env.put("TRUSTPILOT_API_KEY", Mock.API_KEY);
            env.put("TRUSTPILOT_API_SECRET", Mock.API_SECRET);
            env.put("TRUSTPILOT_USERNAME", Mock.USERNAME);
            env.put("TRUSTPILOT_PASSWORD", Mock.PASSWORD);
            env.put("TRUSTPILOT_API_HOST", Mock.url());
            env.put("TRUSTPILOT_ALLOW_INSECURE_HTTP", "true");
            env.put("TRUSTPILOT_TOKEN_CACHE", dir.resolve("trustpilot.token").toString());
            env.put("TRUSTPILOT_REFRESH_LEEWAY_S", "1");
            env.put("CALLS_AFTER", Integer.toString(CALLS_AFTER));
            pb.redirectErrorStream(true);
            procs.add(pb.start());
        }
        long calls = 0;
        Set<String> libraries = new HashSet<>();
        for (int i = 0; i < processes; i++) {
            Process p = procs.get(i);
            String out = readAll(p.getInputStream());
            assertEquals(0, p.waitFor(), "worker " + i + ": " + out);
            Mock.assertNoSecret(out, "worker " + i + "'s output");
            String last = out.trim().substring(out.trim().lastIndexOf('\n') + 1);
            Map<String, Object> line = Json.object(last);
            assertEquals(Collections.emptyList(), line.get("errors"), "worker " + i);
            calls += ((Number) line.get("calls")).longValue();
            libraries.add((String) line.get("library"));
        }
        long requests = Mock.tokenRequests();
        System.out.printf("%d processes, %d calls, %d token requests (4 due)%n", processes, calls, requests);
        assertEquals(4, requests, "exactly one token request per lifetime");
        assertEquals(1, Mock.grants("password"));
        assertEquals(3, Mock.grants("refresh_token"));
        assertEquals(1, libraries.size(), "every JVM loaded the one extracted copy: " + libraries);
        String library = libraries.iterator().next();
        assertTrue(library.startsWith(extract.toString()) && library.endsWith("/linux-x86_64/libtpauth.so"), library);
        try (java.util.stream.Stream<Path> files = Files.walk(extract)) {
            assertEquals(1, files.filter(Files::isRegularFile).count(), "no temporary file left behind");
        }
    }

    // ---- no stampede on failure ------------------------------------------------------------------

    @Test
    void threadsWaitingOnARenewalAnswered503AllGetItsErrorFromOneRequest() throws Exception {
        waitersOnAFailingRenewal("{\"kind\":\"503\",\"delay_ms\":120000}", Status.HTTP, 503);
    }

    @Test
    void threadsWaitingOnARenewalCutByAResetAllGetItsErrorFromOneRequest() throws Exception {
        waitersOnAFailingRenewal("{\"kind\":\"reset\",\"delay_ms\":120000}", Status.NETWORK, 0);
    }

    @Test
    void threadsWaitingOnARenewalAnswered429AllGetItsErrorFromOneRequest() throws Exception {
        waitersOnAFailingRenewal("{\"kind\":\"429\",\"retry_after\":\"30\",\"delay_ms\":120000}", Status.RATE_LIMITED, 429);
    }

    @Test
    void threadsWaitingOnAGrantRefusedWithInvalidGrantAllGetItsErrorFromOneRequest() throws Exception {
        Mock.config("{\"password\":\"changed-elsewhere\"}");
        waitersOnAFailingRenewal("{\"kind\":\"slow\",\"delay_ms\":120000}", Status.INVALID_GRANT, 400);
    }

    /**
     * 32 threads ask for the token while there is none; the mock holds the answer to their one
     * renewal (the fault's long delay_ms) until every thread has logged that it found no token to
     * serve (it then renews, or waits for that renewal), then gives its failing answer. One token
     * request, and every thread gets the same error: none can arrive late, whatever the scheduler.
     */
    private static void waitersOnAFailingRenewal(String fault, Status status, int httpStatus) throws Exception {
        final int threads = 32;
        AtomicInteger awaiting = new AtomicInteger();
        TpauthException[] errors = new TpauthException[threads];
        List<String> unexpected = Collections.synchronizedList(new ArrayList<>());
        try (Auth auth = passwordAuth("max_retries", "0")) {
            Mock.fault(fault);
            Tpauth.setLogHandler((level, msg) -> {
                if (Thread.currentThread().getName().startsWith("failing-renewal-") && level == LogLevel.DEBUG
                        && msg.contains("no token to serve")) {
                    awaiting.incrementAndGet();
                }
            });
            List<Thread> callers = new ArrayList<>();
            try {
                for (int i = 0; i < threads; i++) {
                    final int n = i;
                    Thread t = new Thread(() -> {
                        try {
                            auth.getToken();
                            unexpected.add("thread " + n + " got a token");
                        } catch (TpauthException e) {
                            errors[n] = e;
                        } catch (Throwable e) {
                            unexpected.add("thread " + n + ": " + e);
                        }
                    }, "failing-renewal-" + i);
                    callers.add(t);
                    t.start();
                }
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (Mock.tokenRequests() == 0 || awaiting.get() < threads) {
                    if (System.nanoTime() > deadline) {
                        fail("after 60 s: " + Mock.tokenRequests() + " token requests, " + awaiting.get() + " of " + threads + " threads awaiting the renewal");
                    }
                    Thread.sleep(1);
                }
            } finally {
                Mock.post("/_mock/release", "{}");
                for (Thread t : callers) {
                    t.join();
                }
                Tpauth.setLogHandler(null);
            }
        }
        assertEquals(Collections.emptyList(), unexpected);
        assertEquals(1, Mock.tokenRequests(), "one token request for " + threads + " threads");
        TpauthException first = errors[0];
        assertEquals(status, first.status(), first.toString());
        assertEquals(httpStatus, first.httpStatus(), first.toString());
        for (int i = 0; i < threads; i++) {
            assertEquals(describe(first), describe(errors[i]), "thread " + i + " got another error than the renewal it waited for");
        }
    }

    private static String describe(TpauthException e) {
        return e.getClass().getName() + " | " + e.status() + " | " + e.httpStatus() + " | " + e.oauthCode() + " | "
                + e.retryAfter() + " | " + e.getMessage();
    }

    /** A classpath folder laid out as the jar: io/github/tpauth/native/linux-x86_64/libtpauth.so, its .sha256, platforms.txt. */
    static Path jarLayout(Path root) throws Exception {
        Path lib = Paths.get(System.getProperty("tpauth.library.path"));
        Platform p = Platform.current();
        Path dir = Files.createDirectories(root.resolve(NativeLoader.RESOURCE_ROOT + p.id()));
        Path copy = Files.copy(lib, dir.resolve(p.libraryFile()));
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        StringBuilder hex = new StringBuilder();
        for (byte b : sha.digest(Files.readAllBytes(copy))) {
            hex.append(String.format("%02x", b));
        }
        Files.write(dir.resolve(p.libraryFile() + ".sha256"), (hex + "  " + p.libraryFile() + "\n").getBytes(StandardCharsets.US_ASCII));
        Files.write(root.resolve(NativeLoader.RESOURCE_ROOT + "platforms.txt"), (p.id() + "\n").getBytes(StandardCharsets.US_ASCII));
        return root;
    }

    static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        int n;
        while ((n = in.read(buf)) > 0) {
            b.write(buf, 0, n);
        }
        return new String(b.toByteArray(), StandardCharsets.UTF_8);
    }
}
