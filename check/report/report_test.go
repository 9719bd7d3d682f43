package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/trace"
	"github.com/mcpverify/mcpverify/wire"
)

// sampleReport has a result of every kind: a failure with a trace (and
// server text with control characters), a warning, a baselined failure, a
// stale baselined pass, a skip and an inconclusive; stderr is set.
func sampleReport() *check.Report {
	res := func(id spec.ID, st check.Status, msg, chk string, n int) check.Result {
		req := spec.MustLookup(id)
		return check.Result{ID: id, Level: req.Level, Requirement: req.Text, Status: st, Message: msg, Check: chk, Count: n, Revision: wire.Version}
	}
	tr := func(id spec.ID) *trace.Trace {
		return &trace.Trace{Fields: []trace.Field{{Key: "target", Value: "http://127.0.0.1:1/mcp"}, {Key: "want", Value: string(id)}},
			Exchanges: []*wire.Exchange{{Transport: wire.HTTP}}}
	}
	r := &check.Report{
		Target: "http://127.0.0.1:1/mcp", Instances: []string{"http://127.0.0.1:2/mcp"}, Revision: wire.Version, Seed: 1<<62 + 12345, Era: check.Modern,
		Exchanges: 12, Judgments: 99, Duration: 1500 * time.Millisecond, Stderr: "a line of stderr\n",
		Incomplete: "the server stopped answering: 6 of 9 requests got no answer (timed-out)", Interrupted: true,
		CheckTimes: map[string]time.Duration{"meta/required-fields": 1234 * time.Millisecond, "origin/foreign": 20 * time.Millisecond},
	}
	fail := res(spec.CoreMetaRequired, check.Fail, "got \x1b[31maccepted\x1b[0m <200>; want a rejection with -32602 & HTTP 400 \u202e", "meta/required-fields", 3)
	fail.Trace = tr(spec.CoreMetaRequired)
	fail.FirstFail = 1234567 * time.Microsecond
	warn := res(spec.CoreDiscoverServerinfo, check.Warn, "got no serverInfo; want it", "model", 1)
	warn.Trace = tr(spec.CoreDiscoverServerinfo)
	warn.Tries, warn.Reproduced = 5, 2
	known := res(spec.HttpMetaStatus, check.Fail, "got HTTP 200; want 400", "meta/required-fields", 2)
	known.Trace = tr(spec.HttpMetaStatus)
	fail.Cause, known.Cause = "the server serves requests without _meta", "the server serves requests without _meta"
	r.Results = []check.Result{
		fail, warn, known,
		res(spec.HttpOrigin, check.Pass, "tools/list with a foreign Origin: HTTP 403", "origin/foreign", 4),
		res(spec.StateIntegrity, check.Skip, "the server mints no requestState", "state/tamper", 0),
		res(spec.StdioStderr, check.Inconclusive, "the server did not serve the baseline request", "stdio/stderr", 0),
	}
	sort.Slice(r.Results, func(i, j int) bool { return r.Results[i].ID < r.Results[j].ID })
	return r
}

