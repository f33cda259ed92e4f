package io.github.tpauth;

import java.util.List;
import java.util.Map;

/**
 * What an HTTP client integration sends for one API call ({@link Auth#prepareApiCall}): the URL
 * the library judged, and the headers to set on the request, each replacing the request's header
 * of that name (in any letter case). Holds the access token: never log it.
 */
public final class PreparedCall {
    private final String url;
    private final List<Map.Entry<String, String>> headers;

    PreparedCall(String url, List<Map.Entry<String, String>> headers) {
        this.url = url;
        this.headers = headers;
    }

    /** The URL to send the request to. */
    public String url() {
        return url;
    }

    /** The headers to set, in order ({@code Authorization}, {@code apikey}, {@code x-business-user-id}). */
    public List<Map.Entry<String, String>> headers() {
        return headers;
    }

    /** The access token the {@code Authorization} header carries (to report a 401 with {@link Auth#invalidateToken}), or null. */
    public String accessToken() {
        for (Map.Entry<String, String> h : headers) {
            if (h.getKey().equalsIgnoreCase("Authorization")) {
                String v = h.getValue();
                int space = v.indexOf(' ');
                return space > 0 ? v.substring(space + 1) : v;
            }
        }
        return null;
    }

    /** The header names only (the values hold the token). */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("PreparedCall{url=").append(url).append(", headers=[");
        for (int i = 0; i < headers.size(); i++) {
            s.append(i == 0 ? "" : ", ").append(headers.get(i).getKey());
        }
        return s.append("]}").toString();
    }
}
