package model

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Violation is one broken requirement seen in one exchange.
type Violation struct {
	ID    spec.ID
	Level spec.Level
	// Got is what the server did; Want what the requirement asks.
	Got, Want string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s (%s): got %s; want %s", v.ID, v.Level, v.Got, v.Want)
}

// Config is what the model is told about the deployment under test, beyond
// what it learns from the exchanges themselves.
type Config struct {
	// Files is the tree the server was started on, with the directories it
	// was told to use (the checker's sandbox): no answer may hold a file
	// from outside them (files.go). Nil: file access is not judged.
	Files *FileTree
	// AllowedOrigins are Origin values the server is meant to accept in
	// addition to its own origin (scheme://host:port of the request's Host).
	// Any other Origin is invalid and must get 403.
	AllowedOrigins []string
	// CancelGrace is how long after a cancellation a message for the
	// cancelled request may still arrive (it may have been in flight).
	// Zero means one second.
	CancelGrace time.Duration
	// Nonexistent reports URIs known not to name a resource (the checker's
	// probes). Nil means URIs containing "mcpverify-nonexistent".
	Nonexistent func(uri string) bool

	// requestState and state handles (state.go). Each is what the checker
	// knows about the deployment; the zero value means "unknown", and the
	// rules that need it judge nothing.

	// Principal names the principal a request's credentials authenticate
	// as, from its Authorization header value ("" when absent, and always
	// on stdio); "" as a result means unknown. Set it only when the server
	// is known to authenticate callers and the credentials the checker
	// sends are known to name distinct principals (CredentialPrincipal
	// does, for credentials of distinct users). Nil: principal binding
	// (STATE-BIND-PRINCIPAL, STATE-HANDLE-PRINCIPAL, STATE-HANDLE-NOT-AUTH)
	// is not judged.
	Principal func(authorization string) string
	// StateTTLMax is the longest after its minting request that a
	// requestState may still complete a request (STATE-BIND-EXPIRY); it
	// must leave a margin for the minting response's latency. 0: unknown.
	StateTTLMax time.Duration
	// SingleUse reports the requests (method; tool or prompt name, or
	// resource URI) whose requestState the server says is consumed at most
	// once (STATE-SINGLE-USE). Nil: none known.
	SingleUse func(method, name string) bool
	// StateMatters reports the requests whose requestState influences
	// authorization, resource access or business logic, by the checker's
	// evidence; a request completed on a requestState the server never
	// minted is then a STATE-INTEGRITY violation. Nil: not judged (see
	// State.StateMints for the observation).
	StateMatters func(method, name string) bool
	// Handles says which tools mint, take and release state handles (the
	// protocol does not mark them). Nil: handles are not judged.
	Handles []HandleTool
	// HandleTTLMax is the longest a handle may stay unused (since it was
	// minted or last used successfully) and still be honoured
	// (STATE-HANDLE-EXPIRY). 0: unknown.
	HandleTTLMax time.Duration

	handleIdx map[string][]HandleTool // Handles by tool, built by NewState
}

// State is what the model knows after a sequence of exchanges: the facts
// the server has declared (versions, capabilities, tools and their
// schemas) and what pagination has shown. A State is a value: Step never
// changes the State it is called on, so a caller can keep any earlier State
// (shrinking and "possible states" rely on this). Internally the facts are
// shared between States and copied on write.
type State struct {
	cfg   *Config
	facts *facts
}

// NewState returns the initial state: nothing learnt yet.
func NewState(cfg Config) State {
	if cfg.CancelGrace == 0 {
		cfg.CancelGrace = time.Second
	}
	if cfg.Nonexistent == nil {
		cfg.Nonexistent = func(uri string) bool { return strings.Contains(uri, "mcpverify-nonexistent") }
	}
	cfg.handleIdx = indexHandles(cfg.Handles)
	return State{cfg: &cfg, facts: &facts{}}
}

// Step judges one exchange against the spec, given what is known from the
// earlier ones, and returns the next state and every violation seen. It
// decodes and validates the exchange first (Prepare) if that has not been
// done; that is its only effect on ex. Step is pure otherwise: no I/O, no
// clock, no randomness.
func (s State) Step(ex *wire.Exchange) (State, []Violation) {
	next, vs, _ := s.step(ex, false)
	return next, vs
}

// Judge is Step that also returns the requirements the exchange was judged
// against (with or without a violation), for reports that count passes.
// Each ID appears once.
func (s State) Judge(ex *wire.Exchange) (State, []Violation, []spec.ID) {
	return s.step(ex, true)
}

func (s State) step(ex *wire.Exchange, cover bool) (State, []Violation, []spec.ID) {
	if s.cfg == nil {
		s = NewState(Config{})
	}
	Prepare(ex)
	c := ctxPool.Get().(*ctx)
	defer func() { *c = ctx{}; ctxPool.Put(c) }()
	initCtx(c, s, ex)
	c.cover = cover
	for i := range rules {
		r := &rules[i]
		if r.when == nil || r.when(c) {
			c.rule = r
			r.check(c)
		}
	}
	c.rule = nil
	var judged []spec.ID
	if cover {
		seen := map[spec.ID]bool{}
		for _, id := range c.judged {
			if !seen[id] {
				seen[id] = true
				judged = append(judged, id)
			}
		}
		for _, v := range c.vs {
			if !seen[v.ID] {
				seen[v.ID] = true
				judged = append(judged, v.ID)
			}
		}
	}
	return c.next(), c.vs, judged
}

// ctxPool recycles the working views of Step.
var ctxPool = sync.Pool{New: func() any { return new(ctx) }}

// Check runs a sequence of exchanges from the initial state and returns all
// violations with the index of the exchange each was seen in.
func Check(cfg Config, exs []*wire.Exchange) []Indexed {
	s := NewState(cfg)
	var out []Indexed
	for i, ex := range exs {
		var vs []Violation
		s, vs = s.Step(ex)
		for _, v := range vs {
			out = append(out, Indexed{Exchange: i, Violation: v})
		}
	}
	return out
}

// Indexed is a violation with the index of its exchange in a sequence.
type Indexed struct {
	Exchange int
	Violation
}
