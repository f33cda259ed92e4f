#!/usr/bin/env bash
# shellcheck disable=SC2034  # sourced: the variables are read by the scripts that source it
# The build facts, worked out once from the one declared version (Cargo.toml's [package] version).
# Every shell script sources this file; CMakeLists.txt runs it and reads the NAME=value lines it
# prints. Sets:
#   TPAUTH_VERSION        0.1.0
#   TPAUTH_VERSION_MAJOR  0   TPAUTH_VERSION_MINOR  1   TPAUTH_VERSION_PATCH  0
#   TPAUTH_SOVERSION      0.1 while below 1.0 (a 0.x minor release may break the ABI, as cargo-c
#                         and rustls-ffi treat it), the major from 1.0 on
#   TPAUTH_SONAME         libtpauth.so.$TPAUTH_SOVERSION
#   TPAUTH_COMPATIBILITY  the CMake package's version rule: SameMinorVersion below 1.0, else
#                         SameMajorVersion
# build.rs applies the same SONAME rule when cargo links the library (a build script cannot count on
# a shell on every host cargo runs on); scripts/build-native.sh checks the two agree on every build.

TPAUTH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TPAUTH_VERSION=$(sed -n '/^\[package\]/,/^\[/{s/^version = "\([^"]*\)".*/\1/p}' "$TPAUTH_ROOT/Cargo.toml" | head -n1)
if ! [[ $TPAUTH_VERSION =~ ^([0-9]+)\.([0-9]+)\.([0-9]+)(-[0-9A-Za-z.-]+)?$ ]]; then
  echo "scripts/lib/version.sh: Cargo.toml's [package] version '$TPAUTH_VERSION' is not MAJOR.MINOR.PATCH[-PRE]" >&2
  return 1 2>/dev/null || exit 1
fi
TPAUTH_VERSION_MAJOR=${BASH_REMATCH[1]}
TPAUTH_VERSION_MINOR=${BASH_REMATCH[2]}
TPAUTH_VERSION_PATCH=${BASH_REMATCH[3]}
if [ "$TPAUTH_VERSION_MAJOR" = 0 ]; then
  TPAUTH_SOVERSION=0.$TPAUTH_VERSION_MINOR
  TPAUTH_COMPATIBILITY=SameMinorVersion
else
  TPAUTH_SOVERSION=$TPAUTH_VERSION_MAJOR
  TPAUTH_COMPATIBILITY=SameMajorVersion
fi
TPAUTH_SONAME=libtpauth.so.$TPAUTH_SOVERSION

# Run rather than sourced: print the facts, one NAME=value a line.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  for name in TPAUTH_VERSION TPAUTH_VERSION_MAJOR TPAUTH_VERSION_MINOR TPAUTH_VERSION_PATCH \
    TPAUTH_SOVERSION TPAUTH_SONAME TPAUTH_COMPATIBILITY; do
    echo "$name=${!name}"
  done
fi
