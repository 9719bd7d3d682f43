package check

import (
	"sort"
	"time"

	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Check is one named check: a family of probes that decides some
// requirements. Checks live in files by theme (checks_*.go) and register
// themselves from init.
type Check struct {
	// Name is "group/name", e.g. "headers/mcp-name-mismatch".
	Name string
	// IDs are the requirements the check decides. A requirement that some
	// check decides gets its pass only from a check (reason-bound), never
	// from the model's passive judgment alone.
	IDs []spec.ID
	// Transports it runs on; empty means every transport.
	Transports []wire.Transport
	// Eras it runs on; empty means Modern and DualEra.
	Eras []Era
	// Needs returns "" when the check applies to this server, else the
	// reason it does not (the check's IDs are then skipped with it).
	Needs func(e *Env) string
	// Run performs the check, recording verdicts through e.
	Run func(e *Env)
	// Last runs the check after every other one, bounded by what is left
	// of the run's budget rather than by Options.CheckTimeout (the
	// generated campaign).
	Last bool
	// Timeout, when longer than Options.CheckTimeout, bounds the check in
	// its place (a check whose own bound is longer, as the task flood's).
	Timeout time.Duration
}

var registry []*Check

// Register adds a check; names must be unique.
func Register(c *Check) {
	for _, o := range registry {
		if o.Name == c.Name {
			panic("check: two checks named " + c.Name)
		}
	}
	registry = append(registry, c)
}

// Checks returns the registered checks in the order a run runs them: by
// name, the Last ones after the others.
func Checks() []*Check {
	out := append([]*Check(nil), registry...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Last != out[j].Last {
			return out[j].Last
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// decidedByChecks are the requirements some check decides.
func decidedByChecks() map[spec.ID]bool {
	m := map[spec.ID]bool{}
	for _, c := range registry {
		for _, id := range c.IDs {
			m[id] = true
		}
	}
	return m
}

func (c *Check) runsOn(t wire.Transport, era Era) bool {
	okT := len(c.Transports) == 0
	for _, x := range c.Transports {
		okT = okT || x == t
	}
	eras := c.Eras
	if len(eras) == 0 {
		eras = []Era{Modern, DualEra}
	}
	okE := false
	for _, x := range eras {
		okE = okE || x == era
	}
	return okT && okE
}

// verdictKind is what a check found about one requirement.
type verdictKind uint8

const (
	verdictPass verdictKind = iota
	verdictViolated
	verdictInconclusive
	verdictSkip
)

// Verdict is one finding of one check about one requirement.
type Verdict struct {
	ID      spec.ID
	Check   string
	Message string
	// Evidence is the exchanges that show a violation (the discovery
	// exchanges first), the violating one last: a replayable trace.
	Evidence []*wire.Exchange
	// Model is set when the model found the violation (Check is then the
	// check that was running).
	Model bool
	// Tries and Reproduced: the violating request was sent Tries times in
	// all and the model found the violation in Reproduced of them
	// (confirmFindings); 0 when it was not sent again.
	Tries, Reproduced int
	// Cause names what the violation shares with others (Env.Cause); ""
	// when the check named none.
	Cause string
	// Revision is the protocol revision the verdict was obtained on, when
	// it is not this one (a legacy session: see package legacyclient); "" means
	// wire.Version.
	Revision string
	kind     verdictKind
	// at is when the verdict was reached, on the run's clock (time.Now,
	// which a synctest bubble fakes).
	at time.Time
}
