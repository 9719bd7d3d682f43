package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mcpverify/mcpverify/check/internal/faulty"
	"github.com/mcpverify/mcpverify/spec"
)

// cannedReport is a JSON report (the members the matrix reads, and one it
// does not) with three findings and a pass.
const cannedReport = `{
  "schemaVersion": 1, "tool": "mcpverify", "incomplete": "",
  "results": [
    {"id": "AUTH-INVALID-401", "status": "fail", "firstFailMs": 912},
    {"id": "AUTH-TYP", "status": "warn", "firstFailMs": 300},
    {"id": "HTTP-ORIGIN", "status": "fail", "firstFailMs": 5},
    {"id": "CORE-META-REQUIRED", "status": "pass"}
  ]
}`

func entry(name string, kind faulty.Kind, breaks ...spec.ID) faulty.Entry {
	return faulty.Entry{Name: name, Kind: kind, Breaks: breaks}
}

func TestJudgeCheck(t *testing.T) {
	rep := []byte(cannedReport)
	for _, c := range []struct {
		name   string
		e      faulty.Entry
		r      checkRun
		want   outcome
		caught bool
	}{
		{"caught, the least firstFailMs of the Breaks, the others extra",
			entry("v", faulty.KindHTTP, spec.AuthInvalid401, spec.AuthTyp, spec.AuthAudience), checkRun{Exit: 3, JSON: rep},
			outcome{Status: "caught", Hit: []string{"AUTH-INVALID-401", "AUTH-TYP"}, Extra: []string{"HTTP-ORIGIN"}, FirstMs: 300, Exit: 3}, true},
		{"missed: no Breaks reported, the findings all extra",
			entry("v", faulty.KindHTTP, spec.AuthAudience), checkRun{Exit: 3, JSON: rep},
			outcome{Status: "missed", Extra: []string{"AUTH-INVALID-401", "AUTH-TYP", "HTTP-ORIGIN"}, FirstMs: -1, Exit: 3}, false},
		{"hung: killed after its timeout, whatever it wrote",
			entry("v", faulty.KindHTTP, spec.AuthInvalid401), checkRun{Exit: -1, Hung: true, JSON: rep},
			outcome{Status: "hung", FirstMs: -1, Exit: -1}, false},
		{"crashed: died of a signal",
			entry("v", faulty.KindHTTP, spec.AuthInvalid401), checkRun{Exit: -1, Signal: "segmentation fault"},
			outcome{Status: "crashed", FirstMs: -1, Exit: -1}, false},
		{"crashed: an exit status mcpverify does not have, no report",
			entry("v", faulty.KindHTTP, spec.AuthInvalid401), checkRun{Exit: 2},
			outcome{Status: "crashed", FirstMs: -1, Exit: 2}, false},
		{"no report: could not run",
			entry("v", faulty.KindHTTP, spec.AuthInvalid401), checkRun{Exit: 1, JSON: []byte("{")},
			outcome{Status: "no report", FirstMs: -1, Exit: 1}, false},
		{"a hostile server survived: not green",
			entry("h", faulty.KindHostile), checkRun{Exit: 4, JSON: []byte(`{"schemaVersion":1,"incomplete":"the server stopped answering","results":[]}`)},
			outcome{Status: "survived", FirstMs: -1, Exit: 4, Incomplete: "the server stopped answering"}, false},
		{"a hostile server the run passed",
			entry("h", faulty.KindHostile), checkRun{Exit: 0, JSON: []byte(`{"schemaVersion":1,"results":[]}`)},
			outcome{Status: "green", FirstMs: -1}, false},
		{"the reference with findings: false positives",
			entry(faulty.Reference, faulty.KindHTTP), checkRun{Exit: 3, JSON: rep},
			outcome{Status: "false positive", Extra: []string{"AUTH-INVALID-401", "AUTH-TYP", "HTTP-ORIGIN"}, FirstMs: -1, Exit: 3}, false},
	} {
		got := judgeCheck(c.e, c.r)
		if !reflect.DeepEqual(got, c.want) || got.Caught() != c.caught {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, got, c.want)
		}
	}
}

// cannedSuite is the summary the official suite prints (shortened).
const cannedSuite = `Running requirements 2026-07-28 (5 scenarios) against http://127.0.0.1:1/mcp

=== Running scenario: server-stateless ===
✓ server-stateless: 4 passed, 0 failed
✗ tools-call-error: 1 passed, 2 failed
✓ caching: 8 passed, 0 failed
✗ tasks-lifecycle: 1 passed, 8 failed
✓ json-schema-2020-12: 8 passed, 0 failed

Total: 22 passed, 10 failed

Not scored for 2026-07-28: 2 scenario(s) run, 1 failing. These do not affect conformance.
  ✗ tasks-lifecycle (extension)
  ✓ json-schema-2020-12 (pending)
`

