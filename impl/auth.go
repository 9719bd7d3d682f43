package impl

import (
	"context"
	"crypto/sha256"
	"errors"
	"net/http"
	"strings"

	"github.com/mcpverify/mcpverify/wire"
)

// Principals: who is calling.
//
// The server binds requestState (state.go) and state handles (carts.go) to
// the principal of the request, so that nothing one caller was given can
// be used by another (mrtr.mdx, "Server Requirements"; security best
// practices, "State Handle Hijacking": possession of a handle is not
// authentication).
//
//   - HTTP with Config.Tokens: the principal is the name the request's
//     "Authorization: Bearer TOKEN" maps to. A request without a bearer
//     token, or with a token not listed, gets 401 with WWW-Authenticate:
//     Bearer (RFC 6750; error="invalid_token" when a token was presented)
//     and a JSON-RPC error that keeps the request's id when it can be
//     read. The Host and Origin checks come first (a DNS-rebinding page
//     gets 403 whatever it sends); then the token is checked, on the
//     headers alone, before anything of the body is read or held: the 401
//     comes at once, its error without an id (the body that holds it is
//     never read), and the connection closes rather than read what is
//     left of the body.
//   - HTTP with Config.Issuer: a token not in Tokens is verified as a JWT
//     access token of the issuer (issuer.go); its principal is
//     iss + " " + sub. The challenges then name the Protected Resource
//     Metadata and the server's scopes (resource.go), and a malformed
//     Authorization header (two of them, two tokens, an empty token) is
//     400 invalid_request (RFC 6750 section 3.1); without Issuer it is an
//     invalid token (401), as it always was.
//   - HTTP without Tokens or Issuer: every request is the anonymous
//     principal "".
//   - stdio: Config.StdioPrincipal; a stdio server takes credentials from
//     its environment, not from messages (basic/authorization).
//
// Tokens are compared by their SHA-256 digests: the lookup's timing
// depends on the digest of the presented token, not on how many of its
// leading bytes match a real token.

// authenticator maps bearer tokens to principals: the static tokens of
// Config.Tokens first, then, with Config.Issuer, JWT access tokens of the
// issuer (issuer.go).
type authenticator struct {
	byDigest map[[sha256.Size]byte]string
	// jwt is nil without Config.Issuer.
	jwt *verifier
	// metadataURL is the Protected Resource Metadata URL named in
	// challenges (issuer mode).
	metadataURL string
}

func newAuthenticator(tokens map[string]string) (*authenticator, error) {
	a := &authenticator{byDigest: make(map[[sha256.Size]byte]string, len(tokens))}
	for tok, name := range tokens {
		if tok == "" || !isToken68(tok) {
			return nil, errors.New("impl: a bearer token in Config.Tokens is empty or not in the token68 syntax of RFC 6750")
		}
		if name == "" {
			return nil, errors.New("impl: a token in Config.Tokens maps to the empty principal name, which is the anonymous principal")
		}
		a.byDigest[sha256.Sum256([]byte(tok))] = name
	}
	return a, nil
}

// authFailure says why a request was not authenticated; "" is success.
type authFailure string

const (
	authOK      authFailure = ""
	authMissing authFailure = "missing"
	authInvalid authFailure = "invalid"
	// authMalformed is an Authorization header that is no single bearer
	// token: 400 invalid_request in issuer mode (RFC 6750 section 3.1),
	// an invalid token otherwise.
	authMalformed authFailure = "malformed"
	// authUnavailable is a token that cannot be checked now: the issuer's
	// keys cannot be fetched (503).
	authUnavailable authFailure = "unavailable"
)

// authenticate returns the grant of a request's Authorization header.
func (a *authenticator) authenticate(ctx context.Context, h http.Header) (grant, authFailure) {
	tok, why := bearerToken(h.Values("Authorization"))
	if why == authMalformed && a.jwt == nil {
		why = authInvalid
	}
	if why != authOK {
		return grant{}, why
	}
	if name, found := a.byDigest[sha256.Sum256([]byte(tok))]; found {
		return grant{principal: name}, authOK
	}
	if a.jwt == nil {
		return grant{}, authInvalid
	}
	g, err := a.jwt.verify(ctx, tok)
	switch {
	case err == nil:
		return g, authOK
	case errors.Is(err, errIssuerUnavailable):
		return grant{}, authUnavailable
	}
	return grant{}, authInvalid
}

// unauthorized answers a request that was not authenticated: 401 (400 for
// a malformed Authorization header in issuer mode, 503 when the issuer
// cannot be reached), the Bearer challenge, and a JSON-RPC error without
// id (the body, which holds the id, is not read for a caller without
// credentials).
func (a *authenticator) unauthorized(w http.ResponseWriter, why authFailure) {
	status := http.StatusUnauthorized
	msg := "Unauthorized: this server requires an Authorization: Bearer token"
	var params []string
	if a.jwt == nil {
		params = []string{"realm", "mcp"}
	} else {
		params = []string{"resource_metadata", a.metadataURL, "scope", strings.Join(scopesSupported, " ")}
	}
	switch why {
	case authInvalid:
		params = append(params, "error", "invalid_token", "error_description", "the bearer token is not valid")
		msg = "Unauthorized: the bearer token is not valid"
	case authMalformed:
		status = http.StatusBadRequest
		params = append(params, "error", "invalid_request", "error_description", "the Authorization header is not one bearer token")
		msg = "Bad Request: the Authorization header is not one bearer token"
	case authUnavailable:
		status = http.StatusServiceUnavailable
		msg = "Service Unavailable: the token cannot be checked now"
		w.Header()["Retry-After"] = []string{"30"}
	}
	a.refuseID(w, status, challenge(params...), wire.RequestID{}, msg)
}

// forbidden answers a request whose token lacks scopes it needs: 403 with
// error="insufficient_scope" naming them all.
func (a *authenticator) forbidden(w http.ResponseWriter, id wire.RequestID, need []string) {
	ch := challenge("error", "insufficient_scope", "scope", strings.Join(need, " "), "resource_metadata", a.metadataURL,
		"error_description", "this operation needs the scope "+strings.Join(need, " "))
	a.refuseID(w, http.StatusForbidden, ch, id, "Forbidden: the token lacks the scope "+strings.Join(need, " "))
}

func (a *authenticator) refuseID(w http.ResponseWriter, status int, ch string, id wire.RequestID, msg string) {
	hdr := w.Header()
	hdr["Www-Authenticate"] = []string{ch}
	if len(hdr["Access-Control-Allow-Origin"]) > 0 {
		hdr["Access-Control-Expose-Headers"] = []string{"WWW-Authenticate"}
	}
	writeJSON(w, status, encodeError(id, &rpcError{code: wire.CodeInvalidRequest, msg: msg, status: status}))
}

// isToken68 reports whether s is a token68 (RFC 7235): the syntax of a
// bearer token.
func isToken68(s string) bool {
	body := strings.TrimRight(s, "=")
	if body == "" {
		return false
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case strings.IndexByte("-._~+/", c) >= 0:
		default:
			return false
		}
	}
	return true
}
