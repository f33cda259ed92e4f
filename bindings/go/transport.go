package tpauth

import (
	"io"
	"net/http"
)

// Transport returns an http.RoundTripper that sends each request through base (nil:
// http.DefaultTransport) with the headers the core gives for it (SetAPIHeaders: Authorization
// with the managed token, apikey and, when configured, x-business-user-id). When the server
// answers 401 it invalidates that token, renews it and sends the request once more, provided the
// body can be replayed (no body, or req.GetBody set, as http.NewRequest does for bytes, strings
// and bytes.Buffer readers); otherwise the 401 is returned as is. It honours req.Context(): a
// request whose context ends while it waits for a renewal returns the context's error at once.
//
// The token goes only to the hosts the core allows (CheckTokenURL): the api_base_url host,
// Trustpilot's API hosts and the hosts of the token_hosts option. A request to any other host,
// or to a reference some HTTP stack would read as another host ("https:host/x", "//host/x"),
// fails with an *Error of status ErrInvalidArgument before any token is requested, and is not
// sent; a path ("/v1/...") is sent to the URL the core joins it to.
//
// Its own cost per request is a map lookup and a header copy: the core's verdict on each origin
// and its header lines for each token are asked for once (no cgo call per request).
func (c *Client) Transport(base http.RoundTripper) http.RoundTripper {
	return &transport{c: c, base: base}
}

type transport struct {
	c    *Client
	base http.RoundTripper
}

func (t *transport) baseRT() http.RoundTripper {
	if t.base != nil {
		return t.base
	}
	return http.DefaultTransport
}

func closeRequestBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// RoundTrip implements http.RoundTripper.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL == nil {
		closeRequestBody(req)
		return nil, &Error{Status: StatusInvalidArgument, Message: "http: nil Request.URL"}
	}
	call, err := t.c.prepare(req.Context(), req)
	if err != nil {
		closeRequestBody(req)
		return nil, err
	}
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	resp, err := t.baseRT().RoundTrip(call.authorized(req, req.Body))
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	// The API refused this token: drop it (only if still current, so that concurrent 401s renew
	// once), then renew and resend once when the body can be sent again.
	if err := t.c.InvalidateToken(call.headers.bearer); err != nil {
		return resp, nil
	}
	if !replayable {
		return resp, nil
	}
	var body io.ReadCloser
	if req.Body != nil && req.Body != http.NoBody {
		if body, err = req.GetBody(); err != nil {
			return resp, nil
		}
	} else {
		body = req.Body
	}
	call, err = t.c.prepare(req.Context(), req)
	if err != nil {
		if body != nil {
			body.Close()
		}
		resp.Body.Close()
		return nil, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return t.baseRT().RoundTrip(call.authorized(req, body))
}
