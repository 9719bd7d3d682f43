package check

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/big"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mcpverify/mcpverify/model"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// State handles (security_best_practices.mdx, "State Handle Hijacking";
// server/tools.mdx, "Stateful Tools"; SEP-2567).
//
// The protocol has no handle concept, so handles are found:
//
//   - from --hints (tools that mint a handle at a result path, tools that
//     take or release it at an argument path);
//   - by detection: tools whose input schema has a property named like a
//     handle (id, *_id, *Id, handle, token, session) are the candidate
//     users; tools that declare such a property in their outputSchema, or
//     whose names say they create something, are called, and every
//     handle-like value of their results (structuredContent members named
//     like a handle; id-like words of the text when there is no
//     structured handle) is passed to each candidate user. A pair is
//     confirmed when the call with the minted value is served and the same
//     call with a value of the same shape that was never minted is
//     refused: the tool looks the handle up. A confirmed user whose name
//     says it deletes and whose only required argument is the handle
//     releases it.
//
// For each kind of handle (its flows on one instance: a deployment need
// not share handles between instances):
//
//   - a sample of handles minted by the same call is analysed: repeats,
//     a counter (the variable part a number that grows by small steps),
//     a clock (a Unix time or UUIDv1/ObjectId timestamp in it)
//     (STATE-HANDLE-RANDOM); the entropy bound from the variable
//     positions and the alphabet, below 128 bits (STATE-HANDLE-ENTROPY,
//     hardening; a UUIDv4, SEP-2567's own example, passes);
//   - with a second identity (Options.AltHeader) and a server that refuses
//     invalid credentials: the owner's call with the handle is served
//     (baseline), the second principal's same call must be refused
//     (STATE-HANDLE-PRINCIPAL), and its refusal must look like the refusal
//     of a handle that never existed (STATE-HANDLE-ORACLE, hardening:
//     status, error code, isError and message, the handle masked);
//   - the same call without any credentials must be refused
//     (STATE-HANDLE-NOT-AUTH, MUST NOT, where the server authenticates).
//     Decision: a call authenticated as another principal that reaches the
//     owner's state breaks STATE-HANDLE-PRINCIPAL only, not
//     STATE-HANDLE-NOT-AUTH: the server did authenticate that caller, and
//     whether it may share the state is a policy the checker cannot see
//     (the catalog's reading); only a call with no credentials at all that
//     reaches it shows possession alone acting as authentication;
//   - after the owner released a handle through the server's delete tool,
//     its use must be refused (STATE-HANDLE-RELEASED, hardening).
//
// Every exchange of these flows is also judged by a model configured with
// the handles found and the principals known (the run's model knows only
// hinted handles: it is configured before detection), and its findings are
// reported too.

func init() {
	register(&Check{
		Name: "state/handles",
		IDs: []spec.ID{spec.StateHandleRandom, spec.StateHandleEntropy, spec.StateHandlePrincipal,
			spec.StateHandleNotAuth, spec.StateHandleOracle, spec.StateHandleReleased},
		Needs: func(e *Env) string {
			if e.Server.Capabilities.Tools == nil {
				return "the server declares no tools (handles are minted and taken by tools)"
			}
			return ""
		},
		Run: checkHandles,
	})
}

// handleName matches property names of handles.
var handleName = regexp.MustCompile(`(?i)(^id$|_id$|[a-z0-9]Id$|ID$|handle|token|session)`)

// createLike matches names of tools that create something.
var createLike = regexp.MustCompile(`(?i)(create|new|open|start|begin|init|make|mint|register|login|session|checkout|reserve|allocate)`)

// deleteLike matches names of tools that release something.
var deleteLike = regexp.MustCompile(`(?i)(delete|remove|destroy|close|release|drop|discard|revoke|dispose|terminate|end_|_end$)`)

// handleTool is a tool's role for one kind of handle.
type handleTool struct {
	tool   string
	path   []string // in the result (mint), or in the arguments
	params map[string]any
}

// handleKind is one kind of handle: who mints it, who takes it, who
// releases it.
type handleKind struct {
	kind    string
	mint    handleTool
	uses    []handleTool
	deletes []handleTool
	source  string
}

// handleSurvey is what handle detection found.
type handleSurvey struct {
	kinds []*handleKind
	notes []string
}

// modelTools returns the kind's tools in the model's terms (structured
// handles only: the model cannot read a handle out of text).
func (k *handleKind) modelTools() []model.HandleTool {
	if len(k.mint.path) == 0 {
		return nil
	}
	out := []model.HandleTool{{Tool: k.mint.tool, Role: model.HandleMint, Path: k.mint.path, Kind: k.kind}}
	for _, u := range k.uses {
		out = append(out, model.HandleTool{Tool: u.tool, Role: model.HandleUse, Path: u.path, Kind: k.kind})
	}
	for _, d := range k.deletes {
		out = append(out, model.HandleTool{Tool: d.tool, Role: model.HandleDelete, Path: d.path, Kind: k.kind})
	}
	return out
}

