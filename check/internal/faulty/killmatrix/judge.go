package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/mcpverify/mcpverify/check/internal/faulty"
)

// report is the part of mcpverify's JSON report (docs/report-schema.md)
// the matrix reads.
type report struct {
	SchemaVersion int    `json:"schemaVersion"`
	Incomplete    string `json:"incomplete"`
	Results       []struct {
		ID          string `json:"id"`
		Status      string `json:"status"`
		FirstFailMs *int64 `json:"firstFailMs"`
	} `json:"results"`
}

// checkRun is how one mcpverify check process ended.
type checkRun struct {
	// Exit is its exit status (-1 when it was killed or died of a signal).
	Exit int
	// Hung is set when it outlived its hard timeout and was killed.
	Hung bool
	// Signal names the signal it died of, if it did (and was not killed
	// for hanging).
	Signal  string
	Elapsed time.Duration
	// JSON is its JSON report (nil when it wrote none).
	JSON []byte
}

// outcome is the matrix's verdict on one mcpverify run.
type outcome struct {
	// Status is "caught", "missed", "hung", "crashed", "no report",
	// "survived" (a hostile server: the run ended in time, not green) or
	// "green" (a hostile server the run passed: a miss), "clean" or
	// "false positive" for the reference.
	Status string
	// Hit are the Breaks the run reported failed or warned; Extra the
	// other IDs it reported failed or warned.
	Hit, Extra []string
	// FirstMs is the least firstFailMs over Hit (-1: none known).
	FirstMs int64
	// Exit is the run's exit status; Incomplete its report's reason.
	Exit       int
	Incomplete string
}

// Caught reports whether the run caught the defect.
func (o outcome) Caught() bool { return o.Status == "caught" }

// judgeCheck decides what the run r says of the server e.
func judgeCheck(e faulty.Entry, r checkRun) outcome {
	o := outcome{FirstMs: -1, Exit: r.Exit}
	switch {
	case r.Hung:
		o.Status = "hung"
		return o
	case r.Signal != "":
		o.Status = "crashed"
		return o
	}
	var rep report
	if r.JSON == nil || json.Unmarshal(r.JSON, &rep) != nil || rep.SchemaVersion != 1 {
		o.Status = "no report"
		// No report and a status mcpverify does not end with (2 without
		// a report: a Go panic, as usage is checked before the run).
		if r.Exit != 0 && r.Exit != 1 && r.Exit != 3 && r.Exit != 4 {
			o.Status = "crashed"
		}
		return o
	}
	o.Incomplete = rep.Incomplete
	breaks := map[string]bool{}
	for _, id := range e.Breaks {
		breaks[string(id)] = true
	}
	for _, res := range rep.Results {
		if res.Status != "fail" && res.Status != "warn" {
			continue
		}
		if !breaks[res.ID] {
			o.Extra = append(o.Extra, res.ID)
			continue
		}
		o.Hit = append(o.Hit, res.ID)
		if ms := res.FirstFailMs; ms != nil && (o.FirstMs < 0 || *ms < o.FirstMs) {
			o.FirstMs = *ms
		}
	}
	sort.Strings(o.Hit)
	sort.Strings(o.Extra)
	switch {
	case e.Kind == faulty.KindHostile && r.Exit == 0:
		o.Status = "green"
	case e.Kind == faulty.KindHostile:
		o.Status = "survived"
	case e.Name == faulty.Reference && len(o.Extra) > 0:
		o.Status = "false positive"
	case e.Name == faulty.Reference:
		o.Status = "clean"
	case len(o.Hit) > 0:
		o.Status = "caught"
	default:
		o.Status = "missed"
	}
	return o
}

// suiteRun is the official suite's verdict per scenario: passed or not,
// and whether it is scored for 2026-07-28.
type suiteRun struct {
	Passed map[string]bool
	Scored map[string]bool
}

var (
	scenarioLine = regexp.MustCompile(`^([✓✗]) ([A-Za-z0-9_.-]+): \d+ passed, \d+ failed`)
	unscoredLine = regexp.MustCompile(`^\s+[✓✗] ([A-Za-z0-9_.-]+) \(`)
)

// parseSuite reads the suite's summary from its output: a line
// "✓ name: N passed, M failed" (✗ when some check failed) per scenario,
// then, after "Not scored for", the scenarios that do not count.
func parseSuite(out string) suiteRun {
	s := suiteRun{Passed: map[string]bool{}, Scored: map[string]bool{}}
	unscored := false
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "Not scored for") {
			unscored = true
			continue
		}
		if unscored {
			if m := unscoredLine.FindStringSubmatch(line); m != nil {
				s.Scored[m[1]] = false
			}
			continue
		}
		if m := scenarioLine.FindStringSubmatch(line); m != nil {
			s.Passed[m[2]] = m[1] == "✓"
			s.Scored[m[2]] = true
		}
	}
	return s
}

// suiteCaught returns the scored scenarios that pass against the control
// and fail against the variant (a scenario the variant's run does not
// list counts as failed: the suite did not get to pass it).
func suiteCaught(control, variant suiteRun) []string {
	var out []string
	for name, ok := range control.Passed {
		if ok && control.Scored[name] && !variant.Passed[name] {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// seconds formats milliseconds as seconds with two decimals.
func seconds(ms int64) string { return fmt.Sprintf("%.2f s", float64(ms)/1000) }
