package utilities

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/probe"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Checks of the utilities that accompany a request or open a stream:
// progress (basic/patterns/progress.mdx), cancellation (cancellation.mdx),
// per-request logging (server/utilities/logging.mdx) and
// subscriptions/listen (basic/patterns/subscriptions.mdx).
//
// The model judges each exchange (progress increasing, for the request's
// token and not after the response; log messages only with a logLevel; the
// listen stream's acknowledgement first, subscription ids, only requested
// types). These checks provoke what there is to judge and give the
// reason-bound passes.
//
// Cancellation over HTTP is the client closing the stream: after it, nothing
// the server sends can reach the client, so HTTP-CLOSE-CANCELS and
// HTTP-CANCEL-SILENCE are not observable; utilities/progress closes a
// stream after its first progress notification anyway (the evidence shows
// the cut and that the server goes on serving). On stdio the silence after
// notifications/cancelled is judged by the stdio checks.

func init() {
	needsTools := func(e *check.Env) string {
		if e.Server.Capabilities.Tools == nil || len(e.Decl.Tools) == 0 {
			return "the server declares no tools (these rules are probed on tool calls)"
		}
		return ""
	}
	check.Register(&check.Check{
		Name:  "utilities/progress",
		IDs:   []spec.ID{spec.CoreProgressIncreasing, spec.CoreProgressToken, spec.CoreProgressAfterCompletion},
		Needs: needsTools,
		Run:   checkProgress,
	})
	check.Register(&check.Check{
		Name:  "utilities/logging",
		IDs:   []spec.ID{spec.CoreLogOptIn, spec.CoreLogBelowLevel},
		Needs: needsTools,
		Run:   checkLogging,
	})
	check.Register(&check.Check{
		Name: "utilities/subscriptions",
		IDs:  []spec.ID{spec.CoreListenAck, spec.CoreListenAckFirst, spec.CoreListenSubscriptionId, spec.CoreListenFilter},
		Run:  checkSubscriptions,
	})
}

// notificationsOf returns the notifications among the replies, with their
// typed params, in order.
func notificationsOf(o check.Observation) []wire.Reply {
	var out []wire.Reply
	for _, r := range o.Ex.Replies {
		if _, ok := r.Msg.(*wire.JSONRPCNotification); ok {
			out = append(out, r)
		}
	}
	return out
}

func notificationMethod(r wire.Reply) string {
	if n, ok := r.Msg.(*wire.JSONRPCNotification); ok {
		return n.Method
	}
	return ""
}

// progressOf returns the progress values of the notifications for token.
func progressOf(o check.Observation, token wire.ProgressToken) []float64 {
	var out []float64
	for _, r := range notificationsOf(o) {
		if p, ok := r.Params.(*wire.ProgressNotificationParams); ok && p.ProgressToken.Equal(token) {
			out = append(out, p.Progress)
		}
	}
	return out
}

// finalResponse reports a complete exchange that ended with a response
// (a result or an error).
func finalResponse(o check.Observation) bool {
	if !o.Answered() {
		return false
	}
	_, isErr := o.ErrorCode()
	return isErr || o.Result() != nil
}

// longWork matches tool names and descriptions that suggest long work (and
// so progress notifications); such tools are probed first.
var longWork = regexp.MustCompile(`(?i)progress|long|slow|wait|sleep|delay|work|batch|job|download|upload|process|stream|index`)

// progressToken returns the i-th token of a check: strings and integers
// alternate (a server must echo either form).
func progressToken(i int) (any, wire.ProgressToken) {
	if i%2 == 0 {
		s := fmt.Sprintf("mcpverify-progress-%d", i)
		return s, wire.StringID(s)
	}
	n := int64(7000 + i)
	return n, wire.IntID(n)
}

