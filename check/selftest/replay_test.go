package selftest_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/internal/faulty"
	"github.com/mcpverify/mcpverify/check/target"
	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/trace"
	"github.com/mcpverify/mcpverify/wire"
)

func referenceTarget(t *testing.T) check.Target {
	t.Helper()
	srv, err := impl.New(impl.Config{})
	if err != nil {
		t.Fatal(err)
	}
	tgt := target.InProcess(srv.Handler(), target.Limits{Timeout: 5 * time.Second})
	t.Cleanup(func() { tgt.Close(); srv.Close() })
	return tgt
}

// issuerReferenceTarget is the reference server in issuer mode, trusting
// the in-memory mock, in process.
func issuerReferenceTarget(t *testing.T) check.Target {
	t.Helper()
	srv, err := impl.New(impl.Config{Issuer: faulty.AuthIssuer, Resource: "http://127.0.0.1:8080/mcp", IssuerTransport: faulty.AuthMock().Transport()})
	if err != nil {
		t.Fatal(err)
	}
	tgt := target.InProcess(srv.Handler(), target.Limits{Timeout: 5 * time.Second})
	t.Cleanup(func() { tgt.Close(); srv.Close() })
	return tgt
}

// minted reports whether a trace records credentials the checker minted.
func minted(tr *trace.Trace) bool {
	return slices.ContainsFunc(tr.Exchanges, func(ex *wire.Exchange) bool { return ex.Credential != nil })
}

// TestReplayBadTracesAgainstReference: the model's bad traces carry fake
// responses that break their "want" requirements. Sending their requests
// to the reference server must bring no violation at all: Replay judges
// the new answers, not the recorded ones.
func TestReplayBadTracesAgainstReference(t *testing.T) {
	files, err := filepath.Glob("../../model/testdata/bad/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad traces: %v", err)
	}
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := trace.Parse(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(tr.Exchanges) == 0 || tr.Exchanges[0].Transport != wire.HTTP {
			continue
		}
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txtar"), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				tgt, opts := referenceTarget(t), check.ReplayOptions{}
				if minted(tr) {
					// A trace of minted credentials: the reference in
					// issuer mode, the mock minting them again.
					tgt, opts.Authority = issuerReferenceTarget(t), faulty.AuthMock()
				}
				res, err := check.Replay(context.Background(), tgt, tr, opts)
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Want) == 0 {
					t.Errorf("no want field parsed from %q", tr.Get("want"))
				}
				if len(res.Exchanges) != len(tr.Exchanges) {
					t.Errorf("%d exchanges replayed; want %d", len(res.Exchanges), len(tr.Exchanges))
				}
				name := strings.TrimSuffix(filepath.Base(f), ".txtar")
				for i, x := range res.Exchanges {
					for _, v := range x.Violations {
						if why, ok := modelDisagreements[name+" "+string(v.ID)]; ok {
							t.Logf("known model-vs-reference disagreement, exchange %d: %s (%s)", i+1, v, why)
							continue
						}
						t.Errorf("exchange %d (%s): %s", i+1, check.Observation{Ex: x.Ex}.Describe(), v)
					}
				}
				if res.StillFails() {
					t.Errorf("still fails: reproduced %v", res.Reproduced)
				}
			})
		})
		n++
	}
	if n < 10 {
		t.Errorf("only %d HTTP bad traces replayed", n)
	}
}

// modelDisagreements are violations the model reports on the reference
// server's answers to these traces' requests, where the spec text sides
// with the server (model bugs, reported to its owners; the replay shows
// them because it judges the new answers). Keyed by "trace ID".
var modelDisagreements = map[string]string{
	// streamable-http.mdx, Security Warning: the 403 body "MAY comprise a
	// JSON-RPC error response that has no id".
	"origin-foreign-port-served CORE-RESPONSE-ID": "a 403 for an invalid Origin may carry an error without id",
	"origin-hostile-served CORE-RESPONSE-ID":      "a 403 for an invalid Origin may carry an error without id",
	"origin-null-served CORE-RESPONSE-ID":         "a 403 for an invalid Origin may carry an error without id",
	// versioning.mdx, Backward Compatibility table (Legacy client, Modern
	// server): initialize without _meta is rejected with an
	// implementation-defined code, or 400 per server validation on HTTP.
	"initialize-no-versions CORE-METHOD-NOT-FOUND": "initialize without _meta: the code is implementation-defined",
}

// TestReplayRefusals: traces Replay cannot run are errors, not results.
func TestReplayRefusals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tgt := referenceTarget(t)
		if _, err := check.Replay(context.Background(), tgt, &trace.Trace{}, check.ReplayOptions{}); err == nil {
			t.Error("empty trace: no error")
		}
		stdio := &trace.Trace{Exchanges: []*wire.Exchange{{Transport: wire.Stdio, Body: []byte(`{"jsonrpc":"2.0","id":1,"method":"ping"}`)}}}
		if _, err := check.Replay(context.Background(), tgt, stdio, check.ReplayOptions{}); err == nil {
			t.Error("stdio trace to an HTTP tgt: no error")
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		tr := &trace.Trace{Exchanges: []*wire.Exchange{{Transport: wire.HTTP, HTTPMethod: "POST", Body: []byte(`{}`)}}}
		if _, err := check.Replay(ctx, tgt, tr, check.ReplayOptions{}); err == nil {
			t.Error("cancelled context: no error")
		}
	})
}

// TestReplayNoWantMeansAnyViolation: a trace without a want field still
// fails if any violation occurs; against the reference server none does.
func TestReplayNoWantMeansAnyViolation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tgt := referenceTarget(t)
		req := check.DefaultClient.Request(wire.IntID(1), "tools/list", nil, nil)
		tr := &trace.Trace{Exchanges: []*wire.Exchange{{Transport: wire.HTTP, HTTPMethod: "POST", Header: req.Header, Body: req.Body}}}
		res, err := check.Replay(context.Background(), tgt, tr, check.ReplayOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.StillFails() || len(res.Want) != 0 {
			t.Errorf("reference server: still fails %v, want %v", res.Violations(), res.Want)
		}
		if o := (check.Observation{Ex: res.Exchanges[0].Ex}); !o.Accepted() {
			t.Errorf("tools/list replayed: %s", o.Describe())
		}
	})
}
