#!/usr/bin/env bash
# The Python binding's suite: venv target/venv (maturin, pytest, mypy, requests, httpx, trustpilot
# for the benchmark), the native CLI (for the mock), the abi3 wheel built with maturin and installed
# into the venv, then pytest against the mock, stubtest and `mypy --strict`. Exits non-zero on failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
source scripts/ensure-apt.sh
source scripts/ensure-rust.sh
ensure_apt python3 python3
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  # Debian splits venv/ensurepip out of python3.
  echo "installing python3-venv" >&2
  if [ -z "${TPAUTH_APT_UPDATED:-}" ]; then apt-get update -qq >/dev/null; export TPAUTH_APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
fi

VENV=$REPO/target/venv
PY=$VENV/bin/python
[ -x "$PY" ] || python3 -m venv "$VENV"
REQS="maturin>=1.5,<2 pytest mypy requests httpx types-requests trustpilot==10.0.1"
STAMP=$VENV/.tpauth-python-reqs
if [ "$(cat "$STAMP" 2>/dev/null)" != "$REQS" ]; then
  "$PY" -m pip install -q --disable-pip-version-check $REQS
  echo "$REQS" >"$STAMP"
fi

scripts/build-native.sh
# The pyo3 crate's lints (rustup's minimal profile has neither tool: add them).
if ! { cargo fmt --version && cargo clippy --version; } >/dev/null 2>&1; then rustup component add rustfmt clippy >/dev/null 2>&1; fi
cargo fmt -p tpauth-python --check
cargo clippy --quiet -p tpauth-python -- -D warnings
export TPAUTH_BIN=${TPAUTH_BIN:-$REPO/target/release/tpauth}

# The wheel, exactly as users get it (abi3, release), installed over any previous one.
WHEELS=$REPO/target/wheels/python
rm -rf "$WHEELS"
if ! (cd bindings/python && "$VENV/bin/maturin" build --release --interpreter "$PY" -o "$WHEELS") >"$REPO/target/maturin-python.log" 2>&1; then
  cat "$REPO/target/maturin-python.log"; echo "python: maturin build failed"; exit 1
fi
"$PY" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "$WHEELS"/trustpilot_auth-*.whl
# A stray in-tree build (`maturin develop`) must not shadow the installed wheel.
rm -f bindings/python/tpauth/_tpauth*.so

cd bindings/python
echo "python: pytest"
"$VENV/bin/pytest" -q -p no:cacheprovider tests
echo "python: stubtest"
(cd "$REPO/target" && "$PY" -m mypy.stubtest tpauth)
echo "python: mypy --strict"
"$VENV/bin/mypy" --strict --no-incremental --cache-dir=/dev/null tpauth examples/whole_api.py
echo "python: ok ($(du -k "$WHEELS"/trustpilot_auth-*.whl | cut -f1) KiB wheel)"
