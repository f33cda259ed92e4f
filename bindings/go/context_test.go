package tpauth

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The cached token comes from Go memory: no request, no allocation; invalidating it and any
// renewal move the Go copy forward.
func TestFastPathServesFromGoMemory(t *testing.T) {
	resetMock(t)
	c := newClient(t, nil)
	first, err := c.Token()
	if err != nil {
		t.Fatal(err)
	}
	if allocs := testing.AllocsPerRun(1000, func() {
		if tok, err := c.Token(); err != nil || tok != first {
			t.Fatalf("Token: %v %v", tok, err)
		}
	}); allocs != 0 {
		t.Errorf("cached Token(): %v allocations, want 0", allocs)
	}
	if f := c.fast.p.Load(); f == nil || f.renewAt >= f.expiryMs || f.renewAt <= time.Now().UnixMilli() {
		t.Fatalf("fast copy: %+v (want renew-at between now and expiry)", f)
	}
	// Invalidation from this client: the next Token renews (the mock sees a refresh).
	if err := c.InvalidateToken(first.AccessToken); err != nil {
		t.Fatal(err)
	}
	second, err := c.Token()
	if err != nil || second.AccessToken == first.AccessToken {
		t.Fatalf("after InvalidateToken: %v (same token: %v)", err, second != nil && second.AccessToken == first.AccessToken)
	}
	// A renewal inside Request (the API refused the token) moves the Go copy forward too.
	mockPost(t, "/_mock/expire", nil)
	resp, err := c.Request("GET", "/v1/private/business-units/x", nil, "")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("Request after expire: %v %v", resp, err)
	}
	third, _ := c.Token()
	if third.AccessToken == second.AccessToken {
		t.Errorf("Token() after the request's renewal still served the refused token")
	}
	if s := stats(t); s.TokenRequests != 3 {
		t.Errorf("token requests %d, want 3 (grant, refresh after invalidate, refresh after 401)", s.TokenRequests)
	}
	// A token the core renews ahead of time (refresh_leeway_s) is not served from Go memory past
	// its renewal instant: a short lifetime makes the instant now.
	configMock(t, map[string]interface{}{"expires_in": 1})
	if _, err := c.Refresh(""); err != nil {
		t.Fatal(err)
	}
	short, _ := c.Token()
	// (Expiry has whole seconds: the true expiry is up to 1 s later.)
	if f := c.held.Load(); f == nil || f.renewAt > short.Expiry.UnixMilli()+1000-500 {
		t.Errorf("renew-at of a 1 s token: %+v, want at least half its lifetime early", f)
	}
	// At the renew-at instant the Go copy goes, and the next Token renews through the core.
	for deadline := time.Now().Add(20 * time.Second); c.fast.p.Load() != nil; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the fast copy of a 1 s token outlived its renew-at instant by 20 s")
		}
	}
	before := stats(t).TokenRequests
	if renewed, err := c.Token(); err != nil || renewed.AccessToken == short.AccessToken || stats(t).TokenRequests != before+1 {
		t.Errorf("Token after renew-at: %v, renewed %v", err, renewed != nil && renewed.AccessToken != short.AccessToken)
	}
	c.Close()
	if _, err := c.Token(); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("Token after Close: %v", err)
	}
}

// slowRenewal starts a renewal that the mock holds for seconds, from another goroutine, and
// returns when that renewal's request is in the mock's hands; done closes when it completes.
func slowRenewal(t *testing.T, c *Client) (done chan struct{}) {
	t.Helper()
	if tok, err := c.Token(); err != nil {
		t.Fatal(err)
	} else if err := c.InvalidateToken(tok.AccessToken); err != nil {
		t.Fatal(err)
	}
	before := stats(t).TokenRequests
	faultMock(t, map[string]interface{}{"kind": "slow", "delay_ms": 4000, "count": 1})
	done = make(chan struct{})
	go func() {
		defer close(done)
		if _, err := c.Token(); err != nil {
			t.Errorf("the renewing goroutine: %v", err)
		}
	}()
	for stats(t).TokenRequests == before {
		time.Sleep(5 * time.Millisecond)
	}
	return done
}

