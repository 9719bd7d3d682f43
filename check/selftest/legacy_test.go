package selftest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/internal/faulty"
	"github.com/mcpverify/mcpverify/check/legacyclient"
	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// legacyResults are the requirements the legacy-session checks decide on
// the legacy fixture.
var legacyResults = []spec.ID{spec.HttpOrigin, spec.HttpHost, spec.CoreOutputSchema, spec.CoreSchemaValid}

// TestLegacyServer: a server that speaks only 2025-11-25 yields the one
// legacy finding, no failure, the checks of this revision skipped with
// the legacy reason, and the revision-independent checks passed over the
// 2025-11-25 session, marked with that revision.
func TestLegacyServer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rep := runAgainst(t, faulty.NewLegacy(faulty.LegacyOptions{}), nil)
		if rep.Era != check.Legacy {
			t.Fatalf("era %s; want legacy", rep.Era)
		}
		if r, ok := rep.Result(spec.CoreLegacyOnly); !ok || r.Status != check.Warn || r.Revision != "2025-11-25" {
			t.Errorf("CORE-LEGACY-ONLY: %+v; want warn on 2025-11-25", r)
		} else {
			t.Logf("finding: %s", r.Message)
		}
		skip := legacyclient.SkipReason("2025-11-25")
		nSkip := 0
		for _, r := range rep.Results {
			switch {
			case r.ID == spec.CoreLegacyOnly:
			case containsID(legacyResults, r.ID):
				if r.Status != check.Pass || r.Revision != "2025-11-25" {
					t.Errorf("%s: %s on %s (%s); want pass on 2025-11-25", r.ID, r.Status, r.Revision, r.Message)
				}
			case r.Status == check.Skip:
				nSkip++
				// Checks for another transport give that reason instead, and
				// the file checks, which run over 2025-11-25 too, theirs.
				if r.ID != spec.CoreRevisionServed && r.Message != skip && !strings.HasPrefix(r.Message, "applies only to servers over") &&
					!strings.HasPrefix(r.Message, "the checker did not start the server on a sandbox") {
					t.Errorf("%s skipped with %q; want %q", r.ID, r.Message, skip)
				}
			default:
				t.Errorf("%s: %s on %s (%s, check %s); want skip", r.ID, r.Status, r.Revision, r.Message, r.Check)
			}
		}
		if nSkip == 0 {
			t.Error("no requirement of this revision was reported skipped")
		}
		if rep.Failed() {
			t.Error("the run failed")
		}
	})
}

// TestLegacyServerDefects: the legacy-session checks catch an Origin that
// is not validated and structured output that does not conform, on the
// 2025-11-25 session.
func TestLegacyServerDefects(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rep := runAgainst(t, faulty.NewLegacy(faulty.LegacyOptions{AnyOrigin: true, BadOutput: true}), []string{"legacy/"})
		for _, id := range []spec.ID{spec.HttpOrigin, spec.CoreOutputSchema} {
			r, ok := rep.Result(id)
			if !ok || r.Status != check.Fail || r.Revision != "2025-11-25" {
				t.Errorf("%s: %+v; want fail on 2025-11-25", id, r)
				continue
			}
			if r.Trace == nil || len(r.Trace.Exchanges) == 0 {
				t.Errorf("%s: no evidence", id)
			}
			t.Logf("%s: %s", id, r.Message)
		}
		if r, _ := rep.Result(spec.CoreSchemaValid); r.Status != check.Pass {
			t.Errorf("CORE-SCHEMA-VALID: %+v; want pass", r)
		}
		legacyServer := func(o faulty.LegacyOptions) func(t *testing.T) check.Target {
			return func(t *testing.T) check.Target { return httpServer(t, faulty.NewLegacy(o)) }
		}
		replayBreaks(t, rep, []spec.ID{spec.HttpOrigin, spec.CoreOutputSchema},
			legacyServer(faulty.LegacyOptions{AnyOrigin: true, BadOutput: true}), legacyServer(faulty.LegacyOptions{}), check.ReplayOptions{})
	})
}

