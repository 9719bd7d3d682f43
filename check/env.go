package check

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/rand"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcpverify/mcpverify/check/legacyclient"
	"github.com/mcpverify/mcpverify/model"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Era is the protocol era a server speaks (versioning.mdx, "Terminology").
type Era string

const (
	// Modern: serves only per-request-metadata revisions (2026-07-28).
	Modern Era = "modern"
	// DualEra: serves this revision and handshake-era revisions.
	DualEra Era = "dual-era"
	// Legacy: serves only handshake-era revisions (initialize).
	Legacy Era = "legacy"
	// UnknownEra: the server answered neither era recognizably.
	UnknownEra Era = "unknown"
)

// ServerInfo is what discovery learnt about the server.
type ServerInfo struct {
	Era      Era
	Versions []string
	// Discover is the server/discover result (nil for a legacy server).
	Discover *wire.DiscoverResult
	// Capabilities of the server (from discover, or from initialize on a
	// legacy server).
	Capabilities wire.ServerCapabilities
	// Legacy is the handshake-era session opened during discovery with a
	// server that speaks only that era (nil otherwise); see package legacyclient.
	Legacy *legacyclient.Session
	// DiscoverProbe is the exchange of discovery's first server/discover
	// (a valid request of this revision).
	DiscoverProbe *wire.Exchange
}

// ModernOnly reports whether the server serves only modern revisions: the
// "servers that serve only this revision" rules apply.
func (s ServerInfo) ModernOnly() bool { return s.Era == Modern }

// Env is what a check runs with: the targets, the client it plays, what the
// server declared, and Send, which judges every exchange with the model.
// An Env is used by one check at a time.
type Env struct {
	Ctx    context.Context
	Client Client
	Decl   *Declarations
	Server ServerInfo
	Opts   *Options

	targets []Target
	j       *judge
	shared  *runShared
	rng     *rand.Rand
	ids     *atomic.Int64

	// The running check: its name, its verdicts, and the exchanges it has
	// sent (its evidence).
	check    *Check
	verdicts []Verdict
	evidence []*wire.Exchange
	// revision stamps the check's verdicts (OnRevision).
	revision string
}

// Rand is the run's source of choices (seeded by Options.Seed).
func (e *Env) Rand() *rand.Rand { return e.rng }

// NextID returns a fresh request id.
func (e *Env) NextID() wire.RequestID { return wire.IntID(e.ids.Add(1)) }

// Transport is the transport of the targets.
func (e *Env) Transport() wire.Transport { return e.targets[0].Transport() }

// Instances is the number of targets (several --url of one deployment).
func (e *Env) Instances() int { return len(e.targets) }

// Target returns instance i's target.
func (e *Env) Target(i int) Target { return e.targets[i%len(e.targets)] }

// Request builds a conforming request of the client with a fresh id (see
// RequestAs).
func (e *Env) Request(method string, params map[string]any) *Request {
	return e.RequestAs(e.Client, method, params)
}

// Notification builds a conforming notification.
func (e *Env) Notification(method string, params map[string]any) *Request {
	return e.Client.Request(wire.RequestID{}, method, params, nil)
}

// Observation is one exchange and the model's judgment of it.
type Observation struct {
	Ex         *wire.Exchange
	Violations []model.Violation
}

// Send sends r to instance 0, judges the exchange with the model, records
// it as the running check's evidence, and returns it.
func (e *Env) Send(r *Request) Observation { return e.SendTo(0, r) }

// SendTo is Send to instance i.
func (e *Env) SendTo(i int, r *Request) Observation {
	i %= len(e.targets)
	ex := e.targets[i].Send(e.Ctx, r)
	ex.Instance = i
	return e.Record(ex)
}

func (e *Env) checkName() string {
	if e.check == nil {
		return "discovery"
	}
	return e.check.Name
}

// Violated reports whether the model found id broken in this exchange.
func (o Observation) Violated(id spec.ID) (model.Violation, bool) {
	for _, v := range o.Violations {
		if v.ID == id {
			return v, true
		}
	}
	return model.Violation{}, false
}

// ErrorCode returns the JSON-RPC error code of the response, if it is an
// error response.
func (o Observation) ErrorCode() (int64, bool) {
	for _, r := range o.Ex.Replies {
		if m, ok := r.Msg.(*wire.JSONRPCErrorResponse); ok {
			return m.Error.Code, true
		}
	}
	return 0, false
}

