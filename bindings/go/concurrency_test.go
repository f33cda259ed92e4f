package tpauth

import (
	"sync"
	"testing"
	"time"
)

// all runs f in n goroutines released at the same instant and waits for them.
func all(n int, f func(i int)) {
	var start, done sync.WaitGroup
	start.Add(1)
	done.Add(n)
	for i := 0; i < n; i++ {
		go func(i int) {
			defer done.Done()
			start.Wait()
			f(i)
		}(i)
	}
	start.Done()
	done.Wait()
}

// 64 goroutines share one client across token expiries: the mock sees one token request per
// expiry, and every goroutine gets the same token.
func TestOneTokenRequestPerExpiry(t *testing.T) {
	const n = 64
	resetMock(t)
	configMock(t, map[string]interface{}{"expires_in": 4}) // renewed 2 s before expiry (half the lifetime)
	c := newClient(t, nil)

	var prev string
	tokens := make([]string, n)
	errs := make([]error, n)
	round := func(want int, what string) string {
		t.Helper()
		all(n, func(i int) {
			tok, err := c.Token()
			errs[i] = err
			if err == nil {
				tokens[i] = tok.AccessToken
			}
		})
		var renewed string // the token that is not the previous one (at most one such)
		for i := range errs {
			if errs[i] != nil {
				t.Fatalf("%s: goroutine %d: %v", what, i, errs[i])
			}
			if tokens[i] == prev {
				continue // the still-valid previous token, served while one goroutine renews
			}
			if renewed != "" && tokens[i] != renewed {
				t.Fatalf("%s: goroutines got %q and %q besides the previous token", what, renewed, tokens[i])
			}
			renewed = tokens[i]
		}
		if got := stats(t).TokenRequests; got != want {
			t.Fatalf("%s: %d token requests, want %d", what, got, want)
		}
		if renewed != "" {
			prev = renewed
		}
		return prev
	}

	first := round(1, "no token yet")
	round(1, "token valid")
	time.Sleep(2500 * time.Millisecond)                       // now within the renewal window
	configMock(t, map[string]interface{}{"expires_in": 3600}) // the next token lives long
	second := round(2, "token expiring")
	if second == first {
		t.Fatal("the expiring token was not renewed")
	}
	for i := range tokens {
		if tokens[i] != second && tokens[i] != first {
			t.Fatal("unknown token")
		}
	}
	if g := stats(t).Grants; g["refresh_token"] != 1 || g["password"] != 1 {
		t.Errorf("grants %v: want one password grant, then one refresh", g)
	}

	// The server expires every token: 64 concurrent API calls all get a 401, and the client
	// renews once for all of them.
	round(2, "renewed token valid")
	mockPost(t, "/_mock/expire", nil)
	codes := make([]int, n)
	all(n, func(i int) {
		resp, err := c.Request("GET", "/v1/private/business-units/x", nil, "")
		errs[i] = err
		if err == nil {
			codes[i] = resp.StatusCode
		}
	})
	for i := range codes {
		if errs[i] != nil || codes[i] != 200 {
			t.Fatalf("goroutine %d: %d %v", i, codes[i], errs[i])
		}
	}
	s := stats(t)
	if s.TokenRequests != 3 {
		t.Errorf("after a server-side expiry seen by %d goroutines: %d token requests in all, want 3", n, s.TokenRequests)
	}
	if s.API401 < 1 {
		t.Errorf("no 401 seen: %+v", s)
	}
}
