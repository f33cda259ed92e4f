package tpauth

/*
#include "tpauth.h"
extern void tpauthGoLogShimSet(int on);
*/
import "C"

import (
	"strconv"
	"sync"
	"sync/atomic"
	"unsafe"
)

// LogLevel is how important a log message is (the C ABI's TP_LOG_* numbers).
type LogLevel int

// The log levels.
const (
	LogError LogLevel = 1 // something failed and the caller will see an error
	LogWarn  LogLevel = 2 // something failed and was worked around (a retry, a corrupt cache)
	LogInfo  LogLevel = 3 // a token request, a renewal, a cache hit
	LogDebug LogLevel = 4 // detail
)

// String is the level's name: "error", "warn", "info" or "debug".
func (l LogLevel) String() string {
	switch l {
	case LogError:
		return "error"
	case LogWarn:
		return "warn"
	case LogInfo:
		return "info"
	case LogDebug:
		return "debug"
	}
	return "level(" + strconv.Itoa(int(l)) + ")"
}

var (
	logMu   sync.Mutex
	logSink atomic.Value // of logFunc
)

type logFunc func(LogLevel, string)

// SetLogger installs a process-wide listener for the library's events (renewals, retries, cache
// events); nil removes it. Messages never contain a secret. fn is called from whichever thread
// the event happens on, possibly concurrently: keep it quick and safe for concurrent use.
func SetLogger(fn func(level LogLevel, msg string)) {
	logMu.Lock()
	defer logMu.Unlock()
	logSink.Store(logFunc(fn))
	if fn != nil {
		C.tpauthGoLogShimSet(1)
	} else {
		C.tpauthGoLogShimSet(0)
	}
}

//export tpauthGoLog
func tpauthGoLog(level C.int, msg *C.char, _ unsafe.Pointer) {
	fn, _ := logSink.Load().(logFunc)
	if fn == nil || msg == nil {
		return
	}
	fn(LogLevel(level), C.GoString(msg))
}
