// Package files checks a server's file access after Roots: told to use
// one directory (the workspace of the checker's sandbox, Options.Sandbox),
// it must answer nothing from outside it, through a tool's path argument
// (FILES-TOOL-CONFINED), a file:// resource (FILES-RESOURCE-TRAVERSAL) or
// a symbolic link inside that leads out (FILES-SYMLINK-ESCAPE), and
// should refuse outside paths alike whether or not something is there
// (FILES-EXISTENCE-ORACLE). The model judges every answer against the
// sandbox's tree: a canary's content or name in an answer is a leak.
package files

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/probe"
	"github.com/mcpverify/mcpverify/model"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

var (
	toolIDs     = []spec.ID{spec.FilesToolConfined, spec.FilesSymlinkEscape, spec.FilesExistenceOracle, spec.FilesRootsRespect, spec.FilesRootsWiden}
	rootsIDs    = []spec.ID{spec.FilesRootsRespect, spec.FilesRootsWiden}
	resourceIDs = []spec.ID{spec.FilesResourceTraversal}
)

func init() {
	// Over 2025-11-25 too (a server that speaks only that revision is
	// checked through its session): file access is the same question.
	eras := []check.Era{check.Modern, check.DualEra, check.Legacy}
	check.Register(&check.Check{Name: "files/tools", IDs: toolIDs, Needs: needsSandbox, Eras: eras, Run: checkTools})
	check.Register(&check.Check{Name: "files/resources", IDs: resourceIDs, Needs: needsSandbox, Eras: eras, Run: checkResources})
}

func needsSandbox(e *check.Env) string {
	if e.Opts.Sandbox == nil {
		return "the checker did not start the server on a sandbox (check --sandbox with {workspace} in --command): which directories it may use is unknown"
	}
	return ""
}

// pathName matches an argument that takes a file path.
var pathName = regexp.MustCompile(`(?i)^(path|file|filename|file_?path|dir|directory|folder|dirname|target|source|src|location|root|base|cwd)$|(path|file|dir|directory|folder|root)$`)

// param is a tool's argument that takes a path; writes: the tool is not
// marked read-only.
type param struct {
	tool, arg string
	writes    bool
}

// readOnly reports whether a tool is marked read-only.
func readOnly(td *check.ToolDecl) bool {
	a := td.Tool.Annotations
	return a != nil && a.ReadOnlyHint != nil && *a.ReadOnlyHint
}

// pathParams are the path arguments of the server's read-only tools (and
// of the others when writes allows): those --hints names, and string
// arguments named like a path, described as one, or of a path format
// ("uri-reference", any format naming a path).
func pathParams(e *check.Env, writes bool) []param {
	var out []param
	seen := map[param]bool{}
	add := func(p param) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	if h := e.Opts.Hints; h != nil {
		for _, t := range slices.Sorted(maps.Keys(h.Paths)) {
			if td := e.Decl.Tools[t]; td != nil && (writes || readOnly(td)) {
				add(param{t, h.Paths[t], !readOnly(td)})
			}
		}
	}
	for _, t := range slices.Sorted(maps.Keys(e.Decl.Tools)) {
		td := e.Decl.Tools[t]
		if !writes && !readOnly(td) {
			continue // without --sandbox-writes, tools that may write are not called
		}
		props, _ := probe.SchemaProps(td.Schema)
		for _, k := range slices.Sorted(maps.Keys(props)) {
			s, _ := props[k].(map[string]any)
			desc, _ := s["description"].(string)
			format, _ := s["format"].(string)
			byFormat := format == "uri-reference" || strings.Contains(strings.ToLower(format), "path")
			if s["type"] == "string" && s["enum"] == nil && (pathName.MatchString(k) || byFormat || strings.Contains(strings.ToLower(desc), "path")) {
				add(param{t, k, !readOnly(td)})
			}
		}
	}
	return out
}

// call sends tools/call of p's tool with value as p's argument (the other
// arguments generated).
func call(e *check.Env, p param, value string) check.Observation {
	return send(e, "tools/call", callParams(e, p, value))
}

// callParams are the params of a tools/call of p's tool with value as p's
// argument, the other arguments generated.
func callParams(e *check.Env, p param, value string) map[string]any {
	params := probe.ToolCallParams(e, p.tool)
	args, _ := params["arguments"].(map[string]any)
	if args == nil {
		args = map[string]any{}
		params["arguments"] = args
	}
	args[p.arg] = value
	return params
}

