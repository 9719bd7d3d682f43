package faulty

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mcpverify/mcpverify/check/authmock"
	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Variants of the server as an OAuth resource server that get a token
// wrong: the reference in issuer mode (tokenConfig), trusting AuthMock,
// behind a middleware with one flaw.
//
// Most flaws are in the middleware's own JWT verifier (flawedVerifier),
// which checks what the reference checks but one thing. A token that the
// flawed verifier accepts and the correct one refuses (the token the flaw
// lets through) is served as its principal: the middleware replaces it
// with the static token (tokenConfig's Tokens) that names that principal,
// iss + " " + sub, as the reference would name it. Every other request
// goes to the reference unchanged, so correct tokens are served as their
// principal, with their own scopes, and every token the flaw does not
// concern gets the reference's answer.

// AuthIssuer is the issuer of AuthMock, which the token variants trust.
const AuthIssuer = authmock.DefaultInMemoryIssuer

// authResource is the canonical URI of the token variants: the in-process
// target's URL.
const authResource = "http://127.0.0.1:8080/mcp"

// AuthSetup is where an issuer-mode variant is served: the authorization
// server it trusts and the server's own canonical URI.
type AuthSetup struct {
	// Issuer is the issuer URL of the authorization server.
	Issuer string
	// Transport reaches the issuer (its metadata and keys).
	Transport http.RoundTripper
	// Resource is the server's canonical URI: its URL, the audience its
	// tokens must name.
	Resource string
}

// inMemoryAuth is the setup of the self-test: AuthMock, in memory, at
// the in-process target's URL.
func inMemoryAuth() AuthSetup {
	return AuthSetup{Issuer: AuthIssuer, Transport: authMockTransport{}, Resource: authResource}
}

var authMock struct {
	once sync.Once
	s    *authmock.Server
}

// AuthMock is the process's one in-memory mock authorization server
// (authmock.Options.InMemory), issuer AuthIssuer, which the token
// variants trust: mint the tokens to present to them with it. It is made
// on first use (generating its keys takes a moment), never at package
// initialisation. It panics if its keys cannot be generated.
func AuthMock() *authmock.Server {
	authMock.once.Do(func() {
		s, err := authmock.New(authmock.Options{InMemory: true, Issuer: AuthIssuer})
		if err != nil {
			panic("faulty: the mock authorization server: " + err.Error())
		}
		authMock.s = s
	})
	return authMock.s
}

// authMockTransport reaches AuthMock in memory, making it on first use.
type authMockTransport struct{}

func (authMockTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return AuthMock().Transport().RoundTrip(r)
}

// anonymousPrincipal is the principal of a request a variant serves
// without credentials (a static token cannot name the anonymous principal
// "").
const anonymousPrincipal = "anonymous"

// tokenPrincipals are the principals a flaw can let through: the
// subjects of the mock's tokens under the issuer, the issuer with a
// trailing slash and the other issuer of its defects, and the anonymous
// one. A token accepted for another principal goes to the reference
// unchanged.
func tokenPrincipals(issuer string) []string {
	ps := []string{anonymousPrincipal}
	for _, iss := range []string{issuer, issuer + "/", authmock.OtherIssuer} {
		for _, sub := range []string{authmock.Alice, authmock.Bob, authmock.ClientID} {
			ps = append(ps, iss+" "+sub)
		}
	}
	return ps
}

// staticToken is the static bearer token that names principal.
func staticToken(principal string) string {
	d := sha256.Sum256([]byte("faulty static token\x00" + principal))
	return "faulty-" + hex.EncodeToString(d[:])
}

// tokenConfig is the reference in issuer mode as a says (the self-test's:
// at the in-process target's URL, trusting AuthMock), with a static token
// for each principal of tokenPrincipals.
func tokenConfig(a AuthSetup) *impl.Config {
	cfg := authConfig()
	cfg.Issuer, cfg.Resource, cfg.IssuerTransport = a.Issuer, a.Resource, a.Transport
	cfg.Tokens = map[string]string{}
	for _, p := range tokenPrincipals(a.Issuer) {
		cfg.Tokens[staticToken(p)] = p
	}
	return cfg
}

