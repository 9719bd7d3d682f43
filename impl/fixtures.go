package impl

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/mcpverify/mcpverify/wire"
)

// The features the server offers: the fixtures of the official MCP
// conformance suite (tools, prompts and resources named test_* and
// test://...), and a few more that each show one rule of the spec:
//
//   - route_query: parameters mirrored into Mcp-Param-* headers
//     (x-mcp-header), including an integer, a boolean and a nested one;
//   - get_weather: an outputSchema, and structuredContent that conforms;
//   - wait: long work that reports progress and stops when cancelled;
//   - test_trigger_*: diagnostic hooks that announce a change to the open
//     subscriptions/listen streams that asked for it;
//   - transfer, cart_create, cart_add, cart_view, cart_delete: state that
//     spans requests, single-use confirmations and state handles bound to
//     their principal (fixtures_state.go).

// Fixture data: a 1x1 PNG and a minimal WAV.
const (
	testImageBase64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
	testAudioBase64 = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA="
)

// Content blocks (ContentBlock in schema.json).

// structuredResult is a tool result with structured content v: a summary
// for people, and, for clients that read only text, v serialized in a
// text block too (tools.mdx, "Structured Content": SHOULD).
func structuredResult(summary string, v any) *wire.CallToolResult {
	b := wire.MustMarshal(v)
	return &wire.CallToolResult{Content: []wire.ContentBlock{textContent(summary), textContent(string(b))}, StructuredContent: b}
}

func textContent(s string) *wire.TextContent { return &wire.TextContent{Type: "text", Text: s} }
func imageContent(b64, mime string) *wire.ImageContent {
	return &wire.ImageContent{Type: "image", Data: b64, MimeType: mime}
}
func audioContent(b64, mime string) *wire.AudioContent {
	return &wire.AudioContent{Type: "audio", Data: b64, MimeType: mime}
}
func textResource(uri, mime, text string) *wire.TextResourceContents {
	return &wire.TextResourceContents{URI: uri, MimeType: mime, Text: text}
}
func blobResource(uri, mime, b64 string) *wire.BlobResourceContents {
	return &wire.BlobResourceContents{URI: uri, MimeType: mime, Blob: b64}
}
func embedded(rc wire.TextOrBlobResourceContents) *wire.EmbeddedResource {
	return &wire.EmbeddedResource{Type: "resource", Resource: rc}
}

func textResult(s string) *wire.CallToolResult {
	return &wire.CallToolResult{Content: []wire.ContentBlock{textContent(s)}}
}

func toolError(s string) *wire.CallToolResult {
	t := true
	return &wire.CallToolResult{Content: []wire.ContentBlock{textContent(s)}, IsError: &t}
}

// readResult is a ReadResourceResult of one item with caching hints.
func readResult(rc wire.TextOrBlobResourceContents, ttlMs int64, scope string) *wire.ReadResourceResult {
	return &wire.ReadResourceResult{Contents: []wire.TextOrBlobResourceContents{rc}, TTLMs: &ttlMs, CacheScope: scope}
}

func promptResult(msgs ...wire.PromptMessage) *wire.GetPromptResult {
	return &wire.GetPromptResult{Messages: msgs}
}

func userMessage(c wire.ContentBlock) wire.PromptMessage {
	return wire.PromptMessage{Role: "user", Content: c}
}

// Schemas used by several tools.
const (
	noArgsSchema  = `{"type":"object","properties":{},"additionalProperties":false}`
	anyArgsSchema = `{"type":"object"}`
)

// Elicitation forms of the MRTR fixtures.
var (
	formName    = newElicitForm("What is your name?", map[string]string{"name": "string"})
	formConfirm = newElicitForm("Please confirm", map[string]string{"ok": "boolean"})
	formStep1   = newElicitForm("Step 1: What is your name?", map[string]string{"name": "string"})
	formStep2   = newElicitForm("Step 2: What is your favorite color?", map[string]string{"color": "string"})
	formValue   = newElicitForm("Elicitation input", map[string]string{"value": "string"})
	formContext = newElicitForm("What context should the prompt use?", map[string]string{"context": "string"})
	formRelease = newElicitForm("Release the confidential resource?", map[string]string{"release": "boolean"})
)

