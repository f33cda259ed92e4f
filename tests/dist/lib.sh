# shellcheck shell=bash
# Sourced by tests/dist/<part>.sh: installs an artifact from dist/ the way a user does, in a clean
# temporary folder, with cargo and rustc off PATH, and checks that a program using it does a
# password grant and an API call against the mock (started from the built CLI, target/release/tpauth).
#
#   dist_begin NAME     temp dir $WORK, PATH without Rust, mock on $MOCK_URL (fresh stats)
#   check LABEL CMD...  runs CMD (output in $WORK/last.log), counts it
#   check_run LABEL CMD...  runs a program: its output must show the grant, the API call's 200 and
#                       the version, no secret; the mock must have seen one grant and one API call
#   dist_end            prints "NAME: N passed, N failed", exits non-zero on any failure
set -uo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/scripts/dist/lib.sh"
TPAUTH_BIN=${TPAUTH_BIN:-$DIST_ROOT/target/release/tpauth}
VERSION=$(tpauth_version)
source "$DIST_ROOT/scripts/ensure-apt.sh"
ensure_apt curl curl
# ensure_apt_file FILE PKG...: installs Debian packages when FILE is missing.
ensure_apt_file() {
  local f=$1; shift
  [ -e "$f" ] && return 0
  echo "installing $* (for $f)" >&2
  if [ -z "${TPAUTH_APT_UPDATED:-}" ]; then apt-get update -qq >/dev/null; export TPAUTH_APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

dist_passed=0
dist_failed=0
MOCK_PID=

# PATH with no folder that holds cargo or rustc (rustup's ~/.cargo/bin and any other).
path_without_rust() {
  local IFS=: d out=()
  for d in $PATH; do
    [ -n "$d" ] || continue
    { [ -e "$d/cargo" ] || [ -e "$d/rustc" ] || [ -e "$d/rustup" ]; } && continue
    out+=("$d")
  done
  echo "${out[*]}"
}

dist_begin() {
  DIST_NAME=$1
  [ -x "$TPAUTH_BIN" ] || { echo "$DIST_NAME: $TPAUTH_BIN missing (scripts/build-native.sh)" >&2; exit 1; }
  WORK=$(mktemp -d "/tmp/tpauth-dist-$DIST_NAME.XXXXXX")
  trap dist_cleanup EXIT
  export PATH; PATH=$(path_without_rust)
  unset CARGO_HOME RUSTUP_HOME RUSTC CARGO TPAUTH_LIB TPAUTH_FFI_HEADER
  if command -v cargo >/dev/null 2>&1 || command -v rustc >/dev/null 2>&1; then
    echo "$DIST_NAME: cargo or rustc still on PATH" >&2; exit 1
  fi
  mock_start
  echo "--- $DIST_NAME (in $WORK, mock $MOCK_URL, no cargo/rustc on PATH)"
}

mock_start() {
  coproc MOCK { exec "$TPAUTH_BIN" mock --port 0 --exit-on-stdin-eof 2>/dev/null; }
  local port
  read -r -t 30 port <&"${MOCK[0]}" || { echo "$DIST_NAME: the mock did not start" >&2; exit 1; }
  MOCK_URL=http://127.0.0.1:$port
  export TRUSTPILOT_API_KEY=mock-api-key TRUSTPILOT_API_SECRET=mock-api-secret
  export TRUSTPILOT_USERNAME=user@example.com TRUSTPILOT_PASSWORD=mock-password
  export TRUSTPILOT_API_HOST=$MOCK_URL TRUSTPILOT_AUTHORIZE_URL=$MOCK_URL/authenticate TRUSTPILOT_ALLOW_INSECURE_HTTP=true
  export MOCK_URL
}

mock_reset() { curl -fsS -X POST "$MOCK_URL/_mock/reset" >/dev/null; }
mock_stat() { curl -fsS "$MOCK_URL/_mock/stats" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

dist_cleanup() {
  if [ -n "${MOCK_PID:-}" ]; then kill "$MOCK_PID" 2>/dev/null; wait "$MOCK_PID" 2>/dev/null; fi
  if [ -z "${KEEP_TMP:-}" ]; then rm -rf "$WORK"; else echo "kept $WORK"; fi
}

ok() { dist_passed=$((dist_passed + 1)); echo "ok      $1"; }
bad() { dist_failed=$((dist_failed + 1)); echo "FAILED  $1"; }
check() {
  local label=$1; shift
  if "$@" >"$WORK/last.log" 2>&1; then ok "$label"; else bad "$label"; sed 's/^/        /' "$WORK/last.log" | tail -40; fi
}

# The program prints "version <v>", "grant <token_type>" and "api <status> <body>" (tests/dist/*).
run_checked() {
  mock_reset || return 1
  "$@" || { echo "exit status $?"; return 1; }
}
check_run() {
  local label=$1; shift
  if ! run_checked "$@" >"$WORK/run.log" 2>&1; then bad "$label"; sed 's/^/        /' "$WORK/run.log" | tail -40; return; fi
  local why=""
  grep -qx "version $VERSION" "$WORK/run.log" || why="no 'version $VERSION' line"
  grep -q '^grant ' "$WORK/run.log" || why="$why; no 'grant' line"
  grep -q '^api 200 .*"path":"/v1/private/business-units/dist-check"' "$WORK/run.log" || why="$why; no 'api 200' line echoing the path"
  if grep -q 'mock-password\|mock-api-secret' "$WORK/run.log"; then why="$why; a secret was printed"; fi
  local grants api
  grants=$(mock_stat token_requests); api=$(mock_stat api_requests)
  [ "$grants" = 1 ] || why="$why; the mock saw $grants token requests, not 1"
  [ "$api" = 1 ] || why="$why; the mock saw $api API requests, not 1"
  if [ -z "$why" ]; then ok "$label"; else bad "$label (${why#; })"; sed 's/^/        /' "$WORK/run.log" | tail -20; fi
}

dist_end() {
  echo "$DIST_NAME: $dist_passed passed, $dist_failed failed"
  [ "$dist_failed" -eq 0 ]
}
