package check

import (
	"cmp"
	"slices"
	"time"

	"github.com/mcpverify/mcpverify/wire"
)

// Confirmation of the model's findings. A violation can depend on a race
// (a listen stream answered before its acknowledgement in some runs and
// not others); one exchange cannot tell a race from a steady defect. The
// violating request of each model finding is therefore sent again, up to
// ConfirmTries in all, when sending it again changes nothing on the
// server, and the result says in how many of the answered tries the model
// found it ("fail, 2 of 5 tries"). A later run, or a replay, that happens to pass
// is then not mistaken for a fix.

// ConfirmTries is how many times in all (the first included) the violating
// request of a model finding is sent.
const ConfirmTries = 5

// Repeatable reports whether sending a request again changes nothing on
// the server: discovery, lists and reads (the cacheable methods),
// prompts/get, completion/complete, subscriptions/listen, ping, and
// methods this revision does not define (answered with an error).
func Repeatable(method string) bool {
	info, ok := wire.LookupMethod(method)
	if !ok {
		return method != ""
	}
	if info.Notification {
		return false
	}
	switch method {
	case "prompts/get", "completion/complete", "subscriptions/listen", "ping":
		return true
	}
	return info.Cacheable
}

// confirmFindings sends again the violating request of each model finding
// the running check made first (see above).
func (e *Env) confirmFindings() {
	e.j.mu.Lock()
	var todo []*Verdict
	for _, v := range e.j.violated {
		if v.Check == e.checkName() && v.Tries == 0 && len(v.Evidence) > 0 {
			todo = append(todo, v)
		}
	}
	e.j.mu.Unlock()
	slices.SortFunc(todo, func(a, b *Verdict) int { return cmp.Compare(a.ID, b.ID) })
	for _, v := range todo {
		rec := v.Evidence[len(v.Evidence)-1]
		m, err := wire.DecodeMessage(rec.Body)
		if err != nil || !Repeatable(wire.MessageMethod(m)) {
			continue
		}
		// n counts the tries that were answered: one the server did not
		// answer shows nothing either way.
		k, n := 1, 1
		for sent := 1; sent < ConfirmTries && e.Ctx.Err() == nil && e.TimeLeft() > 2*time.Second; sent++ {
			r, _ := replayRequest(rec, ReplayOptions{})
			o := e.SendTo(rec.Instance, r)
			if !o.Ex.Outcome.Finished() {
				continue
			}
			n++
			if _, again := o.Violated(v.ID); again {
				k++
			}
		}
		e.j.mu.Lock()
		v.Tries, v.Reproduced = n, k
		e.j.mu.Unlock()
	}
}
