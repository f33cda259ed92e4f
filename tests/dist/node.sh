#!/usr/bin/env bash
# dist/node: a fresh npm project, `npm install` of the main tarball and this platform's tarball
# from dist/node/ (cargo and rustc off PATH, nothing built), then a password grant + API call
# against the mock; the other platform tarballs are checked for their ELF machine and glibc floor.
# Runs inside tests/dist/run.sh (release layout), or alone after scripts/dist/node.sh.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if [ -f "$ROOT/tests/dist/lib.sh" ] && [ -f "$ROOT/scripts/dist/lib.sh" ]; then
  source "$ROOT/tests/dist/lib.sh"
else
  # Standalone: the few helpers of tests/dist/lib.sh this part uses.
  set -uo pipefail
  DIST_ROOT=$ROOT DIST_OUT=$ROOT/dist
  TPAUTH_BIN=${TPAUTH_BIN:-$DIST_ROOT/target/release/tpauth}
  VERSION=$(sed -n '/^\[package\]/,/^\[/{s/^version = "\([^"]*\)".*/\1/p}' "$DIST_ROOT/Cargo.toml" | head -n1)
  dist_passed=0 dist_failed=0
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
    trap 'rm -rf "$WORK"' EXIT
    export PATH; PATH=$(path_without_rust)
    if command -v cargo >/dev/null 2>&1 || command -v rustc >/dev/null 2>&1; then echo "cargo or rustc still on PATH" >&2; exit 1; fi
    coproc MOCK { exec "$TPAUTH_BIN" mock --port 0 --exit-on-stdin-eof 2>/dev/null; }
    local port
    read -r -t 30 port <&"${MOCK[0]}" || { echo "$DIST_NAME: the mock did not start" >&2; exit 1; }
    MOCK_URL=http://127.0.0.1:$port
    export TRUSTPILOT_API_KEY=mock-api-key TRUSTPILOT_API_SECRET=mock-api-secret
    export TRUSTPILOT_USERNAME=user@example.com TRUSTPILOT_PASSWORD=mock-password
    export TRUSTPILOT_API_HOST=$MOCK_URL TRUSTPILOT_AUTHORIZE_URL=$MOCK_URL/authenticate TRUSTPILOT_ALLOW_INSECURE_HTTP=true
    export MOCK_URL
    echo "--- $DIST_NAME (in $WORK, mock $MOCK_URL, no cargo/rustc on PATH)"
  }
  ok() { dist_passed=$((dist_passed + 1)); echo "ok      $1"; }
  bad() { dist_failed=$((dist_failed + 1)); echo "FAILED  $1"; }
  check() {
    local label=$1; shift
    if "$@" >"$WORK/last.log" 2>&1; then ok "$label"; else bad "$label"; sed 's/^/        /' "$WORK/last.log" | tail -40; fi
  }
  mock_stat() { node -e "fetch('$MOCK_URL/_mock/stats').then(r => r.json()).then(s => console.log(s['$1']))"; }
  check_run() {
    local label=$1; shift
    node -e "fetch('$MOCK_URL/_mock/reset', { method: 'POST' })" || { bad "$label (mock reset)"; return; }
    if ! "$@" >"$WORK/run.log" 2>&1; then bad "$label"; sed 's/^/        /' "$WORK/run.log" | tail -40; return; fi
    local why=""
    grep -qx "version $VERSION" "$WORK/run.log" || why="no 'version $VERSION' line"
    grep -q '^grant ' "$WORK/run.log" || why="$why; no 'grant' line"
    grep -q '^api 200 .*"path":"/v1/private/business-units/dist-check"' "$WORK/run.log" || why="$why; no 'api 200' line"
    if grep -q 'mock-password\|mock-api-secret' "$WORK/run.log"; then why="$why; a secret was printed"; fi
    [ "$(mock_stat token_requests)" = 1 ] || why="$why; not 1 token request"
    [ "$(mock_stat api_requests)" = 1 ] || why="$why; not 1 API request"
    if [ -z "$why" ]; then ok "$label"; else bad "$label (${why#; })"; sed 's/^/        /' "$WORK/run.log" | tail -20; fi
  }
  dist_end() { echo "$DIST_NAME: $dist_passed passed, $dist_failed failed"; [ "$dist_failed" -eq 0 ]; }
