// Package bench compares tpauth's managed token with golang.org/x/oauth2 on the same machine,
// against the mock Trustpilot server (docs/mock.md). Run: go test -bench . -benchmem
// (TPAUTH_BIN names the tpauth CLI, default <repo>/target/release/tpauth).
package bench

import (
	"context"
	"io"
	"net/http"
	"testing"

	tpauth "github.com/tpauth/tpauth/bindings/go"
	"github.com/tpauth/tpauth/bindings/go/internal/mocktest"
	"github.com/tpauth/tpauth/bindings/go/oauth2adapter"
	"golang.org/x/oauth2"
)

var mockBase string

func TestMain(m *testing.M) { mocktest.Main(m, &mockBase) }

func tpClient(b *testing.B) *tpauth.Client {
	c, err := tpauth.New(tpauth.Config{
		APIKey: "mock-api-key", APISecret: "mock-api-secret",
		APIBaseURL: mockBase, AuthorizeURL: mockBase + "/authenticate", AllowInsecureHTTP: true,
		Username: "user@example.com", Password: "mock-password",
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	if _, err := c.Token(); err != nil { // the first call fetches; the benchmark measures the cached path
		b.Fatal(err)
	}
	return c
}

// oauth2Source is x/oauth2's password grant against the same mock, wrapped in ReuseTokenSource.
func oauth2Source(b *testing.B) oauth2.TokenSource {
	conf := &oauth2.Config{
		ClientID:     "mock-api-key",
		ClientSecret: "mock-api-secret",
		Endpoint: oauth2.Endpoint{
			TokenURL:  mockBase + "/v1/oauth/oauth-business-users-for-applications/accesstoken",
			AuthStyle: oauth2.AuthStyleInHeader,
		},
	}
	ctx := context.Background()
	tok, err := conf.PasswordCredentialsToken(ctx, "user@example.com", "mock-password")
	if err != nil {
		b.Fatal(err)
	}
	ts := oauth2.ReuseTokenSource(tok, conf.TokenSource(ctx, tok))
	if _, err := ts.Token(); err != nil {
		b.Fatal(err)
	}
	return ts
}

func BenchmarkTokenCached(b *testing.B) {
	b.Run("tpauth", func(b *testing.B) {
		c := tpClient(b)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := c.Token(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("tpauth-oauth2adapter", func(b *testing.B) {
		ts := oauth2adapter.TokenSource(tpClient(b))
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := ts.Token(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("x-oauth2-ReuseTokenSource", func(b *testing.B) {
		ts := oauth2Source(b)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := ts.Token(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkTokenCachedParallel(b *testing.B) {
	b.Run("tpauth", func(b *testing.B) {
		c := tpClient(b)
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.Token(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("tpauth-oauth2adapter", func(b *testing.B) {
		ts := oauth2adapter.TokenSource(tpClient(b))
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := ts.Token(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("x-oauth2-ReuseTokenSource", func(b *testing.B) {
		ts := oauth2Source(b)
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := ts.Token(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// An authorized GET to the mock's API over loopback, keep-alive, each way.
func BenchmarkAPICall(b *testing.B) {
	const path = "/v1/private/business-units/x"
	get := func(b *testing.B, hc *http.Client) {
		resp, err := hc.Get(mockBase + path)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	b.Run("tpauth-Request", func(b *testing.B) {
		c := tpClient(b)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			resp, err := c.Request("GET", path, nil, "")
			if err != nil || resp.StatusCode != 200 {
				b.Fatal(resp, err)
			}
		}
	})
	b.Run("tpauth-Transport", func(b *testing.B) {
		hc := &http.Client{Transport: tpClient(b).Transport(nil)}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			get(b, hc)
		}
	})
	b.Run("tpauth-oauth2adapter-Transport", func(b *testing.B) {
		hc := &http.Client{Transport: oauth2adapter.Transport(tpClient(b), nil)}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			get(b, hc)
		}
	})
	b.Run("x-oauth2-Transport", func(b *testing.B) {
		// x/oauth2 sends only the token, and as "Authorization: BearerToken …" since Trustpilot's
		// token_type is "BearerToken": both need help (a Bearer type, an apikey header).
		hc := &http.Client{Transport: &oauth2.Transport{Source: bearer{oauth2Source(b)}, Base: apikey{http.DefaultTransport}}}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			get(b, hc)
		}
	})
}

type apikey struct{ base http.RoundTripper }

func (a apikey) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("apikey", "mock-api-key")
	return a.base.RoundTrip(r)
}

type bearer struct{ src oauth2.TokenSource }

func (s bearer) Token() (*oauth2.Token, error) {
	t, err := s.src.Token()
	if err != nil {
		return nil, err
	}
	c := *t
	c.TokenType = "Bearer"
	return &c, nil
}

// answered is a base RoundTripper that answers 200 at once, without I/O: under it, a Transport
// shows its own cost per request (headers, token, host rule), which the loopback call hides.
type answered struct{}

func (answered) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r.Body.Close()
	}
	return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
}

// Each Transport's own cost per request, over answered.
func BenchmarkTransportOverhead(b *testing.B) {
	run := func(b *testing.B, rt http.RoundTripper) {
		req, _ := http.NewRequest("GET", mockBase+"/v1/private/business-units/x", nil)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			resp, err := rt.RoundTrip(req)
			if err != nil || resp.StatusCode != 200 {
				b.Fatal(resp, err)
			}
		}
	}
	b.Run("tpauth-Transport", func(b *testing.B) { run(b, tpClient(b).Transport(answered{})) })
	b.Run("tpauth-oauth2adapter-Transport", func(b *testing.B) { run(b, oauth2adapter.Transport(tpClient(b), answered{})) })
	b.Run("x-oauth2-Transport", func(b *testing.B) {
		run(b, &oauth2.Transport{Source: bearer{oauth2Source(b)}, Base: apikey{answered{}}})
	})
}
