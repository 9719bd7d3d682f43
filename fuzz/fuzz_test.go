package fuzz

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/mcpverify/mcpverify/corpus"
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
		f.Add(d)
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
		if d := cmp.Diff(a, b, cmpopts.IgnoreUnexported(wire.Exchange{}), cmpopts.EquateEmpty()); d != "" {
			t.Fatalf("round trip changed the trace (-before +after):\n%s", d)
		}
		if !bytes.Equal(out, trace.Format(b)) {
			t.Fatal("Format is not stable")
		}
	})
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
			f.Add(ex.Body)
			ex.Decode()
			for _, r := range ex.Replies {
				f.Add(r.Raw)
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
