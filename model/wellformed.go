package model

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// What the server sends must be a well-formed message (basic/index.mdx,
// "Messages"; basic/transports/index.mdx; stdio.mdx). A message the strict
// decoder refuses is reported under the most precise requirement it
// breaks: invalid UTF-8, an error without code and message, a code that is
// not an integer, a response with neither result nor error, a notification
// with an id; CORE-MESSAGE-JSONRPC (STDIO-STDOUT on stdio) only for what
// none of them names. A server-initiated request is reported once, under
// the most precise of the rules it breaks.

// malformedID names the requirement a message the strict decoder refused
// breaks, and says how.
func malformedID(raw []byte) (spec.ID, string, bool) {
	if !utf8.Valid(raw) {
		return spec.CoreMessageUtf8, "a message that is not valid UTF-8", true
	}
	var m map[string]json.RawMessage
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if d.Decode(&m) != nil || m == nil {
		return "", "", false
	}
	_, hasID := m["id"]
	_, hasMethod := m["method"]
	errRaw, hasErr := m["error"]
	_, hasResult := m["result"]
	switch {
	case hasErr && !hasResult && !hasMethod:
		var e map[string]json.RawMessage
		if json.Unmarshal(errRaw, &e) != nil || e == nil {
			return spec.CoreErrorShape, "an error member that is not an object with code and message", true
		}
		code, hasCode := e["code"]
		msg, hasMsg := e["message"]
		if !hasCode || !hasMsg || (len(msg) > 0 && msg[0] != '"') {
			return spec.CoreErrorShape, "an error without an integer code and a string message", true
		}
		var n json.Number
		dec := json.NewDecoder(bytes.NewReader(code))
		dec.UseNumber()
		if len(code) == 0 || code[0] == '"' || dec.Decode(&n) != nil {
			return spec.CoreErrorCodeInteger, "error.code " + string(code) + ", which is not a number", true
		}
		if _, err := n.Int64(); err != nil {
			return spec.CoreErrorCodeInteger, "error.code " + n.String() + ", which is not an integer", true
		}
	case hasID && !hasMethod && !hasErr && !hasResult:
		return spec.CoreResultField, "a response with neither result nor error", true
	}
	return "", "", false
}

// isNotificationMethod reports a method of a notification.
func isNotificationMethod(m string) bool { return strings.HasPrefix(m, "notifications/") }

// stdioSplitMessage reports a message written over several lines: lines
// i.. that are not messages alone but are one when joined with the
// newlines between them.
func stdioSplitMessage(lines []wire.Reply, i int) (int, bool) {
	joined := append([]byte(nil), lines[i].Raw...)
	for j := i + 1; j < len(lines) && j < i+64; j++ {
		joined = append(append(joined, '\n'), lines[j].Raw...)
		if _, err := wire.DecodeMessage(joined); err == nil {
			return j, true
		}
	}
	return 0, false
}

// checkRepliesAreMessages: everything the server sent is a well-formed
// JSON-RPC message (on stdio: nothing else on stdout, one message a line).
func checkRepliesAreMessages(c *ctx) {
	if len(c.ex.Replies) > 0 {
		if c.http {
			c.judge(spec.CoreMessageJsonrpc)
		} else {
			c.judge(spec.StdioStdout)
		}
	}
	if ct := c.ex.ContentType(); c.http && c.ex.BodyErr != nil && c.complete() && (ct == "application/json" || ct == "text/event-stream") {
		c.reportf(spec.CoreMessageJsonrpc, "a JSON object or an SSE stream of JSON-RPC messages", "an unreadable body: %v", c.ex.BodyErr)
	}
	for i := 0; i < len(c.ex.Replies); i++ {
		r := c.ex.Replies[i]
		if r.Err == nil {
			continue
		}
		if c.http && i == len(c.ex.Replies)-1 && c.ex.Outcome == wire.Truncated {
			continue // cut off by the client's size limit
		}
		if duplicateInputKeys(r.Err) {
			c.reportf(spec.CoreMrtrKeysUnique, "inputRequests keys unique within the request", "message %d repeats a key: %v", i+1, r.Err)
			continue
		}
		if id, what, ok := malformedID(r.Raw); ok {
			c.reportf(id, "well-formed JSON-RPC messages", "message %d: %s: %.80q", i+1, what, r.Raw)
			continue
		}
		if !c.http {
			if j, ok := stdioSplitMessage(c.ex.Replies, i); ok {
				c.reportf(spec.StdioNewlines, "one message per line, with no embedded newline", "lines %d to %d on stdout are one message split by newlines", i+1, j+1)
				i = j
				continue
			}
			c.reportf(spec.StdioStdout, "only JSON-RPC messages, one per line", "line %d on stdout is not an MCP message: %v: %.80q", i+1, r.Err, r.Raw)
			continue
		}
		c.reportf(spec.CoreMessageJsonrpc, "JSON-RPC 2.0 messages", "message %d is not JSON-RPC: %v: %.80q", i+1, r.Err, r.Raw)
	}
}

// checkNoServerRequests: servers initiate no JSON-RPC requests; input is
// asked for through InputRequiredResult. One finding per request, the most
// precise: an input request (CORE-MRTR-PATTERN), a notification method
// with an id (CORE-NOTIFICATION-NO-ID), a request on an SSE response
// stream (HTTP-SSE-NO-REQUESTS), on stdout (STDIO-NO-REQUESTS), anywhere
// else (CORE-NO-SERVER-REQUESTS).
func checkNoServerRequests(c *ctx) {
	if len(c.ex.Replies) > 0 && c.complete() {
		switch {
		case !c.http:
			c.judge(spec.StdioNoRequests)
		case isSSE(c):
			c.judge(spec.HttpSseNoRequests)
		default:
			c.judge(spec.CoreNoServerRequests)
		}
		c.judge(spec.CoreMrtrPattern, spec.CoreNotificationNoId)
	}
	for _, r := range c.ex.Replies {
		m, ok := r.Msg.(*wire.JSONRPCRequest)
		if !ok {
			continue
		}
		switch {
		case wire.InputRequestCapability[m.Method] != "":
			c.reportf(spec.CoreMrtrPattern, "input asked for through InputRequiredResult", "a server-initiated %s request", m.Method)
		case isNotificationMethod(m.Method):
			c.reportf(spec.CoreNotificationNoId, "notifications without an id", "%s with id %s", m.Method, m.ID)
		case !c.http:
			c.reportf(spec.StdioNoRequests, "no request written to stdout", "a %s request from the server", m.Method)
		case isSSE(c):
			c.reportf(spec.HttpSseNoRequests, "no request on an SSE response stream", "a %s request on the response stream", m.Method)
		default:
			c.reportf(spec.CoreNoServerRequests, "no server-initiated request", "a %s request from the server", m.Method)
		}
	}
}