// handleFlow sends the requests of the handle checks, on one instance,
// and judges each with a private model that knows the handles found.
type handleFlow struct {
	e     *Env
	st    model.State
	found map[spec.ID]bool
	exs   []*wire.Exchange // every exchange of the flow
}

func newHandleFlow(e *Env, kinds []*handleKind) *handleFlow {
	cfg := model.Config{Principal: e.PrincipalOf}
	if e.Opts.Hints != nil {
		cfg.HandleTTLMax = time.Duration(e.Opts.Hints.HandleTTLMax)
	}
	for _, k := range kinds {
		cfg.Handles = append(cfg.Handles, k.modelTools()...)
	}
	return &handleFlow{e: e, st: model.NewState(cfg), found: map[spec.ID]bool{}}
}

// call calls tool as client c with args, on instance 0.
func (f *handleFlow) call(c Client, tool string, args map[string]any) Observation {
	e := f.e
	r := e.RequestAs(c, "tools/call", withMeta(c, map[string]any{"name": tool, "arguments": args}, nil))
	r.Timeout = callTimeout
	o := e.SendTo(0, r)
	f.exs = append(f.exs, o.Ex)
	var vs []model.Violation
	f.st, vs, _ = f.st.Judge(o.Ex)
	for _, v := range vs {
		if !strings.HasPrefix(string(v.ID), "STATE-HANDLE-") {
			continue
		}
		if _, dup := o.Violated(v.ID); dup {
			continue
		}
		f.found[v.ID] = true
		e.ViolationShown(f.exs, v.ID, "the model, told the handles found: got %s; want %s", v.Got, v.Want)
	}
	return o
}

// served: a complete tool result without isError.
func served(o Observation) bool { return retryOutcome(o).kind == outComplete }

// withHandle returns args with the handle v at path.
func withHandle(args map[string]any, path []string, v any) map[string]any {
	out := cloneParams(args)
	if out == nil {
		out = map[string]any{}
	}
	m := out
	for i, k := range path {
		if i == len(path)-1 {
			m[k] = v
			break
		}
		next, _ := m[k].(map[string]any)
		if next == nil {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	return out
}

// handleValue is a handle as minted: the string, and the JSON value to
// pass back (a string, or a number's JSON text).
type handleValue struct {
	text string
	arg  any
}

// handlesAt returns the handle at path in a result (structured), or, with
// no path, the id-like words of its text.
func handlesAt(o Observation, path []string) []handleValue {
	var raw wire.Value
	for _, r := range o.Ex.Replies {
		if m, ok := r.Msg.(*wire.JSONRPCResultResponse); ok {
			raw = m.Result
		}
	}
	var v any
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	if d.Decode(&v) != nil {
		return nil
	}
	if len(path) > 0 {
		for _, k := range path {
			switch x := v.(type) {
			case map[string]any:
				v = x[k]
			case []any:
				i, err := strconv.Atoi(k)
				if err != nil || i < 0 || i >= len(x) {
					return nil
				}
				v = x[i]
			default:
				return nil
			}
		}
		switch x := v.(type) {
		case string:
			if x != "" {
				return []handleValue{{x, x}}
			}
		case json.Number:
			return []handleValue{{x.String(), x}}
		}
		return nil
	}
	var out []handleValue
	if r, ok := o.Result().(*wire.CallToolResult); ok {
		for _, b := range r.Content {
			if t, ok := b.(*wire.TextContent); ok {
				for _, w := range idWord.FindAllString(t.Text, 8) {
					out = append(out, handleValue{w, w})
				}
			}
		}
	}
	return out
}

// idWord matches id-like words in a text: letters and digits with an
// underscore, dash or digit in them, 6 to 128 characters.
var idWord = regexp.MustCompile(`\b[A-Za-z0-9][A-Za-z0-9_\-]*[_\-0-9][A-Za-z0-9_\-]*\b`)

// structuredHandles returns the members of structuredContent named like
// handles (two levels deep), with their paths from the result.
func structuredHandles(o Observation) [][]string {
	r, ok := o.Result().(*wire.CallToolResult)
	if !ok || len(r.StructuredContent) == 0 {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(r.StructuredContent, &m) != nil {
		return nil
	}
	var out [][]string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		switch x := m[k].(type) {
		case string, float64:
			if handleName.MatchString(k) {
				out = append(out, []string{"structuredContent", k})
			}
		case map[string]any:
			for _, k2 := range slices.Sorted(maps.Keys(x)) {
				if _, isObj := x[k2].(map[string]any); !isObj && handleName.MatchString(k2) {
					out = append(out, []string{"structuredContent", k, k2})
				}
			}
		}
	}
	return out
}

// sameShape returns a value of v's shape (the same length and character
// classes, the same prefix up to its last separator) that was surely never
// minted.
func sameShape(e *Env, v string) string {
	keep := strings.LastIndexAny(v, "_-:.") + 1
	if keep >= len(v) || keep > len(v)/2 {
		keep = 0
	}
	b := []byte(v)
	for i := keep; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			b[i] = byte('0' + e.Rand().Intn(10))
		case c >= 'a' && c <= 'z':
			b[i] = byte('a' + e.Rand().Intn(26))
		case c >= 'A' && c <= 'Z':
			b[i] = byte('A' + e.Rand().Intn(26))
		}
	}
	if string(b) == v && len(b) > 0 {
		b[len(b)-1] = nextInClass(b[len(b)-1])
	}
	return string(b)
}

