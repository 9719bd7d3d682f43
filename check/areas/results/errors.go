package results

import (
	"fmt"
	"maps"
	"slices"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/probe"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// The errors of prompts and completion (server/prompts.mdx, "Error
// Handling"; server/utilities/completion.mdx, "Error Handling"): SHOULDs
// that name the code. Each probe is a request the server served, changed
// in one way: an unknown prompt name, a required argument left out, a
// completion of an unknown prompt, a completion without its argument; on a
// server without completion support, completion/complete at all.

func init() {
	check.Register(&check.Check{
		Name: "results/prompt-errors",
		IDs:  []spec.ID{spec.CorePromptErrorName, spec.CorePromptErrorArgs},
		Needs: func(e *check.Env) string {
			if e.Server.Capabilities.Prompts == nil {
				return "the server does not declare the prompts capability"
			}
			return ""
		},
		Run: checkPromptErrors,
	})
	check.Register(&check.Check{
		Name: "results/completion-errors",
		IDs:  []spec.ID{spec.CoreCompletionErrorName, spec.CoreCompletionErrorArgs, spec.CoreCompletionErrorMethod},
		Run:  checkCompletionErrors,
	})
}

// expectCode judges the answer to a probe whose spec names the error
// code: that code passes; a result, or another code, is a violation
// (these requirements are SHOULDs: a warning); no answer is inconclusive.
func expectCode(e *check.Env, o check.Observation, id spec.ID, want int64, what string) {
	if _, flagged := o.Violated(id); flagged {
		return
	}
	code, isErr := o.ErrorCode()
	switch {
	case !o.Answered():
		e.Inconclusive(id, "%s: %s", what, o.Describe())
	case isErr && code == want:
		e.Pass(id, "%s: error %d", what, code)
	case o.Accepted():
		e.Violation(id, "%s: served (%s); the spec asks for error %d", what, o.Describe(), want)
	default:
		e.Violation(id, "%s: %s; the spec asks for error %d", what, o.Describe(), want)
	}
}

// checkPromptErrors: prompts/get of an unknown name, and of a prompt
// without one of its required arguments, get -32602.
func checkPromptErrors(e *check.Env) {
	names := slices.Sorted(maps.Keys(e.Decl.Prompts))
	// The first prompt served, or the first served with a required
	// argument.
	var served *wire.Prompt
	var servedParams map[string]any
	for _, n := range names {
		if e.Ctx.Err() != nil {
			return
		}
		p, t := e.Decl.Prompts[n], probe.PromptRequest(e, n)
		if o := e.Send(t.Request(e, e.Client, nil)); o.Accepted() && (served == nil || probe.RequiredArgs(p) > 0) {
			served, servedParams = p, t.Params
			if probe.RequiredArgs(p) > 0 {
				break
			}
		}
	}
	if served == nil {
		probe.InconclusiveAll(e, []spec.ID{spec.CorePromptErrorName, spec.CorePromptErrorArgs}, "the server served no prompts/get of the %d prompt(s) it lists", len(names))
		return
	}
	unknown := "mcpverify-nonexistent-prompt-" + e.RandHex(4)
	o := e.Send(e.Request("prompts/get", map[string]any{"name": unknown}))
	expectCode(e, o, spec.CorePromptErrorName, wire.CodeInvalidParams, fmt.Sprintf("prompts/get of the unknown prompt %q (prompts/get %q was served)", unknown, served.Name))
	if probe.RequiredArgs(served) == 0 {
		e.Skip(spec.CorePromptErrorArgs, "no prompt the server served has a required argument")
		return
	}
	params := probe.CloneParams(servedParams)
	args, _ := params["arguments"].(map[string]any)
	for _, a := range served.Arguments {
		if a.Required != nil && *a.Required {
			delete(args, a.Name)
			o := e.Send(e.Request("prompts/get", params))
			expectCode(e, o, spec.CorePromptErrorArgs, wire.CodeInvalidParams, fmt.Sprintf("prompts/get %q without its required argument %q (served with it)", served.Name, a.Name))
			return
		}
	}
}

// checkCompletionErrors: on a server that declares completions, a
// completion of an unknown prompt, and one without its argument, get
// -32602; on one that does not, completion/complete gets -32601.
func checkCompletionErrors(e *check.Env) {
	ids := []spec.ID{spec.CoreCompletionErrorName, spec.CoreCompletionErrorArgs}
	if e.Server.Capabilities.Completions == nil {
		probe.SkipAll(e, ids, "the server does not declare the completions capability")
		if _, ok := probe.ServedList(e); !ok {
			e.Inconclusive(spec.CoreCompletionErrorMethod, "the server served no unaltered request")
			return
		}
		o := e.Send(e.Request("completion/complete", map[string]any{
			"ref": map[string]any{"type": "ref/prompt", "name": "mcpverify"}, "argument": map[string]any{"name": "a", "value": ""}}))
		expectCode(e, o, spec.CoreCompletionErrorMethod, wire.CodeMethodNotFound, "completion/complete to a server that does not declare completions")
		return
	}
	e.Skip(spec.CoreCompletionErrorMethod, "the server declares the completions capability")
	var served map[string]any
	for _, n := range slices.Sorted(maps.Keys(e.Decl.Prompts)) {
		p := e.Decl.Prompts[n]
		if len(p.Arguments) == 0 || e.Ctx.Err() != nil {
			continue
		}
		params := map[string]any{"ref": map[string]any{"type": "ref/prompt", "name": n}, "argument": map[string]any{"name": p.Arguments[0].Name, "value": ""}}
		if e.Send(e.Request("completion/complete", probe.CloneParams(params))).Accepted() {
			served = params
			break
		}
	}
	if served == nil {
		probe.InconclusiveAll(e, ids, "the server served no completion of a prompt argument")
		return
	}
	unknown := probe.CloneParams(served)
	unknown["ref"] = map[string]any{"type": "ref/prompt", "name": "mcpverify-nonexistent-prompt-" + e.RandHex(4)}
	expectCode(e, e.Send(e.Request("completion/complete", unknown)), spec.CoreCompletionErrorName, wire.CodeInvalidParams, "completion/complete of an unknown prompt (the same of a listed prompt was served)")
	missing := probe.CloneParams(served)
	delete(missing, "argument")
	expectCode(e, e.Send(e.Request("completion/complete", missing)), spec.CoreCompletionErrorArgs, wire.CodeInvalidParams, "completion/complete without its argument (served with it)")
}
