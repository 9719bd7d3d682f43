package check

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mcpverify/mcpverify/check/hints"
	"github.com/mcpverify/mcpverify/model"
	"github.com/mcpverify/mcpverify/trace"
	"github.com/mcpverify/mcpverify/wire"
)

// The trace of a failure or warning carries what judging it again needs:
// the check that decided it (Replay re-runs it), the run's seed (the same
// generated probes), the model's configuration, and the exchanges that
// show it, the violating one marked. Credentials are redacted.
//
// Header fields, in order (all but target, check and want optional):
//
//	target:          the server the run checked
//	check:           the check that decided the verdict ("discovery" and
//	                 "campaign/generated" included); for a violation the
//	                 model found, the check that was running
//	want:            the requirement
//	seed:            the run's seed
//	mark:            the number of the exchange that shows the violation
//	found-by:        "model" when the model found it, else the check
//	allowed-origins: Origins the server is meant to accept (model config)
//	state-ttl-max, handle-ttl-max: lifetimes (model config)
//	sandbox:         the file tree the server was started on and the
//	                 directories it was told to use, one line of JSON
//	                 (model config)
//	hints:           the --hints file, as one line of JSON
//	single-use:      requests the run knew to be single-use, "; "-separated
//	credentials:     header names whose values are redacted
//	authenticates:   "yes" when the server was found to authenticate callers
//	revision:        the protocol revision of a legacy session
const (
	// RedactedClient replaces the client's credentials in a trace (the
	// --header values); Replay puts ReplayOptions.Header's back.
	RedactedClient = "[redacted: the client's credentials]"
	// RedactedAlt replaces the second principal's credentials (the
	// --alt-header values); Replay puts ReplayOptions.AltHeader's back.
	RedactedAlt = "[redacted: the second principal's credentials]"
)

// Trace field names.
const (
	fieldTarget         = "target"
	fieldCheck          = "check"
	fieldWant           = "want"
	fieldSeed           = "seed"
	fieldMark           = "mark"
	fieldFoundBy        = "found-by"
	fieldAllowedOrigins = "allowed-origins"
	fieldStateTTLMax    = "state-ttl-max"
	fieldHandleTTLMax   = "handle-ttl-max"
	fieldHints          = "hints"
	fieldSingleUse      = "single-use"
	fieldCredentials    = "credentials"
	fieldAuthenticates  = "authenticates"
	fieldRevision       = "revision"
	// fieldSandbox is the file tree the server was started on
	// (model.Config.Files), as one line of JSON.
	fieldSandbox = "sandbox"
)

// Check names that are not registered checks.
const (
	// Discovery names the exchanges of discovery.
	Discovery = "discovery"
	// campaignName is the generated campaign's check: its traces are
	// replayed as recorded (the shrunk sequence).
	campaignName = "campaign/generated"
)

// maxTraceExchanges bounds the exchanges of a trace (the violating one
// and those before it that matter).
const maxTraceExchanges = 200

// traceOf builds the trace of a violation verdict.
func (e *Env) traceOf(v *Verdict) *trace.Trace {
	exs := v.Evidence
	if v.Model && len(exs) > 1 {
		exs = model.Minimal(e.Opts.Model, exs, v.ID)
	}
	if len(exs) > maxTraceExchanges {
		exs = exs[len(exs)-maxTraceExchanges:]
	}
	p := e.shared.principals
	t := &trace.Trace{}
	add := func(k, val string) {
		if val != "" {
			t.Fields = append(t.Fields, trace.Field{Key: k, Value: val})
		}
	}
	add(fieldTarget, e.j.target)
	add(fieldCheck, v.Check)
	add(fieldWant, string(v.ID))
	add(fieldSeed, strconv.FormatInt(e.Opts.Seed, 10))
	if len(exs) > 0 {
		add(fieldMark, strconv.Itoa(len(exs)))
	}
	if v.Model {
		add(fieldFoundBy, "model")
	}
	add(fieldAllowedOrigins, strings.Join(e.Opts.Model.AllowedOrigins, " "))
	if f := e.Opts.Model.Files; f != nil {
		add(fieldSandbox, f.String())
	}
	if d := e.Opts.Model.StateTTLMax; d > 0 {
		add(fieldStateTTLMax, d.String())
	}
	if d := e.Opts.Model.HandleTTLMax; d > 0 {
		add(fieldHandleTTLMax, d.String())
	}
	if e.Opts.Hints != nil {
		if b, err := json.Marshal(e.Opts.Hints); err == nil {
			add(fieldHints, string(b))
		}
	}
	add(fieldSingleUse, strings.Join(p.singleUseList(), "; "))
	names := p.secretNames()
	add(fieldCredentials, strings.Join(names, " "))
	if a := p.authFacts(); a != nil && a.Authenticates {
		add(fieldAuthenticates, "yes")
	}
	add(fieldRevision, v.Revision)
	t.Exchanges = make([]*wire.Exchange, len(exs))
	for i, ex := range exs {
		t.Exchanges[i] = p.redact(ex)
	}
	return t
}

