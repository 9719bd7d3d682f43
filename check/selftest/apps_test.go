package selftest_test

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/internal/faulty"
	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
)

// appsIDs are the testable APPS- requirements.
func appsIDs() []spec.ID {
	var out []spec.ID
	for _, r := range spec.All() {
		if r.ID.Area() == "APPS" && r.Testable != spec.No {
			out = append(out, r.ID)
		}
	}
	return out
}

// TestAppsReference: the reference server's app (weather_dashboard and its
// ui:// view) passes every APPS- requirement: judged, not skipped.
func TestAppsReference(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, err := impl.New(impl.Config{})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		rep := runAgainst(t, srv.Handler(), []string{"apps/"})
		ids := appsIDs()
		if len(ids) < 10 {
			t.Fatalf("%d APPS- requirements in the catalog", len(ids))
		}
		for _, id := range ids {
			if r, ok := rep.Result(id); !ok || r.Status != check.Pass {
				t.Errorf("%s: %+v", id, r)
			}
		}
	})
}

// TestAppsVariants: each apps variant is reported under the requirement
// it breaks at that requirement's level (fail for a MUST, warn for a
// SHOULD or HARDENING), and under no other APPS- requirement: one cause,
// one finding.
func TestAppsVariants(t *testing.T) {
	n := 0
	for _, v := range faulty.All() {
		if !strings.HasPrefix(v.Name, "apps-") {
			continue
		}
		n++
		t.Run(v.Name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				_, h := variantHandler(t, v.Name)
				rep := runAgainst(t, h, v.Only)
				requireBreaksOnly(t, rep, v.Breaks, "APPS")
			})
		})
	}
	if n < 3 {
		t.Fatalf("%d apps variants", n)
	}
}

// requireBreaksOnly: each of breaks is reported at its level (fail for a
// MUST, warn for a SHOULD or HARDENING), and no other requirement of area
// fails or warns: one cause, one finding.
func requireBreaksOnly(t *testing.T, rep *check.Report, breaks []spec.ID, area string) {
	t.Helper()
	broken := map[spec.ID]bool{}
	for _, id := range breaks {
		broken[id] = true
		want := check.Warn
		if spec.MustLookup(id).Level.Mandatory() {
			want = check.Fail
		}
		if r, ok := rep.Result(id); !ok || r.Status != want {
			t.Errorf("%s: want %s, got %+v", id, want, r)
		}
	}
	for _, r := range rep.Results {
		if r.ID.Area() == area && !broken[r.ID] && (r.Status == check.Fail || r.Status == check.Warn) {
			t.Errorf("%s also reported %s: %s", r.ID, r.Status, r.Message)
		}
	}
}

// TestAppsRejectEverything: a server that rejects every request earns no
// APPS- pass and no APPS- failure: nothing was offered to judge.
func TestAppsRejectEverything(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, h := variantHandler(t, faulty.RejectEverything)
		rep := runAuth(t, check.Options{Seed: 1, Budget: 20 * time.Second, Only: []string{"apps/"}}, h)
		for _, r := range rep.Results {
			if r.ID.Area() == "APPS" && r.Status != check.Skip && r.Status != check.Inconclusive {
				t.Errorf("%s %s against a server that rejects everything: %s", r.ID, r.Status, r.Message)
			}
		}
	})
}
