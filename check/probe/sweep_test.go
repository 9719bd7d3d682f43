package probe_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/probe"
	"github.com/mcpverify/mcpverify/check/target"
	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
)

// sweepID is the requirement the test sweeps decide (a MUST: a violation
// is a failure).
const sweepID = spec.HttpContentType

// sweepJudged counts the answers each test sweep's judge was given.
var sweepJudged = map[string]int{}

// testSweep is a sweep of three copies of the served list request whose
// judge answers outcomes[i] for the i-th.
func testSweep(name string, outcomes ...probe.Outcome) probe.Sweep {
	return probe.Sweep{
		ID: sweepID,
		Probes: func(e *check.Env, s *probe.Served) []probe.Variant {
			var out []probe.Variant
			for i := range outcomes {
				out = append(out, probe.Variant{What: "copy " + string(rune('A'+i)), Request: s.Fresh(e), Arg: i})
			}
			return out
		},
		Judge: func(_ *check.Env, _ *probe.Served, v probe.Variant, _ check.Observation) probe.Outcome {
			sweepJudged[name]++
			return outcomes[v.Arg.(int)]
		},
		Passed: func(s *probe.Served, n int) string { return s.Method + " conformed " + strings.Repeat("+", n) },
	}
}

// ignoredHeader is the header the header-ignored checks send; the broken
// server refuses any request that carries it.
const ignoredHeader = "X-Mcpverify-Probe"

func init() {
	for name, w := range map[string]probe.Sweep{
		"sweep-test/all-conform":  testSweep("all-conform", probe.Conforms, probe.NotJudged, probe.Conforms),
		"sweep-test/second-break": testSweep("second-break", probe.Conforms, probe.Breaks("bad %d", 7), probe.Conforms),
		"sweep-test/unsure":       testSweep("unsure", probe.Unsure("cannot tell"), probe.Conforms, probe.Conforms),
		"sweep-test/none-judged":  testSweep("none-judged", probe.NotJudged, probe.NotJudged, probe.NotJudged),
		"sweep-test/not-served": {ID: sweepID, Serve: func(*check.Env) (*probe.Served, bool) { return nil, false },
			Probes: func(*check.Env, *probe.Served) []probe.Variant { panic("probes of an unserved request") }},
	} {
		check.Register(&check.Check{Name: name, IDs: []spec.ID{sweepID}, Run: w.Run})
	}
	check.Register(&check.Check{Name: "sweep-test/header-ignored", IDs: []spec.ID{sweepID}, Run: func(e *check.Env) {
		b, ok := probe.ServedList(e)
		if !ok {
			e.Inconclusive(sweepID, "not served")
			return
		}
		if probe.HeaderIgnored(e, sweepID, b, ignoredHeader, []string{"1", "2"}, nil) {
			e.Pass(sweepID, "ignored")
		}
	}})
}

func runSweep(t *testing.T, name string, h http.Handler) check.Result {
	t.Helper()
	tgt := target.InProcess(h, target.Limits{Timeout: 5 * time.Second})
	defer tgt.Close()
	rep, err := check.Run(context.Background(), tgt, check.Options{Seed: 1, Budget: 30 * time.Second, Only: []string{name}})
	if err != nil {
		t.Fatal(err)
	}
	r, ok := rep.Result(sweepID)
	if !ok {
		t.Fatalf("%s: %s not judged", name, sweepID)
	}
	return r
}

// TestSweep: one verdict per sweep; the first breaking answer is the
// violation and ends the sweep; an unserved request or no judged answer
// is inconclusive, never a pass.
func TestSweep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, err := impl.New(impl.Config{})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		for _, c := range []struct {
			name, status, msg string
			judged            int
		}{
			{"all-conform", "pass", "conformed ++", 3},
			{"second-break", "fail", "copy B: bad 7", 2},
			{"unsure", "inconclusive", "copy A: cannot tell", 1},
			{"none-judged", "inconclusive", "none of 3 probes", 3},
			{"not-served", "inconclusive", "did not serve the unaltered request", 0},
		} {
			r := runSweep(t, "sweep-test/"+c.name, srv.Handler())
			if string(r.Status) != c.status || !strings.Contains(r.Message, c.msg) {
				t.Errorf("%s: %s %q, want %s with %q", c.name, r.Status, r.Message, c.status, c.msg)
			}
			if sweepJudged[c.name] != c.judged {
				t.Errorf("%s: %d answers judged, want %d", c.name, sweepJudged[c.name], c.judged)
			}
		}
	})
}

// TestHeaderIgnored: the reference server ignores an unknown header; a
// server that refuses requests carrying it, every time, breaks the
// requirement, and the verdict says the difference repeated.
func TestHeaderIgnored(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, err := impl.New(impl.Config{})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		if r := runSweep(t, "sweep-test/header-ignored", srv.Handler()); r.Status != check.Pass {
			t.Errorf("reference: %s %q", r.Status, r.Message)
		}
		broken := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get(ignoredHeader) != "" {
				http.Error(w, "no", http.StatusBadRequest)
				return
			}
			srv.Handler().ServeHTTP(w, r)
		})
		r := runSweep(t, "sweep-test/header-ignored", broken)
		if r.Status != check.Fail || !strings.Contains(r.Message, "twice") || !strings.Contains(r.Message, ignoredHeader) {
			t.Errorf("broken: %s %q", r.Status, r.Message)
		}
	})
}

// TestWithMetaNil: params of nil (a request without params, such as
// server/discover) get the client's _meta, and params given are not
// changed.
func TestWithMetaNil(t *testing.T) {
	c := check.DefaultClient
	if p := probe.WithMeta(c, nil, nil); p["_meta"] == nil || len(p) != 1 {
		t.Errorf("WithMeta(nil): %v", p)
	}
	in := map[string]any{"name": "x"}
	if p := probe.WithMeta(c, in, nil); p["_meta"] == nil || p["name"] != "x" || in["_meta"] != nil {
		t.Errorf("WithMeta: %v, the params given became %v", p, in)
	}
}
