// Package oauth2adapter plugs a tpauth.Client into programs built on golang.org/x/oauth2: a
// TokenSource serving tpauth's managed token, and a Transport that adds Trustpilot's apikey
// header under x/oauth2's own oauth2.Transport. It is a module of its own so that the tpauth
// package itself does not depend on x/oauth2.
//
//	hc := &http.Client{Transport: oauth2adapter.Transport(c, nil)}
//	// or with x/oauth2's own Transport (which cannot cancel a wait for a renewal):
//	hc := &http.Client{Transport: &oauth2.Transport{Source: oauth2adapter.TokenSource(c), Base: oauth2adapter.APIKey(c, nil)}}
package oauth2adapter

import (
	"io"
	"net/http"
	"strings"
	"sync/atomic"

	tpauth "github.com/tpauth/tpauth-go"
	"golang.org/x/oauth2"
)

// TokenSource returns an oauth2.TokenSource serving c's managed token (renewed once for every
// goroutine, and with a token cache for every process). Tokens have TokenType "Bearer":
// Trustpilot sends "BearerToken", from which x/oauth2 would build an Authorization header the API
// refuses. While the token is cached, Token() allocates nothing; the *oauth2.Token it returns is
// shared and read-only.
func TokenSource(c *tpauth.Client) oauth2.TokenSource {
	return &source{c: c}
}

type source struct {
	c    *tpauth.Client
	last atomic.Pointer[converted]
}

type converted struct {
	from *tpauth.Token
	to   *oauth2.Token
}

func (s *source) Token() (*oauth2.Token, error) {
	tok, err := s.c.Token()
	if err != nil {
		return nil, err
	}
	if l := s.last.Load(); l != nil && l.from == tok {
		return l.to, nil
	}
	o := &oauth2.Token{AccessToken: tok.AccessToken, TokenType: "Bearer", RefreshToken: tok.RefreshToken, Expiry: tok.Expiry}
	s.last.Store(&converted{from: tok, to: o})
	return o, nil
}

// APIKey returns an http.RoundTripper for oauth2.Transport's Base: it adds apikey (and, when
// configured, x-business-user-id) to each request, refuses a host that may not receive the token
// (the core's rule, before anything is sent), and when the API answers 401 invalidates the token
// oauth2.Transport attached, renews it and resends once (when the body can be replayed).
func APIKey(c *tpauth.Client, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &apikey{c: c, base: base}
}

// Transport does what &oauth2.Transport{Source: TokenSource(c), Base: APIKey(c, base)} does, and
// also honours req.Context() while it waits for a renewal (x/oauth2's TokenSource.Token takes no
// context, so oauth2.Transport waits a renewal out): a request whose context ends then returns
// the context's error at once.
func Transport(c *tpauth.Client, base http.RoundTripper) http.RoundTripper {
	return &transport{c: c, next: APIKey(c, base)}
}

type transport struct {
	c    *tpauth.Client
	next http.RoundTripper
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := t.c.TokenContext(req.Context())
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	r := req.Clone(req.Context()) // a RoundTripper must not modify the caller's request
	r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	return t.next.RoundTrip(r)
}

type apikey struct {
	c    *tpauth.Client
	base http.RoundTripper
}

func (a *apikey) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := checkHost(a.c, req); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	// oauth2.Transport hands over a clone of the caller's request: it is ours to change.
	a.c.SetAPIHeaders(req.Header)
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	resp, err := a.base.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	sent := strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer ")
	if sent == "" || a.c.InvalidateToken(sent) != nil || !replayable {
		return resp, nil
	}
	tok, err := a.c.TokenContext(req.Context())
	if err != nil {
		resp.Body.Close()
		return nil, err
	}
	r := req.Clone(req.Context())
	if req.Body != nil && req.Body != http.NoBody {
		if r.Body, err = req.GetBody(); err != nil {
			return resp, nil
		}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	return a.base.RoundTrip(r)
}
