package io.github.tpauth;

/** How important a log message is (the C ABI's {@code TP_LOG_*} numbers). See {@link Tpauth#setLogHandler}. */
public enum LogLevel {
    /** Something failed and the caller will see an error. */
    ERROR(1),
    /** Something failed and was worked around (a retry, a stale token served, a corrupt cache). */
    WARN(2),
    /** A token request, a renewal, a cache event. */
    INFO(3),
    /** Detail. */
    DEBUG(4);

    private final int code;

    LogLevel(int code) {
        this.code = code;
    }

    /** The C ABI's {@code tp_log_level} number. */
    public int code() {
        return code;
    }

    static LogLevel fromCode(int code) {
        for (LogLevel l : values()) {
            if (l.code == code) {
                return l;
            }
        }
        return code < ERROR.code ? ERROR : DEBUG;
    }
}