// send sends a request and has its answer judged: by the model, or, over
// a 2025-11-25 session (which the model does not judge), by the same
// leak rule (model.FileTree.Leak), reported as the check's violation.
func send(e *check.Env, method string, params map[string]any) check.Observation {
	if e.Server.Era != check.Legacy {
		r := e.Request(method, params)
		r.Timeout = probe.CallTimeout
		return e.Send(r)
	}
	r := e.LegacyRequest(method, params)
	r.Timeout = probe.CallTimeout
	o := e.SendLegacy(r)
	tree := e.Opts.Model.Files
	if m, err := wire.DecodeMessage(r.Body); err == nil && tree != nil {
		if req, ok := m.(*wire.JSONRPCRequest); ok {
			if id, got, leaked := tree.Leak(method, req.Params, string(r.Body), answer(o)); leaked {
				e.Violation(id, "%s (over %s)", got, e.Server.LegacyVersion())
				o.Violations = append(o.Violations, model.Violation{ID: id, Got: got})
			}
		}
	}
	return o
}

// answer is what the server sent for o's request: the HTTP body, or the
// stdio lines.
func answer(o check.Observation) string {
	if o.Ex.Transport == wire.Stdio {
		var b strings.Builder
		for _, l := range o.Ex.Lines {
			b.Write(l)
			b.WriteByte('\n')
		}
		return b.String()
	}
	return string(o.Ex.RespBody)
}

// served: the call was answered with a result that is no tool error.
func served(o check.Observation) bool {
	if !o.Accepted() {
		return false
	}
	r, ok := o.Result().(*wire.CallToolResult)
	return ok && (r.IsError == nil || !*r.IsError)
}

// baseline finds a read inside the workspace that p serves: a file's
// content in the answer, or (for a listing) the name of a file.
func baseline(e *check.Env, p param, reads map[string]string) (string, bool) {
	if p.writes {
		// A tool that may write: a new file inside the workspace must be
		// served.
		name := "mcpverify-write-" + e.RandHex(5) + ".txt"
		if o := call(e, p, name); served(o) {
			return name + " (a write)", true
		}
	}
	for _, path := range slices.Sorted(maps.Keys(reads)) {
		o := call(e, p, path)
		if served(o) && strings.Contains(answer(o), reads[path]) {
			return path, true
		}
	}
	// A listing of the workspace names one of its files.
	var names []string
	for path := range reads {
		if !strings.Contains(path, "/") {
			names = append(names, path)
		}
	}
	for _, path := range []string{".", ""} {
		o := call(e, p, path)
		if served(o) && slices.ContainsFunc(names, func(n string) bool { return strings.Contains(answer(o), n) }) {
			return path + " (a listing)", true
		}
	}
	return "", false
}

// tally counts a family of attempts: those sent, answered, and whether
// the model found the route's requirement broken.
type tally struct {
	sent, answered int
	families       map[string]bool
	violated       map[spec.ID]bool
}

func newTally() *tally { return &tally{families: map[string]bool{}, violated: map[spec.ID]bool{}} }

func (t *tally) add(a check.PathAttack, o check.Observation, ids ...spec.ID) {
	t.sent++
	t.families[a.Family] = true
	if o.Answered() {
		t.answered++
	}
	for _, id := range ids {
		if _, ok := o.Violated(id); ok {
			t.violated[id] = true
		}
	}
}

// verdict passes id when the attempts were answered with no leak.
func (t *tally) verdict(e *check.Env, id spec.ID, what string) {
	switch {
	case t.violated[id]:
		// Reported by the model, with the exchange.
	case t.sent == 0:
		e.Inconclusive(id, "no attempt was made (%s)", what)
	case t.answered < t.sent:
		e.Inconclusive(id, "%d of %d attempts got no answer (%s)", t.sent-t.answered, t.sent, what)
	default:
		fams := slices.Sorted(func(yield func(string) bool) {
			for f := range t.families {
				if !yield(f) {
					return
				}
			}
		})
		e.Pass(id, "%d attempts (%s) in %d families (%s): no answer held a file from outside the workspace", t.sent, what, len(fams), strings.Join(fams, ", "))
	}
}

