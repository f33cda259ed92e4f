/* The fault matrix through the C ABI: every operation (each grant, refresh, revoke, tp_get_token,
 * tp_request) against every fault of the mock, and every form of expires_in, ROUNDS times over,
 * freeing everything. Run plain (statuses and timings asserted) and under valgrind
 * --errors-for-leak-kinds=definite,indirect --error-exitcode=1 (nothing may leak) by
 * tests/faults/run.sh. The mock is driven over a raw socket, so that only tpauth allocates.
 *
 * Usage: fault_matrix PORT [ROUNDS]. Env: FAULTS_NO_TIMING=1 skips the timing bound (valgrind is
 * slow); FAULTS_LEAK=1 leaks one token on purpose (the canary: valgrind must then fail). Prints
 * "N passed, N failed"; exits 1 on any failure. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tpauth.h"

enum { TIMEOUT_MS = 700, SLOW_MS = 1600 };
static const char *REDIRECT = "https://app.example.com/cb";
static int g_port, g_passed, g_failed, g_timing = 1;
static char g_base[64];

/* ---- the mock's control endpoints, over a raw socket ---------------------------------------- */

/* One HTTP/1.0 request; the whole answer (headers and body) into buf. Returns its length. */
static size_t http(const char *method, const char *path, const char *body, char *buf, size_t cap) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)g_port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    perror("connect to the mock");
    exit(2);
  }
  char req[1024];
  int n = snprintf(req, sizeof req,
                   "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                   "Connection: close\r\n\r\n%s",
                   method, path, body ? strlen(body) : 0, body ? body : "");
  if (write(fd, req, (size_t)n) != n) exit(2);
  size_t len = 0;
  ssize_t r;
  while (len + 1 < cap && (r = read(fd, buf + len, cap - 1 - len)) > 0) len += (size_t)r;
  buf[len] = 0;
  close(fd);
  return len;
}

static void control(const char *path, const char *json) {
  char buf[4096];
  http("POST", path, json, buf, sizeof buf);
  if (strncmp(buf, "HTTP/1.1 200", 12) != 0 && strncmp(buf, "HTTP/1.0 200", 12) != 0) {
    fprintf(stderr, "control %s %s: %.80s\n", path, json, buf);
    exit(2);
  }
}

