package exposure

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/probe"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Without credentials (AUTH-EXPOSURE, hardening), on a server that
// refuses a request with invalid credentials while it serves the
// client's (Env.ProbeAuth): server/discover, the first page of every list
// the server declares, and resources/read of the first resource it
// lists, each sent without any credentials. What a served answer shows is
// the finding, quoted in the warning: tool names and input schemas,
// prompt names, resource URIs and templates, a resource's contents, the
// instructions, the implementation's name and version. The supported
// versions and capabilities of server/discover alone are not counted: a
// client needs them to speak to the server at all. Every request refused:
// pass. Where the server implements the MCP authorization specification,
// a request served without a token also breaks AUTH-VERIFY-ALL, which the
// auth checks decide.

func init() {
	check.Register(&check.Check{
		Name:       "exposure/anonymous",
		IDs:        []spec.ID{spec.AuthExposure},
		Transports: []wire.Transport{wire.HTTP},
		Run:        checkAnonymous,
	})
}

func checkAnonymous(e *check.Env) {
	id := spec.AuthExposure
	a := e.ProbeAuth()
	if !a.Authenticates {
		e.Skip(id, "%s; a server that takes any caller has nothing to hide from one without credentials", a.Why)
		return
	}
	anon := e.AsAnonymous(e.Client)
	type request struct {
		method string
		params map[string]any
	}
	reqs := []request{{"server/discover", nil}}
	for _, m := range e.Server.Lists() {
		reqs = append(reqs, request{m, map[string]any{}})
	}
	if uris := probe.ResourceURIs(e); len(uris) > 0 {
		reqs = append(reqs, request{"resources/read", map[string]any{"uri": uris[0]}})
	}
	var revealed, other []string
	var refused []refusal
	var shown []*wire.Exchange
	impl := ""
	for _, r := range reqs {
		if !enough(e) {
			other = append(other, r.method+": not sent (the check ran out of time)")
			break
		}
		o := send(e, anon, r.method, r.params)
		res, ok := completeResult(o)
		switch {
		case ok:
			what := reveals(r.method, res)
			if si := implementation(res); si != "" && impl == "" {
				impl = si
				what = append([]string{si}, what...)
			}
			if len(what) > 0 {
				revealed = append(revealed, fmt.Sprintf("%s: %s", r.method, strings.Join(what, ", ")))
				shown = append(shown, o.Ex)
			} else {
				other = append(other, fmt.Sprintf("%s served, showing nothing that describes the server", r.method))
			}
		case o.Rejected():
			refused = addTo(refused, o.Describe(), r.method)
		default:
			other = append(other, fmt.Sprintf("%s: %s", r.method, o.Describe()))
		}
	}
	switch {
	case len(revealed) > 0:
		e.ViolationShown(shown, id, "the server refuses invalid credentials, yet without any it answered %s", strings.Join(revealed, "; "))
	case len(refused) > 0:
		var by []string
		for _, g := range refused {
			by = append(by, fmt.Sprintf("%s (%s)", strings.Join(g.methods, ", "), g.answer))
		}
		e.Pass(id, "every request without credentials was refused: %s%s", probe.ListSome(by, 4, "; "), noteOn(other))
	default:
		e.Inconclusive(id, "no request without credentials was refused or revealing: %s", probe.ListSome(other, 4, "; "))
	}
}

// refusal is the requests refused with one answer.
type refusal struct {
	answer  string
	methods []string
}

// addTo adds method to the refusal of answer.
func addTo(rs []refusal, answer, method string) []refusal {
	for i := range rs {
		if rs[i].answer == answer {
			rs[i].methods = append(rs[i].methods, method)
			return rs
		}
	}
	return append(rs, refusal{answer, []string{method}})
}

// implementation names the implementation a result's _meta names, or "".
func implementation(res map[string]any) string {
	m, _ := res["_meta"].(map[string]any)
	if si, _ := m[wire.MetaServerInfo].(map[string]any); si != nil {
		return fmt.Sprintf("the implementation %v %v", si["name"], si["version"])
	}
	return ""
}

// reveals says what a result of method shows about the server, besides
// the implementation.
func reveals(method string, res map[string]any) []string {
	var out []string
	if s, _ := res["instructions"].(string); s != "" {
		out = append(out, fmt.Sprintf("instructions (%d bytes: %.60q)", len(s), s))
	}
	if info, ok := wire.LookupMethod(method); ok && info.ListKey != "" {
		items, _ := res[info.ListKey].([]any)
		var keys []string
		schemas := 0
		for _, it := range items {
			m, _ := it.(map[string]any)
			if k, _ := m[listItems[method].key].(string); k != "" {
				keys = append(keys, k)
			}
			if m["inputSchema"] != nil {
				schemas++
			}
		}
		if len(keys) > 0 {
			what := fmt.Sprintf("%d %s", len(keys), info.ListKey)
			if schemas > 0 {
				what += fmt.Sprintf(" (%d with input schemas)", schemas)
			}
			out = append(out, fmt.Sprintf("%s: %s", what, probe.ListSome(probe.Quoted(slices.Sorted(slices.Values(keys))), 8, ", ")))
		}
	}
	if cs, _ := res["contents"].([]any); len(cs) > 0 {
		out = append(out, fmt.Sprintf("the contents of the resource (%d item(s))", len(cs)))
	}
	return out
}
