package authmock

import (
	"net"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
)

// Defect is one way a token differs from the correct one; None is the
// correct token. Each defect changes the correct token in one respect
// (one claim, one header, or the signature), as its description says.
type Defect int

// The defects, in the order of Defects.
const (
	None Defect = iota
	AudSibling
	AudOtherHost
	AudOtherPort
	AudOtherScheme
	AudPathPrefix
	AudSuffix
	AudExtraSegment
	AudMissing
	AudArrayWithout
	AudArrayWith
	AudCase
	IssOther
	IssTrailingSlash
	Expired
	NotYetValid
	IatFarFuture
	AlgNone
	HS256PublicKey
	KidUnknown
	KeyNotInJWKS
	SignatureAltered
	TypNotATJWT
	AudDefaultPort
	AudTrailingSlash
)

// Defect parameters.
const (
	// UnknownKid is the kid of the KidUnknown defect.
	UnknownKid = "mock-unknown"
	// ForeignKid is the kid of the KeyNotInJWKS defect.
	ForeignKid = "mock-foreign"
	// expiredBy is how long ago an Expired token expired: past any
	// reasonable clock-skew leeway.
	expiredBy = 10 * time.Minute
	// notBeforeIn is how far ahead a NotYetValid token becomes valid.
	notBeforeIn = time.Hour
	// iatAhead is how far ahead an IatFarFuture token says it was issued.
	iatAhead = 10 * 365 * 24 * time.Hour
)

type defectInfo struct {
	name, desc string
	apply      func(t *jwt, res *url.URL, now int64, ttl time.Duration) error
}

// setAud returns an apply function setting aud to what f derives from
// the resource.
func setAud(f func(res url.URL) (any, error)) func(*jwt, *url.URL, int64, time.Duration) error {
	return func(t *jwt, res *url.URL, _ int64, _ time.Duration) error {
		aud, err := f(*res)
		if err != nil {
			return err
		}
		t.claims["aud"] = aud
		return nil
	}
}

