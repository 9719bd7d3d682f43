package cli

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/hints"
	"github.com/mcpverify/mcpverify/check/report"
	"github.com/mcpverify/mcpverify/check/target"
	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/wire"
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
	// principals makes the embedded reference server require the bearer
	// tokens of two principals (see embeddedCredentials).
	principals bool
}

func (tf *targetFlags) register(fs *flag.FlagSet) {
	fs.Var(&tf.urls, "url", "an MCP endpoint to check (Streamable HTTP); repeat for several instances of one deployment (requests are spread across them)")
	fs.StringVar(&tf.command, "command", "", "check a stdio server: the `command line` to start it (e.g. \"mcpverify serve --stdio\")")
	fs.Var(&tf.headers, "header", "a `Name: value` header added to every request (e.g. an Authorization bearer token); repeatable")
}

// header parses the --header flags.
func (tf *targetFlags) header() (http.Header, error) {
	return parseHeaders("--header", tf.headers)
}

// parseHeaders parses "Name: value" flags (nil when there are none).
func parseHeaders(flagName string, list []string) (http.Header, error) {
	if len(list) == 0 {
		return nil, nil
	}
	h := http.Header{}
	for _, s := range list {
		k, v, ok := strings.Cut(s, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("%s %q: want Name: value", flagName, s)
		}
		h[strings.TrimSpace(k)] = append(h[strings.TrimSpace(k)], strings.TrimSpace(v))
	}
	return h, nil
}

// open starts the targets: the --url instances, the --command process, or
// the embedded reference server. stop releases them.
func (tf *targetFlags) open(e *env, limits target.Limits) (main check.Target, more []check.Target, stop func(), err error) {
	switch {
	case tf.command != "" && len(tf.urls) > 0:
		return nil, nil, nil, fmt.Errorf("--url and --command are exclusive")
	case tf.command != "":
		argv := strings.Fields(tf.command)
		t, err := target.NewStdio(argv, limits, nil)
		if err != nil {
			return nil, nil, nil, err
		}
		return t, nil, func() { t.Close() }, nil
	case len(tf.urls) > 0:
		var ts []check.Target
		for _, u := range tf.urls {
			ts = append(ts, target.NewHTTP(u, limits))
		}
		return ts[0], ts[1:], func() {
			for _, t := range ts {
				t.Close()
			}
		}, nil
	}
	srv, err := referenceServer(tf.principals)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("start the reference server: %w", err)
	}
	t := target.InProcess(srv.Handler(), limits)
	fmt.Fprintf(e.stderr, "no --url or --command: the embedded reference server, served in process as %s (no port is opened)\n", t.Describe())
	return t, nil, func() { t.Close(); srv.Close() }, nil
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
	htmlOut := fs.String("html", "", "write the report as a self-contained HTML page to `FILE`")
	baseline := fs.String("baseline", "", "a `FILE` of known failures: they do not fail the run; baselined checks that now pass are reported as stale")
	verbose := fs.Bool("v", false, "list every requirement judged, not only failures and warnings")
	var only, origins, altHeaders stringList
	fs.Var(&only, "only", "run only the checks whose name starts with `PREFIX` (e.g. headers/); repeatable")
	fs.Var(&origins, "allowed-origin", "an `ORIGIN` the server is meant to accept besides its own; repeatable")
	fs.Var(&altHeaders, "alt-header", "a `Name: value` header carrying the credentials of a second principal (not the one of --header), for the cross-principal state checks; repeatable")
	hintsFile := fs.String("hints", "", "a JSON `FILE` naming state-handle tools, single-use requests, requests whose state matters and lifetimes (see the README)")
	stateTTLMax := fs.Duration("state-ttl-max", 0, "the longest a requestState should stay valid; a state presented later must be refused (the expiry check waits this long if the budget allows)")
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
	alt, err := parseHeaders("--alt-header", altHeaders)
	if err != nil {
		fmt.Fprintf(e.stderr, "mcpverify check: %v\n", err)
		return ExitUsage
	}
	if *stateTTLMax < 0 {
		fmt.Fprintf(e.stderr, "mcpverify check: --state-ttl-max %v is negative\n", *stateTTLMax)
		return ExitUsage
	}
	var hs *hints.Hints
	if *hintsFile != "" {
		if hs, err = hints.Load(*hintsFile); err != nil {
			fmt.Fprintf(e.stderr, "mcpverify check: --hints: %v\n", err)
			return ExitUsage
		}
	}
	// The embedded reference server requires bearer tokens: the client
	// presents one principal's, the state checks the other's.
	hdr, alt = tf.embeddedCredentials(true, hdr, alt)
	stdoutUsers := 0
	for _, f := range []string{*jsonOut, *junitOut, *htmlOut} {
		if f == "-" {
			stdoutUsers++
		}
	}
	if stdoutUsers > 1 {
		fmt.Fprintf(e.stderr, "mcpverify check: only one of --json, --junit and --html may write to stdout (-); write the others to files\n")
		return ExitUsage
	}
	var known *report.KnownFailures
	if *baseline != "" {
		if known, err = report.LoadBaseline(*baseline); err != nil {
			fmt.Fprintf(e.stderr, "mcpverify check: %v\n", err)
			return ExitUsage
		}
	}
	opts := check.Options{Seed: *seed, Budget: *budget, MaxExchanges: *maxEx, Strict: *strict, Progress: e.stderr, Only: only}
	opts.Model.AllowedOrigins = origins
	opts.Client = check.DefaultClient
	opts.Client.Header = hdr
	opts.AltHeader, opts.Hints, opts.StateTTLMax = alt, hs, *stateTTLMax

	tgt, more, stop, err := tf.open(e, target.Limits{})
	if err != nil {
		fmt.Fprintf(e.stderr, "mcpverify check: %v\n", err)
		return ExitCannotRun
	}
	defer stop()
	opts.Instances = more
	rep, err := check.Run(e.ctx, tgt, opts)
	if err != nil {
		fmt.Fprintf(e.stderr, "mcpverify check: %v\n", err)
		return ExitCannotRun
	}
	if s, ok := tgt.(interface{ Stderr() string }); ok && rep.Stderr == "" {
		rep.Stderr = s.Stderr() // a stdio server's stderr, for the reports
	}
	var stale []string
	if known != nil {
		stale = known.Apply(rep)
	}
	if *traces != "" {
		if err := report.SaveTraces(*traces, rep); err != nil {
			fmt.Fprintf(e.stderr, "mcpverify check: --traces: %v\n", err)
			return ExitCannotRun
		}
	}
	// The text report goes to stdout, unless stdout carries a machine
	// report (--json - or --junit -): then to stderr.
	text := e.stdout
	if stdoutUsers > 0 {
		text = e.stderr
	}
	report.WriteText(text, rep, report.TextOptions{Verbose: *verbose, TraceDir: *traces, Stale: stale})
	if err := writeFile(e.stdout, *jsonOut, func(w io.Writer) error { return report.WriteJSON(w, rep) }); err != nil {
		fmt.Fprintf(e.stderr, "mcpverify check: --json: %v\n", err)
		return ExitCannotRun
	}
	if err := writeFile(e.stdout, *junitOut, func(w io.Writer) error { return report.WriteJUnit(w, rep) }); err != nil {
		fmt.Fprintf(e.stderr, "mcpverify check: --junit: %v\n", err)
		return ExitCannotRun
	}
	if err := writeFile(e.stdout, *htmlOut, func(w io.Writer) error { return report.WriteHTML(w, rep) }); err != nil {
		fmt.Fprintf(e.stderr, "mcpverify check: --html: %v\n", err)
		return ExitCannotRun
	}
	return exitCode(e, rep)
}

