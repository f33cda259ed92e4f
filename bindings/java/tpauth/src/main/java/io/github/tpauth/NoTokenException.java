package io.github.tpauth;

import java.time.Duration;

/** {@link Status#NO_TOKEN}: nothing to refresh or revoke, or no grant configured for the managed token. */
public class NoTokenException extends TpauthException {
    private static final long serialVersionUID = 1L;

    /** An exception with this message. */
    public NoTokenException(String message) {
        super(Status.NO_TOKEN, message);
    }

    /** An exception with every detail (see {@link TpauthException#TpauthException(Status, String, int, String, Duration)}). */
    public NoTokenException(String message, int httpStatus, String oauthCode, Duration retryAfter) {
        super(Status.NO_TOKEN, message, httpStatus, oauthCode, retryAfter);
    }
}
