package wire

import (
	"reflect"
	"testing"

	"github.com/mcpverify/mcpverify/internal/fuzzseed"
)

// requestInputs are messages for DecodeRequest: params after and before
// the method, of methods in and out of the table, that decode, that are
// malformed as params only, and that are not messages.
var requestInputs = []string{
	string(benchCallRequest),
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","arguments":{"x":1}}}`,
	`{"params":{"name":"a"},"jsonrpc":"2.0","id":1,"method":"tools/call"}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":5}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","Name":"b"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","_meta":{"progressToken":[1]}}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a"},"params":{}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a"}} x`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call" , "params" :  {"name":"a"} }`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","name":"b"}}`,
	"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"a\xff\"}}",
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":[1]}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":null}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call"}`,
	`{"jsonrpc":"2.0","id":1,"method":"x/unknown","params":{"a":1}}`,
	`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1,"reason":"r"}}`,
	`{"jsonrpc":"2.0","id":null,"method":"tools/list","params":{}}`,
	`{"jsonrpc":"2.0","id":1,"result":{}}`,
	`{"jsonrpc":"1.0","id":1,"method":"tools/list","params":{}}`,
}

// TestDecodeRequestAgrees: DecodeRequest gives what DecodeMessage and then
// DecodeParams give.
func TestDecodeRequestAgrees(t *testing.T) {
	for _, in := range append(requestInputs, envelopeInputs...) {
		checkDecodeRequestAgrees(t, []byte(in))
	}
}

func FuzzDecodeRequestAgrees(f *testing.F) {
	for _, in := range append(requestInputs, envelopeInputs...) {
		fuzzseed.Add(f, []byte(in))
	}
	f.Fuzz(func(t *testing.T, in []byte) { checkDecodeRequestAgrees(t, in) })
}

func checkDecodeRequestAgrees(t *testing.T, in []byte) {
	t.Helper()
	m, p, perr, err := DecodeRequest(in)
	wm, werr := DecodeMessage(in)
	var wp any
	var wperr error
	if wm != nil {
		wp, wperr = paramsOf(wm) // DecodeParams of the raw params
	}
	if errText(err) != errText(werr) || !reflect.DeepEqual(m, wm) {
		t.Fatalf("%q: message %#v, %v; want %#v, %v", in, m, err, wm, werr)
	}
	if errText(perr) != errText(wperr) || !reflect.DeepEqual(p, wp) {
		t.Fatalf("%q: params %#v, %v; want %#v, %v", in, p, perr, wp, wperr)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestDecodeRequestOnePass: a typical tools/call's params are decoded in
// the envelope's pass (not again from their text).
func TestDecodeRequestOnePass(t *testing.T) {
	env := envelope{src: benchCallRequest}
	if _, err := env.decode(benchCallRequest, strictOpts); err != nil {
		t.Fatal(err)
	}
	p, ok := env.typed.(*CallToolRequestParams)
	if !ok || p.Name != "get_weather" || len(p.Arguments) != 3 {
		t.Fatalf("typed params %#v", env.typed)
	}
	if string(env.Params) != `{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",`+
		`"io.modelcontextprotocol/clientInfo":{"name":"ExampleClient","version":"1.0.0"},`+
		`"io.modelcontextprotocol/clientCapabilities":{"elicitation":{},"sampling":{}},"progressToken":"p-42"},`+
		`"name":"get_weather","arguments":{"location":"New York","units":"metric","days":3}}` {
		t.Fatalf("raw params %s", env.Params)
	}
}
