package selftest_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/target"
	"github.com/mcpverify/mcpverify/impl"
)

// BenchmarkCheckReference: one default-options run of the whole checker
// (discovery, every check, the generated campaign) against the reference
// server over loopback. Reports the exchanges and the requirement
// judgments (Report.Judgments) per second of wall time.
func BenchmarkCheckReference(b *testing.B) {
	srv, err := impl.New(impl.Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	var exchanges, judgments int
	var wall time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tgt := target.NewHTTP(ts.URL+impl.Endpoint, target.Limits{})
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
