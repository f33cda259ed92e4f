package tpauth

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// Formatting a Config, a Token or an error never shows a secret, whatever the verb.
func TestNoSecretsInFormatting(t *testing.T) {
	resetMock(t)
	cfg := mockConfig()
	cfg.Options = map[string]string{"password": mockPassword}
	c := newClient(t, nil)
	tok, err := c.PasswordGrant(mockUser, mockPassword)
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{mockSecret, mockPassword, tok.AccessToken, tok.RefreshToken}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		for _, v := range []interface{}{cfg, &cfg, *tok, tok, []*Token{tok}, map[string]Token{"a": *tok}} {
			out := fmt.Sprintf(verb, v)
			for _, s := range secrets {
				if strings.Contains(out, s) {
					t.Errorf("fmt %s of %T shows a secret: %s", verb, v, out)
				}
			}
		}
	}
	if !strings.Contains(fmt.Sprint(cfg), mockKey) || !strings.Contains(fmt.Sprint(tok), "BearerToken") {
		t.Errorf("formatting hides too much: %v / %v", cfg, tok)
	}
}

// The log callback reports the library's events, without secrets.
func TestLogger(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	SetLogger(func(level LogLevel, msg string) {
		mu.Lock()
		lines = append(lines, level.String()+" "+msg)
		mu.Unlock()
	})
	defer SetLogger(nil)
	resetMock(t)
	c := newClient(t, nil)
	tok, err := c.Token()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Refresh(""); err != nil {
		t.Fatal(err)
	}
	_, _ = c.PasswordGrant(mockUser, "wrong-password")
	SetLogger(nil)
	mu.Lock()
	defer mu.Unlock()
	if len(lines) == 0 {
		t.Fatal("no log lines for a grant, a refresh and a failed grant")
	}
	for _, l := range lines {
		for _, s := range []string{mockSecret, mockPassword, "wrong-password", tok.AccessToken, tok.RefreshToken} {
			if strings.Contains(l, s) {
				t.Errorf("log line shows a secret: %s", l)
			}
		}
	}
	t.Logf("%d log lines, e.g. %q", len(lines), lines[0])
}

// fmt of a Config shows neither the Redis password of TokenCache nor the userinfo of the URLs,
// whatever the verb: each value is printed as the core shows it.
func TestConfigFormatHidesURLSecrets(t *testing.T) {
	cfg := Config{
		APIKey:       "key-1",
		APISecret:    "api-secret-1",
		APIBaseURL:   "https://base-user:base-pass@api.example.com",
		AuthorizeURL: "https://auth-user:auth-pass@auth.example.com/login",
		TokenCache:   "redis://:redis-pass@127.0.0.1:6379/0",
		Options:      map[string]string{"proxy": "http://proxy-user:proxy-pass@proxy.example:3128", "max_retries": "2"},
	}
	hidden := []string{"api-secret-1", "base-user", "base-pass", "auth-user", "auth-pass", "redis-pass", "proxy-user", "proxy-pass"}
	shown := []string{"key-1", "redis://***@127.0.0.1:6379/0", "https://***@api.example.com", "https://***@auth.example.com/login",
		"proxy:http://***@proxy.example:3128", "max_retries:2"}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, v := range []interface{}{cfg, &cfg} {
			out := fmt.Sprintf(verb, v)
			for _, s := range hidden {
				if strings.Contains(out, s) {
					t.Errorf("fmt %s of %T shows %q: %s", verb, v, s, out)
				}
			}
			for _, s := range shown {
				if !strings.Contains(out, s) {
					t.Errorf("fmt %s of %T does not show %q: %s", verb, v, s, out)
				}
			}
		}
	}
}
