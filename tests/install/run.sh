#!/usr/bin/env bash
# The C/C++ users' suite: install libtpauth into a temporary prefix (make -f cmake/install.mk, i.e.
# CMake's install), check the installed tree (SONAME, symlinks, headers, tpauth.pc, CMake package),
# build the examples from the installed tree through pkg-config and through CMake
# (find_package(tpauth CONFIG REQUIRED): tpauth::tpauth and tpauth::tpauth_static), run them against
# the mock, and run the C++ wrapper tests (tests/cpp) under ASan + UBSan against the mock.
#
#   tests/install/run.sh            (env: TPAUTH_LIB, TPAUTH_BIN, KEEP_TMP=1 to keep the temp dir)
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
cd "$REPO"
source scripts/ensure-apt.sh
ensure_apt cc gcc
ensure_apt c++ g++
ensure_apt make make
ensure_apt cmake cmake
ensure_apt pkg-config pkg-config
ensure_apt readelf binutils

scripts/build-native.sh

LIB=${TPAUTH_LIB:-$REPO/target/release/libtpauth.so}
BIN=${TPAUTH_BIN:-$REPO/target/release/tpauth}
NATIVE_DIR=$(dirname "$LIB")
source scripts/lib/version.sh
VERSION=$TPAUTH_VERSION MAJOR=$TPAUTH_VERSION_MAJOR MINOR=$TPAUTH_VERSION_MINOR SOVER=$TPAUTH_SOVERSION

TMP=$(mktemp -d /tmp/tpauth-install.XXXXXX)
PREFIX=$TMP/prefix
MOCK_PID=
cleanup() {
  if [ -n "$MOCK_PID" ]; then kill "$MOCK_PID" 2>/dev/null || true; wait "$MOCK_PID" 2>/dev/null || true; fi
  if [ -z "${KEEP_TMP:-}" ]; then rm -rf "$TMP"; else echo "kept $TMP"; fi
}
trap cleanup EXIT

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok      $1"; }
bad() { failed=$((failed + 1)); echo "FAILED  $1"; }
# check NAME CMD...: runs CMD (output to $TMP/last.log), counts it
check() {
  local name=$1; shift
  if "$@" >"$TMP/last.log" 2>&1; then ok "$name"; else bad "$name"; sed 's/^/        /' "$TMP/last.log" | tail -30; fi
}
has() { grep -qF -- "$2" "$1"; }

# --- 1. install --------------------------------------------------------------------------------
echo "--- install into $PREFIX"
if ! make -s -f "$REPO/cmake/install.mk" install PREFIX="$PREFIX" BUILD_DIR="$TMP/build" \
     CMAKE_ARGS="-DTPAUTH_BUILD_NATIVE=OFF -DTPAUTH_NATIVE_DIR=$NATIVE_DIR" >"$TMP/install.log" 2>&1; then
  cat "$TMP/install.log"; echo "install: 0 passed, 1 failed"; exit 1
fi
LIBDIR=$PREFIX/lib
[ -d "$LIBDIR" ] || LIBDIR=$(dirname "$(find "$PREFIX" -name "libtpauth.so.$VERSION" | head -1)")

