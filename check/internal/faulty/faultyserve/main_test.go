package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcpverify/mcpverify/check/internal/faulty"
)

const toolCall = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"test_simple_text","arguments":{},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"t","version":"1"},"io.modelcontextprotocol/clientCapabilities":{}}}}`

// serve runs faultyserve with args over HTTP until the test ends and
// returns its URL.
func serve(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan int, 1)
	var stderr bytes.Buffer
	go func() { done <- run(ctx, args, strings.NewReader(""), io.Discard, &stderr, ready) }()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != exitOK {
			t.Errorf("faultyserve %v: exit %d", args, code)
		}
	})
	select {
	case url := <-ready:
		if !strings.Contains(stderr.String(), "serving MCP 2026-07-28 on "+url) {
			t.Errorf("stderr %q does not name the URL %s as mcpverify serve does", stderr.String(), url)
		}
		return url
	case code := <-done:
		t.Fatalf("faultyserve %v ended: exit %d\n%s", args, code, stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("faultyserve printed no URL in 10 s")
	}
	return ""
}

// callStatus sends a tools/call to url and returns the HTTP status.
func callStatus(t *testing.T, url string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(toolCall))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json, text/event-stream"},
		"Mcp-Protocol-Version": {"2026-07-28"}, "Mcp-Method": {"tools/call"}, "Mcp-Name": {"test_simple_text"}}
	c := &http.Client{Timeout: 5 * time.Second}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20))
	return res.StatusCode
}

// TestServeHTTP: the reference serves a tool call; the hostile server
// refuses-everything, served by name, refuses it.
func TestServeHTTP(t *testing.T) {
	if got := callStatus(t, serve(t, "-variant", "reference", "-http", "127.0.0.1:0")); got != http.StatusOK {
		t.Errorf("reference: HTTP %d, want 200", got)
	}
	if got := callStatus(t, serve(t, "-variant", "refuses-everything", "-http", "127.0.0.1:0")); got != http.StatusBadRequest {
		t.Errorf("refuses-everything: HTTP %d, want 400", got)
	}
	// A needs-dir variant with its directory.
	if got := callStatus(t, serve(t, "-variant", "files-decode-after-check", "-http", "127.0.0.1:0", "-dir", t.TempDir())); got != http.StatusOK {
		t.Errorf("files-decode-after-check: HTTP %d, want 200", got)
	}
}

// stdioLines runs faultyserve -stdio with one tool call on stdin and
// returns the lines of its stdout.
func stdioLines(t *testing.T, variant string) []string {
	t.Helper()
	var out, stderr bytes.Buffer
	code := run(context.Background(), []string{"-variant", variant, "-stdio"}, strings.NewReader(toolCall+"\n"), &out, &stderr, nil)
	if code != exitOK {
		t.Fatalf("%s: exit %d\n%s", variant, code, stderr.String())
	}
	var lines []string
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

// TestServeStdio: the reference answers a tool call with one JSON-RPC
// line; stdio-log-on-stdout writes a line that is no message first.
func TestServeStdio(t *testing.T) {
	ref := stdioLines(t, "reference")
	if len(ref) != 1 || !json.Valid([]byte(ref[0])) || !strings.Contains(ref[0], `"id":1`) {
		t.Errorf("reference: stdout %q, want the one response", ref)
	}
	bad := stdioLines(t, "stdio-log-on-stdout")
	if len(bad) != 2 || json.Valid([]byte(bad[0])) || !strings.Contains(bad[1], `"id":1`) {
		t.Errorf("stdio-log-on-stdout: stdout %q, want a log line, then the response", bad)
	}
}

// TestList: -list prints every server of the catalog once, as JSON
// lines, the reference with no Breaks and every variant with some.
func TestList(t *testing.T) {
	var out bytes.Buffer
	if code := run(context.Background(), []string{"-list"}, nil, &out, io.Discard, nil); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	want := 1 + len(faulty.All()) + len(faulty.ProcessVariants()) + len(faulty.StateVariants()) + len(faulty.Hostile())
	kinds := map[string]bool{"http": true, "stdio": true, "hostile": true, "needs-dir": true, "needs-issuer": true, "needs-principals": true}
	seen := map[string]bool{}
	dec := json.NewDecoder(&out)
	dec.DisallowUnknownFields()
	for dec.More() {
		var e listEntry
		if err := dec.Decode(&e); err != nil {
			t.Fatal(err)
		}
		if seen[e.Name] || !kinds[e.Kind] {
			t.Errorf("%+v: a name seen before or an unknown kind", e)
		}
		seen[e.Name] = true
		if noBreaks := e.Name == "reference" || e.Kind == "hostile"; noBreaks != (len(e.Breaks) == 0) {
			t.Errorf("%s (%s): breaks %v", e.Name, e.Kind, e.Breaks)
		}
	}
	if len(seen) != want || !seen["reference"] || !seen["stdio-lingers-after-eof"] || !seen["state-no-expiry"] || !seen["never-answers"] {
		t.Errorf("%d servers listed, want %d with the reference, the process, state and hostile ones", len(seen), want)
	}
}

// TestUsage: what a server needs is asked for before anything starts.
func TestUsage(t *testing.T) {
	for _, args := range [][]string{
		{"-variant", "no-such-server", "-http", "127.0.0.1:0"},
		{"-variant", "reference"},
		{"-variant", "reference", "-http", "127.0.0.1:0", "-stdio"},
		{"-variant", "files-decode-after-check", "-http", "127.0.0.1:0"},
		{"-variant", "auth-alg-none", "-http", "127.0.0.1:0"},
		{"-variant", "auth-alg-none", "-http", "127.0.0.1:0", "-issuer", "http://as.example.com"},
		{"-variant", "reference", "-http", "192.0.2.1:80"},
		{"-variant", "auth-alg-none", "-stdio"},
	} {
		var stderr bytes.Buffer
		if code := run(context.Background(), args, nil, io.Discard, &stderr, nil); code != exitUsage {
			t.Errorf("%v: exit %d, want %d (usage)\n%s", args, code, exitUsage, stderr.String())
		}
	}
}
