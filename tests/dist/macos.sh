#!/usr/bin/env bash
# dist/macos: every macOS artifact, proven statically (nothing here runs Mach-O; the release
# workflow runs them on macos-14 and macos-15-intel), with llvm's tools (Debian's llvm) and rcodesign
# (crates.io apple-codesign, built once into target/tools/):
#   C tarballs (lib/libtpauth.0.<minor>.dylib, lib/libtpauth.a, bin/tpauth), wheels (the abi3
#   module and tpauth/_bin/tpauth), npm darwin-* packages (.node), the PHP package's
#   lib/osx-*/libtpauth.dylib, the nupkg's runtimes/osx-*/native/libtpauth.dylib, the Go module's
#   lib/darwin-*/libtpauth.a;
# for each Mach-O: its architecture; its load commands (only /usr/lib/libSystem.B.dylib, and
# libiconv if Rust asked for it); the minimum macOS equal to the package's tag (LC_BUILD_VERSION's
# minos 11.0 on arm64; LC_VERSION_MIN_MACOSX 10.13 on x86_64, the command for a target below 10.14); for the dylibs, the install name @rpath/libtpauth.0.<minor>.dylib and the exports
# (tp_* and nothing else); no reference to the Security or CoreFoundation
# frameworks; on arm64, a valid ad-hoc code signature (rcodesign verify) on every linked image.
# And real Mach-O programs linked from the packages, as a Mac user would (zig as the compiler and
# linker, no Apple SDK): a C program against the tarball's dylib (through its pkg-config) and
# against its .a; a Go program with GOOS=darwin CGO_ENABLED=1 CC="zig cc" from the Go module.
source "$(dirname "$0")/lib.sh"
ensure_apt unzip unzip
ensure_apt llvm-nm llvm
ensure_apt pkg-config pkg-config
dist_tools       # zig (ziglang from PyPI), before Rust leaves PATH
llvm_tools_path  # llvm-otool
RCODESIGN=$(rcodesign_path) || RCODESIGN=
zig_dir=$DIST_VENV/bin
GO=$(command -v go || echo /usr/local/go/bin/go)
dist_begin macos
export PATH=$PATH:$zig_dir
MINOR=$(tpauth_minor)
INSTALL_NAME=@rpath/libtpauth.0.$MINOR.dylib
[ "$(tpauth_major)" = 0 ] || INSTALL_NAME=@rpath/libtpauth.$(tpauth_major).dylib

# The minimum macOS a Mach-O states: LC_BUILD_VERSION's minos, or, below 10.14 (x86_64's 10.13),
# LC_VERSION_MIN_MACOSX's version, the command the linker writes there (as Apple's ld does: a
# 10.13 loader predates LC_BUILD_VERSION).
min_os() {
  llvm-otool -l "$1" | awk '/cmd LC_BUILD_VERSION$/ { b = 1 } /cmd LC_VERSION_MIN_MACOSX$/ { v = 1 }
    b && $1 == "minos" { print $2; exit } v && $1 == "version" { print $2; exit }'
}
# macho FILE ARCH MINOS KIND: the checks every Mach-O gets (KIND, for the messages: dylib, module, program).
macho() {
  local f=$1 arch=$2 minos=$3 kind=$4 cpu loads have_min undef
  [ -f "$f" ] || { echo "missing $f"; return 1; }
  cpu=$(llvm-otool -hv "$f" | awk 'NR > 2 { print $2 }' | head -n1)
  case $arch in arm64) [ "$cpu" = ARM64 ] ;; x86_64) [ "$cpu" = X86_64 ] ;; esac || { echo "cputype $cpu, not $arch"; return 1; }
  # The libraries it loads (LC_LOAD_DYLIB and friends; not its own LC_ID_DYLIB).
  loads=$(llvm-otool -l "$f" | awk '/cmd LC_(LOAD|LOAD_WEAK|REEXPORT|LAZY_LOAD)_DYLIB$/ { l = 1; next } l && $1 == "name" { print $2; l = 0 }')
  echo "$kind loads:" $loads
  if grep -Ev '^/usr/lib/(libSystem\.B|libiconv\.2)\.dylib$' <<<"$loads" | grep .; then echo "loads more than libSystem (above)"; return 1; fi
  have_min=$(min_os "$f")
  [ "$have_min" = "$minos" ] || { echo "minimum macOS '$have_min', not $minos"; return 1; }
  undef=$(llvm-nm -u "$f" | grep -E '^_(Sec|kSec|CF|kCF)' | head -5)
  [ -z "$undef" ] || { echo "references the Security/CoreFoundation frameworks: $undef"; return 1; }
  if [ "$arch" = arm64 ]; then adhoc_signed "$f" || return 1; fi
}
# adhoc_signed FILE: a valid ad-hoc signature. rcodesign verify checks every page's digest against
# the CodeDirectory, and also reports "no cryptographic signature present" for any ad-hoc
# signature (it has no CMS blob by design, and exits 1): that line is the only problem allowed.
adhoc_signed() {
  local out problems
  [ -n "$RCODESIGN" ] || { echo "rcodesign missing"; return 1; }
  "$RCODESIGN" print-signature-info "$1" 2>/dev/null | grep -q 'slot: CodeDirectory' || { echo "no code signature (CodeDirectory)"; return 1; }
  out=$("$RCODESIGN" verify "$1" 2>&1)
  problems=$(grep -v -e 'the verify command is known to be buggy' -e '^no cryptographic signature present$' \
    -e '^Error: problems reported during verification$' <<<"$out")
  [ -z "$problems" ] || { echo "$problems"; echo "rcodesign verify: the signature does not match the file"; return 1; }
}
# dylib FILE ARCH MINOS: macho + install name + exports.
dylib() {
  macho "$1" "$2" "$3" dylib || return 1
  local id extra
  id=$(llvm-otool -D "$1" | tail -n 1)
  [ "$id" = "$INSTALL_NAME" ] || { echo "install name $id, not $INSTALL_NAME"; return 1; }
  [ "$(llvm-nm -gU "$1" | awk '{ print $3 }' | grep -c '^_tp_')" -ge 50 ] || { echo "fewer than 50 tp_* exports"; return 1; }
  extra=$(llvm-nm -gU "$1" | awk '{ print $3 }' | grep -v '^_tp_')
  [ -z "$extra" ] || { echo "exports besides tp_*: $(head -5 <<<"$extra")"; return 1; }
}

