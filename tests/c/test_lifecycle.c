/* The token lifecycle from C: single flight across 64 threads, one token request per
 * expiry across processes sharing a token cache, refresh-token rotation without invalid_grant,
 * 429 handling, SIGKILL mid-renewal, cache faults, and the log callback. Child processes are this
 * program re-executed with "child ..." arguments. */
#include "harness.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

static const char *g_self;
static char g_dir[64];

static tp_auth *cache_auth(const char *cache, const char *leeway) {
  return new_auth("token_cache", cache, "refresh_leeway_s", leeway, NULL);
}

/* ---- child processes -------------------------------------------------------------------------- */

/* child get|request|get1 PORT CACHE DEADLINE_MS: loop until the deadline, or with DEADLINE_MS 0 until
 * a token of an hour or more (the last of the mock's expires_in_schedule) was seen, then 10 calls
 * more (get1: one call). Exit 0 on success, 3 when an invalid_grant was seen, 1 on any other
 * failure. */
static int child_main(int argc, char **argv) {
  if (argc < 6) return 2;
  const char *mode = argv[2];
  g_port = atoi(argv[3]);
  const char *cache = argv[4];
  int64_t deadline = atoll(argv[5]);
  tp_config *cfg = NULL;
  tp_auth *auth = NULL;
  char base[64];
  snprintf(base, sizeof base, "http://127.0.0.1:%d", g_port);
  if (tp_config_new("mock-api-key", "mock-api-secret", &cfg, NULL) != TP_OK) return 1;
  const char *opts[][2] = {{"api_base_url", base},      {"allow_insecure_http", "true"}, {"username", "user@example.com"},
                           {"password", "mock-password"}, {"token_cache", cache},        {"refresh_leeway_s", "1"}};
  for (size_t i = 0; i < sizeof opts / sizeof *opts; i++)
    if (tp_config_set(cfg, opts[i][0], opts[i][1], NULL) != TP_OK) return 1;
  if (tp_auth_new(cfg, &auth, NULL) != TP_OK) return 1;
  tp_config_free(cfg);
  int rc = 0, after = 0;
  do {
    tp_error *err = NULL;
    tp_status st;
    if (deadline == 0) {
      tp_token *t = NULL;
      if (tp_get_token(auth, &t, NULL) == TP_OK && tp_token_expires_in(t) >= 3600) after++;
      tp_token_free(t);
    }
    if (strcmp(mode, "request") == 0) {
      tp_response *r = NULL;
      st = tp_request(auth, "GET", "/v1/private/child", NULL, NULL, &r, &err);
      if (st == TP_OK && tp_response_status(r) != 200) {
        fprintf(stderr, "child %d: API status %d\n", (int)getpid(), tp_response_status(r));
        rc = 1;
      }
      tp_response_free(r);
    } else {
      tp_token *t = NULL;
      int64_t asked_s = now_ms() / 1000;
      st = tp_get_token(auth, &t, &err);
      if (st == TP_OK && tp_token_expires_at(t) < asked_s) { /* expired before it asked */
        fprintf(stderr, "child %d: got an expired token\n", (int)getpid());
        rc = 1;
      }
      tp_token_free(t);
    }
    if (st != TP_OK) {
      fprintf(stderr, "child %d: %s: %s\n", (int)getpid(), tp_status_name(st), tp_error_message(err));
      rc = st == TP_ERR_INVALID_GRANT ? 3 : (rc ? rc : 1);
    }
    tp_error_free(err);
    if (strcmp(mode, "get1") == 0) break;
    sleep_ms(20);
  } while (deadline == 0 ? after < 10 : now_ms() < deadline);
  tp_auth_free(auth);
  return rc;
}

static pid_t spawn_child(const char *mode, const char *cache, int64_t deadline) {
  char port[16], dl[32];
  snprintf(port, sizeof port, "%d", g_port);
  snprintf(dl, sizeof dl, "%lld", (long long)deadline);
  pid_t pid = fork();
  if (pid == 0) {
    execl(g_self, g_self, "child", mode, port, cache, dl, (char *)NULL);
    _exit(127);
  }
  return pid;
}

