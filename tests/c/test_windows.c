/* The managed token and the file token cache as a Windows program (built with mingw-w64, run under
 * wine by tests/wine/run.sh, against the mock running natively): 16 threads share one token request,
 * then one renewal after the mock expires every token; two Windows processes sharing one file cache
 * make one token request between them, then one renewal; token_cache=default lands under
 * %LOCALAPPDATA%\tpauth. Lifetimes are driven by the mock (POST /_mock/expire), never by sleeps.
 * Also builds on Linux (the processes part then uses fork), so that it can be checked there. */
#include "harness.h"

#ifdef _WIN32
#include <process.h>
#else
#include <sys/stat.h>
#include <sys/wait.h>
#endif

static const char *g_self;
static char g_dir[512];

/* ---- 16 threads ------------------------------------------------------------------------------- */

struct worker {
  tp_auth *auth;
  pthread_barrier_t *start;
  int rounds, errors, not_200;
};

static void *worker_main(void *arg) {
  struct worker *w = arg;
  pthread_barrier_wait(w->start);
  for (int i = 0; i < w->rounds; i++) {
    tp_error *err = NULL;
    tp_token *t = NULL;
    if (tp_get_token(w->auth, &t, &err) != TP_OK) w->errors++;
    tp_token_free(t);
    tp_error_free(err);
    err = NULL;
    tp_response *r = NULL;
    if (tp_request(w->auth, "GET", "/v1/private/threads", NULL, NULL, &r, &err) != TP_OK) {
      w->errors++;
      fprintf(stderr, "thread: %s\n", err ? tp_error_message(err) : "?");
    } else if (tp_response_status(r) != 200) {
      w->not_200++;
    }
    tp_response_free(r);
    tp_error_free(err);
  }
  return NULL;
}

static void run_threads(tp_auth *auth, int rounds) {
  enum { N = 16 };
  pthread_barrier_t start;
  pthread_barrier_init(&start, NULL, N);
  struct worker w[N];
  pthread_t th[N];
  for (int i = 0; i < N; i++) {
    w[i] = (struct worker){.auth = auth, .start = &start, .rounds = rounds};
    pthread_create(&th[i], NULL, worker_main, &w[i]);
  }
  int errors = 0, not_200 = 0;
  for (int i = 0; i < N; i++) {
    pthread_join(th[i], NULL);
    errors += w[i].errors;
    not_200 += w[i].not_200;
  }
  pthread_barrier_destroy(&start);
  CHECKF(errors == 0, "%d calls failed", errors);
  CHECKF(not_200 == 0, "%d API calls were not 200", not_200);
}

static void test_threads(void) {
  TEST("16 threads x (tp_get_token + tp_request): one token request");
  mock_reset();
  tp_auth *auth = new_auth(NULL);
  run_threads(auth, 10);
  CHECKF(mock_stat("token_requests") == 1, "token requests: %ld", mock_stat("token_requests"));
  CHECKF(mock_stat("api_requests") == 160, "API requests: %ld", mock_stat("api_requests"));

  TEST("16 threads after the mock expired every token: one renewal (a refresh), no failed call");
  mock_http("POST", "/_mock/expire", "{}", NULL, 0);
  run_threads(auth, 3);
  CHECKF(mock_stat("token_requests") == 2, "token requests: %ld", mock_stat("token_requests"));
  CHECKF(mock_stat("refresh_token") == 1, "refreshes: %ld", mock_stat("refresh_token"));
  tp_auth_free(auth);
}

/* ---- processes sharing a file cache ----------------------------------------------------------- */

/* child PORT CACHE GOFILE: wait for GOFILE, then one tp_request with the cache. Exit 0 on success. */
static int child_main(int argc, char **argv) {
  if (argc < 5) return 2;
  g_port = atoi(argv[2]);
  const char *cache = argv[3], *go = argv[4];
  for (int i = 0; i < 1000; i++) {
    FILE *f = fopen(go, "r");
    if (f) {
      fclose(f);
      break;
    }
    sleep_ms(5);
  }
  tp_auth *auth = new_auth("token_cache", cache, NULL);
  if (!auth) return 1;
  tp_error *err = NULL;
  tp_response *r = NULL;
  tp_status st = tp_request(auth, "GET", "/v1/private/child", NULL, NULL, &r, &err);
  int rc = 0;
  if (st != TP_OK) {
    fprintf(stderr, "child: %s: %s\n", tp_status_name(st), tp_error_message(err));
    rc = 1;
  } else if (tp_response_status(r) != 200) {
    fprintf(stderr, "child: API status %d\n", tp_response_status(r));
    rc = 1;
  }
  tp_response_free(r);
  tp_error_free(err);
  tp_auth_free(auth);
  return rc + atomic_load(&g_failed);
}

