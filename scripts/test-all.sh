#!/usr/bin/env bash
# The one test command: installs what is missing, builds the native library once, and runs every
# suite in every language against mock servers it starts on 127.0.0.1. Exits non-zero if any
# suite fails.
#   scripts/test-all.sh             every suite but those of ONLY_WHEN_NAMED, in the order of SUITES
#   scripts/test-all.sh rust c      only these
#   scripts/test-all.sh --list      the suites' names, one a line
# What each suite proves: docs/testing.md.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

# Every suite: its name, then the command that runs it (a function below or a script). Adding a
# suite is one line here; docs/testing.md says what it proves (tests/docs.rs checks every suite
# has its row there).
SUITES=(
  "rust     rust_suite"
  "loom     loom_suite"
  "c        tests/c/run.sh"
  "install  tests/install/run.sh"
  "faults   tests/faults/run.sh"
  "miri     tests/miri/run.sh"
  "fuzz     fuzz/run.sh --ci"
  "python   bindings/python/test.sh"
  "go       bindings/go/test.sh"
  "php      bindings/php/test.sh"
  "dotnet   bindings/dotnet/test.sh"
  "node     bindings/node/test.sh"
  "java     bindings/java/test.sh"
  "redis    tests/redis/run.sh"
  "serve    tests/serve/run.sh"
  "deny     deny_check"
  "dist     tests/dist/run.sh"
  "wine     tests/wine/run.sh"
  "mutants  scripts/mutants.sh"
)
# Suites too slow for every run, run only when named: mutation testing rebuilds and reruns the
# tests once per mutant (hours on 2 cores).
ONLY_WHEN_NAMED=(mutants)

# The intermediate build output of the suites (a dir, then every suite that builds into it or reads
# from it; target/release, the native build every suite shares, is never on this list). A full run
# writes about 15 GB here, more than a CI machine's free disk: with TPAUTH_PRUNE=1 (.ci/run sets
# it, and a run that starts with less than PRUNE_BELOW_GIB free turns it on) a dir is deleted as
# soon as no suite left in the run needs it, and each target's build inside the dist suite as soon
# as its artifacts are copied out (scripts/dist/lib.sh's prune_build). A later run rebuilds them.
BUILD_DIRS=(
  "target/debug                 rust python node redis serve"
  "target/msrv                  rust"
  "target/msrv-doc              rust"
  "target/loom                  loom"
  "target/c-tests               c"
  "target/faults                faults"
  "target/miri                  miri"
  "fuzz/target                  fuzz"
  "target/maturin-python        python"
  "target/napi-node             node"
  "target/dist-build            dist"
  "target/dist-build-python     dist"
  "target/dist-build-cli        dist"
  "target/x86_64-pc-windows-gnu dist wine"
  "target/mutants               mutants"
)
PRUNE_BELOW_GIB=40
all=()
defaults=()
for line in "${SUITES[@]}"; do
  all+=("${line%% *}")
  [[ " ${ONLY_WHEN_NAMED[*]} " == *" ${line%% *} "* ]] || defaults+=("${line%% *}")
done

if [ "${1:-}" = --list ]; then printf '%s\n' "${all[@]}"; exit 0; fi
case ${1:-} in -h|--help) echo "usage: scripts/test-all.sh [--list] [suite...]   (suites: ${all[*]}; only when named: ${ONLY_WHEN_NAMED[*]})"; exit 0 ;; esac

source scripts/ensure-rust.sh
source scripts/ensure-apt.sh
ensure_apt cc gcc
ensure_apt make make
ensure_apt pkg-config pkg-config

suites=("${@:-${defaults[@]}}")
passed=0; failed=0; failed_names=(); timings=()

mkdir -p target
free_gib() { df -P -BG target | awk 'NR == 2 { sub("G", "", $4); print $4 }'; }
if [ "${TPAUTH_PRUNE:-}" != 1 ] && [ "$(free_gib)" -lt "$PRUNE_BELOW_GIB" ]; then
  echo "test-all: $(free_gib) GiB free: each suite's build output is deleted when no later suite needs it (TPAUTH_PRUNE=1)"
  export TPAUTH_PRUNE=1
fi
if [ "${TPAUTH_PRUNE:-}" = 1 ]; then
  # Every crate is compiled once in a pruned run: incremental state would only take disk.
  export CARGO_INCREMENTAL=0
fi

# With TPAUTH_PRUNE=1: deletes each dir of BUILD_DIRS that a suite up to index $1 of this run used
# and none after it will (a dir this run never used is left alone).
prune_after() {
  [ "${TPAUTH_PRUNE:-}" = 1 ] || return 0
  local finished=" ${suites[*]:0:$(($1 + 1))} " later=" ${suites[*]:$(($1 + 1))} " line dir users u used needed
  for line in "${BUILD_DIRS[@]}"; do
    read -r dir users <<<"$line"
    [ -e "$dir" ] || continue
    used=; needed=
    for u in $users; do
      [[ $finished == *" $u "* ]] && used=1
      [[ $later == *" $u "* ]] && needed=1
    done
    if [ -n "$used" ] && [ -z "$needed" ]; then rm -rf "$dir"; fi
  done
}

