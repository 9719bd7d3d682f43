package probe

import (
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/gen"
	"github.com/mcpverify/mcpverify/wire"
)

// inputCapabilities are the client capabilities of each input kind, as
// declared by the "all" client.
var inputCapabilities = map[string]string{
	"elicitation": `{"form":{},"url":{}}`,
	"sampling":    `{}`,
	"roots":       `{}`,
}

// ClientWithInputs is the run's client declaring the input capabilities
// named (and no other).
func ClientWithInputs(e *check.Env, kinds ...string) check.Client {
	c := e.Client
	sort.Strings(kinds)
	parts := make([]string, 0, len(kinds))
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%q:%s", k, inputCapabilities[k]))
	}
	c.Capabilities = wire.Value("{" + strings.Join(parts, ",") + "}")
	return c
}

var AllInputKinds = []string{"elicitation", "roots", "sampling"}

// Retryable is a request that may ask for input: tools/call, prompts/get
// or resources/read with its params (without _meta).
type Retryable struct {
	Method string
	Params map[string]any
	Label  string
}

// ToolRequest is a tools/call of tool name with params (nil: arguments
// drawn for each request).
func ToolRequest(name string, params map[string]any) Retryable {
	return Retryable{Method: "tools/call", Params: params, Label: "tool " + name}
}

// PromptRequest is a prompts/get of the declared prompt name, with every
// argument (PromptParams).
func PromptRequest(e *check.Env, name string) Retryable {
	return Retryable{Method: "prompts/get", Params: PromptParams(e, e.Decl.Prompts[name]), Label: "prompt " + name}
}

// ResourceRequest is a resources/read of uri.
func ResourceRequest(uri string) Retryable {
	return Retryable{Method: "resources/read", Params: map[string]any{"uri": uri}, Label: "resource " + uri}
}

func (t Retryable) Request(e *check.Env, c check.Client, add map[string]any) *check.Request {
	p := WithMeta(c, t.Params, nil)
	for k, v := range add {
		p[k] = v
	}
	r := e.RequestAs(c, t.Method, p)
	r.Timeout = CallTimeout
	return r
}

// InputRequired returns the InputRequiredResult of a served request.
func InputRequired(o check.Observation) (*wire.InputRequiredResult, bool) {
	if !o.Accepted() {
		return nil, false
	}
	r, ok := o.Result().(*wire.InputRequiredResult)
	return r, ok
}

// MRTRHint matches names and descriptions suggesting input requests; they
// are surveyed first.
var MRTRHint = regexp.MustCompile(`(?i)input|elicit|sampl|roots|confirm|ask|mrtr|capabilit|approv|interactive`)

// answerInput returns a valid response to one input request: an accepted
// ElicitResult with content drawn from requestedSchema (no content for URL
// mode), a CreateMessageResult, or a ListRootsResult. ok is false for an
// unknown kind.
func answerInput(e *check.Env, raw wire.Value) (any, bool) {
	var req map[string]any
	if wire.Unmarshal(raw, &req) != nil {
		return nil, false
	}
	params, _ := req["params"].(map[string]any)
	switch req["method"] {
	case "elicitation/create":
		if params["mode"] == "url" {
			return map[string]any{"action": "accept"}, true
		}
		schema, _ := params["requestedSchema"].(map[string]any)
		return map[string]any{"action": "accept", "content": formContent(e, schema)}, true
	case "sampling/createMessage":
		return map[string]any{
			"role":       "assistant",
			"content":    map[string]any{"type": "text", "text": "mcpverify sample answer"},
			"model":      "mcpverify-model",
			"stopReason": "endTurn",
		}, true
	case "roots/list":
		return map[string]any{"roots": []any{map[string]any{"uri": "file:///tmp/mcpverify-root", "name": "mcpverify"}}}, true
	}
	return nil, false
}

// formContent fills every property of a form's requestedSchema (a flat
// object of primitives) with a valid value.
func formContent(e *check.Env, schema map[string]any) map[string]any {
	out := map[string]any{}
	props, _ := schema["properties"].(map[string]any)
	for _, name := range slices.Sorted(maps.Keys(props)) {
		p, _ := props[name].(map[string]any)
		out[name] = formValue(e, p)
	}
	return out
}

