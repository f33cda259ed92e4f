/* Cached tp_get_token + tp_token_free from C, 1 and 2 threads: the median time of one call, in
 * nanoseconds (target: <= 200 ns). Prints figures; not a test. Needs the mock (TPAUTH_MOCK_PORT)
 * for the first token only. Run through bench/c/run.sh. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tpauth.h"

enum { BATCH = 1000, ROUNDS = 2000 };

static tp_auth *g_auth;
static pthread_barrier_t g_start;

static int64_t ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* ROUNDS batches of BATCH calls; each batch's mean per call is one sample; returns the median. */
static void *worker(void *arg) {
  double *samples = malloc(sizeof(double) * ROUNDS);
  pthread_barrier_wait(&g_start);
  for (int r = 0; r < ROUNDS; r++) {
    int64_t t0 = ns();
    for (int i = 0; i < BATCH; i++) {
      tp_token *t = NULL;
      if (tp_get_token(g_auth, &t, NULL) != TP_OK) {
        fprintf(stderr, "tp_get_token failed\n");
        exit(1);
      }
      tp_token_free(t);
    }
    samples[r] = (double)(ns() - t0) / BATCH;
  }
  qsort(samples, ROUNDS, sizeof(double), cmp);
  double *median = arg;
  *median = samples[ROUNDS / 2];
  free(samples);
  return NULL;
}

static void run(int threads) {
  pthread_t th[8];
  double med[8];
  pthread_barrier_init(&g_start, NULL, (unsigned)threads);
  for (int i = 0; i < threads; i++) pthread_create(&th[i], NULL, worker, &med[i]);
  for (int i = 0; i < threads; i++) pthread_join(th[i], NULL);
  pthread_barrier_destroy(&g_start);
  double worst = 0;
  for (int i = 0; i < threads; i++) worst = med[i] > worst ? med[i] : worst;
  printf("cached tp_get_token + tp_token_free, %d thread%s: median %.0f ns/call (slowest thread; %d x %d calls each)\n",
         threads, threads > 1 ? "s" : "", worst, ROUNDS, BATCH);
}

int main(void) {
  const char *port = getenv("TPAUTH_MOCK_PORT");
  if (!port) {
    fprintf(stderr, "TPAUTH_MOCK_PORT is not set\n");
    return 2;
  }
  char base[64];
  snprintf(base, sizeof base, "http://127.0.0.1:%s", port);
  tp_config *cfg = NULL;
  tp_config_new("mock-api-key", "mock-api-secret", &cfg, NULL);
  tp_config_set(cfg, "api_base_url", base, NULL);
  tp_config_set(cfg, "allow_insecure_http", "true", NULL);
  tp_config_set(cfg, "username", "user@example.com", NULL);
  tp_config_set(cfg, "password", "mock-password", NULL);
  tp_error *err = NULL;
  if (tp_auth_new(cfg, &g_auth, &err) != TP_OK) {
    fprintf(stderr, "tp_auth_new: %s\n", tp_error_message(err));
    return 1;
  }
  tp_config_free(cfg);
  tp_token *t = NULL;
  if (tp_get_token(g_auth, &t, &err) != TP_OK) { /* the one token request */
    fprintf(stderr, "tp_get_token: %s\n", tp_error_message(err));
    return 1;
  }
  tp_token_free(t);
  run(1);
  run(2);
  tp_auth_free(g_auth);
  return 0;
}
