package io.github.tpauth;

import java.time.Duration;

/** {@link Status#ACCESS_DENIED}: the redirect carries {@code error=...} (the user declined); see {@link #oauthCode()}. */
public class AccessDeniedException extends TpauthException {
    private static final long serialVersionUID = 1L;

    /** An exception with this message. */
    public AccessDeniedException(String message) {
        super(Status.ACCESS_DENIED, message);
    }

    /** An exception with every detail (see {@link TpauthException#TpauthException(Status, String, int, String, Duration)}). */
    public AccessDeniedException(String message, int httpStatus, String oauthCode, Duration retryAfter) {
        super(Status.ACCESS_DENIED, message, httpStatus, oauthCode, retryAfter);
    }
}
