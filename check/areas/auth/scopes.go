package auth

import (
	"fmt"
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
		Name:       "auth/scopes",
		IDs:        scopeIDs,
		Transports: []wire.Transport{wire.HTTP},
		Eras:       []check.Era{check.Modern, check.DualEra, check.UnknownEra},
		Run:        checkScopes,
	})
}

// noScope is the scope of a token that holds none the server knows.
const noScope = "mcpverify:no-scope"

// maxScopeTools bounds the tools the scope check calls.
const maxScopeTools = 4

// bearerClient is the check's client presenting tok.
func bearerClient(e *check.Env, tok string) check.Client {
	return check.WithHeaders(e.AsAnonymous(e.Client), nil, http.Header{"Authorization": {"Bearer " + tok}})
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

// checkScopes: for a few tools, a call served with a token of every scope
// (the baseline) is made again with a token of no scope the server knows;
// a refusal whose challenge says error="insufficient_scope" names the
// scopes the server itself says the call needs (or --hints names them).
// Then, for each of those scopes, the call is made with a token holding
// the others only: it must be refused (AUTH-SCOPE-REFUSED), with 403 and
// the insufficient_scope challenge (AUTH-SCOPE-403); the model judges
// both.
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
	tools := slices.Sorted(func(yield func(string) bool) {
		for t := range hinted {
			if e.Decl.Tools[t] != nil && !yield(t) {
				return
			}
		}
	})
	for _, t := range probe.Sorted(keys(e.Decl.Tools)) {
		if len(tools) >= maxScopeTools+len(hinted) {
			break
		}
		if !slices.Contains(tools, t) {
			tools = append(tools, t)
		}
	}
	judged := map[spec.ID]int{}
	violated := map[spec.ID]bool{}
	var needs []string
	for _, tool := range tools {
		params, o := probe.CallTool(e, bearerClient(e, full), tool, nil, 3, probe.CallTimeout)
		if !o.Accepted() {
			continue
		}
		low, err := scopeCall(e, rs, params, noScope, "scope-probe")
		if err != nil {
			probe.InconclusiveAll(e, scopeIDs, "minting a token: %v", err)
			return
		}
		need := hinted[tool]
		if ch, ok := wire.BearerChallenge(low.Ex.RespHeader); ok && !low.Accepted() {
			if v, _ := ch.Param("error"); v == "insufficient_scope" {
				sc, _ := ch.Param("scope")
				need = strings.Fields(sc)
			}
		}
		if len(need) == 0 {
			continue
		}
		needs = append(needs, fmt.Sprintf("%s needs %s", tool, strings.Join(need, " ")))
		for _, s := range need {
			rest := slices.DeleteFunc(slices.Clone(need), func(x string) bool { return x == s })
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
		probe.SkipAll(e, scopeIDs, "no call tried (%s) needs a scope: with a token of none the server knows, none was refused with an insufficient_scope challenge, and --hints names no scopes", probe.ListSome(tools, 8, ", "))
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

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
