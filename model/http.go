package model

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Rules of basic/transports/streamable-http.mdx.

func isHTTP(c *ctx) bool { return c.http }

func isHTTPRequest(c *ctx) bool {
	return c.http && (c.ex.HTTPMethod == "" || c.ex.HTTPMethod == "POST") && c.req != nil
}

func isHTTPNotification(c *ctx) bool { return c.http && c.isNotification() }

func isSSE(c *ctx) bool { return c.http && c.ex.ContentType() == "text/event-stream" }

// originState classifies the request's Origin header.
func originInvalid(c *ctx) (string, bool) {
	o, ok := c.hdr.origin, c.hdr.hasOrigin
	if !ok {
		return "", false
	}
	if slices.Contains(c.s.cfg.AllowedOrigins, o) {
		return o, false
	}
	if o == "null" {
		return o, true
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" {
		return o, true
	}
	host, _ := c.hdr.host, c.hdr.hasHost
	if strings.EqualFold(u.Host, host) {
		return o, false
	}
	// Another loopback spelling of a loopback Host on the same port
	// (localhost for 127.0.0.1) may name the same server: which of those
	// a server accepts is its choice (the HTTP-ORIGIN-EXACT check).
	if hu, err := url.Parse(u.Scheme + "://" + host); err == nil && wire.IsLoopbackHost(u.Hostname()) && wire.IsLoopbackHost(hu.Hostname()) &&
		wire.EffectivePort(u) == wire.EffectivePort(hu) {
		return o, false
	}
	return o, true
}

// checkOrigin: a present, invalid Origin gets 403, whatever else the
// request holds; a valid or absent one must not be the reason for a 403.
func checkOrigin(c *ctx) {
	if m := c.ex.HTTPMethod; m != "" && m != "POST" {
		// Judged on MCP messages only: a GET, DELETE or preflight refused
		// with another status is not served either (the hardening checks
		// look at preflights).
		return
	}
	o, bad := originInvalid(c)
	if !bad || !c.complete() || c.ex.Status == 0 {
		return
	}
	c.judge(spec.HttpOrigin)
	if c.ex.Status != 403 {
		c.reportf(spec.HttpOrigin, "HTTP 403 for an Origin that is neither the server's own nor configured", "HTTP %d for Origin %q", c.ex.Status, o)
	}
}

// checkContentType: a request is answered with JSON or an SSE stream.
func checkContentType(c *ctx) {
	if !c.complete() || c.ex.Status == 0 {
		return
	}
	c.judge(spec.HttpContentType)
	ct := c.ex.ContentType()
	if ct == "application/json" || ct == "text/event-stream" {
		return
	}
	// An HTTP error that carries no JSON-RPC message (no body, or a plain
	// text page from the HTTP layer) is not an answer in JSON-RPC terms;
	// the request rules judge it.
	if c.ex.Status >= 400 && len(c.ex.Replies) == 0 {
		return
	}
	c.reportf(spec.HttpContentType, "Content-Type application/json or text/event-stream", "HTTP %d with Content-Type %q", c.ex.Status, ct)
}

// checkNotification202: an accepted notification gets 202 and no body; a
// refused one an HTTP error status.
func checkNotification202(c *ctx) {
	if !c.complete() || c.ex.Status == 0 {
		return
	}
	c.judge(spec.HttpNotification202)
	switch {
	case c.ex.Status == 202:
		if len(strings.TrimSpace(string(c.ex.RespBody))) > 0 {
			c.reportf(spec.HttpNotification202, "202 Accepted with no body", "202 with a %d-byte body", len(c.ex.RespBody))
		}
	case c.ex.Status >= 400:
	default:
		c.reportf(spec.HttpNotification202, "202 Accepted with no body, or an HTTP error status", "HTTP %d", c.ex.Status)
	}
}

// checkSSE: the final response ends the stream; SSE responses disable
// proxy buffering.
func checkSSE(c *ctx) {
	c.judge(spec.HttpSseNoBuffering)
	if c.final >= 0 && c.complete() {
		c.judge(spec.HttpSseTerminate)
	}
	if v, _ := c.ex.ResponseHeader("x-accel-buffering"); !strings.EqualFold(v, "no") {
		c.reportf(spec.HttpSseNoBuffering, "X-Accel-Buffering: no on an SSE response", "X-Accel-Buffering %q", v)
	}
	if c.final >= 0 && c.final < len(c.ex.Replies)-1 && c.method != "subscriptions/listen" {
		c.reportf(spec.HttpSseTerminate, "the stream to end with the final response", "%d more message(s) after the response", len(c.ex.Replies)-1-c.final)
	}
}

// checkSessionID: a server that serves only this revision mints no
// session ids.
func checkSessionID(c *ctx) {
	if c.facts().modernOnly() != yes || c.ex.Status == 0 {
		return
	}
	c.judge(spec.HttpSessionId)
	if v, ok := c.ex.ResponseHeader("mcp-session-id"); ok {
		c.reportf(spec.HttpSessionId, "no Mcp-Session-Id from a server that serves only "+wire.Version, "Mcp-Session-Id %q", v)
	}
}

// checkGetDelete: GET and DELETE on the endpoint get 405 from a server
// that serves only this revision.
func checkGetDelete(c *ctx) {
	m := c.ex.HTTPMethod
	if m != "GET" && m != "DELETE" {
		return
	}
	if c.facts().modernOnly() != yes || !c.complete() || c.ex.Status == 0 {
		return
	}
	if _, bad := originInvalid(c); bad {
		return // 403 comes first
	}
	c.judge(spec.HttpGetDelete405)
	if c.ex.Status != 405 {
		c.report(spec.HttpGetDelete405, fmt.Sprintf("HTTP %d for %s", c.ex.Status, m), "405 Method Not Allowed")
	}
}
