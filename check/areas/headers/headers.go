package headers

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"unicode"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/gen"
	"github.com/mcpverify/mcpverify/check/probe"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Checks of the mirrored request headers of Streamable HTTP
// (basic/transports/streamable-http.mdx: "Standard Request Headers",
// "Value Encoding", "Case Sensitivity", "Server Validation", "Custom
// Headers from Tool Parameters").
//
// Every family is generated: the mutations of a header value are derived
// from the real value the request carries and from the server's own
// declarations (other tool, prompt and resource names, other methods of the
// method table), and each is sent as a copy of a request the server has
// just served (the unaltered request), so that a rejection can only be the
// mutation's doing. A server that routes or authorizes by a header but
// executes the body serves the mismatched copy, and fails.

func init() {
	httpOnly := []wire.Transport{wire.HTTP}
	check.Register(&check.Check{
		Name:       "headers/mcp-method",
		IDs:        []spec.ID{spec.HttpHeaderRequired, spec.HttpHeaderMismatch, spec.HttpHeaderInvalid},
		Transports: httpOnly,
		Run:        mcpMethodHeader.Run,
	})
	check.Register(&check.Check{
		Name:       "headers/mcp-name",
		IDs:        []spec.ID{spec.HttpHeaderRequired, spec.HttpHeaderMismatch, spec.HttpHeaderInvalid, spec.HttpHeaderBase64},
		Transports: httpOnly,
		Needs:      needsNamedPrimitive,
		Run:        checkMcpNameHeader,
	})
	check.Register(&check.Check{
		Name: "headers/mcp-param",
		IDs: []spec.ID{spec.HttpParamMissing, spec.HttpParamMismatch, spec.HttpHeaderInvalid, spec.HttpHeaderBase64,
			spec.HttpParamNumeric, spec.HttpParamAbsent},
		Transports: httpOnly,
		Needs:      needsParamTool,
		Run:        checkMcpParamHeaders,
	})
	check.Register(&check.Check{
		Name:       "headers/case-insensitive-names",
		IDs:        []spec.ID{spec.HttpHeaderNameCase},
		Transports: httpOnly,
		Run:        headerNameCase.Run,
	})
}

var (
	methodNameIDs = probe.HeaderIDs{probe.DefectMissing: spec.HttpHeaderRequired, probe.DefectMismatch: spec.HttpHeaderMismatch, probe.DefectInvalid: spec.HttpHeaderInvalid}
	hdrParamIDs   = probe.HeaderIDs{probe.DefectMissing: spec.HttpParamMissing, probe.DefectMismatch: spec.HttpParamMismatch, probe.DefectInvalid: spec.HttpHeaderInvalid}
)

// servedWithName returns the served list request and, if the server
// has one, a served request with Mcp-Name.
func servedWithName(e *check.Env) []*probe.Served {
	var out []*probe.Served
	if s, ok := probe.ServedList(e); ok {
		out = append(out, s)
	}
	if nbs := hdrNameServed(e, 1); len(nbs) > 0 {
		out = append(out, nbs[0].b)
	}
	return out
}

// mcpMethodHeader mutates Mcp-Method on a served list request and on a
// served request with Mcp-Name: missing (HTTP-HEADER-REQUIRED), every
// mismatch class including every other method of the method table and the
// Base64 form, which Mcp-Method does not allow (HTTP-HEADER-MISMATCH), and
// non-ASCII bytes (HTTP-HEADER-INVALID).
var mcpMethodHeader = probe.Family{
	IDs:   probe.IDsOf(methodNameIDs),
	Serve: servedWithName,
	Variants: func(e *check.Env, s *probe.Served) []probe.Variant {
		return probe.HeaderVariants(e, s, wire.HeaderMethod, probe.MismatchMutations(probe.MirrorPlain, s.Method, probe.Others(probe.RequestMethods(), s.Method, 20)), methodNameIDs)
	},
	Judge: probe.ExpectDefect(methodNameIDs),
}

