#!/usr/bin/env bash
# Builds libtpauth once per release target with cargo-zigbuild (glibc targets for glibc 2.17, i.e.
# manylinux2014), into target/dist/<rust-target>/:
#   libtpauth.so   stripped (dynamic symbols only), SONAME libtpauth.so.0.<minor> (build.rs)
#   libtpauth.a    debug info and rustc's embedded LLVM bitcode (.llvmbc, unused by any linker)
#                  stripped: 13 MB instead of 44 MB
# Every packaging part copies from there. Usage: scripts/dist/native.sh [rust-target...]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$DIST_ROOT"
source scripts/ensure-rust.sh
source scripts/ensure-apt.sh
ensure_apt llvm-strip llvm
dist_tools
targets=("${@:-${DIST_TARGETS[@]}}")
dist_rust_targets "${targets[@]}"

for t in "${targets[@]}"; do
  start=$SECONDS
  env_t=$(echo "$t" | tr 'a-z-' 'A-Z_')
  case $t in
    # A musl cdylib needs the C runtime linked dynamically (musl's default is a static binary).
    *-musl) export "CARGO_TARGET_${env_t}_RUSTFLAGS=-C target-feature=-crt-static" ;;
  esac
  CARGO_TARGET_DIR="$DIST_BUILD" cargo zigbuild --quiet --release --locked -p tpauth --lib --target "$(zig_target "$t")"
  out="$DIST_NATIVE/$t"
  rm -rf "$out"; mkdir -p "$out"
  llvm-strip --strip-unneeded -o "$out/libtpauth.so" "$DIST_BUILD/$t/release/libtpauth.so"
  llvm-strip --strip-debug --remove-section=.llvmbc --remove-section=.llvmcmd \
    -o "$out/libtpauth.a" "$DIST_BUILD/$t/release/libtpauth.a"
  echo "dist: native $t ($((SECONDS - start)) s): $(stat -c %s "$out/libtpauth.so") B .so, $(stat -c %s "$out/libtpauth.a") B .a" >&2
done
