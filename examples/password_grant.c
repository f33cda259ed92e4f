/* Password grant, then one API call with the managed token.
 *
 *   password_grant [BASE_URL]     (or env TPAUTH_MOCK_URL; e.g. http://127.0.0.1:PORT of `tpauth mock`)
 *
 * Credentials come from TRUSTPILOT_API_KEY, TRUSTPILOT_API_SECRET, TRUSTPILOT_USERNAME and
 * TRUSTPILOT_PASSWORD, defaulting to the mock's. Without a base URL it talks to Trustpilot. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tpauth.h>

static const char *env_or(const char *name, const char *fallback) {
  const char *v = getenv(name);
  return v && *v ? v : fallback;
}

/* Prints a failed call's error (never a secret) and frees it. */
static int fail(const char *what, tp_status st, tp_error *err) {
  fprintf(stderr, "%s failed: %s: %s (HTTP %d, oauth error %s)\n", what, tp_status_name(st),
          err ? tp_error_message(err) : "", err ? tp_error_http_status(err) : 0,
          err && tp_error_oauth_code(err) ? tp_error_oauth_code(err) : "none");
  tp_error_free(err);
  return 1;
}

int main(int argc, char **argv) {
  const char *base = argc > 1 ? argv[1] : getenv("TPAUTH_MOCK_URL");
  tp_config *cfg = NULL;
  tp_auth *auth = NULL;
  tp_token *tok = NULL;
  tp_response *resp = NULL;
  tp_error *err = NULL;
  tp_status st;
  int rc = 1;

  printf("libtpauth %s\n", tp_version());
  st = tp_config_new(env_or("TRUSTPILOT_API_KEY", "mock-api-key"), env_or("TRUSTPILOT_API_SECRET", "mock-api-secret"),
                     &cfg, &err);
  if (st != TP_OK) return fail("tp_config_new", st, err);
  if (base && *base) {
    char authorize[1024];
    snprintf(authorize, sizeof authorize, "%s/authenticate", base);
    if ((st = tp_config_set(cfg, "api_base_url", base, &err)) != TP_OK ||
        (st = tp_config_set(cfg, "authorize_url", authorize, &err)) != TP_OK ||
        (strncmp(base, "http://", 7) == 0 && (st = tp_config_set(cfg, "allow_insecure_http", "true", &err)) != TP_OK)) {
      rc = fail("tp_config_set", st, err);
      goto out;
    }
  }
  st = tp_auth_new(cfg, &auth, &err);
  if (st != TP_OK) { rc = fail("tp_auth_new", st, err); goto out; }

  st = tp_password_grant(auth, env_or("TRUSTPILOT_USERNAME", "user@example.com"),
                         env_or("TRUSTPILOT_PASSWORD", "mock-password"), &tok, &err);
  if (st != TP_OK) { rc = fail("tp_password_grant", st, err); goto out; }
  /* Never print the tokens themselves: they are secrets. */
  printf("password grant: token_type=%s expires_in=%lld refresh_token=%s\n",
         tp_token_type(tok) ? tp_token_type(tok) : "(none)", (long long)tp_token_expires_in(tok),
         tp_token_refresh_token(tok) ? "yes" : "no");

  /* The grant became the client's current token: tp_request uses it (and renews it when needed). */
  st = tp_request(auth, "GET", "/v1/private/business-units/mock-business-unit/reviews?perPage=1", NULL, NULL, &resp, &err);
  if (st != TP_OK) { rc = fail("tp_request", st, err); goto out; }
  {
    size_t len = 0;
    const char *body = tp_response_body(resp, &len);
    const char *ctype = tp_response_header(resp, "content-type");
    printf("GET reviews: HTTP %d, %s, %zu bytes\n%.*s\n", tp_response_status(resp), ctype ? ctype : "no content-type",
           len, (int)len, body);
    rc = tp_response_status(resp) >= 200 && tp_response_status(resp) < 300 ? 0 : 1;
  }

out:
  tp_response_free(resp);
  tp_token_free(tok);
  tp_auth_free(auth);
  tp_config_free(cfg);
  return rc;
}
