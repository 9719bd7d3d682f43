package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// actionFile is the part of the GitHub Action's action.yml the tests read.
type actionFile struct {
	Inputs map[string]struct {
		Description string `yaml:"description"`
		Default     string `yaml:"default"`
	} `yaml:"inputs"`
	Runs struct {
		Using string       `yaml:"using"`
		Steps []actionStep `yaml:"steps"`
	} `yaml:"runs"`
}

type actionStep struct {
	ID   string            `yaml:"id"`
	Name string            `yaml:"name"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	With map[string]string `yaml:"with"`
	Env  map[string]string `yaml:"env"`
}

func readAction(t *testing.T) (actionFile, string) {
	t.Helper()
	data, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var a actionFile
	if err := yaml.Unmarshal(data, &a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if a.Runs.Using != "composite" || len(a.Inputs) == 0 {
		t.Fatalf("action.yml: runs.using %q, %d inputs", a.Runs.Using, len(a.Inputs))
	}
	return a, string(data)
}

func (a actionFile) step(t *testing.T, id string) actionStep {
	t.Helper()
	for _, s := range a.Runs.Steps {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("action.yml has no step %q", id)
	return actionStep{}
}

// flagInfo is what `mcpverify check -h` says of a flag.
type flagInfo struct {
	value      bool // takes a value (is not a bool flag)
	repeatable bool
}

// checkFlags reads check's flags from its usage, which is written from
// its flag set.
func checkFlags(t *testing.T) map[string]flagInfo {
	t.Helper()
	code, out, errs := run([]string{"check", "-h"}, "")
	if code != ExitOK {
		t.Fatalf("check -h: exit %d\n%s", code, errs)
	}
	flags := map[string]flagInfo{}
	head := regexp.MustCompile(`^  --?([a-z][a-z0-9-]*)( \S.*)?$`)
	lines := strings.Split(out, "\n")
	for i, line := range lines {
		m := head.FindStringSubmatch(line)
		if m == nil || i+1 >= len(lines) {
			continue
		}
		flags[m[1]] = flagInfo{value: m[2] != "", repeatable: repeatable.MatchString(lines[i+1])}
	}
	if len(flags) < 10 || !flags["url"].repeatable || flags["strict"].value || !flags["sarif"].value {
		t.Fatalf("check -h: flags not read: %v\n%s", flags, out)
	}
	return flags
}

// repeatable is how a flag's usage says it may be given several times.
var repeatable = regexp.MustCompile(`\brepeat(able| for)\b`)

// actionVar is an environment variable of the check step that carries a
// flag: MCPVERIFY_FLAG_X (one value), MCPVERIFY_FLAGS_X (one per line),
// MCPVERIFY_BOOL_X (true or false).
var actionVar = regexp.MustCompile(`^MCPVERIFY_(FLAGS?|BOOL)_([A-Z][A-Z0-9_]*)$`)

// TestActionInputs: every input of action.yml named as a check flag is
// passed to that flag, through a variable of the check step of the kind
// the flag is (a value, repeatable, a bool); every other input steers the
// action and is used by it; every input used is declared; no input is
// written into a script; every flag the check step names exists.
func TestActionInputs(t *testing.T) {
	a, text := readAction(t)
	flags := checkFlags(t)
	chk := a.step(t, "check")

	mapped := map[string]bool{}
	for k, v := range chk.Env {
		m := actionVar.FindStringSubmatch(k)
		if m == nil {
			continue
		}
		name := strings.ReplaceAll(strings.ToLower(m[2]), "_", "-")
		f, ok := flags[name]
		switch {
		case !ok:
			t.Errorf("%s: check has no flag --%s", k, name)
			continue
		case v != "${{ inputs."+name+" }}":
			t.Errorf("%s is %q; want the input of the flag's name, ${{ inputs.%s }}", k, v, name)
		case m[1] == "BOOL" && f.value, m[1] != "BOOL" && !f.value:
			t.Errorf("%s: --%s takes a value: %v", k, name, f.value)
		case m[1] == "FLAGS" && !f.repeatable, m[1] == "FLAG" && f.repeatable:
			t.Errorf("%s: --%s is repeatable: %v", k, name, f.repeatable)
		}
		if _, ok := a.Inputs[name]; !ok {
			t.Errorf("%s: no input %q", k, name)
		}
		mapped[name] = true
	}
	for _, want := range []string{"url", "command", "header", "baseline", "strict", "budget", "only"} {
		if !mapped[want] {
			t.Errorf("input %q is not passed to check", want)
		}
	}

	// The action's own inputs: not flags of check, used by the action.
	used := regexp.MustCompile(`inputs\.([a-z][a-z0-9-]*)`)
	var elsewhere []string
	for _, s := range a.Runs.Steps {
		for _, v := range s.With {
			elsewhere = append(elsewhere, v)
		}
		for k, v := range s.Env {
			if s.ID != "check" || !actionVar.MatchString(k) {
				elsewhere = append(elsewhere, v)
			}
		}
	}
	ifs := regexp.MustCompile(`(?m)^\s+if: (.*)$`).FindAllStringSubmatch(text, -1)
	for _, m := range ifs {
		elsewhere = append(elsewhere, m[1])
	}
	usedElsewhere := map[string]bool{}
	for _, m := range used.FindAllStringSubmatch(strings.Join(elsewhere, "\n"), -1) {
		usedElsewhere[m[1]] = true
	}
	for name := range a.Inputs {
		_, isFlag := flags[name]
		switch {
		case isFlag && !mapped[name]:
			t.Errorf("input %q is named as a check flag but not passed to it", name)
		case !isFlag && !mapped[name] && !usedElsewhere[name]:
			t.Errorf("input %q is neither a check flag nor used by the action", name)
		}
	}
	for _, m := range used.FindAllStringSubmatch(text, -1) {
		if _, ok := a.Inputs[m[1]]; !ok {
			t.Errorf("action.yml uses inputs.%s, which it does not declare", m[1])
		}
	}

	for _, s := range a.Runs.Steps {
		if strings.Contains(s.Run, "${{") {
			t.Errorf("step %q writes an expression into its script; pass it through env", s.Name)
		}
	}
	code := regexp.MustCompile(`(?m)^\s*#.*$`).ReplaceAllString(chk.Run, "") // comments name no flag passed
	named := regexp.MustCompile(`(?:^|\s)--([a-z][a-z0-9-]*)`).FindAllStringSubmatch(code, -1)
	if len(named) < 5 {
		t.Errorf("the check step names %d flags; want the report flags at least", len(named))
	}
	for _, m := range named {
		if _, ok := flags[m[1]]; !ok {
			t.Errorf("the check step passes --%s, which check does not have", m[1])
		}
	}
}

