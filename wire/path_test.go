package wire

import (
	"reflect"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
)

func TestPathLookup(t *testing.T) {
	doc := map[string]any{"a": map[string]any{"b": []any{"x", map[string]any{"c": nil}}}, "n": nil}
	for _, tc := range []struct {
		p       Path
		want    any
		present bool
	}{
		{Path{"a", "b", "0"}, "x", true},
		{Path{"a", "b", "1", "c"}, nil, true},
		{Path{"n"}, nil, true},
		{Path{"a", "b", "2"}, nil, false},
		{Path{"a", "b", "01"}, nil, false},
		{Path{"a", "b", "-1"}, nil, false},
		{Path{"a", "x"}, nil, false},
		{Path{"a", "b", "0", "y"}, nil, false},
	} {
		got, ok := tc.p.Lookup(doc)
		if ok != tc.present || got != tc.want {
			t.Errorf("%v: got %v, %v; want %v, %v", tc.p, got, ok, tc.want, tc.present)
		}
		raw := MustMarshal(doc)
		rv, rok := tc.p.LookupValue(raw)
		if rok != tc.present {
			t.Errorf("%v raw: present %v, want %v", tc.p, rok, tc.present)
		}
		if rok && string(rv) != string(MustMarshal(tc.want)) {
			t.Errorf("%v raw: %s, want %s", tc.p, rv, MustMarshal(tc.want))
		}
	}
	if s := (Path{"a", "b"}).String(); s != "/a/b" {
		t.Errorf("String: %q", s)
	}
}

// TestPathSetLookupDelete: what Set puts at a path Lookup finds there, in
// a document that had other members; Delete removes it and only it.
func TestPathSetLookupDelete(t *testing.T) {
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 300
	props := gopter.NewProperties(params)
	key := gen.OneConstOf("a", "b", "c", "0")
	props.Property("set, lookup, delete", prop.ForAll(
		func(path []string, x string) bool {
			if len(path) == 0 {
				return true
			}
			root := map[string]any{"other": "kept", "a": "scalar replaced"}
			p := Path(path)
			p.Set(root, x)
			got, ok := p.Lookup(root)
			if !ok || got != x {
				return false
			}
			p.Delete(root)
			_, still := p.Lookup(root)
			kept, _ := Path{"other"}.Lookup(root)
			return !still && (kept == "kept" || path[0] == "other")
		},
		gen.IntRange(1, 5).FlatMap(func(n any) gopter.Gen { return gen.SliceOfN(n.(int), key) }, reflect.TypeOf([]string{})),
		gen.AlphaString(),
	))
	props.TestingRun(t)
}

func TestURIProblem(t *testing.T) {
	for uri, ok := range map[string]bool{
		"test://a/b?c=d#e":       true,
		"my-app+x.1:thing%20one": true,
		"urn:isbn:0451450523":    true,
		"x y":                    false,
		"1abc:x":                 false,
		"test://a b":             false,
		"test://a%2":             false,
		"test://ä":               false,
		":nothing":               false,
	} {
		if got := URIProblem(uri) == ""; got != ok {
			t.Errorf("%q: valid %v, want %v (%s)", uri, got, ok, URIProblem(uri))
		}
	}
}
