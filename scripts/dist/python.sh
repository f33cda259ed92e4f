#!/usr/bin/env bash
# dist/python/: the distribution trustpilot-auth (import tpauth), one abi3 wheel per target
# (maturin --zig: manylinux2014 = glibc 2.17 for -gnu, musllinux_1_2 for -musl) and an sdist.
# `auditwheel show` must report each wheel's own tag (its output is kept in
# dist/python/auditwheel.txt). The pyo3 module is its own crate (bindings/python), built once per
# target in target/dist-build-python: a target dir of its own, so that scripts/dist.sh can run
# this part beside scripts/dist/native.sh (cargo locks a target dir for the whole build).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$DIST_ROOT"
source scripts/ensure-rust.sh
dist_tools
dist_rust_targets "${DIST_TARGETS[@]}"
out="$DIST_OUT/python"
rm -rf "$out"; mkdir -p "$out"
: > "$out/auditwheel.txt"

for t in "${DIST_TARGETS[@]}"; do
  compat=$(wheel_compat "$t") || continue
  start=$SECONDS
  log="$DIST_ROOT/target/dist-maturin-$t.log"
  if ! CARGO_TARGET_DIR="$DIST_BUILD-python" maturin build --release --locked --zig --target "$t" --compatibility "$compat" \
      -m bindings/python/Cargo.toml -o "$out" >"$log" 2>&1; then
    cat "$log" >&2; echo "dist/python: maturin build for $t failed" >&2; exit 1
  fi
  arch=${t%%-*}
  wheel=$(ls "$out"/trustpilot_auth-"$(tpauth_version)"-cp39-abi3-*"${compat}_${arch}"*.whl 2>/dev/null | head -n1)
  [ -n "$wheel" ] || { ls "$out" >&2; echo "dist/python: no ${compat}_${arch} wheel for $t" >&2; exit 1; }
  shown=$(auditwheel show "$wheel" 2>&1)
  printf '$ auditwheel show %s\n%s\n\n' "$(basename "$wheel")" "$shown" >> "$out/auditwheel.txt"
  # auditwheel names manylinux2014 by its PEP 600 name, manylinux_2_17.
  tag=${compat/manylinux2014/manylinux_2_17}_${arch}
  if ! tr -s ' \n' ' ' <<<"$shown" | grep -q "consistent with the following platform tag: \"$tag\""; then
    echo "$shown" >&2; echo "dist/python: auditwheel does not confirm $tag (${compat}_${arch}) for $(basename "$wheel")" >&2; exit 1
  fi
  echo "dist: wheel $(basename "$wheel") ($((SECONDS - start)) s, $(stat -c %s "$wheel") B)" >&2
done

if ! maturin sdist -m bindings/python/Cargo.toml -o "$out" >"$DIST_ROOT/target/dist-maturin-sdist.log" 2>&1; then
  cat "$DIST_ROOT/target/dist-maturin-sdist.log" >&2; echo "dist/python: maturin sdist failed" >&2; exit 1
fi
echo "dist: $(ls "$out"/*.tar.gz)" >&2
