package wire

// Subscriptions: subscriptions/listen.

// SubscriptionFilter selects the notifications of a listen stream. Nil
// flags are absent (not requested).
type SubscriptionFilter struct {
	PromptsListChanged    *bool    `json:"promptsListChanged,omitzero"`
	ResourceSubscriptions []string `json:"resourceSubscriptions,omitzero"`
	ResourcesListChanged  *bool    `json:"resourcesListChanged,omitzero"`
	// TaskIDs (the tasks extension) are the tasks whose notifications/tasks
	// the client asks for, or, in the acknowledgement, the server agreed to
	// send.
	TaskIDs          []string `json:"taskIds,omitzero"`
	ToolsListChanged *bool    `json:"toolsListChanged,omitzero"`
	Extra            Object   `json:",embed"`
}

// SubscriptionsListenRequest is a subscriptions/listen request.
type SubscriptionsListenRequest struct {
	JSONRPC string                           `json:"jsonrpc"`
	ID      RequestID                        `json:"id,omitzero"`
	Method  string                           `json:"method"`
	Params  SubscriptionsListenRequestParams `json:"params"`
	Extra   Object                           `json:",embed"`
}

// SubscriptionsListenRequestParams are the params of subscriptions/listen.
type SubscriptionsListenRequestParams struct {
	Meta          *RequestMetaObject `json:"_meta,omitzero"`
	Notifications SubscriptionFilter `json:"notifications"`
	Extra         Object             `json:",embed"`
}

// SubscriptionsListenResult ends a listen stream gracefully.
type SubscriptionsListenResult struct {
	Meta       *SubscriptionsListenResultMetaObject `json:"_meta,omitzero"`
	ResultType string                               `json:"resultType"`
	Extra      Object                               `json:",embed"`
}

// SubscriptionsListenResultMetaObject is the _meta of a
// SubscriptionsListenResult. SubscriptionID is required; zero when absent.
type SubscriptionsListenResultMetaObject struct {
	ServerInfo     *Implementation `json:"io.modelcontextprotocol/serverInfo,omitzero"`
	SubscriptionID RequestID       `json:"io.modelcontextprotocol/subscriptionId,omitzero"`
	Extra          Object          `json:",embed"`
}

// SubscriptionsListenResultResponse is the response that ends
// subscriptions/listen.
type SubscriptionsListenResultResponse struct {
	JSONRPC string                    `json:"jsonrpc"`
	ID      RequestID                 `json:"id,omitzero"`
	Result  SubscriptionsListenResult `json:"result"`
	Extra   Object                    `json:",embed"`
}
