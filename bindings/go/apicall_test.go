package tpauth

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// foreignListener stands in for a host that must never see the token: a second loopback server
// that counts what reaches it.
func foreignListener(t *testing.T) (hostPort string, hits func() int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		_, _ = io.WriteString(w, "foreign")
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://"), n.Load
}

// Every reference some HTTP stack reads as another host is judged by the core, as the Transport
// would send it: it is refused before any token is requested, and the foreign host sees nothing.
// A form Go's URL parser reads as a path of the API host goes there, never to the foreign one.
func TestTransportSendsWhatTheCoreJudged(t *testing.T) {
	hp, hits := foreignListener(t)
	forms := []string{
		"https:" + hp + "/x",
		"https:/" + hp + "/x",
		"//" + hp + "/x",
		`/\` + hp + "/x",
		`\\` + hp + `\x`,
		"http:" + hp + "/x",
	}
	for _, form := range forms {
		t.Run(form, func(t *testing.T) {
			resetMock(t)
			c := newClient(t, nil)
			hc := &http.Client{Transport: c.Transport(nil)}
			// The form exactly as written (Go's parser would rewrite some of them).
			raw := &http.Request{Method: "GET", URL: &url.URL{Opaque: form}, Header: http.Header{}}
			resp, err := hc.Transport.RoundTrip(raw)
			if err == nil {
				resp.Body.Close()
				t.Fatalf("sent (status %d), want a refusal", resp.StatusCode)
			}
			if !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("want ErrInvalidArgument, got %v", err)
			}
			if st := stats(t); st.TokenRequests != 0 {
				t.Errorf("%d token requests for a refused reference, want 0", st.TokenRequests)
			}
			// The form as Go parses it, when it parses.
			if req, perr := http.NewRequest("GET", form, nil); perr == nil {
				resp, err := hc.Do(req)
				if err == nil {
					resp.Body.Close()
					// Sent: then to the URL the core judged, on the API host (a path with %5C).
					if got := lastAPIRequest(t); !strings.HasPrefix(got.Path, "/%5C") || got.header("Authorization") == "" {
						t.Errorf("the parsed form went to %q with Authorization %q", got.Path, got.header("Authorization"))
					}
				} else if !errors.Is(err, ErrInvalidArgument) {
					t.Errorf("parsed form: want ErrInvalidArgument or a request to the API host, got %v", err)
				}
			}
			if n := hits(); n != 0 {
				t.Errorf("the foreign host received %d requests", n)
			}
		})
	}
}

// The core's verdict is kept per origin: the allowed origin stays allowed, and another port of
// the same host, or another host, is still refused without a token request.
func TestTransportJudgesEachOrigin(t *testing.T) {
	resetMock(t)
	hp, hits := foreignListener(t)
	c := newClient(t, nil)
	hc := &http.Client{Transport: c.Transport(nil)}
	for i := 0; i < 3; i++ {
		resp, err := hc.Get(mockBase + "/v1/private/business-units/x")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if _, err := hc.Get("http://" + hp + "/v1/private/x"); !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("round %d: the foreign origin: %v", i, err)
		}
	}
	if hits() != 0 {
		t.Errorf("the foreign host received %d requests", hits())
	}
	if st := stats(t); st.TokenRequests != 1 || st.APIRequests != 3 {
		t.Errorf("%d token requests and %d API requests, want 1 and 3", st.TokenRequests, st.APIRequests)
	}
	// A path is sent to the URL the core joins it to.
	resp, err := c.Transport(nil).RoundTrip(&http.Request{Method: "GET", URL: &url.URL{Path: "/v1/joined"}, Header: http.Header{}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := lastAPIRequest(t); got.Path != "/v1/joined" || got.header("apikey") != mockKey {
		t.Errorf("the path went to %q with apikey %q", got.Path, got.header("apikey"))
	}
}

// The header lines kept per token follow the current token: a token set by hand, or renewed by
// Request after a 401, is the one the next request carries.
func TestTransportFollowsTheCurrentToken(t *testing.T) {
	resetMock(t)
	c := newClient(t, nil)
	hc := &http.Client{Transport: c.Transport(nil)}
	get := func() string {
		t.Helper()
		resp, err := hc.Get(mockBase + "/v1/private/business-units/x")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return lastAPIRequest(t).header("Authorization")
	}
	first := get()
	if first == "" || get() != first {
		t.Fatalf("the cached token changed between two requests: %q", first)
	}
	set := &Token{AccessToken: "set-by-hand", TokenType: "BearerToken", Expiry: time.Now().Add(time.Hour)}
	if err := c.SetToken(set); err != nil {
		t.Fatal(err)
	}
	// The mock refuses a token it did not issue: the Transport renews once and resends, so the
	// server saw the set token first.
	if got := get(); got == first {
		t.Errorf("after SetToken the Transport still sent the old token")
	}
	// The server forgets every token; Request meets the 401 and renews in the core.
	mockPost(t, "/_mock/expire", nil)
	if _, err := c.Request("GET", "/v1/private/business-units/x", nil, ""); err != nil {
		t.Fatal(err)
	}
	renewed, _ := c.Token()
	if got := get(); got != "Bearer "+renewed.AccessToken {
		t.Errorf("after a renewal by Request the Transport sent %q, want the renewed token", got)
	}
}

// A renewal the core needs while Go's copy of the token still looks current (here: Request met a
// 401 and is renewing, slowly) is waited for through the request's context: the Transport gives
// up when the context ends instead of blocking inside a cgo call until the renewal completes.
func TestTransportWaitsForTheCoresRenewalThroughTheContext(t *testing.T) {
	resetMock(t)
	c := newClient(t, nil)
	if _, err := c.Token(); err != nil { // Go's copy of the token; no header lines asked for yet
		t.Fatal(err)
	}
	mockPost(t, "/_mock/expire", nil) // the API now refuses that token
	faultMock(t, map[string]interface{}{"kind": "slow", "delay_ms": 3000, "count": 1})
	var renewed atomic.Bool
	go func() {
		_, _ = c.Request("GET", "/v1/private/business-units/x", nil, "") // 401, then the slow renewal
		renewed.Store(true)
	}()
	// Wait until the renewal reached the token endpoint: the core's token is invalidated now.
	for deadline := time.Now().Add(20 * time.Second); stats(t).TokenRequests < 2; {
		if time.Now().After(deadline) {
			t.Fatal("the renewal never reached the mock")
		}
		time.Sleep(5 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", mockBase+"/v1/private/business-units/x", nil)
	_, err := c.Transport(nil).RoundTrip(req)
	// The renewal's token is issued only when the slow answer comes: none yet, if the Transport
	// gave up with the context rather than waiting for it.
	issued := 0
	for _, n := range stats(t).Grants {
		issued += n
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want the context's error, got %v", err)
	}
	if issued != 1 || renewed.Load() {
		t.Errorf("the Transport returned after the renewal completed (%d tokens issued): it waited without the context", issued)
	}
}