for t in aarch64-apple-darwin x86_64-apple-darwin; do
  arch=${t%%-*}; [ "$arch" = aarch64 ] && arch=arm64
  min=$(macos_min "$t"); zt=$(zig_cc_target "$t")
  # --- C tarball
  mkdir -p "$WORK/c-$t" && tar -C "$WORK/c-$t" -xzf "$DIST_OUT/c/tpauth-$VERSION-$t.tar.gz" 2>/dev/null
  P=$WORK/c-$t/tpauth-$VERSION-$t
  check "$t tarball: lib/libtpauth.0.$MINOR.dylib (+ libtpauth.dylib link), .a, headers, .pc, CMake, bin/tpauth, README" bash -c \
    "cd '$P' && test -f lib/libtpauth.0.$MINOR.dylib -a ! -L lib/libtpauth.0.$MINOR.dylib && [ \"\$(readlink lib/libtpauth.dylib)\" = libtpauth.0.$MINOR.dylib ] &&
     ls lib/libtpauth.a include/tpauth.h include/tpauth.hpp lib/pkgconfig/tpauth.pc lib/cmake/tpauth/tpauthConfig.cmake bin/tpauth README.md"
  check "$t tarball dylib: $arch, libSystem only, minos $min, install name $INSTALL_NAME, tp_* exports, signature" dylib "$P/lib/libtpauth.0.$MINOR.dylib" "$arch" "$min"
  check "$t tarball bin/tpauth: $arch program, libSystem only, minos $min, signature" macho "$P/bin/tpauth" "$arch" "$min" program
  # A C program against the dylib, through the tarball's pkg-config (its rpath included).
  check "zig cc -target $zt check.c \$(pkg-config --cflags --libs tpauth): a Mach-O program loading $INSTALL_NAME" bash -c \
    "PKG_CONFIG_PATH='$P/lib/pkgconfig' && export PKG_CONFIG_PATH && zig cc -target $zt -o '$WORK/check-$t' '$DIST_ROOT/tests/dist/programs/check.c' \$(pkg-config --cflags --libs tpauth) &&
     llvm-otool -L '$WORK/check-$t' | grep -q '$INSTALL_NAME' && llvm-otool -l '$WORK/check-$t' | grep -A2 LC_RPATH | grep -q '$P/lib'"
  check "the program against the dylib: $arch, libSystem + libtpauth only, minos $min" bash -c \
    "llvm-otool -L '$WORK/check-$t' | tail -n +2 | awk '{print \$1}' | grep -Ev '^(/usr/lib/libSystem.B.dylib|$INSTALL_NAME)$' | grep . && exit 1;
     $(declare -f min_os); min_os '$WORK/check-$t' | grep -qx '$min'"
  check "zig cc -target $zt check.c lib/libtpauth.a \$(pkg-config --static --libs-only-l): libSystem only" bash -c \
    "PKG_CONFIG_PATH='$P/lib/pkgconfig' && export PKG_CONFIG_PATH && zig cc -target $zt -o '$WORK/check-static-$t' '$DIST_ROOT/tests/dist/programs/check.c' \$(pkg-config --cflags tpauth) '$P/lib/libtpauth.a' \$(pkg-config --static --libs-only-l tpauth | sed 's/-ltpauth//') &&
     ! llvm-otool -L '$WORK/check-static-$t' | grep -q libtpauth && llvm-nm '$WORK/check-static-$t' | grep -q ' _tp_password_grant$'"
  check "the static program: $arch, libSystem only, minos $min, signature" macho "$WORK/check-static-$t" "$arch" "$min" program

  # --- wheel
  whl=$(ls "$DIST_OUT"/python/trustpilot_auth-"$VERSION"-cp39-abi3-macosx_"${min/./_}"_"$arch".whl 2>/dev/null)
  mkdir -p "$WORK/whl-$t" && [ -n "$whl" ] && unzip -q "$whl" -d "$WORK/whl-$t"
  check "wheel macosx_${min/./_}_$arch: the abi3 module ($arch, libSystem only, minos $min, signature)" bash -c \
    "f=\$(ls '$WORK/whl-$t'/tpauth/_tpauth*.so) && $(declare -f macho min_os adhoc_signed); RCODESIGN='$RCODESIGN' macho \"\$f\" $arch $min module"
  check "wheel macosx_${min/./_}_$arch: tpauth/_bin/tpauth ($arch program, minos $min, signature)" macho "$WORK/whl-$t/tpauth/_bin/tpauth" "$arch" "$min" program

  # --- npm
  napi=$(napi_platform "$t")
  mkdir -p "$WORK/npm-$t" && tar -C "$WORK/npm-$t" -xzf "$DIST_OUT/node/trustpilot-auth-$napi-$VERSION.tgz" 2>/dev/null
  npm_pkg() {
    node -e "const p = require('$WORK/npm-$t/package/package.json');
      if (p.name !== 'trustpilot-auth-$napi' || p.version !== '$VERSION') throw new Error(p.name + ' ' + p.version);
      if (JSON.stringify(p.os) !== '[\"darwin\"]' || JSON.stringify(p.cpu) !== '[\"${arch/x86_64/x64}\"]') throw new Error('os/cpu ' + p.os + ' ' + p.cpu);
      if (p.main !== 'tpauth.$napi.node') throw new Error('main ' + p.main);" &&
    macho "$WORK/npm-$t/package/tpauth.$napi.node" "$arch" "$min" module
  }
  check "npm trustpilot-auth-$napi: package.json (os darwin, cpu), tpauth.$napi.node ($arch, libSystem only, minos $min, signature)" npm_pkg

  # --- PHP, NuGet, Go
  rid=$(dotnet_rid "$t"); php_dir=$(php_platform "$t"); go_dir=$(go_platform "$t")
  check "PHP lib/$php_dir/libtpauth.dylib: $arch, libSystem only, minos $min, install name, exports, signature" dylib "$DIST_OUT/php/lib/$php_dir/libtpauth.dylib" "$arch" "$min"
  mkdir -p "$WORK/nupkg" && unzip -qo "$DIST_OUT/dotnet/Tpauth.$VERSION.nupkg" "runtimes/$rid/*" -d "$WORK/nupkg" 2>/dev/null
  check "NuGet runtimes/$rid/native/libtpauth.dylib: $arch, libSystem only, minos $min, install name, exports, signature" dylib "$WORK/nupkg/runtimes/$rid/native/libtpauth.dylib" "$arch" "$min"
  check "Go lib/$go_dir/libtpauth.a: $arch objects, and link_${go_dir//-/_}.go links it with -lSystem alone" bash -c \
    "llvm-objdump --macho --private-headers '$DIST_OUT/go/lib/$go_dir/libtpauth.a' 2>/dev/null | grep -m1 -q '$( [ "$arch" = arm64 ] && echo ARM64 || echo X86_64)' &&
     grep -q 'darwin && ${go_dir#darwin-}' '$DIST_OUT/go/link_${go_dir//-/_}.go' && grep -q 'lib/$go_dir -ltpauth -lSystem\$' '$DIST_OUT/go/link_${go_dir//-/_}.go'"
