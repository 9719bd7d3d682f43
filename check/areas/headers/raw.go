package headers

import (
	"fmt"
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

// needsRawHTTP: malformed header lines can only be written over a raw
// connection, which the checker opens for plain http:// targets.
func needsRawHTTP(e *check.Env) string {
	if _, ok := probe.RawURL(e); !ok {
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

// checkRawHeaderLines writes a served list request over a raw connection,
// first as is (the raw unaltered request, which must be served), then once per
// malformed header line. Any 4xx refuses the line (the HTTP layer may
// refuse it before MCP validation, so no JSON-RPC body is required here);
// a 2xx that serves the request is a finding; anything else is
// inconclusive.
func checkRawHeaderLines(e *check.Env) {
	ids := []spec.ID{spec.HttpHeaderLineMalformed, spec.HttpHeaderInvalid}
	u, _ := probe.RawURL(e)
	addr := probe.RawAddr(u)
	b, ok := probe.ServedList(e)
	if !ok {
		probe.InconclusiveAll(e, ids, "the server served no unaltered request")
		return
	}
	dialer, _ := e.Target(0).(check.Dialer)
	const timeout = 5 * time.Second
	base, err := probe.RawExchange(e.Ctx, dialer, addr, probe.RawRequest(u, b.Fresh(e), "", ""), timeout)
	if err != nil || base.Status < 200 || base.Status > 299 || !base.Served {
		probe.InconclusiveAll(e, ids, "the unaltered request %s written over a raw connection was not served (HTTP %d, %v)", b.Method, base.Status, err)
		return
	}
	for _, ml := range malformedLines(b.Method) {
		if e.Ctx.Err() != nil {
			return
		}
		raw := probe.RawRequest(u, b.Fresh(e), ml.drop, ml.line)
		a, err := probe.RawExchange(e.Ctx, dialer, addr, raw, timeout)
		what := fmt.Sprintf("%s with a %s (%q)", b.Method, ml.class, ml.line)
		switch {
		case err != nil:
			e.Inconclusive(ml.id, "%s: no answer (%v)", what, err)
		case a.Status >= 400 && a.Status <= 499:
			e.Pass(ml.id, "%s: refused with HTTP %d (any 4xx counts: the HTTP layer may refuse a malformed line before MCP validation)", what, a.Status)
		case a.Status >= 200 && a.Status <= 299 && a.Served:
			e.Violation(ml.id, "%s: served with HTTP %d; want a 4xx refusal. Raw request: %q", what, a.Status, hdrClip(string(raw), 600))
		default:
			e.Inconclusive(ml.id, "%s: HTTP %d without a served result", what, a.Status)
		}
	}
}

func hdrClip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
