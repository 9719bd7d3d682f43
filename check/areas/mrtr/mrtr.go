package mrtr

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/probe"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Checks of multi round-trip requests (basic/patterns/mrtr.mdx) and of
// client capabilities (basic/index.mdx, "_meta": MissingRequiredClient-
// Capability).
//
// Every tool, prompt, resource and template is called as a client with
// every input capability (elicitation, sampling, roots) and as one with
// none (and, where input was asked for, with all but each kind asked). The
// model judges each InputRequiredResult (allowed method, input kinds the
// request's clientCapabilities declare, known kinds, at least one of
// inputRequests and requestState) and each -32021 (its data). Where input
// is asked for, the checker answers every input request with a generated
// valid response and retries with the same params, the responses and the
// exact requestState, round after round (bounded); then it probes the
// error handling of retries, each probe on a fresh InputRequiredResult
// (state may be single-use): a retry missing a response, one with an
// unrequested response, and malformed inputResponses. Tampering with
// requestState is the business of the state checks.

func init() {
	needs := func(e *check.Env) string {
		c := e.Server.Capabilities
		if c.Tools == nil && c.Prompts == nil && c.Resources == nil {
			return "the server declares none of tools, prompts and resources (the methods that may ask for input)"
		}
		return ""
	}
	check.Register(&check.Check{
		Name:  "mrtr/capabilities",
		IDs:   []spec.ID{spec.CoreMrtrCapability, spec.CoreCapabilityRequired},
		Needs: needs,
		Run:   checkMrtrCapabilities,
	})
	check.Register(&check.Check{
		Name:  "mrtr/retry",
		IDs:   []spec.ID{spec.CoreMrtrAskAgain, spec.CoreMrtrIgnoreUnknown, spec.CoreMrtrProtocolError, spec.CoreMrtrValidateResponses},
		Needs: needs,
		Run:   checkMrtrRetry,
	})
}

// capabilityOfInput maps an input request's method to its capability.
func capabilityOfInput(method string) string { return wire.InputRequestCapability[method] }

// inputKinds maps each key of the input requests to its method.
func inputKinds(r *wire.InputRequiredResult) map[string]string {
	out := map[string]string{}
	for k, v := range r.InputRequests {
		out[k] = wire.InputRequestMethod(v)
	}
	return out
}

