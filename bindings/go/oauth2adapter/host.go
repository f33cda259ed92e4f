package oauth2adapter

import (
	"net/http"

	tpauth "github.com/tpauth/tpauth-go"
)

// checkHost refuses a request to a host that may not receive the token.
func checkHost(c *tpauth.Client, req *http.Request) error {
	return c.CheckTokenURL(req.URL.String())
}
