package state

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/probe"
	"github.com/mcpverify/mcpverify/check/staterun"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// The requestState campaign (basic/patterns/mrtr.mdx, "Server
// Requirements (Basic Workflow)" items 4 and 5).
//
// Survey. Every tool, prompt, declared resource and template expansion is
// called as a client that declares every input capability; each request
// answered with an InputRequiredResult is followed (inputs answered, the
// exact state echoed, round after round) until it completes. A request
// whose completing round carries a requestState is a state target when two
// such chains complete (the unaltered request, and the stability of its result).
// A third chain retries without any requestState: a request that completes
// so does not need its state.
//
// Reason-bound oracle. Every probe presents an altered state on a fresh
// chain (the server may be single-use), on the next instance of the
// deployment: the same retry with the unaltered state completed. A probe
// is answered by a refusal (a JSON-RPC error, a tool error) or a re-prompt
// (a fresh InputRequiredResult), both allowed; it must never complete.
//
// Checks:
//
//   - state/request-state: the mutation families of staterun.Mutations.
//     STATE-INTEGRITY (MUST where the state matters) is decided from
//     evidence, named in the message: (a) the server refused some content
//     mutations (it verifies), so every accepted one shows a flawed
//     verifier; (b) an accepted mutation changed the result; (c) the state
//     is readable (JSON, Base64 JSON, a JWT) and names a principal, a tool,
//     an amount or a path. An accepted mutation without evidence is
//     STATE-INTEGRITY-ALWAYS (hardening), unless the request completes
//     without any state. A changed result that only carries back data the
//     client itself supplied earlier in the flow (staterun.Echo: a name it
//     typed, now the altered bytes) is no evidence: an echo, reported at
//     the hardening level when nothing else was accepted. Other spellings
//     of the same bytes accepted by a server that verifies:
//     STATE-CANONICAL. STATE-UNTRUSTED has evidence of its own: the server
//     failed on an altered state instead of refusing or completing (no
//     answer, a 5xx, a crash, a leaked stack trace: staterun.Fault).
//   - state/binding: a fresh state presented on another request (another
//     tool, another prompt, a tool's state on a prompt and back:
//     STATE-BIND-REQUEST), with other arguments (STATE-BIND-ARGS), by the
//     second principal (STATE-BIND-PRINCIPAL; needs Options.AltHeader and
//     a server that refuses invalid credentials). Accepted: a warning;
//     but a server that refuses some of one kind with an error (so it
//     binds) and accepts others has a flawed verifier: STATE-INTEGRITY.
//   - state/expiry: fresh states presented after the lifetime
//     (Options.StateTTLMax, the hints, or a lifetime the request's
//     description states) when the check may wait that long. A lifetime
//     the user gave that the check cannot wait out is inconclusive; one
//     only the server's description states is skipped as not tested (the
//     user did not ask for the wait; the reference server's default of
//     ten minutes would otherwise leave every default-configured run
//     inconclusive).
//   - state/single-use: where single use is claimed (a description that
//     says "used once", "single-use", "one-time"; or the hints), a completed
//     state is presented again, as issued and in every other spelling.

func init() {
	needs := func(e *check.Env) string {
		c := e.Server.Capabilities
		if c.Tools == nil && c.Prompts == nil && c.Resources == nil {
			return "the server declares none of tools, prompts and resources (the requests that may carry requestState)"
		}
		return ""
	}
	check.Register(&check.Check{
		Name:  "state/request-state",
		IDs:   []spec.ID{spec.StateIntegrity, spec.StateIntegrityAlways, spec.StateCanonical, spec.StateUntrusted},
		Needs: needs,
		Run:   checkStateIntegrity,
	})
	check.Register(&check.Check{
		Name:  "state/binding",
		IDs:   []spec.ID{spec.StateBindRequest, spec.StateBindArgs, spec.StateBindPrincipal},
		Needs: needs,
		Run:   checkStateBinding,
	})
	check.Register(&check.Check{
		Name:  "state/expiry",
		IDs:   []spec.ID{spec.StateBindExpiry},
		Needs: needs,
		Run:   checkStateExpiry,
	})
	check.Register(&check.Check{
		Name:  "state/single-use",
		IDs:   []spec.ID{spec.StateSingleUse},
		Needs: needs,
		Run:   checkStateSingleUse,
	})
}

