//go:build tpauth_dynamic

package tpauth

// With -tags tpauth_dynamic the package links libtpauth.so from target/release, found at run time
// through an rpath to that folder (or LD_LIBRARY_PATH / the system's library path once installed).

/*
#cgo CFLAGS: -I${SRCDIR}/../../include
#cgo LDFLAGS: -L${SRCDIR}/../../target/release -Wl,-rpath,${SRCDIR}/../../target/release -ltpauth
*/
import "C"
