package check

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mcpverify/mcpverify/check/hints"
	"github.com/mcpverify/mcpverify/model"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/trace"
	"github.com/mcpverify/mcpverify/wire"
)

// ReplayOptions configure Replay.
type ReplayOptions struct {
	// Model configures the model that judges the new exchanges, in
	// addition to the configuration the trace carries (allowed origins,
	// ...).
	Model model.Config
	// Instances are further instances of the deployment: an exchange the
	// trace recorded on instance i is sent to instance i (0 is the target),
	// modulo their number; a check re-run spreads its requests as a run
	// does.
	Instances []Target
	// Header holds the client's credentials: they replace RedactedClient
	// in the recorded requests, and a check re-run sends them (as
	// Options.Client.Header).
	Header http.Header
	// AltHeader holds the second principal's credentials: they replace
	// RedactedAlt, and a check re-run acts as that principal with them
	// (Options.AltHeader).
	AltHeader http.Header
	// Budget bounds a check re-run; 0 means 60 s.
	Budget time.Duration
	// Progress, if set, receives a line per phase of a check re-run.
	Progress io.Writer
	// Tries bounds the replays of a trace whose wanted requirement did not
	// occur again (a race may pass once); 0 means ConfirmTries.
	Tries int
	// Authority re-mints the tokens of recorded authentication cases
	// (replay --auth-mock): a token the trace recorded has expired, or was
	// signed by keys the authority no longer holds. Nil: the recorded
	// tokens are sent as they are. A check re-run mints with it
	// (Options.Authority).
	Authority Authority
	// Upstream is the upstream probe of a check re-run (Options.Upstream).
	Upstream Upstream
	// Sandbox is the file tree the target was started on, for a check
	// re-run (Options.Sandbox); its tree replaces the trace's.
	Sandbox Sandbox
}

// ReplayedExchange is one exchange of a replay: the recorded one, the new
// one, and what the model found in the new one.
type ReplayedExchange struct {
	Recorded   *wire.Exchange
	Ex         *wire.Exchange
	Violations []model.Violation
}

// ReplayMode is how a trace was replayed.
type ReplayMode string

const (
	// ReplayExchanges sends the recorded requests again, in order, and
	// judges the new answers with the model: traces of the model's
	// findings where nothing the server mints is needed, the generated
	// campaign's shrunk sequences, hand-written traces.
	ReplayExchanges ReplayMode = "exchanges"
	// ReplayCheck runs discovery and the trace's check again, with the
	// trace's seed: the check re-obtains what the server mints
	// (requestState, handles, cursors) by sending the requests that mint
	// it, re-applies its generated mutations, and re-decides verdicts that
	// compare several answers.
	ReplayCheck ReplayMode = "check"
)

// ReplayResult is what a replay observed.
type ReplayResult struct {
	Mode ReplayMode
	// Check is the check re-run (ReplayCheck).
	Check string
	// Exchanges are the new exchanges (ReplayExchanges).
	Exchanges []ReplayedExchange
	// Report is the re-run's report (ReplayCheck).
	Report *Report
	// Want are the requirements the trace says it breaks (its "want"
	// field). Each ends up in one of Reproduced (broken again), Gone (the
	// server answered and the violation did not occur) or Undecided (the
	// replay could not tell: Why says why).
	Want       []spec.ID
	Reproduced []spec.ID
	Gone       []spec.ID
	Undecided  []spec.ID
	Why        map[spec.ID]string
	// Answered reports that the server answered at least one request.
	Answered bool
	// Tries is how many times the trace was replayed: once when every
	// wanted requirement was broken again or undecided, else up to
	// ReplayOptions.Tries, so that a replay that happens to pass is not
	// taken for a fix. Hits counts, per wanted requirement, the tries
	// that broke it again.
	Tries int
	Hits  map[spec.ID]int
}

// Violations returns every violation the model found in the new
// exchanges, in order (ReplayExchanges).
func (r *ReplayResult) Violations() []model.Violation {
	var out []model.Violation
	for _, x := range r.Exchanges {
		out = append(out, x.Violations...)
	}
	return out
}

// StillFails reports whether the failure occurs again: a requirement the
// trace wants was broken again, or, for a trace that names none, any
// violation was found.
func (r *ReplayResult) StillFails() bool {
	if len(r.Want) > 0 {
		return len(r.Reproduced) > 0
	}
	return len(r.Violations()) > 0
}

// Fixed reports whether the replay shows the failure gone: the server
// answered, and every wanted requirement was judged again and not broken.
func (r *ReplayResult) Fixed() bool {
	return r.Answered && len(r.Reproduced) == 0 && len(r.Undecided) == 0 && !r.StillFails()
}

