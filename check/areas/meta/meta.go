package meta

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/probe"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Checks of the per-request _meta fields (basic/index.mdx, "_meta" /
// "Per-request protocol fields") and of the per-request log level
// (server/utilities/logging.mdx, "Error Handling").

func init() {
	check.Register(&check.Check{
		Name: "meta/required-fields",
		IDs:  []spec.ID{spec.CoreMetaRequired, spec.HttpMetaStatus},
		Run:  metaRequired.Run,
	})
	check.Register(&check.Check{
		Name: "meta/wrong-types",
		IDs:  []spec.ID{spec.CoreMetaRequired, spec.HttpMetaStatus},
		Run:  metaWrongTypes.Run,
	})
	check.Register(&check.Check{
		Name: "meta/log-level",
		IDs:  []spec.ID{spec.CoreLogInvalidLevel},
		Run:  metaLogLevel.Run,
	})
}

// metaDrop is one way of leaving required _meta out of a request.
type metaDrop struct {
	what string
	// edit changes the params of the request (nil params: none at all).
	edit func(params map[string]any) map[string]any
	// listOnly: the variant leaves out params the method needs beyond
	// _meta, so it is tried only on a request without other params.
	listOnly bool
}

// metaDrops generates the omissions: each required key dropped, all of
// them, each set to null, the whole _meta dropped or null, and (for a
// request that needs no other params) params itself absent.
func metaDrops(e *check.Env) []metaDrop {
	var out []metaDrop
	keyed := func(what string, f func(meta map[string]any)) metaDrop {
		return metaDrop{what: what, edit: func(p map[string]any) map[string]any {
			meta := e.Client.Meta(nil)
			f(meta)
			p["_meta"] = meta
			return p
		}}
	}
	for _, k := range wire.RequiredRequestMeta {
		out = append(out,
			keyed("without "+k, func(m map[string]any) { delete(m, k) }),
			keyed("with "+k+" null", func(m map[string]any) { m[k] = nil }))
	}
	out = append(out,
		keyed("without any required _meta key", func(m map[string]any) {
			for _, k := range wire.RequiredRequestMeta {
				delete(m, k)
			}
		}),
		metaDrop{what: "without _meta", edit: func(p map[string]any) map[string]any { delete(p, "_meta"); return p }},
		metaDrop{what: "with _meta null", edit: func(p map[string]any) map[string]any { p["_meta"] = nil; return p }},
		metaDrop{what: "without params", edit: func(map[string]any) map[string]any { return nil }, listOnly: true},
	)
	return out
}

// metaRequest builds the unaltered request's request (fresh id, same headers) with
// params replaced: nil leaves params out of the body.
func metaRequest(e *check.Env, b *probe.Served, params map[string]any) *check.Request {
	req := b.Fresh(e)
	msg := map[string]any{"jsonrpc": wire.JSONRPCVersion, "id": e.NextID(), "method": b.Method}
	if params != nil {
		msg["params"] = params
	}
	return probe.WithBody(req, wire.MustMarshal(msg))
}

// metaRequired drops each required _meta key (and the whole _meta, and
// params) from requests the server serves; each must be rejected with
// -32602 (or -32020 where the version header is present but the body's
// version is missing: both are required, with no precedence) and, on
// HTTP, 400. The model knows the acceptable forms.
var metaRequired = probe.Family{
	IDs:      []spec.ID{spec.CoreMetaRequired, spec.HttpMetaStatus},
	HTTPOnly: []spec.ID{spec.HttpMetaStatus},
	Variants: func(e *check.Env, s *probe.Served) []probe.Variant {
		var out []probe.Variant
		for _, d := range metaDrops(e) {
			if d.listOnly && hasOtherParams(s.Params) {
				continue
			}
			out = append(out, probe.Variant{What: fmt.Sprintf("%s %s", s.Method, d.what), Request: metaRequest(e, s, d.edit(probe.CloneParams(s.Params)))})
		}
		return out
	},
}

// hasOtherParams reports params beyond _meta.
func hasOtherParams(p map[string]any) bool {
	for k := range p {
		if k != "_meta" {
			return true
		}
	}
	return false
}

