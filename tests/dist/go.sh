#!/usr/bin/env bash
# dist/go: a copy of the module, a fresh program module requiring it through a `replace`, then
#   go build + run (linux/amd64, glibc: lib/linux-amd64);
#   GOARCH=arm64 CC="zig cc -target aarch64-linux-gnu" go build, run under qemu-aarch64-static
#     (the aarch64 glibc from libc6-arm64-cross as QEMU_LD_PREFIX);
#   -tags tpauth_musl with zig's musl, linked fully static: amd64 run natively, arm64 under qemu;
# each a password grant + API call against the mock. No Rust on PATH; zig comes from PyPI (ziglang).
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
check "the module holds include/tpauth.h and a static library per platform" \
  test -f "$WORK/tpauth-go/include/tpauth.h" -a -f "$WORK/tpauth-go/lib/linux-amd64/libtpauth.a" -a -f "$WORK/tpauth-go/lib/linux-arm64/libtpauth.a" \
  -a -f "$WORK/tpauth-go/lib/linux-musl-amd64/libtpauth.a" -a -f "$WORK/tpauth-go/lib/linux-musl-arm64/libtpauth.a"
check "go vet of the module (amd64, and -tags tpauth_musl)" bash -c "cd '$WORK/tpauth-go' && go vet . && go vet -tags tpauth_musl ."
check "go build (linux/amd64, glibc)" bash -c "cd '$WORK/app' && go build -o check ."
check "the program links no libtpauth.so" bash -c "! ldd '$WORK/app/check' | grep -q libtpauth"
check_run "go: linux/amd64 program, password grant + API call" "$WORK/app/check"

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