// state/request-state.

// mutationTally is what the mutations of one target's state gave.
type mutationTally struct {
	st *staterun.Target
	// refusedContent: content mutations refused (the empty state not
	// counted: many servers read "" as no state).
	refusedContent []string
	acceptedSame   []string
	acceptedOther  []string
	// acceptedEcho: completed with a result that only carries back data
	// the client supplied (staterun.Echo).
	acceptedEcho  []string
	refusedSpell  []string
	acceptedSpell []string
	noAnswer      []string
	// faults: altered states the server failed on (staterun.Fault).
	faults   []string
	answered int
	unminted int
	// The exchanges of the first probe of each kind, for traces.
	evAccepted, evOther, evNone, evSpell, evEcho, evFault []*wire.Exchange
}

func (m *mutationTally) acceptedContent() []string {
	return append(append([]string(nil), m.acceptedOther...), m.acceptedSame...)
}

// checkStateIntegrity presents every mutation family of each target's
// state, each on a fresh state.
func checkStateIntegrity(e *check.Env) {
	sr := staterun.Of(e)
	sv := sr.SurveyOf(e)
	ids := []spec.ID{spec.StateIntegrity, spec.StateIntegrityAlways, spec.StateCanonical, spec.StateUntrusted}
	if staterun.SurveyVerdicts(e, sv, ids...) {
		return
	}
	all := probe.ClientWithInputs(e, probe.AllInputKinds...)
	var tallies []*mutationTally
	reached := 0
	for _, st := range sv.Targets {
		if e.Ctx.Err() != nil || e.TimeLeft() < 2*time.Second {
			break
		}
		reached++
		mt := &mutationTally{st: st}
		tallies = append(tallies, mt)
		for _, mut := range staterun.Mutations(st.State) {
			if e.Ctx.Err() != nil || e.TimeLeft() < time.Second {
				break
			}
			mark := e.Mark()
			fresh, ans, ok := sr.FreshState(e, all, st)
			if !ok {
				mt.unminted++
				continue
			}
			m, ok := mutationByKey(staterun.Mutations(fresh), mut.Key)
			if !ok {
				continue
			}
			oc := staterun.RetryOutcome(sr.RetryWith(e, all, st.Req, m.Value, ans))
			what := fmt.Sprintf("%s: %s", m.What, oc.Desc)
			ev := e.Since(mark)
			switch {
			case oc.Kind == staterun.OutBusy:
				continue
			case oc.Kind == staterun.OutNone:
				mt.noAnswer = append(mt.noAnswer, what)
				firstEvidence(&mt.evNone, ev)
				continue
			}
			mt.answered++
			if oc.Fault != "" {
				mt.faults = append(mt.faults, m.What+": "+oc.Fault)
				firstEvidence(&mt.evFault, ev)
			}
			switch {
			case !m.Content && oc.Kind == staterun.OutComplete:
				mt.acceptedSpell = append(mt.acceptedSpell, what)
				firstEvidence(&mt.evSpell, ev)
			case !m.Content:
				mt.refusedSpell = append(mt.refusedSpell, what)
			case oc.Kind == staterun.OutComplete && st.Stable && oc.Sig != st.Sig:
				if c, x, ok := staterun.Echo(fresh, m.Value, st.Sig, oc.Sig, st.Supplied); ok {
					mt.acceptedEcho = append(mt.acceptedEcho, fmt.Sprintf("%s; the result changed only where it carries back %q, which the client supplied earlier in the flow, now %q", what, c, staterun.TruncateText(x, 40)))
					firstEvidence(&mt.evEcho, ev)
					break
				}
				mt.acceptedOther = append(mt.acceptedOther, what+", another result than the unaltered state's")
				firstEvidence(&mt.evOther, ev)
				firstEvidence(&mt.evAccepted, ev)
			case oc.Kind == staterun.OutComplete:
				mt.acceptedSame = append(mt.acceptedSame, what)
				firstEvidence(&mt.evAccepted, ev)
			case m.Family != "empty":
				mt.refusedContent = append(mt.refusedContent, what)
			}
		}
	}
	if e.Ctx.Err() != nil {
		return
	}
	integrityVerdicts(e, tallies, reached, len(sv.Targets), sv.Cause())
}

