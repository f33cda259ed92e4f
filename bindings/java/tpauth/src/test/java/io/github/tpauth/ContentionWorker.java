package io.github.tpauth;

import io.github.tpauth.testing.Json;
import java.util.ArrayList;
import java.util.List;

/**
 * One busy process of {@link ContentionTest}: an {@link Auth} from the TRUSTPILOT_* environment
 * (with a shared token cache) asking for the token in a loop until it holds the hour-long token,
 * then CALLS_AFTER times more; prints {"calls":N,"errors":[...],"library":"..."} as its last line.
 */
public final class ContentionWorker {
    private ContentionWorker() {
    }

    public static void main(String[] args) {
        int callsAfter = Integer.parseInt(System.getenv("CALLS_AFTER"));
        List<String> errors = new ArrayList<>();
        long calls = 0;
        try (Auth auth = Auth.fromEnv()) {
            for (int after = 0; after < callsAfter; calls++) {
                long asked = System.currentTimeMillis() / 1000;
                Token t = auth.getToken();
                if (t.expiresAt() != null && t.expiresAt().getEpochSecond() < asked) {
                    errors.add("a token that had expired before it was asked for");
                    break;
                }
                if (t.expiresIn() >= 3600) {
                    after++;
                }
            }
        } catch (Throwable e) {
            errors.add(e.toString());
        }
        StringBuilder e = new StringBuilder("[");
        for (int i = 0; i < errors.size(); i++) {
            e.append(i == 0 ? "" : ",").append(Json.quote(errors.get(i)));
        }
        String library;
        try {
            library = Tpauth.libraryPath();
        } catch (Throwable x) {
            library = x.toString();
        }
        System.out.println("{\"calls\":" + calls + ",\"errors\":" + e + "],\"library\":" + Json.quote(library) + "}");
    }
}