// jsonSchema202012 is the input schema of json_schema_2020_12_tool: every
// keyword of it must reach the client unchanged.
const jsonSchema202012 = `{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","$defs":{"address":{"$anchor":"addressDef","type":"object","properties":{"street":{"type":"string"},"city":{"type":"string"}}}},"properties":{"name":{"type":"string"},"address":{"$ref":"#/$defs/address"},"contactMethod":{"type":"string","enum":["phone","email"]},"phone":{"type":"string"},"email":{"type":"string"}},"allOf":[{"anyOf":[{"required":["phone"]},{"required":["email"]}]}],"if":{"properties":{"contactMethod":{"const":"phone"}},"required":["contactMethod"]},"then":{"required":["phone"]},"else":{"required":["email"]},"additionalProperties":false}`

// routeQuerySchema annotates parameters with x-mcp-header.
const routeQuerySchema = `{"type":"object","properties":{` +
	`"region":{"type":"string","description":"The region to run the query in; mirrored into Mcp-Param-Region","x-mcp-header":"Region"},` +
	`"priority":{"type":"integer","minimum":-9007199254740991,"maximum":9007199254740991,"description":"Queue priority; mirrored into Mcp-Param-Priority","x-mcp-header":"Priority"},` +
	`"dryRun":{"type":"boolean","description":"Plan only; mirrored into Mcp-Param-Dry-Run","x-mcp-header":"Dry-Run"},` +
	`"tenant":{"type":"object","properties":{"id":{"type":"string","description":"Tenant; mirrored into Mcp-Param-Tenant-Id","x-mcp-header":"Tenant-Id"}}},` +
	`"query":{"type":"string","description":"The query to run"}},` +
	`"required":["region","query"]}`

const weatherInput = `{"type":"object","properties":{"location":{"type":"string","minLength":1}},"required":["location"],"additionalProperties":false}`
const weatherOutput = `{"type":"object","properties":{"temperature":{"type":"number","description":"Celsius"},"conditions":{"type":"string"},"humidity":{"type":"number","minimum":0,"maximum":100}},"required":["temperature","conditions","humidity"],"additionalProperties":false}`

const waitSchema = `{"type":"object","properties":{"ms":{"type":"integer","minimum":0,"maximum":10000,"description":"How long to work, in milliseconds"}},"additionalProperties":false}`

const triggerResourceSchema = `{"type":"object","properties":{"uri":{"type":"string","description":"Resource whose update to announce"}},"additionalProperties":false}`

