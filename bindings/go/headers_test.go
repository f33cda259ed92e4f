package tpauth

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// The Transport asks the core which headers a call carries and where the token may go: a host
// the core's rule refuses gets no request at all, and no token request is made for it.
func TestTransportSendsNoTokenToAForeignHost(t *testing.T) {
	resetMock(t)
	c := newClient(t, nil)
	var hits atomic.Int64
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.Header.Get("Authorization") != "" || r.Header.Get("apikey") != "" {
			t.Errorf("the foreign host received credentials: %q %q", r.Header.Get("Authorization"), r.Header.Get("apikey"))
		}
	}))
	defer foreign.Close()
	// Same listener, another host name: not the API's host (127.0.0.1).
	url := strings.Replace(foreign.URL, "127.0.0.1", "localhost", 1) + "/steal"
	hc := &http.Client{Transport: c.Transport(nil)}
	resp, err := hc.Get(url)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("GET %s through the Transport succeeded; want the host refused", url)
	}
	if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "localhost") {
		t.Errorf("error = %v; want ErrInvalidArgument naming the host", err)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the foreign host received %d requests", n)
	}
	if s := stats(t); s.TokenRequests != 0 {
		t.Errorf("%d token requests for a refused host; want 0", s.TokenRequests)
	}
}

// SetAPIHeaders asks the core too: for a host the core refuses it returns the core's error and
// leaves the request as it was, so that sending it anyway shows the foreign server no credential.
func TestSetAPIHeadersRefusesAForeignHost(t *testing.T) {
	resetMock(t)
	c := newClient(t, nil)
	var seen atomic.Pointer[http.Header]
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Clone()
		seen.Store(&h)
	}))
	defer foreign.Close()
	url := strings.Replace(foreign.URL, "127.0.0.1", "localhost", 1) + "/steal"
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("X-Mine", "kept")
	err := c.SetAPIHeaders(req)
	var te *Error
	if !errors.As(err, &te) || te.Status != StatusInvalidArgument || !strings.Contains(err.Error(), "token_hosts") {
		t.Fatalf("SetAPIHeaders(%s) = %v; want the core's ErrInvalidArgument naming token_hosts", url, err)
	}
	if len(req.Header) != 1 || req.Header.Get("X-Mine") != "kept" {
		t.Errorf("the refused request's headers changed: %v", req.Header)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if h := seen.Load(); h == nil || h.Get("Authorization") != "" || h.Get("apikey") != "" {
		t.Errorf("the foreign server saw %v", h)
	}
	if s := stats(t); s.TokenRequests != 0 {
		t.Errorf("%d token requests for a refused host; want 0", s.TokenRequests)
	}
	// The same request to the API: the core's three headers, and the mock accepts them.
	c2 := newClient(t, func(c *Config) { c.BusinessUserID = "bu-5" })
	req, _ = http.NewRequest("GET", mockBase+"/v1/private/x", nil)
	if err := c2.SetAPIHeaders(req); err != nil {
		t.Fatal(err)
	}
	tok, _ := c2.Token()
	if req.Header.Get("Authorization") != "Bearer "+tok.AccessToken || req.Header.Get("apikey") != mockKey || req.Header.Get("x-business-user-id") != "bu-5" || len(req.Header) != 3 {
		t.Errorf("SetAPIHeaders set %v", req.Header)
	}
	if resp, err = http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET with SetAPIHeaders: %v %v", resp, err)
	}
	resp.Body.Close()
}

