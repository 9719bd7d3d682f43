package impl

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

const benchBody = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"test_simple_text","arguments":{},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"bench","version":"1"},"io.modelcontextprotocol/clientCapabilities":{}}}}`

func benchRequest(b *testing.B, c *http.Client, url string, body []byte, auth ...string) {
	req, err := http.NewRequest("POST", url, bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header = http.Header{
		"Content-Type":         {"application/json"},
		"Accept":               {"application/json, text/event-stream"},
		"Mcp-Protocol-Version": {"2026-07-28"},
		"Mcp-Method":           {"tools/call"},
		"Mcp-Name":             {"test_simple_text"},
	}
	if len(auth) > 0 {
		req.Header["Authorization"] = auth
	}
	resp, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || n < 100 {
		b.Fatalf("status %d, %d bytes", resp.StatusCode, n)
	}
}

// BenchmarkHTTPToolsCall measures one tools/call test_simple_text over
// loopback through a real listener, from one client connection (latency)
// and from many (throughput).
func BenchmarkHTTPToolsCall(b *testing.B) {
	s, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	url := ts.URL + Endpoint
	body := []byte(benchBody)
	b.Run("serial", func(b *testing.B) {
		c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
		b.ReportAllocs()
		for b.Loop() {
			benchRequest(b, c, url, body)
		}
	})
	b.Run("parallel", func(b *testing.B) {
		c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
		b.ReportAllocs()
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				benchRequest(b, c, url, body)
			}
		})
	})
}

// BenchmarkHTTPToolsCallBearer is BenchmarkHTTPToolsCall/serial on a
// server that requires bearer tokens: the cost of authentication.
func BenchmarkHTTPToolsCallBearer(b *testing.B) {
	s, err := New(Config{Tokens: map[string]string{"bench-token-0123456789": "bench"}})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	body := []byte(benchBody)
	b.ReportAllocs()
	for b.Loop() {
		benchRequest(b, c, ts.URL+Endpoint, body, "Bearer bench-token-0123456789")
	}
}

// BenchmarkCoreToolsCall measures the transport-independent part of the
// same request: decode, validate, dispatch, encode.
func BenchmarkCoreToolsCall(b *testing.B) {
	s, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(benchBody)
	b.ReportAllocs()
	for b.Loop() {
		out := s.handleForTest(body)
		if len(out) < 100 {
			b.Fatal(string(out))
		}
	}
}

// benchState is the binding and contents of the state benchmarks: the
// size of a transfer confirmation's state.
var (
	benchBinding = bindingOf("tools/call", "transfer", `{"amount":5,"to":"bob"}`).forPrincipal("alice")
	benchData    = []byte(`{"kind":"transfer","nonce":"ZmFrZS1ub25jZS0xMjM0NTY"}`)
)

// BenchmarkStateSeal measures sealing one requestState (JSON payload,
// nonce from crypto/rand, AES-256-GCM, base64).
func BenchmarkStateSeal(b *testing.B) {
	s, err := New(Config{StateKeys: [][]byte{testKey}})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.states.seal(benchBinding, []string{"confirm"}, benchData); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "seals/s")
}

// BenchmarkStateOpen measures verifying one requestState (base64, key
// lookup, AES-256-GCM, JSON payload, binding and expiry), the valid case;
// a forged state costs less (it fails at the tag).
func BenchmarkStateOpen(b *testing.B) {
	s, err := New(Config{StateKeys: [][]byte{testKey, bytes.Repeat([]byte{1}, 32)}})
	if err != nil {
		b.Fatal(err)
	}
	st, err := s.states.seal(benchBinding, []string{"confirm"}, benchData)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.states.open(st, benchBinding); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "opens/s")
}

// BenchmarkTaskCreate measures creating one task (tools/call slow_compute
// answered with a CreateTaskResult: a task ID from crypto/rand, the record
// in the store, the goroutines of its work and its watcher) and
// cancelling it (tasks/cancel settles the record and stops the work),
// through the core, one at a time, with each store; it reports tasks
// created per second. Every task is cancelled and Close waits for all
// their work.
func BenchmarkTaskCreate(b *testing.B) {
	benchStores(b, func(b *testing.B, st Store) {
		s, err := New(Config{Store: st, MaxTasks: 1 << 24, MaxTasksTotal: 1 << 25})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		const meta = `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"bench","version":"1"},"io.modelcontextprotocol/clientCapabilities":{"extensions":{"io.modelcontextprotocol/tasks":{}}}}`
		create := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow_compute","arguments":{"seconds":600},` + meta + `}}`)
		var res struct {
			Result struct {
				TaskID string `json:"taskId"`
			} `json:"result"`
		}
		b.ReportAllocs()
		start := time.Now()
		n := 0
		for b.Loop() {
			out := s.handleForTest(create)
			if err := json.Unmarshal(out, &res); err != nil || res.Result.TaskID == "" {
				b.Fatalf("no task: %s", out)
			}
			cancel := []byte(`{"jsonrpc":"2.0","id":2,"method":"tasks/cancel","params":{"taskId":"` + res.Result.TaskID + `",` + meta + `}}`)
			if out := s.handleForTest(cancel); !bytes.Contains(out, []byte(`"resultType":"complete"`)) {
				b.Fatalf("cancel: %s", out)
			}
			n++
		}
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "tasks/s")
	})
}