// exitCode is the exit status of a finished run: 3 when a failure that no
// baseline excuses remains; 1 when the run could not check the server (no
// exchange, or no requirement came out pass, fail or warn: the server did
// not answer, or not recognizably); else 0. It says why on stderr.
func exitCode(e *env, rep *check.Report) int {
	if rep.Failed() {
		return ExitViolations
	}
	judged := false
	for _, r := range rep.Results {
		judged = judged || r.Status == check.Pass || r.Status == check.Fail || r.Status == check.Warn
	}
	if rep.Exchanges == 0 || !judged {
		why := "is the server up, and the URL its MCP endpoint?"
		if rep.Era == check.Legacy {
			why = "the server speaks only handshake-era revisions"
		}
		fmt.Fprintf(e.stderr, "mcpverify check: could not check %s: no requirement could be judged in %d exchanges (%s)\n", rep.Target, rep.Exchanges, why)
		return ExitCannotRun
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

// The embedded reference server's principals: their bearer tokens. They
// are fixed, so that a trace of a default run replays against a new
// embedded server; the server runs in process, for one run.
const (
	referenceAliceToken = "mcpverify-reference-alice"
	referenceBobToken   = "mcpverify-reference-bob"
)

// referenceStateTTL is the embedded server's requestState lifetime: short,
// so that the default run can present a state after it expired.
const referenceStateTTL = 5 * time.Second

// embeddedCredentials: when the target is the embedded reference server
// (no --url or --command) and want is set, the server requires the bearer
// tokens of two principals, which are added to hdr and alt
// (withReferenceCredentials).
func (tf *targetFlags) embeddedCredentials(want bool, hdr, alt http.Header) (http.Header, http.Header) {
	if !want || len(tf.urls) > 0 || tf.command != "" {
		return hdr, alt
	}
	tf.principals = true
	return withReferenceCredentials(hdr, alt)
}

// withReferenceCredentials adds the embedded server's credentials: alice's
// token to the client's headers and bob's as the second principal, unless
// the flags give an Authorization header already.
func withReferenceCredentials(hdr, alt http.Header) (http.Header, http.Header) {
	if _, ok := wire.HeaderValue(hdr, "Authorization"); !ok {
		hdr = hdr.Clone()
		if hdr == nil {
			hdr = http.Header{}
		}
		hdr["Authorization"] = []string{"Bearer " + referenceAliceToken}
	}
	if len(alt) == 0 {
		alt = http.Header{"Authorization": {"Bearer " + referenceBobToken}}
	}
	return hdr, alt
}

// referenceServer is the embedded reference server, served in process
// (target.InProcess: no socket is opened). With principals, it has two,
// alice and bob (bearer tokens referenceAliceToken and referenceBobToken),
// and a short requestState lifetime (referenceStateTTL), so that every
// state check, the cross-principal ones and the expiry among them, runs in
// the default run of check.
func referenceServer(principals bool) (*impl.Server, error) {
	cfg := impl.Config{}
	if principals {
		cfg.Tokens = map[string]string{referenceAliceToken: "alice", referenceBobToken: "bob"}
		cfg.StateTTL = referenceStateTTL
	}
	return impl.New(cfg)
}
