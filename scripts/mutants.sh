#!/usr/bin/env bash
# Mutation testing of the core with cargo-mutants (configuration: .cargo/mutants.toml; scores and
# the reasons for each exclusion: docs/proof.md). Mutates one source file at a time (`-j 1`) and
# runs that file's own tests against each mutant: the lib's unit tests and the integration tests
# listed below. For the managed token's state machine, the mutants those tests miss then meet the
# loom suite (`--cfg loom`, its own target dir) through `cargo mutants --iterate`.
#
# Usage: scripts/mutants.sh [FILE...]   (default: every file below; `scripts/test-all.sh mutants`)
#   MUTANTS_ARGS="--re renew_locked" scripts/mutants.sh src/auth/managed.rs   (more cargo-mutants
#   arguments, e.g. only the mutants of some functions)
# Hours on 2 cores, so not in the default test command. Results: target/mutants/<file>/mutants.out
# (caught.txt, missed.txt, timeout.txt, unviable.txt). Prints one line per file; exits non-zero
# when a mutant survives (missed) in any file.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
source scripts/ensure-rust.sh
CARGO_MUTANTS_VERSION=27.1.0
if ! cargo mutants --version 2>/dev/null | grep -q "$CARGO_MUTANTS_VERSION"; then
  cargo install cargo-mutants --locked --version "$CARGO_MUTANTS_VERSION"
fi

# Each file and the integration tests that exercise it (tests/NAME.rs).
declare -A TESTS=(
  [src/auth/managed.rs]="contention lifecycle log_callback flows managed_token hot_path renewal"
  [src/auth/renewal.rs]="renewal contention lifecycle log_callback flows cache_attacks managed_token security file_cache"
  [src/auth/sync.rs]="contention lifecycle managed_token hot_path"
  [src/auth/api_call.rs]="flows fault_matrix security api_headers keepalive rust_api"
  [src/auth/endpoint.rs]="flows fault_matrix lifecycle security pkce api_headers keepalive"
  [src/auth/classify.rs]="flows fault_matrix security rust_api"
  [src/auth/mod.rs]="flows lifecycle security pkce api_headers tls managed_token renewal rust_api hot_path"
  [src/cache/mod.rs]="cache_attacks lifecycle cache_default file_cache renewal"
  [src/cache/entry.rs]="cache_attacks lifecycle file_cache"
  [src/cache/file.rs]="cache_attacks lifecycle file_cache cache_default"
  [src/cache/file/unix.rs]="cache_attacks lifecycle file_cache"
  [src/cache/redis.rs]="redis"
  [src/cache/redis/connection.rs]="redis"
  [src/cache/redis/target.rs]="redis"
  [src/url.rs]="security flows api_headers"
  [src/url/form.rs]="flows pkce security"
  [src/redirect.rs]="flows pkce ffi_no_io"
  [src/token.rs]="token_new flows lifecycle ffi_no_io managed_token hot_path"
)
# The files whose surviving mutants also meet the loom suite (the state machine and its locks).
LOOM_FILES=" src/auth/managed.rs src/auth/sync.rs "
ORDER=(src/auth/managed.rs src/auth/sync.rs src/auth/renewal.rs src/auth/api_call.rs src/auth/endpoint.rs
  src/auth/classify.rs src/auth/mod.rs src/cache/mod.rs src/cache/entry.rs src/cache/file.rs
  src/cache/file/unix.rs src/cache/redis.rs src/cache/redis/connection.rs src/cache/redis/target.rs
  src/url.rs src/url/form.rs src/redirect.rs src/token.rs)
files=("${@:-${ORDER[@]}}")

# Built once for every run (only this crate is rebuilt per mutant); no debug info: faster links.
export CARGO_PROFILE_DEV_DEBUG=0 CARGO_PROFILE_TEST_DEBUG=0
OUT=$ROOT/target/mutants
mkdir -p "$OUT"

count() { if [ -f "$1" ]; then grep -c . "$1"; else echo 0; fi; }

status=0
printf '%-32s %7s %6s %6s %7s %8s\n' file mutants caught missed timeout unviable
for f in "${files[@]}"; do
  if [ -z "${TESTS[$f]+x}" ]; then echo "mutants.sh: no tests listed for $f" >&2; status=1; continue; fi
  slug=${f//\//_}
  # shellcheck disable=SC2206 # MUTANTS_ARGS is a list of words on purpose.
  extra=(${MUTANTS_ARGS:-})
  args=(--jobs 1 --file "$f" --output "$OUT/$slug" --cargo-arg=--lib "${extra[@]}")
  for t in ${TESTS[$f]}; do args+=("--cargo-arg=--test=$t"); done
  run=(cargo mutants "${args[@]}")
  if [[ " ${TESTS[$f]} " == *" redis "* ]]; then
    # The Redis tests need the servers tests/redis/run.sh starts, and take turns.
    run=(tests/redis/run.sh --run "${run[@]}" -- -- --test-threads=1)
  fi
  echo "=== $f: unit tests and ${TESTS[$f]} ===" >&2
  CARGO_TARGET_DIR=$OUT/build nice -n 10 "${run[@]}" >&2
  o=$OUT/$slug/mutants.out
  caught=$(count "$o/caught.txt") missed=$(count "$o/missed.txt") timeout=$(count "$o/timeout.txt")
  unviable=$(count "$o/unviable.txt")
  if [[ $LOOM_FILES == *" $f "* ]] && [ "$missed" -gt 0 ]; then
    # Only the survivors meet loom: --iterate skips what its output directory lists as caught
    # (a timeout is a hang the tests caught) or unviable.
    echo "=== $f: the $missed survivors against the loom suite ===" >&2
    l=$OUT/$slug-loom/mutants.out
    rm -rf "$OUT/$slug-loom" && mkdir -p "$l"
    cat "$o/caught.txt" "$o/timeout.txt" >"$l/caught.txt" 2>/dev/null
    cp "$o/unviable.txt" "$l/unviable.txt" 2>/dev/null
    CARGO_TARGET_DIR=$OUT/loom RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=3 nice -n 10 \
      cargo mutants --jobs 1 --file "$f" --output "$OUT/$slug-loom" --iterate --cargo-arg=--lib --cargo-test-arg=loom_ "${extra[@]}" >&2
    caught=$((caught + $(count "$l/caught.txt"))) timeout=$((timeout + $(count "$l/timeout.txt")))
    unviable=$((unviable + $(count "$l/unviable.txt"))) missed=$(count "$l/missed.txt") o=$l
  fi
  printf '%-32s %7s %6s %6s %7s %8s\n' "$f" $((caught + missed + timeout + unviable)) "$caught" "$missed" "$timeout" "$unviable"
  if [ "$missed" -gt 0 ]; then
    sed 's/^/    survived: /' "$o/missed.txt"
    status=1
  fi
done
exit $status
