#!/usr/bin/env bash
# dist/c: each tarball unpacked into a fresh prefix and consumed as a C user does:
#   x86_64-unknown-linux-gnu: the layout (real file, SONAME libtpauth.so.0.<minor>, symlinks, headers,
#     tpauth.pc, CMake package, bin/tpauth, the user README); a C program built with pkg-config
#     (shared; no -rpath of ours: tpauth.pc's Libs carries it) and run as it is; a CMake project
#     with find_package(tpauth <version>) building tpauth::tpauth and tpauth::tpauth_static, run;
#     find_package of another 0.x minor refused (SameMinorVersion);
#   aarch64-unknown-linux-gnu: the program cross-built with zig cc (glibc 2.17) through the tarball's
#     pkg-config, run under qemu-aarch64-static;
#   x86_64/aarch64-unknown-linux-musl: the program linked statically against libtpauth.a with zig's
#     musl, run natively and under qemu-aarch64-static;
# each run a password grant + API call against the mock.
source "$(dirname "$0")/lib.sh"
ensure_apt cc gcc
ensure_apt cmake cmake
ensure_apt pkg-config pkg-config
ensure_apt readelf binutils
ensure_apt file file
ensure_apt qemu-aarch64-static qemu-user-static
ensure_apt_file /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 libc6-arm64-cross
dist_tools  # zig (ziglang from PyPI), before Rust leaves PATH
zig_dir=$DIST_VENV/bin
dist_begin c
export PATH=$PATH:$zig_dir
SONAME=$(tpauth_soname)
MINOR=$(tpauth_minor)
prog=$DIST_ROOT/tests/dist/programs/check.c

unpack() {  # unpack TARGET -> echoes the prefix
  local t=$1 tgz=$DIST_OUT/c/tpauth-$VERSION-$1.tar.gz
  mkdir -p "$WORK/$t" && tar -C "$WORK/$t" -xzf "$tgz" && echo "$WORK/$t/tpauth-$VERSION-$t"
}

P=$(unpack x86_64-unknown-linux-gnu) || P=$WORK/missing
layout() {
  cd "$P" || return 1
  [ -f "lib/libtpauth.so.$VERSION" ] && [ ! -L "lib/libtpauth.so.$VERSION" ] || { echo "no real lib/libtpauth.so.$VERSION"; return 1; }
  [ "$(readlink "lib/$SONAME")" = "libtpauth.so.$VERSION" ] || { echo "lib/$SONAME is not a link to libtpauth.so.$VERSION"; return 1; }
  [ "$(readlink lib/libtpauth.so)" = "$SONAME" ] || { echo "lib/libtpauth.so is not a link to $SONAME"; return 1; }
  readelf -d "lib/libtpauth.so.$VERSION" | grep -q "(SONAME).*\[$SONAME\]" || { readelf -d "lib/libtpauth.so.$VERSION" | grep SONAME; return 1; }
  ls lib/libtpauth.a include/tpauth.h include/tpauth_ffi.h include/tpauth.hpp lib/pkgconfig/tpauth.pc \
     lib/cmake/tpauth/tpauthConfig.cmake lib/cmake/tpauth/tpauthConfigVersion.cmake \
     share/doc/tpauth/LICENSE-MIT share/doc/tpauth/LICENSE-APACHE share/doc/tpauth/CHANGELOG.md bin/tpauth README.md
  ! readelf -S "lib/libtpauth.so.$VERSION" | grep -q '\.debug_'
}
check "x86_64 tarball: libtpauth.so.$VERSION (SONAME $SONAME) + symlinks, .a, 3 headers, .pc, CMake package, bin/tpauth, README, licences; no debug info" layout
# The user's README: the package's own (install, a program, pkg-config), not the developers'.
check "README.md: the user's (title libtpauth, Install first, a C program), not the repository's" bash -c \
  "head -n1 '$P/README.md' | grep -q '^# libtpauth $VERSION' && [ \"\$(grep -m1 '^## ' '$P/README.md')\" = '## Install' ] &&
   grep -q 'tp_config_from_env' '$P/README.md' && ! grep -q 'cargo run' '$P/README.md'"
# bin/tpauth: a static program (runs in any container), whose mock serves the C program below.
cli() {
  file "$P/bin/tpauth" | grep -q 'statically linked' || { file "$P/bin/tpauth"; return 1; }
  local port; coproc TPCLI { exec "$P/bin/tpauth" mock --port 0 --exit-on-stdin-eof; }
  read -r -t 30 port <&"${TPCLI[0]}" || return 1
  curl -fsS "http://127.0.0.1:$port/_mock/stats" | grep -q token_requests; local rc=$?
  kill "$TPCLI_PID" 2>/dev/null; wait "$TPCLI_PID" 2>/dev/null
  return $rc
}
check "bin/tpauth: static, and its mock answers (tpauth mock --port 0)" cli

export PKG_CONFIG_PATH=$P/lib/pkgconfig
check "pkg-config: relocatable tpauth.pc, version $VERSION" bash -c \
  "[ \"\$(pkg-config --modversion tpauth)\" = '$VERSION' ] && [ \"\$(pkg-config --variable=libdir tpauth)\" -ef '$P/lib' ]"
check "pkg-config --libs tpauth carries -Wl,-rpath,<the tarball's lib/> (not a system folder)" bash -c \
  "r=\$(pkg-config --libs tpauth | tr ' ' '\n' | sed -n 's/^-Wl,-rpath,//p') && [ -n \"\$r\" ] && [ \"\$r\" -ef '$P/lib' ]"
