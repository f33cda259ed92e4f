// Package mocktest runs a test binary against the mock Trustpilot server (`tpauth mock`,
// docs/mock.md). It is the TestMain of the tpauth package, of oauth2adapter and of bench/go: an
// internal package, which the Go import-path rule lets every package under bindings/go import,
// whatever module it is in, and no one else (users have no tpauth CLI to run it with).
package mocktest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// RepoRoot is the repository's top folder.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "..")
}

// Main starts one mock for the whole test binary on 127.0.0.1 port 0 (the tpauth CLI named by
// TPAUTH_BIN, else <repo>/target/release/tpauth), sets *base to its http://127.0.0.1:PORT, runs
// m, stops the mock and exits with m's code.
func Main(m *testing.M, base *string) {
	bin := os.Getenv("TPAUTH_BIN")
	if bin == "" {
		bin = filepath.Join(RepoRoot(), "target", "release", "tpauth")
	}
	cmd := exec.Command(bin, "mock", "--port", "0", "--exit-on-stdin-eof")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		fail("mock:", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		fail("mock:", err)
	}
	if err := cmd.Start(); err != nil {
		fail(fmt.Sprintf("cannot start the mock server %s: %v (set TPAUTH_BIN, or run scripts/build-native.sh)", bin, err))
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		fail("mock: no port on its first line:", err)
	}
	*base = "http://127.0.0.1:" + strings.TrimSpace(line)
	code := m.Run()
	stdin.Close()
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
	}
	os.Exit(code)
}

func fail(a ...any) {
	fmt.Fprintln(os.Stderr, a...)
	os.Exit(1)
}
