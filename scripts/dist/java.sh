#!/usr/bin/env bash
# dist/java: the Maven artifacts of io.github.tpauth, built by bindings/java's reactor from the
# native libraries scripts/dist/native.sh left in target/dist/<rust-target>/, deployed into a Maven
# repository layout a user can point mvn at (<repository><url>file:///.../dist/java/maven</url>):
#   dist/java/maven/io/github/tpauth/<artifact>/<version>/<artifact>-<version>{.jar,-sources.jar,-javadoc.jar,.pom}
#     (+ .md5 .sha1 .sha256 .sha512 each, as Maven Central wants; the release workflow adds .asc)
#   artifacts: tpauth-parent (pom), tpauth (every platform's library under
#   io/github/tpauth/native/<os>-<arch>/), tpauth-okhttp, tpauth-http, tpauth-spring
# The platforms are DIST_PLATFORMS' rows (scripts/dist/lib.sh), named as the jar's loader names
# them (java_platform below): every row whose triple is a release target (DIST_TARGETS) must have
# its library; the Windows row's DLL is built here when windows.sh has not run yet (the same
# command, so one build serves both); a row of neither kind is left out, with a message.
# Usage: scripts/dist/java.sh   (or through scripts/dist.sh)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$DIST_ROOT"
source scripts/ensure-apt.sh
ensure_apt javac default-jdk-headless
ensure_apt mvn maven
version=$(tpauth_version)
out=$DIST_OUT/java
work=$DIST_ROOT/target/dist-java
natives=$work/natives
rm -rf "$out" "$work"; mkdir -p "$out" "$natives"

# The jar's folder for a Rust target (bindings/java/.../Platform.java names the running platform
# the same way): <os>-<arch>, os one of linux, linux-musl, darwin, windows.
java_platform() {
  local arch=${1%%-*} os
  case $1 in
    *-linux-gnu) os=linux ;;
    *-linux-musl) os=linux-musl ;;
    *-apple-darwin) os=darwin ;;
    *-windows-*) os=windows ;;
    *) return 1 ;;
  esac
  case $arch in x86_64 | aarch64) ;; *) return 1 ;; esac
  echo "$os-$arch"
}
# The library's file name in the jar (what the loader asks for on that OS).
java_library_file() { case $1 in *windows*) echo tpauth.dll ;; *darwin*) echo libtpauth.dylib ;; *) echo libtpauth.so ;; esac; }

# The built library of a target: target/dist/<t>/ (a Mach-O may carry its versioned name).
built_library() {
  local t=$1 d=$DIST_NATIVE/$1 f
  for f in "$d/$(java_library_file "$t")" "$d/$(native_shared_name "$t")" "$d"/libtpauth*.dylib; do
    [ -f "$f" ] && { echo "$f"; return 0; }
  done
  return 1
}

windows_dll() {  # scripts/dist/windows.sh's build of the DLL, when it has not run yet
  local t=x86_64-pc-windows-gnu
  source scripts/ensure-rust.sh
  ensure_apt x86_64-w64-mingw32-gcc mingw-w64
  dist_rust_targets "$t"
  cargo build --quiet --release --locked -p tpauth --lib --target "$t"
  mkdir -p "$DIST_NATIVE/$t"
  x86_64-w64-mingw32-strip --strip-unneeded -o "$DIST_NATIVE/$t/tpauth.dll" "$DIST_ROOT/target/$t/release/tpauth.dll"
}

platforms=()
while read -r t _; do
  [ -n "$t" ] || continue
  plat=$(java_platform "$t") || { echo "dist/java: no Java platform name for $t: left out" >&2; continue; }
  lib=$(built_library "$t") || lib=
  if [ -z "$lib" ]; then
    if [[ " ${DIST_TARGETS[*]} " == *" $t "* ]]; then
      echo "dist/java: $DIST_NATIVE/$t has no library (scripts/dist/native.sh)" >&2; exit 1
    elif [[ $t == *-windows-gnu ]]; then
      windows_dll; lib=$(built_library "$t")
    else
      echo "dist/java: $t is not a release target here (DIST_TARGETS): left out of the jar" >&2; continue
    fi
  fi
  file=$(java_library_file "$t")
  mkdir -p "$natives/$plat"
  cp "$lib" "$natives/$plat/$file"
  (cd "$natives/$plat" && sha256sum "$file" >"$file.sha256")
  platforms+=("$plat")
  echo "dist/java: $plat <- $lib" >&2
done < <(grep -v '^[[:space:]]*$' <<<"$DIST_PLATFORMS")
printf '%s\n' "${platforms[@]}" >"$natives/platforms.txt"

# The reactor with the release profile (-sources.jar, -javadoc.jar), the natives packed into the
# tpauth jar, deployed (not installed: the local repository stays free of these artifacts) into
# the layout. Jar entries carry the commit's time, so a rebuild gives the same bytes.
stamp=$(git log -1 --format=%cI 2>/dev/null || date -u +%Y-%m-%dT%H:%M:%SZ)
mvn -B -q --no-transfer-progress -f bindings/java/pom.xml -Dmaven.repo.local="$DIST_ROOT/target/m2/repository" -Prelease \
  -Drevision="$version" -Dtpauth.natives.dir="$natives" -Dproject.build.outputTimestamp="$stamp" -DskipTests \
  -Dmaven.install.skip=true -DaltDeploymentRepository="tpauth-dist::file://$out/maven" clean deploy

# The checksums Central also accepts (sha256, sha512) beside the md5 and sha1 deploy wrote, and
# the timestamped metadata of a release layout.
find "$out/maven" -type f \( -name '*.jar' -o -name '*.pom' \) | while read -r f; do
  sha256sum "$f" | cut -d' ' -f1 >"$f.sha256"
  sha512sum "$f" | cut -d' ' -f1 >"$f.sha512"
done
cp bindings/java/README.md "$out/README.md"
dist_docs "$out"
jar=$out/maven/io/github/tpauth/tpauth/$version/tpauth-$version.jar
[ -f "$jar" ] || { echo "dist/java: $jar missing" >&2; exit 1; }
echo "dist: java $version: $(find "$out/maven" -name '*.jar' | wc -l) jars, tpauth-$version.jar $(stat -c %s "$jar") B with ${platforms[*]}" >&2