// Result returns the typed result of the response (nil if none).
func (o Observation) Result() any {
	for _, r := range o.Ex.Replies {
		if _, ok := r.Msg.(*wire.JSONRPCResultResponse); ok {
			return r.Result
		}
	}
	return nil
}

// Accepted reports a complete exchange answered with a result (and, on
// HTTP, a 2xx status): the server served the request.
func (o Observation) Accepted() bool {
	if !o.Ex.Outcome.Finished() {
		return false
	}
	if o.Ex.Transport == wire.HTTP && (o.Ex.Status < 200 || o.Ex.Status > 299) {
		return false
	}
	for _, r := range o.Ex.Replies {
		if _, ok := r.Msg.(*wire.JSONRPCResultResponse); ok {
			return true
		}
	}
	return false
}

// Rejected reports a complete exchange answered with a JSON-RPC error or,
// on HTTP, an error status.
func (o Observation) Rejected() bool {
	if o.Ex.Outcome != wire.Complete {
		return false
	}
	if _, ok := o.ErrorCode(); ok {
		return true
	}
	return o.Ex.Transport == wire.HTTP && o.Ex.Status >= 400
}

// Answered reports that the exchange completed (whatever the answer).
func (o Observation) Answered() bool { return o.Ex.Outcome == wire.Complete }

// Describe summarizes the answer for messages: "HTTP 400, error -32020
// \"...\"", "HTTP 200, result", "timed out".
func (o Observation) Describe() string {
	ex := o.Ex
	if !ex.Outcome.Finished() {
		return ex.Outcome.String()
	}
	s := ""
	if ex.Transport == wire.HTTP {
		s = fmt.Sprintf("HTTP %d, ", ex.Status)
	}
	for _, r := range ex.Replies {
		switch m := r.Msg.(type) {
		case *wire.JSONRPCErrorResponse:
			return s + fmt.Sprintf("error %d %q", m.Error.Code, m.Error.Message)
		case *wire.JSONRPCResultResponse:
			return s + "a result"
		}
	}
	return s + "no JSON-RPC response"
}

// Verdicts of the running check.

// Pass records that the server met requirement id (reason-bound: call it
// only when the check has shown the outcome happened for the right
// reason).
func (e *Env) Pass(id spec.ID, format string, args ...any) {
	e.verdict(id, verdictPass, fmt.Sprintf(format, args...))
}

// Violation records that the server broke requirement id; the check's
// exchanges so far are the evidence.
func (e *Env) Violation(id spec.ID, format string, args ...any) {
	e.verdict(id, verdictViolated, fmt.Sprintf(format, args...))
}

// Inconclusive records that the check could not tell.
func (e *Env) Inconclusive(id spec.ID, format string, args ...any) {
	e.verdict(id, verdictInconclusive, fmt.Sprintf(format, args...))
}

// Skip records that requirement id does not apply to this server.
func (e *Env) Skip(id spec.ID, format string, args ...any) {
	e.verdict(id, verdictSkip, fmt.Sprintf(format, args...))
}

func (e *Env) verdict(id spec.ID, k verdictKind, msg string) {
	v := Verdict{ID: id, Check: e.checkName(), kind: k, Message: msg, Revision: e.revision, at: time.Now()}
	if k == verdictViolated {
		v.Evidence = e.j.traceOf(e.evidence)
	}
	e.verdicts = append(e.verdicts, v)
}

// Cause names the cause of the running check's last violation of id (the
// report groups the findings of one cause): "the requestState of tool x
// is not verified".
func (e *Env) Cause(id spec.ID, cause string) {
	for i := len(e.verdicts) - 1; i >= 0; i-- {
		if v := &e.verdicts[i]; v.ID == id && v.kind == verdictViolated {
			v.Cause = cause
			return
		}
	}
}

