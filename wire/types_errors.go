package wire

// Error objects and error responses of schema.json. The schema's error
// objects differ from Error only in a fixed code, and its named error
// responses from JSONRPCErrorResponse only in a fixed code and typed data,
// so they are aliases; the typed data decode from Error.Data.

// ParseError is the error object of code -32700.
type ParseError = Error

// InvalidRequestError is the error object of code -32600.
type InvalidRequestError = Error

// MethodNotFoundError is the error object of code -32601.
type MethodNotFoundError = Error

// InvalidParamsError is the error object of code -32602.
type InvalidParamsError = Error

// InternalError is the error object of code -32603.
type InternalError = Error

// HeaderMismatchError is the error response of code -32020 (HTTP 400).
type HeaderMismatchError = JSONRPCErrorResponse

// MissingRequiredClientCapabilityError is the error response of code
// -32021 (HTTP 400); its data decodes as MissingRequiredClientCapabilityData.
type MissingRequiredClientCapabilityError = JSONRPCErrorResponse

// UnsupportedProtocolVersionError is the error response of code -32022
// (HTTP 400); its data decodes as UnsupportedProtocolVersionData.
type UnsupportedProtocolVersionError = JSONRPCErrorResponse

// MissingRequiredClientCapabilityData is the data of a -32021 error: the
// capabilities the request needs that the client did not declare.
// RequiredCapabilities is required; nil when absent.
type MissingRequiredClientCapabilityData struct {
	RequiredCapabilities *ClientCapabilities `json:"requiredCapabilities,omitzero"`
	Extra                Object              `json:",embed"`
}

// UnsupportedProtocolVersionData is the data of a -32022 error: the
// versions the server supports and the one the client requested. Both are
// required; nil when absent.
type UnsupportedProtocolVersionData struct {
	Requested *string  `json:"requested,omitzero"`
	Supported []string `json:"supported,omitzero"`
	Extra     Object   `json:",embed"`
}

// JSONRPCMessage is the schema.json name of Message.
type JSONRPCMessage = Message

// JSONRPCResponse is a response: a *JSONRPCResultResponse or a
// *JSONRPCErrorResponse.
type JSONRPCResponse interface {
	Message
	isResponse()
}

func (*JSONRPCResultResponse) isResponse() {}
func (*JSONRPCErrorResponse) isResponse()  {}