// causeIf names cause as the cause of the running check's last violation
// of id when st's state is not verified.
func causeIf(e *check.Env, st *staterun.Target, id spec.ID, cause string) {
	if st.Unverified {
		e.Cause(id, cause)
	}
}

func mutationByKey(ms []staterun.Mutation, key string) (staterun.Mutation, bool) {
	for _, m := range ms {
		if m.Key == key {
			return m, true
		}
	}
	return staterun.Mutation{}, false
}

// firstEvidence keeps the exchanges of the first probe of a kind.
func firstEvidence(dst *[]*wire.Exchange, ev []*wire.Exchange) {
	if *dst == nil {
		*dst = ev
	}
}

// integrityVerdicts decides STATE-INTEGRITY (from evidence),
// STATE-INTEGRITY-ALWAYS, STATE-CANONICAL and STATE-UNTRUSTED from the
// tallies.
func integrityVerdicts(e *check.Env, tallies []*mutationTally, reached, total int, cause string) {
	of := fmt.Sprintf("%d of %d request(s) that issue requestState", reached, total)
	var passI, passA, passC, passU []string
	violI, violA, violC, violU := 0, 0, 0, 0
	var decidedByMust []string
	for _, mt := range tallies {
		st := mt.st
		accepted := mt.acceptedContent()
		if mt.answered == 0 && len(mt.noAnswer) == 0 {
			continue
		}
		// STATE-UNTRUSTED: from evidence of its own, that the server
		// failed on an altered state instead of refusing or completing.
		switch {
		case len(mt.noAnswer) > 0:
			violU++
			e.ViolationShown(mt.evNone, spec.StateUntrusted, "%s: an altered requestState got no answer (%s); the server must handle requestState as attacker-controlled input, refusing what fails verification", st.Label(), probe.ListSome(mt.noAnswer, 3, "; "))
		case len(mt.faults) > 0:
			violU++
			e.ViolationShown(mt.evFault, spec.StateUntrusted, "%s: the server failed on an altered requestState instead of refusing it: %s; the server must handle requestState as attacker-controlled input", st.Label(), probe.ListSome(mt.faults, 3, "; "))
		default:
			passU = append(passU, fmt.Sprintf("%s (%d altered states answered)", st.Label(), mt.answered))
		}
		// STATE-INTEGRITY and STATE-INTEGRITY-ALWAYS.
		switch {
		case len(accepted) == 0 && len(mt.acceptedEcho) == 0:
			if len(mt.refusedContent) > 0 {
				passI = append(passI, fmt.Sprintf("%s (%d)", st.Label(), len(mt.refusedContent)))
				passA = append(passA, st.Label())
			}
		case len(accepted) == 0:
			if !st.Absent {
				violA++
				e.ViolationShown(mt.evEcho, spec.StateIntegrityAlways, "%s completed on %d altered requestState(s), each changing the result only where it carries back data the client itself supplied: %s. An echo of the client's own data shows no influence on authorization, resource access or business logic (where STATE-INTEGRITY binds); the state is still not integrity-protected",
					st.Label(), len(mt.acceptedEcho), probe.ListSome(mt.acceptedEcho, 2, "; "))
				causeIf(e, st, spec.StateIntegrityAlways, cause)
			}
		default:
			var evidence []string
			if len(mt.refusedContent) > 0 {
				evidence = append(evidence, fmt.Sprintf("(a) the server verifies the state: it refused %d other content mutation(s), e.g. %s", len(mt.refusedContent), probe.ListSome(mt.refusedContent, 1, "; ")))
			}
			if len(mt.acceptedOther) > 0 {
				evidence = append(evidence, fmt.Sprintf("(b) an altered state changed the result, not only where it carries back the client's own data: %s", probe.ListSome(mt.acceptedOther, 1, "; ")))
			}
			if len(st.Readable) > 0 {
				evidence = append(evidence, fmt.Sprintf("(c) the state is readable and names %s", probe.ListSome(st.Readable, 3, "; ")))
			}
			switch {
			case len(evidence) > 0:
				violI++
				decidedByMust = append(decidedByMust, st.Label())
				e.ViolationShown(mt.evAccepted, spec.StateIntegrity, "%s completed on %d altered requestState(s) the server never issued: %s. Evidence that the state matters: %s. A state that influences authorization, resource access or business logic must be integrity-protected and refused when it fails verification",
					st.Label(), len(accepted), probe.ListSome(accepted, 3, "; "), strings.Join(evidence, "; "))
				causeIf(e, st, spec.StateIntegrity, cause)
			case st.Absent:
				// The request completes without any state: accepting an
				// altered one shows nothing.
			default:
				violA++
				e.ViolationShown(mt.evAccepted, spec.StateIntegrityAlways, "%s completed on %d altered requestState(s): %s. The state is not integrity-protected; a failure (STATE-INTEGRITY) if it influences authorization, resource access or business logic, which the checker could not show (no mutation refused, the result unchanged, the state not readable)",
					st.Label(), len(accepted), probe.ListSome(accepted, 3, "; "))
				causeIf(e, st, spec.StateIntegrityAlways, cause)
			}
		}
		// STATE-CANONICAL: only where the server verifies the content.
		if len(accepted) == 0 && len(mt.acceptedEcho) == 0 && len(mt.refusedContent) > 0 {
			switch {
			case len(mt.acceptedSpell) > 0:
				violC++
				e.ViolationShown(mt.evSpell, spec.StateCanonical, "%s verifies its requestState (%d content mutations refused) but completed on another spelling of the same bytes: %s; a state with several spellings defeats single-use ledgers and replay caches keyed by its text",
					st.Label(), len(mt.refusedContent), probe.ListSome(mt.acceptedSpell, 3, "; "))
			case len(mt.refusedSpell) > 0:
				passC = append(passC, fmt.Sprintf("%s (%d)", st.Label(), len(mt.refusedSpell)))
			}
		}
	}
	const how = "each on a fresh state, after the same retry with the unaltered state completed (twice); refused by an error, a tool error or a new InputRequiredResult"
	if violI == 0 {
		switch {
		case len(passI) > 0:
			e.Pass(spec.StateIntegrity, "every content mutation of requestState (flipped, truncated and extended bytes of the text and of each decoded segment, changed JSON fields, case, empty) was refused: %s; %s; %s", strings.Join(passI, ", "), how, of)
		case len(tallies) == 0:
			e.Inconclusive(spec.StateIntegrity, "no request that issues requestState could be probed in the time left (%s)", of)
		default:
			e.Skip(spec.StateIntegrity, "no request showed that its requestState matters (it completes without one, or no mutation was answered): %s", of)
		}
	}
	if violA == 0 {
		switch {
		case len(passA) > 0:
			e.Pass(spec.StateIntegrityAlways, "no altered requestState completed a request: %s (%s)", strings.Join(passA, ", "), of)
		case len(decidedByMust) > 0:
			e.Skip(spec.StateIntegrityAlways, "decided under STATE-INTEGRITY, which the evidence makes apply: %s", strings.Join(decidedByMust, ", "))
		case len(tallies) == 0:
			e.Inconclusive(spec.StateIntegrityAlways, "no request that issues requestState could be probed in the time left (%s)", of)
		default:
			e.Skip(spec.StateIntegrityAlways, "every request that issues requestState completes without one too: the state is not needed")
		}
	}
	if violC == 0 {
		if len(passC) > 0 {
			e.Pass(spec.StateCanonical, "other spellings of a verified requestState (padding, alphabet, line breaks, hex case) were refused: %s", strings.Join(passC, ", "))
		} else {
			e.Skip(spec.StateCanonical, "no request both verifies its requestState and spells it in Base64 or hex")
		}
	}
	if violU == 0 {
		if len(passU) > 0 {
			e.Pass(spec.StateUntrusted, "every altered requestState was answered, refused or completed, without a server error or a leaked internal error: %s", strings.Join(passU, ", "))
		} else {
			e.Inconclusive(spec.StateUntrusted, "no altered requestState was answered (%s)", of)
		}
	}
}

