package utilities

import (
	"context"
	"fmt"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/spec"
)

func init() {
	check.Register(&check.Check{
		Name: "utilities/listen-uris",
		IDs:  []spec.ID{spec.CoreListenUriLimit},
		Run:  checkListenURIs,
	})
	check.Register(&check.Check{
		Name:  "utilities/listen-share",
		IDs:   []spec.ID{spec.CoreListenShare},
		Needs: needsTwoPrincipals,
		Run:   checkListenShare,
	})
}

// maxHeldStreams bounds the listen streams the first principal opens.
const maxHeldStreams = 32

func needsTwoPrincipals(e *check.Env) string {
	if !e.HasAlt() {
		return "needs the credentials of a second principal (--alt-header)"
	}
	return ""
}

// checkListenShare has the first principal open listen streams, one after
// another and held open, until one is refused (its limit) or
// maxHeldStreams are open; then the second principal opens one, which
// must be acknowledged. A refusal of the second while the first holds its
// streams is a hardening warning: the limit is not per principal.
func checkListenShare(e *check.Env) {
	id := spec.CoreListenShare
	var f filterSpec
	found := false
	for _, c := range []filterSpec{{tools: true}, {resources: true}, {prompts: true}} {
		if acknowledged(e.Send(listenRequest(e, c, 1, listenTimeout))) {
			f, found = c, true
			break
		}
	}
	if !found {
		e.Skip(id, "no subscriptions/listen stream was acknowledged for the first principal: the server does not serve listen to it")
		return
	}
	ctx, cancel := context.WithCancel(e.Ctx)
	var held []*check.Pending
	limit := 0
	for len(held) < maxHeldStreams && e.Ctx.Err() == nil && e.TimeLeft() > 6*time.Second {
		r := listenRequest(e, f, 0, e.TimeLeft()-4*time.Second)
		p := e.SendAsync(ctx, r)
		check.Pause(e.Ctx, 50*time.Millisecond)
		if p.Finished() {
			held = append(held, p)
			limit = len(held)
			break
		}
		held = append(held, p)
	}
	open := len(held)
	if limit > 0 {
		open--
	}
	alt := e.AsAlt(e.Client)
	r := e.RequestAs(alt, "subscriptions/listen", f.params())
	r.StopAfter, r.Timeout = 1, listenTimeout
	o := e.Send(r)
	cancel()
	for _, p := range held {
		e.Collect(p)
	}
	held1 := fmt.Sprintf("while the first principal held %d listen stream(s)", open)
	if limit > 0 {
		held1 += fmt.Sprintf(" (its stream %d was refused: its limit)", limit)
	} else {
		held1 += fmt.Sprintf(" (no limit reached within %d)", maxHeldStreams)
	}
	switch {
	case acknowledged(o):
		e.Pass(id, "%s, the second principal's stream was acknowledged", held1)
	case !o.Answered():
		e.Inconclusive(id, "%s, the second principal's stream got %s", held1, o.Describe())
	default:
		e.Violation(id, "%s, the second principal's stream was refused (%s): one principal's streams lock the other out", held1, o.Describe())
	}
}

// manyURIs is how many resource URIs the bounded listen names: well
// above what a server needs to hold for one client, a few hundred
// kilobytes on the wire.
const manyURIs = 4096

// listenURIs are n distinct resource URIs: a declared resource's URI with
// a query, or of the checker's own scheme when none is declared.
func listenURIs(e *check.Env, n int) []string {
	base := "mcpverify://listen-uris/"
	if us := e.Decl.Resources; len(us) > 0 {
		base = us[0] + "?mcpverify="
	}
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", base, i)
	}
	return out
}

// checkListenURIs sends a listen naming one resource URI (it must be
// acknowledged), then one naming manyURIs: that one should be refused. An
// acknowledgement is a hardening warning: the URIs of a stream are held
// for as long as it is open.
func checkListenURIs(e *check.Env) {
	id := spec.CoreListenUriLimit
	one := listenURIs(e, 1)
	if o := e.Send(listenRequest(e, filterSpec{uris: one}, 1, listenTimeout)); !acknowledged(o) {
		e.Skip(id, "a subscriptions/listen naming one resource URI (%s) was not acknowledged (%s): nothing to bound", one[0], o.Describe())
		return
	}
	mark := e.Mark()
	o := e.Send(listenRequest(e, filterSpec{uris: listenURIs(e, manyURIs)}, 1, listenTimeout))
	switch {
	case acknowledged(o):
		e.ViolationShown(e.Since(mark), id, "a subscriptions/listen naming %d resource URIs was acknowledged, as the one naming a single URI was: no bound on the URIs one stream holds within %d", manyURIs, manyURIs)
	case o.Rejected() || errorAnswer(o):
		e.Pass(id, "a subscriptions/listen naming %d resource URIs was refused (%s), while one naming a single URI was acknowledged", manyURIs, o.Describe())
	default:
		e.Inconclusive(id, "a subscriptions/listen naming %d resource URIs: %s", manyURIs, o.Describe())
	}
}

// errorAnswer reports a JSON-RPC error among the answer's messages (a
// stream cut after its first message is not complete, but refused all
// the same).
func errorAnswer(o check.Observation) bool {
	_, isErr := o.ErrorCode()
	return isErr
}
