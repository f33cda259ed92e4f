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
  echoed_password_is_not_in_errors_or_logs();
  retry_after_u64_max_prints_nothing_and_is_rate_limited();
  big_429_is_rate_limited_with_retry_after();
  redirect_with_duplicated_state_is_refused();
  return finish();
}
