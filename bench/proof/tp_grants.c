/* N sequential password grants over one keep-alive connection from C through libtpauth; prints
 * "MEDIAN_US P99_US REQUESTS_PER_S". Usage: tp_grants BASE_URL N */
#define _POSIX_C_SOURCE 200809L
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
  if (argc < 3) { fprintf(stderr, "usage: tp_grants BASE_URL N\n"); return 2; }
  int n = atoi(argv[2]);
  tp_config *cfg; tp_auth *auth; tp_error *err = NULL;
  if (tp_config_new("mock-api-key", "mock-api-secret", &cfg, &err) != TP_OK) return 1;
  tp_config_set(cfg, "api_base_url", argv[1], NULL);
  tp_config_set(cfg, "allow_insecure_http", "true", NULL);
  tp_config_set(cfg, "max_retries", "0", NULL);
  if (tp_auth_new(cfg, &auth, &err) != TP_OK) { fprintf(stderr, "%s\n", tp_error_message(err)); return 1; }
  tp_config_free(cfg);
  double *t = malloc(sizeof(double) * (size_t)n);
  double start = now_us();
  for (int i = 0; i < n; i++) {
    tp_token *tok;
    double s = now_us();
    if (tp_password_grant(auth, "user@example.com", "mock-password", &tok, &err) != TP_OK) {
      fprintf(stderr, "grant %d: %s\n", i, tp_error_message(err)); return 1;
    }
    t[i] = now_us() - s;
    tp_token_free(tok);
  }
  double total = now_us() - start;
  qsort(t, (size_t)n, sizeof(double), cmp);
  printf("%.1f %.1f %.0f\n", t[n / 2], t[(int)(n * 0.99)], n / (total / 1e6));
  free(t); tp_auth_free(auth);
  return 0;
}
