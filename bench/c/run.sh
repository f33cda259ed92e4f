#!/usr/bin/env bash
# Benchmark: cached tp_get_token + tp_token_free from C on 1, 2 and 8 threads sharing one client,
# and on 2 and 8 threads with a client each (median ns per call; the difference is the shared
# token's reference count).
# Prints figures; not a test.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
source scripts/ensure-apt.sh
ensure_apt gcc gcc libc6-dev
scripts/build-native.sh
LIB=${TPAUTH_LIB:-$ROOT/target/release/libtpauth.so}
BIN=${TPAUTH_BIN:-$ROOT/target/release/tpauth}
OUT=$ROOT/target/c-bench
mkdir -p "$OUT"
gcc -std=c11 -O2 -Wall -Wextra -Werror -I"$ROOT/include" -o "$OUT/cached_token" bench/c/cached_token.c "$LIB" \
  -Wl,-rpath,"$(dirname "$LIB")" -lpthread
gcc -std=c11 -O2 -Wall -Wextra -Werror -I"$ROOT/include" -o "$OUT/cached_token.static" bench/c/cached_token.c \
  "${LIB%.so}.a" -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
PORTFILE=$(mktemp)
"$BIN" mock --port 0 >"$PORTFILE" 2>/dev/null &
MOCK=$!
trap 'kill $MOCK 2>/dev/null || true; rm -f "$PORTFILE"' EXIT
for _ in $(seq 100); do [ -s "$PORTFILE" ] && break; sleep 0.1; done
TPAUTH_MOCK_PORT=$(head -n1 "$PORTFILE")
export TPAUTH_MOCK_PORT
echo "libtpauth.so:"; "$OUT/cached_token"
echo "libtpauth.a:"; "$OUT/cached_token.static"
