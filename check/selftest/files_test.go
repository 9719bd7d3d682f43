package selftest_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/internal/faulty"
	"github.com/mcpverify/mcpverify/check/sandbox"
	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/trace"
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

// TestFilesReplayRebuilt: a trace of the file checks replays against a
// sandbox made again from the trace's seed under a new directory (as
// replay --sandbox does): the check re-run finds the variant's flaw again,
// and not the reference's.
func TestFilesReplayRebuilt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		v, err := faulty.Lookup("files-prefix-check")
		if err != nil {
			t.Fatal(err)
		}
		sb, err := sandbox.New(t.TempDir(), 9)
		if err != nil {
			t.Fatal(err)
		}
		h, srv, err := v.HandlerIn(sb.Workspace)
		if err != nil {
			t.Fatal(err)
		}
		rep := runAuth(t, check.Options{Seed: 9, Budget: 40 * time.Second, Only: v.Only, Sandbox: sb}, h)
		srv.Close()
		sb.Close()
		r, ok := rep.Result(spec.FilesToolConfined)
		if !ok || r.Status != check.Fail || r.Trace == nil {
			t.Fatalf("FILES-TOOL-CONFINED: %+v", r)
		}
		tr, err := trace.Parse(trace.Format(r.Trace))
		if err != nil {
			t.Fatal(err)
		}
		again, err := sandbox.New(t.TempDir(), 9)
		if err != nil {
			t.Fatal(err)
		}
		defer again.Close()
		if again.Root == sb.Root || again.Canaries[0].Content != sb.Canaries[0].Content {
			t.Fatalf("the rebuilt sandbox: root %s (was %s), same contents %v", again.Root, sb.Root, again.Canaries[0].Content == sb.Canaries[0].Content)
		}
		for _, c := range []struct {
			name  string
			build func() (http.Handler, *impl.Server, error)
			want  bool
		}{
			{"variant", func() (http.Handler, *impl.Server, error) { return v.HandlerIn(again.Workspace) }, true},
			{"reference", func() (http.Handler, *impl.Server, error) {
				s, err := v.ReferenceIn(again.Workspace)
				if err != nil {
					return nil, nil, err
				}
				return s.Handler(), s, nil
			}, false},
		} {
			h, srv, err := c.build()
			if err != nil {
				t.Fatal(err)
			}
			res, err := check.Replay(context.Background(), httpServer(t, h, func() { srv.Close() }), tr, check.ReplayOptions{Budget: 40 * time.Second, Sandbox: again})
			if err != nil {
				t.Fatal(err)
			}
			if got := slices.Contains(res.Reproduced, spec.FilesToolConfined); got != c.want {
				t.Errorf("%s: reproduced %v, want %v (gone %v, undecided %v %v)", c.name, got, c.want, res.Gone, res.Undecided, res.Why)
			}
		}
	})
}