// serveAs passes r on to next as principal, when a static token of the
// issuer's names it, and unchanged otherwise.
func (v *flawedVerifier) serveAs(next http.Handler, w http.ResponseWriter, r *http.Request, principal string) {
	if v.known[principal] {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+staticToken(principal))
	}
	next.ServeHTTP(w, r)
}

// flaw is what a flawedVerifier gets wrong; flawNone is the correct
// verifier.
type flaw int

const (
	flawNone      flaw = iota
	flawAudience       // aud is not checked
	flawAudPrefix      // aud is accepted when the resource is a string prefix of it
	flawIssuer         // iss is not checked
	flawExpiry         // exp and nbf are not checked
	flawAlgNone        // alg none is accepted with an empty signature
	flawHS256          // HS256 is accepted, keyed with the PEM of the public key
	flawTyp            // typ is not checked
	flawIat            // a far-future iat is not refused
	flawIssSlash       // iss is compared without a trailing slash
)

// Bounds of the flawed verifier, as the reference's.
const (
	maxTokenBytes = 8 << 10
	maxIssuerDoc  = 256 << 10
	clockSkew     = impl.DefaultClockSkew
)

// flawedVerifier checks JWT access tokens of its setup's issuer for its
// resource, as the reference does (RS256 or ES256, typ at+jwt, a key of
// the issuer's set, iss, aud, exp, nbf, iat, sub), but for one flaw. Its
// keys are fetched through the issuer's metadata and JWKS, once.
type flawedVerifier struct {
	auth AuthSetup
	// known are the principals of tokenPrincipals.
	known map[string]bool
	mu    sync.Mutex
	keys  []jose.JSONWebKey
}

func newVerifier(a AuthSetup) *flawedVerifier {
	v := &flawedVerifier{auth: a, known: map[string]bool{}}
	for _, p := range tokenPrincipals(a.Issuer) {
		v.known[p] = true
	}
	return v
}