fi

dist_begin node
D=$DIST_OUT/node
main=$D/trustpilot-auth-$VERSION.tgz
here=$D/trustpilot-auth-linux-x64-gnu-$VERSION.tgz
check "dist/node holds the main package and linux-x64-gnu, linux-arm64-gnu, linux-x64-musl" \
  test -f "$main" -a -f "$here" -a -f "$D/trustpilot-auth-linux-arm64-gnu-$VERSION.tgz" -a -f "$D/trustpilot-auth-linux-x64-musl-$VERSION.tgz"
listing() {
  tar -tzf "$main" | sort
  tar -xzOf "$main" package/package.json | node -e "
    const p = JSON.parse(require('fs').readFileSync(0, 'utf8'));
    const want = ['linux-x64-gnu', 'linux-arm64-gnu', 'linux-x64-musl'].map((s) => 'trustpilot-auth-' + s);
    for (const w of want) if (p.optionalDependencies[w] !== '$VERSION') throw new Error('optionalDependencies lacks ' + w);
    if (p.name !== 'trustpilot-auth' || p.version !== '$VERSION' || p.types !== 'index.d.ts') throw new Error('name/version/types');"
  tar -tzf "$main" | grep -qx 'package/native.d.ts' && tar -tzf "$main" | grep -qx 'package/index.d.ts' && ! tar -tzf "$main" | grep -q '\.node$'
}
check "main package: trustpilot-auth $VERSION, declarations, optionalDependencies of every platform, no .node" listing
# Each platform package: one .node for its machine; glibc builds need nothing newer than 2.17.
elf_check() {
  local tgz=$1 machine=$2 libc=$3 dir; dir=$(mktemp -d "$WORK/elf.XXXX")
  tar -xzf "$tgz" -C "$dir"
  local so; so=$(ls "$dir"/package/*.node) || return 1
  node -e "
    const b = require('fs').readFileSync('$so');
    if (b.readUInt32BE(0) !== 0x7f454c46) throw new Error('not ELF');
    const m = b.readUInt16LE(18); if (m !== $machine) throw new Error('e_machine ' + m);"
  if [ "$libc" = gnu ]; then
    # The highest GLIBC_x.y version the .node asks for.
    local max; max=$(grep -ao 'GLIBC_[0-9]*\.[0-9]*' "$so" | sort -t. -k2 -n | tail -1)
    echo "$tgz: $max"; [ "${max#GLIBC_2.}" -le 17 ]
  else
    ! grep -aq 'GLIBC_' "$so"
  fi
}
check "linux-x64-gnu: x86-64 ELF, glibc <= 2.17" elf_check "$here" 62 gnu
check "linux-arm64-gnu: aarch64 ELF, glibc <= 2.17" elf_check "$D/trustpilot-auth-linux-arm64-gnu-$VERSION.tgz" 183 gnu
check "linux-x64-musl: x86-64 ELF, no glibc" elf_check "$D/trustpilot-auth-linux-x64-musl-$VERSION.tgz" 62 musl

mkdir -p "$WORK/app"
(cd "$WORK/app" && npm init -y >/dev/null)
# The platform package from its tarball (as the registry would serve it), then the main one: npm
# sees the optional dependency for this platform satisfied, and skips the others (os/cpu/libc).
install_it() { cd "$WORK/app" && npm install --no-audit --no-fund --loglevel=error "$here" "$main"; }
check "npm install ./trustpilot-auth-$VERSION.tgz ./trustpilot-auth-linux-x64-gnu-$VERSION.tgz" install_it
cat >"$WORK/app/check.js" <<'JS'
const tp = require('trustpilot-auth')
;(async () => {
  const auth = tp.Auth.fromEnv()
  console.log(`version ${tp.version}`)
  const tok = await auth.getToken()
  console.log(`grant ${tok.tokenType}`)
  const resp = await auth.request('GET', '/v1/private/business-units/dist-check')
  console.log(`api ${resp.status} ${resp.text()}`)
  console.log(`native ${require.resolve('trustpilot-auth-linux-x64-gnu')}`)
})().catch((e) => { console.error(`${e.name}: ${e.message}`); process.exit(1) })
JS
check_run "node: require('trustpilot-auth'), password grant + API call" bash -c "cd '$WORK/app' && node check.js"
dist_end
