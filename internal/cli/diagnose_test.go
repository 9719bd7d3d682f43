package cli

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/target"
	"github.com/mcpverify/mcpverify/wire"
)

// TestCannotCheckHTTP: a URL that is not an MCP endpoint exits 1 with the
// cause: the HTTP status and body type it answered with, a refused
// connection, no answer.
func TestCannotCheckHTTP(t *testing.T) {
	// Each case makes its server when it runs (a port freed by one case
	// may serve the next).
	serve := func(h http.HandlerFunc) func(t *testing.T) string {
		return func(t *testing.T) string {
			ts := httptest.NewServer(h)
			t.Cleanup(ts.Close)
			return ts.URL + "/mcp"
		}
	}
	refused := func(t *testing.T) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close() // nothing listens there once the case runs
		return "http://" + ln.Addr().String() + "/mcp"
	}
	page := func(status int, ctype string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", ctype)
			w.WriteHeader(status)
			fmt.Fprint(w, "<html><body>hello</body></html>")
		}
	}
	// never reads the request and waits for the client to go away (the
	// server notices that only once the body is read).
	never := func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	}
	// want is a regular expression; cannot is the start of the message of
	// a run that judged nothing.
	const cannot = `mcpverify check: could not check http://[^ ]+: no requirement could be judged in [0-9]+ exchanges: `
	for _, c := range []struct {
		name   string
		url    func(t *testing.T) string
		budget string
		exit   int
		want   string
	}{
		{"404 page", serve(http.NotFound), "", ExitCannotRun,
			cannot + `the server answered server/discover with HTTP 404 Not Found \(text/plain\): nothing at that path; is the URL the server's MCP endpoint \(often /mcp\)\?`},
		{"no POST", serve(page(405, "text/html")), "", ExitCannotRun,
			cannot + `the server answered server/discover with HTTP 405 Method Not Allowed \(text/html\): it does not take POST at that URL`},
		{"credentials", serve(page(401, "text/plain")), "", ExitCannotRun,
			cannot + `the server answered server/discover with HTTP 401 Unauthorized: it wants credentials \(--header "Authorization: Bearer ..."\)`},
		{"server error", serve(page(500, "text/html")), "", ExitCannotRun,
			cannot + `the server answered server/discover with HTTP 500 Internal Server Error \(text/html\), not an MCP response`},
		{"refused", refused, "", ExitCannotRun,
			cannot + `connection refused: nothing listens at that host and port \(is the server up\?\)`},
		{"silent", serve(never), "1s", ExitCannotRun,
			cannot + `the server accepted the request but did not answer server/discover: no response before the run stopped waiting`},
		// Pages the model judges: they fail a requirement, and a note
		// says what discovery saw.
		{"web page", serve(page(200, "text/html; charset=utf-8")), "", ExitViolations,
			`note: http://[^ ]+ answered neither server/discover nor initialize recognizably: the server answered server/discover with HTTP 200 OK \(text/html\), not JSON-RPC`},
		{"redirect", serve(func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/elsewhere/mcp", http.StatusFound) }), "", ExitViolations,
			`HTTP 302 Found to "/elsewhere/mcp": mcpverify does not follow redirects; give the URL it names`},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"check", "--url", c.url(t), "--only", "meta/required-fields"}
			if c.budget != "" {
				args = append(args, "--budget", c.budget)
			}
			code, _, errs := run(args, "")
			if code != c.exit {
				t.Errorf("exit %d, want %d", code, c.exit)
			}
			if !regexp.MustCompile(c.want).MatchString(errs) {
				t.Errorf("stderr does not match %s:\n%s", c.want, errs)
			}
			if strings.Contains(errs, "\x1b[K") {
				t.Errorf("a progress line on a writer that is not a terminal:\n%q", errs)
			}
		})
	}
}

// TestWhyNothingJudged: the cause, from what the report kept.
func TestWhyNothingJudged(t *testing.T) {
	discover := func(tr wire.Transport, o wire.Outcome) *wire.Exchange {
		return &wire.Exchange{Transport: tr, Outcome: o}
	}
	for _, c := range []struct {
		name string
		rep  *check.Report
		want []string
	}{
		{"legacy", &check.Report{Era: check.Legacy}, []string{"the server speaks only handshake-era revisions"}},
		{"nothing sent", &check.Report{}, []string{"no request was sent"}},
		{"http timeout", &check.Report{First: discover(wire.HTTP, wire.TimedOut), TargetErr: fmt.Errorf("%w within 10s", target.ErrNoResponse)},
			[]string{"the server accepted the request but did not answer server/discover: no response within 10s"}},
		{"stdio timeout", &check.Report{First: discover(wire.Stdio, wire.TimedOut), TargetErr: fmt.Errorf("%w within 5s", target.ErrNoResponse), Stderr: "listening on :8080\n"},
			[]string{"the command is running but wrote no answer to server/discover on its stdout (is it a stdio MCP server? does it need an option such as --stdio?): no response within 5s",
				"the end of its stderr:", "  listening on :8080"}},
		{"exit", &check.Report{First: discover(wire.Stdio, wire.Dropped), TargetErr: &target.ExitError{Command: []string{"srv"}, Status: "exit status 2"},
			Stderr: strings.Repeat("noise\n", 20) + "fatal: \x1b[31mno config\x1b[0m\n\n"},
			[]string{"the command exited at once, before it answered a request (exit status 2)", "the end of its stderr:", "  noise", `  fatal: \x1b[31mno config\x1b[0m`}},
		{"tls", &check.Report{First: discover(wire.HTTP, wire.Dropped), TargetErr: errors.New("remote error")}, []string{"the request failed: remote error"}},
	} {
		got := whyNothingJudged(c.rep)
		if c.name == "exit" && len(got) != 2+stderrTailLines {
			t.Errorf("%s: %d lines, want the cause, a heading and %d lines of stderr", c.name, len(got), stderrTailLines)
		}
		if got[0] != c.want[0] {
			t.Errorf("%s: cause %q\nwant %q", c.name, got[0], c.want[0])
		}
		for _, w := range c.want[1:] {
			if !strings.Contains(strings.Join(got, "\n"), w) {
				t.Errorf("%s: %q lacks %q", c.name, got, w)
			}
		}
	}
}
