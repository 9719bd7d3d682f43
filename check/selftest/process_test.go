package selftest_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/internal/faulty"
	"github.com/mcpverify/mcpverify/check/target"
	"github.com/mcpverify/mcpverify/impl"
)

// serveProcessVariant serves the process variant name on the helper
// process's streams, and exits when it returns.
func serveProcessVariant(name string, in, out *os.File) {
	for _, v := range faulty.ProcessVariants() {
		if v.Name != name {
			continue
		}
		cfg := impl.Config{}
		if v.Config != nil {
			cfg = *v.Config
		}
		srv, err := impl.New(cfg)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Fprintln(os.Stderr, "faulty server ready:", name)
		if err := v.Stdio(srv).Serve(in, out); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	fmt.Fprintln(os.Stderr, "no process variant named", name)
}

// processServer starts the helper process in mode as a stdio target the
// checker can spawn copies of, closed with the test (a server that does
// not exit at the end of its input is terminated after a short wait).
func processServer(mode string) func(t *testing.T) check.Target {
	return func(t *testing.T) check.Target {
		tgt, err := target.NewStdio(helperArgv(mode), target.Limits{Timeout: 5 * time.Second, ExitWait: 300 * time.Millisecond}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tgt.Close() })
		return tgt
	}
}

// TestProcessVariants: each stdio variant that needs a process the checker
// starts runs as a helper process (this test binary); the checker names
// the requirement it breaks, and the saved trace replays as failing
// against a fresh process of the variant, and not against the reference
// server's process. Real processes keep real time: no synctest bubble.
func TestProcessVariants(t *testing.T) {
	vs := faulty.ProcessVariants()
	if len(vs) == 0 {
		t.Fatal("no process variants")
	}
	for _, v := range vs {
		t.Run(v.Name, func(t *testing.T) {
			broken := processServer("faulty:" + v.Name)
			rep, err := check.Run(context.Background(), broken(t), check.Options{Seed: 1, Budget: 30 * time.Second, Only: v.Only})
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range v.Breaks {
				r, ok := rep.Result(id)
				if !ok || (r.Status != check.Fail && r.Status != check.Warn) {
					t.Errorf("%s: %s not reported broken (got %+v)", v.Defect, id, r)
				}
			}
			replayBreaks(t, rep, v.Breaks, broken, processServer("serve"), check.ReplayOptions{Budget: 30 * time.Second})
		})
	}
}
