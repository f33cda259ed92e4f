#!/usr/bin/env bash
# The Node benchmark (bench/run.sh runs it too): trustpilot-auth (the in-tree release build, made by
# bindings/node/test.sh's napi build when missing) next to npm trustpilot 4.0.1 (installed here,
# bench/node/node_modules), both against the mock. Usage: bench/node/run.sh [--quick]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
source scripts/ensure-apt.sh
ensure_apt node nodejs
ensure_apt npm npm
scripts/build-native.sh
if ! ls bindings/node/tpauth.*.node >/dev/null 2>&1; then
  (cd bindings/node && { [ -x node_modules/.bin/napi ] || npm ci --no-audit --no-fund --loglevel=error >/dev/null; } &&
    npm run --silent build >/dev/null)
fi
if ! cmp -s bench/node/package-lock.json bench/node/node_modules/.package-lock.json.tpauth 2>/dev/null; then
  (cd bench/node && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  cp bench/node/package-lock.json bench/node/node_modules/.package-lock.json.tpauth
fi
TPAUTH_BIN=$ROOT/target/release/tpauth node bench/node/bench.js "$@"
