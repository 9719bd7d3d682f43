package auth

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/probe"
	"github.com/mcpverify/mcpverify/model"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

var tokenIDs = []spec.ID{spec.AuthAudience, spec.AuthNoOtherTokens, spec.AuthInvalid401, spec.AuthErrorStatus, spec.AuthVerifyAll, spec.AuthAudienceCase,
	spec.AuthIatFuture, spec.AuthTyp, spec.AuthIssSlash, spec.AuthTokenQuery}

func init() {
	check.Register(&check.Check{
		Name:  "auth/tokens",
		IDs:   tokenIDs,
		Needs: httpOnly,
		Eras:  []check.Era{check.Modern, check.DualEra, check.UnknownEra},
		Run:   checkTokens,
	})
}

// resourceServer is what the auth checks that present tokens learn first:
// the server requires authorization by the MCP specification (401 to a
// request without credentials, Protected Resource Metadata), and the
// canonical URI and scopes its tokens carry.
type resourceServer struct {
	authority check.Authority
	// resource is the canonical URI, the audience of a correct token.
	resource string
	// scopes are the scopes the metadata and the challenge name; a
	// correct token carries them all.
	scopes []string
}

// learnResource finds the resource server, or says why the token checks
// do not apply (skip is true) or cannot tell.
func learnResource(e *check.Env) (rs *resourceServer, why string, skip bool) {
	if e.Opts.Authority == nil {
		return nil, "no authorization server under the checker's control: run with --auth-mock and start the server trusting the mock's issuer", true
	}
	u, err := probe.TargetURL(e, 0)
	if err != nil {
		return nil, err.Error(), false
	}
	o := e.Send(e.RequestAs(e.AsAnonymous(e.Client), e.ListMethod(), map[string]any{}))
	if !o.Answered() {
		return nil, fmt.Sprintf("%s without credentials: %s", e.ListMethod(), o.Describe()), false
	}
	// A server that serves a request without credentials may still
	// implement authorization (and break AUTH-VERIFY-ALL): its metadata
	// says so.
	challenge, _ := wire.HeaderValue(o.Ex.RespHeader, "WWW-Authenticate")
	var doc *prmDoc
	if _, parsed, _ := discoverPRM(e, challenge, u); len(parsed) > 0 {
		doc = parsed[0]
	}
	switch {
	case doc == nil && o.Ex.Status == http.StatusUnauthorized:
		return nil, "the server publishes no Protected Resource Metadata: an authorization scheme of its own (CORE-AUTH-CUSTOM), which the MCP Authorization specification does not judge", true
	case doc == nil || len(doc.AuthorizationServers) == 0 && o.Ex.Status != http.StatusUnauthorized:
		return nil, fmt.Sprintf("%s without credentials was %s and the server publishes no Protected Resource Metadata naming an authorization server: it does not implement authorization", e.ListMethod(), o.Describe()), true
	}
	rs = &resourceServer{authority: e.Opts.Authority, resource: doc.Resource}
	if rs.resource == "" {
		rs.resource = u.String()
	}
	add := func(ss ...string) {
		for _, s := range ss {
			if s != "" && !slices.Contains(rs.scopes, s) {
				rs.scopes = append(rs.scopes, s)
			}
		}
	}
	add(doc.ScopesSupported...)
	if sc, ok := challengeParam(challenge, "scope"); ok {
		add(strings.Fields(sc)...)
	}
	if h := e.Opts.Hints; h != nil {
		for _, ss := range h.Scopes {
			add(ss...)
		}
	}
	return rs, "", false
}

// resourceFor is learnResource for a check deciding ids: when the checks
// do not apply, or cannot tell, it says so for every one of ids and
// returns nil.
func resourceFor(e *check.Env, ids []spec.ID) *resourceServer {
	rs, why, skip := learnResource(e)
	switch {
	case rs != nil:
	case skip:
		probe.SkipAll(e, ids, "%s", why)
	default:
		probe.InconclusiveAll(e, ids, "%s", why)
	}
	return rs
}

// scope is the scope of a correct token.
func (rs *resourceServer) scope() string { return strings.Join(rs.scopes, " ") }

// caseRequest is r with the credentials of case c, recorded in the
// request (the model judges the exchange by it).
func caseRequest(r *check.Request, c check.AuthCase, rs *resourceServer) (*check.Request, error) {
	hr := &http.Request{Header: r.Header.Clone(), URL: &url.URL{}}
	if hr.Header == nil {
		hr.Header = http.Header{}
	}
	if err := c.Apply(hr); err != nil {
		return nil, err
	}
	r = r.Clone()
	r.Header, r.Query = hr.Header, hr.URL.RawQuery
	tok := strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(hr.Header.Get("Authorization"), "Bearer"), "bearer"))
	if q := hr.URL.Query().Get("access_token"); q != "" {
		tok = q
	}
	r.Credential = &wire.Credential{Case: c.Name, Principal: c.Principal, Claims: tokenClaims(tok), Resource: rs.resource, Scope: rs.scope()}
	return r, nil
}

