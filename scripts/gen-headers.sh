#!/usr/bin/env bash
# Regenerate include/tpauth.h and include/tpauth_ffi.h from src/ffi/ (cbindgen, run by build.rs into
# OUT_DIR), by running the header-freshness test in update mode. Commit the result.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-rust.sh
mkdir -p include
TPAUTH_UPDATE_HEADERS=1 cargo test --release --quiet --test header >/dev/null
cargo test --release --quiet --test header >/dev/null
echo "include/tpauth.h and include/tpauth_ffi.h are up to date"
