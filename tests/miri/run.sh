#!/usr/bin/env bash
# Miri over the C ABI's functions that do no network or file I/O (tests/ffi_no_io.rs) and the
# core's pure unit tests (the ffi helpers, form encoding, redirects, tokens, config): every pointer
# handed across the boundary is checked for use-after-free, double free, leaks, misaligned or
# out-of-bounds access and other undefined behaviour, with strict provenance. Isolation is off only
# because tokens read the clock and tp_new_state reads getrandom; nothing opens a file or socket.
# Installs the nightly toolchain's miri component when missing (from rustup's registry).
# Prints cargo test's summary; exits non-zero on failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/ensure-rust.sh
if ! cargo +nightly miri --version >/dev/null 2>&1; then
  rustup toolchain install nightly --profile minimal --component miri,rust-src >/dev/null
fi
export MIRIFLAGS="-Zmiri-disable-isolation -Zmiri-strict-provenance"
cargo +nightly miri test --quiet -p tpauth --test ffi_no_io
cargo +nightly miri test --quiet -p tpauth --lib -- ffi:: form:: redirect:: token:: config::
