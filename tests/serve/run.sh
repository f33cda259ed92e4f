#!/usr/bin/env bash
# The token service's suite (`scripts/test-all.sh serve`): the Rust integration tests of
# `tpauth serve` (tests/serve.rs: endpoints, guards, proxy, faults, lifecycle, systemd sockets,
# `tpauth token`, the core's token_source), then clients in other languages: 50 processes, curl
# and Python (the standard library alone), ask a fresh service at once over its Unix socket and
# over loopback TCP, and the mock must see exactly one token request each time.
# Prints "N passed, N failed"; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
source scripts/ensure-apt.sh
source scripts/ensure-rust.sh
ensure_apt curl curl
ensure_apt python3 python3
ensure_apt flock util-linux
scripts/build-native.sh
BIN=${TPAUTH_BIN:-$ROOT/target/release/tpauth}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tpauth-serve.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

passed=0; failed=0
step() { # name, command...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); echo "ok   $name"; else failed=$((failed + 1)); echo "FAIL $name"; fi
}

# Wait (at most 60 s: a loaded machine starts processes slowly) until FILE has a first line;
# print it.
first_line() {
  local file=$1
  for _ in $(seq 1200); do
    if [ -s "$file" ]; then head -n1 "$file"; return 0; fi
    sleep 0.05
  done
  return 1
}

# 50 processes (25 curl, 25 Python) ask a fresh service for the token at once; every one gets the
# same token and the mock sees one token request.
burst() {
  local transport=$1 dir=$WORK/$1
  mkdir -p "$dir"
  "$BIN" mock --port 0 >"$dir/mock.port" 2>/dev/null &
  PIDS+=($!)
  local port; port=$(first_line "$dir/mock.port") || { echo "the mock did not start"; return 1; }
  local listen=(--listen "unix:$dir/tp.sock")
  if [ "$transport" = tcp ]; then
    echo "bearer-$RANDOM-$RANDOM" >"$dir/bearer"
    listen=(--listen tcp:127.0.0.1:0 --tcp-secret-file "$dir/bearer")
  fi
  env -u TRUSTPILOT_API_SECRET_FILE TRUSTPILOT_API_KEY=mock-api-key TRUSTPILOT_API_SECRET=mock-api-secret \
    TRUSTPILOT_USERNAME=user@example.com TRUSTPILOT_PASSWORD=mock-password \
    TRUSTPILOT_API_HOST="http://127.0.0.1:$port" TRUSTPILOT_ALLOW_INSECURE_HTTP=true \
    "$BIN" serve "${listen[@]}" >"$dir/addr" 2>"$dir/serve.err" &
  PIDS+=($!)
  local serve_pid=$!
  local addr; addr=$(first_line "$dir/addr") || { echo "tpauth serve did not start:"; cat "$dir/serve.err"; return 1; }

  # The processes wait on a lock the script holds, then all go.
  exec 9>"$dir/lock"
  flock 9
  local i kids=()
  for i in $(seq 25); do
    if [ "$transport" = unix ]; then
      (touch "$dir/ready.c$i"; flock -s "$dir/lock" curl -sS --max-time 60 --fail-with-body --unix-socket "${addr#unix:}" \
        -H 'X-Tpauth-Request: true' 'http://localhost/v1/token?format=raw' >"$dir/out.c$i") &
    else
      (touch "$dir/ready.c$i"; flock -s "$dir/lock" curl -sS --max-time 60 --fail-with-body -H 'X-Tpauth-Request: true' \
        -H "Authorization: Bearer $(cat "$dir/bearer")" "http://${addr#tcp:}/v1/token?format=raw" >"$dir/out.c$i") &
    fi
    kids+=($!)
    (touch "$dir/ready.p$i"; flock -s "$dir/lock" python3 tests/serve/client.py "$addr" "$dir/bearer" >"$dir/out.p$i") &
    kids+=($!)
  done
  for _ in $(seq 400); do
    [ "$(find "$dir" -name 'ready.*' | wc -l)" -eq 50 ] && break
    sleep 0.05
  done
  flock -u 9
  exec 9>&-
  local bad=0
  for k in "${kids[@]}"; do wait "$k" || bad=$((bad + 1)); done
  [ "$bad" -eq 0 ] || { echo "$bad of 50 clients failed"; cat "$dir/serve.err"; return 1; }
  local tokens; tokens=$(for f in "$dir"/out.*; do tr -d '\n' <"$f"; echo; done | sort -u)
  [ "$(echo "$tokens" | wc -l)" -eq 1 ] && [ -n "$tokens" ] || { echo "the clients got different tokens: $tokens"; return 1; }
  local requests
  requests=$(curl -sS "http://127.0.0.1:$port/_mock/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token_requests"])')
  [ "$requests" = 1 ] || { echo "the mock saw $requests token requests, not 1"; return 1; }
  kill -TERM "$serve_pid"
  wait "$serve_pid" || { echo "tpauth serve did not exit 0 on SIGTERM"; return 1; }
}

step "rust: cargo test --test serve" cargo test --quiet --features cli --test serve
step "50 processes (curl, python) over the Unix socket: 1 token request" burst unix
step "50 processes (curl, python) over loopback TCP: 1 token request" burst tcp
echo "serve: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
