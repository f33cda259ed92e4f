/* A tiny test harness for the C suite: checks that count and report, a plain-socket HTTP client
 * for the mock's control endpoints, and helpers to build clients pointed at the mock.
 * Every test program prints "N passed, N failed" last and exits non-zero on any failure. */
#ifndef TPAUTH_TEST_HARNESS_H
#define TPAUTH_TEST_HARNESS_H

#define _GNU_SOURCE
#ifdef _WIN32
/* Windows (mingw-w64, run under wine by tests/wine/run.sh): Winsock for the mock's control
 * endpoints, winpthreads for threads, clock_gettime and nanosleep, and the few POSIX calls the
 * tests use. */
#define WIN32_LEAN_AND_MEAN
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#define MSG_NOSIGNAL 0
#define close_socket closesocket
static int setenv(const char *k, const char *v, int overwrite) {
  (void)overwrite;
  return SetEnvironmentVariableA(k, v) && _putenv_s(k, v) == 0 ? 0 : -1;
}
static int unsetenv(const char *k) {
  SetEnvironmentVariableA(k, NULL);
  return _putenv_s(k, "");
}
static char *strcasestr(const char *hay, const char *needle) {
  size_t n = strlen(needle);
  for (; *hay; hay++)
    if (_strnicmp(hay, needle, n) == 0) return (char *)hay;
  return NULL;
}
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#define close_socket close
#endif
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tpauth.h"

static atomic_int g_passed, g_failed;
static const char *g_test = "";

#define TEST(name) (g_test = (name), fprintf(stderr, "-- %s\n", g_test))

static void check_at(int ok, const char *file, int line, const char *expr, const char *fmt, ...) {
  if (ok) {
    atomic_fetch_add(&g_passed, 1);
    return;
  }
  atomic_fetch_add(&g_failed, 1);
  fprintf(stderr, "FAIL [%s] %s:%d: %s", g_test, file, line, expr);
  if (fmt && *fmt) {
    va_list ap;
    va_start(ap, fmt);
    fputs(" -- ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
  }
  fputc('\n', stderr);
}

#define CHECK(cond) check_at(!!(cond), __FILE__, __LINE__, #cond, "")
#define CHECKF(cond, ...) check_at(!!(cond), __FILE__, __LINE__, #cond, __VA_ARGS__)
#define CHECK_STR(a, b)                                                                      \
  do {                                                                                       \
    const char *a_ = (a), *b_ = (b);                                                         \
    check_at(a_ && b_ && strcmp(a_, b_) == 0, __FILE__, __LINE__, #a " == " #b, "got \"%s\", want \"%s\"", \
             a_ ? a_ : "(null)", b_ ? b_ : "(null)");                                        \
  } while (0)
#define CHECK_CONTAINS(hay, needle)                                                          \
  do {                                                                                       \
    const char *h_ = (hay), *n_ = (needle);                                                  \
    check_at(h_ && strstr(h_, n_) != NULL, __FILE__, __LINE__, #hay " contains " #needle,    \
             "\"%s\" lacks \"%s\"", h_ ? h_ : "(null)", n_);                                 \
  } while (0)

/* ---- secrets that must never appear in an error message or log line ---------------------- */

#define MAX_SECRETS 256
static char *g_secrets[MAX_SECRETS];
static int g_nsecrets;
static pthread_mutex_t g_secrets_mu = PTHREAD_MUTEX_INITIALIZER;

static void note_secret(const char *s) {
  if (!s || strlen(s) < 6) return;
  pthread_mutex_lock(&g_secrets_mu);
  if (g_nsecrets < MAX_SECRETS) g_secrets[g_nsecrets++] = strdup(s);
  pthread_mutex_unlock(&g_secrets_mu);
}

/* The first known secret contained in text, or NULL. */
static const char *leaked_secret(const char *text) {
  const char *found = NULL;
  if (!text) return NULL;
  pthread_mutex_lock(&g_secrets_mu);
  for (int i = 0; i < g_nsecrets && !found; i++)
    if (strstr(text, g_secrets[i])) found = g_secrets[i];
  pthread_mutex_unlock(&g_secrets_mu);
  return found;
}

static void free_secrets(void) {
  for (int i = 0; i < g_nsecrets; i++) free(g_secrets[i]);
  g_nsecrets = 0;
}

/* ---- status checks ------------------------------------------------------------------------ */

/* `call` uses &ERR as its error argument. */
#define EXPECT_OK(call)                                                                      \
  do {                                                                                       \
    tp_error *ERR = NULL;                                                                    \
    tp_status st_ = (call);                                                                  \
    check_at(st_ == TP_OK && ERR == NULL, __FILE__, __LINE__, #call, "%s: %s", tp_status_name(st_), \
             ERR ? tp_error_message(ERR) : "");                                              \
    tp_error_free(ERR);                                                                      \
  } while (0)

static void check_fail_at(const char *file, int line, const char *expr, tp_status st, tp_error *err, tp_status want,
                          const char *words) {
  const char *msg = err ? tp_error_message(err) : NULL;
  check_at(st == want, file, line, expr, "status %s, want %s (%s)", tp_status_name(st), tp_status_name(want),
           msg ? msg : "no error object");
  check_at(err != NULL && tp_error_status(err) == want, file, line, expr, "the error object must carry the status");
  if (words && msg) check_at(strstr(msg, words) != NULL, file, line, expr, "message \"%s\" lacks \"%s\"", msg, words);
  const char *leak = leaked_secret(msg);
  check_at(leak == NULL, file, line, expr, "message leaks a secret: \"%s\"", msg ? msg : "");
}

/* `call` uses &ERR; the error must have status `want` and its message contain `words` (or NULL). */
#define EXPECT_FAIL(want, words, call)                                                       \
  do {                                                                                       \
    tp_error *ERR = NULL;                                                                    \
    tp_status st_ = (call);                                                                  \
    check_fail_at(__FILE__, __LINE__, #call, st_, ERR, (want), (words));                     \
    tp_error_free(ERR);                                                                      \
  } while (0)

/* As EXPECT_FAIL, keeping the error in `var` for more checks (the caller frees it). */
#define EXPECT_FAIL_KEEP(var, want, words, call)                                             \
  do {                                                                                       \
    tp_error *ERR = NULL;                                                                    \
    tp_status st_ = (call);                                                                  \
    check_fail_at(__FILE__, __LINE__, #call, st_, ERR, (want), (words));                     \
    var = ERR;                                                                               \
  } while (0)

/* ---- time --------------------------------------------------------------------------------- */

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms) {
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
  }
}

/* ---- the mock ----------------------------------------------------------------------------- */

static int g_port;

static void mock_init(void) {
  const char *p = getenv("TPAUTH_MOCK_PORT");
  if (!p || !*p) {
    fprintf(stderr, "TPAUTH_MOCK_PORT is not set (run through tests/c/run.sh)\n");
    exit(2);
  }
  g_port = atoi(p);
#ifdef _WIN32
  WSADATA wsa;
  if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) {
    fprintf(stderr, "WSAStartup failed\n");
    exit(2);
  }
#endif
}

