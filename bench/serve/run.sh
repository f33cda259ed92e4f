#!/usr/bin/env bash
# The token service's benchmark: GET /v1/token from `tpauth serve` over its Unix socket, 32
# keep-alive clients, beside nginx serving a 200-byte static file on a Unix socket, in one run on
# the same machine (wrk cannot use a Unix socket: bench/serve/loadgen is the client, the same for
# both). Prints requests/s, p50 and p99 latency, and the service's RSS after warm-up, after 1 M
# requests and after 2 M (flat RSS: no growth per request). Writes bench/results/serve.md and
# serve.json. Not a test and not in the test command: a shared machine's numbers vary; compare
# within one run. Usage: bench/serve/run.sh [--requests N]   (default 1000000 per measured round)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
REQUESTS=1000000
while [ $# -gt 0 ]; do
  case $1 in --requests) REQUESTS=$2; shift 2 ;; *) echo "usage: bench/serve/run.sh [--requests N]" >&2; exit 2 ;; esac
done
source scripts/ensure-apt.sh
source scripts/ensure-rust.sh
ensure_apt nginx nginx
ensure_apt curl curl
scripts/build-native.sh
BIN=$ROOT/target/release/tpauth
CARGO_TARGET_DIR=$ROOT/target/bench-serve cargo build --quiet --release --manifest-path bench/serve/loadgen/Cargo.toml
LOAD=$ROOT/target/bench-serve/release/tpauth-loadgen
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tpauth-bench-serve.XXXXXX")
chmod 755 "$WORK"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

first_line() {
  for _ in $(seq 200); do
    if [ -s "$1" ]; then head -n1 "$1"; return 0; fi
    sleep 0.05
  done
  return 1
}
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# The mock (Trustpilot) and the service, one identity.
"$BIN" mock --port 0 >"$WORK/mock.port" 2>/dev/null &
PIDS+=($!)
PORT=$(first_line "$WORK/mock.port")
TRUSTPILOT_API_KEY=mock-api-key TRUSTPILOT_API_SECRET=mock-api-secret TRUSTPILOT_USERNAME=user@example.com \
  TRUSTPILOT_PASSWORD=mock-password TRUSTPILOT_API_HOST="http://127.0.0.1:$PORT" TRUSTPILOT_ALLOW_INSECURE_HTTP=true \
  "$BIN" serve --listen "unix:$WORK/tpauth.sock" >"$WORK/serve.addr" 2>"$WORK/serve.err" &
SERVE=$!
PIDS+=("$SERVE")
first_line "$WORK/serve.addr" >/dev/null

# nginx: a 200-byte file on a Unix socket, two workers (the machine's cores; tpauth runs two
# runtime workers too), no access log, as a foreground process with its own config.
mkdir -p "$WORK/www" "$WORK/nginx-tmp"
head -c 200 /dev/zero | tr '\0' 'x' >"$WORK/www/token"
chmod -R a+rX "$WORK/www"
cat >"$WORK/nginx.conf" <<CONF
worker_processes 2;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx.err warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx-tmp/body;
  proxy_temp_path $WORK/nginx-tmp/proxy;
  fastcgi_temp_path $WORK/nginx-tmp/fastcgi;
  uwsgi_temp_path $WORK/nginx-tmp/uwsgi;
  scgi_temp_path $WORK/nginx-tmp/scgi;
  keepalive_requests 100000000;
  server {
    listen unix:$WORK/nginx.sock;
    location / { root $WORK/www; default_type text/plain; }
  }
}
CONF
"$NGINX" -c "$WORK/nginx.conf" -p "$WORK" 2>"$WORK/nginx.start" &
PIDS+=($!)
for _ in $(seq 200); do [ -S "$WORK/nginx.sock" ] && break; sleep 0.05; done
[ -S "$WORK/nginx.sock" ] || { cat "$WORK/nginx.start" "$WORK/nginx.err" 2>/dev/null; echo "nginx did not start"; exit 1; }
curl -sf --unix-socket "$WORK/nginx.sock" http://localhost/token | wc -c | grep -qx 200

TP=(--unix "$WORK/tpauth.sock" --path /v1/token --header 'X-Tpauth-Request: true' --connections 32)
NG=(--unix "$WORK/nginx.sock" --path /token --connections 32)
echo "warm-up" >&2
"$LOAD" "${TP[@]}" --requests 20000 >/dev/null
"$LOAD" "${NG[@]}" --requests 20000 >/dev/null
rss0=$(rss_kb "$SERVE")
echo "tpauth serve: $REQUESTS requests" >&2
tp1=$("$LOAD" "${TP[@]}" --requests "$REQUESTS")
rss1=$(rss_kb "$SERVE")
echo "nginx: $REQUESTS requests" >&2
ng=$("$LOAD" "${NG[@]}" --requests "$REQUESTS")
echo "tpauth serve: $REQUESTS more" >&2
tp2=$("$LOAD" "${TP[@]}" --requests "$REQUESTS")
rss2=$(rss_kb "$SERVE")
token_requests=$(curl -sS "http://127.0.0.1:$PORT/_mock/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token_requests"])')

python3 - "$ROOT/bench/results" "$REQUESTS" "$tp1" "$tp2" "$ng" "$rss0" "$rss1" "$rss2" "$token_requests" <<'PY'
import json, os, platform, sys, time
out, n, tp1, tp2, ng, rss0, rss1, rss2, treq = sys.argv[1:]
tp1, tp2, ng = json.loads(tp1), json.loads(tp2), json.loads(ng)
rss0, rss1, rss2 = int(rss0), int(rss1), int(rss2)
load = os.getloadavg()[0]
head = f"tpauth serve {os.popen('target/release/tpauth --version').read().split()[-1]} · {os.cpu_count()} cores, {platform.machine()}, load {load:.1f} · {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
def row(name, r, base):
    return f"| {name} | {r['requests']:,} | {r['rps']:,.0f} | {r['p50_us']:.1f} µs | {r['p99_us']:.1f} µs | {r['p50_us'] / base:.2f}× |"
lines = [
    "# tpauth serve beside nginx (bench/serve/run.sh)",
    "",
    head,
    "",
    "GET over a Unix socket, 32 keep-alive connections, each sending its next request when the answer arrives.",
    "tpauth serve answers `GET /v1/token` (the cached token as JSON, ~150 bytes); nginx a 200-byte static file.",
    "",
    "| server | requests | requests/s | p50 | p99 | p50 vs nginx |",
    "|---|---:|---:|---:|---:|---:|",
    row("nginx (static file)", ng, ng["p50_us"]),
    row("tpauth serve (1st million)", tp1, ng["p50_us"]),
    row("tpauth serve (2nd million)", tp2, ng["p50_us"]),
    "",
    f"tpauth serve's RSS: {rss0 / 1024:.1f} MiB after warm-up, {rss1 / 1024:.1f} MiB after {int(n):,} requests, {rss2 / 1024:.1f} MiB after {2 * int(n):,}.",
    f"Token requests the mock saw in the whole run: {treq}.",
    "",
]
text = "\n".join(lines)
print(text)
os.makedirs(out, exist_ok=True)
open(os.path.join(out, "serve.md"), "w").write(text)
json.dump({"header": head, "requests": int(n), "nginx": ng, "tpauth_1": tp1, "tpauth_2": tp2,
           "rss_kib": {"warm": rss0, "after_1": rss1, "after_2": rss2}, "token_requests": int(treq)},
          open(os.path.join(out, "serve.json"), "w"), indent=2)
PY
