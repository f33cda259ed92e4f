package tpauth

/*
#include <stdlib.h>
#include "tpauth.h"
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"time"
)

// Token is one token response. Expiry is the local clock at receipt plus ExpiresIn (the zero
// time when the server gave no expires_in); Raw is the server's response body, verbatim.
//
// A Token holds secrets: formatting it with fmt prints them redacted; encoding/json writes them
// in full (for persisting; SetToken reads such a value back).
type Token struct {
	AccessToken  string          `json:"access_token"`
	RefreshToken string          `json:"refresh_token,omitempty"`
	TokenType    string          `json:"token_type,omitempty"` // as sent, e.g. "BearerToken"
	ExpiresIn    int64           `json:"expires_in"`           // seconds as sent; -1 when unknown
	Expiry       time.Time       `json:"expiry,omitempty"`
	Raw          json.RawMessage `json:"raw,omitempty"`
}

// IsExpired reports whether the token expires within leeway from now. A token with no known
// expiry is never considered expired (the API's 401 tells).
func (t *Token) IsExpired(leeway time.Duration) bool {
	if t == nil || t.AccessToken == "" {
		return true
	}
	if t.Expiry.IsZero() {
		return false
	}
	return !time.Now().Add(leeway).Before(t.Expiry)
}

// Valid reports whether the token has an access token and has not expired (as oauth2.Token.Valid).
func (t *Token) Valid() bool {
	return t != nil && t.AccessToken != "" && !t.IsExpired(0)
}

// Format prints the Token with its access and refresh tokens redacted, whatever the verb.
func (t Token) Format(f fmt.State, verb rune) {
	rt := `""`
	if t.RefreshToken != "" {
		rt = "[redacted]"
	}
	exp := "unknown"
	if !t.Expiry.IsZero() {
		exp = t.Expiry.Format(time.RFC3339)
	}
	fmt.Fprintf(f, "tpauth.Token{AccessToken:[redacted] RefreshToken:%s TokenType:%q ExpiresIn:%d Expiry:%s Raw:[redacted %d bytes]}",
		rt, t.TokenType, t.ExpiresIn, exp, len(t.Raw))
}

// tokenFromC copies a tp_token into Go memory. The caller still owns (and frees) t.
func tokenFromC(t *C.tp_token) *Token {
	tok := &Token{
		AccessToken:  goStringOrEmpty(C.tp_token_access_token(t)),
		RefreshToken: goStringOrEmpty(C.tp_token_refresh_token(t)),
		TokenType:    goStringOrEmpty(C.tp_token_type(t)),
		ExpiresIn:    int64(C.tp_token_expires_in(t)),
		Raw:          json.RawMessage(goStringOrEmpty(C.tp_token_raw_json(t))),
	}
	if at := int64(C.tp_token_expires_at(t)); at >= 0 {
		tok.Expiry = time.Unix(at, 0)
	}
	return tok
}

// takeToken copies, then frees, a token a call handed over.
func takeToken(t *C.tp_token) *Token {
	tok := tokenFromC(t)
	C.tp_token_free(t)
	return tok
}

// toC makes a C token from t (tp_token_new: the library alone knows how tokens are stored). The
// caller frees it with tp_token_free.
func (t *Token) toC() (*C.tp_token, error) {
	if t == nil || t.AccessToken == "" {
		return nil, &Error{Status: StatusInvalidArgument, Message: "the token has no access token"}
	}
	// Go's shape (Expiry, ExpiresIn) to the C ABI's (expires_in, received_at_ms; -1: unknown, now).
	expiresIn := t.ExpiresIn
	receivedAtMS := int64(-1)
	switch {
	case t.Expiry.IsZero() && expiresIn > 0:
		// A token built by hand (or decoded from elsewhere) with ExpiresIn alone, as
		// oauth2.Token's wire field: it was received now.
	case t.Expiry.IsZero():
		expiresIn = -1 // no known expiry
	case expiresIn > 0:
		receivedAtMS = (t.Expiry.Unix() - expiresIn) * 1000
	default:
		now := time.Now().Unix()
		expiresIn = t.Expiry.Unix() - now
		if expiresIn < 0 {
			expiresIn = 0
		}
		receivedAtMS = now * 1000
	}
	at := cString(t.AccessToken)
	rt := cStringOrNil(t.RefreshToken)
	tt := cStringOrNil(t.TokenType)
	raw := cStringOrNil(string(t.Raw))
	defer freeSecret(at)
	defer freeSecret(rt)
	defer freeC(tt)
	defer freeSecret(raw)
	var out *C.tp_token
	var e *C.tp_error
	st := C.tp_token_new(at, rt, tt, C.int64_t(expiresIn), C.int64_t(receivedAtMS), raw, &out, &e)
	if st != C.TP_OK {
		return nil, takeError(st, e)
	}
	return out, nil
}
