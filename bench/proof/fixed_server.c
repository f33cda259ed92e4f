/* A minimal fixed-response token server for the benchmarks, so that the server is not what is
 * measured: one thread per connection, HTTP/1.1 keep-alive, and every request answered at once with
 * the same canned token response (Trustpilot's shape; any path, any method: an "API call" gets it
 * too). No parsing beyond the header end and Content-Length. Counts requests: GET /_count answers
 * {"token_requests":N,"requests":M} (token_requests: paths containing "/oauth/"), POST /_reset zeroes
 * both; neither is counted. Prints its port alone on the first line of stdout; listens on
 * 127.0.0.1 only; exits when stdin reaches EOF. Usage: fixed_server [PORT] */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static const char TOKEN[] =
    "{\"refresh_token_expires_in\":\"7775999\",\"refresh_token_status\":\"approved\",\"api_product_list\":\"[Public API]\","
    "\"organization_name\":\"fixed\",\"developer.email\":\"dev@example.com\",\"token_type\":\"BearerToken\","
    "\"issued_at\":\"1700000000000\",\"client_id\":\"mock-api-key\",\"access_token\":\"fixedAccessToken0123456789\","
    "\"refresh_token\":\"fixedRefreshToken0123456789\",\"application_name\":\"fixed-app\",\"scope\":\"\","
    "\"refresh_token_issued_at\":\"1700000000000\",\"expires_in\":\"359999\",\"refresh_count\":\"0\",\"status\":\"approved\"}";
static char g_response[2048];
static size_t g_response_len;
static atomic_long g_tokens, g_requests;

static void reply(int fd, const char *body) {
  char buf[512];
  int n = snprintf(buf, sizeof buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                   strlen(body), body);
  (void)!write(fd, buf, (size_t)n);
}

static void *serve(void *arg) {
  int fd = (int)(long)arg;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  char buf[65536];
  size_t len = 0;
  for (;;) {
    char *end;
    while (!(end = memmem(buf, len, "\r\n\r\n", 4))) {
      if (len == sizeof buf) goto done;
      ssize_t r = read(fd, buf + len, sizeof buf - len);
      if (r <= 0) goto done;
      len += (size_t)r;
    }
    size_t head = (size_t)(end - buf) + 4, body = 0;
    for (char *p = buf; p < end; p++) {
      if ((p == buf || p[-1] == '\n') && strncasecmp(p, "content-length:", 15) == 0) body = strtoul(p + 15, NULL, 10);
    }
    if (head + body > sizeof buf) goto done;
    while (len < head + body) {
      ssize_t r = read(fd, buf + len, sizeof buf - len);
      if (r <= 0) goto done;
      len += (size_t)r;
    }
    char *line_end = memchr(buf, '\r', head);
    if (line_end && memmem(buf, (size_t)(line_end - buf), " /_count", 8)) {
      char json[128];
      snprintf(json, sizeof json, "{\"token_requests\":%ld,\"requests\":%ld}", atomic_load(&g_tokens), atomic_load(&g_requests));
      reply(fd, json);
    } else if (line_end && memmem(buf, (size_t)(line_end - buf), " /_reset", 8)) {
      atomic_store(&g_tokens, 0);
      atomic_store(&g_requests, 0);
      reply(fd, "{}");
    } else {
      atomic_fetch_add(&g_requests, 1);
      if (line_end && memmem(buf, (size_t)(line_end - buf), "/oauth/", 7)) atomic_fetch_add(&g_tokens, 1);
      if (write(fd, g_response, g_response_len) != (ssize_t)g_response_len) goto done;
    }
    memmove(buf, buf + head + body, len - head - body);
    len -= head + body;
  }
done:
  close(fd);
  return NULL;
}

static void *watch_stdin(void *arg) {
  (void)arg;
  char c;
  while (read(0, &c, 1) > 0) {}
  exit(0);
}

int main(int argc, char **argv) {
  g_response_len = (size_t)snprintf(g_response, sizeof g_response,
                                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                                    strlen(TOKEN), TOKEN);
  int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(argc > 1 ? (uint16_t)atoi(argv[1]) : 0)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof a;
  if (bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 1024) || getsockname(ls, (struct sockaddr *)&a, &alen)) {
    perror("fixed_server");
    return 1;
  }
  printf("%d\n", ntohs(a.sin_port));
  fflush(stdout);
  pthread_t t;
  pthread_create(&t, NULL, watch_stdin, NULL);
  for (;;) {
    int fd = accept(ls, NULL, NULL);
    if (fd < 0) continue;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&at, 256 * 1024);
    if (pthread_create(&t, &at, serve, (void *)(long)fd) != 0) close(fd);
    pthread_attr_destroy(&at);
  }
}