// The request's own headers meet the core's: Authorization and apikey are the core's, sent once
// whatever the letter case of the caller's keys (net/http sends a key that is not canonical as
// it is); a caller's x-business-user-id is kept, as the PHP and .NET adapters keep it.
func TestTransportHeaderMerge(t *testing.T) {
	resetMock(t)
	c := newClient(t, func(c *Config) { c.BusinessUserID = "bu-config" })
	hc := &http.Client{Transport: c.Transport(nil)}
	send := func(set func(h http.Header)) wireRequest {
		t.Helper()
		req, _ := http.NewRequest("GET", mockBase+"/v1/private/x", nil)
		set(req.Header)
		before := req.Header.Clone()
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if len(req.Header) != len(before) {
			t.Errorf("the Transport changed the caller's request: %v", req.Header)
		}
		return lastAPIRequest(t)
	}
	count := func(w wireRequest, name string) (n int) {
		for _, h := range w.Headers {
			if strings.EqualFold(h[0], name) {
				n++
			}
		}
		return n
	}
	tok, _ := c.Token()
	w := send(func(h http.Header) {
		h["authorization"] = []string{"Bearer stolen"}
		h["apikey"] = []string{"other-key"}
		h.Set("Apikey", "other-key-2")
		h["x-business-user-id"] = []string{"bu-caller"}
	})
	if count(w, "authorization") != 1 || w.header("authorization") != "Bearer "+tok.AccessToken {
		t.Errorf("Authorization on the wire: %v; want the core's, once", w.Headers)
	}
	if count(w, "apikey") != 1 || w.header("apikey") != mockKey {
		t.Errorf("apikey on the wire: %v; want the core's, once", w.Headers)
	}
	if count(w, "x-business-user-id") != 1 || w.header("x-business-user-id") != "bu-caller" {
		t.Errorf("x-business-user-id on the wire: %v; want the caller's, once", w.Headers)
	}
	// Without one of its own, the request carries the configured id.
	w = send(func(http.Header) {})
	if count(w, "x-business-user-id") != 1 || w.header("x-business-user-id") != "bu-config" {
		t.Errorf("x-business-user-id on the wire: %v; want bu-config, once", w.Headers)
	}
	// The Transport keeps the fast path's copy: a cached Token() still costs nothing.
	if allocs := testing.AllocsPerRun(100, func() { _, _ = c.Token() }); allocs != 0 {
		t.Errorf("cached Token() after Transport requests: %v allocations, want 0", allocs)
	}
	if s := stats(t); s.TokenRequests != 1 {
		t.Errorf("%d token requests, want 1", s.TokenRequests)
	}
}

// NewFromEnv takes everything from the core's reading of the environment (tp_config_from_env):
// the business user id reaches the Transport's headers without the binding reading it.
func TestNewFromEnvBusinessUserIDReachesTheTransport(t *testing.T) {
	resetMock(t)
	for k, v := range map[string]string{
		"TRUSTPILOT_API_KEY": mockKey, "TRUSTPILOT_API_SECRET": mockSecret, "TRUSTPILOT_API_HOST": mockBase,
		"TRUSTPILOT_ALLOW_INSECURE_HTTP": "true", "TRUSTPILOT_GRANT": "client_credentials",
		"TRUSTPILOT_BUSINESS_USER_ID": "mock-business-user-id",
	} {
		t.Setenv(k, v)
	}
	c, err := NewFromEnv()
	if err != nil {
		t.Fatalf("NewFromEnv: %v", err)
	}
	defer c.Close()
	resp, err := (&http.Client{Transport: c.Transport(nil)}).Get(mockBase + "/v1/private/x")
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET through the Transport: %d", resp.StatusCode)
	}
	req := lastAPIRequest(t)
	if got := req.header("x-business-user-id"); got != "mock-business-user-id" {
		t.Errorf("x-business-user-id = %q, want mock-business-user-id", got)
	}
	if got := req.header("apikey"); got != mockKey {
		t.Errorf("apikey = %q", got)
	}
}

func TestVersionCheck(t *testing.T) {
	if Version() != BindingVersion || versionMismatch(Version()) != "" {
		t.Fatalf("linked libtpauth %s, package %s", Version(), BindingVersion)
	}
	msg := versionMismatch("9.9.9")
	if !strings.Contains(msg, "9.9.9") || !strings.Contains(msg, BindingVersion) {
		t.Errorf("mismatch message %q names neither version", msg)
	}
}
