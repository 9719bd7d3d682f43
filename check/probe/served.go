package probe

import (
	"sort"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/gen"
	"github.com/mcpverify/mcpverify/wire"
)

// Served requests: the requests without a defect that a negative check sends
// first. If the server does not serve the unaltered request, a rejection of the
// defective request proves nothing, and the check is inconclusive.

// Served is a request the server served, ready to be mutated: Fresh
// returns a copy with a new id.
type Served struct {
	Method string
	Params map[string]any
	Req    *check.Request
	Obs    check.Observation
}

// Fresh returns a copy of the unaltered request with a fresh id (same
// params, headers and body otherwise).
func (b *Served) Fresh(e *check.Env) *check.Request {
	return e.Request(b.Method, CloneParams(b.Params))
}

// ServedList sends a list request the server should serve (see
// unaltered requestMethod) and returns it if it was accepted.
func ServedList(e *check.Env) (*Served, bool) {
	return ServedRequest(e, e.ListMethod(), map[string]any{})
}

// ServedToolCall finds a tool call the server serves: tools with no
// required argument first, then arguments drawn from the input schema,
// trying up to a few tools. It prefers tools without x-mcp-header
// annotations unless withHeaders is set, when it wants one with.
func ServedToolCall(e *check.Env, withHeaders bool) (*Served, bool) {
	names := ToolsByRequired(e, func(td *check.ToolDecl) bool { return withHeaders == (len(td.Headers) > 0) })
	for i, n := range names {
		if i >= 6 || e.Ctx.Err() != nil {
			break
		}
		args, _ := gen.GenerateValue(e.Rand(), e.Decl.Tools[n].Schema).(map[string]any)
		if args == nil {
			args = map[string]any{}
		}
		b, ok := ServedRequest(e, "tools/call", map[string]any{"name": n, "arguments": args})
		if ok {
			if r, isCall := b.Obs.Result().(*wire.CallToolResult); isCall && (r.IsError == nil || !*r.IsError) {
				return b, true
			}
		}
	}
	return nil, false
}

// ToolsByRequired returns the names of the declared tools that keep
// accepts (all when keep is nil), fewest required arguments first, then by
// name.
func ToolsByRequired(e *check.Env, keep func(*check.ToolDecl) bool) []string {
	names := make([]string, 0, len(e.Decl.Tools))
	for n, td := range e.Decl.Tools {
		if keep == nil || keep(td) {
			names = append(names, n)
		}
	}
	sort.Slice(names, func(i, j int) bool {
		ri, rj := RequiredCount(e.Decl.Tools[names[i]].Schema), RequiredCount(e.Decl.Tools[names[j]].Schema)
		if ri != rj {
			return ri < rj
		}
		return names[i] < names[j]
	})
	return names
}

// RequiredCount is the number of required properties of an object schema.
func RequiredCount(schema any) int {
	m, _ := schema.(map[string]any)
	r, _ := m["required"].([]any)
	return len(r)
}

// RequiredArgs is the number of required arguments of a prompt.
func RequiredArgs(p *wire.Prompt) int {
	n := 0
	for _, a := range p.Arguments {
		if a.Required != nil && *a.Required {
			n++
		}
	}
	return n
}

// ServedRequest sends method with params and returns it as served if the
// server accepted it.
func ServedRequest(e *check.Env, method string, params map[string]any) (*Served, bool) {
	req := e.Request(method, CloneParams(params))
	o := e.Send(req)
	if !o.Accepted() {
		return nil, false
	}
	return &Served{Method: method, Params: params, Req: req, Obs: o}, true
}

// CloneParams deep-copies params built of maps, slices and scalars.
func CloneParams(p map[string]any) map[string]any {
	if p == nil {
		return nil
	}
	out := make(map[string]any, len(p))
	for k, v := range p {
		out[k] = cloneValue(v)
	}
	return out
}

func cloneValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return CloneParams(v)
	case []any:
		out := make([]any, len(v))
		for i := range v {
			out[i] = cloneValue(v[i])
		}
		return out
	}
	return v
}

// SetHeader replaces every spelling of header name in r with one value
// (or removes it when value is nil).
func SetHeader(r *check.Request, name string, value *string) {
	wire.DelHeader(r.Header, name)
	if value != nil {
		r.Header[name] = []string{*value}
	}
}

// Str returns a pointer to s (for SetHeader).
func Str(s string) *string { return &s }

// WithBody replaces the body of r (the headers stay as they are).
func WithBody(r *check.Request, body []byte) *check.Request {
	c := r.Clone()
	c.Body = body
	return c
}
