package io.github.tpauth;

import java.lang.ref.PhantomReference;
import java.lang.ref.ReferenceQueue;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * The safety net for objects that own native memory and were never closed: a
 * {@link PhantomReference} per object on one {@link ReferenceQueue}, drained by one daemon thread
 * that runs each object's cleanup once the collector finds the object unreachable. This is what
 * {@code java.lang.ref.Cleaner} does, which Java 8 lacks; the cleanup must not refer to the object
 * (it would never become unreachable), only to its handle.
 */
final class NativeCleaner {
    private static final ReferenceQueue<Object> QUEUE = new ReferenceQueue<>();
    /** The registered references: a PhantomReference that is itself collected is never enqueued. */
    private static final Set<Cleanable> LIVE = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<Cleanable, Boolean>()));

    static {
        Thread t = new Thread(NativeCleaner::drain, "tpauth-cleaner");
        t.setDaemon(true);
        t.start();
    }

    private NativeCleaner() {
    }

    /** A registered cleanup: {@link #clean()} runs it at most once, explicitly or from the collector. */
    static final class Cleanable extends PhantomReference<Object> {
        private Runnable action;

        Cleanable(Object referent, Runnable action) {
            super(referent, QUEUE);
            this.action = action;
        }

        /** Runs the cleanup now (if it has not run) and forgets the object. */
        void clean() {
            Runnable a;
            synchronized (this) {
                a = action;
                action = null;
            }
            if (a != null) {
                LIVE.remove(this);
                clear();
                a.run();
            }
        }
    }

    /** Runs {@code action} when {@code referent} becomes unreachable, unless cleaned before. */
    static Cleanable register(Object referent, Runnable action) {
        Cleanable c = new Cleanable(referent, action);
        LIVE.add(c);
        return c;
    }

    private static void drain() {
        while (true) {
            try {
                ((Cleanable) QUEUE.remove()).clean();
            } catch (InterruptedException e) {
                // a daemon: keep draining
            } catch (Throwable e) {
                // a failing cleanup must not stop the others
            }
        }
    }
}
