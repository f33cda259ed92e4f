/* The authorization-code flow with a tiny loopback redirect listener.
 *
 *   authorization_code [BASE_URL]     (or env TPAUTH_MOCK_URL; e.g. http://127.0.0.1:PORT of `tpauth mock`)
 *
 * 1. listen on http://127.0.0.1:<free port>/callback (the redirect_uri: a native app's loopback
 *    redirect, RFC 8252, which a redirect_uri may be only with allow_loopback_redirect_uri=true);
 * 2. build the authorize URL with a fresh state;
 * 3. "the browser": against the mock (an http:// base URL) this program plays it itself: a plain
 *    HTTP GET of the authorize URL, which answers 302 to the redirect_uri, followed to our own
 *    listener; otherwise it prints the URL for you to open and waits for the redirect;
 * 4. parse the code from the redirect (checking the state) and exchange it for a token;
 * 5. one API call with that token. */
#define _POSIX_C_SOURCE 200809L /* getaddrinfo, strncasecmp */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

#include <tpauth.h>

static const char *env_or(const char *name, const char *fallback) {
  const char *v = getenv(name);
  return v && *v ? v : fallback;
}

static int fail(const char *what, tp_status st, tp_error *err) {
  fprintf(stderr, "%s failed: %s: %s (HTTP %d)\n", what, tp_status_name(st), err ? tp_error_message(err) : "",
          err ? tp_error_http_status(err) : 0);
  tp_error_free(err);
  return 1;
}

/* --- a very small HTTP/1.1 client and server, just enough for a loopback redirect ---------------- */

/* Splits http://HOST[:PORT]/PATH. Returns 0 on success. */
static int split_http_url(const char *url, char *host, size_t hostcap, char *port, size_t portcap, const char **path) {
  const char *p, *slash, *colon;
  size_t n;
  if (strncmp(url, "http://", 7) != 0) return -1;
  p = url + 7;
  slash = strchr(p, '/');
  if (!slash) slash = p + strlen(p);
  colon = memchr(p, ':', (size_t)(slash - p));
  n = (size_t)((colon ? colon : slash) - p);
  if (n == 0 || n >= hostcap) return -1;
  memcpy(host, p, n);
  host[n] = '\0';
  if (colon) {
    n = (size_t)(slash - colon - 1);
    if (n == 0 || n >= portcap) return -1;
    memcpy(port, colon + 1, n);
    port[n] = '\0';
  } else {
    snprintf(port, portcap, "80");
  }
  *path = *slash ? slash : "/";
  return 0;
}

/* Connects to the URL's host and sends a GET for it; returns the socket or -1. */
static int http_send_get(const char *url) {
  char host[256], port[16], req[4096];
  const char *path;
  struct addrinfo hints, *res = NULL, *ai;
  int fd = -1, n;
  if (split_http_url(url, host, sizeof host, port, sizeof port, &path) != 0) return -1;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(host, port, &hints, &res) != 0) return -1;
  for (ai = res; ai; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0) continue;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0) return -1;
  {
    struct timeval tv = {10, 0}; /* never hang on a silent peer */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\n\r\n", path, host, port);
  if (n <= 0 || (size_t)n >= sizeof req || send(fd, req, (size_t)n, 0) != n) {
    close(fd);
    return -1;
  }
  return fd;
}

/* Reads a response head (status line and headers; the body is not needed here); NUL-terminates. */
static size_t read_head(int fd, char *buf, size_t cap) {
  size_t len = 0;
  ssize_t n;
  buf[0] = '\0';
  while (len + 1 < cap && !strstr(buf, "\r\n\r\n") && (n = recv(fd, buf + len, cap - 1 - len, 0)) > 0) {
    len += (size_t)n;
    buf[len] = '\0';
  }
  return len;
}

/* Copies the value of header `name` out of a response head; returns 0 when found. */
static int find_header(const char *head, const char *name, char *out, size_t cap) {
  size_t nlen = strlen(name);
  const char *line = strstr(head, "\r\n");
  while (line && line[2] != '\r') {
    line += 2;
    if (strncasecmp(line, name, nlen) == 0 && line[nlen] == ':') {
      const char *v = line + nlen + 1, *end = strstr(v, "\r\n");
      size_t n;
      while (*v == ' ' || *v == '\t') v++;
      n = end ? (size_t)(end - v) : strlen(v);
      if (n >= cap) return -1;
      memcpy(out, v, n);
      out[n] = '\0';
      return 0;
    }
    line = strstr(line, "\r\n");
  }
  return -1;
}

/* Accepts one request on the listener, answers it, and returns its request target ("/callback?..."). */
static int accept_redirect(int listener, char *target, size_t cap) {
  char req[8192];
  size_t len = 0;
  ssize_t n;
  const char *sp, *sp2;
  static const char page[] =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 38\r\n\r\n"
      "Signed in. You may close this window.\n";
  int fd = accept(listener, NULL, NULL);
  if (fd < 0) return -1;
  while (len + 1 < sizeof req && (n = recv(fd, req + len, sizeof req - 1 - len, 0)) > 0) {
    len += (size_t)n;
    req[len] = '\0';
    if (strstr(req, "\r\n\r\n")) break;
  }
  req[len] = '\0';
  (void)!send(fd, page, sizeof page - 1, 0);
  close(fd);
  sp = strchr(req, ' ');
  sp2 = sp ? strchr(sp + 1, ' ') : NULL;
  if (strncmp(req, "GET ", 4) != 0 || !sp2 || (size_t)(sp2 - sp - 1) >= cap) return -1;
  memcpy(target, sp + 1, (size_t)(sp2 - sp - 1));
  target[sp2 - sp - 1] = '\0';
  return 0;
}

