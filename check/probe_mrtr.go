package check

import (
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/mcpverify/mcpverify/wire"
)

// inputCapabilities are the client capabilities of each input kind, as
// declared by the "all" client.
var inputCapabilities = map[string]string{
	"elicitation": `{"form":{},"url":{}}`,
	"sampling":    `{}`,
	"roots":       `{}`,
}

// clientWithInputs is the run's client declaring the input capabilities
// named (and no other).
func clientWithInputs(e *Env, kinds ...string) Client {
	c := e.Client
	sort.Strings(kinds)
	parts := make([]string, 0, len(kinds))
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%q:%s", k, inputCapabilities[k]))
	}
	c.Capabilities = wire.Value("{" + strings.Join(parts, ",") + "}")
	return c
}

var allInputKinds = []string{"elicitation", "roots", "sampling"}

// mrtrTarget is a request that may ask for input: tools/call, prompts/get
// or resources/read with its params (without _meta).
type mrtrTarget struct {
	method string
	params map[string]any
	label  string
}

func (t mrtrTarget) request(e *Env, c Client, add map[string]any) *Request {
	p := withMeta(c, t.params, nil)
	for k, v := range add {
		p[k] = v
	}
	r := e.RequestAs(c, t.method, p)
	r.Timeout = callTimeout
	return r
}

// inputRequiredOf returns the InputRequiredResult of a served request.
func inputRequiredOf(o Observation) (*wire.InputRequiredResult, bool) {
	if !o.Accepted() {
		return nil, false
	}
	r, ok := o.Result().(*wire.InputRequiredResult)
	return r, ok
}

// mrtrHint matches names and descriptions suggesting input requests; they
// are surveyed first.
var mrtrHint = regexp.MustCompile(`(?i)input|elicit|sampl|roots|confirm|ask|mrtr|capabilit|approv|interactive`)

// answerInput returns a valid response to one input request: an accepted
// ElicitResult with content drawn from requestedSchema (no content for URL
// mode), a CreateMessageResult, or a ListRootsResult. ok is false for an
// unknown kind.
func answerInput(e *Env, raw wire.Value) (any, bool) {
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
func formContent(e *Env, schema map[string]any) map[string]any {
	out := map[string]any{}
	props, _ := schema["properties"].(map[string]any)
	for _, name := range slices.Sorted(maps.Keys(props)) {
		p, _ := props[name].(map[string]any)
		out[name] = formValue(e, p)
	}
	return out
}

func formValue(e *Env, p map[string]any) any {
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
		if lo := intKeyword(p, "minLength", 0); len(v) < lo {
			v += strings.Repeat("x", lo-len(v))
		}
		if hi := intKeyword(p, "maxLength", -1); hi >= 0 && len(v) > hi {
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
		n := intKeyword(p, "minItems", 1)
		if n < 1 {
			n = 1
		}
		if n > len(opts) {
			n = len(opts)
		}
		return append([]any{}, opts[:n]...)
	}
	return GenerateValue(e.Rand(), p)
}

// answers returns valid responses to every input request of r.
func answers(e *Env, r *wire.InputRequiredResult) (map[string]any, bool) {
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

// retryAdd returns the params a retry adds: inputResponses (if not nil)
// and the exact requestState (if r had one).
func retryAdd(r *wire.InputRequiredResult, responses any) map[string]any {
	add := map[string]any{}
	if responses != nil {
		add["inputResponses"] = responses
	}
	if r.RequestState != nil {
		add["requestState"] = *r.RequestState
	}
	return add
}

// maxRounds bounds the rounds of one multi round-trip request.
const maxRounds = 6

// follow runs the retry protocol from a first InputRequiredResult: answer
// every input request, retry with the same params, the responses and the
// exact requestState, until a complete result, an error, or maxRounds. It
// returns the observation of the first retry and of the last, and the
// rounds it took.
func follow(e *Env, c Client, t mrtrTarget, first *wire.InputRequiredResult, tally violationTally) (firstRetry, last Observation, rounds int, ok bool) {
	irr := first
	for rounds = 1; rounds <= maxRounds && e.Ctx.Err() == nil; rounds++ {
		resp, ok := answers(e, irr)
		if !ok {
			return firstRetry, last, rounds, false
		}
		last = tally.add(e.Send(t.request(e, c, retryAdd(irr, resp))))
		if rounds == 1 {
			firstRetry = last
		}
		next, more := inputRequiredOf(last)
		if !more || len(next.InputRequests) == 0 {
			return firstRetry, last, rounds, true
		}
		irr = next
	}
	return firstRetry, last, rounds, true
}
