package wire

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// recNode refers to itself through a slice and a pointer; plainNode refers
// to itself but holds no fallback anywhere.
type (
	recNode struct {
		Name  string    `json:"name"`
		Kids  []recNode `json:"kids,omitzero"`
		Next  *recNode  `json:"next,omitzero"`
		Extra Object    `json:",embed"`
	}
	plainNode struct {
		Name string     `json:"name"`
		Next *plainNode `json:"next,omitzero"`
	}
)

// TestCheckNamesRecursiveTypes: the walk compiled for a type that refers
// to itself goes round the cycle to any depth and locates the member.
func TestCheckNamesRecursiveTypes(t *testing.T) {
	for _, c := range []struct {
		in   string
		path string // "" for no error
	}{
		{`{"name":"a","kids":[{"name":"b","next":{"name":"c"}}],"x-a":1}`, ""},
		{`{"name":"a","kids":[{"name":"b"},{"name":"c","next":{"name":"d","NAME":"e"}}]}`, "/kids/1/next"},
		{`{"name":"a","next":{"name":"b","next":{"name":"c","Kids":[]}}}`, "/next/next"},
	} {
		err := Unmarshal([]byte(c.in), new(recNode))
		switch {
		case c.path == "" && err != nil:
			t.Errorf("Unmarshal(%s) = %v; want nil", c.in, err)
		case c.path != "" && (!errors.Is(err, ErrNameCase) || !strings.Contains(err.Error(), `within "`+c.path+`"`)):
			t.Errorf("Unmarshal(%s) = %v; want ErrNameCase within %q", c.in, err, c.path)
		}
	}
	var p plainNode
	if err := Unmarshal([]byte(`{"name":"a","next":{"name":"b","next":{"name":"c"}}}`), &p); err != nil || p.Next.Next.Name != "c" {
		t.Errorf("Unmarshal into a recursive type without fallbacks = %+v, %v", p, err)
	}
	if walkerOf(reflect.TypeFor[plainNode]()) != nil {
		t.Error("a type that holds no fallback has a walker; want none")
	}
}

// TestDecodeOptsFor: the union functions are left out only for types that
// cannot hold a union, or hold one only behind a method that decodes it
// with them.
func TestDecodeOptsFor(t *testing.T) {
	for _, c := range []struct {
		t      reflect.Type
		unions bool
	}{
		{reflect.TypeFor[envelope](), false},
		{reflect.TypeFor[*CallToolRequestParams](), false}, // InputResponses decodes itself
		{reflect.TypeFor[*RequestMetaObject](), false},
		{reflect.TypeFor[*CallToolResult](), true},
		{reflect.TypeFor[*ContentBlock](), true},
		{reflect.TypeFor[*map[string]InputResponse](), true},
		{reflect.TypeFor[*CreateMessageResult](), false}, // SamplingContent decodes itself
		{reflect.TypeFor[*recNode](), false},
	} {
		if got := decodeOptsFor(c.t) == decodeOpts; got != c.unions {
			t.Errorf("decodeOptsFor(%v) has the union functions: %v; want %v", c.t, got, c.unions)
		}
	}
	// A type decoded without them still decodes the unions it holds.
	var p CallToolRequestParams
	in := `{"name":"t","inputResponses":{"k":{"role":"assistant","model":"m","content":{"type":"text","text":"a"}}}}`
	if err := Unmarshal([]byte(in), &p); err != nil {
		t.Fatal(err)
	}
	if r, ok := p.InputResponses["k"].(*CreateMessageResult); !ok || len(r.Content.Blocks) != 1 {
		t.Errorf("inputResponses = %#v; want a CreateMessageResult with one block", p.InputResponses)
	}
}

// TestFoldsAsFoldName: the allocation-free fold of ASCII names finds the
// defined member foldName finds, for names of every kind.
func TestFoldsAsFoldName(t *testing.T) {
	si := newStructInfo(reflect.TypeFor[Tool]())
	names := []string{"name", "NAME", "Name", "inputschema", "INPUTSCHEMA", "de\u017Fcription", "x-vendor", "_META", "_meta",
		"title", "TITLE\u212A", "", "a-b_c.d/e", strings.Repeat("n", 70), strings.Repeat("N", 64), "\u212Aey", "outputSchema"}
	for _, n := range names {
		want, wantOK := si.fold[foldName(n)]
		got, ok := si.folds(n)
		if got != want || ok != wantOK {
			t.Errorf("folds(%q) = %q, %v; foldName finds %q, %v", n, got, ok, want, wantOK)
		}
	}
	if !si.foldsAny(Object{"x-a": nil, "ICONS": nil}) || si.foldsAny(Object{"x-a": nil, "iconz": nil}) {
		t.Error("foldsAny does not see ICONS fold to icons, or sees iconz fold")
	}
}
