package cli

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/report"
	"github.com/mcpverify/mcpverify/check/target"
	"github.com/mcpverify/mcpverify/wire"
)

// stderrTailLines bounds the lines of a stdio server's stderr quoted when
// it could not be checked.
const stderrTailLines = 10

// whyNothingJudged says why a run judged no requirement, from what it
// observed: the era discovery found, the failure the target's transport
// kept (Report.TargetErr: a refused connection, a process that exited, a
// timeout) and the run's first exchange (Report.First: an HTTP status, a
// body that is not JSON-RPC). The first line is the cause; for a stdio
// server, the end of its stderr follows.
func whyNothingJudged(rep *check.Report) []string {
	lines := []string{cause(rep)}
	if tail := lastLines(rep.Stderr, stderrTailLines); tail != nil {
		lines = append(lines, "the end of its stderr:")
		for _, l := range tail {
			lines = append(lines, "  "+report.Clean(l))
		}
	}
	return lines
}

// writeWhy writes head, the cause (whyNothingJudged) and, indented, what
// follows it.
func writeWhy(w io.Writer, head string, rep *check.Report) {
	why := whyNothingJudged(rep)
	fmt.Fprintf(w, "%s: %s\n", head, why[0])
	for _, l := range why[1:] {
		fmt.Fprintf(w, "  %s\n", l)
	}
}

func cause(rep *check.Report) string {
	var exit *target.ExitError
	switch {
	case rep.Era == check.Legacy:
		return "the server speaks only handshake-era revisions"
	case rep.Era == check.OtherRevision:
		return fmt.Sprintf("the server does not serve %s", wire.Version)
	case errors.As(rep.TargetErr, &exit):
		when := "at once"
		if exit.After >= 100*time.Millisecond {
			when = exit.After.Round(time.Millisecond).String() + " after it started"
		}
		return fmt.Sprintf("the command exited %s, before it answered a request (%s)", when, exit.Status)
	case rep.First == nil:
		return "no request was sent"
	}
	ex := rep.First
	stdio := ex.Transport == wire.Stdio
	switch ex.Outcome {
	case wire.TimedOut:
		what := "the server accepted the request but did not answer server/discover"
		if stdio {
			what = "the command is running but wrote no answer to server/discover on its stdout (is it a stdio MCP server? does it need an option such as --stdio?)"
		}
		return fmt.Sprintf("%s: %s", what, errText(rep.TargetErr, "timed out"))
	case wire.Dropped:
		if stdio {
			what := "the command closed its stdout without answering"
			if err := rep.TargetErr; err != nil && !errors.Is(err, target.ErrStdoutEnded) {
				what += ": " + err.Error()
			}
			return what
		}
		if ex.Status == 0 {
			return connectionCause(rep.TargetErr)
		}
	}
	if !stdio && (ex.Status < 200 || ex.Status > 299 || !jsonOrSSE(ex)) {
		return httpCause(ex)
	}
	if stdio && len(ex.Lines) > 0 && len(ex.Replies) > 0 && ex.Replies[0].Msg == nil {
		return fmt.Sprintf("the command writes to its stdout, but not JSON-RPC: %q", report.Clean(truncate(string(ex.Lines[0]), 120)))
	}
	return "the server answered, but neither server/discover nor initialize recognizably"
}

// connectionCause says why an HTTP request got no response at all.
func connectionCause(err error) string {
	var dns *net.DNSError
	var cert *x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var record tls.RecordHeaderError
	switch {
	case err == nil:
		return "the connection broke before a response came"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused: nothing listens at that host and port (is the server up?)"
	case errors.As(err, &dns):
		return fmt.Sprintf("the host name %q does not resolve", dns.Name)
	case errors.As(err, &record):
		return "the TLS handshake failed: the server does not speak TLS there (an http:// URL?)"
	case errors.As(err, &cert), errors.As(err, &hostname):
		return "the server's TLS certificate is not trusted: " + err.Error()
	case errors.Is(err, target.ErrNoResponse):
		return "no response: " + err.Error()
	}
	return "the request failed: " + err.Error()
}

// httpCause says why an HTTP answer is not an MCP server's.
func httpCause(ex *wire.Exchange) string {
	status := fmt.Sprintf("HTTP %d %s", ex.Status, http.StatusText(ex.Status))
	body := ""
	if ct := ex.RespHeader.Get("Content-Type"); ct != "" {
		body = fmt.Sprintf(" (%s)", mediaType(ct))
	}
	switch {
	case ex.Status >= 300 && ex.Status <= 399:
		return fmt.Sprintf("the server answered server/discover with %s to %q: mcpverify does not follow redirects; give the URL it names", status, report.Clean(ex.RespHeader.Get("Location")))
	case ex.Status == http.StatusUnauthorized || ex.Status == http.StatusForbidden:
		return fmt.Sprintf("the server answered server/discover with %s: it wants credentials (--header \"Authorization: Bearer ...\")", status)
	case ex.Status == http.StatusNotFound:
		return fmt.Sprintf("the server answered server/discover with %s%s: nothing at that path; is the URL the server's MCP endpoint (often /mcp)?", status, body)
	case ex.Status == http.StatusMethodNotAllowed || ex.Status == http.StatusNotImplemented:
		return fmt.Sprintf("the server answered server/discover with %s%s: it does not take POST at that URL; is it an MCP endpoint?", status, body)
	case ex.Status >= 200 && ex.Status <= 299:
		return fmt.Sprintf("the server answered server/discover with %s%s, not JSON-RPC: is the URL an MCP endpoint rather than a web page?", status, body)
	}
	return fmt.Sprintf("the server answered server/discover with %s%s, not an MCP response: is the URL its MCP endpoint?", status, body)
}

// jsonOrSSE reports whether an HTTP response's media type is one an MCP
// server answers with.
func jsonOrSSE(ex *wire.Exchange) bool {
	mt := mediaType(ex.RespHeader.Get("Content-Type"))
	return mt == "application/json" || mt == "text/event-stream"
}

func mediaType(ct string) string {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return report.Clean(ct)
	}
	return mt
}

func errText(err error, otherwise string) string {
	if err == nil {
		return otherwise
	}
	return err.Error()
}

// lastLines returns the last n non-empty lines of s (nil when there are
// none).
func lastLines(s string, n int) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return out
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
