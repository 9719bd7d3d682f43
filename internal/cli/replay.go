package cli

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/target"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/trace"
	"github.com/mcpverify/mcpverify/wire"
)

func init() {
	register(&command{name: "replay", summary: "send a saved trace's requests again and say whether its violation still occurs", run: runReplay})
}

// runReplay: exit 0 if the trace's violation no longer occurs, 3 if it
// still does, 1 if the replay could not run, 2 for usage errors.
func runReplay(e *env, args []string) int {
	fs := newFlagSet(e, "replay", "[--url URL ... | --command CMD] [flags] TRACE.txtar")
	var tf targetFlags
	tf.register(fs)
	var origins stringList
	fs.Var(&origins, "allowed-origin", "an `ORIGIN` the server is meant to accept besides its own; repeatable")
	if code := parse(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(e.stderr, "mcpverify replay: want one trace file")
		fs.Usage()
		return ExitUsage
	}
	hdr, err := tf.header()
	if err != nil {
		fmt.Fprintf(e.stderr, "mcpverify replay: %v\n", err)
		return ExitUsage
	}
	path := fs.Arg(0)
	data, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(e.stderr, "mcpverify replay: %v\n", err)
		return ExitCannotRun
	}
	tr, err := trace.Parse(data)
	if err != nil {
		fmt.Fprintf(e.stderr, "mcpverify replay: %s: %v\n", path, err)
		return ExitCannotRun
	}
	tgt, more, stop, err := tf.open(e, target.Limits{})
	if err != nil {
		fmt.Fprintf(e.stderr, "mcpverify replay: %v\n", err)
		return ExitCannotRun
	}
	defer stop()
	opts := check.ReplayOptions{Instances: more, Header: hdr}
	opts.Model.AllowedOrigins = origins
	res, err := check.Replay(e.ctx, tgt, tr, opts)
	if err != nil {
		if res != nil {
			writeReplay(e.stdout, tgt.Describe(), path, res)
		}
		fmt.Fprintf(e.stderr, "mcpverify replay: %v\n", err)
		return ExitCannotRun
	}
	writeReplay(e.stdout, tgt.Describe(), path, res)
	if res.StillFails() {
		return ExitViolations
	}
	return ExitOK
}

// writeReplay prints each exchange's answer and violations, then the
// verdict on the trace's want IDs.
func writeReplay(w io.Writer, tgt, path string, res *check.ReplayResult) {
	fmt.Fprintf(w, "replaying %s against %s\n", path, tgt)
	for i, x := range res.Exchanges {
		fmt.Fprintf(w, "%3d %s: %s\n", i+1, label(x.Ex), check.Observation{Ex: x.Ex}.Describe())
		for _, v := range x.Violations {
			fmt.Fprintf(w, "      %s\n", v)
		}
	}
	switch {
	case len(res.Want) == 0 && res.StillFails():
		fmt.Fprintf(w, "the trace names no requirement (no want field); %d violation(s) occurred: still fails\n", len(res.Violations()))
	case len(res.Want) == 0:
		fmt.Fprintln(w, "the trace names no requirement (no want field); no violation occurred")
	default:
		again := map[spec.ID]bool{}
		for _, id := range res.Reproduced {
			again[id] = true
		}
		for _, id := range res.Want {
			if again[id] {
				fmt.Fprintf(w, "%s: still fails\n", id)
			} else {
				fmt.Fprintf(w, "%s: no longer occurs\n", id)
			}
		}
	}
}

// label names an exchange's request: the method, the tool or prompt name,
// and the HTTP method when it is not POST.
func label(ex *wire.Exchange) string {
	ex.Decode()
	s := ex.Method()
	if s == "" {
		s = "(not a JSON-RPC message)"
	}
	if n, ok := ex.RequestHeader(strings.ToLower(wire.HeaderName)); ok && n != "" {
		if d, err := wire.DecodeHeaderValue(n); err == nil {
			n = d
		}
		s += " " + n
	}
	if ex.HTTPMethod != "" && ex.HTTPMethod != http.MethodPost {
		s = ex.HTTPMethod + " " + s
	}
	return strings.TrimSpace(s)
}
