package impl

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/mcpverify/mcpverify/wire"
)

// Issuer mode: the server as an OAuth 2.1 resource server
// (basic/authorization; RFC 9728, RFC 8414, RFC 9068).
//
// With Config.Issuer, a bearer token that is not one of Config.Tokens is
// read as a JWT access token of that issuer. The server fetches the
// issuer's RFC 8414 metadata (the well-known path inserted between the
// host and the path of the issuer, RFC 8414 section 3), follows its
// jwks_uri and keeps the keys. A token naming a key id the server does not
// hold makes it fetch the key set again, at most once per
// DefaultJWKSRefetchInterval whatever tokens arrive: a caller sending
// tokens with made-up key ids cannot make the server hammer the issuer.
// Every fetch is bounded in time (DefaultIssuerFetchTimeout) and size
// (maxIssuerDocBytes) and follows no redirect; plain http is allowed only
// for an issuer on a loopback address. A token that cannot be checked
// because the issuer cannot be reached gets 503.
//
// A token is accepted when its JWS algorithm is RS256 or ES256 (never
// none, never an HMAC), its typ is at+jwt (RFC 9068 section 4), its
// signature verifies with a key of the issuer's set, iss is the issuer
// exactly, aud (a string or an array) names the canonical resource URI
// (audienceEqual), exp is present and not past and nbf not future, both
// with DefaultClockSkew, and sub is present. Its principal is
// iss + " " + sub. Its scope claim is checked per request (scopes.go).

// Defaults of issuer mode.
const (
	// DefaultIssuerFetchTimeout bounds one fetch of the issuer's metadata
	// or key set.
	DefaultIssuerFetchTimeout = 5 * time.Second
	// DefaultJWKSRefetchInterval is the least time between two fetches of
	// the key set caused by unknown key ids.
	DefaultJWKSRefetchInterval = 30 * time.Second
	// DefaultClockSkew is the leeway of exp and nbf.
	DefaultClockSkew = 60 * time.Second
	// maxIssuerDocBytes bounds the metadata document and the key set.
	maxIssuerDocBytes = 256 << 10
	// maxJWKSKeys bounds the keys kept from a key set.
	maxJWKSKeys = 64
	// maxTokenBytes bounds a bearer token: a longer one is refused before
	// it is parsed.
	maxTokenBytes = 8 << 10
)

// errIssuerUnavailable is a failure to fetch the issuer's documents: the
// token cannot be checked now (503), which is not the caller's fault.
var errIssuerUnavailable = errors.New("the authorization server's keys cannot be fetched")

// issuerKeys fetches and caches the key set of one issuer.
type issuerKeys struct {
	issuer   string
	client   *http.Client
	now      func() time.Time
	interval time.Duration

	// fetchMu serialises fetches; mu guards the fields below it and is
	// never held during a fetch, so tokens with known keys never wait.
	fetchMu sync.Mutex
	mu      sync.Mutex
	jwksURI string
	keys    []jose.JSONWebKey
	fetched time.Time // of the last fetch attempt; zero: never
}

// newIssuerKeys fetches through transport (nil: http.DefaultTransport).
func newIssuerKeys(issuer string, timeout time.Duration, transport http.RoundTripper, now func() time.Time) (*issuerKeys, error) {
	if err := fetchableURL(issuer, issuer); err != nil {
		return nil, fmt.Errorf("impl: Config.Issuer: %w", err)
	}
	u, _ := url.Parse(issuer)
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("impl: Config.Issuer: an issuer has no query or fragment (RFC 8414)")
	}
	return &issuerKeys{
		issuer:   issuer,
		now:      now,
		interval: DefaultJWKSRefetchInterval,
		client: &http.Client{
			Transport: transport,
			Timeout:   timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
	}, nil
}

// fetchableURL checks that raw is an absolute https URL, or an http URL on
// a loopback host when the issuer itself is one.
func fetchableURL(raw, issuer string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not an absolute URL", raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		iu, _ := url.Parse(issuer)
		if wire.IsLoopbackHost(u.Hostname()) && iu != nil && wire.IsLoopbackHost(iu.Hostname()) {
			return nil
		}
		return fmt.Errorf("%q: plain http is allowed only on loopback", raw)
	}
	return fmt.Errorf("%q is neither https nor http", raw)
}

