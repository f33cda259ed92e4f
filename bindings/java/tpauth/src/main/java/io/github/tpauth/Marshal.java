package io.github.tpauth;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The native memory of one C call: three out-parameter slots ({@link #out()}, {@link #out2()},
 * {@link #err()}) and the call's NUL-terminated UTF-8 arguments, in a buffer each thread reuses
 * (no allocation per call). {@link #close()} wipes the arguments (they may be passwords or tokens)
 * and frees what did not fit.
 *
 * <pre>
 * try (Marshal m = Marshal.open()) {
 *     int st = Lib.tp_password_grant(auth, m.str(user, "username"), m.str(pass, "password"), m.out(), m.err());
 *     m.check(st);
 *     long token = m.outValue();
 * }
 * </pre>
 */
final class Marshal implements AutoCloseable {
    private static final int SLOTS = 32;
    private static final int SIZE = 4096;
    private static final ThreadLocal<Marshal> LOCAL = new ThreadLocal<Marshal>() {
        @Override
        protected Marshal initialValue() {
            return new Marshal();
        }
    };

    private final Memory memory = new Memory(SIZE);
    private final long base = Pointer.nativeValue(memory);
    private final CharsetEncoder encoder = StandardCharsets.UTF_8.newEncoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    private int used;
    private boolean busy;
    /** This thread's buffer for ASCII strings on their way to native memory (wiped after each use). */
    private byte[] ascii = new byte[256];
    private List<Memory> overflow;

    private Marshal() {
    }

    /** This thread's buffer (a fresh one if it is already in use further up the stack, e.g. from a log handler). */
    static Marshal open() {
        Marshal m = LOCAL.get();
        if (m.busy) {
            m = new Marshal();
        }
        m.busy = true;
        m.used = SLOTS;
        m.memory.clear(SLOTS);
        return m;
    }

    /** The address of the first out-parameter slot (a pointer, NULL before the call). */
    long out() {
        return base;
    }

    /** The address of the second out-parameter slot. */
    long out2() {
        return base + 8;
    }

    /** The address of the {@code tp_error **err} slot. */
    long err() {
        return base + 16;
    }

    /** The address of a spare 8-byte slot (a size_t out parameter). */
    long out3() {
        return base + 24;
    }

    long outValue() {
        return memory.getLong(0);
    }

    long out2Value() {
        return memory.getLong(8);
    }

    long out3Value() {
        return memory.getLong(24);
    }

    /**
     * {@code s} as a NUL-terminated UTF-8 string in native memory, valid until {@link #close()};
     * 0 (NULL) for null. A string that UTF-8 cannot carry (an unpaired surrogate) or that holds a
     * NUL character is refused; the message names {@code what}, never the value.
     */
    long str(String s, String what) {
        if (s == null) {
            return 0;
        }
        int len = s.length();
        boolean isAscii = true;
        for (int i = 0; i < len; i++) {
            char c = s.charAt(i);
            if (c == 0) {
                throw new InvalidArgumentException(what + " contains a NUL character");
            }
            if (c >= 0x80) {
                isAscii = false;
            }
        }
        if (isAscii) {
            // Methods, URLs, header names, tokens: one byte a character, no encoder.
            if (ascii.length < len + 1) {
                ascii = new byte[Math.max(len + 1, 2 * ascii.length)];
            }
            for (int i = 0; i < len; i++) {
                ascii[i] = (byte) s.charAt(i);
            }
            ascii[len] = 0;
            long addr = reserve(len + 1);
            new Pointer(addr).write(0, ascii, 0, len + 1);
            java.util.Arrays.fill(ascii, 0, len, (byte) 0);
            return addr;
        }
        ByteBuffer bytes;
        try {
            bytes = encoder.reset().encode(CharBuffer.wrap(s));
        } catch (CharacterCodingException e) {
            throw new InvalidArgumentException(what + " is not valid Unicode (an unpaired surrogate)");
        }
        int n = bytes.remaining();
        long addr = reserve(n + 1);
        Pointer p = new Pointer(addr);
        if (bytes.hasArray()) {
            p.write(0, bytes.array(), bytes.arrayOffset() + bytes.position(), n);
            java.util.Arrays.fill(bytes.array(), (byte) 0);
        } else {
            for (int i = 0; i < n; i++) {
                p.setByte(i, bytes.get(i));
            }
        }
        p.setByte(n, (byte) 0);
        return addr;
    }

    /** {@code s}, which must not be null (the message names {@code what}). */
    long required(String s, String what) {
        if (s == null) {
            throw new InvalidArgumentException(what + " must not be null");
        }
        return str(s, what);
    }

    /** {@code bytes} in native memory (not NUL-terminated), valid until {@link #close()}; 0 for null or empty. */
    long bytes(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            return 0;
        }
        long addr = reserve(bytes.length);
        new Pointer(addr).write(0, bytes, 0, bytes.length);
        return addr;
    }

    private long reserve(int n) {
        if (used + n <= SIZE) {
            long addr = base + used;
            used += (n + 7) & ~7;
            return addr;
        }
        Memory extra = new Memory(n);
        if (overflow == null) {
            overflow = new ArrayList<>(2);
        }
        overflow.add(extra);
        return Pointer.nativeValue(extra);
    }

    /** Throws the exception of a failed call ({@code status} not TP_OK), reading and freeing {@code *err}. */
    void check(int status) {
        if (status != 0) {
            throw error(status);
        }
    }

    /** The exception of a failed call, reading and freeing {@code *err}. */
    TpauthException error(int status) {
        long e = memory.getLong(16);
        memory.setLong(16, 0);
        return takeError(status, e);
    }

    /** The exception a tp_error describes; frees the error. */
    static TpauthException takeError(int status, long e) {
        if (e == 0) {
            Status st = Status.fromCode(status == 0 ? Status.INTERNAL.code() : status);
            return TpauthException.of(st, st.cName() + " (no details)", 0, null, null);
        }
        try {
            Status st = Status.fromCode(Lib.tp_error_status(e));
            if (st == Status.OK) {
                st = Status.INTERNAL;
            }
            String message = read(Lib.tp_error_message(e));
            int http = Lib.tp_error_http_status(e);
            String oauth = read(Lib.tp_error_oauth_code(e));
            long ms = Lib.tp_error_retry_after_ms(e);
            return TpauthException.of(st, message == null || message.isEmpty() ? st.cName() : message, http, oauth,
                    ms >= 0 ? Duration.ofMillis(ms) : null);
        } finally {
            Lib.tp_error_free(e);
        }
    }

    /** Wipes the arguments and frees what did not fit in the buffer. */
    @Override
    public void close() {
        memory.clear(used);
        used = SLOTS;
        if (overflow != null) {
            for (Memory m : overflow) {
                m.clear();
                m.close();
            }
            overflow = null;
        }
        busy = false;
    }

    /** A borrowed C string (UTF-8) as a Java string; null for NULL. */
    static String read(long addr) {
        return addr == 0 ? null : new Pointer(addr).getString(0, "UTF-8");
    }

    /** An owned C string (from an out parameter) as a Java string, then freed (tp_string_free wipes it). */
    static String take(long addr) {
        if (addr == 0) {
            return null;
        }
        try {
            return read(addr);
        } finally {
            Lib.tp_string_free(addr);
        }
    }
}
