package io.github.tpauth.testing;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Structure;
import java.util.Arrays;
import java.util.List;

/**
 * The C heap's live bytes, which is where libtpauth allocates: glibc's mallinfo2() (2.33+), as the
 * Go suite measures it (bindings/go/heap.go), instead of the noisy resident size. The JVM mallocs
 * too (the JIT's arenas, GC bookkeeping: megabytes that come and go); when it runs with
 * -XX:NativeMemoryTracking=summary, {@link #outsideJvm()} takes out what the JVM itself holds.
 */
public final class CHeap {
    private CHeap() {
    }

    /** glibc's struct mallinfo2. */
    public static class MallInfo2 extends Structure implements Structure.ByValue {
        public long arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;

        @Override
        protected List<String> getFieldOrder() {
            return Arrays.asList("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost");
        }
    }

    private static final java.util.regex.Pattern NMT_MALLOC = java.util.regex.Pattern.compile("malloc: (\\d+) #(\\d+)");
    /** The JVM's own malloc header under native memory tracking (JDK 17's MallocHeader). */
    private static final long NMT_HEADER = 16;

    /**
     * The C heap's live bytes less the JVM's own (native memory tracking's malloc total and its
     * per-allocation header); {@link #inUse()} when tracking is off.
     */
    public static long outsideJvm() {
        long[] jvm = jvmMalloc();
        long heap = inUse();
        return jvm == null ? heap : heap - jvm[0] - NMT_HEADER * jvm[1];
    }

    /** Whether the JVM tracks its own malloc (-XX:NativeMemoryTracking=summary). */
    public static boolean jvmTracked() {
        return jvmMalloc() != null;
    }

    private static long[] jvmMalloc() {
        try {
            String out = (String) java.lang.management.ManagementFactory.getPlatformMBeanServer().invoke(
                    new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"), "vmNativeMemory",
                    new Object[] {new String[] {"summary", "scale=b"}}, new String[] {String[].class.getName()});
            java.util.regex.Matcher m = NMT_MALLOC.matcher(out);
            return m.find() ? new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))} : null;
        } catch (Exception e) {
            return null;
        }
    }

    /** Bytes malloc'd and not freed (every arena, mmapped blocks included); -1 when the C library cannot tell. */
    public static long inUse() {
        Function f;
        try {
            f = NativeLibrary.getInstance("c").getFunction("mallinfo2");
        } catch (UnsatisfiedLinkError e) {
            return -1;
        }
        MallInfo2 m = (MallInfo2) f.invoke(MallInfo2.class, new Object[0]);
        return m.uordblks + m.hblkhd;
    }
}
