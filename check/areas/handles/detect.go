package handles

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/hints"
	"github.com/mcpverify/mcpverify/check/probe"
	"github.com/mcpverify/mcpverify/check/staterun"
	"github.com/mcpverify/mcpverify/model"
	"github.com/mcpverify/mcpverify/wire"
)

// handleName matches property names of handles.
var handleName = regexp.MustCompile(`(?i)(^id$|_id$|[a-z0-9]Id$|ID$|handle|token|session)`)

// createLike matches names of tools that create something.
var createLike = regexp.MustCompile(`(?i)(create|new|open|start|begin|init|make|mint|register|login|session|checkout|reserve|allocate)`)

// deleteLike matches names of tools that release something.
var deleteLike = regexp.MustCompile(`(?i)(delete|remove|destroy|close|release|drop|discard|revoke|dispose|terminate|end_|_end$)`)

// handleTool is a tool's role for one kind of handle.
type handleTool struct {
	tool   string
	path   []string // in the result (mint), or in the arguments
	params map[string]any
}

// handleKind is one kind of handle: who mints it, who takes it, who
// releases it.
type handleKind struct {
	kind    string
	mint    handleTool
	uses    []handleTool
	deletes []handleTool
	source  string
}

// handleSurvey is what handle detection found.
type handleSurvey struct {
	kinds []*handleKind
	notes []string
}

// modelTools returns the kind's tools in the model's terms (structured
// handles only: the model cannot read a handle out of text).
func (k *handleKind) modelTools() []model.HandleTool {
	if len(k.mint.path) == 0 {
		return nil
	}
	out := []model.HandleTool{{Tool: k.mint.tool, Role: model.HandleMint, Path: k.mint.path, Kind: k.kind}}
	for _, u := range k.uses {
		out = append(out, model.HandleTool{Tool: u.tool, Role: model.HandleUse, Path: u.path, Kind: k.kind})
	}
	for _, d := range k.deletes {
		out = append(out, model.HandleTool{Tool: d.tool, Role: model.HandleDelete, Path: d.path, Kind: k.kind})
	}
	return out
}

// handlesAt returns the handle at path in a result (structured), or, with
// no path, the id-like words of its text.
func handlesAt(o check.Observation, path []string) []handleValue {
	var raw wire.Value
	for _, r := range o.Ex.Replies {
		if m, ok := r.Msg.(*wire.JSONRPCResultResponse); ok {
			raw = m.Result
		}
	}
	var v any
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	if d.Decode(&v) != nil {
		return nil
	}
	if len(path) > 0 {
		var ok bool
		if v, ok = wire.Path(path).Lookup(v); !ok {
			return nil
		}
		switch x := v.(type) {
		case string:
			if x != "" {
				return []handleValue{{x, x}}
			}
		case json.Number:
			return []handleValue{{x.String(), x}}
		}
		return nil
	}
	var out []handleValue
	if r, ok := o.Result().(*wire.CallToolResult); ok {
		for _, b := range r.Content {
			if t, ok := b.(*wire.TextContent); ok {
				for _, w := range idWord.FindAllString(t.Text, 8) {
					out = append(out, handleValue{w, w})
				}
			}
		}
	}
	return out
}

// idWord matches id-like words in a text: letters and digits with an
// underscore, dash or digit in them, 6 to 128 characters.
var idWord = regexp.MustCompile(`\b[A-Za-z0-9][A-Za-z0-9_\-]*[_\-0-9][A-Za-z0-9_\-]*\b`)

// structuredHandles returns the members of structuredContent named like
// handles (two levels deep), with their paths from the result.
func structuredHandles(o check.Observation) [][]string {
	r, ok := o.Result().(*wire.CallToolResult)
	if !ok || len(r.StructuredContent) == 0 {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(r.StructuredContent, &m) != nil {
		return nil
	}
	var out [][]string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		switch x := m[k].(type) {
		case string, float64:
			if handleName.MatchString(k) {
				out = append(out, []string{"structuredContent", k})
			}
		case map[string]any:
			for _, k2 := range slices.Sorted(maps.Keys(x)) {
				if _, isObj := x[k2].(map[string]any); !isObj && handleName.MatchString(k2) {
					out = append(out, []string{"structuredContent", k, k2})
				}
			}
		}
	}
	return out
}

// handleSurveyKey keys the run's handle survey (check.Shared).
type handleSurveyKey struct{}

// surveyHandles finds the kinds of handles once per run.
func surveyHandles(e *check.Env) *handleSurvey {
	return check.Shared(e, handleSurveyKey{}, func() *handleSurvey { return detectHandles(e) })
}

