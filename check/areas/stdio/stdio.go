package stdio

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/probe"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Checks of the stdio transport (basic/transports/stdio.mdx): silence after
// notifications/cancelled, answers that depend on nothing but the request's
// own _meta when requests share one process, and exit at the end of input.

func init() {
	stdioOnly := []wire.Transport{wire.Stdio}
	check.Register(&check.Check{
		Name:       "stdio/cancellation",
		IDs:        []spec.ID{spec.CoreCancelSilence, spec.CoreCancelNoResponse},
		Transports: stdioOnly,
		Needs: func(e *check.Env) string {
			if _, ok := findSlowTool(e.Decl); !ok {
				return "the server declares no tool with a duration argument (ms, seconds, ...) whose call could be cancelled while it works"
			}
			return ""
		},
		Run: checkStdioCancellation,
	})
	check.Register(&check.Check{
		Name:       "stdio/interleaved-meta",
		IDs:        []spec.ID{spec.CoreNoConnectionContext},
		Transports: stdioOnly,
		Run:        checkInterleavedMeta,
	})
	check.Register(&check.Check{
		Name:       "stdio/exit-on-eof",
		IDs:        []spec.ID{spec.StdioExitOnEof},
		Transports: stdioOnly,
		Needs: func(e *check.Env) string {
			if sp, ok := e.Target(0).(check.Spawner); !ok || sp.Command() == nil {
				return "the server is not a process the checker started (--command)"
			}
			return ""
		},
		Run: checkExitOnEOF,
	})
}

// stdioCancelGraceOf is the model's allowance for messages already in flight
// when a cancellation was sent.
func stdioCancelGraceOf(e *check.Env) time.Duration {
	if g := e.Opts.Model.CancelGrace; g > 0 {
		return g
	}
	return time.Second
}

// slowTool is a tool that works for as long as one of its arguments says.
type slowTool struct {
	name, arg string
	unit      time.Duration
	integer   bool
	max       float64 // the schema's maximum; +Inf when none
}

// value returns the argument for a call that works for about d, and the
// duration it asks for; false when the schema does not allow a call of at
// least minSlow.
func (s slowTool) value(d time.Duration) (any, time.Duration, bool) {
	const minSlow = time.Second
	v := float64(d) / float64(s.unit)
	if s.integer {
		v = math.Ceil(v)
	}
	if v > s.max {
		v = s.max
		if s.integer {
			v = math.Floor(v)
		}
	}
	got := time.Duration(v * float64(s.unit))
	if got < minSlow {
		return nil, 0, false
	}
	if s.integer {
		return int64(v), got, true
	}
	return v, got, true
}

// findSlowTool looks in the server's declarations for a tool with a
// numeric argument that names how long the call works (ms, millis,
// seconds, or duration, delay, sleep, wait, time with a unit in its
// description; never a timeout, TTL or interval), which may be its only
// required argument. Tools that speak of cancellation, waiting or sleeping,
// and read-only tools, come first.
func findSlowTool(d *check.Declarations) (slowTool, bool) {
	var found []slowTool
	score := map[string]int{}
	for name, td := range d.Tools {
		schema, _ := td.Schema.(map[string]any)
		props, _ := schema["properties"].(map[string]any)
		required, _ := schema["required"].([]any)
		for pname, p := range props {
			pm, _ := p.(map[string]any)
			typ, _ := pm["type"].(string)
			if typ != "integer" && typ != "number" {
				continue
			}
			desc, _ := pm["description"].(string)
			unit, ok := durationUnit(pname, desc)
			if !ok {
				continue
			}
			onlyThis := true
			for _, r := range required {
				onlyThis = onlyThis && r == pname
			}
			if !onlyThis {
				continue
			}
			mx := math.Inf(1)
			if m, ok := schemaNumber(pm["maximum"]); ok {
				mx = m
			}
			st := slowTool{name: name, arg: pname, unit: unit, integer: typ == "integer", max: mx}
			if _, _, ok := st.value(2 * time.Second); !ok {
				continue
			}
			found = append(found, st)
			text := strings.ToLower(name + " " + td.Tool.Description)
			if strings.Contains(text, "cancel") {
				score[name] -= 2
			}
			if strings.Contains(text, "wait") || strings.Contains(text, "sleep") || strings.Contains(text, "slow") {
				score[name]--
			}
			if a := td.Tool.Annotations; a != nil && a.ReadOnlyHint != nil && *a.ReadOnlyHint {
				score[name]-- // no side effects to repeat
			}
		}
	}
	if len(found) == 0 {
		return slowTool{}, false
	}
	sort.Slice(found, func(i, j int) bool {
		a, b := found[i], found[j]
		if score[a.name] != score[b.name] {
			return score[a.name] < score[b.name]
		}
		if a.name != b.name {
			return a.name < b.name
		}
		return a.arg < b.arg
	})
	return found[0], true
}

