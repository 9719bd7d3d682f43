package impl

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/mcpverify/mcpverify/wire"
)

// Multi round-trip requests (basic/patterns/mrtr.mdx).
//
// A handler that needs client input returns an ask: the input requests to
// embed in an InputRequiredResult, and optionally state to carry to the
// retry. The server then
//
//   - refuses to ask for an input kind the request's clientCapabilities do
//     not declare: MissingRequiredClientCapability (-32021) naming what is
//     missing, never an inputRequests the client cannot serve;
//   - seals the state (state.go), bound to this request, recording which
//     input keys were asked, and always includes it.
//
// On the retry, before the handler runs:
//
//   - a requestState that fails verification (tampered, forged, of another
//     request or another principal, or expired) is rejected with -32602:
//     it is attacker-controlled input and influences what the handler does
//     (the official conformance suite's tampered-state scenario wants this
//     error); data.reason says which ("invalid", "mismatch", "expired"),
//     and a single-use state presented again gets the same error with
//     reason "used" from its handler (fixtures_state.go);
//   - inputResponses must be an object of result objects (params.go), and
//     a response the handler reads must be a valid result of the kind asked
//     (an ElicitResult whose content fits the requested schema, a
//     CreateMessageResult, a ListRootsResult), else -32602;
//   - responses to keys that were not asked are ignored (with a verified
//     state, "asked" is what the state records; without one, the keys the
//     handler knows);
//   - a handler missing a response it needs asks again rather than fail.

// ask is a handler's request for client input.
type ask struct {
	// requests are *wire.ElicitRequest, *wire.CreateMessageRequest or
	// *wire.ListRootsRequest.
	requests map[string]wire.InputRequest
	// data is the handler's state for the retry; sealed with the request's
	// binding. May be nil.
	data any
}

// inputs is what a request brought for a handler that may ask for input.
type inputs struct {
	x *exchange
	// state is the verified requestState, nil when the request had none.
	state     *statePayload
	responses map[string]wire.Value
}

// stateData decodes the handler data of the verified state into v; false
// when there is no state or no data.
func (in *inputs) stateData(v any) bool {
	if in == nil || in.state == nil || len(in.state.Data) == 0 {
		return false
	}
	return wire.Unmarshal(in.state.Data, v) == nil
}

// raw returns the response to key, or nil when there is none or it answers
// a key that was not asked.
func (in *inputs) raw(key string) wire.Value {
	if in == nil {
		return nil
	}
	if in.state != nil {
		asked := false
		for _, k := range in.state.Asked {
			asked = asked || k == key
		}
		if !asked {
			return nil
		}
	}
	return in.responses[key]
}

// elicitForm is a form-mode elicitation the server asks for: a message and
// the flat object schema of the answer, compiled to check the answer.
type elicitForm struct {
	req      *wire.ElicitRequest
	compiled *jsonschema.Schema
}

// newElicitForm builds a form asking for the named string or boolean
// fields, all required.
func newElicitForm(message string, fields map[string]string) *elicitForm {
	rs := wire.RequestedSchema{Type: "object", Properties: map[string]wire.PrimitiveSchemaDefinition{}}
	for name, typ := range fields {
		switch typ {
		case "boolean":
			rs.Properties[name] = &wire.BooleanSchema{Type: "boolean"}
		default:
			rs.Properties[name] = &wire.StringSchema{Type: "string"}
		}
		rs.Required = append(rs.Required, name)
	}
	sort.Strings(rs.Required)
	f := &elicitForm{req: &wire.ElicitRequest{Method: "elicitation/create", Params: &wire.ElicitRequestFormParams{Mode: "form", Message: message, RequestedSchema: rs}}}
	c, err := compileSchema("mem:///elicitation/"+message, wire.MustMarshal(rs))
	if err != nil {
		panic(fmt.Sprintf("impl: elicitation schema %q: %v", message, err))
	}
	f.compiled = c
	return f
}

func (f *elicitForm) request() wire.InputRequest { return f.req }

