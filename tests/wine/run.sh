#!/usr/bin/env bash
# The wine suite: tpauth as a Windows library, proven under wine against the mock running natively.
#   1. builds tpauth.dll, its import library and libtpauth.a for x86_64-pc-windows-gnu (mingw-w64);
#   2. builds the C suite's flow tests (tests/c/test_api.c: every grant, refresh, revoke, API call,
#      errors, token JSON; tests/c/test_windows.c: the managed token with 16 threads, two Windows
#      processes sharing one file cache, the cache's refusal of a foreign file, token_cache=default)
#      as Windows programs, against the DLL and against the static library, and runs them under wine;
#   3. builds a Go program (tests/wine/go) with GOOS=windows CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc
#      against the Go module's Windows static library (bindings/go/lib/windows-amd64/libtpauth.a),
#      and runs it under wine: a password grant and an API call;
#   4. builds tpauth.exe (the command as scripts/dist/windows.sh builds it, so the release reuses
#      this build) and runs `tpauth.exe serve --listen tcp:127.0.0.1:0` under wine, asked by curl
#      from Linux (tests/wine/serve.sh: tokens, guards, proxy, metrics, `tpauth.exe token`, the
#      Windows-only usage errors, a graceful stop on Ctrl-C);
# (macOS is built for real, linked and checked by the dist suite: scripts/dist/native.sh, tests/dist/macos.sh.)
# Installs what is missing (Debian: mingw-w64, wine; rustup targets). The wine prefix is
# target/wine-prefix. Prints "wine suite: N passed, N failed" and exits non-zero on any failure.
# TPAUTH_WINE_PARTS="c go serve lint" picks parts (lint: clippy -D warnings for the Windows target).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
source scripts/ensure-rust.sh
source scripts/ensure-apt.sh
ensure_apt x86_64-w64-mingw32-gcc mingw-w64
ensure_apt wine wine wine64
ensure_apt python3 python3
ensure_apt curl curl
export PATH=$PATH:/usr/local/go/bin
PARTS=${TPAUTH_WINE_PARTS:-c go serve lint}
WT=x86_64-pc-windows-gnu
OUT=$ROOT/target/wine-tests
LOGS=$OUT/logs
WINLIB=$ROOT/target/$WT/release
mkdir -p "$LOGS"
export WINEPREFIX=$ROOT/target/wine-prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
rustup target list --installed | grep -qx "$WT" || rustup target add "$WT"

