import io.github.tpauth.Auth;
import io.github.tpauth.Token;
import io.github.tpauth.Tpauth;
import io.github.tpauth.okhttp.TpauthInterceptor;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/** OkHttp through io.github.tpauth:tpauth-okhttp: a password grant, then the API call by OkHttp. */
public class OkCheck {
    public static void main(String[] args) throws Exception {
        System.out.println("version " + Tpauth.version());
        try (Auth auth = Auth.fromEnv()) {
            Token t = auth.passwordGrant(System.getenv("TRUSTPILOT_USERNAME"), System.getenv("TRUSTPILOT_PASSWORD"));
            System.out.println("grant " + t.tokenType());
            OkHttpClient http = TpauthInterceptor.install(new OkHttpClient.Builder(), auth).build();
            Request req = new Request.Builder().url(System.getenv("MOCK_URL") + "/v1/private/business-units/dist-check").build();
            try (Response r = http.newCall(req).execute()) {
                System.out.println("api " + r.code() + " " + r.body().string());
            }
            http.dispatcher().executorService().shutdown();
            http.connectionPool().evictAll();
        }
    }
}
