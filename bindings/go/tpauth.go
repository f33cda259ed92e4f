// Package tpauth is a client for Trustpilot's OAuth2 business API, built on the tpauth C library
// (libtpauth): every grant (password, client credentials, authorization code, implicit), refresh,
// revoke, and API calls with a managed token that is renewed once for all goroutines (and, with a
// token cache, once for all processes on a host).
//
// A Client is safe for concurrent use; create one per application and Close it when done (a
// finalizer frees a forgotten one, but do not rely on it).
//
//	c, err := tpauth.New(tpauth.Config{APIKey: key, APISecret: secret, Username: user, Password: pass})
//	if err != nil { ... }
//	defer c.Close()
//	httpClient := &http.Client{Transport: c.Transport(nil)}
//	resp, err := httpClient.Get("https://api.trustpilot.com/v1/private/business-units/ID/reviews")
//
// The package links libtpauth.a statically by default; build with -tags tpauth_dynamic to link
// libtpauth.so instead. No secret (API secret, password, token) appears in an error message, a
// log line or the formatted value of a Config or Token.
package tpauth

/*
#include <stdlib.h>
#include <string.h>
#include "tpauth.h"
*/
import "C"

import (
	"unsafe"
)

// Version is the version of the linked tpauth C library, "MAJOR.MINOR.PATCH".
func Version() string {
	return C.GoString(C.tp_version())
}

// cString copies s into C memory; "" gives a valid empty string. Free with freeC or freeSecret.
func cString(s string) *C.char {
	return C.CString(s)
}

// cStringOrNil is cString, except that "" gives NULL (the C ABI's "none").
func cStringOrNil(s string) *C.char {
	if s == "" {
		return nil
	}
	return C.CString(s)
}

// freeC frees what cString allocated (NULL is fine).
func freeC(p *C.char) {
	if p != nil {
		C.free(unsafe.Pointer(p))
	}
}

// freeSecret wipes, then frees, a C copy of a secret (password, API secret, token).
func freeSecret(p *C.char) {
	if p != nil {
		C.memset(unsafe.Pointer(p), 0, C.strlen(p))
		C.free(unsafe.Pointer(p))
	}
}

// goStringOwned copies a char* that the library handed over (out parameter) and frees it with
// tp_string_free.
func goStringOwned(p *C.char) string {
	if p == nil {
		return ""
	}
	s := C.GoString(p)
	C.tp_string_free(p)
	return s
}

// goStringOrEmpty copies a borrowed const char*; NULL gives "".
func goStringOrEmpty(p *C.char) string {
	if p == nil {
		return ""
	}
	return C.GoString(p)
}
