// Command quickstart calls the Trustpilot API with a managed token.
//
// Configure it through the environment (TRUSTPILOT_API_KEY, TRUSTPILOT_API_SECRET,
// TRUSTPILOT_USERNAME, TRUSTPILOT_PASSWORD, optionally TRUSTPILOT_API_HOST and
// TRUSTPILOT_<OPTION>), then:
//
//	go run ./examples/quickstart /v1/private/business-units/BUSINESS_UNIT_ID/reviews
//
// It makes the call twice, once through Client.Request and once through a plain net/http client
// using Client.Transport, and the second call reuses the token of the first.
package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	tpauth "github.com/tpauth/tpauth/bindings/go"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: quickstart /v1/PATH (or a full API URL)")
		os.Exit(2)
	}
	path := os.Args[1]

	c, err := tpauth.NewFromEnv()
	if err != nil {
		fail(err)
	}
	defer c.Close()

	// 1. The library makes the call (and renews the token once on a 401).
	resp, err := c.Request("GET", path, nil, "")
	if err != nil {
		fail(err)
	}
	fmt.Printf("Request: %d %s\n", resp.StatusCode, resp.Body)

	// 2. Any net/http code, with the token, apikey and renewal added by the Transport.
	base := os.Getenv("TRUSTPILOT_API_HOST")
	if base == "" {
		base = "https://api.trustpilot.com"
	}
	url := path
	if strings.HasPrefix(path, "/") {
		url = strings.TrimSuffix(base, "/") + path
	}
	hc := &http.Client{Transport: c.Transport(nil)}
	hr, err := hc.Get(url)
	if err != nil {
		fail(err)
	}
	defer hr.Body.Close()
	body, _ := io.ReadAll(hr.Body)
	fmt.Printf("Transport: %d %s\n", hr.StatusCode, body)

	tok, err := c.Token()
	if err != nil {
		fail(err)
	}
	fmt.Printf("token: %v\n", tok) // secrets print redacted
}

func fail(err error) {
	var te *tpauth.Error
	if errors.As(err, &te) && errors.Is(err, tpauth.ErrRateLimited) {
		fmt.Fprintf(os.Stderr, "rate limited: retry in %v\n", te.RetryAfter)
		os.Exit(1)
	}
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
