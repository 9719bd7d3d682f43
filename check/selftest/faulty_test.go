package selftest_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/internal/faulty"
	"github.com/mcpverify/mcpverify/check/sandbox"
	"github.com/mcpverify/mcpverify/check/target"
	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/trace"
)

// runWith runs the checker with opts against h, and against more as
// further instances of the deployment, in process (see target.InProcess:
// call it in a synctest bubble).
func runWith(t testing.TB, opts check.Options, h http.Handler, more ...http.Handler) *check.Report {
	t.Helper()
	tgt := target.InProcess(h, target.Limits{Timeout: 5 * time.Second})
	defer tgt.Close()
	for _, m := range more {
		mt := target.InProcess(m, target.Limits{Timeout: 5 * time.Second})
		defer mt.Close()
		opts.Instances = append(opts.Instances, mt)
	}
	rep, err := check.Run(context.Background(), tgt, opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// runAgainst runs the checks named by only (prefixes) against h.
func runAgainst(t *testing.T, h http.Handler, only []string) *check.Report {
	t.Helper()
	return runAuth(t, check.Options{Seed: 1, Budget: 40 * time.Second, MaxExchanges: 60, Only: only}, h)
}

// runAuth is runWith with the in-memory mock authorization server that
// the issuer-mode variants trust as the authority and the upstream probe.
func runAuth(t *testing.T, opts check.Options, h http.Handler) *check.Report {
	t.Helper()
	opts.Authority, opts.Upstream = faulty.AuthMock(), upstream
	return runWith(t, opts, h)
}

// mockCredentials are the Authorization headers of alice and bob with
// tokens of the in-memory mock for the in-process target, with every
// scope of the reference (mint them in the bubble: its clock).
func mockCredentials(t *testing.T) (alice, bob http.Header) {
	t.Helper()
	mint := func(sub string) http.Header {
		tok, err := faulty.AuthMock().Token(sub, "http://127.0.0.1:8080/mcp", impl.ScopeTools+" "+impl.ScopeTransfer)
		if err != nil {
			t.Fatal(err)
		}
		return http.Header{"Authorization": {"Bearer " + tok}}
	}
	return mint("alice"), mint("bob")
}

// TestReferencePasses: nothing fails or warns against the reference server,
// and every check's requirements come out pass or skip (never inconclusive
// for lack of an unaltered request).
func TestReferencePasses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, err := impl.New(impl.Config{})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		rep := runAgainst(t, srv.Handler(), nil)
		if rep.Incomplete != "" || rep.Interrupted {
			t.Errorf("the run against the reference server is incomplete: %s", rep.Incomplete)
		}
		for _, r := range rep.Results {
			switch r.Status {
			case check.Fail, check.Warn:
				t.Errorf("%s %s: %s (check %s)", r.Status, r.ID, r.Message, r.Check)
			case check.Inconclusive:
				t.Errorf("inconclusive %s: %s (check %s)", r.ID, r.Message, r.Check)
			}
		}
		if rep.Exchanges == 0 {
			t.Fatal("no exchanges")
		}
	})
}

// TestFaultyVariants: each broken variant is caught, naming the
// requirement it breaks; the saved trace of each replays as still failing
// against the variant, and not against the reference server.
func TestFaultyVariants(t *testing.T) {
	vs := faulty.All()
	if len(vs) == 0 {
		t.Skip("no faulty variants registered yet")
	}
	for _, v := range vs {
		if v.Stdio != nil {
			continue // stdio variants run in the stdio self-test
		}
		t.Run(v.Name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				opts := check.Options{Seed: 1, Budget: 40 * time.Second, MaxExchanges: 60, Only: v.Only}
				ropts := check.ReplayOptions{Budget: 40 * time.Second}
				if v.NeedsDir() {
					runFilesVariant(t, v, opts, ropts)
					return
				}
				h, srv, err := v.Handler()
				if err != nil {
					t.Fatal(err)
				}
				defer srv.Close()
				if v.Config != nil && v.Config.Issuer == faulty.AuthIssuer {
					// The client presents the mock's tokens, as check
					// --auth-mock does.
					alice, bob := mockCredentials(t)
					opts.Client.Header, opts.AltHeader = alice, bob
					ropts.Header, ropts.AltHeader, ropts.Authority = alice, bob, faulty.AuthMock()
				}
				rep := runAuth(t, opts, h)
				for _, id := range v.Breaks {
					r, ok := rep.Result(id)
					if !ok || (r.Status != check.Fail && r.Status != check.Warn) {
						t.Errorf("%s: %s not reported broken (got %+v)", v.Defect, id, r)
					}
				}
				if ropts.Authority != nil {
					ropts.Upstream = upstream
				}
				saveAttacks(t, v.Name, rep, v.Breaks)
				replayBreaks(t, rep, v.Breaks, variantServer(v), referenceServer(v.Config), ropts)
			})
		})
	}
}

// variantHandler returns the registered variant name and its handler; the
// variant's server is closed when the test ends.
func variantHandler(t *testing.T, name string) (*faulty.Variant, http.Handler) {
	t.Helper()
	v, err := faulty.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	h, srv, err := v.Handler()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return v, h
}

// runFilesVariant runs a variant told to use the workspace of a sandbox,
// with the sandbox, and replays what it breaks against the variant and
// against the reference told the same.
func runFilesVariant(t *testing.T, v *faulty.Variant, opts check.Options, ropts check.ReplayOptions) {
	t.Helper()
	sb, err := sandbox.New(t.TempDir(), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	sb.AllowWrites = true // check --sandbox-writes: the write variants' tools are called
	h, srv, err := v.HandlerIn(sb.Workspace)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	opts.Sandbox = sb
	rep := runAuth(t, opts, h)
	for _, id := range v.Breaks {
		r, ok := rep.Result(id)
		if !ok || (r.Status != check.Fail && r.Status != check.Warn) {
			t.Errorf("%s: %s not reported broken (got %+v)", v.Defect, id, r)
		}
	}
	saveAttacks(t, v.Name, rep, v.Breaks)
	env := envFor(t, v.Name)
	for _, id := range v.Breaks {
		r, ok := rep.Result(id)
		if !ok || r.Trace == nil {
			continue
		}
		tr, err := trace.Parse(trace.Format(r.Trace))
		if err != nil {
			t.Fatalf("%s: the trace does not parse: %v", id, err)
		}
		for _, c := range []struct {
			name string
			ref  bool
		}{{"the variant", false}, {"the reference", true}} {
			tgt, o := env(t, c.ref)
			o.Budget = ropts.Budget
			res, err := check.Replay(context.Background(), tgt, tr, o)
			if err != nil {
				t.Errorf("%s: replay against %s: %v", id, c.name, err)
			} else if got := slices.Contains(res.Reproduced, id); got == c.ref {
				t.Errorf("%s: replay against %s: reproduced %v (gone %v, undecided %v %v)", id, c.name, got, res.Gone, res.Undecided, res.Why)
			}
		}
	}
}
