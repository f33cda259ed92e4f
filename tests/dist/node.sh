#!/usr/bin/env bash
# dist/node: a fresh npm project, `npm install` of the main tarball and this platform's tarball
# from dist/node/ (cargo and rustc off PATH, nothing built), then a password grant + API call
# against the mock; the other Linux tarballs are checked for their ELF machine and glibc floor, the
# win32-x64-gnu one for its package.json, PE32+ x86-64 DLL and system-only DLL imports (it runs under
# wine in tests/dist/windows.sh). Runs inside tests/dist/run.sh, or alone after scripts/dist/node.sh.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$ROOT/tests/dist/lib.sh"

dist_begin node
D=$DIST_OUT/node
main=$D/trustpilot-auth-$VERSION.tgz
here=$D/trustpilot-auth-linux-x64-gnu-$VERSION.tgz
win=$D/trustpilot-auth-win32-x64-gnu-$VERSION.tgz
PLATS="linux-x64-gnu linux-arm64-gnu linux-x64-musl linux-arm64-musl darwin-arm64 darwin-x64 win32-x64-gnu"
have_all() { local p; for p in $PLATS; do [ -f "$D/trustpilot-auth-$p-$VERSION.tgz" ] || { echo "missing trustpilot-auth-$p-$VERSION.tgz"; return 1; }; done; test -f "$main"; }
check "dist/node holds the main package and $PLATS" have_all
listing() {
  tar -tzf "$main" | sort
  tar -xzOf "$main" package/package.json | node -e "
    const p = JSON.parse(require('fs').readFileSync(0, 'utf8'));
    const want = '$PLATS'.split(' ').map((s) => 'trustpilot-auth-' + s);
    for (const w of want) if (p.optionalDependencies[w] !== '$VERSION') throw new Error('optionalDependencies lacks ' + w);
    if (p.name !== 'trustpilot-auth' || p.version !== '$VERSION' || p.types !== 'index.d.ts') throw new Error('name/version/types');
    for (const k of ['repository', 'homepage', 'bugs', 'author']) if (!p[k]) throw new Error('package.json lacks ' + k);
    if (!/github.com/.test(p.repository.url)) throw new Error('repository.url ' + p.repository.url);"
  # (grep without -q, reading all: a grep that quits early would kill tar with SIGPIPE)
  local files; files=$(tar -tzf "$main")
  grep -x 'package/native.d.ts' <<<"$files" >/dev/null && grep -x 'package/index.d.ts' <<<"$files" >/dev/null &&
    ! grep '\.node$' <<<"$files" >/dev/null &&
    tar -xzOf "$main" package/native.js | grep -F "'win32-x64-gnu'," >/dev/null  # the loader's list of packages
}
check "main package: trustpilot-auth $VERSION, declarations, optionalDependencies of every platform, repository/homepage/bugs/author, no .node, native.js loads win32-x64-gnu" listing
# Each platform package: one .node for its machine; glibc builds need nothing newer than 2.17.
elf_check() {
  local tgz=$1 machine=$2 libc=$3 dir; dir=$(mktemp -d "$WORK/elf.XXXX")
  tar -xzf "$tgz" -C "$dir"
  local so; so=$(ls "$dir"/package/*.node) || return 1
  node -e "
    const b = require('fs').readFileSync('$so');
    if (b.readUInt32BE(0) !== 0x7f454c46) throw new Error('not ELF');
    const m = b.readUInt16LE(18); if (m !== $machine) throw new Error('e_machine ' + m);"
  if [ "$libc" = gnu ]; then
    # The highest GLIBC_x.y version the .node asks for.
    local max; max=$(grep -ao 'GLIBC_[0-9]*\.[0-9]*' "$so" | sort -t. -k2 -n | tail -1)
    echo "$tgz: $max"; [ "${max#GLIBC_2.}" -le 17 ]
  else
    ! grep -aq 'GLIBC_' "$so"
  fi
}
check "linux-x64-gnu: x86-64 ELF, glibc <= 2.17" elf_check "$here" 62 gnu
check "linux-arm64-gnu: aarch64 ELF, glibc <= 2.17" elf_check "$D/trustpilot-auth-linux-arm64-gnu-$VERSION.tgz" 183 gnu
check "linux-x64-musl: x86-64 ELF, no glibc" elf_check "$D/trustpilot-auth-linux-x64-musl-$VERSION.tgz" 62 musl
check "linux-arm64-musl: aarch64 ELF, no glibc" elf_check "$D/trustpilot-auth-linux-arm64-musl-$VERSION.tgz" 183 musl
# The Windows package: npm installs it on win32/x64 only (and would skip it on Windows with a libc
# field, which create-npm-dir writes for every -gnu triple), its main is the .node, a PE32+ x86-64
# DLL that imports system DLLs only: N-API is looked up in node.exe at load time, libgcc and
# winpthreads are static. Nothing from mingw (libgcc_s_seh-1, libwinpthread-1, libstdc++-6) or
# MSYS2's libnode.dll.
win_pkg() {
  local dir; dir=$(mktemp -d "$WORK/win.XXXX")
  tar -xzf "$win" -C "$dir"
  node -e "
    const p = require('$dir/package/package.json');
    const eq = (a, b) => JSON.stringify(a) === JSON.stringify(b);
    if (p.name !== 'trustpilot-auth-win32-x64-gnu' || p.version !== '$VERSION') throw new Error('name/version ' + p.name + ' ' + p.version);
    if (!eq(p.os, ['win32']) || !eq(p.cpu, ['x64']) || 'libc' in p) throw new Error('os/cpu/libc ' + JSON.stringify([p.os, p.cpu, p.libc]));
    if (p.main !== 'tpauth.win32-x64-gnu.node' || !p.files.includes(p.main)) throw new Error('main ' + p.main);
    const b = require('fs').readFileSync('$dir/package/' + p.main);
    if (b.toString('latin1', 0, 2) !== 'MZ') throw new Error('not a PE file');
    const pe = b.readUInt32LE(0x3c);
    if (b.readUInt32BE(pe) !== 0x50450000) throw new Error('no PE signature');
    if (b.readUInt16LE(pe + 4) !== 0x8664) throw new Error('machine 0x' + b.readUInt16LE(pe + 4).toString(16));
    if (!(b.readUInt16LE(pe + 22) & 0x2000)) throw new Error('not a DLL');
    if (b.readUInt16LE(pe + 24) !== 0x20b) throw new Error('not PE32+');
    console.log(p.name, p.os, p.cpu, p.main, b.length + ' B');"
  local imports bad
  imports=$(x86_64-w64-mingw32-objdump -p "$dir/package/tpauth.win32-x64-gnu.node" | sed -n 's/^\s*DLL Name: //p' | sort -fu)
  echo "imports:" $imports
  [ -n "$imports" ] || return 1
  bad=$(grep -viE '^(kernel32|ntdll|bcrypt|bcryptprimitives|ws2_32|advapi32|userenv|crypt32|secur32|ncrypt|msvcrt|api-ms-win-[a-z0-9-]+)\.dll$|^node\.exe$' <<<"$imports")
  [ -z "$bad" ] || { echo "not a system DLL: $bad"; return 1; }
}
ensure_apt x86_64-w64-mingw32-objdump binutils-mingw-w64-x86-64
check "win32-x64-gnu: package.json (os win32, cpu x64, no libc, main), PE32+ x86-64 DLL, system DLL imports only" win_pkg

mkdir -p "$WORK/app"
(cd "$WORK/app" && npm init -y >/dev/null)
# The platform package from its tarball (as the registry would serve it), then the main one: npm
# sees the optional dependency for this platform satisfied, and skips the others (os/cpu/libc).
# Offline, as the README's "Offline and tarball install" says: both tarballs in one command.
install_it() { cd "$WORK/app" && npm install --offline --no-audit --no-fund --loglevel=error "$here" "$main"; }
check "npm install ./trustpilot-auth-$VERSION.tgz ./trustpilot-auth-linux-x64-gnu-$VERSION.tgz" install_it
cp "$DIST_ROOT/tests/dist/programs/check.js" "$WORK/app/"
check_run "node: require('trustpilot-auth'), password grant + API call" bash -c "cd '$WORK/app' && node check.js trustpilot-auth-linux-x64-gnu"
# The main package alone, as npm leaves it when it skips optional dependencies (--omit=optional):
# the error names the missing package and the command that installs it.
missing() {
  mkdir -p "$WORK/bare" && cd "$WORK/bare" && npm init -y >/dev/null &&
  npm install --offline --omit=optional --no-audit --no-fund --loglevel=error "$main" || return 1
  local out; out=$(node -e "require('trustpilot-auth')" 2>&1) && { echo "loaded without its platform package?"; return 1; }
  echo "$out"
  grep -q "the package trustpilot-auth-linux-x64-gnu is not installed" <<<"$out" &&
  grep -q "npm install trustpilot-auth-linux-x64-gnu@$VERSION" <<<"$out"
}
check "main package without its platform package: the error names trustpilot-auth-linux-x64-gnu and npm install ...@$VERSION" missing
dist_end
