package model

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Rules of basic/index.mdx: messages, responses, result types, error codes,
// per-request _meta, statelessness.

func (c *ctx) sentSomething() bool {
	return c.ex.HTTPMethod == "" || c.ex.HTTPMethod == "POST" || !c.http
}

func hasResult(c *ctx) bool { return c.result != nil }
func hasError(c *ctx) bool  { return c.errResp != nil }

// checkRequestOutcome judges the answer against the request's defects, and
// an error with a spec-defined meaning given to a request without the
// defect it names.
func checkRequestOutcome(c *ctx) {
	rv := c.view()
	if len(rv.defects) > 0 || rv.skip {
		judgeDefects(c, *rv)
		return
	}
	checkUnprovokedError(c)
}

// checkUnprovokedError: -32020, -32022 and -32601 name specific defects; a
// server that returns them for a request without that defect misuses them.
func checkUnprovokedError(c *ctx) {
	code, ok := c.errCode()
	if !ok || c.req == nil {
		return
	}
	c.judge(spec.CoreErrorCodeMeaning)
	f := c.facts()
	switch code {
	case wire.CodeHeaderMismatch:
		if !c.http {
			c.report(spec.CoreErrorCodeMeaning, "HeaderMismatch (-32020) on stdio, which has no headers", "-32020 only for header/body mismatches")
			return
		}
		if ambiguousHeaders(c) {
			return // headers a server may read more than one way: it may refuse them
		}
		// The rule the refusal breaks is named when one thing about the
		// headers can explain it; with several, which one the server
		// stumbled on is unknown, and only the misused code is reported.
		var causes []spec.ID
		for _, r := range []struct {
			id spec.ID
			ok bool
		}{
			{spec.HttpHeaderBase64, usesBase64(c.ex.Header)},
			{spec.HttpHeaderNameCase, nonCanonicalNames(c.ex.Header)},
			{spec.HttpParamNumeric, c.method == "tools/call" && paramHeaderNumeric(c)},
			{spec.HttpParamAbsent, c.method == "tools/call" && paramHeaderNotExpected(c)},
		} {
			if r.ok {
				causes = append(causes, r.id)
			}
		}
		id := spec.CoreErrorCodeMeaning
		if len(causes) == 1 {
			id = causes[0]
		}
		if id == spec.CoreErrorCodeMeaning && c.method == "tools/call" && c.ex.ParamsErr == nil && calledTool(c) == nil {
			return // the tool's declaration was not seen: which Mcp-Param headers it needs is not known
		}
		if c.ex.ParamsErr != nil && id == spec.CoreErrorCodeMeaning {
			c.report(id, fmt.Sprintf("HeaderMismatch (-32020) %q for malformed params whose headers match the body", c.errResp.Error.Message),
				"-32602 for malformed params; -32020 only for headers that do not match the body")
			return
		}
		c.report(id, fmt.Sprintf("HeaderMismatch (-32020) %q for headers that match the body", c.errResp.Error.Message),
			"the request accepted: its headers match the body (names compared case-insensitively, Base64 values decoded)")
	case wire.CodeUnsupportedProtocolVersion:
		if c.meta != nil && c.meta.ProtocolVersion != nil && f.supports(*c.meta.ProtocolVersion) == yes {
			c.report(spec.CoreErrorCodeMeaning, fmt.Sprintf("UnsupportedProtocolVersion (-32022) for %q, a version the server lists as supported", *c.meta.ProtocolVersion),
				"-32022 only for versions the server does not implement")
		}
	case wire.CodeMethodNotFound:
		if c.info != nil && c.info.Capability != "" && f.discovered && f.caps.has(c.info.Capability) {
			c.report(spec.CoreErrorCodeMeaning, fmt.Sprintf("method not found (-32601) for %s, though the server declares the %s capability", c.method, c.info.Capability),
				"a server that declares a capability serves its methods")
		}
	}
}

