package impl

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

const wantMetadataURL = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"

// wantChallenge checks a 401 or 403 and its challenge's error code and
// scope ("" for none).
func wantChallenge(t *testing.T, name string, r *resp, status int, errCode, scope string) {
	t.Helper()
	if r.status != status {
		t.Errorf("%s: HTTP %d, want %d: %s", name, r.status, status, r.body)
		return
	}
	p, ok := parseChallenge(r.header.Get("WWW-Authenticate"))
	if !ok {
		t.Errorf("%s: WWW-Authenticate %q is no Bearer challenge", name, r.header.Get("WWW-Authenticate"))
		return
	}
	if p["error"] != errCode || p["scope"] != scope || p["resource_metadata"] != wantMetadataURL {
		t.Errorf("%s: challenge %q; want error %q, scope %q, resource_metadata %q", name, r.header.Get("WWW-Authenticate"), errCode, scope, wantMetadataURL)
	}
}

var allScopes = ScopeTools + " " + ScopeTransfer

func TestIssuerTokens(t *testing.T) {
	iss := newTestIssuer(t, nil)
	clock := newTestClock()
	h := issuerHarness(t, iss, clock, nil)
	now := clock.Now()
	with := func(over claims) claims { return overridden(iss.claims(now), over) }
	pubDER, _ := x509.MarshalPKIXPublicKey(&iss.rsa.PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})

	accepted := map[string]string{
		"RS256":                  iss.rs256(with(nil)),
		"ES256":                  iss.mint(jose.ES256, "ec1", iss.ec, with(nil)),
		"aud array":              iss.rs256(with(claims{"aud": []string{"https://other.example/mcp", testResource}})),
		"aud upper scheme, host": iss.rs256(with(claims{"aud": "HTTPS://MCP.Example.COM/mcp"})),
		"exp within skew":        iss.rs256(with(claims{"exp": now.Add(-30 * time.Second).Unix()})),
		"nbf within skew":        iss.rs256(with(claims{"nbf": now.Add(30 * time.Second).Unix()})),
		"no kid":                 iss.mint(jose.ES256, "", iss.ec, with(nil)),
		"typ application/at+jwt": iss.mintTyped(jose.RS256, "application/at+jwt", with(nil)),
		// A claim nested 2,000 deep (within the 8 KiB bound): decoded
		// without harm, and ignored.
		"deeply nested claim": iss.rs256(with(claims{"x": json.RawMessage(strings.Repeat("[", 2000) + strings.Repeat("]", 2000))})),
	}
	for name, tok := range accepted {
		if r := callWith(h, "Bearer "+tok); r.status != 200 || r.errCode() != 0 {
			t.Errorf("%s: HTTP %d %s", name, r.status, r.body)
		}
	}

	refused := map[string]string{
		"aud sibling path":      iss.rs256(with(claims{"aud": "https://mcp.example.com/other"})),
		"aud other host":        iss.rs256(with(claims{"aud": "https://mcp2.example.com/mcp"})),
		"aud other port":        iss.rs256(with(claims{"aud": "https://mcp.example.com:8443/mcp"})),
		"aud default port":      iss.rs256(with(claims{"aud": "https://mcp.example.com:443/mcp"})),
		"aud other scheme":      iss.rs256(with(claims{"aud": "http://mcp.example.com/mcp"})),
		"aud path prefix":       iss.rs256(with(claims{"aud": "https://mcp.example.com/"})),
		"aud origin":            iss.rs256(with(claims{"aud": "https://mcp.example.com"})),
		"aud path suffix":       iss.rs256(with(claims{"aud": "https://mcp.example.com/mcp/x"})),
		"aud trailing slash":    iss.rs256(with(claims{"aud": "https://mcp.example.com/mcp/"})),
		"aud path case":         iss.rs256(with(claims{"aud": "https://mcp.example.com/MCP"})),
		"aud missing":           iss.rs256(with(claims{"aud": nil})),
		"aud array without":     iss.rs256(with(claims{"aud": []string{"https://other.example/mcp", "mcp"}})),
		"iss other":             iss.rs256(with(claims{"iss": iss.url + "/x"})),
		"iss missing":           iss.rs256(with(claims{"iss": nil})),
		"sub missing":           iss.rs256(with(claims{"sub": nil})),
		"expired":               iss.rs256(with(claims{"exp": now.Add(-61 * time.Second).Unix()})),
		"exp missing":           iss.rs256(with(claims{"exp": nil})),
		"nbf future":            iss.rs256(with(claims{"nbf": now.Add(2 * time.Minute).Unix()})),
		"unknown kid":           iss.mint(jose.RS256, "rsa-unknown", iss.rsa, with(nil)),
		"key not in JWKS":       iss.mint(jose.RS256, "rsa1", strangerKey, with(nil)),
		"stranger key, own kid": iss.mint(jose.RS256, "stranger", strangerKey, with(nil)),
		"RS384":                 iss.mint(jose.RS384, "rsa1", iss.rsa, with(nil)),
		"alg none":              handMade(map[string]any{"alg": "none", "kid": "rsa1"}, with(nil), func([]byte) []byte { return nil }),
		"HS256, public key DER": handMade(map[string]any{"alg": "HS256", "kid": "rsa1"}, with(nil), hs256(pubDER)),
		"HS256, public key PEM": handMade(map[string]any{"alg": "HS256", "kid": "rsa1"}, with(nil), hs256(pubPEM)),
		"typ other":             iss.mintTyped(jose.RS256, "id+jwt", with(nil)),
		"typ JWT":               iss.mintTyped(jose.RS256, "JWT", with(nil)),
		"no kid, stranger key":  iss.mint(jose.RS256, "", strangerKey, with(nil)),
		"oversized":             iss.rs256(with(claims{"pad": strings.Repeat("x", maxTokenBytes)})),
		"not a JWT":             "abc.def.ghi",
	}
	good := iss.rs256(with(nil))
	refused["altered signature"] = good[:len(good)-4] + flip(good[len(good)-4:])
	refused["altered claims"] = strings.Replace(good, ".", ".e30", 1)
	for name, tok := range refused {
		wantChallenge(t, name, callWith(h, "Bearer "+tok), http.StatusUnauthorized, "invalid_token", allScopes)
	}

	// RFC 6750: no credentials is a challenge without an error code; a
	// malformed header is 400 invalid_request.
	wantChallenge(t, "no header", callWith(h, ""), http.StatusUnauthorized, "", allScopes)
	wantChallenge(t, "Basic", callWith(h, "Basic YWxpY2U6cHc="), http.StatusUnauthorized, "", allScopes)
	wantChallenge(t, "empty bearer", callWith(h, "Bearer "), http.StatusBadRequest, "invalid_request", allScopes)
	wantChallenge(t, "two tokens", callWith(h, "Bearer "+good+" "+good), http.StatusBadRequest, "invalid_request", allScopes)
	wantChallenge(t, "not token68", callWith(h, "Bearer a,b"), http.StatusBadRequest, "invalid_request", allScopes)
	if st := twoAuthorizations(t, h, "Bearer "+good, "Bearer "+good); st != http.StatusBadRequest {
		t.Errorf("two Authorization headers: HTTP %d", st)
	}
}

