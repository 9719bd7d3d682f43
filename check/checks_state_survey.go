package check

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// What the state checks (checks_state.go, checks_handles.go) share: the
// identities and the authentication probe, the model's configuration, the
// survey of the requests that issue requestState, the retry chains and the
// classification of their answers.

// Identities and what the run knows.

// stateRun is what the state checks of one run share: the requests that
// issue state (the survey) and the turn of the instances.
type stateRun struct {
	mu     sync.Mutex
	survey *stateSurvey
	turn   int
}

// stateRunKey keys the run's stateRun (check.Shared).
type stateRunKey struct{}

// stateOf returns the run's state knowledge.
func stateOf(e *Env) *stateRun {
	return Shared(e, stateRunKey{}, func() *stateRun { return &stateRun{} })
}

// nextInstance returns the instance of the next request, round robin over
// the deployment's instances: consecutive requests of a chain land on
// different instances.
func (sr *stateRun) nextInstance(e *Env) int {
	sr.mu.Lock()
	defer sr.mu.Unlock()
	sr.turn++
	return sr.turn % e.Instances()
}

// The survey.

// stateTarget is a request whose completing round carries a requestState
// and whose baseline completes.
type stateTarget struct {
	t      mrtrTarget
	method string
	name   string // tool or prompt name, or URI
	rounds int    // InputRequiredResults before completion
	// sig is the completed result with volatile values masked; stable
	// when two baselines gave the same.
	sig    string
	stable bool
	// state is the final round's state of the baseline; finalAnswers the
	// responses to that round.
	state        string
	finalAnswers map[string]any
	// absent: the retry without requestState completed with the same
	// result: the request does not need its state.
	absent bool
	// readable lists fields of the state that name a principal, a tool,
	// an amount or a path (evidence (c)).
	readable []string
	// lifetime stated by the request's description ("expires after 10
	// minutes"), and the words.
	lifetime    time.Duration
	lifetimeWhy string
}

func (st *stateTarget) label() string { return st.t.label }

// stateSurvey is what the survey found.
type stateSurvey struct {
	targets []*stateTarget
	// issuers counts the requests answered with a requestState at some
	// round; broken lists those whose proper chain did not complete.
	issuers int
	broken  []string
	// notFinal lists requests whose state was not on the completing round.
	notFinal []string
	surveyed int
}

// chainRun is one run of the retry protocol: each round's
// InputRequiredResult and the responses generated for it, and the answer
// to the last retry (none when stopped before it).
type chainRun struct {
	irrs    []*wire.InputRequiredResult
	answers []map[string]any
	final   Observation
	ok      bool // every round could be answered
}

// last returns the last round's state ("" if none) and responses.
func (c *chainRun) last() (string, map[string]any) {
	if len(c.irrs) == 0 {
		return "", nil
	}
	irr := c.irrs[len(c.irrs)-1]
	s := ""
	if irr.RequestState != nil {
		s = *irr.RequestState
	}
	return s, c.answers[len(c.answers)-1]
}

// runChain runs target t as client c from its first request, answering
// each round and echoing its state, each request on the next instance. It
// stops before the retry of round stopAt (0: run to the end) and gives up
// after maxRounds.
func (sr *stateRun) runChain(e *Env, c Client, t mrtrTarget, stopAt int) *chainRun {
	ch := &chainRun{}
	o := e.SendTo(sr.nextInstance(e), t.request(e, c, nil))
	irr, more := inputRequiredOf(o)
	if !more {
		ch.final = o
		return ch
	}
	for round := 1; round <= maxRounds && e.Ctx.Err() == nil; round++ {
		ans, ok := answers(e, irr)
		if !ok {
			return ch
		}
		ch.irrs, ch.answers = append(ch.irrs, irr), append(ch.answers, ans)
		if round == stopAt {
			ch.ok = true
			return ch
		}
		o = e.SendTo(sr.nextInstance(e), t.request(e, c, retryAdd(irr, ans)))
		next, more := inputRequiredOf(o)
		if !more || (len(next.InputRequests) == 0 && next.RequestState == nil) {
			ch.final, ch.ok = o, true
			return ch
		}
		irr = next
	}
	return ch
}