func formValue(e *check.Env, p map[string]any) any {
	if enum, ok := p["enum"].([]any); ok && len(enum) > 0 {
		return enum[0]
	}
	if one, ok := p["oneOf"].([]any); ok && len(one) > 0 {
		if o, ok := one[0].(map[string]any); ok && o["const"] != nil {
			return o["const"]
		}
	}
	switch p["type"] {
	case "string":
		switch p["format"] {
		case "email":
			return "mcpverify@example.com"
		case "uri":
			return "https://example.com/mcpverify"
		case "date":
			return "2026-07-28"
		case "date-time":
			return "2026-07-28T12:00:00Z"
		}
		v := "mcpverify"
		if lo := gen.IntKeyword(p, "minLength", 0); len(v) < lo {
			v += strings.Repeat("x", lo-len(v))
		}
		if hi := gen.IntKeyword(p, "maxLength", -1); hi >= 0 && len(v) > hi {
			v = v[:hi]
		}
		return v
	case "number", "integer":
		v := 1.0
		if lo, ok := p["minimum"].(float64); ok {
			v = lo
		} else if hi, ok := p["maximum"].(float64); ok && hi < v {
			v = hi
		}
		if p["type"] == "integer" {
			return int64(math.Ceil(v))
		}
		return v
	case "boolean":
		return true
	case "array":
		items, _ := p["items"].(map[string]any)
		var opts []any
		if enum, ok := items["enum"].([]any); ok {
			opts = enum
		}
		if anyOf, ok := items["anyOf"].([]any); ok {
			for _, a := range anyOf {
				if o, ok := a.(map[string]any); ok && o["const"] != nil {
					opts = append(opts, o["const"])
				}
			}
		}
		n := gen.IntKeyword(p, "minItems", 1)
		if n < 1 {
			n = 1
		}
		if n > len(opts) {
			n = len(opts)
		}
		return append([]any{}, opts[:n]...)
	}
	return gen.GenerateValue(e.Rand(), p)
}

// Answers returns valid responses to every input request of r.
func Answers(e *check.Env, r *wire.InputRequiredResult) (map[string]any, bool) {
	out := map[string]any{}
	for _, k := range slices.Sorted(maps.Keys(r.InputRequests)) {
		v, ok := answerInput(e, r.InputRequests[k])
		if !ok {
			return nil, false
		}
		out[k] = v
	}
	return out, true
}

// RetryParams returns the params a retry adds: inputResponses (if not nil)
// and the exact requestState (if r had one).
func RetryParams(r *wire.InputRequiredResult, responses any) map[string]any {
	add := map[string]any{}
	if responses != nil {
		add["inputResponses"] = responses
	}
	if r.RequestState != nil {
		add["requestState"] = *r.RequestState
	}
	return add
}

// MaxRounds bounds the rounds of one multi round-trip request.
const MaxRounds = 6

// Follow runs the retry protocol from a first InputRequiredResult: answer
// every input request, retry with the same params, the responses and the
// exact requestState, until a complete result, an error, or maxRounds. It
// returns the observation of the first retry and of the last, and the
// rounds it took.
func Follow(e *check.Env, c check.Client, t Retryable, first *wire.InputRequiredResult, tally Tally) (firstRetry, last check.Observation, rounds int, ok bool) {
	irr := first
	for rounds = 1; rounds <= MaxRounds && e.Ctx.Err() == nil; rounds++ {
		resp, ok := Answers(e, irr)
		if !ok {
			return firstRetry, last, rounds, false
		}
		last = tally.Add(e.Send(t.Request(e, c, RetryParams(irr, resp))))
		if rounds == 1 {
			firstRetry = last
		}
		next, more := InputRequired(last)
		if !more || len(next.InputRequests) == 0 {
			return firstRetry, last, rounds, true
		}
		irr = next
	}
	return firstRetry, last, rounds, true
}