// checkTools: for each path argument of a read-only tool, a read inside
// the workspace must be served first (the baseline); then every escape
// attempt of the sandbox is sent, the model judging each answer; and an
// outside file that exists is asked for beside one that does not: the
// answers must not tell them apart.
func checkTools(e *check.Env) {
	sb := e.Opts.Sandbox
	ps := pathParams(e, sb.Writes())
	if len(ps) == 0 {
		probe.SkipAll(e, toolIDs, "no read-only tool takes a path (name one with --hints \"paths\": {\"tool\": \"argument\"}; tools that may write are called with --sandbox-writes)")
		return
	}
	if err := sb.Materialize(); err != nil {
		probe.InconclusiveAll(e, toolIDs, "the sandbox: %v", err)
		return
	}
	// What already differs outside the workspace (an earlier run on the
	// same tree) is not this run's doing.
	before := sb.Intruders()
	confined, links := newTally(), newTally()
	var usable []param
	var noBaseline []string
	for _, p := range ps {
		if _, ok := baseline(e, p, sb.Reads()); !ok {
			noBaseline = append(noBaseline, p.tool+" "+p.arg)
			continue
		}
		usable = append(usable, p)
		for _, a := range sb.Attacks() {
			if e.Ctx.Err() != nil {
				break
			}
			o := call(e, p, a.Value)
			if a.Symlink {
				links.add(a, o, spec.FilesSymlinkEscape, spec.FilesToolConfined)
			} else {
				confined.add(a, o, spec.FilesToolConfined, spec.FilesSymlinkEscape)
			}
		}
	}
	if len(usable) == 0 {
		probe.InconclusiveAll(e, toolIDs, "no read inside the workspace was served (%s): the server was not started on the workspace, or its tools take paths otherwise", strings.Join(noBaseline, "; "))
		return
	}
	// A second path argument of the same tool (a base directory, a root)
	// must not widen what the first reaches: it is set to the directory of
	// a canary, and the first to the canary's name.
	for _, p := range usable {
		for _, q := range ps {
			if q.tool != p.tool || q.arg == p.arg {
				continue
			}
			for _, a := range sb.Attacks() {
				if a.Family != "absolute" || a.Value != a.Aim {
					continue
				}
				dir, name := a.Aim[:strings.LastIndex(a.Aim, "/")], a.Aim[strings.LastIndex(a.Aim, "/")+1:]
				params := callParams(e, p, name)
				params["arguments"].(map[string]any)[q.arg] = dir
				o := send(e, "tools/call", params)
				confined.add(check.PathAttack{Family: "widen", Value: q.arg + "=" + dir, Aim: a.Aim}, o, spec.FilesToolConfined, spec.FilesSymlinkEscape)
			}
		}
	}
	// What the attempts wrote outside the workspace (a tool that may
	// write, or one that should not have).
	if intr := slices.DeleteFunc(sb.Intruders(), func(x string) bool { return slices.Contains(before, x) }); len(intr) > 0 {
		e.Violation(spec.FilesToolConfined, "after the attempts, outside the workspace: %s", probe.ListSome(intr, 8, "; "))
		confined.violated[spec.FilesToolConfined] = true
	}
	what := fmt.Sprintf("%d path argument(s): %s", len(usable), describe(usable))
	if len(noBaseline) > 0 {
		what += fmt.Sprintf("; not tried, no read inside served: %s", strings.Join(noBaseline, ", "))
	}
	confined.verdict(e, spec.FilesToolConfined, what)
	links.verdict(e, spec.FilesSymlinkEscape, what)
	// The oracle and the roots ask about reads: tools that may write are
	// left out of them.
	readers := slices.DeleteFunc(slices.Clone(usable), func(p param) bool { return p.writes })
	if len(readers) == 0 {
		probe.InconclusiveAll(e, []spec.ID{spec.FilesExistenceOracle, spec.FilesRootsRespect, spec.FilesRootsWiden}, "no read-only tool takes a path")
		return
	}
	existenceOracle(e, sb, readers)
	checkRoots(e, sb, readers)
}

// rootsPaths are what the roots passes ask for: a file one directory
// down (inner) and that directory (sub, the narrower root), a file of the
// workspace outside it (outer), the workspace's parent (the wider root)
// and a canary there.
type rootsPaths struct{ inner, outer, sub, parent, canary string }

