package cli

import (
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestScript runs the command-line transcripts in testdata/script: each
// runs mcpverify (Main, in this process) and states its exit status and
// what it printed. Commands:
//
//	mcpverify ARGS...   run Main with ARGS; fails unless it exits 0 (with
//	                    a leading !, unless it exits non-zero)
//	status N            the last mcpverify exited with N
//
// Main runs in the test's working directory, not the script's: give
// paths under $WORK.
func TestScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Values[statusKey{}] = new(int)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"mcpverify": func(ts *testscript.TestScript, neg bool, args []string) {
				code := Main(args, strings.NewReader(""), ts.Stdout(), ts.Stderr())
				*ts.Value(statusKey{}).(*int) = code
				if neg != (code != 0) {
					ts.Fatalf("mcpverify exited with %d", code)
				}
			},
			"status": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 1 {
					ts.Fatalf("usage: status N")
				}
				want, err := strconv.Atoi(args[0])
				ts.Check(err)
				if got := *ts.Value(statusKey{}).(*int); got != want {
					ts.Fatalf("mcpverify exited with %d, want %d", got, want)
				}
			},
		},
	})
}

// statusKey keys the last exit status in a script's values.
type statusKey struct{}
