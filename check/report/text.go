package report

import (
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/spec"
)

// TextOptions shape the terminal report.
type TextOptions struct {
	// Verbose lists every requirement judged, not only failures and
	// warnings.
	Verbose bool
	// TraceDir is where traces were saved (their paths are printed). A
	// result's TraceFile, when set, takes precedence.
	TraceDir string
	// Stale lists baselined checks that now pass. When nil, the results
	// marked Stale (KnownFailures.Apply) are listed.
	Stale []string
}

// textWidth is the width the terminal report is laid out for.
const textWidth = 80

// WriteText writes a report for a terminal, laid out for 80 columns:
//
//   - a table of results by area (the ID prefixes, spec.Areas) with a
//     count per status, and the baselined ("known") failures and warnings;
//   - each failure, then each warning, then each known (baselined) one:
//     status, ID, level, the catalog's paraphrase, what was seen (the
//     result's message), the check that found it, the spec source and
//     section, and the saved trace's path;
//   - with Verbose, every other result too (inconclusive, skipped,
//     passed), each with its message and check;
//   - the stale baseline entries (baselined requirements that now pass);
//   - one summary: target, era, exchanges, judgments, duration, seed and
//     the counts.
//
// Text that came from the server (in messages) is written with control
// and format characters escaped, so a hostile server cannot drive the
// terminal. Write errors are ignored: the report is best effort.
func WriteText(w io.Writer, r *check.Report, o TextOptions) {
	if r == nil {
		return
	}
	tw := &textWriter{w: w, causes: map[string][]spec.ID{}}
	c := countResults(r.Results)
	for _, res := range r.Results {
		if res.Cause != "" {
			tw.causes[res.Cause] = append(tw.causes[res.Cause], res.ID)
		}
	}

	tw.linef("mcpverify %s: %s (MCP %s)", ToolVersion(), Clean(r.Target), r.Revision)
	if len(r.Instances) > 0 {
		tw.wrap("  ", fmt.Sprintf("and %s: %d instances of one deployment, requests spread across them", Clean(strings.Join(r.Instances, ", ")), len(r.Instances)+1))
	}
	if r.Interrupted {
		tw.wrap("  ", "INTERRUPTED: the run was stopped; what follows is what was judged until then.")
	}
	if r.Incomplete != "" {
		tw.wrap("  ", "INCOMPLETE: "+Clean(r.Incomplete)+".")
	}
	tw.line("")
	writeAreaTable(tw, r.Results)

	var failed, warned, known, rest []check.Result
	for _, res := range r.Results {
		switch {
		case (res.Status == check.Fail || res.Status == check.Warn) && res.Baselined != "":
			known = append(known, res)
		case res.Status == check.Fail:
			failed = append(failed, res)
		case res.Status == check.Warn:
			warned = append(warned, res)
		default:
			rest = append(rest, res)
		}
	}
	tw.section("Failures", failed, o)
	tw.section("Warnings", warned, o)
	tw.section("Known failures, baselined", known, o)
	if o.Verbose {
		sort.SliceStable(rest, func(i, j int) bool { return statusRank(rest[i].Status) < statusRank(rest[j].Status) })
		tw.section("Other results", rest, o)
	} else {
		// What could not be judged is said, one line each with its reason.
		var unsure []check.Result
		for _, res := range rest {
			if res.Status == check.Inconclusive {
				unsure = append(unsure, res)
			}
		}
		if len(unsure) > 0 {
			tw.line("")
			tw.linef("Inconclusive (%d):", len(unsure))
			for _, res := range unsure {
				tw.wrap("      ", fmt.Sprintf("  %s (%s): %s", res.ID, res.Level, Clean(res.Message)))
			}
		}
		if n := c.status[check.Skip]; n > 0 {
			tw.line("")
			tw.wrap("", fmt.Sprintf("%d skipped requirement(s) are not listed; -v lists every result.", n))
		}
	}

	stale := o.Stale
	if stale == nil {
		for _, res := range r.Results {
			if res.Stale {
				stale = append(stale, string(res.ID))
			}
		}
	}
	if len(stale) > 0 {
		tw.line("")
		tw.line("Stale baseline entries (these now pass; remove them from the baseline):")
		for _, id := range stale {
			why := ""
			if res, ok := r.Result(spec.ID(id)); ok && res.Baselined != "" {
				why = ": " + res.Baselined
			}
			tw.wrap("      ", "  "+Clean(id)+why)
		}
	}

	tw.line("")
	era := string(r.Era)
	if era == "" {
		era = "era unknown"
	}
	tw.wrap("  ", fmt.Sprintf("%s (%s): %d exchanges, %d judgments in %s, seed %d: %s",
		Clean(r.Target), era, r.Exchanges, r.Judgments, r.Duration.Round(time.Millisecond), r.Seed, c.summary()))
}

