package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
)

// TestCheckStateFlags: --alt-header, --hints and --state-ttl-max are
// parsed and validated (usage errors exit 2); a hints file with a typo is
// refused rather than ignored.
func TestCheckStateFlags(t *testing.T) {
	dir := t.TempDir()
	typo := filepath.Join(dir, "typo.json")
	if err := os.WriteFile(typo, []byte(`{"singleuse": ["transfer"]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"check", "--alt-header", "no colon"},
		{"check", "--hints", filepath.Join(dir, "missing.json")},
		{"check", "--hints", typo},
		{"check", "--state-ttl-max", "-1s"},
		{"check", "--state-ttl-max", "soon"},
	} {
		if code, _, errs := run(args, ""); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d; stderr:\n%s", args, code, ExitUsage, errs)
		}
	}
}

// TestCheckStateDefaultRun: the default run (the embedded reference
// server, with two principals and a short state lifetime) decides every
// state requirement, and passes them all.
func TestCheckStateDefaultRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hints := filepath.Join(t.TempDir(), "hints.json")
		if err := os.WriteFile(hints, []byte(`{"singleUse": ["transfer"], "stateMatters": ["transfer"]}`), 0o644); err != nil {
			t.Fatal(err)
		}
		code, out, errs := run([]string{"check", "--only", "state/", "--seed", "5", "--hints", hints, "--json", "-"}, "")
		if code != ExitOK {
			t.Fatalf("exit %d; stderr:\n%s", code, errs)
		}
		rep := decodeReport(t, out)
		n := 0
		for _, r := range rep.Results {
			if !strings.HasPrefix(r.ID, "STATE-") {
				continue
			}
			n++
			if r.Status != "pass" {
				t.Errorf("%s: %s (check %s)", r.ID, r.Status, r.Check)
			}
		}
		if n < 15 {
			t.Errorf("%d STATE- results, want every state requirement the checks decide", n)
		}
	})
}
