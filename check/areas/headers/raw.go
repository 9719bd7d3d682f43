package headers

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/probe"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Raw header lines: malformed Mcp-* lines sent over a raw TCP
// connection, which net/http would refuse to send.

func init() {
	check.Register(&check.Check{
		Name:       "headers/raw-malformed",
		IDs:        []spec.ID{spec.HttpHeaderLineMalformed, spec.HttpHeaderInvalid},
		Transports: []wire.Transport{wire.HTTP},
		Needs:      needsRawHTTP,
		Run:        checkRawHeaderLines,
	})
}

// hdrRawURL returns the plain-http URL of the first target, if it is one.
func hdrRawURL(e *check.Env) (*url.URL, bool) {
	if e.Transport() != wire.HTTP {
		return nil, false
	}
	u, err := probe.TargetURL(e, 0)
	if err != nil || u.Scheme != "http" {
		return nil, false
	}
	return u, true
}

// needsRawHTTP: malformed header lines can only be written over a raw
// connection, which the checker opens for plain http:// targets.
func needsRawHTTP(e *check.Env) string {
	if _, ok := hdrRawURL(e); !ok {
		return "raw header lines are written only to a plain http:// target (an HTTP client cannot send them)"
	}
	return ""
}

// malformedLine is one generated malformed header line: drop removes the
// well-formed header of that name first, line is written as is.
type malformedLine struct {
	class string
	drop  string
	line  string
	id    spec.ID
}

// malformedLines are the malformed header lines tried against a request
// for method, each a framing error of RFC 9112 section 5 (or, for a NUL
// in a mirrored value, the invalid characters of Server Validation). The
// obs-fold and the bare CR are put in Mcp-Method, so that a server that
// unfolds or replaces them reads a value that differs from the body and
// must refuse the request either way.
func malformedLines(method string) []malformedLine {
	return []malformedLine{
		{class: "line without a colon", line: "X-Mcpverify-Probe no-colon", id: spec.HttpHeaderLineMalformed},
		{class: "space inside a field name", line: "X-Mcpverify Probe: 1", id: spec.HttpHeaderLineMalformed},
		{class: "space between field name and colon", line: "X-Mcpverify-Probe : 1", id: spec.HttpHeaderLineMalformed},
		{class: "space between Mcp-Method and colon", drop: wire.HeaderMethod, line: wire.HeaderMethod + " : " + method, id: spec.HttpHeaderLineMalformed},
		{class: "non-token field name", line: "X-Mcpverify(Probe): 1", id: spec.HttpHeaderLineMalformed},
		{class: "obs-fold continuation of Mcp-Method", drop: wire.HeaderMethod, line: wire.HeaderMethod + ": " + method + "\r\n folded", id: spec.HttpHeaderLineMalformed},
		{class: "bare CR in Mcp-Method", drop: wire.HeaderMethod, line: wire.HeaderMethod + ": " + method + "\rX", id: spec.HttpHeaderLineMalformed},
		{class: "NUL byte in Mcp-Method", drop: wire.HeaderMethod, line: wire.HeaderMethod + ": " + method + "\x00", id: spec.HttpHeaderInvalid},
		{class: "NUL byte in MCP-Protocol-Version", drop: wire.HeaderProtocolVersion, line: wire.HeaderProtocolVersion + ": " + wire.Version + "\x00", id: spec.HttpHeaderInvalid},
	}
}