// state/binding.

// bindTally counts the probes of one binding dimension.
type bindTally struct {
	probes          int
	refused, errors int
	accepted        []string
	refusedWhat     []string
	notes           []string
	// The exchanges of the first accepted probe and of the first refused
	// with an error, for traces.
	evAccepted, evError []*wire.Exchange
	// unverified: a request that accepted a state does not verify its own
	// (staterun.Target.Unverified); cause is then the findings' cause.
	unverified bool
	cause      string
}

// add counts the outcome of a probe of recipient whose exchanges are ev.
func (b *bindTally) add(oc staterun.Outcome, what string, ev []*wire.Exchange, recipient *staterun.Target) {
	switch {
	case oc.Kind == staterun.OutComplete:
		b.accepted = append(b.accepted, what+": "+oc.Desc)
		firstEvidence(&b.evAccepted, ev)
		b.unverified = b.unverified || recipient.Unverified
	case oc.Kind.Refused():
		b.refused++
		b.refusedWhat = append(b.refusedWhat, what)
		if oc.Kind == staterun.OutError {
			b.errors++
			firstEvidence(&b.evError, ev)
		}
	}
}

// verdict records the dimension's verdicts: accepted is a warning of id
// (a failure with --strict), unless the server binds (it refused some with
// an error) and accepted others: then its verifier is flawed, a
// STATE-INTEGRITY failure.
func (b *bindTally) verdict(e *check.Env, id spec.ID, what, skipWhy string) {
	switch {
	case len(b.accepted) > 0:
		e.ViolationShown(b.evAccepted, id, "%s: %s; the state should be refused", what, probe.ListSome(b.accepted, 3, "; "))
		if b.unverified {
			e.Cause(id, b.cause)
		}
		if b.errors > 0 {
			e.ViolationShown(append(append([]*wire.Exchange(nil), b.evError...), b.evAccepted...), spec.StateIntegrity, "the server binds requestState (it refused %d state(s) of this kind with an error, e.g. %s) but let others through: %s; a verifier that lets some mismatched states through is flawed",
				b.errors, probe.ListSome(b.refusedWhat, 1, "; "), probe.ListSome(b.accepted, 2, "; "))
		}
	case b.refused > 0:
		e.Pass(id, "%s: all %d refused (%s), though the same retries with their own states completed", what, b.refused, probe.ListSome(b.refusedWhat, 3, "; "))
	case skipWhy != "":
		e.Skip(id, "%s", skipWhy)
	default:
		e.Inconclusive(id, "%s: no probe could be completed (%s)", what, probe.ListSome(b.notes, 3, "; "))
	}
}

