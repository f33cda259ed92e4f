/* Regression tests of the security review, each named after the attack it stops, as C
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

/* ---- tp_prepare_api_call: the URL the core judged, the headers, never a foreign host ---------- */

static void every_reference_to_another_host_is_refused_before_any_token(void) {
  TEST("every_reference_to_another_host_is_refused_before_any_token");
  mock_reset();
  tp_auth *auth = new_auth(NULL);
  /* Each names 127.0.0.1:1 (not the mock) to some reader: fetch reads "http:H:P/x" as http://H:P/x. */
  const char *forms[] = {"http:127.0.0.1:1/x", "http:/127.0.0.1:1/x", "https:127.0.0.1:1/x", "https:/127.0.0.1:1/x",
                         "//127.0.0.1:1/x",    "/\\127.0.0.1:1/x",    "\\\\127.0.0.1:1\\x",  "ftp://127.0.0.1:1/x",
                         "http://evil.example\\@127.0.0.1:1/x"};
  for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
    char *url = (char *)"untouched", *headers = (char *)"untouched";
    for (uint32_t flags = 0; flags <= TP_PREPARE_NO_RENEW; flags++) {
      EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "url_or_path",
                  tp_prepare_api_call(auth, "GET", forms[i], NULL, flags, &url, &headers, &ERR));
    }
    CHECKF(strcmp(url, "untouched") == 0 && strcmp(headers, "untouched") == 0, "%s: out parameters written", forms[i]);
    char *h = NULL;
    EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "url_or_path", tp_api_headers(auth, "GET", forms[i], &h, &ERR));
    EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "url_or_path", tp_check_token_url(auth, forms[i], &ERR));
    tp_response *r = NULL;
    EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "url_or_path", tp_request(auth, "GET", forms[i], NULL, NULL, &r, &ERR));
  }
  CHECKF(mock_stat("token_requests") == 0, "no token is requested for a refused reference");
  CHECK(mock_stat("requests") == 0);
  tp_auth_free(auth);
}

