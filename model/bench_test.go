package model_test

import (
	"path/filepath"
	"testing"

	"github.com/mcpverify/mcpverify/model"
	"github.com/mcpverify/mcpverify/wire"
)

// stepBench steps prepared exchanges in order from a state that has seen
// them all once (so declarations are learnt), and reports exchanges/s.
func stepBench(b *testing.B, exs []*wire.Exchange) {
	s := model.NewState(model.Config{})
	for _, ex := range exs {
		model.Prepare(ex)
		s, _ = s.Step(ex)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, _ = s.Step(exs[i%len(exs)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "exchanges/s")
}

// BenchmarkStep judges every exchange of the ok traces: discover, lists,
// calls, MRTR, SSE progress and logging, listen streams, stdio, and the
// whole family of rejections (missing _meta, header mismatches, unknown
// methods, bad Origin, parse errors).
func BenchmarkStep(b *testing.B) {
	files, _ := filepath.Glob("testdata/ok/*.txtar")
	var exs []*wire.Exchange
	for _, f := range files {
		exs = append(exs, loadTrace(&testing.T{}, f).Exchanges...)
	}
	stepBench(b, exs)
}

// BenchmarkStepTypical judges ordinary traffic: the exchanges of
// testdata/ok/basic.txtar (discover, tools/list, tools/call with and
// without structuredContent, resource and prompt reads, completion).
func BenchmarkStepTypical(b *testing.B) {
	stepBench(b, loadTrace(&testing.T{}, "testdata/ok/basic.txtar").Exchanges)
}

// BenchmarkPrepare measures decoding and schema-validating one exchange (a
// tools/call and its result), the one-time cost before judging.
func BenchmarkPrepare(b *testing.B) {
	raw := loadTrace(&testing.T{}, "testdata/ok/basic.txtar").Exchanges[2]
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ex := wire.Exchange{Transport: raw.Transport, HTTPMethod: raw.HTTPMethod, Header: raw.Header, Body: raw.Body,
			Status: raw.Status, RespHeader: raw.RespHeader, RespBody: raw.RespBody}
		model.Prepare(&ex)
	}
}
