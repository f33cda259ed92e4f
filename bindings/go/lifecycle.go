package tpauth

/*
#include "tpauth.h"
*/
import "C"

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// A client's lifecycle: opening one, and the safety net that frees the C client of a Client
// dropped without Close (a finalizer queues it, a reaper goroutine and New free the queue).

// liveClients counts the C clients not yet freed.
var liveClients atomic.Int64

// Each C client holds memory the Go collector does not see (a connection pool, TLS settings), so
// clients dropped without Close could pile up until a collection that the small Go heap may not
// trigger for a long time. Two measures keep them bounded:
//   - New starts a collection when the count of live clients has grown by gcSlack past twice the
//     lowest count seen since the last one: clients leaked to the finalizer stay bounded by about
//     gcSlack, while a program that keeps many clients open pays a logarithmic number of
//     collections;
//   - the finalizer only queues the handle; New (on the creating goroutine) and a reaper goroutine
//     free the queue, so that freeing keeps pace with creating.
const gcSlack = 64

var gcPressure struct {
	sync.Mutex
	minLive int64 // the lowest liveClients seen since the last collection started
}

var reaper struct {
	sync.Mutex
	handles []*C.tp_auth // dropped clients' handles, to be freed
	once    sync.Once
	wake    chan struct{}
}

func clientOpened() {
	live := liveClients.Add(1)
	gcPressure.Lock()
	defer gcPressure.Unlock()
	if live < 2*gcPressure.minLive+gcSlack {
		return
	}
	collectDropped()
	gcPressure.minLive = liveClients.Load()
}

// gcSentinel is dropped before a collection; its finalizer tells when that collection's
// finalizers are being run. (Large enough to get an allocation of its own.)
type gcSentinel struct {
	_ [32]byte
	p *byte
}

// collectDropped runs a collection, waits (briefly) for the finalizers it queues, and frees the
// handles they queued.
func collectDropped() {
	done := make(chan struct{})
	s := &gcSentinel{}
	runtime.SetFinalizer(s, func(*gcSentinel) { close(done) })
	s = nil
	runtime.GC()
	select {
	case <-done:
		runtime.Gosched()
	case <-time.After(100 * time.Millisecond):
	}
	reap()
}

func freeHandle(h *C.tp_auth) {
	C.tp_auth_free(h)
	live := liveClients.Add(-1)
	// Lower minLive unless a collection is under way (which sets it when done).
	if gcPressure.TryLock() {
		if live < gcPressure.minLive {
			gcPressure.minLive = live
		}
		gcPressure.Unlock()
	}
}

// reap frees the handles of the clients the finalizer has queued.
func reap() {
	reaper.Lock()
	hs := reaper.handles
	reaper.handles = nil
	reaper.Unlock()
	for _, h := range hs {
		freeHandle(h)
	}
}

// finalizeClient is the safety net for a client dropped without Close.
func finalizeClient(c *Client) {
	c.mu.Lock()
	h := c.handle
	c.handle = nil
	c.mu.Unlock()
	if h == nil {
		return
	}
	reaper.Lock()
	reaper.handles = append(reaper.handles, h)
	reaper.Unlock()
	reaper.once.Do(func() {
		reaper.wake = make(chan struct{}, 1)
		go func() {
			for range reaper.wake {
				reap()
			}
		}()
	})
	select {
	case reaper.wake <- struct{}{}:
	default:
	}
}
func openClient(ccfg *C.tp_config) (*Client, error) {
	reap()
	var h *C.tp_auth
	var e *C.tp_error
	if st := C.tp_auth_new(ccfg, &h, &e); st != C.TP_OK {
		return nil, takeError(st, e)
	}
	clientOpened()
	c := &Client{handle: h, fast: &fastSlot{}}
	runtime.SetFinalizer(c, finalizeClient)
	return c, nil
}
