package impl

import (
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
//   - HTTP without Tokens: every request is the anonymous principal "".
//   - stdio: Config.StdioPrincipal; a stdio server takes credentials from
//     its environment, not from messages (basic/authorization).
//
// Tokens are compared by their SHA-256 digests: the lookup's timing
// depends on the digest of the presented token, not on how many of its
// leading bytes match a real token.

// authenticator maps bearer tokens to principals.
type authenticator struct {
	byDigest map[[sha256.Size]byte]string
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
)

// authenticate returns the principal of a request's Authorization header.
func (a *authenticator) authenticate(h http.Header) (string, authFailure) {
	vals := h.Values("Authorization")
	if len(vals) == 0 {
		return "", authMissing
	}
	if len(vals) > 1 {
		return "", authInvalid
	}
	scheme, tok, _ := strings.Cut(strings.TrimSpace(vals[0]), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		// Another scheme is no bearer credential: a challenge without an
		// error code (RFC 6750, section 3.1).
		return "", authMissing
	}
	tok = strings.TrimLeft(tok, " ")
	name, found := a.byDigest[sha256.Sum256([]byte(tok))]
	if !found {
		return "", authInvalid
	}
	return name, authOK
}

// unauthorized answers a request that was not authenticated: 401, the
// Bearer challenge, and a JSON-RPC error without id (the body, which holds
// the id, is not read for a caller without credentials).
func unauthorized(w http.ResponseWriter, why authFailure) {
	challenge := `Bearer realm="mcp"`
	msg := "Unauthorized: this server requires an Authorization: Bearer token"
	if why == authInvalid {
		challenge += `, error="invalid_token", error_description="the bearer token is not valid"`
		msg = "Unauthorized: the bearer token is not valid"
	}
	hdr := w.Header()
	hdr["Www-Authenticate"] = []string{challenge}
	if len(hdr["Access-Control-Allow-Origin"]) > 0 {
		hdr["Access-Control-Expose-Headers"] = []string{"WWW-Authenticate"}
	}
	writeJSON(w, http.StatusUnauthorized, encodeError(wire.RequestID{}, &rpcError{code: wire.CodeInvalidRequest, msg: msg, status: http.StatusUnauthorized}))
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
