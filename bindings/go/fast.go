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
	"sync/atomic"
	"time"
	"unsafe"
)

// The fast path: Go's copy of the managed token, served by Token() without a cgo call while the
// core would answer the same token, and the one flight through which goroutines ask the core
// when it is not there.

// fastToken is the managed token as the Go side may serve it without asking the core.
type fastToken struct {
	tok      *Token
	renewAt  int64 // unix ms: from then on, ask the core
	expiryMs int64 // unix ms: the token is no longer valid (math.MaxInt64: unknown)
	timer    *time.Timer
	headers  atomic.Pointer[headerSet] // the core's API-call header lines for tok, once asked for
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
