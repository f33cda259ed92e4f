package io.github.tpauth;

/**
 * Receives the native library's log messages: renewals, retries, token-cache events (never a
 * secret). Installed process-wide with {@link Tpauth#setLogHandler}. It is called from whichever
 * thread the event happens on, also concurrently, and must not call back into tpauth; an exception
 * it throws is dropped.
 */
@FunctionalInterface
public interface LogHandler {
    /** One message. */
    void log(LogLevel level, String message);
}
