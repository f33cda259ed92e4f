#!/usr/bin/env bash
# Fuzz every target for a while (default 30 s each, one at a time: the machine is shared), starting
# from the committed seeds (fuzz/seeds/TARGET) plus whatever fuzz/corpus/TARGET holds from earlier
# runs. Fails if any target finds a crash, a panic, a leak or a timeout (the reproducer is left in
# fuzz/artifacts/TARGET/). Needs cargo-fuzz and a nightly toolchain; installs both when missing
# (nightly from rustup; if that cannot be had, the stable toolchain with RUSTC_BOOTSTRAP=1, whose
# rust-std ships the ASan runtime too). Usage: fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-rust.sh
secs=${1:-30}; shift || true
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
  if "$bin/$t" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -artifact_prefix="fuzz/artifacts/$t/" \
    "fuzz/corpus/$t" "fuzz/seeds/$t" >"$log" 2>&1; then
    passed=$((passed + 1)); echo "ok   $t: $(grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$log")"
  else
    failed=$((failed + 1)); echo "FAIL $t (see $log)"; grep -E 'panicked|ERROR|SUMMARY' "$log" | head -5
  fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