func (r *registry) addFixtures(s *Server) error {
	type spec struct {
		name, desc, input, output string
		run                       toolFunc
		static                    *wire.CallToolResult
		annotations               *wire.ToolAnnotations
	}
	readOnly := &wire.ToolAnnotations{ReadOnlyHint: ptr(true)}
	specs := []spec{
		{name: "test_simple_text", desc: "Tests simple text content response", input: noArgsSchema,
			static: textResult("This is a simple text response for testing."), annotations: readOnly},
		{name: "test_image_content", desc: "Tests image content response", input: noArgsSchema,
			static: &wire.CallToolResult{Content: []wire.ContentBlock{imageContent(testImageBase64, "image/png")}}},
		{name: "test_audio_content", desc: "Tests audio content response", input: noArgsSchema,
			static: &wire.CallToolResult{Content: []wire.ContentBlock{audioContent(testAudioBase64, "audio/wav")}}},
		{name: "test_embedded_resource", desc: "Tests embedded resource content response", input: noArgsSchema,
			static: &wire.CallToolResult{Content: []wire.ContentBlock{embedded(textResource("test://embedded-resource", "text/plain", "This is an embedded resource content."))}}},
		{name: "test_multiple_content_types", desc: "Tests response with multiple content types (text, image, resource)", input: noArgsSchema,
			static: &wire.CallToolResult{Content: []wire.ContentBlock{
				textContent("Multiple content types test:"),
				imageContent(testImageBase64, "image/png"),
				embedded(textResource("test://mixed-content-resource", "application/json", `{"test":"data","value":123}`)),
			}}},
		{name: "test_tool_with_logging", desc: "Tests tool that emits log messages during execution (send io.modelcontextprotocol/logLevel to receive them)", input: noArgsSchema, run: runLogging},
		{name: "test_tool_with_progress", desc: "Tests tool that reports progress notifications (send a progressToken to receive them)", input: noArgsSchema, run: runProgress},
		{name: "test_error_handling", desc: "Tests error response handling: always fails with a tool execution error", input: noArgsSchema,
			static: toolError("This tool intentionally returns an error for testing")},
		{name: "json_schema_2020_12_tool", desc: "Tool with JSON Schema 2020-12 features for conformance testing (SEP-1613)", input: jsonSchema202012, run: runEchoArgs},
		{name: "test_missing_capability", desc: "Requires the sampling client capability: asks for an LLM completion", input: noArgsSchema, run: runSampling("capability_check", "Reply with OK.")},
		{name: "test_input_required_result_elicitation", desc: "MRTR: asks for the user's name by elicitation", input: noArgsSchema, run: runElicitName},
		{name: "test_input_required_result_sampling", desc: "MRTR: asks for an LLM completion", input: noArgsSchema, run: runSampling("capital_question", "What is the capital of France?")},
		{name: "test_input_required_result_list_roots", desc: "MRTR: asks for the client's roots", input: noArgsSchema, run: runRoots},
		{name: "test_input_required_result_request_state", desc: "MRTR: asks for confirmation and carries sealed requestState", input: noArgsSchema, run: runRequestState},
		{name: "test_input_required_result_multiple_inputs", desc: "MRTR: asks for elicitation, sampling and roots at once", input: noArgsSchema, run: runMultipleInputs},
		{name: "test_input_required_result_multi_round", desc: "MRTR: two rounds of elicitation, state carried between them", input: noArgsSchema, run: runMultiRound},
		{name: "test_input_required_result_tampered_state", desc: "MRTR: integrity-protected requestState; tampered state is rejected", input: noArgsSchema, run: runTamperTest},
		{name: "test_input_required_result_capabilities", desc: "MRTR: asks only for the input kinds the client declares", input: noArgsSchema, run: runCapabilities},
		{name: "test_streaming_elicitation", desc: "Diagnostic: asks for input by InputRequiredResult, never by a request on the response stream", input: noArgsSchema, run: runStreamingElicitation},
		{name: "test_logging_tool", desc: "Diagnostic: logs only when the request sets io.modelcontextprotocol/logLevel", input: noArgsSchema, run: runLogOnce},
		{name: "test_trigger_tool_change", desc: "Diagnostic: announces a tools list change to open subscriptions", input: noArgsSchema, run: runTrigger(topicTools)},
		{name: "test_trigger_prompt_change", desc: "Diagnostic: announces a prompts list change to open subscriptions", input: noArgsSchema, run: runTrigger(topicPrompts)},
		{name: "test_trigger_resource_change", desc: "Diagnostic: announces a resources list change, and an update of uri if given, to open subscriptions", input: triggerResourceSchema, run: runTriggerResource},
		{name: "route_query", desc: "Routes a query to a region. region, priority, dryRun and tenant.id are mirrored into Mcp-Param-* headers (x-mcp-header)", input: routeQuerySchema, run: runRouteQuery},
		{name: "get_weather", desc: "Returns (made-up) weather for a location as structured content that conforms to the outputSchema", input: weatherInput, output: weatherOutput, run: runWeather, annotations: readOnly},
		{name: "wait", desc: "Works for ms milliseconds (default 100), reporting progress; stops as soon as the request is cancelled", input: waitSchema, run: runWait, annotations: readOnly},
	}
	for _, sp := range specs {
		def := wire.Tool{Name: sp.name, Description: sp.desc, InputSchema: wire.Value(sp.input), Annotations: sp.annotations}
		if sp.output != "" {
			def.OutputSchema = wire.Value(sp.output)
		}
		t, err := newTool(def, sp.run)
		if err != nil {
			return fmt.Errorf("impl: %w", err)
		}
		if sp.static != nil {
			sp.static.Meta, sp.static.ResultType = s.meta, wire.ResultComplete
			b, rerr := encode(sp.static)
			if rerr != nil {
				return rerr
			}
			t.static = b
		}
		if err := r.addTool(t); err != nil {
			return err
		}
	}

	r.addPrompt(&prompt{def: wire.Prompt{Name: "test_simple_prompt", Title: "Simple Test Prompt", Description: "A simple prompt without arguments"},
		run: func(x *exchange, args map[string]string, in *inputs) (*wire.GetPromptResult, *ask, *rpcError) {
			return promptResult(userMessage(textContent("This is a simple prompt for testing."))), nil, nil
		}})
	r.addPrompt(&prompt{def: wire.Prompt{Name: "test_prompt_with_arguments", Title: "Prompt With Arguments", Description: "A prompt with required arguments",
		Arguments: []wire.PromptArgument{{Name: "arg1", Description: "First test argument", Required: ptr(true)}, {Name: "arg2", Description: "Second test argument", Required: ptr(true)}}},
		run: func(x *exchange, args map[string]string, in *inputs) (*wire.GetPromptResult, *ask, *rpcError) {
			return promptResult(userMessage(textContent(fmt.Sprintf("Prompt with arguments: arg1='%s', arg2='%s'", args["arg1"], args["arg2"])))), nil, nil
		}})
	r.addPrompt(&prompt{def: wire.Prompt{Name: "test_prompt_with_embedded_resource", Title: "Prompt With Embedded Resource", Description: "A prompt that includes an embedded resource",
		Arguments: []wire.PromptArgument{{Name: "resourceUri", Description: "URI of the resource to embed", Required: ptr(true)}}},
		run: func(x *exchange, args map[string]string, in *inputs) (*wire.GetPromptResult, *ask, *rpcError) {
			// The resource is embedded under the URI the client gives: it must
			// be one (prompts.mdx, PromptMessage: a valid resource URI).
			if p := wire.URIProblem(args["resourceUri"]); p != "" {
				return nil, nil, errInvalid(map[string]any{"argument": "resourceUri"}, "Invalid params: resourceUri %q is not a URI: %s", args["resourceUri"], p)
			}
			return promptResult(
				userMessage(embedded(textResource(args["resourceUri"], "text/plain", "Embedded resource content for testing."))),
				userMessage(textContent("Please process the embedded resource above.")),
			), nil, nil
		}})
	r.addPrompt(&prompt{def: wire.Prompt{Name: "test_prompt_with_image", Title: "Prompt With Image", Description: "A prompt that includes image content"},
		run: func(x *exchange, args map[string]string, in *inputs) (*wire.GetPromptResult, *ask, *rpcError) {
			return promptResult(
				userMessage(imageContent(testImageBase64, "image/png")),
				userMessage(textContent("Please analyze the image above.")),
			), nil, nil
		}})
	r.addPrompt(&prompt{def: wire.Prompt{Name: "test_input_required_result_prompt", Title: "Prompt Requiring Input", Description: "MRTR: prompt that requires elicitation input"},
		run: func(x *exchange, args map[string]string, in *inputs) (*wire.GetPromptResult, *ask, *rpcError) {
			r, err := in.elicitation("user_context", formContext)
			if err != nil {
				return nil, nil, err
			}
			if r == nil {
				return nil, &ask{requests: map[string]wire.InputRequest{"user_context": formContext.request()}}, nil
			}
			text := "The user declined to give context."
			if r.Action == "accept" {
				text = "Prompt with context: " + fmt.Sprint(r.Content["context"])
			}
			return promptResult(userMessage(textContent(text))), nil, nil
		}})

	static := func(uri, name, title, desc, mime string, rc wire.TextOrBlobResourceContents) {
		r.addResource(&resource{def: wire.Resource{URI: uri, Name: name, Title: title, Description: desc, MimeType: mime},
			read: func(*exchange, string, map[string]string, *inputs) (*wire.ReadResourceResult, *ask, *rpcError) {
				return readResult(rc, readTTLMs, wire.CacheScopePublic), nil, nil
			}})
	}
	static("test://static-text", "static-text", "Static Text Resource", "A static text resource for testing", "text/plain",
		textResource("test://static-text", "text/plain", "This is the content of the static text resource."))
	static("test://static-binary", "static-binary", "Static Binary Resource", "A static binary resource (image) for testing", "image/png",
		blobResource("test://static-binary", "image/png", testImageBase64))
	static("test://watched-resource", "watched-resource", "Watched Resource", "A resource to subscribe to; test_trigger_resource_change announces updates", "text/plain",
		textResource("test://watched-resource", "text/plain", "Watched resource content"))
	r.addResource(&resource{def: wire.Resource{URI: "test://confidential", Name: "confidential", Title: "Confidential Resource",
		Description: "MRTR: asks the user for confirmation before it is read", MimeType: "text/plain"},
		read: func(x *exchange, uri string, _ map[string]string, in *inputs) (*wire.ReadResourceResult, *ask, *rpcError) {
			r, err := in.elicitation("release", formRelease)
			if err != nil {
				return nil, nil, err
			}
			if r == nil {
				return nil, &ask{requests: map[string]wire.InputRequest{"release": formRelease.request()}}, nil
			}
			text := "Release declined."
			if r.Action == "accept" && r.Content["release"] == true {
				text = "The confidential content."
			}
			// Depends on the retry's input: private and immediately stale.
			return readResult(textResource(uri, "text/plain", text), 0, wire.CacheScopePrivate), nil, nil
		}})
	tmpl, err := parseTemplate("test://template/{id}/data")
	if err != nil {
		return err
	}
	r.addResource(&resource{tmplDef: wire.ResourceTemplate{URITemplate: "test://template/{id}/data", Name: "template", Title: "Resource Template",
		Description: "A resource template with parameter substitution", MimeType: "application/json"}, tmpl: tmpl, completions: idCandidates,
		read: func(x *exchange, uri string, vars map[string]string, in *inputs) (*wire.ReadResourceResult, *ask, *rpcError) {
			body := wire.MustMarshal(struct {
				ID           string `json:"id"`
				TemplateTest bool   `json:"templateTest"`
				Data         string `json:"data"`
			}{vars["id"], true, "Data for ID: " + vars["id"]})
			return readResult(textResource(uri, "application/json", string(body)), readTTLMs, wire.CacheScopePublic), nil, nil
		}})
	return nil
}

