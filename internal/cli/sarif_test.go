package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpverify/mcpverify/internal/sarifschema"
)

// TestCheckSARIF runs check against a broken server with --sarif: the log
// is valid SARIF 2.1.0 and says what the JSON report of the same run says,
// a result for each failure, warning and inconclusive at its level, a rule
// for each requirement judged, the saved trace as a related location; with
// --sarif - stdout holds the log alone.
func TestCheckSARIF(t *testing.T) {
	url := lenientMetaServer(t)
	dir := t.TempDir()
	sarifPath := filepath.Join(dir, "report.sarif")
	code, out, errs := run([]string{"check", "--url", url, "--seed", "5", "--only", "meta/",
		"--traces", filepath.Join(dir, "traces"), "--json", "-", "--sarif", sarifPath}, "")
	if code != ExitViolations {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, ExitViolations, errs)
	}
	rep := decodeReport(t, out)
	data, err := os.ReadFile(sarifPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := sarifschema.Validate(data); err != nil {
		t.Errorf("the log of a real run is not valid SARIF 2.1.0: %v", err)
	}
	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Name  string
					Rules []struct{ ID string }
				}
			}
			Results []struct {
				RuleID, Level string
				Message       struct{ Text string }
				Related       []struct {
					PhysicalLocation struct{ ArtifactLocation struct{ URI string } }
				} `json:"relatedLocations"`
			}
		}
	}
	if err := json.Unmarshal(data, &log); err != nil || len(log.Runs) != 1 || log.Runs[0].Tool.Driver.Name != "mcpverify" {
		t.Fatalf("log: %v, %+v", err, log)
	}
	sr := log.Runs[0]
	rules := map[string]bool{}
	for _, r := range sr.Tool.Driver.Rules {
		rules[r.ID] = true
	}
	levels := map[string]string{"fail": "error", "warn": "warning", "inconclusive": "note"}
	want := map[string]string{} // ID: SARIF level
	for _, r := range rep.Results {
		if !rules[r.ID] {
			t.Errorf("%s was judged but has no rule", r.ID)
		}
		if l := levels[r.Status]; l != "" {
			want[r.ID] = l
		}
	}
	if len(rules) != len(rep.Results) || len(sr.Results) != len(want) || want["CORE-META-REQUIRED"] != "error" {
		t.Errorf("%d rules, %d results; want %d and %d (%v)", len(rules), len(sr.Results), len(rep.Results), len(want), want)
	}
	for _, got := range sr.Results {
		if got.Level != want[got.RuleID] {
			t.Errorf("%s: level %q, want %q", got.RuleID, got.Level, want[got.RuleID])
		}
		for _, r := range rep.Results {
			if r.ID != got.RuleID || r.TraceFile == "" {
				continue
			}
			if !strings.Contains(got.Message.Text, r.TraceFile) || len(got.Related) != 1 ||
				!strings.HasSuffix(got.Related[0].PhysicalLocation.ArtifactLocation.URI, filepath.ToSlash(r.TraceFile)) {
				t.Errorf("%s: trace %s not in the message %q or the related location %+v", r.ID, r.TraceFile, got.Message.Text, got.Related)
			}
		}
	}

	// --sarif -: the log alone on stdout, the text report on stderr.
	code, out, errs = run([]string{"check", "--url", url, "--seed", "5", "--only", "meta/required-fields", "--sarif", "-"}, "")
	if code != ExitViolations || sarifschema.Validate([]byte(out)) != nil || !strings.Contains(errs, "CORE-META-REQUIRED") {
		t.Errorf("--sarif -: exit %d, stdout not a SARIF log (%v) or no text report on stderr:\n%s", code, sarifschema.Validate([]byte(out)), errs)
	}
}
