package selftest_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/mcpverify/mcpverify/check/authmock"
	"github.com/mcpverify/mcpverify/check/internal/faulty"
	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/wire"
)

// authResource is the canonical URI of the token variants.
const authResource = "http://127.0.0.1:8080/mcp"

// mcpPost is a conformant 2026-07-28 request for method at the in-process
// target's URL, without credentials.
func mcpPost(t *testing.T, method string, params map[string]any) *http.Request {
	t.Helper()
	p := map[string]any{"_meta": map[string]any{
		wire.MetaProtocolVersion:    wire.Version,
		wire.MetaClientInfo:         map[string]any{"name": "selftest", "version": "1"},
		wire.MetaClientCapabilities: map[string]any{},
	}}
	for k, v := range params {
		p[k] = v
	}
	b, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": p})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, authResource, bytes.NewReader(b))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Accept", "application/json, text/event-stream")
	r.Header.Set("MCP-Protocol-Version", wire.Version)
	r.Header.Set("Mcp-Method", method)
	if name, ok := params["name"].(string); ok {
		r.Header.Set("Mcp-Name", wire.EncodeHeaderValue(name))
	}
	return r
}

// caseStatuses sends each case of the matrix to h as a tools/list and
// returns the HTTP status of each, by case name.
func caseStatuses(t *testing.T, h http.Handler, cases []authmock.Case) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, c := range cases {
		r := mcpPost(t, "tools/list", nil)
		if err := c.Apply(r); err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		out[c.Name] = rec.Code
		if rec.Code == http.StatusOK && !strings.Contains(rec.Body.String(), `"tools"`) {
			t.Errorf("%s: 200 without a tools list: %s", c.Name, rec.Body)
		}
	}
	return out
}

