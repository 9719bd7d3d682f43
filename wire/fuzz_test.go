package wire

import (
	"bytes"
	"slices"
	"testing"

	"github.com/mcpverify/mcpverify/internal/fuzzseed"
)

// FuzzUnmarshalRoundTrip: for every definition, input the strict policy
// accepts encodes, and its encoding is a fixed point: it decodes again and
// encodes to the same bytes. The first byte of an input names the
// definition (its index among them, sorted, modulo their number), the rest
// is the JSON text, so that each execution decodes once. Seeded with the
// spec's examples, each under its own definition.
func FuzzUnmarshalRoundTrip(f *testing.F) {
	defs := make([]string, 0, len(defTypes))
	for d := range defTypes {
		defs = append(defs, d)
	}
	slices.Sort(defs)
	seed := func(def string, data []byte) {
		i := slices.Index(defs, def)
		if i < 0 {
			f.Fatalf("no definition %q", def)
		}
		fuzzseed.Add(f, append([]byte{byte(i)}, data...))
	}
	for _, ex := range examples(f) {
		if _, ok := defTypes[ex.def]; ok {
			seed(ex.def, ex.data)
		}
	}
	seed("InputRequiredResult", []byte(`{"resultType":"input_required","inputRequests":{"a":{"method":"roots/list"}},"requestState":""}`))
	seed("PrimitiveSchemaDefinition", []byte(`{"type":"array","items":{"anyOf":[{"const":"a","title":"A"}]},"default":["a"]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		def, data := defs[int(in[0])%len(defs)], in[1:]
		checkFixedPoint(t, def, data, defTypes[def])
	})
}

// checkFixedPoint: what the strict decoding accepts into a value of
// fresh() re-encodes to a fixed point.
func checkFixedPoint(t *testing.T, def string, data []byte, fresh func() any) {
	v := fresh()
	if Unmarshal(data, v) != nil {
		return
	}
	out, err := Marshal(v)
	if err != nil {
		t.Fatalf("%s: decoded %q but cannot encode it: %v", def, data, err)
	}
	w := fresh()
	if err := Unmarshal(out, w); err != nil {
		t.Fatalf("%s: %q encodes as %s, which does not decode: %v", def, data, out, err)
	}
	again, err := Marshal(w)
	if err != nil {
		t.Fatalf("%s: %v", def, err)
	}
	if !bytes.Equal(out, again) {
		t.Fatalf("%s: %q encodes as\n%s\nthen as\n%s", def, data, out, again)
	}
}