// checkProgress calls every tool (those that suggest long work first) with
// a progressToken; the model judges the notifications (the request's
// token, increasing, none after the response). Over HTTP it then closes the
// stream of a tool that reports progress after its first notification (a
// cancellation; what follows is not observable) and checks that the server
// goes on serving.
func checkProgress(e *check.Env) {
	tally := probe.Tally{}
	var withProgress, withSeveral, completeWith int
	var reporter string
	var reporterParams map[string]any
	for i, name := range probe.ToolsByHint(e, longWork) {
		if e.Ctx.Err() != nil || e.TimeLeft() < 3*time.Second {
			break
		}
		raw, token := progressToken(i)
		params, o := probe.CallTool(e, e.Client, name, map[string]any{wire.MetaProgressToken: raw}, 3, probe.CallTimeout)
		tally.Add(o)
		ps := progressOf(o, token)
		if len(ps) == 0 {
			continue
		}
		withProgress++
		if len(ps) > 1 {
			withSeveral++
			if reporter == "" {
				reporter, reporterParams = name, params
			}
		}
		if finalResponse(o) {
			completeWith++
		}
	}
	if e.Ctx.Err() != nil {
		return
	}
	cancelNote := ""
	if reporter != "" && e.Transport() == wire.HTTP && e.TimeLeft() > 2*time.Second {
		raw, _ := progressToken(1001)
		r := e.Request("tools/call", probe.WithMeta(e.Client, reporterParams, map[string]any{wire.MetaProgressToken: raw}))
		r.StopAfter, r.Timeout = 1, probe.CallTimeout
		c := tally.Add(e.Send(r))
		next := tally.Add(e.Send(e.Request("tools/list", map[string]any{})))
		if c.Ex.Outcome == wire.Cancelled {
			cancelNote = fmt.Sprintf("; the stream of %s was closed after its first message (a cancellation: what the server does after it is not observable over HTTP), and the next request was %s",
				reporter, map[bool]string{true: "served", false: "not served (" + next.Describe() + ")"}[next.Accepted()])
		}
	}
	if withProgress == 0 {
		probe.SkipAll(e, []spec.ID{spec.CoreProgressIncreasing, spec.CoreProgressToken, spec.CoreProgressAfterCompletion}, "no tool sent progress notifications for a request with a progressToken (progress is optional)")
		return
	}
	if tally[spec.CoreProgressToken] == 0 {
		e.Pass(spec.CoreProgressToken, "%d tool call(s) reported progress, every notification for the request's own token (strings and integers)", withProgress)
	}
	if tally[spec.CoreProgressAfterCompletion] == 0 {
		if completeWith > 0 {
			e.Pass(spec.CoreProgressAfterCompletion, "%d tool call(s) with progress ended with the response, no progress after it%s", completeWith, cancelNote)
		} else {
			e.Inconclusive(spec.CoreProgressAfterCompletion, "no tool call with progress was answered in time")
		}
	}
	if tally[spec.CoreProgressIncreasing] == 0 {
		if withSeveral > 0 {
			e.Pass(spec.CoreProgressIncreasing, "%d tool call(s) sent several progress notifications, each above the one before", withSeveral)
		} else {
			e.Inconclusive(spec.CoreProgressIncreasing, "no tool sent more than one progress notification: nothing to compare")
		}
	}
}

// logHint matches tools whose name or description suggests logging.
var logHint = regexp.MustCompile(`(?i)log`)

// logLevels returns the levels of the notifications/message replies.
func logLevels(o check.Observation) []string {
	var out []string
	for _, r := range notificationsOf(o) {
		if notificationMethod(r) != "notifications/message" {
			continue
		}
		if p, ok := r.Params.(*wire.LoggingMessageNotificationParams); ok {
			out = append(out, p.Level)
		} else {
			out = append(out, "")
		}
	}
	return out
}