/* One HTTP/1.1 request to the mock over a fresh connection. Returns the status (or -1) and, when
 * `out` is given, the whole raw response (headers and body), NUL-terminated. */
static int mock_http(const char *method, const char *path, const char *body, char *out, size_t cap) {
#ifdef _WIN32
  SOCKET fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd == INVALID_SOCKET) return -1;
#else
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
#endif
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)g_port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close_socket(fd);
    return -1;
  }
  size_t blen = body ? strlen(body) : 0;
  size_t reqcap = blen + strlen(path) + 256;
  char *req = malloc(reqcap);
  int n = snprintf(req, reqcap,
                   "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\nContent-Type: application/json\r\n"
                   "Content-Length: %zu\r\n\r\n%s",
                   method, path, g_port, blen, body ? body : "");
  for (int sent = 0; sent < n;) {
    ssize_t w = send(fd, req + sent, (int)(n - sent), MSG_NOSIGNAL);
    if (w <= 0) break;
    sent += (int)w;
  }
  free(req);
  char local[65536];
  char *buf = out ? out : local;
  size_t bcap = out ? cap : sizeof local;
  size_t got = 0;
  for (;;) {
    ssize_t r = recv(fd, buf + got, (int)(bcap - 1 - got), 0);
    if (r <= 0) break;
    got += (size_t)r;
    if (got + 1 >= bcap) break;
  }
  buf[got] = 0;
  close_socket(fd);
  int status = -1;
  if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1) status = -1;
  return status;
}

/* The body of a raw response (after the blank line). */
static const char *http_body(const char *raw) {
  const char *p = strstr(raw, "\r\n\r\n");
  return p ? p + 4 : "";
}

/* A header value of a raw response copied into out (case-sensitive name as the mock sends it). */
static int http_header(const char *raw, const char *name, char *out, size_t cap) {
  char key[128];
  snprintf(key, sizeof key, "\r\n%s: ", name);
  const char *p = strcasestr(raw, key);
  if (!p) return 0;
  p += strlen(key);
  const char *e = strstr(p, "\r\n");
  size_t n = e ? (size_t)(e - p) : strlen(p);
  if (n >= cap) n = cap - 1;
  memcpy(out, p, n);
  out[n] = 0;
  return 1;
}

