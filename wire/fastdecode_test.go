package wire

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mcpverify/mcpverify/internal/fuzzseed"
)

// The types of fastdecode.go as json decodes them without their methods:
// a defined type does not inherit its underlying type's methods.
type (
	plainToolArguments         map[string]Value
	plainCallToolRequestParams CallToolRequestParams
	plainRequestMetaObject     RequestMetaObject
	plainImplementation        Implementation
	plainClientCapabilities    ClientCapabilities
	plainElicitationCapability ElicitationCapability
	plainSamplingCapability    SamplingCapability
)

// fastAgreement decodes data into the type with its own decoding and into
// the same type without it, compares, and returns what differs ("" when
// they agree).
type fastAgreement func(data []byte) string

// fastTypes checks each type decoded with its method against json's
// decoding of the same type without it. full is a value of the type with
// every member set, to decode into (json merges into what a value holds).
var fastTypes = []struct {
	name  string
	agree fastAgreement
}{
	{"ToolArguments", agreeFast(`{"location":"x","days":3}`,
		func(p *plainToolArguments) *ToolArguments { return (*ToolArguments)(p) })},
	{"CallToolRequestParams", agreeFast(`{"_meta":`+fastFullMeta+`,"name":"t","arguments":{"a":1},"inputResponses":{"k":{"action":"accept","content":{"x":1}}},"requestState":"s","x":[]}`,
		func(p *plainCallToolRequestParams) *CallToolRequestParams { return (*CallToolRequestParams)(p) })},
	{"RequestMetaObject", agreeFast(fastFullMeta,
		func(p *plainRequestMetaObject) *RequestMetaObject { return (*RequestMetaObject)(p) })},
	{"Implementation", agreeFast(fastFullImplementation,
		func(p *plainImplementation) *Implementation { return (*Implementation)(p) })},
	{"ClientCapabilities", agreeFast(fastFullCapabilities,
		func(p *plainClientCapabilities) *ClientCapabilities { return (*ClientCapabilities)(p) })},
	{"ElicitationCapability", agreeFast(`{"form":{"a":1},"url":{},"x":2}`,
		func(p *plainElicitationCapability) *ElicitationCapability { return (*ElicitationCapability)(p) })},
	{"SamplingCapability", agreeFast(`{"context":{"a":1},"tools":{},"x":2}`,
		func(p *plainSamplingCapability) *SamplingCapability { return (*SamplingCapability)(p) })},
}

const (
	fastFullImplementation = `{"name":"c","version":"1","title":"T","description":"d","websiteUrl":"https://example.com","icons":[{"src":"https://example.com/i.png"}],"x":1}`
	fastFullCapabilities   = `{"elicitation":{"form":{},"url":{"a":1}},"sampling":{"context":{},"tools":{}},"roots":{},"experimental":{"e":{}},"extensions":{"io.modelcontextprotocol/tasks":{}},"other":{}}`
	fastFullMeta           = `{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":` + fastFullImplementation +
		`,"io.modelcontextprotocol/clientCapabilities":` + fastFullCapabilities + `,"io.modelcontextprotocol/logLevel":"debug","progressToken":7,"k":[1]}`
)

// agreeFast compares, for T with its method and P without, decoded by
// Unmarshal (which walks P, not T, for names that differ only in case): decoding data
// into a zero value; into a value decoded from full (json merges into
// what a value holds, and a null resets); and as the member of an object
// into a nil pointer (json's handling of null pointers). Errors must agree
// in whether there is one; values must be equal.
func agreeFast[P, T any](full string, conv func(*P) *T) fastAgreement {
	return func(data []byte) string {
		for _, start := range []string{"", full} {
			var fast T
			var plain P
			if start != "" {
				if err := Unmarshal([]byte(start), &fast); err != nil {
					return fmt.Sprintf("%s does not decode: %v", start, err)
				}
				if err := Unmarshal([]byte(start), &plain); err != nil {
					return fmt.Sprintf("%s does not decode without the method: %v", start, err)
				}
			}
			errFast := Unmarshal(data, &fast)
			errPlain := Unmarshal(data, &plain)
			if (errFast == nil) != (errPlain == nil) {
				return fmt.Sprintf("into %q: error %v with the method, %v without", start, errFast, errPlain)
			}
			if errFast != nil {
				continue
			}
			if d := cmp.Diff(conv(&plain), &fast); d != "" {
				return fmt.Sprintf("into %q: values differ (-without +with):\n%s", start, d)
			}
		}
		member := append(append([]byte(`{"p":`), data...), '}')
		var fastPtr struct {
			P *T `json:"p"`
		}
		var plainPtr struct {
			P *P `json:"p"`
		}
		errFast := Unmarshal(member, &fastPtr)
		errPlain := Unmarshal(member, &plainPtr)
		if (errFast == nil) != (errPlain == nil) {
			return fmt.Sprintf("as a member: error %v with the method, %v without", errFast, errPlain)
		}
		if errFast == nil {
			var want *T
			if plainPtr.P != nil {
				want = conv(plainPtr.P)
			}
			if d := cmp.Diff(want, fastPtr.P); d != "" {
				return fmt.Sprintf("as a member: values differ (-without +with):\n%s", d)
			}
		}
		return ""
	}
}

