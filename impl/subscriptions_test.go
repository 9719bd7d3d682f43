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

// stream is an open SSE response read event by event.
type stream struct {
	t        *testing.T
	events   chan map[string]any
	comments chan string
	cancel   context.CancelFunc
	done     chan struct{} // closed when the server ends the stream
}

func openStream(t *testing.T, h *harness, r rpc) *stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", h.url, bytes.NewReader(r.body()))
	req.Header = http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json, text/event-stream"},
		"Mcp-Protocol-Version": {wire.Version}, "Mcp-Method": {r.Method}}
	for k, v := range r.Headers {
		req.Header[k] = []string{v}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if res.Header.Get("Content-Type") != "text/event-stream" {
		cancel()
		t.Fatalf("listen answered %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	s := &stream{t: t, events: make(chan map[string]any, 100), comments: make(chan string, 100), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(nil, 8<<20)
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "data: "):
				var m map[string]any
				if json.Unmarshal([]byte(line[6:]), &m) == nil {
					s.events <- m
				}
			case strings.HasPrefix(line, ":"):
				select {
				case s.comments <- line:
				default:
				}
			}
		}
	}()
	t.Cleanup(cancel)
	return s
}

func (s *stream) next() map[string]any {
	s.t.Helper()
	select {
	case ev := <-s.events:
		return ev
	case <-time.After(5 * time.Second):
		s.t.Fatal("no event within 5s")
		return nil
	}
}

// quiet checks that no event arrives for d.
func (s *stream) quiet(d time.Duration) {
	s.t.Helper()
	select {
	case ev := <-s.events:
		s.t.Errorf("unexpected event %v", ev)
	case <-time.After(d):
	}
}

func listen(id any, filter map[string]any) rpc {
	return rpc{ID: id, Method: "subscriptions/listen", Params: map[string]any{"notifications": filter}}
}

func trigger(t *testing.T, h *harness, tool string, args map[string]any) {
	t.Helper()
	p := map[string]any{"name": tool}
	if args != nil {
		p["arguments"] = args
	}
	r := h.do(rpc{Method: "tools/call", Params: p})
	if r.result() == nil {
		t.Fatalf("%s: %s", tool, r.body)
	}
}

func TestListenAckFirstAndTagged(t *testing.T) {
	h := newHarness(t, Config{})
	s := openStream(t, h, listen(41, map[string]any{"toolsListChanged": true, "resourceSubscriptions": []string{"test://watched-resource", "test://no-such"}}))
	ack := s.next()
	if ack["method"] != "notifications/subscriptions/acknowledged" {
		t.Fatalf("first message %v; want the acknowledgment", ack)
	}
	if get(ack, "params", "_meta", wire.MetaSubscriptionID) != 41.0 {
		t.Errorf("ack subscriptionId %v, want 41", get(ack, "params", "_meta", wire.MetaSubscriptionID))
	}
	n := get(ack, "params", "notifications").(map[string]any)
	if n["toolsListChanged"] != true || n["promptsListChanged"] != nil {
		t.Errorf("acknowledged filter %v", n)
	}
	if subs, _ := n["resourceSubscriptions"].([]any); len(subs) != 1 || subs[0] != "test://watched-resource" {
		t.Errorf("acknowledged resources %v; want only the resource that exists", n["resourceSubscriptions"])
	}
	// Only requested types arrive, each tagged.
	trigger(t, h, "test_trigger_prompt_change", nil)
	trigger(t, h, "test_trigger_tool_change", nil)
	ev := s.next()
	if ev["method"] != "notifications/tools/list_changed" || get(ev, "params", "_meta", wire.MetaSubscriptionID) != 41.0 {
		t.Errorf("event %v; want tools/list_changed tagged 41", ev)
	}
	trigger(t, h, "test_trigger_resource_change", map[string]any{"uri": "test://static-text"})
	trigger(t, h, "test_trigger_resource_change", map[string]any{"uri": "test://watched-resource"})
	ev = s.next()
	if ev["method"] != "notifications/resources/updated" || get(ev, "params", "uri") != "test://watched-resource" || get(ev, "params", "_meta", wire.MetaSubscriptionID) != 41.0 {
		t.Errorf("event %v; want resources/updated of the watched resource", ev)
	}
	s.quiet(50 * time.Millisecond)
}

func TestListenStringIDAndFilterOnly(t *testing.T) {
	h := newHarness(t, Config{})
	s := openStream(t, h, listen("sub-a", map[string]any{"promptsListChanged": true}))
	if ack := s.next(); get(ack, "params", "_meta", wire.MetaSubscriptionID) != "sub-a" {
		t.Fatalf("ack %v", ack)
	}
	trigger(t, h, "test_trigger_tool_change", nil)
	s.quiet(100 * time.Millisecond)
	trigger(t, h, "test_trigger_prompt_change", nil)
	if ev := s.next(); ev["method"] != "notifications/prompts/list_changed" {
		t.Errorf("event %v", ev)
	}
}

func TestListenKeepAliveAndGracefulClose(t *testing.T) {
	h := newHarness(t, Config{KeepAlive: 20 * time.Millisecond})
	s := openStream(t, h, listen(9, map[string]any{"toolsListChanged": true}))
	s.next()
	select {
	case c := <-s.comments:
		if !strings.HasPrefix(c, ":") {
			t.Errorf("keep-alive %q", c)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no keep-alive comment")
	}
	h.s.Close()
	ev := s.next()
	if ev["method"] != "notifications/cancelled" || get(ev, "params", "requestId") != 9.0 {
		t.Errorf("teardown notification %v", ev)
	}
	res := s.next()
	if res["id"] != 9.0 || get(res, "result", "_meta", wire.MetaSubscriptionID) != 9.0 || get(res, "result", "resultType") != "complete" {
		t.Errorf("graceful result %v", res)
	}
	select {
	case <-s.done:
	case <-time.After(2 * time.Second):
		t.Fatal("the stream did not end after the graceful result")
	}
	// New subscriptions are refused once closed.
	if r := h.do(listen(10, map[string]any{"toolsListChanged": true})); r.errCode() == 0 {
		t.Errorf("listen after Close: %s", r.body)
	}
}

func TestListenCancelByClose(t *testing.T) {
	h := newHarness(t, Config{})
	s := openStream(t, h, listen(1, map[string]any{"toolsListChanged": true}))
	s.next()
	s.cancel()
	deadline := time.Now().Add(2 * time.Second)
	for h.s.running.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the listen handler kept running after the stream was closed")
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.s.hub.mu.Lock()
	n := len(h.s.hub.subs)
	h.s.hub.mu.Unlock()
	if n != 0 {
		t.Errorf("%d subscriptions left in the hub", n)
	}
}
