package model_test

import (
	"slices"
	"testing"

	"github.com/mcpverify/mcpverify/model"
	"github.com/mcpverify/mcpverify/spec"
)

// TestJudgeCoverage: Judge reports, for a trace of ordinary traffic, the
// requirements it judged, including every one it found broken; a header
// check is judged on a request with a header defect only.
func TestJudgeCoverage(t *testing.T) {
	tr := loadTrace(t, "testdata/ok/basic.txtar")
	s := model.NewState(model.Config{})
	judged := map[spec.ID]bool{}
	for _, ex := range tr.Exchanges {
		var vs []model.Violation
		var ids []spec.ID
		s, vs, ids = s.Judge(ex)
		if len(vs) > 0 {
			t.Fatalf("violations on an ok trace: %v", vs)
		}
		for _, id := range ids {
			judged[id] = true
		}
	}
	for _, id := range []spec.ID{spec.CoreResultType, spec.CoreCacheHints, spec.CoreResponseId, spec.CoreOutputSchema, spec.CoreServerinfo, spec.HttpContentType} {
		if !judged[id] {
			t.Errorf("%s not judged on ordinary traffic", id)
		}
	}
	for _, id := range []spec.ID{spec.HttpHeaderMismatch, spec.CoreListenAck} {
		if judged[id] {
			t.Errorf("%s judged, but no exchange of the trace tests it", id)
		}
	}
	bad := loadTrace(t, "testdata/bad/param-header-mismatch-accepted.txtar")
	s = model.NewState(model.Config{})
	var all []spec.ID
	for _, ex := range bad.Exchanges {
		var ids []spec.ID
		s, _, ids = s.Judge(ex)
		all = append(all, ids...)
	}
	if !slices.Contains(all, spec.HttpParamMismatch) {
		t.Errorf("the broken requirement is not among the judged ones: %v", all)
	}
}
