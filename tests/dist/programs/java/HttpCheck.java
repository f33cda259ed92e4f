import io.github.tpauth.Auth;
import io.github.tpauth.Token;
import io.github.tpauth.Tpauth;
import io.github.tpauth.http.TpauthHttpClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** java.net.http through io.github.tpauth:tpauth-http: a password grant, then the API call by HttpClient. */
public class HttpCheck {
    public static void main(String[] args) throws Exception {
        System.out.println("version " + Tpauth.version());
        try (Auth auth = Auth.fromEnv()) {
            Token t = auth.passwordGrant(System.getenv("TRUSTPILOT_USERNAME"), System.getenv("TRUSTPILOT_PASSWORD"));
            System.out.println("grant " + t.tokenType());
            HttpClient http = TpauthHttpClient.create(auth);
            HttpRequest req = HttpRequest.newBuilder(URI.create(System.getenv("MOCK_URL") + "/v1/private/business-units/dist-check")).build();
            HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
            System.out.println("api " + r.statusCode() + " " + r.body());
        }
    }
}
