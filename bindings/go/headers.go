package tpauth

/*
#include <stdlib.h>
#include "tpauth.h"
*/
import "C"

import (
	"net/http"
	"runtime"
	"strings"
)

// apiHeaders returns the headers the core says an API call `method url` carries (Authorization
// with the managed token, apikey, x-business-user-id) and the access token among them, or the
// core's refusal of a host that may not see the token (before any token is requested).
func (c *Client) apiHeaders(method, url string) (http.Header, string, error) {
	m := cString(method)
	u := cString(url)
	defer freeC(m)
	defer freeC(u)
	h, err := c.acquire()
	if err != nil {
		return nil, "", err
	}
	var out *C.char
	var e *C.tp_error
	st := C.tp_api_headers(h, m, u, &out, &e)
	c.mu.RUnlock()
	runtime.KeepAlive(c)
	if st != C.TP_OK {
		return nil, "", takeError(st, e)
	}
	text := goStringOwned(out) // tp_string_free wipes the C copy
	hdr := make(http.Header, 3)
	access := ""
	for _, line := range strings.Split(text, "\r\n") {
		name, value, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		hdr.Set(name, value)
		if strings.EqualFold(name, "authorization") {
			access = strings.TrimPrefix(value, "Bearer ")
		}
	}
	return hdr, access, nil
}
