package wire

// Prompts: prompts/list and prompts/get.

// Prompt describes a prompt template a server offers.
type Prompt struct {
	Meta        MetaObject       `json:"_meta,omitzero"`
	Arguments   []PromptArgument `json:"arguments,omitzero"`
	Description string           `json:"description,omitzero"`
	Icons       []Icon           `json:"icons,omitzero"`
	Name        string           `json:"name"`
	Title       string           `json:"title,omitzero"`
	Extra       Object           `json:",embed"`
}

// PromptArgument describes one argument of a prompt.
type PromptArgument struct {
	Description string `json:"description,omitzero"`
	Name        string `json:"name"`
	Required    *bool  `json:"required,omitzero"`
	Title       string `json:"title,omitzero"`
	Extra       Object `json:",embed"`
}

// PromptMessage is one message of a prompt.
type PromptMessage struct {
	Content ContentBlock `json:"content,omitzero"`
	Role    string       `json:"role"`
	Extra   Object       `json:",embed"`
}

// ListPromptsRequest is a prompts/list request.
type ListPromptsRequest struct {
	JSONRPC string                 `json:"jsonrpc"`
	ID      RequestID              `json:"id,omitzero"`
	Method  string                 `json:"method"`
	Params  PaginatedRequestParams `json:"params"`
	Extra   Object                 `json:",embed"`
}

// ListPromptsResult is a page of the prompt list; cacheable.
type ListPromptsResult struct {
	Meta       *ResultMetaObject `json:"_meta,omitzero"`
	CacheScope string            `json:"cacheScope,omitzero"`
	NextCursor *string           `json:"nextCursor,omitzero"`
	Prompts    []Prompt          `json:"prompts"`
	ResultType string            `json:"resultType"`
	TTLMs      *int64            `json:"ttlMs,omitzero"`
	Extra      Object            `json:",embed"`
}

// ListPromptsResultResponse is the response to prompts/list.
type ListPromptsResultResponse struct {
	JSONRPC string            `json:"jsonrpc"`
	ID      RequestID         `json:"id,omitzero"`
	Result  ListPromptsResult `json:"result"`
	Extra   Object            `json:",embed"`
}

// GetPromptRequest is a prompts/get request.
type GetPromptRequest struct {
	JSONRPC string                 `json:"jsonrpc"`
	ID      RequestID              `json:"id,omitzero"`
	Method  string                 `json:"method"`
	Params  GetPromptRequestParams `json:"params"`
	Extra   Object                 `json:",embed"`
}

// GetPromptRequestParams are the params of prompts/get. InputResponses and
// RequestState are set on a retry after an InputRequiredResult.
type GetPromptRequestParams struct {
	Meta           *RequestMetaObject `json:"_meta,omitzero"`
	Arguments      map[string]string  `json:"arguments,omitzero"`
	InputResponses InputResponses     `json:"inputResponses,omitzero"`
	Name           string             `json:"name"`
	RequestState   *string            `json:"requestState,omitzero"`
	Extra          Object             `json:",embed"`
}

// GetPromptResult is the complete result of prompts/get.
type GetPromptResult struct {
	Meta        *ResultMetaObject `json:"_meta,omitzero"`
	Description string            `json:"description,omitzero"`
	Messages    []PromptMessage   `json:"messages"`
	ResultType  string            `json:"resultType"`
	Extra       Object            `json:",embed"`
}

// GetPromptResultResponse is the response to prompts/get. Result is a
// *GetPromptResult, or an *InputRequiredResult when resultType is
// "input_required".
type GetPromptResultResponse struct {
	JSONRPC string       `json:"jsonrpc"`
	ID      RequestID    `json:"id,omitzero"`
	Result  ServerResult `json:"result,omitzero"`
	Extra   Object       `json:",embed"`
}