func rootsPathsOf(sb check.Sandbox) (rootsPaths, bool) {
	var rp rootsPaths
	ws := sb.Tree().Allowed[0]
	reads := sb.Reads()
	for _, p := range slices.Sorted(maps.Keys(reads)) {
		if rel, ok := strings.CutPrefix(p, ws+"/"); ok && strings.Count(rel, "/") == 1 && rp.inner == "" {
			rp.inner, rp.sub = p, ws+"/"+rel[:strings.Index(rel, "/")]
		}
	}
	for _, p := range slices.Sorted(maps.Keys(reads)) {
		if strings.HasPrefix(p, ws+"/") && !strings.HasPrefix(p, rp.sub+"/") && rp.outer == "" {
			rp.outer = p
		}
	}
	rp.parent = ws[:strings.LastIndex(ws, "/")]
	for _, a := range sb.Attacks() {
		if a.Family == "absolute" && a.Value == a.Aim && strings.LastIndex(a.Aim, "/") == len(rp.parent) {
			rp.canary = a.Aim
			break
		}
	}
	return rp, rp.inner != "" && rp.outer != "" && rp.canary != ""
}

// legacyRoots: over 2025-11-25 a server asks for roots by a roots/list
// request of its own, in a session whose handshake declared them: the
// server is started again for each pass (Relauncher), the session
// declares roots, and the target answers the server's request with the
// pass's root (the workspace's subdirectory, then its parent).
func legacyRoots(e *check.Env, sb check.Sandbox, ps []param, rp rootsPaths) {
	rl, ok := e.Target(0).(check.Relauncher)
	if !ok {
		probe.SkipAll(e, rootsIDs, "over 2025-11-25 a server asks for roots in a session that declares them; a new session needs a server the checker starts itself (--command over stdio)")
		return
	}
	version := e.Server.LegacyVersion()
	session := func(root string) (check.Target, bool, error) {
		t, err := rl.Relaunch()
		if err != nil {
			return nil, false, err
		}
		ra, ok := t.(check.RootsAnswerer)
		if !ok {
			t.Close()
			return nil, false, fmt.Errorf("the target does not answer roots/list")
		}
		ra.AnswerRoots([]string{"file://" + root})
		if o := e.SendLegacyTo(t, e.LegacyInitializeWith(version, map[string]any{"roots": map[string]any{"listChanged": false}})); !o.Accepted() {
			t.Close()
			return nil, false, fmt.Errorf("initialize declaring roots: %s", o.Describe())
		}
		e.SendLegacyTo(t, e.LegacyNotification("notifications/initialized", nil))
		for i := 0; i < 40 && ra.RootsAsked() == 0 && e.Ctx.Err() == nil; i++ {
			time.Sleep(50 * time.Millisecond)
		}
		// The server takes the roots in; a moment for it.
		time.Sleep(100 * time.Millisecond)
		return t, ra.RootsAsked() > 0, nil
	}
	// A read sends the arguments that served the file inside (drawn up
	// to four times for it: optional ones may spoil a read), the path
	// argument aside.
	var good map[string]any
	read := func(t check.Target, p param, value string) check.Observation {
		params := callParams(e, p, value)
		if good != nil {
			args := map[string]any{}
			for k, v := range good {
				args[k] = v
			}
			args[p.arg] = value
			params["arguments"] = args
		}
		r := e.LegacyRequest("tools/call", params)
		r.Timeout = probe.CallTimeout
		return e.SendLegacyTo(t, r)
	}
	reads := sb.Reads()
	t, asked, err := session(rp.sub)
	if err != nil {
		probe.InconclusiveAll(e, rootsIDs, "a session declaring roots: %v", err)
		return
	}
	defer t.Close()
	if !asked {
		probe.SkipAll(e, rootsIDs, "in a %s session that declared roots, the server asked for none", version)
		return
	}
	// The first path argument that reads the file inside the root.
	var p param
	var tried []string
	for _, q := range ps {
		for i := 0; i < 4 && p.tool == ""; i++ {
			params := callParams(e, q, rp.inner)
			r := e.LegacyRequest("tools/call", params)
			r.Timeout = probe.CallTimeout
			if o := e.SendLegacyTo(t, r); served(o) && strings.Contains(answer(o), reads[rp.inner]) {
				p, good = q, params["arguments"].(map[string]any)
			} else if i == 0 {
				tried = append(tried, q.tool+": "+o.Describe()+" "+probe.Truncate(answer(o)))
			}
		}
		if p.tool != "" {
			break
		}
	}
	if p.tool == "" {
		probe.InconclusiveAll(e, rootsIDs, "the server asks for roots, but no read inside the root given (%s) was served: %s", rp.inner, strings.Join(tried, "; "))
		return
	}
	if o := read(t, p, rp.outer); served(o) && strings.Contains(answer(o), reads[rp.outer]) {
		e.Violation(spec.FilesRootsRespect, "%s %s=%s, in its directory but outside the one root the client gave (%s), was served (over %s): root boundaries are not respected", p.tool, p.arg, rp.outer, rp.sub, version)
	} else {
		e.Pass(spec.FilesRootsRespect, "%s asks for roots; %s, outside the root given (%s), was refused (%s, over %s)", p.tool, rp.outer, rp.sub, o.Describe(), version)
	}
	t2, _, err := session(rp.parent)
	if err != nil {
		e.Inconclusive(spec.FilesRootsWiden, "a session declaring roots: %v", err)
		return
	}
	defer t2.Close()
	o := read(t2, p, rp.canary)
	if !o.Answered() {
		e.Inconclusive(spec.FilesRootsWiden, "%s: no answer (%s)", p.tool, o.Describe())
		return
	}
	if _, got, leaked := sb.Tree().Leak("tools/call", nil, "", answer(o)); leaked {
		e.Violation(spec.FilesRootsWiden, "%s (over %s, the root the client gave: %s, outside the configured directory)", got, version, rp.parent)
		return
	}
	e.Pass(spec.FilesRootsWiden, "%s, given the root %s (outside its directory), did not serve %s (%s, over %s)", p.tool, rp.parent, rp.canary, o.Describe(), version)
}