// handleSurveyKey keys the run's handle survey (check.Shared).
type handleSurveyKey struct{}

// surveyHandles finds the kinds of handles once per run.
func surveyHandles(e *Env) *handleSurvey {
	return Shared(e, handleSurveyKey{}, func() *handleSurvey { return detectHandles(e) })
}

func detectHandles(e *Env) *handleSurvey {
	hs := &handleSurvey{}
	c := e.Client
	flowless := func(tool string, args map[string]any) Observation {
		r := e.RequestAs(c, "tools/call", withMeta(c, map[string]any{"name": tool, "arguments": args}, nil))
		r.Timeout = callTimeout
		return e.SendTo(0, r)
	}
	argsOf := func(tool string) map[string]any {
		a, _ := toolCallParams(e, tool)["arguments"].(map[string]any)
		return a
	}
	// Hints first.
	hinted := map[string]bool{}
	if e.Opts.Hints != nil {
		for i, h := range e.Opts.Hints.Handles {
			k := &handleKind{kind: h.Kind, source: "--hints"}
			if k.kind == "" {
				k.kind = fmt.Sprintf("hinted-%d", i+1)
			}
			for _, t := range slices.Sorted(maps.Keys(h.Mint)) {
				k.mint = handleTool{tool: t, path: splitPath(h.Mint[t]), params: argsOf(t)}
				break
			}
			for _, t := range slices.Sorted(maps.Keys(h.Use)) {
				k.uses = append(k.uses, handleTool{tool: t, path: splitPath(h.Use[t]), params: argsOf(t)})
			}
			for _, t := range slices.Sorted(maps.Keys(h.Delete)) {
				k.deletes = append(k.deletes, handleTool{tool: t, path: splitPath(h.Delete[t]), params: argsOf(t)})
			}
			if e.Decl.Tools[k.mint.tool] == nil {
				hs.notes = append(hs.notes, fmt.Sprintf("hinted tool %q is not listed", k.mint.tool))
				continue
			}
			for t := range h.Mint {
				hinted[t] = true
			}
			hs.kinds = append(hs.kinds, k)
		}
	}
	// Candidate users: a handle-like top-level property.
	type user struct {
		tool, prop string
		required   bool
		nRequired  int
	}
	var users []user
	for _, name := range slices.Sorted(maps.Keys(e.Decl.Tools)) {
		td := e.Decl.Tools[name]
		props, _ := schemaProps(td.Schema)
		req := map[string]bool{}
		if m, ok := td.Schema.(map[string]any); ok {
			if r, ok := m["required"].([]any); ok {
				for _, x := range r {
					if s, ok := x.(string); ok {
						req[s] = true
					}
				}
			}
		}
		for _, p := range slices.Sorted(maps.Keys(props)) {
			ps, _ := props[p].(map[string]any)
			if t, _ := ps["type"].(string); t != "" && t != "string" && t != "integer" {
				continue
			}
			if handleName.MatchString(p) {
				users = append(users, user{name, p, req[p], len(req)})
			}
		}
	}
	if len(users) == 0 {
		if len(hs.kinds) == 0 {
			hs.notes = append(hs.notes, "no tool takes an argument named like a handle (id, *_id, handle, token, session)")
		}
		return hs
	}
	// Users that release the handle last: a release ends the handle the
	// others are tried with.
	sort.SliceStable(users, func(i, j int) bool {
		return !deleteLike.MatchString(users[i].tool) && deleteLike.MatchString(users[j].tool)
	})
	isUser := map[string]bool{}
	for _, u := range users {
		if u.required {
			isUser[u.tool] = true
		}
	}
	// Candidate minters.
	var minters []string
	for _, name := range slices.Sorted(maps.Keys(e.Decl.Tools)) {
		if isUser[name] || hinted[name] {
			continue
		}
		td := e.Decl.Tools[name]
		declares := false
		var out map[string]any
		if json.Unmarshal(td.Tool.OutputSchema, &out) == nil {
			if props, ok := out["properties"].(map[string]any); ok {
				for p := range props {
					declares = declares || handleName.MatchString(p)
				}
			}
		}
		if declares || createLike.MatchString(name) {
			minters = append(minters, name)
		}
	}
	calls := 0
	for _, m := range minters {
		if len(hs.kinds) >= 2 || calls > 40 || e.Ctx.Err() != nil || e.TimeLeft() < 6*time.Second {
			break
		}
		margs := argsOf(m)
		o := flowless(m, margs)
		calls++
		if !served(o) {
			continue
		}
		paths := structuredHandles(o)
		if len(paths) == 0 {
			paths = [][]string{nil}
		}
		for _, p := range paths {
			vals := handlesAt(o, p)
			if len(vals) == 0 {
				continue
			}
			k := &handleKind{kind: m, mint: handleTool{tool: m, path: p, params: margs}}
			where := "its text"
			if p != nil {
				where = strings.Join(p, ".")
			}
			k.source = fmt.Sprintf("detected: %s mints a handle at %s", m, where)
			for _, u := range users {
				if u.tool == m || calls > 40 {
					continue
				}
				if p != nil && !strings.EqualFold(p[len(p)-1], u.prop) && !(len(users) == 1) {
					continue
				}
				for _, v := range vals[:min(len(vals), 3)] {
					args := withHandle(argsOf(u.tool), []string{u.prop}, v.arg)
					ok := served(flowless(u.tool, args))
					calls++
					if !ok {
						continue
					}
					fake := withHandle(args, []string{u.prop}, sameShape(e, v.text))
					calls++
					if oc := retryOutcome(flowless(u.tool, fake)); !oc.kind.refused() {
						continue
					}
					ht := handleTool{tool: u.tool, path: []string{u.prop}, params: args}
					if deleteLike.MatchString(u.tool) && u.nRequired <= 1 {
						k.deletes = append(k.deletes, ht)
					} else {
						k.uses = append(k.uses, ht)
					}
					if p == nil {
						k.mint.path = nil
						k.source = fmt.Sprintf("detected: %s mints %q in its text", m, v.text)
					}
					break
				}
			}
			if len(k.uses) > 0 {
				hs.kinds = append(hs.kinds, k)
				break
			}
		}
	}
	if len(hs.kinds) == 0 {
		hs.notes = append(hs.notes, fmt.Sprintf("no tool's result was taken by a tool with a handle-like argument (%d candidate minters, %d candidate users)", len(minters), len(users)))
	}
	return hs
}