// textWriter writes lines and wrapped paragraphs.
type textWriter struct {
	w io.Writer
	// causes lists the findings of each shared cause (Result.Cause).
	causes map[string][]spec.ID
}

func (t *textWriter) line(s string) { io.WriteString(t.w, s+"\n") }

func (t *textWriter) linef(format string, args ...any) { t.line(fmt.Sprintf(format, args...)) }

// wrap writes s word-wrapped to textWidth; continuation lines start with
// indent. A word longer than a line (a URL) gets a line of its own.
func (t *textWriter) wrap(indent, s string) {
	for _, l := range wrapText(s, indent, textWidth) {
		t.line(l)
	}
}

// field writes "  label: value", the value wrapped under itself.
func (t *textWriter) field(label, value string) {
	if value == "" {
		return
	}
	head := "  " + label + ": "
	pad := strings.Repeat(" ", len(head))
	lines := wrapText(pad+value, pad, textWidth)
	lines[0] = head + lines[0][len(pad):]
	for _, l := range lines {
		t.line(l)
	}
}

// section writes one heading and the entries of results.
func (t *textWriter) section(title string, results []check.Result, o TextOptions) {
	if len(results) == 0 {
		return
	}
	t.line("")
	t.linef("%s (%d):", title, len(results))
	for _, res := range results {
		t.line("")
		t.entry(res, o)
	}
}

// entry writes one result.
func (t *textWriter) entry(res check.Result, o TextOptions) {
	req, _ := spec.Lookup(res.ID)
	level := res.Level
	if level == "" {
		level = req.Level
	}
	head := fmt.Sprintf("%s %s", strings.ToUpper(string(res.Status)), res.ID)
	if level != "" {
		head += " (" + string(level) + ")"
	}
	if res.Stale {
		head += " stale baseline entry"
	}
	if res.Tries > 1 && (res.Status == check.Fail || res.Status == check.Warn) {
		head += fmt.Sprintf(", %d of %d tries", res.Reproduced, res.Tries)
	}
	t.line(head)
	text := res.Requirement
	if text == "" {
		text = req.Text
	}
	t.wrap("  ", "  "+Clean(text))
	if res.Baselined != "" {
		t.field("known", Clean(res.Baselined))
	}
	label := "found"
	switch res.Status {
	case check.Pass:
		label = "passed"
	case check.Skip:
		label = "skipped"
	case check.Inconclusive:
		label = "unsure"
	}
	t.field(label, Clean(res.Message))
	if res.Cause != "" {
		var with []string
		for _, id := range t.causes[res.Cause] {
			if id != res.ID {
				with = append(with, string(id))
			}
		}
		t.field("cause", Clean(res.Cause)+"; one cause with "+strings.Join(with, ", "))
	}
	chk := Clean(res.Check)
	if res.Count > 0 && (res.Status == check.Fail || res.Status == check.Warn) {
		chk += fmt.Sprintf(", %d exchange(s) or probe(s)", res.Count)
	}
	t.field("check", chk)
	if res.Status == check.Fail || res.Status == check.Warn {
		if req.Source != "" {
			t.field("spec", fmt.Sprintf("%s, %q", req.Source, req.Section))
		}
		if p := tracePath(res, o.TraceDir); p != "" {
			t.field("trace", Clean(p))
		}
	}
}

// tracePath is where res's trace was saved, or "".
func tracePath(res check.Result, dir string) string {
	switch {
	case res.TraceFile != "":
		return res.TraceFile
	case dir != "" && res.Trace != nil:
		return filepath.Join(dir, string(res.ID)+".txtar")
	}
	return ""
}

