package authmock

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"time"
)

// Alg is a JWS signing algorithm of a correct token.
type Alg string

// The algorithms of the two published keys.
const (
	RS256 Alg = "RS256"
	ES256 Alg = "ES256"
)

// The principals the checker uses; Mint accepts any non-empty subject.
const (
	Alice = "alice"
	Bob   = "bob"
)

// DefaultScope is a token's scope when Claims.Scope is empty.
const DefaultScope = "mcp"

// TokenType is the JWT typ header of an access token (RFC 9068).
const TokenType = "at+jwt"

// OtherIssuer is the iss of the IssOther defect.
const OtherIssuer = "https://other-issuer.example"

// ErrNotApplicable is returned by Mint for a defect that the resource
// URI cannot carry (a path prefix of a URI without a path).
var ErrNotApplicable = errors.New("authmock: defect not applicable to this resource")

// Claims say what a correct token says: who it is for and where it is to
// be used.
type Claims struct {
	// Subject is the principal (sub), e.g. Alice; required.
	Subject string
	// Resource is the MCP server's canonical URI (RFC 8707), the aud of a
	// correct token; required, an absolute http or https URI without a
	// fragment.
	Resource string
	// Scope is the space-separated scope (default DefaultScope).
	Scope string
	// ClientID is client_id (default ClientID).
	ClientID string
	// Alg signs the token (default RS256).
	Alg Alg
}

// jwt is a token under construction: its header and claims, then how it
// is signed.
type jwt struct {
	header map[string]any
	claims map[string]any
	sign   signing
}

type signing int

const (
	signPublished  signing = iota // the published key of header.kid
	signNone                      // alg none: an empty signature
	signHMACPublic                // HS256 keyed with the published public key's PEM
	signForeign                   // a key of the same type, not published
	signAltered                   // the published key, then one signature bit flipped
)

// Mint signs an access token for c, correct when defect is None, else
// with exactly that defect applied after the correct header and claims.
func (s *Server) Mint(c Claims, defect Defect) (string, error) {
	if c.Subject == "" {
		return "", errors.New("authmock: a token needs a subject")
	}
	res, err := parseResource(c.Resource)
	if err != nil {
		return "", err
	}
	if c.Scope == "" {
		c.Scope = DefaultScope
	}
	if c.ClientID == "" {
		c.ClientID = ClientID
	}
	kid := ""
	switch c.Alg {
	case "", RS256:
		c.Alg, kid = RS256, KidRSA
	case ES256:
		kid = KidEC
	default:
		return "", fmt.Errorf("authmock: algorithm %q: want RS256 or ES256", c.Alg)
	}
	if int(defect) < 0 || int(defect) >= len(defects) {
		return "", fmt.Errorf("authmock: unknown defect %d", int(defect))
	}
	jti := make([]byte, 16)
	rand.Read(jti)
	now := s.now().Unix()
	t := &jwt{
		header: map[string]any{"alg": string(c.Alg), "typ": TokenType, "kid": kid},
		claims: map[string]any{
			"iss": s.issuer, "sub": c.Subject, "aud": c.Resource,
			"iat": now, "nbf": now, "exp": now + int64(s.ttl/time.Second),
			"scope": c.Scope, "client_id": c.ClientID, "jti": hex.EncodeToString(jti),
		},
	}
	if apply := defects[defect].apply; apply != nil {
		if err := apply(t, res, now, s.ttl); err != nil {
			return "", err
		}
	}
	return s.sign(t)
}

// SignJWT signs a token of any header and claims with the published key
// its header's kid names (KidRSA, RS256; KidEC, ES256), as the issuer
// would: for tests that draw claims themselves rather than a case of the
// matrix. The header's alg is set from the key.
func (s *Server) SignJWT(header, claims map[string]any) (string, error) {
	h := maps.Clone(header)
	switch h["kid"] {
	case KidRSA:
		h["alg"] = string(RS256)
	case KidEC:
		h["alg"] = string(ES256)
	default:
		return "", fmt.Errorf("authmock: kid %v: want %s or %s", h["kid"], KidRSA, KidEC)
	}
	return s.sign(&jwt{header: h, claims: claims})
}

func parseResource(r string) (*url.URL, error) {
	u, err := url.Parse(r)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" || u.User != nil {
		return nil, fmt.Errorf("authmock: resource %q: want an absolute http or https URI", r)
	}
	if u.Fragment != "" || u.RawFragment != "" || u.ForceQuery {
		return nil, fmt.Errorf("authmock: resource %q: want no fragment", r)
	}
	return u, nil
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func (s *Server) sign(t *jwt) (string, error) {
	hb, err := json.Marshal(t.header)
	if err != nil {
		return "", err
	}
	cb, err := json.Marshal(t.claims)
	if err != nil {
		return "", err
	}
	input := b64(hb) + "." + b64(cb)
	digest := sha256.Sum256([]byte(input))
	rsaKey, ecKey := s.keys.rsa, s.keys.ec
	var sig []byte
	switch t.sign {
	case signNone:
		return input + ".", nil
	case signHMACPublic:
		pub := crypto.PublicKey(&rsaKey.PublicKey)
		if t.header["kid"] == KidEC {
			pub = &ecKey.PublicKey
		}
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return "", err
		}
		m := hmac.New(sha256.New, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
		m.Write([]byte(input))
		return input + "." + b64(m.Sum(nil)), nil
	case signForeign:
		rsaKey, ecKey = s.keys.foreign, s.keys.foreignEC
	}
	switch t.header["alg"] {
	case string(RS256):
		sig, err = rsa.SignPKCS1v15(nil, rsaKey, crypto.SHA256, digest[:])
	case string(ES256):
		var r, ss []byte
		rr, sv, e := ecdsa.Sign(rand.Reader, ecKey, digest[:])
		if e == nil {
			r, ss = rr.FillBytes(make([]byte, 32)), sv.FillBytes(make([]byte, 32))
		}
		sig, err = append(r, ss...), e
	}
	if err != nil {
		return "", fmt.Errorf("authmock: signing: %w", err)
	}
	if t.sign == signAltered {
		sig[len(sig)/2] ^= 0x01
	}
	return input + "." + b64(sig), nil
}
