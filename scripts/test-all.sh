#!/usr/bin/env bash
# The one test command: installs what is missing, builds the native library once, and runs every
# suite in every language against mock servers it starts on 127.0.0.1. Exits non-zero if any
# suite fails. Usage: scripts/test-all.sh [suite...]   (suites: rust loom c install faults miri fuzz python go php dotnet node java redis dist wine;
# `mutants` only when named: mutation testing takes hours, see scripts/mutants.sh)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
source scripts/ensure-rust.sh
source scripts/ensure-apt.sh
ensure_apt cc gcc
ensure_apt make make
ensure_apt pkg-config pkg-config

all=(rust loom c install faults miri fuzz python go php dotnet node java redis dist wine)
suites=("${@:-${all[@]}}")
passed=0; failed=0; failed_names=()

run_suite() {
  local name=$1; shift
  echo
  echo "=== suite: $name ==="
  local start=$SECONDS
  if "$@"; then
    passed=$((passed + 1)); echo "=== suite $name: ok ($((SECONDS - start)) s) ==="
  else
    failed=$((failed + 1)); failed_names+=("$name"); echo "=== suite $name: FAILED ($((SECONDS - start)) s) ==="
  fi
}

rust_suite() {
  if ! cargo fmt --all --check >/dev/null 2>&1; then
    echo "rustfmt: these files need cargo fmt:"; cargo fmt --all --check -- -l 2>&1 | head -20; return 1
  fi
  cargo clippy --quiet -p tpauth -p tpauth-mock --features cli --all-targets -- -D warnings || return 1
  RUSTDOCFLAGS="-D warnings" cargo doc --quiet --no-deps -p tpauth -p tpauth-mock || return 1
  cargo test --quiet -p tpauth --features cli || return 1
  cargo test --quiet -p tpauth-mock || return 1
  scripts/abi-check.sh || return 1
  scripts/shellcheck.sh
}

# The managed token's state machine (src/auth/managed.rs) under loom, every interleaving up to
# LOOM_MAX_PREEMPTIONS preemptions (src/auth/loom_tests.rs). Its own target dir: --cfg loom
# rebuilds everything.
loom_suite() {
  CARGO_TARGET_DIR=target/loom RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS="${LOOM_MAX_PREEMPTIONS:-3}" \
    cargo test --quiet --lib loom_
}

echo "=== building the native library and CLI ==="
scripts/build-native.sh || { echo "native build failed"; exit 1; }

for s in "${suites[@]}"; do
  case $s in
    rust) run_suite rust rust_suite ;;
    loom) run_suite loom loom_suite ;;
    c) run_suite c tests/c/run.sh ;;
    install) run_suite install tests/install/run.sh ;;
    faults) run_suite faults tests/faults/run.sh ;;
    miri) run_suite miri tests/miri/run.sh ;;
    fuzz) run_suite fuzz fuzz/run.sh --ci ;;
    python) run_suite python bindings/python/test.sh ;;
    go) run_suite go bindings/go/test.sh ;;
    php) run_suite php bindings/php/test.sh ;;
    dotnet) run_suite dotnet bindings/dotnet/test.sh ;;
    redis) run_suite redis tests/redis/run.sh ;;
    node) run_suite node bindings/node/test.sh ;;
    java) run_suite java bindings/java/test.sh ;;
    dist) run_suite dist tests/dist/run.sh ;;
    wine) run_suite wine tests/wine/run.sh ;;
    mutants) run_suite mutants scripts/mutants.sh ;;
    *) echo "unknown suite $s"; failed=$((failed + 1)); failed_names+=("$s") ;;
  esac
done

echo
[ ${#failed_names[@]} -gt 0 ] && echo "failed suites: ${failed_names[*]}"
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
