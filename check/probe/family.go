package probe

import (
	"fmt"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// The probe skeleton. A negative check is a family of probes: requests
// the server serves (Served, sent first: the reason-bound baseline), a
// set of variants of each with one thing changed, and a verdict on each
// answer. A server that serves none of the unaltered requests proves
// nothing by refusing the variants, so then every requirement of the
// family is inconclusive.

// Variant is one altered copy of a served request.
type Variant struct {
	// What names it in verdicts ("tools/list without _meta").
	What string
	// Request is the copy as sent (with a fresh id).
	Request *check.Request
	// Arg is what the judge needs to know of the variant beyond its
	// request (e.g. the id it carries), if anything.
	Arg any
	// defect is what a header variant breaks (HeaderVariants).
	defect Defect
}

// Family is a negative check in the probe skeleton's shape: Run serves
// the unaltered requests, sends every variant of each and judges it.
type Family struct {
	// IDs are the requirements the family decides.
	IDs []spec.ID
	// HTTPOnly are those of IDs that only Streamable HTTP can break (a
	// status code): skipped on other transports.
	HTTPOnly []spec.ID
	// Serve sends the unaltered requests and returns those served (nil:
	// ServedRequests).
	Serve func(e *check.Env) []*Served
	// Variants returns the variants of one served request.
	Variants func(e *check.Env, s *Served) []Variant
	// Judge judges the answer to one variant (nil: Expect on IDs[0], with
	// the status of HTTPOnly[0] when there is one: ExpectStatus).
	Judge func(e *check.Env, s *Served, v Variant, o check.Observation)
}

// Run performs the family: serve first, vary, judge. It stops when the
// check's time is up.
func (f Family) Run(e *check.Env) {
	serve := f.Serve
	if serve == nil {
		serve = ServedRequests
	}
	served := serve(e)
	if len(served) == 0 {
		InconclusiveAll(e, f.IDs, "the server served none of the unaltered requests, so a refusal of the altered ones would prove nothing")
		return
	}
	if e.Transport() != wire.HTTP {
		for _, id := range f.HTTPOnly {
			e.Skip(id, "HTTP status codes apply to Streamable HTTP only")
		}
	}
	judge := f.Judge
	if judge == nil {
		judge = f.expect
	}
	for _, s := range served {
		if !Vary(e, s, f.Variants(e, s), judge) {
			return
		}
	}
}

// Vary sends each variant of the served request s and judges its answer;
// it stops, returning false, when the check's time is up.
func Vary(e *check.Env, s *Served, vs []Variant, judge func(e *check.Env, s *Served, v Variant, o check.Observation)) bool {
	for _, v := range vs {
		if e.Ctx.Err() != nil {
			return false
		}
		judge(e, s, v, e.Send(v.Request))
	}
	return true
}

// expect is the default verdict: the variant must be refused for the
// reason the model accepts (Expect), with an HTTP 400 where the family has
// a status requirement.
func (f Family) expect(e *check.Env, _ *Served, v Variant, o check.Observation) {
	status := spec.ID("")
	if len(f.HTTPOnly) > 0 {
		status = f.HTTPOnly[0]
	}
	ExpectStatus(e, o, f.IDs[0], status, v.What)
}

// ServedOne adapts a function that serves one request to Family.Serve.
func ServedOne(serve func(e *check.Env) (*Served, bool)) func(e *check.Env) []*Served {
	return func(e *check.Env) []*Served {
		if s, ok := serve(e); ok {
			return []*Served{s}
		}
		return nil
	}
}

// HeaderVariants are the variants of a served request whose header name
// carries each of mus, those of a defect ids maps only.
func HeaderVariants(e *check.Env, s *Served, name string, mus []HeaderMutation, ids HeaderIDs) []Variant {
	var out []Variant
	for _, mu := range mus {
		if _, ok := ids[mu.Defect]; !ok {
			continue
		}
		r := s.Fresh(e)
		SetValues(r, name, mu.Values)
		out = append(out, Variant{What: fmt.Sprintf("%s with %s %s (%s)", s.Method, name, DescribeValues(mu.Values), mu.Class), Request: r, defect: mu.Defect})
	}
	return out
}

// ExpectDefect judges a header variant against the requirement its
// defect breaks (ids).
func ExpectDefect(ids HeaderIDs) func(e *check.Env, s *Served, v Variant, o check.Observation) {
	return func(e *check.Env, _ *Served, v Variant, o check.Observation) {
		e.Expect(o, ids[v.defect], v.What)
	}
}

// IDsOf returns the requirements of a header family, in defect order.
func IDsOf(ids HeaderIDs) []spec.ID {
	var out []spec.ID
	for _, d := range []Defect{DefectMissing, DefectMismatch, DefectInvalid} {
		if id, ok := ids[d]; ok {
			out = append(out, id)
		}
	}
	return out
}
