package probe

import (
	"strings"
	"testing"

	"github.com/mcpverify/mcpverify/wire"
	"pgregory.net/rapid"
)

// decodedFirst decodes the first value of a mutation as the model reads
// a header of mirror m.
func decodedFirst(m Mirror, mu HeaderMutation) (string, error) {
	if m == MirrorPlain {
		return mu.Values[0], wire.CheckPlainHeaderValue(mu.Values[0])
	}
	return wire.DecodeHeaderValue(mu.Values[0])
}

// checkMutations asserts the contract of the generators for one value:
// every mismatch differs from it under the mirror's comparison, every
// invalid value fails to decode, exactly one mutation removes the header,
// and every accepted form decodes to an equal value.
func checkMutations(t interface {
	Helper()
	Fatalf(string, ...any)
}, m Mirror, real string, others []string) {
	t.Helper()
	missing := 0
	for _, mu := range MismatchMutations(m, real, others) {
		switch mu.Defect {
		case DefectMissing:
			missing++
			if mu.Values != nil {
				t.Fatalf("%s: missing with values %q", mu.Class, mu.Values)
			}
		case DefectMismatch:
			dec, err := decodedFirst(m, mu)
			if err != nil {
				t.Fatalf("%s %q: mismatch that does not decode: %v", mu.Class, mu.Values, err)
			}
			if SameValue(m, dec, real) {
				t.Fatalf("%s %q: decodes to %q, equal to %q", mu.Class, mu.Values, dec, real)
			}
			if m == MirrorPlain && (strings.TrimSpace(dec) != dec) {
				t.Fatalf("%s %q: outer whitespace in a plain header is not part of the value", mu.Class, mu.Values)
			}
		case DefectInvalid:
			if _, err := decodedFirst(m, mu); err == nil {
				t.Fatalf("%s %q: invalid value that decodes", mu.Class, mu.Values)
			}
		}
	}
	if missing != 1 {
		t.Fatalf("%d missing mutations", missing)
	}
	for _, mu := range AcceptMutations(m, real) {
		dec, err := wire.DecodeHeaderValue(mu.Values[0])
		if err != nil || !SameValue(m, dec, real) {
			t.Fatalf("%s %q: decodes to %q (%v), want %q", mu.Class, mu.Values, dec, err, real)
		}
	}
}

func TestMismatchMutations(t *testing.T) {
	checkMutations(t, MirrorPlain, "tools/call", []string{"tools/list", "prompts/get"})
	checkMutations(t, MirrorPlain, "2026-07-28", []string{"1900-01-01"})
	checkMutations(t, MirrorText, "test_simple_text", []string{"get_weather"})
	checkMutations(t, MirrorText, "Zürich", nil)
	checkMutations(t, MirrorText, "=?base64?aGk=?=", nil)
	checkMutations(t, MirrorText, "x", nil)
	checkMutations(t, MirrorText, "", nil)
	checkMutations(t, MirrorInteger, "42", nil)
	checkMutations(t, MirrorInteger, "-7", nil)
	checkMutations(t, MirrorInteger, "0", nil)
	checkMutations(t, MirrorInteger, "9007199254740991", nil)
	checkMutations(t, MirrorBoolean, "true", nil)
	checkMutations(t, MirrorBoolean, "false", nil)
	classes := map[string]bool{}
	for _, mu := range MismatchMutations(MirrorText, "test_Simple_text", []string{"get_weather"}) {
		classes[mu.Class] = true
	}
	for _, c := range []string{"missing", "empty", "upper-case", "swapped-case", "truncated", "other-declared", "trailing-space",
		"leading-space", "bad-base64", "base64-not-utf8", "base64-of-other", "upper-case-markers", "non-ascii", "duplicate"} {
		if !classes[c] {
			t.Errorf("no %s mutation of a tool name", c)
		}
	}
}

// TestMismatchMutationsProperty: the contract holds for any value.
func TestMismatchMutationsProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		switch rapid.IntRange(0, 3).Draw(t, "kind") {
		case 0:
			real := rapid.StringMatching(`[a-z][a-z/_-]{0,20}`).Draw(t, "method")
			checkMutations(t, MirrorPlain, real, []string{rapid.StringMatching(`[a-z/]{1,10}`).Draw(t, "other")})
		case 1:
			real := rapid.String().Draw(t, "name")
			if !isUTF8(real) {
				return
			}
			checkMutations(t, MirrorText, real, []string{rapid.String().Draw(t, "other")})
		case 2:
			n := rapid.Int64Range(-wire.MaxSafeInteger, wire.MaxSafeInteger).Draw(t, "n")
			checkMutations(t, MirrorInteger, jsonInt(n), nil)
		case 3:
			checkMutations(t, MirrorBoolean, jsonBool(rapid.Bool().Draw(t, "b")), nil)
		}
	})
}

func isUTF8(s string) bool { return strings.ToValidUTF8(s, "\ufffd") == s }

func jsonInt(n int64) string { return string(wire.MustMarshal(n)) }

func jsonBool(b bool) string { return string(wire.MustMarshal(b)) }

func TestNumericSpellings(t *testing.T) {
	for real, want := range map[string][]string{
		"42": {"42.0", "42e0", "42.000", "4.2e1"},
		"-7": {"-7.0", "-7e0", "-7.000"},
		"0":  {"0.0", "0e0", "0.000"},
	} {
		got := NumericSpellings(real)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: got %q, want %q", real, got, want)
		}
	}
}