func TestParseSuite(t *testing.T) {
	s := parseSuite(cannedSuite)
	wantPassed := map[string]bool{"server-stateless": true, "tools-call-error": false, "caching": true, "tasks-lifecycle": false, "json-schema-2020-12": true}
	wantScored := map[string]bool{"server-stateless": true, "tools-call-error": true, "caching": true, "tasks-lifecycle": false, "json-schema-2020-12": false}
	if !reflect.DeepEqual(s.Passed, wantPassed) || !reflect.DeepEqual(s.Scored, wantScored) {
		t.Errorf("got %+v", s)
	}
}

// TestSuiteCaught: only scored scenarios that pass against the control
// and not against the variant count (a scenario the variant's run does
// not list counts as failed).
func TestSuiteCaught(t *testing.T) {
	control := parseSuite(cannedSuite)
	variant := parseSuite(strings.NewReplacer(
		"✓ caching", "✗ caching", // scored, passed by the control: caught
		"✓ json-schema-2020-12: 8", "✗ json-schema-2020-12: 8", // not scored
		"✓ server-stateless: 4 passed, 0 failed\n", "", // missing
	).Replace(cannedSuite))
	if got, want := suiteCaught(control, variant), []string{"caching", "server-stateless"}; !reflect.DeepEqual(got, want) {
		t.Errorf("caught by %v, want %v", got, want)
	}
	if got := suiteCaught(control, control); len(got) != 0 {
		t.Errorf("the control against itself: caught by %v", got)
	}
}

// TestMarkdown: a row per server and totals that add up.
func TestMarkdown(t *testing.T) {
	rows := []row{
		{entry: entry(faulty.Reference, faulty.KindHTTP), check: outcome{Status: "clean", FirstMs: -1}, suite: "control: 2 scored scenarios pass"},
		{entry: entry("both", faulty.KindHTTP, spec.HttpOrigin), check: outcome{Status: "caught", Hit: []string{"HTTP-ORIGIN"}, FirstMs: 1500}, suite: "caught: caching", suiteCaught: true},
		{entry: entry("ours", faulty.KindHTTP, spec.HttpOrigin), check: outcome{Status: "caught", Hit: []string{"HTTP-ORIGIN"}, FirstMs: 20, Extra: []string{"CORE-META-REQUIRED"}}, suite: "missed"},
		{entry: entry("none", faulty.KindHTTP, spec.HttpOrigin), check: outcome{Status: "hung", FirstMs: -1, Exit: -1}, suite: "missed"},
		{entry: entry("h", faulty.KindHostile), check: outcome{Status: "survived", FirstMs: -1, Exit: 4}, suite: "n/a"},
	}
	var buf bytes.Buffer
	writeMarkdown(&buf, config{budget: 20 * time.Second, margin: 25 * time.Second, parallel: 2, cmdline: "killmatrix"}, rows, time.Unix(0, 0), time.Minute)
	md := buf.String()
	for _, want := range []string{
		"| both | http | caught: HTTP-ORIGIN | 1.50 s |  | caught: caching |",
		"| ours | http | caught: HTTP-ORIGIN | 0.02 s | CORE-META-REQUIRED | missed |",
		"| none | http | hung |  |  | missed |",
		"| h | hostile | survived (exit 4) |  |  | n/a |",
		"| caught by mcpverify | 2 |", "| caught by the official suite | 1 |", "| caught by both | 1 |",
		"| caught by neither | 1 |", "| mcpverify runs hung or crashed | 1 |", "| hostile servers survived (of 1) | 1 |",
		"Caught by neither: none.",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("no %q in\n%s", want, md)
		}
	}
}

// TestRunProcessHung: a process that outlives its timeout is killed, and
// so is the child it started in a process group of its own.
func TestRunProcessHung(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	pidFile := filepath.Join(t.TempDir(), "child")
	script := "setsid sleep 60 & echo $! > " + pidFile + "; sleep 60"
	r := runProcess(300*time.Millisecond, nil, "/bin/sh", "-c", script)
	if !r.hung || r.exit != -1 {
		t.Errorf("got %+v, want hung", r)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ { // the kernel reaps it soon after SIGKILL
		if st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err != nil || strings.Contains(string(st), ") Z ") {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	syscall.Kill(pid, syscall.SIGKILL)
	t.Errorf("the child %d in its own group survived", pid)
}
