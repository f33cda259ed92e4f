#!/usr/bin/env bash
# Adds the tpauth program to every wheel in dist/python/ whose platform has one in target/dist/
# (scripts/dist/native.sh: static musl on Linux, one per architecture, so manylinux and musllinux
# wheels of an architecture carry the same; Mach-O on macOS), as tpauth/_bin/tpauth (mode 0755),
# and rewrites the wheel's RECORD. With the wheel's console script (pyproject.toml's
# [project.scripts], tpauth/_cli.py), `pip install trustpilot-auth` then `tpauth mock` works.
# Runs after native.sh and python.sh (scripts/dist.sh orders parts by name after the fixed ones).
# `python-cli.sh WHEEL PROGRAM NAME` adds one program as tpauth/_bin/NAME (windows.sh: tpauth.exe).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$DIST_ROOT"

add_program() {  # add_program WHEEL PROGRAM NAME
  python3 - "$1" "$2" "tpauth/_bin/$3" <<'PY'
import base64, hashlib, os, sys, zipfile
wheel, prog, name = sys.argv[1:4]
data = open(prog, "rb").read()
with zipfile.ZipFile(wheel) as z:
    items = [(i, z.read(i.filename)) for i in z.infolist() if i.filename != name]
record = next(i.filename for i, _ in items if i.filename.endswith(".dist-info/RECORD"))
info = zipfile.ZipInfo(name, date_time=items[0][0].date_time)
info.external_attr = (0o100755 << 16)
info.compress_type = zipfile.ZIP_DEFLATED
items.insert(len(items) - 1, (info, data))
def digest(b):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b"=").decode()
lines = [f"{i.filename},{digest(d)},{len(d)}" for i, d in items if i.filename != record] + [f"{record},,"]
tmp = wheel + ".tmp"
with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
    for i, d in items:
        z.writestr(i, "\n".join(lines) + "\n" if i.filename == record else d)
os.replace(tmp, wheel)
PY
}

if [ $# -eq 3 ]; then
  add_program "$@"
  echo "dist: $(basename "$1") + tpauth/_bin/$3 ($(stat -c %s "$2") B)" >&2
  exit 0
fi
n=0
for t in "${DIST_TARGETS[@]}"; do
  compat=$(wheel_compat "$t") || continue
  prog=$DIST_NATIVE/$t/tpauth
  [ -x "$prog" ] || { echo "dist/python-cli: $prog missing (scripts/dist/native.sh)" >&2; exit 1; }
  arch=${t%%-*}
  is_darwin "$t" && [ "$arch" = aarch64 ] && arch=arm64
  # maturin lists a manylinux2014 wheel's two names (PEP 600's manylinux_2_17 and the legacy one)
  # in either order, depending on its version: match the legacy name wherever it stands.
  case $compat in manylinux2014) tag="*manylinux2014_${arch}*" ;; *) tag=${compat}_${arch} ;; esac
  for wheel in "$DIST_OUT"/python/trustpilot_auth-*-$tag.whl; do
    [ -f "$wheel" ] || { echo "dist/python-cli: no wheel for $t (*-$tag.whl)" >&2; exit 1; }
    add_program "$wheel" "$prog" tpauth
    n=$((n + 1))
    echo "dist: $(basename "$wheel") + tpauth/_bin/tpauth ($t, $(stat -c %s "$prog") B)" >&2
  done
done
[ "$n" -gt 0 ] || { echo "dist/python-cli: no wheel to add the program to" >&2; exit 1; }
