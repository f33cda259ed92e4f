package tpauth

/*
#include "tpauth.h"
*/
import "C"

import (
	"context"
	"net/http"
	"net/textproto"
	"runtime"
	"strings"
	"time"
)

// SetAPIHeaders sets on req the headers the core gives for an API call to req.URL
// (tp_api_headers): Authorization with the managed token, apikey and, when configured,
// x-business-user-id. Each replaces the request's own header of that name, in any letter case,
// except that a request's own x-business-user-id is kept (tp_api_headers' merge rule, which every
// binding's adapter follows).
//
// A URL whose host may not see the token (CheckTokenURL) gives an *Error of status
// ErrInvalidArgument before any token is requested, and req is left unchanged. A wait for a
// renewal ends with req.Context(): the call then returns the context's error.
//
// For code that sends requests itself; on a 401, call InvalidateToken with the token sent (the
// Authorization header's value after "Bearer "), then SetAPIHeaders again and resend once.
// Transport does all of this.
func (c *Client) SetAPIHeaders(req *http.Request) error {
	if req.URL == nil {
		return &Error{Status: StatusInvalidArgument, Message: "http: nil Request.URL"}
	}
	lines, err := c.apiHeaders(req.Context(), req.Method, req.URL.String())
	if err != nil {
		return err
	}
	setAPIHeaders(req, lines)
	return nil
}

// apiHeaders is tp_api_headers: the core's "Name: value" lines for an API call, or its refusal.
//
// tp_api_headers takes the managed token as tp_get_token does, which may renew it, and a C call
// cannot be left when ctx ends. So when the fast path's copy of the token is not current (the core
// may renew), the host is judged first (a refused host causes no token request), then the token
// is obtained through tokenSlow, which honours ctx, and tp_api_headers runs under runContext. When
// the copy is current, the core holds that same token, still valid and not due: tp_api_headers
// answers from memory, in one cgo call and without waiting. (Only a renewal the core starts
// between the two checks, the wall clock crossing the renew-at instant in between or a concurrent
// Request's 401, could make that call wait for it without ctx.)
func (c *Client) apiHeaders(ctx context.Context, method, url string) (string, error) {
	if method == "" {
		method = http.MethodGet // net/http's reading of an empty Method
	}
	fast := c.fast.p.Load()
	if fast != nil && time.Now().UnixMilli() < fast.renewAt {
		return c.apiHeadersCgo(method, url, fast)
	}
	if err := c.CheckTokenURL(url); err != nil {
		return "", err
	}
	if _, err := c.tokenSlow(ctx); err != nil {
		return "", err
	}
	return runContext(ctx, func() (string, error) { return c.apiHeadersCgo(method, url, c.fast.p.Load()) })
}

// apiHeadersCgo is one tp_api_headers. When the token in its answer is not the one of fast (the
// fast path's copy when the call began: the core renewed meanwhile), that copy is dropped.
func (c *Client) apiHeadersCgo(method, url string, fast *fastToken) (string, error) {
	m := cString(method)
	u := cString(url)
	defer freeC(m)
	defer freeC(u)
	h, err := c.acquire()
	if err != nil {
		return "", err
	}
	var out *C.char
	var e *C.tp_error
	st := C.tp_api_headers(h, m, u, &out, &e)
	c.mu.RUnlock()
	runtime.KeepAlive(c)
	if st != C.TP_OK {
		return "", takeError(st, e)
	}
	lines := goStringOwned(out) // tp_string_free wipes the C copy
	if fast != nil && bearerToken(lines) != fast.tok.AccessToken {
		c.dropFast()
	}
	return lines, nil
}

// eachHeader calls f with the name and value of each of the core's "Name: value" lines.
func eachHeader(lines string, f func(name, value string)) {
	for lines != "" {
		var line string
		line, lines, _ = strings.Cut(lines, "\n")
		if name, value, ok := strings.Cut(line, ": "); ok {
			f(name, value)
		}
	}
}

// bearerToken is the credential of the Authorization line among the core's lines: the token to
// pass to InvalidateToken after a 401.
func bearerToken(lines string) string {
	tok := ""
	eachHeader(lines, func(name, value string) {
		if strings.EqualFold(name, "Authorization") {
			_, tok, _ = strings.Cut(value, " ")
		}
	})
	return tok
}

// setAPIHeaders sets the core's lines on req's headers (made when nil). Each replaces the values
// under that name in every letter case (net/http sends a key that is not canonical as it is, so a
// second spelling would go out as a second header), except that an x-business-user-id the
// request already carries is kept.
func setAPIHeaders(req *http.Request, lines string) {
	if req.Header == nil {
		req.Header = make(http.Header, 3)
	}
	h := req.Header
	eachHeader(lines, func(name, value string) {
		keep := strings.EqualFold(name, "x-business-user-id")
		for k, v := range h {
			if !strings.EqualFold(k, name) {
				continue
			}
			if keep && len(v) > 0 {
				return
			}
			delete(h, k)
		}
		h[textproto.CanonicalMIMEHeaderKey(name)] = []string{value}
	})
}
