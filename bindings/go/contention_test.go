package tpauth

import (
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Single flight under contention: busy goroutines (no sleeps, no token cache) make
// exactly one token request per lifetime. The lifetimes come from the mock (expires_in_schedule:
// six tokens of 1 s, then one of an hour), so the exact count is known in advance whatever the
// scheduler does: a loaded machine only makes the run longer.
func TestContentionBusyGoroutinesOneRequestPerLifetime(t *testing.T) {
	const goroutines = 256
	const callsAfter = 200 // calls each goroutine still makes after it saw the hour-long token
	schedule := []int{1, 1, 1, 1, 1, 1, 3600}
	resetMock(t)
	configMock(t, map[string]interface{}{"expires_in_schedule": schedule})
	c := newClient(t, func(cfg *Config) { cfg.Options = map[string]string{"refresh_leeway_s": "1"} })

	var calls, failures int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			<-start
			for i, after := 0, 0; after < callsAfter; i++ {
				atomic.AddInt64(&calls, 1)
				if (i+g)%16 == 0 {
					resp, err := c.Request("GET", "/v1/private/contention", nil, "")
					if err != nil || resp.StatusCode != 200 {
						atomic.AddInt64(&failures, 1)
						t.Errorf("goroutine %d: request: %v", g, err)
						return
					}
					continue
				}
				asked := time.Now()
				tok, err := c.Token()
				if err != nil {
					atomic.AddInt64(&failures, 1)
					t.Errorf("goroutine %d: %v", g, err)
					return
				}
				if tok.Expiry.Before(asked.Truncate(time.Second)) { // Expiry has seconds resolution
					t.Errorf("goroutine %d: a token that had expired before it asked", g)
					return
				}
				if tok.ExpiresIn >= 3600 {
					after++
				}
			}
		}(g)
	}
	close(start)
	wg.Wait()
	s := stats(t)
	t.Logf("%d goroutines, %d calls, %d token requests (%d due)", goroutines, calls, s.TokenRequests, len(schedule))
	if failures != 0 {
		t.Fatalf("%d calls failed", failures)
	}
	if s.TokenRequests != len(schedule) {
		t.Fatalf("%d token requests, want exactly %d (one per lifetime): %+v", s.TokenRequests, len(schedule), s)
	}
	if g := s.Grants; g["password"] != 1 || g["refresh_token"] != len(schedule)-1 {
		t.Fatalf("grants %v: want one password grant, then refreshes", g)
	}
}

// 64 goroutines whose requests all get a 401 for the same token cause exactly one renewal, three
// rounds in a row.
func TestContention401ForOneTokenOneRenewal(t *testing.T) {
	const n, rounds = 64, 3
	resetMock(t)
	c := newClient(t, nil)
	if _, err := c.Token(); err != nil {
		t.Fatal(err)
	}
	errs := make([]error, n)
	codes := make([]int, n)
	for round := 1; round <= rounds; round++ {
		all(n, func(i int) { _, errs[i] = c.Token() }) // everyone holds the token
		mockPost(t, "/_mock/expire", nil)
		all(n, func(i int) {
			resp, err := c.Request("GET", "/v1/private/refused", nil, "")
			errs[i] = err
			if err == nil {
				codes[i] = resp.StatusCode
			}
		})
		for i := range codes {
			if errs[i] != nil || codes[i] != 200 {
				t.Fatalf("round %d, goroutine %d: %d %v", round, i, codes[i], errs[i])
			}
		}
		s := stats(t)
		if s.TokenRequests != 1+round || s.API401 < round {
			t.Fatalf("round %d: %d token requests (want %d), %d 401s", round, s.TokenRequests, 1+round, s.API401)
		}
	}
}

// No stampede on failure: 32 goroutines that wait for one renewal which fails (503, a network
// error, 429, invalid_grant) all get its error, from one token request. The mock holds the failing
// answer (a fault with a long delay_ms) until every goroutine but the renewing one waits for that
// renewal (Go's own flight: they block on its channel in tokenSlow), then releases it: none can
// arrive late, whatever the scheduler does.
func TestContentionWaitersOnAFailingRenewalAllGetItsError(t *testing.T) {
	const waiters = 31
	cases := []struct {
		name   string
		fault  map[string]interface{}
		config map[string]interface{}
		status Status
		http   int
	}{
		{"503", map[string]interface{}{"kind": "503"}, nil, StatusHTTP, 503},
		{"network error", map[string]interface{}{"kind": "reset"}, nil, StatusNetwork, 0},
		{"429", map[string]interface{}{"kind": "429", "retry_after": "30"}, nil, StatusRateLimited, 429},
		{"invalid_grant", map[string]interface{}{"kind": "slow"}, map[string]interface{}{"password": "changed-elsewhere"}, StatusInvalidGrant, 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resetMock(t)
			if tc.config != nil {
				configMock(t, tc.config)
			}
			c := newClient(t, func(cfg *Config) { cfg.Options = map[string]string{"max_retries": "0"} })
			tc.fault["delay_ms"] = 120000
			faultMock(t, tc.fault)
			defer mockPost(t, "/_mock/release", nil) // also when the test fails
			errs := make([]error, waiters+1)
			var wg sync.WaitGroup
			for i := range errs {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					_, errs[i] = c.Token()
				}(i)
			}
			deadline := time.Now().Add(60 * time.Second)
			for stats(t).TokenRequests == 0 || waitingInFlight() < waiters {
				if time.Now().After(deadline) {
					t.Fatalf("after 60 s: %d token requests, %d of %d goroutines waiting", stats(t).TokenRequests, waitingInFlight(), waiters)
				}
				time.Sleep(time.Millisecond)
			}
			mockPost(t, "/_mock/release", nil)
			wg.Wait()
			if n := stats(t).TokenRequests; n != 1 {
				t.Fatalf("%d token requests for %d goroutines waiting on one renewal, want 1", n, waiters+1)
			}
			var first *Error
			if !errors.As(errs[0], &first) || first.Status != tc.status || first.HTTPStatus != tc.http {
				t.Fatalf("the renewal's error: %v (want %v, HTTP %d)", errs[0], tc.status, tc.http)
			}
			for i, err := range errs {
				var e *Error
				if !errors.As(err, &e) || *e != *first {
					t.Fatalf("goroutine %d got %v, not the error of the renewal it waited for (%v)", i, err, first)
				}
			}
		})
	}
}

// waitingInFlight counts the goroutines blocked on a renewal's flight, waiting for its outcome.
func waitingInFlight() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "[chan receive") && strings.Contains(g, ").tokenSlow(") {
			count++
		}
	}
	return count
}