// handleAnalysis is what a sample of handles shows.
type handleAnalysis struct {
	n, distinct         int
	collisions          []string
	prefix, suffix      string
	varying             int
	alphabet            int
	bits                float64
	uuidVersion         int // all UUIDs of this version; 0 none
	sequential, clocked string
	restBits            float64 // bits outside a clock value
}

var uuidRe = regexp.MustCompile(`(?i)^[0-9a-f]{8}-[0-9a-f]{4}-([0-9a-f])[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// analyzeHandles estimates the randomness of handles minted in order.
func analyzeHandles(hs []string, now time.Time) handleAnalysis {
	a := handleAnalysis{n: len(hs)}
	seen := map[string]bool{}
	var uniq []string
	for _, h := range hs {
		if seen[h] {
			a.collisions = append(a.collisions, h)
			continue
		}
		seen[h] = true
		uniq = append(uniq, h)
	}
	a.distinct = len(uniq)
	if len(uniq) < 2 {
		return a
	}
	// UUIDs.
	ver := -1
	for _, h := range uniq {
		m := uuidRe.FindStringSubmatch(h)
		if m == nil {
			ver = -1
			break
		}
		v, _ := strconv.ParseInt(m[1], 16, 8)
		if ver != -1 && int(v) != ver {
			ver = -1
			break
		}
		ver = int(v)
	}
	if ver > 0 {
		a.uuidVersion = ver
	}
	// Common prefix and suffix; the variable parts.
	a.prefix, a.suffix = uniq[0], uniq[0]
	for _, h := range uniq[1:] {
		for !strings.HasPrefix(h, a.prefix) {
			a.prefix = a.prefix[:len(a.prefix)-1]
		}
		for !strings.HasSuffix(h, a.suffix) {
			a.suffix = a.suffix[1:]
		}
	}
	vars := make([]string, len(hs))
	minLen := math.MaxInt
	for i, h := range hs {
		v := strings.TrimPrefix(h, a.prefix)
		if len(v) >= len(a.suffix) {
			v = strings.TrimSuffix(v, a.suffix)
		}
		vars[i] = v
		minLen = min(minLen, len(v))
	}
	// Alphabet of the variable parts.
	var lower, upper, digit, hexLower, hexUpper bool
	hexLower, hexUpper = true, true
	other := map[byte]bool{}
	for _, v := range vars {
		for i := 0; i < len(v); i++ {
			c := v[i]
			switch {
			case c >= 'a' && c <= 'z':
				lower = true
				hexLower = hexLower && c <= 'f'
				hexUpper = false
			case c >= 'A' && c <= 'Z':
				upper = true
				hexUpper = hexUpper && c <= 'F'
				hexLower = false
			case c >= '0' && c <= '9':
				digit = true
			default:
				other[c] = true
			}
		}
	}
	switch {
	case !lower && !upper && digit && len(other) == 0:
		a.alphabet = 10
	case (hexLower && lower || hexUpper && upper) && !(lower && upper) && len(other) == 0:
		a.alphabet = 16
	default:
		for _, b := range []bool{lower, upper} {
			if b {
				a.alphabet += 26
			}
		}
		if digit {
			a.alphabet += 10
		}
		a.alphabet += len(other)
	}
	// Varying positions (constant positions carry nothing).
	for i := 0; i < minLen; i++ {
		c := vars[0][i]
		for _, v := range vars[1:] {
			if v[i] != c {
				a.varying++
				break
			}
		}
	}
	if a.alphabet > 1 {
		a.bits = float64(a.varying) * math.Log2(float64(a.alphabet))
	}
	a.restBits = a.bits
	// A counter: every variable part a number, changing by small steps in
	// one direction.
	if n, ok := numbers(vars); ok {
		up, down := true, true
		var steps []string
		for i := 1; i < len(n); i++ {
			d := new(big.Int).Sub(n[i], n[i-1])
			up = up && d.Sign() > 0 && d.Cmp(big.NewInt(1<<16)) <= 0
			down = down && d.Sign() < 0 && d.CmpAbs(big.NewInt(1<<16)) <= 0
			if len(steps) < 4 {
				steps = append(steps, d.String())
			}
		}
		if up || down {
			a.sequential = fmt.Sprintf("the variable part is a counter (%s, %s, ...; steps %s)", hs[0], hs[1], strings.Join(steps, ", "))
		}
	}
	// A clock: a Unix time in seconds, milliseconds, microseconds or
	// nanoseconds within two days of now; a UUIDv1 or ObjectId timestamp.
	if a.uuidVersion == 1 {
		a.clocked = "the handles are UUIDv1 (a timestamp and the host's node id)"
		a.restBits = 14
	}
	if c, start, end := clockIn(hs, now); c != "" {
		a.clocked = c
		// The clock's characters within the variable part carry no
		// entropy.
		lo, hi := max(start, len(a.prefix)), min(end, len(hs[0])-len(a.suffix))
		if hi > lo && a.alphabet > 1 {
			a.restBits = math.Max(0, a.bits-float64(hi-lo)*math.Log2(float64(a.alphabet)))
		}
	}
	return a
}

// numbers parses every variable part as a decimal or hex number.
func numbers(vars []string) ([]*big.Int, bool) {
	for _, base := range []int{10, 16} {
		out := make([]*big.Int, 0, len(vars))
		for _, v := range vars {
			if v == "" || len(v) > 40 {
				return nil, false
			}
			n, ok := new(big.Int).SetString(v, base)
			if !ok {
				break
			}
			out = append(out, n)
		}
		if len(out) == len(vars) {
			return out, true
		}
	}
	return nil, false
}

var (
	digitRun = regexp.MustCompile(`\d{10,19}`)
	hexRun   = regexp.MustCompile(`[0-9a-f]{24}|[0-9A-F]{24}`)
)

// clockIn looks for a clock value in every handle: a Unix time in seconds,
// milliseconds, microseconds or nanoseconds in a run of digits, or the
// leading 8 hex digits of an ObjectId, within two days of now. It returns
// what it found and where it is in the first handle.
func clockIn(hs []string, now time.Time) (what string, start, end int) {
	near := func(t time.Time) bool { d := t.Sub(now); return d < 48*time.Hour && d > -48*time.Hour }
	all := func(f func(h string) (string, int, int, bool)) (string, int, int) {
		for i, h := range hs {
			w, s, e, ok := f(h)
			if !ok {
				return "", 0, 0
			}
			if i == 0 {
				what, start, end = w, s, e
			}
		}
		return what, start, end
	}
	if w, s, e := all(func(h string) (string, int, int, bool) {
		for _, loc := range digitRun.FindAllStringIndex(h, -1) {
			r := h[loc[0]:loc[1]]
			x, err := strconv.ParseInt(r, 10, 64)
			if err != nil {
				continue
			}
			for _, u := range []struct {
				name string
				t    time.Time
			}{{"seconds", time.Unix(x, 0)}, {"milliseconds", time.UnixMilli(x)}, {"microseconds", time.UnixMicro(x)}, {"nanoseconds", time.Unix(0, x)}} {
				if near(u.t) {
					return fmt.Sprintf("the handles hold the current Unix time in %s (%s)", u.name, r), loc[0], loc[1], true
				}
			}
		}
		return "", 0, 0, false
	}); w != "" {
		return w, s, e
	}
	return all(func(h string) (string, int, int, bool) {
		loc := hexRun.FindStringIndex(h)
		if loc == nil {
			return "", 0, 0, false
		}
		x, err := strconv.ParseInt(h[loc[0]:loc[0]+8], 16, 64)
		if err != nil || !near(time.Unix(x, 0)) {
			return "", 0, 0, false
		}
		return fmt.Sprintf("the handles start with the current Unix time in hex (%s, as an ObjectId)", h[loc[0]:loc[0]+8]), loc[0], loc[0] + 8, true
	})
}

// handleSamples is how many handles are minted for the analysis.
const handleSamples = 8

// checkHandles runs the handle checks on each kind of handle found.
func checkHandles(e *Env) {
	// Who is who before any handle is minted: the models record the
	// principal of each minting.
	e.ProbeAuth()
	hs := surveyHandles(e)
	ids := []spec.ID{spec.StateHandleRandom, spec.StateHandleEntropy, spec.StateHandlePrincipal, spec.StateHandleNotAuth, spec.StateHandleOracle, spec.StateHandleReleased}
	if len(hs.kinds) == 0 {
		for _, id := range ids {
			e.Skip(id, "no state handle found: %s; name them with --hints", strings.Join(hs.notes, "; "))
		}
		return
	}
	f := newHandleFlow(e, hs.kinds)
	for _, k := range hs.kinds {
		if e.Ctx.Err() != nil || e.TimeLeft() < 2*time.Second {
			break
		}
		checkHandleKind(e, f, k)
	}
}

// refusalShape is a refusal with the handles masked: what a prober
// compares.
func refusalShape(o Observation, handles ...string) string {
	oc := retryOutcome(o)
	var parts []string
	if o.Ex.Transport == wire.HTTP {
		parts = append(parts, fmt.Sprintf("HTTP %d", o.Ex.Status))
	}
	switch oc.kind {
	case outError:
		for _, r := range o.Ex.Replies {
			if m, ok := r.Msg.(*wire.JSONRPCErrorResponse); ok {
				parts = append(parts, fmt.Sprintf("error %d %s %s", m.Error.Code, m.Error.Message, m.Error.Data))
			}
		}
	case outToolError:
		parts = append(parts, "tool error "+resultSig(o))
	default:
		parts = append(parts, oc.desc)
	}
	s := strings.Join(parts, ", ")
	for _, h := range handles {
		if h != "" {
			s = strings.ReplaceAll(s, h, "<handle>")
			if q, err := json.Marshal(h); err == nil {
				s = strings.ReplaceAll(s, strings.Trim(string(q), `"`), "<handle>")
			}
		}
	}
	return s
}

