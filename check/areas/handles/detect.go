package handles

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/hints"
	"github.com/mcpverify/mcpverify/check/probe"
	"github.com/mcpverify/mcpverify/check/randomness"
	"github.com/mcpverify/mcpverify/check/staterun"
	"github.com/mcpverify/mcpverify/model"
)

// handleTool is a tool's role for one kind of handle.
type handleTool struct {
	tool   string
	path   []string // in the result (mint), or in the arguments
	word   int      // a mint with no path: the index of the handle among the id-like words of its text
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

// handleSurveyKey keys the run's handle survey (check.Shared).
type handleSurveyKey struct{}

// surveyHandles finds the kinds of handles once per run.
func surveyHandles(e *check.Env) *handleSurvey {
	return check.Shared(e, handleSurveyKey{}, func() *handleSurvey { return detectHandles(e) })
}

// Bounds of detection: what it may cost beyond the calls of the checks
// of the kinds it finds.
const (
	// detectCalls bounds the tool calls of detection: the calls that
	// show what tools return and the acceptance tests together.
	detectCalls = 48
	// detectMinters bounds the tools called to see what they return.
	detectMinters = 12
	// detectValues bounds the values of one result tried as handles.
	detectValues = 4
	// slotTries bounds the values tried in one argument.
	slotTries = 4
	// detectReserve is the time of the check that detection leaves to
	// the checks of the kinds it finds; detection also stops once it has
	// used half the time the check had left when it began.
	detectReserve = 6 * time.Second
)

// detector finds kinds of handles by data flow, within the bounds.
type detector struct {
	e       *check.Env
	calls   int
	minters int
	until   time.Time
	kinds   []*handleKind // found so far, hinted ones included
}

// more reports whether detection may send another call.
func (d *detector) more() bool {
	e := d.e
	return d.calls < detectCalls && e.Ctx.Err() == nil && e.TimeLeft() >= detectReserve && time.Now().Before(d.until)
}

// call calls tool with args as the client, on instance 0.
func (d *detector) call(tool string, args map[string]any) check.Observation {
	e, c := d.e, d.e.Client
	d.calls++
	return probe.SendAs(e, c, 0, "tools/call", map[string]any{"name": tool, "arguments": args}, probe.CallTimeout)
}

// argsOf draws arguments for tool from its inputSchema.
func (d *detector) argsOf(tool string) map[string]any {
	a, _ := probe.ToolCallParams(d.e, tool)["arguments"].(map[string]any)
	return a
}

// fakeOf returns a value of v's shape that was never minted, as the JSON
// value to pass (a number stays a number).
func fakeOf(e *check.Env, v handleValue) (string, any) {
	fake := randomness.SameShape(e, v.text)
	if _, isNum := v.arg.(json.Number); isNum {
		return fake, json.Number(fake)
	}
	return fake, fake
}

// accepts runs the acceptance test of v in slot s: the call with v is
// served, and the same call with a value of v's shape that was never
// minted is refused (the tool looks the value up). It returns the
// arguments of the served call. A slot that serves the made-up value is
// open: it is not tried again.
func (d *detector) accepts(s *slot, v handleValue) (map[string]any, bool) {
	s.tries++
	args := withHandle(d.argsOf(s.tool), []string{s.prop}, v.arg)
	if !staterun.Completes(d.call(s.tool, args)) {
		return nil, false
	}
	_, fake := fakeOf(d.e, v)
	switch oc := staterun.RetryOutcome(d.call(s.tool, withHandle(args, []string{s.prop}, fake))); {
	case oc.Kind.Refused():
		return args, true
	case oc.Kind == staterun.OutComplete:
		s.open = true
	}
	return nil, false
}

// fresh confirms a pair that only the flow shows: the minting tool called
// again returns another value at the same place (a value returned alike
// twice names something that exists, it was not minted for the call),
// and s serves that one too.
func (d *detector) fresh(k *handleKind, v handleValue, s *slot) bool {
	v2, ok := k.mint.handleIn(d.call(k.mint.tool, k.mint.params))
	if !ok || v2.text == v.text || !d.more() {
		return false
	}
	return staterun.Completes(d.call(s.tool, withHandle(d.argsOf(s.tool), []string{s.prop}, v2.arg)))
}

// taken reports whether tool takes or releases a kind found.
func (d *detector) taken(tool string) bool {
	for _, k := range d.kinds {
		for _, t := range append(slices.Clip(k.uses), k.deletes...) {
			if t.tool == tool {
				return true
			}
		}
	}
	return false
}

// mintOrder returns the tools that may mint handles, those names,
// descriptions and declarations suggest first: every tool but those
// marked destructive or named like a release (never called to explore),
// the hinted minters, and the tools that require an argument named or
// described as a handle (they take handles). A tool some argument's
// description names comes first; then tools named like a creation, whose
// outputSchema declares a member named like a handle or like another
// tool's argument, that share a first word with a tool that requires an
// argument, that declare an outputSchema at all; read-only tools last.
func mintOrder(e *check.Env, slots []*slot, hinted map[string]bool) []string {
	takes, namedBy := map[string]bool{}, map[string]bool{}
	for _, s := range slots {
		if s.required && s.hinted() {
			takes[s.tool] = true
		}
		for _, f := range s.from {
			namedBy[f] = true
		}
	}
	score := map[string]int{}
	var out []string
	for _, name := range slices.Sorted(maps.Keys(e.Decl.Tools)) {
		td := e.Decl.Tools[name]
		if destructive(td) || deleteLike.MatchString(name) || hinted[name] || takes[name] {
			continue
		}
		n := 0
		if namedBy[name] {
			n += 8
		}
		if createLike.MatchString(name) {
			n += 4
		}
		outs := outputNames(td.Tool.OutputSchema)
	members:
		for _, p := range outs {
			if handleName.MatchString(p) {
				n += 4
				break
			}
			for _, s := range slots {
				if s.tool != name && baseName(s.prop) == baseName(p) {
					n += 4
					break members
				}
			}
		}
		for _, s := range slots {
			if s.tool != name && s.required && stem(s.tool) == stem(name) {
				n += 2
				break
			}
		}
		if len(outs) > 0 {
			n++
		}
		if readOnly(td) {
			n--
		}
		score[name] = n
		out = append(out, name)
	}
	sort.SliceStable(out, func(i, j int) bool { return score[out[i]] > score[out[j]] })
	return out
}

func detectHandles(e *check.Env) *handleSurvey {
	hs := &handleSurvey{}
	d := &detector{e: e, until: time.Now().Add(e.TimeLeft() / 2)}
	hinted := hintedKinds(d, hs)
	d.kinds = hs.kinds
	slots := slotsOf(e)
	if len(slots) == 0 {
		if len(hs.kinds) == 0 {
			hs.notes = append(hs.notes, "no tool takes a string argument")
		}
		return hs
	}
	minters := mintOrder(e, slots, hinted)
	for _, m := range minters {
		if len(d.kinds) >= 2 || d.minters >= detectMinters || !d.more() {
			break
		}
		if d.taken(m) {
			continue
		}
		if k := d.tryMinter(m, slots); k != nil {
			d.kinds = append(d.kinds, k)
		}
	}
	hs.kinds = d.kinds
	if len(hs.kinds) == 0 {
		hs.notes = append(hs.notes, fmt.Sprintf("no value a tool returned was taken by another tool and a made-up one of the same shape refused (%d tools called, %d candidate arguments, %d calls)", d.minters, len(slots), d.calls))
	}
	return hs
}

// hintedKinds adds the kinds --hints names to hs and returns their
// minting tools.
func hintedKinds(d *detector, hs *handleSurvey) map[string]bool {
	e := d.e
	hinted := map[string]bool{}
	if e.Opts.Hints == nil {
		return hinted
	}
	for i, h := range e.Opts.Hints.Handles {
		k := &handleKind{kind: h.Kind, source: "--hints"}
		if k.kind == "" {
			k.kind = fmt.Sprintf("hinted-%d", i+1)
		}
		for _, t := range slices.Sorted(maps.Keys(h.Mint)) {
			k.mint = handleTool{tool: t, path: hints.SplitPath(h.Mint[t]), params: d.argsOf(t)}
			break
		}
		for _, t := range slices.Sorted(maps.Keys(h.Use)) {
			k.uses = append(k.uses, handleTool{tool: t, path: hints.SplitPath(h.Use[t]), params: d.argsOf(t)})
		}
		for _, t := range slices.Sorted(maps.Keys(h.Delete)) {
			k.deletes = append(k.deletes, handleTool{tool: t, path: hints.SplitPath(h.Delete[t]), params: d.argsOf(t)})
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
	return hinted
}

// tryMinter calls tool m once and tries the values its result carries as
// handles: each in the arguments of other tools, the likeliest pairs
// first. The first value some tool takes is the kind's handle; then the
// other arguments related to it are tried, and the releases last.
func (d *detector) tryMinter(m string, slots []*slot) *handleKind {
	margs := d.argsOf(m)
	d.minters++
	o := d.call(m, margs)
	if !staterun.Completes(o) {
		return nil
	}
	type trial struct {
		c     candidate
		users []*slot
		best  int
	}
	var trials []trial
	sent, _ := json.Marshal(margs)
	for _, c := range resultValues(o) {
		if strings.Contains(string(sent), c.val.text) {
			continue // an echo of the arguments: the client chose it
		}
		t := trial{c: c, best: -1}
		for _, s := range slots {
			if s.tool != m && !s.release && s.fits(c.val) {
				t.users = append(t.users, s)
				t.best = max(t.best, pairScore(m, c, s))
			}
		}
		sort.SliceStable(t.users, func(i, j int) bool { return pairScore(m, c, t.users[i]) > pairScore(m, c, t.users[j]) })
		if len(t.users) > 0 {
			trials = append(trials, t)
		}
	}
	sort.SliceStable(trials, func(i, j int) bool { return trials[i].best > trials[j].best })
	for _, t := range trials[:min(len(trials), detectValues)] {
		for _, s := range t.users {
			if !d.more() {
				return nil
			}
			if s.open || s.tries >= slotTries {
				continue
			}
			args, ok := d.accepts(s, t.c.val)
			if !ok {
				continue
			}
			k := &handleKind{kind: m, mint: handleTool{tool: m, path: t.c.path, word: t.c.word, params: margs}}
			if !vouched(m, t.c, s) && !d.fresh(k, t.c.val, s) {
				break // not minted, or not taken again: the next value
			}
			k.uses = append(k.uses, handleTool{tool: s.tool, path: []string{s.prop}, params: args})
			k.source = fmt.Sprintf("detected by %s: minted at %s, taken by %s as %s", evidence(m, t.c, s), t.c.where(), s.tool, s.prop)
			d.related(k, t.c, s, t.users, slots)
			return k
		}
	}
	return nil
}

// related tries, once first took the value c of kind k, the other
// arguments that may take it (users, in order), then the releases.
func (d *detector) related(k *handleKind, c candidate, first *slot, users, slots []*slot) {
	m := k.mint.tool
	took := []*slot{first}
	has := func(tool string) bool {
		for _, s := range took {
			if s.tool == tool {
				return true
			}
		}
		return false
	}
	for _, s := range users {
		if !d.more() {
			return
		}
		if has(s.tool) || s.open || !related(m, c, s, took) {
			continue
		}
		if args, ok := d.accepts(s, c.val); ok {
			k.uses = append(k.uses, handleTool{tool: s.tool, path: []string{s.prop}, params: args})
			took = append(took, s)
		}
	}
	// A release ends the handle the others were tried with: releases last,
	// and only those related to the handle.
	for _, s := range slots {
		if !d.more() {
			return
		}
		if !s.release || s.tool == m || has(s.tool) || s.open || !s.fits(c.val) || !related(m, c, s, took) {
			continue
		}
		args, ok := d.accepts(s, c.val)
		if !ok {
			continue
		}
		ht := handleTool{tool: s.tool, path: []string{s.prop}, params: args}
		if deleteLike.MatchString(s.tool) && s.nRequired <= 1 {
			k.deletes = append(k.deletes, ht)
			return
		}
		k.uses = append(k.uses, ht)
		took = append(took, s)
	}
}

// evidence says what, besides the acceptance test, shows a pair: a
// name, a description, or nothing but the flow.
func evidence(m string, c candidate, s *slot) string {
	switch {
	case s.named || c.named:
		return "name"
	case s.described || slices.Contains(s.from, m):
		return "description"
	}
	return "flow"
}
