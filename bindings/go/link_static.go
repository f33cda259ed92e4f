//go:build !tpauth_dynamic

package tpauth

// The in-repository build links the static library that scripts/build-native.sh builds, so that a
// Go program is one self-contained binary. The native libraries after it are the ones
// `cargo rustc -- --print native-static-libs` lists. The released module (scripts/dist/go.sh)
// replaces this file and link_dynamic.go with one link file per platform and its own include/.

/*
#cgo CFLAGS: -I${SRCDIR}/../../include
#cgo LDFLAGS: ${SRCDIR}/../../target/release/libtpauth.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
*/
import "C"