func ptr[T any](v T) *T { return &v }

// sleep waits d or until the request is cancelled.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func runLogging(x *exchange, _ map[string]any, _ *inputs) (*wire.CallToolResult, *ask, *rpcError) {
	for i, msg := range []string{"Tool execution started", "Tool processing data", "Tool execution completed"} {
		if i > 0 {
			if sleep(x.ctx, 20*time.Millisecond) != nil {
				return nil, nil, nil
			}
		}
		if x.logf("info", "test_tool_with_logging", msg) != nil {
			return nil, nil, nil
		}
	}
	return textResult("Tool with logging executed successfully"), nil, nil
}

func runLogOnce(x *exchange, _ map[string]any, _ *inputs) (*wire.CallToolResult, *ask, *rpcError) {
	if x.logf("info", "test_logging_tool", "Diagnostic trace logging activated") != nil {
		return nil, nil, nil
	}
	return textResult("Logging evaluated"), nil, nil
}

func runProgress(x *exchange, _ map[string]any, _ *inputs) (*wire.CallToolResult, *ask, *rpcError) {
	for i, p := range []float64{0, 50, 100} {
		if i > 0 {
			if sleep(x.ctx, 20*time.Millisecond) != nil {
				return nil, nil, nil
			}
		}
		if x.progress(p, 100, fmt.Sprintf("Completed step %v of 100", p)) != nil {
			return nil, nil, nil
		}
	}
	tok := "none"
	if t := x.meta.ProgressToken; t != nil {
		tok = strings.Trim(t.String(), `"`)
	}
	return textResult(tok), nil, nil
}

