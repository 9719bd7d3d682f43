package check

import (
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mcpverify/mcpverify/check/hints"
	"github.com/mcpverify/mcpverify/model"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/trace"
	"github.com/mcpverify/mcpverify/wire"
)

// Options configure a run.
type Options struct {
	// Client is the client the checker plays (version, capabilities,
	// identity, extra headers). Zero means DefaultClient.
	Client Client
	// Instances are further instances of the same deployment (several
	// --url): requests are spread across the target and these.
	Instances []Target
	// Model configures the model (allowed origins, ...).
	Model model.Config
	// Seed makes a run repeatable; 0 picks one (reported).
	Seed int64
	// Budget bounds the run's wall time; 0 means 60 s.
	Budget time.Duration
	// CheckTimeout bounds one check; 0 means 15 s.
	CheckTimeout time.Duration
	// MaxExchanges bounds the generated campaign; 0 means 300.
	MaxExchanges int
	// Strict turns warnings (SHOULD, HARDENING) into failures.
	Strict bool
	// Only, if set, runs only the checks whose name has one of these
	// prefixes ("headers/", "origin/...").
	Only []string
	// Exact makes Only name checks exactly rather than by prefix: a name
	// is also a prefix of longer names ("state/handles" of
	// "state/handles-x"). Replay sets it, and so does a caller that has
	// resolved its selection into check names.
	Exact bool
	// Progress, if set, receives a line per phase.
	Progress io.Writer
	// OnProgress, if set, is called as the run advances: as it starts,
	// after each exchange and after each check, with the checks done of
	// the checks selected and the exchanges so far. It is called with the
	// run's judge locked, possibly from several goroutines: it must return
	// quickly and must not call into the run.
	OnProgress func(done, total, exchanges int)

	// AltHeader holds the credentials of a second principal (e.g. its
	// Authorization header), distinct from the principal of Client's
	// credentials: requests the state checks send as that principal carry
	// these headers in place of the client's headers of the same names.
	// Nil: the cross-principal checks are skipped.
	AltHeader http.Header
	// Authority is an authorization server that the target trusts and the
	// checker controls (check --auth-mock): the auth checks mint their
	// tokens with it. Nil: the checks that need it are skipped.
	Authority Authority
	// Sandbox is the file tree the target was started on (check
	// --sandbox): the file checks send its attacks, and the model judges
	// every answer against its tree (Model.Files, unless set). Nil: the
	// file checks are skipped.
	Sandbox Sandbox
	// Upstream is a service the target may be pointed at (by --hints
	// upstream or its configuration): the passthrough check reads what it
	// received. Nil: that check is skipped.
	Upstream Upstream
	// Hints name what the protocol does not mark: state-handle tools,
	// single-use requests, requests whose state matters, lifetimes (see
	// Hints). Nil: the state checks rely on detection alone.
	Hints *hints.Hints
	// TaskFlood is the most tasks the task flood creates as one principal
	// (tasks/quota, within TaskFloodTime): 0 means DefaultTaskFlood, a
	// negative number skips the flood.
	TaskFlood int
	// StateTTLMax is the longest the deployment lets a requestState live
	// (the model's Config.StateTTLMax, unless Model sets one): a state
	// presented later must be refused, and the expiry check waits this
	// long when the budget allows. 0: only a lifetime the server states.
	StateTTLMax time.Duration
}

// Status is the outcome of one requirement in a run.
type Status string

const (
	Pass         Status = "pass"
	Fail         Status = "fail"
	Warn         Status = "warn"
	Skip         Status = "skip"
	Inconclusive Status = "inconclusive"
)

// Result is what a run found about one requirement.
type Result struct {
	ID    spec.ID
	Level spec.Level
	// Requirement is the catalog's paraphrase.
	Requirement string
	Status      Status
	Message     string
	// Check names the check (or "model") whose finding decided the status.
	Check string
	// Count is the number of exchanges or probes that broke the
	// requirement (failures, warnings) or were judged (passes).
	Count int
	// Trace holds the evidence of a failure or warning: replayable with
	// `mcpverify replay`.
	Trace *trace.Trace
	// Revision is the protocol revision the result was obtained on.
	Revision string
	// TraceFile is where Trace was saved (SaveTraces), if it was.
	TraceFile string
	// Baselined is the reason the known-failures file (--baseline) gives
	// for this requirement (KnownFailures.Apply), "" when it does not list
	// it. A known failure does not fail the run.
	Baselined string
	// Stale is set when the known-failures file lists this requirement
	// and it now passes: the entry can go.
	Stale bool
	// Tries and Reproduced: a model finding's violating request was sent
	// Tries times and broke the requirement in Reproduced of them (a
	// Reproduced below Tries is a race); 0 when it was not sent again.
	Tries, Reproduced int
	// Cause names the cause this failure or warning shares with others of
	// the report (the same unverified requestState; the same HTTP error
	// answer without a JSON-RPC error); "" when it shares none.
	Cause string
	// FirstFail is the time from the start of the run to the first
	// violation of the requirement (its earliest violating verdict, of a
	// check or the model), on the run's clock; meaningful only for
	// failures and warnings (0 otherwise).
	FirstFail time.Duration
}