// wrongTypes are values of the wrong JSON type for a _meta member whose
// type is named by want ("string", "object").
func wrongTypes(want string) []any {
	all := []any{int64(20260728), true, []any{wire.Version}, map[string]any{}, "x", 1.5}
	var out []any
	for _, v := range all {
		switch v.(type) {
		case string:
			if want == "string" {
				continue
			}
		case map[string]any:
			if want == "object" {
				continue
			}
		}
		out = append(out, v)
	}
	return out
}

// metaWrongTypes gives each required _meta key, and _meta itself, a
// value of every wrong JSON type (a numeric version, a string
// capabilities object, ...): the field is then malformed, and the request
// must be rejected with -32602 (HTTP 400) like one that lacks it.
var metaWrongTypes = probe.Family{
	IDs:      []spec.ID{spec.CoreMetaRequired, spec.HttpMetaStatus},
	HTTPOnly: []spec.ID{spec.HttpMetaStatus},
	Serve:    probe.ServedOne(probe.ServedList),
	Variants: func(e *check.Env, s *probe.Served) []probe.Variant {
		type wrong struct {
			what  string
			value any
			key   string // "" sets _meta itself
		}
		var ws []wrong
		for _, v := range wrongTypes("string") {
			ws = append(ws, wrong{"_meta " + wire.MetaProtocolVersion, v, wire.MetaProtocolVersion})
		}
		for _, v := range wrongTypes("object") {
			ws = append(ws, wrong{"_meta " + wire.MetaClientCapabilities, v, wire.MetaClientCapabilities})
		}
		for _, v := range wrongTypes("object") {
			ws = append(ws, wrong{"_meta", v, ""})
		}
		var out []probe.Variant
		for _, w := range ws {
			params := probe.CloneParams(s.Params)
			if w.key == "" {
				params["_meta"] = w.value
			} else {
				meta := e.Client.Meta(nil)
				meta[w.key] = w.value
				params["_meta"] = meta
			}
			out = append(out, probe.Variant{What: fmt.Sprintf("%s with %s = %s", s.Method, w.what, wire.MustMarshal(w.value)), Request: metaRequest(e, s, params)})
		}
		return out
	},
}

// invalidLogLevels derives strings that are not log levels from the
// levels: case changes, truncations, surrounding space, non-ASCII, empty,
// and names other logging systems use.
func invalidLogLevels() []string {
	cands := []string{"", "verbose", "trace", "fatal", "warn", "err", "off", "all"}
	for _, l := range []string{"debug", "warning", "emergency"} {
		cands = append(cands, strings.ToUpper(l), strings.ToUpper(l[:1])+l[1:], probe.Truncate(l), l+" ", " "+l, l+"\u00e9")
	}
	var out []string
	for _, c := range cands {
		if wire.LogLevelRank(c) < 0 && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// metaLogLevel: a request whose io.modelcontextprotocol/logLevel is
// not a log level SHOULD be rejected with -32602. The unaltered request is the
// same request with a valid level (a server that refuses logLevel
// altogether proves nothing by refusing an invalid one).
var metaLogLevel = probe.Family{
	IDs: []spec.ID{spec.CoreLogInvalidLevel},
	Serve: probe.ServedOne(func(e *check.Env) (*probe.Served, bool) {
		method := "server/discover"
		if b, ok := probe.ServedList(e); ok {
			method = b.Method
		}
		return probe.ServedRequest(e, method, withLogLevel(e, "error"))
	}),
	Variants: func(e *check.Env, b *probe.Served) []probe.Variant {
		var out []probe.Variant
		for _, l := range invalidLogLevels() {
			out = append(out, probe.Variant{What: fmt.Sprintf("%s with logLevel %q", b.Method, l), Request: e.Request(b.Method, withLogLevel(e, l))})
		}
		return out
	},
}

// withLogLevel returns params whose _meta carries the log level.
func withLogLevel(e *check.Env, level string) map[string]any {
	return map[string]any{"_meta": e.Client.Meta(map[string]any{wire.MetaLogLevel: level})}
}
