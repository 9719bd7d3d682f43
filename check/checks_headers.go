package check

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode"

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
// just served (the baseline), so that a rejection can only be the
// mutation's doing. A server that routes or authorizes by a header but
// executes the body serves the mismatched copy, and fails.

func init() {
	httpOnly := []wire.Transport{wire.HTTP}
	register(&Check{
		Name:       "headers/mcp-method",
		IDs:        []spec.ID{spec.HttpHeaderRequired, spec.HttpHeaderMismatch, spec.HttpHeaderInvalid},
		Transports: httpOnly,
		Run:        checkMcpMethodHeader,
	})
	register(&Check{
		Name:       "headers/mcp-name",
		IDs:        []spec.ID{spec.HttpHeaderRequired, spec.HttpHeaderMismatch, spec.HttpHeaderInvalid, spec.HttpHeaderBase64},
		Transports: httpOnly,
		Needs:      needsNamedPrimitive,
		Run:        checkMcpNameHeader,
	})
	register(&Check{
		Name: "headers/mcp-param",
		IDs: []spec.ID{spec.HttpParamMissing, spec.HttpParamMismatch, spec.HttpHeaderInvalid, spec.HttpHeaderBase64,
			spec.HttpParamNumeric, spec.HttpParamAbsent},
		Transports: httpOnly,
		Needs:      needsParamTool,
		Run:        checkMcpParamHeaders,
	})
	register(&Check{
		Name:       "headers/case-insensitive-names",
		IDs:        []spec.ID{spec.HttpHeaderNameCase},
		Transports: httpOnly,
		Run:        checkHeaderNameCase,
	})
}

var (
	methodNameIDs = headerIDs{defectMissing: spec.HttpHeaderRequired, defectMismatch: spec.HttpHeaderMismatch, defectInvalid: spec.HttpHeaderInvalid}
	hdrParamIDs   = headerIDs{defectMissing: spec.HttpParamMissing, defectMismatch: spec.HttpParamMismatch, defectInvalid: spec.HttpHeaderInvalid}
)

// checkMcpMethodHeader mutates Mcp-Method on a served list request and on
// a served request with Mcp-Name: missing (HTTP-HEADER-REQUIRED), every
// mismatch class including every other method of the method table and the
// Base64 form, which Mcp-Method does not allow (HTTP-HEADER-MISMATCH), and
// non-ASCII bytes (HTTP-HEADER-INVALID).
func checkMcpMethodHeader(e *Env) {
	var bases []*Baseline
	if b, ok := ListBaseline(e); ok {
		bases = append(bases, b)
	}
	if nbs := hdrNameBaselines(e, 1); len(nbs) > 0 {
		bases = append(bases, nbs[0].b)
	}
	if len(bases) == 0 {
		hdrInconclusiveAll(e, []spec.ID{spec.HttpHeaderRequired, spec.HttpHeaderMismatch, spec.HttpHeaderInvalid},
			"the server served no baseline request")
		return
	}
	for _, b := range bases {
		hdrProbe(e, b, wire.HeaderMethod, mismatchMutations(mirrorPlain, b.Method, hdrOthers(hdrRequestMethods(), b.Method, 20)), methodNameIDs)
	}
}

// needsNamedPrimitive: Mcp-Name is sent on tools/call, prompts/get and
// resources/read; a server with none of them has nothing to name.
func needsNamedPrimitive(e *Env) string {
	if e.Server.Discover == nil {
		return "" // unknown: the run decides (inconclusive without a baseline)
	}
	c := e.Server.Capabilities
	if c.Tools == nil && c.Prompts == nil && c.Resources == nil {
		return "the server declares no tools, prompts or resources, so no request carries Mcp-Name"
	}
	return ""
}

// hdrNameBase is a served request that carries Mcp-Name, with other names of
// the same kind that the server declares.
type hdrNameBase struct {
	b      *Baseline
	others []string
}

// hdrNameBaselines finds up to max served requests with Mcp-Name: a
// tools/call, a prompts/get and a resources/read, whichever the server
// has, built from its declarations.
func hdrNameBaselines(e *Env, max int) []hdrNameBase {
	out, _ := hdrNameBaselinesOf(e, max)
	return out
}

