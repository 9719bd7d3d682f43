package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCLIStdioHelper is not a test: run as a helper process with "--
// serve-stdio", it is `mcpverify serve --stdio`.
func TestCLIStdioHelper(t *testing.T) {
	for i, a := range os.Args {
		if a == "--" && i+1 < len(os.Args) && os.Args[i+1] == "serve-stdio" {
			os.Exit(Main([]string{"serve", "--stdio"}, os.Stdin, os.Stdout, os.Stderr))
		}
	}
}

// TestCheckCommandStdio: `mcpverify check --command "mcpverify serve
// --stdio"` end to end, with this test binary standing in for mcpverify:
// the stdio checks run against a process and pass.
func TestCheckCommandStdio(t *testing.T) {
	if strings.ContainsAny(os.Args[0], " \t") {
		t.Skip("the test binary's path has spaces; --command splits on them")
	}
	command := os.Args[0] + " -test.run=^TestCLIStdioHelper$ -- serve-stdio"
	out := filepath.Join(t.TempDir(), "report.json")
	code, stdout, stderr := run([]string{"check", "--command", command, "--only", "stdio/", "--seed", "1", "--json", out}, "")
	if code != ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Target    string `json:"target"`
		Exchanges int    `json:"exchanges"`
		Results   []struct {
			ID, Status, Message string
		} `json:"results"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(rep.Target, "stdio: ") || rep.Exchanges == 0 {
		t.Errorf("target %q, %d exchanges", rep.Target, rep.Exchanges)
	}
	want := map[string]bool{"STDIO-EXIT-ON-EOF": false, "CORE-CANCEL-SILENCE": false, "CORE-NO-CONNECTION-CONTEXT": false}
	for _, r := range rep.Results {
		if _, ok := want[r.ID]; ok {
			want[r.ID] = r.Status == "pass"
			if r.Status != "pass" {
				t.Errorf("%s: %s (%s)", r.ID, r.Status, r.Message)
			}
		}
	}
	for id, ok := range want {
		if !ok {
			t.Errorf("%s: not passed", id)
		}
	}
}
