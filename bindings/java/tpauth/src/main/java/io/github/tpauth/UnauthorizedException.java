package io.github.tpauth;

import java.time.Duration;

/** {@link Status#UNAUTHORIZED}: HTTP 401, or OAuth {@code invalid_client} (wrong API key or secret). */
public class UnauthorizedException extends TpauthException {
    private static final long serialVersionUID = 1L;

    /** An exception with this message. */
    public UnauthorizedException(String message) {
        super(Status.UNAUTHORIZED, message);
    }

    /** An exception with every detail (see {@link TpauthException#TpauthException(Status, String, int, String, Duration)}). */
    public UnauthorizedException(String message, int httpStatus, String oauthCode, Duration retryAfter) {
        super(Status.UNAUTHORIZED, message, httpStatus, oauthCode, retryAfter);
    }
}
