package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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
	command := shellQuote(os.Args[0]) + " -test.run=^TestCLIStdioHelper$ -- serve-stdio"
	rep := checkStdio(t, command, "stdio/")
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

// TestCheckCommandQuoting: --command is split as a shell splits it: a
// program whose path has spaces, quoted, and a command run through sh -c
// with its own quoted script.
func TestCheckCommandQuoting(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "my tools")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	spaced := filepath.Join(dir, "mcp server")
	if err := os.Symlink(os.Args[0], spaced); err != nil {
		t.Fatal(err)
	}
	for name, command := range map[string]string{
		"single quotes": shellQuote(spaced) + " -test.run=^TestCLIStdioHelper$ -- serve-stdio",
		"double quotes": `"` + spaced + `" '-test.run=^TestCLIStdioHelper$' -- serve-stdio`,
		"backslashes":   strings.ReplaceAll(spaced, " ", `\ `) + " -test.run=^TestCLIStdioHelper$ -- serve-stdio",
		"sh -c":         `sh -c 'exec "$0" -test.run=^TestCLIStdioHelper$ -- serve-stdio' ` + shellQuote(spaced),
	} {
		t.Run(name, func(t *testing.T) {
			if strings.HasPrefix(command, "sh ") {
				if _, err := exec.LookPath("sh"); err != nil {
					t.Skip("no sh")
				}
			}
			rep := checkStdio(t, command, "stdio/exit-on-eof")
			r, ok := rep.result("STDIO-EXIT-ON-EOF")
			if !ok || r.Status != "pass" {
				t.Errorf("STDIO-EXIT-ON-EOF: %+v", r)
			}
		})
	}
}

type stdioReport struct {
	Target    string `json:"target"`
	Exchanges int    `json:"exchanges"`
	Results   []struct {
		ID, Status, Message string
	} `json:"results"`
}

func (r stdioReport) result(id string) (struct{ ID, Status, Message string }, bool) {
	for _, res := range r.Results {
		if res.ID == id {
			return res, true
		}
	}
	return struct{ ID, Status, Message string }{}, false
}

// checkStdio runs check --command command --only only, which must exit
// 0, and returns its JSON report.
func checkStdio(t *testing.T, command, only string, more ...string) stdioReport {
	t.Helper()
	out := filepath.Join(t.TempDir(), "report.json")
	code, stdout, stderr := run(append([]string{"check", "--command", command, "--only", only, "--seed", "1", "--json", out}, more...), "")
	if code != ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep stdioReport
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(rep.Target, "stdio: ") || rep.Exchanges == 0 {
		t.Errorf("target %q, %d exchanges", rep.Target, rep.Exchanges)
	}
	return rep
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func TestSplitCommand(t *testing.T) {
	for line, want := range map[string][]string{
		"mcpverify serve --stdio":            {"mcpverify", "serve", "--stdio"},
		`sh -c 'exec srv --stdio'`:           {"sh", "-c", "exec srv --stdio"},
		`"/opt/my tools/srv" --name 'a b'`:   {"/opt/my tools/srv", "--name", "a b"},
		`/opt/my\ tools/srv --stdio`:         {"/opt/my tools/srv", "--stdio"},
		`srv --root $HOME --x "$(id)" '$y'`:  {"srv", "--root", "$HOME", "--x", "$(id)", "$y"},
		"  srv\t--stdio  ":                   {"srv", "--stdio"},
		`sh -c 'echo "a; b" >&2 | cat' -- x`: {"sh", "-c", `echo "a; b" >&2 | cat`, "--", "x"},
		`srv --opt=FOO=bar`:                  {"srv", "--opt=FOO=bar"},
		`env FOO=bar srv`:                    {"env", "FOO=bar", "srv"},
		`srv ""`:                             {"srv", ""},
	} {
		got, err := splitCommand(line)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("splitCommand(%q) = %q, %v; want %q", line, got, err, want)
		}
	}
	for _, line := range []string{"", "   ", `srv 'open`, `srv "open`, "srv; rm -rf x", "srv | tee", "srv > log", "srv & ", "FOO=1 srv", "srv (x)"} {
		if got, err := splitCommand(line); err == nil {
			t.Errorf("splitCommand(%q) = %q; want an error", line, got)
		}
	}
}

// TestCheckSandbox: check --sandbox starts a stdio server told to use the
// sandbox's workspace ({workspace} in --command, this test binary standing
// in for mcpverify): the file checks pass, and the sandbox is gone after.
// --sandbox with a --url the checker does not start, and {workspace}
// without --sandbox, are usage errors.
func TestCheckSandbox(t *testing.T) {
	command := shellQuote(os.Args[0]) + " -test.run=^TestCLIServeHelper$ -- mcpverify serve --stdio --allowed-dir {workspace}"
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where the sandbox is made
	rep := checkStdio(t, command, "files/", "--sandbox")
	left, _ := os.ReadDir(tmp)
	for _, d := range left {
		if strings.HasPrefix(d.Name(), "mcpverify-sandbox-") {
			t.Errorf("the sandbox %s is left in the temporary directory", d.Name())
		}
	}
	got := map[string]string{}
	for _, r := range rep.Results {
		got[r.ID] = r.Status
	}
	for _, id := range []string{"FILES-TOOL-CONFINED", "FILES-SYMLINK-ESCAPE", "FILES-EXISTENCE-ORACLE", "FILES-RESOURCE-TRAVERSAL"} {
		if got[id] != "pass" {
			t.Errorf("%s: %q", id, got[id])
		}
	}
	for _, args := range [][]string{
		{"check", "--sandbox", "--url", "http://127.0.0.1:1/mcp"},
		{"check", "--command", "x --allowed-dir {workspace}"},
		{"check", "--sandbox-writes", "--command", "x"},
		{"check", "--sandbox", "--workspace", ".", "--command", "x {workspace}"},
	} {
		if code, _, stderr := run(args, ""); code != ExitUsage {
			t.Errorf("%v: exit %d\n%s", args, code, stderr)
		}
	}
}