// withRoots sends tools/call of p's tool with value as p's argument as a
// client that declares roots, answering the server's roots/list input
// requests with roots (other input requests as probe.Answers does), for
// up to probe.MaxRounds rounds. asked reports whether the server asked
// for roots.
func withRoots(e *check.Env, p param, value string, roots []string) (o check.Observation, asked bool) {
	c := probe.ClientWithInputs(e, "roots")
	params := callParams(e, p, value)
	var list []any
	for _, r := range roots {
		list = append(list, map[string]any{"uri": "file://" + r, "name": "mcpverify"})
	}
	add := map[string]any{}
	for round := 0; round < probe.MaxRounds; round++ {
		req := probe.ToolRequest(p.tool, params).Request(e, c, add)
		o = e.Send(req)
		ir, ok := probe.InputRequired(o)
		if !ok {
			return o, asked
		}
		answers, ok := probe.Answers(e, ir)
		if !ok {
			return o, asked
		}
		for k, raw := range ir.InputRequests {
			var m struct {
				Method string `json:"method"`
			}
			if wire.Unmarshal(raw, &m) == nil && m.Method == "roots/list" {
				asked = true
				answers[k] = map[string]any{"roots": list}
			}
		}
		add = probe.RetryParams(ir, answers)
	}
	return o, asked
}

// checkRoots: only for a server that asks the client for roots (which new
// implementations should not adopt). Given a root narrower than its
// directory (the workspace's subdirectory), it should not serve a file of
// the workspace outside that root (FILES-ROOTS-RESPECT, SHOULD); given a
// root outside its directory, it must not serve what lies there
// (FILES-ROOTS-WIDEN, hardening: roots are guidance, not grants; the
// model judges the answer).
func checkRoots(e *check.Env, sb check.Sandbox, ps []param) {
	rp, ok := rootsPathsOf(sb)
	if !ok {
		probe.InconclusiveAll(e, rootsIDs, "the sandbox has no file one directory down")
		return
	}
	if e.Server.Era == check.Legacy {
		legacyRoots(e, sb, ps, rp)
		return
	}
	inner, outer, sub, parent, canary := rp.inner, rp.outer, rp.sub, rp.parent, rp.canary
	reads := sb.Reads()
	for _, p := range ps {
		o, asked := withRoots(e, p, inner, []string{sub})
		if !asked {
			continue
		}
		if !served(o) || !strings.Contains(answer(o), reads[inner]) {
			probe.InconclusiveAll(e, rootsIDs, "%s asks for roots, but a read inside the root given (%s) was %s", p.tool, inner, o.Describe())
			return
		}
		if o, _ := withRoots(e, p, outer, []string{sub}); served(o) && strings.Contains(answer(o), reads[outer]) {
			e.Violation(spec.FilesRootsRespect, "%s %s=%s, in its directory but outside the one root the client gave (%s), was served: root boundaries are not respected", p.tool, p.arg, outer, sub)
		} else {
			e.Pass(spec.FilesRootsRespect, "%s asks for roots; %s, outside the root given (%s), was refused (%s)", p.tool, outer, sub, o.Describe())
		}
		if canary == "" {
			e.Inconclusive(spec.FilesRootsWiden, "the sandbox has no canary beside the workspace")
			return
		}
		o, _ = withRoots(e, p, canary, []string{parent})
		if _, bad := o.Violated(spec.FilesRootsWiden); !bad && o.Answered() {
			e.Pass(spec.FilesRootsWiden, "%s, given the root %s (outside its directory), did not serve %s (%s)", p.tool, parent, canary, o.Describe())
		} else if !o.Answered() {
			e.Inconclusive(spec.FilesRootsWiden, "%s: no answer (%s)", p.tool, o.Describe())
		}
		return
	}
	probe.SkipAll(e, rootsIDs, "the server asks the client for no roots (roots are deprecated: new implementations SHOULD NOT adopt them)")
}