// checkResponseID: the final response carries the request's id.
func checkResponseID(c *ctx) {
	if c.answered() {
		c.judge(spec.CoreResponseId)
	}
	var id wire.RequestID
	switch {
	case c.result != nil:
		id = c.result.ID
	case c.errResp != nil:
		id = c.errResp.ID
	default:
		// Responses with another id are attributed by the transport; on
		// HTTP any response in the body answers this request.
		for _, r := range c.ex.Replies {
			if other := wire.MessageID(r.Msg); !other.IsZero() {
				if _, isReq := r.Msg.(*wire.JSONRPCRequest); !isReq {
					c.reportf(spec.CoreResponseId, "id "+c.req.ID.String(), "a response with id %s", other)
				}
			}
		}
		return
	}
	if id.IsZero() {
		// An HTTP refusal made before the body is read may carry an
		// id-less error (refusedUnread: 401, 403, 413, 415), and so may any
		// refusal that carries an authentication challenge (400 for a
		// malformed Authorization header, RFC 6750 section 3.1; 503 when
		// the token cannot be checked now).
		if refusedUnread(c) {
			return
		}
		if _, challenged := wire.HeaderValue(c.ex.RespHeader, "WWW-Authenticate"); c.http && c.ex.Status >= 400 && challenged {
			return
		}
		c.reportf(spec.CoreResponseId, "id "+c.req.ID.String()+" (the request's id was readable)", "an error response without an id")
		return
	}
	if !id.Equal(c.req.ID) {
		if large, n := largeID(c.req.ID); large {
			// Beyond ±(2^53−1) an id is outside interoperability (RFC 8259
			// §6): a rounded or wrapped id is a hardening finding.
			c.judge(spec.CoreResponseIdLarge)
			what := "rounded"
			if m, ok := id.Int(); ok && (m < 0) != (n < 0) {
				what = "with its sign flipped"
			}
			c.reportf(spec.CoreResponseIdLarge, "id "+c.req.ID.String()+" exactly", "id %s (%s)", id, what)
			return
		}
		c.reportf(spec.CoreResponseId, "id "+c.req.ID.String(), "id %s", id)
	}
}

// largeID reports an integer id beyond ±(2^53−1), and its value.
func largeID(id wire.RequestID) (bool, int64) {
	n, ok := id.Int()
	return ok && (n > wire.MaxSafeInteger || n < -wire.MaxSafeInteger), n
}

// checkOneResponse: one request, one response.
func checkOneResponse(c *ctx) {
	n := 0
	for _, r := range c.ex.Replies {
		switch r.Msg.(type) {
		case *wire.JSONRPCResultResponse, *wire.JSONRPCErrorResponse:
			n++
		}
	}
	if n > 1 {
		c.reportf(spec.CoreMessageJsonrpc, "exactly one response to a request", "%d responses", n)
	}
}

// checkNotificationUnanswered: no response to a notification.
func checkNotificationUnanswered(c *ctx) {
	if c.complete() {
		c.judge(spec.CoreNotificationNoResponse)
	}
	for _, r := range c.ex.Replies {
		switch m := r.Msg.(type) {
		case *wire.JSONRPCResultResponse:
			c.report(spec.CoreNotificationNoResponse, "a result response to a notification", "no response")
		case *wire.JSONRPCErrorResponse:
			// An HTTP error status may carry an id-less error body.
			if c.http && c.ex.Status >= 400 && m.ID.IsZero() {
				continue
			}
			c.report(spec.CoreNotificationNoResponse, fmt.Sprintf("an error response (%d) to a notification", m.Error.Code), "no response")
		}
	}
}

// checkResultType: every result has a resultType the client can know.
func checkResultType(c *ctx) {
	c.judge(spec.CoreResultType, spec.CoreResultTypeKnown)
	rt, ok := c.resultType()
	switch {
	case !ok:
		c.report(spec.CoreResultType, "a result without resultType", `resultType "complete" or "input_required"`)
	case rt == wire.ResultTask && acceptsTaskResultType(c):
		// The tasks extension's value: the tasks rules judge it (tasks.go).
	case rt != wire.ResultComplete && rt != wire.ResultInputRequired:
		c.reportf(spec.CoreResultTypeKnown, `"complete", "input_required", or a value of an advertised extension`, "resultType %q", rt)
	}
}

