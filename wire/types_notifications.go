package wire

// Notifications. The client sends only notifications/cancelled; a server
// sends the others, on the stream of a request or of subscriptions/listen.

// ServerNotification is a notification a server sends:
// *CancelledNotification, *ProgressNotification,
// *ResourceListChangedNotification,
// *SubscriptionsAcknowledgedNotification, *ResourceUpdatedNotification,
// *PromptListChangedNotification, *ToolListChangedNotification or
// *LoggingMessageNotification. It decodes by its method; an unknown method
// is an error.
type ServerNotification interface{ isServerNotification() }

func (*CancelledNotification) isServerNotification()                 {}
func (*ProgressNotification) isServerNotification()                  {}
func (*ResourceListChangedNotification) isServerNotification()       {}
func (*SubscriptionsAcknowledgedNotification) isServerNotification() {}
func (*ResourceUpdatedNotification) isServerNotification()           {}
func (*PromptListChangedNotification) isServerNotification()         {}
func (*ToolListChangedNotification) isServerNotification()           {}
func (*LoggingMessageNotification) isServerNotification()            {}

// ClientNotification is a notification a client sends; in this revision
// only notifications/cancelled.
type ClientNotification = CancelledNotification

// CancelledNotification is notifications/cancelled.
type CancelledNotification struct {
	JSONRPC string                      `json:"jsonrpc"`
	Method  string                      `json:"method"`
	Params  CancelledNotificationParams `json:"params"`
	Extra   Object                      `json:",embed"`
}

// CancelledNotificationParams name the request to cancel. RequestID is
// required; zero when absent.
type CancelledNotificationParams struct {
	Meta      *NotificationMetaObject `json:"_meta,omitzero"`
	Reason    string                  `json:"reason,omitzero"`
	RequestID RequestID               `json:"requestId,omitzero"`
	Extra     Object                  `json:",embed"`
}

// ProgressNotification is notifications/progress.
type ProgressNotification struct {
	JSONRPC string                     `json:"jsonrpc"`
	Method  string                     `json:"method"`
	Params  ProgressNotificationParams `json:"params"`
	Extra   Object                     `json:",embed"`
}

// ProgressNotificationParams report progress of the request whose _meta
// carried ProgressToken (required; zero when absent). Progress must
// increase from one notification to the next; Total is nil when unknown.
type ProgressNotificationParams struct {
	Meta          *NotificationMetaObject `json:"_meta,omitzero"`
	Message       string                  `json:"message,omitzero"`
	Progress      float64                 `json:"progress"`
	ProgressToken ProgressToken           `json:"progressToken,omitzero"`
	Total         *float64                `json:"total,omitzero"`
	Extra         Object                  `json:",embed"`
}

// LoggingMessageNotification is notifications/message.
type LoggingMessageNotification struct {
	JSONRPC string                           `json:"jsonrpc"`
	Method  string                           `json:"method"`
	Params  LoggingMessageNotificationParams `json:"params"`
	Extra   Object                           `json:",embed"`
}

// LoggingMessageNotificationParams are one log message. Data (required,
// any JSON value) is kept raw.
type LoggingMessageNotificationParams struct {
	Meta   *NotificationMetaObject `json:"_meta,omitzero"`
	Data   Value                   `json:"data"`
	Level  string                  `json:"level"`
	Logger string                  `json:"logger,omitzero"`
	Extra  Object                  `json:",embed"`
}

// ResourceListChangedNotification is notifications/resources/list_changed.
type ResourceListChangedNotification struct {
	JSONRPC string              `json:"jsonrpc"`
	Method  string              `json:"method"`
	Params  *NotificationParams `json:"params,omitzero"`
	Extra   Object              `json:",embed"`
}

// PromptListChangedNotification is notifications/prompts/list_changed.
type PromptListChangedNotification struct {
	JSONRPC string              `json:"jsonrpc"`
	Method  string              `json:"method"`
	Params  *NotificationParams `json:"params,omitzero"`
	Extra   Object              `json:",embed"`
}

// ToolListChangedNotification is notifications/tools/list_changed.
type ToolListChangedNotification struct {
	JSONRPC string              `json:"jsonrpc"`
	Method  string              `json:"method"`
	Params  *NotificationParams `json:"params,omitzero"`
	Extra   Object              `json:",embed"`
}

// ResourceUpdatedNotification is notifications/resources/updated.
type ResourceUpdatedNotification struct {
	JSONRPC string                            `json:"jsonrpc"`
	Method  string                            `json:"method"`
	Params  ResourceUpdatedNotificationParams `json:"params"`
	Extra   Object                            `json:",embed"`
}

// ResourceUpdatedNotificationParams name the resource that changed.
type ResourceUpdatedNotificationParams struct {
	Meta  *NotificationMetaObject `json:"_meta,omitzero"`
	URI   string                  `json:"uri"`
	Extra Object                  `json:",embed"`
}

// SubscriptionsAcknowledgedNotification is
// notifications/subscriptions/acknowledged, the first message of a listen
// stream.
type SubscriptionsAcknowledgedNotification struct {
	JSONRPC string                                      `json:"jsonrpc"`
	Method  string                                      `json:"method"`
	Params  SubscriptionsAcknowledgedNotificationParams `json:"params"`
	Extra   Object                                      `json:",embed"`
}

// SubscriptionsAcknowledgedNotificationParams state the notifications the
// server agreed to send (a subset of those requested).
type SubscriptionsAcknowledgedNotificationParams struct {
	Meta          *NotificationMetaObject `json:"_meta,omitzero"`
	Notifications SubscriptionFilter      `json:"notifications"`
	Extra         Object                  `json:",embed"`
}