static long stat_of(const char *name) {
  char buf[4096], key[64];
  http("GET", "/_mock/stats", NULL, buf, sizeof buf);
  snprintf(key, sizeof key, "\"%s\":", name);
  const char *p = strstr(buf, key);
  return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

static long token_endpoint_requests(void) { return stat_of("token_requests") + stat_of("revoke_requests"); }

/* A fresh authorization code for REDIRECT, from the mock's authorize page (its 302 Location). */
static char *fresh_code(void) {
  char path[256], buf[4096];
  snprintf(path, sizeof path, "/authenticate?client_id=mock-api-key&redirect_uri=https%%3A%%2F%%2Fapp.example.com%%2Fcb"
                              "&response_type=code&state=st");
  http("GET", path, NULL, buf, sizeof buf);
  char *loc = strcasestr(buf, "\r\nlocation: ");
  if (!loc) { fprintf(stderr, "no Location in %.200s\n", buf); exit(2); }
  loc += 12;
  char *end = strstr(loc, "\r\n");
  *end = 0;
  char *code = NULL;
  if (tp_parse_code_redirect(loc, "st", &code, NULL) != TP_OK) { fprintf(stderr, "bad redirect %s\n", loc); exit(2); }
  return code;
}

/* ---- the matrix ------------------------------------------------------------------------------ */

typedef enum { OP_PASSWORD, OP_CLIENT_CREDENTIALS, OP_AUTH_CODE, OP_REFRESH, OP_REVOKE, OP_GET_TOKEN, OP_REQUEST, OP_REQUEST_API, N_OPS } op_t;
static const char *OP_NAMES[] = {"password", "client_credentials", "authorization_code", "refresh",
                                  "revoke", "get_token", "request", "request(api fault)"};

typedef struct {
  const char *kind;  /* the mock's fault kind */
  const char *extra; /* more JSON members of the fault */
} fault_t;
static const fault_t FAULTS[] = {
    {"429", ",\"retry_after\":\"1\""}, {"html_500", ""}, {"503", ""}, {"reset", ""}, {"truncated", ""},
    {"garbage", ""}, {"no_access_token", ""}, {"slow", ",\"delay_ms\":1600"}, {"big_body", ",\"size\":65536"},
    {"401", ""},
};
enum { N_FAULTS = sizeof FAULTS / sizeof FAULTS[0] };

/* What a cell gives: a tp_status, or for an API call that got an answer, 1000 + its HTTP status. */
static int expected(op_t op, const char *kind) {
  int api = op == OP_REQUEST_API;
  if (!strcmp(kind, "429")) return api ? 1429 : TP_ERR_RATE_LIMITED;
  if (!strcmp(kind, "html_500")) return api ? 1500 : TP_ERR_HTTP;
  if (!strcmp(kind, "503")) return api ? 1503 : TP_ERR_HTTP;
  if (!strcmp(kind, "reset") || !strcmp(kind, "truncated")) return TP_ERR_NETWORK;
  if (!strcmp(kind, "garbage") || !strcmp(kind, "no_access_token"))
    return api ? 1200 : op == OP_REVOKE ? TP_OK : TP_ERR_PROTOCOL;
  if (!strcmp(kind, "slow")) return TP_ERR_TIMEOUT;
  if (!strcmp(kind, "big_body")) return TP_ERR_PROTOCOL;
  if (!strcmp(kind, "401")) return api ? 1200 : TP_ERR_UNAUTHORIZED;
  return -1;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* big_body cells: a 64 KiB body to a client capped at 1 KiB (max_response_bytes), 64 times its cap,
 * so that no machine's speed decides the cell: with megabytes and the default 1 MiB cap, a loaded
 * machine (valgrind) timed out before the cap was reached. The default cap is proven by flows.rs. */
static tp_auth *new_client(int small_cap) {
  tp_config *cfg = NULL;
  tp_auth *auth = NULL;
  char ms[16];
  snprintf(ms, sizeof ms, "%d", TIMEOUT_MS);
  if (tp_config_new("mock-api-key", "mock-api-secret", &cfg, NULL) != TP_OK) exit(2);
  const char *opts[][2] = {{"api_base_url", g_base}, {"allow_insecure_http", "true"}, {"username", "user@example.com"},
                           {"password", "mock-password"}, {"timeout_ms", ms}, {"connect_timeout_ms", ms},
                           {"max_retries", "0"}};
  for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
    if (tp_config_set(cfg, opts[i][0], opts[i][1], NULL) != TP_OK) exit(2);
  if (small_cap && tp_config_set(cfg, "max_response_bytes", "1024", NULL) != TP_OK) exit(2);
  if (tp_auth_new(cfg, &auth, NULL) != TP_OK) exit(2);
  tp_config_free(cfg);
  return auth;
}

static void check(int ok, const char *cell, const char *fmt, long a, long b) {
  if (ok) { g_passed++; return; }
  g_failed++;
  fprintf(stderr, "FAIL %s: ", cell);
  fprintf(stderr, fmt, a, b);
  fputc('\n', stderr);
}

/* Run op on a fresh client, with arm_path/arm_json posted to the mock just before; returns the
 * result code (see expected()) and the token's expires_in through *expires_in. */
static int run_op(op_t op, const char *arm_path, const char *arm_json, const char *cell, int64_t *expires_in, int leak) {
  control("/_mock/reset", "{}");
  tp_auth *auth = new_client(strstr(arm_json, "\"big_body\"") != NULL);
  tp_token *tok = NULL;
  tp_error *err = NULL;
  tp_response *resp = NULL;
  char *code = op == OP_AUTH_CODE ? fresh_code() : NULL;
  if (op == OP_REFRESH || op == OP_REVOKE || op == OP_REQUEST_API) {
    if (tp_password_grant(auth, "user@example.com", "mock-password", &tok, NULL) != TP_OK) exit(2);
    tp_token_free(tok);
    tok = NULL;
  }
  long before = token_endpoint_requests();
  control(arm_path, arm_json);
  double t0 = now_ms();
  tp_status st;
  switch (op) {
    case OP_PASSWORD: st = tp_password_grant(auth, "user@example.com", "mock-password", &tok, &err); break;
    case OP_CLIENT_CREDENTIALS: st = tp_client_credentials_grant(auth, &tok, &err); break;
    case OP_AUTH_CODE: st = tp_authorization_code_grant(auth, code, REDIRECT, &tok, &err); break;
    case OP_REFRESH: st = tp_refresh(auth, NULL, &tok, &err); break;
    case OP_REVOKE: st = tp_revoke(auth, NULL, &err); break;
    case OP_GET_TOKEN: st = tp_get_token(auth, &tok, &err); break;
    default: st = tp_request(auth, "GET", "/v1/private/business-units/x/reviews", NULL, NULL, &resp, &err); break;
  }
  double took = now_ms() - t0;
  long requests = token_endpoint_requests() - before;
  if (g_timing) check(took <= TIMEOUT_MS + 1000, cell, "took %ld ms, more than the timeout + 1 s (%ld ms)", (long)took, TIMEOUT_MS + 1000);
  int result = st;
  if (st == TP_OK && resp) result = 1000 + tp_response_status(resp);
  if (st != TP_OK) {
    const char *msg = tp_error_message(err);
    check(err && msg && !strstr(msg, "mock-api-secret") && !strstr(msg, "mock-password"), cell, "a secret in the error message%s%s", 0, 0);
    if (st == TP_ERR_RATE_LIMITED) check(tp_error_retry_after_ms(err) == 1000, cell, "retry_after_ms %ld, want %ld", (long)tp_error_retry_after_ms(err), 1000);
  }
  /* A refresh, revoke or API call goes out on the grant's keep-alive connection: a reset there is
   * a stale connection, sent once more on a new one (the cell arms two resets for it). */
  long reused = (op == OP_REFRESH || op == OP_REVOKE) && strstr(arm_json, "\"reset\"") ? 1 : 0;
  long want_requests = op == OP_REQUEST_API ? (strstr(arm_json, "\"401\"") ? 1 : 0) : 1 + reused;
  check(requests == want_requests, cell, "%ld token requests, want %ld", requests, want_requests);
  *expires_in = tok ? tp_token_expires_in(tok) : -2;
  if (!leak) tp_token_free(tok);
  tp_error_free(err);
  tp_response_free(resp);
  tp_string_free(code);
  tp_auth_free(auth);
  return result;
}

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: fault_matrix PORT [ROUNDS]\n"); return 2; }
  g_port = atoi(argv[1]);
  int rounds = argc > 2 ? atoi(argv[2]) : 1;
  snprintf(g_base, sizeof g_base, "http://127.0.0.1:%d", g_port);
  g_timing = !getenv("FAULTS_NO_TIMING");
  int leak = getenv("FAULTS_LEAK") != NULL;
  char cell[128], json[256];
  int64_t ei;
  if (leak) { /* the canary: one successful grant whose token is never freed */
    run_op(OP_PASSWORD, "/_mock/config", "{}", "leak canary", &ei, 1);
    printf("leaked one token on purpose\n");
    return 0;
  }
  for (int r = 0; r < rounds; r++) {
    for (int op = 0; op < N_OPS; op++) {
      for (int f = 0; f < N_FAULTS; f++) {
        snprintf(cell, sizeof cell, "%s x %s", OP_NAMES[op], FAULTS[f].kind);
        /* On the grant's keep-alive connection a reset is sent again once: reset that too. */
        int resent = (op == OP_REFRESH || op == OP_REVOKE || op == OP_REQUEST_API) && !strcmp(FAULTS[f].kind, "reset");
        snprintf(json, sizeof json, "{\"kind\":\"%s\",\"target\":\"%s\",\"count\":%d%s}", FAULTS[f].kind,
                 op == OP_REQUEST_API ? "api" : "token", resent ? 2 : 1, FAULTS[f].extra);
        int got = run_op((op_t)op, "/_mock/fault", json, cell, &ei, 0);
        int want = expected((op_t)op, FAULTS[f].kind);
        check(got == want, cell, "got %ld, want %ld (statuses; 1000+N: an HTTP answer N)", got, want);
      }
    }
    /* expires_in: the raw JSON text of the value, and the expires_in a grant must report
     * (-2: a TP_ERR_PROTOCOL). */
    static const struct { const char *json_text; int64_t want; } FORMS[] = {
        {"\"\\\"359999\\\"\"", 359999}, {"\"600\"", 600}, {"\"3.5\"", 3}, {"\"0\"", 0}, {"null", -1},
        {"\"-5\"", -2}, {"\"\\\"-5\\\"\"", -2}, {"\"1e30\"", -2}, {"\"\\\"soon\\\"\"", -2}, {"\"true\"", -2},
    };
    const op_t TOKEN_OPS[] = {OP_PASSWORD, OP_CLIENT_CREDENTIALS, OP_AUTH_CODE, OP_REFRESH, OP_GET_TOKEN};
    for (size_t i = 0; i < sizeof FORMS / sizeof FORMS[0]; i++) {
      for (size_t o = 0; o < sizeof TOKEN_OPS / sizeof TOKEN_OPS[0]; o++) {
        snprintf(cell, sizeof cell, "%s x expires_in %s", OP_NAMES[TOKEN_OPS[o]], FORMS[i].json_text);
        snprintf(json, sizeof json, "{\"expires_in_json\":%s}", FORMS[i].json_text);
        int got = run_op(TOKEN_OPS[o], "/_mock/config", json, cell, &ei, 0);
        if (FORMS[i].want == -2) check(got == TP_ERR_PROTOCOL, cell, "got %ld, want TP_ERR_PROTOCOL (%ld)", got, TP_ERR_PROTOCOL);
        else check(got == TP_OK && ei == FORMS[i].want, cell, "expires_in %ld, want %ld", got == TP_OK ? (long)ei : -100 - got, (long)FORMS[i].want);
      }
    }
  }
  printf("fault matrix (C ABI, %d round%s): %d passed, %d failed\n", rounds, rounds > 1 ? "s" : "", g_passed, g_failed);
  return g_failed ? 1 : 0;
}
