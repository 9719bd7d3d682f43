package selftest_test

import (
	"testing"
	"testing/synctest"

	"github.com/mcpverify/mcpverify/check"
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
