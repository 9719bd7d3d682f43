package cli

import (
	"fmt"
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

func runCheck(e *env, args []string) int {
	fs := newFlagSet(e, "check", "[--url URL] [flags]")
	url := fs.String("url", "", "the MCP endpoint to check (Streamable HTTP); none: the embedded reference server, in process")
	var headers stringList
	fs.Var(&headers, "header", "a `Name: value` header added to every request (e.g. an Authorization bearer token); repeatable")
	seed := fs.Int64("seed", 0, "seed of the generated requests, to repeat a run (default: random, printed)")
	budget := fs.Duration("budget", 30*time.Second, "wall-time bound of the run")
	maxEx := fs.Int("max-exchanges", 400, "bound on the generated exchanges")
	strict := fs.Bool("strict", false, "treat broken SHOULDs and hardening findings as failures")
	traces := fs.String("traces", "", "write the trace of each failure and warning to `DIR`/ID.txtar")
	var origins stringList
	fs.Var(&origins, "allowed-origin", "an `ORIGIN` the server is meant to accept besides its own; repeatable")
	if code := parse(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "mcpverify check: unexpected argument %q\n", fs.Arg(0))
		return ExitUsage
	}
	opts := check.Options{Seed: *seed, Budget: *budget, MaxExchanges: *maxEx, Strict: *strict, Progress: e.stderr}
	opts.Model.AllowedOrigins = origins
	if len(headers) > 0 {
		opts.Client = check.DefaultClient
		opts.Client.Header = http.Header{}
		for _, h := range headers {
			k, v, ok := strings.Cut(h, ":")
			if !ok || strings.TrimSpace(k) == "" {
				fmt.Fprintf(e.stderr, "mcpverify check: --header %q: want Name: value\n", h)
				return ExitUsage
			}
			opts.Client.Header[strings.TrimSpace(k)] = append(opts.Client.Header[strings.TrimSpace(k)], strings.TrimSpace(v))
		}
	}

	target := *url
	if target == "" {
		stop, u, err := startReference()
		if err != nil {
			fmt.Fprintf(e.stderr, "mcpverify check: start the reference server: %v\n", err)
			return ExitCannotRun
		}
		defer stop()
		target = u
	}
	t := check.NewHTTPTarget(target, check.Limits{})
	defer t.Close()
	rep, err := check.Run(e.ctx, t, opts)
	if err != nil {
		fmt.Fprintf(e.stderr, "mcpverify check: %v\n", err)
		return ExitCannotRun
	}
	check.WriteText(e.stdout, rep)
	if *traces != "" {
		if err := writeTraces(*traces, rep); err != nil {
			fmt.Fprintf(e.stderr, "mcpverify check: %v\n", err)
			return ExitCannotRun
		}
	}
	if rep.Exchanges == 0 {
		return ExitCannotRun
	}
	if rep.Failed() {
		return ExitViolations
	}
	return ExitOK
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
