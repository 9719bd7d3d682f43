package handles

import (
	"fmt"
	"strings"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/probe"
	"github.com/mcpverify/mcpverify/check/randomness"
	"github.com/mcpverify/mcpverify/check/staterun"
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
//     take or release it at an argument path), which detection adds to
//     and never overrides;
//   - by data flow: tools are called to see what they return, and each
//     value of a result that could be a handle (an opaque string in
//     structuredContent, through objects and the first elements of
//     arrays down to four levels, or any member named like a handle; an
//     id-like word of the text) is passed to other tools as a string
//     argument. A pair is confirmed by an acceptance test: the call with
//     the minted value is served, and the same call with a value of the
//     same shape that was never minted is refused: the tool looks the
//     value up. Names and descriptions only order the trials. Tools come
//     first that an argument's description names ("the cart id returned
//     by cart_create"), that are named like a creation, that declare in
//     their outputSchema a member named like a handle or like another
//     tool's argument, that share a first word with a tool that requires
//     an argument; values go first to arguments of the same base name as
//     their member (cart_id, cartId and cart), named like a handle (id,
//     *_id, *Id, handle, token, session) or described as one (handle,
//     identifier, id, token, "returned by"). A pair that nothing but the
//     flow shows is confirmed twice: the minting tool called again
//     returns another value (a value returned alike twice names
//     something that exists; it was not minted), which the user serves
//     too. Once a value is taken, the other arguments related to it (by
//     name, description or base name) are tried, then the releases: a
//     confirmed user whose name says it deletes and whose only required
//     argument is the handle releases it.
//
// Tools marked destructiveHint: true and tools named like a release are
// never called to see what they return: they are called only with a value
// another tool was shown to take. Nor are tools that require an argument
// named or described as a handle (they take handles). Detection costs at most 48 tool
// calls (detectCalls; at most 12 tools called to see what they return,
// 4 values of a result and 4 values per argument tried), stops at two
// kinds, and uses at most half the time the check had left when it
// began, leaving the check at least 6 s. A tool argument that served a
// made-up value is not tried again.
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
//     (unaltered request), the second principal's same call must be refused
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
	check.Register(&check.Check{
		Name: "state/handles",
		IDs: []spec.ID{spec.StateHandleRandom, spec.StateHandleEntropy, spec.StateHandlePrincipal,
			spec.StateHandleNotAuth, spec.StateHandleOracle, spec.StateHandleReleased},
		Needs: func(e *check.Env) string {
			if e.Server.Capabilities.Tools == nil {
				return "the server declares no tools (handles are minted and taken by tools)"
			}
			return ""
		},
		Run: checkHandles,
	})
}

// handleFlow sends the requests of the handle checks, on one instance,
// and judges each with a private model that knows the handles found.
type handleFlow struct {
	e     *check.Env
	st    model.State
	found map[spec.ID]bool
	exs   []*wire.Exchange // every exchange of the flow
}