// hdrNameBaselinesOf is hdrNameBaselines that also counts the names it
// could have tried (0: the server declares nothing to name).
func hdrNameBaselinesOf(e *Env, max int) ([]hdrNameBase, int) {
	var out []hdrNameBase
	names := len(e.Decl.Tools) + len(e.Decl.Prompts)
	if e.Server.Capabilities.Tools != nil && len(out) < max {
		b, ok := ToolCallBaseline(e, false)
		if !ok {
			b, ok = ToolCallBaseline(e, true)
		}
		if ok {
			name, _ := b.Params["name"].(string)
			out = append(out, hdrNameBase{b, hdrOthers(hdrKeys(e.Decl.Tools), name, 2)})
		}
	}
	if e.Server.Capabilities.Prompts != nil && len(out) < max && e.Ctx.Err() == nil {
		if b, ok := hdrPromptBaseline(e); ok {
			name, _ := b.Params["name"].(string)
			out = append(out, hdrNameBase{b, hdrOthers(hdrKeys(e.Decl.Prompts), name, 2)})
		}
	}
	if e.Server.Capabilities.Resources != nil && len(out) < max && e.Ctx.Err() == nil {
		b, uris, ok := hdrResourceBaseline(e)
		names += len(uris)
		if ok {
			uri, _ := b.Params["uri"].(string)
			out = append(out, hdrNameBase{b, hdrOthers(uris, uri, 2)})
		}
	}
	return out, names
}

// hdrKeys returns the keys of m, sorted.
func hdrKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// hdrPromptBaseline finds a prompts/get the server serves: prompts with the
// fewest required arguments first, each required argument given a plain
// value.
func hdrPromptBaseline(e *Env) (*Baseline, bool) {
	names := hdrKeys(e.Decl.Prompts)
	required := func(p *wire.Prompt) int {
		n := 0
		for _, a := range p.Arguments {
			if a.Required != nil && *a.Required {
				n++
			}
		}
		return n
	}
	sort.SliceStable(names, func(i, j int) bool { return required(e.Decl.Prompts[names[i]]) < required(e.Decl.Prompts[names[j]]) })
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
		if b, ok := sendBaseline(e, "prompts/get", params); ok {
			return b, true
		}
	}
	return nil, false
}

