//go:build !tpauth_dynamic

package tpauth

// The default build links the static library, so that a Go program is one self-contained binary.
// The native libraries after it are the ones `cargo rustc -- --print native-static-libs` lists.
// On Windows (x86_64-pc-windows-gnu, built with mingw-w64) it links lib/windows-amd64/libtpauth.a,
// which tests/wine/run.sh (and the release's dist step) put there.

/*
#cgo !windows LDFLAGS: ${SRCDIR}/../../target/release/libtpauth.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
#cgo windows,amd64 LDFLAGS: -L${SRCDIR}/lib/windows-amd64 -ltpauth -lws2_32 -lbcrypt -lntdll -luserenv -ladvapi32 -lkernel32 -lcrypt32 -lsecur32 -lncrypt
*/
import "C"
