#!/usr/bin/env bash
# The Node binding's suite: the native CLI (for the mock), rustfmt and clippy of the napi crate,
# @napi-rs/cli from npm (bindings/node/node_modules), the release .node built by `napi build`
# (native.d.ts regenerated: a stale committed copy fails; the loader native.js is never written by
# napi, `--js false`: gen-native.js makes it from DIST_PLATFORMS, and a committed copy that differs
# fails), the test dependencies (axios, typescript, @types/node; bindings/node/test/node_modules),
# `tsc --strict` over test/types.ts with a tsconfig naming no `types` (the declarations must bring
# Node's types themselves), then `node --test` against the mock. Exits non-zero on failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
source scripts/ensure-apt.sh
source scripts/ensure-rust.sh
ensure_apt node nodejs
ensure_apt npm npm
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 18 ]; then echo "node: Node >= 18 is needed (found $(node --version))"; exit 1; fi

scripts/build-native.sh
if ! { cargo fmt --version && cargo clippy --version; } >/dev/null 2>&1; then rustup component add rustfmt clippy >/dev/null 2>&1; fi
cargo fmt -p tpauth-node --check
cargo clippy --quiet -p tpauth-node -- -D warnings
export TPAUTH_BIN=${TPAUTH_BIN:-$REPO/target/release/tpauth}

# npm ci only when the lock file changed since the last install (node_modules/.package-lock.json
# is npm's own copy of it).
npm_deps() {
  if ! cmp -s "$1/package-lock.json" "$1/node_modules/.package-lock.json.tpauth" 2>/dev/null; then
    (cd "$1" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    cp "$1/package-lock.json" "$1/node_modules/.package-lock.json.tpauth"
  fi
}
npm_deps bindings/node
npm_deps bindings/node/test

cd bindings/node
echo "node: the loader (gen-native.js --check: native.js is what DIST_PLATFORMS makes)"
node gen-native.js --check
echo "node: napi build --release (npm run build)"
if ! npm run --silent build >"$REPO/target/napi-node.log" 2>&1; then
  cat "$REPO/target/napi-node.log"; echo "node: napi build failed"; exit 1
fi
if git -C "$REPO" rev-parse --git-dir >/dev/null 2>&1 && ! git -C "$REPO" diff --quiet -- bindings/node/native.d.ts bindings/node/native.js; then
  git -C "$REPO" diff --stat -- bindings/node/native.d.ts bindings/node/native.js
  echo "node: native.d.ts / native.js are stale (or a build rewrote the loader): commit the regenerated files"; exit 1
fi
echo "node: tsc --strict (the declarations, with no --types: they reference Node's types themselves)"
(cd test && npx tsc -p tsconfig.types.json)
echo "node: node --test"
node --test test/*.test.js
echo "node: ok ($(du -k tpauth.linux-*.node | cut -f1 | head -1) KiB .node)"
