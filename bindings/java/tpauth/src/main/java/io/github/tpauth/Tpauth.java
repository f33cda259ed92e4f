package io.github.tpauth;

import com.sun.jna.Pointer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** The library-wide functions: browser-flow helpers, the version, the option keys and the log handler. */
public final class Tpauth {
    private Tpauth() {
    }

    /** A fresh OAuth state: 128 random bits from the operating system, URL-safe (22 characters). */
    public static String newState() {
        Library.require();
        String s = Marshal.take(Lib.tp_new_state());
        if (s == null) {
            throw new InternalException("tp_new_state returned NULL (out of memory)");
        }
        return s;
    }

    /** A fresh PKCE pair (S256): a 43-character verifier made from 32 random bytes, and its challenge. */
    public static Pkce newPkce() {
        Library.require();
        try (Marshal m = Marshal.open()) {
            m.check(Lib.tp_new_pkce(m.out(), m.out2(), m.err()));
            String verifier = Marshal.take(m.outValue());
            return new Pkce(verifier, Marshal.take(m.out2Value()));
        }
    }

    /** {@link #parseCodeRedirect(String, String)} without checking the state. */
    public static String parseCodeRedirect(String redirectUrl) {
        return parseCodeRedirect(redirectUrl, null);
    }

    /**
     * The authorization code of a code-flow redirect ({@code https://app/cb?code=...&state=...}),
     * after checking its state. No request is sent.
     *
     * @param expectedState the state sent with the authorization URL; null: not checked
     * @throws StateMismatchException the redirect's state differs or is missing
     * @throws AccessDeniedException the redirect carries {@code error=...} (the user declined)
     * @throws InvalidArgumentException no code, a malformed URL, a parameter given twice
     */
    public static String parseCodeRedirect(String redirectUrl, String expectedState) {
        Library.require();
        try (Marshal m = Marshal.open()) {
            m.check(Lib.tp_parse_code_redirect(m.required(redirectUrl, "redirectUrl"), m.str(expectedState, "expectedState"), m.out(), m.err()));
            return Marshal.take(m.outValue());
        }
    }

    /** {@link #parseImplicitRedirect(String, String)} without checking the state. */
    public static Token parseImplicitRedirect(String redirectUrl) {
        return parseImplicitRedirect(redirectUrl, null);
    }

    /**
     * The token of an implicit-flow redirect ({@code https://app/cb#access_token=...&state=...}),
     * after checking its state. No request is sent; the token does not become an {@link Auth}'s
     * current one ({@link Auth#setToken}).
     *
     * @throws StateMismatchException the redirect's state differs or is missing
     * @throws AccessDeniedException the redirect carries {@code error=...}
     * @throws InvalidArgumentException no access token, a malformed URL or expires_in
     */
    public static Token parseImplicitRedirect(String redirectUrl, String expectedState) {
        Library.require();
        try (Marshal m = Marshal.open()) {
            m.check(Lib.tp_parse_implicit_redirect(m.required(redirectUrl, "redirectUrl"), m.str(expectedState, "expectedState"), m.out(), m.err()));
            return Token.take(m.outValue());
        }
    }

    /** The native library's version, {@code "MAJOR.MINOR.PATCH"} (the same as this jar's: checked at load). */
    public static String version() {
        Library.require();
        return Marshal.read(Lib.tp_version());
    }

    /** Where the native library was loaded from (the extracted copy, or {@code tpauth.library.path}). */
    public static String libraryPath() {
        Library.require();
        return Library.PATH;
    }

    /** The option keys {@link Auth.Builder#option} accepts, as the native library lists them (tp_option_name). */
    public static List<String> optionKeys() {
        return OptionKeys.KEYS;
    }

    private static final class OptionKeys {
        static final List<String> KEYS;

        static {
            Library.require();
            int n = (int) Lib.tp_option_count();
            List<String> keys = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                keys.add(Marshal.read(Lib.tp_option_name(i)));
            }
            KEYS = Collections.unmodifiableList(keys);
        }
    }

    private static final Object LOG_LOCK = new Object();
    private static volatile LogHandler logHandler;
    /** Held here while installed: the library keeps only its native address. */
    private static final Lib.LogCallback LOG_TRAMPOLINE = new Lib.LogCallback() {
        @Override
        public void invoke(int level, Pointer message, Pointer userData) {
            LogHandler h = logHandler;
            if (h == null) {
                return;
            }
            try {
                h.log(LogLevel.fromCode(level), message == null ? "" : message.getString(0, "UTF-8"));
            } catch (Throwable e) {
                // never let an exception unwind into native code
            }
        }
    };

    /**
     * Installs (or, with null, removes) the process-wide log handler: renewals, retries and token
     * cache events, never a secret. See {@link LogHandler} for the threads it is called on.
     */
    public static void setLogHandler(LogHandler handler) {
        Library.require();
        synchronized (LOG_LOCK) {
            logHandler = handler;
            Lib.tp_set_log_callback(handler == null ? null : LOG_TRAMPOLINE, null);
        }
    }
}
