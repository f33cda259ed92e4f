// Package oauth2adapter plugs a tpauth.Client into programs built on golang.org/x/oauth2: a
// TokenSource serving tpauth's managed token, and RoundTrippers, alone or under x/oauth2's own
// oauth2.Transport, that add the headers the core gives for an API call (tpauth's
// Client.Transport: the headers and the host rule are the core's, never this package's). It is a
// module of its own so that the tpauth package itself does not depend on x/oauth2.
//
//	hc := &http.Client{Transport: oauth2adapter.Transport(c, nil)}
//	// or with x/oauth2's own Transport (which cannot cancel a wait for a renewal), behind
//	// HostRule (x/oauth2 asks the TokenSource before any RoundTripper sees the request):
//	hc := &http.Client{Transport: oauth2adapter.HostRule(c, &oauth2.Transport{Source: oauth2adapter.TokenSource(c), Base: oauth2adapter.APIKey(c, nil)})}
package oauth2adapter

import (
	"net/http"
	"sync/atomic"

	tpauth "github.com/tpauth/tpauth/bindings/go"
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

// APIKey returns an http.RoundTripper for oauth2.Transport's Base. It is c.Transport(base): it
// sets the headers the core gives (SetAPIHeaders: apikey, x-business-user-id when configured, and
// Authorization with the managed token, the one TokenSource(c) gave oauth2.Transport), refuses a
// host that may not receive the token before anything is sent, and when the API answers 401
// invalidates the token sent, renews it and resends once (when the body can be replayed).
func APIKey(c *tpauth.Client, base http.RoundTripper) http.RoundTripper {
	return c.Transport(base)
}

// HostRule returns an http.RoundTripper that refuses a request to a host that may not see the
// token before next runs (c.CheckRequest: the core's host rule, as c.Transport applies it), and
// otherwise hands it to next. Put it in front of x/oauth2's Transport: that one asks its
// TokenSource for a token before its Base sees the request, so without HostRule a request to a
// foreign host would cost a token request (APIKey still refuses to send it).
func HostRule(c *tpauth.Client, next http.RoundTripper) http.RoundTripper {
	return hostRule{c: c, next: next}
}

type hostRule struct {
	c    *tpauth.Client
	next http.RoundTripper
}

func (h hostRule) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := h.c.CheckRequest(req); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	return h.next.RoundTrip(req)
}

// Transport does what HostRule(c, &oauth2.Transport{Source: TokenSource(c), Base: APIKey(c, base)}) does, and
// also honours req.Context() while it waits for a renewal (x/oauth2's TokenSource.Token takes no
// context, so oauth2.Transport waits a renewal out): a request whose context ends then returns
// the context's error at once. It is c.Transport(base).
func Transport(c *tpauth.Client, base http.RoundTripper) http.RoundTripper {
	return c.Transport(base)
}
