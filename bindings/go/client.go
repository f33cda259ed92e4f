package tpauth

/*
#include <stdlib.h>
#include <string.h>
#include "tpauth.h"

// The managed token in one cgo call: when it is still the token the Go side copied last (same
// access token, refresh token and expiry), *same is set and nothing is handed over; else *out
// receives it. Either way *renew_at receives the instant (unix ms) from which the core renews it.
static int tpgo_same_str(const char *c, const char *g, size_t glen) {
	if (c == NULL) return glen == 0;
	return strlen(c) == glen && memcmp(c, g, glen) == 0;
}

static tp_status tpgo_get_token(tp_auth *auth, const char *at, size_t at_len, const char *rt, size_t rt_len,
                                int64_t expires_at, int *same, int64_t *renew_at, tp_token **out, tp_error **err) {
	tp_token *t = NULL;
	tp_status st = tp_get_token(auth, &t, err);
	if (st != TP_OK) return st;
	*renew_at = tp_token_renew_at_ms(auth, t);
	if (at_len > 0 && tpgo_same_str(tp_token_access_token(t), at, at_len) &&
	    tpgo_same_str(tp_token_refresh_token(t), rt, rt_len) && tp_token_expires_at(t) == expires_at) {
		tp_token_free(t);
		*same = 1;
		return TP_OK;
	}
	*same = 0;
	*out = t;
	return TP_OK;
}
*/
import "C"

import (
	"context"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// liveClients counts the C clients not yet freed.
var liveClients atomic.Int64

// Each C client holds memory the Go collector does not see (a connection pool, TLS settings), so
// clients dropped without Close could pile up until a collection that the small Go heap may not
// trigger for a long time. Two measures keep them bounded:
//   - New starts a collection when the count of live clients has grown by gcSlack past twice the
//     lowest count seen since the last one: clients leaked to the finalizer stay bounded by about
//     gcSlack, while a program that keeps many clients open pays a logarithmic number of
//     collections;
//   - the finalizer only queues the handle; New (on the creating goroutine) and a reaper goroutine
//     free the queue, so that freeing keeps pace with creating.
const gcSlack = 64

var gcPressure struct {
	sync.Mutex
	minLive int64 // the lowest liveClients seen since the last collection started
}

var reaper struct {
	sync.Mutex
	handles []*C.tp_auth // dropped clients' handles, to be freed
	once    sync.Once
	wake    chan struct{}
}

func clientOpened() {
	live := liveClients.Add(1)
	gcPressure.Lock()
	defer gcPressure.Unlock()
	if live < 2*gcPressure.minLive+gcSlack {
		return
	}
	collectDropped()
	gcPressure.minLive = liveClients.Load()
}

// gcSentinel is dropped before a collection; its finalizer tells when that collection's
// finalizers are being run. (Large enough to get an allocation of its own.)
type gcSentinel struct {
	_ [32]byte
	p *byte
}

// collectDropped runs a collection, waits (briefly) for the finalizers it queues, and frees the
// handles they queued.
func collectDropped() {
	done := make(chan struct{})
	s := &gcSentinel{}
	runtime.SetFinalizer(s, func(*gcSentinel) { close(done) })
	s = nil
	runtime.GC()
	select {
	case <-done:
		runtime.Gosched()
	case <-time.After(100 * time.Millisecond):
	}
	reap()
}

func freeHandle(h *C.tp_auth) {
	C.tp_auth_free(h)
	live := liveClients.Add(-1)
	// Lower minLive unless a collection is under way (which sets it when done).
	if gcPressure.TryLock() {
		if live < gcPressure.minLive {
			gcPressure.minLive = live
		}
		gcPressure.Unlock()
	}
}

// reap frees the handles of the clients the finalizer has queued.
func reap() {
	reaper.Lock()
	hs := reaper.handles
	reaper.handles = nil
	reaper.Unlock()
	for _, h := range hs {
		freeHandle(h)
	}
}

// finalizeClient is the safety net for a client dropped without Close.
func finalizeClient(c *Client) {
	c.mu.Lock()
	h := c.handle
	c.handle = nil
	c.mu.Unlock()
	if h == nil {
		return
	}
	reaper.Lock()
	reaper.handles = append(reaper.handles, h)
	reaper.Unlock()
	reaper.once.Do(func() {
		reaper.wake = make(chan struct{}, 1)
		go func() {
			for range reaper.wake {
				reap()
			}
		}()
	})
	select {
	case reaper.wake <- struct{}{}:
	default:
	}
}

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
}

// fastToken is the managed token as the Go side may serve it without asking the core.
type fastToken struct {
	tok      *Token
	renewAt  int64 // unix ms: from then on, ask the core
	expiryMs int64 // unix ms: the token is no longer valid (math.MaxInt64: unknown)
	timer    *time.Timer
}

// fastSlot holds the copy Token() serves. It is an object of its own so that the timer that
// empties it does not keep the Client alive (the finalizer still frees a dropped client).
type fastSlot struct {
	p atomic.Pointer[fastToken]
}

// longestTimer: a renew-at further away than this (a token without expiry) arms no timer.
const longestTimer = 365 * 24 * time.Hour