static void mock_reset(void) {
  int st = mock_http("POST", "/_mock/reset", "{}", NULL, 0);
  if (st != 200) {
    fprintf(stderr, "mock reset failed (%d)\n", st);
    exit(2);
  }
}

static void mock_config(const char *json) {
  int st = mock_http("POST", "/_mock/config", json, NULL, 0);
  CHECKF(st == 200, "mock config %s -> %d", json, st);
}

static void mock_fault(const char *json) {
  int st = mock_http("POST", "/_mock/fault", json, NULL, 0);
  CHECKF(st == 200, "mock fault %s -> %d", json, st);
}

/* A counter of /_mock/stats ("token_requests", "api_401", "password", "refresh_token", ...). */
static long mock_stat(const char *key) {
  char raw[8192], pat[64];
  if (mock_http("GET", "/_mock/stats", NULL, raw, sizeof raw) != 200) return -1;
  snprintf(pat, sizeof pat, "\"%s\":", key);
  const char *p = strstr(http_body(raw), pat);
  return p ? strtol(p + strlen(pat), NULL, 10) : -1;
}

/* GET /_mock/<what> (last_token_request, last_api_request) into out. */
static void mock_last(const char *what, char *out, size_t cap) {
  char path[64];
  snprintf(path, sizeof path, "/_mock/%s", what);
  static char raw[1 << 17];
  mock_http("GET", path, NULL, raw, sizeof raw);
  snprintf(out, cap, "%s", http_body(raw));
}

/* ---- clients -------------------------------------------------------------------------------- */

static char g_base[64];

static const char *base_url(void) {
  snprintf(g_base, sizeof g_base, "http://127.0.0.1:%d", g_port);
  return g_base;
}

/* A configuration pointed at the mock, with the given extra options (key, value, ..., NULL). */
static tp_config *mock_config_v(const char *key, const char *secret, va_list ap) {
  tp_config *cfg = NULL;
  char authz[96];
  snprintf(authz, sizeof authz, "http://127.0.0.1:%d/authenticate", g_port);
  EXPECT_OK(tp_config_new(key, secret, &cfg, &ERR));
  if (!cfg) return NULL;
  EXPECT_OK(tp_config_set(cfg, "api_base_url", base_url(), &ERR));
  EXPECT_OK(tp_config_set(cfg, "authorize_url", authz, &ERR));
  EXPECT_OK(tp_config_set(cfg, "allow_insecure_http", "true", &ERR));
  for (;;) {
    const char *k = va_arg(ap, const char *);
    if (!k) break;
    const char *v = va_arg(ap, const char *);
    tp_error *err = NULL;
    tp_status st = tp_config_set(cfg, k, v, &err);
    CHECKF(st == TP_OK, "tp_config_set(%s): %s", k, err ? tp_error_message(err) : "");
    tp_error_free(err);
  }
  return cfg;
}

static tp_config *new_config(const char *first, ...) {
  va_list ap;
  va_start(ap, first);
  /* `first` is the first option key (or NULL); re-assemble by prepending it. */
  tp_config *cfg = NULL;
  if (!first) {
    cfg = mock_config_v("mock-api-key", "mock-api-secret", ap);
  } else {
    const char *v = va_arg(ap, const char *);
    cfg = mock_config_v("mock-api-key", "mock-api-secret", ap);
    tp_error *err = NULL;
    tp_status st = tp_config_set(cfg, first, v, &err);
    CHECKF(st == TP_OK, "tp_config_set(%s): %s", first, err ? tp_error_message(err) : "");
    tp_error_free(err);
  }
  va_end(ap);
  return cfg;
}

/* A client for the mock (user and password set) with extra options (key, value, ..., NULL). */
#define new_auth(...) new_auth_((const char *)"username", (const char *)"user@example.com", (const char *)"password", \
                                (const char *)"mock-password", __VA_ARGS__)
static tp_auth *new_auth_(const char *first, ...) {
  va_list ap;
  va_start(ap, first);
  const char *v = va_arg(ap, const char *);
  tp_config *cfg = mock_config_v("mock-api-key", "mock-api-secret", ap);
  va_end(ap);
  tp_error *err = NULL;
  tp_status st = tp_config_set(cfg, first, v, &err);
  CHECK(st == TP_OK);
  tp_error_free(err);
  tp_auth *auth = NULL;
  err = NULL;
  st = tp_auth_new(cfg, &auth, &err);
  CHECKF(st == TP_OK, "tp_auth_new: %s", err ? tp_error_message(err) : "");
  tp_error_free(err);
  tp_config_free(cfg);
  return auth;
}

static int finish(void) {
  free_secrets();
  int p = atomic_load(&g_passed), f = atomic_load(&g_failed);
  printf("%d passed, %d failed\n", p, f);
  fflush(stdout);
  return f == 0 ? 0 : 1;
}

#endif