func flip(s string) string {
	b := []byte(s)
	if b[0] == 'A' {
		b[0] = 'B'
	} else {
		b[0] = 'A'
	}
	return string(b)
}

func TestIssuerScopes(t *testing.T) {
	iss := newTestIssuer(t, nil)
	clock := newTestClock()
	h := issuerHarness(t, iss, clock, func(c *Config) { c.Tokens = testTokens })
	tok := func(scope string) string {
		c := iss.claims(clock.Now())
		c["scope"] = scope
		return iss.rs256(c)
	}
	// A token without scopes may list tools but not call one.
	none := tok("")
	if r := h.do(rpc{Method: "tools/list", Headers: map[string]string{"Authorization": "Bearer " + none}}); r.status != 200 {
		t.Errorf("tools/list without scopes: HTTP %d %s", r.status, r.body)
	}
	wantChallenge(t, "call without scopes", callWith(h, "Bearer "+none), http.StatusForbidden, "insufficient_scope", ScopeTools)
	// transfer needs both scopes, named in one challenge.
	for _, scope := range []string{"", ScopeTools, ScopeTransfer} {
		r := callAs(h, tok(scope), "transfer", transferArgs, nil)
		wantChallenge(t, "transfer with "+scope, r, http.StatusForbidden, "insufficient_scope", allScopes)
		if r.status == http.StatusForbidden && r.msg["id"] != 1.0 {
			t.Errorf("403 body %s: want the request's id", r.body)
		}
	}
	if r := callAs(h, tok(allScopes+" other"), "transfer", transferArgs, nil); r.status != 200 || r.result()["resultType"] != "input_required" {
		t.Errorf("transfer with both scopes: HTTP %d %s", r.status, r.body)
	}
	// Static tokens are checked first and carry every scope.
	if r := callAs(h, tokAlice, "transfer", transferArgs, nil); r.status != 200 {
		t.Errorf("static token: HTTP %d %s", r.status, r.body)
	}
}

