#!/usr/bin/env bash
# The dist suite: builds every release artifact (scripts/dist.sh, unless TPAUTH_DIST_SKIP_BUILD=1),
# checks that one version is used everywhere (version.sh), then, for every part, installs its
# artifact as a user does, in a clean temp folder with cargo and rustc off PATH, and runs a password
# grant + API call against the mock: tests/dist/<part>.sh for c, python, go, php, dotnet and any
# other part script present (e.g. node.sh). Prints "N passed, N failed" over the parts.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
source scripts/ensure-rust.sh
DIST_OUT_DIR=$PWD/dist
passed=0; failed=0; failed_names=()
if [ -z "${TPAUTH_DIST_SKIP_BUILD:-}" ]; then
  start=$SECONDS
  if ! scripts/dist.sh; then echo "dist: scripts/dist.sh failed"; echo "dist: 0 passed, 1 failed"; exit 1; fi
  echo "dist: scripts/dist.sh took $((SECONDS - start)) s"
fi
# The mock comes from the CLI that scripts/build-native.sh built (test-all.sh builds it first).
[ -x target/release/tpauth ] || scripts/build-native.sh || exit 1
parts=(version c python go php dotnet)
for f in tests/dist/*.sh; do
  p=$(basename "$f" .sh)
  case " lib run smoke ${parts[*]} " in *" $p "*) continue ;; esac
  parts+=("$p")
done
# smoke.sh is the release workflow's per-runner test; here it runs once on this platform, so the
# workflow's script is proven before a tag needs it.
parts+=(smoke)
for p in "${parts[@]}"; do
  s=$SECONDS
  args=(); [ "$p" = smoke ] && args=("$DIST_OUT_DIR" c python node go php)
  if bash "tests/dist/$p.sh" "${args[@]}"; then
    passed=$((passed + 1)); echo "=== dist/$p: ok ($((SECONDS - s)) s)"
  else
    failed=$((failed + 1)); failed_names+=("$p"); echo "=== dist/$p: FAILED ($((SECONDS - s)) s)"
  fi
done
[ ${#failed_names[@]} -gt 0 ] && echo "dist: failed parts: ${failed_names[*]}"
echo "dist: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
