package io.github.tpauth;

import java.time.Duration;

/** {@link Status#PROTOCOL}: a 2xx answer with an unusable body. */
public class ProtocolException extends TpauthException {
    private static final long serialVersionUID = 1L;

    /** An exception with this message. */
    public ProtocolException(String message) {
        super(Status.PROTOCOL, message);
    }

    /** An exception with every detail (see {@link TpauthException#TpauthException(Status, String, int, String, Duration)}). */
    public ProtocolException(String message, int httpStatus, String oauthCode, Duration retryAfter) {
        super(Status.PROTOCOL, message, httpStatus, oauthCode, retryAfter);
    }
}
