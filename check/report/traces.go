package report

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/trace"
)

// SaveTraces writes the trace of each result that has one (failures and
// warnings) to dir/ID.txtar, creating dir, and records the path in the
// result's TraceFile.
func SaveTraces(dir string, r *check.Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create trace directory: %w", err)
	}
	for i := range r.Results {
		res := &r.Results[i]
		if res.Trace == nil {
			continue
		}
		p := filepath.Join(dir, string(res.ID)+".txtar")
		if err := os.WriteFile(p, trace.Format(res.Trace), 0o644); err != nil {
			return fmt.Errorf("write trace of %s: %w", res.ID, err)
		}
		res.TraceFile = p
	}
	return nil
}
