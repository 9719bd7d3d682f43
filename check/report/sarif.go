package report

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/spec"
)

// SARIF 2.1.0 (docs/report-schema.md, "SARIF").
const (
	// sarifInformationURI is where mcpverify is documented.
	sarifInformationURI = "https://github.com/mcpverify/mcpverify"
	// sarifLocationPrefix starts the location of every result: the
	// checker judges a server, not a file, so a result is placed at
	// mcpverify/ID, a path that names the requirement and is the same from
	// run to run (GitHub code scanning requires a location, and tracks an
	// alert by its path).
	sarifLocationPrefix = "mcpverify/"
	// sarifFingerprint is the partial fingerprint GitHub code scanning
	// reads to tell that two results are the same finding.
	sarifFingerprint = "primaryLocationLineHash"
)

// WriteSARIF writes the report as a SARIF 2.1.0 log, for GitHub code
// scanning and other SARIF viewers: one run of the tool mcpverify (its
// version, information URI), one rule per requirement judged (id: the
// requirement ID; short description: the catalog's paraphrase; help URI:
// its section of the published specification; properties: level and
// area) and one result per failure (level error), warning (warning) and
// inconclusive (note, its message starting "inconclusive: "); passes and
// skips have no result, their rules say what was judged. A result's
// message is what was found, with the deciding check and the saved trace
// (--traces); its location is mcpverify/ID, its related location the
// trace file; its partial fingerprint is a hash of the requirement ID, so
// that a finding keeps its identity from run to run. A baselined failure
// or warning carries an accepted external suppression with the baseline's
// reason. The invocation records whether the run judged what it set out to
// (executionSuccessful) and, as notifications, why not and the stale
// baseline entries.
func WriteSARIF(w io.Writer, r *check.Report) error {
	if r == nil {
		return errors.New("write sarif report: no report")
	}
	run := sarif.NewRunWithInformationURI("mcpverify", sarifInformationURI)
	run.Tool.Driver.WithVersion(ToolVersion())
	ruleIndex := map[spec.ID]int{}
	for _, res := range r.Results {
		if _, ok := ruleIndex[res.ID]; !ok {
			ruleIndex[res.ID] = len(run.Tool.Driver.Rules)
			run.Tool.Driver.AddRule(sarifRule(res))
		}
	}
	inv := sarif.NewInvocation().WithExecutionSuccessful(r.Incomplete == "" && !r.Interrupted)
	if r.Incomplete != "" {
		inv.AddToolExecutionNotification(sarifNote("error", "incomplete: "+Clean(r.Incomplete)))
	}
	if r.Interrupted {
		inv.AddToolExecutionNotification(sarifNote("error", "interrupted: the log holds what was judged until then"))
	}
	for _, res := range r.Results {
		level, ok := sarifLevel(res.Status)
		if !ok {
			if res.Stale {
				n := sarifNote("note", fmt.Sprintf("stale baseline entry: %s now passes (baselined: %s)", res.ID, Clean(res.Baselined)))
				n.WithAssociatedRule(sarifRuleRef(res.ID, ruleIndex[res.ID]))
				inv.AddToolExecutionNotification(n)
			}
			continue
		}
		out := sarif.NewRuleResult(string(res.ID)).WithRuleIndex(ruleIndex[res.ID]).WithLevel(level).
			WithMessage(sarif.NewTextMessage(sarifMessage(res))).
			AddLocation(sarifLocation(sarifLocationPrefix + string(res.ID))).
			WithPartialFingerprints(map[string]string{sarifFingerprint: sarifHash(res.ID)})
		if res.TraceFile != "" {
			out.AddRelatedLocation(sarifLocation(traceURI(res.TraceFile)).WithID(1).WithMessage(sarif.NewTextMessage("trace")))
		}
		if res.Baselined != "" {
			out.AddSuppression(sarif.NewSuppression().WithKind("external").WithStatus("accepted").WithJustification(Clean(res.Baselined)))
		}
		props := sarif.NewPropertyBag().Add("check", res.Check).Add("status", string(res.Status))
		if res.Cause != "" {
			props.Add("cause", Clean(res.Cause))
		}
		out.WithProperties(props)
		run.AddResult(out)
	}
	run.AddInvocation(inv)
	props := sarif.NewPropertyBag().Add("target", Clean(r.Target)).Add("revision", r.Revision).
		Add("seed", strconv.FormatInt(r.Seed, 10)).Add("era", string(r.Era)).
		Add("exchanges", r.Exchanges).Add("judgments", r.Judgments).Add("durationMs", r.Duration.Milliseconds())
	if len(r.Instances) > 0 {
		props.Add("instances", r.Instances)
	}
	run.WithProperties(props)
	return writeIndented(w, sarif.NewReport().AddRun(run), "sarif")
}

