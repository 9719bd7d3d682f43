package check

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/mcpverify/mcpverify/wire"
)

// A run that started can still fail to judge what it set out to judge: the
// server stops answering, crashes, answers garbage or over the limits,
// serves no request at all, the budget runs out before the checks run, or
// the server does not implement this revision. Such a run is incomplete
// (Report.Incomplete, exit status 4), whatever its passes say; the causes
// are counted here, from every exchange of the run.

// health counts what the server's answers show about the run as a whole;
// judge.mu guards it.
type health struct {
	due        int // requests (a response was due)
	served     int // answered with a result (and a 2xx on HTTP)
	unanswered int // timed out or dropped
	garbage    int // over the limits, or not JSON-RPC where a response was due
	// The first answer of each kind, described.
	firstUnanswered, firstGarbage, firstRefusal string
}

// count classifies one exchange.
func (h *health) count(ex *wire.Exchange) {
	if m, err := wire.DecodeMessage(ex.Body); err != nil || wire.MessageID(m).IsZero() {
		return // not a request: no response was due
	}
	h.due++
	switch ex.Outcome {
	case wire.TimedOut, wire.Dropped:
		h.unanswered++
		first(&h.firstUnanswered, ex.Outcome.String())
		return
	case wire.Truncated:
		h.garbage++
		first(&h.firstGarbage, "an answer over the size limit")
		return
	case wire.Complete:
	default:
		return
	}
	ex.Decode()
	o := Observation{Ex: ex}
	_, isErr := o.ErrorCode()
	switch {
	case o.Accepted():
		h.served++
	case ex.Transport == wire.HTTP && ex.Status >= 300 && ex.Status < 400:
		h.garbage++
		first(&h.firstGarbage, fmt.Sprintf("HTTP %d, a redirect", ex.Status))
	case ex.BodyErr != nil:
		h.garbage++
		first(&h.firstGarbage, "a body that is neither JSON nor an event stream ("+ex.BodyErr.Error()+")")
	case o.Result() == nil && !isErr && (ex.Transport != wire.HTTP || ex.Status < 300):
		h.garbage++
		first(&h.firstGarbage, "an answer with no JSON-RPC response")
	default:
		first(&h.firstRefusal, o.Describe())
	}
}

func first(dst *string, s string) {
	if *dst == "" {
		*dst = s
	}
}

// Incomplete causes need a share of the run's requests: a server that
// times out on a few probes (a slow tool) has not stopped answering.
const (
	unhealthyMin   = 5
	unhealthyShare = 0.25
)

// incomplete returns why a run that started could not judge what it set
// out to judge, or "". notRun counts the selected checks the budget left
// no time for; exited describes a stdio server that exited during the run.
func (h *health) incomplete(era Era, legacyVersion string, notRun, selected int, budget time.Duration, exited string) string {
	var why []string
	if exited != "" {
		why = append(why, exited)
	}
	total := h.due
	share := func(n int) bool { return n >= unhealthyMin && float64(n) >= unhealthyShare*float64(total) }
	switch {
	case share(h.unanswered + h.garbage):
		// Either kind, or both: a stream cut at the limit one time and
		// timed out the next is one server that cannot be judged.
		var kinds []string
		if h.unanswered > 0 {
			kinds = append(kinds, fmt.Sprintf("the server stopped answering: %d of %d requests got no answer (%s)", h.unanswered, total, h.firstUnanswered))
		}
		if h.garbage > 0 {
			kinds = append(kinds, fmt.Sprintf("the server answered %d of %d requests with garbage or over the limits (%s)", h.garbage, total, h.firstGarbage))
		}
		why = append(why, kinds...)
	case h.served == 0 && h.firstRefusal != "":
		why = append(why, fmt.Sprintf("the server served no request: every answer was a refusal (%s)", h.firstRefusal))
	}
	switch era {
	case Legacy:
		why = append(why, fmt.Sprintf("the server does not implement %s (it speaks %s): only the checks that do not depend on the revision ran", wire.Version, legacyVersion))
	case OtherRevision:
		why = append(why, fmt.Sprintf("the server does not implement %s", wire.Version))
	}
	if notRun > 0 {
		why = append(why, fmt.Sprintf("the budget (%s) ran out before %d of %d checks ran (--budget)", budget, notRun, selected))
	}
	return strings.Join(why, "; ")
}

// exitedEarly describes a stdio server process that exited during the
// run, with the end of its stderr; "" when it did not (or the target has
// no process).
func exitedEarly(t Target) string {
	p, ok := t.(interface{ ExitStatus() (string, bool) })
	if !ok {
		return ""
	}
	status, exited := p.ExitStatus()
	if !exited {
		return ""
	}
	s := "the server process exited during the run (" + status + ")"
	if st, ok := t.(interface{ Stderr() string }); ok {
		if tail := stderrTail(st.Stderr()); tail != "" {
			s += fmt.Sprintf("; its stderr ends: %q", tail)
		}
	}
	return s
}

// stderrTail is the last lines of a server's stderr, at most 300 bytes.
func stderrTail(s string) string {
	b := bytes.TrimSpace([]byte(s))
	if len(b) > 300 {
		b = b[len(b)-300:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 && i < len(b)-1 {
			b = b[i+1:]
		}
	}
	return string(b)
}
