package wire

import (
	"reflect"
	"testing"

	"github.com/go-json-experiment/json"

	"github.com/mcpverify/mcpverify/internal/fuzzseed"
)

// defaultEnvelope is envelope without its method: json decodes it by its
// own struct rules, the reference for envelope.UnmarshalJSONFrom.
type defaultEnvelope envelope

var envelopeInputs = []string{
	`{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}`,
	`{"jsonrpc":"2.0","id":"a","result":{"resultType":"complete"},"x-a":[1, 2],"x-b" : { "c" : null }}`,
	`{"jsonrpc":"2.0","error":{"code":-32700,"message":"parse","data":[1],"x":1},"id":null}`,
	` { "method" : "m" , "jsonrpc" : "2.0" , "params" : { "a" : 1 } } `,
	`{"jsonrpc":null,"method":null,"error":null,"params":null,"result":null,"id":null}`,
	`{"\u006aSONRPC":"2.0","\u006asonrpc":"2.0","Method":"m","ID":1}`,
	`{"jsonrpc":"2.0","id":1,"method":"a","method":"b"}`,
	`{"jsonrpc":"2.0","x":1,"x":2}`,
	`{"jsonrpc":"2.0","id":1.5,"method":"m"}`,
	`{"jsonrpc":"2.0","id":true,"method":"m"}`,
	`{"jsonrpc":2,"method":"m"}`,
	`{"jsonrpc":"2.0","method":["m"]}`,
	`{"jsonrpc":"2.0","error":"e"}`,
	`{"jsonrpc":"2.0","error":{"code":"1","message":"m"}}`,
	"{\"jsonrpc\":\"2.0\",\"method\":\"a\xff\"}",
	"{\"jsonrpc\":\"2.0\",\"x\xff\":1}",
	`{"jsonrpc":"2.0","params":{"a":1,"a":2}}`,
	`{"jsonrpc":"2.0","params":{"a":1}`,
	`{"jsonrpc":"2.0",}`,
	`{"jsonrpc":"2.0"} {}`,
	`[1]`,
	`null`,
	`{}`,
}

// TestEnvelopeAgrees: the envelope's own decoding accepts exactly what
// json's struct decoding of the same fields accepts, with the same values.
func TestEnvelopeAgrees(t *testing.T) {
	for _, in := range envelopeInputs {
		checkEnvelopeAgrees(t, []byte(in))
	}
}

// FuzzEnvelopeAgrees is TestEnvelopeAgrees on any input.
func FuzzEnvelopeAgrees(f *testing.F) {
	for _, in := range envelopeInputs {
		fuzzseed.Add(f, []byte(in))
	}
	f.Fuzz(func(t *testing.T, in []byte) { checkEnvelopeAgrees(t, in) })
}

func checkEnvelopeAgrees(t *testing.T, in []byte) {
	var got envelope
	var want defaultEnvelope
	gotErr := json.Unmarshal(in, &got, strictOpts)
	wantErr := json.Unmarshal(in, &want, strictOpts)
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("decoding %q: %v; json's struct decoding: %v", in, gotErr, wantErr)
	}
	if wantErr != nil {
		return
	}
	if !reflect.DeepEqual(envelope(want), got) {
		t.Errorf("decoding %q:\n got %#v\nwant %#v", in, got, want)
	}
}
