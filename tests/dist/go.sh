#!/usr/bin/env bash
# dist/go: a copy of the module, a fresh program module requiring it through a `replace`, then
#   go build + run (linux/amd64, glibc: lib/linux-amd64);
#   GOARCH=arm64 CC="zig cc -target aarch64-linux-gnu" go build, run under qemu-aarch64-static
#     (the aarch64 glibc from libc6-arm64-cross as QEMU_LD_PREFIX);
#   -tags tpauth_musl with zig's musl, linked fully static: amd64 run natively, arm64 under qemu;
#   `go mod vendor` then `go build -mod=vendor`: the vendored module keeps include/ and lib/<platform>/;
#   CGO_ENABLED=0: the build stops with one first error naming the fix (cgo_required.go);
# each a password grant + API call against the mock. No Rust on PATH; zig comes from PyPI (ziglang).
# The darwin libraries are linked into Mach-O programs by tests/dist/macos.sh.
source "$(dirname "$0")/lib.sh"
ensure_apt qemu-aarch64-static qemu-user-static
ensure_apt file file
ensure_apt_file /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 libc6-arm64-cross
dist_tools  # zig (ziglang from PyPI), before Rust leaves PATH
zig_dir=$DIST_VENV/bin
dist_begin go
export PATH=$PATH:/usr/local/go/bin:$zig_dir
export GOTOOLCHAIN=local GOFLAGS=-mod=mod GOPROXY=off GONOSUMDB="*" CGO_ENABLED=1
module=$(sed -n 's/^module //p' "$DIST_OUT/go/go.mod")
cp -r "$DIST_OUT/go" "$WORK/tpauth-go"
mkdir -p "$WORK/app"
cp "$DIST_ROOT/tests/dist/programs/main.go" "$WORK/app/"
cat > "$WORK/app/go.mod" <<MOD
module example.com/distcheck

go 1.21

require $module v$VERSION

replace $module => ../tpauth-go
MOD
layout() {
  local p
  test -f "$WORK/tpauth-go/include/tpauth.h" -a -f "$WORK/tpauth-go/README.md" -a -f "$WORK/tpauth-go/cgo_required.go" || return 1
  for p in linux-amd64 linux-arm64 linux-musl-amd64 linux-musl-arm64 darwin-arm64 darwin-amd64; do
    test -f "$WORK/tpauth-go/lib/$p/libtpauth.a" -a -f "$WORK/tpauth-go/lib/$p/vendor.go" -a -f "$WORK/tpauth-go/link_${p//-/_}.go" || { echo "lib/$p incomplete"; return 1; }
  done
}
check "the module holds include/tpauth.h, README.md, and per platform (linux glibc/musl, darwin) a static library, its link file and vendor.go" layout
check "go vet of the module (amd64, and -tags tpauth_musl)" bash -c "cd '$WORK/tpauth-go' && go vet . && go vet -tags tpauth_musl ."
check "go build (linux/amd64, glibc)" bash -c "cd '$WORK/app' && go build -o check ."
check "the program links no libtpauth.so" bash -c "! ldd '$WORK/app/check' | grep -q libtpauth"
check_run "go: linux/amd64 program, password grant + API call" "$WORK/app/check"
vendored() {
  rm -rf "$WORK/vapp" && cp -r "$WORK/app" "$WORK/vapp" && cd "$WORK/vapp" && rm -f check check-* &&
  GOFLAGS='' go mod vendor && ls "vendor/$module/include/tpauth.h" "vendor/$module/lib/linux-amd64/libtpauth.a" &&
  GOFLAGS=-mod=vendor go build -o check .
}
check "go mod vendor, then go build -mod=vendor: include/ and lib/<platform>/ are vendored" vendored
check_run "go: the vendored build, password grant + API call" "$WORK/vapp/check"
nocgo() {
  local out; out=$(cd "$WORK/app" && CGO_ENABLED=0 go build -o /dev/null . 2>&1) && { echo "built without cgo?"; return 1; }
  echo "$out"
  # The first error (after go's "# package" line) names the fix.
  grep -v '^#' <<<"$out" | head -n1 | grep -q 'tpauth_needs_cgo__build_with_CGO_ENABLED_1_and_a_C_compiler'
}
check "CGO_ENABLED=0: the first error says to build with CGO_ENABLED=1 and a C compiler" nocgo

check "GOARCH=arm64 CC='zig cc -target aarch64-linux-gnu' go build" \
  bash -c "cd '$WORK/app' && GOARCH=arm64 CC='zig cc -target aarch64-linux-gnu' go build -o check-arm64 ."
check "the arm64 program is an aarch64 ELF" bash -c "file '$WORK/app/check-arm64' | grep -q 'ARM aarch64'"
check_run "go: linux/arm64 program under qemu-aarch64-static, password grant + API call" \
  env QEMU_LD_PREFIX=/usr/aarch64-linux-gnu qemu-aarch64-static "$WORK/app/check-arm64"

for arch in amd64 arm64; do
  zt=x86_64-linux-musl; [ $arch = arm64 ] && zt=aarch64-linux-musl
  check "go build -tags tpauth_musl, static, linux/$arch (zig cc -target $zt)" \
    bash -c "cd '$WORK/app' && GOARCH=$arch CC='zig cc -target $zt' go build -tags tpauth_musl -ldflags '-linkmode external -extldflags -static' -o check-musl-$arch ."
  check "the musl $arch program is static" bash -c "file '$WORK/app/check-musl-$arch' | grep -q 'statically linked'"
done
check_run "go: static musl amd64 program, password grant + API call" "$WORK/app/check-musl-amd64"
check_run "go: static musl arm64 program under qemu-aarch64-static, password grant + API call" qemu-aarch64-static "$WORK/app/check-musl-arm64"
dist_end