done

# A Go program from the module, as a Mac user builds it (here with zig for the C compiler and
# linker). Go's own runtime on darwin links CoreFoundation, Security and libresolv (crypto/x509,
# net: every Go program on a Mac does); zig has no Apple SDK, so the link is given text stubs of
# those, first empty, then holding the symbols the first link reported missing. The library adds
# none of its own (the C checks above).
# tbd STUBS INSTALL_NAME FILE ARCH SYMBOL...: a text stub (tbd v4) exporting the symbols.
tbd() {
  local file=$1 install=$2 arch=$3; shift 3
  mkdir -p "$(dirname "$file")"
  {
    echo '--- !tapi-tbd'
    echo 'tbd-version: 4'
    echo "targets: [ ${arch}-macos ]"
    echo "install-name: '$install'"
    echo 'exports:'
    echo "  - targets: [ ${arch}-macos ]"
    echo "    symbols: [ $(printf '%s, ' "$@" _tpauth_stub_placeholder | sed 's/, $//') ]"
    echo '...'
  } >"$file"
}
go_darwin() {
  local arch=$1 zt=$2 app=$WORK/goapp-$1 stubs=$WORK/sdk-stubs-$1 out tarch=$1
  [ "$arch" = amd64 ] && tarch=x86_64
  cp -r "$DIST_OUT/go" "$WORK/gomod-$arch" && mkdir -p "$app" && cp "$DIST_ROOT/tests/dist/programs/main.go" "$app/" || return 1
  local modpath; modpath=$(sed -n 's/^module //p' "$WORK/gomod-$arch/go.mod")
  printf 'module distcheck\n\ngo 1.21\n\nrequire %s v%s\n\nreplace %s => %s\n' "$modpath" "$VERSION" "$modpath" "$WORK/gomod-$arch" >"$app/go.mod"
  stub_all() {  # stub_all SYMBOL...: the three stubs, each with the symbols of its own
    local cf=() sec=() res=() s
    for s in "$@"; do case $s in _CF* | _kCF* | ___CF*) cf+=("$s") ;; _Sec* | _kSec*) sec+=("$s") ;; *) res+=("$s") ;; esac; done
    tbd "$stubs/CoreFoundation.framework/CoreFoundation.tbd" /System/Library/Frameworks/CoreFoundation.framework/Versions/A/CoreFoundation "$tarch" "${cf[@]}"
    tbd "$stubs/Security.framework/Security.tbd" /System/Library/Frameworks/Security.framework/Versions/A/Security "$tarch" "${sec[@]}"
    tbd "$stubs/lib/libresolv.tbd" /usr/lib/libresolv.9.dylib "$tarch" "${res[@]}"
  }
  build() {
    # -ldflags=-w: with DWARF, Go's linker runs the host's strip on the Mach-O (GNU strip here
    # cannot read it; on a Mac that is Apple's, run before the signature is made).
    (cd "$app" && GOOS=darwin GOARCH=$arch CGO_ENABLED=1 CC="zig cc -target $zt -F$stubs -L$stubs/lib" GOTOOLCHAIN=local GOFLAGS=-mod=mod GOPROXY=off \
      GOCACHE="$WORK/gocache" GOPATH="$WORK/gopath" "$GO" build -ldflags=-w -o check-darwin .)
  }
  stub_all
  out=$(build 2>&1) && return 0
  # shellcheck disable=SC2046  # one symbol per word
  stub_all $(grep -o "undefined symbol: _[A-Za-z0-9_]*" <<<"$out" | awk '{ print $3 }' | sort -u)
  out=$(build 2>&1) || { echo "$out" | grep -v '^ *note:' | tail -20; return 1; }
}
for arch in arm64 amd64; do
  t=aarch64-apple-darwin; [ $arch = amd64 ] && t=x86_64-apple-darwin
  zt=$(zig_cc_target "$t")
  check "go: GOOS=darwin GOARCH=$arch CGO_ENABLED=1 CC='zig cc -target $zt' go build, from the module" go_darwin "$arch" "$zt"
  # (its minos is Go's own floor for darwin, not the library's)
  check "the Go program: Mach-O ${arch/amd64/x86_64}, libtpauth linked in statically (tp_password_grant)" bash -c \
    "f='$WORK/goapp-$arch/check-darwin' && llvm-otool -hv \"\$f\" | grep -q '$( [ "$arch" = arm64 ] && echo ARM64 || echo X86_64)' &&
     llvm-nm \"\$f\" | grep -q ' _tp_password_grant$' && ! llvm-otool -L \"\$f\" | grep -q libtpauth"
done
dist_end
