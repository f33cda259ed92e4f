package tpauth

/*
#include <stdlib.h>
#include "tpauth.h"
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"runtime"
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

// persistJSON is t in the library's persisted-token format ("tpauth-token-1"), which keeps the
// time of receipt so that the expiry survives the round trip.
func (t *Token) persistJSON() ([]byte, error) {
	if t == nil || t.AccessToken == "" {
		return nil, &Error{Status: StatusInvalidArgument, Message: "the token has no access token"}
	}
	// The raw response, with the fields of t on top (they win if the caller changed them).
	raw := map[string]json.RawMessage{}
	if len(t.Raw) > 0 {
		if err := json.Unmarshal(t.Raw, &raw); err != nil {
			raw = map[string]json.RawMessage{}
		}
	}
	str := func(s string) json.RawMessage { b, _ := json.Marshal(s); return b }
	now := time.Now().Unix()
	receivedAt := now
	expiresIn := t.ExpiresIn
	switch {
	case t.Expiry.IsZero() && expiresIn > 0:
		// A token built by hand (or decoded from elsewhere) with ExpiresIn alone, as
		// oauth2.Token's wire field: it was received now.
	case t.Expiry.IsZero():
		expiresIn = -1 // no known expiry
	case expiresIn > 0:
		receivedAt = t.Expiry.Unix() - expiresIn
	default:
		expiresIn = t.Expiry.Unix() - now
		if expiresIn < 0 {
			expiresIn = 0
		}
	}
	raw["access_token"] = str(t.AccessToken)
	if t.TokenType != "" {
		raw["token_type"] = str(t.TokenType)
	}
	if expiresIn >= 0 {
		raw["expires_in"] = json.RawMessage(fmt.Sprint(expiresIn))
	} else {
		delete(raw, "expires_in")
	}
	if t.RefreshToken != "" {
		raw["refresh_token"] = str(t.RefreshToken)
	} else {
		delete(raw, "refresh_token")
	}
	rawText := string(t.Raw)
	if !sameToken(t.Raw, raw) {
		b, err := json.Marshal(raw)
		if err != nil {
			return nil, &Error{Status: StatusInvalidArgument, Message: "the token cannot be encoded"}
		}
		rawText = string(b)
	}
	// The library reads received_at_ms (earlier builds: received_at, in seconds); both are given.
	p := struct {
		Format       string `json:"format"`
		Raw          string `json:"raw"`
		ReceivedAtMS int64  `json:"received_at_ms"`
		ReceivedAt   int64  `json:"received_at"`
		RefreshToken string `json:"refresh_token,omitempty"`
	}{"tpauth-token-1", rawText, receivedAt * 1000, receivedAt, t.RefreshToken}
	return json.Marshal(p)
}

// sameToken reports whether the verbatim raw body already says what fields says, so that it can
// be kept byte for byte.
func sameToken(rawBody json.RawMessage, fields map[string]json.RawMessage) bool {
	if len(rawBody) == 0 {
		return false
	}
	var orig map[string]json.RawMessage
	if json.Unmarshal(rawBody, &orig) != nil {
		return false
	}
	for _, k := range []string{"access_token", "refresh_token", "token_type"} {
		a, aok := orig[k]
		b, bok := fields[k]
		if aok != bok {
			return false
		}
		if aok && !jsonEqual(a, b) {
			return false
		}
	}
	// expires_in may be a string ("359999") or a number: compare the values.
	var ea, eb json.Number
	_, aok := orig["expires_in"]
	_, bok := fields["expires_in"]
	if aok != bok {
		return false
	}
	if aok {
		if json.Unmarshal(unquote(orig["expires_in"]), &ea) != nil || json.Unmarshal(fields["expires_in"], &eb) != nil {
			return false
		}
		if ea.String() != eb.String() {
			return false
		}
	}
	return true
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y interface{}
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return fmt.Sprint(x) == fmt.Sprint(y)
}

// unquote turns "359999" into 359999 (a JSON string holding a number into the number).
func unquote(v json.RawMessage) json.RawMessage {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return json.RawMessage(s)
	}
	return v
}

// toC makes a C token from t. The caller frees it with tp_token_free.
func (t *Token) toC() (*C.tp_token, error) {
	js, err := t.persistJSON()
	if err != nil {
		return nil, err
	}
	cs := C.CString(string(js))
	var out *C.tp_token
	var e *C.tp_error
	st := C.tp_token_from_json(cs, &out, &e)
	freeSecret(cs)
	runtime.KeepAlive(js)
	if st != C.TP_OK {
		return nil, takeError(st, e)
	}
	return out, nil
}