// singleUseList lists the single-use requests the run learnt from the
// declarations ("tools/call transfer").
func (p *principals) singleUseList() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for k := range p.singleUse {
		out = append(out, strings.Replace(k, "\x00", " ", 1))
	}
	slices.Sort(out)
	return out
}

// authFacts returns what the authentication probe found (nil if it did
// not run).
func (p *principals) authFacts() *AuthFacts {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.auth
}

// secretNames are the header names whose values the user gave (--header,
// --alt-header): they may hold credentials.
func (p *principals) secretNames() []string {
	var out []string
	for _, h := range []http.Header{p.primary, p.alt} {
		for k := range h {
			if !slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, k) }) {
				out = append(out, k)
			}
		}
	}
	slices.Sort(out)
	return out
}

// redact returns a copy of ex whose request headers carry no value the
// user gave: each is replaced by RedactedClient or RedactedAlt (also where
// it is part of a longer value).
func (p *principals) redact(ex *wire.Exchange) *wire.Exchange {
	if ex == nil || len(ex.Header) == 0 || (len(p.primary) == 0 && len(p.alt) == 0) {
		return ex
	}
	c := *ex
	c.Header = ex.Header.Clone()
	for k, vs := range c.Header {
		for i, v := range vs {
			vs[i] = redactValue(v, p.primary, RedactedClient, p.alt, RedactedAlt)
		}
		c.Header[k] = vs
	}
	return &c
}

// redactValue replaces, in v, every value of a (then of b) with its
// placeholder; the longest values first, so that a token inside a longer
// header value is found.
func redactValue(v string, a http.Header, aMark string, b http.Header, bMark string) string {
	type secret struct{ val, mark string }
	var ss []secret
	for _, x := range []struct {
		h    http.Header
		mark string
	}{{a, aMark}, {b, bMark}} {
		for _, vals := range x.h {
			for _, s := range vals {
				if len(s) >= 4 {
					ss = append(ss, secret{s, x.mark})
				}
				// The token after a scheme ("Bearer TOKEN"), wherever it
				// appears (another scheme's spelling, a query).
				if f := strings.Fields(s); len(f) > 1 && len(f[len(f)-1]) >= 8 {
					ss = append(ss, secret{f[len(f)-1], x.mark})
				}
			}
		}
	}
	slices.SortFunc(ss, func(x, y secret) int { return len(y.val) - len(x.val) })
	for _, s := range ss {
		v = strings.ReplaceAll(v, s.val, s.mark)
	}
	return v
}

// unredact puts the credentials back into a recorded request header:
// each placeholder by the value of the same header name in client (or
// alt); ok is false when a placeholder has no value to take.
func unredact(h http.Header, client, alt http.Header) (http.Header, bool) {
	out := h.Clone()
	ok := true
	for k, vs := range out {
		for i, v := range vs {
			for _, x := range []struct {
				mark string
				from http.Header
			}{{RedactedClient, client}, {RedactedAlt, alt}} {
				if !strings.Contains(v, x.mark) {
					continue
				}
				val, has := wire.HeaderValue(x.from, k)
				if !has {
					ok = false
					continue
				}
				// The placeholder stands for the whole value the user gave,
				// or for its last word (a token after its scheme).
				if v == x.mark {
					v = val
				} else {
					f := strings.Fields(val)
					v = strings.ReplaceAll(v, x.mark, f[len(f)-1])
				}
			}
			vs[i] = v
		}
	}
	return out, ok
}

// traceConfig reads the model configuration a trace carries.
func traceConfig(tr *trace.Trace, base model.Config) (model.Config, *hints.Hints, error) {
	cfg := base
	if o := tr.Get(fieldAllowedOrigins); o != "" {
		cfg.AllowedOrigins = append(slices.Clone(cfg.AllowedOrigins), strings.Fields(o)...)
	}
	for _, f := range []struct {
		key string
		dst *time.Duration
	}{{fieldStateTTLMax, &cfg.StateTTLMax}, {fieldHandleTTLMax, &cfg.HandleTTLMax}} {
		if s := tr.Get(f.key); s != "" && *f.dst == 0 {
			d, err := time.ParseDuration(s)
			if err != nil {
				return cfg, nil, err
			}
			*f.dst = d
		}
	}
	if s := tr.Get(fieldSandbox); s != "" && cfg.Files == nil {
		f, err := model.ParseFileTree(s)
		if err != nil {
			return cfg, nil, err
		}
		cfg.Files = f
	}
	var hs *hints.Hints
	if s := tr.Get(fieldHints); s != "" {
		h, err := hints.Parse([]byte(s))
		if err != nil {
			return cfg, nil, err
		}
		hs = h
	}
	return cfg, hs, nil
}