// checkStateBinding presents fresh states on other requests, with other
// arguments, and as the other principal.
func checkStateBinding(e *check.Env) {
	sr := staterun.Of(e)
	sv := sr.SurveyOf(e)
	if staterun.SurveyVerdicts(e, sv, spec.StateBindRequest, spec.StateBindArgs, spec.StateBindPrincipal) {
		return
	}
	all := probe.ClientWithInputs(e, probe.AllInputKinds...)
	targets := sv.Targets

	// Another request: donors of the same method first, then of another.
	req := &bindTally{cause: sv.Cause()}
	reqSkip := ""
	if len(targets) < 2 {
		reqSkip = fmt.Sprintf("only one request issues requestState (%s): there is no other request to present it on", targets[0].Label())
	}
	// Round robin over the recipients, each with its donors in order, so
	// that a short budget still covers every recipient.
	for round := 0; len(targets) > 1 && round < len(targets)-1; round++ {
		for _, b := range targets {
			if e.Ctx.Err() != nil || e.TimeLeft() < 4*time.Second || req.probes >= maxBindPairs {
				break
			}
			donors := donorsFor(targets, b)
			if round >= len(donors) {
				continue
			}
			a := donors[round]
			mark := e.Mark()
			s, _, ok := sr.FreshState(e, all, a)
			if !ok {
				req.notes = append(req.notes, a.Label()+": no fresh state")
				continue
			}
			req.probes++
			oc := staterun.RetryOutcome(sr.RetryWith(e, all, b.Req, s, b.FinalAnswers))
			what := fmt.Sprintf("%s with a requestState of %s", b.Label(), a.Label())
			if oc.Kind == staterun.OutComplete && b.Stable && oc.Sig != b.Sig {
				what += " (another result than its own state gives)"
			}
			req.add(oc, what, e.Since(mark), b)
		}
	}

	// Other arguments.
	args := &bindTally{cause: sv.Cause()}
	argsSkip := "no request that issues requestState takes arguments"
	for _, st := range targets {
		if e.Ctx.Err() != nil || e.TimeLeft() < 3*time.Second {
			break
		}
		other, ok := otherArguments(e, st)
		if !ok {
			continue
		}
		argsSkip = ""
		t2 := st.Req
		t2.Params = other
		ch := sr.RunChain(e, all, t2, 0)
		if !ch.Ok || ch.Final.Ex == nil || !staterun.Completes(ch.Final) {
			args.notes = append(args.notes, fmt.Sprintf("%s with other arguments was not completed (%s)", st.Label(), staterun.DescribeChain(ch)))
			continue
		}
		mark := e.Mark()
		s, ans, ok := sr.FreshState(e, all, st)
		if !ok {
			continue
		}
		oc := staterun.RetryOutcome(sr.RetryWith(e, all, t2, s, ans))
		args.add(oc, fmt.Sprintf("%s with arguments %s and a requestState issued for %s", st.Label(), compactJSON(other), compactJSON(st.Req.Params)), e.Since(mark), st)
	}

	// Another principal.
	prin := &bindTally{cause: sv.Cause()}
	prinWhy, prinSkip := e.PrincipalsUsable()
	if prinWhy == "" {
		alt := e.AsAlt(all)
		for i, st := range targets {
			if i >= 8 || e.Ctx.Err() != nil || e.TimeLeft() < 2*time.Second {
				break
			}
			ch := sr.RunChain(e, alt, st.Req, 0)
			if !ch.Ok || ch.Final.Ex == nil || !staterun.Completes(ch.Final) {
				prin.notes = append(prin.notes, fmt.Sprintf("%s as the second principal was not completed (%s)", st.Label(), staterun.DescribeChain(ch)))
				continue
			}
			mark := e.Mark()
			s, ans, ok := sr.FreshState(e, all, st)
			if !ok {
				continue
			}
			oc := staterun.RetryOutcome(sr.RetryWith(e, alt, st.Req, s, ans))
			prin.add(oc, fmt.Sprintf("%s by the second principal with a requestState issued to the first", st.Label()), e.Since(mark), st)
		}
	}
	if e.Ctx.Err() != nil {
		return
	}
	req.verdict(e, spec.StateBindRequest, "requestState presented on another request than the one it was issued for", reqSkip)
	args.verdict(e, spec.StateBindArgs, "requestState presented with other arguments than those of its request", argsSkip)
	switch {
	case prinWhy != "" && prinSkip:
		e.Skip(spec.StateBindPrincipal, "%s", prinWhy)
	case prinWhy != "":
		e.Inconclusive(spec.StateBindPrincipal, "%s", prinWhy)
	default:
		prin.verdict(e, spec.StateBindPrincipal, "requestState presented by another principal than the one it was issued to", "")
	}
}