// Replay judges a saved trace again against target. A trace that names a
// registered check (every verdict of a check, and the model's findings
// during one) is replayed by running discovery and that check again with
// the trace's seed and model configuration (ReplayCheck); a finding of the
// model is first sent again as recorded, and reproduced if that shows it
// (its trace holds only the exchanges the model needs). Any other trace
// (discovery's, the campaign's, a hand-written one) by sending its
// requests again, in order, and judging the new answers with a fresh model
// (ReplayExchanges). Recorded exchanges cancelled after n messages are
// cancelled after n messages again (a subscriptions/listen stream, open by
// design, after as many messages as were recorded, or 2 s); one the trace
// shows on a new connection gets a new connection where the target can
// open one.
//
// Each wanted requirement comes out reproduced, gone or undecided (with
// the reason): a server that does not answer, a check that comes out
// inconclusive or skipped, credentials the trace needs and the options do
// not give. The error is for a replay that could not start: an empty
// trace, a transport the target does not speak, a check this build does
// not have, a context that ended (the result then holds what was done).
//
// A wanted requirement that did not occur again is replayed again, up to
// opts.Tries in all: it is gone only when no try broke it, and reproduced
// (Hits of Tries) when one did.
func Replay(ctx context.Context, target Target, tr *trace.Trace, opts ReplayOptions) (*ReplayResult, error) {
	res, err := replayOnce(ctx, target, tr, opts)
	if res == nil {
		return res, err
	}
	res.Tries, res.Hits = 1, map[spec.ID]int{}
	for _, id := range res.Reproduced {
		res.Hits[id]++
	}
	tries := opts.Tries
	if tries <= 0 {
		tries = ConfirmTries
	}
	for err == nil && len(res.Gone) > 0 && res.Tries < tries && ctx.Err() == nil {
		again, err2 := replayOnce(ctx, target, tr, opts)
		if again == nil || err2 != nil {
			break
		}
		res.Tries++
		for _, id := range again.Reproduced {
			res.Hits[id]++
		}
	}
	var gone []spec.ID
	for _, id := range res.Gone {
		if res.Hits[id] > 0 {
			res.Reproduced = append(res.Reproduced, id)
		} else {
			gone = append(gone, id)
		}
	}
	res.Gone = gone
	return res, err
}

// replayOnce replays the trace once (see Replay).
func replayOnce(ctx context.Context, target Target, tr *trace.Trace, opts ReplayOptions) (*ReplayResult, error) {
	if tr == nil || (len(tr.Exchanges) == 0 && tr.Get(fieldCheck) == "") {
		return nil, errors.New("replay: the trace has no exchanges")
	}
	for _, ex := range tr.Exchanges {
		if ex.Transport != target.Transport() {
			return nil, fmt.Errorf("replay: the trace was recorded over %s; the target speaks %s", ex.Transport, target.Transport())
		}
	}
	cfg, hs, err := traceConfig(tr, opts.Model)
	if err != nil {
		return nil, fmt.Errorf("replay: the trace's configuration: %w", err)
	}
	res := &ReplayResult{Want: wantIDs(tr.Get(fieldWant)), Why: map[spec.ID]string{}}
	switch name := tr.Get(fieldCheck); name {
	case "", campaignName:
		return replayExchanges(ctx, target, tr, cfg, hs, opts, res)
	default:
		if name != Discovery && !slices.ContainsFunc(registry, func(c *Check) bool { return c.Name == name }) {
			return nil, fmt.Errorf("replay: the trace names check %q, which this build does not have", name)
		}
		if tr.Get(fieldFoundBy) == "model" && len(tr.Exchanges) > 0 {
			// The model's finding: its trace holds the fewest exchanges
			// with which the model finds it. Sent again as recorded they
			// show it, unless they depend on what the server minted then;
			// the check's re-run decides the rest.
			first := &ReplayResult{Want: res.Want, Why: map[spec.ID]string{}}
			if r, err := replayExchanges(ctx, target, tr, cfg, hs, opts, first); err == nil && len(r.Reproduced) == len(r.Want) && len(r.Want) > 0 {
				return r, nil
			}
		}
		return replayCheck(ctx, target, tr, name, cfg, hs, opts, res)
	}
}