// TestDualEraServer: a dual-era server (the reference server, plus
// initialize and sessions, declaring the legacy versions in discover) is
// checked as a modern one: nothing fails, and the rules that bind only
// servers serving nothing but this revision are skipped with the reason.
func TestDualEraServer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, err := impl.New(impl.Config{})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		rep := runAgainst(t, faulty.NewLegacy(faulty.LegacyOptions{Modern: srv.Handler(), DeclareLegacy: true}), nil)
		if rep.Era != check.DualEra {
			t.Fatalf("era %s; want dual-era", rep.Era)
		}
		// What the checker says of the reference server alone is not this
		// test's business: compare with it.
		ref := runAgainst(t, srv.Handler(), nil)
		for _, r := range rep.Results {
			switch r.Status {
			case check.Fail, check.Warn, check.Inconclusive:
				if rr, ok := ref.Result(r.ID); ok && rr.Status == r.Status {
					t.Logf("as on the reference server: %s %s: %s (check %s)", r.Status, r.ID, r.Message, r.Check)
					continue
				}
				t.Errorf("%s %s: %s (check %s)", r.Status, r.ID, r.Message, r.Check)
			}
			if r.Revision != wire.Version {
				t.Errorf("%s: revision %s; want %s", r.ID, r.Revision, wire.Version)
			}
		}
		// The rules for servers that serve only this revision are skipped, or
		// decided by a check that found the server behaving as they ask.
		for _, id := range []spec.ID{spec.HttpSessionId, spec.HttpGetDelete405, spec.HttpLastEventId, spec.CoreInitializeVersions} {
			r, ok := rep.Result(id)
			switch {
			case !ok:
				t.Errorf("%s: absent; want skip, dual-era", id)
			case r.Status == check.Skip && strings.Contains(r.Message, "dual-era"):
			case r.Status == check.Pass:
				t.Logf("%s: passed by %s: %s", id, r.Check, r.Message)
			default:
				t.Errorf("%s: %+v; want skip, dual-era", id, r)
			}
		}
		for _, id := range []spec.ID{spec.CoreLegacyOnly, spec.CoreRevisionServed} {
			if r, _ := rep.Result(id); r.Status != check.Pass {
				t.Errorf("%s: %+v; want pass", id, r)
			}
		}
	})
}

// TestDualEraByInitialize: a server whose discover result lists only this
// revision but that answers initialize is dual-era too.
func TestDualEraByInitialize(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, err := impl.New(impl.Config{})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		rep := runAgainst(t, faulty.NewLegacy(faulty.LegacyOptions{Modern: srv.Handler()}), []string{"legacy/"})
		if rep.Era != check.DualEra {
			t.Fatalf("era %s; want dual-era", rep.Era)
		}
		if r, _ := rep.Result(spec.HttpSessionId); r.Status != check.Skip || !strings.Contains(r.Message, "answers initialize") {
			t.Errorf("HTTP-SESSION-ID: %+v; want skip", r)
		}
		for _, r := range rep.Results {
			if r.Status == check.Fail || r.Status == check.Warn {
				t.Errorf("%s %s: %s (check %s)", r.Status, r.ID, r.Message, r.Check)
			}
		}
	})
}

// TestReferenceIsModern: the reference server is modern; it is not
// dual-era (it rejects initialize, and that answer is judged).
func TestReferenceIsModern(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, err := impl.New(impl.Config{})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		rep := runAgainst(t, srv.Handler(), []string{"legacy/"})
		if rep.Era != check.Modern {
			t.Fatalf("era %s; want modern", rep.Era)
		}
		for _, id := range []spec.ID{spec.CoreLegacyOnly, spec.CoreRevisionServed, spec.CoreInitializeVersions} {
			if r, _ := rep.Result(id); r.Status != check.Pass {
				t.Errorf("%s: %+v; want pass", id, r)
			}
		}
	})
}

