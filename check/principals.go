package check

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mcpverify/mcpverify/check/hints"
	"github.com/mcpverify/mcpverify/model"
	"github.com/mcpverify/mcpverify/wire"
)

// What one run knows about identities and about the requests the protocol
// does not mark: the two principals the checker can act as (the client's
// credentials and Options.AltHeader), whether the server authenticates
// callers (found once, by ProbeAuth), the single-use requests (hints and
// descriptions), and the lifetimes the deployment promises. The model is
// configured from it (modelConfig): it reads what the run learns.

// AuthFacts is what the authentication probe found.
type AuthFacts struct {
	// Authenticates: a request with invalid credentials was refused while
	// the same request with the client's was served.
	Authenticates bool
	// AltValid: the second principal's credentials were served.
	AltValid bool
	// Why says why cross-principal probes cannot run ("" if they can).
	Why string
}

// principals is the run's knowledge of identities.
type principals struct {
	hints   *hints.Hints
	ttlMax  time.Duration
	primary http.Header
	alt     http.Header
	// credNames are the header names that carry credentials: those of
	// AltHeader, else Authorization when the client sends one.
	credNames   []string
	primaryAuth string // Authorization values
	altAuth     string

	mu        sync.Mutex
	auth      *AuthFacts
	singleUse map[string]string // by method "\x00" name: why
}

func newPrincipals(o *Options) *principals {
	p := &principals{hints: o.Hints, ttlMax: o.StateTTLMax, primary: o.Client.Header, alt: o.AltHeader, singleUse: map[string]string{}}
	if p.ttlMax == 0 && o.Hints != nil {
		p.ttlMax = time.Duration(o.Hints.StateTTLMax)
	}
	for k := range o.AltHeader {
		p.credNames = append(p.credNames, k)
	}
	if len(p.credNames) == 0 && HasHeader(o.Client.Header, "Authorization") {
		p.credNames = []string{"Authorization"}
	}
	sort.Strings(p.credNames)
	p.primaryAuth, _ = wire.HeaderValue(o.Client.Header, "Authorization")
	p.altAuth, _ = wire.HeaderValue(o.AltHeader, "Authorization")
	return p
}

// modelConfig fills what the model needs to judge requestState and
// handles and is not set already: the principal of a credential, the
// single-use requests, the requests whose state matters (hints), the state
// lifetime, and the hinted handle tools. The functions read what the
// checks learn during the run.
func (p *principals) modelConfig(cfg model.Config) model.Config {
	if cfg.Principal == nil {
		cfg.Principal = p.principalOf
	}
	if cfg.SingleUse == nil {
		cfg.SingleUse = func(method, name string) bool { return p.singleUseWhy(method, name) != "" }
	}
	if cfg.StateMatters == nil && p.hints != nil && len(p.hints.StateMatters) > 0 {
		list := p.hints.StateMatters
		cfg.StateMatters = func(method, name string) bool { return hints.Names(list, method, name) }
	}
	if cfg.StateTTLMax == 0 {
		cfg.StateTTLMax = p.ttlMax
	}
	if p.hints != nil {
		if cfg.HandleTTLMax == 0 {
			cfg.HandleTTLMax = time.Duration(p.hints.HandleTTLMax)
		}
		cfg.Handles = append(append([]model.HandleTool(nil), cfg.Handles...), p.hints.ModelHandles()...)
	}
	return cfg
}

// principalOf names the principal of an Authorization value: "primary"
// and "alternate" for the two identities the checker holds, "anonymous"
// for none; "" (unknown) until the server is known to refuse invalid
// credentials, and for any other value. The two identities are distinct
// principals by the contract of Options.AltHeader.
func (p *principals) principalOf(authorization string) string {
	p.mu.Lock()
	a := p.auth
	p.mu.Unlock()
	if a == nil || !a.Authenticates {
		return ""
	}
	switch {
	case authorization != "" && authorization == p.primaryAuth:
		return "primary"
	case authorization != "" && authorization == p.altAuth && a.AltValid:
		return "alternate"
	case authorization == "" && p.primaryAuth != "":
		return "anonymous"
	}
	return ""
}

