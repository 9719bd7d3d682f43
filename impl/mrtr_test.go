package impl

import (
	"strings"
	"testing"

	"github.com/mcpverify/mcpverify/wire"
)

func callTool(h *harness, name string, extra map[string]any) *resp {
	p := map[string]any{"name": name, "arguments": map[string]any{}}
	for k, v := range extra {
		p[k] = v
	}
	return h.do(rpc{Method: "tools/call", Params: p})
}

func accept(content map[string]any) map[string]any {
	return map[string]any{"action": "accept", "content": content}
}

func TestMRTRElicitation(t *testing.T) {
	h := newHarness(t, Config{})
	r1 := callTool(h, "test_input_required_result_elicitation", nil)
	res := r1.result()
	if res["resultType"] != "input_required" || get(res, "inputRequests", "user_name", "method") != "elicitation/create" {
		t.Fatalf("round 1: %s", r1.body)
	}
	if res["requestState"] == nil {
		t.Error("InputRequiredResult without requestState")
	}
	if res["ttlMs"] != nil || res["cacheScope"] != nil {
		t.Error("an InputRequiredResult carries caching hints")
	}
	// With the state and extra, unrequested responses: complete.
	r2 := callTool(h, "test_input_required_result_elicitation", map[string]any{
		"requestState":   res["requestState"],
		"inputResponses": map[string]any{"user_name": accept(map[string]any{"name": "Alice"}), "extra": accept(map[string]any{"x": 1})},
	})
	if !strings.Contains(string(r2.body), "Hello, Alice!") {
		t.Errorf("round 2: %s", r2.body)
	}
	// A missing response: asked again, not an error.
	r3 := callTool(h, "test_input_required_result_elicitation", map[string]any{"inputResponses": map[string]any{"wrong_key": accept(map[string]any{"data": "x"})}})
	if get(r3.result(), "resultType") != "input_required" {
		t.Errorf("missing response: %s", r3.body)
	}
	// Declined.
	r4 := callTool(h, "test_input_required_result_elicitation", map[string]any{"inputResponses": map[string]any{"user_name": map[string]any{"action": "decline"}}})
	if get(r4.result(), "isError") != true {
		t.Errorf("declined: %s", r4.body)
	}
}

func TestMRTRInvalidInput(t *testing.T) {
	h := newHarness(t, Config{})
	cases := map[string]any{
		"number":                 12345,
		"null responses":         nil,
		"array":                  []any{1},
		"bad action":             map[string]any{"user_name": map[string]any{"action": "maybe"}},
		"accept without content": map[string]any{"user_name": map[string]any{"action": "accept"}},
		"content off schema":     map[string]any{"user_name": accept(map[string]any{"name": 5})},
		"value not an object":    map[string]any{"user_name": 12345},
	}
	for name, v := range cases {
		ir := v
		if name == "number" {
			ir = map[string]any{"user_name": 12345}
		}
		r := callTool(h, "test_input_required_result_elicitation", map[string]any{"inputResponses": ir})
		if r.errCode() != wire.CodeInvalidParams {
			t.Errorf("%s: %s", name, r.body)
		}
	}
	// Sampling and roots responses are checked too: the role is assistant
	// or user, and nothing else.
	r := callTool(h, "test_input_required_result_sampling", map[string]any{"inputResponses": map[string]any{"capital_question": map[string]any{"role": "assistant"}}})
	if r.errCode() != wire.CodeInvalidParams {
		t.Errorf("sampling result without model: %s", r.body)
	}
	for role, ok := range map[string]bool{"assistant": true, "user": true, "system": false, "": false} {
		res := map[string]any{"role": role, "model": "m", "content": map[string]any{"type": "text", "text": "Paris"}}
		r := callTool(h, "test_input_required_result_sampling", map[string]any{"inputResponses": map[string]any{"capital_question": res}})
		if (r.errCode() == 0) != ok {
			t.Errorf("sampling result of role %q: %s", role, r.body)
		}
	}
	r = callTool(h, "test_input_required_result_list_roots", map[string]any{"inputResponses": map[string]any{"client_roots": map[string]any{"roots": []any{map[string]any{"uri": "http://x"}}}}})
	if r.errCode() != wire.CodeInvalidParams {
		t.Errorf("non-file root: %s", r.body)
	}
}

