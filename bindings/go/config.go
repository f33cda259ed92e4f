package tpauth

/*
#include "tpauth.h"
*/
import "C"

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
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

// Format prints the Config, whatever the verb, with each value as the core shows it
// (tp_option_shown): the secret and the password as [redacted], the URLs (APIBaseURL,
// AuthorizeURL, TokenCache, a proxy in Options) without their userinfo, so a Redis password in
// TokenCache never shows. What counts as a secret is the core's to say, not this package's.
func (c Config) Format(f fmt.State, verb rune) {
	keys := make([]string, 0, len(c.Options))
	for k := range c.Options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	opts := make([]string, len(keys))
	for i, k := range keys {
		opts[i] = k + ":" + shownOption(k, c.Options[k])
	}
	fmt.Fprintf(f, "tpauth.Config{APIKey:%q APISecret:%q APIBaseURL:%q AuthorizeURL:%q Username:%q Password:%q Grant:%q BusinessUserID:%q TokenCache:%q Timeout:%s AllowInsecureHTTP:%t Options:map[%s]}",
		shownOption("api_key", c.APIKey), shownOption("api_secret", c.APISecret), shownOption("api_base_url", c.APIBaseURL),
		shownOption("authorize_url", c.AuthorizeURL), shownOption("username", c.Username), shownOption("password", c.Password),
		shownOption("grant", c.Grant), shownOption("business_user_id", c.BusinessUserID), shownOption("token_cache", c.TokenCache),
		c.Timeout, c.AllowInsecureHTTP, strings.Join(opts, " "))
}

// shownOption is value as the core shows option key's values; "[redacted]" when the core cannot
// say (an unknown key, a value it refuses).
func shownOption(key, value string) string {
	if value == "" {
		return ""
	}
	k := cString(key)
	v := cString(value)
	defer freeC(k)
	defer freeSecret(v)
	var out *C.char
	if st := C.tp_option_shown(k, v, &out, nil); st != C.TP_OK {
		return "[redacted]"
	}
	return goStringOwned(out)
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
