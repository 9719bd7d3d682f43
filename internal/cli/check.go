package cli

import (
	"fmt"
	"net/url"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/hints"
	"github.com/mcpverify/mcpverify/check/report"
	"github.com/mcpverify/mcpverify/check/sandbox"
	"github.com/mcpverify/mcpverify/check/target"
)

func init() {
	register(&command{name: "check", summary: "check an MCP server (default: the embedded reference server) against 2026-07-28", run: runCheck})
}

func runCheck(e *env, args []string) int {
	fs := newFlagSet(e, "check", "[--url URL ... | --command CMD] [flags]")
	var tf targetFlags
	tf.register(fs)
	var out outputs
	seed := fs.Int64("seed", 0, "seed of the generated requests, to repeat a run (default: random, printed)")
	budget := fs.Duration("budget", 60*time.Second, "wall-time bound of the run")
	maxEx := fs.Int("max-exchanges", 300, "bound on the exchanges of the generated campaign")
	strict := fs.Bool("strict", false, "treat broken SHOULDs and hardening findings as failures")
	fs.StringVar(&out.traces, "traces", "", "write the trace of each failure and warning to `DIR`/ID.txtar (DIR is made if need be)")
	fs.StringVar(&out.json, "json", "", "write the report as JSON to `FILE` (- for stdout)")
	fs.StringVar(&out.junit, "junit", "", "write the report as JUnit XML to `FILE` (- for stdout)")
	fs.StringVar(&out.html, "html", "", "write the report as a self-contained HTML page to `FILE` (- for stdout)")
	fs.StringVar(&out.sarif, "sarif", "", "write the report as a SARIF 2.1.0 log (for GitHub code scanning) to `FILE` (- for stdout)")
	baseline := fs.String("baseline", "", "a `FILE` of known failures: they do not fail the run; baselined checks that now pass are reported as stale")
	verbose := fs.Bool("v", false, "list every requirement judged, not only failures and warnings")
	var only, origins, altHeaders stringList
	fs.Var(&only, "only", "run only what `SELECTOR` names: a check-name prefix (headers/), a requirement ID (HTTP-ORIGIN: the checks that decide it and, if the model judges it, the generated campaign) or an ID prefix ending in - (STATE-); repeatable (mcpverify list shows them)")
	fs.Var(&origins, "allowed-origin", "an `ORIGIN` (scheme://host[:port]) the server is meant to accept besides its own; repeatable")
	fs.Var(&altHeaders, "alt-header", "a `\"Name: value\"` header carrying the credentials of a second principal (not the one of --header), for the cross-principal state checks; repeatable")
	hintsFile := fs.String("hints", "", "a JSON `FILE` naming state-handle tools, single-use requests, requests whose state matters, lifetimes, and the requests forbidden to each principal (see the README)")
	authMock := fs.String("auth-mock", "", "serve the mock authorization server on the loopback `ADDR` (host:port; the issuer is http://ADDR) and present its tokens: alice's as --header, bob's as --alt-header, for the first --url, with the scopes its metadata lists (the server must trust that issuer)")
	authMockCA := fs.String("auth-mock-tls-ca", "", "with --auth-mock, serve the mock over https and write its certificate authority (PEM) to `FILE` ({ca} in --command), for a server that accepts only an https issuer")
	authMockKeys := fs.String("auth-mock-keys", "", "the mock's signing keys, a JWKS `FILE` (made with new keys when missing, as mcpverify mock-as --keys does): for servers that fetch the issuer's keys once, at start")
	upstreamProbe := fs.String("upstream-probe", "", "serve an upstream probe on the loopback `ADDR` (host:port) that records what it receives: point the server at it (--hints upstream, or {upstream} in --command) to check that it passes no caller's token on (default with --auth-mock: a free port)")
	useSandbox := fs.Bool("sandbox", false, "make a sandbox for the file checks: a temporary workspace with files and links, and canary files around it that no answer may hold; {workspace} in --command names the workspace the server must be told to use (with no target, the embedded reference server always gets one)")
	sandboxWrites := fs.Bool("sandbox-writes", false, "with --sandbox or --workspace, call the tools that may write (not marked readOnlyHint) with the escape attempts too: a file appearing or changing outside the workspace fails FILES-TOOL-CONFINED (they write into the workspace and around it)")
	workspace := fs.String("workspace", "", "the `DIR` a server started elsewhere (--url) was told to use, on this machine: the file checks plant their files, links and canaries in and around it, and remove exactly those after")
	taskFlood := fs.Int("task-flood", 200, "the most tasks the task flood (tasks/quota) creates as one principal, within 20 s, to see whether the server limits them; 0 skips it")
	stateTTLMax := fs.Duration("state-ttl-max", 0, "the longest a requestState should stay valid; a state presented later must be refused (the expiry check waits this long if the budget allows)")
	if code := fs.parse(args); code >= 0 {
		return code
	}

	// Every flag is checked before anything starts.
	if fs.NArg() > 0 {
		return fs.usageError("unexpected argument %q", fs.Arg(0))
	}
	if err := tf.validate(fs); err != nil {
		return fs.usageError("%v", err)
	}
	hdr, _ := tf.header() // validated
	alt, err := parseHeaders("--alt-header", altHeaders)
	if err != nil {
		return fs.usageError("%v", err)
	}
	switch {
	case *budget <= 0:
		return fs.usageError("--budget %v: want a positive duration", *budget)
	case *maxEx <= 0:
		return fs.usageError("--max-exchanges %d: want at least 1", *maxEx)
	case *stateTTLMax < 0:
		return fs.usageError("--state-ttl-max %v is negative", *stateTTLMax)
	case *taskFlood < 0 || *taskFlood > 100_000:
		return fs.usageError("--task-flood %d: want 0 (off) to 100000", *taskFlood)
	}
	for _, o := range origins {
		if err := checkOrigin(o); err != nil {
			return fs.usageError("%v", err)
		}
	}
	names, err := resolveOnly(only)
	if err != nil {
		return fs.usageError("%v", err)
	}
	if err := out.validate(); err != nil {
		return fs.usageError("%v", err)
	}
	var hs *hints.Hints
	if *hintsFile != "" {
		if hs, err = hints.Load(*hintsFile); err != nil {
			return fs.usageError("--hints: %v", err)
		}
	}
	if *authMock != "" {
		if len(tf.urls) == 0 {
			return fs.usageError("--auth-mock needs --url: authorization is for servers on Streamable HTTP (a stdio server takes credentials from its environment)")
		}
		if err := checkMockAddr("--auth-mock", *authMock); err != nil {
			return fs.usageError("%v", err)
		}
	} else if *authMockKeys != "" || *authMockCA != "" {
		return fs.usageError("--auth-mock-keys and --auth-mock-tls-ca need --auth-mock")
	}
	if *upstreamProbe != "" {
		if err := checkMockAddr("--upstream-probe", *upstreamProbe); err != nil {
			return fs.usageError("%v", err)
		}
	}
	switch {
	case *useSandbox && *workspace != "":
		return fs.usageError("--sandbox and --workspace are exclusive: the checker makes a workspace, or plants around the one given")
	case *useSandbox && len(tf.urls) > 0 && tf.argv == nil:
		return fs.usageError("--sandbox needs a server started on its workspace: --command with {workspace} (with --url too, for an HTTP server), or --workspace DIR for one started elsewhere")
	case *sandboxWrites && !*useSandbox && *workspace == "":
		return fs.usageError("--sandbox-writes needs --sandbox or --workspace")
	case *workspace != "" && len(tf.urls) == 0 && tf.argv == nil:
		return fs.usageError("--workspace names the directory of a server you started (--url or --command); the embedded server gets a sandbox of its own")
	}
	if err := tf.checkPlaceholders(map[string]bool{"{issuer}": *authMock != "", "{ca}": *authMockCA != "", "{upstream}": *authMock != "" || *upstreamProbe != "", "{workspace}": *useSandbox}); err != nil {
		return fs.usageError("%v", err)
	}
	var known *report.KnownFailures
	if *baseline != "" {
		if known, err = report.LoadBaseline(*baseline); err != nil {
			return fs.usageError("%v", err)
		}
	}
	// The embedded reference server requires bearer tokens: the client
	// presents one principal's, the state checks the other's.
	hdr, alt = tf.embeddedCredentials(true, hdr, alt)
	// The file checks' sandbox: asked for, or for the embedded server.
	var sb *sandbox.Sandbox
	sbSeed := *seed
	if sbSeed == 0 {
		sbSeed = time.Now().UnixNano()
	}
	switch {
	case *workspace != "":
		if sb, err = sandbox.Plant(*workspace, sbSeed); err != nil {
			fmt.Fprintf(e.stderr, "mcpverify check: --workspace: %v\n", err)
			return ExitCannotRun
		}
		defer sb.Close()
		fmt.Fprintf(e.stderr, "mcpverify: planted the file checks' files and canaries in and around %s (removed after the run)\n", sb.Workspace)
	case *useSandbox || len(tf.urls) == 0 && tf.argv == nil:
		if sb, err = sandbox.New("", sbSeed); err != nil {
			fmt.Fprintf(e.stderr, "mcpverify check: %v\n", err)
			return ExitCannotRun
		}
		defer sb.Close()
		tf.substitute("{workspace}", sb.Workspace)
		tf.workspace = sb.Workspace
	}
	if sb != nil {
		sb.AllowWrites = *sandboxWrites
	}
	svc, err := startAuthServices(e, &tf, *authMock, *authMockKeys, *authMockCA, *upstreamProbe)
	if err != nil {
		fmt.Fprintf(e.stderr, "mcpverify check: %v\n", err)
		return ExitCannotRun
	}
	defer svc.close()
	opts := check.Options{Seed: *seed, Budget: *budget, MaxExchanges: *maxEx, Strict: *strict, Progress: e.stderr, Only: names, Exact: true}
	opts.Model.AllowedOrigins = origins
	opts.Client = check.DefaultClient
	opts.Client.Header = hdr
	opts.AltHeader, opts.Hints, opts.StateTTLMax = alt, hs, *stateTTLMax
	opts.TaskFlood = *taskFlood
	if *taskFlood == 0 {
		opts.TaskFlood = -1
	}
	opts.Authority, opts.Upstream = svc.authority(), svc.upstream()
	if sb != nil {
		opts.Sandbox = sb
	}

	tgt, more, stop, err := tf.open(e, limitsFor(*budget))
	if err != nil {
		fmt.Fprintf(e.stderr, "mcpverify check: %v\n", err)
		return ExitCannotRun
	}
	defer stop()
	if svc.mock != nil {
		if opts.Client.Header, opts.AltHeader, err = svc.credentials(e, tf.urls[0], opts.Client.Header, opts.AltHeader); err != nil {
			fmt.Fprintf(e.stderr, "mcpverify check: %v\n", err)
			return ExitCannotRun
		}
	}
	opts.Instances = more
	var live *liveStatus
	if isTerminal(e.stderr) {
		live = startLiveStatus(e.stderr)
		opts.Progress, opts.OnProgress = live, live.update
	}
	rep, err := check.Run(e.ctx, tgt, opts)
	if err == nil && tf.principals {
		// The embedded reference: the auth checks run against the
		// reference in issuer mode, which trusts an in-memory mock.
		if ac := authChecks(names); len(ac) > 0 {
			var ar *check.Report
			if ar, err = runAuthReference(e.ctx, opts, ac, limitsFor(*budget)); err == nil {
				mergeAuth(rep, ar)
			}
		}
	}
	if live != nil {
		live.close()
	}
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
	// The text report goes to stdout, unless stdout carries a machine
	// report (--json -, --junit -, --html -, --sarif -): then to stderr.
	text := e.stdout
	if out.toStdout() {
		text = e.stderr
	}
	errs := out.write(e.stdout, text, rep, report.TextOptions{Verbose: *verbose, TraceDir: out.traces, Stale: stale})
	code := exitCode(e, rep)
	for _, err := range errs {
		fmt.Fprintf(e.stderr, "mcpverify check: %v\n", err)
	}
	if len(errs) > 0 {
		return ExitCannotRun
	}
	return code
}

