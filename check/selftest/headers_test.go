package selftest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/target"
	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
)

// headerCheckNames are the checks of the meta, versions and headers areas.
var headerCheckNames = []string{
	"meta/required-fields", "meta/wrong-types", "meta/log-level",
	"versions/unsupported", "versions/body-differs", "versions/header-mutations", "versions/header-missing",
	"headers/mcp-method", "headers/mcp-name", "headers/mcp-param", "headers/case-insensitive-names",
	"headers/raw-malformed", "headers/x-mcp-header",
}

// headerCheckIDs are the requirements those checks decide.
func headerCheckIDs(t *testing.T) map[spec.ID]bool {
	t.Helper()
	ids := map[spec.ID]bool{}
	found := 0
	for _, c := range check.Checks() {
		for _, n := range headerCheckNames {
			if c.Name == n {
				found++
				for _, id := range c.IDs {
					ids[id] = true
				}
			}
		}
	}
	if found != len(headerCheckNames) {
		t.Fatalf("found %d of the %d checks", found, len(headerCheckNames))
	}
	return ids
}

func runHeaderChecks(t *testing.T, h http.Handler) *check.Report {
	t.Helper()
	return runWith(t, check.Options{Seed: 1, Budget: 60 * time.Second, Only: headerCheckNames}, h)
}

// TestHeaderChecksReference: against the reference server every
// requirement the checks decide passes, or is skipped with a reason.
func TestHeaderChecksReference(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, err := impl.New(impl.Config{})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		rep := runHeaderChecks(t, srv.Handler())
		ids := headerCheckIDs(t)
		for _, r := range rep.Results {
			if ids[r.ID] {
				t.Logf("%-30s %-12s %4d  %s", r.ID, r.Status, r.Count, r.Message)
			}
			switch r.Status {
			case check.Fail, check.Warn, check.Inconclusive:
				t.Errorf("%s %s: %s (check %s)", r.Status, r.ID, r.Message, r.Check)
			}
		}
		for id := range ids {
			if _, ok := rep.Result(id); !ok {
				t.Errorf("%s: no result", id)
			}
		}
		t.Logf("%d exchanges in %s", rep.Exchanges, rep.Duration)
	})
}

// rejectAll answers every request with 400 and HeaderMismatch (-32020).
func rejectAll() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		var msg struct {
			ID json.RawMessage `json:"id"`
		}
		_ = json.Unmarshal(body, &msg)
		id := "null"
		if len(msg.ID) > 0 {
			id = string(msg.ID)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"jsonrpc":"2.0","id":`+id+`,"error":{"code":-32020,"message":"Header mismatch"}}`)
	})
}

// TestHeaderChecksRejectAll: a server that rejects every request with 400
// and -32020 earns no pass from these checks: every requirement they
// decide is inconclusive (no unaltered request was served).
func TestHeaderChecksRejectAll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rep := runHeaderChecks(t, rejectAll())
		for id := range headerCheckIDs(t) {
			r, ok := rep.Result(id)
			switch {
			case !ok:
				t.Errorf("%s: no result", id)
			case r.Status != check.Inconclusive:
				t.Errorf("%s: %s (%s, check %s); want inconclusive", id, r.Status, r.Message, r.Check)
			}
		}
	})
}

// headerVariants are the faulty variants of check/internal/faulty/headers.go.
var headerVariants = []string{
	"version-header-only", "mcp-method-from-body", "mcp-name-routed-body-executed", "mcp-name-base64-undecoded",
	"header-names-case-sensitive", "meta-defaults-filled", "meta-missing-status-200", "mcp-param-mismatch-ignored",
	"unsupported-version-invalid-params",
}

// collateral are requirements a variant's one defect also breaks as a
// consequence, by the model's reading.
var collateral = map[string][]spec.ID{
	// Reading the version from the header only, the variant reports the
	// header's version in data.requested of its -32022, where the model
	// wants the body's.
	"version-header-only": {spec.CoreVersionUnsupported},
}

// TestHeaderVariantsPrecise: each variant fails exactly the requirements
// it breaks (the checks it is run with find nothing else), and the
// checks still pass what the variant does right.
func TestHeaderVariantsPrecise(t *testing.T) {
	for _, name := range headerVariants {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				v, h := variantHandler(t, name)
				tgt := target.InProcess(h, target.Limits{Timeout: 5 * time.Second})
				defer tgt.Close()
				rep, err := check.Run(context.Background(), tgt, check.Options{Seed: 1, Budget: 30 * time.Second, Only: v.Only})
				if err != nil {
					t.Fatal(err)
				}
				breaks := map[spec.ID]bool{}
				for _, id := range v.Breaks {
					breaks[id] = true
				}
				for _, id := range collateral[name] {
					breaks[id] = true
				}
				passes := 0
				for _, r := range rep.Results {
					switch {
					case r.Status == check.Fail || r.Status == check.Warn:
						if !breaks[r.ID] {
							t.Errorf("%s %s, which the variant does not break: %s (check %s)", r.Status, r.ID, r.Message, r.Check)
						} else {
							t.Logf("%s %s: %s", r.Status, r.ID, r.Message)
						}
					case breaks[r.ID] && !slices.Contains(collateral[name], r.ID):
						t.Errorf("%s: %s, want fail", r.ID, r.Status)
					case r.Status == check.Pass:
						passes++
					}
				}
				t.Logf("%d other requirements pass", passes)
			})
		})
	}
}
