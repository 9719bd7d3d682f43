package wire

import (
	"errors"
	"strings"
	"testing"
)

func TestDecodeMessageClassifies(t *testing.T) {
	cases := []struct {
		in   string
		want string // type name, or "error: <substring>"
	}{
		{`{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}`, "*wire.JSONRPCRequest"},
		{`{"jsonrpc":"2.0","id":"a","method":"tools/list"}`, "*wire.JSONRPCRequest"},
		{`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}`, "*wire.JSONRPCNotification"},
		{`{"jsonrpc":"2.0","id":1,"result":{"resultType":"complete"}}`, "*wire.JSONRPCResultResponse"},
		{`{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"no"}}`, "*wire.JSONRPCErrorResponse"},
		{`{"jsonrpc":"2.0","error":{"code":-32700,"message":"parse"}}`, "*wire.JSONRPCErrorResponse"},
		{`{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse"}}`, "*wire.JSONRPCErrorResponse"},
		{`{"jsonrpc":"2.0","id":1,"method":"x","x-extra":true}`, "*wire.JSONRPCRequest"},
		{`{"jsonrpc":"2.0","id":null,"method":"tools/list"}`, "error: id is null"},
		{`{"jsonrpc":"2.0","id":1.5,"method":"tools/list"}`, "error: not an integer"},
		{`{"jsonrpc":"2.0","id":true,"method":"tools/list"}`, "error: want a string or an integer"},
		{`{"jsonrpc":"1.0","id":1,"method":"tools/list"}`, "error: must be \"2.0\""},
		{`{"jsonrpc":"2.0","id":1,"method":"a","method":"b"}`, "error: duplicate"},
		{`{"jsonrpc":"2.0","ID":1,"Method":"a"}`, "error: not a request"},
		{`{"jsonrpc":"2.0","id":1,"method":"a","params":[1]}`, "error: params must be an object"},
		{`{"jsonrpc":"2.0","id":1,"result":{},"error":{"code":1,"message":""}}`, "error: not a request"},
		{`[{"jsonrpc":"2.0","id":1,"method":"a"}]`, "error: want a JSON object"},
		{"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\xff\"}", "error: invalid UTF-8"},
		{strings.Repeat(`{"a":`, 100) + "1" + strings.Repeat("}", 100), "error: nested too deeply"},
	}
	for _, c := range cases {
		m, err := DecodeMessage([]byte(c.in))
		got := ""
		if err != nil {
			got = "error: " + err.Error()
		} else {
			got = typeName(m)
		}
		if strings.HasPrefix(c.want, "error: ") {
			if err == nil || !strings.Contains(got, strings.TrimPrefix(c.want, "error: ")) {
				t.Errorf("DecodeMessage(%.60s) = %s; want %s", c.in, got, c.want)
			}
			continue
		}
		if got != c.want {
			t.Errorf("DecodeMessage(%.60s) = %s; want %s", c.in, got, c.want)
		}
	}
}

func typeName(m Message) string {
	switch m.(type) {
	case *JSONRPCRequest:
		return "*wire.JSONRPCRequest"
	case *JSONRPCNotification:
		return "*wire.JSONRPCNotification"
	case *JSONRPCResultResponse:
		return "*wire.JSONRPCResultResponse"
	case *JSONRPCErrorResponse:
		return "*wire.JSONRPCErrorResponse"
	}
	return "?"
}

func TestRequestIDKinds(t *testing.T) {
	m, err := DecodeMessage([]byte(`{"jsonrpc":"2.0","id":"1","method":"m"}`))
	if err != nil {
		t.Fatal(err)
	}
	s := MessageID(m)
	m, _ = DecodeMessage([]byte(`{"jsonrpc":"2.0","id":1,"method":"m"}`))
	n := MessageID(m)
	if s == n || s.Key() == n.Key() {
		t.Errorf("string id \"1\" and integer id 1 compare equal: %v %v", s, n)
	}
	b, _ := EncodeMessage(m)
	if string(b) != `{"jsonrpc":"2.0","id":1,"method":"m"}` {
		t.Errorf("round trip = %s", b)
	}
}

func TestDepthLimit(t *testing.T) {
	var v any
	err := Unmarshal([]byte(strings.Repeat("[", MaxDepth+1)+strings.Repeat("]", MaxDepth+1)), &v)
	if !errors.Is(err, ErrTooDeep) {
		t.Errorf("Unmarshal of depth %d = %v; want ErrTooDeep", MaxDepth+1, err)
	}
	if err := Unmarshal([]byte(strings.Repeat("[", MaxDepth)+strings.Repeat("]", MaxDepth)), &v); err != nil {
		t.Errorf("Unmarshal of depth %d = %v; want nil", MaxDepth, err)
	}
	if d := Depth([]byte(`{"a":"[[[[{{{{"}`)); d != 1 {
		t.Errorf("Depth counts brackets in strings: %d", d)
	}
}