func TestMRTRStateRules(t *testing.T) {
	h := newHarness(t, Config{})
	r1 := callTool(h, "test_input_required_result_tampered_state", nil)
	st, _ := get(r1.result(), "requestState").(string)
	confirm := map[string]any{"confirm": accept(map[string]any{"ok": true})}
	if r := callTool(h, "test_input_required_result_tampered_state", map[string]any{"requestState": st, "inputResponses": confirm}); !strings.Contains(string(r.body), "integrity-ok") {
		t.Fatalf("valid state: %s", r.body)
	}
	for name, bad := range map[string]string{"suffix": st + "-TAMPERED", "truncated": st[:len(st)-2], "foreign": "eyJ0YW1wZXJlZCI6dHJ1ZX0"} {
		r := callTool(h, "test_input_required_result_tampered_state", map[string]any{"requestState": bad, "inputResponses": confirm})
		if r.errCode() != wire.CodeInvalidParams {
			t.Errorf("%s state: %s", name, r.body)
		}
	}
	// The state of one tool is not accepted by another, nor with other
	// arguments.
	r := callTool(h, "test_input_required_result_request_state", map[string]any{"requestState": st, "inputResponses": confirm})
	if r.errCode() != wire.CodeInvalidParams {
		t.Errorf("state of another tool: %s", r.body)
	}
	r = callTool(h, "test_input_required_result_tampered_state", map[string]any{"arguments": map[string]any{"x": 1}, "requestState": st, "inputResponses": confirm})
	if r.errCode() != wire.CodeInvalidParams {
		t.Errorf("state with other arguments: %s", r.body)
	}
	// A retry without the state asks again.
	r = callTool(h, "test_input_required_result_tampered_state", map[string]any{"inputResponses": confirm})
	if get(r.result(), "resultType") != "input_required" {
		t.Errorf("retry without state: %s", r.body)
	}
	// State on a tool that never asks is rejected too.
	r = callTool(h, "test_simple_text", map[string]any{"requestState": st})
	if r.errCode() != wire.CodeInvalidParams {
		t.Errorf("state on test_simple_text: %s", r.body)
	}
}

func TestMRTRCapabilities(t *testing.T) {
	h := newHarness(t, Config{})
	caps := func(c map[string]any) map[string]any {
		return map[string]any{"_meta": meta(map[string]any{wire.MetaClientCapabilities: c})}
	}
	r := callTool(h, "test_input_required_result_elicitation", caps(map[string]any{"sampling": map[string]any{}}))
	if r.status != 400 || r.errCode() != wire.CodeMissingRequiredClientCapability {
		t.Fatalf("no elicitation capability: %d %s", r.status, r.body)
	}
	if get(r.msg, "error", "data", "requiredCapabilities", "elicitation") == nil {
		t.Errorf("requiredCapabilities: %s", r.body)
	}
	r = callTool(h, "test_input_required_result_elicitation", caps(map[string]any{"elicitation": map[string]any{"url": map[string]any{}}}))
	if r.errCode() != wire.CodeMissingRequiredClientCapability || get(r.msg, "error", "data", "requiredCapabilities", "elicitation", "form") == nil {
		t.Errorf("URL-mode elicitation only: %s", r.body)
	}
	if r := callTool(h, "test_input_required_result_elicitation", caps(map[string]any{"elicitation": map[string]any{"form": map[string]any{}}})); get(r.result(), "resultType") != "input_required" {
		t.Errorf("form mode declared: %s", r.body)
	}
	r = callTool(h, "test_missing_capability", caps(map[string]any{}))
	if r.status != 400 || r.errCode() != wire.CodeMissingRequiredClientCapability || get(r.msg, "error", "data", "requiredCapabilities", "sampling") == nil {
		t.Errorf("test_missing_capability: %d %s", r.status, r.body)
	}
	r = callTool(h, "test_input_required_result_list_roots", caps(map[string]any{}))
	if r.errCode() != wire.CodeMissingRequiredClientCapability || get(r.msg, "error", "data", "requiredCapabilities", "roots") == nil {
		t.Errorf("roots: %s", r.body)
	}
	// The adaptive tool asks only for what is declared.
	r = callTool(h, "test_input_required_result_capabilities", caps(map[string]any{"sampling": map[string]any{}}))
	reqs, _ := get(r.result(), "inputRequests").(map[string]any)
	if len(reqs) != 1 || get(reqs, "sample_input", "method") != "sampling/createMessage" {
		t.Errorf("sampling only: %s", r.body)
	}
	r = callTool(h, "test_input_required_result_capabilities", caps(map[string]any{}))
	if get(r.result(), "resultType") != "complete" {
		t.Errorf("nothing declared: %s", r.body)
	}
}

