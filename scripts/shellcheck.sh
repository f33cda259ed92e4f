#!/usr/bin/env bash
# Runs shellcheck over every shell script of the repository (scripts/, each binding's test.sh, the
# test suites' run.sh): warnings and errors fail. Installs shellcheck (apt) when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-apt.sh
ensure_apt shellcheck shellcheck
mapfile -t files < <(git ls-files '*.sh' | sort)
[ ${#files[@]} -gt 0 ] || { echo "shellcheck: no scripts found" >&2; exit 1; }
shellcheck -x --severity=warning "${files[@]}"
echo "shellcheck: ${#files[@]} scripts clean"