func sampleBaseline(t *testing.T) *KnownFailures {
	t.Helper()
	b, err := parseBaseline(strings.NewReader("\uFEFF# known\r\n\r\nHTTP-META-STATUS   the gateway answers 200 # on purpose\r\nHTTP-ORIGIN fixed in 2.1\n"), "test")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBaselineParse(t *testing.T) {
	b := sampleBaseline(t)
	if got := b.IDs(); !reflect.DeepEqual(got, []spec.ID{spec.HttpMetaStatus, spec.HttpOrigin}) {
		t.Errorf("IDs %v", got)
	}
	if r, ok := b.Reason(spec.HttpMetaStatus); !ok || r != "the gateway answers 200 # on purpose" {
		t.Errorf("reason %q %v", r, ok)
	}
	for name, text := range map[string]string{
		"unknown id":  "HTTP-ORIGN typo\n",
		"lower case":  "http-origin reason\n",
		"no reason":   "HTTP-ORIGIN\n",
		"no reason 2": "HTTP-ORIGIN   \t \n",
		"twice":       "HTTP-ORIGIN a\nHTTP-ORIGIN b\n",
		"too large":   strings.Repeat("# x\n", baselineMax/4+1),
	} {
		if _, err := parseBaseline(strings.NewReader(text), "f"); err == nil {
			t.Errorf("%s: accepted", name)
		} else if !strings.HasPrefix(err.Error(), "baseline f") && !strings.HasPrefix(err.Error(), "read baseline f") {
			t.Errorf("%s: error %q does not name the file", name, err)
		}
	}
	if b, err := parseBaseline(strings.NewReader(""), "empty"); err != nil || len(b.IDs()) != 0 {
		t.Errorf("empty file: %v %v", b, err)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "b.txt")
	os.WriteFile(p, []byte("HTTP-ORIGIN reason\n"), 0o644)
	if b, err := LoadBaseline(p); err != nil || len(b.IDs()) != 1 {
		t.Errorf("LoadBaseline: %v %v", b, err)
	}
	if _, err := LoadBaseline(filepath.Join(dir, "missing")); err == nil {
		t.Error("LoadBaseline of a missing file: no error")
	}
}

func TestBaselineApply(t *testing.T) {
	r := sampleReport()
	if !r.Failed() {
		t.Fatal("sample report does not fail")
	}
	stale := sampleBaseline(t).Apply(r)
	if !reflect.DeepEqual(stale, []string{"HTTP-ORIGIN"}) {
		t.Errorf("stale %v", stale)
	}
	if res, _ := r.Result(spec.HttpMetaStatus); res.Baselined == "" || res.Status != check.Fail || res.Stale {
		t.Errorf("baselined failure: %+v", res)
	}
	if res, _ := r.Result(spec.HttpOrigin); !res.Stale || res.Baselined == "" {
		t.Errorf("stale pass: %+v", res)
	}
	if !r.Failed() {
		t.Error("CORE-META-REQUIRED still fails, but Failed is false")
	}
	// Baselining the remaining failure makes the run pass.
	b, err := parseBaseline(strings.NewReader("CORE-META-REQUIRED known\nHTTP-META-STATUS known\n"), "b2")
	if err != nil {
		t.Fatal(err)
	}
	if stale := b.Apply(r); len(stale) != 0 || r.Failed() {
		t.Errorf("all baselined: stale %v, failed %v", stale, r.Failed())
	}
	// Apply replaces earlier marks.
	if res, _ := r.Result(spec.HttpOrigin); res.Stale || res.Baselined != "" {
		t.Errorf("mark of the earlier baseline kept: %+v", res)
	}
	// A nil baseline clears marks and does not panic; a nil report neither.
	var none *KnownFailures
	none.Apply(r)
	none.Apply(nil)
	if !r.Failed() {
		t.Error("nil baseline: marks kept")
	}
}

// docFields reads the field names of a "### name" table of the schema doc.
func docFields(t *testing.T, doc, section string) []string {
	t.Helper()
	i := strings.Index(doc, "\n### "+section+"\n")
	if i < 0 {
		t.Fatalf("docs/report-schema.md has no section %q", section)
	}
	var out []string
	row := regexp.MustCompile("^\\| `([a-zA-Z]+)` \\|")
	sc := bufio.NewScanner(strings.NewReader(doc[i+len(section)+6:]))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "### ") || strings.HasPrefix(line, "## ") {
			break
		}
		if m := row.FindStringSubmatch(line); m != nil {
			out = append(out, m[1])
		}
	}
	if len(out) == 0 {
		t.Fatalf("section %q documents no field", section)
	}
	return out
}

// docReport is the shape docs/report-schema.md documents.
type docReport struct {
	SchemaVersion int         `json:"schemaVersion"`
	Tool          string      `json:"tool"`
	ToolVersion   string      `json:"toolVersion"`
	Target        string      `json:"target"`
	Instances     []string    `json:"instances"`
	Revision      string      `json:"revision"`
	Seed          string      `json:"seed"`
	Era           string      `json:"era"`
	Exchanges     int         `json:"exchanges"`
	Judgments     int         `json:"judgments"`
	DurationMs    int64       `json:"durationMs"`
	Stderr        string      `json:"stderr"`
	Failed        bool        `json:"failed"`
	Incomplete    string      `json:"incomplete"`
	Interrupted   bool        `json:"interrupted"`
	Counts        docCounts   `json:"counts"`
	Results       []docResult `json:"results"`
}