func TestMRTRMultipleAndRounds(t *testing.T) {
	h := newHarness(t, Config{})
	r1 := callTool(h, "test_input_required_result_multiple_inputs", nil)
	st := get(r1.result(), "requestState")
	// Answer one of three: the other two are asked again, the answer kept.
	r2 := callTool(h, "test_input_required_result_multiple_inputs", map[string]any{"requestState": st,
		"inputResponses": map[string]any{"user_name": accept(map[string]any{"name": "Bo"})}})
	reqs, _ := get(r2.result(), "inputRequests").(map[string]any)
	if len(reqs) != 2 || reqs["user_name"] != nil {
		t.Fatalf("after one answer: %s", r2.body)
	}
	r3 := callTool(h, "test_input_required_result_multiple_inputs", map[string]any{"requestState": get(r2.result(), "requestState"),
		"inputResponses": map[string]any{
			"greeting":     map[string]any{"role": "assistant", "model": "m", "content": map[string]any{"type": "text", "text": "Hi"}},
			"client_roots": map[string]any{"roots": []any{map[string]any{"uri": "file:///a"}}},
			// Answering again a key the state did not ask for is ignored.
			"user_name": accept(map[string]any{"name": "Mallory"}),
		}})
	if !strings.Contains(string(r3.body), "Name: Bo; Greeting: Hi; Roots: 1") {
		t.Errorf("complete: %s", r3.body)
	}
}

func TestMRTROnPromptsAndResources(t *testing.T) {
	h := newHarness(t, Config{})
	r := h.do(rpc{Method: "prompts/get", Params: map[string]any{"name": "test_input_required_result_prompt"}})
	st := get(r.result(), "requestState")
	if st == nil {
		t.Fatalf("prompt: %s", r.body)
	}
	r = h.do(rpc{Method: "prompts/get", Params: map[string]any{"name": "test_input_required_result_prompt", "requestState": st,
		"inputResponses": map[string]any{"user_context": accept(map[string]any{"context": "ctx"})}}})
	if !strings.Contains(string(r.body), "Prompt with context: ctx") {
		t.Errorf("prompt retry: %s", r.body)
	}
	r = h.do(rpc{Method: "resources/read", Params: map[string]any{"uri": "test://confidential"}})
	st = get(r.result(), "requestState")
	if get(r.result(), "resultType") != "input_required" {
		t.Fatalf("resource: %s", r.body)
	}
	// The state of the resource read is not valid for another URI.
	r = h.do(rpc{Method: "resources/read", Params: map[string]any{"uri": "test://static-text", "requestState": st}})
	if r.errCode() != wire.CodeInvalidParams {
		t.Errorf("state on another URI: %s", r.body)
	}
	r = h.do(rpc{Method: "resources/read", Params: map[string]any{"uri": "test://confidential", "requestState": st,
		"inputResponses": map[string]any{"release": accept(map[string]any{"release": true})}}})
	if !strings.Contains(string(r.body), "The confidential content.") || get(r.result(), "cacheScope") != "private" || get(r.result(), "ttlMs") != 0.0 {
		t.Errorf("resource retry: %s", r.body)
	}
	// Methods that do not support MRTR never answer input_required.
	for _, m := range []string{"tools/list", "prompts/list", "resources/list", "resources/templates/list", "server/discover"} {
		if r := h.do(rpc{Method: m}); get(r.result(), "resultType") != "complete" {
			t.Errorf("%s: %s", m, r.body)
		}
	}
}