// maxBindPairs bounds the (donor, recipient) pairs of STATE-BIND-REQUEST.
const maxBindPairs = 96

// donorsFor orders the requests whose state is presented on b: those of
// the same method first, alternating with those of other methods.
func donorsFor(targets []*staterun.Target, b *staterun.Target) []*staterun.Target {
	var same, other []*staterun.Target
	for _, a := range targets {
		switch {
		case a == b || (a.Method == b.Method && a.Name == b.Name):
		case a.Method == b.Method:
			same = append(same, a)
		default:
			other = append(other, a)
		}
	}
	var out []*staterun.Target
	for i := 0; i < len(same) || i < len(other); i++ {
		if i < len(same) {
			out = append(out, same[i])
		}
		if i < len(other) {
			out = append(out, other[i])
		}
	}
	return out
}

// otherArguments returns st's params with other arguments: for a tool,
// arguments drawn again from its inputSchema until their canonical form
// differs; for a prompt, one argument's value changed.
func otherArguments(e *check.Env, st *staterun.Target) (map[string]any, bool) {
	switch st.Method {
	case "tools/call":
		td := e.Decl.Tools[st.Name]
		if td == nil {
			return nil, false
		}
		if props, _ := probe.SchemaProps(td.Schema); len(props) == 0 {
			return nil, false
		}
		orig := compactJSON(st.Req.Params["arguments"])
		for i := 0; i < 8; i++ {
			p := probe.ToolCallParams(e, st.Name)
			if compactJSON(p["arguments"]) != orig {
				return p, true
			}
		}
	case "prompts/get":
		args, _ := st.Req.Params["arguments"].(map[string]any)
		if len(args) == 0 {
			return nil, false
		}
		p := probe.CloneParams(st.Req.Params)
		a := p["arguments"].(map[string]any)
		k := slices.Sorted(maps.Keys(a))[0]
		a[k] = fmt.Sprint(a[k]) + "-mcpverify"
		return p, true
	}
	return nil, false
}