// Report is the outcome of a run.
type Report struct {
	Target string
	// Instances describes the further instances of the deployment
	// (Options.Instances: several --url), requests spread across them.
	Instances []string
	Revision  string
	Seed      int64
	Era       Era
	Exchanges int
	// Discovery is the number of discovery exchanges: the start of every
	// trace.
	Discovery int
	// Judgments counts requirement judgments: each exchange judged against
	// each requirement it bears on, and each verdict of a check.
	Judgments int
	Duration  time.Duration
	Results   []Result
	// Stderr is what a stdio server wrote to its stderr (bounded).
	Stderr string
	// Incomplete says why the run, once started, could not judge what it
	// set out to judge (the server stopped answering, crashed, answered
	// garbage or over the limits, served no request, the budget ran out
	// before checks ran, the server does not implement this revision);
	// "" when it could. Inconclusive results that only mean there was
	// nothing to test do not make a run incomplete.
	Incomplete string
	// Interrupted: the caller's context ended the run (Ctrl-C); the report
	// holds what was judged until then.
	Interrupted bool
	// CheckTimes is how long each check that ran took, by name
	// (Discovery for discovery).
	CheckTimes map[string]time.Duration
	// First is the first exchange the run counted (the server/discover
	// probe, unless discovery set it aside), as sent and received; nil
	// when none was. With TargetErr it tells
	// why nothing could be judged: a refused connection, an HTTP status,
	// a timeout.
	First *wire.Exchange
	// TargetErr is the first failure the target saw at the transport, for
	// targets that keep one (a FirstError method): a refused connection,
	// no response in time, a server process that exited on its own.
	TargetErr error
	// answered: the server answered at least one request.
	answered bool
}

// Result returns the result of requirement id, if the run judged it.
func (r *Report) Result(id spec.ID) (Result, bool) {
	for _, res := range r.Results {
		if res.ID == id {
			return res, true
		}
	}
	return Result{}, false
}

// Failed reports whether any result is a failure that the known-failures
// file does not excuse.
func (r *Report) Failed() bool {
	for _, res := range r.Results {
		if res.Status == Fail && res.Baselined == "" {
			return true
		}
	}
	return false
}

// withDefaults fills the zero fields of o.
func (o Options) withDefaults() Options {
	if o.Client.Version == "" && len(o.Client.Capabilities) == 0 && o.Client.Info.Name == "" {
		h := o.Client.Header
		o.Client = DefaultClient
		o.Client.Header = h
	}
	if o.Seed == 0 {
		o.Seed = time.Now().UnixNano()
	}
	if o.Budget <= 0 {
		o.Budget = 60 * time.Second
	}
	if o.CheckTimeout <= 0 {
		o.CheckTimeout = 15 * time.Second
	}
	if o.MaxExchanges <= 0 {
		o.MaxExchanges = 300
	}
	if o.Sandbox != nil && o.Model.Files == nil {
		o.Model.Files = o.Sandbox.Tree()
	}
	return o
}

// NewEnv returns the Env of a run of opts against targets (the first is
// the target, the others further instances), before discovery: Run uses
// it, and so can a unit test of a probe or a check that sets Server and
// Decl itself. Zero fields of opts get their defaults.
func NewEnv(ctx context.Context, opts Options, targets ...Target) *Env {
	opts = opts.withDefaults()
	shared := newRunShared(&opts)
	opts.Model = shared.principals.modelConfig(opts.Model)
	describe := ""
	if len(targets) > 0 {
		describe = targets[0].Describe()
	}
	j := newJudge(opts.Model, describe)
	j.onProgress = opts.OnProgress
	return &Env{
		Ctx: ctx, Client: opts.Client, Decl: NewDeclarations(), Opts: &opts,
		targets: targets,
		j:       j,
		shared:  shared,
		rng:     rand.New(rand.NewSource(opts.Seed)),
		ids:     new(atomic.Int64),
	}
}