// hdrRawRequest writes r as an HTTP/1.1 request to u, without the header
// drop and with extra written verbatim after the others.
func hdrRawRequest(u *url.URL, r *check.Request, drop, extra string) []byte {
	var b strings.Builder
	method := r.HTTPMethod
	if method == "" {
		method = "POST"
	}
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, u.RequestURI(), u.Host)
	keys := make([]string, 0, len(r.Header))
	for k := range r.Header {
		switch {
		case strings.EqualFold(k, "Host"), strings.EqualFold(k, "Content-Length"), strings.EqualFold(k, "Connection"):
			continue
		case drop != "" && strings.EqualFold(k, drop):
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range r.Header[k] {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	if extra != "" {
		b.WriteString(extra + "\r\n")
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\nConnection: close\r\n\r\n", len(r.Body))
	b.Write(r.Body)
	return []byte(b.String())
}

// hdrMaxRawResponse bounds what is read of a raw exchange's response.
const hdrMaxRawResponse = 1 << 20

// hdrRawAnswer is what a raw exchange got: the status, and whether the body
// held a JSON-RPC result (the request was served).
type hdrRawAnswer struct {
	status int
	served bool
}

// hdrRawExchange writes raw to addr over a new connection (dialled by the
// target, else over TCP) and reads the response, bounded in size and
// time.
func hdrRawExchange(ctx context.Context, dialer check.Dialer, addr string, raw []byte, timeout time.Duration) (hdrRawAnswer, error) {
	if dialer == nil {
		dialer = &net.Dialer{Timeout: 5 * time.Second}
	}
	conn, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return hdrRawAnswer{}, fmt.Errorf("dial %s: %w", addr, err)
	}
	defer conn.Close()
	deadline := time.Now().Add(timeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	if err := conn.SetDeadline(deadline); err != nil {
		return hdrRawAnswer{}, fmt.Errorf("set deadline: %w", err)
	}
	if _, err := conn.Write(raw); err != nil {
		return hdrRawAnswer{}, fmt.Errorf("write the request: %w", err)
	}
	br := bufio.NewReader(io.LimitReader(conn, hdrMaxRawResponse))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return hdrRawAnswer{}, fmt.Errorf("read the response: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, hdrMaxRawResponse))
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	a := hdrRawAnswer{status: resp.StatusCode}
	msgs, _ := wire.SplitHTTPBody(ct, body)
	for _, m := range msgs {
		if msg, err := wire.DecodeMessage(m); err == nil {
			if _, ok := msg.(*wire.JSONRPCResultResponse); ok {
				a.served = true
			}
		}
	}
	return a, nil
}

// checkRawHeaderLines writes a served list request over a raw connection,
// first as is (the raw unaltered request, which must be served), then once per
// malformed header line. Any 4xx refuses the line (the HTTP layer may
// refuse it before MCP validation, so no JSON-RPC body is required here);
// a 2xx that serves the request is a finding; anything else is
// inconclusive.
func checkRawHeaderLines(e *check.Env) {
	ids := []spec.ID{spec.HttpHeaderLineMalformed, spec.HttpHeaderInvalid}
	u, _ := hdrRawURL(e)
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	b, ok := probe.ServedList(e)
	if !ok {
		probe.InconclusiveAll(e, ids, "the server served no unaltered request")
		return
	}
	dialer, _ := e.Target(0).(check.Dialer)
	const timeout = 5 * time.Second
	base, err := hdrRawExchange(e.Ctx, dialer, addr, hdrRawRequest(u, b.Fresh(e), "", ""), timeout)
	if err != nil || base.status < 200 || base.status > 299 || !base.served {
		probe.InconclusiveAll(e, ids, "the unaltered request %s written over a raw connection was not served (HTTP %d, %v)", b.Method, base.status, err)
		return
	}
	for _, ml := range malformedLines(b.Method) {
		if e.Ctx.Err() != nil {
			return
		}
		raw := hdrRawRequest(u, b.Fresh(e), ml.drop, ml.line)
		a, err := hdrRawExchange(e.Ctx, dialer, addr, raw, timeout)
		what := fmt.Sprintf("%s with a %s (%q)", b.Method, ml.class, ml.line)
		switch {
		case err != nil:
			e.Inconclusive(ml.id, "%s: no answer (%v)", what, err)
		case a.status >= 400 && a.status <= 499:
			e.Pass(ml.id, "%s: refused with HTTP %d (any 4xx counts: the HTTP layer may refuse a malformed line before MCP validation)", what, a.status)
		case a.status >= 200 && a.status <= 299 && a.served:
			e.Violation(ml.id, "%s: served with HTTP %d; want a 4xx refusal. Raw request: %q", what, a.status, hdrClip(string(raw), 600))
		default:
			e.Inconclusive(ml.id, "%s: HTTP %d without a served result", what, a.status)
		}
	}
}

func hdrClip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
