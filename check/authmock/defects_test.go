package authmock_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mcpverify/mcpverify/check/authmock"
)

// verifiesWith reports whether tok's JWS signature verifies (RS256 or
// ES256) with one of the JWKS's keys.
func verifiesWith(set jose.JSONWebKeySet, tok string) bool {
	p, err := jose.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	if err != nil {
		return false
	}
	for _, k := range set.Keys {
		if _, err := p.Verify(k.Key); err == nil {
			return true
		}
	}
	return false
}

// TestDefects mints, for each defect and algorithm, the correct token and
// the defective one at the same instant and checks that they differ
// exactly as the defect says: the same header and claims but for the
// named members (jti, fresh in each token, aside), with the named
// values, and a signature that verifies against the JWKS unless the
// defect is in the signature.
func TestDefects(t *testing.T) {
	now := time.Unix(1_900_000_000, 0)
	const ttl = 5 * time.Minute
	s := newServer(t, authmock.Options{Now: func() time.Time { return now }, TTL: ttl})
	set := fetchJWKS(t, s)
	const res = "https://mcp.example.com:8443/api/mcp"
	n := func(v int64) json.Number { return json.Number(fmt.Sprint(v)) }
	at := now.Unix()
	type want struct {
		header, claims map[string]any // the members that differ; nil value: absent
		sigValid       bool
	}
	sib := "https://mcp.example.com:8443/api/other-mcp"
	other := "https://other.example:8443/api/mcp"
	wants := map[authmock.Defect]want{
		authmock.None:             {sigValid: true},
		authmock.AudSibling:       {claims: map[string]any{"aud": sib}, sigValid: true},
		authmock.AudOtherHost:     {claims: map[string]any{"aud": other}, sigValid: true},
		authmock.AudOtherPort:     {claims: map[string]any{"aud": "https://mcp.example.com:8444/api/mcp"}, sigValid: true},
		authmock.AudOtherScheme:   {claims: map[string]any{"aud": "http://mcp.example.com:8443/api/mcp"}, sigValid: true},
		authmock.AudPathPrefix:    {claims: map[string]any{"aud": "https://mcp.example.com:8443/api"}, sigValid: true},
		authmock.AudSuffix:        {claims: map[string]any{"aud": "https://mcp.example.com:8443/api/mcp-admin"}, sigValid: true},
		authmock.AudExtraSegment:  {claims: map[string]any{"aud": "https://mcp.example.com:8443/api/mcp/extra"}, sigValid: true},
		authmock.AudMissing:       {claims: map[string]any{"aud": nil}, sigValid: true},
		authmock.AudArrayWithout:  {claims: map[string]any{"aud": []any{sib, other}}, sigValid: true},
		authmock.AudArrayWith:     {claims: map[string]any{"aud": []any{res, sib}}, sigValid: true},
		authmock.AudCase:          {claims: map[string]any{"aud": "HTTPS://MCP.EXAMPLE.COM:8443/api/mcp"}, sigValid: true},
		authmock.IssOther:         {claims: map[string]any{"iss": authmock.OtherIssuer}, sigValid: true},
		authmock.IssTrailingSlash: {claims: map[string]any{"iss": s.Issuer() + "/"}, sigValid: true},
		authmock.Expired:          {claims: map[string]any{"exp": n(at - 600), "iat": n(at - 900), "nbf": n(at - 900)}, sigValid: true},
		authmock.NotYetValid:      {claims: map[string]any{"nbf": n(at + 3600), "exp": n(at + 3900)}, sigValid: true},
		authmock.IatFarFuture:     {claims: map[string]any{"iat": n(at + 10*365*24*3600)}, sigValid: true},
		authmock.AlgNone:          {header: map[string]any{"alg": "none"}},
		authmock.HS256PublicKey:   {header: map[string]any{"alg": "HS256"}},
		authmock.KidUnknown:       {header: map[string]any{"kid": authmock.UnknownKid}, sigValid: true},
		authmock.KeyNotInJWKS:     {header: map[string]any{"kid": authmock.ForeignKid}},
		authmock.SignatureAltered: {},
		authmock.TypNotATJWT:      {header: map[string]any{"typ": "JWT"}, sigValid: true},
		// Not applicable to a resource with a port and a path
		// (TestDefectsEquivalentForms).
		authmock.AudDefaultPort:   {},
		authmock.AudTrailingSlash: {},
	}
	if len(wants) != len(authmock.Defects()) {
		t.Fatalf("the test covers %d defects of %d", len(wants), len(authmock.Defects()))
	}
	for _, alg := range []authmock.Alg{authmock.RS256, authmock.ES256} {
		claims := authmock.Claims{Subject: authmock.Alice, Resource: res, Alg: alg}
		good, err := s.Mint(claims, authmock.None)
		if err != nil {
			t.Fatal(err)
		}
		g := decode(t, good)
		for _, d := range authmock.Defects() {
			t.Run(fmt.Sprintf("%s/%s", alg, d), func(t *testing.T) {
				w := wants[d]
				tok, err := s.Mint(claims, d)
				if d == authmock.AudDefaultPort || d == authmock.AudTrailingSlash {
					if !errors.Is(err, authmock.ErrNotApplicable) {
						t.Errorf("error %v, want ErrNotApplicable", err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				b := decode(t, tok)
				delete(g.claims, "jti")
				if _, ok := b.claims["jti"]; !ok {
					t.Error("no jti")
				}
				delete(b.claims, "jti")
				for _, part := range []struct {
					name           string
					good, bad, set map[string]any
				}{{"header", g.header, b.header, w.header}, {"claims", g.claims, b.claims, w.claims}} {
					got := diff(part.good, part.bad)
					if !equalKeys(got, part.set) {
						t.Errorf("%s members changed: %v, want %v", part.name, keys(got), keys(part.set))
					}
					for k, v := range part.set {
						if bv, ok := part.bad[k]; v == nil && ok || v != nil && !jsonEq(bv, v) {
							t.Errorf("%s %s = %v, want %v", part.name, k, bv, v)
						}
					}
				}
				if got := verifiesWith(set, tok); got != w.sigValid {
					t.Errorf("signature verifies with the JWKS: %v, want %v", got, w.sigValid)
				}
				checkSignature(t, s, set, d, b, tok)
			})
		}
	}
}

// checkSignature checks what the signature defects made of the signature.
func checkSignature(t *testing.T, s *authmock.Server, set jose.JSONWebKeySet, d authmock.Defect, b decoded, tok string) {
	t.Helper()
	kid, _ := b.header["kid"].(string)
	switch d {
	case authmock.AlgNone:
		if len(b.sig) != 0 || !strings.HasSuffix(tok, ".") {
			t.Errorf("alg none with a signature of %d bytes", len(b.sig))
		}
	case authmock.HS256PublicKey:
		ks := set.Key(kid)
		if len(ks) != 1 {
			t.Fatalf("kid %q not in the JWKS", kid)
		}
		der, err := x509.MarshalPKIXPublicKey(ks[0].Key)
		if err != nil {
			t.Fatal(err)
		}
		m := hmac.New(sha256.New, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
		m.Write([]byte(b.input))
		if !hmac.Equal(m.Sum(nil), b.sig) {
			t.Error("the HS256 signature is not keyed with the published public key's PEM")
		}
	case authmock.SignatureAltered:
		// Flipping the bit back restores a signature the JWKS verifies.
		sig := append([]byte(nil), b.sig...)
		sig[len(sig)/2] ^= 0x01
		if !verifiesWith(set, b.input+"."+b64(sig)) {
			t.Error("the altered signature is not one bit away from a valid one")
		}
	case authmock.KeyNotInJWKS:
		if len(set.Key(kid)) != 0 {
			t.Errorf("kid %q is in the JWKS", kid)
		}
		if alg := b.header["alg"]; alg != "RS256" && alg != "ES256" || len(b.sig) == 0 {
			t.Errorf("alg %v, signature of %d bytes: want a real signature", alg, len(b.sig))
		}
	}
}

func equalKeys(a map[string]bool, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range b {
		if !a[k] {
			return false
		}
	}
	return true
}

func keys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func TestDefectNames(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range authmock.Defects() {
		if d.String() == "" || seen[d.String()] || d.Description() == "" {
			t.Errorf("defect %d: name %q (seen %v), description %q", int(d), d, seen[d.String()], d.Description())
		}
		seen[d.String()] = true
		if got, ok := authmock.DefectByName(d.String()); !ok || got != d {
			t.Errorf("DefectByName(%q) = %v, %v", d, got, ok)
		}
	}
	if _, ok := authmock.DefectByName("no-such-defect"); ok {
		t.Error("an unknown defect name was found")
	}
}

// TestDefectsEquivalentForms: the explicit default port and the "/" of an
// empty path, for a resource without either.
func TestDefectsEquivalentForms(t *testing.T) {
	s := newServer(t, authmock.Options{})
	for _, tc := range []struct {
		res  string
		d    authmock.Defect
		want string
	}{
		{"https://mcp.example.com", authmock.AudDefaultPort, "https://mcp.example.com:443"},
		{"http://mcp.example.com/mcp", authmock.AudDefaultPort, "http://mcp.example.com:80/mcp"},
		{"https://mcp.example.com", authmock.AudTrailingSlash, "https://mcp.example.com/"},
	} {
		tok, err := s.Mint(authmock.Claims{Subject: authmock.Alice, Resource: tc.res}, tc.d)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.res, tc.d, err)
		}
		if got := decode(t, tok).claims["aud"]; got != tc.want {
			t.Errorf("%s %s: aud %v, want %s", tc.res, tc.d, got, tc.want)
		}
	}
}