// served lists the cases answered 200, sorted.
func served(st map[string]int) []string {
	var out []string
	for name, code := range st {
		if code == http.StatusOK {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// tokenVariants are the token variants and the cases each answers
// otherwise than the reference, with the status it gives them; nil
// statuses: those of the reference's invalid-token refusals, as 403.
var tokenVariants = map[string]map[string]int{
	"auth-audience-unchecked": {"aud-sibling": 200, "aud-other-host": 200, "aud-other-port": 200, "aud-other-scheme": 200, "aud-path-prefix": 200,
		"aud-suffix": 200, "aud-extra-segment": 200, "aud-missing": 200, "aud-array-without-resource": 200},
	"auth-audience-prefix":   {"aud-suffix": 200, "aud-extra-segment": 200},
	"auth-issuer-unchecked":  {"iss-other": 200, "iss-trailing-slash": 200},
	"auth-expiry-unchecked":  {"expired": 200, "not-yet-valid": 200},
	"auth-alg-none":          {"alg-none": 200},
	"auth-hs256-confusion":   {"hs256-public-key": 200},
	"auth-no-token-accepted": {"no-token": 200, "token-in-query": 200},
	"auth-403-invalid":       nil,
	"auth-token-passthrough": {},
	"auth-typ-unchecked":     {"typ-not-at+jwt": 200},
	"auth-iat-unchecked":     {"iat-far-future": 200},
	"auth-issuer-slash":      {"iss-trailing-slash": 200},
	"auth-token-in-query":    {"token-in-query": 200},
	// tools/list needs no scope: the scope variants answer it as the
	// reference does (the check calls tools).
	"auth-scope-any":               {},
	"auth-scope-401":               {},
	"auth-audience-case-sensitive": {"aud-uppercase-scheme-host": 401},
}

// TestAuthTokenReference: the reference in issuer mode, trusting the
// in-memory mock, serves exactly the correct tokens, the audience that
// differs in the case of its scheme and host, and the report-only cases
// it accepts; it refuses every other case with the status the matrix
// expects.
func TestAuthTokenReference(t *testing.T) {
	v, err := faulty.Lookup("auth-alg-none")
	if err != nil {
		t.Fatal(err)
	}
	cases := faulty.AuthMock().Cases(authResource)
	synctest.Test(t, func(t *testing.T) {
		srv, err := impl.New(*v.Config)
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		st := caseStatuses(t, srv.Handler(), cases)
		want := []string{"aud-array-with-resource", "aud-uppercase-scheme-host", "bearer-lowercase", "correct-alice-es256", "correct-alice-rs256", "correct-bob-rs256"}
		if got := served(st); !slices.Equal(got, want) {
			t.Errorf("the reference serves %q, want %q", got, want)
		}
		for _, c := range cases {
			switch c.Expect {
			case authmock.Expect401:
				if st[c.Name] != http.StatusUnauthorized {
					t.Errorf("%s: HTTP %d, want 401", c.Name, st[c.Name])
				}
			case authmock.Expect4xx:
				if st[c.Name] < 400 || st[c.Name] > 499 {
					t.Errorf("%s: HTTP %d, want a 4xx", c.Name, st[c.Name])
				}
			}
		}
	})
}

// TestAuthTokenVariants: each token variant answers exactly the cases its
// flaw concerns otherwise than the reference (the same configuration
// without the variant's middleware), and every other case as the
// reference does.
func TestAuthTokenVariants(t *testing.T) {
	cases := faulty.AuthMock().Cases(authResource)
	for name, changed := range tokenVariants {
		t.Run(name, func(t *testing.T) {
			v, err := faulty.Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(v.Only, []string{"auth/"}) || len(v.Breaks) == 0 {
				t.Errorf("Only %q, Breaks %q", v.Only, v.Breaks)
			}
			synctest.Test(t, func(t *testing.T) {
				ref, err := impl.New(*v.Config)
				if err != nil {
					t.Fatal(err)
				}
				defer ref.Close()
				h, srv, err := v.Handler()
				if err != nil {
					t.Fatal(err)
				}
				defer srv.Close()
				want := caseStatuses(t, ref.Handler(), cases)
				got := caseStatuses(t, h, cases)
				if changed == nil { // auth-403-invalid
					changed = map[string]int{}
					for _, c := range cases {
						if want[c.Name] == http.StatusUnauthorized && c.Name != "no-token" && c.Name != "token-in-query" {
							changed[c.Name] = http.StatusForbidden
						}
					}
					if len(changed) < 10 {
						t.Fatalf("the reference refuses only %d tokens with 401", len(changed))
					}
				}
				for _, c := range cases {
					w, ok := changed[c.Name]
					if !ok {
						w = want[c.Name]
					} else if w == want[c.Name] {
						t.Errorf("%s: the reference answers %d too", c.Name, w)
					}
					if got[c.Name] != w {
						t.Errorf("%s: HTTP %d, want %d (the reference: %d)", c.Name, got[c.Name], w, want[c.Name])
					}
				}
			})
		})
	}
	var names []string
	for _, v := range faulty.All() {
		if strings.HasPrefix(v.Name, "auth-") {
			names = append(names, v.Name)
		}
	}
	if len(names) != len(tokenVariants) {
		t.Errorf("token variants %q; the test knows %d", names, len(tokenVariants))
	}
}

// TestAuthTokenPassthrough: auth-token-passthrough GETs a loopback URL
// named in a tool's argument with the caller's own token; the reference
// does not.
func TestAuthTokenPassthrough(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Write([]byte("ok"))
	}))
	defer up.Close()
	tok, err := faulty.AuthMock().Mint(authmock.Claims{Subject: authmock.Alice, Resource: authResource, Scope: impl.ScopeTools}, authmock.None)
	if err != nil {
		t.Fatal(err)
	}
	call := func(h http.Handler, auth string) int {
		r := mcpPost(t, "tools/call", map[string]any{"name": "get_weather", "arguments": map[string]any{"location": up.URL + "/hook"}})
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec.Code
	}
	v, err := faulty.Lookup("auth-token-passthrough")
	if err != nil {
		t.Fatal(err)
	}
	ref, err := impl.New(*v.Config)
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	if code := call(ref.Handler(), "Bearer "+tok); code != 200 || len(seen) != 0 {
		t.Fatalf("the reference: HTTP %d, upstream saw %q", code, seen)
	}
	h, srv, err := v.Handler()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if code := call(h, ""); code != 401 || len(seen) != 0 {
		t.Errorf("without a token: HTTP %d, upstream saw %q", code, seen)
	}
	if code := call(h, "Bearer "+tok); code != 200 {
		t.Errorf("HTTP %d", code)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(seen, []string{"Bearer " + tok}) {
		t.Errorf("upstream saw %q, want the caller's token", seen)
	}
}

// TestAuthMockIssuerTransport: the reference in issuer mode reaches an
// in-memory mock authorization server through Config.IssuerTransport,
// inside a synctest bubble (no network: the issuer's https URL is served
// in memory): a correct token is served, a defective one refused.
func TestAuthMockIssuerTransport(t *testing.T) {
	as, err := authmock.New(authmock.Options{InMemory: true, Issuer: "https://as.example"})
	if err != nil {
		t.Fatal(err)
	}
	defer as.Close()
	synctest.Test(t, func(t *testing.T) {
		srv, err := impl.New(impl.Config{Issuer: as.Issuer(), Resource: authResource, IssuerTransport: as.Transport()})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		for _, tc := range []struct {
			defect authmock.Defect
			want   int
		}{{authmock.None, 200}, {authmock.AudSibling, 401}, {authmock.Expired, 401}, {authmock.KeyNotInJWKS, 401}, {authmock.None, 200}} {
			tok, err := as.Mint(authmock.Claims{Subject: authmock.Bob, Resource: authResource, Alg: authmock.ES256}, tc.defect)
			if err != nil {
				t.Fatal(err)
			}
			r := mcpPost(t, "tools/list", nil)
			r.Header.Set("Authorization", "Bearer "+tok)
			rec := httptest.NewRecorder()
			srv.Handler().ServeHTTP(rec, r)
			if rec.Code != tc.want {
				t.Errorf("%s: HTTP %d, want %d: %s", tc.defect, rec.Code, tc.want, rec.Body)
			}
		}
	})
}
