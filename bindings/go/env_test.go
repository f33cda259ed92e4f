package tpauth

import (
	"strings"
	"sync"
	"testing"
)

// NewFromEnv (tp_config_from_env): TRUSTPILOT_API_BASE_URL is read and wins over the official
// client's TRUSTPILOT_API_HOST (a program pointed at a mock never sends its grant elsewhere), and a
// TRUSTPILOT_* variable that names no option is a warning to the logger, naming it, never its value.
func TestNewFromEnvAPIBaseURLAndUnknownNames(t *testing.T) {
	resetMock(t)
	t.Setenv("TRUSTPILOT_API_KEY", mockKey)
	t.Setenv("TRUSTPILOT_API_SECRET", mockSecret)
	t.Setenv("TRUSTPILOT_USERNAME", mockUser)
	t.Setenv("TRUSTPILOT_PASSWORD", mockPassword)
	t.Setenv("TRUSTPILOT_API_HOST", "http://127.0.0.1:9")
	t.Setenv("TRUSTPILOT_API_BASE_URL", mockBase)
	t.Setenv("TRUSTPILOT_ALLOW_INSECURE_HTTP", "true")
	t.Setenv("TRUSTPILOT_TOKENCACHE", "/tmp/value-never-logged")
	var mu sync.Mutex
	var warnings []string
	SetLogger(func(level LogLevel, msg string) {
		if level == LogWarn {
			mu.Lock()
			warnings = append(warnings, msg)
			mu.Unlock()
		}
	})
	c, err := NewFromEnv()
	SetLogger(nil)
	if err != nil {
		t.Fatalf("NewFromEnv: %v", err)
	}
	defer c.Close()
	if _, err := c.Token(); err != nil {
		t.Fatalf("Token (the grant must reach TRUSTPILOT_API_BASE_URL): %v", err)
	}
	if s := stats(t); s.Grants["password"] != 1 {
		t.Errorf("grants %v", s.Grants)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(warnings) != 1 || !strings.Contains(warnings[0], "TRUSTPILOT_TOKENCACHE") || strings.Contains(warnings[0], "value-never-logged") {
		t.Errorf("warnings %q", warnings)
	}
}
