#!/usr/bin/env bash
# Fuzz the parsers, one target at a time (the machine is shared). Fails if any target finds a crash,
# a panic, a leak or a timeout (the reproducer is left in fuzz/artifacts/TARGET/). Two modes:
#
#   fuzz/run.sh [SECONDS] [TARGET...]   explore: each target for SECONDS (default 30) from a random
#                                       seed, starting from the committed seeds (fuzz/seeds/TARGET)
#                                       plus what fuzz/corpus/TARGET kept from earlier runs.
#   fuzz/run.sh --ci [TARGET...]        the test command's gate: each target runs a fixed number of
#                                       inputs (about 30 s here) from a fixed seed, starting from the
#                                       committed seeds alone, so one commit always gets one verdict.
#                                       A gate that fails on whatever a random walk finds that day
#                                       would fail commits that changed nothing; new findings come
#                                       from exploring and land as seeds with their fix.
#
# Needs cargo-fuzz and a nightly toolchain; installs both when missing (nightly from rustup; if that
# cannot be had, the stable toolchain with RUSTC_BOOTSTRAP=1, whose rust-std ships the ASan runtime).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-rust.sh
ci=false
if [ "${1:-}" = --ci ]; then ci=true; shift; secs=0; else secs=${1:-30}; shift || true; fi
# Inputs per target in --ci mode: about 30 s each on one core of a shared 2-core machine.
declare -A ci_runs=([token_response]=1000000 [redirect]=400000 [config_set]=150000 [form_urlencode]=2000000 [cache_file]=600000)
targets=("${@:-token_response redirect config_set form_urlencode cache_file}")
read -r -a targets <<<"${targets[*]}"
toolchain=+nightly
if ! rustc +nightly --version >/dev/null 2>&1; then
  if ! rustup toolchain install nightly --profile minimal >/dev/null 2>&1; then
    echo "no nightly toolchain: using stable with RUSTC_BOOTSTRAP=1" >&2
    toolchain=+stable; export RUSTC_BOOTSTRAP=1
  fi
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz" >&2
  cargo install --quiet --locked cargo-fuzz
fi
cargo "$toolchain" fuzz build -O --debug-assertions >/dev/null 2>&1 || cargo "$toolchain" fuzz build -O --debug-assertions
bin=fuzz/target/x86_64-unknown-linux-gnu/release
passed=0; failed=0
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
  log=fuzz/artifacts/$t/last-run.log
  if $ci; then
    # A fresh corpus each time: what earlier runs kept would change the walk.
    corpus=target/fuzz-ci/$t; rm -rf "$corpus"; mkdir -p "$corpus"
    budget=(-seed=1 -runs="${ci_runs[$t]:?no --ci budget for $t}")
  else
    corpus=fuzz/corpus/$t; budget=(-max_total_time="$secs")
  fi
  if "$bin/$t" "${budget[@]}" -rss_limit_mb=2048 -timeout=10 -artifact_prefix="fuzz/artifacts/$t/" \
    "$corpus" "fuzz/seeds/$t" >"$log" 2>&1; then
    passed=$((passed + 1)); echo "ok   $t: $(grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$log")"
  else
    failed=$((failed + 1)); echo "FAIL $t (see $log)"; grep -E 'panicked|ERROR|SUMMARY' "$log" | head -5
  fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
