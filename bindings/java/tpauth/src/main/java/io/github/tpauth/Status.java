package io.github.tpauth;

/**
 * What kind of failure a {@link TpauthException} is. The numbers ({@link #code()}) are the C ABI's
 * {@code tp_status} values and never change.
 */
public enum Status {
    /** Success ({@code TP_OK}); never carried by an exception. */
    OK(0),
    /** Null, bad UTF-8 or a NUL character, an unknown option, a bad URL, a non-https redirect_uri, a host that may not see the token. */
    INVALID_ARGUMENT(1),
    /** DNS, connect, TLS, reset, truncated body. */
    NETWORK(2),
    /** A request took longer than {@code timeout_ms} (connecting: {@code connect_timeout_ms}). */
    TIMEOUT(3),
    /** HTTP 401, or OAuth {@code invalid_client} (wrong API key or secret). */
    UNAUTHORIZED(4),
    /** HTTP 429: authentication was asked for too often; see {@link TpauthException#retryAfter()}. */
    RATE_LIMITED(5),
    /** OAuth {@code invalid_grant}: wrong password, used code, revoked or rotated refresh token. */
    INVALID_GRANT(6),
    /** Any other non-2xx answer. */
    HTTP(7),
    /** A 2xx answer with an unusable body: not JSON, no access_token, over the size cap. */
    PROTOCOL(8),
    /** The redirect's state differs from the expected one. */
    STATE_MISMATCH(9),
    /** The redirect carries {@code error=...} (the user declined). */
    ACCESS_DENIED(10),
    /** Nothing to refresh or revoke, or no grant configured for the managed token. */
    NO_TOKEN(11),
    /** The token cache is unreadable or unwritable. */
    STORE(12),
    /** A bug in tpauth (a caught panic): please report it. */
    INTERNAL(13);

    private final int code;

    Status(int code) {
        this.code = code;
    }

    /** The C ABI's {@code tp_status} number. */
    public int code() {
        return code;
    }

    /** The C name of the status, e.g. {@code "TP_ERR_RATE_LIMITED"} ({@code "TP_OK"} for {@link #OK}). */
    public String cName() {
        return this == OK ? "TP_OK" : "TP_ERR_" + name();
    }

    /** The status with this {@code tp_status} number; {@link #INTERNAL} for a number no status has. */
    public static Status fromCode(int code) {
        for (Status s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        return INTERNAL;
    }
}
