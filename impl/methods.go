package impl

import (
	"sort"
	"strconv"
	"strings"

	"github.com/mcpverify/mcpverify/wire"
)

// methodSpec is how the server serves one method of the method table.
type methodSpec struct {
	info      *wire.MethodInfo
	newParams func() reqParams
	serve     func(x *exchange) ([]byte, *rpcError)
}

// errGone is returned by a method whose request was cancelled: the
// transport sends nothing for it.
var errGone = &rpcError{code: wire.CodeInternalError, msg: "request cancelled"}

// methodTable binds the client-to-server requests of the method table
// (wire.Methods) to their handlers. A method the table lists and this
// server has no handler for is answered as unknown.
func (s *Server) methodTable() map[string]*methodSpec {
	handlers := map[string]struct {
		newParams func() reqParams
		serve     func(x *exchange) ([]byte, *rpcError)
	}{
		"server/discover":          {func() reqParams { return new(metaParams) }, func(x *exchange) ([]byte, *rpcError) { return x.s.reg.discover, nil }},
		"tools/list":               {func() reqParams { return new(listParams) }, func(x *exchange) ([]byte, *rpcError) { return x.listPage(listTools) }},
		"prompts/list":             {func() reqParams { return new(listParams) }, func(x *exchange) ([]byte, *rpcError) { return x.listPage(listPrompts) }},
		"resources/list":           {func() reqParams { return new(listParams) }, func(x *exchange) ([]byte, *rpcError) { return x.listPage(listResources) }},
		"resources/templates/list": {func() reqParams { return new(listParams) }, func(x *exchange) ([]byte, *rpcError) { return x.listPage(listTemplates) }},
		"tools/call":               {func() reqParams { return new(callToolParams) }, serveCallTool},
		"prompts/get":              {func() reqParams { return new(getPromptParams) }, serveGetPrompt},
		"resources/read":           {func() reqParams { return new(readResourceParams) }, serveReadResource},
		"completion/complete":      {func() reqParams { return new(completeParams) }, serveComplete},
		"subscriptions/listen":     {func() reqParams { return new(listenParams) }, serveListen},
		"tasks/get":                {func() reqParams { return new(taskParams) }, serveGetTask},
		"tasks/update":             {func() reqParams { return new(updateTaskParams) }, serveUpdateTask},
		"tasks/cancel":             {func() reqParams { return new(taskParams) }, serveCancelTask},
	}
	out := map[string]*methodSpec{}
	for i := range wire.Methods {
		m := &wire.Methods[i]
		if m.Direction != wire.ClientToServer || m.Notification {
			continue
		}
		if h, ok := handlers[m.Method]; ok {
			out[m.Method] = &methodSpec{info: m, newParams: h.newParams, serve: h.serve}
		}
	}
	return out
}

func serveCallTool(x *exchange) ([]byte, *rpcError) {
	p := x.params.(*callToolParams)
	t := x.s.reg.toolByName[*p.Name]
	if t == nil {
		return nil, errInvalid(map[string]any{"name": *p.Name}, "Invalid params: unknown tool %q", *p.Name)
	}
	declared := x.meta.ClientCapabilities.DeclaresTasks()
	if t.task != nil && t.task.required && !declared {
		return nil, errTasksRequired("tool " + *p.Name)
	}
	if t.static != nil && p.RequestState == nil {
		if msg := t.validateArgs(p.args); msg != "" {
			return x.completeTool(toolError(msg))
		}
		return t.static, nil
	}
	b := bindingOf("tools/call", *p.Name, canonicalJSON(p.Arguments))
	return x.withInput(b, func(in *inputs) ([]byte, *ask, *rpcError) {
		if msg := t.validateArgs(p.args); msg != "" {
			res, err := x.completeTool(toolError(msg))
			return res, nil, err
		}
		if t.static != nil {
			return t.static, nil, nil
		}
		if t.task != nil && declared {
			work, a, err := t.task.plan(x, p.args, in)
			if err != nil || a != nil {
				return nil, a, err
			}
			if work != nil {
				res, err := x.s.tasks.create(x, work)
				return res, nil, err
			}
		}
		r, a, err := t.run(x, p.args, in)
		if err != nil || a != nil {
			return nil, a, err
		}
		if r == nil {
			return nil, nil, gone(x)
		}
		if err := t.checkOutput(r); err != nil {
			return nil, nil, err
		}
		res, err := x.completeTool(r)
		return res, nil, err
	})
}

// completeTool encodes a complete CallToolResult.
func (x *exchange) completeTool(r *wire.CallToolResult) ([]byte, *rpcError) {
	r.Meta, r.ResultType = x.s.meta, wire.ResultComplete
	if r.Content == nil {
		r.Content = []wire.ContentBlock{}
	}
	return encode(r)
}

// gone is the error of a handler that stopped without a result: the
// request was cancelled, or (a bug) it gave up for no reason.
func gone(x *exchange) *rpcError {
	if x.ctx.Err() != nil {
		return errGone
	}
	return errInternal("the handler stopped without a result")
}

