package results

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/gen"
	"github.com/mcpverify/mcpverify/check/probe"
	"github.com/mcpverify/mcpverify/model"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Checks of results (basic/index.mdx "Result Responses" and "Schema",
// server/utilities/caching.mdx, pagination.mdx, server/resources.mdx "Error
// Handling", server/tools.mdx "Output Schema").
//
// The model judges every result passively (resultType, the method's result
// definition in schema.json, caching hints, cacheScope across pages,
// structuredContent against outputSchema, reads of nonexistent resources).
// These checks make sure it gets something to judge: every list and every
// page, every tool called, every prompt gotten, every resource read and
// every template expanded; and they give the reason-bound passes: a
// requirement passes only when results it bears on were obtained and the
// model found nothing wrong with them.

func init() {
	check.Register(&check.Check{
		Name: "results/coverage",
		IDs:  []spec.ID{spec.CoreResultType, spec.CoreResultSchema, spec.CoreCacheHints, spec.CoreCacheTtl, spec.CoreOutputSchema},
		Run:  checkResultsCoverage,
	})
	check.Register(&check.Check{
		Name: "results/pagination",
		IDs:  []spec.ID{spec.CoreCursorInvalid, spec.CoreCursorGraceful, spec.CoreCacheScopePages},
		Needs: func(e *check.Env) string {
			if len(e.Server.Lists()) == 0 {
				return "the server declares no paginated list (tools, prompts, resources)"
			}
			return ""
		},
		Run: checkPagination,
	})
	check.Register(&check.Check{
		Name: "results/resource-not-found",
		IDs:  []spec.ID{spec.CoreResourceNotFound, spec.CoreResourceNotEmpty},
		Needs: func(e *check.Env) string {
			if e.Server.Capabilities.Resources == nil {
				return "the server does not declare the resources capability"
			}
			return ""
		},
		Run: checkResourceNotFound,
	})
}

// coverage counts what a check exercised: results per method, and the
// calls the server did not serve.
type coverage struct {
	results   map[string]int // method → results obtained
	cacheable int            // complete results of cacheable methods
	missed    []string       // "tools/call x: error -32602 ..."
}

func (c *coverage) note(method, what string, o check.Observation) {
	if o.Accepted() {
		c.results[method]++
		if info, ok := wire.LookupMethod(method); ok && info.Cacheable && probe.ResultKind(o) == "complete" {
			c.cacheable++
		}
		return
	}
	c.missed = append(c.missed, fmt.Sprintf("%s %s: %s", method, what, o.Describe()))
}

func (c *coverage) total() int {
	n := 0
	for _, v := range c.results {
		n += v
	}
	return n
}

func (c *coverage) summary() string {
	methods := slices.Sorted(maps.Keys(c.results))
	parts := make([]string, len(methods))
	for i, m := range methods {
		parts[i] = fmt.Sprintf("%d %s", c.results[m], m)
	}
	s := strings.Join(parts, ", ")
	if len(c.missed) > 0 {
		shown := c.missed
		if len(shown) > 3 {
			shown = shown[:3]
		}
		s += fmt.Sprintf("; %d call(s) not served (%s", len(c.missed), strings.Join(shown, "; "))
		if len(c.missed) > 3 {
			s += "; ..."
		}
		s += ")"
	}
	return s
}

// checkResultsCoverage exercises every method the server declares: server/
// discover, every page of every list, every tool (generated valid
// arguments, a few draws), every prompt, every resource and every template
// (expanded). The model judges each result against its method's result
// definition, resultType, caching hints and outputSchema; this check gives
// the passes for what it obtained cleanly.
func checkResultsCoverage(e *check.Env) {
	tally := probe.Tally{}
	cov := &coverage{results: map[string]int{}}
	o := tally.Add(e.Send(e.Request("server/discover", nil)))
	cov.note("server/discover", "", o)
	for _, m := range e.Server.Lists() {
		for _, p := range probe.ListPages(e, m, tally) {
			cov.note(m, "", p)
		}
	}
	uris := probe.ResourceURIs(e)
	withOutput, outputServed := 0, 0
	for _, name := range slices.Sorted(maps.Keys(e.Decl.Tools)) {
		if e.Ctx.Err() != nil {
			break
		}
		params, o := probe.CallTool(e, e.Client, name, nil, 4, probe.CallTimeout)
		tally.Add(o)
		o = completeInput(e, tally, probe.ToolRequest(name, params), o)
		cov.note("tools/call", name, o)
		if len(e.Decl.Tools[name].Tool.OutputSchema) > 0 {
			withOutput++
			if r, ok := o.Result().(*wire.CallToolResult); ok && o.Accepted() && (r.IsError == nil || !*r.IsError) {
				outputServed++
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(e.Decl.Prompts)) {
		if e.Ctx.Err() != nil {
			break
		}
		t := probe.PromptRequest(e, name)
		o := tally.Add(e.Send(t.Request(e, e.Client, nil)))
		cov.note("prompts/get", name, completeInput(e, tally, t, o))
	}
	reads := append([]string(nil), uris...)
	for _, t := range slices.Sorted(maps.Keys(e.Decl.Templates)) {
		reads = append(reads, "\x00"+t)
	}
	for _, u := range reads {
		if e.Ctx.Err() != nil {
			break
		}
		// A template gets a few expansions: it may serve only some values.
		tries, tmpl := 1, ""
		if strings.HasPrefix(u, "\x00") {
			tries, tmpl = 3, u[1:]
		}
		for i := 0; i < tries; i++ {
			if tmpl != "" {
				u = gen.ExpandTemplate(e.Rand(), tmpl)
			}
			t := probe.ResourceRequest(u)
			o := tally.Add(e.Send(t.Request(e, e.Client, nil)))
			if o.Accepted() || i == tries-1 {
				cov.note("resources/read", u, completeInput(e, tally, t, o))
				break
			}
		}
	}
	if e.Ctx.Err() != nil {
		return // runCheck reports the lack of time
	}
	n := cov.total()
	sum := cov.summary()
	for _, id := range []spec.ID{spec.CoreResultType, spec.CoreResultSchema} {
		switch {
		case tally[id] > 0:
			// reported by the judge
		case n == 0:
			e.Inconclusive(id, "the server served none of the requests built from its declarations (%s)", sum)
		default:
			e.Pass(id, "%d result(s) judged: %s", n, sum)
		}
	}
	for _, id := range []spec.ID{spec.CoreCacheHints, spec.CoreCacheTtl} {
		switch {
		case tally[id] > 0:
		case cov.cacheable == 0:
			e.Inconclusive(id, "no complete result of a cacheable method (discover, lists, resources/read) was obtained")
		default:
			e.Pass(id, "%d complete result(s) of cacheable methods carried ttlMs >= 0 and cacheScope", cov.cacheable)
		}
	}
	switch {
	case tally[spec.CoreOutputSchema] > 0:
	case withOutput == 0:
		e.Skip(spec.CoreOutputSchema, "no tool declares an outputSchema")
	case outputServed == 0:
		e.Inconclusive(spec.CoreOutputSchema, "none of the %d tool(s) with an outputSchema returned a successful result", withOutput)
	default:
		e.Pass(spec.CoreOutputSchema, "%d of %d tool(s) with an outputSchema returned structuredContent that conforms to it", outputServed, withOutput)
	}
}

// completeInput takes a request of the coverage to its complete result:
// one rejected for a missing client capability (-32021) is sent again as a
// client with every input capability, and an InputRequiredResult is
// followed through the retry protocol (generated valid responses), so that
// the model judges the complete results of tools, prompts and resources
// that ask for input too. It returns the last observation.
func completeInput(e *check.Env, tally probe.Tally, t probe.Retryable, o check.Observation) check.Observation {
	all := probe.ClientWithInputs(e, probe.AllInputKinds...)
	c := e.Client
	if code, ok := o.ErrorCode(); ok && code == wire.CodeMissingRequiredClientCapability && e.Ctx.Err() == nil {
		c = all
		o = tally.Add(e.Send(t.Request(e, c, nil)))
	}
	irr, ok := probe.InputRequired(o)
	if !ok || len(irr.InputRequests) == 0 || e.Ctx.Err() != nil {
		return o
	}
	_, last, _, followed := probe.Follow(e, c, t, irr, tally)
	if !followed || last.Ex == nil {
		return o
	}
	return last
}

// invalidCursors are cursors no server issues: made up by the checker,
// each a different mutation class (a marker string, base64 of JSON, a long
// one, non-ASCII and control characters, whitespace).
func invalidCursors(e *check.Env) []string {
	return []string{
		fmt.Sprintf("mcpverify-invalid-cursor-%08x", e.Rand().Uint32()),
		"eyJtY3B2ZXJpZnkiOiJpbnZhbGlkLWN1cnNvciJ9", // {"mcpverify":"invalid-cursor"}
		strings.Repeat("mcpverify", 512),
		"mcpverify-\u00e9\u65e5\u0001-invalid",
		" mcpverify invalid ",
	}
}

// mutatedCursors derive cursors from a real one (flip, truncate, extend):
// a server may find some of them valid (an offset cursor), so serving one
// is no violation; rejecting one must use -32602.
func mutatedCursors(c string) []string {
	var out []string
	if len(c) > 0 {
		b := []byte(c)
		last := b[len(b)-1]
		if last == 'A' {
			b[len(b)-1] = 'B'
		} else {
			b[len(b)-1] = 'A'
		}
		out = append(out, string(b))
		if len(c) > 1 {
			out = append(out, c[:len(c)/2])
		}
	}
	return append(out, c+"mcpverify", "mcpverify"+c)
}

// checkPagination follows every nextCursor of every list (the model
// judges one cacheScope for all pages), then sends invalid cursors:
// made-up ones must be rejected with -32602 (pagination.mdx, "Error
// Handling", SHOULD); mutations of real cursors, if rejected, with -32602
// too; every one must be answered (handled gracefully) and the list must
// still be served afterwards.
func checkPagination(e *check.Env) {
	tally := probe.Tally{}
	multiPage := 0
	var realCursors []struct{ method, cursor string }
	servedOK := map[string]bool{}
	for _, m := range e.Server.Lists() {
		pages := probe.ListPages(e, m, tally)
		if len(pages) > 0 && pages[0].Accepted() {
			servedOK[m] = true
		}
		served := 0
		for _, p := range pages {
			if p.Accepted() {
				served++
			}
		}
		if served > 1 {
			multiPage++
		}
		if len(pages) > 0 {
			if next := model.NextCursor(pages[0].Result()); next != nil {
				realCursors = append(realCursors, struct{ method, cursor string }{m, *next})
			}
		}
	}
	if e.Ctx.Err() != nil {
		return
	}
	switch {
	case tally[spec.CoreCacheScopePages] > 0:
	case multiPage == 0:
		e.Skip(spec.CoreCacheScopePages, "every list fits on one page")
	default:
		e.Pass(spec.CoreCacheScopePages, "%d list(s) of several pages carried one cacheScope on every page", multiPage)
	}

	var methods []string
	for _, m := range e.Server.Lists() {
		if servedOK[m] {
			methods = append(methods, m)
		}
	}
	if len(methods) == 0 {
		e.Inconclusive(spec.CoreCursorInvalid, "the server served no list request without a cursor (the unaltered request)")
		e.Inconclusive(spec.CoreCursorGraceful, "the server served no list request without a cursor (the unaltered request)")
		return
	}
	rejected, graceful, served := 0, 0, 0
	badCode, hung := 0, 0
	probeCursor := func(method, cursor string, madeUp bool) {
		r := e.Request(method, map[string]any{"cursor": cursor})
		r.Timeout = probe.CallTimeout
		o := e.Send(r)
		what := fmt.Sprintf("%s with cursor %.40q", method, cursor)
		if !o.Answered() {
			hung++
			e.Violation(spec.CoreCursorGraceful, "%s: %s; an invalid cursor should get an error response", what, o.Describe())
			return
		}
		graceful++
		code, isErr := o.ErrorCode()
		switch {
		case isErr && code == wire.CodeInvalidParams:
			rejected++
		case isErr || o.Rejected():
			badCode++
			e.Violation(spec.CoreCursorInvalid, "%s: rejected with %s; an invalid cursor should get -32602 (Invalid params)", what, o.Describe())
		case madeUp:
			served++
			e.Violation(spec.CoreCursorInvalid, "%s: served (%s), though the server never issued that cursor; it should get -32602 (Invalid params)", what, o.Describe())
		}
	}
	for _, m := range methods {
		for _, c := range invalidCursors(e) {
			if e.Ctx.Err() != nil {
				return
			}
			probeCursor(m, c, true)
		}
	}
	for _, rc := range realCursors {
		for _, c := range mutatedCursors(rc.cursor) {
			if e.Ctx.Err() != nil {
				return
			}
			probeCursor(rc.method, c, false)
		}
		// The cursor of one list sent to another: some servers share a
		// cursor format, so serving it is no violation.
		for _, m := range methods {
			if m != rc.method && e.Ctx.Err() == nil {
				probeCursor(m, rc.cursor, false)
			}
		}
	}
	// Still serving after the invalid cursors?
	after := e.Send(e.Request(methods[0], map[string]any{}))
	if !after.Accepted() {
		e.Violation(spec.CoreCursorGraceful, "after the invalid cursors, %s without a cursor was no longer served (%s)", methods[0], after.Describe())
		return
	}
	if hung == 0 && graceful > 0 {
		e.Pass(spec.CoreCursorGraceful, "%d invalid cursor(s) answered, and the list still served afterwards", graceful)
	}
	if badCode == 0 && served == 0 && rejected > 0 {
		e.Pass(spec.CoreCursorInvalid, "%d invalid cursor(s) rejected with -32602", rejected)
	}
}

// nonexistentMarker is what the model recognises in a URI known not to
// exist (model.Config.Nonexistent's default).
const nonexistentMarker = "mcpverify-nonexistent"

// nonexistentSiblings returns URIs in the scheme and place of uri that
// cannot exist: the last path segment replaced (its extension kept), a
// child segment appended, and for a URI without path the authority
// replaced. Each contains nonexistentMarker and a nonce.
func nonexistentSiblings(uri, nonce string) []string {
	name := nonexistentMarker + "-" + nonce
	u, err := url.Parse(uri)
	if err != nil || u.Scheme == "" {
		return nil
	}
	var out []string
	add := func(s string) {
		if s != uri && strings.Contains(s, nonexistentMarker) {
			for _, o := range out {
				if o == s {
					return
				}
			}
			out = append(out, s)
		}
	}
	if u.Opaque != "" {
		add(u.Scheme + ":" + name)
		add(uri + "-" + name)
		return out
	}
	c := *u
	c.RawQuery, c.Fragment, c.RawFragment = "", "", ""
	path := c.Path
	if path == "" || path == "/" {
		if c.Host != "" {
			h := c
			h.Host = name
			add(h.String())
		}
		ch := c
		ch.Path = "/" + name
		add(ch.String())
		return out
	}
	dir, last := path[:strings.LastIndex(path, "/")+1], path[strings.LastIndex(path, "/")+1:]
	ext := ""
	if i := strings.LastIndex(last, "."); i > 0 {
		ext = last[i:]
	}
	r := c
	r.Path, r.RawPath = dir+name+ext, ""
	add(r.String())
	ch := c
	ch.Path, ch.RawPath = strings.TrimSuffix(path, "/")+"/"+name, ""
	add(ch.String())
	return out
}

// expandWith fills every variable of a URI template with one value.
func expandWith(tmpl, value string) string {
	return gen.TemplateVar.ReplaceAllStringFunc(tmpl, func(string) string { return value })
}

// checkResourceNotFound reads, for every declared resource and template,
// siblings that cannot exist (in the schemes and places the server uses).
// The unaltered request is a read of a declared resource (or a template expansion)
// that the server serves. A nonexistent resource gets -32602, never an
// empty contents array; the model judges each read (URIs containing
// "mcpverify-nonexistent" are known not to exist).
func checkResourceNotFound(e *check.Env) {
	uris := probe.ResourceURIs(e)
	servedFirst := false
	for _, u := range uris {
		r := e.Request("resources/read", map[string]any{"uri": u})
		r.Timeout = probe.CallTimeout
		if e.Send(r).Accepted() {
			servedFirst = true
			break
		}
	}
	for _, t := range slices.Sorted(maps.Keys(e.Decl.Templates)) {
		if servedFirst || e.Ctx.Err() != nil {
			break
		}
		r := e.Request("resources/read", map[string]any{"uri": gen.ExpandTemplate(e.Rand(), t)})
		r.Timeout = probe.CallTimeout
		servedFirst = e.Send(r).Accepted()
	}
	if !servedFirst {
		why := "the server served no read of a declared resource or template (the unaltered request)"
		e.Inconclusive(spec.CoreResourceNotFound, "%s", why)
		e.Inconclusive(spec.CoreResourceNotEmpty, "%s", why)
		return
	}
	var probes []string
	seen := map[string]bool{}
	nonce := func() string { return fmt.Sprintf("%06x", e.Rand().Intn(1<<24)) }
	for _, u := range uris {
		for _, p := range nonexistentSiblings(u, nonce()) {
			if !seen[p] {
				seen[p] = true
				probes = append(probes, p)
			}
		}
	}
	for _, t := range slices.Sorted(maps.Keys(e.Decl.Templates)) {
		p := expandWith(t, nonexistentMarker+"-"+nonce())
		if !seen[p] && strings.Contains(p, nonexistentMarker) {
			seen[p] = true
			probes = append(probes, p)
		}
	}
	const maxProbes = 24
	if len(probes) > maxProbes {
		e.Rand().Shuffle(len(probes), func(i, j int) { probes[i], probes[j] = probes[j], probes[i] })
		probes = probes[:maxProbes]
	}
	tally := probe.Tally{}
	rejected, servedFull, other := 0, 0, 0
	for _, p := range probes {
		if e.Ctx.Err() != nil {
			return
		}
		r := e.Request("resources/read", map[string]any{"uri": p})
		r.Timeout = probe.CallTimeout
		o := tally.Add(e.Send(r))
		code, isErr := o.ErrorCode()
		switch {
		case !o.Answered():
			other++
		case isErr && code == wire.CodeInvalidParams:
			rejected++
		case isErr:
			// the model reports the code (CORE-RESOURCE-NOT-FOUND)
		case o.Rejected():
			e.Violation(spec.CoreResourceNotFound, "read of %q: %s without a JSON-RPC error; a resource that does not exist gets -32602", p, o.Describe())
		case o.Accepted():
			if r, ok := o.Result().(*wire.ReadResourceResult); ok && len(r.Contents) > 0 {
				servedFull++ // the server says it exists (e.g. a template matching anything)
			} else {
				other++ // input_required, or empty contents (the model reports it)
			}
		default:
			other++
		}
	}
	if tally[spec.CoreResourceNotFound] == 0 {
		if rejected > 0 {
			e.Pass(spec.CoreResourceNotFound, "%d of %d read(s) of nonexistent resources rejected with -32602 (%d served with contents: the server says they exist)", rejected, len(probes), servedFull)
		} else {
			e.Inconclusive(spec.CoreResourceNotFound, "none of %d read(s) of URIs meant not to exist was rejected (%d served with contents, %d other)", len(probes), servedFull, other)
		}
	}
	if tally[spec.CoreResourceNotEmpty] == 0 {
		if rejected > 0 {
			e.Pass(spec.CoreResourceNotEmpty, "no read of %d nonexistent resource(s) returned an empty contents array", len(probes))
		} else {
			e.Inconclusive(spec.CoreResourceNotEmpty, "none of %d read(s) of URIs meant not to exist was rejected: could not tell", len(probes))
		}
	}
}
