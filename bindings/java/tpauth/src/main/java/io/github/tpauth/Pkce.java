package io.github.tpauth;

/**
 * A PKCE pair (RFC 7636, method S256) from {@link Tpauth#newPkce()}: send the {@link #challenge()}
 * in the authorization URL ({@link Auth#authorizeUrl(String, String, String, String)}), keep the
 * {@link #verifier()} (a secret, like the state) for
 * {@link Auth#authorizationCodeGrant(String, String, String)}.
 */
public final class Pkce {
    private final String verifier;
    private final String challenge;

    Pkce(String verifier, String challenge) {
        this.verifier = verifier;
        this.challenge = challenge;
    }

    /** The code verifier: 43 base64url characters (a secret until the code is exchanged). */
    public String verifier() {
        return verifier;
    }

    /** BASE64URL(SHA-256(verifier)). */
    public String challenge() {
        return challenge;
    }

    /** The challenge only. */
    @Override
    public String toString() {
        return "Pkce{challenge=" + challenge + ", verifier=[redacted]}";
    }
}