func newHandleFlow(e *check.Env, kinds []*handleKind) *handleFlow {
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
func (f *handleFlow) call(c check.Client, tool string, args map[string]any) check.Observation {
	e := f.e
	o := probe.SendAs(e, c, 0, "tools/call", map[string]any{"name": tool, "arguments": args}, probe.CallTimeout)
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

// withHandle returns a copy of args with the handle v at path.
func withHandle(args map[string]any, path []string, v any) map[string]any {
	out := probe.CloneParams(args)
	if out == nil {
		out = map[string]any{}
	}
	wire.Path(path).Set(out, v)
	return out
}

// handleValue is a handle as minted: the string, and the JSON value to
// pass back (a string, or a number's JSON text).
type handleValue struct {
	text string
	arg  any
}

// handleSamples is how many handles are minted for the analysis.
const handleSamples = 8

// checkHandles runs the handle checks on each kind of handle found.
func checkHandles(e *check.Env) {
	// Who is who before any handle is minted: the models record the
	// principal of each minting.
	e.ProbeAuth()
	hs := surveyHandles(e)
	ids := []spec.ID{spec.StateHandleRandom, spec.StateHandleEntropy, spec.StateHandlePrincipal, spec.StateHandleNotAuth, spec.StateHandleOracle, spec.StateHandleReleased}
	if len(hs.kinds) == 0 {
		probe.SkipAll(e, ids, "no state handle found: %s; name them with --hints", strings.Join(hs.notes, "; "))
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

func checkHandleKind(e *check.Env, f *handleFlow, k *handleKind) {
	owner := e.Client
	label := fmt.Sprintf("handles of %s (%s)", k.mint.tool, k.source)
	// A sample.
	var sample []handleValue
	var minted []*wire.Exchange // the exchange that minted each of sample
	for i := 0; i < handleSamples+2 && e.Ctx.Err() == nil; i++ {
		o := f.call(owner, k.mint.tool, k.mint.params)
		if !staterun.Completes(o) {
			continue
		}
		if v, ok := k.mint.handleIn(o); ok {
			sample = append(sample, v)
			minted = append(minted, o.Ex)
		}
	}
	texts := make([]string, len(sample))
	for i, v := range sample {
		texts[i] = v.text
	}
	randomness.Judge(e, randomness.IDs{Random: spec.StateHandleRandom, Bits: spec.StateHandleEntropy}, label, "handles", texts, minted)
	if len(sample) < 2 {
		probe.InconclusiveAll(e, []spec.ID{spec.StateHandlePrincipal, spec.StateHandleNotAuth, spec.StateHandleOracle, spec.StateHandleReleased}, "%s: fewer than two handles could be minted", label)
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
	if !staterun.Completes(ownerUse) {
		probe.InconclusiveAll(e, []spec.ID{spec.StateHandlePrincipal, spec.StateHandleNotAuth, spec.StateHandleOracle, spec.StateHandleReleased}, "%s: the owner's own %s with its handle was not served (%s)", label, use.tool, ownerUse.Describe())
		return
	}
	// Another principal, and the oracle.
	if probe.NeedPrincipals(e, []spec.ID{spec.StateHandlePrincipal, spec.StateHandleOracle}) {
		judgeHandlePrincipal(e, f, k, label, h0, []*wire.Exchange{minted[0], ownerUse.Ex})
	}
	// No credentials at all.
	a := e.ProbeAuth()
	if !a.Authenticates {
		e.Skip(spec.StateHandleNotAuth, "%s; without authentication a handle is necessarily a bearer token", a.Why)
	} else {
		anon := e.AsAnonymous(owner)
		o := f.call(anon, use.tool, withHandle(use.params, use.path, h0.arg))
		switch oc := staterun.RetryOutcome(o); {
		case oc.Kind == staterun.OutComplete:
			shown := []*wire.Exchange{minted[0], ownerUse.Ex, o.Ex}
			if !f.found[spec.StateHandleNotAuth] {
				e.ViolationShown(shown, spec.StateHandleNotAuth, "%s: %s with the owner's handle %.40q and no credentials at all was served (%s); possession of a handle must not act as authentication", label, use.tool, h0.text, oc.Desc)
			}
			if !f.found[spec.StateHandlePrincipal] {
				e.ViolationShown(shown, spec.StateHandlePrincipal, "%s: %s with the owner's handle and no credentials was served", label, use.tool)
			}
		case oc.Kind.Refused():
			e.Pass(spec.StateHandleNotAuth, "%s: %s with the owner's handle and no credentials was refused (%s), though the owner's same call was served", label, use.tool, oc.Desc)
		default:
			e.Inconclusive(spec.StateHandleNotAuth, "%s: the call without credentials was %s", label, oc.Desc)
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
		case !staterun.Completes(before) || !staterun.Completes(d):
			e.Inconclusive(spec.StateHandleReleased, "%s: the owner's use (%s) or release (%s) of a handle was not served", label, before.Describe(), d.Describe())
		default:
			after := f.call(owner, use.tool, withHandle(use.params, use.path, h1.arg))
			switch oc := staterun.RetryOutcome(after); {
			case oc.Kind == staterun.OutComplete:
				if !f.found[spec.StateHandleReleased] {
					e.ViolationShown([]*wire.Exchange{minted[1], before.Ex, d.Ex, after.Ex}, spec.StateHandleReleased, "%s: %s with handle %.40q after %s released it was served (%s)", label, use.tool, h1.text, del.tool, oc.Desc)
				}
			case oc.Kind.Refused():
				e.Pass(spec.StateHandleReleased, "%s: %s with a handle %s released was refused (%s); it was served before the release", label, use.tool, del.tool, oc.Desc)
			default:
				e.Inconclusive(spec.StateHandleReleased, "%s: the use after the release was %s", label, oc.Desc)
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
func judgeHandlePrincipal(e *check.Env, f *handleFlow, k *handleKind, label string, h0 handleValue, owned []*wire.Exchange) {
	alt := e.AsAlt(e.Client)
	// The second principal is served with a handle of its own.
	mo := f.call(alt, k.mint.tool, k.mint.params)
	own, ok := k.mint.handleIn(mo)
	if !staterun.Completes(mo) || !ok {
		e.Inconclusive(spec.StateHandlePrincipal, "%s: the second principal could not mint a handle of its own (%s)", label, mo.Describe())
		e.Inconclusive(spec.StateHandleOracle, "%s: the second principal could not mint a handle of its own", label)
		return
	}
	var refusedOn []string
	var foreign check.Observation
	var foreignTool handleTool
	for _, u := range k.uses {
		ou := f.call(alt, u.tool, withHandle(u.params, u.path, own.arg))
		if !staterun.Completes(ou) {
			continue // the tool does not serve the second principal's own handle either
		}
		o := f.call(alt, u.tool, withHandle(u.params, u.path, h0.arg))
		switch oc := staterun.RetryOutcome(o); {
		case oc.Kind == staterun.OutComplete:
			if !f.found[spec.StateHandlePrincipal] {
				e.ViolationShown(append(append([]*wire.Exchange(nil), owned...), mo.Ex, ou.Ex, o.Ex), spec.StateHandlePrincipal, "%s: the second principal's %s with the first principal's handle %.40q was served (%s); a handle must be bound to the principal it was minted for", label, u.tool, h0.text, oc.Desc)
			}
			f.found[spec.StateHandlePrincipal] = true
		case oc.Kind.Refused():
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
	fake, fakeArg := fakeOf(e, h0)
	none := f.call(alt, foreignTool.tool, withHandle(foreignTool.params, foreignTool.path, fakeArg))
	a, b := staterun.RefusalShape(foreign, h0.text), staterun.RefusalShape(none, fake)
	switch {
	case !staterun.RetryOutcome(none).Kind.Refused():
		e.Inconclusive(spec.StateHandleOracle, "%s: a handle never minted (%.40q) was not refused (%s)", label, fake, none.Describe())
	case a != b:
		e.ViolationShown(append(append([]*wire.Exchange(nil), owned...), foreign.Ex, none.Ex), spec.StateHandleOracle, "%s: %s refuses another principal's handle and a handle that does not exist differently: %s versus %s; the difference tells a prober which handles exist", label, foreignTool.tool, staterun.TruncateText(a, 200), staterun.TruncateText(b, 200))
	default:
		e.Pass(spec.StateHandleOracle, "%s: %s refuses another principal's handle exactly as a handle that never existed (%s)", label, foreignTool.tool, staterun.TruncateText(a, 160))
	}
}
