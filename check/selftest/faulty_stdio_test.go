package selftest_test

import (
	"context"
	"io"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/internal/faulty"
	"github.com/mcpverify/mcpverify/check/target"
	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
)

// stdioDecided are the requirements the stdio checks decide.
var stdioDecided = []spec.ID{spec.CoreCancelSilence, spec.CoreCancelNoResponse, spec.CoreNoConnectionContext, spec.StdioExitOnEof}

// runStdioServer runs the checker over stdio against serve (in process,
// over pipes).
func runStdioServer(t *testing.T, name string, serve func(in io.Reader, out io.Writer) error, only []string) *check.Report {
	t.Helper()
	tgt := stdioPipes(name, serve)
	defer tgt.Close()
	rep, err := check.Run(context.Background(), tgt, check.Options{Seed: 1, Budget: 40 * time.Second, Only: only})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// stdioPipes serves serve in process over pipes, as a stdio target.
func stdioPipes(name string, serve func(in io.Reader, out io.Writer) error) *target.Stdio {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	go func() {
		serve(inR, outW)
		outW.Close()
		io.Copy(io.Discard, inR)
	}()
	return target.NewStdioConn(name, inW, outR, target.Limits{Timeout: 5 * time.Second})
}

// stdioServer starts a fresh reference server behind broken (nil: the
// reference itself) over pipes, as a target closed with the test.
func stdioServer(broken func(*impl.Server) faulty.StdioServer) func(t *testing.T) check.Target {
	return func(t *testing.T) check.Target {
		srv, err := impl.New(impl.Config{})
		if err != nil {
			t.Fatal(err)
		}
		serve := func(in io.Reader, out io.Writer) error { return srv.ServeStdio(context.Background(), in, out) }
		if broken != nil {
			b := broken(srv)
			serve = func(in io.Reader, out io.Writer) error { return b.Serve(in, out) }
		}
		tgt := stdioPipes("replay", serve)
		t.Cleanup(func() { tgt.Close(); srv.Close() })
		return tgt
	}
}

// TestFaultyStdioVariants: each broken stdio variant is caught, naming the
// requirement it breaks; the reference server passes the same checks.
func TestFaultyStdioVariants(t *testing.T) {
	n := 0
	for _, v := range faulty.All() {
		if v.Stdio == nil {
			continue
		}
		n++
		t.Run(v.Name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv, err := impl.New(impl.Config{})
				if err != nil {
					t.Fatal(err)
				}
				defer srv.Close()
				broken := v.Stdio(srv)
				rep := runStdioServer(t, v.Name, func(in io.Reader, out io.Writer) error { return broken.Serve(in, out) }, v.Only)
				for _, id := range v.Breaks {
					r, ok := rep.Result(id)
					if !ok || (r.Status != check.Fail && r.Status != check.Warn) {
						t.Errorf("%s: %s not reported broken (got %+v)", v.Defect, id, r)
					}
				}
				saveAttacks(t, v.Name, rep, v.Breaks)
				replayBreaks(t, rep, v.Breaks, stdioServer(v.Stdio), stdioServer(nil), check.ReplayOptions{Budget: 40 * time.Second})
			})
		})
	}
	if n == 0 {
		t.Fatal("no stdio variants registered")
	}
	t.Run("reference", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			srv, err := impl.New(impl.Config{})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			rep := runStdioServer(t, "reference", func(in io.Reader, out io.Writer) error {
				return srv.ServeStdio(context.Background(), in, out)
			}, []string{"stdio/"})
			for _, r := range rep.Results {
				switch r.Status {
				case check.Fail, check.Warn, check.Inconclusive:
					t.Errorf("%s %s: %s (check %s)", r.Status, r.ID, r.Message, r.Check)
				}
			}
			for _, id := range stdioDecided {
				r, _ := rep.Result(id)
				want := check.Pass
				if id == spec.StdioExitOnEof {
					want = check.Skip // no process to start over pipes
				}
				if r.Status != want {
					t.Errorf("%s: %s (%s); want %s", id, r.Status, r.Message, want)
				}
			}
		})
	})
}
