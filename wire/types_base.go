package wire

// The building blocks of schema.json: scalar aliases, the generic request,
// notification and result shapes, and the server's capabilities.

// RequestId is the schema.json name of RequestID.
type RequestId = RequestID

// Cursor is an opaque pagination token.
type Cursor = string

// Role is the sender or recipient of a message: "user" or "assistant".
type Role = string

// LoggingLevel is a syslog severity; see LoggingLevels.
type LoggingLevel = string

// ResultType says how to read a result: ResultComplete or
// ResultInputRequired. An absent resultType means "complete" (a server of
// an earlier revision); servers of this revision must send it.
type ResultType = string

// MetaObject is a free-form _meta object (of content, tools, resources...).
type MetaObject = Object

// JSONValue is any JSON value, kept raw.
type JSONValue = Value

// JSONObject is a JSON object of raw values.
type JSONObject = Object

// JSONArray is a JSON array of raw values.
type JSONArray = []Value

// NotificationMetaObject is the _meta of a notification's params.
// SubscriptionID is set on notifications sent on a subscriptions/listen
// stream; zero when absent.
type NotificationMetaObject struct {
	SubscriptionID RequestID `json:"io.modelcontextprotocol/subscriptionId,omitzero"`
	Extra          Object    `json:",embed"`
}

// BaseMetadata is the name and display title shared by named things.
type BaseMetadata struct {
	Name  string `json:"name"`
	Title string `json:"title,omitzero"`
	Extra Object `json:",embed"`
}

// Icons is the icons member shared by things that can be displayed.
type Icons struct {
	Icons []Icon `json:"icons,omitzero"`
	Extra Object `json:",embed"`
}

// Request is the generic shape of a request object: a method and free-form
// params.
type Request struct {
	Method string `json:"method"`
	Params Object `json:"params,omitzero"`
	Extra  Object `json:",embed"`
}

// RequestParams are the params of a request that takes only _meta
// (server/discover). Meta is required; nil when absent.
type RequestParams struct {
	Meta  *RequestMetaObject `json:"_meta,omitzero"`
	Extra Object             `json:",embed"`
}

// PaginatedRequest is the shape of a paginated list request.
type PaginatedRequest struct {
	JSONRPC string                 `json:"jsonrpc"`
	ID      RequestID              `json:"id,omitzero"`
	Method  string                 `json:"method"`
	Params  PaginatedRequestParams `json:"params"`
	Extra   Object                 `json:",embed"`
}

// PaginatedRequestParams are the params of a list request. Cursor is nil
// for the first page; otherwise the nextCursor of the previous page,
// echoed exactly (an empty string is a cursor too).
type PaginatedRequestParams struct {
	Meta   *RequestMetaObject `json:"_meta,omitzero"`
	Cursor *string            `json:"cursor,omitzero"`
	Extra  Object             `json:",embed"`
}

// Notification is the generic shape of a notification object.
type Notification struct {
	Method string `json:"method"`
	Params Object `json:"params,omitzero"`
	Extra  Object `json:",embed"`
}

// NotificationParams are the params of a notification that carries only
// _meta (the list_changed notifications).
type NotificationParams struct {
	Meta  *NotificationMetaObject `json:"_meta,omitzero"`
	Extra Object                  `json:",embed"`
}

// Result is the generic shape of a result: a resultType and anything else.
type Result struct {
	Meta       *ResultMetaObject `json:"_meta,omitzero"`
	ResultType string            `json:"resultType"`
	Extra      Object            `json:",embed"`
}

// EmptyResult is a result with no members of its own.
type EmptyResult = Result

// ClientResult is a result a client returns; in this revision only the
// generic Result shape.
type ClientResult = Result

// CacheableResult is the shape of a result with a caching hint: TTLMs and
// CacheScope are required of a complete cacheable result, and are nil and
// "" when the server omitted them.
type CacheableResult struct {
	Meta       *ResultMetaObject `json:"_meta,omitzero"`
	CacheScope string            `json:"cacheScope,omitzero"`
	ResultType string            `json:"resultType"`
	TTLMs      *int64            `json:"ttlMs,omitzero"`
	Extra      Object            `json:",embed"`
}

// Cache scopes of CacheableResult.
const (
	CacheScopePrivate = "private"
	CacheScopePublic  = "public"
)

// PaginatedResult is the shape of a page of a list. NextCursor is nil on
// the last page.
type PaginatedResult struct {
	Meta       *ResultMetaObject `json:"_meta,omitzero"`
	NextCursor *string           `json:"nextCursor,omitzero"`
	ResultType string            `json:"resultType"`
	Extra      Object            `json:",embed"`
}