// checkLogging calls each tool (those that suggest logging first) without
// a logLevel (no log message may come: the model judges CORE-LOG-OPT-IN)
// and with logLevel debug (to see that the tool logs at all, so that its
// silence without a logLevel means something). A tool that logs is called
// once more with the highest level, emergency: messages below it break no
// rule of the page (it permits those at or above the level and forbids
// messages only for requests without one), so they are the hardening
// finding CORE-LOG-BELOW-LEVEL.
func checkLogging(e *check.Env) {
	tally := probe.Tally{}
	loggers := 0
	var loggerNames, below []string
	var evBelow []*wire.Exchange
	filtered := 0
	top := wire.LoggingLevels[len(wire.LoggingLevels)-1]
	for _, name := range probe.ToolsByHint(e, logHint) {
		if e.Ctx.Err() != nil || e.TimeLeft() < 2*time.Second {
			break
		}
		params, without := probe.CallTool(e, e.Client, name, nil, 3, probe.CallTimeout)
		tally.Add(without)
		if !without.Accepted() {
			continue
		}
		withLevel := func(level string) check.Observation {
			r := e.Request("tools/call", probe.WithMeta(e.Client, params, map[string]any{wire.MetaLogLevel: level}))
			r.Timeout = probe.CallTimeout
			return tally.Add(e.Send(r))
		}
		if len(logLevels(withLevel("debug"))) == 0 {
			continue
		}
		if len(logLevels(without)) == 0 {
			loggers++
			loggerNames = append(loggerNames, name)
		}
		mark := e.Mark()
		high := withLevel(top)
		if !high.Accepted() {
			continue
		}
		var lower []string
		for _, l := range logLevels(high) {
			if wire.LogLevelRank(l) < wire.LogLevelRank(top) {
				lower = append(lower, strconv.Quote(l))
			}
		}
		if len(lower) > 0 {
			below = append(below, fmt.Sprintf("tool %s sent %s", name, strings.Join(lower, ", ")))
			if evBelow == nil {
				evBelow = e.Since(mark)
			}
		} else {
			filtered++
		}
	}
	if e.Ctx.Err() != nil {
		return
	}
	if loggers == 0 {
		e.Skip(spec.CoreLogOptIn, "no tool sent log messages even with logLevel debug: nothing to opt into")
		e.Skip(spec.CoreLogBelowLevel, "no tool sent log messages even with logLevel debug: nothing to filter")
		return
	}
	if tally[spec.CoreLogOptIn] == 0 {
		e.Pass(spec.CoreLogOptIn, "%d tool(s) (%s) log with a logLevel and sent no log message without one", loggers, strings.Join(loggerNames, ", "))
	}
	switch {
	case len(below) > 0:
		e.ViolationShown(evBelow, spec.CoreLogBelowLevel, "with logLevel %q, log messages below it came: %s", top, probe.ListSome(below, 3, "; "))
	case filtered > 0:
		e.Pass(spec.CoreLogBelowLevel, "%d tool(s) that log at debug sent nothing below %q when asked for %q", filtered, top, top)
	default:
		e.Inconclusive(spec.CoreLogBelowLevel, "no tool that logs served the call with logLevel %q", top)
	}
}

// Subscriptions.

// listenTimeout bounds a listen that is expected to end by StopAfter.
const listenTimeout = 2 * time.Second

// triggerHint matches tools that announce changes to open subscriptions
// (the reference server's test_trigger_* fixtures, and tools that say so).
var (
	triggerName = regexp.MustCompile(`(?i)trigger`)
	triggerDesc = regexp.MustCompile(`(?i)list[ _-]?change|subscri|resource[ _-]?update`)
)

// filterSpec is a subscription filter being built.
type filterSpec struct {
	tools, prompts, resources bool
	uris                      []string
	explicitFalse             bool
}

func (f filterSpec) params() map[string]any {
	n := map[string]any{}
	set := func(k string, v bool) {
		if v || f.explicitFalse {
			n[k] = v
		}
	}
	set("toolsListChanged", f.tools)
	set("promptsListChanged", f.prompts)
	set("resourcesListChanged", f.resources)
	if len(f.uris) > 0 {
		us := make([]any, len(f.uris))
		for i, u := range f.uris {
			us[i] = u
		}
		n["resourceSubscriptions"] = us
	}
	return map[string]any{"notifications": n}
}

// listenRequest builds a subscriptions/listen request for f.
func listenRequest(e *check.Env, f filterSpec, stopAfter int, timeout time.Duration) *check.Request {
	r := e.Request("subscriptions/listen", f.params())
	r.StopAfter, r.Timeout = stopAfter, timeout
	return r
}

// acknowledged reports whether the stream's first message is the
// acknowledgement.
func acknowledged(o check.Observation) bool {
	return len(o.Ex.Replies) > 0 && notificationMethod(o.Ex.Replies[0]) == "notifications/subscriptions/acknowledged"
}

// delivered is the notification a trigger provoked on a stream: its method
// and, for notifications/resources/updated, the URI.
type delivered struct{ method, uri string }

