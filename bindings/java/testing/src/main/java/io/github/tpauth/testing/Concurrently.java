package io.github.tpauth.testing;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;

/** Many callers at once, for the contention tests of every integration. */
public final class Concurrently {
    private Concurrently() {}

    /**
     * Runs {@code call} on {@code threads} threads released together by one barrier, and gives
     * each one's result, or its exception's {@code toString()}, in the order they finished.
     */
    public static List<String> results(int threads, Callable<String> call) throws InterruptedException {
        CyclicBarrier start = new CyclicBarrier(threads);
        List<String> results = Collections.synchronizedList(new ArrayList<>());
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            Thread w = new Thread(() -> {
                try {
                    start.await();
                    results.add(call.call());
                } catch (Exception e) {
                    results.add(e.toString());
                }
            });
            workers.add(w);
            w.start();
        }
        for (Thread w : workers) {
            w.join();
        }
        return results;
    }
}