func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return staterun.TruncateText(string(b), 120)
}

// state/expiry.

// expiryMargin is added to a lifetime before a state is presented: the
// clocks of checker and server, and the latency of the minting response.
func expiryMargin(l time.Duration) time.Duration { return l/10 + 750*time.Millisecond }

// checkStateExpiry mints fresh states, waits past their lifetime and
// presents them.
func checkStateExpiry(e *check.Env) {
	sr := staterun.Of(e)
	sv := sr.SurveyOf(e)
	if staterun.SurveyVerdicts(e, sv, spec.StateBindExpiry) {
		return
	}
	type expiryProbe struct {
		st       *staterun.Target
		lifetime time.Duration
		why      string
	}
	var probes []expiryProbe
	if e.StateTTLMax() > 0 {
		src := "--state-ttl-max"
		if e.Opts.StateTTLMax == 0 {
			src = "the hints' stateTTLMax"
		}
		for _, st := range sv.Targets {
			probes = append(probes, expiryProbe{st, e.StateTTLMax(), src})
		}
	} else {
		for _, st := range sv.Targets {
			if st.Lifetime > 0 {
				probes = append(probes, expiryProbe{st, st.Lifetime, st.LifetimeWhy})
			}
		}
	}
	if len(probes) == 0 {
		e.Skip(spec.StateBindExpiry, "no state lifetime is known: neither --state-ttl-max nor the hints give one, and no request that issues requestState states one in its description")
		return
	}
	sort.SliceStable(probes, func(i, j int) bool { return probes[i].lifetime < probes[j].lifetime })
	wait := probes[0].lifetime + expiryMargin(probes[0].lifetime)
	budget := e.TimeLeft() - 3*time.Second
	if wait > budget {
		msg := fmt.Sprintf("the shortest known lifetime of requestState is %v (%s, %s); presenting a state after it would take %v, more than this check has left (%v): raise --budget (and the check's time) or lower the lifetime to test it",
			probes[0].lifetime, probes[0].st.Label(), probes[0].why, wait.Round(time.Millisecond), budget.Round(time.Second))
		if e.StateTTLMax() > 0 {
			e.Inconclusive(spec.StateBindExpiry, "%s", msg)
		} else {
			// Only the server's own description: the user did not ask for
			// the wait.
			e.Skip(spec.StateBindExpiry, "not tested: %s, or give --state-ttl-max", msg)
		}
		return
	}
	all := probe.ClientWithInputs(e, probe.AllInputKinds...)
	type minted struct {
		p     expiryProbe
		state string
		ans   map[string]any
		at    time.Time
	}
	var ms []minted
	mark := e.Mark()
	for _, p := range probes {
		if len(ms) >= 4 || p.lifetime > probes[0].lifetime || e.Ctx.Err() != nil {
			break
		}
		if s, ans, ok := sr.FreshState(e, all, p.st); ok {
			ms = append(ms, minted{p, s, ans, time.Now()})
		}
	}
	if len(ms) == 0 {
		e.Inconclusive(spec.StateBindExpiry, "no fresh state could be minted")
		return
	}
	if !check.Pause(e.Ctx, wait) {
		return
	}
	var refused, accepted []string
	for _, m := range ms {
		age := time.Since(m.at).Round(10 * time.Millisecond)
		oc := staterun.RetryOutcome(sr.RetryWith(e, all, m.p.st.Req, m.state, m.ans))
		what := fmt.Sprintf("%s with a requestState minted %v before, past the lifetime %v (%s): %s", m.p.st.Label(), age, m.p.lifetime, m.p.why, oc.Desc)
		switch {
		case oc.Kind == staterun.OutComplete:
			accepted = append(accepted, what)
		case oc.Kind.Refused():
			refused = append(refused, what)
		}
	}
	switch {
	case len(accepted) > 0:
		e.ViolationShown(e.Since(mark), spec.StateBindExpiry, "%s; a requestState should carry a short expiry and be refused after it", probe.ListSome(accepted, 3, "; "))
	case len(refused) > 0:
		e.Pass(spec.StateBindExpiry, "%s; the same retries with fresh states completed", probe.ListSome(refused, 3, "; "))
	default:
		e.Inconclusive(spec.StateBindExpiry, "no expired state was answered")
	}
}

