package impl

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/mcpverify/mcpverify/wire"
)

// The official schema.json of the revision, as the repository keeps it.
const schemaPath = "../spec/schema.json"

var (
	schemaOnce     sync.Once
	schemaCompiler *jsonschema.Compiler
	schemaErr      error
	schemaCache    sync.Map
)

// schemaDef returns the compiled definition name of schema.json.
func schemaDef(t *testing.T, name string) *jsonschema.Schema {
	t.Helper()
	schemaOnce.Do(func() {
		raw, err := os.ReadFile(schemaPath)
		if err != nil {
			schemaErr = err
			return
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			schemaErr = err
			return
		}
		c := jsonschema.NewCompiler()
		c.UseLoader(refuseLoader{})
		schemaErr = c.AddResource("mem:///schema.json", doc)
		schemaCompiler = c
	})
	if schemaErr != nil {
		t.Skipf("schema.json: %v", schemaErr)
	}
	if s, ok := schemaCache.Load(name); ok {
		return s.(*jsonschema.Schema)
	}
	s, err := schemaCompiler.Compile("mem:///schema.json#/$defs/" + name)
	if err != nil {
		t.Fatalf("compile %s: %v", name, err)
	}
	schemaCache.Store(name, s)
	return s
}

// checkSchema validates one message the server sent in answer to a
// request of method against schema.json.
func checkSchema(t *testing.T, method string, msg map[string]any) {
	t.Helper()
	b, _ := json.Marshal(msg)
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	validate := func(def string, v any) {
		t.Helper()
		if err := schemaDef(t, def).Validate(v); err != nil {
			t.Errorf("%s answer does not validate as %s: %v\n%s", method, def, err, b)
		}
	}
	m := v.(map[string]any)
	switch {
	case m["method"] != nil:
		def := map[string]string{
			"notifications/progress":                   "ProgressNotification",
			"notifications/message":                    "LoggingMessageNotification",
			"notifications/subscriptions/acknowledged": "SubscriptionsAcknowledgedNotification",
			"notifications/tools/list_changed":         "ToolListChangedNotification",
			"notifications/prompts/list_changed":       "PromptListChangedNotification",
			"notifications/resources/list_changed":     "ResourceListChangedNotification",
			"notifications/resources/updated":          "ResourceUpdatedNotification",
			"notifications/cancelled":                  "CancelledNotification",
		}[m["method"].(string)]
		if def == "" {
			t.Errorf("the server sent %v", m["method"])
			return
		}
		validate(def, v)
	case m["error"] != nil:
		validate("JSONRPCErrorResponse", v)
		code, _ := get(m, "error", "code").(json.Number)
		switch code {
		case "-32020":
			validate("HeaderMismatchError", v)
		case "-32021":
			validate("MissingRequiredClientCapabilityError", v)
		case "-32022":
			validate("UnsupportedProtocolVersionError", v)
		case "-32002", "-32042":
			t.Errorf("the server emitted the retired code %s", code)
		}
	default:
		validate("JSONRPCResultResponse", v)
		res := m["result"]
		if get(res, "resultType") == "input_required" {
			validate("InputRequiredResult", res)
			return
		}
		info, ok := wire.LookupMethod(method)
		if !ok {
			t.Errorf("a result for unknown method %s", method)
			return
		}
		validate(strings.TrimSuffix(info.ResultDef, "Response"), res)
	}
}