// Expect judges a negative probe whose unaltered request was accepted: the server
// must not have served the defective request, and the model must not have
// found id broken (the model knows which rejection the spec names). A
// model violation of id is reported by the judge already; Expect adds the
// pass, or the violation when the model could not judge.
func (e *Env) Expect(o Observation, id spec.ID, what string) {
	if v, ok := o.Violated(id); ok {
		_ = v // recorded by the judge
		return
	}
	switch {
	case !o.Answered():
		e.Inconclusive(id, "%s: %s", what, o.Describe())
	case o.Rejected():
		e.Pass(id, "%s: rejected (%s)", what, o.Describe())
	case o.Ex.Transport == wire.HTTP && o.Ex.Status >= 300 && o.Ex.Status < 400:
		e.Inconclusive(id, "%s: redirected (%s), neither served nor refused; the checker follows no redirect", what, o.Describe())
	default:
		e.Violation(id, "%s: served (%s); the spec requires a rejection", what, o.Describe())
	}
}

// judge serializes the model over the exchanges of a run and collects what
// it judged.
type judge struct {
	mu     sync.Mutex
	state  model.State
	prefix []*wire.Exchange // discovery: the start of every trace
	target string
	// start is when the run started: Result.FirstFail counts from it.
	start time.Time
	// judged counts, per requirement, the exchanges judged against it;
	// violated holds the first violation of each requirement.
	judged   map[spec.ID]int
	violated map[spec.ID]*Verdict
	counts   map[spec.ID]int
	total    int
	// answered counts the exchanges the server answered.
	answered int
	// health classifies every exchange for Report.Incomplete.
	health health
	// first is the first exchange counted.
	first *wire.Exchange
	// done and checks are the run's checks done and selected, for
	// onProgress (Options.OnProgress).
	done, checks int
	onProgress   func(done, total, exchanges int)
}

func newJudge(cfg model.Config, target string) *judge {
	return &judge{state: model.NewState(cfg), target: target, start: time.Now(), judged: map[spec.ID]int{}, violated: map[spec.ID]*Verdict{}, counts: map[spec.ID]int{}}
}

// step judges ex; the evidence of a violation is the discovery prefix and
// the check's exchanges so far.
func (j *judge) step(ex *wire.Exchange, evidence []*wire.Exchange, check string) []model.Violation {
	j.mu.Lock()
	defer j.mu.Unlock()
	var vs []model.Violation
	var ids []spec.ID
	j.state, vs, ids = j.state.Judge(ex)
	j.countLocked(ex)
	for _, id := range ids {
		j.judged[id]++
	}
	for _, v := range vs {
		j.counts[v.ID]++
		if j.violated[v.ID] == nil {
			j.violated[v.ID] = &Verdict{ID: v.ID, Check: check, kind: verdictViolated, Model: true, at: time.Now(),
				Message: fmt.Sprintf("got %s; want %s", v.Got, v.Want), Evidence: j.traceLocked(evidence)}
		}
	}
	return vs
}

func (j *judge) traceOf(evidence []*wire.Exchange) []*wire.Exchange {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.traceLocked(evidence)
}

func (j *judge) traceLocked(evidence []*wire.Exchange) []*wire.Exchange {
	out := make([]*wire.Exchange, 0, len(j.prefix)+len(evidence))
	for _, p := range j.prefix {
		if !contains(evidence, p) {
			out = append(out, p)
		}
	}
	return append(out, evidence...)
}

func contains(exs []*wire.Exchange, x *wire.Exchange) bool {
	for _, e := range exs {
		if e == x {
			return true
		}
	}
	return false
}

// HasHeader reports whether h has name, case-insensitively.
func HasHeader(h http.Header, name string) bool {
	_, ok := wire.HeaderValue(h, name)
	return ok
}

// ViolationsOf returns the running check's violations of id.
func (e *Env) ViolationsOf(id spec.ID) []Verdict {
	var out []Verdict
	for _, v := range e.verdicts {
		if v.ID == id && v.kind == verdictViolated {
			out = append(out, v)
		}
	}
	return out
}

// RequestAs builds a conforming request as client c (another set of
// capabilities than the run's client), with a fresh id and, for tools/call,
// the tool's Mcp-Param-* headers. params is used as is (Client.Request
// adds _meta unless present): pass a copy.
func (e *Env) RequestAs(c Client, method string, params map[string]any) *Request {
	var headers []model.ParamHeader
	if method == "tools/call" {
		if name, ok := params["name"].(string); ok && e.Decl.Tools[name] != nil {
			headers = e.Decl.Tools[name].Headers
		}
	}
	return c.Request(e.NextID(), method, params, headers)
}

