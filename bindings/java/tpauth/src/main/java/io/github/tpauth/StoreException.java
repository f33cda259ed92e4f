package io.github.tpauth;

import java.time.Duration;

/** {@link Status#STORE}: the token cache is unreadable or unwritable. */
public class StoreException extends TpauthException {
    private static final long serialVersionUID = 1L;

    /** An exception with this message. */
    public StoreException(String message) {
        super(Status.STORE, message);
    }

    /** An exception with every detail (see {@link TpauthException#TpauthException(Status, String, int, String, Duration)}). */
    public StoreException(String message, int httpStatus, String oauthCode, Duration retryAfter) {
        super(Status.STORE, message, httpStatus, oauthCode, retryAfter);
    }
}