func checkHandleKind(e *Env, f *handleFlow, k *handleKind) {
	owner := e.Client
	label := fmt.Sprintf("handles of %s (%s)", k.mint.tool, k.source)
	// A sample.
	var sample []handleValue
	var minted []*wire.Exchange // the exchange that minted each of sample
	for i := 0; i < handleSamples+2 && e.Ctx.Err() == nil; i++ {
		o := f.call(owner, k.mint.tool, k.mint.params)
		if !served(o) {
			continue
		}
		if vs := handlesAt(o, k.mint.path); len(vs) > 0 {
			sample = append(sample, vs[0])
			minted = append(minted, o.Ex)
		}
	}
	texts := make([]string, len(sample))
	for i, v := range sample {
		texts[i] = v.text
	}
	judgeRandomness(e, label, texts, minted)
	if len(sample) < 2 {
		for _, id := range []spec.ID{spec.StateHandlePrincipal, spec.StateHandleNotAuth, spec.StateHandleOracle, spec.StateHandleReleased} {
			e.Inconclusive(id, "%s: fewer than two handles could be minted", label)
		}
		return
	}
	use := k.uses[0]
	for _, u := range k.uses {
		if td := e.Decl.Tools[u.tool]; td != nil && td.Tool.Annotations != nil && td.Tool.Annotations.ReadOnlyHint != nil && *td.Tool.Annotations.ReadOnlyHint {
			use = u
			break
		}
	}
	h0 := sample[0]
	ownerUse := f.call(owner, use.tool, withHandle(use.params, use.path, h0.arg))
	if !served(ownerUse) {
		for _, id := range []spec.ID{spec.StateHandlePrincipal, spec.StateHandleNotAuth, spec.StateHandleOracle, spec.StateHandleReleased} {
			e.Inconclusive(id, "%s: the owner's own %s with its handle was not served (%s)", label, use.tool, ownerUse.Describe())
		}
		return
	}
	// Another principal, and the oracle.
	why, skip := e.PrincipalsUsable()
	switch {
	case why != "" && skip:
		e.Skip(spec.StateHandlePrincipal, "%s", why)
		e.Skip(spec.StateHandleOracle, "%s", why)
	case why != "":
		e.Inconclusive(spec.StateHandlePrincipal, "%s", why)
		e.Inconclusive(spec.StateHandleOracle, "%s", why)
	default:
		judgeHandlePrincipal(e, f, k, label, h0, []*wire.Exchange{minted[0], ownerUse.Ex})
	}
	// No credentials at all.
	a := e.ProbeAuth()
	if !a.Authenticates {
		e.Skip(spec.StateHandleNotAuth, "%s; without authentication a handle is necessarily a bearer token", a.Why)
	} else {
		anon := e.AsAnonymous(owner)
		o := f.call(anon, use.tool, withHandle(use.params, use.path, h0.arg))
		switch oc := retryOutcome(o); {
		case oc.kind == outComplete:
			shown := []*wire.Exchange{minted[0], ownerUse.Ex, o.Ex}
			if !f.found[spec.StateHandleNotAuth] {
				e.ViolationShown(shown, spec.StateHandleNotAuth, "%s: %s with the owner's handle %.40q and no credentials at all was served (%s); possession of a handle must not act as authentication", label, use.tool, h0.text, oc.desc)
			}
			if !f.found[spec.StateHandlePrincipal] {
				e.ViolationShown(shown, spec.StateHandlePrincipal, "%s: %s with the owner's handle and no credentials was served", label, use.tool)
			}
		case oc.kind.refused():
			e.Pass(spec.StateHandleNotAuth, "%s: %s with the owner's handle and no credentials was refused (%s), though the owner's same call was served", label, use.tool, oc.desc)
		default:
			e.Inconclusive(spec.StateHandleNotAuth, "%s: the call without credentials was %s", label, oc.desc)
		}
	}
	// Released.
	if len(k.deletes) == 0 {
		e.Skip(spec.StateHandleReleased, "%s: no tool releases the handle (name one with --hints)", label)
	} else {
		del := k.deletes[0]
		h1 := sample[1]
		before := f.call(owner, use.tool, withHandle(use.params, use.path, h1.arg))
		d := f.call(owner, del.tool, withHandle(del.params, del.path, h1.arg))
		switch {
		case !served(before) || !served(d):
			e.Inconclusive(spec.StateHandleReleased, "%s: the owner's use (%s) or release (%s) of a handle was not served", label, before.Describe(), d.Describe())
		default:
			after := f.call(owner, use.tool, withHandle(use.params, use.path, h1.arg))
			switch oc := retryOutcome(after); {
			case oc.kind == outComplete:
				if !f.found[spec.StateHandleReleased] {
					e.ViolationShown([]*wire.Exchange{minted[1], before.Ex, d.Ex, after.Ex}, spec.StateHandleReleased, "%s: %s with handle %.40q after %s released it was served (%s)", label, use.tool, h1.text, del.tool, oc.desc)
				}
			case oc.kind.refused():
				e.Pass(spec.StateHandleReleased, "%s: %s with a handle %s released was refused (%s); it was served before the release", label, use.tool, del.tool, oc.desc)
			default:
				e.Inconclusive(spec.StateHandleReleased, "%s: the use after the release was %s", label, oc.desc)
			}
		}
		// Release the rest of the sample.
		for _, h := range sample[2:] {
			if e.TimeLeft() < 2*time.Second {
				break
			}
			f.call(owner, del.tool, withHandle(del.params, del.path, h.arg))
		}
	}
}