// sarifLevel is the SARIF level of a result's status; false for the
// statuses that make no SARIF result (pass, skip).
func sarifLevel(s check.Status) (string, bool) {
	switch s {
	case check.Fail:
		return "error", true
	case check.Warn:
		return "warning", true
	case check.Inconclusive:
		return "note", true
	}
	return "", false
}

// sarifRule is the rule of a result's requirement.
func sarifRule(res check.Result) *sarif.ReportingDescriptor {
	req, _ := spec.Lookup(res.ID)
	level := req.Level
	if level == "" {
		level = res.Level
	}
	text := req.Text
	if text == "" {
		text = res.Requirement
	}
	full := string(level) + ": " + text
	if req.Applies != "" {
		full += " (applies to " + req.Applies + ")"
	}
	help := full
	md := "**" + string(level) + "**: " + text
	if req.Source != "" {
		where := fmt.Sprintf("MCP %s, %s, %q", spec.Revision, req.Source, req.Section)
		if _, _, ext := spec.ExtensionBase(req.Source); ext {
			// An extension's page: its own revision is in its path.
			where = fmt.Sprintf("%s, %q", req.Source, req.Section)
		}
		help += "\n\n" + where + ": " + req.URL()
		md += "\n\n[" + where + "](" + req.URL() + ")"
	}
	def := "warning" // a broken SHOULD or HARDENING rule, unless --strict
	if level.Mandatory() {
		def = "error"
	}
	rule := sarif.NewRule(string(res.ID)).
		WithShortDescription(sarif.NewMultiformatMessageString().WithText(text)).
		WithFullDescription(sarif.NewMultiformatMessageString().WithText(full)).
		WithHelp(sarif.NewMultiformatMessageString().WithText(help).WithMarkdown(md)).
		WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel(def)).
		WithProperties(sarif.NewPropertyBag().Add("level", string(level)).Add("area", res.ID.Area()).
			WithTags([]string{"mcp", strings.ToLower(res.ID.Area()), strings.ToLower(string(level))}))
	if u := req.URL(); u != "" {
		rule.WithHelpURI(u)
	}
	return rule
}

func sarifRuleRef(id spec.ID, index int) *sarif.ReportingDescriptorReference {
	return sarif.NewReportingDescriptorReference().WithID(string(id)).WithIndex(index)
}

// sarifMessage is a result's message: what was found, then the check
// that decided it and the trace file.
func sarifMessage(res check.Result) string {
	var b strings.Builder
	if res.Status == check.Inconclusive {
		b.WriteString("inconclusive: ")
	}
	b.WriteString(Clean(res.Message))
	fmt.Fprintf(&b, " (check %s", res.Check)
	if res.TraceFile != "" {
		fmt.Fprintf(&b, "; trace %s", Clean(res.TraceFile))
	}
	b.WriteString(")")
	return b.String()
}

// sarifLocation is a location at the first line of the artifact uri.
func sarifLocation(uri string) *sarif.Location {
	return sarif.NewLocationWithPhysicalLocation(sarif.NewPhysicalLocation().
		WithArtifactLocation(sarif.NewArtifactLocation().WithURI(uri)).
		WithRegion(sarif.NewRegion().WithStartLine(1)))
}

// traceURI is the URI reference of a saved trace: a relative path as it
// is (code scanning reads it from the repository's root), an absolute one
// as a file: URI.
func traceURI(path string) string {
	if filepath.IsLocal(path) {
		return (&url.URL{Path: filepath.ToSlash(path)}).String()
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(path)}).String()
}

// sarifHash is a finding's fingerprint: a hash of its requirement ID
// alone. Not of the check, which can change from run to run (the model's
// judgment or a probe), nor of the target, whose port may change; GitHub
// tells the servers of one repository apart by the upload's category.
func sarifHash(id spec.ID) string {
	sum := sha256.Sum256([]byte("mcpverify\x00" + string(id)))
	return hex.EncodeToString(sum[:8]) + ":1"
}

func sarifNote(level, text string) *sarif.Notification {
	return sarif.NewNotification().WithLevel(level).WithMessage(sarif.NewTextMessage(text))
}
