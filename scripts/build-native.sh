#!/usr/bin/env bash
# Build what every language's tests need, once: libtpauth.so + libtpauth.a (release) and the
# `tpauth` CLI (which runs the mock server). Everyone uses this exact command so the artifacts
# are built once and shared. Prints nothing but cargo's errors.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-rust.sh
cargo build --release --features cli --quiet
# build.rs links libtpauth.so with the SONAME scripts/lib/version.sh names (libtpauth.so.0.<minor>
# below 1.0): programs linked against target/release/libtpauth.so ask for that name at run time, so
# it is there too, as a link (what `make install` and the C tarballs also ship).
# build.rs cannot source this script, so the one rule is written twice: refuse a build where they
# disagree (readelf comes with binutils, which the linker cargo just used belongs to).
source scripts/lib/version.sh
linked=$(readelf -d target/release/libtpauth.so | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
if [ "$linked" != "$TPAUTH_SONAME" ]; then
  echo "build-native: build.rs linked libtpauth.so as '$linked', scripts/lib/version.sh says $TPAUTH_SONAME: make the two rules agree" >&2
  exit 1
fi
[ "$(readlink "target/release/$TPAUTH_SONAME" 2>/dev/null)" = libtpauth.so ] || ln -sfn libtpauth.so "target/release/$TPAUTH_SONAME"
