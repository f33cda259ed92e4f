#!/usr/bin/env bash
# dist/node: the npm packages of trustpilot-auth in napi-rs's layout, as `npm pack` tarballs in
# dist/node/: the main package (index.js, the generated native.js loader and declarations) whose
# optionalDependencies name one package per platform, and those packages, each holding one .node:
#   trustpilot-auth-linux-x64-gnu    x86_64-unknown-linux-gnu   (glibc 2.17, built with zig)
#   trustpilot-auth-linux-arm64-gnu  aarch64-unknown-linux-gnu  (glibc 2.17, built with zig)
#   trustpilot-auth-linux-x64-musl   x86_64-unknown-linux-musl  (built with zig)
#   trustpilot-auth-win32-x64-gnu    x86_64-pc-windows-gnu      (mingw-w64, as scripts/dist/windows.sh;
#                                    napi-rs's name for that triple; native.js tries it after -msvc)
# npm installs the one matching the user's os/cpu/libc. Runs inside scripts/dist.sh, or alone.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
source scripts/dist/lib.sh
source scripts/ensure-rust.sh
source scripts/ensure-apt.sh
ensure_apt node nodejs
ensure_apt npm npm

VERSION=$(tpauth_version)
OUT=$DIST_OUT/node
STAGE=$ROOT/target/dist-node
NODE_DIR=$ROOT/bindings/node
TARGETS=(x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-unknown-linux-musl x86_64-pc-windows-gnu)
if [ -n "${TPAUTH_NODE_TARGETS:-}" ]; then read -r -a TARGETS <<<"$TPAUTH_NODE_TARGETS"; fi

v=$(node -p "require('$NODE_DIR/package.json').version")
[ "$v" = "$VERSION" ] || { echo "dist/node: bindings/node/package.json has version $v, Cargo.toml $VERSION" >&2; exit 1; }

dist_tools
dist_rust_targets "${TARGETS[@]}"
case " ${TARGETS[*]} " in *-windows-gnu*) ensure_apt x86_64-w64-mingw32-gcc mingw-w64 ;; esac
[ -x "$NODE_DIR/node_modules/.bin/napi" ] || (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

rm -rf "$STAGE" "$OUT"
mkdir -p "$STAGE/trustpilot-auth" "$OUT"
main=$STAGE/trustpilot-auth
cp "$NODE_DIR"/{package.json,index.js,index.d.ts,native.js,native.d.ts} "$main/"
for f in LICENSE-MIT LICENSE-APACHE CHANGELOG.md; do [ -f "$ROOT/$f" ] && cp "$ROOT/$f" "$main/"; done
cp "$NODE_DIR/README.md" "$main/README.md"
(cd "$main" && "$NODE_DIR/node_modules/.bin/napi" create-npm-dir -t . >/dev/null)

for t in "${TARGETS[@]}"; do
  plat=$(napi_platform "$t")
  echo "dist/node: $t ($plat)" >&2
  pkg=$main/npm/$plat
  case $t in
    *-windows-gnu)
      # mingw-w64 in target/, the dir (and flags) of scripts/dist/windows.sh and the wine suite, so
      # the core's dependencies are built once for all three. libgcc is linked statically by Rust's
      # windows-gnu target; N-API comes from node.exe at load time (see bindings/node/build.rs).
      cargo build --quiet --release --locked -p tpauth-node --target "$t"
      x86_64-w64-mingw32-strip --strip-unneeded -o "$pkg/tpauth.$plat.node" "$ROOT/target/$t/release/tpauth_node.dll" ;;
    *)
      flags=""
      # A .node is a shared library: musl's static C runtime (Rust's default there) cannot make one.
      case $t in *-musl) flags="-C target-feature=-crt-static" ;; esac
      RUSTFLAGS="$flags" CARGO_PROFILE_RELEASE_STRIP=symbols cargo zigbuild --quiet --release -p tpauth-node \
        --target "$(zig_target "$t")" --target-dir "$DIST_BUILD"
      cp "$DIST_BUILD/$t/release/libtpauth_node.so" "$pkg/tpauth.$plat.node" ;;
  esac
  for f in LICENSE-MIT LICENSE-APACHE; do [ -f "$ROOT/$f" ] && cp "$ROOT/$f" "$pkg/"; done
  # The licences in `files`; create-npm-dir gives every -gnu package "libc": ["glibc"], which on
  # Windows (no libc to match) makes npm skip the package: dropped there.
  node -e "
    const fs = require('fs'); const p = require('$pkg/package.json');
    for (const f of ['LICENSE-MIT', 'LICENSE-APACHE']) if (fs.existsSync('$pkg/' + f)) p.files.push(f);
    if (p.os.includes('win32')) delete p.libc;
    fs.writeFileSync('$pkg/package.json', JSON.stringify(p, null, 2) + '\n');"
  (cd "$pkg" && npm pack --silent --pack-destination "$OUT" >/dev/null)
done

# The main package names every platform package as an optional dependency of the same version.
PLATFORMS=()
for t in "${TARGETS[@]}"; do PLATFORMS+=("$(napi_platform "$t")"); done
node -e "
  const fs = require('fs'); const p = require('$main/package.json');
  p.optionalDependencies = {};
  for (const plat of process.argv.slice(1)) p.optionalDependencies['trustpilot-auth-' + plat] = '$VERSION';
  delete p.devDependencies; delete p.scripts;
  for (const f of ['README.md', 'LICENSE-MIT', 'LICENSE-APACHE', 'CHANGELOG.md']) if (fs.existsSync('$main/' + f)) p.files.push(f);
  fs.writeFileSync('$main/package.json', JSON.stringify(p, null, 2) + '\n');
" "${PLATFORMS[@]}"
(cd "$main" && npm pack --silent --pack-destination "$OUT" >/dev/null)
ls -l "$OUT" | awk 'NR > 1 { printf "dist/node: %-48s %6d KiB\n", $9, $5 / 1024 }' >&2
