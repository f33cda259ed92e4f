#!/usr/bin/env bash
# `tpauth.exe serve` under wine, asked from Linux with curl: the Windows build of the token service
# on loopback TCP against the mock running natively. Proves the shared code paths on Windows (the
# bearer and header guards, the token JSON, single flight, the proxy, metrics, `tpauth.exe token
# --listen tcp:`), the Windows-only refusals (unix:, no --listen, --allow-uid: exit 2), and a
# graceful stop: wine turns SIGINT into the console's Ctrl-C event (CTRL_C_EVENT), so the
# Windows handler (tokio::signal::windows::ctrl_c) is what stops the service here.
# Usage: tests/wine/serve.sh TPAUTH_EXE NATIVE_TPAUTH WORK_DIR (WINEPREFIX set by the caller;
# any stand-in DLL the exe needs must already be beside it). Prints "N passed, N failed".
set -uo pipefail
EXE=$1 NATIVE=$2 WORK=$3
mkdir -p "$WORK"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

passed=0; failed=0
check() { # name, command...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); echo "ok   $name"; else failed=$((failed + 1)); echo "FAIL $name"; fi
}
first_line() { # file: wait (at most 60 s) for its first line, print it without a CR
  for _ in $(seq 1200); do
    if [ -s "$1" ]; then head -n1 "$1" | tr -d '\r'; return 0; fi
    sleep 0.05
  done
  return 1
}
# A Unix path as the Windows program sees it (wine maps / to Z:).
winpath() { local p; p=$(realpath "$1"); echo "Z:${p//\//\\}"; }
json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

"$NATIVE" mock --port 0 >"$WORK/mock.port" 2>"$WORK/mock.err" &
PIDS+=($!)
MOCK_PORT=$(first_line "$WORK/mock.port") || { echo "the mock did not start"; cat "$WORK/mock.err"; echo "0 passed, 1 failed"; exit 1; }
MOCK=http://127.0.0.1:$MOCK_PORT
BEARER="bearer-$RANDOM$RANDOM$RANDOM"
printf '%s\n' "$BEARER" >"$WORK/bearer"

env TRUSTPILOT_API_KEY=mock-api-key TRUSTPILOT_API_SECRET=mock-api-secret TRUSTPILOT_USERNAME=user@example.com \
  TRUSTPILOT_PASSWORD=mock-password TRUSTPILOT_API_HOST="$MOCK" TRUSTPILOT_ALLOW_INSECURE_HTTP=true \
  wine "$EXE" serve --listen tcp:127.0.0.1:0 --tcp-secret-file "$(winpath "$WORK/bearer")" >"$WORK/addr" 2>"$WORK/serve.err" &
SERVE_PID=$!
PIDS+=("$SERVE_PID")
ADDR=$(first_line "$WORK/addr") || { echo "tpauth.exe serve did not start:"; cat "$WORK/serve.err"; echo "0 passed, 1 failed"; exit 1; }
echo "tpauth.exe serve listens on $ADDR"
BASE=http://${ADDR#tcp:}

# curl ARGS...: prints "STATUS BODY" (the body on one line).
ask() { curl -sS --max-time 60 -o "$WORK/body" -w '%{http_code}' "$@" && printf ' ' && tr -d '\n' <"$WORK/body"; }
ok_headers=(-H 'X-Tpauth-Request: true' -H "Authorization: Bearer $BEARER")

