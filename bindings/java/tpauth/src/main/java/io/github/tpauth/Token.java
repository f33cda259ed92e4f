package io.github.tpauth;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * One token response: the access token, the refresh token, the expiry and the server's JSON.
 * Immutable and safe to share between threads; it holds no native memory (the library's copy is
 * freed as soon as it is read).
 *
 * <p>{@link #toString()} never shows the access or refresh token; {@link #toJson()} and
 * {@link #rawJson()} do (they are for persisting: store them like a password).
 */
public final class Token {
    private final String accessToken;
    private final String refreshToken;
    private final String tokenType;
    private final long expiresIn;
    private final long expiresAt;
    private final long receivedAt;
    private final String rawJson;

    private Token(String accessToken, String refreshToken, String tokenType, long expiresIn, long expiresAt, long receivedAt, String rawJson) {
        this.accessToken = accessToken;
        this.refreshToken = refreshToken;
        this.tokenType = tokenType;
        this.expiresIn = expiresIn;
        this.expiresAt = expiresAt;
        this.receivedAt = receivedAt;
        this.rawJson = rawJson;
    }

    /** A copy of a native token (which the caller still owns and frees). */
    static Token copyOf(long t) {
        String access = Marshal.read(Lib.tp_token_access_token(t));
        return new Token(access == null ? "" : access, Marshal.read(Lib.tp_token_refresh_token(t)), Marshal.read(Lib.tp_token_type(t)),
                Lib.tp_token_expires_in(t), Lib.tp_token_expires_at(t), Lib.tp_token_received_at(t), Marshal.read(Lib.tp_token_raw_json(t)));
    }

    /** A copy of a native token, which is then freed. */
    static Token take(long t) {
        try {
            return copyOf(t);
        } finally {
            Lib.tp_token_free(t);
        }
    }

    /** A native copy of this token (tp_token_new: the library alone knows how tokens are stored); free it with tp_token_free. */
    long toNative(Marshal m) {
        int st = Lib.tp_token_new(m.str(accessToken, "accessToken"), m.str(refreshToken, "refreshToken"), m.str(tokenType, "tokenType"),
                expiresIn, receivedAt < 0 ? -1 : receivedAt * 1000, m.str(rawJson, "rawJson"), m.out(), m.err());
        m.check(st);
        return m.outValue();
    }

    /** The access token, sent as {@code Authorization: Bearer ...} (a secret: never log it). */
    public String accessToken() {
        return accessToken;
    }

    /** The refresh token (a secret), or null when the server sent none (client credentials, implicit). */
    public String refreshToken() {
        return refreshToken;
    }

    /** The token type as the server sent it (Trustpilot: {@code "BearerToken"}), or null when none. */
    public String tokenType() {
        return tokenType;
    }

    /** The lifetime in seconds as the server sent it; -1 when unknown. */
    public long expiresIn() {
        return expiresIn;
    }

    /** When the token expires (the local clock at receipt plus {@link #expiresIn()}), or null when unknown. */
    public Instant expiresAt() {
        return expiresAt < 0 ? null : Instant.ofEpochSecond(expiresAt);
    }

    /** When the token was received, by the local clock (whole seconds). */
    public Instant receivedAt() {
        return Instant.ofEpochSecond(Math.max(receivedAt, 0));
    }

    /** The server's token response body, verbatim (contains the secrets). */
    public String rawJson() {
        return rawJson;
    }

    /** Whether the token has expired. A token without a known expiry never has (the API's 401 tells). */
    public boolean isExpired() {
        return isExpired(Duration.ZERO);
    }

    /** Whether the token expires within {@code leeway} from now. */
    public boolean isExpired(Duration leeway) {
        if (expiresAt < 0) {
            return false;
        }
        long now = System.currentTimeMillis() / 1000;
        long within = leeway == null ? 0 : (leeway.toMillis() + 999) / 1000;
        return now + within >= expiresAt;
    }

    /** The token as JSON for persisting, expiry included (contains the secrets); read back with {@link #fromJson}. */
    public String toJson() {
        Library.require();
        try (Marshal m = Marshal.open()) {
            long t = toNative(m);
            try {
                m.check(Lib.tp_token_to_json(t, m.out(), m.err()));
                return Marshal.take(m.outValue());
            } finally {
                Lib.tp_token_free(t);
            }
        }
    }

    /**
     * A token from {@link #toJson()}'s output, or from a token response body (then received now).
     *
     * @throws InvalidArgumentException null, or not such a document
     */
    public static Token fromJson(String json) {
        Library.require();
        try (Marshal m = Marshal.open()) {
            m.check(Lib.tp_token_from_json(m.required(json, "json"), m.out(), m.err()));
            return take(m.outValue());
        }
    }

    /** Type and expiry only: the access and refresh tokens are shown as {@code [redacted]}. */
    @Override
    public String toString() {
        return "Token{tokenType=" + tokenType + ", expiresIn=" + expiresIn + ", expiresAt=" + expiresAt()
                + ", accessToken=[redacted], refreshToken=" + (refreshToken == null ? "null" : "[redacted]") + "}";
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Token)) {
            return false;
        }
        Token t = (Token) o;
        return expiresIn == t.expiresIn && expiresAt == t.expiresAt && receivedAt == t.receivedAt && accessToken.equals(t.accessToken)
                && Objects.equals(refreshToken, t.refreshToken) && Objects.equals(tokenType, t.tokenType) && Objects.equals(rawJson, t.rawJson);
    }

    @Override
    public int hashCode() {
        return Objects.hash(accessToken, refreshToken, expiresAt);
    }
}