// ListMethod is a request every server of its capabilities serves
// without arguments: tools/list, else prompts/list, resources/list, or
// server/discover.
func (e *Env) ListMethod() string {
	method := "server/discover"
	switch {
	case e.Server.Capabilities.Tools != nil:
		method = "tools/list"
	case e.Server.Capabilities.Prompts != nil:
		method = "prompts/list"
	case e.Server.Capabilities.Resources != nil:
		method = "resources/list"
	}
	return method
}

// RandHex returns n random bytes from the run's source, in hex.
func (e *Env) RandHex(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(e.rng.Intn(256))
	}
	return hex.EncodeToString(b)
}

// runShared is what the checks of one run share: the identities, and a
// store of what one check learns for others (Shared).
type runShared struct {
	principals *principals
	mu         sync.Mutex
	store      map[any]any
}

func newRunShared(o *Options) *runShared {
	return &runShared{principals: newPrincipals(o), store: map[any]any{}}
}

// Shared returns the run's value for key, made by make on first use: what
// one check of a run learns for others (the requestState survey that the
// handle checks reuse, ...). Use an unexported key type of the package
// that owns the value. Safe for concurrent use; make runs under no lock
// and may send requests.
func Shared[T any](e *Env, key any, make func() *T) *T {
	e.shared.mu.Lock()
	v, ok := e.shared.store[key]
	e.shared.mu.Unlock()
	if ok {
		return v.(*T)
	}
	nv := make()
	e.shared.mu.Lock()
	defer e.shared.mu.Unlock()
	if v, ok := e.shared.store[key]; ok {
		return v.(*T)
	}
	e.shared.store[key] = nv
	return nv
}

// Evidence of the running check.

// Mark returns a mark of the check's evidence so far (for Since).
func (e *Env) Mark() int { return len(e.evidence) }

// Since returns the exchanges the running check sent since mark.
func (e *Env) Since(mark int) []*wire.Exchange {
	if mark < 0 || mark > len(e.evidence) {
		return nil
	}
	return append([]*wire.Exchange(nil), e.evidence[mark:]...)
}

// ViolationShown records a violation whose trace holds the exchanges that
// show it (after the discovery exchanges), not everything the check sent;
// with none, the check's exchanges so far.
func (e *Env) ViolationShown(ev []*wire.Exchange, id spec.ID, format string, args ...any) {
	if len(ev) == 0 {
		e.Violation(id, format, args...)
		return
	}
	saved := e.evidence
	e.evidence = ev
	e.Violation(id, format, args...)
	e.evidence = saved
}

// RestartEvidence forgets the check's evidence so far: a violation found
// from here on is shown by the exchanges sent from here on.
func (e *Env) RestartEvidence() { e.evidence = nil }

// Record records an exchange sent straight through a target (from several
// goroutines at once, or to a second process) as the running check's
// evidence and judges it, as Send does. Call it from the check's
// goroutine, in the order the exchanges were sent.
func (e *Env) Record(ex *wire.Exchange) Observation {
	e.evidence = append(e.evidence, ex)
	vs := e.j.step(ex, e.evidence, e.checkName())
	return Observation{Ex: ex, Violations: vs}
}

// Prefix returns the discovery exchanges: the start of every trace.
func (e *Env) Prefix() []*wire.Exchange {
	e.j.mu.Lock()
	defer e.j.mu.Unlock()
	return append([]*wire.Exchange(nil), e.j.prefix...)
}

// ModelBroken returns the requirements the model has found broken so far
// in the run.
func (e *Env) ModelBroken() map[spec.ID]bool {
	e.j.mu.Lock()
	defer e.j.mu.Unlock()
	out := make(map[spec.ID]bool, len(e.j.violated))
	for id := range e.j.violated {
		out[id] = true
	}
	return out
}

// Progressf writes a progress line (Options.Progress), if asked for.
func (e *Env) Progressf(format string, args ...any) { progress(e.Opts.Progress, format, args...) }

// OnRevision marks the check's later verdicts as obtained on protocol
// revision rev (a legacy session's), not this one.
func (e *Env) OnRevision(rev string) { e.revision = rev }
