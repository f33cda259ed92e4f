package tpauth

/*
#include <stdlib.h>
#include "tpauth.h"
*/
import "C"

import (
	"context"
	"net/http"
	"net/textproto"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// An API call as the Transport and SetAPIHeaders send it. The core decides everything
// (tp_prepare_api_call: which URL, which hosts may see the token, which headers, and how they merge
// with a request's own), and Go pays for a cgo call only when an answer is new:
//   - the host rule is judged once per origin as Go will connect to it (req.URL's scheme and host,
//     with the method): the allow-list is fixed for a client's life, so the core's verdict is
//     kept (originVerdicts);
//   - the header lines are asked for once per token, kept beside Go's copy of that token
//     (fastToken.headers) and dropped with it, with the core's merge rule for each header
//     (tp_caller_header_kept) as data.
// Any other request (a path, no scheme, an opaque or userinfo URL) is judged whole, every time,
// and sent to the URL the core judged.

// preparedCall is one request's share of that: where it goes and what it carries.
type preparedCall struct {
	url     *url.URL // the URL the core judged when it is not req.URL's own origin (a joined path); nil: req.URL
	headers *headerSet
}

// headerSet is the core's header lines for one token, parsed once.
type headerSet struct {
	bearer  string // the access token of the Authorization line: the one to invalidate on a 401
	entries []headerEntry
}

type headerEntry struct {
	key         string // the canonical form net/http sends
	name        string // as the core names it
	value       string
	callersKept bool // the core's merge rule: a request's own header of this name is kept, and this line left out
}

// originKey is what the host rule's verdict depends on for a request Go sends to req.URL.
type originKey struct{ method, scheme, host string }

// originVerdicts: the core's verdict per origin (nil error: allowed), replaced whole on each new
// origin so that readers need no lock. Bounded: past maxOrigins new origins are judged each time.
type originVerdicts struct {
	mu sync.Mutex
	m  atomic.Pointer[map[originKey]*Error]
}

const maxOrigins = 64

// prepare judges req's URL (a foreign host costs no token request) and gives the header set of the
// current token, renewing it through ctx when needed.
func (c *Client) prepare(ctx context.Context, req *http.Request) (preparedCall, error) {
	method, target, judged, err := c.judge(req)
	if err != nil {
		return preparedCall{}, err
	}
	hs, err := c.headerSet(ctx, method, judged)
	return preparedCall{url: target, headers: hs}, err
}

// judgedURL is a URL the core judged, spelled out only when a cgo call needs it: an origin
// (scheme and host) or a whole URL.
type judgedURL struct {
	scheme, host, whole string
}

func (j judgedURL) String() string {
	if j.whole != "" {
		return j.whole
	}
	return j.scheme + "://" + j.host + "/"
}

// judge is the core's verdict on req's URL as Go would send it: target is the URL to send to
// instead of req.URL (nil: req.URL), judged the URL the core judged.
func (c *Client) judge(req *http.Request) (method string, target *url.URL, judged judgedURL, err error) {
	method = req.Method
	if method == "" {
		method = http.MethodGet // net/http's reading of an empty Method
	}
	u := req.URL
	if u == nil {
		return method, nil, judged, &Error{Status: StatusInvalidArgument, Message: "http: nil Request.URL"}
	}
	if u.Opaque == "" && u.User == nil && u.Host != "" && (u.Scheme == "https" || u.Scheme == "http") {
		judged = judgedURL{scheme: u.Scheme, host: u.Host}
		return method, nil, judged, c.judgeOrigin(originKey{method, u.Scheme, u.Host}, judged)
	}
	// Not an origin Go connects to as it stands: the core judges the reference whole, and the
	// request goes to the URL it judged (a path joined to api_base_url) or nowhere.
	whole, verdict, err := c.judgeURLCgo(method, u.String())
	if err != nil {
		return method, nil, judged, err
	}
	if verdict != nil {
		return method, nil, judged, verdict
	}
	if target, err = url.Parse(whole); err != nil {
		return method, nil, judged, &Error{Status: StatusInvalidArgument, Message: "url_or_path: the judged URL does not parse: " + err.Error()}
	}
	return method, target, judgedURL{whole: whole}, nil
}

// CheckRequest reports whether Transport would send req, judging its URL as Transport does
// (CheckTokenURL's rule, kept per origin) without asking for a token: nil when req goes to a
// host that may see the token (or, for a path, to the URL the core joins it to); otherwise an
// *Error of status ErrInvalidArgument naming the host. For RoundTrippers that must judge the host
// before something else asks for the token (oauth2adapter.HostRule).
func (c *Client) CheckRequest(req *http.Request) error {
	_, _, _, err := c.judge(req)
	return err
}

// judgeOrigin is the core's verdict on an origin, asked once.
func (c *Client) judgeOrigin(k originKey, origin judgedURL) error {
	if m := c.origins.m.Load(); m != nil {
		if e, ok := (*m)[k]; ok {
			return e.copy()
		}
	}
	_, verdict, err := c.judgeURLCgo(k.method, origin.String())
	if err != nil {
		return err // no verdict (the client is closed)
	}
	c.origins.mu.Lock()
	if old := c.origins.m.Load(); old == nil || len(*old) < maxOrigins {
		m := make(map[originKey]*Error, 1+lenOf(old))
		if old != nil {
			for key, v := range *old {
				m[key] = v
			}
		}
		m[k] = verdict
		c.origins.m.Store(&m)
	}
	c.origins.mu.Unlock()
	return verdict.copy()
}

func lenOf(m *map[originKey]*Error) int {
	if m == nil {
		return 0
	}
	return len(*m)
}

// copy is a caller's own copy of a kept verdict (nil: allowed), so that no two callers share one.
func (e *Error) copy() error {
	if e == nil {
		return nil
	}
	c := *e
	return &c
}

// headerSet is the header set of the current token: Go's copy while it is current, else from the
// core without renewal (TP_PREPARE_NO_RENEW), renewing through tokenSlow, which honours ctx, when
// the core has no fresh token.
func (c *Client) headerSet(ctx context.Context, method string, judged judgedURL) (*headerSet, error) {
	for attempt := 0; attempt < 2; attempt++ {
		if f := c.fast.p.Load(); f != nil && time.Now().UnixMilli() < f.renewAt {
			if hs := f.headers.Load(); hs != nil {
				return hs, nil
			}
			hs, err := c.headerSetCgo(method, judged, C.TP_PREPARE_NO_RENEW)
			if err != nil || hs != nil {
				if hs != nil && hs.bearer == f.tok.AccessToken {
					f.headers.Store(hs)
				}
				return hs, err
			}
			// The core has no fresh token although Go's copy looked current (a call on another
			// path invalidated it): renew, below.
		}
		if _, err := c.tokenSlow(ctx); err != nil {
			return nil, err
		}
	}
	// Renewed, and still no fresh token in the core (an early renewal failed while the token is
	// valid, or the token is due at once): let the core answer with the token it serves, waiting
	// on a goroutine that ctx abandons.
	return runContext(ctx, func() (*headerSet, error) { return c.headerSetCgo(method, judged, 0) })
}

// judgeURLCgo is the core's verdict on one URL or path for method, without renewal or waiting
// (TP_PREPARE_NO_RENEW; the header lines it may give are wiped unread): the URL to send to, or
// the refusal (verdict). err is for a call that could not be judged (the client is closed).
func (c *Client) judgeURLCgo(method, urlOrPath string) (judged string, verdict *Error, err error) {
	judged, lines, err := c.prepareCgo(method, urlOrPath, C.TP_PREPARE_NO_RENEW)
	if lines != nil {
		C.tp_string_free(lines)
	}
	if e, ok := err.(*Error); ok && e.Status == StatusInvalidArgument && !c.closed() {
		return "", e, nil
	}
	return judged, nil, err
}

// headerSetCgo is tp_prepare_api_call's header lines, parsed, with the core's merge rule for each;
// nil (and no error) when flags hold TP_PREPARE_NO_RENEW and the core has no fresh token.
func (c *Client) headerSetCgo(method string, judged judgedURL, flags C.uint32_t) (*headerSet, error) {
	_, lines, err := c.prepareCgo(method, judged.String(), flags)
	if err != nil || lines == nil {
		return nil, err
	}
	text := goStringOwned(lines) // tp_string_free wipes the C copy
	hs := &headerSet{}
	for text != "" {
		var line string
		line, text, _ = strings.Cut(text, "\n")
		name, value, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		cname := cString(name)
		kept := bool(C.tp_caller_header_kept(cname))
		freeC(cname)
		hs.entries = append(hs.entries, headerEntry{key: textproto.CanonicalMIMEHeaderKey(name), name: name, value: value, callersKept: kept})
		if strings.EqualFold(name, "Authorization") {
			_, hs.bearer, _ = strings.Cut(value, " ")
		}
	}
	return hs, nil
}

// prepareCgo is one tp_prepare_api_call for a request that names none of its own headers (the
// merge with them happens in Go, by the core's rule); lines is the C string of header lines or nil.
func (c *Client) prepareCgo(method, urlOrPath string, flags C.uint32_t) (judged string, lines *C.char, err error) {
	m := cString(method)
	u := cString(urlOrPath)
	defer freeC(m)
	defer freeC(u)
	h, err := c.acquire()
	if err != nil {
		return "", nil, err
	}
	var out *C.char
	var e *C.tp_error
	st := C.tp_prepare_api_call(h, m, u, nil, flags, &out, &lines, &e)
	c.mu.RUnlock()
	runtime.KeepAlive(c)
	if st != C.TP_OK {
		return "", nil, takeError(st, e)
	}
	return goStringOwned(out), lines, nil
}
