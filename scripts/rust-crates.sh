#!/usr/bin/env bash
# Rust is a surface of its own: the crates `tpauth` and `tpauth-mock` as a user's Cargo.toml gets
# them from crates.io. The rust suite runs this after the tests.
#  1. `cargo publish --dry-run` of both crates: packages exactly the files each `include` lists,
#     builds the packaged sources (tpauth against the packaged tpauth-mock, through cargo's local
#     overlay registry) and uploads nothing. `--no-verify` would only check the manifests; the build
#     is what catches a file missing from `include`. It needs crates.io's index (`--offline` fails:
#     "attempting to make an HTTP request"); the registry is reachable here and in CI.
#  2. `rust-version` holds: `cargo check` of both crates, library and CLI, every feature, with the
#     locked dependencies, on the toolchain `rust-version` names (rustup installs it, minimal
#     profile, when it is missing). Its own target dir, kept between runs.
#  3. Every public item of `tpauth` has an example in its documentation: rustdoc's JSON output of
#     the crate, walked by scripts/lib/doc_examples.py (the C ABI's module `ffi` is left out: its
#     examples are C, in include/tpauth.h and docs/c-abi.md). The JSON output is unstable; it is
#     taken from the same pinned toolchain (RUSTC_BOOTSTRAP=1), so its format only changes with
#     rust-version, in a target dir of its own (RUSTC_BOOTSTRAP lets dependencies' build scripts
#     turn on nightly code, which the MSRV check must not see).
# Prints only what fails; exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-rust.sh

# --allow-dirty: a local run with uncommitted work still checks what the files hold now.
if ! out=$(cargo publish --dry-run --allow-dirty --quiet -p tpauth -p tpauth-mock 2>&1); then
  echo "$out" | grep -v '^ *Compiling ' | tail -30
  echo "rust-crates: cargo publish --dry-run failed" >&2
  exit 1
fi

msrv=$(sed -n '/^\[package\]/,/^\[/{s/^rust-version = "\([^"]*\)".*/\1/p}' Cargo.toml | head -n1)
[ -n "$msrv" ] || { echo "rust-crates: Cargo.toml has no rust-version" >&2; exit 1; }
mock_msrv=$(sed -n 's/^rust-version = "\([^"]*\)".*/\1/p' mock/Cargo.toml | head -n1)
[ "$mock_msrv" = "$msrv" ] || { echo "rust-crates: mock/Cargo.toml's rust-version '$mock_msrv' is not $msrv" >&2; exit 1; }
if ! cargo "+$msrv" --version >/dev/null 2>&1; then
  rustup toolchain install "$msrv" --profile minimal >/dev/null 2>&1 ||
    { echo "rust-crates: rustup could not install Rust $msrv" >&2; exit 1; }
fi
if ! CARGO_TARGET_DIR=target/msrv cargo "+$msrv" check --quiet --locked -p tpauth -p tpauth-mock --all-features --lib --bins 2>target/msrv.log; then
  grep -v '^warning\|^ *|\|^ *=\|^$' target/msrv.log | head -30
  echo "rust-crates: Rust $msrv (rust-version) cannot build the crates: raise rust-version or keep to its features" >&2
  exit 1
fi
rm -f target/msrv-doc/doc/tpauth.json
if ! RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR=target/msrv-doc cargo "+$msrv" rustdoc --quiet --locked -p tpauth --lib --all-features \
  -- -Z unstable-options --output-format json 2>target/msrv-doc.log || [ ! -f target/msrv-doc/doc/tpauth.json ]; then
  tail -30 target/msrv-doc.log
  echo "rust-crates: rustdoc --output-format json failed" >&2
  exit 1
fi
python3 scripts/lib/doc_examples.py target/msrv-doc/doc/tpauth.json --skip ffi || {
  echo "rust-crates: give each item above an example (a doctest; no_run when it needs a server)" >&2
  exit 1
}
echo "rust-crates: both crates package and build; Rust $msrv (rust-version) builds them; every public item has an example"