// hdrResourceBaseline finds a resources/read the server serves: a listed
// resource, else a URI expanded from a template. It returns the URIs it
// knows (for other-name mutations).
func hdrResourceBaseline(e *Env) (*Baseline, []string, bool) {
	var uris []string
	o := e.Send(e.Request("resources/list", map[string]any{}))
	if r, ok := o.Result().(*wire.ListResourcesResult); ok {
		for _, res := range r.Resources {
			uris = append(uris, res.URI)
		}
	}
	for _, t := range hdrKeys(e.Decl.Templates) {
		uris = append(uris, ExpandTemplate(e.Rand(), t))
	}
	for i, u := range uris {
		if i >= 4 || e.Ctx.Err() != nil {
			break
		}
		if b, ok := sendBaseline(e, "resources/read", map[string]any{"uri": u}); ok {
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
func checkMcpNameHeader(e *Env) {
	ids := []spec.ID{spec.HttpHeaderRequired, spec.HttpHeaderMismatch, spec.HttpHeaderInvalid, spec.HttpHeaderBase64}
	nbs, names := hdrNameBaselinesOf(e, 3)
	if len(nbs) == 0 {
		if e.Server.Discover != nil && names == 0 {
			for _, id := range ids {
				e.Skip(id, "the server lists no tool, prompt or resource to name")
			}
			return
		}
		hdrInconclusiveAll(e, ids, "the server served no tools/call, prompts/get or resources/read built from its declarations")
		return
	}
	for _, nb := range nbs {
		real, _ := nb.b.Params[hdrNameParam(nb.b.Method)].(string)
		hdrProbe(e, nb.b, wire.HeaderName, mismatchMutations(mirrorText, real, nb.others), methodNameIDs)
		for _, mu := range acceptMutations(mirrorText, real) {
			if e.Ctx.Err() != nil {
				return
			}
			r := nb.b.Fresh(e)
			hdrSetValues(r, wire.HeaderName, mu.Values)
			o := e.Send(r)
			hdrExpectServed(e, nb.b, o, spec.HttpHeaderBase64, fmt.Sprintf("%s with %s %s (the Base64 form of %q)", nb.b.Method, wire.HeaderName, hdrDescribe(mu.Values), real))
		}
	}
}

// needsParamTool: the Mcp-Param-* rules need a tool with x-mcp-header
// annotations.
func needsParamTool(e *Env) string {
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

// hdrParamBaseline finds a served tools/call of a tool with x-mcp-header
// annotations in which every annotated argument has a value (so that every
// Mcp-Param-* header is sent). If only is set, only that tool is tried.
func hdrParamBaseline(e *Env, only string) (*Baseline, *ToolDecl, bool) {
	var names []string
	for _, n := range hdrKeys(e.Decl.Tools) {
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
			args, _ := GenerateValue(e.Rand(), td.Schema).(map[string]any)
			if args == nil {
				args = map[string]any{}
			}
			for _, ph := range td.Headers {
				hdrFillPath(e, args, td.Schema, ph.Path, attempt < 2)
			}
			b, ok := sendBaseline(e, "tools/call", map[string]any{"name": n, "arguments": args})
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
// that would need the Base64 form, so that the baseline's headers are
// plain and each mutation is the only encoded value of its probe.
func hdrFillPath(e *Env, args map[string]any, schema any, path []string, plain bool) {
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
				switch v := GenerateValue(e.Rand(), sub).(type) {
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
	args, _ := params["arguments"].(map[string]any)
	return valueAt(args, path)
}

// hdrMirrorOf says how the header of an argument value compares.
func hdrMirrorOf(v any) (mirrorKind, bool) {
	switch v := v.(type) {
	case string:
		return mirrorText, true
	case bool:
		return mirrorBoolean, true
	case int, int64:
		return mirrorInteger, true
	case float64:
		return mirrorInteger, v == float64(int64(v))
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
func checkMcpParamHeaders(e *Env) {
	ids := []spec.ID{spec.HttpParamMissing, spec.HttpParamMismatch, spec.HttpHeaderInvalid, spec.HttpHeaderBase64, spec.HttpParamNumeric, spec.HttpParamAbsent}
	b, td, ok := hdrParamBaseline(e, "")
	if !ok {
		hdrInconclusiveAll(e, ids, "the server served no call of a tool with x-mcp-header annotations, with arguments drawn from its inputSchema")
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
		hdrProbe(e, b, name, mismatchMutations(m, real, nil), hdrParamIDs)
		for _, mu := range acceptMutations(m, real) {
			if e.Ctx.Err() != nil {
				return
			}
			id, why := spec.HttpHeaderBase64, fmt.Sprintf("the Base64 form of %q", real)
			if mu.Class == "numeric-spelling" {
				id, why, sawInteger = spec.HttpParamNumeric, fmt.Sprintf("the integer %s spelt differently", real), true
			}
			r := b.Fresh(e)
			hdrSetValues(r, name, mu.Values)
			o := e.Send(r)
			hdrExpectServed(e, b, o, id, fmt.Sprintf("tools/call %s with %s %s (%s)", tool, name, hdrDescribe(mu.Values), why))
		}
		if !hdrRequiredAt(td.Schema, ph.Path) {
			sawOptional = true
			params := cloneParams(b.Params)
			args, _ := params["arguments"].(map[string]any)
			hdrDeleteAt(args, ph.Path)
			o := e.Send(e.Request("tools/call", params))
			hdrExpectServed(e, b, o, spec.HttpParamAbsent, fmt.Sprintf("tools/call %s without argument %s and without %s", tool, strings.Join(ph.Path, "."), name))
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

// hdrDeleteAt removes the argument at path.
func hdrDeleteAt(args map[string]any, path []string) {
	cur := args
	for i, key := range path {
		if i == len(path)-1 {
			delete(cur, key)
			return
		}
		next, ok := cur[key].(map[string]any)
		if !ok {
			return
		}
		cur = next
	}
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
func hdrRecase(r *Request, f func(string) string) {
	h := make(map[string][]string, len(r.Header))
	for k, vs := range r.Header {
		if hdrIsMCP(k) {
			k = f(k)
		}
		h[k] = append(h[k], vs...)
	}
	r.Header = h
}

// checkHeaderNameCase sends served requests (a list, one with Mcp-Name,
// and a call with Mcp-Param-* headers, whichever the server has) with
// every MCP header name respelt in lower, upper and alternating case: all
// must be served (HTTP-HEADER-NAME-CASE).
func checkHeaderNameCase(e *Env) {
	var bases []*Baseline
	if b, ok := ListBaseline(e); ok {
		bases = append(bases, b)
	}
	if nbs := hdrNameBaselines(e, 1); len(nbs) > 0 {
		bases = append(bases, nbs[0].b)
	}
	if b, _, ok := hdrParamBaseline(e, ""); ok {
		bases = append(bases, b)
	}
	if len(bases) == 0 {
		e.Inconclusive(spec.HttpHeaderNameCase, "the server served no baseline request")
		return
	}
	for _, b := range bases {
		for _, nc := range hdrNameCases {
			if e.Ctx.Err() != nil {
				return
			}
			r := b.Fresh(e)
			hdrRecase(r, nc.f)
			var names []string
			for k := range r.Header {
				if hdrIsMCP(k) {
					names = append(names, k)
				}
			}
			sort.Strings(names)
			o := e.Send(r)
			hdrExpectServed(e, b, o, spec.HttpHeaderNameCase, fmt.Sprintf("%s with header names %s (%s)", b.Method, strings.Join(names, ", "), nc.class))
		}
	}
}

// hdrNameParam is the params member a method mirrors into Mcp-Name.
func hdrNameParam(method string) string {
	if info, ok := wire.LookupMethod(method); ok {
		return info.NameParam
	}
	return ""
}

func init() {
	register(&Check{
		Name:       "headers/raw-malformed",
		IDs:        []spec.ID{spec.HttpHeaderLineMalformed, spec.HttpHeaderInvalid},
		Transports: []wire.Transport{wire.HTTP},
		Needs:      needsRawHTTP,
		Run:        checkRawHeaderLines,
	})
}

// hdrRawURL returns the plain-http URL of the first target, if it is one.
func hdrRawURL(e *Env) (*url.URL, bool) {
	if e.Transport() != wire.HTTP {
		return nil, false
	}
	u, err := targetURL(e, 0)
	if err != nil || u.Scheme != "http" {
		return nil, false
	}
	return u, true
}

// needsRawHTTP: malformed header lines can only be written over a raw
// connection, which the checker opens for plain http:// targets.
func needsRawHTTP(e *Env) string {
	if _, ok := hdrRawURL(e); !ok {
		return "raw header lines are written only to a plain http:// target (an HTTP client cannot send them)"
	}
	return ""
}

// malformedLine is one generated malformed header line: drop removes the
// well-formed header of that name first, line is written as is.
type malformedLine struct {
	class string
	drop  string
	line  string
	id    spec.ID
}

// malformedLines are the malformed header lines tried against a request
// for method, each a framing error of RFC 9112 section 5 (or, for a NUL
// in a mirrored value, the invalid characters of Server Validation). The
// obs-fold and the bare CR are put in Mcp-Method, so that a server that
// unfolds or replaces them reads a value that differs from the body and
// must refuse the request either way.
func malformedLines(method string) []malformedLine {
	return []malformedLine{
		{class: "line without a colon", line: "X-Mcpverify-Probe no-colon", id: spec.HttpHeaderLineMalformed},
		{class: "space inside a field name", line: "X-Mcpverify Probe: 1", id: spec.HttpHeaderLineMalformed},
		{class: "space between field name and colon", line: "X-Mcpverify-Probe : 1", id: spec.HttpHeaderLineMalformed},
		{class: "space between Mcp-Method and colon", drop: wire.HeaderMethod, line: wire.HeaderMethod + " : " + method, id: spec.HttpHeaderLineMalformed},
		{class: "non-token field name", line: "X-Mcpverify(Probe): 1", id: spec.HttpHeaderLineMalformed},
		{class: "obs-fold continuation of Mcp-Method", drop: wire.HeaderMethod, line: wire.HeaderMethod + ": " + method + "\r\n folded", id: spec.HttpHeaderLineMalformed},
		{class: "bare CR in Mcp-Method", drop: wire.HeaderMethod, line: wire.HeaderMethod + ": " + method + "\rX", id: spec.HttpHeaderLineMalformed},
		{class: "NUL byte in Mcp-Method", drop: wire.HeaderMethod, line: wire.HeaderMethod + ": " + method + "\x00", id: spec.HttpHeaderInvalid},
		{class: "NUL byte in MCP-Protocol-Version", drop: wire.HeaderProtocolVersion, line: wire.HeaderProtocolVersion + ": " + wire.Version + "\x00", id: spec.HttpHeaderInvalid},
	}
}

// hdrRawRequest writes r as an HTTP/1.1 request to u, without the header
// drop and with extra written verbatim after the others.
func hdrRawRequest(u *url.URL, r *Request, drop, extra string) []byte {
	var b strings.Builder
	method := r.HTTPMethod
	if method == "" {
		method = "POST"
	}
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, u.RequestURI(), u.Host)
	keys := make([]string, 0, len(r.Header))
	for k := range r.Header {
		switch {
		case strings.EqualFold(k, "Host"), strings.EqualFold(k, "Content-Length"), strings.EqualFold(k, "Connection"):
			continue
		case drop != "" && strings.EqualFold(k, drop):
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range r.Header[k] {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	if extra != "" {
		b.WriteString(extra + "\r\n")
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\nConnection: close\r\n\r\n", len(r.Body))
	b.Write(r.Body)
	return []byte(b.String())
}

// hdrMaxRawResponse bounds what is read of a raw exchange's response.
const hdrMaxRawResponse = 1 << 20

// hdrRawAnswer is what a raw exchange got: the status, and whether the body
// held a JSON-RPC result (the request was served).
type hdrRawAnswer struct {
	status int
	served bool
}

// hdrRawExchange writes raw to addr over a new TCP connection and reads the
// response, bounded in size and time.
func hdrRawExchange(ctx context.Context, addr string, raw []byte, timeout time.Duration) (hdrRawAnswer, error) {
	d := net.Dialer{Timeout: 5 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return hdrRawAnswer{}, fmt.Errorf("dial %s: %w", addr, err)
	}
	defer conn.Close()
	deadline := time.Now().Add(timeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	if err := conn.SetDeadline(deadline); err != nil {
		return hdrRawAnswer{}, fmt.Errorf("set deadline: %w", err)
	}
	if _, err := conn.Write(raw); err != nil {
		return hdrRawAnswer{}, fmt.Errorf("write the request: %w", err)
	}
	br := bufio.NewReader(io.LimitReader(conn, hdrMaxRawResponse))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return hdrRawAnswer{}, fmt.Errorf("read the response: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, hdrMaxRawResponse))
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	a := hdrRawAnswer{status: resp.StatusCode}
	msgs, _ := wire.SplitHTTPBody(ct, body)
	for _, m := range msgs {
		if msg, err := wire.DecodeMessage(m); err == nil {
			if _, ok := msg.(*wire.JSONRPCResultResponse); ok {
				a.served = true
			}
		}
	}
	return a, nil
}

// checkRawHeaderLines writes a served list request over a raw connection,
// first as is (the raw baseline, which must be served), then once per
// malformed header line. Any 4xx refuses the line (the HTTP layer may
// refuse it before MCP validation, so no JSON-RPC body is required here);
// a 2xx that serves the request is a finding; anything else is
// inconclusive.
func checkRawHeaderLines(e *Env) {
	ids := []spec.ID{spec.HttpHeaderLineMalformed, spec.HttpHeaderInvalid}
	u, _ := hdrRawURL(e)
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	b, ok := ListBaseline(e)
	if !ok {
		hdrInconclusiveAll(e, ids, "the server served no baseline request")
		return
	}
	const timeout = 5 * time.Second
	base, err := hdrRawExchange(e.Ctx, addr, hdrRawRequest(u, b.Fresh(e), "", ""), timeout)
	if err != nil || base.status < 200 || base.status > 299 || !base.served {
		hdrInconclusiveAll(e, ids, "the baseline %s written over a raw connection was not served (HTTP %d, %v)", b.Method, base.status, err)
		return
	}
	for _, ml := range malformedLines(b.Method) {
		if e.Ctx.Err() != nil {
			return
		}
		raw := hdrRawRequest(u, b.Fresh(e), ml.drop, ml.line)
		a, err := hdrRawExchange(e.Ctx, addr, raw, timeout)
		what := fmt.Sprintf("%s with a %s (%q)", b.Method, ml.class, ml.line)
		switch {
		case err != nil:
			e.Inconclusive(ml.id, "%s: no answer (%v)", what, err)
		case a.status >= 400 && a.status <= 499:
			e.Pass(ml.id, "%s: refused with HTTP %d (any 4xx counts: the HTTP layer may refuse a malformed line before MCP validation)", what, a.status)
		case a.status >= 200 && a.status <= 299 && a.served:
			e.Violation(ml.id, "%s: served with HTTP %d; want a 4xx refusal. Raw request: %q", what, a.status, hdrClip(string(raw), 600))
		default:
			e.Inconclusive(ml.id, "%s: HTTP %d without a served result", what, a.status)
		}
	}
}

func hdrClip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

func init() {
	register(&Check{
		Name: "headers/x-mcp-header",
		IDs: []spec.ID{spec.HttpXMcpHeader, spec.HttpXMcpHeaderUnique, spec.HttpXMcpHeaderType, spec.HttpXMcpHeaderReachable,
			spec.HttpXMcpHeaderIntRange, spec.HttpXMcpHeaderSensitive},
		Needs: needsAnnotations,
		Run:   checkXMcpHeaderAnnotations,
	})
}

// xAnnotation is one x-mcp-header member found in an inputSchema.
type xAnnotation struct {
	value     any      // the member's value (a string when well-formed)
	where     string   // JSON pointer of the annotated schema
	path      []string // properties keys from the root (when reachable)
	reachable bool     // through properties keys alone
	schema    map[string]any
}

// hdrAnnotations walks an inputSchema for x-mcp-header members. A schema
// is statically reachable only through a chain of properties keys from
// the root; every other keyword (items, composition, conditionals, $defs,
// ...) breaks the chain. Instance values (const, enum, default, examples)
// are not schemas and are not searched.
func hdrAnnotations(schema any) []xAnnotation {
	var out []xAnnotation
	var walk func(v any, path []string, reachable bool, where string)
	walk = func(v any, path []string, reachable bool, where string) {
		switch v := v.(type) {
		case map[string]any:
			if h, ok := v["x-mcp-header"]; ok {
				out = append(out, xAnnotation{value: h, where: where, path: append([]string(nil), path...), reachable: reachable, schema: v})
			}
			for _, k := range hdrKeys(v) {
				switch k {
				case "const", "enum", "default", "examples", "x-mcp-header":
					continue
				case "properties":
					if props, ok := v[k].(map[string]any); ok {
						for _, p := range hdrKeys(props) {
							walk(props[p], append(append([]string(nil), path...), p), reachable, where+"/properties/"+hdrEscapePointer(p))
						}
						continue
					}
				}
				walk(v[k], path, false, where+"/"+hdrEscapePointer(k))
			}
		case []any:
			for i, x := range v {
				walk(x, path, false, fmt.Sprintf("%s/%d", where, i))
			}
		}
	}
	walk(schema, nil, true, "#")
	return out
}

func hdrEscapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// hdrPrimitiveTyped reports whether a schema's type admits only integer,
// string or boolean values: one of them, possibly beside "null" (a null
// argument simply sends no header). number, object, array, several
// primitive types, or no type at all do not qualify.
func hdrPrimitiveTyped(t any) bool {
	prim := func(s any) bool { return s == "integer" || s == "string" || s == "boolean" }
	switch t := t.(type) {
	case string:
		return prim(t)
	case []any:
		n := 0
		for _, x := range t {
			switch {
			case prim(x):
				n++
			case x == "null":
			default:
				return false
			}
		}
		return n == 1
	}
	return false
}

func hdrIntegerTyped(t any) bool {
	if t == "integer" {
		return true
	}
	if l, ok := t.([]any); ok {
		for _, x := range l {
			if x == "integer" {
				return true
			}
		}
	}
	return false
}

// hdrSafeBounds reports whether an integer schema bounds its values within
// ±(2^53-1).
func hdrSafeBounds(s map[string]any) bool {
	const safe = float64(wire.MaxSafeInteger)
	num := func(k string) (float64, bool) { f, ok := s[k].(float64); return f, ok }
	lo, okLo := num("minimum")
	if x, ok := num("exclusiveMinimum"); ok && (!okLo || x+1 > lo) {
		lo, okLo = x+1, true
	}
	hi, okHi := num("maximum")
	if x, ok := num("exclusiveMaximum"); ok && (!okHi || x-1 < hi) {
		hi, okHi = x-1, true
	}
	return okLo && okHi && lo >= -safe && hi <= safe
}

// hdrSensitiveWords are the words that make a parameter look sensitive when
// they are its whole name or its last word (tools.mdx: passwords, API
// keys, tokens, PII).
var hdrSensitiveWords = map[string]bool{
	"password": true, "passwd": true, "passphrase": true, "pwd": true, "secret": true, "token": true,
	"apikey": true, "credential": true, "credentials": true, "ssn": true, "authorization": true,
	"cookie": true, "otp": true, "privatekey": true,
}

// hdrLooksSensitive guesses from a name (a property key or header name)
// whether the parameter carries a secret or PII: its last word is a
// sensitive one, or it has "api key", "private key", "secret key" or
// "access key".
func hdrLooksSensitive(name string) bool {
	words := hdrSplitWords(name)
	if len(words) == 0 {
		return false
	}
	last := words[len(words)-1]
	if hdrSensitiveWords[last] || strings.HasPrefix(last, "password") {
		return true
	}
	for i := 0; i+1 < len(words); i++ {
		if words[i+1] == "key" && (words[i] == "api" || words[i] == "private" || words[i] == "secret" || words[i] == "access") {
			return true
		}
		if words[i] == "password" || words[i] == "secret" {
			return true
		}
	}
	return false
}

// hdrSplitWords splits snake, kebab, dotted and camel case into lower-case
// words.
func hdrSplitWords(s string) []string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(s)
	for i, r := range rs {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
		case unicode.IsUpper(r) && i > 0 && (unicode.IsLower(rs[i-1]) || (i+1 < len(rs) && unicode.IsLower(rs[i+1]) && unicode.IsUpper(rs[i-1]))):
			flush()
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
	}
	flush()
	return words
}

// needsAnnotations: the constraints apply to tools with x-mcp-header.
func needsAnnotations(e *Env) string {
	if e.Server.Discover == nil {
		return ""
	}
	for _, td := range e.Decl.Tools {
		if len(hdrAnnotations(td.Schema)) > 0 {
			return ""
		}
	}
	return "no listed tool has an x-mcp-header annotation"
}

// checkXMcpHeaderAnnotations checks every x-mcp-header annotation of the
// listed tools against the constraints of tools.mdx: a non-empty token
// (HTTP-X-MCP-HEADER), unique case-insensitively within the inputSchema
// (-UNIQUE), on an integer, string or boolean property (-TYPE), reachable
// through properties alone (-REACHABLE); an integer property bounded
// within ±(2^53-1) by its schema, or refused out of range by the server
// (-INT-RANGE); and no sensitive-looking parameter annotated (-SENSITIVE,
// a name-based guess).
func checkXMcpHeaderAnnotations(e *Env) {
	ids := []spec.ID{spec.HttpXMcpHeader, spec.HttpXMcpHeaderUnique, spec.HttpXMcpHeaderType, spec.HttpXMcpHeaderReachable,
		spec.HttpXMcpHeaderIntRange, spec.HttpXMcpHeaderSensitive}
	if e.Server.Discover == nil {
		hdrInconclusiveAll(e, ids, "discovery failed: the server's tools are unknown")
		return
	}
	bad := map[spec.ID]int{}
	n, ints := 0, 0
	type unbounded struct {
		tool string
		path []string
	}
	var probes []unbounded
	for _, tool := range hdrKeys(e.Decl.Tools) {
		anns := hdrAnnotations(e.Decl.Tools[tool].Schema)
		seen := map[string]string{}
		for _, a := range anns {
			n++
			name, isStr := a.value.(string)
			where := fmt.Sprintf("tool %q: x-mcp-header at %s", tool, a.where)
			if !a.reachable {
				bad[spec.HttpXMcpHeaderReachable]++
				e.Violation(spec.HttpXMcpHeaderReachable, "%s is not reachable from the root through properties keys alone", where)
			}
			switch {
			case !isStr || name == "":
				bad[spec.HttpXMcpHeader]++
				e.Violation(spec.HttpXMcpHeader, "%s is %s; want a non-empty token", where, hdrClip(string(wire.MustMarshal(a.value)), 80))
				continue
			case !wire.IsToken(name):
				bad[spec.HttpXMcpHeader]++
				e.Violation(spec.HttpXMcpHeader, "%s is %q, not an RFC 9110 token (1*tchar, no control characters)", where, name)
			}
			if prev, dup := seen[strings.ToLower(name)]; dup {
				bad[spec.HttpXMcpHeaderUnique]++
				e.Violation(spec.HttpXMcpHeaderUnique, "%s: %q repeats %s (compared case-insensitively)", where, name, prev)
			} else {
				seen[strings.ToLower(name)] = a.where
			}
			if !hdrPrimitiveTyped(a.schema["type"]) {
				bad[spec.HttpXMcpHeaderType]++
				e.Violation(spec.HttpXMcpHeaderType, "%s (%q) is on a property of type %s; want integer, string or boolean", where, name, hdrClip(string(wire.MustMarshal(a.schema["type"])), 60))
			} else if a.reachable && hdrIntegerTyped(a.schema["type"]) {
				ints++
				if !hdrSafeBounds(a.schema) {
					probes = append(probes, unbounded{tool, a.path})
				}
			}
			prop := ""
			if len(a.path) > 0 {
				prop = a.path[len(a.path)-1]
			}
			if hdrLooksSensitive(name) || hdrLooksSensitive(prop) {
				bad[spec.HttpXMcpHeaderSensitive]++
				e.Violation(spec.HttpXMcpHeaderSensitive, "%s (%q on property %q) looks like it carries a secret or personal data (a guess from its name); header values are visible to intermediaries", where, name, prop)
			}
		}
	}
	for _, id := range []spec.ID{spec.HttpXMcpHeader, spec.HttpXMcpHeaderUnique, spec.HttpXMcpHeaderType, spec.HttpXMcpHeaderReachable} {
		if bad[id] == 0 {
			e.Pass(id, "%d x-mcp-header annotation(s) of the listed tools checked", n)
		}
	}
	if bad[spec.HttpXMcpHeaderSensitive] == 0 {
		e.Pass(spec.HttpXMcpHeaderSensitive, "no annotated parameter looks sensitive by its name (a name-based guess over %d annotation(s))", n)
	}
	switch {
	case ints == 0:
		e.Skip(spec.HttpXMcpHeaderIntRange, "no valid x-mcp-header annotation is on an integer property")
	case len(probes) == 0:
		e.Pass(spec.HttpXMcpHeaderIntRange, "every annotated integer property (%d) is bounded within ±(2^53-1) by its schema", ints)
	}
	for _, p := range probes {
		if e.Ctx.Err() != nil {
			return
		}
		hdrProbeIntRange(e, p.tool, p.path)
	}
}

// hdrProbeIntRange calls an annotated tool whose integer property the schema
// leaves unbounded with ±2^53 there (and the matching header): the server
// must not serve a value outside the safe range (a refusal, or a tool
// error, passes).
func hdrProbeIntRange(e *Env, tool string, path []string) {
	id := spec.HttpXMcpHeaderIntRange
	b, _, ok := hdrParamBaseline(e, tool)
	if !ok {
		e.Inconclusive(id, "tool %q: no served call to vary (its integer argument %s is not bounded by the schema)", tool, strings.Join(path, "."))
		return
	}
	for _, v := range []int64{1 << 53, -(1 << 53)} {
		params := cloneParams(b.Params)
		args, _ := params["arguments"].(map[string]any)
		hdrSetAt(args, path, v)
		o := e.Send(e.Request("tools/call", params))
		what := fmt.Sprintf("tools/call %s with %s = %d, outside ±(2^53-1)", tool, strings.Join(path, "."), v)
		r, isCall := o.Result().(*wire.CallToolResult)
		switch {
		case !o.Answered():
			e.Inconclusive(id, "%s: %s", what, o.Describe())
		case o.Rejected() || (isCall && r.IsError != nil && *r.IsError):
			e.Pass(id, "%s: refused (%s)", what, o.Describe())
		case o.Accepted():
			e.Violation(id, "%s: served; an x-mcp-header integer must stay within the safe range, and the schema does not bound it", what)
		default:
			e.Inconclusive(id, "%s: %s", what, o.Describe())
		}
	}
}

// hdrSetAt sets the argument at path, creating objects on the way.
func hdrSetAt(args map[string]any, path []string, v any) {
	cur := args
	for i, key := range path {
		if i == len(path)-1 {
			cur[key] = v
			return
		}
		next, ok := cur[key].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[key] = next
		}
		cur = next
	}
}
