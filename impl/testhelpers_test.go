package impl

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mcpverify/mcpverify/wire"
)

// handleForTest serves one message through the core without a transport
// (no notifications) and returns the response.
func (s *Server) handleForTest(body []byte) []byte {
	msg, rerr, id := s.readMessage(body, nil)
	if rerr != nil {
		return encodeError(id, rerr)
	}
	req, ok := msg.(*wire.JSONRPCRequest)
	if !ok {
		return nil
	}
	x, rerr := s.prepare(context.Background(), req, noChecks{})
	if rerr != nil {
		return encodeError(req.ID, rerr)
	}
	res, rerr := x.serve()
	return responseFor(req.ID, res, rerr)
}

// testKey is a fixed state key for tests.
var testKey = bytes.Repeat([]byte{0x42}, 32)

func newTestServer(t testing.TB, cfg Config) *Server {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if n := s.panics.Load(); n != 0 {
			t.Errorf("the server recovered %d panic(s)", n)
		}
	})
	return s
}

// harness is a reference server behind a real loopback listener.
type harness struct {
	t   *testing.T
	s   *Server
	ts  *httptest.Server
	url string
}

func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	s := newTestServer(t, cfg)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { s.Close(); ts.Close() })
	return &harness{t: t, s: s, ts: ts, url: ts.URL + Endpoint}
}

// meta builds a conformant request _meta, with overrides (a nil value
// deletes a key).
func meta(over map[string]any) map[string]any {
	m := map[string]any{
		wire.MetaProtocolVersion:    wire.Version,
		wire.MetaClientInfo:         map[string]any{"name": "impl-test", "version": "1"},
		wire.MetaClientCapabilities: map[string]any{"elicitation": map[string]any{}, "sampling": map[string]any{}, "roots": map[string]any{}},
	}
	return overridden(m, over)
}

// overridden sets the keys of over in m (a nil value deletes a key) and
// returns m.
func overridden[M ~map[string]any](m M, over M) M {
	for k, v := range over {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return m
}

// rpc is a request to send: the body is built from the fields unless Raw
// is set; headers are the conformant ones with overrides ("" deletes).
type rpc struct {
	ID      any
	Method  string
	Params  map[string]any // _meta added unless NoMeta
	NoMeta  bool
	Raw     []byte
	Headers map[string]string
}

func (r rpc) body() []byte {
	if r.Raw != nil {
		return r.Raw
	}
	p := map[string]any{}
	for k, v := range r.Params {
		p[k] = v
	}
	if _, ok := p["_meta"]; !ok && !r.NoMeta {
		p["_meta"] = meta(nil)
	}
	id := r.ID
	if id == nil {
		id = 1
	}
	b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "method": r.Method, "params": p})
	return b
}

// resp is an HTTP answer.
type resp struct {
	status int
	header http.Header
	body   []byte
	msg    map[string]any // the JSON body, or the final SSE message
	events []map[string]any
}

func (r *resp) errCode() int64 {
	e, _ := r.msg["error"].(map[string]any)
	if e == nil {
		return 0
	}
	c, _ := e["code"].(float64)
	return int64(c)
}

func (r *resp) result() map[string]any {
	m, _ := r.msg["result"].(map[string]any)
	return m
}

func (h *harness) do(r rpc) *resp {
	h.t.Helper()
	return doHTTP(h.t, "POST", h.url, r)
}

func doHTTP(t *testing.T, method, url string, r rpc) *resp {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(r.body()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", wire.Version)
	if r.Method != "" {
		req.Header.Set("Mcp-Method", r.Method)
	}
	if name, ok := r.Params["name"].(string); ok {
		req.Header.Set("Mcp-Name", wire.EncodeHeaderValue(name))
	}
	if id, ok := r.Params["taskId"].(string); ok && strings.HasPrefix(r.Method, "tasks/") {
		req.Header.Set("Mcp-Name", wire.EncodeHeaderValue(id))
	}
	if uri, ok := r.Params["uri"].(string); ok && r.Method == "resources/read" {
		req.Header.Set("Mcp-Name", wire.EncodeHeaderValue(uri))
	}
	for k, v := range r.Headers {
		if v == "" {
			req.Header.Del(k)
			delete(req.Header, k)
		} else if k == "Host" {
			req.Host = v
		} else {
			req.Header[k] = []string{v}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out := &resp{status: res.StatusCode, header: res.Header}
	out.body, err = io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		out.events = parseEvents(t, out.body)
		if n := len(out.events); n > 0 {
			out.msg = out.events[n-1]
		}
	} else if len(out.body) > 0 && strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(out.body, &out.msg); err != nil {
			t.Fatalf("answer is not JSON: %v: %s", err, out.body)
		}
	}
	return out
}

// parseEvents splits an SSE body into its JSON messages, checking the
// framing: every event is one data line holding one JSON object.
func parseEvents(t *testing.T, body []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 8<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "" || strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "data: "):
			var m map[string]any
			if err := json.Unmarshal([]byte(line[len("data: "):]), &m); err != nil {
				t.Fatalf("SSE data is not one JSON object: %q", line)
			}
			out = append(out, m)
		default:
			t.Fatalf("unexpected SSE line %q", line)
		}
	}
	return out
}

// get reads a path of keys in decoded JSON.
func get(v any, path ...string) any {
	x, _ := wire.Path(path).Lookup(v)
	return x
}
