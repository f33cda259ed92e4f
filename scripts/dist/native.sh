#!/usr/bin/env bash
# Builds libtpauth and the `tpauth` command once per release target, into target/dist/<rust-target>/,
# where every packaging part copies from:
#   libtpauth.so    Linux: stripped (dynamic symbols only), SONAME libtpauth.so.0.<minor> (build.rs)
#   libtpauth.dylib macOS: install name @rpath/libtpauth.0.<minor>.dylib (build.rs), minos of the
#                   target's tag, signed ad hoc by ld64.lld (arm64) and never edited afterwards
#   libtpauth.a     debug info and rustc's embedded LLVM bitcode (.llvmbc, unused by any linker)
#                   stripped
#   tpauth          the command (token, mock, demo, serve: `--features cli --bin tpauth`): static
#                   musl on Linux (one per architecture, also shipped in the glibc packages and as a
#                   container binary), a Mach-O program on macOS
#
# The library is built with `cargo rustc --crate-type cdylib,staticlib`: Cargo.toml's crate types
# include rlib (for the CLI, the tests and the bindings), and cargo performs LTO only when every
# crate type of a unit can take it, so a plain `cargo build --lib` links without LTO (larger, and
# and on macOS with every Rust symbol exported).
# Linux targets link with cargo-zigbuild (glibc 2.17 for -gnu); macOS with clang and ld64.lld
# through lib.sh's darwin_env (zig compiles the C; no Apple SDK). Each target's dependencies are built
# once in target/dist-build and reused by the library, the CLI (macOS) and later runs.
# Usage: scripts/dist/native.sh [rust-target...]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$DIST_ROOT"
source scripts/ensure-rust.sh
source scripts/ensure-apt.sh
ensure_apt llvm-strip llvm
dist_tools
targets=("${@:-${DIST_TARGETS[@]}}")
dist_rust_targets "${targets[@]}"

# cargo for target $1 with the rest of the arguments, zig as the linker.
cargo_for() {
  local t=$1; shift
  if is_darwin "$t"; then
    (darwin_env "$t" && cargo "$@" --target "$t")
  else
    cargo-zigbuild "$@" --target "$(zig_target "$t")"
  fi
}

# The static musl CLI of an architecture (built once, shared by its gnu and musl packages).
cli_musl_target() { case $1 in x86_64-unknown-linux-*) echo x86_64-unknown-linux-musl ;; aarch64-unknown-linux-*) echo aarch64-unknown-linux-musl ;; *) return 1 ;; esac; }

for t in "${targets[@]}"; do
  start=$SECONDS
  env_t=$(echo "$t" | tr 'a-z-' 'A-Z_')
  case $t in
    # A musl cdylib needs the C runtime linked dynamically (musl's default is a static binary).
    *-musl) export "CARGO_TARGET_${env_t}_RUSTFLAGS=-C target-feature=-crt-static" ;;
  esac
  CARGO_TARGET_DIR="$DIST_BUILD" cargo_for "$t" rustc --quiet --release --locked -p tpauth --lib --crate-type cdylib,staticlib
  out="$DIST_NATIVE/$t"
  built="$DIST_BUILD/$t/release"
  rm -rf "$out"; mkdir -p "$out"
  if is_darwin "$t"; then
    cp "$built/libtpauth.dylib" "$out/libtpauth.dylib"
    llvm-strip --strip-debug -o "$out/libtpauth.a" "$built/libtpauth.a" 2>/dev/null || cp "$built/libtpauth.a" "$out/libtpauth.a"
    # (cargo links the library's crate types for the program too, the cdylib without LTO: see
    # lib.sh's TPAUTH_ZIG_UNDEFINED_OK; the library shipped is the one copied above)
    TPAUTH_ZIG_UNDEFINED_OK=1 CARGO_TARGET_DIR="$DIST_BUILD" cargo_for "$t" build --quiet --release --locked -p tpauth --features cli --bin tpauth
    cp "$built/tpauth" "$out/tpauth"
  else
    llvm-strip --strip-unneeded -o "$out/libtpauth.so" "$built/libtpauth.so"
    llvm-strip --strip-debug --remove-section=.llvmbc --remove-section=.llvmcmd -o "$out/libtpauth.a" "$built/libtpauth.a"
  fi
  echo "dist: native $t ($((SECONDS - start)) s): $(stat -c %s "$out/$(native_shared_name "$t")") B $(native_shared_name "$t"), $(stat -c %s "$out/libtpauth.a") B .a" >&2
done

# The command for Linux: static musl, one per architecture that any Linux target above needs, in
# its own target dir (a static binary takes musl's default +crt-static, the library the opposite:
# one dir each, so neither rebuilds the other's dependencies).
declare -A cli_done=()
for t in "${targets[@]}"; do
  m=$(cli_musl_target "$t") || continue
  if [ -z "${cli_done[$m]:-}" ]; then
    start=$SECONDS
    dist_rust_targets "$m"
    env_m=$(echo "$m" | tr 'a-z-' 'A-Z_')
    (unset "CARGO_TARGET_${env_m}_RUSTFLAGS"
     CARGO_TARGET_DIR="$DIST_BUILD-cli" cargo-zigbuild build --quiet --release --locked -p tpauth --features cli --bin tpauth --target "$m")
    mkdir -p "$DIST_NATIVE/cli/$m"
    llvm-strip --strip-all -o "$DIST_NATIVE/cli/$m/tpauth" "$DIST_BUILD-cli/$m/release/tpauth"
    prune_build "$DIST_BUILD-cli/$m"
    cli_done[$m]=1
    echo "dist: tpauth command $m, static ($((SECONDS - start)) s): $(stat -c %s "$DIST_NATIVE/cli/$m/tpauth") B" >&2
  fi
  cp "$DIST_NATIVE/cli/$m/tpauth" "$DIST_NATIVE/$t/tpauth"
done
