package io.github.tpauth;

import java.time.Duration;

/** {@link Status#STATE_MISMATCH}: the redirect's state differs from the expected one. */
public class StateMismatchException extends TpauthException {
    private static final long serialVersionUID = 1L;

    /** An exception with this message. */
    public StateMismatchException(String message) {
        super(Status.STATE_MISMATCH, message);
    }

    /** An exception with every detail (see {@link TpauthException#TpauthException(Status, String, int, String, Duration)}). */
    public StateMismatchException(String message, int httpStatus, String oauthCode, Duration retryAfter) {
        super(Status.STATE_MISMATCH, message, httpStatus, oauthCode, retryAfter);
    }
}
