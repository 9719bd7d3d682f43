package impl

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/mcpverify/mcpverify/wire"
)

// stdioSession runs ServeStdio over pipes.
type stdioSession struct {
	t     *testing.T
	in    *io.PipeWriter
	lines chan map[string]any
	raw   chan string
	done  chan error
}

func newStdio(t *testing.T, s *Server, ctx context.Context) *stdioSession {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	ss := &stdioSession{t: t, in: inW, lines: make(chan map[string]any, 100), raw: make(chan string, 100), done: make(chan error, 1)}
	go func() {
		err := s.ServeStdio(ctx, inR, outW)
		outW.Close()
		ss.done <- err
	}()
	go func() {
		sc := bufio.NewScanner(outR)
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			line := sc.Text()
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Errorf("stdout line is not a JSON object: %q", line)
				continue
			}
			if m["jsonrpc"] != "2.0" {
				t.Errorf("stdout line is not a JSON-RPC message: %q", line)
			}
			ss.raw <- line
			ss.lines <- m
		}
		close(ss.lines)
	}()
	t.Cleanup(func() { inW.Close() })
	return ss
}

func (ss *stdioSession) send(line string) {
	ss.t.Helper()
	if _, err := io.WriteString(ss.in, line+"\n"); err != nil {
		ss.t.Fatal(err)
	}
}

func (ss *stdioSession) sendRPC(r rpc) { ss.send(string(r.body())) }

func (ss *stdioSession) next() map[string]any {
	ss.t.Helper()
	select {
	case m, ok := <-ss.lines:
		if !ok {
			ss.t.Fatal("stdout closed")
		}
		return m
	case <-time.After(5 * time.Second):
		ss.t.Fatal("no message within 5s")
		return nil
	}
}