static int wait_child(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ---- 64 threads over three token lifetimes ----------------------------------------------------- */

struct stampede {
  tp_auth *auth;
  pthread_barrier_t *start;
  int index;
  int errors, expired, api_failures, calls;
};

static void *stampede_thread(void *arg) {
  struct stampede *s = arg;
  pthread_barrier_wait(s->start);
  int i = 0, after = 0;
  while (after < 20) {
    tp_error *err = NULL;
    int64_t asked_s = now_ms() / 1000;
    if ((i + s->index) % 8 == 0) {
      tp_response *r = NULL;
      if (tp_request(s->auth, "GET", "/v1/private/stampede", NULL, NULL, &r, &err) != TP_OK) s->errors++;
      else if (tp_response_status(r) != 200) s->api_failures++;
      tp_response_free(r);
    } else {
      tp_token *t = NULL;
      if (tp_get_token(s->auth, &t, &err) != TP_OK) {
        s->errors++;
      } else {
        if (tp_token_expires_at(t) < asked_s) s->expired++; /* expired before the caller asked */
        if (tp_token_expires_in(t) >= 3600) after++;
        note_secret(tp_token_access_token(t));
      }
      tp_token_free(t);
    }
    if (err) fprintf(stderr, "thread %d: %s\n", s->index, tp_error_message(err));
    tp_error_free(err);
    s->calls++;
    i++;
    sleep_ms(5);
  }
  return NULL;
}

static void test_threads(void) {
  TEST("64 threads x tp_get_token/tp_request over three token lifetimes: three token requests");
  enum { N = 64 };
  mock_reset();
  /* Lifetimes from the mock: 2 s, 2 s (each renewed 1 s ahead), then an hour: three token requests
   * whatever the scheduler does (a deadline made this flaky under valgrind on a loaded machine). Each thread stops 20 calls after it saw the hour-long token. */
  mock_config("{\"expires_in_schedule\":[2,2,3600]}");
  tp_auth *auth = new_auth("refresh_leeway_s", "1", NULL);
  pthread_barrier_t start;
  pthread_barrier_init(&start, NULL, N);
  struct stampede s[N];
  pthread_t th[N];
  for (int i = 0; i < N; i++) {
    s[i] = (struct stampede){.auth = auth, .start = &start, .index = i};
    pthread_create(&th[i], NULL, stampede_thread, &s[i]);
  }
  int errors = 0, expired = 0, api = 0, calls = 0;
  for (int i = 0; i < N; i++) {
    pthread_join(th[i], NULL);
    errors += s[i].errors;
    expired += s[i].expired;
    api += s[i].api_failures;
    calls += s[i].calls;
  }
  pthread_barrier_destroy(&start);
  fprintf(stderr, "   %d calls\n", calls);
  CHECK(errors == 0);
  CHECK(expired == 0);
  CHECK(api == 0);
  CHECK(calls >= N * 20);
  long n = mock_stat("token_requests");
  CHECKF(n == 3, "token requests: %ld", n);
  tp_auth_free(auth);
}

/* ---- processes sharing a token cache ------------------------------------------------------------- */

static void test_processes(void) {
  TEST("16 processes sharing a token cache over two lifetimes: two token requests");
  char cache[300];
  snprintf(cache, sizeof cache, "%s/shared.json", g_dir);
  mock_reset();
  mock_config("{\"expires_in_schedule\":[2,3600]}"); /* lifetimes from the mock, not a deadline */
  pid_t pids[16];
  for (int i = 0; i < 16; i++) pids[i] = spawn_child("get", cache, 0);
  int bad = 0;
  for (int i = 0; i < 16; i++) bad += wait_child(pids[i]) != 0;
  CHECKF(bad == 0, "%d children failed", bad);
  long n = mock_stat("token_requests");
  CHECKF(n == 2, "token requests: %ld", n);
  struct stat st;
  CHECK(stat(cache, &st) == 0 && (st.st_mode & 0777) == 0600);

  TEST("8 processes with refresh-token rotation over three lifetimes: nobody sees invalid_grant");
  snprintf(cache, sizeof cache, "%s/rotation.json", g_dir);
  mock_reset();
  mock_config("{\"expires_in_schedule\":[2,2,3600],\"rotate_refresh_token\":true}");
  for (int i = 0; i < 8; i++) pids[i] = spawn_child("request", cache, 0);
  int invalid_grant = 0;
  bad = 0;
  for (int i = 0; i < 8; i++) {
    int rc = wait_child(pids[i]);
    invalid_grant += rc == 3;
    bad += rc != 0;
  }
  CHECKF(invalid_grant == 0, "%d processes saw invalid_grant", invalid_grant);
  CHECKF(bad == 0, "%d children failed", bad);
  n = mock_stat("token_requests");
  CHECKF(n == 3, "token requests: %ld", n);
  CHECKF(mock_stat("refresh_token") == 2, "refreshes: %ld", mock_stat("refresh_token"));
}

/* ---- 429 -------------------------------------------------------------------------------------------- */

static void test_rate_limit(void) {
  TEST("429 with Retry-After: 1: one retry after >= 1 s, then success");
  mock_reset();
  tp_auth *auth = new_auth(NULL);
  mock_fault("{\"kind\":\"429\",\"count\":1,\"retry_after\":\"1\"}");
  int64_t t0 = mono_ms();
  tp_token *t = NULL;
  EXPECT_OK(tp_get_token(auth, &t, &ERR));
  int64_t took = mono_ms() - t0;
  CHECKF(took >= 1000, "retried after %lld ms", (long long)took);
  CHECK(mock_stat("token_requests") == 2);
  tp_token_free(t);
  tp_auth_free(auth);

  TEST("a 429 storm: at most max_retries + 1 token requests, then a fast-failing cooldown");
  mock_reset();
  auth = new_auth("max_retries", "2", NULL);
  mock_fault("{\"kind\":\"429\",\"count\":50,\"retry_after\":\"1\"}");
  tp_token *keep = (tp_token *)(uintptr_t)0x5EED;
  tp_error *e = NULL;
  EXPECT_FAIL_KEEP(e, TP_ERR_RATE_LIMITED, NULL, tp_get_token(auth, &keep, &ERR));
  CHECK(tp_error_http_status(e) == 429);
  tp_error_free(e);
  long n = mock_stat("token_requests");
  CHECKF(n >= 1 && n <= 3, "token requests: %ld", n);
  e = NULL;
  EXPECT_FAIL_KEEP(e, TP_ERR_RATE_LIMITED, NULL, tp_get_token(auth, &keep, &ERR));
  CHECKF(tp_error_retry_after_ms(e) > 0 && tp_error_retry_after_ms(e) <= 1000, "retry after %lld ms",
         (long long)tp_error_retry_after_ms(e));
  tp_error_free(e);
  CHECK(mock_stat("token_requests") == n); /* the cooldown asked nobody: it failed without waiting */
  CHECK(keep == (tp_token *)(uintptr_t)0x5EED);
  tp_auth_free(auth);
}

/* ---- SIGKILL during a renewal ------------------------------------------------------------------ */

static void test_sigkill(void) {
  TEST("SIGKILL during a renewal: the next process recovers");
  char cache[300];
  snprintf(cache, sizeof cache, "%s/killed.json", g_dir);
  mock_reset();
  mock_fault("{\"kind\":\"slow\",\"count\":1,\"delay_ms\":4000}");
  pid_t pid = spawn_child("get1", cache, 0);
  /* until the child holds the cache lock, waiting for the slow answer (no fixed sleep: a loaded
   * machine may take longer to start it) */
  for (int64_t t0 = mono_ms(); mock_stat("token_requests") < 1 && mono_ms() - t0 < 60000;) sleep_ms(20);
  CHECK(mock_stat("token_requests") == 1);
  kill(pid, SIGKILL);
  CHECK(wait_child(pid) == 128 + SIGKILL);
  /* The dead child's lock goes with it: the next process must not wait out the lock's bound (60 s
   * here), so 20 s is proof enough and leaves a loaded machine 19 s of slack. */
  tp_auth *auth = new_auth("token_cache", cache, "refresh_leeway_s", "60", "cache_lock_ttl_ms", "60000",
                           "timeout_ms", "60000", NULL);
  int64_t t0 = mono_ms();
  tp_token *t = NULL;
  EXPECT_OK(tp_get_token(auth, &t, &ERR));
  CHECKF(mono_ms() - t0 < 20000, "recovery took %lld ms", (long long)(mono_ms() - t0));
  CHECK(t && !tp_token_is_expired(t, 0));
  CHECK(mock_stat("token_requests") == 2);
  /* the cache is valid: another client reuses the token without asking */
  tp_auth *again = cache_auth(cache, "60");
  tp_token *t2 = NULL;
  EXPECT_OK(tp_get_token(again, &t2, &ERR));
  CHECK(t && t2 && strcmp(tp_token_access_token(t), tp_token_access_token(t2)) == 0);
  CHECK(mock_stat("token_requests") == 2);
  tp_token_free(t);
  tp_token_free(t2);
  tp_auth_free(auth);
  tp_auth_free(again);
  sleep_ms(100);
}

/* ---- cache faults -------------------------------------------------------------------------------- */

static void write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd >= 0) {
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
  }
}

