package fuzz

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/mcpverify/mcpverify/corpus"
	"github.com/mcpverify/mcpverify/internal/fuzzseed"
	"github.com/mcpverify/mcpverify/internal/props"
	"github.com/mcpverify/mcpverify/internal/vsimpl"
	"github.com/mcpverify/mcpverify/trace"
	"github.com/mcpverify/mcpverify/wire"
	"pgregory.net/rapid"
)

// corpusTraces returns the raw bytes of every corpus trace.
func corpusTraces() [][]byte {
	var out [][]byte
	for _, f := range append(append(corpus.Seeds(), corpus.Attacks()...), corpus.FixedBugs()...) {
		out = append(out, f.Data)
	}
	return out
}

// FuzzTraceRoundTrip: a trace that parses formats to text that parses to
// the same trace, and formatting is stable.
func FuzzTraceRoundTrip(f *testing.F) {
	for _, d := range corpusTraces() {
		fuzzseed.Add(f, d)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := trace.Parse(data)
		if err != nil {
			return
		}
		out := trace.Format(a)
		b, err := trace.Parse(out)
		if err != nil {
			t.Fatalf("formatted trace does not parse: %v\n%s", err, out)
		}
		if !sameTrace(a, b) {
			t.Fatalf("round trip changed the trace (-before +after):\n%s", cmp.Diff(a, b, cmpopts.IgnoreUnexported(wire.Exchange{}), cmpopts.EquateEmpty()))
		}
		if !bytes.Equal(out, trace.Format(b)) {
			t.Fatal("Format is not stable")
		}
	})
}

// sameTrace compares the recorded fields of two traces (cheaply: go-cmp
// is used only to explain a difference).
func sameTrace(a, b *trace.Trace) bool {
	if !reflect.DeepEqual(a.Fields, b.Fields) || len(a.Exchanges) != len(b.Exchanges) {
		return false
	}
	for i, x := range a.Exchanges {
		y := b.Exchanges[i]
		if x.Transport != y.Transport || x.Conn != y.Conn || x.Instance != y.Instance || x.At != y.At ||
			x.HTTPMethod != y.HTTPMethod || x.Status != y.Status || x.Outcome != y.Outcome || x.CancelAt != y.CancelAt ||
			!bytes.Equal(x.Body, y.Body) || !bytes.Equal(x.RespBody, y.RespBody) ||
			!sameHeader(x.Header, y.Header) || !sameHeader(x.RespHeader, y.RespHeader) ||
			len(x.Lines) != len(y.Lines) || len(x.LineAt) != len(y.LineAt) {
			return false
		}
		for j := range x.Lines {
			if !bytes.Equal(x.Lines[j], y.Lines[j]) {
				return false
			}
		}
		for j := range x.LineAt {
			if x.LineAt[j] != y.LineAt[j] {
				return false
			}
		}
	}
	return true
}

func sameHeader(a, b map[string][]string) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}

// FuzzDecodeMessage: any message that decodes re-encodes to a message that
// decodes to the same value (seeded with every message of the corpus).
func FuzzDecodeMessage(f *testing.F) {
	for _, d := range corpusTraces() {
		tr, err := trace.Parse(d)
		if err != nil {
			continue
		}
		for _, ex := range tr.Exchanges {
			fuzzseed.Add(f, ex.Body)
			ex.Decode()
			for _, r := range ex.Replies {
				fuzzseed.Add(f, r.Raw)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := wire.DecodeMessage(data)
		if err != nil {
			return
		}
		enc, err := wire.EncodeMessage(m)
		if err != nil {
			t.Fatalf("decoded message does not encode: %v", err)
		}
		m2, err := wire.DecodeMessage(enc)
		if err != nil {
			t.Fatalf("re-encoded message does not decode: %v\n%s", err, enc)
		}
		enc2, _ := wire.EncodeMessage(m2)
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding is not stable:\n%s\n%s", enc, enc2)
		}
	})
}

// FuzzModelStep runs the model's totality property (props.ModelStepTotal)
// on fuzzer-chosen bytes.
func FuzzModelStep(f *testing.F) {
	f.Fuzz(rapid.MakeFuzz(props.ModelStepTotal))
}

// FuzzModelVsImpl runs the model-vs-reference-server state machine
// (vsimpl.ModelVsImpl) on fuzzer-chosen bytes: whatever sequence of
// requests they select, the model accepts every answer.
func FuzzModelVsImpl(f *testing.F) {
	f.Fuzz(rapid.MakeFuzz(vsimpl.ModelVsImpl))
}