// TestSchemaConformance sends one request of every kind the server serves
// (and many it refuses) and validates every message it answers with.
func TestSchemaConformance(t *testing.T) {
	h := newHarness(t, Config{})
	check := func(r rpc) {
		t.Helper()
		res := h.do(r)
		msgs := res.events
		if msgs == nil && res.msg != nil {
			msgs = []map[string]any{res.msg}
		}
		if len(msgs) == 0 {
			t.Errorf("%s: no message (%d %s)", r.Method, res.status, res.body)
		}
		for _, m := range msgs {
			checkSchema(t, r.Method, m)
		}
	}
	logMeta := meta(map[string]any{wire.MetaLogLevel: "debug", "progressToken": "tok"})
	for _, m := range []string{"server/discover", "tools/list", "prompts/list", "resources/list", "resources/templates/list"} {
		check(rpc{Method: m})
	}
	for _, tl := range h.s.reg.tools {
		args := map[string]any{}
		switch tl.def.Name {
		case "route_query":
			args = map[string]any{"region": "r", "query": "q"}
		case "get_weather":
			args = map[string]any{"location": "Lisbon"}
		case "wait":
			args = map[string]any{"ms": 30}
		case "json_schema_2020_12_tool":
			args = map[string]any{"email": "a@b.c"}
		}
		hdr := map[string]string{}
		if tl.def.Name == "route_query" {
			hdr["Mcp-Param-Region"] = "r"
		}
		check(rpc{Method: "tools/call", Params: map[string]any{"name": tl.def.Name, "arguments": args, "_meta": logMeta}, Headers: hdr})
	}
	for _, p := range h.s.reg.prompts {
		args := map[string]any{}
		for _, a := range p.def.Arguments {
			args[a.Name] = "v"
		}
		check(rpc{Method: "prompts/get", Params: map[string]any{"name": p.def.Name, "arguments": args}})
	}
	for _, uri := range []string{"test://static-text", "test://static-binary", "test://watched-resource", "test://confidential", "test://template/42/data", "test://missing"} {
		check(rpc{Method: "resources/read", Params: map[string]any{"uri": uri}})
	}
	check(rpc{Method: "completion/complete", Params: map[string]any{"ref": map[string]any{"type": "ref/prompt", "name": "test_prompt_with_arguments"}, "argument": map[string]any{"name": "arg1", "value": "te"}}})
	check(rpc{Method: "completion/complete", Params: map[string]any{"ref": map[string]any{"type": "ref/resource", "uri": "test://template/{id}/data"}, "argument": map[string]any{"name": "id", "value": ""}}})
	// Errors.
	check(rpc{Method: "server/discover", Params: map[string]any{"_meta": meta(map[string]any{wire.MetaProtocolVersion: "x"})}, Headers: map[string]string{"Mcp-Protocol-Version": "x"}})
	check(rpc{Method: "server/discover", Params: map[string]any{"_meta": meta(map[string]any{wire.MetaProtocolVersion: "x"})}})
	check(rpc{Method: "tools/call", Params: map[string]any{"name": "test_missing_capability", "_meta": meta(map[string]any{wire.MetaClientCapabilities: map[string]any{}})}})
	check(rpc{Method: "initialize"})
	check(rpc{Method: "server/discover", NoMeta: true})
	check(rpc{Method: "tools/list", Params: map[string]any{"cursor": "x"}})
	check(rpc{Raw: []byte(`{"jsonrpc":"2.0","id":1`), Method: "x"})
	// Subscriptions: acknowledgment, notification, teardown.
	s := openStream(t, h, listen(3, map[string]any{"toolsListChanged": true, "promptsListChanged": true, "resourcesListChanged": true, "resourceSubscriptions": []string{"test://watched-resource"}}))
	checkSchema(t, "subscriptions/listen", s.next())
	trigger(t, h, "test_trigger_tool_change", nil)
	trigger(t, h, "test_trigger_prompt_change", nil)
	trigger(t, h, "test_trigger_resource_change", map[string]any{"uri": "test://watched-resource"})
	for range 4 {
		checkSchema(t, "subscriptions/listen", s.next())
	}
	h.s.Close()
	checkSchema(t, "subscriptions/listen", s.next())
	checkSchema(t, "subscriptions/listen", s.next())
}