// needsNamedPrimitive: Mcp-Name is sent on tools/call, prompts/get and
// resources/read; a server with none of them has nothing to name.
func needsNamedPrimitive(e *check.Env) string {
	if e.Server.Discover == nil {
		return "" // unknown: the run decides (inconclusive without an unaltered request)
	}
	c := e.Server.Capabilities
	if c.Tools == nil && c.Prompts == nil && c.Resources == nil {
		return "the server declares no tools, prompts or resources, so no request carries Mcp-Name"
	}
	return ""
}

// hdrNamed is a served request that carries Mcp-Name, with other names of
// the same kind that the server declares.
type hdrNamed struct {
	b      *probe.Served
	others []string
}

// hdrNameServed finds up to max served requests with Mcp-Name: a
// tools/call, a prompts/get and a resources/read, whichever the server
// has, built from its declarations.
func hdrNameServed(e *check.Env, max int) []hdrNamed {
	out, _ := hdrNameServedOf(e, max)
	return out
}

// hdrNameServedOf is hdrNameServed that also counts the names it
// could have tried (0: the server declares nothing to name).
func hdrNameServedOf(e *check.Env, max int) ([]hdrNamed, int) {
	var out []hdrNamed
	names := len(e.Decl.Tools) + len(e.Decl.Prompts)
	if e.Server.Capabilities.Tools != nil && len(out) < max {
		b, ok := probe.ServedToolCall(e, false)
		if !ok {
			b, ok = probe.ServedToolCall(e, true)
		}
		if ok {
			name, _ := b.Params["name"].(string)
			out = append(out, hdrNamed{b, probe.Others(slices.Sorted(maps.Keys(e.Decl.Tools)), name, 2)})
		}
	}
	if e.Server.Capabilities.Prompts != nil && len(out) < max && e.Ctx.Err() == nil {
		if b, ok := hdrPromptServed(e); ok {
			name, _ := b.Params["name"].(string)
			out = append(out, hdrNamed{b, probe.Others(slices.Sorted(maps.Keys(e.Decl.Prompts)), name, 2)})
		}
	}
	if e.Server.Capabilities.Resources != nil && len(out) < max && e.Ctx.Err() == nil {
		b, uris, ok := hdrResourceServed(e)
		names += len(uris)
		if ok {
			uri, _ := b.Params["uri"].(string)
			out = append(out, hdrNamed{b, probe.Others(uris, uri, 2)})
		}
	}
	return out, names
}

// hdrPromptServed finds a prompts/get the server serves: prompts with the
// fewest required arguments first, each required argument given a plain
// value.
func hdrPromptServed(e *check.Env) (*probe.Served, bool) {
	names := slices.Sorted(maps.Keys(e.Decl.Prompts))
	sort.SliceStable(names, func(i, j int) bool {
		return probe.RequiredArgs(e.Decl.Prompts[names[i]]) < probe.RequiredArgs(e.Decl.Prompts[names[j]])
	})
	for i, n := range names {
		if i >= 4 || e.Ctx.Err() != nil {
			break
		}
		params := map[string]any{"name": n}
		if p := e.Decl.Prompts[n]; len(p.Arguments) > 0 {
			args := map[string]any{}
			for _, a := range p.Arguments {
				if a.Required != nil && *a.Required {
					args[a.Name] = "hello"
				}
			}
			params["arguments"] = args
		}
		if b, ok := probe.ServedRequest(e, "prompts/get", params); ok {
			return b, true
		}
	}
	return nil, false
}

// hdrResourceServed finds a resources/read the server serves: a listed
// resource, else a URI expanded from a template. It returns the URIs it
// knows (for other-name mutations).
func hdrResourceServed(e *check.Env) (*probe.Served, []string, bool) {
	uris := probe.ReadableURIs(e)
	for i, u := range uris {
		if i >= 4 || e.Ctx.Err() != nil {
			break
		}
		if b, ok := probe.ServedRequest(e, "resources/read", map[string]any{"uri": u}); ok {
			return b, uris, true
		}
	}
	return nil, uris, false
}

