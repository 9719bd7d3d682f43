package wire

// Completion: completion/complete.

// CompleteRequest is a completion/complete request.
type CompleteRequest struct {
	JSONRPC string                `json:"jsonrpc"`
	ID      RequestID             `json:"id,omitzero"`
	Method  string                `json:"method"`
	Params  CompleteRequestParams `json:"params"`
	Extra   Object                `json:",embed"`
}

// CompleteRequestParams are the params of completion/complete.
type CompleteRequestParams struct {
	Meta     *RequestMetaObject                `json:"_meta,omitzero"`
	Argument CompletionArgument                `json:"argument"`
	Context  *CompletionContext                `json:"context,omitzero"`
	Ref      PromptOrResourceTemplateReference `json:"ref,omitzero"`
	Extra    Object                            `json:",embed"`
}

// CompletionArgument is the argument being completed and its partial value.
type CompletionArgument struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	Extra Object `json:",embed"`
}

// CompletionContext holds arguments already resolved.
type CompletionContext struct {
	Arguments map[string]string `json:"arguments,omitzero"`
	Extra     Object            `json:",embed"`
}

// PromptOrResourceTemplateReference is what a completion is for: a
// *PromptReference or a *ResourceTemplateReference. It decodes by its
// "type"; an unknown type is an error.
type PromptOrResourceTemplateReference interface{ isReference() }

func (*PromptReference) isReference()           {}
func (*ResourceTemplateReference) isReference() {}

// PromptReference names a prompt. Type is "ref/prompt".
type PromptReference struct {
	Name  string `json:"name"`
	Title string `json:"title,omitzero"`
	Type  string `json:"type"`
	Extra Object `json:",embed"`
}

// ResourceTemplateReference names a resource template by its URI
// template. Type is "ref/resource".
type ResourceTemplateReference struct {
	Type  string `json:"type"`
	URI   string `json:"uri"`
	Extra Object `json:",embed"`
}

// CompleteResult is the result of completion/complete.
type CompleteResult struct {
	Meta       *ResultMetaObject `json:"_meta,omitzero"`
	Completion Completion        `json:"completion"`
	ResultType string            `json:"resultType"`
	Extra      Object            `json:",embed"`
}

// Completion holds at most 100 completion values. Total may exceed the
// number of values; HasMore says more exist even when Total is unknown.
type Completion struct {
	HasMore *bool    `json:"hasMore,omitzero"`
	Total   *int64   `json:"total,omitzero"`
	Values  []string `json:"values"`
	Extra   Object   `json:",embed"`
}

// CompleteResultResponse is the response to completion/complete.
type CompleteResultResponse struct {
	JSONRPC string         `json:"jsonrpc"`
	ID      RequestID      `json:"id,omitzero"`
	Result  CompleteResult `json:"result"`
	Extra   Object         `json:",embed"`
}
