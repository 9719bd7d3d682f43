package check

import (
	"context"
	"fmt"
	"io"
	"math/rand"
	"sort"
	"time"

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
	// Model configures the model (allowed origins, ...).
	Model model.Config
	// Seed makes a run repeatable; 0 picks one (reported).
	Seed int64
	// Budget bounds the run's wall time; 0 means 30 s.
	Budget time.Duration
	// MaxExchanges bounds the generated exchanges; 0 means 400.
	MaxExchanges int
	// Strict turns warnings (SHOULD, HARDENING) into failures.
	Strict bool
	// Progress, if set, receives a line per phase.
	Progress io.Writer
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
	ID      spec.ID
	Level   spec.Level
	Status  Status
	Message string
	// Count is the number of exchanges that broke the requirement.
	Count int
	// Trace holds the exchanges up to the first violation (failures and
	// warnings only): replayable with `mcpverify replay`.
	Trace *trace.Trace
}

// Report is the outcome of a run.
type Report struct {
	Target    string
	Seed      int64
	Exchanges int
	Duration  time.Duration
	Results   []Result
}

// Failed reports whether any result is a failure.
func (r *Report) Failed() bool {
	for _, res := range r.Results {
		if res.Status == Fail {
			return true
		}
	}
	return false
}

// Run drives the target with requests generated from the model's enabled
// actions and the server's own declarations, judges every exchange with
// the model, and reports each requirement that was broken. It keeps going
// after a violation, within the budget.
func Run(ctx context.Context, target Target, opts Options) (*Report, error) {
	if opts.Client.Version == "" && len(opts.Client.Capabilities) == 0 && opts.Client.Info.Name == "" {
		h := opts.Client.Header
		opts.Client = DefaultClient
		opts.Client.Header = h
	}
	if opts.Seed == 0 {
		opts.Seed = time.Now().UnixNano()
	}
	if opts.Budget <= 0 {
		opts.Budget = 30 * time.Second
	}
	if opts.MaxExchanges <= 0 {
		opts.MaxExchanges = 400
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, opts.Budget)
	defer cancel()

	rep := &Report{Target: target.Describe(), Seed: opts.Seed}
	rng := rand.New(rand.NewSource(opts.Seed))
	st := model.NewState(opts.Model)
	decl := NewDeclarations()
	var seen []*wire.Exchange
	byID := map[spec.ID]*Result{}
	progress(opts.Progress, "checking %s (seed %d, up to %d exchanges, budget %s)", target.Describe(), opts.Seed, opts.MaxExchanges, opts.Budget)

	// Discovery first, then every list, then generated actions.
	var plan []model.Action
	plan = append(plan, model.Action{Method: "server/discover"})
	for i := 0; i < opts.MaxExchanges && ctx.Err() == nil; i++ {
		var a model.Action
		if len(plan) > 0 {
			a, plan = plan[0], plan[1:]
		} else {
			acts := model.Enabled(st)
			a = acts[rng.Intn(len(acts))]
		}
		client := opts.Client
		if a.Method == "tools/call" || a.Method == "prompts/get" || a.Method == "resources/read" {
			if rng.Intn(2) == 0 {
				client = withInputCapabilities(client)
			}
		}
		id := wire.IntID(int64(i + 1))
		ex := target.Send(ctx, decl.Build(rng, client, id, a))
		if ctx.Err() != nil && ex.Outcome != wire.Complete {
			break // the budget ran out mid-exchange; judge nothing half-seen
		}
		seen = append(seen, ex)
		var vs []model.Violation
		st, vs = st.Step(ex)
		decl.Learn(ex)
		for _, v := range vs {
			r := byID[v.ID]
			if r == nil {
				r = &Result{ID: v.ID, Level: v.Level, Status: statusOf(v.Level, opts.Strict),
					Message: fmt.Sprintf("got %s; want %s", v.Got, v.Want),
					Trace:   &trace.Trace{Fields: []trace.Field{{Key: "target", Value: target.Describe()}, {Key: "want", Value: string(v.ID)}}, Exchanges: append([]*wire.Exchange(nil), seen...)}}
				byID[v.ID] = r
			}
			r.Count++
		}
	}
	rep.Exchanges = len(seen)
	for _, r := range byID {
		rep.Results = append(rep.Results, *r)
	}
	sort.Slice(rep.Results, func(i, j int) bool { return rep.Results[i].ID < rep.Results[j].ID })
	rep.Duration = time.Since(start)
	progress(opts.Progress, "judged %d exchanges in %s", rep.Exchanges, rep.Duration.Round(time.Millisecond))
	return rep, nil
}

// withInputCapabilities declares every input capability (elicitation,
// sampling, roots), so that MRTR tools can ask for input.
func withInputCapabilities(c Client) Client {
	c.Capabilities = wire.Value(`{"elicitation":{},"sampling":{},"roots":{}}`)
	return c
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
