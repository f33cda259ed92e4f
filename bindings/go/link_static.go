//go:build !tpauth_dynamic

package tpauth

// The in-repository build links the static library that scripts/build-native.sh builds, so that a
// Go program is one self-contained binary. The native libraries after it are the ones
// `cargo rustc -- --print native-static-libs` lists. The released module (scripts/dist/go.sh)
// replaces this file and link_dynamic.go with one link file per platform and its own include/.
// On Windows (x86_64-pc-windows-gnu, mingw-w64) it links lib/windows-amd64/libtpauth.a, which
// tests/wine/run.sh puts there (scripts/dist/windows.sh does the same in the released module).

/*
#cgo CFLAGS: -I${SRCDIR}/../../include
#cgo !windows LDFLAGS: ${SRCDIR}/../../target/release/libtpauth.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
#cgo windows,amd64 LDFLAGS: -L${SRCDIR}/lib/windows-amd64 -ltpauth -lws2_32 -lbcrypt -lntdll -luserenv -ladvapi32 -lkernel32 -lcrypt32 -lsecur32 -lncrypt
*/
import "C"