check "cc check.c \$(pkg-config --cflags --libs tpauth), nothing else" bash -c \
  "cc -Wall -Werror -o '$WORK/check-pc' '$prog' \$(pkg-config --cflags --libs tpauth)"
check "the program needs $SONAME" bash -c "readelf -d '$WORK/check-pc' | grep -q 'NEEDED.*\[$SONAME\]'"
check_run "c (pkg-config, shared): password grant + API call, run with no LD_LIBRARY_PATH" env -u LD_LIBRARY_PATH "$WORK/check-pc"

mkdir -p "$WORK/cmake-app"
cp "$prog" "$WORK/cmake-app/"
cat > "$WORK/cmake-app/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.16)
project(distcheck C)
find_package(tpauth $VERSION CONFIG REQUIRED)
add_executable(check check.c)
target_link_libraries(check PRIVATE tpauth::tpauth)
add_executable(check_static check.c)
target_link_libraries(check_static PRIVATE tpauth::tpauth_static)
CM
check "CMake find_package(tpauth $VERSION CONFIG REQUIRED): configure + build (shared and static)" bash -c \
  "cmake -S '$WORK/cmake-app' -B '$WORK/cmake-build' -DCMAKE_PREFIX_PATH='$P' && cmake --build '$WORK/cmake-build'"
check_run "c (CMake tpauth::tpauth): password grant + API call" "$WORK/cmake-build/check"
check_run "c (CMake tpauth::tpauth_static): password grant + API call" "$WORK/cmake-build/check_static"
check "the static program links no libtpauth.so" bash -c "! readelf -d '$WORK/cmake-build/check_static' | grep -q libtpauth"
other=$((MINOR > 0 ? MINOR - 1 : MINOR + 1))
refused() {
  mkdir -p "$WORK/cmake-other"
  printf 'cmake_minimum_required(VERSION 3.16)\nproject(other C)\nfind_package(tpauth 0.%s CONFIG REQUIRED)\n' "$other" > "$WORK/cmake-other/CMakeLists.txt"
  ! cmake -S "$WORK/cmake-other" -B "$WORK/cmake-other/b" -DCMAKE_PREFIX_PATH="$P"
}
if [ "$(tpauth_major)" = 0 ]; then
  check "find_package(tpauth 0.$other) refuses $VERSION (SameMinorVersion)" refused
fi

A=$(unpack aarch64-unknown-linux-gnu) || A=$WORK/missing
check "aarch64 tarball: SONAME $SONAME, an aarch64 library" bash -c \
  "readelf -h '$A/lib/libtpauth.so.$VERSION' | grep -q AArch64 && readelf -d '$A/lib/libtpauth.so.$VERSION' | grep -q '(SONAME).*\[$SONAME\]'"
check "zig cc -target aarch64-linux-gnu.2.17 check.c \$(pkg-config --cflags --libs tpauth) (aarch64 tarball)" bash -c \
  "PKG_CONFIG_PATH='$A/lib/pkgconfig' && export PKG_CONFIG_PATH && zig cc -target aarch64-linux-gnu.2.17 -o '$WORK/check-aarch64' '$prog' \$(pkg-config --cflags --libs tpauth) -Wl,-rpath,'$A/lib'"
check_run "c (aarch64, shared) under qemu-aarch64-static: password grant + API call" \
  env QEMU_LD_PREFIX=/usr/aarch64-linux-gnu qemu-aarch64-static "$WORK/check-aarch64"

for t in x86_64-unknown-linux-musl aarch64-unknown-linux-musl; do
  M=$(unpack $t) || M=$WORK/missing
  zt=$(zig_cc_target $t)
  check "$t tarball: SONAME $SONAME, .a, .pc" bash -c \
    "readelf -d '$M/lib/libtpauth.so.$VERSION' | grep -q '(SONAME).*\[$SONAME\]' && test -f '$M/lib/libtpauth.a' -a -f '$M/lib/pkgconfig/tpauth.pc'"
  check "zig cc -target $zt -static check.c libtpauth.a \$(pkg-config --static --libs-only-l)" bash -c \
    "PKG_CONFIG_PATH='$M/lib/pkgconfig' && export PKG_CONFIG_PATH && zig cc -target $zt -static -o '$WORK/check-$t' '$prog' \$(pkg-config --cflags tpauth) '$M/lib/libtpauth.a' \$(pkg-config --static --libs-only-l tpauth | sed 's/-ltpauth//') && file '$WORK/check-$t' | grep -q 'statically linked'"
  case $t in
    x86_64-*) check_run "c ($t, static) natively: password grant + API call" "$WORK/check-$t" ;;
    aarch64-*) check_run "c ($t, static) under qemu-aarch64-static: password grant + API call" qemu-aarch64-static "$WORK/check-$t" ;;
  esac
done
# The command alone, for containers: one static program per Linux architecture.
cli_alone() {
  local a f
  for a in x86_64 aarch64; do
    f=$DIST_OUT/c/tpauth-cli-$VERSION-$a-linux-musl
    file "$f" | grep -q 'statically linked' || { file "$f"; return 1; }
  done
  "$DIST_OUT/c/tpauth-cli-$VERSION-x86_64-linux-musl" --help | grep -q '^usage: tpauth' &&
    qemu-aarch64-static "$DIST_OUT/c/tpauth-cli-$VERSION-aarch64-linux-musl" --help | grep -q '^usage: tpauth'
}
check "dist/c/tpauth-cli-$VERSION-{x86_64,aarch64}-linux-musl: static, and they run (aarch64 under qemu)" cli_alone
dist_end
