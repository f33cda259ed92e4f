package io.github.tpauth;

import com.sun.jna.Native;
import io.github.tpauth.testing.Mock;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * A cached {@link Auth#getToken()} beside its peer, a volatile read plus one JNA call, on one
 * thread and on eight; and the library's own path (tp_get_token, a copy, tp_token_free) that
 * getToken takes once per renewal, through JNA's direct mapping (what the binding uses) and
 * through an interface mapping of the same functions.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class TokenBench {
    /** The same functions through JNA's interface mapping (a proxy call per function). */
    public interface InterfaceLib extends com.sun.jna.Library {
        long tp_version();

        int tp_get_token(long auth, long out, long err);

        long tp_token_renew_at_ms(long auth, long token);

        long tp_token_access_token(long token);

        long tp_token_refresh_token(long token);

        long tp_token_type(long token);

        long tp_token_expires_in(long token);

        long tp_token_expires_at(long token);

        long tp_token_received_at(long token);

        long tp_token_raw_json(long token);

        void tp_token_free(long token);
    }

    Auth auth;
    long authPtr;
    InterfaceLib viaInterface;
    volatile Token field;

    @Setup
    public void setUp() throws Exception {
        Mock.reset();
        auth = Auth.builder(Mock.API_KEY, Mock.API_SECRET).apiBaseUrl(Mock.url()).allowInsecureHttp(true)
                .username(Mock.USERNAME).password(Mock.PASSWORD).build();
        field = auth.getToken();
        viaInterface = Native.load(Library.PATH, InterfaceLib.class);
        java.lang.reflect.Field h = Auth.class.getDeclaredField("handle");
        h.setAccessible(true);
        Object handle = h.get(auth);
        java.lang.reflect.Field p = handle.getClass().getDeclaredField("ptr");
        p.setAccessible(true);
        authPtr = p.getLong(handle);
    }

    @TearDown
    public void tearDown() {
        auth.close();
    }

    @Benchmark
    @Threads(1)
    public Token getToken_1thread() {
        return auth.getToken();
    }

    @Benchmark
    @Threads(8)
    public Token getToken_8threads() {
        return auth.getToken();
    }

    /** The peer: a volatile read plus the cheapest JNA call (direct mapping, no argument). */
    @Benchmark
    @Threads(1)
    public long volatileReadPlusJnaCall_1thread() {
        return field.expiresIn() + Lib.tp_version();
    }

    @Benchmark
    @Threads(8)
    public long volatileReadPlusJnaCall_8threads() {
        return field.expiresIn() + Lib.tp_version();
    }

    /** The renewal-time path: tp_get_token, the renew instant, a copy of the token, tp_token_free (direct mapping). */
    @Benchmark
    @Threads(1)
    public Token libraryPath_directMapping() {
        return auth.getTokenFromLibrary();
    }

    /** The same calls through an interface mapping. */
    @Benchmark
    @Threads(1)
    public long libraryPath_interfaceMapping() {
        try (Marshal m = Marshal.open()) {
            if (viaInterface.tp_get_token(authPtr, m.out(), m.err()) != 0) {
                throw new IllegalStateException("tp_get_token failed");
            }
            long t = m.outValue();
            long n = viaInterface.tp_token_renew_at_ms(authPtr, t);
            n += Marshal.read(viaInterface.tp_token_access_token(t)).length();
            n += Marshal.read(viaInterface.tp_token_refresh_token(t)).length();
            n += Marshal.read(viaInterface.tp_token_type(t)).length();
            n += viaInterface.tp_token_expires_in(t) + viaInterface.tp_token_expires_at(t) + viaInterface.tp_token_received_at(t);
            n += Marshal.read(viaInterface.tp_token_raw_json(t)).length();
            viaInterface.tp_token_free(t);
            return n;
        }
    }

    @Benchmark
    @Threads(1)
    public long oneCall_directMapping() {
        return Lib.tp_version();
    }

    @Benchmark
    @Threads(1)
    public long oneCall_interfaceMapping() {
        return viaInterface.tp_version();
    }
}
