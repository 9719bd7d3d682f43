package report

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/internal/sarifschema"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// sarifLog is the part of a SARIF log that the tests read.
type sarifLog struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name           string `json:"name"`
				Version        string `json:"version"`
				InformationURI string `json:"informationUri"`
				Rules          []struct {
					ID               string                       `json:"id"`
					ShortDescription sarifText                    `json:"shortDescription"`
					FullDescription  sarifText                    `json:"fullDescription"`
					Help             sarifText                    `json:"help"`
					HelpURI          string                       `json:"helpUri"`
					Default          struct{ Level string }       `json:"defaultConfiguration"`
					Properties       struct{ Level, Area string } `json:"properties"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Invocations []struct {
			ExecutionSuccessful bool `json:"executionSuccessful"`
			Notifications       []struct {
				Level   string    `json:"level"`
				Message sarifText `json:"message"`
			} `json:"toolExecutionNotifications"`
		} `json:"invocations"`
		Results []sarifResult `json:"results"`
	} `json:"runs"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown"`
}

type sarifLocationDoc struct {
	Physical struct {
		Artifact struct{ URI string }    `json:"artifactLocation"`
		Region   struct{ StartLine int } `json:"region"`
	} `json:"physicalLocation"`
}

type sarifResult struct {
	RuleID       string             `json:"ruleId"`
	RuleIndex    int                `json:"ruleIndex"`
	Level        string             `json:"level"`
	Message      sarifText          `json:"message"`
	Locations    []sarifLocationDoc `json:"locations"`
	Related      []sarifLocationDoc `json:"relatedLocations"`
	Fingerprints map[string]string  `json:"partialFingerprints"`
	Suppressions []struct {
		Kind, Status, Justification string
	} `json:"suppressions"`
}

func writeSARIF(t *testing.T, r *check.Report) ([]byte, sarifLog) {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, r); err != nil {
		t.Fatal(err)
	}
	if err := sarifschema.Validate(buf.Bytes()); err != nil {
		t.Errorf("the SARIF log is not valid SARIF 2.1.0: %v", err)
	}
	var log sarifLog
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || !strings.Contains(log.Schema, "sarif-schema-2.1.0") || len(log.Runs) != 1 {
		t.Fatalf("log: version %q, schema %q, %d runs", log.Version, log.Schema, len(log.Runs))
	}
	return buf.Bytes(), log
}