static void read_file(const char *path, char *out, size_t cap) {
  out[0] = 0;
  FILE *f = fopen(path, "r");
  if (!f) return;
  size_t n = fread(out, 1, cap - 1, f);
  out[n] = 0;
  fclose(f);
}

static void test_cache_faults(void) {
  TEST("a file that is not a tpauth cache: TP_ERR_STORE, left untouched, no token request");
  char cache[300], buf[8192];
  snprintf(cache, sizeof cache, "%s/corrupt.json", g_dir);
  write_file(cache, "{not json at all \x01\x02");
  chmod(cache, 0600);
  mock_reset();
  tp_auth *foreign = cache_auth(cache, "60");
  tp_token *t = NULL;
  EXPECT_FAIL(TP_ERR_STORE, "not a tpauth token cache", tp_get_token(foreign, &t, &ERR));
  read_file(cache, buf, sizeof buf);
  CHECK_STR(buf, "{not json at all \x01\x02");
  CHECK(mock_stat("token_requests") == 0);
  tp_auth_free(foreign);

  TEST("a new cache file: the second client reuses the first one's token");
  snprintf(cache, sizeof cache, "%s/keyed.json", g_dir);
  tp_auth *auth = cache_auth(cache, "60");
  t = NULL;
  EXPECT_OK(tp_get_token(auth, &t, &ERR));
  read_file(cache, buf, sizeof buf);
  CHECK(strstr(buf, "tpauth-cache-1") != NULL);
  tp_auth *again = cache_auth(cache, "60");
  tp_token *t2 = NULL;
  EXPECT_OK(tp_get_token(again, &t2, &ERR));
  CHECK(t && t2 && strcmp(tp_token_access_token(t), tp_token_access_token(t2)) == 0);
  CHECK(mock_stat("token_requests") == 1);
  tp_token_free(t2);
  tp_auth_free(again);

  TEST("entries are keyed: a client-credentials client sharing the file gets its own token");
  tp_config *cfg = new_config("token_cache", cache, "grant", "client_credentials", "business_user_id",
                              "mock-business-user-id", NULL);
  tp_auth *cc = NULL;
  EXPECT_OK(tp_auth_new(cfg, &cc, &ERR));
  tp_config_free(cfg);
  t2 = NULL;
  EXPECT_OK(tp_get_token(cc, &t2, &ERR));
  CHECK(t && t2 && strcmp(tp_token_access_token(t), tp_token_access_token(t2)) != 0);
  CHECK(mock_stat("client_credentials") == 1);
  tp_token_free(t2);
  tp_auth_free(cc);
  tp_token_free(t);
  tp_auth_free(auth);

  TEST("symlinked cache path: refused with TP_ERR_STORE, the target untouched");
  char real[300], link_path[300];
  snprintf(real, sizeof real, "%s/real-file", g_dir);
  snprintf(link_path, sizeof link_path, "%s/link.json", g_dir);
  write_file(real, "keep-me");
  CHECK(symlink(real, link_path) == 0);
  cfg = new_config("token_cache", link_path, "username", "user@example.com", "password", "mock-password", NULL);
  tp_auth *la = NULL;
  tp_error *e = NULL;
  tp_status st = tp_auth_new(cfg, &la, &e);
  if (st == TP_OK) { /* refused at first use instead */
    tp_token *keep = NULL;
    st = tp_get_token(la, &keep, &e);
    tp_token_free(keep);
  }
  CHECKF(st == TP_ERR_STORE, "%s: %s", tp_status_name(st), e ? tp_error_message(e) : "");
  CHECK_CONTAINS(tp_error_message(e), "link");
  tp_error_free(e);
  tp_auth_free(la);
  tp_config_free(cfg);
  read_file(real, buf, sizeof buf);
  CHECK_STR(buf, "keep-me");

  TEST("cache in an unusable folder: TP_ERR_STORE naming the path");
  char bad[300];
  snprintf(bad, sizeof bad, "%s/real-file/cache.json", g_dir); /* a regular file as the folder */
  auth = cache_auth(bad, "60");
  e = NULL;
  tp_token *keep = (tp_token *)(uintptr_t)0x5EED;
  st = tp_get_token(auth, &keep, &e);
  CHECKF(st == TP_ERR_STORE, "%s: %s", tp_status_name(st), e ? tp_error_message(e) : "");
  CHECK_CONTAINS(tp_error_message(e), "real-file");
  CHECK(keep == (tp_token *)(uintptr_t)0x5EED);
  tp_error_free(e);
  tp_auth_free(auth);
  if (geteuid() != 0) { /* permissions do not stop root */
    char ro[300];
    snprintf(ro, sizeof ro, "%s/ro", g_dir);
    mkdir(ro, 0500);
    snprintf(bad, sizeof bad, "%s/ro/cache.json", g_dir);
    auth = cache_auth(bad, "60");
    EXPECT_FAIL(TP_ERR_STORE, NULL, tp_get_token(auth, &keep, &ERR));
    tp_auth_free(auth);
  }
}