// replayCheck runs discovery and the named check (discovery alone for
// Discovery) again and reads the wanted requirements off the report.
func replayCheck(ctx context.Context, target Target, tr *trace.Trace, name string, cfg model.Config, hs *hints.Hints, opts ReplayOptions, res *ReplayResult) (*ReplayResult, error) {
	res.Mode, res.Check = ReplayCheck, name
	seed, _ := strconv.ParseInt(tr.Get(fieldSeed), 10, 64)
	o := Options{
		Seed: seed, Budget: opts.Budget, Instances: opts.Instances, Model: cfg, Hints: hs, StateTTLMax: cfg.StateTTLMax,
		AltHeader: opts.AltHeader, Only: []string{name}, Progress: opts.Progress,
		Client:    Client{Header: opts.Header}, // the default client (withDefaults), with the replay's headers
		Authority: opts.Authority, Upstream: opts.Upstream, Sandbox: opts.Sandbox,
	}
	if opts.Sandbox != nil {
		o.Model.Files = opts.Sandbox.Tree()
	}
	// The check the trace names and nothing more: a name is also a prefix
	// of longer names ("state/handles" of "state/handles-x").
	o.Exact = true
	rep, err := Run(ctx, target, o)
	if err != nil {
		return res, err
	}
	res.Report = rep
	res.Answered = rep.answered
	if needsCredentials(tr, opts) {
		for _, id := range res.Want {
			if r, ok := rep.Result(id); !ok || (r.Status != Fail && r.Status != Warn) {
				res.undecided(id, "the trace's requests carry credentials the replay was not given (--header, --alt-header)")
			}
		}
	}
	for _, id := range res.Want {
		if _, done := res.Why[id]; done {
			continue
		}
		r, ok := rep.Result(id)
		switch {
		case !res.Answered:
			res.undecided(id, "the server did not answer")
		case !ok:
			res.undecided(id, fmt.Sprintf("check %s no longer judges %s against this server", name, id))
		case r.Status == Fail || r.Status == Warn:
			res.Reproduced = append(res.Reproduced, id)
		case r.Status == Pass:
			res.Gone = append(res.Gone, id)
		default:
			res.undecided(id, fmt.Sprintf("%s: %s", r.Status, r.Message))
		}
	}
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("replay: %w", err)
	}
	return res, nil
}

// needsCredentials reports a trace whose requests carry redacted
// credentials that opts does not give.
// TraceHasCredentials reports whether the trace's requests carried
// credentials (redacted in it, named by its credentials field).
func TraceHasCredentials(tr *trace.Trace) bool { return tr.Get(fieldCredentials) != "" }

func needsCredentials(tr *trace.Trace, opts ReplayOptions) bool {
	for _, ex := range tr.Exchanges {
		if _, ok := unredact(ex.Header, opts.Header, opts.AltHeader); !ok {
			return true
		}
	}
	return false
}

func (r *ReplayResult) undecided(id spec.ID, why string) {
	r.Undecided = append(r.Undecided, id)
	r.Why[id] = why
}

// replayModelConfig is the model's configuration for judging a trace's
// exchanges again, as the run that recorded them had it: the principals
// of the replay's credentials (known to authenticate when the trace says
// so), the trace's single-use requests, and its hints.
func replayModelConfig(tr *trace.Trace, cfg model.Config, hs *hints.Hints, opts ReplayOptions) model.Config {
	p := newPrincipals(&Options{Client: Client{Header: opts.Header}, AltHeader: opts.AltHeader, Hints: hs})
	p.auth = &AuthFacts{Authenticates: tr.Get(fieldAuthenticates) == "yes", AltValid: true}
	for _, s := range strings.Split(tr.Get(fieldSingleUse), "; ") {
		if method, name, ok := strings.Cut(s, " "); ok {
			p.singleUse[method+"\x00"+name] = "the trace names it single-use"
		}
	}
	return p.modelConfig(cfg)
}

