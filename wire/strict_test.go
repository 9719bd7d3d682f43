package wire

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// rejectCase is one input the strict policy must refuse.
type rejectCase struct {
	name string
	into func() any
	in   string
	want string // a substring of the error
}

func TestStrictRejects(t *testing.T) {
	cases := []rejectCase{
		// Duplicate member names, at any depth, known or unknown.
		{"duplicate top-level", newOf[CallToolResult], `{"resultType":"complete","content":[],"resultType":"complete"}`, "duplicate"},
		{"duplicate in a union member", newOf[CallToolResult], `{"resultType":"complete","content":[{"type":"text","text":"a","text":"b"}]}`, "duplicate"},
		{"duplicate discriminator", newOf[ContentBlock], `{"type":"text","text":"a","type":"image"}`, "duplicate"},
		{"duplicate unknown member", newOf[Tool], `{"name":"t","inputSchema":{"type":"object"},"x-a":1,"x-a":2}`, "duplicate"},
		{"duplicate in raw schema", newOf[Tool], `{"name":"t","inputSchema":{"type":"object","type":"string"}}`, "duplicate"},
		{"duplicate _meta key", newOf[CallToolRequestParams], `{"_meta":{"progressToken":1,"progressToken":2},"name":"t"}`, "duplicate"},
		{"duplicate input request key", newOf[InputRequiredResult], `{"resultType":"input_required","inputRequests":{"a":{"method":"roots/list"},"a":{"method":"roots/list"}}}`, "duplicate"},

		// Member names differing from defined ones only in case.
		{"wrong case alone", newOf[CallToolResult], `{"ResultType":"complete","content":[]}`, "only in case"},
		{"wrong case beside the right one", newOf[CallToolResult], `{"resultType":"complete","ResultType":"input_required","content":[]}`, "only in case"},
		{"wrong case nested", newOf[CallToolResult], `{"resultType":"complete","content":[{"type":"text","Text":"x","text":"y"}]}`, "only in case"},
		{"wrong case in _meta", newOf[CallToolRequestParams], `{"_meta":{"IO.modelcontextprotocol/protocolVersion":"2026-07-28"},"name":"t"}`, "only in case"},
		{"wrong case, Kelvin sign", newOf[ProgressNotificationParams], "{\"progress\":1,\"progressTo\u212Aen\":\"t\"}", "only in case"},
		{"wrong case, long s", newOf[Tool], "{\"name\":\"t\",\"inputSchema\":{},\"de\u017Fcription\":\"x\"}", "only in case"},
		{"wrong case in a map value", newOf[RequestedSchema], `{"type":"object","properties":{"a":{"type":"string","Title":"x"}}}`, "only in case"},
		{"wrong case discriminator", newOf[ContentBlock], `{"Type":"text","text":"a"}`, `without "type"`},

		// Members of the wrong JSON type.
		{"string for integer", newOf[ListToolsResult], `{"resultType":"complete","tools":[],"ttlMs":"60"}`, "ttlMs"},
		{"fraction for integer", newOf[ListToolsResult], `{"resultType":"complete","tools":[],"ttlMs":1.5}`, "ttlMs"},
		{"number for string", newOf[CallToolResult], `{"resultType":5,"content":[]}`, "resultType"},
		{"string for boolean", newOf[CallToolResult], `{"resultType":"complete","content":[],"isError":"yes"}`, "isError"},
		{"object for array", newOf[CallToolResult], `{"resultType":"complete","content":{"type":"text","text":"a"}}`, "content"},
		{"string for content block", newOf[CallToolResult], `{"resultType":"complete","content":["hello"]}`, "content block is a string; want an object"},
		{"null content block", newOf[CallToolResult], `{"resultType":"complete","content":[null]}`, "content block is null"},
		{"boolean request id", newOf[CancelledNotificationParams], `{"requestId":true}`, "want a string or an integer"},
		{"null request id", newOf[CancelledNotificationParams], `{"requestId":null}`, "request id is null"},
		{"number for sampling content", newOf[SamplingMessage], `{"role":"user","content":5}`, "sampling content is a number"},
		{"array for params", newOf[CallToolRequest], `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":[]}`, "params"},
		{"number discriminator", newOf[ContentBlock], `{"type":1}`, "type"},
		{"string for schema type", newOf[PrimitiveSchemaDefinition], `{"type":"array","items":"x"}`, "items"},

		// Unknown or missing discriminators, and shapes that fit no variant.
		{"unknown content type", newOf[ContentBlock], `{"type":"video","data":""}`, `unknown type "video"; want "text", "image", "audio", "resource_link" or "resource"`},
		{"tool_use is not a content block", newOf[ContentBlock], `{"type":"tool_use","id":"a","name":"b","input":{}}`, `unknown type "tool_use"`},
		{"resource_link is not sampling content", newOf[SamplingMessageContentBlock], `{"type":"resource_link","uri":"x","name":"y"}`, `unknown type "resource_link"`},
		{"missing content type", newOf[ContentBlock], `{"text":"a"}`, `content block without "type"`},
		{"unknown content type nested", newOf[GetPromptResult], `{"resultType":"complete","messages":[{"role":"user","content":{"type":"x"}}]}`, `unknown type "x"`},
		{"unknown input request method", newOf[InputRequest], `{"method":"tools/call","params":{}}`, `unknown method "tools/call"; want "elicitation/create", "sampling/createMessage" or "roots/list"`},
		{"missing input request method", newOf[InputRequests], `{"a":{"params":{}}}`, `input request without "method"`},
		{"unknown elicitation mode", newOf[ElicitRequestParams], `{"mode":"popup","message":"m"}`, `unknown mode "popup"; want "form" or "url"`},
		{"empty elicitation mode", newOf[ElicitRequestParams], `{"mode":"","message":"m"}`, `unknown mode ""`},
		{"unknown reference type", newOf[CompleteRequestParams], `{"ref":{"type":"ref/tool","name":"x"},"argument":{"name":"a","value":"b"}}`, `unknown type "ref/tool"`},
		{"unknown client request", newOf[ClientRequest], `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`, `unknown method "initialize"`},
		{"unknown server notification", newOf[ServerNotification], `{"jsonrpc":"2.0","method":"notifications/initialized"}`, `unknown method "notifications/initialized"`},
		{"resource contents with neither", newOf[ReadResourceResult], `{"resultType":"complete","contents":[{"uri":"file:///a"}]}`, `without "text" or "blob"`},
		{"resource contents with both", newOf[EmbeddedResource], `{"type":"resource","resource":{"uri":"file:///a","text":"","blob":""}}`, `both "text" and "blob"`},
		{"input response of no shape", newOf[InputResponses], `{"k":{"x":1}}`, "input response without"},
		{"input response of two shapes", newOf[InputResponse], `{"action":"accept","roots":[]}`, "ElicitResult (action) and ListRootsResult (roots)"},
		{"unknown schema type", newOf[PrimitiveSchemaDefinition], `{"type":"object"}`, `unknown type "object"`},
		{"schema without type", newOf[PrimitiveSchemaDefinition], `{"enum":["a"]}`, `without "type"`},
		{"array schema without enum", newOf[PrimitiveSchemaDefinition], `{"type":"array","items":{"type":"string"}}`, `without "enum" or "anyOf"`},
		{"string schema with enum and oneOf", newOf[PrimitiveSchemaDefinition], `{"type":"string","enum":["a"],"oneOf":[]}`, `both "enum" and "oneOf"`},
		{"not an enum schema", newOf[EnumSchema], `{"type":"boolean"}`, "is a BooleanSchema; want a enum schema"},
		{"not a multi-select schema", newOf[MultiSelectEnumSchema], `{"type":"string","enum":["a"]}`, "is a UntitledSingleSelectEnumSchema"},
		{"null result", newOf[CallToolResultResponse], `{"jsonrpc":"2.0","id":1,"result":null}`, "result is null; want an object"},
		{"result response that is a request", newOf[JSONRPCResponse], `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, "want a result or error response"},
		{"message with wrong jsonrpc", newOf[JSONRPCMessage], `{"jsonrpc":"1.0","id":1,"method":"tools/list"}`, `"jsonrpc" must be "2.0"`},

		// Syntax and encoding.
		{"invalid UTF-8 in a union", newOf[ContentBlock], "{\"type\":\"text\",\"text\":\"\xff\"}", "UTF-8"},
		{"truncated", newOf[CallToolResult], `{"resultType":"complete","content":[{"type":"text"`, "EOF"},
		{"trailing data", newOf[CallToolResult], `{"resultType":"complete","content":[]} {}`, "after top-level value"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := c.into()
			err := Unmarshal([]byte(c.in), v)
			if err == nil {
				t.Fatalf("Unmarshal(%s) into %T succeeded; want an error containing %q", c.in, v, c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("Unmarshal(%s) into %T: %v; want an error containing %q", c.in, v, err, c.want)
			}
		})
	}
}

func TestNameCaseErrorIs(t *testing.T) {
	for _, in := range []string{
		`{"resultType":"complete","content":[],"isERROR":true}`,
		`{"resultType":"complete","content":[{"type":"text","text":"a","TEXT":"b"}]}`,
	} {
		err := Unmarshal([]byte(in), new(CallToolResult))
		if !errors.Is(err, ErrNameCase) {
			t.Errorf("Unmarshal(%s) = %v; want ErrNameCase", in, err)
		}
	}
	// The types of fastdecode.go check names as they decode.
	if _, err := DecodeResult(callToolInfo(), Value(`{"resultType":"complete","content":[],"_meta":{"io.modelcontextprotocol/serverInfo":{"name":"s","version":"1","NAME":"t"}}}`)); !errors.Is(err, ErrNameCase) {
		t.Errorf("serverInfo with a wrong-case member: %v; want ErrNameCase", err)
	}
	if _, _, perr, err := DecodeRequest([]byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t","_meta":{"io.modelcontextprotocol/clientCapabilities":{"Sampling":{}}}}}`)); err != nil || !errors.Is(perr, ErrNameCase) {
		t.Errorf("clientCapabilities with a wrong-case member: %v, %v; want a params error, ErrNameCase", err, perr)
	}
	_, err := DecodeMessage([]byte(`{"jsonrpc":"2.0","id":1,"method":"tools/list","Method":"tools/call"}`))
	if !errors.Is(err, ErrNameCase) || !errors.Is(err, ErrNotMessage) {
		t.Errorf("DecodeMessage with \"Method\" beside \"method\" = %v; want ErrNotMessage and ErrNameCase", err)
	}
	_, err = DecodeMessage([]byte(`{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"m","Code":2}}`))
	if !errors.Is(err, ErrNameCase) {
		t.Errorf("DecodeMessage with \"Code\" in the error = %v; want ErrNameCase", err)
	}
	// Unknown names that match no defined member in any case are fine.
	if err := Unmarshal([]byte(`{"resultType":"complete","content":[],"x-vendor":1}`), new(CallToolResult)); err != nil {
		t.Errorf("an extension member: %v", err)
	}
}

// TestExtensionsSurvive: members the schema does not define, at every
// level, are kept and encoded again.
func TestExtensionsSurvive(t *testing.T) {
	cases := []struct {
		into func() any
		in   string
	}{
		{newOf[CallToolResult], `{"resultType":"complete","x-top":{"a":[1,2]},"_meta":{"com.example/k":"v","io.modelcontextprotocol/serverInfo":{"name":"s","version":"1","x-impl":true}},
			"content":[{"type":"text","text":"t","x-block":null,"annotations":{"priority":0.5,"x-ann":"y"}},
			{"type":"resource","resource":{"uri":"file:///a","blob":"AA==","x-res":1}}],"structuredContent":{"deep":{"x":[true]}}}`},
		{newOf[CallToolRequest], `{"jsonrpc":"2.0","id":7,"method":"tools/call","x-env":1,"params":{"name":"t","x-params":2,
			"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"x-cap":{},"elicitation":{"x-e":1}},"traceparent":"00-abc"},
			"inputResponses":{"k":{"action":"accept","x-r":1},"s":{"role":"assistant","model":"m","content":[{"type":"text","text":"a","x-c":2}]}}}}`},
		{newOf[InputRequests], `{"e":{"method":"elicitation/create","x-req":1,"params":{"message":"m","x-p":1,"requestedSchema":{"type":"object","x-s":1,"properties":{"n":{"type":"string","x-f":1},"c":{"type":"array","items":{"anyOf":[{"const":"a","title":"A","x-o":1}],"x-i":1}}}}}},
			"r":{"method":"roots/list","params":{"_meta":{"a":1},"x-rp":1}}}`},
		{newOf[DiscoverResult], `{"resultType":"complete","supportedVersions":["2026-07-28"],"ttlMs":0,"cacheScope":"public","x-d":1,
			"capabilities":{"tools":{"listChanged":false,"x-t":1},"x-cap":{},"extensions":{"io.modelcontextprotocol/tasks":{"x":1}}}}`},
		{newOf[JSONRPCErrorResponse], `{"jsonrpc":"2.0","id":"a","error":{"code":-32602,"message":"m","data":{"k":1},"x-err":1},"x-top":1}`},
	}
	for _, c := range cases {
		v := c.into()
		if err := Unmarshal([]byte(c.in), v); err != nil {
			t.Errorf("Unmarshal into %T: %v", v, err)
			continue
		}
		if len(unknownMembers(v)) == 0 {
			t.Errorf("%T: no extension member kept", v)
		}
		out, err := Marshal(v)
		if err != nil {
			t.Errorf("Marshal %T: %v", v, err)
			continue
		}
		if d := sameJSON(t, []byte(c.in), out); d != "" {
			t.Errorf("%T lost or changed members (-want +got):\n%s", v, d)
		}
	}
}

// TestUnionVariants checks that each union decodes to the variant its
// discriminator or shape names.
func TestUnionVariants(t *testing.T) {
	cases := []struct {
		into func() any
		in   string
		want any // a value of the expected variant type
	}{
		{newOf[ContentBlock], `{"type":"text","text":"a"}`, &TextContent{}},
		{newOf[ContentBlock], `{"type":"image","data":"","mimeType":"image/png"}`, &ImageContent{}},
		{newOf[ContentBlock], `{"type":"audio","data":"","mimeType":"audio/wav"}`, &AudioContent{}},
		{newOf[ContentBlock], `{"type":"resource_link","uri":"u","name":"n"}`, &ResourceLink{}},
		{newOf[ContentBlock], `{"type":"resource","resource":{"uri":"u","text":""}}`, &EmbeddedResource{}},
		{newOf[SamplingMessageContentBlock], `{"type":"tool_use","id":"i","name":"n","input":{}}`, &ToolUseContent{}},
		{newOf[SamplingMessageContentBlock], `{"type":"tool_result","toolUseId":"i","content":[]}`, &ToolResultContent{}},
		{newOf[TextOrBlobResourceContents], `{"uri":"u","text":""}`, &TextResourceContents{}},
		{newOf[TextOrBlobResourceContents], `{"uri":"u","blob":""}`, &BlobResourceContents{}},
		{newOf[PromptOrResourceTemplateReference], `{"type":"ref/prompt","name":"p"}`, &PromptReference{}},
		{newOf[PromptOrResourceTemplateReference], `{"type":"ref/resource","uri":"file:///{x}"}`, &ResourceTemplateReference{}},
		{newOf[InputRequest], `{"method":"elicitation/create","params":{"message":"m","requestedSchema":{"type":"object","properties":{}}}}`, &ElicitRequest{}},
		{newOf[InputRequest], `{"method":"sampling/createMessage","params":{"messages":[],"maxTokens":1}}`, &CreateMessageRequest{}},
		{newOf[InputRequest], `{"method":"roots/list"}`, &ListRootsRequest{}},
		{newOf[InputResponse], `{"action":"decline"}`, &ElicitResult{}},
		{newOf[InputResponse], `{"action":"accept","content":{"a":1}}`, &ElicitResult{}},
		{newOf[InputResponse], `{"roots":[]}`, &ListRootsResult{}},
		{newOf[InputResponse], `{"role":"assistant","model":"m","content":{"type":"text","text":"a"}}`, &CreateMessageResult{}},
		{newOf[ElicitRequestParams], `{"message":"m","requestedSchema":{"type":"object","properties":{}}}`, &ElicitRequestFormParams{}},
		{newOf[ElicitRequestParams], `{"mode":"form","message":"m","requestedSchema":{"type":"object","properties":{}}}`, &ElicitRequestFormParams{}},
		{newOf[ElicitRequestParams], `{"mode":"url","message":"m","url":"https://x"}`, &ElicitRequestURLParams{}},
		{newOf[PrimitiveSchemaDefinition], `{"type":"string"}`, &StringSchema{}},
		{newOf[PrimitiveSchemaDefinition], `{"type":"integer"}`, &NumberSchema{}},
		{newOf[PrimitiveSchemaDefinition], `{"type":"boolean"}`, &BooleanSchema{}},
		{newOf[PrimitiveSchemaDefinition], `{"type":"string","enum":["a"]}`, &UntitledSingleSelectEnumSchema{}},
		{newOf[PrimitiveSchemaDefinition], `{"type":"string","oneOf":[{"const":"a","title":"A"}]}`, &TitledSingleSelectEnumSchema{}},
		{newOf[PrimitiveSchemaDefinition], `{"type":"string","enum":["a"],"enumNames":["A"]}`, &LegacyTitledEnumSchema{}},
		{newOf[PrimitiveSchemaDefinition], `{"type":"array","items":{"type":"string","enum":["a"]}}`, &UntitledMultiSelectEnumSchema{}},
		{newOf[PrimitiveSchemaDefinition], `{"type":"array","items":{"anyOf":[{"const":"a","title":"A"}]}}`, &TitledMultiSelectEnumSchema{}},
		{newOf[EnumSchema], `{"type":"string","enum":["a"],"enumNames":["A"]}`, &LegacyTitledEnumSchema{}},
		{newOf[SingleSelectEnumSchema], `{"type":"string","enum":["a"]}`, &UntitledSingleSelectEnumSchema{}},
		{newOf[MultiSelectEnumSchema], `{"type":"array","items":{"anyOf":[]}}`, &TitledMultiSelectEnumSchema{}},
		{newOf[ServerResult], `{"resultType":"input_required","requestState":"s"}`, &InputRequiredResult{}},
		{newOf[ServerResult], `{"resultType":"complete","tools":[]}`, &Result{}},
		{newOf[ServerResult], `{"tools":[]}`, &Result{}},
		{newOf[ClientRequest], `{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"u"}}`, &ReadResourceRequest{}},
		{newOf[ServerNotification], `{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1,"progress":1}}`, &ProgressNotification{}},
		{newOf[JSONRPCMessage], `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}`, &JSONRPCNotification{}},
		{newOf[JSONRPCResponse], `{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"m"}}`, &JSONRPCErrorResponse{}},
	}
	for _, c := range cases {
		v := c.into()
		if err := Unmarshal([]byte(c.in), v); err != nil {
			t.Errorf("Unmarshal(%s) into %T: %v", c.in, v, err)
			continue
		}
		got := reflect.ValueOf(v).Elem().Elem().Type() // *Union -> Union -> dynamic type
		if want := reflect.TypeOf(c.want); got != want {
			t.Errorf("Unmarshal(%s) into %T = %v; want %v", c.in, v, got, want)
		}
		out, err := Marshal(v)
		if err != nil {
			t.Errorf("Marshal: %v", err)
			continue
		}
		if c.in == `{"tools":[]}` {
			continue // the required resultType, absent, encodes as ""
		}
		if d := sameJSON(t, []byte(c.in), out); d != "" {
			t.Errorf("%s: round trip (-want +got):\n%s", c.in, d)
		}
	}
}

// TestResultResponses: a result that may be input_required decodes to the
// method's complete type or to InputRequiredResult by resultType.
func TestResultResponses(t *testing.T) {
	complete := `{"jsonrpc":"2.0","id":1,"result":{"resultType":"complete","content":[]}}`
	input := `{"jsonrpc":"2.0","id":1,"result":{"resultType":"input_required","requestState":"s","inputRequests":{"r":{"method":"roots/list"}}}}`
	legacy := `{"jsonrpc":"2.0","id":1,"result":{"content":[]}}`
	for _, c := range []struct {
		in   string
		want ServerResult
	}{{complete, &CallToolResult{}}, {input, &InputRequiredResult{}}, {legacy, &CallToolResult{}}} {
		var r CallToolResultResponse
		if err := Unmarshal([]byte(c.in), &r); err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if reflect.TypeOf(r.Result) != reflect.TypeOf(c.want) {
			t.Errorf("%s: Result is %T; want %T", c.in, r.Result, c.want)
		}
		if r.ID != IntID(1) {
			t.Errorf("%s: ID = %v", c.in, r.ID)
		}
	}
	var p GetPromptResultResponse
	if err := Unmarshal([]byte(`{"jsonrpc":"2.0","id":"x","result":{"resultType":"complete","messages":[]}}`), &p); err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Result.(*GetPromptResult); !ok {
		t.Errorf("prompts/get result is %T", p.Result)
	}
	var rr ReadResourceResultResponse
	if err := Unmarshal([]byte(`{"jsonrpc":"2.0","id":"x","result":{"resultType":"complete","contents":[],"ttlMs":5,"cacheScope":"private"}}`), &rr); err != nil {
		t.Fatal(err)
	}
	if r, ok := rr.Result.(*ReadResourceResult); !ok || r.TTLMs == nil || *r.TTLMs != 5 || r.CacheScope != CacheScopePrivate {
		t.Errorf("resources/read result is %#v", rr.Result)
	}

	// InputRequiredResult keeps its requests raw; Requests decodes them.
	var ir InputRequiredResult
	if err := Unmarshal([]byte(`{"resultType":"input_required","inputRequests":{"a":{"method":"roots/list"},"b":{"method":"ping"}}}`), &ir); err != nil {
		t.Fatalf("an unknown input request method must not fail the result: %v", err)
	}
	if _, err := ir.Requests(); err == nil || !strings.Contains(err.Error(), `unknown method "ping"`) {
		t.Errorf("Requests() = %v; want an unknown method error", err)
	}
	delete(ir.InputRequests, "b")
	reqs, err := ir.Requests()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := reqs["a"].(*ListRootsRequest); !ok {
		t.Errorf("Requests()[a] = %T; want *ListRootsRequest", reqs["a"])
	}
}

// TestOptionalMembers: absent members stay distinguishable from zero
// values, and both survive a round trip.
func TestOptionalMembers(t *testing.T) {
	var absent, zero ListToolsResult
	if err := Unmarshal([]byte(`{"resultType":"complete","tools":[]}`), &absent); err != nil {
		t.Fatal(err)
	}
	if err := Unmarshal([]byte(`{"resultType":"complete","tools":[],"ttlMs":0,"cacheScope":"public","nextCursor":""}`), &zero); err != nil {
		t.Fatal(err)
	}
	if absent.TTLMs != nil || absent.CacheScope != "" || absent.NextCursor != nil {
		t.Errorf("absent members decoded as present: %+v", absent)
	}
	if zero.TTLMs == nil || *zero.TTLMs != 0 || zero.NextCursor == nil || *zero.NextCursor != "" {
		t.Errorf("zero members decoded as absent: %+v", zero)
	}
	var r CallToolResult
	if err := Unmarshal([]byte(`{"resultType":"complete","content":[],"isError":false}`), &r); err != nil {
		t.Fatal(err)
	}
	if r.IsError == nil || *r.IsError {
		t.Errorf("isError false decoded as %v", r.IsError)
	}
	b, _ := Marshal(&r)
	if string(b) != `{"content":[],"isError":false,"resultType":"complete"}` {
		t.Errorf("Marshal = %s", b)
	}
	// A capability declared by an empty object is present.
	var caps ClientCapabilities
	if err := Unmarshal([]byte(`{"roots":{},"elicitation":{}}`), &caps); err != nil {
		t.Fatal(err)
	}
	if !caps.Has("roots") || !caps.Has("elicitation") || caps.Has("sampling") {
		t.Errorf("capabilities: %+v", caps)
	}
	// A zero RequestID is absent.
	var c CancelledNotificationParams
	if err := Unmarshal([]byte(`{"reason":"r"}`), &c); err != nil || !c.RequestID.IsZero() {
		t.Errorf("absent requestId: %v %v", c.RequestID, err)
	}
	if b, _ := Marshal(&c); string(b) != `{"reason":"r"}` {
		t.Errorf("absent requestId encodes as %s", b)
	}
}

// TestSamplingContentForms: one block and an array of blocks keep their
// form.
func TestSamplingContentForms(t *testing.T) {
	for _, in := range []string{
		`{"role":"user","content":{"type":"text","text":"a"}}`,
		`{"role":"user","content":[{"type":"text","text":"a"}]}`,
		`{"role":"user","content":[]}`,
		`{"role":"user","content":[{"type":"tool_use","id":"i","name":"n","input":{}},{"type":"image","data":"","mimeType":"image/png"}]}`,
	} {
		var m SamplingMessage
		if err := Unmarshal([]byte(in), &m); err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		b, err := Marshal(&m)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if d := sameJSON(t, []byte(in), b); d != "" {
			t.Errorf("%s: round trip (-want +got):\n%s", in, d)
		}
	}
	b, _ := Marshal(SamplingContent{Blocks: []SamplingMessageContentBlock{&TextContent{Type: "text", Text: "a"}}})
	if string(b) != `{"text":"a","type":"text"}` {
		t.Errorf("one block = %s", b)
	}
	b, _ = Marshal(SamplingContent{})
	if string(b) != `[]` {
		t.Errorf("no blocks = %s", b)
	}
}

// TestDecodeParamsAndResultTyped: the method table's constructors give the
// typed values DecodeParams and DecodeResult return.
func TestDecodeParamsAndResultTyped(t *testing.T) {
	info, _ := LookupMethod("tools/call")
	p, err := DecodeParams(info, Value(`{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}},"name":"echo","arguments":{"x":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	cp, ok := p.(*CallToolRequestParams)
	if !ok || cp.Name != "echo" || string(cp.Arguments["x"]) != "1" || *cp.Meta.ProtocolVersion != Version {
		t.Errorf("DecodeParams = %#v", p)
	}
	r, err := DecodeResult(info, Value(`{"resultType":"complete","content":[{"type":"text","text":"hi"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if cr, ok := r.(*CallToolResult); !ok || cr.Content[0].(*TextContent).Text != "hi" {
		t.Errorf("DecodeResult = %#v", r)
	}
	if _, err := DecodeResult(info, Value(`{"resultType":"complete","content":[{"type":"text","text":"hi","Text":"x"}]}`)); !errors.Is(err, ErrNameCase) {
		t.Errorf("DecodeResult with a wrong-case member = %v; want ErrNameCase", err)
	}
	note, _ := LookupServerNotification("notifications/tools/list_changed")
	if p, err := DecodeParams(note, nil); err != nil || reflect.TypeOf(p) != reflect.TypeOf(&NotificationParams{}) {
		t.Errorf("DecodeParams(list_changed, absent) = %T, %v", p, err)
	}
}

// TestErrorData: the data of the errors the schema types decode strictly.
func TestErrorData(t *testing.T) {
	m, err := DecodeMessage([]byte(`{"jsonrpc":"2.0","id":1,"error":{"code":-32022,"message":"m","data":{"supported":["2026-07-28"],"requested":"1900-01-01"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	var d UnsupportedProtocolVersionData
	if err := Unmarshal(m.(*JSONRPCErrorResponse).Error.Data, &d); err != nil {
		t.Fatal(err)
	}
	if d.Requested == nil || *d.Requested != "1900-01-01" || len(d.Supported) != 1 || d.Supported[0] != Version {
		t.Errorf("UnsupportedProtocolVersionData = %+v", d)
	}
	var c MissingRequiredClientCapabilityData
	if err := Unmarshal([]byte(`{"requiredCapabilities":{"sampling":{"tools":{}}}}`), &c); err != nil {
		t.Fatal(err)
	}
	if !c.RequiredCapabilities.Has("sampling") || c.RequiredCapabilities.Sampling.Tools == nil {
		t.Errorf("MissingRequiredClientCapabilityData = %+v", c)
	}
	if err := Unmarshal([]byte(`{"supported":"2026-07-28","requested":"x"}`), &d); err == nil {
		t.Error("supported as a string decoded; want an error")
	}
}

func TestDescribeNotJSON(t *testing.T) {
	for body, want := range map[string]string{
		`{"a":1}x`:        `a JSON value followed by 1 more byte(s) ("x")`,
		`{"a":1} {"a":1}`: `a JSON value followed by 7 more byte(s) ("{\"a\":1}")`,
		`{"a":`:           `a JSON value cut short after 5 byte(s)`,
		`{a}`:             `a body that is not JSON (`,
	} {
		if got := DescribeNotJSON([]byte(body)); !strings.HasPrefix(got, want) {
			t.Errorf("%s: %q, want %q", body, got, want)
		}
	}
}

// TestShape: the counts are exact for valid JSON, and the same whatever
// pieces the text arrives in.
func TestShape(t *testing.T) {
	cases := []struct {
		text           string
		depth, members int
	}{
		{`1`, 0, 0},
		{`{}`, 1, 0},
		{`[ ]`, 1, 0},
		{`{"a":1}`, 1, 1},
		{`{"a":[1,2,3],"b":{}}`, 2, 5},
		{`[[],[[]],{"x":{"y":[0]}}]`, 4, 7},
		{`{"a,b":"[{\"}","c":"\\"}`, 1, 2},
		{` [ 1 , { "k" : null } ] `, 2, 3},
	}
	for _, c := range cases {
		for split := 0; split <= len(c.text); split++ {
			var sh Shape
			sh.Scan([]byte(c.text[:split]))
			sh.Scan([]byte(c.text[split:]))
			if sh.Depth != c.depth || sh.Members != c.members {
				t.Errorf("%s split at %d: depth %d members %d, want %d %d", c.text, split, sh.Depth, sh.Members, c.depth, c.members)
			}
		}
		if d := Depth([]byte(c.text)); d != c.depth {
			t.Errorf("Depth(%s) = %d, want %d", c.text, d, c.depth)
		}
	}
}

func TestCheckNameFolds(t *testing.T) {
	for text, bad := range map[string]bool{
		`{"name":1,"arguments":{"a":1,"b":{"c":[{"d":1,"e":2}]}}}`: false,
		`{"a":"A","A2":{"x":"X"}}`:                                 false,
		`[{"k":1},{"K":1}]`:                                        false,
		`{"name":1,"Name":2}`:                                      true,
		`{"arguments":{"Name":1,"x":{},"name":2}}`:                 true,
		`{"a":{"b":[{"ok":1,"OK":2}]}}`:                            true,
		`{"k":1,"\u212a":2}`:                                       true, // the Kelvin sign folds to k
		`{"a":1,"a":2}`:                                            true,
	} {
		err := CheckNameFolds([]byte(text))
		if (err != nil) != bad || (bad && !errors.Is(err, ErrNameCase)) {
			t.Errorf("%s: %v", text, err)
		}
	}
}

func callToolInfo() *MethodInfo {
	info, _ := LookupMethod("tools/call")
	return info
}