// singleUseWhy says why the request (method, name) is single-use: the
// hints, or its description; "" when nothing says so.
func (p *principals) singleUseWhy(method, name string) string {
	if p.hints != nil && hints.Names(p.hints.SingleUse, method, name) {
		return "--hints names it single-use"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.singleUse[method+"\x00"+name]
}

// SingleUseWhy says why the request (method, name) is single-use: the
// hints, or its description; "" when nothing says so.
func (e *Env) SingleUseWhy(method, name string) string {
	return e.shared.principals.singleUseWhy(method, name)
}

// singleUseClaim matches descriptions that say a request's confirmation or
// state can be used only once.
var singleUseClaim = regexp.MustCompile(`(?i)\b(single[- ]use|one[- ]time|used (?:only )?once|(?:only|at most) once|once only|can(?:not|'t) be (?:re)?used (?:again|twice)|not reusable|non-reusable|redeemed once)\b`)

// learnClaims reads the declarations for single-use claims.
func (p *principals) learnClaims(d *Declarations) {
	found := map[string]string{}
	for name, td := range d.Tools {
		if m := singleUseClaim.FindString(td.Tool.Description); m != "" {
			found["tools/call\x00"+name] = fmt.Sprintf("its description says %q", m)
		}
	}
	for name, pr := range d.Prompts {
		if m := singleUseClaim.FindString(pr.Description); m != "" {
			found["prompts/get\x00"+name] = fmt.Sprintf("its description says %q", m)
		}
	}
	p.mu.Lock()
	for k, v := range found {
		p.singleUse[k] = v
	}
	p.mu.Unlock()
}

// StateTTLMax is the longest a requestState may live, as the user said
// (Options.StateTTLMax, else the hints); 0 when unsaid.
func (e *Env) StateTTLMax() time.Duration { return e.shared.principals.ttlMax }

// HasAlt reports whether a second identity was given.
func (e *Env) HasAlt() bool { return len(e.shared.principals.alt) > 0 }

// WithHeaders returns c with the headers named by names removed and those
// of set added (names compared case-insensitively).
func WithHeaders(c Client, names []string, set http.Header) Client {
	h := c.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	for _, n := range names {
		wire.DelHeader(h, n)
	}
	for k, vs := range set {
		wire.DelHeader(h, k)
		h[k] = append([]string(nil), vs...)
	}
	c.Header = h
	return c
}

// AsAlt is c as the second principal.
func (e *Env) AsAlt(c Client) Client {
	p := e.shared.principals
	return WithHeaders(c, p.credNames, p.alt)
}

// AsAnonymous is c without credentials.
func (e *Env) AsAnonymous(c Client) Client {
	return WithHeaders(c, e.shared.principals.credNames, nil)
}

// ProbeAuth finds, once per run, whether the server authenticates callers
// (a request with invalid credentials is refused while the client's are
// served) and whether the second identity is served.
func (e *Env) ProbeAuth() *AuthFacts {
	p := e.shared.principals
	p.mu.Lock()
	a := p.auth
	p.mu.Unlock()
	if a != nil {
		return a
	}
	a = &AuthFacts{}
	defer func() {
		p.mu.Lock()
		p.auth = a
		p.mu.Unlock()
	}()
	if len(p.credNames) == 0 {
		a.Why = "the checker sends no credentials (give --header and --alt-header)"
		return a
	}
	method := e.ListMethod()
	send := func(c Client) Observation { return e.Send(e.RequestAs(c, method, map[string]any{})) }
	if !send(e.Client).Accepted() {
		a.Why = fmt.Sprintf("the client's own %s was not served", method)
		return a
	}
	bogus := http.Header{}
	for _, n := range p.credNames {
		v := "mcpverify-invalid-" + e.RandHex(8)
		if strings.EqualFold(n, "Authorization") {
			v = "Bearer " + v
		}
		bogus[n] = []string{v}
	}
	ob := send(WithHeaders(e.Client, p.credNames, bogus))
	a.Authenticates = ob.Answered() && (ob.Rejected() || ob.Ex.Status == http.StatusUnauthorized || ob.Ex.Status == http.StatusForbidden)
	if !a.Authenticates {
		a.Why = fmt.Sprintf("a %s with invalid credentials (%s) was %s: the server does not appear to authenticate callers", method, strings.Join(p.credNames, ", "), ob.Describe())
	}
	if e.HasAlt() {
		oa := send(e.AsAlt(e.Client))
		a.AltValid = oa.Accepted()
		if !a.AltValid && a.Why == "" {
			a.Why = fmt.Sprintf("the second identity (--alt-header) was refused: %s", oa.Describe())
		}
	}
	return a
}

// PrincipalsUsable says whether cross-principal probes can run: "" if so,
// else why not, and whether that is a skip (not applicable) rather than
// inconclusive.
func (e *Env) PrincipalsUsable() (why string, skip bool) {
	if !e.HasAlt() {
		return "no second identity: give the credentials of another principal with --alt-header (Options.AltHeader)", true
	}
	a := e.ProbeAuth()
	switch {
	case !a.Authenticates:
		return a.Why + "; with no authenticated principals there is nothing to bind", true
	case !a.AltValid:
		return a.Why, false
	}
	return "", false
}

// PrincipalOf names the principal of an Authorization value as the model
// does (see principalOf).
func (e *Env) PrincipalOf(authorization string) string {
	return e.shared.principals.principalOf(authorization)
}
