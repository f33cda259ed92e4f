#!/usr/bin/env bash
# The Java binding's tests: one Maven reactor build (bindings/java) whose JUnit 5 tests run through
# Surefire against the mock, with the library and CLI that scripts/build-native.sh built. Maven's
# downloads are cached in target/m2 (CI keeps target/). Installs a JDK and Maven from Debian when
# missing. Exits non-zero on any failure.
#   TPAUTH_JAVA_TESTS=Class[#method]  runs only those (Surefire's -Dtest), e.g. ContentionTest
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
source scripts/ensure-apt.sh
ensure_apt javac default-jdk-headless
ensure_apt mvn maven
scripts/build-native.sh

# One version: the parent POM's revision is Cargo.toml's.
version=$(sed -n '/^\[package\]/,/^\[/{s/^version = "\([^"]*\)".*/\1/p}' Cargo.toml | head -n1)
pom=$(sed -n 's:.*<revision>\(.*\)</revision>.*:\1:p' "$here/pom.xml" | head -n1)
if [ "$pom" != "$version" ]; then
  echo "bindings/java/pom.xml has <revision>$pom</revision>, Cargo.toml version $version" >&2
  exit 1
fi

lib="$root/target/release/libtpauth.so"
bin="$root/target/release/tpauth"
[ -f "$lib" ] && [ -x "$bin" ] || { echo "test.sh: $lib or $bin missing" >&2; exit 1; }
args=(-B -f "$here/pom.xml" -Dmaven.repo.local="$root/target/m2/repository"
  -Dtpauth.library.path="$lib" -Dtpauth.bin="$bin" -Dsurefire.printSummary=true)
if [ -n "${TPAUTH_JAVA_TESTS:-}" ]; then args+=(-Dtest="$TPAUTH_JAVA_TESTS" -Dsurefire.failIfNoSpecifiedTests=false); fi
# verify: each module's tests run in its own JVM after the module it depends on is packaged.
mvn "${args[@]}" --no-transfer-progress verify
