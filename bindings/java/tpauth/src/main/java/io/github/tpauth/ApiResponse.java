package io.github.tpauth;

import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * One API response: status, headers and body, copied out of the library's response (which is
 * freed at once: there is nothing to close). Immutable and safe to share between threads.
 */
public final class ApiResponse {
    private final int status;
    private final byte[] body;
    private final List<Map.Entry<String, String>> headers;

    private ApiResponse(int status, byte[] body, List<Map.Entry<String, String>> headers) {
        this.status = status;
        this.body = body;
        this.headers = headers;
    }

    /** A copy of a native response, which is then freed. */
    static ApiResponse take(long r, Marshal m) {
        try {
            int status = Lib.tp_response_status(r);
            long p = Lib.tp_response_body(r, m.out3());
            long len = m.out3Value();
            if (len > Integer.MAX_VALUE) {
                throw new ProtocolException("the response body is larger than a Java array");
            }
            byte[] body = p == 0 || len == 0 ? new byte[0] : new com.sun.jna.Pointer(p).getByteArray(0, (int) len);
            int count = (int) Math.min(Lib.tp_response_header_count(r), Integer.MAX_VALUE);
            List<Map.Entry<String, String>> headers = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                if (Lib.tp_response_header_at(r, i, m.out(), m.out2()) == 0) {
                    break;
                }
                String name = Marshal.read(m.outValue());
                String value = Marshal.read(m.out2Value());
                headers.add(new AbstractMap.SimpleImmutableEntry<>(name == null ? "" : name, value == null ? "" : value));
            }
            return new ApiResponse(status, body, Collections.unmodifiableList(headers));
        } finally {
            Lib.tp_response_free(r);
        }
    }

    /** The HTTP status (200, 404, ...). */
    public int status() {
        return status;
    }

    /** The body's bytes (a copy). */
    public byte[] body() {
        return body.clone();
    }

    /** The body decoded as UTF-8 (invalid sequences replaced). */
    public String text() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /** The first value of the header {@code name} (case-insensitive), or null when absent. */
    public String header(String name) {
        if (name == null) {
            throw new InvalidArgumentException("name must not be null");
        }
        for (Map.Entry<String, String> h : headers) {
            if (h.getKey().equalsIgnoreCase(name)) {
                return h.getValue();
            }
        }
        return null;
    }

    /** Every header as received (names lower-cased), in order. */
    public List<Map.Entry<String, String>> headers() {
        return headers;
    }

    /** Status and body size (no header values: they may carry secrets). */
    @Override
    public String toString() {
        return "ApiResponse{status=" + status + ", body=" + body.length + " bytes}";
    }
}
