package cli

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/trace"
)

func init() {
	register(&command{name: "check", summary: "check an MCP server (default: the embedded reference server) against 2026-07-28", run: runCheck})
}

// targetFlags are the flags that name the server under test, shared by
// check and replay.
type targetFlags struct {
	urls    stringList
	command string
	headers stringList
}

func (tf *targetFlags) register(fs *flag.FlagSet) {
	fs.Var(&tf.urls, "url", "an MCP endpoint to check (Streamable HTTP); repeat for several instances of one deployment (requests are spread across them)")
	fs.StringVar(&tf.command, "command", "", "check a stdio server: the `command line` to start it (e.g. \"mcpverify serve --stdio\")")
	fs.Var(&tf.headers, "header", "a `Name: value` header added to every request (e.g. an Authorization bearer token); repeatable")
}

// header parses the --header flags.
func (tf *targetFlags) header() (http.Header, error) {
	if len(tf.headers) == 0 {
		return nil, nil
	}
	h := http.Header{}
	for _, s := range tf.headers {
		k, v, ok := strings.Cut(s, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("--header %q: want Name: value", s)
		}
		h[strings.TrimSpace(k)] = append(h[strings.TrimSpace(k)], strings.TrimSpace(v))
	}
	return h, nil
}

// open starts the targets: the --url instances, the --command process, or
// the embedded reference server. stop releases them.
func (tf *targetFlags) open(e *env, limits check.Limits) (main check.Target, more []check.Target, stop func(), err error) {
	switch {
	case tf.command != "" && len(tf.urls) > 0:
		return nil, nil, nil, fmt.Errorf("--url and --command are exclusive")
	case tf.command != "":
		argv := strings.Fields(tf.command)
		t, err := check.NewStdioTarget(argv, limits, nil)
		if err != nil {
			return nil, nil, nil, err
		}
		return t, nil, func() { t.Close() }, nil
	case len(tf.urls) > 0:
		var ts []check.Target
		for _, u := range tf.urls {
			ts = append(ts, check.NewHTTPTarget(u, limits))
		}
		return ts[0], ts[1:], func() {
			for _, t := range ts {
				t.Close()
			}
		}, nil
	}
	stopRef, u, err := startReference()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("start the reference server: %w", err)
	}
	t := check.NewHTTPTarget(u, limits)
	return t, nil, func() { t.Close(); stopRef() }, nil
}

func runCheck(e *env, args []string) int {
	fs := newFlagSet(e, "check", "[--url URL ... | --command CMD] [flags]")
	var tf targetFlags
	tf.register(fs)
	seed := fs.Int64("seed", 0, "seed of the generated requests, to repeat a run (default: random, printed)")
	budget := fs.Duration("budget", 60*time.Second, "wall-time bound of the run")
	maxEx := fs.Int("max-exchanges", 300, "bound on the exchanges of the generated campaign")
	strict := fs.Bool("strict", false, "treat broken SHOULDs and hardening findings as failures")
	traces := fs.String("traces", "", "write the trace of each failure and warning to `DIR`/ID.txtar")
	jsonOut := fs.String("json", "", "write the report as JSON to `FILE` (- for stdout)")
	junitOut := fs.String("junit", "", "write the report as JUnit XML to `FILE`")
	baseline := fs.String("baseline", "", "a `FILE` of known failures: they do not fail the run; baselined checks that now pass are reported as stale")
	verbose := fs.Bool("v", false, "list every requirement judged, not only failures and warnings")
	var only, origins stringList
	fs.Var(&only, "only", "run only the checks whose name starts with `PREFIX` (e.g. headers/); repeatable")
	fs.Var(&origins, "allowed-origin", "an `ORIGIN` the server is meant to accept besides its own; repeatable")
	if code := parse(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "mcpverify check: unexpected argument %q\n", fs.Arg(0))
		return ExitUsage
	}
	hdr, err := tf.header()
	if err != nil {
		fmt.Fprintf(e.stderr, "mcpverify check: %v\n", err)
		return ExitUsage
	}
	var known *check.KnownFailures
	if *baseline != "" {
		if known, err = check.LoadBaseline(*baseline); err != nil {
			fmt.Fprintf(e.stderr, "mcpverify check: %v\n", err)
			return ExitUsage
		}
	}
	opts := check.Options{Seed: *seed, Budget: *budget, MaxExchanges: *maxEx, Strict: *strict, Progress: e.stderr, Only: only}
	opts.Model.AllowedOrigins = origins
	opts.Client = check.DefaultClient
	opts.Client.Header = hdr

	target, more, stop, err := tf.open(e, check.Limits{})
	if err != nil {
		fmt.Fprintf(e.stderr, "mcpverify check: %v\n", err)
		return ExitCannotRun
	}
	defer stop()
	opts.Instances = more
	rep, err := check.Run(e.ctx, target, opts)
	if err != nil {
		fmt.Fprintf(e.stderr, "mcpverify check: %v\n", err)
		return ExitCannotRun
	}
	var stale []string
	if known != nil {
		stale = known.Apply(rep)
	}
	if *traces != "" {
		if err := writeTraces(*traces, rep); err != nil {
			fmt.Fprintf(e.stderr, "mcpverify check: %v\n", err)
			return ExitCannotRun
		}
	}
	check.WriteText(e.stdout, rep, check.TextOptions{Verbose: *verbose, TraceDir: *traces, Stale: stale})
	if err := writeFile(e.stdout, *jsonOut, func(w io.Writer) error { return check.WriteJSON(w, rep) }); err != nil {
		fmt.Fprintf(e.stderr, "mcpverify check: --json: %v\n", err)
		return ExitCannotRun
	}
	if err := writeFile(e.stdout, *junitOut, func(w io.Writer) error { return check.WriteJUnit(w, rep) }); err != nil {
		fmt.Fprintf(e.stderr, "mcpverify check: --junit: %v\n", err)
		return ExitCannotRun
	}
	if rep.Exchanges == 0 {
		return ExitCannotRun
	}
	if rep.Failed() {
		return ExitViolations
	}
	return ExitOK
}

// writeFile writes to path with write ("-" is stdout; "" does nothing).
func writeFile(stdout io.Writer, path string, write func(io.Writer) error) error {
	switch path {
	case "":
		return nil
	case "-":
		return write(stdout)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeTraces saves the trace of each result as DIR/ID.txtar.
func writeTraces(dir string, rep *check.Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create trace directory: %w", err)
	}
	for _, r := range rep.Results {
		if r.Trace == nil {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, string(r.ID)+".txtar"), trace.Format(r.Trace), 0o644); err != nil {
			return fmt.Errorf("write trace: %w", err)
		}
	}
	return nil
}

// startReference serves the reference server on a loopback port and
// returns its URL and a function that stops it.
func startReference() (stop func(), url string, err error) {
	srv, err := impl.New(impl.Config{})
	if err != nil {
		return nil, "", err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	return func() { srv.Close(); hs.Close() }, "http://" + ln.Addr().String() + impl.Endpoint, nil
}
