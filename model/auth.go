package model

import (
	"fmt"
	"strings"

	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Rules of basic/authorization/index.mdx and security_best_practices.mdx:
// the server as OAuth resource server, judged on the exchanges whose
// credential the checker minted (wire.Exchange.Credential names the case
// of its authentication matrix, hence the credential's one defect).

// authWant is what a server that requires authorization does with a
// case's request.
type authWant uint8

const (
	// authServe: the credential is correct (the baseline); a refusal is
	// not judged here (the check makes it inconclusive).
	authServe authWant = iota
	// authServeShould: the credential is the correct one written
	// differently; a refusal breaks the case's SHOULD.
	authServeShould
	// auth401: invalid or expired: served breaks the case's requirement, a
	// refusal by any status but 401 breaks AUTH-ERROR-STATUS.
	auth401
	// auth4xx: a malformed Authorization header: served, or refused by
	// anything but a 4xx, breaks the case's requirement.
	auth4xx
	// authRefuse: beyond the spec's letter (HARDENING): served breaks the
	// case's requirement; any refusal meets it.
	authRefuse
	// authNone: a case with no credential: refused on a connection of its
	// own; served breaks AUTH-VERIFY-ALL once an invalid token was
	// refused, or CORE-NO-CONNECTION-CONTEXT on a connection that carried
	// a served token after a tokenless request was refused.
	authNone
	// authScope: a correct token lacking a scope the server challenged
	// for: served breaks AUTH-SCOPE-REFUSED; refused otherwise than by
	// 403 with an insufficient_scope challenge breaks AUTH-SCOPE-403.
	authScope
	// authReport: the spec lets the server choose; reported, not judged.
	authReport
)

type authCase struct {
	want authWant
	id   spec.ID
}

// AuthScopeCase names the case of a correct token that lacks a scope the
// server challenged for (the check mints it from the server's challenge).
const AuthScopeCase = "scope-lacking"

// AuthNoTokenCase names the case of a request without credentials.
const AuthNoTokenCase = "no-token"

// authCases is the judgment of each case of the checker's matrix, by name
// (check/authmock makes the requests).
var authCases = map[string]authCase{
	"correct-alice-rs256": {authServe, ""},
	"correct-alice-es256": {authServe, ""},
	"correct-bob-rs256":   {authServe, ""},
	// "The canonical form uses lowercase scheme and host components,
	// implementations SHOULD accept uppercase" (Canonical Server URI).
	"aud-uppercase-scheme-host": {authServeShould, spec.AuthAudienceCase},

	// "MUST validate that access tokens were issued specifically for them
	// as the intended audience" (RFC 8707 section 2); "Invalid or expired
	// tokens MUST receive a HTTP 401 response".
	"aud-sibling":                {auth401, spec.AuthAudience},
	"aud-other-host":             {auth401, spec.AuthAudience},
	"aud-other-port":             {auth401, spec.AuthAudience},
	"aud-other-scheme":           {auth401, spec.AuthAudience},
	"aud-path-prefix":            {auth401, spec.AuthAudience},
	"aud-suffix":                 {auth401, spec.AuthAudience},
	"aud-extra-segment":          {auth401, spec.AuthAudience},
	"aud-missing":                {auth401, spec.AuthAudience},
	"aud-array-without-resource": {auth401, spec.AuthAudience},
	// "MUST only accept tokens that are valid for use with their own
	// resources. MUST NOT accept or transit any other tokens": a token
	// another issuer made, though signed with a key the server trusts.
	"iss-other": {auth401, spec.AuthNoOtherTokens},
	// OAuth 2.1 section 5.2 validation: signature, key, algorithm, time.
	"expired":           {auth401, spec.AuthInvalid401},
	"not-yet-valid":     {auth401, spec.AuthInvalid401},
	"alg-none":          {auth401, spec.AuthInvalid401},
	"hs256-public-key":  {auth401, spec.AuthInvalid401},
	"kid-unknown":       {auth401, spec.AuthInvalid401},
	"key-not-in-jwks":   {auth401, spec.AuthInvalid401},
	"signature-altered": {auth401, spec.AuthInvalid401},

	// The error table: 400 for a malformed authorization request (or
	// 401: RFC 6750 section 3.1 lets either refuse it).
	"two-tokens":                {auth4xx, spec.AuthErrorStatus},
	"two-authorization-headers": {auth4xx, spec.AuthErrorStatus},
	"empty-bearer":              {auth4xx, spec.AuthVerifyAll},

	// Beyond the letter.
	"iat-far-future":     {authRefuse, spec.AuthIatFuture},
	"typ-not-at+jwt":     {authRefuse, spec.AuthTyp},
	"iss-trailing-slash": {authRefuse, spec.AuthIssSlash},
	"token-in-query":     {authRefuse, spec.AuthTokenQuery},

	AuthNoTokenCase: {authNone, spec.AuthVerifyAll},
	AuthScopeCase:   {authScope, spec.AuthScopeRefused},

	// RFC 9110 auth schemes are case-insensitive; the MCP spec writes
	// "Bearer". RFC 7519 allows an aud array holding the resource.
	// RFC 3986 section 6.2.3 makes an explicit default port and "/" as an
	// empty path equivalent; the spec names no outcome for them.
	"bearer-lowercase":        {authReport, ""},
	"aud-array-with-resource": {authReport, ""},
	"aud-default-port":        {authReport, ""},
	"aud-trailing-slash":      {authReport, ""},
}

// AuthCaseIDs returns the requirements the model judges the case named
// name against (none for the correct tokens, the cases it only reports,
// and names it does not know): a check passes them when the model found
// nothing.
func AuthCaseIDs(name string) []spec.ID {
	c, ok := authCases[name]
	switch {
	case !ok || c.want == authReport || c.want == authServe:
		return nil
	case c.want == auth401 || c.want == auth4xx:
		return []spec.ID{c.id, spec.AuthErrorStatus}
	case c.want == authScope:
		return []spec.ID{c.id, spec.AuthScope403}
	}
	return []spec.ID{c.id}
}

// authFacts are what the exchanges with minted credentials showed.
type authFacts struct {
	// refusedInvalid: a token with a defect was refused.
	refusedInvalid bool
	// refusedNone: a request without credentials was refused on a
	// connection that had carried none.
	refusedNone bool
	// servedConns are the connections on which a correct token was
	// served.
	servedConns map[int]bool
}

func hasCredential(c *ctx) bool { return c.http && c.ex.Credential != nil && c.req != nil }

// authServed: the request was served (2xx and a result); an exchange
// that did not complete is neither served nor refused.
func authServed(c *ctx) bool {
	return c.ex.Status >= 200 && c.ex.Status < 300 && c.result != nil
}

func authDescribe(c *ctx) string {
	s := fmt.Sprintf("HTTP %d", c.ex.Status)
	if c.errResp != nil {
		s += fmt.Sprintf(", error %d", c.errResp.Error.Code)
	}
	if c.result != nil {
		s += " with a result"
	}
	return s
}

// checkAuthCase judges the exchange of one case of the matrix by its
// status (the status is the spec's word for the outcome) and, for a
// scope refusal, its challenge.
func checkAuthCase(c *ctx) {
	cr := c.ex.Credential
	ac, ok := authCases[cr.Case]
	if !ok || c.ex.Outcome != wire.Complete {
		return
	}
	served := authServed(c)
	what := fmt.Sprintf("the %s request (%s)", cr.Case, authDescribe(c))
	f := c.facts()
	switch ac.want {
	case authServe:
		if served && !f.auth.servedConns[c.ex.Conn] && c.ex.Conn != 0 {
			conns := own(c, ownAuthConns, &c.learn().auth.servedConns)
			conns[c.ex.Conn] = true
		}
	case authServeShould:
		c.judge(ac.id)
		if !served {
			c.report(ac.id, what+" not served", "the token served: its audience is the canonical URI with its scheme and host in upper case")
		}
	case auth401, auth4xx:
		c.judge(ac.id, spec.AuthErrorStatus)
		switch {
		case served:
			c.report(ac.id, what+" served", "a refusal with HTTP 401")
		case ac.want == auth401 && c.ex.Status != 401:
			c.report(spec.AuthErrorStatus, what+" refused otherwise than with 401", "HTTP 401 for an invalid or expired token (Error Handling: 401 for a token invalid)")
		case ac.want == auth4xx && (c.ex.Status < 400 || c.ex.Status > 499):
			c.report(spec.AuthErrorStatus, what+" answered otherwise than with a 4xx", "HTTP 400 (or 401) for a malformed Authorization header")
		default:
			if !f.auth.refusedInvalid {
				c.learn().auth.refusedInvalid = true
			}
		}
	case authRefuse:
		c.judge(ac.id)
		if served {
			c.report(ac.id, what+" served", "a refusal")
		}
	case authNone:
		carried := f.auth.servedConns[c.ex.Conn] && c.ex.Conn != 0
		switch {
		case !served && !carried:
			if !f.auth.refusedNone {
				c.learn().auth.refusedNone = true
			}
		case served && carried && f.auth.refusedNone:
			c.judge(spec.CoreNoConnectionContext)
			c.report(spec.CoreNoConnectionContext, what+" served on a connection that had carried a valid token, though a request without credentials was refused on a connection of its own",
				"no identity carried over from an earlier request on the connection")
		case served && !carried && f.auth.refusedInvalid:
			c.judge(ac.id)
			c.report(ac.id, what+" served, though a request with an invalid token was refused", "every inbound request verified: a request without a token refused")
		case !served && carried && f.auth.refusedNone:
			c.judge(spec.CoreNoConnectionContext)
		case !served && f.auth.refusedInvalid:
			c.judge(ac.id)
		}
	case authScope:
		c.judge(ac.id, spec.AuthScope403)
		if served {
			c.report(ac.id, what+" served", "a refusal: the token lacks a scope the server challenged for")
			return
		}
		raw, _ := wire.HeaderValue(c.ex.RespHeader, "WWW-Authenticate")
		ch, _ := wire.BearerChallenge(c.ex.RespHeader)
		var miss []string
		if c.ex.Status != 403 {
			miss = append(miss, fmt.Sprintf("HTTP %d, not 403", c.ex.Status))
		}
		if e, _ := ch.Param("error"); e != "insufficient_scope" {
			miss = append(miss, `no error="insufficient_scope"`)
		}
		for _, p := range []string{"scope", "resource_metadata"} {
			if v, _ := ch.Param(p); v == "" {
				miss = append(miss, "no "+p)
			}
		}
		if len(miss) > 0 {
			c.report(spec.AuthScope403, fmt.Sprintf("%s: %s (WWW-Authenticate %q)", what, strings.Join(miss, ", "), raw),
				`HTTP 403 with WWW-Authenticate: Bearer error="insufficient_scope", scope and resource_metadata`)
		}
	}
}