// TestSARIFReport: the SARIF log of a report with a result of every kind
// is valid SARIF 2.1.0; it has a rule per requirement judged, with the
// catalog's paraphrase, level and spec page; a result per failure,
// warning and inconclusive, at the right level, with the message, check
// and trace; a baselined failure suppressed; passes and skips without a
// result; and the run's incompleteness and stale entries as notifications.
func TestSARIFReport(t *testing.T) {
	t.Chdir(t.TempDir()) // traces saved under a relative directory
	r := sampleReport()
	sampleBaseline(t).Apply(r)
	if err := SaveTraces("traces", r); err != nil {
		t.Fatal(err)
	}
	data, log := writeSARIF(t, r)
	run := log.Runs[0]
	if bad := bytes.Replace(data, []byte(`"level": "error"`), []byte(`"level": "fatal"`), 1); sarifschema.Validate(bad) == nil {
		t.Error("the schema accepts a result of level fatal")
	}
	d := run.Tool.Driver
	if d.Name != "mcpverify" || d.Version != ToolVersion() || d.InformationURI != sarifInformationURI {
		t.Errorf("driver %q %q %q", d.Name, d.Version, d.InformationURI)
	}
	if len(d.Rules) != len(r.Results) {
		t.Errorf("%d rules, want one per requirement judged (%d)", len(d.Rules), len(r.Results))
	}
	for i, rule := range d.Rules {
		req, ok := spec.Lookup(spec.ID(rule.ID))
		if !ok || rule.ID != string(r.Results[i].ID) {
			t.Errorf("rule %d: %q, want %s", i, rule.ID, r.Results[i].ID)
			continue
		}
		wantDefault := map[bool]string{true: "error", false: "warning"}[req.Level.Mandatory()]
		if rule.ShortDescription.Text != req.Text || rule.Properties.Level != string(req.Level) || rule.Properties.Area != req.ID.Area() ||
			rule.HelpURI != req.URL() || !strings.HasPrefix(rule.HelpURI, "https://modelcontextprotocol.io/specification/2026-07-28/") ||
			!strings.Contains(rule.FullDescription.Text, string(req.Level)) || !strings.Contains(rule.Help.Text, req.URL()) ||
			!strings.Contains(rule.Help.Markdown, "]("+req.URL()+")") || rule.Default.Level != wantDefault {
			t.Errorf("rule %s: %+v", rule.ID, rule)
		}
	}

	want := map[spec.ID]string{ // ID: level
		spec.CoreMetaRequired: "error", spec.CoreDiscoverServerinfo: "warning", spec.HttpMetaStatus: "error", spec.StdioStderr: "note",
	}
	if len(run.Results) != len(want) {
		t.Errorf("%d results, want %d (failures, warnings and inconclusives)", len(run.Results), len(want))
	}
	fingerprints := map[string]string{}
	for _, got := range run.Results {
		id := spec.ID(got.RuleID)
		res, _ := r.Result(id)
		if got.Level != want[id] {
			t.Errorf("%s (%s): level %q, want %q", id, res.Status, got.Level, want[id])
		}
		if got.RuleIndex < 0 || got.RuleIndex >= len(d.Rules) || d.Rules[got.RuleIndex].ID != got.RuleID {
			t.Errorf("%s: ruleIndex %d names another rule", id, got.RuleIndex)
		}
		msg := got.Message.Text
		if !strings.Contains(msg, Clean(res.Message)) || !strings.Contains(msg, "check "+res.Check) ||
			strings.ContainsAny(msg, "\x1b\u202e") || (res.Status == check.Inconclusive) != strings.HasPrefix(msg, "inconclusive: ") {
			t.Errorf("%s: message %q", id, msg)
		}
		if len(got.Locations) != 1 || got.Locations[0].Physical.Artifact.URI != "mcpverify/"+got.RuleID || got.Locations[0].Physical.Region.StartLine != 1 {
			t.Errorf("%s: locations %+v", id, got.Locations)
		}
		if res.TraceFile != "" {
			wantURI := "traces/" + got.RuleID + ".txtar"
			if !strings.Contains(msg, "trace "+filepath.FromSlash(wantURI)) || len(got.Related) != 1 || got.Related[0].Physical.Artifact.URI != wantURI {
				t.Errorf("%s: trace %q not in the message %q or the related location %+v", id, res.TraceFile, msg, got.Related)
			}
		}
		fp := got.Fingerprints[sarifFingerprint]
		if fp == "" || fingerprints[fp] != "" {
			t.Errorf("%s: fingerprint %q (also %s)", id, fp, fingerprints[fp])
		}
		fingerprints[fp] = got.RuleID
		baselined := len(got.Suppressions) == 1 && got.Suppressions[0].Kind == "external" && got.Suppressions[0].Status == "accepted" &&
			got.Suppressions[0].Justification == res.Baselined
		if baselined != (res.Baselined != "") {
			t.Errorf("%s: baselined %q, suppressions %+v", id, res.Baselined, got.Suppressions)
		}
	}

	inv := run.Invocations
	if len(inv) != 1 || inv[0].ExecutionSuccessful {
		t.Fatalf("invocations %+v: want one, not successful (the sample run is incomplete)", inv)
	}
	var notes []string
	for _, n := range inv[0].Notifications {
		notes = append(notes, n.Level+" "+n.Message.Text)
	}
	all := strings.Join(notes, "\n")
	for _, w := range []string{"error incomplete: the server stopped answering", "error interrupted", "note stale baseline entry: HTTP-ORIGIN now passes"} {
		if !strings.Contains(all, w) {
			t.Errorf("notifications lack %q:\n%s", w, all)
		}
	}

	if err := WriteSARIF(&bytes.Buffer{}, nil); err == nil {
		t.Error("nil report: no error")
	}
}

// TestSARIFFingerprintStable: a finding keeps its fingerprint when
// another check decides it or its message changes, and a complete run is
// an executionSuccessful one.
func TestSARIFFingerprintStable(t *testing.T) {
	fp := func(r *check.Report) string {
		_, log := writeSARIF(t, r)
		if !log.Runs[0].Invocations[0].ExecutionSuccessful {
			t.Error("a complete run is not executionSuccessful")
		}
		return log.Runs[0].Results[0].Fingerprints[sarifFingerprint]
	}
	res := check.Result{ID: spec.HttpOrigin, Level: spec.Must, Status: check.Fail, Message: "got 200", Check: "origin/foreign", Revision: wire.Version}
	a := fp(&check.Report{Target: "http://127.0.0.1:1/mcp", Results: []check.Result{res}})
	res.Check, res.Message = "model", "got 204"
	b := fp(&check.Report{Target: "http://127.0.0.1:2/mcp", Results: []check.Result{res}})
	if a == "" || a != b {
		t.Errorf("fingerprints %q and %q differ", a, b)
	}
}

// TestSARIFWholeCatalog: a failure of every requirement of the catalog
// makes a valid log whose rule descriptions fit GitHub code scanning's
// limit (1024 characters).
func TestSARIFWholeCatalog(t *testing.T) {
	r := &check.Report{Target: "stdio: server", Revision: wire.Version}
	for _, req := range spec.All() {
		r.Results = append(r.Results, check.Result{ID: req.ID, Level: req.Level, Requirement: req.Text, Status: check.Fail, Message: "got no", Check: "c"})
	}
	_, log := writeSARIF(t, r)
	if got := len(log.Runs[0].Results); got != len(r.Results) {
		t.Errorf("%d results, want %d", got, len(r.Results))
	}
	for _, rule := range log.Runs[0].Tool.Driver.Rules {
		if n := len([]rune(rule.FullDescription.Text)); n > 1024 || rule.HelpURI == "" {
			t.Errorf("%s: full description of %d characters, helpUri %q", rule.ID, n, rule.HelpURI)
		}
	}
}
