package io.github.tpauth.okhttp;

import io.github.tpauth.TpauthException;
import java.io.IOException;

/**
 * The {@link IOException} OkHttp gets from {@link TpauthInterceptor} when no token could be put on
 * a request (a host that may not see it, a failed renewal, ...): the typed
 * {@link TpauthException} is its cause, e.g.
 * {@code catch (TpauthIOException e) { e.getCause().retryAfter() ... }}.
 */
public final class TpauthIOException extends IOException {
    private static final long serialVersionUID = 1L;

    TpauthIOException(TpauthException cause) {
        super(cause.getMessage(), cause);
    }

    /** The tpauth failure. */
    @Override
    public synchronized TpauthException getCause() {
        return (TpauthException) super.getCause();
    }
}