/* ---- the log callback --------------------------------------------------------------------------- */

static pthread_mutex_t g_log_mu = PTHREAD_MUTEX_INITIALIZER;
static char g_log[1 << 16];
static int g_log_calls, g_log_bad_level;
static int g_user_data_ok = 1;

static void on_log(int level, const char *msg, void *ud) {
  pthread_mutex_lock(&g_log_mu);
  g_log_calls++;
  if (level < TP_LOG_ERROR || level > TP_LOG_DEBUG) g_log_bad_level++;
  if (ud != (void *)g_log) g_user_data_ok = 0;
  size_t used = strlen(g_log);
  snprintf(g_log + used, sizeof g_log - used, "%d %s\n", level, msg);
  pthread_mutex_unlock(&g_log_mu);
}

static void test_log(void) {
  TEST("the log callback sees renewals and never a secret");
  mock_reset();
  mock_config("{\"expires_in\":3}");
  tp_set_log_callback(on_log, g_log);
  tp_auth *auth = new_auth("refresh_leeway_s", "1", NULL);
  tp_token *t1 = NULL, *t2 = NULL;
  EXPECT_OK(tp_get_token(auth, &t1, &ERR));
  if (t1) {
    note_secret(tp_token_access_token(t1));
    note_secret(tp_token_refresh_token(t1));
  }
  sleep_ms(2200);
  EXPECT_OK(tp_get_token(auth, &t2, &ERR)); /* renewed with the refresh token */
  if (t2) {
    note_secret(tp_token_access_token(t2));
    note_secret(tp_token_refresh_token(t2));
  }
  CHECK(mock_stat("refresh_token") == 1);
  mock_fault("{\"kind\":\"429\",\"count\":1,\"retry_after\":\"0\"}");
  CHECK(mock_http("POST", "/_mock/expire", "{}", NULL, 0) == 200);
  tp_response *r = NULL;
  EXPECT_OK(tp_request(auth, "GET", "/v1/private/log", NULL, NULL, &r, &ERR)); /* 401, renewal with a retry */
  tp_response_free(r);
  pthread_mutex_lock(&g_log_mu);
  fprintf(stderr, "%s", g_log);
  CHECK(g_log_calls >= 3);
  CHECK(g_log_bad_level == 0);
  CHECK(g_user_data_ok);
  CHECK_CONTAINS(g_log, "refresh");
  CHECK_CONTAINS(g_log, "password");
  CHECK_CONTAINS(g_log, "401");
  CHECK_CONTAINS(g_log, "retry");
  const char *leak = leaked_secret(g_log);
  CHECKF(leak == NULL, "the log shows a secret: %s", leak ? leak : "");
  int calls = g_log_calls;
  pthread_mutex_unlock(&g_log_mu);

  tp_set_log_callback(NULL, NULL); /* removed: no more calls */
  tp_token *t3 = NULL;
  EXPECT_OK(tp_invalidate_token(auth, t2 ? tp_token_access_token(t2) : "", &ERR));
  EXPECT_OK(tp_get_token(auth, &t3, &ERR));
  pthread_mutex_lock(&g_log_mu);
  CHECK(g_log_calls == calls);
  pthread_mutex_unlock(&g_log_mu);
  tp_token_free(t1);
  tp_token_free(t2);
  tp_token_free(t3);
  tp_auth_free(auth);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "child") == 0) return child_main(argc, argv);
  g_self = argv[0];
  mock_init();
  note_secret("mock-api-secret");
  note_secret("mock-password");
  snprintf(g_dir, sizeof g_dir, "/tmp/tpauth-c-lifecycle-XXXXXX");
  if (!mkdtemp(g_dir)) return 2;
  const char *only = getenv("TPAUTH_C_ONLY");
  if (!only || strstr(only, "log")) test_log();
  if (!only || strstr(only, "threads")) test_threads();
  if (!only || strstr(only, "processes")) test_processes();
  if (!only || strstr(only, "rate")) test_rate_limit();
  if (!only || strstr(only, "sigkill")) test_sigkill();
  if (!only || strstr(only, "cache")) test_cache_faults();
  char cmd[400];
  snprintf(cmd, sizeof cmd, "chmod -R u+w '%s' 2>/dev/null; rm -rf '%s'", g_dir, g_dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g_dir);
  return finish();
}
