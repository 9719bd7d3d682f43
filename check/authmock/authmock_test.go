package authmock_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"

	"github.com/mcpverify/mcpverify/check/authmock"
)

func newServer(t *testing.T, opts authmock.Options) *authmock.Server {
	t.Helper()
	s, err := authmock.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func get(t testing.TB, u string) (*http.Response, []byte) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func fetchJWKS(t testing.TB, s *authmock.Server) jose.JSONWebKeySet {
	t.Helper()
	resp, b := get(t, s.Metadata().JWKSURI)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/jwk-set+json" {
		t.Fatalf("JWKS: %s %q", resp.Status, resp.Header.Get("Content-Type"))
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(b, &set); err != nil {
		t.Fatalf("JWKS: %v", err)
	}
	return set
}

func TestMetadata(t *testing.T) {
	s := newServer(t, authmock.Options{})
	if !strings.HasPrefix(s.Issuer(), "http://127.0.0.1:") {
		t.Fatalf("issuer %q", s.Issuer())
	}
	resp, b := get(t, s.Issuer()+authmock.MetadataPath)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("metadata: %s %q", resp.Status, resp.Header.Get("Content-Type"))
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"issuer":                                s.Issuer(),
		"authorization_endpoint":                s.Issuer() + authmock.AuthorizePath,
		"code_challenge_methods_supported":      []any{"S256"},
		"jwks_uri":                              s.Issuer() + authmock.JWKSPath,
		"token_endpoint":                        s.Issuer() + authmock.TokenPath,
		"response_types_supported":              []any{"code"},
		"grant_types_supported":                 []any{"client_credentials"},
		"token_endpoint_auth_methods_supported": []any{"none"},
		"scopes_supported":                      []any{authmock.DefaultScope},
	}
	got, _ := json.Marshal(m)
	wantb, _ := json.Marshal(want)
	if string(got) != string(wantb) {
		t.Fatalf("metadata\n got %s\nwant %s", got, wantb)
	}
	if resp, _ := get(t, s.Issuer()+authmock.AuthorizePath+"?response_type=code&client_id=x"); resp.StatusCode != 400 {
		t.Errorf("authorize: %s", resp.Status)
	}
	// RFC 8414: the issuer has no query or fragment.
	if u, err := url.Parse(s.Issuer()); err != nil || u.RawQuery != "" || u.Fragment != "" || u.Path != "" {
		t.Fatalf("issuer %q", s.Issuer())
	}
}

func TestJWKS(t *testing.T) {
	s := newServer(t, authmock.Options{})
	set := fetchJWKS(t, s)
	if len(set.Keys) != 2 {
		t.Fatalf("JWKS has %d keys, want 2", len(set.Keys))
	}
	want := map[string]string{authmock.KidRSA: "RS256", authmock.KidEC: "ES256"}
	for _, k := range set.Keys {
		if !k.IsPublic() || !k.Valid() {
			t.Errorf("key %q: public %v valid %v", k.KeyID, k.IsPublic(), k.Valid())
		}
		if want[k.KeyID] != k.Algorithm || k.Use != "sig" {
			t.Errorf("key %q: alg %q use %q", k.KeyID, k.Algorithm, k.Use)
		}
		delete(want, k.KeyID)
	}
	if len(want) > 0 {
		t.Errorf("JWKS lacks %v", want)
	}
	// No private member in the published document.
	_, b := get(t, s.Metadata().JWKSURI)
	var raw struct{ Keys []map[string]any }
	json.Unmarshal(b, &raw)
	for _, k := range raw.Keys {
		for _, p := range []string{"d", "p", "q", "dp", "dq", "qi"} {
			if _, ok := k[p]; ok {
				t.Errorf("key %v publishes private member %q", k["kid"], p)
			}
		}
	}
}

// verified checks tok's signature against the JWKS and returns its
// claims.
func verified(t *testing.T, set jose.JSONWebKeySet, tok string) map[string]any {
	t.Helper()
	p, err := josejwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	h := p.Headers[0]
	if h.ExtraHeaders[jose.HeaderType] != authmock.TokenType {
		t.Errorf("typ %v", h.ExtraHeaders[jose.HeaderType])
	}
	keys := set.Key(h.KeyID)
	if len(keys) != 1 || keys[0].Algorithm != h.Algorithm {
		t.Fatalf("kid %q alg %q: not one JWKS key of that algorithm", h.KeyID, h.Algorithm)
	}
	var c map[string]any
	if err := p.Claims(keys[0].Key, &c); err != nil {
		t.Fatalf("verify: %v", err)
	}
	return c
}