func describe(ps []param) string {
	var out []string
	for _, p := range ps {
		out = append(out, p.tool+"."+p.arg)
	}
	return strings.Join(out, ", ")
}

// existenceOracle asks each path argument for an outside file that
// exists and for one beside it that does not; the answers, with the path
// each names taken out, must be the same.
func existenceOracle(e *check.Env, sb check.Sandbox, ps []param) {
	var aim string
	for _, a := range sb.Attacks() {
		if a.Family == "absolute" && !a.Symlink {
			aim = a.Aim
			break
		}
	}
	if aim == "" {
		e.Inconclusive(spec.FilesExistenceOracle, "the sandbox has no canary to ask for")
		return
	}
	missing := aim[:strings.LastIndex(aim, "/")+1] + "missing-" + e.RandHex(5)
	// The answers' ids differ: they are taken out too.
	idRE := regexp.MustCompile(`"id":\s*[^,}]+`)
	norm := func(o check.Observation, path string) string {
		return idRE.ReplaceAllString(fmt.Sprintf("%d %s", o.Ex.Status, strings.ReplaceAll(answer(o), path, "<PATH>")), `"id":_`)
	}
	var alike []string
	for _, p := range ps {
		oa, om := call(e, p, aim), call(e, p, missing)
		if !oa.Answered() || !om.Answered() {
			e.Inconclusive(spec.FilesExistenceOracle, "%s: no answer: %s; %s", p.tool, oa.Describe(), om.Describe())
			return
		}
		if a, m := norm(oa, aim), norm(om, missing); a != m {
			e.Violation(spec.FilesExistenceOracle, "%s %s=%s (a file that exists outside the workspace) was answered %s; %s (nothing there): %s: the answers tell them apart",
				p.tool, p.arg, aim, probe.Truncate(a), missing, probe.Truncate(m))
			return
		}
		alike = append(alike, p.tool+"."+p.arg)
	}
	e.Pass(spec.FilesExistenceOracle, "%s answered %s (exists, outside) and %s (missing, outside) alike", strings.Join(alike, ", "), aim, missing)
}

// checkResources: through each file:// resource template, a read inside
// the workspace must be served first; then every escape attempt for
// resources is read, the model judging each answer.
func checkResources(e *check.Env) {
	sb := e.Opts.Sandbox
	var file []string
	for _, u := range slices.Sorted(maps.Keys(e.Decl.Templates)) {
		if strings.HasPrefix(strings.ToLower(e.Decl.Templates[u].URITemplate), "file:") {
			file = append(file, u)
		}
	}
	if len(file) == 0 {
		probe.SkipAll(e, resourceIDs, "the server serves no file:// resource template")
		return
	}
	if err := sb.Materialize(); err != nil {
		probe.InconclusiveAll(e, resourceIDs, "the sandbox: %v", err)
		return
	}
	read := func(uri string) check.Observation { return send(e, "resources/read", map[string]any{"uri": uri}) }
	ok := false
	reads := sb.Reads()
	for _, path := range slices.Sorted(maps.Keys(reads)) {
		if !strings.HasPrefix(path, "/") {
			continue
		}
		if o := read("file://" + path); o.Accepted() && strings.Contains(answer(o), reads[path]) {
			ok = true
			break
		}
	}
	if !ok {
		probe.InconclusiveAll(e, resourceIDs, "no file:// read inside the workspace was served (templates %s): the server was not started on the workspace", strings.Join(file, ", "))
		return
	}
	t := newTally()
	for _, a := range sb.ResourceAttacks() {
		if e.Ctx.Err() != nil {
			break
		}
		t.add(a, read(a.Value), spec.FilesResourceTraversal, spec.FilesSymlinkEscape)
	}
	t.verdict(e, spec.FilesResourceTraversal, "resources/read of file:// URIs")
}
