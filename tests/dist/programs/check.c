/* The dist suite's C check: a password grant, then an API call with that token (the mock's URL and
   credentials come from the environment tests/dist/lib.sh sets). */
#include <stdio.h>
#include <stdlib.h>
#include <tpauth.h>

static int fail(const char *what, tp_error *err) {
  printf("%s: %s\n", what, err ? tp_error_message(err) : "failed");
  tp_error_free(err);
  return 1;
}

int main(void) {
  tp_error *err = NULL;
  tp_config *cfg = NULL;
  tp_auth *auth = NULL;
  tp_token *tok = NULL;
  tp_response *resp = NULL;
  printf("version %s\n", tp_version());
  if (tp_config_new(getenv("TRUSTPILOT_API_KEY"), getenv("TRUSTPILOT_API_SECRET"), &cfg, &err) != TP_OK) return fail("config", err);
  if (tp_config_set(cfg, "api_base_url", getenv("MOCK_URL"), &err) != TP_OK) return fail("config", err);
  if (tp_config_set(cfg, "allow_insecure_http", "true", &err) != TP_OK) return fail("config", err);
  if (tp_auth_new(cfg, &auth, &err) != TP_OK) return fail("auth", err);
  tp_config_free(cfg);
  if (tp_password_grant(auth, getenv("TRUSTPILOT_USERNAME"), getenv("TRUSTPILOT_PASSWORD"), &tok, &err) != TP_OK) return fail("grant", err);
  const char *type = tp_token_type(tok);
  printf("grant %s\n", type ? type : "");
  tp_token_free(tok);
  if (tp_request(auth, "GET", "/v1/private/business-units/dist-check", NULL, NULL, &resp, &err) != TP_OK) return fail("api", err);
  size_t len = 0;
  const char *body = tp_response_body(resp, &len);
  printf("api %d %.*s\n", (int)tp_response_status(resp), (int)len, body);
  tp_response_free(resp);
  tp_auth_free(auth);
  return 0;
}
