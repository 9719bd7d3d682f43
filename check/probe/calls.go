package probe

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/gen"
	"github.com/mcpverify/mcpverify/model"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// CallTimeout bounds one call of a tool, prompt or resource in the checks
// of this file set: a slow tool must not eat a check's whole time.
const CallTimeout = 4 * time.Second

// Tally counts, per requirement, the model's violations in the
// exchanges a check has observed; a check passes a requirement only when
// its own exchanges bearing on it were clean (the violations themselves
// are recorded by the judge).
type Tally map[spec.ID]int

func (t Tally) Add(o check.Observation) check.Observation {
	for _, v := range o.Violations {
		t[v.ID]++
	}
	return o
}

// WithMeta returns a copy of params whose _meta is c's plus extra keys
// (progressToken, logLevel).
func WithMeta(c check.Client, params map[string]any, extra map[string]any) map[string]any {
	p := CloneParams(params)
	if p == nil {
		p = map[string]any{}
	}
	p["_meta"] = c.Meta(extra)
	return p
}

// ResultKind says what answered a request: "complete", "input_required",
// "error" (a JSON-RPC error), "http-error" (an error status without a
// JSON-RPC error), "no-response" (a complete exchange without a response),
// or the outcome of an exchange that did not complete.
func ResultKind(o check.Observation) string {
	if !o.Ex.Outcome.Finished() {
		return o.Ex.Outcome.String()
	}
	if _, ok := o.ErrorCode(); ok {
		return "error"
	}
	if o.Accepted() {
		if _, ok := o.Result().(*wire.InputRequiredResult); ok {
			return "input_required"
		}
		return "complete"
	}
	if o.Ex.Transport == wire.HTTP && o.Ex.Status >= 400 {
		return "http-error"
	}
	return "no-response"
}

// CallTool calls tool name as client c with generated arguments, drawing
// new ones (up to tries calls in all) while the server rejects them as
// invalid params (-32602) or answers with a tool error (isError, which may
// be an input validation error too). It returns the first call served
// without a tool error, else the first served, else the last, with the
// params sent (without _meta). extra goes into _meta.
func CallTool(e *check.Env, c check.Client, name string, extra map[string]any, tries int, timeout time.Duration) (map[string]any, check.Observation) {
	return CallToolWith(e, c, name, func() map[string]any { return ToolCallParams(e, name) }, extra, tries, timeout)
}

// CallToolWith is CallTool with the params of each call drawn by params
// (for a tool listed to another client than the run's, whose schema
// e.Decl does not hold: ToolCallParamsFor).
func CallToolWith(e *check.Env, c check.Client, name string, params func() map[string]any, extra map[string]any, tries int, timeout time.Duration) (map[string]any, check.Observation) {
	var sent, servedParams map[string]any
	var o, served check.Observation
	for i := 0; i < tries && e.Ctx.Err() == nil; i++ {
		sent = params()
		r := e.RequestAs(c, "tools/call", WithMeta(c, sent, extra))
		r.Timeout = timeout
		o = e.Send(r)
		if o.Accepted() {
			if r, ok := o.Result().(*wire.CallToolResult); !ok || r.IsError == nil || !*r.IsError {
				return sent, o
			}
			if served.Ex == nil {
				servedParams, served = sent, o
			}
			continue
		}
		if code, ok := o.ErrorCode(); !ok || code != wire.CodeInvalidParams {
			break
		}
	}
	if served.Ex != nil {
		return servedParams, served
	}
	return sent, o
}

// SendUnder sends r to instance inst under the context wrap makes of the
// check's context (a lane, a fresh connection: check.OnConnection,
// check.OnFreshConnection), judged and recorded like Send.
func SendUnder(e *check.Env, inst int, wrap func(context.Context) context.Context, r *check.Request) check.Observation {
	saved := e.Ctx
	e.Ctx = wrap(saved)
	defer func() { e.Ctx = saved }()
	return e.SendTo(inst, r)
}

