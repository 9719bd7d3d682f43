package selftest_test

import (
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/internal/faulty"
	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
)

// TestAuthMetadataReference: the reference server in issuer mode passes
// every requirement of auth/metadata (no token is presented: its 401,
// its challenge and its metadata are judged).
func TestAuthMetadataReference(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, err := impl.New(impl.Config{Issuer: "http://127.0.0.1:9", Resource: "http://127.0.0.1:8080/mcp"})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		rep := runAgainst(t, srv.Handler(), []string{"auth/"})
		for _, id := range []spec.ID{spec.AuthPrm, spec.AuthPrmDiscovery, spec.AuthPrmResource, spec.AuthChallengeScope, spec.AuthNoOfflineAccess} {
			if r, ok := rep.Result(id); !ok || r.Status != check.Pass {
				t.Errorf("%s: want pass, got %+v", id, r)
			}
		}
	})
}

// TestAuthReference: the reference server in issuer mode, trusting the
// in-memory mock, passes every AUTH- requirement the auth checks (and
// exposure/anonymous, AUTH-EXPOSURE) decide when the checker presents the
// mock's tokens (the passthrough check skips: the reference calls no
// other service).
func TestAuthReference(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, err := impl.New(impl.Config{Issuer: faulty.AuthIssuer, Resource: "http://127.0.0.1:8080/mcp", IssuerTransport: faulty.AuthMock().Transport()})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		alice, bob := mockCredentials(t)
		opts := check.Options{Seed: 1, Budget: 40 * time.Second, MaxExchanges: 60, Only: []string{"auth/", "exposure/anonymous"}, AltHeader: bob}
		opts.Client.Header = alice
		rep := runAuth(t, opts, srv.Handler())
		seen := 0
		for _, r := range rep.Results {
			if !strings.HasPrefix(string(r.ID), "AUTH-") {
				continue
			}
			seen++
			want := check.Pass
			if r.ID == spec.AuthNoPassthrough {
				want = check.Skip
			}
			if r.Status != want {
				t.Errorf("%s: want %s, got %s: %s", r.ID, want, r.Status, r.Message)
			}
		}
		n := 0
		for _, r := range spec.All() {
			if r.ID.Area() == "AUTH" {
				n++
			}
		}
		if seen != n {
			t.Errorf("%d AUTH- results, want %d", seen, n)
		}
		for _, r := range rep.Results {
			if r.Status == check.Fail || r.Status == check.Warn || r.Status == check.Inconclusive {
				t.Errorf("%s %s: %s", r.Status, r.ID, r.Message)
			}
		}
	})
}

// TestAuthRefuseEveryToken: the reference in issuer mode behind a
// middleware that refuses every token (each request reaches it with an
// invalid one): no requirement that auth/tokens, auth/scopes or
// auth/passthrough decides comes out pass (the correct token, the
// baseline, is refused). Only the metadata, which is served, is judged.
func TestAuthRefuseEveryToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, err := impl.New(impl.Config{Issuer: faulty.AuthIssuer, Resource: "http://127.0.0.1:8080/mcp", IssuerTransport: faulty.AuthMock().Transport()})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		next := srv.Handler()
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "" {
				r = r.Clone(r.Context())
				r.Header.Set("Authorization", "Bearer refused")
			}
			next.ServeHTTP(w, r)
		})
		alice, bob := mockCredentials(t)
		opts := check.Options{Seed: 1, Budget: 40 * time.Second, MaxExchanges: 60, Only: []string{"auth/"}, AltHeader: bob}
		opts.Client.Header = alice
		rep := runAuth(t, opts, h)
		decided := map[spec.ID]bool{}
		for _, c := range check.Checks() {
			if c.Name != "auth/metadata" && strings.HasPrefix(c.Name, "auth/") {
				for _, id := range c.IDs {
					decided[id] = true
				}
			}
		}
		if len(decided) < 10 {
			t.Fatalf("the token checks decide %d requirements", len(decided))
		}
		for _, r := range rep.Results {
			if decided[r.ID] && r.Status == check.Pass {
				t.Errorf("%s passed against a server that refuses every token: %s", r.ID, r.Message)
			}
		}
		if r, _ := rep.Result(spec.AuthAudience); r.Status != check.Inconclusive || !strings.Contains(r.Message, "correct token") {
			t.Errorf("AUTH-AUDIENCE: %s %s, want inconclusive naming the refused correct token", r.Status, r.Message)
		}
	})
}
