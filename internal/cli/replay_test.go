package cli

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/trace"
	"github.com/mcpverify/mcpverify/wire"
)

// noResultType serves the reference server, minus resultType in every
// JSON result.
func noResultType(t *testing.T) string {
	t.Helper()
	srv, err := impl.New(impl.Config{})
	if err != nil {
		t.Fatal(err)
	}
	next := srv.Handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		out := rec.Body.Bytes()
		var m map[string]any
		if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") && json.Unmarshal(out, &m) == nil {
			if res, ok := m["result"].(map[string]any); ok {
				delete(res, "resultType")
				out, _ = json.Marshal(m)
			}
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		w.Write(out)
	}))
	t.Cleanup(func() { ts.Close(); srv.Close() })
	return ts.URL + impl.Endpoint
}

func TestReplayCommand(t *testing.T) {
	req := check.DefaultClient.Request(wire.IntID(1), "tools/list", nil, nil)
	tr := &trace.Trace{
		Fields:    []trace.Field{{Key: "want", Value: "CORE-RESULT-TYPE"}},
		Exchanges: []*wire.Exchange{{Transport: wire.HTTP, HTTPMethod: "POST", Header: req.Header, Body: req.Body, Status: 200}},
	}
	path := filepath.Join(t.TempDir(), "t.txtar")
	if err := os.WriteFile(path, trace.Format(tr), 0o644); err != nil {
		t.Fatal(err)
	}
	// Still failing against a server that drops resultType.
	code, out, errs := run([]string{"replay", "--url", noResultType(t), path}, "")
	if code != ExitViolations || !strings.Contains(out, "CORE-RESULT-TYPE: still fails") || !strings.Contains(out, "tools/list") {
		t.Errorf("against the defective server: exit %d\n%s%s", code, out, errs)
	}
	// Fixed: the embedded reference server (no target flag).
	code, out, errs = run([]string{"replay", path}, "")
	if code != ExitOK || !strings.Contains(out, "CORE-RESULT-TYPE: no longer occurs") {
		t.Errorf("against the reference server: exit %d\n%s%s", code, out, errs)
	}
	// A model bad trace's requests, against the reference server.
	code, out, errs = run([]string{"replay", "../../model/testdata/bad/meta-missing-accepted.txtar"}, "")
	if code != ExitOK || !strings.Contains(out, "CORE-META-REQUIRED: no longer occurs") {
		t.Errorf("bad trace against the reference server: exit %d\n%s%s", code, out, errs)
	}

	for _, c := range []struct {
		args []string
		want int
	}{
		{[]string{"replay"}, ExitUsage},
		{[]string{"replay", path, path}, ExitUsage},
		{[]string{"replay", "--bogus", path}, ExitUsage},
		{[]string{"replay", "--header", "nocolon", path}, ExitUsage},
		{[]string{"replay", "-h"}, ExitOK},
		{[]string{"replay", filepath.Join(t.TempDir(), "missing.txtar")}, ExitCannotRun},
		{[]string{"replay", "--url", "http://127.0.0.1:1/mcp", "--url", "http://127.0.0.1:2/mcp", "--command", "x", path}, ExitUsage},
	} {
		if code, _, _ := run(c.args, ""); code != c.want {
			t.Errorf("%v: exit %d; want %d", c.args, code, c.want)
		}
	}
	// A server that is not there: the cause is said.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := "http://" + ln.Addr().String() + "/mcp"
	ln.Close()
	if code, _, errs := run([]string{"replay", "--url", gone, path}, ""); code != ExitCannotRun || !strings.Contains(errs, "answered no request: connection refused") {
		t.Errorf("against no server: exit %d; want %d and the cause:\n%s", code, ExitCannotRun, errs)
	}
	bad := filepath.Join(t.TempDir(), "bad.txtar")
	os.WriteFile(bad, []byte("transport: carrier-pigeon\n"), 0o644)
	if code, _, _ := run([]string{"replay", bad}, ""); code != ExitCannotRun {
		t.Errorf("unparsable trace: exit %d; want %d", code, ExitCannotRun)
	}
}

// authCaseTrace is a trace of auth/tokens: the audience in upper case
// refused (AUTH-AUDIENCE-CASE), its token long expired and signed by a
// key no one holds.
const authCaseTrace = `target: http://127.0.0.1:8080/mcp
check: auth/tokens
want: AUTH-AUDIENCE-CASE
found-by: model
-- 1.request --
POST /mcp HTTP/1.1
Accept: application/json, text/event-stream
Authorization: Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6Im1vY2stcnMyNTYiLCJ0eXAiOiJhdCtqd3QifQ.eyJhdWQiOiJIVFRQOi8vMTI3LjAuMC4xOjgwODAvbWNwIiwic3ViIjoiYWxpY2UifQ.c2ln
Content-Type: application/json
MCP-Protocol-Version: 2026-07-28
Mcp-Method: tools/list

{"id":34,"jsonrpc":"2.0","method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"mcpverify","version":"0.1.0"},"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}
-- 1.response --
HTTP/1.1 401 Unauthorized
Www-Authenticate: Bearer error="invalid_token"
-- 1.meta --
conn: 3
credential: aud-uppercase-scheme-host
credential-principal: alice
credential-claims: {"aud":"HTTP://127.0.0.1:8080/mcp","sub":"alice"}
credential-resource: http://127.0.0.1:8080/mcp
credential-scope: mcp:tools mcp:transfer
`

// TestReplayAuthDefault: a trace of the auth checks, replayed with no
// target, runs against the reference in issuer mode trusting an
// in-memory mock, which mints the case's token again: the reference
// serves the upper-case audience, so the finding no longer occurs (the
// recorded token, sent as it is, would still be refused).
func TestReplayAuthDefault(t *testing.T) {
	path := filepath.Join(t.TempDir(), "AUTH-AUDIENCE-CASE.txtar")
	if err := os.WriteFile(path, []byte(authCaseTrace), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run([]string{"replay", path}, "")
	if code != ExitOK || !strings.Contains(stdout, "AUTH-AUDIENCE-CASE: no longer occurs") || !strings.Contains(stderr, "issuer mode") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}

// TestReplayFilesDefault: a trace of the file checks, replayed with no
// target, runs the check again against the embedded reference told to use
// a sandbox made from the trace's seed: the reference confines its reads,
// so the finding no longer occurs (without a sandbox the check would
// skip, and the replay could not decide).
func TestReplayFilesDefault(t *testing.T) {
	path := filepath.Join(t.TempDir(), "FILES-TOOL-CONFINED.txtar")
	tr := "target: http://127.0.0.1:8080/mcp\ncheck: files/tools\nwant: FILES-TOOL-CONFINED\nseed: 3\n" +
		`sandbox: {"allowed":["/gone/ws"],"nodes":{"/gone":{"dir":true},"/gone/ws":{"dir":true}}}` + "\n"
	if err := os.WriteFile(path, []byte(tr), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run([]string{"replay", path}, "")
	if code != ExitOK || !strings.Contains(stdout, "FILES-TOOL-CONFINED: no longer occurs") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}
