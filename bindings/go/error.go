package tpauth

/*
#include "tpauth.h"
*/
import "C"

import (
	"fmt"
	"time"
)

// Status is the kind of a failure: the C ABI's tp_status. The numbers are fixed forever.
type Status int

// The statuses, with the numbers of the C ABI.
const (
	StatusOK              Status = 0
	StatusInvalidArgument Status = 1  // NULL, bad UTF-8, unknown option, bad URL, non-https redirect_uri
	StatusNetwork         Status = 2  // DNS, connect, TLS, reset, truncated body
	StatusTimeout         Status = 3  // the request took longer than the timeout
	StatusUnauthorized    Status = 4  // 401, or OAuth invalid_client
	StatusRateLimited     Status = 5  // 429; see Error.RetryAfter
	StatusInvalidGrant    Status = 6  // OAuth invalid_grant: wrong password, used code, revoked or rotated refresh token
	StatusHTTP            Status = 7  // any other non-2xx
	StatusProtocol        Status = 8  // 2xx with an unusable body
	StatusStateMismatch   Status = 9  // the redirect's state differs from the expected one
	StatusAccessDenied    Status = 10 // the redirect carries error=... (the user declined)
	StatusNoToken         Status = 11 // nothing to refresh or revoke, or no grant configured
	StatusStore           Status = 12 // token cache unreadable or unwritable
	StatusInternal        Status = 13 // a bug in the library: a caught panic
)

var statusNames = [...]string{
	"TP_OK",
	"TP_ERR_INVALID_ARGUMENT",
	"TP_ERR_NETWORK",
	"TP_ERR_TIMEOUT",
	"TP_ERR_UNAUTHORIZED",
	"TP_ERR_RATE_LIMITED",
	"TP_ERR_INVALID_GRANT",
	"TP_ERR_HTTP",
	"TP_ERR_PROTOCOL",
	"TP_ERR_STATE_MISMATCH",
	"TP_ERR_ACCESS_DENIED",
	"TP_ERR_NO_TOKEN",
	"TP_ERR_STORE",
	"TP_ERR_INTERNAL",
}

// String is the C name of the status, e.g. "TP_ERR_RATE_LIMITED".
func (s Status) String() string {
	if s >= 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("TP_STATUS(%d)", int(s))
}

// Error is every failure the package reports. Match its kind with errors.Is and a sentinel
// (errors.Is(err, tpauth.ErrRateLimited)), or read its details with errors.As:
//
//	var te *tpauth.Error
//	if errors.As(err, &te) && te.Status == tpauth.StatusRateLimited { time.Sleep(te.RetryAfter) }
//
// Message never contains a secret.
type Error struct {
	Status     Status        // the kind of failure
	Message    string        // what went wrong and what to do; no secrets
	HTTPStatus int           // the HTTP status of the answer; 0 when there was none
	OAuthCode  string        // the OAuth error code ("invalid_grant", ...); "" when none
	RetryAfter time.Duration // how long the server asked to wait (Retry-After); 0 when it did not say
}

// Error formats the error as "tpauth: STATUS_NAME: message".
func (e *Error) Error() string {
	if e == nil {
		return "tpauth: <nil>"
	}
	return "tpauth: " + e.Status.String() + ": " + e.Message
}

// Is reports whether target is the sentinel of e's status (ErrRateLimited etc.), or an *Error of
// the same status.
func (e *Error) Is(target error) bool {
	if e == nil {
		return false
	}
	switch t := target.(type) {
	case *sentinel:
		return t.status == e.Status
	case *Error:
		return t != nil && t.Status == e.Status
	}
	return false
}

// Timeout reports whether the error is a timeout (as net.Error does).
func (e *Error) Timeout() bool { return e != nil && e.Status == StatusTimeout }

// Temporary reports whether trying again later may succeed: network failures, timeouts, 429 and
// 5xx answers.
func (e *Error) Temporary() bool {
	if e == nil {
		return false
	}
	switch e.Status {
	case StatusNetwork, StatusTimeout, StatusRateLimited:
		return true
	case StatusHTTP:
		return e.HTTPStatus >= 500
	}
	return false
}

// sentinel is the type of the Err* values: one per status, matched by (*Error).Is.
type sentinel struct{ status Status }

func (s *sentinel) Error() string { return "tpauth: " + s.status.String() }

// Status is the status this sentinel stands for.
func (s *sentinel) Status() Status { return s.status }

// Sentinel errors, one per status, for errors.Is.
var (
	ErrInvalidArgument error = &sentinel{StatusInvalidArgument}
	ErrNetwork         error = &sentinel{StatusNetwork}
	ErrTimeout         error = &sentinel{StatusTimeout}
	ErrUnauthorized    error = &sentinel{StatusUnauthorized}
	ErrRateLimited     error = &sentinel{StatusRateLimited}
	ErrInvalidGrant    error = &sentinel{StatusInvalidGrant}
	ErrHTTP            error = &sentinel{StatusHTTP}
	ErrProtocol        error = &sentinel{StatusProtocol}
	ErrStateMismatch   error = &sentinel{StatusStateMismatch}
	ErrAccessDenied    error = &sentinel{StatusAccessDenied}
	ErrNoToken         error = &sentinel{StatusNoToken}
	ErrStore           error = &sentinel{StatusStore}
	ErrInternal        error = &sentinel{StatusInternal}
)

// errClosed is returned by every method of a closed Client.
func errClosed() error {
	return &Error{Status: StatusInvalidArgument, Message: "the client is closed"}
}

// takeError converts (and frees) the tp_error a failed call returned. A NULL error (which the
// library never gives on failure) still yields an *Error with the status.
func takeError(status C.tp_status, e *C.tp_error) error {
	if e == nil {
		return &Error{Status: Status(status), Message: Status(status).String()}
	}
	defer C.tp_error_free(e)
	err := &Error{
		Status:     Status(C.tp_error_status(e)),
		Message:    goStringOrEmpty(C.tp_error_message(e)),
		HTTPStatus: int(C.tp_error_http_status(e)),
		OAuthCode:  goStringOrEmpty(C.tp_error_oauth_code(e)),
	}
	if ms := int64(C.tp_error_retry_after_ms(e)); ms >= 0 {
		err.RetryAfter = time.Duration(ms) * time.Millisecond
	}
	return err
}
