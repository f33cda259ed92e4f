package tpauth

/*
#include "tpauth.h"
*/
import "C"

// NewState returns a fresh state value for AuthorizeURL: 128 random bits, URL-safe.
func NewState() string {
	return goStringOwned(C.tp_new_state())
}

// ParseCodeRedirect reads the authorization code from the URL the authorization page redirected
// to. With expectedState non-empty, the redirect's state must equal it (else ErrStateMismatch);
// a redirect carrying error=... gives ErrAccessDenied.
func ParseCodeRedirect(redirectURL, expectedState string) (string, error) {
	u := cString(redirectURL)
	s := cStringOrNil(expectedState)
	defer freeSecret(u)
	defer freeC(s)
	var code *C.char
	var e *C.tp_error
	if st := C.tp_parse_code_redirect(u, s, &code, &e); st != C.TP_OK {
		return "", takeError(st, e)
	}
	return goStringOwned(code), nil
}

// ParseImplicitRedirect reads the token from the fragment of the URL the authorization page
// redirected to (response type "token"). With expectedState non-empty, the redirect's state must
// equal it (else ErrStateMismatch).
func ParseImplicitRedirect(redirectURL, expectedState string) (*Token, error) {
	u := cString(redirectURL)
	s := cStringOrNil(expectedState)
	defer freeSecret(u)
	defer freeC(s)
	var out *C.tp_token
	var e *C.tp_error
	if st := C.tp_parse_implicit_redirect(u, s, &out, &e); st != C.TP_OK {
		return nil, takeError(st, e)
	}
	return takeToken(out), nil
}