var defects = []defectInfo{
	None: {name: "none", desc: "the correct token: aud is the resource, iss the issuer, valid now, signed with a published key"},
	AudSibling: {name: "aud-sibling", desc: "aud is a sibling server of the same issuer: same origin, the resource's last path segment renamed",
		apply: setAud(func(u url.URL) (any, error) { return sibling(u), nil })},
	AudOtherHost: {name: "aud-other-host", desc: "aud is the resource on another host (same scheme, port and path)",
		apply: setAud(func(u url.URL) (any, error) { return otherHost(u), nil })},
	AudOtherPort: {name: "aud-other-port", desc: "aud is the resource on another port of the same host",
		apply: setAud(func(u url.URL) (any, error) { return otherPort(u), nil })},
	AudOtherScheme: {name: "aud-other-scheme", desc: "aud is the resource under the other scheme (http for https, https for http), host and port as written",
		apply: setAud(func(u url.URL) (any, error) { return otherScheme(u), nil })},
	AudPathPrefix: {name: "aud-path-prefix", desc: "aud is a proper prefix of the resource: its path without the last segment",
		apply: setAud(func(u url.URL) (any, error) {
			p := strings.TrimSuffix(u.Path, "/")
			if p == "" {
				return nil, ErrNotApplicable
			}
			u.Path, u.RawPath = p[:strings.LastIndex(p, "/")], ""
			return u.String(), nil
		})},
	AudSuffix: {name: "aud-suffix", desc: "aud is the resource with characters appended to its last path segment (\"/mcp\" becomes \"/mcp-admin\")",
		apply: setAud(func(u url.URL) (any, error) {
			u.Path, u.RawPath = strings.TrimSuffix(u.Path, "/")+"-admin", ""
			return u.String(), nil
		})},
	AudExtraSegment: {name: "aud-extra-segment", desc: "aud is the resource with one more path segment (\"/mcp\" becomes \"/mcp/extra\")",
		apply: setAud(func(u url.URL) (any, error) {
			u.Path, u.RawPath = strings.TrimSuffix(u.Path, "/")+"/extra", ""
			return u.String(), nil
		})},
	AudMissing: {name: "aud-missing", desc: "the token has no aud claim",
		apply: func(t *jwt, _ *url.URL, _ int64, _ time.Duration) error { delete(t.claims, "aud"); return nil }},
	AudArrayWithout: {name: "aud-array-without-resource", desc: "aud is an array of two other servers (the sibling and another host), not the resource",
		apply: setAud(func(u url.URL) (any, error) { return []string{sibling(u), otherHost(u)}, nil })},
	AudArrayWith: {name: "aud-array-with-resource", desc: "aud is an array holding the resource and a sibling server: valid by RFC 7519, a token usable at two servers (report only)",
		apply: setAud(func(u url.URL) (any, error) { return []string{u.String(), sibling(u)}, nil })},
	AudCase: {name: "aud-uppercase-scheme-host", desc: "aud is the resource with its scheme and host in upper case: the same URI, which servers SHOULD accept",
		apply: func(t *jwt, res *url.URL, _ int64, _ time.Duration) error {
			s := res.String()
			i := strings.Index(s, "://") + 3
			j := i + len(res.Host)
			t.claims["aud"] = strings.ToUpper(s[:j]) + s[j:]
			return nil
		}},
	IssOther: {name: "iss-other", desc: "iss is another issuer (" + OtherIssuer + "), though the token is signed with a published key",
		apply: func(t *jwt, _ *url.URL, _ int64, _ time.Duration) error { t.claims["iss"] = OtherIssuer; return nil }},
	IssTrailingSlash: {name: "iss-trailing-slash", desc: "iss is the issuer with a trailing slash: not the metadata's issuer by simple string comparison",
		apply: func(t *jwt, _ *url.URL, _ int64, _ time.Duration) error {
			t.claims["iss"] = t.claims["iss"].(string) + "/"
			return nil
		}},
	Expired: {name: "expired", desc: "exp is 10 minutes in the past (iat and nbf one lifetime before it)",
		apply: func(t *jwt, _ *url.URL, now int64, ttl time.Duration) error {
			exp := now - int64(expiredBy/time.Second)
			t.claims["exp"], t.claims["iat"], t.claims["nbf"] = exp, exp-int64(ttl/time.Second), exp-int64(ttl/time.Second)
			return nil
		}},
	NotYetValid: {name: "not-yet-valid", desc: "nbf is an hour in the future (exp one lifetime after it)",
		apply: func(t *jwt, _ *url.URL, now int64, ttl time.Duration) error {
			nbf := now + int64(notBeforeIn/time.Second)
			t.claims["nbf"], t.claims["exp"] = nbf, nbf+int64(ttl/time.Second)
			return nil
		}},
	IatFarFuture: {name: "iat-far-future", desc: "iat is ten years in the future; nbf and exp are correct",
		apply: func(t *jwt, _ *url.URL, now int64, _ time.Duration) error {
			t.claims["iat"] = now + int64(iatAhead/time.Second)
			return nil
		}},
	AlgNone: {name: "alg-none", desc: "alg is none and the signature empty",
		apply: func(t *jwt, _ *url.URL, _ int64, _ time.Duration) error {
			t.header["alg"], t.sign = "none", signNone
			return nil
		}},
	HS256PublicKey: {name: "hs256-public-key", desc: "alg is HS256, keyed with the PEM of the published public key named by kid (the algorithm confusion attack)",
		apply: func(t *jwt, _ *url.URL, _ int64, _ time.Duration) error {
			t.header["alg"], t.sign = "HS256", signHMACPublic
			return nil
		}},
	KidUnknown: {name: "kid-unknown", desc: "kid names no key of the JWKS; the token is signed with a published key",
		apply: func(t *jwt, _ *url.URL, _ int64, _ time.Duration) error { t.header["kid"] = UnknownKid; return nil }},
	KeyNotInJWKS: {name: "key-not-in-jwks", desc: "the token is signed with a key that is not published, under its own kid",
		apply: func(t *jwt, _ *url.URL, _ int64, _ time.Duration) error {
			t.header["kid"], t.sign = ForeignKid, signForeign
			return nil
		}},
	SignatureAltered: {name: "signature-altered", desc: "one bit of the signature is flipped",
		apply: func(t *jwt, _ *url.URL, _ int64, _ time.Duration) error { t.sign = signAltered; return nil }},
	AudDefaultPort: {name: "aud-default-port", desc: "aud is the resource with its scheme's default port written out (\":443\", \":80\"): the same URI by RFC 3986 section 6.2.3, not by simple string comparison (report only; a resource with a port has no such form)",
		apply: setAud(func(u url.URL) (any, error) {
			if u.Port() != "" {
				return nil, ErrNotApplicable
			}
			port := "80"
			if u.Scheme == "https" {
				port = "443"
			}
			u.Host = net.JoinHostPort(u.Hostname(), port)
			return u.String(), nil
		})},
	AudTrailingSlash: {name: "aud-trailing-slash", desc: "aud is the resource with \"/\" as its empty path: the same URI by RFC 3986 section 6.2.3 (report only; a resource with a path has no such form)",
		apply: setAud(func(u url.URL) (any, error) {
			if u.Path != "" {
				return nil, ErrNotApplicable
			}
			u.Path = "/"
			return u.String(), nil
		})},
	TypNotATJWT: {name: "typ-not-at+jwt", desc: "typ is JWT, not at+jwt (RFC 9068 asks resource servers to check it; the MCP spec does not)",
		apply: func(t *jwt, _ *url.URL, _ int64, _ time.Duration) error { t.header["typ"] = "JWT"; return nil }},
}

