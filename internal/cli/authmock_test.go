package cli

import (
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"

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
	var rep struct {
		Results []struct{ ID, Status string } `json:"results"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	passed := map[string]bool{}
	for _, r := range rep.Results {
		passed[r.ID] = r.Status == "pass"
	}
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
