package io.github.tpauth;

import com.sun.jna.Callback;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/**
 * The C ABI (include/tpauth.h), bound with JNA's direct mapping: each function is a static
 * native method registered against the loaded library. Every parameter and result is a Java primitive
 * ({@code long} for pointers and size_t: every supported platform is 64-bit; {@code byte} for C
 * {@code bool}), so that JNA calls without converting anything; strings and out parameters live in
 * {@link Marshal}'s per-thread native buffer. Direct mapping costs about a third of an interface
 * mapping per call (bench/java: {@code NativeCallBench}).
 *
 * <p>The class is registered by {@link Library}, never used before it: a missing library gives a
 * clear {@link UnsatisfiedLinkError} there.
 */
final class Lib {
    private Lib() {
    }

    /** tp_config_from_lookup's callback: the value of variable {@code name}, or NULL when unset. */
    interface LookupCallback extends Callback {
        Pointer invoke(Pointer name, Pointer userData);
    }

    /** tp_set_log_callback's callback. */
    interface LogCallback extends Callback {
        void invoke(int level, Pointer message, Pointer userData);
    }

    static void register(NativeLibrary library) {
        Native.register(Lib.class, library);
    }

    static native long tp_version();
    static native long tp_status_name(int status);
    static native void tp_string_free(long s);
    static native long tp_new_state();
    static native int tp_new_pkce(long verifierOut, long challengeOut, long err);

    static native int tp_error_status(long e);
    static native long tp_error_message(long e);
    static native int tp_error_http_status(long e);
    static native long tp_error_oauth_code(long e);
    static native long tp_error_retry_after_ms(long e);
    static native void tp_error_free(long e);

    static native int tp_config_new(long apiKey, long apiSecret, long out, long err);
    static native int tp_config_from_env(long out, long err);
    static native int tp_config_set(long cfg, long key, long value, long err);
    static native int tp_config_from_lookup(LookupCallback lookup, Pointer userData, long out, long err);
    static native long tp_option_count();
    static native long tp_option_name(long i);
    static native void tp_config_free(long cfg);

    static native int tp_auth_new(long cfg, long out, long err);
    static native void tp_auth_free(long auth);

    static native int tp_password_grant(long auth, long username, long password, long out, long err);
    static native int tp_client_credentials_grant(long auth, long out, long err);
    static native int tp_authorization_code_grant(long auth, long code, long redirectUri, long out, long err);
    static native int tp_authorization_code_grant_pkce(long auth, long code, long redirectUri, long verifier, long out, long err);
    static native int tp_refresh(long auth, long refreshToken, long out, long err);
    static native int tp_revoke(long auth, long refreshToken, long err);
    static native int tp_authorize_url(long auth, long redirectUri, long responseType, long state, long urlOut, long err);
    static native int tp_authorize_url_pkce(long auth, long redirectUri, long responseType, long state, long challenge, long urlOut, long err);
    static native long tp_token_renew_at_ms(long auth, long token);
    static native int tp_api_headers(long auth, long method, long urlOrPath, long headersOut, long err);
    static native int tp_prepare_api_call(long auth, long method, long urlOrPath, long callerHeaders, int flags, long urlOut,
                                          long headersOut, long err);
    /** tp_prepare_api_call's flag: never renew ("renewal needed" is TP_OK with *headers_out NULL). */
    static final int TP_PREPARE_NO_RENEW = 1;
    static native int tp_get_token(long auth, long out, long err);
    static native int tp_invalidate_token(long auth, long accessToken, long err);
    static native int tp_set_token(long auth, long token, long err);
    static native int tp_check_token_url(long auth, long url, long err);
    static native int tp_request(long auth, long method, long urlOrPath, long body, long contentType, long out, long err);
    static native int tp_request_bytes(long auth, long method, long urlOrPath, long body, long bodyLen, long contentType, long out, long err);
    static native int tp_auth_api_key(long auth, long keyOut, long err);
    static native int tp_auth_business_user_id(long auth, long idOut, long err);

    static native int tp_parse_code_redirect(long redirectUrl, long expectedState, long codeOut, long err);
    static native int tp_parse_implicit_redirect(long redirectUrl, long expectedState, long out, long err);

    static native long tp_token_access_token(long t);
    static native long tp_token_refresh_token(long t);
    static native long tp_token_type(long t);
    static native long tp_token_expires_in(long t);
    static native long tp_token_expires_at(long t);
    static native long tp_token_received_at(long t);
    static native byte tp_token_is_expired(long t, long leewayS);
    static native long tp_token_raw_json(long t);
    static native int tp_token_to_json(long t, long jsonOut, long err);
    static native int tp_token_from_json(long json, long out, long err);
    static native int tp_token_new(long accessToken, long refreshToken, long tokenType, long expiresIn, long receivedAtMs,
                                   long rawJson, long out, long err);
    static native void tp_token_free(long t);

    static native int tp_response_status(long r);
    static native long tp_response_body(long r, long lenOut);
    static native long tp_response_header(long r, long name);
    static native long tp_response_header_count(long r);
    static native byte tp_response_header_at(long r, long index, long nameOut, long valueOut);
    static native void tp_response_free(long r);

    static native void tp_set_log_callback(LogCallback cb, Pointer userData);
}