installed_layout() {
  [ -f "$LIBDIR/libtpauth.so.$VERSION" ] && [ ! -L "$LIBDIR/libtpauth.so.$VERSION" ] &&
  [ "$(readlink "$LIBDIR/libtpauth.so.$SOVER")" = "libtpauth.so.$VERSION" ] &&
  [ "$(readlink "$LIBDIR/libtpauth.so")" = "libtpauth.so.$SOVER" ] &&
  [ -f "$LIBDIR/libtpauth.a" ] && [ -f "$PREFIX/include/tpauth.h" ] && [ -f "$PREFIX/include/tpauth_ffi.h" ] && [ -f "$PREFIX/include/tpauth.hpp" ] &&
  [ -f "$LIBDIR/pkgconfig/tpauth.pc" ] && [ -f "$LIBDIR/cmake/tpauth/tpauthConfig.cmake" ] &&
  [ -f "$LIBDIR/cmake/tpauth/tpauthConfigVersion.cmake" ]
}
check "installed layout: libtpauth.so.$VERSION, .so.$SOVER and .so symlinks, .a, headers, .pc, CMake files" installed_layout
soname() { readelf -d "$1" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p'; }
check "SONAME of libtpauth.so.$VERSION is libtpauth.so.$SOVER" test "$(soname "$LIBDIR/libtpauth.so.$VERSION")" = "libtpauth.so.$SOVER"
check "installed headers are the repository's" cmp "$PREFIX/include/tpauth.hpp" include/tpauth.hpp

staged() { # a packager's DESTDIR install: files under DESTDIR, paths inside them without it
  DESTDIR=$TMP/stage cmake --install "$TMP/build" --prefix /opt/tpauth >/dev/null &&
  grep -qx 'prefix=/opt/tpauth' "$TMP/stage/opt/tpauth/lib/pkgconfig/tpauth.pc" &&
  [ "$(soname "$TMP/stage/opt/tpauth/lib/libtpauth.so.$VERSION")" = "libtpauth.so.$SOVER" ] &&
  [ -L "$TMP/stage/opt/tpauth/lib/libtpauth.so" ] && [ ! -e /opt/tpauth ]
}
check "DESTDIR install: staged files, tpauth.pc with the real prefix, SONAME set" staged

export PKG_CONFIG_PATH=$LIBDIR/pkgconfig
check "pkg-config --modversion tpauth = $VERSION" test "$(pkg-config --modversion tpauth)" = "$VERSION"
# shellcheck disable=SC2046,SC2005 # echo $(...) collapses pkg-config's whitespace
# A prefix outside the loader's folders: Libs carries the rpath, so a program built with it runs.
pc_flags() { [ "$(echo $(pkg-config --libs tpauth))" = "-L$LIBDIR -Wl,-rpath,$LIBDIR -ltpauth" ] && [ "$(echo $(pkg-config --cflags tpauth))" = "-I$PREFIX/include" ]; }
check "pkg-config --libs/--cflags point into the prefix (with -Wl,-rpath,libdir: not a system folder)" pc_flags
pc_static() { local l; l=$(pkg-config --static --libs tpauth); for x in -ltpauth -lpthread -ldl -lm; do [[ " $l " == *" $x "* ]] || return 1; done; }
check "pkg-config --static adds Libs.private (-lpthread -ldl -lm ...)" pc_static

# --- 2. the mock -------------------------------------------------------------------------------
if [ ! -x "$BIN" ] && [ -z "${TPAUTH_BIN:-}" ] && [ -x "$NATIVE_DIR/tpauth-mock" ]; then
  BIN=$NATIVE_DIR/tpauth-mock  # the mock crate's own binary, when the CLI is not built
fi
if [ "$(basename "$BIN")" = "tpauth-mock" ]; then MOCK_CMD=("$BIN" --port 0); else MOCK_CMD=("$BIN" mock --port 0); fi
"${MOCK_CMD[@]}" >"$TMP/mock.out" 2>"$TMP/mock.err" &
MOCK_PID=$!
for _ in $(seq 100); do [ -s "$TMP/mock.out" ] && break; sleep 0.1; done
PORT=$(head -1 "$TMP/mock.out")
[[ "$PORT" =~ ^[0-9]+$ ]] || { echo "the mock did not start"; cat "$TMP/mock.err"; exit 1; }
export TPAUTH_MOCK_URL=http://127.0.0.1:$PORT
echo "--- mock on $TPAUTH_MOCK_URL"

# mock control over bash's /dev/tcp: mock METHOD PATH -> the body
mock() {
  local body
  exec 3<>"/dev/tcp/127.0.0.1/$PORT"
  printf '%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n' "$1" "$2" >&3
  body=$(cat <&3)
  exec 3<&-
  printf '%s\n' "${body#*$'\r\n\r\n'}"
}
stat_of() { mock GET /_mock/stats | grep -o "\"$1\":[0-9]*" | head -1 | cut -d: -f2; }

# run_example NAME BINARY EXPECT_OUTPUT STAT=N... : reset the mock, run, check output and counters
run_example() {
  local name=$1 exe=$2 expect=$3; shift 3
  mock POST /_mock/reset >/dev/null
  if ! "$exe" "$TPAUTH_MOCK_URL" >"$TMP/ex.out" 2>&1; then cat "$TMP/ex.out"; return 1; fi
  has "$TMP/ex.out" "$expect" || { cat "$TMP/ex.out"; echo "missing: $expect"; return 1; }
  # never a secret in the output
  ! grep -qE 'mock-api-secret|mock-password' "$TMP/ex.out" || { echo "secret printed"; return 1; }
  local kv
  for kv in "$@"; do
    local got; got=$(stat_of "${kv%%=*}")
    [ "$got" = "${kv#*=}" ] || { cat "$TMP/ex.out"; echo "stat ${kv%%=*}: got $got, want ${kv#*=}"; return 1; }
  done
}

needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\].*/\1/p'; }
links_shared() { needed "$1" | grep -qx "libtpauth.so.$SOVER"; }
links_static() { ! needed "$1" | grep -q libtpauth; }
linkage() { links_shared "$1" && links_static "$2"; }

run_all_examples() { # DIR LABEL
  local dir=$1 label=$2 v
  for v in "" _static; do
    check "$label$v: password_grant (1 grant, 1 API call)" \
      run_example password_grant "$dir/password_grant$v" "HTTP 200" token_requests=1 password=1 api_requests=1
    check "$label$v: authorization_code (loopback redirect, code exchanged)" \
      run_example authorization_code "$dir/authorization_code$v" "GET business unit: HTTP 200" authorization_code=1 token_requests=1
    check "$label$v: managed_token_threads (8 threads x 5 calls, one token request)" \
      run_example managed_token_threads "$dir/managed_token_threads$v" "40 ok, 0 failed; distinct access tokens used: 1" token_requests=1 api_requests=40
  done
  for e in password_grant authorization_code managed_token_threads; do
    check "$label: $e needs libtpauth.so.$SOVER (the SONAME), ${e}_static no libtpauth at all" \
      linkage "$dir/$e" "$dir/${e}_static"
  done
}

