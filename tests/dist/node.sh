#!/usr/bin/env bash
# dist/node: a fresh npm project, `npm install` of the main tarball and this platform's tarball
# from dist/node/ (cargo and rustc off PATH, nothing built), then a password grant + API call
# against the mock; the other platform tarballs are checked for their ELF machine and glibc floor.
# Runs inside tests/dist/run.sh, or alone after scripts/dist/node.sh.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$ROOT/tests/dist/lib.sh"

dist_begin node
D=$DIST_OUT/node
main=$D/trustpilot-auth-$VERSION.tgz
here=$D/trustpilot-auth-linux-x64-gnu-$VERSION.tgz
check "dist/node holds the main package and linux-x64-gnu, linux-arm64-gnu, linux-x64-musl" \
  test -f "$main" -a -f "$here" -a -f "$D/trustpilot-auth-linux-arm64-gnu-$VERSION.tgz" -a -f "$D/trustpilot-auth-linux-x64-musl-$VERSION.tgz"
listing() {
  tar -tzf "$main" | sort
  tar -xzOf "$main" package/package.json | node -e "
    const p = JSON.parse(require('fs').readFileSync(0, 'utf8'));
    const want = ['linux-x64-gnu', 'linux-arm64-gnu', 'linux-x64-musl'].map((s) => 'trustpilot-auth-' + s);
    for (const w of want) if (p.optionalDependencies[w] !== '$VERSION') throw new Error('optionalDependencies lacks ' + w);
    if (p.name !== 'trustpilot-auth' || p.version !== '$VERSION' || p.types !== 'index.d.ts') throw new Error('name/version/types');"
  tar -tzf "$main" | grep -qx 'package/native.d.ts' && tar -tzf "$main" | grep -qx 'package/index.d.ts' && ! tar -tzf "$main" | grep -q '\.node$'
}
check "main package: trustpilot-auth $VERSION, declarations, optionalDependencies of every platform, no .node" listing
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

mkdir -p "$WORK/app"
(cd "$WORK/app" && npm init -y >/dev/null)
# The platform package from its tarball (as the registry would serve it), then the main one: npm
# sees the optional dependency for this platform satisfied, and skips the others (os/cpu/libc).
install_it() { cd "$WORK/app" && npm install --no-audit --no-fund --loglevel=error "$here" "$main"; }
check "npm install ./trustpilot-auth-$VERSION.tgz ./trustpilot-auth-linux-x64-gnu-$VERSION.tgz" install_it
cat >"$WORK/app/check.js" <<'JS'
const tp = require('trustpilot-auth')
;(async () => {
  const auth = tp.Auth.fromEnv()
  console.log(`version ${tp.version}`)
  const tok = await auth.getToken()
  console.log(`grant ${tok.tokenType}`)
  const resp = await auth.request('GET', '/v1/private/business-units/dist-check')
  console.log(`api ${resp.status} ${resp.text()}`)
  console.log(`native ${require.resolve('trustpilot-auth-linux-x64-gnu')}`)
})().catch((e) => { console.error(`${e.name}: ${e.message}`); process.exit(1) })
JS
check_run "node: require('trustpilot-auth'), password grant + API call" bash -c "cd '$WORK/app' && node check.js"
dist_end
