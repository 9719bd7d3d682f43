package headers

import (
	"fmt"
	"strings"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/probe"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

func init() {
	check.Register(&check.Check{
		Name:       "headers/param-name-variant",
		IDs:        []spec.ID{spec.HttpParamNameVariant},
		Transports: []wire.Transport{wire.HTTP},
		Needs:      needsVariantParam,
		Run:        checkParamNameVariant,
	})
}

// variantName is name with '-' and '_' swapped ("" when it has neither):
// a name that proxies and CGI-style gateways fold into the same field.
func variantName(name string) string {
	if !strings.ContainsAny(name, "-_") {
		return ""
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case '-':
			return '_'
		case '_':
			return '-'
		}
		return r
	}, name)
}

// needsVariantParam: a tool whose x-mcp-header name contains '-' or '_'.
func needsVariantParam(e *check.Env) string {
	for _, td := range e.Decl.Tools {
		for _, ph := range td.Headers {
			if variantName(ph.Name) != "" {
				return ""
			}
		}
	}
	return "no x-mcp-header name contains '-' or '_'"
}

// checkParamNameVariant sends a served tools/call with, beside each
// Mcp-Param header whose name has '-' or '_', the same header with them
// swapped and another value: each should fail header validation. A served
// one is a hardening warning (HTTP-PARAM-NAME-VARIANT).
func checkParamNameVariant(e *check.Env) {
	var tool string
	for n, td := range e.Decl.Tools {
		for _, ph := range td.Headers {
			if variantName(ph.Name) != "" && (tool == "" || n < tool) {
				tool = n
			}
		}
	}
	b, td, ok := hdrParamServed(e, tool)
	if !ok {
		e.Inconclusive(spec.HttpParamNameVariant, "no tools/call of %s with its Mcp-Param headers was served", tool)
		return
	}
	var served, refused []string
	var ev []*wire.Exchange
	for _, ph := range td.Headers {
		alt := variantName(ph.Name)
		if alt == "" {
			continue
		}
		real := wire.HeaderParamPrefix + ph.Name
		v, ok := wire.HeaderValue(b.Req.Header, real)
		if !ok {
			continue
		}
		other := "mcpverify-variant"
		if v == other {
			other += "-2"
		}
		r := b.Fresh(e)
		r.Header[wire.HeaderParamPrefix+alt] = []string{other}
		mark := e.Mark()
		o := e.Send(r)
		what := fmt.Sprintf("%s: %s beside %s: %s", td.Tool.Name, wire.HeaderParamPrefix+alt+": "+other, real, v)
		switch {
		case !o.Answered():
			e.Inconclusive(spec.HttpParamNameVariant, "%s: %s", what, o.Describe())
			return
		case o.Accepted():
			served = append(served, what+" ("+o.Describe()+")")
			if ev == nil {
				ev = e.Since(mark)
			}
		default:
			refused = append(refused, what+" ("+o.Describe()+")")
		}
	}
	switch {
	case len(served) > 0:
		e.ViolationShown(ev, spec.HttpParamNameVariant, "two Mcp-Param headers whose names differ only by '-' and '_', with different values, were served: %s; a proxy that folds the names routes on one value while the server validates the other", probe.ListSome(served, 3, "; "))
	case len(refused) > 0:
		e.Pass(spec.HttpParamNameVariant, "every request with a '-'/'_' variant of an Mcp-Param header holding another value was refused: %s", probe.ListSome(refused, 3, "; "))
	default:
		e.Inconclusive(spec.HttpParamNameVariant, "the served call of %s carried none of its Mcp-Param headers with '-' or '_'", td.Tool.Name)
	}
}