// durationUnit tells the unit of a duration argument from its name, or
// from its description for names that do not say.
func durationUnit(name, desc string) (time.Duration, bool) {
	n := strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(name))
	d := strings.ToLower(desc)
	if strings.Contains(n, "timeout") || strings.Contains(n, "ttl") || strings.Contains(n, "interval") {
		return 0, false // a bound or a period, not how long the call works
	}
	switch {
	case n == "ms" || strings.HasSuffix(n, "ms") || strings.Contains(n, "milli"):
		return time.Millisecond, true
	case n == "s" || n == "sec" || n == "secs" || strings.HasSuffix(n, "seconds") || strings.HasSuffix(n, "secs") || strings.HasSuffix(n, "sec"):
		return time.Second, true
	}
	for _, word := range []string{"duration", "delay", "sleep", "wait", "time"} {
		if !strings.Contains(n, word) {
			continue
		}
		switch {
		case strings.Contains(d, "millisecond") || strings.Contains(d, " ms") || strings.Contains(d, "(ms)"):
			return time.Millisecond, true
		case strings.Contains(d, "second"):
			return time.Second, true
		}
		return 0, false
	}
	return 0, false
}

func schemaNumber(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	case interface{ Float64() (float64, error) }:
		f, err := v.Float64()
		return f, err == nil
	}
	return 0, false
}

// checkStdioCancellation calls a slow tool twice: once to completion (the
// unaltered request: the call is served, and takes long enough to be cancelled),
// once cancelled with notifications/cancelled a fifth of the way through.
// After the cancellation (plus the model's grace for messages already in
// flight) nothing may arrive for the request (stdio.mdx, "Cancellation":
// MUST NOT send any further messages), in particular no response
// (cancellation.mdx: SHOULD not send a response). The cancelled call is
// watched until well after the time the unaltered request took to answer.
func checkStdioCancellation(e *check.Env) {
	st, _ := findSlowTool(e.Decl)
	grace := stdioCancelGraceOf(e)
	v, want, _ := st.value(2 * time.Second)
	call := func(token string) (*check.Request, wire.RequestID) {
		id := e.NextID()
		params := map[string]any{"name": st.name, "arguments": map[string]any{st.arg: v},
			"_meta": e.Client.Meta(map[string]any{"progressToken": token})}
		return e.Client.Request(id, "tools/call", params, e.Decl.Tools[st.name].Headers), id
	}
	what := fmt.Sprintf("tools/call %s with %s=%v", st.name, st.arg, v)

	base, _ := call(fmt.Sprintf("mcpverify-baseline-%d", e.Rand().Int63()))
	base.Timeout = want + 5*time.Second
	ob := e.Send(base)
	if !ob.Accepted() {
		probe.InconclusiveAll(e, []spec.ID{spec.CoreCancelSilence, spec.CoreCancelNoResponse}, "the unaltered request %s (not cancelled) was not served: %s", what, ob.Describe())
		return
	}
	took := time.Duration(0)
	if n := len(ob.Ex.LineAt); n > 0 {
		took = ob.Ex.LineAt[n-1]
	}
	if took < want/2 {
		probe.InconclusiveAll(e, []spec.ID{spec.CoreCancelSilence, spec.CoreCancelNoResponse}, "the unaltered request %s answered after %v: too fast to be cancelled while it works", what, took)
		return
	}

	delay := took / 5
	req, id := call(fmt.Sprintf("mcpverify-cancel-%d", e.Rand().Int63()))
	req.Timeout = max(took+grace+time.Second, delay+grace+time.Second)
	cancel := e.Notification("notifications/cancelled", map[string]any{"requestId": id, "reason": "mcpverify: cancellation check"})
	tgt := e.Target(0)
	done := make(chan *wire.Exchange, 1)
	go func() { done <- tgt.Send(e.Ctx, req) }()
	timer := time.NewTimer(delay)
	select {
	case <-timer.C:
	case <-e.Ctx.Done():
	}
	timer.Stop()
	cex := tgt.Send(e.Ctx, cancel)
	ex := <-done
	o := e.Record(ex)
	e.Record(cex)

	if ex.CancelAt == 0 || cex.Outcome != wire.NoResponse {
		probe.InconclusiveAll(e, []spec.ID{spec.CoreCancelSilence, spec.CoreCancelNoResponse}, "the cancellation of %s could not be sent while the request was in flight (%s)", what, o.Describe())
		return
	}
	limit := ex.CancelAt + grace
	watched := req.Timeout - ex.CancelAt
	var after []int
	response := -1
	for i, at := range ex.LineAt {
		if at > limit {
			after = append(after, i)
		}
		if i < len(ex.Replies) && isResponseToID(ex.Replies[i], id) {
			response = i
		}
	}
	if _, bad := o.Violated(spec.CoreCancelSilence); !bad {
		if len(after) > 0 {
			e.Violation(spec.CoreCancelSilence, "%s: %d message(s) arrived more than %v after notifications/cancelled, the first %v after it",
				what, len(after), grace, ex.LineAt[after[0]]-ex.CancelAt)
		} else {
			e.Pass(spec.CoreCancelSilence, "%s, cancelled after %v: nothing arrived for it later than %v after the cancellation (watched for %v; the same call, not cancelled, was answered after %v)",
				what, ex.CancelAt.Round(time.Millisecond), grace, watched.Round(time.Millisecond), took.Round(time.Millisecond))
		}
	}
	switch {
	case response < 0:
		e.Pass(spec.CoreCancelNoResponse, "%s, cancelled after %v: no response in the %v watched (the same call, not cancelled, was answered after %v)",
			what, ex.CancelAt.Round(time.Millisecond), watched.Round(time.Millisecond), took.Round(time.Millisecond))
	case ex.LineAt[response] > limit:
		e.Violation(spec.CoreCancelNoResponse, "%s: the response arrived %v after notifications/cancelled", what, (ex.LineAt[response] - ex.CancelAt).Round(time.Millisecond))
	default:
		e.Inconclusive(spec.CoreCancelNoResponse, "%s: the response arrived %v after notifications/cancelled, within the %v a response already in flight may take",
			what, (ex.LineAt[response] - ex.CancelAt).Round(time.Millisecond), grace)
	}
}