tokens_and_one_request() {
  local out tokens=()
  for _ in 1 2 3 4 5; do
    out=$(ask "${ok_headers[@]}" "$BASE/v1/token") || return 1
    [ "${out%% *}" = 200 ] || { echo "GET /v1/token: $out"; return 1; }
    python3 - "${out#* }" <<'EOF' || return 1
import json, sys
t = json.loads(sys.argv[1])
assert t["token_type"] == "Bearer" and t["identity"] == "default" and t["access_token"], t
assert t["expires_in"] > 0 and t["expires_at"].endswith("Z") and "refresh_token" not in t, t
EOF
    tokens+=("$(echo "${out#* }" | json_field access_token)")
  done
  TOKEN=${tokens[0]}
  [ "$(printf '%s\n' "${tokens[@]}" | sort -u | wc -l)" = 1 ] || { echo "different tokens: ${tokens[*]}"; return 1; }
  out=$(ask "${ok_headers[@]}" "$BASE/v1/token?format=raw") || return 1
  [ "$out" = "200 $TOKEN" ] || { echo "?format=raw: $out"; return 1; }
  local n; n=$(curl -sS "$MOCK/_mock/stats" | json_field token_requests)
  [ "$n" = 1 ] || { echo "the mock saw $n token requests after 6 calls, not 1"; return 1; }
}
status_is() { # expected, curl args...
  local want=$1 out; shift
  out=$(ask "$@") || return 1
  [ "${out%% *}" = "$want" ] && [[ "$out" == *'"error":"forbidden"'* ]] || { echo "expected $want forbidden, got: $out"; return 1; }
}
proxy_adds_the_token() {
  local out; out=$(ask "${ok_headers[@]}" "$BASE/v1/proxy/v1/private/x?a=1") || return 1
  [ "${out%% *}" = 200 ] && [ "$(echo "${out#* }" | json_field path)" = /v1/private/x ] || { echo "proxy: $out"; return 1; }
  curl -sS "$MOCK/_mock/last_api_request" | python3 -c '
import json, sys
seen = {k.lower(): v for k, v in json.load(sys.stdin)["headers"]}
assert seen["authorization"] == "Bearer " + sys.argv[1], seen
assert seen["apikey"] == "mock-api-key" and "x-tpauth-request" not in seen, seen' "$TOKEN" || return 1
  out=$(ask "${ok_headers[@]}" "$BASE/v1/proxy/%2e%2e/x") || return 1
  [ "${out%% *}" = 400 ] || { echo "an escaping proxy path: $out"; return 1; }
}
metrics_count() {
  local m; m=$(curl -sS "${ok_headers[@]}" "$BASE/metrics") || return 1
  grep -qx 'tpauth_token_requests_total{identity="default",grant="password"} 1' <<<"$m" &&
    grep -qx 'tpauth_tokens_served_total{identity="default"} 6' <<<"$m" || { echo "$m" | grep '^tpauth_' ; return 1; }
}
# tpauth.exe token asks the service over TCP (no API secret in its environment: the library alone
# could not get a token) and prints the service's token; the mock sees no new token request.
token_command() {
  local out
  out=$(env -u TRUSTPILOT_API_SECRET TRUSTPILOT_TOKEN_SOURCE_SECRET_FILE="$(winpath "$WORK/bearer")" \
    wine "$EXE" token --raw --listen "$ADDR" 2>"$WORK/token.err" | tr -d '\r') || { cat "$WORK/token.err"; return 1; }
  [ "$out" = "$TOKEN" ] || { echo "tpauth.exe token printed '$out'"; cat "$WORK/token.err"; return 1; }
  [ "$(curl -sS "$MOCK/_mock/stats" | json_field token_requests)" = 1 ]
}
usage_error() { # stderr substring, args...
  local want=$1 rc=0; shift
  wine "$EXE" serve "$@" >/dev/null 2>"$WORK/usage.err" || rc=$?
  [ "$rc" = 2 ] && grep -q "$want" "$WORK/usage.err" || { echo "tpauth.exe serve $*: exit $rc"; cat "$WORK/usage.err"; return 1; }
}
graceful_stop() {
  kill -INT "$SERVE_PID"
  local rc=0
  wait "$SERVE_PID" || rc=$?
  [ "$rc" = 0 ] && grep -q 'stopping: finishing the requests in flight' "$WORK/serve.err" ||
    { echo "after Ctrl-C: exit $rc"; cat "$WORK/serve.err"; return 1; }
}

check "GET /v1/token x5 + ?format=raw: 200, the token JSON, one token request" tokens_and_one_request
check "no X-Tpauth-Request: 403" status_is 403 -H "Authorization: Bearer $BEARER" "$BASE/v1/token"
check "a wrong bearer: 401" status_is 401 -H 'X-Tpauth-Request: true' -H 'Authorization: Bearer wrong' "$BASE/v1/token"
check "no bearer: 401" status_is 401 -H 'X-Tpauth-Request: true' "$BASE/v1/token"
check "an Origin header: 403" status_is 403 "${ok_headers[@]}" -H 'Origin: http://evil.example' "$BASE/v1/token"
check "the proxy adds the token and apikey; an escaping path is 400" proxy_adds_the_token
check "metrics: 1 token request, 6 tokens served" metrics_count
check "tpauth.exe token --listen tcp: prints the service's token" token_command
check "serve --listen unix:/x: exit 2" usage_error "Unix sockets are not supported on Windows" --listen unix:/x
check "serve without --listen: exit 2" usage_error "no --listen given" 
check "serve --allow-uid: exit 2" usage_error "allow-uid" --allow-uid 1000 --listen tcp:127.0.0.1:0
check "Ctrl-C (SIGINT, which wine delivers as CTRL_C_EVENT): exit 0 after stopping" graceful_stop
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
