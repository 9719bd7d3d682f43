package cli

import (
	"encoding/json"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/mcpverify/mcpverify/internal/redistest"
)

// transferLine is a transfer call on stdio; with a state, the retry that
// confirms it.
func transferLine(t *testing.T, state string) string {
	t.Helper()
	params := map[string]any{
		"name":      "transfer",
		"arguments": map[string]any{"to": "bob", "amount": 5},
		"_meta": map[string]any{
			"io.modelcontextprotocol/protocolVersion":    "2026-07-28",
			"io.modelcontextprotocol/clientCapabilities": map[string]any{"elicitation": map[string]any{}},
		},
	}
	if state != "" {
		params["requestState"] = state
		params["inputResponses"] = map[string]any{"confirm": map[string]any{"action": "accept", "content": map[string]any{"confirm": true}}}
	}
	b, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params})
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}

// serveOnce runs `mcpverify serve --stdio` with args on one line and
// returns its one answer.
func serveOnce(t *testing.T, args []string, line string) map[string]any {
	t.Helper()
	code, out, errs := run(append([]string{"serve", "--stdio"}, args...), line)
	if code != ExitOK {
		t.Fatalf("serve %v: exit %d: %s", args, code, errs)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &m); err != nil {
		t.Fatalf("serve %v: answer %q: %v", args, out, err)
	}
	return m
}

// TestServeStore: processes given one --state-key and one --store are one
// deployment: a confirmation asked for by one process completes in the
// next, and is refused as used by the one after (each a new process with
// its own connection to the store).
func TestServeStore(t *testing.T) {
	srv := redistest.Start(t)
	args := []string{"--state-key", strings.Repeat("cd", 32), "--store", srv.URL(3)}
	res, _ := serveOnce(t, args, transferLine(t, ""))["result"].(map[string]any)
	state, _ := res["requestState"].(string)
	if state == "" {
		t.Fatalf("first call: %v", res)
	}
	res, _ = serveOnce(t, args, transferLine(t, state))["result"].(map[string]any)
	if res["resultType"] != "complete" || res["isError"] == true {
		t.Fatalf("the retry in another process: %v", res)
	}
	m := serveOnce(t, args, transferLine(t, state))
	if e, _ := m["error"].(map[string]any); e == nil || !strings.Contains(e["message"].(string), "already used") {
		t.Errorf("the retry again, in a third process: %v", m)
	}
	// Without the store, a process cannot know.
	res, _ = serveOnce(t, args[:2], transferLine(t, state))["result"].(map[string]any)
	if res["resultType"] != "complete" {
		t.Errorf("a process without the store: %v", res)
	}
}

// TestServeStoreUnreachable: a store that does not answer stops serve
// before it serves anything.
func TestServeStoreUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	code, out, errs := run([]string{"serve", "--stdio", "--store", "redis://127.0.0.1:" + strconv.Itoa(port) + "/0"}, transferLine(t, ""))
	if code != ExitCannotRun || out != "" || !strings.Contains(errs, "--store") {
		t.Errorf("exit %d, stdout %q, stderr %q; want %d, nothing served, the cause", code, out, errs, ExitCannotRun)
	}
}