func runWait(x *exchange, args map[string]any, _ *inputs) (*wire.CallToolResult, *ask, *rpcError) {
	ms := int64(100)
	if v, ok := args["ms"].(json.Number); ok {
		ms, _ = v.Int64()
	}
	const step = 10 * time.Millisecond
	start := time.Now()
	total := time.Duration(ms) * time.Millisecond
	for done := time.Duration(0); done < total; done += step {
		if sleep(x.ctx, min(step, total-done)) != nil {
			return nil, nil, nil
		}
		if x.progress(float64(min(done+step, total).Milliseconds()), float64(ms), "") != nil {
			return nil, nil, nil
		}
	}
	return textResult(fmt.Sprintf("waited %d ms (%v)", ms, time.Since(start).Round(time.Millisecond))), nil, nil
}

func runEchoArgs(x *exchange, args map[string]any, _ *inputs) (*wire.CallToolResult, *ask, *rpcError) {
	b, err := wire.Marshal(args)
	if err != nil {
		return nil, nil, errInternal("encode arguments: %v", err)
	}
	return textResult("JSON Schema 2020-12 tool called with: " + string(b)), nil, nil
}

func runRouteQuery(x *exchange, args map[string]any, _ *inputs) (*wire.CallToolResult, *ask, *rpcError) {
	return textResult(fmt.Sprintf("Routed query %q to region %v", args["query"], args["region"])), nil, nil
}