// exitCode is the exit status of a finished run: 130 when it was
// interrupted (the partial report is written); 3 when a failure that no
// baseline excuses remains (with a note when the server answered
// discovery unrecognizably: the failures may only say it is no MCP
// server); 1 when the run could not check the server (no exchange, or no
// requirement came out pass, fail or warn: the server did not answer, or
// not recognizably); 4 when the run started but could not judge what it
// set out to (Report.Incomplete); else 0. It says why on stderr.
func exitCode(e *env, rep *check.Report) int {
	if rep.Interrupted {
		fmt.Fprintf(e.stderr, "mcpverify check: interrupted: the report holds what was judged until then\n")
		return ExitInterrupted
	}
	if rep.Failed() {
		if rep.Era == check.UnknownEra {
			// The failures may say no more than that it is not an MCP
			// server: say what discovery saw.
			fmt.Fprintf(e.stderr, "mcpverify check: note: %s answered neither server/discover nor initialize recognizably: %s\n", rep.Target, whyNothingJudged(rep)[0])
		}
		return ExitViolations
	}
	judged := false
	for _, r := range rep.Results {
		judged = judged || r.Status == check.Pass || r.Status == check.Fail || r.Status == check.Warn
	}
	if rep.Exchanges == 0 || !judged {
		writeWhy(e.stderr, fmt.Sprintf("mcpverify check: could not check %s: no requirement could be judged in %d exchanges", rep.Target, rep.Exchanges), rep)
		return ExitCannotRun
	}
	if rep.Incomplete != "" {
		fmt.Fprintf(e.stderr, "mcpverify check: incomplete: %s\n", report.Clean(rep.Incomplete))
		return ExitIncomplete
	}
	return ExitOK
}

// checkOrigin accepts an origin as browsers send it: scheme://host[:port],
// nothing after.
func checkOrigin(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" || u.Path != "" || u.Opaque != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("--allowed-origin %q: want scheme://host[:port], as a browser sends Origin", s)
	}
	return nil
}

// limitsFor returns the transport limits of a run with the given budget:
// the defaults, but a stdio server that does not exit when its input
// closes is waited for at most a quarter of the budget before it is
// terminated, so that the run ends within twice its budget.
func limitsFor(budget time.Duration) target.Limits {
	l := target.Limits{}
	if w := budget / 4; w < 3*time.Second {
		l.ExitWait = max(w, 100*time.Millisecond)
	}
	return l
}
