package io.github.tpauth;

import java.time.Duration;

/** {@link Status#INVALID_ARGUMENT}: null, bad UTF-8 or a NUL character, an unknown option, a bad URL, a non-https redirect_uri, or a host that may not see the token. */
public class InvalidArgumentException extends TpauthException {
    private static final long serialVersionUID = 1L;

    /** An exception with this message. */
    public InvalidArgumentException(String message) {
        super(Status.INVALID_ARGUMENT, message);
    }

    /** An exception with every detail (see {@link TpauthException#TpauthException(Status, String, int, String, Duration)}). */
    public InvalidArgumentException(String message, int httpStatus, String oauthCode, Duration retryAfter) {
        super(Status.INVALID_ARGUMENT, message, httpStatus, oauthCode, retryAfter);
    }
}