/* Start two children, let them go at once, and wait: the number that failed. */
static int two_children(const char *cache, const char *go) {
  char port[16];
  snprintf(port, sizeof port, "%d", g_port);
  remove(go);
  int bad = 0;
#ifdef _WIN32
  intptr_t h[2];
  for (int i = 0; i < 2; i++) h[i] = _spawnl(_P_NOWAIT, g_self, g_self, "child", port, cache, go, NULL);
  FILE *f = fopen(go, "w");
  if (f) fclose(f);
  for (int i = 0; i < 2; i++) {
    int status = -1;
    if (h[i] == -1 || _cwait(&status, h[i], 0) == -1 || status != 0) bad++;
  }
#else
  pid_t pid[2];
  for (int i = 0; i < 2; i++) {
    pid[i] = fork();
    if (pid[i] == 0) {
      execl(g_self, g_self, "child", port, cache, go, (char *)NULL);
      _exit(127);
    }
  }
  FILE *f = fopen(go, "w");
  if (f) fclose(f);
  for (int i = 0; i < 2; i++) {
    int status = 0;
    while (waitpid(pid[i], &status, 0) < 0 && errno == EINTR) {
    }
    bad += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
#endif
  return bad;
}

static void test_processes(void) {
  char cache[600], go[600];
  snprintf(cache, sizeof cache, "%s%cshared.json", g_dir, g_dir[0] == '/' ? '/' : '\\');
  snprintf(go, sizeof go, "%s%cgo", g_dir, g_dir[0] == '/' ? '/' : '\\');

  TEST("two processes sharing one file cache: one token request between them");
  mock_reset();
  int bad = two_children(cache, go);
  CHECKF(bad == 0, "%d children failed", bad);
  CHECKF(mock_stat("token_requests") == 1, "token requests: %ld", mock_stat("token_requests"));
  CHECKF(mock_stat("api_requests") == 2, "API requests: %ld", mock_stat("api_requests"));
  FILE *f = fopen(cache, "rb");
  CHECKF(f != NULL, "the cache file %s exists", cache);
  if (f) {
    static char text[65536];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = 0;
    fclose(f);
    CHECKF(n > 0 && strstr(text, "\"format\":\"tpauth-cache-1\"") != NULL, "cache content: %.80s", text);
  }

  TEST("two new processes after the mock expired every token: one renewal between them");
  mock_http("POST", "/_mock/expire", "{}", NULL, 0);
  bad = two_children(cache, go);
  CHECKF(bad == 0, "%d children failed", bad);
  CHECKF(mock_stat("token_requests") == 2, "token requests: %ld", mock_stat("token_requests"));
  CHECKF(mock_stat("refresh_token") == 1, "refreshes: %ld", mock_stat("refresh_token"));
  remove(go);
}

/* ---- the file cache's Windows checks ------------------------------------------------------------ */

static void test_cache_files(void) {
  char path[600];
  snprintf(path, sizeof path, "%s%csettings.json", g_dir, g_dir[0] == '/' ? '/' : '\\');
  TEST("a foreign settings.json at the cache path: TP_ERR_STORE, left untouched, no token request");
  mock_reset();
  const char *content = "{\"theme\": \"dark\"}\n";
  FILE *f = fopen(path, "wb");
  fputs(content, f);
  fclose(f);
#ifndef _WIN32
  chmod(path, 0600);
#endif
  tp_auth *auth = new_auth("token_cache", path, NULL);
  tp_token *t = NULL;
  /* Refused as "not a tpauth token cache", or earlier: under wine a file fopen creates grants
   * Everyone (S-1-1-0) read access, which the cache refuses first (it holds tokens). */
  EXPECT_FAIL(TP_ERR_STORE, "settings.json", tp_get_token(auth, &t, &ERR));
  tp_auth_free(auth);
  char back[128] = {0};
  f = fopen(path, "rb");
  if (f) {
    if (fread(back, 1, sizeof back - 1, f) == 0) back[0] = 0;
    fclose(f);
  }
  CHECK_STR(back, content);
  CHECKF(mock_stat("token_requests") == 0, "token requests: %ld", mock_stat("token_requests"));
  remove(path);

#ifdef _WIN32
  TEST("token_cache=default: %LOCALAPPDATA%\\tpauth\\token-cache.json");
  auth = new_auth("token_cache", "default", NULL);
  t = NULL;
  EXPECT_OK(tp_get_token(auth, &t, &ERR));
  tp_token_free(t);
  tp_auth_free(auth);
  char def[700];
  const char *local = getenv("LOCALAPPDATA");
  snprintf(def, sizeof def, "%s\\tpauth\\token-cache.json", local ? local : "?");
  f = fopen(def, "rb");
  CHECKF(f != NULL, "%s exists", def);
  if (f) fclose(f);
  remove(def);
#endif
}

int main(int argc, char **argv) {
  g_self = argv[0];
  if (argc > 1 && strcmp(argv[1], "child") == 0) return child_main(argc, argv);
  mock_init();
#ifdef _WIN32
  char tmp[MAX_PATH];
  GetTempPathA(sizeof tmp, tmp);
  snprintf(g_dir, sizeof g_dir, "%stpauth-wine-%lu", tmp, (unsigned long)GetCurrentProcessId());
  CreateDirectoryA(g_dir, NULL);
#else
  snprintf(g_dir, sizeof g_dir, "/tmp/tpauth-c-windows-XXXXXX");
  if (!mkdtemp(g_dir)) return 2;
#endif
  note_secret("mock-api-secret");
  note_secret("mock-password");
  test_threads();
  test_processes();
  test_cache_files();
  return finish();
}
