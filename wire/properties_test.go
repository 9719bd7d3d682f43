package wire

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
)

// Properties of wire's hand-written codecs, checked with gopter (the
// property engine of this package's tests).

func properties(t *testing.T) *gopter.Properties {
	p := gopter.DefaultTestParameters()
	p.MinSuccessfulTests = 2000
	return gopter.NewProperties(p)
}

// headerStrings draws strings rich in what the Value Encoding must handle:
// non-ASCII, control characters, edge whitespace and sentinel look-alikes.
func headerStrings() gopter.Gen {
	parts := gen.OneConstOf("a", "Z", "-", " ", "\t", "\n", "\r", "\x00", "\x7f", "é", "世", "=?base64?", "?=", "=", "?", "/", ":")
	return gen.SliceOf(parts).Map(func(ps []string) string { return strings.Join(ps, "") })
}

func TestPropHeaderValueEncoding(t *testing.T) {
	ps := properties(t)
	ps.Property("encoded values are header-safe and decode to the original", prop.ForAll(
		func(s string) bool {
			enc := EncodeHeaderValue(s)
			if CheckPlainHeaderValue(enc) != nil {
				return false
			}
			if enc != "" && (enc[0] == ' ' || enc[0] == '\t' || enc[len(enc)-1] == ' ' || enc[len(enc)-1] == '\t') {
				return false
			}
			dec, err := DecodeHeaderValue(enc)
			return err == nil && dec == s
		},
		headerStrings().SuchThat(utf8.ValidString),
	))
	ps.Property("values that need no encoding are sent as they are", prop.ForAll(
		func(s string) bool { return NeedsEncoding(s) || EncodeHeaderValue(s) == s },
		gen.AlphaString(),
	))
	ps.TestingRun(t)
}

// nested draws JSON text nested to a known depth.
func nested() gopter.Gen {
	return gopter.CombineGens(gen.IntRange(0, 80), gen.SliceOfN(80, gen.Bool()), gen.OneConstOf(`1`, `"]}["`, `"\"[{"`, `"\\"`, `null`)).
		Map(func(v []any) [2]any {
			depth, kinds, leaf := v[0].(int), v[1].([]bool), v[2].(string)
			var open, close strings.Builder
			for i := 0; i < depth; i++ {
				if kinds[i] {
					open.WriteString(`{"k":`)
				} else {
					open.WriteString(`[`)
				}
			}
			for i := depth - 1; i >= 0; i-- {
				if kinds[i] {
					close.WriteString(`}`)
				} else {
					close.WriteString(`]`)
				}
			}
			return [2]any{open.String() + leaf + close.String(), depth}
		})
}

func TestPropDepth(t *testing.T) {
	ps := properties(t)
	ps.Property("Depth counts nesting, not brackets inside strings", prop.ForAll(
		func(c [2]any) bool { return Depth([]byte(c[0].(string))) == c[1].(int) },
		nested(),
	))
	ps.Property("Unmarshal refuses exactly what is nested deeper than MaxDepth", prop.ForAll(
		func(c [2]any) bool {
			var v any
			err := Unmarshal([]byte(c[0].(string)), &v)
			return (err != nil) == (c[1].(int) > MaxDepth)
		},
		nested(),
	))
	ps.TestingRun(t)
}

func TestPropRequestIDRoundTrip(t *testing.T) {
	ps := properties(t)
	roundTrip := func(id RequestID) bool {
		b, err := Marshal(id)
		if err != nil {
			return false
		}
		var back RequestID
		return Unmarshal(b, &back) == nil && back.Equal(id) && back.Key() == id.Key()
	}
	ps.Property("integer ids round-trip", prop.ForAll(func(n int64) bool { return roundTrip(IntID(n)) }, gen.Int64()))
	ps.Property("string ids round-trip", prop.ForAll(func(s string) bool { return roundTrip(StringID(s)) }, gen.AnyString().SuchThat(utf8.ValidString)))
	ps.Property("a string id never equals an integer id", prop.ForAll(
		func(n int64) bool { return !IntID(n).Equal(StringID(IntID(n).String())) }, gen.Int64()))
	ps.TestingRun(t)
}
