package selftest_test

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/hints"
	"github.com/mcpverify/mcpverify/check/internal/faulty"
	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
)

// stateOptions runs the state checks as alice, with bob as the second
// principal.
func stateOptions(ttlMax time.Duration, only []string) check.Options {
	o := check.Options{Seed: 1, Budget: 90 * time.Second, CheckTimeout: 30 * time.Second, MaxExchanges: 60, Only: only, StateTTLMax: ttlMax}
	o.Client = check.DefaultClient
	o.Client.Header = http.Header{"Authorization": {"Bearer " + faulty.StateAliceToken}}
	o.AltHeader = http.Header{"Authorization": {"Bearer " + faulty.StateBobToken}}
	return o
}

// stateResults returns the STATE- results of a report.
func stateResults(rep *check.Report) []check.Result {
	var out []check.Result
	for _, r := range rep.Results {
		if strings.HasPrefix(string(r.ID), "STATE-") {
			out = append(out, r)
		}
	}
	return out
}

// requireStatePasses fails the test on any STATE- result that is not pass
// or skip.
func requireStatePasses(t *testing.T, rep *check.Report) {
	t.Helper()
	n := 0
	for _, r := range stateResults(rep) {
		switch r.Status {
		case check.Pass:
			n++
		case check.Skip:
			t.Logf("skip %s: %s", r.ID, r.Message)
		default:
			t.Errorf("%s %s: %s (check %s)", r.Status, r.ID, r.Message, r.Check)
		}
	}
	if n == 0 {
		t.Fatal("no STATE- requirement passed")
	}
}

// TestStateReferencePasses: the reference server with two principals and a
// short state lifetime passes the whole state campaign, every requirement
// decided (none skipped but those no handle or hint makes apply).
func TestStateReferencePasses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, err := impl.New(faulty.StateConfig())
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		rep := runWith(t, stateOptions(faulty.StateTTLMax, []string{"state/"}), srv.Handler())
		requireStatePasses(t, rep)
		for _, id := range []spec.ID{spec.StateIntegrity, spec.StateIntegrityAlways, spec.StateCanonical, spec.StateUntrusted,
			spec.StateBindRequest, spec.StateBindArgs, spec.StateBindPrincipal, spec.StateBindExpiry, spec.StateSingleUse,
			spec.StateHandleRandom, spec.StateHandleEntropy, spec.StateHandlePrincipal, spec.StateHandleNotAuth, spec.StateHandleOracle, spec.StateHandleReleased} {
			if r, ok := rep.Result(id); !ok || r.Status != check.Pass {
				t.Errorf("%s: want pass, got %+v", id, r)
			}
		}
	})
}

// twoServers makes two reference servers of cfg (sharing what cfg
// shares: its state keys, its Store if it has one) and returns their
// handlers and what closes both.
func twoServers(t *testing.T, cfg impl.Config) (a, b http.Handler, closeAll func()) {
	t.Helper()
	sa, err := impl.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := impl.New(cfg)
	if err != nil {
		sa.Close()
		t.Fatal(err)
	}
	return sa.Handler(), sb.Handler(), func() { sa.Close(); sb.Close() }
}

// TestStateTwoInstances: two reference servers sharing state keys and a
// store, behind two ports; the campaign spreads each chain across them.
func TestStateTwoInstances(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := faulty.StateConfig()
		cfg.Store = impl.NewMemoryStore()
		a, b, closeAll := twoServers(t, cfg)
		defer closeAll()
		rep := runWith(t, stateOptions(faulty.StateTTLMax, []string{"state/"}), a, b)
		requireStatePasses(t, rep)
		for _, id := range []spec.ID{spec.StateIntegrity, spec.StateBindRequest, spec.StateBindPrincipal, spec.StateSingleUse} {
			if r, ok := rep.Result(id); !ok || r.Status != check.Pass {
				t.Errorf("%s: want pass, got %+v", id, r)
			}
		}
	})
}

// TestStateTwoInstancesUnsharedStore: instances that share keys but not
// the store let a single-use confirmation be redeemed once per instance.
func TestStateTwoInstancesUnsharedStore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b, closeAll := twoServers(t, faulty.StateConfig())
		defer closeAll()
		rep := runWith(t, stateOptions(0, []string{"state/single-use"}), a, b)
		if r, ok := rep.Result(spec.StateSingleUse); !ok || r.Status != check.Fail {
			t.Errorf("STATE-SINGLE-USE: want fail, got %+v", r)
		}
	})
}