# --- 3. examples through pkg-config ------------------------------------------------------------
echo "--- examples through pkg-config"
mkdir -p "$TMP/pc"
if make -s -f "$REPO/examples/Makefile" -C "$TMP/pc" all static CFLAGS="-O1 -Wall -Wextra -Werror" \
     CXXFLAGS="-O1 -Wall -Wextra -Werror" >"$TMP/pc.log" 2>&1; then
  ok "pkg-config: examples build (shared and static)"
  LD_LIBRARY_PATH=$LIBDIR run_all_examples "$TMP/pc" pkg-config
else
  bad "pkg-config: examples build (shared and static)"; cat "$TMP/pc.log"
fi

# --- 4. examples through CMake's find_package --------------------------------------------------
echo "--- examples through CMake find_package(tpauth CONFIG REQUIRED)"
if cmake -S examples -B "$TMP/cm" -DCMAKE_PREFIX_PATH="$PREFIX" -DCMAKE_BUILD_TYPE=Release \
     -DCMAKE_C_FLAGS="-Wall -Wextra -Werror" -DCMAKE_CXX_FLAGS="-Wall -Wextra -Werror" >"$TMP/cm.log" 2>&1 &&
   cmake --build "$TMP/cm" -j 2 >>"$TMP/cm.log" 2>&1; then
  ok "cmake: examples build against tpauth::tpauth and tpauth::tpauth_static"
  # no LD_LIBRARY_PATH: CMake's build RPATH finds the imported shared library
  run_all_examples "$TMP/cm" cmake
else
  bad "cmake: examples build against tpauth::tpauth and tpauth::tpauth_static"; cat "$TMP/cm.log"
fi
cmake_static_deps() {
  grep -q 'INTERFACE_LINK_LIBRARIES "[^"]*pthread[^"]*"' "$LIBDIR/cmake/tpauth/tpauthConfig.cmake" &&
  grep -q 'IMPORTED_SONAME "libtpauth.so.'"$SOVER"'"' "$LIBDIR/cmake/tpauth/tpauthConfig.cmake"
}
check "cmake: tpauth::tpauth_static lists the native deps, tpauth::tpauth the SONAME" cmake_static_deps
version_refused() {
  mkdir -p "$TMP/v2" && printf 'cmake_minimum_required(VERSION 3.16)\nproject(v LANGUAGES NONE)\nfind_package(tpauth %s CONFIG REQUIRED)\n' \
    "$((MAJOR + 1)).0" >"$TMP/v2/CMakeLists.txt"
  ! cmake -S "$TMP/v2" -B "$TMP/v2/b" -DCMAKE_PREFIX_PATH="$PREFIX" >/dev/null 2>&1
}
check "cmake: find_package(tpauth $((MAJOR + 1)).0) is refused by the version file" version_refused
# Below 1.0 a minor release may break the ABI: SameMinorVersion, so another 0.x is refused too.
minor_refused() {
  local other=$((MINOR > 0 ? MINOR - 1 : MINOR + 1))
  mkdir -p "$TMP/v0" && printf 'cmake_minimum_required(VERSION 3.16)\nproject(v LANGUAGES NONE)\nfind_package(tpauth 0.%s CONFIG REQUIRED)\n' \
    "$other" >"$TMP/v0/CMakeLists.txt"
  ! cmake -S "$TMP/v0" -B "$TMP/v0/b" -DCMAKE_PREFIX_PATH="$PREFIX" >/dev/null 2>&1
}
if [ "$MAJOR" = 0 ]; then check "cmake: find_package(tpauth 0.x) of another minor is refused (SameMinorVersion below 1.0)" minor_refused; fi

# --- 5. the C++ wrapper under ASan + UBSan -------------------------------------------------------
echo "--- C++ wrapper tests (ASan + UBSan)"
if cmake -S tests/cpp -B "$TMP/cpp" -DCMAKE_PREFIX_PATH="$PREFIX" >"$TMP/cpp.log" 2>&1 &&
   cmake --build "$TMP/cpp" >>"$TMP/cpp.log" 2>&1; then
  ok "cpp: test_wrapper builds with -fsanitize=address,undefined -Werror"
  if ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
       "$TMP/cpp/test_wrapper" >"$TMP/cpp.out" 2>&1; then
    ok "cpp: wrapper tests pass, no leak, no UB ($(tail -1 "$TMP/cpp.out"))"
  else
    bad "cpp: wrapper tests under ASan + UBSan"; grep -v '^ok ' "$TMP/cpp.out" | head -60
  fi
else
  bad "cpp: test_wrapper builds"; cat "$TMP/cpp.log"
fi

echo "install: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