// withMessage returns the form's request with another message (same
// schema, so answers are checked by the compiled schema of f).
func (f *elicitForm) withMessage(msg string) wire.InputRequest {
	p := *f.req.Params.(*wire.ElicitRequestFormParams)
	p.Message = msg
	return &wire.ElicitRequest{Method: f.req.Method, Params: &p}
}

// elicitResult is an ElicitResult read and checked.
type elicitResult struct {
	Action  string
	Content map[string]any
}

// elicitation reads the ElicitResult for key. nil, nil when absent.
func (in *inputs) elicitation(key string, f *elicitForm) (*elicitResult, *rpcError) {
	raw := in.raw(key)
	if raw == nil {
		return nil, nil
	}
	var r wire.ElicitResult
	if err := wire.Unmarshal(raw, &r); err != nil {
		return nil, badResponse(key, "ElicitResult", cleanDecodeError(err))
	}
	out := &elicitResult{Action: r.Action}
	switch r.Action {
	case "accept":
		if r.Content == nil {
			return nil, badResponse(key, "ElicitResult", "an accepted elicitation must carry content")
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(wire.MustMarshal(r.Content)))
		if err != nil {
			return nil, badResponse(key, "ElicitResult", err.Error())
		}
		if err := f.compiled.Validate(v); err != nil {
			return nil, badResponse(key, "ElicitResult", "content does not fit the requested schema")
		}
		out.Content, _ = v.(map[string]any)
	case "decline", "cancel":
	default:
		return nil, badResponse(key, "ElicitResult", fmt.Sprintf("action is %q; want accept, decline or cancel", r.Action))
	}
	return out, nil
}

// samplingRequest asks for an LLM completion of one user message.
func samplingRequest(text string, maxTokens int64) wire.InputRequest {
	return &wire.CreateMessageRequest{Method: "sampling/createMessage", Params: wire.CreateMessageRequestParams{
		Messages: []wire.SamplingMessage{{Role: "user", Content: wire.SamplingContent{
			Blocks: []wire.SamplingMessageContentBlock{&wire.TextContent{Type: "text", Text: text}}}}},
		MaxTokens: maxTokens,
	}}
}

// sampling reads the CreateMessageResult for key and returns its text (""
// when the content is not text). ok is false when absent.
func (in *inputs) sampling(key string) (text string, ok bool, rerr *rpcError) {
	raw := in.raw(key)
	if raw == nil {
		return "", false, nil
	}
	var r wire.CreateMessageResult
	if err := wire.Unmarshal(raw, &r); err != nil {
		return "", false, badResponse(key, "CreateMessageResult", cleanDecodeError(err))
	}
	if r.Role != "assistant" && r.Role != "user" {
		return "", false, badResponse(key, "CreateMessageResult", "role must be assistant or user")
	}
	if r.Model == "" {
		return "", false, badResponse(key, "CreateMessageResult", "model is required")
	}
	if len(r.Content.Blocks) == 0 {
		return "", false, badResponse(key, "CreateMessageResult", "content is required")
	}
	var sb strings.Builder
	for _, b := range r.Content.Blocks {
		if t, ok := b.(*wire.TextContent); ok {
			sb.WriteString(t.Text)
		}
	}
	return sb.String(), true, nil
}

// rootsRequest asks for the client's roots.
func rootsRequest() wire.InputRequest {
	return &wire.ListRootsRequest{Method: "roots/list"}
}

// roots reads the ListRootsResult for key. ok is false when absent.
func (in *inputs) roots(key string) (roots []wire.Root, ok bool, rerr *rpcError) {
	raw := in.raw(key)
	if raw == nil {
		return nil, false, nil
	}
	var r wire.ListRootsResult
	if err := wire.Unmarshal(raw, &r); err != nil {
		return nil, false, badResponse(key, "ListRootsResult", cleanDecodeError(err))
	}
	if r.Roots == nil {
		return nil, false, badResponse(key, "ListRootsResult", "roots is required")
	}
	for _, rt := range r.Roots {
		if !strings.HasPrefix(rt.URI, "file://") {
			return nil, false, badResponse(key, "ListRootsResult", fmt.Sprintf("root URI %q is not a file:// URI", rt.URI))
		}
	}
	return r.Roots, true, nil
}

