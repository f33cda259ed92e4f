package io.github.tpauth;

import java.time.Duration;

/** {@link Status#INTERNAL}: a bug in tpauth (a caught panic); please report it. */
public class InternalException extends TpauthException {
    private static final long serialVersionUID = 1L;

    /** An exception with this message. */
    public InternalException(String message) {
        super(Status.INTERNAL, message);
    }

    /** An exception with every detail (see {@link TpauthException#TpauthException(Status, String, int, String, Duration)}). */
    public InternalException(String message, int httpStatus, String oauthCode, Duration retryAfter) {
        super(Status.INTERNAL, message, httpStatus, oauthCode, retryAfter);
    }
}
