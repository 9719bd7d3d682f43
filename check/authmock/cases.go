package authmock

import (
	"errors"
	"net/http"
)

// Expect is what a resource server trusting this issuer should do with a
// case's request.
type Expect int

const (
	// ExpectServed: the request is authorized; it must not be refused for
	// its credentials.
	ExpectServed Expect = iota
	// Expect401: the request must be refused with 401 Unauthorized (the
	// MCP authorization spec: invalid or expired tokens get 401).
	Expect401
	// Expect4xx: the request must be refused with some 4xx (400 or 401
	// both fit).
	Expect4xx
	// ExpectReportOnly: the spec lets the server choose; the outcome is
	// reported, never judged.
	ExpectReportOnly
)

func (e Expect) String() string {
	switch e {
	case ExpectServed:
		return "served"
	case Expect401:
		return "401"
	case Expect4xx:
		return "any-4xx"
	case ExpectReportOnly:
		return "report-only"
	}
	return "expect(?)"
}

// Case is one request of the authentication matrix: Apply changes a
// request that carries no credentials into this case's request (usually
// by setting its Authorization header). Apply mints a fresh token on
// each call.
type Case struct {
	Name        string
	Description string
	Expect      Expect
	// Defect is the token's defect (None for the non-token cases and the
	// correct tokens).
	Defect Defect
	// Principal is the subject of the case's token(s), "" when it sends
	// none.
	Principal string
	Apply     func(r *http.Request) error
}

// Cases is the matrix for the MCP server whose canonical URI is resource:
// correct tokens for Alice (RS256, ES256) and Bob, each defect of
// Defects (those the resource can carry) for Alice, and the requests
// whose credentials are malformed or absent.
func (s *Server) Cases(resource string) []Case { return s.cases(resource, "") }

// cases is Cases with the scope of every token ("": DefaultScope).
func (s *Server) cases(resource, scope string) []Case {
	bearer := func(scheme string, c Claims, d Defect) func(*http.Request) error {
		return func(r *http.Request) error {
			tok, err := s.Mint(c, d)
			if err != nil {
				return err
			}
			r.Header.Set("Authorization", scheme+" "+tok)
			return nil
		}
	}
	alice := Claims{Subject: Alice, Resource: resource, Scope: scope}
	aliceEC := Claims{Subject: Alice, Resource: resource, Scope: scope, Alg: ES256}
	bob := Claims{Subject: Bob, Resource: resource, Scope: scope}
	aliceAndBob := func() (string, string, error) {
		a, err := s.Mint(alice, None)
		if err != nil {
			return "", "", err
		}
		b, err := s.Mint(bob, None)
		return a, b, err
	}
	cs := []Case{
		{Name: "correct-alice-rs256", Description: "a correct RS256 token for alice", Expect: ExpectServed, Principal: Alice, Apply: bearer("Bearer", alice, None)},
		{Name: "correct-alice-es256", Description: "a correct ES256 token for alice", Expect: ExpectServed, Principal: Alice, Apply: bearer("Bearer", aliceEC, None)},
		{Name: "correct-bob-rs256", Description: "a correct RS256 token for bob", Expect: ExpectServed, Principal: Bob, Apply: bearer("Bearer", bob, None)},
		{Name: "bearer-lowercase", Description: "a correct token after the scheme name \"bearer\" in lower case: auth schemes are case-insensitive (RFC 9110), the MCP spec writes \"Bearer\" (report only)",
			Expect: ExpectReportOnly, Principal: Alice, Apply: bearer("bearer", alice, None)},
	}
	for _, d := range Defects()[1:] {
		if _, err := s.Mint(alice, d); errors.Is(err, ErrNotApplicable) {
			continue
		}
		e := Expect401
		switch d {
		case AudCase:
			e = ExpectServed
		case AudArrayWith, IatFarFuture, TypNotATJWT, AudDefaultPort, AudTrailingSlash:
			e = ExpectReportOnly
		}
		cs = append(cs, Case{Name: d.String(), Description: d.Description(), Expect: e, Defect: d, Principal: Alice, Apply: bearer("Bearer", alice, d)})
	}
	return append(cs,
		Case{Name: "no-token", Description: "no Authorization header", Expect: Expect401,
			Apply: func(r *http.Request) error { r.Header.Del("Authorization"); return nil }},
		Case{Name: "two-tokens", Description: "two correct Bearer tokens in one Authorization header, comma-separated", Expect: Expect4xx, Principal: Alice,
			Apply: func(r *http.Request) error {
				a, b, err := aliceAndBob()
				if err != nil {
					return err
				}
				r.Header.Set("Authorization", "Bearer "+a+", Bearer "+b)
				return nil
			}},
		Case{Name: "two-authorization-headers", Description: "two Authorization header fields, each with a correct Bearer token (alice's, then bob's)", Expect: Expect4xx, Principal: Alice,
			Apply: func(r *http.Request) error {
				a, b, err := aliceAndBob()
				if err != nil {
					return err
				}
				r.Header["Authorization"] = []string{"Bearer " + a, "Bearer " + b}
				return nil
			}},
		Case{Name: "empty-bearer", Description: "an Authorization header \"Bearer \" with no token", Expect: Expect4xx,
			Apply: func(r *http.Request) error { r.Header.Set("Authorization", "Bearer "); return nil }},
		Case{Name: "token-in-query", Description: "a correct token as the access_token query parameter and no Authorization header: tokens MUST NOT be taken from the query string",
			Expect: Expect401, Principal: Alice,
			Apply: func(r *http.Request) error {
				tok, err := s.Mint(alice, None)
				if err != nil {
					return err
				}
				r.Header.Del("Authorization")
				q := r.URL.Query()
				q.Set("access_token", tok)
				r.URL.RawQuery = q.Encode()
				return nil
			}},
	)
}