// metadataURL is the RFC 8414 metadata URL of an issuer: the well-known
// path inserted between the host and the issuer's path, its trailing "/"
// removed.
func metadataURL(issuer string) string {
	u, _ := url.Parse(issuer)
	p := strings.TrimSuffix(u.EscapedPath(), "/")
	return u.Scheme + "://" + u.Host + "/.well-known/oauth-authorization-server" + p
}

// fetchJSON gets a JSON document of at most maxIssuerDocBytes.
func (k *issuerKeys) fetchJSON(ctx context.Context, target string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	res, err := k.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: HTTP %d", target, res.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, maxIssuerDocBytes+1))
	if err != nil {
		return err
	}
	if len(b) > maxIssuerDocBytes {
		return fmt.Errorf("GET %s: the document exceeds %d bytes", target, maxIssuerDocBytes)
	}
	return json.Unmarshal(b, v)
}

// refresh fetches the metadata (once) and the key set. k.fetchMu is held.
func (k *issuerKeys) refresh(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, k.client.Timeout)
	defer cancel()
	k.mu.Lock()
	jwksURI := k.jwksURI
	k.mu.Unlock()
	if jwksURI == "" {
		var md struct {
			Issuer  string `json:"issuer"`
			JWKSURI string `json:"jwks_uri"`
		}
		if err := k.fetchJSON(ctx, metadataURL(k.issuer), &md); err != nil {
			return err
		}
		if md.Issuer != k.issuer {
			return fmt.Errorf("the metadata names issuer %q, not %q (RFC 8414 section 3.3)", md.Issuer, k.issuer)
		}
		if err := fetchableURL(md.JWKSURI, k.issuer); err != nil {
			return fmt.Errorf("jwks_uri: %w", err)
		}
		jwksURI = md.JWKSURI
		k.mu.Lock()
		k.jwksURI = jwksURI
		k.mu.Unlock()
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := k.fetchJSON(ctx, jwksURI, &set); err != nil {
		return err
	}
	keys := []jose.JSONWebKey{}
	for _, raw := range set.Keys {
		var jwk jose.JSONWebKey
		if jwk.UnmarshalJSON(raw) != nil || !usableKey(jwk) {
			continue // a key of another kind, or unreadable: not ours to use
		}
		keys = append(keys, jwk.Public())
		if len(keys) == maxJWKSKeys {
			break
		}
	}
	k.mu.Lock()
	k.keys = keys
	k.mu.Unlock()
	return nil
}

// usableKey reports whether a key can verify RS256 or ES256: an RSA key of
// at least 2048 bits or a P-256 key, not a symmetric one, not meant for
// encryption only.
func usableKey(k jose.JSONWebKey) bool {
	if k.Use != "" && k.Use != "sig" {
		return false
	}
	switch pub := k.Public().Key.(type) {
	case *rsa.PublicKey:
		return pub.N.BitLen() >= 2048
	case *ecdsa.PublicKey:
		return pub.Curve == elliptic.P256()
	}
	return false
}

// find returns the keys that may have signed a token with key id kid (all
// keys for an empty kid), fetching the set when it is unknown and the last
// fetch is older than the refetch interval.
func (k *issuerKeys) find(ctx context.Context, kid string) ([]jose.JSONWebKey, error) {
	got, fetch, err := k.lookup(kid)
	if !fetch {
		return got, err
	}
	k.fetchMu.Lock()
	defer k.fetchMu.Unlock()
	// Another request may have fetched while this one waited.
	if got, fetch, err = k.lookup(kid); !fetch {
		return got, err
	}
	k.mu.Lock()
	k.fetched = k.now()
	k.mu.Unlock()
	if err := k.refresh(ctx); err != nil {
		return nil, fmt.Errorf("%w: %v", errIssuerUnavailable, err)
	}
	got, _, err = k.lookup(kid)
	return got, err
}

// lookup returns the cached keys for kid, or says a fetch is due.
func (k *issuerKeys) lookup(kid string) (keys []jose.JSONWebKey, fetch bool, err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if got := k.match(kid); len(got) > 0 {
		return got, false, nil
	}
	if k.fetched.IsZero() || k.now().Sub(k.fetched) >= k.interval {
		return nil, true, nil
	}
	if k.jwksURI == "" || k.keys == nil {
		return nil, false, errIssuerUnavailable
	}
	return nil, false, nil
}

