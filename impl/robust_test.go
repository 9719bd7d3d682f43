package impl

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/http/httptest"
	"testing"

	"github.com/mcpverify/mcpverify/internal/fuzzseed"
	"github.com/mcpverify/mcpverify/wire"
)

// seeds are valid requests the mutations start from.
func seeds() [][]byte {
	var out [][]byte
	for _, r := range []rpc{
		discover,
		{Method: "tools/list", Params: map[string]any{"cursor": "c1.AAAA"}},
		{Method: "tools/call", Params: map[string]any{"name": "route_query", "arguments": map[string]any{"region": "r", "query": "q", "priority": 3}}},
		{Method: "tools/call", Params: map[string]any{"name": "test_input_required_result_multi_round", "requestState": "s1.AAAA", "inputResponses": map[string]any{"step1": accept(map[string]any{"name": "x"})}}},
		{Method: "prompts/get", Params: map[string]any{"name": "test_prompt_with_arguments", "arguments": map[string]any{"arg1": "a", "arg2": "b"}}},
		{Method: "resources/read", Params: map[string]any{"uri": "test://template/1/data"}},
		{Method: "completion/complete", Params: map[string]any{"ref": map[string]any{"type": "ref/prompt", "name": "test_prompt_with_arguments"}, "argument": map[string]any{"name": "arg1", "value": "p"}}},
		{Method: "tools/call", Params: map[string]any{"name": "get_weather", "arguments": map[string]any{"location": "x"}, "_meta": meta(map[string]any{wire.MetaLogLevel: "debug", "progressToken": 1})}},
	} {
		out = append(out, r.body())
	}
	return out
}

// mutate applies a few random byte-level and structural edits.
func mutate(rng *rand.Rand, b []byte) []byte {
	b = bytes.Clone(b)
	tokens := [][]byte{[]byte(`null`), []byte(`{}`), []byte(`[]`), []byte(`"`), []byte(`\u0000`), []byte("\xff"), []byte(`1e999`), []byte(`-0`), []byte(`{"a":`), []byte(`]`), []byte(`,"id":null`), []byte(`"_meta":{}`)}
	for n := rng.IntN(4) + 1; n > 0; n-- {
		if len(b) == 0 {
			return tokens[rng.IntN(len(tokens))]
		}
		i := rng.IntN(len(b))
		switch rng.IntN(5) {
		case 0:
			b[i] = byte(rng.IntN(256))
		case 1:
			b = append(b[:i], b[i+1:]...)
		case 2:
			b = append(b[:i], append(bytes.Clone(tokens[rng.IntN(len(tokens))]), b[i:]...)...)
		case 3:
			j := i + rng.IntN(len(b)-i)
			b = append(b[:i], b[j:]...)
		case 4:
			b = append(b[:i], append(bytes.Clone(b[i:]), b[i:]...)...)
		}
	}
	return b
}

// TestHTTPMutations sends thousands of mutated requests through the
// handler: none panics, and every answer is a well-formed JSON-RPC message
// with a status the rules allow.
func TestHTTPMutations(t *testing.T) {
	s := newTestServer(t, Config{})
	handler := s.Handler()
	rng := rand.New(rand.NewPCG(1, 2))
	sd := seeds()
	for i := 0; i < 10000; i++ {
		body := mutate(rng, sd[rng.IntN(len(sd))])
		var probe struct {
			Method string `json:"method"`
			Params struct {
				Name string `json:"name"`
				URI  string `json:"uri"`
			} `json:"params"`
		}
		json.Unmarshal(body, &probe)
		req := httptest.NewRequest("POST", Endpoint, bytes.NewReader(body))
		req.Host = "localhost"
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("MCP-Protocol-Version", wire.Version)
		req.Header.Set("Mcp-Method", probe.Method)
		if probe.Params.Name != "" {
			req.Header.Set("Mcp-Name", wire.EncodeHeaderValue(probe.Params.Name))
		} else if probe.Params.URI != "" {
			req.Header.Set("Mcp-Name", wire.EncodeHeaderValue(probe.Params.URI))
		}
		req.Header.Set("Mcp-Param-Region", "r")
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		switch rec.Code {
		case 200, 202, 400, 404, 406, 413:
		default:
			t.Fatalf("status %d for %q", rec.Code, body)
		}
		if rec.Code == 202 {
			continue
		}
		out := rec.Body.Bytes()
		if rec.Header().Get("Content-Type") == "text/event-stream" {
			for _, ev := range parseEvents(t, out) {
				if ev["jsonrpc"] != "2.0" {
					t.Fatalf("event %v", ev)
				}
			}
			continue
		}
		msg, err := wire.DecodeMessage(out)
		if err != nil {
			t.Fatalf("answer %q to %q: %v", out, body, err)
		}
		switch msg.(type) {
		case *wire.JSONRPCResultResponse, *wire.JSONRPCErrorResponse:
		default:
			t.Fatalf("answer %q is not a response", out)
		}
	}
}

// FuzzCore checks the core on any input: no panic, and the answer to
// anything is a JSON-RPC response (or nothing, for a notification).
func FuzzCore(f *testing.F) {
	for _, s := range seeds() {
		fuzzseed.Add(f, s)
	}
	s, err := New(Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		out := s.handleForTest(body)
		if s.panics.Load() != 0 {
			t.Fatal("panic")
		}
		if out == nil {
			return
		}
		msg, err := wire.DecodeMessage(out)
		if err != nil {
			t.Fatalf("answer %q: %v", out, err)
		}
		if _, ok := msg.(*wire.JSONRPCRequest); ok {
			t.Fatalf("the server sent a request: %q", out)
		}
	})
}
