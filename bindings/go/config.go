package tpauth

/*
#include "tpauth.h"
*/
import "C"

import (
	"fmt"
	"sort"
	"strconv"
	"time"
)

// Config configures a Client. APIKey and APISecret are required; every other field is optional
// ("" or zero means the library's default). Options sets any other option key of the C library
// (e.g. "refresh_leeway_s", "max_retries", "client_auth", "proxy"); they are applied after the
// fields, so a key given in both wins from Options.
type Config struct {
	APIKey            string
	APISecret         string
	APIBaseURL        string // default https://api.trustpilot.com
	AuthorizeURL      string // default https://authenticate.trustpilot.com
	Username          string // with Password: enables the password grant for Token()
	Password          string
	Grant             string // "password", "client_credentials" or "none"
	BusinessUserID    string // sent as x-business-user-id on API calls
	TokenCache        string // a file path, file: URL or redis:// URL shared by processes
	Timeout           time.Duration
	AllowInsecureHTTP bool // http:// to loopback hosts only: tests and local mocks
	Options           map[string]string
}

// Format prints the Config with its secrets redacted, whatever the verb.
func (c Config) Format(f fmt.State, verb rune) {
	red := func(s string) string {
		if s == "" {
			return `""`
		}
		return "[redacted]"
	}
	keys := make([]string, 0, len(c.Options))
	for k := range c.Options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintf(f, "tpauth.Config{APIKey:%q APISecret:%s APIBaseURL:%q AuthorizeURL:%q Username:%q Password:%s Grant:%q BusinessUserID:%q TokenCache:%q Timeout:%s AllowInsecureHTTP:%t Options:%v}",
		c.APIKey, red(c.APISecret), c.APIBaseURL, c.AuthorizeURL, c.Username, red(c.Password), c.Grant,
		c.BusinessUserID, c.TokenCache, c.Timeout, c.AllowInsecureHTTP, keys)
}

// setOption sets one option on a C config; secret values are wiped from C memory after the call.
func setOption(cfg *C.tp_config, key, value string) error {
	k := cString(key)
	v := cString(value)
	var e *C.tp_error
	st := C.tp_config_set(cfg, k, v, &e)
	freeC(k)
	freeSecret(v)
	if st != C.TP_OK {
		return takeError(st, e)
	}
	return nil
}

// build makes a C config from c. The caller frees it with tp_config_free.
func (c *Config) build() (*C.tp_config, error) {
	key := cString(c.APIKey)
	secret := cString(c.APISecret)
	var cfg *C.tp_config
	var e *C.tp_error
	st := C.tp_config_new(key, secret, &cfg, &e)
	freeC(key)
	freeSecret(secret)
	if st != C.TP_OK {
		return nil, takeError(st, e)
	}
	opts := [][2]string{
		{"api_base_url", c.APIBaseURL},
		{"authorize_url", c.AuthorizeURL},
		{"username", c.Username},
		{"password", c.Password},
		{"grant", c.Grant},
		{"business_user_id", c.BusinessUserID},
		{"token_cache", c.TokenCache},
	}
	if c.Timeout > 0 {
		ms := c.Timeout.Milliseconds()
		if ms == 0 {
			ms = 1
		}
		opts = append(opts, [2]string{"timeout_ms", strconv.FormatInt(ms, 10)})
	} else if c.Timeout < 0 {
		C.tp_config_free(cfg)
		return nil, &Error{Status: StatusInvalidArgument, Message: "Timeout must not be negative"}
	}
	if c.AllowInsecureHTTP {
		opts = append(opts, [2]string{"allow_insecure_http", "true"})
	}
	for _, kv := range opts {
		if kv[1] == "" {
			continue
		}
		if err := setOption(cfg, kv[0], kv[1]); err != nil {
			C.tp_config_free(cfg)
			return nil, err
		}
	}
	// Options are passed on as given (an empty value included), in a stable order.
	keys := make([]string, 0, len(c.Options))
	for k := range c.Options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := setOption(cfg, k, c.Options[k]); err != nil {
			C.tp_config_free(cfg)
			return nil, err
		}
	}
	return cfg, nil
}
