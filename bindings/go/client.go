package tpauth

/*
#include <stdlib.h>
#include "tpauth.h"
*/
import "C"

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Client is a Trustpilot client: its options, a connection pool and the current token. It is safe
// for concurrent use by any number of goroutines: Token and Request renew an expired token once
// for all of them. Close it when done.
type Client struct {
	mu     sync.RWMutex // held for reading during every C call, for writing by Close
	handle *C.tp_auth   // owned; nil once closed

	last atomic.Pointer[Token] // the managed token as last copied, so that Token() copies it once

	// The fast path: the managed token as the core last handed it over. Token() serves it from
	// here, without a cgo call or a clock read, until a timer removes it at the instant the core
	// renews it (renewAt). held keeps the last copy for the slow path (see tokenSlow).
	fast   *fastSlot
	held   atomic.Pointer[fastToken]
	fastMu sync.Mutex // held to write fast and held; fastGen changes under it
	// fastGen counts the calls that may have changed the current token (invalidate, set, grant,
	// refresh, revoke, request): a copy taken before one of them is not stored after it.
	fastGen uint64

	flightMu sync.Mutex
	flight   *flight // the renewal in progress on the Go side, nil when none

	origins originVerdicts // the host rule's verdict per origin (apicall.go)
}

// New creates a client from cfg (which it copies).
func New(cfg Config) (*Client, error) {
	ccfg, err := cfg.build()
	if err != nil {
		return nil, err
	}
	c, err := openClient(ccfg)
	C.tp_config_free(ccfg)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// NewFromEnv creates a client configured from the environment: TRUSTPILOT_API_KEY,
// TRUSTPILOT_API_SECRET, TRUSTPILOT_USERNAME, TRUSTPILOT_PASSWORD, TRUSTPILOT_API_HOST
// (the API base URL) and TRUSTPILOT_<OPTION> for every other option (e.g. TRUSTPILOT_TOKEN_CACHE).
func NewFromEnv() (*Client, error) {
	var ccfg *C.tp_config
	var e *C.tp_error
	if st := C.tp_config_from_env(&ccfg, &e); st != C.TP_OK {
		return nil, takeError(st, e)
	}
	c, err := openClient(ccfg)
	C.tp_config_free(ccfg)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Close frees the client. It waits for calls in progress; later calls fail with
// ErrInvalidArgument. Closing twice is harmless. Close always returns nil (it implements
// io.Closer).
func (c *Client) Close() error {
	c.mu.Lock()
	h := c.handle
	c.handle = nil
	c.mu.Unlock()
	c.dropFast()
	if h != nil {
		freeHandle(h)
		runtime.SetFinalizer(c, nil)
	}
	return nil
}

// closed reports whether Close has run.
func (c *Client) closed() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.handle == nil
}

// acquire read-locks the client and returns its handle, or an error when it is closed. The
// caller calls c.mu.RUnlock() after its C call.
func (c *Client) acquire() (*C.tp_auth, error) {
	c.mu.RLock()
	if c.handle == nil {
		c.mu.RUnlock()
		return nil, errClosed()
	}
	return c.handle, nil
}

// tokenCall runs a C call that yields a token.
func (c *Client) tokenCall(call func(h *C.tp_auth, out **C.tp_token, e **C.tp_error) C.tp_status) (*Token, error) {
	h, err := c.acquire()
	if err != nil {
		return nil, err
	}
	var out *C.tp_token
	var e *C.tp_error
	st := call(h, &out, &e)
	c.mu.RUnlock()
	c.dropFast() // a grant or refresh makes its token the current one
	runtime.KeepAlive(c)
	if st != C.TP_OK {
		return nil, takeError(st, e)
	}
	return takeToken(out), nil
}

// statusCall runs a C call that yields only a status.
func (c *Client) statusCall(call func(h *C.tp_auth, e **C.tp_error) C.tp_status) error {
	err := c.readCall(call)
	c.dropFast() // revoke, invalidate, set and request may change the current token
	return err
}

// readCall runs a C call that yields only a status and leaves the current token alone.
func (c *Client) readCall(call func(h *C.tp_auth, e **C.tp_error) C.tp_status) error {
	h, err := c.acquire()
	if err != nil {
		return err
	}
	var e *C.tp_error
	st := call(h, &e)
	c.mu.RUnlock()
	runtime.KeepAlive(c)
	if st != C.TP_OK {
		return takeError(st, e)
	}
	return nil
}

// PasswordGrant obtains a token with a business user's username and password. It becomes the
// client's current token (and is written to the token cache).
func (c *Client) PasswordGrant(username, password string) (*Token, error) {
	u := cString(username)
	p := cString(password)
	defer freeC(u)
	defer freeSecret(p)
	return c.tokenCall(func(h *C.tp_auth, out **C.tp_token, e **C.tp_error) C.tp_status {
		return C.tp_password_grant(h, u, p, out, e)
	})
}

// ClientCredentialsGrant obtains a token for the application itself (API calls then need
// Config.BusinessUserID). It becomes the client's current token.
func (c *Client) ClientCredentialsGrant() (*Token, error) {
	return c.tokenCall(func(h *C.tp_auth, out **C.tp_token, e **C.tp_error) C.tp_status {
		return C.tp_client_credentials_grant(h, out, e)
	})
}

// AuthorizationCodeGrant exchanges the code of an authorization-code redirect; redirectURI must
// be the one given to AuthorizeURL. The token becomes the client's current token.
func (c *Client) AuthorizationCodeGrant(code, redirectURI string) (*Token, error) {
	cc := cString(code)
	r := cString(redirectURI)
	defer freeSecret(cc)
	defer freeC(r)
	return c.tokenCall(func(h *C.tp_auth, out **C.tp_token, e **C.tp_error) C.tp_status {
		return C.tp_authorization_code_grant(h, cc, r, out, e)
	})
}

// Refresh exchanges refreshToken ("" for the current token's) for a new token, which becomes the
// current one.
func (c *Client) Refresh(refreshToken string) (*Token, error) {
	rt := cStringOrNil(refreshToken)
	defer freeSecret(rt)
	return c.tokenCall(func(h *C.tp_auth, out **C.tp_token, e **C.tp_error) C.tp_status {
		return C.tp_refresh(h, rt, out, e)
	})
}

// Revoke revokes refreshToken ("" for the current token's), and with it its access token.
func (c *Client) Revoke(refreshToken string) error {
	rt := cStringOrNil(refreshToken)
	defer freeSecret(rt)
	return c.statusCall(func(h *C.tp_auth, e **C.tp_error) C.tp_status {
		return C.tp_revoke(h, rt, e)
	})
}

// InvalidateToken drops the current token if it is still accessToken (the one the API refused
// with 401), so that the next Token renews it.
func (c *Client) InvalidateToken(accessToken string) error {
	at := cString(accessToken)
	defer freeSecret(at)
	return c.statusCall(func(h *C.tp_auth, e **C.tp_error) C.tp_status {
		return C.tp_invalidate_token(h, at, e)
	})
}

// CheckTokenURL reports whether the token may be sent to url (tp_check_token_url): nil for a
// path ("/v1/...", joined to the API base URL) and for an absolute URL on an allowed scheme whose
// host and port are on the library's allow-list: the api_base_url host, Trustpilot's API hosts
// (api.trustpilot.com, invitations-api.trustpilot.com, https port 443) and the hosts of the
// token_hosts option ("host" or "host:port", comma-separated). Otherwise an *Error of status
// ErrInvalidArgument naming the host. Transport and SetAPIHeaders apply it to every request.
func (c *Client) CheckTokenURL(url string) error {
	u := cString(url)
	defer freeC(u)
	return c.readCall(func(h *C.tp_auth, e **C.tp_error) C.tp_status {
		return C.tp_check_token_url(h, u, e)
	})
}

// SetToken makes tok the client's current token (e.g. one read back from storage, or from
// ParseImplicitRedirect).
func (c *Client) SetToken(tok *Token) error {
	ct, err := tok.toC()
	if err != nil {
		return err
	}
	defer C.tp_token_free(ct)
	return c.statusCall(func(h *C.tp_auth, e **C.tp_error) C.tp_status {
		return C.tp_set_token(h, ct, e)
	})
}

// AuthorizeURL is the authorization page to send a browser to. responseType is "code" (the
// default when "") or "token" (implicit); state "" sends none (use NewState). redirectURI must
// use https.
func (c *Client) AuthorizeURL(redirectURI, responseType, state string) (string, error) {
	if responseType == "" {
		responseType = "code"
	}
	r := cString(redirectURI)
	rt := cString(responseType)
	s := cStringOrNil(state)
	defer freeC(r)
	defer freeC(rt)
	defer freeC(s)
	var url *C.char
	err := c.readCall(func(h *C.tp_auth, e **C.tp_error) C.tp_status { // builds a URL: the token stays
		return C.tp_authorize_url(h, r, rt, s, &url, e)
	})
	if err != nil {
		return "", err
	}
	return goStringOwned(url), nil
}