// judgeHandlePrincipal: the second principal's use of the owner's handle,
// and its refusal against the refusal of a handle never minted.
// owned are the exchanges that minted h0 and served its owner.
func judgeHandlePrincipal(e *Env, f *handleFlow, k *handleKind, label string, h0 handleValue, owned []*wire.Exchange) {
	alt := e.AsAlt(e.Client)
	// The second principal is served with a handle of its own.
	mo := f.call(alt, k.mint.tool, k.mint.params)
	var own []handleValue
	if served(mo) {
		own = handlesAt(mo, k.mint.path)
	}
	if len(own) == 0 {
		e.Inconclusive(spec.StateHandlePrincipal, "%s: the second principal could not mint a handle of its own (%s)", label, mo.Describe())
		e.Inconclusive(spec.StateHandleOracle, "%s: the second principal could not mint a handle of its own", label)
		return
	}
	var refusedOn []string
	var foreign Observation
	var foreignTool handleTool
	for _, u := range k.uses {
		ou := f.call(alt, u.tool, withHandle(u.params, u.path, own[0].arg))
		if !served(ou) {
			continue // the tool does not serve the second principal's own handle either
		}
		o := f.call(alt, u.tool, withHandle(u.params, u.path, h0.arg))
		switch oc := retryOutcome(o); {
		case oc.kind == outComplete:
			if !f.found[spec.StateHandlePrincipal] {
				e.ViolationShown(append(append([]*wire.Exchange(nil), owned...), mo.Ex, ou.Ex, o.Ex), spec.StateHandlePrincipal, "%s: the second principal's %s with the first principal's handle %.40q was served (%s); a handle must be bound to the principal it was minted for", label, u.tool, h0.text, oc.desc)
			}
			f.found[spec.StateHandlePrincipal] = true
		case oc.kind.refused():
			refusedOn = append(refusedOn, u.tool)
			if foreign.Ex == nil {
				foreign, foreignTool = o, u
			}
		}
	}
	if f.found[spec.StateHandlePrincipal] {
		e.Skip(spec.StateHandleOracle, "%s: the second principal was served with the first's handle; there is no refusal to compare", label)
		return
	}
	if len(refusedOn) == 0 {
		e.Inconclusive(spec.StateHandlePrincipal, "%s: no tool that takes the handle served the second principal's own handle", label)
		e.Inconclusive(spec.StateHandleOracle, "%s: no refusal to compare", label)
		return
	}
	e.Pass(spec.StateHandlePrincipal, "%s: the second principal's calls with the first principal's handle were refused (%s), though the same calls with its own handle were served", label, strings.Join(refusedOn, ", "))
	fake := sameShape(e, h0.text)
	var fakeArg any = fake
	if _, isNum := h0.arg.(json.Number); isNum {
		fakeArg = json.Number(fake)
	}
	none := f.call(alt, foreignTool.tool, withHandle(foreignTool.params, foreignTool.path, fakeArg))
	a, b := refusalShape(foreign, h0.text), refusalShape(none, fake)
	switch {
	case !retryOutcome(none).kind.refused():
		e.Inconclusive(spec.StateHandleOracle, "%s: a handle never minted (%.40q) was not refused (%s)", label, fake, none.Describe())
	case a != b:
		e.ViolationShown(append(append([]*wire.Exchange(nil), owned...), foreign.Ex, none.Ex), spec.StateHandleOracle, "%s: %s refuses another principal's handle and a handle that does not exist differently: %s versus %s; the difference tells a prober which handles exist", label, foreignTool.tool, truncateText(a, 200), truncateText(b, 200))
	default:
		e.Pass(spec.StateHandleOracle, "%s: %s refuses another principal's handle exactly as a handle that never existed (%s)", label, foreignTool.tool, truncateText(a, 160))
	}
}