// ServerResult is a result a server returns: *Result, *InputRequiredResult,
// *DiscoverResult, *ListResourcesResult, *ListResourceTemplatesResult,
// *ReadResourceResult, *SubscriptionsListenResult, *ListPromptsResult,
// *GetPromptResult, *ListToolsResult, *CallToolResult or *CompleteResult.
//
// Without the method a result answers, decoding a ServerResult yields an
// *InputRequiredResult for resultType "input_required" and a *Result (every
// member kept) otherwise; DecodeResult decodes by the method table.
type ServerResult interface {
	// GetResultType returns the resultType member ("" when absent).
	GetResultType() string
	isServerResult()
}

func (r *Result) GetResultType() string                      { return r.ResultType }
func (r *InputRequiredResult) GetResultType() string         { return r.ResultType }
func (r *DiscoverResult) GetResultType() string              { return r.ResultType }
func (r *ListResourcesResult) GetResultType() string         { return r.ResultType }
func (r *ListResourceTemplatesResult) GetResultType() string { return r.ResultType }
func (r *ReadResourceResult) GetResultType() string          { return r.ResultType }
func (r *SubscriptionsListenResult) GetResultType() string   { return r.ResultType }
func (r *ListPromptsResult) GetResultType() string           { return r.ResultType }
func (r *GetPromptResult) GetResultType() string             { return r.ResultType }
func (r *ListToolsResult) GetResultType() string             { return r.ResultType }
func (r *CallToolResult) GetResultType() string              { return r.ResultType }
func (r *CompleteResult) GetResultType() string              { return r.ResultType }
func (r *CreateTaskResult) GetResultType() string            { return r.ResultType }
func (r *GetTaskResult) GetResultType() string               { return r.ResultType }
func (r *TaskAckResult) GetResultType() string               { return r.ResultType }

func (*Result) isServerResult()                      {}
func (*CreateTaskResult) isServerResult()            {}
func (*GetTaskResult) isServerResult()               {}
func (*TaskAckResult) isServerResult()               {}
func (*InputRequiredResult) isServerResult()         {}
func (*DiscoverResult) isServerResult()              {}
func (*ListResourcesResult) isServerResult()         {}
func (*ListResourceTemplatesResult) isServerResult() {}
func (*ReadResourceResult) isServerResult()          {}
func (*SubscriptionsListenResult) isServerResult()   {}
func (*ListPromptsResult) isServerResult()           {}
func (*GetPromptResult) isServerResult()             {}
func (*ListToolsResult) isServerResult()             {}
func (*CallToolResult) isServerResult()              {}
func (*CompleteResult) isServerResult()              {}

// ClientRequest is a request a client sends: *DiscoverRequest,
// *ListResourcesRequest, *ListResourceTemplatesRequest,
// *ReadResourceRequest, *SubscriptionsListenRequest, *ListPromptsRequest,
// *GetPromptRequest, *ListToolsRequest, *CallToolRequest or
// *CompleteRequest. It decodes by its method; an unknown method is an
// error.
type ClientRequest interface{ isClientRequest() }

func (*DiscoverRequest) isClientRequest()              {}
func (*ListResourcesRequest) isClientRequest()         {}
func (*ListResourceTemplatesRequest) isClientRequest() {}
func (*ReadResourceRequest) isClientRequest()          {}
func (*SubscriptionsListenRequest) isClientRequest()   {}
func (*ListPromptsRequest) isClientRequest()           {}
func (*GetPromptRequest) isClientRequest()             {}
func (*ListToolsRequest) isClientRequest()             {}
func (*CallToolRequest) isClientRequest()              {}
func (*CompleteRequest) isClientRequest()              {}

// ServerCapabilities are the capabilities a server declares in its
// DiscoverResult. A present member (even an empty object) declares the
// capability.
type ServerCapabilities struct {
	Completions  Object               `json:"completions,omitzero"`
	Experimental map[string]Object    `json:"experimental,omitzero"`
	Extensions   map[string]Object    `json:"extensions,omitzero"`
	Logging      Object               `json:"logging,omitzero"`
	Prompts      *PromptsCapability   `json:"prompts,omitzero"`
	Resources    *ResourcesCapability `json:"resources,omitzero"`
	Tools        *ToolsCapability     `json:"tools,omitzero"`
	Extra        Object               `json:",embed"`
}

// PromptsCapability declares prompts.
type PromptsCapability struct {
	ListChanged *bool  `json:"listChanged,omitzero"`
	Extra       Object `json:",embed"`
}

// ResourcesCapability declares resources.
type ResourcesCapability struct {
	ListChanged *bool  `json:"listChanged,omitzero"`
	Subscribe   *bool  `json:"subscribe,omitzero"`
	Extra       Object `json:",embed"`
}

// ToolsCapability declares tools.
type ToolsCapability struct {
	ListChanged *bool  `json:"listChanged,omitzero"`
	Extra       Object `json:",embed"`
}
