package impl

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// testResource is the canonical URI of the server in issuer-mode tests.
const testResource = "https://mcp.example.com/mcp"

// testIssuer is an authorization server on loopback: RFC 8414 metadata
// and a JWKS with an RSA and an EC key.
type testIssuer struct {
	t       testing.TB
	ts      *httptest.Server
	url     string
	rsa     *rsa.PrivateKey
	ec      *ecdsa.PrivateKey
	fetches atomic.Int64 // JWKS requests
	// jwks, when set, answers the key set requests instead.
	jwks http.HandlerFunc
	// metadata, when set, is the metadata document served.
	metadata map[string]any
}

var (
	issuerRSAKey = mustRSA()
	issuerECKey  = mustEC()
	strangerKey  = mustRSA() // a key the issuer never publishes
)

func mustRSA() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}

func mustEC() *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}

func newTestIssuer(t testing.TB, jwks http.HandlerFunc) *testIssuer {
	iss := &testIssuer{t: t, rsa: issuerRSAKey, ec: issuerECKey, jwks: jwks}
	mux := http.NewServeMux()
	iss.ts = httptest.NewServer(mux)
	t.Cleanup(iss.ts.Close)
	iss.url = iss.ts.URL + "/tenant"
	mux.HandleFunc("/.well-known/oauth-authorization-server/tenant", func(w http.ResponseWriter, r *http.Request) {
		if iss.metadata != nil {
			json.NewEncoder(w).Encode(iss.metadata)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"issuer": iss.url, "jwks_uri": iss.ts.URL + "/jwks", "token_endpoint": iss.ts.URL + "/token"})
	})
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/jwks", http.StatusFound)
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		iss.fetches.Add(1)
		if iss.jwks != nil {
			iss.jwks(w, r)
			return
		}
		set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
			{Key: &iss.rsa.PublicKey, KeyID: "rsa1", Algorithm: "RS256", Use: "sig"},
			{Key: &iss.ec.PublicKey, KeyID: "ec1", Algorithm: "ES256", Use: "sig"},
		}}
		json.NewEncoder(w).Encode(set)
	})
	return iss
}

// claims are the claims of a test token; mint fills in defaults.
type claims map[string]any

func (iss *testIssuer) claims(now time.Time) claims {
	return claims{
		"iss":   iss.url,
		"sub":   "alice",
		"aud":   testResource,
		"exp":   now.Add(5 * time.Minute).Unix(),
		"iat":   now.Unix(),
		"scope": ScopeTools + " " + ScopeTransfer,
	}
}

// mint signs c with alg (RS256 or ES256) under kid, typ at+jwt.
func (iss *testIssuer) mint(alg jose.SignatureAlgorithm, kid string, key any, c claims) string {
	return iss.mintAs(alg, kid, "at+jwt", key, c)
}

// mintTyped signs c with the issuer's RSA key under typ.
func (iss *testIssuer) mintTyped(alg jose.SignatureAlgorithm, typ string, c claims) string {
	return iss.mintAs(alg, "rsa1", typ, iss.rsa, c)
}

func (iss *testIssuer) mintAs(alg jose.SignatureAlgorithm, kid, typ string, key any, c claims) string {
	iss.t.Helper()
	opts := (&jose.SignerOptions{}).WithType(jose.ContentType(typ))
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, opts)
	if err != nil {
		iss.t.Fatal(err)
	}
	tok, err := jwt.Signed(sig).Claims(map[string]any(c)).Serialize()
	if err != nil {
		iss.t.Fatal(err)
	}
	return tok
}

func (iss *testIssuer) rs256(c claims) string { return iss.mint(jose.RS256, "rsa1", iss.rsa, c) }

// handMade builds a compact JWS with the given header, claims and a
// signature computed by sign over the signing input.
func handMade(header map[string]any, c claims, sign func(input []byte) []byte) string {
	enc := base64.RawURLEncoding
	h, _ := json.Marshal(header)
	p, _ := json.Marshal(c)
	input := enc.EncodeToString(h) + "." + enc.EncodeToString(p)
	return input + "." + enc.EncodeToString(sign([]byte(input)))
}

func hs256(key []byte) func([]byte) []byte {
	return func(in []byte) []byte {
		m := hmac.New(sha256.New, key)
		m.Write(in)
		return m.Sum(nil)
	}
}

// issuerHarness is a reference server in issuer mode with a settable
// clock.
func issuerHarness(t *testing.T, iss *testIssuer, clock *testClock, tweak func(*Config)) *harness {
	cfg := Config{Issuer: iss.url, Resource: testResource, Now: clock.Now}
	if tweak != nil {
		tweak(&cfg)
	}
	return newHarness(t, cfg)
}

// callWith calls test_simple_text with an Authorization header ("": none).
func callWith(h *harness, auth string) *resp {
	h.t.Helper()
	r := rpc{Method: "tools/call", Params: map[string]any{"name": "test_simple_text", "arguments": map[string]any{}}}
	if auth != "" {
		r.Headers = map[string]string{"Authorization": auth}
	}
	return h.do(r)
}

// parseChallenge reads a Bearer challenge into its parameters; ok is
// false when it is not one well-formed challenge.
func parseChallenge(s string) (map[string]string, bool) {
	scheme, rest, _ := strings.Cut(s, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return nil, false
	}
	params := map[string]string{}
	rest = strings.TrimSpace(rest)
	for rest != "" {
		name, after, found := strings.Cut(rest, "=")
		name = strings.TrimSpace(name)
		if !found || name == "" || !strings.HasPrefix(after, `"`) {
			return nil, false
		}
		var val strings.Builder
		i := 1
		for ; i < len(after) && after[i] != '"'; i++ {
			if after[i] == '\\' && i+1 < len(after) {
				i++
			}
			val.WriteByte(after[i])
		}
		if i >= len(after) {
			return nil, false
		}
		if _, dup := params[name]; dup {
			return nil, false
		}
		params[name] = val.String()
		rest = strings.TrimSpace(after[i+1:])
		if rest != "" {
			if rest[0] != ',' {
				return nil, false
			}
			rest = strings.TrimSpace(rest[1:])
		}
	}
	return params, true
}