// Defects lists every defect, None first.
func Defects() []Defect {
	ds := make([]Defect, len(defects))
	for i := range ds {
		ds[i] = Defect(i)
	}
	return ds
}

// String is the defect's name, e.g. "aud-sibling".
func (d Defect) String() string {
	if d < 0 || int(d) >= len(defects) {
		return "defect(" + strconv.Itoa(int(d)) + ")"
	}
	return defects[d].name
}

// Description says how the token differs from the correct one.
func (d Defect) Description() string {
	if d < 0 || int(d) >= len(defects) {
		return ""
	}
	return defects[d].desc
}

// DefectByName returns the defect named name; "" is None.
func DefectByName(name string) (Defect, bool) {
	if name == "" {
		return None, true
	}
	for i, d := range defects {
		if d.name == name {
			return Defect(i), true
		}
	}
	return None, false
}

func sibling(u url.URL) string {
	p := strings.TrimSuffix(u.Path, "/")
	dir, base := path.Split(p)
	if base == "" {
		base = "mcp"
	}
	if dir == "" {
		dir = "/"
	}
	u.Path, u.RawPath = dir+"other-"+base, ""
	return u.String()
}

func otherHost(u url.URL) string {
	h := "other.example"
	if strings.EqualFold(u.Hostname(), h) {
		h = "another.example"
	}
	if p := u.Port(); p != "" {
		h = net.JoinHostPort(h, p)
	}
	u.Host = h
	return u.String()
}

func otherPort(u url.URL) string {
	p, err := strconv.Atoi(u.Port())
	switch {
	case err != nil && u.Scheme == "https":
		p = 8443
	case err != nil:
		p = 8080
	case p == 65535:
		p = 65534
	default:
		p++
	}
	u.Host = net.JoinHostPort(u.Hostname(), strconv.Itoa(p))
	return u.String()
}

func otherScheme(u url.URL) string {
	if u.Scheme == "https" {
		u.Scheme = "http"
	} else {
		u.Scheme = "https"
	}
	return u.String()
}
