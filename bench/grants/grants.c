/* 1,000 sequential password grants to the mock over one keep-alive connection, from C through
 * libtpauth; prints the median and p99 per grant in microseconds. Usage: grants MOCK_URL [N] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "tpauth.h"

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: grants MOCK_URL [N]\n"); return 2; }
  int n = argc > 2 ? atoi(argv[2]) : 1000;
  tp_config *cfg; tp_auth *auth; tp_error *err = NULL;
  if (tp_config_new("mock-api-key", "mock-api-secret", &cfg, &err) != TP_OK) return 1;
  tp_config_set(cfg, "api_base_url", argv[1], NULL);
  tp_config_set(cfg, "allow_insecure_http", "true", NULL);
  if (tp_auth_new(cfg, &auth, &err) != TP_OK) { fprintf(stderr, "%s\n", tp_error_message(err)); return 1; }
  tp_config_free(cfg);
  double *t = malloc(sizeof(double) * n);
  for (int i = 0; i < n; i++) {
    tp_token *tok;
    double s = now_us();
    if (tp_password_grant(auth, "user@example.com", "mock-password", &tok, &err) != TP_OK) {
      fprintf(stderr, "grant %d: %s\n", i, tp_error_message(err)); return 1;
    }
    t[i] = now_us() - s;
    tp_token_free(tok);
  }
  qsort(t, n, sizeof(double), cmp);
  printf("%.1f %.1f\n", t[n / 2], t[(int)(n * 0.99)]);
  free(t); tp_auth_free(auth);
  return 0;
}