// TestActionCheckStep runs the check step's script with a stand-in for
// mcpverify that records its arguments: inputs become flags exactly (one
// per line for the repeatable ones, blank lines and surrounding blanks
// dropped, CRLF tolerated), never shell text; the reports are asked for;
// the exit status is recorded for the later steps, not returned; a bool
// input that is neither true nor false stops the step.
func TestActionCheckStep(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	a, _ := readAction(t)
	script := a.step(t, "check").Run
	dir := t.TempDir()
	bin := filepath.Join(dir, "mcpverify-bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	stand := "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$ARGS_OUT\"\nexit 3\n"
	if err := os.WriteFile(filepath.Join(bin, "mcpverify"), []byte(stand), 0o755); err != nil {
		t.Fatal(err)
	}
	runStep := func(extra ...string) (string, string, error) {
		argsOut, ghOut := filepath.Join(dir, "args"), filepath.Join(dir, "github-output")
		os.Remove(argsOut)
		os.Remove(ghOut)
		cmd := exec.Command(bash, "-e", "-c", script)
		cmd.Dir = dir
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "RUNNER_TEMP=" + dir, "GITHUB_OUTPUT=" + ghOut,
			"ARGS_OUT=" + argsOut, "REPORT_DIR=reports"}, extra...)
		out, err := cmd.CombinedOutput()
		args, _ := os.ReadFile(argsOut)
		gh, _ := os.ReadFile(ghOut)
		return string(args), string(gh), &stepError{err, string(out)}
	}

	args, gh, err := runStep(
		"MCPVERIFY_FLAGS_URL=http://127.0.0.1:1/mcp\r\n\n  http://127.0.0.1:2/mcp  \n",
		`MCPVERIFY_FLAG_COMMAND=my-server --stdio '$(touch pwned)' "x" ; touch pwned`,
		"MCPVERIFY_FLAGS_HEADER=Authorization: Bearer a b",
		"MCPVERIFY_FLAGS_ONLY=",
		"MCPVERIFY_FLAG_SEED=",
		"MCPVERIFY_BOOL_STRICT=true",
		"MCPVERIFY_BOOL_SANDBOX=false",
		"FLAG_NOT_OURS=x",
	)
	if e := err.(*stepError); e.err != nil {
		t.Fatalf("the step failed: %v\n%s", e.err, e.out)
	}
	want := []string{
		"check", "--strict",
		"--header=Authorization: Bearer a b",
		"--url=http://127.0.0.1:1/mcp", "--url=http://127.0.0.1:2/mcp",
		`--command=my-server --stdio '$(touch pwned)' "x" ; touch pwned`,
		"--json", "reports/report.json", "--junit", "reports/report.xml",
		"--html", "reports/report.html", "--sarif", "reports/report.sarif", "--traces", "reports/traces",
	}
	if got := strings.Split(strings.TrimSuffix(args, "\n"), "\n"); !slices.Equal(got, want) {
		t.Errorf("arguments:\n%q\nwant\n%q", got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
		t.Error("an input ran as shell text")
	}
	if !strings.Contains(gh, "exit-code=3\n") || !strings.Contains(gh, "report-dir=reports\n") || strings.Contains(gh, "sarif-file") {
		t.Errorf("step outputs:\n%s", gh)
	}
	if fi, err := os.Stat(filepath.Join(dir, "reports")); err != nil || !fi.IsDir() {
		t.Errorf("the report directory was not made: %v", err)
	}

	_, gh, err = runStep("MCPVERIFY_BOOL_STRICT=yes")
	if e := err.(*stepError); e.err == nil || !strings.Contains(e.out, "strict must be true or false") || gh != "" {
		t.Errorf("strict=yes: %v, outputs %q\n%s", e.err, gh, e.out)
	}
}

type stepError struct {
	err error
	out string
}

func (e *stepError) Error() string { return e.out }
