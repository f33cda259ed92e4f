import io.github.tpauth.ApiResponse;
import io.github.tpauth.Auth;
import io.github.tpauth.Token;
import io.github.tpauth.Tpauth;

/**
 * A Java 8 user's program (compiled with --release 8): the client from the TRUSTPILOT_* environment,
 * a password grant and an API call against the mock (tests/dist/java.sh).
 */
public class Check {
    public static void main(String[] args) {
        System.out.println("version " + Tpauth.version());
        System.out.println("java " + System.getProperty("java.version") + " " + System.getProperty("os.name"));
        try (Auth auth = Auth.fromEnv()) {
            Token t = auth.passwordGrant(System.getenv("TRUSTPILOT_USERNAME"), System.getenv("TRUSTPILOT_PASSWORD"));
            System.out.println("grant " + t.tokenType() + " " + t);
            ApiResponse r = auth.request("GET", "/v1/private/business-units/dist-check");
            System.out.println("api " + r.status() + " " + r.text());
        }
        System.out.println("library " + Tpauth.libraryPath());
    }
}
