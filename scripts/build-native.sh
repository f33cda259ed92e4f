#!/usr/bin/env bash
# Build what every language's tests need, once: libtpauth.so + libtpauth.a (release) and the
# `tpauth` CLI (which runs the mock server). Everyone uses this exact command so the artifacts
# are built once and shared. Prints nothing but cargo's errors.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-rust.sh
cargo build --release --features cli --quiet
# build.rs links libtpauth.so with the SONAME libtpauth.so.0.<minor> (libtpauth.so.<major> from
# 1.0): programs linked against target/release/libtpauth.so ask for that name at run time, so it
# is there too, as a link (what `make install` and the C tarballs also ship).
version=$(sed -n '/^\[package\]/,/^\[/{s/^version = "\([^"]*\)".*/\1/p}' Cargo.toml | head -n1)
major=${version%%.*}; minor=${version#*.}; minor=${minor%%.*}
if [ "$major" = 0 ]; then soname=libtpauth.so.0.$minor; else soname=libtpauth.so.$major; fi
[ "$(readlink target/release/$soname 2>/dev/null)" = libtpauth.so ] || ln -sfn libtpauth.so "target/release/$soname"
