/* Cached tp_get_token + tp_token_free from C: the median time of one call, in nanoseconds, on 1,
 * 2 and 8 threads sharing one client, and on 2 and 8 threads with a client each. The difference
 * between the two is what the shared token's reference count costs: every call on a shared client
 * increments and decrements the same counter, so its cache line moves between the cores; clients
 * of their own touch lines of their own. Prints figures; not a test. Needs the mock
 * (TPAUTH_MOCK_PORT) for the first tokens only. Run through bench/c/run.sh. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tpauth.h"

enum { BATCH = 1000, ROUNDS = 2000 };

enum { MAX_THREADS = 8 };

static tp_auth *g_auth[MAX_THREADS];
static pthread_barrier_t g_start;

struct job {
  tp_auth *auth;
  double median;
};

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
  struct job *job = arg;
  double *samples = malloc(sizeof(double) * ROUNDS);
  pthread_barrier_wait(&g_start);
  for (int r = 0; r < ROUNDS; r++) {
    int64_t t0 = ns();
    for (int i = 0; i < BATCH; i++) {
      tp_token *t = NULL;
      if (tp_get_token(job->auth, &t, NULL) != TP_OK) {
        fprintf(stderr, "tp_get_token failed\n");
        exit(1);
      }
      tp_token_free(t);
    }
    samples[r] = (double)(ns() - t0) / BATCH;
  }
  qsort(samples, ROUNDS, sizeof(double), cmp);
  job->median = samples[ROUNDS / 2];
  free(samples);
  return NULL;
}

/* threads workers at once; shared: all on g_auth[0], else worker i on g_auth[i]. */
static int g_json; /* --json: one JSON object at the end instead of lines (bench/all.py) */

static double run(int threads, int shared) {
  pthread_t th[MAX_THREADS];
  struct job jobs[MAX_THREADS];
  pthread_barrier_init(&g_start, NULL, (unsigned)threads);
  for (int i = 0; i < threads; i++) {
    jobs[i].auth = g_auth[shared ? 0 : i];
    pthread_create(&th[i], NULL, worker, &jobs[i]);
  }
  for (int i = 0; i < threads; i++) pthread_join(th[i], NULL);
  pthread_barrier_destroy(&g_start);
  double worst = 0;
  for (int i = 0; i < threads; i++) worst = jobs[i].median > worst ? jobs[i].median : worst;
  if (!g_json)
    printf("cached tp_get_token + tp_token_free, %d thread%s, %s: median %.1f ns/call (slowest thread; %d x %d calls each)\n",
           threads, threads > 1 ? "s" : "", shared ? "one client" : "a client each", worst, ROUNDS, BATCH);
  return worst;
}

static tp_auth *client(const char *base) {
  tp_config *cfg = NULL;
  tp_config_new("mock-api-key", "mock-api-secret", &cfg, NULL);
  tp_config_set(cfg, "api_base_url", base, NULL);
  tp_config_set(cfg, "allow_insecure_http", "true", NULL);
  tp_config_set(cfg, "username", "user@example.com", NULL);
  tp_config_set(cfg, "password", "mock-password", NULL);
  tp_error *err = NULL;
  tp_auth *auth = NULL;
  if (tp_auth_new(cfg, &auth, &err) != TP_OK) {
    fprintf(stderr, "tp_auth_new: %s\n", tp_error_message(err));
    exit(1);
  }
  tp_config_free(cfg);
  tp_token *t = NULL;
  if (tp_get_token(auth, &t, &err) != TP_OK) { /* the one token request of this client */
    fprintf(stderr, "tp_get_token: %s\n", tp_error_message(err));
    exit(1);
  }
  tp_token_free(t);
  return auth;
}

int main(int argc, char **argv) {
  g_json = argc > 1 && strcmp(argv[1], "--json") == 0;
  const char *port = getenv("TPAUTH_MOCK_PORT");
  if (!port) {
    fprintf(stderr, "TPAUTH_MOCK_PORT is not set\n");
    return 2;
  }
  char base[64];
  snprintf(base, sizeof base, "http://127.0.0.1:%s", port);
  for (int i = 0; i < MAX_THREADS; i++) g_auth[i] = client(base);
  /* Threads only contend for a cache line while they run at once: on a loaded machine they take
   * turns, and the figures approach the one-thread figure. Say how loaded it was. */
  double load[1] = {0};
  if (getloadavg(load, 1) == 1 && !g_json) printf("load average %.1f on %ld cores\n", load[0], sysconf(_SC_NPROCESSORS_ONLN));
  double t1 = run(1, 1), t2 = run(2, 1), t8 = run(8, 1), o2 = run(2, 0), o8 = run(8, 0);
  if (g_json)
    printf("{\"threads_1\": %.1f, \"threads_2\": %.1f, \"threads_8\": %.1f, \"own_2\": %.1f, \"own_8\": %.1f, \"load\": %.1f}\n", t1, t2, t8,
           o2, o8, load[0]);
  for (int i = 0; i < MAX_THREADS; i++) tp_auth_free(g_auth[i]);
  return 0;
}