// retryWith sends the final retry of target t as client c with the given
// state and responses, on the next instance.
func (sr *stateRun) retryWith(e *Env, c Client, t mrtrTarget, state string, responses map[string]any) Observation {
	add := map[string]any{"requestState": state}
	if responses != nil {
		add["inputResponses"] = responses
	}
	return e.SendTo(sr.nextInstance(e), t.request(e, c, add))
}

// freshState mints a fresh state of st as client c: a chain stopped before
// its final retry.
func (sr *stateRun) freshState(e *Env, c Client, st *stateTarget) (string, map[string]any, bool) {
	ch := sr.runChain(e, c, st.t, st.rounds)
	if !ch.ok || len(ch.irrs) != st.rounds {
		return "", nil, false
	}
	s, ans := ch.last()
	return s, ans, s != ""
}

// outKind is what answered a retry.
type outKind uint8

const (
	outNone      outKind = iota // no answer: timed out, dropped, no JSON-RPC response
	outBusy                     // 429 or 503: not judged
	outError                    // a JSON-RPC error or an HTTP error status
	outToolError                // a CallToolResult with isError
	outReprompt                 // an InputRequiredResult
	outComplete                 // a complete result
)

func (k outKind) refused() bool { return k == outError || k == outToolError || k == outReprompt }

// stateOutcome classifies an answer and, for a completion, its signature.
type stateOutcome struct {
	kind outKind
	sig  string
	desc string
}

func retryOutcome(o Observation) stateOutcome {
	out := stateOutcome{desc: o.Describe()}
	switch {
	case !o.Answered():
		out.kind = outNone
	case o.Ex.Transport == wire.HTTP && (o.Ex.Status == http.StatusTooManyRequests || o.Ex.Status == http.StatusServiceUnavailable):
		out.kind = outBusy
	case o.Rejected():
		out.kind = outError
	case !o.Accepted():
		out.kind = outNone
	default:
		switch r := o.Result().(type) {
		case *wire.InputRequiredResult:
			out.kind, out.desc = outReprompt, out.desc+" (a new InputRequiredResult)"
		case *wire.CallToolResult:
			if r.IsError != nil && *r.IsError {
				out.kind, out.desc = outToolError, out.desc+" (a tool error)"
			} else {
				out.kind, out.sig, out.desc = outComplete, resultSig(o), out.desc+" (complete)"
			}
		default:
			out.kind, out.sig, out.desc = outComplete, resultSig(o), out.desc+" (complete)"
		}
	}
	return out
}

// completes reports a complete result (a tool's without isError).
func completes(o Observation) bool { return retryOutcome(o).kind == outComplete }

var (
	volatileTime  = regexp.MustCompile(`\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?`)
	volatileDigit = regexp.MustCompile(`\d{10,}`)
	volatileToken = regexp.MustCompile(`[A-Za-z0-9_\-]{16,}`)
)

// resultSig is the complete result of o with _meta and caching hints
// dropped and volatile values (timestamps, long numbers, random-looking
// tokens) masked, so that two runs of the same request compare equal.
func resultSig(o Observation) string {
	var raw wire.Value
	for _, r := range o.Ex.Replies {
		if m, ok := r.Msg.(*wire.JSONRPCResultResponse); ok {
			raw = m.Result
		}
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return string(raw)
	}
	delete(m, "_meta")
	delete(m, "ttlMs")
	delete(m, "cacheScope")
	b, _ := json.Marshal(m)
	s := volatileTime.ReplaceAllString(string(b), "<time>")
	s = volatileDigit.ReplaceAllString(s, "<n>")
	return volatileToken.ReplaceAllStringFunc(s, func(t string) string {
		classes := 0
		for _, set := range []string{"abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789"} {
			if strings.ContainsAny(t, set) {
				classes++
			}
		}
		if classes >= 2 {
			return "<id>"
		}
		return t
	})
}