func TestFeatures(t *testing.T) {
	h := newHarness(t, Config{})
	// Tool definitions: named per SEP-986, described, with an object schema.
	for _, tl := range h.s.reg.tools {
		if len(tl.def.Name) > 64 || strings.Trim(tl.def.Name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./-") != "" || tl.def.Description == "" {
			t.Errorf("tool %q", tl.def.Name)
		}
	}
	// Input validation failures are tool errors.
	r := callTool(h, "get_weather", map[string]any{"arguments": map[string]any{"location": 5}})
	if get(r.result(), "isError") != true {
		t.Errorf("invalid arguments: %s", r.body)
	}
	// Structured output conforms to the output schema.
	r = callTool(h, "get_weather", map[string]any{"arguments": map[string]any{"location": "Oslo"}})
	sc := get(r.result(), "structuredContent")
	b, _ := json.Marshal(sc)
	v, _ := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err := h.s.reg.toolByName["get_weather"].out.Validate(v); err != nil || sc == nil {
		t.Errorf("structuredContent %s: %v", b, err)
	}
	// A resource that does not exist: -32602 with the URI, never contents.
	r = h.do(rpc{Method: "resources/read", Params: map[string]any{"uri": "test://nope"}})
	if r.errCode() != wire.CodeInvalidParams || get(r.msg, "error", "data", "uri") != "test://nope" {
		t.Errorf("missing resource: %s", r.body)
	}
	// Templates substitute.
	r = h.do(rpc{Method: "resources/read", Params: map[string]any{"uri": "test://template/123/data"}})
	if !strings.Contains(string(r.body), `Data for ID: 123`) {
		t.Errorf("template: %s", r.body)
	}
	for _, uri := range []string{"test://template//data", "test://template/1/2/data", "test://template/1/datax"} {
		if r := h.do(rpc{Method: "resources/read", Params: map[string]any{"uri": uri}}); r.errCode() != wire.CodeInvalidParams {
			t.Errorf("%s: %s", uri, r.body)
		}
	}
	// Completion: at most 100 values, with the total.
	r = h.do(rpc{Method: "completion/complete", Params: map[string]any{"ref": map[string]any{"type": "ref/resource", "uri": "test://template/{id}/data"}, "argument": map[string]any{"name": "id", "value": ""}}})
	vals, _ := get(r.result(), "completion", "values").([]any)
	if len(vals) != 100 || get(r.result(), "completion", "hasMore") != true || get(r.result(), "completion", "total") != 250.0 {
		t.Errorf("completion: %d values, %s", len(vals), r.body)
	}
	r = h.do(rpc{Method: "completion/complete", Params: map[string]any{"ref": map[string]any{"type": "ref/prompt", "name": "nope"}, "argument": map[string]any{"name": "a", "value": ""}}})
	if r.errCode() != wire.CodeInvalidParams {
		t.Errorf("completion of an unknown prompt: %s", r.body)
	}
	// Caching hints on every cacheable result.
	for _, m := range []rpc{{Method: "server/discover"}, {Method: "tools/list"}, {Method: "prompts/list"}, {Method: "resources/list"}, {Method: "resources/templates/list"},
		{Method: "resources/read", Params: map[string]any{"uri": "test://static-text"}}} {
		res := h.do(m).result()
		if ttl, ok := res["ttlMs"].(float64); !ok || ttl < 0 || (res["cacheScope"] != "public" && res["cacheScope"] != "private") {
			t.Errorf("%s caching hints: %v %v", m.Method, res["ttlMs"], res["cacheScope"])
		}
	}
	// The JSON Schema 2020-12 fixture reaches the client unchanged.
	r = h.do(rpc{Method: "tools/list"})
	for _, tl := range get(r.result(), "tools").([]any) {
		if get(tl, "name") == "json_schema_2020_12_tool" {
			got, _ := json.Marshal(get(tl, "inputSchema"))
			var a, b any
			json.Unmarshal(got, &a)
			json.Unmarshal([]byte(jsonSchema202012), &b)
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			if !bytes.Equal(ja, jb) {
				t.Errorf("inputSchema changed:\n%s\n%s", ja, jb)
			}
		}
	}
}

func TestHeaderAnnotationRules(t *testing.T) {
	bad := map[string]string{
		"not a token":      `{"type":"object","properties":{"a":{"type":"string","x-mcp-header":"A B"}}}`,
		"empty":            `{"type":"object","properties":{"a":{"type":"string","x-mcp-header":""}}}`,
		"number type":      `{"type":"object","properties":{"a":{"type":"number","x-mcp-header":"A"}}}`,
		"duplicate":        `{"type":"object","properties":{"a":{"type":"string","x-mcp-header":"A"},"b":{"type":"string","x-mcp-header":"a"}}}`,
		"under items":      `{"type":"object","properties":{"a":{"type":"array","items":{"type":"object","properties":{"b":{"type":"string","x-mcp-header":"B"}}}}}}`,
		"under anyOf":      `{"type":"object","anyOf":[{"properties":{"b":{"type":"string","x-mcp-header":"B"}}}]}`,
		"at the root":      `{"type":"object","x-mcp-header":"R"}`,
		"under $defs":      `{"type":"object","$defs":{"d":{"type":"string","x-mcp-header":"D"}}}`,
		"control char":     `{"type":"object","properties":{"a":{"type":"string","x-mcp-header":"A\r\nB"}}}`,
		"not a string":     `{"type":"object","properties":{"a":{"type":"string","x-mcp-header":5}}}`,
		"array type union": `{"type":"object","properties":{"a":{"type":["string","null"],"x-mcp-header":"A"}}}`,
	}
	for name, schema := range bad {
		if _, err := headerParams(wire.Value(schema)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	hp, err := headerParams(wire.Value(routeQuerySchema))
	if err != nil || len(hp) != 4 {
		t.Fatalf("route_query: %v %v", hp, err)
	}
}
