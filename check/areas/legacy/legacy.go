package legacy

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/gen"
	"github.com/mcpverify/mcpverify/check/legacyclient"
	"github.com/mcpverify/mcpverify/check/probe"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Servers that speak only a handshake-era revision (2025-11-25 and
// earlier): versioning.mdx, "Backward Compatibility with
// Initialization-Based Versions".
//
// Such a server is not a 2026-07-28 server, so judging it by this
// revision's rules would bury the one thing worth saying under a failure
// per requirement. Instead the run reports that finding once
// (CORE-LEGACY-ONLY), skips every check of this revision with "the server
// speaks only 2025-11-25", and runs the checks whose concern does not
// depend on the revision over a 2025-11-25 session opened during discovery
// (ServerInfo.Legacy): the hostile-Origin and foreign-Host families, and
// every tool called with generated arguments, its result checked against
// the tool's outputSchema and every schema checked for validity. Those
// checks judge the answers themselves (the model knows only this
// revision's rules: no resultType, no _meta protocol fields, other error
// codes), cite the 2026-07-28 requirement whose concern they share (the
// 2025-11-25 text says the same), and mark their verdicts with the
// session's revision (Verdict.Revision, Result.Revision).
//
// A dual-era server is checked as a modern server; the rules that bind
// only servers that serve nothing but this revision are skipped with the
// reason (check era/serves-only-this-revision).

func init() {
	check.Register(&check.Check{
		Name: "legacy/revision",
		IDs:  []spec.ID{spec.CoreLegacyOnly, spec.CoreRevisionServed, spec.CoreDiscover},
		Eras: []check.Era{check.Modern, check.DualEra, check.Legacy, check.OtherRevision, check.UnknownEra},
		Run:  checkRevision,
	})
	check.Register(&check.Check{
		Name: "legacy/serves-only-this-revision",
		// IDs stay empty: the check only explains, on dual-era servers, why
		// rules the model judges on modern-only servers do not apply;
		// listing them would take the model's passes away elsewhere.
		Eras: []check.Era{check.DualEra},
		Run:  checkModernOnlyRules,
	})
	// The legacy-session checks declare no IDs either: their requirements
	// are judged (passively, by the model, or by the modern checks) on
	// every other server, and a check's IDs are decided only by checks.
	check.Register(&check.Check{
		Name:       "legacy/origin",
		Transports: []wire.Transport{wire.HTTP},
		Eras:       []check.Era{check.Legacy},
		Run:        checkLegacyOrigin,
	})
	check.Register(&check.Check{
		Name: "legacy/tools",
		Eras: []check.Era{check.Legacy},
		Run:  checkLegacyTools,
	})
}

// The checks.

// checkRevision reports, once, a server that does not serve this revision:
// CORE-LEGACY-ONLY for one that speaks only the handshake era,
// CORE-REVISION-SERVED for a modern one whose versions lack 2026-07-28.
// Both pass on a server whose discover result lists 2026-07-28.
func checkRevision(e *check.Env) {
	si := e.Server
	switch si.Era {
	case check.Modern, check.DualEra:
		if !slices.Contains(si.Versions, wire.Version) {
			msg := "the server answered server/discover as a modern server (a modern error, or a result without readable supportedVersions), so its versions are unknown"
			e.Inconclusive(spec.CoreLegacyOnly, "%s", msg)
			e.Inconclusive(spec.CoreRevisionServed, "%s", msg)
			judgeDiscover(e, "")
			return
		}
		msg := fmt.Sprintf("the server lists %v", si.Versions)
		if si.Era == check.DualEra {
			msg += "; the server is dual-era"
		}
		e.Pass(spec.CoreLegacyOnly, "%s", msg)
		e.Pass(spec.CoreRevisionServed, "%s", msg)
		judgeDiscover(e, msg)
	case check.Legacy:
		how := "server/discover was not served"
		if prefix := e.Prefix(); len(prefix) > 0 && prefix[0].Method() == "server/discover" {
			probe := check.Observation{Ex: prefix[0]}
			how = "server/discover got " + probe.Describe()
			if _, vs, ok := check.DiscoverAnswer(probe); ok {
				how = fmt.Sprintf("server/discover lists only %v", vs)
			}
		}
		sid := "no session id"
		if si.Legacy != nil && si.Legacy.SessionID != "" {
			sid = "a session id"
		}
		e.Violation(spec.CoreLegacyOnly, "%s: %s, then initialize was answered with protocolVersion %q and %s; the checks of %s are skipped, and the revision-independent ones ran over the %s session",
			legacyclient.SkipReason(si.LegacyVersion()), how, si.LegacyVersion(), sid, wire.Version, si.LegacyVersion())
		e.Skip(spec.CoreRevisionServed, "%s (reported as %s)", legacyclient.SkipReason(si.LegacyVersion()), spec.CoreLegacyOnly)
		e.Skip(spec.CoreDiscover, "%s", legacyclient.SkipReason(si.LegacyVersion()))
	case check.OtherRevision:
		e.Pass(spec.CoreLegacyOnly, "the server answered with a modern result or error, not only the handshake")
		e.Violation(spec.CoreRevisionServed, "the server is modern but does not serve %s: it supports %v (and does not answer initialize); the checks of %s are skipped",
			wire.Version, si.Versions, wire.Version)
		e.Skip(spec.CoreDiscover, "the server does not serve %s (reported as %s)", wire.Version, spec.CoreRevisionServed)
	default:
		msg := "the server answered neither server/discover nor initialize recognizably"
		e.Inconclusive(spec.CoreLegacyOnly, "%s", msg)
		e.Inconclusive(spec.CoreRevisionServed, "%s", msg)
		judgeDiscoverMissing(e)
	}
}

// judgeDiscover passes CORE-DISCOVER when discovery's server/discover was
// served (msg says what it showed), and otherwise judges the error it got
// (judgeDiscoverMissing).
func judgeDiscover(e *check.Env, msg string) {
	o := check.Observation{Ex: e.Server.DiscoverProbe}
	if o.Ex == nil || !o.Accepted() {
		judgeDiscoverMissing(e)
		return
	}
	if msg == "" {
		msg = o.Describe()
	}
	e.Pass(spec.CoreDiscover, "server/discover was served: %s", msg)
}

// judgeDiscoverMissing: a server that answered server/discover with
// nothing recognizable may still serve this revision's other requests; if
// it serves tools/list (or prompts/list, resources/list) with a result of
// this revision, it fails to implement server/discover.
func judgeDiscoverMissing(e *check.Env) {
	how := "server/discover was not served"
	if ex := e.Server.DiscoverProbe; ex != nil {
		how = "server/discover got " + check.Observation{Ex: ex}.Describe()
		if ex.Transport == wire.HTTP && (ex.Status == 401 || ex.Status == 403) {
			e.Inconclusive(spec.CoreDiscover, "%s: the server asks for credentials (--header)", how)
			return
		}
	}
	for _, m := range []string{"tools/list", "prompts/list", "resources/list"} {
		o := e.Send(e.Request(m, nil))
		if !o.Accepted() {
			continue
		}
		var r struct {
			ResultType string `json:"resultType"`
		}
		if check.LegacyResult(o, &r) == nil && r.ResultType != "" {
			e.Violation(spec.CoreDiscover, "%s, but %s was served as a %s server serves it (resultType %q): servers implement server/discover", how, m, wire.Version, r.ResultType)
			return
		}
	}
	e.Inconclusive(spec.CoreDiscover, "%s, and no list request was served as a %s result either", how, wire.Version)
}

// modernOnlyRules are the requirements that bind only servers that serve
// nothing but this revision (their catalog entries' "applies").
var modernOnlyRules = []struct {
	id   spec.ID
	http bool
}{
	{spec.HttpGetDelete405, true},
	{spec.HttpSessionId, true},
	{spec.HttpLastEventId, true},
	{spec.CoreInitializeVersions, false},
}

// checkModernOnlyRules skips, on a dual-era server, the rules that bind
// only servers serving nothing but this revision, so that the report says
// why they were not judged.
func checkModernOnlyRules(e *check.Env) {
	how := fmt.Sprintf("it lists %v", e.Server.Versions)
	if !slices.ContainsFunc(e.Server.Versions, wire.IsLegacyVersion) {
		how = "it answers initialize"
	}
	for _, r := range modernOnlyRules {
		if r.http && e.Transport() != wire.HTTP {
			continue
		}
		e.Skip(r.id, "applies only to servers that serve only %s; this server is dual-era (%s)", wire.Version, how)
	}
}

// legacyServed returns a request builder for the session: tools/list if
// the server declares tools, else ping.
func legacyServed(e *check.Env) func() *check.Request {
	method := "ping"
	if e.Server.Capabilities.Tools != nil {
		method = "tools/list"
	}
	return func() *check.Request { return e.LegacyRequest(method, nil) }
}

// checkLegacyOrigin sends the hostile-Origin family of origin/origin
// (hostileOrigins) over the legacy session, after an unaltered request without
// Origin was served: each as a session request and as initialize (which
// would open a session for the attacker). 2025-11-25 and 2026-07-28 alike
// require 403 for a present, invalid Origin (HTTP-ORIGIN). On a server
// addressed on loopback it also sends the foreign-Host family of
// origin/host (HTTP-HOST, a hardening: any rejection counts). A family
// passes only when every case was answered as required.
func checkLegacyOrigin(e *check.Env) {
	base := legacyServed(e)
	u, err := probe.TargetURL(e, 0)
	if err != nil {
		e.Inconclusive(spec.HttpOrigin, "%v", err)
		return
	}
	b := e.SendLegacy(base())
	if !b.Accepted() {
		msg := fmt.Sprintf("the unaltered request %s over the %s session was not served (%s)", legacyMethodOf(b), e.Server.LegacyVersion(), b.Describe())
		e.Inconclusive(spec.HttpOrigin, "%s", msg)
		e.Inconclusive(spec.HttpHost, "%s", msg)
		return
	}
	origins := &legacyFamily{id: spec.HttpOrigin}
	cases := probe.HostileOrigins(e, u)
	for _, c := range cases {
		for _, init := range []bool{false, true} {
			if e.Ctx.Err() != nil {
				break
			}
			r, what := base(), fmt.Sprintf("%s with Origin %q (%s)", legacyMethodOf(b), c.Origin, c.Why)
			if init {
				r, what = e.LegacyInitialize(e.Server.LegacyVersion()), fmt.Sprintf("initialize with Origin %q (%s)", c.Origin, c.Why)
			}
			probe.SetHeader(r, "Host", probe.Str(u.Host))
			probe.SetHeader(r, "Origin", probe.Str(c.Origin))
			o := e.SendLegacy(r)
			switch {
			case !o.Answered():
				origins.undecided(what + ": " + o.Describe())
			case o.Ex.Status == http.StatusForbidden:
				origins.pass(what + ": HTTP 403, while the request without Origin was served")
			case o.Rejected():
				e.Violation(spec.HttpOrigin, "%s: rejected with %s; 403 Forbidden is required", what, o.Describe())
			default:
				e.Violation(spec.HttpOrigin, "%s: served (%s); 403 Forbidden is required", what, o.Describe())
			}
		}
	}
	origins.end(e, 2*len(cases))

	if why := probe.NeedsLoopbackTarget(e); why != "" {
		e.Skip(spec.HttpHost, "%s", why)
		return
	}
	hosts := &legacyFamily{id: spec.HttpHost}
	hcases := probe.HostileHosts(u)
	for _, c := range hcases {
		if e.Ctx.Err() != nil {
			break
		}
		r := base()
		probe.SetHeader(r, "Host", probe.Str(c.Host))
		if c.Origin != "" {
			probe.SetHeader(r, "Origin", probe.Str(c.Origin))
		}
		o := e.SendLegacy(r)
		what := fmt.Sprintf("%s with Host %q (%s)", legacyMethodOf(b), c.Host, c.Why)
		switch {
		case o.Accepted():
			e.Violation(spec.HttpHost, "%s: served (%s) by a server on %s", what, o.Describe(), u.Host)
		case o.Answered() && o.Rejected():
			hosts.pass(what + ": rejected (" + o.Describe() + "); the spec names no status, any rejection counts")
		default:
			hosts.undecided(what + ": " + o.Describe())
		}
	}
	hosts.end(e, len(hcases))
}

// legacyFamily collects the outcomes of one attack family: it passes only
// when every case was sent and answered as required (violations are
// recorded as they happen).
type legacyFamily struct {
	id     spec.ID
	passes []string
	open   []string
}

func (f *legacyFamily) pass(msg string)      { f.passes = append(f.passes, msg) }
func (f *legacyFamily) undecided(msg string) { f.open = append(f.open, msg) }

// end records the family's verdict after want cases.
func (f *legacyFamily) end(e *check.Env, want int) {
	switch {
	case want == 0:
		e.Inconclusive(f.id, "no case could be generated for this target")
	case len(f.open) > 0:
		e.Inconclusive(f.id, "%d of %d case(s) undecided, e.g. %s", len(f.open), want, f.open[0])
	case len(f.passes) < want:
		if len(f.passes)+len(e.ViolationsOf(f.id)) < want {
			e.Inconclusive(f.id, "the check ran out of time after %d of %d case(s)", len(f.passes)+len(e.ViolationsOf(f.id)), want)
		}
	default:
		for _, m := range f.passes {
			e.Pass(f.id, "%s", m)
		}
	}
}

// legacyMethodOf returns the JSON-RPC method of the exchange's request.
func legacyMethodOf(o check.Observation) string {
	if m := o.Ex.Method(); m != "" {
		return m
	}
	return "the request"
}

// Tool calls over the legacy session.

const (
	// maxLegacyTools bounds the tools called; tools with an outputSchema
	// come first.
	maxLegacyTools = 24
	// legacyDraws is the number of argument sets drawn per tool with an
	// outputSchema (one for the others).
	legacyDraws = 2
	// maxRedraws bounds the draws for one valid argument set.
	maxRedraws = 5
	// legacyCallTimeout bounds one tool call: a tool that asks the client
	// for input (elicitation, sampling) on the response stream waits for
	// an answer the checker never sends.
	legacyCallTimeout = 2 * time.Second
)

// legacyCallResult is a CallToolResult of the legacy session.
type legacyCallResult struct {
	Content           wire.Value `json:"content"`
	StructuredContent wire.Value `json:"structuredContent"`
	IsError           *bool      `json:"isError"`
}

// checkLegacyTools checks every published schema for validity
// (CORE-SCHEMA-VALID: "Schemas MUST be valid according to their declared
// or default dialect" in 2025-11-25 as in 2026-07-28) and calls every tool
// with arguments drawn from its inputSchema (and valid against it); a
// successful result of a tool with an outputSchema must carry
// structuredContent that conforms (CORE-OUTPUT-SCHEMA, also a MUST of
// 2025-11-25).
func checkLegacyTools(e *check.Env) {
	if e.Server.Capabilities.Tools == nil {
		e.Skip(spec.CoreOutputSchema, "the server declares no tools capability")
		e.Skip(spec.CoreSchemaValid, "the server declares no tools capability")
		return
	}
	if len(e.Decl.Tools) == 0 {
		msg := fmt.Sprintf("tools/list over the %s session listed no tool", e.Server.LegacyVersion())
		e.Skip(spec.CoreOutputSchema, "%s", msg)
		e.Skip(spec.CoreSchemaValid, "%s", msg)
		return
	}
	names := make([]string, 0, len(e.Decl.Tools))
	for n := range e.Decl.Tools {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		oi, oj := len(e.Decl.Tools[names[i]].Tool.OutputSchema) > 0, len(e.Decl.Tools[names[j]].Tool.OutputSchema) > 0
		if oi != oj {
			return oi
		}
		return names[i] < names[j]
	})

	// Schema validity, and the compiled schemas for the calls.
	type compiled struct{ in, out *jsonschema.Schema }
	schemas := map[string]compiled{}
	nValid, nSchemas, undecided := 0, 0, []string{}
	for _, n := range names {
		t := e.Decl.Tools[n].Tool
		var c compiled
		for _, s := range []struct {
			kind string
			doc  wire.Value
			dst  **jsonschema.Schema
		}{{"inputSchema", t.InputSchema, &c.in}, {"outputSchema", t.OutputSchema, &c.out}} {
			if len(s.doc) == 0 {
				continue
			}
			nSchemas++
			sch, invalid, err := probe.CompileSchema(s.doc)
			switch {
			case err == nil:
				*s.dst = sch
				nValid++
			case invalid:
				e.Violation(spec.CoreSchemaValid, "tool %q: its %s is not valid JSON Schema (2020-12 unless $schema names another dialect): %v", n, s.kind, err)
			default:
				undecided = append(undecided, fmt.Sprintf("tool %q %s: %v", n, s.kind, err))
			}
		}
		schemas[n] = c
	}
	switch {
	case nValid == nSchemas && nSchemas > 0:
		e.Pass(spec.CoreSchemaValid, "the %d schema(s) of %d tool(s) listed over the %s session are valid", nSchemas, len(names), e.Server.LegacyVersion())
	case nValid+len(undecided) == nSchemas && len(undecided) > 0:
		e.Inconclusive(spec.CoreSchemaValid, "could not decide %d schema(s): %s", len(undecided), strings.Join(undecided, "; "))
	}

	// Calls.
	withOutput, judged, served, refused, called := 0, 0, 0, 0, 0
	for i, n := range names {
		if i >= maxLegacyTools || e.Ctx.Err() != nil {
			break
		}
		called++
		c := schemas[n]
		draws := 1
		if len(e.Decl.Tools[n].Tool.OutputSchema) > 0 {
			withOutput++
			draws = legacyDraws
		}
		for d := 0; d < draws && e.Ctx.Err() == nil; d++ {
			args, ok := drawArguments(e, e.Decl.Tools[n].Schema, c.in)
			if !ok {
				break
			}
			r := e.LegacyRequest("tools/call", map[string]any{"name": n, "arguments": args})
			r.Timeout = legacyCallTimeout
			o := e.SendLegacy(r)
			var res legacyCallResult
			if !o.Accepted() || check.LegacyResult(o, &res) != nil {
				refused++
				continue
			}
			served++
			if c.out == nil || (res.IsError != nil && *res.IsError) {
				continue
			}
			judged++
			if len(res.StructuredContent) == 0 || string(res.StructuredContent) == "null" {
				e.Violation(spec.CoreOutputSchema, "tool %q declares an outputSchema, but its result over the %s session has no structuredContent", n, e.Server.LegacyVersion())
				continue
			}
			var inst any
			if err := wire.Unmarshal(res.StructuredContent, &inst); err != nil {
				e.Inconclusive(spec.CoreOutputSchema, "tool %q: structuredContent did not decode: %v", n, err)
				continue
			}
			if err := c.out.Validate(inst); err != nil {
				e.Violation(spec.CoreOutputSchema, "tool %q: structuredContent does not conform to its outputSchema: %v", n, err)
				continue
			}
			e.Pass(spec.CoreOutputSchema, "tool %q: structuredContent conforms to its outputSchema", n)
		}
	}
	partial := ""
	if called < len(names) {
		partial = fmt.Sprintf("; %d of %d tools called before the check's time or tool bound", called, len(names))
	}
	switch {
	case withOutput == 0:
		// Tools with an outputSchema are called first: none was, so none
		// declares one.
		e.Skip(spec.CoreOutputSchema, "no tool declares an outputSchema")
	case judged == 0:
		e.Inconclusive(spec.CoreOutputSchema, "no call of a tool with an outputSchema succeeded (%d call(s) served, %d refused or unanswered)%s", served, refused, partial)
	}
}

// drawArguments draws arguments from a tool's input schema until they
// validate against it (a best-effort generator), at most maxRedraws times.
func drawArguments(e *check.Env, schema any, in *jsonschema.Schema) (map[string]any, bool) {
	for i := 0; i < maxRedraws; i++ {
		args, _ := gen.GenerateValue(e.Rand(), schema).(map[string]any)
		if args == nil {
			args = map[string]any{}
		}
		if in == nil {
			return args, true
		}
		var inst any
		if wire.Unmarshal(wire.MustMarshal(args), &inst) != nil {
			continue
		}
		if in.Validate(inst) == nil {
			return args, true
		}
	}
	return nil, false
}
