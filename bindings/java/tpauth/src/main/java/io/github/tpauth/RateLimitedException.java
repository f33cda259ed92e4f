package io.github.tpauth;

import java.time.Duration;

/** {@link Status#RATE_LIMITED}: HTTP 429; {@link #retryAfter()} says how long to wait. */
public class RateLimitedException extends TpauthException {
    private static final long serialVersionUID = 1L;

    /** An exception with this message. */
    public RateLimitedException(String message) {
        super(Status.RATE_LIMITED, message);
    }

    /** An exception with every detail (see {@link TpauthException#TpauthException(Status, String, int, String, Duration)}). */
    public RateLimitedException(String message, int httpStatus, String oauthCode, Duration retryAfter) {
        super(Status.RATE_LIMITED, message, httpStatus, oauthCode, retryAfter);
    }
}
