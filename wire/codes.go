package wire

// JSON-RPC and MCP error codes of revision 2026-07-28 (basic/index.mdx,
// "Error Codes").
const (
	CodeParseError     int64 = -32700
	CodeInvalidRequest int64 = -32600
	CodeMethodNotFound int64 = -32601
	CodeInvalidParams  int64 = -32602
	CodeInternalError  int64 = -32603

	// CodeHeaderMismatch: HTTP headers do not match the body, or required
	// headers are missing or malformed. HTTP status 400.
	CodeHeaderMismatch int64 = -32020
	// CodeMissingRequiredClientCapability: the request needs a client
	// capability the client did not declare; data.requiredCapabilities.
	// HTTP status 400.
	CodeMissingRequiredClientCapability int64 = -32021
	// CodeUnsupportedProtocolVersion: data.supported and data.requested.
	// HTTP status 400.
	CodeUnsupportedProtocolVersion int64 = -32022

	// CodeLegacyResourceNotFound was "resource not found" up to
	// 2025-11-25; implementations of 2026-07-28 must not emit it.
	CodeLegacyResourceNotFound int64 = -32002
	// CodeLegacyURLElicitationRequired was defined in 2025-11-25 only;
	// implementations of 2026-07-28 must not emit it.
	CodeLegacyURLElicitationRequired int64 = -32042
)

// CodeInfo describes one error code.
type CodeInfo struct {
	Code int64
	Name string
	// HTTPStatus is the status the spec ties to the code on Streamable
	// HTTP, or 0 where it names none.
	HTTPStatus int
	// Forbidden codes must never be emitted by a 2026-07-28 implementation.
	Forbidden bool
}

// Codes is the table of codes this revision names.
var Codes = []CodeInfo{
	{Code: CodeParseError, Name: "ParseError"},
	{Code: CodeInvalidRequest, Name: "InvalidRequest"},
	{Code: CodeMethodNotFound, Name: "MethodNotFound"},
	{Code: CodeInvalidParams, Name: "InvalidParams"},
	{Code: CodeInternalError, Name: "InternalError"},
	{Code: CodeHeaderMismatch, Name: "HeaderMismatch", HTTPStatus: 400},
	{Code: CodeMissingRequiredClientCapability, Name: "MissingRequiredClientCapability", HTTPStatus: 400},
	{Code: CodeUnsupportedProtocolVersion, Name: "UnsupportedProtocolVersion", HTTPStatus: 400},
	{Code: CodeLegacyResourceNotFound, Name: "ResourceNotFound (2025-11-25 and earlier)", Forbidden: true},
	{Code: CodeLegacyURLElicitationRequired, Name: "URLElicitationRequired (2025-11-25)", Forbidden: true},
}

// Code ranges of basic/index.mdx.
const (
	reservedLow, reservedHigh = -32099, -32020 // defined only by the spec
	legacyLow, legacyHigh     = -32019, -32000 // legacy implementation codes
	jsonrpcLow, jsonrpcHigh   = -32768, -32000 // JSON-RPC reserved range
)

// LookupCode returns the table entry of code.
func LookupCode(code int64) (CodeInfo, bool) {
	for _, c := range Codes {
		if c.Code == code {
			return c, true
		}
	}
	return CodeInfo{}, false
}

// CodeClass classifies an error code a server emitted.
type CodeClass uint8

const (
	// CodeDefined: a code this revision defines and allows.
	CodeDefined CodeClass = iota
	// CodeForbidden: a code of an earlier revision that must not be emitted
	// (-32002, -32042).
	CodeForbidden
	// CodeReservedUndefined: in -32099..-32020 but not defined by the spec;
	// must not be emitted.
	CodeReservedUndefined
	// CodeLegacyRange: in -32019..-32000; should not be used.
	CodeLegacyRange
	// CodeJSONRPCReserved: elsewhere in the JSON-RPC reserved range
	// -32768..-32000 and not defined; new codes should not be allocated there.
	CodeJSONRPCReserved
	// CodeApplication: outside the reserved range; free for applications.
	CodeApplication
)

// ClassifyCode places code in the partition of basic/index.mdx.
func ClassifyCode(code int64) CodeClass {
	if c, ok := LookupCode(code); ok {
		if c.Forbidden {
			return CodeForbidden
		}
		return CodeDefined
	}
	switch {
	case code >= reservedLow && code <= reservedHigh:
		return CodeReservedUndefined
	case code >= legacyLow && code <= legacyHigh:
		return CodeLegacyRange
	case code >= jsonrpcLow && code <= jsonrpcHigh:
		return CodeJSONRPCReserved
	}
	return CodeApplication
}