// fetchKeys returns the issuer's keys, fetching them on first use.
func (v *flawedVerifier) fetchKeys(ctx context.Context) ([]jose.JSONWebKey, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.keys != nil {
		return v.keys, nil
	}
	c := &http.Client{Transport: v.auth.Transport, Timeout: 5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var md struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := getJSON(ctx, c, v.auth.Issuer+authmock.MetadataPath, &md); err != nil {
		return nil, err
	}
	var set jose.JSONWebKeySet
	if err := getJSON(ctx, c, md.JWKSURI, &set); err != nil {
		return nil, err
	}
	v.keys = set.Keys
	return v.keys, nil
}

func getJSON(ctx context.Context, c *http.Client, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: HTTP %d", u, res.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, maxIssuerDoc+1))
	if err != nil {
		return err
	}
	if len(b) > maxIssuerDoc {
		return fmt.Errorf("GET %s: longer than %d bytes", u, maxIssuerDoc)
	}
	return json.Unmarshal(b, v)
}

// tokenClaims are the claims the verifier reads.
type tokenClaims struct {
	Iss string          `json:"iss"`
	Sub string          `json:"sub"`
	Aud json.RawMessage `json:"aud"`
	Exp *float64        `json:"exp"`
	Nbf *float64        `json:"nbf"`
	Iat *float64        `json:"iat"`
}

// audiences reads aud, a string or an array of strings.
func (c tokenClaims) audiences() []string {
	var one string
	if json.Unmarshal(c.Aud, &one) == nil {
		return []string{one}
	}
	var many []string
	json.Unmarshal(c.Aud, &many)
	return many
}

var errToken = errors.New("invalid token")

// verify returns the principal of a token, iss + " " + sub, or an error
// when the verifier with flaw f refuses it.
func (v *flawedVerifier) verify(ctx context.Context, raw string, f flaw) (string, error) {
	if len(raw) > maxTokenBytes {
		return "", errToken
	}
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return "", errToken
	}
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	cb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err := errors.Join(err1, err2, err3); err != nil {
		return "", errToken
	}
	var h struct {
		Alg  string  `json:"alg"`
		Kid  string  `json:"kid"`
		Typ  *string `json:"typ"`
		Crit []any   `json:"crit"`
	}
	var c tokenClaims
	if json.Unmarshal(hb, &h) != nil || json.Unmarshal(cb, &c) != nil || h.Crit != nil {
		return "", errToken
	}
	if f != flawTyp {
		typ := ""
		if h.Typ != nil {
			typ = strings.ToLower(*h.Typ)
		}
		if typ != "at+jwt" && typ != "application/at+jwt" {
			return "", errToken
		}
	}
	input := []byte(parts[0] + "." + parts[1])
	switch {
	case h.Alg == "none" && f == flawAlgNone && len(sig) == 0:
		// The flaw: no signature to check.
	case h.Alg == "RS256", h.Alg == "ES256", h.Alg == "HS256" && f == flawHS256:
		keys, err := v.fetchKeys(ctx)
		if err != nil {
			return "", err
		}
		ok := false
		for _, k := range keys {
			if (h.Kid == "" || k.KeyID == h.Kid) && verifySignature(h.Alg, k.Key, input, sig) {
				ok = true
				break
			}
		}
		if !ok {
			return "", errToken
		}
	default:
		return "", errToken
	}
	if iss := v.auth.Issuer; f != flawIssuer && c.Iss != iss && !(f == flawIssSlash && c.Iss == iss+"/") {
		return "", errToken
	}
	now := time.Now()
	at := func(t float64) time.Time { return time.Unix(int64(t), 0) }
	if f != flawExpiry {
		if c.Exp == nil || now.Add(-clockSkew).After(at(*c.Exp)) {
			return "", errToken
		}
		if c.Nbf != nil && now.Add(clockSkew).Before(at(*c.Nbf)) {
			return "", errToken
		}
	}
	if f != flawIat && c.Iat != nil && now.Add(clockSkew).Before(at(*c.Iat)) {
		return "", errToken
	}
	if f != flawAudience && !audienceMatches(c.audiences(), v.auth.Resource, f == flawAudPrefix) {
		return "", errToken
	}
	if c.Sub == "" {
		return "", errToken
	}
	return c.Iss + " " + c.Sub, nil
}

// audienceMatches reports whether one of auds names resource (its
// scheme and host compared case-insensitively), or, with prefix, starts
// with it.
func audienceMatches(auds []string, resource string, prefix bool) bool {
	for _, a := range auds {
		if sameURI(a, resource) || (prefix && strings.HasPrefix(a, resource)) {
			return true
		}
	}
	return false
}

// sameURI compares two URIs, their scheme and authority
// case-insensitively (ASCII) and the rest exactly, as the reference does.
func sameURI(a, b string) bool { return foldOrigin(a) == foldOrigin(b) }

// foldOrigin lowercases the scheme and authority of "scheme://authority...".
func foldOrigin(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || scheme == "" || strings.ContainsAny(scheme, "/?#") {
		return s
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	return asciiLower(scheme) + "://" + asciiLower(rest[:end]) + rest[end:]
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}

// verifySignature checks sig over input with key under alg. HS256 is
// the flaw of auth-hs256-confusion: the key is the PEM of the public key.
func verifySignature(alg string, key any, input, sig []byte) bool {
	digest := sha256.Sum256(input)
	switch pub := key.(type) {
	case *rsa.PublicKey:
		switch alg {
		case "RS256":
			return pub.N.BitLen() >= 2048 && rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig) == nil
		case "HS256":
			return hmacPEM(pub, input, sig)
		}
	case *ecdsa.PublicKey:
		switch alg {
		case "ES256":
			if pub.Curve != elliptic.P256() || len(sig) != 64 {
				return false
			}
			r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
			return ecdsa.Verify(pub, digest[:], r, s)
		case "HS256":
			return hmacPEM(pub, input, sig)
		}
	}
	return false
}

