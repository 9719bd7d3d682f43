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
	"github.com/mcpverify/mcpverify/check/target"
	"github.com/mcpverify/mcpverify/corpus"
	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/trace"
)

// replayBreaks saves the trace of each requirement a variant breaks (as
// the CLI would: formatted, then parsed back), replays it against a fresh
// copy of the broken server, where it must still fail, and against a
// fresh reference server, where it must not.
func replayBreaks(t *testing.T, rep *check.Report, breaks []spec.ID, broken, reference func(t *testing.T) check.Target, opts check.ReplayOptions) {
	t.Helper()
	for _, id := range breaks {
		r, ok := rep.Result(id)
		if !ok || r.Trace == nil {
			continue // reported missing by the caller
		}
		tr, err := trace.Parse(trace.Format(r.Trace))
		if err != nil {
			t.Errorf("%s: the saved trace does not parse: %v", id, err)
			continue
		}
		if tr.Get("check") == "" || tr.Get("seed") == "" || tr.Get("mark") == "" {
			t.Errorf("%s: the trace lacks check, seed or mark: %v", id, tr.Fields)
		}
		for _, ex := range tr.Exchanges {
			for k, vs := range ex.Header {
				for _, v := range vs {
					for _, secret := range []string{faulty.StateAliceToken, faulty.StateBobToken} {
						if v != "" && containsFold(v, secret) {
							t.Errorf("%s: the trace carries credentials in %s: %q", id, k, v)
						}
					}
				}
			}
		}
		res, err := check.Replay(context.Background(), broken(t), tr, opts)
		if err != nil {
			t.Errorf("%s: replay against the broken server: %v", id, err)
		} else if !slices.Contains(res.Reproduced, id) {
			t.Errorf("%s (check %s): replay against the broken server did not reproduce it: gone %v, undecided %v %v", id, tr.Get("check"), res.Gone, res.Undecided, res.Why)
		}
		res, err = check.Replay(context.Background(), reference(t), tr, opts)
		if err != nil {
			t.Errorf("%s: replay against the reference server: %v", id, err)
		} else if slices.Contains(res.Reproduced, id) {
			why := ""
			if res.Report != nil {
				if r, ok := res.Report.Result(id); ok {
					why = ": " + r.Message
				}
			}
			t.Errorf("%s (check %s): replay against the reference server reproduced it%s", id, tr.Get("check"), why)
		}
	}
}

func containsFold(s, sub string) bool {
	return len(sub) > 0 && len(s) >= len(sub) && (s == sub || indexFold(s, sub) >= 0)
}

func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if equalFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// httpServer serves h in process for the test, as a target.
func httpServer(t *testing.T, h http.Handler, closers ...func()) check.Target {
	tgt := target.InProcess(h, target.Limits{Timeout: 5 * time.Second})
	t.Cleanup(func() {
		tgt.Close()
		for _, c := range closers {
			c()
		}
	})
	return tgt
}

// variantServer starts a fresh copy of variant v.
func variantServer(v *faulty.Variant) func(t *testing.T) check.Target {
	return func(t *testing.T) check.Target {
		h, srv, err := v.Handler()
		if err != nil {
			t.Fatal(err)
		}
		return httpServer(t, h, func() { srv.Close() })
	}
}

// referenceServer starts a fresh reference server configured as v's.
func referenceServer(cfg *impl.Config) func(t *testing.T) check.Target {
	return func(t *testing.T) check.Target {
		c := impl.Config{}
		if cfg != nil {
			c = *cfg
		}
		srv, err := impl.New(c)
		if err != nil {
			t.Fatal(err)
		}
		return httpServer(t, srv.Handler(), func() { srv.Close() })
	}
}

// TestReplayAttacks: every attack trace of the corpus replays as failing
// against the faulty variant its variant field names, and not against the
// reference server.
func TestReplayAttacks(t *testing.T) {
	files := corpus.Attacks()
	if len(files) == 0 {
		t.Fatal("no attack traces")
	}
	for _, f := range files {
		t.Run(f.Name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				tr, err := trace.Parse(f.Data)
				if err != nil {
					t.Fatal(err)
				}
				v, err := faulty.Lookup(tr.Get("variant"))
				if err != nil {
					t.Fatalf("variant field: %v", err)
				}
				want := spec.ID(tr.Get("want"))
				res, err := check.Replay(context.Background(), variantServer(v)(t), tr, check.ReplayOptions{})
				if err != nil || !slices.Contains(res.Reproduced, want) {
					t.Errorf("against %s: %v; reproduced %v, undecided %v", v.Name, err, res.Reproduced, res.Why)
				}
				res, err = check.Replay(context.Background(), referenceServer(v.Config)(t), tr, check.ReplayOptions{})
				if err != nil || slices.Contains(res.Reproduced, want) || !res.Fixed() {
					t.Errorf("against the reference server: %v; reproduced %v, gone %v, undecided %v", err, res.Reproduced, res.Gone, res.Why)
				}
			})
		})
	}
}

// TestReplayClosedPort: a replay against a server that does not answer
// says it could not replay, never that the violation is gone, whether it
// re-runs a check or sends the recorded requests.
func TestReplayClosedPort(t *testing.T) {
	tgt := target.NewHTTP("http://127.0.0.1:1/mcp", target.Limits{Timeout: time.Second})
	defer tgt.Close()
	for _, f := range corpus.Attacks()[:1] {
		tr, err := trace.Parse(f.Data)
		if err != nil {
			t.Fatal(err)
		}
		byCheck := tr
		recorded := &trace.Trace{Fields: []trace.Field{{Key: "want", Value: tr.Get("want")}}, Exchanges: tr.Exchanges}
		for _, x := range []*trace.Trace{byCheck, recorded} {
			res, err := check.Replay(context.Background(), tgt, x, check.ReplayOptions{Budget: 10 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if res.Answered || res.Fixed() || res.StillFails() || len(res.Undecided) != 1 {
				t.Errorf("mode %s: answered %v, fixed %v, still fails %v, undecided %v", res.Mode, res.Answered, res.Fixed(), res.StillFails(), res.Why)
			}
		}
	}
}