int main(int argc, char **argv) {
  const char *base = argc > 1 ? argv[1] : getenv("TPAUTH_MOCK_URL");
  int plays_browser = base && strncmp(base, "http://", 7) == 0;
  tp_config *cfg = NULL;
  tp_auth *auth = NULL;
  tp_token *tok = NULL;
  tp_response *resp = NULL;
  tp_error *err = NULL;
  char *state = NULL, *url = NULL, *code = NULL;
  char redirect_uri[64], target[4096], callback[4200];
  struct sockaddr_in addr;
  socklen_t alen = sizeof addr;
  tp_status st;
  int listener, rc = 1;

  /* 1. the loopback listener the browser will be redirected to */
  listener = socket(AF_INET, SOCK_STREAM, 0);
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0; /* any free port */
  if (listener < 0 || bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(listener, 4) != 0 ||
      getsockname(listener, (struct sockaddr *)&addr, &alen) != 0) {
    perror("listen");
    return 1;
  }
  snprintf(redirect_uri, sizeof redirect_uri, "http://127.0.0.1:%u/callback", (unsigned)ntohs(addr.sin_port));

  st = tp_config_new(env_or("TRUSTPILOT_API_KEY", "mock-api-key"), env_or("TRUSTPILOT_API_SECRET", "mock-api-secret"),
                     &cfg, &err);
  if (st != TP_OK) { rc = fail("tp_config_new", st, err); goto out; }
  if ((st = tp_config_set(cfg, "allow_insecure_http", "true", &err)) != TP_OK) { rc = fail("tp_config_set", st, err); goto out; }
  /* Our redirect_uri is this program's own loopback listener (RFC 8252): an explicit opt-in, since a
   * redirect_uri must otherwise be https. */
  if ((st = tp_config_set(cfg, "allow_loopback_redirect_uri", "true", &err)) != TP_OK) { rc = fail("tp_config_set", st, err); goto out; }
  if (base && *base) {
    char authorize[1024];
    snprintf(authorize, sizeof authorize, "%s/authenticate", base);
    if ((st = tp_config_set(cfg, "api_base_url", base, &err)) != TP_OK ||
        (st = tp_config_set(cfg, "authorize_url", authorize, &err)) != TP_OK) {
      rc = fail("tp_config_set", st, err);
      goto out;
    }
  }
  if ((st = tp_auth_new(cfg, &auth, &err)) != TP_OK) { rc = fail("tp_auth_new", st, err); goto out; }

  /* 2. the authorize URL, with a state we check on the way back */
  state = tp_new_state();
  st = tp_authorize_url(auth, redirect_uri, "code", state, &url, &err);
  if (st != TP_OK) { rc = fail("tp_authorize_url", st, err); goto out; }
  printf("redirect_uri: %s\nauthorize URL: %s\n", redirect_uri, url);

  /* 3. the browser */
  if (plays_browser) {
    char head[16384], location[4096];
    int fd = http_send_get(url), cb;
    if (fd < 0) { fprintf(stderr, "cannot reach %s\n", url); goto out; }
    read_head(fd, head, sizeof head);
    close(fd);
    if (strncmp(head, "HTTP/1.1 302", 12) != 0 && strncmp(head, "HTTP/1.0 302", 12) != 0) {
      fprintf(stderr, "the authorize page did not redirect: %.80s\n", head);
      goto out;
    }
    if (find_header(head, "location", location, sizeof location) != 0 ||
        strncmp(location, redirect_uri, strlen(redirect_uri)) != 0) {
      fprintf(stderr, "the authorize page redirected elsewhere\n");
      goto out;
    }
    printf("authorize page answered 302 to our redirect_uri; following it\n");
    cb = http_send_get(location); /* connects to our own listener: the kernel queues it */
    if (cb < 0) { fprintf(stderr, "cannot follow the redirect\n"); goto out; }
    if (accept_redirect(listener, target, sizeof target) != 0) { close(cb); fprintf(stderr, "bad redirect request\n"); goto out; }
    read_head(cb, head, sizeof head);
    close(cb);
  } else {
    printf("Open the authorize URL in a browser; waiting for the redirect...\n");
    fflush(stdout);
    if (accept_redirect(listener, target, sizeof target) != 0) { fprintf(stderr, "bad redirect request\n"); goto out; }
  }

  /* 4. the code, checked against our state, exchanged with the same redirect_uri */
  snprintf(callback, sizeof callback, "http://127.0.0.1:%u%s", (unsigned)ntohs(addr.sin_port), target);
  st = tp_parse_code_redirect(callback, state, &code, &err);
  if (st != TP_OK) { rc = fail("tp_parse_code_redirect", st, err); goto out; }
  printf("redirect received, state matches\n");
  st = tp_authorization_code_grant(auth, code, redirect_uri, &tok, &err);
  if (st != TP_OK) { rc = fail("tp_authorization_code_grant", st, err); goto out; }
  printf("code exchanged: token_type=%s expires_in=%lld refresh_token=%s\n",
         tp_token_type(tok) ? tp_token_type(tok) : "(none)", (long long)tp_token_expires_in(tok),
         tp_token_refresh_token(tok) ? "yes" : "no");

  /* 5. the token is now the client's current one */
  st = tp_request(auth, "GET", "/v1/private/business-units/mock-business-unit", NULL, NULL, &resp, &err);
  if (st != TP_OK) { rc = fail("tp_request", st, err); goto out; }
  printf("GET business unit: HTTP %d\n", tp_response_status(resp));
  rc = tp_response_status(resp) == 200 ? 0 : 1;

out:
  if (listener >= 0) close(listener);
  tp_response_free(resp);
  tp_token_free(tok);
  tp_string_free(code);
  tp_string_free(url);
  tp_string_free(state);
  tp_auth_free(auth);
  tp_config_free(cfg);
  return rc;
}