// TestIssuerPrincipal: the principal of a token is iss + " " + sub, and a
// requestState minted for one subject is refused for another.
func TestIssuerPrincipal(t *testing.T) {
	iss := newTestIssuer(t, nil)
	clock := newTestClock()
	h := issuerHarness(t, iss, clock, nil)
	alice := iss.rs256(iss.claims(clock.Now()))
	c := iss.claims(clock.Now())
	c["sub"] = "bob"
	bob := iss.rs256(c)
	g, why := h.s.auth.authenticate(context.Background(), http.Header{"Authorization": {"Bearer " + alice}})
	if why != authOK || g.principal != iss.url+" alice" {
		t.Fatalf("principal %q (%s)", g.principal, why)
	}
	st := startTransfer(t, h, alice, transferArgs)
	if r := retryTransfer(h, bob, st, transferArgs, confirmed(true)); completedTransfer(r) {
		t.Errorf("bob completed alice's transfer: %s", r.body)
	}
	if r := retryTransfer(h, alice, st, transferArgs, confirmed(true)); !completedTransfer(r) {
		t.Errorf("alice's retry: %s", r.body)
	}
}

func TestProtectedResourceMetadata(t *testing.T) {
	iss := newTestIssuer(t, nil)
	h := issuerHarness(t, iss, newTestClock(), nil)
	base := strings.TrimSuffix(h.url, Endpoint)
	for path, resource := range map[string]string{
		"/.well-known/oauth-protected-resource/mcp": testResource,
		"/.well-known/oauth-protected-resource":     "https://mcp.example.com",
	} {
		res, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		err = json.NewDecoder(res.Body).Decode(&doc)
		res.Body.Close()
		if err != nil || res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("%s: HTTP %d %v", path, res.StatusCode, err)
		}
		want := fmt.Sprint(map[string]any{
			"resource":                 resource,
			"authorization_servers":    []any{iss.url},
			"scopes_supported":         []any{ScopeTools, ScopeTransfer},
			"bearer_methods_supported": []any{"header"},
			"resource_name":            "mcpverify reference server",
		})
		if got := fmt.Sprint(doc); got != want {
			t.Errorf("%s:\n got %s\nwant %s", path, got, want)
		}
	}
	if res, err := http.Post(base+"/.well-known/oauth-protected-resource", "application/json", nil); err != nil || res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST metadata: %v %v", res.StatusCode, err)
	}
	if res, err := http.Get(base + "/.well-known/oauth-protected-resource/other"); err != nil || res.StatusCode != http.StatusNotFound {
		t.Errorf("metadata of another path: %v %v", res.StatusCode, err)
	}
	// Without Issuer, no metadata.
	plain := newHarness(t, Config{Tokens: testTokens})
	if res, err := http.Get(strings.TrimSuffix(plain.url, Endpoint) + "/.well-known/oauth-protected-resource"); err != nil || res.StatusCode != http.StatusNotFound {
		t.Errorf("metadata without Issuer: %v %v", res.StatusCode, err)
	}
}

