package fuzz

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"runtime/metrics"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/legacyclient"
	"github.com/mcpverify/mcpverify/check/target"
	"github.com/mcpverify/mcpverify/model"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/trace"
	"github.com/mcpverify/mcpverify/wire"
)

// The checker's read limits in the hostile-server targets: small, so that
// what the fuzzer sends (a body repeated up to 256 times) crosses them.
var hostileLimits = target.Limits{MaxResponseBytes: 4 << 10, MaxMessages: 16, Timeout: 2 * time.Second}

// readBound is what reading and judging one answer may cost the process in
// heap allocations: a fixed part plus a few copies of what the limits let
// in. It does not grow with what the server sends past them.
const readBound = 1<<20 + 16*(4<<10)

var hostileTypes = []string{"application/json", "text/event-stream", "", "text/plain", "application/json; charset=utf-8", "text/event-stream; charset=utf-8"}

// answerSeeds are answers of servers: the responses of the corpus traces
// (each with its status and media type), and a few hostile ones.
func answerSeeds() (out []*wire.Exchange) {
	for _, d := range corpusTraces() {
		tr, err := trace.Parse(d)
		if err != nil {
			continue
		}
		for _, ex := range tr.Exchanges {
			if ex.Transport == wire.HTTP && ex.Status != 0 {
				out = append(out, ex)
			}
		}
	}
	return out
}

// httpStatus maps any number to a status an HTTP server may send with a
// body (a 1xx, 204 or 304 carries none).
func httpStatus(n uint16) int {
	s := 200 + int(n)%400
	if s == http.StatusNoContent || s == http.StatusNotModified {
		s = http.StatusOK
	}
	return s
}

// judgeAnswer runs what the checker does with a server's answer: decoding
// it into messages, the legacy handshake's readers, the model. None may
// panic; the model may name catalog requirements only; decoding keeps at
// most the limits' messages.
func judgeAnswer(t *testing.T, ex *wire.Exchange) {
	ex.Decode()
	if len(ex.Replies) > hostileLimits.MaxMessages {
		t.Fatalf("%d messages decoded from one answer; the limit is %d", len(ex.Replies), hostileLimits.MaxMessages)
	}
	legacyclient.SessionFrom(ex)
	legacyclient.ToolsPage(ex)
	_, vs := model.NewState(model.Config{}).Step(ex)
	for _, v := range vs {
		if _, ok := spec.Lookup(v.ID); !ok {
			t.Fatalf("the model names %q, which is not in the catalog", v.ID)
		}
	}
}

// FuzzHostileHTTP: a server answers the checker's request with any status,
// media type and body (repeated up to 256 times, announced with its length
// or chunked). The checker's HTTP target keeps at most MaxResponseBytes of
// it, keeps a complete body within the limit whole and exact, marks a
// longer one truncated and keeps a prefix of it; decoding, the legacy
// readers and the model take the result without panicking; and reading
// and judging it allocates at most readBound bytes, however much was
// sent.
func FuzzHostileHTTP(f *testing.F) {
	for _, ex := range answerSeeds() {
		ct := ex.RespHeader.Get("Content-Type")
		i := max(slices.Index(hostileTypes, ct), 0)
		f.Add(uint16(ex.Status-200), uint8(i), ex.RespBody, uint8(0), true)
	}
	f.Add(uint16(0), uint8(1), []byte("data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\"}\n\n"), uint8(200), false)
	f.Add(uint16(0), uint8(1), []byte("data: x\n"), uint8(255), false)
	f.Add(uint16(0), uint8(1), []byte("data: {}\n\n"), uint8(255), false) // more messages than the limit
	f.Add(uint16(0), uint8(0), []byte("["), uint8(255), true)

	var cur struct {
		status int
		ct     string
		body   []byte
		length bool
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if cur.ct != "" {
			w.Header().Set("Content-Type", cur.ct)
		}
		if cur.length {
			w.Header().Set("Content-Length", itoa(len(cur.body)))
		}
		w.WriteHeader(cur.status)
		_, _ = w.Write(cur.body)
	})
	samples := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	req := check.DefaultClient.Request(wire.IntID(1), "tools/list", nil, nil)
	warmUp(f)

	f.Fuzz(func(t *testing.T, status uint16, ct uint8, body []byte, repeat uint8, length bool) {
		cur.status, cur.ct, cur.length = httpStatus(status), hostileTypes[int(ct)%len(hostileTypes)], length
		cur.body = bytes.Repeat(body, 1+int(repeat))
		var ex *wire.Exchange
		used := leastAllocs(samples, readBound, func() {
			tgt := target.InProcess(handler, hostileLimits)
			defer tgt.Close()
			ex = tgt.Send(context.Background(), req.Clone())
			judgeAnswer(t, ex)
		})

		limit := int(hostileLimits.MaxResponseBytes)
		if len(ex.RespBody) > limit {
			t.Fatalf("kept %d bytes of the answer; the limit is %d", len(ex.RespBody), limit)
		}
		if !bytes.HasPrefix(cur.body, ex.RespBody) {
			t.Fatalf("kept %q, which is not what the server sent", ex.RespBody)
		}
		sse := ex.ContentType() == "text/event-stream"
		switch {
		case len(cur.body) > limit && !sse && ex.Outcome != wire.Truncated:
			t.Fatalf("an answer of %d bytes over a limit of %d: outcome %v, want truncated", len(cur.body), limit, ex.Outcome)
		case len(cur.body) <= limit && !sse && (ex.Outcome != wire.Complete || !bytes.Equal(ex.RespBody, cur.body)):
			t.Fatalf("a complete answer of %d bytes within the limit: outcome %v, kept %d bytes", len(cur.body), ex.Outcome, len(ex.RespBody))
		}
		if used > readBound {
			t.Fatalf("reading and judging an answer of %d bytes allocated %d bytes; the bound is %d", len(cur.body), used, readBound)
		}
	})
}