// checkMcpNameHeader mutates Mcp-Name on a served tools/call, prompts/get
// and resources/read (whichever the server has): missing, every mismatch
// class including the other names the server declares and the Base64 form
// of another value, invalid values; and the Base64 form of the right
// value, which must be served (HTTP-HEADER-BASE64).
func checkMcpNameHeader(e *check.Env) {
	ids := []spec.ID{spec.HttpHeaderRequired, spec.HttpHeaderMismatch, spec.HttpHeaderInvalid, spec.HttpHeaderBase64}
	nbs, names := hdrNameServedOf(e, 3)
	if len(nbs) == 0 {
		if e.Server.Discover != nil && names == 0 {
			probe.SkipAll(e, ids, "the server lists no tool, prompt or resource to name")
			return
		}
		probe.InconclusiveAll(e, ids, "the server served no tools/call, prompts/get or resources/read built from its declarations")
		return
	}
	for _, nb := range nbs {
		real, _ := nb.b.Params[hdrNameParam(nb.b.Method)].(string)
		probe.HeaderMutations(e, nb.b, wire.HeaderName, probe.MismatchMutations(probe.MirrorText, real, nb.others), methodNameIDs)
		var accept []probe.Variant
		for _, mu := range probe.AcceptMutations(probe.MirrorText, real) {
			r := nb.b.Fresh(e)
			probe.SetValues(r, wire.HeaderName, mu.Values)
			accept = append(accept, probe.Variant{What: fmt.Sprintf("%s with %s %s (the Base64 form of %q)", nb.b.Method, wire.HeaderName, probe.DescribeValues(mu.Values), real), Request: r})
		}
		if !probe.Vary(e, nb.b, accept, func(e *check.Env, s *probe.Served, v probe.Variant, o check.Observation) {
			probe.ExpectServed(e, s, o, spec.HttpHeaderBase64, v.What)
		}) {
			return
		}
	}
}

// needsParamTool: the Mcp-Param-* rules need a tool with x-mcp-header
// annotations.
func needsParamTool(e *check.Env) string {
	if e.Server.Discover == nil {
		return ""
	}
	for _, td := range e.Decl.Tools {
		if len(td.Headers) > 0 {
			return ""
		}
	}
	return "no tool declares a (valid) x-mcp-header annotation"
}

// hdrParamServed finds a served tools/call of a tool with x-mcp-header
// annotations in which every annotated argument has a value (so that every
// Mcp-Param-* header is sent). If only is set, only that tool is tried.
func hdrParamServed(e *check.Env, only string) (*probe.Served, *check.ToolDecl, bool) {
	var names []string
	for _, n := range slices.Sorted(maps.Keys(e.Decl.Tools)) {
		if len(e.Decl.Tools[n].Headers) > 0 && (only == "" || n == only) {
			names = append(names, n)
		}
	}
	for i, n := range names {
		if i >= 4 {
			break
		}
		td := e.Decl.Tools[n]
		for attempt := 0; attempt < 3 && e.Ctx.Err() == nil; attempt++ {
			args, _ := gen.GenerateValue(e.Rand(), td.Schema).(map[string]any)
			if args == nil {
				args = map[string]any{}
			}
			for _, ph := range td.Headers {
				hdrFillPath(e, args, td.Schema, ph.Path, attempt < 2)
			}
			b, ok := probe.ServedRequest(e, "tools/call", map[string]any{"name": n, "arguments": args})
			if !ok {
				continue
			}
			if r, isCall := b.Obs.Result().(*wire.CallToolResult); isCall && (r.IsError == nil || !*r.IsError) {
				return b, td, true
			}
		}
	}
	return nil, nil, false
}