static void prepared_call_gives_the_judged_url_and_keeps_the_callers_business_user(void) {
  TEST("prepared_call_gives_the_judged_url_and_keeps_the_callers_business_user");
  mock_reset();
  tp_auth *auth = new_auth("business_user_id", "bu-9", NULL);
  char *url = NULL, *headers = NULL, want[256];
  EXPECT_OK(tp_prepare_api_call(auth, "GET", "/v1/private/x?a=b", NULL, 0, &url, &headers, &ERR));
  snprintf(want, sizeof want, "%s/v1/private/x?a=b", base_url());
  CHECK_STR(url, want);
  tp_token *t = NULL;
  EXPECT_OK(tp_get_token(auth, &t, &ERR));
  snprintf(want, sizeof want, "Authorization: Bearer %s\napikey: mock-api-key\nx-business-user-id: bu-9",
           t ? tp_token_access_token(t) : "");
  CHECK_STR(headers, want);
  /* tp_api_headers is the same core call, for a request without headers of its own */
  char *plain = NULL;
  EXPECT_OK(tp_api_headers(auth, "GET", "/v1/private/x", &plain, &ERR));
  CHECK_STR(plain, want);
  tp_string_free(plain);
  tp_string_free(url);
  tp_string_free(headers);
  /* a request that carries its own x-business-user-id (any letter case) keeps it */
  EXPECT_OK(tp_prepare_api_call(auth, "POST", "v1/y", "Accept\r\nX-Business-User-ID\n", 0, &url, &headers, &ERR));
  snprintf(want, sizeof want, "%s/v1/y", base_url());
  CHECK_STR(url, want);
  snprintf(want, sizeof want, "Authorization: Bearer %s\napikey: mock-api-key", t ? tp_token_access_token(t) : "");
  CHECK_STR(headers, want);
  tp_string_free(url);
  tp_string_free(headers);
  /* an absolute URL on the allow-list is sent as judged */
  char abs_url[128];
  snprintf(abs_url, sizeof abs_url, "%s/v1/z", base_url());
  EXPECT_OK(tp_prepare_api_call(auth, "GET", abs_url, NULL, 0, &url, &headers, &ERR));
  CHECK_STR(url, abs_url);
  tp_string_free(url);
  tp_string_free(headers);
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "flags", tp_prepare_api_call(auth, "GET", "/v1/x", NULL, 2, &url, &headers, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "method", tp_prepare_api_call(auth, "BAD METHOD", "/v1/x", NULL, 0, &url, &headers, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "url_out is NULL", tp_prepare_api_call(auth, "GET", "/v1/x", NULL, 0, NULL, &headers, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "headers_out is NULL", tp_prepare_api_call(auth, "GET", "/v1/x", NULL, 0, &url, NULL, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "auth is NULL", tp_prepare_api_call(NULL, "GET", "/v1/x", NULL, 0, &url, &headers, &ERR));
  CHECK(mock_stat("token_requests") == 1);
  tp_token_free(t);
  tp_auth_free(auth);
}

static void no_renew_answers_renewal_needed_without_any_request(void) {
  TEST("no_renew_answers_renewal_needed_without_any_request");
  mock_reset();
  tp_auth *auth = new_auth(NULL);
  char *url = NULL, *headers = (char *)"untouched", want[256];
  EXPECT_OK(tp_prepare_api_call(auth, "GET", "/v1/x", NULL, TP_PREPARE_NO_RENEW, &url, &headers, &ERR));
  CHECKF(headers == NULL, "no token yet: renewal needed (headers NULL)");
  snprintf(want, sizeof want, "%s/v1/x", base_url());
  CHECK_STR(url, want);
  tp_string_free(url);
  CHECKF(mock_stat("token_requests") == 0, "NO_RENEW requested a token");
  tp_token *t = NULL;
  EXPECT_OK(tp_get_token(auth, &t, &ERR));
  EXPECT_OK(tp_prepare_api_call(auth, "GET", "/v1/x", NULL, TP_PREPARE_NO_RENEW, &url, &headers, &ERR));
  snprintf(want, sizeof want, "Authorization: Bearer %s\napikey: mock-api-key", t ? tp_token_access_token(t) : "");
  CHECK_STR(headers, want);
  tp_string_free(url);
  tp_string_free(headers);
  EXPECT_OK(tp_invalidate_token(auth, t ? tp_token_access_token(t) : "x", &ERR));
  headers = (char *)"untouched";
  EXPECT_OK(tp_prepare_api_call(auth, "GET", "/v1/x", NULL, TP_PREPARE_NO_RENEW, &url, &headers, &ERR));
  CHECKF(headers == NULL, "an invalidated token needs renewal");
  tp_string_free(url);
  CHECK(mock_stat("token_requests") == 1);
  tp_token_free(t);
  tp_auth_free(auth);
}

/* ---- a server that echoes the request --------------------------------------------------------- */

static pthread_mutex_t g_log_mu = PTHREAD_MUTEX_INITIALIZER;
static int g_log_leaks, g_log_lines;

static void leak_checking_log(int level, const char *msg, void *user_data) {
  (void)level;
  (void)user_data;
  pthread_mutex_lock(&g_log_mu);
  g_log_lines++;
  const char *leak = leaked_secret(msg);
  if (leak) {
    g_log_leaks++;
    fprintf(stderr, "log line leaks %s: %s\n", leak, msg);
  }
  pthread_mutex_unlock(&g_log_mu);
}

static void echoed_password_is_not_in_errors_or_logs(void) {
  TEST("echoed_password_is_not_in_errors_or_logs");
  /* the forms the password and the Basic value take on the wire and in an echo */
  note_secret("hunter2&pass word%");
  note_secret("hunter2%26pass%20word%25");
  note_secret("hunter2%26pass+word%25");
  note_secret("hunter2%2526pass%2520word%2525");
  note_secret("bW9jay1hcGkta2V5Om1vY2stYXBpLXNlY3JldA"); /* base64("mock-api-key:mock-api-secret") */
  const char *modes[] = {"basic", "basic_form", "post"};
  tp_set_log_callback(leak_checking_log, NULL);
  for (int m = 0; m < 3; m++) {
    mock_reset();
    mock_fault("{\"kind\":\"echo_request\",\"status\":503,\"count\":10}");
    tp_auth *auth = new_auth("client_auth", modes[m], "max_retries", "2", "max_retry_wait_ms", "0", NULL);
    tp_token *t = NULL;
    EXPECT_FAIL(TP_ERR_HTTP, "withheld", tp_password_grant(auth, "user@example.com", "hunter2&pass word%", &t, &ERR));
    CHECK(t == NULL);
    CHECK(mock_stat("token_requests") == 3);
    mock_reset();
    mock_fault("{\"kind\":\"echo_request\",\"count\":10}");
    EXPECT_FAIL(TP_ERR_HTTP, "withheld", tp_refresh(auth, "hunter2&pass word%", &t, &ERR));
    tp_auth_free(auth);
  }
  tp_set_log_callback(NULL, NULL);
  CHECKF(g_log_lines > 0 && g_log_leaks == 0, "%d log lines, %d leaks", g_log_lines, g_log_leaks);
}

/* ---- Retry-After ------------------------------------------------------------------------------- */

/* Retry-After: 18446744073709551615 overflowed Instant + Duration: TP_ERR_INTERNAL, and a panic
 * message with a backtrace on the host program's stderr. */
static void retry_after_u64_max_prints_nothing_and_is_rate_limited(void) {
  TEST("retry_after_u64_max_prints_nothing_and_is_rate_limited");
  mock_reset();
  mock_fault("{\"kind\":\"429\",\"retry_after\":\"18446744073709551615\"}");
  tp_auth *auth = new_auth("max_retries", "0", NULL);
  char path[] = "/tmp/tpauth-stderr-XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  fflush(stderr);
  int saved = dup(2);
  dup2(fd, 2);
  tp_token *t = NULL;
  tp_error *err = NULL;
  tp_status st = tp_password_grant(auth, "user@example.com", "mock-password", &t, &err);
  tp_status st2 = tp_password_grant(auth, "user@example.com", "mock-password", &t, NULL);
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  off_t printed = lseek(fd, 0, SEEK_END);
  close(fd);
  unlink(path);
  CHECKF(st == TP_ERR_RATE_LIMITED, "%s: %s", tp_status_name(st), err ? tp_error_message(err) : "");
  CHECK(st2 == TP_ERR_RATE_LIMITED); /* the cooldown, not a second request */
  CHECK(mock_stat("token_requests") == 1);
  int64_t ra = err ? tp_error_retry_after_ms(err) : -1;
  CHECKF(ra > 0 && ra <= 24LL * 3600 * 1000, "retry_after_ms %lld", (long long)ra);
  CHECKF(printed == 0, "the library printed %lld bytes on stderr", (long long)printed);
  tp_error_free(err);
  tp_auth_free(auth);
}

/* ---- oversized error answers ------------------------------------------------------------------- */

static void big_429_is_rate_limited_with_retry_after(void) {
  TEST("big_429_is_rate_limited_with_retry_after");
  mock_reset();
  mock_fault("{\"kind\":\"big_body\",\"status\":429,\"size\":2097152,\"retry_after\":\"5\"}");
  tp_auth *auth = new_auth("max_retries", "0", NULL);
  tp_token *t = NULL;
  tp_error *e = NULL;
  EXPECT_FAIL_KEEP(e, TP_ERR_RATE_LIMITED, NULL, tp_password_grant(auth, "user@example.com", "mock-password", &t, &ERR));
  CHECK(e && tp_error_retry_after_ms(e) == 5000 && tp_error_http_status(e) == 429);
  tp_error_free(e);
  tp_auth_free(auth);
}

/* ---- redirects --------------------------------------------------------------------------------- */

static void redirect_with_duplicated_state_is_refused(void) {
  TEST("redirect_with_duplicated_state_is_refused");
  char *code = NULL;
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "more than once",
              tp_parse_code_redirect("https://app.example.com/cb?code=abc&state=s1&state=evil", "s1", &code, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "more than once",
              tp_parse_code_redirect("https://app.example.com/cb?code=abc&code=evil&state=s1", "s1", &code, &ERR));
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "NUL",
              tp_parse_code_redirect("https://app.example.com/cb?code=ab%00c&state=s1", "s1", &code, &ERR));
  CHECK(code == NULL);
  tp_token *t = NULL;
  EXPECT_FAIL(TP_ERR_INVALID_ARGUMENT, "more than once",
              tp_parse_implicit_redirect("https://app.example.com/cb#access_token=A&access_token=B&state=s1", "s1", &t, &ERR));
  CHECK(t == NULL);
}

int main(void) {
  mock_init();
  note_secret("mock-api-secret");
  note_secret("mock-password");
  token_sent_to_public_suffix_sibling_is_refused();
  token_sent_to_another_local_port_is_refused();
  every_reference_to_another_host_is_refused_before_any_token();
  prepared_call_gives_the_judged_url_and_keeps_the_callers_business_user();
  no_renew_answers_renewal_needed_without_any_request();
  echoed_password_is_not_in_errors_or_logs();
  retry_after_u64_max_prints_nothing_and_is_rate_limited();
  big_429_is_rate_limited_with_retry_after();
  redirect_with_duplicated_state_is_refused();
  return finish();
}
