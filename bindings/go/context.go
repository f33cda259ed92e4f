package tpauth

/*
#include "tpauth.h"
*/
import "C"

import (
	"context"
)

// runContext runs call, a blocking cgo call, and returns its result, or ctx.Err() as soon as ctx
// ends. A C call cannot be interrupted: when ctx ends first it completes in its own goroutine and
// its result (which the call has already copied into Go memory and freed in C) is dropped; its
// effect on the client (e.g. a new current token) stays.
func runContext[T any](ctx context.Context, call func() (T, error)) (T, error) {
	var zero T
	if ctx.Done() == nil {
		return call()
	}
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := call()
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// PasswordGrantContext is PasswordGrant, returning ctx.Err() as soon as ctx ends (the request
// then completes in the background, and its token still becomes the current one).
func (c *Client) PasswordGrantContext(ctx context.Context, username, password string) (*Token, error) {
	return runContext(ctx, func() (*Token, error) { return c.PasswordGrant(username, password) })
}

// ClientCredentialsGrantContext is ClientCredentialsGrant, returning ctx.Err() as soon as ctx ends.
func (c *Client) ClientCredentialsGrantContext(ctx context.Context) (*Token, error) {
	return runContext(ctx, c.ClientCredentialsGrant)
}

// AuthorizationCodeGrantContext is AuthorizationCodeGrant, returning ctx.Err() as soon as ctx ends.
func (c *Client) AuthorizationCodeGrantContext(ctx context.Context, code, redirectURI string) (*Token, error) {
	return runContext(ctx, func() (*Token, error) { return c.AuthorizationCodeGrant(code, redirectURI) })
}

// AuthorizationCodeGrantPKCEContext is AuthorizationCodeGrantPKCE, returning ctx.Err() as soon as
// ctx ends.
func (c *Client) AuthorizationCodeGrantPKCEContext(ctx context.Context, code, redirectURI, codeVerifier string) (*Token, error) {
	return runContext(ctx, func() (*Token, error) { return c.AuthorizationCodeGrantPKCE(code, redirectURI, codeVerifier) })
}

// RefreshContext is Refresh, returning ctx.Err() as soon as ctx ends.
func (c *Client) RefreshContext(ctx context.Context, refreshToken string) (*Token, error) {
	return runContext(ctx, func() (*Token, error) { return c.Refresh(refreshToken) })
}

// RevokeContext is Revoke, returning ctx.Err() as soon as ctx ends.
func (c *Client) RevokeContext(ctx context.Context, refreshToken string) error {
	_, err := runContext(ctx, func() (struct{}, error) { return struct{}{}, c.Revoke(refreshToken) })
	return err
}

// RequestContext is Request, returning ctx.Err() as soon as ctx ends, including while the call
// waits for another goroutine's renewal of the token.
func (c *Client) RequestContext(ctx context.Context, method, urlOrPath string, body []byte, contentType string) (*Response, error) {
	if _, err := c.tokenChecked(ctx); err != nil {
		return nil, err
	}
	return runContext(ctx, func() (*Response, error) { return c.Request(method, urlOrPath, body, contentType) })
}

// NewPKCE returns a fresh PKCE pair (RFC 7636, method S256): a 43-character verifier made from 32
// random bytes, and its challenge. Send the challenge with AuthorizeURLPKCE and keep the verifier
// (a secret, like the state) for AuthorizationCodeGrantPKCE. Trustpilot does not require PKCE.
func NewPKCE() (verifier, challenge string, err error) {
	var v, ch *C.char
	var e *C.tp_error
	if st := C.tp_new_pkce(&v, &ch, &e); st != C.TP_OK {
		return "", "", takeError(st, e)
	}
	return goStringOwned(v), goStringOwned(ch), nil
}

// AuthorizeURLPKCE is AuthorizeURL with code_challenge=…&code_challenge_method=S256 added when
// codeChallenge is not "" (responseType "code" only).
func (c *Client) AuthorizeURLPKCE(redirectURI, responseType, state, codeChallenge string) (string, error) {
	if responseType == "" {
		responseType = "code"
	}
	r := cString(redirectURI)
	rt := cString(responseType)
	s := cStringOrNil(state)
	ch := cStringOrNil(codeChallenge)
	defer freeC(r)
	defer freeC(rt)
	defer freeC(s)
	defer freeC(ch)
	var url *C.char
	err := c.readCall(func(h *C.tp_auth, e **C.tp_error) C.tp_status { // builds a URL: the token stays
		return C.tp_authorize_url_pkce(h, r, rt, s, ch, &url, e)
	})
	if err != nil {
		return "", err
	}
	return goStringOwned(url), nil
}

// AuthorizationCodeGrantPKCE is AuthorizationCodeGrant, also sending codeVerifier (the verifier
// of the challenge given to AuthorizeURLPKCE; "" sends none). A verifier that does not match
// gives ErrInvalidGrant.
func (c *Client) AuthorizationCodeGrantPKCE(code, redirectURI, codeVerifier string) (*Token, error) {
	cc := cString(code)
	r := cString(redirectURI)
	v := cStringOrNil(codeVerifier)
	defer freeSecret(cc)
	defer freeC(r)
	defer freeSecret(v)
	return c.tokenCall(func(h *C.tp_auth, out **C.tp_token, e **C.tp_error) C.tp_status {
		return C.tp_authorization_code_grant_pkce(h, cc, r, v, out, e)
	})
}

// InvalidateTokenContext is InvalidateToken, returning ctx.Err() as soon as ctx ends (with a
// token cache it may wait for the cache's lock).
func (c *Client) InvalidateTokenContext(ctx context.Context, accessToken string) error {
	_, err := runContext(ctx, func() (struct{}, error) { return struct{}{}, c.InvalidateToken(accessToken) })
	return err
}

// SetTokenContext is SetToken, returning ctx.Err() as soon as ctx ends (it writes the token cache).
func (c *Client) SetTokenContext(ctx context.Context, tok *Token) error {
	_, err := runContext(ctx, func() (struct{}, error) { return struct{}{}, c.SetToken(tok) })
	return err
}
