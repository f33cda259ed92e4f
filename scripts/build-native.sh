#!/usr/bin/env bash
# Build what every language's tests need, once: libtpauth.so + libtpauth.a (release) and the
# `tpauth` CLI (which runs the mock server). Everyone uses this exact command so the artifacts
# are built once and shared. Prints nothing but cargo's errors.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-rust.sh
cargo build --release --features cli --quiet
