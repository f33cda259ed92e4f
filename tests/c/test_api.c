/* Every function of include/tpauth.h against the mock: results, error paths with their typed
 * status and message, ownership (out parameters only on success, every _free(NULL)), the bad
 * input the contract lists (NULL, invalid UTF-8, unknown options, malformed URLs), and the bytes
 * on the wire. */
#include "harness.h"

#include <ctype.h>

#define SENTINEL_TOKEN ((tp_token *)(uintptr_t)0x5EED)
#define SENTINEL_STR ((char *)(uintptr_t)0x5EED)

static const char *const BAD_UTF8 = "\xff\xfe";

/* ---- library-wide ------------------------------------------------------------------------- */

static void test_misc(void) {
  TEST("version, status names, state, string free");
  const char *v = tp_version();
  int a, b, c;
  CHECK(v && sscanf(v, "%d.%d.%d", &a, &b, &c) == 3);
  CHECK(tp_version() == v); /* static */
  static const char *names[] = {"TP_OK", "TP_ERR_INVALID_ARGUMENT", "TP_ERR_NETWORK", "TP_ERR_TIMEOUT",
                                "TP_ERR_UNAUTHORIZED", "TP_ERR_RATE_LIMITED", "TP_ERR_INVALID_GRANT", "TP_ERR_HTTP",
                                "TP_ERR_PROTOCOL", "TP_ERR_STATE_MISMATCH", "TP_ERR_ACCESS_DENIED", "TP_ERR_NO_TOKEN",
                                "TP_ERR_STORE", "TP_ERR_INTERNAL"};
  for (int i = 0; i <= 13; i++) CHECK_STR(tp_status_name((tp_status)i), names[i]);
  CHECK(TP_ERR_RATE_LIMITED == 5 && TP_ERR_INTERNAL == 13 && TP_ERR_STORE == 12);
  /* Out-of-range numbers, as a C caller may pass them: defined behaviour, a name of its own. */
  int bogus[] = {14, -1, 255, 1 << 30};
  for (size_t i = 0; i < sizeof bogus / sizeof *bogus; i++) CHECK_STR(tp_status_name((tp_status)bogus[i]), "TP_ERR_UNKNOWN");

  char *s1 = tp_new_state(), *s2 = tp_new_state();
  CHECK(s1 && s2 && strlen(s1) == 22 && strcmp(s1, s2) != 0);
  for (const char *p = s1; p && *p; p++) CHECK(isalnum((unsigned char)*p) || *p == '-' || *p == '_');
  tp_string_free(s1);
  tp_string_free(s2);
  tp_string_free(NULL);

  TEST("every _free accepts NULL; accessors of NULL handles");
  tp_error_free(NULL);
  tp_config_free(NULL);
  tp_auth_free(NULL);
  tp_token_free(NULL);
  tp_response_free(NULL);
  CHECK(tp_error_status(NULL) == TP_OK);
  CHECK_STR(tp_error_message(NULL), "");
  CHECK(tp_error_http_status(NULL) == 0);
  CHECK(tp_error_oauth_code(NULL) == NULL);
  CHECK(tp_error_retry_after_ms(NULL) == -1);
  CHECK(tp_token_access_token(NULL) == NULL);
  CHECK(tp_token_refresh_token(NULL) == NULL);
  CHECK(tp_token_type(NULL) == NULL);
  CHECK(tp_token_raw_json(NULL) == NULL);
  CHECK(tp_token_expires_in(NULL) == -1);
  CHECK(tp_token_expires_at(NULL) == -1);
  CHECK(tp_token_received_at(NULL) == -1);
  CHECK(tp_token_is_expired(NULL, 0) == true);
  CHECK(tp_response_status(NULL) == 0);
  size_t len = 77;
  CHECK(tp_response_body(NULL, &len) == NULL && len == 77);
  CHECK(tp_response_header(NULL, "content-type") == NULL);
  CHECK(tp_response_header_count(NULL) == 0);
  const char *n = NULL, *val = NULL;
  CHECK(tp_response_header_at(NULL, 0, &n, &val) == false && n == NULL && val == NULL);
}

/* ---- configuration ------------------------------------------------------------------------ */

