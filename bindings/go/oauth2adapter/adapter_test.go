package oauth2adapter

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tpauth "github.com/tpauth/tpauth/bindings/go"
	"github.com/tpauth/tpauth/bindings/go/internal/mocktest"
	"golang.org/x/oauth2"
)

var mockBase string

func TestMain(m *testing.M) { mocktest.Main(m, &mockBase) }

func mock(t *testing.T, method, path, body string, v interface{}) {
	t.Helper()
	req, _ := http.NewRequest(method, mockBase+path, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if v != nil {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatal(err)
		}
	}
}

type stats struct {
	TokenRequests int `json:"token_requests"`
	APIRequests   int `json:"api_requests"`
	API401        int `json:"api_401"`
}

func mockStats(t *testing.T) (s stats) { mock(t, "GET", "/_mock/stats", "", &s); return }

type wire struct {
	Headers [][2]string `json:"headers"`
	Body    string      `json:"body"`
}

func (w wire) header(n string) string {
	for _, h := range w.Headers {
		if strings.EqualFold(h[0], n) {
			return h[1]
		}
	}
	return ""
}

func client(t *testing.T) *tpauth.Client {
	t.Helper()
	mock(t, "POST", "/_mock/reset", "", nil)
	c, err := tpauth.New(tpauth.Config{
		APIKey: "mock-api-key", APISecret: "mock-api-secret", APIBaseURL: mockBase, AllowInsecureHTTP: true,
		Username: "user@example.com", Password: "mock-password", BusinessUserID: "bu-1",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestTokenSourceIsBearer(t *testing.T) {
	c := client(t)
	ts := TokenSource(c)
	tok, err := ts.Token()
	if err != nil || tok.TokenType != "Bearer" || tok.Type() != "Bearer" || tok.AccessToken == "" || !tok.Valid() {
		t.Fatalf("Token: %+v %v", tok, err)
	}
	if allocs := testing.AllocsPerRun(100, func() { _, _ = ts.Token() }); allocs != 0 {
		t.Errorf("cached Token(): %v allocations", allocs)
	}
	// ReuseTokenSource on top works too.
	if rt, err := oauth2.ReuseTokenSource(nil, ts).Token(); err != nil || rt.AccessToken != tok.AccessToken {
		t.Errorf("ReuseTokenSource: %v", err)
	}
}

func TestTransportHeadersAnd401(t *testing.T) {
	c := client(t)
	hc := &http.Client{Transport: Transport(c, nil)}
	get := func() (int, string) {
		resp, err := hc.Post(mockBase+"/v1/private/x", "text/plain", strings.NewReader("hi"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(b)
	}
	if st, b := get(); st != 200 || !strings.Contains(b, `"body":"hi"`) {
		t.Fatalf("%d %s", st, b)
	}
	var w wire
	mock(t, "GET", "/_mock/last_api_request", "", &w)
	tok, _ := c.Token()
	if w.header("authorization") != "Bearer "+tok.AccessToken || w.header("apikey") != "mock-api-key" || w.header("x-business-user-id") != "bu-1" {
		t.Errorf("headers %v", w.Headers)
	}
	// The mock stops accepting every token: one 401, one renewal, one resend.
	mock(t, "POST", "/_mock/expire", "", nil)
	if st, b := get(); st != 200 || !strings.Contains(b, `"body":"hi"`) {
		t.Fatalf("after expire: %d %s", st, b)
	}
	if s := mockStats(t); s.APIRequests != 3 || s.API401 != 1 || s.TokenRequests != 2 {
		t.Errorf("stats %+v: want 3 API requests (one 401) and 2 token requests", s)
	}
	// x/oauth2's own Transport over APIKey: the same headers, and the same single resend.
	hc = &http.Client{Transport: &oauth2.Transport{Source: TokenSource(c), Base: APIKey(c, nil)}}
	mock(t, "POST", "/_mock/expire", "", nil)
	if st, b := get(); st != 200 || !strings.Contains(b, `"body":"hi"`) {
		t.Fatalf("oauth2.Transport after expire: %d %s", st, b)
	}
	mock(t, "GET", "/_mock/last_api_request", "", &w)
	if w.header("apikey") != "mock-api-key" || !strings.HasPrefix(w.header("authorization"), "Bearer ") {
		t.Errorf("oauth2.Transport headers %v", w.Headers)
	}
	if s := mockStats(t); s.APIRequests != 5 || s.API401 != 2 || s.TokenRequests != 3 {
		t.Errorf("stats %+v: want 5 API requests (two 401) and 3 token requests", s)
	}
}

func TestTransportRefusesForeignHost(t *testing.T) {
	var hits atomic.Int32
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer foreign.Close()
	// httptest listens on 127.0.0.1 like the mock: name it by another host to be foreign.
	url := strings.Replace(foreign.URL, "127.0.0.1", "localhost", 1)
	// This package's Transport, and x/oauth2's Transport over APIKey, behind HostRule and bare.
	// x/oauth2 asks its TokenSource before any RoundTripper sees the request: HostRule judges the
	// host first, so a foreign host costs no token request; bare, it costs one (of a client that
	// has no token yet), and APIKey still refuses to send it.
	for _, tc := range []struct {
		name          string
		rt            func(c *tpauth.Client) http.RoundTripper
		tokenRequests int
	}{
		{"Transport", func(c *tpauth.Client) http.RoundTripper { return Transport(c, nil) }, 0},
		{"HostRule(oauth2.Transport+APIKey)", func(c *tpauth.Client) http.RoundTripper {
			return HostRule(c, &oauth2.Transport{Source: TokenSource(c), Base: APIKey(c, nil)})
		}, 0},
		{"oauth2.Transport+APIKey", func(c *tpauth.Client) http.RoundTripper {
			return &oauth2.Transport{Source: TokenSource(c), Base: APIKey(c, nil)}
		}, 1},
	} {
		c := client(t) // a client with no token yet, and the mock's counters at 0
		resp, err := (&http.Client{Transport: tc.rt(c)}).Get(url + "/v1/private/x")
		if err == nil {
			resp.Body.Close()
			t.Fatalf("%s: a foreign host got the request (%d)", tc.name, resp.StatusCode)
		}
		if !errors.Is(err, tpauth.ErrInvalidArgument) || !strings.Contains(err.Error(), "token_hosts") {
			t.Errorf("%s: error %v: want ErrInvalidArgument naming the token_hosts option", tc.name, err)
		}
		if hits.Load() != 0 {
			t.Errorf("%s: the foreign server saw %d requests", tc.name, hits.Load())
		}
		if s := mockStats(t); s.TokenRequests != tc.tokenRequests {
			t.Errorf("%s: %d token requests for a refused host, want %d", tc.name, s.TokenRequests, tc.tokenRequests)
		}
	}
	// Behind HostRule, an allowed host still gets the request with x/oauth2's token and APIKey's headers.
	c := client(t)
	rt := HostRule(c, &oauth2.Transport{Source: TokenSource(c), Base: APIKey(c, nil)})
	resp, err := (&http.Client{Transport: rt}).Get(mockBase + "/v1/private/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if s := mockStats(t); s.APIRequests != 1 || s.TokenRequests != 1 {
		t.Errorf("stats %+v: want 1 API request and 1 token request", s)
	}
}

func TestTransportCancelled(t *testing.T) {
	c := client(t)
	tok, _ := c.Token()
	_ = c.InvalidateToken(tok.AccessToken)
	mock(t, "POST", "/_mock/fault", `{"kind":"slow","delay_ms":4000,"count":1}`, nil)
	renewed := make(chan struct{})
	go func() { defer close(renewed); _, _ = c.Token() }()
	for mockStats(t).TokenRequests < 2 {
		time.Sleep(5 * time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", mockBase+"/v1/private/x", nil)
	hc := &http.Client{Transport: Transport(c, nil)}
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
	case <-renewed:
		t.Fatal("the renewal finished before the cancelled request returned")
	default:
	}
	<-renewed
	if s := mockStats(t); s.APIRequests != 0 {
		t.Errorf("the cancelled request reached the API")
	}
}