// Run checks the server behind target: discovery, every applicable check,
// then a generated campaign for the rest of the budget. Every exchange is
// judged by the model. It keeps going after a failure and reports every
// requirement it judged. The error is for a run that could not start.
func Run(ctx context.Context, target Target, opts Options) (*Report, error) {
	opts = opts.withDefaults()
	start := time.Now()
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, opts.Budget)
	defer cancel()
	e := NewEnv(ctx, opts, append([]Target{target}, opts.Instances...)...)
	e.j.start = start
	progress(opts.Progress, "checking %s (seed %d, budget %s)", target.Describe(), opts.Seed, opts.Budget)

	var selection []*Check
	for _, c := range Checks() {
		if selected(c, opts.Only, opts.Exact) {
			selection = append(selection, c)
		}
	}
	times := map[string]time.Duration{}
	e.j.advance(0, len(selection))
	e.Server = discover(e)
	times[Discovery] = time.Since(start)
	e.shared.principals.learnClaims(e.Decl)
	e.j.prefix = append([]*wire.Exchange(nil), e.evidence...)
	e.evidence = nil
	progress(opts.Progress, "discovered: %s server, versions %v, %d tools, %d prompts, %d templates",
		e.Server.Era, e.Server.Versions, len(e.Decl.Tools), len(e.Decl.Prompts), len(e.Decl.Templates))

	var verdicts []Verdict
	notRun := 0
	for i, c := range selection {
		if ctx.Err() != nil {
			// The budget ran out (or the run was interrupted) before this
			// check ran: its requirements are not judged, for that reason.
			notRun++
			why := fmt.Sprintf("the budget (%s) ran out before check %s ran", opts.Budget, c.Name)
			if parent.Err() != nil {
				why = "the run was interrupted before check " + c.Name + " ran"
			}
			for _, id := range c.IDs {
				verdicts = append(verdicts, Verdict{ID: id, Check: c.Name, kind: verdictInconclusive, Message: why})
			}
			continue
		}
		began := time.Now()
		verdicts = append(verdicts, runCheck(e, c)...)
		times[c.Name] = time.Since(began)
		e.j.advance(i+1, len(selection))
	}

	rep := aggregate(e, verdicts)
	rep.CheckTimes = times
	rep.Interrupted = parent.Err() != nil
	if !rep.Interrupted {
		e.j.mu.Lock()
		rep.Incomplete = e.j.health.incomplete(e.Server.Era, e.Server.LegacyVersion(), notRun, len(selection), opts.Budget, exitedEarly(target))
		e.j.mu.Unlock()
	}
	rep.Target, rep.Revision, rep.Seed, rep.Era = target.Describe(), wire.Version, opts.Seed, e.Server.Era
	for _, t := range opts.Instances {
		rep.Instances = append(rep.Instances, t.Describe())
	}
	rep.Discovery = len(e.j.prefix)
	rep.Duration = time.Since(start)
	if fe, ok := target.(interface{ FirstError() error }); ok {
		rep.TargetErr = fe.FirstError()
	}
	if st, ok := target.(interface{ Stderr() string }); ok {
		rep.Stderr = st.Stderr() // a stdio server's
	}
	progress(opts.Progress, "judged %d exchanges (%d judgments) in %s", rep.Exchanges, rep.Judgments, rep.Duration.Round(time.Millisecond))
	return rep, nil
}

func selected(c *Check, only []string, exact bool) bool {
	if len(only) == 0 {
		return true
	}
	for _, p := range only {
		if c.Name == p || (!exact && strings.HasPrefix(c.Name, p)) {
			return true
		}
	}
	return false
}

// runCheck runs one check with its own time bound; a check that panics or
// runs out of time makes its undecided requirements inconclusive.
func runCheck(parent *Env, c *Check) (vs []Verdict) {
	e := *parent
	e.check, e.verdicts, e.evidence = c, nil, nil
	// Each check draws from a source of its own, seeded by the run's seed
	// and its name: what it generates does not depend on the checks that
	// ran before it, so that Replay, which runs it alone, draws the same.
	e.rng = rand.New(rand.NewSource(checkSeed(parent.Opts.Seed, c.Name)))
	if !c.runsOn(e.Transport(), e.Server.Era) {
		for _, id := range c.IDs {
			e.Skip(id, "%s", skipReason(c, e.Transport(), e.Server))
		}
		return e.verdicts
	}
	if c.Needs != nil {
		if why := c.Needs(&e); why != "" {
			for _, id := range c.IDs {
				e.Skip(id, "%s", why)
			}
			return e.verdicts
		}
	}
	ctx, cancel := parent.Ctx, context.CancelFunc(func() {})
	if !c.Last {
		ctx, cancel = context.WithTimeout(parent.Ctx, max(parent.Opts.CheckTimeout, c.Timeout))
	}
	defer cancel()
	e.Ctx = ctx
	defer func() {
		if p := recover(); p != nil {
			for _, id := range c.IDs {
				e.Inconclusive(id, "check %s failed: %v", c.Name, p)
			}
			vs = e.verdicts
		}
	}()
	if e.Server.Era == Legacy {
		// Checks that run on a legacy server run over its session.
		e.OnRevision(e.Server.LegacyVersion())
	}
	c.Run(&e)
	if ctx.Err() == nil {
		e.confirmFindings()
	}
	if ctx.Err() != nil {
		for _, id := range c.IDs {
			e.Inconclusive(id, "check %s ran out of time", c.Name)
		}
	}
	return e.verdicts
}

