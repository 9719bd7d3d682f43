package check

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"

	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/trace"
)

// ToolVersion is the version of mcpverify: the main module's version from
// the build information ("v1.2.3" for an installed release, a pseudo-
// version for a build from a checkout), or "(devel)". It is the one source
// of the version that `mcpverify version` and the reports print.
func ToolVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// SaveTraces writes the trace of each result that has one (failures and
// warnings) to dir/ID.txtar, creating dir, and records the path in the
// result's TraceFile.
func SaveTraces(dir string, r *Report) error {
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

// JSONSchemaVersion is the version of the JSON report's schema
// (docs/report-schema.md). It changes only when a field is removed or
// changes meaning; new fields may appear without a change.
const JSONSchemaVersion = 1

// jsonReport is the JSON report (docs/report-schema.md, "Report").
type jsonReport struct {
	SchemaVersion int    `json:"schemaVersion"`
	Tool          string `json:"tool"`
	ToolVersion   string `json:"toolVersion"`
	Target        string `json:"target"`
	Revision      string `json:"revision"`
	// Seed is a decimal string: seeds use all 64 bits, more than a JSON
	// number read as a double keeps.
	Seed       int64        `json:"seed,string"`
	Era        string       `json:"era"`
	Exchanges  int          `json:"exchanges"`
	Judgments  int          `json:"judgments"`
	DurationMs int64        `json:"durationMs"`
	Stderr     string       `json:"stderr,omitempty"`
	Failed     bool         `json:"failed"`
	Counts     jsonCounts   `json:"counts"`
	Results    []jsonResult `json:"results"`
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
}

// WriteJSON writes the report in the JSON schema of
// docs/report-schema.md (schemaVersion 1), indented, with a final newline.
// A result's trace is always included as txtar text; traceFile is added
// when SaveTraces wrote it to a file.
func WriteJSON(w io.Writer, r *Report) error {
	if r == nil {
		return errors.New("write json report: no report")
	}
	c := countResults(r.Results)
	out := jsonReport{
		SchemaVersion: JSONSchemaVersion,
		Tool:          "mcpverify",
		ToolVersion:   ToolVersion(),
		Target:        r.Target,
		Revision:      r.Revision,
		Seed:          r.Seed,
		Era:           string(r.Era),
		Exchanges:     r.Exchanges,
		Judgments:     r.Judgments,
		DurationMs:    r.Duration.Milliseconds(),
		Stderr:        r.Stderr,
		Failed:        r.Failed(),
		Counts: jsonCounts{
			Pass: c.status[Pass], Fail: c.status[Fail], Warn: c.status[Warn], Skip: c.status[Skip],
			Inconclusive: c.status[Inconclusive], Baselined: c.known, Stale: c.stale,
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
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("write json report: %w", err)
	}
	return nil
}

// JUnit XML (docs/report-schema.md, "JUnit XML").
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitMessage `xml:"failure"`
	Skipped   *junitMessage `xml:"skipped"`
	SystemOut *junitText    `xml:"system-out"`
}

// junitText is element text written as CDATA (readable in the raw file);
// xmlText makes it valid XML.
type junitText struct {
	Text string `xml:",cdata"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",cdata"`
}

// junitTraceMax bounds a trace written inline into the JUnit report.
const junitTraceMax = 64 << 10

// WriteJUnit writes the report as JUnit XML: one testsuite per area, one
// testcase per requirement judged (name: the ID, classname: the check that
// decided it). A failure is a <failure> (type: the level); a baselined
// failure, a warning, an inconclusive and a skipped requirement are
// <skipped> with a message that starts with what it is ("known failure",
// "warning", "inconclusive", "not applicable"); a pass is a plain
// testcase. With --strict, warnings are already failures in the report.
func WriteJUnit(w io.Writer, r *Report) error {
	if r == nil {
		return errors.New("write junit report: no report")
	}
	props := []junitProperty{
		{"target", r.Target}, {"revision", r.Revision}, {"seed", strconv.FormatInt(r.Seed, 10)},
		{"era", string(r.Era)}, {"exchanges", strconv.Itoa(r.Exchanges)}, {"toolVersion", ToolVersion()},
	}
	out := junitSuites{Name: "mcpverify", Time: fmt.Sprintf("%.3f", r.Duration.Seconds())}
	index := map[string]int{}
	var suites []junitSuite
	for _, area := range areaOrder(r.Results) {
		suites = append(suites, junitSuite{Name: area, Properties: props})
		index[area] = len(suites) - 1
	}
	for _, res := range r.Results {
		s := &suites[index[res.ID.Area()]]
		tc := junitCase{Name: string(res.ID), Classname: res.Check}
		if tc.Classname == "" {
			tc.Classname = "mcpverify"
		}
		details := junitDetails(res)
		switch {
		case res.Status == Fail && res.Baselined == "":
			tc.Failure = &junitMessage{Message: res.Message, Type: string(res.Level), Text: xmlText(details)}
			s.Failures++
		case res.Status == Fail || res.Status == Warn:
			what := "warning"
			if res.Baselined != "" {
				what = "known failure (" + res.Baselined + ")"
			}
			tc.Skipped = &junitMessage{Message: what + ": " + res.Message}
			tc.SystemOut = &junitText{xmlText(details)}
			s.Skipped++
		case res.Status == Inconclusive:
			tc.Skipped = &junitMessage{Message: "inconclusive: " + res.Message}
			s.Skipped++
		case res.Status == Skip:
			tc.Skipped = &junitMessage{Message: "not applicable: " + res.Message}
			s.Skipped++
		default:
			out := "pass: " + res.Message
			if res.Stale {
				out += "\nstale baseline entry (" + res.Baselined + "): this requirement now passes"
			}
			tc.SystemOut = &junitText{xmlText(out)}
		}
		s.Tests++
		s.Cases = append(s.Cases, tc)
	}
	for _, s := range suites {
		if s.Tests == 0 {
			continue
		}
		out.Suites = append(out.Suites, s)
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Skipped += s.Skipped
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("write junit report: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("write junit report: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("write junit report: %w", err)
	}
	return nil
}

// xmlText replaces what XML 1.0 cannot carry (invalid UTF-8, control
// characters other than tab, newline and carriage return, U+FFFE and
// U+FFFF) with U+FFFD. encoding/xml does so for attributes and character
// data, but not for CDATA.
func xmlText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20 || r == 0xFFFE || r == 0xFFFF || (r >= 0xD800 && r <= 0xDFFF):
			return '\uFFFD'
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

// junitDetails is the body of a failure or warning: the requirement, what
// was seen, where the spec says it, and the trace (its path, or its text
// up to junitTraceMax).
func junitDetails(res Result) string {
	req, _ := spec.Lookup(res.ID)
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s (%s): %s\n", strings.ToUpper(string(res.Status)), res.ID, res.Level, res.Requirement)
	fmt.Fprintf(&b, "found: %s\n", res.Message)
	fmt.Fprintf(&b, "check: %s (%d exchange(s) or probe(s))\n", res.Check, res.Count)
	if req.Source != "" {
		fmt.Fprintf(&b, "spec: %s, %q\n", req.Source, req.Section)
	}
	switch {
	case res.TraceFile != "":
		fmt.Fprintf(&b, "trace: %s\n", res.TraceFile)
	case res.Trace != nil:
		t := trace.Format(res.Trace)
		b.WriteString("trace:\n")
		if len(t) > junitTraceMax {
			b.Write(t[:junitTraceMax])
			fmt.Fprintf(&b, "\n[trace truncated at %d of %d bytes; --traces DIR saves it whole]\n", junitTraceMax, len(t))
		} else {
			b.Write(t)
		}
	}
	return b.String()
}

// KnownFailures is a baseline: the requirements a server is known to
// break, each with the reason. Read one with LoadBaseline.
type KnownFailures struct {
	reasons map[spec.ID]string
	ids     []spec.ID // in file order
}

// baselineMax bounds a baseline file.
const baselineMax = 1 << 20

// LoadBaseline reads a baseline file: one known failure per line, the
// requirement ID, blanks, then the reason (required):
//
//	# known failures of our server
//	HTTP-ORIGIN       the proxy in front checks Origin; not in this test setup
//	CORE-LIST-STABLE  tracked in issue 42
//
// Blank lines and lines that start with # are ignored. An ID that is not
// in the catalog, an ID listed twice and a line without a reason are
// errors, so that a typo cannot silently excuse nothing.
func LoadBaseline(path string) (*KnownFailures, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read baseline: %w", err)
	}
	defer f.Close()
	return parseBaseline(io.LimitReader(f, baselineMax+1), path)
}

// parseBaseline parses a baseline read from r; name is used in errors.
func parseBaseline(r io.Reader, name string) (*KnownFailures, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read baseline %s: %w", name, err)
	}
	if len(data) > baselineMax {
		return nil, fmt.Errorf("baseline %s: larger than %d bytes", name, baselineMax)
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	b := &KnownFailures{reasons: map[spec.ID]string{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, baselineMax)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		first, reason, _ := strings.Cut(strings.Join(strings.Fields(line), " "), " ")
		id := spec.ID(first)
		switch _, known := spec.Lookup(id); {
		case !known:
			return nil, fmt.Errorf("baseline %s:%d: %q is not a requirement ID of the catalog", name, n, first)
		case reason == "":
			return nil, fmt.Errorf("baseline %s:%d: %s has no reason; want \"ID  reason\"", name, n, id)
		case b.reasons[id] != "":
			return nil, fmt.Errorf("baseline %s:%d: %s is listed twice", name, n, id)
		}
		b.reasons[id] = reason
		b.ids = append(b.ids, id)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read baseline %s: %w", name, err)
	}
	return b, nil
}

// IDs returns the baselined requirements, in file order.
func (b *KnownFailures) IDs() []spec.ID {
	if b == nil {
		return nil
	}
	return append([]spec.ID(nil), b.ids...)
}

// Reason returns the baseline's reason for id, if it lists id.
func (b *KnownFailures) Reason(id spec.ID) (string, bool) {
	if b == nil {
		return "", false
	}
	r, ok := b.reasons[id]
	return r, ok
}

// Apply marks the report's results by the baseline: each result the
// baseline lists gets the reason in Baselined (a baselined failure then
// no longer fails the run: Report.Failed ignores it), and a listed result
// that passes is marked Stale. It returns the stale IDs, sorted. Marks
// from an earlier Apply are replaced. A listed requirement that the run
// did not judge, or judged skip or inconclusive, is not stale: the run
// could not tell whether it is fixed.
func (b *KnownFailures) Apply(r *Report) (stale []string) {
	if r == nil {
		return nil
	}
	for i := range r.Results {
		res := &r.Results[i]
		res.Baselined, res.Stale = "", false
		reason, ok := b.Reason(res.ID)
		if !ok {
			continue
		}
		res.Baselined = reason
		if res.Status == Pass {
			res.Stale = true
			stale = append(stale, string(res.ID))
		}
	}
	sort.Strings(stale)
	return stale
}
