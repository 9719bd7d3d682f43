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
