package tpauth

import (
	"errors"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/tpauth/tpauth/bindings/go/internal/cmalloc"
)

const mib = 1 << 20

// settle collects garbage until the finalizers have run and the count of live C clients stops
// falling.
func settle(t *testing.T, want int64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		runtime.GC()
		debug.FreeOSMemory()
		if liveClients.Load() <= want || time.Now().After(deadline) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// 10,000 clients created and closed, then 10,000 dropped for the finalizer: the C clients are
// all freed, and the process's resident memory stays flat. (Each C client holds about 160 KB, so
// 10,000 leaked ones would show as 1.5 GB; the margins allow for the Go runtime's and the race
// detector's own noise.)
func TestNoLeakClients(t *testing.T) {
	const n = 10000
	cfg := mockConfig()
	mk := func() *Client {
		c, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	start := liveClients.Load()
	// Warm up the allocators with one round of each, then measure two more: the memory a round
	// needs is reused by the next, so a leak of any size shows as growth.
	for i := 0; i < 1000; i++ {
		mk().Close()
	}
	for i := 0; i < n; i++ {
		_ = mk()
	}
	settle(t, start)
	base := liveClients.Load()
	r0 := rss(t)
	h0 := heap(t)

	for i := 0; i < n; i++ {
		mk().Close()
	}
	settle(t, base)
	r1 := rss(t)
	// The C heap, byte for byte: a client that leaked even 64 bytes would show as 640 KB here.
	if grown := heap(t) - h0; grown > 64<<10 {
		t.Errorf("the C heap grew by %d bytes over %d clients created and closed (%.1f bytes per client)", grown, n, float64(grown)/n)
	}

	for i := 0; i < n; i++ {
		_ = mk() // never closed: the finalizer frees it
	}
	settle(t, base)
	if live := liveClients.Load(); live != base {
		t.Fatalf("%d clients left to the finalizer were never freed", live-base)
	}
	r2 := rss(t)
	// The finalizer's reaper frees each handle with the same freeHandle as Close, whose bytes are
	// checked above to 6 bytes a client, and the count of live clients just above is exact (one
	// client never freed would hold 160 KB). What this bound still has to absorb is the allocator's
	// bookkeeping for the threads the finalizer and the collector start, and late frees and
	// allocations of the earlier tests' clients: 158 KB alone under -race, 390 KB once in a full
	// package run on a loaded machine. 1 MiB still fails a leak of 110 bytes in each of the 10,000
	// finalized clients.
	if grown := heap(t) - h0; grown > 1<<20 {
		t.Errorf("the C heap grew by %d bytes over %d closed and %d finalized clients", grown, n, n)
	}
	// The resident size is logged only: the race detector's shadow memory moves it by megabytes;
	// the C heap above is exact.
	t.Logf("resident memory: %.1f MiB after warm-up, %.1f after %d closed, %.1f after %d finalized",
		float64(r0)/mib, float64(r1)/mib, n, float64(r2)/mib, n)
}

// Tokens, responses, errors and strings from the library are all freed: 20,000 rounds of each
// leave the resident memory flat.
func TestNoLeakCalls(t *testing.T) {
	resetMock(t)
	c := newClient(t, nil)
	if _, err := c.Token(); err != nil {
		t.Fatal(err)
	}
	state := NewState()
	au, err := c.AuthorizeURL("https://app.example.com/cb", "code", state)
	if err != nil {
		t.Fatal(err)
	}
	loop := func(n int) {
		for i := 0; i < n; i++ {
			if _, err := c.Token(); err != nil {
				t.Fatal(err)
			}
			if _, err := c.AuthorizeURL("https://app.example.com/cb", "code", state); err != nil {
				t.Fatal(err)
			}
			if _, err := ParseCodeRedirect(au, "wrong"); !errors.Is(err, ErrStateMismatch) {
				t.Fatal(err)
			}
			if _, err := ParseImplicitRedirect("https://a.example/cb#access_token=x&expires_in=5&state=s", "s"); err != nil {
				t.Fatal(err)
			}
			_ = NewState()
		}
	}
	const rounds = 20000
	loop(2000)
	// Three windows of 20,000 rounds, each measured on its own. A leak grows the C heap in every
	// window; what a window may also hold once is allocator state for a thread the Go runtime
	// starts meanwhile (glibc keeps 576 bytes of tcache per thread, and a loaded machine makes
	// the runtime start more threads for cgo calls: 66 KB was seen once in a full-suite run).
	// So the smallest growth is the one judged.
	smallest := int64(-1)
	for w := 0; w < 3; w++ {
		runtime.GC()
		debug.FreeOSMemory()
		r0 := rss(t)
		h0 := heap(t)
		loop(rounds)
		runtime.GC()
		debug.FreeOSMemory()
		grown := heap(t) - h0
		t.Logf("window %d: resident memory %.1f MiB -> %.1f MiB; C heap %+d bytes over %d rounds", w+1, float64(r0)/mib, float64(rss(t))/mib, grown, rounds)
		if smallest < 0 || grown < smallest {
			smallest = grown
		}
	}
	// Each round allocates and frees tokens, strings and errors in C: one forgotten free of the
	// smallest of them (a 16-byte string) would grow the C heap by 320 KB in every window; the
	// allowance (about 3 bytes a round) covers the allocator's and the race detector's own
	// bookkeeping. (The resident size is logged only: the race detector's shadow memory moves it
	// by megabytes.)
	if smallest > 64<<10 {
		t.Errorf("the C heap grew by at least %d bytes in each window of %d rounds (%.1f bytes per round)", smallest, rounds, float64(smallest)/rounds)
	}
}

// heap is the C heap's live bytes (glibc's mallinfo2); the leak tests need it.
func heap(t *testing.T) int64 {
	t.Helper()
	h := cmalloc.InUse()
	if h < 0 {
		t.Fatal("the C library cannot report its heap (mallinfo2 needs glibc 2.33+)")
	}
	return h
}