// hdrFillPath gives the argument at path a primitive value drawn from its
// schema when it has none; with plain, it redraws (a few times) a string
// that would need the Base64 form, so that the unaltered request's headers are
// plain and each mutation is the only encoded value of its probe.
func hdrFillPath(e *check.Env, args map[string]any, schema any, path []string, plain bool) {
	cur, sch := args, schema
	for i, key := range path {
		props, _ := hdrMap(sch)["properties"].(map[string]any)
		sub := props[key]
		if i == len(path)-1 {
			for try := 0; try < 6; try++ {
				if v, ok := cur[key]; ok && v != nil {
					if s, isStr := v.(string); !plain || !isStr || !wire.NeedsEncoding(s) {
						return
					}
				}
				switch v := gen.GenerateValue(e.Rand(), sub).(type) {
				case string, bool, int64, int:
					cur[key] = v
				case float64:
					if v == float64(int64(v)) {
						cur[key] = int64(v)
					}
				}
			}
			return
		}
		next, ok := cur[key].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[key] = next
		}
		cur, sch = next, sub
	}
}

// hdrMap returns v as a JSON object (nil if it is not one).
func hdrMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// hdrParamValue returns the argument at path of a tools/call's params.
func hdrParamValue(params map[string]any, path []string) (any, bool) {
	v, ok := wire.Path(append([]string{"arguments"}, path...)).Lookup(params)
	return v, ok && v != nil
}

// hdrMirrorOf says how the header of an argument value compares.
func hdrMirrorOf(v any) (probe.Mirror, bool) {
	switch v := v.(type) {
	case string:
		return probe.MirrorText, true
	case bool:
		return probe.MirrorBoolean, true
	case int, int64:
		return probe.MirrorInteger, true
	case float64:
		return probe.MirrorInteger, v == float64(int64(v))
	}
	return 0, false
}

// checkMcpParamHeaders mutates each Mcp-Param-* header of a served call of
// an annotated tool: missing (HTTP-PARAM-MISSING), every mismatch class
// (HTTP-PARAM-MISMATCH), invalid values (HTTP-HEADER-INVALID); and the
// forms that must be served: the Base64 form (HTTP-HEADER-BASE64), other
// spellings of an integer (HTTP-PARAM-NUMERIC, SHOULD), and a call that
// leaves an optional annotated argument out and sends no header for it
// (HTTP-PARAM-ABSENT).
func checkMcpParamHeaders(e *check.Env) {
	ids := []spec.ID{spec.HttpParamMissing, spec.HttpParamMismatch, spec.HttpHeaderInvalid, spec.HttpHeaderBase64, spec.HttpParamNumeric, spec.HttpParamAbsent}
	b, td, ok := hdrParamServed(e, "")
	if !ok {
		probe.InconclusiveAll(e, ids, "the server served no call of a tool with x-mcp-header annotations, with arguments drawn from its inputSchema")
		return
	}
	tool, _ := b.Params["name"].(string)
	sawInteger, sawOptional := false, false
	for _, ph := range td.Headers {
		if e.Ctx.Err() != nil {
			return
		}
		name := wire.HeaderParamPrefix + ph.Name
		v, present := hdrParamValue(b.Params, ph.Path)
		if !present {
			continue
		}
		m, ok := hdrMirrorOf(v)
		if !ok {
			continue
		}
		sent, has := wire.HeaderValue(b.Req.Header, name)
		if !has {
			continue
		}
		real, err := wire.DecodeHeaderValue(sent)
		if err != nil {
			continue
		}
		probe.HeaderMutations(e, b, name, probe.MismatchMutations(m, real, nil), hdrParamIDs)
		for _, mu := range probe.AcceptMutations(m, real) {
			if e.Ctx.Err() != nil {
				return
			}
			id, why := spec.HttpHeaderBase64, fmt.Sprintf("the Base64 form of %q", real)
			if mu.Class == "numeric-spelling" {
				id, why, sawInteger = spec.HttpParamNumeric, fmt.Sprintf("the integer %s spelt differently", real), true
			}
			r := b.Fresh(e)
			probe.SetValues(r, name, mu.Values)
			o := e.Send(r)
			probe.ExpectServed(e, b, o, id, fmt.Sprintf("tools/call %s with %s %s (%s)", tool, name, probe.DescribeValues(mu.Values), why))
		}
		if !hdrRequiredAt(td.Schema, ph.Path) {
			sawOptional = true
			params := probe.CloneParams(b.Params)
			args, _ := params["arguments"].(map[string]any)
			wire.Path(ph.Path).Delete(args)
			o := e.Send(e.Request("tools/call", params))
			probe.ExpectServed(e, b, o, spec.HttpParamAbsent, fmt.Sprintf("tools/call %s without argument %s and without %s", tool, strings.Join(ph.Path, "."), name))
		}
	}
	if !sawInteger {
		e.Skip(spec.HttpParamNumeric, "tool %s has no integer x-mcp-header argument", tool)
	}
	if !sawOptional {
		e.Skip(spec.HttpParamAbsent, "every x-mcp-header argument of tool %s is required", tool)
	}
}

