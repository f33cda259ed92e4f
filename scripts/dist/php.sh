#!/usr/bin/env bash
# dist/php/: the Composer package tpauth/tpauth, ready to publish: composer.json (with its version),
# src/, autoload.php, preload.php, tpauth_ffi.h at the root, and the shared library per platform in
# lib/<os>-<arch>[-musl]/libtpauth.so, which src/Internal/Native.php picks for the running PHP
# (no environment variable), also when the package sits under vendor/.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$DIST_ROOT"
out="$DIST_OUT/php"
rm -rf "$out"; mkdir -p "$out/lib"
cp -r bindings/php/src "$out/"
cp bindings/php/autoload.php bindings/php/preload.php bindings/php/README.md include/tpauth_ffi.h "$out/"
dist_docs "$out"
# The published composer.json: the tests stay in the repository.
python3 - bindings/php/composer.json "$out/composer.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for k in ("require-dev", "autoload-dev", "scripts"):
    d.pop(k, None)
open(sys.argv[2], "w").write(json.dumps(d, indent=4, ensure_ascii=False).replace("\\/", "/") + "\n")
PY
for t in "${DIST_TARGETS[@]}"; do
  plat=$(php_platform "$t") || continue
  so=$DIST_NATIVE/$t/$(native_shared_name "$t")
  [ -f "$so" ] || { echo "dist/php: $so missing (scripts/dist/native.sh)" >&2; exit 1; }
  mkdir -p "$out/lib/$plat"
  cp "$so" "$out/lib/$plat/"
done
echo "dist: php package $(du -sb "$out" | cut -f1) B in $out" >&2
