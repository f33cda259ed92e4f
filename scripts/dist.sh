#!/usr/bin/env bash
# Builds every release artifact into dist/ from a clean checkout (docs/release.md):
#   1. scripts/dist/native.sh: libtpauth and the tpauth command per target into
#      target/dist/<rust-target>/ (Linux with cargo-zigbuild, glibc 2.17 for -gnu; macOS with zig
#      at a versioned target, no Apple SDK), once, shared by every part;
#   2. every packaging part scripts/dist/<part>.sh, each writing dist/<part>/: c, python (built in
#      the background beside step 1), go, php, dotnet, then the others in name order: node,
#      python-cli (the command into the wheels), windows (mingw-w64; adds to the others' outputs).
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
# The tools (a venv) and the rustup targets, once, before the parts run side by side: two parts
# creating the venv at the same time replace each other's binaries mid-build on a fresh machine.
source scripts/ensure-rust.sh
dist_tools
dist_rust_targets "${DIST_TARGETS[@]}"
# The wheels need no native library: they build beside it (their own target dir), using the core
# the single-threaded LTO link of the other leaves idle.
python_pid=
case " ${parts[*]} " in
  *" python "*)
    echo "=== dist: python (in the background, log target/dist-python.log)" >&2
    mkdir -p target
    scripts/dist/python.sh >target/dist-python.log 2>&1 &
    python_pid=$! ;;
esac
echo "=== dist: native libraries (${DIST_TARGETS[*]})" >&2
if ! scripts/dist/native.sh; then
  [ -n "$python_pid" ] && kill "$python_pid" 2>/dev/null
  exit 1
fi
for p in "${parts[@]}"; do
  if [ "$p" = python ]; then
    s=$SECONDS
    if ! wait "$python_pid"; then cat target/dist-python.log >&2; echo "dist: python failed" >&2; exit 1; fi
    cat target/dist-python.log >&2
    echo "=== dist: python done (waited $((SECONDS - s)) s)" >&2
    continue
  fi
  [ -x "scripts/dist/$p.sh" ] || { echo "dist: no part scripts/dist/$p.sh" >&2; exit 1; }
  echo "=== dist: $p" >&2
  s=$SECONDS
  "scripts/dist/$p.sh"
  echo "=== dist: $p done ($((SECONDS - s)) s)" >&2
done
echo "=== dist: all done in $((SECONDS - start)) s: $(cd dist && ls -d */ | tr -d / | tr '\n' ' ')" >&2
