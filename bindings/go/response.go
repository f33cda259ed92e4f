package tpauth

/*
#include <stdlib.h>
#include "tpauth.h"
*/
import "C"

import (
	"net/http"
	"runtime"
	"unsafe"
)

// Response is the answer to Request: status, headers (canonical keys) and body (capped by the
// library at its maximum response size).
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// takeResponse copies, then frees, a response a call handed over.
func takeResponse(r *C.tp_response) *Response {
	defer C.tp_response_free(r)
	resp := &Response{StatusCode: int(C.tp_response_status(r)), Header: http.Header{}}
	var n C.size_t
	if p := C.tp_response_body(r, &n); p != nil && n > 0 {
		resp.Body = C.GoBytes(unsafe.Pointer(p), C.int(n))
	} else {
		resp.Body = []byte{}
	}
	count := C.tp_response_header_count(r)
	for i := C.size_t(0); i < count; i++ {
		var name, value *C.char
		if !C.tp_response_header_at(r, i, &name, &value) || name == nil {
			continue
		}
		resp.Header.Add(C.GoString(name), goStringOrEmpty(value))
	}
	return resp
}

// Request makes an API call with the managed token: Authorization: Bearer, apikey and (when
// configured) x-business-user-id headers. On a 401 it invalidates that token, renews it and
// sends the request once more. urlOrPath is a full URL or a path joined to the API base URL;
// body nil sends none, contentType "" sends no Content-Type. Any HTTP status is a Response; an
// error means no usable answer (network, timeout, no token to be had, ...).
func (c *Client) Request(method, urlOrPath string, body []byte, contentType string) (*Response, error) {
	m := cString(method)
	u := cString(urlOrPath)
	ct := cStringOrNil(contentType)
	defer freeC(m)
	defer freeC(u)
	defer freeC(ct)
	// Go memory without Go pointers may be passed to C for the duration of the call.
	var b *C.uint8_t
	switch {
	case len(body) > 0:
		b = (*C.uint8_t)(unsafe.Pointer(&body[0]))
	case body != nil:
		b = (*C.uint8_t)(unsafe.Pointer(&emptyBody)) // an empty body, not none
	}
	var out *C.tp_response
	err := c.statusCall(func(h *C.tp_auth, e **C.tp_error) C.tp_status {
		return C.tp_request_bytes(h, m, u, b, C.size_t(len(body)), ct, &out, e)
	})
	runtime.KeepAlive(body)
	if err != nil {
		return nil, err
	}
	return takeResponse(out), nil
}

var emptyBody byte