func TestCorrectTokensVerify(t *testing.T) {
	now := time.Unix(1_900_000_000, 0)
	s := newServer(t, authmock.Options{Now: func() time.Time { return now }, TTL: 5 * time.Minute})
	set := fetchJWKS(t, s)
	const res = "https://mcp.example.com/mcp"
	jtis := map[any]bool{}
	for _, alg := range []authmock.Alg{authmock.RS256, authmock.ES256} {
		for _, sub := range []string{authmock.Alice, authmock.Bob} {
			tok, err := s.Mint(authmock.Claims{Subject: sub, Resource: res, Alg: alg}, authmock.None)
			if err != nil {
				t.Fatal(err)
			}
			c := verified(t, set, tok)
			var std josejwt.Claims
			p, _ := josejwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
			p.UnsafeClaimsWithoutVerification(&std)
			if err := std.ValidateWithLeeway(josejwt.Expected{Issuer: s.Issuer(), Subject: sub, AnyAudience: josejwt.Audience{res}, Time: now}, 0); err != nil {
				t.Errorf("%s %s: %v", alg, sub, err)
			}
			want := map[string]any{"iss": s.Issuer(), "sub": sub, "aud": res, "iat": float64(now.Unix()), "nbf": float64(now.Unix()),
				"exp": float64(now.Unix() + 300), "scope": authmock.DefaultScope, "client_id": authmock.ClientID}
			for k, v := range want {
				if c[k] != v {
					t.Errorf("%s %s: %s = %v, want %v", alg, sub, k, c[k], v)
				}
			}
			if jti, _ := c["jti"].(string); len(jti) < 32 || jtis[jti] {
				t.Errorf("%s %s: jti %q not fresh", alg, sub, jti)
			}
			jtis[c["jti"]] = true
			if len(c) != len(want)+1 {
				t.Errorf("%s %s: claims %v", alg, sub, c)
			}
		}
	}
}

func TestMintRefuses(t *testing.T) {
	s := newServer(t, authmock.Options{})
	for _, c := range []authmock.Claims{
		{Resource: "https://h/mcp"},
		{Subject: "alice"},
		{Subject: "alice", Resource: "/mcp"},
		{Subject: "alice", Resource: "ftp://h/mcp"},
		{Subject: "alice", Resource: "https://h/mcp#frag"},
		{Subject: "alice", Resource: "https://h/mcp", Alg: "HS256"},
	} {
		if _, err := s.Mint(c, authmock.None); err == nil {
			t.Errorf("Mint(%+v) succeeded", c)
		}
	}
	if _, err := s.Mint(authmock.Claims{Subject: "alice", Resource: "https://h/mcp"}, authmock.Defect(999)); err == nil {
		t.Error("Mint with an unknown defect succeeded")
	}
	if _, err := s.Mint(authmock.Claims{Subject: "alice", Resource: "https://h/"}, authmock.AudPathPrefix); err == nil {
		t.Error("a path prefix of a URI without a path was minted")
	}
}

// decoded is a token's parts, unverified.
type decoded struct {
	header, claims map[string]any
	input          string
	sig            []byte
}

func decode(t *testing.T, tok string) decoded {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	var d decoded
	for i, dst := range []*map[string]any{&d.header, &d.claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.UseNumber()
		if err := dec.Decode(dst); err != nil {
			t.Fatal(err)
		}
	}
	sig, err := base64.RawURLEncoding.Strict().DecodeString(parts[2])
	if err != nil {
		t.Fatal(err)
	}
	d.input, d.sig = parts[0]+"."+parts[1], sig
	return d
}

// diff lists the keys whose values differ between a and b.
func diff(a, b map[string]any) map[string]bool {
	out := map[string]bool{}
	for k, v := range a {
		if w, ok := b[k]; !ok || !jsonEq(v, w) {
			out[k] = true
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out[k] = true
		}
	}
	return out
}

func jsonEq(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func TestMintConcurrent(t *testing.T) {
	s := newServer(t, authmock.Options{})
	set := fetchJWKS(t, s)
	toks := make(chan string, 16)
	for i := range 16 {
		go func() {
			tok, err := s.Mint(authmock.Claims{Subject: authmock.Alice, Resource: "https://h/mcp", Alg: []authmock.Alg{authmock.RS256, authmock.ES256}[i%2]}, authmock.None)
			if err != nil {
				t.Error(err)
			}
			toks <- tok
		}()
	}
	for range 16 {
		if tok := <-toks; tok != "" {
			verified(t, set, tok)
		}
	}
}
