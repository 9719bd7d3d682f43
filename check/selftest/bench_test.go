package selftest_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/internal/faulty"
	"github.com/mcpverify/mcpverify/check/sandbox"
	"github.com/mcpverify/mcpverify/check/target"
	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
)

// BenchmarkCheckReference: one default-options run of the whole checker
// (discovery, every check, the generated campaign) against the reference
// server over loopback. Reports the exchanges and the requirement
// judgments (Report.Judgments) per second of wall time.
func BenchmarkCheckReference(b *testing.B) {
	url := referenceOverLoopback(b)
	var exchanges, judgments int
	var wall time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tgt := target.NewHTTP(url, target.Limits{})
		start := time.Now()
		rep, err := check.Run(context.Background(), tgt, check.Options{Seed: int64(i + 1)})
		wall += time.Since(start)
		tgt.Close()
		if err != nil {
			b.Fatal(err)
		}
		exchanges += rep.Exchanges
		judgments += rep.Judgments
	}
	b.ReportMetric(float64(exchanges)/wall.Seconds(), "exchanges/s")
	b.ReportMetric(float64(judgments)/wall.Seconds(), "judgments/s")
	b.ReportMetric(float64(judgments)/float64(b.N), "judgments/run")
}

// BenchmarkAuthChecks: one run of the auth checks (metadata, the token
// matrix, scopes, passthrough) against the reference in issuer mode over
// loopback, trusting the in-memory mock. Reports the exchanges per second
// of wall time and per run.
func BenchmarkAuthChecks(b *testing.B) {
	srv, err := impl.New(impl.Config{Issuer: faulty.AuthIssuer, Resource: "http://127.0.0.1:8080/mcp", IssuerTransport: faulty.AuthMock().Transport()})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	var exchanges int
	var wall time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		alice, err := faulty.AuthMock().Token("alice", "http://127.0.0.1:8080/mcp", impl.ScopeTools+" "+impl.ScopeTransfer)
		if err != nil {
			b.Fatal(err)
		}
		// The in-process target answers for http://127.0.0.1:8080/mcp,
		// the resource the reference's tokens name.
		tgt := target.InProcess(srv.Handler(), target.Limits{})
		opts := check.Options{Seed: int64(i + 1), Only: []string{"auth/"}, Authority: faulty.AuthMock(), Upstream: upstream}
		opts.Client.Header = http.Header{"Authorization": {"Bearer " + alice}}
		start := time.Now()
		rep, err := check.Run(context.Background(), tgt, opts)
		wall += time.Since(start)
		tgt.Close()
		if err != nil {
			b.Fatal(err)
		}
		requirePass(b, rep, "AUTH-AUDIENCE")
		exchanges += rep.Exchanges
	}
	reportRate(b, exchanges, wall, "exchanges")
}

// BenchmarkFilesStdio: the file checks against the reference server told
// to use a sandbox's workspace, over stdio (io.Pipe, in process). Reports
// the requests (mostly escape attempts) per second of wall time and per
// run.
func BenchmarkFilesStdio(b *testing.B) {
	sb, err := sandbox.New(b.TempDir(), 1)
	if err != nil {
		b.Fatal(err)
	}
	defer sb.Close()
	srv, err := impl.New(impl.Config{AllowedDirs: []string{sb.Workspace}})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	var exchanges int
	var wall time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		inR, inW := io.Pipe()
		outR, outW := io.Pipe()
		done := make(chan struct{})
		go func() {
			defer close(done)
			srv.ServeStdio(context.Background(), inR, outW)
			outW.Close()
		}()
		tgt := target.NewStdioConn("reference", inW, outR, target.Limits{})
		start := time.Now()
		rep, err := check.Run(context.Background(), tgt, check.Options{Seed: int64(i + 1), Only: []string{"files/tools"}, Sandbox: sb})
		wall += time.Since(start)
		tgt.Close()
		<-done
		if err != nil {
			b.Fatal(err)
		}
		requirePass(b, rep, "FILES-TOOL-CONFINED")
		exchanges += rep.Exchanges
	}
	reportRate(b, exchanges, wall, "requests")
}

// BenchmarkAppsCampaign: one run of the apps checks (discovery, the UI
// tools and resources listed as a client that declares the extension,
// every UI resource read and its HTML scanned, every UI tool called with
// and without the extension) against the reference server over loopback
// HTTP. Reports the wall time of a run and its exchanges.
func BenchmarkAppsCampaign(b *testing.B) {
	url := referenceOverLoopback(b)
	var exchanges int
	var wall time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tgt := target.NewHTTP(url, target.Limits{})
		start := time.Now()
		rep, err := check.Run(context.Background(), tgt, check.Options{Seed: int64(i + 1), Only: []string{"apps/"}})
		wall += time.Since(start)
		tgt.Close()
		if err != nil {
			b.Fatal(err)
		}
		requirePass(b, rep, spec.AppsUiHtml)
		requirePass(b, rep, spec.AppsToolContent)
		exchanges += rep.Exchanges
	}
	b.ReportMetric(wall.Seconds()*1000/float64(b.N), "ms/run")
	b.ReportMetric(float64(exchanges)/float64(b.N), "exchanges/run")
}

// referenceOverLoopback serves a reference server (default
// configuration) over loopback HTTP until the benchmark ends, and returns
// its endpoint's URL.
func referenceOverLoopback(b *testing.B) string {
	srv, err := impl.New(impl.Config{})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	b.Cleanup(func() {
		ts.Close()
		srv.Close()
	})
	return ts.URL + impl.Endpoint
}

// requirePass stops a benchmark whose run did not pass id: its figures
// would measure a failing run.
func requirePass(b *testing.B, rep *check.Report, id spec.ID) {
	b.Helper()
	if r, _ := rep.Result(id); r.Status != check.Pass {
		b.Fatalf("%s: %s %s", id, r.Status, r.Message)
	}
}

// reportRate reports n units over wall, per second and per run.
func reportRate(b *testing.B, n int, wall time.Duration, unit string) {
	b.ReportMetric(float64(n)/wall.Seconds(), unit+"/s")
	b.ReportMetric(float64(n)/float64(b.N), unit+"/run")
}