func erasOf(c *Check) []Era {
	if len(c.Eras) == 0 {
		return []Era{Modern, DualEra}
	}
	return c.Eras
}

func transportsOf(c *Check) []string {
	if len(c.Transports) == 0 {
		return []string{"any transport"}
	}
	var out []string
	for _, t := range c.Transports {
		out = append(out, t.String())
	}
	return out
}

// aggregate turns verdicts and the model's judgments into one result per
// requirement: a violation (from a check or the model) fails it (warns,
// for SHOULD and HARDENING); else a pass passes it; else it is
// inconclusive, else skipped. The model's judgment without violation counts
// as a pass only for requirements no check decides: those need a
// reason-bound pass from their check, so a server that rejects everything
// earns none.
func aggregate(e *Env, verdicts []Verdict) *Report {
	j := e.j
	j.mu.Lock()
	defer j.mu.Unlock()
	decided := decidedByChecks()
	type acc struct {
		violated                 *Verdict
		nViolated, nPass         int
		pass, inconclusive, skip *Verdict
		firstFail                time.Time // of the violating verdicts
	}
	accs := map[spec.ID]*acc{}
	get := func(id spec.ID) *acc {
		a := accs[id]
		if a == nil {
			a = &acc{}
			accs[id] = a
		}
		return a
	}
	for i := range verdicts {
		v := &verdicts[i]
		a := get(v.ID)
		switch v.kind {
		case verdictViolated:
			a.nViolated++
			if a.violated == nil {
				a.violated = v
			}
			a.firstFail = earliest(a.firstFail, v.at)
		case verdictPass:
			a.nPass++
			if a.pass == nil {
				a.pass = v
			}
		case verdictInconclusive:
			if a.inconclusive == nil {
				a.inconclusive = v
			}
		case verdictSkip:
			if a.skip == nil {
				a.skip = v
			}
		}
	}
	for id, v := range j.violated {
		a := get(id)
		a.nViolated += j.counts[id]
		if a.violated == nil {
			a.violated = v
		}
		a.firstFail = earliest(a.firstFail, v.at)
	}
	for id, n := range j.judged {
		if decided[id] {
			continue
		}
		a := get(id)
		if a.pass == nil {
			a.pass = &Verdict{ID: id, Check: "model", Message: fmt.Sprintf("judged on %d exchange(s) with no violation", n)}
		}
		a.nPass += n
	}
	rep := &Report{Exchanges: j.total, First: j.first, answered: j.answered > 0}
	for _, n := range j.judged {
		rep.Judgments += n
	}
	for _, v := range verdicts {
		if v.kind == verdictPass || v.kind == verdictViolated {
			rep.Judgments++
		}
	}
	for id, a := range accs {
		req, ok := spec.Lookup(id)
		if !ok {
			continue
		}
		r := Result{ID: id, Level: req.Level, Requirement: req.Text, Revision: wire.Version}
		var d *Verdict // the deciding verdict
		switch {
		case a.violated != nil:
			d = a.violated
			r.Status = statusOf(req.Level, e.Opts.Strict)
			r.Count = a.nViolated
			r.Trace = e.traceOf(a.violated)
			r.Tries, r.Reproduced = a.violated.Tries, a.violated.Reproduced
			r.Cause = causeOf(a.violated)
			if !a.firstFail.IsZero() {
				r.FirstFail = max(a.firstFail.Sub(j.start), 0)
			}
		case a.pass != nil:
			d, r.Status, r.Count = a.pass, Pass, a.nPass
		case a.inconclusive != nil:
			d, r.Status = a.inconclusive, Inconclusive
		case a.skip != nil:
			d, r.Status = a.skip, Skip
		default:
			continue
		}
		r.Message, r.Check = d.Message, d.Check
		if d.Revision != "" { // a legacy session's
			r.Revision = d.Revision
		}
		rep.Results = append(rep.Results, r)
	}
	sort.Slice(rep.Results, func(a, b int) bool { return rep.Results[a].ID < rep.Results[b].ID })
	sharedCauses(rep.Results)
	return rep
}

// earliest is the earlier of two times, a zero time counting as none.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

func statusOf(l spec.Level, strict bool) Status {
	if l.Mandatory() || strict {
		return Fail
	}
	return Warn
}

func progress(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", args...)
	}
}

// checkSeed derives a check's seed from the run's seed and its name.
func checkSeed(seed int64, name string) int64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return seed ^ int64(h.Sum64())
}
