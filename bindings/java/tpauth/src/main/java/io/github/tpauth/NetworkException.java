package io.github.tpauth;

import java.time.Duration;

/** {@link Status#NETWORK}: DNS, connect, TLS, reset, truncated body. */
public class NetworkException extends TpauthException {
    private static final long serialVersionUID = 1L;

    /** An exception with this message. */
    public NetworkException(String message) {
        super(Status.NETWORK, message);
    }

    /** An exception with every detail (see {@link TpauthException#TpauthException(Status, String, int, String, Duration)}). */
    public NetworkException(String message, int httpStatus, String oauthCode, Duration retryAfter) {
        super(Status.NETWORK, message, httpStatus, oauthCode, retryAfter);
    }
}