// TestDepthBound: the count of opening brackets clears shallow text only;
// text with more brackets than the limit is scanned, so a deep value after
// many shallow ones, or brackets inside strings, are judged by their real
// nesting.
func TestDepthBound(t *testing.T) {
	shallow := "[" + strings.Repeat(`{"a":[1]},`, 2*MaxDepth) + "0]"
	deep := "[" + strings.Repeat(`{"a":[1]},`, 2*MaxDepth) + strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth) + "]"
	inStrings := `{"a":"` + strings.Repeat("[{", 2*MaxDepth) + `"}`
	for _, c := range []struct {
		in      string
		tooDeep bool
	}{
		{shallow, false},
		{deep, true},
		{inStrings, false},
		{strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth), false},
		{strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1), true},
	} {
		var v any
		err := Unmarshal([]byte(c.in), &v)
		if got := errors.Is(err, ErrTooDeep); got != c.tooDeep {
			t.Errorf("Unmarshal(%.40s...) = %v; want too deep: %v", c.in, err, c.tooDeep)
		}
		if !c.tooDeep && err != nil {
			t.Errorf("Unmarshal(%.40s...) = %v; want nil", c.in, err)
		}
	}
}

func TestHeaderValueEncoding(t *testing.T) {
	for _, c := range []struct{ in, enc string }{
		{"us-west1", "us-west1"},
		{"Hello, 世界", "=?base64?SGVsbG8sIOS4lueVjA==?="},
		{" padded ", "=?base64?IHBhZGRlZCA=?="},
		{"line1\nline2", "=?base64?bGluZTEKbGluZTI=?="},
		{"=?base64?literal?=", "=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?="},
	} {
		if got := EncodeHeaderValue(c.in); got != c.enc {
			t.Errorf("EncodeHeaderValue(%q) = %q; want %q", c.in, got, c.enc)
		}
		if got, err := DecodeHeaderValue(c.enc); err != nil || got != c.in {
			t.Errorf("DecodeHeaderValue(%q) = %q, %v; want %q", c.enc, got, err, c.in)
		}
	}
	for _, bad := range []string{"=?base64?!!!?=", "a\x01b", "=?base64?/w==?="} {
		if _, err := DecodeHeaderValue(bad); err == nil {
			t.Errorf("DecodeHeaderValue(%q) succeeded; want an error", bad)
		}
	}
	if IsSentinel("=?BASE64?YQ==?=") {
		t.Error("uppercase sentinel accepted; markers are case-sensitive")
	}
}

func TestClassifyCode(t *testing.T) {
	for code, want := range map[int64]CodeClass{
		-32602: CodeDefined, -32020: CodeDefined, -32022: CodeDefined,
		-32002: CodeForbidden, -32042: CodeForbidden,
		-32023: CodeReservedUndefined, -32099: CodeReservedUndefined,
		-32000: CodeLegacyRange, -32019: CodeLegacyRange,
		-32100: CodeJSONRPCReserved, -32768: CodeJSONRPCReserved,
		-1: CodeApplication, 1000: CodeApplication, -32769: CodeApplication,
	} {
		if got := ClassifyCode(code); got != want {
			t.Errorf("ClassifyCode(%d) = %v; want %v", code, got, want)
		}
	}
}

func TestValidMetaKey(t *testing.T) {
	for k, want := range map[string]bool{
		"io.modelcontextprotocol/protocolVersion": true, "progressToken": true, "traceparent": true,
		"com.example/x": true, "com.example/": true, "a/b/c": false, "1com/x": false, "com-/x": false,
		"-x": false, "x-": false, "a.b": true, "/x": false,
	} {
		if got := ValidMetaKey(k); got != want {
			t.Errorf("ValidMetaKey(%q) = %v; want %v", k, got, want)
		}
	}
	for k, want := range map[string]bool{"io.modelcontextprotocol/x": true, "dev.mcp/x": true, "com.example.mcp/x": false, "mcp/x": false} {
		if got := ReservedMetaPrefix(k); got != want {
			t.Errorf("ReservedMetaPrefix(%q) = %v; want %v", k, got, want)
		}
	}
}
