package selftest_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/internal/faulty"
	"github.com/mcpverify/mcpverify/check/target"
	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
)

// tasksDecided are the requirements the tasks checks decide, with the
// status the reference server earns: pass, but for the listen stream the
// reference has none of (it agrees to no task notifications).
var tasksDecided = map[spec.ID]check.Status{
	spec.TasksRequiredError: check.Pass, spec.TasksTaskParamIgnored: check.Pass, spec.CoreExtensionFallback: check.Pass,
	spec.CoreCapabilityUndeclared: check.Pass, spec.TasksResultRemoved: check.Pass, spec.TasksCreateDurable: check.Pass,
	spec.TasksIdEntropy: check.Pass, spec.TasksIdBits: check.Pass, spec.TasksGetUnknown: check.Pass,
	spec.TasksUpdateCancelUnknown: check.Pass, spec.TasksFailedJsonrpcOnly: check.Pass, spec.TasksListenNoProgressLog: check.Skip,
	spec.TasksAuthEach: check.Pass, spec.TasksAuthOracle: check.Pass, spec.TasksLimit: check.Pass,
}

// requireTasksClean fails the test on a TASKS- failure or warning.
func requireTasksClean(t *testing.T, rep *check.Report) {
	t.Helper()
	for _, r := range rep.Results {
		if r.ID.Area() == "TASKS" && (r.Status == check.Fail || r.Status == check.Warn || r.Status == check.Inconclusive) {
			t.Errorf("%s %s: %s (check %s)", r.Status, r.ID, r.Message, r.Check)
		}
	}
}

// TestTasksReferencePasses: the reference server, with two principals,
// passes the tasks campaign: every requirement it decides is decided, and
// the model finds nothing in its exchanges.
func TestTasksReferencePasses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, err := impl.New(faulty.StateConfig())
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		rep := runWith(t, stateOptions(0, []string{"tasks/"}), srv.Handler())
		requireTasksClean(t, rep)
		for id, want := range tasksDecided {
			wantStatus(t, rep, id, want)
		}
		wantStatus(t, rep, spec.TasksLimit, check.Pass, "the next was refused", "100")
		wantStatus(t, rep, spec.TasksFailedJsonrpcOnly, check.Pass, "failing_job")
		wantStatus(t, rep, spec.TasksTerminalFinal, check.Pass)
	})
}

// TestTasksWithoutExtension: a server that does not declare the extension
// gets no task verdict but the one every server owes (tasks/result is
// -32601); a server that rejects everything earns no TASKS- pass and no
// failure.
func TestTasksWithoutExtension(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, h := variantHandler(t, faulty.RejectEverything)
		rep := runAuth(t, check.Options{Seed: 1, Budget: 20 * time.Second, Only: []string{"tasks/"}}, h)
		for _, r := range rep.Results {
			if r.ID.Area() == "TASKS" && r.Status != check.Skip && r.Status != check.Inconclusive && r.ID != spec.TasksResultRemoved {
				t.Errorf("%s %s against a server that rejects everything: %s", r.ID, r.Status, r.Message)
			}
		}
	})
}

// TestTasksVariants: each tasks variant is reported under the
// requirements it breaks at their level (fail for a MUST, warn for a
// SHOULD or HARDENING), and under no other TASKS- requirement.
func TestTasksVariants(t *testing.T) {
	n := 0
	for _, v := range append(faulty.All(), statePlain()...) {
		if !strings.HasPrefix(v.Name, "tasks-") {
			continue
		}
		n++
		t.Run(v.Name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h, srv, err := v.Handler()
				if err != nil {
					t.Fatal(err)
				}
				defer srv.Close()
				rep := runWith(t, stateOptions(0, v.Only), h)
				requireBreaksOnly(t, rep, v.Breaks, "TASKS")
			})
		})
	}
	if n < 6 {
		t.Fatalf("%d tasks variants", n)
	}
}

// statePlain returns the two-principal variants as plain variants (they
// are served by Handler too; the test gives both principals' tokens).
func statePlain() []*faulty.Variant {
	var out []*faulty.Variant
	for _, sv := range faulty.StateVariants() {
		out = append(out, &sv.Variant)
	}
	return out
}

// BenchmarkTasksCampaign: one run of the tasks checks, with two
// principals, against a fresh reference server over loopback HTTP (fresh:
// the flood leaves the first principal at its limit). Reports the wall
// time of a run, its exchanges, and the tasks the flood created per
// second of its own.
func BenchmarkTasksCampaign(b *testing.B) {
	var wall time.Duration
	exchanges := 0
	for i := 0; i < b.N; i++ {
		srv, err := impl.New(faulty.StateConfig())
		if err != nil {
			b.Fatal(err)
		}
		ts := httptest.NewServer(srv.Handler())
		tgt := target.NewHTTP(ts.URL+impl.Endpoint, target.Limits{})
		opts := stateOptions(0, []string{"tasks/"})
		opts.Seed = int64(i + 1)
		start := time.Now()
		rep, err := check.Run(context.Background(), tgt, opts)
		wall += time.Since(start)
		tgt.Close()
		ts.Close()
		srv.Close()
		if err != nil {
			b.Fatal(err)
		}
		for _, id := range []spec.ID{spec.TasksIdEntropy, spec.TasksAuthEach, spec.TasksLimit, spec.TasksCreateDurable} {
			requirePass(b, rep, id)
		}
		exchanges += rep.Exchanges
	}
	b.ReportMetric(float64(wall.Milliseconds())/float64(b.N), "ms/campaign")
	b.ReportMetric(float64(exchanges)/float64(b.N), "exchanges/campaign")
}

// TestTasksTwoInstances: two reference servers sharing a store, behind
// two ports: a task created on one is found at once on the other (each
// CreateTaskResult is followed by tasks/get on the other instance).
func TestTasksTwoInstances(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := faulty.StateConfig()
		cfg.Store = impl.NewMemoryStore()
		a, b, closeAll := twoServers(t, cfg)
		defer closeAll()
		rep := runWith(t, stateOptions(0, []string{"tasks/lifecycle"}), a, b)
		wantStatus(t, rep, spec.TasksCreateDurable, check.Pass, "on the next instance")
	})
}
