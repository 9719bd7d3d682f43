package report

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/trace"
)

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
	Time      string        `xml:"time,attr"`
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
// testcase per requirement judged (name: the ID; classname: its area, the
// ID's prefix, the same from run to run whichever check decided it; time:
// the seconds the deciding check ran, 0 when that is not known, as for
// the model's passive judgment). A failure is a <failure> (type: the level); a baselined
// failure, a warning, an inconclusive and a skipped requirement are
// <skipped> with a message that starts with what it is ("known failure",
// "warning", "inconclusive", "not applicable"); a pass is a plain
// testcase. With --strict, warnings are already failures in the report.
func WriteJUnit(w io.Writer, r *check.Report) error {
	if r == nil {
		return errors.New("write junit report: no report")
	}
	props := []junitProperty{
		{"target", r.Target}, {"revision", r.Revision}, {"seed", strconv.FormatInt(r.Seed, 10)},
		{"era", string(r.Era)}, {"exchanges", strconv.Itoa(r.Exchanges)}, {"toolVersion", ToolVersion()},
	}
	out := junitSuites{Name: "mcpverify", Time: seconds(r.Duration)}
	index := map[string]int{}
	var suites []junitSuite
	for _, area := range areaOrder(r.Results) {
		suites = append(suites, junitSuite{Name: area, Properties: props})
		index[area] = len(suites) - 1
	}
	for _, res := range r.Results {
		s := &suites[index[res.ID.Area()]]
		tc := junitCase{Name: string(res.ID), Classname: res.ID.Area(), Time: seconds(r.CheckTimes[res.Check])}
		details := junitDetails(res)
		switch {
		case res.Status == check.Fail && res.Baselined == "":
			tc.Failure = &junitMessage{Message: res.Message, Type: string(res.Level), Text: xmlText(details)}
			s.Failures++
		case res.Status == check.Fail || res.Status == check.Warn:
			what := "warning"
			if res.Baselined != "" {
				what = "known failure (" + res.Baselined + ")"
			}
			tc.Skipped = &junitMessage{Message: what + ": " + res.Message}
			tc.SystemOut = &junitText{xmlText(details)}
			s.Skipped++
		case res.Status == check.Inconclusive:
			tc.Skipped = &junitMessage{Message: "inconclusive: " + res.Message}
			s.Skipped++
		case res.Status == check.Skip:
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

// seconds is a JUnit time attribute: seconds, to the millisecond.
func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

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
func junitDetails(res check.Result) string {
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