// isResponseToID reports whether r is a response to the request with id.
func isResponseToID(r wire.Reply, id wire.RequestID) bool {
	switch m := r.Msg.(type) {
	case *wire.JSONRPCResultResponse:
		return m.ID.Equal(id)
	case *wire.JSONRPCErrorResponse:
		return m.ID.Equal(id)
	}
	return false
}

// stdioMetaProbe is a request whose answer depends on its _meta.
type stdioMetaProbe struct {
	label  string // "with clientCapabilities {...}"
	method string
	params map[string]any // with _meta
}

func (p stdioMetaProbe) request(e *check.Env) *check.Request {
	return e.Request(p.method, probe.CloneParams(p.params))
}

// stdioMetaPair is two probes that differ only in _meta and that the server
// answers differently when each is sent on its own.
type stdioMetaPair struct {
	what string
	a, b stdioMetaProbe
	// sigA, sigB: the answers alone (see stdioAnswerSig).
	sigA, sigB string
}

// stdioUnsupportedVersion is a protocol version no server supports.
const stdioUnsupportedVersion = "2099-01-01"

// checkInterleavedMeta: on one process, requests that differ only in _meta
// (client capabilities; a supported and an unsupported protocol version)
// are sent one after the other, alternating, and at the same time; each
// must get the answer it gets when sent on its own (basic/index.mdx,
// "Statelessness": servers MUST NOT rely on prior requests on the same
// connection for context). A request is "on its own" when it follows
// copies of itself: a server that carries context from one request to the
// next then answers it as it should. Answers are compared by kind (error
// code, result type, input requests asked for, tool error), never by
// content that may legitimately vary.
func checkInterleavedMeta(e *check.Env) {
	var pairs []*stdioMetaPair
	var unstable []string
	for _, cand := range stdioMetaCandidates(e) {
		if e.Ctx.Err() != nil {
			return
		}
		sa, okA := stdioAloneSig(e, cand.a)
		sb, okB := stdioAloneSig(e, cand.b)
		switch {
		case !okA || !okB:
			unstable = append(unstable, cand.what)
		case sa != sb && (strings.HasPrefix(sa, "result") || strings.HasPrefix(sa, "input") || strings.HasPrefix(sb, "result") || strings.HasPrefix(sb, "input")):
			cand.sigA, cand.sigB = sa, sb
			pairs = append(pairs, cand)
		}
	}
	if len(pairs) == 0 {
		msg := "no two requests differing only in _meta got different answers from the server"
		if len(unstable) > 0 {
			msg += fmt.Sprintf(" (answers to %s varied between copies of the same request)", strings.Join(unstable, ", "))
		}
		e.Inconclusive(spec.CoreNoConnectionContext, "%s", msg)
		return
	}

	type probe struct {
		pair *stdioMetaPair
		isA  bool
	}
	var checked []string
	violated, unsure := false, false
	judge := func(p probe, o check.Observation) {
		own, other := p.pair.sigA, p.pair.sigB
		mine, theirs := p.pair.a, p.pair.b
		if !p.isA {
			own, other, mine, theirs = other, own, theirs, mine
		}
		got := stdioAnswerSig(o)
		switch got {
		case own:
		case other:
			if !violated {
				e.Violation(spec.CoreNoConnectionContext, "%s %s was answered %q, the answer the same request %s gets, instead of %q, its answer when sent on its own: the server answered it with the context of another request on the process",
					mine.method, mine.label, got, theirs.label, own)
			}
			violated = true
		default:
			unsure = true
		}
	}
	for _, pair := range pairs {
		// One after the other, alternating.
		for i := 0; i < 6 && e.Ctx.Err() == nil; i++ {
			p := probe{pair, i%2 == 0}
			pr := pair.b
			if p.isA {
				pr = pair.a
			}
			judge(p, e.Send(pr.request(e)))
		}
		// At the same time.
		for round := 0; round < 3 && e.Ctx.Err() == nil; round++ {
			reqs := []*check.Request{pair.a.request(e), pair.b.request(e), pair.a.request(e), pair.b.request(e)}
			exs := make([]*wire.Exchange, len(reqs))
			var wg sync.WaitGroup
			tgt := e.Target(0)
			for i, r := range reqs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					exs[i] = tgt.Send(e.Ctx, r)
				}()
			}
			wg.Wait()
			order := make([]int, len(exs))
			for i := range order {
				order[i] = i
			}
			sort.SliceStable(order, func(x, y int) bool { return exs[order[x]].At < exs[order[y]].At })
			for _, i := range order {
				judge(probe{pair, i%2 == 0}, e.Record(exs[i]))
			}
		}
		checked = append(checked, pair.what)
	}
	switch {
	case violated:
	case e.Ctx.Err() != nil:
		e.Inconclusive(spec.CoreNoConnectionContext, "ran out of time interleaving %s", strings.Join(checked, "; "))
	case unsure:
		e.Inconclusive(spec.CoreNoConnectionContext, "interleaved requests got answers that match neither their own nor the other request's answer alone (%s)", strings.Join(checked, "; "))
	default:
		e.Pass(spec.CoreNoConnectionContext, "interleaved on one process, one after the other and at the same time, each request got the answer it gets alone: %s", strings.Join(checked, "; "))
	}
}

