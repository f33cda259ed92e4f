package tpauth

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var sentinels = map[Status]error{
	StatusInvalidArgument: ErrInvalidArgument,
	StatusNetwork:         ErrNetwork,
	StatusTimeout:         ErrTimeout,
	StatusUnauthorized:    ErrUnauthorized,
	StatusRateLimited:     ErrRateLimited,
	StatusInvalidGrant:    ErrInvalidGrant,
	StatusHTTP:            ErrHTTP,
	StatusProtocol:        ErrProtocol,
	StatusStateMismatch:   ErrStateMismatch,
	StatusAccessDenied:    ErrAccessDenied,
	StatusNoToken:         ErrNoToken,
	StatusStore:           ErrStore,
	StatusInternal:        ErrInternal,
}

// Each status matches its own sentinel and no other, also when wrapped.
func TestSentinelPerStatus(t *testing.T) {
	if len(sentinels) != 13 {
		t.Fatalf("%d sentinels", len(sentinels))
	}
	for st, sentinel := range sentinels {
		err := fmt.Errorf("wrapped: %w", &Error{Status: st, Message: "m"})
		for other, s2 := range sentinels {
			if got := errors.Is(err, s2); got != (other == st) {
				t.Errorf("errors.Is(%v, Err for %v) = %v", st, other, got)
			}
		}
		var te *Error
		if !errors.As(err, &te) || te.Status != st {
			t.Errorf("errors.As for %v", st)
		}
		if !errors.Is(err, &Error{Status: st}) {
			t.Errorf("errors.Is with an *Error target of the same status (%v)", st)
		}
		if !strings.Contains(sentinel.Error(), st.String()) || !strings.HasPrefix(st.String(), "TP_ERR_") {
			t.Errorf("names: %q %q", sentinel.Error(), st.String())
		}
	}
	if StatusRateLimited.String() != "TP_ERR_RATE_LIMITED" || int(StatusInternal) != 13 || int(StatusNoToken) != 11 {
		t.Errorf("status numbers or names changed")
	}
}

// expectStatus checks that err is an *Error of status st, matched by its sentinel.
func expectStatus(t *testing.T, what string, err error, st Status) *Error {
	t.Helper()
	var te *Error
	if !errors.As(err, &te) {
		t.Fatalf("%s: want %v, got %v", what, st, err)
	}
	if te.Status != st || !errors.Is(err, sentinels[st]) {
		t.Fatalf("%s: want %v, got %v", what, st, err)
	}
	for _, secret := range []string{mockSecret, mockPassword} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("%s: the error shows a secret: %v", what, err)
		}
	}
	return te
}

func noRetries(c *Config) { c.Options = map[string]string{"max_retries": "0"} }

