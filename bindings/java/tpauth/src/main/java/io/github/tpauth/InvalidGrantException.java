package io.github.tpauth;

import java.time.Duration;

/** {@link Status#INVALID_GRANT}: wrong password, used code, revoked or rotated refresh token. */
public class InvalidGrantException extends TpauthException {
    private static final long serialVersionUID = 1L;

    /** An exception with this message. */
    public InvalidGrantException(String message) {
        super(Status.INVALID_GRANT, message);
    }

    /** An exception with every detail (see {@link TpauthException#TpauthException(Status, String, int, String, Duration)}). */
    public InvalidGrantException(String message, int httpStatus, String oauthCode, Duration retryAfter) {
        super(Status.INVALID_GRANT, message, httpStatus, oauthCode, retryAfter);
    }
}
