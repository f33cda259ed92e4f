/* Cold start to the first token from C: one password grant, the access token printed.
 * Usage: cold BASE_URL */
#include <stdio.h>
#include "tpauth.h"

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  tp_config *cfg; tp_auth *auth; tp_token *tok; tp_error *err = NULL;
  if (tp_config_new("mock-api-key", "mock-api-secret", &cfg, &err) != TP_OK) return 1;
  tp_config_set(cfg, "api_base_url", argv[1], NULL);
  tp_config_set(cfg, "allow_insecure_http", "true", NULL);
  tp_config_set(cfg, "username", "user@example.com", NULL);
  tp_config_set(cfg, "password", "mock-password", NULL);
  if (tp_auth_new(cfg, &auth, &err) != TP_OK || tp_get_token(auth, &tok, &err) != TP_OK) {
    fprintf(stderr, "%s\n", tp_error_message(err)); return 1;
  }
  puts(tp_token_access_token(tok));
  tp_token_free(tok); tp_auth_free(auth); tp_config_free(cfg);
  return 0;
}