// hdrRequiredAt reports whether the property at path is required by its
// parent object schema.
func hdrRequiredAt(schema any, path []string) bool {
	sch := hdrMap(schema)
	for i, key := range path {
		if i == len(path)-1 {
			req, _ := sch["required"].([]any)
			for _, r := range req {
				if r == key {
					return true
				}
			}
			return false
		}
		props, _ := sch["properties"].(map[string]any)
		sch = hdrMap(props[key])
	}
	return false
}

// hdrNameCases are the spellings of MCP header names tried: header names are
// case-insensitive (streamable-http.mdx, "Case Sensitivity").
var hdrNameCases = []struct {
	class string
	f     func(string) string
}{
	{"lower-case", strings.ToLower},
	{"upper-case", strings.ToUpper},
	{"alternating-case", hdrAlternateCase},
}

// hdrAlternateCase writes s in alternating case: mCp-mEtHoD.
func hdrAlternateCase(s string) string {
	b := []byte(s)
	for i := range b {
		if i%2 == 0 {
			b[i] = byte(unicode.ToLower(rune(b[i])))
		} else {
			b[i] = byte(unicode.ToUpper(rune(b[i])))
		}
	}
	return string(b)
}

// hdrIsMCP reports the mirrored headers: MCP-Protocol-Version,
// Mcp-Method, Mcp-Name and Mcp-Param-*.
func hdrIsMCP(name string) bool { return len(name) >= 4 && strings.EqualFold(name[:4], "mcp-") }

// hdrRecase respells every MCP header name of r with f.
func hdrRecase(r *check.Request, f func(string) string) {
	h := make(map[string][]string, len(r.Header))
	for k, vs := range r.Header {
		if hdrIsMCP(k) {
			k = f(k)
		}
		h[k] = append(h[k], vs...)
	}
	r.Header = h
}

// headerNameCase sends served requests (a list, one with Mcp-Name,
// and a call with Mcp-Param-* headers, whichever the server has) with
// every MCP header name respelt in lower, upper and alternating case: all
// must be served (HTTP-HEADER-NAME-CASE).
var headerNameCase = probe.Family{
	IDs: []spec.ID{spec.HttpHeaderNameCase},
	Serve: func(e *check.Env) []*probe.Served {
		bases := servedWithName(e)
		if b, _, ok := hdrParamServed(e, ""); ok {
			bases = append(bases, b)
		}
		return bases
	},
	Variants: func(e *check.Env, b *probe.Served) []probe.Variant {
		var out []probe.Variant
		for _, nc := range hdrNameCases {
			r := b.Fresh(e)
			hdrRecase(r, nc.f)
			var names []string
			for k := range r.Header {
				if hdrIsMCP(k) {
					names = append(names, k)
				}
			}
			sort.Strings(names)
			out = append(out, probe.Variant{What: fmt.Sprintf("%s with header names %s (%s)", b.Method, strings.Join(names, ", "), nc.class), Request: r})
		}
		return out
	},
	Judge: func(e *check.Env, b *probe.Served, v probe.Variant, o check.Observation) {
		probe.ExpectServed(e, b, o, spec.HttpHeaderNameCase, v.What)
	},
}

// hdrNameParam is the params member a method mirrors into Mcp-Name.
func hdrNameParam(method string) string {
	if info, ok := wire.LookupMethod(method); ok {
		return info.NameParam
	}
	return ""
}