// firstFetch starts an issuer-mode server on a test clock and serves one
// valid token (claims c, valid for an hour), which fetches the key set
// once.
func firstFetch(t *testing.T) (*testIssuer, *testClock, *harness, claims) {
	iss := newTestIssuer(t, nil)
	clock := newTestClock()
	h := issuerHarness(t, iss, clock, nil)
	c := iss.claims(clock.Now())
	c["exp"] = clock.Now().Add(time.Hour).Unix()
	if r := callWith(h, "Bearer "+iss.rs256(c)); r.status != 200 {
		t.Fatalf("valid token: HTTP %d %s", r.status, r.body)
	}
	if n := iss.fetches.Load(); n != 1 {
		t.Fatalf("%d fetches for the first token", n)
	}
	return iss, clock, h, c
}

// TestJWKSRefetchBound: tokens with made-up key ids cause at most one key
// set fetch per DefaultJWKSRefetchInterval.
func TestJWKSRefetchBound(t *testing.T) {
	iss, clock, h, c := firstFetch(t)
	v := h.s.auth
	hdr := func(kid string) http.Header {
		return http.Header{"Authorization": {"Bearer " + iss.mint(jose.ES256, kid, iss.ec, c)}}
	}
	for round := 0; round < 4; round++ {
		for i := 0; i < 1000; i++ {
			if _, why := v.authenticate(context.Background(), hdr(fmt.Sprintf("kid-%x", rand.Uint64()))); why != authInvalid {
				t.Fatalf("random kid: %s", why)
			}
			if i%100 == 99 {
				clock.Advance(2 * time.Second) // 20 s a round
			}
		}
		// Rounds of 20 s: at most one fetch per 30 s since the first.
		elapsed := time.Duration(round+1) * 20 * time.Second
		if n, most := iss.fetches.Load(), 1+int64(elapsed/DefaultJWKSRefetchInterval); n > most {
			t.Fatalf("after %v: %d fetches, want at most %d", elapsed, n, most)
		}
	}
	// Known keys are still served.
	if _, why := v.authenticate(context.Background(), hdr("ec1")); why != authOK {
		t.Errorf("known kid after the storm: %s", why)
	}
	// Concurrent callers, just past the interval: one fetch among them.
	clock.Advance(DefaultJWKSRefetchInterval)
	before := iss.fetches.Load()
	toks := make([]http.Header, 400)
	for i := range toks {
		toks[i] = hdr(fmt.Sprintf("kid-%x", rand.Uint64()))
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Go(func() {
			for i := g; i < len(toks); i += 8 {
				v.authenticate(context.Background(), toks[i])
			}
		})
	}
	wg.Wait()
	if n := iss.fetches.Load() - before; n != 1 {
		t.Errorf("concurrent unknown kids: %d fetches, want 1", n)
	}
}

