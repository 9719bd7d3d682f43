package check

import (
	"fmt"
	"io"

	"github.com/mcpverify/mcpverify/spec"
)

// TextOptions shape the terminal report.
type TextOptions struct {
	// Verbose lists every requirement judged, not only failures and
	// warnings.
	Verbose bool
	// TraceDir is where traces were saved (their paths are printed).
	TraceDir string
	// Stale lists baselined checks that now pass.
	Stale []string
}

// WriteText writes a report for a terminal: one entry per broken
// requirement, with its level, paraphrase and what was seen, then a
// summary line.
func WriteText(w io.Writer, r *Report, o TextOptions) {
	counts := map[Status]int{}
	for _, res := range r.Results {
		counts[res.Status]++
		if !o.Verbose && res.Status != Fail && res.Status != Warn {
			continue
		}
		req, _ := spec.Lookup(res.ID)
		fmt.Fprintf(w, "%-5s %s [%s] %s\n", res.Status, res.ID, res.Level, req.Text)
		fmt.Fprintf(w, "      %s (%d exchange(s))\n", res.Message, res.Count)
		if req.Source != "" {
			fmt.Fprintf(w, "      spec: %s, %s\n", req.Source, req.Section)
		}
	}
	fmt.Fprintf(w, "%s: %d exchanges judged in %s (seed %d): %d failed, %d warnings\n",
		r.Target, r.Exchanges, r.Duration.Round(1e6), r.Seed, counts[Fail], counts[Warn])
}