// stdioMetaCandidates are the pairs to try: a protocol version the server
// supports against one it does not, on a list request; and, for tools that
// ask for client input (MRTR), every input capability declared against
// none.
func stdioMetaCandidates(e *check.Env) []*stdioMetaPair {
	var out []*stdioMetaPair
	method := e.ListMethod()
	supported := e.Client.Meta(nil)
	unsupported := e.Client.Meta(map[string]any{wire.MetaProtocolVersion: stdioUnsupportedVersion})
	versionOK := true
	for _, v := range e.Server.Versions {
		versionOK = versionOK && v != stdioUnsupportedVersion
	}
	if versionOK {
		out = append(out, &stdioMetaPair{
			what: fmt.Sprintf("%s with protocol version %q and %q", method, supported[wire.MetaProtocolVersion], stdioUnsupportedVersion),
			a:    stdioMetaProbe{label: fmt.Sprintf("with protocol version %q", supported[wire.MetaProtocolVersion]), method: method, params: map[string]any{"_meta": supported}},
			b:    stdioMetaProbe{label: fmt.Sprintf("with protocol version %q", stdioUnsupportedVersion), method: method, params: map[string]any{"_meta": unsupported}},
		})
	}

	all := wire.Value(`{"elicitation":{},"sampling":{},"roots":{}}`)
	none := wire.Value(`{}`)
	var tools []string
	for name, td := range e.Decl.Tools {
		if probe.RequiredCount(td.Schema) > 0 {
			continue
		}
		text := strings.ToLower(name + " " + td.Tool.Description)
		for _, w := range []string{"input_required", "input required", "elicit", "sampling", "roots", "capabilit", "mrtr"} {
			if strings.Contains(text, w) {
				tools = append(tools, name)
				break
			}
		}
	}
	sort.Slice(tools, func(i, j int) bool {
		ci := strings.Contains(tools[i], "capabilit") || strings.Contains(tools[i], "elicit")
		cj := strings.Contains(tools[j], "capabilit") || strings.Contains(tools[j], "elicit")
		if ci != cj {
			return ci
		}
		return tools[i] < tools[j]
	})
	if len(tools) > 3 {
		tools = tools[:3]
	}
	for _, name := range tools {
		mk := func(caps wire.Value) map[string]any {
			c := e.Client
			c.Capabilities = caps
			return map[string]any{"name": name, "arguments": map[string]any{}, "_meta": c.Meta(nil)}
		}
		out = append(out, &stdioMetaPair{
			what: fmt.Sprintf("tools/call %s with clientCapabilities %s and %s", name, all, none),
			a:    stdioMetaProbe{label: "with clientCapabilities " + string(all), method: "tools/call", params: mk(all)},
			b:    stdioMetaProbe{label: "with clientCapabilities " + string(none), method: "tools/call", params: mk(none)},
		})
	}
	return out
}

