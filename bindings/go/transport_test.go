package tpauth

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// seen is what the httptest server received.
type seen struct {
	auth, apikey, buid, body string
}

// rejectOnce is an API that answers 401 to its first request and 200 after, recording each.
func rejectOnce(t *testing.T) (*httptest.Server, func() []seen) {
	var mu sync.Mutex
	var got []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, seen{r.Header.Get("Authorization"), r.Header.Get("apikey"), r.Header.Get("x-business-user-id"), string(b)})
		first := len(got) == 1
		mu.Unlock()
		if first {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"fault":{"faultstring":"Invalid access token"}}`)
			return
		}
		_, _ = io.WriteString(w, "ok:"+string(b))
	}))
	t.Cleanup(srv.Close)
	return srv, func() []seen { mu.Lock(); defer mu.Unlock(); return append([]seen(nil), got...) }
}

// allowHost adds srv's host:port to the token_hosts option (a test server runs on a port other
// than the mock's, and the token goes only to allowed hosts).
func allowHost(c *Config, srv *httptest.Server) {
	if c.Options == nil {
		c.Options = map[string]string{}
	}
	c.Options["token_hosts"] = strings.TrimPrefix(srv.URL, "http://")
}

func TestTransportRenewsOnceOn401(t *testing.T) {
	resetMock(t)
	srv, got := rejectOnce(t)
	c := newClient(t, func(c *Config) { c.BusinessUserID = "bu-42"; allowHost(c, srv) })
	hc := &http.Client{Transport: c.Transport(nil)}

	resp, err := hc.Post(srv.URL+"/v1/private/things", "application/json", strings.NewReader(`{"n":1}`))
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != `ok:{"n":1}` {
		t.Fatalf("answer %d %q", resp.StatusCode, b)
	}
	g := got()
	if len(g) != 2 {
		t.Fatalf("the server saw %d requests, want 2", len(g))
	}
	if !strings.HasPrefix(g[0].auth, "Bearer ") || !strings.HasPrefix(g[1].auth, "Bearer ") || g[0].auth == g[1].auth {
		t.Errorf("Authorization: first %q, then %q: want two different bearer tokens", g[0].auth, g[1].auth)
	}
	for i, s := range g {
		if s.apikey != mockKey || s.buid != "bu-42" || s.body != `{"n":1}` {
			t.Errorf("request %d: %+v", i, s)
		}
	}
	cur, _ := c.Token()
	if g[1].auth != "Bearer "+cur.AccessToken {
		t.Errorf("the resent request did not carry the renewed token")
	}
	if st := stats(t); st.TokenRequests != 2 {
		t.Errorf("%d token requests, want 2 (one grant, one renewal)", st.TokenRequests)
	}

	// Later requests use the renewed token and pass the first time.
	resp, err = hc.Get(srv.URL + "/v1/private/other")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET: %v %v", resp, err)
	}
	resp.Body.Close()
	if len(got()) != 3 || stats(t).TokenRequests != 2 {
		t.Errorf("a second request was resent or renewed the token")
	}
}

func TestTransportDoesNotResendUnreplayableBody(t *testing.T) {
	resetMock(t)
	srv, got := rejectOnce(t)
	c := newClient(t, func(c *Config) { allowHost(c, srv) })
	hc := &http.Client{Transport: c.Transport(http.DefaultTransport)}
	// A body http.NewRequest cannot rewind: no GetBody.
	req, _ := http.NewRequest("PUT", srv.URL+"/v1/x", io.NopCloser(bytes.NewBufferString("once")))
	if req.GetBody != nil {
		t.Fatal("test setup: GetBody is set")
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || len(got()) != 1 {
		t.Errorf("status %d after %d requests: want the 401 returned as is", resp.StatusCode, len(got()))
	}
	// The refused token was still invalidated: the next call renews.
	before := stats(t).TokenRequests
	if _, err := c.Token(); err != nil || stats(t).TokenRequests != before+1 {
		t.Errorf("the refused token was not invalidated (%v)", err)
	}
}

func TestTransportTokenError(t *testing.T) {
	resetMock(t)
	srv, got := rejectOnce(t)
	c := newClient(t, func(c *Config) { c.Password = "wrong"; allowHost(c, srv) })
	hc := &http.Client{Transport: c.Transport(nil)}
	_, err := hc.Get(srv.URL + "/v1/x")
	if !errors.Is(err, ErrInvalidGrant) {
		t.Errorf("want the token error through http.Client, got %v", err)
	}
	if len(got()) != 0 {
		t.Errorf("a request went out without a token")
	}
}

// The token never goes to a host off the allow-list: the request fails before it is sent, and the
// foreign server sees no Authorization header (it sees nothing at all).
func TestTransportRefusesForeignHost(t *testing.T) {
	resetMock(t)
	srv, got := rejectOnce(t)
	c := newClient(t, nil)
	hc := &http.Client{Transport: c.Transport(nil)}
	resp, err := hc.Get(srv.URL + "/v1/private/x")
	if err == nil {
		resp.Body.Close()
		t.Fatalf("a request to a foreign host was sent (status %d)", resp.StatusCode)
	}
	if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "token_hosts") {
		t.Errorf("want ErrInvalidArgument naming token_hosts, got %v", err)
	}
	if g := got(); len(g) != 0 {
		t.Errorf("the foreign server saw %d requests (first Authorization %q)", len(g), g[0].auth)
	}
	if st := stats(t); st.TokenRequests != 0 {
		t.Errorf("%d token requests for a refused URL, want 0", st.TokenRequests)
	}
	if err := c.CheckTokenURL("https://evil.co.uk/x"); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("CheckTokenURL(evil.co.uk): %v", err)
	}
	if err := c.CheckTokenURL("/v1/private/x"); err != nil {
		t.Errorf("CheckTokenURL(path): %v", err)
	}
	// The same client with the host in token_hosts sends it.
	c2 := newClient(t, func(c *Config) { allowHost(c, srv) })
	resp, err = (&http.Client{Transport: c2.Transport(nil)}).Get(srv.URL + "/v1/private/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if g := got(); len(g) == 0 || !strings.HasPrefix(g[0].auth, "Bearer ") {
		t.Errorf("with token_hosts the server saw %+v", g)
	}
}