// flight is one cgo call to tp_get_token that every goroutine asking meanwhile waits for (or
// stops waiting for when its context ends).
type flight struct {
	done chan struct{}
	tok  *Token
	err  error
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

func openClient(ccfg *C.tp_config) (*Client, error) {
	reap()
	var h *C.tp_auth
	var e *C.tp_error
	if st := C.tp_auth_new(ccfg, &h, &e); st != C.TP_OK {
		return nil, takeError(st, e)
	}
	clientOpened()
	c := &Client{handle: h, fast: &fastSlot{}}
	runtime.SetFinalizer(c, finalizeClient)
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

// Token returns the managed token: the current token while it is valid, else one refresh or
// grant shared by every goroutine (and, with a token cache, every process) asking at once.
//
// While the token is valid and not yet due for renewal, Token answers from Go memory: no cgo call
// and no allocation. The returned *Token is shared by every caller (as x/oauth2's
// ReuseTokenSource does): treat it as read-only, and copy it before changing a field.
//
// A timer ends the fast path at the instant the core renews the token. Go timers follow the
// monotonic clock, which stands still while the machine is suspended: after a resume the copy
// may be served for up to the suspend's length past that instant (Transport and RequestContext
// check the wall clock as well, and every adapter renews on a 401 in any case).
func (c *Client) Token() (*Token, error) {
	if f := c.fast.p.Load(); f != nil {
		return f.tok, nil
	}
	return c.tokenSlow(context.Background())
}

// TokenContext is Token, giving up when ctx ends: a goroutine waiting for a renewal that another
// goroutine started gets ctx.Err() at once, while the renewal goes on for the others.
func (c *Client) TokenContext(ctx context.Context) (*Token, error) {
	if f := c.fast.p.Load(); f != nil {
		return f.tok, nil
	}
	return c.tokenSlow(ctx)
}

// tokenChecked is TokenContext that also reads the wall clock before serving the Go copy (for
// the paths that send a request anyway).
func (c *Client) tokenChecked(ctx context.Context) (*Token, error) {
	if f := c.fast.p.Load(); f != nil && time.Now().UnixMilli() < f.renewAt {
		return f.tok, nil
	}
	return c.tokenSlow(ctx)
}

// tokenSlow asks the core, through one flight shared by every goroutine asking meanwhile. While
// a renewal is under way, a token that is still valid is served without waiting (as the core
// does).
func (c *Client) tokenSlow(ctx context.Context) (*Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.flightMu.Lock()
	fl := c.flight
	if fl != nil {
		if f := c.held.Load(); f != nil && time.Now().UnixMilli() < f.expiryMs {
			c.flightMu.Unlock()
			return f.tok, nil
		}
	} else {
		fl = &flight{done: make(chan struct{})}
		c.flight = fl
		run := func() {
			fl.tok, fl.err = c.tokenCgo()
			c.flightMu.Lock()
			c.flight = nil
			c.flightMu.Unlock()
			close(fl.done)
		}
		if ctx.Done() == nil {
			c.flightMu.Unlock()
			run() // nothing to give up on: call in this goroutine
			return fl.tok, fl.err
		}
		go run()
	}
	c.flightMu.Unlock()
	if ctx.Done() == nil {
		<-fl.done
		return fl.tok, fl.err
	}
	select {
	case <-fl.done:
		return fl.tok, fl.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// tokenCgo is one tp_get_token; the token it yields becomes the fast path's copy.
func (c *Client) tokenCgo() (*Token, error) {
	c.fastMu.Lock()
	gen := c.fastGen
	c.fastMu.Unlock()
	h, err := c.acquire()
	if err != nil {
		return nil, err
	}
	last := c.last.Load()
	var at, rt *C.char
	var atLen, rtLen int
	var exp int64 = -1
	if last != nil {
		// Go memory without Go pointers, read by C during the call only.
		at, atLen = stringData(last.AccessToken)
		rt, rtLen = stringData(last.RefreshToken)
		if !last.Expiry.IsZero() {
			exp = last.Expiry.Unix()
		}
	}
	var same C.int
	var renewAt C.int64_t
	var out *C.tp_token
	var e *C.tp_error
	st := C.tpgo_get_token(h, at, C.size_t(atLen), rt, C.size_t(rtLen), C.int64_t(exp), &same, &renewAt, &out, &e)
	c.mu.RUnlock()
	runtime.KeepAlive(c)
	runtime.KeepAlive(last)
	if st != C.TP_OK {
		return nil, takeError(st, e)
	}
	if same == 0 {
		last = takeToken(out)
		c.last.Store(last)
	}
	expiry := int64(math.MaxInt64)
	if !last.Expiry.IsZero() {
		expiry = last.Expiry.UnixMilli()
	}
	ft := &fastToken{tok: last, renewAt: int64(renewAt), expiryMs: expiry}
	c.fastMu.Lock()
	if c.fastGen == gen {
		c.held.Store(ft)
		var serve *fastToken
		if d := time.Duration(ft.renewAt-time.Now().UnixMilli()) * time.Millisecond; ft.renewAt == math.MaxInt64 || d > longestTimer {
			serve = ft // no expiry: served until dropped
		} else if d > 0 {
			slot := c.fast
			ft.timer = time.AfterFunc(d, func() { slot.p.CompareAndSwap(ft, nil) })
			serve = ft
		}
		if old := c.fast.p.Swap(serve); old != nil && old.timer != nil {
			old.timer.Stop()
		}
	}
	c.fastMu.Unlock()
	return last, nil
}

// dropFast forgets the fast path's copy: the current token may have changed (invalidated, set,
// obtained by a grant or a request's renewal), so the next Token asks the core.
func (c *Client) dropFast() {
	c.fastMu.Lock()
	c.fastGen++
	if old := c.fast.p.Swap(nil); old != nil && old.timer != nil {
		old.timer.Stop()
	}
	c.held.Store(nil)
	c.fastMu.Unlock()
}

// stringData is s's bytes for a C call that reads them (not NUL-terminated), with their length.
func stringData(s string) (*C.char, int) {
	if s == "" {
		return nil, 0
	}
	return (*C.char)(unsafe.Pointer(unsafe.StringData(s))), len(s)
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
