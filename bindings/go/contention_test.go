package tpauth

import (
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