static void test_config(void) {
  TEST("tp_config_new / tp_config_set: bad input");
  tp_config *cfg = (tp_config *)(uintptr_t)0x5EED;
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "api_key is NULL", tp_config_new(NULL, "mock-api-secret", &cfg, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "api_secret is NULL", tp_config_new("k", NULL, &cfg, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "out is NULL", tp_config_new("k", "mock-api-secret", NULL, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "api_key: not valid UTF-8", tp_config_new(BAD_UTF8, "s", &cfg, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "api_secret: not valid UTF-8", tp_config_new("k", BAD_UTF8, &cfg, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "api_key", tp_config_new("", "s", &cfg, &ERR));
  CHECK(cfg == (tp_config *)(uintptr_t)0x5EED); /* never written on failure */
  /* err may be NULL: the status alone. */
  CHECK(tp_config_new(NULL, "s", &cfg, NULL) == TP_ERR_INVALID_ARGUMENT);

  cfg = NULL;
  EXPECT_OK(tp_config_new("mock-api-key", "mock-api-secret", &cfg, &ERR));
  CHECK(cfg != NULL);
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "cfg is NULL", tp_config_set(NULL, "timeout_ms", "1", &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "key is NULL", tp_config_set(cfg, NULL, "1", &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "is NULL", tp_config_set(cfg, "timeout_ms", NULL, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "key: not valid UTF-8", tp_config_set(cfg, BAD_UTF8, "1", &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "password", tp_config_set(cfg, "password", BAD_UTF8, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "unknown option", tp_config_set(cfg, "no_such_option", "1", &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "timeout_ms", tp_config_set(cfg, "timeout_ms", "abc", &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "connect_timeout_ms", tp_config_set(cfg, "connect_timeout_ms", "10s", &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "max_retries", tp_config_set(cfg, "max_retries", "-1", &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "refresh_leeway_s", tp_config_set(cfg, "refresh_leeway_s", "x", &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "api_base_url", tp_config_set(cfg, "api_base_url", "ftp://example.com", &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "api_base_url", tp_config_set(cfg, "api_base_url", "not a url", &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "grant", tp_config_set(cfg, "grant", "magic", &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "client_auth", tp_config_set(cfg, "client_auth", "digest", &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "refresh_endpoint", tp_config_set(cfg, "refresh_endpoint", "x", &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "allow_insecure_http", tp_config_set(cfg, "allow_insecure_http", "maybe", &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "user_agent", tp_config_set(cfg, "user_agent", "a\r\nX-Evil: 1", &ERR));

  TEST("tp_config_set: every option of the contract is accepted");
  static const char *opts[][2] = {
      {"api_base_url", "https://api.trustpilot.com"}, {"authorize_url", "https://authenticate.trustpilot.com"},
      {"username", "user@example.com"}, {"password", "mock-password"}, {"grant", "password"},
      {"grant", "client_credentials"}, {"grant", "none"}, {"business_user_id", "b1"}, {"refresh_endpoint", "refresh"},
      {"refresh_endpoint", "accesstoken"}, {"client_auth", "basic"}, {"client_auth", "basic_form"},
      {"client_auth", "post"}, {"timeout_ms", "30000"}, {"connect_timeout_ms", "10000"}, {"refresh_leeway_s", "60"},
      {"max_retries", "3"}, {"max_retry_wait_ms", "60000"}, {"token_cache", "/tmp/tpauth-c-test-cache"},
      {"ca_file", ""}, {"proxy", "http://127.0.0.1:3128"}, {"proxy", ""}, {"user_agent", "tpauth-c-test"},
      {"allow_insecure_http", "false"}, {"allow_insecure_http", "true"}};
  for (size_t i = 0; i < sizeof opts / sizeof *opts; i++) {
    tp_error *err = NULL;
    tp_status st = tp_config_set(cfg, opts[i][0], opts[i][1], &err);
    CHECKF(st == TP_OK, "%s=%s: %s", opts[i][0], opts[i][1], err ? tp_error_message(err) : "");
    tp_error_free(err);
  }
  tp_config_free(cfg);

  TEST("secrets never appear in configuration errors");
  note_secret("s3cr3t-Value-42");
  cfg = NULL;
  EXPECT_OK(tp_config_new("k", "s3cr3t-Value-42", &cfg, &ERR));
  EXPECT_OK(tp_config_set(cfg, "api_base_url", "http://example.com", &ERR));
  tp_auth *a = NULL;
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "api_base_url", tp_auth_new(cfg, &a, &ERR)); /* no secret in it */
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "password", tp_config_set(cfg, "password", "s3cr3t-Value-42\xff", &ERR));
  tp_config_free(cfg);
}

static void test_from_env(void) {
  TEST("tp_config_from_env");
  tp_config *cfg = (tp_config *)(uintptr_t)0x5EED;
  unsetenv("TRUSTPILOT_API_KEY");
  unsetenv("TRUSTPILOT_API_SECRET");
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "TRUSTPILOT_API_KEY", tp_config_from_env(&cfg, &ERR));
  CHECK(cfg == (tp_config *)(uintptr_t)0x5EED);
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "out is NULL", tp_config_from_env(NULL, &ERR));
  setenv("TRUSTPILOT_API_KEY", "mock-api-key", 1);
  setenv("TRUSTPILOT_API_SECRET", "mock-api-secret", 1);
  setenv("TRUSTPILOT_USERNAME", "user@example.com", 1);
  setenv("TRUSTPILOT_PASSWORD", "mock-password", 1);
  setenv("TRUSTPILOT_API_HOST", base_url(), 1);
  setenv("TRUSTPILOT_ALLOW_INSECURE_HTTP", "true", 1);
  setenv("TRUSTPILOT_TIMEOUT_MS", "abc", 1);
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "TRUSTPILOT_TIMEOUT_MS", tp_config_from_env(&cfg, &ERR));
  setenv("TRUSTPILOT_TIMEOUT_MS", "5000", 1);
  cfg = NULL;
  EXPECT_OK(tp_config_from_env(&cfg, &ERR));
  tp_auth *auth = NULL;
  EXPECT_OK(tp_auth_new(cfg, &auth, &ERR));
  tp_config_free(cfg); /* the client keeps a copy */
  mock_reset();
  tp_token *t = NULL;
  EXPECT_OK(tp_get_token(auth, &t, &ERR));
  CHECK(t && tp_token_access_token(t) && *tp_token_access_token(t));
  CHECK(mock_stat("password") == 1);
  tp_token_free(t);
  tp_auth_free(auth);
  const char *vars[] = {"TRUSTPILOT_API_KEY", "TRUSTPILOT_API_SECRET", "TRUSTPILOT_USERNAME", "TRUSTPILOT_PASSWORD",
                        "TRUSTPILOT_API_HOST", "TRUSTPILOT_ALLOW_INSECURE_HTTP", "TRUSTPILOT_TIMEOUT_MS"};
  for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) unsetenv(vars[i]);
}

/* ---- client --------------------------------------------------------------------------------- */

static void test_auth_new(void) {
  TEST("tp_auth_new: bad input and insecure URLs");
  tp_auth *auth = (tp_auth *)(uintptr_t)0x5EED;
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "cfg is NULL", tp_auth_new(NULL, &auth, &ERR));
  tp_config *cfg = NULL;
  EXPECT_OK(tp_config_new("mock-api-key", "mock-api-secret", &cfg, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "out is NULL", tp_auth_new(cfg, NULL, &ERR));
  /* http:// without the flag */
  EXPECT_OK(tp_config_set(cfg, "api_base_url", base_url(), &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "api_base_url", tp_auth_new(cfg, &auth, &ERR));
  /* http:// to a host that is not loopback, even with the flag */
  EXPECT_OK(tp_config_set(cfg, "allow_insecure_http", "true", &ERR));
  EXPECT_OK(tp_config_set(cfg, "api_base_url", "http://example.com", &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "api_base_url", tp_auth_new(cfg, &auth, &ERR));
  EXPECT_OK(tp_config_set(cfg, "api_base_url", "https://api.trustpilot.com", &ERR));
  EXPECT_OK(tp_config_set(cfg, "authorize_url", "http://10.0.0.1/authenticate", &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "authorize_url", tp_auth_new(cfg, &auth, &ERR));
  CHECK(auth == (tp_auth *)(uintptr_t)0x5EED);
  /* https defaults need no request: a client is made offline */
  EXPECT_OK(tp_config_set(cfg, "authorize_url", "https://authenticate.trustpilot.com", &ERR));
  auth = NULL;
  EXPECT_OK(tp_auth_new(cfg, &auth, &ERR));
  CHECK(auth != NULL);
  tp_auth_free(auth);
  tp_config_free(cfg);
}

static void check_token_fields(const tp_token *t, int with_refresh) {
  int64_t now = now_ms() / 1000;
  const char *at = tp_token_access_token(t);
  CHECK(at && strlen(at) > 8);
  note_secret(at);
  if (with_refresh) {
    CHECK(tp_token_refresh_token(t) && strlen(tp_token_refresh_token(t)) > 8);
    note_secret(tp_token_refresh_token(t));
  } else {
    CHECK(tp_token_refresh_token(t) == NULL);
  }
  CHECK_STR(tp_token_type(t), "BearerToken");
  CHECK(tp_token_expires_in(t) == 359999);
  CHECK(llabs(tp_token_received_at(t) - now) <= 2);
  CHECK(tp_token_expires_at(t) == tp_token_received_at(t) + 359999);
  CHECK(!tp_token_is_expired(t, 0));
  CHECK(!tp_token_is_expired(t, 359000));
  CHECK(tp_token_is_expired(t, 360001));
  CHECK_CONTAINS(tp_token_raw_json(t), "\"organization_name\":\"mock\"");
  CHECK_CONTAINS(tp_token_raw_json(t), "\"expires_in\":\"359999\"");
  CHECK_CONTAINS(tp_token_raw_json(t), at);
}

static void test_password_grant(void) {
  TEST("tp_password_grant");
  mock_reset();
  tp_auth *auth = new_auth(NULL);
  tp_token *t = NULL;
  EXPECT_OK(tp_password_grant(auth, "user@example.com", "mock-password", &t, &ERR));
  CHECK(t != NULL);
  if (t) check_token_fields(t, 1);
  CHECK(mock_stat("password") == 1);
  char last[8192];
  mock_last("last_token_request", last, sizeof last);
  CHECK_CONTAINS(last, "\"path\":\"/v1/oauth/oauth-business-users-for-applications/accesstoken\"");
  CHECK_CONTAINS(last, "\"body\":\"grant_type=password&username=user%40example.com&password=mock-password\"");
  CHECK_CONTAINS(last, "[\"authorization\",\"Basic bW9jay1hcGkta2V5Om1vY2stYXBpLXNlY3JldA==\"]");
  CHECK_CONTAINS(last, "[\"content-type\",\"application/x-www-form-urlencoded");
  CHECK_CONTAINS(last, "[\"user-agent\",\"tpauth/");

  TEST("tp_password_grant: errors");
  tp_token *keep = SENTINEL_TOKEN;
  tp_error *e = NULL;
  EXPECT_FAIL_KEEP(e, TP_ERR_INVALID_GRANT, NULL, tp_password_grant(auth, "user@example.com", "wrong-password", &keep, &ERR));
  CHECK_STR(tp_error_oauth_code(e), "invalid_grant");
  CHECK(tp_error_http_status(e) == 400);
  CHECK(tp_error_retry_after_ms(e) == -1);
  CHECK(strstr(tp_error_message(e), "wrong-password") == NULL);
  tp_error_free(e);
  CHECK(keep == SENTINEL_TOKEN);
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "auth is NULL", tp_password_grant(NULL, "u", "p", &keep, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "username is NULL", tp_password_grant(auth, NULL, "p", &keep, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "password is NULL", tp_password_grant(auth, "u", NULL, &keep, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "out is NULL", tp_password_grant(auth, "u", "p", NULL, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "password: not valid UTF-8", tp_password_grant(auth, "u", BAD_UTF8, &keep, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "username: not valid UTF-8", tp_password_grant(auth, BAD_UTF8, "p", &keep, &ERR));
  CHECK(keep == SENTINEL_TOKEN);
  CHECK(tp_password_grant(auth, NULL, "p", &keep, NULL) == TP_ERR_INVALID_ARGUMENT);
  tp_token_free(t);
  tp_auth_free(auth);

  /* wrong API secret: invalid_client */
  tp_config *cfg = NULL;
  EXPECT_OK(tp_config_new("mock-api-key", "wrong-secret-123", &cfg, &ERR));
  note_secret("wrong-secret-123");
  EXPECT_OK(tp_config_set(cfg, "api_base_url", base_url(), &ERR));
  EXPECT_OK(tp_config_set(cfg, "allow_insecure_http", "true", &ERR));
  auth = NULL;
  EXPECT_OK(tp_auth_new(cfg, &auth, &ERR));
  tp_config_free(cfg);
  EXPECT_FAIL_KEEP(e, TP_ERR_UNAUTHORIZED, NULL, tp_password_grant(auth, "user@example.com", "mock-password", &keep, &ERR));
  CHECK(tp_error_http_status(e) == 401);
  CHECK_STR(tp_error_oauth_code(e), "invalid_client");
  tp_error_free(e);
  tp_auth_free(auth);
}

/* The wire test: reserved and non-ASCII characters in the password and the secret. */
static void test_wire(void) {
  TEST("wire: Basic value and form body with & = + % space : and non-ASCII");
  static const char SECRET[] = "s:e&c=r+e%t \xc3\x9f\xe2\x82\xac";   /* s:e&c=r+e%t ß€ */
  static const char PASSWORD[] = "p&s=w+o%r d:\xc3\xbc\xe2\x82\xac"; /* p&s=w+o%r d:ü€ */
  note_secret(SECRET);
  note_secret(PASSWORD);
  mock_reset();
  char json[256];
  snprintf(json, sizeof json, "{\"api_secret\":\"%s\",\"password\":\"%s\"}", SECRET, PASSWORD);
  mock_config(json);
  const char *modes[] = {"basic", "basic_form", "post"};
  for (int m = 0; m < 3; m++) {
    tp_config *cfg = NULL;
    EXPECT_OK(tp_config_new("mock-api-key", SECRET, &cfg, &ERR));
    EXPECT_OK(tp_config_set(cfg, "api_base_url", base_url(), &ERR));
    EXPECT_OK(tp_config_set(cfg, "allow_insecure_http", "true", &ERR));
    EXPECT_OK(tp_config_set(cfg, "client_auth", modes[m], &ERR));
    tp_auth *auth = NULL;
    EXPECT_OK(tp_auth_new(cfg, &auth, &ERR));
    tp_config_free(cfg);
    tp_token *t = NULL;
    EXPECT_OK(tp_password_grant(auth, "user@example.com", PASSWORD, &t, &ERR)); /* the mock accepts it */
    if (t) note_secret(tp_token_access_token(t));
    char last[8192];
    mock_last("last_token_request", last, sizeof last);
    const char *pw = "password=p%26s%3Dw%2Bo%25r%20d%3A%C3%BC%E2%82%AC";
    char body[512];
    if (m == 2) {
      CHECK(strstr(last, "\"authorization\"") == NULL);
      snprintf(body, sizeof body,
               "\"body\":\"grant_type=password&username=user%%40example.com&%s&client_id=mock-api-key&client_secret="
               "s%%3Ae%%26c%%3Dr%%2Be%%25t%%20%%C3%%9F%%E2%%82%%AC\"",
               pw);
    } else {
      CHECK_CONTAINS(last, m == 0 ? "[\"authorization\",\"Basic bW9jay1hcGkta2V5OnM6ZSZjPXIrZSV0IMOf4oKs\"]"
                                  : "[\"authorization\",\"Basic "
                                    "bW9jay1hcGkta2V5OnMlM0FlJTI2YyUzRHIlMkJlJTI1dCUyMCVDMyU5RiVFMiU4MiVBQw==\"]");
      snprintf(body, sizeof body, "\"body\":\"grant_type=password&username=user%%40example.com&%s\"", pw);
    }
    CHECKF(strstr(last, body) != NULL, "client_auth=%s: %s lacks %s", modes[m], last, body);
    CHECK_CONTAINS(last, "[\"content-type\",\"application/x-www-form-urlencoded");
    tp_token_free(t);
    tp_auth_free(auth);
  }
  CHECK(mock_stat("password") == 3);
}

static void test_client_credentials_and_request(void) {
  TEST("tp_client_credentials_grant + tp_request headers");
  mock_reset();
  tp_auth *auth = NULL;
  {
    tp_config *cfg = new_config("business_user_id", "mock-business-user-id", NULL);
    EXPECT_OK(tp_auth_new(cfg, &auth, &ERR));
    tp_config_free(cfg);
  }
  tp_token *t = NULL;
  EXPECT_OK(tp_client_credentials_grant(auth, &t, &ERR));
  CHECK(t && tp_token_refresh_token(t) == NULL);
  if (t) note_secret(tp_token_access_token(t));
  char last[8192];
  mock_last("last_token_request", last, sizeof last);
  CHECK_CONTAINS(last, "\"body\":\"grant_type=client_credentials\"");
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "auth is NULL", tp_client_credentials_grant(NULL, &t, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "out is NULL", tp_client_credentials_grant(auth, NULL, &ERR));

  tp_response *r = NULL;
  EXPECT_OK(tp_request(auth, "GET", "/v1/private/business-units/abc/reviews?page=2", NULL, NULL, &r, &ERR));
  CHECK(tp_response_status(r) == 200);
  mock_last("last_api_request", last, sizeof last);
  char want[512];
  snprintf(want, sizeof want, "[\"authorization\",\"Bearer %s\"]", t ? tp_token_access_token(t) : "?");
  CHECK_CONTAINS(last, want);
  CHECK_CONTAINS(last, "[\"apikey\",\"mock-api-key\"]");
  CHECK_CONTAINS(last, "[\"x-business-user-id\",\"mock-business-user-id\"]");
  CHECK_CONTAINS(last, "\"method\":\"GET\"");
  size_t len = 0;
  const char *body = tp_response_body(r, &len);
  CHECK(body && len == strlen(body) && len > 0);
  CHECK_CONTAINS(body, "\"path\":\"/v1/private/business-units/abc/reviews\"");
  CHECK_CONTAINS(body, "\"query\":\"page=2\"");
  CHECK_CONTAINS(body, "\"business_user_id\":\"mock-business-user-id\"");
  CHECK(tp_response_body(r, NULL) == body);
  CHECK_CONTAINS(tp_response_header(r, "Content-Type"), "application/json");
  CHECK(tp_response_header(r, "content-type") == tp_response_header(r, "CONTENT-TYPE"));
  CHECK(tp_response_header(r, "x-not-there") == NULL);
  CHECK(tp_response_header(r, NULL) == NULL);
  CHECK(tp_response_header(r, BAD_UTF8) == NULL);
  size_t nh = tp_response_header_count(r);
  CHECK(nh >= 2);
  int saw_ct = 0;
  for (size_t i = 0; i < nh; i++) {
    const char *hn = NULL, *hv = NULL;
    CHECK(tp_response_header_at(r, i, &hn, &hv));
    CHECK(hn && hv);
    for (const char *p = hn; p && *p; p++) CHECK(!isupper((unsigned char)*p));
    if (hn && strcmp(hn, "content-type") == 0) saw_ct = 1;
  }
  CHECK(saw_ct);
  const char *hn = SENTINEL_STR;
  CHECK(!tp_response_header_at(r, nh, &hn, NULL) && hn == SENTINEL_STR);
  CHECK(tp_response_header_at(r, 0, NULL, NULL));
  tp_response_free(r);
  CHECK(mock_stat("token_requests") == 1); /* the managed token reused the grant's token */

  TEST("tp_request: POST with body, absolute URL, tp_request_bytes, bad input");
  r = NULL;
  EXPECT_OK(tp_request(auth, "POST", "/v1/private/x", "{\"a\":1}", "application/json", &r, &ERR));
  CHECK(tp_response_status(r) == 200);
  CHECK_CONTAINS(tp_response_body(r, NULL), "\"method\":\"POST\"");
  CHECK_CONTAINS(tp_response_body(r, NULL), "\"content_type\":\"application/json\"");
  CHECK_CONTAINS(tp_response_body(r, NULL), "\"body\":\"{\\\"a\\\":1}\"");
  tp_response_free(r);
  char url[128];
  snprintf(url, sizeof url, "%s/v1/absolute", base_url());
  r = NULL;
  EXPECT_OK(tp_request(auth, "GET", url, NULL, NULL, &r, &ERR));
  CHECK_CONTAINS(tp_response_body(r, NULL), "\"path\":\"/v1/absolute\"");
  tp_response_free(r);
  r = NULL;
  EXPECT_OK(tp_request_bytes(auth, "PUT", "/v1/bytes", (const uint8_t *)"abcdef", 3, "text/plain", &r, &ERR));
  CHECK_CONTAINS(tp_response_body(r, NULL), "\"body\":\"abc\"");
  CHECK_CONTAINS(tp_response_body(r, NULL), "\"method\":\"PUT\"");
  tp_response_free(r);
  tp_response *keep = (tp_response *)(uintptr_t)0x5EED;
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "body", tp_request_bytes(auth, "PUT", "/v1/x", NULL, 5, NULL, &keep, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "auth is NULL", tp_request(NULL, "GET", "/v1/x", NULL, NULL, &keep, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "method is NULL", tp_request(auth, NULL, "/v1/x", NULL, NULL, &keep, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "url_or_path is NULL", tp_request(auth, "GET", NULL, NULL, NULL, &keep, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "out is NULL", tp_request(auth, "GET", "/v1/x", NULL, NULL, NULL, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "url_or_path: not valid UTF-8",
              tp_request(auth, "GET", BAD_UTF8, NULL, NULL, &keep, &ERR));
  CHECK(keep == (tp_response *)(uintptr_t)0x5EED);

  TEST("tp_request: 401 renews the token and retries once");
  long before = mock_stat("token_requests");
  CHECK(mock_http("POST", "/_mock/expire", "{}", NULL, 0) == 200);
  r = NULL;
  EXPECT_OK(tp_request(auth, "GET", "/v1/private/y", NULL, NULL, &r, &ERR));
  CHECK(tp_response_status(r) == 200);
  CHECK(mock_stat("api_401") == 1);
  CHECK(mock_stat("token_requests") == before + 1);
  tp_response_free(r);
  /* a non-2xx answer is a response, not an error: 403 without x-business-user-id */
  tp_auth *plain = NULL;
  {
    tp_config *cfg = new_config("grant", "client_credentials", NULL);
    EXPECT_OK(tp_auth_new(cfg, &plain, &ERR));
    tp_config_free(cfg);
  }
  r = NULL;
  EXPECT_OK(tp_request(plain, "GET", "/v1/private/z", NULL, NULL, &r, &ERR));
  CHECK(tp_response_status(r) == 403);
  mock_last("last_api_request", last, sizeof last);
  CHECK(strstr(last, "x-business-user-id") == NULL);
  tp_response_free(r);
  tp_auth_free(plain);
  tp_token_free(t);
  tp_auth_free(auth);
}

/* GET the authorize URL like a browser; the Location of the 302 goes to `location`. */
static int follow_authorize(const char *url, char *location, size_t cap) {
  const char *path = strstr(url + strlen("http://"), "/");
  static char raw[16384];
  int st = mock_http("GET", path, NULL, raw, sizeof raw);
  return st == 302 && http_header(raw, "Location", location, cap);
}

static void test_code_flow(void) {
  TEST("authorization code flow: tp_authorize_url, tp_parse_code_redirect, tp_authorization_code_grant");
  mock_reset();
  tp_auth *auth = new_auth(NULL);
  char redirect[128], want[512], location[1024];
  snprintf(redirect, sizeof redirect, "https://app.example.com/cb");
  char *state = tp_new_state();
  char *url = NULL;
  /* a redirect_uri must be https; a loopback listener only with allow_loopback_redirect_uri=true */
  char loopback[64];
  snprintf(loopback, sizeof loopback, "http://127.0.0.1:%d/cb", g_port);
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "allow_loopback_redirect_uri", tp_authorize_url(auth, loopback, "code", state, &url, &ERR));
  EXPECT_OK(tp_authorize_url(auth, redirect, "code", state, &url, &ERR));
  snprintf(want, sizeof want,
           "http://127.0.0.1:%d/authenticate?client_id=mock-api-key&redirect_uri=https%%3A%%2F%%2Fapp.example.com%%2Fcb"
           "&response_type=code&state=%s",
           g_port, state);
  CHECK_STR(url, want);
  CHECK(url && follow_authorize(url, location, sizeof location));
  char *code = NULL;
  EXPECT_OK(tp_parse_code_redirect(location, state, &code, &ERR));
  CHECK(code && strlen(code) > 4);
  tp_token *t = NULL;
  EXPECT_OK(tp_authorization_code_grant(auth, code, redirect, &t, &ERR));
  CHECK(t != NULL);
  if (t) check_token_fields(t, 1);
  char last[8192], body[512];
  mock_last("last_token_request", last, sizeof last);
  snprintf(body, sizeof body,
           "\"body\":\"grant_type=authorization_code&code=%s&redirect_uri=https%%3A%%2F%%2Fapp.example.com%%2Fcb\"", code);
  CHECK_CONTAINS(last, body);
  /* the code is used now: invalid_grant, and no retry for a code exchange */
  long before = mock_stat("token_requests");
  tp_token *keep = SENTINEL_TOKEN;
  EXPECT_FAIL(TP_ERR_INVALID_GRANT, NULL, tp_authorization_code_grant(auth, code, redirect, &keep, &ERR));
  CHECK(mock_stat("token_requests") == before + 1);
  CHECK(keep == SENTINEL_TOKEN);
  tp_string_free(code);
  tp_string_free(url);

  TEST("authorization code flow: bad input");
  url = SENTINEL_STR;
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "https", tp_authorize_url(auth, "http://example.com/cb", "code", state, &url, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "https",
              tp_authorization_code_grant(auth, "somecode", "http://example.com/cb", &keep, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "response_type", tp_authorize_url(auth, redirect, "bogus", state, &url, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "response_type is NULL", tp_authorize_url(auth, redirect, NULL, state, &url, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "redirect_uri is NULL", tp_authorize_url(auth, NULL, "code", state, &url, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "auth is NULL", tp_authorize_url(NULL, redirect, "code", state, &url, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "url_out is NULL", tp_authorize_url(auth, redirect, "code", state, NULL, &ERR));
  CHECK(url == SENTINEL_STR);
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "code is NULL", tp_authorization_code_grant(auth, NULL, redirect, &keep, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "redirect_uri is NULL", tp_authorization_code_grant(auth, "c", NULL, &keep, &ERR));
  CHECK(mock_stat("token_requests") == before + 1); /* refused before any request */
  url = NULL;
  EXPECT_OK(tp_authorize_url(auth, "https://app.example.com/cb?x=1", "token", NULL, &url, &ERR));
  CHECK(url && strstr(url, "state=") == NULL);
  CHECK_CONTAINS(url, "redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb%3Fx%3D1&response_type=token");
  tp_string_free(url);

  TEST("tp_parse_code_redirect: bad redirects");
  char *c = SENTINEL_STR;
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "code", tp_parse_code_redirect("https://app/cb?state=s1", "s1", &c, &ERR));
  tp_error *e = NULL;
  EXPECT_FAIL_KEEP(e, TP_ERR_ACCESS_DENIED, "access_denied",
                   tp_parse_code_redirect("https://app/cb?error=access_denied&error_description=no&state=s1", "s1", &c, &ERR));
  CHECK_STR(tp_error_oauth_code(e), "access_denied");
  CHECK(tp_error_http_status(e) == 0);
  tp_error_free(e);
  EXPECT_FAIL(TP_ERR_STATE_MISMATCH, NULL, tp_parse_code_redirect("https://app/cb?code=abc&state=s2", "s1", &c, &ERR));
  EXPECT_FAIL(TP_ERR_STATE_MISMATCH, NULL, tp_parse_code_redirect("https://app/cb?code=abc", "s1", &c, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, NULL, tp_parse_code_redirect("https://app/cb?code=abc#code=def", NULL, &c, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "redirect_url is NULL", tp_parse_code_redirect(NULL, NULL, &c, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "code_out is NULL", tp_parse_code_redirect("https://app/cb?code=a", NULL, NULL, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "redirect_url: not valid UTF-8", tp_parse_code_redirect(BAD_UTF8, NULL, &c, &ERR));
  CHECK(c == SENTINEL_STR);
  c = NULL;
  EXPECT_OK(tp_parse_code_redirect("https://app/cb?code=a%2Bb&state=s1", NULL, &c, &ERR)); /* state not checked */
  CHECK_STR(c, "a+b");
  tp_string_free(c);

  TEST("the user declines (mock deny)");
  mock_config("{\"deny\":true}");
  url = NULL;
  EXPECT_OK(tp_authorize_url(auth, redirect, "code", state, &url, &ERR));
  CHECK(url && follow_authorize(url, location, sizeof location));
  c = SENTINEL_STR;
  EXPECT_FAIL(TP_ERR_ACCESS_DENIED, NULL, tp_parse_code_redirect(location, state, &c, &ERR));
  CHECK(c == SENTINEL_STR);
  tp_string_free(url);
  tp_string_free(state);
  tp_token_free(t);
  tp_auth_free(auth);
}

/* PKCE (RFC 7636): tp_new_pkce, the challenge in tp_authorize_url_pkce, the verifier in
   tp_authorization_code_grant_pkce; the mock checks S256 and refuses a wrong verifier. */
static void test_pkce(void) {
  TEST("PKCE: tp_new_pkce, tp_authorize_url_pkce, tp_authorization_code_grant_pkce, tp_token_renew_at_ms");
  mock_reset();
  tp_auth *auth = new_auth(NULL);
  const char *redirect = "https://app.example.com/cb";
  char *verifier = NULL, *challenge = NULL, *other_v = NULL, *other_c = NULL;
  EXPECT_OK(tp_new_pkce(&verifier, &challenge, &ERR));
  EXPECT_OK(tp_new_pkce(&other_v, &other_c, &ERR));
  CHECK(verifier && challenge && strlen(verifier) == 43 && strlen(challenge) == 43);
  CHECK(verifier && other_v && strcmp(verifier, other_v) != 0);
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "verifier is NULL", tp_new_pkce(NULL, &other_c, &ERR));
  char *url = NULL, location[1024], tail[128];
  EXPECT_OK(tp_authorize_url_pkce(auth, redirect, "code", "st", challenge, &url, &ERR));
  snprintf(tail, sizeof tail, "&state=st&code_challenge=%s&code_challenge_method=S256", challenge);
  CHECK_CONTAINS(url, tail);
  CHECK(url && follow_authorize(url, location, sizeof location));
  tp_string_free(url);
  char *code = NULL;
  EXPECT_OK(tp_parse_code_redirect(location, "st", &code, &ERR));
  tp_token *t = NULL;
  /* the wrong verifier: invalid_grant (and the code is used up) */
  EXPECT_FAIL(TP_ERR_INVALID_GRANT, "invalid_grant", tp_authorization_code_grant_pkce(auth, code, redirect, other_v, &t, &ERR));
  tp_string_free(code);
  /* the right one */
  url = NULL;
  EXPECT_OK(tp_authorize_url_pkce(auth, redirect, "code", "st", challenge, &url, &ERR));
  CHECK(url && follow_authorize(url, location, sizeof location));
  tp_string_free(url);
  code = NULL;
  EXPECT_OK(tp_parse_code_redirect(location, "st", &code, &ERR));
  EXPECT_OK(tp_authorization_code_grant_pkce(auth, code, redirect, verifier, &t, &ERR));
  char last[8192], want[128];
  mock_last("last_token_request", last, sizeof last);
  snprintf(want, sizeof want, "&code_verifier=%s\"", verifier);
  CHECK_CONTAINS(last, want);
  /* malformed arguments are refused before sending */
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "code_verifier", tp_authorization_code_grant_pkce(auth, "c", redirect, "short", &t, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "code_challenge", tp_authorize_url_pkce(auth, redirect, "code", NULL, "x", &url, &ERR));
  /* renew_at: refresh_leeway_s (60) before expiry */
  if (t) {
    CHECK(tp_token_renew_at_ms(auth, t) == tp_token_expires_at(t) * 1000 - 60000 ||
          tp_token_renew_at_ms(auth, t) / 1000 == tp_token_expires_at(t) - 60);
    CHECK(tp_token_renew_at_ms(NULL, t) == -1);
    tp_token_free(t);
  }
  tp_string_free(code);
  tp_string_free(verifier);
  tp_string_free(challenge);
  tp_string_free(other_v);
  tp_string_free(other_c);
  tp_auth_free(auth);
}

static void test_implicit_flow(void) {
  TEST("implicit flow: tp_parse_implicit_redirect + tp_set_token");
  mock_reset();
  tp_auth *auth = new_auth("grant", "none", NULL);
  char redirect[128], location[1024];
  snprintf(redirect, sizeof redirect, "https://app.example.com/cb");
  char *url = NULL;
  EXPECT_OK(tp_authorize_url(auth, redirect, "token", "st-123", &url, &ERR));
  CHECK(url && follow_authorize(url, location, sizeof location));
  CHECK(strchr(location, '#') != NULL);
  tp_token *t = NULL;
  EXPECT_OK(tp_parse_implicit_redirect(location, "st-123", &t, &ERR));
  CHECK(t && tp_token_access_token(t) && strlen(tp_token_access_token(t)) > 8);
  if (t) note_secret(tp_token_access_token(t));
  CHECK_STR(tp_token_type(t), "bearer");
  CHECK(tp_token_expires_in(t) > 0);
  CHECK(tp_token_raw_json(t) && strstr(tp_token_raw_json(t), "st-123") == NULL);
  /* grant=none, no current token: nothing to fall back on */
  tp_token *keep = SENTINEL_TOKEN;
  EXPECT_FAIL(TP_ERR_NO_TOKEN, "grant", tp_get_token(auth, &keep, &ERR));
  CHECK(keep == SENTINEL_TOKEN);
  long before = mock_stat("token_requests");
  EXPECT_OK(tp_set_token(auth, t, &ERR));
  tp_token *cur = NULL;
  EXPECT_OK(tp_get_token(auth, &cur, &ERR));
  CHECK(cur && t && strcmp(tp_token_access_token(cur), tp_token_access_token(t)) == 0);
  tp_response *r = NULL;
  EXPECT_OK(tp_request(auth, "GET", "/v1/private/implicit", NULL, NULL, &r, &ERR));
  CHECK(tp_response_status(r) == 200);
  CHECK(mock_stat("token_requests") == before);
  tp_response_free(r);
  tp_token_free(cur);
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "token is NULL", tp_set_token(auth, NULL, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "auth is NULL", tp_set_token(NULL, t, &ERR));
  tp_token_free(t); /* the client keeps its own reference */
  cur = NULL;
  EXPECT_OK(tp_get_token(auth, &cur, &ERR));
  CHECK(cur != NULL);
  tp_token_free(cur);

  TEST("tp_parse_implicit_redirect: bad redirects");
  keep = SENTINEL_TOKEN;
  EXPECT_FAIL(TP_ERR_STATE_MISMATCH, NULL,
              tp_parse_implicit_redirect("https://app/cb#access_token=AT123456&expires_in=60&state=x", "y", &keep, &ERR));
  EXPECT_FAIL(TP_ERR_ACCESS_DENIED, NULL, tp_parse_implicit_redirect("https://app/cb#error=access_denied&state=y", "y", &keep, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, NULL,
              tp_parse_implicit_redirect("https://app/cb?access_token=AT123456&expires_in=60", NULL, &keep, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, NULL,
              tp_parse_implicit_redirect("https://app/cb?code=x#access_token=AT123456&expires_in=60", NULL, &keep, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "access_token", tp_parse_implicit_redirect("https://app/cb#state=y", "y", &keep, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "expires_in",
              tp_parse_implicit_redirect("https://app/cb#access_token=AT123456&expires_in=-5", NULL, &keep, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "redirect_url is NULL", tp_parse_implicit_redirect(NULL, NULL, &keep, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "out is NULL", tp_parse_implicit_redirect("https://app/cb#access_token=A", NULL, NULL, &ERR));
  CHECK(keep == SENTINEL_TOKEN);
  tp_string_free(url);
  tp_auth_free(auth);
}

static void test_refresh_revoke_managed(void) {
  TEST("tp_refresh (rotation) and tp_revoke");
  mock_reset();
  tp_auth *auth = new_auth(NULL);
  tp_token *keep = SENTINEL_TOKEN;
  EXPECT_FAIL(TP_ERR_NO_TOKEN, NULL, tp_refresh(auth, NULL, &keep, &ERR));
  EXPECT_FAIL(TP_ERR_NO_TOKEN, NULL, tp_revoke(auth, NULL, &ERR));
  CHECK(mock_stat("token_requests") == 0);
  tp_token *t1 = NULL, *t2 = NULL, *t3 = NULL;
  EXPECT_OK(tp_password_grant(auth, "user@example.com", "mock-password", &t1, &ERR));
  if (t1) note_secret(tp_token_refresh_token(t1));
  EXPECT_OK(tp_refresh(auth, NULL, &t2, &ERR));
  CHECK(t1 && t2 && strcmp(tp_token_access_token(t1), tp_token_access_token(t2)) != 0);
  CHECK(t1 && t2 && strcmp(tp_token_refresh_token(t1), tp_token_refresh_token(t2)) != 0);
  char last[8192], body[512];
  mock_last("last_token_request", last, sizeof last);
  CHECK_CONTAINS(last, "\"path\":\"/v1/oauth/oauth-business-users-for-applications/refresh\"");
  snprintf(body, sizeof body, "\"body\":\"grant_type=refresh_token&refresh_token=%s\"", t1 ? tp_token_refresh_token(t1) : "");
  CHECK_CONTAINS(last, body);
  /* the rotated (old) refresh token is void */
  tp_error *e = NULL;
  EXPECT_FAIL_KEEP(e, TP_ERR_INVALID_GRANT, NULL, tp_refresh(auth, t1 ? tp_token_refresh_token(t1) : "x", &keep, &ERR));
  CHECK_STR(tp_error_oauth_code(e), "invalid_grant");
  tp_error_free(e);
  CHECK(keep == SENTINEL_TOKEN);
  /* an explicit refresh token */
  EXPECT_OK(tp_refresh(auth, t2 ? tp_token_refresh_token(t2) : "x", &t3, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "refresh_token: not valid UTF-8", tp_refresh(auth, BAD_UTF8, &keep, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "out is NULL", tp_refresh(auth, NULL, NULL, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "auth is NULL", tp_refresh(NULL, NULL, &keep, &ERR));

  /* revoke the current one */
  EXPECT_OK(tp_revoke(auth, NULL, &ERR));
  CHECK(mock_stat("revoke_requests") == 1);
  mock_last("last_token_request", last, sizeof last);
  CHECK_CONTAINS(last, "\"path\":\"/v1/oauth/oauth-business-users-for-applications/revoke\"");
  snprintf(body, sizeof body, "\"body\":\"token=%s\"", t3 ? tp_token_refresh_token(t3) : "");
  CHECK_CONTAINS(last, body);
  CHECK_CONTAINS(last, "[\"authorization\",\"Basic bW9jay1hcGkta2V5Om1vY2stYXBpLXNlY3JldA==\"]");
  EXPECT_FAIL(TP_ERR_INVALID_GRANT, NULL, tp_refresh(auth, t3 ? tp_token_refresh_token(t3) : "x", &keep, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "auth is NULL", tp_revoke(NULL, NULL, &ERR));
  tp_token_free(t1);
  tp_token_free(t2);
  tp_token_free(t3);
  tp_auth_free(auth);

  TEST("refresh_endpoint=accesstoken");
  auth = new_auth("refresh_endpoint", "accesstoken", NULL);
  t1 = t2 = NULL;
  EXPECT_OK(tp_password_grant(auth, "user@example.com", "mock-password", &t1, &ERR));
  EXPECT_OK(tp_refresh(auth, NULL, &t2, &ERR));
  mock_last("last_token_request", last, sizeof last);
  CHECK_CONTAINS(last, "\"path\":\"/v1/oauth/oauth-business-users-for-applications/accesstoken\"");
  CHECK_CONTAINS(last, "grant_type=refresh_token");
  tp_token_free(t1);
  tp_token_free(t2);
  tp_auth_free(auth);

  TEST("managed token: reuse, compare-and-invalidate");
  mock_reset();
  auth = new_auth(NULL);
  t1 = t2 = t3 = NULL;
  EXPECT_OK(tp_get_token(auth, &t1, &ERR));
  EXPECT_OK(tp_get_token(auth, &t2, &ERR));
  CHECK(t1 && t2 && strcmp(tp_token_access_token(t1), tp_token_access_token(t2)) == 0);
  CHECK(mock_stat("token_requests") == 1);
  EXPECT_OK(tp_invalidate_token(auth, "not-the-current-token", &ERR));
  tp_token_free(t2);
  t2 = NULL;
  EXPECT_OK(tp_get_token(auth, &t2, &ERR));
  CHECK(mock_stat("token_requests") == 1); /* a stale value does not drop the current token */
  EXPECT_OK(tp_invalidate_token(auth, t1 ? tp_token_access_token(t1) : "", &ERR));
  EXPECT_OK(tp_invalidate_token(auth, t1 ? tp_token_access_token(t1) : "", &ERR));
  EXPECT_OK(tp_get_token(auth, &t3, &ERR));
  CHECK(mock_stat("token_requests") == 2);
  CHECK(t1 && t3 && strcmp(tp_token_access_token(t1), tp_token_access_token(t3)) != 0);
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "access_token is NULL", tp_invalidate_token(auth, NULL, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "auth is NULL", tp_invalidate_token(NULL, "x", &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "auth is NULL", tp_get_token(NULL, &keep, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "out is NULL", tp_get_token(auth, NULL, &ERR));
  tp_token_free(t1);
  tp_token_free(t2);
  tp_token_free(t3);
  tp_auth_free(auth);

  TEST("grant=password without a password: NO_TOKEN naming the options");
  tp_config *cfg = new_config("username", "user@example.com", NULL);
  auth = NULL;
  EXPECT_OK(tp_auth_new(cfg, &auth, &ERR));
  tp_config_free(cfg);
  EXPECT_FAIL(TP_ERR_NO_TOKEN, "password", tp_get_token(auth, &keep, &ERR));
  tp_auth_free(auth);
}

static void test_token_json(void) {
  TEST("tp_token_to_json / tp_token_from_json");
  mock_reset();
  tp_auth *auth = new_auth(NULL);
  tp_token *t = NULL, *back = NULL;
  EXPECT_OK(tp_password_grant(auth, "user@example.com", "mock-password", &t, &ERR));
  char *json = NULL;
  EXPECT_OK(tp_token_to_json(t, &json, &ERR));
  CHECK(json && t && strstr(json, tp_token_access_token(t)) != NULL);
  EXPECT_OK(tp_token_from_json(json, &back, &ERR));
  CHECK(back && t && strcmp(tp_token_access_token(back), tp_token_access_token(t)) == 0);
  CHECK(back && t && strcmp(tp_token_refresh_token(back), tp_token_refresh_token(t)) == 0);
  CHECK(tp_token_expires_at(back) == tp_token_expires_at(t));
  CHECK(tp_token_received_at(back) == tp_token_received_at(t));
  CHECK_STR(tp_token_raw_json(back), tp_token_raw_json(t));
  tp_string_free(json);
  tp_token_free(back);
  back = NULL;
  EXPECT_OK(tp_token_from_json("{\"access_token\":\"plain-AT-1234\",\"expires_in\":\"60\"}", &back, &ERR));
  CHECK_STR(tp_token_access_token(back), "plain-AT-1234");
  CHECK(tp_token_expires_in(back) == 60);
  CHECK(tp_token_refresh_token(back) == NULL && tp_token_type(back) == NULL);
  tp_token_free(back);
  tp_token *keep = SENTINEL_TOKEN;
  char *jkeep = SENTINEL_STR;
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "json", tp_token_from_json("not json", &keep, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "json", tp_token_from_json("{\"a\":1}", &keep, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "json is NULL", tp_token_from_json(NULL, &keep, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "json: not valid UTF-8", tp_token_from_json(BAD_UTF8, &keep, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "out is NULL", tp_token_from_json("{}", NULL, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "t is NULL", tp_token_to_json(NULL, &jkeep, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "json_out is NULL", tp_token_to_json(t, NULL, &ERR));
  CHECK(keep == SENTINEL_TOKEN && jkeep == SENTINEL_STR);
  tp_token_free(t);
  tp_auth_free(auth);
}

/* Token responses and failures from the server, each with its typed error. */
static void test_bad_answers(void) {
  TEST("bad token answers and transport failures");
  mock_reset();
  tp_auth *auth = new_auth("max_retries", "0", "timeout_ms", "400", NULL);
  tp_token *keep = SENTINEL_TOKEN;
  tp_error *e = NULL;
  struct {
    const char *fault;
    tp_status want;
    int http;
  } faults[] = {
      {"{\"kind\":\"garbage\"}", TP_ERR_PROTOCOL, 200},
      {"{\"kind\":\"no_access_token\"}", TP_ERR_PROTOCOL, 200},
      {"{\"kind\":\"big_body\",\"size\":2097152}", TP_ERR_PROTOCOL, 200},
      {"{\"kind\":\"html_500\"}", TP_ERR_HTTP, 500},
      {"{\"kind\":\"503\"}", TP_ERR_HTTP, 503},
      /* on this client's reused connection a reset is sent again on a new one: reset both */
      {"{\"kind\":\"reset\",\"count\":2}", TP_ERR_NETWORK, 0},
      {"{\"kind\":\"truncated\"}", TP_ERR_NETWORK, 200}, /* the status line came, the body did not */
      {"{\"kind\":\"slow\",\"delay_ms\":1500}", TP_ERR_TIMEOUT, 0},
  };
  for (size_t i = 0; i < sizeof faults / sizeof *faults; i++) {
    mock_fault(faults[i].fault);
    e = NULL;
    EXPECT_FAIL_KEEP(e, faults[i].want, NULL, tp_password_grant(auth, "user@example.com", "mock-password", &keep, &ERR));
    CHECKF(tp_error_http_status(e) == faults[i].http, "%s: http status %d", faults[i].fault, tp_error_http_status(e));
    tp_error_free(e);
  }
  CHECK(keep == SENTINEL_TOKEN);
  sleep_ms(1200); /* let the slow answer finish before the next test */

  TEST("429 without retries: RATE_LIMITED with Retry-After");
  mock_fault("{\"kind\":\"429\",\"retry_after\":\"2\"}");
  e = NULL;
  EXPECT_FAIL_KEEP(e, TP_ERR_RATE_LIMITED, NULL, tp_password_grant(auth, "user@example.com", "mock-password", &keep, &ERR));
  CHECK(tp_error_http_status(e) == 429);
  CHECKF(tp_error_retry_after_ms(e) > 1000 && tp_error_retry_after_ms(e) <= 2000, "%lld",
         (long long)tp_error_retry_after_ms(e));
  tp_error_free(e);
  tp_auth_free(auth);

  TEST("expires_in forms");
  mock_reset();
  auth = new_auth("max_retries", "0", NULL);
  struct {
    const char *json;
    int64_t want; /* -2: PROTOCOL error */
  } forms[] = {{"{\"expires_in_json\":\"\\\"10\\\"\"}", 10}, {"{\"expires_in_json\":\"10\"}", 10},
               {"{\"expires_in_json\":null}", -1},          {"{\"expires_in_json\":\"-5\"}", -2},
               {"{\"expires_in_json\":\"1e30\"}", -2},       {"{\"expires_in_json\":\"\\\"1000000000000000000000000000000\\\"\"}", -2}};
  for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
    mock_config(forms[i].json);
    if (forms[i].want == -2) {
      EXPECT_FAIL(TP_ERR_PROTOCOL, "expires_in", tp_password_grant(auth, "user@example.com", "mock-password", &keep, &ERR));
      continue;
    }
    tp_token *t = NULL;
    EXPECT_OK(tp_password_grant(auth, "user@example.com", "mock-password", &t, &ERR));
    CHECKF(tp_token_expires_in(t) == forms[i].want, "%s: %lld", forms[i].json, (long long)tp_token_expires_in(t));
    if (forms[i].want < 0) {
      CHECK(tp_token_expires_at(t) == -1);
      CHECK(!tp_token_is_expired(t, 1000000));
    } else {
      CHECK(tp_token_expires_at(t) == tp_token_received_at(t) + forms[i].want);
    }
    tp_token_free(t);
  }
  CHECK(keep == SENTINEL_TOKEN);
  tp_auth_free(auth);

  TEST("connection refused: NETWORK");
  tp_config *cfg = NULL;
  EXPECT_OK(tp_config_new("mock-api-key", "mock-api-secret", &cfg, &ERR));
  EXPECT_OK(tp_config_set(cfg, "api_base_url", "http://127.0.0.1:1", &ERR));
  EXPECT_OK(tp_config_set(cfg, "allow_insecure_http", "true", &ERR));
  EXPECT_OK(tp_config_set(cfg, "max_retries", "0", &ERR));
  auth = NULL;
  EXPECT_OK(tp_auth_new(cfg, &auth, &ERR));
  tp_config_free(cfg);
  EXPECT_FAIL(TP_ERR_NETWORK, NULL, tp_password_grant(auth, "user@example.com", "mock-password", &keep, &ERR));
  tp_auth_free(auth);
}

/* Handles are used from other threads than the ones that made them, and outlive their client. */
static void *read_token(void *arg) {
  tp_token *t = arg;
  for (int i = 0; i < 1000; i++) {
    if (!tp_token_access_token(t) || tp_token_is_expired(t, 0)) return (void *)1;
  }
  return NULL;
}

static void test_ownership(void) {
  TEST("ownership: tokens and responses outlive their client; tokens are readable from any thread");
  mock_reset();
  tp_auth *auth = new_auth(NULL);
  tp_token *t = NULL;
  tp_response *r = NULL;
  EXPECT_OK(tp_get_token(auth, &t, &ERR));
  EXPECT_OK(tp_request(auth, "GET", "/v1/x", NULL, NULL, &r, &ERR));
  tp_auth_free(auth);
  CHECK(t && strlen(tp_token_access_token(t)) > 8);
  CHECK(tp_response_status(r) == 200 && strlen(tp_response_body(r, NULL)) > 2);
  pthread_t th[4];
  for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, read_token, t);
  for (int i = 0; i < 4; i++) {
    void *res = NULL;
    pthread_join(th[i], &res);
    CHECK(res == NULL);
  }
  tp_token_free(t);
  tp_response_free(r);
  /* a failure with err == NULL allocates nothing (valgrind/ASan would see a leak) */
  tp_token *keep = SENTINEL_TOKEN;
  CHECK(tp_get_token(NULL, &keep, NULL) == TP_ERR_INVALID_ARGUMENT);
  CHECK(tp_parse_code_redirect("https://a/cb?code=x&state=1", "2", (char **)&keep, NULL) == TP_ERR_STATE_MISMATCH);
  CHECK(keep == SENTINEL_TOKEN);
}

int main(void) {
  mock_init();
  test_misc();
  test_config();
  test_from_env();
  test_auth_new();
  note_secret("mock-api-secret");
  note_secret("mock-password");
  test_password_grant();
  test_wire();
  test_client_credentials_and_request();
  test_code_flow();
  test_pkce();
  test_implicit_flow();
  test_refresh_revoke_managed();
  test_token_json();
  test_bad_answers();
  test_ownership();
  return finish();
}