func (k *issuerKeys) match(kid string) []jose.JSONWebKey {
	var out []jose.JSONWebKey
	for _, key := range k.keys {
		if kid == "" || key.KeyID == kid {
			out = append(out, key)
		}
	}
	return out
}

// tokenClaims are the claims read from an access token besides the
// registered ones.
type tokenClaims struct {
	Scope string `json:"scope"`
}

// verifier checks JWT access tokens for one issuer and resource.
type verifier struct {
	keys     *issuerKeys
	resource string
	now      func() time.Time
}

// grant is what an accepted token says: who, and with which scopes.
type grant struct {
	principal string
	// scopes are the granted scopes; nil for a static token, which
	// carries every scope.
	scopes map[string]bool
}

// errBadToken is a token that is not valid for this server (401
// invalid_token).
var errBadToken = errors.New("invalid token")

var allowedAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.ES256}

// verify checks a JWT access token. The error is errBadToken (wrapped) or
// errIssuerUnavailable (wrapped).
func (v *verifier) verify(ctx context.Context, raw string) (grant, error) {
	bad := func(why string) (grant, error) { return grant{}, fmt.Errorf("%w: %s", errBadToken, why) }
	if len(raw) > maxTokenBytes {
		return bad("too long")
	}
	tok, err := jwt.ParseSigned(raw, allowedAlgs)
	if err != nil || len(tok.Headers) != 1 {
		return bad("not a JWS signed with RS256 or ES256")
	}
	h := tok.Headers[0]
	// RFC 9068 section 4: the typ of an access token is at+jwt, so that an
	// ID token or another JWT of the same issuer cannot pass for one.
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); !strings.EqualFold(typ, "at+jwt") && !strings.EqualFold(typ, "application/at+jwt") {
		return bad("typ is not at+jwt")
	}
	keys, err := v.keys.find(ctx, h.KeyID)
	if err != nil {
		return grant{}, err
	}
	var std jwt.Claims
	var extra tokenClaims
	verified := false
	for _, key := range keys {
		if tok.Claims(key.Key, &std, &extra) == nil {
			verified = true
			break
		}
	}
	if !verified {
		return bad("no key of the issuer verifies the signature")
	}
	if std.Issuer != v.keys.issuer {
		return bad("iss is not the issuer")
	}
	if std.Expiry == nil {
		return bad("no exp")
	}
	if err := std.ValidateWithLeeway(jwt.Expected{Time: v.now()}, DefaultClockSkew); err != nil {
		return bad(err.Error())
	}
	if !containsAudience(std.Audience, v.resource) {
		return bad("aud does not name this resource")
	}
	if std.Subject == "" {
		return bad("no sub")
	}
	scopes := map[string]bool{}
	for _, s := range strings.Fields(extra.Scope) {
		scopes[s] = true
	}
	return grant{principal: std.Issuer + " " + std.Subject, scopes: scopes}, nil
}

func containsAudience(aud jwt.Audience, resource string) bool {
	for _, a := range aud {
		if audienceEqual(a, resource) {
			return true
		}
	}
	return false
}

// audienceEqual compares an audience with the resource URI: the scheme and
// host compare ASCII case-insensitively, everything else byte for byte (no
// default port, trailing slash or path prefix makes two URIs equal).
func audienceEqual(a, b string) bool {
	return canonicalAudience(a) == canonicalAudience(b)
}

// canonicalAudience lowercases the scheme and host of a URI
// ("scheme://[userinfo@]host[:port]..."); another string is kept as it is.
func canonicalAudience(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || scheme == "" || strings.ContainsAny(scheme, "/?#") {
		return s
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	auth := rest[:end]
	user := ""
	if i := strings.LastIndexByte(auth, '@'); i >= 0 {
		user, auth = auth[:i+1], auth[i+1:]
	}
	return asciiLower(scheme) + "://" + user + asciiLower(auth) + rest[end:]
}

// asciiLower lowercases the ASCII letters of s and nothing else: the case
// of a URI's scheme and host is that of ASCII letters (RFC 3986, section
// 6.2.2.1; an internationalised host is compared in its A-label form).
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}
