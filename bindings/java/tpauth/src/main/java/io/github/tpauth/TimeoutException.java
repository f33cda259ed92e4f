package io.github.tpauth;

import java.time.Duration;

/** {@link Status#TIMEOUT}: a request took longer than {@code timeout_ms}. (Not {@link java.util.concurrent.TimeoutException}: import this one by its full name where both are used.) */
public class TimeoutException extends TpauthException {
    private static final long serialVersionUID = 1L;

    /** An exception with this message. */
    public TimeoutException(String message) {
        super(Status.TIMEOUT, message);
    }

    /** An exception with every detail (see {@link TpauthException#TpauthException(Status, String, int, String, Duration)}). */
    public TimeoutException(String message, int httpStatus, String oauthCode, Duration retryAfter) {
        super(Status.TIMEOUT, message, httpStatus, oauthCode, retryAfter);
    }
}
