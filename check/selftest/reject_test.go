package selftest_test

import (
	"testing"
	"testing/synctest"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/internal/faulty"
	"github.com/mcpverify/mcpverify/spec"
)

// TestRejectEverythingNeverPasses runs every check against a server that
// answers every request with 400 and -32020: no requirement that a check
// decides may come out pass (a check passes only after a served unaltered request;
// against this server it must be inconclusive, skipped or failed). This
// guards every registered check.
func TestRejectEverythingNeverPasses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, h := variantHandler(t, faulty.RejectEverything)
		rep := runAgainst(t, h, nil)
		decided := map[spec.ID][]string{}
		for _, c := range check.Checks() {
			for _, id := range c.IDs {
				decided[id] = append(decided[id], c.Name)
			}
		}
		if len(decided) == 0 {
			t.Skip("no checks registered")
		}
		for _, r := range rep.Results {
			if checks, ok := decided[r.ID]; ok && r.Status == check.Pass {
				t.Errorf("%s passed against a server that rejects everything (decided by %v; the pass came from %s: %s)", r.ID, checks, r.Check, r.Message)
			}
		}
	})
}
