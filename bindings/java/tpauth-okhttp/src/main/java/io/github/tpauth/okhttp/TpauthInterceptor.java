package io.github.tpauth.okhttp;

import io.github.tpauth.Auth;
import io.github.tpauth.InvalidArgumentException;
import io.github.tpauth.PreparedCall;
import io.github.tpauth.TpauthException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import okhttp3.Authenticator;
import okhttp3.Headers;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.Route;

/**
 * Trustpilot's authentication for OkHttp: adds {@code Authorization} (the managed token),
 * {@code apikey} and, when configured, {@code x-business-user-id} to every request, as the native
 * library composes them ({@link Auth#prepareApiCall}); a request to a host that may not see the
 * token fails before anything is sent. After a 401 it reports the token it sent
 * ({@link Auth#invalidateToken}: N concurrent 401s cause one renewal), takes the renewed one and
 * resends the request once.
 *
 * <pre>{@code
 * TpauthInterceptor tpauth = new TpauthInterceptor(auth);
 * OkHttpClient http = new OkHttpClient.Builder().addInterceptor(tpauth).authenticator(tpauth).build();
 * // or: OkHttpClient http = TpauthInterceptor.install(new OkHttpClient.Builder(), auth).build();
 * }</pre>
 *
 * As an {@link Interceptor} (required: it adds the headers) it also resends after a 401 itself;
 * set as the client's {@link Authenticator} too, it does the resend inside OkHttp's follow-up logic
 * instead. Either way a request is resent at most once, and never when its body is one-shot. A failure to get the token is a {@link TpauthIOException} (an {@link IOException},
 * as OkHttp's calls and callbacks expect) whose {@link TpauthIOException#getCause() cause} is the
 * typed {@link TpauthException}.
 */
public final class TpauthInterceptor implements Interceptor, Authenticator {
    private final Auth auth;

    /** Authentication with {@code auth}'s token (the caller keeps and closes {@code auth}). */
    public TpauthInterceptor(Auth auth) {
        if (auth == null) {
            throw new InvalidArgumentException("auth must not be null");
        }
        this.auth = auth;
    }

    /** {@code builder} with a {@code TpauthInterceptor} for {@code auth} as interceptor and authenticator. */
    public static OkHttpClient.Builder install(OkHttpClient.Builder builder, Auth auth) {
        TpauthInterceptor t = new TpauthInterceptor(auth);
        return builder.addInterceptor(t).authenticator(t);
    }

    @Override
    public Response intercept(Chain chain) throws IOException {
        Request sent = authorize(chain.request());
        Response response = chain.proceed(sent);
        if (response.code() != 401 || refusedBefore(response) || oneShot(sent)) {
            return response; // an Authenticator resent it already, or it cannot be resent
        }
        response.close();
        return chain.proceed(reauthorize(sent));
    }

    @Override
    public Request authenticate(Route route, Response response) throws IOException {
        if (refusedBefore(response) || oneShot(response.request())) {
            return null; // resent once already: give the 401 to the caller
        }
        return reauthorize(response.request());
    }

    /** Whether a response before this one, for the same call, was a 401 (the request was resent once). */
    private static boolean refusedBefore(Response response) {
        for (Response prior = response.priorResponse(); prior != null; prior = prior.priorResponse()) {
            if (prior.code() == 401) {
                return true;
            }
        }
        return false;
    }

    private static boolean oneShot(Request request) {
        return request.body() != null && request.body().isOneShot();
    }

    /** {@code refused} after a 401: its token reported, the renewed one set. */
    private Request reauthorize(Request refused) throws IOException {
        String header = refused.header("Authorization");
        int space = header == null ? -1 : header.indexOf(' ');
        if (space > 0) {
            try {
                auth.invalidateToken(header.substring(space + 1));
            } catch (TpauthException e) {
                throw new TpauthIOException(e);
            }
        }
        return authorize(refused);
    }

    private Request authorize(Request request) throws IOException {
        String url = request.url().toString();
        Headers own = request.headers();
        List<String> names = new ArrayList<>(own.size());
        for (int i = 0; i < own.size(); i++) {
            names.add(own.name(i));
        }
        PreparedCall call;
        try {
            call = auth.prepareApiCall(request.method(), url, names);
        } catch (TpauthException e) {
            throw new TpauthIOException(e);
        }
        Request.Builder b = request.newBuilder();
        if (!call.url().equals(url)) {
            b.url(call.url());
        }
        for (Map.Entry<String, String> h : call.headers()) {
            b.header(h.getKey(), h.getValue()); // replaces the request's header of that name, in any case
        }
        return b.build();
    }

    @Override
    public String toString() {
        return "TpauthInterceptor{" + auth + "}";
    }
}
