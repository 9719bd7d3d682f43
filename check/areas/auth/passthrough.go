package auth

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/probe"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

var passthroughIDs = []spec.ID{spec.AuthNoPassthrough}

func init() {
	check.Register(&check.Check{
		Name:  "auth/passthrough",
		IDs:   passthroughIDs,
		Needs: httpOnly,
		Eras:  []check.Era{check.Modern, check.DualEra, check.UnknownEra},
		Run:   checkPassthrough,
	})
}

// urlArg matches an argument that takes a URL.
var urlArg = regexp.MustCompile(`(?i)(url|uri|endpoint|upstream)$`)

// maxUpstreamTools bounds the tools the passthrough check points at the
// probe.
const maxUpstreamTools = 4

// upstreamTools returns tool → the argument to point at the upstream
// probe: those --hints names, else string arguments named like a URL.
func upstreamTools(e *check.Env) map[string]string {
	out := map[string]string{}
	if h := e.Opts.Hints; h != nil {
		for t, arg := range h.Upstream {
			out[t] = arg
		}
		if len(out) > 0 {
			return out
		}
	}
	for _, t := range slices.Sorted(maps.Keys(e.Decl.Tools)) {
		props, _ := probe.SchemaProps(e.Decl.Tools[t].Schema)
		for _, k := range slices.Sorted(maps.Keys(props)) {
			if s, _ := props[k].(map[string]any); s["type"] == "string" && urlArg.MatchString(k) && len(out) < maxUpstreamTools {
				out[t] = k
				break
			}
		}
	}
	return out
}

// checkPassthrough: tools that take a URL (--hints upstream, or an
// argument named like one) are called with the upstream probe's URL and a
// fresh correct token; without such a tool, a few tools are called (a
// server configured to call the probe, {upstream} in --command, may call
// it from any). What
// the probe receives must carry none of the tokens the run presented
// (security best practices, "Token Passthrough"). Nothing received:
// nothing to judge.
func checkPassthrough(e *check.Env) {
	rs := resourceFor(e, passthroughIDs)
	switch {
	case rs == nil:
		return
	case e.Opts.Upstream == nil:
		probe.SkipAll(e, passthroughIDs, "no upstream probe (--upstream-probe)")
		return
	}
	up := e.Opts.Upstream
	tokens := map[string]bool{}
	for _, h := range []map[string][]string{e.Client.Header, e.Opts.AltHeader} {
		if v, ok := wire.HeaderValue(h, "Authorization"); ok {
			if f := strings.Fields(v); len(f) == 2 {
				tokens[f[1]] = true
			}
		}
	}
	targets := upstreamTools(e)
	if len(targets) == 0 {
		// No tool takes a URL: a server configured with the probe as its
		// upstream service ({upstream} in --command) may call it from any
		// tool; a few are called with generated arguments.
		for _, t := range slices.Sorted(maps.Keys(e.Decl.Tools)) {
			if len(targets) < maxUpstreamTools {
				targets[t] = ""
			}
		}
	}
	var called []string
	for _, tool := range slices.Sorted(maps.Keys(targets)) {
		tok, err := rs.authority.Token("alice", rs.resource, rs.scope())
		if err != nil {
			probe.InconclusiveAll(e, passthroughIDs, "minting a token: %v", err)
			return
		}
		tokens[tok] = true
		c := bearerClient(e, tok)
		params := probe.ToolCallParams(e, tool)
		what := tool
		if arg := targets[tool]; arg != "" {
			args, _ := params["arguments"].(map[string]any)
			if args == nil {
				args = map[string]any{}
				params["arguments"] = args
			}
			args[arg] = up.URL() + "/mcpverify/" + e.RandHex(8)
			what = fmt.Sprintf("%s %s=%s", tool, arg, up.URL())
		}
		r := e.RequestAs(c, "tools/call", probe.WithMeta(c, params, nil))
		r.Timeout = probe.CallTimeout
		r.Credential = &wire.Credential{Case: "correct-alice-rs256", Principal: "alice", Claims: tokenClaims(tok), Resource: rs.resource, Scope: rs.scope()}
		o := e.Send(r)
		called = append(called, fmt.Sprintf("%s (%s)", what, o.Describe()))
	}
	got := up.Received()
	if len(got) == 0 {
		what := "the server lists no tool"
		if len(called) > 0 {
			what = "called " + strings.Join(called, "; ")
		}
		probe.SkipAll(e, passthroughIDs, "the server made no request to the upstream probe %s (%s): name a tool that takes a URL with --hints upstream, or configure the server's upstream service as the probe ({upstream} in --command)", up.URL(), what)
		return
	}
	for _, req := range got {
		for tok := range tokens {
			where := ""
			for k, vs := range req.Header {
				if slices.ContainsFunc(vs, func(v string) bool { return strings.Contains(v, tok) }) {
					where = "its " + k + " header"
				}
			}
			if strings.Contains(req.Query, tok) {
				where = "its query"
			}
			if where != "" {
				e.Violation(spec.AuthNoPassthrough, "the upstream probe received %s %s carrying, in %s, a token the checker presented to the server (claims %s): the server passed its caller's token on",
					req.Method, req.Path, where, tokenClaims(tok))
				return
			}
		}
	}
	e.Pass(spec.AuthNoPassthrough, "the upstream probe received %d request(s), none carrying a token the checker presented", len(got))
}