// ToolCallParams draws arguments for tool name from its inputSchema; a
// free string property named like a URI gets a declared resource URI
// (optional ones too: a tool announcing a resource update needs one).
func ToolCallParams(e *check.Env, name string) map[string]any {
	if td := e.Decl.Tools[name]; td != nil {
		return ToolCallParamsFor(e, name, td.Schema)
	}
	return map[string]any{"name": name, "arguments": map[string]any{}}
}

// ToolCallParamsFor is ToolCallParams for a tool whose decoded
// inputSchema is schema.
func ToolCallParamsFor(e *check.Env, name string, schema any) map[string]any {
	args := map[string]any{}
	if m, ok := gen.GenerateValue(e.Rand(), schema).(map[string]any); ok {
		args = m
	}
	if props, ok := SchemaProps(schema); ok {
		for _, k := range slices.Sorted(maps.Keys(props)) {
			s, _ := props[k].(map[string]any)
			if uriLike.MatchString(k) && s["type"] == "string" && s["enum"] == nil && s["const"] == nil {
				if u := someResourceURI(e); u != "" {
					args[k] = u
				}
			}
		}
	}
	return map[string]any{"name": name, "arguments": args}
}

var uriLike = regexp.MustCompile(`(?i)(uri|url)$`)

func SchemaProps(schema any) (map[string]any, bool) {
	m, _ := schema.(map[string]any)
	p, ok := m["properties"].(map[string]any)
	return p, ok
}

// someResourceURI returns the first declared resource URI, else an
// expansion of the first template, or "".
func someResourceURI(e *check.Env) string {
	if len(e.Decl.Resources) > 0 {
		return e.Decl.Resources[0]
	}
	if ts := slices.Sorted(maps.Keys(e.Decl.Templates)); len(ts) > 0 {
		return gen.ExpandTemplate(e.Rand(), ts[0])
	}
	return ""
}

// PromptParams builds prompts/get params: every required argument, and
// the optional ones too (uri-like names get a resource URI).
func PromptParams(e *check.Env, p *wire.Prompt) map[string]any {
	params := map[string]any{"name": p.Name}
	if len(p.Arguments) > 0 {
		args := map[string]any{}
		for _, a := range p.Arguments {
			v := gen.SampleStrings[2] // "hello"
			if uriLike.MatchString(a.Name) {
				if u := someResourceURI(e); u != "" {
					v = u
				}
			}
			args[a.Name] = v
		}
		params["arguments"] = args
	}
	return params
}

// ResourceURIs returns the URIs of the resources the server declares
// (every page of resources/list, read at discovery), in order.
func ResourceURIs(e *check.Env) []string {
	if e.Server.Capabilities.Resources == nil {
		return nil
	}
	return slices.Clone(e.Decl.Resources)
}

// ReadableURIs returns URIs to read: the declared resources, then an
// expansion of each resource template, by template.
func ReadableURIs(e *check.Env) []string {
	uris := ResourceURIs(e)
	for _, tm := range slices.Sorted(maps.Keys(e.Decl.Templates)) {
		uris = append(uris, gen.ExpandTemplate(e.Rand(), tm))
	}
	return uris
}

// ToolsByHint returns the tool names, those whose name or description
// matches hint first, each group sorted.
func ToolsByHint(e *check.Env, hint *regexp.Regexp) []string {
	names := slices.Sorted(maps.Keys(e.Decl.Tools))
	sort.SliceStable(names, func(i, j int) bool {
		return matchesTool(e, names[i], hint) && !matchesTool(e, names[j], hint)
	})
	return names
}

func matchesTool(e *check.Env, name string, re *regexp.Regexp) bool {
	td := e.Decl.Tools[name]
	return re.MatchString(name) || (td != nil && re.MatchString(td.Tool.Description))
}

// ListSome joins up to n items with sep, and says how many more there
// are ("a; b; and 3 more").
func ListSome(items []string, n int, sep string) string {
	if len(items) <= n {
		return strings.Join(items, sep)
	}
	return fmt.Sprintf("%s%sand %d more", strings.Join(items[:n], sep), sep, len(items)-n)
}

func Sorted(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}