// FuzzHostileStdio: a stdio server writes any bytes (repeated up to 256
// times) and exits. The checker's stdio target keeps lines of at most
// MaxResponseBytes, each a line of what was written, answers the request
// (served, or dropped when the server exits without answering) and never
// hangs; decoding and the model take the result; reading and judging it
// allocates at most readBound bytes.
func FuzzHostileStdio(f *testing.F) {
	for _, d := range corpusTraces() {
		tr, err := trace.Parse(d)
		if err != nil {
			continue
		}
		for _, ex := range tr.Exchanges {
			if ex.Transport == wire.Stdio {
				f.Add(bytes.Join(ex.Lines, []byte("\n")), uint8(0))
			}
		}
	}
	f.Add([]byte(`{"jsonrpc":"2.0","id":1,"result":{"resultType":"complete","tools":[]}}`+"\n"), uint8(0))
	f.Add([]byte("x"), uint8(255))
	f.Add([]byte(`{"jsonrpc":"2.0","method":"notifications/message","params":{}}`+"\n"), uint8(100))
	samples := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	req := check.DefaultClient.Request(wire.IntID(1), "tools/list", nil, nil)
	warmUp(f)

	f.Fuzz(func(t *testing.T, out []byte, repeat uint8) {
		out = bytes.Repeat(out, 1+int(repeat))
		var ex *wire.Exchange
		used := leastAllocs(samples, readBound, func() {
			tgt := target.NewStdioConn("hostile", nopWriteCloser{}, bytes.NewReader(out), hostileLimits)
			defer tgt.Close()
			ex = tgt.Send(context.Background(), req.Clone())
			judgeAnswer(t, ex)
		})
		if ex.Outcome == wire.TimedOut {
			t.Fatal("the target waited for a server that had exited")
		}
		for _, l := range ex.Lines {
			if len(l) > int(hostileLimits.MaxResponseBytes) {
				t.Fatalf("kept a line of %d bytes; the limit is %d", len(l), hostileLimits.MaxResponseBytes)
			}
			if !bytes.Contains(out, l) {
				t.Fatalf("kept the line %q, which the server did not write", l)
			}
		}
		if used > readBound {
			t.Fatalf("reading and judging %d bytes of output allocated %d bytes; the bound is %d", len(out), used, readBound)
		}
	})
}

// warmUp judges every seed answer once, so that what the decoder and the
// model build on first use (schemas, tables) is not counted against the
// first input.
func warmUp(f *testing.F) {
	for _, ex := range answerSeeds() {
		ex.Decode()
		model.NewState(model.Config{}).Step(ex)
	}
}

type nopWriteCloser struct{}

func (nopWriteCloser) Write(p []byte) (int, error) { return len(p), nil }
func (nopWriteCloser) Close() error                { return nil }

func itoa(n int) string { return strconv.Itoa(n) }
