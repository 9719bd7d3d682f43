package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/trace"
)

// JSONSchemaVersion is the version of the JSON report's schema
// (docs/report-schema.md). It changes only when a field is removed or
// changes meaning; new fields may appear without a change.
const JSONSchemaVersion = 1

// jsonReport is the JSON report (docs/report-schema.md, "Report").
type jsonReport struct {
	SchemaVersion int      `json:"schemaVersion"`
	Tool          string   `json:"tool"`
	ToolVersion   string   `json:"toolVersion"`
	Target        string   `json:"target"`
	Instances     []string `json:"instances,omitempty"`
	Revision      string   `json:"revision"`
	// Seed is a decimal string: seeds use all 64 bits, more than a JSON
	// number read as a double keeps.
	Seed        int64        `json:"seed,string"`
	Era         string       `json:"era"`
	Exchanges   int          `json:"exchanges"`
	Judgments   int          `json:"judgments"`
	DurationMs  int64        `json:"durationMs"`
	Stderr      string       `json:"stderr,omitempty"`
	Failed      bool         `json:"failed"`
	Incomplete  string       `json:"incomplete,omitempty"`
	Interrupted bool         `json:"interrupted,omitempty"`
	Counts      jsonCounts   `json:"counts"`
	Results     []jsonResult `json:"results"`
}

// jsonCounts (docs/report-schema.md, "Counts").
type jsonCounts struct {
	Pass         int `json:"pass"`
	Fail         int `json:"fail"`
	Warn         int `json:"warn"`
	Skip         int `json:"skip"`
	Inconclusive int `json:"inconclusive"`
	Baselined    int `json:"baselined"`
	Stale        int `json:"stale"`
}

// jsonResult (docs/report-schema.md, "Result").
type jsonResult struct {
	ID          string `json:"id"`
	Area        string `json:"area"`
	Level       string `json:"level"`
	Requirement string `json:"requirement"`
	Source      string `json:"source"`
	Section     string `json:"section"`
	Status      string `json:"status"`
	Message     string `json:"message"`
	Check       string `json:"check"`
	Count       int    `json:"count"`
	Revision    string `json:"revision"`
	Trace       string `json:"trace,omitempty"`
	TraceFile   string `json:"traceFile,omitempty"`
	Baselined   string `json:"baselined,omitempty"`
	Stale       bool   `json:"stale,omitempty"`
	Tries       int    `json:"tries,omitempty"`
	Reproduced  int    `json:"reproduced,omitempty"`
	Cause       string `json:"cause,omitempty"`
	// FirstFailMs is set on failures and warnings only.
	FirstFailMs *int64 `json:"firstFailMs,omitempty"`
}

// WriteJSON writes the report in the JSON schema of
// docs/report-schema.md (schemaVersion 1), indented, with a final newline.
// A result's trace is always included as txtar text; traceFile is added
// when SaveTraces wrote it to a file.
func WriteJSON(w io.Writer, r *check.Report) error {
	if r == nil {
		return errors.New("write json report: no report")
	}
	c := countResults(r.Results)
	out := jsonReport{
		SchemaVersion: JSONSchemaVersion,
		Tool:          "mcpverify",
		ToolVersion:   ToolVersion(),
		Target:        r.Target,
		Instances:     r.Instances,
		Revision:      r.Revision,
		Seed:          r.Seed,
		Era:           string(r.Era),
		Exchanges:     r.Exchanges,
		Judgments:     r.Judgments,
		DurationMs:    r.Duration.Milliseconds(),
		Stderr:        r.Stderr,
		Failed:        r.Failed(),
		Incomplete:    r.Incomplete,
		Interrupted:   r.Interrupted,
		Counts: jsonCounts{
			Pass: c.status[check.Pass], Fail: c.status[check.Fail], Warn: c.status[check.Warn], Skip: c.status[check.Skip],
			Inconclusive: c.status[check.Inconclusive], Baselined: c.known, Stale: c.stale,
		},
		Results: make([]jsonResult, 0, len(r.Results)),
	}
	for _, res := range r.Results {
		req, _ := spec.Lookup(res.ID)
		jr := jsonResult{
			ID: string(res.ID), Area: res.ID.Area(), Level: string(res.Level), Requirement: res.Requirement,
			Source: req.Source, Section: req.Section,
			Status: string(res.Status), Message: res.Message, Check: res.Check, Count: res.Count,
			Revision: res.Revision, TraceFile: res.TraceFile, Baselined: res.Baselined, Stale: res.Stale,
			Tries: res.Tries, Reproduced: res.Reproduced, Cause: res.Cause,
		}
		if res.Status == check.Fail || res.Status == check.Warn {
			ms := res.FirstFail.Milliseconds()
			jr.FirstFailMs = &ms
		}
		if jr.Level == "" {
			jr.Level = string(req.Level)
		}
		if jr.Requirement == "" {
			jr.Requirement = req.Text
		}
		if jr.Revision == "" {
			jr.Revision = r.Revision
		}
		if res.Trace != nil {
			jr.Trace = string(trace.Format(res.Trace))
		}
		out.Results = append(out.Results, jr)
	}
	return writeIndented(w, out, "json")
}

// writeIndented writes v as indented JSON with a final newline, with <, >
// and & as they are; an error names the report (what).
func writeIndented(w io.Writer, v any, what string) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write %s report: %w", what, err)
	}
	return nil
}