func statusRank(s check.Status) int {
	switch s {
	case check.Fail:
		return 0
	case check.Warn:
		return 1
	case check.Inconclusive:
		return 2
	case check.Skip:
		return 3
	}
	return 4
}

// counts are the numbers of results per status, and of the baselined
// failures and warnings ("known") and stale entries among them.
type counts struct {
	status       map[check.Status]int
	known, stale int
	total        int
}

func countResults(rs []check.Result) counts {
	c := counts{status: map[check.Status]int{}}
	for _, r := range rs {
		c.add(r)
	}
	return c
}

func (c *counts) add(r check.Result) {
	c.status[r.Status]++
	c.total++
	if r.Baselined != "" && (r.Status == check.Fail || r.Status == check.Warn) {
		c.known++
	}
	if r.Stale {
		c.stale++
	}
}

// summary is "2 failed (1 known), 1 warning, 80 passed, ...".
func (c counts) summary() string {
	fails := fmt.Sprintf("%d failed", c.status[check.Fail])
	if c.known > 0 {
		fails += fmt.Sprintf(" (%d known)", c.known)
	}
	s := fmt.Sprintf("%s, %d warning(s), %d passed, %d skipped, %d inconclusive",
		fails, c.status[check.Warn], c.status[check.Pass], c.status[check.Skip], c.status[check.Inconclusive])
	if c.stale > 0 {
		s += fmt.Sprintf(", %d stale baseline entr%s", c.stale, map[bool]string{true: "y", false: "ies"}[c.stale == 1])
	}
	return s
}

// areaOrder is spec.Areas, then any other area seen, sorted.
func areaOrder(rs []check.Result) []string {
	known := map[string]bool{}
	out := append([]string(nil), spec.Areas...)
	for _, a := range spec.Areas {
		known[a] = true
	}
	var extra []string
	for _, r := range rs {
		if a := r.ID.Area(); !known[a] {
			known[a] = true
			extra = append(extra, a)
		}
	}
	sort.Strings(extra)
	return append(out, extra...)
}

// writeAreaTable writes the counts by area: one row per area with
// results, and a total.
func writeAreaTable(t *textWriter, rs []check.Result) {
	by := map[string]*counts{}
	for _, r := range rs {
		a := r.ID.Area()
		if by[a] == nil {
			c := countResults(nil)
			by[a] = &c
		}
		by[a].add(r)
	}
	row := func(name string, c counts) {
		t.linef("%-8s %6d %6d %6d %6d %13d %6d", name, c.status[check.Pass], c.status[check.Fail], c.status[check.Warn], c.status[check.Skip], c.status[check.Inconclusive], c.known)
	}
	t.linef("%-8s %6s %6s %6s %6s %13s %6s", "area", "pass", "fail", "warn", "skip", "inconclusive", "known")
	for _, a := range areaOrder(rs) {
		if by[a] != nil {
			row(a, *by[a])
		}
	}
	row("total", countResults(rs))
}

// Clean escapes what a terminal would interpret: control characters,
// Unicode format characters (bidirectional overrides, zero-width) and
// invalid UTF-8, each written as a Go escape.
func Clean(s string) string {
	ok := true
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// wrapText splits s into lines of at most width columns (counting runes),
// breaking at spaces; lines after the first start with indent (counted in
// the width). A word longer than a line is not broken.
func wrapText(s, indent string, width int) []string {
	var lines []string
	var cur strings.Builder
	curLen := 0
	// Keep the leading spaces of the first line (an indent of its own).
	lead := len(s) - len(strings.TrimLeft(s, " "))
	cur.WriteString(s[:lead])
	curLen = lead
	empty := true
	for _, word := range strings.Fields(s[lead:]) {
		wl := utf8.RuneCountInString(word)
		if !empty && curLen+1+wl > width {
			lines = append(lines, cur.String())
			cur.Reset()
			cur.WriteString(indent)
			curLen = utf8.RuneCountInString(indent)
			empty = true
		}
		if !empty {
			cur.WriteByte(' ')
			curLen++
		}
		cur.WriteString(word)
		curLen += wl
		empty = false
	}
	return append(lines, cur.String())
}
