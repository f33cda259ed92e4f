package io.github.tpauth;

import java.time.Duration;

/** {@link Status#HTTP}: any other non-2xx answer. */
public class HttpException extends TpauthException {
    private static final long serialVersionUID = 1L;

    /** An exception with this message. */
    public HttpException(String message) {
        super(Status.HTTP, message);
    }

    /** An exception with every detail (see {@link TpauthException#TpauthException(Status, String, int, String, Duration)}). */
    public HttpException(String message, int httpStatus, String oauthCode, Duration retryAfter) {
        super(Status.HTTP, message, httpStatus, oauthCode, retryAfter);
    }
}
