package staterun

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

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/probe"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// What the state checks (areas state and handles) share: the
// identities and the authentication probe, the model's configuration, the
// survey of the requests that issue requestState, the retry chains and the
// classification of their answers.

// Identities and what the run knows.

// Shared is what the state checks of one run share besides the survey
// (SurveyOf): the turn of the instances.
type Shared struct {
	mu   sync.Mutex
	turn int
}

// stateRunKey keys the run's stateRun (check.Shared).
type stateRunKey struct{}

// Of returns the run's state knowledge.
func Of(e *check.Env) *Shared {
	return check.Shared(e, stateRunKey{}, func() *Shared { return &Shared{} })
}

// nextInstance returns the instance of the next request, round robin over
// the deployment's instances: consecutive requests of a chain land on
// different instances.
func (sr *Shared) nextInstance(e *check.Env) int {
	sr.mu.Lock()
	defer sr.mu.Unlock()
	sr.turn++
	return sr.turn % e.Instances()
}

// The survey.

// Target is a request whose completing round carries a requestState
// and whose unaltered request completes.
type Target struct {
	Req    probe.Retryable
	Method string
	Name   string // tool or prompt name, or URI
	rounds int    // InputRequiredResults before completion
	// Sig is the completed result with volatile values masked; stable
	// when two unaltered requests gave the same.
	Sig    string
	Stable bool
	// State is the final round's state of the unaltered request; finalAnswers the
	// responses to that round.
	State        string
	FinalAnswers map[string]any
	// Absent: the retry without requestState completed with the same
	// result: the request does not need its state.
	Absent bool
	// Readable lists fields of the state that name a principal, a tool,
	// an amount or a path (evidence (c)).
	Readable []string
	// Supplied lists the values the client itself supplied in the flow
	// (arguments, input responses): what an echo carries back (Echo).
	Supplied []string
	// Unverified: a fresh state with its first character changed completed
	// the request.
	Unverified bool
	// Lifetime stated by the request's description ("expires after 10
	// minutes"), and the words.
	Lifetime    time.Duration
	LifetimeWhy string
}

func (st *Target) Label() string { return st.Req.Label }

// Survey is what the survey found.
type Survey struct {
	Targets []*Target
	// issuers counts the requests answered with a requestState at some
	// round; broken lists those whose proper chain did not complete.
	issuers int
	broken  []string
	// notFinal lists requests whose state was not on the completing round.
	notFinal []string
	surveyed int
}

// Cause is the cause that the state findings about unverified states
// share (check.Env.Cause), naming every request whose state is not
// verified; "" when every state was.
func (sv *Survey) Cause() string {
	var names []string
	for _, st := range sv.Targets {
		if st.Unverified {
			names = append(names, st.Label())
		}
	}
	if len(names) == 0 {
		return ""
	}
	return "the server does not verify requestState: a state with a character changed completes the request (" + strings.Join(names, ", ") + ")"
}

// Chain is one run of the retry protocol: each round's
// InputRequiredResult and the responses generated for it, and the answer
// to the last retry (none when stopped before it).
type Chain struct {
	irrs    []*wire.InputRequiredResult
	answers []map[string]any
	Final   check.Observation
	Ok      bool // every round could be answered
}