// replayExchanges sends the recorded requests again and judges the new
// answers with a fresh model.
func replayExchanges(ctx context.Context, target Target, tr *trace.Trace, cfg model.Config, hs *hints.Hints, opts ReplayOptions, res *ReplayResult) (*ReplayResult, error) {
	res.Mode = ReplayExchanges
	targets := append([]Target{target}, opts.Instances...)
	state := model.NewState(replayModelConfig(tr, cfg, hs, opts))
	conns := make([]map[int]bool, len(targets))
	broken := map[spec.ID]bool{}
	missing := false
	unanswered := 0
	for _, rec := range tr.Exchanges {
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("replay: stopped after %d of %d exchanges: %w", len(res.Exchanges), len(tr.Exchanges), err)
		}
		i := rec.Instance % len(targets)
		if i < 0 {
			i = 0
		}
		if rec.Conn != 0 {
			if conns[i] == nil {
				conns[i] = map[int]bool{}
			}
			if !conns[i][rec.Conn] && len(conns[i]) > 0 {
				if f, ok := targets[i].(Reconnector); ok {
					f.FreshConnections()
				}
			}
			conns[i][rec.Conn] = true
		}
		req, ok := replayRequest(rec, opts)
		missing = missing || !ok
		ex := targets[i].Send(ctx, req)
		ex.Instance = i
		if ex.Outcome.Finished() {
			res.Answered = true
		} else {
			unanswered++
		}
		var vs []model.Violation
		state, vs = state.Step(ex)
		for _, v := range vs {
			broken[v.ID] = true
		}
		res.Exchanges = append(res.Exchanges, ReplayedExchange{Recorded: rec, Ex: ex, Violations: vs})
	}
	for _, id := range res.Want {
		switch {
		case broken[id]:
			res.Reproduced = append(res.Reproduced, id)
		case !res.Answered:
			res.undecided(id, "the server did not answer")
		case missing:
			res.undecided(id, "the trace's requests carry credentials the replay was not given (--header, --alt-header)")
		case unanswered > 0:
			res.undecided(id, fmt.Sprintf("%d of %d requests got no answer", unanswered, len(tr.Exchanges)))
		default:
			res.Gone = append(res.Gone, id)
		}
	}
	return res, nil
}

// wantIDs splits a "want" field: IDs separated by commas or spaces.
func wantIDs(s string) []spec.ID {
	var out []spec.ID
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		out = append(out, spec.ID(f))
	}
	return out
}

// replayRequest rebuilds the request of a recorded exchange, with the
// credentials of opts in place of the redacted ones; ok is false when the
// trace needs credentials opts does not give.
func replayRequest(rec *wire.Exchange, opts ReplayOptions) (*Request, bool) {
	h, ok := unredact(rec.Header, opts.Header, opts.AltHeader)
	r := &Request{HTTPMethod: rec.HTTPMethod, Header: h, Body: bytes.Clone(rec.Body), Query: rec.Query, Credential: rec.Credential}
	if rec.Credential != nil && opts.Authority != nil {
		if err := remint(r, rec.Credential, opts.Authority); err != nil {
			ok = false
		}
	}
	if r.HTTPMethod == "" && rec.Transport == wire.HTTP {
		r.HTTPMethod = http.MethodPost
	}
	if r.Header == nil {
		r.Header = http.Header{}
	}
	method := ""
	if m, err := wire.DecodeMessage(rec.Body); err == nil {
		_, r.Notification = m.(*wire.JSONRPCNotification)
		method = wire.MessageMethod(m)
	}
	switch {
	case rec.Outcome == wire.Cancelled:
		r.StopAfter = max(1, recordedMessages(rec))
	case method == "subscriptions/listen":
		// A listen stream stays open by design: read as many messages as
		// were recorded, for a short while.
		r.StopAfter, r.Timeout = max(1, recordedMessages(rec)), listenReplayTimeout
	}
	return r, ok
}

// remint gives r a fresh credential of the recorded authentication case,
// minted by a for the same resource and scope. A case outside a's matrix
// (a check's own: a correct token of a narrower scope) gets a correct
// token of the recorded principal and scope.
func remint(r *Request, cred *wire.Credential, a Authority) error {
	apply := func(hr *http.Request) error { return fmt.Errorf("the authority has no case %q", cred.Case) }
	if cred.Principal != "" {
		apply = func(hr *http.Request) error {
			tok, err := a.Token(cred.Principal, cred.Resource, cred.Scope)
			hr.Header.Set("Authorization", "Bearer "+tok)
			return err
		}
	}
	for _, c := range a.AuthCases(cred.Resource, cred.Scope) {
		if c.Name == cred.Case {
			apply = c.Apply
		}
	}
	hr := &http.Request{Header: r.Header.Clone(), URL: &url.URL{}}
	wire.DelHeader(hr.Header, "Authorization")
	if err := apply(hr); err != nil {
		return err
	}
	r.Header, r.Query = hr.Header, hr.URL.RawQuery
	return nil
}

// listenReplayTimeout bounds a replayed subscriptions/listen stream that
// the trace did not record as cancelled.
const listenReplayTimeout = 2 * time.Second

// recordedMessages counts the messages of a recorded response: SSE events
// or JSON bodies on HTTP, lines on stdio.
func recordedMessages(rec *wire.Exchange) int {
	if rec.Transport == wire.Stdio {
		return len(rec.Lines)
	}
	rec.Decode()
	if rec.ContentType() != "text/event-stream" {
		return len(rec.Replies)
	}
	n := 0
	_ = wire.ParseSSE(bytes.NewReader(rec.RespBody), wire.MaxSSEEvent, func(wire.SSEEvent) error { n++; return nil })
	return n
}