// checkSchema: messages validate against schema.json; results against
// their method's result definition. It runs after every other rule: where
// a more specific rule already explained the final response, its schema
// error adds nothing and is not reported again.
func checkSchema(c *ctx) {
	explained := len(c.vs) > 0
	for i, r := range c.ex.Replies {
		if r.Msg == nil {
			continue
		}
		if _, ok := r.Msg.(*wire.JSONRPCResultResponse); ok && i == c.final {
			c.judge(spec.CoreResultSchema)
		} else {
			c.judge(spec.CoreMessageSchema)
		}
	}
	for i, r := range c.ex.Replies {
		if r.SchemaErr == nil || r.Msg == nil || (i == c.final && explained) {
			continue
		}
		id := spec.CoreMessageSchema
		if _, ok := r.Msg.(*wire.JSONRPCResultResponse); ok && i == c.final {
			id = spec.CoreResultSchema
		}
		if precise, what, ok := malformedID(r.Raw); ok {
			c.reportf(precise, "well-formed JSON-RPC messages", "message %d: %s", i+1, what)
			continue
		}
		c.reportf(id, "a message that validates against schema.json", "%v", r.SchemaErr)
	}
	// schema.json's result unions are loose (InputRequiredResult requires
	// only resultType), so a result can validate against the union and
	// still not be its method's result: the typed decoding tells.
	if c.final >= 0 && !explained {
		r := c.ex.Replies[c.final]
		if r.SchemaErr == nil && r.ResultErr != nil && !errors.Is(r.ResultErr, wire.ErrNameCase) && !strings.Contains(r.ResultErr.Error(), "duplicate") {
			c.reportf(spec.CoreResultSchema, "a result that validates against the method's result definition", "%v", r.ResultErr)
		}
	}
}

// checkErrorCode: codes in the reserved and legacy ranges.
func checkErrorCode(c *ctx) {
	code := c.errResp.Error.Code
	c.judge(spec.CoreErrorCodeLegacy, spec.CoreErrorCodeReserved, spec.CoreErrorCodeLegacyRange, spec.CoreErrorCodeAppRange)
	switch wire.ClassifyCode(code) {
	case wire.CodeForbidden:
		c.reportf(spec.CoreErrorCodeLegacy, "-32602 for a missing resource; no codes of earlier revisions", "error code %d", code)
	case wire.CodeReservedUndefined:
		c.reportf(spec.CoreErrorCodeReserved, "only codes the specification defines in -32020..-32099", "error code %d", code)
	case wire.CodeLegacyRange:
		c.reportf(spec.CoreErrorCodeLegacyRange, "no codes in -32000..-32019 in new implementations", "error code %d", code)
	case wire.CodeJSONRPCReserved:
		c.reportf(spec.CoreErrorCodeAppRange, "codes of the server's own outside the JSON-RPC reserved range -32768..-32000", "error code %d, which neither JSON-RPC nor MCP defines", code)
	}
	if c.http {
		if want := httpStatusOf(code); want != 0 && c.ex.Status != want {
			id := spec.CoreErrorCodeMeaning
			switch code {
			case wire.CodeMethodNotFound:
				id = spec.HttpMethodNotFound
			case wire.CodeUnsupportedProtocolVersion:
				id = spec.HttpVersionUnsupported
			case wire.CodeMissingRequiredClientCapability:
				id = spec.HttpCapabilityStatus
			case wire.CodeHeaderMismatch:
				id = spec.HttpHeaderMismatch
			}
			c.reportf(id, fmt.Sprintf("HTTP %d with error %d", want, code), "HTTP %d with error %d", c.ex.Status, code)
		}
	}
	checkErrorData(c)
}

// httpStatusOf is the HTTP status the spec ties to an error code.
func httpStatusOf(code int64) int {
	if code == wire.CodeMethodNotFound {
		return 404
	}
	if ci, ok := wire.LookupCode(code); ok {
		return ci.HTTPStatus
	}
	return 0
}

// checkServerInfo: results carry serverInfo in _meta.
func checkServerInfo(c *ctx) {
	rf := c.rf
	id := spec.CoreServerinfo
	if c.method == "server/discover" {
		id = spec.CoreDiscoverServerinfo
	}
	if rf.known {
		c.judge(id)
	}
	if rf.known && (rf.meta == nil || rf.meta.ServerInfo == nil) {
		c.report(id, "a result without _meta "+wire.MetaServerInfo, "_meta "+wire.MetaServerInfo+" with name and version")
	}
}
