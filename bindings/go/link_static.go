//go:build !tpauth_dynamic

package tpauth

// The default build links the static library, so that a Go program is one self-contained binary.
// The native libraries after it are the ones `cargo rustc -- --print native-static-libs` lists.

/*
#cgo LDFLAGS: ${SRCDIR}/../../target/release/libtpauth.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
*/
import "C"
