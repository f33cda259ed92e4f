package tpauth

import (
	"io"
	"net/http"
	"strings"
)

// SetAPIHeaders sets on req the headers the core gives for an API call to req.URL
// (tp_prepare_api_call): Authorization with the managed token, apikey and, when configured,
// x-business-user-id. Each replaces the request's own header of that name, in any letter case,
// except that a request's own x-business-user-id is kept (the core's merge rule, which every
// binding's adapter follows). When req.URL is a path ("/v1/..."), it becomes the URL the core
// joined it to: send req as it is then.
//
// A URL whose host may not see the token (CheckTokenURL), or that some HTTP stack would read as
// another host ("https:host/x", "//host/x"), gives an *Error of status ErrInvalidArgument before
// any token is requested, and req is left unchanged. A wait for a renewal ends with
// req.Context(): the call then returns the context's error.
//
// For code that sends requests itself; on a 401, call InvalidateToken with the token sent (the
// Authorization header's value after "Bearer "), then SetAPIHeaders again and resend once.
// Transport does all of this.
func (c *Client) SetAPIHeaders(req *http.Request) error {
	if req.URL == nil {
		return &Error{Status: StatusInvalidArgument, Message: "http: nil Request.URL"}
	}
	call, err := c.prepare(req.Context(), req)
	if err != nil {
		return err
	}
	if call.url != nil {
		req.URL = call.url
	}
	if req.Header == nil {
		req.Header = make(http.Header, len(call.headers.entries))
	}
	call.headers.setOn(req.Header)
	return nil
}

// setOn applies the core's lines to h in place, by the rule merged describes.
func (hs *headerSet) setOn(h http.Header) {
	for i := range hs.entries {
		e := &hs.entries[i]
		if e.callersKept && carries(h, e.name) {
			continue
		}
		for k := range h {
			if strings.EqualFold(k, e.name) {
				delete(h, k)
			}
		}
		h[e.key] = []string{e.value}
	}
}

// authorized is a copy of req as the core prepared it (the judged URL, the core's headers merged
// into the request's own), carrying body; the original request is never modified. As x/oauth2's
// Transport does, the copy shares what net/http never writes (URL, trailers, form values) and has
// headers of its own.
func (p preparedCall) authorized(req *http.Request, body io.ReadCloser) *http.Request {
	r := new(http.Request)
	*r = *req
	r.Body = body
	if p.url != nil {
		r.URL = p.url
	}
	r.Header = p.headers.merged(req.Header)
	return r
}

// merged is a new header map: the request's own headers and the core's lines, by the core's merge
// rule. A line replaces the request's header of that name in every letter case (net/http sends a
// key that is not canonical as it is, so a second spelling would go out as a second header),
// unless the core keeps a request's own header of that name (callersKept) and the request carries
// one with a value: then the request's stays and the line is left out. All values share one new
// backing array (one allocation, as http.Header.Clone makes).
func (hs *headerSet) merged(own http.Header) http.Header {
	n := len(hs.entries)
	for _, v := range own {
		n += len(v)
	}
	vals := make([]string, n)
	h := make(http.Header, len(own)+len(hs.entries))
	for k, v := range own {
		if hs.replaces(k, own) {
			continue
		}
		copy(vals, v)
		h[k] = vals[:len(v):len(v)]
		vals = vals[len(v):]
	}
	for i := range hs.entries {
		e := &hs.entries[i]
		if e.callersKept && carries(own, e.name) {
			continue
		}
		vals[0] = e.value
		h[e.key] = vals[:1:1]
		vals = vals[1:]
	}
	return h
}

// replaces reports whether one of the core's lines takes the place of the request's header k.
func (hs *headerSet) replaces(k string, own http.Header) bool {
	for i := range hs.entries {
		e := &hs.entries[i]
		if strings.EqualFold(k, e.name) {
			return !e.callersKept || !carries(own, e.name)
		}
	}
	return false
}

// carries reports whether h holds a value for name, in any letter case.
func carries(h http.Header, name string) bool {
	for k, v := range h {
		if len(v) > 0 && strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}