// weather is the (made-up) weather of weatherOutput.
type weather struct {
	Temperature float64 `json:"temperature"`
	Conditions  string  `json:"conditions"`
	Humidity    float64 `json:"humidity"`
}

// weatherAt derives the weather of a location from its name.
func weatherAt(loc string) weather {
	h := sha256.Sum256([]byte(strings.ToLower(loc)))
	n := binary.BigEndian.Uint64(h[:8])
	return weather{
		Temperature: math.Round((float64(n%500)/10-10)*10) / 10,
		Conditions:  []string{"Clear", "Partly cloudy", "Overcast", "Rain", "Snow"}[n%5],
		Humidity:    float64(n % 101),
	}
}

func runWeather(x *exchange, args map[string]any, _ *inputs) (*wire.CallToolResult, *ask, *rpcError) {
	loc, _ := args["location"].(string)
	text := wire.MustMarshal(weatherAt(loc))
	return &wire.CallToolResult{Content: []wire.ContentBlock{textContent(string(text))}, StructuredContent: text}, nil, nil
}

func runTrigger(topic string) toolFunc {
	return func(x *exchange, _ map[string]any, _ *inputs) (*wire.CallToolResult, *ask, *rpcError) {
		n := x.s.hub.publish(topic, "")
		return textResult(fmt.Sprintf("Mutation triggered: notified %d subscription(s)", n)), nil, nil
	}
}

func runTriggerResource(x *exchange, args map[string]any, _ *inputs) (*wire.CallToolResult, *ask, *rpcError) {
	n := x.s.hub.publish(topicResources, "")
	if uri, ok := args["uri"].(string); ok {
		n += x.s.hub.publish(topicResourceUpdated, uri)
	}
	return textResult(fmt.Sprintf("Mutation triggered: %d notification(s) sent", n)), nil, nil
}

// MRTR fixtures.

