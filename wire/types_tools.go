package wire

// Tools: tools/list and tools/call.

// Tool describes a tool a server offers. InputSchema (required, a JSON
// Schema object with "type": "object") and OutputSchema are kept raw, as
// the server sent them.
type Tool struct {
	Meta         MetaObject       `json:"_meta,omitzero"`
	Annotations  *ToolAnnotations `json:"annotations,omitzero"`
	Description  string           `json:"description,omitzero"`
	Icons        []Icon           `json:"icons,omitzero"`
	InputSchema  Value            `json:"inputSchema"`
	Name         string           `json:"name"`
	OutputSchema Value            `json:"outputSchema,omitzero"`
	Title        string           `json:"title,omitzero"`
	Extra        Object           `json:",embed"`
}

// ToolAnnotations are untrusted hints about a tool's behaviour; nil hints
// are absent (each has a default in the spec).
type ToolAnnotations struct {
	DestructiveHint *bool  `json:"destructiveHint,omitzero"`
	IdempotentHint  *bool  `json:"idempotentHint,omitzero"`
	OpenWorldHint   *bool  `json:"openWorldHint,omitzero"`
	ReadOnlyHint    *bool  `json:"readOnlyHint,omitzero"`
	Title           string `json:"title,omitzero"`
	Extra           Object `json:",embed"`
}

// ListToolsRequest is a tools/list request.
type ListToolsRequest struct {
	JSONRPC string                 `json:"jsonrpc"`
	ID      RequestID              `json:"id,omitzero"`
	Method  string                 `json:"method"`
	Params  PaginatedRequestParams `json:"params"`
	Extra   Object                 `json:",embed"`
}

// ListToolsResult is a page of the tool list; cacheable.
type ListToolsResult struct {
	Meta       *ResultMetaObject `json:"_meta,omitzero"`
	CacheScope string            `json:"cacheScope,omitzero"`
	NextCursor *string           `json:"nextCursor,omitzero"`
	ResultType string            `json:"resultType"`
	Tools      []Tool            `json:"tools"`
	TTLMs      *int64            `json:"ttlMs,omitzero"`
	Extra      Object            `json:",embed"`
}

// ListToolsResultResponse is the response to tools/list.
type ListToolsResultResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      RequestID       `json:"id,omitzero"`
	Result  ListToolsResult `json:"result"`
	Extra   Object          `json:",embed"`
}

// CallToolRequest is a tools/call request.
type CallToolRequest struct {
	JSONRPC string                `json:"jsonrpc"`
	ID      RequestID             `json:"id,omitzero"`
	Method  string                `json:"method"`
	Params  CallToolRequestParams `json:"params"`
	Extra   Object                `json:",embed"`
}

// CallToolRequestParams are the params of tools/call. Arguments are kept
// raw. InputResponses and RequestState are set on a retry after an
// InputRequiredResult; RequestState echoes the server's value exactly.
type CallToolRequestParams struct {
	Meta           *RequestMetaObject `json:"_meta,omitzero"`
	Arguments      ToolArguments      `json:"arguments,omitzero"`
	InputResponses InputResponses     `json:"inputResponses,omitzero"`
	Name           string             `json:"name"`
	RequestState   *string            `json:"requestState,omitzero"`
	Extra          Object             `json:",embed"`
}

// CallToolResult is the complete result of tools/call. StructuredContent
// is kept raw (any JSON value; it should conform to the tool's
// OutputSchema).
type CallToolResult struct {
	Meta              *ResultMetaObject `json:"_meta,omitzero"`
	Content           []ContentBlock    `json:"content"`
	IsError           *bool             `json:"isError,omitzero"`
	ResultType        string            `json:"resultType"`
	StructuredContent Value             `json:"structuredContent,omitzero"`
	Extra             Object            `json:",embed"`
}

// CallToolResultResponse is the response to tools/call. Result is a
// *CallToolResult, or an *InputRequiredResult when resultType is
// "input_required".
type CallToolResultResponse struct {
	JSONRPC string       `json:"jsonrpc"`
	ID      RequestID    `json:"id,omitzero"`
	Result  ServerResult `json:"result,omitzero"`
	Extra   Object       `json:",embed"`
}

// ToolArguments are the arguments of a tools/call, each kept raw. It
// decodes without reflection (fastdecode.go): arguments are the largest
// part of a typical request.
type ToolArguments map[string]Value
