package tpauth

/*
#include "tpauth.h"
*/
import "C"

// BindingVersion is this Go package's version. The linked libtpauth must be the same release:
// the package refuses to start with another (a stale shared library lacks functions or behaves
// otherwise).
const BindingVersion = "0.1.0"

func init() {
	if msg := versionMismatch(C.GoString(C.tp_version())); msg != "" {
		panic(msg)
	}
}

// versionMismatch says why a libtpauth of version lib cannot be used, or "" when it can.
func versionMismatch(lib string) string {
	if lib == BindingVersion {
		return ""
	}
	return "tpauth: the Go package is version " + BindingVersion + " but the linked libtpauth is " + lib +
		": link the libtpauth of the same release (scripts/build-native.sh, or the module's bundled library)"
}