// TestStateFaultyVariants: each state variant is caught for its defect,
// and for nothing else of the state checks it runs.
func TestStateFaultyVariants(t *testing.T) {
	for _, v := range faulty.StateVariants() {
		t.Run(v.Name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h, srv, err := v.Handler()
				if err != nil {
					t.Fatal(err)
				}
				defer srv.Close()
				rep := runWith(t, stateOptions(v.StateTTLMax, v.Only), h)
				breaks := map[spec.ID]bool{}
				for _, id := range v.Breaks {
					breaks[id] = true
					r, ok := rep.Result(id)
					if !ok || (r.Status != check.Fail && r.Status != check.Warn) {
						t.Errorf("%s: %s not reported broken (got %+v)", v.Defect, id, r)
					} else {
						t.Logf("%s %s: %s", r.Status, id, r.Message)
					}
				}
				for _, r := range stateResults(rep) {
					if !breaks[r.ID] && (r.Status == check.Fail || r.Status == check.Warn || r.Status == check.Inconclusive) {
						t.Errorf("%s: also %s %s: %s", v.Name, r.Status, r.ID, r.Message)
					}
				}
				saveAttacks(t, v.Name, rep, v.Breaks)
				o := stateOptions(v.StateTTLMax, nil)
				ref := faulty.StateConfig() // a variant's own Config may be its defect
				replayBreaks(t, rep, v.Breaks, variantServer(&v.Variant), referenceServer(&ref),
					check.ReplayOptions{Header: o.Client.Header, AltHeader: o.AltHeader, Budget: 90 * time.Second})
			})
		})
	}
}

var probedTargets = regexp.MustCompile(`(\d+) of \d+ request\(s\) that issue requestState`)

// BenchmarkStateCampaignPerTool: the requestState mutation campaign
// (state/request-state: the survey and every mutation family, each on a
// fresh state) against the reference server over loopback, per request
// that issues requestState (tools, the prompt and the resource). Reports
// the wall time and the exchanges per such request.
func BenchmarkStateCampaignPerTool(b *testing.B) {
	srv, err := impl.New(faulty.StateConfig())
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	var wall time.Duration
	targets, exchanges := 0, 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		rep := runWith(b, stateOptions(0, []string{"state/request-state"}), srv.Handler())
		wall += time.Since(start)
		r, _ := rep.Result(spec.StateIntegrity)
		m := probedTargets.FindStringSubmatch(r.Message)
		if r.Status != check.Pass || m == nil {
			b.Fatalf("STATE-INTEGRITY: %s %s", r.Status, r.Message)
		}
		n, _ := strconv.Atoi(m[1])
		targets += n
		exchanges += rep.Exchanges
	}
	b.ReportMetric(float64(wall.Milliseconds())/float64(targets), "ms/tool")
	b.ReportMetric(float64(exchanges)/float64(targets), "exchanges/tool")
	b.ReportMetric(float64(targets)/float64(b.N), "tools/run")
}

// TestStateHints: hints add what descriptions do not say. A request hinted
// single-use whose state the reference server lets be presented again
// fails STATE-SINGLE-USE; hinted handle tools are judged by the run's
// model as well (the unbound-carts variant breaks STATE-HANDLE-PRINCIPAL
// in the model's judgment too).
func TestStateHints(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hints, err := hints.Parse([]byte(`{
		  "singleUse": ["test_input_required_result_request_state"],
		  "handles": [{"kind": "cart", "mint": {"cart_create": "structuredContent.cart_id"},
		               "use": {"cart_view": "cart_id", "cart_add": "cart_id"}, "delete": {"cart_delete": "cart_id"}}]
		}`))
		if err != nil {
			t.Fatal(err)
		}
		srv, err := impl.New(faulty.StateConfig())
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		opts := stateOptions(0, []string{"state/single-use"})
		opts.Hints = hints
		rep := runWith(t, opts, srv.Handler())
		r, _ := rep.Result(spec.StateSingleUse)
		if r.Status != check.Fail || !strings.Contains(r.Message, "test_input_required_result_request_state") || !strings.Contains(r.Message, "--hints") {
			t.Errorf("STATE-SINGLE-USE: %s %s", r.Status, r.Message)
		}

		var unbound *faulty.StateVariant
		for _, v := range faulty.StateVariants() {
			if v.Name == "handles-unbound" {
				unbound = v
			}
		}
		h, vsrv, err := unbound.Handler()
		if err != nil {
			t.Fatal(err)
		}
		defer vsrv.Close()
		opts = stateOptions(0, []string{"state/handles"})
		opts.Hints = hints
		rep = runWith(t, opts, h)
		r, _ = rep.Result(spec.StateHandlePrincipal)
		if r.Status != check.Warn || r.Count < 2 {
			t.Errorf("STATE-HANDLE-PRINCIPAL: %s (%d) %s", r.Status, r.Count, r.Message)
		}
	})
}

// TestStateOneCause: a request whose state is not verified breaks several
// requirements (the mutations, another request's state accepted); the
// report names one cause for them.
func TestStateOneCause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var v *faulty.StateVariant
		for _, sv := range faulty.StateVariants() {
			if sv.Name == "state-echo" {
				v = sv
			}
		}
		h, srv, err := v.Handler()
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		rep := runWith(t, stateOptions(0, []string{"state/request-state", "state/binding"}), h)
		always, _ := rep.Result(spec.StateIntegrityAlways)
		bind, _ := rep.Result(spec.StateBindRequest)
		if always.Status != check.Warn || bind.Status != check.Warn {
			t.Fatalf("want both warned: %s %s; %s %s", always.Status, always.Message, bind.Status, bind.Message)
		}
		if always.Cause == "" || always.Cause != bind.Cause || !strings.Contains(always.Cause, "test_input_required_result_multi_round") {
			t.Errorf("causes %q and %q: want one, naming the multi-round tool", always.Cause, bind.Cause)
		}
	})
}
