#!/usr/bin/env bash
# Builds every release artifact into dist/ from a clean checkout (docs/release.md):
#   1. scripts/dist/native.sh: libtpauth per target into target/dist/<rust-target>/ (cargo-zigbuild;
#      glibc 2.17 for -gnu), once, shared by every part;
#   2. every packaging part scripts/dist/<part>.sh, each writing dist/<part>/: c, python, go, php,
#      dotnet, then any other part that exists (e.g. node.sh), in name order.
# Usage: scripts/dist.sh [part...]   (native is built first whenever a part needs it)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/dist/lib.sh
start=$SECONDS
parts=("$@")
if [ ${#parts[@]} -eq 0 ]; then
  parts=(c python go php dotnet)
  for f in scripts/dist/*.sh; do
    p=$(basename "$f" .sh)
    case " native lib ${parts[*]} " in *" $p "*) continue ;; esac
    parts+=("$p")
  done
fi
mkdir -p dist
cp LICENSE-MIT LICENSE-APACHE CHANGELOG.md dist/
echo "=== dist: native libraries (${DIST_TARGETS[*]})" >&2
scripts/dist/native.sh
for p in "${parts[@]}"; do
  [ -x "scripts/dist/$p.sh" ] || { echo "dist: no part scripts/dist/$p.sh" >&2; exit 1; }
  echo "=== dist: $p" >&2
  s=$SECONDS
  "scripts/dist/$p.sh"
  echo "=== dist: $p done ($((SECONDS - s)) s)" >&2
done
echo "=== dist: all done in $((SECONDS - start)) s: $(cd dist && ls -d */ | tr -d / | tr '\n' ' ')" >&2
