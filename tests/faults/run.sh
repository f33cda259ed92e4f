#!/usr/bin/env bash
# The fault matrix through the C ABI (tests/faults/fault_matrix.c): built against libtpauth.so, run
# once plain (statuses, token requests and the timeout bound asserted) and once under valgrind
# (nothing may leak: --errors-for-leak-kinds=definite,indirect --error-exitcode=1), plus a canary
# that leaks one token on purpose and must fail under valgrind. The Rust side of the matrix is
# tests/fault_matrix.rs (cargo test). Prints "N passed, N failed"; exits non-zero on any failure.
# Env: TPAUTH_LIB, TPAUTH_BIN, FAULTS_ROUNDS (plain rounds, default 2).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
source scripts/ensure-apt.sh
ensure_apt gcc gcc libc6-dev
ensure_apt valgrind valgrind
scripts/build-native.sh
LIB=${TPAUTH_LIB:-$ROOT/target/release/libtpauth.so}
BIN=${TPAUTH_BIN:-$ROOT/target/release/tpauth}
OUT=$ROOT/target/faults
mkdir -p "$OUT"
gcc -std=c11 -g -O1 -Wall -Wextra -Werror -I"$ROOT/include" -o "$OUT/fault_matrix" tests/faults/fault_matrix.c "$LIB" \
  -Wl,-rpath,"$(dirname "$LIB")"

PORTFILE=$(mktemp)
"$BIN" mock --port 0 >"$PORTFILE" 2>/dev/null &
MOCK=$!
trap 'kill $MOCK 2>/dev/null || true; rm -f "$PORTFILE"' EXIT
for _ in $(seq 100); do [ -s "$PORTFILE" ] && break; sleep 0.1; done
PORT=$(head -n1 "$PORTFILE")
[ -n "$PORT" ] || { echo "the mock did not start" >&2; exit 1; }

passed=0; failed=0
step() { # name, command...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); echo "ok   $name"; else failed=$((failed + 1)); echo "FAIL $name"; fi
}
# shellcheck disable=SC2054 # the commas belong to valgrind's option values
VALGRIND=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=1)
step "fault matrix, plain" "$OUT/fault_matrix" "$PORT" "${FAULTS_ROUNDS:-2}"
step "fault matrix, valgrind" env FAULTS_NO_TIMING=1 "${VALGRIND[@]}" "$OUT/fault_matrix" "$PORT" 1
canary() { ! FAULTS_LEAK=1 "${VALGRIND[@]}" "$OUT/fault_matrix" "$PORT" >/dev/null 2>&1; }
step "leak canary fails under valgrind" canary
echo "faults: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
