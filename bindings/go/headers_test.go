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