// judgeRandomness decides STATE-HANDLE-RANDOM and STATE-HANDLE-ENTROPY
// from a sample.
func judgeRandomness(e *Env, label string, hs []string, minted []*wire.Exchange) {
	if len(hs) < 4 {
		e.Inconclusive(spec.StateHandleRandom, "%s: only %d handle(s) could be minted", label, len(hs))
		e.Inconclusive(spec.StateHandleEntropy, "%s: only %d handle(s) could be minted", label, len(hs))
		return
	}
	a := analyzeHandles(hs, time.Now())
	shape := fmt.Sprintf("%d handles, e.g. %.40q: common prefix %q, suffix %q, %d varying positions over an alphabet of %d", a.n, hs[0], a.prefix, a.suffix, a.varying, a.alphabet)
	switch {
	case len(a.collisions) > 0:
		e.ViolationShown(minted, spec.StateHandleRandom, "%s: the same handle was minted more than once (%.40q) among %d; handles must come from a secure random source", label, a.collisions[0], a.n)
	case a.sequential != "":
		e.ViolationShown(minted, spec.StateHandleRandom, "%s: %s; sequential handles can be guessed", label, a.sequential)
	case a.clocked != "" && a.restBits < 64:
		e.ViolationShown(minted, spec.StateHandleRandom, "%s: %s, with about %.0f bits besides; handles derived from the clock can be predicted", label, a.clocked, a.restBits)
	default:
		e.Pass(spec.StateHandleRandom, "%s: no repeat, no counter, no clock value (%s)", label, shape)
	}
	switch {
	case a.uuidVersion == 4:
		e.Pass(spec.StateHandleEntropy, "%s: UUIDv4 handles (122 random bits), SEP-2567's own example of a sufficient handle (%s)", label, shape)
	case a.bits < 128:
		e.ViolationShown(minted, spec.StateHandleEntropy, "%s: at most about %.0f bits of entropy (%s); at least 128 bits are advised (SEP-2567)", label, a.bits, shape)
	default:
		e.Pass(spec.StateHandleEntropy, "%s: up to %.0f bits (an upper bound: %s)", label, a.bits, shape)
	}
}