type docCounts struct {
	Pass         int `json:"pass"`
	Fail         int `json:"fail"`
	Warn         int `json:"warn"`
	Skip         int `json:"skip"`
	Inconclusive int `json:"inconclusive"`
	Baselined    int `json:"baselined"`
	Stale        int `json:"stale"`
}

type docResult struct {
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
	Trace       string `json:"trace"`
	TraceFile   string `json:"traceFile"`
	Baselined   string `json:"baselined"`
	Stale       bool   `json:"stale"`
	Tries       int    `json:"tries"`
	Reproduced  int    `json:"reproduced"`
	Cause       string `json:"cause"`
	FirstFailMs *int64 `json:"firstFailMs"`
}

func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// union collects the keys of the objects in ms.
func union(ms ...map[string]any) map[string]bool {
	out := map[string]bool{}
	for _, m := range ms {
		for k := range m {
			out[k] = true
		}
	}
	return out
}

// TestJSONReportSchema: the JSON report round-trips into the documented
// shape; every documented field appears (in a report with a result of
// every kind) and every field that appears is documented; the doc's
// example is in the documented shape.
func TestJSONReportSchema(t *testing.T) {
	docBytes, err := os.ReadFile("../../docs/report-schema.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(docBytes)

	r := sampleReport()
	sampleBaseline(t).Apply(r)
	if err := SaveTraces(t.TempDir(), r); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var got docReport
	if err := decodeStrict(buf.Bytes(), &got); err != nil {
		t.Fatalf("the report is not in the documented shape: %v\n%s", err, buf.String())
	}
	if got.SchemaVersion != 1 || got.Tool != "mcpverify" || got.ToolVersion != ToolVersion() || got.Target != r.Target ||
		got.Revision != wire.Version || got.Seed != "4611686018427400249" || got.Era != "modern" || got.Exchanges != 12 ||
		got.Judgments != 99 || got.DurationMs != 1500 || got.Stderr != r.Stderr || !got.Failed {
		t.Errorf("report fields: %+v", got)
	}
	wantCounts := docCounts{Pass: 1, Fail: 2, Warn: 1, Skip: 1, Inconclusive: 1, Baselined: 1, Stale: 1}
	if got.Counts != wantCounts {
		t.Errorf("counts %+v, want %+v", got.Counts, wantCounts)
	}
	if len(got.Results) != len(r.Results) {
		t.Fatalf("%d results, want %d", len(got.Results), len(r.Results))
	}
	for i, g := range got.Results {
		w := r.Results[i]
		req := spec.MustLookup(w.ID)
		if g.ID != string(w.ID) || g.Area != w.ID.Area() || g.Level != string(w.Level) || g.Requirement != req.Text ||
			g.Source != req.Source || g.Section != req.Section || g.Status != string(w.Status) || g.Message != w.Message ||
			g.Check != w.Check || g.Count != w.Count || g.Revision != wire.Version || g.TraceFile != w.TraceFile ||
			g.Baselined != w.Baselined || g.Stale != w.Stale || g.Tries != w.Tries || g.Reproduced != w.Reproduced || g.Cause != w.Cause {
			t.Errorf("result %d: got %+v, want %+v", i, g, w)
		}
		// firstFailMs: on failures and warnings only, whole milliseconds.
		switch {
		case w.Status != check.Fail && w.Status != check.Warn:
			if g.FirstFailMs != nil {
				t.Errorf("%s (%s): firstFailMs %d, want none", g.ID, g.Status, *g.FirstFailMs)
			}
		case g.FirstFailMs == nil || *g.FirstFailMs != w.FirstFail.Milliseconds():
			t.Errorf("%s (%s): firstFailMs %v, want %d", g.ID, g.Status, g.FirstFailMs, w.FirstFail.Milliseconds())
		}
		if (w.Trace != nil) != (g.Trace != "") {
			t.Errorf("%s: trace %q", g.ID, g.Trace)
		} else if w.Trace != nil {
			if _, err := trace.Parse([]byte(g.Trace)); err != nil {
				t.Errorf("%s: the inline trace does not parse: %v", g.ID, err)
			}
		}
	}

	// Documented fields == fields present.
	var raw struct {
		Counts  map[string]any   `json:"counts"`
		Results []map[string]any `json:"results"`
	}
	var top map[string]any
	json.Unmarshal(buf.Bytes(), &top)
	json.Unmarshal(buf.Bytes(), &raw)
	for _, c := range []struct {
		section string
		present map[string]bool
	}{
		{"Report", union(top)},
		{"Counts", union(raw.Counts)},
		{"Result", union(raw.Results...)},
	} {
		documented := map[string]bool{}
		for _, f := range docFields(t, doc, c.section) {
			documented[f] = true
			if !c.present[f] {
				t.Errorf("%s: documented field %q missing from the report", c.section, f)
			}
		}
		for f := range c.present {
			if !documented[f] {
				t.Errorf("%s: field %q is not documented", c.section, f)
			}
		}
	}

	// The doc's example is in the documented shape.
	ex := regexp.MustCompile("(?s)### Example\n\n```json\n(.*?)\n```").FindStringSubmatch(doc)
	if ex == nil {
		t.Fatal("docs/report-schema.md has no JSON example")
	}
	var exReport docReport
	if err := decodeStrict([]byte(ex[1]), &exReport); err != nil || exReport.SchemaVersion != JSONSchemaVersion {
		t.Errorf("the documented example is not in the documented shape: %v", err)
	}
	for _, res := range exReport.Results {
		req, ok := spec.Lookup(spec.ID(res.ID))
		if !ok || req.Text != res.Requirement || string(req.Level) != res.Level || req.Source != res.Source || req.Section != res.Section {
			t.Errorf("example result %s does not match the catalog", res.ID)
		}
	}

	// An empty report has "results": [] and no stderr.
	buf.Reset()
	if err := WriteJSON(&buf, &check.Report{}); err != nil {
		t.Fatal(err)
	}
	top = nil
	json.Unmarshal(buf.Bytes(), &top)
	if res, ok := top["results"].([]any); !ok || len(res) != 0 {
		t.Errorf("empty report: results %v", top["results"])
	}
	if _, ok := top["stderr"]; ok {
		t.Error("empty report has stderr")
	}
	if err := WriteJSON(&buf, nil); err == nil {
		t.Error("nil report: no error")
	}
}

// junitDoc is JUnit XML as CI systems read it.
type junitDoc struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Skipped  int      `xml:"skipped,attr"`
	Suites   []struct {
		Name       string `xml:"name,attr"`
		Tests      int    `xml:"tests,attr"`
		Failures   int    `xml:"failures,attr"`
		Skipped    int    `xml:"skipped,attr"`
		Properties []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"properties>property"`
		Cases []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
			Time      string `xml:"time,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
			SystemOut string `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestJUnitReport(t *testing.T) {
	r := sampleReport()
	sampleBaseline(t).Apply(r)
	// Hostile server text: XML-invalid characters and a CDATA terminator.
	for i := range r.Results {
		if r.Results[i].ID == spec.CoreMetaRequired {
			r.Results[i].Message += " \x00\x01 ]]> \xff"
		}
	}
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, r); err != nil {
		t.Fatal(err)
	}
	var d junitDoc
	if err := xml.Unmarshal(buf.Bytes(), &d); err != nil {
		t.Fatalf("not valid XML: %v\n%s", err, buf.String())
	}
	if d.Tests != 6 || d.Failures != 1 || d.Skipped != 4 {
		t.Errorf("totals: %d tests, %d failures, %d skipped; want 6, 1, 4", d.Tests, d.Failures, d.Skipped)
	}
	var names []string
	kinds := map[string]string{}
	for _, s := range d.Suites {
		names = append(names, s.Name)
		if len(s.Cases) != s.Tests {
			t.Errorf("suite %s: tests=%d, %d testcases", s.Name, s.Tests, len(s.Cases))
		}
		props := map[string]string{}
		for _, p := range s.Properties {
			props[p.Name] = p.Value
		}
		if props["target"] != r.Target || props["seed"] != "4611686018427400249" || props["revision"] != wire.Version {
			t.Errorf("suite %s: properties %v", s.Name, props)
		}
		for _, c := range s.Cases {
			if !strings.HasPrefix(c.Name, s.Name+"-") {
				t.Errorf("testcase %s in suite %s", c.Name, s.Name)
			}
			// The classname is the area, whichever check decided; the
			// time is the deciding check's, 0 when it is not known.
			res, _ := r.Result(spec.ID(c.Name))
			if c.Classname != s.Name {
				t.Errorf("%s: classname %q, want its area %q", c.Name, c.Classname, s.Name)
			}
			wantTime := map[string]string{"meta/required-fields": "1.234", "origin/foreign": "0.020"}[res.Check]
			if wantTime == "" {
				wantTime = "0.000"
			}
			if c.Time != wantTime {
				t.Errorf("%s (check %s): time %q, want %q", c.Name, res.Check, c.Time, wantTime)
			}
			switch {
			case c.Failure != nil:
				kinds[c.Name] = "failure"
				if c.Failure.Type != "MUST" || !strings.Contains(c.Failure.Text, "trace:") || !strings.Contains(c.Failure.Text, "-32602 & HTTP 400") || !strings.Contains(c.Failure.Text, "]]>") {
					t.Errorf("%s: failure %+v", c.Name, c.Failure)
				}
			case c.Skipped != nil:
				kinds[c.Name] = strings.SplitN(c.Skipped.Message, ":", 2)[0]
			default:
				kinds[c.Name] = "pass"
			}
		}
	}
	if !reflect.DeepEqual(names, []string{"CORE", "HTTP", "STDIO", "STATE"}) {
		t.Errorf("suites %v", names)
	}
	want := map[string]string{
		"CORE-META-REQUIRED":       "failure",
		"CORE-DISCOVER-SERVERINFO": "warning",
		"HTTP-META-STATUS":         "known failure (the gateway answers 200 # on purpose)",
		"HTTP-ORIGIN":              "pass",
		"STATE-INTEGRITY":          "not applicable",
		"STDIO-STDERR":             "inconclusive",
	}
	if !reflect.DeepEqual(kinds, want) {
		t.Errorf("testcases %v\nwant %v", kinds, want)
	}
	if err := WriteJUnit(&buf, nil); err == nil {
		t.Error("nil report: no error")
	}
}

func TestTextReport(t *testing.T) {
	r := sampleReport()
	sampleBaseline(t).Apply(r)
	r.Results[0].Message += " " + strings.Repeat("x", 100) // a word longer than a line
	var buf bytes.Buffer
	WriteText(&buf, r, TextOptions{TraceDir: "traces"})
	out := buf.String()
	flat := strings.Join(strings.Fields(out), " ")
	for _, want := range []string{
		"area", "inconclusive", "known", "CORE", "STDIO", "total",
		"Failures (1):", "FAIL CORE-META-REQUIRED (MUST)", "found: got \\x1b[31maccepted\\x1b[0m", "\\u202e",
		"check: meta/required-fields, 3 exchange(s)", `spec: basic/index.mdx, "_meta / Per-request protocol fields"`,
		"trace: " + filepath.Join("traces", "CORE-META-REQUIRED.txtar"),
		"Warnings (1):", "WARN CORE-DISCOVER-SERVERINFO (SHOULD), 2 of 5 tries",
		"Known failures, baselined (1):", "known: the gateway answers 200",
		"Stale baseline entries", "HTTP-ORIGIN: fixed in 2.1",
		"-v lists every result", "seed 4611686018427400249", "modern", "2 failed (1 known)",
		"cause: the server serves requests without _meta; one cause with HTTP-META-STATUS",
		"and http://127.0.0.1:2/mcp: 2 instances of one deployment",
		"INCOMPLETE: the server stopped answering: 6 of 9 requests got no answer (timed-out).", "INTERRUPTED: the run was stopped",
		"Inconclusive (1):", "STDIO-STDERR (MAY): the server did not serve the baseline request",
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b") || strings.Contains(out, "\u202e") {
		t.Error("server text reached the terminal unescaped")
	}
	if strings.Contains(out, "PASS HTTP-ORIGIN") || strings.Contains(out, "SKIP STATE-INTEGRITY") {
		t.Error("passes or skips listed without -v")
	}
	checkWidth(t, out)

	buf.Reset()
	WriteText(&buf, r, TextOptions{Verbose: true})
	out = buf.String()
	for _, want := range []string{"INCONCLUSIVE STDIO-STDERR", "SKIP STATE-INTEGRITY", "PASS HTTP-ORIGIN (MUST) stale baseline entry", "unsure: the server did not serve"} {
		if !strings.Contains(out, want) {
			t.Errorf("verbose text report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "trace: ") {
		t.Error("trace path printed though no traces were saved")
	}
	checkWidth(t, out)
	WriteText(&buf, nil, TextOptions{}) // no panic
}

// checkWidth: every line fits 80 columns, unless it is one long word.
func checkWidth(t *testing.T, out string) {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if utf8.RuneCountInString(l) > textWidth && strings.Contains(strings.TrimSpace(l), " ") {
			t.Errorf("line longer than %d columns: %q", textWidth, l)
		}
	}
}

func TestSaveTraces(t *testing.T) {
	r := sampleReport()
	dir := filepath.Join(t.TempDir(), "a", "b")
	if err := SaveTraces(dir, r); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, res := range r.Results {
		if res.Trace == nil {
			if res.TraceFile != "" {
				t.Errorf("%s: trace file without a trace", res.ID)
			}
			continue
		}
		n++
		data, err := os.ReadFile(res.TraceFile)
		if err != nil || res.TraceFile != filepath.Join(dir, string(res.ID)+".txtar") {
			t.Errorf("%s: %q: %v", res.ID, res.TraceFile, err)
			continue
		}
		if tr, err := trace.Parse(data); err != nil || tr.Get("want") != string(res.ID) {
			t.Errorf("%s: saved trace: %v", res.ID, err)
		}
	}
	if n != 3 {
		t.Errorf("%d traces saved, want 3", n)
	}
}

func TestWrapAndClean(t *testing.T) {
	if got := Clean("a\x1bb\u200bc\xffd\n"); got != `a\x1bb\u200bc\xffd\n` {
		t.Errorf("clean: %q", got)
	}
	if got := Clean("plain – ünïcode"); got != "plain – ünïcode" {
		t.Errorf("clean changed printable text: %q", got)
	}
	lines := wrapText("  one two three four five six", "    ", 14)
	if !reflect.DeepEqual(lines, []string{"  one two", "    three four", "    five six"}) {
		t.Errorf("wrap: %q", lines)
	}
	if got := wrapText("", "", 10); !reflect.DeepEqual(got, []string{""}) {
		t.Errorf("wrap empty: %q", got)
	}
}

func TestWriteHTML(t *testing.T) {
	r := sampleReportForHTML()
	var b strings.Builder
	if err := WriteHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"<!DOCTYPE html>", "HTTP-ORIGIN", "&lt;script&gt;", "-- 1.request --"} {
		if !strings.Contains(out, want) {
			t.Errorf("HTML report lacks %q", want)
		}
	}
	if strings.Contains(out, "<script>alert") {
		t.Error("server text reached the page unescaped")
	}
}

func sampleReportForHTML() *check.Report {
	return &check.Report{Target: "http://127.0.0.1:1/mcp", Revision: "2026-07-28", Era: check.Modern, Exchanges: 2,
		Results: []check.Result{
			{ID: spec.HttpOrigin, Level: spec.Must, Status: check.Fail, Requirement: "Origin", Message: "got <script>alert(1)</script>",
				Trace: &trace.Trace{Exchanges: []*wire.Exchange{{Transport: wire.HTTP, Body: []byte(`{}`), Status: 200}}}},
			{ID: spec.CoreResultType, Level: spec.Must, Status: check.Pass, Message: "judged"},
		}}
}
