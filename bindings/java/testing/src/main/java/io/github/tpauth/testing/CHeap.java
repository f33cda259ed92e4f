package io.github.tpauth.testing;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Structure;
import java.util.Arrays;
import java.util.List;

/**
 * The C heap's live bytes, which is where libtpauth allocates: glibc's mallinfo2() (2.33+), as the
 * Go suite measures it (bindings/go/heap.go), instead of the noisy resident size.
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
