package impl

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcpverify/mcpverify/wire"
)

func TestSSEProgress(t *testing.T) {
	h := newHarness(t, Config{})
	r := h.do(rpc{Method: "tools/call", Params: map[string]any{"name": "test_tool_with_progress", "arguments": map[string]any{},
		"_meta": meta(map[string]any{"progressToken": "p-1"})}})
	if ct := r.header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q, want text/event-stream", ct)
	}
	if r.header.Get("X-Accel-Buffering") != "no" {
		t.Errorf("X-Accel-Buffering %q", r.header.Get("X-Accel-Buffering"))
	}
	if len(r.events) != 4 {
		t.Fatalf("%d events, want 3 progress and the response: %s", len(r.events), r.body)
	}
	last := -1.0
	for _, ev := range r.events[:3] {
		if ev["method"] != "notifications/progress" || get(ev, "params", "progressToken") != "p-1" {
			t.Errorf("event %v", ev)
		}
		p, _ := get(ev, "params", "progress").(float64)
		if p <= last {
			t.Errorf("progress %v after %v: must increase", p, last)
		}
		last = p
	}
	final := r.events[3]
	if final["id"] != 1.0 || final["result"] == nil {
		t.Errorf("last event %v; want the response", final)
	}
	// No progress token: JSON, no notifications.
	r = h.do(rpc{Method: "tools/call", Params: map[string]any{"name": "test_tool_with_progress"}})
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("without a token: Content-Type %q", ct)
	}
	// Integer token; a client that accepts only JSON gets no stream.
	r = h.do(rpc{Method: "tools/call", Params: map[string]any{"name": "test_tool_with_progress", "_meta": meta(map[string]any{"progressToken": 7})},
		Headers: map[string]string{"Accept": "application/json"}})
	if ct := r.header.Get("Content-Type"); ct != "application/json" || r.result() == nil {
		t.Errorf("Accept: application/json only: %q %s", ct, r.body)
	}
}

func TestSSELogging(t *testing.T) {
	h := newHarness(t, Config{})
	logs := func(level any) (*resp, int) {
		m := meta(nil)
		if level != nil {
			m[wire.MetaLogLevel] = level
		}
		r := h.do(rpc{Method: "tools/call", Params: map[string]any{"name": "test_tool_with_logging", "_meta": m}})
		n := 0
		for _, ev := range r.events {
			if ev["method"] == "notifications/message" {
				n++
				if get(ev, "params", "level") != "info" || get(ev, "params", "data") == nil {
					t.Errorf("log message %v", ev)
				}
			}
		}
		return r, n
	}
	if r, n := logs(nil); n != 0 || r.header.Get("Content-Type") != "application/json" {
		t.Errorf("without logLevel: %d log messages, Content-Type %q", n, r.header.Get("Content-Type"))
	}
	if _, n := logs("debug"); n != 3 {
		t.Errorf("logLevel debug: %d log messages, want 3", n)
	}
	if _, n := logs("info"); n != 3 {
		t.Errorf("logLevel info: %d log messages, want 3", n)
	}
	if _, n := logs("warning"); n != 0 {
		t.Errorf("logLevel warning: %d info messages, want none", n)
	}
}

// TestSSECancel closes the stream of a long call after its first event: the
// handler must stop (it would run 5 s otherwise).
func TestSSECancel(t *testing.T) {
	h := newHarness(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	body := rpc{Method: "tools/call", Params: map[string]any{"name": "wait", "arguments": map[string]any{"ms": 5000}, "_meta": meta(map[string]any{"progressToken": "w"})}}.body()
	req, _ := http.NewRequestWithContext(ctx, "POST", h.url, bytes.NewReader(body))
	req.Header = http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json, text/event-stream"},
		"Mcp-Protocol-Version": {wire.Version}, "Mcp-Method": {"tools/call"}, "Mcp-Name": {"wait"}}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(res.Body).ReadString('\n')
	if err != nil || !strings.Contains(line, "notifications/progress") {
		t.Fatalf("first line %q, %v", line, err)
	}
	start := time.Now()
	cancel()
	res.Body.Close()
	for h.s.running.Load() != 0 {
		if time.Since(start) > 2*time.Second {
			t.Fatal("the handler kept running after the stream was closed")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestHTTPConcurrent checks that concurrent requests each get their own
// answer.
func TestHTTPConcurrent(t *testing.T) {
	h := newHarness(t, Config{})
	done := make(chan error, 50)
	for i := range 50 {
		go func() {
			name := []string{"test_simple_text", "test_image_content", "get_weather"}[i%3]
			args := map[string]any{}
			if name == "get_weather" {
				args["location"] = "Paris"
			}
			body := rpc{ID: i + 1000, Method: "tools/call", Params: map[string]any{"name": name, "arguments": args}}.body()
			req, _ := http.NewRequest("POST", h.url, bytes.NewReader(body))
			req.Header = http.Header{"Content-Type": {"application/json"}, "Mcp-Protocol-Version": {wire.Version}, "Mcp-Method": {"tools/call"}, "Mcp-Name": {name}}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				done <- err
				return
			}
			defer res.Body.Close()
			var m map[string]any
			if err := json.NewDecoder(res.Body).Decode(&m); err != nil {
				done <- err
				return
			}
			if m["id"] != float64(i+1000) || m["result"] == nil {
				done <- &mismatch{m}
				return
			}
			done <- nil
		}()
	}
	for range 50 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

type mismatch struct{ m map[string]any }

func (e *mismatch) Error() string { b, _ := json.Marshal(e.m); return "wrong answer: " + string(b) }