// firstAfterAck returns the first notification after the acknowledgement.
func firstAfterAck(o check.Observation) (delivered, bool) {
	if !acknowledged(o) {
		return delivered{}, false
	}
	for _, r := range o.Ex.Replies[1:] {
		m := notificationMethod(r)
		if m == "" {
			continue
		}
		d := delivered{method: m}
		if p, ok := r.Params.(*wire.ResourceUpdatedNotificationParams); ok {
			d.uri = p.URI
		}
		return d, true
	}
	return delivered{}, false
}

// only returns the filter that asks for d alone; except, every type of all
// but d.
func (d delivered) only() filterSpec {
	switch d.method {
	case "notifications/tools/list_changed":
		return filterSpec{tools: true}
	case "notifications/prompts/list_changed":
		return filterSpec{prompts: true}
	case "notifications/resources/list_changed":
		return filterSpec{resources: true}
	}
	return filterSpec{uris: []string{d.uri}}
}

func (d delivered) except(all filterSpec) filterSpec {
	f := all
	f.uris = nil
	switch d.method {
	case "notifications/tools/list_changed":
		f.tools = false
	case "notifications/prompts/list_changed":
		f.prompts = false
	case "notifications/resources/list_changed":
		f.resources = false
	}
	for _, u := range all.uris {
		if d.method != "notifications/resources/updated" || u != d.uri {
			f.uris = append(f.uris, u)
		}
	}
	f.explicitFalse = true
	return f
}

// known reports whether d is a type a trigger contrast can be built on.
func (d delivered) known() bool {
	switch d.method {
	case "notifications/tools/list_changed", "notifications/prompts/list_changed", "notifications/resources/list_changed":
		return true
	case "notifications/resources/updated":
		return d.uri != ""
	}
	return false
}

// triggerUntil calls the trigger tool every interval until p has finished
// (at most max times), then after more further calls.
func triggerUntil(e *check.Env, tally probe.Tally, params map[string]any, p *check.Pending, max, more int) int {
	calls := 0
	for i := 0; i < max && !p.Finished() && e.Ctx.Err() == nil; i++ {
		r := e.Request("tools/call", probe.CloneParams(params))
		r.Timeout = listenTimeout
		tally.Add(e.Send(r))
		calls++
		if !check.Pause(e.Ctx, 150*time.Millisecond) {
			break
		}
	}
	for i := 0; i < more && e.Ctx.Err() == nil; i++ {
		r := e.Request("tools/call", probe.CloneParams(params))
		r.Timeout = listenTimeout
		tally.Add(e.Send(r))
		calls++
		check.Pause(e.Ctx, 100*time.Millisecond)
	}
	return calls
}