// hmacPEM checks an HS256 signature keyed with the PEM of a public key:
// the algorithm confusion a verifier falls into when it hands "the key"
// to whatever algorithm the token names.
func hmacPEM(pub any, input, sig []byte) bool {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	m.Write(input)
	return hmac.Equal(m.Sum(nil), sig)
}

// soleBearer returns the token of a request with one Authorization
// header holding one Bearer token.
func soleBearer(h http.Header) (string, bool) {
	vals := h.Values("Authorization")
	if len(vals) != 1 {
		return "", false
	}
	scheme, tok, _ := strings.Cut(strings.TrimSpace(vals[0]), " ")
	tok = strings.TrimLeft(tok, " ")
	if !strings.EqualFold(scheme, "Bearer") || tok == "" || strings.ContainsAny(tok, " ,\t") {
		return "", false
	}
	return tok, true
}

// flawedTokens serves the tokens that the verifier with flaw f accepts
// and the correct verifier refuses as their principal; every other
// request goes to the reference unchanged.
func flawedTokens(f flaw) authWrap {
	return func(a AuthSetup) wrapFunc {
		return func(next http.Handler, _ *impl.Server) http.Handler {
			return flawedTokenHandler(next, newVerifier(a), f)
		}
	}
}

// flawedTokenHandler is the handler of flawedTokens.
func flawedTokenHandler(next http.Handler, v *flawedVerifier, f flaw) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := soleBearer(r.Header)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		p, err := v.verify(r.Context(), tok, f)
		if err != nil {
			next.ServeHTTP(w, r)
			return
		}
		if _, err := v.verify(r.Context(), tok, flawNone); err == nil {
			next.ServeHTTP(w, r) // a correct token: the reference serves it
			return
		}
		v.serveAs(next, w, r, p)
	})
}

// noTokenServed serves a request without an Authorization header as the
// anonymous principal; the reference judges every token.
func noTokenServed(a AuthSetup) wrapFunc {
	return func(next http.Handler, _ *impl.Server) http.Handler {
		v := newVerifier(a)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if len(r.Header.Values("Authorization")) == 0 {
				v.serveAs(next, w, r, anonymousPrincipal)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// restatus relays the reference's answer with status to where it is from
// and carries a challenge with errParam (error="..."), challenge and body
// kept.
func restatus(from, to int, errParam string) func(next http.Handler, _ *impl.Server) http.Handler {
	return func(next http.Handler, _ *impl.Server) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := recorded(next, r)
			status := rec.Code
			if status == from && strings.Contains(rec.Header().Get("WWW-Authenticate"), `error="`+errParam+`"`) {
				status = to
			}
			relay(w, rec, status)
		})
	}
}

// invalidTokenForbidden answers 403 where the reference answers 401 for
// an invalid token (error="invalid_token").
var invalidTokenForbidden = restatus(http.StatusUnauthorized, http.StatusForbidden, "invalid_token")

// insufficientScope401 answers 401 where the reference answers 403 for
// insufficient scope.
var insufficientScope401 = restatus(http.StatusForbidden, http.StatusUnauthorized, "insufficient_scope")