func runElicitName(x *exchange, _ map[string]any, in *inputs) (*wire.CallToolResult, *ask, *rpcError) {
	r, err := in.elicitation("user_name", formName)
	if err != nil {
		return nil, nil, err
	}
	if r == nil {
		return nil, &ask{requests: map[string]wire.InputRequest{"user_name": formName.request()}}, nil
	}
	if r.Action != "accept" {
		return toolError("The user did not give a name (" + r.Action + ")."), nil, nil
	}
	return textResult(fmt.Sprintf("Hello, %v!", r.Content["name"])), nil, nil
}

func runSampling(key, question string) toolFunc {
	return func(x *exchange, _ map[string]any, in *inputs) (*wire.CallToolResult, *ask, *rpcError) {
		text, ok, err := in.sampling(key)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			return nil, &ask{requests: map[string]wire.InputRequest{key: samplingRequest(question, 100)}}, nil
		}
		return textResult("Sampling result: " + text), nil, nil
	}
}

func runRoots(x *exchange, _ map[string]any, in *inputs) (*wire.CallToolResult, *ask, *rpcError) {
	roots, ok, err := in.roots("client_roots")
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, &ask{requests: map[string]wire.InputRequest{"client_roots": rootsRequest()}}, nil
	}
	return textResult(fmt.Sprintf("Found %d root(s)", len(roots))), nil, nil
}

// kindState is the sealed state of fixtures that need one.
type kindState struct {
	Kind  string            `json:"kind"`
	Round int               `json:"round,omitzero"`
	Got   map[string]string `json:"got,omitzero"`
}

// runRequestState completes only with a verified state of its own kind and
// the confirmation; anything less asks again.
func runRequestState(x *exchange, _ map[string]any, in *inputs) (*wire.CallToolResult, *ask, *rpcError) {
	return confirmWithState(in, "request-state", "state-ok: requestState validated")
}

func runTamperTest(x *exchange, _ map[string]any, in *inputs) (*wire.CallToolResult, *ask, *rpcError) {
	return confirmWithState(in, "tamper-test", "integrity-ok: state verified")
}

func confirmWithState(in *inputs, kind, okText string) (*wire.CallToolResult, *ask, *rpcError) {
	again := &ask{requests: map[string]wire.InputRequest{"confirm": formConfirm.request()}, data: kindState{Kind: kind}}
	var st kindState
	if !in.stateData(&st) || st.Kind != kind {
		return nil, again, nil
	}
	r, err := in.elicitation("confirm", formConfirm)
	if err != nil {
		return nil, nil, err
	}
	if r == nil {
		return nil, again, nil
	}
	if r.Action != "accept" || r.Content["ok"] != true {
		return toolError("Not confirmed."), nil, nil
	}
	return textResult(okText), nil, nil
}

// runMultipleInputs asks for three inputs; what arrives is kept in the
// state, and only what is still missing is asked for again.
func runMultipleInputs(x *exchange, _ map[string]any, in *inputs) (*wire.CallToolResult, *ask, *rpcError) {
	st := kindState{Kind: "multiple-inputs", Got: map[string]string{}}
	var prev kindState
	if in.stateData(&prev) && prev.Kind == st.Kind {
		for k, v := range prev.Got {
			st.Got[k] = v
		}
	}
	if _, ok := st.Got["user_name"]; !ok {
		r, err := in.elicitation("user_name", formName)
		if err != nil {
			return nil, nil, err
		}
		if r != nil {
			st.Got["user_name"] = fmt.Sprint(r.Content["name"])
			if r.Action != "accept" {
				st.Got["user_name"] = "(" + r.Action + ")"
			}
		}
	}
	if _, ok := st.Got["greeting"]; !ok {
		text, ok, err := in.sampling("greeting")
		if err != nil {
			return nil, nil, err
		}
		if ok {
			st.Got["greeting"] = text
		}
	}
	if _, ok := st.Got["client_roots"]; !ok {
		roots, ok, err := in.roots("client_roots")
		if err != nil {
			return nil, nil, err
		}
		if ok {
			st.Got["client_roots"] = strconv.Itoa(len(roots))
		}
	}
	req := map[string]wire.InputRequest{}
	if _, ok := st.Got["user_name"]; !ok {
		req["user_name"] = formName.request()
	}
	if _, ok := st.Got["greeting"]; !ok {
		req["greeting"] = samplingRequest("Generate a greeting", 50)
	}
	if _, ok := st.Got["client_roots"]; !ok {
		req["client_roots"] = rootsRequest()
	}
	if len(req) > 0 {
		return nil, &ask{requests: req, data: st}, nil
	}
	return textResult(fmt.Sprintf("Name: %s; Greeting: %s; Roots: %s", st.Got["user_name"], st.Got["greeting"], st.Got["client_roots"])), nil, nil
}