// checkSubscriptions opens subscriptions/listen streams with every filter
// combination (with and without resourceSubscriptions for the declared
// resources) and reads their acknowledgement; the model judges each stream
// (acknowledgement first, carrying the subscription id; acknowledged types
// a subset of the requested ones). Where the server has a tool that
// announces changes (by name or description), it is called while a stream
// that asked for everything is open, to learn the type it provokes; then
// while one stream asks for that type only and another for everything
// else: the first must get it (with the subscription id), the second must
// not (CORE-LISTEN-FILTER).
func checkSubscriptions(e *check.Env) {
	tally := probe.Tally{}
	uris := probe.ResourceURIs(e)
	if len(uris) > 4 {
		uris = uris[:4]
	}
	acked, answered := 0, 0
	var firstFail string
	for mask := 0; mask < 8 && e.Ctx.Err() == nil; mask++ {
		for _, withURIs := range []bool{false, true} {
			if withURIs && len(uris) == 0 {
				continue
			}
			f := filterSpec{tools: mask&1 != 0, prompts: mask&2 != 0, resources: mask&4 != 0, explicitFalse: !withURIs}
			if withURIs {
				f.uris = uris
			}
			o := tally.Add(e.Send(listenRequest(e, f, 1, listenTimeout)))
			switch {
			case acknowledged(o):
				acked++
				answered++
			case o.Answered() || len(o.Ex.Replies) > 0:
				answered++
				if firstFail == "" {
					firstFail = o.Describe()
				}
				if code, ok := o.ErrorCode(); ok && code == wire.CodeMethodNotFound && acked == 0 {
					probe.SkipAll(e, []spec.ID{spec.CoreListenAck, spec.CoreListenAckFirst, spec.CoreListenSubscriptionId, spec.CoreListenFilter}, "the server does not serve subscriptions/listen (%s)", o.Describe())
					return
				}
			default:
				if firstFail == "" {
					firstFail = o.Describe()
				}
			}
			if acked == 0 && !o.Answered() && len(o.Ex.Replies) == 0 {
				mask = 8 // a server that does not answer: stop here
				break
			}
		}
	}
	if e.Ctx.Err() != nil {
		return
	}
	if acked == 0 {
		for _, id := range []spec.ID{spec.CoreListenAck, spec.CoreListenAckFirst, spec.CoreListenSubscriptionId, spec.CoreListenFilter} {
			if tally[id] == 0 {
				e.Inconclusive(id, "no subscriptions/listen stream was acknowledged (%s)", firstFail)
			}
		}
		return
	}

	// Triggers.
	all := filterSpec{tools: true, prompts: true, resources: true, uris: uris}
	contrasts, provoked := 0, 0
	var provokedTypes []string
	tried := 0
	for _, name := range slices.Sorted(maps.Keys(e.Decl.Tools)) {
		if tried >= 4 || e.Ctx.Err() != nil || e.TimeLeft() < 4*time.Second {
			break
		}
		td := e.Decl.Tools[name]
		if !triggerName.MatchString(name) && !triggerDesc.MatchString(td.Tool.Description) {
			continue
		}
		tried++
		params := probe.ToolCallParams(e, name)
		// Round 1: what does it provoke?
		p := e.SendAsync(e.Ctx, listenRequest(e, all, 2, 3*time.Second))
		check.Pause(e.Ctx, 150*time.Millisecond)
		triggerUntil(e, tally, params, p, 12, 0)
		first := tally.Add(e.Collect(p))
		d, ok := firstAfterAck(first)
		if !ok || !d.known() {
			continue
		}
		provoked++
		provokedTypes = append(provokedTypes, d.method)
		// Round 2: a stream for that type only, another for all but it.
		ctx, cancel := context.WithCancel(e.Ctx)
		pn := e.SendAsync(ctx, listenRequest(e, d.except(all), 0, 6*time.Second))
		check.Pause(e.Ctx, 300*time.Millisecond)
		po := e.SendAsync(e.Ctx, listenRequest(e, d.only(), 2, 3*time.Second))
		check.Pause(e.Ctx, 150*time.Millisecond)
		triggerUntil(e, tally, params, po, 12, 2)
		check.Pause(e.Ctx, 200*time.Millisecond)
		cancel()
		only := tally.Add(e.Collect(po))
		not := tally.Add(e.Collect(pn))
		got, ok := firstAfterAck(only)
		if ok && got.method == d.method && acknowledged(not) {
			contrasts++
		}
	}
	if e.Ctx.Err() != nil {
		return
	}
	after := ""
	if provoked > 0 {
		after = fmt.Sprintf("; and %d tool(s) provoked %s, delivered after the acknowledgement", provoked, strings.Join(provokedTypes, ", "))
	}
	if tally[spec.CoreListenAck] == 0 {
		e.Pass(spec.CoreListenAck, "%d of %d listen stream(s) acknowledged with notifications/subscriptions/acknowledged", acked, answered)
	}
	if tally[spec.CoreListenAckFirst] == 0 {
		e.Pass(spec.CoreListenAckFirst, "every acknowledged stream (%d) began with the acknowledgement%s", acked, after)
	}
	if tally[spec.CoreListenSubscriptionId] == 0 {
		e.Pass(spec.CoreListenSubscriptionId, "every notification on %d stream(s) carried the listen request's id as subscriptionId%s", acked, after)
	}
	if tally[spec.CoreListenFilter] == 0 {
		switch {
		case contrasts > 0:
			e.Pass(spec.CoreListenFilter, "%d notification type(s) delivered to a stream that asked for them and not to one that did not; acknowledgements agreed only to requested types", contrasts)
		case tried == 0:
			e.Inconclusive(spec.CoreListenFilter, "no tool that announces changes was found to provoke notifications; only the acknowledgements were judged (they agreed only to requested types)")
		default:
			e.Inconclusive(spec.CoreListenFilter, "%d tool(s) that seem to announce changes provoked no notification on a stream that asked for everything; only the acknowledgements were judged", tried)
		}
	}
}
