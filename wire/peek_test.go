package wire

import (
	"reflect"
	"strings"
	"testing"
)

func TestPeekMember(t *testing.T) {
	for _, c := range []struct {
		in          string
		val         string
		present, ok bool
	}{
		{`{"type":"text","text":"a"}`, "text", true, true},
		{" \n\t{ \"text\" : \"a\" , \"type\" : \"image\" }", "image", true, true},
		{`{"a":{"type":"x"},"b":[{"type":"y"}],"type":"z"}`, "z", true, true},
		{`{"\u0074ype":"te\u0078t"}`, "text", true, true},
		{`{"Type":"text"}`, "", false, true},
		{`{}`, "", false, true},
		{`{"type":"a","type":"b"}`, "a", true, true},
		{`{"type":1}`, "", false, false},
		{`{"type":null}`, "", false, false},
		{`{"text":"a"`, "", false, false},
		{`{"text":`, "", false, false},
		{`["type","text"]`, "", false, false},
		{`"type"`, "", false, false},
		{``, "", false, false},
		{`{"text":"a",}`, "", false, false},
		{`{ "type" : "a\"b" }`, `a"b`, true, true},
		{`{"typeX":"a","type":"b"}`, "b", true, true},
		{`{"typ":"a","type":"b"}`, "b", true, true},
		{`{"type":"a`, "", false, false},
		{`{"type" "a"}`, "", false, false},
		{`{"type":"",}`, "", true, true},
	} {
		val, present, ok := peekMember([]byte(c.in), "type")
		if string(val) != c.val || present != c.present || ok != c.ok {
			t.Errorf("peekMember(%s) = %q, %v, %v; want %q, %v, %v", c.in, val, present, ok, c.val, c.present, c.ok)
		}
	}
}

// TestUnionPeekAgrees: a union decodes to the variant its tag names,
// with the same value as decoding that variant's type directly, wherever
// the tag stands in the object and however it is spelled.
func TestUnionPeekAgrees(t *testing.T) {
	for _, c := range []struct {
		in   string
		into func() any // the union
		as   func() any // the variant it must give
	}{
		{`{"type":"text","text":"a"}`, newOf[ContentBlock], newOf[TextContent]},
		{`{"text":"a","annotations":{"priority":0.5},"type":"text"}`, newOf[ContentBlock], newOf[TextContent]},
		{`{"uri":"file:///a","name":"a","type":"resource_link"}`, newOf[ContentBlock], newOf[ResourceLink]},
		{`{"\u0074ype":"im\u0061ge","data":"","mimeType":"image/png"}`, newOf[ContentBlock], newOf[ImageContent]},
		{`{"params":{"method":"x"},"method":"roots/list"}`, newOf[InputRequest], newOf[ListRootsRequest]},
		{`{"message":"m","requestedSchema":{"type":"object","properties":{}}}`, newOf[ElicitRequestParams], newOf[ElicitRequestFormParams]},
		{`{"message":"m","url":"https://a","elicitationId":"e","mode":"url"}`, newOf[ElicitRequestParams], newOf[ElicitRequestURLParams]},
		{`{"content":[],"resultType":"input_required"}`, newOf[ServerResult], newOf[InputRequiredResult]},
		{`{"content":[],"resultType":"complete"}`, newOf[ServerResult], newOf[Result]},
	} {
		u, v := c.into(), c.as()
		if err := Unmarshal([]byte(c.in), u); err != nil {
			t.Errorf("Unmarshal(%s) into %T: %v", c.in, u, err)
			continue
		}
		if err := Unmarshal([]byte(c.in), v); err != nil {
			t.Errorf("Unmarshal(%s) into %T: %v", c.in, v, err)
			continue
		}
		got := reflect.ValueOf(u).Elem().Interface()
		if !reflect.DeepEqual(got, v) {
			t.Errorf("Unmarshal(%s) into %T = %#v; want %#v", c.in, u, got, v)
		}
	}
}

// TestUnionPeekInContext: unions inside arrays, maps and members decode
// through the peek with the same result as each element decoded alone.
func TestUnionPeekInContext(t *testing.T) {
	blocks := []string{
		`{"type":"text","text":"a"}`,
		` { "text" : "b" , "type" : "text" } `,
		`{"uri":"file:///a","name":"a","type":"resource_link","mimeType":"text/plain"}`,
		`{"type":"resource","resource":{"uri":"file:///b","blob":"AA=="}}`,
	}
	var r CallToolResult
	in := `{"resultType":"complete","content":[` + strings.Join(blocks, ",") + `]}`
	if err := Unmarshal([]byte(in), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Content) != len(blocks) {
		t.Fatalf("decoded %d blocks; want %d", len(r.Content), len(blocks))
	}
	for i, b := range blocks {
		var one ContentBlock
		if err := Unmarshal([]byte(b), &one); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(r.Content[i], one) {
			t.Errorf("block %d = %#v; alone it decodes as %#v", i, r.Content[i], one)
		}
	}
}
