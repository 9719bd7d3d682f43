package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReportWriteFailures: when report files cannot be written at the
// end (the disk is full), the others are still written, every failure is
// reported, and the run exits 1.
func TestReportWriteFailures(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	dir := t.TempDir()
	full := filepath.Join(dir, "full.html") // another name for /dev/full
	if err := os.Symlink("/dev/full", full); err != nil {
		t.Fatal(err)
	}
	junit := filepath.Join(dir, "report.xml")
	traces := filepath.Join(dir, "traces")
	code, out, errs := run([]string{"check", "--only", "meta/required-fields", "--seed", "1",
		"--json", "/dev/full", "--junit", junit, "--html", full, "--traces", traces}, "")
	if code != ExitCannotRun {
		t.Errorf("exit %d, want %d", code, ExitCannotRun)
	}
	for _, want := range []string{"mcpverify check: --json: ", "mcpverify check: --html: ", "no space left on device"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	if b, err := os.ReadFile(junit); err != nil || !strings.Contains(string(b), "<testsuites") {
		t.Errorf("the JUnit report was not written: %v", err)
	}
	if !strings.Contains(out, "mcpverify (") {
		t.Errorf("no text report on stdout:\n%s", out)
	}
}

func TestOutputsValidate(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file.txt")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		o    outputs
		want string // "" for no error
	}{
		{outputs{}, ""},
		{outputs{json: "-", junit: filepath.Join(dir, "r.xml"), html: file, traces: filepath.Join(dir, "a", "b", "traces")}, ""},
		{outputs{traces: file}, "is not a directory"},
		{outputs{traces: filepath.Join(file, "traces")}, "file.txt is not a directory"},
		{outputs{json: filepath.Join(dir, "no", "r.json")}, "does not exist"},
		{outputs{json: dir}, "is a directory"},
		{outputs{json: "-", html: "-"}, "--json and --html both write to stdout"},
		{outputs{json: "-", sarif: "-"}, "--json and --sarif both write to stdout"},
		{outputs{sarif: filepath.Join(dir, "no", "r.sarif")}, "does not exist"},
		{outputs{junit: file, html: filepath.Join(dir, ".", "file.txt")}, "--junit and --html both write to"},
	} {
		err := c.o.validate()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%+v: %v", c.o, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%+v: %v; want an error with %q", c.o, err, c.want)
		}
	}
	// Validation leaves nothing behind.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("%d entries in the directory; want only file.txt", len(entries))
	}
}
