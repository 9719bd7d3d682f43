package cli

import (
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpverify/mcpverify/impl"
)

// freeLoopback returns a loopback host:port nothing listens on.
func freeLoopback(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestCheckAuthMock: a reference server in issuer mode that trusts the
// mock's issuer is checked with --auth-mock alone: the mock's tokens for
// alice and bob drive the cross-principal state checks, which pass.
func TestCheckAuthMock(t *testing.T) {
	mockAddr := freeLoopback(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	resource := "http://" + ln.Addr().String() + impl.Endpoint
	srv, err := impl.New(impl.Config{Issuer: "http://" + mockAddr, Resource: resource})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	hs := &http.Server{Handler: srv.Handler()}
	go hs.Serve(ln)
	defer hs.Close()

	code, stdout, stderr := run([]string{"check", "--url", resource, "--auth-mock", mockAddr, "--only", "state/", "--only", "auth/", "--seed", "1", "--json", "-"}, "")
	if code != ExitOK {
		t.Fatalf("exit %d\nstderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "tokens of the mock authorization server http://"+mockAddr) {
		t.Errorf("stderr does not name the mock:\n%s", stderr)
	}
	passed := passedIDs(t, stdout)
	for _, id := range []string{"STATE-BIND-PRINCIPAL", "STATE-HANDLE-PRINCIPAL", "STATE-INTEGRITY", "AUTH-AUDIENCE", "AUTH-INVALID-401", "AUTH-SCOPE-REFUSED", "AUTH-VERIFY-ALL"} {
		if !passed[id] {
			t.Errorf("%s did not pass with the mock's tokens", id)
		}
	}

	// Without --url it is a usage error.
	if code, _, stderr := run([]string{"check", "--auth-mock", mockAddr}, ""); code != ExitUsage || !strings.Contains(stderr, "--auth-mock needs --url") {
		t.Errorf("--auth-mock without --url: exit %d\n%s", code, stderr)
	}
}

// TestCheckDefaultAuth: with no target, the auth checks run against the
// reference in issuer mode trusting an in-memory mock, and pass.
func TestCheckDefaultAuth(t *testing.T) {
	code, stdout, stderr := run([]string{"check", "--only", "auth/", "--seed", "1", "--json", "-"}, "")
	if code != ExitOK {
		t.Fatalf("exit %d\nstderr:\n%s", code, stderr)
	}
	var rep struct {
		Results []struct{ ID, Status, Check string } `json:"results"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range rep.Results {
		if !strings.HasPrefix(r.ID, "AUTH-") {
			continue
		}
		n++
		if want := map[bool]string{true: "skip", false: "pass"}[r.ID == "AUTH-NO-PASSTHROUGH"]; r.Status != want {
			t.Errorf("%s: %s, want %s", r.ID, r.Status, want)
		}
	}
	if n < 19 {
		t.Errorf("%d AUTH- results, want every one (19 or more)", n)
	}
}

// TestCLIServeHelper is not a test: run as a helper process with "--
// mcpverify ARGS...", it is mcpverify ARGS.
func TestCLIServeHelper(t *testing.T) {
	for i, a := range os.Args {
		if a == "--" && i+1 < len(os.Args) && os.Args[i+1] == "mcpverify" {
			os.Exit(Main(os.Args[i+2:], os.Stdin, os.Stdout, os.Stderr))
		}
	}
}

// TestCheckLaunchIssuer: --command with --url starts the HTTP server the
// URL names after the mock, {issuer} replaced by the mock's issuer, and
// stops it after the run; the auth checks pass against the reference in
// issuer mode. A placeholder whose service is not started is a usage
// error.
func TestCheckLaunchIssuer(t *testing.T) {
	for _, tlsMock := range []bool{false, true} {
		addr, mockAddr := freeLoopback(t), freeLoopback(t)
		url := "http://" + addr + "/mcp"
		command := shellQuote(os.Args[0]) + " -test.run=^TestCLIServeHelper$ -- mcpverify serve --http " + addr + " --issuer {issuer}"
		args := []string{"check", "--url", url, "--auth-mock", mockAddr, "--only", "auth/", "--seed", "1", "--json", "-"}
		issuer := "http://" + mockAddr
		if tlsMock {
			// An issuer over https, whose certificate authority the
			// server is told to trust.
			command += " --issuer-ca {ca}"
			args = append(args, "--auth-mock-tls-ca", filepath.Join(t.TempDir(), "ca.pem"))
			issuer = "https://" + mockAddr
		}
		code, stdout, stderr := run(append(args, "--command", command), "")
		if code != ExitOK || !strings.Contains(stderr, "--issuer "+issuer) {
			t.Fatalf("TLS %v: exit %d\nstderr:\n%s", tlsMock, code, stderr)
		}
		var rep struct {
			Results []struct{ ID, Status string } `json:"results"`
		}
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatal(err)
		}
		passed := 0
		for _, r := range rep.Results {
			if strings.HasPrefix(r.ID, "AUTH-") && r.Status == "pass" {
				passed++
			}
		}
		if passed < 18 {
			t.Errorf("TLS %v: %d AUTH- passes, want 18 or more", tlsMock, passed)
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Errorf("the server on %s still runs after the check", addr)
		}
		if code, _, stderr := run([]string{"check", "--url", url, "--command", command}, ""); code != ExitUsage || !strings.Contains(stderr, "which needs --auth-mock") {
			t.Errorf("placeholders without --auth-mock: exit %d\n%s", code, stderr)
		}
	}
}

// TestReplayAuthMock: a trace of the token matrix, made with --auth-mock
// against a server that compares the audience exactly, replays with
// --auth-mock (the same keys): the case's token is minted again, and the
// finding still occurs; once the server accepts the upper-case audience,
// it no longer does.
func TestReplayAuthMock(t *testing.T) {
	mockAddr := freeLoopback(t)
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys.json")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	resource := "http://" + ln.Addr().String() + impl.Endpoint
	srv, err := impl.New(impl.Config{Issuer: "http://" + mockAddr, Resource: resource})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var exact atomic.Bool
	exact.Store(true)
	next := srv.Handler()
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && exact.Load() {
			if parts := strings.Split(tok, "."); len(parts) == 3 {
				if b, err := base64.RawURLEncoding.DecodeString(parts[1]); err == nil {
					var c struct {
						Aud any `json:"aud"`
					}
					if json.Unmarshal(b, &c) == nil && c.Aud != resource {
						w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
						w.WriteHeader(http.StatusUnauthorized)
						return
					}
				}
			}
		}
		next.ServeHTTP(w, r)
	})}
	go hs.Serve(ln)
	defer hs.Close()

	traces := filepath.Join(dir, "traces")
	code, _, stderr := run([]string{"check", "--url", resource, "--auth-mock", mockAddr, "--auth-mock-keys", keys, "--only", "auth/tokens", "--seed", "1", "--traces", traces}, "")
	trace := filepath.Join(traces, "AUTH-AUDIENCE-CASE.txtar")
	data, err := os.ReadFile(trace)
	if code != ExitOK || err != nil || !strings.Contains(string(data), "credential: aud-uppercase-scheme-host") {
		t.Fatalf("check: exit %d, trace %v\n%s\nstderr:\n%s", code, err, data, stderr)
	}
	replay := []string{"replay", "--url", resource, "--auth-mock", mockAddr, "--auth-mock-keys", keys, trace}
	if code, stdout, stderr := run(replay, ""); code != ExitViolations || !strings.Contains(stdout, "AUTH-AUDIENCE-CASE: still fails") {
		t.Errorf("replay against the exact server: exit %d\n%s\n%s", code, stdout, stderr)
	}
	// The recorded token spoilt: only a token minted again can be served.
	spoilt := regexp.MustCompile(`(?m)^Authorization: Bearer \S+$`).ReplaceAll(data, []byte("Authorization: Bearer spoilt"))
	if err := os.WriteFile(trace, spoilt, 0o644); err != nil {
		t.Fatal(err)
	}
	exact.Store(false)
	if code, stdout, stderr := run(replay, ""); code != ExitOK || !strings.Contains(stdout, "no longer occurs") {
		t.Errorf("replay against the fixed server: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

// TestCheckWorkspace: check --url with --workspace plants the file checks'
// tree in and around the directory a server was started on, the checks
// pass against the reference, and the directory and its parent are as
// before afterwards.
func TestCheckWorkspace(t *testing.T) {
	parent := t.TempDir()
	ws := filepath.Join(parent, "project")
	if err := os.Mkdir(ws, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ws, "mine.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv, err := impl.New(impl.Config{AllowedDirs: []string{ws}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv.Handler()}
	go hs.Serve(ln)
	defer hs.Close()
	code, stdout, stderr := run([]string{"check", "--url", "http://" + ln.Addr().String() + impl.Endpoint, "--workspace", ws, "--only", "files/", "--seed", "1", "--json", "-"}, "")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	passed := passedIDs(t, stdout)
	for _, id := range []string{"FILES-TOOL-CONFINED", "FILES-SYMLINK-ESCAPE", "FILES-EXISTENCE-ORACLE", "FILES-RESOURCE-TRAVERSAL"} {
		if !passed[id] {
			t.Errorf("%s did not pass", id)
		}
	}
	for dir, want := range map[string][]string{parent: {"project"}, ws: {"mine.txt"}} {
		var got []string
		es, _ := os.ReadDir(dir)
		for _, e := range es {
			got = append(got, e.Name())
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s holds %v after the run, want %v", dir, got, want)
		}
	}
	if code, _, _ := run([]string{"check", "--workspace", ws}, ""); code != ExitUsage {
		t.Errorf("--workspace without a target: exit %d", code)
	}
}

// passedIDs reads a JSON report: which requirements passed.
func passedIDs(t *testing.T, report string) map[string]bool {
	t.Helper()
	var rep struct {
		Results []struct{ ID, Status string } `json:"results"`
	}
	if err := json.Unmarshal([]byte(report), &rep); err != nil {
		t.Fatal(err)
	}
	passed := map[string]bool{}
	for _, r := range rep.Results {
		passed[r.ID] = r.Status == "pass"
	}
	return passed
}
