package wire

import (
	"bytes"
	"slices"
	"testing"

	"github.com/mcpverify/mcpverify/internal/fuzzseed"
)

// FuzzUnmarshalRoundTrip: for every definition, input the strict policy
// accepts encodes, and its encoding is a fixed point: it decodes again and
// encodes to the same bytes. Seeded with the spec's examples.
func FuzzUnmarshalRoundTrip(f *testing.F) {
	for _, ex := range examples(f) {
		fuzzseed.Add(f, ex.data)
	}
	fuzzseed.Add(f, []byte(`{"resultType":"input_required","inputRequests":{"a":{"method":"roots/list"}},"requestState":""}`))
	fuzzseed.Add(f, []byte(`{"type":"array","items":{"anyOf":[{"const":"a","title":"A"}]},"default":["a"]}`))
	defs := make([]string, 0, len(defTypes))
	for d := range defTypes {
		defs = append(defs, d)
	}
	slices.Sort(defs)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, def := range defs {
			v := defTypes[def]()
			if Unmarshal(data, v) != nil {
				continue
			}
			out, err := Marshal(v)
			if err != nil {
				t.Fatalf("%s: decoded %q but cannot encode it: %v", def, data, err)
			}
			w := defTypes[def]()
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
	})
}
