package stateless

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/gen"
	"github.com/mcpverify/mcpverify/check/probe"
	"github.com/mcpverify/mcpverify/model"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Checks of statelessness (basic/index.mdx, "Statelessness"; the
// "Capabilities" sections of server/tools.mdx, prompts.mdx and
// resources.mdx: a list "MUST NOT vary per-connection or as a side effect
// of other requests on the connection"; streamable-http.mdx, "Backward
// Compatibility": Mcp-Session-Id is ignored and never minted).
//
// The checks tell connections apart with the HTTP target's lanes
// (OnConnection: one kept-alive connection per lane) and fresh connections
// (OnFreshConnection). A difference is retried once before it counts: a
// list may change over time, and a difference that does not repeat is
// inconclusive, never a failure.

func init() {
	check.Register(&check.Check{
		Name:       "stateless/list-stable",
		IDs:        []spec.ID{spec.CoreListStable, spec.CorePromptsListStable, spec.CoreResourcesListStable, spec.CoreListOrder},
		Transports: []wire.Transport{wire.HTTP},
		Needs:      needsDeclaredList,
		Run:        checkListsStable,
	})
	check.Register(&check.Check{
		Name:       "stateless/list-side-effects",
		IDs:        []spec.ID{spec.CoreListStable, spec.CorePromptsListStable, spec.CoreResourcesListStable},
		Transports: []wire.Transport{wire.HTTP},
		Needs:      needsDeclaredList,
		Run:        checkListSideEffects,
	})
	check.Register(&check.Check{
		Name:       "stateless/session-id",
		IDs:        []spec.ID{spec.HttpSessionId},
		Transports: []wire.Transport{wire.HTTP},
		Eras:       []check.Era{check.Modern},
		Run:        checkSessionIDIgnored,
	})
	check.Register(&check.Check{
		Name:       "stateless/interleaved-meta",
		IDs:        []spec.ID{spec.CoreNoConnectionContext},
		Transports: []wire.Transport{wire.HTTP},
		Run:        checkInterleavedMetaHTTP,
	})
}

// Sending on chosen connections.

// connSender sends one request and returns the judged observation.
type connSender func(r *check.Request) check.Observation

// sendOnLane sends on lane n's kept-alive connection of instance 0.
func sendOnLane(e *check.Env, n int) connSender {
	return func(r *check.Request) check.Observation {
		return probe.SendUnder(e, 0, func(c context.Context) context.Context { return check.OnConnection(c, n) }, r)
	}
}

// sendOnFresh sends each request on a new connection to instance 0.
func sendOnFresh(e *check.Env) connSender {
	return func(r *check.Request) check.Observation { return probe.SendUnder(e, 0, check.OnFreshConnection, r) }
}

// sendToInstance sends to instance i (its shared pool).
func sendToInstance(e *check.Env, i int) connSender {
	return func(r *check.Request) check.Observation { return e.SendTo(i, r) }
}

// closeLanes closes the idle connections of every HTTP target, so that the
// lanes of a check start on connections no earlier check has used.
func closeLanes(e *check.Env) {
	for i := 0; i < e.Instances(); i++ {
		if t, ok := e.Target(i).(check.Reconnector); ok {
			t.FreshConnections()
		}
	}
}

// Lists.

// listStableID names, per list method, the requirement that its set does not
// vary per connection or by side effect.
var listStableID = map[string]spec.ID{
	"tools/list":     spec.CoreListStable,
	"prompts/list":   spec.CorePromptsListStable,
	"resources/list": spec.CoreResourcesListStable,
}

// stableListMethods are the list methods of listStableID, in a fixed order.
var stableListMethods = []string{"tools/list", "prompts/list", "resources/list"}

// declaredListMethods returns the list methods whose capability the server
// declares.
func declaredListMethods(e *check.Env) []string {
	var out []string
	for _, m := range stableListMethods {
		info, _ := wire.LookupMethod(m)
		if info != nil && check.Capable(e.Server, info.Capability) {
			out = append(out, m)
		}
	}
	return out
}

func needsDeclaredList(e *check.Env) string {
	if len(declaredListMethods(e)) == 0 {
		return "the server declares none of tools, prompts and resources"
	}
	return ""
}

// skipUndeclaredLists skips the stability requirements of the lists the server
// does not declare.
func skipUndeclaredLists(e *check.Env) {
	declared := declaredListMethods(e)
	for _, m := range stableListMethods {
		if !slices.Contains(declared, m) {
			info, _ := wire.LookupMethod(m)
			e.Skip(listStableID[m], "the server does not declare the %s capability", info.Capability)
		}
	}
}

// maxReadPages bounds the pages a check reads of one list.
const maxReadPages = 20

// listReading is one reading of a whole list: the names (URIs for resources) in
// the order served, and the connection of the first page.
type listReading struct {
	names []string
	conn  int
	ok    bool
	// why says what went wrong when !ok.
	why string
}

// readWholeList reads every page of a list (bounded) through send.
func readWholeList(e *check.Env, send connSender, method string) listReading {
	var lo listReading
	pages, ended := 0, false
	check.FollowCursors(e.Ctx, maxReadPages, func(params map[string]any) (*string, bool) {
		o := send(e.Request(method, params))
		if pages++; pages == 1 {
			lo.conn = o.Ex.Conn
		}
		if !o.Accepted() {
			lo.why = fmt.Sprintf("%s was not served (%s)", method, o.Describe())
			return nil, false
		}
		names, ok := model.ListedNames(o.Result())
		if !ok {
			lo.why = fmt.Sprintf("%s answered with something other than its list", method)
			return nil, false
		}
		lo.names = append(lo.names, names...)
		next := model.NextCursor(o.Result())
		ended = next == nil || pages == maxReadPages
		return next, true
	})
	switch {
	case lo.why != "":
	case !ended && e.Ctx.Err() != nil:
		lo.why = "the check ran out of time"
	default:
		lo.ok = true // the whole list, or its first maxReadPages pages
	}
	return lo
}

// sameNames reports whether two readings list the same names, in any order.
func sameNames(a, b listReading) bool {
	x, y := probe.Sorted(a.names), probe.Sorted(b.names)
	return slices.Equal(x, y)
}

// namesDiff describes how b differs from a: "+x -y".
func namesDiff(a, b listReading) string {
	in := func(s []string, x string) bool { return slices.Contains(s, x) }
	var parts []string
	for _, n := range probe.Sorted(b.names) {
		if !in(a.names, n) {
			parts = append(parts, "+"+n)
		}
	}
	for _, n := range probe.Sorted(a.names) {
		if !in(b.names, n) {
			parts = append(parts, "-"+n)
		}
	}
	if len(parts) > 6 {
		parts = append(parts[:6], fmt.Sprintf("... (%d differences)", len(parts)))
	}
	if len(parts) == 0 {
		return fmt.Sprintf("%d duplicate names", len(b.names)-len(a.names))
	}
	return strings.Join(parts, " ")
}

// stateless/list-stable

// checkListsStable reads each declared list on two kept-alive connections,
// interleaved (A B A B), and on two fresh connections, and compares the
// sets. A difference is retried once: the same connection-keyed difference
// twice is a violation; any other difference is inconclusive (a list may
// change over time). With several instances, each instance's list is
// compared with the first's; a persistent difference between instances is
// inconclusive (a deployment may be rolling out). Tools must also come in
// the same order whenever the set is the same (CORE-LIST-ORDER, a SHOULD).
func checkListsStable(e *check.Env) {
	closeLanes(e)
	skipUndeclaredLists(e)
	toolsSeen := false
	for _, m := range declaredListMethods(e) {
		obs := listStableOne(e, m, listStableID[m])
		if m == "tools/list" {
			toolsSeen = true
			judgeListOrder(e, obs)
		}
	}
	if !toolsSeen {
		e.Skip(spec.CoreListOrder, "the server does not declare the tools capability")
	}
}

// listStableOne judges one list method and returns every reading it made.
func listStableOne(e *check.Env, method string, id spec.ID) []listReading {
	lane1, lane2, fresh := sendOnLane(e, 1), sendOnLane(e, 2), sendOnFresh(e)
	var all []listReading
	var first string      // the difference seen in the first round
	var firstPerConn bool // and whether it was keyed by connection
	for round := 0; round < 2; round++ {
		a1 := readWholeList(e, lane1, method)
		if !a1.ok {
			if round == 0 {
				e.Inconclusive(id, "the unaltered request was not served: %s", a1.why)
			} else {
				e.Inconclusive(id, "a retry of the list was not served: %s", a1.why)
			}
			return all
		}
		b1 := readWholeList(e, lane2, method)
		a2 := readWholeList(e, lane1, method)
		b2 := readWholeList(e, lane2, method)
		f1 := readWholeList(e, fresh, method)
		f2 := readWholeList(e, fresh, method)
		seen := []listReading{a1, b1, a2, b2, f1, f2}
		for _, o := range seen {
			if !o.ok {
				e.Inconclusive(id, "a repeat of a served list request was not served: %s", o.why)
				return all
			}
		}
		all = append(all, seen...)
		diff := ""
		for _, o := range seen[1:] {
			if !sameNames(a1, o) {
				diff = fmt.Sprintf("connection %d listed %d names, connection %d %s", a1.conn, len(a1.names), o.conn, namesDiff(a1, o))
				break
			}
		}
		perConn := sameNames(a1, a2) && sameNames(b1, b2) && !sameNames(a1, b1) && a1.conn == a2.conn && b1.conn == b2.conn && a1.conn != b1.conn
		switch {
		case diff == "" && first == "":
			listInstances(e, method, id, a1, len(all))
			return all
		case diff == "":
			e.Inconclusive(id, "%s differed once (%s) and agreed on the retry: a change over time or variance, not a per-connection list", method, first)
			return all
		case round == 0:
			first, firstPerConn = diff, perConn
			continue
		case perConn && firstPerConn:
			e.Violation(id, "%s varies per connection: two kept-alive connections, interleaved, each kept seeing its own set, in two rounds (%s)", method, diff)
			return all
		default:
			e.Inconclusive(id, "%s varied between requests in two rounds (%s, then %s), but not consistently per connection: a list that changes over time, or instances behind one address that differ", method, first, diff)
			return all
		}
	}
	return all
}

// listInstances compares the list of each further instance with the
// first's, and passes id when they agree.
func listInstances(e *check.Env, method string, id spec.ID, ref listReading, n int) {
	for i := 1; i < e.Instances(); i++ {
		o := readWholeList(e, sendToInstance(e, i), method)
		if o.ok && sameNames(ref, o) {
			continue
		}
		// Retry both once: a deployment may be changing.
		r0 := readWholeList(e, sendOnLane(e, 1), method)
		oi := readWholeList(e, sendToInstance(e, i), method)
		switch {
		case !o.ok || !oi.ok || !r0.ok:
			e.Inconclusive(id, "%s on instance %d was not served: %s%s", method, i, o.why, oi.why)
			return
		case !sameNames(r0, oi):
			e.Inconclusive(id, "%s on instance %d differs from instance 0 twice (%s): a deployment may be changing, so this is not judged", method, i, namesDiff(r0, oi))
			return
		}
	}
	more := ""
	if e.Instances() > 1 {
		more = fmt.Sprintf(", and on each of %d instances", e.Instances())
	}
	e.Pass(id, "%s gave the same %d names on two kept-alive connections interleaved (twice each) and on two fresh connections (%d readings)%s",
		method, len(ref.names), n, more)
}

// judgeListOrder: among readings of one set, the order must be the same.
func judgeListOrder(e *check.Env, obs []listReading) {
	if len(obs) < 2 {
		e.Inconclusive(spec.CoreListOrder, "too few readings of tools/list to compare orders")
		return
	}
	ref, n := obs[0], 0
	for _, o := range obs[1:] {
		if !sameNames(ref, o) {
			continue
		}
		n++
		if !slices.Equal(ref.names, o.names) {
			e.Violation(spec.CoreListOrder, "tools/list listed the same %d tools in different orders: %s then %s", len(ref.names), abbrevNames(ref.names), abbrevNames(o.names))
			return
		}
	}
	if n == 0 {
		e.Inconclusive(spec.CoreListOrder, "no two readings of tools/list listed the same set")
		return
	}
	e.Pass(spec.CoreListOrder, "tools/list listed its %d tools in the same order in %d readings", len(ref.names), n+1)
}

func abbrevNames(names []string) string {
	if len(names) > 8 {
		return "[" + strings.Join(names[:8], " ") + " ...]"
	}
	return "[" + strings.Join(names, " ") + "]"
}

// stateless/list-side-effects

// Bounds of the side-effect check: calls of each kind, the time one call
// may take, and the time kept in reserve for the final readings.
const (
	maxSideEffectTools   = 64
	maxSideEffectOthers  = 3
	sideEffectTimeout    = 3 * time.Second
	sideEffectReserveFor = 4 * time.Second
)

// checkListSideEffects reads every declared list on one kept-alive
// connection, then makes calls on it (tools/call of every tool,
// prompts/get, resources/read), reading the related list after each call
// and every list at the end. A list that changed is read on a fresh
// connection: if the fresh connection sees the change too, the list changed
// over time (allowed); if only the calling connection sees it, twice, that
// is a side effect of requests on the connection (a violation); anything
// else is inconclusive.
func checkListSideEffects(e *check.Env) {
	closeLanes(e)
	skipUndeclaredLists(e)
	lane := sendOnLane(e, 1)
	before := map[string]listReading{}
	live := map[string]bool{}
	for _, m := range declaredListMethods(e) {
		o := readWholeList(e, lane, m)
		if !o.ok {
			e.Inconclusive(listStableID[m], "the unaltered request was not served: %s", o.why)
			continue
		}
		before[m] = o
		live[m] = true
	}
	if len(live) == 0 {
		return
	}
	// compare reads list m on the calling connection after what, and
	// decides it; it reports whether m is still undecided.
	compare := func(m, what string) {
		if !live[m] {
			return
		}
		after := readWholeList(e, lane, m)
		switch {
		case !after.ok:
			e.Inconclusive(listStableID[m], "after %s, the list was not served: %s", what, after.why)
			live[m] = false
			return
		case sameNames(before[m], after):
			return
		}
		switch v, msg := confirmSideEffect(e, m, before[m], after, what); v {
		case sideEffectGlobal:
			before[m] = after
		case sideEffectConfirmed:
			e.Violation(listStableID[m], "%s", msg)
			live[m] = false
		default:
			e.Inconclusive(listStableID[m], "%s", msg)
			live[m] = false
		}
	}
	served, made := 0, 0
	var calls []string
	deadline, hasDeadline := e.Ctx.Deadline()
	for _, c := range sideEffectCalls(e, before) {
		if e.Ctx.Err() != nil || (hasDeadline && time.Until(deadline) < sideEffectReserveFor) {
			break
		}
		c.req.Timeout = sideEffectTimeout
		o := lane(c.req)
		made++
		if o.Accepted() {
			served++
			calls = append(calls, c.what)
		}
		compare(c.list, c.what)
	}
	for _, m := range declaredListMethods(e) {
		compare(m, fmt.Sprintf("all %d calls", made))
	}
	for _, m := range declaredListMethods(e) {
		switch {
		case !live[m]:
		case served == 0:
			e.Inconclusive(listStableID[m], "none of the %d calls made between readings of %s was served, so no side effect could show", made, m)
		default:
			e.Pass(listStableID[m], "%s on one kept-alive connection listed the same %d names before and after %d served calls on it (%s)",
				m, len(before[m].names), served, countKinds(calls))
		}
	}
}

// countKinds summarizes calls ("tools/call x") by method: "tools/call of
// 3, prompts/get of 1".
func countKinds(calls []string) string {
	n := map[string]int{}
	var order []string
	for _, c := range calls {
		m, _, _ := strings.Cut(c, " ")
		if n[m] == 0 {
			order = append(order, m)
		}
		n[m]++
	}
	parts := make([]string, len(order))
	for i, m := range order {
		parts[i] = fmt.Sprintf("%s of %d", m, n[m])
	}
	return strings.Join(parts, ", ")
}

// sideEffectCall is one request made between list readings, and the list
// most likely to show its side effect.
type sideEffectCall struct {
	what, list string
	req        *check.Request
}

// sideEffectCalls builds the calls: every tool (fewest required arguments
// first; none when no argument is required, else arguments drawn from the
// schema), then a few prompts and listed resources.
func sideEffectCalls(e *check.Env, lists map[string]listReading) []sideEffectCall {
	var out []sideEffectCall
	names := probe.ToolsByRequired(e, nil)
	for i, n := range names {
		if i >= maxSideEffectTools {
			break
		}
		args := map[string]any{}
		if probe.RequiredCount(e.Decl.Tools[n].Schema) > 0 {
			if m, ok := gen.GenerateValue(e.Rand(), e.Decl.Tools[n].Schema).(map[string]any); ok {
				args = m
			}
		}
		out = append(out, sideEffectCall{what: "tools/call " + n, list: "tools/list", req: e.Request("tools/call", map[string]any{"name": n, "arguments": args})})
	}
	pnames := make([]string, 0, len(e.Decl.Prompts))
	for n := range e.Decl.Prompts {
		pnames = append(pnames, n)
	}
	sort.Strings(pnames)
	for i, n := range pnames {
		if i >= maxSideEffectOthers {
			break
		}
		params := map[string]any{"name": n}
		if p := e.Decl.Prompts[n]; len(p.Arguments) > 0 {
			args := map[string]any{}
			for _, a := range p.Arguments {
				args[a.Name] = "mcpverify"
			}
			params["arguments"] = args
		}
		out = append(out, sideEffectCall{what: "prompts/get " + n, list: "prompts/list", req: e.Request("prompts/get", params)})
	}
	if rl, ok := lists["resources/list"]; ok {
		for i, uri := range rl.names {
			if i >= maxSideEffectOthers {
				break
			}
			out = append(out, sideEffectCall{what: "resources/read " + uri, list: "resources/list", req: e.Request("resources/read", map[string]any{"uri": uri})})
		}
	}
	return out
}

type sideEffectVerdict int

const (
	sideEffectUnclear sideEffectVerdict = iota
	sideEffectGlobal
	sideEffectConfirmed
)

// confirmSideEffect decides what a changed list on the calling connection
// means, by reading it on fresh connections and again on the calling one.
func confirmSideEffect(e *check.Env, method string, before, after listReading, what string) (sideEffectVerdict, string) {
	lane, fresh := sendOnLane(e, 1), sendOnFresh(e)
	f1 := readWholeList(e, fresh, method)
	if !f1.ok {
		return sideEffectUnclear, fmt.Sprintf("after %s, %s changed on the calling connection (%s) and a fresh connection's list was not served: %s", what, method, namesDiff(before, after), f1.why)
	}
	if sameNames(f1, after) {
		return sideEffectGlobal, ""
	}
	a2 := readWholeList(e, lane, method)
	f2 := readWholeList(e, fresh, method)
	if a2.ok && f2.ok && sameNames(a2, after) && sameNames(f2, f1) && !sameNames(a2, f2) && a2.conn == after.conn {
		return sideEffectConfirmed, fmt.Sprintf("after %s on connection %d, %s on that connection differs from a fresh connection's (%s against the fresh list), twice: a side effect of a request on the connection",
			what, after.conn, method, namesDiff(f2, a2))
	}
	return sideEffectUnclear, fmt.Sprintf("after %s, %s changed on the calling connection (%s) but a retry did not show the same difference against fresh connections: a change over time, not judged", what, method, namesDiff(before, after))
}

// Answers compared "modulo ids".

// stateless/session-id

// checkSessionIDIgnored sends a served request again with an Mcp-Session-Id
// (random; one shaped like a UUID a 2025 server would have minted; a
// short one): the answer must be the same as without (modulo ids), and no
// response may carry an Mcp-Session-Id (the model judges each response of
// a modern-only server for that).
func checkSessionIDIgnored(e *check.Env) {
	b, ok := probe.ServedList(e)
	if !ok {
		e.Inconclusive(spec.HttpSessionId, "the server did not serve the unaltered request")
		return
	}
	minted := false
	sids := []string{e.RandHex(16), probe.RandUUIDLike(e), "1"}
	ignored := probe.HeaderIgnored(e, spec.HttpSessionId, b, "Mcp-Session-Id", sids, func(o check.Observation) {
		minted = minted || check.HasHeader(o.Ex.RespHeader, "Mcp-Session-Id")
	})
	if ignored && !minted { // a minted or echoed id: the model reported it
		e.Pass(spec.HttpSessionId, "%s with Mcp-Session-Id %s was answered as without it, and no response carried an Mcp-Session-Id", b.Method, strings.Join(probe.Quoted(sids), ", "))
	}
}

// stateless/interleaved-meta

// bogusProtocolVersion is a protocol version no server implements.
const bogusProtocolVersion = "1999-01-01"

// interleavedPair is two forms of one request that differ only in _meta and that
// a server answers differently (seen alone, each on a fresh connection).
type interleavedPair struct {
	a, b   string // what differs
	mk     [2]func() *check.Request
	expect [2]string // answer kinds alone
}

// checkInterleavedMetaHTTP: requests that differ only in _meta (a supported
// and an unsupported protocol version; an MRTR tool call with and without
// the input capabilities) are first sent alone, each on a fresh
// connection, to learn that the server answers them differently; then
// interleaved on one kept-alive connection (A B A B B A). Each must be
// answered as when alone: a server that carries version or capabilities
// over from earlier requests on the connection relies on connection
// context. A mismatch is retried once before it counts.
func checkInterleavedMetaHTTP(e *check.Env) {
	closeLanes(e)
	b, ok := probe.ServedList(e)
	if !ok {
		e.Inconclusive(spec.CoreNoConnectionContext, "the server did not serve the unaltered request")
		return
	}
	fresh, lane := sendOnFresh(e), sendOnLane(e, 1)
	var pairs []interleavedPair
	unsup := e.Client
	unsup.Version = bogusProtocolVersion
	pairs = append(pairs, interleavedPair{
		a: "protocol version " + e.Client.ProtocolVersion(), b: "the unsupported protocol version " + bogusProtocolVersion,
		mk: [2]func() *check.Request{
			func() *check.Request { return b.Fresh(e) },
			func() *check.Request { return unsup.Request(e.NextID(), b.Method, probe.CloneParams(b.Params), nil) },
		},
	})
	if p, ok := mrtrInterleavedPair(e, fresh); ok {
		pairs = append(pairs, p)
	}
	judged := []string{}
	for _, p := range pairs {
		if e.Ctx.Err() != nil {
			return
		}
		for i := range p.mk {
			p.expect[i] = probe.AnswerKind(fresh(p.mk[i]()))
		}
		if p.expect[0] == "" || p.expect[1] == "" || p.expect[0] == p.expect[1] {
			continue // does not tell the two apart
		}
		order := []int{0, 1, 0, 1, 1, 0}
		prev := -1
		for _, i := range order {
			o := lane(p.mk[i]())
			k := probe.AnswerKind(o)
			if k == p.expect[i] {
				prev = i
				continue
			}
			if k == "" {
				e.Inconclusive(spec.CoreNoConnectionContext, "interleaving %s and %s: %s", p.a, p.b, o.Describe())
				return
			}
			// Retry: alone again, and the same succession on the connection.
			alone := probe.AnswerKind(fresh(p.mk[i]()))
			if prev >= 0 {
				lane(p.mk[prev]())
			}
			again := lane(p.mk[i]())
			what := [2]string{p.a, p.b}
			if alone == p.expect[i] && probe.AnswerKind(again) == k {
				after := "at the start of the connection"
				if prev >= 0 {
					after = "right after a request with " + what[prev]
				}
				e.Violation(spec.CoreNoConnectionContext, "on one kept-alive connection, a request with %s %s was answered %s, twice; alone it is answered %s: the answer depends on earlier requests on the connection",
					what[i], after, k, alone)
				return
			}
			e.Inconclusive(spec.CoreNoConnectionContext, "interleaving %s and %s: an answer differed from the one alone (%s against %s) but not on the retry", p.a, p.b, k, p.expect[i])
			return
		}
		judged = append(judged, fmt.Sprintf("%s (%s) and %s (%s)", p.a, p.expect[0], p.b, p.expect[1]))
	}
	if len(judged) == 0 {
		e.Inconclusive(spec.CoreNoConnectionContext, "no pair of requests differing only in _meta was answered differently alone, so interleaving them shows nothing")
		return
	}
	e.Pass(spec.CoreNoConnectionContext, "interleaved on one kept-alive connection, requests were each answered by their own _meta, as alone: %s", strings.Join(judged, "; "))
}

// allInputCapabilities declares every input capability.
var allInputCapabilities = wire.Value(`{"elicitation":{},"sampling":{},"roots":{}}`)

// mrtrInterleavedPair finds a tool that asks for input (InputRequiredResult) when the
// client declares the input capabilities, and pairs the call with and
// without them.
func mrtrInterleavedPair(e *check.Env, send connSender) (interleavedPair, bool) {
	names := make([]string, 0, len(e.Decl.Tools))
	for n, td := range e.Decl.Tools {
		if probe.RequiredCount(td.Schema) == 0 {
			names = append(names, n)
		}
	}
	// Tools that say they elicit first, then by name.
	sort.Slice(names, func(i, j int) bool {
		ei, ej := strings.Contains(names[i], "elicit"), strings.Contains(names[j], "elicit")
		if ei != ej {
			return ei
		}
		return names[i] < names[j]
	})
	with := e.Client
	with.Capabilities = allInputCapabilities
	without := e.Client
	without.Capabilities = wire.Value(`{}`)
	for i, n := range names {
		if i >= 6 || e.Ctx.Err() != nil {
			break
		}
		call := func(c check.Client) func() *check.Request {
			return func() *check.Request {
				return c.Request(e.NextID(), "tools/call", map[string]any{"name": n, "arguments": map[string]any{}}, e.Decl.Tools[n].Headers)
			}
		}
		o := send(call(with)())
		if _, ok := o.Result().(*wire.InputRequiredResult); ok && o.Accepted() {
			return interleavedPair{
				a: "tools/call " + n + " with the input capabilities", b: "tools/call " + n + " without them",
				mk: [2]func() *check.Request{call(with), call(without)},
			}, true
		}
	}
	return interleavedPair{}, false
}
