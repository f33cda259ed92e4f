// Command check is the dist suite's Go check: a password grant, then an API call with that token
// (the mock's URL and credentials come from the environment tests/dist/lib.sh sets).
package main

import (
	"fmt"
	"os"

	tpauth "github.com/tpauth/tpauth/bindings/go"
)

func main() {
	c, err := tpauth.New(tpauth.Config{
		APIKey:            os.Getenv("TRUSTPILOT_API_KEY"),
		APISecret:         os.Getenv("TRUSTPILOT_API_SECRET"),
		APIBaseURL:        os.Getenv("MOCK_URL"),
		AllowInsecureHTTP: true,
	})
	if err != nil {
		fmt.Println("new:", err)
		os.Exit(1)
	}
	defer c.Close()
	fmt.Println("version", tpauth.Version())
	tok, err := c.PasswordGrant(os.Getenv("TRUSTPILOT_USERNAME"), os.Getenv("TRUSTPILOT_PASSWORD"))
	if err != nil {
		fmt.Println("grant:", err)
		os.Exit(1)
	}
	fmt.Println("grant", tok.TokenType)
	resp, err := c.Request("GET", "/v1/private/business-units/dist-check", nil, "")
	if err != nil {
		fmt.Println("api:", err)
		os.Exit(1)
	}
	fmt.Println("api", resp.StatusCode, string(resp.Body))
}
