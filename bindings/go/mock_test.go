package tpauth

// The test harness: one mock Trustpilot server (`tpauth mock`, docs/mock.md) for the whole test
// binary, started on 127.0.0.1 port 0 and stopped after. Tests that count requests reset it first
// and do not run in parallel.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/tpauth/tpauth/bindings/go/internal/mocktest"
)

const (
	mockKey      = "mock-api-key"
	mockSecret   = "mock-api-secret"
	mockUser     = "user@example.com"
	mockPassword = "mock-password"
)

var mockBase string // http://127.0.0.1:PORT

func TestMain(m *testing.M) { mocktest.Main(m, &mockBase) }

// mockConfig is the Config every test starts from: the mock's identities, insecure loopback.
func mockConfig() Config {
	return Config{
		APIKey:            mockKey,
		APISecret:         mockSecret,
		APIBaseURL:        mockBase,
		AuthorizeURL:      mockBase + "/authenticate",
		Username:          mockUser,
		Password:          mockPassword,
		AllowInsecureHTTP: true,
	}
}

func newClient(t testing.TB, mod func(*Config)) *Client {
	t.Helper()
	cfg := mockConfig()
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func mockPost(t testing.TB, path string, body interface{}) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	resp, err := http.Post(mockBase+path, "application/json", rd)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST %s: %d %s", path, resp.StatusCode, b)
	}
}

func mockGet(t testing.TB, path string, v interface{}) {
	t.Helper()
	resp, err := http.Get(mockBase + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

func resetMock(t testing.TB) { t.Helper(); mockPost(t, "/_mock/reset", nil) }

func configMock(t testing.TB, cfg map[string]interface{}) {
	t.Helper()
	mockPost(t, "/_mock/config", cfg)
}

func faultMock(t testing.TB, fault map[string]interface{}) {
	t.Helper()
	mockPost(t, "/_mock/fault", fault)
}

type mockStats struct {
	TokenRequests  int            `json:"token_requests"`
	Grants         map[string]int `json:"grants"`
	RevokeRequests int            `json:"revoke_requests"`
	APIRequests    int            `json:"api_requests"`
	API401         int            `json:"api_401"`
	Connections    int            `json:"connections"`
	Requests       int            `json:"requests"`
}

func stats(t testing.TB) mockStats {
	t.Helper()
	var s mockStats
	mockGet(t, "/_mock/stats", &s)
	return s
}

type wireRequest struct {
	Method  string      `json:"method"`
	Path    string      `json:"path"`
	Headers [][2]string `json:"headers"`
	Body    string      `json:"body"`
}

func (w wireRequest) header(name string) string {
	for _, h := range w.Headers {
		if strings.EqualFold(h[0], name) {
			return h[1]
		}
	}
	return ""
}

func lastTokenRequest(t testing.TB) wireRequest {
	t.Helper()
	var w wireRequest
	mockGet(t, "/_mock/last_token_request", &w)
	return w
}

func lastAPIRequest(t testing.TB) wireRequest {
	t.Helper()
	var w wireRequest
	mockGet(t, "/_mock/last_api_request", &w)
	return w
}

// noFollow is an http.Client that shows redirects instead of following them (the tests play the
// browser).
var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// browse plays the browser on the mock's authorize page and returns the redirect's Location.
func browse(t testing.TB, authorizeURL string) string {
	t.Helper()
	resp, err := noFollow.Get(authorizeURL)
	if err != nil {
		t.Fatalf("GET %s: %v", authorizeURL, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize page answered %d, want 302", resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

// rss is the process's resident memory in bytes, from /proc/self/statm.
func rss(t testing.TB) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Fatalf("statm: %v", err)
	}
	var size, resident int64
	if _, err := fmt.Sscan(string(b), &size, &resident); err != nil {
		t.Fatalf("statm: %v", err)
	}
	return resident * int64(os.Getpagesize())
}