// stdioAloneSig sends p three times in a row and returns the answer to the last
// two, when they agree (the first may carry the context of whatever came
// before, on a server that keeps some).
func stdioAloneSig(e *check.Env, p stdioMetaProbe) (string, bool) {
	var sigs []string
	for i := 0; i < 3; i++ {
		sigs = append(sigs, stdioAnswerSig(e.Send(p.request(e))))
	}
	return sigs[2], sigs[2] != "" && sigs[1] == sigs[2]
}

// stdioAnswerSig summarizes an answer by kind: "error CODE", "input required:
// KEYS", "result (tool error)", "result"; "" when there was no answer.
func stdioAnswerSig(o check.Observation) string {
	if !o.Answered() {
		return ""
	}
	if code, ok := o.ErrorCode(); ok {
		return fmt.Sprintf("error %d", code)
	}
	switch r := o.Result().(type) {
	case *wire.InputRequiredResult:
		keys := make([]string, 0, len(r.InputRequests))
		for k := range r.InputRequests {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return "input required: " + strings.Join(keys, ",")
	case *wire.CallToolResult:
		if r.IsError != nil && *r.IsError {
			return "result (tool error)"
		}
	}
	if o.Accepted() {
		return "result"
	}
	return ""
}

// checkExitOnEOF starts a second copy of the server with the same command,
// makes sure it serves (server/discover is answered), closes its stdin and
// expects it to exit within two seconds (stdio.mdx, "Shutdown": servers
// SHOULD exit promptly when their standard input is closed). The server
// under test is left running for the other checks.
func checkExitOnEOF(e *check.Env) {
	const within = 2 * time.Second
	sp := e.Target(0).(check.Spawner)
	fresh, err := sp.Spawn()
	if err != nil {
		e.Inconclusive(spec.StdioExitOnEof, "could not start a second copy of the server: %v", err)
		return
	}
	defer fresh.Close()
	o := e.Record(fresh.Send(e.Ctx, e.Request("server/discover", nil)))
	if !o.Answered() || fresh.ExitedNow() {
		e.Inconclusive(spec.StdioExitOnEof, "a second copy of the server (%s) did not answer server/discover: %s", strings.Join(sp.Command(), " "), o.Describe())
		return
	}
	start := time.Now()
	fresh.CloseInput()
	if fresh.WaitExit(within) {
		e.Pass(spec.StdioExitOnEof, "a second copy of the server, started with the same command, answered server/discover and exited %v after its stdin was closed",
			time.Since(start).Round(time.Millisecond))
		return
	}
	e.Violation(spec.StdioExitOnEof, "a second copy of the server, started with the same command, answered server/discover but was still running %v after its stdin was closed", within)
}
