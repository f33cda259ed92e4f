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
dist_end