// runMultiRound asks for a name, then for a color, carrying the name in
// the sealed state.
func runMultiRound(x *exchange, _ map[string]any, in *inputs) (*wire.CallToolResult, *ask, *rpcError) {
	round1 := &ask{requests: map[string]wire.InputRequest{"step1": formStep1.request()}, data: kindState{Kind: "multi-round", Round: 1}}
	var st kindState
	if !in.stateData(&st) || st.Kind != "multi-round" {
		return nil, round1, nil
	}
	switch st.Round {
	case 1:
		r, err := in.elicitation("step1", formStep1)
		if err != nil {
			return nil, nil, err
		}
		if r == nil || r.Action != "accept" {
			return nil, round1, nil
		}
		name := fmt.Sprint(r.Content["name"])
		return nil, &ask{requests: map[string]wire.InputRequest{"step2": formStep2.request()},
			data: kindState{Kind: "multi-round", Round: 2, Got: map[string]string{"name": name}}}, nil
	case 2:
		r, err := in.elicitation("step2", formStep2)
		if err != nil {
			return nil, nil, err
		}
		if r == nil || r.Action != "accept" {
			return nil, &ask{requests: map[string]wire.InputRequest{"step2": formStep2.request()}, data: st}, nil
		}
		return textResult(fmt.Sprintf("Multi-round complete for %s who likes %v", st.Got["name"], r.Content["color"])), nil, nil
	}
	return nil, round1, nil
}

// runCapabilities asks only for what the request's clientCapabilities
// declare, and completes when nothing can be asked.
func runCapabilities(x *exchange, _ map[string]any, in *inputs) (*wire.CallToolResult, *ask, *rpcError) {
	var got []string
	if r, err := in.elicitation("elicit_input", formValue); err != nil {
		return nil, nil, err
	} else if r != nil {
		got = append(got, "elicit_input")
	}
	if _, ok, err := in.sampling("sample_input"); err != nil {
		return nil, nil, err
	} else if ok {
		got = append(got, "sample_input")
	}
	if len(got) > 0 {
		return textResult("capabilities-ok: received " + strings.Join(got, ",")), nil, nil
	}
	req := map[string]wire.InputRequest{}
	if x.missingCapability(formValue.request(), &wire.ClientCapabilities{}) == "" {
		req["elicit_input"] = formValue.request()
	}
	if x.missingCapability(samplingRequest("", 1), &wire.ClientCapabilities{}) == "" {
		req["sample_input"] = samplingRequest("Sample request", 50)
	}
	if len(req) == 0 {
		return textResult("No supported capabilities declared"), nil, nil
	}
	return nil, &ask{requests: req, data: kindState{Kind: "capabilities-test"}}, nil
}

func runStreamingElicitation(x *exchange, _ map[string]any, in *inputs) (*wire.CallToolResult, *ask, *rpcError) {
	r, err := in.elicitation("user_name", formName)
	if err != nil {
		return nil, nil, err
	}
	if r == nil {
		return nil, &ask{requests: map[string]wire.InputRequest{"user_name": formName.request()}}, nil
	}
	return textResult("Streaming complete"), nil, nil
}