func detectHandles(e *check.Env) *handleSurvey {
	hs := &handleSurvey{}
	c := e.Client
	flowless := func(tool string, args map[string]any) check.Observation {
		r := e.RequestAs(c, "tools/call", probe.WithMeta(c, map[string]any{"name": tool, "arguments": args}, nil))
		r.Timeout = probe.CallTimeout
		return e.SendTo(0, r)
	}
	argsOf := func(tool string) map[string]any {
		a, _ := probe.ToolCallParams(e, tool)["arguments"].(map[string]any)
		return a
	}
	// Hints first.
	hinted := map[string]bool{}
	if e.Opts.Hints != nil {
		for i, h := range e.Opts.Hints.Handles {
			k := &handleKind{kind: h.Kind, source: "--hints"}
			if k.kind == "" {
				k.kind = fmt.Sprintf("hinted-%d", i+1)
			}
			for _, t := range slices.Sorted(maps.Keys(h.Mint)) {
				k.mint = handleTool{tool: t, path: hints.SplitPath(h.Mint[t]), params: argsOf(t)}
				break
			}
			for _, t := range slices.Sorted(maps.Keys(h.Use)) {
				k.uses = append(k.uses, handleTool{tool: t, path: hints.SplitPath(h.Use[t]), params: argsOf(t)})
			}
			for _, t := range slices.Sorted(maps.Keys(h.Delete)) {
				k.deletes = append(k.deletes, handleTool{tool: t, path: hints.SplitPath(h.Delete[t]), params: argsOf(t)})
			}
			if e.Decl.Tools[k.mint.tool] == nil {
				hs.notes = append(hs.notes, fmt.Sprintf("hinted tool %q is not listed", k.mint.tool))
				continue
			}
			for t := range h.Mint {
				hinted[t] = true
			}
			hs.kinds = append(hs.kinds, k)
		}
	}
	// Candidate users: a handle-like top-level property.
	type user struct {
		tool, prop string
		required   bool
		nRequired  int
	}
	var users []user
	for _, name := range slices.Sorted(maps.Keys(e.Decl.Tools)) {
		td := e.Decl.Tools[name]
		props, _ := probe.SchemaProps(td.Schema)
		req := map[string]bool{}
		if m, ok := td.Schema.(map[string]any); ok {
			if r, ok := m["required"].([]any); ok {
				for _, x := range r {
					if s, ok := x.(string); ok {
						req[s] = true
					}
				}
			}
		}
		for _, p := range slices.Sorted(maps.Keys(props)) {
			ps, _ := props[p].(map[string]any)
			if t, _ := ps["type"].(string); t != "" && t != "string" && t != "integer" {
				continue
			}
			if handleName.MatchString(p) {
				users = append(users, user{name, p, req[p], len(req)})
			}
		}
	}
	if len(users) == 0 {
		if len(hs.kinds) == 0 {
			hs.notes = append(hs.notes, "no tool takes an argument named like a handle (id, *_id, handle, token, session)")
		}
		return hs
	}
	// Users that release the handle last: a release ends the handle the
	// others are tried with.
	sort.SliceStable(users, func(i, j int) bool {
		return !deleteLike.MatchString(users[i].tool) && deleteLike.MatchString(users[j].tool)
	})
	isUser := map[string]bool{}
	for _, u := range users {
		if u.required {
			isUser[u.tool] = true
		}
	}
	// Candidate minters.
	var minters []string
	for _, name := range slices.Sorted(maps.Keys(e.Decl.Tools)) {
		if isUser[name] || hinted[name] {
			continue
		}
		td := e.Decl.Tools[name]
		declares := false
		var out map[string]any
		if json.Unmarshal(td.Tool.OutputSchema, &out) == nil {
			if props, ok := out["properties"].(map[string]any); ok {
				for p := range props {
					declares = declares || handleName.MatchString(p)
				}
			}
		}
		if declares || createLike.MatchString(name) {
			minters = append(minters, name)
		}
	}
	calls := 0
	for _, m := range minters {
		if len(hs.kinds) >= 2 || calls > 40 || e.Ctx.Err() != nil || e.TimeLeft() < 6*time.Second {
			break
		}
		margs := argsOf(m)
		o := flowless(m, margs)
		calls++
		if !staterun.Completes(o) {
			continue
		}
		paths := structuredHandles(o)
		if len(paths) == 0 {
			paths = [][]string{nil}
		}
		for _, p := range paths {
			vals := handlesAt(o, p)
			if len(vals) == 0 {
				continue
			}
			k := &handleKind{kind: m, mint: handleTool{tool: m, path: p, params: margs}}
			where := "its text"
			if p != nil {
				where = strings.Join(p, ".")
			}
			k.source = fmt.Sprintf("detected: %s mints a handle at %s", m, where)
			for _, u := range users {
				if u.tool == m || calls > 40 {
					continue
				}
				if p != nil && !strings.EqualFold(p[len(p)-1], u.prop) && !(len(users) == 1) {
					continue
				}
				for _, v := range vals[:min(len(vals), 3)] {
					args := withHandle(argsOf(u.tool), []string{u.prop}, v.arg)
					ok := staterun.Completes(flowless(u.tool, args))
					calls++
					if !ok {
						continue
					}
					fake := withHandle(args, []string{u.prop}, sameShape(e, v.text))
					calls++
					if oc := staterun.RetryOutcome(flowless(u.tool, fake)); !oc.Kind.Refused() {
						continue
					}
					ht := handleTool{tool: u.tool, path: []string{u.prop}, params: args}
					if deleteLike.MatchString(u.tool) && u.nRequired <= 1 {
						k.deletes = append(k.deletes, ht)
					} else {
						k.uses = append(k.uses, ht)
					}
					if p == nil {
						k.mint.path = nil
						k.source = fmt.Sprintf("detected: %s mints %q in its text", m, v.text)
					}
					break
				}
			}
			if len(k.uses) > 0 {
				hs.kinds = append(hs.kinds, k)
				break
			}
		}
	}
	if len(hs.kinds) == 0 {
		hs.notes = append(hs.notes, fmt.Sprintf("no tool's result was taken by a tool with a handle-like argument (%d candidate minters, %d candidate users)", len(minters), len(users)))
	}
	return hs
}
