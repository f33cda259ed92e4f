#!/usr/bin/env bash
# dist/python: a fresh venv, `pip install` of the x86_64 manylinux2014 wheel (no index, no build),
# then import tpauth and run a password grant + API call against the mock; the installed metadata
# (name, version, licences, py.typed) is what PyPI would show; the `tpauth` command the wheel
# installs runs its mock (`tpauth mock`) and a grant against it; `twine check` passes on exactly
# what docs/release.md uploads (dist/python/*, wheels and the sdist alone); the sdist, installed
# where no cargo is found, stops with "no wheel for this platform; install Rust or use a supported
# platform" as the first line of its output.
source "$(dirname "$0")/lib.sh"
dist_tools  # twine (PyPI, in target/dist-venv), before Rust leaves PATH
dist_begin python
wheel=$(ls "$DIST_OUT"/python/trustpilot_auth-"$VERSION"-cp39-abi3-*manylinux2014_x86_64*.whl 2>/dev/null | head -n1)
check "dist/python holds the manylinux2014 x86_64 wheel" test -n "$wheel"
check "python -m venv" python3 -m venv "$WORK/venv"
check "pip install $(basename "${wheel:-none}") (no index)" "$WORK/venv/bin/pip" install --no-index --no-deps --disable-pip-version-check "$wheel"
cp "$DIST_ROOT/tests/dist/programs/check.py" "$WORK/"
check_run "python: import tpauth, password grant + API call" bash -c "cd '$WORK' && venv/bin/python check.py"
metadata() {
  local m; m=$(cd "$WORK" && venv/bin/pip show -f trustpilot-auth) || return 1
  echo "$m"
  grep -qx "Name: trustpilot-auth" <<<"$m" && grep -qx "Version: $VERSION" <<<"$m" &&
  grep -q "licenses/LICENSE-MIT" <<<"$m" && grep -q "licenses/LICENSE-APACHE" <<<"$m" &&
  grep -q "tpauth/py.typed" <<<"$m" && grep -q "tpauth/__init__.pyi" <<<"$m"
}
check "installed metadata: trustpilot-auth $VERSION, licence files, py.typed, stubs" metadata
sdist_contents() {
  local sd l; sd=$(ls "$DIST_OUT"/python/trustpilot_auth-"$VERSION".tar.gz) || return 1
  l=$(tar -tzf "$sd" | sed "s|^trustpilot_auth-$VERSION/||")
  local f
  for f in PKG-INFO pyproject.toml Cargo.toml Cargo.lock build.rs cbindgen.toml src/lib.rs src/ffi/mod.rs include/tpauth.h \
      bindings/python/Cargo.toml bindings/python/src/lib.rs tpauth/__init__.py tpauth/py.typed LICENSE-MIT LICENSE-APACHE README.md; do
    grep -qx "$f" <<<"$l" || { echo "sdist lacks $f"; return 1; }
  done
  if grep -E '^(tests|fuzz|bench|docs|examples|bindings/(go|php|dotnet)|bindings/python/tests|mock/tests)/' <<<"$l"; then
    echo "the sdist holds files a source build does not need (above)"; return 1
  fi
}
check "sdist: what a source build needs (core, pyo3 crate, Python package, licences), no tests or other bindings" sdist_contents
wheels() {
  local a
  for a in manylinux2014_x86_64 manylinux2014_aarch64 musllinux_1_2_x86_64 musllinux_1_2_aarch64 macosx_11_0_arm64 macosx_10_13_x86_64; do
    ls "$DIST_OUT"/python/trustpilot_auth-"$VERSION"-cp39-abi3-*"$a".whl || return 1
  done
  [ "$(tr -s ' \n' '  ' <"$DIST_ROOT/target/dist-reports/auditwheel.txt" | grep -o 'consistent with the following platform tag: "[a-z0-9_]*"' | sort -u | wc -l)" = 4 ]
}
check "6 abi3 wheels (manylinux2014, musllinux_1_2 x86_64/aarch64, auditwheel-confirmed; macosx_11_0_arm64, macosx_10_13_x86_64)" wheels
# What `twine upload dist/python/*` (docs/release.md) would send: wheels and the sdist, no report.
uploadable() {
  local f bad=0
  for f in "$DIST_OUT"/python/*; do
    case $f in *.whl | *.tar.gz) ;; *) echo "not a distribution: $f"; bad=1 ;; esac
  done
  [ "$bad" = 0 ] && twine check --strict "$DIST_OUT"/python/*
}
check "twine check --strict dist/python/* (only wheels and the sdist in the upload folder)" uploadable
# The command the wheel installs: its mock serves a grant made with the library.
cli() {
  local port out
  [ -x "$WORK/venv/bin/tpauth" ] || { echo "no venv/bin/tpauth"; return 1; }
  coproc CLI { exec "$WORK/venv/bin/tpauth" mock --port 0 --exit-on-stdin-eof; }
  read -r -t 30 port <&"${CLI[0]}" || { echo "tpauth mock printed no port"; return 1; }
  out=$(TRUSTPILOT_API_BASE_URL=http://127.0.0.1:$port "$WORK/venv/bin/python" -c 'import tpauth; a = tpauth.Auth.from_env(); print(a.request("GET", "/v1/private/x").status)')
  kill "$CLI_PID" 2>/dev/null; wait "$CLI_PID" 2>/dev/null
  echo "$out"; [ "$out" = 200 ]
}
check "pip-installed tpauth command: tpauth mock, then a grant + API call against it" cli
# The sdist where no wheel fits and no Rust is installed (Rust is off PATH here): maturin from PyPI
# in the venv, the build with no isolation (the check needs no network).
no_rust() {
  "$WORK/venv/bin/pip" install -q --disable-pip-version-check 'maturin>=1.5,<2' >/dev/null || return 1
  local out; out=$("$WORK/venv/bin/pip" install --no-build-isolation --no-index --no-deps --disable-pip-version-check \
    "$DIST_OUT/python/trustpilot_auth-$VERSION.tar.gz" 2>&1) && { echo "installed without Rust?"; return 1; }
  echo "$out"
  # The first line of the backend's own output (pip frames it; nothing of maturin's before it).
  grep -A3 'lines of output\]' <<<"$out" | sed -n 2p | grep -q 'no wheel for this platform; install Rust or use a supported platform'
}
check "sdist without Rust: the failure's first line is 'no wheel for this platform; install Rust or use a supported platform'" no_rust
dist_end
