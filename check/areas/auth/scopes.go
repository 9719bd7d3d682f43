package auth

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/probe"
	"github.com/mcpverify/mcpverify/model"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

var scopeIDs = []spec.ID{spec.AuthScopeRefused, spec.AuthScope403}

func init() {
	check.Register(&check.Check{
		Name:  "auth/scopes",
		IDs:   scopeIDs,
		Needs: httpOnly,
		Eras:  []check.Era{check.Modern, check.DualEra, check.UnknownEra},
		Run:   checkScopes,
	})
}

// noScope is the scope of a token that holds none the server knows.
const noScope = "mcpverify:no-scope"

// maxScopeProbes bounds the tools the scope check asks what they need
// (scopeOrder's first); maxScopeTools those it then calls lacking each
// needed scope.
const (
	maxScopeProbes = 32
	maxScopeTools  = 4
)

// scopeOrder orders tools for the scope probes: first those whose name or
// description shares a word with a scope the server supports (a tool
// "transfer" and a scope "mcp:transfer"), then the rest, each in name
// order.
func scopeOrder(e *check.Env, scopes []string) []string {
	words := map[string]bool{}
	for _, s := range scopes {
		for _, w := range wordsOf(s) {
			words[w] = true
		}
	}
	var first, rest []string
	for _, t := range slices.Sorted(maps.Keys(e.Decl.Tools)) {
		td := e.Decl.Tools[t]
		if slices.ContainsFunc(wordsOf(t+" "+td.Tool.Description), func(w string) bool { return words[w] }) {
			first = append(first, t)
		} else {
			rest = append(rest, t)
		}
	}
	return append(first, rest...)
}

// wordsOf splits s into lower-case words of letters and digits.
func wordsOf(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	})
}

// bearerClient is the check's client presenting tok, declaring every
// input capability (a tool that asks for input is then served).
func bearerClient(e *check.Env, tok string) check.Client {
	return check.WithHeaders(e.AsAnonymous(probe.ClientWithInputs(e, probe.AllInputKinds...)), nil, http.Header{"Authorization": {"Bearer " + tok}})
}

// scopeCall sends tools/call with params as a token of scope, its
// credential recorded as case (the model judges AuthScopeCase).
func scopeCall(e *check.Env, rs *resourceServer, params map[string]any, scope, name string) (check.Observation, error) {
	tok, err := rs.authority.Token("alice", rs.resource, scope)
	if err != nil {
		return check.Observation{}, err
	}
	c := bearerClient(e, tok)
	r := e.RequestAs(c, "tools/call", probe.WithMeta(c, params, nil))
	r.Timeout = probe.CallTimeout
	r.Credential = &wire.Credential{Case: name, Principal: "alice", Claims: tokenClaims(tok), Resource: rs.resource, Scope: scope}
	return e.Send(r), nil
}

// checkScopes: each tool is called with a token of no scope the server
// knows; a refusal whose challenge says error="insufficient_scope" names
// the scopes the server itself says the call needs (or --hints names
// them). For the tools that need the most, a call served with a token of
// every scope (the baseline) is made again, for each needed scope, with a
// token holding the others only: it must be refused (AUTH-SCOPE-REFUSED),
// with 403 and the insufficient_scope challenge (AUTH-SCOPE-403); the
// model judges both.
func checkScopes(e *check.Env) {
	rs := resourceFor(e, scopeIDs)
	if rs == nil {
		return
	}
	full, err := rs.authority.Token("alice", rs.resource, rs.scope())
	if err != nil {
		probe.InconclusiveAll(e, scopeIDs, "minting a token: %v", err)
		return
	}
	var hinted map[string][]string
	if e.Opts.Hints != nil {
		hinted = e.Opts.Hints.Scopes
	}
	// What each tool needs: what its refusal of a token of no known scope
	// names (one call per tool, up to maxScopeProbes), or what --hints
	// says.
	type need struct {
		tool   string
		scopes []string
	}
	var needing []need
	tools := scopeOrder(e, rs.scopes)
	if len(tools) > maxScopeProbes {
		tools = tools[:maxScopeProbes]
	}
	for _, t := range slices.Sorted(maps.Keys(hinted)) {
		if e.Decl.Tools[t] != nil && !slices.Contains(tools, t) {
			tools = append(tools, t)
		}
	}
	for _, tool := range tools {
		low, err := scopeCall(e, rs, probe.ToolCallParams(e, tool), noScope, "scope-probe")
		if err != nil {
			probe.InconclusiveAll(e, scopeIDs, "minting a token: %v", err)
			return
		}
		n := need{tool: tool, scopes: hinted[tool]}
		if ch, ok := wire.BearerChallenge(low.Ex.RespHeader); ok && !low.Accepted() {
			if v, _ := ch.Param("error"); v == "insufficient_scope" {
				sc, _ := ch.Param("scope")
				n.scopes = strings.Fields(sc)
			}
		}
		if len(n.scopes) > 0 {
			needing = append(needing, n)
		}
	}
	// The tools that need the most scopes first: a token lacking one of
	// several is the telling case.
	slices.SortStableFunc(needing, func(a, b need) int { return len(b.scopes) - len(a.scopes) })
	judged := map[spec.ID]int{}
	violated := map[spec.ID]bool{}
	var needs []string
	for _, n := range needing {
		if len(needs) >= maxScopeTools {
			break
		}
		params, o := probe.CallTool(e, bearerClient(e, full), n.tool, nil, 3, probe.CallTimeout)
		if !o.Accepted() {
			continue // no baseline: nothing to judge on this tool
		}
		needs = append(needs, fmt.Sprintf("%s needs %s", n.tool, strings.Join(n.scopes, " ")))
		for _, s := range n.scopes {
			rest := slices.DeleteFunc(slices.Clone(n.scopes), func(x string) bool { return x == s })
			scope := strings.Join(rest, " ")
			if scope == "" {
				scope = noScope
			}
			o, err := scopeCall(e, rs, params, scope, model.AuthScopeCase)
			if err != nil || !o.Answered() {
				continue
			}
			for _, id := range model.AuthCaseIDs(model.AuthScopeCase) {
				judged[id]++
				if _, ok := o.Violated(id); ok {
					violated[id] = true
				}
			}
		}
	}
	if len(needs) == 0 {
		probe.SkipAll(e, scopeIDs, "no call tried (%s) needs a scope: with a token of none the server knows, none was refused with an insufficient_scope challenge (or served with a token of every scope), and --hints names no scopes", probe.ListSome(tools, 8, ", "))
		return
	}
	for _, id := range scopeIDs {
		switch {
		case violated[id]:
		case judged[id] == 0:
			e.Inconclusive(id, "the calls with a token lacking a needed scope got no answer (%s)", strings.Join(needs, "; "))
		default:
			e.Pass(id, "%d call(s) with a token lacking one needed scope were refused as the spec asks (%s)", judged[id], strings.Join(needs, "; "))
		}
	}
}