func serveGetPrompt(x *exchange) ([]byte, *rpcError) {
	p := x.params.(*getPromptParams)
	pr := x.s.reg.promptByName[*p.Name]
	if pr == nil {
		return nil, errInvalid(map[string]any{"name": *p.Name}, "Invalid params: unknown prompt %q", *p.Name)
	}
	var missing []string
	for _, a := range pr.def.Arguments {
		if _, ok := p.Arguments[a.Name]; a.Required != nil && *a.Required && !ok {
			missing = append(missing, a.Name)
		}
	}
	if len(missing) > 0 {
		return nil, errInvalid(map[string]any{"missing": missing}, "Invalid params: prompt %q requires arguments %v", *p.Name, missing)
	}
	argsJSON := wire.MustMarshal(p.Arguments)
	if p.Arguments == nil {
		argsJSON = []byte("{}")
	}
	b := bindingOf("prompts/get", *p.Name, canonicalJSON(argsJSON))
	return x.withInput(b, func(in *inputs) ([]byte, *ask, *rpcError) {
		r, a, err := pr.run(x, p.Arguments, in)
		if err != nil || a != nil {
			return nil, a, err
		}
		if r == nil {
			return nil, nil, gone(x)
		}
		r.Meta, r.ResultType = x.s.meta, wire.ResultComplete
		res, err := encode(r)
		return res, nil, err
	})
}

func serveReadResource(x *exchange) ([]byte, *rpcError) {
	p := x.params.(*readResourceParams)
	uri := *p.URI
	res, vars := x.s.reg.findResourceFor(x.principal, uri)
	if res == nil {
		return nil, errResourceNotFound(uri)
	}
	b := bindingOf("resources/read", uri)
	return x.withInput(b, func(in *inputs) ([]byte, *ask, *rpcError) {
		r, a, err := res.read(x, uri, vars, in)
		if err != nil || a != nil {
			return nil, a, err
		}
		if r == nil {
			return nil, nil, gone(x)
		}
		if len(r.Contents) == 0 {
			return nil, nil, errInternal("resource %s produced no contents", uri)
		}
		r.Meta, r.ResultType = x.s.meta, wire.ResultComplete
		out, err := encode(r)
		return out, nil, err
	})
}

// Completion (server/utilities/completion.mdx).

const maxCompletionValues = 100

var completionWords = []string{"paris", "park", "party", "pasta", "python", "pytorch", "test", "testValue1", "testValue2", "testing", "hello", "world"}

func serveComplete(x *exchange) ([]byte, *rpcError) {
	p := x.params.(*completeParams)
	name, prefix := *p.Argument.Name, *p.Argument.Value
	var candidates []string
	switch p.Ref.Type {
	case "ref/prompt":
		pr := x.s.reg.promptByName[p.Ref.Name]
		if pr == nil {
			return nil, errInvalid(map[string]any{"name": p.Ref.Name}, "Invalid params: unknown prompt %q", p.Ref.Name)
		}
		if !hasArg(pr.def.Arguments, name) {
			return nil, errInvalid(map[string]any{"argument": name}, "Invalid params: prompt %q has no argument %q", p.Ref.Name, name)
		}
		candidates = completionWords
	case "ref/resource":
		// Another principal's template is unknown to the caller.
		res := x.s.reg.templateFor(x.principal, p.Ref.URI)
		if res == nil {
			if x.s.reg.resourceByURI[p.Ref.URI] == nil {
				return nil, errInvalid(map[string]any{"uri": p.Ref.URI}, "Invalid params: unknown resource or template %q", p.Ref.URI)
			}
			break // a plain resource has no arguments to complete
		}
		if !templateHasVar(res.tmpl, name) {
			return nil, errInvalid(map[string]any{"argument": name}, "Invalid params: template %q has no variable %q", p.Ref.URI, name)
		}
		candidates = res.completions
	}
	var values []string
	for _, c := range candidates {
		if strings.HasPrefix(strings.ToLower(c), strings.ToLower(prefix)) {
			values = append(values, c)
		}
	}
	sort.SliceStable(values, func(i, j int) bool { return len(values[i]) < len(values[j]) })
	total := len(values)
	if len(values) > maxCompletionValues {
		values = values[:maxCompletionValues]
	}
	if values == nil {
		values = []string{}
	}
	n, more := int64(total), total > len(values)
	return encode(&wire.CompleteResult{Meta: x.s.meta, ResultType: wire.ResultComplete,
		Completion: wire.Completion{Values: values, Total: &n, HasMore: &more}})
}

// idCandidates are the completions of the template's {id}: more than fit
// in one answer, so that the cap of 100 shows.
var idCandidates = func() []string {
	out := make([]string, 250)
	for i := range out {
		out[i] = strconv.Itoa(i + 1)
	}
	return out
}()

func hasArg(args []wire.PromptArgument, name string) bool {
	for _, a := range args {
		if a.Name == name {
			return true
		}
	}
	return false
}

func templateHasVar(t *uriTemplate, name string) bool {
	for i := 1; i < len(t.parts); i += 2 {
		if t.parts[i] == name {
			return true
		}
	}
	return false
}