run_suite() {
  local name=$1; shift
  echo
  echo "=== suite: $name ==="
  local start=$SECONDS
  if "$@"; then
    passed=$((passed + 1)); echo "=== suite $name: ok ($((SECONDS - start)) s, $(free_gib) GiB free) ==="
    timings+=("$name $((SECONDS - start))s")
  else
    failed=$((failed + 1)); failed_names+=("$name"); echo "=== suite $name: FAILED ($((SECONDS - start)) s, $(free_gib) GiB free) ==="
    timings+=("$name FAILED $((SECONDS - start))s")
  fi
}

# The dependency policy (deny.toml): licences, bans and sources, offline. cargo-deny is built once
# per machine, at the version pinned here, into ~/.cargo/bin (shared by every checkout), as a debug
# build (nothing to optimise: it reads a lock file). A fresh machine compiles it in the background
# from the start of the run, at the lowest priority (install_cargo_deny below), which is why this is
# a suite of its own late in the order; the lock makes the suite wait for that build. The RustSec
# advisories need their database from GitHub: CI checks them in its own step.
CARGO_DENY_VERSION=0.20.2
install_cargo_deny() {
  mkdir -p target/tools
  (
    flock 9
    if [ "$(cargo deny --version 2>/dev/null)" != "cargo-deny $CARGO_DENY_VERSION" ]; then
      echo "installing cargo-deny $CARGO_DENY_VERSION (once per machine)" >&2
      cargo install --quiet --locked --debug cargo-deny --version "$CARGO_DENY_VERSION" || exit 1
    fi
  ) 9>target/tools/cargo-deny.lock
}
deny_check() {
  install_cargo_deny || return 1
  # Every crate of the workspace's lock file must be on disk for an offline graph.
  cargo fetch --locked --quiet || return 1
  cargo deny --workspace --all-features --locked --offline check licenses bans sources
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
  scripts/actionlint.sh || return 1
  scripts/rust-crates.sh || return 1
  scripts/shellcheck.sh
}

# The managed token's state machine (src/auth/managed.rs) under loom, every interleaving up to
# LOOM_MAX_PREEMPTIONS preemptions (src/auth/loom_tests.rs). Its own target dir: --cfg loom
# rebuilds everything.
loom_suite() {
  CARGO_TARGET_DIR=target/loom RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS="${LOOM_MAX_PREEMPTIONS:-3}" \
    cargo test --quiet --lib loom_
}

# Refuse an unknown name before the long native build.
for s in "${suites[@]}"; do
  if [[ " ${all[*]} " != *" $s "* ]]; then
    echo "unknown suite '$s' (suites: ${all[*]})" >&2; exit 2
  fi
done

# Tools a fresh machine compiles from crates.io, started now in the background at the lowest
# priority, so that they take the CPU the suites before theirs leave idle. rcodesign: the dist
# suite's macOS signature check (scripts/dist/lib.sh's rcodesign_path; its lock makes
# tests/dist/macos.sh wait for this build).
if [[ " ${suites[*]} " == *" dist "* ]]; then
  mkdir -p target/tools
  nice -n 19 bash -c 'source scripts/dist/lib.sh && rcodesign_path' >/dev/null 2>target/tools/rcodesign-build.log &
fi
# The same for cargo-deny, which the deny suite needs.
if [[ " ${suites[*]} " == *" deny "* ]]; then
  mkdir -p target/tools
  (nice -n 19 bash -c "$(declare -f install_cargo_deny); CARGO_DENY_VERSION=$CARGO_DENY_VERSION install_cargo_deny") \
    >/dev/null 2>target/tools/cargo-deny-build.log &
fi

echo "=== building the native library and CLI ==="
build_start=$SECONDS
scripts/build-native.sh || { echo "native build failed"; exit 1; }
timings+=("native-build $((SECONDS - build_start))s")

for i in "${!suites[@]}"; do
  for line in "${SUITES[@]}"; do
    [ "${line%% *}" = "${suites[$i]}" ] || continue
    read -r -a command <<<"${line#* }"
    run_suite "${suites[$i]}" "${command[@]}"
  done
  prune_after "$i"
done

echo
# Every suite's time on one line, last, where a CI log's tail keeps it (the 60-minute budget).
echo "times: ${timings[*]} (total $SECONDS s, $(free_gib) GiB free at the end)"
[ ${#failed_names[@]} -gt 0 ] && echo "failed suites: ${failed_names[*]}"
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