func badResponse(key, want, why string) *rpcError {
	return errInvalid(map[string]any{"inputResponse": key}, "Invalid params: inputResponses[%q] is not a valid %s: %s", key, want, why)
}

// withInput runs a handler of a request that may answer with an
// InputRequiredResult: it verifies the request's requestState against the
// request's binding, gives the handler the state and the responses, and
// turns an ask into an InputRequiredResult.
func (x *exchange) withInput(b binding, h func(in *inputs) ([]byte, *ask, *rpcError)) ([]byte, *rpcError) {
	b = b.forPrincipal(x.principal)
	mr := x.params.(mrtrRequest)
	in := &inputs{x: x, responses: mr.inputResponses()}
	if st := mr.requestState(); st != nil {
		p, err := x.s.open(*st, b)
		if err != nil {
			return nil, stateError(err)
		}
		in.state = p
	}
	res, a, rerr := h(in)
	if rerr != nil {
		return nil, rerr
	}
	if a != nil {
		return x.inputRequired(b, a)
	}
	return res, nil
}

func stateError(err error) *rpcError {
	reason := "invalid"
	switch {
	case errors.Is(err, errStateExpired):
		reason = "expired"
	case errors.Is(err, errStateMismatch):
		reason = "mismatch"
	}
	return errInvalid(map[string]any{"reason": reason}, "Invalid params: %v; retry the original request without requestState and inputResponses", err)
}

// inputRequired builds the InputRequiredResult of an ask.
func (x *exchange) inputRequired(b binding, a *ask) ([]byte, *rpcError) {
	if len(a.requests) == 0 {
		return nil, errInternal("empty ask")
	}
	need := &wire.ClientCapabilities{}
	var missing []string
	keys := make([]string, 0, len(a.requests))
	reqs := make(map[string]wire.Value, len(a.requests))
	for k, r := range a.requests {
		keys = append(keys, k)
		if name := x.missingCapability(r, need); name != "" && !slices.Contains(missing, name) {
			missing = append(missing, name)
		}
		raw, err := wire.Marshal(r)
		if err != nil {
			return nil, errInternal("encode input request: %v", err)
		}
		reqs[k] = raw
	}
	if len(missing) > 0 {
		return nil, errMissingCapability(need, missing)
	}
	sort.Strings(keys)
	state, err := x.s.seal(b, keys, a.data)
	if err != nil {
		return nil, errInternal("%v", err)
	}
	return encode(&wire.InputRequiredResult{Meta: x.s.meta, ResultType: wire.ResultInputRequired, InputRequests: reqs, RequestState: &state})
}

// missingCapability returns the client capability an input request needs
// (wire.InputRequestCapability) that the request's clientCapabilities do
// not declare, and records it in need; "" when it is declared.
func (x *exchange) missingCapability(r wire.InputRequest, need *wire.ClientCapabilities) string {
	caps := x.meta.ClientCapabilities
	var method string
	switch r := r.(type) {
	case *wire.ElicitRequest:
		method = r.Method
	case *wire.CreateMessageRequest:
		method = r.Method
	case *wire.ListRootsRequest:
		method = r.Method
	}
	name := wire.InputRequestCapability[method]
	switch name {
	case "elicitation":
		// An empty elicitation object declares form mode only; an object
		// that names modes must name form for a form request.
		e := caps.Elicitation
		if e != nil && (e.Form != nil || e.URL == nil) {
			return ""
		}
		need.Elicitation = &wire.ElicitationCapability{}
		if e != nil {
			need.Elicitation.Form = wire.Object{}
		}
	case "sampling":
		if caps.Has(name) {
			return ""
		}
		need.Sampling = &wire.SamplingCapability{}
	case "roots":
		if caps.Has(name) {
			return ""
		}
		need.Roots = wire.Object{}
	default:
		return ""
	}
	return name
}