// Every status the library can produce, produced for real.
func TestErrorsFromTheLibrary(t *testing.T) {
	t.Run("InvalidArgument", func(t *testing.T) {
		_, err := New(Config{APIKey: mockKey, APISecret: mockSecret, Options: map[string]string{"no_such_option": "1"}})
		expectStatus(t, "unknown option", err, StatusInvalidArgument)
		_, err = New(Config{APIKey: mockKey, APISecret: mockSecret, APIBaseURL: "http://api.example.com"})
		expectStatus(t, "plain http to a remote host", err, StatusInvalidArgument)
		_, err = ParseCodeRedirect("not a url", "")
		expectStatus(t, "bad redirect URL", err, StatusInvalidArgument)
		_, err = New(Config{APIKey: mockKey, APISecret: mockSecret, Timeout: -time.Second})
		expectStatus(t, "negative timeout", err, StatusInvalidArgument)
	})
	t.Run("Network", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		c := newClient(t, func(c *Config) { c.APIBaseURL = "http://" + addr; noRetries(c) })
		_, err = c.PasswordGrant(mockUser, mockPassword)
		te := expectStatus(t, "closed port", err, StatusNetwork)
		if te.HTTPStatus != 0 || !te.Temporary() {
			t.Errorf("network error %+v", te)
		}
		resetMock(t)
		faultMock(t, map[string]interface{}{"kind": "reset"})
		_, err = newClient(t, noRetries).PasswordGrant(mockUser, mockPassword)
		expectStatus(t, "connection reset", err, StatusNetwork)
	})
	t.Run("Timeout", func(t *testing.T) {
		resetMock(t)
		faultMock(t, map[string]interface{}{"kind": "slow", "delay_ms": 1500})
		c := newClient(t, func(c *Config) { c.Timeout = 200 * time.Millisecond; noRetries(c) })
		_, err := c.ClientCredentialsGrant()
		expectStatus(t, "slow", err, StatusTimeout)
	})
	t.Run("Unauthorized", func(t *testing.T) {
		resetMock(t)
		c := newClient(t, func(c *Config) { c.APISecret = "wrong-secret-value" })
		_, err := c.PasswordGrant(mockUser, mockPassword)
		te := expectStatus(t, "wrong secret", err, StatusUnauthorized)
		if te.HTTPStatus != 401 || te.OAuthCode != "invalid_client" || strings.Contains(te.Message, "wrong-secret-value") {
			t.Errorf("%+v", te)
		}
		if s := stats(t); s.TokenRequests != 1 {
			t.Errorf("a 401 was retried: %d token requests", s.TokenRequests)
		}
	})
	t.Run("RateLimited", func(t *testing.T) {
		resetMock(t)
		faultMock(t, map[string]interface{}{"kind": "429", "retry_after": "7"})
		_, err := newClient(t, noRetries).PasswordGrant(mockUser, mockPassword)
		te := expectStatus(t, "429", err, StatusRateLimited)
		if te.HTTPStatus != 429 || te.RetryAfter != 7*time.Second {
			t.Errorf("%+v", te)
		}
		resetMock(t)
	})
	t.Run("InvalidGrant", func(t *testing.T) {
		resetMock(t)
		const wrong = "wrong-password-&=value"
		_, err := newClient(t, nil).PasswordGrant(mockUser, wrong)
		te := expectStatus(t, "wrong password", err, StatusInvalidGrant)
		if te.HTTPStatus != 400 || te.OAuthCode != "invalid_grant" || strings.Contains(err.Error(), wrong) {
			t.Errorf("%+v", te)
		}
	})
	t.Run("HTTP", func(t *testing.T) {
		resetMock(t)
		faultMock(t, map[string]interface{}{"kind": "html_500"})
		_, err := newClient(t, noRetries).PasswordGrant(mockUser, mockPassword)
		te := expectStatus(t, "html 500", err, StatusHTTP)
		if te.HTTPStatus != 500 || te.OAuthCode != "" {
			t.Errorf("%+v", te)
		}
	})
	t.Run("Protocol", func(t *testing.T) {
		resetMock(t)
		faultMock(t, map[string]interface{}{"kind": "garbage"})
		_, err := newClient(t, noRetries).PasswordGrant(mockUser, mockPassword)
		expectStatus(t, "garbage", err, StatusProtocol)
		faultMock(t, map[string]interface{}{"kind": "no_access_token"})
		_, err = newClient(t, noRetries).PasswordGrant(mockUser, mockPassword)
		expectStatus(t, "no access_token", err, StatusProtocol)
	})
	t.Run("StateMismatch", func(t *testing.T) {
		_, err := ParseCodeRedirect("https://app.example.com/cb?code=abc&state=one", "two")
		expectStatus(t, "state", err, StatusStateMismatch)
		_, err = ParseImplicitRedirect("https://app.example.com/cb#access_token=abc&expires_in=10&state=one", "two")
		expectStatus(t, "implicit state", err, StatusStateMismatch)
	})
	t.Run("AccessDenied", func(t *testing.T) {
		_, err := ParseCodeRedirect("https://app.example.com/cb?error=access_denied&error_description=no&state=s", "s")
		expectStatus(t, "declined", err, StatusAccessDenied)
	})
	t.Run("NoToken", func(t *testing.T) {
		c := newClient(t, func(c *Config) { c.Grant = "none" })
		_, err := c.Token()
		expectStatus(t, "grant none", err, StatusNoToken)
	})
	t.Run("Store", func(t *testing.T) {
		// A token cache whose folder is a regular file can be neither read nor written.
		dir := t.TempDir()
		file := filepath.Join(dir, "not-a-dir")
		if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := New(func() Config { c := mockConfig(); c.TokenCache = filepath.Join(file, "cache.json"); return c }())
		if err == nil {
			defer c.Close()
			_, err = c.Token()
		}
		expectStatus(t, "token cache under a file", err, StatusStore)
	})
	t.Run("Internal", func(t *testing.T) {
		// A caught panic cannot be caused from outside; the mapping is what can be checked.
		err := error(&Error{Status: StatusInternal, Message: "bug"})
		expectStatus(t, "internal", err, StatusInternal)
	})
}
