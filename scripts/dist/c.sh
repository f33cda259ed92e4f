#!/usr/bin/env bash
# dist/c/tpauth-<version>-<rust-target>.tar.gz, one per target, made by the repository's own CMake
# install rules (CMakeLists.txt) from target/dist/<rust-target>/, so a tarball holds exactly what
# `make install` installs:
#   lib/libtpauth.so.<version>, lib/libtpauth.so.0.<minor> -> it (the SONAME), lib/libtpauth.so -> that
#     (macOS: lib/libtpauth.0.<minor>.dylib, its install name @rpath/libtpauth.0.<minor>.dylib, and
#     lib/libtpauth.dylib -> it)
#   lib/libtpauth.a, include/{tpauth.h,tpauth_ffi.h,tpauth.hpp}
#   lib/pkgconfig/tpauth.pc      relocatable: prefix=${pcfiledir}/../..; Libs with -Wl,-rpath,${libdir}
#   lib/cmake/tpauth/            find_package(tpauth 0.<minor>), SameMinorVersion below 1.0
#   bin/tpauth                   the command (token, mock, demo): static musl on Linux, so the glibc
#                                and musl tarballs of an architecture hold the same one
#   README.md                    the user's README (scripts/dist/c-README.md): install, a program, pkg-config
# and, per Linux architecture, the command alone for containers (static musl, no dependency):
#   dist/c/tpauth-cli-<version>-<arch>-linux-musl   (COPY it into any image, even FROM scratch)
#   share/doc/tpauth/            README.md, CHANGELOG.md, LICENSE-MIT, LICENSE-APACHE
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$DIST_ROOT"
source scripts/ensure-apt.sh
ensure_apt cmake cmake
ensure_apt cc gcc
ensure_apt readelf binutils
version=$(tpauth_version)
out="$DIST_OUT/c"
rm -rf "$out"; mkdir -p "$out"

# What the static library needs from the system: `rustc --print native-static-libs` for the target
# (the musl build links the C runtime dynamically, hence gcc_s for the unwinder).
static_libs() {
  case $1 in
    *-linux-gnu) echo "gcc_s;util;rt;pthread;m;dl;c" ;;
    *-linux-musl) echo "gcc_s;c" ;;
    # With LTO nothing else is referenced (the Security framework code the redis crate's TLS pulls
    # in is never called: see lib.sh's darwin_env).
    *-apple-darwin) echo "System" ;;
    *) return 1 ;;
  esac
}

for t in "${DIST_TARGETS[@]}"; do
  libs=$(static_libs "$t") || continue
  so=$DIST_NATIVE/$t/$(native_shared_name "$t")
  [ -f "$so" ] || { echo "dist/c: $so missing (scripts/dist/native.sh)" >&2; exit 1; }
  name="tpauth-$version-$t"
  build="$DIST_ROOT/target/dist-c/$t"
  stage="$DIST_ROOT/target/dist-c/stage/$name"
  rm -rf "$build" "$stage"; mkdir -p "$(dirname "$build")"
  if ! { cmake -S . -B "$build" -DTPAUTH_BUILD_NATIVE=OFF -DTPAUTH_NATIVE_DIR="$DIST_NATIVE/$t" \
           -DCMAKE_INSTALL_PREFIX=/opt/tpauth -DCMAKE_INSTALL_LIBDIR=lib -DCMAKE_INSTALL_INCLUDEDIR=include \
           -DTPAUTH_RELOCATABLE_PC=ON "-DTPAUTH_STATIC_LIBS=$libs" &&
         cmake --install "$build" --prefix "$stage"; } >"$build.log" 2>&1; then
    cat "$build.log" >&2; echo "dist/c: CMake install for $t failed" >&2; exit 1
  fi
  mkdir -p "$stage/share/doc/tpauth" "$stage/bin"
  [ -x "$DIST_NATIVE/$t/tpauth" ] || { echo "dist/c: $DIST_NATIVE/$t/tpauth missing (scripts/dist/native.sh)" >&2; exit 1; }
  cp "$DIST_NATIVE/$t/tpauth" "$stage/bin/tpauth"
  sed "s/@VERSION@/$version/g; s/@TARGET@/$t/g" scripts/dist/c-README.md >"$stage/README.md"
  cp "$stage/README.md" "$stage/share/doc/tpauth/README.md"
  dist_docs "$stage/share/doc/tpauth"
  tar -C "$(dirname "$stage")" --owner=0 --group=0 --numeric-owner -czf "$out/$name.tar.gz" "$name"
  echo "dist: $name.tar.gz $(stat -c %s "$out/$name.tar.gz") B" >&2
done

# The command alone, one static program per Linux architecture (the one inside the tarballs).
for m in x86_64-unknown-linux-musl aarch64-unknown-linux-musl; do
  prog=$DIST_NATIVE/cli/$m/tpauth
  [ -x "$prog" ] || continue
  cp "$prog" "$out/tpauth-cli-$version-${m%%-*}-linux-musl"
  echo "dist: tpauth-cli-$version-${m%%-*}-linux-musl $(stat -c %s "$prog") B (static)" >&2
done
