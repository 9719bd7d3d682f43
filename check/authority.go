package check

import "net/http"

// Authority is an authorization server under the checker's control that
// the target trusts: it mints the access tokens of the auth checks, each
// with one known defect (check/authmock is one).
type Authority interface {
	// Issuer is the issuer identifier, the iss of the tokens it mints.
	Issuer() string
	// AuthCases is the authentication matrix for the MCP server whose
	// canonical URI is resource: requests with correct tokens (of
	// several principals and algorithms), tokens with one defect each,
	// and malformed or absent credentials. Correct tokens carry scope
	// (the authority's default when "").
	AuthCases(resource, scope string) []AuthCase
	// Token mints a correct access token for subject at resource, with
	// scope.
	Token(subject, resource, scope string) (string, error)
}

// AuthCase is one request of an authentication matrix. Apply turns an
// HTTP request without credentials into this case's request: it sets the
// Authorization header (or removes it, or puts the token in the URL's
// query) and mints a fresh token on each call.
type AuthCase struct {
	// Name names the case ("correct-alice-rs256", "aud-sibling",
	// "no-token"): the model judges an exchange by it.
	Name        string
	Description string
	// Principal is the subject of the case's token ("" when it sends
	// none).
	Principal string
	Apply     func(r *http.Request) error
}

// Upstream is a service the checker runs for the target to call on a
// caller's behalf (check --upstream-probe): it records what it receives,
// so that a check can tell whether the caller's token travelled on.
type Upstream interface {
	// URL is the base URL of the service (http://127.0.0.1:PORT).
	URL() string
	// Received returns the requests received so far.
	Received() []UpstreamRequest
}

// UpstreamRequest is one request an Upstream received.
type UpstreamRequest struct {
	Method, Path, Query string
	Header              http.Header
}
