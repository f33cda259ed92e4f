package io.github.tpauth;

import java.time.Duration;
import java.util.Optional;

/**
 * Every failure of tpauth: a {@link Status} (the C ABI's numbers), a message that says what went
 * wrong and what to do (never a secret), and what the server said. Each status has its own
 * subclass ({@link RateLimitedException}, {@link InvalidGrantException}, ...), so a caller catches
 * the one it handles, or this class for all of them.
 *
 * <p>Unchecked, as every failure is described by its status rather than by the signature of the
 * method that met it.
 */
public class TpauthException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final Status status;
    private final int httpStatus;
    private final String oauthCode;
    private final Duration retryAfter;

    /** An exception with the given status and message (no HTTP status, OAuth code or Retry-After). */
    public TpauthException(Status status, String message) {
        this(status, message, 0, null, null);
    }

    /**
     * An exception with every detail.
     *
     * @param status what kind of failure (not null)
     * @param message what went wrong, without secrets
     * @param httpStatus the HTTP status of the answer that caused it, 0 when none
     * @param oauthCode the OAuth {@code error} the server sent, or null
     * @param retryAfter how long the server asked to wait, or null
     */
    public TpauthException(Status status, String message, int httpStatus, String oauthCode, Duration retryAfter) {
        super(message);
        this.status = status == null ? Status.INTERNAL : status;
        this.httpStatus = httpStatus;
        this.oauthCode = oauthCode;
        this.retryAfter = retryAfter;
    }

    /** The exception of the subclass that matches {@code status}. */
    public static TpauthException of(Status status, String message, int httpStatus, String oauthCode, Duration retryAfter) {
        switch (status == null ? Status.INTERNAL : status) {
            case INVALID_ARGUMENT: return new InvalidArgumentException(message, httpStatus, oauthCode, retryAfter);
            case NETWORK: return new NetworkException(message, httpStatus, oauthCode, retryAfter);
            case TIMEOUT: return new TimeoutException(message, httpStatus, oauthCode, retryAfter);
            case UNAUTHORIZED: return new UnauthorizedException(message, httpStatus, oauthCode, retryAfter);
            case RATE_LIMITED: return new RateLimitedException(message, httpStatus, oauthCode, retryAfter);
            case INVALID_GRANT: return new InvalidGrantException(message, httpStatus, oauthCode, retryAfter);
            case HTTP: return new HttpException(message, httpStatus, oauthCode, retryAfter);
            case PROTOCOL: return new ProtocolException(message, httpStatus, oauthCode, retryAfter);
            case STATE_MISMATCH: return new StateMismatchException(message, httpStatus, oauthCode, retryAfter);
            case ACCESS_DENIED: return new AccessDeniedException(message, httpStatus, oauthCode, retryAfter);
            case NO_TOKEN: return new NoTokenException(message, httpStatus, oauthCode, retryAfter);
            case STORE: return new StoreException(message, httpStatus, oauthCode, retryAfter);
            case INTERNAL: return new InternalException(message, httpStatus, oauthCode, retryAfter);
            default: return new InternalException(message, httpStatus, oauthCode, retryAfter); // OK is no failure: a bug
        }
    }

    /** What kind of failure this is. */
    public Status status() {
        return status;
    }

    /** The HTTP status of the answer that caused the failure; 0 when there was no HTTP answer. */
    public int httpStatus() {
        return httpStatus;
    }

    /** The OAuth {@code error} code the server sent ({@code "invalid_grant"}, ...), or null when none. */
    public String oauthCode() {
        return oauthCode;
    }

    /** How long the server asked to wait before trying again (Retry-After), when it said. */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }

    /** The class, the status's C name, the message, and the HTTP status, OAuth code and Retry-After when known. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(getClass().getName()).append(" (").append(status.cName()).append("): ").append(getMessage());
        if (httpStatus != 0) {
            s.append(" [http ").append(httpStatus).append(']');
        }
        if (oauthCode != null) {
            s.append(" [oauth ").append(oauthCode).append(']');
        }
        if (retryAfter != null) {
            s.append(" [retry after ").append(retryAfter.toMillis()).append(" ms]");
        }
        return s.toString();
    }
}