// last returns the last round's state ("" if none) and responses.
func (c *Chain) last() (string, map[string]any) {
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

// RunChain runs target t as client c from its first request, answering
// each round and echoing its state, each request on the next instance. It
// stops before the retry of round stopAt (0: run to the end) and gives up
// after maxRounds.
func (sr *Shared) RunChain(e *check.Env, c check.Client, t probe.Retryable, stopAt int) *Chain {
	ch := &Chain{}
	o := e.SendTo(sr.nextInstance(e), t.Request(e, c, nil))
	irr, more := probe.InputRequired(o)
	if !more {
		ch.Final = o
		return ch
	}
	for round := 1; round <= probe.MaxRounds && e.Ctx.Err() == nil; round++ {
		ans, ok := probe.Answers(e, irr)
		if !ok {
			return ch
		}
		ch.irrs, ch.answers = append(ch.irrs, irr), append(ch.answers, ans)
		if round == stopAt {
			ch.Ok = true
			return ch
		}
		o = e.SendTo(sr.nextInstance(e), t.Request(e, c, probe.RetryParams(irr, ans)))
		next, more := probe.InputRequired(o)
		if !more || (len(next.InputRequests) == 0 && next.RequestState == nil) {
			ch.Final, ch.Ok = o, true
			return ch
		}
		irr = next
	}
	return ch
}

// RetryWith sends the final retry of target t as client c with the given
// state and responses, on the next instance.
func (sr *Shared) RetryWith(e *check.Env, c check.Client, t probe.Retryable, state string, responses map[string]any) check.Observation {
	add := map[string]any{"requestState": state}
	if responses != nil {
		add["inputResponses"] = responses
	}
	return e.SendTo(sr.nextInstance(e), t.Request(e, c, add))
}

// FreshState mints a fresh state of st as client c: a chain stopped before
// its final retry.
func (sr *Shared) FreshState(e *check.Env, c check.Client, st *Target) (string, map[string]any, bool) {
	ch := sr.RunChain(e, c, st.Req, st.rounds)
	if !ch.Ok || len(ch.irrs) != st.rounds {
		return "", nil, false
	}
	s, ans := ch.last()
	return s, ans, s != ""
}

// OutKind is what answered a retry.
type OutKind uint8

const (
	OutNone      OutKind = iota // no answer: timed out, dropped, no JSON-RPC response
	OutBusy                     // 429 or 503: not judged
	OutError                    // a JSON-RPC error or an HTTP error status
	OutToolError                // a CallToolResult with isError
	outReprompt                 // an InputRequiredResult
	OutComplete                 // a complete result
)

func (k OutKind) Refused() bool { return k == OutError || k == OutToolError || k == outReprompt }

// Outcome classifies an answer and, for a completion, its signature.
type Outcome struct {
	Kind OutKind
	Sig  string
	Desc string
	// Fault: the answer shows that the server failed on the request
	// rather than refused it (Fault).
	Fault string
}

func RetryOutcome(o check.Observation) Outcome {
	out := Outcome{Desc: o.Describe(), Fault: Fault(o)}
	switch {
	case !o.Answered():
		out.Kind = OutNone
	case o.Ex.Transport == wire.HTTP && (o.Ex.Status == http.StatusTooManyRequests || o.Ex.Status == http.StatusServiceUnavailable):
		out.Kind = OutBusy
	case o.Rejected():
		out.Kind = OutError
	case !o.Accepted():
		out.Kind = OutNone
	default:
		switch r := o.Result().(type) {
		case *wire.InputRequiredResult:
			out.Kind, out.Desc = outReprompt, out.Desc+" (a new InputRequiredResult)"
		case *wire.CallToolResult:
			if r.IsError != nil && *r.IsError {
				out.Kind, out.Desc = OutToolError, out.Desc+" (a tool error)"
			} else {
				out.Kind, out.Sig, out.Desc = OutComplete, ResultSig(o), out.Desc+" (complete)"
			}
		default:
			out.Kind, out.Sig, out.Desc = OutComplete, ResultSig(o), out.Desc+" (complete)"
		}
	}
	return out
}

// Completes reports a complete result (a tool's without isError).
func Completes(o check.Observation) bool { return RetryOutcome(o).Kind == OutComplete }

var (
	volatileTime  = regexp.MustCompile(`\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?`)
	volatileDigit = regexp.MustCompile(`\d{10,}`)
	volatileToken = regexp.MustCompile(`[A-Za-z0-9_\-]{16,}`)
)

// ResultSig is the complete result of o with _meta and caching hints
// dropped and volatile values (timestamps, long numbers, random-looking
// tokens) masked, so that two runs of the same request compare equal.
func ResultSig(o check.Observation) string {
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

func ParseLifetime(desc string) (time.Duration, string) {
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

// surveyKey keys the run's survey (check.Shared).
type surveyKey struct{}

// SurveyOf runs the survey once per run.
func (sr *Shared) SurveyOf(e *check.Env) *Survey {
	return check.Shared(e, surveyKey{}, func() *Survey { return sr.runSurvey(e) })
}

// surveyReserve is the time of its check the survey leaves to the probes.
const surveyReserve = 5 * time.Second

func (sr *Shared) runSurvey(e *check.Env) *Survey {
	// Who is who before any state is minted: the model records the
	// principal of each minting.
	e.ProbeAuth()
	sv := &Survey{}
	all := probe.ClientWithInputs(e, probe.AllInputKinds...)
	var cands []probe.Retryable
	names := probe.ToolsByHint(e, probe.MRTRHint)
	// Requests that claim single use or are hinted first.
	sort.SliceStable(names, func(i, j int) bool {
		return e.SingleUseWhy("tools/call", names[i]) != "" && e.SingleUseWhy("tools/call", names[j]) == ""
	})
	for _, n := range names {
		cands = append(cands, probe.ToolRequest(n, nil))
	}
	for _, n := range slices.Sorted(maps.Keys(e.Decl.Prompts)) {
		cands = append(cands, probe.PromptRequest(e, n))
	}
	for _, u := range probe.ReadableURIs(e) {
		cands = append(cands, probe.ResourceRequest(u))
	}
	for _, t := range cands {
		if e.Ctx.Err() != nil || e.TimeLeft() < surveyReserve {
			break
		}
		sv.surveyed++
		var first check.Observation
		if t.Method == "tools/call" {
			name := strings.TrimPrefix(t.Label, "tool ")
			t.Params, first = probe.CallTool(e, all, name, nil, 3, probe.CallTimeout)
		} else {
			first = e.Send(t.Request(e, all, nil))
		}
		if _, ok := probe.InputRequired(first); !ok {
			continue
		}
		if st := sr.surveyOne(e, all, t, sv); st != nil {
			sv.Targets = append(sv.Targets, st)
		}
	}
	return sv
}

// surveyOne runs the chains of one request that asked for input.
func (sr *Shared) surveyOne(e *check.Env, all check.Client, t probe.Retryable, sv *Survey) *Target {
	ch := sr.RunChain(e, all, t, 0)
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
	case !ch.Ok || ch.Final.Ex == nil:
		sv.broken = append(sv.broken, fmt.Sprintf("%s: no valid responses could be generated for its input requests", t.Label))
		return nil
	case !Completes(ch.Final):
		sv.broken = append(sv.broken, fmt.Sprintf("%s: the retry with the requested input and the exact state was %s", t.Label, RetryOutcome(ch.Final).Desc))
		return nil
	case s == "":
		sv.notFinal = append(sv.notFinal, t.Label)
		return nil
	}
	st := &Target{Req: t, Method: t.Method, rounds: len(ch.irrs), Sig: RetryOutcome(ch.Final).Sig, State: s, FinalAnswers: ans,
		Supplied: supplied(t.Params, ch.answers)}
	switch t.Method {
	case "resources/read":
		st.Name, _ = t.Params["uri"].(string)
	default:
		st.Name, _ = t.Params["name"].(string)
	}
	// The second unaltered request: the result is stable, and a fresh chain
	// completes (single use does not stop the next confirmation).
	ch2 := sr.RunChain(e, all, t, 0)
	if !ch2.Ok || ch2.Final.Ex == nil || !Completes(ch2.Final) {
		sv.broken = append(sv.broken, fmt.Sprintf("%s: a second run of the same request was not completed (%s)", t.Label, DescribeChain(ch2)))
		return nil
	}
	st.Stable = RetryOutcome(ch2.Final).Sig == st.Sig
	// Without any state.
	if ch3 := sr.RunChain(e, all, t, st.rounds); ch3.Ok && len(ch3.irrs) == st.rounds {
		_, ans3 := ch3.last()
		add := map[string]any{"inputResponses": ans3}
		o := e.SendTo(sr.nextInstance(e), t.Request(e, all, add))
		if oc := RetryOutcome(o); oc.Kind == OutComplete && (!st.Stable || oc.Sig == st.Sig) {
			st.Absent = true
		}
	}
	// With a character of a fresh state changed: a state the server does
	// not verify is the cause that several findings share (Survey.Cause).
	if fresh, ans, ok := sr.FreshState(e, all, st); ok && !st.Absent {
		b := []byte(fresh)
		b[0] = NextInClass(b[0])
		st.Unverified = Completes(sr.RetryWith(e, all, t, string(b), ans))
	}
	tools := map[string]bool{}
	for n := range e.Decl.Tools {
		tools[n] = true
	}
	for n := range e.Decl.Prompts {
		tools[n] = true
	}
	st.Readable = ReadableFields(s, tools)
	desc := ""
	switch st.Method {
	case "tools/call":
		if td := e.Decl.Tools[st.Name]; td != nil {
			desc = td.Tool.Description
		}
	case "prompts/get":
		if p := e.Decl.Prompts[st.Name]; p != nil {
			desc = p.Description
		}
	}
	st.Lifetime, st.LifetimeWhy = ParseLifetime(desc)
	return st
}

func DescribeChain(ch *Chain) string {
	switch {
	case ch.Final.Ex != nil:
		return RetryOutcome(ch.Final).Desc
	case !ch.Ok:
		return "its input requests could not be answered"
	}
	return "it asked for input more than " + strconv.Itoa(probe.MaxRounds) + " times"
}

// SurveyVerdicts records, for ids, what an empty survey means: skip when no
// request issued state, inconclusive when none could be completed. It
// reports whether the survey is empty.
func SurveyVerdicts(e *check.Env, sv *Survey, ids ...spec.ID) bool {
	if len(sv.Targets) > 0 {
		return false
	}
	for _, id := range ids {
		switch {
		case e.Ctx.Err() != nil:
		case len(sv.broken) > 0:
			e.Inconclusive(id, "no request that issues requestState completed unaltered: %s", strings.Join(sv.broken, "; "))
		case len(sv.notFinal) > 0:
			e.Skip(id, "requestState appears only on rounds before the last of %s; the checks present altered state on the completing round", strings.Join(sv.notFinal, ", "))
		default:
			e.Skip(id, "no request issues requestState (%d tools, prompts and resources called as a client with every input capability)", sv.surveyed)
		}
	}
	return true
}
