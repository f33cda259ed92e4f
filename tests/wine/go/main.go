// A Go program built for Windows (GOOS=windows, cgo with mingw-w64) against the Go module's
// Windows static library, run under wine by tests/wine/run.sh against the mock running natively:
// a password grant and an API call through the module's http.RoundTripper. Prints
// "N passed, N failed" and exits non-zero on any failure.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"

	tpauth "github.com/tpauth/tpauth/bindings/go"
)

var passed, failed int

func check(ok bool, format string, args ...any) {
	if ok {
		passed++
		return
	}
	failed++
	fmt.Fprintf(os.Stderr, "FAIL "+format+"\n", args...)
}

func stats(base string) map[string]any {
	resp, err := http.Get(base + "/_mock/stats")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return m
}

func main() {
	base := "http://127.0.0.1:" + os.Getenv("TPAUTH_MOCK_PORT")
	check(runtime.GOOS == "windows", "GOOS is %s, want windows", runtime.GOOS)
	if r, err := http.Post(base+"/_mock/reset", "application/json", nil); err == nil {
		r.Body.Close()
	}
	c, err := tpauth.New(tpauth.Config{APIKey: "mock-api-key", APISecret: "mock-api-secret", APIBaseURL: base,
		AllowInsecureHTTP: true})
	check(err == nil, "New: %v", err)
	if err != nil {
		fmt.Printf("%d passed, %d failed\n", passed, failed)
		os.Exit(1)
	}
	defer c.Close()
	tok, err := c.PasswordGrant("user@example.com", "mock-password")
	check(err == nil && tok != nil && tok.AccessToken != "" && tok.RefreshToken != "", "PasswordGrant: %v", err)
	_, err = c.PasswordGrant("user@example.com", "wrong")
	check(err != nil, "a wrong password must fail")
	check(errors.Is(err, tpauth.ErrInvalidGrant), "wrong password: %v", err)
	hc := &http.Client{Transport: c.Transport(nil)}
	resp, err := hc.Get(base + "/v1/private/business-units/123/reviews")
	check(err == nil, "API call: %v", err)
	if err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		check(resp.StatusCode == 200, "API call: status %d: %s", resp.StatusCode, body)
	}
	s := stats(base)
	check(s["token_requests"] == float64(2), "token requests: %v", s["token_requests"])
	check(s["api_requests"] == float64(1), "API requests: %v", s["api_requests"])
	fmt.Printf("%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		os.Exit(1)
	}
}