PASSED=0; FAILED=0; BROKEN=()
# name, command...: runs it, adds its "N passed, N failed" line to the totals.
run() {
  local name=$1; shift
  local start=$SECONDS rc line p=0 f=0
  set +e
  "$@" >"$LOGS/$name.out" 2>"$LOGS/$name.err"
  rc=$?
  set -e
  line=$(tr -d '\r' <"$LOGS/$name.out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n1 || true)
  if [ -n "$line" ]; then p=${line%% passed*}; f=${line#*passed, }; f=${f%% failed*}; fi
  PASSED=$((PASSED + p)); FAILED=$((FAILED + f))
  if [ $rc -ne 0 ] || [ -z "$line" ]; then
    BROKEN+=("$name"); [ "$f" -gt 0 ] || FAILED=$((FAILED + 1))
    echo "== $name: FAILED (exit $rc, ${line:-no summary}, $((SECONDS - start)) s)"
    grep -E '^FAIL|panicked|error' "$LOGS/$name.err" | head -n 40 || true
    tail -n 20 "$LOGS/$name.err"
  else
    echo "== $name: $line ($((SECONDS - start)) s)"
  fi
}
# A check that is one command: one pass or one failure.
step() {
  local name=$1; shift
  local start=$SECONDS
  if "$@" >"$LOGS/$name.log" 2>&1; then
    PASSED=$((PASSED + 1)); echo "== $name: ok ($((SECONDS - start)) s)"
  else
    FAILED=$((FAILED + 1)); BROKEN+=("$name"); echo "== $name: FAILED ($((SECONDS - start)) s)"; tail -n 30 "$LOGS/$name.log"
  fi
}

if [[ " $PARTS " == *" c "* || " $PARTS " == *" go "* || " $PARTS " == *" serve "* ]]; then
  if [[ " $PARTS " == *" c "* || " $PARTS " == *" go "* ]]; then
    echo "wine: building tpauth.dll and libtpauth.a for $WT"
    cargo build --quiet --release --target "$WT" --lib
  fi
  scripts/build-native.sh # the mock (tpauth mock), natively
  [ -d "$WINEPREFIX/drive_c" ] || wineboot -i >/dev/null 2>&1 || true
  # wine 8.0 (Debian 12) lacks bcryptprimitives.dll (ProcessPrng, which Rust's std and getrandom
  # call; every Windows 10+ has it): a stand-in beside the programs, only when wine has none.
  rm -f "$OUT/bcryptprimitives.dll"
  if [ ! -e "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" ]; then
    x86_64-w64-mingw32-gcc -shared -O2 -o "$OUT/bcryptprimitives.dll" tests/wine/bcryptprimitives.c -lbcrypt
  fi
  MOCK_PID=
  cleanup() { if [ -n "$MOCK_PID" ]; then kill "$MOCK_PID" 2>/dev/null || true; wait "$MOCK_PID" 2>/dev/null || true; fi; }
  trap cleanup EXIT
  : >"$OUT/mock.port"
  "$ROOT/target/release/tpauth" mock --port 0 >"$OUT/mock.port" 2>"$LOGS/mock.log" &
  MOCK_PID=$!
  for _ in $(seq 100); do [ -s "$OUT/mock.port" ] && break; sleep 0.1; done
  TPAUTH_MOCK_PORT=$(head -n1 "$OUT/mock.port")
  export TPAUTH_MOCK_PORT
  [ -n "$TPAUTH_MOCK_PORT" ] || { echo "the mock did not start"; cat "$LOGS/mock.log"; exit 1; }
fi

if [[ " $PARTS " == *" c "* ]]; then
  CC=x86_64-w64-mingw32-gcc
  CFLAGS="-std=c11 -O1 -g -Wall -Wextra -Werror -Wno-unused-function -I$ROOT/include -I$ROOT/tests/c"
  # What libtpauth.a needs besides itself on windows-gnu (`--print native-static-libs`).
  STATIC_LIBS="-lws2_32 -lbcrypt -lntdll -luserenv -ladvapi32 -lkernel32 -lcrypt32 -lsecur32 -lncrypt"
  cp "$WINLIB/tpauth.dll" "$OUT/"
  for t in test_api test_windows; do
    # -static: libgcc and winpthreads inside the .exe; tpauth.dll beside it (dynamic), or libtpauth.a.
    $CC $CFLAGS -o "$OUT/$t.exe" "tests/c/$t.c" "$WINLIB/libtpauth.dll.a" -static -lpthread -lws2_32
    $CC $CFLAGS -o "$OUT/$t.static.exe" "tests/c/$t.c" "$WINLIB/libtpauth.a" $STATIC_LIBS -static -lpthread
  done
  # The DLL build really uses tpauth.dll, the static one does not.
  step dll-imports bash -c "x86_64-w64-mingw32-objdump -p '$OUT/test_api.exe' | grep -q 'DLL Name: tpauth.dll' &&
    ! x86_64-w64-mingw32-objdump -p '$OUT/test_api.static.exe' | grep -qi 'DLL Name: tpauth.dll'"
  for t in test_api test_windows; do
    run "$t.exe" wine "$OUT/$t.exe"
    run "$t.static.exe" wine "$OUT/$t.static.exe"
  done
fi

if [[ " $PARTS " == *" go "* ]]; then
  mkdir -p bindings/go/lib/windows-amd64
  cp "$WINLIB/libtpauth.a" bindings/go/lib/windows-amd64/libtpauth.a
  step go-build-windows bash -c "cd tests/wine/go && GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc \
    GOTOOLCHAIN=local GOFLAGS=-mod=mod go build -o '$OUT/tpauth-go.exe' ."
  step go-exe-static bash -c "! x86_64-w64-mingw32-objdump -p '$OUT/tpauth-go.exe' | grep -qi 'DLL Name: tpauth.dll'"
  run go.exe wine "$OUT/tpauth-go.exe"
fi

if [[ " $PARTS " == *" serve "* ]]; then
  echo "wine: building tpauth.exe for $WT"
  exe_start=$SECONDS
  cargo build --quiet --release -p tpauth --features cli --bin tpauth --target "$WT"
  echo "wine: tpauth.exe built ($((SECONDS - exe_start)) s)"
  cp "$WINLIB/tpauth.exe" "$OUT/"
  rm -rf "$OUT/serve"
  run serve.exe tests/wine/serve.sh "$OUT/tpauth.exe" "$ROOT/target/release/tpauth" "$OUT/serve"
fi

if [[ " $PARTS " == *" lint "* ]]; then
  # The Windows-only code (src/cache/file/windows.rs, tpauth serve's Windows paths, the tests as
  # they compile for Windows) under the same clippy bar as the rest.
  step clippy-windows cargo clippy --quiet --target "$WT" -p tpauth --features cli --all-targets -- -D warnings
fi

echo "wine suite: $PASSED passed, $FAILED failed"
if [ ${#BROKEN[@]} -ne 0 ] || [ "$FAILED" -ne 0 ]; then
  echo "failed: ${BROKEN[*]}"
  exit 1
fi