// AnswerSignature summarizes an answer for comparison with another answer to the
// same request: the outcome kind and, for a result, the list's set of
// names or the canonical result without _meta. "" means no answer.
func AnswerSignature(o check.Observation) string {
	k := AnswerKind(o)
	if k == "" || !o.Accepted() {
		return k
	}
	if names, ok := model.ListedNames(o.Result()); ok {
		return k + " " + strings.Join(Sorted(names), "\x00")
	}
	for _, r := range o.Ex.Replies {
		if m, ok := r.Msg.(*wire.JSONRPCResultResponse); ok {
			var v map[string]any
			if wire.Unmarshal(m.Result, &v) == nil {
				delete(v, "_meta")
				if b, err := wire.Marshal(v); err == nil {
					return k + " " + string(b)
				}
			}
			return k + " " + string(m.Result)
		}
	}
	return k
}

// AnswerKind classifies an answer: "result", "input_required", "error
// CODE" (with "HTTP STATUS" on HTTP), "HTTP STATUS" without a JSON-RPC
// error; "" when the exchange did not complete.
func AnswerKind(o check.Observation) string {
	if !o.Answered() {
		return ""
	}
	status := ""
	if o.Ex.Transport == wire.HTTP {
		status = fmt.Sprintf("HTTP %d ", o.Ex.Status)
	}
	if o.Accepted() {
		if _, ok := o.Result().(*wire.InputRequiredResult); ok {
			return status + "input_required"
		}
		return status + "result"
	}
	if code, ok := o.ErrorCode(); ok {
		return fmt.Sprintf("%serror %d", status, code)
	}
	return strings.TrimSpace(status + "no JSON-RPC response")
}

// WithHeaderValue returns r with header name set to value.
func WithHeaderValue(r *check.Request, name, value string) *check.Request {
	SetHeader(r, name, Str(value))
	return r
}

func Quoted(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = fmt.Sprintf("%q", x)
	}
	return out
}

func RandUUIDLike(e *check.Env) string {
	h := e.RandHex(16)
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:32]
}

func RandLetters(e *check.Env, n int) string {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, n)
	for i := range b {
		b[i] = letters[e.Rand().Intn(len(letters))]
	}
	return string(b)
}

// ExpectStatus is e.Expect for a defect whose HTTP status has its own
// requirement (statusID): the status passes when the probe was refused
// with 400 and the model found neither broken.
func ExpectStatus(e *check.Env, o check.Observation, id, statusID spec.ID, what string) {
	e.Expect(o, id, what)
	if o.Ex.Transport != wire.HTTP || statusID == "" || statusID == id {
		return
	}
	if _, bad := o.Violated(id); bad {
		return
	}
	if _, bad := o.Violated(statusID); bad {
		return
	}
	if o.Rejected() && o.Ex.Status == 400 {
		e.Pass(statusID, "%s: HTTP 400", what)
	}
}

// ServedRequests are the served requests the version checks vary: a
// list request and, when the server has one, a tool call.
func ServedRequests(e *check.Env) []*Served {
	var out []*Served
	if b, ok := ServedList(e); ok {
		out = append(out, b)
	}
	if e.Server.Capabilities.Tools != nil && e.Ctx.Err() == nil {
		if b, ok := ServedToolCall(e, false); ok {
			out = append(out, b)
		}
	}
	return out
}

// ListPages reads every page of a list (Env.ListPages), counting the
// model's violations in tally.
func ListPages(e *check.Env, method string, tally Tally) []check.Observation {
	obs := e.ListPages(method)
	if tally != nil {
		for _, o := range obs {
			tally.Add(o)
		}
	}
	return obs
}

// SendAs sends method with params (given c's _meta) as client c to
// instance inst, bounded by timeout, judged and recorded like Send.
func SendAs(e *check.Env, c check.Client, inst int, method string, params map[string]any, timeout time.Duration) check.Observation {
	r := e.RequestAs(c, method, WithMeta(c, params, nil))
	r.Timeout = timeout
	return e.SendTo(inst, r)
}
