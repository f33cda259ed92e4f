/* Regression tests of the security review (issue 13), each named after the attack it stops, as C
 * programs against the library: where the token may go, what an error message or a log line may
 * show, and what a hostile server's answer can do. */
#include "harness.h"

/* ---- the token goes only to allowed hosts ------------------------------------------------- */

static tp_auth *auth_for_base(const char *base, const char *token_hosts) {
  tp_config *cfg = NULL;
  tp_auth *auth = NULL;
  EXPECT_OK(tp_config_new("mock-api-key", "mock-api-secret", &cfg, &ERR));
  EXPECT_OK(tp_config_set(cfg, "api_base_url", base, &ERR));
  if (token_hosts) EXPECT_OK(tp_config_set(cfg, "token_hosts", token_hosts, &ERR));
  EXPECT_OK(tp_auth_new(cfg, &auth, &ERR));
  tp_config_free(cfg);
  return auth;
}

static void token_sent_to_public_suffix_sibling_is_refused(void) {
  TEST("token_sent_to_public_suffix_sibling_is_refused");
  tp_auth *auth = auth_for_base("https://api.example.co.uk", NULL);
  EXPECT_OK(tp_check_token_url(auth, "https://api.example.co.uk/v1/x", &ERR));
  EXPECT_OK(tp_check_token_url(auth, "/v1/private/x", &ERR));
  EXPECT_OK(tp_check_token_url(auth, "https://api.trustpilot.com/v1/x", &ERR));
  EXPECT_OK(tp_check_token_url(auth, "https://invitations-api.trustpilot.com/v1/x", &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "evil.co.uk", tp_check_token_url(auth, "https://evil.co.uk/x", &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "token_hosts", tp_check_token_url(auth, "https://evil.co.uk/x", &ERR));
  /* tp_request applies the same rule, before any token or connection */
  tp_response *r = NULL;
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "evil.co.uk", tp_request(auth, "GET", "https://evil.co.uk/x", NULL, NULL, &r, &ERR));
  CHECK(r == NULL);
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "auth is NULL", tp_check_token_url(NULL, "/x", &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "url is NULL", tp_check_token_url(auth, NULL, &ERR));
  tp_auth_free(auth);

  auth = auth_for_base("https://mine.herokuapp.com", NULL);
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "theirs.herokuapp.com",
              tp_check_token_url(auth, "https://theirs.herokuapp.com/x", &ERR));
  tp_auth_free(auth);
  auth = auth_for_base("https://mine.herokuapp.com", "theirs.herokuapp.com");
  EXPECT_OK(tp_check_token_url(auth, "https://theirs.herokuapp.com/x", &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "other.herokuapp.com",
              tp_check_token_url(auth, "https://other.herokuapp.com/x", &ERR));
  tp_auth_free(auth);
}

static void token_sent_to_another_local_port_is_refused(void) {
  TEST("token_sent_to_another_local_port_is_refused");
  mock_reset();
  tp_auth *auth = new_auth(NULL);
  char other[64];
  snprintf(other, sizeof other, "http://127.0.0.1:%d/v1/x", g_port == 1 ? 2 : 1);
  tp_response *r = NULL;
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "token_hosts", tp_request(auth, "GET", other, NULL, NULL, &r, &ERR));
  CHECK(mock_stat("token_requests") == 0);
  tp_auth_free(auth);
}

int main(void) {
  mock_init();
  note_secret("mock-api-secret");
  note_secret("mock-password");
  token_sent_to_public_suffix_sibling_is_refused();
  token_sent_to_another_local_port_is_refused();
  return finish();
}