// state/single-use.

// checkStateSingleUse presents a completed state again where single use is
// claimed: as issued, then in every other spelling.
func checkStateSingleUse(e *check.Env) {
	sr := staterun.Of(e)
	sv := sr.SurveyOf(e)
	if staterun.SurveyVerdicts(e, sv, spec.StateSingleUse) {
		return
	}
	all := probe.ClientWithInputs(e, probe.AllInputKinds...)
	var claimed []*staterun.Target
	var whys []string
	for _, st := range sv.Targets {
		if why := e.SingleUseWhy(st.Method, st.Name); why != "" {
			claimed = append(claimed, st)
			whys = append(whys, st.Label()+": "+why)
		}
	}
	if len(claimed) == 0 {
		e.Skip(spec.StateSingleUse, "no request that issues requestState says its state is single-use (in its description or in --hints)")
		return
	}
	var refused, accepted, notes []string
	var evAccepted []*wire.Exchange
	for _, st := range claimed {
		if e.Ctx.Err() != nil || e.TimeLeft() < time.Second {
			break
		}
		mark := e.Mark()
		s, ans, ok := sr.FreshState(e, all, st)
		if !ok {
			notes = append(notes, st.Label()+": no fresh state")
			continue
		}
		first := staterun.RetryOutcome(sr.RetryWith(e, all, st.Req, s, ans))
		if first.Kind != staterun.OutComplete {
			notes = append(notes, fmt.Sprintf("%s: the first use of a fresh state was %s", st.Label(), first.Desc))
			continue
		}
		replays := []staterun.Mutation{{Family: "replay", What: "the same requestState again", Value: s}}
		for _, m := range staterun.Mutations(s) {
			if !m.Content {
				replays = append(replays, staterun.Mutation{Family: "replay", What: "the same requestState again as " + m.What, Value: m.Value})
			}
		}
		for _, r := range replays {
			oc := staterun.RetryOutcome(sr.RetryWith(e, all, st.Req, r.Value, ans))
			what := fmt.Sprintf("%s (%s) with %s, after it completed once: %s", st.Label(), whyShort(e, st), r.What, oc.Desc)
			switch {
			case oc.Kind == staterun.OutComplete:
				accepted = append(accepted, what)
				firstEvidence(&evAccepted, e.Since(mark))
			case oc.Kind.Refused():
				refused = append(refused, what)
			}
		}
	}
	if e.Ctx.Err() != nil {
		return
	}
	switch {
	case len(accepted) > 0:
		e.ViolationShown(evAccepted, spec.StateSingleUse, "%s; state that must be consumed at most once must be enforced server-side", probe.ListSome(accepted, 3, "; "))
	case len(refused) > 0:
		e.Pass(spec.StateSingleUse, "a used single-use requestState was refused when presented again (%d presentations: %s)", len(refused), probe.ListSome(refused, 2, "; "))
	default:
		e.Inconclusive(spec.StateSingleUse, "no replay could be judged: %s (single use claimed: %s)", probe.ListSome(notes, 3, "; "), strings.Join(whys, "; "))
	}
}

func whyShort(e *check.Env, st *staterun.Target) string {
	return "single use: " + e.SingleUseWhy(st.Method, st.Name)
}