// capabilitiesAsked returns the capabilities the input requests need,
// sorted.
func capabilitiesAsked(r *wire.InputRequiredResult) []string {
	set := map[string]bool{}
	for _, m := range inputKinds(r) {
		if c := capabilityOfInput(m); c != "" {
			set[c] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// surveyed is a target and its answer to the "all capabilities" client.
type surveyed struct {
	t   probe.Retryable
	all check.Observation
}

// mrtrSurvey calls every tool (arguments redrawn while rejected as invalid
// params), prompt, declared resource and template expansion as client c,
// stopping when less than reserve is left of the check's time.
func mrtrSurvey(e *check.Env, c check.Client, tally probe.Tally, reserve time.Duration) []surveyed {
	var out []surveyed
	enough := func() bool { return e.Ctx.Err() != nil || e.TimeLeft() < reserve }
	for _, name := range probe.ToolsByHint(e, probe.MRTRHint) {
		if enough() {
			return out
		}
		params, o := probe.CallTool(e, c, name, nil, 3, probe.CallTimeout)
		tally.Add(o)
		out = append(out, surveyed{probe.ToolRequest(name, params), o})
	}
	names := slices.Sorted(maps.Keys(e.Decl.Prompts))
	sort.SliceStable(names, func(i, j int) bool {
		return probe.MRTRHint.MatchString(e.Decl.Prompts[names[i]].Description) && !probe.MRTRHint.MatchString(e.Decl.Prompts[names[j]].Description)
	})
	for _, name := range names {
		if enough() {
			return out
		}
		t := probe.PromptRequest(e, name)
		out = append(out, surveyed{t, tally.Add(e.Send(t.Request(e, c, nil)))})
	}
	for _, u := range probe.ReadableURIs(e) {
		if enough() {
			return out
		}
		t := probe.ResourceRequest(u)
		out = append(out, surveyed{t, tally.Add(e.Send(t.Request(e, c, nil)))})
	}
	return out
}

// checkMrtrCapabilities: a request that asked for input kinds as a client
// with every capability is sent again as a client with none, and with all
// but each kind asked. The model judges that no InputRequiredResult asks
// for an undeclared kind (CORE-MRTR-CAPABILITY) and that a -32021 carries
// data.requiredCapabilities. A request served with the capabilities and
// rejected without them needed them: the rejection must be -32021 with
// the missing capabilities listed (CORE-CAPABILITY-REQUIRED).
func checkMrtrCapabilities(e *check.Env) {
	tally := probe.Tally{}
	all := probe.ClientWithInputs(e, probe.AllInputKinds...)
	survey := mrtrSurvey(e, all, tally, 6*time.Second)
	contrasts, required, degraded, servedAll := 0, 0, 0, 0
	judgePair := func(s surveyed, fewer check.Client, o check.Observation) {
		code, isErr := o.ErrorCode()
		what := fmt.Sprintf("%s with clientCapabilities %s", s.t.Label, fewer.Capabilities)
		switch {
		case isErr && code == wire.CodeMissingRequiredClientCapability:
			if _, bad := o.Violated(spec.CoreCapabilityRequired); bad {
				return
			}
			if missing := requiredCapabilitiesOf(o); len(missing) == 0 {
				e.Violation(spec.CoreCapabilityRequired, "%s: -32021 whose data.requiredCapabilities lists nothing; it must list the missing capabilities", what)
				return
			}
			required++
		case o.Accepted():
			degraded++
		case isErr || o.Rejected():
			if o.Ex.Status == 429 || o.Ex.Status == 503 {
				return
			}
			// Reason-bound: served with the capabilities again (a tool that
			// fails the second time is not a capability problem), and
			// rejected without them again (nor is a flaky server).
			if !tally.Add(e.Send(s.t.Request(e, all, nil))).Accepted() {
				return
			}
			again := tally.Add(e.Send(s.t.Request(e, fewer, nil)))
			if code2, isErr2 := again.ErrorCode(); again.Accepted() || (isErr2 && code2 == wire.CodeMissingRequiredClientCapability) || !(isErr2 || again.Rejected()) {
				return
			}
			e.Violation(spec.CoreCapabilityRequired, "%s: rejected (%s), though served with %s; a request that needs a capability the client did not declare gets -32021 (MissingRequiredClientCapability)", what, o.Describe(), all.Capabilities)
		}
	}
	for _, s := range survey {
		if e.Ctx.Err() != nil || e.TimeLeft() < 2*time.Second {
			break
		}
		if !s.all.Accepted() {
			continue
		}
		servedAll++
		none := probe.ClientWithInputs(e)
		oNone := tally.Add(e.Send(s.t.Request(e, none, nil)))
		irr, ok := probe.InputRequired(s.all)
		asked := []string(nil)
		if ok {
			asked = capabilitiesAsked(irr)
		}
		if len(asked) > 0 && oNone.Answered() {
			contrasts++
		}
		judgePair(s, none, oNone)
		for _, k := range asked {
			if e.Ctx.Err() != nil || e.TimeLeft() < 2*time.Second {
				break
			}
			var rest []string
			for _, a := range probe.AllInputKinds {
				if a != k {
					rest = append(rest, a)
				}
			}
			fewer := probe.ClientWithInputs(e, rest...)
			o := tally.Add(e.Send(s.t.Request(e, fewer, nil)))
			if o.Answered() {
				contrasts++
			}
			judgePair(s, fewer, o)
		}
	}
	if e.Ctx.Err() != nil {
		return
	}
	switch {
	case tally[spec.CoreMrtrCapability] > 0:
	case contrasts > 0:
		e.Pass(spec.CoreMrtrCapability, "%d request(s) that ask for input from a capable client asked only for declared kinds when sent with fewer capabilities", contrasts)
	case servedAll == 0:
		e.Inconclusive(spec.CoreMrtrCapability, "the server served none of %d tool calls, prompts and reads built from its declarations", len(survey))
	default:
		e.Skip(spec.CoreMrtrCapability, "no request asked for client input (no InputRequiredResult with inputRequests)")
	}
	switch {
	case tally[spec.CoreCapabilityRequired] > 0:
	case required > 0:
		e.Pass(spec.CoreCapabilityRequired, "%d request(s) served with input capabilities and rejected without them got -32021 listing the missing capabilities", required)
	case servedAll == 0:
		e.Inconclusive(spec.CoreCapabilityRequired, "the server served none of %d tool calls, prompts and reads built from its declarations", len(survey))
	default:
		e.Skip(spec.CoreCapabilityRequired, "no request needed a client capability: %d served without them too", degraded)
	}
}

// requiredCapabilitiesOf returns the capability names in the error's
// data.requiredCapabilities.
func requiredCapabilitiesOf(o check.Observation) []string {
	for _, r := range o.Ex.Replies {
		m, ok := r.Msg.(*wire.JSONRPCErrorResponse)
		if !ok || len(m.Error.Data) == 0 {
			continue
		}
		var d struct {
			Required map[string]wire.Value `json:"requiredCapabilities"`
		}
		if wire.Unmarshal(m.Error.Data, &d) != nil {
			return nil
		}
		return slices.Sorted(maps.Keys(d.Required))
	}
	return nil
}

// Input responses.

// wrongFormContent gives every property of a form a value of the wrong
// type; nil if the form has no properties.
func wrongFormContent(schema map[string]any) map[string]any {
	props, _ := schema["properties"].(map[string]any)
	if len(props) == 0 {
		return nil
	}
	out := map[string]any{}
	for name, v := range props {
		p, _ := v.(map[string]any)
		switch {
		case p["type"] == "string" && p["enum"] == nil && p["oneOf"] == nil:
			out[name] = map[string]any{"mcpverify": "not a string"}
		case p["type"] == "string":
			out[name] = "mcpverify-not-an-option"
		default:
			out[name] = "mcpverify-wrong-type"
		}
	}
	return out
}

// freshInputRequired sends the target's first request again and returns
// its InputRequiredResult (with inputRequests).
func freshInputRequired(e *check.Env, c check.Client, t probe.Retryable, tally probe.Tally) (*wire.InputRequiredResult, bool) {
	o := tally.Add(e.Send(t.Request(e, c, nil)))
	r, ok := probe.InputRequired(o)
	if !ok || len(r.InputRequests) == 0 {
		return nil, false
	}
	return r, true
}

// malformed is one malformed inputResponses of a probe, and the
// requirement whose violation serving it shows.
type malformed struct {
	id        spec.ID
	what      string
	responses any
}

// malformations returns the malformed inputResponses for r: structural
// (not an object, a value not an object: CORE-MRTR-PROTOCOL-ERROR) and of
// content (a value that is no valid result of the requested kind:
// CORE-MRTR-VALIDATE-RESPONSES). Each spoils one key; the others carry
// valid responses.
func malformations(e *check.Env, r *wire.InputRequiredResult, valid map[string]any) []malformed {
	keys := slices.Sorted(maps.Keys(r.InputRequests))
	if len(keys) == 0 {
		return nil
	}
	k := keys[0]
	with := func(v any) map[string]any {
		m := probe.CloneParams(valid)
		m[k] = v
		return m
	}
	var values []any
	for _, key := range keys {
		values = append(values, valid[key])
	}
	out := []malformed{
		{spec.CoreMrtrProtocolError, "inputResponses a string", "mcpverify"},
		{spec.CoreMrtrProtocolError, "inputResponses an array", values},
		{spec.CoreMrtrProtocolError, "inputResponses a number", 42},
		{spec.CoreMrtrProtocolError, fmt.Sprintf("inputResponses[%q] a string", k), with("accept")},
		{spec.CoreMrtrProtocolError, fmt.Sprintf("inputResponses[%q] an array", k), with([]any{valid[k]})},
		{spec.CoreMrtrValidateResponses, fmt.Sprintf("inputResponses[%q] an empty object", k), with(map[string]any{})},
	}
	var req map[string]any
	_ = wire.Unmarshal(r.InputRequests[k], &req)
	params, _ := req["params"].(map[string]any)
	switch req["method"] {
	case "elicitation/create":
		out = append(out, malformed{spec.CoreMrtrValidateResponses, fmt.Sprintf("inputResponses[%q] an ElicitResult with action \"maybe\"", k), with(map[string]any{"action": "maybe"})})
		if params["mode"] != "url" {
			schema, _ := params["requestedSchema"].(map[string]any)
			if wrong := wrongFormContent(schema); wrong != nil {
				out = append(out, malformed{spec.CoreMrtrValidateResponses, fmt.Sprintf("inputResponses[%q] an accepted ElicitResult whose content does not fit requestedSchema", k), with(map[string]any{"action": "accept", "content": wrong})})
			}
		}
	case "sampling/createMessage":
		out = append(out,
			malformed{spec.CoreMrtrValidateResponses, fmt.Sprintf("inputResponses[%q] a CreateMessageResult without content and model", k), with(map[string]any{"role": "assistant"})},
			malformed{spec.CoreMrtrValidateResponses, fmt.Sprintf("inputResponses[%q] a CreateMessageResult with role \"mcpverify\"", k), with(map[string]any{"role": "mcpverify", "content": map[string]any{"type": "text", "text": "x"}, "model": "m"})},
		)
	case "roots/list":
		out = append(out,
			malformed{spec.CoreMrtrValidateResponses, fmt.Sprintf("inputResponses[%q] a ListRootsResult whose roots is a string", k), with(map[string]any{"roots": "mcpverify"})},
			malformed{spec.CoreMrtrValidateResponses, fmt.Sprintf("inputResponses[%q] a ListRootsResult with a root without uri", k), with(map[string]any{"roots": []any{map[string]any{"name": "mcpverify"}}})},
		)
	}
	return out
}

// checkMrtrRetry follows the retry protocol for every request that asks
// for input (as a client with every capability), then probes, on requests
// whose proper retry was served (the unaltered request), each on a fresh
// InputRequiredResult:
//   - a retry missing a requested response (one of several, or the only
//     one): a new InputRequiredResult, not an error (CORE-MRTR-ASK-AGAIN);
//   - a retry with an extra, unrequested response: served as without it
//     (CORE-MRTR-IGNORE-UNKNOWN);
//   - malformed inputResponses: a JSON-RPC error (CORE-MRTR-PROTOCOL-ERROR,
//     CORE-MRTR-VALIDATE-RESPONSES; any code, the spec names none).
func checkMrtrRetry(e *check.Env) {
	tally := probe.Tally{}
	all := probe.ClientWithInputs(e, probe.AllInputKinds...)
	survey := mrtrSurvey(e, all, tally, 8*time.Second)
	type usable struct {
		t   probe.Retryable
		irr *wire.InputRequiredResult
	}
	var asking int
	var bases []usable
	var broken []string
	for _, s := range survey {
		if e.Ctx.Err() != nil || e.TimeLeft() < 6*time.Second {
			break
		}
		irr, ok := probe.InputRequired(s.all)
		if !ok || len(irr.InputRequests) == 0 {
			continue
		}
		asking++
		firstRetry, _, _, ok := probe.Follow(e, all, s.t, irr, tally)
		if !ok || firstRetry.Ex == nil || !firstRetry.Accepted() {
			what := "no valid response to its input requests could be generated"
			if firstRetry.Ex != nil {
				what = firstRetry.Describe()
			}
			broken = append(broken, fmt.Sprintf("%s: %s", s.t.Label, what))
			continue
		}
		bases = append(bases, usable{s.t, irr})
	}
	if e.Ctx.Err() != nil {
		return
	}
	ids := []spec.ID{spec.CoreMrtrAskAgain, spec.CoreMrtrIgnoreUnknown, spec.CoreMrtrProtocolError, spec.CoreMrtrValidateResponses}
	if asking == 0 {
		probe.SkipAll(e, ids, "no request asked for client input (no InputRequiredResult with inputRequests among %d surveyed)", len(survey))
		return
	}
	if len(bases) == 0 {
		probe.InconclusiveAll(e, ids, "no retry carrying the requested input was served (the unaltered request): %s", strings.Join(broken, "; "))
		return
	}
	// Probe up to three requests: several keys and a requestState first.
	sort.SliceStable(bases, func(i, j int) bool {
		si := len(bases[i].irr.InputRequests)*2 + boolInt(bases[i].irr.RequestState != nil)
		sj := len(bases[j].irr.InputRequests)*2 + boolInt(bases[j].irr.RequestState != nil)
		return si > sj
	})
	if len(bases) > 3 {
		bases = bases[:3]
	}
	askedAgain, completedWithout := 0, 0
	ignored := 0
	rejected := map[spec.ID]int{}
	violated := map[spec.ID]int{}
	for _, b := range bases {
		if e.Ctx.Err() != nil || e.TimeLeft() < 2*time.Second {
			break
		}
		// Missing a response.
		mark := e.Mark()
		if irr, ok := freshInputRequired(e, all, b.t, tally); ok {
			resp, _ := probe.Answers(e, irr)
			keys := slices.Sorted(maps.Keys(irr.InputRequests))
			var sent any
			what := "without inputResponses"
			if len(keys) > 1 {
				delete(resp, keys[0])
				sent = resp
				what = fmt.Sprintf("without the response to %q", keys[0])
			}
			o := tally.Add(e.Send(b.t.Request(e, all, probe.RetryParams(irr, sent))))
			switch kind := probe.ResultKind(o); kind {
			case "input_required":
				askedAgain++
			case "complete":
				completedWithout++
			case "error", "http-error":
				violated[spec.CoreMrtrAskAgain]++
				e.ViolationShown(e.Since(mark), spec.CoreMrtrAskAgain, "%s retried %s: %s; a retry missing requested information should get a new InputRequiredResult asking for it again, not an error", b.t.Label, what, o.Describe())
			}
		}
		// An unrequested response.
		mark = e.Mark()
		if irr, ok := freshInputRequired(e, all, b.t, tally); ok && e.Ctx.Err() == nil {
			resp, _ := probe.Answers(e, irr)
			resp[fmt.Sprintf("mcpverify-unrequested-%d", e.Rand().Intn(1000))] = map[string]any{"action": "decline"}
			o := tally.Add(e.Send(b.t.Request(e, all, probe.RetryParams(irr, resp))))
			switch kind := probe.ResultKind(o); kind {
			case "input_required", "complete":
				ignored++
			case "error", "http-error":
				violated[spec.CoreMrtrIgnoreUnknown]++
				e.ViolationShown(e.Since(mark), spec.CoreMrtrIgnoreUnknown, "%s retried with an extra, unrequested inputResponses entry: %s; unrecognised entries should be ignored (the retry without it was served)", b.t.Label, o.Describe())
			}
		}
		// Malformed inputResponses.
		mark = e.Mark()
		if irr, ok := freshInputRequired(e, all, b.t, tally); ok {
			valid, _ := probe.Answers(e, irr)
			ms := malformations(e, irr, valid)
			for i, m := range ms {
				if e.Ctx.Err() != nil || e.TimeLeft() < time.Second {
					break
				}
				if i > 0 {
					mark = e.Mark()
					if irr, ok = freshInputRequired(e, all, b.t, tally); !ok {
						break
					}
					valid, _ = probe.Answers(e, irr)
					again := malformations(e, irr, valid)
					if i >= len(again) {
						break
					}
					m = again[i]
				}
				o := tally.Add(e.Send(b.t.Request(e, all, probe.RetryParams(irr, m.responses))))
				_, isErr := o.ErrorCode()
				switch {
				case !o.Answered():
				case isErr:
					rejected[m.id]++
				case o.Rejected():
					violated[m.id]++
					e.ViolationShown(e.Since(mark), m.id, "%s retried with %s: %s without a JSON-RPC error; protocol errors in a retry should get a JSON-RPC error response", b.t.Label, m.what, o.Describe())
				default:
					violated[m.id]++
					e.ViolationShown(e.Since(mark), m.id, "%s retried with %s: served (%s); the server should validate inputResponses and answer a malformed one with a JSON-RPC error", b.t.Label, m.what, probe.ResultKind(o))
				}
			}
		}
	}
	if e.Ctx.Err() != nil {
		return
	}
	switch {
	case violated[spec.CoreMrtrAskAgain] > 0:
	case askedAgain > 0:
		e.Pass(spec.CoreMrtrAskAgain, "%d retry(ies) missing a requested response got a new InputRequiredResult", askedAgain)
	default:
		e.Inconclusive(spec.CoreMrtrAskAgain, "every retry missing a response was completed without it (%d): the server did not need the information", completedWithout)
	}
	if violated[spec.CoreMrtrIgnoreUnknown] == 0 {
		if ignored > 0 {
			e.Pass(spec.CoreMrtrIgnoreUnknown, "%d retry(ies) with an unrequested inputResponses entry served as without it", ignored)
		} else {
			e.Inconclusive(spec.CoreMrtrIgnoreUnknown, "no retry with an unrequested entry could be sent")
		}
	}
	for _, id := range []spec.ID{spec.CoreMrtrProtocolError, spec.CoreMrtrValidateResponses} {
		switch {
		case violated[id] > 0:
		case rejected[id] > 0:
			e.Pass(id, "%d malformed inputResponses rejected with a JSON-RPC error", rejected[id])
		default:
			e.Inconclusive(id, "no malformed retry was answered")
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