// stateLifetime reads a lifetime a description states ("expires after 10
// minutes", "valid for 30 s").
var stateLifetime = regexp.MustCompile(`(?i)\b(?:expires?|expiry|valid|lives?|lifetime|ttl)\b\D{0,24}?(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)\b`)

func parseLifetime(desc string) (time.Duration, string) {
	m := stateLifetime.FindStringSubmatch(desc)
	if m == nil {
		return 0, ""
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil || n <= 0 {
		return 0, ""
	}
	unit := time.Second
	switch u := strings.ToLower(m[2]); {
	case strings.HasPrefix(u, "ms"), strings.HasPrefix(u, "milli"):
		unit = time.Millisecond
	case strings.HasPrefix(u, "m"):
		unit = time.Minute
	case strings.HasPrefix(u, "h"):
		unit = time.Hour
	case strings.HasPrefix(u, "d"):
		unit = 24 * time.Hour
	}
	return time.Duration(n * float64(unit)), fmt.Sprintf("its description says %q", m[0])
}

// surveyOf runs the survey once per run.
func (sr *stateRun) surveyOf(e *Env) *stateSurvey {
	sr.mu.Lock()
	sv := sr.survey
	sr.mu.Unlock()
	if sv != nil {
		return sv
	}
	sv = sr.runSurvey(e)
	sr.mu.Lock()
	sr.survey = sv
	sr.mu.Unlock()
	return sv
}

// surveyReserve is the time of its check the survey leaves to the probes.
const surveyReserve = 5 * time.Second

func (sr *stateRun) runSurvey(e *Env) *stateSurvey {
	// Who is who before any state is minted: the model records the
	// principal of each minting.
	e.ProbeAuth()
	sv := &stateSurvey{}
	all := clientWithInputs(e, allInputKinds...)
	var cands []mrtrTarget
	names := toolsByHint(e, mrtrHint)
	// Requests that claim single use or are hinted first.
	sort.SliceStable(names, func(i, j int) bool {
		return e.SingleUseWhy("tools/call", names[i]) != "" && e.SingleUseWhy("tools/call", names[j]) == ""
	})
	for _, n := range names {
		cands = append(cands, mrtrTarget{"tools/call", nil, "tool " + n})
	}
	for _, n := range slices.Sorted(maps.Keys(e.Decl.Prompts)) {
		cands = append(cands, mrtrTarget{"prompts/get", promptParams(e, e.Decl.Prompts[n]), "prompt " + n})
	}
	var uris []string
	if e.Server.Capabilities.Resources != nil {
		uris = declaredResourceURIs(e)
	}
	for _, tm := range slices.Sorted(maps.Keys(e.Decl.Templates)) {
		uris = append(uris, ExpandTemplate(e.Rand(), tm))
	}
	for _, u := range uris {
		cands = append(cands, mrtrTarget{"resources/read", map[string]any{"uri": u}, "resource " + u})
	}
	for _, t := range cands {
		if e.Ctx.Err() != nil || e.TimeLeft() < surveyReserve {
			break
		}
		sv.surveyed++
		var first Observation
		if t.method == "tools/call" {
			name := strings.TrimPrefix(t.label, "tool ")
			t.params, first = callTool(e, all, name, nil, 3, callTimeout)
		} else {
			first = e.Send(t.request(e, all, nil))
		}
		if _, ok := inputRequiredOf(first); !ok {
			continue
		}
		if st := sr.surveyOne(e, all, t, sv); st != nil {
			sv.targets = append(sv.targets, st)
		}
	}
	return sv
}

// surveyOne runs the chains of one request that asked for input.
func (sr *stateRun) surveyOne(e *Env, all Client, t mrtrTarget, sv *stateSurvey) *stateTarget {
	ch := sr.runChain(e, all, t, 0)
	hasState := false
	for _, irr := range ch.irrs {
		hasState = hasState || irr.RequestState != nil
	}
	if !hasState {
		return nil
	}
	sv.issuers++
	s, ans := ch.last()
	switch {
	case !ch.ok || ch.final.Ex == nil:
		sv.broken = append(sv.broken, fmt.Sprintf("%s: no valid responses could be generated for its input requests", t.label))
		return nil
	case !completes(ch.final):
		sv.broken = append(sv.broken, fmt.Sprintf("%s: the retry with the requested input and the exact state was %s", t.label, retryOutcome(ch.final).desc))
		return nil
	case s == "":
		sv.notFinal = append(sv.notFinal, t.label)
		return nil
	}
	st := &stateTarget{t: t, method: t.method, rounds: len(ch.irrs), sig: retryOutcome(ch.final).sig, state: s, finalAnswers: ans}
	switch t.method {
	case "resources/read":
		st.name, _ = t.params["uri"].(string)
	default:
		st.name, _ = t.params["name"].(string)
	}
	// The second baseline: the result is stable, and a fresh chain
	// completes (single use does not stop the next confirmation).
	ch2 := sr.runChain(e, all, t, 0)
	if !ch2.ok || ch2.final.Ex == nil || !completes(ch2.final) {
		sv.broken = append(sv.broken, fmt.Sprintf("%s: a second run of the same request was not completed (%s)", t.label, describeChain(ch2)))
		return nil
	}
	st.stable = retryOutcome(ch2.final).sig == st.sig
	// Without any state.
	if ch3 := sr.runChain(e, all, t, st.rounds); ch3.ok && len(ch3.irrs) == st.rounds {
		_, ans3 := ch3.last()
		add := map[string]any{"inputResponses": ans3}
		o := e.SendTo(sr.nextInstance(e), t.request(e, all, add))
		if oc := retryOutcome(o); oc.kind == outComplete && (!st.stable || oc.sig == st.sig) {
			st.absent = true
		}
	}
	tools := map[string]bool{}
	for n := range e.Decl.Tools {
		tools[n] = true
	}
	for n := range e.Decl.Prompts {
		tools[n] = true
	}
	st.readable = readableFields(s, tools)
	desc := ""
	switch st.method {
	case "tools/call":
		if td := e.Decl.Tools[st.name]; td != nil {
			desc = td.Tool.Description
		}
	case "prompts/get":
		if p := e.Decl.Prompts[st.name]; p != nil {
			desc = p.Description
		}
	}
	st.lifetime, st.lifetimeWhy = parseLifetime(desc)
	return st
}

func describeChain(ch *chainRun) string {
	switch {
	case ch.final.Ex != nil:
		return retryOutcome(ch.final).desc
	case !ch.ok:
		return "its input requests could not be answered"
	}
	return "it asked for input more than " + strconv.Itoa(maxRounds) + " times"
}

// surveyVerdicts records, for ids, what an empty survey means: skip when no
// request issued state, inconclusive when none could be completed. It
// reports whether the survey is empty.
func surveyVerdicts(e *Env, sv *stateSurvey, ids ...spec.ID) bool {
	if len(sv.targets) > 0 {
		return false
	}
	for _, id := range ids {
		switch {
		case e.Ctx.Err() != nil:
		case len(sv.broken) > 0:
			e.Inconclusive(id, "no request that issues requestState completed its baseline: %s", strings.Join(sv.broken, "; "))
		case len(sv.notFinal) > 0:
			e.Skip(id, "requestState appears only on rounds before the last of %s; the checks present altered state on the completing round", strings.Join(sv.notFinal, ", "))
		default:
			e.Skip(id, "no request issues requestState (%d tools, prompts and resources called as a client with every input capability)", sv.surveyed)
		}
	}
	return true
}
