package probe

import (
	"fmt"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/spec"
)

// The skeleton's aggregated form. Where Family gives one verdict per
// variant, a Sweep gives one per requirement: the first answer that breaks
// it is the violation, and it passes when every answer judged conforms.

// Outcome is a Sweep's judgment of one answer.
type Outcome struct {
	kind outcomeKind
	why  string
}

type outcomeKind uint8

const (
	conforms outcomeKind = iota
	notJudged
	breaks
	unsure
)

// Conforms counts the answer as conforming.
var Conforms = Outcome{kind: conforms}

// NotJudged leaves the answer out of the tally (it says nothing about the
// requirement, e.g. no JSON-RPC response to an id probe).
var NotJudged = Outcome{kind: notJudged}

// Breaks makes the answer the violation, with why.
func Breaks(format string, args ...any) Outcome {
	return Outcome{kind: breaks, why: fmt.Sprintf(format, args...)}
}

// Unsure ends the sweep inconclusive, with why.
func Unsure(format string, args ...any) Outcome {
	return Outcome{kind: unsure, why: fmt.Sprintf(format, args...)}
}

// Unanswered is the outcome of an exchange that got no answer: the sweep
// ends inconclusive, saying why.
func Unanswered(o check.Observation) Outcome { return Unsure("%s", o.Describe()) }

// Sweep decides one requirement from a list of probes sent after a served
// request.
type Sweep struct {
	ID spec.ID
	// Serve sends the unaltered request (nil: ServedList).
	Serve func(e *check.Env) (*Served, bool)
	// Probes returns the probes; each Variant's What prefixes its verdict.
	Probes func(e *check.Env, s *Served) []Variant
	// Judge judges one answer that the model did not already find
	// violating ID.
	Judge func(e *check.Env, s *Served, v Variant, o check.Observation) Outcome
	// Passed says what passed, given the number of answers that conformed.
	Passed func(s *Served, n int) string
}

// Run performs the sweep: serve first, probe, tally, one verdict.
func (w Sweep) Run(e *check.Env) {
	serve := w.Serve
	if serve == nil {
		serve = ServedList
	}
	s, ok := serve(e)
	if !ok {
		e.Inconclusive(w.ID, "the server did not serve the unaltered request")
		return
	}
	probes := w.Probes(e, s)
	n := 0
	for _, v := range probes {
		if e.Ctx.Err() != nil {
			return
		}
		o := e.Send(v.Request)
		if _, bad := o.Violated(w.ID); bad {
			return // the model reported it
		}
		switch out := w.Judge(e, s, v, o); out.kind {
		case conforms:
			n++
		case breaks:
			e.Violation(w.ID, "%s: %s", v.What, out.why)
			return
		case unsure:
			e.Inconclusive(w.ID, "%s: %s", v.What, out.why)
			return
		}
	}
	if n == 0 {
		e.Inconclusive(w.ID, "none of %d probes got an answer that could be judged", len(probes))
		return
	}
	e.Pass(w.ID, "%s", w.Passed(s, n))
}

// HeaderIgnored probes id, a header the server must ignore: the served
// request sent again with name set to each of values must be answered as
// without it (AnswerSignature). A difference counts only if it repeats:
// both forms are sent again, and the one without the header must still
// be answered as at first. more, when set, is given every answer (to
// judge something else of each, e.g. a response header). It records the
// violation or the inconclusive verdict itself, and reports whether every
// value was ignored: then the caller passes id, saying what else it saw.
func HeaderIgnored(e *check.Env, id spec.ID, b *Served, name string, values []string, more func(check.Observation)) bool {
	see := func(o check.Observation) check.Observation {
		if more != nil {
			more(o)
		}
		return o
	}
	see(b.Obs)
	ref := AnswerSignature(b.Obs)
	for _, v := range values {
		if e.Ctx.Err() != nil {
			return false
		}
		o := see(e.Send(WithHeaderValue(b.Fresh(e), name, v)))
		if AnswerSignature(o) == ref {
			continue
		}
		if !o.Answered() {
			e.Inconclusive(id, "%s with %s %q: %s", b.Method, name, v, o.Describe())
			return false
		}
		// Retry both: the answer may vary without the header too.
		o0 := see(e.Send(b.Fresh(e)))
		o1 := see(e.Send(WithHeaderValue(b.Fresh(e), name, v)))
		k0, k1 := AnswerSignature(o0), AnswerSignature(o1)
		switch {
		case k0 == k1:
			continue
		case k0 == ref && k1 == AnswerSignature(o):
			e.Violation(id, "%s with %s %q was answered %s, twice; without it, %s: the header was not ignored", b.Method, name, v, o1.Describe(), o0.Describe())
			return false
		default:
			e.Inconclusive(id, "%s with and without %s %q answered differently, but not consistently", b.Method, name, v)
			return false
		}
	}
	return true
}