// TestDiscoverListsOnlyLegacy: a server that answers server/discover but
// lists only handshake-era versions, and answers initialize (as the Go
// SDK's server does in stateful mode), speaks only 2025-11-25 to us.
func TestDiscoverListsOnlyLegacy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		modern := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var m struct {
				ID     json.RawMessage `json:"id"`
				Method string          `json:"method"`
			}
			_ = json.NewDecoder(r.Body).Decode(&m)
			w.Header().Set("Content-Type", "application/json")
			if m.Method == "server/discover" {
				_, _ = w.Write([]byte(`{"jsonrpc":"2.0","id":` + string(m.ID) + `,"result":{"resultType":"complete","supportedVersions":["2025-11-25","2025-06-18"],"capabilities":{"tools":{}}}}`))
				return
			}
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"jsonrpc":"2.0","id":` + string(m.ID) + `,"error":{"code":-32022,"message":"unsupported","data":{"supported":["2025-11-25","2025-06-18"],"requested":"2026-07-28"}}}`))
		})
		rep := runAgainst(t, faulty.NewLegacy(faulty.LegacyOptions{Modern: modern}), []string{"legacy/"})
		if rep.Era != check.Legacy {
			t.Fatalf("era %s; want legacy", rep.Era)
		}
		if r, _ := rep.Result(spec.CoreLegacyOnly); r.Status != check.Warn || !strings.Contains(r.Message, "lists only") {
			t.Errorf("CORE-LEGACY-ONLY: %+v; want warn naming the listed versions", r)
		}
	})
}

// TestOtherRevision: a modern server that serves only another revision is
// reported once, and nothing of this revision is judged.
func TestOtherRevision(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var m struct {
				ID json.RawMessage `json:"id"`
			}
			_ = json.NewDecoder(r.Body).Decode(&m)
			id := string(m.ID)
			if id == "" {
				id = "null"
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"jsonrpc":"2.0","id":` + id + `,"error":{"code":-32022,"message":"unsupported","data":{"supported":["2099-01-01"],"requested":"2026-07-28"}}}`))
		})
		rep := runAgainst(t, h, nil)
		if rep.Era != check.OtherRevision {
			t.Fatalf("era %s; want %s", rep.Era, check.OtherRevision)
		}
		for _, r := range rep.Results {
			switch {
			case r.ID == spec.CoreRevisionServed:
				if r.Status != check.Warn {
					t.Errorf("CORE-REVISION-SERVED: %+v; want warn", r)
				}
			case r.Status == check.Fail || r.Status == check.Warn:
				t.Errorf("%s %s: %s (check %s)", r.Status, r.ID, r.Message, r.Check)
			}
		}
	})
}

func containsID(ids []spec.ID, id spec.ID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// TestLegacyStdioServer: over stdio, a legacy server that answers the
// server/discover probe with -32601, or not at all, is found legacy by the
// stdio rules, and its tools are checked over the 2025-11-25 process.
func TestLegacyStdioServer(t *testing.T) {
	for _, silent := range []bool{false, true} {
		name := "answers"
		if silent {
			name = "silent"
		}
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rep := runStdioServer(t, "legacy-"+name, func(in io.Reader, out io.Writer) error {
					return faulty.ServeLegacyStdio(in, out, faulty.LegacyStdioOptions{Silent: silent})
				}, []string{"legacy/"})
				if rep.Era != check.Legacy {
					t.Fatalf("era %s; want legacy", rep.Era)
				}
				if r, _ := rep.Result(spec.CoreLegacyOnly); r.Status != check.Warn {
					t.Errorf("CORE-LEGACY-ONLY: %+v; want warn", r)
				}
				for _, id := range []spec.ID{spec.CoreOutputSchema, spec.CoreSchemaValid} {
					if r, _ := rep.Result(id); r.Status != check.Pass || r.Revision != "2025-11-25" {
						t.Errorf("%s: %+v; want pass on 2025-11-25", id, r)
					}
				}
				if _, ok := rep.Result(spec.HttpOrigin); ok {
					t.Error("HTTP-ORIGIN judged over stdio")
				}
			})
		})
	}
}