// fastSeeds exercise every member of each type, unknown members, names
// written with escapes or in another case, nulls, values of the wrong
// kind, duplicates (a defined name, an unknown one, one spelled two ways)
// and text that is not JSON.
var fastSeeds = []string{
	fastFullMeta,
	fastFullImplementation,
	fastFullCapabilities,
	`{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"c","version":"1"},"io.modelcontextprotocol/clientCapabilities":{"elicitation":{},"sampling":{}},"progressToken":"p-42"}`,
	`{"io.modelcontextprotocol/protocolVersion":null,"io.modelcontextprotocol/clientInfo":null,"io.modelcontextprotocol/clientCapabilities":null,"io.modelcontextprotocol/logLevel":null,"progressToken":null}`,
	`{"progressToken":null,"progressToken":1}`,
	`{"io.modelcontextprotocol/protocolVersion":5}`,
	`{"io.modelcontextprotocol/clientInfo":[]}`,
	`{"progressToken":{}}`,
	`{"progressToken":1.5}`,
	`{"name":"c","version":"1","title":null,"icons":null}`,
	`{"n\u0061me":"c","version":"\u00e9"}`,
	`{"name":"c","n\u0061me":"d"}`,
	`{"Name":"c","version":"1"}`,
	`{"ProgressToken":1,"io.modelcontextprotocol/CLIENTINFO":{}}`,
	`{"Elicitation":{},"sampling":{"Tools":{}}}`,
	`{"FORM":{},"Context":{}}`,
	`{"sampling":{},"\u0053ampling":{}}`,
	`{"name":1}`,
	`{"name":"c","name":"d"}`,
	`{"x":1,"x":2}`,
	`{"icons":[{"src":1}]}`,
	`{"elicitation":{},"sampling":{},"roots":{"listChanged":true}}`,
	`{"elicitation":null,"sampling":null,"roots":null,"experimental":null,"extensions":null}`,
	`{"elicitation":{"form":null,"url":{}},"sampling":{"context":null,"tools":{"a":[]}}}`,
	`{"elicitation":[]}`,
	`{"roots":"x"}`,
	`{"experimental":{"e":1}}`,
	`{"form":{},"url":{},"other":true}`,
	`{"context":{"a":1,"a":2}}`,
	`{"location":"New York","units":"metric","days":3}`,
	`{"name":"get_weather","arguments":{"location":"New York"},"_meta":{"progressToken":"p"}}`,
	`{"name":"t","requestState":"abc","inputResponses":{"a":{"action":"decline"}},"Arguments":{}}`,
	`{"name":null,"arguments":null,"_meta":null,"requestState":null,"inputResponses":null}`,
	`{"name":"t","arguments":[],"requestState":1}`,
	`{"name":"t","inputResponses":{"a":{"action":"accept","content":{"x":1}},"b":{"roots":[]}}}`,
	`{"a":{"b":[1,2,{"c":null}]},"b":"\ud800"}`,
	`{"a":1,"a":2}`,
	`{"\u0061":1,"a":2}`,
	`{}`,
	`null`,
	`[]`,
	`"x"`,
	`1`,
	`{"a":1`,
	`{"a" 1}`,
	`{"a":1,}`,
	"{\"a\":\"\xff\"}",
	"{\"\xff\":1}",
	`{"a":1} {}`,
	` {"a":1} `,
}

// TestFastDecodeAgrees runs every seed through every type.
func TestFastDecodeAgrees(t *testing.T) {
	for _, ty := range fastTypes {
		for _, s := range fastSeeds {
			if d := ty.agree([]byte(s)); d != "" {
				t.Errorf("%s, %s: %s", ty.name, s, d)
			}
		}
	}
}

// FuzzFastDecodeAgrees holds each type of fastdecode.go, decoded with its
// method, to json's decoding of the same type without it (agreeFast). The
// first byte of an input chooses the type, the rest is the JSON text.
func FuzzFastDecodeAgrees(f *testing.F) {
	for i := range fastTypes {
		for _, s := range fastSeeds {
			fuzzseed.Add(f, append([]byte{byte(i)}, s...))
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		ty := fastTypes[int(in[0])%len(fastTypes)]
		if d := ty.agree(in[1:]); d != "" {
			t.Fatalf("%s, %q: %s", ty.name, in[1:], d)
		}
	})
}
