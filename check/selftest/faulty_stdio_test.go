package selftest_test

import (
	"context"
	"io"
	"testing"
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
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	go func() {
		serve(inR, outW)
		outW.Close()
		io.Copy(io.Discard, inR)
	}()
	tgt := target.NewStdioConn(name, inW, outR, target.Limits{Timeout: 5 * time.Second})
	defer tgt.Close()
	rep, err := check.Run(context.Background(), tgt, check.Options{Seed: 1, Budget: 40 * time.Second, Only: only})
	if err != nil {
		t.Fatal(err)
	}
	return rep
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
		})
	}
	if n == 0 {
		t.Fatal("no stdio variants registered")
	}
	t.Run("reference", func(t *testing.T) {
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
}
