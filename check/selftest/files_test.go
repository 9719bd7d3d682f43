package selftest_test

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/internal/faulty"
	"github.com/mcpverify/mcpverify/check/sandbox"
	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
)

// TestFilesReference: the reference server told to use a sandbox's
// workspace passes every requirement the file checks decide: over 200
// escape attempts per path argument and per file:// template, none
// answered with a canary.
func TestFilesReference(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sb, err := sandbox.New(t.TempDir(), 5)
		if err != nil {
			t.Fatal(err)
		}
		defer sb.Close()
		srv, err := impl.New(impl.Config{AllowedDirs: []string{sb.Workspace}})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		rep := runAuth(t, check.Options{Seed: 1, Budget: 40 * time.Second, Only: []string{"files/"}, Sandbox: sb}, srv.Handler())
		for _, id := range []spec.ID{spec.FilesToolConfined, spec.FilesSymlinkEscape, spec.FilesExistenceOracle, spec.FilesResourceTraversal} {
			r, ok := rep.Result(id)
			if !ok || r.Status != check.Pass {
				t.Errorf("%s: %+v", id, r)
			}
		}
		if r, _ := rep.Result(spec.FilesToolConfined); !strings.Contains(r.Message, "read_file.path") {
			t.Errorf("FILES-TOOL-CONFINED: %s", r.Message)
		}
		for _, r := range rep.Results {
			if r.Status == check.Fail || r.Status == check.Warn || r.Status == check.Inconclusive {
				t.Errorf("%s %s: %s", r.Status, r.ID, r.Message)
			}
		}
	})
}

// TestFilesRejectEverything: a server that rejects every request, started
// on a sandbox, earns no FILES- pass (no read inside is served: nothing
// can be judged).
func TestFilesRejectEverything(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sb, err := sandbox.New(t.TempDir(), 6)
		if err != nil {
			t.Fatal(err)
		}
		defer sb.Close()
		_, h := variantHandler(t, faulty.RejectEverything)
		rep := runAuth(t, check.Options{Seed: 1, Budget: 40 * time.Second, Only: []string{"files/"}, Sandbox: sb}, h)
		for _, r := range rep.Results {
			if strings.HasPrefix(string(r.ID), "FILES-") && r.Status == check.Pass {
				t.Errorf("%s passed against a server that rejects everything: %s", r.ID, r.Message)
			}
		}
	})
}