// A goroutine whose context is cancelled while another goroutine renews returns ctx.Err() at
// once; the renewal completes for the others.
func TestTokenContextCancelledWhileWaiting(t *testing.T) {
	resetMock(t)
	c := newClient(t, nil)
	done := slowRenewal(t, c)
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan error, 1)
	go func() { _, err := c.TokenContext(ctx); got <- err }()
	cancel()
	if err := <-got; !errors.Is(err, context.Canceled) {
		t.Fatalf("TokenContext after cancel: %v", err)
	}
	select {
	case <-done:
		t.Fatal("the renewal finished before the cancelled waiter returned: it did not return at once")
	default:
	}
	// An already-expired deadline, too.
	ctx2, cancel2 := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel2()
	<-ctx2.Done()
	if _, err := c.RequestContext(ctx2, "GET", "/v1/private/business-units/x", nil, ""); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("RequestContext with an expired deadline: %v", err)
	}
	<-done
	if _, err := c.TokenContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := stats(t); s.TokenRequests != 2 {
		t.Errorf("token requests %d, want 2 (grant, one renewal)", s.TokenRequests)
	}
}

// The Transport honours req.Context() while it waits for a renewal: no request leaves.
func TestTransportHonoursRequestContext(t *testing.T) {
	resetMock(t)
	c := newClient(t, nil)
	done := slowRenewal(t, c)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", mockBase+"/v1/private/business-units/x", nil)
	hc := &http.Client{Transport: c.Transport(nil)}
	got := make(chan error, 1)
	start := time.Now()
	go func() {
		resp, err := hc.Do(req)
		if resp != nil {
			resp.Body.Close()
		}
		got <- err
	}()
	cancel()
	if err := <-got; !errors.Is(err, context.Canceled) {
		t.Fatalf("Do after cancel: %v", err)
	}
	// (The renewal takes 4 s; both ending at about that time would also pass the select below.)
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("the cancelled request returned after %v: it waited the renewal out", d)
	}
	select {
	case <-done:
		t.Fatal("the renewal finished first: the transport waited it out")
	default:
	}
	<-done
	if s := stats(t); s.APIRequests != 0 {
		t.Errorf("the cancelled request reached the API (%d API requests)", s.APIRequests)
	}
}

// Against the mock: the headers, and a 401 renewed once and resent, through the Transport.
func TestTransportAgainstTheMock(t *testing.T) {
	resetMock(t)
	c := newClient(t, func(c *Config) { c.BusinessUserID = "bu-7" })
	hc := &http.Client{Transport: c.Transport(nil)}
	tok, _ := c.Token()
	mockPost(t, "/_mock/expire", nil)
	resp, err := hc.Post(mockBase+"/v1/private/x", "text/plain", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"body":"hello"`) {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	w := lastAPIRequest(t)
	cur, _ := c.Token()
	if w.header("authorization") != "Bearer "+cur.AccessToken || cur.AccessToken == tok.AccessToken || w.header("apikey") != mockKey || w.header("x-business-user-id") != "bu-7" {
		t.Errorf("headers of the resent request: %v", w.Headers)
	}
	if s := stats(t); s.APIRequests != 2 || s.API401 != 1 || s.TokenRequests != 2 {
		t.Errorf("stats %+v: want 2 API requests (one 401), 2 token requests", s)
	}
}

func TestPKCEAgainstTheMock(t *testing.T) {
	resetMock(t)
	c := newClient(t, nil)
	v, ch, err := NewPKCE()
	if err != nil || len(v) != 43 || len(ch) != 43 {
		t.Fatalf("NewPKCE: %q %q %v", v, ch, err)
	}
	const redirect = "https://app.example.com/cb"
	code := func() string {
		u, err := c.AuthorizeURLPKCE(redirect, "code", "st", ch)
		if err != nil || !strings.HasSuffix(u, "&code_challenge="+ch+"&code_challenge_method=S256") {
			t.Fatalf("AuthorizeURLPKCE: %q %v", u, err)
		}
		code, err := ParseCodeRedirect(browse(t, u), "st")
		if err != nil {
			t.Fatal(err)
		}
		return code
	}
	other, _, _ := NewPKCE()
	if _, err := c.AuthorizationCodeGrantPKCE(code(), redirect, other); !errors.Is(err, ErrInvalidGrant) {
		t.Errorf("wrong verifier: %v", err)
	}
	if _, err := c.AuthorizationCodeGrantPKCEContext(context.Background(), code(), redirect, v); err != nil {
		t.Errorf("right verifier: %v", err)
	}
	if w := lastTokenRequest(t); !strings.HasSuffix(w.Body, "&code_verifier="+v) {
		t.Errorf("exchange body %q", w.Body)
	}
	if _, err := c.AuthorizationCodeGrantPKCE("c", redirect, "short"); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("short verifier: %v", err)
	}
	c2 := newClient(t, func(c *Config) { c.Options = map[string]string{"scope": "read"} })
	if u, _ := c2.AuthorizeURL(redirect, "code", ""); !strings.HasSuffix(u, "&scope=read") {
		t.Errorf("scope missing from %q", u)
	}
}