// tokenClaims returns the JSON of a compact JWS's payload ("" if tok is
// not one): what a trace shows of the token.
func tokenClaims(tok string) string {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || !wire.ValidJSONLax(b) {
		return ""
	}
	return string(b)
}

// tokenLane is the kept-alive connection of the correct token and of the
// tokenless request sent after it (CORE-NO-CONNECTION-CONTEXT).
const tokenLane = 7401

// checkTokens sends the authority's matrix: the correct token first (the
// baseline: without it served, nothing can be judged), then each case on
// a connection of its own, then a request without credentials on a
// connection of its own and on the baseline's connection. The model
// judges every exchange by its case; the check passes what the model
// judged and found unbroken.
func checkTokens(e *check.Env) {
	rs := resourceFor(e, tokenIDs)
	if rs == nil {
		return
	}
	cases := rs.authority.AuthCases(rs.resource, rs.scope())
	onLane := func(c context.Context) context.Context { return check.OnConnection(c, tokenLane) }
	send := func(c check.AuthCase, wrap func(context.Context) context.Context) (check.Observation, bool) {
		r, err := caseRequest(e.RequestAs(e.AsAnonymous(e.Client), e.ListMethod(), map[string]any{}), c, rs)
		if err != nil {
			e.Progressf("auth/tokens: case %s: %v", c.Name, err)
			return check.Observation{}, false
		}
		return probe.SendUnder(e, 0, wrap, r), true
	}
	var baseline, noToken *check.AuthCase
	for i := range cases {
		switch {
		case cases[i].Name == model.AuthNoTokenCase:
			noToken = &cases[i]
		case baseline == nil && strings.HasPrefix(cases[i].Name, "correct-"):
			baseline = &cases[i]
		}
	}
	if baseline == nil {
		probe.InconclusiveAll(e, tokenIDs, "the authority's matrix has no correct token")
		return
	}
	if o, _ := send(*baseline, onLane); !o.Accepted() {
		probe.InconclusiveAll(e, tokenIDs, "%s with a correct token (%s, audience %s, scope %q) was %s, not served: the server does not trust the authority's issuer %s, or wants another audience or scope; nothing can be judged",
			e.ListMethod(), baseline.Description, rs.resource, rs.scope(), o.Describe(), rs.authority.Issuer())
		return
	}
	judged := map[spec.ID][]string{}
	unanswered := map[spec.ID][]string{}
	violated := map[spec.ID]bool{}
	var reported []string
	record := func(name string, o check.Observation) {
		ids := model.AuthCaseIDs(name)
		if len(ids) == 0 && !strings.HasPrefix(name, "correct-") {
			reported = append(reported, fmt.Sprintf("%s: %s", name, o.Describe()))
		}
		for _, id := range ids {
			if _, ok := o.Violated(id); ok {
				violated[id] = true
			}
			if o.Answered() {
				judged[id] = append(judged[id], name)
			} else {
				unanswered[id] = append(unanswered[id], name+" ("+o.Describe()+")")
			}
		}
	}
	for _, c := range cases {
		if c.Name == baseline.Name || c.Name == model.AuthNoTokenCase {
			continue
		}
		if o, ok := send(c, check.OnFreshConnection); ok {
			record(c.Name, o)
		}
	}
	if noToken != nil {
		if o, ok := send(*noToken, check.OnFreshConnection); ok {
			record(noToken.Name, o)
		}
		send(*noToken, onLane) // judged by the model against the fresh one
	}
	for _, id := range tokenIDs {
		switch {
		case violated[id]:
			// Reported by the model, with the exchange.
		case len(unanswered[id]) > 0:
			e.Inconclusive(id, "no answer to %s", strings.Join(unanswered[id], ", "))
		case len(judged[id]) == 0:
			e.Inconclusive(id, "the authority's matrix has no case for this requirement")
		default:
			msg := fmt.Sprintf("as the spec asks, for each of %s (a correct token was served first)", strings.Join(judged[id], ", "))
			if id == spec.AuthAudience && len(reported) > 0 {
				msg += "; reported, not judged (the spec lets the server choose): " + strings.Join(reported, "; ")
			}
			e.Pass(id, "%s", msg)
		}
	}
}
