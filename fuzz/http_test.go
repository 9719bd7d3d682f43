package fuzz

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/target"
	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/model"
	"github.com/mcpverify/mcpverify/trace"
	"github.com/mcpverify/mcpverify/wire"
	"golang.org/x/net/http/httpguts"
)

// The limits the reference server runs with in FuzzServerHTTP: small, so
// that inputs the fuzzer can grow (a body repeated up to maxRepeat times)
// cross them.
const (
	fuzzMaxBody    = 4 << 10
	fuzzMaxMembers = 256
	maxRepeat      = 64
)

// allocBound is what one request may cost the process in heap
// allocations, both sides of the connection together (the checker's
// client writing the request and reading the answer, the server reading,
// decoding and answering): a fixed part, plus the request's own bytes
// (read by the server, at most fuzzMaxBody of them) a few times over
// (copies and decoding), plus a share per JSON member the server may
// decode. It does not grow with what is sent past the limits.
func allocBound(sent int) uint64 {
	return 1<<20 + 8*uint64(min(sent, fuzzMaxBody)) + 512*fuzzMaxMembers
}

// heapAllocs reads the bytes allocated on the heap since the process
// started (cheap: runtime/metrics does not stop the world for it).
func heapAllocs(s []metrics.Sample) uint64 {
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// leastAllocs runs run and returns the heap bytes it allocated. The count
// is of the whole process: what else runs (the fuzzing engine, the last
// input's connections closing) adds to it now and then, so a run over
// bound is repeated twice, and the least count is returned: only an input
// over the bound every time is over it.
func leastAllocs(s []metrics.Sample, bound uint64, run func()) uint64 {
	used := uint64(math.MaxUint64)
	for i := 0; i < 3 && used > bound; i++ {
		before := heapAllocs(s)
		run()
		used = min(used, heapAllocs(s)-before)
	}
	return used
}

var httpMethods = []string{http.MethodPost, http.MethodGet, http.MethodDelete, http.MethodOptions, http.MethodPut}

// requestHeader reads "Name: value" lines into a header, keeping only the
// lines an HTTP client can send (the others would never reach a server).
func requestHeader(lines string) http.Header {
	h := http.Header{}
	for line := range strings.SplitSeq(lines, "\n") {
		name, value, ok := strings.Cut(line, ":")
		value = strings.TrimSpace(value)
		if !ok || !httpguts.ValidHeaderFieldName(name) || !httpguts.ValidHeaderFieldValue(value) {
			continue
		}
		if len(h) >= 32 {
			break
		}
		h[name] = append(h[name], value)
	}
	return h
}

// FuzzServerHTTP sends the reference server one request of any HTTP
// method, headers and body (the body repeated up to maxRepeat times, to
// cross its size limit) over its real HTTP handler, and asserts: the
// model accepts the answer, whatever the request (an answer the model
// rejects is a fault of one of the two independent statements of the
// spec); the server did not panic; and the request cost the process at
// most allocBound bytes of heap, however large the body.
func FuzzServerHTTP(f *testing.F) {
	post := "Content-Type: application/json\nAccept: application/json, text/event-stream\nMCP-Protocol-Version: 2026-07-28"
	for _, d := range corpusTraces() {
		tr, err := trace.Parse(d)
		if err != nil {
			continue
		}
		for _, ex := range tr.Exchanges {
			if ex.Transport != wire.HTTP || ex.HTTPMethod == "" {
				continue
			}
			var lines []string
			for k, vs := range ex.Header {
				for _, v := range vs {
					lines = append(lines, k+": "+v)
				}
			}
			m := 0
			for i, hm := range httpMethods {
				if hm == ex.HTTPMethod {
					m = i
				}
			}
			f.Add(uint8(m), strings.Join(lines, "\n"), ex.Body, uint8(0))
		}
	}
	f.Add(uint8(0), post, []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`), uint8(0))
	f.Add(uint8(0), post, []byte(`[[[[[[[[[[[[[[[[[[[[`), uint8(40))
	f.Add(uint8(0), post+"\nOrigin: http://evil.example", []byte(`{"jsonrpc":"2.0","id":1,"method":"ping"}`), uint8(0))
	f.Add(uint8(1), "Accept: text/event-stream", []byte(nil), uint8(0))

	srv, err := impl.New(impl.Config{MaxBodyBytes: fuzzMaxBody, MaxMembers: fuzzMaxMembers})
	if err != nil {
		f.Fatal(err)
	}
	defer srv.Close()
	samples := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}

	f.Fuzz(func(t *testing.T, method uint8, headers string, body []byte, repeat uint8) {
		body = bytes.Repeat(body, 1+int(repeat)%maxRepeat)
		r := &check.Request{HTTPMethod: httpMethods[int(method)%len(httpMethods)], Header: requestHeader(headers), Body: body}
		// A target of its own per input: no connection or state carries
		// over from one input to the next.
		var ex *wire.Exchange
		var sendErr error
		used := leastAllocs(samples, allocBound(len(body)), func() {
			tgt := target.InProcess(srv.Handler(), target.Limits{Timeout: 5 * time.Second})
			defer tgt.Close()
			ex = tgt.Send(context.Background(), r.Clone())
			sendErr = tgt.FirstError()
		})
		if n := srv.Panics(); n > 0 {
			t.Fatalf("the reference server panicked on this request")
		}
		// A server may refuse a request before reading its body and
		// close the connection after answering (RFC 9112 9.6); over an
		// unbuffered in-memory pipe the client then fails to write the
		// rest of the body and never reads the answer. Anything else is a
		// server that did not answer.
		if ex.Outcome == wire.Dropped && len(body) > 0 {
			return
		}
		if ex.Outcome != wire.Complete {
			t.Fatalf("the reference server did not answer: %v (status %d): %v", ex.Outcome, ex.Status, sendErr)
		}
		if _, vs := model.NewState(model.Config{}).Step(ex); len(vs) > 0 {
			var b strings.Builder
			for _, v := range vs {
				fmt.Fprintf(&b, "  %v\n", v)
			}
			t.Fatalf("the model rejects the reference server's answer:\n%s\ntrace:\n%s", b.String(), trace.Format(&trace.Trace{Exchanges: []*wire.Exchange{ex}}))
		}
		if limit := allocBound(len(body)); used > limit {
			t.Fatalf("one request of %d bytes allocated %d bytes; the bound is %d", len(body), used, limit)
		}
	})
}