func TestStdioBasics(t *testing.T) {
	s := newTestServer(t, Config{MaxBodyBytes: 1 << 10})
	ss := newStdio(t, s, context.Background())
	// No headers on stdio: the same request that needs Mcp-* on HTTP.
	ss.sendRPC(rpc{ID: 1, Method: "tools/call", Params: map[string]any{"name": "route_query", "arguments": map[string]any{"region": "r", "query": "q"}}})
	if m := ss.next(); m["id"] != 1.0 || get(m, "result", "resultType") != "complete" {
		t.Errorf("tools/call: %v", m)
	}
	ss.send(`{"jsonrpc":"2.0","id":2,`)
	if m := ss.next(); get(m, "error", "code") != float64(wire.CodeParseError) || m["id"] != nil {
		t.Errorf("malformed line: %v", m)
	}
	ss.send(strings.Repeat("x", 5000))
	if m := ss.next(); get(m, "error", "code") != float64(wire.CodeInvalidRequest) || m["id"] != nil {
		t.Errorf("long line: %v", m)
	}
	ss.send("")
	ss.send(`{"jsonrpc":"2.0","id":3,"method":"ping","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}`)
	if m := ss.next(); get(m, "error", "code") != float64(wire.CodeMethodNotFound) || m["id"] != 3.0 {
		t.Errorf("ping: %v", m)
	}
	ss.sendRPC(rpc{ID: 4, Method: "server/discover", NoMeta: true})
	if m := ss.next(); get(m, "error", "code") != float64(wire.CodeInvalidParams) || m["id"] != 4.0 {
		t.Errorf("no _meta: %v", m)
	}
	ss.in.Close()
	select {
	case err := <-ss.done:
		if err != nil {
			t.Errorf("ServeStdio at EOF: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ServeStdio did not return at EOF")
	}
}

func TestStdioConcurrentAndProgress(t *testing.T) {
	s := newTestServer(t, Config{})
	ss := newStdio(t, s, context.Background())
	// A slow request does not hold up a fast one.
	ss.sendRPC(rpc{ID: "slow", Method: "tools/call", Params: map[string]any{"name": "wait", "arguments": map[string]any{"ms": 300}, "_meta": meta(map[string]any{"progressToken": "t"})}})
	ss.sendRPC(rpc{ID: "fast", Method: "tools/call", Params: map[string]any{"name": "test_simple_text"}})
	var order []string
	progress := 0
	for len(order) < 2 {
		m := ss.next()
		switch {
		case m["method"] == "notifications/progress":
			if get(m, "params", "progressToken") != "t" {
				t.Errorf("progress %v", m)
			}
			progress++
		case m["id"] != nil:
			order = append(order, fmt.Sprint(m["id"]))
		}
	}
	if order[0] != "fast" {
		t.Errorf("answers in order %v; the fast request waited for the slow one", order)
	}
	if progress == 0 {
		t.Error("no progress on stdio")
	}
}

func TestStdioCancel(t *testing.T) {
	s := newTestServer(t, Config{})
	ss := newStdio(t, s, context.Background())
	ss.sendRPC(rpc{ID: 7, Method: "tools/call", Params: map[string]any{"name": "wait", "arguments": map[string]any{"ms": 5000}, "_meta": meta(map[string]any{"progressToken": 1})}})
	if m := ss.next(); m["method"] != "notifications/progress" {
		t.Fatalf("first message %v", m)
	}
	ss.send(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7,"reason":"test"}}`)
	// Malformed and unknown cancellations are ignored.
	ss.send(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":null}}`)
	ss.send(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"nope"}}`)
	deadline := time.Now().Add(2 * time.Second)
	for s.running.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the cancelled request kept running")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Drain what was written before the cancel took effect; after it,
	// nothing for request 7, and certainly no response.
	ss.sendRPC(rpc{ID: 8, Method: "server/discover"})
	for {
		m := ss.next()
		if m["id"] == 7.0 {
			t.Fatalf("a response for the cancelled request: %v", m)
		}
		if m["id"] == 8.0 {
			break
		}
	}
}

func TestStdioListen(t *testing.T) {
	s := newTestServer(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	ss := newStdio(t, s, ctx)
	ss.sendRPC(listen(5, map[string]any{"toolsListChanged": true}))
	if m := ss.next(); m["method"] != "notifications/subscriptions/acknowledged" || get(m, "params", "_meta", wire.MetaSubscriptionID) != 5.0 {
		t.Fatalf("first message %v", m)
	}
	ss.sendRPC(rpc{ID: 6, Method: "tools/call", Params: map[string]any{"name": "test_trigger_tool_change"}})
	got := map[string]bool{}
	for !got["notify"] || !got["answer"] {
		m := ss.next()
		switch {
		case m["method"] == "notifications/tools/list_changed":
			if get(m, "params", "_meta", wire.MetaSubscriptionID) != 5.0 {
				t.Errorf("untagged %v", m)
			}
			got["notify"] = true
		case m["id"] == 6.0:
			got["answer"] = true
		}
	}
	// Shutting down ends the subscription gracefully.
	cancel()
	if m := ss.next(); m["method"] != "notifications/cancelled" || get(m, "params", "requestId") != 5.0 {
		t.Errorf("teardown %v", m)
	}
	if m := ss.next(); m["id"] != 5.0 || get(m, "result", "_meta", wire.MetaSubscriptionID) != 5.0 {
		t.Errorf("graceful result %v", m)
	}
	select {
	case err := <-ss.done:
		if err != context.Canceled {
			t.Errorf("ServeStdio after cancel: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ServeStdio did not return")
	}
}

func TestStdioCancelListen(t *testing.T) {
	s := newTestServer(t, Config{})
	ss := newStdio(t, s, context.Background())
	ss.sendRPC(listen("L", map[string]any{"toolsListChanged": true}))
	ss.next()
	ss.send(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"L"}}`)
	ss.sendRPC(rpc{ID: 2, Method: "tools/call", Params: map[string]any{"name": "test_trigger_tool_change"}})
	for {
		m := ss.next()
		if m["method"] == "notifications/tools/list_changed" || m["id"] == "L" {
			t.Fatalf("message for a cancelled subscription: %v", m)
		}
		if m["id"] == 2.0 {
			break
		}
	}
}