// anyScopeSuffices serves a token that the correct verifier accepts and
// that holds any scope the server knows as its principal, through a
// static token, which carries every scope: it checks that a token has
// some scope of the server's, not the ones the operation needs.
func anyScopeSuffices(a AuthSetup) wrapFunc {
	return func(next http.Handler, _ *impl.Server) http.Handler {
		v := newVerifier(a)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if tok, ok := soleBearer(r.Header); ok && holdsKnownScope(tok) {
				if p, err := v.verify(r.Context(), tok, flawNone); err == nil {
					v.serveAs(next, w, r, p)
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// holdsKnownScope reports whether a token's scope claim names a scope of
// the reference.
func holdsKnownScope(tok string) bool {
	var c struct {
		Scope string `json:"scope"`
	}
	if !payload(tok, &c) {
		return false
	}
	for _, s := range strings.Fields(c.Scope) {
		if s == impl.ScopeTools || s == impl.ScopeTransfer {
			return true
		}
	}
	return false
}

// payload decodes the claims of a compact JWS into v.
func payload(tok string, v any) bool {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	return err == nil && json.Unmarshal(b, v) == nil
}

// tokenFromQuery takes the token of a request without an Authorization
// header from its access_token query parameter.
func tokenFromQuery(next http.Handler, _ *impl.Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tok := r.URL.Query().Get("access_token"); tok != "" && len(r.Header.Values("Authorization")) == 0 {
			r = r.Clone(r.Context())
			r.Header.Set("Authorization", "Bearer "+tok)
		}
		next.ServeHTTP(w, r)
	})
}

// audienceCaseSensitive refuses, as the reference refuses an invalid
// token, a correct token whose aud differs from the server's URI only in
// the case of its scheme and host: it compares aud exactly.
func audienceCaseSensitive(a AuthSetup) wrapFunc {
	return func(next http.Handler, _ *impl.Server) http.Handler {
		v := newVerifier(a)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if tok, ok := soleBearer(r.Header); ok {
				if _, err := v.verify(r.Context(), tok, flawNone); err == nil && !exactAudience(tok, a.Resource) {
					r = r.Clone(r.Context())
					r.Header.Set("Authorization", "Bearer refused-by-exact-audience")
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// exactAudience reports whether a token's aud holds resource exactly.
func exactAudience(tok, resource string) bool {
	var c tokenClaims
	if !payload(tok, &c) {
		return false
	}
	for _, a := range c.audiences() {
		if a == resource {
			return true
		}
	}
	return false
}

// wrapFunc is a Variant's Wrap; authWrap makes the Wrap of a token
// variant for a setup.
type (
	wrapFunc = func(next http.Handler, srv *impl.Server) http.Handler
	authWrap = func(AuthSetup) wrapFunc
)

// fixedWrap is the authWrap of a flaw that does not depend on the setup.
func fixedWrap(w wrapFunc) authWrap { return func(AuthSetup) wrapFunc { return w } }

// Bounds of the upstream call of auth-token-passthrough.
const (
	upstreamTimeout  = 2 * time.Second
	upstreamMaxBytes = 4 << 10
)

// tokenPassedOn makes an upstream call for each tools/call the reference
// serves that names an http URL on a loopback host in a string argument
// (the first such argument by name): it GETs the URL with the caller's
// own Authorization header, before the answer is relayed.
func tokenPassedOn(next http.Handler, _ *impl.Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target := ""
		if msg, ok := message(r); ok && msg["method"] == "tools/call" {
			params, _ := msg["params"].(map[string]any)
			args, _ := params["arguments"].(map[string]any)
			target = loopbackURLArgument(args)
		}
		if target == "" {
			next.ServeHTTP(w, r)
			return
		}
		rec := recorded(next, r)
		if rec.Code == http.StatusOK {
			callUpstream(r.Context(), target, r.Header.Get("Authorization"))
		}
		relay(w, rec, rec.Code)
	})
}

// loopbackURLArgument returns the first string argument, by name, that is
// an http URL on a loopback host.
func loopbackURLArgument(args map[string]any) string {
	names := make([]string, 0, len(args))
	for k := range args {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		s, _ := args[k].(string)
		if u, err := url.Parse(s); err == nil && u.Scheme == "http" && wire.IsLoopbackHost(u.Hostname()) {
			return s
		}
	}
	return ""
}

// callUpstream GETs target with the Authorization header auth, reading
// at most upstreamMaxBytes of the answer.
func callUpstream(ctx context.Context, target, auth string) {
	tr := &http.Transport{DisableKeepAlives: true, Proxy: nil}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: upstreamTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := c.Do(req)
	if err != nil {
		return
	}
	io.Copy(io.Discard, io.LimitReader(res.Body, upstreamMaxBytes))
	res.Body.Close()
}

func init() {
	// Each variant's wrap is made for a setup (the issuer it trusts and
	// the URI it serves as): the self-test's, or faultyserve's.
	for _, v := range []*Variant{
		{Name: "auth-audience-unchecked", Defect: "a token's aud is not checked: a token for another server of the issuer is served", Breaks: []spec.ID{spec.AuthAudience},
			auth: flawedTokens(flawAudience)},
		{Name: "auth-audience-prefix", Defect: "a token is accepted when the server's URI is a string prefix of its aud (\"/mcp-admin\", \"/mcp/extra\")", Breaks: []spec.ID{spec.AuthAudience},
			auth: flawedTokens(flawAudPrefix)},
		{Name: "auth-issuer-unchecked", Defect: "a token's iss is not checked: a token of another issuer signed with a trusted key is served", Breaks: []spec.ID{spec.AuthNoOtherTokens, spec.AuthIssSlash},
			auth: flawedTokens(flawIssuer)},
		{Name: "auth-expiry-unchecked", Defect: "a token's exp and nbf are not checked: expired and not-yet-valid tokens are served", Breaks: []spec.ID{spec.AuthInvalid401},
			auth: flawedTokens(flawExpiry)},
		{Name: "auth-alg-none", Defect: "a token with alg none and an empty signature is served", Breaks: []spec.ID{spec.AuthInvalid401},
			auth: flawedTokens(flawAlgNone)},
		{Name: "auth-hs256-confusion", Defect: "an HS256 token is served when keyed with the PEM of the issuer's public key (algorithm confusion)", Breaks: []spec.ID{spec.AuthInvalid401},
			auth: flawedTokens(flawHS256)},
		{Name: "auth-no-token-accepted", Defect: "a request without an Authorization header is served (as an anonymous principal), while an invalid token gets 401", Breaks: []spec.ID{spec.AuthVerifyAll},
			auth: noTokenServed},
		{Name: "auth-403-invalid", Defect: "an invalid token gets 403 (with the challenge) instead of 401", Breaks: []spec.ID{spec.AuthErrorStatus},
			auth: fixedWrap(invalidTokenForbidden)},
		{Name: "auth-typ-unchecked", Defect: "a token's typ is not checked: a JWT of the issuer that is not typed at+jwt is served", Breaks: []spec.ID{spec.AuthTyp},
			auth: flawedTokens(flawTyp)},
		{Name: "auth-iat-unchecked", Defect: "a token issued (iat) ten years in the future is served", Breaks: []spec.ID{spec.AuthIatFuture},
			auth: flawedTokens(flawIat)},
		{Name: "auth-issuer-slash", Defect: "iss is compared without a trailing slash: a token whose iss is the issuer plus \"/\" is served", Breaks: []spec.ID{spec.AuthIssSlash},
			auth: flawedTokens(flawIssSlash)},
		{Name: "auth-scope-any", Defect: "a token holding any scope the server knows is served for every operation: a token lacking a scope the server challenges for (mcp:transfer) is served", Breaks: []spec.ID{spec.AuthScopeRefused},
			auth: anyScopeSuffices},
		{Name: "auth-scope-401", Defect: "insufficient scope gets 401 (with the insufficient_scope challenge) instead of 403", Breaks: []spec.ID{spec.AuthScope403},
			auth: fixedWrap(insufficientScope401)},
		{Name: "auth-token-in-query", Defect: "a token in the access_token query parameter is served when no Authorization header is sent", Breaks: []spec.ID{spec.AuthTokenQuery},
			auth: fixedWrap(tokenFromQuery)},
		{Name: "auth-audience-case-sensitive", Defect: "aud is compared exactly: the server's URI with its scheme and host in upper case is refused", Breaks: []spec.ID{spec.AuthAudienceCase},
			auth: audienceCaseSensitive},
		{Name: "auth-token-passthrough", Defect: "a tools/call naming a loopback http URL makes the server GET it with the caller's own token", Breaks: []spec.ID{spec.AuthNoPassthrough},
			auth: fixedWrap(tokenPassedOn)},
	} {
		v.Only, v.Config = []string{"auth/"}, tokenConfig(inMemoryAuth())
		v.Wrap = v.auth(inMemoryAuth())
		Register(v)
	}
}
