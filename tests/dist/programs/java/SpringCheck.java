import io.github.tpauth.Auth;
import io.github.tpauth.Token;
import io.github.tpauth.Tpauth;
import io.github.tpauth.spring.TpauthRequestInterceptor;
import org.springframework.http.ResponseEntity;
import org.springframework.web.client.RestClient;

/** Spring 6's RestClient through io.github.tpauth:tpauth-spring (built against Spring 5.3). */
public class SpringCheck {
    public static void main(String[] args) {
        System.out.println("version " + Tpauth.version());
        try (Auth auth = Auth.fromEnv()) {
            Token t = auth.passwordGrant(System.getenv("TRUSTPILOT_USERNAME"), System.getenv("TRUSTPILOT_PASSWORD"));
            System.out.println("grant " + t.tokenType());
            RestClient rest = RestClient.builder().requestInterceptor(new TpauthRequestInterceptor(auth)).build();
            ResponseEntity<String> r = rest.get().uri(System.getenv("MOCK_URL") + "/v1/private/business-units/dist-check").retrieve()
                    .toEntity(String.class);
            System.out.println("api " + r.getStatusCode().value() + " " + r.getBody());
        }
    }
}
