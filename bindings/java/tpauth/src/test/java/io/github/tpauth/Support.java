package io.github.tpauth;

import io.github.tpauth.testing.Mock;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URL;

/** Clients against the mock, and what the tests share. */
final class Support {
    static final String REDIRECT_URI = "https://app.example.com/callback";

    private Support() {
    }

    /** A builder for the mock (its URL, http allowed), with no grant of its own. */
    static Auth.Builder mockBuilder() {
        return Auth.builder(Mock.API_KEY, Mock.API_SECRET).apiBaseUrl(Mock.url()).authorizeUrl(Mock.authorizeUrl()).allowInsecureHttp(true);
    }

    /** A client whose managed grant is the mock user's password grant, plus options as key, value pairs. */
    static Auth passwordAuth(String... options) {
        Auth.Builder b = mockBuilder().username(Mock.USERNAME).password(Mock.PASSWORD);
        for (int i = 0; i < options.length; i += 2) {
            b.option(options[i], options[i + 1]);
        }
        return b.build();
    }

    /** The Location the mock's authorization page redirects the browser to (its 302), as a browser would see it. */
    static String browserRedirect(String authorizeUrl) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL(authorizeUrl).openConnection();
        c.setInstanceFollowRedirects(false);
        int status = c.getResponseCode();
        if (status != 302) {
            throw new AssertionError("the authorization page answered " + status);
        }
        return c.getHeaderField("Location");
    }

    /** Fails when {@code text} holds any of {@code secrets} (and the mock's own). */
    static void assertNoSecret(String text, String... secrets) {
        Mock.assertNoSecret(text, "text");
        for (String s : secrets) {
            if (s != null && !s.isEmpty() && text != null && text.contains(s)) {
                throw new AssertionError("a secret appears in: " + text);
            }
        }
    }
}
