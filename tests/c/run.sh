#!/usr/bin/env bash
# The C test suite: real C programs compiled against libtpauth.so and, separately, libtpauth.a, run
# against the mock plain, under valgrind and under AddressSanitizer + UBSan. Installs what is missing
# (Debian), builds through scripts/build-native.sh, prints "N passed, N failed", exits non-zero on any
# failure. Options: TPAUTH_LIB (default target/release/libtpauth.so), TPAUTH_BIN (default
# target/release/tpauth), TPAUTH_C_TESTS="test_api test_lifecycle test_security" (which programs),
# TPAUTH_C_MODES="so static valgrind asan" (which runs).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
source scripts/ensure-apt.sh
ensure_apt gcc gcc libc6-dev
ensure_apt valgrind valgrind
scripts/build-native.sh

LIB=${TPAUTH_LIB:-$ROOT/target/release/libtpauth.so}
BIN=${TPAUTH_BIN:-$ROOT/target/release/tpauth}
STATIC=${LIB%.so}.a
TESTS=${TPAUTH_C_TESTS:-test_api test_lifecycle test_security}
MODES=${TPAUTH_C_MODES:-so static valgrind asan}
OUT=$ROOT/target/c-tests
LOGS=$OUT/logs
mkdir -p "$LOGS"
WORK=$(mktemp -d)
MOCK_PID=

cleanup() {
  if [ -n "$MOCK_PID" ]; then kill "$MOCK_PID" 2>/dev/null || true; wait "$MOCK_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# What the static library needs besides itself (`cargo rustc -- --print native-static-libs` on
# linux-gnu: -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc).
STATIC_LIBS="-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"
CFLAGS="-std=c11 -g -O1 -Wall -Wextra -Werror -Wno-unused-function -I$ROOT/include -I$ROOT/tests/c"
LIBDIR=$(dirname "$LIB")

for t in $TESTS; do
  gcc $CFLAGS -o "$OUT/$t.so" "tests/c/$t.c" "$LIB" -Wl,-rpath,"$LIBDIR" -lpthread
  gcc $CFLAGS -o "$OUT/$t.static" "tests/c/$t.c" "$STATIC" $STATIC_LIBS
  gcc $CFLAGS -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
    -o "$OUT/$t.asan" "tests/c/$t.c" "$LIB" -Wl,-rpath,"$LIBDIR" -lpthread
done
# The static build really is static: no libtpauth.so dependency.
for t in $TESTS; do
  if ldd "$OUT/$t.static" | grep -q libtpauth; then echo "$t.static links libtpauth.so" >&2; exit 1; fi
done

start_mock() {
  : >"$WORK/mock.port"
  "$BIN" mock --port 0 >"$WORK/mock.port" 2>>"$LOGS/mock.log" &
  MOCK_PID=$!
  for _ in $(seq 100); do [ -s "$WORK/mock.port" ] && break; sleep 0.1; done
  PORT=$(head -n1 "$WORK/mock.port")
  [ -n "$PORT" ] || { echo "the mock did not start" >&2; cat "$LOGS/mock.log" >&2; exit 1; }
  export TPAUTH_MOCK_PORT=$PORT
}
# The machine is shared: if something else stopped our mock, say so and start a new one.
ensure_mock() {
  if ! kill -0 "$MOCK_PID" 2>/dev/null; then
    echo "(the mock $MOCK_PID is gone; starting another)"
    start_mock
  fi
}
: >"$LOGS/mock.log"
start_mock

PASSED=0; FAILED=0; BROKEN=()
run() { # name, command...
  local name=$1; shift
  local start=$SECONDS
  ensure_mock
  set +e
  "$@" >"$LOGS/$name.out" 2>"$LOGS/$name.err"
  local rc=$?
  set -e
  local line
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$LOGS/$name.out" | tail -n1 || true)
  local p=0 f=0
  if [ -n "$line" ]; then p=${line%% passed*}; f=${line#*passed, }; f=${f%% failed*}; fi
  PASSED=$((PASSED + p)); FAILED=$((FAILED + f))
  if [ $rc -ne 0 ] || [ -z "$line" ]; then
    BROKEN+=("$name")
    echo "== $name: FAILED (exit $rc, ${line:-no summary}, $((SECONDS - start)) s)"
    grep -E '^FAIL|ERROR SUMMARY|definitely lost|indirectly lost|runtime error|AddressSanitizer|LeakSanitizer|panicked' \
      "$LOGS/$name.err" | head -n 60 || true
    tail -n 30 "$LOGS/$name.err"
    echo "   (full output: $LOGS/$name.err)"
  else
    echo "== $name: ${line} ($((SECONDS - start)) s)"
  fi
}

VALGRIND=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=1
  --show-leak-kinds=definite,indirect --child-silent-after-fork=yes)
for t in $TESTS; do
  for m in $MODES; do
    case $m in
      so) run "$t.so" "$OUT/$t.so" ;;
      static) run "$t.static" "$OUT/$t.static" ;;
      valgrind) TPAUTH_TEST_SLOW=1 run "$t.valgrind" "${VALGRIND[@]}" "$OUT/$t.so" ;;
      asan) ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1 \
              UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 run "$t.asan" "$OUT/$t.asan" ;;
      *) echo "unknown mode $m" >&2; exit 2 ;;
    esac
  done
done

# The leak canary: a program that leaks a token on purpose must fail under valgrind and under ASan
# exactly as they are run above (else a clean run would prove nothing).
gcc $CFLAGS -o "$OUT/leak_canary.so" tests/c/leak_canary.c "$LIB" -Wl,-rpath,"$LIBDIR" -lpthread
gcc $CFLAGS -fsanitize=address,undefined -fno-omit-frame-pointer -o "$OUT/leak_canary.asan" tests/c/leak_canary.c \
  "$LIB" -Wl,-rpath,"$LIBDIR" -lpthread
for m in $MODES; do
  case $m in
    valgrind) cmd=("${VALGRIND[@]}" "$OUT/leak_canary.so") ;;
    asan) cmd=(env ASAN_OPTIONS=detect_leaks=1 "$OUT/leak_canary.asan") ;;
    *) continue ;;
  esac
  if "${cmd[@]}" >"$LOGS/leak_canary.$m.out" 2>&1; then
    echo "== leak canary under $m: NOT detected (the $m runs cannot be trusted)"
    FAILED=$((FAILED + 1)); BROKEN+=("leak_canary.$m")
  else
    echo "== leak canary under $m: detected, as it must be"
    PASSED=$((PASSED + 1))
  fi
done

echo "C suite: $PASSED passed, $FAILED failed"
if [ ${#BROKEN[@]} -ne 0 ] || [ "$FAILED" -ne 0 ]; then
  echo "failed runs: ${BROKEN[*]}"
  exit 1
fi
