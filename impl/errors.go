package impl

import (
	"fmt"
	"net/http"

	"github.com/mcpverify/mcpverify/wire"
)

// rpcError is a JSON-RPC error the server answers with, and the HTTP status
// it travels with on Streamable HTTP.
//
// The status policy: errors the transport binding names get the status it
// names (400 for HeaderMismatch, MissingRequiredClientCapability,
// UnsupportedProtocolVersion and a request missing required _meta; 404 for
// an unknown method); other rejections of a malformed envelope or params
// (parse error, invalid request, params that do not fit the method's
// schema) get 400 as well. Errors of a well-formed request that the method
// itself reports (unknown tool, resource not found, invalid cursor, bad
// requestState) travel with 200: the HTTP exchange worked, the MCP request
// did not, and a dual-era client must not mistake them for a legacy server's
// 4xx (streamable-http.mdx, "Backward Compatibility").
type rpcError struct {
	code   int64
	msg    string
	data   any
	status int // 0 means 200 OK
}

func (e *rpcError) Error() string { return fmt.Sprintf("json-rpc error %d: %s", e.code, e.msg) }

func (e *rpcError) httpStatus() int {
	if e.status == 0 {
		return http.StatusOK
	}
	return e.status
}

// Envelope-level errors.

func errParse(detail string) *rpcError {
	return &rpcError{code: wire.CodeParseError, msg: "Parse error: " + detail, status: http.StatusBadRequest}
}

func errInvalidRequest(detail string) *rpcError {
	return &rpcError{code: wire.CodeInvalidRequest, msg: "Invalid Request: " + detail, status: http.StatusBadRequest}
}

func errMethodNotFound(method string) *rpcError {
	msg := fmt.Sprintf("Method not found: %q", method)
	if wire.IsRemovedMethod(method) {
		msg = fmt.Sprintf("Method not found: %q was removed in protocol version %s", method, wire.Version)
	}
	return &rpcError{code: wire.CodeMethodNotFound, msg: msg, status: http.StatusNotFound}
}

// errBadParams reports params that do not fit the method's schema, or a
// request missing required _meta fields (basic/index.mdx: -32602, HTTP 400).
func errBadParams(format string, args ...any) *rpcError {
	return &rpcError{code: wire.CodeInvalidParams, msg: "Invalid params: " + fmt.Sprintf(format, args...), status: http.StatusBadRequest}
}

func errHeaderMismatch(format string, args ...any) *rpcError {
	return &rpcError{code: wire.CodeHeaderMismatch, msg: "Header mismatch: " + fmt.Sprintf(format, args...), status: http.StatusBadRequest}
}

func errUnsupportedVersion(requested string) *rpcError {
	return &rpcError{
		code:   wire.CodeUnsupportedProtocolVersion,
		msg:    fmt.Sprintf("Unsupported protocol version %q; this server supports %v", requested, supportedVersions),
		data:   wire.UnsupportedProtocolVersionData{Supported: supportedVersions, Requested: &requested},
		status: http.StatusBadRequest,
	}
}

// errMissingCapability reports the client capabilities a request needs and
// did not declare; requiredCapabilities is a ClientCapabilities object
// naming them (e.g. {"sampling": {}}).
func errMissingCapability(caps *wire.ClientCapabilities, names []string) *rpcError {
	return &rpcError{
		code:   wire.CodeMissingRequiredClientCapability,
		msg:    fmt.Sprintf("Missing required client capability: this request needs %v, which the request's clientCapabilities do not declare", sortedStrings(names)),
		data:   wire.MissingRequiredClientCapabilityData{RequiredCapabilities: caps},
		status: http.StatusBadRequest,
	}
}

// Method-level errors: a well-formed request the method cannot serve.

func errInvalid(data any, format string, args ...any) *rpcError {
	return &rpcError{code: wire.CodeInvalidParams, msg: fmt.Sprintf(format, args...), data: data}
}

// errResourceNotFound is the answer to resources/read of a resource the
// server does not serve (resources.mdx, "Error Handling": -32602 with the
// URI in data; never an empty contents array, never the retired -32002).
// It is one answer for every reason: an unknown URI, a file outside the
// allowed directories, a missing one (files.go).
func errResourceNotFound(uri string) *rpcError {
	return errInvalid(map[string]any{"uri": uri}, "Resource not found: %s", uri)
}

func errInternal(format string, args ...any) *rpcError {
	return &rpcError{code: wire.CodeInternalError, msg: "Internal error: " + fmt.Sprintf(format, args...), status: http.StatusInternalServerError}
}

// codeLimit is the code of a refusal by one of the server's limits (the
// bytes of request bodies in flight, listen streams): an application code,
// outside the range JSON-RPC reserves, as basic/index.mdx asks of codes the
// spec does not define. The message names the limit; retrying later, when
// the caller's other requests have ended, may succeed.
const codeLimit = -31000

// errLimit refuses a request over one of the server's limits, with the
// HTTP status that says whose limit it is: 429 for the caller's own share,
// 503 for the server's.
func errLimit(status int, format string, args ...any) *rpcError {
	return &rpcError{code: codeLimit, msg: "Limit exceeded: " + fmt.Sprintf(format, args...), status: status}
}
