package campaign

import (
	"fmt"
	"math"
	"math/rand"
	"sort"
	"strings"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/commands"
	gopterGen "github.com/leanovate/gopter/gen"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/gen"
	"github.com/mcpverify/mcpverify/check/probe"
	"github.com/mcpverify/mcpverify/model"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// The generated campaign is a gopter state-machine test against the live
// server. Sequences of requests are drawn from the model's enabled actions
// (model.Enabled, after discovery) and from the server's own declarations
// (tool arguments from inputSchema, prompt arguments, URIs from templates).
// Every request goes through Env.Send, so the run's judge records and
// judges every exchange for the report; each sequence is also judged by a
// model State of its own, which starts from the discovery exchanges, so
// that a sequence means the same thing whenever gopter runs it again. The
// postcondition of a step is that this sequence-local model found no
// violation of a requirement the run has not already reported. On a
// failure gopter shrinks the sequence (fewer requests, then smaller
// arguments); the shrunk sequence is sent once more to confirm it, and its
// exchanges, after the discovery prefix, are the failure's trace.
//
// Bounds: exploration sends at most Options.MaxExchanges requests;
// shrinking all failures together at most as many again; confirmations one
// shrunk sequence each. The run's context (Options.Budget) stops all of it,
// and so do a few requests in a row that get no answer; a server that did
// not answer discovery gets no campaign.

// campaignCheck is the campaign: it runs after every other check, with
// what is left of the run's budget, on servers judged by this revision.
var campaignCheck = &check.Check{
	Name: "campaign/generated",
	Last: true,
	Eras: []check.Era{check.Modern, check.DualEra, check.UnknownEra},
	Run:  runCampaign,
}

func init() { check.Register(campaignCheck) }

const (
	// maxSequence bounds the requests of one generated sequence.
	maxSequence = 24
	// maxShrinks bounds the successful shrink steps of one failure.
	maxShrinks = 200
	// maxSilent consecutive exchanges without an answer (timed out) end
	// the campaign: the server has stopped answering.
	maxSilent = 3
)

// campaign is one run's generated campaign.
type campaign struct {
	env *check.Env
	// gen is the generation state: the model after discovery, the
	// declarations, and the actions enabled there.
	gen *campaignState
	// reported holds the requirements not to hunt: broken already, found
	// by a check, the model or this campaign. Frozen during one property
	// evaluation (generation, run and shrinking).
	reported map[spec.ID]bool
	found    map[spec.ID]bool
	// Allowances, in exchanges.
	exploreLeft, shrinkLeft int
	exploring               bool
	// silent counts the consecutive exchanges that timed out.
	silent int
	// firstFail is the length of the failing sequence as first found;
	// lastFail the last failing run (after shrinking: the shrunk one).
	firstFail int
	lastFail  *sequence
}

// campaignState is gopter's state of the state machine: the model's state
// after discovery and the server's declarations. Generation does not see
// responses (gopter generates a sequence before running it), so the state
// does not change along a sequence; everything a sequence learns is judged
// by its sequence-local model.
type campaignState struct {
	Model model.State
	Decl  *check.Declarations
	acts  []model.Action
}

func (s *campaignState) String() string { return fmt.Sprintf("%d enabled actions", len(s.acts)) }

// campaignCmd is one generated request, kept abstract enough to be sent
// again (a fresh request id each time) and to shrink.
type campaignCmd struct {
	act model.Action
	// seed drives Declarations.Build's choices for this command (prompt
	// arguments, template values, ...), so that it builds the same request
	// every time.
	seed int64
	// args are the arguments of a tools/call (drawn from the inputSchema).
	args map[string]any
	// caps: declare every input capability (so MRTR tools can ask).
	caps bool
}

func (c *campaignCmd) String() string {
	var b strings.Builder
	b.WriteString(c.act.Method)
	if c.act.Name != "" {
		b.WriteString(" " + c.act.Name)
	}
	if c.act.HasCursor {
		b.WriteString(" (next page)")
	}
	if c.args != nil {
		b.Write(wire.MustMarshal(c.args))
	}
	return b.String()
}

// Run, NextState, PreCondition and PostCondition make campaignCmd a
// gopter command.
func (c *campaignCmd) Run(sut commands.SystemUnderTest) commands.Result {
	return sut.(*sequence).send(c)
}
func (c *campaignCmd) NextState(s commands.State) commands.State { return s }
func (c *campaignCmd) PreCondition(commands.State) bool          { return true }
func (c *campaignCmd) PostCondition(_ commands.State, r commands.Result) *gopter.PropResult {
	st := r.(*stepResult)
	if len(st.broken) == 0 {
		return &gopter.PropResult{Status: gopter.PropTrue}
	}
	labels := make([]string, len(st.broken))
	for i, v := range st.broken {
		labels[i] = string(v.ID)
	}
	return &gopter.PropResult{Status: gopter.PropFalse, Labels: labels}
}

// sequence is gopter's system under test for one run of one sequence: the
// live target (through the run's Env) and a model State private to the
// sequence.
type sequence struct {
	c     *campaign
	state model.State
	cmds  []*campaignCmd
	exs   []*wire.Exchange
	// broken are the unreported violations of the last exchange sent; once
	// set, the rest of the sequence is not sent.
	broken []model.Violation
}

// stepResult is what one command's run observed.
type stepResult struct {
	sent   bool
	broken []model.Violation
}

// send builds and sends cmd unless the sequence has failed already or the
// budget is spent, and judges the answer with the sequence's model.
func (s *sequence) send(cmd *campaignCmd) *stepResult {
	if len(s.broken) > 0 || !s.c.allow() {
		return &stepResult{}
	}
	o := s.c.env.Send(s.c.request(cmd))
	s.cmds, s.exs = append(s.cmds, cmd), append(s.exs, o.Ex)
	if o.Ex.Outcome == wire.TimedOut {
		s.c.silent++
	} else {
		s.c.silent = 0
	}
	var vs []model.Violation
	s.state, vs = s.state.Step(o.Ex)
	seen := map[spec.ID]bool{}
	for _, v := range vs {
		if !s.c.reported[v.ID] && !seen[v.ID] {
			seen[v.ID] = true
			s.broken = append(s.broken, v)
		}
	}
	return &stepResult{sent: true, broken: s.broken}
}

// runCampaign runs the generated campaign until MaxExchanges requests have
// been explored or the run's budget is spent, and returns a verdict for
// each requirement it found broken, with the shrunk sequence as evidence.
func runCampaign(e *check.Env) {
	if e.Server.Era == check.UnknownEra {
		// Discovery got no answer at all: generated requests would only
		// time out one after another.
		e.Progressf("generated campaign skipped: the server did not answer discovery")
		return
	}
	env := e
	e.Progressf("generated campaign (up to %d exchanges)", e.Opts.MaxExchanges)
	c := newCampaign(env)
	if len(c.gen.acts) == 0 {
		return
	}
	prop := commands.Prop(&commands.ProtoCommands{
		NewSystemUnderTestFunc:     func(commands.State) commands.SystemUnderTest { return c.newSequence() },
		DestroySystemUnderTestFunc: func(sut commands.SystemUnderTest) { c.endSequence(sut.(*sequence)) },
		InitialStateGen:            gopterGen.Const(c.gen),
		GenCommandFunc:             c.genCommand,
	})
	params := &gopter.GenParameters{
		MinSize: 1, MaxSize: maxSequence, MaxShrinkCount: maxShrinks,
		Rng: rand.New(rand.NewSource(e.Opts.Seed ^ 0x6d637076)), // "mcpv": not the checks' stream
	}
	for round := 1; c.exploreLeft > 0 && env.Ctx.Err() == nil && c.silent < maxSilent; round++ {
		size := min(4*round, maxSequence, c.exploreLeft)
		c.freeze()
		c.exploring, c.lastFail, c.firstFail = true, nil, 0
		res := prop(params.WithSize(size))
		switch {
		case res.Status == gopter.PropFalse && c.lastFail != nil:
			c.report()
		case res.Status == gopter.PropError:
			// A bug of the campaign itself (gopter recovered a panic): stop
			// generating, keep what the checks found.
			e.Progressf("generated campaign stopped: %v", res.Error)
			return
		}
	}
	if c.silent >= maxSilent {
		e.Progressf("generated campaign stopped: %d requests in a row got no answer", c.silent)
	}
}

// newCampaign prepares the generation state: a fresh model judges the
// discovery exchanges (the start of every trace), and the actions it then
// enables, with list pages in the order the server handed their cursors
// out (their cursor strings may hold random bytes).
func newCampaign(e *check.Env) *campaign {
	prefix := e.Prefix()
	reported := len(e.ModelBroken())
	st := model.NewState(e.Opts.Model)
	for _, ex := range prefix {
		st, _ = st.Step(ex)
	}
	c := &campaign{
		env:         e,
		gen:         &campaignState{Model: st, Decl: e.Decl, acts: orderPages(model.Enabled(st), prefix)},
		reported:    make(map[spec.ID]bool, reported),
		found:       map[spec.ID]bool{},
		exploreLeft: e.Opts.MaxExchanges,
		shrinkLeft:  e.Opts.MaxExchanges,
	}
	return c
}

// orderPages puts the list-page actions of acts (which model.Enabled
// orders by cursor string) in the order their cursors appeared in exs;
// the other actions keep their places.
func orderPages(acts []model.Action, exs []*wire.Exchange) []model.Action {
	type page struct{ method, cursor string }
	rank := map[page]int{}
	for _, ex := range exs {
		ex.Decode()
		for _, r := range ex.Replies {
			if next := model.NextCursor(r.Result); next != nil {
				p := page{ex.Method(), *next}
				if _, ok := rank[p]; !ok {
					rank[p] = len(rank)
				}
			}
		}
	}
	var slots []int
	var pages []model.Action
	for i, a := range acts {
		if a.HasCursor {
			slots = append(slots, i)
			pages = append(pages, a)
		}
	}
	sort.SliceStable(pages, func(i, j int) bool {
		ri, iok := rank[page{pages[i].Method, pages[i].Cursor}]
		rj, jok := rank[page{pages[j].Method, pages[j].Cursor}]
		switch {
		case iok && jok:
			return ri < rj
		case iok != jok:
			return iok
		}
		return false
	})
	out := append([]model.Action(nil), acts...)
	for k, i := range slots {
		out[i] = pages[k]
	}
	return out
}

// freeze takes the set of requirements not to hunt in the next property
// evaluation: those the run has reported so far.
func (c *campaign) freeze() {
	for id := range c.env.ModelBroken() {
		c.reported[id] = true
	}
	for id := range c.found {
		c.reported[id] = true
	}
}

// allow reports whether one more request may be sent, and counts it.
func (c *campaign) allow() bool {
	if c.env.Ctx.Err() != nil || c.silent >= maxSilent {
		return false
	}
	left := &c.shrinkLeft
	if c.exploring {
		left = &c.exploreLeft
	}
	if *left <= 0 {
		return false
	}
	*left--
	return true
}

func (c *campaign) newSequence() *sequence {
	c.env.RestartEvidence() // the run's judge: a violation's trace is this sequence
	return &sequence{c: c, state: c.gen.Model}
}

// endSequence notes a failing run: the first one ends exploration (the
// rest of the property evaluation is shrinking), the last one is the
// shrunk sequence.
func (c *campaign) endSequence(s *sequence) {
	if len(s.broken) == 0 {
		return
	}
	if c.exploring {
		c.exploring, c.firstFail = false, len(s.cmds)
		c.env.Progressf("generated campaign: %s broken after %d request(s); shrinking", s.broken[0].ID, len(s.cmds))
	}
	c.lastFail = s
}

// genCommand draws one command from the enabled actions: gopter's
// generator. Its only source of choices is the GenParameters' Rng.
func (c *campaign) genCommand(st commands.State) gopter.Gen {
	s := st.(*campaignState)
	return func(p *gopter.GenParameters) *gopter.GenResult {
		return gopter.NewGenResult(c.draw(p.Rng, s), c.shrinkCommand)
	}
}

func (c *campaign) draw(r *rand.Rand, s *campaignState) *campaignCmd {
	a := s.acts[r.Intn(len(s.acts))]
	cmd := &campaignCmd{act: a, seed: r.Int63()}
	switch a.Method {
	case "tools/call", "prompts/get", "resources/read":
		cmd.caps = r.Intn(2) == 0
	}
	if a.Method == "tools/call" {
		cmd.args = map[string]any{}
		if td := s.Decl.Tools[a.Name]; td != nil {
			if m, ok := gen.GenerateValue(r, td.Schema).(map[string]any); ok {
				cmd.args = m
			}
		}
	}
	return cmd
}

// Request builds cmd's request with a fresh id.
func (c *campaign) request(cmd *campaignCmd) *check.Request {
	client := c.env.Client
	if cmd.caps {
		client = withInputCapabilities(client)
	}
	id := c.env.NextID()
	if cmd.act.Method != "tools/call" {
		return c.env.Decl.Build(rand.New(rand.NewSource(cmd.seed)), client, id, cmd.act)
	}
	var headers []model.ParamHeader
	if td := c.env.Decl.Tools[cmd.act.Name]; td != nil {
		headers = td.Headers
	}
	params := map[string]any{"name": cmd.act.Name, "arguments": probe.CloneParams(cmd.args)}
	return client.Request(id, "tools/call", params, headers)
}

// report turns the shrunk failure into verdicts: it sends the shrunk
// sequence once more, and each requirement it broke is reported with the
// confirming exchanges as evidence, or, if it did not break again, with
// the shrunk run's and a note that it was not reproduced.
func (c *campaign) report() {
	shrunk := c.lastFail
	conf := c.newSequence()
	if c.env.Ctx.Err() == nil {
		for _, cmd := range shrunk.cmds {
			if len(conf.broken) > 0 || c.env.Ctx.Err() != nil {
				break
			}
			o := c.env.Send(c.request(cmd))
			conf.cmds, conf.exs = append(conf.cmds, cmd), append(conf.exs, o.Ex)
			var vs []model.Violation
			conf.state, vs = conf.state.Step(o.Ex)
			for _, v := range vs {
				if !c.reported[v.ID] {
					conf.broken = append(conf.broken, v)
				}
			}
		}
	}
	for _, v := range shrunk.broken {
		evidence, note := shrunk.exs, ""
		switch cv, ok := violationOf(conf.broken, v.ID); {
		case ok:
			v, evidence = cv, conf.exs
		case c.env.Ctx.Err() != nil:
			note = "; not confirmed: the run's budget ran out before the shrunk sequence could be sent again"
		default:
			note = "; not reproduced: sending the shrunk sequence again did not break it (a flaky server?)"
		}
		msg := fmt.Sprintf("got %s; want %s (generated sequence of %d request(s), shrunk to %d after the discovery exchanges%s)",
			v.Got, v.Want, c.firstFail, len(shrunk.cmds), note)
		c.env.ViolationShown(evidence, v.ID, "%s", msg)
		c.found[v.ID] = true
		c.env.Progressf("generated campaign: %s: shrunk to %d request(s)%s", v.ID, len(shrunk.cmds), note)
	}
}

func violationOf(vs []model.Violation, id spec.ID) (model.Violation, bool) {
	for _, v := range vs {
		if v.ID == id {
			return v, true
		}
	}
	return model.Violation{}, false
}

// shrinkCommand is gopter's shrinker of one command: without the input
// capabilities, then, for a tools/call, the arguments made smaller (see
// shrinkArgs). Every candidate is a new command.
func (c *campaign) shrinkCommand(v any) gopter.Shrink {
	cmd := v.(*campaignCmd)
	var cands []*campaignCmd
	if cmd.caps {
		n := *cmd
		n.caps = false
		cands = append(cands, &n)
	}
	if cmd.args != nil {
		var schema map[string]any
		if td := c.gen.Decl.Tools[cmd.act.Name]; td != nil {
			schema, _ = td.Schema.(map[string]any)
		}
		for _, args := range shrinkArgs(schema, cmd.args) {
			n := *cmd
			n.args = args
			cands = append(cands, &n)
		}
	}
	i := 0
	return func() (any, bool) {
		if i >= len(cands) {
			return nil, false
		}
		i++
		return cands[i-1], true
	}
}

// shrinkArgs returns smaller variants of a tool's top-level arguments: each
// optional one left out; each number moved towards its schema's lower
// bound (or 0) by halving steps; each free-form string cut in half.
func shrinkArgs(schema map[string]any, args map[string]any) []map[string]any {
	props, _ := schema["properties"].(map[string]any)
	required := map[string]bool{}
	if req, ok := schema["required"].([]any); ok {
		for _, r := range req {
			if name, ok := r.(string); ok {
				required[name] = true
			}
		}
	}
	names := make([]string, 0, len(args))
	for n := range args {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []map[string]any
	with := func(name string, v any, drop bool) {
		m := probe.CloneParams(args)
		if drop {
			delete(m, name)
		} else {
			m[name] = v
		}
		out = append(out, m)
	}
	for _, n := range names {
		if !required[n] {
			with(n, nil, true)
		}
	}
	for _, n := range names {
		ps, _ := props[n].(map[string]any)
		switch v := args[n].(type) {
		case int64:
			for _, s := range shrinkInt(v, int64(shrinkTarget(ps))) {
				with(n, s, false)
			}
		case float64:
			if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
				for _, s := range shrinkInt(int64(v), int64(shrinkTarget(ps))) {
					with(n, float64(s), false)
				}
			}
		case string:
			if r := []rune(v); len(r) > 0 && ps["pattern"] == nil && ps["format"] == nil && ps["enum"] == nil && ps["const"] == nil {
				keep := max(len(r)/2, gen.IntKeyword(ps, "minLength", 0))
				if keep < len(r) {
					with(n, string(r[:keep]), false)
				}
			}
		}
	}
	return out
}

// shrinkTarget is the value numbers shrink towards: 0 if the schema's
// bounds allow it, else the bound nearest to 0.
func shrinkTarget(s map[string]any) float64 {
	lo, hi := gen.Bounds(s, math.Inf(-1), math.Inf(1))
	switch {
	case lo > 0:
		return math.Ceil(lo)
	case hi < 0:
		return math.Floor(hi)
	}
	return 0
}

// shrinkInt returns target, then values between target and v halving the
// distance to v: 700 → 0, 350, 525, 613, ..., 699.
func shrinkInt(v, target int64) []int64 {
	d := v - target
	if d == 0 {
		return nil
	}
	out := []int64{target}
	for s := d / 2; s != 0; s /= 2 {
		out = append(out, v-s)
	}
	return out
}

// withInputCapabilities declares every input capability (elicitation,
// sampling, roots), so that MRTR tools can ask for input.
func withInputCapabilities(c check.Client) check.Client {
	c.Capabilities = wire.Value(`{"elicitation":{},"sampling":{},"roots":{}}`)
	return c
}
