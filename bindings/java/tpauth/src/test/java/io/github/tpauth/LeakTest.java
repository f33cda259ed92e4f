package io.github.tpauth;

import static io.github.tpauth.Support.REDIRECT_URI;
import static io.github.tpauth.Support.mockBuilder;
import static io.github.tpauth.Support.passwordAuth;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.tpauth.testing.CHeap;
import io.github.tpauth.testing.Mock;
import org.junit.jupiter.api.Test;

/**
 * 100,000 rounds, each creating and freeing a native client and making the token round trips a
 * user makes (the managed token from the library, a token to JSON and back, the browser-flow
 * helpers, an error, the API headers), leave the C heap flat: measured byte for byte with glibc's
 * mallinfo2, as the Go suite does, not with the resident size (the JVM's own heap moves that by
 * megabytes). The JVM's own mallocs are taken out through native memory tracking (the module's
 * Surefire JVM runs with -XX:NativeMemoryTracking=summary).
 */
class LeakTest {
    private static final int WINDOWS = 3;
    private static final int ROUNDS = 33_334; // three windows: 100,002 rounds
    /**
     * The growth a window may show. One forgotten free of the smallest allocation a round makes
     * (a 16-byte string) grows the heap by 530 KB a window; the JVM's own use of malloc (the JIT
     * compiling the loop, GC bookkeeping) is what this allows for, and it lands in one window,
     * not all three: the smallest window is judged.
     */
    private static final long ALLOWED = 96 << 10;

    @Test
    void aHundredThousandClientAndTokenRoundTripsLeaveTheCHeapFlat() throws Exception {
        Mock.reset();
        assertTrue(CHeap.inUse() > 0, "mallinfo2 (glibc 2.33+) is needed to measure the C heap");
        assertTrue(CHeap.jvmTracked(), "the JVM must run with -XX:NativeMemoryTracking=summary (the module's Surefire argLine)");
        String state = Tpauth.newState();
        try (Auth shared = passwordAuth()) {
            String json = shared.getToken().toJson();
            String authorize = shared.authorizeUrl(REDIRECT_URI, "code", state);
            Runnable round = new Runnable() {
                int n;

                @Override
                public void run() {
                    Auth a = mockBuilder().build();
                    if (n++ % 10 == 0) {
                        a = null; // left to the safety net
                    } else {
                        a.close();
                    }
                    Token t = shared.getTokenFromLibrary();
                    if (!Token.fromJson(json).accessToken().equals(t.accessToken())) {
                        throw new AssertionError("the token changed");
                    }
                    t.toJson();
                    shared.apiHeaders("GET", "/v1/private/x");
                    shared.prepareApiCall("GET", "/v1/private/x", java.util.Collections.singletonList("Accept"));
                    shared.authorizeUrl(REDIRECT_URI, "code", state);
                    assertThrows(StateMismatchException.class, () -> Tpauth.parseCodeRedirect(authorize, "wrong"));
                    Tpauth.parseImplicitRedirect("https://a.example/cb#access_token=x&expires_in=5&state=s", "s");
                    Tpauth.newState();
                }
            };
            for (int i = 0; i < 5_000; i++) {
                round.run();
            }
            long smallest = Long.MAX_VALUE;
            for (int w = 1; w <= WINDOWS; w++) {
                settle();
                long h0 = CHeap.outsideJvm();
                long r0 = rss();
                for (int i = 0; i < ROUNDS; i++) {
                    round.run();
                }
                settle();
                long grown = CHeap.outsideJvm() - h0;
                System.out.printf("window %d: C heap %+d bytes over %d rounds (%.2f bytes a round); resident %d -> %d MiB%n",
                        w, grown, ROUNDS, (double) grown / ROUNDS, r0 >> 20, rss() >> 20);
                smallest = Math.min(smallest, grown);
            }
            assertEquals(1, Auth.LIVE.get(), "every client but the shared one was freed (closed or collected)");
            assertTrue(smallest <= ALLOWED, "the C heap grew by at least " + smallest + " bytes in each window of " + ROUNDS + " rounds");
        }
        assertEquals(1, Mock.tokenRequests(), "the rounds made no token request");
    }

    /** Collects garbage until the safety net has freed every client left to it. */
    private static void settle() throws InterruptedException {
        long deadline = System.currentTimeMillis() + 20_000;
        do {
            System.gc();
            Thread.sleep(20);
        } while (Auth.LIVE.get() > 1 && System.currentTimeMillis() < deadline);
    }

    private static long rss() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Paths.get("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) << 10;
                }
            }
        } catch (java.io.IOException e) {
            // logged as 0
        }
        return 0;
    }
}
