package cli

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/authmock"
	"github.com/mcpverify/mcpverify/check/sandbox"
	"github.com/mcpverify/mcpverify/check/target"
	"github.com/mcpverify/mcpverify/trace"
	"github.com/mcpverify/mcpverify/wire"
)

func init() {
	register(&command{name: "replay", summary: "judge a saved trace again: still failing, no longer occurring, or could not replay", run: runReplay})
}

// runReplay replays one trace. Exit codes (as check's): 0 every wanted
// requirement was judged again and no longer breaks; 3 one still breaks;
// 4 could not replay some (the server answered, but a check came out
// inconclusive, a request got no answer, credentials are missing: the
// reason is printed); 1 could not run (the server never answered, the
// trace is unreadable or names a check this build lacks); 2 usage.
func runReplay(e *env, args []string) int {
	fs := newFlagSet(e, "replay", "[--url URL ... | --command CMD] [flags] TRACE.txtar")
	var tf targetFlags
	tf.register(fs)
	var origins, altHeaders stringList
	fs.Var(&origins, "allowed-origin", "an `ORIGIN` (scheme://host[:port]) the server is meant to accept besides its own (added to the trace's); repeatable")
	fs.Var(&altHeaders, "alt-header", "a `\"Name: value\"` header with the second principal's credentials, in place of the trace's redacted ones; repeatable")
	budget := fs.Duration("budget", 60*time.Second, "wall-time bound of a check re-run")
	authMock := fs.String("auth-mock", "", "serve the mock authorization server on the loopback `ADDR` and mint the trace's tokens again with it (the server must trust its issuer; see check --auth-mock)")
	authMockCA := fs.String("auth-mock-tls-ca", "", "with --auth-mock, serve the mock over https and write its certificate authority (PEM) to `FILE` ({ca} in --command), for a server that accepts only an https issuer")
	useSandbox := fs.Bool("sandbox", false, "make the trace's sandbox again (from its seed: the same names and contents, under a new temporary directory) for a server started on it ({workspace} in --command); a trace of the file checks replayed with no target gets it always")
	authMockKeys := fs.String("auth-mock-keys", "", "the mock's signing keys, a JWKS `FILE` (see check --auth-mock-keys)")
	if code := fs.parse(args); code >= 0 {
		return code
	}
	if fs.NArg() != 1 {
		return fs.usageError("want one trace file")
	}
	if err := tf.validate(fs); err != nil {
		return fs.usageError("%v", err)
	}
	hdr, _ := tf.header() // validated
	alt, err := parseHeaders("--alt-header", altHeaders)
	if err != nil {
		return fs.usageError("%v", err)
	}
	if *budget <= 0 {
		return fs.usageError("--budget %v: want a positive duration", *budget)
	}
	for _, o := range origins {
		if err := checkOrigin(o); err != nil {
			return fs.usageError("%v", err)
		}
	}
	if *authMock != "" {
		if len(tf.urls) == 0 {
			return fs.usageError("--auth-mock needs --url")
		}
		if err := checkMockAddr("--auth-mock", *authMock); err != nil {
			return fs.usageError("%v", err)
		}
	} else if *authMockKeys != "" || *authMockCA != "" {
		return fs.usageError("--auth-mock-keys and --auth-mock-tls-ca need --auth-mock")
	}
	if err := tf.checkPlaceholders(map[string]bool{"{issuer}": *authMock != "", "{ca}": *authMockCA != "", "{upstream}": *authMock != "", "{workspace}": *useSandbox}); err != nil {
		return fs.usageError("%v", err)
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
	// A trace of the file checks: its sandbox made again from its seed
	// (asked for, or for the embedded server); the check re-run sends its
	// attempts against the new tree.
	var sb *sandbox.Sandbox
	if *useSandbox || len(tf.urls) == 0 && tf.argv == nil && tr.Get("sandbox") != "" {
		seed, _ := strconv.ParseInt(tr.Get("seed"), 10, 64)
		if sb, err = sandbox.New("", seed); err != nil {
			fmt.Fprintf(e.stderr, "mcpverify replay: %v\n", err)
			return ExitCannotRun
		}
		defer sb.Close()
		tf.substitute("{workspace}", sb.Workspace)
		tf.workspace = sb.Workspace
	}
	// The embedded reference server, as check runs it: its principals'
	// credentials fill the trace's redacted ones. A trace that names no
	// credentials gets one that requires none.
	svc, err := startAuthServices(e, &tf, *authMock, *authMockKeys, *authMockCA, "")
	if err != nil {
		fmt.Fprintf(e.stderr, "mcpverify replay: %v\n", err)
		return ExitCannotRun
	}
	defer svc.close()
	// A trace of the auth checks replays against the reference in issuer
	// mode, with an in-memory mock minting its tokens again.
	var authority check.Authority
	var tgt check.Target
	var more []check.Target
	stop := func() {}
	if len(tf.urls) == 0 && tf.argv == nil && mintedTrace(tr) {
		ir, err := newIssuerReference()
		if err != nil {
			fmt.Fprintf(e.stderr, "mcpverify replay: %v\n", err)
			return ExitCannotRun
		}
		t := target.InProcess(ir.srv.Handler(), target.Limits{})
		fmt.Fprintf(e.stderr, "no --url or --command: the embedded reference server in issuer mode, trusting an in-memory mock authorization server, served in process as %s\n", t.Describe())
		hdr, alt = withCredentials(hdr, alt, ir.alice, ir.bob)
		tgt, authority, stop = t, ir.mock, func() { t.Close(); ir.close() }
	} else {
		hdr, alt = tf.embeddedCredentials(check.TraceHasCredentials(tr), hdr, alt)
		if tgt, more, stop, err = tf.open(e, target.Limits{}); err != nil {
			fmt.Fprintf(e.stderr, "mcpverify replay: %v\n", err)
			return ExitCannotRun
		}
	}
	defer stop()
	if svc.mock != nil {
		if hdr, alt, err = svc.credentials(e, tf.urls[0], hdr, alt); err != nil {
			fmt.Fprintf(e.stderr, "mcpverify replay: %v\n", err)
			return ExitCannotRun
		}
		authority = svc.mock
	}
	upstream := svc.upstream()
	if authority != nil && upstream == nil {
		p, err := authmock.NewUpstreamProbe("127.0.0.1:0")
		if err != nil {
			fmt.Fprintf(e.stderr, "mcpverify replay: %v\n", err)
			return ExitCannotRun
		}
		defer p.Close()
		upstream = p
	}
	opts := check.ReplayOptions{Instances: more, Header: hdr, AltHeader: alt, Budget: *budget, Progress: e.stderr, Authority: authority, Upstream: upstream}
	if sb != nil {
		opts.Sandbox = sb
	}
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
	switch {
	case res.StillFails():
		return ExitViolations
	case !res.Answered:
		writeWhy(e.stderr, "mcpverify replay: could not replay: "+tgt.Describe()+" answered no request", replayObserved(tgt, res))
		return ExitCannotRun
	case len(res.Undecided) > 0:
		return ExitIncomplete
	}
	return ExitOK
}

// writeReplay prints how the trace was replayed (each exchange's answer
// and violations, or the check re-run), then the verdict on each wanted
// requirement.
func writeReplay(w io.Writer, tgt, path string, res *check.ReplayResult) {
	fmt.Fprintf(w, "replaying %s against %s\n", path, tgt)
	switch res.Mode {
	case check.ReplayCheck:
		if res.Check == check.Discovery {
			fmt.Fprintf(w, "ran discovery again (%d exchanges)\n", exchangesOf(res.Report))
		} else {
			fmt.Fprintf(w, "ran discovery and check %s again, with the trace's seed (%d exchanges)\n", res.Check, exchangesOf(res.Report))
		}
	default:
		for i, x := range res.Exchanges {
			fmt.Fprintf(w, "%3d %s: %s\n", i+1, label(x.Ex), check.Observation{Ex: x.Ex}.Describe())
			for _, v := range x.Violations {
				fmt.Fprintf(w, "      %s\n", v)
			}
		}
	}
	if len(res.Want) == 0 {
		if res.StillFails() {
			fmt.Fprintf(w, "the trace names no requirement (no want field); %d violation(s) occurred: still fails\n", len(res.Violations()))
		} else {
			fmt.Fprintln(w, "the trace names no requirement (no want field); no violation occurred")
		}
		return
	}
	for _, id := range res.Reproduced {
		msg := ""
		if res.Report != nil {
			if r, ok := res.Report.Result(id); ok {
				msg = " (" + r.Message + ")"
			}
		}
		if res.Tries > 1 {
			msg += fmt.Sprintf(" (in %d of %d tries: it depends on a race)", res.Hits[id], res.Tries)
		}
		fmt.Fprintf(w, "%s: still fails%s\n", id, msg)
	}
	for _, id := range res.Gone {
		if res.Tries > 1 {
			fmt.Fprintf(w, "%s: no longer occurs (in none of %d tries)\n", id, res.Tries)
			continue
		}
		fmt.Fprintf(w, "%s: no longer occurs\n", id)
	}
	for _, id := range res.Undecided {
		fmt.Fprintf(w, "%s: could not replay: %s\n", id, res.Why[id])
	}
}

func exchangesOf(r *check.Report) int {
	if r == nil {
		return 0
	}
	return r.Exchanges
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

// replayObserved is what a replay observed of the target, as a report
// (whyNothingJudged reads it): the re-run's report, or the first exchange
// sent again and what the target kept.
func replayObserved(tgt check.Target, res *check.ReplayResult) *check.Report {
	if res.Report != nil {
		return res.Report
	}
	rep := &check.Report{Target: tgt.Describe()}
	if len(res.Exchanges) > 0 {
		rep.First = res.Exchanges[0].Ex
	}
	if fe, ok := tgt.(interface{ FirstError() error }); ok {
		rep.TargetErr = fe.FirstError()
	}
	if s, ok := tgt.(interface{ Stderr() string }); ok {
		rep.Stderr = s.Stderr()
	}
	return rep
}
