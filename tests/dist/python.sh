#!/usr/bin/env bash
# dist/python: a fresh venv, `pip install` of the x86_64 manylinux2014 wheel (no index, no build),
# then import tpauth and run a password grant + API call against the mock; the installed metadata
# (name, version, licences, py.typed) is what PyPI would show.
source "$(dirname "$0")/lib.sh"
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
  local c=0 a
  for a in manylinux2014_x86_64 manylinux2014_aarch64 musllinux_1_2_x86_64 musllinux_1_2_aarch64; do
    ls "$DIST_OUT"/python/trustpilot_auth-"$VERSION"-cp39-abi3-*"$a"*.whl || return 1
    c=$((c + 1))
  done
  [ "$(tr -s ' \n' '  ' <"$DIST_OUT/python/auditwheel.txt" | grep -o 'consistent with the following platform tag: "[a-z0-9_]*"' | sort -u | wc -l)" = 4 ]
}
check "4 abi3 wheels (manylinux2014 and musllinux_1_2, x86_64 and aarch64), each confirmed by auditwheel show" wheels
dist_end