// TestIssuerUnreachable: a key set that never answers, or is huge, makes
// a request fail within bounds (503), never hang.
func TestIssuerUnreachable(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	for name, jwks := range map[string]http.HandlerFunc{
		"never answers": func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		},
		"huge": func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"keys":[` + strings.Repeat(`{"kty":"oct","k":"AAAA"},`, 1<<16) + `]}`))
		},
		"500": func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", 500) },
	} {
		iss := newTestIssuer(t, jwks)
		clock := newTestClock()
		h := issuerHarness(t, iss, clock, func(c *Config) { c.IssuerFetchTimeout = 200 * time.Millisecond })
		start := time.Now()
		r := callWith(h, "Bearer "+iss.rs256(iss.claims(clock.Now())))
		if r.status != http.StatusServiceUnavailable || time.Since(start) > 3*time.Second {
			t.Errorf("%s: HTTP %d after %v: %s", name, r.status, time.Since(start), r.body)
		}
	}
	// An issuer that is not there at all.
	h := newHarness(t, Config{Issuer: "http://127.0.0.1:1/", Resource: testResource, IssuerFetchTimeout: time.Second})
	if r := callWith(h, "Bearer a.b.c"); r.status != http.StatusUnauthorized {
		t.Errorf("unparsable token with no issuer: HTTP %d", r.status)
	}
	iss := newTestIssuer(t, nil)
	tok := iss.rs256(iss.claims(time.Now()))
	if r := callWith(h, "Bearer "+tok); r.status != http.StatusServiceUnavailable {
		t.Errorf("no issuer: HTTP %d %s", r.status, r.body)
	}
}

// TestIssuerMetadataChecked: metadata naming another issuer, or a jwks_uri
// in plain http off loopback, is not followed (503).
func TestIssuerMetadataChecked(t *testing.T) {
	for name, md := range map[string]func(iss *testIssuer) map[string]any{
		"other issuer": func(iss *testIssuer) map[string]any {
			return map[string]any{"issuer": iss.url + "/x", "jwks_uri": iss.ts.URL + "/jwks"}
		},
		"remote http": func(iss *testIssuer) map[string]any {
			return map[string]any{"issuer": iss.url, "jwks_uri": "http://as.example.com/jwks"}
		},
		"no jwks_uri": func(iss *testIssuer) map[string]any { return map[string]any{"issuer": iss.url} },
		"redirected jwks": func(iss *testIssuer) map[string]any {
			return map[string]any{"issuer": iss.url, "jwks_uri": iss.ts.URL + "/moved"}
		},
	} {
		iss := newTestIssuer(t, nil)
		iss.metadata = md(iss)
		clock := newTestClock()
		h := issuerHarness(t, iss, clock, nil)
		if r := callWith(h, "Bearer "+iss.rs256(iss.claims(clock.Now()))); r.status != http.StatusServiceUnavailable || iss.fetches.Load() != 0 {
			t.Errorf("%s: HTTP %d, %d key set fetches: %s", name, r.status, iss.fetches.Load(), r.body)
		}
	}
}

func TestIssuerConfig(t *testing.T) {
	for name, cfg := range map[string]Config{
		"plain http, remote issuer": {Issuer: "http://as.example.com", Resource: testResource},
		"no resource":               {Issuer: "https://as.example.com"},
		"relative resource":         {Issuer: "https://as.example.com", Resource: "/mcp"},
		"resource with fragment":    {Issuer: "https://as.example.com", Resource: testResource + "#x"},
		"resource without issuer":   {Resource: testResource},
		"issuer with query":         {Issuer: "https://as.example.com?x=1", Resource: testResource},
		"ftp issuer":                {Issuer: "ftp://as.example.com", Resource: testResource},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: New accepted %+v", name, cfg)
		}
	}
	// Issuer mode tells principals apart: the per-principal shares apply.
	s, err := New(Config{Issuer: "https://as.example.com", Resource: testResource})
	if err != nil {
		t.Fatal(err)
	}
	if s.listens.share >= s.listens.total || s.bodies.share >= s.bodies.total {
		t.Errorf("issuer mode: shares %d/%d, %d/%d", s.listens.share, s.listens.total, s.bodies.share, s.bodies.total)
	}
	for _, c := range []struct{ issuer, want string }{
		{"https://as.example.com", "https://as.example.com/.well-known/oauth-authorization-server"},
		{"https://as.example.com/", "https://as.example.com/.well-known/oauth-authorization-server"},
		{"https://as.example.com/tenant/1", "https://as.example.com/.well-known/oauth-authorization-server/tenant/1"},
		{"http://[::1]:8080/t", "http://[::1]:8080/.well-known/oauth-authorization-server/t"},
	} {
		if got := metadataURL(c.issuer); got != c.want {
			t.Errorf("metadataURL(%q) = %q, want %q", c.issuer, got, c.want)
		}
	}
}

// TestIssuerKeySetRules: only a key meant for signatures verifies a token
// (one marked "use":"enc" never does; one that names no use does), and the
// key set document is read up to its bound exactly: a set of
// maxIssuerDocBytes bytes is used, one byte more and the token cannot be
// checked (503).
func TestIssuerKeySetRules(t *testing.T) {
	set := func(use string, size int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			b, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &issuerRSAKey.PublicKey, KeyID: "rsa1", Algorithm: "RS256", Use: use}}})
			if err != nil {
				t.Error(err)
			}
			if size > 0 {
				b = append(b, bytes.Repeat([]byte(" "), size-len(b))...)
			}
			w.Write(b)
		}
	}
	for _, c := range []struct {
		name string
		jwks http.HandlerFunc
		want int
	}{
		{"use sig", set("sig", 0), http.StatusOK},
		{"no use", set("", 0), http.StatusOK},
		{"use enc", set("enc", 0), http.StatusUnauthorized},
		{"a set of the largest size", set("sig", maxIssuerDocBytes), http.StatusOK},
		{"a set one byte too large", set("sig", maxIssuerDocBytes+1), http.StatusServiceUnavailable},
	} {
		iss := newTestIssuer(t, c.jwks)
		clock := newTestClock()
		h := issuerHarness(t, iss, clock, nil)
		if r := callWith(h, "Bearer "+iss.rs256(iss.claims(clock.Now()))); r.status != c.want {
			t.Errorf("%s: HTTP %d, want %d: %s", c.name, r.status, c.want, r.body)
		}
	}
}

// TestJWKSRefetchAtInterval: an unknown key id makes the server fetch the
// key set again once DefaultJWKSRefetchInterval has passed since the last
// fetch, and not a moment before (a rotated key is picked up as soon as
// the bound allows).
func TestJWKSRefetchAtInterval(t *testing.T) {
	iss, clock, h, c := firstFetch(t)
	unknown := http.Header{"Authorization": {"Bearer " + iss.mint(jose.ES256, "rotated", iss.ec, c)}}
	clock.Advance(DefaultJWKSRefetchInterval - time.Millisecond)
	h.s.auth.authenticate(context.Background(), unknown)
	if n := iss.fetches.Load(); n != 1 {
		t.Fatalf("unknown kid before the interval: %d fetches, want 1", n)
	}
	clock.Advance(time.Millisecond)
	h.s.auth.authenticate(context.Background(), unknown)
	if n := iss.fetches.Load(); n != 2 {
		t.Fatalf("unknown kid at the interval: %d fetches, want 2", n)
	}
}

// TestTokenSizeBound: a valid token of exactly maxTokenBytes is accepted,
// a valid token just longer is refused before it is parsed.
func TestTokenSizeBound(t *testing.T) {
	iss := newTestIssuer(t, nil)
	clock := newTestClock()
	h := issuerHarness(t, iss, clock, nil)
	sized := map[int]string{} // token length → a token of that length
	for _, typ := range []string{"at+jwt", "application/at+jwt"} {
		for pad := 5640; pad < 5720 && (sized[maxTokenBytes] == "" || sized[maxTokenBytes+1] == "" && sized[maxTokenBytes+2] == ""); pad++ {
			c := iss.claims(clock.Now())
			c["pad"] = strings.Repeat("p", pad)
			tok := iss.mintAs(jose.RS256, "rsa1", typ, iss.rsa, c)
			sized[len(tok)] = tok
		}
	}
	over := sized[maxTokenBytes+1]
	if over == "" {
		over = sized[maxTokenBytes+2]
	}
	if sized[maxTokenBytes] == "" || over == "" {
		t.Fatalf("no token of %d bytes and one just longer among %d lengths", maxTokenBytes, len(sized))
	}
	if r := callWith(h, "Bearer "+sized[maxTokenBytes]); r.status != http.StatusOK {
		t.Errorf("token of %d bytes: HTTP %d %s", maxTokenBytes, r.status, r.body)
	}
	if r := callWith(h, "Bearer "+over); r.status != http.StatusUnauthorized {
		t.Errorf("token of %d bytes: HTTP %d %s", len(over), r.status, r.body)
	}
}
