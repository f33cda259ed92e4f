#!/usr/bin/env bash
# One version everywhere: Cargo.toml's [package] version must be the version of the Python crate,
# the wheels and sdist (file names and METADATA), the Go module's documented tag, composer.json
# (repository and dist/php), Tpauth.csproj, the nupkg (name and nuspec), the C tarballs (names,
# tpauth.pc, CMake version file), tp_version() of every built library, and CHANGELOG.md must have
# a section for it. Fails on the first disagreement it lists (it lists them all).
source "$(dirname "$0")/lib.sh"
cd "$DIST_ROOT" || exit 1
WORK=$(mktemp -d /tmp/tpauth-dist-version.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
export DIST_NAME=version  # read by lib.sh's dist_end
V=$VERSION
echo "--- version: $V (Cargo.toml)"
same() {  # same LABEL VALUE
  if [ "$2" = "$V" ]; then ok "$1: $2"; else bad "$1: '$2', not $V"; fi
}
toml_version() { sed -n '/^\[package\]/,/^\[/{s/^version = "\([^"]*\)".*/\1/p}' "$1" | head -n1; }
same "bindings/python/Cargo.toml" "$(toml_version bindings/python/Cargo.toml)"
same "bindings/php/src/Auth.php: Auth::VERSION" "$(sed -n "s/.*const VERSION = '\\([^']*\\)'.*/\\1/p" bindings/php/src/Auth.php | head -n1)"
same "bindings/dotnet/Tpauth.csproj <Version>" "$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' bindings/dotnet/Tpauth.csproj)"
same "bindings/go/README.md: go get ...@v" "$(sed -n 's/.*go get github.com[^@]*@v\([0-9.]*\).*/\1/p' bindings/go/README.md | head -n1)"
same "bindings/go/oauth2adapter/go.mod: requires the module at v" "$(sed -n 's|.*github.com/tpauth/tpauth/bindings/go v\([0-9.]*\)$|\1|p' bindings/go/oauth2adapter/go.mod | head -n1)"
same "bindings/node/package.json" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("version"))' bindings/node/package.json)"
same "docs/release.md: the Go tag bindings/go/v" "$(sed -n 's/.*`bindings\/go\/v\([0-9][0-9.]*\)`.*/\1/p' docs/release.md | head -n1)"
same "CHANGELOG.md: a ## [$V] section" "$(sed -n 's/^## \[\([0-9][0-9.]*\)\].*/\1/p' CHANGELOG.md | head -n1)"

if [ -d "$DIST_OUT" ]; then
  n=0
  for w in "$DIST_OUT"/python/*.whl "$DIST_OUT"/python/*.tar.gz; do
    [ -e "$w" ] || continue; n=$((n + 1))
    b=$(basename "$w"); b=${b#trustpilot_auth-}; b=${b%.tar.gz}; same "dist/python/$(basename "$w") (file name)" "${b%%-*}" 2>/dev/null || true
  done
  # One abi3 wheel per release platform (four Linux, two macOS, Windows) and the sdist.
  want=(manylinux2014_x86_64 manylinux2014_aarch64 musllinux_1_2_x86_64 musllinux_1_2_aarch64 macosx_11_0_arm64 macosx_10_13_x86_64 win_amd64)
  missing=""
  for t in "${want[@]}"; do compgen -G "$DIST_OUT/python/*$t*.whl" >/dev/null || missing="$missing $t"; done
  if [ $n -eq $((${#want[@]} + 1)) ] && [ -z "$missing" ]; then ok "dist/python: ${#want[@]} wheels (${want[*]}) + 1 sdist"
  else bad "dist/python: $n files (wheels missing:${missing:- none}), not ${#want[@]} wheels + 1 sdist"; fi
  w=$(ls "$DIST_OUT"/python/*manylinux2014_x86_64*.whl 2>/dev/null | head -n1)
  same "wheel METADATA Version" "$(python3 -c 'import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); m=[n for n in z.namelist() if n.endswith(".dist-info/METADATA")][0]; print([l[9:] for l in z.read(m).decode().splitlines() if l.startswith("Version: ")][0])' "$w" 2>/dev/null)"
  same "dist/php/src/Auth.php: Auth::VERSION" "$(sed -n "s/.*const VERSION = '\\([^']*\\)'.*/\\1/p" "$DIST_OUT/php/src/Auth.php" 2>/dev/null | head -n1)"
  nupkg=$(ls "$DIST_OUT"/dotnet/Tpauth.*.nupkg 2>/dev/null | head -n1); b=$(basename "${nupkg:-none}" .nupkg)
  same "dist/dotnet/$(basename "${nupkg:-none}") (file name)" "${b#Tpauth.}"
  same "nuspec <version>" "$(unzip -p "$nupkg" Tpauth.nuspec 2>/dev/null | sed -n 's:.*<version>\(.*\)</version>.*:\1:p')"
  n=0
  for t in "${DIST_TARGETS[@]}"; do
    tgz=$DIST_OUT/c/tpauth-$V-$t.tar.gz
    if [ -f "$tgz" ]; then n=$((n + 1)); else bad "dist/c: no tpauth-$V-$t.tar.gz"; continue; fi
    same "tpauth-$V-$t.tar.gz: tpauth.pc Version" "$(tar -xzOf "$tgz" "tpauth-$V-$t/lib/pkgconfig/tpauth.pc" | sed -n 's/^Version: //p')"
    same "tpauth-$V-$t.tar.gz: tpauthConfigVersion.cmake" "$(tar -xzOf "$tgz" "tpauth-$V-$t/lib/cmake/tpauth/tpauthConfigVersion.cmake" | sed -n 's/^set(PACKAGE_VERSION "\(.*\)")/\1/p')"
  done
  [ $n -eq ${#DIST_TARGETS[@]} ] && ok "dist/c: one tarball per target"
  # tp_version() as a program sees it: here for the x86_64 glibc library; every other target's
  # programs print it in tests/dist/c.sh, go.sh, ... ("version X" lines, checked there).
  same "tp_version() of target/dist/x86_64-unknown-linux-gnu/libtpauth.so" \
    "$(python3 -c 'import ctypes,sys; l=ctypes.CDLL(sys.argv[1]); l.tp_version.restype=ctypes.c_char_p; print(l.tp_version().decode())' "$DIST_NATIVE/x86_64-unknown-linux-gnu/libtpauth.so" 2>&1)"
fi
dist_end
